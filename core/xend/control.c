/*
 * control.c: memory and vCPU control of a running domain.
 *
 * Memory: QEMU is given maxmem (-m) and a virtio balloon, and the balloon
 * is set to the config's memory before the guest runs, so a domain can
 * grow up to maxmem and shrink below its boot size.  The config's memory
 * is always the target; "actual" is what the balloon reports.
 *
 * vCPUs: -smp gives the boot count; the guest agent onlines and offlines
 * them (vcpu-set); pinning is sched_setaffinity on QEMU's vCPU threads.
 */
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "cpulist.h"
#include "domcfg.h"
#include "qmp.h"
#include "xend.h"

#define MB		(1024LL * 1024)
#define MEM_MIN_MB	16
#define VCPU_SET_SECONDS 10

static void
save_config(struct domain *d)
{
	char	*path, *text, *cause;

	text = domcfg_dumps(d->config);
	xasprintf(&path, "%s/config.json", d->dir);
	if (file_write_atomic(path, text, strlen(text), 0600, &cause) != 0) {
		log_error("%s", cause);
		free(cause);
	}
	free(path);
	free(text);
}

/*
 * Whether the host can give domain d (NULL: a new one) mb MB of target
 * while keeping dom0-min-mem for domain 0.
 */
int
control_host_admits(struct domain *d, long mb, char **cause)
{
	struct host_info	 h;
	struct domain		*x;
	long			 claimed = 0, room;

	host_read(&h);
	TAILQ_FOREACH(x, &domains, entry) {
		if (x != d && x->state != DOM_DYING)
			claimed += x->config->memory;
	}
	room = h.total_mb - xend_cfg.dom0_min_mem - claimed;
	host_free(&h);
	if (mb <= room)
		return (0);
	*cause = xsprintf("not enough host memory for %ld MB: the host has "
	    "%ld MB, domains claim %ld MB and domain 0 keeps dom0-min-mem "
	    "%d MB, so %ld MB are left", mb, h.total_mb, claimed,
	    xend_cfg.dom0_min_mem, room > 0 ? room : 0);
	return (-1);
}

static void
balloon_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct domain	*d = arg;

	if (error != NULL)
		log_warn("%s: balloon: %s", d->name, error);
}

static void
balloon_to(struct domain *d, long mb)
{
	if (qmp_is_up(d->qmp))
		qmp_command(d->qmp, "balloon", json_pack("{s:I}", "value",
		    (json_int_t)(mb * MB)), balloon_cb, d);
	if (agent_is_up(d))
		agent_send(d, "memory_target %ld", mb);
}

int
control_mem_set(struct domain *d, long mb, char **cause)
{
	long	 maxmem = d->config->maxmem;

	if (d->state != DOM_RUNNING && d->state != DOM_PAUSED) {
		*cause = xsprintf("domain %s is not running", d->name);
		return (-1);
	}
	if (mb < MEM_MIN_MB) {
		*cause = xsprintf("memory target %ld MB is below the minimum "
		    "of %d MB", mb, MEM_MIN_MB);
		return (-1);
	}
	if (mb > maxmem) {
		*cause = xsprintf("memory target %ld MB is above maxmem %ld MB "
		    "of %s; raise it with xm mem-max first", mb, maxmem,
		    d->name);
		return (-1);
	}
	if (mb > d->config->memory && control_host_admits(d, mb, cause) != 0)
		return (-1);
	d->config->memory = mb;
	save_config(d);
	balloon_to(d, mb);
	log_info("%s (%d): memory target %ld MB", d->name, d->domid, mb);
	return (0);
}

/*
 * Below the target maxmem is refused, not the target brought down with it:
 * mem-set lowers the target and watches the guest give the memory back.
 */
int
control_mem_max(struct domain *d, long mb, char **cause)
{
	if (mb < MEM_MIN_MB) {
		*cause = xsprintf("maxmem %ld MB is below the minimum of %d MB",
		    mb, MEM_MIN_MB);
		return (-1);
	}
	if (d->boot_maxmem > 0 && mb > d->boot_maxmem) {
		*cause = xsprintf("maxmem of %s can be raised only up to %d MB, "
		    "the memory its QEMU was started with; set maxmem in its "
		    "config and restart it to go higher", d->name,
		    d->boot_maxmem);
		return (-1);
	}
	if (mb < d->config->memory) {
		*cause = xsprintf("maxmem %ld MB is below the memory target "
		    "%ld MB of %s; lower the target with xm mem-set first", mb,
		    d->config->memory, d->name);
		return (-1);
	}
	d->config->maxmem = mb;
	save_config(d);
	log_info("%s (%d): maxmem %ld MB", d->name, d->domid, mb);
	return (0);
}

