/*
 * model.c: what xend said about the host and its domains, and what follows
 * from two samples (CPU%, I/O rates) and from many (the histories).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "cpulist.h"
#include "top.h"

void
model_init(struct model *m)
{
	memset(m, 0, sizeof *m);
	m->host.nr_cpus = m->host.total = m->host.free = NAN;
	m->host.claimed = m->host.dom0_min = m->host.xend_uptime = NAN;
	m->host.nr_domains = NAN;
	m->host.load[0] = m->host.load[1] = m->host.load[2] = NAN;
}

static void
dom_free(struct dom *d)
{
	free(d->busy);
	free(d->error);
	json_decref(d->full);
	free(d);
}

void
model_free(struct model *m)
{
	size_t	 i;

	for (i = 0; i < m->ndoms; i++)
		dom_free(m->doms[i]);
	free(m->doms);
	free(m->host.cpu_busy);
	free(m->host.cpu_prev);
	free(m->host.cpu_pct);
	free(m->host.cpu_id);
	free(m->host.error);
	json_decref(m->host.info);
	memset(m, 0, sizeof *m);
}

/* Index of domid in the sorted array, or where it would go. */
static size_t
model_index(const struct model *m, int domid, int *found)
{
	size_t	 lo = 0, hi = m->ndoms, mid;

	*found = 0;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (m->doms[mid]->domid == domid) {
			*found = 1;
			return (mid);
		}
		if (m->doms[mid]->domid < domid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

struct dom *
model_find(struct model *m, int domid)
{
	int	 found;
	size_t	 i = model_index(m, domid, &found);

	return (found ? m->doms[i] : NULL);
}

struct dom *
model_find_name(struct model *m, const char *name)
{
	size_t	 i;

	for (i = 0; i < m->ndoms; i++)
		if (strcmp(m->doms[i]->name, name) == 0)
			return (m->doms[i]);
	return (NULL);
}

static struct dom *
model_add(struct model *m, int domid)
{
	struct dom	*d;
	int		 found;
	size_t		 i = model_index(m, domid, &found), k;

	if (found)
		return (m->doms[i]);
	if (m->ndoms == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->doms = xreallocarray(m->doms, m->cap, sizeof *m->doms);
	}
	memmove(m->doms + i + 1, m->doms + i, (m->ndoms - i) *
	    sizeof *m->doms);
	m->ndoms++;
	d = xcalloc(1, sizeof *d);
	d->domid = domid;
	d->cpu_pct = NAN;
	d->prev_time = NAN;
	for (k = 0; k < STAT_COUNT; k++)
		d->rates[k] = d->stats[k] = d->prev_stats[k] = NAN;
	m->doms[i] = d;
	return (d);
}

void
model_remove(struct model *m, int domid)
{
	int	 found;
	size_t	 i = model_index(m, domid, &found);

	if (!found)
		return;
	dom_free(m->doms[i]);
	memmove(m->doms + i, m->doms + i + 1, (m->ndoms - i - 1) *
	    sizeof *m->doms);
	m->ndoms--;
}

/* One domain object, as scanned: fields land in d. */
struct scan_dom {
	struct dom	*d;
	int		 domid;
	int		 have_domid;
};

static int
scan_pair(const char *key, size_t klen, const char *v, const char *vend,
    void *arg)
{
	double	*out = arg;

	if (jscan_key_is(key, klen, "weight") ||
	    jscan_key_is(key, klen, "period"))
		out[0] = jscan_number(v, vend);
	else if (jscan_key_is(key, klen, "cap") ||
	    jscan_key_is(key, klen, "slice"))
		out[1] = jscan_number(v, vend);
	return (0);
}

static int
scan_sched(const char *key, size_t klen, const char *v, const char *vend,
    void *arg)
{
	struct dom	*d = arg;
	double		 pair[2] = { NAN, NAN };

	if (jscan_key_is(key, klen, "credit")) {
		jscan_object(v, vend, scan_pair, pair);
		d->weight = pair[0];
		d->cap = pair[1];
	} else if (jscan_key_is(key, klen, "sedf")) {
		jscan_object(v, vend, scan_pair, pair);
		d->period = pair[0];
		d->slice = pair[1];
	}
	return (0);
}

static int
scan_stats(const char *key, size_t klen, const char *v, const char *vend,
    void *arg)
{
	struct dom		*d = arg;
	static const char	*names[STAT_COUNT] = { "net_rx", "net_tx",
	    "blk_rd", "blk_wr" };
	int			 i;

	for (i = 0; i < STAT_COUNT; i++)
		if (jscan_key_is(key, klen, names[i]))
			d->stats[i] = jscan_number(v, vend);
	return (0);
}

/* A count, or a CPU list ("0-1,3") counted: xend sends the list. */
static double
scan_count(const char *v, const char *vend)
{
	char		 buf[256], *cause;
	cpu_set_t	 set;

	if (jscan_string(v, vend, buf, sizeof buf) != 0)
		return (jscan_number(v, vend));
	if (cpulist_parse(buf, CPU_SETSIZE, &set, &cause) != 0) {
		free(cause);
		return (NAN);
	}
	return (CPU_COUNT(&set));
}

static int
scan_member(const char *key, size_t klen, const char *v, const char *vend,
    void *arg)
{
	struct scan_dom	*s = arg;
	struct dom	*d = s->d;
	double		 n;

	switch (key[0]) {
	case 'c':
		if (jscan_key_is(key, klen, "cpu"))
			d->cpu = jscan_number(v, vend);
		else if (jscan_key_is(key, klen, "cpu_time"))
			d->cpu_time = jscan_number(v, vend);
		else if (jscan_key_is(key, klen, "console_port"))
			d->console_port = jscan_number(v, vend);
		break;
	case 'd':
		if (jscan_key_is(key, klen, "domid")) {
			n = jscan_number(v, vend);
			if (!isnan(n) && n >= 0 && n < 1e9) {
				s->domid = n;
				s->have_domid = 1;
			}
		}
		break;
	case 'm':
		if (jscan_key_is(key, klen, "memory"))
			d->memory = jscan_number(v, vend);
		else if (jscan_key_is(key, klen, "memory_target"))
			d->memory_target = jscan_number(v, vend);
		else if (jscan_key_is(key, klen, "maxmem"))
			d->maxmem = jscan_number(v, vend);
		break;
	case 'n':
		if (jscan_key_is(key, klen, "name") &&
		    jscan_string(v, vend, d->name, sizeof d->name) != 0)
			snprintf(d->name, sizeof d->name, "?");
		break;
	case 'r':
		if (jscan_key_is(key, klen, "restart_count"))
			d->restart_count = jscan_number(v, vend);
		break;
	case 's':
		if (jscan_key_is(key, klen, "state"))
			jscan_string(v, vend, d->state, sizeof d->state);
		else if (jscan_key_is(key, klen, "status"))
			jscan_string(v, vend, d->status, sizeof d->status);
		else if (jscan_key_is(key, klen, "sched"))
			jscan_object(v, vend, scan_sched, d);
		else if (jscan_key_is(key, klen, "stats"))
			jscan_object(v, vend, scan_stats, d);
		break;
	case 'u':
		if (jscan_key_is(key, klen, "uptime"))
			d->uptime = jscan_number(v, vend);
		break;
	case 'v':
		if (jscan_key_is(key, klen, "vcpus"))
			d->vcpus = jscan_number(v, vend);
		else if (jscan_key_is(key, klen, "vcpus_online"))
			d->vcpus_online = scan_count(v, vend);
		break;
	}
	return (0);
}

/* Clears what each sample sets, so a field xend stops sending shows "-". */
static void
dom_reset_sample(struct dom *d)
{
	int	 i;

	d->state[0] = d->status[0] = '\0';
	d->memory = d->memory_target = d->maxmem = NAN;
	d->vcpus = d->vcpus_online = d->cpu = d->cpu_time = NAN;
	d->console_port = d->uptime = d->restart_count = NAN;
	d->weight = d->cap = d->period = d->slice = NAN;
	for (i = 0; i < STAT_COUNT; i++)
		d->stats[i] = NAN;
}

static void
hist_push(struct dom *d, double cpu, double mem)
{
	d->hist_cpu[d->hist_pos] = cpu;
	d->hist_mem[d->hist_pos] = mem;
	d->hist_pos = (d->hist_pos + 1) % TOP_HIST;
	if (d->hist_len < TOP_HIST)
		d->hist_len++;
}

double
dom_hist(const struct dom *d, const float *ring, int i)
{
	if (i < 0 || i >= d->hist_len)
		return (NAN);
	return (ring[(d->hist_pos - 1 - i + 2 * TOP_HIST) % TOP_HIST]);
}

/* Rates from the previous sample; the first sample has none. */
static void
dom_derive(struct dom *d, double now)
{
	double	 dt = now - d->prev_time;
	int	 i;

	if (!isnan(d->prev_time) && dt > 0.05) {
		if (!isnan(d->cpu_time) && !isnan(d->prev_cpu_time) &&
		    d->cpu_time >= d->prev_cpu_time)
			d->cpu_pct = (d->cpu_time - d->prev_cpu_time) / dt *
			    100.0;
		else
			d->cpu_pct = NAN;
		for (i = 0; i < STAT_COUNT; i++) {
			if (!isnan(d->stats[i]) && !isnan(d->prev_stats[i]) &&
			    d->stats[i] >= d->prev_stats[i])
				d->rates[i] = (d->stats[i] - d->prev_stats[i]) /
				    dt;
			else
				d->rates[i] = NAN;
		}
	} else if (!isnan(d->prev_time))
		return;		/* too close to the last one: keep its rates */
	d->prev_time = now;
	d->prev_cpu_time = d->cpu_time;
	memcpy(d->prev_stats, d->stats, sizeof d->prev_stats);
	hist_push(d, d->cpu_pct, d->memory);
}

/* Scans one domain object into the model. */
static struct dom *
model_scan_one(struct model *m, const char *v, const char *vend, double now,
    int detail_domid, int derive)
{
	struct scan_dom	 s;
	struct dom	 tmp, *d;
	json_error_t	 jerr;

	/* Scan into a scratch copy: a malformed object changes nothing. */
	memset(&s, 0, sizeof s);
	memset(&tmp, 0, sizeof tmp);
	dom_reset_sample(&tmp);
	s.d = &tmp;
	if (jscan_object(v, vend, scan_member, &s) != 0 || !s.have_domid)
		return (NULL);
	d = model_add(m, s.domid);
	memcpy(d->name, tmp.name, sizeof d->name);
	memcpy(d->state, tmp.state, sizeof d->state);
	memcpy(d->status, tmp.status, sizeof d->status);
	d->memory = tmp.memory;
	d->memory_target = tmp.memory_target;
	d->maxmem = tmp.maxmem;
	d->vcpus = tmp.vcpus;
	d->vcpus_online = tmp.vcpus_online;
	d->cpu = tmp.cpu;
	d->cpu_time = tmp.cpu_time;
	d->console_port = tmp.console_port;
	d->uptime = tmp.uptime;
	d->restart_count = tmp.restart_count;
	d->weight = tmp.weight;
	d->cap = tmp.cap;
	d->period = tmp.period;
	d->slice = tmp.slice;
	memcpy(d->stats, tmp.stats, sizeof d->stats);
	d->generation = m->generation;
	if (derive)
		dom_derive(d, now);
	if (d->domid == detail_domid) {
		json_decref(d->full);
		d->full = json_loadb(v, vend - v, 0, &jerr);
	} else if (d->full != NULL) {
		json_decref(d->full);
		d->full = NULL;
	}
	return (d);
}

struct scan_list {
	struct model	*m;
	double		 now;
	int		 detail_domid;
	size_t		 bad;
};

static int
scan_list_item(const char *v, const char *vend, void *arg)
{
	struct scan_list	*s = arg;

	if (model_scan_one(s->m, v, vend, s->now, s->detail_domid, 1) == NULL)
		s->bad++;
	return (0);
}

int
model_update_list(struct model *m, const char *v, const char *vend,
    double now, int detail_domid, char **cause)
{
	struct scan_list	 s;
	size_t			 i;

	m->generation++;
	s.m = m;
	s.now = now;
	s.detail_domid = detail_domid;
	s.bad = 0;
	if (jscan_array(v, vend, scan_list_item, &s) != 0) {
		*cause = xstrdup("bad domain.list reply from xend");
		return (-1);
	}
	/* Domains not listed are gone. */
	for (i = m->ndoms; i > 0; i--) {
		if (m->doms[i - 1]->generation != m->generation)
			model_remove(m, m->doms[i - 1]->domid);
	}
	/* The shutdown asked for ended (domain gone) or was refused. */
	for (i = 0; i < m->ndoms; i++) {
		struct dom *d = m->doms[i];

		if (!d->shutting_down)
			continue;
		if (d->state[3] == 's' || d->restart_count >
		    d->busy_restarts) {
			d->shutting_down = 0;
			free(d->busy);
			d->busy = NULL;
		} else if (now - d->busy_since > 120)
			dom_set_error(d, "still running 120 s after the "
			    "shutdown request", now);
	}
	m->sample_time = now;
	m->refreshes++;
	if (s.bad > 0) {
		*cause = xsprintf("%zu domain objects without a domid", s.bad);
		return (-1);
	}
	return (0);
}

struct dom *
model_update_one(struct model *m, const char *v, const char *vend,
    double now, int detail_domid)
{
	struct dom	*d;
	unsigned	 gen = m->generation;

	/* An event is not a sample: no rates from it. */
	d = model_scan_one(m, v, vend, now, detail_domid, 0);
	if (d != NULL)
		d->generation = gen;
	return (d);
}

static double
num(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	return (json_is_number(v) ? json_number_value(v) : NAN);
}

void
model_update_host(struct model *m, json_t *info, double now)
{
	struct host	*h = &m->host;
	json_t		*v, *c, *id;
	const char	*k;
	size_t		 i, n, o;
	double		 dt;

	free(h->error);
	h->error = NULL;
	h->known = 1;
	json_decref(h->info);
	h->info = json_incref(info);
	snprintf(h->name, sizeof h->name, "%s", json_is_string(v =
	    json_object_get(info, "host")) ? json_string_value(v) : "-");
	snprintf(h->accel, sizeof h->accel, "%s", json_is_string(v =
	    json_object_get(info, "accel")) ? json_string_value(v) : "-");
	h->nr_cpus = num(info, "nr_cpus");
	h->total = num(info, "total_memory");
	h->free = num(info, "free_memory");
	h->claimed = num(info, "claimed_memory");
	h->dom0_min = num(info, "dom0_min_mem");
	h->xend_uptime = num(info, "xend_uptime");
	h->nr_domains = num(info, "nr_domains");
	v = json_object_get(info, "load");
	for (i = 0; i < 3; i++)
		h->load[i] = json_is_array(v) && json_is_number(c =
		    json_array_get(v, i)) ? json_number_value(c) : NAN;
	h->by_state[0] = '\0';
	o = 0;
	json_object_foreach(json_object_get(info, "domains_by_state"), k, c) {
		if (!json_is_integer(c) || json_integer_value(c) == 0)
			continue;
		o += snprintf(h->by_state + o, o < sizeof h->by_state ?
		    sizeof h->by_state - o : 0, "%s%lld %s", o ? ", " : "",
		    (long long)json_integer_value(c), k);
		if (o >= sizeof h->by_state)
			break;
	}
	/*
	 * Per-CPU busy seconds: percentages from two samples.  Entries that
	 * are not a CPU of this host (a "cpu" id outside 0..nr_cpus-1) are
	 * left out rather than drawn as a CPU.
	 */
	v = json_object_get(info, "cpus");
	n = 0;
	for (i = 0; json_is_array(v) && i < json_array_size(v); i++) {
		id = json_object_get(json_array_get(v, i), "cpu");
		if (json_is_integer(id) && json_integer_value(id) >= 0 &&
		    (isnan(h->nr_cpus) || json_integer_value(id) < h->nr_cpus))
			n++;
	}
	if ((int)n != h->ncpus) {
		h->ncpus = n;
		h->cpu_busy = xreallocarray(h->cpu_busy, n + 1, sizeof(double));
		h->cpu_prev = xreallocarray(h->cpu_prev, n + 1, sizeof(double));
		h->cpu_pct = xreallocarray(h->cpu_pct, n + 1, sizeof(double));
		h->cpu_id = xreallocarray(h->cpu_id, n + 1, sizeof(int));
		for (i = 0; i < n; i++)
			h->cpu_prev[i] = h->cpu_pct[i] = NAN;
		h->cpu_prev_time = NAN;
	}
	dt = now - h->cpu_prev_time;
	for (i = 0, o = 0; json_is_array(v) && i < json_array_size(v); i++) {
		c = json_array_get(v, i);
		id = json_object_get(c, "cpu");
		if (!json_is_integer(id) || json_integer_value(id) < 0 ||
		    (!isnan(h->nr_cpus) && json_integer_value(id) >=
		    h->nr_cpus) || o >= n)
			continue;
		h->cpu_id[o] = json_integer_value(id);
		h->cpu_busy[o] = num(c, "busy");
		if (!isnan(h->cpu_prev_time) && dt > 0.05 &&
		    !isnan(h->cpu_prev[o]) && !isnan(h->cpu_busy[o]))
			h->cpu_pct[o] = fmin(100.0, fmax(0.0, (h->cpu_busy[o] -
			    h->cpu_prev[o]) / dt * 100.0));
		o++;
	}
	if (isnan(h->cpu_prev_time) || dt > 0.05) {
		for (i = 0; i < n; i++)
			h->cpu_prev[i] = h->cpu_busy[i];
		h->cpu_prev_time = now;
	}
}

void
model_host_error(struct model *m, const char *error)
{
	free(m->host.error);
	m->host.error = xstrdup(error);
}

void
dom_set_busy(struct dom *d, const char *what, double now)
{
	free(d->busy);
	d->busy = what != NULL ? xstrdup(what) : NULL;
	d->busy_since = now;
	if (what != NULL) {
		free(d->error);
		d->error = NULL;
	}
}

void
dom_set_error(struct dom *d, const char *error, double now)
{
	free(d->busy);
	d->busy = NULL;
	d->shutting_down = 0;
	free(d->error);
	d->error = xstrdup(error);
	d->error_time = now;
}

void
dom_clear(struct dom *d)
{
	free(d->busy);
	d->busy = NULL;
	free(d->error);
	d->error = NULL;
}
