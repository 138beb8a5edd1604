/* xendcfg.c: load xend-config.sxp over built-in defaults. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "xen-common.h"
#include "sxp.h"
#include "xendcfg.h"


/*
 * Every key, its default and its help: the loader, the defaults and
 * xend-config.sxp(5) all read this one table.  inert is set for keys that
 * are accepted (so the manual's files load) but not acted on, with why:
 * xend warns when one of them is set to other than its default.
 */
const struct xendcfg_opt xendcfg_opts[] = {
#define S_(n, f, d, h, w) { n, XENDCFG_STR, offsetof(struct xendcfg, f), \
	d, 0, 0, h, w }
#define I_(n, f, d, lo, hi, h, w) { n, XENDCFG_INT, \
	offsetof(struct xendcfg, f), d, lo, hi, h, w }
#define B_(n, f, d, h, w) { n, XENDCFG_BOOL, offsetof(struct xendcfg, f), \
	d, 0, 1, h, w }
#define S(n, f, d, h) S_(n, f, d, h, NULL)
#define I(n, f, d, lo, hi, h) I_(n, f, d, lo, hi, h, NULL)
#define B(n, f, d, h) B_(n, f, d, h, NULL)
	S("logfile", logfile, "/var/log/xen/xend.log",
	    "Where xend logs."),
	S("loglevel", loglevel, "INFO",
	    "How much xend logs: ERROR, WARN, INFO or DEBUG."),
	S("xend-unix-path", unix_path, "/var/run/xend/xend.sock",
	    "The API socket every client (xm, xm top, xenconsoled) talks to."),
	S("xend-state-dir", state_dir, "/var/lib/xend",
	    "xend's state: one directory per domain with its config, runtime "
	    "record and sockets.  A restarted xend re-adopts the domains "
	    "recorded here."),
	S("xend-pid-file", pid_file, "/var/run/xend/xend.pid",
	    "xend's pid file, locked while it runs."),
	S("accel", accel, "auto",
	    "kvm, tcg, or auto: use KVM only if a guest kernel boots under it "
	    "within a bounded self-test (nested KVM can hang guests), else "
	    "TCG."),
	S("accel-probe-kernel", accel_probe_kernel,
	    "/var/lib/xen/images/ttylinux/vmlinuz",
	    "The kernel that the KVM self-test of accel auto boots."),
	S("qemu-binary", qemu, "qemu-system-x86_64",
	    "The QEMU that runs each domain."),
	I("console-port-base", console_port_base, "9600", 1, 65535,
	    "A domain's console is served on TCP port console-port-base + "
	    "domid."),
	S("console-address", console_address, "127.0.0.1",
	    "The address consoles (TCP and VNC) listen on."),
	I("vnc-port-base", vnc_port_base, "5900", 1, 65535,
	    "A graphical console (vnc = 1) is served on vnc-port-base + "
	    "domid."),
	B("console-privileged-ports", console_privileged_ports, "no",
	    "Whether a domain's console = PORT may name a port below 1024."),
	S("consoled-pid-file", consoled_pid_file,
	    "/var/run/xen/xenconsoled.pid",
	    "xenconsoled's pid file."),
	S("consoled-logfile", consoled_logfile, "/var/log/xen/xenconsoled.log",
	    "Where xenconsoled logs."),
	S("console-socket-dir", console_socket_dir, "/var/run/xen/consoles",
	    "xenconsoled's unix sockets: DOMID.sock for each domain's console "
	    "(xm console) and xenconsoled.sock for its status."),
	S("console-log-dir", console_log_dir, "/var/log/xen/console",
	    "One log per domain, NAME.log, every line stamped."),
	I("console-log-size", console_log_size, "4194304", 4096, 1 << 30,
	    "A console log is rotated past this many bytes."),
	I("console-log-keep", console_log_keep, "3", 0, 100,
	    "How many rotated console logs are kept."),
	I("console-ring-size", console_ring_size, "1048576", 4096, 1 << 30,
	    "Bytes of output kept per domain for clients that attach late or "
	    "fall behind."),
	I("console-history-lines", console_history_lines, "25", 0, 1000,
	    "How many lines of that history a client sees when it attaches."),
	S("console-hosts-allow", console_hosts_allow, "",
	    "Space-separated regular expressions for client addresses (TCP "
	    "and VNC); empty allows any host that can reach console-address."),
	I("console-max-clients", console_max_clients, "64", 1, 10000,
	    "Clients per console."),
	I("console-client-stall", console_client_stall, "30", 1, 86400,
	    "Seconds a client may take no output before it is dropped."),
	I("console-idle-timeout", console_idle_timeout, "0", 0, 1 << 30,
	    "Seconds of silence before a TCP client is dropped (0: never)."),
	I("console-keepalive", console_keepalive, "30", 0, 86400,
	    "TCP keepalive probes after this many idle seconds (0: off)."),
	S("console-group", console_group, "",
	    "Besides root, members of this group (by the group database) may "
	    "use consoles from this host: telnet, xencons and VNC; empty: "
	    "root only."),
	S("console-password-file", console_password_file, "",
	    "NAME:HASH lines (crypt(3) hashes; NAME * for every console) that "
	    "remote console clients must answer in-band; the file must be "
	    "writable by root only."),
	S("xensv-address", xensv_address, "127.0.0.1",
	    "The address xensv, the web console, serves on (docs/WEB.md)."),
	I("xensv-port", xensv_port, "8080", 1, 65535,
	    "The port xensv serves on."),
	S("xensv-pid-file", xensv_pid_file, "/var/run/xen/xensv.pid",
	    "xensv's pid file."),
	S("xensv-logfile", xensv_logfile, "/var/log/xen/xensv.log",
	    "Where xensv logs, every web action included (who, from where, "
	    "what, the result)."),
	S("xensv-static-dir", xensv_static_dir, "",
	    "The pages xensv serves; empty: the ones installed with it "
	    "(PREFIX/share/xensv/static)."),
	S("xensv-users-file", xensv_users_file, "",
	    "Web users, one USER:ROLE:HASH line each (role admin or viewer, "
	    "a yescrypt hash), written by xensv passwd; empty: xensv-users "
	    "in the config directory."),
	S("xensv-image-dirs", xensv_image_dirs, "/var/lib/xen/images",
	    "Space-separated directories whose files domains created through "
	    "the web may use as kernel, ramdisk and disks; any other host path "
	    "is refused."),
	S("xensv-save-dirs", xensv_save_dirs, "/var/lib/xen/save",
	    "Space-separated directories where web users may save domains "
	    "and from which they may restore them; any other path is "
	    "refused."),
	S("xensv-script-dirs", xensv_script_dirs, "/etc/xen/scripts",
	    "Space-separated directories whose programs a web-created vif may "
	    "name as its script (xend-config's vif-script is always allowed)."),
	I("xensv-max-connections", xensv_max_connections, "1024", 1, 100000,
	    "Connections xensv serves at once; more are closed as they "
	    "come."),
	I("xensv-max-connections-per-address", xensv_max_per_address, "256", 1,
	    100000,
	    "Connections xensv serves at once from one address."),
	I("xensv-timeout", xensv_timeout, "30", 1, 3600,
	    "Seconds an HTTP connection may sit idle (slow clients) before "
	    "xensv closes it; WebSockets are exempt (they are pinged)."),
	I("xensv-max-body", xensv_max_body, "262144", 1024, 1 << 26,
	    "Largest request body xensv reads (bytes); larger ones get 413."),
	I("xensv-ws-max-message", xensv_ws_max_message, "65536", 1024,
	    1 << 24,
	    "Largest WebSocket message a browser may send (bytes)."),
	I("xensv-session-idle", xensv_session_idle, "1800", 60, 86400 * 30,
	    "Seconds a web session lasts without a request."),
	I("xensv-session-max", xensv_session_max, "43200", 60, 86400 * 365,
	    "Seconds a web session lasts at most, however busy."),
	S("xensv-tls-cert", xensv_tls_cert, "",
	    "A PEM certificate: with xensv-tls-key, xensv serves HTTPS (and "
	    "session cookies are Secure); empty: plain HTTP."),
	S("xensv-tls-key", xensv_tls_key, "",
	    "The PEM private key for xensv-tls-cert."),
	B("xend-relocation-server", relocation_server, "no",
	    "Whether xend accepts incoming migrations (xm migrate) on its "
	    "relocation port.  It lets in whole machines: only on an isolated "
	    "network (docs/SECURITY.md)."),
	S("xend-relocation-address", relocation_address, "",
	    "The address the relocation server listens on; empty: all."),
	I("xend-relocation-port", relocation_port, "8002", 1, 65535,
	    "The port the relocation server listens on."),
	S("xend-relocation-hosts-allow", relocation_hosts_allow, "",
	    "Space-separated regular expressions; a host whose address or "
	    "name matches one whole may migrate domains here.  Empty: every "
	    "host that reaches the port (as in Xen)."),
	I("dom0-min-mem", dom0_min_mem, "256", 0, 1 << 30,
	    "Memory (MB) kept for domain 0 when admitting domains and "
	    "ballooning."),
	S("network-script", network_script, "network-bridge",
	    "The script, with its key=value arguments, run as \"SCRIPT start "
	    "ARGS\" when xend starts and \"SCRIPT stop ARGS\" when it stops; "
	    "a name without '/' is in $XEN_CONFIG_DIR/scripts.  The default, "
	    "network-bridge, makes a host-only bridge (default-bridge) with "
	    "an address on a private subnet (subnet=, default 10.80.0.0/24) "
	    "and a DHCP server for it; network-nat adds NAT to the outside, "
	    "network-route routing.  Empty: none."),
	S("vif-script", vif_script, "",
	    "The script, with its key=value arguments, run for each virtual "
	    "interface as \"SCRIPT online|offline ARGS domain=... vif=... "
	    "bridge=... mac=... domid=... [ip=...]\" (also as environment "
	    "variables); vif-bridge, vif-route and vif-nat are in "
	    "$XEN_CONFIG_DIR/scripts.  Empty: taps are added to their bridge "
	    "by xend itself, as vif-bridge would."),
	B("vif-antispoof", vif_antispoof, "yes",
	    "Whether frames a guest sends must carry its vif's MAC (Ethernet "
	    "and ARP sender) and, for IPv4, its vif's ip= addresses (or, "
	    "without ip=, the address network-bridge's DHCP server leased to "
	    "that MAC); guests may never answer DHCP or send IPv6 router "
	    "advertisements.  An nftables table per xend (bridge and inet "
	    "xen-antispoof-VIFPREFIX) holds the rules.  A vif's antispoof=yes "
	    "or antispoof=no overrides it."),
	S("default-bridge", default_bridge, "xenbr0",
	    "The bridge a vif joins when its config names none."),
	S("vif-prefix", vif_prefix, "vif",
	    "A domain's interfaces are taps named vif-prefix + domid + '.' + "
	    "index (vif3.0).  Tap names are global to the host: a second xend "
	    "on it sets its own prefix, 1 to 7 letters, digits, '_' or '-' "
	    "starting with a letter and not ending with a digit (vif1 + 1.0 "
	    "would be vif + 11.0)."),
	I("restart-window", restart_window, "20", 1, 86400,
	    "Restart policies: at most restart-limit restarts in this many "
	    "seconds, then the domain is preserved for inspection instead."),
	I("restart-limit", restart_limit, "5", 1, 1000,
	    "Restarts allowed in restart-window."),
	I("shutdown-timeout", shutdown_timeout, "60", 1, 86400,
	    "Seconds a guest has to act on the power button (xm shutdown) "
	    "before xend gives up asking."),
	S("cgroup-root", cgroup_root, "/sys/fs/cgroup",
	    "Where cgroups are mounted.  The schedulers (sched-credit, "
	    "sched-sedf) work through a cgroup per domain."),
	S("cgroup-layout", cgroup_layout, "auto",
	    "auto, v1 or v2: auto finds cgroup v1 (cpu/) or v2 "
	    "(cgroup.controllers listing cpu)."),
	S("cgroup-parent", cgroup_parent, "xen",
	    "Each domain's cgroup is cgroup-parent/domain-DOMID under the cpu "
	    "controller."),
	I("script-timeout", script_timeout, "30", 1, 3600,
	    "Seconds a network-script or vif-script may run before xend kills "
	    "it (and its process group); scripts run beside xend's event loop, "
	    "never blocking the API."),
	B("qemu-sandbox", qemu_sandbox, "yes",
	    "Run QEMU under its seccomp sandbox (-sandbox on, no obsolete "
	    "syscalls, no spawning, no resource control, and as root no "
	    "set-uid)."),
	S("qemu-user", qemu_user, "",
	    "If set, QEMU drops to this user (-runas) once it has opened its "
	    "disks, taps and sockets; empty: QEMU stays root, sandboxed."),
