/*
 * job.c: the jobs save.c and migrate.c run (save, restore, migration both
 * ways): each a small state machine on the event loop, found again by its
 * id (QMP callbacks carry job_arg, never a pointer, so a late reply to an
 * ended job finds nobody), with its progress published as job.progress,
 * its record in the domain's dir for a restarted xend (job_recover), and
 * its op's own steps behind struct job_ops.  domain.c calls in here only;
 * save.c and migrate.c are reached through the ops, so no file depends on
 * one that depends on it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "qmp.h"
#include "savefile.h"
#include "xend.h"
#include "job.h"

static TAILQ_HEAD(, job) jobs = TAILQ_HEAD_INITIALIZER(jobs);
static int	 job_next_id = 1;

static void	(*job_publish_fn)(const char *, json_t *);
static void	(*job_ask_fn)(struct domain *, const char *, const char *, int,
		    double);
static void	(*job_tidy_fn)(struct domain *, const char *);

static void	job_tick(evutil_socket_t, short, void *);

void
job_init(void (*publish)(const char *type, json_t *body))
{
	job_publish_fn = publish;
}

void
job_set_recover(void (*ask)(struct domain *, const char *where,
    const char *token, int was_running, double asked))
{
	job_ask_fn = ask;
}

void
job_set_tidy(void (*tidy)(struct domain *, const char *token))
{
	job_tidy_fn = tidy;
}

void
job_publish(const char *type, json_t *body)
{
	if (job_publish_fn != NULL)
		job_publish_fn(type, body);
	else
		json_decref(body);
}

void *
job_arg(struct job *j)
{
	return ((void *)(intptr_t)j->id);
}

struct job *
job_find(void *arg)
{
	struct job	*j;

	TAILQ_FOREACH(j, &jobs, entry) {
		if (j->id == (int)(intptr_t)arg && !j->ended)
			return (j);
	}
	return (NULL);
}

struct job *
job_of(struct domain *d)
{
	struct job	*j;

	TAILQ_FOREACH(j, &jobs, entry) {
		if (j->d == d && !j->ended)
			return (j);
	}
	return (NULL);
}

struct job *
job_new(enum job_op op, const struct job_ops *ops, const char *path)
{
	struct job	*j = xcalloc(1, sizeof *j);

	j->id = job_next_id++;
	j->op = op;
	j->ops = ops;
	j->path = xstrdup(path);
	j->pfd = -1;
	j->file_fd = -1;
	j->data_fd = -1;
	j->t0 = time_mono();
	TAILQ_INSERT_TAIL(&jobs, j, entry);
	return (j);
}

static void
job_free_deferred(evutil_socket_t fd, short what, void *arg)
{
	struct job	*j = arg;

	TAILQ_REMOVE(&jobs, j, entry);
	if (j->ops->free != NULL)
		j->ops->free(j);
	if (j->d != NULL)
		domain_unref(j->d);
	free(j->path);
	free(j->buf);
	free(j->held_fail);
	free(j);
}

/* A save's record resumes, a migration's decides, others destroy. */
static const char *
job_record_name(struct job *j)
{
	return (j->op == JOB_SAVE ? "save.json" : j->op == JOB_MIGRATE_OUT ?
	    "migrate.json" : "restore.json");
}

struct job *
job_by_token(const char *token)
{
	struct job	*j;

	TAILQ_FOREACH(j, &jobs, entry) {
		if (!j->ended && j->token != NULL && token != NULL &&
		    strcmp(j->token, token) == 0)
			return (j);
	}
	return (NULL);
}

void
job_unrecord(struct job *j)
{
	char	*rec;

	if (j->d == NULL || j->d->removed)
		return;
	xasprintf(&rec, "%s/%s", j->d->dir, job_record_name(j));
	unlink(rec);
	free(rec);
}

