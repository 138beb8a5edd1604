/*
 * top.h: xm top, the full-screen dashboard over xend's API (and its batch
 * mode).  One header for the program, a section per file.
 *
 * Shape (after htop's Panel / ScreenManager / Action split):
 *  - model.c keeps what xend said: struct dom per domain, struct host, and
 *    the rates and histories derived from successive samples.  One refresh
 *    is one round trip: domain.list and host.info written back to back,
 *    answered on the same connection; no per-domain request.
 *  - jscan.c reads domain.list replies without building a JSON tree (a
 *    500-domain reply is 600 KB a second; a jansson tree of it costs more
 *    CPU than the whole dashboard may use).
 *  - columns.c: the column table (title, width, formatter, sort key),
 *    sorting, filtering, the selection kept on its domain.
 *  - widget.c: the widgets: panel (a scrolling list with a selection),
 *    slider, text field, meter, check grid.  Their key handling is pure
 *    logic, drawn by screen.c.
 *  - dialog.c: modal dialogs built from widgets (balloon slider, scheduler,
 *    vCPU pin grid, confirm, prompt, columns, help), each a small struct
 *    with key/draw/free operations.
 *  - keys.c: the key -> action table; every handler returns what to redraw.
 *  - actions.c: domain actions, sent asynchronously; the row shows them in
 *    flight and their errors.
 *  - conn.c: the xend connection: requests in flight matched by id, events.
 *  - screen.c: curses drawing, terminal set-up (UTF-8 or ASCII, colour or
 *    NO_COLOR, mouse), console hand-over.
 *  - batch.c: -b output as text, CSV or JSON lines.
 *  - settings.c: ~/.config/xm-top/settings.
 *
 * Numbers xend may not send are doubles, NAN when absent: they print as
 * "-" (empty in CSV, null in JSON) and are never guessed.
 */
#ifndef TOP_H
#define TOP_H

#include <jansson.h>
#include <stddef.h>

#include "client.h"
#include "xendcfg.h"

/* Keys beyond curses' own, for the action table. */
#define TOP_KEY_CTRL(c)	((c) & 0x1f)
#define TOP_KEY_ESC	27
#define TOP_KEY_ENTER	'\n'

#define TOP_HIST	300	/* samples kept per domain for sparklines */
#define TOP_NAME_MAX	64

/* ---- jscan.c: a JSON scanner over a byte range, no allocation. ------ */

/* The end of the JSON value starting at p (whitespace skipped), or NULL. */
const char	*jscan_skip(const char *p, const char *end);
/* p with leading whitespace skipped. */
const char	*jscan_ws(const char *p, const char *end);
/*
 * Calls fn for each member of the object at p with the raw key (no quotes,
 * escapes kept) and the value's span.  Returns 0, or -1 if malformed or fn
 * returned non-zero.
 */
typedef int	 (*jscan_member_fn)(const char *key, size_t klen,
		     const char *v, const char *vend, void *arg);
int		 jscan_object(const char *p, const char *end,
		     jscan_member_fn, void *arg);
typedef int	 (*jscan_item_fn)(const char *v, const char *vend, void *arg);
int		 jscan_array(const char *p, const char *end,
		     jscan_item_fn, void *arg);
/* A number, or NAN if the span is not one (null, string...). */
double		 jscan_number(const char *v, const char *vend);
/* A string into buf (escapes decoded, truncated); -1 if not a string. */
int		 jscan_string(const char *v, const char *vend, char *buf,
		     size_t size);
int		 jscan_key_is(const char *key, size_t klen, const char *name);

/* ---- model.c --------------------------------------------------------- */

enum top_stat { STAT_NET_RX, STAT_NET_TX, STAT_BLK_RD, STAT_BLK_WR,
	STAT_COUNT };

struct dom {
	int	 domid;
	char	 name[TOP_NAME_MAX + 1];
	char	 state[8];		/* "r-----" */
	char	 status[16];		/* "running" */
	double	 memory;		/* actual MB */
	double	 memory_target;		/* NAN if xend does not say */
	double	 maxmem;
	double	 vcpus, vcpus_online;
	double	 cpu;			/* host CPU of vCPU 0 */
	double	 cpu_time;		/* seconds */
	double	 console_port;
	double	 uptime;
	double	 restart_count;
	double	 weight, cap;		/* sched.credit */
	double	 period, slice;		/* sched.sedf */
	double	 stats[STAT_COUNT];	/* cumulative bytes */

