/*
 * ws.c: WebSockets on the loop thread, framed by wslay.  Two kinds:
 *
 * - events: every xend event and each second's domain list, as JSON
 *   text messages ({"type": "event"|"domains", ...}); one subscription
 *   to xend (xendlink.c) feeds them all.
 * - console: a bridge to xenconsoled's unix socket for one domain
 *   (console-socket-dir/DOMID.sock: raw bytes, history first, then
 *   live, its input rules and ^E c commands).  Guest output goes out as
 *   binary messages; what the browser sends goes to the guest, unless
 *   the user is a viewer (read-only: dropped).  Text messages from us
 *   are JSON status ({"type": "status", "state": ...}).  If the socket
 *   closes (xenconsoled restarting, the domain rebooting) the bridge
 *   reconnects every second while the domain exists.
 *
 * libmicrohttpd owns an upgraded socket: we never close it ourselves,
 * MHD_upgrade_action(CLOSE) does, once.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <microhttpd.h>
#include <wslay/wslay.h>

#include "xen-common.h"
#include "xendcfg.h"
#include "xensv.h"

#define WS_MAX_QUEUED	(4 * 1024 * 1024)	/* then a client is dropped */
#define WS_CONSOLE_HIGH	(256 * 1024)	/* stop reading the console */
#define WS_CHUNK	16384
#define WS_PING_S	20

struct ws {
	TAILQ_ENTRY(ws)		 entry;
	struct ws_open		 o;
	wslay_event_context_ptr	 ctx;
	struct event		*rev, *wev, *ping_ev;
	struct bufferevent	*con;		/* console socket */
	struct event		*retry_ev;
	int			 closed;
	int			 told_readonly;
	int			 closing;	/* close once the queue is out */
	struct rfb_filter	 rfb;		/* a viewer's VNC input */
	size_t			 extra_off;
};
static TAILQ_HEAD(, ws)	 wss = TAILQ_HEAD_INITIALIZER(wss);

static void	ws_update(struct ws *);
static void	console_connect(struct ws *);

static const char *
kind_name(enum ws_kind k)
{
	return (k == WS_EVENTS ? "events" : k == WS_VNC ?
	    "graphical console of domain" : "console of domain");
}

static void
ws_free(struct ws *w)
{
	TAILQ_REMOVE(&wss, w, entry);
	if (w->rev != NULL)
		event_free(w->rev);
	if (w->wev != NULL)
		event_free(w->wev);
	if (w->ping_ev != NULL)
		event_free(w->ping_ev);
	if (w->retry_ev != NULL)
		event_free(w->retry_ev);
	if (w->con != NULL)
		bufferevent_free(w->con);
	wslay_event_context_free(w->ctx);
	MHD_upgrade_action(w->o.urh, MHD_UPGRADE_ACTION_CLOSE);
	log_info("websocket closed: %s from %s (%s %d)", w->o.user, w->o.peer,
	    kind_name(w->o.kind), w->o.domid);
	free(w->o.extra);
	free(w);
}

static ssize_t
recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *arg)
{
	struct ws	*w = arg;
	ssize_t		 n;

	if (w->o.extra != NULL && w->extra_off < w->o.extra_len) {
		n = w->o.extra_len - w->extra_off;
		if ((size_t)n > len)
			n = len;
		memcpy(buf, w->o.extra + w->extra_off, n);
		w->extra_off += n;
		return (n);
	}
	n = recv(w->o.sock, buf, len, 0);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return (-1);
	}
	if (n <= 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return (-1);
	}
	return (n);
}

static ssize_t
send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	struct ws	*w = arg;
	ssize_t		 n;

	n = send(w->o.sock, data, len, MSG_NOSIGNAL);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return (-1);
	}
	if (n == -1) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return (-1);
	}
	return (n);
}

static void
ws_queue(struct ws *w, uint8_t opcode, const void *data, size_t len)
{
	struct wslay_event_msg	 m;

	if (w->closed)
		return;
	m.opcode = opcode;
	m.msg = data;
	m.msg_length = len;
	wslay_event_queue_msg(w->ctx, &m);
}

static void
ws_status(struct ws *w, const char *state, const char *detail)
{
	json_t	*j;
	char	*text;

	j = json_pack("{s:s, s:s, s:s}", "type", "status", "state", state,
	    "detail", detail != NULL ? detail : "");
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	ws_queue(w, WSLAY_TEXT_FRAME, text, strlen(text));
	free(text);
}

