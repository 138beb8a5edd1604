/*
 * dialog.c: modal dialogs over the list, each built from widgets: the
 * balloon slider, the scheduler dialog, the vCPU pin grid, prompts (filter,
 * create, delay, destroy-by-name, save, restore), confirmations, the column chooser and
 * help.  A dialog takes every key while open; its key handler returns what
 * to redraw, like the action table's.
 */
#include <curses.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "cpulist.h"
#include "top.h"

struct dialog *
dialog_new(const struct dialog_ops *ops, const char *title)
{
	struct dialog	*dl = xcalloc(1, sizeof *dl);

	dl->ops = ops;
	dl->domid = -1;
	snprintf(dl->title, sizeof dl->title, "%s", title);
	return (dl);
}

static void
dialog_free_common(struct dialog *dl)
{
	checkgrid_free(&dl->grid);
	free(dl->message);
	free(dl);
}

void
dialog_close(struct top *top)
{
	if (top->dialog == NULL)
		return;
	top->dialog->ops->free(top->dialog);
	top->dialog = NULL;
}

static void
dialog_message(struct dialog *dl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
dialog_message(struct dialog *dl, const char *fmt, ...)
{
	va_list	 ap;

	free(dl->message);
	va_start(ap, fmt);
	xvasprintf(&dl->message, fmt, ap);
	va_end(ap);
}

static int
dialog_set(struct top *top, struct dialog *dl, struct dom *d)
{
	dialog_close(top);
	if (d != NULL) {
		dl->domid = d->domid;
		snprintf(dl->name, sizeof dl->name, "%s", d->name);
	}
	top->dialog = dl;
	return (RD_ALL);
}

/* The dialog's domain, if it still exists. */
static struct dom *
dialog_dom(struct top *top, struct dialog *dl)
{
	return (model_find(&top->model, dl->domid));
}

/* A centred box of h lines and w columns; returns its top-left. */
static void
dialog_frame(struct dialog *dl, int h, int w, int *y, int *x)
{
	int	 lines = screen_lines(), cols = screen_cols();

	if (w > cols - 2)
		w = cols - 2;
	if (h > lines - 2)
		h = lines - 2;
	*y = (lines - h) / 2;
	*x = (cols - w) / 2;
	screen_box(*y, *x, h, w, dl->title);
}

/* ---- prompts: filter, create, delay, destroy, save, restore ---------- */

static int
prompt_key(struct top *top, struct dialog *dl, int key)
{
	struct dom	*d;
	double		 v;
	char		*end;
	int		 rd;

	if (key == TOP_KEY_ESC) {
		if (dl->prompt == PROMPT_FILTER) {
			top->view.filter[0] = '\0';
			top_rows(top);
		}
		dialog_close(top);
		return (RD_ALL);
	}
	if (key == TOP_KEY_ENTER || key == KEY_ENTER || key == '\r') {
		switch (dl->prompt) {
		case PROMPT_FILTER:
			dialog_close(top);
			return (RD_ALL);
		case PROMPT_DESTROY:
			if (strcmp(dl->text.buf, dl->name) != 0) {
				dialog_message(dl, "type %s exactly to destroy "
				    "it; Esc cancels", dl->name);
				return (RD_DIALOG);
			}
			d = dialog_dom(top, dl);
			dialog_close(top);
			if (d == NULL) {
				top_status(top, 1, "domain has gone");
				return (RD_ALL);
			}
			return (RD_ALL | action_destroy(top, d));
		case PROMPT_CREATE: {
			char *line = xstrdup(dl->text.buf);

			dialog_close(top);
			rd = action_create(top, line);
			free(line);
			return (RD_ALL | rd);
		}
		case PROMPT_SAVE:
			d = dialog_dom(top, dl);
			if (d == NULL) {
				dialog_close(top);
				top_status(top, 1, "domain has gone");
				return (RD_ALL);
			}
			rd = action_save(top, d, dl->text.buf, dl->option);
			dialog_close(top);
			return (RD_ALL | rd);
		case PROMPT_RESTORE:
			rd = action_restore(top, dl->text.buf, dl->option);
			dialog_close(top);
			return (RD_ALL | rd);
		case PROMPT_DELAY:
			v = strtod(dl->text.buf, &end);
			if (end == dl->text.buf || *end != '\0' || !(v >= 0.1 &&
			    v <= 3600)) {
				dialog_message(dl, "a number of seconds from "
				    "0.1 to 3600");
				return (RD_DIALOG);
			}
			top->delay = v;
			dialog_close(top);
			top_status(top, 0, "refresh every %g s", v);
			return (RD_ALL);
		}
	}
	if (key == '\t' && (dl->prompt == PROMPT_SAVE ||
	    dl->prompt == PROMPT_RESTORE)) {
		dl->option = !dl->option;
		return (RD_DIALOG);
	}
	if (textfield_key(&dl->text, key) == WIDGET_IGNORED)
		return (RD_NONE);
	if (dl->prompt == PROMPT_FILTER) {
		/* The list narrows as you type. */
		snprintf(top->view.filter, sizeof top->view.filter, "%s",
		    dl->text.buf);
		top_rows(top);
		return (RD_ALL);
	}
	return (RD_DIALOG);
}

static void
prompt_draw(struct top *top, struct dialog *dl)
{
	int		 y, x, w = 64, off = 0, h = 6;
	const char	*label, *option = NULL;

	switch (dl->prompt) {
	case PROMPT_DESTROY:
		label = "type the domain's name to destroy it:";
		break;
	case PROMPT_CREATE:
		label = "config file [VAR=VALUE ...] (as for xm create):";
		break;
	case PROMPT_DELAY:
		label = "seconds between refreshes:";
		break;
	case PROMPT_SAVE:
		label = "save to the file (the domain is gone after):";
		option = "checkpoint: keep it running (Tab)";
		break;
	case PROMPT_RESTORE:
		label = "restore the domain saved in the file:";
		option = "leave it paused (Tab)";
		break;
	default:
		label = "show domains whose name contains:";
		break;
	}
	if (option != NULL)
		h++;
	dialog_frame(dl, h, w, &y, &x);
	w = screen_cols() - 2 < w ? screen_cols() - 2 : w;
	screen_text(y + 1, x + 2, w - 4, 0, "%s", label);
	if ((int)dl->text.cursor > w - 8)
		off = dl->text.cursor - (w - 8);
	screen_text(y + 2, x + 2, w - 4, screen_attr("input"), "> %s",
	    dl->text.buf + off);
	if (option != NULL)
		screen_text(y + 3, x + 2, w - 4, 0, "%s %s",
		    screen_check(dl->option), option);
	screen_text(y + h - 2, x + 2, w - 4, dl->message != NULL ?
	    screen_attr("error") : screen_attr("dim"), "%s", dl->message !=
	    NULL ? dl->message : "Enter accepts, Esc cancels");
	move(y + 2, x + 4 + (int)(dl->text.cursor - off));
}

const struct dialog_ops dialog_prompt_ops = {
	"prompt", prompt_key, prompt_draw, dialog_free_common
};

int
dialog_open_prompt(struct top *top, enum prompt_kind kind)
{
	struct dialog	*dl;
	struct dom	*d = NULL;
	char		 buf[32], buf2[sizeof dl->text.buf];
	static const char *titles[] = { "Filter", "Destroy", "Create",
	    "Refresh delay", "Save", "Restore" };

	if (kind == PROMPT_DESTROY || kind == PROMPT_SAVE) {
		d = top_selected(top);
		if (action_refuse_dom0(top, d))
			return (RD_BAR);
	}
	dl = dialog_new(&dialog_prompt_ops, titles[kind]);
	dl->prompt = kind;
	if (kind == PROMPT_FILTER)
		textfield_set(&dl->text, top->view.filter);
	else if (kind == PROMPT_DELAY) {
		snprintf(buf, sizeof buf, "%g", top->delay);
		textfield_set(&dl->text, buf);
	}
	if (kind == PROMPT_DESTROY)
		snprintf(dl->title, sizeof dl->title, "Destroy %s", d->name);
	else if (kind == PROMPT_SAVE) {
		snprintf(dl->title, sizeof dl->title, "Save %s", d->name);
		snprintf(buf2, sizeof buf2, "%s/%s.chk", TOP_SAVE_DIR,
		    d->name);
		textfield_set(&dl->text, buf2);
	} else if (kind == PROMPT_RESTORE)
		textfield_set(&dl->text, TOP_SAVE_DIR "/");
	return (dialog_set(top, dl, d));
}

/* ---- confirm: shutdown, reboot --------------------------------------- */

static int
confirm_key(struct top *top, struct dialog *dl, int key)
{
	struct dom	*d = dialog_dom(top, dl);
	int		 which = dl->confirm_key;

	dialog_close(top);
	if (key != 'y' && key != 'Y') {
		top_status(top, 0, "cancelled");
		return (RD_ALL);
	}
	if (d == NULL) {
		top_status(top, 1, "domain has gone");
		return (RD_ALL);
	}
	return (RD_ALL | action_shutdown(top, d, which == 'r' ? "reboot" :
	    "poweroff"));
}

static void
confirm_draw(struct top *top, struct dialog *dl)
{
	int	 y, x;

	dialog_frame(dl, 4, 48, &y, &x);
	screen_text(y + 1, x + 2, 44, 0, "%s %s?", dl->confirm_key == 'r' ?
	    "Reboot" : "Shut down", dl->name);
	screen_text(y + 2, x + 2, 44, screen_attr("dim"), "y: yes, any other "
	    "key: no");
}

const struct dialog_ops dialog_confirm_ops = {
	"confirm", confirm_key, confirm_draw, dialog_free_common
};

int
dialog_open_confirm(struct top *top, struct dom *d, int key)
{
	struct dialog	*dl;

	if (action_refuse_dom0(top, d))
		return (RD_BAR);
	dl = dialog_new(&dialog_confirm_ops, key == 'r' ? "Reboot" :
	    "Shut down");
	dl->confirm_key = key;
	return (dialog_set(top, dl, d));
}

/* ---- balloon --------------------------------------------------------- */

#define BALLOON_MIN	16	/* domcfg's floor for memory */
#define BALLOON_STEP	4
#define BALLOON_BIG	32

static int
balloon_key(struct top *top, struct dialog *dl, int key)
{
	struct dom	*d;
	long		 mb;

	if (key == TOP_KEY_ESC) {
		slider_revert(&dl->slider);
		dialog_close(top);
		top_status(top, 0, "balloon unchanged");
		return (RD_ALL);
	}
	if (key == TOP_KEY_ENTER || key == KEY_ENTER || key == '\r') {
		mb = slider_clamp(&dl->slider);
		d = dialog_dom(top, dl);
		dialog_close(top);
		if (d == NULL) {
			top_status(top, 1, "domain has gone");
			return (RD_ALL);
		}
		return (RD_ALL | action_mem_set(top, d, mb));
	}
	return (slider_key(&dl->slider, key) == WIDGET_HANDLED ? RD_DIALOG :
	    RD_NONE);
}

static void
balloon_draw(struct top *top, struct dialog *dl)
{
	struct dom	*d = dialog_dom(top, dl);
	struct host	*h = &top->model.host;
	char		 a[16], t[16], m[16], f[16], fn[16];
	double		 target;
	int		 y, x;

	dialog_frame(dl, 10, 64, &y, &x);
	if (d == NULL) {
		screen_text(y + 1, x + 2, 60, screen_attr("error"),
		    "the domain has gone; Esc closes");
		return;
	}
	target = isnan(d->memory_target) ? d->memory : d->memory_target;
	screen_text(y + 1, x + 2, 60, 0, "actual %s MB   target %s MB   "
	    "maxmem %s MB", fmt_num(d->memory, "%.0f", a, sizeof a),
	    fmt_num(d->memory_target, "%.0f", t, sizeof t),
	    fmt_num(d->maxmem, "%.0f", m, sizeof m));
	screen_text(y + 3, x + 2, 12, 0, "new target");
	screen_slider(y + 3, x + 14, 36, &dl->slider, 1);
	screen_text(y + 3, x + 51, 12, screen_attr("input"), "%ld MB",
	    dl->slider.value);
	screen_text(y + 4, x + 14, 46, screen_attr("dim"), "%ld .. %ld MB",
	    dl->slider.min, dl->slider.max);
	screen_text(y + 5, x + 2, 60, 0, "host free after: %s MB (now %s MB)",
	    fmt_num(isnan(target) ? NAN : h->free - (dl->slider.value -
	    target), "%.0f", fn, sizeof fn), fmt_num(h->free, "%.0f", f,
	    sizeof f));
	if (d->error != NULL)
		screen_text(y + 6, x + 2, 60, screen_attr("error"), "%s",
		    d->error);
	screen_text(y + 8, x + 2, 60, screen_attr("dim"), "arrows %d MB, "
	    "PgUp/PgDn %d, digits type, Enter applies, Esc",
	    BALLOON_STEP, BALLOON_BIG);
}

const struct dialog_ops dialog_balloon_ops = {
	"balloon", balloon_key, balloon_draw, dialog_free_common
};

int
dialog_open_balloon(struct top *top, struct dom *d)
{
	struct dialog	*dl;
	double		 target, max;

	if (action_refuse_dom0(top, d))
		return (RD_BAR);
	target = isnan(d->memory_target) ? d->memory : d->memory_target;
	max = isnan(d->maxmem) ? target : d->maxmem;
	if (isnan(target) || isnan(max)) {
		top_status(top, 1, "xend does not report %s's memory",
		    d->name);
		return (RD_BAR);
	}
	dl = dialog_new(&dialog_balloon_ops, "");
	snprintf(dl->title, sizeof dl->title, "Balloon %s", d->name);
	slider_init(&dl->slider, BALLOON_MIN, (long)max, (long)target,
	    BALLOON_STEP, BALLOON_BIG);
	return (dialog_set(top, dl, d));
}

/* ---- scheduler: credit weight/cap, sedf period/slice ----------------- */

static const char *sched_names[4] = { "weight", "cap", "period", "slice" };

/* What a scheduler read reply fills. */
struct sched_read {
	int	 domid;
	int	 sedf;
};

static int
sched_read_cb(struct top *top, void *arg, struct reply *r)
{
	struct sched_read	*s = arg;
	struct dialog		*dl = top->dialog;
	int			 i, base = s->sedf ? 2 : 0;
	json_t			*v;

	if (dl == NULL || dl->ops != &dialog_sched_ops || dl->domid !=
	    s->domid) {
		free(s);
		return (RD_NONE);
	}
	dl->loading--;
	if (r->code != NULL) {
		/* Both reads may fail: keep both reasons. */
		char *prev = dl->message;

		dl->message = NULL;
		dialog_message(dl, "%s%s%s: %s", prev != NULL ? prev : "",
		    prev != NULL ? "; " : "", s->sedf ? "domain.sched_sedf" :
		    "domain.sched_credit", r->error);
		free(prev);
	}
	else {
		for (i = base; i < base + 2; i++) {
			v = json_object_get(r->result, sched_names[i]);
			if (!json_is_number(v))
				continue;
			/* Unset sedf reads 0: show a no-op default. */
			if (s->sedf && json_number_value(v) == 0) {
				dl->sedf_unset = 1;
				v = json_integer(100);
			} else
				json_incref(v);
			dl->sched[i].value = json_number_value(v);
			dl->sched[i].orig = slider_clamp(&dl->sched[i]);
			dl->sched_known[i] = 1;
			json_decref(v);
		}
		if (dl->sched_known[2])
			dl->sched[3].max = dl->sched[2].value;
	}
	free(s);
	return (RD_DIALOG);
}

static int
sched_key(struct top *top, struct dialog *dl, int key)
{
	struct dom	*d;
	long		 v[4];
	int		 changed[4], i, any = 0;

	switch (key) {
	case TOP_KEY_ESC:
		dialog_close(top);
		top_status(top, 0, "scheduler unchanged");
		return (RD_ALL);
	case '\t':
	case KEY_DOWN:
		dl->focus = (dl->focus + 1) % 4;
		return (RD_DIALOG);
	case KEY_BTAB:
	case KEY_UP:
		dl->focus = (dl->focus + 3) % 4;
		return (RD_DIALOG);
	case TOP_KEY_ENTER:
	case KEY_ENTER:
	case '\r':
		for (i = 0; i < 4; i++) {
			v[i] = slider_clamp(&dl->sched[i]);
			changed[i] = dl->sched_known[i] && v[i] !=
			    dl->sched[i].orig;
			any |= changed[i];
		}
		/* Both of a pair go together: xend takes them as one. */
		changed[0] = changed[1] = changed[0] || changed[1];
		changed[2] = changed[3] = changed[2] || changed[3];
		if (!any && dl->message != NULL)
			return (RD_DIALOG);	/* nothing it could apply */
		d = dialog_dom(top, dl);
		dialog_close(top);
		if (d == NULL) {
			top_status(top, 1, "domain has gone");
			return (RD_ALL);
		}
		return (RD_ALL | action_sched(top, d, v, changed));
	}
	if (!dl->sched_known[dl->focus])
		return (RD_NONE);
	if (slider_key(&dl->sched[dl->focus], key) != WIDGET_HANDLED)
		return (RD_NONE);
	if (dl->focus == 2) {
		dl->sched[3].max = dl->sched[2].value;
		if (dl->sched[3].value > dl->sched[3].max)
			dl->sched[3].value = dl->sched[3].max;
	}
	return (RD_DIALOG);
}

static void
sched_draw(struct top *top, struct dialog *dl)
{
	static const char	*units[4] = { "", "% (0 = no cap)", "ms",
	    "ms" };
	int			 y, x, i;

	dialog_frame(dl, 13, 70, &y, &x);
	screen_text(y + 1, x + 2, 66, screen_attr("dim"), "credit");
	screen_text(y + 5, x + 2, 66, screen_attr("dim"), "sedf");
	for (i = 0; i < 4; i++) {
		int row = y + 2 + i + (i >= 2 ? 2 : 0);

		screen_text(row, x + 2, 8, dl->focus == i ?
		    screen_attr("select") : 0, "%s", sched_names[i]);
		if (!dl->sched_known[i]) {
			screen_text(row, x + 11, 56, screen_attr("dim"), "%s",
			    dl->loading > 0 ? "reading..." : "-");
			continue;
		}
		screen_slider(row, x + 11, 28, &dl->sched[i], dl->focus == i);
		screen_text(row, x + 40, 28, screen_attr("input"), "%ld %s",
		    dl->sched[i].value, units[i]);
		screen_text(row + (i % 2 == 0 ? 0 : 0), x + 56, 12,
		    screen_attr("dim"), "%ld..%ld", dl->sched[i].min,
		    dl->sched[i].max);
	}
	if (dl->sedf_unset && dl->sched_known[2])
		screen_text(y + 5, x + 8, 60, screen_attr("dim"), "(not set: "
		    "slice = period is no limit)");
	if (dl->message != NULL)
		screen_text(y + 9, x + 2, 66, screen_attr("error"), "%s",
		    dl->message);
	screen_text(y + 11, x + 2, 66, screen_attr("dim"), "Tab field, "
	    "Left/Right step, PgUp/PgDn big, Enter applies, Esc cancels");
}

const struct dialog_ops dialog_sched_ops = {
	"sched", sched_key, sched_draw, dialog_free_common
};

int
dialog_open_sched(struct top *top, struct dom *d)
{
	struct dialog		*dl;
	struct sched_read	*s;
	long			 ncpus;
	int			 rd;

	if (action_refuse_dom0(top, d))
		return (RD_BAR);
	ncpus = isnan(top->model.host.nr_cpus) ? 1 :
	    (long)top->model.host.nr_cpus;
	dl = dialog_new(&dialog_sched_ops, "");
	snprintf(dl->title, sizeof dl->title, "Scheduler of %s", d->name);
	slider_init(&dl->sched[0], 1, 65535, 256, 16, 256);
	slider_init(&dl->sched[1], 0, 100 * ncpus, 0, 5, 25);
	/* xend's ranges (docs/API.md, api.c): the slice fits the period. */
	slider_init(&dl->sched[2], 1, 1000, 100, 10, 100);
	slider_init(&dl->sched[3], 1, 1000, 10, 1, 10);
	rd = dialog_set(top, dl, d);
	/* Read the live values; the dialog says so if xend cannot. */
	dl->loading = 2;
	s = xcalloc(1, sizeof *s);
	s->domid = d->domid;
	rd |= conn_request(top, "domain.sched_credit", json_pack("{s:i}",
	    "dom", d->domid), 0, sched_read_cb, s);
	s = xcalloc(1, sizeof *s);
	s->domid = d->domid;
	s->sedf = 1;
	rd |= conn_request(top, "domain.sched_sedf", json_pack("{s:i}",
	    "dom", d->domid), 0, sched_read_cb, s);
	return (rd);
}

/* ---- vCPU pin grid --------------------------------------------------- */

static int
pin_read_cb(struct top *top, void *arg, struct reply *r)
{
	int		 domid = *(int *)arg, ncpus, c, vcpu;
	struct dialog	*dl = top->dialog;
	json_t		*v, *aff, *e;
	cpu_set_t	 set;
	char		*cause;
	size_t		 k, i;

	free(arg);
	if (dl == NULL || dl->ops != &dialog_pin_ops || dl->domid != domid)
		return (RD_NONE);
	dl->loading = 0;
	if (r->code != NULL) {
		dialog_message(dl, "domain.vcpu_list: %s", r->error);
		return (RD_DIALOG);
	}
	if (!json_is_array(r->result)) {
		dialog_message(dl, "bad domain.vcpu_list reply");
		return (RD_DIALOG);
	}
	ncpus = isnan(top->model.host.nr_cpus) ? 1 :
	    (int)top->model.host.nr_cpus;
	if (ncpus > CPU_SETSIZE)
		ncpus = CPU_SETSIZE;
	checkgrid_init(&dl->grid, json_array_size(r->result), ncpus);
	json_array_foreach(r->result, k, v) {
		vcpu = json_is_integer(json_object_get(v, "vcpu")) ?
		    (int)json_integer_value(json_object_get(v, "vcpu")) :
		    (int)k;
		if (vcpu < 0 || vcpu >= dl->grid.rows)
			vcpu = k;
		aff = json_object_get(v, "affinity");
		CPU_ZERO(&set);
		if (json_is_string(aff)) {
			if (cpulist_parse(json_string_value(aff), ncpus, &set,
			    &cause) != 0) {
				dialog_message(dl, "vCPU %d affinity: %s",
				    vcpu, cause);
				free(cause);
			}
		} else if (json_is_array(aff)) {
			json_array_foreach(aff, i, e)
				if (json_is_integer(e) &&
				    json_integer_value(e) >= 0 &&
				    json_integer_value(e) < ncpus)
					CPU_SET(json_integer_value(e), &set);
		} else
			for (c = 0; c < ncpus; c++)
				CPU_SET(c, &set);
		for (c = 0; c < ncpus; c++)
			checkgrid_set(&dl->grid, vcpu, c, CPU_ISSET(c, &set));
	}
	/* Remember what xend said, to send only rows that change. */
	free(dl->orig_cells);
	dl->orig_cells = xmalloc((size_t)dl->grid.rows * dl->grid.cols + 1);
	memcpy(dl->orig_cells, dl->grid.cells, (size_t)dl->grid.rows *
	    dl->grid.cols);
	return (RD_DIALOG);
}

static int
pin_key(struct top *top, struct dialog *dl, int key)
{
	struct dom	*d;
	cpu_set_t	 set;
	char		*cpus;
	int		 r, c, rd = RD_ALL, any = 0;

	if (key == TOP_KEY_ESC) {
		dialog_close(top);
		top_status(top, 0, "pinning unchanged");
		return (RD_ALL);
	}
	if (key == TOP_KEY_ENTER || key == KEY_ENTER || key == '\r') {
		if (dl->grid.rows == 0 || dl->orig_cells == NULL)
			return (RD_NONE);
		for (r = 0; r < dl->grid.rows; r++) {
			for (c = 0; c < dl->grid.cols; c++)
				if (checkgrid_get(&dl->grid, r, c))
					break;
			if (c == dl->grid.cols) {
				dialog_message(dl, "vCPU %d needs at least one "
				    "CPU", r);
				return (RD_DIALOG);
			}
		}
		if ((d = dialog_dom(top, dl)) == NULL) {
			dialog_close(top);
			top_status(top, 1, "domain has gone");
			return (RD_ALL);
		}
		for (r = 0; r < dl->grid.rows; r++) {
			if (memcmp(dl->grid.cells + r * dl->grid.cols,
			    dl->orig_cells + r * dl->grid.cols,
			    dl->grid.cols) == 0)
				continue;
			CPU_ZERO(&set);
			for (c = 0; c < dl->grid.cols; c++)
				if (checkgrid_get(&dl->grid, r, c))
					CPU_SET(c, &set);
			cpus = cpulist_format(&set, dl->grid.cols);
			rd |= action_pin(top, d, r, cpus);
			free(cpus);
			any = 1;
		}
		dialog_close(top);
		if (!any)
			top_status(top, 0, "pinning unchanged");
		return (rd);
	}
	return (checkgrid_key(&dl->grid, key) == WIDGET_HANDLED ? RD_DIALOG :
	    RD_NONE);
}

static void
pin_draw(struct top *top, struct dialog *dl)
{
	int	 y, x, r, c, h, w, cw = 4;

	h = dl->grid.rows + 8;
	w = 16 + dl->grid.cols * cw;
	if (w < 60)
		w = 60;
	dialog_frame(dl, h, w, &y, &x);
	if (dl->loading) {
		screen_text(y + 2, x + 2, w - 4, screen_attr("dim"),
		    "reading vCPUs...");
		return;
	}
	if (dl->grid.rows > 0) {
		screen_text(y + 1, x + 2, 10, screen_attr("dim"), "vCPU\\CPU");
		for (c = 0; c < dl->grid.cols && 12 + (c + 1) * cw < w; c++)
			screen_text(y + 1, x + 12 + c * cw, cw, screen_attr(
			    "dim"), "%3d", c);
		for (r = 0; r < dl->grid.rows && r < h - 8; r++) {
			screen_text(y + 2 + r, x + 2, 10, 0, "%4d", r);
			for (c = 0; c < dl->grid.cols && 12 + (c + 1) * cw < w;
			    c++)
				screen_text(y + 2 + r, x + 12 + c * cw, cw,
				    r == dl->grid.row && c == dl->grid.col ?
				    screen_attr("select") : 0, " %s",
				    screen_check(checkgrid_get(&dl->grid, r,
				    c)));
		}
	}
	if (dl->message != NULL)
		screen_text(y + h - 4, x + 2, w - 4, screen_attr("error"), "%s",
		    dl->message);
	screen_text(y + h - 2, x + 2, w - 4, screen_attr("dim"), "arrows "
	    "move, Space toggles, a: whole row, Enter applies, Esc cancels");
}

static void
pin_free(struct dialog *dl)
{
	free(dl->orig_cells);
	dialog_free_common(dl);
}

const struct dialog_ops dialog_pin_ops = {
	"pin", pin_key, pin_draw, pin_free
};

int
dialog_open_pin(struct top *top, struct dom *d)
{
	struct dialog	*dl;
	int		*domid, rd;

	if (action_refuse_dom0(top, d))
		return (RD_BAR);
	dl = dialog_new(&dialog_pin_ops, "");
	snprintf(dl->title, sizeof dl->title, "Pin vCPUs of %s", d->name);
	dl->loading = 1;
	rd = dialog_set(top, dl, d);
	domid = xmalloc(sizeof *domid);
	*domid = d->domid;
	return (rd | conn_request(top, "domain.vcpu_list", json_pack("{s:i}",
	    "dom", d->domid), 0, pin_read_cb, domid));
}

/* ---- columns: choose what shows, in what order, and what sorts ------- */

/* The view's columns: the shown ones, in the dialog's order. */
static void
columns_apply(struct top_view *v, const struct dialog *dl)
{
	int	 i, n = 0;

	for (i = 0; i < COL_COUNT; i++)
		if (dl->shown[dl->order[i]])
			v->cols[n++] = dl->order[i];
	v->ncols = n;
}

static int
columns_key(struct top *top, struct dialog *dl, int key)
{
	struct top_view	*v = &top->view;
	int		 pos = (int)dl->list.selected, id = dl->order[pos];
	int		 to;

	switch (key) {
	case TOP_KEY_ESC:
	case TOP_KEY_ENTER:
	case KEY_ENTER:
	case '\r':
	case 'q':
	case 'c':
		dialog_close(top);
		return (RD_ALL);
	case ' ':
		if (id == COL_NAME)
			return (RD_NONE);	/* a row needs its name */
		dl->shown[id] = !dl->shown[id];
		columns_apply(v, dl);
		return (RD_ALL);
	case '<':
	case '-':
	case '>':
	case '+':
		/* NAME stays first: it does not move, nothing passes it. */
		to = pos + (key == '<' || key == '-' ? -1 : 1);
		if (id == COL_NAME || to < 1 || to >= COL_COUNT)
			return (RD_NONE);
		dl->order[pos] = dl->order[to];
		dl->order[to] = id;
		dl->list.selected = to;
		columns_apply(v, dl);
		return (RD_ALL);
	case 's':
		if (v->sort_col == id)
			v->sort_reverse = !v->sort_reverse;
		else {
			v->sort_col = id;
			v->sort_reverse = 0;
		}
		top_rows(top);
		return (RD_ALL);
	}
	return (panel_key(&dl->list, key) == WIDGET_HANDLED ? RD_DIALOG :
	    RD_NONE);
}

static void
columns_draw(struct top *top, struct dialog *dl)
{
	int	 y, x, i, id, h = COL_COUNT + 5;

	dialog_frame(dl, h, 70, &y, &x);
	dl->list.height = h - 5;
	panel_scroll(&dl->list);
	for (i = 0; i < dl->list.height && (size_t)i + dl->list.top <
	    COL_COUNT; i++) {
		id = dl->order[dl->list.top + i];
		screen_text(y + 1 + i, x + 2, 66, dl->list.top + i ==
		    dl->list.selected ? screen_attr("select") : 0,
		    "%s %-8s %s %.44s", screen_check(dl->shown[id]),
		    column_title(&top->view, id), top->view.sort_col == id ?
		    (top->view.sort_reverse ? "v" : "^") : " ",
		    top_columns[id].help);
	}
	screen_text(y + h - 2, x + 2, 66, screen_attr("dim"), "Space shows/"
	    "hides, < > move, s sorts (again: reverse), Enter closes");
}

const struct dialog_ops dialog_columns_ops = {
	"columns", columns_key, columns_draw, dialog_free_common
};

/* Lists the shown columns in the view's order, then the hidden ones. */
int
dialog_open_columns(struct top *top)
{
	struct dialog	*dl = dialog_new(&dialog_columns_ops, "Columns");
	int		 i, n = 0;

	for (i = 0; i < top->view.ncols; i++) {
		dl->shown[top->view.cols[i]] = 1;
		dl->order[n++] = top->view.cols[i];
	}
	for (i = 0; i < COL_COUNT; i++)
		if (!dl->shown[i])
			dl->order[n++] = i;
	dl->list.count = COL_COUNT;
	dl->list.height = COL_COUNT;
	return (dialog_set(top, dl, NULL));
}

/* ---- help ------------------------------------------------------------ */

static const char *help_extra[] = {
	"",
	"Columns: CPU% is percent of one CPU (100 = one CPU busy, like",
	"xentop); % switches to HOST%, the share of the whole host (like",
	"virt-top).  \"-\" means xend did not say (or, for rates, that there",
	"is only one sample so far); never a guess.",
	"",
	"Mouse: click a row to select it, a column title to sort by it",
	"(again: reverse), the wheel scrolls.",
	"",
	"Settings (columns, sort, delay, CPU% mode) are saved on exit in",
	"$XDG_CONFIG_HOME/xm-top/settings (~/.config/xm-top/settings).",
};

size_t
help_lines(const char ***out)
{
	static const char	**lines;
	static size_t		  n;
	size_t			  i;
	char			  k[32];

	if (lines == NULL) {
		lines = xcalloc(top_nactions + nitems(help_extra) + 2,
		    sizeof *lines);
		lines[n++] = "Keys (list and detail views):";
		for (i = 0; i < top_nactions; i++) {
			if (top_actions[i].help == NULL)
				continue;
			lines[n++] = xsprintf("  %-10s %s", top_key_name(
			    top_actions[i].key, k, sizeof k),
			    top_actions[i].help);
		}
		for (i = 0; i < nitems(help_extra); i++)
			lines[n++] = help_extra[i];
	}
	*out = lines;
	return (n);
}

static int
help_key(struct top *top, struct dialog *dl, int key)
{
	if (panel_key(&dl->list, key) == WIDGET_HANDLED)
		return (RD_DIALOG);
	dialog_close(top);
	return (RD_ALL);
}

static void
help_draw(struct top *top, struct dialog *dl)
{
	const char	**lines;
	size_t		  n = help_lines(&lines), i;
	int		  y, x, h = screen_lines() - 2, w = 74;

	dialog_frame(dl, h, w, &y, &x);
	dl->list.height = h - 3;
	/* Scrolling moves the view, not a selection. */
	if (dl->list.selected + dl->list.height > n)
		dl->list.selected = n > (size_t)dl->list.height ?
		    n - dl->list.height : 0;
	for (i = 0; (int)i < dl->list.height && i + dl->list.selected < n;
	    i++)
		screen_text(y + 1 + i, x + 2, w - 4, 0, "%s",
		    lines[i + dl->list.selected]);
	screen_text(y + h - 2, x + 2, w - 4, screen_attr("dim"), "arrows "
	    "scroll, any other key closes");
}

const struct dialog_ops dialog_help_ops = {
	"help", help_key, help_draw, dialog_free_common
};

int
dialog_open_help(struct top *top)
{
	struct dialog	*dl = dialog_new(&dialog_help_ops, "xm top: help");
	const char	**lines;

	dl->list.count = help_lines(&lines);
	dl->list.height = 1;
	return (dialog_set(top, dl, NULL));
}
