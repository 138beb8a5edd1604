/*
 * test-rpc.c: the JSON-lines module (core/lib/rpc.h).  Framing of requests
 * (split, oversize and malformed lines), argument checks, the server over
 * a real unix socket (errors, event fan-out, a line too long), and the
 * asynchronous client against a scripted peer: replies matched out of
 * order, events interleaved, requests in flight failed on disconnect.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <jansson.h>

#include "xen-common.h"
#include "rpc.h"

static struct event_base	*base;
static char			*dir;

static char *
sock_path(const char *name)
{
	return (xsprintf("%s/%s", dir, name));
}

/* ---- Framing ---- */

static void
expect_bad(const char *line, const char *want, const char *want_id)
{
	json_t	*id, *args;
	char	*op, *cause, *idtext;

	assert_int_equal(rpc_request_parse(line, strlen(line), &id, &op,
	    &args, &cause), -1);
	assert_null(op);
	assert_null(args);
	if (strncmp(want, "bad json: ", 10) == 0)
		assert_memory_equal(cause, want, 10);
	else
		assert_string_equal(cause, want);
	idtext = json_dumps(id, JSON_ENCODE_ANY);
	assert_string_equal(idtext, want_id);
	free(idtext);
	free(cause);
	json_decref(id);
}

static void
test_request_parse(void **state)
{
	json_t	*id, *args;
	char	*op, *cause;
	const char *line = "{\"id\": 7, \"op\": \"x.y\", \"args\": {\"a\": 1}}";

	assert_int_equal(rpc_request_parse(line, strlen(line), &id, &op,
	    &args, &cause), 0);
	assert_string_equal(op, "x.y");
	assert_int_equal(json_integer_value(id), 7);
	assert_int_equal(json_integer_value(json_object_get(args, "a")), 1);
	free(op);
	json_decref(id);
	json_decref(args);

	/* No args: {}; no id: null. */
	line = "{\"op\": \"x\"}";
	assert_int_equal(rpc_request_parse(line, strlen(line), &id, &op,
	    &args, &cause), 0);
	assert_true(json_is_null(id));
	assert_int_equal(json_object_size(args), 0);
	free(op);
	json_decref(id);
	json_decref(args);

	expect_bad("{\"id\": 1, \"op\"", "bad json: ", "null");
	expect_bad("[1, 2]", "request must be an object", "null");
	expect_bad("{\"id\": \"a\", \"op\": 3}", "missing \"op\" string",
	    "\"a\"");
	expect_bad("{\"id\": 2, \"op\": \"x\", \"args\": []}",
	    "\"args\" must be an object", "2");
}

static void
test_reply_text(void **state)
{
	char	*t, msg[] = "cut \xc3 here \xff";
	json_t	*id = json_integer(3);

	t = rpc_reply_text(id, NULL);
	assert_string_equal(t, "{\"id\":3,\"result\":{}}\n");
	free(t);
	t = rpc_error_text(id, "failed", msg);
	assert_string_equal(t, "{\"id\":3,\"error\":{\"code\":\"failed\","
	    "\"message\":\"cut ? here ?\"}}\n");
	free(t);
	t = rpc_request_text(9, "a.b", NULL);
	assert_string_equal(t, "{\"id\":9,\"op\":\"a.b\",\"args\":{}}\n");
	free(t);
	json_decref(id);
}

/* ---- Argument checks ---- */

static const char *const words[] = { "all", NULL };
static const struct rpc_arg spec[] = {
	{ "memory", RPC_INT, 1, 0, 100, NULL, NULL, "required (MB)" },
	{ "flag", RPC_BOOL, 0, 0, 0, NULL, "expected true or false", NULL },
	{ "vcpu", RPC_INT_STR, 0, 0, 0, words, "expected a number or \"all\"",
	    NULL },
	{ "cfg", RPC_OBJ, 0, 0, 0, NULL, "expected an object", NULL },
	RPC_ARGS_END
};

static void
expect_args(const char *text, const char *want)
{
	json_t	*args = json_loads(text, 0, NULL);
	char	*cause = NULL;
	int	 rc;

	assert_non_null(args);
	rc = rpc_args_check(spec, args, &cause);
	if (want == NULL)
		assert_int_equal(rc, 0);
	else {
		assert_int_equal(rc, -1);
		assert_string_equal(cause, want);
	}
	free(cause);
	json_decref(args);
}

