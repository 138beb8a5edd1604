/*
 * domcfg.c: the canonical domain config, built from pycfg variables or
 * from an SXP (vm ...) expression, printed back as SXP, re-validated when
 * it arrives over the API, and turned into the guest kernel command line.
 *
 * Both front ends (variables and SXP) feed the same per-key setters, so a
 * value is checked the same way whichever form it came in.  Every key is
 * one entry of dc_keys below: adding a key is an entry there (and a field
 * of struct domcfg if xend reads it) plus its effect.
 */
#include <arpa/inet.h>

#include <limits.h>
#include <sched.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <fcntl.h>

#include "xen-common.h"
#include "cpulist.h"
#include "domcfg.h"
#include "netrate.h"


#define DOMCFG_MAX_DISKS	64
#define DOMCFG_MAX_VIFS		32
#define DOMCFG_MAX_CPU		4095
#define DOMCFG_MAX_MEMORY	1048576

#define DC_ACTIONS \
	"[\"destroy\", \"restart\", \"preserve\", \"rename-restart\"]"

enum dk_type {
	DK_NAME, DK_BUILDER, DK_PATH, DK_INT, DK_NICS, DK_CPUS, DK_STR,
	DK_ADDR, DK_HOST, DK_DHCP, DK_NOSPACE, DK_ACTION, DK_RESTART, DK_DISK,
	DK_VIF, DK_BOOL, DK_VNCPASS, DK_IGNORED, DK_REFUSED, DK_ENUM,
};

/* The type's name in domcfg_schema_json, indexed by enum dk_type. */
static const char *const dk_type_names[] = {
	"name", "builder", "path", "int", "int", "cpulist", "string",
	"ipv4", "hostname", "enum", "string", "enum", "enum", "disks",
	"vifs", "bool", "string", "ignored", "refused", "enum",
};

/* Where a key sits in the SXP (vm ...) form. */
enum dk_sxp { DS_NONE, DS_TOP, DS_IMAGE, DS_DEVICE };

#define DF_REQUIRED	0x01	/* must be set: no default */
#define DF_NULL		0x02	/* may be null ("" in a file is null) */
#define DF_OPTIONAL	0x04	/* may be absent from a saved config */
#define DF_NOCONFIG	0x08	/* folded into other keys when parsed */
#define DF_SXP_IN	0x10	/* read from SXP, never printed */
#define DF_SXP_SET	0x20	/* printed only when not the default */

#define DB_LINUX	0x01	/* a kernel booted directly */
#define DB_HVM		0x02	/* a full PC (issue 12) */
#define DB_ALL		(DB_LINUX | DB_HVM)

/*
 * The schema: one entry per key.  Parsing (pycfg variables and SXP),
 * validation, the SXP form, the typed struct, the man page and
 * domcfg_schema_json are all driven from it; a key that needs more than
 * its type's rules is a DK_ type of its own (restart, nics, disk, vif).
 */
static const struct dc_key {
	const char	*name;		/* in files, SXP and the JSON config */
	const char	*config;	/* the JSON config's name, if not name */
	const char	*sxp;		/* the SXP name, if not name */
	enum dk_type	 type;
	long		 min, max;	/* DK_INT, DK_NICS */
	const char	*def;		/* the default, as JSON */
	const char	*values;	/* an enum's values, as JSON */
	int		 flags;
	enum dk_sxp	 where;
	int		 builders;
	const char	*era;		/* "2.0" or "3.0" for one era's key */
	const char	*see;		/* the other era's key */
	size_t		 off;		/* in struct domcfg; ~0: none */
	const char	*what;		/* DK_INT: what is expected */
	const char	*unit;
	const char	*help;		/* xmdomain.cfg(5), the web form */
} dc_keys[] = {
#define OFF(f)	offsetof(struct domcfg, f)
#define NOOFF	((size_t)~0)
	{ .name = "name", .type = DK_NAME, .def = "null",
	    .flags = DF_REQUIRED, .where = DS_TOP, .builders = DB_ALL,
	    .off = OFF(name),
	    .help = "A name for the domain, unique on the host: 1 to 64 "
	    "letters, digits, '_', '.' and '-', starting with a letter or a "
	    "digit, not all digits and not Domain-0.  Required." },
	{ .name = "builder", .type = DK_BUILDER, .def = "\"linux\"",
	    .values = "[\"linux\", \"hvm\"]", .flags = DF_SXP_IN,
	    .where = DS_TOP, .builders = DB_ALL, .off = OFF(builder),
	    .help = "The domain builder: linux (a kernel booted directly) or "
	    "hvm (Xen 3.0: vmx), a whole PC that boots its firmware, then its "
	    "disk or CD-ROM (an unmodified system)." },
	{ .name = "kernel", .type = DK_PATH, .def = "null",
	    .flags = DF_REQUIRED, .where = DS_IMAGE, .builders = DB_LINUX,
	    .off = OFF(kernel),
	    .help = "The kernel image to boot, relative to the config file's "
	    "directory if not absolute.  Required.  For builder hvm, Xen's "
	    "firmware loader (/usr/lib/xen/boot/hvmloader or vmxloader): "
	    "SeaBIOS is the firmware here." },
	{ .name = "ramdisk", .type = DK_PATH, .def = "null",
	    .flags = DF_NULL, .where = DS_IMAGE, .builders = DB_LINUX,
	    .off = OFF(ramdisk),
	    .help = "An initial ramdisk to load with the kernel." },
	{ .name = "memory", .type = DK_INT, .min = 16,
	    .max = DOMCFG_MAX_MEMORY, .def = "128", .where = DS_TOP,
	    .builders = DB_ALL, .off = OFF(memory),
	    .what = "an integer number of MB", .unit = " MB",
	    .help = "Initial memory in MB (default 128)." },
	{ .name = "maxmem", .type = DK_INT, .min = 16,
	    .max = DOMCFG_MAX_MEMORY, .def = "null", .where = DS_TOP,
	    .builders = DB_ALL, .off = OFF(maxmem),
	    .what = "an integer number of MB", .unit = " MB",
	    .help = "The most memory in MB the domain may balloon up to "
	    "(xm mem-set); default memory." },
	{ .name = "vcpus", .type = DK_INT, .min = 1, .max = 64, .def = "1",
	    .where = DS_TOP, .builders = DB_ALL, .off = OFF(vcpus),
	    .what = "an integer number of virtual CPUs", .unit = "",
	    .help = "Number of virtual CPUs (default 1); xm vcpu-set brings "
	    "them on and offline." },
	{ .name = "maxvcpus", .type = DK_INT, .min = 1, .max = 64,
	    .def = "null", .flags = DF_NULL | DF_OPTIONAL, .where = DS_TOP,
	    .builders = DB_LINUX, .off = OFF(maxvcpus),
	    .what = "an integer number of virtual CPUs", .unit = "",
	    .help = "The most virtual CPUs xm vcpu-set may bring online, at "
	    "least vcpus (default vcpus): the domain has that many, vcpus of "
	    "them online at boot." },
	{ .name = "cpus", .type = DK_CPUS, .def = "null", .flags = DF_NULL,
	    .where = DS_TOP, .builders = DB_ALL, .era = "3.0", .see = "cpu",
	    .off = OFF(cpus),
	    .help = "The host CPUs the domain's vCPUs may run on, such as "
	    "\"0-3,^1\" or \"all\" (Xen 3.0)." },
	{ .name = "cpu", .type = DK_INT, .min = -1, .max = DOMCFG_MAX_CPU,
	    .def = "-1", .flags = DF_SXP_SET, .where = DS_TOP,
	    .builders = DB_ALL, .era = "2.0", .see = "cpus", .off = OFF(cpu),
	    .what = "an integer CPU number (-1 for any)", .unit = "",
	    .help = "The host CPU to pin the domain to, -1 for any (Xen "
	    "2.0)." },
	/*
	 * The credit scheduler's parameters at creation (sched.c): the live
	 * values, which xm sched-credit changes, so a saved or migrated
	 * domain takes them along.
	 */
	{ .name = "cpu_weight", .type = DK_INT, .min = 1, .max = 65535,
	    .def = "256", .flags = DF_OPTIONAL | DF_SXP_SET, .where = DS_TOP,
	    .builders = DB_ALL, .off = OFF(cpu_weight),
	    .what = "an integer weight from 1 to 65535", .unit = "",
	    .help = "The credit scheduler's weight: the domain's share of "
	    "a contended CPU relative to other domains' (default 256), as "
	    "xm sched-credit -w sets it." },
	{ .name = "cpu_cap", .type = DK_INT, .min = 0, .max = 100L * 4096,
	    .def = "0", .flags = DF_OPTIONAL | DF_SXP_SET, .where = DS_TOP,
	    .builders = DB_ALL, .off = OFF(cpu_cap),
	    .what = "an integer percentage of one CPU", .unit = "",
	    .help = "The credit scheduler's cap: the most CPU the domain may "
	    "use, in percent of one CPU (200 is two CPUs), 0 for no cap "
	    "(default), as xm sched-credit -c sets it." },
	{ .name = "root", .type = DK_STR, .def = "null", .flags = DF_NULL,
	    .where = DS_IMAGE, .builders = DB_LINUX, .off = OFF(root),
	    .help = "The root device for the kernel command line, such as "
	    "\"/dev/sda1 ro\"." },
	{ .name = "ip", .type = DK_ADDR, .def = "null", .flags = DF_NULL,
	    .where = DS_IMAGE, .builders = DB_LINUX, .off = OFF(ip),
	    .help = "The domain's IPv4 address, passed on the kernel command "
	    "line for a domain that does not configure itself." },
	{ .name = "netmask", .type = DK_ADDR, .def = "null", .flags = DF_NULL,
	    .where = DS_IMAGE, .builders = DB_LINUX, .off = OFF(netmask),
	    .help = "The netmask that goes with ip." },
	{ .name = "gateway", .type = DK_ADDR, .def = "null", .flags = DF_NULL,
	    .where = DS_IMAGE, .builders = DB_LINUX, .off = OFF(gateway),
	    .help = "The default gateway that goes with ip." },
	{ .name = "hostname", .type = DK_HOST, .def = "null",
	    .flags = DF_NULL, .where = DS_IMAGE, .builders = DB_LINUX,
	    .off = OFF(hostname),
	    .help = "The domain's host name, on the kernel command line." },
	{ .name = "dhcp", .type = DK_DHCP, .def = "null",
	    .values = "[\"dhcp\", \"off\"]", .flags = DF_NULL,
	    .where = DS_IMAGE, .builders = DB_LINUX, .off = OFF(dhcp),
	    .help = "\"dhcp\" to have the kernel ask DHCP for its address." },
	{ .name = "nfs_server", .type = DK_ADDR, .def = "null",
	    .flags = DF_NULL, .where = DS_IMAGE, .builders = DB_LINUX,
	    .off = OFF(nfs_server),
	    .help = "The NFS server's IPv4 address, for an NFS root." },
	{ .name = "nfs_root", .type = DK_NOSPACE, .def = "null",
	    .flags = DF_NULL, .where = DS_IMAGE, .builders = DB_LINUX,
	    .off = OFF(nfs_root),
	    .help = "The path of the NFS root on nfs_server." },
	{ .name = "extra", .sxp = "args", .type = DK_STR, .def = "null",
	    .flags = DF_NULL, .where = DS_IMAGE, .builders = DB_LINUX,
	    .off = OFF(extra),
	    .help = "Anything else to append to the kernel command line." },
	{ .name = "on_poweroff", .type = DK_ACTION, .def = "\"destroy\"",
	    .values = DC_ACTIONS, .where = DS_TOP, .builders = DB_ALL,
	    .era = "3.0", .see = "restart", .off = OFF(on_poweroff),
	    .help = "What to do when the domain powers off: destroy "
	    "(default), restart, preserve (keep it until xm destroy) or "
	    "rename-restart (keep it renamed and start a new one)." },
	{ .name = "on_reboot", .type = DK_ACTION, .def = "\"restart\"",
	    .values = DC_ACTIONS, .where = DS_TOP, .builders = DB_ALL,
	    .era = "3.0", .see = "restart", .off = OFF(on_reboot),
	    .help = "What to do when the domain reboots: as on_poweroff; "
	    "default restart." },
	{ .name = "on_crash", .type = DK_ACTION, .def = "\"restart\"",
	    .values = DC_ACTIONS, .where = DS_TOP, .builders = DB_ALL,
	    .era = "3.0", .see = "restart", .off = OFF(on_crash),
	    .help = "What to do when the domain crashes: as on_poweroff; "
	    "default restart." },
	{ .name = "restart", .type = DK_RESTART,
	    .values = "[\"onreboot\", \"always\", \"never\"]",
	    .flags = DF_NOCONFIG | DF_SXP_IN, .where = DS_TOP,
	    .builders = DB_ALL, .era = "2.0", .see = "on_reboot",
	    .off = NOOFF,
	    .help = "Xen 2.0's policy, setting all three on_ keys: onreboot "
	    "(restart only on reboot), always or never." },
	{ .name = "console", .type = DK_INT, .min = 1, .max = 65535,
	    .def = "null", .flags = DF_NULL, .where = DS_TOP,
	    .builders = DB_ALL, .off = OFF(console),
	    .what = "a TCP port number", .unit = "",
	    .help = "The TCP port of the domain's console; default "
	    "console-port-base + domid." },
	{ .name = "disk", .config = "disks", .type = DK_DISK, .def = "[]",
	    .where = DS_DEVICE, .builders = DB_ALL, .off = NOOFF,
	    .help = "A list of disks, each 'TYPE:UNAME,DEV,MODE': file:IMAGE "
	    "(raw, or a qcow2 image without a backing file), qcow2:IMAGE "
	    "(tap:qcow2:) or phy:DEVICE (phy:hda3 is /dev/hda3, phy:vg/lv "
	    "/dev/vg/lv), the device name the domain sees (sda1, hda1, xvda; "
	    "hda-hdd are IDE disks in an HVM domain) and r (read-only) or w "
	    "(read-write; w! shares it anyway).  A disk one domain, or domain "
	    "0's mounts, hold writable is refused to every other." },
	{ .name = "vif", .config = "vifs", .type = DK_VIF, .def = "[]",
	    .where = DS_DEVICE, .builders = DB_ALL, .off = NOOFF,
	    .help = "A list of network interfaces, each a string of "
	    "'mac=MAC, bridge=BRIDGE, script=SCRIPT, ip=IP, vifname=NAME, "
	    "model=MODEL, rate=RATE, antispoof=no' settings, any of them left "
	    "out; '' gets a generated MAC and default-bridge.  ip may list "
	    "several addresses, space separated.  model is virtio (default), "
	    "e1000, rtl8139 or ne2k_pci; rate limits what the guest sends "
	    "and receives (10Mb/s, 1MB/s@20ms); antispoof=no lets the guest send with "
	    "any source MAC and address (xend-config's vif-antispoof)." },
	{ .name = "nics", .type = DK_NICS, .min = 0, .max = DOMCFG_MAX_VIFS,
	    .flags = DF_NOCONFIG, .where = DS_NONE, .builders = DB_ALL,
	    .era = "2.0", .see = "vif", .off = NOOFF,
	    .what = "an integer number of interfaces", .unit = "",
	    .help = "Number of network interfaces (Xen 2.0): vif is padded "
	    "with default interfaces up to it." },
	{ .name = "vnc", .type = DK_BOOL, .def = "false",
	    .flags = DF_OPTIONAL | DF_SXP_SET, .where = DS_TOP,
	    .builders = DB_ALL, .off = OFF(vnc), .what = "0 or 1",
	    .help = "1 for a graphical console (standard VGA), served by "
	    "xenconsoled on vnc-port-base + domid (default 0; 1 for builder "
	    "hvm)." },
	{ .name = "vncpasswd", .type = DK_VNCPASS, .def = "null",
	    .flags = DF_NULL | DF_OPTIONAL, .where = DS_TOP,
	    .builders = DB_ALL, .off = OFF(vncpasswd),
	    .help = "The VNC password for full access (the first 8 characters "
	    "count)." },
	{ .name = "vncpasswd_viewonly", .type = DK_VNCPASS, .def = "null",
	    .flags = DF_NULL | DF_OPTIONAL, .where = DS_TOP,
	    .builders = DB_ALL, .off = OFF(vncpasswd_viewonly),
	    .help = "The VNC password for view-only access." },
	/*
	 * HVM (builder hvm): the 3.0 manual's appendix A keys, in the SXP's
	 * (image (hvm ...)); printed only when not their default.
	 */
#define HVM_KEY(n, t, d, fl, f, h) { .name = n, .type = t, .def = d, \
	    .flags = DF_OPTIONAL | (fl), .where = DS_IMAGE, \
	    .builders = DB_HVM, .off = OFF(f), .what = "0 or 1", .help = h }
	HVM_KEY("cdrom", DK_PATH, "null", DF_NULL, cdrom,
	    "An ISO image or a CD-ROM device: the IDE CD-ROM (hdc), "
	    "read-only."),
	HVM_KEY("boot", DK_STR, "\"c\"", DF_SXP_SET, boot,
	    "Boot order: c (hard disk), d (CD-ROM), a (floppy), n (network), "
	    "or several ('dc': the CD-ROM, then the disk)."),
	HVM_KEY("acpi", DK_BOOL, "true", DF_SXP_SET, acpi,
	    "ACPI, and with it the power button xm shutdown presses (default "
	    "1; Xen 3.0 said 0)."),
	HVM_KEY("apic", DK_BOOL, "true", DF_SXP_SET, apic,
	    "The local APIC (default 1); 0 allows one vCPU only."),
	{ .name = "vncdisplay", .type = DK_INT, .min = 0, .max = 99,
	    .def = "null", .flags = DF_NULL | DF_OPTIONAL, .where = DS_IMAGE,
	    .builders = DB_HVM, .off = OFF(vncdisplay),
	    .what = "a display number from 0 to 99", .unit = "",
	    .help = "The screen on vnc-port-base + N instead of + domid." },
	HVM_KEY("vncunused", DK_BOOL, "true", DF_SXP_SET, vncunused,
	    "1 (default): a vncdisplay in use falls back to vnc-port-base + "
	    "domid; 0 refuses the create."),
	HVM_KEY("sdl", DK_BOOL, "false", DF_SXP_SET, sdl,
	    "An SDL window: refused, this host has no display (use vnc)."),
	HVM_KEY("serial", DK_STR, "\"pty\"", DF_SXP_SET, serial,
	    "pty: the guest's first serial port is the domain's console (the "
	    "only value)."),
	HVM_KEY("ne2000", DK_BOOL, "false", DF_SXP_SET, ne2000,
	    "1: vifs with type=ioemu are NE2000 cards, not pcnet."),
	HVM_KEY("localtime", DK_BOOL, "false", DF_SXP_SET, localtime,
	    "1: the clock starts at local time, not UTC."),
	HVM_KEY("usb", DK_BOOL, "false", DF_SXP_SET, usb,
	    "1: a USB controller."),
	HVM_KEY("usbdevice", DK_STR, "null", DF_NULL, usbdevice,
	    "A USB pointer: tablet (keeps the VNC pointer in step) or mouse."),
	{ .name = "keymap", .type = DK_ENUM, .def = "null", .values =
	    "[\"ar\", \"bepo\", \"cz\", \"da\", \"de\", \"de-ch\", "
	    "\"en-gb\", \"en-us\", \"es\", \"et\", \"fi\", \"fo\", \"fr\", "
	    "\"fr-be\", \"fr-ca\", \"fr-ch\", \"hr\", \"hu\", \"is\", \"it\", "
	    "\"ja\", \"lt\", \"lv\", \"mk\", \"nl\", \"no\", \"pl\", \"pt\", "
	    "\"pt-br\", \"ru\", \"sl\", \"sv\", \"th\", \"tr\"]",
	    .flags = DF_NULL | DF_OPTIONAL, .where = DS_IMAGE,
	    .builders = DB_HVM, .off = OFF(keymap),
	    .help = "The keyboard layout VNC key presses are translated with "
	    "(QEMU's -k: de, fr, en-gb...; default en-us), for a viewer that "
	    "sends key symbols rather than raw key codes." },
