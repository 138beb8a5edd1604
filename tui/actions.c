/*
 * actions.c: what the dashboard does to domains.  Every action is a request
 * sent without waiting: the row says what is in flight ("pausing",
 * "shutting down (4s)") until the reply or the domain's next state says it
 * is done, and an error stays on the row and in the status bar.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "domcfg.h"
#include "top.h"

/* What a reply callback needs: the domain may be gone by then. */
struct act {
	int	 domid;
	char	 name[TOP_NAME_MAX + 1];
	char	 what[64];	/* "pause", for messages */
	int	 keep_busy;	/* success: the refresh clears busy */
};

static struct act *
act_new(struct dom *d, const char *what, int keep_busy)
{
	struct act	*a = xcalloc(1, sizeof *a);

	a->domid = d != NULL ? d->domid : -1;
	snprintf(a->name, sizeof a->name, "%s", d != NULL ? d->name : "");
	snprintf(a->what, sizeof a->what, "%s", what);
	a->keep_busy = keep_busy;
	return (a);
}

/* An action's error: on the row of its domain (if still there), the bar. */
static void
act_error(struct top *top, struct dom *d, const char *what, const char *name,
    const char *error)
{
	if (d != NULL)
		dom_set_error(d, error, time_mono());
	top_status(top, 1, "%s %s: %s", what, name, error);
}

static int
act_done(struct top *top, void *arg, struct reply *r)
{
	struct act	*a = arg;
	struct dom	*d = model_find(&top->model, a->domid);
	double		 now = time_mono();

	if (r->code != NULL)
		act_error(top, d, a->what, a->name, r->error);
	else {
		if (d != NULL && !a->keep_busy)
			dom_set_busy(d, NULL, now);
		top_status(top, 0, "%s %s: done", a->what, a->name);
		top->want_refresh = 1;
	}
	free(a);
	return (RD_ROWS | RD_BAR);
}

int
action_refuse_dom0(struct top *top, struct dom *d)
{
	if (d == NULL) {
		top_status(top, 1, "no domain selected");
		return (1);
	}
	if (d->domid == 0) {
		top_status(top, 1, "Domain-0 is this host: not from here");
		return (1);
	}
	return (0);
}

static int
send_dom(struct top *top, struct dom *d, const char *op, json_t *args,
    const char *what, const char *busy, int keep_busy)
{
	if (args == NULL)
		args = json_object();
	json_object_set_new(args, "dom", json_integer(d->domid));
	dom_set_busy(d, busy, time_mono());
	return (RD_ROWS | conn_request(top, op, args, 0, act_done,
	    act_new(d, what, keep_busy)));
}

int
action_pause_toggle(struct top *top, struct dom *d)
{
	if (action_refuse_dom0(top, d))
		return (RD_BAR);
	if (d->state[2] == 'p')
		return (send_dom(top, d, "domain.unpause", NULL, "unpause",
		    "unpausing", 0));
	return (send_dom(top, d, "domain.pause", NULL, "pause", "pausing", 0));
}

int
action_shutdown(struct top *top, struct dom *d, const char *mode)
{
	int	 reboot = strcmp(mode, "reboot") == 0;
	int	 rd;

	if (action_refuse_dom0(top, d))
		return (RD_BAR);
	/* The reply only says the guest was asked; the list says it ended. */
	rd = send_dom(top, d, "domain.shutdown", json_pack("{s:s}", "mode",
	    mode), reboot ? "reboot" : "shutdown", reboot ? "rebooting" :
	    "shutting down", 1);
	if (d->busy != NULL) {
		d->shutting_down = 1;
		d->busy_restarts = d->restart_count;
	}
	return (rd);
}

int
action_destroy(struct top *top, struct dom *d)
{
	if (action_refuse_dom0(top, d))
		return (RD_BAR);
	return (send_dom(top, d, "domain.destroy", NULL, "destroy",
	    "destroying", 1));
}

