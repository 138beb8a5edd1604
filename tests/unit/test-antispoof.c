/* test-antispoof.c: the nftables text of a vif's antispoof rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xen-common.h"
#include "../../core/xend/xend.h"

/* What xend's main.c defines. */
struct event_base	*xend_base;
struct xendcfg		 xend_cfg;
double			 xend_start_time;

#define BASE(f) \
	"add table " f " xen-antispoof-vif\n" \
	"add map " f " xen-antispoof-vif vifs { type ifname : verdict; }\n" \
	"add chain " f " xen-antispoof-vif prerouting { type filter hook " \
	"prerouting priority -300; policy accept; }\n" \
	"flush chain " f " xen-antispoof-vif prerouting\n" \
	"add rule " f " xen-antispoof-vif prerouting iifname vmap @vifs\n" \
	"add chain " f " xen-antispoof-vif port-vif3.0\n" \
	"flush chain " f " xen-antispoof-vif port-vif3.0\n"
#define C(f)	"add rule " f " xen-antispoof-vif port-vif3.0 "
#define L2 \
	C("bridge") "ether saddr != 00:16:3e:00:00:01 drop\n" \
	C("bridge") "ether type { 8021q, 8021ad } drop\n" \
	C("bridge") "arp saddr ether != 00:16:3e:00:00:01 drop\n"
#define SERVERS(f) \
	C(f) "udp sport { 67, 547 } drop\n" \
	C(f) "icmpv6 type { nd-router-advert, nd-redirect } drop\n"
#define DHCP(f)	C(f) "udp sport 68 udp dport 67 accept\n"
#define END(f) \
	"add element " f " xen-antispoof-vif vifs { \"vif3.0\" : jump " \
	"port-vif3.0 }\n"

static void
test_table_name(void **state)
{
	char	*t = antispoof_table("xt03v");

	assert_string_equal(t, "xen-antispoof-xt03v");
	free(t);
}

/* ip= pins IPv4 and ARP senders to its addresses and 0.0.0.0. */
static void
test_install_with_addresses(void **state)
{
	struct antispoof_vif	 v = { .vif = "vif3.0", .mac =
	    "00:16:3e:00:00:01", .ips = "10.0.0.2 10.0.0.3", .pin = 1,
	    .filter = 1 };
	char			*t = antispoof_install_text("xen-antispoof-vif",
	    &v);

	assert_string_equal(t, BASE("bridge") L2
	    C("bridge") "arp saddr ip != { 0.0.0.0, 10.0.0.2, 10.0.0.3 } drop\n"
	    SERVERS("bridge") DHCP("bridge")
	    C("bridge") "ip saddr != { 0.0.0.0, 10.0.0.2, 10.0.0.3 } drop\n"
	    END("bridge") BASE("inet") SERVERS("inet") DHCP("inet")
	    C("inet") "ip saddr != { 0.0.0.0, 10.0.0.2, 10.0.0.3 } drop\n"
	    END("inet"));
	free(t);
}

/* Pinned to a lease not given yet: DHCP (0.0.0.0) only. */
static void
test_install_no_lease_yet(void **state)
{
	struct antispoof_vif	 v = { .vif = "vif3.0", .mac =
	    "00:16:3e:00:00:01", .pin = 1, .filter = 1 };
	char			*t = antispoof_install_text("xen-antispoof-vif",
	    &v);

	assert_string_equal(t, BASE("bridge") L2
	    C("bridge") "arp saddr ip != { 0.0.0.0 } drop\n"
	    SERVERS("bridge") DHCP("bridge")
	    C("bridge") "ip saddr != { 0.0.0.0 } drop\n" END("bridge")
	    BASE("inet") SERVERS("inet") DHCP("inet")
	    C("inet") "ip saddr != { 0.0.0.0 } drop\n" END("inet"));
	free(t);
}

