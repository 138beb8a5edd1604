/*
 * vif.c: a domain's network interfaces on the host.  When its QEMU comes
 * up each tap is handed to the vif-script or added to its bridge (in the
 * vif's turn, after network-script start), and when it goes the script
 * is told; a script that fails unplugs its interface.  xm network-attach
 * and network-detach on a running domain go through QMP: netdev_add of
 * the tap, device_add of the NIC, then the script or the bridge attach;
 * detach is the reverse once the guest has let the device go.  A step
 * that fails undoes the ones before it, so a domain is never left
 * half-plugged.  netdev.c keeps the record of what was added or taken.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <net/if.h>
#include <linux/sockios.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "domcfg.h"
#include "qmp.h"
#include "xend.h"

#define VIF_RELEASE_MS		250	/* how often to look for the unplug */
#define VIF_RELEASE_TRIES	40	/* 10 s for the guest to let go */

static void	vif_up_checked(struct domain *, const struct domcfg_vif *,
		    int);
static void	vif_added_up(struct domain *);
static void	vif_added_down(struct domain *);

static int
bridge_exists(const char *br)
{
	char	*path;
	int	 ok;

	xasprintf(&path, "/sys/class/net/%s/bridge", br);
	ok = access(path, F_OK) == 0;
	free(path);
	return (ok);
}

static int
ifreq_prepare(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof *ifr);
	if (strlen(name) >= sizeof ifr->ifr_name)
		return (-1);
	strcpy(ifr->ifr_name, name);
	return (0);
}

static int
vif_attach(const char *vif, const char *br, char **cause)
{
	struct ifreq	 ifr;
	int		 s, idx;

	if ((idx = if_nametoindex(vif)) == 0) {
		*cause = xsprintf("%s: %s", vif, strerror(errno));
		return (-1);
	}
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		*cause = xsprintf("socket: %s", strerror(errno));
		return (-1);
	}
	if (ifreq_prepare(&ifr, br) != 0)
		goto fail;
	ifr.ifr_ifindex = idx;
	if (ioctl(s, SIOCBRADDIF, &ifr) == -1)
		goto fail;
	if (ifreq_prepare(&ifr, vif) != 0 || ioctl(s, SIOCGIFFLAGS, &ifr) == -1)
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) == -1)
		goto fail;
	close(s);
	return (0);
fail:
	*cause = xsprintf("attach %s to %s: %s", vif, br, strerror(errno));
	close(s);
	return (-1);
}

/*
 * vif-script online|offline [its own words] domain=NAME vif=VIF bridge=BR
 * mac=MAC domid=D [ip=IP], the same as environment variables, as a
 * watched child keyed by the vif's name, so the offline of one QEMU
 * always ends before the online of the next (network.c).
 */
static void
vif_script(struct domain *d, const struct domcfg_vif *v, const char *op,
    const char *vif, script_done_cb done, void *arg)
{
	char	*what, **argv;

	argv = network_vif_argv(d, v, op, vif);
	xasprintf(&what, "%s: vif-script %s %s %s", d->name, argv[0], op, vif);
	network_vif_run(vif, what, argv, done, arg);
	free(what);
	argv_free(argv);
}

struct vif_attach_job {
	struct domain	*d;
	pid_t		 pid;		/* the QEMU whose tap it is */
	char		 vif[IFNAMSIZ];
	char		*br;		/* the built-in attach's; NULL: a script */
	char		*rules_error;	/* the antispoof rules did not load */
	script_done_cb	 done;
	void		*arg;
};

static void
vif_attach_job_free(struct vif_attach_job *j)
{
	domain_unref(j->d);
	free(j->rules_error);
	free(j->br);
	free(j);
}

/* The vif's rules loaded (or not) before its tap joins anything. */
static void
vif_rules_done(int ok, const char *how, void *arg)
{
	struct vif_attach_job	*j = arg;

	if (ok)
		return;
	j->rules_error = xsprintf("antispoof rules: %s", how);
	log_error("%s: %s: %s", j->d->name, j->vif, j->rules_error);
	dmesg_add("domain %s: %s: %s", j->d->name, j->vif, j->rules_error);
}