	/* Derived from two samples; NAN on the first. */
	double	 cpu_pct;		/* percent of one CPU */
	double	 rates[STAT_COUNT];	/* bytes per second */

	double	 prev_time;		/* when the previous sample came */
	double	 prev_cpu_time;
	double	 prev_stats[STAT_COUNT];

	float	 hist_cpu[TOP_HIST];	/* ring, percent of one CPU */
	float	 hist_mem[TOP_HIST];	/* ring, MB */
	int	 hist_len, hist_pos;

	/* An action in flight (busy) or the last one's error. */
	char	*busy;
	double	 busy_since;
	char	*error;
	double	 error_time;
	int	 shutting_down;		/* shutdown/reboot asked: watch it end */
	double	 busy_restarts;		/* restart_count when it was asked */

	unsigned generation;		/* last refresh that listed it */
	json_t	*full;			/* the whole object (detail view) */
};

struct host {
	char	 name[128];
	char	 accel[16];
	double	 nr_cpus;
	double	 total, free, claimed, dom0_min;	/* MB */
	double	 load[3];
	double	 xend_uptime;
	double	 nr_domains;
	char	 by_state[160];		/* "2 running, 1 paused" */
	int	 ncpus;			/* entries of host.info cpus */
	double	*cpu_busy, *cpu_prev, *cpu_pct;
	int	*cpu_id;		/* the "cpu" of each entry */
	double	 cpu_time, cpu_prev_time;
	int	 known;			/* a host.info reply arrived */
	json_t	*info;			/* the last host.info, for batch JSON */
	char	*error;			/* host.info failed */
};

struct model {
	struct dom	**doms;		/* sorted by domid */
	size_t		  ndoms, cap;
	struct host	  host;
	unsigned	  generation;
	double		  sample_time;	/* of the last domain.list */
	double		  refreshes;
};

void		 model_init(struct model *);
void		 model_free(struct model *);
struct dom	*model_find(struct model *, int domid);
struct dom	*model_find_name(struct model *, const char *name);
/*
 * Applies a domain.list result (the raw JSON array) sampled at time now:
 * updates or adds every domain, drops the rest.  *detail_domid's object is
 * kept whole in dom->full.  Returns 0, or -1 with *cause if malformed.
 */
int		 model_update_list(struct model *, const char *v,
		     const char *vend, double now, int detail_domid,
		     char **cause);
/* Applies one domain object (an event's): added or changed. */
struct dom	*model_update_one(struct model *, const char *v,
		     const char *vend, double now, int detail_domid);
void		 model_remove(struct model *, int domid);
void		 model_update_host(struct model *, json_t *info, double now);
void		 model_host_error(struct model *, const char *);
void		 dom_set_busy(struct dom *, const char *, double now);
void		 dom_set_error(struct dom *, const char *, double now);
void		 dom_clear(struct dom *);
/* The i-th newest history sample (0 = newest); NAN past the end. */
double		 dom_hist(const struct dom *, const float *ring, int i);

/* ---- columns.c ------------------------------------------------------- */

enum col_id {
	COL_NAME, COL_ID, COL_STATE, COL_CPU_PCT, COL_CPU_TIME, COL_MEM,
	COL_TARGET, COL_MAXMEM, COL_VCPUS, COL_CONSOLE, COL_NET_RX,
	COL_NET_TX, COL_BLK_RD, COL_BLK_WR, COL_UPTIME, COL_NOTE, COL_COUNT
};

struct top_view;

struct column {
	enum col_id	 id;
	const char	*key;		/* settings, CSV and JSON name */
	const char	*title;
	int		 width;
	int		 left;		/* left-aligned */
	const char	*help;
};
extern const struct column top_columns[COL_COUNT];

/* Column by key, or -1. */
int		 column_find(const char *key);
/* Formats d's cell for column id into buf ("-" when unknown). */
void		 column_format(const struct top_view *, const struct dom *,
		     enum col_id, char *buf, size_t size, double now);
/* The cell as a number for sorting and JSON: NAN when unknown or text. */
double		 column_value(const struct top_view *, const struct dom *,
		     enum col_id);
