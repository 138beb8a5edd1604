/*
 * netdev.c: network interfaces added to and removed from running domains
 * (xm network-attach, network-detach), through QMP: netdev_add of a tap
 * named as the manual's vifD.N, device_add of a virtio NIC, then the
 * vif-script (or the bridge attach) in the vif's turn; detach is the
 * reverse once the guest has let the device go.  A step that fails
 * undoes the ones before it, so a domain is never left half-plugged.
 *
 * What changed is kept beside the domain's config, in DIR/netdevs.json
 * ({"added": [{devid, mac, bridge, script, ip}], "detached": [devid]}),
 * so a restarted xend knows it and a restarted QEMU gets the same
 * interfaces.  devid is the tap's index: the config's interfaces keep
 * theirs (0..n-1), added ones take the lowest free one.
 */
#include <sys/queue.h>

#include <net/if.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "domcfg.h"
#include "qmp.h"
#include "xend.h"

#define NETDEV_MAX		32	/* devids 0..31: tap names fit */
#define NETDEV_RELEASE_MS	250	/* how often to look for the unplug */
#define NETDEV_RELEASE_TRIES	40	/* 10 s for the guest to let go */

struct netdev_dom {
	struct domain		*d;
	json_t			*added;
	json_t			*detached;
	json_t			*failed;	/* devids: script failed, unplugged */
	LIST_ENTRY(netdev_dom)	 entry;
};
static LIST_HEAD(, netdev_dom) netdev_doms =
    LIST_HEAD_INITIALIZER(netdev_doms);

static char *
netdev_path(struct domain *d)
{
	return (xsprintf("%s/netdevs.json", d->dir));
}

/* The domain's record, read from its file the first time. */
static struct netdev_dom *
netdev_get(struct domain *d)
{
	struct netdev_dom	*n;
	json_t			*o;
	json_error_t		 jerr;
	char			*path;

	LIST_FOREACH(n, &netdev_doms, entry)
		if (n->d == d)
			return (n);
	n = xcalloc(1, sizeof *n);
	n->d = d;
	path = netdev_path(d);
	if ((o = json_load_file(path, 0, &jerr)) != NULL) {
		n->added = json_incref(json_object_get(o, "added"));
		n->detached = json_incref(json_object_get(o, "detached"));
		json_decref(o);
	}
	free(path);
	if (!json_is_array(n->added)) {
		json_decref(n->added);
		n->added = json_array();
	}
	if (!json_is_array(n->detached)) {
		json_decref(n->detached);
		n->detached = json_array();
	}
	n->failed = json_array();
	LIST_INSERT_HEAD(&netdev_doms, n, entry);
	return (n);
}

static int
netdev_save(struct netdev_dom *n, char **cause)
{
	json_t	*o;
	char	*path, *text;
	int	 rc;

	o = json_pack("{s:O, s:O}", "added", n->added, "detached",
	    n->detached);
	text = json_dumps(o, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(o);
	path = netdev_path(n->d);
	rc = file_write_atomic(path, text, strlen(text), 0600, cause);
	free(path);
	free(text);
	return (rc);
}

void
netdev_domain_gone(struct domain *d)
{
	struct netdev_dom	*n;
	char			*path;

	path = netdev_path(d);
	unlink(path);
	free(path);
	LIST_FOREACH(n, &netdev_doms, entry) {
		if (n->d == d) {
			LIST_REMOVE(n, entry);
			json_decref(n->added);
			json_decref(n->detached);
			json_decref(n->failed);
			free(n);
			return;
		}
	}
}

static int
devid_in(json_t *list, int devid)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(list, i, v)
		if (json_integer_value(v) == devid)
			return (1);
	return (0);
}

int
netdev_detached(struct domain *d, int devid)
{
	return (devid_in(netdev_get(d)->detached, devid));
}

int
netdev_failed(struct domain *d, int devid)
{
	return (devid_in(netdev_get(d)->failed, devid));
}

json_t *
netdev_added(struct domain *d)
{
	return (netdev_get(d)->added);
}