int
action_mem_set(struct top *top, struct dom *d, long mb)
{
	char	 busy[64];

	if (action_refuse_dom0(top, d))
		return (RD_BAR);
	snprintf(busy, sizeof busy, "balloon to %ld MB", mb);
	return (send_dom(top, d, "domain.mem_set", json_pack("{s:I}",
	    "memory", (json_int_t)mb), "mem-set", busy, 0));
}

int
action_sched(struct top *top, struct dom *d, const long *v,
    const int *changed)
{
	int	 rd = RD_NONE;

	if (action_refuse_dom0(top, d))
		return (RD_BAR);
	if (changed[0] || changed[1])
		rd |= send_dom(top, d, "domain.sched_credit",
		    json_pack("{s:I, s:I}", "weight", (json_int_t)v[0], "cap",
		    (json_int_t)v[1]), "sched-credit", "setting weight/cap", 0);
	if (changed[2] || changed[3])
		rd |= send_dom(top, d, "domain.sched_sedf",
		    json_pack("{s:I, s:I}", "period", (json_int_t)v[2],
		    "slice", (json_int_t)v[3]), "sched-sedf",
		    "setting period/slice", 0);
	if (rd == RD_NONE)
		top_status(top, 0, "scheduler of %s unchanged", d->name);
	return (rd | RD_BAR);
}

int
action_pin(struct top *top, struct dom *d, int vcpu, const char *cpus)
{
	char	 busy[64];

	if (action_refuse_dom0(top, d))
		return (RD_BAR);
	snprintf(busy, sizeof busy, "pinning vCPU %d", vcpu);
	return (send_dom(top, d, "domain.vcpu_pin", json_pack("{s:i, s:s}",
	    "vcpu", vcpu, "cpus", cpus), "vcpu-pin", busy, 0));
}

/* A reply with a new domain's "domid": refresh, select it; its id. */
static long long
act_new_domain(struct top *top, struct reply *r)
{
	json_t	*id = json_object_get(r->result, "domid");

	top->want_refresh = 1;
	if (json_is_integer(id))
		top->sel_domid = json_integer_value(id);
	return (json_integer_value(id));
}

static int
create_done(struct top *top, void *arg, struct reply *r)
{
	char		*name = arg;
	long long	 id;

	if (r->code != NULL)
		top_status(top, 1, "create %s: %s", name, r->error);
	else {
		id = act_new_domain(top, r);
		top_status(top, 0, "started domain %s (id %lld)", name, id);
	}
	free(name);
	return (RD_BAR | RD_ROWS);
}

/* CONFIG as given, else in the config directory, as xm create does. */
static char *
find_config(const struct top *top, const char *name)
{
	char	*path;

	if (access(name, F_OK) == 0 || strchr(name, '/') != NULL)
		return (xstrdup(name));
	xasprintf(&path, "%s/%s", top->cfg.dir, name);
	if (access(path, F_OK) == 0)
		return (path);
	free(path);
	return (xstrdup(name));
}

/*
 * "CONFIG [VAR=VALUE ...]": parsed here like xm create parses it (the
 * parse is quick and local); the domain.create request runs in the
 * background and the status bar says how it went.
 */