#undef HVM_KEY
	{ .name = "description", .type = DK_STR, .def = "null",
	    .flags = DF_NULL | DF_OPTIONAL, .where = DS_TOP,
	    .builders = DB_ALL, .off = OFF(description),
	    .help = "A free-text note about the domain, shown by xm list "
	    "-l." },
	/*
	 * Real Xen keys known and deliberately ignored (with a warning): a
	 * builder that comes to use one makes it a key of its own above.
	 */
#define IGNORED(n) { .name = n, .type = DK_IGNORED, .flags = DF_NOCONFIG, \
	    .where = DS_NONE, .off = NOOFF }
	IGNORED("access_control"), IGNORED("audio"),
	IGNORED("bootargs"), IGNORED("bootloader"),
	IGNORED("cpuid"),
	IGNORED("device_model"), IGNORED("display"), IGNORED("features"),
	IGNORED("guest_os_type"), IGNORED("hap"), IGNORED("hpet"),
	IGNORED("interface"),
	IGNORED("monitor"),
	IGNORED("nographic"), IGNORED("on_xend_start"),
	IGNORED("on_xend_stop"), IGNORED("pae"),
	IGNORED("rtc_timeoffset"), IGNORED("s3_integrity"),
	IGNORED("shadow_memory"), IGNORED("soundhw"), IGNORED("ssidref"),
	IGNORED("stdvga"), IGNORED("timer_mode"), IGNORED("tpmif"),
	IGNORED("tsc_mode"), IGNORED("usbport"), IGNORED("uuid"),
	IGNORED("vfb"), IGNORED("viridian"), IGNORED("vkbd"),
	IGNORED("vncconsole"), IGNORED("vnclisten"), IGNORED("vncviewer"),
	IGNORED("vscsi"), IGNORED("vtpm"), IGNORED("xauthority"),
#undef IGNORED
	/*
	 * Real Xen keys refused (xm create exits 2): what they ask for
	 * cannot be had here, and running without it would mislead.
	 */
#define REFUSED(n, why) { .name = n, .type = DK_REFUSED, \
	    .flags = DF_NOCONFIG, .where = DS_NONE, .off = NOOFF, .help = why }
#define NO_PCI	"PCI passthrough is not supported: it needs VFIO and a " \
	"physical device given up by this host; give the domain virtual " \
	"devices instead (vif for a network card, disk for storage)"
#define NO_DRIVER_DOMAINS "driver domains are not supported: domain 0 " \
	"(this host) is the backend of every domain's network interfaces " \
	"and disks; give the domain vif and disk entries, and use a vnet or " \
	"network-route to connect domains as a driver domain would"
	REFUSED("pci", NO_PCI), REFUSED("ioports", NO_PCI),
	REFUSED("irq", NO_PCI), REFUSED("backend", NO_DRIVER_DOMAINS),
	REFUSED("netif", NO_DRIVER_DOMAINS), REFUSED("blkif", NO_DRIVER_DOMAINS),
#undef NO_PCI
#undef NO_DRIVER_DOMAINS
#undef REFUSED
#undef OFF
#undef NOOFF
};

/* VNC authentication uses the first 8 characters of a password. */
#define DOMCFG_VNCPASS_LEN	8

/* Runtime fields of 'xm list -l' output, ignored when fed back. */
static const char *const dc_sxp_runtime[] = {
	"cpu_time", "domid", "id", "online_vcpus", "start_time", "state",
	"status", "up_time", "uuid", "ssidref",
	"console_port", "restart_count", "memory_target", "vcpus_online",
	"sched_credit", "sched_sedf", "shutdown_reason",
};

static const char *const dc_vif_ignored[] = {
	"accel", "backend", "uuid",
};

static const char *const dc_actions[] = {
	"destroy", "restart", "preserve", "rename-restart",
};

static const char *const dc_on_keys[] = {
	"on_poweroff", "on_reboot", "on_crash",
};

static const struct {
	const char	*name;
	const char	*actions[3];
} dc_restart[] = {
	{ "always", { "restart", "restart", "restart" } },
	{ "never", { "destroy", "destroy", "destroy" } },
	{ "onreboot", { "destroy", "restart", "destroy" } },
};

/* A build in progress. */
struct dc {
	const char	*file;
	const char	*base_dir;
	json_t		*config;
	json_t		*warnings;
	char		*cause;
	char		*maxmem_loc;	/* set when maxmem was given */
	char		*maxvcpus_loc;	/* set when maxvcpus was given */
	char		*restart_loc;	/* set when restart was given */
	int		 restart;	/* index into dc_restart */
	int		 have_on[3];
	long		 nics;		/* -1: not given */
	char		*nics_loc;
	int		 vnc_set;	/* vnc given (its default is the builder's) */
	int		 refused;	/* a DK_REFUSED key: DOMCFG_REFUSED */
};

static int
in_list(const char *s, const char *const *list, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(s, list[i]) == 0)
			return ((int)i);
	}
	return (-1);
}

