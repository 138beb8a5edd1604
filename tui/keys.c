/*
 * keys.c: the key -> action table (htop's Action) and the mouse.  Each
 * handler changes the state and returns what to redraw (RD_*); the screen
 * draws, the main loop does what needs the terminal (the console).
 */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "top.h"

static int
a_quit(struct top *top, int key)
{
	return (RD_QUIT);
}

static int
a_help(struct top *top, int key)
{
	return (dialog_open_help(top));
}

static int
a_move(struct top *top, int key)
{
	struct dom	*d;

	if (key == 'j')
		key = KEY_DOWN;
	else if (key == 'k')
		key = KEY_UP;
	if (panel_key(&top->list, key) == WIDGET_IGNORED)
		return (RD_NONE);
	if ((d = top_selected(top)) != NULL && d->domid != top->sel_domid) {
		top->sel_domid = d->domid;
		if (top->mode == MODE_DETAIL) {
			top_set_mode(top, MODE_DETAIL);
			top->want_refresh = 1;
		}
	}
	return (RD_ROWS);
}

static int
a_detail(struct top *top, int key)
{
	if (top_selected(top) == NULL)
		return (RD_NONE);
	top_set_mode(top, MODE_DETAIL);
	top->want_refresh = 1;	/* the whole object and the vCPUs, now */
	return (RD_ALL);
}

static int
a_back(struct top *top, int key)
{
	top_set_mode(top, MODE_LIST);
	return (RD_ALL);
}

static int
a_filter(struct top *top, int key)
{
	return (dialog_open_prompt(top, PROMPT_FILTER));
}

/* The next or previous shown column to sort by. */
static int
a_sort(struct top *top, int key)
{
	struct top_view	*v = &top->view;
	int		 i, at = -1;

	if (key == 'I') {
		v->sort_reverse = !v->sort_reverse;
		top_status(top, 0, "sorted by %s, %s", column_title(v,
		    v->sort_col), v->sort_reverse ? "descending" :
		    "ascending");
		top_rows(top);
		return (RD_ALL);
	}
	for (i = 0; i < v->ncols; i++)
		if (v->cols[i] == v->sort_col)
			at = i;
	if (at == -1)
		at = 0;
	else if (key == '>' || key == '.')
		at = (at + 1) % v->ncols;
	else
		at = (at + v->ncols - 1) % v->ncols;
	v->sort_col = v->cols[at];
	top_status(top, 0, "sorted by %s, %s", column_title(v, v->sort_col),
	    v->sort_reverse ? "descending" : "ascending");
	top_rows(top);
	return (RD_ALL);
}

static int
a_cpu_mode(struct top *top, int key)
{
	top->view.cpu_host = !top->view.cpu_host;
	top_status(top, 0, top->view.cpu_host ? "CPU%% as share of the host "
	    "(HOST%%)" : "CPU%% as percent of one CPU");
	top_rows(top);
	return (RD_ALL);
}

static int
a_columns(struct top *top, int key)
{
	return (dialog_open_columns(top));
}

static int
a_delay(struct top *top, int key)
{
	return (dialog_open_prompt(top, PROMPT_DELAY));
}

static int
a_balloon(struct top *top, int key)
{
	struct dom	*d = top_selected(top);

	if (action_refuse_dom0(top, d))
		return (RD_BAR);
	return (dialog_open_balloon(top, d));
}

static int
a_sched(struct top *top, int key)
{
	struct dom	*d = top_selected(top);

	if (action_refuse_dom0(top, d))
		return (RD_BAR);
	return (dialog_open_sched(top, d));
}

static int
a_pin(struct top *top, int key)
{
	struct dom	*d = top_selected(top);

	if (action_refuse_dom0(top, d))
		return (RD_BAR);
	return (dialog_open_pin(top, d));
}

static int
a_pause(struct top *top, int key)
{
	return (action_pause_toggle(top, top_selected(top)));
}

static int
a_shutdown(struct top *top, int key)
{
	return (dialog_open_confirm(top, top_selected(top), key));
}

static int
a_destroy(struct top *top, int key)
{
	return (dialog_open_prompt(top, PROMPT_DESTROY));
}

static int
a_create(struct top *top, int key)
{
	return (dialog_open_prompt(top, PROMPT_CREATE));
}

static int
a_save(struct top *top, int key)
{
	return (dialog_open_prompt(top, PROMPT_SAVE));
}

static int
a_restore(struct top *top, int key)
{
	return (dialog_open_prompt(top, PROMPT_RESTORE));
}

