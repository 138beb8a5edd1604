/*
 * test-tui-model.c: xm top's model (samples, rates, "-" for what xend does
 * not say), formatting, sorting, filtering, the selection following its
 * domain, the batch schema and the settings file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "xen-common.h"
#include "top.h"

/* A domain object as xend sends it; full = with issue 4's fields. */
static char *
dom_json(int domid, const char *name, double cpu_time, int mem, int full,
    long long net_rx)
{
	char	*extra, *out;

	if (full)
		extra = xsprintf(",\"memory_target\":64,\"vcpus_online\":1,"
		    "\"sched\":{\"credit\":{\"weight\":512,\"cap\":0},"
		    "\"sedf\":{\"period\":100,\"slice\":10},\"cgroup\":"
		    "\"/x\"},\"stats\":{\"net_rx\":%lld,\"net_tx\":0,"
		    "\"blk_rd\":0,\"blk_wr\":1000}", net_rx);
	else
		extra = xstrdup("");
	out = xsprintf("{\"domid\":%d,\"name\":\"%s\",\"state\":"
	    "\"-b----\",\"status\":\"blocked\",\"memory\":%d,\"maxmem\":"
	    "128,\"vcpus\":2,\"cpu\":1,\"cpu_time\":%.2f,\"console_port\":"
	    "%d,\"uptime\":61,\"config\":{\"name\":\"%s\",\"disks\":"
	    "[{\"dev\":\"sda1\"}],\"memory\":\"not this one\"}%s}", domid,
	    name, mem, cpu_time, 9600 + domid, name, extra);
	free(extra);
	return (out);
}

static char *
list_json(int n, char **doms)
{
	char	*out = xstrdup("["), *tmp;
	int	 i;

	for (i = 0; i < n; i++) {
		xasprintf(&tmp, "%s%s%s", out, i ? "," : "", doms[i]);
		free(out);
		out = tmp;
	}
	xasprintf(&tmp, "%s]", out);
	free(out);
	return (tmp);
}

static void
feed(struct top *top, int n, char **doms, double now)
{
	char	*list = list_json(n, doms), *cause = NULL;
	int	 i;

	assert_int_equal(model_update_list(&top->model, list, list +
	    strlen(list), now, -1, &cause), 0);
	free(list);
	for (i = 0; i < n; i++)
		free(doms[i]);
	top_rows(top);
}

static void
test_rates_from_two_samples(void **state)
{
	struct top	 top;
	struct dom	*d;
	char		*doms[1], buf[64];

	top_init(&top);
	doms[0] = dom_json(3, "web", 10.0, 96, 1, 1000);
	feed(&top, 1, doms, 100.0);
	d = model_find(&top.model, 3);
	assert_non_null(d);
	assert_string_equal(d->name, "web");
	assert_true(d->memory == 96);	/* not the config's "memory" */
	assert_true(d->memory_target == 64);
	assert_true(d->weight == 512 && d->slice == 10);
	/* The first sample has no rate: "-", not 0. */
	assert_true(isnan(d->cpu_pct));
	column_format(&top.view, d, COL_CPU_PCT, buf, sizeof buf, 0);
	assert_string_equal(buf, "-");
	doms[0] = dom_json(3, "web", 10.5, 96, 1, 3048);
	feed(&top, 1, doms, 102.0);
	d = model_find(&top.model, 3);
	assert_true(fabs(d->cpu_pct - 25.0) < 1e-9);	/* of one CPU */
	assert_true(fabs(d->rates[STAT_NET_RX] - 1024) < 1e-9);
	column_format(&top.view, d, COL_CPU_PCT, buf, sizeof buf, 0);
	assert_string_equal(buf, "25.0");
	column_format(&top.view, d, COL_NET_RX, buf, sizeof buf, 0);
	assert_string_equal(buf, "1.0K");
	/* Host share: divided by the host's CPUs. */
	top.view.cpu_host = 1;
	top.view.nr_cpus = 2;
	column_format(&top.view, d, COL_CPU_PCT, buf, sizeof buf, 0);
	assert_string_equal(buf, "12.5");
	assert_string_equal(column_title(&top.view, COL_CPU_PCT), "HOST%");
	column_format(&top.view, d, COL_VCPUS, buf, sizeof buf, 0);
	assert_string_equal(buf, "1/2");
	column_format(&top.view, d, COL_NOTE, buf, sizeof buf, 0);
	assert_string_equal(buf, "balloon 96 down to 64 MB");
	assert_int_equal(d->hist_len, 2);
	assert_true(dom_hist(d, d->hist_cpu, 0) == 25.0f);
	assert_true(isnan(dom_hist(d, d->hist_cpu, 1)));
	top_free(&top);
}

