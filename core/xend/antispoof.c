/*
 * antispoof.c: what a guest may send through its vif (xend-config's
 * vif-antispoof, a vif's antispoof=) and how fast (its rate=).  Frames from the guest's tap must
 * carry the vif's MAC as Ethernet source and ARP sender; when the vif
 * has addresses (its ip=, or the domain's ip for its first interface)
 * IPv4 sources and ARP sender addresses must be one of them, and
 * without them, on a bridge whose DHCP server is network-bridge's
 * dnsmasq, the address it leased to the MAC (0.0.0.0 always, for DHCP);
 * a guest never sends from UDP port 67 or 547 (a DHCP server), IPv6
 * router advertisements or redirects, or VLAN-tagged frames.
 *
 * A vif's rate= limits what the guest sends as Xen's netback did (what
 * it receives is tc's, network.c): frames over the rate are dropped
 * (nft limit, bytes, with the rate's window as burst), first in the
 * vif's chain, so no accept of the rules after it passes them unlimited.
 * With antispoof=no the chain holds only the limit.
 *
 * The rules live in two nftables tables of this xend's own, "bridge
 * xen-antispoof-VIFPREFIX" (frames entering the bridge from the tap) and
 * "inet xen-antispoof-VIFPREFIX" (a routed tap, vif-route), each a map
 * from the tap's name to a chain of its own, so two xends never touch
 * each other's rules.  A vif's rules are loaded (by nft, as a job keyed
 * by the tap's name, so in order with its vif-script) before its tap
 * joins the bridge and removed after it left; every load is one nft
 * transaction that replaces the vif's chain whole.  At start the tables
 * are rebuilt in one transaction from the domains xend re-adopted, so a
 * restart neither duplicates nor loses rules and drops those of domains
 * that died meanwhile.  At stop they are kept while domains run, deleted
 * otherwise.  Lease changes (inotify on the lease files) reload the
 * vifs pinned to them.
 */
#include <sys/inotify.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <net/if.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "netrate.h"
#include "xend.h"

/* A vif whose rules are loaded (or queued): xend's view of the table. */
struct as_vif {
	char			*name;		/* the tap */
	char			*mac;
	char			*bridge;
	char			*ips;		/* configured, or NULL */
	char			*lease;		/* leased == 1: pinned to it */
	int			 leased;	/* no ips: pinned to the lease */
	int			 filter;	/* the antispoof rules */
	unsigned long long	 rate;		/* bytes/s; 0: no limit */
	unsigned long long	 burst;
	TAILQ_ENTRY(as_vif)	 entry;
};
static TAILQ_HEAD(, as_vif) as_vifs = TAILQ_HEAD_INITIALIZER(as_vifs);

/* bridge: frames entering a bridge from a tap; inet: a routed tap. */
static const char *const as_families[] = { "bridge", "inet" };

static struct event	*as_lease_ev;
static int		 as_lease_fd = -1;

/* Appends to the text *t. */
static void printflike(2, 3)
as_add(char **t, const char *fmt, ...)
{
	va_list	 ap;
	char	*more, *both;

	va_start(ap, fmt);
	xvasprintf(&more, fmt, ap);
	va_end(ap);
	xasprintf(&both, "%s%s", *t, more);
	free(more);
	free(*t);
	*t = both;
}

char *
antispoof_table(const char *prefix)
{
	return (xsprintf("xen-antispoof-%s", prefix));
}

/* Appends "{ 0.0.0.0, A, B }" for the space separated ips (may be NULL). */
static void
as_addr_set(char **out, const char *ips)
{
	char	*copy, *w, *last, *s;

	s = xstrdup("{ 0.0.0.0");
	copy = xstrdup(ips != NULL ? ips : "");
	for (w = strtok_r(copy, " ", &last); w != NULL;
	    w = strtok_r(NULL, " ", &last))
		as_add(&s, ", %s", w);
	free(copy);
	as_add(&s, " }");
	as_add(out, "%s", s);
	free(s);
}

