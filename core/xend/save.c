/*
 * save.c: xm save and xm restore.  Each is a job, a small state machine on
 * the event loop:
 *
 *   save:    [stop] -> getfd(pipe) -> migrate fd: -> copy pipe to the file
 *            until EOF and QEMU says completed -> commit the file ->
 *            destroy the domain (or cont it again: a checkpoint)
 *   restore: check the header -> QEMU with -incoming defer (domain.c),
 *            the stream's checksum read from then on -> QMP up: getfd(the
 *            file, at the stream) -> migrate-incoming fd: -> completed and
 *            the checksum right -> cont (or paused)
 *
 * A save has xend in the stream's path (a pipe), so it counts the bytes,
 * keeps the checksum, notices a full disk at once, and QEMU's sandbox (no
 * spawn) stays as it is.  A restore hands QEMU the file itself, so no byte
 * goes through a pipe; xend reads the stream beside it (ahead of QEMU, from
 * before QEMU starts) for its checksum, and QEMU's loaded guest never runs
 * (cont) before the checksum is right: a corrupt file never runs.  QEMU's
 * query-migrate, polled, says when QEMU is done.
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

static void	save_failed(struct job *, const char *);
static void	save_finish(struct job *);
static void	restore_failed(struct job *, const char *);
static int	restore_hold(struct job *, const char *);
static void	restore_finish(struct job *);
static void	restore_incoming_up(struct job *);
static void	save_query(struct job *, const char *, json_t *);
static void	save_tick(struct job *);
static void	restore_tick(struct job *);

static const struct job_ops save_ops = {
	.name = "save", .failed = save_failed, .finish = save_finish,
	.query = save_query, .tick = save_tick,
};
static const struct job_ops restore_ops = {
	.name = "restore", .failed = restore_failed, .finish = restore_finish,
	.query = save_query, .tick = restore_tick,
	.incoming_up = restore_incoming_up, .incoming_exited = restore_hold,
};

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
save_caps_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	if (error != NULL)
		log_warn("save: migrate-set-capabilities: %s", error);
}

/*
 * QEMU's MIGRATION events: its "completed" is seen at once (job.c asks
 * then), not at the next query-migrate tick, up to JOB_TICK_USEC later.
 */
static void
save_events_on(struct qmp *q)
{
	qmp_command(q, "migrate-set-capabilities", json_pack("{s:[{s:s, s:b}]}",
	    "capabilities", "capability", "events", "state", 1), save_caps_cb,
	    NULL);
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
	save_events_on(q);
	qmp_command_fd(q, "getfd", json_pack("{s:s}", "fdname", "xmsave"),
	    theirs, save_getfd_cb, arg);
	/* QEMU has its own copy now (or the getfd failed). */
	close(theirs);
}

static char	*save_qemu_version;


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
	j = job_new(JOB_SAVE, &save_ops, path);
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
			qmp_command(d->qmp, "cont", NULL, job_cont_cb, NULL);
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

/*
 * QEMU gave up on the stream (or died) before xend's check reached its
 * end: if the file is corrupt, that is the reason to give, not QEMU's
 * "load of migration failed".  The check goes on (a few MiB a wake-up)
 * and fails the job itself, with whichever is true: 1 if held so.
 */
static int
restore_hold(struct job *j, const char *msg)
{
	if (j->check_failing || j->buf == NULL ||
	    j->fed >= j->hdr.stream_len)
		return (0);
	if (j->held_fail == NULL) {
		log_debug("%s: %s; the stream's check first", j->path, msg);
		j->held_fail = xstrdup(msg);
	}
	return (1);
}

static void
restore_failed(struct job *j, const char *msg)
{
	if (restore_hold(j, msg))
		return;
	log_warn("restore of %s failed: %s", j->path, msg);
	job_event(j, "failed", msg);
	if (j->d != NULL && !j->d->removed) {
		dmesg_add("domain %s (%d): restore from %s failed: %s",
		    j->d->name, j->d->domid, j->path, msg);
		domain_incoming_done(j->d, msg);
	}
	job_end(j);
}

/* Where the stream starts in the file. */
static off_t
restore_stream_off(struct job *j)
{
	return ((off_t)(SAVEFILE_HDR_LEN + j->hdr.meta_len));
}

/*
 * The stream's CRC-32, a few MiB a wake-up (pread: QEMU owns the offset),
 * from QEMU's start on; restore_finish waits for it.
 */