/* In the vif's turn (after network-script start): add it to its bridge. */
static void
vif_attach_turn(int ok, const char *how, void *arg)
{
	struct vif_attach_job	*j = arg;
	struct domain		*d = j->d;
	char			*cause = NULL;

	if (d->removed || d->exited || d->pid != j->pid)
		cause = xstrdup("the domain's QEMU is gone");
	else if (j->rules_error != NULL) {
		/* Unfiltered, the tap stays off the bridge. */
		cause = xstrdup(j->rules_error);
	} else if (!bridge_exists(j->br)) {
		log_warn("%s: bridge %s does not exist, %s left unattached",
		    d->name, j->br, j->vif);
		cause = xsprintf("bridge %s does not exist", j->br);
	} else if (vif_attach(j->vif, j->br, &cause) != 0)
		log_warn("%s: %s", d->name, cause);
	else
		log_info("%s: %s attached to %s", d->name, j->vif, j->br);
	if (j->done != NULL)
		j->done(cause == NULL, cause != NULL ? cause : "attached",
		    j->arg);
	free(cause);
	vif_attach_job_free(j);
}

/* The vif-script's online ended: a failure of the rules before it counts. */
static void
vif_online_done(int ok, const char *how, void *arg)
{
	struct vif_attach_job	*j = arg;

	if (j->done != NULL)
		j->done(ok && j->rules_error == NULL, j->rules_error != NULL ?
		    j->rules_error : how, j->arg);
	vif_attach_job_free(j);
}

/*
 * Its antispoof rules first, then the vif-script's online or the
 * built-in attach, as jobs keyed by the tap's name (so in this order,
 * after its earlier offline).
 */
void
vif_up(struct domain *d, const struct domcfg_vif *v, int devid,
    script_done_cb done, void *arg)
{
	struct vif_attach_job	*j;

	j = xcalloc(1, sizeof *j);
	network_vif_name(v, d->domid, devid, j->vif, sizeof j->vif);
	/* The tap is there (QEMU made it): its rate needs nothing else. */
	network_vif_rate(d, v, j->vif);
	domain_ref(d);
	j->d = d;
	j->pid = d->pid;
	j->done = done;
	j->arg = arg;
	antispoof_vif_up(d, v, devid, j->vif, vif_rules_done, j);
	if (network_vif_script(v) != NULL) {
		vif_script(d, v, "online", j->vif, vif_online_done, j);
		return;
	}
	j->br = xstrdup(v->bridge != NULL ? v->bridge :
	    xend_cfg.default_bridge);
	script_call(j->vif, "attach", vif_attach_turn, j);
}

void
vif_down(struct domain *d, const struct domcfg_vif *v, int devid,
    script_done_cb done, void *arg)
{
	char	 vif[IFNAMSIZ];

	network_vif_name(v, d->domid, devid, vif, sizeof vif);
	antispoof_vif_down(d, vif);
	if (network_vif_script(v) != NULL)
		vif_script(d, v, "offline", vif, done, arg);
	else if (done != NULL)
		script_call(vif, "detach", done, arg);
}

void
vif_domain_up(struct domain *d)
{
	size_t	 i;

	d->vifs_up = 1;
	vif_added_up(d);
	for (i = 0; i < d->config->nvifs; i++) {
		if (!netdev_detached(d, (int)i))
			vif_up_checked(d, &d->config->vifs[i], (int)i);
	}
}

/*
 * The taps went with their QEMU (destroy, shutdown, crash, before a
 * restart): the bridge forgets them by itself, scripts are told.
 */
void
vif_domain_down(struct domain *d)
{
	size_t	 i;

	if (!d->vifs_up)
		return;
	d->vifs_up = 0;
	for (i = 0; i < d->config->nvifs; i++) {
		if (!netdev_detached(d, (int)i))
			vif_down(d, &d->config->vifs[i], (int)i, NULL,
			    NULL);
	}
	vif_added_down(d);
}

#define VIF_UNPLUG_TRIES	60	/* once a second while the guest boots */

/* Whether qom-list's result (of /machine/peripheral) has NIC devid. */
static int
qom_has_nic(json_t *result, int devid)
{
	json_t	*v;
	size_t	 i;
	char	 did[32];

	snprintf(did, sizeof did, "vif%d", devid);
	json_array_foreach(result, i, v) {
		if (json_is_string(json_object_get(v, "name")) &&
		    strcmp(json_string_value(json_object_get(v, "name")),
		    did) == 0)
			return (1);
	}
	return (0);
}

