/*
 * screen.c: everything curses (htop's ScreenManager): the terminal set-up,
 * the header meters, the list, the detail view, the bottom bar, dialogs on
 * top, and handing the terminal to the console and back.  Drawing goes to
 * curses' virtual screen and doupdate() sends only what changed.
 */
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "xen-common.h"
#include "domcfg.h"
#include "top.h"

/* Line drawing, UTF-8 or ASCII. */
struct glyphs {
	const char	*h, *v, *tl, *tr, *bl, *br;
	const char	*spark[8];
	const char	*knob, *full, *empty;
	const char	*on, *off;
};

static const struct glyphs utf8_glyphs = {
	"\u2500", "\u2502", "\u250c", "\u2510", "\u2514", "\u2518",
	{ "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586",
	  "\u2587", "\u2588" },
	"\u25cf", "\u2501", "\u2500", "[x]", "[ ]"
};

static const struct glyphs ascii_glyphs = {
	"-", "|", "+", "+", "+", "+",
	{ "_", ".", ":", "-", "=", "+", "*", "#" },
	"O", "=", "-", "[x]", "[ ]"
};

static const struct glyphs	*g = &ascii_glyphs;
static int			 use_color;

enum { PAIR_HEADER = 1, PAIR_SELECT, PAIR_ERROR, PAIR_BUSY, PAIR_BAR,
	PAIR_TITLE, PAIR_METER, PAIR_PAUSED, PAIR_INPUT };

int
screen_attr(const char *role)
{
	if (strcmp(role, "select") == 0)
		return (use_color ? COLOR_PAIR(PAIR_SELECT) : A_REVERSE);
	if (strcmp(role, "error") == 0)
		return (use_color ? COLOR_PAIR(PAIR_ERROR) | A_BOLD : A_BOLD);
	if (strcmp(role, "busy") == 0)
		return (use_color ? COLOR_PAIR(PAIR_BUSY) : A_UNDERLINE);
	if (strcmp(role, "bar") == 0)
		return (use_color ? COLOR_PAIR(PAIR_BAR) : A_REVERSE);
	if (strcmp(role, "title") == 0)
		return (use_color ? COLOR_PAIR(PAIR_TITLE) : A_REVERSE);
	if (strcmp(role, "header") == 0)
		return (use_color ? COLOR_PAIR(PAIR_HEADER) | A_BOLD : A_BOLD);
	if (strcmp(role, "meter") == 0)
		return (use_color ? COLOR_PAIR(PAIR_METER) : A_BOLD);
	if (strcmp(role, "paused") == 0)
		return (use_color ? COLOR_PAIR(PAIR_PAUSED) : A_DIM);
	if (strcmp(role, "input") == 0)
		return (A_BOLD);
	if (strcmp(role, "dim") == 0)
		return (A_DIM);
	return (0);
}

const char *
screen_check(int on)
{
	return (on ? g->on : g->off);
}

int
screen_lines(void)
{
	return (LINES);
}

int
screen_cols(void)
{
	return (COLS);
}

void
screen_init(struct top *top, const struct top_screen_opts *o)
{
	const char	*cs;

	cs = nl_langinfo(CODESET);
	g = !o->ascii && cs != NULL && strcmp(cs, "UTF-8") == 0 ?
	    &utf8_glyphs : &ascii_glyphs;
	initscr();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED |
	    BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	use_color = o->color && has_colors();
	if (use_color) {
		start_color();
		use_default_colors();
		init_pair(PAIR_HEADER, COLOR_CYAN, -1);
		init_pair(PAIR_SELECT, COLOR_BLACK, COLOR_CYAN);
		init_pair(PAIR_ERROR, COLOR_RED, -1);
		init_pair(PAIR_BUSY, COLOR_YELLOW, -1);
		init_pair(PAIR_BAR, COLOR_BLACK, COLOR_CYAN);
		init_pair(PAIR_TITLE, COLOR_BLACK, COLOR_GREEN);
		init_pair(PAIR_METER, COLOR_GREEN, -1);
		init_pair(PAIR_PAUSED, COLOR_YELLOW, -1);
		init_pair(PAIR_INPUT, COLOR_WHITE, -1);
	}
	top->screen_rows = LINES;
	top->screen_cols = COLS;
}

