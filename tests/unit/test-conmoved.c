/* test-conmoved.c: xenconsoled's "moved" notice, read back by clients. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xen-common.h"
#include "conmoved.h"

/* What proto_notice sends: "\r\n[xenconsoled: MSG]\r\n". */
static void
feed_notice(struct conmoved_tail *t, const char *name, const char *host,
    int port)
{
	char	 msg[256], line[300];

	snprintf(msg, sizeof msg, CONMOVED_FMT, name, host, port);
	snprintf(line, sizeof line, "\r\n[xenconsoled: %s]\r\n", msg);
	conmoved_feed(t, line, strlen(line));
}

static void
test_found_at_end(void **state)
{
	struct conmoved_tail	 t = { .len = 0 };
	char			*host = NULL, big[2000];
	int			 port = 0;

	memset(big, 'x', sizeof big);
	conmoved_feed(&t, big, sizeof big);	/* more than the tail keeps */
	conmoved_feed(&t, "CNT41\r\nCNT42\r\n", 14);
	feed_notice(&t, "web moved to x", "10.0.0.2", 9602);
	assert_int_equal(conmoved_parse(&t, &host, &port), 0);
	assert_string_equal(host, "10.0.0.2");
	assert_int_equal(port, 9602);
	free(host);
}

static void
test_not_at_end(void **state)
{
	struct conmoved_tail	 t = { .len = 0 };
	char			*host = NULL;
	int			 port = 0;

	/* A guest printing the notice, then more output: not followed. */
	feed_notice(&t, "web", "evil.example", 23);
	conmoved_feed(&t, "CNT43\r\n", 7);
	assert_int_equal(conmoved_parse(&t, &host, &port), -1);
	/* Other notices at the end: no. */
	t.len = 0;
	conmoved_feed(&t, "\r\n[xenconsoled: domain web is gone]\r\n", 37);
	assert_int_equal(conmoved_parse(&t, &host, &port), -1);
	/* A bad port or a host with spaces: no. */
	t.len = 0;
	feed_notice(&t, "web", "10.0.0.2", 0);
	assert_int_equal(conmoved_parse(&t, &host, &port), -1);
	t.len = 0;
	conmoved_feed(&t, "[xenconsoled: domain w moved to a b; its console is "
	    "port 9601 there]", 66);
	assert_int_equal(conmoved_parse(&t, &host, &port), -1);
	t.len = 0;
	assert_int_equal(conmoved_parse(&t, &host, &port), -1);
	assert_null(host);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found_at_end),
		cmocka_unit_test(test_not_at_end),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
