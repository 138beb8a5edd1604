/*
 * rpcev.c: the libevent side of rpc.h: the server (listener, framing of
 * requests, back-pressure, event fan-out) and the read event of an
 * asynchronous client.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "xen-common.h"
#include "rpc.h"
#include "rpc-int.h"

struct rpc_conn {
	int			 refs;
	int			 dead;
	int			 subscribed;
	int			 held;		/* reading stopped: backlog */
	struct rpc_server	*srv;
	struct bufferevent	*bev;
	TAILQ_ENTRY(rpc_conn)	 entry;
};

struct rpc_server {
	struct event_base	*base;
	struct rpc_limits	 lim;
	char			*path;
	rpc_request_cb		 cb;
	void			*arg;
	struct evconnlistener	*listener;
	struct event		*accept_ev;	/* resumes accepting */
	int			 accept_paused;
	unsigned long		 accept_failed;	/* while paused, for the log */
	unsigned long		 refused;	/* SO_PEERCRED */
	TAILQ_HEAD(, rpc_conn)	 conns;
};

static void	rpc_conn_read_cb(struct bufferevent *, void *);

void
rpc_conn_ref(struct rpc_conn *c)
{
	c->refs++;
}

void
rpc_conn_unref(struct rpc_conn *c)
{
	if (--c->refs > 0)
		return;
	free(c);
}

int
rpc_conn_dead(const struct rpc_conn *c)
{
	return (c->dead);
}

void
rpc_conn_subscribe(struct rpc_conn *c)
{
	if (!c->dead)
		c->subscribed = 1;
}

static void
rpc_conn_close(struct rpc_conn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	TAILQ_REMOVE(&c->srv->conns, c, entry);
	bufferevent_free(c->bev);
	c->bev = NULL;
	rpc_conn_unref(c);
}

static size_t
rpc_conn_backlog(struct rpc_conn *c)
{
	return (evbuffer_get_length(bufferevent_get_output(c->bev)));
}

/* Sends one line (freed). */
static void
rpc_conn_write(struct rpc_conn *c, char *line)
{
	if (c != NULL && !c->dead) {
		bufferevent_write(c->bev, line, strlen(line));
		if (rpc_conn_backlog(c) > c->srv->lim.max_backlog) {
			log_warn("client not reading its events, "
			    "disconnected");
			rpc_conn_close(c);
		}
	}
	free(line);
}

void
rpc_conn_reply(struct rpc_conn *c, json_t *id, json_t *result)
{
	rpc_conn_write(c, rpc_reply_text(id, result));
}

void
rpc_conn_error(struct rpc_conn *c, json_t *id, const char *code,
    char *message)
{
	rpc_conn_write(c, rpc_error_text(id, code, message));
}

void
rpc_server_event(struct rpc_server *srv, json_t *msg)
{
	struct rpc_conn	*c, *next;
	char		*text;

	if ((text = json_dumps(msg, JSON_COMPACT)) == NULL)
		fatalx("json_dumps failed");
	TAILQ_FOREACH_SAFE(c, &srv->conns, entry, next) {
		if (c->subscribed)
			rpc_conn_write(c, xsprintf("%s\n", text));
	}
	free(text);
}

/* Replies drained below the low water mark: read requests again. */
static void
rpc_conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct rpc_conn	*c = arg;

	if (!c->held || c->dead)
		return;
	c->held = 0;
	bufferevent_enable(c->bev, EV_READ);
	rpc_conn_read_cb(c->bev, c);
}

static void
rpc_conn_line(struct rpc_conn *c, const char *line, size_t len)
{
	json_t	*id, *args;
	char	*op, *cause;

	if (rpc_request_parse(line, len, &id, &op, &args, &cause) != 0) {
		log_debug("?: %s: %s", RPC_E_INVALID, cause);
		rpc_conn_error(c, id, RPC_E_INVALID, cause);
		free(cause);
	} else
		c->srv->cb(c, id, op, args, c->srv->arg);
	json_decref(id);
	json_decref(args);
	free(op);
}

static void
rpc_conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct rpc_conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 len;

	c->refs++;
	while (!c->dead && !c->held &&
	    (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (len > 0)
			rpc_conn_line(c, line, len);
		free(line);
		if (!c->dead && c->srv->lim.high_water != 0 &&
		    rpc_conn_backlog(c) > c->srv->lim.high_water) {
			/* Its requests wait (in its socket) for it to read. */
			c->held = 1;
			bufferevent_disable(c->bev, EV_READ);
		}
	}
	if (!c->dead && !c->held &&
	    evbuffer_get_length(in) > c->srv->lim.max_line) {
		log_warn("client request line too long, disconnected");
		rpc_conn_close(c);
	}
	rpc_conn_unref(c);
}

