/*
 * network.c: the site's network scripts as xend runs them (the manual's
 * "network-script" and "vif-script" with their arguments, found in
 * $XEN_CONFIG_DIR/scripts), the environment they get, and the addresses
 * the default network's DHCP server (dnsmasq, started by network-bridge)
 * leased to each domain's interfaces.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "netrate.h"
#include "xend.h"

extern char	**environ;

struct argv_list {
	char	**v;
	size_t	  n;
};

static void
argv_push(struct argv_list *a, char *s)
{
	a->v = xreallocarray(a->v, a->n + 2, sizeof *a->v);
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

char *
network_script_path(const char *name)
{
	if (strchr(name, '/') != NULL)
		return (xstrdup(name));
	return (xsprintf("%s/scripts/%s", xend_cfg.dir, name));
}

/*
 * "network-bridge netdev=eth0 bridge=xenbr0" and op "start": the script's
 * path, then op, then the spec's own words, then extra.  Words are split
 * at white space (no quoting: the manual's arguments are key=value).
 */
char **
network_script_argv(const char *spec, const char *op, char *const extra[])
{
	struct argv_list	 a = { NULL, 0 };
	const char		*p = spec, *start;
	size_t			 i;
	int			 first = 1;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		if (first) {
			char *w = xstrndup(start, p - start);

			argv_push(&a, network_script_path(w));
			free(w);
			argv_push(&a, xstrdup(op));
			first = 0;
		} else
			argv_push(&a, xstrndup(start, p - start));
	}
	if (first)
		return (NULL);
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		argv_push(&a, xstrdup(extra[i]));
	return (a.v);
}

/* The value of word "key=..." in argv (from index 2), or NULL. */
const char *
network_script_arg(char *const argv[], const char *key)
{
	size_t		 i, len = strlen(key);
	const char	*found = NULL;

	for (i = 2; argv[0] != NULL && argv[1] != NULL && argv[i] != NULL;
	    i++) {
		if (strncmp(argv[i], key, len) == 0 && argv[i][len] == '=')
			found = argv[i] + len + 1;
	}
	return (found);
}

/*
 * xend's environment, less what we set, plus XEN_CONFIG_DIR,
 * XEN_STATE_DIR, XEN_DEFAULT_BRIDGE, XEN_VIF_PREFIX and each of kv
 * ("vif=vif1.0": Xen's scripts read these from the environment).
 */
char **
network_script_env(char *const kv[])
{
	struct argv_list	 a = { NULL, 0 };
	size_t			 i, j, len;
	char			*eq;
	int			 ours;
	static const char *const own[] = { "XEN_CONFIG_DIR",
		"XEN_STATE_DIR", "XEN_DEFAULT_BRIDGE", "XEN_VIF_PREFIX" };

	for (i = 0; environ[i] != NULL; i++) {
		if ((eq = strchr(environ[i], '=')) == NULL)
			continue;
		len = eq - environ[i];
		ours = 0;
		for (j = 0; j < nitems(own); j++)
			if (strlen(own[j]) == len &&
			    strncmp(environ[i], own[j], len) == 0)
				ours = 1;
		for (j = 0; kv != NULL && kv[j] != NULL; j++)
			if (strncmp(kv[j], environ[i], len + 1) == 0)
				ours = 1;
		if (!ours)
			argv_push(&a, xstrdup(environ[i]));
	}
	argv_push(&a, xsprintf("XEN_CONFIG_DIR=%s", xend_cfg.dir));
	argv_push(&a, xsprintf("XEN_STATE_DIR=%s", xend_cfg.state_dir));
	argv_push(&a, xsprintf("XEN_DEFAULT_BRIDGE=%s",
	    xend_cfg.default_bridge));
	argv_push(&a, xsprintf("XEN_VIF_PREFIX=%s", xend_cfg.vif_prefix));
	for (j = 0; kv != NULL && kv[j] != NULL; j++) {
		if (strchr(kv[j], '=') == NULL)
			continue;
		/* A word given twice: the last one, as the scripts read it. */
		len = strchr(kv[j], '=') - kv[j] + 1;
		for (i = j + 1; kv[i] != NULL; i++)
			if (strncmp(kv[i], kv[j], len) == 0)
				break;
		if (kv[i] == NULL)
			argv_push(&a, xstrdup(kv[j]));
	}
	return (a.v);
}

