/*
 * batch.c: xm top -b, for scripts.  The same samples as the screen, as
 * text (the screen's columns), CSV (one row per domain per iteration) or
 * JSON lines (one object per iteration).  The schema is documented in
 * docs/XM-TOP.md; a field xend does not report is empty in CSV and null in
 * JSON, never guessed.  Rows are in domain id order.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xen-common.h"
#include "top.h"

#define BATCH_SCHEMA	"xm-top-batch/1"

/* The batch fields: name, kind, and how to get them. */
enum bf_kind { BF_STR, BF_NUM };
struct batch_field {
	const char	*name;
	enum bf_kind	 kind;
	int		 col;		/* a column's value, or -1 */
};

static const struct batch_field fields[] = {
	{ "name", BF_STR, COL_NAME },
	{ "domid", BF_NUM, COL_ID },
	{ "state", BF_STR, COL_STATE },
	{ "status", BF_STR, -1 },
	{ "cpu_pct", BF_NUM, -1 },
	{ "cpu_host_pct", BF_NUM, -1 },
	{ "cpu_time", BF_NUM, COL_CPU_TIME },
	{ "mem_actual", BF_NUM, COL_MEM },
	{ "mem_target", BF_NUM, COL_TARGET },
	{ "mem_max", BF_NUM, COL_MAXMEM },
	{ "vcpus", BF_NUM, -1 },
	{ "vcpus_online", BF_NUM, -1 },
	{ "console_port", BF_NUM, COL_CONSOLE },
	{ "net_rx_rate", BF_NUM, COL_NET_RX },
	{ "net_tx_rate", BF_NUM, COL_NET_TX },
	{ "blk_rd_rate", BF_NUM, COL_BLK_RD },
	{ "blk_wr_rate", BF_NUM, COL_BLK_WR },
	{ "uptime", BF_NUM, COL_UPTIME },
	{ "activity", BF_STR, COL_NOTE },
};

static double
field_num(struct top *top, const struct dom *d, const struct batch_field *f)
{
	struct top_view	 v = top->view;

	if (strcmp(f->name, "cpu_pct") == 0)
		return (d->cpu_pct);
	if (strcmp(f->name, "cpu_host_pct") == 0) {
		v.cpu_host = 1;
		return (column_value(&v, d, COL_CPU_PCT));
	}
	if (strcmp(f->name, "vcpus") == 0)
		return (d->vcpus);
	if (strcmp(f->name, "vcpus_online") == 0)
		return (d->vcpus_online);
	return (column_value(&top->view, d, f->col));
}

static void
field_str(struct top *top, const struct dom *d, const struct batch_field *f,
    char *buf, size_t size, double now)
{
	if (strcmp(f->name, "status") == 0)
		snprintf(buf, size, "%s", d->status);
	else if (f->col == COL_STATE)
		snprintf(buf, size, "%s", d->state);
	else
		column_format(&top->view, d, f->col, buf, size, now);
}