void
screen_end(void)
{
	if (!isendwin()) {
		curs_set(1);
		endwin();
	}
}

void
screen_resize(struct top *top)
{
	struct winsize	 ws;

	/* Only on a real change: resizeterm queues a KEY_RESIZE itself. */
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0 && (ws.ws_row != LINES || ws.ws_col != COLS))
		resizeterm(ws.ws_row, ws.ws_col);
	top->screen_rows = LINES;
	top->screen_cols = COLS;
}

/* Key (1), mouse (2) or nothing (0). */
int
screen_getkey(int *key, int *my, int *mx, int *wheel)
{
	wint_t	 wch;
	int	 r;
	MEVENT	 me;

	r = wget_wch(stdscr, &wch);
	if (r == ERR)
		return (0);
	*key = (int)wch;
	if (r == KEY_CODE_YES && wch == KEY_MOUSE) {
		if (getmouse(&me) != OK)
			return (0);
		*my = me.y;
		*mx = me.x;
		*wheel = (me.bstate & BUTTON4_PRESSED) ? -1 :
		    (me.bstate & BUTTON5_PRESSED) ? 1 : 0;
		return (2);
	}
	return (1);
}

/* Text clipped to w columns (ASCII and the glyphs are one column each). */
static void
put_clipped(int y, int x, int w, const char *s)
{
	int	 n = 0;
	const char *p = s;

	if (w <= 0 || y < 0 || y >= LINES || x >= COLS)
		return;
	if (x + w > COLS)
		w = COLS - x;
	/* Count columns of UTF-8 text: one per lead byte. */
	while (*p != '\0' && n < w) {
		p++;
		while ((*p & 0xc0) == 0x80)
			p++;
		n++;
	}
	mvaddnstr(y, x, s, p - s);
}

void
screen_text(int y, int x, int w, int attr, const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	attron(attr);
	put_clipped(y, x, w, buf);
	attroff(attr);
}

/* Fills w columns at (y, x) with spaces. */
static void
blank(int y, int x, int w)
{
	if (y < 0 || y >= LINES || x >= COLS || w <= 0)
		return;
	if (x + w > COLS)
		w = COLS - x;
	mvhline(y, x, ' ', w);
}

void
screen_box(int y, int x, int h, int w, const char *title)
{
	int	 i, j;

	for (i = 0; i < h; i++)
		blank(y + i, x, w);
	for (j = 1; j < w - 1; j++) {
		put_clipped(y, x + j, 1, g->h);
		put_clipped(y + h - 1, x + j, 1, g->h);
	}
	for (i = 1; i < h - 1; i++) {
		put_clipped(y + i, x, 1, g->v);
		put_clipped(y + i, x + w - 1, 1, g->v);
	}
	put_clipped(y, x, 1, g->tl);
	put_clipped(y, x + w - 1, 1, g->tr);
	put_clipped(y + h - 1, x, 1, g->bl);
	put_clipped(y + h - 1, x + w - 1, 1, g->br);
	if (title != NULL && *title != '\0')
		screen_text(y, x + 2, w - 4, screen_attr("title"), " %s ",
		    title);
}

void
screen_slider(int y, int x, int w, const struct slider *s, int focus)
{
	long	 range = s->max - s->min;
	int	 knob, i;

	if (w < 3)
		return;
	knob = range > 0 ? (int)((double)(s->value - s->min) * (w - 1) /
	    range + 0.5) : 0;
	if (knob < 0)
		knob = 0;
	if (knob > w - 1)
		knob = w - 1;
	attron(focus ? screen_attr("meter") : 0);
	for (i = 0; i < w; i++)
		put_clipped(y, x + i, 1, i < knob ? g->full : i == knob ?
		    g->knob : g->empty);
	attroff(focus ? screen_attr("meter") : 0);
}