/* Stops the job's I/O and frees it from the loop (callbacks may run). */
void
job_end(struct job *j)
{
	struct timeval	 tv = { 0, 0 };

	if (j->ended)
		return;
	j->ended = 1;
	if (j->io_ev != NULL)
		event_free(j->io_ev);
	if (j->tick_ev != NULL)
		event_free(j->tick_ev);
	j->io_ev = j->tick_ev = NULL;
	if (j->pfd != -1)
		close(j->pfd);
	if (j->file_fd != -1)
		close(j->file_fd);
	j->pfd = j->file_fd = -1;
	savefile_abort(j->w);
	j->w = NULL;
	job_unrecord(j);
	event_base_once(xend_base, -1, EV_TIMEOUT, job_free_deferred, j, &tv);
}

/* One job.progress event (docs/API.md). */
void
job_event(struct job *j, const char *status, const char *error)
{
	double	 secs = time_mono() - j->t0;
	json_t	*o;

	o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:f, s:f}",
	    "id", j->id, "op", j->ops->name,
	    "status", status, "file", j->path, "bytes", (json_int_t)j->bytes,
	    "total", (json_int_t)j->total, "elapsed", secs,
	    "rate", secs > 0 ? (double)j->bytes / secs : 0.0);
	if (j->d != NULL) {
		json_object_set_new(o, "dom", json_string(j->d->name));
		json_object_set_new(o, "domid", json_integer(j->d->domid));
	}
	if (error != NULL)
		json_object_set_new(o, "error", json_string(error));
	j->last_progress = time_mono();
	job_publish("job.progress", json_pack("{s:o}", "job", o));
}

void
job_progress(struct job *j)
{
	if (time_mono() - j->last_progress >= JOB_PROGRESS_SEC)
		job_event(j, "active", NULL);
}

void
job_start_tick(struct job *j)
{
	struct timeval	 tv = { 0, JOB_TICK_USEC };

	j->tick_ev = event_new(xend_base, -1, EV_PERSIST, job_tick, job_arg(j));
	event_add(j->tick_ev, &tv);
}

/* A pipe whose far end goes to QEMU; *mine gets our end (nonblocking). */
int
job_pipe(int *mine, int *theirs, int we_read, char **cause)
{
	int	 p[2];

	if (pipe2(p, O_CLOEXEC) != 0) {
		*cause = xsprintf("pipe: %s", strerror(errno));
		return (-1);
	}
	/* Fewer wake-ups per MiB; the default 64 KiB still works. */
	(void)fcntl(p[0], F_SETPIPE_SZ, JOB_PIPE_SIZE);
	*mine = we_read ? p[0] : p[1];
	*theirs = we_read ? p[1] : p[0];
	fd_set_nonblock(*mine);
	return (0);
}

/* Writes the job's record into the domain's dir, for a restarted xend. */
int
job_record(struct job *j, char **cause)
{
	json_t	*o;
	char	*path, *text;
	int	 rc;

	/* at: when, for a target that prunes its tokens (migrate.c). */
	o = json_pack("{s:s, s:s?, s:b, s:i, s:s?, s:f}", "file", j->path,
	    "tmp", j->w != NULL ? j->w->tmp : NULL, "was_running",
	    j->was_running, "phase", j->phase, "token", j->token, "at",
	    time_wall());
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	xasprintf(&path, "%s/%s", j->d->dir, job_record_name(j));
	rc = file_write_atomic(path, text, strlen(text), 0600, cause);
	free(path);
	free(text);
	return (rc);
}

/* ---- save ---- */

void
job_cont_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	if (error != NULL)
		log_warn("job: cont: %s", error);
}

void
job_source_failed(struct job *j, const char *what, const char *msg)
{
	struct domain	*d = j->d;

	if (qmp_is_up(d->qmp) && !d->removed && !d->exited) {
		if (j->migrating && !j->completed)
			qmp_command(d->qmp, "migrate_cancel", NULL, NULL, NULL);
		if (j->was_running)
			qmp_command(d->qmp, "cont", NULL, job_cont_cb, NULL);
	}
	dmesg_add("domain %s (%d): %s %s failed, running here: %s", d->name,
	    d->domid, what, j->path, msg);
	job_event(j, "failed", msg);
	job_done(j, "failed", msg, NULL);
	job_end(j);
}

