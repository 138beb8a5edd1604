/*
 * conn.c: one client of a console.
 *
 * Output: the client reads the ring from its own offset.  At most
 * CONN_HIGH bytes are queued for its socket at a time; when it drains
 * below CONN_LOW, more is copied.  A client that falls behind the ring's
 * tail skips ahead and is told how many bytes it missed; one whose socket
 * takes nothing for console-client-stall seconds is dropped.  Nothing a
 * client does (or fails to do) slows the guest or the other clients.
 *
 * Input goes to the guest only from the client holding input
 * (console.c); if the guest's side backs up, this client stops being read.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "xen-common.h"
#include "xendcfg.h"
#include "consoled.h"

#define KEEPALIVE_PROBES	3

#define CONN_ESCAPE_US	500000	/* a lone ^E goes to the guest after this */
#define CONN_CLOSE_S	5	/* to flush a last notice */
#define CONN_NOTICE_S	3.0	/* between repeated notices */
#define CONN_EOF_GRACE_S 3.0	/* output after a client's EOF */
#define CONN_CHECKS_MAX	4	/* password checks running at once */

/*
 * A password check (crypt(3): yescrypt takes ~0.1 s) runs in a thread
 * of its own, so the loop keeps serving every other client meanwhile;
 * the thread says it is done through a pipe.
 */
struct conn_check {
	struct conn	*c;		/* holds a reference */
	char		*hash;
	char		 pw[ACCESS_PASSWORD_MAX];
	int		 ok;
	int		 pipe[2];
	struct event	*ev;
};
static int	conn_checks;

static void	conn_send(void *, const char *, size_t);
static void	conn_input(void *, const char *, size_t);
static void	conn_command(void *, enum proto_cmd);
static void	conn_read(struct bufferevent *, void *);

static const struct proto_cb conn_proto_cb = {
	conn_send, conn_input, conn_command
};

static void
conn_unref(struct conn *c)
{
	if (--c->refs > 0)
		return;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->esc_ev != NULL)
		event_free(c->esc_ev);
	proto_free(c->proto);
	console_unref(c->con);
	free(c->hash);
	free(c->auth_key);
	explicit_bzero(c->pw, sizeof c->pw);
	free(c->peer);
	free(c->desc);
	free(c);
}

static void
conn_free_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_unref(arg);
}

/* Out of the console now; freed from the loop, after every callback. */
static void
conn_drop(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	if (c->hash != NULL)
		c->con->nauth--;
	console_conn_gone(c->con, c);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	evtimer_del(c->esc_ev);
	proto_stop(c->proto);
	if (event_base_once(cd_base, -1, EV_TIMEOUT, conn_free_cb, c,
	    NULL) != 0)
		fatalx("event_base_once failed");
}

const char *
conn_describe(const struct conn *c)
{
	return (c->desc);
}

int
conn_notice_due(struct conn *c, double now)
{
	if (c->noticed != 0 && now - c->noticed < CONN_NOTICE_S)
		return (0);
	c->noticed = now;
	return (1);
}

static void
conn_send(void *arg, const char *buf, size_t len)
{
	struct conn	*c = arg;
	struct evbuffer	*out;

	if (c->dead)
		return;
	out = bufferevent_get_output(c->bev);
	evbuffer_add(out, buf, len);
	/* Only negotiation replies and notices get past CONN_HIGH. */
	if (evbuffer_get_length(out) > CONN_MAX_OUT) {
		log_warn("%s: client %s does not read what it asks for; "
		    "dropped", c->con->name, c->desc);
		conn_drop(c);
	}
}

int
conn_authenticated(const struct conn *c)
{
	return (c->hash == NULL);
}

/* The password is right: the history, then live output. */
static void
conn_admit(struct conn *c)
{
	free(c->hash);
	c->hash = NULL;
	c->con->nauth--;
	backoff_ok(c->auth_key);
	log_info("%s: client %s gave the right password", c->con->name,
	    c->desc);
	proto_output(c->proto, "\r\n", 2);
	c->pos = ring_history(console_ring(c->con),
	    cd_cfg.console_history_lines, CONN_HISTORY_MAX);
	conn_pump(c);
}

