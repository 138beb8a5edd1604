/*
 * sched.c: Xen's schedulers mapped onto Linux's CFS through a cgroup per
 * domain (xen/domain-DOMID), on either cgroup layout.
 *
 *   credit weight W (1..65535, default 256)
 *       v1 cpu.shares = W * 1024 / 256      v2 cpu.weight = W * 100 / 256
 *   credit cap C (% of one CPU, 0 = none)
 *       v1 cpu.cfs_quota_us = C * 1000 with cpu.cfs_period_us = 100000
 *       v2 cpu.max = "C*1000 100000"
 *   sedf period P, slice S (ms)
 *       the same bandwidth files with quota S and period P: a ceiling of
 *       S per P.  CFS cannot reserve CPU, so the "guaranteed" half of sedf
 *       has no mapping; docs/SCHEDULERS.md says so.
 *
 * Cap and sedf share the bandwidth files: setting one clears the other.
 *
 * Weight and cap live in the domain's config (cpu_weight, cpu_cap): the
 * config's are applied when QEMU starts, and xm sched-credit changes the
 * config's, so there is one value, which config.json keeps across xend
 * restarts and which a save or a migration takes along.  sedf's period
 * and slice have no config key: runtime.json keeps them.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "domcfg.h"
#include "xend.h"

#define CFS_PERIOD_US	100000

enum cg_layout { CG_NONE, CG_V1, CG_V2 };
static enum cg_layout	 layout;
static char		*cg_base;	/* the cpu hierarchy's root */
static char		*cg_reason;

const char *
sched_layout(void)
{
	switch (layout) {
	case CG_V1:
		return ("cgroup v1");
	case CG_V2:
		return ("cgroup v2");
	default:
		return (cg_reason != NULL ? cg_reason : "none");
	}
}

static int
cg_write(const char *dir, const char *file, const char *value, char **cause)
{
	char	*path;
	int	 fd;
	ssize_t	 n;

	xasprintf(&path, "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		*cause = xsprintf("%s: %s", path, strerror(errno));
		free(path);
		return (-1);
	}
	n = write(fd, value, strlen(value));
	if (n != (ssize_t)strlen(value)) {
		*cause = xsprintf("write '%s' to %s: %s", value, path,
		    n == -1 ? strerror(errno) : "short write");
		close(fd);
		free(path);
		return (-1);
	}
	close(fd);
	free(path);
	return (0);
}

static char *
cg_read(const char *dir, const char *file)
{
	char	*path, *text, *cause;

	xasprintf(&path, "%s/%s", dir, file);
	if (file_read(path, &text, NULL, &cause) != 0) {
		free(cause);
		free(path);
		return (NULL);
	}
	free(path);
	text[strcspn(text, "\n")] = '\0';
	return (text);
}

/* Makes cgroup-parent; on v2, lets the cpu controller reach it and below. */
static int
sched_parent(char **cause)
{
	char	*why;

	if (mkdir_p(cg_base, 0755, cause) != 0)
		return (-1);
	if (layout == CG_V2 && (cg_write(xend_cfg.cgroup_root,
	    "cgroup.subtree_control", "+cpu", &why) != 0 ||
	    cg_write(cg_base, "cgroup.subtree_control", "+cpu", &why) != 0)) {
		log_warn("scheduler: %s", why);
		free(why);
	}
	return (0);
}

void
sched_init(void)
{
	const char	*root = xend_cfg.cgroup_root, *want =
			    xend_cfg.cgroup_layout;
	char		*v1, *ctl, *path, *cause;

	xasprintf(&v1, "%s/cpu", root);
	xasprintf(&path, "%s/cpu.shares", v1);
	ctl = cg_read(root, "cgroup.controllers");
	if (strcmp(want, "v1") == 0 ||
	    (strcmp(want, "auto") == 0 && access(path, F_OK) == 0)) {
		layout = CG_V1;
		cg_base = xsprintf("%s/%s", v1, xend_cfg.cgroup_parent);
	} else if (strcmp(want, "v2") == 0 || (strcmp(want, "auto") == 0 &&
	    ctl != NULL && strstr(ctl, "cpu") != NULL)) {
		layout = CG_V2;
		cg_base = xsprintf("%s/%s", root, xend_cfg.cgroup_parent);
	} else {
		layout = CG_NONE;
		cg_reason = xsprintf("no cpu controller under %s", root);
	}
	free(path);
	free(v1);
	free(ctl);
	if (layout != CG_NONE && sched_parent(&cause) != 0) {
		log_warn("scheduler: %s", cause);
		cg_reason = cause;
		layout = CG_NONE;
	}
	dmesg_add("scheduler: credit and sedf on %s%s%s", sched_layout(),
	    cg_base != NULL ? " at " : "", cg_base != NULL ? cg_base : "");
}

