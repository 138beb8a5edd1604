/*
 * save.c: xm save and xm restore.  Each is a job, a small state machine on
 * the event loop:
 *
 *   save:    [stop] -> getfd(pipe) -> migrate fd: -> copy pipe to the file
 *            until EOF and QEMU says completed -> commit the file ->
 *            destroy the domain (or cont it again: a checkpoint)
 *   restore: check the file -> QEMU with -incoming defer (domain.c) ->
 *            getfd(pipe) -> migrate-incoming fd: -> feed the stream, its
 *            checksum checked at the end -> completed -> cont (or paused)
 *
 * xend sits in the stream's path (a pipe), so it counts the bytes, keeps
 * the checksum, notices a full disk at once, and QEMU's sandbox (no spawn)
 * stays as it is.  QEMU's query-migrate, polled, says when QEMU is done.
 *
 * Before the file is committed every failure puts things back: the
 * temporary file goes, a domain that was running runs again.  A record in
 * the domain's dir (save.json, restore.json) lets a restarted xend finish
 * the same way (save_recover).
 *
 * QMP callbacks carry the job's id, not a pointer: a job that has ended
 * leaves its late replies with nobody to answer.
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
#include "domcfg.h"
#include "qmp.h"
#include "savefile.h"
#include "xend.h"
#include "job.h"

static TAILQ_HEAD(, job) jobs = TAILQ_HEAD_INITIALIZER(jobs);
static int	 job_next_id = 1;

static void	job_tick(evutil_socket_t, short, void *);
static void	save_finish(struct job *);
static void	restore_finish(struct job *);

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
job_new(enum job_op op, const char *path)
{
	struct job	*j = xcalloc(1, sizeof *j);

	j->id = job_next_id++;
	j->op = op;
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
	migrate_job_free(j);
	if (j->d != NULL)
		domain_unref(j->d);
	free(j->path);
	free(j->buf);
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

	static const char *ops[] = { "save", "restore", "migrate",
	    "migrate-in" };

	o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:f, s:f}",
	    "id", j->id, "op", ops[j->op],
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
	server_event("job.progress", json_pack("{s:o}", "job", o));
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

	o = json_pack("{s:s, s:s?, s:b, s:i, s:s?}", "file", j->path, "tmp",
	    j->w != NULL ? j->w->tmp : NULL, "was_running", j->was_running,
	    "phase", j->phase, "token", j->token);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	xasprintf(&path, "%s/%s", j->d->dir, job_record_name(j));
	rc = file_write_atomic(path, text, strlen(text), 0600, cause);
	free(path);
	free(text);
	return (rc);
}

/* ---- save ---- */

static void
save_cont_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	if (error != NULL)
		log_warn("save: cont: %s", error);
}

/* Puts the domain back as it was and answers with the error. */
static void
save_failed(struct job *j, const char *msg)
{
	log_warn("%s (%d): save to %s failed: %s", j->d->name, j->d->domid,
	    j->path, msg);
	/* Closing the pipe ends QEMU's side too (EPIPE). */
	if (j->pfd != -1) {
		close(j->pfd);
		j->pfd = -1;
	}
	job_source_failed(j, "save to", msg);
}

static void
save_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct job	*j = job_find(arg);
	static char	 buf[JOB_CHUNK];
	ssize_t		 n;
	char		*cause;
	int		 rounds;

	if (j == NULL)
		return;
	/* A few MiB per wake-up, then the rest of the loop gets a turn. */
	for (rounds = 0; rounds < 8; rounds++) {
		n = read(j->pfd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n == -1) {
			job_fail(j, "reading qemu's stream: %s",
			    strerror(errno));
			return;
		}
		if (n == 0) {
			j->eof = 1;
			event_del(j->io_ev);
			save_finish(j);
			return;
		}
		if (savefile_write(j->w, buf, n, &cause) != 0) {
			job_fail(j, "%s", cause);
			free(cause);
			return;
		}
		j->bytes += n;
	}
	job_progress(j);
}

static void
save_migrate_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct job	*j = job_reply(arg, error, "migrate");

	if (j == NULL)
		return;
	j->migrating = 1;
}

