/* test-xmtable.c: xm's command table: names, prefixes, 2.0 names, help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xen-common.h"
#include "../../core/xm/xm.h"

static void
test_exact_and_prefix(void **state)
{
	char	*cause = NULL;

	assert_ptr_equal(xm_lookup("list", &cause), &cmd_list);
	assert_ptr_equal(xm_lookup("li", &cause), &cmd_list);
	assert_ptr_equal(xm_lookup("cr", &cause), &cmd_create);
	/* An exact name wins over being a prefix of another. */
	assert_ptr_equal(xm_lookup("domid", &cause), &cmd_domid);
	assert_null(cause);
}

static void
test_ambiguous_unknown_unavailable(void **state)
{
	char	*cause = NULL;

	assert_null(xm_lookup("d", &cause));
	assert_string_equal(cause, "ambiguous command 'd': destroy, domid, "
	    "domname, dmesg");
	free(cause);
	assert_null(xm_lookup("frob", &cause));
	assert_string_equal(cause, "unknown command 'frob'; try 'xm help'");
	free(cause);
	assert_null(xm_lookup("save", &cause));
	assert_non_null(strstr(cause, "not available in this version"));
	free(cause);
}

static void
test_table_is_well_formed(void **state)
{
	size_t	 i, j;

	for (i = 0; xm_commands[i] != NULL; i++) {
		const struct xm_cmd *c = xm_commands[i];

		assert_non_null(c->exec);
		assert_non_null(c->args);
		assert_non_null(c->detail);
		assert_true(strlen(c->summary) > 0);
		/* No two commands share a name. */
		for (j = 0; j < i; j++)
			assert_string_not_equal(c->name, xm_commands[j]->name);
	}
	assert_true(i >= 17);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_and_prefix),
		cmocka_unit_test(test_ambiguous_unknown_unavailable),
		cmocka_unit_test(test_table_is_well_formed),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