/* The vif's script= or xend's vif-script, or NULL for the built-in. */
const char *
network_vif_script(const struct domcfg_vif *v)
{
	const char	*script = v->script;

	if (script == NULL && *xend_cfg.vif_script != '\0')
		script = xend_cfg.vif_script;
	return (script);
}

/*
 * The vif's bridge: its own, else the vif-script's bridge= word, else
 * default-bridge.  argv is the script's (or NULL).
 */
static const char *
network_vif_bridge(const struct domcfg_vif *v, char *const argv[])
{
	const char	*br;

	if (v->bridge != NULL)
		return (v->bridge);
	if (argv != NULL && (br = network_script_arg(argv, "bridge")) != NULL &&
	    *br != '\0')
		return (br);
	return (xend_cfg.default_bridge);
}

char **
network_vif_argv(struct domain *d, const struct domcfg_vif *v,
    const char *op, const char *vif)
{
	char		**argv, *kv[8];
	const char	 *mac = v->mac, *ip = v->ip;
	const char	 *spec = network_vif_script(v);
	size_t		  n = 0, m;

	argv = network_script_argv(spec != NULL ? spec : "", op, NULL);
	kv[n++] = xsprintf("domain=%s", d->name);
	kv[n++] = xsprintf("vif=%s", vif);
	kv[n++] = xsprintf("bridge=%s", network_vif_bridge(v, argv));
	kv[n++] = xsprintf("mac=%s", mac != NULL ? mac : "");
	kv[n++] = xsprintf("domid=%d", d->domid);
	if (ip != NULL)
		kv[n++] = xsprintf("ip=%s", ip);
	kv[n] = NULL;
	if (argv == NULL) {
		argv = xcalloc(3, sizeof *argv);
		argv[0] = xstrdup("");
		argv[1] = xstrdup(op);
	}
	for (m = 0; argv[m] != NULL; m++)
		;
	argv = xreallocarray(argv, m + n + 1, sizeof *argv);
	memcpy(argv + m, kv, (n + 1) * sizeof *kv);
	return (argv);
}

void
network_vif_run(const char *vif, const char *what, char *const argv[],
    script_done_cb done, void *arg)
{
	char	**envp;

	envp = network_script_env(argv + 2);
	script_start_env(vif, what, argv, envp, xend_cfg.script_timeout, done,
	    arg);
	argv_free(envp);
}

/* network-script OP as a watched child; -1 if there is none. */
int
network_script_run(const char *op, const char *key, int timeout,
    script_done_cb done)
{
	char	**argv, **envp, *what;

	if ((argv = network_script_argv(xend_cfg.network_script, op,
	    NULL)) == NULL)
		return (-1);
	envp = network_script_env(NULL);
	what = xsprintf("network-script %s", op);
	if (timeout > xend_cfg.script_timeout)
		timeout = xend_cfg.script_timeout;
	script_start_env(key, what, argv, envp, timeout, done, NULL);
	free(what);
	argv_free(envp);
	argv_free(argv);
	return (0);
}

int
network_guest_mtu(const char *br)
{
	char	*path, *text, *cause;
	size_t	 len;
	long	 mtu;

	if (br == NULL || strchr(br, '/') != NULL)
		return (0);
	path = xsprintf("/sys/class/net/%s/mtu", br);
	if (file_read(path, &text, &len, &cause) != 0) {
		free(cause);
		free(path);
		return (0);
	}
	free(path);
	mtu = strtol(text, NULL, 10);
	free(text);
	return (mtu >= 68 && mtu < 1500 ? (int)mtu : 0);
}

