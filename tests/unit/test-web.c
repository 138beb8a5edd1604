/*
 * test-web.c: xensv's pure parts: static paths, URL decoding, cookies,
 * tokens, Origin, Accept-Encoding, the WebSocket accept key, sessions,
 * the login back-off, console tickets and the users file.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "xen-common.h"
#include "xensv.h"

static void
test_path_clean(void **state)
{
	char		 out[64];
	size_t		 i;
	static const char *bad[] = {
		"", "index.html", "/..", "/../etc/passwd", "/js/../../x",
		"/js/./app.js", "/.git/config", "/js/.hidden", "//etc/passwd",
		"/js//app.js", "/js/", "/a\\b", "/a\x01b", "/a\x7f", "/c:x",
		"/..\\..\\x",
	};

	assert_int_equal(path_clean("/", out, sizeof out), 0);
	assert_string_equal(out, "index.html");
	assert_int_equal(path_clean("/js/app.js", out, sizeof out), 0);
	assert_string_equal(out, "js/app.js");
	assert_int_equal(path_clean("/node_modules/@xterm/xterm/lib/xterm.js",
	    out, sizeof out), 0);
	assert_string_equal(out, "node_modules/@xterm/xterm/lib/xterm.js");
	for (i = 0; i < nitems(bad); i++) {
		if (path_clean(bad[i], out, sizeof out) != -1)
			fail_msg("path_clean accepted '%s'", bad[i]);
	}
	/* Too long for the buffer: refused, not cut. */
	assert_int_equal(path_clean("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaa", out, sizeof out), -1);
}

static void
test_url_unescape(void **state)
{
	char	 s[64], out[64];

	snprintf(s, sizeof s, "/js/%%2e%%2e/x%%41");
	assert_int_equal(url_unescape(s), 9);
	assert_string_equal(s, "/js/../xA");
	assert_int_equal(path_clean(s, out, sizeof out), -1);
	snprintf(s, sizeof s, "/js/app.js%%00.png");
	url_unescape(s);
	assert_int_equal(strlen(s), 15);	/* not cut at the NUL */
	assert_int_equal(path_clean(s, out, sizeof out), -1);
	snprintf(s, sizeof s, "/100%%zz%%4");
	url_unescape(s);
	assert_string_equal(s, "/100%zz%4");
}

static void
test_content_types(void **state)
{
	assert_string_equal(path_content_type("index.html"),
	    "text/html; charset=utf-8");
	assert_string_equal(path_content_type("js/app.js"),
	    "text/javascript; charset=utf-8");
	assert_string_equal(path_content_type("css/x.CSS"),
	    "text/css; charset=utf-8");
	assert_string_equal(path_content_type("a.svg"), "image/svg+xml");
	assert_string_equal(path_content_type("noext"),
	    "application/octet-stream");
	assert_string_equal(path_content_type("a.js/b"),
	    "application/octet-stream");
	assert_true(path_public("login.html"));
	assert_true(path_public("js/login.js"));
	assert_false(path_public("index.html"));
	assert_false(path_public("js/app.js"));
}

static void
test_cookies_tokens(void **state)
{
	char	 v[70];

	assert_int_equal(cookie_get("a=1; xensv_session=abc; b=2",
	    "xensv_session", v, sizeof v), 0);
	assert_string_equal(v, "abc");
	assert_int_equal(cookie_get("xensv_session=abc", "xensv_session", v,
	    sizeof v), 0);
	assert_int_equal(cookie_get("my_xensv_session=abc", "xensv_session", v,
	    sizeof v), -1);
	assert_int_equal(cookie_get("xensv_session=", "xensv_session", v,
	    sizeof v), -1);
	assert_int_equal(cookie_get(NULL, "xensv_session", v, sizeof v), -1);
	assert_int_equal(cookie_get("x=1", "xensv_session", v, sizeof v), -1);
	assert_int_equal(cookie_get("xensv_session=0123456789", "xensv_session",
	    v, 5), -1);
	assert_true(token_equal("abc", "abc"));
	assert_false(token_equal("abc", "abd"));
	assert_false(token_equal("abc", "abcd"));
	assert_false(token_equal("", ""));
	assert_false(token_equal(NULL, "abc"));
}

static void
test_origin_gzip(void **state)
{
	assert_true(origin_ok("http://127.0.0.1:8080", "127.0.0.1:8080", 0));
	assert_false(origin_ok("https://127.0.0.1:8080", "127.0.0.1:8080", 0));
	assert_true(origin_ok("https://h:1", "h:1", 1));
	assert_false(origin_ok("http://evil:8080", "127.0.0.1:8080", 0));
	assert_false(origin_ok("null", "127.0.0.1:8080", 0));
	assert_false(origin_ok(NULL, "127.0.0.1:8080", 0));
	assert_false(origin_ok("http://", "", 0));
	assert_true(accepts_gzip("gzip, deflate, br"));
	assert_true(accepts_gzip("br;q=1.0, gzip;q=0.8"));
	assert_true(accepts_gzip("GZIP"));
	assert_false(accepts_gzip("gzip;q=0"));
	assert_false(accepts_gzip("gzip;q=0.000, deflate"));
	assert_false(accepts_gzip("x-gzip2, deflate"));
	assert_false(accepts_gzip(NULL));
}

