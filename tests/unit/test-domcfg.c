/* test-domcfg.c: canonical domain configs from files, SXP and the API. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "domcfg.h"

/* Evaluates and builds text as file "tty", base dir /etc/xen. */
static int
build_ov(const char *text, const struct domcfg_override *ov, size_t nov,
    json_t **config, json_t **warnings, char **cause)
{
	json_t	*vars = NULL, *meta = NULL;
	int	 r;

	*config = NULL;
	*warnings = NULL;
	*cause = NULL;
	if (pycfg_eval(text, strlen(text), "tty", ov, nov, &vars, &meta,
	    cause) != 0)
		fail_msg("pycfg: %s", *cause);
	r = domcfg_build(vars, meta, "tty", "/etc/xen", config, warnings,
	    cause);
	json_decref(vars);
	json_decref(meta);
	return (r);
}

static json_t *
build_ok_ov(const char *text, const struct domcfg_override *ov, size_t nov,
    json_t **warnings)
{
	json_t	*config, *w;
	char	*cause;

	if (build_ov(text, ov, nov, &config, &w, &cause) != 0)
		fail_msg("unexpected error: %s\n--- for ---\n%s", cause, text);
	assert_non_null(config);
	assert_true(json_is_array(w));
	if (warnings != NULL)
		*warnings = w;
	else
		json_decref(w);
	return (config);
}

static json_t *
build_ok(const char *text, json_t **warnings)
{
	return (build_ok_ov(text, NULL, 0, warnings));
}

static void
assert_json(const json_t *got, const char *want)
{
	json_t		*w;
	json_error_t	 jerr;
	char		*g, *e;

	if ((w = json_loads(want, JSON_DECODE_ANY, &jerr)) == NULL)
		fail_msg("bad expected JSON: %s: %s", want, jerr.text);
	if (!json_equal(got, w)) {
		g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
		e = json_dumps(w, JSON_COMPACT | JSON_ENCODE_ANY);
		fail_msg("got:  %s\nwant: %s", g, e);
	}
	json_decref(w);
}

/* config[key] must equal the JSON want. */
static void
assert_key(const char *text, const char *key, const char *want)
{
	json_t	*c = build_ok(text, NULL);
	json_t	*v = json_object_get(c, key);

	if (v == NULL)
		fail_msg("no key %s", key);
	assert_json(v, want);
	json_decref(c);
}

static void
assert_warnings(const json_t *w, const char *const *want, size_t n)
{
	size_t	 i;
	char	*s;

	if (json_array_size(w) != n) {
		s = json_dumps(w, 0);
		fail_msg("expected %zu warnings, got %s", n, s);
	}
	for (i = 0; i < n; i++)
		assert_string_equal(json_string_value(json_array_get(w, i)),
		    want[i]);
}

static void
assert_build_error_ov(const char *text, const struct domcfg_override *ov,
    size_t nov, const char *want)
{
	json_t	*config, *w;
	char	*cause;

	if (build_ov(text, ov, nov, &config, &w, &cause) == 0)
		fail_msg("expected an error for:\n%s", text);
	assert_null(config);
	assert_non_null(cause);
	if (strcmp(cause, want) != 0)
		fail_msg("for:\n%s\ngot:  %s\nwant: %s", text, cause, want);
	free(cause);
	json_decref(w);
}

static void
assert_build_error(const char *text, const char *want)
{
	assert_build_error_ov(text, NULL, 0, want);
}

/* The kernel command line of a JSON config (through the typed struct). */
static char *
json_cmdline(const json_t *c)
{
	struct domcfg	*dc;
	char		*cause = NULL, *line;

	if ((dc = domcfg_from_json(c, &cause)) == NULL)
		fail_msg("domcfg_from_json: %s", cause);
	line = domcfg_cmdline(dc);
	domcfg_free(dc);
	return (line);
}

#define BASE "name = 'vm'\nkernel = '/k'\n"	/* lines 1 and 2 */

static const char ttylinux[] =
    "kernel = \"/boot/vmlinuz-2.6.9-xenU\"\n"
    "memory = 64\n"
    "name = \"ttylinux\"\n"
    "nics = 1\n"
    "ip = \"\"\n"
    "disk = ['file:/path/to/ttylinux/rootfs,sda1,w']\n"
    "root = \"/dev/sda1 ro\"\n";

static const char ttylinux_canonical[] =
    "{\"name\": \"ttylinux\", \"builder\": \"linux\", "
    "\"kernel\": \"/boot/vmlinuz-2.6.9-xenU\", \"ramdisk\": null, "
    "\"memory\": 64, \"maxmem\": 64, \"vcpus\": 1, \"maxvcpus\": null, "
    "\"cpus\": null, "
    "\"cpu\": -1, \"console\": null, \"root\": \"/dev/sda1 ro\", "
    "\"extra\": null, \"ip\": null, \"netmask\": null, \"gateway\": null, "
    "\"hostname\": null, \"dhcp\": null, \"nfs_server\": null, "
    "\"nfs_root\": null, "
    "\"disks\": [{\"uname\": \"file:/path/to/ttylinux/rootfs\", "
    "\"dev\": \"sda1\", \"mode\": \"w\"}], "
    "\"vifs\": [{\"mac\": null, \"bridge\": null, \"script\": null, "
    "\"ip\": null}], "
    "\"on_poweroff\": \"destroy\", \"on_reboot\": \"restart\", "
    "\"on_crash\": \"restart\", \"vnc\": false, \"vncpasswd\": null, "
    "\"vncpasswd_viewonly\": null, \"cdrom\": null, \"boot\": \"c\", "
    "\"acpi\": true, \"apic\": true, \"vncdisplay\": null, "
    "\"vncunused\": true, \"sdl\": false, \"serial\": \"pty\", "
    "\"ne2000\": false, \"localtime\": false, \"usb\": false, "
    "\"usbdevice\": null, \"keymap\": null, \"description\": null, "
    "\"cpu_weight\": 256, \"cpu_cap\": 0}";

static const char ttylinux_sxp[] =
    "(vm\n"
    "    (name ttylinux)\n"
    "    (memory 64)\n"
    "    (maxmem 64)\n"
    "    (vcpus 1)\n"
    "    (on_poweroff destroy)\n"
    "    (on_reboot restart)\n"
    "    (on_crash restart)\n"
    "    (image\n"
    "        (linux\n"
    "            (kernel /boot/vmlinuz-2.6.9-xenU)\n"
    "            (root '/dev/sda1 ro')))\n"
    "    (device\n"
    "        (vbd\n"
    "            (uname file:/path/to/ttylinux/rootfs)\n"
    "            (dev sda1)\n"
    "            (mode w)))\n"
    "    (device\n"
    "        (vif)))";

/* ---- the manual's configs ---- */

static void
test_ttylinux(void **state)
{
	json_t	*w, *c = build_ok(ttylinux, &w);
	char	*line, *cause = NULL;

	assert_json(c, ttylinux_canonical);
	assert_int_equal(json_array_size(w), 0);
	assert_int_equal(domcfg_validate(c, &cause), 0);
	line = json_cmdline(c);
	assert_string_equal(line, "console=ttyS0 root=/dev/sda1 ro");
	free(line);
	json_decref(w);
	json_decref(c);
}

static void
test_xmexample2(void **state)
{
	static const char text[] =
	    "kernel = \"/boot/vmlinuz-2.6.10-xenU\"\n"
	    "memory = 64\n"
	    "name = \"VM%d\" % vmid\n"
	    "cpu = vmid\n"
	    "base_partition_number = 6\n"
	    "disk = [ 'phy:sda%d,sda1,w' % (base_partition_number + vmid),\n"
	    "         'phy:sda6,sda6,r' ]\n"
	    "hostname = \"vm%d\" % vmid\n"
	    "ip = '10.0.0.%d' % (10 + vmid)\n"
	    "netmask = '255.255.255.0'\n"
	    "gateway = '10.0.0.1'\n"
	    "root = \"/dev/sda1 ro\"\n"
	    "extra = \"4 VMID=%d usr=/dev/sda6\" % vmid\n";
	struct domcfg_override	 ov[] = { { "vmid", "2" } };
	json_t	*w, *c = build_ok_ov(text, ov, 1, &w);
	char	*line;

	assert_string_equal(json_string_value(json_object_get(c, "name")),
	    "VM2");
	assert_int_equal(json_integer_value(json_object_get(c, "cpu")), 2);
	assert_json(json_object_get(c, "disks"),
	    "[{\"uname\": \"phy:/dev/sda8\", \"dev\": \"sda1\", "
	    "\"mode\": \"w\"}, {\"uname\": \"phy:/dev/sda6\", "
	    "\"dev\": \"sda6\", \"mode\": \"r\"}]");
	assert_json(json_object_get(c, "vifs"), "[]");
	assert_int_equal(json_array_size(w), 0);	/* vmid is a helper */
	line = json_cmdline(c);
	assert_string_equal(line, "console=ttyS0 root=/dev/sda1 ro "
	    "ip=10.0.0.12::10.0.0.1:255.255.255.0:vm2:eth0:off "
	    "hostname=vm2 4 VMID=2 usr=/dev/sda6");
	free(line);
	json_decref(w);
	json_decref(c);
}

