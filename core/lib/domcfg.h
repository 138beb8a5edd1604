/*
 * domcfg.h: domain configuration files.
 *
 * Two layers:
 *  - pycfg (pycfg.h): the manual's Python-like file evaluated into a JSON
 *    object of variables.
 *  - domcfg: that object (or an SXP (vm ...) config, xm create -F) turned
 *    into the canonical domain config that xend consumes, and back to SXP
 *    for xm create -n and xm list -l.
 *
 * Canonical config (a JSON object; every key present after domcfg_build):
 *   name        string, required; [A-Za-z0-9][A-Za-z0-9_.-]{0,63}, not
 *               all digits, not "Domain-0" (domcfg_name_problem)
 *   builder     "linux" or "hvm" (3.0's "vmx" is read as hvm)
 *   kernel      string (absolute path after resolution), required
 *   ramdisk     string or null
 *   memory      integer MB (default 128), 16..1048576
 *   maxmem      integer MB (default = memory), >= memory
 *   vcpus       integer (default 1), 1..64: online at boot
 *   maxvcpus    integer or null (default: vcpus), vcpus..64: how many
 *               the domain has (builder linux; optional)
 *   cpus        string or null: affinity like "0-1,^1" or "all" (3.0 cpus)
 *   cpu         integer, -1 = any (2.0 cpu)
 *   cpu_weight  integer 1..65535 (default 256), cpu_cap integer % of one
 *               CPU (default 0: none): the credit scheduler's parameters,
 *               kept live by xm sched-credit; optional when validating
 *   console     integer port or null (default: console-port-base + domid)
 *   root        string or null ("/dev/sda1 ro")
 *   extra       string or null
 *   ip, netmask, gateway, hostname, dhcp, nfs_server, nfs_root
 *               string or null
 *   disks       array of {"uname": "file:/p"|"qcow2:/p"|"phy:/dev/x", "dev": "sda1",
 *               "mode": "r"|"w"|"w!"}
 *   vifs        array of {"mac": string or null, "bridge": string or null,
 *               "script": string or null, "ip": string or null, and when
 *               given "vifname", "model", "rate", "antispoof"
 *               (strings)}; ip holds 1 to DOMCFG_VIF_IPS addresses,
 *               space separated;
 *               nics = N pads the list with default vifs up to N
 *   on_poweroff, on_reboot, on_crash
 *               "destroy"|"restart"|"preserve"|"rename-restart"; the 2.0
 *               restart = always|never|onreboot sets all three
 *               (defaults: destroy, restart, restart)
 *   vnc         boolean (default false): a graphical console (std VGA),
 *               served by xenconsoled on vnc-port-base + domid
 *   vncpasswd, vncpasswd_viewonly
 *               string or null: the VNC passwords for full and view-only
 *               access (VNC uses the first 8 characters); optional when
 *               validating, so older configs still load
 *   description string or null: a free-text note (xm list -l); optional
 *   keymap      string or null (builder hvm): QEMU's -k layout; optional
 *
 * Every key is one entry of the schema table in domcfg.c (type, range,
 * default, help, SXP place, era, builders); parsing, validation, SXP,
 * the man page and domcfg_schema_json are all driven from it.
 *
 * Ownership: every json_t returned is a new reference the caller decrefs;
 * arguments are borrowed.  Errors: 0/-1 with *cause "file:line: message".
 */
#ifndef DOMCFG_H
#define DOMCFG_H

#include <limits.h>

#include <jansson.h>

#include "pycfg.h"
#include "sxp.h"

struct domcfg;

/*
 * NULL if name is a good domain name, else why not (a static string):
 * 1 to 64 letters, digits, '_', '.' and '-', starting with a letter or a
 * digit, not all digits, not Domain-0.  xend checks creates and renames
 * with it too.
 */
const char	*domcfg_name_problem(const char *name);

/* The i-th config key and its help, or NULL past the last (the man page). */
const char	*domcfg_key_doc(size_t i, const char **help);
/*
 * The whole schema as JSON (for the API's config.schema and a form that
 * edits configs): {"keys": [{name, type, help, default, min, max, ...}],
 * "ignored": [names], "vif_options": [{name, help}] (beyond mac, bridge,
 * script, ip)}.  A new reference.
 */
json_t		*domcfg_schema_json(void);
/* The i-th real Xen key accepted and ignored with a warning, or NULL. */
const char	*domcfg_ignored_key(size_t i);

/*
 * One disk (uname, dev, mode) as a canonical disk entry {uname, dev,
 * mode}, a relative path taken from base_dir; NULL with *cause
 * ("disk: ...") if it is not one.
 */
json_t		*domcfg_disk(const char *uname, const char *dev,
		    const char *mode, const char *base_dir, char **cause);

/*
 * Builds the canonical config from evaluated variables (meta, from
 * pycfg_eval, gives messages their file:line; may be NULL).  Unknown keys and
 * suspicious values are appended to *warnings (a JSON array of strings,
 * created if NULL).  Relative kernel/ramdisk/disk paths are resolved
 * against base_dir when not NULL.
 */