static void
test_args_check(void **state)
{
	expect_args("{\"memory\": 5}", NULL);
	expect_args("{\"memory\": 0, \"flag\": true, \"vcpu\": \"all\", "
	    "\"cfg\": {}}", NULL);
	expect_args("{\"memory\": 100, \"vcpu\": 3}", NULL);
	expect_args("{}", "memory: required (MB)");
	expect_args("{\"memory\": 101}", "memory: expected an integer from 0 "
	    "to 100");
	expect_args("{\"memory\": -1}", "memory: expected an integer from 0 "
	    "to 100");
	expect_args("{\"memory\": \"5\"}", "memory: expected an integer from "
	    "0 to 100");
	expect_args("{\"memory\": 1, \"flag\": 1}", "flag: expected true or "
	    "false");
	expect_args("{\"memory\": 1, \"vcpu\": \"some\"}", "vcpu: expected a "
	    "number or \"all\"");
	expect_args("{\"memory\": 1, \"vcpu\": 1.5}", "vcpu: expected a "
	    "number or \"all\"");
	/* The first bad one, in table order. */
	expect_args("{\"memory\": 1, \"cfg\": 1, \"flag\": 2}",
	    "flag: expected true or false");
	/* No spec: anything goes. */
	assert_int_equal(rpc_args_check(NULL, NULL, NULL), 0);
}

struct test_op {
	struct rpc_op	 rpc;
	int		 n;
};
static const struct test_op ops[] = {
	{ { "a.one", "first", NULL }, 1 },
	{ { "a.two", "second", spec }, 2 },
};

static void
test_op_table(void **state)
{
	const struct test_op	*op;
	char			*cause, *text;
	json_t			*list;

	op = rpc_op_find(ops, nitems(ops), sizeof ops[0], "a.two", &cause);
	assert_non_null(op);
	assert_int_equal(op->n, 2);
	assert_ptr_equal(op->rpc.args, spec);
	assert_null(rpc_op_find(ops, nitems(ops), sizeof ops[0], "a.three",
	    &cause));
	assert_string_equal(cause, "unknown op 'a.three'");
	free(cause);
	list = rpc_op_list(ops, nitems(ops), sizeof ops[0]);
	text = json_dumps(list, JSON_COMPACT);
	assert_string_equal(text, "[{\"op\":\"a.one\",\"help\":\"first\"},"
	    "{\"op\":\"a.two\",\"help\":\"second\"}]");
	free(text);
	json_decref(list);
}

/* ---- Line buffer ---- */

static void
test_lines(void **state)
{
	struct rpc_lines	 l;
	const char		*line;
	size_t			 len;
	char			*cause, big[300000];
	int			 p[2];

	assert_int_equal(pipe(p), 0);
	rpc_lines_init(&l, p[0], 200000, "peer");
	/* Nothing yet; then half a line; then the rest and another. */
	assert_int_equal(rpc_lines_next(&l, 0, &line, &len, &cause), 0);
	assert_int_equal(write(p[1], "{\"a\"", 4), 4);
	assert_int_equal(rpc_lines_next(&l, 0, &line, &len, &cause), 0);
	assert_int_equal(write(p[1], ":1}\n\n{}\n", 8), 8);
	assert_int_equal(rpc_lines_next(&l, 0, &line, &len, &cause), 1);
	assert_int_equal(len, 7);
	assert_memory_equal(line, "{\"a\":1}", 7);
	assert_int_equal(rpc_lines_next(&l, 0, &line, &len, &cause), 1);
	assert_int_equal(len, 0);
	assert_int_equal(rpc_lines_next(&l, 0, &line, &len, &cause), 1);
	assert_int_equal(len, 2);
	assert_int_equal(rpc_lines_next(&l, 0, &line, &len, &cause), 0);
	/* A line longer than max fails rather than growing for ever. */
	memset(big, 'x', sizeof big);
	assert_int_equal(fd_set_nonblock(p[1]), 0);
	assert_true(write(p[1], big, 65536) == 65536);
	for (;;) {
		if (write(p[1], big, 65536) != 65536 && errno != EAGAIN)
			fail();
		if (rpc_lines_next(&l, 0, &line, &len, &cause) == -1)
			break;
	}
	assert_string_equal(cause, "reply from peer too long");
	free(cause);
	rpc_lines_free(&l);
	close(p[0]);
	close(p[1]);
	/* End of file. */
	assert_int_equal(pipe(p), 0);
	rpc_lines_init(&l, p[0], 200000, "peer");
	close(p[1]);
	assert_int_equal(rpc_lines_next(&l, -1, &line, &len, &cause), -1);
	assert_string_equal(cause, "peer closed the connection");
	free(cause);
	rpc_lines_free(&l);
	close(p[0]);
}

/* ---- Server ---- */