static void
test_every_key(void **state)
{
	static const char text[] =
	    "name = 'full'\n"
	    "builder = 'linux'\n"
	    "kernel = 'vmlinuz'\n"			/* relative: base dir */
	    "ramdisk = '/boot/initrd.gz'\n"
	    "memory = 256\n"
	    "maxmem = 512\n"
	    "vcpus = 2\n"
	    "cpus = '0-1'\n"
	    "cpu = 1\n"
	    "console = 9700\n"
	    "root = '/dev/nfs'\n"
	    "extra = 'single'\n"
	    "ip = '10.0.0.2'\n"
	    "netmask = '255.0.0.0'\n"
	    "gateway = '10.0.0.1'\n"
	    "hostname = 'full.example'\n"
	    "dhcp = 'off'\n"
	    "nfs_server = '10.0.0.1'\n"
	    "nfs_root = '/export/vm1root'\n"
	    "disk = ['file:img/root.img,sda1,w', 'phy:hda3,sda2,r',\n"
	    "        'tap:aio:/var/disk.img,xvda1,w!']\n"
	    "vif = ['mac=AA:00:00:00:00:11, bridge=xen-br0, script=vif-bridge, "
	    "ip=10.0.0.2', 'bridge=xen-br1', '']\n"
	    "nics = 4\n"
	    "on_poweroff = 'preserve'\n"
	    "on_reboot = 'rename-restart'\n"
	    "on_crash = 'destroy'\n";
	json_t	*w, *c = build_ok(text, &w);
	char	*line, *cause = NULL;

	assert_json(c,
	    "{\"name\": \"full\", \"builder\": \"linux\", "
	    "\"kernel\": \"/etc/xen/vmlinuz\", "
	    "\"ramdisk\": \"/boot/initrd.gz\", \"memory\": 256, "
	    "\"maxmem\": 512, \"vcpus\": 2, \"maxvcpus\": null, "
	    "\"cpus\": \"0-1\", \"cpu\": 1, "
	    "\"console\": 9700, \"root\": \"/dev/nfs\", \"extra\": \"single\", "
	    "\"ip\": \"10.0.0.2\", \"netmask\": \"255.0.0.0\", "
	    "\"gateway\": \"10.0.0.1\", \"hostname\": \"full.example\", "
	    "\"dhcp\": \"off\", \"nfs_server\": \"10.0.0.1\", "
	    "\"nfs_root\": \"/export/vm1root\", "
	    "\"disks\": ["
	    "{\"uname\": \"file:/etc/xen/img/root.img\", \"dev\": \"sda1\", "
	    "\"mode\": \"w\"}, "
	    "{\"uname\": \"phy:/dev/hda3\", \"dev\": \"sda2\", \"mode\": \"r\"}, "
	    "{\"uname\": \"file:/var/disk.img\", \"dev\": \"xvda1\", "
	    "\"mode\": \"w!\"}], "
	    "\"vifs\": ["
	    "{\"mac\": \"aa:00:00:00:00:11\", \"bridge\": \"xen-br0\", "
	    "\"script\": \"vif-bridge\", \"ip\": \"10.0.0.2\"}, "
	    "{\"mac\": null, \"bridge\": \"xen-br1\", \"script\": null, "
	    "\"ip\": null}, "
	    "{\"mac\": null, \"bridge\": null, \"script\": null, \"ip\": null}, "
	    "{\"mac\": null, \"bridge\": null, \"script\": null, \"ip\": null}], "
	    "\"on_poweroff\": \"preserve\", \"on_reboot\": \"rename-restart\", "
	    "\"on_crash\": \"destroy\", \"vnc\": false, \"vncpasswd\": null, "
	    "\"vncpasswd_viewonly\": null, \"cdrom\": null, \"boot\": \"c\", "
	    "\"acpi\": true, \"apic\": true, \"vncdisplay\": null, "
	    "\"vncunused\": true, \"sdl\": false, \"serial\": \"pty\", "
	    "\"ne2000\": false, \"localtime\": false, \"usb\": false, "
	    "\"usbdevice\": null, \"keymap\": null, \"description\": null, "
	    "\"cpu_weight\": 256, \"cpu_cap\": 0}");
	assert_int_equal(json_array_size(w), 0);
	assert_int_equal(domcfg_validate(c, &cause), 0);
	line = json_cmdline(c);
	assert_string_equal(line, "console=ttyS0 root=/dev/nfs "
	    "ip=10.0.0.2:10.0.0.1:10.0.0.1:255.0.0.0:full.example:eth0:off "
	    "nfsroot=10.0.0.1:/export/vm1root hostname=full.example single");
	free(line);
	json_decref(w);
	json_decref(c);
}

static void
test_defaults(void **state)
{
	json_t	*w, *c = build_ok(BASE, &w);

	assert_json(c,
	    "{\"name\": \"vm\", \"builder\": \"linux\", \"kernel\": \"/k\", "
	    "\"ramdisk\": null, \"memory\": 128, \"maxmem\": 128, "
	    "\"vcpus\": 1, \"maxvcpus\": null, \"cpus\": null, \"cpu\": -1, "
	    "\"console\": null, "
	    "\"root\": null, \"extra\": null, \"ip\": null, "
	    "\"netmask\": null, \"gateway\": null, \"hostname\": null, "
	    "\"dhcp\": null, \"nfs_server\": null, \"nfs_root\": null, "
	    "\"disks\": [], \"vifs\": [], \"on_poweroff\": \"destroy\", "
	    "\"on_reboot\": \"restart\", \"on_crash\": \"restart\", "
	    "\"vnc\": false, \"vncpasswd\": null, "
	    "\"vncpasswd_viewonly\": null, \"cdrom\": null, \"boot\": \"c\", "
	    "\"acpi\": true, \"apic\": true, \"vncdisplay\": null, "
	    "\"vncunused\": true, \"sdl\": false, \"serial\": \"pty\", "
	    "\"ne2000\": false, \"localtime\": false, \"usb\": false, "
	    "\"usbdevice\": null, \"keymap\": null, \"description\": null, "
	    "\"cpu_weight\": 256, \"cpu_cap\": 0}");
	assert_int_equal(json_array_size(w), 0);
	json_decref(w);
	json_decref(c);

	/* None means unset; empty optional strings too. */
	assert_key(BASE "memory = None\nramdisk = None", "memory", "128");
	assert_key(BASE "ramdisk = ''", "ramdisk", "null");
	assert_key(BASE "extra = ''", "extra", "null");
}

/* ---- values ---- */

static void
test_numbers(void **state)
{
	assert_key(BASE "memory = '64'", "memory", "64");
	assert_key(BASE "memory = ' 64 '", "memory", "64");
	assert_key(BASE "memory = 64.0", "memory", "64");
	assert_key(BASE "memory = 16", "memory", "16");
	assert_key(BASE "memory = 1048576", "memory", "1048576");
	assert_key(BASE "memory = 64\nmaxmem = 64", "maxmem", "64");
	assert_key(BASE "vcpus = 64", "vcpus", "64");
	assert_key(BASE "cpu = -1", "cpu", "-1");
	assert_key(BASE "console = '9605'", "console", "9605");

	assert_build_error("name = 'ttylinux'\nmemory = 'abc'\n",
	    "tty:2: memory: expected an integer number of MB, got 'abc'");
	assert_build_error(BASE "memory = 64.5", "tty:3: memory: expected an "
	    "integer number of MB, got 64.5");
	assert_build_error(BASE "memory = [64]", "tty:3: memory: expected an "
	    "integer number of MB, got a list");
	assert_build_error(BASE "memory = True", "tty:3: memory: expected an "
	    "integer number of MB, got True");
	assert_build_error(BASE "memory = 1e56", "tty:3: memory: expected an "
	    "integer number of MB, got 1e+56");
	assert_build_error(BASE "memory = 8", "tty:3: memory: must be from 16 "
	    "to 1048576 MB, got 8");
	assert_build_error(BASE "memory = 2000000", "tty:3: memory: must be "
	    "from 16 to 1048576 MB, got 2000000");
	assert_build_error(BASE "memory = 64\nmaxmem = 32", "tty:4: maxmem: "
	    "must be at least memory (64 MB), got 32");
	assert_build_error(BASE "maxmem = 64", "tty:3: maxmem: must be at "
	    "least memory (128 MB), got 64");
	assert_build_error(BASE "vcpus = 0", "tty:3: vcpus: must be from 1 to "
	    "64, got 0");
	assert_build_error(BASE "vcpus = 'two'", "tty:3: vcpus: expected an "
	    "integer number of virtual CPUs, got 'two'");
	assert_build_error(BASE "cpu = -2", "tty:3: cpu: must be from -1 to "
	    "4095, got -2");
	assert_build_error(BASE "cpu = 'x'", "tty:3: cpu: expected an integer "
	    "CPU number (-1 for any), got 'x'");
	assert_build_error(BASE "console = 0", "tty:3: console: must be from 1 "
	    "to 65535, got 0");
	assert_build_error(BASE "console = 'telnet'", "tty:3: console: "
	    "expected a TCP port number, got 'telnet'");
	assert_build_error(BASE "nics = 33", "tty:3: nics: must be from 0 to "
	    "32, got 33");
}

static void
test_strings(void **state)
{
	struct domcfg_override	 ov[] = { { "extra", "4" } };
	json_t			*c;

	/* An override that reads as a number is still fine as a string. */
	c = build_ok_ov(BASE, ov, 1, NULL);
	assert_json(json_object_get(c, "extra"), "\"4\"");
	json_decref(c);

	assert_build_error("name = 'vm'\nkernel = 5\n", "tty:2: kernel: "
	    "expected a string, got 5");
	assert_build_error("name = 'vm'\nkernel = ''\n", "tty:2: kernel: "
	    "empty path");
	assert_build_error(BASE "root = '/dev/sda1\\nro'", "tty:3: root: must "
	    "not contain control characters");
	assert_build_error(BASE "extra = ['a']", "tty:3: extra: expected a "
	    "string, got a list");
	assert_build_error(BASE "builder = 'plan9'", "tty:3: builder: expected "
	    "linux or hvm (3.0: vmx), got 'plan9'");
	assert_build_error(BASE "ip = '10.0.0'", "tty:3: ip: expected an IPv4 "
	    "address like 10.0.0.2, got '10.0.0'");
	assert_build_error(BASE "netmask = 'x'", "tty:3: netmask: expected an "
	    "IPv4 address like 10.0.0.2, got 'x'");
	assert_build_error(BASE "gateway = '::1'", "tty:3: gateway: expected "
	    "an IPv4 address like 10.0.0.2, got '::1'");
	assert_build_error(BASE "nfs_server = 'nfs.example'", "tty:3: "
	    "nfs_server: expected an IPv4 address like 10.0.0.2, got "
	    "'nfs.example'");
	assert_build_error(BASE "hostname = 'a b'", "tty:3: hostname: invalid "
	    "host name 'a b'");
	assert_build_error(BASE "hostname = '-x'", "tty:3: hostname: invalid "
	    "host name '-x'");
	assert_build_error(BASE "dhcp = 'yes'", "tty:3: dhcp: expected 'dhcp' "
	    "or 'off', got 'yes'");
	assert_build_error(BASE "nfs_root = '/a b'", "tty:3: nfs_root: must "
	    "not contain spaces, got '/a b'");
}