static void
test_old_xend_fields_show_dash(void **state)
{
	struct top	 top;
	struct dom	*d;
	char		*doms[1], buf[64];
	enum col_id	 dash[] = { COL_TARGET, COL_NET_RX, COL_NET_TX,
	    COL_BLK_RD, COL_BLK_WR };
	size_t		 i;

	top_init(&top);
	doms[0] = dom_json(1, "old", 1, 96, 0, 0);
	feed(&top, 1, doms, 10);
	doms[0] = dom_json(1, "old", 2, 96, 0, 0);
	feed(&top, 1, doms, 11);
	d = model_find(&top.model, 1);
	for (i = 0; i < nitems(dash); i++) {
		column_format(&top.view, d, dash[i], buf, sizeof buf, 0);
		assert_string_equal(buf, "-");
	}
	column_format(&top.view, d, COL_VCPUS, buf, sizeof buf, 0);
	assert_string_equal(buf, "2");		/* boot count only */
	column_format(&top.view, d, COL_CPU_PCT, buf, sizeof buf, 0);
	assert_string_equal(buf, "100.0");
	assert_true(isnan(d->weight));
	top_free(&top);
}

static void
test_domains_come_and_go(void **state)
{
	struct top	 top;
	char		*doms[3], *ev, *cause = NULL;

	top_init(&top);
	doms[0] = dom_json(5, "b", 0, 96, 1, 0);
	doms[1] = dom_json(2, "a", 0, 96, 1, 0);
	doms[2] = dom_json(9, "c", 0, 96, 1, 0);
	feed(&top, 3, doms, 1);
	assert_int_equal(top.model.ndoms, 3);
	assert_int_equal(top.model.doms[0]->domid, 2);	/* kept by id */
	doms[0] = dom_json(9, "c", 0, 96, 1, 0);
	feed(&top, 1, doms, 2);
	assert_int_equal(top.model.ndoms, 1);
	assert_null(model_find(&top.model, 5));
	/* Events: added, removed. */
	ev = xsprintf("{\"event\":\"domain.added\",\"time\":1,\"domain\":%s}",
	    (doms[0] = dom_json(12, "new", 0, 96, 1, 0)));
	free(doms[0]);
	assert_int_not_equal(top_handle_event(&top, ev, strlen(ev)), RD_NONE);
	free(ev);
	assert_non_null(model_find_name(&top.model, "new"));
	ev = xstrdup("{\"event\":\"domain.removed\",\"domid\":12,\"name\":"
	    "\"new\"}");
	top_handle_event(&top, ev, strlen(ev));
	free(ev);
	assert_null(model_find(&top.model, 12));
	/* Garbage is refused without changing anything. */
	ev = xstrdup("[{\"domid\":");
	assert_int_equal(model_update_list(&top.model, ev, ev + strlen(ev), 3,
	    -1, &cause), -1);
	free(ev);
	free(cause);
	assert_int_equal(top.model.ndoms, 1);
	top_free(&top);
}