static int
a_console(struct top *top, int key)
{
	struct dom	*d = top_selected(top);

	if (action_refuse_dom0(top, d))
		return (RD_BAR);
	top->console_domid = d->domid;	/* the main loop hands over */
	return (RD_NONE);
}

static int
a_redraw(struct top *top, int key)
{
	return (RD_ALL | RD_CLEAR);
}

static int
a_hscroll(struct top *top, int key)
{
	if (key == KEY_RIGHT)
		top->hscroll += 8;
	else if (top->hscroll >= 8)
		top->hscroll -= 8;
	else
		top->hscroll = 0;
	return (RD_ROWS);
}

#define M_ALL	(MODE_LIST | MODE_DETAIL)
#define M_LIST	MODE_LIST
#define M_DET	MODE_DETAIL

/* First match wins; entries with help text are listed in "?". */
const struct top_action top_actions[] = {
	{ '?', M_ALL, "Help", "this help", a_help },
	{ KEY_F(1), M_ALL, NULL, NULL, a_help },
	{ 'q', M_ALL, "Quit", "quit (settings are saved)", a_quit },
	{ KEY_F(10), M_ALL, NULL, NULL, a_quit },
	{ KEY_UP, M_ALL, NULL, "select the previous domain (also k)",
	  a_move },
	{ KEY_DOWN, M_ALL, NULL, "select the next domain (also j)", a_move },
	{ 'k', M_ALL, NULL, NULL, a_move },
	{ 'j', M_ALL, NULL, NULL, a_move },
	{ KEY_PPAGE, M_LIST, NULL, "a page up", a_move },
	{ KEY_NPAGE, M_LIST, NULL, "a page down", a_move },
	{ KEY_HOME, M_LIST, NULL, "first domain", a_move },
	{ KEY_END, M_LIST, NULL, "last domain", a_move },
	{ KEY_LEFT, M_LIST, NULL, "scroll the columns left", a_hscroll },
	{ KEY_RIGHT, M_LIST, NULL, "scroll the columns right", a_hscroll },
	{ TOP_KEY_ENTER, M_LIST, "Detail", "details of the domain", a_detail },
	{ KEY_ENTER, M_LIST, NULL, NULL, a_detail },
	{ '\r', M_LIST, NULL, NULL, a_detail },
	{ TOP_KEY_ESC, M_DET, "Back", "back to the list (also Left)", a_back },
	{ KEY_LEFT, M_DET, NULL, NULL, a_back },
	{ KEY_BACKSPACE, M_DET, NULL, NULL, a_back },
	{ '/', M_LIST, "Filter", "filter rows by name (Esc clears)",
	  a_filter },
	{ KEY_F(3), M_LIST, NULL, NULL, a_filter },
	{ '>', M_LIST, "Sort", "sort by the next column (< previous)",
	  a_sort },
	{ '<', M_LIST, NULL, NULL, a_sort },
	{ '.', M_LIST, NULL, NULL, a_sort },
	{ ',', M_LIST, NULL, NULL, a_sort },
	{ 'I', M_LIST, NULL, "reverse the sort", a_sort },
	{ '%', M_ALL, NULL, "CPU%: of one CPU / share of the host",
	  a_cpu_mode },
	{ 'c', M_LIST, "Columns", "choose columns and sorting", a_columns },
	{ KEY_F(2), M_LIST, NULL, NULL, a_columns },
	{ KEY_F(6), M_LIST, NULL, NULL, a_columns },
	{ 'd', M_ALL, NULL, "refresh delay", a_delay },
	{ 'b', M_ALL, "Balloon", "memory target (balloon slider)",
	  a_balloon },
	{ 'w', M_ALL, "Sched", "scheduler: weight, cap, period, slice",
	  a_sched },
	{ 'v', M_ALL, "Pin", "pin vCPUs to host CPUs", a_pin },
	{ 'p', M_ALL, "Pause", "pause or unpause", a_pause },
	{ 's', M_ALL, "Shutdown", "shut down (asks y/n)", a_shutdown },
	{ 'r', M_ALL, "Reboot", "reboot (asks y/n)", a_shutdown },
	{ 'X', M_ALL, "Destroy", "destroy (type the name to confirm)",
	  a_destroy },
	{ KEY_F(9), M_ALL, NULL, NULL, a_destroy },
	{ 'n', M_ALL, "New", "create a domain from a config file",
	  a_create },
	{ 'S', M_ALL, "Save", "save to a file; the domain is gone after "
	  "(Tab in the dialog: checkpoint, it keeps running)", a_save },
	{ 'R', M_ALL, "Restore", "restore a domain from a saved file", a_restore },
	{ 'a', M_ALL, "Console", "attach the console (Ctrl-] returns)",
	  a_console },
	{ TOP_KEY_CTRL('l'), M_ALL, NULL, "repaint the screen", a_redraw },
};
const size_t top_nactions = nitems(top_actions);

