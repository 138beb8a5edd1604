/*
 * agent.c: the guest agent's control channel, a virtio-serial port
 * (org.xen.control.0) on QEMU's DIR/control.sock.  Lines, one message each:
 *
 *   guest -> host: hello 1 | memory_target MB | cpus_online LIST
 *   host -> guest: memory_target MB | vcpus N | query | error TEXT
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
#include "xend.h"

#define AGENT_MAX_LINE		4096
#define AGENT_RETRY_USEC	50000

static void	agent_retry_cb(evutil_socket_t, short, void *);

int
agent_is_up(struct domain *d)
{
	return (d->agent != NULL && d->agent_hello);
}

int
agent_send(struct domain *d, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;

	if (d->agent == NULL)
		return (-1);
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
agent_line(struct domain *d, char *line)
{
	char	*arg = strchr(line, ' '), *cause;
	long	 mb;

	if (arg != NULL)
		*arg++ = '\0';
	log_debug("%s: agent -> %s %s", d->name, line, arg != NULL ? arg : "");
	if (strcmp(line, "hello") == 0) {
		if (!d->agent_hello)
			log_info("%s (%d): guest agent up (protocol %s)",
			    d->name, d->domid, arg != NULL ? arg : "?");
		d->agent_hello = 1;
		agent_send(d, "memory_target %lld", (long long)
		    json_integer_value(json_object_get(d->config, "memory")));
		agent_send(d, "query");
	} else if (strcmp(line, "memory_target") == 0) {
		/* The manual's self-service file, inside the guest. */
		d->agent_hello = 1;
		if (arg == NULL || parse_long(arg, 0, 1 << 30, &mb) != 0)
			agent_send(d, "error memory_target needs a number of MB");
		else if (control_mem_set(d, mb, &cause) != 0) {
			agent_send(d, "error %s", cause);
			free(cause);
		}
		agent_send(d, "memory_target %lld", (long long)
		    json_integer_value(json_object_get(d->config, "memory")));
	} else if (strcmp(line, "cpus_online") == 0 && arg != NULL) {
		d->agent_hello = 1;
		control_agent_cpus(d, arg);
	}
}

static void
agent_read_cb(struct bufferevent *bev, void *arg)
{
	struct domain	*d = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF)) != NULL) {
		if (len > 0)
			agent_line(d, line);
		free(line);
		if (d->agent == NULL)
			return;
	}
	if (evbuffer_get_length(in) > AGENT_MAX_LINE) {
		log_warn("%s: agent line too long, dropped", d->name);
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
agent_connect(struct domain *d)
{
	char		*path, *cause;
	int		 fd;
	struct timeval	 tv = { 0, AGENT_RETRY_USEC };

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
	/*
	 * An agent already running (xend restarted) may not notice a quick
	 * reconnect, so tell it the target and ask for its vCPUs at once.
	 */
	agent_send(d, "memory_target %lld", (long long)json_integer_value(
	    json_object_get(d->config, "memory")));
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
	d->agent_hello = 0;
}