int
job_can_start(struct domain *d, const char *what, char **cause)
{
	if (d->state != DOM_RUNNING && d->state != DOM_PAUSED) {
		*cause = xsprintf("domain %s is not running or paused: it "
		    "cannot be %s", d->name, what);
		return (-1);
	}
	if (!qmp_is_up(d->qmp)) {
		*cause = xsprintf("domain %s: qemu is not answering", d->name);
		return (-1);
	}
	if (job_of(d) != NULL) {
		*cause = xsprintf("domain %s is being saved or migrated "
		    "already", d->name);
		return (-1);
	}
	return (0);
}

void
job_done(struct job *j, const char *code, const char *msg,
    const struct job_result *r)
{
	job_done_cb	 fn = j->done;

	j->done = NULL;
	if (fn != NULL)
		fn(code, msg, r, j->done_arg);
}

void
job_fail(struct job *j, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	j->ops->failed(j, msg);
	free(msg);
}

struct job *
job_reply(void *arg, const char *error, const char *what)
{
	struct job	*j = job_find(arg);

	if (j == NULL)
		return (NULL);
	if (error != NULL) {
		job_fail(j, "qemu: %s: %s", what, error);
		return (NULL);
	}
	return (j);
}

static void
job_finish_cb(evutil_socket_t fd, short what, void *arg)
{
	struct job	*j = job_find(arg);

	if (j != NULL && j->ops->finish != NULL)
		j->ops->finish(j);
}

void
job_finish_soon(struct job *j)
{
	struct timeval	 tv = { 0, 0 };

	/* Not from inside a QMP callback: the end may free the QMP. */
	event_base_once(xend_base, -1, EV_TIMEOUT, job_finish_cb, job_arg(j),
	    &tv);
}

void
job_query_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct job	*j = job_find(arg);
	const char	*st;

	if (j == NULL)
		return;
	j->querying = 0;
	if (error != NULL)
		return;	/* QEMU's end is watched by domain.c */
	st = json_string_value(json_object_get(result, "status"));
	if (st != NULL)
		j->ops->query(j, st, result);
	/*
	 * A MIGRATION event came while this was in flight: its status may be
	 * newer than this answer's, so ask again now, not at the next tick.
	 */
	if ((j = job_find(arg)) != NULL && j->requery) {
		j->requery = 0;
		job_query(j);
	}
}

void
job_query(struct job *j)
{
	struct domain	*d = j->d;

	if (j->querying || !j->migrating || !qmp_is_up(d->qmp))
		return;
	j->querying = 1;
	qmp_command(d->qmp, "query-migrate", NULL, job_query_cb, job_arg(j));
}

/* QEMU's MIGRATION event: look now rather than at the next tick. */
void
job_migration_event(struct domain *d, json_t *data)
{
	struct job	*j = job_of(d);

	if (j == NULL)
		return;
	if (j->querying)
		j->requery = 1;
	else
		job_query(j);
}

static void
job_tick(evutil_socket_t fd, short what, void *arg)
{
	struct job	*j = job_find(arg);

	if (j != NULL)
		j->ops->tick(j);
}

/* Moves the last console log of the name into the new dir, to go on. */
static void
restore_console_log(struct domain *d)
{
	char	*from, *to;

	xasprintf(&from, "%s/logs/%s.console.log", xend_cfg.state_dir,
	    d->name);
	xasprintf(&to, "%s/console.log", d->dir);
	if (rename(from, to) != 0 && errno != ENOENT)
		log_warn("rename %s: %s", from, strerror(errno));
	free(from);
	free(to);
}

int
job_incoming_prepare(struct domain *d, char **cause)
{
	struct job	*j = d->incoming;

	j->d = d;
	domain_ref(d);
	/* A restore goes on with its log; a migrated-in domain starts one. */
	if (j->op == JOB_RESTORE)
		restore_console_log(d);
	return (job_record(j, cause));
}

void
job_incoming_up(struct domain *d)
{
	struct job	*j = d->incoming;

	j->ops->incoming_up(j);
}

/*
 * An incoming domain's QEMU exited before its stream loaded: 1 if its
 * job answers later itself (a restore still checking the file says
 * "corrupt" rather than QEMU's error when that is the truth).
 */