static void
test_names(void **state)
{
	assert_key("name = 'a-b_c.1'\nkernel = '/k'", "name", "\"a-b_c.1\"");
	assert_key("name = 'x' * 64\nkernel = '/k'", "name",
	    "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "\"");
	assert_key("name = 'vm7'\nkernel = '/k'", "name", "\"vm7\"");

	assert_build_error("kernel = '/k'\n", "tty: name: not set");
	assert_build_error("name = 'vm'\n", "tty: kernel: not set");
	assert_build_error("name = None\nkernel = '/k'\n", "tty: name: not "
	    "set");
	assert_build_error("name = 'my vm'\nkernel = '/k'", "tty:1: name: "
	    "invalid domain name 'my vm': may only contain letters, digits, "
	    "'_', '.' and '-'");
	assert_build_error("name = ''\nkernel = '/k'", "tty:1: name: invalid "
	    "domain name '': must be 1 to 64 characters");
	assert_build_error("name = 'x' * 65\nkernel = '/k'", "tty:1: name: "
	    "invalid domain name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxx': must be 1 to 64 characters");
	assert_build_error("name = 'Domain-0'\nkernel = '/k'", "tty:1: name: "
	    "invalid domain name 'Domain-0': is reserved for domain 0");
	assert_build_error("name = '42'\nkernel = '/k'", "tty:1: name: invalid "
	    "domain name '42': must not be all digits (it would read as a "
	    "domain id)");
	assert_build_error("name = 42\nkernel = '/k'", "tty:1: name: invalid "
	    "domain name '42': must not be all digits (it would read as a "
	    "domain id)");
	assert_build_error("name = 'caf\xc3\xa9'\nkernel = '/k'", "tty:1: "
	    "name: invalid domain name 'caf\xc3\xa9': may only contain "
	    "letters, digits, '_', '.' and '-'");
	/* Names a command line or a path could not carry as they are. */
	assert_build_error("name = '-n'\nkernel = '/k'", "tty:1: name: "
	    "invalid domain name '-n': must start with a letter or a digit");
	assert_build_error("name = '-rf'\nkernel = '/k'", "tty:1: name: "
	    "invalid domain name '-rf': must start with a letter or a digit");
	assert_build_error("name = '..'\nkernel = '/k'", "tty:1: name: "
	    "invalid domain name '..': must start with a letter or a digit");
	assert_build_error("name = '.'\nkernel = '/k'", "tty:1: name: "
	    "invalid domain name '.': must start with a letter or a digit");
	assert_build_error("name = 'a/b'\nkernel = '/k'", "tty:1: name: "
	    "invalid domain name 'a/b': may only contain letters, digits, "
	    "'_', '.' and '-'");
	assert_build_error("name = 'a\\tb'\nkernel = '/k'", "tty:1: name: "
	    "must not contain control characters");
	assert_non_null(domcfg_name_problem("a\tb"));
	/* The manual's names, and '-', '_' and '.' inside. */
	assert_null(domcfg_name_problem("ttylinux"));
	assert_null(domcfg_name_problem("VM1"));
	assert_null(domcfg_name_problem("myvmconf"));
	assert_null(domcfg_name_problem("web-1.example_b"));
	assert_null(domcfg_name_problem("2nd"));
	assert_null(domcfg_name_problem("ttylinux-1"));
	assert_non_null(domcfg_name_problem("_x"));
}

static void	assert_invalid(const char *, const char *);

static void
test_cpus(void **state)
{
	assert_key(BASE "cpus = '0-1,^1'", "cpus", "\"0-1,^1\"");
	assert_key(BASE "cpus = ' 0 - 3 , ^2 '", "cpus", "\"0-3,^2\"");
	assert_key(BASE "cpus = 'all'", "cpus", "\"all\"");
	assert_key(BASE "cpus = 1", "cpus", "\"1\"");
	assert_key(BASE "cpus = [0, 2]", "cpus", "\"0,2\"");
	assert_key(BASE "cpus = ''", "cpus", "null");

	assert_build_error(BASE "cpus = '1-0'", "tty:3: cpus: expected a CPU "
	    "list like '0-3,^1' or 'all', got '1-0'");
	/* The list must leave a CPU, as cpulist_parse wants at start. */
	assert_build_error(BASE "cpus = '0,^0'", "tty:3: cpus: expected a CPU "
	    "list like '0-3,^1' or 'all', got '0,^0'");
	assert_invalid("{\"cpus\": \"0,^0\"}", "config: cpus: expected a "
	    "CPU list like '0-3,^1' or 'all', got '0,^0'");
	assert_build_error(BASE "cpus = '^1'", "tty:3: cpus: expected a CPU "
	    "list like '0-3,^1' or 'all', got '^1'");
	assert_build_error(BASE "cpus = '0,'", "tty:3: cpus: expected a CPU "
	    "list like '0-3,^1' or 'all', got '0,'");
	assert_build_error(BASE "cpus = 'x'", "tty:3: cpus: expected a CPU "
	    "list like '0-3,^1' or 'all', got 'x'");
	assert_build_error(BASE "cpus = '5000'", "tty:3: cpus: expected a CPU "
	    "list like '0-3,^1' or 'all', got '5000'");
	assert_build_error(BASE "cpus = []", "tty:3: cpus: expected a CPU "
	    "list like '0-3,^1' or 'all', got a list");
	assert_build_error(BASE "cpus = ['0']", "tty:3: cpus: expected a CPU "
	    "list like '0-3,^1' or 'all', got a list");
	assert_build_error(BASE "cpus = -1", "tty:3: cpus: expected a CPU "
	    "list like '0-3,^1' or 'all', got -1");
}

/* ---- devices ---- */

static void
test_disks(void **state)
{
	struct domcfg_override	 ov[] = {
		{ "disk", "file:/override.img,hda,r" },
	};
	json_t	*c;

	assert_key(BASE "disk = [' phy:/dev/vg/root , sda1 , w ']", "disks",
	    "[{\"uname\": \"phy:/dev/vg/root\", \"dev\": \"sda1\", "
	    "\"mode\": \"w\"}]");
	assert_key(BASE "disk = ['file:/i.img,ioemu:hda,w', "
	    "'file:/j.img,/dev/sdb,r']", "disks",
	    "[{\"uname\": \"file:/i.img\", \"dev\": \"hda\", \"mode\": \"w\"}, "
	    "{\"uname\": \"file:/j.img\", \"dev\": \"sdb\", \"mode\": \"r\"}]");
	assert_key(BASE "disk = 'file:/one.img,xvda,w'", "disks",
	    "[{\"uname\": \"file:/one.img\", \"dev\": \"xvda\", "
	    "\"mode\": \"w\"}]");
	assert_key(BASE "disk = []", "disks", "[]");
	c = build_ok_ov(BASE "disk = ['file:/a,sda1,w']", ov, 1, NULL);
	assert_json(json_object_get(c, "disks"), "[{\"uname\": "
	    "\"file:/override.img\", \"dev\": \"hda\", \"mode\": \"r\"}]");
	json_decref(c);

	assert_build_error(BASE "disk = ['file:/a,sda1']", "tty:3: disk: "
	    "expected 'type:path,device,mode', got 'file:/a,sda1'");
	assert_build_error(BASE "disk = ['file:/a,sda1,w,x']", "tty:3: disk: "
	    "expected 'type:path,device,mode', got 'file:/a,sda1,w,x'");
	assert_build_error(BASE "disk = ['nbd:host:1,sda1,w']", "tty:3: disk: "
	    "unsupported disk type 'nbd' in 'nbd:host:1,sda1,w' (use file:, "
	    "phy:, qcow2: or tap:aio:)");
	assert_build_error(BASE "disk = ['tap:qcow:/a,sda1,w']", "tty:3: disk: "
	    "unsupported disk type 'tap:qcow' in 'tap:qcow:/a,sda1,w' (use file:, "
	    "phy:, qcow2: or tap:aio:)");
	/* qcow2 images: qcow2: and later Xen's tap:qcow2:, paths resolved. */
	assert_key(BASE "disk = ['qcow2:/a.qcow2,sda1,w', "
	    "'tap:qcow2:/b.qcow2,sdb,r']", "disks", "[{\"uname\": "
	    "\"qcow2:/a.qcow2\", \"dev\": \"sda1\", \"mode\": \"w\"}, "
	    "{\"uname\": \"qcow2:/b.qcow2\", \"dev\": \"sdb\", "
	    "\"mode\": \"r\"}]");
	assert_build_error(BASE "disk = ['qcow2:,sda1,w']", "tty:3: disk: no "
	    "path in 'qcow2:,sda1,w'");
	assert_build_error(BASE "disk = ['/a.img,sda1,w']", "tty:3: disk: "
	    "expected file:, phy: or tap:aio: before '/a.img' in "
	    "'/a.img,sda1,w'");
	assert_build_error(BASE "disk = ['file:,sda1,w']", "tty:3: disk: no "
	    "path in 'file:,sda1,w'");
	assert_build_error(BASE "disk = ['phy:,sda1,w']", "tty:3: disk: no "
	    "device in 'phy:,sda1,w'");
	assert_build_error(BASE "disk = ['file:/a,SDA1,w']", "tty:3: disk: "
	    "invalid device name 'SDA1' in 'file:/a,SDA1,w'");
	assert_build_error(BASE "disk = ['file:/a,hdc:cdrom,r']", "tty:3: "
	    "disk: invalid device name 'hdc:cdrom' in 'file:/a,hdc:cdrom,r'");
	assert_build_error(BASE "disk = ['file:/a,sda1,rw']", "tty:3: disk: "
	    "mode must be r, w or w!, got 'rw' in 'file:/a,sda1,rw'");
	assert_build_error(BASE "disk = ['file:/a,sda1,w',\n"
	    "        'file:/b,sda1,r']", "tty:3: disk: device sda1 is given "
	    "twice");
	assert_build_error(BASE "disk = ['file:/a,sda1,w', 5]", "tty:3: disk: "
	    "expected a list of strings, got 5 in the list");
	assert_build_error(BASE "disk = 5", "tty:3: disk: expected a list of "
	    "strings, got 5");
}

