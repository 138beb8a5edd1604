/*
 * fuzz-qmp.c: xend's QMP client (core/xend/qmp.c) on arbitrary bytes from
 * QEMU, through a real socket pair.  Three commands are queued before the
 * greeting (the third's callback queues one more, as domain.c's do), the
 * input is read to its end, then QEMU's side closes.  Properties: no crash
 * or leak; every command's callback runs exactly once, with a result or an
 * error, never after the close was reported; the state callback reports up
 * at most once and down exactly once, last; what xend sends is one JSON
 * command per line with a fresh id.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "qmp.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct event_base	*base;
static struct run		*cur;	/* the reply callbacks' */

struct run {
	int	 answered[5];
	int	 ups, downs;
	long	 ids[64];
	int	 nids;
};

static void
fail(const char *what)
{
	fprintf(stderr, "%s\n", what);
	abort();
}

static void
reply_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct run	*r = cur;
	intptr_t	 n = (intptr_t)arg;

	/* Command 4 may be asked for after the close: answered at once. */
	if (r->downs != 0 && n != 4)
		fail("reply after the close was reported");
	if ((result == NULL) == (error == NULL))
		fail("a reply with both or neither of result and error");
	if (++r->answered[n] != 1)
		fail("a command answered twice");
	if (n == 2)
		qmp_command(q, "query-status", NULL, reply_cb, (void *)3);
}

static void
event_cb(struct qmp *q, const char *event, json_t *data, void *arg)
{
	struct run	*r = arg;

	if (event == NULL || r->downs != 0)
		fail("bad event");
}

static void
state_cb(struct qmp *q, int up, void *arg)
{
	struct run	*r = arg;

	if (r->downs != 0)
		fail("state after down");
	if (up && ++r->ups != 1)
		fail("up twice");
	if (!up)
		r->downs++;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_open("xend", "/dev/null", LOG_ERROR);
	/* As xend: a peer gone is a write error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	return (0);
}

static size_t
queued(int fd)
{
	int	 n = 0;

	if (ioctl(fd, FIONREAD, &n) != 0)
		fatal("FIONREAD");
	return (n);
}

/* Lines xend wrote: each a command with an id not seen before. */
static void
check_sent(struct run *r, char *buf, size_t *len)
{
	char		*nl;
	json_t		*msg;
	json_error_t	 jerr;
	long		 id;
	int		 i;

	while ((nl = memchr(buf, '\n', *len)) != NULL) {
		if ((msg = json_loadb(buf, nl - buf, 0, &jerr)) == NULL ||
		    !json_is_string(json_object_get(msg, "execute")) ||
		    !json_is_integer(json_object_get(msg, "id")))
			fail("xend sent a bad command");
		id = json_integer_value(json_object_get(msg, "id"));
		for (i = 0; i < r->nids; i++) {
			if (r->ids[i] == id)
				fail("id used twice");
		}
		if (r->nids == (int)nitems(r->ids))
			fail("too many commands");
		r->ids[r->nids++] = id;
		json_decref(msg);
		*len -= nl + 1 - buf;
		memmove(buf, nl + 1, *len);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run	 run;
	struct qmp	*q;
	int		 sv[2], i, spins = 0;
	size_t		 sent = 0, nout = 0;
	char		 buf[65536];
	ssize_t		 n;

	memset(&run, 0, sizeof run);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		fatal("socketpair");
	fd_set_nonblock(sv[1]);
	q = qmp_new(base, sv[0], event_cb, state_cb, &run);
	cur = &run;
	for (i = 0; i < 3; i++) {
		qmp_command(q, i == 0 ? "cont" : "query-balloon",
		    i == 1 ? json_pack("{s:i}", "value", 1) : NULL, reply_cb,
		    (void *)(intptr_t)i);
	}
	for (;;) {
		if (sent < size) {
			n = write(sv[1], data + sent, size - sent);
			if (n > 0)
				sent += n;
			else if (n == -1 && errno != EAGAIN)
				fatal("write");
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		n = read(sv[1], buf + nout, sizeof buf - nout);
		if (n > 0) {
			nout += n;
			check_sent(&run, buf, &nout);
			continue;
		}
		if (sent == size && queued(sv[0]) == 0)
			break;
		if (++spins > 1000000)
			fail("qmp stuck");
	}
	qmp_command(q, "query-status", NULL, reply_cb, (void *)4);
	close(sv[1]);
	while (run.downs == 0) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (++spins > 2000000)
			fail("close not noticed");
	}
	for (i = 0; i < 5; i++) {
		if (i != 3 && run.answered[i] != 1)
			fail("a command never answered");
	}
	if (run.answered[2] == 1 && run.answered[3] != 1)
		fail("the command queued from a callback never answered");
	qmp_free(q);
	return (0);
}
