/*
 * blockdev.c: disks attached to and detached from running domains (xm
 * block-attach, block-detach, block-list).
 *
 * A disk attached is checked as at create (storage.c), written into the
 * domain's config first (so a restarted xend, xm list -l and a restarted
 * QEMU all have it), then given to QEMU: blockdev-add of its node vbd-DEV,
 * device_add of its virtio-blk device disk-DEV with the name as serial.
 * If QEMU refuses, the config loses it again.
 *
 * A detach first asks the guest, through its agent, to let go of the disk
 * ("block_release DEV": the agent unmounts it, or answers that it cannot),
 * then device_del, which the guest acknowledges (ACPI eject) with QEMU's
 * DEVICE_DELETED, then blockdev-del and the config.  What happened in the
 * guest is said in the reply.  A guest without an agent is not asked; one
 * whose agent does not answer (an older guest) is said not to have.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "qmp.h"
#include "xend.h"

/* How long the agent may take to unmount, the guest to eject. */
#define BLOCKDEV_AGENT_SECONDS	10
#define BLOCKDEV_EJECT_SECONDS	30

enum bjob_phase { BJ_ATTACH, BJ_AGENT, BJ_EJECT, BJ_DEL };

struct bjob {
	struct domain		*d;		/* referenced */
	char			*dev;
	enum bjob_phase		 phase;
	char			*note;		/* what the guest did */
	struct event		*timer;
	dom_done_cb	 done;
	void			*arg;
	TAILQ_ENTRY(bjob)	 entry;
};
static TAILQ_HEAD(, bjob) bjobs = TAILQ_HEAD_INITIALIZER(bjobs);

static void	bjob_eject(struct bjob *);

static struct bjob *
bjob_find(struct domain *d, const char *dev)
{
	struct bjob	*j;

	TAILQ_FOREACH(j, &bjobs, entry) {
		if (j->d == d && strcmp(j->dev, dev) == 0)
			return (j);
	}
	return (NULL);
}

static struct bjob *
bjob_new(struct domain *d, const char *dev, dom_done_cb done, void *arg)
{
	struct bjob	*j = xcalloc(1, sizeof *j);

	domain_ref(d);
	j->d = d;
	j->dev = xstrdup(dev);
	j->done = done;
	j->arg = arg;
	TAILQ_INSERT_TAIL(&bjobs, j, entry);
	return (j);
}

/* Ends a job: done called once, code NULL on success. */
static void
bjob_end(struct bjob *j, const char *code, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg = NULL;

	if (fmt != NULL) {
		va_start(ap, fmt);
		xvasprintf(&msg, fmt, ap);
		va_end(ap);
	}
	TAILQ_REMOVE(&bjobs, j, entry);
	if (j->timer != NULL)
		event_free(j->timer);
	j->done(j->d, code, msg != NULL ? msg : j->note, j->arg);
	free(msg);
	free(j->note);
	free(j->dev);
	domain_unref(j->d);
	free(j);
}

static void
bjob_timer(struct bjob *j, int seconds, event_callback_fn fn)
{
	struct timeval	 tv = { seconds, 0 };

	if (j->timer != NULL)
		event_free(j->timer);
	j->timer = evtimer_new(xend_base, fn, j);
	evtimer_add(j->timer, &tv);
}

/* The index of disk dev in d's config, or -1. */
static int
disk_index(struct domain *d, const char *dev)
{
	struct sdisk	 v;
	size_t		 i;

	for (i = 0; storage_disk_at(d->config, i, &v) == 0; i++) {
		if (strcmp(v.dev, dev) == 0)
			return ((int)i);
	}
	return (-1);
}

/* The config's disk list: one added at the end, one taken out. */
static void
config_disk_add(struct domain *d, const struct sdisk *disk)
{
	struct domcfg	*c = d->config;

	c->disks = xreallocarray(c->disks, c->ndisks + 2, sizeof *c->disks);
	c->disks[c->ndisks].uname = xstrdup(disk->uname);
	c->disks[c->ndisks].dev = xstrdup(disk->dev);
	c->disks[c->ndisks].mode = xstrdup(disk->mode);
	c->ndisks++;
	memset(&c->disks[c->ndisks], 0, sizeof c->disks[c->ndisks]);
}

static void
config_disk_remove(struct domain *d, int i)
{
	struct domcfg	*c = d->config;

	free(c->disks[i].uname);
	free(c->disks[i].dev);
	free(c->disks[i].mode);
	memmove(&c->disks[i], &c->disks[i + 1], (c->ndisks - i) *
	    sizeof *c->disks);
	c->ndisks--;
}

/* Config changed: on disk, and to every subscriber. */
static int
blockdev_saved(struct domain *d, char **cause)
{
	if (domain_save_config(d, cause) != 0)
		return (-1);
	events_publish("domain.state", d);
	return (0);
}

static void
blockdev_forget(struct domain *d, const char *dev)
{
	char	*cause;
	int	 i;

	if ((i = disk_index(d, dev)) == -1)
		return;
	config_disk_remove(d, i);
	if (blockdev_saved(d, &cause) != 0) {
		log_error("%s: %s", d->name, cause);
		free(cause);
	}
}

