/*
 * relocate.c: the relocation server (xend-relocation-server, -address,
 * -port, -hosts-allow) and the connections migrations use, both ways.
 *
 * Every connection starts with one JSON line.  {"op": "migrate.stream",
 * "token": T} makes it a migration stream: the rest of it is QEMU's, so
 * the line is read without reading past it and the socket goes to the
 * target QEMU (save.c).  {"op": "migrate.nbd", "token": T} makes it a
 * disk copy's (--copy-storage): migrate.c splices it to the target QEMU's
 * NBD server, which listens only on a unix socket in the domain's dir, so
 * NBD is reached only through this token-checked door, never on a port of
 * its own.  Anything else makes it a control connection:
 * JSON lines both ways, one reply per request (save.c's migrate_in_*).
 *
 * A peer that hosts-allow does not let in is refused before any line is
 * read: one error line, the connection closed, a warning in the log and
 * in xm dmesg.  Patterns match the peer's numeric address or, failing
 * that, its name (a reverse lookup: keep names in /etc/hosts).
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "xen-common.h"
#include "hostsallow.h"
#include "xend.h"

#define RELOC_LINE_MAX		(4 * 1024 * 1024)
#define RELOC_FIRST_MAX		4096	/* a first line longer: refused */
#define RELOC_FIRST_SECONDS	10
/* A peer that stops answering (a cut network) is given up in ~10 s. */
#define RELOC_KEEPIDLE		3
#define RELOC_KEEPINTVL		2
#define RELOC_KEEPCNT		3
#define RELOC_USER_TIMEOUT_MS	10000

struct rconn {
	int			 fd;
	char			*peer;
	struct event		*first_ev;	/* waiting for the first line */
	struct bufferevent	*bev;		/* control, once known */
	rconn_line_cb		 line_cb;
	rconn_closed_cb		 closed_cb;
	void			*arg;
	int			 closed;
	int			 in_cb;		/* free after the callback */
	int			 dead;
};

static struct evconnlistener	*reloc_listener;
static const struct relocate_handlers *reloc_handlers;
static struct hostsallow	*reloc_allow;

static void	rconn_read_cb(struct bufferevent *, void *);
static void	rconn_event_cb(struct bufferevent *, short, void *);

static char *
peer_string(const struct sockaddr *sa, socklen_t len, int flags)
{
	char	 host[NI_MAXHOST];

	if (getnameinfo(sa, len, host, sizeof host, NULL, 0, flags) != 0)
		return (NULL);
	return (xstrdup(host));
}

/* Whether a peer may come in; *who says who it is (caller frees). */
static int
reloc_allowed(const struct sockaddr *sa, socklen_t len, char **who)
{
	char	*addr, *name;
	int	 ok;

	addr = peer_string(sa, len, NI_NUMERICHOST);
	if (addr == NULL)
		addr = xstrdup("?");
	*who = addr;
	/* Empty lets every host in, as Xen's does (docs/SECURITY.md). */
	if (hostsallow_count(reloc_allow) == 0 ||
	    hostsallow_match(reloc_allow, addr))
		return (1);
	if ((name = peer_string(sa, len, NI_NAMEREQD)) == NULL)
		return (0);
	ok = hostsallow_match(reloc_allow, name);
	*who = xsprintf("%s (%s)", addr, name);
	free(addr);
	free(name);
	return (ok);
}

void
rconn_send(struct rconn *rc, json_t *msg)
{
	char	*text;

	if (rc->closed || rc->bev == NULL) {
		json_decref(msg);
		return;
	}
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (text == NULL)
		fatalx("json_dumps failed");
	log_debug("relocation -> %s: %.200s", rc->peer, text);
	bufferevent_write(rc->bev, text, strlen(text));
	bufferevent_write(rc->bev, "\n", 1);
	free(text);
}

void
rconn_error(struct rconn *rc, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	rconn_send(rc, json_pack("{s:s}", "error", msg));
	free(msg);
}

const char *
rconn_peer(const struct rconn *rc)
{
	return (rc->peer);
}