static void
rpc_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		rpc_conn_close(arg);
}

static void
rpc_server_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct rpc_server	*srv = arg;
	struct rpc_conn		*c;
	struct ucred		 cred;
	socklen_t		 len = sizeof cred;

	/*
	 * The socket is 0600 in a 0700 directory; the peer's credentials are
	 * checked as well, so a mode loosened by hand opens nothing.
	 */
	if (srv->lim.peercred && (getsockopt(fd, SOL_SOCKET, SO_PEERCRED,
	    &cred, &len) == -1 || (cred.uid != 0 && cred.uid != geteuid()))) {
		if (srv->refused++ % 100 == 0)
			log_warn("refused an %s: uid %ld is not root "
			    "(%lu refused so far)", srv->lim.what,
			    len == sizeof cred ? (long)cred.uid : -1L,
			    srv->refused);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->refs = 1;
	c->srv = srv;
	c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, rpc_conn_read_cb, rpc_conn_write_cb,
	    rpc_conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, srv->lim.low_water, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	if (srv->accept_paused) {
		log_info("accepting connections again (%lu refused while out "
		    "of file descriptors)", srv->accept_failed);
		srv->accept_paused = 0;
		srv->accept_failed = 0;
	}
}

static void
rpc_server_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct rpc_server	*srv = arg;

	evconnlistener_enable(srv->listener);
}

/*
 * accept failed.  Out of descriptors (or memory) the pending connection
 * stays in the backlog and the socket stays readable: retrying at once
 * would spin, so accepts pause a moment, and the log says so once until
 * a connection is accepted again.
 */
static void
rpc_server_error_cb(struct evconnlistener *l, void *arg)
{
	struct rpc_server	*srv = arg;
	struct timeval		 tv;
	int			 err = errno;

	if (err != EMFILE && err != ENFILE && err != ENOBUFS &&
	    err != ENOMEM) {
		log_warn("accept: %s", strerror(err));
		return;
	}
	if (!srv->accept_paused)
		log_warn("accept: %s; pausing accepts until descriptors are "
		    "free", strerror(err));
	srv->accept_paused = 1;
	srv->accept_failed++;
	evconnlistener_disable(l);
	if (srv->accept_ev == NULL)
		srv->accept_ev = evtimer_new(srv->base,
		    rpc_server_accept_resume, srv);
	tv.tv_sec = srv->lim.accept_pause_ms / 1000;
	tv.tv_usec = (srv->lim.accept_pause_ms % 1000) * 1000;
	evtimer_add(srv->accept_ev, &tv);
}

struct rpc_server *
rpc_server_new(struct event_base *base, const char *path,
    const struct rpc_limits *lim, rpc_request_cb cb, void *arg, char **cause)
{
	struct rpc_server	*srv;
	int			 fd;

	if ((fd = unix_listen(path, cause)) == -1)
		return (NULL);
	srv = xcalloc(1, sizeof *srv);
	srv->base = base;
	srv->lim = *lim;
	srv->path = xstrdup(path);
	srv->cb = cb;
	srv->arg = arg;
	TAILQ_INIT(&srv->conns);
	srv->listener = evconnlistener_new(base, rpc_server_accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (srv->listener == NULL)
		fatalx("evconnlistener_new failed");
	evconnlistener_set_error_cb(srv->listener, rpc_server_error_cb);
	return (srv);
}

void
rpc_server_free(struct rpc_server *srv)
{
	struct rpc_conn	*c;

	if (srv == NULL)
		return;
	evconnlistener_free(srv->listener);
	unlink(srv->path);
	if (srv->accept_ev != NULL)
		event_free(srv->accept_ev);
	while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
		rpc_conn_close(c);
	free(srv->path);
	free(srv);
}

/* ---- The asynchronous client's read event ---- */

static void
rpc_client_read_cb(evutil_socket_t fd, short what, void *arg)
{
	rpc_client_read(arg);
}

static void
rpc_client_ev_free(void *ev)
{
	event_free(ev);
}

void
rpc_client_attach(struct rpc_client *c, struct event_base *base)
{
	c->ev = event_new(base, c->lines.fd, EV_READ | EV_PERSIST,
	    rpc_client_read_cb, c);
	c->ev_free = rpc_client_ev_free;
	event_add(c->ev, NULL);
}
