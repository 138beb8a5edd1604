/* test-xendcfg.c: xend-config.sxp over the defaults, in a private dir. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "xendcfg.h"

static char	 test_dir[PATH_MAX];
static char	*test_warnings[16];
static int	 test_nwarnings;

static void
collect_warning(const char *msg)
{
	if (test_nwarnings < (int)nitems(test_warnings))
		test_warnings[test_nwarnings++] = xstrdup(msg);
}

static void
clear_warnings(void)
{
	while (test_nwarnings > 0)
		free(test_warnings[--test_nwarnings]);
}

static void
write_config(const char *text)
{
	char	*path, *cause = NULL;

	xasprintf(&path, "%s/xend-config.sxp", test_dir);
	if (file_write_atomic(path, text, strlen(text), 0644, &cause) != 0)
		fail_msg("%s", cause);
	free(path);
}

static int
setup(void **state)
{
	const char	*tmp = getenv("TMPDIR");

	snprintf(test_dir, sizeof test_dir, "%s/test-xendcfg.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(test_dir) == NULL)
		return (-1);
	setenv("XEN_CONFIG_DIR", test_dir, 1);
	return (0);
}

static int
teardown(void **state)
{
	char	*path;

	xasprintf(&path, "%s/xend-config.sxp", test_dir);
	unlink(path);
	free(path);
	rmdir(test_dir);
	clear_warnings();
	return (0);
}

static int
remove_config(void **state)
{
	char	*path;

	xasprintf(&path, "%s/xend-config.sxp", test_dir);
	unlink(path);
	free(path);
	clear_warnings();
	return (0);
}

static void
test_defaults(void **state)
{
	struct xendcfg	 cfg;
	char		*cause = NULL, *want;

	assert_int_equal(xendcfg_load(NULL, &cfg, collect_warning, &cause), 0);
	assert_string_equal(cfg.dir, test_dir);
	xasprintf(&want, "%s/xend-config.sxp", test_dir);
	assert_string_equal(cfg.path, want);
	free(want);
	assert_string_equal(cfg.logfile, "/var/log/xen/xend.log");
	assert_string_equal(cfg.loglevel, "INFO");
	assert_string_equal(cfg.unix_path, "/var/run/xend/xend.sock");
	assert_string_equal(cfg.state_dir, "/var/lib/xend");
	assert_string_equal(cfg.accel, "auto");
	assert_string_equal(cfg.qemu, "qemu-system-x86_64");
	assert_int_equal(cfg.console_port_base, 9600);
	assert_string_equal(cfg.console_address, "127.0.0.1");
	assert_int_equal(cfg.vnc_port_base, 5900);
	assert_int_equal(cfg.xensv_port, 8080);
	assert_int_equal(cfg.relocation_server, 0);
	assert_int_equal(cfg.relocation_port, 8002);
	assert_string_equal(cfg.relocation_hosts_allow, "");
	assert_int_equal(cfg.dom0_min_mem, 256);
	assert_string_equal(cfg.default_bridge, "xenbr0");
	assert_string_equal(cfg.vif_prefix, "vif");
	assert_int_equal(cfg.restart_window, 20);
	assert_int_equal(cfg.restart_limit, 5);
	assert_int_equal(cfg.shutdown_timeout, 60);
	assert_int_equal(test_nwarnings, 0);
	xendcfg_free(&cfg);
	assert_null(cfg.logfile);
	assert_null(cfg.dir);
	xendcfg_free(&cfg);		/* twice is harmless */
}

/* Every socket path is built by xendcfg's helpers, from the config. */
static void
test_socket_paths(void **state)
{
	struct xendcfg	 cfg;
	char		*cause, *p;

	memset(&cfg, 0, sizeof cfg);
	assert_int_equal(xendcfg_load(NULL, &cfg, NULL, &cause), 0);
	p = xendcfg_api_path(&cfg);
	assert_string_equal(p, "/var/run/xend/xend.sock");
	free(p);
	free(cfg.console_socket_dir);
	cfg.console_socket_dir = xstrdup("/run/c");
	p = xendcfg_consoled_path(&cfg);
	assert_string_equal(p, "/run/c/xenconsoled.sock");
	free(p);
	p = xendcfg_console_path(&cfg, 12);
	assert_string_equal(p, "/run/c/12.sock");
	free(p);
	xendcfg_free(&cfg);
}