int
job_incoming_exited(struct domain *d, const char *msg)
{
	struct job	*j = d->incoming;

	return (j->op == JOB_RESTORE && restore_hold(j, msg));
}


struct resume {
	struct domain	*d;
	struct event	*ev;
	double		 deadline;
};

/* cont once the re-adopted QEMU's QMP is up (or give up after a while). */
static void
job_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resume	*r = arg;
	struct timeval	 tv = { 0, JOB_TICK_USEC };

	if (!r->d->removed && !r->d->exited && !qmp_is_up(r->d->qmp) &&
	    time_mono() < r->deadline) {
		evtimer_add(r->ev, &tv);
		return;
	}
	if (qmp_is_up(r->d->qmp) && !r->d->removed)
		qmp_command(r->d->qmp, "cont", NULL, job_cont_cb, NULL);
	event_free(r->ev);
	domain_unref(r->d);
	free(r);
}

void
job_resume_later(struct domain *d)
{
	struct resume	*r = xcalloc(1, sizeof *r);
	struct timeval	 tv = { 0, 0 };

	r->d = d;
	domain_ref(d);
	r->deadline = time_mono() + 30;
	r->ev = evtimer_new(xend_base, job_resume_cb, r);
	evtimer_add(r->ev, &tv);
}

/*
 * After a restart of xend: a save cut short loses its temporary file and
 * resumes the domain; a restore, or an incoming migration not yet handed
 * over, is destroyed; an outgoing migration before its hand-over resumes
 * the domain, after it leaves it paused (it may run on the target).
 * Returns 1 if d is to be destroyed.
 */
int
job_recover(struct domain *d)
{
	static const char *names[] = { "restore.json", "save.json",
	    "migrate.json" };
	char		*path, *text, *cause;
	json_t		*o;
	size_t		 len, i;
	int		 destroy = 0, resume = 0, phase;
	const char	*file;

	for (i = 0; i < nitems(names); i++) {
		xasprintf(&path, "%s/%s", d->dir, names[i]);
		if (file_read(path, &text, &len, &cause) != 0) {
			free(cause);
			free(path);
			continue;
		}
		o = json_loads(text, 0, NULL);
		free(text);
		unlink(path);
		free(path);
		file = json_string_value(json_object_get(o, "file"));
		if (file == NULL)
			file = "?";
		phase = json_integer_value(json_object_get(o, "phase"));
		if (i == 0 && phase < JOB_PHASE_HANDOVER) {
			dmesg_add("domain %s (%d): its restore or incoming "
			    "migration from %s was cut short; destroyed",
			    d->name, d->domid, file);
			destroy = 1;
		} else if (i == 1) {
			if (json_is_string(json_object_get(o, "tmp")))
				unlink(json_string_value(json_object_get(o,
				    "tmp")));
			dmesg_add("domain %s (%d): its save to %s was cut "
			    "short", d->name, d->domid, file);
			resume = json_is_true(json_object_get(o,
			    "was_running"));
		} else if (i == 2 && phase < JOB_PHASE_HANDOVER) {
			dmesg_add("domain %s (%d): its migration to %s was cut "
			    "short before the hand-over; it runs here",
			    d->name, d->domid, file);
			resume = json_is_true(json_object_get(o,
			    "was_running"));
			if (job_tidy_fn != NULL && json_is_string(
			    json_object_get(o, "token")))
				job_tidy_fn(d, json_string_value(
				    json_object_get(o, "token")));
		} else if (i == 2 && job_ask_fn != NULL &&
		    json_is_string(json_object_get(o, "token"))) {
			/* Paused until the target says which way it went. */
			job_ask_fn(d, file, json_string_value(json_object_get(o,
			    "token")), json_is_true(json_object_get(o,
			    "was_running")), json_number_value(json_object_get(o,
			    "at")));
		} else if (i == 2) {
			dmesg_add("domain %s (%d): its migration to %s was cut "
			    "short after the hand-over was asked for; left "
			    "paused here: check %s, then destroy or unpause it",
			    d->name, d->domid, file, file);
		}
		json_decref(o);
	}
	if (!destroy && resume)
		job_resume_later(d);
	return (destroy);
}