/* Not pinned (no ip=, no DHCP of ours on its bridge): the MAC only. */
static void
test_install_mac_only(void **state)
{
	struct antispoof_vif	 v = { .vif = "vif3.0", .mac =
	    "00:16:3e:00:00:01", .filter = 1 };
	char			*t = antispoof_install_text("xen-antispoof-vif",
	    &v);

	assert_string_equal(t, BASE("bridge") L2 SERVERS("bridge")
	    END("bridge") BASE("inet") SERVERS("inet") END("inet"));
	free(t);
}

/*
 * rate= (1Mb/s@20ms): what the guest sends over 125000 bytes/s, with
 * 2500 bytes of burst, dropped first, before the DHCP request's accept.
 */
#define LIMIT(f) C(f) "limit rate over 125000 bytes/second burst 2500 " \
	"bytes drop\n"

static void
test_install_rate(void **state)
{
	struct antispoof_vif	 v = { .vif = "vif3.0", .mac =
	    "00:16:3e:00:00:01", .ips = "10.0.0.2", .pin = 1, .filter = 1,
	    .rate = 125000, .burst = 2500 };
	char			*t = antispoof_install_text("xen-antispoof-vif",
	    &v);

	assert_string_equal(t, BASE("bridge") LIMIT("bridge") L2
	    C("bridge") "arp saddr ip != { 0.0.0.0, 10.0.0.2 } drop\n"
	    SERVERS("bridge") DHCP("bridge")
	    C("bridge") "ip saddr != { 0.0.0.0, 10.0.0.2 } drop\n"
	    END("bridge") BASE("inet") LIMIT("inet") SERVERS("inet")
	    DHCP("inet") C("inet") "ip saddr != { 0.0.0.0, 10.0.0.2 } drop\n"
	    END("inet"));
	free(t);
}

/* rate= with antispoof=no: the chain holds only the limit. */
static void
test_install_rate_only(void **state)
{
	struct antispoof_vif	 v = { .vif = "vif3.0", .mac =
	    "00:16:3e:00:00:01", .ips = "10.0.0.2", .pin = 1, .rate = 125000,
	    .burst = 2500 };
	char			*t = antispoof_install_text("xen-antispoof-vif",
	    &v);

	assert_string_equal(t, BASE("bridge") LIMIT("bridge") END("bridge")
	    BASE("inet") LIMIT("inet") END("inet"));
	free(t);
}

/* Removal made first, so it works whether or not the rules were there. */
static void
test_remove_and_drop(void **state)
{
	char	*t = antispoof_remove_text("xen-antispoof-vif", "vif3.0");

	assert_string_equal(t,
	    "add table bridge xen-antispoof-vif\n"
	    "add map bridge xen-antispoof-vif vifs { type ifname : verdict; }\n"
	    "add chain bridge xen-antispoof-vif port-vif3.0\n"
	    "add element bridge xen-antispoof-vif vifs { \"vif3.0\" : jump "
	    "port-vif3.0 }\n"
	    "delete element bridge xen-antispoof-vif vifs { \"vif3.0\" }\n"
	    "delete chain bridge xen-antispoof-vif port-vif3.0\n"
	    "add table inet xen-antispoof-vif\n"
	    "add map inet xen-antispoof-vif vifs { type ifname : verdict; }\n"
	    "add chain inet xen-antispoof-vif port-vif3.0\n"
	    "add element inet xen-antispoof-vif vifs { \"vif3.0\" : jump "
	    "port-vif3.0 }\n"
	    "delete element inet xen-antispoof-vif vifs { \"vif3.0\" }\n"
	    "delete chain inet xen-antispoof-vif port-vif3.0\n");
	free(t);
	t = antispoof_drop_text("xen-antispoof-vif");
	assert_string_equal(t,
	    "add table bridge xen-antispoof-vif\n"
	    "delete table bridge xen-antispoof-vif\n"
	    "add table inet xen-antispoof-vif\n"
	    "delete table inet xen-antispoof-vif\n");
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_name),
		cmocka_unit_test(test_install_with_addresses),
		cmocka_unit_test(test_install_no_lease_yet),
		cmocka_unit_test(test_install_mac_only),
		cmocka_unit_test(test_install_rate),
		cmocka_unit_test(test_install_rate_only),
		cmocka_unit_test(test_remove_and_drop),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