const struct top_action *
action_find(int mode, int key)
{
	size_t	 i;

	for (i = 0; i < top_nactions; i++)
		if (top_actions[i].key == key && (top_actions[i].modes & mode))
			return (&top_actions[i]);
	return (NULL);
}

int
top_key(struct top *top, int key)
{
	const struct top_action	*a;

	top->last_key_time = time_mono();
	if (top->dialog != NULL)
		return (top->dialog->ops->key(top, top->dialog, key));
	if ((a = action_find(top->mode, key)) == NULL)
		return (RD_NONE);
	return (a->fn(top, key));
}

/* Where column number i of the view starts on screen (may be < 0). */
static int
column_x(const struct top *top, int i)
{
	const struct top_view	*v = &top->view;
	int			 x = 0, k;

	for (k = 0; k < i; k++)
		x += top_columns[v->cols[k]].width + 1;
	/* The name column stays; the others scroll. */
	if (i > 0 && v->cols[0] == COL_NAME)
		x -= top->hscroll;
	return (x);
}

int
top_click(struct top *top, int y, int x, int wheel)
{
	struct top_view	*v = &top->view;
	int		 i, x0, w, id;
	size_t		 row;

	if (top->dialog != NULL)
		return (RD_NONE);
	if (wheel != 0) {
		for (i = 0; i < 3; i++)
			panel_key(&top->list, wheel < 0 ? KEY_UP : KEY_DOWN);
		if (top_selected(top) != NULL)
			top->sel_domid = top_selected(top)->domid;
		return (RD_ROWS);
	}
	if (top->mode != MODE_LIST)
		return (RD_NONE);
	if (y == top->list_y - 1) {
		/* A column title: sort by it; again reverses. */
		id = -1;
		for (i = 0; i < v->ncols && id == -1; i++) {
			x0 = column_x(top, i);
			w = i == v->ncols - 1 ? 1000 :
			    top_columns[v->cols[i]].width + 1;
			if (x >= x0 && x < x0 + w)
				id = v->cols[i];
			/* The name column covers what scrolled under it. */
			if (i == 0 && v->cols[0] == COL_NAME && x < w)
				id = COL_NAME;
		}
		if (id != -1) {
			if (v->sort_col == id)
				v->sort_reverse = !v->sort_reverse;
			else {
				v->sort_col = id;
				v->sort_reverse = 0;
			}
			top_rows(top);
			return (RD_ALL);
		}
		return (RD_NONE);
	}
	if (y >= top->list_y && y < top->list_y + top->list.height) {
		row = top->list.top + (y - top->list_y);
		if (row < top->nrows) {
			panel_select(&top->list, row);
			top->sel_domid = top->rows[row]->domid;
			return (RD_ROWS);
		}
	}
	return (RD_NONE);
}

const char *
top_key_name(int key, char *buf, size_t size)
{
	if (key >= KEY_F(1) && key <= KEY_F(12))
		snprintf(buf, size, "F%d", key - KEY_F(0));
	else if (key == KEY_UP)
		snprintf(buf, size, "Up");
	else if (key == KEY_DOWN)
		snprintf(buf, size, "Down");
	else if (key == KEY_LEFT)
		snprintf(buf, size, "Left");
	else if (key == KEY_RIGHT)
		snprintf(buf, size, "Right");
	else if (key == KEY_PPAGE)
		snprintf(buf, size, "PgUp");
	else if (key == KEY_NPAGE)
		snprintf(buf, size, "PgDn");
	else if (key == KEY_HOME)
		snprintf(buf, size, "Home");
	else if (key == KEY_END)
		snprintf(buf, size, "End");
	else if (key == KEY_BACKSPACE)
		snprintf(buf, size, "Bksp");
	else if (key == TOP_KEY_ENTER || key == KEY_ENTER || key == '\r')
		snprintf(buf, size, "Enter");
	else if (key == TOP_KEY_ESC)
		snprintf(buf, size, "Esc");
	else if (key == ' ')
		snprintf(buf, size, "Space");
	else if (key > 0 && key < 0x20)
		snprintf(buf, size, "^%c", key + '@');
	else if (key < 0x7f)
		snprintf(buf, size, "%c", key);
	else
		snprintf(buf, size, "#%d", key);
	return (buf);
}