void
screen_sparkline(int y, int x, int w, const struct dom *d, const float *ring,
    double max)
{
	int	 i, lvl;
	double	 v;

	for (i = 0; i < w; i++) {
		/* Newest on the right. */
		v = dom_hist(d, ring, w - 1 - i);
		if (isnan(v)) {
			put_clipped(y, x + i, 1, " ");
			continue;
		}
		lvl = max > 0 ? (int)(v / max * 8) : 0;
		if (lvl > 7)
			lvl = 7;
		if (lvl < 0)
			lvl = 0;
		put_clipped(y, x + i, 1, g->spark[lvl]);
	}
}

/* An htop meter: label[|||||      text]. */
static void
meter(int y, int x, int w, const char *label, double frac, const char *text)
{
	int	 inner, n, i, tl;

	if (w < 8)
		return;
	screen_text(y, x, w, screen_attr("header"), "%s", label);
	x += strlen(label);
	w -= strlen(label);
	inner = w - 2;
	put_clipped(y, x, 1, "[");
	put_clipped(y, x + w - 1, 1, "]");
	n = isnan(frac) ? 0 : (int)(frac * inner + 0.5);
	if (n > inner)
		n = inner;
	tl = strlen(text);
	attron(screen_attr("meter"));
	for (i = 0; i < inner - tl && i < n; i++)
		put_clipped(y, x + 1 + i, 1, "|");
	attroff(screen_attr("meter"));
	for (; i < inner - tl; i++)
		put_clipped(y, x + 1 + i, 1, " ");
	screen_text(y, x + 1 + (inner - tl > 0 ? inner - tl : 0), inner, 0,
	    "%s", text);
}

static double
host_uptime(void)
{
	FILE	*f = fopen("/proc/uptime", "re");
	double	 up = NAN;

	if (f != NULL) {
		if (fscanf(f, "%lf", &up) != 1)
			up = NAN;
		fclose(f);
	}
	return (up);
}