static void
restore_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct job	*j = job_find(arg);
	struct timeval	 tv = { 0, 0 };
	ssize_t		 n;
	size_t		 want;
	int		 rounds;

	if (j == NULL)
		return;
	for (rounds = 0; rounds < 4 && j->fed < j->hdr.stream_len; rounds++) {
		want = j->hdr.stream_len - j->fed > JOB_CHUNK ? JOB_CHUNK :
		    j->hdr.stream_len - j->fed;
		n = pread(j->file_fd, j->buf, want, restore_stream_off(j) +
		    (off_t)j->fed);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			j->check_failing = 1;
			job_fail(j, "%s: %s", j->path, n == 0 ?
			    "truncated save file (it shrank)" :
			    strerror(errno));
			return;
		}
		j->crc = savefile_crc(j->crc, j->buf, n);
		j->fed += n;
	}
	if (j->fed < j->hdr.stream_len) {
		evtimer_add(j->io_ev, &tv);
		return;
	}
	/* Before QEMU may run what it loads: is it what was saved? */
	j->check_failing = 1;
	if (j->crc != j->hdr.stream_crc) {
		job_fail(j, "%s: corrupt save file (stream checksum mismatch)",
		    j->path);
		return;
	}
	if (j->held_fail != NULL) {
		job_fail(j, "%s", j->held_fail);
		return;
	}
	log_debug("%s: stream checked, %llu bytes in %.3f s", j->path,
	    (unsigned long long)j->fed, time_mono() - j->t0);
	j->eof = 1;
	restore_finish(j);
}

/*
 * Starts the check (and the tick that watches QEMU) once QEMU starts.  No
 * posix_fadvise: SEQUENTIAL or WILLNEED on the file, whose description
 * QEMU shares, made restores from a cold page cache 2-4x slower
 * (docs/PERFORMANCE.md); the kernel's own readahead does better.
 */
static void
restore_check_start(struct job *j)
{
	struct timeval	 tv = { 0, 0 };

	j->buf = xmalloc(JOB_CHUNK);
	j->io_ev = evtimer_new(xend_base, restore_check_cb, job_arg(j));
	evtimer_add(j->io_ev, &tv);
	job_start_tick(j);
}

static void
restore_incoming_cb(struct qmp *q, json_t *result, const char *error,
    void *arg)
{
	struct job	*j = job_reply(arg, error, "migrate-incoming");

	if (j == NULL)
		return;
	j->migrating = 1;
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

/*
 * Hands QEMU the file itself, at the stream, once its QMP is up: its fd
 * shares our file offset, which is how far QEMU has read (restore_tick).
 * It reads the page cache that the check, ahead of it, has filled.
 */
static void
restore_incoming_up(struct job *j)
{
	j->qmp_ready = 1;
	if (lseek(j->file_fd, restore_stream_off(j), SEEK_SET) == -1) {
		job_fail(j, "%s: %s", j->path, strerror(errno));
		return;
	}
	save_events_on(j->d->qmp);
	qmp_command_fd(j->d->qmp, "getfd", json_pack("{s:s}", "fdname",
	    "xmrestore"), j->file_fd, restore_getfd_cb, job_arg(j));
}

static void
restore_finish(struct job *j)
{
	double	 secs;

	if (!j->eof || !j->completed)
		return;
	j->bytes = j->hdr.stream_len;
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
save_restore(const char *path, int paused, save_check_cb check,
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
	j = job_new(JOB_RESTORE, &restore_ops, path);
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
	if (config == NULL || (check != NULL &&
	    check(config, arg, cause) != 0)) {
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
	restore_check_start(j);
	job_event(j, "active", NULL);
	return (0);
}

/* ---- both ---- */

/* query-migrate's answer for a save or a restore. */
static void
save_query(struct job *j, const char *st, json_t *result)
{
	json_t		*ram = json_object_get(result, "ram");
	const char	*desc;

	if (j->op == JOB_SAVE && json_is_integer(json_object_get(ram,
	    "remaining")) && j->bytes > 0) {
		/* Bytes to go, as QEMU sees them, after those written. */
		j->total = j->bytes + json_integer_value(json_object_get(ram,
		    "remaining"));
	}
	if (strcmp(st, "completed") == 0) {
		j->completed = 1;
		job_finish_soon(j);
	} else if (strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0) {
		desc = json_string_value(json_object_get(result, "error-desc"));
		job_fail(j, "qemu: %smigration %s%s%s", j->op == JOB_SAVE ? "" :
		    "incoming ", st, desc != NULL ? ": " : "",
		    desc != NULL ? desc : "");
	}
}

static void
save_tick(struct job *j)
{
	struct domain	*d = j->d;

	if (d->removed || d->exited || d->state == DOM_DYING ||
	    !qmp_is_up(d->qmp)) {
		job_fail(j, "domain %s ended during the save", d->name);
		return;
	}
	job_query(j);
}

/* From QEMU's start on: QEMU's end, and how far it has read. */
static void
restore_tick(struct job *j)
{
	struct domain	*d = j->d;
	off_t		 at;

	if (d->removed || d->exited || d->state == DOM_DYING ||
	    (j->qmp_ready && !qmp_is_up(d->qmp))) {
		job_fail(j, "qemu ended during the restore");
		return;
	}
	if (!j->migrating)
		return;
	/* QEMU's copy of the fd shares our offset: its position. */
	at = lseek(j->file_fd, 0, SEEK_CUR);
	if (at > restore_stream_off(j))
		j->bytes = (uint64_t)(at - restore_stream_off(j));
	job_progress(j);
	job_query(j);
}