const char *
network_nic_mtu(const char *nic, const struct domcfg_vif *v)
{
	static char	 buf[32];
	const char	*br = v->bridge;
	int		 mtu;

	/* Only virtio tells the guest its MTU. */
	if (strcmp(nic, "virtio-net-pci") != 0)
		return ("");
	mtu = network_guest_mtu(br != NULL ? br : xend_cfg.default_bridge);
	if (mtu == 0)
		return ("");
	snprintf(buf, sizeof buf, ",host_mtu=%d", mtu);
	return (buf);
}

/*
 * dnsmasq's lease files, parsed again only when they change (xm list asks
 * for every domain's addresses; the files change once a lease).
 */
struct lease_file {
	char		*path;
	struct timespec	 mtime;
	off_t		 size;
	json_t		*by_mac;	/* "00:16:3e:..": "10.80.0.23" */
	struct lease_file *next;
};
static struct lease_file	*lease_files;

static json_t *
lease_parse(const char *text)
{
	json_t		*by_mac = json_object();
	const char	*line = text, *nl;
	char		 buf[512], mac[32], ip[64];
	long long	 expiry;
	size_t		 len, i;

	for (; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (len < sizeof buf) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			/* "EXPIRY MAC IP HOSTNAME CLIENTID" */
			if (sscanf(buf, "%lld %31s %63s", &expiry, mac, ip) ==
			    3 && strchr(ip, ':') == NULL) {
				for (i = 0; mac[i] != '\0'; i++)
					mac[i] = tolower((unsigned char)mac[i]);
				json_object_set_new(by_mac, mac,
				    json_string(ip));
			}
		}
		if (nl == NULL)
			break;
	}
	return (by_mac);
}

static json_t *
lease_table(const char *bridge)
{
	struct lease_file	*f;
	struct stat		 st;
	char			*path, *text, *cause;
	size_t			 len;

	path = xsprintf("%s/network/%s.leases", xend_cfg.state_dir, bridge);
	for (f = lease_files; f != NULL; f = f->next)
		if (strcmp(f->path, path) == 0)
			break;
	if (stat(path, &st) != 0) {
		free(path);
		return (NULL);
	}
	if (f == NULL) {
		f = xcalloc(1, sizeof *f);
		f->path = xstrdup(path);
		f->next = lease_files;
		lease_files = f;
	}
	free(path);
	if (f->by_mac != NULL && f->size == st.st_size &&
	    f->mtime.tv_sec == st.st_mtim.tv_sec &&
	    f->mtime.tv_nsec == st.st_mtim.tv_nsec)
		return (f->by_mac);
	if (file_read(f->path, &text, &len, &cause) != 0) {
		free(cause);
		return (f->by_mac);
	}
	json_decref(f->by_mac);
	f->by_mac = lease_parse(text);
	free(text);
	f->mtime = st.st_mtim;
	f->size = st.st_size;
	return (f->by_mac);
}

const char *
network_lease_ip(const char *bridge, const char *mac)
{
	json_t	*t;
	char	 low[32];
	size_t	 i;

	if (bridge == NULL || mac == NULL || strlen(mac) >= sizeof low ||
	    strchr(bridge, '/') != NULL)
		return (NULL);
	if ((t = lease_table(bridge)) == NULL)
		return (NULL);
	for (i = 0; mac[i] != '\0'; i++)
		low[i] = tolower((unsigned char)mac[i]);
	low[i] = '\0';
	return (json_string_value(json_object_get(t, low)));
}

/* Where tool is: PATH, then the sbin directories a daemon's PATH may lack. */
char *
network_sbin_path(const char *tool)
{
	const char	*path = getenv("PATH"), *p, *end;
	char		*cand;

	for (p = path != NULL ? path : ""; *p != '\0'; p = end + (*end != '\0')) {
		end = strchrnul(p, ':');
		cand = xsprintf("%.*s/%s", (int)(end - p), p, tool);
		if (end > p && access(cand, X_OK) == 0)
			return (cand);
		free(cand);
	}
	cand = xsprintf("/usr/sbin/%s", tool);
	if (access(cand, X_OK) == 0)
		return (cand);
	free(cand);
	return (xsprintf("/sbin/%s", tool));
}