int	domcfg_build(const json_t *vars, const json_t *meta, const char *file,
	    const char *base_dir, json_t **config, json_t **warnings,
	    char **cause);

/*
 * domcfg_build and domcfg_from_sxp return this instead of -1 when the
 * config asks for what this version refuses (pci, driver domains): *cause
 * says why and what to use instead; xm create exits 2.
 */
#define DOMCFG_REFUSED	(-2)

/* SXP (vm (name x) (memory 64) (image (linux (kernel ..))) (device ..)). */
int	domcfg_from_sxp(const struct sxp *vm, const char *file,
	    json_t **config, json_t **warnings, char **cause);
struct sxp *domcfg_to_sxp(const json_t *config);

/* Re-checks a canonical config received over the API (types, ranges). */
int	domcfg_validate(const json_t *config, char **cause);

/*
 * The same config, typed (libvirt's virDomainDef shape): what xend keeps
 * for a domain.  Every string is owned by the struct (NULL: null in the
 * JSON); domcfg_free frees them all.  A nullable integer (console) is
 * DOMCFG_UNSET when null.
 */
#define DOMCFG_UNSET	LONG_MIN

struct domcfg_disk {
	char	*uname;		/* file:/path, qcow2:/path or phy:/dev/x */
	char	*dev;		/* sda1 */
	char	*mode;		/* r, w or w! */
};

#define DOMCFG_VIF_IPS	8	/* addresses in a vif's ip= */

struct domcfg_vif {
	char	*mac;		/* each NULL when not given */
	char	*bridge;
	char	*script;
	char	*ip;
	char	*type;		/* "ioemu": an emulated card (HVM), or NULL */
	char	*vifname;	/* the host-side tap's name (3.0) */
	char	*model;		/* the NIC: virtio, e1000, rtl8139, ne2k_pci */
	char	*rate;		/* "10Mb/s@50ms": tc on the tap (netrate.h) */
	char	*antispoof;	/* "yes", "no" or NULL: vif-antispoof */
};

/* Gives each vif without a MAC a random one in Xen's 00:16:3e range. */
void		 domcfg_fill_macs(struct domcfg *);
/* The QEMU device of a vif's model ("virtio-net-pci" for NULL). */
const char	*domcfg_vif_driver(const struct domcfg_vif *);

struct domcfg {
	char			*name;
	char			*builder;
	char			*kernel;
	char			*ramdisk;
	long			 memory;
	long			 maxmem;
	long			 vcpus;		/* online at boot */
	long			 maxvcpus;	/* DOMCFG_UNSET: vcpus */
	char			*cpus;
	long			 cpu;		/* -1: any */
	/* The live credit parameters: xm sched-credit changes them (sched.c). */
	long			 cpu_weight;	/* 1..65535 */
	long			 cpu_cap;	/* % of one CPU, 0: none */
	long			 console;	/* DOMCFG_UNSET: default */
	char			*root;
	char			*extra;
	char			*ip;
	char			*netmask;
	char			*gateway;
	char			*hostname;
	char			*dhcp;
	char			*nfs_server;
	char			*nfs_root;
	char			*on_poweroff;
	char			*on_reboot;
	char			*on_crash;
	int			 vnc;
	char			*vncpasswd;
	char			*vncpasswd_viewonly;
	char			*description;
	/* builder hvm (core/xend/hvm.c) */
	char			*cdrom;
	char			*boot;
	int			 acpi;
	int			 apic;
	long			 vncdisplay;	/* DOMCFG_UNSET: base + domid */
	int			 vncunused;
	int			 sdl;
	char			*serial;
	int			 ne2000;
	int			 localtime;
	int			 usb;
	char			*usbdevice;
	char			*keymap;	/* QEMU's -k, NULL: its en-us */
	struct domcfg_disk	*disks;
	size_t			 ndisks;
	struct domcfg_vif	*vifs;
	size_t			 nvifs;
};

/* Validates config and fills a new struct; NULL and *cause on error. */
struct domcfg	*domcfg_from_json(const json_t *config, char **cause);
/* The canonical JSON config (domcfg_validate accepts it); new reference. */
json_t		*domcfg_to_json(const struct domcfg *);
/* The domain's vCPUs, online or not: maxvcpus, else vcpus. */
long		 domcfg_vcpus_max(const struct domcfg *);
/* A string key's value by its config name (NULL: null or not a string). */
const char	*domcfg_string(const struct domcfg *, const char *key);
/* The JSON text of the state file (sorted, indented); caller frees. */
char		*domcfg_dumps(const struct domcfg *);
/* A deep copy. */
struct domcfg	*domcfg_dup(const struct domcfg *);
void		 domcfg_free(struct domcfg *);

/*
 * The guest kernel command line for a config: console=ttyS0 first, then
 * root, ip= (kernel syntax client:server:gw:netmask:hostname:eth0:off, or
 * ip=dhcp), nfsroot, hostname=, then extra.  Caller frees.
 */
char	*domcfg_cmdline(const struct domcfg *);

#endif
