/*
 * console.c: one domain's console.
 *
 * QEMU's socket chardev serves one client at a time; xenconsoled is that
 * client for every domain, and drains it whatever its own clients do:
 * output goes into a ring (each client reads it at its own pace) and is
 * never held back for anyone, so QEMU's 16550 never has to drop a byte.
 *
 * The log does not come from the socket: it is copied from QEMU's own
 * console log file (chardev logfile=), which has every byte even while
 * xenconsoled is down or reconnecting, so a restart leaves no gap and
 * no duplicate (conlog.c keeps the exact offset).  The ring is seeded
 * from that file when a console opens, so clients that reconnect after a
 * restart see the recent history too.
 *
 * QEMU's log would grow for as long as the domain runs, so once its
 * bytes are safely in our log (which rotates), the part of it before the
 * last max(console-ring-size, console-log-size) bytes is given back to
 * the file system with FALLOC_FL_PUNCH_HOLE: offsets and its apparent
 * size stay as they were (QEMU appends, we keep reading at our offset),
 * only the blocks go.  File systems without hole punching keep it whole.
 *
 * QEMU started with telnet=on opens every connection with a fixed
 * 12-byte negotiation; if we see it we strip it, double 0xFF in input and
 * can send a serial break (IAC BRK).  Without it, breaks are refused.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "xen-common.h"
#include "xendcfg.h"
#include "conmoved.h"
#include "consoled.h"

#define TAIL_DELAY_US	20000		/* batch log copies this long */
#define TAIL_CHUNK	(64 * 1024)
#define TAIL_MAX_CHUNKS	64		/* per turn, then yield */
#define TRIM_ALIGN	4096		/* hole punching by whole blocks */
#define TRIM_STEP_MIN	(1024 * 1024)	/* free at least this much a time */
#define RETRY_MIN	0.1
#define RETRY_MAX	1.0
/*
 * Each 1-byte write costs ~1 KiB of send-buffer accounting (the skb), so
 * 16 MiB (the kernel doubles it) absorbs ~30,000 bytes: half a second of
 * a TCG guest printing flat out while our reader is not scheduled.  The
 * memory is only used while the reader is behind.
 */
#define QEMU_SNDBUF	(16 * 1024 * 1024)
#define TUNE_TRIES	200			/* 1 ms apart */
/* QEMU logs a chunk just after it sends it: compare only when quiet. */
#define LOST_QUIET	0.3

struct console_list consoles = TAILQ_HEAD_INITIALIZER(consoles);

/* What QEMU's socket chardev with telnet=on sends first, every time. */
static const unsigned char qemu_telnet_init[12] = {
	0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03, 0xff, 0xfb, 0x00, 0xff, 0xfd, 0x00
};

static void	console_connect(struct console *);
static void	console_tail(struct console *);
static void	console_tune_soon(struct console *);
static void	console_lost_start(struct console *);

struct console *
console_find(int domid)
{
	struct console	*con;

	TAILQ_FOREACH(con, &consoles, entry) {
		if (con->domid == domid)
			return (con);
	}
	return (NULL);
}

void
console_ref(struct console *con)
{
	con->refs++;
}

void
console_unref(struct console *con)
{
	if (--con->refs > 0)
		return;
	if (con->src_fd != -1)
		close(con->src_fd);
	conlog_close(con->log);
	ring_free(con->ring);
	free(con->name);
	free(con->qemu_path);
	free(con->qemu_log_path);
	free(con->unix_path);
	free(con->attach_error);
	free(con);
}

struct ring *
console_ring(struct console *con)
{
	return (con->ring);
}

int
console_holds_input(struct console *con, struct conn *c)
{
	return (con->input == c);
}

/* ---- the source log: QEMU's console log file ---- */