/*
 * A vif's rate: a token bucket (tc tbf) on its tap, which is what the
 * guest receives, in the vif's turn after it came up (what it sends:
 * antispoof.c's nft limit).
 */
void
network_vif_rate(struct domain *d, const struct domcfg_vif *v,
    const char *vif)
{
	struct netrate	 r;
	char		*cause, *argv[16], *what;
	int		 n = 0, i;

	if (v->rate == NULL)
		return;
	if (netrate_parse(v->rate, &r, &cause) != 0) {
		log_warn("%s: %s: %s", d->name, vif, cause);
		free(cause);
		return;
	}
	argv[n++] = network_sbin_path("tc");
	argv[n++] = xstrdup("qdisc");
	argv[n++] = xstrdup("replace");
	argv[n++] = xstrdup("dev");
	argv[n++] = xstrdup(vif);
	argv[n++] = xstrdup("root");
	argv[n++] = xstrdup("tbf");
	argv[n++] = xstrdup("rate");
	argv[n++] = xsprintf("%llubit", r.bits_per_s);
	argv[n++] = xstrdup("burst");
	argv[n++] = xsprintf("%llu", r.burst_bytes);
	argv[n++] = xstrdup("latency");
	argv[n++] = xsprintf("%luus", r.interval_us);
	argv[n] = NULL;
	what = xsprintf("%s: rate %s on %s", d->name, v->rate, vif);
	script_start(vif, what, argv, xend_cfg.script_timeout, NULL, NULL);
	free(what);
	for (i = 0; i < n; i++)
		free(argv[i]);
}

void
network_vif_name(const struct domcfg_vif *v, int domid, int devid, char *buf,
    size_t len)
{
	if (v->vifname != NULL)
		snprintf(buf, len, "%s", v->vifname);
	else
		xendcfg_vif_name(&xend_cfg, domid, devid, buf, len);
}

/*
 * {devid, vifname, mac, bridge, ip, ip_source} of interface devid
 * (config v): ip is the DHCP lease for the MAC on its bridge, else the
 * address its config gave it (the vif's ip=, else the domain's ip for
 * the first), else null.
 */
static json_t *
network_vif_json(struct domain *d, const struct domcfg_vif *v, int devid)
{
	const char	*br, *mac = v->mac, *ip, *src;
	char		 vif[32];

	network_vif_name(v, d->domid, devid, vif, sizeof vif);
	br = v->bridge != NULL ? v->bridge : xend_cfg.default_bridge;
	src = "lease";
	if ((ip = network_lease_ip(br, mac)) == NULL) {
		src = "config";
		ip = v->ip;
		if (ip == NULL && devid == 0)
			ip = d->config->ip;
		if (ip != NULL && *ip == '\0')
			ip = NULL;
	}
	return (json_pack("{s:i, s:s, s:s?, s:s, s:s?, s:s?}", "devid", devid,
	    "vifname", vif, "mac", mac, "bridge", br, "ip", ip, "ip_source",
	    ip != NULL ? src : NULL));
}

/* The domain's interfaces now: the config's (less detached), then added. */
json_t *
network_domain_json(struct domain *d)
{
	json_t			*out = json_array(), *v;
	struct domcfg_vif	 hv;
	size_t			 i;
	int			 devid;

	for (i = 0; i < d->config->nvifs; i++) {
		if (!netdev_detached(d, (int)i) && !netdev_failed(d, (int)i))
			json_array_append_new(out, network_vif_json(d,
			    &d->config->vifs[i], (int)i));
	}
	json_array_foreach(netdev_added(d), i, v) {
		devid = netdev_vif_view(v, &hv);
		if (!netdev_failed(d, devid))
			json_array_append_new(out, network_vif_json(d, &hv,
			    devid));
	}
	return (out);
}