static void
test_sort_filter_and_selection(void **state)
{
	struct top	 top;
	char		*doms[4];
	struct dom	*d;

	top_init(&top);
	doms[0] = dom_json(1, "alpha", 5, 300, 1, 0);
	doms[1] = dom_json(2, "beta", 1, 100, 1, 0);
	doms[2] = dom_json(3, "gamma", 9, 200, 1, 0);
	doms[3] = dom_json(4, "Alpine", 2, 100, 1, 0);
	feed(&top, 4, doms, 1);
	assert_int_equal(top.nrows, 4);
	assert_int_equal(top.rows[0]->domid, 1);	/* by id */
	top_select_domid(&top, 3);
	assert_int_equal(top.list.selected, 2);
	/* By memory, descending: the selection moves with gamma. */
	top.view.sort_col = COL_MEM;
	top.view.sort_reverse = 1;
	top_rows(&top);
	assert_int_equal(top.rows[0]->domid, 1);
	assert_int_equal(top.rows[1]->domid, 3);
	assert_int_equal(top_selected(&top)->domid, 3);
	/* Ties keep id order whichever the direction. */
	assert_int_equal(top.rows[2]->domid, 2);
	assert_int_equal(top.rows[3]->domid, 4);
	/* By name, case-insensitive. */
	top.view.sort_col = COL_NAME;
	top.view.sort_reverse = 0;
	top_rows(&top);
	assert_string_equal(top.rows[0]->name, "alpha");
	assert_string_equal(top.rows[1]->name, "Alpine");
	assert_int_equal(top_selected(&top)->domid, 3);
	/* Unknown values sort last, ascending or descending. */
	top.view.sort_col = COL_CPU_PCT;
	top_rows(&top);
	assert_int_equal(top.rows[0]->domid, 1);
	/* Filter: case-insensitive substring; the selection stays if shown. */
	snprintf(top.view.filter, sizeof top.view.filter, "ALP");
	top_rows(&top);
	assert_int_equal(top.nrows, 2);
	d = top_selected(&top);
	assert_non_null(d);
	assert_true(strcasestr(d->name, "alp") != NULL);
	top.view.filter[0] = '\0';
	top_rows(&top);
	assert_int_equal(top.nrows, 4);
	top_select_domid(&top, 2);
	assert_int_equal(top_selected(&top)->domid, 2);
	/* The selected domain goes: the selection takes the row it had. */
	doms[0] = dom_json(1, "alpha", 5, 300, 1, 0);
	doms[1] = dom_json(3, "gamma", 9, 200, 1, 0);
	doms[2] = dom_json(4, "Alpine", 2, 100, 1, 0);
	feed(&top, 3, doms, 2);
	assert_int_equal(top.nrows, 3);
	assert_non_null(top_selected(&top));
	assert_int_equal(top.sel_domid, top_selected(&top)->domid);
	top_free(&top);
}

static void
test_vcpus_online_as_cpu_list(void **state)
{
	struct model	 m;
	const char	*l = "[{\"domid\":4,\"vcpus\":4,\"vcpus_online\":"
	    "\"0-1,3\"},{\"domid\":5,\"vcpus\":2,\"vcpus_online\":null},"
	    "{\"domid\":6,\"vcpus\":2,\"vcpus_online\":2}]";
	char		*cause;

	model_init(&m);
	assert_int_equal(model_update_list(&m, l, l + strlen(l), 1, -1,
	    &cause), 0);
	assert_true(model_find(&m, 4)->vcpus_online == 3);
	assert_true(isnan(model_find(&m, 5)->vcpus_online));
	assert_true(model_find(&m, 6)->vcpus_online == 2);
	model_free(&m);
}

static void
test_formatting(void **state)
{
	char	 buf[32];

	assert_string_equal(fmt_bytes_rate(NAN, buf, sizeof buf), "-");
	assert_string_equal(fmt_bytes_rate(999, buf, sizeof buf), "999");
	assert_string_equal(fmt_bytes_rate(1536, buf, sizeof buf), "1.5K");
	assert_string_equal(fmt_bytes_rate(50 * 1048576.0, buf, sizeof buf),
	    "50M");
	assert_string_equal(fmt_uptime(59, buf, sizeof buf), "0:00:59");
	assert_string_equal(fmt_uptime(3 * 86400 + 3600 * 4 + 60 * 5, buf,
	    sizeof buf), "3d 04:05");
	assert_string_equal(fmt_uptime(NAN, buf, sizeof buf), "-");
	assert_string_equal(fmt_num(NAN, "%.0f", buf, sizeof buf), "-");
	assert_int_equal(column_find("cpu_pct"), COL_CPU_PCT);
	assert_int_equal(column_find("MEM"), COL_MEM);
	assert_int_equal(column_find("nope"), -1);
}