/* The family's table, its map and its prerouting chain, if missing. */
static void
as_base(char **t, const char *family, const char *table)
{
	as_add(t, "add table %s %s\n", family, table);
	as_add(t, "add map %s %s vifs { type ifname : verdict; }\n",
	    family, table);
	as_add(t, "add chain %s %s prerouting { type filter hook "
	    "prerouting priority -300; policy accept; }\n", family, table);
	/* Flushed and added in one transaction: always one rule. */
	as_add(t, "flush chain %s %s prerouting\n", family, table);
	as_add(t, "add rule %s %s prerouting iifname vmap @vifs\n", family,
	    table);
}

/* The antispoof rules of v, in chain c ("FAMILY TABLE port-TAP"). */
static void
as_filter_rules(char **t, const char *family, const char *c,
    const struct antispoof_vif *v)
{
	if (strcmp(family, "bridge") == 0) {
		as_add(t, "add rule %s ether saddr != %s drop\n", c, v->mac);
		as_add(t, "add rule %s ether type { 8021q, 8021ad } drop\n",
		    c);
		as_add(t, "add rule %s arp saddr ether != %s drop\n", c,
		    v->mac);
		if (v->pin) {
			as_add(t, "add rule %s arp saddr ip != ", c);
			as_addr_set(t, v->ips);
			as_add(t, " drop\n");
		}
	}
	as_add(t, "add rule %s udp sport { 67, 547 } drop\n", c);
	as_add(t, "add rule %s icmpv6 type { nd-router-advert, nd-redirect } "
	    "drop\n", c);
	if (v->pin) {
		/*
		 * A DHCP client's renewal from an address not (or no longer)
		 * leased here, e.g. after a migration: the server's answer
		 * decides what is pinned next.
		 */
		as_add(t, "add rule %s udp sport 68 udp dport 67 accept\n", c);
		as_add(t, "add rule %s ip saddr != ", c);
		as_addr_set(t, v->ips);
		as_add(t, " drop\n");
	}
}

char *
antispoof_install_text(const char *table, const struct antispoof_vif *v)
{
	const char	*f;
	char		*t = xstrdup(""), *c;
	size_t		 i;

	for (i = 0; i < nitems(as_families); i++) {
		f = as_families[i];
		as_base(&t, f, table);
		c = xsprintf("%s %s port-%s", f, table, v->vif);
		as_add(&t, "add chain %s\nflush chain %s\n", c, c);
		/* First: the accept of a DHCP request must not skip it. */
		if (v->rate != 0)
			as_add(&t, "add rule %s limit rate over %llu "
			    "bytes/second burst %llu bytes drop\n", c, v->rate,
			    v->burst);
		if (v->filter)
			as_filter_rules(&t, f, c, v);
		as_add(&t, "add element %s %s vifs { \"%s\" : jump port-%s "
		    "}\n", f, table, v->vif, v->vif);
		free(c);
	}
	return (t);
}

char *
antispoof_remove_text(const char *table, const char *vif)
{
	char	*t = xstrdup("");
	size_t	 i;

	/* Made first, so the deletes work whether or not they were there. */
	for (i = 0; i < nitems(as_families); i++) {
		as_add(&t, "add table %s %s\n", as_families[i], table);
		as_add(&t, "add map %s %s vifs { type ifname : verdict; }\n",
		    as_families[i], table);
		as_add(&t, "add chain %s %s port-%s\n", as_families[i], table,
		    vif);
		as_add(&t, "add element %s %s vifs { \"%s\" : jump port-%s "
		    "}\n", as_families[i], table, vif, vif);
		as_add(&t, "delete element %s %s vifs { \"%s\" }\n",
		    as_families[i], table, vif);
		as_add(&t, "delete chain %s %s port-%s\n", as_families[i],
		    table, vif);
	}
	return (t);
}

char *
antispoof_drop_text(const char *table)
{
	char	*t = xstrdup("");
	size_t	 i;

	for (i = 0; i < nitems(as_families); i++) {
		as_add(&t, "add table %s %s\n", as_families[i], table);
		as_add(&t, "delete table %s %s\n", as_families[i], table);
	}
	return (t);
}

