/* test-tui-jscan.c: the in-place JSON scanner xm top reads replies with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xen-common.h"
#include "top.h"

static const char *
end_of(const char *s)
{
	return (s + strlen(s));
}

static void
test_skip_values(void **state)
{
	const char	*cases[] = { "1", "-2.5e3", "true", "null", "\"a\\\"b\"",
	    "[1,[2,{\"x\":[3]}],\"]\"]", "{\"a\":{\"b\":\"}\"}}", "[]", "{}" };
	size_t		 i;
	char		 buf[128];

	for (i = 0; i < nitems(cases); i++) {
		/* The value ends where the text ends, trailing text or not. */
		assert_ptr_equal(jscan_skip(cases[i], end_of(cases[i])),
		    end_of(cases[i]));
		snprintf(buf, sizeof buf, "  %s , 7", cases[i]);
		assert_ptr_equal(jscan_skip(buf, end_of(buf)), buf + 2 +
		    strlen(cases[i]));
	}
}

static void
test_skip_rejects_malformed(void **state)
{
	const char	*bad[] = { "", "[1,2", "{\"a\":1", "\"abc", "[1}",
	    "{\"a\":[}]", "]", "\"\\", "@" };
	size_t		 i;

	for (i = 0; i < nitems(bad); i++)
		assert_null(jscan_skip(bad[i], end_of(bad[i])));
}

static void
test_every_prefix_stays_in_bounds(void **state)
{
	const char	*doc = "[{\"domid\":1,\"name\":\"a\\u00e9\\\"b\",\"x\":"
	    "[1,{\"y\":\"}\"}],\"n\":null},{\"domid\":2}]";
	size_t		 n = strlen(doc), i;
	char		*copy;

	/* Truncated input (a short read) fails cleanly, never overreads:
	 * each prefix is copied to a buffer of exactly its size for ASan. */
	for (i = 0; i < n; i++) {
		copy = malloc(i + 1);
		memcpy(copy, doc, i);
		assert_null(jscan_skip(copy, copy + i));
		free(copy);
	}
	assert_ptr_equal(jscan_skip(doc, doc + n), doc + n);
}

static void
test_deep_nesting_refused(void **state)
{
	char	 buf[400];

	/* Deeper than any reply xend sends: refused, not recursed into. */
	memset(buf, '[', 200);
	memset(buf + 200, ']', 200);
	assert_null(jscan_skip(buf, buf + 400));
	assert_ptr_equal(jscan_skip(buf + 150, buf + 250), buf + 250);
}

struct seen {
	char	 keys[8][16];
	double	 nums[8];
	int	 n;
};

static int
collect(const char *key, size_t klen, const char *v, const char *vend,
    void *arg)
{
	struct seen	*s = arg;

	snprintf(s->keys[s->n], sizeof s->keys[0], "%.*s", (int)klen, key);
	s->nums[s->n] = jscan_number(v, vend);
	s->n++;
	return (0);
}

static void
test_object_members(void **state)
{
	const char	*doc = " { \"a\" : 1 , \"b\":\"x\", \"c\":[1,2],"
	    "\"d\":-0.5 } ";
	struct seen	 s;

	memset(&s, 0, sizeof s);
	assert_int_equal(jscan_object(doc, end_of(doc), collect, &s), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.keys[0], "a");
	assert_true(s.nums[0] == 1);
	assert_string_equal(s.keys[1], "b");
	assert_true(isnan(s.nums[1]));		/* a string is not a number */
	assert_true(isnan(s.nums[2]));
	assert_true(s.nums[3] == -0.5);
	memset(&s, 0, sizeof s);
	assert_int_equal(jscan_object("{}", end_of("{}"), collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(jscan_object("[1]", end_of("[1]"), collect, &s), -1);
	assert_int_equal(jscan_object("{\"a\" 1}", end_of("{\"a\" 1}"),
	    collect, &s), -1);
	assert_int_equal(jscan_object("{\"a\":1,}", end_of("{\"a\":1,}"),
	    collect, &s), -1);
}

static int
count_item(const char *v, const char *vend, void *arg)
{
	(*(int *)arg)++;
	return (0);
}

static void
test_array_items(void **state)
{
	int	 n = 0;

	assert_int_equal(jscan_array("[1, {\"a\":[2,3]}, \"x\", null]",
	    end_of("[1, {\"a\":[2,3]}, \"x\", null]"), count_item, &n), 0);
	assert_int_equal(n, 4);
	n = 0;
	assert_int_equal(jscan_array("[]", end_of("[]"), count_item, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(jscan_array("{}", end_of("{}"), count_item, &n), -1);
}

static void
test_strings_and_numbers(void **state)
{
	char		 buf[16];
	const char	*s = "\"a\\tb\\u00e9\\\"\\\\\"";

	assert_int_equal(jscan_string(s, end_of(s), buf, sizeof buf), 0);
	assert_string_equal(buf, "a\tb\xc3\xa9\"\\");
	/* Truncated to the buffer, always terminated. */
	s = "\"0123456789abcdefghij\"";
	assert_int_equal(jscan_string(s, end_of(s), buf, sizeof buf), 0);
	assert_string_equal(buf, "0123456789abcde");
	assert_int_equal(jscan_string("12", end_of("12"), buf, sizeof buf), -1);
	assert_int_equal(jscan_string("\"\\u00", end_of("\"\\u00"), buf,
	    sizeof buf), -1);
	assert_true(jscan_number("42", end_of("42")) == 42);
	assert_true(jscan_number("1e3", end_of("1e3")) == 1000);
	assert_true(isnan(jscan_number("null", end_of("null"))));
	assert_true(isnan(jscan_number("\"1\"", end_of("\"1\""))));
	assert_true(isnan(jscan_number("1x", end_of("1x"))));
	assert_true(jscan_key_is("name", 4, "name"));
	assert_false(jscan_key_is("names", 5, "name"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skip_values),
		cmocka_unit_test(test_skip_rejects_malformed),
		cmocka_unit_test(test_every_prefix_stays_in_bounds),
		cmocka_unit_test(test_deep_nesting_refused),
		cmocka_unit_test(test_object_members),
		cmocka_unit_test(test_array_items),
		cmocka_unit_test(test_strings_and_numbers),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