/* The column's title given the CPU% mode. */
const char	*column_title(const struct top_view *, enum col_id);
/* The activity text of a row ("pausing", "error: ...", "ballooning"). */
void		 dom_note(const struct dom *, char *buf, size_t size,
		     double now);

char		*fmt_bytes_rate(double bps, char *buf, size_t size);
char		*fmt_uptime(double secs, char *buf, size_t size);
char		*fmt_num(double v, const char *fmt, char *buf, size_t size);

/* ---- widget.c -------------------------------------------------------- */

/* Key results of widgets. */
#define WIDGET_IGNORED	0	/* not a key this widget takes */
#define WIDGET_HANDLED	1	/* taken; redraw it */

/* A scrolling list with a selection (htop's Panel). */
struct panel {
	size_t	 count;
	size_t	 selected;
	size_t	 top;		/* first visible item */
	int	 height;	/* visible items */
};
void	 panel_set_count(struct panel *, size_t);
void	 panel_select(struct panel *, size_t);
void	 panel_scroll(struct panel *);	/* keeps the selection visible */
int	 panel_key(struct panel *, int key);

struct slider {
	long	 min, max, value, orig;
	long	 step, big;
	int	 typing;	/* digits typed since the last step */
};
void	 slider_init(struct slider *, long min, long max, long value,
	     long step, long big);
int	 slider_key(struct slider *, int key);
void	 slider_revert(struct slider *);
long	 slider_clamp(struct slider *);	/* into [min, max]; the value */

struct textfield {
	char	 buf[256];
	size_t	 len;
	size_t	 cursor;
};
void	 textfield_set(struct textfield *, const char *);
int	 textfield_key(struct textfield *, int key);

/* A grid of checkboxes (vCPU x host CPU) with a cursor. */
struct checkgrid {
	int		 rows, cols;
	unsigned char	*cells;
	int		 row, col;
};
void	 checkgrid_init(struct checkgrid *, int rows, int cols);
void	 checkgrid_free(struct checkgrid *);
int	 checkgrid_get(const struct checkgrid *, int r, int c);
void	 checkgrid_set(struct checkgrid *, int r, int c, int on);
int	 checkgrid_key(struct checkgrid *, int key);

/* ---- dialog.c -------------------------------------------------------- */

struct top;
struct dialog;

struct dialog_ops {
	const char	*kind;
	int		(*key)(struct top *, struct dialog *, int key);
	void		(*draw)(struct top *, struct dialog *);
	void		(*free)(struct dialog *);
};

enum prompt_kind { PROMPT_FILTER, PROMPT_DESTROY, PROMPT_CREATE,
	PROMPT_DELAY, PROMPT_SAVE, PROMPT_RESTORE };

/* Where the save dialog proposes to write (Xen's xendomains save dir). */
#define TOP_SAVE_DIR	"/var/lib/xen/save"

struct dialog {
	const struct dialog_ops	*ops;
	char			 title[96];
	int			 domid;
	char			 name[TOP_NAME_MAX + 1];
	char			*message;	/* a line of state or error */
	/* prompt / confirm */
	enum prompt_kind	 prompt;
	struct textfield	 text;
	int			 confirm_key;	/* 's' or 'r' for confirm */
	int			 option;	/* save: checkpoint; restore: paused */
	/* balloon */
	struct slider		 slider;
	/* scheduler: weight, cap, period, slice */
	struct slider		 sched[4];
	int			 sched_known[4];
	int			 focus;
	int			 loading;
	int			 sedf_unset;	/* xend reads 0/0: none set */
	/* pin grid */
	struct checkgrid	 grid;
	unsigned char		*orig_cells;	/* the grid as xend said */
	/* columns / help */
	struct panel		 list;
	int			 order[COL_COUNT];
	int			 shown[COL_COUNT];
};

void		 dialog_close(struct top *);
struct dialog	*dialog_new(const struct dialog_ops *, const char *title);
extern const struct dialog_ops dialog_prompt_ops, dialog_confirm_ops,
		 dialog_balloon_ops, dialog_sched_ops, dialog_pin_ops,
		 dialog_columns_ops, dialog_help_ops;
/* Opens dialogs on the selected domain (they fetch what they need). */
int		 dialog_open_prompt(struct top *, enum prompt_kind);
int		 dialog_open_confirm(struct top *, struct dom *, int key);
int		 dialog_open_balloon(struct top *, struct dom *);
int		 dialog_open_sched(struct top *, struct dom *);
int		 dialog_open_pin(struct top *, struct dom *);
int		 dialog_open_columns(struct top *);
int		 dialog_open_help(struct top *);
/* The help text lines (also "xm top --help-keys"). */
size_t		 help_lines(const char ***);

