/* test-ring.c: consoled's history ring (consoled/ring.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "xen-common.h"
#include "consoled.h"

/* Everything from pos to head, through ring_peek. */
static size_t
read_all(struct ring *r, uint64_t pos, char *out, size_t max)
{
	const char	*p;
	size_t		 n, got = 0;

	while (pos < r->head && got < max) {
		n = ring_peek(r, pos, &p, max - got);
		assert_true(n > 0);
		memcpy(out + got, p, n);
		got += n;
		pos += n;
	}
	return (got);
}

static void
test_write_peek_wrap(void **state)
{
	struct ring	*r = ring_new(8);
	char		 out[16];
	const char	*p;

	ring_write(r, "abcde", 5);
	assert_int_equal(ring_tail(r), 0);
	assert_int_equal(read_all(r, 0, out, sizeof out), 5);
	assert_memory_equal(out, "abcde", 5);
	/* Wraps: the oldest bytes fall off the tail. */
	ring_write(r, "fghij", 5);
	assert_int_equal(r->head, 10);
	assert_int_equal(ring_tail(r), 2);
	assert_int_equal(read_all(r, 2, out, sizeof out), 8);
	assert_memory_equal(out, "cdefghij", 8);
	/* Contiguous pieces only, bounded by max. */
	assert_int_equal(ring_peek(r, 2, &p, 100), 6);
	assert_int_equal(ring_peek(r, 8, &p, 100), 2);
	assert_memory_equal(p, "ij", 2);
	assert_int_equal(ring_peek(r, 3, &p, 2), 2);
	assert_memory_equal(p, "de", 2);
	/* Outside [tail, head): nothing. */
	assert_int_equal(ring_peek(r, 1, &p, 100), 0);
	assert_int_equal(ring_peek(r, 10, &p, 100), 0);
	/* A write bigger than the ring keeps its end. */
	ring_write(r, "0123456789ABCDEF", 16);
	assert_int_equal(r->head, 26);
	assert_int_equal(read_all(r, ring_tail(r), out, sizeof out), 8);
	assert_memory_equal(out, "89ABCDEF", 8);
	ring_free(r);
}

static void
test_history(void **state)
{
	struct ring	*r = ring_new(64);
	const char	 text[] = "one\r\ntwo\r\nthree\r\nlogin: ";

	assert_int_equal(ring_history(r, 3, 1000), 0);
	ring_write(r, text, strlen(text));
	/* The prompt counts as a line. */
	assert_int_equal(ring_history(r, 1, 1000), strlen(text) - 7);
	assert_int_equal(ring_history(r, 2, 1000), strlen("one\r\ntwo\r\n"));
	assert_int_equal(ring_history(r, 3, 1000), strlen("one\r\n"));
	assert_int_equal(ring_history(r, 10, 1000), 0);
	assert_int_equal(ring_history(r, 0, 1000), r->head);
	/* Never more than max bytes back. */
	assert_int_equal(ring_history(r, 10, 4), r->head - 4);
	/* Ending on a newline: that line is the last one. */
	ring_write(r, "root\r\n", 6);
	assert_int_equal(ring_history(r, 1, 1000), r->head - 13);
	ring_free(r);

	/* After wrapping, never before the tail. */
	r = ring_new(8);
	ring_write(r, "aaaaaaaaaaaa\nbb", 15);
	assert_int_equal(ring_history(r, 5, 1000), ring_tail(r));
	ring_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_peek_wrap),
		cmocka_unit_test(test_history),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