/* Whether s is one of a DK_ENUM key's values; else *why says which are. */
static int
enum_ok(const struct dc_key *k, const char *s, char **why)
{
	json_t	*values = json_loads(k->values, 0, NULL);
	json_t	*v;
	size_t	 i;
	char	*list = NULL, *tmp;
	int	 found = 0;

	json_array_foreach(values, i, v) {
		if (strcmp(json_string_value(v), s) == 0)
			found = 1;
		tmp = list;
		list = xsprintf("%s%s%s", tmp != NULL ? tmp : "",
		    tmp != NULL ? ", " : "", json_string_value(v));
		free(tmp);
	}
	json_decref(values);
	if (found) {
		free(list);
		return (1);
	}
	*why = xsprintf("expected one of %s, got '%s'", list, s);
	free(list);
	return (0);
}

/* A short Python-like rendering of a value, for messages. */
static char *
value_repr(const json_t *v)
{
	const char	*s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		if (strlen(s) > 64)
			return (xsprintf("'%.60s...'", s));
		return (xsprintf("'%s'", s));
	case JSON_INTEGER:
		return (xsprintf("%lld", (long long)json_integer_value(v)));
	case JSON_REAL:
		return (xsprintf("%g", json_real_value(v)));
	case JSON_TRUE:
		return (xstrdup("True"));
	case JSON_FALSE:
		return (xstrdup("False"));
	case JSON_NULL:
		return (xstrdup("None"));
	case JSON_ARRAY:
		return (xstrdup("a list"));
	default:
		return (xstrdup("an object"));
	}
}

static int printflike(4, 5)
dc_error(struct dc *dc, const char *loc, const char *key, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (dc->cause != NULL)
		return (-1);
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (key != NULL)
		dc->cause = xsprintf("%s: %s: %s", loc, key, msg);
	else
		dc->cause = xsprintf("%s: %s", loc, msg);
	free(msg);
	return (-1);
}

/* "expected X, got <value>" */
static int
dc_type_error(struct dc *dc, const char *loc, const char *key,
    const char *what, const json_t *v)
{
	char	*r = value_repr(v);

	dc_error(dc, loc, key, "expected %s, got %s", what, r);
	free(r);
	return (-1);
}

static void printflike(3, 4)
dc_warn(struct dc *dc, const char *loc, const char *fmt, ...)
{
	va_list	 ap;
	char	*body, *msg, *p;
	json_t	*j;

	va_start(ap, fmt);
	xvasprintf(&body, fmt, ap);
	va_end(ap);
	msg = xsprintf("%s: %s", loc, body);
	free(body);
	if ((j = json_string(msg)) == NULL) {	/* odd bytes in a file name */
		for (p = msg; *p != '\0'; p++) {
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		}
		j = json_string(msg);
	}
	json_array_append_new(dc->warnings, j);
	free(msg);
}

/* A refused key (pci, backend, ...): the error says why and what instead. */
static int
dc_refuse(struct dc *dc, const char *loc, const struct dc_key *k)
{
	dc_error(dc, loc, k->name, "%s", k->help);
	dc->refused = 1;
	return (1);
}

/* ---- value checks shared by build and validate ---- */

static int
utf8_ok(const char *s)
{
	json_t	*probe = json_string(s);

	json_decref(probe);
	return (probe != NULL);
}

static int
has_ctrl(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return (1);
	}
	return (0);
}

/*
 * NULL if s is a good domain name, else why not.  Every command line and
 * file name must be able to carry a name as it is: so no leading '-' (an
 * option to xm), no '/' or '.'-only names (a path), no spaces or control
 * characters (a shell word, a log line).
 */
const char *
domcfg_name_problem(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n > 64)
		return ("must be 1 to 64 characters");
	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") != n)
		return ("may only contain letters, digits, '_', '.' and '-'");
	if (strchr("_.-", s[0]) != NULL)
		return ("must start with a letter or a digit");
	if (strspn(s, "0123456789") == n)
		return ("must not be all digits (it would read as a domain "
		    "id)");
	if (strcmp(s, "Domain-0") == 0)
		return ("is reserved for domain 0");
	return (NULL);
}

static int
ipv4_ok(const char *s)
{
	struct in_addr	 a;

	return (inet_pton(AF_INET, s, &a) == 1);
}

/* A vif's ip=: 1 to DOMCFG_VIF_IPS IPv4 addresses, space separated. */
static int
vif_ips_ok(const char *s)
{
	char	*copy, *w, *last;
	int	 n = 0, ok = 1;

	copy = xstrdup(s);
	for (w = strtok_r(copy, " ", &last); w != NULL && ok;
	    w = strtok_r(NULL, " ", &last))
		ok = ++n <= DOMCFG_VIF_IPS && ipv4_ok(w);
	free(copy);
	return (ok && n > 0);
}

static int
hostname_ok(const char *s)
{
	size_t	 n = strlen(s);

	return (n >= 1 && n <= 64 && s[0] != '-' && s[0] != '.' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == n);
}

static int
bridge_ok(const char *s)
{
	size_t	 n = strlen(s);

	return (n >= 1 && n <= 15 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n);
}

static int
hex_digit(int c)
{
	return ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F'));
}

/* NULL if s is a usable unicast MAC "xx:xx:xx:xx:xx:xx", else why not. */
static const char *
mac_problem(const char *s)
{
	int	 i;

	if (strlen(s) != 17)
		return ("expected six hex pairs like 00:16:3e:00:00:11");
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2 ? s[i] != ':' : !hex_digit((unsigned char)s[i]))
			return ("expected six hex pairs like 00:16:3e:00:00:11");
	}
	if (strtol(s, NULL, 16) & 1)
		return ("a multicast address cannot be used by an interface");
	if (strcmp(s, "00:00:00:00:00:00") == 0)
		return ("the all-zero address cannot be used");
	return (NULL);
}

/* vif options: the tap's name, the NIC model, the rate limit. */
static const char *
vifname_problem(const char *s)
{
	return (bridge_ok(s) ? NULL : "expected 1 to 15 letters, digits, "
	    "'_', '.' or '-'");
}

static const char *const vif_models[][2] = {
	{ "virtio", "virtio-net-pci" }, { "e1000", "e1000" },
	{ "rtl8139", "rtl8139" }, { "ne2k_pci", "ne2k_pci" },
};

static const char *
model_problem(const char *s)
{
	size_t	 i;

	for (i = 0; i < nitems(vif_models); i++)
		if (strcmp(s, vif_models[i][0]) == 0)
			return (NULL);
	return ("expected virtio, e1000, rtl8139 or ne2k_pci");
}

static const char *
rate_problem(const char *s)
{
	struct netrate	 r;
	char		*cause;

	if (netrate_parse(s, &r, &cause) == 0)
		return (NULL);
	free(cause);
	return ("expected a number, K, M or G, b or B, /s and optionally "
	    "@ an interval, like 10Mb/s or 1MB/s@20ms");
}

#define VOFF(f)	offsetof(struct domcfg_vif, f)
static const char *
antispoof_problem(const char *s)
{
	return (strcmp(s, "yes") == 0 || strcmp(s, "no") == 0 ? NULL :
	    "expected yes or no");
}

static const struct vif_opt {
	const char	*name;
	size_t		 off;		/* a char * in struct domcfg_vif */
	const char	*(*problem)(const char *);
	const char	*help;
} vif_opts[] = {
	{ "vifname", VOFF(vifname), vifname_problem,
	    "the host-side interface's name, in place of vif-prefix + domid "
	    "+ '.' + index" },
	{ "model", VOFF(model), model_problem,
	    "the NIC the guest sees: virtio (default), e1000, rtl8139 or "
	    "ne2k_pci" },
	{ "rate", VOFF(rate), rate_problem,
	    "a limit on what the guest sends and receives, as Xen wrote it "
	    "(10Mb/s, 1MB/s@20ms: over 20 ms windows), by nftables and tc "
	    "on the tap" },
	{ "antispoof", VOFF(antispoof), antispoof_problem,
	    "yes or no: whether what the guest sends must carry this vif's "
	    "MAC and addresses (default: xend-config's vif-antispoof)" },
};
#undef VOFF

static const struct vif_opt *
vif_opt_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(vif_opts); i++)
		if (strcmp(vif_opts[i].name, name) == 0)
			return (&vif_opts[i]);
	return (NULL);
}

static char **
vif_opt_field(const struct domcfg_vif *v, const struct vif_opt *o)
{
	return ((char **)((char *)v + o->off));
}

/* Random MACs in Xen's 00:16:3e range (xend: at create, so they persist). */
void
domcfg_fill_macs(struct domcfg *config)
{
	size_t	 i;
	unsigned char r[3];
	int	 fd;

	for (i = 0; i < config->nvifs; i++) {
		if (config->vifs[i].mac != NULL)
			continue;
		fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd == -1 || read(fd, r, sizeof r) != sizeof r)
			fatal("/dev/urandom");
		close(fd);
		config->vifs[i].mac = xsprintf("00:16:3e:%02x:%02x:%02x",
		    r[0] & 0x7f, r[1], r[2]);
	}
}

const char *
domcfg_vif_driver(const struct domcfg_vif *v)
{
	size_t	 i;

	for (i = 0; v->model != NULL && i < nitems(vif_models); i++)
		if (strcmp(v->model, vif_models[i][0]) == 0)
			return (vif_models[i][1]);
	return ("virtio-net-pci");
}

static int
dev_ok(const char *s)
{
	size_t	 n = strlen(s);

	return (n >= 2 && n <= 32 && s[0] >= 'a' && s[0] <= 'z' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789") == n);
}

/* A CPU list as xend will parse it ("all", "0-3,^1"); one CPU left. */
static int
cpus_ok(const char *s)
{
	cpu_set_t	 set;
	char		*cause = NULL;
	int		 r;

	r = cpulist_parse(s, CPU_SETSIZE, &set, &cause) == 0;
	free(cause);
	return (r);
}

/* ---- setters ---- */

static void
dc_set(struct dc *dc, const char *key, json_t *v)
{
	json_object_set_new(dc->config, key, v);
}

static int
dc_int(struct dc *dc, const char *loc, const struct dc_key *k,
    const json_t *v, long *out)
{
	long		 n;
	double		 d;
	const char	*s;
	char		*copy, *p, *e;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		if (json_integer_value(v) < LONG_MIN ||
		    json_integer_value(v) > LONG_MAX)
			return (dc_type_error(dc, loc, k->name, k->what, v));
		n = (long)json_integer_value(v);
		break;
	case JSON_REAL:
		d = json_real_value(v);
		if (!(d >= -1e15 && d <= 1e15) || d != (double)(long)d)
			return (dc_type_error(dc, loc, k->name, k->what, v));
		n = (long)d;
		break;
	case JSON_STRING:
		s = json_string_value(v);
		copy = xstrdup(s);
		for (p = copy; *p == ' ' || *p == '\t'; p++)
			;
		for (e = p + strlen(p); e > p && (e[-1] == ' ' ||
		    e[-1] == '\t'); e--)
			;
		*e = '\0';
		if (parse_long(p, LONG_MIN, LONG_MAX, &n) != 0) {
			free(copy);
			return (dc_type_error(dc, loc, k->name, k->what, v));
		}
		free(copy);
		break;
	default:
		return (dc_type_error(dc, loc, k->name, k->what, v));
	}
	if (n < k->min || n > k->max)
		return (dc_error(dc, loc, k->name, "must be from %ld to %ld%s, "
		    "got %ld", k->min, k->max, k->unit, n));
	*out = n;
	return (0);
}

/*
 * A string value.  Free-form strings also take integers: extra=4 on the
 * command line reads as a number.
 */
static int
dc_string(struct dc *dc, const char *loc, const char *key, const json_t *v,
    int numbers, char **out)
{
	if (numbers && json_is_integer(v)) {
		*out = xsprintf("%lld", (long long)json_integer_value(v));
		return (0);
	}
	if (!json_is_string(v))
		return (dc_type_error(dc, loc, key, "a string", v));
	*out = xstrdup(json_string_value(v));
	return (0);
}

static char *
resolve_path(const char *base_dir, const char *path)
{
	size_t	 n;

	if (path[0] == '/' || base_dir == NULL || *base_dir == '\0')
		return (xstrdup(path));
	n = strlen(base_dir);
	return (xsprintf("%s%s%s", base_dir, base_dir[n - 1] == '/' ? "" : "/",
	    path));
}

static json_t *
vif_new(void)
{
	json_t	*vif = json_object();

	json_object_set_new(vif, "mac", json_null());
	json_object_set_new(vif, "bridge", json_null());
	json_object_set_new(vif, "script", json_null());
	json_object_set_new(vif, "ip", json_null());
	return (vif);
}

