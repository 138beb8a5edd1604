/*
 * consoled.h: xenconsoled, the console daemon (docs/CONSOLES.md).  One
 * header for the program, sections per file (tmux style).
 *
 * One libevent loop in the main thread owns every console, client and
 * listener.  Graphical consoles run one thread each (vnc.c) that owns its
 * libvncserver screen and libvncclient connection outright; the main thread
 * only starts and stops them and reads their counters.
 */
#ifndef CONSOLED_H
#define CONSOLED_H

#include <sys/queue.h>
#include <sys/types.h>

#include <pthread.h>
#include <stdint.h>

#include <jansson.h>

#include "backoff.h"

struct bufferevent;
struct event;
struct sockaddr;
struct event_base;
struct xendcfg;

/* ring.c: a bounded byte ring addressed by absolute stream offsets. */
struct ring {
	char		*buf;
	size_t		 size;
	uint64_t	 head;		/* offset of the next byte written */
};
struct ring	*ring_new(size_t size);
void		 ring_free(struct ring *);
void		 ring_write(struct ring *, const void *, size_t);
/* The oldest offset still held. */
uint64_t	 ring_tail(const struct ring *);
/*
 * The bytes at offset pos (tail <= pos <= head) that are contiguous in
 * memory, at most max: returns their count and points *p at them.
 */
size_t		 ring_peek(const struct ring *, uint64_t pos, const char **p,
		     size_t max);
/*
 * Where to start replaying so that a client sees the last 'lines' lines
 * (a trailing partial line, such as a prompt, is one of them), never more
 * than max bytes back.
 */
uint64_t	 ring_history(const struct ring *, int lines, size_t max);

/* proto.c: one client connection's byte protocol, without any I/O. */
enum proto_kind {
	PROTO_RAW,		/* unix socket: bytes as they are */
	PROTO_TELNET,		/* TCP: telnet (RFC 854) through libtelnet */
};

/* What a client asked for with the escape prefix ^E c, or implied. */
enum proto_cmd {
	PROTO_HELP,		/* ^Ec? (and any unknown letter) */
	PROTO_TAKE,		/* ^Ecw: take input from whoever holds it */
	PROTO_RELEASE,		/* ^Ecr: give input up */
	PROTO_WHO,		/* ^Ecu: who is attached */
	PROTO_BREAK,		/* ^Ecb, or telnet IAC BRK: a serial break */
	PROTO_QUIT,		/* ^Ec.: detach */
	PROTO_ABUSE,		/* protocol limits broken: drop the client */
	PROTO_RELEASE_QUIET,	/* (internal) the client sent EOF */
};

#define PROTO_ESCAPE		0x05	/* ^E, then 'c', then the command */
#define PROTO_SB_MAX		512	/* longest subnegotiation we accept */
#define PROTO_NEG_BURST		200	/* negotiations before rate limiting */
#define PROTO_NEG_RATE		20	/* ... then per second */

struct proto_cb {
	/* Bytes for the client's socket. */
	void	(*send)(void *arg, const char *, size_t);
	/* Bytes the client typed, for the guest. */
	void	(*input)(void *arg, const char *, size_t);
	/* An escape command, a break or a protocol violation. */
	void	(*command)(void *arg, enum proto_cmd);
};

