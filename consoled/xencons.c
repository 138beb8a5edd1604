/*
 * xencons: the manual's console client.  "xencons HOST PORT" connects to
 * a domain's console port (xenconsoled serves 9600 + domid), speaks
 * telnet through libtelnet (0xFF doubled, character mode, binary) and puts
 * the terminal in raw mode, restoring it on exit, on signals and after a
 * stop/continue.
 *
 *   Ctrl-]      detach (the domain keeps running)
 *   ^E c w      take input        ^E c r   give input up
 *   ^E c u      who is attached   ^E c b   send a break (sysrq)
 *   ^E c .      detach            ^E c ?   help
 * (the ^E c commands are xenconsoled's, so they work in telnet too)
 *
 * A domain that migrates away: xenconsoled says where it went ("moved to
 * HOST; its console is port N there") and closes; xencons then connects
 * there (unless -n), the terminal staying as it is.
 *
 * On this host, the port must be xenconsoled's: anyone may bind a port
 * xenconsoled has not bound yet (a domain not created yet) and serve a
 * fake login: there, so the owner of the listening end is asked of the
 * kernel (sockdiag.c) and must be root, or ourselves.
 */
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <libtelnet.h>

#include "xen-common.h"
#include "conmoved.h"
#include "consoled.h"

#define XENCONS_DETACH	0x1d	/* Ctrl-] */

static struct termios		 saved_tio;
static int			 tio_saved;
static int			 tio_raw;
static volatile sig_atomic_t	 got_signal;
static volatile sig_atomic_t	 got_cont;
static int			 sock = -1;
static int			 failed;
static int			 wr_shut;	/* our input ended: SHUT_WR */
static struct conmoved_tail	 tail;	/* the last output: a moved notice? */

static const telnet_telopt_t xencons_telopts[] = {
	{ TELNET_TELOPT_ECHO, TELNET_WONT, TELNET_DO },
	{ TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO },
	{ TELNET_TELOPT_BINARY, TELNET_WILL, TELNET_DO },
	{ -1, 0, 0 }
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: xencons [-n] [HOST] PORT\n"
	    "Connects to a domain's console (port 9600 + domid on the host "
	    "running\nxenconsoled; HOST defaults to localhost).  Ctrl-] "
	    "detaches; ^E c ? lists\nthe console's escape commands.  A "
	    "domain that migrates is followed to its\nnew host's console "
	    "port; -n: do not follow.\n");
}

static void
term_restore(void)
{
	if (tio_saved && tio_raw) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
		tio_raw = 0;
	}
}

static void
term_raw(void)
{
	struct termios	 raw;

	if (!tio_saved)
		return;
	raw = saved_tio;
	cfmakeraw(&raw);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	tio_raw = 1;
}

static void
on_signal(int sig)
{
	if (sig == SIGCONT)
		got_cont = 1;
	else
		got_signal = sig;
}

static void
telnet_event(telnet_t *t, telnet_event_t *ev, void *arg)
{
	switch (ev->type) {
	case TELNET_EV_DATA:
		conmoved_feed(&tail, ev->data.buffer, ev->data.size);
		if (fd_write_all(STDOUT_FILENO, ev->data.buffer,
		    ev->data.size) != 0)
			failed = 1;
		break;
	case TELNET_EV_SEND:
		/*
		 * Once our input has ended the far end needs nothing more from
		 * us: a telnet option reply refused then (EPIPE) is not a
		 * failure.  Anything else is, and says so.
		 */
		if (fd_write_all(sock, ev->data.buffer, ev->data.size) != 0 &&
		    !(wr_shut && errno == EPIPE)) {
			term_restore();
			fprintf(stderr, "\r\nxencons: cannot send to the console: "
			    "%s\r\n", strerror(errno));
			failed = 1;
		}
		break;
	case TELNET_EV_ERROR:
		term_restore();
		fprintf(stderr, "\r\nxencons: telnet: %s\r\n", ev->error.msg);
		failed = 1;
		break;
	default:
		break;
	}
}

static int
connect_to(const char *host, const char *port)
{
	struct addrinfo	 hints, *res, *ai;
	int		 fd = -1, r, err = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "xencons: cannot look up host %s: %s\n", host,
		    gai_strerror(r));
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		fprintf(stderr, "xencons: cannot connect to %s port %s: %s\n",
		    host, port, strerror(err));
	return (fd);
}

/* A local port must be held by root (xenconsoled) or by us. */
static int
check_server(int fd, const char *host, const char *port)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof ss;
	uid_t			 uid;
	char			*cause;

	memset(&ss, 0, sizeof ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    !sockdiag_addr_local((struct sockaddr *)&ss))
		return (0);	/* another host: its own business */
	if (sockdiag_peer_uid(fd, 1000, &uid, &cause) != 0) {
		fprintf(stderr, "xencons: cannot tell who holds port %s on %s "
		    "(%s): not connecting\n", port, host, cause);
		free(cause);
		return (-1);
	}
	if (uid != 0 && uid != geteuid()) {
		fprintf(stderr, "xencons: port %s on %s is held by uid %u, not "
		    "by xenconsoled (uid 0): not connecting; the domain's "
		    "console is not there\n", port, host, (unsigned)uid);
		return (-1);
	}
	return (0);
}