static void
save_getfd_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct job	*j = job_reply(arg, error, "getfd");

	if (j == NULL)
		return;
	qmp_command(q, "migrate", json_pack("{s:s}", "uri", "fd:xmsave"),
	    save_migrate_cb, arg);
	j->io_ev = event_new(xend_base, j->pfd, EV_READ | EV_PERSIST,
	    save_read_cb, arg);
	event_add(j->io_ev, NULL);
	job_start_tick(j);
}

static void
save_params_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	if (error != NULL)
		log_warn("save: migrate-set-parameters: %s", error);
}

static void
save_stopped_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct job	*j = job_reply(arg, error, "stop");
	char		*cause;
	int		 theirs;

	if (j == NULL)
		return;
	if (job_pipe(&j->pfd, &theirs, 1, &cause) != 0) {
		job_fail(j, "%s", cause);
		free(cause);
		return;
	}
	qmp_command(q, "migrate-set-parameters", json_pack("{s:I}",
	    "max-bandwidth", JOB_MAX_BANDWIDTH), save_params_cb, NULL);
	qmp_command_fd(q, "getfd", json_pack("{s:s}", "fdname", "xmsave"),
	    theirs, save_getfd_cb, arg);
	/* QEMU has its own copy now (or the getfd failed). */
	close(theirs);
}

static char	*save_qemu_version;

void
job_source_failed(struct job *j, const char *what, const char *msg)
{
	struct domain	*d = j->d;

	if (qmp_is_up(d->qmp) && !d->removed && !d->exited) {
		if (j->migrating && !j->completed)
			qmp_command(d->qmp, "migrate_cancel", NULL, NULL, NULL);
		if (j->was_running)
			qmp_command(d->qmp, "cont", NULL, save_cont_cb, NULL);
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

int
save_start(struct domain *d, const char *path, int checkpoint,
    job_done_cb done, void *arg, char **cause)
{
	struct job	*j;
	json_t		*meta;

	if (path[0] != '/') {
		*cause = xsprintf("%s: not an absolute path", path);
		return (-1);
	}
	if (job_can_start(d, "saved", cause) != 0)
		return (-1);
	if (save_qemu_version == NULL)
		save_qemu_version = qemu_version();
	meta = json_pack("{s:o, s:s, s:i, s:s, s:f, s:b, s:s}",
	    "config", domcfg_to_json(d->config), "name", d->name, "domid", d->domid,
	    "qemu_version", save_qemu_version, "saved", time_wall(),
	    "paused", d->state == DOM_PAUSED, "xend_version", XEN_VERSION);
	j = job_new(JOB_SAVE, path);
	j->d = d;
	domain_ref(d);
	j->checkpoint = checkpoint;
	j->was_running = d->state == DOM_RUNNING;
	/* Guest RAM: the stream is about this much, less zero pages. */
	j->total = (uint64_t)d->boot_maxmem << 20;
	if (savefile_create(path, meta, &j->w, cause) != 0 ||
	    job_record(j, cause) != 0) {
		json_decref(meta);
		job_end(j);
		return (-1);
	}
	json_decref(meta);
	j->done = done;
	j->done_arg = arg;
	log_info("%s (%d): saving to %s%s", d->name, d->domid, path,
	    checkpoint ? " (checkpoint)" : "");
	job_event(j, "active", NULL);
	if (j->was_running)
		qmp_command(d->qmp, "stop", NULL, save_stopped_cb, job_arg(j));
	else
		save_stopped_cb(d->qmp, NULL, NULL, job_arg(j));
	return (0);
}

static void
save_finish(struct job *j)
{
	struct domain		*d = j->d;
	char			*cause = NULL;
	double			 secs;
	struct job_result	 res;

	if (!j->eof || !j->completed)
		return;
	if (savefile_commit(j->w, &cause) != 0) {
		j->w = NULL;
		job_fail(j, "%s", cause);
		free(cause);
		return;
	}
	j->w = NULL;
	secs = time_mono() - j->t0;
	log_info("%s (%d): saved to %s, %llu bytes in %.2f s", d->name,
	    d->domid, j->path, (unsigned long long)j->bytes, secs);
	dmesg_add("domain %s (%d) saved to %s%s", d->name, d->domid, j->path,
	    j->checkpoint ? " (checkpoint)" : "");
	j->total = j->bytes;
	job_event(j, "completed", NULL);
	memset(&res, 0, sizeof res);
	res.name = d->name;
	res.file = j->path;
	res.bytes = j->bytes;
	res.seconds = secs;
	res.checkpoint = j->checkpoint;
	job_unrecord(j);
	if (j->checkpoint) {
		if (j->was_running)
			qmp_command(d->qmp, "cont", NULL, save_cont_cb, NULL);
	} else if (domain_destroy(d, &cause) != 0) {
		/* The file is whole; the domain stays, and says why. */
		log_warn("%s: saved, but not destroyed: %s", d->name, cause);
		res.warning = cause;
	}
	job_done(j, NULL, NULL, &res);
	free(cause);
	job_end(j);
}

/* ---- restore ---- */

static void
restore_failed(struct job *j, const char *msg)
{
	log_warn("restore of %s failed: %s", j->path, msg);
	job_event(j, "failed", msg);
	if (j->d != NULL && !j->d->removed) {
		dmesg_add("domain %s (%d): restore from %s failed: %s",
		    j->d->name, j->d->domid, j->path, msg);
		domain_incoming_done(j->d, msg);
	}
	job_end(j);
}

static void
restore_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct job	*j = job_find(arg);
	ssize_t		 n;
	size_t		 want;
	int		 rounds;

	if (j == NULL)
		return;
	for (rounds = 0; rounds < 8; rounds++) {
		if (j->buf_off == j->buf_len) {
			if (j->fed == j->hdr.stream_len)
				break;
			want = j->hdr.stream_len - j->fed > JOB_CHUNK ?
			    JOB_CHUNK : j->hdr.stream_len - j->fed;
			n = read(j->file_fd, j->buf, want);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				job_fail(j, "%s: %s", j->path, n == 0 ?
				    "truncated save file (it shrank)" :
				    strerror(errno));
				return;
			}
			j->crc = savefile_crc(j->crc, j->buf, n);
			j->fed += n;
			j->buf_len = n;
			j->buf_off = 0;
		}
		n = write(j->pfd, j->buf + j->buf_off, j->buf_len - j->buf_off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			job_progress(j);
			return;
		}
		if (n == -1) {
			/* QEMU went away: its exit says why (domain.c). */
			job_fail(j, "qemu stopped reading the stream: %s",
			    strerror(errno));
			return;
		}
		j->buf_off += n;
		j->bytes += n;
	}
	if (j->fed == j->hdr.stream_len && j->buf_off == j->buf_len) {
		event_del(j->io_ev);
		/* Before QEMU may run what it loaded: is it what was saved? */
		if (j->crc != j->hdr.stream_crc) {
			job_fail(j, "%s: corrupt save file (stream checksum "
			    "mismatch)", j->path);
			return;
		}
		close(j->pfd);
		j->pfd = -1;
		j->eof = 1;
		restore_finish(j);
		return;
	}
	job_progress(j);
}