/* Opens our log, continuing QEMU's where it left off. */
static void
console_open_log(struct console *con)
{
	struct stat		 st;
	char			*cause;
	uint64_t		 offset;

	if (con->log != NULL || con->src_fd == -1)
		return;
	if (fstat(con->src_fd, &st) != 0)
		fatal("fstat %s", con->qemu_log_path);
	if (conlog_open(cd_cfg.console_log_dir, con->name, &con->src_id,
	    cd_cfg.console_log_size, cd_cfg.console_log_keep, &con->log,
	    &offset, &cause) != 0) {
		if (!con->log_failing)
			log_error("console log of %s: %s; retrying", con->name,
			    cause);
		con->log_failing = 1;
		con->log_open_errors++;
		free(cause);
		con->log = NULL;
	} else {
		con->log_failing = 0;
		if (offset > (uint64_t)st.st_size) {
			log_warn("%s is shorter than %s says (%llu < %llu): "
			    "it was cut; copying from its end",
			    con->qemu_log_path, conlog_path(con->log),
			    (unsigned long long)st.st_size,
			    (unsigned long long)offset);
			offset = st.st_size;
		}
		con->src_pos = offset;
		if ((uint64_t)st.st_size > offset)
			log_info("%s: %llu bytes to catch up from %s",
			    con->name, (unsigned long long)(st.st_size -
			    offset), con->qemu_log_path);
	}
}

/* Opens QEMU's log and ours; seeds the ring from QEMU's the first time. */
static void
console_open_source(struct console *con)
{
	struct stat		 st;
	off_t			 from;
	ssize_t			 n;
	size_t			 want;
	char			*buf;

	if (con->src_fd != -1 || con->qemu_log_path == NULL)
		return;
	/* Writable for hole punching; read-only will do otherwise. */
	con->src_fd = open(con->qemu_log_path, O_RDWR | O_CLOEXEC);
	con->src_trim = con->src_fd != -1;
	if (con->src_fd == -1 && (errno == EACCES || errno == EROFS ||
	    errno == EPERM))
		con->src_fd = open(con->qemu_log_path, O_RDONLY | O_CLOEXEC);
	if (con->src_fd == -1) {
		if (!con->src_warned && errno != ENOENT)
			log_warn("%s: %s", con->qemu_log_path,
			    strerror(errno));
		con->src_warned = 1;
		return;
	}
	if (fstat(con->src_fd, &st) != 0)
		fatal("fstat %s", con->qemu_log_path);
	con->src_id.domid = con->domid;
	con->src_id.dev = st.st_dev;
	con->src_id.ino = st.st_ino;
	console_open_log(con);

	/* History for clients attaching now: the end of what QEMU logged. */
	if (!con->seeded && st.st_size > 0) {
		want = (uint64_t)st.st_size < con->ring->size ?
		    (size_t)st.st_size : con->ring->size;
		from = st.st_size - want;
		buf = xmalloc(want);
		n = pread(con->src_fd, buf, want, from);
		if (n > 0)
			ring_write(con->ring, buf, n);
		free(buf);
	}
	con->seeded = 1;
}

static void
console_tail_cb(evutil_socket_t fd, short what, void *arg)
{
	console_tail(arg);
}

/*
 * Frees the blocks of QEMU's log that are in our log already and older
 * than what a restarted xenconsoled seeds its ring with.
 */
static void
console_trim_source(struct console *con)
{
	uint64_t	 keep, upto, step;

	if (con->src_trim != 1)
		return;
	keep = con->ring->size;
	if ((uint64_t)cd_cfg.console_log_size > keep)
		keep = cd_cfg.console_log_size;
	step = keep > TRIM_STEP_MIN ? keep : TRIM_STEP_MIN;
	if (con->src_pos < keep + con->src_trimmed + step)
		return;
	upto = (con->src_pos - keep) & ~(uint64_t)(TRIM_ALIGN - 1);
	if (fallocate(con->src_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)con->src_trimmed, (off_t)(upto - con->src_trimmed)) != 0) {
		log_info("%s: cannot free what is copied (%s); it keeps "
		    "growing while the domain runs", con->qemu_log_path,
		    strerror(errno));
		con->src_trim = -1;
		return;
	}
	log_debug("%s: freed its first %llu bytes (in %s)", con->qemu_log_path,
	    (unsigned long long)upto, conlog_path(con->log));
	con->src_trimmed = upto;
}