#undef S_
#undef I_
#undef B_
#undef S
#undef I
#undef B
};
const size_t xendcfg_nopts = nitems(xendcfg_opts);

static int
opt_set(struct xendcfg *cfg, const struct xendcfg_opt *o, const char *value,
    char **cause)
{
	char	*base = (char *)cfg;
	long	 v;

	switch (o->type) {
	case XENDCFG_STR:
		free(*(char **)(base + o->off));
		*(char **)(base + o->off) = xstrdup(value);
		return (0);
	case XENDCFG_INT:
		if (parse_long(value, o->min, o->max, &v) != 0) {
			*cause = xsprintf("%s: expected a number from %ld to "
			    "%ld, got '%s'", o->name, o->min, o->max, value);
			return (-1);
		}
		*(int *)(base + o->off) = v;
		return (0);
	case XENDCFG_BOOL:
		if (strcasecmp(value, "yes") == 0 ||
		    strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0)
			*(int *)(base + o->off) = 1;
		else if (strcasecmp(value, "no") == 0 ||
		    strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0)
			*(int *)(base + o->off) = 0;
		else {
			*cause = xsprintf("%s: expected yes or no, got '%s'",
			    o->name, value);
			return (-1);
		}
		return (0);
	}
	abort();
}

/* Room for "PREFIX" + a 5-digit domid + ".NN" in IFNAMSIZ-1 (15). */
static int
vif_prefix_ok(const char *p)
{
	size_t	 i, n = strlen(p);

	/* A trailing digit would make "vif1" + "1.0" the same as "vif" + "11.0". */
	if (n == 0 || n > 7 || !isalpha((unsigned char)p[0]) ||
	    isdigit((unsigned char)p[n - 1]))
		return (-1);
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)p[i]) && p[i] != '_' &&
		    p[i] != '-')
			return (-1);
	}
	return (0);
}

