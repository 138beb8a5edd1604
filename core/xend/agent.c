/*
 * agent.c: the guest agent's control channel, a virtio-serial port
 * (org.xen.control.0) on QEMU's DIR/control.sock.  Lines, one message each:
 *
 *   guest -> host: hello 1 | memory_target MB | cpus_online LIST |
 *                  block_released DEV [MOUNTPOINTS] | block_busy DEV TEXT
 *   host -> guest: memory_target MB | vcpus N | query | error TEXT |
 *                  block_release DEV
 *
 * Everything from the guest is checked before it is stored (a number of
 * MB, a cpu list of this domain's vCPUs, stored in its canonical form) and
 * rate-limited (below); unknown messages are logged, within the limits.
 *
 * The agent is optional: a guest without one simply never says hello, and
 * what needs it (vcpu-set, the in-guest memory_target file) says so.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "xen-common.h"
#include "cpulist.h"
#include "xend.h"

#define AGENT_MAX_LINE		4096
#define AGENT_RETRY_USEC	50000
/*
 * A guest is untrusted: it may send anything, as fast as it likes.  Each
 * second xend reads at most AGENT_LINES_PER_SEC of its lines (then stops
 * reading until the next second: the guest's writes block, not xend),
 * applies at most one memory_target (the latest: a rewrite of config.json
 * and a balloon command) and sends at most one event for a changed
 * cpus_online; it logs at most AGENT_COMPLAINTS_PER_MIN complaints about
 * a guest a minute, and queues at most AGENT_MAX_OUTPUT bytes for it.
 */
#define AGENT_LINES_PER_SEC	100
#define AGENT_COMPLAINTS_PER_MIN 5
#define AGENT_MAX_OUTPUT	(64 * 1024)

struct agent_limits {
	struct event	*tick_ev;	/* once a second while connected */
	int		 lines;		/* read in this second */
	int		 paused;	/* reading stopped until the tick */
	int		 paused_logged;	/* "too fast" said this minute */
	long		 mem_want;	/* memory_target waiting, -1 none */
	int		 mem_recent;	/* one applied in this second */
	char		*cpus_want;	/* changed cpus_online waiting */
	int		 cpus_recent;	/* one reported in this second */
	int		 complaints;	/* logged this minute */
	int		 suppressed;	/* not logged this minute */
	int		 ticks;		/* seconds, for the minute */
	int		 out_full;	/* output dropped: said once */
};

/* What the guest's requests and reports go to (control.c's). */
static const struct agent_hooks	*hooks;

static void	agent_retry_cb(evutil_socket_t, short, void *);
static void	agent_read_cb(struct bufferevent *, void *);

int
agent_is_up(struct domain *d)
{
	return (d->agent != NULL && d->agent_hello);
}

/* A complaint about the guest, logged within the per-minute budget. */
static void __attribute__((format(printf, 2, 3)))
agent_complain(struct domain *d, const char *fmt, ...)
{
	struct agent_limits	*l = d->agent_lim;
	va_list			 ap;
	char			*msg;

	if (l != NULL && l->complaints >= AGENT_COMPLAINTS_PER_MIN) {
		l->suppressed++;
		return;
	}
	if (l != NULL)
		l->complaints++;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	log_warn("%s (%d): guest agent: %s", d->name, d->domid, msg);
	free(msg);
}

int
agent_send(struct domain *d, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;

	if (d->agent == NULL)
		return (-1);
	/* A guest that does not read gets no more than this queued. */
	if (evbuffer_get_length(bufferevent_get_output(d->agent)) >
	    AGENT_MAX_OUTPUT) {
		if (d->agent_lim != NULL && !d->agent_lim->out_full) {
			d->agent_lim->out_full = 1;
			agent_complain(d, "not reading its messages; dropping "
			    "what xend sends it");
		}
		return (-1);
	}
	va_start(ap, fmt);
	xvasprintf(&line, fmt, ap);
	va_end(ap);
	log_debug("%s: agent <- %s", d->name, line);
	bufferevent_write(d->agent, line, strlen(line));
	bufferevent_write(d->agent, "\n", 1);
	free(line);
	return (0);
}

static void
agent_send_target(struct domain *d)
{
	agent_send(d, "memory_target %ld", d->config->memory);
}