struct vif_unplug {
	struct domain	*d;
	pid_t		 pid;		/* the QEMU it is for */
	int		 devid;
	int		 tries;
	struct event	*timer;
};

static void
vif_unplug_free(struct vif_unplug *u)
{
	if (u->timer != NULL)
		event_free(u->timer);
	domain_unref(u->d);
	free(u);
}

static void	vif_unplug_poll(evutil_socket_t, short, void *);

/*
 * A NIC's unplug request reaches the guest only once its ACPI hot-plug
 * handler runs (a request during its boot is lost): ask again each
 * second until QEMU no longer has the device.
 */
static void
vif_unplug_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct vif_unplug	*u = arg;
	struct timeval		 tv = { 1, 0 };
	char			 did[32];

	if (error != NULL || !qom_has_nic(result, u->devid) ||
	    u->d->removed || u->d->exited || u->d->pid != u->pid ||
	    ++u->tries > VIF_UNPLUG_TRIES) {
		vif_unplug_free(u);
		return;
	}
	snprintf(did, sizeof did, "vif%d", u->devid);
	qmp_command(u->d->qmp, "device_del", json_pack("{s:s}", "id", did),
	    NULL, NULL);
	if (u->timer == NULL)
		u->timer = evtimer_new(xend_base, vif_unplug_poll, u);
	evtimer_add(u->timer, &tv);
}

static void
vif_unplug_poll(evutil_socket_t fd, short what, void *arg)
{
	struct vif_unplug	*u = arg;

	if (u->d->removed || u->d->exited || !qmp_is_up(u->d->qmp)) {
		vif_unplug_free(u);
		return;
	}
	qmp_command(u->d->qmp, "qom-list", json_pack("{s:s}", "path",
	    "/machine/peripheral"), vif_unplug_cb, u);
}

/* Takes only the tap out (the NIC never came, or is gone already). */
static void
vif_unplug_tap(struct domain *d, int devid)
{
	char	id[32];

	if (!qmp_is_up(d->qmp))
		return;
	snprintf(id, sizeof id, "net%d", devid);
	qmp_command(d->qmp, "netdev_del", json_pack("{s:s}", "id", id), NULL,
	    NULL);
}

/* Asks the guest to let NIC devid go until it has (or a minute passed). */
static void
vif_unplug_nic(struct domain *d, int devid)
{
	struct vif_unplug	*u;

	u = xcalloc(1, sizeof *u);
	u->d = d;
	domain_ref(d);
	u->pid = d->pid;
	u->devid = devid;
	vif_unplug_poll(-1, 0, u);
}

/* Takes NIC devid and its tap out of QEMU: the tap (and link) at once. */
static void
vif_unplug(struct domain *d, int devid)
{
	if (!qmp_is_up(d->qmp))
		return;
	vif_unplug_tap(d, devid);
	vif_unplug_nic(d, devid);
}

struct vif_upjob {
	struct domain	*d;
	pid_t		 pid;		/* the QEMU it was for */
	int		 devid;
	char		*script;
	char		 vif[IFNAMSIZ];
};

/*
 * A vif-script online failed for a starting QEMU: the interface goes
 * (tap at once, NIC when the guest lets it go), so the domain runs
 * without it rather than with a NIC whose host side is half set up; the
 * next QEMU of the domain tries again.
 */
static void
vif_up_done(int ok, const char *how, void *arg)
{
	struct vif_upjob	*u = arg;
	struct domain		*d = u->d;
	const char		*vif = u->vif;

	if (!ok && !d->removed && !d->exited && d->pid == u->pid) {
		log_error("%s: vif-script %s online %s: %s; the interface was "
		    "unplugged", d->name, u->script, vif, how);
		dmesg_add("domain %s: vif-script %s online %s: %s; the "
		    "interface was unplugged", d->name, u->script, vif, how);
		netdev_set_failed(d, u->devid, 1);
		vif_unplug(d, u->devid);
	}
	domain_unref(d);
	free(u->script);
	free(u);
}