void
rconn_set_cb(struct rconn *rc, rconn_line_cb line, rconn_closed_cb closed,
    void *arg)
{
	rc->line_cb = line;
	rc->closed_cb = closed;
	rc->arg = arg;
}

void
rconn_free(struct rconn *rc)
{
	if (rc == NULL)
		return;
	if (rc->in_cb) {
		/* From inside one of its callbacks: rconn_read_cb frees it. */
		rc->dead = rc->closed = 1;
		rc->line_cb = NULL;
		rc->closed_cb = NULL;
		if (rc->bev != NULL)
			bufferevent_disable(rc->bev, EV_READ | EV_WRITE);
		return;
	}
	if (rc->first_ev != NULL)
		event_free(rc->first_ev);
	if (rc->bev != NULL)
		bufferevent_free(rc->bev);	/* closes fd */
	else if (rc->fd != -1)
		close(rc->fd);
	free(rc->peer);
	free(rc);
}

/* Closes once what is queued has gone out. */
static void
rconn_flush_close_cb(struct bufferevent *bev, void *arg)
{
	rconn_free(arg);
}

void
rconn_close_after_send(struct rconn *rc)
{
	rc->closed = 1;
	rc->line_cb = NULL;
	rc->closed_cb = NULL;
	if (rc->bev == NULL ||
	    evbuffer_get_length(bufferevent_get_output(rc->bev)) == 0) {
		rconn_free(rc);
		return;
	}
	bufferevent_disable(rc->bev, EV_READ);
	bufferevent_setcb(rc->bev, NULL, rconn_flush_close_cb, NULL, rc);
}

static void
rconn_lost(struct rconn *rc, const char *why)
{
	rconn_closed_cb	 cb = rc->closed_cb;

	if (rc->closed)
		return;
	rc->closed = 1;
	bufferevent_disable(rc->bev, EV_READ | EV_WRITE);
	log_info("relocation: %s: connection %s", rc->peer, why);
	rc->closed_cb = NULL;
	rc->line_cb = NULL;
	if (cb != NULL)
		cb(rc, rc->arg);	/* frees rc, or leaves it to us */
}

static void
rconn_read_cb(struct bufferevent *bev, void *arg)
{
	struct rconn	*rc = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 len;
	json_t		*msg;

	rc->in_cb++;
	while (!rc->closed &&
	    (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		msg = json_loadb(line, len, 0, NULL);
		free(line);
		if (!json_is_object(msg)) {
			json_decref(msg);
			rconn_error(rc, "bad json");
			continue;
		}
		log_debug("relocation <- %s: %.200s", rc->peer, "(line)");
		if (rc->line_cb != NULL)
			rc->line_cb(rc, msg, rc->arg);
		json_decref(msg);
	}
	if (!rc->closed && evbuffer_get_length(in) > RELOC_LINE_MAX)
		rconn_lost(rc, "sent a line too long");
	if (--rc->in_cb == 0 && rc->dead) {
		rc->dead = 0;
		rconn_free(rc);
	}
}

static void
rconn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct rconn	*rc = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		rc->in_cb++;
		rconn_lost(rc, (what & BEV_EVENT_EOF) ? "closed" : "failed");
		if (--rc->in_cb == 0 && rc->dead) {
			rc->dead = 0;
			rconn_free(rc);
		}
	}
}

/*
 * Keepalives and a bound on unacknowledged data, so a control connection
 * over a network that went away ends (and the migration with it) instead
 * of waiting for ever.
 */
static void
reloc_keepalive(int fd)
{
	int	 on = 1, idle = RELOC_KEEPIDLE, intvl = RELOC_KEEPINTVL;
	int	 cnt = RELOC_KEEPCNT;
	unsigned int ut = RELOC_USER_TIMEOUT_MS;

	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof ut);
}

static struct rconn *
rconn_new(int fd, const char *peer)
{
	struct rconn	*rc = xcalloc(1, sizeof *rc);

	rc->fd = fd;
	rc->peer = xstrdup(peer);
	reloc_keepalive(fd);
	return (rc);
}

