/*
 * sockdiag.c: who owns the other end of a local TCP connection, and who
 * holds a listening port, asked of the kernel through NETLINK_SOCK_DIAG
 * (inet_diag, what ss(8) uses; no privilege needed).
 *
 * A socket's uid is the fsuid of the process that created it (for one
 * not accepted yet, its listener's).  Request and TIME_WAIT sockets have
 * no owner and report uid 0 with no inode: so uid 0 counts only from a
 * socket a process holds (inode != 0); any other uid is a real owner.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "consoled.h"

#define SOCKDIAG_BUF	16384

/* An IPv4-mapped IPv6 address as the IPv4 address it is. */
static void
sockdiag_unmap(struct sockaddr_storage *ss)
{
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in	 s4;

	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return;
	memset(&s4, 0, sizeof s4);
	s4.sin_family = AF_INET;
	s4.sin_port = s6->sin6_port;
	memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof *ss);
	memcpy(ss, &s4, sizeof s4);
}

static void
sockdiag_put(const struct sockaddr_storage *ss, __be16 *port, __be32 *addr)
{
	const struct sockaddr_in	*s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		*port = s4->sin_port;
		memcpy(addr, &s4->sin_addr, 4);
	} else {
		*port = s6->sin6_port;
		memcpy(addr, &s6->sin6_addr, 16);
	}
}

static int
sockdiag_open(char **cause)
{
	int	 fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd == -1)
		*cause = xsprintf("sock_diag: %s", strerror(errno));
	return (fd);
}

/*
 * Sends req and reads the answers: calls found for each inet_diag_msg
 * until it returns non-zero or the answers end.  0 if found said so,
 * 1 if nothing matched, -1 on error.
 */
static int
sockdiag_ask(int fd, const void *req, size_t len,
    int (*found)(const struct inet_diag_msg *, void *), void *arg,
    char **cause)
{
	char			*buf;
	struct nlmsghdr		*h;
	struct nlmsgerr		*err;
	ssize_t			 n;
	int			 rc = 1;

	if (send(fd, req, len, 0) != (ssize_t)len) {
		*cause = xsprintf("sock_diag: send: %s", strerror(errno));
		return (-1);
	}
	buf = xmalloc(SOCKDIAG_BUF);
	for (;;) {
		n = recv(fd, buf, SOCKDIAG_BUF, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			*cause = xsprintf("sock_diag: recv: %s", n == 0 ?
			    "end of file" : strerror(errno));
			rc = -1;
			break;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		    h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				goto out;
			if (h->nlmsg_type == NLMSG_ERROR) {
				err = NLMSG_DATA(h);
				if (err->error == -ENOENT)
					goto out;	/* no such socket */
				*cause = xsprintf("sock_diag: %s",
				    strerror(-err->error));
				rc = -1;
				goto out;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof
			    (struct inet_diag_msg)))
				continue;
			if (rc == 1 && found(NLMSG_DATA(h), arg) != 0)
				rc = 0;
			/* An exact lookup answers once, without DONE. */
			if (!(h->nlmsg_flags & NLM_F_MULTI))
				goto out;
		}
	}
out:
	free(buf);
	return (rc);
}

struct sockdiag_owner {
	uid_t	 uid;
	int	 state;
	int	 held;		/* inode != 0: a process has it */
};

static int
sockdiag_found_one(const struct inet_diag_msg *m, void *arg)
{
	struct sockdiag_owner	*o = arg;

	o->uid = m->idiag_uid;
	o->state = m->idiag_state;
	o->held = m->idiag_inode != 0;
	return (1);
}

