/*
 * domcfg.h: domain configuration files.
 *
 * Two layers:
 *  - pycfg: the manual's Python-like file (name = value lines, strings,
 *    numbers, lists, tuples, comments, '%' formatting, + - * / arithmetic,
 *    variable references) evaluated into a JSON object of variables.
 *  - domcfg: that object (or an SXP (vm ...) config, xm create -F) turned
 *    into the canonical domain config that xend consumes, and back to SXP
 *    for xm create -n and xm list -l.
 *
 * Canonical config (a JSON object; every key present after domcfg_build):
 *   name        string, required; [A-Za-z0-9][A-Za-z0-9_.-]{0,63}, not
 *               all digits, not "Domain-0" (domcfg_name_problem)
 *   builder     "linux"
 *   kernel      string (absolute path after resolution), required
 *   ramdisk     string or null
 *   memory      integer MB (default 128), 16..1048576
 *   maxmem      integer MB (default = memory), >= memory
 *   vcpus       integer (default 1), 1..64
 *   cpus        string or null: affinity like "0-1,^1" or "all" (3.0 cpus)
 *   cpu         integer, -1 = any (2.0 cpu)
 *   console     integer port or null (default: console-port-base + domid)
 *   root        string or null ("/dev/sda1 ro")
 *   extra       string or null
 *   ip, netmask, gateway, hostname, dhcp, nfs_server, nfs_root
 *               string or null
 *   disks       array of {"uname": "file:/p"|"phy:/dev/x", "dev": "sda1",
 *               "mode": "r"|"w"|"w!"}
 *   vifs        array of {"mac": string or null, "bridge": string or null,
 *               "script": string or null, "ip": string or null};
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
 *
 * Ownership: every json_t returned is a new reference the caller decrefs;
 * arguments are borrowed.  Errors: 0/-1 with *cause "file:line: message".
 */
#ifndef DOMCFG_H
#define DOMCFG_H

#include <jansson.h>

#include "sxp.h"

/*
 * NULL if name is a good domain name, else why not (a static string):
 * 1 to 64 letters, digits, '_', '.' and '-', starting with a letter or a
 * digit, not all digits, not Domain-0.  xend checks creates and renames
 * with it too.
 */
const char	*domcfg_name_problem(const char *name);

/* The i-th config key and its help, or NULL past the last (the man page). */
const char	*domcfg_key_doc(size_t i, const char **help);
/* The i-th real Xen key accepted and ignored with a warning, or NULL. */
const char	*domcfg_ignored_key(size_t i);

/*
 * One disk (uname, dev, mode) as a canonical disk entry {uname, dev,
 * mode}, a relative path taken from base_dir; NULL with *cause
 * ("disk: ...") if it is not one.
 */
json_t		*domcfg_disk(const char *uname, const char *dev,
		    const char *mode, const char *base_dir, char **cause);

/* A name=value from the xm command line. */
struct domcfg_override {
	const char	*name;
	const char	*value;
};

/*
 * Evaluates a Python-like config.  Overrides are defined before the file
 * runs (so the file can use vmid) and win over the file's own assignment
 * of the same name.  An override value that reads as an integer is an
 * integer, otherwise a string.  *vars gets one key per top-level variable.
 */
int	pycfg_eval(const char *text, size_t len, const char *file,
	    const struct domcfg_override *, size_t noverrides,
	    json_t **vars, char **cause);

/*
 * Builds the canonical config from evaluated variables.  Unknown keys and
 * suspicious values are appended to *warnings (a JSON array of strings,
 * created if NULL).  Relative kernel/ramdisk/disk paths are resolved
 * against base_dir when not NULL.
 */
int	domcfg_build(const json_t *vars, const char *file, const char *base_dir,
	    json_t **config, json_t **warnings, char **cause);

/* SXP (vm (name x) (memory 64) (image (linux (kernel ..))) (device ..)). */
int	domcfg_from_sxp(const struct sxp *vm, const char *file,
	    json_t **config, json_t **warnings, char **cause);
struct sxp *domcfg_to_sxp(const json_t *config);

/* Re-checks a canonical config received over the API (types, ranges). */
int	domcfg_validate(const json_t *config, char **cause);

/*
 * The guest kernel command line for a config: console=ttyS0 first, then
 * root, ip= (kernel syntax client:server:gw:netmask:hostname:eth0:off, or
 * ip=dhcp), nfsroot, hostname=, then extra.  Caller frees.
 */
char	*domcfg_cmdline(const json_t *config);

#endif