/* One key=value of a vif, from a spec string or an SXP (vif ...). */
static int
vif_option(struct dc *dc, const char *loc, json_t *vif, const char *key,
    const char *value)
{
	const struct vif_opt *o;
	const char	*why;
	char		*mac, *p;
	json_t		*other;
	size_t		 i;

	/* HVM: type=ioemu is an emulated card; other types are the default. */
	if (strcmp(key, "type") == 0) {
		if (strcmp(value, "ioemu") == 0)
			json_object_set_new(vif, "type", json_string(value));
		else
			dc_warn(dc, loc, "vif: type '%s' is the default (a "
			    "virtio card) here", value);
		return (0);
	}
	if (in_list(key, dc_vif_ignored, nitems(dc_vif_ignored)) >= 0) {
		dc_warn(dc, loc, "vif: '%s' is not supported and was ignored",
		    key);
		return (0);
	}
	if (strcmp(key, "mac") == 0) {
		if ((why = mac_problem(value)) != NULL)
			return (dc_error(dc, loc, "vif", "invalid MAC address "
			    "'%s': %s", value, why));
		mac = xstrdup(value);
		for (p = mac; *p != '\0'; p++) {
			if (*p >= 'A' && *p <= 'F')
				*p += 'a' - 'A';
		}
		json_array_foreach(json_object_get(dc->config, "vifs"), i,
		    other) {
			if (other != vif && json_is_string(json_object_get(
			    other, "mac")) && strcmp(json_string_value(
			    json_object_get(other, "mac")), mac) == 0) {
				dc_error(dc, loc, "vif", "MAC address %s is "
				    "given twice", mac);
				free(mac);
				return (-1);
			}
		}
		json_object_set_new(vif, "mac", json_string(mac));
		free(mac);
	} else if (strcmp(key, "bridge") == 0) {
		if (!bridge_ok(value))
			return (dc_error(dc, loc, "vif", "invalid bridge name "
			    "'%s'", value));
		json_object_set_new(vif, "bridge", json_string(value));
	} else if (strcmp(key, "script") == 0) {
		if (*value == '\0' || has_ctrl(value))
			return (dc_error(dc, loc, "vif", "invalid script '%s'",
			    value));
		json_object_set_new(vif, "script", json_string(value));
	} else if (strcmp(key, "ip") == 0) {
		if (!vif_ips_ok(value))
			return (dc_error(dc, loc, "vif", "expected IPv4 "
			    "addresses (at most %d, space separated) for ip, "
			    "got '%s'", DOMCFG_VIF_IPS, value));
		json_object_set_new(vif, "ip", json_string(value));
	} else if ((o = vif_opt_find(key)) != NULL) {
		if ((why = o->problem(value)) != NULL)
			return (dc_error(dc, loc, "vif", "invalid %s '%s': %s",
			    key, value, why));
		json_object_set_new(vif, key, json_string(value));
	} else
		dc_warn(dc, loc, "vif: unknown option '%s' ignored", key);
	return (0);
}

static int
vif_add(struct dc *dc, const char *loc, json_t *vif)
{
	json_t	*vifs = json_object_get(dc->config, "vifs");

	if (json_array_size(vifs) >= DOMCFG_MAX_VIFS) {
		json_decref(vif);
		return (dc_error(dc, loc, "vif", "too many interfaces (more "
		    "than %d)", DOMCFG_MAX_VIFS));
	}
	json_array_append_new(vifs, vif);
	return (0);
}

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = '\0';
	return (s);
}

/* 'mac=aa:00:00:00:00:11, bridge=xen-br0'; '' is a default vif. */
static int
vif_spec(struct dc *dc, const char *loc, const char *spec)
{
	char	*copy, *item, *next, *eq, *key;
	json_t	*vif = vif_new();

	/* Added first so that duplicate MACs are found against the rest. */
	if (vif_add(dc, loc, vif) != 0)
		return (-1);
	copy = xstrdup(spec);
	for (item = copy; item != NULL; item = next) {
		if ((next = strchr(item, ',')) != NULL)
			*next++ = '\0';
		item = trim(item);
		if (*item == '\0')
			continue;
		if ((eq = strchr(item, '=')) == NULL) {
			dc_error(dc, loc, "vif", "expected key=value, got '%s' "
			    "in '%s'", item, spec);
			free(copy);
			return (-1);
		}
		*eq = '\0';
		key = trim(item);
		if (vif_option(dc, loc, vif, key, trim(eq + 1)) != 0) {
			free(copy);
			return (-1);
		}
	}
	free(copy);
	return (0);
}

/* uname, dev and mode of one disk, from a spec string or an SXP (vbd). */
static int
disk_add(struct dc *dc, const char *loc, const char *uname, const char *dev,
    const char *mode, const char *spec)
{
	json_t		*disks = json_object_get(dc->config, "disks"), *d;
	char		*path, *canon;
	const char	*colon;
	size_t		 i;
	int		 qcow;

	/* 3.0 blktap: tap:aio:X is file:X; later Xen's tap:qcow2:X qcow2:X */
	if (strncmp(uname, "file:", 5) == 0 ||
	    strncmp(uname, "tap:aio:", 8) == 0 ||
	    strncmp(uname, "qcow2:", 6) == 0 ||
	    strncmp(uname, "tap:qcow2:", 10) == 0) {
		qcow = strncmp(uname, "qcow2:", 6) == 0 ||
		    strncmp(uname, "tap:qcow2:", 10) == 0;
		uname = strchr(uname + 4, ':') + 1;
		if (*uname == '\0')
			return (dc_error(dc, loc, "disk", "no path in '%s'",
			    spec));
		path = resolve_path(dc->base_dir, uname);
		canon = xsprintf("%s:%s", qcow ? "qcow2" : "file", path);
		free(path);
	} else if (strncmp(uname, "phy:", 4) == 0) {
		if (uname[4] == '\0')
			return (dc_error(dc, loc, "disk", "no device in '%s'",
			    spec));
		canon = xsprintf("phy:%s%s", uname[4] == '/' ? "" : "/dev/",
		    uname + 4);
	} else if ((colon = strchr(strncmp(uname, "tap:", 4) == 0 ?
	    uname + 4 : uname, ':')) != NULL) {
		return (dc_error(dc, loc, "disk", "unsupported disk type "
		    "'%.*s' in '%s' (use file:, phy:, qcow2: or tap:aio:)",
		    (int)(colon - uname), uname, spec));
	} else
		return (dc_error(dc, loc, "disk", "expected file:, phy: or "
		    "tap:aio: before '%s' in '%s'", uname, spec));
	if (has_ctrl(canon) || !utf8_ok(canon)) {
		free(canon);
		return (dc_error(dc, loc, "disk", "control character or bad "
		    "UTF-8 in '%s'", spec));
	}

	if (strncmp(dev, "ioemu:", 6) == 0)
		dev += 6;	/* 3.0 HVM form: every disk is emulated here */
	if (strncmp(dev, "/dev/", 5) == 0)
		dev += 5;
	if (!dev_ok(dev)) {
		free(canon);
		return (dc_error(dc, loc, "disk", "invalid device name '%s' in "
		    "'%s'", dev, spec));
	}
	if (strcmp(mode, "r") != 0 && strcmp(mode, "w") != 0 &&
	    strcmp(mode, "w!") != 0) {
		free(canon);
		return (dc_error(dc, loc, "disk", "mode must be r, w or w!, "
		    "got '%s' in '%s'", mode, spec));
	}
	json_array_foreach(disks, i, d) {
		if (strcmp(json_string_value(json_object_get(d, "dev")),
		    dev) == 0) {
			free(canon);
			return (dc_error(dc, loc, "disk", "device %s is given "
			    "twice", dev));
		}
	}
	if (json_array_size(disks) >= DOMCFG_MAX_DISKS) {
		free(canon);
		return (dc_error(dc, loc, "disk", "too many disks (more than "
		    "%d)", DOMCFG_MAX_DISKS));
	}
	d = json_object();
	json_object_set_new(d, "uname", json_string(canon));
	json_object_set_new(d, "dev", json_string(dev));
	json_object_set_new(d, "mode", json_string(mode));
	json_array_append_new(disks, d);
	free(canon);
	return (0);
}

/* 'file:/path,sda1,w' */
static int
disk_spec(struct dc *dc, const char *loc, const char *spec)
{
	char	*copy, *f[3], *p;
	int	 n = 0, r;

	copy = xstrdup(spec);
	for (p = copy; n < 3; n++) {
		f[n] = p;
		if ((p = strchr(p, ',')) == NULL) {
			n++;
			break;
		}
		*p++ = '\0';
	}
	if (n != 3 || p != NULL) {
		free(copy);
		return (dc_error(dc, loc, "disk", "expected 'type:path,device,"
		    "mode', got '%s'", spec));
	}
	r = disk_add(dc, loc, trim(f[0]), trim(f[1]), trim(f[2]), spec);
	free(copy);
	return (r);
}

/*
 * One disk line as the config's disk entry (xm block-attach, and xend
 * checking what it is sent): paths relative to base_dir.
 */
json_t *
domcfg_disk(const char *uname, const char *dev, const char *mode,
    const char *base_dir, char **cause)
{
	struct dc	 dc;
	json_t		*d;
	char		*spec;

	memset(&dc, 0, sizeof dc);
	dc.base_dir = base_dir;
	dc.config = json_pack("{s:[]}", "disks");
	spec = xsprintf("%s,%s,%s", uname, dev, mode);
	if (disk_add(&dc, "-", uname, dev, mode, spec) != 0) {
		/* "-: disk: why" without the location a file would give. */
		*cause = xstrdup(dc.cause + 3);
		free(dc.cause);
		free(spec);
		json_decref(dc.config);
		return (NULL);
	}
	free(spec);
	d = json_incref(json_array_get(json_object_get(dc.config, "disks"), 0));
	json_decref(dc.config);
	return (d);
}

/* A list of spec strings, or a single string (a command-line override). */
static int
dc_specs(struct dc *dc, const char *loc, const char *key, const json_t *v,
    int (*fn)(struct dc *, const char *, const char *))
{
	size_t	 i;
	json_t	*item;
	char	*r;

	if (json_is_string(v))
		return (fn(dc, loc, json_string_value(v)));
	if (!json_is_array(v))
		return (dc_type_error(dc, loc, key, "a list of strings", v));
	json_array_foreach(v, i, item) {
		if (!json_is_string(item)) {
			r = value_repr(item);
			dc_error(dc, loc, key, "expected a list of strings, "
			    "got %s in the list", r);
			free(r);
			return (-1);
		}
		if (fn(dc, loc, json_string_value(item)) != 0)
			return (-1);
	}
	return (0);
}

static int
dc_cpus(struct dc *dc, const char *loc, const json_t *v)
{
	char		*s = NULL, *tmp, *p, *q;
	size_t		 i;
	json_t		*item;
	const char	*what = "a CPU list like '0-3,^1' or 'all'";

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 ||
		    json_integer_value(v) > DOMCFG_MAX_CPU)
			return (dc_type_error(dc, loc, "cpus", what, v));
		s = xsprintf("%lld", (long long)json_integer_value(v));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item) {
			if (!json_is_integer(item) ||
			    json_integer_value(item) < 0 ||
			    json_integer_value(item) > DOMCFG_MAX_CPU) {
				free(s);
				return (dc_type_error(dc, loc, "cpus", what,
				    v));
			}
			tmp = xsprintf("%s%s%lld", s == NULL ? "" : s,
			    s == NULL ? "" : ",",
			    (long long)json_integer_value(item));
			free(s);
			s = tmp;
		}
		if (s == NULL)
			return (dc_type_error(dc, loc, "cpus", what, v));
	} else if (json_is_string(v)) {
		s = xstrdup(json_string_value(v));
		for (p = q = s; *p != '\0'; p++) {	/* drop blanks */
			if (*p != ' ' && *p != '\t')
				*q++ = *p;
		}
		*q = '\0';
		if (*s == '\0') {
			free(s);
			dc_set(dc, "cpus", json_null());
			return (0);
		}
	} else
		return (dc_type_error(dc, loc, "cpus", what, v));
	if (!cpus_ok(s)) {
		free(s);
		return (dc_type_error(dc, loc, "cpus", what, v));
	}
	dc_set(dc, "cpus", json_string(s));
	free(s);
	return (0);
}

