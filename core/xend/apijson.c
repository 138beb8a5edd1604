/*
 * apijson.c: the API's JSON views of xend's model (docs/API.md): a
 * domain, Domain-0, the host, and the bodies of events.  Only the API edge
 * (api.c) calls these; the model knows nothing of JSON replies.
 */
#include <sys/utsname.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "xend.h"

json_t *
apijson_host(void)
{
	struct host_info	 h;
	struct utsname		 u;
	struct domain		*d;
	char			 hostname[256];
	long			 claimed = 0;
	json_t			*o, *counts;
	int			 by_state[DOM_DYING + 1] = { 0 };
	int			 i;
	static char		*qver;

	if (qver == NULL)
		qver = qemu_version();
	host_read(&h);
	uname(&u);
	if (gethostname(hostname, sizeof hostname) != 0)
		strcpy(hostname, "localhost");
	TAILQ_FOREACH(d, &domains, entry) {
		claimed += d->config->memory;
		by_state[d->state]++;
	}
	counts = json_object();
	for (i = 0; i <= DOM_DYING; i++)
		json_object_set_new(counts, domain_state_name(i),
		    json_integer(by_state[i]));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:f, s:s, s:I, s:I, s:I,"
	    " s:I, s:s, s:s, s:s, s:s, s:f, s:i, s:o}",
	    "host", hostname,
	    "release", u.release,
	    "version", u.version,
	    "machine", u.machine,
	    "system", u.sysname,
	    "nr_cpus", h.nr_cpus,
	    "cpu_mhz", h.cpu_mhz,
	    "cpu_model", h.cpu_model,
	    "total_memory", (json_int_t)h.total_mb,
	    "free_memory", (json_int_t)h.free_mb,
	    "claimed_memory", (json_int_t)claimed,
	    "dom0_min_mem", (json_int_t)xend_cfg.dom0_min_mem,
	    "accel", accel_get(),
	    "accel_reason", accel_reason(),
	    "qemu_version", qver,
	    "xend_version", XEN_VERSION,
	    "xend_uptime", time_wall() - xend_start_time,
	    "nr_domains", domain_count(),
	    "domains_by_state", counts);
	host_free(&h);
	json_object_set_new(o, "cpus", host_cpus_json());
	json_object_set_new(o, "load", host_load_json());
	json_object_set_new(o, "scheduler", json_string(sched_layout()));
	return (o);
}

json_t *
apijson_domain(struct domain *d, int with_config)
{
	json_t	*o;
	int	 port = precheck_console_port(d->config, d->domid);

	/*
	 * The config is built from the struct each time and is most of the
	 * entry: xm list's domain.list (config false) must not pay for it.
	 */
	o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:i, s:f, s:i,"
	    " s:f, s:f, s:i, s:s, s:i, s:s?, s:o*}",
	    "domid", d->domid,
	    "name", d->name,
	    "state", domain_state_flags(d),
	    "status", domain_status(d),
	    "memory", (json_int_t)d->config->memory,
	    "maxmem", (json_int_t)d->config->maxmem,
	    "vcpus", (json_int_t)d->config->vcpus,
	    "cpu", d->last_cpu,
	    "cpu_time", d->cpu_time,
	    "console_port", port,
	    "start_time", d->start_time,
	    "uptime", time_wall() - d->start_time,
	    "pid", (int)d->pid,
	    "dir", d->dir,
	    "restart_count", d->restart_count,
	    "shutdown_reason", d->shutdown_reason,
	    "config", with_config ? domcfg_to_json(d->config) : NULL);
	json_object_set_new(o, "console_path", json_sprintf("%s/console.sock",
	    d->dir));
	json_object_set_new(o, "console_log", json_sprintf("%s/console.log",
	    d->dir));
	/* memory: what the balloon reports; the config's is the target. */
	json_object_set_new(o, "memory_target", json_integer(
	    d->config->memory));
	if (d->mem_actual > 0)
		json_object_set_new(o, "memory", json_integer(
		    (d->mem_actual + 512 * 1024) / (1024 * 1024)));
	json_object_set_new(o, "vcpus_online", d->cpus_online != NULL ?
	    json_string(d->cpus_online) : json_null());
	json_object_set_new(o, "agent", json_boolean(agent_is_up(d)));
	json_object_set_new(o, "shutdown_requested", d->shutdown_req ==
	    SHUTDOWN_NONE ? json_null() : json_string(d->shutdown_req ==
	    SHUTDOWN_REBOOT ? "reboot" : d->shutdown_req == SHUTDOWN_HALT ?
	    "halt" : "poweroff"));
	json_object_set_new(o, "sched", sched_to_json(d));
	json_object_set_new(o, "network", network_domain_json(d));
	json_object_set_new(o, "stats", json_pack("{s:I, s:I, s:I, s:I}",
	    "net_rx", (json_int_t)d->net_rx, "net_tx", (json_int_t)d->net_tx,
	    "blk_rd", (json_int_t)d->blk_rd, "blk_wr", (json_int_t)d->blk_wr));
	if (d->config->vnc) {
		json_object_set_new(o, "vnc_path", json_sprintf("%s/vnc.sock",
		    d->dir));
		json_object_set_new(o, "vnc_port", json_integer(
		    hvm_vnc_port(d->config, d->domid)));
	}
	return (o);
}

json_t *
apijson_domain0(void)
{
	struct host_info	 h;
	struct domain		*d;
	long			 mem;
	double			 cpu = host_busy_seconds();
	json_t			*o;
	char			 hostname[256];

	host_read(&h);
	mem = h.total_mb;
	TAILQ_FOREACH(d, &domains, entry) {
		mem -= d->config->memory;
		cpu -= d->cpu_time;
	}
	if (gethostname(hostname, sizeof hostname) != 0)
		strcpy(hostname, "localhost");
	o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:i, s:i, s:f, s:n,"
	    " s:f, s:f, s:s}",
	    "domid", 0, "name", "Domain-0", "state", "r-----",
	    "status", "running", "memory", (json_int_t)mem,
	    "maxmem", (json_int_t)h.total_mb, "vcpus", h.nr_cpus, "cpu", 0,
	    "cpu_time", cpu > 0 ? cpu : 0, "console_port",
	    "start_time", time_wall() - host_uptime(),
	    "uptime", host_uptime(), "host", hostname);
	host_free(&h);
	return (o);
}

json_t *
apijson_event(const char *type, struct domain *d)
{
	if (strcmp(type, "domain.removed") == 0)
		return (json_pack("{s:i, s:s}", "domid", d->domid, "name",
		    d->name));
	return (json_pack("{s:o}", "domain", apijson_domain(d, 1)));
}