static void
test_vifs(void **state)
{
	struct domcfg_override	 ov[] = { { "vif", "bridge=br9" } };
	json_t	*c, *w;
	static const char *const ignored[] = {
		("tty:3: vif: type 'netfront' is the default (a virtio card) "
		"here"),
		"tty:3: vif: unknown option 'colour' ignored",
	};

	assert_key(BASE "vif = ['mac=00:16:3E:00:00:11']", "vifs",
	    "[{\"mac\": \"00:16:3e:00:00:11\", \"bridge\": null, "
	    "\"script\": null, \"ip\": null}]");
	assert_key(BASE "vif = ['  bridge = xenbr0 ,, ']", "vifs",
	    "[{\"mac\": null, \"bridge\": \"xenbr0\", \"script\": null, "
	    "\"ip\": null}]");
	assert_key(BASE "vif = ['', '']", "vifs",
	    "[{\"mac\": null, \"bridge\": null, \"script\": null, "
	    "\"ip\": null}, {\"mac\": null, \"bridge\": null, "
	    "\"script\": null, \"ip\": null}]");
	c = build_ok_ov(BASE, ov, 1, NULL);
	assert_json(json_object_get(c, "vifs"), "[{\"mac\": null, "
	    "\"bridge\": \"br9\", \"script\": null, \"ip\": null}]");
	json_decref(c);

	c = build_ok(BASE "vif = ['vifname=v1, type=netfront, colour=red, "
	    "bridge=b']", &w);
	assert_warnings(w, ignored, nitems(ignored));
	json_decref(w);
	json_decref(c);

	/* Xen 3.0's vifname, model and rate: kept, checked, round-tripped. */
	assert_key(BASE "vif = ['vifname=web0, model=e1000, rate=10Mb/s@20ms']",
	    "vifs", "[{\"mac\": null, \"bridge\": null, \"script\": null, "
	    "\"ip\": null, \"vifname\": \"web0\", \"model\": \"e1000\", "
	    "\"rate\": \"10Mb/s@20ms\"}]");
	/* antispoof=yes|no, and several addresses in ip=. */
	assert_key(BASE "vif = ['antispoof=no, ip=10.0.0.2  10.0.0.3']",
	    "vifs", "[{\"mac\": null, \"bridge\": null, \"script\": null, "
	    "\"ip\": \"10.0.0.2  10.0.0.3\", \"antispoof\": \"no\"}]");
	assert_build_error(BASE "vif = ['antispoof=off']", "tty:3: vif: "
	    "invalid antispoof 'off': expected yes or no");
	assert_build_error(BASE "vif = ['ip=10.0.0.2 10.0.0.300']", "tty:3: "
	    "vif: expected IPv4 addresses (at most 8, space separated) for ip, "
	    "got '10.0.0.2 10.0.0.300'");
	assert_build_error(BASE "vif = ['ip=1.0.0.1 1.0.0.2 1.0.0.3 1.0.0.4 "
	    "1.0.0.5 1.0.0.6 1.0.0.7 1.0.0.8 1.0.0.9']", "tty:3: vif: expected "
	    "IPv4 addresses (at most 8, space separated) for ip, got '1.0.0.1 "
	    "1.0.0.2 1.0.0.3 1.0.0.4 1.0.0.5 1.0.0.6 1.0.0.7 1.0.0.8 1.0.0.9'");
	assert_build_error(BASE "vif = ['model=pcnet']", "tty:3: vif: invalid "
	    "model 'pcnet': expected virtio, e1000, rtl8139 or ne2k_pci");
	assert_build_error(BASE "vif = ['rate=fast']", "tty:3: vif: invalid "
	    "rate 'fast': expected a number, K, M or G, b or B, /s and "
	    "optionally @ an interval, like 10Mb/s or 1MB/s@20ms");
	assert_build_error(BASE "vif = ['vifname=this-is-far-too-long']",
	    "tty:3: vif: invalid vifname 'this-is-far-too-long': expected 1 "
	    "to 15 letters, digits, '_', '.' or '-'");

	/* nics pads; fewer nics than vifs keeps the vifs and warns. */
	c = build_ok(BASE "nics = 2\nvif = ['bridge=b']", &w);
	assert_int_equal(json_array_size(json_object_get(c, "vifs")), 2);
	assert_int_equal(json_array_size(w), 0);
	json_decref(w);
	json_decref(c);
	c = build_ok(BASE "nics = 1\nvif = ['bridge=a', 'bridge=b']", &w);
	assert_int_equal(json_array_size(json_object_get(c, "vifs")), 2);
	assert_string_equal(json_string_value(json_array_get(w, 0)),
	    "tty:3: nics = 1 but vif lists 2 interfaces: using 2");
	json_decref(w);
	json_decref(c);
	assert_key(BASE "nics = 0", "vifs", "[]");

	assert_build_error(BASE "vif = ['mac=00:16:3e:00:00']", "tty:3: vif: "
	    "invalid MAC address '00:16:3e:00:00': expected six hex pairs like "
	    "00:16:3e:00:00:11");
	assert_build_error(BASE "vif = ['mac=00:16:3e:00:00:1g']", "tty:3: vif: "
	    "invalid MAC address '00:16:3e:00:00:1g': expected six hex pairs "
	    "like 00:16:3e:00:00:11");
	assert_build_error(BASE "vif = ['mac=01:00:5e:00:00:01']", "tty:3: "
	    "vif: invalid MAC address '01:00:5e:00:00:01': a multicast address "
	    "cannot be used by an interface");
	assert_build_error(BASE "vif = ['mac=00:00:00:00:00:00']", "tty:3: "
	    "vif: invalid MAC address '00:00:00:00:00:00': the all-zero "
	    "address cannot be used");
	assert_build_error(BASE "vif = ['mac=aa:00:00:00:00:11',\n"
	    "  'mac=AA:00:00:00:00:11']", "tty:3: vif: MAC address "
	    "aa:00:00:00:00:11 is given twice");
	assert_build_error(BASE "vif = ['bridge']", "tty:3: vif: expected "
	    "key=value, got 'bridge' in 'bridge'");
	assert_build_error(BASE "vif = ['bridge=a b']", "tty:3: vif: invalid "
	    "bridge name 'a b'");
	assert_build_error(BASE "vif = ['bridge=abcdefghijklmnop']", "tty:3: "
	    "vif: invalid bridge name 'abcdefghijklmnop'");
	assert_build_error(BASE "vif = ['ip=1.2.3']", "tty:3: vif: expected "
	    "IPv4 addresses (at most 8, space separated) for ip, got '1.2.3'");
	assert_build_error(BASE "vif = ['script=']", "tty:3: vif: invalid "
	    "script ''");
	assert_build_error(BASE "vif = [''] * 33", "tty:3: vif: too many "
	    "interfaces (more than 32)");
	assert_build_error(BASE "vif = [None]", "tty:3: vif: expected a list "
	    "of strings, got None in the list");
}

/* ---- actions ---- */

static void
test_restart(void **state)
{
	json_t	*c, *w;

	c = build_ok(BASE "restart = 'always'", NULL);
	assert_string_equal(json_string_value(json_object_get(c,
	    "on_poweroff")), "restart");
	assert_string_equal(json_string_value(json_object_get(c,
	    "on_reboot")), "restart");
	assert_string_equal(json_string_value(json_object_get(c,
	    "on_crash")), "restart");
	json_decref(c);
	c = build_ok(BASE "restart = 'never'", NULL);
	assert_string_equal(json_string_value(json_object_get(c,
	    "on_poweroff")), "destroy");
	assert_string_equal(json_string_value(json_object_get(c,
	    "on_reboot")), "destroy");
	assert_string_equal(json_string_value(json_object_get(c,
	    "on_crash")), "destroy");
	json_decref(c);
	c = build_ok(BASE "restart = 'onreboot'", NULL);
	assert_string_equal(json_string_value(json_object_get(c,
	    "on_poweroff")), "destroy");
	assert_string_equal(json_string_value(json_object_get(c,
	    "on_reboot")), "restart");
	assert_string_equal(json_string_value(json_object_get(c,
	    "on_crash")), "destroy");
	json_decref(c);

	/* on_* wins, in either order, with a warning. */
	c = build_ok(BASE "on_crash = 'preserve'\nrestart = 'never'\n"
	    "on_reboot = 'restart'", &w);
	assert_string_equal(json_string_value(json_object_get(c,
	    "on_poweroff")), "destroy");
	assert_string_equal(json_string_value(json_object_get(c,
	    "on_reboot")), "restart");
	assert_string_equal(json_string_value(json_object_get(c,
	    "on_crash")), "preserve");
	assert_int_equal(json_array_size(w), 1);
	assert_string_equal(json_string_value(json_array_get(w, 0)),
	    "tty:4: restart = 'never' is overridden by on_reboot, on_crash");
	json_decref(w);
	json_decref(c);

	assert_build_error(BASE "restart = 'sometimes'", "tty:3: restart: "
	    "expected always, never or onreboot, got 'sometimes'");
	assert_build_error(BASE "on_crash = 'coredump-destroy'", "tty:3: "
	    "on_crash: expected destroy, restart, preserve or rename-restart, "
	    "got 'coredump-destroy'");
}

/* ---- warnings ---- */

static void
test_warnings(void **state)
{
	static const char text[] =
	    BASE
	    "uuid = '6c6c2b3c-2b2e-4f6e-8b1e-000000000001'\n"	/* 3 */
	    "memroy = 64\n"					/* 4 */
	    "_private = 1\n"					/* 5 */
	    "base = 6\n"					/* 6 */
	    "disk = ['phy:sda%d,sda1,w' % (base + vmid)]\n"	/* 7 */
	    "vncviewer = 1\n"					/* 8 */
	    "dhcp = 'dhcp'\nip = '10.0.0.2'\n";			/* 9, 10 */
	static const char *const want[] = {
		"tty:3: 'uuid' is not supported and was ignored",
		"tty:4: unknown variable 'memroy' ignored",
		"tty:8: 'vncviewer' is not supported and was ignored",
		"tty: ip is ignored because dhcp = 'dhcp'",
	};
	struct domcfg_override	 ov[] = { { "vmid", "1" }, { "foo", "bar" } };
	json_t	*w, *c = build_ok_ov(text, ov, nitems(ov), &w);
	char	*line;

	assert_warnings(w, want, nitems(want));
	/* The ignored ip is dropped, so xm create -n does not show it. */
	assert_true(json_is_null(json_object_get(c, "ip")));
	line = json_cmdline(c);
	assert_string_equal(line, "console=ttyS0 ip=dhcp");
	free(line);
	json_decref(w);
	json_decref(c);
}

static void
test_warnings_array(void **state)
{
	json_t	*vars, *c = NULL, *w = json_array();
	char	*cause = NULL;

	/* Variables not from pycfg: no lines, every unknown is warned. */
	vars = json_pack("{s:s, s:s, s:i, s:i}", "name", "vm", "kernel", "/k",
	    "vmid", 1, "_x", 2);
	json_array_append_new(w, json_string("earlier"));
	assert_int_equal(domcfg_build(vars, NULL, "f", NULL, &c, &w, &cause), 0);
	assert_int_equal(json_array_size(w), 2);
	assert_string_equal(json_string_value(json_array_get(w, 0)),
	    "earlier");
	assert_string_equal(json_string_value(json_array_get(w, 1)),
	    "f: unknown variable 'vmid' ignored");
	json_decref(c);

	/* No warnings wanted at all. */
	assert_int_equal(domcfg_build(vars, NULL, NULL, NULL, &c, NULL, &cause), 0);
	json_decref(c);
	json_decref(vars);

	/* Warnings are handed back on failure too. */
	vars = json_pack("{s:s, s:i}", "name", "vm", "colour", 1);
	json_decref(w);
	w = NULL;
	c = NULL;
	assert_int_equal(domcfg_build(vars, NULL, "f", NULL, &c, &w, &cause), -1);
	assert_null(c);
	assert_string_equal(cause, "f: kernel: not set");
	free(cause);
	assert_int_equal(json_array_size(w), 1);
	json_decref(w);
	json_decref(vars);

	vars = json_array();
	w = NULL;
	assert_int_equal(domcfg_build(vars, NULL, "f", NULL, &c, &w, &cause), -1);
	assert_string_equal(cause, "f: configuration is not a set of "
	    "variables");
	free(cause);
	json_decref(w);
	json_decref(vars);
}

/* ---- the kernel command line ---- */

static void
assert_cmdline(const char *text, const char *want)
{
	json_t	*c = build_ok(text, NULL);
	char	*line = json_cmdline(c);

	assert_string_equal(line, want);
	free(line);
	json_decref(c);
}