static void
as_vif_free(struct as_vif *a)
{
	free(a->name);
	free(a->mac);
	free(a->bridge);
	free(a->ips);
	free(a->lease);
	free(a);
}

static struct as_vif *
as_vif_find(const char *name)
{
	struct as_vif	*a;

	TAILQ_FOREACH(a, &as_vifs, entry)
		if (strcmp(a->name, name) == 0)
			return (a);
	return (NULL);
}

static void
as_vif_forget(const char *name)
{
	struct as_vif	*a;

	if ((a = as_vif_find(name)) != NULL) {
		TAILQ_REMOVE(&as_vifs, a, entry);
		as_vif_free(a);
	}
}

/* Whether the space separated list ips has address ip. */
static int
as_ips_have(const char *ips, const char *ip)
{
	size_t		 len = strlen(ip);
	const char	*p;

	for (p = ips; p != NULL && (p = strstr(p, ip)) != NULL; p += len) {
		if ((p == ips || p[-1] == ' ') && (p[len] == '\0' ||
		    p[len] == ' '))
			return (1);
	}
	return (0);
}

/*
 * What dnsmasq leased to a's MAC now, unless another vif of this xend
 * was given that address (a guest may ask dnsmasq for any address).
 */
static char *
as_lease_now(const struct as_vif *a)
{
	const struct as_vif	*o;
	const char		*ip;

	if ((ip = network_lease_ip(a->bridge, a->mac)) == NULL)
		return (NULL);
	TAILQ_FOREACH(o, &as_vifs, entry) {
		if (o != a && as_ips_have(o->ips, ip)) {
			log_warn("antispoof: %s: %s leased %s, the address of "
			    "%s: not allowed", a->name, a->bridge, ip,
			    o->name);
			return (NULL);
		}
	}
	return (xstrdup(ip));
}

static int
as_lease_file_exists(const char *bridge)
{
	char	*path;
	int	 ok;

	path = xsprintf("%s/network/%s.leases", xend_cfg.state_dir, bridge);
	ok = access(path, F_OK) == 0;
	free(path);
	return (ok);
}

/* Whether vif v is filtered: its antispoof=, else vif-antispoof. */
static int
as_filtered(const struct domcfg_vif *v)
{
	if (v->antispoof != NULL)
		return (strcmp(v->antispoof, "yes") == 0);
	return (xend_cfg.vif_antispoof);
}

/* Whether vif v has a chain: it is filtered, or what it sends limited. */
static int
as_wanted(const struct domcfg_vif *v)
{
	return (as_filtered(v) || v->rate != NULL);
}

/* The rate= of vif as bytes/s and burst into a (config checked: 0 if not). */
static void
as_vif_rate(struct as_vif *a, const struct domcfg_vif *v)
{
	struct netrate	 r;
	char		*cause;

	if (v->rate == NULL)
		return;
	if (netrate_parse(v->rate, &r, &cause) != 0) {
		log_warn("%s: %s", a->name, cause);
		free(cause);
		return;
	}
	a->rate = r.bits_per_s / 8 != 0 ? r.bits_per_s / 8 : 1;
	a->burst = r.burst_bytes;
}

/* Records vif (interface devid of d, config v) as having a chain. */
static struct as_vif *
as_vif_note(struct domain *d, const struct domcfg_vif *v, int devid,
    const char *vif)
{
	struct as_vif	*a;
	const char	*ips = v->ip;

	as_vif_forget(vif);
	a = xcalloc(1, sizeof *a);
	a->name = xstrdup(vif);
	a->mac = xstrdup(v->mac != NULL ? v->mac : "");
	a->bridge = xstrdup(v->bridge != NULL ? v->bridge :
	    xend_cfg.default_bridge);
	as_vif_rate(a, v);
	TAILQ_INSERT_TAIL(&as_vifs, a, entry);
	if (!(a->filter = as_filtered(v)))
		return (a);
	if (ips == NULL && devid == 0 && d->config->ip != NULL &&
	    *d->config->ip != '\0')
		ips = d->config->ip;
	if (ips != NULL)
		a->ips = xstrdup(ips);
	else if (as_lease_file_exists(a->bridge))
		a->leased = 1;
	if (a->leased)
		a->lease = as_lease_now(a);
	return (a);
}