int
sockdiag_peer_uid(int fd, int wait_ms, uid_t *uid, char **cause)
{
	struct sockaddr_storage		 mine, peer;
	socklen_t			 len;
	struct {
		struct nlmsghdr		 nlh;
		struct inet_diag_req_v2	 r;
	}				 req;
	struct sockdiag_owner		 o;
	int				 nl, rc, tries;

	len = sizeof mine;
	memset(&mine, 0, sizeof mine);
	if (getsockname(fd, (struct sockaddr *)&mine, &len) != 0) {
		*cause = xsprintf("getsockname: %s", strerror(errno));
		return (-1);
	}
	len = sizeof peer;
	memset(&peer, 0, sizeof peer);
	if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0) {
		*cause = xsprintf("getpeername: %s", strerror(errno));
		return (-1);
	}
	sockdiag_unmap(&mine);
	sockdiag_unmap(&peer);
	if (mine.ss_family != peer.ss_family ||
	    (mine.ss_family != AF_INET && mine.ss_family != AF_INET6)) {
		*cause = xstrdup("not a TCP connection");
		return (-1);
	}

	/* The peer's socket: its local end is our peer, its remote us. */
	memset(&req, 0, sizeof req);
	req.nlh.nlmsg_len = sizeof req;
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = mine.ss_family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0U;
	sockdiag_put(&peer, &req.r.id.idiag_sport, req.r.id.idiag_src);
	sockdiag_put(&mine, &req.r.id.idiag_dport, req.r.id.idiag_dst);
	if (mine.ss_family == AF_INET6)
		req.r.id.idiag_if =
		    ((struct sockaddr_in6 *)&peer)->sin6_scope_id;
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

	if ((nl = sockdiag_open(cause)) == -1)
		return (-1);
	/*
	 * A client's connect() can return before the server's socket is
	 * more than a request, or accepted: wait for it, if asked to.
	 */
	for (tries = 0; ; tries++) {
		memset(&o, 0, sizeof o);
		rc = sockdiag_ask(nl, &req, sizeof req, sockdiag_found_one, &o,
		    cause);
		if (rc != 0 || o.held || o.uid != 0 || tries * 2 >= wait_ms)
			break;
		usleep(2000);
	}
	close(nl);
	if (rc == -1)
		return (-1);
	if (rc == 1) {
		*cause = xstrdup("no such socket on this host");
		return (-1);
	}
	if (!o.held && o.uid == 0) {
		*cause = xstrdup("the peer's socket is held by no process");
		return (-1);
	}
	*uid = o.uid;
	return (0);
}

struct sockdiag_port {
	int	 port;
	uid_t	 uid;
};

static int
sockdiag_found_port(const struct inet_diag_msg *m, void *arg)
{
	struct sockdiag_port	*p = arg;

	if (ntohs(m->id.idiag_sport) != p->port || m->idiag_inode == 0)
		return (0);
	p->uid = m->idiag_uid;
	return (1);
}

int
sockdiag_listener_uid(int port, uid_t *uid, char **cause)
{
	struct {
		struct nlmsghdr		 nlh;
		struct inet_diag_req_v2	 r;
	}				 req;
	struct sockdiag_port		 p;
	static const int		 families[] = { AF_INET, AF_INET6 };
	size_t				 i;
	int				 nl, rc = 1;

	if ((nl = sockdiag_open(cause)) == -1)
		return (-1);
	p.port = port;
	for (i = 0; i < nitems(families) && rc == 1; i++) {
		memset(&req, 0, sizeof req);
		req.nlh.nlmsg_len = sizeof req;
		req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
		req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		req.r.sdiag_family = families[i];
		req.r.sdiag_protocol = IPPROTO_TCP;
		req.r.idiag_states = 1U << TCP_LISTEN;
		rc = sockdiag_ask(nl, &req, sizeof req, sockdiag_found_port,
		    &p, cause);
	}
	close(nl);
	if (rc == 1)
		*cause = xsprintf("nobody listens on port %d", port);
	if (rc != 0)
		return (-1);
	*uid = p.uid;
	return (0);
}

int
sockdiag_addr_local(const struct sockaddr *sa)
{
	struct sockaddr_storage	 ss;
	struct ifaddrs		*ifa, *i;
	const struct sockaddr_in *a4, *b4;
	const struct sockaddr_in6 *a6, *b6;
	int			 local = 0;

	memset(&ss, 0, sizeof ss);
	memcpy(&ss, sa, sa->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	sockdiag_unmap(&ss);
	a4 = (const struct sockaddr_in *)&ss;
	a6 = (const struct sockaddr_in6 *)&ss;
	if (ss.ss_family == AF_INET &&
	    (ntohl(a4->sin_addr.s_addr) >> 24) == 127)
		return (1);
	if (ss.ss_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr))
		return (1);
	if (getifaddrs(&ifa) != 0)
		return (0);
	for (i = ifa; i != NULL && !local; i = i->ifa_next) {
		if (i->ifa_addr == NULL ||
		    i->ifa_addr->sa_family != ss.ss_family)
			continue;
		if (ss.ss_family == AF_INET) {
			b4 = (const struct sockaddr_in *)i->ifa_addr;
			local = a4->sin_addr.s_addr == b4->sin_addr.s_addr;
		} else {
			b6 = (const struct sockaddr_in6 *)i->ifa_addr;
			local = memcmp(&a6->sin6_addr, &b6->sin6_addr,
			    16) == 0;
		}
	}
	freeifaddrs(ifa);
	return (local);
}
