/*
 * top.c: the refresh cycle and the rows on screen.  A refresh is one round
 * trip: domain.list and host.info are written back to back and their
 * replies read as they come; nothing is asked per domain (the detail view
 * adds one domain.vcpu_list and one domain.get for the one domain it
 * shows).  The list leaves configs out: they were most of its reply and
 * only the detail view shows one.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "top.h"

static const int default_cols[] = { COL_NAME, COL_ID, COL_STATE,
	COL_CPU_PCT, COL_CPU_TIME, COL_MEM, COL_TARGET, COL_MAXMEM, COL_VCPUS,
	COL_CONSOLE, COL_NET_RX, COL_NET_TX, COL_BLK_RD, COL_BLK_WR,
	COL_UPTIME, COL_NOTE };

void
top_init(struct top *top)
{
	size_t	 i;

	memset(top, 0, sizeof *top);
	model_init(&top->model);
	for (i = 0; i < nitems(default_cols); i++)
		top->view.cols[i] = default_cols[i];
	top->view.ncols = nitems(default_cols);
	top->view.sort_col = COL_ID;
	top->view.nr_cpus = NAN;
	top->delay = 1.0;
	top->mode = MODE_LIST;
	top->sel_domid = -1;
	top->console_domid = -1;
	top->list.height = 10;
}

void
top_free(struct top *top)
{
	if (top->dialog != NULL) {
		top->dialog->ops->free(top->dialog);
		top->dialog = NULL;
	}
	conn_free(top->conn);
	top->conn = NULL;
	model_free(&top->model);
	free(top->rows);
	json_decref(top->vcpu_list);
	free(top->vcpu_error);
	json_decref(top->config);
	free(top->config_error);
	json_decref(top->console);
	free(top->console_error);
	conn_free(top->consoled);
	free(top->conn_error);
	free(top->settings_path);
	xendcfg_free(&top->cfg);
}

void
top_status(struct top *top, int error, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(top->status, sizeof top->status, fmt, ap);
	va_end(ap);
	top->status_error = error;
	top->status_time = time_mono();
}

struct dom *
top_selected(struct top *top)
{
	if (top->nrows == 0 || top->list.selected >= top->nrows)
		return (NULL);
	return (top->rows[top->list.selected]);
}

void
top_select_domid(struct top *top, int domid)
{
	size_t	 i;

	for (i = 0; i < top->nrows; i++) {
		if (top->rows[i]->domid == domid) {
			panel_select(&top->list, i);
			top->sel_domid = domid;
			return;
		}
	}
}

void
top_rows(struct top *top)
{
	struct model	*m = &top->model;
	struct dom	*sel;
	size_t		 i, n = 0, old = top->list.selected;

	if (top->rows_cap < m->ndoms + 1) {
		top->rows_cap = m->ndoms + 64;
		top->rows = xreallocarray(top->rows, top->rows_cap,
		    sizeof *top->rows);
	}
	for (i = 0; i < m->ndoms; i++)
		if (top_filter_match(&top->view, m->doms[i]))
			top->rows[n++] = m->doms[i];
	top->nrows = n;
	qsort_r(top->rows, n, sizeof *top->rows, top_compare, &top->view);
	top->list.count = n;
	/* The selection stays on its domain wherever it moved. */
	for (i = 0; i < n; i++) {
		if (top->rows[i]->domid == top->sel_domid) {
			panel_select(&top->list, i);
			return;
		}
	}
	/* Its domain is gone or filtered out: the row where it was. */
	if (n > 0)
		panel_select(&top->list, old < n ? old : n - 1);
	else
		panel_select(&top->list, 0);
	sel = top_selected(top);
	top->sel_domid = sel != NULL ? sel->domid : -1;
	if (top->mode == MODE_DETAIL && top->dialog == NULL) {
		top_set_mode(top, MODE_LIST);
		top_status(top, 0, "the domain shown has gone");
	}
}