static char *
as_text(const struct as_vif *a)
{
	struct antispoof_vif	 v;
	char			*table, *t;

	v.vif = a->name;
	v.mac = a->mac;
	v.ips = a->leased ? a->lease : a->ips;
	v.pin = a->leased || a->ips != NULL;
	v.filter = a->filter;
	v.rate = a->rate;
	v.burst = a->burst;
	table = antispoof_table(xend_cfg.vif_prefix);
	t = antispoof_install_text(table, &v);
	free(table);
	return (t);
}

static void
as_run(const char *key, const char *what, const char *text,
    script_done_cb done, void *arg)
{
	char	*argv[3];

	argv[0] = network_sbin_path("nft");
	argv[1] = (char *)text;
	argv[2] = NULL;
	script_start(key, what, argv, xend_cfg.script_timeout, done, arg);
	free(argv[0]);
}

void
antispoof_vif_down(struct domain *d, const char *vif)
{
	char	*text, *what, *table;

	as_vif_forget(vif);
	table = antispoof_table(xend_cfg.vif_prefix);
	text = antispoof_remove_text(table, vif);
	what = xsprintf("%s: antispoof rules of %s removed", d->name, vif);
	as_run(vif, what, text, NULL, NULL);
	free(table);
	free(text);
	free(what);
}

void
antispoof_vif_up(struct domain *d, const struct domcfg_vif *v, int devid,
    const char *vif, script_done_cb done, void *arg)
{
	struct as_vif	*a;
	char		*text, *what;

	if (!as_wanted(v)) {
		/* A name reused with neither: none of the old rules. */
		antispoof_vif_down(d, vif);
		script_call(vif, "antispoof off", done, arg);
		return;
	}
	a = as_vif_note(d, v, devid, vif);
	text = as_text(a);
	if (!a->filter)
		what = xsprintf("%s: what %s sends limited to %s", d->name,
		    vif, v->rate);
	else
		what = xsprintf("%s: antispoof rules for %s (%s, %s)%s%s",
		    d->name, vif, a->mac, a->ips != NULL ? a->ips : a->leased ?
		    (a->lease != NULL ? a->lease : "no lease yet") : "MAC only",
		    a->rate != 0 ? ", what it sends limited to " : "",
		    a->rate != 0 ? v->rate : "");
	log_info("%s", what);
	as_run(vif, what, text, done, arg);
	free(text);
	free(what);
}

/* A lease file changed: the vifs pinned to its leases follow. */
static void
as_leases_changed(const char *bridge)
{
	struct as_vif	*a;
	char		*ip, *text, *what;

	TAILQ_FOREACH(a, &as_vifs, entry) {
		if (!a->leased || strcmp(a->bridge, bridge) != 0)
			continue;
		ip = as_lease_now(a);
		if ((ip == NULL && a->lease == NULL) || (ip != NULL &&
		    a->lease != NULL && strcmp(ip, a->lease) == 0)) {
			free(ip);
			continue;
		}
		free(a->lease);
		a->lease = ip;
		text = as_text(a);
		what = xsprintf("antispoof: %s pinned to %s", a->name,
		    ip != NULL ? ip : "no address");
		log_info("%s", what);
		as_run(a->name, what, text, NULL, NULL);
		free(text);
		free(what);
	}
}

static void
as_lease_cb(evutil_socket_t fd, short what, void *arg)
{
	char			 buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t			 n;
	size_t			 len;
	char			*br;

	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ev = (void *)buf; (char *)ev < buf + n;
		    ev = (void *)((char *)ev + sizeof *ev + ev->len)) {
			len = ev->len != 0 ? strlen(ev->name) : 0;
			if (len <= 7 || strcmp(ev->name + len - 7, ".leases")
			    != 0)
				continue;
			br = xstrndup(ev->name, len - 7);
			as_leases_changed(br);
			free(br);
		}
	}
}