static void
test_cmdline(void **state)
{
	assert_cmdline(BASE, "console=ttyS0");
	assert_cmdline(BASE "ip = ''\nroot = '/dev/sda1 ro'",
	    "console=ttyS0 root=/dev/sda1 ro");
	assert_cmdline(BASE "ip = '10.0.0.2'", "console=ttyS0 "
	    "ip=10.0.0.2:::::eth0:off");
	assert_cmdline(BASE "ip = '10.0.0.2'\nhostname = 'h'\n"
	    "gateway = '10.0.0.1'\nnetmask = '255.255.255.0'\n"
	    "root = '/dev/sda1 ro'\nextra = 'quiet 3'",
	    "console=ttyS0 root=/dev/sda1 ro "
	    "ip=10.0.0.2::10.0.0.1:255.255.255.0:h:eth0:off hostname=h "
	    "quiet 3");
	assert_cmdline(BASE "hostname = 'h'", "console=ttyS0 hostname=h");
	assert_cmdline(BASE "dhcp = 'dhcp'", "console=ttyS0 ip=dhcp");
	assert_cmdline(BASE "dhcp = 'off'", "console=ttyS0");
	assert_cmdline(BASE "root = '/dev/nfs'\nnfs_root = '/export/r'\n"
	    "dhcp = 'dhcp'", "console=ttyS0 root=/dev/nfs ip=dhcp "
	    "nfsroot=/export/r");
	assert_cmdline(BASE "root = '/dev/nfs'\nnfs_server = '10.0.0.1'\n"
	    "nfs_root = '/export/r'\nip = '10.0.0.5'",
	    "console=ttyS0 root=/dev/nfs ip=10.0.0.5:10.0.0.1::::eth0:off "
	    "nfsroot=10.0.0.1:/export/r");
}

/* ---- SXP ---- */

static struct sxp *
sxp_ok(const char *text)
{
	struct sxp	*top;
	char		*cause = NULL;

	if (sxp_parse(text, strlen(text), "vm.sxp", &top, &cause) != 0)
		fail_msg("%s", cause);
	return (top);
}

static json_t *
from_sxp_ok(const char *text, json_t **warnings)
{
	struct sxp	*top = sxp_ok(text);
	json_t		*c = NULL, *w = NULL;
	char		*cause = NULL;

	if (domcfg_from_sxp(top, "vm.sxp", &c, &w, &cause) != 0)
		fail_msg("unexpected error: %s", cause);
	sxp_free(top);
	if (warnings != NULL)
		*warnings = w;
	else
		json_decref(w);
	return (c);
}

static void
assert_sxp_error(const char *text, const char *want)
{
	struct sxp	*top = sxp_ok(text);
	json_t		*c = NULL, *w = NULL;
	char		*cause = NULL;

	if (domcfg_from_sxp(top, "vm.sxp", &c, &w, &cause) == 0)
		fail_msg("expected an error for %s", text);
	assert_null(c);
	if (strcmp(cause, want) != 0)
		fail_msg("for:\n%s\ngot:  %s\nwant: %s", text, cause, want);
	free(cause);
	json_decref(w);
	sxp_free(top);
}

static char *
to_sxp_text(const json_t *c, int pretty)
{
	struct sxp	*x = domcfg_to_sxp(c);
	char		*s = sxp_print(x, pretty);

	sxp_free(x);
	return (s);
}

static void
test_sxp_ttylinux(void **state)
{
	json_t	*c = build_ok(ttylinux, NULL), *c2, *w;
	char	*s;

	s = to_sxp_text(c, 1);
	assert_string_equal(s, ttylinux_sxp);
	free(s);

	c2 = from_sxp_ok(ttylinux_sxp, &w);
	assert_int_equal(json_array_size(w), 0);
	assert_true(json_equal(c, c2));
	json_decref(w);
	json_decref(c2);
	json_decref(c);
}

static const char full_sxp[] =
    "(vm (name full) (memory 256) (maxmem 512) (vcpus 2) (cpus 0-1) (cpu 1) "
    "(on_poweroff preserve) (on_reboot rename-restart) (on_crash destroy) "
    "(console 9700) "
    "(image (linux (kernel /boot/vmlinuz) (ramdisk /boot/initrd.gz) "
    "(root /dev/nfs) (ip 10.0.0.2) (netmask 255.0.0.0) (gateway 10.0.0.1) "
    "(hostname full) (dhcp off) (nfs_server 10.0.0.1) "
    "(nfs_root /export/vm1root) (args 'single quiet'))) "
    "(device (vbd (uname file:/img/root.img) (dev sda1) (mode w))) "
    "(device (vbd (uname phy:/dev/hda3) (dev sda2) (mode w!))) "
    "(device (vif (mac aa:00:00:00:00:11) (bridge xen-br0) "
    "(script vif-bridge) (ip 10.0.0.2))) "
    "(device (vif (bridge xen-br1))) (device (vif)))";

static void
test_sxp_roundtrip(void **state)
{
	json_t	*c, *c2, *w;
	char	*s, *wrapped, *cause = NULL;

	/* to_sxp(from_sxp(x)) == x, compact and pretty. */
	c = from_sxp_ok(full_sxp, &w);
	assert_int_equal(json_array_size(w), 0);
	json_decref(w);
	assert_int_equal(domcfg_validate(c, &cause), 0);
	s = to_sxp_text(c, 0);
	assert_string_equal(s, full_sxp);
	free(s);

	/* from_sxp(to_sxp(c)) == c, through the pretty form. */
	s = to_sxp_text(c, 1);
	c2 = from_sxp_ok(s, NULL);
	free(s);
	assert_true(json_equal(c, c2));
	json_decref(c2);

	/* The whole parsed file may be passed too. */
	wrapped = xsprintf("# saved by xm create -n\n%s\n", full_sxp);
	c2 = from_sxp_ok(wrapped, NULL);
	free(wrapped);
	assert_true(json_equal(c, c2));
	json_decref(c2);
	json_decref(c);

	/* Round trip of a config built from a file with every key. */
	c = build_ok(BASE "memory = 64\nmaxmem = 96\ncpus = '0'\ncpu = 0\n"
	    "console = 9610\nextra = \"it's 'quoted'\"\n"
	    "disk = ['file:/a b.img,sda1,r']\nvif = ['mac=00:16:3e:01:02:03']\n"
	    "on_crash = 'preserve'\n", NULL);
	s = to_sxp_text(c, 1);
	c2 = from_sxp_ok(s, NULL);
	free(s);
	assert_true(json_equal(c, c2));
	json_decref(c2);
	json_decref(c);
}

static void
test_sxp_values(void **state)
{
	json_t	*c, *w;
	static const char *const want[] = {
		"vm.sxp:1: 'id' is not a configuration option and was ignored",
		"vm.sxp:1: 'state' is not a configuration option and was ignored",
		"vm.sxp:2: unknown option 'colour' ignored",
		"vm.sxp:3: image: unknown option 'vcpus' ignored",
		"vm.sxp:4: vbd: unknown option 'backend' ignored",
		"vm.sxp:5: device type 'vtpm' is not supported and was ignored",
	};

	c = from_sxp_ok("(vm (id 5) (name x) (state -b---)\n (colour red)\n"
	    " (image (linux (kernel /k) (vcpus 2)))\n"
	    " (device (vbd (uname phy:hda1) (dev sda1) (mode r) (backend 0)))\n"
	    " (device (vtpm (instance 1)))\n"
	    " (dev (vif (mac aa:00:00:01:02:03) (bridge vnet97)))\n"
	    " (restart never))", &w);
	assert_warnings(w, want, nitems(want));
	json_decref(w);
	assert_string_equal(json_string_value(json_object_get(c, "on_reboot")),
	    "destroy");
	assert_json(json_object_get(c, "disks"), "[{\"uname\": "
	    "\"phy:/dev/hda1\", \"dev\": \"sda1\", \"mode\": \"r\"}]");
	assert_json(json_object_get(c, "vifs"), "[{\"mac\": "
	    "\"aa:00:00:01:02:03\", \"bridge\": \"vnet97\", \"script\": null, "
	    "\"ip\": null}]");
	assert_int_equal(json_integer_value(json_object_get(c, "memory")), 128);
	json_decref(c);

	assert_sxp_error("(vm (name x) (memory abc) (image (linux "
	    "(kernel /k))))", "vm.sxp:1: memory: expected an integer number of "
	    "MB, got 'abc'");
	assert_sxp_error("(vm (name x)\n (image (linux (kernel /k)\n "
	    "(ip 300.1.1.1))))", "vm.sxp:3: ip: expected an IPv4 address like "
	    "10.0.0.2, got '300.1.1.1'");
	assert_sxp_error("(vm (name x))", "vm.sxp: kernel: not set");
	assert_sxp_error("(domain (name x))", "vm.sxp: expected one (vm ...) "
	    "expression");
	assert_sxp_error("(vm (name x)) (vm (name y))", "vm.sxp: expected one "
	    "(vm ...) expression");
	assert_sxp_error("", "vm.sxp: expected one (vm ...) expression");
	assert_sxp_error("(vm (name x y))", "vm.sxp:1: name: expected (name "
	    "value)");
	assert_sxp_error("(vm (name (x)))", "vm.sxp:1: name: expected (name "
	    "value)");
	assert_sxp_error("(vm\n bare)", "vm.sxp:2: expected (name value) "
	    "inside (vm ...)");
	assert_sxp_error("(vm (name x) (image (plan9 (kernel /k))))", "vm.sxp:1: "
	    "image: unsupported image type 'plan9' (linux or hvm)");
	assert_sxp_error("(vm (name x) (image))", "vm.sxp:1: image: expected "
	    "(image (linux ...))");
	assert_sxp_error("(vm (name x) (image (linux (kernel /k)))\n"
	    " (device (vbd (uname file:/a) (dev sda1))))", "vm.sxp:2: vbd: "
	    "needs uname, dev and mode");
	assert_sxp_error("(vm (name x) (image (linux (kernel /k)))\n"
	    " (device (vif (mac 01:00:00:00:00:00))))", "vm.sxp:2: vif: invalid "
	    "MAC address '01:00:00:00:00:00': a multicast address cannot be "
	    "used by an interface");
	assert_sxp_error("(vm (name x) (image (linux (kernel /k))) (device))",
	    "vm.sxp:1: device: expected (device (vbd ...)) or (device "
	    "(vif ...))");
	assert_sxp_error("(vm (name '\xff'))", "vm.sxp:1: name: value is not "
	    "valid UTF-8");
	assert_sxp_error("(vm (name x) (image (linux (kernel /k)))\n"
	    " (device (vbd (uname 'file:/\xe7') (dev sda1) (mode w))))",
	    "vm.sxp:2: vbd: uname: value is not valid UTF-8");
	assert_sxp_error("(vm (name x) (image (linux (kernel /k)))\n"
	    " (device (vif (script '\xe7'))))", "vm.sxp:2: vif: script: value "
	    "is not valid UTF-8");
	assert_sxp_error("(vm (name x) (image (linux (kernel /k)))\n"
	    " (device (vif (bridge))))", "vm.sxp:2: vif: expected (name "
	    "value)");
}

