/*
 * server.c: xend's unix socket.  One JSON request object per line, one
 * reply line per request (in completion order, matched by "id"), and for
 * subscribed clients event lines interleaved.  See docs/API.md.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "xen-common.h"
#include "xend.h"

#define SERVER_MAX_LINE		(4 * 1024 * 1024)
/*
 * Back-pressure: while more than SERVER_HIGH_WATER of replies wait for a
 * client, xend reads no more of its requests; it goes on once they drain
 * below SERVER_LOW_WATER.  A pipelining client that reads gets every
 * reply; only events, which xend cannot hold back, can grow the backlog
 * past SERVER_MAX_BACKLOG, and a subscriber that stops reading is cut off
 * rather than buffered forever.
 */
#define SERVER_HIGH_WATER	(1024 * 1024)
#define SERVER_LOW_WATER	(256 * 1024)
#define SERVER_MAX_BACKLOG	(16 * 1024 * 1024)
/* Out of file descriptors: accepts pause this long, said once. */
#define SERVER_ACCEPT_PAUSE_MS	250

struct client {
	int			 refs;
	int			 dead;
	int			 subscribed;
	int			 held;		/* reading stopped: backlog */
	struct bufferevent	*bev;
	TAILQ_ENTRY(client)	 entry;
};
static TAILQ_HEAD(, client) clients = TAILQ_HEAD_INITIALIZER(clients);
static struct evconnlistener *listener;
static struct event	*accept_ev;	/* resumes accepting */
static int		 accept_paused;
static unsigned long	 accept_failed;	/* while paused, for the log */

static void	client_read_cb(struct bufferevent *, void *);

static void
client_unref(struct client *c)
{
	if (--c->refs > 0)
		return;
	free(c);
}

static void
client_close(struct client *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	TAILQ_REMOVE(&clients, c, entry);
	bufferevent_free(c->bev);
	c->bev = NULL;
	client_unref(c);
}

static void
client_write(struct client *c, json_t *msg)
{
	char	*text;

	if (c == NULL || c->dead)
		return;
	if ((text = json_dumps(msg, JSON_COMPACT)) == NULL)
		fatalx("json_dumps failed");
	bufferevent_write(c->bev, text, strlen(text));
	bufferevent_write(c->bev, "\n", 1);
	free(text);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) >
	    SERVER_MAX_BACKLOG) {
		log_warn("client not reading its events, disconnected");
		client_close(c);
	}
}

static size_t
client_backlog(struct client *c)
{
	return (evbuffer_get_length(bufferevent_get_output(c->bev)));
}

/* Replies drained below the low water mark: read requests again. */
static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	struct client	*c = arg;

	if (!c->held || c->dead)
		return;
	c->held = 0;
	bufferevent_enable(c->bev, EV_READ);
	client_read_cb(c->bev, c);
}

void
server_reply(struct api_req *req, json_t *result)
{
	json_t	*msg;

	if (req->done)
		fatalx("request %s answered twice", req->op);
	req->done = 1;
	msg = json_pack("{s:O, s:o}", "id", req->id,
	    "result", result != NULL ? result : json_object());
	client_write(req->client, msg);
	json_decref(msg);
	api_req_free(req);
}

/*
 * JSON strings must be UTF-8, and a cause may quote a request or QEMU's
 * output cut anywhere: each byte that does not start a valid sequence
 * (as jansson judges it) becomes '?', so the reply can always be sent.
 */