/* Copies what QEMU's log has past our offset into our log. */
static void
console_tail(struct console *con)
{
	static char	 buf[TAIL_CHUNK];
	struct timeval	 now_tv = { 0, 0 };
	ssize_t		 n;
	int		 i;

	if (con->src_fd == -1)
		console_open_source(con);
	if (con->log == NULL)
		console_open_log(con);
	if (con->src_fd == -1 || con->log == NULL)
		return;
	for (i = 0; i < TAIL_MAX_CHUNKS; i++) {
		n = pread(con->src_fd, buf, sizeof buf, con->src_pos);
		if (n <= 0)
			return;
		if (conlog_write(con->log, buf, n, time_wall()) != 0) {
			if (!con->log_failing)
				log_warn("console log %s: %s; keeping the "
				    "place and retrying", conlog_path(con->log),
				    strerror(errno));
			con->log_failing = 1;
			return;
		}
		if (con->log_failing)
			log_info("console log %s: writing again",
			    conlog_path(con->log));
		con->log_failing = 0;
		con->src_pos += n;
		console_trim_source(con);
	}
	/* More to copy: yield to the loop, then carry on. */
	evtimer_add(con->tail_ev, &now_tv);
}

static void
console_tail_soon(struct console *con)
{
	struct timeval	 tv = { 0, TAIL_DELAY_US };

	if (!evtimer_pending(con->tail_ev, NULL))
		evtimer_add(con->tail_ev, &tv);
}

/* ---- QEMU's console socket ---- */

/* Guest output: into the ring, then to every client that keeps up. */
static void
console_feed(struct console *con, const char *buf, size_t len)
{
	struct conn	*c, *c1;

	if (len == 0)
		return;
	ring_write(con->ring, buf, len);
	con->bytes_in += len;
	con->last_data = time_mono();
	TAILQ_FOREACH_SAFE(c, &con->conns, entry, c1)
		conn_pump(c);
	console_tail_soon(con);
}

/*
 * QEMU's UART writes each guest byte with its own write(), and a unix
 * socket's default send buffer holds only ~280 such writes: a reader
 * that looks away for 2 ms stalls the guest, and QEMU 7.2 then logs the
 * byte it retries twice.  So give QEMU's end of our connection a large
 * send buffer: find it among QEMU's descriptors (bound to the console
 * path, not listening, its peer us), borrow it with pidfd_getfd and set
 * SO_SNDBUFFORCE.  Best effort; 0 once done.
 */
static int
console_qemu_tune(struct console *con)
{
	struct sockaddr_un	 sa;
	struct ucred		 cr;
	socklen_t		 len;
	DIR			*dir;
	struct dirent		*de;
	char			 path[64], link[64];
	long			 num;
	int			 pidfd, fd, acc, size = QEMU_SNDBUF, found = 0;
	ssize_t			 n;

	if (con->qemu_pid <= 0)
		return (-1);
	if ((pidfd = syscall(SYS_pidfd_open, con->qemu_pid, 0)) == -1)
		return (-1);
	snprintf(path, sizeof path, "/proc/%d/fd", con->qemu_pid);
	if ((dir = opendir(path)) == NULL) {
		close(pidfd);
		return (-1);
	}
	while (!found && (de = readdir(dir)) != NULL) {
		if (parse_long(de->d_name, 0, 1 << 30, &num) != 0)
			continue;
		snprintf(path, sizeof path, "/proc/%d/fd/%ld", con->qemu_pid,
		    num);
		n = readlink(path, link, sizeof link - 1);
		if (n <= 0 || strncmp(link, "socket:", 7) != 0)
			continue;
		if ((fd = syscall(SYS_pidfd_getfd, pidfd, (int)num, 0)) == -1)
			continue;
		len = sizeof acc;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0 &&
		    acc == 0) {
			len = sizeof sa;
			memset(&sa, 0, sizeof sa);
			if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0 &&
			    sa.sun_family == AF_UNIX &&
			    strcmp(sa.sun_path, con->qemu_path) == 0) {
				len = sizeof cr;
				if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr,
				    &len) == 0 && cr.pid == getpid() &&
				    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE,
				    &size, sizeof size) == 0)
					found = 1;
			}
		}
		close(fd);
	}
	closedir(dir);
	close(pidfd);
	if (found)
		log_debug("%s: QEMU's console socket has a %d KiB send buffer",
		    con->name, size / 512);
	return (found ? 0 : -1);
}

static void
console_tune_cb(evutil_socket_t fd, short what, void *arg)
{
	struct console	*con = arg;

	if (con->qemu == NULL || con->qemu_tuned != 0)
		return;
	if (console_qemu_tune(con) == 0) {
		con->qemu_tuned = 1;
		return;
	}
	if (++con->tune_tries < TUNE_TRIES)
		console_tune_soon(con);
}