/* The verdict on a password; one try per connection. */
static void
conn_auth_result(struct conn *c, int ok)
{
	double	 delay;
	size_t	 n = c->ntyped, at = 0;
	int	 i;

	/* Counted even if it left meanwhile: leaving early is no way out. */
	if (!ok) {
		delay = backoff_fail(c->auth_key, time_mono());
		c->con->rejected++;
		log_warn("%s: client %s gave a wrong password; %s backs off "
		    "for %.0f s", c->con->name, c->desc, c->auth_key, delay);
		conn_close(c, "access denied: wrong password");
		return;
	}
	if (c->dead || c->closing)
		return;
	conn_admit(c);
	/* What was typed after the password, in order, then the rest. */
	c->ntyped = 0;
	for (i = 0; i < c->nheld && !c->dead && !c->closing; i++) {
		if (c->held[i].at > at)
			conn_input(c, c->typed + at, c->held[i].at - at);
		at = c->held[i].at;
		if (!c->dead && !c->closing)
			conn_command(c, c->held[i].cmd);
	}
	c->nheld = 0;
	if (n > at && !c->dead && !c->closing)
		conn_input(c, c->typed + at, n - at);
	if (!c->dead && !c->closing && c->input_paused) {
		c->input_paused = 0;
		bufferevent_enable(c->bev, EV_READ);
		conn_read(c->bev, c);
	}
}

static void *
conn_check_main(void *arg)
{
	struct conn_check	*k = arg;
	ssize_t			 n;

	k->ok = password_ok(k->hash, k->pw);
	explicit_bzero(k->pw, sizeof k->pw);
	n = write(k->pipe[1], "x", 1);
	(void)n;
	return (NULL);
}

static void
conn_check_done(evutil_socket_t fd, short what, void *arg)
{
	struct conn_check	*k = arg;
	struct conn		*c = k->c;
	int			 ok = k->ok;

	conn_checks--;
	event_free(k->ev);
	close(k->pipe[0]);
	close(k->pipe[1]);
	free(k->hash);
	free(k);
	c->checking = 0;
	conn_auth_result(c, ok);
	conn_unref(c);
}

/* Starts checking c's password in a thread; -1 if none could start. */
static int
conn_check_start(struct conn *c)
{
	struct conn_check	*k;
	pthread_attr_t		 attr;
	pthread_t		 t;
	sigset_t		 all, old;
	int			 r;

	k = xcalloc(1, sizeof *k);
	if (pipe2(k->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		free(k);
		return (-1);
	}
	k->c = c;
	k->hash = xstrdup(c->hash);
	memcpy(k->pw, c->pw, sizeof k->pw);
	k->ev = event_new(cd_base, k->pipe[0], EV_READ, conn_check_done, k);
	event_add(k->ev, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t, &attr, conn_check_main, k);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		event_free(k->ev);
		close(k->pipe[0]);
		close(k->pipe[1]);
		free(k->hash);
		explicit_bzero(k->pw, sizeof k->pw);
		free(k);
		return (-1);
	}
	c->refs++;
	c->checking = 1;
	conn_checks++;
	/* Nothing more is read until the verdict. */
	c->input_paused = 1;
	bufferevent_disable(c->bev, EV_READ);
	return (0);
}