/* The header; returns the next free line. */
static int
draw_header(struct top *top)
{
	struct host	*h = &top->model.host;
	char		 a[32], b[32], c[32], d[32], e[32], up[32], now[16];
	char		 text[64], label[16];
	time_t		 t = time(NULL);
	int		 y = 0, i, w, per, x;
	struct tm	 tm;

	localtime_r(&t, &tm);
	strftime(now, sizeof now, "%H:%M:%S", &tm);
	blank(0, 0, COLS);
	screen_text(y, 0, COLS, screen_attr("header"), "xm top - %s", h->known ?
	    h->name : "-");
	screen_text(y, 10 + strlen(h->known ? h->name : "-"), COLS, 0,
	    "%s  up %s  xend up %s  load %s %s %s", h->accel[0] ? h->accel :
	    "-", fmt_uptime(host_uptime(), up, sizeof up),
	    fmt_uptime(h->xend_uptime, a, sizeof a),
	    fmt_num(h->load[0], "%.2f", b, sizeof b),
	    fmt_num(h->load[1], "%.2f", c, sizeof c),
	    fmt_num(h->load[2], "%.2f", d, sizeof d));
	screen_text(y, COLS - 9, 9, 0, " %s", now);
	y++;

	/* CPU meters, as many to a line as fit. */
	if (h->ncpus > 0) {
		per = COLS / 40 > 0 ? COLS / 40 : 1;
		if (per > 4)
			per = 4;
		w = COLS / per;
		for (i = 0; i < h->ncpus; i++) {
			if (i % per == 0)
				blank(y + i / per, 0, COLS);
			snprintf(label, sizeof label, "CPU%-2d", h->cpu_id[i]);
			fmt_num(h->cpu_pct[i], "%.1f%%", text, sizeof text);
			meter(y + i / per, (i % per) * w, w - 1, label,
			    isnan(h->cpu_pct[i]) ? NAN : h->cpu_pct[i] / 100,
			    text);
		}
		y += (h->ncpus + per - 1) / per;
	} else {
		blank(y, 0, COLS);
		screen_text(y, 0, COLS, screen_attr("header"), "CPUs");
		screen_text(y, 5, COLS - 5, 0, "%s  per-CPU load: - (%s)",
		    fmt_num(h->nr_cpus, "%.0f", a, sizeof a), h->known ?
		    "host.info has no cpus" : "no host.info yet");
		y++;
	}

	/* Memory: used by domains of the total; free; dom0's reserve. */
	blank(y, 0, COLS);
	x = COLS / 2 > 40 ? COLS / 2 : 40;
	snprintf(text, sizeof text, "%s/%sMB", fmt_num(h->claimed, "%.0f", a,
	    sizeof a), fmt_num(h->total, "%.0f", b, sizeof b));
	meter(y, 0, x - 1, "Mem  ", isnan(h->claimed) || isnan(h->total) ||
	    h->total <= 0 ? NAN : h->claimed / h->total, text);
	screen_text(y, x, COLS - x, 0, " free %s MB  dom0 min %s MB",
	    fmt_num(h->free, "%.0f", c, sizeof c), fmt_num(h->dom0_min,
	    "%.0f", d, sizeof d));
	y++;

	blank(y, 0, COLS);
	screen_text(y, 0, COLS, screen_attr("header"), "Domains");
	screen_text(y, 8, COLS - 8, 0, "%s%s%s%s  %s  every %gs%s%s",
	    fmt_num(h->nr_domains, "%.0f", e, sizeof e), h->by_state[0] ?
	    " (" : "", h->by_state, h->by_state[0] ? ")" : "",
	    top->view.cpu_host ? "HOST% = share of the host" :
	    "CPU% = percent of one CPU", top->delay,
	    top->view.filter[0] ? "  filter: " : "", top->view.filter);
	y++;
	if (top->conn_error != NULL) {
		blank(y, 0, COLS);
		screen_text(y, 0, COLS, screen_attr("error"), "xend: %s; "
		    "retrying", top->conn_error);
		y++;
	} else if (top->refresh_inflight > 0 && time_mono() -
	    top->refresh_sent > 5) {
		blank(y, 0, COLS);
		screen_text(y, 0, COLS, screen_attr("error"), "xend has not "
		    "answered for %.0f s: the figures are stale",
		    time_mono() - top->refresh_sent);
		y++;
	} else if (h->error != NULL) {
		blank(y, 0, COLS);
		screen_text(y, 0, COLS, screen_attr("error"), "host.info: %s",
		    h->error);
		y++;
	}
	return (y);
}

/* One row of the list into buf, the name column separate. */
static void
draw_row(struct top *top, int y, struct dom *d, int selected, double now)
{
	struct top_view	*v = &top->view;
	char		 line[1024], cell[256];
	int		 i, o = 0, id, w, start, attr = 0, noteattr = 0;
	int		 namew = 0;

	for (i = 0; i < v->ncols; i++) {
		id = v->cols[i];
		w = top_columns[id].width;
		column_format(v, d, id, cell, sizeof cell, now);
		if (id == COL_NOTE && cell[0] != '\0')
			noteattr = d->busy != NULL ? screen_attr("busy") :
			    d->error != NULL ? screen_attr("error") :
			    screen_attr("busy");
		if (i == v->ncols - 1 && top_columns[id].left)
			o += snprintf(line + o, sizeof line - o, "%s", cell);
		else if (top_columns[id].left)
			o += snprintf(line + o, sizeof line - o, "%-*.*s ", w, w,
			    cell);
		else
			o += snprintf(line + o, sizeof line - o, "%*s ", w,
			    cell);
		if (o >= (int)sizeof line)
			o = sizeof line - 1;
		if (i == 0 && id == COL_NAME)
			namew = o;
	}
	if (selected)
		attr = screen_attr("select");
	else if (d->state[2] == 'p')
		attr = screen_attr("paused");
	else if (d->state[4] == 'c')
		attr = screen_attr("error");
	blank(y, 0, COLS);
	attron(attr);
	if (selected)
		mvhline(y, 0, ' ', COLS);
	put_clipped(y, 0, namew, line);
	start = namew + top->hscroll;
	if (start < o)
		put_clipped(y, namew, COLS - namew, line + start);
	attroff(attr);
	if (!selected && noteattr != 0 && v->cols[v->ncols - 1] == COL_NOTE) {
		column_format(v, d, COL_NOTE, cell, sizeof cell, now);
		w = o - (int)strlen(cell) - top->hscroll;
		if (w >= namew)
			screen_text(y, w, COLS - w, noteattr, "%s", cell);
	}
}

