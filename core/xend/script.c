/*
 * script.c: site scripts (network-script, vif-script) as watched children
 * of the event loop.  A script never blocks xend: it runs in its own
 * session with stdin on /dev/null and its output on a pipe that is read
 * and logged line by line; its exit is seen through a pidfd; past its
 * timeout its whole process group is killed.  Jobs with the same key (a
 * vif name) run one after another in the order they were asked for, so a
 * vif's "offline" always ends before the next "online" of the same name;
 * a barrier job (network-script) runs alone, after every job before it
 * and before every job after it.
 */
#include <sys/queue.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "xend.h"

#define SCRIPT_LOG_LINES	40	/* output lines logged per run */
#define SCRIPT_LINE_MAX		512	/* longer lines are cut */
#define SCRIPT_TAIL_MAX		400	/* output kept for a failure's how */

struct script_job {
	char			*key;		/* NULL: a barrier */
	char			*what;		/* "vif-script /x online vif1.0" */
	char			**argv;
	char			**envp;		/* NULL: xend's own */
	int			 timeout;
	script_done_cb		 done;
	void			*arg;

	pid_t			 pid;		/* 0 while queued */
	int			 pidfd;
	int			 outfd;
	struct event		*pid_ev;
	struct event		*out_ev;
	struct event		*timer_ev;
	double			 started;
	int			 killed;
	char			 line[SCRIPT_LINE_MAX];
	size_t			 linelen;
	int			 nlines;	/* lines seen */
	int			 out_eof;
	char			 tail[SCRIPT_TAIL_MAX];	/* last lines */
	TAILQ_ENTRY(script_job)	 entry;
};
static TAILQ_HEAD(, script_job) script_jobs =
    TAILQ_HEAD_INITIALIZER(script_jobs);

static void	script_next(void);

/* Appends a formatted argument to an argv being built (qemu.c, hvm.c). */
void
argv_add(struct argv_buf *a, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	a->v = xreallocarray(a->v, a->n + 2, sizeof *a->v);
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

/* Frees a NULL-terminated vector of strings (an argv) and its strings. */
void
argv_free(char **v)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* The last lines, "; "-joined, for a failure's message. */
static void
script_tail_add(char *tail, size_t size, const char *line)
{
	size_t		 have = strlen(tail), len = strlen(line);
	const char	*cut;

	while (have > 0 && have + 2 + len >= size) {
		if ((cut = strstr(tail, "; ")) == NULL)
			have = 0;
		else {
			memmove(tail, cut + 2, strlen(cut + 2) + 1);
			have = strlen(tail);
		}
	}
	if (have > 0) {
		memcpy(tail + have, "; ", 2);
		have += 2;
	}
	if (len > size - have - 1)
		len = size - have - 1;	/* a long line, cut */
	memcpy(tail + have, line, len);
	tail[have + len] = '\0';
}

static void
script_out_line(struct script_job *j)
{
	j->line[j->linelen] = '\0';
	if (++j->nlines <= SCRIPT_LOG_LINES)
		log_info("%s: %s", j->what, j->line);
	script_tail_add(j->tail, sizeof j->tail, j->line);
	j->linelen = 0;
}

/* Reads what is there now; at end of file or error stops watching. */
static void
script_out_cb(evutil_socket_t fd, short what, void *arg)
{
	struct script_job	*j = arg;
	char			 buf[4096];
	ssize_t			 n, i;

	for (;;) {
		n = read(j->outfd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				script_out_line(j);
				continue;
			}
			if (j->linelen < sizeof j->line - 1)
				j->line[j->linelen++] = buf[i];
		}
	}
	if (j->linelen > 0)
		script_out_line(j);
	j->out_eof = 1;
	event_del(j->out_ev);
}

/*
 * After the script itself ended, what it left running in the background
 * (a daemon started by network-script) may still hold its output pipe:
 * go on reading it, logging within the same budget, until they close it,
 * so they never get EPIPE from xend going away.
 */
static void
script_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct script_job	*j = arg;

	script_out_cb(fd, what, j);
	if (j->out_eof) {
		event_free(j->out_ev);
		close(j->outfd);
		free(j->what);
		free(j);
	}
}

static void
script_free(struct script_job *j)
{
	if (j->pid_ev != NULL)
		event_free(j->pid_ev);
	if (j->out_ev != NULL)
		event_free(j->out_ev);
	if (j->timer_ev != NULL)
		event_free(j->timer_ev);
	if (j->pidfd != -1)
		close(j->pidfd);
	if (j->outfd != -1)
		close(j->outfd);
	argv_free(j->argv);
	argv_free(j->envp);
	free(j->key);
	free(j->what);
	free(j);
}

static void
script_finish(struct script_job *j, int ok, const char *how)
{
	struct script_job	*o;

	TAILQ_REMOVE(&script_jobs, j, entry);
	if (j->done != NULL)
		j->done(ok, how, j->arg);
	if (j->outfd != -1 && !j->out_eof) {
		/* Hand the pipe to a reader of its own (script_drain_cb). */
		o = xcalloc(1, sizeof *o);
		o->what = j->what;
		j->what = NULL;
		o->outfd = j->outfd;
		j->outfd = -1;
		o->nlines = j->nlines;
		o->pidfd = -1;
		o->out_ev = event_new(xend_base, o->outfd, EV_READ | EV_PERSIST,
		    script_drain_cb, o);
		event_add(o->out_ev, NULL);
	}
	script_free(j);
	script_next();
}