static int
vif_devid(json_t *v)
{
	return ((int)json_integer_value(json_object_get(v, "devid")));
}

int
netdev_vif_view(json_t *v, struct domcfg_vif *out)
{
	out->mac = (char *)json_string_value(json_object_get(v, "mac"));
	out->bridge = (char *)json_string_value(json_object_get(v, "bridge"));
	out->script = (char *)json_string_value(json_object_get(v, "script"));
	out->ip = (char *)json_string_value(json_object_get(v, "ip"));
	out->vifname = (char *)json_string_value(json_object_get(v,
	    "vifname"));
	out->model = (char *)json_string_value(json_object_get(v, "model"));
	out->rate = (char *)json_string_value(json_object_get(v, "rate"));
	return (vif_devid(v));
}

/* A config vif as a JSON entry {mac, bridge, script, ip, ...}. */
static json_t *
vif_json(const struct domcfg_vif *v)
{
	json_t	*o;

	o = json_pack("{s:s?, s:s?, s:s?, s:s?}", "mac", v->mac, "bridge",
	    v->bridge, "script", v->script, "ip", v->ip);
	if (v->vifname != NULL)
		json_object_set_new(o, "vifname", json_string(v->vifname));
	if (v->model != NULL)
		json_object_set_new(o, "model", json_string(v->model));
	if (v->rate != NULL)
		json_object_set_new(o, "rate", json_string(v->rate));
	return (o);
}

void
netdev_qemu_args(struct domain *d, char ***out)
{
	json_t			*v;
	struct domcfg_vif	 hv;
	size_t			 i, n = 0;
	char			**a, vif[IFNAMSIZ];
	int			 devid;

	a = xcalloc(json_array_size(netdev_added(d)) * 4 + 1, sizeof *a);
	json_array_foreach(netdev_added(d), i, v) {
		devid = netdev_vif_view(v, &hv);
		network_vif_name(&hv, d->domid, devid, vif, sizeof vif);
		a[n++] = xstrdup("-netdev");
		a[n++] = xsprintf("tap,id=net%d,ifname=%s,script=no,"
		    "downscript=no", devid, vif);
		a[n++] = xstrdup("-device");
		a[n++] = xsprintf("%s,id=vif%d,netdev=net%d,mac=%s%s",
		    domcfg_vif_driver(&hv), devid, devid, hv.mac,
		    network_nic_mtu(&hv));
	}
	a[n] = NULL;
	*out = a;
}

#define NETDEV_UNPLUG_TRIES	60	/* once a second while the guest boots */

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

struct netdev_unplug {
	struct domain	*d;
	pid_t		 pid;		/* the QEMU it is for */
	int		 devid;
	int		 tries;
	struct event	*timer;
};

static void
netdev_unplug_free(struct netdev_unplug *u)
{
	if (u->timer != NULL)
		event_free(u->timer);
	domain_unref(u->d);
	free(u);
}

static void	netdev_unplug_poll(evutil_socket_t, short, void *);

/*
 * A NIC's unplug request reaches the guest only once its ACPI hot-plug
 * handler runs (a request during its boot is lost): ask again each
 * second until QEMU no longer has the device.
 */
static void
netdev_unplug_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct netdev_unplug	*u = arg;
	struct timeval		 tv = { 1, 0 };
	char			 did[32];

	if (error != NULL || !qom_has_nic(result, u->devid) ||
	    u->d->removed || u->d->exited || u->d->pid != u->pid ||
	    ++u->tries > NETDEV_UNPLUG_TRIES) {
		netdev_unplug_free(u);
		return;
	}
	snprintf(did, sizeof did, "vif%d", u->devid);
	qmp_command(u->d->qmp, "device_del", json_pack("{s:s}", "id", did),
	    NULL, NULL);
	if (u->timer == NULL)
		u->timer = evtimer_new(xend_base, netdev_unplug_poll, u);
	evtimer_add(u->timer, &tv);
}