static void
test_values(void **state)
{
	struct xendcfg	 cfg;
	char		*cause = NULL;

	write_config("# private instance\n"
	    "(logfile /tmp/x/xend.log)\n"
	    "(xend-unix-path '/tmp/x/xend sock')\n"
	    "(console-port-base 19600)\n"
	    "(xend-relocation-server yes)\n"
	    "(xend-relocation-hosts-allow '^localhost$ ^10\\\\.0\\\\..*$')\n"
	    "(accel tcg)\n"
	    "(restart-limit 1)\n");
	assert_int_equal(xendcfg_load(NULL, &cfg, collect_warning, &cause), 0);
	assert_string_equal(cfg.logfile, "/tmp/x/xend.log");
	assert_string_equal(cfg.unix_path, "/tmp/x/xend sock");
	assert_int_equal(cfg.console_port_base, 19600);
	assert_int_equal(cfg.relocation_server, 1);
	assert_string_equal(cfg.relocation_hosts_allow,
	    "^localhost$ ^10\\.0\\..*$");
	assert_string_equal(cfg.accel, "tcg");
	assert_int_equal(cfg.restart_limit, 1);
	assert_string_equal(cfg.state_dir, "/var/lib/xend");	/* default */
	assert_int_equal(test_nwarnings, 0);
	xendcfg_free(&cfg);
}

static void
test_booleans(void **state)
{
	static const char *const yes[] = { "yes", "YES", "true", "1" };
	static const char *const no[] = { "no", "False", "0" };
	struct xendcfg	 cfg;
	char		*cause = NULL, *text;
	size_t		 i;

	for (i = 0; i < nitems(yes); i++) {
		xasprintf(&text, "(xend-relocation-server %s)", yes[i]);
		write_config(text);
		free(text);
		assert_int_equal(xendcfg_load(NULL, &cfg, NULL, &cause), 0);
		assert_int_equal(cfg.relocation_server, 1);
		xendcfg_free(&cfg);
	}
	for (i = 0; i < nitems(no); i++) {
		xasprintf(&text, "(xend-relocation-server %s)", no[i]);
		write_config(text);
		free(text);
		assert_int_equal(xendcfg_load(NULL, &cfg, NULL, &cause), 0);
		assert_int_equal(cfg.relocation_server, 0);
		xendcfg_free(&cfg);
	}
}

static void
test_unknown_warns(void **state)
{
	struct xendcfg	 cfg;
	char		*cause = NULL, *want;

	write_config("(logfile /l)\n\n(network-script network-bridge)\n"
	    "(xend-http-server yes)\n");
	assert_int_equal(xendcfg_load(NULL, &cfg, collect_warning, &cause), 0);
	assert_int_equal(test_nwarnings, 1);
	xasprintf(&want, "%s/xend-config.sxp:4: unknown option "
	    "'xend-http-server' ignored", test_dir);
	assert_string_equal(test_warnings[0], want);
	free(want);
	assert_string_equal(cfg.network_script, "network-bridge");
	xendcfg_free(&cfg);

	/* No callback: still loads. */
	assert_int_equal(xendcfg_load(NULL, &cfg, NULL, &cause), 0);
	xendcfg_free(&cfg);
}

static void
assert_load_error(const char *text, const char *want_suffix)
{
	struct xendcfg	 cfg;
	char		*cause = NULL, *want;

	write_config(text);
	assert_int_equal(xendcfg_load(NULL, &cfg, NULL, &cause), -1);
	assert_non_null(cause);
	xasprintf(&want, "%s/xend-config.sxp:%s", test_dir, want_suffix);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	assert_null(cfg.logfile);		/* freed on failure */
}

static void
test_errors(void **state)
{
	assert_load_error("(logfile /l)\n(console-port-base abc)\n",
	    "2: console-port-base: expected a number from 1 to 65535, got "
	    "'abc'");
	assert_load_error("(xend-relocation-port 70000)",
	    "1: xend-relocation-port: expected a number from 1 to 65535, got "
	    "'70000'");
	assert_load_error("(xend-relocation-server maybe)",
	    "1: xend-relocation-server: expected yes or no, got 'maybe'");
	assert_load_error("\n(logfile)", "2: expected (name value)");
	assert_load_error("(logfile a b)", "1: expected (name value)");
	assert_load_error("(logfile (a))", "1: expected (name value)");
	assert_load_error("bare", "1: expected (name value)");
	assert_load_error("(logfile /l", "1: unbalanced '(': missing ')'");
}