static int
sched_write_all(struct domain *d, char **cause)
{
	char	 buf[64];
	long	 quota = -1, period = CFS_PERIOD_US;
	long	 weight = d->config->cpu_weight;

	if (d->cgroup == NULL)
		return (0);
	if (d->sedf_slice > 0) {
		quota = d->sedf_slice * 1000L;
		period = d->sedf_period * 1000L;
	} else if (d->config->cpu_cap > 0)
		quota = d->config->cpu_cap * 1000L;
	if (layout == CG_V1) {
		snprintf(buf, sizeof buf, "%ld", weight * 1024 / 256 < 2 ? 2 :
		    weight * 1024 / 256);
		if (cg_write(d->cgroup, "cpu.shares", buf, cause) != 0)
			return (-1);
		/* Lower the quota first: a period below quota is refused. */
		if (cg_write(d->cgroup, "cpu.cfs_quota_us", "-1", cause) != 0)
			return (-1);
		snprintf(buf, sizeof buf, "%ld", period);
		if (cg_write(d->cgroup, "cpu.cfs_period_us", buf, cause) != 0)
			return (-1);
		snprintf(buf, sizeof buf, "%ld", quota);
		return (cg_write(d->cgroup, "cpu.cfs_quota_us", buf, cause));
	}
	snprintf(buf, sizeof buf, "%ld", weight * 100 / 256 < 1 ? 1 :
	    weight * 100 / 256 > 10000 ? 10000 : weight * 100 / 256);
	if (cg_write(d->cgroup, "cpu.weight", buf, cause) != 0)
		return (-1);
	if (quota < 0)
		snprintf(buf, sizeof buf, "max %ld", period);
	else
		snprintf(buf, sizeof buf, "%ld %ld", quota, period);
	return (cg_write(d->cgroup, "cpu.max", buf, cause));
}

/*
 * QEMU started or was re-adopted: into its cgroup, with the config's
 * weight and cap written by the same code as xm sched-credit's.  Without
 * a cpu controller only a config that asks for them is told so.
 */
int
sched_attach(struct domain *d, char **cause)
{
	char	 pid[32];

	if (layout == CG_NONE) {
		if (d->config->cpu_weight == 256 && d->config->cpu_cap == 0)
			return (0);
		*cause = xsprintf("cpu_weight and cpu_cap not applied: "
		    "scheduler parameters need the cpu cgroup controller: %s",
		    sched_layout());
		return (-1);
	}
	if (d->cgroup == NULL)
		d->cgroup = xsprintf("%s/domain-%d", cg_base, d->domid);
	/*
	 * The parent is gone if another xend sharing cgroup-parent removed it
	 * when it stopped (sched_fini): make it again.
	 */
	if (mkdir(d->cgroup, 0755) != 0 && errno == ENOENT &&
	    sched_parent(cause) != 0)
		return (-1);
	if (mkdir(d->cgroup, 0755) != 0 && errno != EEXIST) {
		*cause = xsprintf("mkdir %s: %s", d->cgroup, strerror(errno));
		return (-1);
	}
	snprintf(pid, sizeof pid, "%d", (int)d->pid);
	if (cg_write(d->cgroup, "cgroup.procs", pid, cause) != 0)
		return (-1);
	return (sched_write_all(d, cause));
}

void
sched_detach(struct domain *d)
{
	if (d->cgroup == NULL)
		return;
	/* Only possible once QEMU has gone: its cgroup must be empty. */
	if (rmdir(d->cgroup) != 0 && errno != ENOENT)
		log_warn("rmdir %s: %s", d->cgroup, strerror(errno));
	free(d->cgroup);
	d->cgroup = NULL;
}

/*
 * xend is stopping: remove cgroup-parent if no domain still uses it.
 * Domains outlive xend, and a cgroup holding a process cannot be removed,
 * so rmdir itself tells which are in use: the empty domain-N left by
 * QEMUs that ended while xend was away go, the running ones' stay, and
 * the parent goes only once it has no child left.
 */