static void
vif_up_checked(struct domain *d, const struct domcfg_vif *v, int devid)
{
	struct vif_upjob	*u;
	const char		*script = network_vif_script(v);

	if (script == NULL) {
		/* The built-in attach: a missing bridge is only a warning. */
		vif_up(d, v, devid, NULL, NULL);
		return;
	}
	u = xcalloc(1, sizeof *u);
	u->d = d;
	domain_ref(d);
	u->pid = d->pid;
	u->devid = devid;
	u->script = xstrdup(script);
	network_vif_name(v, d->domid, devid, u->vif, sizeof u->vif);
	vif_up(d, v, devid, vif_up_done, u);
}

/* The added interfaces up (earlier failures forgotten: a new QEMU). */
static void
vif_added_up(struct domain *d)
{
	json_t			*v;
	struct domcfg_vif	 hv;
	size_t			 i;

	netdev_set_failed(d, -1, 0);
	json_array_foreach(netdev_added(d), i, v)
		vif_up_checked(d, &hv, netdev_vif_view(v, &hv));
}

static void
vif_added_down(struct domain *d)
{
	json_t			*v;
	struct domcfg_vif	 hv;
	size_t			 i;

	json_array_foreach(netdev_added(d), i, v)
		vif_down(d, &hv, netdev_vif_view(v, &hv), NULL, NULL);
}

struct vif_job {
	struct dom_done	 done;
	struct domain	*d;
	json_t		*vif;		/* with its devid */
	struct domcfg_vif cv;		/* vif's, borrowed from it */
	int		 devid;
	int		 added;		/* detach: an added one */
	int		 tries;
	struct event	*timer;
	char		*error;		/* attach: what failed */
	char		 name[IFNAMSIZ];
};

static void
vif_job_free(struct vif_job *j)
{
	if (j->timer != NULL)
		event_free(j->timer);
	free(j->error);
	json_decref(j->vif);
	domain_unref(j->d);
	free(j);
}

/* A hot-plug job for interface devid (vif: its entry, taken over). */
static struct vif_job *
vif_job_new(struct domain *d, json_t *vif, int devid, dom_done_cb done,
    void *arg)
{
	struct vif_job	*j = xcalloc(1, sizeof *j);

	j->done.fn = done;
	j->done.arg = arg;
	j->d = d;
	domain_ref(d);
	j->vif = vif;
	netdev_vif_view(vif, &j->cv);
	j->devid = devid;
	network_vif_name(&j->cv, d->domid, devid, j->name, sizeof j->name);
	return (j);
}

/* Job j ends: done is told (code NULL: it worked), j goes. */
#define vif_job_end(j, code, ...) do {					\
	domain_done(&(j)->done, (j)->d, code, __VA_ARGS__);		\
	vif_job_free(j);						\
} while (0)

/*
 * Whether job j is over after a step: its domain went away, or QMP
 * refused the step (what); the request is then answered (undo: the tap
 * is taken out again) and j freed.
 */
static int
vif_ended(struct vif_job *j, const char *error, const char *what,
    int undo)
{
	if (j->d->removed || j->d->exited || !qmp_is_up(j->d->qmp))
		vif_job_end(j, "failed", "domain %s went away", j->d->name);
	else if (error != NULL) {
		if (undo)
			vif_unplug_tap(j->d, j->devid);
		vif_job_end(j, "failed", "%s %s: %s", what, j->name, error);
	} else
		return (0);
	return (1);
}

static void
attach_undone_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct vif_job	*j = arg;

	if (!j->d->removed && !j->d->exited && qmp_is_up(j->d->qmp))
		vif_unplug_nic(j->d, j->devid);
	vif_job_end(j, "failed", "%s", j->error);
}

static void
attach_up_done(int ok, const char *how, void *arg)
{
	struct vif_job	*j = arg;
	const char	*script;
	char		 nid[32];

	if (vif_ended(j, NULL, NULL, 0))
		return;
	if (!ok) {
		script = network_vif_script(&j->cv);
		if (script != NULL)
			j->error = xsprintf("vif-script %s online %s: %s; the "
			    "interface was removed again", script, j->name,
			    how);
		else
			j->error = xsprintf("%s: %s; the interface was "
			    "removed again", j->name, how);
		dmesg_add("domain %s: network-attach of %s failed: %s",
		    j->d->name, j->name, how);
		vif_down(j->d, &j->cv, j->devid, NULL, NULL);
		/* Answered once the tap is gone; the NIC follows. */
		snprintf(nid, sizeof nid, "net%d", j->devid);
		qmp_command(j->d->qmp, "netdev_del", json_pack("{s:s}", "id",
		    nid), attach_undone_cb, j);
		return;
	}
	netdev_note_attached(j->d, j->vif);
	dmesg_add("domain %s: %s attached (%s)", j->d->name, j->name,
	    json_string_value(json_object_get(j->vif, "mac")));
	vif_job_end(j, NULL, NULL);
}