static void
netdev_unplug_poll(evutil_socket_t fd, short what, void *arg)
{
	struct netdev_unplug	*u = arg;

	if (u->d->removed || u->d->exited || !qmp_is_up(u->d->qmp)) {
		netdev_unplug_free(u);
		return;
	}
	qmp_command(u->d->qmp, "qom-list", json_pack("{s:s}", "path",
	    "/machine/peripheral"), netdev_unplug_cb, u);
}

/* Takes only the tap out (the NIC never came, or is gone already). */
static void
netdev_unplug_tap(struct domain *d, int devid)
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
netdev_unplug_nic(struct domain *d, int devid)
{
	struct netdev_unplug	*u;

	u = xcalloc(1, sizeof *u);
	u->d = d;
	domain_ref(d);
	u->pid = d->pid;
	u->devid = devid;
	netdev_unplug_poll(-1, 0, u);
}

/* Takes NIC devid and its tap out of QEMU: the tap (and link) at once. */
static void
netdev_unplug(struct domain *d, int devid)
{
	if (!qmp_is_up(d->qmp))
		return;
	netdev_unplug_tap(d, devid);
	netdev_unplug_nic(d, devid);
}

struct netdev_up {
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
netdev_up_done(int ok, const char *how, void *arg)
{
	struct netdev_up	*u = arg;
	struct domain		*d = u->d;
	const char		*vif = u->vif;

	if (!ok && !d->removed && !d->exited && d->pid == u->pid) {
		log_error("%s: vif-script %s online %s: %s; the interface was "
		    "unplugged", d->name, u->script, vif, how);
		dmesg_add("domain %s: vif-script %s online %s: %s; the "
		    "interface was unplugged", d->name, u->script, vif, how);
		json_array_append_new(netdev_get(d)->failed,
		    json_integer(u->devid));
		netdev_unplug(d, u->devid);
	}
	domain_unref(d);
	free(u->script);
	free(u);
}

void
netdev_vif_up(struct domain *d, const struct domcfg_vif *v, int devid)
{
	struct netdev_up	*u;
	const char		*script = network_vif_script(v);

	if (script == NULL) {
		/* The built-in attach: a missing bridge is only a warning. */
		qemu_vif_up(d, v, devid, NULL, NULL);
		return;
	}
	u = xcalloc(1, sizeof *u);
	u->d = d;
	domain_ref(d);
	u->pid = d->pid;
	u->devid = devid;
	u->script = xstrdup(script);
	network_vif_name(v, d->domid, devid, u->vif, sizeof u->vif);
	qemu_vif_up(d, v, devid, netdev_up_done, u);
}

void
netdev_vifs_up(struct domain *d)
{
	json_t			*v;
	struct domcfg_vif	 hv;
	size_t			 i;

	json_array_clear(netdev_get(d)->failed);
	json_array_foreach(netdev_added(d), i, v)
		netdev_vif_up(d, &hv, netdev_vif_view(v, &hv));
}

void
netdev_vifs_down(struct domain *d)
{
	json_t			*v;
	struct domcfg_vif	 hv;
	size_t			 i;

	json_array_foreach(netdev_added(d), i, v)
		qemu_vif_down(d, &hv, netdev_vif_view(v, &hv), NULL, NULL);
}

/*
 * Interface devid of d (config or added) as a JSON entry with its devid
 * (a new reference), and whether it was added; NULL if there is none.
 */
static json_t *
netdev_find(struct domain *d, int devid, int *added)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(netdev_added(d), i, v) {
		if (vif_devid(v) == devid) {
			*added = 1;
			return (json_incref(v));
		}
	}
	*added = 0;
	if (devid < 0 || (size_t)devid >= d->config->nvifs ||
	    netdev_detached(d, devid))
		return (NULL);
	v = vif_json(&d->config->vifs[devid]);
	json_object_set_new(v, "devid", json_integer(devid));
	return (v);
}

