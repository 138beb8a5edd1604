/*
 * columns.c: the column table, cell formatting, sorting and filtering.
 * The screen, CSV and JSON take their fields from the same table, so a
 * column means the same thing everywhere.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xen-common.h"
#include "top.h"

const struct column top_columns[COL_COUNT] = {
	{ COL_NAME, "name", "NAME", 16, 1, "domain name" },
	{ COL_ID, "domid", "ID", 5, 0, "domain id" },
	{ COL_STATE, "state", "STATE", 6, 1,
	  "r running, b blocked, p paused, s shutdown, c crashed, d dying" },
	{ COL_CPU_PCT, "cpu_pct", "CPU%", 6, 0,
	  "CPU use since the last refresh: percent of one CPU (100 = one "
	  "CPU busy, like xentop), or with % the share of the whole host "
	  "(like virt-top); - on the first sample" },
	{ COL_CPU_TIME, "cpu_time", "CPU(s)", 8, 0,
	  "CPU seconds used by the vCPUs" },
	{ COL_MEM, "mem_actual", "MEM", 6, 0,
	  "memory the domain has now (MB, balloon actual)" },
	{ COL_TARGET, "mem_target", "TARGET", 6, 0,
	  "memory the balloon is heading for (MB)" },
	{ COL_MAXMEM, "mem_max", "MAXMEM", 6, 0, "memory ceiling (MB)" },
	{ COL_VCPUS, "vcpus", "VCPUS", 5, 0,
	  "vCPUs online/at boot (one number: at boot)" },
	{ COL_CONSOLE, "console_port", "CONS", 5, 0,
	  "console TCP port" },
	{ COL_NET_RX, "net_rx_rate", "NETRX", 6, 0,
	  "network bytes received per second" },
	{ COL_NET_TX, "net_tx_rate", "NETTX", 6, 0,
	  "network bytes sent per second" },
	{ COL_BLK_RD, "blk_rd_rate", "BLKRD", 6, 0,
	  "disk bytes read per second" },
	{ COL_BLK_WR, "blk_wr_rate", "BLKWR", 6, 0,
	  "disk bytes written per second" },
	{ COL_UPTIME, "uptime", "UPTIME", 10, 0, "time since the domain "
	  "started" },
	{ COL_NOTE, "activity", "ACTIVITY", 24, 1,
	  "an action in flight, or the last one's error" },
};

int
column_find(const char *key)
{
	int	 i;

	for (i = 0; i < COL_COUNT; i++)
		if (strcasecmp(top_columns[i].key, key) == 0 ||
		    strcasecmp(top_columns[i].title, key) == 0)
			return (i);
	return (-1);
}

const char *
column_title(const struct top_view *v, enum col_id id)
{
	if (id == COL_CPU_PCT && v->cpu_host)
		return ("HOST%");
	return (top_columns[id].title);
}

char *
fmt_num(double v, const char *fmt, char *buf, size_t size)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, fmt, v);
	return (buf);
}

char *
fmt_bytes_rate(double bps, char *buf, size_t size)
{
	static const char	 units[] = "KMGT";
	int			 u = -1;

	if (isnan(bps)) {
		snprintf(buf, size, "-");
		return (buf);
	}
	while (bps >= 1000 && u < 3) {
		bps /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%.0f", bps);
	else
		snprintf(buf, size, bps < 10 ? "%.1f%c" : "%.0f%c", bps,
		    units[u]);
	return (buf);
}

char *
fmt_uptime(double secs, char *buf, size_t size)
{
	long	 s, days;

	if (isnan(secs) || secs < 0) {
		snprintf(buf, size, "-");
		return (buf);
	}
	s = (long)secs;
	days = s / 86400;
	s %= 86400;
	if (days > 0)
		snprintf(buf, size, "%ldd %02ld:%02ld", days, s / 3600,
		    (s / 60) % 60);
	else
		snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60,
		    s % 60);
	return (buf);
}

void
dom_note(const struct dom *d, char *buf, size_t size, double now)
{
	if (d->busy != NULL) {
		if (now - d->busy_since >= 2)
			snprintf(buf, size, "%s (%.0fs)", d->busy,
			    now - d->busy_since);
		else
			snprintf(buf, size, "%s", d->busy);
	} else if (d->error != NULL)
		snprintf(buf, size, "error: %s", d->error);
	else if (!isnan(d->memory_target) && !isnan(d->memory) &&
	    fabs(d->memory - d->memory_target) >= 1)
		snprintf(buf, size, "balloon %.0f%s%.0f MB", d->memory,
		    d->memory < d->memory_target ? " up to " : " down to ",
		    d->memory_target);
	else
		buf[0] = '\0';
}

double
column_value(const struct top_view *v, const struct dom *d, enum col_id id)
{
	switch (id) {
	case COL_ID:
		return (d->domid);
	case COL_CPU_PCT:
		if (v->cpu_host)
			return (v->nr_cpus > 0 ? d->cpu_pct / v->nr_cpus : NAN);
		return (d->cpu_pct);
	case COL_CPU_TIME:
		return (d->cpu_time);
	case COL_MEM:
		return (d->memory);
	case COL_TARGET:
		return (d->memory_target);
	case COL_MAXMEM:
		return (d->maxmem);
	case COL_VCPUS:
		return (isnan(d->vcpus_online) ? d->vcpus : d->vcpus_online);
	case COL_CONSOLE:
		return (d->console_port);
	case COL_NET_RX:
		return (d->rates[STAT_NET_RX]);
	case COL_NET_TX:
		return (d->rates[STAT_NET_TX]);
	case COL_BLK_RD:
		return (d->rates[STAT_BLK_RD]);
	case COL_BLK_WR:
		return (d->rates[STAT_BLK_WR]);
	case COL_UPTIME:
		return (d->uptime);
	default:
		return (NAN);
	}
}

void
column_format(const struct top_view *v, const struct dom *d, enum col_id id,
    char *buf, size_t size, double now)
{
	double	 x = column_value(v, d, id);

	switch (id) {
	case COL_NAME:
		snprintf(buf, size, "%s", d->name);
		break;
	case COL_STATE:
		snprintf(buf, size, "%s", d->state[0] ? d->state : "-");
		break;
	case COL_ID:
	case COL_MEM:
	case COL_TARGET:
	case COL_MAXMEM:
	case COL_CONSOLE:
		fmt_num(x, "%.0f", buf, size);
		break;
	case COL_CPU_PCT:
		fmt_num(x, "%.1f", buf, size);
		break;
	case COL_CPU_TIME:
		fmt_num(x, "%.1f", buf, size);
		break;
	case COL_VCPUS:
		if (!isnan(d->vcpus_online) && !isnan(d->vcpus))
			snprintf(buf, size, "%.0f/%.0f", d->vcpus_online,
			    d->vcpus);
		else
			fmt_num(d->vcpus, "%.0f", buf, size);
		break;
	case COL_NET_RX:
	case COL_NET_TX:
	case COL_BLK_RD:
	case COL_BLK_WR:
		fmt_bytes_rate(x, buf, size);
		break;
	case COL_UPTIME:
		fmt_uptime(x, buf, size);
		break;
	case COL_NOTE:
		dom_note(d, buf, size, now);
		break;
	default:
		snprintf(buf, size, "?");
		break;
	}
}

int
top_filter_match(const struct top_view *v, const struct dom *d)
{
	return (v->filter[0] == '\0' || strcasestr(d->name, v->filter) !=
	    NULL);
}

/* Unknown values sort last whichever the direction. */
int
top_compare(const void *a, const void *b, void *arg)
{
	const struct top_view	*v = arg;
	const struct dom	*x = *(struct dom *const *)a;
	const struct dom	*y = *(struct dom *const *)b;
	double			 p, q;
	int			 r = 0;
	char			 nx[128], ny[128];

	switch (v->sort_col) {
	case COL_NAME:
		r = strcasecmp(x->name, y->name);
		if (r == 0)
			r = strcmp(x->name, y->name);
		break;
	case COL_STATE:
		r = strcmp(x->state, y->state);
		break;
	case COL_NOTE:
		dom_note(x, nx, sizeof nx, 0);
		dom_note(y, ny, sizeof ny, 0);
		if ((nx[0] == '\0') != (ny[0] == '\0'))
			return (nx[0] == '\0' ? 1 : -1);
		r = strcmp(nx, ny);
		break;
	default:
		p = column_value(v, x, v->sort_col);
		q = column_value(v, y, v->sort_col);
		if (isnan(p) || isnan(q)) {
			if (isnan(p) && isnan(q))
				break;
			return (isnan(p) ? 1 : -1);
		}
		r = p < q ? -1 : p > q;
		break;
	}
	if (v->sort_reverse)
		r = -r;
	if (r == 0)
		r = x->domid < y->domid ? -1 : x->domid > y->domid;
	return (r);
}
