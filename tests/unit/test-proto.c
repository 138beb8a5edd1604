/* test-proto.c: a console client's byte protocol (consoled/proto.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "consoled.h"

/* What the protocol asked of its connection. */
static char		 sent[65536], typed[65536];
static size_t		 nsent, ntyped;
static enum proto_cmd	 cmds[64];
static size_t		 ncmds;
static struct proto	*stop_on_quit;	/* as a connection would */

static void
cb_send(void *arg, const char *buf, size_t len)
{
	assert_true(nsent + len <= sizeof sent);
	memcpy(sent + nsent, buf, len);
	nsent += len;
}

static void
cb_input(void *arg, const char *buf, size_t len)
{
	assert_true(ntyped + len <= sizeof typed);
	memcpy(typed + ntyped, buf, len);
	ntyped += len;
}

static void
cb_command(void *arg, enum proto_cmd cmd)
{
	if (ncmds < nitems(cmds))
		cmds[ncmds] = cmd;
	ncmds++;
	if (cmd == PROTO_QUIT && stop_on_quit != NULL)
		proto_stop(stop_on_quit);
}

static const struct proto_cb cb = { cb_send, cb_input, cb_command };

static void
reset(void)
{
	nsent = ntyped = ncmds = 0;
}

static struct proto *
telnet_client(int binary)
{
	struct proto	*p = proto_new(PROTO_TELNET, &cb, NULL);
	static const char agree[] = "\xff\xfd\x01\xff\xfd\x03\xff\xfb\x03"
	    "\xff\xfd\x00\xff\xfb\x00";
	static const char nvt[] = "\xff\xfd\x01\xff\xfd\x03\xff\xfb\x03"
	    "\xff\xfe\x00\xff\xfc\x00";

	proto_start(p);
	if (binary)
		proto_recv(p, agree, sizeof agree - 1, 1);
	else
		proto_recv(p, nvt, sizeof nvt - 1, 1);
	reset();
	return (p);
}

static void
test_negotiation(void **state)
{
	struct proto	*p = proto_new(PROTO_TELNET, &cb, NULL);

	reset();
	proto_start(p);
	/* WILL ECHO, WILL SGA, DO SGA, WILL BINARY, DO BINARY: character
	 * mode for a stock telnet. */
	assert_int_equal(nsent, 15);
	assert_memory_equal(sent, "\xff\xfb\x01\xff\xfb\x03\xff\xfd\x03"
	    "\xff\xfb\x00\xff\xfd\x00", 15);
	assert_false(proto_binary_out(p));
	proto_recv(p, "\xff\xfd\x00", 3, 1);
	assert_true(proto_binary_out(p));
	assert_false(proto_binary_in(p));
	proto_recv(p, "\xff\xfb\x00", 3, 1);
	assert_true(proto_binary_in(p));
	/* Asking again changes nothing and sends nothing: no loops. */
	reset();
	proto_recv(p, "\xff\xfd\x00\xff\xfb\x00", 6, 1);
	assert_int_equal(nsent, 0);
	/* An option we do not do is refused. */
	proto_recv(p, "\xff\xfd\x18", 3, 1);
	assert_int_equal(nsent, 3);
	assert_memory_equal(sent, "\xff\xfc\x18", 3);
	proto_free(p);

	/* Raw clients: no negotiation, always 8-bit. */
	p = proto_new(PROTO_RAW, &cb, NULL);
	reset();
	proto_start(p);
	assert_int_equal(nsent, 0);
	assert_true(proto_binary_out(p) && proto_binary_in(p));
	proto_free(p);
}

static void
test_input(void **state)
{
	struct proto	*p = telnet_client(0);

	/* NVT: CR NUL and CR LF are CR; IAC IAC is 0xFF. */
	proto_recv(p, "a\r\0b\r\nc\r", 8, 1);
	proto_recv(p, "\nd\xff\xff" "e", 5, 1);
	assert_int_equal(ntyped, 9);
	assert_memory_equal(typed, "a\rb\rc\rd\xff" "e", 9);
	proto_free(p);

	/* Binary: bytes as they come, NUL and LF included. */
	p = telnet_client(1);
	proto_recv(p, "a\r\0b\r\n\xff\xff\x00", 9, 1);
	assert_int_equal(ntyped, 8);
	assert_memory_equal(typed, "a\r\0b\r\n\xff\0", 8);
	/* IAC BRK is a break; IP is ^C; NOP is nothing. */
	reset();
	proto_recv(p, "\xff\xf3x\xff\xf4\xff\xf1y", 8, 1);
	assert_int_equal(ncmds, 1);
	assert_int_equal(cmds[0], PROTO_BREAK);
	assert_int_equal(ntyped, 3);
	assert_memory_equal(typed, "x\x03y", 3);
	proto_free(p);
}

