/*
 * netdev.c: the record of a running domain's network interfaces beyond
 * its config: those xm network-attach added, those network-detach took
 * away, and (for this QEMU only) those whose vif-script failed.  vif.c
 * does the plugging; this file only keeps the record.
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
#include "xend.h"

#define NETDEV_MAX		32	/* devids 0..31: tap names fit */

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
netdev_save_file(struct netdev_dom *n, char **cause)
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
	out->antispoof = (char *)json_string_value(json_object_get(v,
	    "antispoof"));
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
	if (v->antispoof != NULL)
		json_object_set_new(o, "antispoof", json_string(v->antispoof));
	return (o);
}

/*
 * Interface devid of d (config or added) as a JSON entry with its devid
 * (a new reference), and whether it was added; NULL if there is none.
 */
json_t *
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
json_t *
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

/* The lowest devid no interface of d has. */
int
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

static void
netdev_save(struct domain *d)
{
	char	*cause;

	if (netdev_save_file(netdev_get(d), &cause) != 0) {
		log_warn("%s: %s", d->name, cause);
		free(cause);
	}
}

void
netdev_note_attached(struct domain *d, json_t *vif)
{
	json_array_append(netdev_get(d)->added, vif);
	netdev_save(d);
}

void
netdev_note_detached(struct domain *d, int devid)
{
	struct netdev_dom	*n = netdev_get(d);
	json_t			*v;
	size_t			 i;

	json_array_foreach(n->added, i, v) {
		if (vif_devid(v) == devid) {
			json_array_remove(n->added, i);
			netdev_save(d);
			return;
		}
	}
	json_array_append_new(n->detached, json_integer(devid));
	netdev_save(d);
}

void
netdev_set_failed(struct domain *d, int devid, int failed)
{
	if (failed)
		json_array_append_new(netdev_get(d)->failed,
		    json_integer(devid));
	else
		json_array_clear(netdev_get(d)->failed);
}

