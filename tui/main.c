/*
 * main.c: xm-top, run as "xm top": options, then either batch mode or the
 * screen's event loop (libevent: the terminal, the xend socket, the refresh
 * timer, SIGWINCH and the terminating signals).
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <curses.h>
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "top.h"

static const char usage_text[] =
"usage: xm top [-b] [-d SECONDS] [-n ITERATIONS] [--csv|--json]\n"
"              [--ascii] [--no-color] [--no-settings]\n"
"\n"
"The host and its domains, live.  Keys: ? in the dashboard.\n"
"  -b, --batch          print samples instead of the screen (for scripts)\n"
"  -d, --delay=SECONDS  between refreshes (default 1, or the saved one)\n"
"  -n, --iterations=N   batch mode: stop after N samples (default: run on)\n"
"      --csv            batch mode: CSV, one row per domain per sample\n"
"      --json           batch mode: JSON lines, one object per sample\n"
"      --ascii          ASCII line drawing even in a UTF-8 locale\n"
"      --no-color       no colours (so does a non-empty NO_COLOR)\n"
"      --no-settings    neither read nor save ~/.config/xm-top/settings\n"
"\n"
"CPU% is percent of one CPU (like xentop); in the dashboard % shows the\n"
"share of the host instead.  The batch fields are in docs/XM-TOP.md.\n";

struct loop {
	struct top		*top;
	struct event_base	*base;
	struct event		*ev_tty, *ev_timer;
	struct event		*ev_winch, *ev_term, *ev_int, *ev_hup;
	struct watch {
		struct loop	*l;
		struct conn	*c;
		int		 fd;
		struct event	*ev;
	}			 xend, consoled;
	double			 armed_delay;
	char			*xm_path;
	char			*stats_path;
};

static void	loop_after(struct loop *, int rd);

/* The xm that started us (XM_TOP_XM), else one beside us, else $PATH. */
static char *
find_xm(void)
{
	const char	*env = getenv("XM_TOP_XM");
	char		 self[PATH_MAX], *dir, *path;
	ssize_t		 n;
	static const char *rel[] = { "xm", "../../core/xm/xm" };
	size_t		 i;

	if (env != NULL && *env != '\0')
		return (xstrdup(env));
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) > 0) {
		self[n] = '\0';
		dir = dirname(self);
		for (i = 0; i < nitems(rel); i++) {
			xasprintf(&path, "%s/%s", dir, rel[i]);
			if (access(path, X_OK) == 0)
				return (path);
			free(path);
		}
	}
	return (xstrdup("xm"));
}

static void	conn_cb_read(evutil_socket_t, short, void *);

/* Follows a connection's fd across reconnections. */
static void
watch_conn(struct watch *w)
{
	int	 fd = w->c != NULL ? conn_fd(w->c) : -1;

	if (fd == w->fd)
		return;
	if (w->ev != NULL) {
		event_free(w->ev);
		w->ev = NULL;
	}
	w->fd = fd;
	if (fd == -1)
		return;
	w->ev = event_new(w->l->base, fd, EV_READ | EV_PERSIST, conn_cb_read,
	    w);
	event_add(w->ev, NULL);
}

static void
arm_timer(struct loop *l)
{
	struct timeval	 tv;

	tv.tv_sec = (time_t)l->top->delay;
	tv.tv_usec = (suseconds_t)((l->top->delay - tv.tv_sec) * 1e6);
	event_del(l->ev_timer);
	event_add(l->ev_timer, &tv);
	l->armed_delay = l->top->delay;
}

/*
 * Hands the terminal to "xm console NAME"; Ctrl-] comes back here.  Its
 * messages go to the terminal as they would from the shell; if it fails,
 * the dashboard waits for a key so that they can be read.
 */