/* vnc = 1: 0/1, True/False, or "yes"/"no" from SXP or the command line. */
static int
dc_bool(struct dc *dc, const char *loc, const struct dc_key *k,
    const json_t *v)
{
	const char	*s;
	int		 b;

	if (json_is_boolean(v))
		b = json_is_true(v);
	else if (json_is_integer(v) && (json_integer_value(v) == 0 ||
	    json_integer_value(v) == 1))
		b = json_integer_value(v) == 1;
	else if (json_is_string(v)) {
		s = json_string_value(v);
		if (strcmp(s, "1") == 0 || strcasecmp(s, "yes") == 0 ||
		    strcasecmp(s, "true") == 0)
			b = 1;
		else if (strcmp(s, "0") == 0 || strcasecmp(s, "no") == 0 ||
		    strcasecmp(s, "false") == 0)
			b = 0;
		else
			return (dc_type_error(dc, loc, k->name, k->what, v));
	} else
		return (dc_type_error(dc, loc, k->name, k->what, v));
	if (strcmp(k->name, "vnc") == 0)
		dc->vnc_set = 1;
	dc_set(dc, k->name, json_boolean(b));
	return (0);
}

/* Sets one key of the canonical config from a variable or SXP value. */
static int
dc_key_set(struct dc *dc, const char *loc, const struct dc_key *k,
    const json_t *v)
{
	char		*s, *why_enum;
	const char	*why;
	long		 n;
	int		 i;

	switch (k->type) {
	case DK_INT:
		if (dc_int(dc, loc, k, v, &n) != 0)
			return (-1);
		if (strcmp(k->name, "maxmem") == 0) {
			free(dc->maxmem_loc);
			dc->maxmem_loc = xstrdup(loc);
		}
		if (strcmp(k->name, "maxvcpus") == 0) {
			free(dc->maxvcpus_loc);
			dc->maxvcpus_loc = xstrdup(loc);
		}
		dc_set(dc, k->name, json_integer(n));
		return (0);
	case DK_NICS:
		if (dc_int(dc, loc, k, v, &dc->nics) != 0)
			return (-1);
		free(dc->nics_loc);
		dc->nics_loc = xstrdup(loc);
		return (0);
	case DK_CPUS:
		return (dc_cpus(dc, loc, v));
	case DK_BOOL:
		return (dc_bool(dc, loc, k, v));
	case DK_DISK:
		json_array_clear(json_object_get(dc->config, "disks"));
		return (dc_specs(dc, loc, "disk", v, disk_spec));
	case DK_VIF:
		json_array_clear(json_object_get(dc->config, "vifs"));
		return (dc_specs(dc, loc, "vif", v, vif_spec));
	default:
		break;
	}

	/* The rest are strings. */
	if (dc_string(dc, loc, k->name, v, k->type == DK_STR ||
	    k->type == DK_NAME || k->type == DK_HOST ||
	    k->type == DK_VNCPASS, &s) != 0)
		return (-1);
	if (has_ctrl(s)) {
		free(s);
		return (dc_error(dc, loc, k->name, "must not contain control "
		    "characters"));
	}
	if (*s == '\0' && (k->flags & DF_NULL)) {
		free(s);		/* ip = "" as in the manual: unset */
		dc_set(dc, k->name, json_null());
		return (0);
	}
	switch (k->type) {
	case DK_NAME:
		if ((why = domcfg_name_problem(s)) != NULL) {
			dc_error(dc, loc, k->name, "invalid domain name '%s': "
			    "%s", s, why);
			goto fail;
		}
		break;
	case DK_BUILDER:
		if (strcmp(s, "vmx") == 0) {	/* Xen 3.0's name */
			free(s);
			s = xstrdup("hvm");
		}
		if (strcmp(s, "linux") != 0 && strcmp(s, "hvm") != 0) {
			dc_error(dc, loc, k->name, "expected linux or hvm (3.0: "
			    "vmx), got '%s'", s);
			goto fail;
		}
		break;
	case DK_PATH:
		if (*s == '\0') {
			dc_error(dc, loc, k->name, "empty path");
			goto fail;
		}
		{
			char	*abs = resolve_path(dc->base_dir, s);

			free(s);
			s = abs;
		}
		if (!utf8_ok(s)) {
			dc_error(dc, loc, k->name, "path is not valid UTF-8");
			goto fail;
		}
		break;
	case DK_ADDR:
		if (!ipv4_ok(s)) {
			dc_error(dc, loc, k->name, "expected an IPv4 address "
			    "like 10.0.0.2, got '%s'", s);
			goto fail;
		}
		break;
	case DK_HOST:
		if (!hostname_ok(s)) {
			dc_error(dc, loc, k->name, "invalid host name '%s'", s);
			goto fail;
		}
		break;
	case DK_DHCP:
		if (strcmp(s, "dhcp") != 0 && strcmp(s, "off") != 0) {
			dc_error(dc, loc, k->name, "expected 'dhcp' or 'off', "
			    "got '%s'", s);
			goto fail;
		}
		break;
	case DK_VNCPASS:
		if (strlen(s) > DOMCFG_VNCPASS_LEN)
			dc_warn(dc, loc, "%s: VNC uses only the first %d "
			    "characters of a password", k->name,
			    DOMCFG_VNCPASS_LEN);
		break;
	case DK_NOSPACE:
		if (strpbrk(s, " \t") != NULL) {
			dc_error(dc, loc, k->name, "must not contain spaces, "
			    "got '%s'", s);
			goto fail;
		}
		break;
	case DK_ENUM:
		if (!enum_ok(k, s, &why_enum)) {
			dc_error(dc, loc, k->name, "%s", why_enum);
			free(why_enum);
			goto fail;
		}
		break;
	case DK_ACTION:
		if (in_list(s, dc_actions, nitems(dc_actions)) < 0) {
			dc_error(dc, loc, k->name, "expected destroy, restart, "
			    "preserve or rename-restart, got '%s'", s);
			goto fail;
		}
		i = in_list(k->name, dc_on_keys, nitems(dc_on_keys));
		dc->have_on[i] = 1;
		break;
	case DK_RESTART:
		for (i = 0; i < (int)nitems(dc_restart); i++) {
			if (strcmp(s, dc_restart[i].name) == 0)
				break;
		}
		if (i == (int)nitems(dc_restart)) {
			dc_error(dc, loc, k->name, "expected always, never or "
			    "onreboot, got '%s'", s);
			goto fail;
		}
		dc->restart = i;
		free(dc->restart_loc);
		dc->restart_loc = xstrdup(loc);
		free(s);
		return (0);
	default:
		break;
	}
	dc_set(dc, k->name, json_string(s));
	free(s);
	return (0);
fail:
	free(s);
	return (-1);
}

static const char *
dc_config_name(const struct dc_key *k)
{
	return (k->config != NULL ? k->config : k->name);
}

static const char *
dc_sxp_name(const struct dc_key *k)
{
	return (k->sxp != NULL ? k->sxp : k->name);
}

/* A key by its name in a file. */
static const struct dc_key *
dc_key_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(dc_keys); i++) {
		if (strcmp(dc_keys[i].name, name) == 0)
			return (&dc_keys[i]);
	}
	return (NULL);
}

/* A key by its name in SXP, in one place of (vm ...). */
static const struct dc_key *
dc_key_sxp(const char *name, enum dk_sxp where)
{
	size_t	 i;

	for (i = 0; i < nitems(dc_keys); i++) {
		if (dc_keys[i].where == where &&
		    strcmp(dc_sxp_name(&dc_keys[i]), name) == 0)
			return (&dc_keys[i]);
	}
	return (NULL);
}

/* A key by its name in the JSON config. */
static const struct dc_key *
dc_key_config(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(dc_keys); i++) {
		if (!(dc_keys[i].flags & DF_NOCONFIG) &&
		    strcmp(dc_config_name(&dc_keys[i]), name) == 0)
			return (&dc_keys[i]);
	}
	return (NULL);
}

static json_t *
dc_default(const struct dc_key *k)
{
	return (json_loads(k->def, JSON_DECODE_ANY, NULL));
}

/* Whether a key's value is absent or its default. */
static int
dc_is_default(const struct dc_key *k, const json_t *v)
{
	json_t	*def;
	int	 same;

	if (v == NULL)
		return (1);
	def = dc_default(k);
	same = json_equal(v, def);
	json_decref(def);
	return (same);
}

static json_t *
dc_defaults(void)
{
	json_t	*c = json_object();
	size_t	 i;

	for (i = 0; i < nitems(dc_keys); i++) {
		if (!(dc_keys[i].flags & DF_NOCONFIG))
			json_object_set_new(c, dc_config_name(&dc_keys[i]),
			    dc_default(&dc_keys[i]));
	}
	return (c);
}

static void
dc_init(struct dc *dc, const char *file, const char *base_dir,
    json_t **warnings)
{
	memset(dc, 0, sizeof *dc);
	dc->file = file != NULL ? file : "<config>";
	dc->base_dir = base_dir;
	dc->config = dc_defaults();
	dc->warnings = warnings != NULL && *warnings != NULL ?
	    json_incref(*warnings) : json_array();
	dc->restart = -1;
	dc->nics = -1;
}

/* Hands the warnings over (on failure too) and frees the rest. */
static void
dc_done(struct dc *dc, json_t **warnings)
{
	if (warnings != NULL && *warnings == NULL)
		*warnings = dc->warnings;
	else
		json_decref(dc->warnings);	/* a caller's array: its ref */
	free(dc->maxmem_loc);
	free(dc->maxvcpus_loc);
	free(dc->restart_loc);
	free(dc->nics_loc);
}

/*
 * Keys of the other builder (cdrom for a linux domain, root for an HVM
 * one) set to other than their default: said, and left to no effect.
 */
static void
dc_builder_keys(struct dc *dc, int hvm)
{
	const struct dc_key	*k;
	size_t			 i;

	for (i = 0; i < nitems(dc_keys); i++) {
		k = &dc_keys[i];
		if ((k->builders & (hvm ? DB_HVM : DB_LINUX)) ||
		    (k->flags & DF_NOCONFIG) || k->def == NULL ||
		    strcmp(k->name, "kernel") == 0)
			continue;
		if (!dc_is_default(k, json_object_get(dc->config,
		    dc_config_name(k))))
			dc_warn(dc, dc->file, "%s applies to builder %s only; "
			    "ignored", k->name, hvm ? "linux" : "hvm");
	}
}

/* Cross-key rules and required keys, then hands the results over. */
static int
dc_finish(struct dc *dc, int failed, json_t **config, json_t **warnings,
    char **cause)
{
	json_t		*c = dc->config, *vifs, *v;
	long long	 memory, maxmem;
	char		 over[64];
	size_t		 i;
	int		 hvm;

	if (failed)
		goto fail;
	if (json_is_null(json_object_get(c, "name"))) {
		dc_error(dc, dc->file, "name", "not set");
		goto fail;
	}
	hvm = strcmp(json_string_value(json_object_get(c, "builder")),
	    "hvm") == 0;
	/* The manual's HVM configs name the firmware loader; it may go. */
	if (hvm && json_is_null(json_object_get(c, "kernel")))
		json_object_set_new(c, "kernel",
		    json_string("/usr/lib/xen/boot/hvmloader"));
	if (json_is_null(json_object_get(c, "kernel"))) {
		dc_error(dc, dc->file, "kernel", "not set");
		goto fail;
	}
	/* A screen by default for a whole PC (3.0: vnc = 1). */
	if (hvm && !dc->vnc_set)
		json_object_set_new(c, "vnc", json_true());
	dc_builder_keys(dc, hvm);

	memory = json_integer_value(json_object_get(c, "memory"));
	if (dc->maxmem_loc == NULL)
		json_object_set_new(c, "maxmem", json_integer(memory));
	else {
		maxmem = json_integer_value(json_object_get(c, "maxmem"));
		if (maxmem < memory) {
			dc_error(dc, dc->maxmem_loc, "maxmem", "must be at "
			    "least memory (%lld MB), got %lld", memory, maxmem);
			goto fail;
		}
	}
	v = json_object_get(c, "maxvcpus");
	if (dc->maxvcpus_loc != NULL && json_is_integer(v) &&
	    json_integer_value(v) < json_integer_value(json_object_get(c,
	    "vcpus"))) {
		dc_error(dc, dc->maxvcpus_loc, "maxvcpus", "must be at least "
		    "vcpus (%lld), got %lld", (long long)json_integer_value(
		    json_object_get(c, "vcpus")), (long long)json_integer_value(
		    v));
		goto fail;
	}

	vifs = json_object_get(c, "vifs");
	if (dc->nics >= 0) {
		if ((size_t)dc->nics < json_array_size(vifs))
			dc_warn(dc, dc->nics_loc, "nics = %ld but vif lists "
			    "%zu interfaces: using %zu", dc->nics,
			    json_array_size(vifs), json_array_size(vifs));
		while (json_array_size(vifs) < (size_t)dc->nics)
			json_array_append_new(vifs, vif_new());
	}

	if (dc->restart >= 0) {
		over[0] = '\0';
		for (i = 0; i < nitems(dc_on_keys); i++) {
			if (dc->have_on[i]) {
				snprintf(over + strlen(over), sizeof over -
				    strlen(over), "%s%s", over[0] == '\0' ?
				    "" : ", ", dc_on_keys[i]);
				continue;
			}
			json_object_set_new(c, dc_on_keys[i], json_string(
			    dc_restart[dc->restart].actions[i]));
		}
		if (over[0] != '\0')
			dc_warn(dc, dc->restart_loc, "restart = '%s' is "
			    "overridden by %s", dc_restart[dc->restart].name,
			    over);
	}

	if (json_is_string(json_object_get(c, "dhcp")) &&
	    strcmp(json_string_value(json_object_get(c, "dhcp")), "dhcp") ==
	    0 && json_is_string(json_object_get(c, "ip"))) {
		dc_warn(dc, dc->file, "ip is ignored because dhcp = 'dhcp'");
		/* Ignored means gone: not in xm create -n nor xm list -l. */
		json_object_set_new(c, "ip", json_null());
	}

	*config = c;
	dc_done(dc, warnings);
	return (0);

fail:
	json_decref(c);
	dc_done(dc, warnings);
	*cause = dc->cause != NULL ? dc->cause : xsprintf("%s: invalid "
	    "configuration", dc->file);
	return (dc->refused ? DOMCFG_REFUSED : -1);
}

