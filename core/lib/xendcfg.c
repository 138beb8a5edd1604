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

enum opt_type { OPT_STR, OPT_INT, OPT_BOOL };

static const struct xendcfg_opt {
	const char	*name;
	enum opt_type	 type;
	size_t		 off;
	const char	*dflt;
	long		 min, max;
} xendcfg_opts[] = {
#define S(n, f, d) { n, OPT_STR, offsetof(struct xendcfg, f), d, 0, 0 }
#define I(n, f, d, lo, hi) { n, OPT_INT, offsetof(struct xendcfg, f), d, lo, hi }
#define B(n, f, d) { n, OPT_BOOL, offsetof(struct xendcfg, f), d, 0, 1 }
	S("logfile", logfile, "/var/log/xen/xend.log"),
	S("loglevel", loglevel, "INFO"),
	S("xend-unix-path", unix_path, "/var/run/xend/xend.sock"),
	S("xend-state-dir", state_dir, "/var/lib/xend"),
	S("xend-pid-file", pid_file, "/var/run/xend/xend.pid"),
	S("accel", accel, "auto"),
	S("accel-probe-kernel", accel_probe_kernel,
	    "/var/lib/xen/images/ttylinux/vmlinuz"),
	S("qemu-binary", qemu, "qemu-system-x86_64"),
	I("console-port-base", console_port_base, "9600", 1, 65535),
	S("console-address", console_address, "127.0.0.1"),
	I("vnc-port-base", vnc_port_base, "5900", 1, 65535),
	S("consoled-pid-file", consoled_pid_file,
	    "/var/run/xen/xenconsoled.pid"),
	S("consoled-logfile", consoled_logfile, "/var/log/xen/xenconsoled.log"),
	S("console-socket-dir", console_socket_dir, "/var/run/xen/consoles"),
	S("console-log-dir", console_log_dir, "/var/log/xen/console"),
	I("console-log-size", console_log_size, "4194304", 4096, 1 << 30),
	I("console-log-keep", console_log_keep, "3", 0, 100),
	I("console-ring-size", console_ring_size, "1048576", 4096, 1 << 30),
	I("console-history-lines", console_history_lines, "25", 0, 1000),
	S("console-hosts-allow", console_hosts_allow, ""),
	I("console-max-clients", console_max_clients, "64", 1, 10000),
	I("console-client-stall", console_client_stall, "30", 1, 86400),
	I("console-idle-timeout", console_idle_timeout, "0", 0, 1 << 30),
	I("console-keepalive", console_keepalive, "30", 0, 86400),
	S("console-group", console_group, ""),
	S("console-password-file", console_password_file, ""),
	S("xensv-address", xensv_address, "127.0.0.1"),
	I("xensv-port", xensv_port, "8080", 1, 65535),
	B("xend-relocation-server", relocation_server, "no"),
	S("xend-relocation-address", relocation_address, ""),
	I("xend-relocation-port", relocation_port, "8002", 1, 65535),
	S("xend-relocation-hosts-allow", relocation_hosts_allow, ""),
	I("dom0-min-mem", dom0_min_mem, "256", 0, 1 << 30),
	S("network-script", network_script, ""),
	S("vif-script", vif_script, ""),
	S("default-bridge", default_bridge, "xenbr0"),
	S("vif-prefix", vif_prefix, "vif"),
	I("restart-window", restart_window, "20", 1, 86400),
	I("restart-limit", restart_limit, "5", 1, 1000),
	I("shutdown-timeout", shutdown_timeout, "60", 1, 86400),
	S("cgroup-root", cgroup_root, "/sys/fs/cgroup"),
	S("cgroup-layout", cgroup_layout, "auto"),
	S("cgroup-parent", cgroup_parent, "xen"),
#undef S
#undef I
#undef B
};

static int
opt_set(struct xendcfg *cfg, const struct xendcfg_opt *o, const char *value,
    char **cause)
{
	char	*base = (char *)cfg;
	long	 v;

	switch (o->type) {
	case OPT_STR:
		free(*(char **)(base + o->off));
		*(char **)(base + o->off) = xstrdup(value);
		return (0);
	case OPT_INT:
		if (parse_long(value, o->min, o->max, &v) != 0) {
			*cause = xsprintf("%s: expected a number from %ld to "
			    "%ld, got '%s'", o->name, o->min, o->max, value);
			return (-1);
		}
		*(int *)(base + o->off) = v;
		return (0);
	case OPT_BOOL:
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

	if (n == 0 || n > 7 || !isalpha((unsigned char)p[0]))
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
		    "digits, '_' or '-' starting with a letter, got '%s'",
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

void
xendcfg_free(struct xendcfg *cfg)
{
	size_t	 j;
	char	*base = (char *)cfg;

	for (j = 0; j < nitems(xendcfg_opts); j++) {
		if (xendcfg_opts[j].type == OPT_STR) {
			free(*(char **)(base + xendcfg_opts[j].off));
			*(char **)(base + xendcfg_opts[j].off) = NULL;
		}
	}
	free(cfg->dir);
	free(cfg->path);
	cfg->dir = cfg->path = NULL;
}