static void
restore_incoming_cb(struct qmp *q, json_t *result, const char *error,
    void *arg)
{
	struct job	*j = job_reply(arg, error, "migrate-incoming");

	if (j == NULL)
		return;
	j->migrating = 1;
	j->buf = xmalloc(JOB_CHUNK);
	j->io_ev = event_new(xend_base, j->pfd, EV_WRITE | EV_PERSIST,
	    restore_write_cb, arg);
	event_add(j->io_ev, NULL);
	job_start_tick(j);
}

static void
restore_getfd_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct job	*j = job_reply(arg, error, "getfd");

	if (j == NULL)
		return;
	qmp_command(q, "migrate-incoming", json_pack("{s:s}", "uri",
	    "fd:xmrestore"), restore_incoming_cb, arg);
}

void
save_incoming_up(struct domain *d)
{
	struct job	*j = job_of(d);
	char		*cause;
	int		 theirs;

	if (j == NULL) {
		domain_incoming_done(d, "restore: no job for this domain");
		return;
	}
	if (j->op == JOB_MIGRATE_IN) {
		migrate_in_up(j);
		return;
	}
	if (job_pipe(&j->pfd, &theirs, 0, &cause) != 0) {
		job_fail(j, "%s", cause);
		free(cause);
		return;
	}
	qmp_command_fd(d->qmp, "getfd", json_pack("{s:s}", "fdname",
	    "xmrestore"), theirs, restore_getfd_cb, job_arg(j));
	close(theirs);
}

