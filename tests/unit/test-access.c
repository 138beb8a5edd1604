/*
 * test-access.c: consoled/sockdiag.c (who owns the other end of a local
 * TCP connection) and consoled/access.c (passwords, back-off).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <crypt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "xendcfg.h"
#include "consoled.h"

/* main.c's globals, which access.c reads. */
struct event_base	*cd_base;
struct xendcfg		 cd_cfg;
double			 cd_start_time;

static int
listen_loopback(int *port)
{
	struct sockaddr_in	 sa;
	socklen_t		 len = sizeof sa;
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd != -1);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return (fd);
}

static int
connect_loopback(int port)
{
	struct sockaddr_in	 sa;
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd != -1);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(port);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return (fd);
}

/* Both ends of a connection we made ourselves: our uid, both ways. */
static void
test_peer_uid_self(void **state)
{
	int	 l, c, s, port;
	uid_t	 uid = (uid_t)-1;
	char	*cause = NULL;

	l = listen_loopback(&port);
	c = connect_loopback(port);
	s = accept(l, NULL, NULL);
	assert_true(s != -1);
	assert_int_equal(sockdiag_peer_uid(s, 0, &uid, &cause), 0);
	assert_int_equal(uid, geteuid());
	uid = (uid_t)-1;
	assert_int_equal(sockdiag_peer_uid(c, 0, &uid, &cause), 0);
	assert_int_equal(uid, geteuid());
	/* Nobody else's listener there: the port's holder is us. */
	uid = (uid_t)-1;
	assert_int_equal(sockdiag_listener_uid(port, &uid, &cause), 0);
	assert_int_equal(uid, geteuid());
	close(c);
	close(s);
	close(l);
}

/*
 * As root: a client socket made by uid 65534 is 65534's, before and after
 * that process closes it (never root's, whatever the kernel has made of
 * it by then); one root made and closed identifies nobody, as request
 * and TIME_WAIT sockets (uid 0, no owner) must not pass for root's.
 */
static void
test_peer_uid_other(void **state)
{
	int	 l, s, c, port, p[2], q[2], r;
	pid_t	 pid;
	uid_t	 uid = (uid_t)-1;
	char	*cause = NULL, x;

	if (geteuid() != 0) {
		skip();
		return;
	}
	l = listen_loopback(&port);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	if ((pid = fork()) == 0) {
		if (setresgid(65534, 65534, 65534) != 0 ||
		    setresuid(65534, 65534, 65534) != 0)
			_exit(1);
		s = connect_loopback(port);
		if (write(p[1], "c", 1) != 1 || read(q[0], &x, 1) != 1)
			_exit(1);
		close(s);	/* orphaned, then TIME_WAIT */
		if (write(p[1], "d", 1) != 1 || read(q[0], &x, 1) != 1)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(read(p[0], &x, 1), 1);
	s = accept(l, NULL, NULL);
	assert_true(s != -1);
	assert_int_equal(sockdiag_peer_uid(s, 0, &uid, &cause), 0);
	assert_int_equal(uid, 65534);
	assert_int_equal(write(q[1], "x", 1), 1);
	assert_int_equal(read(p[0], &x, 1), 1);
	uid = (uid_t)-1;
	r = sockdiag_peer_uid(s, 0, &uid, &cause);
	if (r == 0)
		assert_int_equal(uid, 65534);
	else
		free(cause);
	assert_int_equal(write(q[1], "x", 1), 1);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	close(s);

	c = connect_loopback(port);
	s = accept(l, NULL, NULL);
	assert_true(s != -1);
	close(c);
	assert_int_equal(sockdiag_peer_uid(s, 0, &uid, &cause), -1);
	assert_non_null(strstr(cause, "held by no process"));
	free(cause);
	close(s);
	close(l);
}

static void
test_addr_local(void **state)
{
	struct sockaddr_in	 sa;
	struct sockaddr_in6	 s6;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	inet_pton(AF_INET, "127.3.4.5", &sa.sin_addr);
	assert_true(sockdiag_addr_local((struct sockaddr *)&sa));
	inet_pton(AF_INET, "192.0.2.77", &sa.sin_addr);	/* TEST-NET-1 */
	assert_false(sockdiag_addr_local((struct sockaddr *)&sa));
	memset(&s6, 0, sizeof s6);
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::1", &s6.sin6_addr);
	assert_true(sockdiag_addr_local((struct sockaddr *)&s6));
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &s6.sin6_addr);
	assert_true(sockdiag_addr_local((struct sockaddr *)&s6));
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	assert_false(sockdiag_addr_local((struct sockaddr *)&s6));
}

static void
test_password(void **state)
{
	struct crypt_data	 cd;
	char			*salt, *hash;

	salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
	assert_non_null(salt);
	memset(&cd, 0, sizeof cd);
	hash = xstrdup(crypt_rn(".Secret 1", salt, &cd, sizeof cd));
	assert_true(password_ok(hash, ".Secret 1"));
	assert_false(password_ok(hash, ".Secret 2"));
	assert_false(password_ok(hash, ""));
	/* A broken hash matches nothing, not even what crypt returns. */
	assert_false(password_ok("*0", "*0"));
	assert_false(password_ok("", ""));
	free(hash);
	free(salt);
}

static void
test_backoff(void **state)
{
	double	 now = 1000;

	assert_true(backoff_wait("10.0.0.9", now) == 0);
	assert_true(backoff_fail("10.0.0.9", now) == BACKOFF_FIRST_S);
	assert_true(backoff_wait("10.0.0.9", now + 0.5) == 0.5);
	assert_true(backoff_wait("10.0.0.8", now + 0.5) == 0);
	assert_true(backoff_fail("10.0.0.9", now + 1) == 2 * BACKOFF_FIRST_S);
	assert_true(backoff_fail("10.0.0.9", now + 3) == 4 * BACKOFF_FIRST_S);
	for (int i = 0; i < 20; i++)
		assert_true(backoff_fail("10.0.0.9", now + 10) <=
		    BACKOFF_MAX_S);
	assert_true(backoff_wait("10.0.0.9", now + 10) == BACKOFF_MAX_S);
	backoff_ok("10.0.0.9");
	assert_true(backoff_wait("10.0.0.9", now + 10) == 0);
	/* Forgotten after a quiet spell: the next failure starts over. */
	backoff_fail("10.0.0.7", now);
	backoff_fail("10.0.0.7", now + 1);
	assert_true(backoff_fail("10.0.0.7", now + 2 + BACKOFF_FORGET_S) ==
	    BACKOFF_FIRST_S);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_uid_self),
		cmocka_unit_test(test_peer_uid_other),
		cmocka_unit_test(test_addr_local),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_backoff),
	};
	char	*cause;

	if (xendcfg_load("/nonexistent", &cd_cfg, NULL, &cause) != 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