static int
do_console(struct loop *l)
{
	struct top	*top = l->top;
	struct dom	*d = model_find(&top->model, top->console_domid);
	char		*argv[4], banner[128], name[TOP_NAME_MAX + 1], c;
	struct pollfd	 pf;
	int		 status;

	top->console_domid = -1;
	if (d == NULL) {
		top_status(top, 1, "domain has gone");
		return (RD_BAR);
	}
	snprintf(name, sizeof name, "%s", d->name);
	argv[0] = l->xm_path;
	argv[1] = (char *)"console";
	argv[2] = name;
	argv[3] = NULL;
	event_del(l->ev_tty);
	snprintf(banner, sizeof banner, "[xm top: console of %s; Ctrl-] "
	    "returns to xm top]\r\n", name);
	status = screen_run_child(top, argv, banner);
	if (status != 0) {
		printf("\r\n[xm console exited with status %d; press Enter to "
		    "return to xm top]\r\n", WIFEXITED(status) ?
		    WEXITSTATUS(status) : -1);
		fflush(stdout);
		pf.fd = STDIN_FILENO;
		pf.events = POLLIN;
		if (poll(&pf, 1, 60 * 1000) == 1 && read(STDIN_FILENO, &c,
		    1) < 0)
			c = 0;
		top_status(top, 1, "console of %s: xm console exited with "
		    "status %d", name, WIFEXITED(status) ?
		    WEXITSTATUS(status) : -1);
	} else
		top_status(top, 0, "back from the console of %s", name);
	event_add(l->ev_tty, NULL);
	top->want_refresh = 1;
	return (RD_ALL | RD_CLEAR);
}

static void
tty_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop	*l = arg;
	int		 key, y, x, wheel, r, rd = RD_NONE, n = 0;

	/* A bounded batch: the screen is redrawn after it either way. */
	while (n++ < 256 && (r = screen_getkey(&key, &y, &x, &wheel)) != 0) {
		if (r == 2)
			rd |= top_click(l->top, y, x, wheel);
		else if (key == KEY_RESIZE) {
			screen_resize(l->top);
			rd |= RD_ALL | RD_CLEAR;
		} else
			rd |= top_key(l->top, key);
		if (rd & RD_QUIT)
			break;
		if (l->top->console_domid >= 0)
			break;
	}
	loop_after(l, rd);
}

static void
conn_cb_read(evutil_socket_t fd, short what, void *arg)
{
	struct watch	*w = arg;

	loop_after(w->l, conn_read_on(w->l->top, w->c));
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop	*l = arg;

	l->top->want_refresh = 1;
	arm_timer(l);
	/* The clock and uptimes move even if xend is slow to answer. */
	loop_after(l, RD_HEADER);
}

static void
winch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop	*l = arg;

	screen_resize(l->top);
	loop_after(l, RD_ALL | RD_CLEAR);
}

static void
term_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop	*l = arg;

	event_base_loopbreak(l->base);
}

/* After every callback: the console, a refresh, the drawing. */
static void
loop_after(struct loop *l, int rd)
{
	struct top	*top = l->top;

	if (rd & RD_QUIT) {
		event_base_loopbreak(l->base);
		return;
	}
	if (top->console_domid >= 0)
		rd |= do_console(l);
	if (top->want_refresh && top->refresh_inflight == 0) {
		top->want_refresh = 0;
		rd |= top_refresh(top) | RD_HEADER;
	}
	watch_conn(&l->xend);
	watch_conn(&l->consoled);
	if (top->delay != l->armed_delay)
		arm_timer(l);
	if (rd != RD_NONE)
		screen_draw(top, rd);
}