/* Every interface the domain has now, as config "vifs" entries. */
static json_t *
netdev_all(struct domain *d)
{
	json_t	*all = json_array(), *v, *copy;
	size_t	 i;

	for (i = 0; i < d->config->nvifs; i++)
		if (!netdev_detached(d, (int)i))
			json_array_append_new(all,
			    vif_json(&d->config->vifs[i]));
	json_array_foreach(netdev_added(d), i, v) {
		copy = json_deep_copy(v);
		json_object_del(copy, "devid");
		json_array_append_new(all, copy);
	}
	return (all);
}

struct netdev_job {
	struct api_req	*req;
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
netdev_job_free(struct netdev_job *j)
{
	if (j->timer != NULL)
		event_free(j->timer);
	free(j->error);
	json_decref(j->vif);
	domain_unref(j->d);
	free(j);
}

/*
 * Whether job j is over after a step: its domain went away, or QMP
 * refused the step (what); the request is then answered (undo: the tap
 * is taken out again) and j freed.
 */
static int
netdev_ended(struct netdev_job *j, const char *error, const char *what,
    int undo)
{
	if (j->d->removed || j->d->exited || !qmp_is_up(j->d->qmp))
		server_error(j->req, "failed", "domain %s went away",
		    j->d->name);
	else if (error != NULL) {
		server_error(j->req, "failed", "%s %s: %s", what, j->name,
		    error);
		if (undo)
			netdev_unplug_tap(j->d, j->devid);
	} else
		return (0);
	netdev_job_free(j);
	return (1);
}

static void
attach_undone_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct netdev_job	*j = arg;

	server_error(j->req, "failed", "%s", j->error);
	if (!j->d->removed && !j->d->exited && qmp_is_up(j->d->qmp))
		netdev_unplug_nic(j->d, j->devid);
	netdev_job_free(j);
}

static void
attach_up_done(int ok, const char *how, void *arg)
{
	struct netdev_job	*j = arg;
	struct netdev_dom	*n;
	const char		*script;
	char			*cause, nid[32];

	if (netdev_ended(j, NULL, NULL, 0))
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
		qemu_vif_down(j->d, &j->cv, j->devid, NULL, NULL);
		/* Answered once the tap is gone; the NIC follows. */
		snprintf(nid, sizeof nid, "net%d", j->devid);
		qmp_command(j->d->qmp, "netdev_del", json_pack("{s:s}", "id",
		    nid), attach_undone_cb, j);
		return;
	}
	n = netdev_get(j->d);
	json_array_append(n->added, j->vif);
	if (netdev_save(n, &cause) != 0) {
		log_warn("%s: %s", j->d->name, cause);
		free(cause);
	}
	dmesg_add("domain %s: %s attached (%s)", j->d->name, j->name,
	    json_string_value(json_object_get(j->vif, "mac")));
	server_reply(j->req, json_pack("{s:i, s:s, s:O}", "devid", j->devid,
	    "vifname", j->name, "mac", json_object_get(j->vif, "mac")));
	netdev_job_free(j);
}

static void
attach_device_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct netdev_job	*j = arg;

	if (netdev_ended(j, error, "device_add for", 1))
		return;
	qemu_vif_up(j->d, &j->cv, j->devid, attach_up_done, j);
}

static void
attach_netdev_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct netdev_job	*j = arg;
	char			 nid[32], did[32];
	json_t			*args;
	const char		*br;
	int			 mtu;

	if (netdev_ended(j, error, "netdev_add for", 0))
		return;
	snprintf(nid, sizeof nid, "net%d", j->devid);
	snprintf(did, sizeof did, "vif%d", j->devid);
	args = json_pack("{s:s, s:s, s:s, s:s}", "driver",
	    domcfg_vif_driver(&j->cv), "id", did, "netdev", nid, "mac",
	    j->cv.mac);
	br = j->cv.bridge;
	if (strcmp(domcfg_vif_driver(&j->cv), "virtio-net-pci") == 0 &&
	    (mtu = network_guest_mtu(br != NULL ? br :
	    xend_cfg.default_bridge)) != 0)
		json_object_set_new(args, "host_mtu", json_integer(mtu));
	qmp_command(j->d->qmp, "device_add", args, attach_device_cb, j);
}