void
sched_fini(void)
{
	DIR		*dp;
	struct dirent	*de;
	char		*path;
	int		 busy = 0;

	if (layout == CG_NONE || (dp = opendir(cg_base)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, "domain-", 7) != 0)
			continue;
		xasprintf(&path, "%s/%s", cg_base, de->d_name);
		if (rmdir(path) != 0 && errno != ENOENT)
			busy++;
		free(path);
	}
	closedir(dp);
	if (busy > 0) {
		log_info("cgroup %s kept: %d domain%s still in it", cg_base,
		    busy, busy == 1 ? "" : "s");
		return;
	}
	if (rmdir(cg_base) != 0 && errno != ENOENT)
		log_warn("rmdir %s: %s", cg_base, strerror(errno));
	else
		log_info("cgroup %s removed", cg_base);
}

static int
sched_available(char **cause)
{
	if (layout != CG_NONE)
		return (0);
	*cause = xsprintf("scheduler parameters need the cpu cgroup "
	    "controller: %s", sched_layout());
	return (-1);
}

/* What a change may have to put back. */
struct sched_old {
	long	 weight, cap;
	int	 period, slice;
};

static void
sched_keep(struct domain *d, struct sched_old *old)
{
	old->weight = d->config->cpu_weight;
	old->cap = d->config->cpu_cap;
	old->period = d->sedf_period;
	old->slice = d->sedf_slice;
}

/*
 * The new values into the cgroup, then config.json (weight and cap): all
 * or nothing, so what xm list -l shows is what applies and what the next
 * xend, a restore or a migration's target applies.  runtime.json (sedf)
 * is the caller's domain_save.
 */
static int
sched_commit(struct domain *d, const struct sched_old *old, char **cause)
{
	char	*why;

	if (sched_write_all(d, cause) == 0 && domain_save_config(d, cause) == 0)
		return (0);
	d->config->cpu_weight = old->weight;
	d->config->cpu_cap = old->cap;
	d->sedf_period = old->period;
	d->sedf_slice = old->slice;
	if (sched_write_all(d, &why) != 0) {
		log_warn("%s: scheduler: %s", d->name, why);
		free(why);
	}
	return (-1);
}

/* xm sched-credit: weight 0 and cap -1 leave that one as it is. */
int
sched_set_credit(struct domain *d, int weight, int cap, char **cause)
{
	struct sched_old	 old;

	if (sched_available(cause) != 0)
		return (-1);
	sched_keep(d, &old);
	if (weight > 0)
		d->config->cpu_weight = weight;
	if (cap >= 0) {
		d->config->cpu_cap = cap;
		d->sedf_period = d->sedf_slice = 0;
	}
	return (sched_commit(d, &old, cause));
}

/* xm sched-sedf: its ceiling replaces the cap. */
int
sched_set_sedf(struct domain *d, int period, int slice, char **cause)
{
	struct sched_old	 old;

	if (sched_available(cause) != 0)
		return (-1);
	sched_keep(d, &old);
	d->sedf_period = period;
	d->sedf_slice = slice;
	d->config->cpu_cap = 0;
	return (sched_commit(d, &old, cause));
}

json_t *
sched_to_json(struct domain *d)
{
	return (json_pack("{s:{s:I, s:I}, s:{s:i, s:i}, s:s}",
	    "credit", "weight", (json_int_t)d->config->cpu_weight, "cap",
	    (json_int_t)d->config->cpu_cap,
	    "sedf", "period", d->sedf_period, "slice", d->sedf_slice,
	    "cgroup", d->cgroup != NULL ? d->cgroup : ""));
}

json_t *
sched_read_back(struct domain *d)
{
	static const char *v1[] = { "cpu.shares", "cpu.cfs_quota_us",
	    "cpu.cfs_period_us" };
	static const char *v2[] = { "cpu.weight", "cpu.max" };
	const char	**files = layout == CG_V1 ? v1 : v2;
	size_t		  n = layout == CG_V1 ? nitems(v1) : nitems(v2), i;
	json_t		 *o = json_object();
	char		 *v;

	if (d->cgroup == NULL)
		return (o);
	for (i = 0; i < n; i++) {
		v = cg_read(d->cgroup, files[i]);
		json_object_set_new(o, files[i], v != NULL ? json_string(v) :
		    json_null());
		free(v);
	}
	return (o);
}