static void
restore_finish(struct job *j)
{
	double	 secs;

	if (!j->eof || !j->completed)
		return;
	secs = time_mono() - j->t0;
	log_info("%s (%d): restored from %s, %llu bytes in %.2f s",
	    j->d->name, j->d->domid, j->path, (unsigned long long)j->bytes,
	    secs);
	dmesg_add("domain %s (%d) restored from %s", j->d->name, j->d->domid,
	    j->path);
	job_event(j, "completed", NULL);
	domain_incoming_done(j->d, NULL);
	job_end(j);
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
save_incoming_prepare(struct domain *d, char **cause)
{
	struct job	*j = d->incoming;

	j->d = d;
	domain_ref(d);
	/* A restore goes on with its log; a migrated-in domain starts one. */
	if (j->op == JOB_RESTORE)
		restore_console_log(d);
	return (job_record(j, cause));
}

/* A restore's end, as domain.c reports it (the job may be over by then). */
struct restore_wait {
	job_done_cb	 done;
	void		*arg;
	char		*file;
	uint64_t	 bytes;
	double		 t0;
};

static void
save_restored(struct domain *d, const char *code, const char *msg,
    void *arg)
{
	struct restore_wait	*rw = arg;
	struct job_result	 res;

	memset(&res, 0, sizeof res);
	res.name = d->name;
	res.file = rw->file;
	res.bytes = rw->bytes;
	res.seconds = time_mono() - rw->t0;
	res.domid = d->domid;
	res.d = d;
	rw->done(code, msg, code == NULL ? &res : NULL, rw->arg);
	free(rw->file);
	free(rw);
}

int
save_restore(const char *path, int paused, json_t *policy,
    job_done_cb done, void *arg, char **cause)
{
	struct job	*j;
	struct domcfg	*config;
	json_t		*meta;
	const char	*name, *ver;
	struct restore_wait *rw;
	int		 fd;

	if (path[0] != '/') {
		*cause = xsprintf("%s: not an absolute path", path);
		return (-1);
	}
	j = job_new(JOB_RESTORE, path);
	if (savefile_open(path, &j->hdr, &meta, &fd, cause) != 0) {
		job_end(j);
		return (-1);
	}
	j->file_fd = fd;
	j->total = j->hdr.stream_len;
	/* The file may come from anywhere: its config is checked as new. */
	config = domcfg_from_json(json_object_get(meta, "config"), cause);
	ver = json_string_value(json_object_get(meta, "qemu_version"));
	if (save_qemu_version == NULL)
		save_qemu_version = qemu_version();
	if (ver != NULL && strcmp(ver, save_qemu_version) != 0)
		log_warn("%s: saved by %s, restored by %s", path, ver,
		    save_qemu_version);
	json_decref(meta);
	if (config == NULL || (policy != NULL &&
	    api_policy_check(policy, config, cause) != 0)) {
		domcfg_free(config);
		job_end(j);
		return (-1);
	}
	name = config->name;
	log_info("restoring %s from %s", name, path);
	rw = xcalloc(1, sizeof *rw);
	rw->done = done;
	rw->arg = arg;
	rw->file = xstrdup(path);
	rw->bytes = j->hdr.stream_len;
	rw->t0 = j->t0;
	/* domain.c calls save_restored once the domain runs (or failed). */
	if (domain_restore(config, paused, j, save_restored, rw, cause) != 0) {
		free(rw->file);
		free(rw);
		job_end(j);
		return (-1);
	}
	job_event(j, "active", NULL);
	return (0);
}

/* ---- both ---- */

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
	switch (j->op) {
	case JOB_SAVE:
		save_failed(j, msg);
		break;
	case JOB_RESTORE:
		restore_failed(j, msg);
		break;
	case JOB_MIGRATE_OUT:
		migrate_out_failed(j, msg);
		break;
	case JOB_MIGRATE_IN:
		migrate_in_failed(j, msg);
		break;
	}
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

	if (j == NULL)
		return;
	if (j->op == JOB_SAVE)
		save_finish(j);
	else
		restore_finish(j);
}