static void
msg_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *a, void *arg)
{
	struct ws	*w = arg;

	uint8_t		*out;
	ssize_t		 n;

	if (a->opcode != WSLAY_TEXT_FRAME && a->opcode != WSLAY_BINARY_FRAME)
		return;
	if (w->o.kind == WS_EVENTS)
		return;
	if (w->o.kind == WS_VNC && w->o.role != ROLE_ADMIN) {
		/* A viewer's noVNC may ask for pictures, nothing more. */
		out = xmalloc(a->msg_length + 1);
		n = rfb_filter(&w->rfb, a->msg, a->msg_length, out);
		if (n < 0) {
			log_warn("vnc: %s from %s broke RFB; closing", w->o.user,
			    w->o.peer);
			wslay_event_queue_close(w->ctx, 1008, NULL, 0);
		} else if (n > 0 && w->con != NULL)
			bufferevent_write(w->con, out, n);
		free(out);
		return;
	}
	if (w->o.role != ROLE_ADMIN) {
		if (!w->told_readonly)
			ws_status(w, "readonly", "viewers cannot type");
		w->told_readonly = 1;
		return;
	}
	if (w->con != NULL)
		bufferevent_write(w->con, a->msg, a->msg_length);
}

static void
ws_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ws	*w = arg;

	if ((what & EV_READ) && wslay_event_recv(w->ctx) != 0)
		w->closed = 1;
	if (!w->closed && (what & EV_WRITE) && wslay_event_send(w->ctx) != 0)
		w->closed = 1;
	ws_update(w);
}

/* Re-arms the socket's events; frees w when wslay is done with it. */
static void
ws_update(struct ws *w)
{
	int	 r, wr;

	if (!w->closed && wslay_event_want_write(w->ctx) &&
	    wslay_event_send(w->ctx) != 0)
		w->closed = 1;
	/* wslay sends control frames first: close after the last message. */
	if (w->closing == 1 && !w->closed &&
	    wslay_event_get_queued_msg_count(w->ctx) == 0) {
		w->closing = 2;
		wslay_event_queue_close(w->ctx, 1001,
		    (const uint8_t *)"xensv is stopping", 17);
		if (wslay_event_send(w->ctx) != 0)
			w->closed = 1;
	}
	r = !w->closed && wslay_event_want_read(w->ctx);
	wr = !w->closed && wslay_event_want_write(w->ctx);
	if (!r && !wr) {
		ws_free(w);
		return;
	}
	if (r)
		event_add(w->rev, NULL);
	else
		event_del(w->rev);
	if (wr)
		event_add(w->wev, NULL);
	else
		event_del(w->wev);
	/* A slow browser holds back the console, not xensv's memory. */
	if (w->con != NULL && !w->closing) {
		if (wslay_event_get_queued_msg_length(w->ctx) >
		    WS_CONSOLE_HIGH)
			bufferevent_disable(w->con, EV_READ);
		else
			bufferevent_enable(w->con, EV_READ);
	}
}

static void
ping_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ws	*w = arg;
	struct timeval	 tv = { WS_PING_S, 0 };

	ws_queue(w, WSLAY_PING, "", 0);
	evtimer_add(w->ping_ev, &tv);
	ws_update(w);
}

static void
console_read_cb(struct bufferevent *bev, void *arg)
{
	struct ws	*w = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		 buf[WS_CHUNK];
	int		 n;

	while ((n = evbuffer_remove(in, buf, sizeof buf)) > 0)
		ws_queue(w, WSLAY_BINARY_FRAME, buf, n);
	ws_update(w);
}

static void
console_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	console_connect(arg);
}

static void
console_lost(struct ws *w, const char *why)
{
	struct timeval	 tv = { 1, 0 };

	if (w->con != NULL)
		bufferevent_free(w->con);
	w->con = NULL;
	if (!link_connected() || link_domain_exists(w->o.domid)) {
		ws_status(w, "reconnecting", why);
		evtimer_add(w->retry_ev, &tv);
	} else {
		ws_status(w, "gone", "the domain is gone");
		wslay_event_queue_close(w->ctx, 1000, NULL, 0);
	}
	ws_update(w);
}

static void
console_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ws	*w = arg;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (w->o.kind == WS_VNC) {
		/* noVNC reconnects by itself if the page wants it to. */
		bufferevent_free(w->con);
		w->con = NULL;
		wslay_event_queue_close(w->ctx, 1000, NULL, 0);
		ws_update(w);
		return;
	}
	console_lost(w, what & BEV_EVENT_EOF ? "xenconsoled closed "
	    "the console" : "console socket error");
}