/* ---- validate ---- */

static void
assert_invalid(const char *patch, const char *want)
{
	json_t		*c = build_ok(ttylinux, NULL), *p;
	json_error_t	 jerr;
	const char	*key;
	json_t		*v;
	char		*cause = NULL;

	if ((p = json_loads(patch, 0, &jerr)) == NULL)
		fail_msg("bad patch %s", patch);
	json_object_foreach(p, key, v) {
		if (json_is_string(v) && strcmp(json_string_value(v),
		    "DELETE") == 0)
			json_object_del(c, key);
		else
			json_object_set(c, key, v);
	}
	json_decref(p);
	if (domcfg_validate(c, &cause) == 0)
		fail_msg("expected %s to be invalid", patch);
	if (strcmp(cause, want) != 0)
		fail_msg("for %s\ngot:  %s\nwant: %s", patch, cause, want);
	free(cause);
	json_decref(c);
}

/* Graphical consoles: vnc, vncpasswd, vncpasswd_viewonly. */
static void
test_vnc(void **state)
{
	json_t	*c, *c2, *w;
	char	*s, *cause = NULL;

	assert_key(BASE "vnc = 1", "vnc", "true");
	assert_key(BASE "vnc = 0", "vnc", "false");
	assert_key(BASE "vnc = True", "vnc", "true");
	assert_key(BASE "vnc = 'yes'", "vnc", "true");
	assert_key(BASE "vncpasswd = 'secret'", "vncpasswd", "\"secret\"");
	assert_key(BASE "vncpasswd = ''", "vncpasswd", "null");
	assert_key(BASE "vncpasswd = 1234", "vncpasswd", "\"1234\"");
	assert_key(BASE "vncpasswd_viewonly = 'look'", "vncpasswd_viewonly",
	    "\"look\"");
	assert_build_error(BASE "vnc = 2", "tty:3: vnc: expected 0 or 1, "
	    "got 2");
	assert_build_error(BASE "vnc = 'maybe'", "tty:3: vnc: expected 0 or "
	    "1, got 'maybe'");
	assert_build_error(BASE "vncpasswd = 'a\\nb'", "tty:3: vncpasswd: "
	    "must not contain control characters");

	/* Longer than VNC can use: a warning, not an error. */
	c = build_ok(BASE "vncpasswd = 'longerthan8'", &w);
	assert_int_equal(json_array_size(w), 1);
	assert_string_equal(json_string_value(json_array_get(w, 0)),
	    "tty:3: vncpasswd: VNC uses only the first 8 characters of a "
	    "password");
	json_decref(w);
	json_decref(c);

	/* SXP both ways, and the API's validation. */
	c = build_ok(BASE "vnc = 1\nvncpasswd = 'pw'\n"
	    "vncpasswd_viewonly = 'ro'\n", NULL);
	s = to_sxp_text(c, 0);
	assert_non_null(strstr(s, "(vnc 1) (vncpasswd pw) "
	    "(vncpasswd_viewonly ro)"));
	c2 = from_sxp_ok(s, NULL);
	free(s);
	assert_true(json_equal(c, c2));
	assert_int_equal(domcfg_validate(c, &cause), 0);
	json_decref(c2);
	json_decref(c);
	c = build_ok(BASE, NULL);
	s = to_sxp_text(c, 0);
	assert_null(strstr(s, "vnc"));
	free(s);
	/* Configs saved before these keys existed still validate. */
	json_object_del(c, "vnc");
	json_object_del(c, "vncpasswd");
	json_object_del(c, "vncpasswd_viewonly");
	assert_int_equal(domcfg_validate(c, &cause), 0);
	json_decref(c);
	c = from_sxp_ok("(vm (name x) (vnc yes) (image (linux (kernel /k))))",
	    NULL);
	assert_json(json_object_get(c, "vnc"), "true");
	json_decref(c);
	assert_invalid("{\"vnc\": 1}", "config: vnc: expected true or false, "
	    "got 1");
	assert_invalid("{\"vncpasswd\": 5}", "config: vncpasswd: expected a "
	    "string or null, got 5");
	assert_invalid("{\"vncpasswd_viewonly\": \"a\\u0001\"}", "config: "
	    "vncpasswd_viewonly: must not contain control characters");
}

static void
test_validate(void **state)
{
	char	*cause = NULL;
	json_t	*c;

	c = json_object();
	assert_int_equal(domcfg_validate(c, &cause), -1);
	assert_string_equal(cause, "config: name: missing");
	free(cause);
	json_decref(c);
	c = json_array();
	assert_int_equal(domcfg_validate(c, &cause), -1);
	assert_string_equal(cause, "config: expected an object");
	free(cause);
	json_decref(c);

	assert_invalid("{\"name\": \"DELETE\"}", "config: name: missing");
	assert_invalid("{\"name\": null}", "config: name: must be set");
	assert_invalid("{\"name\": 5}", "config: name: expected a string or "
	    "null, got 5");
	assert_invalid("{\"name\": \"Domain-0\"}", "config: name: invalid "
	    "domain name 'Domain-0': is reserved for domain 0");
	/* Other clients than xm: the API refuses what xm would. */
	assert_invalid("{\"name\": \"-rf\"}", "config: name: invalid "
	    "domain name '-rf': must start with a letter or a digit");
	assert_invalid("{\"name\": \"..\"}", "config: name: invalid "
	    "domain name '..': must start with a letter or a digit");
	assert_invalid("{\"colour\": 1}", "config: colour: unknown key");
	assert_invalid("{\"builder\": \"vmx\"}", "config: builder: must be "
	    "'linux' or 'hvm'");
	assert_invalid("{\"kernel\": \"vmlinuz\"}", "config: kernel: expected "
	    "an absolute path");
	assert_invalid("{\"kernel\": \"DELETE\"}", "config: kernel: missing");
	assert_invalid("{\"ramdisk\": \"rd\"}", "config: ramdisk: expected an "
	    "absolute path or null");
	assert_invalid("{\"memory\": \"64\"}", "config: memory: expected an "
	    "integer from 16 to 1048576, got '64'");
	assert_invalid("{\"memory\": 8}", "config: memory: expected an integer "
	    "from 16 to 1048576, got 8");
	assert_invalid("{\"maxmem\": \"DELETE\"}", "config: maxmem: missing");
	assert_invalid("{\"maxmem\": 32}", "config: maxmem: must be at least "
	    "memory (64 MB), got 32");
	assert_invalid("{\"vcpus\": 0}", "config: vcpus: expected an integer "
	    "from 1 to 64, got 0");
	assert_invalid("{\"cpu\": null}", "config: cpu: expected an integer "
	    "from -1 to 4095, got None");
	assert_invalid("{\"console\": 0}", "config: console: expected an "
	    "integer from 1 to 65535 or null, got 0");
	assert_invalid("{\"cpus\": \"x\"}", "config: cpus: expected a CPU list "
	    "like '0-3,^1' or 'all', got 'x'");
	assert_invalid("{\"root\": 1}", "config: root: expected a string or "
	    "null, got 1");
	assert_invalid("{\"extra\": \"a\\nb\"}", "config: extra: must not "
	    "contain control characters");
	assert_invalid("{\"ip\": \"10.0.0\"}", "config: ip: expected an IPv4 "
	    "address, got '10.0.0'");
	assert_invalid("{\"hostname\": \"a b\"}", "config: hostname: invalid "
	    "host name 'a b'");
	assert_invalid("{\"dhcp\": \"on\"}", "config: dhcp: expected 'dhcp', "
	    "'off' or null, got 'on'");
	assert_invalid("{\"nfs_root\": \"/a b\"}", "config: nfs_root: must not "
	    "contain spaces");
	assert_invalid("{\"on_crash\": \"explode\"}", "config: on_crash: "
	    "expected destroy, restart, preserve or rename-restart");
	assert_invalid("{\"on_reboot\": null}", "config: on_reboot: expected "
	    "destroy, restart, preserve or rename-restart");
	assert_invalid("{\"disks\": \"DELETE\"}", "config: disks: missing");
	assert_invalid("{\"disks\": {}}", "config: disks: expected a list, got "
	    "an object");
	assert_invalid("{\"disks\": [1]}", "config: disks: entry 0 is not an "
	    "object");
	assert_invalid("{\"disks\": [{\"uname\": \"file:a\", \"dev\": "
	    "\"sda1\", \"mode\": \"w\"}]}", "config: disks: entry 0: uname "
	    "must be file:/path, qcow2:/path or phy:/dev/x");
	assert_invalid("{\"disks\": [{\"uname\": \"file:/a\", \"dev\": "
	    "\"sda1\"}]}", "config: disks: entry 0: mode must be r, w or w!");
	assert_invalid("{\"disks\": [{\"uname\": \"file:/a\", \"dev\": "
	    "\"SDA\", \"mode\": \"w\"}]}", "config: disks: entry 0: invalid "
	    "dev");
	assert_invalid("{\"disks\": [{\"uname\": \"file:/a\", \"dev\": "
	    "\"sda\", \"mode\": \"w\", \"x\": 1}]}", "config: disks: entry 0: "
	    "unknown key 'x'");
	assert_invalid("{\"disks\": [{\"uname\": \"file:/a\", \"dev\": "
	    "\"sda\", \"mode\": \"w\"}, {\"uname\": \"file:/b\", \"dev\": "
	    "\"sda\", \"mode\": \"r\"}]}", "config: disks: device sda is given "
	    "twice");
	assert_invalid("{\"vifs\": [{}]}", "config: vifs: entry 0: needs mac, "
	    "bridge, script and ip");
	assert_invalid("{\"vifs\": [{\"mac\": 1, \"bridge\": null, \"script\": "
	    "null, \"ip\": null}]}", "config: vifs: entry 0: mac must be a "
	    "string or null");
	assert_invalid("{\"vifs\": [{\"mac\": \"ff:ff:ff:ff:ff:ff\", "
	    "\"bridge\": null, \"script\": null, \"ip\": null}]}", "config: "
	    "vifs: entry 0: invalid MAC address 'ff:ff:ff:ff:ff:ff': a "
	    "multicast address cannot be used by an interface");
	assert_invalid("{\"vifs\": [{\"mac\": null, \"bridge\": \"a b\", "
	    "\"script\": null, \"ip\": null}]}", "config: vifs: entry 0: "
	    "invalid bridge name 'a b'");
	assert_invalid("{\"vifs\": [{\"mac\": \"00:16:3e:00:00:01\", "
	    "\"bridge\": null, \"script\": null, \"ip\": null}, {\"mac\": "
	    "\"00:16:3E:00:00:01\", \"bridge\": null, \"script\": null, "
	    "\"ip\": null}]}", "config: vifs: MAC address 00:16:3E:00:00:01 is "
	    "given twice");
	assert_invalid("{\"vifs\": [{\"mac\": null, \"bridge\": null, "
	    "\"script\": null, \"ip\": null, \"colour\": 1}]}", "config: "
	    "vifs: entry 0: unknown key 'colour'");
	assert_invalid("{\"vifs\": [{\"mac\": null, \"bridge\": null, "
	    "\"script\": null, \"ip\": null, \"rate\": 1}]}", "config: vifs: "
	    "entry 0: rate must be a string");
	assert_invalid("{\"vifs\": [{\"mac\": null, \"bridge\": null, "
	    "\"script\": null, \"ip\": null, \"model\": \"x\"}]}", "config: "
	    "vifs: entry 0: invalid model 'x': expected virtio, e1000, rtl8139 "
	    "or ne2k_pci");
}

