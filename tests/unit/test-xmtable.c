/* test-xmtable.c: xm's command table: names, prefixes, 2.0 names, help. */
#include <sys/wait.h>

#include <fcntl.h>

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
	assert_null(xm_lookup("rrobin", &cause));
	assert_non_null(strstr(cause, "not available in this version"));
	free(cause);
}

struct run {
	int	 rc;
	char	 out[16384];
	char	 err[16384];
};

static void
slurp(FILE *f, char *buf, size_t len)
{
	size_t	 n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/*
 * xm_run in a child (it may exit, and getopt and stdio are global), its
 * stdout and stderr caught.  XEN_CONFIG_DIR names no xend: a command that
 * got past its argument checks fails to connect (exit 1), so an exit 0 or
 * 2 can only come from the checks.
 */
static void
run_xm(struct run *r, const char *a0, const char *a1, const char *a2,
    const char *a3)
{
	const char	*args[] = { a0, a1, a2, a3, NULL };
	char		*argv[8];
	FILE		*out = tmpfile(), *err = tmpfile();
	pid_t		 pid;
	int		 status, n = 0;

	assert_non_null(out);
	assert_non_null(err);
	while (n < 4 && args[n] != NULL) {
		argv[n] = (char *)args[n];
		n++;
	}
	argv[n] = NULL;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == 0) {
		setenv("XEN_CONFIG_DIR", "/nonexistent/xm-unit-test", 1);
		dup2(fileno(out), STDOUT_FILENO);
		dup2(fileno(err), STDERR_FILENO);
		status = xm_run(n, argv);
		fflush(stdout);
		fflush(stderr);
		_exit(status);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	r->rc = WEXITSTATUS(status);
	slurp(out, r->out, sizeof r->out);
	slurp(err, r->err, sizeof r->err);
}

static void
check_help(const struct xm_cmd *c, const char *name)
{
	static const char	*flags[] = { "--help", "-h" };
	struct run		 r;
	char			 want[128];
	size_t			 i;

	snprintf(want, sizeof want, "usage: xm %s", c->name);
	for (i = 0; i < nitems(flags); i++) {
		run_xm(&r, name, flags[i], NULL, NULL);
		if (r.rc != 0 || strstr(r.out, want) != r.out)
			fail_msg("xm %s %s: rc %d, stdout '%s', stderr '%s'",
			    name, flags[i], r.rc, r.out, r.err);
		assert_non_null(strstr(r.out, c->summary));
	}
	/* Help wins wherever it is, even after the arguments. */
	run_xm(&r, name, "x", "y", "--help");
	if (r.rc != 0 || strstr(r.out, want) != r.out)
		fail_msg("xm %s x y --help: rc %d", name, r.rc);
	/* "xm help CMD" says the same. */
	run_xm(&r, "help", name, NULL, NULL);
	assert_int_equal(r.rc, 0);
	assert_true(strstr(r.out, want) == r.out);
}

static void
check_usage_errors(const struct xm_cmd *c, const char *name)
{
	struct run	 r;
	char		*argv[16];
	int		 n, status, i;
	pid_t		 pid;

	run_xm(&r, name, "--no-such-option", NULL, NULL);
	if (r.rc != 2 || strstr(r.err, "unknown option --no-such-option") ==
	    NULL || strstr(r.err, "usage: xm ") == NULL)
		fail_msg("xm %s --no-such-option: rc %d, stderr '%s'", name,
		    r.rc, r.err);
	assert_string_equal(r.out, "");
	run_xm(&r, name, "-j", NULL, NULL);
	if (r.rc != 2)
		fail_msg("xm %s -j: rc %d", name, r.rc);
	if (c->min_args > 0) {
		run_xm(&r, name, NULL, NULL, NULL);
		if (r.rc != 2 || strstr(r.err, "missing argument") == NULL)
			fail_msg("xm %s: rc %d, stderr '%s'", name, r.rc,
			    r.err);
	}
	if (c->max_args < 0)
		return;
	/* One argument too many. */
	argv[0] = (char *)name;
	for (n = 1; n <= c->max_args + 1; n++)
		argv[n] = (char *)"extra";
	argv[n] = NULL;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		setenv("XEN_CONFIG_DIR", "/nonexistent/xm-unit-test", 1);
		i = open("/dev/null", O_WRONLY);
		dup2(i, STDERR_FILENO);
		_exit(xm_run(n, argv));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 2)
		fail_msg("xm %s with %d arguments: status %d", name, n - 1,
		    status);
}