static void
script_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct script_job	*j = arg;
	int			 status = 0;
	pid_t			 r;
	char			*how;

	do
		r = waitpid(j->pid, &status, WNOHANG);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		return;	/* not yet (cannot happen with a pidfd) */
	/* What it wrote before it ended (children may keep the pipe). */
	script_out_cb(j->outfd, EV_READ, j);
	if (j->nlines > SCRIPT_LOG_LINES)
		log_info("%s: %d more lines of output not logged", j->what,
		    j->nlines - SCRIPT_LOG_LINES);
	if (j->killed)
		how = xsprintf("still running after %d s, killed", j->timeout);
	else if (r == -1)
		how = xsprintf("waitpid: %s", strerror(errno));
	else if (WIFEXITED(status))
		how = xsprintf("exited with status %d", WEXITSTATUS(status));
	else
		how = xsprintf("killed by signal %d", WTERMSIG(status));
	/* A failure's message says what the script said last. */
	if ((j->killed || r == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) && j->tail[0] != '\0') {
		char	*with = xsprintf("%s: %s", how, j->tail);

		free(how);
		how = with;
	}
	if (!j->killed && r != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0) {
		log_info("%s: %s (%.1f s)", j->what, how,
		    time_mono() - j->started);
		script_finish(j, 1, how);
	} else {
		log_warn("%s: %s (%.1f s)", j->what, how,
		    time_mono() - j->started);
		script_finish(j, 0, how);
	}
	free(how);
}

static void
script_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct script_job	*j = arg;

	log_warn("%s: still running after %d s, killing it", j->what,
	    j->timeout);
	j->killed = 1;
	kill(-j->pid, SIGKILL);
}

static int
script_spawn(struct script_job *j, char **cause)
{
	int		 pfd[2], nullfd;
	pid_t		 pid;
	struct timeval	 tv = { j->timeout, 0 };

	if (pipe2(pfd, O_CLOEXEC) == -1) {
		*cause = xsprintf("pipe: %s", strerror(errno));
		return (-1);
	}
	if ((pid = fork()) == -1) {
		*cause = xsprintf("fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return (-1);
	}
	if (pid == 0) {
		setsid();
		signal(SIGPIPE, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		nullfd = open("/dev/null", O_RDWR);
		dup2(nullfd, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		/* Scripts never see xend's sockets or files. */
		syscall(SYS_close_range, 3, ~0U, 0);
		if (j->envp != NULL)
			execve(j->argv[0], j->argv, j->envp);
		else
			execv(j->argv[0], j->argv);
		dprintf(2, "cannot run %s: %s\n", j->argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	j->pid = pid;
	j->outfd = pfd[0];
	fd_set_nonblock(j->outfd);
	j->started = time_mono();
	if ((j->pidfd = syscall(SYS_pidfd_open, pid, 0)) == -1) {
		*cause = xsprintf("pidfd_open: %s", strerror(errno));
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return (-1);
	}
	fd_set_cloexec(j->pidfd);
	j->pid_ev = event_new(xend_base, j->pidfd, EV_READ, script_exit_cb, j);
	j->out_ev = event_new(xend_base, j->outfd, EV_READ | EV_PERSIST,
	    script_out_cb, j);
	j->timer_ev = evtimer_new(xend_base, script_timeout_cb, j);
	event_add(j->pid_ev, NULL);
	event_add(j->out_ev, NULL);
	evtimer_add(j->timer_ev, &tv);
	log_debug("%s: started, pid %d", j->what, (int)pid);
	return (0);
}

/* Whether job j may start: see the ordering rules at the top. */
static int
script_may_start(struct script_job *j)
{
	struct script_job	*e;

	TAILQ_FOREACH(e, &script_jobs, entry) {
		if (e == j)
			return (1);
		if (j->key == NULL || e->key == NULL ||
		    strcmp(e->key, j->key) == 0)
			return (0);
	}
	return (1);
}

static void
script_next(void)
{
	struct script_job	*j, *next;
	char			*cause;

	TAILQ_FOREACH_SAFE(j, &script_jobs, entry, next) {
		if (j->pid != 0 || !script_may_start(j))
			continue;
		if (j->argv == NULL) {
			/* script_call: its turn has come. */
			script_finish(j, 1, "called");
			return;
		}
		if (script_spawn(j, &cause) != 0) {
			log_warn("%s: %s", j->what, cause);
			script_finish(j, 0, cause);
			free(cause);
			return;	/* script_finish went on with the queue */
		}
	}
}

static char **
script_copy(char *const v[])
{
	char	**out;
	size_t	  n, i;

	for (n = 0; v[n] != NULL; n++)
		;
	out = xcalloc(n + 1, sizeof *out);
	for (i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return (out);
}

void
script_start(const char *key, const char *what, char *const argv[],
    int timeout, script_done_cb done, void *arg)
{
	script_start_env(key, what, argv, NULL, timeout, done, arg);
}

void
script_start_env(const char *key, const char *what, char *const argv[],
    char *const envp[], int timeout, script_done_cb done, void *arg)
{
	struct script_job	*j = xcalloc(1, sizeof *j);

	j->argv = script_copy(argv);
	j->envp = envp != NULL ? script_copy(envp) : NULL;
	j->key = key != NULL ? xstrdup(key) : NULL;
	j->what = xstrdup(what);
	j->timeout = timeout > 0 ? timeout : 1;
	j->done = done;
	j->arg = arg;
	j->pidfd = j->outfd = -1;
	TAILQ_INSERT_TAIL(&script_jobs, j, entry);
	script_next();
}

void
script_call(const char *key, const char *what, script_done_cb fn, void *arg)
{
	struct script_job	*j = xcalloc(1, sizeof *j);

	j->key = key != NULL ? xstrdup(key) : NULL;
	j->what = xstrdup(what);
	j->done = fn;
	j->arg = arg;
	j->pidfd = j->outfd = -1;
	TAILQ_INSERT_TAIL(&script_jobs, j, entry);
	script_next();
}
