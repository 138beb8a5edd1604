/*
 * listen.c: a console's listening sockets.  A port that cannot be bound
 * yet (still held by someone) is retried every few seconds rather than
 * failing the console; running out of descriptors pauses accepting for a
 * second instead of spinning.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "xen-common.h"
#include "consoled.h"

#define LISTEN_RETRY_S	2

struct listener {
	char			*addr;		/* NULL: unix socket */
	int			 port;
	char			*path;
	listener_cb		 cb;
	void			*arg;
	struct evconnlistener	*l;
	struct event		*retry_ev;
	int			 warned;
	long			 holder;	/* uid on our port, or -1 */
};

static void	listener_try(struct listener *);

static char *
peer_unix(int fd)
{
	struct ucred	 cr;
	socklen_t	 len = sizeof cr;
	char		*path, *comm = NULL, *why, *s;
	size_t		 n;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0)
		return (xstrdup("unix"));
	path = xsprintf("/proc/%d/comm", (int)cr.pid);
	if (file_read(path, &comm, &n, &why) != 0) {
		free(why);
		comm = NULL;
	} else
		comm[strcspn(comm, "\n")] = '\0';
	free(path);
	s = xsprintf("%s (pid %d, uid %d)", comm != NULL ? comm : "?",
	    (int)cr.pid, (int)cr.uid);
	free(comm);
	return (s);
}

static char *
peer_inet(const struct sockaddr *sa, int len, char *host, size_t hostlen)
{
	char	 serv[NI_MAXSERV];

	if (getnameinfo(sa, len, host, hostlen, serv, sizeof serv,
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(host, hostlen, "?");
		return (xstrdup("?"));
	}
	if (sa->sa_family == AF_INET6)
		return (xsprintf("[%s]:%s", host, serv));
	return (xsprintf("%s:%s", host, serv));
}

static void
listener_accept(struct evconnlistener *el, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
	struct listener	*l = arg;
	char		*peer, host[NI_MAXHOST] = "";

	fd_set_cloexec(fd);
	fd_set_nonblock(fd);
	if (l->addr == NULL)
		peer = peer_unix(fd);
	else
		peer = peer_inet(sa, len, host, sizeof host);
	l->cb(l->arg, fd, host, peer);
	free(peer);
}

static void
listener_resume(evutil_socket_t fd, short what, void *arg)
{
	struct listener	*l = arg;

	if (l->l != NULL)
		evconnlistener_enable(l->l);
	else
		listener_try(l);
}

static void
listener_error(struct evconnlistener *el, void *arg)
{
	struct listener	*l = arg;
	struct timeval	 tv = { 1, 0 };
	int		 e = EVUTIL_SOCKET_ERROR();

	log_warn("accept on %s: %s; pausing for a second",
	    l->addr != NULL ? l->addr : l->path, strerror(e));
	evconnlistener_disable(el);
	evtimer_add(l->retry_ev, &tv);
}

/*
 * Our port is taken: by whom?  A user who binds a domain's port before we
 * do serves whatever he likes there (a fake login: prompt), so say who.
 */
static void
listener_find_holder(struct listener *l)
{
	uid_t	 uid;
	char	*cause;
	long	 was = l->holder;

	if (sockdiag_listener_uid(l->port, &uid, &cause) != 0) {
		free(cause);
		l->holder = -1;
		return;
	}
	l->holder = uid;
	if (l->holder != was)
		log_warn("port %d is held by uid %ld, not xenconsoled: "
		    "clients there do not reach the console; xm list shows "
		    "no port until it is free", l->port, l->holder);
}

static int
listen_inet(const char *addr, int port, char **cause)
{
	struct addrinfo	 hints, *ai;
	char		 serv[16];
	int		 fd, one = 1, r, e;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(serv, sizeof serv, "%d", port);
	if ((r = getaddrinfo(*addr != '\0' ? addr : NULL, serv, &hints,
	    &ai)) != 0) {
		*cause = xsprintf("%s: %s", addr, gai_strerror(r));
		return (-1);
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		*cause = xsprintf("socket: %s", strerror(errno));
		freeaddrinfo(ai);
		return (-1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, 128) != 0) {
		e = errno;
		*cause = xsprintf("%s port %d: %s", addr, port, strerror(e));
		close(fd);
		freeaddrinfo(ai);
		errno = e;	/* EADDRINUSE: the caller looks for who */
		return (-1);
	}
	freeaddrinfo(ai);
	return (fd);
}

static void
listener_try(struct listener *l)
{
	struct timeval	 tv = { LISTEN_RETRY_S, 0 };
	char		*cause;
	int		 fd;

	if (l->addr != NULL)
		fd = listen_inet(l->addr, l->port, &cause);
	else
		fd = unix_listen(l->path, &cause);
	if (fd == -1) {
		if (l->addr != NULL && errno == EADDRINUSE)
			listener_find_holder(l);
		if (!l->warned)
			log_warn("cannot listen: %s; retrying every %d s",
			    cause, LISTEN_RETRY_S);
		l->warned = 1;
		free(cause);
		evtimer_add(l->retry_ev, &tv);
		return;
	}
	if (l->warned)
		log_info("listening on %s port %d at last",
		    l->addr != NULL ? l->addr : l->path, l->port);
	l->warned = 0;
	l->holder = -1;
	l->l = evconnlistener_new(cd_base, listener_accept, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (l->l == NULL)
		fatalx("evconnlistener_new failed");
	evconnlistener_set_error_cb(l->l, listener_error);
}

struct listener *
listener_new(const char *addr, int port, const char *path, listener_cb cb,
    void *arg)
{
	struct listener	*l = xcalloc(1, sizeof *l);

	l->addr = addr != NULL ? xstrdup(addr) : NULL;
	l->port = port;
	l->path = path != NULL ? xstrdup(path) : NULL;
	l->cb = cb;
	l->arg = arg;
	l->holder = -1;
	l->retry_ev = evtimer_new(cd_base, listener_resume, l);
	listener_try(l);
	return (l);
}

void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	if (l->l != NULL) {
		evconnlistener_free(l->l);
		if (l->addr == NULL)
			unlink(l->path);
	}
	event_free(l->retry_ev);
	free(l->addr);
	free(l->path);
	free(l);
}

long
listener_holder(const struct listener *l)
{
	return (l->l != NULL ? -1 : l->holder);
}

int
listener_up(const struct listener *l)
{
	return (l->l != NULL);
}

void
listener_retry(struct listener *l)
{
	if (l->l == NULL && !evtimer_pending(l->retry_ev, NULL))
		listener_try(l);
}