static int
blockdev_live(struct domain *d, char **cause)
{
	if ((d->state != DOM_RUNNING && d->state != DOM_PAUSED) ||
	    d->qmp == NULL || !qmp_is_up(d->qmp)) {
		*cause = xsprintf("domain %s is not running", d->name);
		return (-1);
	}
	return (0);
}

static void
attach_device_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct bjob	*j = arg;

	if (error != NULL) {
		if (strcmp(error, "disconnected") != 0)
			qmp_command(q, "blockdev-del", json_pack("{s:s+}",
			    "node-name", "vbd-", j->dev), NULL, NULL);
		blockdev_forget(j->d, j->dev);
		bjob_end(j, "failed", "%s: attach %s: qemu: %s", j->d->name,
		    j->dev, error);
		return;
	}
	log_info("%s (%d): disk %s attached", j->d->name, j->d->domid, j->dev);
	dmesg_add("domain %s (%d): disk %s attached", j->d->name, j->d->domid,
	    j->dev);
	bjob_end(j, NULL, NULL);
}

static void
attach_node_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct bjob	*j = arg;

	if (error != NULL) {
		blockdev_forget(j->d, j->dev);
		bjob_end(j, "failed", "%s: attach %s: qemu: %s", j->d->name,
		    j->dev, error);
		return;
	}
	qmp_command(q, "device_add", storage_device(j->dev), attach_device_cb,
	    j);
}

int
blockdev_attach(struct domain *d, const struct sdisk *disk,
    dom_done_cb done, void *arg, char **cause)
{
	struct disk_info	 di;
	struct bjob		*j;
	const char		*dev = disk->dev;
	json_t			*node;

	if (blockdev_live(d, cause) != 0)
		return (-1);
	if (disk_index(d, dev) != -1 || bjob_find(d, dev) != NULL) {
		*cause = xsprintf("domain %s already has a disk %s", d->name,
		    dev);
		return (-1);
	}
	if (storage_check_disk(disk, cause) != 0 ||
	    storage_open(disk, &di, cause) != 0)
		return (-1);
	node = storage_blockdev(&di, dev);
	storage_close(&di);
	/* In the config first: whatever happens next, xend knows of it. */
	config_disk_add(d, disk);
	if (blockdev_saved(d, cause) != 0) {
		config_disk_remove(d, disk_index(d, dev));
		json_decref(node);
		return (-1);
	}
	j = bjob_new(d, dev, done, arg);
	j->phase = BJ_ATTACH;
	qmp_command(d->qmp, "blockdev-add", node, attach_node_cb, j);
	return (0);
}

static void
detach_del_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct bjob	*j = arg;

	if (error != NULL)
		log_warn("%s: blockdev-del vbd-%s: %s", j->d->name, j->dev,
		    error);
	blockdev_forget(j->d, j->dev);
	log_info("%s (%d): disk %s detached", j->d->name, j->d->domid, j->dev);
	dmesg_add("domain %s (%d): disk %s detached", j->d->name, j->d->domid,
	    j->dev);
	bjob_end(j, NULL, NULL);
}

/* QEMU's DEVICE_DELETED: the guest let go of disk-DEV. */
void
blockdev_deleted(struct domain *d, json_t *data)
{
	const char	*id = json_string_value(json_object_get(data, "device"));
	struct bjob	*j;

	if (id == NULL || strncmp(id, "disk-", 5) != 0)
		return;
	id += 5;
	if ((j = bjob_find(d, id)) != NULL && j->phase == BJ_EJECT) {
		j->phase = BJ_DEL;
		evtimer_del(j->timer);
		qmp_command(d->qmp, "blockdev-del", json_pack("{s:s+}",
		    "node-name", "vbd-", id), detach_del_cb, j);
		return;
	}
	/* An eject that came after its request timed out: it is gone now. */
	if (j == NULL && disk_index(d, id) != -1) {
		qmp_command(d->qmp, "blockdev-del", json_pack("{s:s+}",
		    "node-name", "vbd-", id), NULL, NULL);
		blockdev_forget(d, id);
		log_info("%s (%d): disk %s detached (late)", d->name, d->domid,
		    id);
	}
}

static void
detach_eject_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct bjob	*j = arg;

	bjob_end(j, "failed", "%s: detach %s: the guest did not let go of the "
	    "device within %d s; it stays attached (QEMU still asks the guest; "
	    "xm block-list shows whether it went)", j->d->name, j->dev,
	    BLOCKDEV_EJECT_SECONDS);
}