/* Tries again in a millisecond: QEMU accepts from its own main loop. */
static void
console_tune_soon(struct console *con)
{
	struct timeval	 tv = { 0, 1000 };

	evtimer_add(con->tune_ev, &tv);
}

/* Strips QEMU's telnet opening, if it has one, from a new connection. */
static void
console_qemu_data(struct console *con, const char *buf, size_t len)
{
	size_t	 i = 0;

	/* Data: QEMU has accepted us, so its end exists by now. */
	if (con->qemu_tuned == 0) {
		evtimer_del(con->tune_ev);
		con->qemu_tuned = console_qemu_tune(con) == 0 ? 1 : -1;
		if (con->qemu_tuned == -1)
			log_debug("%s: could not enlarge QEMU's console socket "
			    "buffer", con->name);
	}

	while (con->qemu_telnet == -1 && i < len) {
		if ((unsigned char)buf[i] != qemu_telnet_init[con->qemu_init]) {
			con->qemu_telnet = 0;
			console_feed(con, (const char *)qemu_telnet_init,
			    con->qemu_init);
			break;
		}
		i++;
		if (++con->qemu_init == sizeof qemu_telnet_init) {
			con->qemu_telnet = 1;
			log_debug("%s: QEMU's console speaks telnet", con->name);
		}
	}
	console_feed(con, buf + i, len - i);
}

static void
console_drain_data(void *arg, const char *buf, size_t len)
{
	console_qemu_data(arg, buf, len);
}

static void
console_qemu_write(struct bufferevent *bev, void *arg)
{
	struct console	*con = arg;

	/* Input drained to the guest: the typist may go on. */
	if (con->input != NULL)
		conn_resume_input(con->input);
}

static void
console_retry_later(struct console *con)
{
	struct timeval	 tv;

	tv.tv_sec = (long)con->retry_delay;
	tv.tv_usec = (long)((con->retry_delay - tv.tv_sec) * 1e6);
	evtimer_add(con->retry_ev, &tv);
	con->retry_delay *= 2;
	if (con->retry_delay > RETRY_MAX)
		con->retry_delay = RETRY_MAX;
}

/* Ends the connection to QEMU: the drain thread first, then the fd. */
static void
console_qemu_close(struct console *con)
{
	drain_stop(con->drain);
	con->drain = NULL;
	if (con->qemu != NULL)
		bufferevent_free(con->qemu);
	con->qemu = NULL;
}

static void
console_qemu_lost(struct console *con)
{
	log_info("%s: console socket closed by QEMU; reconnecting",
	    con->name);
	console_qemu_close(con);
	console_tail(con);
	con->retry_delay = RETRY_MIN;
	console_retry_later(con);
}

static void
console_drain_eof(void *arg)
{
	console_qemu_lost(arg);
}

static void
console_qemu_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		console_qemu_lost(arg);
}

static void
console_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	console_connect(arg);
}

/*
 * Out of descriptors or threads: this console stays unattached and tries
 * again later; consoles.list says why.  Its clients wait as they would
 * for a QEMU not yet up.
 */
static void
console_attach_failed(struct console *con, const char *why)
{
	if (con->attach_error == NULL || strcmp(con->attach_error, why) != 0)
		log_warn("%s: cannot attach to %s: %s; retrying", con->name,
		    con->qemu_path, why);
	free(con->attach_error);
	con->attach_error = xstrdup(why);
	console_qemu_close(con);
	console_retry_later(con);
}