/* A graphical console: TCP to xenconsoled's VNC port for the domain. */
static void
vnc_connect(struct ws *w)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	const char		*addr = sv_cfg.console_address;
	socklen_t		 sl;

	memset(&ss, 0, sizeof ss);
	if (strchr(addr, ':') != NULL) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(w->o.vnc_port);
		if (strcmp(addr, "::") == 0 ||
		    inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
			sin6->sin6_addr = in6addr_loopback;
		sl = sizeof *sin6;
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(w->o.vnc_port);
		if (strcmp(addr, "0.0.0.0") == 0 || addr[0] == '\0' ||
		    inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof *sin;
	}
	rfb_filter_init(&w->rfb);
	w->con = bufferevent_socket_new(sv_base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(w->con, console_read_cb, NULL, console_event_cb, w);
	bufferevent_enable(w->con, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(w->con, (struct sockaddr *)&ss, sl) !=
	    0) {
		bufferevent_free(w->con);
		w->con = NULL;
		wslay_event_queue_close(w->ctx, 1011, NULL, 0);
	}
	ws_update(w);
}

static void
console_connect(struct ws *w)
{
	struct timeval	 tv = { 1, 0 };
	char		*path, *cause;
	int		 fd;

	path = xendcfg_console_path(&sv_cfg, w->o.domid);
	fd = unix_connect(path, &cause);
	free(path);
	if (fd == -1) {
		ws_status(w, "reconnecting", cause);
		free(cause);
		if (!link_connected() || link_domain_exists(w->o.domid))
			evtimer_add(w->retry_ev, &tv);
		else {
			wslay_event_queue_close(w->ctx, 1000, NULL, 0);
		}
		ws_update(w);
		return;
	}
	fd_set_nonblock(fd);
	w->con = bufferevent_socket_new(sv_base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(w->con, console_read_cb, NULL, console_event_cb, w);
	bufferevent_enable(w->con, EV_READ | EV_WRITE);
	ws_status(w, "connected", w->o.role == ROLE_ADMIN ? "read-write" :
	    "read-only");
	ws_update(w);
}

void
ws_open(void *arg)
{
	struct ws_open		*o = arg;
	struct ws		*w = xcalloc(1, sizeof *w);
	struct timeval		 tv = { WS_PING_S, 0 };
	char			*hello;
	static const struct wslay_event_callbacks cbs = {
		recv_cb, send_cb, NULL, NULL, NULL, NULL, msg_cb,
	};

	w->o = *o;
	free(o);
	if (wslay_event_context_server_init(&w->ctx, &cbs, w) != 0)
		fatalx("wslay_event_context_server_init failed");
	wslay_event_config_set_max_recv_msg_length(w->ctx,
	    sv_cfg.xensv_ws_max_message);
	fd_set_nonblock(w->o.sock);
	w->rev = event_new(sv_base, w->o.sock, EV_READ, ws_io_cb, w);
	w->wev = event_new(sv_base, w->o.sock, EV_WRITE, ws_io_cb, w);
	w->ping_ev = evtimer_new(sv_base, ping_cb, w);
	evtimer_add(w->ping_ev, &tv);
	TAILQ_INSERT_TAIL(&wss, w, entry);
	log_info("websocket opened: %s from %s (%s %d)", w->o.user, w->o.peer,
	    kind_name(w->o.kind), w->o.domid);
	if (w->o.kind == WS_EVENTS) {
		hello = link_hello_text();
		ws_queue(w, WSLAY_TEXT_FRAME, hello, strlen(hello));
		free(hello);
		ws_update(w);
		return;
	}
	if (w->o.kind == WS_VNC) {
		vnc_connect(w);
		return;
	}
	w->retry_ev = evtimer_new(sv_base, console_retry_cb, w);
	console_connect(w);
}

void
ws_broadcast(const char *text, size_t len)
{
	struct ws	*w, *w1;

	TAILQ_FOREACH_SAFE(w, &wss, entry, w1) {
		if (w->o.kind != WS_EVENTS || w->closed || w->closing)
			continue;
		if (wslay_event_get_queued_msg_length(w->ctx) > WS_MAX_QUEUED) {
			log_warn("dropping events client %s from %s: it reads "
			    "nothing", w->o.user, w->o.peer);
			w->closed = 1;
		} else
			ws_queue(w, WSLAY_TEXT_FRAME, text, len);
		ws_update(w);
	}
}

void
ws_close_all(int force)
{
	struct ws	*w, *w1;
	static const char bye[] = "xensv is stopping";

	TAILQ_FOREACH_SAFE(w, &wss, entry, w1) {
		if (force) {
			ws_free(w);
			continue;
		}
		if (w->o.kind == WS_CONSOLE)
			ws_status(w, "closing", bye);
		w->closing = 1;
		if (w->con != NULL)
			bufferevent_disable(w->con, EV_READ);
		ws_update(w);
	}
}