/* Password bytes, up to CR or LF. */
static void
conn_auth_input(struct conn *c, const char *buf, size_t len)
{
	double	 wait;
	size_t	 i, n;
	int	 ok;
	char	*msg;

	if (c->checking) {
		n = len < sizeof c->typed - c->ntyped ? len :
		    sizeof c->typed - c->ntyped;
		memcpy(c->typed + c->ntyped, buf, n);
		c->ntyped += n;
		return;
	}
	for (i = 0; i < len; i++) {
		if (buf[i] == '\r' || buf[i] == '\n')
			break;
		if (c->pwlen + 1 >= sizeof c->pw) {
			conn_close(c, "access denied: password too long");
			return;
		}
		c->pw[c->pwlen++] = buf[i];
	}
	if (i == len)
		return;
	c->pw[c->pwlen] = '\0';
	/* Others may have failed from there meanwhile: no guess now. */
	if ((wait = backoff_wait(c->auth_key, time_mono())) > 0) {
		log_info("%s: client %s refused: in back-off for %.1f s more",
		    c->con->name, c->desc, wait);
		msg = xsprintf("access denied: too many wrong passwords from "
		    "%s; try again in %.0f s", c->auth_key, wait + 0.5);
		conn_close(c, msg);
		free(msg);
		return;
	}
	if (conn_checks >= CONN_CHECKS_MAX) {
		log_warn("%s: client %s refused: %d password checks running",
		    c->con->name, c->desc, conn_checks);
		conn_close(c, "access denied: busy checking passwords; try "
		    "again in a moment");
		return;
	}
	c->skip_lf = buf[i] == '\r';
	if (conn_check_start(c) == 0) {
		explicit_bzero(c->pw, sizeof c->pw);
		c->pwlen = 0;
		if (i + 1 < len)
			conn_auth_input(c, buf + i + 1, len - i - 1);
		return;
	}
	/* No thread: check it here and now. */
	ok = password_ok(c->hash, c->pw);
	explicit_bzero(c->pw, sizeof c->pw);
	c->pwlen = 0;
	conn_auth_result(c, ok);
	if (ok && !c->dead && !c->closing && i + 1 < len)
		conn_input(c, buf + i + 1, len - i - 1);
}

static void
conn_input(void *arg, const char *buf, size_t len)
{
	struct conn	*c = arg;

	if (c->dead || c->closing)
		return;
	if (c->hash != NULL) {
		conn_auth_input(c, buf, len);
		return;
	}
	/* The LF (or NUL) of the password's CR LF is not for the guest. */
	if (c->skip_lf && len > 0) {
		c->skip_lf = 0;
		if (*buf == '\n' || *buf == '\0') {
			buf++;
			len--;
		}
		if (len == 0)
			return;
	}
	if (console_input(c->con, c, buf, len) != 0 && !c->input_paused) {
		c->input_paused = 1;
		bufferevent_disable(c->bev, EV_READ);
	}
}

static void
conn_command(void *arg, enum proto_cmd cmd)
{
	struct conn	*c = arg;

	if (c->dead || c->closing)
		return;
	/* While its password is checked: kept for after. */
	if (c->checking && cmd != PROTO_QUIT && cmd != PROTO_ABUSE) {
		if (c->nheld < (int)nitems(c->held)) {
			c->held[c->nheld].cmd = cmd;
			c->held[c->nheld++].at = c->ntyped;
		}
		return;
	}
	/* Before the password, only leaving (or being dropped) works. */
	if (c->hash != NULL && cmd != PROTO_QUIT && cmd != PROTO_ABUSE)
		return;
	console_command(c->con, c, cmd);
}

void
conn_notice(struct conn *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (c->dead)
		return;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	proto_notice(c->proto, "%s", msg);
	free(msg);
}

void
conn_pump(struct conn *c)
{
	struct ring	*r = console_ring(c->con);
	struct evbuffer	*out;
	const char	*p;
	size_t		 len, room, n;
	uint64_t	 tail, lost;

	if (c->dead || c->closing || c->hash != NULL)
		return;
	out = bufferevent_get_output(c->bev);
	while ((len = evbuffer_get_length(out)) < CONN_HIGH &&
	    c->pos < r->head) {
		tail = ring_tail(r);
		if (c->pos < tail) {
			lost = tail - c->pos;
			c->skipped += lost;
			c->con->dropped += lost;
			c->pos = tail;
			proto_notice(c->proto, "%llu bytes skipped: this "
			    "client fell behind", (unsigned long long)lost);
			continue;
		}
		room = CONN_HIGH - len;
		n = ring_peek(r, c->pos, &p, room);
		proto_output(c->proto, p, n);
		c->pos += n;
		c->sent += n;
	}
	if (evbuffer_get_length(out) >= CONN_HIGH) {
		if (c->stalled_since == 0)
			c->stalled_since = time_mono();
	}
}