struct srv_state {
	int		 requests;
	struct rpc_conn	*held;		/* answered later */
	json_t		*held_id;
};

static void
srv_request(struct rpc_conn *c, json_t *id, const char *op, json_t *args,
    void *arg)
{
	struct srv_state	*st = arg;
	char			*cause;

	st->requests++;
	if (strcmp(op, "echo") == 0)
		rpc_conn_reply(c, id, json_deep_copy(args));
	else if (strcmp(op, "sub") == 0) {
		rpc_conn_subscribe(c);
		rpc_conn_reply(c, id, NULL);
	} else if (strcmp(op, "later") == 0) {
		rpc_conn_ref(c);
		st->held = c;
		st->held_id = json_incref(id);
	} else if (rpc_args_check(spec, args, &cause) != 0) {
		rpc_conn_error(c, id, RPC_E_INVALID, cause);
		free(cause);
	} else {
		cause = xsprintf("unknown op '%s'", op);
		rpc_conn_error(c, id, RPC_E_UNKNOWN, cause);
		free(cause);
	}
}

static const struct rpc_limits test_limits = {
	.what = "test client",
	.max_line = 1024,
	.high_water = 0,
	.low_water = 0,
	.max_backlog = 1024 * 1024,
	.peercred = 1,
	.accept_pause_ms = 10,
};