struct proto;
struct proto	*proto_new(enum proto_kind, const struct proto_cb *, void *arg);
void		 proto_free(struct proto *);
/* Telnet: the server's opening negotiation (WILL ECHO, SGA, BINARY). */
void		 proto_start(struct proto *);
/* Bytes from the client; 'now' (seconds) paces negotiation limits. */
void		 proto_recv(struct proto *, const char *, size_t, double now);
/* Bytes from the guest, escaped as the protocol needs. */
void		 proto_output(struct proto *, const char *, size_t);
/* A message from xenconsoled on a line of its own: "[xenconsoled: ...]". */
void		 proto_notice(struct proto *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
/* Stops acting on input (after PROTO_QUIT or PROTO_ABUSE). */
void		 proto_stop(struct proto *);
/* A lone ^E is held until the next byte says what it is: held now? */
int		 proto_escape_held(const struct proto *);
/* Passes a held ^E on to the guest (the client paused after it). */
void		 proto_escape_flush(struct proto *);
/* Telnet: does the client take 8-bit output / send 8-bit input. */
int		 proto_binary_out(const struct proto *);
int		 proto_binary_in(const struct proto *);
const char	*proto_help(void);

/* conlog.c: per-domain log files with line timestamps and rotation. */
/* Identifies the byte stream a log copies: QEMU's console log file. */
struct conlog_id {
	int		 domid;
	unsigned long	 dev;
	unsigned long	 ino;
};
#define CONLOG_STAMP_LEN 26	/* "[YYYY-MM-DD HH:MM:SS.mmm] " */

struct conlog;
/*
 * Opens DIR/NAME.log to continue the stream id.  If the file already
 * holds that stream, *offset is how many stream bytes it has (so copying
 * resumes exactly there, even after kill -9); otherwise the old file is
 * rotated away and *offset is 0.
 */
int		 conlog_open(const char *dir, const char *name,
		     const struct conlog_id *, size_t max_size, int keep,
		     struct conlog **, uint64_t *offset, char **cause);
void		 conlog_close(struct conlog *);
/*
 * Appends stream bytes with a timestamp at each line start, rotating
 * first if the file would pass max_size.  All or nothing: on failure the
 * file is cut back, the error counted and -1 returned with errno set, so
 * the caller retries the same bytes later.
 */
int		 conlog_write(struct conlog *, const char *, size_t,
		     double now);
/* Closes and reopens the file (SIGHUP: after logrotate moved it). */
int		 conlog_reopen(struct conlog *, char **cause);
/* Renames the files for a renamed domain. */
int		 conlog_rename(struct conlog *, const char *name,
		     char **cause);
uint64_t	 conlog_offset(const struct conlog *);
unsigned long	 conlog_errors(const struct conlog *);
const char	*conlog_path(const struct conlog *);
/* Reads a log back without stamps or headers (tests, tools). */
int		 conlog_strip(const char *text, size_t len, char **out,
		     size_t *outlen);

/*
 * hosts.c: console-hosts-allow, as xend-relocation-hosts-allow works, for
 * clients from other hosts; empty allows none of them.
 */
int		 hosts_allow_init(const char *patterns, char **cause);
int		 hosts_allowed(const char *addr);
void		 hosts_allow_free(void);

/*
 * sockdiag.c: identities of local TCP peers, asked of the kernel
 * (NETLINK_SOCK_DIAG).  Usable from any thread; they block briefly.
 */
/*
 * The owner of the socket at the other end of fd, if it is on this host;
 * wait_ms: how long to wait for a server to accept (clients only).
 */
int		 sockdiag_peer_uid(int fd, int wait_ms, uid_t *uid,
		     char **cause);
/* The owner of a socket listening on TCP port (any address). */
int		 sockdiag_listener_uid(int port, uid_t *uid, char **cause);
/* Loopback, or one of this host's own addresses. */
int		 sockdiag_addr_local(const struct sockaddr *);

/* access.c: who may use a console (docs/SECURITY.md). */
enum access_verdict {
	ACCESS_DENY,		/* why says so; close */
	ACCESS_ALLOW,		/* a local user root or console-group */
	ACCESS_PASSWORD,	/* a remote host allowed: ask a password */
};
struct access {
	enum access_verdict	 verdict;
	int			 local;
	long			 uid;		/* local peers, else -1 */
	char			 key[64];	/* back-off: "uid N" or address */
	char			 who[64];	/* for logs */
	char			 why[192];	/* ACCESS_DENY: the client's line */
};
#define ACCESS_AUTH_S		30	/* to type a password */
#define ACCESS_AUTH_PENDING	8	/* per console, waiting for one */
#define ACCESS_PASSWORD_MAX	256

void		 access_init(void);
int		 access_uid_allowed(uid_t);
/* A TCP client (fd accepted, addr its numeric address). */
void		 access_tcp(int fd, const char *addr, struct access *);
/* A client of a console's unix socket. */
void		 access_unix(int fd, struct access *);
/*
 * The crypt(3) hash a remote client of console must match, from
 * console-password-file: 0 and *hash (caller frees), 1 if there is
 * none, -1 if the file cannot be used.
 */
int		 access_password(const char *console, char **hash,
		     char **cause);

/* conn.c: a client of one console, TCP (telnet) or unix (raw). */
struct console;
struct conn {
	int			 refs;		/* freed at 0 (deferred) */
	int			 dead;		/* out of the console's list */
	int			 closing;	/* flushing a last notice */
	struct console		*con;		/* holds a reference */
	unsigned		 id;
	enum proto_kind		 kind;
	char			*peer;		/* address or process */
	char			*desc;		/* "#1 telnet 127.0.0.1:4242" */
	struct bufferevent	*bev;
	struct proto		*proto;

	uint64_t		 pos;		/* next ring offset to send */
	uint64_t		 sent;		/* guest bytes sent */
	uint64_t		 skipped;	/* guest bytes it missed */
	double			 since;		/* wall clock */
	double			 last_in;	/* monotonic */
	double			 stalled_since;	/* output full since, or 0 */
	double			 noticed;	/* last rate-limited notice */
	int			 input_paused;	/* guest input backpressure */
	double			 eof_at;	/* it sent EOF (monotonic) */
	struct event		*esc_ev;	/* flushes a lone ^E */

	/* A remote client first gives the console's password. */
	char			*hash;		/* to match; NULL: admitted */
	char			*auth_key;	/* its back-off key */
	char			 pw[ACCESS_PASSWORD_MAX];
	size_t			 pwlen;
	double			 auth_since;	/* monotonic */
	int			 skip_lf;	/* after the password's CR */
	int			 checking;	/* a thread checks it: wait */
	char			 typed[256];	/* input meanwhile */
	size_t			 ntyped;
	struct {
		enum proto_cmd	 cmd;
		size_t		 at;		/* after typed[0..at) */
	}			 held[8];	/* ^E c commands meanwhile */
	int			 nheld;

	TAILQ_ENTRY(conn)	 entry;
};
TAILQ_HEAD(conn_list, conn);

#define CONN_HIGH	(64 * 1024)	/* stop copying from the ring */
#define CONN_LOW	(16 * 1024)	/* ... and resume below this */
#define CONN_MAX_OUT	(1024 * 1024)	/* more queued: not a client */
#define CONN_HISTORY_MAX (16 * 1024)	/* bytes of history on attach */

/* console.c: one domain's console. */
struct listener;
struct vnc;
struct console {
	int			 refs;		/* freed at 0 */
	int			 gone;		/* domain removed */
	int			 domid;
	char			*name;
	int			 port;
	char			*qemu_path;
	char			*qemu_log_path;
	char			*unix_path;
	struct ring		*ring;

	/* QEMU's console socket: it serves one client, and that is us. */
	struct bufferevent	*qemu;		/* writes; NULL: not connected */
	struct drain		*drain;		/* reads */
	int			 qemu_telnet;	/* -1 not known yet, 0, 1 */
	int			 qemu_pid;
	int			 qemu_tuned;	/* its send buffer: 1 enlarged,
						   -1 could not, 0 not yet */
	size_t			 qemu_init;	/* telnet opening matched */
	struct event		*retry_ev;
	struct event		*tune_ev;
	int			 tune_tries;
	double			 retry_delay;
	int			 seeded;
	unsigned		 connects;
	int			 connect_warned;
	char			*attach_error;	/* why not attached, or NULL */

	/* QEMU's log file (every byte), copied into ours with stamps. */
	int			 src_fd;
	struct conlog_id	 src_id;
	struct conlog		*log;
	unsigned long		 log_open_errors;
	uint64_t		 src_pos;
	struct event		*tail_ev;
	int			 log_failing;
	int			 src_warned;
	uint64_t		 src_trimmed;	/* QEMU's log freed below */
	int			 src_trim;	/* 1 can, 0 cannot, -1 failed */
	/*
	 * Guest bytes QEMU's log lacks (it could not write them: a full
	 * disk): what the socket brought since we connected, less what the
	 * log grew by, counted once the socket has been quiet a moment.
	 */
	uint64_t		 in_at_connect;	/* bytes_in then */
	uint64_t		 src_at_connect; /* QEMU's log size then */
	uint64_t		 lost_before;	/* counted on earlier connections */
	uint64_t		 src_lost;
	double			 last_data;	/* monotonic */

	struct listener		*tcp;
	struct listener		*local;
	struct conn_list	 conns;
	int			 nconns;
	int			 nauth;		/* of them, giving a password */
	struct conn		*input;		/* holds input, or NULL */
	unsigned		 next_conn_id;

	uint64_t		 bytes_in;	/* from the guest */
	uint64_t		 bytes_out;	/* to the guest */
	uint64_t		 dropped;	/* skipped by slow clients */
	uint64_t		 clients_total;
	uint64_t		 rejected;
	struct vnc		*vnc;

	TAILQ_ENTRY(console)	 entry;
};

struct console_info {
	int		 domid;
	const char	*name;
	int		 port;
	const char	*qemu_path;	/* QEMU's console socket */
	const char	*qemu_log;	/* QEMU's console log file */
	int		 qemu_pid;	/* 0 if not known */
	const char	*vnc_path;	/* QEMU's VNC socket, or NULL */
	int		 vnc_port;
	const char	*vnc_passwd;
	const char	*vnc_passwd_ro;	/* view-only password, or NULL */
};

extern TAILQ_HEAD(console_list, console) consoles;

#define QEMU_OUT_MAX	(64 * 1024)	/* input queued for the guest */

struct console	*console_find(int domid);
struct console	*console_create(const struct console_info *);
/* The domain is gone: detach everyone and free once nothing holds it. */
void		 console_destroy(struct console *);
void		 console_moved(struct console *, const char *host, int port);
void		 console_update(struct console *, const struct console_info *);
void		 console_ref(struct console *);
void		 console_unref(struct console *);
json_t		*console_to_json(struct console *);
/* Once a second: log catch-up, reconnects, client timeouts. */
void		 console_tick(struct console *, double now);
/* SIGHUP */
void		 console_reopen_log(struct console *);
/* Shutdown: every console, at once. */
void		 console_destroy_all(void);

/* Used by conn.c. */
struct ring	*console_ring(struct console *);
int		 console_holds_input(struct console *, struct conn *);
/* Input from a client for the guest; -1 if it must wait (backpressure). */
int		 console_input(struct console *, struct conn *, const char *,
		     size_t);
void		 console_command(struct console *, struct conn *,
		     enum proto_cmd);
void		 console_conn_gone(struct console *, struct conn *);

/* conn.c */
/*
 * hash: a remote client's password must match it before it sees or
 * sends anything (NULL: none asked); key: its back-off key.
 */
struct conn	*conn_new(struct console *, int fd, enum proto_kind,
		     const char *peer, const char *hash, const char *key);
int		 conn_authenticated(const struct conn *);
/* Sends what the ring has past the client's position, within bounds. */
void		 conn_pump(struct conn *);
void		 conn_notice(struct conn *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
/* Flushes a last notice, then closes. */
void		 conn_close(struct conn *, const char *why);
void		 conn_tick(struct conn *, double now);
void		 conn_resume_input(struct conn *);
/* Rate limits repeated notices (read-only, not connected). */
int		 conn_notice_due(struct conn *, double now);
json_t		*conn_to_json(struct conn *);
const char	*conn_describe(const struct conn *);

/* drain.c: a thread that reads a QEMU console socket the moment it can. */
typedef void	(*drain_data_cb)(void *arg, const char *, size_t);
typedef void	(*drain_eof_cb)(void *arg);
struct drain;
/*
 * fd stays the caller's (and non-blocking, for its writes).  NULL, with a
 * cause the caller frees, when no pipe or thread can be had.
 */
struct drain	*drain_start(int fd, drain_data_cb, drain_eof_cb, void *arg,
		     char **cause);
/* Shuts fd down, joins the thread, frees; fd is still to be closed. */
void		 drain_stop(struct drain *);
/* A thread with every signal blocked (vnc.c's too); -1 with a cause. */
int		 drain_thread_start(pthread_t *, void *(*)(void *), void *,
		     char **cause);

/* listen.c: the TCP and unix listeners of a console. */
struct listener;
/* addr: the peer's numeric address ("" for unix); peer: for people. */
typedef void	(*listener_cb)(void *arg, int fd, const char *addr,
		     const char *peer);
/* addr NULL: a unix socket at path. */
struct listener	*listener_new(const char *addr, int port, const char *path,
		     listener_cb, void *arg);
void		 listener_free(struct listener *);
int		 listener_up(const struct listener *);
/* Who holds the port when we cannot listen on it: a uid, or -1. */
long		 listener_holder(const struct listener *);
void		 listener_retry(struct listener *);

/* vnc.c: a graphical console, proxied in a thread of its own. */
struct vnc;
struct vnc	*vnc_start(const struct console_info *, const char *address);
/* Asks the thread to stop; it is joined and freed by the main loop. */
void		 vnc_stop(struct vnc *);
json_t		*vnc_to_json(struct vnc *);
/* Shutdown: stops and joins every thread still running. */
void		 vnc_stop_all(void);
void		 vnc_init(void);

/* xendlink.c: follows xend's domains through its event subscription. */
/* ready: called once, when the first domain list is in or xend is down. */
void		 xendlink_init(void (*ready)(void));
void		 xendlink_close(void);
int		 xendlink_connected(void);

/* control.c: the status socket (console-socket-dir/xenconsoled.sock). */
int		 control_init(char **cause);
void		 control_close(void);

/* main.c */
extern struct event_base	*cd_base;
extern struct xendcfg		 cd_cfg;
extern double			 cd_start_time;
char		*cd_control_path(void);

#endif