/* The guest's own memory_target request (the manual's self-service). */
static void
agent_apply_mem(struct domain *d, long mb)
{
	char	*cause;

	d->agent_lim->mem_recent = 1;
	if (mb != d->config->memory &&
	    hooks->mem_set(d, mb, &cause) != 0) {
		agent_send(d, "error %s", cause);
		free(cause);
	}
	agent_send_target(d);
}

static void
agent_apply_cpus(struct domain *d, const char *list)
{
	d->agent_lim->cpus_recent = 1;
	hooks->cpus_online(d, list);
}

/* Once a second: a new budget, and what the last second held back. */
static void
agent_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct domain		*d = arg;
	struct agent_limits	*l = d->agent_lim;
	char			*cpus;

	l->lines = 0;
	l->mem_recent = l->cpus_recent = 0;
	if (l->mem_want != -1) {
		long mb = l->mem_want;

		l->mem_want = -1;
		agent_apply_mem(d, mb);
	}
	if (l->cpus_want != NULL) {
		cpus = l->cpus_want;
		l->cpus_want = NULL;
		agent_apply_cpus(d, cpus);
		free(cpus);
	}
	if (++l->ticks >= 60) {
		if (l->suppressed > 0)
			log_warn("%s (%d): guest agent: %d more complaints in "
			    "the last minute not logged", d->name, d->domid,
			    l->suppressed);
		l->ticks = l->complaints = l->suppressed = 0;
		l->paused_logged = l->out_full = 0;
	}
	if (l->paused && d->agent != NULL) {
		l->paused = 0;
		bufferevent_enable(d->agent, EV_READ);
		agent_read_cb(d->agent, d);
	}
}

static void
agent_cpus_online(struct domain *d, const char *arg)
{
	struct agent_limits	*l = d->agent_lim;
	cpu_set_t		 set;
	char			*cause, *norm;
	int			 n;

	n = domcfg_vcpus_max(d->config);
	if (arg == NULL || cpulist_parse(arg, n, &set, &cause) != 0) {
		if (arg == NULL)
			cause = xstrdup("no list");
		agent_complain(d, "cpus_online '%s' refused: %s",
		    arg != NULL ? arg : "", cause);
		agent_send(d, "error cpus_online: %s", cause);
		free(cause);
		return;
	}
	norm = cpulist_format(&set, n);
	if (d->pending_vcpu.fn != NULL) {
		/* xm vcpu-set is waiting for exactly this. */
		free(l->cpus_want);
		l->cpus_want = NULL;
		agent_apply_cpus(d, norm);
	} else if (d->cpus_online != NULL &&
	    strcmp(norm, d->cpus_online) == 0) {
		free(l->cpus_want);
		l->cpus_want = NULL;
	} else if (!l->cpus_recent) {
		free(l->cpus_want);
		l->cpus_want = NULL;
		agent_apply_cpus(d, norm);
	} else {
		free(l->cpus_want);
		l->cpus_want = norm;
		return;
	}
	free(norm);
}

static void
agent_line(struct domain *d, char *line)
{
	struct agent_limits	*l = d->agent_lim;
	char			*arg = strchr(line, ' ');
	long			 mb;

	if (arg != NULL)
		*arg++ = '\0';
	log_debug("%s: agent -> %s %s", d->name, line, arg != NULL ? arg : "");
	if (strcmp(line, "hello") == 0) {
		if (!d->agent_hello)
			log_info("%s (%d): guest agent up (protocol %s)",
			    d->name, d->domid, arg != NULL ? arg : "?");
		d->agent_hello = 1;
		agent_send_target(d);
		agent_send(d, "query");
	} else if (strcmp(line, "memory_target") == 0) {
		d->agent_hello = 1;
		if (arg == NULL || parse_long(arg, 0, 1 << 30, &mb) != 0) {
			agent_complain(d, "memory_target '%s' refused: not a "
			    "number of MB", arg != NULL ? arg : "");
			agent_send(d, "error memory_target needs a number of MB");
			agent_send_target(d);
		} else if (l->mem_recent)
			l->mem_want = mb;	/* the latest wins, next second */
		else {
			l->mem_want = -1;
			agent_apply_mem(d, mb);
		}
	} else if (strcmp(line, "cpus_online") == 0) {
		d->agent_hello = 1;
		agent_cpus_online(d, arg);
	} else if (strcmp(line, "block_released") == 0 ||
	    strcmp(line, "block_busy") == 0) {
		d->agent_hello = 1;
		hooks->block_reply(d, line, arg);
	} else
		agent_complain(d, "unknown message '%s%s%s'", line,
		    arg != NULL ? " " : "", arg != NULL ? arg : "");
}