int
domcfg_build(const json_t *vars, const json_t *meta, const char *file,
    const char *base_dir, json_t **config, json_t **warnings, char **cause)
{
	struct dc		 dc;
	const json_t		*lines, *helpers, *line;
	const char		*key;
	json_t			*v;
	const struct dc_key	*k;
	char			*loc;
	int			 failed = 0;

	dc_init(&dc, file, base_dir, warnings);
	if (!json_is_object(vars)) {
		dc_error(&dc, dc.file, NULL, "configuration is not a set of "
		    "variables");
		return (dc_finish(&dc, 1, config, warnings, cause));
	}
	lines = json_object_get(meta, "lines");
	helpers = json_object_get(meta, "helpers");

	json_object_foreach((json_t *)vars, key, v) {
		line = json_object_get(lines, key);
		if (json_is_integer(line))
			loc = xsprintf("%s:%lld", dc.file,
			    (long long)json_integer_value(line));
		else
			loc = xstrdup(dc.file);
		if ((k = dc_key_find(key)) != NULL && k->type == DK_IGNORED)
			dc_warn(&dc, loc, "'%s' is not supported and was "
			    "ignored", key);
		else if (k != NULL && k->type == DK_REFUSED) {
			/* pci = [] asks for nothing. */
			if (!json_is_null(v) && !json_is_false(v) &&
			    !(json_is_array(v) && json_array_size(v) == 0) &&
			    !(json_is_integer(v) && json_integer_value(v) ==
			    0) && !(json_is_string(v) &&
			    *json_string_value(v) == '\0'))
				failed = dc_refuse(&dc, loc, k);
		} else if (k != NULL) {
			if (!json_is_null(v) && dc_key_set(&dc, loc, k, v) != 0)
				failed = 1;
		}
		else if (key[0] != '_' && json_object_get(helpers, key) == NULL)
			dc_warn(&dc, loc, "unknown variable '%s' ignored", key);
		free(loc);
		if (failed)
			break;
	}
	return (dc_finish(&dc, failed, config, warnings, cause));
}

/* ---- SXP ---- */

/* The value of (key value) as a JSON string, or an error. */
static json_t *
sxp_value(struct dc *dc, const char *loc, const struct sxp *item,
    const char *key)
{
	json_t	*v;

	if (item->n != 2 || item->items[1]->type != SXP_ATOM) {
		dc_error(dc, loc, key, "expected (%s value)", key);
		return (NULL);
	}
	if ((v = json_string(item->items[1]->atom)) == NULL)
		dc_error(dc, loc, key, "value is not valid UTF-8");
	return (v);
}

static int
sxp_set(struct dc *dc, const char *loc, const struct dc_key *k,
    const struct sxp *item)
{
	json_t	*v;
	int	 r;

	if ((v = sxp_value(dc, loc, item, k->name)) == NULL)
		return (-1);
	r = dc_key_set(dc, loc, k, v);
	json_decref(v);
	return (r);
}

static char *
sxp_loc(struct dc *dc, const struct sxp *x)
{
	return (xsprintf("%s:%d", dc->file, x->line));
}

static int
sxp_image(struct dc *dc, const struct sxp *image)
{
	const struct sxp	*linux_, *item;
	const struct dc_key	*k;
	const char		*name;
	char			*loc = sxp_loc(dc, image);
	size_t			 i;
	int			 r = -1;

	if (image->n != 2 || (name = sxp_name(image->items[1])) == NULL) {
		dc_error(dc, loc, "image", "expected (image (linux ...))");
		goto out;
	}
	if (strcmp(name, "hvm") == 0 || strcmp(name, "vmx") == 0)
		dc_set(dc, "builder", json_string("hvm"));
	else if (strcmp(name, "linux") != 0) {
		dc_error(dc, loc, "image", "unsupported image type '%s' (linux "
		    "or hvm)", name);
		goto out;
	}
	linux_ = image->items[1];
	for (i = 1; i < linux_->n; i++) {
		item = linux_->items[i];
		free(loc);
		loc = sxp_loc(dc, item);
		if ((name = sxp_name(item)) == NULL) {
			dc_error(dc, loc, "image", "expected (name value)");
			goto out;
		}
		if ((k = dc_key_sxp(name, DS_IMAGE)) != NULL) {
			if (sxp_set(dc, loc, k, item) != 0)
				goto out;
		} else
			dc_warn(dc, loc, "image: unknown option '%s' ignored",
			    name);
	}
	r = 0;
out:
	free(loc);
	return (r);
}

/* (name value) with an atom value in valid UTF-8, as JSON needs. */
static int
sxp_pair(struct dc *dc, const char *loc, const char *what,
    const struct sxp *item)
{
	json_t	*probe;

	if (sxp_name(item) == NULL || item->n != 2 ||
	    item->items[1]->type != SXP_ATOM)
		return (dc_error(dc, loc, what, "expected (name value)"));
	if ((probe = json_string(item->items[1]->atom)) == NULL)
		return (dc_error(dc, loc, what, "%s: value is not valid UTF-8",
		    sxp_name(item)));
	json_decref(probe);
	return (0);
}

static int
sxp_device(struct dc *dc, const struct sxp *device)
{
	const struct sxp	*dev, *item;
	const struct dc_key	*k;
	const char		*type, *name, *uname, *d, *mode;
	char			*loc = sxp_loc(dc, device), *spec;
	json_t			*vif;
	size_t			 i;
	int			 r = -1;

	if (device->n != 2 || (type = sxp_name(device->items[1])) == NULL) {
		dc_error(dc, loc, "device", "expected (device (vbd ...)) or "
		    "(device (vif ...))");
		goto out;
	}
	dev = device->items[1];
	if (strcmp(type, "vbd") == 0) {
		for (i = 1; i < dev->n; i++) {
			if (sxp_pair(dc, loc, "vbd", dev->items[i]) != 0)
				goto out;
			name = sxp_name(dev->items[i]);
			if (strcmp(name, "uname") != 0 &&
			    strcmp(name, "dev") != 0 &&
			    strcmp(name, "mode") != 0)
				dc_warn(dc, loc, "vbd: unknown option '%s' "
				    "ignored", name);
		}
		uname = sxp_child_value(dev, "uname", NULL);
		d = sxp_child_value(dev, "dev", NULL);
		mode = sxp_child_value(dev, "mode", NULL);
		if (uname == NULL || d == NULL || mode == NULL) {
			dc_error(dc, loc, "vbd", "needs uname, dev and mode");
			goto out;
		}
		spec = xsprintf("%s,%s,%s", uname, d, mode);
		r = disk_add(dc, loc, uname, d, mode, spec);
		free(spec);
		goto out;
	}
	if (strcmp(type, "vif") == 0) {
		vif = vif_new();
		if (vif_add(dc, loc, vif) != 0)
			goto out;
		for (i = 1; i < dev->n; i++) {
			item = dev->items[i];
			if (sxp_pair(dc, loc, "vif", item) != 0)
				goto out;
			name = sxp_name(item);
			if (vif_option(dc, loc, vif, name,
			    item->items[1]->atom) != 0)
				goto out;
		}
		r = 0;
		goto out;
	}
	if ((k = dc_key_find(type)) != NULL && k->type == DK_REFUSED) {
		dc_refuse(dc, loc, k);
		goto out;
	}
	dc_warn(dc, loc, "device type '%s' is not supported and was ignored",
	    type);
	r = 0;
out:
	free(loc);
	return (r);
}

int
domcfg_from_sxp(const struct sxp *vm, const char *file, json_t **config,
    json_t **warnings, char **cause)
{
	struct dc		 dc;
	const struct sxp	*item;
	const struct dc_key	*k;
	const char		*name;
	char			*loc;
	size_t			 i;
	int			 failed = 0;

	dc_init(&dc, file, NULL, warnings);
	/* A whole parsed file holding one (vm ...) will do too. */
	if (vm != NULL && vm->type == SXP_LIST && sxp_name(vm) == NULL &&
	    vm->n == 1)
		vm = vm->items[0];
	if (vm == NULL || (name = sxp_name(vm)) == NULL ||
	    strcmp(name, "vm") != 0) {
		dc_error(&dc, dc.file, NULL, "expected one (vm ...) "
		    "expression");
		return (dc_finish(&dc, 1, config, warnings, cause));
	}
	for (i = 1; i < vm->n && !failed; i++) {
		item = vm->items[i];
		loc = sxp_loc(&dc, item);
		if ((name = sxp_name(item)) == NULL) {
			dc_error(&dc, loc, NULL, "expected (name value) inside "
			    "(vm ...)");
			failed = 1;
		} else if (strcmp(name, "image") == 0)
			failed = sxp_image(&dc, item) != 0;
		else if (strcmp(name, "device") == 0 || strcmp(name, "dev") == 0)
			failed = sxp_device(&dc, item) != 0;
		else if ((k = dc_key_sxp(name, DS_TOP)) != NULL)
			failed = sxp_set(&dc, loc, k, item) != 0;
		else if ((k = dc_key_find(name)) != NULL &&
		    k->type == DK_REFUSED)
			failed = dc_refuse(&dc, loc, k);
		else if (in_list(name, dc_sxp_runtime,
		    nitems(dc_sxp_runtime)) >= 0)
			dc_warn(&dc, loc, "'%s' is not a configuration option "
			    "and was ignored", name);
		else
			dc_warn(&dc, loc, "unknown option '%s' ignored", name);
		free(loc);
	}
	return (dc_finish(&dc, failed, config, warnings, cause));
}

static void
sxp_add_json(struct sxp *list, const char *name, const json_t *v)
{
	char	 num[32];

	if (json_is_string(v))
		sxp_add_pair(list, name, json_string_value(v));
	else if (json_is_integer(v)) {
		snprintf(num, sizeof num, "%lld",
		    (long long)json_integer_value(v));
		sxp_add_pair(list, name, num);
	}
}

/* The keys of one place of (vm ...), in the schema's order. */
static void
sxp_add_keys(struct sxp *list, const json_t *c, enum dk_sxp where)
{
	const struct dc_key	*k;
	const json_t		*v;
	size_t			 i;

	for (i = 0; i < nitems(dc_keys); i++) {
		k = &dc_keys[i];
		if (k->where != where || (k->flags & (DF_SXP_IN | DF_NOCONFIG)))
			continue;
		v = json_object_get(c, dc_config_name(k));
		if ((k->flags & DF_SXP_SET) && dc_is_default(k, v))
			continue;
		if (json_is_boolean(v))
			sxp_add_pair(list, dc_sxp_name(k), json_is_true(v) ?
			    "1" : "0");
		else
			sxp_add_json(list, dc_sxp_name(k), v);
	}
}