/* ---- the schema and the typed struct ---- */

/* config -> JSON -> struct -> JSON, and -> SXP -> config: nothing lost. */
static void
assert_struct_roundtrip(const json_t *c)
{
	struct domcfg	*dc, *dc2;
	json_t		*j, *j2, *c2;
	char		*s, *cause = NULL;

	if ((dc = domcfg_from_json(c, &cause)) == NULL)
		fail_msg("domcfg_from_json: %s", cause);
	j = domcfg_to_json(dc);
	assert_true(json_equal(c, j));
	assert_int_equal(domcfg_validate(j, &cause), 0);
	s = to_sxp_text(j, 1);
	c2 = from_sxp_ok(s, NULL);
	free(s);
	if ((dc2 = domcfg_from_json(c2, &cause)) == NULL)
		fail_msg("domcfg_from_json: %s", cause);
	j2 = domcfg_to_json(dc2);
	assert_true(json_equal(j, j2));
	json_decref(j2);
	json_decref(c2);
	json_decref(j);
	domcfg_free(dc2);
	domcfg_free(dc);
}

static void
test_struct(void **state)
{
	struct domcfg	*dc;
	json_t		*c;
	char		*cause = NULL;

	c = build_ok(BASE "memory = 64\nmaxmem = 96\ncpus = '0'\ncpu = 0\n"
	    "console = 9610\nextra = \"it's 'quoted'\"\nramdisk = '/r'\n"
	    "root = '/dev/sda1 ro'\nip = '10.0.0.2'\nnetmask = '255.0.0.0'\n"
	    "gateway = '10.0.0.1'\nhostname = 'h'\nnfs_server = '10.0.0.1'\n"
	    "nfs_root = '/nfs'\nvnc = 1\nvncpasswd = 'pw'\n"
	    "vncpasswd_viewonly = 'ro'\ndescription = 'the web server'\n"
	    "disk = ['file:/a b.img,sda1,r', 'phy:hda3,sda2,w']\n"
	    "vif = ['mac=00:16:3e:01:02:03, bridge=br0, script=s, ip=10.0.0.9',"
	    " '']\non_crash = 'preserve'\n", NULL);
	assert_struct_roundtrip(c);
	dc = domcfg_from_json(c, &cause);
	assert_non_null(dc);
	assert_string_equal(dc->name, "vm");
	assert_int_equal(dc->memory, 64);
	assert_int_equal(dc->maxmem, 96);
	assert_int_equal(dc->console, 9610);
	assert_true(dc->vnc);
	assert_string_equal(dc->description, "the web server");
	assert_int_equal(dc->ndisks, 2);
	assert_string_equal(dc->disks[1].uname, "phy:/dev/hda3");
	assert_int_equal(dc->nvifs, 2);
	assert_string_equal(dc->vifs[0].bridge, "br0");
	assert_null(dc->vifs[1].mac);
	domcfg_free(dc);
	json_decref(c);

	/* Defaults: nullable integers are DOMCFG_UNSET, strings NULL. */
	c = build_ok(BASE, NULL);
	assert_struct_roundtrip(c);
	dc = domcfg_from_json(c, &cause);
	assert_int_equal(dc->console, DOMCFG_UNSET);
	assert_int_equal(dc->cpu, -1);
	assert_null(dc->cpus);
	assert_null(dc->description);
	assert_string_equal(dc->on_reboot, "restart");
	domcfg_free(dc);

	/* A config saved before the optional keys existed still loads. */
	json_object_del(c, "description");
	json_object_del(c, "vnc");
	dc = domcfg_from_json(c, &cause);
	assert_non_null(dc);
	assert_null(dc->description);
	assert_false(dc->vnc);
	domcfg_free(dc);

	/* from_json validates. */
	json_object_set_new(c, "memory", json_integer(8));
	assert_null(domcfg_from_json(c, &cause));
	assert_string_equal(cause, "config: memory: expected an integer from "
	    "16 to 1048576, got 8");
	free(cause);
	json_decref(c);
}

/* builder hvm: the 3.0 appendix A keys, as schema entries. */
static void
test_hvm(void **state)
{
	json_t		*c, *w;
	char		*s;
	static const char *const other[] = {
		"tty: cdrom applies to builder hvm only; ignored",
	};

	c = build_ok("name = 'h'\nbuilder = 'vmx'\nkernel = "
	    "'/usr/lib/xen/boot/vmxloader'\ncdrom = '/i.iso'\nboot = 'dc'\n"
	    "acpi = 0\nvncdisplay = 3\nusbdevice = 'tablet'\nne2000 = 1\n"
	    "vif = ['type=ioemu']\ndisk = ['file:/h.img,ioemu:hda,w']\n", &w);
	assert_int_equal(json_array_size(w), 0);
	assert_string_equal(json_string_value(json_object_get(c, "builder")),
	    "hvm");
	assert_true(json_is_true(json_object_get(c, "vnc")));	/* default */
	assert_true(json_is_false(json_object_get(c, "acpi")));
	assert_int_equal(json_integer_value(json_object_get(c, "vncdisplay")),
	    3);
	assert_string_equal(json_string_value(json_object_get(c, "boot")),
	    "dc");
	assert_json(json_object_get(c, "vifs"), "[{\"mac\": null, "
	    "\"bridge\": null, \"script\": null, \"ip\": null, "
	    "\"type\": \"ioemu\"}]");
	s = to_sxp_text(c, 0);
	assert_non_null(strstr(s, "(image (hvm "));
	assert_non_null(strstr(s, "(type ioemu)"));
	free(s);
	json_decref(w);
	json_decref(c);
	/* The kernel may go; vnc = 0 stays 0, through SXP too. */
	c = build_ok("name = 'h'\nbuilder = 'hvm'\nvnc = 0\n", NULL);
	assert_string_equal(json_string_value(json_object_get(c, "kernel")),
	    "/usr/lib/xen/boot/hvmloader");
	assert_true(json_is_false(json_object_get(c, "vnc")));
	s = to_sxp_text(c, 0);
	json_decref(c);
	c = from_sxp_ok(s, NULL);
	assert_true(json_is_false(json_object_get(c, "vnc")));
	assert_string_equal(json_string_value(json_object_get(c, "builder")),
	    "hvm");
	free(s);
	json_decref(c);
	/* A key of the other builder: said, no effect. */
	c = build_ok(BASE "cdrom = '/i.iso'\n", &w);
	assert_warnings(w, other, nitems(other));
	json_decref(w);
	json_decref(c);
	assert_build_error(BASE "vncdisplay = 100", "tty:3: vncdisplay: "
	    "must be from 0 to 99, got 100");
	assert_invalid("{\"vifs\": [{\"mac\": null, \"bridge\": null, "
	    "\"script\": null, \"ip\": null, \"type\": \"rtl\"}]}",
	    "config: vifs: entry 0: type must be ioemu or null");
}

/* description: one schema entry, a file to xm list -l. */
static void
test_description(void **state)
{
	json_t	*c;
	char	*s;

	assert_key(BASE "description = 'web server, rack 4'", "description",
	    "\"web server, rack 4\"");
	assert_key(BASE "description = ''", "description", "null");
	assert_build_error(BASE "description = ['x']", "tty:3: description: "
	    "expected a string, got a list");
	c = build_ok(BASE "description = 'web server'\n", NULL);
	s = to_sxp_text(c, 0);
	assert_non_null(strstr(s, "(description 'web server')"));
	free(s);
	json_decref(c);
	c = from_sxp_ok("(vm (name x) (description note) (image (linux "
	    "(kernel /k))))", NULL);
	assert_string_equal(json_string_value(json_object_get(c,
	    "description")), "note");
	json_decref(c);
	assert_invalid("{\"description\": \"a\\nb\"}", "config: "
	    "description: must not contain control characters");
}

/* cpu_weight, cpu_cap: the credit scheduler's, kept in the config. */
static void
test_credit_keys(void **state)
{
	struct domcfg	*dc;
	json_t		*c, *w;
	char		*s, *cause = NULL;

	assert_key(BASE "cpu_weight = 512", "cpu_weight", "512");
	assert_key(BASE "cpu_cap = 150", "cpu_cap", "150");
	assert_key(BASE, "cpu_weight", "256");
	assert_key(BASE, "cpu_cap", "0");
	assert_build_error(BASE "cpu_weight = 0", "tty:3: cpu_weight: must be "
	    "from 1 to 65535, got 0");
	assert_build_error(BASE "cpu_cap = -1", "tty:3: cpu_cap: must be "
	    "from 0 to 409600, got -1");
	/* Keys, not warned as ignored any more. */
	c = build_ok(BASE "cpu_weight = 1024\ncpu_cap = 25\n", &w);
	assert_int_equal(json_array_size(w), 0);
	json_decref(w);
	dc = domcfg_from_json(c, &cause);
	assert_non_null(dc);
	assert_int_equal(dc->cpu_weight, 1024);
	assert_int_equal(dc->cpu_cap, 25);
	domcfg_free(dc);
	/* In the SXP of xm list -l and back, as Xen's (vm (cpu_weight ..)). */
	s = to_sxp_text(c, 0);
	assert_non_null(strstr(s, "(cpu_weight 1024)"));
	assert_non_null(strstr(s, "(cpu_cap 25)"));
	free(s);
	json_decref(c);
	c = from_sxp_ok("(vm (name x) (cpu_weight 64) (cpu_cap 50) (image "
	    "(linux (kernel /k))))", NULL);
	assert_int_equal(json_integer_value(json_object_get(c, "cpu_weight")),
	    64);
	assert_int_equal(json_integer_value(json_object_get(c, "cpu_cap")), 50);
	json_decref(c);
	/* A config saved before the keys existed: the defaults. */
	c = build_ok(BASE, NULL);
	json_object_del(c, "cpu_weight");
	json_object_del(c, "cpu_cap");
	dc = domcfg_from_json(c, &cause);
	assert_non_null(dc);
	assert_int_equal(dc->cpu_weight, 256);
	assert_int_equal(dc->cpu_cap, 0);
	domcfg_free(dc);
	json_decref(c);
	assert_invalid("{\"cpu_weight\": 70000}", "config: cpu_weight: "
	    "expected an integer from 1 to 65535, got 70000");
}