/* ---- keys.c ---------------------------------------------------------- */

/* What a handler asks to redraw. */
#define RD_NONE		0x00
#define RD_HEADER	0x01
#define RD_ROWS		0x02
#define RD_BAR		0x04
#define RD_DIALOG	0x08
#define RD_ALL		0x0f
#define RD_CLEAR	0x10	/* repaint the terminal from scratch */
#define RD_QUIT		0x20

enum top_mode { MODE_LIST = 0x1, MODE_DETAIL = 0x2 };

struct top_action {
	int		 key;
	int		 modes;		/* MODE_* where it applies */
	const char	*bar;		/* label in the bottom bar, or NULL */
	const char	*help;		/* NULL: an alias, not in the help */
	int		(*fn)(struct top *, int key);
};
extern const struct top_action top_actions[];
extern const size_t top_nactions;
/* The action for key in the current mode, or NULL. */
const struct top_action *action_find(int modes, int key);
/* Runs key: the open dialog first, then the table.  Returns RD_*. */
int		 top_key(struct top *, int key);
/* A mouse click at (y, x): selects a row or sorts by a column. */
int		 top_click(struct top *, int y, int x, int wheel);
const char	*top_key_name(int key, char *buf, size_t size);

/* ---- actions.c ------------------------------------------------------- */

int	 action_pause_toggle(struct top *, struct dom *);
int	 action_shutdown(struct top *, struct dom *, const char *mode);
int	 action_destroy(struct top *, struct dom *);
int	 action_mem_set(struct top *, struct dom *, long mb);
int	 action_sched(struct top *, struct dom *, const long *vals,
	     const int *changed);
int	 action_pin(struct top *, struct dom *, int vcpu, const char *cpus);
int	 action_create(struct top *, const char *cmdline);
/* domain.save / domain.restore of FILE (made absolute), in the background. */
int	 action_save(struct top *, struct dom *, const char *file,
	     int checkpoint);
int	 action_restore(struct top *, const char *file, int paused);
/* A job.progress event's "job": the status line's bar, the row's note. */
int	 action_job_event(struct top *, json_t *job);
/* Refuses actions on Domain-0 with a status message; 1 if refused. */
int	 action_refuse_dom0(struct top *, struct dom *);

/* ---- conn.c ---------------------------------------------------------- */

struct reply {
	json_t		*result;	/* parsed, unless the request was raw */
	const char	*raw, *raw_end;	/* the result's JSON text, if raw */
	const char	*code;		/* error code, or NULL on success */
	const char	*error;		/* error message */
};
typedef int	(*conn_cb)(struct top *, void *arg, struct reply *);

struct conn;
struct conn	*conn_new(const struct xendcfg *);
/* A connection to another daemon's control socket: no events. */
struct conn	*conn_new_path(const char *path);
void		 conn_free(struct conn *);
/* Connects (and subscribes) if not connected; -1 with *cause. */
int		 conn_open(struct conn *, char **cause);
int		 conn_fd(const struct conn *);	/* -1 when not connected */
int		 conn_connected(const struct conn *);
/*
 * Sends op (steals args); cb runs when the reply comes (it owns arg; it is
 * also called with code "disconnected" if the connection drops first).
 * raw: hand the result over unparsed.  Returns RD_* from a synchronous
 * failure callback, or RD_NONE.
 */
int		 conn_request(struct top *, const char *op, json_t *args,
		     int raw, conn_cb, void *arg);
int		 conn_request_on(struct top *, struct conn *, const char *op,
		     json_t *args, int raw, conn_cb, void *arg);
/* Reads what xend sent and dispatches it; returns RD_*. */
int		 conn_read(struct top *);
int		 conn_read_on(struct top *, struct conn *);
/* Requests sent since start, for the figures. */
unsigned long	 conn_requests(const struct conn *);

/* ---- top.c: the refresh cycle, shared by screen and batch. ----------- */

struct top_view {
	int	 cols[COL_COUNT];	/* shown, in order */
	int	 ncols;
	int	 sort_col;
	int	 sort_reverse;
	int	 cpu_host;		/* CPU% as share of the host */
	double	 nr_cpus;		/* for cpu_host */
	char	 filter[64];
};