void
top_set_mode(struct top *top, int mode)
{
	top->mode = mode;
	json_decref(top->vcpu_list);
	top->vcpu_list = NULL;
	free(top->vcpu_error);
	top->vcpu_error = NULL;
	json_decref(top->config);
	top->config = NULL;
	free(top->config_error);
	top->config_error = NULL;
	json_decref(top->console);
	top->console = NULL;
	free(top->console_error);
	top->console_error = NULL;
}

static int
refresh_list_cb(struct top *top, void *arg, struct reply *r)
{
	char	*cause;
	int	 detail = top->mode == MODE_DETAIL ? top->sel_domid : -1;

	free(arg);
	top->refresh_inflight--;
	if (r->code != NULL) {
		top_status(top, 1, "domain.list: %s", r->error);
		return (RD_BAR);
	}
	if (model_update_list(&top->model, r->raw, r->raw_end, time_mono(),
	    detail, &cause) != 0) {
		top_status(top, 1, "%s", cause);
		free(cause);
	}
	top->refreshes++;
	top_rows(top);
	return (RD_ALL);
}

static int
refresh_host_cb(struct top *top, void *arg, struct reply *r)
{
	free(arg);
	top->refresh_inflight--;
	if (r->code != NULL) {
		model_host_error(&top->model, r->error);
		return (RD_HEADER);
	}
	if (!json_is_object(r->result)) {
		model_host_error(&top->model, "bad host.info reply");
		return (RD_HEADER);
	}
	model_update_host(&top->model, r->result, time_mono());
	top->view.nr_cpus = top->model.host.nr_cpus;
	return (RD_HEADER);
}

/* One of the detail view's requests: where its answer goes. */
struct detail_req {
	int		  domid;
	const char	 *op;
	const char	 *member;	/* of the result, or NULL: all of it */
	json_t		**value;
	char		**error;
};

static int
refresh_detail_cb(struct top *top, void *arg, struct reply *r)
{
	struct detail_req	*q = arg;
	int			 domid = q->domid;
	json_t			*v;

	top->refresh_inflight--;
	if (top->mode != MODE_DETAIL || domid != top->sel_domid) {
		free(q);
		return (RD_NONE);
	}
	json_decref(*q->value);
	*q->value = NULL;
	free(*q->error);
	*q->error = NULL;
	if (r->code != NULL)
		*q->error = xsprintf("%s: %s", q->op, r->error);
	else {
		v = q->member != NULL ? json_object_get(r->result, q->member) :
		    r->result;
		*q->value = json_incref(v);
	}
	free(q);
	return (RD_ROWS);
}

static int
refresh_detail(struct top *top, const char *op, const char *member,
    json_t **value, char **error)
{
	struct detail_req	*q = xmalloc(sizeof *q);

	q->domid = top->sel_domid;
	q->op = op;
	q->member = member;
	q->value = value;
	q->error = error;
	top->refresh_inflight++;
	return (conn_request(top, op, json_pack("{s:i}", "dom", q->domid), 0,
	    refresh_detail_cb, q));
}

/* xenconsoled's consoles.list: keeps the entry of the domain shown. */
static int
refresh_console_cb(struct top *top, void *arg, struct reply *r)
{
	int	 domid = *(int *)arg;
	json_t	*con;
	size_t	 i;

	free(arg);
	top->console_inflight = 0;
	if (top->mode != MODE_DETAIL || domid != top->sel_domid)
		return (RD_NONE);
	json_decref(top->console);
	top->console = NULL;
	free(top->console_error);
	top->console_error = NULL;
	if (r->code != NULL) {
		top->console_error = xsprintf("xenconsoled: %s", r->error);
		return (RD_ROWS);
	}
	json_array_foreach(r->result, i, con) {
		if (json_integer_value(json_object_get(con, "domid")) ==
		    domid) {
			top->console = json_incref(con);
			break;
		}
	}
	if (top->console == NULL)
		top->console_error = xstrdup("xenconsoled does not serve "
		    "this domain's console");
	return (RD_ROWS);
}

/*
 * The detail view's console clients come from xenconsoled, on a
 * connection of their own: asked once per refresh, and only while a
 * domain's detail is shown, so the list still costs one xend request.
 * Not part of refresh_inflight: a stuck xenconsoled holds up nothing
 * but its own line.
 */