static void
draw_list(struct top *top, int y, int h, double now)
{
	struct top_view	*v = &top->view;
	char		 line[1024], title[32];
	int		 i, o = 0, id, w, namew = 0, start;
	size_t		 r;

	/* Column titles; the sort column is marked. */
	for (i = 0; i < v->ncols; i++) {
		id = v->cols[i];
		w = top_columns[id].width;
		snprintf(title, sizeof title, "%s%s", column_title(v, id),
		    v->sort_col == id ? (v->sort_reverse ? "v" : "^") : "");
		if (top_columns[id].left)
			o += snprintf(line + o, sizeof line - o, "%-*s ", w,
			    title);
		else
			o += snprintf(line + o, sizeof line - o, "%*s ", w,
			    title);
		if (o >= (int)sizeof line)
			o = sizeof line - 1;
		if (i == 0 && id == COL_NAME)
			namew = o;
	}
	attron(screen_attr("title"));
	mvhline(y, 0, ' ', COLS);
	put_clipped(y, 0, namew, line);
	start = namew + top->hscroll;
	if (start < o)
		put_clipped(y, namew, COLS - namew, line + start);
	attroff(screen_attr("title"));
	y++;
	h--;
	top->list_y = y;
	top->list.height = h > 0 ? h : 1;
	panel_scroll(&top->list);
	for (i = 0; i < h; i++) {
		r = top->list.top + i;
		if (r >= top->nrows) {
			blank(y + i, 0, COLS);
			if (r == 0 && i == 0)
				screen_text(y, 0, COLS, screen_attr("dim"),
				    "%s", top->view.filter[0] ? "no domain "
				    "matches the filter" : top->refreshes ?
				    "no domains" : "waiting for xend...");
			continue;
		}
		draw_row(top, y + i, top->rows[r], r == top->list.selected, now);
	}
}

/*
 * The console line and one line per client attached, from xenconsoled
 * (top.c asks it while the detail view is shown).
 */
static void
draw_console(struct top *top, struct dom *d, int *yp, int end)
{
	json_t		*clients, *cl, *vnc;
	size_t		 k;
	int		 y = *yp, held = 0;
	char		 a[32], v[16], n[16], o[32], since[16];
	const char	*role;
	time_t		 t;
	struct tm	 tm;

	if (y >= end)
		return;
	clients = json_object_get(top->console, "clients");
	vnc = json_object_get(top->console, "vnc");
	if (vnc != NULL)
		snprintf(v, sizeof v, "%lld", (long long)json_integer_value(
		    json_object_get(vnc, "port")));
	else
		snprintf(v, sizeof v, "-");
	if (top->console != NULL) {
		snprintf(n, sizeof n, "%zu", json_array_size(clients));
		snprintf(o, sizeof o, "%lld", (long long)json_integer_value(
		    json_object_get(top->console, "bytes_in")));
	} else
		snprintf(n, sizeof n, "-");
	screen_text(y++, 2, COLS - 2, 0, "console port %s  vnc %s  clients %s"
	    "  bytes from guest %s", fmt_num(d->console_port, "%.0f", a,
	    sizeof a), v, n, top->console != NULL ? o : "-");
	if (top->console_error != NULL && y < end)
		screen_text(y++, 2, COLS - 2, screen_attr("dim"), "%s",
		    top->console_error);
	json_array_foreach(clients, k, cl)
		held |= json_is_true(json_object_get(cl, "input"));
	json_array_foreach(clients, k, cl) {
		if (y >= end)
			break;
		if (json_is_true(json_object_get(cl, "input")))
			role = "input";
		else
			role = held ? "read-only" : "-";
		t = (time_t)json_number_value(json_object_get(cl, "since"));
		localtime_r(&t, &tm);
		strftime(since, sizeof since, "%H:%M:%S", &tm);
		screen_text(y++, 4, COLS - 4, 0, "#%lld %-6s %-28s %-9s since "
		    "%s", (long long)json_integer_value(json_object_get(cl,
		    "id")), json_string_value(json_object_get(cl, "kind")) ?:
		    "-", json_string_value(json_object_get(cl, "peer")) ?: "-",
		    role, since);
	}
	*yp = y;
}