static void
console_connect(struct console *con)
{
	struct sockaddr_un	 sa;
	char			*cause;
	int			 fd;

	if (con->qemu != NULL || con->gone)
		return;
	/* Seed the history before the live stream starts. */
	console_open_source(con);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(con->qemu_path) >= sizeof sa.sun_path) {
		log_error("%s: socket path too long", con->qemu_path);
		return;
	}
	strcpy(sa.sun_path, con->qemu_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		xasprintf(&cause, "socket: %s", strerror(errno));
		console_attach_failed(con, cause);
		free(cause);
		return;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		if (!con->connect_warned && errno != ENOENT &&
		    errno != ECONNREFUSED)
			log_warn("%s: %s", con->qemu_path, strerror(errno));
		con->connect_warned = 1;
		close(fd);
		free(con->attach_error);	/* QEMU not up is no error */
		con->attach_error = NULL;
		console_retry_later(con);
		return;
	}
	con->connect_warned = 0;
	con->retry_delay = RETRY_MIN;
	con->connects++;
	console_lost_start(con);
	con->qemu_telnet = -1;
	con->qemu_init = 0;
	con->qemu_tuned = 0;
	con->tune_tries = 0;
	con->qemu = bufferevent_socket_new(cd_base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (con->qemu == NULL) {
		close(fd);
		console_attach_failed(con, "cannot make a buffer event");
		return;
	}
	bufferevent_setcb(con->qemu, NULL, console_qemu_write,
	    console_qemu_event, con);
	bufferevent_enable(con->qemu, EV_WRITE);
	con->drain = drain_start(fd, console_drain_data, console_drain_eof,
	    con, &cause);
	if (con->drain == NULL) {
		console_attach_failed(con, cause);
		free(cause);
		return;
	}
	free(con->attach_error);
	con->attach_error = NULL;
	/* As soon as QEMU has accepted us (it does so in its own time). */
	console_tune_soon(con);
	log_info("%s: attached to %s", con->name, con->qemu_path);
}

/*
 * From now on every byte QEMU sends us it also appends to its log (it
 * logs whatever its chardev writes), so the log grows at least as much.
 */
static void
console_lost_start(struct console *con)
{
	struct stat	 st;

	con->lost_before = con->src_lost;
	con->in_at_connect = con->bytes_in;
	con->src_at_connect = 0;
	if (con->qemu_log_path != NULL && stat(con->qemu_log_path, &st) == 0)
		con->src_at_connect = st.st_size;
}

/* How many guest bytes QEMU's log is missing, as far as we can tell. */
static void
console_lost_check(struct console *con)
{
	struct stat	 st;
	uint64_t	 got, logged, lost;

	if (con->qemu == NULL || con->qemu_log_path == NULL ||
	    time_mono() - con->last_data < LOST_QUIET ||
	    stat(con->qemu_log_path, &st) != 0)
		return;
	if ((uint64_t)st.st_size < con->src_at_connect) {
		/* Cut or replaced under us: count afresh from here. */
		console_lost_start(con);
		return;
	}
	got = con->bytes_in - con->in_at_connect;
	logged = st.st_size - con->src_at_connect;
	if (got <= logged)
		return;
	lost = con->lost_before + (got - logged);
	if (lost <= con->src_lost)
		return;
	if (con->src_lost == con->lost_before)
		log_warn("%s: QEMU's console log %s is missing %llu bytes the "
		    "guest wrote (is its disk full?); they are not in the "
		    "console log either", con->name, con->qemu_log_path,
		    (unsigned long long)(lost - con->src_lost));
	con->src_lost = lost;
}

/* ---- clients ---- */

/* One line for a client turned away, then closed; logged and counted. */
static void
console_refuse(struct console *con, int fd, const char *peer,
    const char *why)
{
	char	*line;
	ssize_t	 n;

	log_info("%s: client %s refused: %s", con->name, peer, why);
	con->rejected++;
	line = xsprintf("%s\r\n", why);
	n = write(fd, line, strlen(line));
	(void)n;
	free(line);
	close(fd);
}

static void
console_accept(struct console *con, int fd, const char *addr,
    const char *peer, enum proto_kind kind)
{
	struct access		 a;
	struct conn		*c;
	char			*hash = NULL, *cause, *why, *desc;
	double			 wait;
	int			 r;

	if (con->gone) {
		close(fd);
		return;
	}
	if (kind == PROTO_TELNET)
		access_tcp(fd, addr, &a);
	else
		access_unix(fd, &a);
	if (a.verdict == ACCESS_DENY) {
		console_refuse(con, fd, peer, a.why);
		return;
	}
	if (a.verdict == ACCESS_PASSWORD) {
		if ((wait = backoff_wait(a.key, time_mono())) > 0) {
			why = xsprintf("access denied: too many wrong passwords "
			    "from %s; try again in %.0f s", a.key, wait + 0.5);
			console_refuse(con, fd, peer, why);
			free(why);
			return;
		}
		if ((r = access_password(con->name, &hash, &cause)) != 0) {
			if (r == -1) {
				log_warn("console-password-file: %s", cause);
				free(cause);
			}
			console_refuse(con, fd, peer, "access denied: remote "
			    "access needs a password, and this console has "
			    "none");
			return;
		}
		if (con->nauth >= ACCESS_AUTH_PENDING) {
			free(hash);
			console_refuse(con, fd, peer, "access denied: too many "
			    "clients giving a password; try again later");
			return;
		}
	}
	if (con->nconns - con->nauth >= cd_cfg.console_max_clients) {
		free(hash);
		console_refuse(con, fd, peer, "too many clients on this "
		    "console");
		return;
	}
	/* Local peers are who they are: say so to xm consoles and ^Ecu. */
	desc = a.local && kind == PROTO_TELNET ? xsprintf("%s %s", peer,
	    a.who) : xstrdup(peer);
	c = conn_new(con, fd, kind, desc, hash, a.key);
	free(desc);
	free(hash);
	TAILQ_INSERT_TAIL(&con->conns, c, entry);
	con->nconns++;
	con->clients_total++;
	log_debug("%s: client %s attached (%d now)", con->name,
	    conn_describe(c), con->nconns);
	conn_pump(c);
}