static void
rconn_start_control(struct rconn *rc)
{
	fd_set_nonblock(rc->fd);
	rc->bev = bufferevent_socket_new(xend_base, rc->fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (rc->bev == NULL)
		fatalx("bufferevent_socket_new failed");
	bufferevent_setcb(rc->bev, rconn_read_cb, NULL, rconn_event_cb, rc);
	bufferevent_enable(rc->bev, EV_READ | EV_WRITE);
}

/* The first line: peeked, then read exactly, so no stream byte is lost. */
static void
reloc_first_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rconn	*rc = arg;
	char		 buf[RELOC_FIRST_MAX + 1], *nl;
	ssize_t		 n;
	json_t		*msg;
	const char	*op;

	if (what & EV_TIMEOUT) {
		log_warn("relocation: %s: no request in %d s", rc->peer,
		    RELOC_FIRST_SECONDS);
		rconn_free(rc);
		return;
	}
	n = recv(fd, buf, RELOC_FIRST_MAX, MSG_PEEK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		rconn_free(rc);
		return;
	}
	buf[n] = '\0';
	if ((nl = memchr(buf, '\n', n)) == NULL) {
		if (n == RELOC_FIRST_MAX) {
			log_warn("relocation: %s: first line too long",
			    rc->peer);
			rconn_free(rc);
		}
		return;
	}
	if (recv(fd, buf, nl - buf + 1, 0) != nl - buf + 1) {
		rconn_free(rc);
		return;
	}
	event_free(rc->first_ev);
	rc->first_ev = NULL;
	msg = json_loadb(buf, nl - buf, 0, NULL);
	op = json_string_value(json_object_get(msg, "op"));
	if (op != NULL && (strcmp(op, "migrate.stream") == 0 ||
	    strcmp(op, "migrate.nbd") == 0)) {
		/* The socket is the stream's (a disk copy's) now: migrate.c's. */
		(strcmp(op, "migrate.nbd") == 0 ? reloc_handlers->nbd :
		    reloc_handlers->stream)(json_string_value(json_object_get(
		    msg, "token")), rc->fd, rc->peer);
		rc->fd = -1;
		rconn_free(rc);
		json_decref(msg);
		return;
	}
	rconn_start_control(rc);
	rconn_set_cb(rc, reloc_handlers->line, reloc_handlers->closed, NULL);
	if (msg != NULL)
		reloc_handlers->line(rc, msg, NULL);
	else
		rconn_error(rc, "bad json");
	json_decref(msg);
}

static void
reloc_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
	struct rconn	*rc;
	struct timeval	 tv = { RELOC_FIRST_SECONDS, 0 };
	char		*who, *msg;
	int		 one = 1;

	fd_set_cloexec(fd);
	if (!reloc_allowed(sa, len, &who)) {
		log_warn("relocation: refused %s: not in "
		    "xend-relocation-hosts-allow", who);
		dmesg_add("relocation: refused %s: not in "
		    "xend-relocation-hosts-allow", who);
		msg = xsprintf("{\"error\":\"refused: this host does not "
		    "accept migrations from %s (xend-relocation-hosts-allow)"
		    "\"}\n", who);
		(void)!write(fd, msg, strlen(msg));
		free(msg);
		free(who);
		close(fd);
		return;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	log_info("relocation: connection from %s", who);
	rc = rconn_new(fd, who);
	free(who);
	rc->first_ev = event_new(xend_base, fd, EV_READ | EV_PERSIST,
	    reloc_first_cb, rc);
	event_add(rc->first_ev, &tv);
}