static void
server_scrub(char *s)
{
	unsigned char	*p = (unsigned char *)s;
	json_t		*one;
	size_t		 n;

	while (*p != '\0') {
		if (*p < 0x80) {
			p++;
			continue;
		}
		n = (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
		    (*p & 0xf8) == 0xf0 ? 4 : 1;
		/* strnlen: the string may end inside the sequence. */
		if (n > 1 && strnlen((char *)p, n) == n &&
		    (one = json_stringn((char *)p, n)) != NULL) {
			json_decref(one);
			p += n;
		} else
			*p++ = '?';
	}
}

void
server_error(struct api_req *req, const char *code, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;
	json_t	*msg;

	if (req->done)
		fatalx("request %s answered twice", req->op);
	req->done = 1;
	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	server_scrub(text);
	log_debug("%s: %s: %s", req->op, code, text);
	msg = json_pack("{s:O, s:{s:s, s:s}}", "id", req->id, "error",
	    "code", code, "message", text);
	free(text);
	client_write(req->client, msg);
	json_decref(msg);
	api_req_free(req);
}

void
server_subscribe(struct api_req *req)
{
	if (req->client != NULL && !req->client->dead)
		req->client->subscribed = 1;
}

void
server_event(const char *type, json_t *body)
{
	struct client	*c, *next;

	json_object_set_new(body, "event", json_string(type));
	json_object_set_new(body, "time", json_real(time_wall()));
	TAILQ_FOREACH_SAFE(c, &clients, entry, next) {
		if (c->subscribed)
			client_write(c, body);
	}
	json_decref(body);
}

void
api_req_free(struct api_req *req)
{
	if (req->client != NULL)
		client_unref(req->client);
	json_decref(req->id);
	json_decref(req->args);
	free(req->op);
	free(req);
}

static void
client_line(struct client *c, const char *line, size_t len)
{
	json_t		*msg, *op, *args, *id;
	json_error_t	 jerr;
	struct api_req	*req;

	req = xcalloc(1, sizeof *req);
	req->client = c;
	c->refs++;
	req->id = json_null();

	if ((msg = json_loadb(line, len, 0, &jerr)) == NULL) {
		req->op = xstrdup("?");
		server_error(req, "invalid", "bad json: %s", jerr.text);
		return;
	}
	if (!json_is_object(msg)) {
		json_decref(msg);
		req->op = xstrdup("?");
		server_error(req, "invalid", "request must be an object");
		return;
	}
	if ((id = json_object_get(msg, "id")) != NULL) {
		json_decref(req->id);
		req->id = json_incref(id);
	}
	op = json_object_get(msg, "op");
	args = json_object_get(msg, "args");
	if (!json_is_string(op)) {
		json_decref(msg);
		req->op = xstrdup("?");
		server_error(req, "invalid", "missing \"op\" string");
		return;
	}
	req->op = xstrdup(json_string_value(op));
	if (args != NULL && !json_is_object(args)) {
		json_decref(msg);
		server_error(req, "invalid", "\"args\" must be an object");
		return;
	}
	req->args = args != NULL ? json_incref(args) : json_object();
	json_decref(msg);
	api_dispatch(req);
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct client	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 len;

	c->refs++;
	while (!c->dead && !c->held &&
	    (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (len > 0)
			client_line(c, line, len);
		free(line);
		if (!c->dead && client_backlog(c) > SERVER_HIGH_WATER) {
			/* Its requests wait (in its socket) for it to read. */
			c->held = 1;
			bufferevent_disable(c->bev, EV_READ);
		}
	}
	if (!c->dead && !c->held && evbuffer_get_length(in) > SERVER_MAX_LINE) {
		log_warn("client request line too long, disconnected");
		client_close(c);
	}
	client_unref(c);
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_close(arg);
}

static void
server_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct client	*c;
	struct ucred	 cred;
	socklen_t	 len = sizeof cred;
	static unsigned long refused;

	/*
	 * The socket is 0600 in a 0700 directory; the peer's credentials are
	 * checked as well, so a mode loosened by hand opens nothing.
	 */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		if (refused++ % 100 == 0)
			log_warn("refused an API client: uid %ld is not root "
			    "(%lu refused so far)", len == sizeof cred ?
			    (long)cred.uid : -1L, refused);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->refs = 1;
	c->bev = bufferevent_socket_new(xend_base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, client_read_cb, client_write_cb,
	    client_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, SERVER_LOW_WATER, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&clients, c, entry);
	if (accept_paused) {
		log_info("accepting connections again (%lu refused while out "
		    "of file descriptors)", accept_failed);
		accept_paused = 0;
		accept_failed = 0;
	}
}

static void
server_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	if (listener != NULL)
		evconnlistener_enable(listener);
}

/*
 * accept failed.  Out of descriptors (or memory) the pending connection
 * stays in the backlog and the socket stays readable: retrying at once
 * would spin, so accepts pause a moment, and the log says so once until
 * a connection is accepted again.
 */
static void
server_listener_error(struct evconnlistener *l, void *arg)
{
	struct timeval	 tv = { 0, SERVER_ACCEPT_PAUSE_MS * 1000 };
	int		 err = errno;

	if (err != EMFILE && err != ENFILE && err != ENOBUFS &&
	    err != ENOMEM) {
		log_warn("accept: %s", strerror(err));
		return;
	}
	if (!accept_paused)
		log_warn("accept: %s; pausing accepts until descriptors are "
		    "free", strerror(err));
	accept_paused = 1;
	accept_failed++;
	evconnlistener_disable(l);
	if (accept_ev == NULL)
		accept_ev = evtimer_new(xend_base, server_accept_resume, NULL);
	evtimer_add(accept_ev, &tv);
}

void
server_init(void)
{
	char	*cause, *dir, *slash;
	int	 fd;

	dir = xstrdup(xend_cfg.unix_path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		/* Only root's: DESIGN's "0600 in a 0700 directory". */
		if (mkdir_p(dir, 0700, &cause) != 0)
			fatalx("%s", cause);
	}
	free(dir);
	if ((fd = unix_listen(xend_cfg.unix_path, &cause)) == -1)
		fatalx("cannot listen: %s", cause);
	listener = evconnlistener_new(xend_base, server_accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (listener == NULL)
		fatalx("evconnlistener_new failed");
	evconnlistener_set_error_cb(listener, server_listener_error);
	events_subscribe(api_event, NULL);
	log_info("listening on %s", xend_cfg.unix_path);
}

void
server_close(void)
{
	struct client	*c;

	if (listener != NULL) {
		evconnlistener_free(listener);
		listener = NULL;
		unlink(xend_cfg.unix_path);
	}
	if (accept_ev != NULL) {
		event_free(accept_ev);
		accept_ev = NULL;
	}
	while ((c = TAILQ_FIRST(&clients)) != NULL)
		client_close(c);
}
