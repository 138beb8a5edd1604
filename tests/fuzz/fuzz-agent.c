/*
 * fuzz-agent.c: xend's side of the guest agent's channel (core/xend/agent.c)
 * on arbitrary bytes from the guest, through a real socket: agent.c
 * connects to a control.sock the target listens on, reads the input and
 * answers, the event loop running until everything is read and answered.
 * control.c's two entry points it calls are fakes that keep what they are
 * told (the memory target, the online vCPU list) the way control.c does.
 * The input is cut after its 99th line: agent.c reads 100 lines a second
 * and leaves the rest for the next (its rate limit is not the point here,
 * and waiting a second per input would be).  Properties: no crash or leak;
 * every line xend sends is one of its four messages; "memory_target N" is
 * sent on connect and for every hello at once, and at most once for every
 * memory_target line (a second one within a second waits for the next), N
 * being a target held at the time, the last one the target in force.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "xen-common.h"
#include "fuzz-tmp.h"
#include "cpulist.h"
#include "xend.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct event_base	*xend_base;

static struct domain	 fake;
static int		 listen_fd;

/* Every target held during one input, in order. */
static long		*held;
static size_t		 nheld, seen;

/* As control.c's, less ballooning: the range it enforces, then kept. */
int
control_mem_set(struct domain *d, long mb, char **cause)
{
	if (mb < 0 || mb > 1 << 30)
		abort();	/* agent.c's parse_long bounds it */
	if (mb < 16 || mb > 4096) {
		*cause = xsprintf("memory target %ld MB is out of range", mb);
		return (-1);
	}
	d->config->memory = mb;
	held = xreallocarray(held, nheld + 1, sizeof *held);
	held[nheld++] = mb;
	return (0);
}

/*
 * Kept as control.c does.  agent.c promises a list of this domain's vCPUs
 * in canonical form: it must parse, and format back to itself.
 */
void
control_agent_cpus(struct domain *d, const char *list)
{
	cpu_set_t	 set;
	char		*cause, *again;

	if (cpulist_parse(list, 2, &set, &cause) != 0) {
		fprintf(stderr, "stored cpus_online '%s': %s\n", list, cause);
		abort();
	}
	again = cpulist_format(&set, 2);
	if (strcmp(again, list) != 0) {
		fprintf(stderr, "stored '%s', not canonical '%s'\n", list,
		    again);
		abort();
	}
	free(again);
	free(d->cpus_online);
	d->cpus_online = xstrdup(list);
}

/* blockdev.c's side: what agent.c hands over is a message and its text. */
static void
fake_block_reply(struct domain *d, const char *msg, const char *arg)
{
	if (strcmp(msg, "block_released") != 0 &&
	    strcmp(msg, "block_busy") != 0)
		abort();
	if (arg != NULL && strchr(arg, '\n') != NULL)
		abort();
}