int
relocate_init(const struct relocate_handlers *h, char **cause)
{
	struct addrinfo	 hints, *res, *ai;
	char		 port[16];
	const char	*addr = xend_cfg.relocation_address;
	int		 r;

	reloc_handlers = h;
	if (!xend_cfg.relocation_server)
		return (0);
	if (hostsallow_compile("xend-relocation-hosts-allow",
	    xend_cfg.relocation_hosts_allow, &reloc_allow, cause) != 0)
		return (-1);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(port, sizeof port, "%d", xend_cfg.relocation_port);
	if ((r = getaddrinfo(*addr != '\0' ? addr : NULL, port, &hints,
	    &res)) != 0) {
		*cause = xsprintf("xend-relocation-address %s: %s", addr,
		    gai_strerror(r));
		return (-1);
	}
	/* The first address that binds (IPv4 before IPv6 for "any"). */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		reloc_listener = evconnlistener_new_bind(xend_base,
		    reloc_accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE |
		    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 16,
		    ai->ai_addr, ai->ai_addrlen);
		if (reloc_listener != NULL)
			break;
	}
	freeaddrinfo(res);
	if (reloc_listener == NULL) {
		*cause = xsprintf("relocation server on %s port %d: %s",
		    *addr != '\0' ? addr : "*", xend_cfg.relocation_port,
		    strerror(errno));
		return (-1);
	}
	log_info("relocation server on %s port %d, hosts allowed: %s",
	    *addr != '\0' ? addr : "*", xend_cfg.relocation_port,
	    hostsallow_count(reloc_allow) > 0 ?
	    xend_cfg.relocation_hosts_allow : "all (empty hosts-allow)");
	return (0);
}

void
relocate_close(void)
{
	if (reloc_listener != NULL)
		evconnlistener_free(reloc_listener);
	reloc_listener = NULL;
	hostsallow_free(reloc_allow);
	reloc_allow = NULL;
}

/*
 * A TCP connection made on the loop (an unreachable host must not stall
 * xend): each address in turn, seconds each.
 */
struct rconnect {
	char			*host;
	int			 port;
	int			 seconds;
	struct addrinfo		*res, *ai;
	int			 fd;
	int			 err;
	struct event		*ev;
	relocate_connect_cb	 cb;
	void			*arg;
};

static void	rconnect_try(struct rconnect *);

static void
rconnect_done(struct rconnect *c, int fd, const char *gai)
{
	char	*cause = NULL;
	int	 one = 1;

	if (c->ev != NULL)
		event_free(c->ev);
	if (fd != -1) {
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof one);
		reloc_keepalive(fd);
	} else if (gai != NULL)
		cause = xsprintf("%s: %s", c->host, gai);
	else
		cause = xsprintf("%s port %d: %s", c->host, c->port,
		    strerror(c->err));
	c->cb(fd, cause, c->arg);
	free(cause);
	if (c->res != NULL)
		freeaddrinfo(c->res);
	free(c->host);
	free(c);
}

static void
rconnect_ready(evutil_socket_t fd, short what, void *arg)
{
	struct rconnect	*c = arg;
	socklen_t	 len = sizeof c->err;

	event_free(c->ev);
	c->ev = NULL;
	if (what & EV_TIMEOUT)
		c->err = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &c->err, &len) != 0)
		c->err = errno;
	if (c->err == 0) {
		rconnect_done(c, fd, NULL);
		return;
	}
	close(fd);
	c->ai = c->ai->ai_next;
	rconnect_try(c);
}

static void
rconnect_try(struct rconnect *c)
{
	struct timeval	 tv = { c->seconds, 0 };
	int		 fd;

	for (; c->ai != NULL; c->ai = c->ai->ai_next) {
		fd = socket(c->ai->ai_family, c->ai->ai_socktype |
		    SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd == -1) {
			c->err = errno;
			continue;
		}
		if (connect(fd, c->ai->ai_addr, c->ai->ai_addrlen) == 0) {
			rconnect_done(c, fd, NULL);
			return;
		}
		if (errno == EINPROGRESS) {
			c->ev = event_new(xend_base, fd, EV_WRITE,
			    rconnect_ready, c);
			event_add(c->ev, &tv);
			return;
		}
		c->err = errno;
		close(fd);
	}
	rconnect_done(c, -1, NULL);
}

static void
rconnect_start(evutil_socket_t unused, short what, void *arg)
{
	struct rconnect	*c = arg;
	struct addrinfo	 hints;
	char		 ports[16];
	int		 r;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ports, sizeof ports, "%d", c->port);
	if ((r = getaddrinfo(c->host, ports, &hints, &c->res)) != 0) {
		c->res = NULL;
		rconnect_done(c, -1, gai_strerror(r));
		return;
	}
	c->ai = c->res;
	c->err = ECONNREFUSED;
	rconnect_try(c);
}