static void
query_balloon_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct domain	*d = arg;
	json_t		*a = json_object_get(result, "actual");

	if (error == NULL && json_is_integer(a))
		d->mem_actual = json_integer_value(a);
	domain_unref(d);
}

void
control_balloon_event(struct domain *d, json_t *data)
{
	json_t	*a = json_object_get(data, "actual");

	if (json_is_integer(a))
		d->mem_actual = json_integer_value(a);
}

/* Before the guest first runs: balloon to the target, apply pinning. */
void
control_qmp_up(struct domain *d)
{
	long	 mem = d->config->memory;

	if (d->boot_maxmem > mem)
		balloon_to(d, mem);
}

static long long
read_counter(const char *path)
{
	char		*text, *cause;
	long long	 v;

	if (file_read(path, &text, NULL, &cause) != 0) {
		free(cause);
		return (0);
	}
	v = strtoll(text, NULL, 10);
	free(text);
	return (v);
}

static void
blockstats_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct domain	*d = arg;
	json_t		*v, *s;
	size_t		 i;
	long long	 rd = 0, wr = 0;

	if (error == NULL) {
		json_array_foreach(result, i, v) {
			s = json_object_get(v, "stats");
			rd += json_integer_value(json_object_get(s,
			    "rd_bytes"));
			wr += json_integer_value(json_object_get(s,
			    "wr_bytes"));
		}
		d->blk_rd = rd;
		d->blk_wr = wr;
	}
	domain_unref(d);
}

/* Once a second: balloon, block and network counters. */
void
control_sample(struct domain *d)
{
	size_t	 i;
	char	 path[128], vif[IFNAMSIZ];
	long long rx = 0, tx = 0;

	if (qmp_is_up(d->qmp)) {
		domain_ref(d);
		qmp_command(d->qmp, "query-balloon", NULL, query_balloon_cb, d);
		domain_ref(d);
		qmp_command(d->qmp, "query-blockstats", NULL, blockstats_cb, d);
	}
	/* The tap's rx is the guest's tx. */
	for (i = 0; i < d->config->nvifs; i++) {
		network_vif_name(&d->config->vifs[i], d->domid, (int)i, vif,
		    sizeof vif);
		snprintf(path, sizeof path, "/sys/class/net/%s/"
		    "statistics/tx_bytes", vif);
		rx += read_counter(path);
		snprintf(path, sizeof path, "/sys/class/net/%s/"
		    "statistics/rx_bytes", vif);
		tx += read_counter(path);
	}
	d->net_rx = rx;
	d->net_tx = tx;
}

static int
ncpus(void)
{
	long	 n = sysconf(_SC_NPROCESSORS_CONF);

	return (n > 0 ? (int)n : 1);
}

json_t *
control_vcpu_list(struct domain *d)
{
	json_t		*out = json_array();
	cpu_set_t	 set, online;
	char		*aff, state = '?', *cause, st[2];
	int		 i, cpu, have_online = 0;
	double		 t;

	if (d->cpus_online != NULL &&
	    cpulist_parse(d->cpus_online, DOM_MAX_VCPUS, &online, &cause) == 0)
		have_online = 1;
	else if (d->cpus_online != NULL)
		free(cause);
	for (i = 0; i < d->nvcpu_tids; i++) {
		cpu = -1;
		t = proc_cpu_seconds(d->pid, d->vcpu_tids[i], &cpu, &state);
		if (sched_getaffinity(d->vcpu_tids[i], sizeof set, &set) == 0)
			aff = cpulist_format(&set, ncpus());
		else
			aff = xstrdup("?");
		st[0] = d->state == DOM_PAUSED ? 'p' : state == 'R' ? 'r' :
		    'b';
		st[1] = '\0';
		json_array_append_new(out, json_pack("{s:i, s:o, s:i, s:f,"
		    " s:s, s:s, s:i}", "vcpu", i, "online", have_online ?
		    json_boolean(CPU_ISSET(i, &online)) : json_null(),
		    "cpu", cpu, "cpu_time", t > 0 ? t : 0, "affinity", aff,
		    "state", st, "thread", (int)d->vcpu_tids[i]));
		free(aff);
	}
	return (out);
}

static int
pin_one(struct domain *d, int vcpu, const char *cpus, char **cause)
{
	cpu_set_t	 set;

	if (cpulist_parse(cpus, ncpus(), &set, cause) != 0)
		return (-1);
	if (vcpu < d->nvcpu_tids &&
	    sched_setaffinity(d->vcpu_tids[vcpu], sizeof set, &set) != 0) {
		*cause = xsprintf("vCPU %d of %s: sched_setaffinity: %m", vcpu,
		    d->name);
		return (-1);
	}
	free(d->affinity[vcpu]);
	d->affinity[vcpu] = strcmp(cpus, "all") == 0 ? NULL : xstrdup(cpus);
	return (0);
}