/* Any byte the socket took is progress: a slow reader is not stuck. */
static void
conn_drained(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn	*c = arg;

	if (info->n_deleted > 0 && c->stalled_since != 0)
		c->stalled_since = time_mono();
}

static void
conn_escape_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	proto_escape_flush(c->proto);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	struct timeval	 tv = { 0, CONN_ESCAPE_US };
	size_t		 len;
	unsigned char	*p;
	double		 now = time_mono();

	c->refs++;
	while (!c->dead && !c->closing && !c->input_paused &&
	    (len = evbuffer_get_length(in)) > 0) {
		if (len > 16384)
			len = 16384;
		p = evbuffer_pullup(in, len);
		c->last_in = now;
		proto_recv(c->proto, (const char *)p, len, now);
		evbuffer_drain(in, len);
	}
	if (!c->dead && proto_escape_held(c->proto))
		evtimer_add(c->esc_ev, &tv);
	else if (!c->dead)
		evtimer_del(c->esc_ev);
	conn_unref(c);
}

void
conn_resume_input(struct conn *c)
{
	if (c->dead || !c->input_paused)
		return;
	c->input_paused = 0;
	bufferevent_enable(c->bev, EV_READ);
	conn_read(c->bev, c);	/* what was left when it paused */
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;

	c->stalled_since = 0;
	if (c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_drop(c);
		return;
	}
	conn_pump(c);
}

/*
 * End of input: "printf 'cmd\r' | nc host port" still wants the output,
 * so the client keeps reading for a grace period; a closed one goes then
 * (or sooner, when a write to it fails).
 */
static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;
	struct pollfd	 pf;

	/* Closed both ways (a unix peer shows it: POLLHUP): gone now. */
	pf.fd = bufferevent_getfd(bev);
	pf.events = 0;
	if ((what & BEV_EVENT_EOF) && poll(&pf, 1, 0) == 1 &&
	    (pf.revents & POLLHUP))
		what |= BEV_EVENT_ERROR;
	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) &&
	    !(what & BEV_EVENT_ERROR) && !c->closing && c->eof_at == 0) {
		c->eof_at = time_mono();
		bufferevent_disable(bev, EV_READ);
		if (console_holds_input(c->con, c))
			console_command(c->con, c, PROTO_RELEASE_QUIET);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_drop(c);
}

void
conn_close(struct conn *c, const char *why)
{
	struct timeval	 tv = { CONN_CLOSE_S, 0 };

	if (c->dead || c->closing)
		return;
	if (why == NULL) {
		conn_drop(c);
		return;
	}
	conn_notice(c, "%s", why);
	c->closing = 1;
	proto_stop(c->proto);
	bufferevent_disable(c->bev, EV_READ);
	/* Say when the notice is out; give up if it never goes. */
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_set_timeouts(c->bev, NULL, &tv);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_drop(c);
}

/*
 * Half-open connections: keepalive probes after keepalive s idle, every
 * keepalive/3 s, 3 unanswered and the peer is gone.  TCP_USER_TIMEOUT
 * bounds unacknowledged data (a peer that vanished while we were
 * sending), but Linux also lets it override the probe count, so it is
 * the shorter of the stall bound and the probes' own deadline: otherwise
 * a keepalive shorter than console-client-stall would not be honoured.
 */