static void
console_accept_tcp(void *arg, int fd, const char *addr, const char *peer)
{
	console_accept(arg, fd, addr, peer, PROTO_TELNET);
}

static void
console_accept_unix(void *arg, int fd, const char *addr, const char *peer)
{
	console_accept(arg, fd, addr, peer, PROTO_RAW);
}

void
console_conn_gone(struct console *con, struct conn *c)
{
	TAILQ_REMOVE(&con->conns, c, entry);
	con->nconns--;
	if (con->input == c)
		con->input = NULL;
	log_debug("%s: client %s detached (%d left)", con->name,
	    conn_describe(c), con->nconns);
}

/* Writes input for the guest, doubling 0xFF if QEMU speaks telnet. */
static void
console_qemu_write_bytes(struct console *con, const char *buf, size_t len)
{
	struct evbuffer	*out = bufferevent_get_output(con->qemu);
	const char	*ff;
	static const char iac_iac[2] = { (char)0xff, (char)0xff };

	if (con->qemu_telnet != 1) {
		evbuffer_add(out, buf, len);
		return;
	}
	while ((ff = memchr(buf, 0xff, len)) != NULL) {
		evbuffer_add(out, buf, ff - buf);
		evbuffer_add(out, iac_iac, 2);
		len -= ff + 1 - buf;
		buf = ff + 1;
	}
	evbuffer_add(out, buf, len);
}

int
console_input(struct console *con, struct conn *c, const char *buf,
    size_t len)
{
	double	 now = time_mono();

	if (con->input == NULL)
		con->input = c;		/* first come */
	if (con->input != c) {
		if (conn_notice_due(c, now))
			conn_notice(c, "read-only: %s has input; ^Ecw takes it",
			    conn_describe(con->input));
		return (0);
	}
	if (con->qemu == NULL) {
		if (conn_notice_due(c, now))
			conn_notice(c, "the domain's console is not connected; "
			    "input dropped");
		return (0);
	}
	console_qemu_write_bytes(con, buf, len);
	con->bytes_out += len;
	if (evbuffer_get_length(bufferevent_get_output(con->qemu)) >
	    QEMU_OUT_MAX)
		return (-1);
	return (0);
}

static void
console_who(struct console *con, struct conn *me)
{
	struct conn	*c;
	char		*text, *tmp;
	int		 n;

	n = con->nconns - con->nauth;
	text = xsprintf("%d client%s on %s (domid %d):", n, n == 1 ? "" : "s",
	    con->name, con->domid);
	TAILQ_FOREACH(c, &con->conns, entry) {
		if (!conn_authenticated(c))
			continue;
		tmp = xsprintf("%s\r\n  %s%s%s", text, conn_describe(c),
		    con->input == c ? " [input]" : "", c == me ? " [you]" : "");
		free(text);
		text = tmp;
	}
	conn_notice(me, "%s", text);
	free(text);
}