void
relocate_connect(const char *host, int port, int seconds,
    relocate_connect_cb cb, void *arg)
{
	struct rconnect	*c = xcalloc(1, sizeof *c);
	struct timeval	 tv = { 0, 0 };

	c->host = xstrdup(host);
	c->port = port;
	c->seconds = seconds;
	c->cb = cb;
	c->arg = arg;
	/* Never from inside the caller: cb may end what called us. */
	event_base_once(xend_base, -1, EV_TIMEOUT, rconnect_start, c, &tv);
}

/*
 * Two sockets joined by two bufferevents: what one reads goes to the
 * other's output; a side whose peer has RSPLICE_HIGH queued stops reading
 * until it drains to half of that.  When either ends, what is queued for
 * the other is written before both close.
 */
#define RSPLICE_HIGH	(4 * 1024 * 1024)

struct rsplice {
	struct bufferevent	*bev[2];
	char			*peer;
	int			 closing;
};

static void
rsplice_free(struct rsplice *s)
{
	log_debug("relocation: %s: splice closed", s->peer);
	bufferevent_free(s->bev[0]);
	bufferevent_free(s->bev[1]);
	free(s->peer);
	free(s);
}

static struct bufferevent *
rsplice_other(struct rsplice *s, struct bufferevent *bev)
{
	return (s->bev[bev == s->bev[0]]);
}

static void
rsplice_read_cb(struct bufferevent *bev, void *arg)
{
	struct rsplice		*s = arg;
	struct bufferevent	*to = rsplice_other(s, bev);

	bufferevent_write_buffer(to, bufferevent_get_input(bev));
	if (evbuffer_get_length(bufferevent_get_output(to)) >= RSPLICE_HIGH)
		bufferevent_disable(bev, EV_READ);
}

/* bev's output fell to its low watermark: its peer may read again. */
static void
rsplice_write_cb(struct bufferevent *bev, void *arg)
{
	struct rsplice	*s = arg;

	if (!s->closing) {
		bufferevent_enable(rsplice_other(s, bev), EV_READ);
		return;
	}
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		rsplice_free(s);
}

static void
rsplice_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct rsplice		*s = arg;
	struct bufferevent	*to = rsplice_other(s, bev);

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (s->closing || (what & BEV_EVENT_ERROR) ||
	    evbuffer_get_length(bufferevent_get_output(to)) == 0) {
		rsplice_free(s);
		return;
	}
	/* The rest of what bev sent goes out first. */
	s->closing = 1;
	bufferevent_disable(bev, EV_READ | EV_WRITE);
	bufferevent_disable(to, EV_READ);
	bufferevent_setwatermark(to, EV_WRITE, 0, 0);
}

void
relocate_splice(int a, int b, const char *peer)
{
	struct rsplice	*s = xcalloc(1, sizeof *s);
	int		 fds[2] = { a, b }, i;

	s->peer = xstrdup(peer);
	for (i = 0; i < 2; i++) {
		fd_set_nonblock(fds[i]);
		s->bev[i] = bufferevent_socket_new(xend_base, fds[i],
		    BEV_OPT_CLOSE_ON_FREE);
		if (s->bev[i] == NULL)
			fatalx("bufferevent_socket_new failed");
		bufferevent_setcb(s->bev[i], rsplice_read_cb, rsplice_write_cb,
		    rsplice_event_cb, s);
		bufferevent_setwatermark(s->bev[i], EV_WRITE, RSPLICE_HIGH / 2,
		    0);
		bufferevent_enable(s->bev[i], EV_READ | EV_WRITE);
	}
	log_debug("relocation: %s: spliced", peer);
}

struct rconn *
relocate_control(int fd, const char *peer, rconn_line_cb line,
    rconn_closed_cb closed, void *arg)
{
	struct rconn	*rc = rconn_new(fd, peer);

	rconn_start_control(rc);
	rconn_set_cb(rc, line, closed, arg);
	return (rc);
}
