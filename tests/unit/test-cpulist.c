/* test-cpulist.c: CPU lists: ranges, exclusions, "all", errors, format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "xen-common.h"
#include "cpulist.h"

static char *
roundtrip(const char *s, int ncpus)
{
	cpu_set_t	 set;
	char		*cause = NULL;

	if (cpulist_parse(s, ncpus, &set, &cause) != 0) {
		free(cause);
		return (NULL);
	}
	return (cpulist_format(&set, ncpus));
}

static void
test_parse_and_format(void **state)
{
	char	*s;

	s = roundtrip("0-3,^1,5", 8);
	assert_string_equal(s, "0,2-3,5");
	free(s);
	s = roundtrip("all", 4);
	assert_string_equal(s, "0-3");
	free(s);
	s = roundtrip("0-1,^1", 2);
	assert_string_equal(s, "0");
	free(s);
	s = roundtrip("3,1,2", 4);
	assert_string_equal(s, "1-3");
	free(s);
}

static void
test_errors(void **state)
{
	cpu_set_t	 set;
	char		*cause = NULL;

	assert_int_equal(cpulist_parse("4", 4, &set, &cause), -1);
	assert_string_equal(cause, "CPU 4 does not exist (this host has 4: 0-3)");
	free(cause);
	assert_int_equal(cpulist_parse("0-1,^0-1", 4, &set, &cause), -1);
	assert_string_equal(cause, "CPU list '0-1,^0-1' leaves no CPU");
	free(cause);
	assert_int_equal(cpulist_parse("2-1", 4, &set, &cause), -1);
	free(cause);
	assert_int_equal(cpulist_parse("1;2", 4, &set, &cause), -1);
	free(cause);
	assert_int_equal(cpulist_parse("", 4, &set, &cause), -1);
	free(cause);
	assert_int_equal(cpulist_parse("x", 4, &set, &cause), -1);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_format),
		cmocka_unit_test(test_errors),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