/* Whether d cannot take a hot-plug now (then req is answered). */
static int
netdev_refused(struct api_req *req, struct domain *d)
{
	if (d->state != DOM_RUNNING && d->state != DOM_PAUSED) {
		server_error(req, "invalid", "domain %s is not running",
		    d->name);
		return (1);
	}
	if (!qmp_is_up(d->qmp)) {
		server_error(req, "failed", "domain %s: no qmp connection",
		    d->name);
		return (1);
	}
	return (0);
}

/* The lowest devid no interface of d has. */
static int
netdev_free_devid(struct domain *d)
{
	json_t	*v;
	int	 devid, added;

	for (devid = 0; devid < NETDEV_MAX; devid++) {
		if ((v = netdev_find(d, devid, &added)) != NULL) {
			json_decref(v);
			continue;
		}
		if ((size_t)devid >= d->config->nvifs ||
		    netdev_detached(d, devid))
			return (devid);
	}
	return (-1);
}

void
netdev_api_attach(struct api_req *req, struct domain *d)
{
	static const char *const keys[] = { "mac", "bridge", "script", "ip",
	    "vifname", "model", "rate" };
	struct netdev_job	*j;
	struct domcfg		*tc;
	json_t			*vif, *e, *cfg, *all;
	const char		*key;
	char			*cause, nid[32];
	size_t			 i;
	int			 devid, known;

	if (netdev_refused(req, d))
		return;
	vif = json_pack("{s:n, s:n, s:n, s:n}", "mac", "bridge", "script",
	    "ip");
	json_object_foreach(req->args, key, e) {
		if (strcmp(key, "dom") == 0)
			continue;
		for (known = 0, i = 0; i < nitems(keys); i++)
			known |= strcmp(key, keys[i]) == 0;
		if (!known || (!json_is_string(e) && !json_is_null(e))) {
			server_error(req, "invalid", known ? "%s: expected a "
			    "string" : "unknown argument '%s' (mac, bridge, "
			    "script, ip, vifname, model, rate)", key);
			json_decref(vif);
			return;
		}
		json_object_set(vif, key, e);
	}
	/* The config's own checks, on the config as it would be. */
	cfg = domcfg_to_json(d->config);
	all = netdev_all(d);
	json_array_append(all, vif);
	json_object_set_new(cfg, "vifs", all);
	tc = domcfg_from_json(cfg, &cause);
	json_decref(cfg);
	if (tc == NULL) {
		server_error(req, "invalid", "%s", cause);
		free(cause);
		json_decref(vif);
		return;
	}
	domain_fill_macs(tc);
	json_object_set_new(vif, "mac", json_string(tc->vifs[tc->nvifs -
	    1].mac));
	domcfg_free(tc);
	if ((devid = netdev_free_devid(d)) == -1) {
		server_error(req, "invalid", "domain %s has %d interfaces "
		    "already", d->name, NETDEV_MAX);
		json_decref(vif);
		return;
	}
	json_object_set_new(vif, "devid", json_integer(devid));
	j = xcalloc(1, sizeof *j);
	j->req = req;
	j->d = d;
	domain_ref(d);
	j->vif = vif;
	netdev_vif_view(vif, &j->cv);
	j->devid = devid;
	network_vif_name(&j->cv, d->domid, devid, j->name, sizeof j->name);
	/* QEMU would take a leftover tap over, with its old bridge and all. */
	if (if_nametoindex(j->name) != 0) {
		server_error(req, "failed", "%s already exists; remove it ('ip "
		    "link delete %s') and attach again", j->name, j->name);
		netdev_job_free(j);
		return;
	}
	log_info("%s: network-attach %s (%s)", d->name, j->name,
	    json_string_value(json_object_get(vif, "mac")));
	snprintf(nid, sizeof nid, "net%d", devid);
	qmp_command(d->qmp, "netdev_add", json_pack("{s:s, s:s, s:s, s:s,"
	    " s:s}", "type", "tap", "id", nid, "ifname", j->name, "script",
	    "no", "downscript", "no"), attach_netdev_cb, j);
}