/* Every command and every other name of it answers -h and --help. */
static void
test_every_command_help(void **state)
{
	char	*cause = NULL;
	size_t	 i;

	for (i = 0; xm_commands[i] != NULL; i++) {
		const struct xm_cmd *c = xm_commands[i];

		check_help(c, c->name);
		if (c->alias != NULL)
			check_help(c, c->alias);
		if (c->old_name != NULL)
			check_help(c, c->old_name);
	}
	/* The Xen 2.0 names the manual uses. */
	assert_ptr_equal(xm_lookup("balloon", &cause), &cmd_mem_set);
	assert_ptr_equal(xm_lookup("maxmem", &cause), &cmd_mem_max);
	assert_ptr_equal(xm_lookup("pincpu", &cause), &cmd_vcpu_pin);
	assert_null(cause);
}

static void
test_every_command_usage_errors(void **state)
{
	size_t	 i;

	for (i = 0; xm_commands[i] != NULL; i++) {
		const struct xm_cmd *c = xm_commands[i];

		check_usage_errors(c, c->name);
		if (c->old_name != NULL)
			check_usage_errors(c, c->old_name);
	}
}

/* "--" ends the options: what follows is an argument, dash or not. */
static void
test_double_dash(void **state)
{
	struct xm_ctx	 ctx;
	char		*argv[] = { "domid", "--", "-n", NULL };
	char		*argv2[] = { "list", "-l", "--", "-l", "x", NULL };
	char		*argv3[] = { "create", "cfg", "-c", "vmid=1", NULL };
	char		*argv4[] = { "mem-set", "--timeout=5", "-w", "d", "64",
			    NULL };
	int		 first;

	memset(&ctx, 0, sizeof ctx);
	ctx.cmd = &cmd_domid;
	assert_int_equal(xm_args_parse(&ctx, 3, argv, &first), 0);
	assert_int_equal(first, 2);
	assert_string_equal(argv[first], "-n");
	ctx.cmd = &cmd_list;
	assert_int_equal(xm_args_parse(&ctx, 5, argv2, &first), 0);
	assert_true(xm_has(&ctx, 'l'));
	assert_int_equal(5 - first, 2);
	assert_string_equal(argv2[first], "-l");
	/* Options after the arguments still count (the manual's "CONFIG -c"). */
	ctx.cmd = &cmd_create;
	assert_int_equal(xm_args_parse(&ctx, 4, argv3, &first), 0);
	assert_true(xm_has(&ctx, 'c'));
	assert_int_equal(4 - first, 2);
	/* A value is kept; a long option maps onto its letter. */
	ctx.cmd = &cmd_mem_set;
	assert_int_equal(xm_args_parse(&ctx, 5, argv4, &first), 0);
	assert_string_equal(xm_get(&ctx, 't'), "5");
	assert_true(xm_has(&ctx, 'w'));
	assert_false(xm_has(&ctx, 'h'));
}

/* The commands of the manuals xm lacks: one message, exit 2. */
static void
test_unavailable(void **state)
{
	static const char *names[] = { "bvt_ctxallow", "rrobin" };
	struct run	 r;
	char		 want[128];
	size_t		 i, n;

	for (i = 0; i < nitems(names); i++) {
		run_xm(&r, names[i], "x", NULL, NULL);
		snprintf(want, sizeof want, "xm: %s: not available in this "
		    "version: ", names[i]);
		if (r.rc != 2 || strstr(r.err, want) != r.err)
			fail_msg("xm %s: rc %d, stderr '%s'", names[i], r.rc,
			    r.err);
		/* Asking for help on it says the same. */
		run_xm(&r, names[i], "--help", NULL, NULL);
		assert_int_equal(r.rc, 2);
	}
	for (n = 0; xm_unavailable[n].name != NULL; n++)
		;
	assert_int_equal(n, nitems(names));
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
		assert_true(c->min_args >= 0);
		assert_true(c->max_args == -1 || c->max_args >= c->min_args);
		/* -h is everyone's help. */
		assert_true(c->options == NULL ||
		    strchr(c->options, 'h') == NULL);
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
		cmocka_unit_test(test_every_command_help),
		cmocka_unit_test(test_every_command_usage_errors),
		cmocka_unit_test(test_double_dash),
		cmocka_unit_test(test_unavailable),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