/* maxvcpus: QEMU has them all, the kernel brings up vcpus of them. */
static void
test_maxvcpus(void **state)
{
	struct domcfg	*dc;
	json_t		*c, *w;
	char		*s, *cause = NULL;

	c = build_ok(BASE "vcpus = 2\nmaxvcpus = 4\nextra = 'x'\n", &w);
	assert_int_equal(json_array_size(w), 0);
	json_decref(w);
	dc = domcfg_from_json(c, &cause);
	assert_non_null(dc);
	assert_int_equal(domcfg_vcpus_max(dc), 4);
	s = domcfg_cmdline(dc);
	assert_string_equal(s, "console=ttyS0 maxcpus=2 x");
	free(s);
	domcfg_free(dc);
	s = to_sxp_text(c, 0);
	assert_non_null(strstr(s, "(maxvcpus 4)"));
	free(s);
	json_decref(c);
	/* Not set, or no more than vcpus: nothing on the command line. */
	c = build_ok(BASE "vcpus = 2\nmaxvcpus = 2\n", NULL);
	dc = domcfg_from_json(c, &cause);
	assert_int_equal(domcfg_vcpus_max(dc), 2);
	s = domcfg_cmdline(dc);
	assert_string_equal(s, "console=ttyS0");
	free(s);
	domcfg_free(dc);
	json_decref(c);
	c = build_ok(BASE "vcpus = 3\n", NULL);
	assert_true(json_is_null(json_object_get(c, "maxvcpus")));
	dc = domcfg_from_json(c, &cause);
	assert_int_equal(domcfg_vcpus_max(dc), 3);
	domcfg_free(dc);
	json_decref(c);
	assert_build_error(BASE "vcpus = 2\nmaxvcpus = 1\n", "tty:4: "
	    "maxvcpus: must be at least vcpus (2), got 1");
	assert_build_error(BASE "maxvcpus = 65\n", "tty:3: maxvcpus: must be "
	    "from 1 to 64, got 65");
	assert_invalid("{\"vcpus\": 2, \"maxvcpus\": 1}", "config: "
	    "maxvcpus: must be at least vcpus (2), got 1");
	/* An HVM domain: said to have no effect, and it has none. */
	c = build_ok("name = 'h'\nbuilder = 'hvm'\nmaxvcpus = 2\n", &w);
	assert_string_equal(json_string_value(json_array_get(w, 0)),
	    "tty: maxvcpus applies to builder linux only; ignored");
	json_decref(w);
	dc = domcfg_from_json(c, &cause);
	assert_int_equal(domcfg_vcpus_max(dc), 1);
	domcfg_free(dc);
	json_decref(c);
}

/* keymap: builder hvm's QEMU -k, one of QEMU's layouts. */
static void
test_keymap(void **state)
{
	static const char hvm[] = "name = 'h'\nbuilder = 'hvm'\n";
	struct domcfg	*dc;
	json_t		*c, *w;
	char		*s, *cause = NULL;

	c = build_ok("name = 'h'\nbuilder = 'hvm'\nkeymap = 'de'\n", &w);
	assert_int_equal(json_array_size(w), 0);
	json_decref(w);
	dc = domcfg_from_json(c, &cause);
	assert_non_null(dc);
	assert_string_equal(dc->keymap, "de");
	domcfg_free(dc);
	s = to_sxp_text(c, 0);
	assert_non_null(strstr(s, "(keymap de)"));
	free(s);
	json_decref(c);
	c = build_ok(hvm, NULL);
	assert_true(json_is_null(json_object_get(c, "keymap")));
	json_decref(c);
	assert_build_error("name = 'h'\nbuilder = 'hvm'\nkeymap = 'klingon'\n",
	    "tty:3: keymap: expected one of ar, bepo, cz, da, de, de-ch, "
	    "en-gb, en-us, es, et, fi, fo, fr, fr-be, fr-ca, fr-ch, hr, hu, "
	    "is, it, ja, lt, lv, mk, nl, no, pl, pt, pt-br, ru, sl, sv, th, "
	    "tr, got 'klingon'");
	assert_invalid("{\"keymap\": \"../x\"}", "config: keymap: expected "
	    "one of ar, bepo, cz, da, de, de-ch, en-gb, en-us, es, et, fi, fo, "
	    "fr, fr-be, fr-ca, fr-ch, hr, hu, is, it, ja, lt, lv, mk, nl, no, "
	    "pl, pt, pt-br, ru, sl, sv, th, tr, got '../x'");
	/* A linux domain's keymap is said to have no effect. */
	c = build_ok(BASE "keymap = 'fr'\n", &w);
	assert_string_equal(json_string_value(json_array_get(w, 0)),
	    "tty: keymap applies to builder hvm only; ignored");
	json_decref(w);
	json_decref(c);
}

static const json_t *
schema_key(const json_t *schema, const char *name)
{
	const json_t	*k;
	size_t		 i;

	json_array_foreach(json_object_get(schema, "keys"), i, k) {
		if (strcmp(json_string_value(json_object_get(k, "name")),
		    name) == 0)
			return (k);
	}
	fail_msg("no key %s in the schema", name);
	return (NULL);
}

static void
test_schema(void **state)
{
	json_t		*schema = domcfg_schema_json(), *c;
	const json_t	*k;
	const char	*name, *help;
	size_t		 i, n = 0;

	/* Every key: a type and help; the man page sees the same keys. */
	json_array_foreach(json_object_get(schema, "keys"), i, k) {
		name = json_string_value(json_object_get(k, "name"));
		assert_non_null(name);
		assert_non_null(json_string_value(json_object_get(k, "type")));
		help = json_string_value(json_object_get(k, "help"));
		if (help == NULL || strlen(help) < 10)
			fail_msg("key %s has no help", name);
		assert_string_equal(domcfg_key_doc(i, &help), name);
		n++;
	}
	assert_null(domcfg_key_doc(n, &help));
	assert_true(json_array_size(json_object_get(schema, "ignored")) > 10);
	/* A vif's options beyond the four, each with its help. */
	json_array_foreach(json_object_get(schema, "vif_options"), i, k)
		assert_non_null(json_string_value(json_object_get(k, "help")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(schema, "vif_options"), 2), "name")), "rate");

	/* Every config key the builder makes is in the schema, and back. */
	c = build_ok(BASE, NULL);
	json_array_foreach(json_object_get(schema, "keys"), i, k) {
		name = json_string_value(json_object_get(k, "config"));
		if (name != NULL)
			assert_non_null(json_object_get(c, name));
	}
	json_decref(c);

	/* Ranges and defaults. */
	k = schema_key(schema, "memory");
	assert_int_equal(json_integer_value(json_object_get(k, "min")), 16);
	assert_int_equal(json_integer_value(json_object_get(k, "max")),
	    1048576);
	assert_int_equal(json_integer_value(json_object_get(k, "default")),
	    128);
	k = schema_key(schema, "name");
	assert_true(json_is_true(json_object_get(k, "required")));
	k = schema_key(schema, "on_crash");
	assert_int_equal(json_array_size(json_object_get(k, "values")), 4);

	/* 2.0 and 3.0 names of the same things. */
	k = schema_key(schema, "cpu");
	assert_string_equal(json_string_value(json_object_get(k, "era")),
	    "2.0");
	assert_string_equal(json_string_value(json_object_get(k, "see")),
	    "cpus");
	k = schema_key(schema, "cpus");
	assert_string_equal(json_string_value(json_object_get(k, "era")),
	    "3.0");
	k = schema_key(schema, "restart");
	assert_string_equal(json_string_value(json_object_get(k, "era")),
	    "2.0");
	assert_null(json_object_get(k, "config"));	/* folded into on_* */
	k = schema_key(schema, "extra");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    k, "sxp"), "name")), "args");
	k = schema_key(schema, "disk");
	assert_string_equal(json_string_value(json_object_get(k, "config")),
	    "disks");
	k = schema_key(schema, "kernel");
	assert_int_equal(json_array_size(json_object_get(k, "builders")), 1);
	json_decref(schema);
}

static void
assert_sxp_refused(const char *text, const char *want)
{
	struct sxp	*top = sxp_ok(text);
	json_t		*c = NULL, *w = NULL;
	char		*cause = NULL;

	assert_int_equal(domcfg_from_sxp(top, "vm.sxp", &c, &w, &cause),
	    DOMCFG_REFUSED);
	assert_non_null(strstr(cause, want));
	free(cause);
	json_decref(w);
	sxp_free(top);
}

/* PCI passthrough and driver domains: refused, with why and instead. */
static void
test_refused_keys(void **state)
{
	json_t		*c = NULL, *w = NULL;
	char		*cause;

	assert_int_equal(build_ov(BASE "pci = ['0000:02:1d.3']", NULL, 0, &c,
	    &w, &cause), DOMCFG_REFUSED);
	assert_null(c);
	assert_string_equal(cause, "tty:3: pci: PCI passthrough is not "
	    "supported: it needs VFIO and a physical device given up by this "
	    "host; give the domain virtual devices instead (vif for a network "
	    "card, disk for storage)");
	free(cause);
	json_decref(w);
	w = NULL;
	assert_int_equal(build_ov(BASE "netif = 1", NULL, 0, &c, &w, &cause),
	    DOMCFG_REFUSED);
	assert_non_null(strstr(cause, "tty:3: netif: driver domains are not "
	    "supported: domain 0 (this host) is the backend"));
	free(cause);
	json_decref(w);
	w = NULL;
	/* Asking for nothing is fine. */
	c = build_ok(BASE "pci = []\nirq = 0", NULL);
	json_decref(c);
	/* Other errors stay -1. */
	assert_int_equal(build_ov(BASE "memory = 'x'", NULL, 0, &c, &w,
	    &cause), -1);
	free(cause);
	json_decref(w);
	w = NULL;
	/* The SXP forms: (device (pci ...)) and (backend (netif)). */
	assert_sxp_refused("(vm (name a) (image (linux (kernel /k)))\n"
	    " (device (pci (bus 2) (dev 0x1d) (func 3))))",
	    "vm.sxp:2: pci: PCI passthrough is not supported");
	assert_sxp_refused("(vm (name a) (image (linux (kernel /k))) "
	    "(backend (netif)))", "backend: driver domains are not supported");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttylinux),
		cmocka_unit_test(test_xmexample2),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_disks),
		cmocka_unit_test(test_vifs),
		cmocka_unit_test(test_refused_keys),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_warnings_array),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_sxp_ttylinux),
		cmocka_unit_test(test_sxp_roundtrip),
		cmocka_unit_test(test_sxp_values),
		cmocka_unit_test(test_vnc),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_struct),
		cmocka_unit_test(test_description),
		cmocka_unit_test(test_credit_keys),
		cmocka_unit_test(test_keymap),
		cmocka_unit_test(test_maxvcpus),
		cmocka_unit_test(test_hvm),
		cmocka_unit_test(test_schema),
	};

	return (cmocka_run_group_tests_name("domcfg", tests, NULL, NULL));
}
