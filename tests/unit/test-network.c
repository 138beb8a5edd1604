/* test-network.c: network and vif scripts' argv and environment, leases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <unistd.h>

#include <cmocka.h>

#include "xen-common.h"
#include "../../core/xend/xend.h"

/* What xend's main.c defines. */
struct event_base	*xend_base;
struct xendcfg		 xend_cfg;
double			 xend_start_time;

static char	tmpdir[] = "/tmp/test-network-XXXXXX";

static int
setup(void **state)
{
	char	*cause;

	if (mkdtemp(tmpdir) == NULL)
		return (-1);
	if (xendcfg_load(tmpdir, &xend_cfg, NULL, &cause) != 0)
		return (-1);
	free(xend_cfg.state_dir);
	xend_cfg.state_dir = xstrdup(tmpdir);
	return (0);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return (remove(path));
}

static int
teardown(void **state)
{
	return (nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS));
}

static void
test_argv_resolves_and_splits(void **state)
{
	char	**argv, *extra[] = { (char *)"vif=vif1.0", NULL }, *want;

	argv = network_script_argv("  network-bridge  netdev=eth0\tbridge=br9 ",
	    "start", extra);
	assert_non_null(argv);
	want = xsprintf("%s/scripts/network-bridge", tmpdir);
	assert_string_equal(argv[0], want);
	free(want);
	assert_string_equal(argv[1], "start");
	assert_string_equal(argv[2], "netdev=eth0");
	assert_string_equal(argv[3], "bridge=br9");
	assert_string_equal(argv[4], "vif=vif1.0");
	assert_null(argv[5]);
	assert_string_equal(network_script_arg(argv, "bridge"), "br9");
	assert_null(network_script_arg(argv, "bri"));
	argv_free(argv);
	/* A path is taken as it is; an empty spec is no script. */
	argv = network_script_argv("/x/my-net", "stop", NULL);
	assert_string_equal(argv[0], "/x/my-net");
	assert_string_equal(argv[1], "stop");
	assert_null(argv[2]);
	argv_free(argv);
	assert_null(network_script_argv("   ", "start", NULL));
}

static const char *
env_get(char **env, const char *key)
{
	size_t	 i, len = strlen(key);
	const char *found = NULL;

	for (i = 0; env[i] != NULL; i++) {
		if (strncmp(env[i], key, len) == 0 && env[i][len] == '=') {
			assert_null(found);	/* each name once */
			found = env[i] + len + 1;
		}
	}
	return (found);
}

static void
test_env_has_ours_once(void **state)
{
	char	*kv[] = { (char *)"bridge=a", (char *)"vif=v1.0",
		    (char *)"bridge=b", NULL }, **env;

	setenv("vif", "from-xend", 1);
	setenv("XEN_STATE_DIR", "/elsewhere", 1);
	env = network_script_env(kv);
	assert_string_equal(env_get(env, "vif"), "v1.0");
	assert_string_equal(env_get(env, "bridge"), "b");
	assert_string_equal(env_get(env, "XEN_STATE_DIR"), tmpdir);
	assert_string_equal(env_get(env, "XEN_DEFAULT_BRIDGE"), "xenbr0");
	assert_non_null(env_get(env, "PATH"));
	argv_free(env);
	unsetenv("vif");
	unsetenv("XEN_STATE_DIR");
}

static void
write_leases(const char *text)
{
	char	*dir = xsprintf("%s/network", tmpdir), *path;
	FILE	*f;

	mkdir_p(dir, 0700, NULL);
	path = xsprintf("%s/br7.leases", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	free(path);
	free(dir);
}

static void
test_leases_by_mac(void **state)
{
	write_leases("1700000000 00:16:3e:aa:bb:01 10.80.0.5 n1 *\n"
	    "garbage line\n"
	    "1700000001 00:16:3E:AA:BB:02 10.80.0.6 * 01:00:16:3e:aa:bb:02\n"
	    "1700000002 00:16:3e:aa:bb:03 fd00::3 * *\n");
	assert_string_equal(network_lease_ip("br7", "00:16:3e:aa:bb:01"),
	    "10.80.0.5");
	assert_string_equal(network_lease_ip("br7", "00:16:3e:AA:bb:02"),
	    "10.80.0.6");
	assert_null(network_lease_ip("br7", "00:16:3e:aa:bb:03"));
	assert_null(network_lease_ip("br7", "00:16:3e:aa:bb:04"));
	assert_null(network_lease_ip("nosuch", "00:16:3e:aa:bb:01"));
	assert_null(network_lease_ip("../br7", "00:16:3e:aa:bb:01"));
	/* A new lease (the file changes) is seen. */
	write_leases("1700000000 00:16:3e:aa:bb:01 10.80.0.9 n1 *\n"
	    "1700000003 00:16:3e:aa:bb:04 10.80.0.10 n4 *\n");
	assert_string_equal(network_lease_ip("br7", "00:16:3e:aa:bb:04"),
	    "10.80.0.10");
	assert_string_equal(network_lease_ip("br7", "00:16:3e:aa:bb:01"),
	    "10.80.0.9");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_resolves_and_splits),
		cmocka_unit_test(test_env_has_ours_once),
		cmocka_unit_test(test_leases_by_mac),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