struct top {
	struct xendcfg	 cfg;
	struct conn	*conn;
	struct conn	*consoled;	/* xenconsoled, for the detail view */
	struct model	 model;
	struct top_view	 view;
	double		 delay;		/* seconds between refreshes */
	int		 batch;

	/* The rows on screen: filtered, sorted. */
	struct dom	**rows;
	size_t		  nrows, rows_cap;
	struct panel	  list;
	int		  sel_domid;	/* the selection follows its domain */
	int		  hscroll;

	int		  mode;		/* MODE_LIST or MODE_DETAIL */
	struct dialog	 *dialog;

	/* Detail view. */
	json_t		 *vcpu_list;
	char		 *vcpu_error;
	json_t		 *config;	/* its domain.get config, or NULL */
	char		 *config_error;
	json_t		 *console;	/* xenconsoled's entry for it */
	char		 *console_error;
	int		  console_inflight;

	char		  status[256];
	int		  status_error;
	double		  status_time;

	int		  refresh_inflight;	/* replies awaited */
	double		  refresh_sent;		/* when the last one went */
	unsigned long	  refreshes;
	char		 *conn_error;	/* why we are not connected */
	int		  console_domid;	/* main loop: attach to it */
	char		 *settings_path;
	int		  screen_rows, screen_cols;	/* last drawn size */
	int		  list_y;	/* screen row of the first list row */
	double		  last_key_time;
	int		  want_refresh;
};

void	 top_init(struct top *);
void	 top_free(struct top *);
/* Sends one refresh (domain.list + host.info, and the detail's vCPUs). */
int	 top_refresh(struct top *);
/* Rebuilds rows: filter, sort, keep the selection on its domain. */
void	 top_rows(struct top *);
struct dom *top_selected(struct top *);
void	 top_select_domid(struct top *, int domid);
void	 top_status(struct top *, int error, const char *fmt, ...)
	     __attribute__((format(printf, 3, 4)));
void	 top_set_mode(struct top *, int mode);
int	 top_handle_event(struct top *, const char *line, size_t len);
/* Whether d passes the name filter (case-insensitive substring). */
int	 top_filter_match(const struct top_view *, const struct dom *);
/* Compare two rows under the view's sort; for qsort_r. */
int	 top_compare(const void *, const void *, void *view);

/* ---- screen.c -------------------------------------------------------- */

struct top_screen_opts {
	int	 ascii;		/* force ASCII line drawing */
	int	 color;		/* 0 if NO_COLOR or --no-color */
};
void	 screen_init(struct top *, const struct top_screen_opts *);
void	 screen_end(void);
void	 screen_draw(struct top *, int what);
/* Hands the terminal to argv (the console) and takes it back. */
int	 screen_run_child(struct top *, char *const argv[],
	     const char *banner);
int	 screen_getkey(int *key, int *mouse_y, int *mouse_x, int *wheel);
void	 screen_resize(struct top *);
/* Primitives dialogs draw with. */
void	 screen_box(int y, int x, int h, int w, const char *title);
void	 screen_text(int y, int x, int w, int attr, const char *fmt, ...)
	     __attribute__((format(printf, 5, 6)));
void	 screen_slider(int y, int x, int w, const struct slider *, int focus);
void	 screen_sparkline(int y, int x, int w, const struct dom *,
	     const float *ring, double max);
int	 screen_attr(const char *role);
int	 screen_lines(void);
int	 screen_cols(void);
const char *screen_check(int on);

/* ---- batch.c --------------------------------------------------------- */

enum batch_format { BATCH_TEXT, BATCH_CSV, BATCH_JSON };
/* Writes one iteration of rows (model + view) to f. */
void	 batch_print(struct top *, enum batch_format, int iteration,
	     double wall, void *f);
int	 batch_run(struct top *, enum batch_format, long iterations);

/* ---- settings.c ------------------------------------------------------ */

char	*settings_default_path(void);
int	 settings_load(struct top *, const char *path, char **cause);
int	 settings_save(const struct top *, const char *path, char **cause);
/* Parses "name,id,cpu" into view->cols; -1 with *cause. */
int	 settings_parse_columns(struct top_view *, const char *,
	     char **cause);

#endif