/* vcpu -1: all of them. */
int
control_vcpu_pin(struct domain *d, int vcpu, const char *cpus, char **cause)
{
	int	 i, n = domcfg_vcpus_max(d->config);
	cpu_set_t set;

	if (vcpu >= n || vcpu < -1) {
		*cause = xsprintf("%s has vCPUs 0-%d, not %d", d->name, n - 1,
		    vcpu);
		return (-1);
	}
	if (cpulist_parse(cpus, ncpus(), &set, cause) != 0)
		return (-1);
	for (i = vcpu == -1 ? 0 : vcpu; i < (vcpu == -1 ? n : vcpu + 1); i++) {
		if (pin_one(d, i, cpus, cause) != 0)
			return (-1);
	}
	return (0);
}

/*
 * After QEMU (re)starts: vcpu-pin settings first, else the config's cpus
 * (3.0) or cpu (2.0: one CPU for the whole domain).
 */
void
control_apply_affinity(struct domain *d)
{
	const char	*cpus = d->config->cpus;
	char		*cause, buf[24];
	int		 i;

	if (cpus == NULL && d->config->cpu >= 0) {
		snprintf(buf, sizeof buf, "%ld", d->config->cpu);
		cpus = buf;
	}
	for (i = 0; i < d->nvcpu_tids; i++) {
		const char *want = d->affinity[i] != NULL ? d->affinity[i] :
		    cpus;
		char *keep;

		if (want == NULL)
			continue;
		keep = xstrdup(want);
		if (pin_one(d, i, keep, &cause) != 0) {
			log_warn("%s: %s", d->name, cause);
			free(cause);
		}
		free(keep);
	}
}

static void
vcpu_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct domain	*d = arg;

	domain_done(&d->pending_vcpu, d, "failed", "the guest agent of %s "
	    "did not confirm the change within %d s", d->name,
	    VCPU_SET_SECONDS);
}

int
control_vcpu_set(struct domain *d, int n, dom_done_cb done, void *arg,
    char **cause)
{
	int		 max = domcfg_vcpus_max(d->config);
	struct timeval	 tv = { VCPU_SET_SECONDS, 0 };

	if (n < 1 || n > max) {
		*cause = xsprintf("%s can have 1 to %d vCPUs online (%s), not "
		    "%d", d->name, max, max > d->config->vcpus ? "its maxvcpus" :
		    "the count it booted with; maxvcpus in its config allows "
		    "more", n);
		return (-1);
	}
	if (d->state != DOM_RUNNING) {
		*cause = xsprintf("domain %s is not running", d->name);
		return (-1);
	}
	if (!agent_is_up(d)) {
		*cause = xsprintf("%s has no guest agent running, so its vCPUs "
		    "cannot be brought on or offline (the demo guest runs one)",
		    d->name);
		return (-1);
	}
	if (d->pending_vcpu.fn != NULL) {
		*cause = xsprintf("a vCPU change of %s is already under way",
		    d->name);
		return (-1);
	}
	d->pending_vcpu.fn = done;
	d->pending_vcpu.arg = arg;
	if (d->vcpu_timeout_ev == NULL)
		d->vcpu_timeout_ev = evtimer_new(xend_base, vcpu_timeout_cb, d);
	evtimer_add(d->vcpu_timeout_ev, &tv);
	agent_send(d, "vcpus %d", n);
	return (0);
}

void
control_agent_cpus(struct domain *d, const char *list)
{
	free(d->cpus_online);
	d->cpus_online = xstrdup(list);
	if (d->pending_vcpu.fn != NULL) {
		evtimer_del(d->vcpu_timeout_ev);
		domain_done(&d->pending_vcpu, d, NULL, NULL);
	}
	events_publish("domain.state", d);
}

const struct agent_hooks control_agent_hooks = {
	control_mem_set,
	control_agent_cpus,
	blockdev_agent_reply,
};

void
control_free(struct domain *d)
{
	int	 i;

	for (i = 0; i < DOM_MAX_VCPUS; i++) {
		free(d->affinity[i]);
		d->affinity[i] = NULL;
	}
	free(d->cpus_online);
	d->cpus_online = NULL;
	if (d->vcpu_timeout_ev != NULL) {
		event_free(d->vcpu_timeout_ev);
		d->vcpu_timeout_ev = NULL;
	}
	domain_done(&d->pending_vcpu, d, "failed", "domain %s went away",
	    d->name);
}