static void
attach_device_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct vif_job	*j = arg;

	if (vif_ended(j, error, "device_add for", 1))
		return;
	vif_up(j->d, &j->cv, j->devid, attach_up_done, j);
}

static void
attach_netdev_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct vif_job	*j = arg;
	char			 nid[32], did[32];
	json_t			*args;
	const char		*br;
	int			 mtu;

	if (vif_ended(j, error, "netdev_add for", 0))
		return;
	snprintf(nid, sizeof nid, "net%d", j->devid);
	snprintf(did, sizeof did, "vif%d", j->devid);
	args = json_pack("{s:s, s:s, s:s, s:s}", "driver",
	    qemu_nic(j->d->config, &j->cv), "id", did, "netdev", nid, "mac",
	    j->cv.mac);
	br = j->cv.bridge;
	if (strcmp(qemu_nic(j->d->config, &j->cv), "virtio-net-pci") == 0 &&
	    (mtu = network_guest_mtu(br != NULL ? br :
	    xend_cfg.default_bridge)) != 0)
		json_object_set_new(args, "host_mtu", json_integer(mtu));
	qmp_command(j->d->qmp, "device_add", args, attach_device_cb, j);
}

/* Whether d cannot take a hot-plug now: the error code, *cause set. */
static const char *
vif_hot_refused(struct domain *d, char **cause)
{
	if (d->state != DOM_RUNNING && d->state != DOM_PAUSED) {
		*cause = xsprintf("domain %s is not running", d->name);
		return ("invalid");
	}
	if (!qmp_is_up(d->qmp)) {
		*cause = xsprintf("domain %s: no qmp connection", d->name);
		return ("failed");
	}
	return (NULL);
}

const char *
vif_hot_attach(struct domain *d, const json_t *args, dom_done_cb done,
    void *arg, char **cause)
{
	static const char *const keys[] = { "mac", "bridge", "script", "ip",
	    "vifname", "model", "rate", "antispoof" };
	struct vif_job	*j;
	struct domcfg	*tc;
	json_t		*vif, *e, *cfg, *all;
	const char	*key, *code;
	char		 nid[32];
	size_t		 i;
	int		 devid, known;

	if ((code = vif_hot_refused(d, cause)) != NULL)
		return (code);
	vif = json_pack("{s:n, s:n, s:n, s:n}", "mac", "bridge", "script",
	    "ip");
	json_object_foreach((json_t *)args, key, e) {
		if (strcmp(key, "dom") == 0)
			continue;
		for (known = 0, i = 0; i < nitems(keys); i++)
			known |= strcmp(key, keys[i]) == 0;
		if (!known || (!json_is_string(e) && !json_is_null(e))) {
			*cause = known ? xsprintf("%s: expected a string",
			    key) : xsprintf("unknown argument '%s' (mac, "
			    "bridge, script, ip, vifname, model, rate, "
			    "antispoof)", key);
			json_decref(vif);
			return ("invalid");
		}
		if (json_is_string(e))
			json_object_set(vif, key, e);
	}
	/* The config's own checks, on the config as it would be. */
	cfg = domcfg_to_json(d->config);
	all = netdev_all(d);
	json_array_append(all, vif);
	json_object_set_new(cfg, "vifs", all);
	tc = domcfg_from_json(cfg, cause);
	json_decref(cfg);
	if (tc == NULL) {
		json_decref(vif);
		return ("invalid");
	}
	domcfg_fill_macs(tc);
	json_object_set_new(vif, "mac", json_string(tc->vifs[tc->nvifs -
	    1].mac));
	domcfg_free(tc);
	if ((devid = netdev_free_devid(d)) == -1) {
		*cause = xsprintf("domain %s has as many interfaces as it can",
		    d->name);
		json_decref(vif);
		return ("invalid");
	}
	json_object_set_new(vif, "devid", json_integer(devid));
	j = vif_job_new(d, vif, devid, done, arg);
	/* QEMU would take a leftover tap over, with its old bridge and all. */
	if (if_nametoindex(j->name) != 0) {
		*cause = xsprintf("%s already exists; remove it ('ip link "
		    "delete %s') and attach again", j->name, j->name);
		vif_job_free(j);
		return ("failed");
	}
	log_info("%s: network-attach %s (%s)", d->name, j->name, j->cv.mac);
	snprintf(nid, sizeof nid, "net%d", devid);
	qmp_command(d->qmp, "netdev_add", json_pack("{s:s, s:s, s:s, s:s,"
	    " s:s}", "type", "tap", "id", nid, "ifname", j->name, "script",
	    "no", "downscript", "no"), attach_netdev_cb, j);
	return (NULL);
}