static void
test_busy_and_error_notes(void **state)
{
	struct dom	 d;
	char		 buf[128];

	memset(&d, 0, sizeof d);
	d.memory = d.memory_target = NAN;
	dom_set_busy(&d, "pausing", 10);
	dom_note(&d, buf, sizeof buf, 10.5);
	assert_string_equal(buf, "pausing");
	dom_note(&d, buf, sizeof buf, 15);
	assert_string_equal(buf, "pausing (5s)");
	dom_set_error(&d, "unknown op 'domain.mem_set'", 16);
	dom_note(&d, buf, sizeof buf, 16);
	assert_string_equal(buf, "error: unknown op 'domain.mem_set'");
	dom_clear(&d);
	dom_note(&d, buf, sizeof buf, 16);
	assert_string_equal(buf, "");
}

static void
test_host(void **state)
{
	struct model	 m;
	json_t		*info;

	model_init(&m);
	info = json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:[{s:i,s:f},"
	    "{s:i,s:f}], s:[f,f,f], s:{s:i, s:i}}", "host", "h", "accel", "tcg",
	    "nr_cpus", 2, "total_memory", 1000, "free_memory", 500,
	    "claimed_memory", 300, "cpus", "cpu", 0, "busy", 10.0, "cpu", 1,
	    "busy", 20.0, "load", 0.5, 0.25, 0.125, "domains_by_state",
	    "running", 2, "paused", 0);
	model_update_host(&m, info, 100);
	json_decref(info);
	assert_int_equal(m.host.ncpus, 2);
	assert_true(isnan(m.host.cpu_pct[0]));
	assert_string_equal(m.host.by_state, "2 running");
	/* An entry that is no CPU of the host (xend's total) is left out. */
	info = json_pack("{s:i, s:[{s:i,s:f},{s:i,s:f},{s:i,s:f}]}", "nr_cpus",
	    2, "cpus", "cpu", 399860, "busy", 31.5, "cpu", 0, "busy", 10.5,
	    "cpu", 1, "busy", 21.0);
	model_update_host(&m, info, 101);
	json_decref(info);
	assert_int_equal(m.host.ncpus, 2);
	assert_int_equal(m.host.cpu_id[1], 1);
	assert_true(fabs(m.host.cpu_pct[0] - 50) < 1e-9);
	assert_true(fabs(m.host.cpu_pct[1] - 100) < 1e-9);
	/* Fields a reply lacks are unknown again, not kept. */
	assert_true(isnan(m.host.total));
	assert_true(isnan(m.host.free));
	assert_true(isnan(m.host.load[0]));
	model_free(&m);
}

static char *
capture(struct top *top, enum batch_format fmt, int iteration)
{
	FILE	*f = tmpfile();
	char	*out;

	batch_print(top, fmt, iteration, 1700000000.5, f);
	rewind(f);
	out = xcalloc(1, 65536);
	if (fread(out, 1, 65535, f) == 0)
		out[0] = '\0';
	fclose(f);
	return (out);
}