static int
run_screen(struct top *top, const struct top_screen_opts *so)
{
	struct loop	 l;

	memset(&l, 0, sizeof l);
	l.top = top;
	l.xend.l = l.consoled.l = &l;
	l.xend.c = top->conn;
	l.xend.fd = l.consoled.fd = -1;
	l.consoled.c = top->consoled;
	l.xm_path = find_xm();
	if ((l.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	screen_init(top, so);
	l.ev_tty = event_new(l.base, STDIN_FILENO, EV_READ | EV_PERSIST,
	    tty_cb, &l);
	event_add(l.ev_tty, NULL);
	l.ev_timer = event_new(l.base, -1, 0, timer_cb, &l);
	arm_timer(&l);
	l.ev_winch = evsignal_new(l.base, SIGWINCH, winch_cb, &l);
	l.ev_term = evsignal_new(l.base, SIGTERM, term_cb, &l);
	l.ev_int = evsignal_new(l.base, SIGINT, term_cb, &l);
	l.ev_hup = evsignal_new(l.base, SIGHUP, term_cb, &l);
	event_add(l.ev_winch, NULL);
	event_add(l.ev_term, NULL);
	event_add(l.ev_int, NULL);
	event_add(l.ev_hup, NULL);
	top->want_refresh = 1;
	loop_after(&l, RD_ALL | RD_CLEAR);
	event_base_dispatch(l.base);
	screen_end();
	if (l.xend.ev != NULL)
		event_free(l.xend.ev);
	if (l.consoled.ev != NULL)
		event_free(l.consoled.ev);
	event_free(l.ev_tty);
	event_free(l.ev_timer);
	event_free(l.ev_winch);
	event_free(l.ev_term);
	event_free(l.ev_int);
	event_free(l.ev_hup);
	event_base_free(l.base);
	free(l.xm_path);
	return (0);
}

/* For bench/: how many refreshes and requests this run made. */
static void
write_stats(struct top *top)
{
	const char	*path = getenv("XM_TOP_STATS");
	FILE		*f;

	if (path == NULL || (f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "{\"refreshes\": %lu, \"requests\": %lu, \"domains\": "
	    "%zu}\n", top->refreshes, conn_requests(top->conn),
	    top->model.ndoms);
	fclose(f);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "csv", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'J' },
		{ "ascii", no_argument, NULL, 'A' },
		{ "no-color", no_argument, NULL, 'N' },
		{ "no-colour", no_argument, NULL, 'N' },
		{ "no-settings", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct top		 top;
	struct top_screen_opts	 so;
	enum batch_format	 fmt = BATCH_TEXT;
	const char		*nc = getenv("NO_COLOR");
	double			 delay = NAN;
	long			 iterations = 0;
	char			*cause, *end, *path;
	int			 ch, rc, settings = 1, fmt_set = 0;

	setlocale(LC_ALL, "");
	top_init(&top);
	memset(&so, 0, sizeof so);
	so.color = nc == NULL || *nc == '\0';
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "bd:n:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			top.batch = 1;
			break;
		case 'd':
			delay = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || !(delay >= 0.1 &&
			    delay <= 3600)) {
				fprintf(stderr, "xm top: -d takes seconds from "
				    "0.1 to 3600\n");
				return (2);
			}
			break;
		case 'n':
			iterations = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || iterations < 1) {
				fprintf(stderr, "xm top: -n takes a positive "
				    "count\n");
				return (2);
			}
			break;
		case 'C':
		case 'J':
			fmt = ch == 'C' ? BATCH_CSV : BATCH_JSON;
			fmt_set = 1;
			break;
		case 'A':
			so.ascii = 1;
			break;
		case 'N':
			so.color = 0;
			break;
		case 'S':
			settings = 0;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return (0);
		default:
			if (optopt != 0)
				fprintf(stderr, "xm top: unknown option -%c\n",
				    optopt);
			else
				fprintf(stderr, "xm top: unknown option %s\n",
				    argv[optind - 1]);
			fputs(usage_text, stderr);
			return (2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "xm top: unexpected argument '%s'\n",
		    argv[optind]);
		return (2);
	}
	if ((fmt_set || iterations > 0) && !top.batch) {
		fprintf(stderr, "xm top: --csv, --json and -n are for batch "
		    "mode (-b)\n");
		return (2);
	}
	if (xendcfg_load(NULL, &top.cfg, NULL, &cause) != 0) {
		fprintf(stderr, "xm top: %s\n", cause);
		return (1);
	}
	log_open("xm-top", NULL, LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	/* Batch output has a fixed schema: no saved settings apply to it. */
	if (!top.batch && settings &&
	    (top.settings_path = settings_default_path()) != NULL &&
	    settings_load(&top, top.settings_path, &cause) != 0) {
		fprintf(stderr, "xm top: warning: %s\n", cause);
		free(cause);
	}
	if (!isnan(delay))
		top.delay = delay;
	if (!top.batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		fprintf(stderr, "xm top: not a terminal (use -b for batch "
		    "mode)\n");
		top_free(&top);
		return (1);
	}
	top.conn = conn_new(&top.cfg);
	if (conn_open(top.conn, &cause) != 0) {
		fprintf(stderr, "xm top: %s\n", cause);
		free(cause);
		top_free(&top);
		return (1);
	}
	if (top.batch)
		rc = batch_run(&top, fmt, iterations);
	else {
		path = xendcfg_consoled_path(&top.cfg);
		top.consoled = conn_new_path(path);
		free(path);
		rc = run_screen(&top, &so);
		if (top.settings_path != NULL && settings_save(&top,
		    top.settings_path, &cause) != 0) {
			fprintf(stderr, "xm top: warning: settings not saved: "
			    "%s\n", cause);
			free(cause);
		}
	}
	write_stats(&top);
	top_free(&top);
	return (rc);
}