static void
detach_down_done(int ok, const char *how, void *arg)
{
	struct vif_job	*j = arg;

	if (!ok)
		log_warn("%s: %s offline: %s", j->d->name, j->name, how);
	netdev_note_detached(j->d, j->devid);
	dmesg_add("domain %s: %s detached", j->d->name, j->name);
	vif_job_end(j, NULL, NULL);
}

static void	detach_poll(evutil_socket_t, short, void *);

/* The tap is gone: the script's offline, then the answer. */
static void
detach_netdev_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct vif_job	*j = arg;

	if (error != NULL)
		log_warn("%s: netdev_del of %s: %s", j->d->name, j->name,
		    error);
	vif_down(j->d, &j->cv, j->devid, detach_down_done, j);
}

/* Whether QEMU still has the device (the guest has not let it go). */
static void
detach_list_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct vif_job	*j = arg;
	struct timeval		 tv = { 0, VIF_RELEASE_MS * 1000 };
	char			 nid[32];

	if (vif_ended(j, NULL, NULL, 0))
		return;
	if (error == NULL && qom_has_nic(result, j->devid)) {
		if (++j->tries >= VIF_RELEASE_TRIES) {
			vif_job_end(j, "failed", "the guest did not "
			    "release %s within %d s (does its kernel do PCI "
			    "hot-plug?); QEMU removes it when it does",
			    j->name, VIF_RELEASE_TRIES * VIF_RELEASE_MS /
			    1000);
			return;
		}
		if (j->timer == NULL)
			j->timer = evtimer_new(xend_base, detach_poll, j);
		evtimer_add(j->timer, &tv);
		return;
	}
	snprintf(nid, sizeof nid, "net%d", j->devid);
	qmp_command(j->d->qmp, "netdev_del", json_pack("{s:s}", "id", nid),
	    detach_netdev_cb, j);
}

static void
detach_poll(evutil_socket_t fd, short what, void *arg)
{
	struct vif_job	*j = arg;

	if (vif_ended(j, NULL, NULL, 0))
		return;
	qmp_command(j->d->qmp, "qom-list", json_pack("{s:s}", "path",
	    "/machine/peripheral"), detach_list_cb, j);
}

static void
detach_device_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct vif_job	*j = arg;

	if (vif_ended(j, error, "device_del of", 0))
		return;
	detach_poll(-1, 0, j);
}

const char *
vif_hot_detach(struct domain *d, int devid, dom_done_cb done, void *arg,
    char **cause)
{
	struct vif_job	*j;
	json_t		*v;
	const char	*code;
	char		 did[32];
	int		 added;

	if ((v = netdev_find(d, devid, &added)) == NULL) {
		*cause = xsprintf("domain %s has no network interface %d",
		    d->name, devid);
		return ("not_found");
	}
	if ((code = vif_hot_refused(d, cause)) != NULL) {
		json_decref(v);
		return (code);
	}
	j = vif_job_new(d, v, devid, done, arg);
	j->added = added;
	log_info("%s: network-detach %s", d->name, j->name);
	snprintf(did, sizeof did, "vif%d", devid);
	qmp_command(d->qmp, "device_del", json_pack("{s:s}", "id", did),
	    detach_device_cb, j);
	return (NULL);
}