/* The detail view of the selected domain. */
static void
draw_detail(struct top *top, int y, int h, double now)
{
	struct dom	*d = top_selected(top);
	struct domcfg	*cfg = NULL;
	json_t		*v, *e;
	char		*cause;
	char		 a[32], b[32], c[32], e1[32], note[160], vif[16];
	int		 end = y + h, w, i;
	size_t		 k;
	double		 cmax;
	const char	*s;

	for (i = 0; i < h; i++)
		blank(y + i, 0, COLS);
	if (d == NULL)
		return;
	v = top->config;		/* domain.get, for the domain shown */
	if (v != NULL && (cfg = domcfg_from_json(v, &cause)) == NULL)
		free(cause);
	screen_text(y, 0, COLS, screen_attr("title"), " %s (id %d) ", d->name,
	    d->domid);
	dom_note(d, note, sizeof note, now);
	s = json_string_value(json_object_get(d->full, "shutdown_reason"));
	screen_text(y, strlen(d->name) + 12, COLS, 0, " %s %s  up %s  "
	    "restarts %s%s%s  %s", d->state, d->status, fmt_uptime(d->uptime,
	    a, sizeof a), fmt_num(d->restart_count, "%.0f", b, sizeof b),
	    s != NULL ? ", last stop: " : "", s != NULL ? s : "", note);
	y += 2;
	w = COLS - 30 > 10 ? COLS - 30 : 10;
	if (w > TOP_HIST)
		w = TOP_HIST;
	/* CPU scaled to the busiest sample or one CPU, whichever is more. */
	cmax = 100;
	for (i = 0; i < d->hist_len && i < w; i++)
		if (dom_hist(d, d->hist_cpu, i) > cmax)
			cmax = dom_hist(d, d->hist_cpu, i);
	screen_text(y, 0, 14, screen_attr("header"), "CPU %s", fmt_num(
	    d->cpu_pct, "%.1f%%", a, sizeof a));
	screen_sparkline(y, 14, w, d, d->hist_cpu, cmax);
	screen_text(y, 15 + w, COLS, screen_attr("dim"), "%ds, max %.0f%%",
	    (int)(w * top->delay), cmax);
	y++;
	screen_text(y, 0, 14, screen_attr("header"), "Mem %s MB", fmt_num(
	    d->memory, "%.0f", a, sizeof a));
	screen_sparkline(y, 14, w, d, d->hist_mem, isnan(d->maxmem) ?
	    d->memory : d->maxmem);
	screen_text(y, 15 + w, COLS, screen_attr("dim"), "of max %s MB",
	    fmt_num(d->maxmem, "%.0f", b, sizeof b));
	y++;
	screen_text(y, 0, COLS, 0, "memory actual %s  target %s  max %s MB   "
	    "net rx %s/s tx %s/s   disk rd %s/s wr %s/s",
	    fmt_num(d->memory, "%.0f", a, sizeof a),
	    fmt_num(d->memory_target, "%.0f", b, sizeof b),
	    fmt_num(d->maxmem, "%.0f", c, sizeof c),
	    fmt_bytes_rate(d->rates[STAT_NET_RX], e1, sizeof e1),
	    fmt_bytes_rate(d->rates[STAT_NET_TX], note, sizeof note),
	    fmt_bytes_rate(d->rates[STAT_BLK_RD], a, sizeof a),
	    fmt_bytes_rate(d->rates[STAT_BLK_WR], b, sizeof b));
	y += 2;

	if (y < end)
		screen_text(y++, 0, COLS, screen_attr("header"), "Scheduler");
	if (y < end) {
		screen_text(y++, 2, COLS - 2, 0, "credit weight %s cap %s   "
		    "sedf period %s ms slice %s ms",
		    fmt_num(d->weight, "%.0f", a, sizeof a),
		    fmt_num(d->cap, "%.0f", b, sizeof b),
		    fmt_num(d->period, "%.0f", c, sizeof c),
		    fmt_num(d->slice, "%.0f", e1, sizeof e1));
	}
	if (y < end)
		screen_text(y++, 0, COLS, screen_attr("header"), "vCPUs "
		    "(online %s of %s)", fmt_num(d->vcpus_online, "%.0f", a,
		    sizeof a), fmt_num(d->vcpus, "%.0f", b, sizeof b));
	if (top->vcpu_error != NULL && y < end)
		screen_text(y++, 2, COLS - 2, screen_attr("error"), "%s",
		    top->vcpu_error);
	else if (top->vcpu_list == NULL && y < end)
		screen_text(y++, 2, COLS - 2, screen_attr("dim"), "%s",
		    d->domid == 0 ? "Domain-0: the host's own CPUs" :
		    "reading...");
	else if (y < end) {
		screen_text(y++, 2, COLS - 2, screen_attr("dim"), "%-5s %-7s "
		    "%-4s %10s  %-12s %s", "vCPU", "online", "CPU", "time(s)",
		    "affinity", "state");
		json_array_foreach(top->vcpu_list, k, v) {
			if (y >= end)
				break;
			e = json_object_get(v, "affinity");
			screen_text(y++, 2, COLS - 2, 0, "%-5s %-7s %-4s %10s  "
			    "%-12s %s", fmt_num(json_is_number(json_object_get(
			    v, "vcpu")) ? json_number_value(json_object_get(v,
			    "vcpu")) : NAN, "%.0f", a, sizeof a),
			    json_is_boolean(json_object_get(v, "online")) ?
			    (json_is_true(json_object_get(v, "online")) ?
			    "yes" : "no") : "-",
			    fmt_num(json_is_number(json_object_get(v, "cpu")) ?
			    json_number_value(json_object_get(v, "cpu")) : NAN,
			    "%.0f", b, sizeof b),
			    fmt_num(json_is_number(json_object_get(v,
			    "cpu_time")) ? json_number_value(json_object_get(v,
			    "cpu_time")) : NAN, "%.1f", c, sizeof c),
			    json_is_string(e) ? json_string_value(e) : "-",
			    json_is_string(json_object_get(v, "state")) ?
			    json_string_value(json_object_get(v, "state")) :
			    "-");
		}
	}
	if (top->config_error != NULL && y < end)
		screen_text(y++, 0, COLS, screen_attr("dim"), "%s",
		    top->config_error);
	if (y < end)
		screen_text(y++, 0, COLS, screen_attr("header"), "Disks");
	for (k = 0; cfg != NULL && k < cfg->ndisks && y < end; k++) {
		screen_text(y++, 2, COLS - 2, 0, "%-8s %-3s %s",
		    cfg->disks[k].dev, cfg->disks[k].mode, cfg->disks[k].uname);
	}
	if (y < end && (cfg == NULL || cfg->ndisks == 0))
		screen_text(y++, 2, COLS - 2, screen_attr("dim"), "%s", cfg ==
		    NULL ? "-" : "none");
	if (y < end)
		screen_text(y++, 0, COLS, screen_attr("header"), "Network");
	/* xend's view: the interfaces now, the bridge, the address leased. */
	json_array_foreach(json_object_get(d->full, "network"), k, e) {
		if (y >= end)
			break;
		s = json_string_value(json_object_get(e, "ip_source"));
		screen_text(y++, 2, COLS - 2, 0, "%s  mac %s  bridge %s  ip %s%s",
		    json_string_value(json_object_get(e, "vifname")) ?: "-",
		    json_string_value(json_object_get(e, "mac")) ?: "-",
		    json_string_value(json_object_get(e, "bridge")) ?: "-",
		    json_string_value(json_object_get(e, "ip")) ?: "-",
		    s != NULL && strcmp(s, "lease") == 0 ? " (dhcp)" : "");
	}
	/* An older xend's reply has none: the config's. */
	for (k = 0; json_object_get(d->full, "network") == NULL &&
	    cfg != NULL && k < cfg->nvifs && y < end; k++) {
		xendcfg_vif_name(&top->cfg, d->domid, (int)k, vif, sizeof vif);
		screen_text(y++, 2, COLS - 2, 0, "%s  mac %s  bridge %s"
		    "  ip %s", vif, cfg->vifs[k].mac ?: "-",
		    cfg->vifs[k].bridge ?: "default", cfg->vifs[k].ip ?: "-");
	}
	if (y < end && json_array_size(json_object_get(d->full, "network")) ==
	    0 && (cfg == NULL || cfg->nvifs == 0))
		screen_text(y++, 2, COLS - 2, screen_attr("dim"), "%s", cfg ==
		    NULL ? "-" : "none");
	if (y < end)
		screen_text(y++, 0, COLS, screen_attr("header"), "Policy and "
		    "console");
	if (y < end) {
		screen_text(y++, 2, COLS - 2, 0, "on_poweroff %s  on_reboot %s  "
		    "on_crash %s", cfg != NULL ? cfg->on_poweroff : "-",
		    cfg != NULL ? cfg->on_reboot : "-",
		    cfg != NULL ? cfg->on_crash : "-");
	}
	domcfg_free(cfg);
	draw_console(top, d, &y, end);
}