static void
conn_sockopts(int fd, int keepalive, int stall)
{
	int	 one = 1, v, intvl, deadline = stall;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (keepalive > 0) {
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
		v = keepalive;
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v);
		intvl = keepalive / 3 > 0 ? keepalive / 3 : 1;
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl,
		    sizeof intvl);
		v = KEEPALIVE_PROBES;
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof v);
		if (keepalive + KEEPALIVE_PROBES * intvl < deadline)
			deadline = keepalive + KEEPALIVE_PROBES * intvl;
	}
	v = deadline * 1000;
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof v);
}

struct conn *
conn_new(struct console *con, int fd, enum proto_kind kind, const char *peer,
    const char *hash, const char *key)
{
	struct conn	*c = xcalloc(1, sizeof *c);
	struct ring	*r = console_ring(con);

	c->refs = 1;
	c->con = con;
	console_ref(con);
	c->id = con->next_conn_id++;
	c->kind = kind;
	c->peer = xstrdup(peer);
	c->desc = xsprintf("#%u %s %s", c->id, kind == PROTO_TELNET ?
	    "telnet" : "unix", peer);
	c->since = time_wall();
	c->last_in = time_mono();
	if (kind == PROTO_TELNET)
		conn_sockopts(fd, cd_cfg.console_keepalive,
		    cd_cfg.console_client_stall);
	c->bev = bufferevent_socket_new(cd_base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		fatalx("bufferevent_socket_new failed");
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, CONN_LOW, 0);
	evbuffer_add_cb(bufferevent_get_output(c->bev), conn_drained, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->esc_ev = evtimer_new(cd_base, conn_escape_cb, c);
	c->proto = proto_new(kind, &conn_proto_cb, c);
	proto_start(c->proto);
	if (hash != NULL) {
		/* We said WILL ECHO and echo nothing: the password is unseen. */
		c->hash = xstrdup(hash);
		c->auth_key = xstrdup(key);
		c->auth_since = time_mono();
		con->nauth++;
		proto_output(c->proto, "password: ", 10);
		return (c);
	}
	/* The last screenful first, then live output. */
	c->pos = ring_history(r, cd_cfg.console_history_lines,
	    CONN_HISTORY_MAX);
	return (c);
}

void
conn_tick(struct conn *c, double now)
{
	int	 idle = cd_cfg.console_idle_timeout;

	if (c->dead)
		return;
	if (c->hash != NULL && !c->closing &&
	    now - c->auth_since > ACCESS_AUTH_S) {
		log_info("%s: client %s gave no password in %d s; dropped",
		    c->con->name, c->desc, ACCESS_AUTH_S);
		conn_close(c, "access denied: no password given in time");
		return;
	}
	if (c->eof_at != 0 && now - c->eof_at > CONN_EOF_GRACE_S) {
		conn_drop(c);
		return;
	}
	if (c->stalled_since != 0 &&
	    now - c->stalled_since > cd_cfg.console_client_stall) {
		log_info("%s: client %s has read nothing for %d s; dropped",
		    c->con->name, c->desc, cd_cfg.console_client_stall);
		conn_drop(c);
		return;
	}
	/* Network clients only: a local one cannot be half-open. */
	if (idle > 0 && c->kind == PROTO_TELNET && !c->closing &&
	    now - c->last_in > idle)
		conn_close(c, "idle too long; disconnected");
}

json_t *
conn_to_json(struct conn *c)
{
	struct ring	*r = console_ring(c->con);

	return (json_pack("{s:i, s:s, s:s, s:b, s:b, s:f, s:I, s:I, s:I}",
	    "id", (int)c->id,
	    "kind", c->kind == PROTO_TELNET ? "telnet" : "unix",
	    "peer", c->peer,
	    "input", console_holds_input(c->con, c),
	    "authenticated", c->hash == NULL,
	    "since", c->since,
	    "bytes", (json_int_t)c->sent,
	    "skipped", (json_int_t)c->skipped,
	    "lag", (json_int_t)(r->head > c->pos ? r->head - c->pos : 0)));
}