static void
test_explicit_dir(void **state)
{
	struct xendcfg	 cfg;
	char		*cause = NULL, *other;

	write_config("(xensv-port 18080)\n");
	unsetenv("XEN_CONFIG_DIR");
	assert_int_equal(xendcfg_load(test_dir, &cfg, NULL, &cause), 0);
	assert_int_equal(cfg.xensv_port, 18080);
	xendcfg_free(&cfg);

	/* A directory without the file means defaults. */
	xasprintf(&other, "%s/none", test_dir);
	assert_int_equal(xendcfg_load(other, &cfg, NULL, &cause), 0);
	assert_int_equal(cfg.xensv_port, 8080);
	assert_string_equal(cfg.dir, other);
	xendcfg_free(&cfg);
	free(other);
	setenv("XEN_CONFIG_DIR", test_dir, 1);

	/* An empty XEN_CONFIG_DIR falls back to /etc/xen. */
	setenv("XEN_CONFIG_DIR", "", 1);
	assert_string_equal(xen_config_dir(), "/etc/xen");
	setenv("XEN_CONFIG_DIR", test_dir, 1);
	assert_string_equal(xen_config_dir(), test_dir);
}

/* Tap names: the manual's vifD.N by default, a private prefix on request. */
static void
test_vif_prefix(void **state)
{
	struct xendcfg	 cfg;
	char		*cause = NULL, name[16];
	const char	*bad[] = { "(vif-prefix '')\n", "(vif-prefix 12ab)\n",
	    "(vif-prefix abcdefgh)\n", "(vif-prefix a/b)\n", "(vif-prefix vif1)\n",
	    "(vif-prefix 'a b')\n" };
	size_t		 i;

	write_config("");
	assert_int_equal(xendcfg_load(NULL, &cfg, NULL, &cause), 0);
	xendcfg_vif_name(&cfg, 3, 0, name, sizeof name);
	assert_string_equal(name, "vif3.0");
	xendcfg_free(&cfg);

	write_config("(vif-prefix xt7f3av)\n");
	assert_int_equal(xendcfg_load(NULL, &cfg, NULL, &cause), 0);
	xendcfg_vif_name(&cfg, 99999, 99, name, sizeof name);
	assert_string_equal(name, "xt7f3av99999.99");
	assert_true(strlen(name) <= 15);
	xendcfg_free(&cfg);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		write_config(bad[i]);
		cause = NULL;
		assert_int_equal(xendcfg_load(NULL, &cfg, NULL, &cause), -1);
		assert_non_null(strstr(cause, "vif-prefix"));
		free(cause);
	}
}

/*
 * Keys accepted but not acted on: a warning for each one set to other
 * than its default, none for the manual's defaults or the xensv keys.
 */
static void
test_inert_keys(void **state)
{
	struct xendcfg	 cfg;
	char		*cause = NULL;
	size_t		 j, ninert = 0;

	write_config("(xend-relocation-server no)\n(xend-relocation-port 20198)"
	    "\n(xensv-port 18080)\n(xend-relocation-hosts-allow 'x')\n");
	assert_int_equal(xendcfg_load(NULL, &cfg, NULL, &cause), 0);
	xendcfg_inert(&cfg, collect_warning);
	assert_int_equal(test_nwarnings, 0);
	xendcfg_free(&cfg);

	/* The relocation server is real now: its keys are quiet. */
	write_config("(xend-relocation-server yes)\n(xend-relocation-port "
	    "8003)\n(xend-relocation-hosts-allow '^localhost$')\n");
	assert_int_equal(xendcfg_load(NULL, &cfg, NULL, &cause), 0);
	xendcfg_inert(&cfg, collect_warning);
	assert_int_equal(test_nwarnings, 0);
	xendcfg_free(&cfg);

	/* Every key has help for the man page; the inert ones say why. */
	for (j = 0; j < xendcfg_nopts; j++) {
		assert_non_null(xendcfg_opts[j].help);
		assert_true(strlen(xendcfg_opts[j].help) > 10);
		if (xendcfg_opts[j].inert != NULL)
			ninert++;
	}
	assert_int_equal(ninert, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_defaults, remove_config),
		cmocka_unit_test_teardown(test_inert_keys, remove_config),
		cmocka_unit_test_teardown(test_values, remove_config),
		cmocka_unit_test_teardown(test_socket_paths, remove_config),
		cmocka_unit_test_teardown(test_booleans, remove_config),
		cmocka_unit_test_teardown(test_unknown_warns, remove_config),
		cmocka_unit_test_teardown(test_errors, remove_config),
		cmocka_unit_test_teardown(test_explicit_dir, remove_config),
		cmocka_unit_test_teardown(test_vif_prefix, remove_config),
	};

	return (cmocka_run_group_tests_name("xendcfg", tests, setup,
	    teardown));
}