/* Watches the lease files (network-bridge's dnsmasq writes them). */
static void
as_lease_watch(void)
{
	char	*dir, *cause;

	dir = xsprintf("%s/network", xend_cfg.state_dir);
	if (mkdir_p(dir, 0700, &cause) != 0) {
		log_warn("antispoof: %s", cause);
		free(cause);
	} else if ((as_lease_fd = inotify_init1(IN_NONBLOCK |
	    IN_CLOEXEC)) == -1 || inotify_add_watch(as_lease_fd, dir,
	    IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
	    IN_DELETE) == -1)
		log_warn("antispoof: cannot watch %s: %s; addresses are "
		    "pinned to the leases known when vifs come up", dir,
		    strerror(errno));
	else {
		as_lease_ev = event_new(xend_base, as_lease_fd,
		    EV_READ | EV_PERSIST, as_lease_cb, NULL);
		event_add(as_lease_ev, NULL);
	}
	free(dir);
}

static void
as_rebuild_done(int ok, const char *how, void *arg)
{
	if (!ok) {
		log_error("antispoof: cannot load the rules: %s", how);
		dmesg_add("antispoof: cannot load the rules: %s", how);
	}
}

/*
 * After the re-adoption: the tables made again, in one transaction, from
 * the interfaces of the domains that run (a barrier, before any vif's
 * job).
 */
void
antispoof_init(void)
{
	struct domain		*d;
	struct domcfg_vif	 hv;
	struct as_vif		*a;
	json_t			*v;
	char			*text, *t, *table, vif[IFNAMSIZ];
	size_t			 i;
	int			 devid, n = 0;

	as_lease_watch();
	TAILQ_FOREACH(d, &domains, entry) {
		if (!d->vifs_up || d->exited || d->pid <= 0)
			continue;
		for (i = 0; i < d->config->nvifs; i++) {
			if (netdev_detached(d, (int)i) || !as_wanted(
			    &d->config->vifs[i]))
				continue;
			network_vif_name(&d->config->vifs[i], d->domid, (int)i,
			    vif, sizeof vif);
			as_vif_note(d, &d->config->vifs[i], (int)i, vif);
		}
		json_array_foreach(netdev_added(d), i, v) {
			devid = netdev_vif_view(v, &hv);
			if (!as_wanted(&hv))
				continue;
			network_vif_name(&hv, d->domid, devid, vif, sizeof vif);
			as_vif_note(d, &hv, devid, vif);
		}
	}
	table = antispoof_table(xend_cfg.vif_prefix);
	text = antispoof_drop_text(table);
	TAILQ_FOREACH(a, &as_vifs, entry) {
		t = as_text(a);
		as_add(&text, "%s", t);
		free(t);
		n++;
	}
	t = xsprintf("antispoof: tables %s rebuilt for %d interfaces", table,
	    n);
	log_info("%s", t);
	as_run(NULL, t, text, as_rebuild_done, NULL);
	free(t);
	free(text);
	free(table);
}

/* xend stops: the tables go unless domains still run behind them. */
void
antispoof_fini(void)
{
	char	*argv[3], *table;
	pid_t	 pid;
	int	 status;

	if (as_lease_ev != NULL) {
		event_free(as_lease_ev);
		as_lease_ev = NULL;
	}
	if (as_lease_fd != -1) {
		close(as_lease_fd);
		as_lease_fd = -1;
	}
	if (!TAILQ_EMPTY(&as_vifs)) {
		log_info("antispoof: rules kept for the domains left running");
		return;
	}
	table = antispoof_table(xend_cfg.vif_prefix);
	argv[0] = network_sbin_path("nft");
	argv[1] = antispoof_drop_text(table);
	argv[2] = NULL;
	if ((pid = fork()) == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &status, 0) == -1 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		log_warn("antispoof: cannot delete the tables %s", table);
	else
		log_info("antispoof: tables %s deleted", table);
	free(argv[0]);
	free(argv[1]);
	free(table);
}
