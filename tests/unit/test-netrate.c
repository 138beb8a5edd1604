/* test-netrate.c: vif rate limits as Xen wrote them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xen-common.h"
#include "netrate.h"

static void
test_good(void **state)
{
	struct netrate	 r;
	char		*cause = NULL;

	assert_int_equal(netrate_parse("10Mb/s", &r, &cause), 0);
	assert_true(r.bits_per_s == 10000000ULL);
	assert_int_equal(r.interval_us, 50000);
	assert_true(r.burst_bytes == 62500);
	assert_int_equal(netrate_parse("1MB/s@20ms", &r, &cause), 0);
	assert_true(r.bits_per_s == 8ULL * 1024 * 1024);
	assert_int_equal(r.interval_us, 20000);
	assert_int_equal(netrate_parse("500Kb/s@1s", &r, &cause), 0);
	assert_true(r.bits_per_s == 500000ULL);
	assert_int_equal(r.interval_us, 1000000);
	assert_int_equal(netrate_parse("8b/s", &r, &cause), 0);
	assert_true(r.burst_bytes == 1600);	/* at least a frame */
	assert_int_equal(netrate_parse("2Gb/s@500us", &r, &cause), 0);
	assert_int_equal(r.interval_us, 500);
}

static void
test_bad(void **state)
{
	static const char *bad[] = { "", "10", "10M", "10Mb", "10Mb/", "Mb/s",
	    "-1Mb/s", "0Mb/s", "10Mb/s@", "10Mb/s@0ms", "10Mb/s@5h",
	    "10Xb/s", "10Mb/s junk", "99999999999999Gb/s", "10Mb/s@20" };
	struct netrate	 r;
	char		*cause;
	size_t		 i;

	for (i = 0; i < nitems(bad); i++) {
		cause = NULL;
		if (netrate_parse(bad[i], &r, &cause) != -1)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(cause, "invalid rate"));
		free(cause);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