int
action_create(struct top *top, const char *cmdline)
{
	char			*copy, *tok, *save = NULL, *path = NULL;
	char			*text = NULL, *cause = NULL, *eq, cwd[PATH_MAX];
	struct domcfg_override	 ov[32];
	size_t			 nov = 0, len;
	json_t			*vars = NULL, *meta = NULL, *config = NULL;
	json_t			*warnings = NULL;
	struct domcfg		*dc = NULL;
	const char		*name;
	int			 rd = RD_BAR;

	copy = xstrdup(cmdline);
	for (tok = strtok_r(copy, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if ((eq = strchr(tok, '=')) != NULL && eq != tok) {
			if (nov == nitems(ov)) {
				top_status(top, 1, "create: too many VAR=VALUE");
				goto out;
			}
			*eq = '\0';
			ov[nov].name = tok;
			ov[nov].value = eq + 1;
			nov++;
		} else if (path == NULL)
			path = find_config(top, tok);
		else {
			top_status(top, 1, "create: unexpected '%s'", tok);
			goto out;
		}
	}
	if (path == NULL) {
		top_status(top, 1, "create: no config file given");
		goto out;
	}
	if (getcwd(cwd, sizeof cwd) == NULL)
		snprintf(cwd, sizeof cwd, "/");
	if (file_read(path, &text, &len, &cause) != 0 ||
	    pycfg_eval(text, len, path, ov, nov, &vars, &meta, &cause) != 0 ||
	    domcfg_build(vars, meta, path, cwd, &config, &warnings,
	    &cause) != 0 || (dc = domcfg_from_json(config, &cause)) == NULL) {
		top_status(top, 1, "create: %s", cause);
		goto out;
	}
	name = dc->name;
	if (json_array_size(warnings) > 0)
		top_status(top, 0, "creating %s (warning: %s)", name,
		    json_string_value(json_array_get(warnings, 0)));
	else
		top_status(top, 0, "creating %s from %s", name, path);
	rd |= conn_request(top, "domain.create", json_pack("{s:O, s:b}",
	    "config", config, "paused", 0), 0, create_done, xstrdup(name));
out:
	free(cause);
	free(text);
	free(path);
	free(copy);
	json_decref(vars);
	json_decref(meta);
	json_decref(config);
	json_decref(warnings);
	domcfg_free(dc);
	return (rd);
}

/*
 * Save and restore run as xend jobs: the reply comes when the job ends and
 * job.progress events (action_job_event) show it going meanwhile.
 */
struct jobact {
	int	 domid;
	char	 name[TOP_NAME_MAX + 1];
	int	 checkpoint;
};

static int
save_done(struct top *top, void *arg, struct reply *r)
{
	struct jobact	*a = arg;
	struct dom	*d = model_find(&top->model, a->domid);

	if (r->code != NULL)
		act_error(top, d, "save", a->name, r->error);
	else {
		if (d != NULL)
			dom_set_busy(d, NULL, time_mono());
		top_status(top, 0, "saved %s to %s: %.1f MiB in %.2f s%s",
		    a->name, json_string_value(json_object_get(r->result,
		    "file")), json_number_value(json_object_get(r->result,
		    "bytes")) / (1024 * 1024), json_number_value(
		    json_object_get(r->result, "seconds")), a->checkpoint ?
		    " (still running)" : "");
		top->want_refresh = 1;
	}
	free(a);
	return (RD_ROWS | RD_BAR);
}

int
action_save(struct top *top, struct dom *d, const char *file,
    int checkpoint)
{
	struct jobact	*a;
	char		*path;
	int		 rd;

	if (action_refuse_dom0(top, d))
		return (RD_BAR);
	if (*file == '\0') {
		top_status(top, 1, "save %s: no file given", d->name);
		return (RD_BAR);
	}
	path = path_absolute(file);
	a = xcalloc(1, sizeof *a);
	a->domid = d->domid;
	snprintf(a->name, sizeof a->name, "%s", d->name);
	a->checkpoint = checkpoint;
	dom_set_busy(d, "saving", time_mono());
	top_status(top, 0, "saving %s to %s", d->name, path);
	rd = conn_request(top, "domain.save", json_pack("{s:i, s:s, s:b}",
	    "dom", d->domid, "file", path, "checkpoint", checkpoint), 0,
	    save_done, a);
	free(path);
	return (RD_ROWS | RD_BAR | rd);
}

static int
restore_done(struct top *top, void *arg, struct reply *r)
{
	char		*file = arg;
	long long	 id;

	if (r->code != NULL)
		top_status(top, 1, "restore %s: %s", file, r->error);
	else {
		id = act_new_domain(top, r);
		top_status(top, 0, "restored %s as domain %lld",
		    json_string_value(json_object_get(r->result, "name")), id);
	}
	free(file);
	return (RD_BAR | RD_ROWS);
}

int
action_restore(struct top *top, const char *file, int paused)
{
	char	*path;

	if (*file == '\0') {
		top_status(top, 1, "restore: no file given");
		return (RD_BAR);
	}
	path = path_absolute(file);
	top_status(top, 0, "restoring %s", path);
	return (RD_BAR | conn_request(top, "domain.restore", json_pack(
	    "{s:s, s:b}", "file", path, "paused", paused), 0, restore_done,
	    path));
}

/*
 * A job.progress event (docs/API.md): the status line shows a bar while the
 * job runs, and the row of its domain says how far it is.  Every job on
 * this xend is shown, whoever started it; the reply to our own request has
 * the last word.
 */
int
action_job_event(struct top *top, json_t *job)
{
	const char	*op = json_string_value(json_object_get(job, "op"));
	const char	*status = json_string_value(json_object_get(job,
			    "status"));
	const char	*dom = json_string_value(json_object_get(job, "dom"));
	const char	*file = json_string_value(json_object_get(job, "file"));
	const char	*error = json_string_value(json_object_get(job,
			    "error"));
	json_t		*id = json_object_get(job, "domid");
	double		 bytes, total, rate, pct = -1;
	struct dom	*d = NULL;
	char		 bar[24], busy[64];
	int		 i, n;
	const double	 mib = 1024 * 1024;

	if (op == NULL || status == NULL)
		return (RD_NONE);
	if (dom == NULL)
		dom = "";
	if (file == NULL)
		file = "";
	bytes = json_number_value(json_object_get(job, "bytes"));
	total = json_number_value(json_object_get(job, "total"));
	rate = json_number_value(json_object_get(job, "rate"));
	if (json_is_integer(id))
		d = model_find(&top->model, json_integer_value(id));
	if (strcmp(status, "failed") == 0) {
		if (d != NULL)
			dom_set_error(d, error != NULL ? error : "failed",
			    time_mono());
		top_status(top, 1, "%s %s failed: %s", op, dom, error != NULL ?
		    error : "(no reason given)");
		return (RD_ROWS | RD_BAR);
	}
	if (strcmp(status, "completed") == 0) {
		if (d != NULL)
			dom_set_busy(d, NULL, time_mono());
		top_status(top, 0, "%s %s: done, %.1f MiB in %.2f s", op, dom,
		    bytes / mib, json_number_value(json_object_get(job,
		    "elapsed")));
		return (RD_BAR);
	}
	/* The stream's size is only an estimate: never past 99% running. */
	if (total > 0)
		pct = bytes * 100 / total > 99 ? 99 : bytes * 100 / total;
	n = (int)sizeof bar - 3;
	bar[0] = '[';
	for (i = 0; i < n; i++)
		bar[i + 1] = pct >= 0 && i < pct * n / 100 ? '#' : '-';
	bar[n + 1] = ']';
	bar[n + 2] = '\0';
	if (pct >= 0) {
		top_status(top, 0, "%s %s %s %3.0f%%  %.1f/%.1f MiB  %.1f MiB/s"
		    "  %s", op, dom, bar, pct, bytes / mib, total / mib,
		    rate / mib, file);
		snprintf(busy, sizeof busy, "%s %.0f%%", op, pct);
	} else {
		top_status(top, 0, "%s %s %.1f MiB  %.1f MiB/s  %s", op, dom,
		    bytes / mib, rate / mib, file);
		snprintf(busy, sizeof busy, "%s %.1f MiB", op, bytes / mib);
	}
	if (d != NULL)
		dom_set_busy(d, busy, time_mono());
	return (RD_ROWS | RD_BAR);
}