struct sxp *
domcfg_to_sxp(const json_t *c)
{
	static const char *const vif_keys[] = { "mac", "bridge", "script",
	    "ip", "type" };
	struct sxp	*vm, *image, *dev, *x;
	const json_t	*d;
	size_t		 i, j;
	int		 hvm;

	vm = sxp_list_new("vm");
	sxp_add_keys(vm, c, DS_TOP);
	/* An HVM domain's vnc defaults to 1: its 0 must be said. */
	hvm = strcmp(json_string_value(json_object_get(c, "builder")),
	    "hvm") == 0;
	if (hvm && json_is_false(json_object_get(c, "vnc")))
		sxp_add_pair(vm, "vnc", "0");
	image = sxp_add(vm, sxp_list_new("image"));
	/* (image (hvm ...)) as later Xen wrote it; the builder goes with it. */
	sxp_add_keys(sxp_add(image, sxp_list_new(hvm ? "hvm" : "linux")), c,
	    DS_IMAGE);

	json_array_foreach(json_object_get(c, "disks"), i, d) {
		dev = sxp_add(vm, sxp_list_new("device"));
		x = sxp_add(dev, sxp_list_new("vbd"));
		sxp_add_json(x, "uname", json_object_get(d, "uname"));
		sxp_add_json(x, "dev", json_object_get(d, "dev"));
		sxp_add_json(x, "mode", json_object_get(d, "mode"));
	}
	json_array_foreach(json_object_get(c, "vifs"), i, d) {
		dev = sxp_add(vm, sxp_list_new("device"));
		x = sxp_add(dev, sxp_list_new("vif"));
		for (j = 0; j < nitems(vif_keys); j++)
			sxp_add_json(x, vif_keys[j], json_object_get(d,
			    vif_keys[j]));
		for (j = 0; j < nitems(vif_opts); j++)
			if (json_is_string(json_object_get(d,
			    vif_opts[j].name)))
				sxp_add_json(x, vif_opts[j].name,
				    json_object_get(d, vif_opts[j].name));
	}
	return (vm);
}

/* ---- validate ---- */

static int printflike(3, 4)
v_error(char **cause, const char *key, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	*cause = xsprintf("config: %s: %s", key, msg);
	free(msg);
	return (-1);
}

static int
v_type(char **cause, const char *key, const char *what, const json_t *v)
{
	char	*r = v == NULL ? xstrdup("nothing") : value_repr(v);

	v_error(cause, key, "expected %s, got %s", what, r);
	free(r);
	return (-1);
}

static int
v_disks(const json_t *disks, char **cause)
{
	const json_t	*d, *e, *u, *dv, *m;
	const char	*key;
	size_t		 i, j;

	if (!json_is_array(disks))
		return (v_type(cause, "disks", "a list", disks));
	if (json_array_size(disks) > DOMCFG_MAX_DISKS)
		return (v_error(cause, "disks", "more than %d disks",
		    DOMCFG_MAX_DISKS));
	json_array_foreach(disks, i, d) {
		if (!json_is_object(d))
			return (v_error(cause, "disks", "entry %zu is not an "
			    "object", i));
		json_object_foreach((json_t *)d, key, e) {
			if (strcmp(key, "uname") != 0 &&
			    strcmp(key, "dev") != 0 && strcmp(key, "mode") != 0)
				return (v_error(cause, "disks", "entry %zu: "
				    "unknown key '%s'", i, key));
		}
		u = json_object_get(d, "uname");
		dv = json_object_get(d, "dev");
		m = json_object_get(d, "mode");
		if (!json_is_string(u) || has_ctrl(json_string_value(u)) ||
		    (strncmp(json_string_value(u), "file:/", 6) != 0 &&
		    strncmp(json_string_value(u), "qcow2:/", 7) != 0 &&
		    strncmp(json_string_value(u), "phy:/", 5) != 0))
			return (v_error(cause, "disks", "entry %zu: uname must "
			    "be file:/path, qcow2:/path or phy:/dev/x", i));
		if (!json_is_string(dv) || !dev_ok(json_string_value(dv)))
			return (v_error(cause, "disks", "entry %zu: invalid "
			    "dev", i));
		if (!json_is_string(m) || (strcmp(json_string_value(m), "r") !=
		    0 && strcmp(json_string_value(m), "w") != 0 &&
		    strcmp(json_string_value(m), "w!") != 0))
			return (v_error(cause, "disks", "entry %zu: mode must "
			    "be r, w or w!", i));
		for (j = 0; j < i; j++) {
			if (strcmp(json_string_value(json_object_get(
			    json_array_get(disks, j), "dev")),
			    json_string_value(dv)) == 0)
				return (v_error(cause, "disks", "device %s is "
				    "given twice", json_string_value(dv)));
		}
	}
	return (0);
}

static int
v_vifs(const json_t *vifs, char **cause)
{
	const struct vif_opt *opt;
	const json_t	*vif, *e;
	const char	*key, *s, *why;
	size_t		 i, j, extra;

	if (!json_is_array(vifs))
		return (v_type(cause, "vifs", "a list", vifs));
	if (json_array_size(vifs) > DOMCFG_MAX_VIFS)
		return (v_error(cause, "vifs", "more than %d interfaces",
		    DOMCFG_MAX_VIFS));
	json_array_foreach(vifs, i, vif) {
		if (!json_is_object(vif))
			return (v_error(cause, "vifs", "entry %zu is not an "
			    "object", i));
		extra = 0;
		json_object_foreach((json_t *)vif, key, e) {
			if ((opt = vif_opt_find(key)) != NULL) {
				if (!json_is_string(e))
					return (v_error(cause, "vifs", "entry "
					    "%zu: %s must be a string", i,
					    key));
				s = json_string_value(e);
				if ((why = opt->problem(s)) != NULL)
					return (v_error(cause, "vifs", "entry "
					    "%zu: invalid %s '%s': %s", i, key,
					    s, why));
				extra++;
				continue;
			}
			if (strcmp(key, "mac") != 0 &&
			    strcmp(key, "bridge") != 0 &&
			    strcmp(key, "script") != 0 &&
			    strcmp(key, "ip") != 0 && strcmp(key, "type") != 0)
				return (v_error(cause, "vifs", "entry %zu: "
				    "unknown key '%s'", i, key));
			if (strcmp(key, "type") == 0 && !json_is_null(e) &&
			    (!json_is_string(e) || strcmp(json_string_value(e),
			    "ioemu") != 0))
				return (v_error(cause, "vifs", "entry %zu: type "
				    "must be ioemu or null", i));
			if (!json_is_null(e) && !json_is_string(e))
				return (v_error(cause, "vifs", "entry %zu: %s "
				    "must be a string or null", i, key));
			if (json_is_null(e))
				continue;
			s = json_string_value(e);
			if (strcmp(key, "mac") == 0 &&
			    (why = mac_problem(s)) != NULL)
				return (v_error(cause, "vifs", "entry %zu: "
				    "invalid MAC address '%s': %s", i, s, why));
			if (strcmp(key, "bridge") == 0 && !bridge_ok(s))
				return (v_error(cause, "vifs", "entry %zu: "
				    "invalid bridge name '%s'", i, s));
			if (strcmp(key, "ip") == 0 && !vif_ips_ok(s))
				return (v_error(cause, "vifs", "entry %zu: "
				    "invalid ip '%s'", i, s));
			if (strcmp(key, "script") == 0 && (has_ctrl(s) ||
			    *s == '\0'))
				return (v_error(cause, "vifs", "entry %zu: "
				    "invalid script", i));
		}
		if (json_object_size(vif) != 4 + extra + (json_object_get(vif,
		    "type") != NULL))
			return (v_error(cause, "vifs", "entry %zu: needs mac, "
			    "bridge, script and ip", i));
		s = json_string_value(json_object_get(vif, "mac"));
		for (j = 0; s != NULL && j < i; j++) {
			const char	*o = json_string_value(json_object_get(
			    json_array_get(vifs, j), "mac"));

			if (o != NULL && strcasecmp(o, s) == 0)
				return (v_error(cause, "vifs", "MAC address %s "
				    "is given twice", s));
		}
	}
	return (0);
}

/* One key's value by its type's rules; null is checked by the caller. */
static int
v_key(const struct dc_key *k, const json_t *v, char **cause)
{
	const char	*key = dc_config_name(k), *s = NULL, *why;
	const char	*ornull = (k->flags & DF_NULL) ? " or null" : "";
	char		*what;

	switch (k->type) {
	case DK_INT:
	case DK_NICS:
		if (!json_is_integer(v) || json_integer_value(v) < k->min ||
		    json_integer_value(v) > k->max) {
			what = xsprintf("an integer from %ld to %ld%s", k->min,
			    k->max, ornull);
			v_type(cause, key, what, v);
			free(what);
			return (-1);
		}
		return (0);
	case DK_BOOL:
		if (!json_is_boolean(v))
			return (v_type(cause, key, "true or false", v));
		return (0);
	case DK_DISK:
		return (v_disks(v, cause));
	case DK_VIF:
		return (v_vifs(v, cause));
	default:
		break;
	}
	/* A string, or null where the type's own message says what's due. */
	if (!json_is_string(v) && !json_is_null(v))
		return (v_type(cause, key, "a string or null", v));
	if ((s = json_string_value(v)) != NULL && has_ctrl(s))
		return (v_error(cause, key, "must not contain control "
		    "characters"));
	if (s == NULL && k->type != DK_BUILDER && k->type != DK_PATH &&
	    k->type != DK_ACTION)
		return (v_error(cause, key, "must be set"));
	switch (k->type) {
	case DK_NAME:
		if ((why = domcfg_name_problem(s)) != NULL)
			return (v_error(cause, key, "invalid domain name '%s': "
			    "%s", s, why));
		break;
	case DK_BUILDER:
		if (s == NULL || (strcmp(s, "linux") != 0 &&
		    strcmp(s, "hvm") != 0))
			return (v_error(cause, key, "must be 'linux' or 'hvm'"));
		break;
	case DK_PATH:
		if (s == NULL || s[0] != '/')
			return (v_error(cause, key, "expected an absolute "
			    "path%s", ornull));
		break;
	case DK_CPUS:
		if (!cpus_ok(s))
			return (v_error(cause, key, "expected a CPU list like "
			    "'0-3,^1' or 'all', got '%s'", s));
		break;
	case DK_ADDR:
		if (!ipv4_ok(s))
			return (v_error(cause, key, "expected an IPv4 address, "
			    "got '%s'", s));
		break;
	case DK_HOST:
		if (!hostname_ok(s))
			return (v_error(cause, key, "invalid host name '%s'",
			    s));
		break;
	case DK_DHCP:
		if (strcmp(s, "dhcp") != 0 && strcmp(s, "off") != 0)
			return (v_error(cause, key, "expected 'dhcp', 'off' or "
			    "null, got '%s'", s));
		break;
	case DK_NOSPACE:
		if (strpbrk(s, " \t") != NULL)
			return (v_error(cause, key, "must not contain spaces"));
		break;
	case DK_ENUM:
		if (!enum_ok(k, s, &what)) {
			v_error(cause, key, "%s", what);
			free(what);
			return (-1);
		}
		break;
	case DK_ACTION:
		if (s == NULL || in_list(s, dc_actions, nitems(dc_actions)) < 0)
			return (v_error(cause, key, "expected destroy, restart, "
			    "preserve or rename-restart"));
		break;
	default:
		break;
	}
	return (0);
}

int
domcfg_validate(const json_t *c, char **cause)
{
	const struct dc_key	*k;
	const char		*key;
	const json_t		*v;
	long long		 memory, maxmem;
	size_t			 i;

	if (!json_is_object(c)) {
		*cause = xstrdup("config: expected an object");
		return (-1);
	}
	json_object_foreach((json_t *)c, key, v) {
		if (dc_key_config(key) == NULL)
			return (v_error(cause, key, "unknown key"));
	}
	for (i = 0; i < nitems(dc_keys); i++) {
		k = &dc_keys[i];
		if (k->flags & DF_NOCONFIG)
			continue;
		key = dc_config_name(k);
		if ((v = json_object_get(c, key)) == NULL) {
			/* Optional: saved before the key existed. */
			if (k->flags & DF_OPTIONAL)
				continue;
			return (v_error(cause, key, "missing"));
		}
		if (json_is_null(v) && (k->flags & DF_NULL))
			continue;
		if (v_key(k, v, cause) != 0)
			return (-1);
	}
	/* The one rule between keys. */
	memory = json_integer_value(json_object_get(c, "memory"));
	maxmem = json_integer_value(json_object_get(c, "maxmem"));
	if (maxmem < memory)
		return (v_error(cause, "maxmem", "must be at least memory "
		    "(%lld MB), got %lld", memory, maxmem));
	v = json_object_get(c, "maxvcpus");
	if (json_is_integer(v) && json_integer_value(v) <
	    json_integer_value(json_object_get(c, "vcpus")))
		return (v_error(cause, "maxvcpus", "must be at least vcpus "
		    "(%lld), got %lld", (long long)json_integer_value(
		    json_object_get(c, "vcpus")), (long long)
		    json_integer_value(v)));
	return (0);
}

/* ---- the typed struct ---- */

enum dk_store { ST_STRING, ST_LONG, ST_BOOL, ST_LIST };

static enum dk_store
dk_store(const struct dc_key *k)
{
	switch (k->type) {
	case DK_INT:
	case DK_NICS:
		return (ST_LONG);
	case DK_BOOL:
		return (ST_BOOL);
	case DK_DISK:
	case DK_VIF:
		return (ST_LIST);
	default:
		return (ST_STRING);
	}
}