static void
test_batch_schema(void **state)
{
	struct top	 top;
	char		*doms[2], *out, *line, *save = NULL;
	json_t		*o, *d, *h;
	json_error_t	 jerr;
	static const char *keys[] = { "name", "domid", "state", "status",
	    "cpu_pct", "cpu_host_pct", "cpu_time", "mem_actual", "mem_target",
	    "mem_max", "vcpus", "vcpus_online", "console_port", "net_rx_rate",
	    "net_tx_rate", "blk_rd_rate", "blk_wr_rate", "uptime", "activity" };
	size_t		 i;

	top_init(&top);
	doms[0] = dom_json(1, "new", 1, 96, 1, 0);
	doms[1] = dom_json(2, "old,comma", 1, 96, 0, 0);
	feed(&top, 2, doms, 1);
	/* JSON lines: one object, the documented keys, null for unknown. */
	out = capture(&top, BATCH_JSON, 1);
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	o = json_loads(out, 0, &jerr);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "schema")),
	    "xm-top-batch/1");
	assert_int_equal(json_integer_value(json_object_get(o, "iteration")),
	    1);
	h = json_object_get(o, "host");
	assert_true(json_is_null(json_object_get(h, "host")));
	assert_true(json_is_null(json_object_get(h, "cpu_pct")));
	assert_int_equal(json_array_size(json_object_get(o, "domains")), 2);
	d = json_array_get(json_object_get(o, "domains"), 0);
	assert_int_equal(json_object_size(d), nitems(keys));
	for (i = 0; i < nitems(keys); i++)
		assert_non_null(json_object_get(d, keys[i]));
	assert_true(json_is_null(json_object_get(d, "cpu_pct")));
	assert_int_equal(json_integer_value(json_object_get(d, "mem_target")),
	    64);
	d = json_array_get(json_object_get(o, "domains"), 1);
	assert_true(json_is_null(json_object_get(d, "mem_target")));
	assert_true(json_is_null(json_object_get(d, "activity")));
	json_decref(o);
	free(out);
	/* CSV: the header once, empty cells for unknown, quoting. */
	out = capture(&top, BATCH_CSV, 1);
	line = strtok_r(out, "\n", &save);
	assert_string_equal(line, "time,iteration,name,domid,state,status,"
	    "cpu_pct,cpu_host_pct,cpu_time,mem_actual,mem_target,mem_max,"
	    "vcpus,vcpus_online,console_port,net_rx_rate,net_tx_rate,"
	    "blk_rd_rate,blk_wr_rate,uptime,activity");
	line = strtok_r(NULL, "\n", &save);
	assert_string_equal(line, "1700000000.500,1,new,1,-b----,blocked,,,1,"
	    "96,64,128,2,1,9601,,,,,61,balloon 96 down to 64 MB");
	line = strtok_r(NULL, "\n", &save);
	assert_string_equal(line, "1700000000.500,1,\"old,comma\",2,-b----,"
	    "blocked,,,1,96,,128,2,,9602,,,,,61,");
	free(out);
	out = capture(&top, BATCH_CSV, 2);
	assert_null(strstr(out, "time,iteration"));
	free(out);
	out = capture(&top, BATCH_TEXT, 1);
	assert_non_null(strstr(out, "NAME"));
	assert_non_null(strstr(out, "old,comma"));
	free(out);
	top_free(&top);
}

static void
test_settings_round_trip(void **state)
{
	struct top	 a, b;
	char		 dir[] = "/tmp/test-tui-XXXXXX", *path, *cause = NULL;
	FILE		*f;

	assert_non_null(mkdtemp(dir));
	path = xsprintf("%s/sub/settings", dir);
	top_init(&a);
	a.delay = 2.5;
	a.view.sort_col = COL_MEM;
	a.view.sort_reverse = 1;
	a.view.cpu_host = 1;
	assert_int_equal(settings_parse_columns(&a.view, "cpu_pct,mem_actual",
	    &cause), 0);
	assert_int_equal(a.view.ncols, 3);	/* the name always shows */
	assert_int_equal(settings_save(&a, path, &cause), 0);
	top_init(&b);
	assert_int_equal(settings_load(&b, path, &cause), 0);
	assert_true(b.delay == 2.5);
	assert_int_equal(b.view.sort_col, COL_MEM);
	assert_int_equal(b.view.sort_reverse, 1);
	assert_int_equal(b.view.cpu_host, 1);
	assert_int_equal(b.view.ncols, 3);
	assert_int_equal(b.view.cols[0], COL_NAME);
	/* A bad line is reported; the good ones still apply. */
	f = fopen(path, "w");
	fprintf(f, "delay 3\nfrobnicate 1\nsort nope\n");
	fclose(f);
	assert_int_equal(settings_load(&b, path, &cause), -1);
	assert_non_null(strstr(cause, ":2: unknown setting 'frobnicate'"));
	free(cause);
	assert_true(b.delay == 3);
	/* No file yet: the defaults, no error. */
	unlink(path);
	assert_int_equal(settings_load(&b, path, &cause), 0);
	assert_int_equal(settings_parse_columns(&b.view, "name,bogus", &cause),
	    -1);
	assert_string_equal(cause, "unknown column 'bogus'");
	free(cause);
	free(path);
	path = xsprintf("rm -rf %s", dir);
	assert_int_equal(system(path), 0);
	free(path);
	top_free(&a);
	top_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates_from_two_samples),
		cmocka_unit_test(test_old_xend_fields_show_dash),
		cmocka_unit_test(test_domains_come_and_go),
		cmocka_unit_test(test_sort_filter_and_selection),
		cmocka_unit_test(test_vcpus_online_as_cpu_list),
		cmocka_unit_test(test_formatting),
		cmocka_unit_test(test_busy_and_error_notes),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_batch_schema),
		cmocka_unit_test(test_settings_round_trip),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