static void
test_ws_accept(void **state)
{
	char	 out[64];

	/* RFC 6455 section 1.3's example. */
	assert_int_equal(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_int_equal(ws_accept_key("short", out), -1);
}

static void
test_sessions(void **state)
{
	struct session	 s, got;
	char		 id[SV_TOKEN_LEN + 1];

	session_init(100, 1000);
	session_new("alice", ROLE_VIEWER, 10, &s);
	assert_int_equal(strlen(s.id), SV_TOKEN_LEN);
	assert_int_equal(strlen(s.csrf), SV_TOKEN_LEN);
	assert_string_not_equal(s.id, s.csrf);
	assert_int_equal(session_get(s.id, 50, &got), 0);
	assert_string_equal(got.user, "alice");
	assert_int_equal(got.role, ROLE_VIEWER);
	/* Idle expiry counts from the last use. */
	assert_int_equal(session_get(s.id, 149, &got), 0);
	assert_int_equal(session_get(s.id, 250, &got), -1);
	assert_int_equal(session_get(s.id, 251, &got), -1);
	/* Absolute expiry however busy. */
	session_new("bob", ROLE_ADMIN, 0, &s);
	for (double t = 90; t < 1000; t += 90)
		assert_int_equal(session_get(s.id, t, &got), 0);
	assert_int_equal(session_get(s.id, 1001, &got), -1);
	/* Logout. */
	session_new("carol", ROLE_ADMIN, 0, &s);
	memcpy(id, s.id, sizeof id);
	session_drop(id);
	assert_int_equal(session_get(id, 1, &got), -1);
	assert_int_equal(session_get("nonsense", 1, &got), -1);
	assert_int_equal(session_get(NULL, 1, &got), -1);
}

static void
test_tickets(void **state)
{
	char	 t[SV_TOKEN_LEN + 1], sid[] = "s1", other[] = "s2";

	ticket_new(sid, 5, WS_CONSOLE, 0, t);
	assert_int_equal(ticket_take(t, other, 5, WS_CONSOLE, 1), -1);	/* spent */
	assert_int_equal(ticket_take(t, sid, 5, WS_CONSOLE, 1), -1);
	ticket_new(sid, 5, WS_CONSOLE, 0, t);
	assert_int_equal(ticket_take(t, sid, 6, WS_CONSOLE, 1), -1);	/* domain */
	ticket_new(sid, 5, WS_CONSOLE, 0, t);
	assert_int_equal(ticket_take(t, sid, 5, WS_VNC, 1), -1);	/* kind */
	ticket_new(sid, 5, WS_CONSOLE, 0, t);
	assert_int_equal(ticket_take(t, sid, 5, WS_CONSOLE, TICKET_TTL + 1), -1);
	ticket_new(sid, 5, WS_CONSOLE, 0, t);
	assert_int_equal(ticket_take(t, sid, 5, WS_CONSOLE, 1), 0);
	assert_int_equal(ticket_take(t, sid, 5, WS_CONSOLE, 1), -1);	/* once */
	assert_int_equal(ticket_take(NULL, sid, 5, WS_CONSOLE, 1), -1);
	assert_int_equal(ticket_take("abc", sid, 5, WS_CONSOLE, 1), -1);
	/* Logout spends the session's tickets. */
	ticket_new(sid, 5, WS_CONSOLE, 0, t);
	session_drop(sid);
	assert_int_equal(ticket_take(t, sid, 5, WS_CONSOLE, 1), -1);
}

static void
test_users_file(void **state)
{
	char		 dir[] = "/tmp/test-web-XXXXXX", *file, *cause = NULL;
	enum role	 role;
	struct stat	 st;

	assert_non_null(mkdtemp(dir));
	file = xsprintf("%s/users", dir);
	assert_int_equal(auth_check(file, "admin", "x", &role, &cause), -1);
	assert_non_null(strstr(cause, "xensv passwd"));
	free(cause);
	assert_int_equal(auth_set(file, "admin", ROLE_ADMIN, "password1",
	    &cause), 0);
	assert_int_equal(auth_set(file, "view", ROLE_VIEWER, "password2",
	    &cause), 0);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(auth_check(file, "admin", "password1", &role, &cause),
	    0);
	assert_int_equal(role, ROLE_ADMIN);
	assert_int_equal(auth_check(file, "view", "password2", &role, &cause),
	    0);
	assert_int_equal(role, ROLE_VIEWER);
	assert_int_equal(auth_check(file, "admin", "password2", &role, &cause),
	    -1);
	assert_string_equal(cause, "wrong user name or password");
	free(cause);
	assert_int_equal(auth_check(file, "nobody", "password1", &role,
	    &cause), -1);
	assert_string_equal(cause, "wrong user name or password");
	free(cause);
	/* A new password replaces the line. */
	assert_int_equal(auth_set(file, "admin", ROLE_ADMIN, "password3",
	    &cause), 0);
	assert_int_equal(auth_check(file, "admin", "password1", &role, &cause),
	    -1);
	free(cause);
	assert_int_equal(auth_check(file, "admin", "password3", &role, &cause),
	    0);
	assert_int_equal(auth_set(file, "a:b", ROLE_ADMIN, "password3",
	    &cause), -1);
	free(cause);
	assert_int_equal(auth_set(file, "x", ROLE_ADMIN, "short", &cause), -1);
	free(cause);
	/* Readable by others: not used. */
	chmod(file, 0644);
	assert_int_equal(auth_check(file, "admin", "password3", &role, &cause),
	    -1);
	assert_non_null(strstr(cause, "chmod 600"));
	free(cause);
	unlink(file);
	rmdir(dir);
	free(file);
}

static void
test_rfb_filter(void **state)
{
	struct rfb_filter	 f;
	uint8_t			 out[256], in[256];
	size_t			 n = 0;
	/* version, security None, ClientInit (shared) */
	static const uint8_t	 hello[] = "RFB 003.008\n\x01\x01";
	static const uint8_t	 setenc[] = { 2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0,
				    1 };
	static const uint8_t	 fbreq[] = { 3, 1, 0, 0, 0, 0, 0, 64, 0, 48 };
	static const uint8_t	 key[] = { 4, 1, 0, 0, 0, 0, 0xff, 0x0d };
	static const uint8_t	 ptr[] = { 5, 1, 0, 10, 0, 10 };
	static const uint8_t	 cut[] = { 6, 0, 0, 0, 0, 0, 0, 3, 'a', 'b',
				    'c' };

	rfb_filter_init(&f);
	memcpy(in + n, hello, 14); n += 14;
	memcpy(in + n, setenc, sizeof setenc); n += sizeof setenc;
	memcpy(in + n, key, sizeof key); n += sizeof key;
	memcpy(in + n, fbreq, sizeof fbreq); n += sizeof fbreq;
	memcpy(in + n, ptr, sizeof ptr); n += sizeof ptr;
	memcpy(in + n, cut, sizeof cut); n += sizeof cut;
	memcpy(in + n, fbreq, sizeof fbreq); n += sizeof fbreq;
	/* Whole, then a byte at a time: the same bytes pass. */
	assert_int_equal(rfb_filter(&f, in, n, out), 14 + 12 + 10 + 10);
	assert_memory_equal(out, hello, 14);
	assert_memory_equal(out + 14, setenc, 12);
	assert_memory_equal(out + 26, fbreq, 10);
	assert_memory_equal(out + 36, fbreq, 10);
	rfb_filter_init(&f);
	size_t	 got = 0;
	for (size_t i = 0; i < n; i++) {
		ssize_t	 r = rfb_filter(&f, in + i, 1, out + got);

		assert_true(r >= 0);
		got += r;
	}
	assert_int_equal(got, 46);
	/* An unknown message, a QEMU extension, a bad version: refused. */
	rfb_filter_init(&f);
	assert_int_equal(rfb_filter(&f, hello, 14, out), 14);
	assert_int_equal(rfb_filter(&f, (const uint8_t *)"\xfe", 1, out), -1);
	rfb_filter_init(&f);
	assert_int_equal(rfb_filter(&f, (const uint8_t *)"RFB 003.003\n",
	    12, out), -1);
	/* VNC authentication: 16 bytes of response pass. */
	rfb_filter_init(&f);
	memset(in, 'x', sizeof in);
	memcpy(in, "RFB 003.008\n\x02", 13);
	in[29] = 1;
	assert_int_equal(rfb_filter(&f, in, 30, out), 30);
	assert_int_equal(rfb_filter(&f, key, sizeof key, out), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_clean),
		cmocka_unit_test(test_url_unescape),
		cmocka_unit_test(test_content_types),
		cmocka_unit_test(test_cookies_tokens),
		cmocka_unit_test(test_origin_gzip),
		cmocka_unit_test(test_ws_accept),
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_tickets),
		cmocka_unit_test(test_rfb_filter),
		cmocka_unit_test(test_users_file),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