/* A CSV cell: quoted when it holds a comma, quote or newline. */
static void
csv_cell(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static json_t *
jnum(double v)
{
	if (isnan(v))
		return (json_null());
	if (v == floor(v) && fabs(v) < 1e15)
		return (json_integer((json_int_t)v));
	return (json_real(v));
}

static json_t *
host_json(struct top *top)
{
	struct host	*h = &top->model.host;
	json_t		*o, *cpus, *load, *v;
	int		 i;

	o = json_object();
	json_object_set_new(o, "host", h->known ? json_string(h->name) :
	    json_null());
	json_object_set_new(o, "accel", h->known ? json_string(h->accel) :
	    json_null());
	json_object_set_new(o, "nr_cpus", jnum(h->nr_cpus));
	if (h->ncpus > 0) {
		cpus = json_array();
		for (i = 0; i < h->ncpus; i++)
			json_array_append_new(cpus, jnum(h->cpu_pct[i]));
	} else
		cpus = json_null();
	json_object_set_new(o, "cpu_pct", cpus);
	if (!isnan(h->load[0])) {
		load = json_array();
		for (i = 0; i < 3; i++)
			json_array_append_new(load, jnum(h->load[i]));
	} else
		load = json_null();
	json_object_set_new(o, "load", load);
	json_object_set_new(o, "total_memory", jnum(h->total));
	json_object_set_new(o, "claimed_memory", jnum(h->claimed));
	json_object_set_new(o, "free_memory", jnum(h->free));
	json_object_set_new(o, "dom0_min_mem", jnum(h->dom0_min));
	json_object_set_new(o, "nr_domains", jnum(h->nr_domains));
	v = json_object_get(h->info, "domains_by_state");
	json_object_set_new(o, "domains_by_state", json_is_object(v) ?
	    json_deep_copy(v) : json_null());
	json_object_set_new(o, "xend_uptime", jnum(h->xend_uptime));
	json_object_set_new(o, "error", h->error != NULL ?
	    json_string(h->error) : json_null());
	return (o);
}

/* One text line: the titles (d NULL) or d's cells, as on the screen. */
static void
text_row(struct top *top, const struct dom *d, FILE *f, double now)
{
	char	 line[1024], cell[256];
	int	 o = 0, id, w;

	for (id = 0; id < COL_COUNT; id++) {
		w = top_columns[id].width;
		if (d != NULL)
			column_format(&top->view, d, id, cell, sizeof cell, now);
		else
			snprintf(cell, sizeof cell, "%s", column_title(
			    &top->view, id));
		o += snprintf(line + o, sizeof line - o, top_columns[id].left ?
		    "%-*s " : "%*s ", w, cell);
		if (o >= (int)sizeof line)
			o = sizeof line - 1;
	}
	while (o > 0 && line[o - 1] == ' ')
		o--;
	line[o] = '\0';
	fprintf(f, "%s\n", line);
}

void
batch_print(struct top *top, enum batch_format fmt, int iteration,
    double wall, void *fp)
{
	FILE		*f = fp;
	struct host	*h = &top->model.host;
	struct dom	*d;
	char		 cell[256], a[32], b[32], c[32], e[32], l[32];
	size_t		 i, k;
	json_t		*o, *doms, *row;
	double		 now = time_mono(), x;

	switch (fmt) {
	case BATCH_TEXT:
		fprintf(f, "xm top - %s  %s  domains %s%s%s%s  mem total %s "
		    "claimed %s free %s MB  load %s\n", h->known ? h->name :
		    "-", h->known ? h->accel : "-",
		    fmt_num(h->nr_domains, "%.0f", e, sizeof e),
		    h->by_state[0] ? " (" : "", h->by_state,
		    h->by_state[0] ? ")" : "",
		    fmt_num(h->total, "%.0f", a, sizeof a),
		    fmt_num(h->claimed, "%.0f", b, sizeof b),
		    fmt_num(h->free, "%.0f", c, sizeof c),
		    fmt_num(h->load[0], "%.2f", l, sizeof l));
		if (h->error != NULL)
			fprintf(f, "host.info: %s\n", h->error);
		text_row(top, NULL, f, now);
		for (i = 0; i < top->nrows; i++)
			text_row(top, top->rows[i], f, now);
		fputc('\n', f);
		break;
	case BATCH_CSV:
		if (iteration == 1) {
			fprintf(f, "time,iteration");
			for (k = 0; k < nitems(fields); k++)
				fprintf(f, ",%s", fields[k].name);
			fputc('\n', f);
		}
		for (i = 0; i < top->nrows; i++) {
			d = top->rows[i];
			fprintf(f, "%.3f,%d", wall, iteration);
			for (k = 0; k < nitems(fields); k++) {
				fputc(',', f);
				if (fields[k].kind == BF_STR) {
					field_str(top, d, &fields[k], cell,
					    sizeof cell, now);
					csv_cell(f, cell);
				} else if (!isnan(x = field_num(top, d,
				    &fields[k])))
					fprintf(f, x == floor(x) && fabs(x) <
					    1e15 ? "%.0f" : "%.3f", x);
			}
			fputc('\n', f);
		}
		break;
	case BATCH_JSON:
		o = json_object();
		json_object_set_new(o, "schema", json_string(BATCH_SCHEMA));
		json_object_set_new(o, "iteration", json_integer(iteration));
		json_object_set_new(o, "time", json_real(wall));
		json_object_set_new(o, "host", host_json(top));
		doms = json_array();
		for (i = 0; i < top->nrows; i++) {
			d = top->rows[i];
			row = json_object();
			for (k = 0; k < nitems(fields); k++) {
				if (fields[k].kind == BF_STR) {
					field_str(top, d, &fields[k], cell,
					    sizeof cell, now);
					json_object_set_new(row, fields[k].name,
					    cell[0] == '\0' &&
					    fields[k].col == COL_NOTE ?
					    json_null() : json_string(cell));
				} else
					json_object_set_new(row, fields[k].name,
					    jnum(field_num(top, d,
					    &fields[k])));
			}
			json_array_append_new(doms, row);
		}
		json_object_set_new(o, "domains", doms);
		json_dumpf(o, f, JSON_COMPACT | JSON_REAL_PRECISION(12));
		fputc('\n', f);
		json_decref(o);
		break;
	}
	fflush(f);
}

/* Waits for the replies of one refresh; -1 if xend went away. */
static int
batch_wait(struct top *top, double timeout)
{
	struct pollfd	 pf;
	double		 end = time_mono() + timeout;
	int		 ms;

	while (top->refresh_inflight > 0) {
		if (!conn_connected(top->conn))
			return (-1);
		ms = (int)((end - time_mono()) * 1000);
		if (ms <= 0)
			return (-1);
		pf.fd = conn_fd(top->conn);
		pf.events = POLLIN;
		if (poll(&pf, 1, ms) == -1 && errno != EINTR)
			return (-1);
		conn_read(top);
	}
	return (conn_connected(top->conn) ? 0 : -1);
}

int
batch_run(struct top *top, enum batch_format fmt, long iterations)
{
	struct timespec	 ts;
	double		 next, left;
	long		 i;

	for (i = 1; iterations <= 0 || i <= iterations; i++) {
		next = time_mono() + top->delay;
		top_refresh(top);
		if (top->conn_error != NULL || batch_wait(top, 30) != 0) {
			fprintf(stderr, "xm top: %s\n", top->conn_error != NULL ?
			    top->conn_error : "no reply from xend");
			return (1);
		}
		if (top->status_error) {
			fprintf(stderr, "xm top: %s\n", top->status);
			top->status_error = 0;
		}
		batch_print(top, fmt, i, time_wall(), stdout);
		if (ferror(stdout))
			return (1);
		if (iterations > 0 && i == iterations)
			break;
		left = next - time_mono();
		if (left > 0) {
			ts.tv_sec = (time_t)left;
			ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
			while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
				;
		}
	}
	return (0);
}