static void
detach_device_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct bjob	*j = arg;

	/*
	 * QEMU has no such device: an attach or a detach that an xend
	 * killed mid-way left it in the config only.  It goes from there.
	 */
	if (error != NULL && strstr(error, "not found") != NULL) {
		free(j->note);
		j->note = xsprintf("%s was in the domain's config but not in "
		    "its QEMU (an attach or detach cut short); removed from the "
		    "config", j->dev);
		j->phase = BJ_DEL;
		qmp_command(q, "blockdev-del", json_pack("{s:s+}", "node-name",
		    "vbd-", j->dev), detach_del_cb, j);
		return;
	}
	if (error != NULL) {
		bjob_end(j, "failed", "%s: detach %s: qemu: %s", j->d->name,
		    j->dev, error);
		return;
	}
	bjob_timer(j, BLOCKDEV_EJECT_SECONDS, detach_eject_timeout);
}

static void
bjob_eject(struct bjob *j)
{
	char	*cause;

	if (blockdev_live(j->d, &cause) != 0) {
		bjob_end(j, "failed", "%s", cause);
		free(cause);
		return;
	}
	j->phase = BJ_EJECT;
	qmp_command(j->d->qmp, "device_del", json_pack("{s:s+}", "id", "disk-",
	    j->dev), detach_device_cb, j);
}

static void
detach_agent_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct bjob	*j = arg;

	free(j->note);
	j->note = xsprintf("the guest's agent did not answer within %d s (an "
	    "older agent?): %s detached without its word", BLOCKDEV_AGENT_SECONDS,
	    j->dev);
	bjob_eject(j);
}

/*
 * The agent's answer: "block_released DEV [MOUNTPOINT...]" (unmounted
 * from those, or not mounted) or "block_busy DEV TEXT".
 */
void
blockdev_agent_reply(struct domain *d, const char *msg, const char *arg)
{
	struct bjob	*j;
	char		*dev, *rest;

	if (arg == NULL)
		return;
	dev = xstrdup(arg);
	if ((rest = strchr(dev, ' ')) != NULL)
		*rest++ = '\0';
	j = bjob_find(d, dev);
	if (j == NULL || j->phase != BJ_AGENT) {
		free(dev);
		return;
	}
	evtimer_del(j->timer);
	/* From the guest: into the reply only as printable text. */
	rest = rest != NULL ? log_escape(rest) : NULL;
	free(j->note);
	if (strcmp(msg, "block_busy") == 0) {
		bjob_end(j, "failed", "%s: %s is in use in the guest (%s); it "
		    "stays attached (xm block-detach -f takes it anyway)", d->name,
		    dev, rest != NULL ? rest : "no reason given");
	} else {
		if (rest != NULL && *rest != '\0')
			j->note = xsprintf("the guest unmounted %s from %s", dev,
			    rest);
		else
			j->note = xsprintf("%s was not mounted in the guest",
			    dev);
		bjob_eject(j);
	}
	free(rest);
	free(dev);
}

int
blockdev_detach(struct domain *d, const char *dev, int force,
    dom_done_cb done, void *arg, char **cause)
{
	struct bjob	*j;

	if (disk_index(d, dev) == -1) {
		*cause = xsprintf("domain %s has no disk %s", d->name, dev);
		return (-1);
	}
	if (bjob_find(d, dev) != NULL) {
		*cause = xsprintf("disk %s of %s is being attached or detached",
		    dev, d->name);
		return (-1);
	}
	if (blockdev_live(d, cause) != 0)
		return (-1);
	if (d->state == DOM_PAUSED) {
		*cause = xsprintf("domain %s is paused: a disk is detached by the "
		    "running guest (xm unpause it first)", d->name);
		return (-1);
	}
	j = bjob_new(d, dev, done, arg);
	if (force) {
		j->note = xsprintf("-f: %s detached without asking the guest",
		    dev);
		bjob_eject(j);
	} else if (!agent_is_up(d)) {
		j->note = xsprintf("no guest agent: %s detached without asking "
		    "the guest", dev);
		bjob_eject(j);
	} else {
		j->phase = BJ_AGENT;
		agent_send(d, "block_release %s", dev);
		bjob_timer(j, BLOCKDEV_AGENT_SECONDS, detach_agent_timeout);
	}
	return (0);
}

/* Each disk with what it is on the host (path, format, backing file). */
json_t *
blockdev_list(struct domain *d)
{
	json_t			*out = json_array(), *e;
	struct disk_info	 di;
	struct sdisk		 v;
	char			*cause;
	size_t			 i;

	for (i = 0; storage_disk_at(d->config, i, &v) == 0; i++) {
		e = json_pack("{s:s, s:s, s:s}", "uname", v.uname, "dev", v.dev,
		    "mode", v.mode);
		if (storage_open_info(&v, &di, &cause) == 0) {
			json_object_set_new(e, "path", json_string(di.path));
			json_object_set_new(e, "format", json_string(di.format));
			json_object_set_new(e, "type", json_string(
			    strcmp(di.driver, "file") == 0 ? "file" : "block"));
			if (di.backing != NULL)
				json_object_set_new(e, "backing",
				    json_string(di.backing));
			storage_close(&di);
		} else {
			json_object_set_new(e, "error", json_string(cause));
			free(cause);
		}
		json_array_append_new(out, e);
	}
	return (out);
}