/*
 * One connection: until detached, a signal, a failure or the far end
 * closing (*closed).  Output goes to the terminal and to the tail.
 */
static void
session(int *in_open, int *detached, int *closed)
{
	telnet_t	*t;
	struct pollfd	 pf[2];
	char		 buf[16384];
	ssize_t		 n, i;

	if ((t = telnet_init(xencons_telopts, telnet_event, 0, NULL)) == NULL)
		fatalx("telnet_init failed");
	while (!got_signal && !failed) {
		if (got_cont) {		/* back from a stop: raw again */
			got_cont = 0;
			if (tio_raw)
				term_raw();
		}
		pf[0].fd = *in_open ? STDIN_FILENO : -1;
		pf[0].events = POLLIN;
		pf[1].fd = sock;
		pf[1].events = POLLIN;
		if (poll(pf, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(sock, buf, sizeof buf);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				*closed = 1;
				break;
			}
			telnet_recv(t, buf, n);
		}
		if (*in_open && (pf[0].revents & (POLLIN | POLLHUP))) {
			n = read(STDIN_FILENO, buf, sizeof buf);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				*in_open = 0;	/* keep showing output */
				wr_shut = 1;
				shutdown(sock, SHUT_WR);
				continue;
			}
			for (i = 0; i < n && buf[i] != XENCONS_DETACH; i++)
				;
			if (!tio_saved)
				i = n;	/* a pipe: Ctrl-] is just a byte */
			if (i > 0)
				telnet_send(t, buf, i);
			if (i < n) {
				*detached = 1;
				break;
			}
		}
	}
	telnet_free(t);
	close(sock);
	sock = -1;
}

int
main(int argc, char **argv)
{
	const char	*host = "localhost", *port;
	struct sigaction sa;
	char		*moved_host = NULL, portbuf[16];
	long		 pnum;
	int		 in_open = 1, tty, detached = 0, closed = 0;
	int		 follow = 1, moved_port, c;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return (0);
	}
	while ((c = getopt(argc, argv, "n")) != -1) {
		if (c != 'n') {
			usage(stderr);
			return (2);
		}
		follow = 0;
	}
	argc -= optind;
	argv += optind;
	if (argc == 1)
		port = argv[0];
	else if (argc == 2) {
		host = argv[0];
		port = argv[1];
	} else {
		usage(stderr);
		return (2);
	}
	/* getaddrinfo would say "Servname not supported for ai_socktype". */
	if (parse_long(port, 1, 65535, &pnum) != 0) {
		fprintf(stderr, "xencons: '%s' is not a port number (a domain's "
		    "console is on port 9600 + its id)\n", port);
		return (2);
	}
	if ((sock = connect_to(host, port)) == -1)
		return (1);
	if (check_server(sock, host, port) != 0) {
		close(sock);
		return (1);
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGCONT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	tty = isatty(STDIN_FILENO);
	if (tty && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		tio_saved = 1;
		atexit(term_restore);
		term_raw();
		fprintf(stderr, "[xencons: connected to %s port %s; Ctrl-] "
		    "detaches, ^E c ? for help]\r\n", host, port);
	}

	for (;;) {
		tail.len = 0;
		session(&in_open, &detached, &closed);
		if (!closed || !follow || got_signal || failed ||
		    conmoved_parse(&tail, &moved_host, &moved_port) != 0)
			break;
		/* The domain migrated: its console is on the new host now. */
		snprintf(portbuf, sizeof portbuf, "%d", moved_port);
		fprintf(stderr, "\r\n[xencons: following to %s port %s]\r\n",
		    moved_host, portbuf);
		if ((sock = connect_to(moved_host, portbuf)) == -1 ||
		    check_server(sock, moved_host, portbuf) != 0) {
			if (sock != -1)
				close(sock);
			failed = 1;
			break;
		}
		closed = 0;
		/* Input that ended before the move stays ended there. */
		wr_shut = !in_open;
		if (wr_shut)
			shutdown(sock, SHUT_WR);
		free(moved_host);
		moved_host = NULL;
	}
	free(moved_host);
	term_restore();
	if (tio_saved) {
		if (detached)
			fprintf(stderr, "\r\n[xencons: detached]\r\n");
		else if (closed && !failed)
			fprintf(stderr, "\r\n[xencons: connection closed]\r\n");
	}
	if (got_signal) {
		signal(got_signal, SIG_DFL);
		raise(got_signal);
	}
	return (failed ? 1 : 0);
}