static void
spin(void)
{
	int	 i;

	for (i = 0; i < 20; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

/* Reads what the server sent until a poll gap: into buf. */
static size_t
drain(int fd, char *buf, size_t size)
{
	struct pollfd	 pf = { fd, POLLIN, 0 };
	size_t		 len = 0;
	ssize_t		 n;

	for (;;) {
		spin();
		if (poll(&pf, 1, 50) != 1)
			break;
		if ((n = read(fd, buf + len, size - 1 - len)) <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	return (len);
}

static void
put(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	spin();
}

static void
test_server(void **state)
{
	struct srv_state	 st;
	struct rpc_server	*srv;
	char			*path = sock_path("srv.sock"), *cause, buf[65536];
	char			 big[2048];
	int			 a, b;
	json_t			*ev;

	memset(&st, 0, sizeof st);
	srv = rpc_server_new(base, path, &test_limits, srv_request, &st,
	    &cause);
	assert_non_null(srv);
	a = unix_connect(path, &cause);
	b = unix_connect(path, &cause);
	assert_true(a != -1 && b != -1);
	spin();

	/* A request split across writes, then one a blank line apart. */
	put(a, "{\"id\": 1, \"op\": \"ec");
	assert_int_equal(st.requests, 0);
	put(a, "ho\", \"args\": {\"x\": 2}}\n\n{\"id\":2,\"op\":\"sub\"}\n");
	drain(a, buf, sizeof buf);
	assert_string_equal(buf, "{\"id\":1,\"result\":{\"x\":2}}\n"
	    "{\"id\":2,\"result\":{}}\n");
	assert_int_equal(st.requests, 2);

	/* Malformed lines: one error each, the framing's texts. */
	put(b, "nonsense\n[1]\n{\"id\":5}\n{\"id\":6,\"op\":\"x\",\"args\":1}\n"
	    "{\"id\":7,\"op\":\"nope\",\"args\":{\"memory\":1}}\n"
	    "{\"id\":8,\"op\":\"nope\",\"args\":{}}\n");
	drain(b, buf, sizeof buf);
	assert_non_null(strstr(buf, "{\"id\":null,\"error\":{\"code\":"
	    "\"invalid\",\"message\":\"bad json: "));
	assert_non_null(strstr(buf, "{\"id\":null,\"error\":{\"code\":"
	    "\"invalid\",\"message\":\"request must be an object\"}}\n"));
	assert_non_null(strstr(buf, "{\"id\":5,\"error\":{\"code\":"
	    "\"invalid\",\"message\":\"missing \\\"op\\\" string\"}}\n"));
	assert_non_null(strstr(buf, "{\"id\":6,\"error\":{\"code\":"
	    "\"invalid\",\"message\":\"\\\"args\\\" must be an object\"}}\n"));
	assert_non_null(strstr(buf, "{\"id\":7,\"error\":{\"code\":"
	    "\"unknown_op\",\"message\":\"unknown op 'nope'\"}}\n"));
	assert_non_null(strstr(buf, "{\"id\":8,\"error\":{\"code\":"
	    "\"invalid\",\"message\":\"memory: required (MB)\"}}\n"));
	assert_int_equal(st.requests, 4);	/* framing errors never reach */

	/* Events go to the subscribed connection only. */
	ev = json_pack("{s:s, s:i}", "event", "x.happened", "n", 1);
	rpc_server_event(srv, ev);
	json_decref(ev);
	drain(a, buf, sizeof buf);
	assert_string_equal(buf, "{\"event\":\"x.happened\",\"n\":1}\n");
	drain(b, buf, sizeof buf);
	assert_string_equal(buf, "");

	/* A request answered after its connection went: nothing breaks. */
	put(b, "{\"id\":9,\"op\":\"later\"}\n");
	assert_non_null(st.held);
	close(b);
	spin();
	assert_true(rpc_conn_dead(st.held));
	rpc_conn_reply(st.held, st.held_id, NULL);
	rpc_conn_unref(st.held);
	json_decref(st.held_id);

	/* A line past max_line, without its newline: cut off. */
	memset(big, 'x', sizeof big);
	assert_int_equal(write(a, big, sizeof big), (ssize_t)sizeof big);
	drain(a, buf, sizeof buf);
	assert_int_equal(read(a, buf, 1), 0);
	close(a);

	rpc_server_free(srv);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
}

/* ---- Asynchronous client ---- */

struct cl_state {
	char		 log[1024];
	int		 closed;
	char		 why[128];
	struct rpc_client *c;
};

static void
cl_log(struct cl_state *st, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 len = strlen(st->log);

	va_start(ap, fmt);
	vsnprintf(st->log + len, sizeof st->log - len, fmt, ap);
	va_end(ap);
}

struct cl_call {
	struct cl_state	*st;
	const char	*tag;
};

static void
cl_tagged(struct rpc_client *c, const struct rpc_msg *m, void *arg)
{
	struct cl_call	*call = arg;

	if (m->code != NULL)
		cl_log(call->st, "%s:%s:%s ", call->tag, m->code, m->message);
	else
		cl_log(call->st, "%s:%lld ", call->tag, (long long)
		    json_integer_value(json_object_get(m->result, "v")));
}

static void
cl_event(struct rpc_client *c, const struct rpc_msg *m, void *arg)
{
	struct cl_state	*st = arg;

	if (m->bad)
		cl_log(st, "bad ");
	else
		cl_log(st, "ev:%s ", json_string_value(json_object_get(m->json,
		    "event")));
}

static void
cl_closed(struct rpc_client *c, const char *why, void *arg)
{
	struct cl_state	*st = arg;

	st->closed++;
	snprintf(st->why, sizeof st->why, "%s", why);
	rpc_client_free(c, NULL);	/* allowed here */
	st->c = NULL;
}

/* The peer: accepts the client's connection on a listener of its own. */
static int
peer_accept(int lfd)
{
	struct pollfd	 pf = { lfd, POLLIN, 0 };

	assert_int_equal(poll(&pf, 1, 2000), 1);
	return (accept(lfd, NULL, NULL));
}

static void
peer_requests(int fd, json_int_t *ids, int n)
{
	struct rpc_lines	 l;
	const char		*line;
	size_t			 len;
	char			*cause;
	json_t			*req;
	int			 i;

	rpc_lines_init(&l, fd, 65536, "client");
	for (i = 0; i < n; i++) {
		assert_int_equal(rpc_lines_next(&l, 2000, &line, &len, &cause),
		    1);
		req = json_loadb(line, len, 0, NULL);
		assert_non_null(req);
		ids[i] = json_integer_value(json_object_get(req, "id"));
		json_decref(req);
	}
	rpc_lines_free(&l);
}

static void
pwrite_str(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void
test_client(void **state)
{
	struct cl_state	 st;
	struct cl_call	 ca, cb, cc, cd;
	char		*path = sock_path("peer.sock"), *cause, buf[256];
	json_int_t	 ids[3];
	int		 lfd, pfd;

	memset(&st, 0, sizeof st);
	ca = (struct cl_call){ &st, "a" };
	cb = (struct cl_call){ &st, "b" };
	cc = (struct cl_call){ &st, "c" };
	cd = (struct cl_call){ &st, "d" };
	lfd = unix_listen(path, &cause);
	assert_true(lfd != -1);
	st.c = rpc_client_open(path, "peer", cl_event, cl_closed, &st, &cause);
	assert_non_null(st.c);
	pfd = peer_accept(lfd);
	assert_true(pfd != -1);

	assert_int_equal(rpc_client_call(st.c, "op.a", NULL, cl_tagged, &ca,
	    &cause), 0);
	assert_int_equal(rpc_client_call(st.c, "op.b", json_pack("{s:i}", "k",
	    1), cl_tagged, &cb, &cause), 0);
	assert_int_equal(rpc_client_call(st.c, "op.c", NULL, cl_tagged, &cc,
	    &cause), 0);
	assert_int_equal(rpc_client_pending(st.c), 3);
	peer_requests(pfd, ids, 3);
	assert_true(ids[0] != ids[1] && ids[1] != ids[2]);

	/* Out of order, an event in between, one split, one not ours. */
	snprintf(buf, sizeof buf, "{\"id\":%lld,\"result\":{\"v\":3}}\n"
	    "{\"event\":\"e.one\",\"time\":1}\n{\"id\":999,\"result\":{}}\n"
	    "{\"id\":%lld,\"error\":{\"code\":\"failed\",\"message\":\"no\"}}\n"
	    "{\"id\":%lld,\"res", (long long)ids[2], (long long)ids[0],
	    (long long)ids[1]);
	pwrite_str(pfd, buf);
	usleep(20000);
	assert_int_equal(rpc_client_read(st.c), 0);
	assert_string_equal(st.log, "c:3 ev:e.one a:failed:no ");
	assert_int_equal(rpc_client_pending(st.c), 1);
	pwrite_str(pfd, "ult\":{\"v\":2}}\nnot json\n");
	usleep(20000);
	assert_int_equal(rpc_client_read(st.c), 0);
	assert_string_equal(st.log, "c:3 ev:e.one a:failed:no b:2 bad ");
	assert_int_equal(rpc_client_pending(st.c), 0);

	/* Disconnect with requests in flight: each fails, then closed. */
	st.log[0] = '\0';
	assert_int_equal(rpc_client_call(st.c, "op.d", NULL, cl_tagged, &cd,
	    &cause), 0);
	assert_int_equal(rpc_client_call(st.c, "op.a", NULL, cl_tagged, &ca,
	    &cause), 0);
	peer_requests(pfd, ids, 2);	/* unread, they would reset it */
	close(pfd);
	usleep(20000);
	assert_int_equal(rpc_client_read(st.c), -1);
	assert_string_equal(st.log, "d:disconnected:peer closed the "
	    "connection a:disconnected:peer closed the connection ");
	assert_int_equal(st.closed, 1);
	assert_string_equal(st.why, "peer closed the connection");
	assert_null(st.c);

	close(lfd);
	unlink(path);
	free(path);
}

static int	drop_count;

static void
drop_one(void *arg)
{
	drop_count++;
}

/* Freed with requests in flight: their callbacks are not called. */
static void
test_client_free(void **state)
{
	struct cl_state	 st;
	struct cl_call	 ca = { &st, "a" };
	char		*path = sock_path("peer2.sock"), *cause;
	int		 lfd, pfd;

	memset(&st, 0, sizeof st);
	lfd = unix_listen(path, &cause);
	st.c = rpc_client_open(path, "peer", cl_event, cl_closed, &st, &cause);
	assert_non_null(st.c);
	pfd = peer_accept(lfd);
	rpc_client_attach(st.c, base);
	assert_int_equal(rpc_client_call(st.c, "op.a", NULL, cl_tagged, &ca,
	    &cause), 0);
	assert_int_equal(rpc_client_call(st.c, "op.a", NULL, cl_tagged, &ca,
	    &cause), 0);
	/* Through the loop: an event arrives. */
	pwrite_str(pfd, "{\"event\":\"e.two\"}\n");
	usleep(20000);
	spin();
	assert_string_equal(st.log, "ev:e.two ");
	rpc_client_free(st.c, drop_one);
	assert_int_equal(drop_count, 2);
	assert_string_equal(st.log, "ev:e.two ");
	assert_int_equal(st.closed, 0);
	close(pfd);
	close(lfd);
	unlink(path);
	free(path);
	/* Connecting to nothing says where. */
	assert_null(rpc_client_open("/nonexistent/x.sock", "peer", NULL, NULL,
	    NULL, &cause));
	assert_non_null(strstr(cause, "/nonexistent/x.sock"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_parse),
		cmocka_unit_test(test_reply_text),
		cmocka_unit_test(test_args_check),
		cmocka_unit_test(test_op_table),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_client_free),
	};
	char	 tmpl[] = "/tmp/test-rpc.XXXXXX";
	int	 rc;

	signal(SIGPIPE, SIG_IGN);
	log_open("test-rpc", "/dev/null", LOG_ERROR);
	if ((dir = mkdtemp(tmpl)) == NULL)
		return (1);
	base = event_base_new();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	event_base_free(base);
	rmdir(dir);
	return (rc);
}