void
console_command(struct console *con, struct conn *c, enum proto_cmd cmd)
{
	static const char	 brk[2] = { (char)0xff, (char)0xf3 };
	struct conn		*old;

	switch (cmd) {
	case PROTO_HELP:
		conn_notice(c, "%s", proto_help());
		break;
	case PROTO_TAKE:
		if (con->input == c) {
			conn_notice(c, "you have input already");
			break;
		}
		old = con->input;
		con->input = c;
		if (old != NULL)
			conn_notice(old, "input taken by %s; you are "
			    "read-only", conn_describe(c));
		conn_notice(c, "you have input");
		conn_resume_input(c);
		break;
	case PROTO_RELEASE:
		if (con->input != c) {
			conn_notice(c, "you do not have input");
			break;
		}
		con->input = NULL;
		conn_notice(c, "input released: the next client to type "
		    "takes it");
		break;
	case PROTO_RELEASE_QUIET:
		if (con->input == c)
			con->input = NULL;
		break;
	case PROTO_WHO:
		console_who(con, c);
		break;
	case PROTO_BREAK:
		if (con->input == NULL)
			con->input = c;
		if (con->input != c) {
			conn_notice(c, "read-only: %s has input; ^Ecw takes it",
			    conn_describe(con->input));
			break;
		}
		if (con->qemu == NULL || con->qemu_telnet != 1) {
			conn_notice(c, "no break: this domain's console "
			    "cannot carry one (QEMU needs telnet=on on it)");
			break;
		}
		evbuffer_add(bufferevent_get_output(con->qemu), brk, 2);
		break;
	case PROTO_QUIT:
		conn_close(c, "detached");
		break;
	case PROTO_ABUSE:
		log_warn("%s: client %s broke protocol limits; dropped",
		    con->name, conn_describe(c));
		conn_close(c, NULL);
		break;
	}
}

/* ---- life cycle ---- */

struct console *
console_create(const struct console_info *ci)
{
	struct console	*con = xcalloc(1, sizeof *con);

	con->refs = 1;
	con->domid = ci->domid;
	con->name = xstrdup(ci->name);
	con->port = ci->port;
	con->qemu_path = xstrdup(ci->qemu_path);
	con->qemu_pid = ci->qemu_pid;
	con->qemu_log_path = ci->qemu_log != NULL ? xstrdup(ci->qemu_log) :
	    NULL;
	con->unix_path = xendcfg_console_path(&cd_cfg, ci->domid);
	con->ring = ring_new(cd_cfg.console_ring_size);
	con->src_fd = -1;
	con->qemu_telnet = -1;
	con->retry_delay = RETRY_MIN;
	con->next_conn_id = 1;
	TAILQ_INIT(&con->conns);
	con->retry_ev = evtimer_new(cd_base, console_retry_cb, con);
	con->tail_ev = evtimer_new(cd_base, console_tail_cb, con);
	con->tune_ev = evtimer_new(cd_base, console_tune_cb, con);
	TAILQ_INSERT_TAIL(&consoles, con, entry);

	console_connect(con);
	console_tail(con);
	con->tcp = listener_new(cd_cfg.console_address, con->port, NULL,
	    console_accept_tcp, con);
	con->local = listener_new(NULL, 0, con->unix_path,
	    console_accept_unix, con);
	if (ci->vnc_path != NULL)
		con->vnc = vnc_start(ci, cd_cfg.console_address);
	log_info("console of %s (domid %d) on port %d and %s", con->name,
	    con->domid, con->port, con->unix_path);
	return (con);
}

void
console_update(struct console *con, const struct console_info *ci)
{
	char	*cause;

	if (strcmp(con->name, ci->name) != 0) {
		log_info("domain %d renamed %s -> %s", con->domid, con->name,
		    ci->name);
		if (con->log != NULL && conlog_rename(con->log, ci->name,
		    &cause) != 0) {
			log_warn("%s", cause);
			free(cause);
		}
		free(con->name);
		con->name = xstrdup(ci->name);
	}
	if (con->vnc == NULL && ci->vnc_path != NULL)
		con->vnc = vnc_start(ci, cd_cfg.console_address);
	if (ci->qemu_pid > 0)
		con->qemu_pid = ci->qemu_pid;	/* a new QEMU after a crash */
}

static void
console_close(struct console *con, const char *why)
{
	struct conn	*c, *c1;

	if (con->gone)
		return;
	console_tail(con);		/* the last words */
	con->gone = 1;
	TAILQ_REMOVE(&consoles, con, entry);
	TAILQ_FOREACH_SAFE(c, &con->conns, entry, c1)
		conn_close(c, why);
	listener_free(con->tcp);
	listener_free(con->local);
	con->tcp = con->local = NULL;
	console_qemu_close(con);
	event_free(con->retry_ev);
	event_free(con->tail_ev);
	event_free(con->tune_ev);
	con->retry_ev = con->tail_ev = con->tune_ev = NULL;
	if (con->vnc != NULL)
		vnc_stop(con->vnc);
	con->vnc = NULL;
	log_info("console of %s (domid %d) closed: %llu bytes out, %llu in, "
	    "%llu clients", con->name, con->domid,
	    (unsigned long long)con->bytes_in,
	    (unsigned long long)con->bytes_out,
	    (unsigned long long)con->clients_total);
	console_unref(con);
}

