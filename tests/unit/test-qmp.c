/*
 * test-qmp.c: the QMP client against a scripted peer on a socketpair:
 * greeting and capabilities, commands queued before that, replies matched
 * by id out of order, events, errors, and disconnection failing every
 * pending command.
 */
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <jansson.h>

#include "xen-common.h"
#include "../../core/xend/qmp.h"

struct peer {
	int	 fd;
	char	 buf[65536];
	size_t	 len;
};

struct seen {
	int	 up, down;
	int	 replies, errors;
	char	 last_error[128];
	json_int_t order[8];
	int	 norder;
	char	 event[64];
};

static struct event_base *base;

static void
peer_send(struct peer *p, const char *line)
{
	assert_int_equal(write(p->fd, line, strlen(line)), (ssize_t)strlen(line));
	assert_int_equal(write(p->fd, "\r\n", 2), 2);
}

/* Runs the loop until the peer has a whole request line; returns it. */
static json_t *
peer_recv(struct peer *p)
{
	char		*nl;
	ssize_t		 n;
	json_t		*msg;
	struct timeval	 tv = { 0, 10000 };
	int		 tries;

	for (tries = 0; tries < 500; tries++) {
		if ((nl = memchr(p->buf, '\n', p->len)) != NULL) {
			msg = json_loadb(p->buf, nl - p->buf, 0, NULL);
			memmove(p->buf, nl + 1, p->len - (nl + 1 - p->buf));
			p->len -= nl + 1 - p->buf;
			assert_non_null(msg);
			return (msg);
		}
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
		n = recv(p->fd, p->buf + p->len, sizeof p->buf - p->len,
		    MSG_DONTWAIT);
		if (n > 0)
			p->len += n;
	}
	fail_msg("no request from the client");
	return (NULL);
}

static void
spin(void)
{
	struct timeval	 tv = { 0, 20000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static void
on_state(struct qmp *q, int up, void *arg)
{
	struct seen	*s = arg;

	if (up)
		s->up++;
	else
		s->down++;
}

static void
on_event(struct qmp *q, const char *event, json_t *data, void *arg)
{
	struct seen	*s = arg;

	snprintf(s->event, sizeof s->event, "%s", event);
}

static struct seen *cb_seen;

static void
on_reply(struct qmp *q, json_t *result, const char *error, void *arg)
{
	json_int_t	 tag = (json_int_t)(intptr_t)arg;

	if (error != NULL) {
		cb_seen->errors++;
		snprintf(cb_seen->last_error, sizeof cb_seen->last_error, "%s",
		    error);
	} else
		cb_seen->replies++;
	if (cb_seen->norder < 8)
		cb_seen->order[cb_seen->norder++] = tag;
}

static int
setup(void **state)
{
	base = event_base_new();
	return (base == NULL);
}

static int
teardown(void **state)
{
	event_base_free(base);
	return (0);
}

static struct qmp *
connect_pair(struct peer *p, struct seen *s)
{
	int	 sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(p, 0, sizeof *p);
	p->fd = sv[1];
	memset(s, 0, sizeof *s);
	cb_seen = s;
	return (qmp_new(base, sv[0], on_event, on_state, s));
}

static void
test_classify(void **state)
{
	json_t	*m;

	m = json_loads("{\"QMP\": {\"version\": {}}}", 0, NULL);
	assert_int_equal(qmp_classify(m), QMP_MSG_GREETING);
	json_decref(m);
	m = json_loads("{\"return\": {}, \"id\": 1}", 0, NULL);
	assert_int_equal(qmp_classify(m), QMP_MSG_RETURN);
	json_decref(m);
	m = json_loads("{\"error\": {\"desc\": \"x\"}, \"id\": 1}", 0, NULL);
	assert_int_equal(qmp_classify(m), QMP_MSG_ERROR);
	json_decref(m);
	m = json_loads("{\"event\": \"STOP\"}", 0, NULL);
	assert_int_equal(qmp_classify(m), QMP_MSG_EVENT);
	json_decref(m);
	m = json_loads("[1]", 0, NULL);
	assert_int_equal(qmp_classify(m), QMP_MSG_INVALID);
	json_decref(m);
	m = json_loads("{\"error\": \"not an object\"}", 0, NULL);
	assert_int_equal(qmp_classify(m), QMP_MSG_INVALID);
	json_decref(m);
}

static void
test_handshake_queue_and_order(void **state)
{
	struct peer	 p;
	struct seen	 s;
	struct qmp	*q = connect_pair(&p, &s);
	json_t		*req;
	json_int_t	 id_a, id_b;
	char		 line[128];

	/* Asked for before the handshake: held back, sent after it. */
	qmp_command(q, "query-status", NULL, on_reply, (void *)1);
	assert_false(qmp_is_up(q));
	peer_send(&p, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}");
	req = peer_recv(&p);
	assert_string_equal(json_string_value(json_object_get(req, "execute")),
	    "qmp_capabilities");
	snprintf(line, sizeof line, "{\"return\": {}, \"id\": %lld}",
	    (long long)json_integer_value(json_object_get(req, "id")));
	json_decref(req);
	peer_send(&p, line);
	req = peer_recv(&p);
	assert_string_equal(json_string_value(json_object_get(req, "execute")),
	    "query-status");
	id_a = json_integer_value(json_object_get(req, "id"));
	json_decref(req);
	assert_int_equal(s.up, 1);
	assert_true(qmp_is_up(q));

	qmp_command(q, "stop", json_pack("{s:i}", "x", 1), on_reply, (void *)2);
	req = peer_recv(&p);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(req,
	    "arguments"), "x")), 1);
	id_b = json_integer_value(json_object_get(req, "id"));
	json_decref(req);

	/* Replies out of order, an event between them, then an error. */
	snprintf(line, sizeof line, "{\"return\": {}, \"id\": %lld}",
	    (long long)id_b);
	peer_send(&p, line);
	peer_send(&p, "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true}}");
	snprintf(line, sizeof line, "{\"error\": {\"class\": \"GenericError\","
	    " \"desc\": \"nope\"}, \"id\": %lld}", (long long)id_a);
	peer_send(&p, line);
	spin();
	assert_int_equal(s.replies, 1);
	assert_int_equal(s.errors, 1);
	assert_string_equal(s.last_error, "nope");
	assert_int_equal(s.order[0], 2);
	assert_int_equal(s.order[1], 1);
	assert_string_equal(s.event, "SHUTDOWN");

	/* Garbage and unknown ids are ignored, not fatal. */
	peer_send(&p, "this is not json");
	peer_send(&p, "{\"return\": {}, \"id\": 999}");
	spin();
	assert_int_equal(s.down, 0);
	qmp_free(q);
	close(p.fd);
}

static void
test_disconnect_fails_pending(void **state)
{
	struct peer	 p;
	struct seen	 s;
	struct qmp	*q = connect_pair(&p, &s);

	qmp_command(q, "query-status", NULL, on_reply, (void *)1);
	qmp_command(q, "cont", NULL, on_reply, (void *)2);
	close(p.fd);
	spin();
	assert_int_equal(s.down, 1);
	assert_int_equal(s.errors, 2);
	assert_string_equal(s.last_error, "disconnected");
	/* After close a command fails at once. */
	qmp_command(q, "stop", NULL, on_reply, (void *)3);
	assert_int_equal(s.errors, 3);
	qmp_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_handshake_queue_and_order),
		cmocka_unit_test(test_disconnect_fails_pending),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