/* The status line and the key bar. */
static void
draw_bar(struct top *top)
{
	size_t		 i;
	int		 x = 0, y = LINES - 1, n;
	char		 k[16];
	double		 now = time_mono();

	blank(LINES - 2, 0, COLS);
	if (top->status[0] != '\0' && (top->status_error || now -
	    top->status_time < 10))
		screen_text(LINES - 2, 0, COLS, top->status_error ?
		    screen_attr("error") : 0, "%s", top->status);
	blank(y, 0, COLS);
	for (i = 0; i < top_nactions && x < COLS; i++) {
		if (top_actions[i].bar == NULL ||
		    !(top_actions[i].modes & top->mode))
			continue;
		top_key_name(top_actions[i].key, k, sizeof k);
		n = strlen(k) + strlen(top_actions[i].bar) + 1;
		if (x + n > COLS)
			break;
		screen_text(y, x, COLS - x, A_BOLD, "%s", k);
		x += strlen(k);
		screen_text(y, x, COLS - x, screen_attr("bar"), "%s",
		    top_actions[i].bar);
		x += strlen(top_actions[i].bar) + 1;
	}
}

void
screen_draw(struct top *top, int what)
{
	int	 y, h;
	double	 now = time_mono();

	if (what & RD_CLEAR)
		clearok(curscr, TRUE);
	if (LINES < 8 || COLS < 30) {
		erase();
		screen_text(0, 0, COLS, 0, "too small");
		refresh();
		return;
	}
	curs_set(0);
	y = draw_header(top);
	h = LINES - 2 - y;
	if (top->mode == MODE_DETAIL)
		draw_detail(top, y, h, now);
	else {
		blank(y, 0, COLS);
		draw_list(top, y + 1, h - 1, now);
	}
	draw_bar(top);
	if (top->dialog != NULL) {
		top->dialog->ops->draw(top, top->dialog);
		if (top->dialog != NULL && top->dialog->ops ==
		    &dialog_prompt_ops)
			curs_set(1);
	}
	refresh();
}

int
screen_run_child(struct top *top, char *const argv[], const char *banner)
{
	pid_t			 pid;
	int			 status = 0;
	struct sigaction	 sa, old_int, old_quit;

	def_prog_mode();
	endwin();
	if (banner != NULL) {
		fputs(banner, stdout);
		fflush(stdout);
	}
	/* The child owns the terminal: our keys are its keys. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGQUIT, &sa, &old_quit);
	switch ((pid = fork())) {
	case -1:
		status = -1;
		break;
	case 0:
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGWINCH, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "xm top: cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	default:
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		break;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	reset_prog_mode();
	screen_resize(top);
	clearok(curscr, TRUE);
	return (status);
}