static void
agent_read_cb(struct bufferevent *bev, void *arg)
{
	struct domain		*d = arg;
	struct agent_limits	*l = d->agent_lim;
	struct evbuffer		*in = bufferevent_get_input(bev);
	char			*line;
	size_t			 len;

	if (l->paused)
		return;
	while (l->lines < AGENT_LINES_PER_SEC &&
	    (line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF)) != NULL) {
		l->lines++;
		if (len > AGENT_MAX_LINE)
			agent_complain(d, "line of %zu bytes dropped", len);
		else if (len > 0)
			agent_line(d, line);
		free(line);
		if (d->agent == NULL)
			return;
	}
	if (l->lines >= AGENT_LINES_PER_SEC) {
		/* Leave the rest in the guest until the next second. */
		l->paused = 1;
		bufferevent_disable(bev, EV_READ);
		if (!l->paused_logged) {
			/* Once a minute, outside the complaints' budget. */
			l->paused_logged = 1;
			log_warn("%s (%d): guest agent: more than %d messages "
			    "a second; reading them more slowly", d->name,
			    d->domid, AGENT_LINES_PER_SEC);
		}
		return;
	}
	if (evbuffer_get_length(in) > AGENT_MAX_LINE) {
		agent_complain(d, "line longer than %d bytes dropped",
		    AGENT_MAX_LINE);
		evbuffer_drain(in, evbuffer_get_length(in));
	}
}

static void
agent_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct domain	*d = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		log_info("%s (%d): agent channel closed", d->name, d->domid);
		agent_close(d);
	}
}

void
agent_init(const struct agent_hooks *h)
{
	hooks = h;
}

void
agent_connect(struct domain *d)
{
	char		*path, *cause;
	int		 fd;
	struct timeval	 tv = { 0, AGENT_RETRY_USEC }, tick = { 1, 0 };

	if (d->agent != NULL || d->exited)
		return;
	xasprintf(&path, "%s/control.sock", d->dir);
	fd = unix_connect(path, &cause);
	free(path);
	if (fd == -1) {
		/* QEMU makes the socket at start; retry briefly if early. */
		free(cause);
		if (time_mono() < d->qmp_deadline) {
			if (d->agent_retry_ev == NULL)
				d->agent_retry_ev = evtimer_new(xend_base,
				    agent_retry_cb, d);
			evtimer_add(d->agent_retry_ev, &tv);
		}
		return;
	}
	fd_set_nonblock(fd);
	d->agent = bufferevent_socket_new(xend_base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(d->agent, agent_read_cb, NULL, agent_event_cb, d);
	bufferevent_enable(d->agent, EV_READ | EV_WRITE);
	if (d->agent_lim == NULL) {
		d->agent_lim = xcalloc(1, sizeof *d->agent_lim);
		d->agent_lim->tick_ev = event_new(xend_base, -1, EV_PERSIST,
		    agent_tick_cb, d);
	}
	d->agent_lim->mem_want = -1;
	event_add(d->agent_lim->tick_ev, &tick);
	/*
	 * An agent already running (xend restarted) may not notice a quick
	 * reconnect, so tell it the target and ask for its vCPUs at once.
	 */
	agent_send_target(d);
	agent_send(d, "query");
}

static void
agent_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	agent_connect(arg);
}

void
agent_close(struct domain *d)
{
	if (d->agent_retry_ev != NULL) {
		event_free(d->agent_retry_ev);
		d->agent_retry_ev = NULL;
	}
	if (d->agent != NULL) {
		bufferevent_free(d->agent);
		d->agent = NULL;
	}
	if (d->agent_lim != NULL) {
		event_free(d->agent_lim->tick_ev);
		free(d->agent_lim->cpus_want);
		free(d->agent_lim);
		d->agent_lim = NULL;
	}
	d->agent_hello = 0;
}