void
job_query_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct job	*j = job_find(arg);
	struct timeval	 tv = { 0, 0 };
	const char	*st, *desc;
	json_t		*ram;

	if (j == NULL)
		return;
	j->querying = 0;
	if (error != NULL)
		return;	/* QEMU's end is watched by domain.c */
	st = json_string_value(json_object_get(result, "status"));
	if (st == NULL)
		return;
	if (j->op == JOB_MIGRATE_OUT || j->op == JOB_MIGRATE_IN) {
		migrate_query(j, st, result);
		return;
	}
	ram = json_object_get(result, "ram");
	if (j->op == JOB_SAVE && json_is_integer(json_object_get(ram,
	    "remaining")) && j->bytes > 0) {
		/* Bytes to go, as QEMU sees them, after those written. */
		j->total = j->bytes + json_integer_value(json_object_get(ram,
		    "remaining"));
	}
	if (strcmp(st, "completed") == 0) {
		j->completed = 1;
		/* Not from inside a QMP callback: the end may free the QMP. */
		event_base_once(xend_base, -1, EV_TIMEOUT, job_finish_cb,
		    job_arg(j), &tv);
	} else if (strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0) {
		desc = json_string_value(json_object_get(result, "error-desc"));
		if (j->op == JOB_SAVE)
			job_fail(j, "qemu: migration %s%s%s", st,
			    desc != NULL ? ": " : "", desc != NULL ? desc : "");
		else
			job_fail(j, "qemu: incoming migration %s%s%s", st,
			    desc != NULL ? ": " : "", desc != NULL ? desc : "");
	}
}

/* QEMU's MIGRATION event: look now rather than at the next tick. */
void
save_migration_event(struct domain *d, json_t *data)
{
	struct job	*j = job_of(d);

	if (j == NULL || !j->migrating || j->querying || !qmp_is_up(d->qmp))
		return;
	j->querying = 1;
	qmp_command(d->qmp, "query-migrate", NULL, job_query_cb, job_arg(j));
}

static void
job_tick(evutil_socket_t fd, short what, void *arg)
{
	struct job	*j = job_find(arg);
	struct domain	*d;

	if (j == NULL)
		return;
	if (j->op == JOB_MIGRATE_OUT || j->op == JOB_MIGRATE_IN) {
		migrate_tick(j);
		return;
	}
	d = j->d;
	if (d->removed || d->exited || d->state == DOM_DYING ||
	    !qmp_is_up(d->qmp)) {
		if (j->op == JOB_SAVE)
			job_fail(j, "domain %s ended during the save",
			    d->name);
		else
			job_fail(j, "qemu ended during the restore");
		return;
	}
	if (!j->querying && j->migrating) {
		j->querying = 1;
		qmp_command(d->qmp, "query-migrate", NULL, job_query_cb, arg);
	}
}

struct resume {
	struct domain	*d;
	struct event	*ev;
	double		 deadline;
};

/* cont once the re-adopted QEMU's QMP is up (or give up after a while). */
static void
save_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resume	*r = arg;
	struct timeval	 tv = { 0, JOB_TICK_USEC };

	if (!r->d->removed && !r->d->exited && !qmp_is_up(r->d->qmp) &&
	    time_mono() < r->deadline) {
		evtimer_add(r->ev, &tv);
		return;
	}
	if (qmp_is_up(r->d->qmp) && !r->d->removed)
		qmp_command(r->d->qmp, "cont", NULL, save_cont_cb, NULL);
	event_free(r->ev);
	domain_unref(r->d);
	free(r);
}

static void
save_resume_later(struct domain *d)
{
	struct resume	*r = xcalloc(1, sizeof *r);
	struct timeval	 tv = { 0, 0 };

	r->d = d;
	domain_ref(d);
	r->deadline = time_mono() + 30;
	r->ev = evtimer_new(xend_base, save_resume_cb, r);
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
save_recover(struct domain *d)
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
		} else if (i == 2) {
			dmesg_add("domain %s (%d): its migration to %s was cut "
			    "short after the hand-over was asked for; left "
			    "paused here: check %s, then destroy or unpause it",
			    d->name, d->domid, file, file);
		}
		json_decref(o);
	}
	if (!destroy && resume)
		save_resume_later(d);
	return (destroy);
}