static int
refresh_console(struct top *top)
{
	char	*cause;
	int	*domid;

	if (top->consoled == NULL || top->console_inflight)
		return (RD_NONE);
	if (!conn_connected(top->consoled) &&
	    conn_open(top->consoled, &cause) != 0) {
		free(cause);
		json_decref(top->console);
		top->console = NULL;
		free(top->console_error);
		top->console_error = xstrdup("xenconsoled is not running");
		return (RD_ROWS);
	}
	top->console_inflight = 1;
	domid = xmalloc(sizeof *domid);
	*domid = top->sel_domid;
	return (conn_request_on(top, top->consoled, "consoles.list", NULL, 0,
	    refresh_console_cb, domid));
}

int
top_refresh(struct top *top)
{
	char	*cause;
	int	 rd = RD_NONE;

	if (!conn_connected(top->conn)) {
		if (conn_open(top->conn, &cause) != 0) {
			free(top->conn_error);
			top->conn_error = cause;
			return (RD_HEADER | RD_BAR);
		}
		free(top->conn_error);
		top->conn_error = NULL;
		top->refresh_inflight = 0;
		rd |= RD_HEADER;
	}
	/* A slow xend: do not pile refreshes up behind one another. */
	if (top->refresh_inflight > 0)
		return (rd);
	top->refresh_inflight = 2;
	top->refresh_sent = time_mono();
	rd |= conn_request(top, "domain.list", json_pack("{s:b}", "config",
	    0), 1, refresh_list_cb, NULL);
	rd |= conn_request(top, "host.info", NULL, 0, refresh_host_cb, NULL);
	if (top->mode == MODE_DETAIL && top->sel_domid > 0) {
		rd |= refresh_detail(top, "domain.vcpu_list", NULL,
		    &top->vcpu_list, &top->vcpu_error);
		rd |= refresh_detail(top, "domain.get", "config",
		    &top->config, &top->config_error);
		rd |= refresh_console(top);
	}
	return (rd);
}

/* The members of an event line. */
struct event_spans {
	char		 type[32];
	const char	*dom, *dom_end;
	const char	*job, *job_end;
	double		 domid;
};

static int
event_member(const char *key, size_t klen, const char *v, const char *vend,
    void *arg)
{
	struct event_spans	*e = arg;

	if (jscan_key_is(key, klen, "event"))
		jscan_string(v, vend, e->type, sizeof e->type);
	else if (jscan_key_is(key, klen, "domain")) {
		e->dom = v;
		e->dom_end = vend;
	} else if (jscan_key_is(key, klen, "job")) {
		e->job = v;
		e->job_end = vend;
	} else if (jscan_key_is(key, klen, "domid"))
		e->domid = jscan_number(v, vend);
	return (0);
}

int
top_handle_event(struct top *top, const char *line, size_t len)
{
	struct event_spans	 e;
	struct dom		*d;
	json_t			*job;
	int			 rd;
	int			 detail = top->mode == MODE_DETAIL ?
				    top->sel_domid : -1;

	memset(&e, 0, sizeof e);
	e.domid = NAN;
	if (jscan_object(line, line + len, event_member, &e) != 0)
		return (RD_NONE);
	if (strcmp(e.type, "domain.removed") == 0) {
		if (isnan(e.domid))
			return (RD_NONE);
		model_remove(&top->model, (int)e.domid);
	} else if ((strcmp(e.type, "domain.added") == 0 ||
	    strcmp(e.type, "domain.state") == 0) && e.dom != NULL) {
		if ((d = model_update_one(&top->model, e.dom, e.dom_end,
		    time_mono(), detail)) == NULL)
			return (RD_NONE);
	} else if (strcmp(e.type, "job.progress") == 0 && e.job != NULL) {
		/* A few a second at most: a tree is cheap enough. */
		if ((job = json_loadb(e.job, e.job_end - e.job, 0,
		    NULL)) == NULL)
			return (RD_NONE);
		rd = action_job_event(top, job);
		json_decref(job);
		return (rd);
	} else
		return (RD_NONE);
	top_rows(top);
	return (RD_ROWS | RD_HEADER);
}