void
xendcfg_vif_name(const struct xendcfg *cfg, int domid, int idx, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s%d.%d", cfg->vif_prefix, domid % 100000,
	    idx % 100);
}

int
xendcfg_load(const char *dir, struct xendcfg *cfg, void (*warn)(const char *),
    char **cause)
{
	struct sxp	*top = NULL, *item;
	char		*text, *why, *msg;
	size_t		 i, j, len;
	const char	*name;

	memset(cfg, 0, sizeof *cfg);
	cfg->dir = xstrdup(dir != NULL ? dir : xen_config_dir());
	xasprintf(&cfg->path, "%s/xend-config.sxp", cfg->dir);
	for (j = 0; j < nitems(xendcfg_opts); j++) {
		if (opt_set(cfg, &xendcfg_opts[j], xendcfg_opts[j].dflt,
		    &why) != 0)
			fatalx("bad default: %s", why);
	}

	if (access(cfg->path, F_OK) != 0 && errno == ENOENT)
		return (0);
	if (file_read(cfg->path, &text, &len, cause) != 0)
		goto fail;
	if (sxp_parse(text, len, cfg->path, &top, cause) != 0) {
		free(text);
		goto fail;
	}
	free(text);

	for (i = 0; i < top->n; i++) {
		item = top->items[i];
		name = sxp_name(item);
		if (name == NULL || item->n != 2 ||
		    item->items[1]->type != SXP_ATOM) {
			*cause = xsprintf("%s:%d: expected (name value)",
			    cfg->path, item->line);
			goto fail;
		}
		for (j = 0; j < nitems(xendcfg_opts); j++) {
			if (strcmp(xendcfg_opts[j].name, name) == 0)
				break;
		}
		if (j == nitems(xendcfg_opts)) {
			if (warn != NULL) {
				msg = xsprintf("%s:%d: unknown option '%s' "
				    "ignored", cfg->path, item->line, name);
				warn(msg);
				free(msg);
			}
			continue;
		}
		if (opt_set(cfg, &xendcfg_opts[j], item->items[1]->atom,
		    &why) != 0) {
			*cause = xsprintf("%s:%d: %s", cfg->path, item->line,
			    why);
			free(why);
			goto fail;
		}
	}
	sxp_free(top);
	if (vif_prefix_ok(cfg->vif_prefix) != 0) {
		*cause = xsprintf("%s: vif-prefix: expected 1 to 7 letters, "
		    "digits, '_' or '-', starting with a letter and not ending "
		    "with a digit, got '%s'",
		    cfg->path, cfg->vif_prefix);
		top = NULL;
		goto fail;
	}
	return (0);

fail:
	sxp_free(top);
	xendcfg_free(cfg);
	return (-1);
}

