/* test-domid.c: domain ids from a rover, never one in use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "xen-common.h"
#include "../../core/xend/xend.h"

static int	used[16];

static int
in_use(int id, void *arg)
{
	return (id < (int)nitems(used) && used[id]);
}

static void
test_rover_advances(void **state)
{
	int	 rover = 1;

	memset(used, 0, sizeof used);
	assert_int_equal(domid_pick(&rover, 10, in_use, NULL), 1);
	assert_int_equal(domid_pick(&rover, 10, in_use, NULL), 2);
	/* A freed id is not handed out again until the rover comes round. */
	assert_int_equal(domid_pick(&rover, 10, in_use, NULL), 3);
	assert_int_equal(rover, 4);
}

static void
test_skips_live_ids_and_wraps(void **state)
{
	int	 rover = 9;

	memset(used, 0, sizeof used);
	used[10] = used[1] = used[2] = 1;
	assert_int_equal(domid_pick(&rover, 10, in_use, NULL), 9);
	assert_int_equal(domid_pick(&rover, 10, in_use, NULL), 3);
	assert_int_equal(rover, 4);
}

static void
test_full_and_bad_rover(void **state)
{
	int	 rover = 0, i;

	for (i = 0; i < (int)nitems(used); i++)
		used[i] = 1;
	assert_int_equal(domid_pick(&rover, 10, in_use, NULL), -1);
	used[7] = 0;
	rover = 999;
	assert_int_equal(domid_pick(&rover, 10, in_use, NULL), 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rover_advances),
		cmocka_unit_test(test_skips_live_ids_and_wraps),
		cmocka_unit_test(test_full_and_bad_rover),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