static void
test_output(void **state)
{
	struct proto	*p = telnet_client(1);

	/* Binary: only 0xFF changes (doubled). */
	proto_output(p, "a\xff\r\0b", 5);
	assert_int_equal(nsent, 6);
	assert_memory_equal(sent, "a\xff\xff\r\0b", 6);
	proto_free(p);

	/* NVT: a CR not before LF goes out as CR NUL, across calls too. */
	p = telnet_client(0);
	proto_output(p, "x\r\ny\rz\r", 7);
	proto_output(p, "\n", 1);
	proto_output(p, "\r", 1);
	proto_output(p, "w", 1);
	assert_int_equal(nsent, 12);
	assert_memory_equal(sent, "x\r\ny\r\0z\r\n\r\0w", 12);
	/* Notices stand on a line of their own. */
	reset();
	proto_notice(p, "hello %d", 42);
	assert_int_equal(nsent, strlen("\r\n[xenconsoled: hello 42]\r\n"));
	assert_memory_equal(sent, "\r\n[xenconsoled: hello 42]\r\n", nsent);
	proto_free(p);

	/* Raw: untouched. */
	p = proto_new(PROTO_RAW, &cb, NULL);
	reset();
	proto_output(p, "\xff\r\0", 3);
	assert_int_equal(nsent, 3);
	assert_memory_equal(sent, "\xff\r\0", 3);
	proto_free(p);
}

static void
test_escapes(void **state)
{
	struct proto	*p = proto_new(PROTO_RAW, &cb, NULL);
	static const struct {
		char		 letter;
		enum proto_cmd	 cmd;
	} letters[] = {
		{ 'w', PROTO_TAKE }, { 'r', PROTO_RELEASE }, { 'u', PROTO_WHO },
		{ 'b', PROTO_BREAK }, { '?', PROTO_HELP }, { 'z', PROTO_HELP },
		{ '.', PROTO_QUIT },
	};
	char		 seq[3] = { PROTO_ESCAPE, 'c', 0 };
	size_t		 i;

	for (i = 0; i < nitems(letters); i++) {
		reset();
		seq[2] = letters[i].letter;
		proto_recv(p, seq, 3, 1);
		assert_int_equal(ncmds, 1);
		assert_int_equal(cmds[0], letters[i].cmd);
		assert_int_equal(ntyped, 0);
	}
	/* Split across reads; data around it passes. */
	reset();
	proto_recv(p, "ab\x05", 3, 1);
	assert_true(proto_escape_held(p));
	proto_recv(p, "c", 1, 1);
	assert_false(proto_escape_held(p));
	proto_recv(p, "wcd", 3, 1);
	assert_int_equal(ncmds, 1);
	assert_int_equal(cmds[0], PROTO_TAKE);
	assert_int_equal(ntyped, 4);
	assert_memory_equal(typed, "abcd", 4);
	/* ^E then anything else: both go through; ^E ^E c w too. */
	reset();
	proto_recv(p, "\x05x\x05\x05" "cw", 6, 1);
	assert_int_equal(ntyped, 3);
	assert_memory_equal(typed, "\x05x\x05", 3);
	assert_int_equal(ncmds, 1);
	/* ^E c e sends ^E c itself. */
	reset();
	proto_recv(p, "\x05" "ce", 3, 1);
	assert_int_equal(ntyped, 2);
	assert_memory_equal(typed, "\x05" "c", 2);
	/* A lone ^E is let go when its timer runs out. */
	reset();
	proto_recv(p, "\x05", 1, 1);
	assert_int_equal(ntyped, 0);
	proto_escape_flush(p);
	assert_int_equal(ntyped, 1);
	assert_false(proto_escape_held(p));
	/* After QUIT (the connection stops it) nothing more is acted on. */
	reset();
	stop_on_quit = p;
	proto_recv(p, "\x05" "c.\x05" "cwxyz", 8, 1);
	stop_on_quit = NULL;
	assert_int_equal(ncmds, 1);
	assert_int_equal(cmds[0], PROTO_QUIT);
	proto_recv(p, "more", 4, 1);
	assert_int_equal(ntyped, 0);
	proto_free(p);
}

static void
test_abuse(void **state)
{
	struct proto	*p = telnet_client(1);
	char		*flood;
	size_t		 i, n = 6 * 1000;

	/* DO/DONT ECHO forever: the negotiation budget runs out. */
	flood = xmalloc(n);
	for (i = 0; i < n; i += 6)
		memcpy(flood + i, "\xff\xfd\x01\xff\xfe\x01", 6);
	proto_recv(p, flood, n, 1);
	assert_true(ncmds >= 1);
	assert_int_equal(cmds[0], PROTO_ABUSE);
	free(flood);
	proto_free(p);

	/* ... but a slow trickle of them is fine (the budget refills). */
	p = telnet_client(1);
	for (i = 0; i < 500; i++)
		proto_recv(p, "\xff\xfd\x01", 3, 1 + i);
	assert_int_equal(ncmds, 0);
	proto_free(p);

	/* A subnegotiation that never ends: dropped, not turned to data. */
	p = telnet_client(1);
	n = 100000;
	flood = xmalloc(n);
	memset(flood, 'x', n);
	memcpy(flood, "\xff\xfa\x18", 3);
	for (i = 0; i < n; i += 4096)
		proto_recv(p, flood + i, n - i < 4096 ? n - i : 4096, 1);
	assert_true(ncmds >= 1);
	assert_int_equal(cmds[0], PROTO_ABUSE);
	assert_int_equal(ntyped, 0);
	free(flood);
	proto_free(p);

	/* NOPs are free. */
	p = telnet_client(1);
	n = 200000;
	flood = xmalloc(n);
	for (i = 0; i < n; i += 2)
		memcpy(flood + i, "\xff\xf1", 2);
	proto_recv(p, flood, n, 1);
	assert_int_equal(ncmds, 0);
	free(flood);
	proto_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiation),
		cmocka_unit_test(test_input),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_abuse),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