static const struct agent_hooks fake_hooks = {
	control_mem_set,
	control_agent_cpus,
	fake_block_reply,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*dir = fuzz_tmpdir("agent");
	char		*path, *cause;

	log_open("xend", "/dev/null", LOG_ERROR);
	/* As xend: a peer gone is a write error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if ((xend_base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	fake.name = xstrdup("fz");
	fake.domid = 1;
	fake.dir = xstrdup(dir);
	fake.state = DOM_RUNNING;
	fake.config = xcalloc(1, sizeof *fake.config);
	fake.config->name = xstrdup("fz");
	fake.config->memory = 64;
	fake.config->vcpus = 2;
	xasprintf(&path, "%s/control.sock", dir);
	if ((listen_fd = unix_listen(path, &cause)) == -1)
		fatalx("%s", cause);
	free(path);
	return (0);
}

static long
memory(void)
{
	return (fake.config->memory);
}

/*
 * One line from xend: one of its messages; a target it sends is one held
 * at or after the one it sent before (they are read later than sent).
 */
static void
check_line(const char *line, size_t len, size_t *targets)
{
	char	 want[64];
	size_t	 i;

	if (len > 14 && memcmp(line, "memory_target ", 14) == 0) {
		for (i = seen; i < nheld; i++) {
			snprintf(want, sizeof want, "memory_target %ld",
			    held[i]);
			if (len == strlen(want) && memcmp(line, want, len) == 0)
				break;
		}
		if (i == nheld) {
			fprintf(stderr, "said %.*s, never the target then\n",
			    (int)len, line);
			abort();
		}
		seen = i;
		(*targets)++;
		return;
	}
	if ((len == 5 && memcmp(line, "query", 5) == 0) ||
	    (len > 6 && memcmp(line, "error ", 6) == 0))
		return;
	fprintf(stderr, "unknown message to the guest: %.*s\n", (int)len, line);
	abort();
}

static size_t
queued(int fd)
{
	int	 n = 0;

	if (ioctl(fd, FIONREAD, &n) != 0)
		fatal("FIONREAD");
	return (n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 buf[8192], *out = NULL, *nl;
	size_t		 i, start, len, nout = 0, sent = 0, partial = 0;
	size_t		 least = 1, most = 1, got = 0, lines = 0;
	ssize_t		 n;
	int		 fd, spins = 0;
	struct evbuffer	*in, *pending;

	/* Complete lines (LF or CRLF) that ask for the target. */
	for (i = 0, start = 0; i < size && lines < 99; i++) {
		if (data[i] != '\n')
			continue;
		lines++;
		len = i - start;
		if (len > 0 && data[start + len - 1] == '\r')
			len--;
		/* The first word ends at a space or, C strings, a NUL. */
		if (len >= 5 && memcmp(data + start, "hello", 5) == 0 &&
		    (len == 5 || data[start + 5] == ' ' ||
		    data[start + 5] == '\0')) {
			least++;
			most++;
		}
		if (len >= 13 && memcmp(data + start, "memory_target",
		    13) == 0 && (len == 13 || data[start + 13] == ' ' ||
		    data[start + 13] == '\0'))
			most++;
		start = i + 1;
	}
	if (lines == 99)
		size = start;
	partial = size - start;

	fake.exited = 0;
	fake.config->memory = 64;
	held = xreallocarray(held, 1, sizeof *held);
	held[0] = 64;
	nheld = 1;
	seen = 0;
	agent_init(&fake_hooks);
	agent_connect(&fake);
	if (fake.agent == NULL)
		fatalx("agent did not connect");
	if ((fd = accept(listen_fd, NULL, NULL)) == -1)
		fatal("accept");
	fd_set_nonblock(fd);
	in = bufferevent_get_input(fake.agent);
	pending = bufferevent_get_output(fake.agent);

	/* Until all is sent, read by xend, handled and answered. */
	for (;;) {
		if (sent < size) {
			n = write(fd, data + sent, size - sent);
			if (n > 0)
				sent += n;
			else if (n == -1 && errno != EAGAIN)
				fatal("write");
		}
		event_base_loop(xend_base, EVLOOP_NONBLOCK);
		n = read(fd, buf, sizeof buf);
		if (n > 0) {
			out = xrealloc(out, nout + n);
			memcpy(out + nout, buf, n);
			nout += n;
			while ((nl = memchr(out, '\n', nout)) != NULL) {
				check_line(out, nl - out, &got);
				nout -= nl + 1 - out;
				memmove(out, nl + 1, nout);
			}
			continue;
		}
		if (n == 0 || fake.agent == NULL)
			break;
		if (sent == size && queued(bufferevent_getfd(fake.agent)) == 0 &&
		    evbuffer_get_length(in) == partial &&
		    evbuffer_get_length(pending) == 0 && queued(fd) == 0)
			break;
		if (++spins > 1000000) {
			fprintf(stderr, "agent channel stuck\n");
			abort();
		}
	}
	/* Past 4 KiB a line may be cut (dropped as too long). */
	if ((size <= 4096 && (got < least || got > most)) || nout != 0) {
		fprintf(stderr, "%zu memory_target messages, expected %zu to "
		    "%zu\n", got, least, most);
		abort();
	}
	if (got > 0 && held[seen] != memory()) {
		fprintf(stderr, "the last target sent is not %ld\n", memory());
		abort();
	}
	agent_close(&fake);
	close(fd);
	free(out);
	free(fake.cpus_online);
	fake.cpus_online = NULL;
	return (0);
}