/* Whether o's value in cfg is its default. */
static int
opt_is_default(const struct xendcfg *cfg, const struct xendcfg_opt *o)
{
	const char	*base = (const char *)cfg;
	struct xendcfg	 dflt;
	char		*why;
	int		 same;

	if (o->type == XENDCFG_STR)
		return (strcmp(*(char *const *)(base + o->off), o->dflt) == 0);
	memset(&dflt, 0, sizeof dflt);
	if (opt_set(&dflt, o, o->dflt, &why) != 0)
		fatalx("bad default: %s", why);
	same = *(const int *)(base + o->off) ==
	    *(const int *)((const char *)&dflt + o->off);
	return (same);
}

void
xendcfg_inert(const struct xendcfg *cfg, void (*warn)(const char *))
{
	size_t	 j;
	char	*msg;

	for (j = 0; j < nitems(xendcfg_opts); j++) {
		if (xendcfg_opts[j].inert == NULL ||
		    opt_is_default(cfg, &xendcfg_opts[j]))
			continue;
		/*
		 * The relocation server's address, port and hosts mean
		 * nothing while it is off (a private instance sets its own
		 * port so that it is ready): only worth a word when it is on.
		 */
		if (!cfg->relocation_server && strncmp(xendcfg_opts[j].name,
		    "xend-relocation-", 16) == 0)
			continue;
		msg = xsprintf("%s: accepted but not acted on in this version: "
		    "%s", xendcfg_opts[j].name, xendcfg_opts[j].inert);
		warn(msg);
		free(msg);
	}
}

void
xendcfg_free(struct xendcfg *cfg)
{
	size_t	 j;
	char	*base = (char *)cfg;

	for (j = 0; j < nitems(xendcfg_opts); j++) {
		if (xendcfg_opts[j].type == XENDCFG_STR) {
			free(*(char **)(base + xendcfg_opts[j].off));
			*(char **)(base + xendcfg_opts[j].off) = NULL;
		}
	}
	free(cfg->dir);
	free(cfg->path);
	cfg->dir = cfg->path = NULL;
}

char *
xendcfg_api_path(const struct xendcfg *cfg)
{
	return (xstrdup(cfg->unix_path));
}

char *
xendcfg_consoled_path(const struct xendcfg *cfg)
{
	return (xsprintf("%s/xenconsoled.sock", cfg->console_socket_dir));
}

char *
xendcfg_console_path(const struct xendcfg *cfg, int domid)
{
	return (xsprintf("%s/%d.sock", cfg->console_socket_dir, domid));
}