static void
detach_down_done(int ok, const char *how, void *arg)
{
	struct netdev_job	*j = arg;
	struct netdev_dom	*n = netdev_get(j->d);
	json_t			*v;
	size_t			 i;
	char			*cause;

	if (!ok)
		log_warn("%s: %s offline: %s", j->d->name, j->name, how);
	if (j->added) {
		json_array_foreach(n->added, i, v) {
			if (vif_devid(v) == j->devid) {
				json_array_remove(n->added, i);
				break;
			}
		}
	} else
		json_array_append_new(n->detached, json_integer(j->devid));
	if (netdev_save(n, &cause) != 0) {
		log_warn("%s: %s", j->d->name, cause);
		free(cause);
	}
	dmesg_add("domain %s: %s detached", j->d->name, j->name);
	server_reply(j->req, json_pack("{s:i, s:s}", "devid", j->devid,
	    "vifname", j->name));
	netdev_job_free(j);
}

static void	detach_poll(evutil_socket_t, short, void *);

/* The tap is gone: the script's offline, then the answer. */
static void
detach_netdev_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct netdev_job	*j = arg;

	if (error != NULL)
		log_warn("%s: netdev_del of %s: %s", j->d->name, j->name,
		    error);
	qemu_vif_down(j->d, &j->cv, j->devid, detach_down_done, j);
}

/* Whether QEMU still has the device (the guest has not let it go). */
static void
detach_list_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct netdev_job	*j = arg;
	struct timeval		 tv = { 0, NETDEV_RELEASE_MS * 1000 };
	char			 nid[32];

	if (netdev_ended(j, NULL, NULL, 0))
		return;
	if (error == NULL && qom_has_nic(result, j->devid)) {
		if (++j->tries >= NETDEV_RELEASE_TRIES) {
			server_error(j->req, "failed", "the guest did not "
			    "release %s within %d s (does its kernel do PCI "
			    "hot-plug?); QEMU removes it when it does",
			    j->name, NETDEV_RELEASE_TRIES * NETDEV_RELEASE_MS /
			    1000);
			netdev_job_free(j);
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
	struct netdev_job	*j = arg;

	if (netdev_ended(j, NULL, NULL, 0))
		return;
	qmp_command(j->d->qmp, "qom-list", json_pack("{s:s}", "path",
	    "/machine/peripheral"), detach_list_cb, j);
}

static void
detach_device_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct netdev_job	*j = arg;

	if (netdev_ended(j, error, "device_del of", 0))
		return;
	detach_poll(-1, 0, j);
}

void
netdev_api_detach(struct api_req *req, struct domain *d)
{
	struct netdev_job	*j;
	json_t			*dj = json_object_get(req->args, "devid"), *v;
	char			 did[32];
	int			 devid, added;

	if (!json_is_integer(dj)) {
		server_error(req, "invalid", "devid: expected an integer");
		return;
	}
	devid = (int)json_integer_value(dj);
	if ((v = netdev_find(d, devid, &added)) == NULL) {
		server_error(req, "not_found", "domain %s has no network "
		    "interface %d", d->name, devid);
		return;
	}
	if (netdev_refused(req, d))
		return;
	j = xcalloc(1, sizeof *j);
	j->req = req;
	j->d = d;
	domain_ref(d);
	j->vif = v;
	netdev_vif_view(v, &j->cv);
	j->devid = devid;
	j->added = added;
	network_vif_name(&j->cv, d->domid, devid, j->name, sizeof j->name);
	log_info("%s: network-detach %s", d->name, j->name);
	snprintf(did, sizeof did, "vif%d", devid);
	qmp_command(d->qmp, "device_del", json_pack("{s:s}", "id", did),
	    detach_device_cb, j);
}