static char *
json_strdup(const json_t *v)
{
	return (json_is_string(v) ? xstrdup(json_string_value(v)) : NULL);
}

static json_t *
json_strornull(const char *s)
{
	return (s != NULL ? json_string(s) : json_null());
}

struct domcfg *
domcfg_from_json(const json_t *c, char **cause)
{
	struct domcfg		*dc;
	const struct dc_key	*k;
	const json_t		*v, *e;
	json_t			*def;
	char			*field;
	size_t			 i, j, n;

	if (domcfg_validate(c, cause) != 0)
		return (NULL);
	dc = xcalloc(1, sizeof *dc);
	for (i = 0; i < nitems(dc_keys); i++) {
		k = &dc_keys[i];
		if (k->off == (size_t)~0)
			continue;
		field = (char *)dc + k->off;
		def = NULL;
		if ((v = json_object_get(c, dc_config_name(k))) == NULL)
			v = def = dc_default(k);
		switch (dk_store(k)) {
		case ST_STRING:
			*(char **)field = json_strdup(v);
			break;
		case ST_LONG:
			*(long *)field = json_is_null(v) ? DOMCFG_UNSET :
			    (long)json_integer_value(v);
			break;
		case ST_BOOL:
			*(int *)field = json_is_true(v);
			break;
		case ST_LIST:
			break;
		}
		json_decref(def);
	}
	v = json_object_get(c, "disks");
	dc->ndisks = json_array_size(v);
	dc->disks = xcalloc(dc->ndisks + 1, sizeof *dc->disks);
	json_array_foreach(v, j, e) {
		dc->disks[j].uname = json_strdup(json_object_get(e, "uname"));
		dc->disks[j].dev = json_strdup(json_object_get(e, "dev"));
		dc->disks[j].mode = json_strdup(json_object_get(e, "mode"));
	}
	v = json_object_get(c, "vifs");
	dc->nvifs = json_array_size(v);
	dc->vifs = xcalloc(dc->nvifs + 1, sizeof *dc->vifs);
	json_array_foreach(v, j, e) {
		dc->vifs[j].mac = json_strdup(json_object_get(e, "mac"));
		dc->vifs[j].bridge = json_strdup(json_object_get(e, "bridge"));
		dc->vifs[j].script = json_strdup(json_object_get(e, "script"));
		dc->vifs[j].ip = json_strdup(json_object_get(e, "ip"));
		dc->vifs[j].type = json_strdup(json_object_get(e, "type"));
		for (n = 0; n < nitems(vif_opts); n++)
			*vif_opt_field(&dc->vifs[j], &vif_opts[n]) =
			    json_strdup(json_object_get(e, vif_opts[n].name));
	}
	return (dc);
}

json_t *
domcfg_to_json(const struct domcfg *dc)
{
	const struct dc_key	*k;
	const char		*field, *f;
	json_t			*c = json_object(), *a, *v;
	long			 n;
	size_t			 i, j;

	for (i = 0; i < nitems(dc_keys); i++) {
		k = &dc_keys[i];
		if (k->off == (size_t)~0)
			continue;
		field = (const char *)dc + k->off;
		switch (dk_store(k)) {
		case ST_STRING:
			json_object_set_new(c, k->name,
			    json_strornull(*(char *const *)field));
			break;
		case ST_LONG:
			n = *(const long *)field;
			json_object_set_new(c, k->name, n == DOMCFG_UNSET ?
			    json_null() : json_integer(n));
			break;
		case ST_BOOL:
			json_object_set_new(c, k->name,
			    json_boolean(*(const int *)field));
			break;
		case ST_LIST:
			break;
		}
	}
	a = json_array();
	for (i = 0; i < dc->ndisks; i++) {
		json_array_append_new(a, json_pack("{s:o, s:o, s:o}",
		    "uname", json_strornull(dc->disks[i].uname),
		    "dev", json_strornull(dc->disks[i].dev),
		    "mode", json_strornull(dc->disks[i].mode)));
	}
	json_object_set_new(c, "disks", a);
	a = json_array();
	for (i = 0; i < dc->nvifs; i++) {
		v = json_pack("{s:o, s:o, s:o, s:o}",
		    "mac", json_strornull(dc->vifs[i].mac),
		    "bridge", json_strornull(dc->vifs[i].bridge),
		    "script", json_strornull(dc->vifs[i].script),
		    "ip", json_strornull(dc->vifs[i].ip));
		/* Only when set: configs saved before them stay as they were. */
		if (dc->vifs[i].type != NULL)
			json_object_set_new(v, "type",
			    json_string(dc->vifs[i].type));
		for (j = 0; j < nitems(vif_opts); j++) {
			f = *vif_opt_field(&dc->vifs[i], &vif_opts[j]);
			if (f != NULL)
				json_object_set_new(v, vif_opts[j].name,
				    json_string(f));
		}
		json_array_append_new(a, v);
	}
	json_object_set_new(c, "vifs", a);
	return (c);
}

const char *
domcfg_string(const struct domcfg *dc, const char *key)
{
	const struct dc_key	*k = dc_key_config(key);

	if (k == NULL || k->off == (size_t)~0 || dk_store(k) != ST_STRING)
		return (NULL);
	return (*(char *const *)((const char *)dc + k->off));
}

char *
domcfg_dumps(const struct domcfg *dc)
{
	json_t	*c = domcfg_to_json(dc);
	char	*text;

	text = json_dumps(c, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(c);
	if (text == NULL)
		fatalx("domcfg_dumps: out of memory");
	return (text);
}

struct domcfg *
domcfg_dup(const struct domcfg *dc)
{
	json_t		*c = domcfg_to_json(dc);
	struct domcfg	*copy;
	char		*cause = NULL;

	/* A struct from domcfg_from_json always converts back. */
	if ((copy = domcfg_from_json(c, &cause)) == NULL)
		fatalx("domcfg_dup: %s", cause);
	json_decref(c);
	return (copy);
}

void
domcfg_free(struct domcfg *dc)
{
	const struct dc_key	*k;
	size_t			 i;

	if (dc == NULL)
		return;
	for (i = 0; i < nitems(dc_keys); i++) {
		k = &dc_keys[i];
		if (k->off != (size_t)~0 && dk_store(k) == ST_STRING)
			free(*(char **)((char *)dc + k->off));
	}
	for (i = 0; i < dc->ndisks; i++) {
		free(dc->disks[i].uname);
		free(dc->disks[i].dev);
		free(dc->disks[i].mode);
	}
	free(dc->disks);
	for (i = 0; i < dc->nvifs; i++) {
		free(dc->vifs[i].mac);
		free(dc->vifs[i].bridge);
		free(dc->vifs[i].script);
		free(dc->vifs[i].ip);
		free(dc->vifs[i].type);
		free(dc->vifs[i].vifname);
		free(dc->vifs[i].model);
		free(dc->vifs[i].rate);
		free(dc->vifs[i].antispoof);
	}
	free(dc->vifs);
	free(dc);
}

/* ---- kernel command line ---- */

static const char *
cfg_str(const char *s)
{
	return (s != NULL && *s != '\0' ? s : NULL);
}

static void printflike(2, 3)
cmdline_add(char **line, const char *fmt, ...)
{
	va_list	 ap;
	char	*word, *old = *line;

	va_start(ap, fmt);
	xvasprintf(&word, fmt, ap);
	va_end(ap);
	*line = xsprintf("%s %s", old, word);
	free(old);
	free(word);
}

/* Empty strings count as unset, as ip = "" does in the manual. */
char *
domcfg_cmdline(const struct domcfg *c)
{
	const char	*ip = cfg_str(c->ip), *dhcp = cfg_str(c->dhcp);
	const char	*server = cfg_str(c->nfs_server);
	const char	*gw = cfg_str(c->gateway), *mask = cfg_str(c->netmask);
	const char	*host = cfg_str(c->hostname), *s;
	char		*line = xstrdup("console=ttyS0");

	if ((s = cfg_str(c->root)) != NULL)
		cmdline_add(&line, "root=%s", s);
	if (dhcp != NULL && strcmp(dhcp, "dhcp") == 0)
		cmdline_add(&line, "ip=dhcp");
	else if (ip != NULL) {
		cmdline_add(&line, "ip=%s:%s:%s:%s:%s:eth0:off", ip,
		    server != NULL ? server : "", gw != NULL ? gw : "",
		    mask != NULL ? mask : "", host != NULL ? host : "");
	}
	if ((s = cfg_str(c->nfs_root)) != NULL) {
		if (server != NULL)
			cmdline_add(&line, "nfsroot=%s:%s", server, s);
		else
			cmdline_add(&line, "nfsroot=%s", s);
	}
	if (host != NULL)
		cmdline_add(&line, "hostname=%s", host);
	/* The rest of maxvcpus stays offline until xm vcpu-set. */
	if (domcfg_vcpus_max(c) > c->vcpus)
		cmdline_add(&line, "maxcpus=%ld", c->vcpus);
	if ((s = cfg_str(c->extra)) != NULL)
		cmdline_add(&line, "%s", s);
	return (line);
}

/*
 * Builder linux only: the kernel command line's maxcpus= keeps the rest
 * offline at boot, which an HVM domain's firmware and system cannot be told.
 */
long
domcfg_vcpus_max(const struct domcfg *c)
{
	if (c->builder != NULL && strcmp(c->builder, "hvm") == 0)
		return (c->vcpus);
	return (c->maxvcpus != DOMCFG_UNSET && c->maxvcpus > c->vcpus ?
	    c->maxvcpus : c->vcpus);
}

/* The i-th key of the table that is (or is not) an ignored one. */
static const struct dc_key *
dc_key_nth(size_t i, int ignored)
{
	size_t	 j;

	for (j = 0; j < nitems(dc_keys); j++) {
		if ((dc_keys[j].type == DK_IGNORED) == ignored && i-- == 0)
			return (&dc_keys[j]);
	}
	return (NULL);
}

const char *
domcfg_key_doc(size_t i, const char **help)
{
	const struct dc_key	*k = dc_key_nth(i, 0);

	if (k == NULL)
		return (NULL);
	*help = k->help;
	return (k->name);
}

const char *
domcfg_ignored_key(size_t i)
{
	const struct dc_key	*k = dc_key_nth(i, 1);

	return (k != NULL ? k->name : NULL);
}

json_t *
domcfg_schema_json(void)
{
	static const char *const places[] = { NULL, "vm", "image", "device" };
	const struct dc_key	*k;
	json_t			*keys = json_array(), *ign = json_array(), *o;
	json_t			*b, *vo;
	size_t			 i;

	for (i = 0; i < nitems(dc_keys); i++) {
		k = &dc_keys[i];
		if (k->type == DK_IGNORED) {
			json_array_append_new(ign, json_string(k->name));
			continue;
		}
		o = json_pack("{s:s, s:s, s:s, s:b, s:b}", "name", k->name,
		    "type", dk_type_names[k->type], "help", k->help,
		    "required", (k->flags & DF_REQUIRED) != 0,
		    "nullable", (k->flags & DF_NULL) != 0);
		if (k->def != NULL)
			json_object_set_new(o, "default", dc_default(k));
		if (k->type == DK_INT || k->type == DK_NICS) {
			json_object_set_new(o, "min", json_integer(k->min));
			json_object_set_new(o, "max", json_integer(k->max));
		}
		if (k->values != NULL)
			json_object_set_new(o, "values", json_loads(k->values,
			    0, NULL));
		if (!(k->flags & DF_NOCONFIG))
			json_object_set_new(o, "config",
			    json_string(dc_config_name(k)));
		if (places[k->where] != NULL)
			json_object_set_new(o, "sxp", json_pack("{s:s, s:s}",
			    "in", places[k->where], "name", dc_sxp_name(k)));
		b = json_array();
		if (k->builders & DB_LINUX)
			json_array_append_new(b, json_string("linux"));
		if (k->builders & DB_HVM)
			json_array_append_new(b, json_string("hvm"));
		json_object_set_new(o, "builders", b);
		if (k->era != NULL)
			json_object_set_new(o, "era", json_string(k->era));
		if (k->see != NULL)
			json_object_set_new(o, "see", json_string(k->see));
		json_array_append_new(keys, o);
	}
	/* A vif's options beyond mac, bridge, script and ip. */
	vo = json_array();
	for (i = 0; i < nitems(vif_opts); i++)
		json_array_append_new(vo, json_pack("{s:s, s:s}", "name",
		    vif_opts[i].name, "help", vif_opts[i].help));
	return (json_pack("{s:o, s:o, s:o}", "keys", keys, "ignored", ign,
	    "vif_options", vo));
}
