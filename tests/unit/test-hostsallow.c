/* test-hostsallow.c: hosts-allow lists, read as Xen reads them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xen-common.h"
#include "hostsallow.h"

static void
test_whole_match(void **state)
{
	struct hostsallow	*h;
	char			*cause = NULL;

	assert_int_equal(hostsallow_compile("k", "^localhost$ 10\\.0\\.0\\.[12] "
	    "host1\\.pool", &h, &cause), 0);
	assert_int_equal(hostsallow_count(h), 3);
	assert_true(hostsallow_match(h, "10.0.0.1"));
	assert_true(hostsallow_match(h, "localhost"));
	assert_true(hostsallow_match(h, "HOST1.pool"));	/* case-insensitive */
	/* The whole of it: no prefix or suffix matches. */
	assert_false(hostsallow_match(h, "10.0.0.12"));
	assert_false(hostsallow_match(h, "110.0.0.1"));
	assert_false(hostsallow_match(h, "host1.pool.evil"));
	assert_false(hostsallow_match(h, "10.0.0.3"));
	hostsallow_free(h);
}

static void
test_empty_and_bad(void **state)
{
	struct hostsallow	*h;
	char			*cause = NULL;

	assert_int_equal(hostsallow_compile("k", "  ", &h, &cause), 0);
	assert_int_equal(hostsallow_count(h), 0);
	assert_false(hostsallow_match(h, "10.0.0.1"));
	hostsallow_free(h);
	assert_int_equal(hostsallow_compile("xend-relocation-hosts-allow",
	    "ok (unclosed", &h, &cause), -1);
	assert_non_null(strstr(cause, "xend-relocation-hosts-allow: bad "
	    "pattern '(unclosed': "));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_match),
		cmocka_unit_test(test_empty_and_bad),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