void
console_destroy(struct console *con)
{
	char	*why;

	why = xsprintf("domain %s is gone", con->name);
	console_close(con, why);
	free(why);
}

/* Migrated: clients are told where it went before they are closed. */
void
console_moved(struct console *con, const char *host, int port)
{
	char	*why;

	why = xsprintf(CONMOVED_FMT, con->name, host, port);
	console_close(con, why);
	free(why);
}

void
console_destroy_all(void)
{
	struct console	*con;

	while ((con = TAILQ_FIRST(&consoles)) != NULL)
		console_close(con, "xenconsoled is stopping; reconnect in a "
		    "moment");
}

void
console_tick(struct console *con, double now)
{
	struct conn	*c, *c1;

	console_tail(con);
	console_lost_check(con);
	if (con->qemu == NULL && !evtimer_pending(con->retry_ev, NULL))
		console_connect(con);
	listener_retry(con->tcp);
	listener_retry(con->local);
	TAILQ_FOREACH_SAFE(c, &con->conns, entry, c1)
		conn_tick(c, now);
}

void
console_reopen_log(struct console *con)
{
	char	*cause;

	if (con->log == NULL)
		return;
	if (conlog_reopen(con->log, &cause) != 0) {
		log_warn("reopening %s: %s", conlog_path(con->log), cause);
		free(cause);
	}
}

json_t *
console_to_json(struct console *con)
{
	json_t		*o, *clients;
	struct conn	*c;
	struct stat	 st;
	json_int_t	 behind = 0;

	clients = json_array();
	TAILQ_FOREACH(c, &con->conns, entry)
		json_array_append_new(clients, conn_to_json(c));
	o = json_pack("{s:i, s:s, s:i, s:s, s:b, s:o, s:I, s:I, s:I, s:I,"
	    " s:I, s:b, s:o}",
	    "domid", con->domid,
	    "name", con->name,
	    "port", con->port,
	    "unix_path", con->unix_path,
	    "connected", con->qemu != NULL,
	    "break", con->qemu_telnet == 1 ? json_true() :
		con->qemu_telnet == 0 ? json_false() : json_null(),
	    "bytes_in", (json_int_t)con->bytes_in,
	    "bytes_out", (json_int_t)con->bytes_out,
	    "dropped", (json_int_t)con->dropped,
	    "clients_total", (json_int_t)con->clients_total,
	    "rejected", (json_int_t)con->rejected,
	    "listening", con->tcp != NULL && listener_up(con->tcp),
	    "clients", clients);
	/* Someone else's listener on our port: xm tells users. */
	if (con->tcp != NULL && listener_holder(con->tcp) >= 0)
		json_object_set_new(o, "port_holder",
		    json_integer(listener_holder(con->tcp)));
	if (con->attach_error != NULL)
		json_object_set_new(o, "error",
		    json_string(con->attach_error));
	json_object_set_new(o, "qemu_sndbuf", json_boolean(con->qemu_tuned ==
	    1 && con->qemu != NULL));
	json_object_set_new(o, "log", con->log != NULL ?
	    json_string(conlog_path(con->log)) : json_null());
	json_object_set_new(o, "log_errors", json_integer(
	    (json_int_t)con->log_open_errors + (con->log != NULL ?
	    (json_int_t)conlog_errors(con->log) : 0)));
	if (con->src_fd != -1 && fstat(con->src_fd, &st) == 0 &&
	    (uint64_t)st.st_size > con->src_pos)
		behind = st.st_size - con->src_pos;
	json_object_set_new(o, "log_behind", json_integer(behind));
	json_object_set_new(o, "log_lost", json_integer(
	    (json_int_t)con->src_lost));
	json_object_set_new(o, "qemu_log_freed", json_integer(
	    (json_int_t)con->src_trimmed));
	if (con->vnc != NULL)
		json_object_set_new(o, "vnc", vnc_to_json(con->vnc));
	return (o);
}
