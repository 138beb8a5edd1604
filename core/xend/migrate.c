/*
 * migrate.c: xm migrate, in libvirt's phases, over the relocation server.
 *
 *   source (this xend, API domain.migrate)   target (its relocation server)
 *   begin: checks, control connection   ->  prepare: checks (name free,
 *                                            memory, disks), QEMU paused
 *                                            with -incoming defer
 *                                       <-  {"ok", "domid"}
 *   perform: stream connection, QEMU's  ->  the socket to QEMU (getfd),
 *   migrate fd: with pause-before-           migrate-incoming fd:
 *   switchover; at pre-switchover
 *   migrate-continue; completed
 *   finish                              ->  completed?  cont: the domain
 *                                            runs here -- the hand-over
 *                                       <-  {"ok", "domid", "console_port"}
 *   confirm: the source copy destroyed
 *
 * The hand-over is one decision, the target's cont after finish.  Before
 * it every failure resumes the source and the target's QEMU is destroyed
 * (a target that loses the control connection before finish destroys its
 * copy); after it the target runs and the source's copy is destroyed.  If
 * the source loses the connection after sending finish it cannot know
 * which way it went: its copy stays paused, never run twice, and xm says
 * so (docs/RELIABILITY.md).  Both ends write their phase into the
 * domain's dir: a restarted source resumes a domain whose migration had
 * not reached finish (save_recover); a restarted target destroys a domain
 * that had not been started.  After destroying its copy the source sends
 * migrate.confirm, and the target forgets the token at once.
 *
 * With --copy-storage the target also creates the writable disks (same
 * paths and sizes) and exports them from its QEMU's NBD server on a unix
 * socket in the domain's dir; the source opens one more relocation
 * connection per disk (migrate.nbd, spliced there to that socket), hands
 * it to its QEMU as an NBD client and mirrors the disk into it.  Once every
 * mirror is in sync the memory goes as above; at pre-switchover (source
 * paused) the mirrors are cancelled, which ends them in sync, and only
 * then migrate-continue (as soon as QEMU's events say the last ended; the
 * tick's query-block-jobs is the fallback).  A failure before the
 * hand-over also removes the files the target created, listed in its
 * state dir before each is made so that a restarted target removes them
 * too; the source's files are never touched.  A restarted source removes
 * the mirrors and NBD nodes its QEMU kept (migrate_tidy).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xen-common.h"
#include "domcfg.h"
#include "qmp.h"
#include "xend.h"
#include "job.h"

enum {
	MIG_BEGIN,
	MIG_PREPARE,	/* prepare sent / QEMU starting */
	MIG_PERFORM,	/* the stream runs */
	MIG_SWITCHOVER,	/* source paused at pre-switchover, continued */
	MIG_FINISH,	/* finish sent / target cont'd: the hand-over */
};
_Static_assert(MIG_FINISH == JOB_PHASE_HANDOVER, "job_recover's phase");

/* --copy-storage (the last section). */
struct mig_disk {
	char		*dev;
	char		*format;	/* raw or qcow2 */
	uint64_t	 size;		/* virtual, bytes */
	char		*created;	/* target: the file made here, or NULL */
	uint64_t	 offset, len;	/* source: the mirror's progress */
	int		 concluded;	/* source: its mirror ended (event) */
	char		*error;		/* source: how, if not in sync */
};

enum { CS_CONNECT, CS_MIRROR, CS_READY, CS_CANCEL, CS_DONE };

struct mig_copy {
	struct mig_disk	*disks;
	size_t		 n;
	size_t		 next;		/* source: disks handed to QEMU */
	int		 state;		/* source: CS_* */
	int		 querying;
	char		 tag[9];	/* QEMU's names: the token's first 8 */
	uint64_t	 bytes, total;	/* source: of every mirror */
};

static void	migrate_job_free(struct job *);
static void	migrate_out_failed(struct job *, const char *);
static void	migrate_in_failed(struct job *, const char *);
static void	migrate_in_up(struct job *);
static void	migrate_in_stream(const char *, int, const char *);
static void	migrate_in_line(struct rconn *, json_t *, void *);
static void	migrate_in_closed(struct rconn *, void *);
static void	migrate_query(struct job *, const char *, json_t *);
static void	migrate_tick(struct job *);
static void	migrate_block_event(struct job *, const char *, json_t *);
static void	migrate_in_nbd(const char *, int, const char *);
static void	migrate_out_stream(int, const char *, void *);
static void	migrate_out_continue(struct job *);
static void	migrate_in_ready(struct job *);
static void	migrate_copy_free(struct mig_copy *);
static void	migrate_copy_reap(struct job *);
static void	migrate_copy_unlink(struct job *);
static void	migrate_copy_tick(struct job *);
static void	migrate_copy_cancel(struct job *);
static int	migrate_copy_new(struct job *, char **);
static json_t	*migrate_copy_json(struct job *);
static int	migrate_in_disks(struct job *, const struct domcfg *, json_t *,
		    char **);
static void	migrate_out_copy_next(struct job *);
static void	migrate_made_drop(struct job *);
static void	migrate_made_recover(void);
static void	migrate_tidy_start(struct domain *, const char *, int);

static const struct job_ops migrate_out_ops = {
	.name = "migrate", .failed = migrate_out_failed,
	.query = migrate_query, .tick = migrate_tick,
	.free = migrate_job_free, .block_event = migrate_block_event,
};
static const struct job_ops migrate_in_ops = {
	.name = "migrate-in", .failed = migrate_in_failed,
	.query = migrate_query, .tick = migrate_tick,
	.incoming_up = migrate_in_up, .free = migrate_job_free,
};

const struct relocate_handlers migrate_handlers = {
	migrate_in_line, migrate_in_closed, migrate_in_stream, migrate_in_nbd
};

#define MIG_CONNECT_SECONDS	5
#define MIG_DOWNTIME_MS		50

static void
migrate_job_free(struct job *j)
{
	free(j->token);
	free(j->host);
	json_decref(j->downtime);
	if (j->data_fd != -1)
		close(j->data_fd);
	if (j->rc != NULL)
		rconn_free(j->rc);
	j->rc = NULL;
	migrate_copy_free(j->copy);
	j->copy = NULL;
}

/* The tick once, whoever starts it first (mirrors, stream, target). */
static void
migrate_tick_start(struct job *j)
{
	if (j->tick_ev == NULL)
		job_start_tick(j);
}

/* A connection's first line (stream, disk copy): written at once. */
static int
migrate_first_line(int fd, const char *op, const char *token, char **cause)
{
	char	*line;
	int	 rc = 0;

	line = xsprintf("{\"op\":\"%s\",\"token\":\"%s\"}\n", op, token);
	/* A short line into an empty socket buffer. */
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		*cause = xsprintf("%s connection: %s", op, strerror(errno));
		rc = -1;
	}
	free(line);
	return (rc);
}

/* A token as migrate_token makes them (it names files here). */
static int
migrate_token_ok(const char *token)
{
	return (token != NULL && strlen(token) >= 16 && strspn(token,
	    "0123456789abcdef") == strlen(token));
}

static char *
migrate_token(void)
{
	unsigned char	 r[16];
	char		 out[33];
	size_t		 i;
	int		 fd;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd == -1 || read(fd, r, sizeof r) != sizeof r)
		fatal("/dev/urandom");
	close(fd);
	for (i = 0; i < sizeof r; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	return (xstrdup(out));
}

/* A control connection gone: freed; its job, if any, lets go of it. */
static struct job *
migrate_closed(struct rconn *rc, void *arg)
{
	struct job	*j = job_find(arg);

	rconn_free(rc);
	if (j != NULL)
		j->rc = NULL;
	return (j);
}

/* ---- source ---- */

/* Before the hand-over: the source runs again, the target lets go. */
static void
migrate_out_failed(struct job *j, const char *msg)
{
	struct domain	*d = j->d;

	log_warn("%s (%d): migration to %s failed: %s", d->name, d->domid,
	    j->path, msg);
	if (j->rc != NULL) {
		/* Closing the control connection is the target's abort. */
		rconn_free(j->rc);
		j->rc = NULL;
	}
	if (j->copy != NULL)
		migrate_copy_reap(j);
	job_source_failed(j, "migration to", msg);
}

/* After finish was sent, an answer that never came: keep it paused. */
static void
migrate_out_unknown(struct job *j, const char *why)
{
	struct domain	*d = j->d;
	char		*msg;

	msg = xsprintf("%s after the hand-over was asked for: domain %s is "
	    "left paused here and may be running on %s; check there, then "
	    "destroy or unpause this copy", why, d->name, j->host);
	log_error("%s (%d): %s", d->name, d->domid, msg);
	dmesg_add("domain %s (%d): %s", d->name, d->domid, msg);
	job_event(j, "failed", msg);
	job_done(j, "failed", msg, NULL);
	free(msg);
	job_end(j);
}

static void
migrate_out_done(struct job *j, json_t *msg)
{
	struct domain	*d = j->d;
	char			*cause = NULL;
	struct job_result	 res;
	double			 secs = time_mono() - j->t0;

	memset(&res, 0, sizeof res);
	res.name = d->name;
	res.file = j->path;
	res.host = j->host;
	res.port = j->port;
	res.seconds = secs;
	res.bytes = j->bytes;
	res.domid = json_integer_value(json_object_get(msg, "domid"));
	res.console_port = json_integer_value(json_object_get(msg,
	    "console_port"));
	res.downtime_ms = json_is_integer(json_object_get(j->downtime,
	    "downtime")) ? json_integer_value(json_object_get(j->downtime,
	    "downtime")) : -1;
	res.total_ms = json_integer_value(json_object_get(j->downtime,
	    "total-time"));
	log_info("%s (%d): migrated to %s port %d in %.2f s", d->name,
	    d->domid, j->host, j->port, secs);
	dmesg_add("domain %s (%d) migrated to %s (domain %lld there)",
	    d->name, d->domid, j->host,
	    (long long)json_integer_value(json_object_get(msg, "domid")));
	job_event(j, "completed", NULL);
	job_unrecord(j);
	/* Console clients here are told where it went (xenconsoled). */
	job_publish("domain.migrated", json_pack("{s:i, s:s, s:s, s:O?}",
	    "domid", d->domid, "name", d->name, "host", j->host,
	    "console_port", json_object_get(msg, "console_port")));
	/* Confirm: the copy here is destroyed; the target may forget it. */
	if (domain_destroy(d, &cause) != 0) {
		log_error("%s: migrated, but not destroyed here: %s", d->name,
		    cause);
		res.warning = cause;
	} else
		rconn_send(j->rc, json_pack("{s:s, s:{s:s}}", "op",
		    "migrate.confirm", "args", "token", j->token));
	job_done(j, NULL, NULL, &res);
	free(cause);
	rconn_close_after_send(j->rc);
	j->rc = NULL;
	job_end(j);
}

static void
migrate_out_closed(struct rconn *rc, void *arg)
{
	struct job	*j = migrate_closed(rc, arg);

	if (j == NULL)
		return;
	if (j->phase >= MIG_FINISH)
		migrate_out_unknown(j, "the target closed the connection");
	else
		job_fail(j, "%s closed the connection", j->host);
}

static void
migrate_out_qmp_cb(struct qmp *q, json_t *result, const char *error,
    void *arg)
{
	struct job	*j = job_find(arg);

	if (j == NULL || error == NULL)
		return;
	job_fail(j, "qemu: %s", error);
}

static void
migrate_out_migrate_cb(struct qmp *q, json_t *result, const char *error,
    void *arg)
{
	struct job	*j = job_reply(arg, error, "migrate");

	if (j == NULL)
		return;
	j->migrating = 1;
	migrate_tick_start(j);
}

/* The stream connection is up: QEMU's migration into it. */
static void
migrate_out_stream(int fd, const char *why, void *arg)
{
	struct job	*j = job_find(arg);
	struct domain	*d;
	json_t		*caps;
	char		*cause;

	if (j == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	if (fd == -1) {
		job_fail(j, "stream connection: %s", why);
		return;
	}
	d = j->d;
	if (migrate_first_line(fd, "migrate.stream", j->token, &cause) != 0) {
		job_fail(j, "%s", cause);
		free(cause);
		close(fd);
		return;
	}
	j->phase = MIG_PERFORM;
	if (job_record(j, &cause) != 0) {
		close(fd);
		job_fail(j, "%s", cause);
		free(cause);
		return;
	}
	caps = json_pack("[{s:s, s:b}, {s:s, s:b}, {s:s, s:b}]",
	    "capability", "pause-before-switchover", "state", 1,
	    "capability", "auto-converge", "state", j->live,
	    "capability", "events", "state", 1);
	qmp_command(d->qmp, "migrate-set-capabilities", json_pack("{s:o}",
	    "capabilities", caps), migrate_out_qmp_cb, job_arg(j));
	qmp_command(d->qmp, "migrate-set-parameters", json_pack("{s:I, s:I}",
	    "max-bandwidth", j->mbit > 0 ? (json_int_t)j->mbit * 125000 :
	    JOB_MAX_BANDWIDTH, "downtime-limit", (json_int_t)MIG_DOWNTIME_MS),
	    migrate_out_qmp_cb, job_arg(j));
	qmp_command_fd(d->qmp, "getfd", json_pack("{s:s}", "fdname",
	    "xmmig"), fd, migrate_out_qmp_cb, job_arg(j));
	close(fd);
	qmp_command(d->qmp, "migrate", json_pack("{s:s}", "uri", "fd:xmmig"),
	    migrate_out_migrate_cb, job_arg(j));
}

/* The stream connection, then QEMU's migration into it. */
static void
migrate_out_perform_stream(struct job *j)
{
	relocate_connect(j->host, j->port, MIG_CONNECT_SECONDS,
	    migrate_out_stream, job_arg(j));
}

/* Prepared: the disks first if they are copied, then the memory. */
static void
migrate_out_perform(struct job *j)
{
	struct domain	*d = j->d;

	/* Without --live: pause, copy, resume there (the manual). */
	if (!j->live && d->state == DOM_RUNNING)
		qmp_command(d->qmp, "stop", NULL, migrate_out_qmp_cb,
		    job_arg(j));
	if (j->copy != NULL)
		migrate_out_copy_next(j);
	else
		migrate_out_perform_stream(j);
}

static void
migrate_out_line(struct rconn *rc, json_t *msg, void *arg)
{
	struct job	*j = job_find(arg);
	const char	*err = json_string_value(json_object_get(msg, "error"));

	if (j == NULL)
		return;
	if (j->phase == MIG_PREPARE) {
		if (err != NULL) {
			job_fail(j, "%s refused: %s", j->host, err);
			return;
		}
		migrate_out_perform(j);
	} else if (j->phase == MIG_FINISH) {
		if (err != NULL) {
			/* It did not run there, and says so: run here. */
			j->completed = 0;
			job_fail(j, "%s could not start it: %s",
			    j->host, err);
			return;
		}
		migrate_out_done(j, msg);
	} else if (err != NULL)
		job_fail(j, "%s: %s", j->host, err);
}

/* Begin: the target is there; does it let us in, will it take it? */
static void
migrate_out_connected(int fd, const char *why, void *arg)
{
	struct job	*j = job_find(arg);
	struct domain	*d;
	char		*cause;

	if (j == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	if (fd == -1) {
		job_fail(j, "%s", why);
		return;
	}
	d = j->d;
	j->phase = MIG_PREPARE;
	if (job_record(j, &cause) != 0) {
		close(fd);
		job_fail(j, "%s", cause);
		free(cause);
		return;
	}
	j->rc = relocate_control(fd, j->host, migrate_out_line,
	    migrate_out_closed, job_arg(j));
	rconn_send(j->rc, json_pack("{s:s, s:{s:o, s:s, s:b, s:o*}}", "op",
	    "migrate.prepare", "args", "config", domcfg_to_json(d->config),
	    "token", j->token, "paused", d->state == DOM_PAUSED,
	    "copy_storage", migrate_copy_json(j)));
}

int
migrate_start(struct domain *d, const char *host, int port, int live,
    int copy_storage, long mbit, job_done_cb done, void *arg, char **cause)
{
	struct job	*j;
	char		*path;

	if (job_can_start(d, "migrated", cause) != 0)
		return (-1);
	path = xsprintf("%s:%d", host, port);
	j = job_new(JOB_MIGRATE_OUT, &migrate_out_ops, path);
	free(path);
	j->d = d;
	domain_ref(d);
	j->host = xstrdup(host);
	j->port = port;
	j->live = live;
	j->mbit = mbit;
	j->was_running = d->state == DOM_RUNNING;
	j->token = migrate_token();
	j->total = (uint64_t)d->boot_maxmem << 20;
	j->phase = MIG_BEGIN;
	if (copy_storage && migrate_copy_new(j, cause) != 0) {
		job_end(j);
		return (-1);
	}
	j->done = done;
	j->done_arg = arg;
	log_info("%s (%d): migrating to %s port %d%s%s", d->name, d->domid,
	    host, port, live ? " (live)" : "", copy_storage ?
	    " with its disks" : "");
	job_event(j, "active", NULL);
	relocate_connect(host, port, MIG_CONNECT_SECONDS,
	    migrate_out_connected, job_arg(j));
	return (0);
}

static void
migrate_out_continue_cb(struct qmp *q, json_t *result, const char *error,
    void *arg)
{
	struct job	*j = job_find(arg);

	if (j != NULL && error != NULL)
		job_fail(j, "qemu: migrate-continue: %s", error);
}

/* The source is paused at pre-switchover, its disks (if any) in sync. */
static void
migrate_out_continue(struct job *j)
{
	qmp_command(j->d->qmp, "migrate-continue", json_pack("{s:s}",
	    "state", "pre-switchover"), migrate_out_continue_cb, job_arg(j));
}

/* bytes and total: the memory's, and the disks' mirrors if copied. */
static uint64_t	migrate_copy_bytes(struct job *, int total);

static void
migrate_out_query(struct job *j, const char *st, json_t *r)
{
	json_t		*ram = json_object_get(r, "ram");
	char		*cause;
	const char	*desc;

	if (json_is_integer(json_object_get(ram, "transferred")))
		j->bytes = json_integer_value(json_object_get(ram,
		    "transferred")) + migrate_copy_bytes(j, 0);
	if (json_is_integer(json_object_get(ram, "total")))
		j->total = json_integer_value(json_object_get(ram, "total")) +
		    migrate_copy_bytes(j, 1);
	if (strcmp(st, "pre-switchover") == 0 && j->phase == MIG_PERFORM) {
		/* Everything else has gone; the source is stopped now. */
		j->phase = MIG_SWITCHOVER;
		if (j->copy != NULL)
			migrate_copy_cancel(j);	/* then migrate_out_continue */
		else
			migrate_out_continue(j);
	} else if (strcmp(st, "completed") == 0 && j->phase < MIG_FINISH) {
		j->completed = 1;
		json_decref(j->downtime);
		j->downtime = json_pack("{s:O?, s:O?, s:O?}", "downtime",
		    json_object_get(r, "downtime"), "total-time",
		    json_object_get(r, "total-time"), "setup-time",
		    json_object_get(r, "setup-time"));
		/* From here the target decides: record it first. */
		j->phase = MIG_FINISH;
		if (job_record(j, &cause) != 0) {
			j->phase = MIG_SWITCHOVER;
			job_fail(j, "%s", cause);
			free(cause);
			return;
		}
		rconn_send(j->rc, json_pack("{s:s, s:{s:s}}", "op",
		    "migrate.finish", "args", "token", j->token));
	} else if (strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0) {
		desc = json_string_value(json_object_get(r, "error-desc"));
		job_fail(j, "qemu: migration %s%s%s", st,
		    desc != NULL ? ": " : "", desc != NULL ? desc : "");
	} else
		job_progress(j);
}

/* ---- target ---- */

/* Before the hand-over: the QEMU here goes, nothing stays. */
static void
migrate_in_failed(struct job *j, const char *msg)
{
	log_warn("incoming migration from %s failed: %s", j->path, msg);
	if (j->rc != NULL)
		rconn_error(j->rc, "%s", msg);
	job_event(j, "failed", msg);
	if (j->d != NULL && !j->d->removed) {
		dmesg_add("domain %s (%d): incoming migration from %s failed: "
		    "%s", j->d->name, j->d->domid, j->path, msg);
		if (j->d->incoming != NULL)
			domain_incoming_done(j->d, msg);
		else
			domain_destroy(j->d, NULL);
	}
	if (j->copy != NULL && j->phase < MIG_FINISH)
		migrate_copy_unlink(j);
	if (j->rc != NULL)
		rconn_close_after_send(j->rc);
	j->rc = NULL;
	job_end(j);
}

static void
migrate_in_qmp_cb(struct qmp *q, json_t *result, const char *error,
    void *arg)
{
	(void)job_reply(arg, error, "qmp");
}

/* QEMU waits and the stream has come: join them. */
static void
migrate_in_join(struct job *j)
{
	struct qmp	*q = j->d->qmp;

	if (!j->qmp_ready || j->data_fd == -1 || j->migrating)
		return;
	qmp_command(q, "migrate-set-capabilities", json_pack("{s:[{s:s, s:b}]}",
	    "capabilities", "capability", "events", "state", 1),
	    migrate_in_qmp_cb, job_arg(j));
	qmp_command_fd(q, "getfd", json_pack("{s:s}", "fdname", "xmmig"),
	    j->data_fd, migrate_in_qmp_cb, job_arg(j));
	close(j->data_fd);
	j->data_fd = -1;
	qmp_command(q, "migrate-incoming", json_pack("{s:s}", "uri",
	    "fd:xmmig"), migrate_in_qmp_cb, job_arg(j));
	j->migrating = 1;
	j->phase = MIG_PERFORM;
	migrate_tick_start(j);
}

/* QEMU waits (its disks exported, if copied): the source may go on. */
static void
migrate_in_ready(struct job *j)
{
	j->qmp_ready = 1;
	rconn_send(j->rc, json_pack("{s:b, s:i}", "ok", 1, "domid",
	    j->d->domid));
	migrate_in_join(j);
}

static void
migrate_in_exported_cb(struct qmp *q, json_t *result, const char *error,
    void *arg)
{
	struct job	*j = job_reply(arg, error, "block-export-add");

	if (j != NULL)
		migrate_in_ready(j);
}

/*
 * The disks copied here go out through QEMU's NBD server on a unix socket
 * in the domain's (0700) dir; only migrate_in_nbd connects to it.
 */
static void
migrate_in_up(struct job *j)
{
	struct domain	*d = j->d;
	char		*sock;
	size_t		 i;

	/* Watches QEMU from now: one gone mid-copy fails the job. */
	migrate_tick_start(j);
	if (j->copy == NULL) {
		migrate_in_ready(j);
		return;
	}
	sock = xsprintf("%s/nbd.sock", d->dir);
	unlink(sock);
	qmp_command(d->qmp, "nbd-server-start", json_pack("{s:{s:s, s:{s:s}}}",
	    "addr", "type", "unix", "data", "path", sock), migrate_in_qmp_cb,
	    job_arg(j));
	free(sock);
	for (i = 0; i < j->copy->n; i++) {
		qmp_command(d->qmp, "block-export-add", json_pack("{s:s, s:s+, "
		    "s:s+, s:s+, s:b}", "type", "nbd", "id", "xmexp-",
		    j->copy->disks[i].dev, "node-name", "vbd-",
		    j->copy->disks[i].dev, "name", "vbd-",
		    j->copy->disks[i].dev, "writable", 1),
		    i + 1 == j->copy->n ? migrate_in_exported_cb :
		    migrate_in_qmp_cb, job_arg(j));
	}
}

static void
migrate_in_stream(const char *token, int fd, const char *peer)
{
	struct job	*j = job_by_token(token);

	if (j == NULL || j->op != JOB_MIGRATE_IN || j->data_fd != -1 ||
	    j->migrating) {
		log_warn("relocation: %s: a stream for no migration here",
		    peer);
		close(fd);
		return;
	}
	j->data_fd = fd;
	migrate_in_join(j);
}

static void
migrate_in_prepare(struct rconn *rc, json_t *args)
{
	json_t		*config = json_object_get(args, "config");
	const char	*token = json_string_value(json_object_get(args,
			    "token"));
	struct job	*j;
	struct domcfg	*dc;
	char		*cause;

	if (!json_is_object(config) || !migrate_token_ok(token)) {
		rconn_error(rc, "prepare: expected config and token");
		return;
	}
	if (job_by_token(token) != NULL) {
		rconn_error(rc, "prepare: token in use");
		return;
	}
	if ((dc = domcfg_from_json(config, &cause)) == NULL) {
		rconn_error(rc, "%s", cause);
		free(cause);
		return;
	}
	j = job_new(JOB_MIGRATE_IN, &migrate_in_ops, rconn_peer(rc));
	j->token = xstrdup(token);
	j->rc = rc;
	j->phase = MIG_PREPARE;
	rconn_set_cb(rc, migrate_in_line, migrate_in_closed, job_arg(j));
	/*
	 * --copy-storage: the disks made here first; then the checks of a
	 * create: name free, memory, disks, ports.
	 */
	if ((json_object_get(args, "copy_storage") != NULL &&
	    migrate_in_disks(j, dc, json_object_get(args, "copy_storage"),
	    &cause) != 0) || domain_restore(dc, json_is_true(json_object_get(
	    args, "paused")), j, NULL, NULL, &cause) != 0) {
		if (j->copy != NULL)
			migrate_copy_unlink(j);
		rconn_error(rc, "%s", cause);
		log_warn("incoming migration from %s refused: %s",
		    rconn_peer(rc), cause);
		free(cause);
		j->rc = NULL;
		rconn_set_cb(rc, migrate_in_line, migrate_in_closed, NULL);
		job_end(j);
		return;
	}
	job_event(j, "active", NULL);
}

/* The hand-over, once QEMU has it all: it runs here from now on. */
/*
 * The tokens of migrations handed over here, one empty file each under
 * the state dir: a source xend restarted after asking for the hand-over
 * asks whether it happened (migrate.query), also after this xend
 * restarted.  Kept MIG_TOKEN_KEEP_SEC; migrated-in/.pruned's mtime says
 * up to when tokens were removed, so that a question about a migration
 * from before then gets "cannot say" (the source stays paused), never a
 * wrong "no" (two running copies).
 */
#define MIG_PRUNE_SEC		3600
/* Hosts' clocks may differ by this much. */
#define MIG_CLOCK_SKEW_SEC	3600

static struct event	*migrate_prune_ev;
static char *
migrate_token_path(const char *token)
{
	return (xsprintf("%s/migrated-in/%s", xend_cfg.state_dir, token));
}

void
migrate_tokens_prune(time_t now)
{
	char		*dir, *path;
	DIR		*dp;
	struct dirent	*de;
	struct stat	 st;
	time_t		 cutoff = now - MIG_TOKEN_KEEP_SEC;
	struct timespec	 ts[2] = { { cutoff, 0 }, { cutoff, 0 } };
	int		 fd, removed = 0;

	dir = xsprintf("%s/migrated-in", xend_cfg.state_dir);
	if ((dp = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(dp), de->d_name, &st, 0) != 0 ||
		    st.st_mtime >= cutoff)
			continue;
		/* .pruned first: a crash between must not answer "no". */
		if (!removed) {
			path = xsprintf("%s/.pruned", dir);
			fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
			if (fd == -1 || futimens(fd, ts) != 0 ||
			    fsync(fd) != 0) {
				log_warn("%s: %s", path, strerror(errno));
				if (fd != -1)
					close(fd);
				free(path);
				break;
			}
			close(fd);
			free(path);
			removed = 1;
		}
		if (unlinkat(dirfd(dp), de->d_name, 0) != 0)
			log_warn("%s/%s: %s", dir, de->d_name, strerror(errno));
		else
			log_debug("%s/%s: pruned", dir, de->d_name);
	}
	closedir(dp);
	free(dir);
}

int
migrate_handed_over(const char *token, double asked)
{
	char		*path;
	struct stat	 st;
	int		 rc;

	path = migrate_token_path(token);
	rc = access(path, F_OK) == 0;
	free(path);
	if (rc)
		return (1);
	path = xsprintf("%s/migrated-in/.pruned", xend_cfg.state_dir);
	if (stat(path, &st) == 0 && (asked <= 0 ||
	    asked < (double)st.st_mtime + MIG_CLOCK_SKEW_SEC))
		rc = -1;
	free(path);
	return (rc);
}

static void
migrate_prune_cb(evutil_socket_t fd, short what, void *arg)
{
	migrate_tokens_prune(time(NULL));
}

void
migrate_init(void)
{
	struct timeval	 tv = { MIG_PRUNE_SEC, 0 };

	/* Before the prune: it reads the tokens handed over. */
	migrate_made_recover();
	migrate_tokens_prune(time(NULL));
	migrate_prune_ev = event_new(xend_base, -1, EV_PERSIST,
	    migrate_prune_cb, NULL);
	event_add(migrate_prune_ev, &tv);
}

static int
migrate_token_mark(const char *token, char **cause)
{
	char	*dir, *path;
	int	 rc;

	dir = xsprintf("%s/migrated-in", xend_cfg.state_dir);
	path = migrate_token_path(token);
	rc = mkdir_p(dir, 0700, cause) != 0 ? -1 :
	    file_write_atomic(path, "", 0, 0600, cause);
	free(dir);
	free(path);
	return (rc);
}

static void
migrate_in_handover(struct job *j)
{
	char	*cause, *sock;

	if (!j->completed || !j->finish_asked || j->phase >= MIG_FINISH)
		return;
	/* Written before cont: a later question must get "yes". */
	if (migrate_token_mark(j->token, &cause) != 0) {
		job_fail(j, "%s", cause);
		free(cause);
		return;
	}
	j->phase = MIG_FINISH;
	if (job_record(j, &cause) != 0) {
		log_warn("%s", cause);
		free(cause);
	}
	/* The disks are this QEMU's alone before it runs (cont follows). */
	if (j->copy != NULL) {
		/* The files it made are the domain's disks from now on. */
		migrate_made_drop(j);
		qmp_command(j->d->qmp, "nbd-server-stop", NULL, migrate_in_qmp_cb,
		    job_arg(j));
		sock = xsprintf("%s/nbd.sock", j->d->dir);
		unlink(sock);
		free(sock);
	}
	domain_incoming_done(j->d, NULL);
}

/* migrate.query: was the migration with this token handed over here? */
static void
migrate_in_query(struct rconn *rc, json_t *args)
{
	const char	*token = json_string_value(json_object_get(args,
			    "token"));
	struct job	*j;
	int		 here;

	if (!migrate_token_ok(token)) {
		rconn_error(rc, "query: expected a token");
		return;
	}
	j = job_by_token(token);
	if (j != NULL && j->phase >= MIG_FINISH)
		here = 1;
	else
		here = migrate_handed_over(token, json_number_value(
		    json_object_get(args, "asked")));
	if (here == -1) {
		rconn_error(rc, "query: the migration is older than the "
		    "records kept here");
		return;
	}
	rconn_send(rc, json_pack("{s:b, s:b}", "ok", 1, "handed_over", here));
}

/*
 * migrate.confirm: the source destroyed its copy, so nobody will ask about
 * this token: it goes now rather than at its expiry.
 */
static void
migrate_in_confirm(struct rconn *rc, json_t *args)
{
	const char	*token = json_string_value(json_object_get(args,
			    "token"));
	char		*path;

	if (!migrate_token_ok(token)) {
		rconn_error(rc, "confirm: expected a token");
		return;
	}
	path = migrate_token_path(token);
	if (unlink(path) != 0 && errno != ENOENT)
		log_warn("%s: %s", path, strerror(errno));
	else
		log_debug("%s: confirmed by the source", path);
	free(path);
	rconn_send(rc, json_pack("{s:b}", "ok", 1));
}

static void
migrate_in_line(struct rconn *rc, json_t *msg, void *arg)
{
	struct job	*j = job_find(arg);
	const char	*op = json_string_value(json_object_get(msg, "op"));
	json_t		*args = json_object_get(msg, "args");
	char		 host[256];

	if (op == NULL) {
		rconn_error(rc, "missing \"op\"");
		return;
	}
	if (strcmp(op, "ping") == 0) {
		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "?");
		rconn_send(rc, json_pack("{s:b, s:s}", "ok", 1, "host", host));
	} else if (strcmp(op, "migrate.prepare") == 0 && j == NULL)
		migrate_in_prepare(rc, args);
	else if (strcmp(op, "migrate.query") == 0 && j == NULL)
		migrate_in_query(rc, args);
	else if (strcmp(op, "migrate.confirm") == 0 && j == NULL)
		migrate_in_confirm(rc, args);
	else if (strcmp(op, "migrate.finish") == 0 && j != NULL) {
		j->finish_asked = 1;
		migrate_in_handover(j);
		job_query(j);
	} else
		rconn_error(rc, "unknown op '%s'", op);
}

static void
migrate_in_closed(struct rconn *rc, void *arg)
{
	struct job	*j = migrate_closed(rc, arg);

	if (j == NULL)
		return;
	if (j->phase < MIG_FINISH)
		job_fail(j, "the source closed the connection");
}

/* ---- a source restarted after asking for the hand-over ---- */

struct mig_ask {
	struct domain	*d;
	char		*host;
	int		 port;
	char		*token;
	int		 was_running;
	double		 asked;
};

static void
migrate_ask_free(struct mig_ask *a)
{
	domain_unref(a->d);
	free(a->host);
	free(a->token);
	free(a);
}

static void
migrate_ask_line(struct rconn *rc, json_t *msg, void *arg)
{
	struct mig_ask	*a = arg;
	struct domain	*d = a->d;
	const char	*err = json_string_value(json_object_get(msg, "error"));

	rconn_free(rc);
	if (d->removed)
		;
	else if (err != NULL)
		dmesg_add("domain %s (%d): %s cannot say where it runs (%s); "
		    "left paused here", d->name, d->domid, a->host, err);
	else if (json_is_true(json_object_get(msg, "handed_over"))) {
		dmesg_add("domain %s (%d): its migration to %s had been handed "
		    "over: it runs there; the copy here is destroyed", d->name,
		    d->domid, a->host);
		domain_destroy(d, NULL);
	} else {
		dmesg_add("domain %s (%d): its migration to %s had not been "
		    "handed over: it runs here", d->name, d->domid, a->host);
		if (a->was_running)
			job_resume_later(d);
		/* Its disks' NBD nodes, if they were copied, stayed. */
		migrate_tidy_start(d, a->token, 1);
	}
	migrate_ask_free(a);
}

static void
migrate_ask_closed(struct rconn *rc, void *arg)
{
	struct mig_ask	*a = arg;

	rconn_free(rc);
	dmesg_add("domain %s (%d): %s closed the connection before saying "
	    "where it runs; left paused here", a->d->name, a->d->domid,
	    a->host);
	migrate_ask_free(a);
}

static void
migrate_ask_connected(int s, const char *why, void *arg)
{
	struct mig_ask	*a = arg;
	struct rconn	*rc;

	if (s == -1 || a->d->removed) {
		if (s == -1)
			dmesg_add("domain %s (%d): cannot ask %s where it runs "
			    "(%s); left paused here", a->d->name, a->d->domid,
			    a->host, why);
		else
			close(s);
		migrate_ask_free(a);
		return;
	}
	rc = relocate_control(s, a->host, migrate_ask_line,
	    migrate_ask_closed, a);
	rconn_send(rc, json_pack("{s:s, s:{s:s, s:f}}", "op", "migrate.query",
	    "args", "token", a->token, "asked", a->asked));
}

void
migrate_recover(struct domain *d, const char *where, const char *token,
    int was_running, double asked)
{
	struct mig_ask	*a;
	const char	*colon = strrchr(where, ':');
	long		 port;

	if (colon == NULL || parse_long(colon + 1, 1, 65535, &port) != 0) {
		dmesg_add("domain %s (%d): migration to '%s' cut short; left "
		    "paused here", d->name, d->domid, where);
		return;
	}
	dmesg_add("domain %s (%d): its migration to %s was cut short after "
	    "the hand-over was asked for; asking %s", d->name, d->domid,
	    where, where);
	a = xcalloc(1, sizeof *a);
	a->d = d;
	domain_ref(d);
	a->host = xstrndup(where, colon - where);
	a->port = port;
	a->token = xstrdup(token);
	a->was_running = was_running;
	a->asked = asked;
	/* From the loop, after the adoption. */
	relocate_connect(a->host, a->port, MIG_CONNECT_SECONDS,
	    migrate_ask_connected, a);
}

/* ---- both ---- */

static void
migrate_query(struct job *j, const char *st, json_t *r)
{
	const char	*desc;

	if (j->op == JOB_MIGRATE_OUT) {
		migrate_out_query(j, st, r);
		return;
	}
	if (strcmp(st, "completed") == 0) {
		j->completed = 1;
		migrate_in_handover(j);
	} else if (strcmp(st, "failed") == 0) {
		desc = json_string_value(json_object_get(r, "error-desc"));
		job_fail(j, "qemu: incoming migration failed%s%s",
		    desc != NULL ? ": " : "", desc != NULL ? desc : "");
	}
}

static void
migrate_tick(struct job *j)
{
	struct domain	*d = j->d;

	if (d->removed || d->exited || d->state == DOM_DYING) {
		if (j->op == JOB_MIGRATE_OUT && j->phase >= MIG_FINISH)
			migrate_out_unknown(j, "the domain ended here");
		else if (j->op == JOB_MIGRATE_OUT)
			job_fail(j, "domain %s ended during the "
			    "migration", d->name);
		else
			job_fail(j, "qemu ended during the migration");
		return;
	}
	/* Target: once cont has taken, answer finish; that is the end. */
	if (j->op == JOB_MIGRATE_IN && j->phase == MIG_FINISH) {
		if (d->state == DOM_RUNNING || d->state == DOM_PAUSED) {
			log_info("%s (%d): migrated in from %s", d->name,
			    d->domid, j->path);
			dmesg_add("domain %s (%d) migrated in from %s",
			    d->name, d->domid, j->path);
			rconn_send(j->rc, json_pack("{s:b, s:i, s:i}", "ok", 1,
			    "domid", d->domid, "console_port",
			    precheck_console_port(d->config, d->domid)));
			job_event(j, "completed", NULL);
			/* Open for the source's migrate.confirm; it closes. */
			rconn_set_cb(j->rc, migrate_in_line, migrate_in_closed,
			    NULL);
			j->rc = NULL;
			job_end(j);
		}
		return;
	}
	job_query(j);
	if (j->op == JOB_MIGRATE_OUT && j->copy != NULL)
		migrate_copy_tick(j);
}

/* ---- --copy-storage: the writable disks go too ---- */

static void
migrate_copy_free(struct mig_copy *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->disks[i].dev);
		free(c->disks[i].format);
		free(c->disks[i].created);
		free(c->disks[i].error);
	}
	free(c->disks);
	free(c);
}

static struct mig_disk *
migrate_copy_add(struct mig_copy *c, const char *dev, const char *format,
    uint64_t size)
{
	struct mig_disk	*md;

	c->disks = xreallocarray(c->disks, c->n + 1, sizeof *c->disks);
	md = &c->disks[c->n++];
	memset(md, 0, sizeof *md);
	md->dev = xstrdup(dev);
	md->format = xstrdup(format);
	md->size = size;
	return (md);
}

/* QEMU's names for a disk's NBD node and mirror job on the source. */
static char *
migrate_copy_name(struct mig_copy *c, const char *what, size_t i)
{
	return (xsprintf("xm%s-%s-%s", what, c->tag, c->disks[i].dev));
}

/* A disk's virtual size: a qcow2's from its header, else its length. */
static int
migrate_disk_size(const char *path, const char *format, uint64_t *size,
    char **cause)
{
	unsigned char	 b[8];
	off_t		 end;
	int		 fd, i;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xsprintf("%s: %s", path, strerror(errno));
		return (-1);
	}
	if (strcmp(format, "qcow2") == 0) {
		if (pread(fd, b, sizeof b, 24) != (ssize_t)sizeof b) {
			*cause = xsprintf("%s: short qcow2 header", path);
			close(fd);
			return (-1);
		}
		for (*size = 0, i = 0; i < 8; i++)
			*size = *size << 8 | b[i];
	} else if ((end = lseek(fd, 0, SEEK_END)) == -1) {
		*cause = xsprintf("%s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	} else
		*size = end;
	close(fd);
	return (0);
}

/* Source: the writable disks to copy (read-only ones stay shared). */
static int
migrate_copy_new(struct job *j, char **cause)
{
	struct domain	*d = j->d;
	struct mig_copy	*c = xcalloc(1, sizeof *c);
	struct sdisk	 sd;
	struct disk_info di;
	uint64_t	 size;
	size_t		 i;

	memcpy(c->tag, j->token, 8);
	j->copy = c;
	for (i = 0; storage_disk_at(d->config, i, &sd) == 0; i++) {
		if (strcmp(sd.mode, "r") == 0)
			continue;
		if (storage_open_info(&sd, &di, cause) != 0)
			return (-1);
		if (migrate_disk_size(di.path, di.format, &size, cause) != 0) {
			storage_close(&di);
			return (-1);
		}
		migrate_copy_add(c, sd.dev, di.format, size);
		c->total += size;
		storage_close(&di);
	}
	if (c->n == 0) {
		*cause = xsprintf("domain %s has no writable disk to copy "
		    "(read-only disks must be there already)", d->name);
		return (-1);
	}
	j->total += c->total;
	return (0);
}

/* prepare's copy_storage: [{dev, format, size}], or NULL without. */
static json_t *
migrate_copy_json(struct job *j)
{
	json_t	*a;
	size_t	 i;

	if (j->copy == NULL)
		return (NULL);
	a = json_array();
	for (i = 0; i < j->copy->n; i++) {
		json_array_append_new(a, json_pack("{s:s, s:s, s:I}", "dev",
		    j->copy->disks[i].dev, "format", j->copy->disks[i].format,
		    "size", (json_int_t)j->copy->disks[i].size));
	}
	return (a);
}

static uint64_t
migrate_copy_bytes(struct job *j, int total)
{
	if (j->copy == NULL)
		return (0);
	return (total ? j->copy->total : j->copy->bytes);
}

/*
 * One disk's relocation connection is up: QEMU gets it as an NBD client
 * (getfd, then the "fd" server) and mirrors the disk into it.
 */
static void
migrate_out_nbd(int fd, const char *why, void *arg)
{
	struct job	*j = job_find(arg);
	struct mig_copy	*c;
	struct domain	*d;
	char		*node, *mirror, *cause, *exp;
	json_t		*args;

	if (j == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	c = j->copy;
	if (fd == -1) {
		job_fail(j, "disk %s: connection: %s", c->disks[c->next].dev,
		    why);
		return;
	}
	if (migrate_first_line(fd, "migrate.nbd", j->token, &cause) != 0) {
		job_fail(j, "%s", cause);
		free(cause);
		close(fd);
		return;
	}
	d = j->d;
	node = migrate_copy_name(c, "nbd", c->next);
	mirror = migrate_copy_name(c, "cp", c->next);
	exp = xsprintf("vbd-%s", c->disks[c->next].dev);
	c->next++;
	qmp_command_fd(d->qmp, "getfd", json_pack("{s:s}", "fdname", node), fd,
	    migrate_out_qmp_cb, job_arg(j));
	close(fd);
	qmp_command(d->qmp, "blockdev-add", json_pack("{s:s, s:s, s:{s:s, s:s}, "
	    "s:s}", "driver", "nbd", "node-name", node, "server", "type", "fd",
	    "str", node, "export", exp), migrate_out_qmp_cb, job_arg(j));
	/* Kept after it ends (auto-dismiss off) so its error can be read. */
	args = json_pack("{s:s, s:s, s:s, s:s, s:b}", "job-id", mirror,
	    "device", exp, "target", node, "sync", "full", "auto-dismiss", 0);
	if (j->mbit > 0)
		json_object_set_new(args, "speed", json_integer(
		    (json_int_t)j->mbit * 125000));
	qmp_command(d->qmp, "blockdev-mirror", args, migrate_out_qmp_cb,
	    job_arg(j));
	free(node);
	free(mirror);
	free(exp);
	migrate_out_copy_next(j);
}

/* The next disk's connection; once all mirror, the tick watches them. */
static void
migrate_out_copy_next(struct job *j)
{
	struct mig_copy	*c = j->copy;

	if (c->next < c->n) {
		relocate_connect(j->host, j->port, MIG_CONNECT_SECONDS,
		    migrate_out_nbd, job_arg(j));
		return;
	}
	c->state = CS_MIRROR;
	migrate_tick_start(j);
}

/* Pre-switchover, the source paused: cancelling a ready mirror ends it in sync. */
static void
migrate_copy_cancel(struct job *j)
{
	struct mig_copy	*c = j->copy;
	char		*mirror;
	size_t		 i;

	c->state = CS_CANCEL;
	for (i = 0; i < c->n; i++) {
		mirror = migrate_copy_name(c, "cp", i);
		qmp_command(j->d->qmp, "block-job-cancel", json_pack("{s:s}",
		    "device", mirror), migrate_out_qmp_cb, job_arg(j));
		free(mirror);
	}
}

/* Mirror i in query-block-jobs' answer, or NULL. */
static json_t *
migrate_copy_find(struct mig_copy *c, json_t *jobs, size_t i)
{
	json_t	*o, *found = NULL;
	size_t	 k;
	char	*mirror = migrate_copy_name(c, "cp", i);

	json_array_foreach(jobs, k, o) {
		if (json_is_string(json_object_get(o, "device")) &&
		    strcmp(json_string_value(json_object_get(o, "device")),
		    mirror) == 0)
			found = o;
	}
	free(mirror);
	return (found);
}

/*
 * Every mirror ended at pre-switchover (how: who saw it last, the event or
 * the tick's query): in sync, the memory's last part goes at once.
 */
static void
migrate_copy_concluded(struct job *j, const char *how)
{
	struct mig_copy	*c = j->copy;
	char		*mirror;
	size_t		 i;

	for (i = 0; i < c->n; i++) {
		if (c->disks[i].error != NULL) {
			job_fail(j, "disk %s: copy to %s failed: %s",
			    c->disks[i].dev, j->host, c->disks[i].error);
			return;
		}
	}
	log_debug("%s (%d): disk copies ended in sync (%s)", j->d->name,
	    j->d->domid, how);
	c->state = CS_DONE;
	migrate_out_continue(j);
	for (i = 0; i < c->n; i++) {
		mirror = migrate_copy_name(c, "cp", i);
		qmp_command(j->d->qmp, "job-dismiss", json_pack("{s:s}", "id",
		    mirror), migrate_out_qmp_cb, job_arg(j));
		free(mirror);
	}
}

/*
 * The outgoing job of d at pre-switchover whose mirror name is (QEMU's
 * events), its disk in *i; NULL if none is.
 */
static struct job *
migrate_copy_event_job(struct domain *d, json_t *name, size_t *i)
{
	struct job	*j = job_of(d);
	char		*mirror;
	int		 match;

	if (j == NULL || j->op != JOB_MIGRATE_OUT || j->copy == NULL ||
	    j->copy->state != CS_CANCEL || !json_is_string(name))
		return (NULL);
	for (*i = 0; *i < j->copy->n; (*i)++) {
		mirror = migrate_copy_name(j->copy, "cp", *i);
		match = strcmp(mirror, json_string_value(name)) == 0;
		free(mirror);
		if (match)
			return (j);
	}
	return (NULL);
}

/* A mirror's end at pre-switchover: error if it is not in sync. */
static void
migrate_copy_ended(struct domain *d, json_t *data, const char *error)
{
	struct job	*j;
	size_t		 i;

	if (error != NULL && (j = migrate_copy_event_job(d,
	    json_object_get(data, "device"), &i)) != NULL &&
	    j->copy->disks[i].error == NULL)
		j->copy->disks[i].error = xstrdup(error);
}

/*
 * "concluded" comes after COMPLETED or CANCELLED: once every mirror has
 * said it, migrate-continue goes out now rather than at the next tick.
 */
static void
migrate_job_status_change(struct domain *d, json_t *data)
{
	struct job	*j;
	const char	*st = json_string_value(json_object_get(data,
			    "status"));
	size_t		 i;

	if (st == NULL || strcmp(st, "concluded") != 0 ||
	    (j = migrate_copy_event_job(d, json_object_get(data, "id"),
	    &i)) == NULL)
		return;
	j->copy->disks[i].concluded = 1;
	for (i = 0; i < j->copy->n; i++) {
		if (!j->copy->disks[i].concluded)
			return;
	}
	migrate_copy_concluded(j, "events");
}

/* The block job events of a --copy-storage switch-over (job_block_event). */
static void
migrate_block_event(struct job *j, const char *event, json_t *data)
{
	/* A cancelled mirror in sync says COMPLETED (error if it failed). */
	if (strcmp(event, "BLOCK_JOB_COMPLETED") == 0)
		migrate_copy_ended(j->d, data, json_string_value(
		    json_object_get(data, "error")));
	else if (strcmp(event, "BLOCK_JOB_CANCELLED") == 0)
		migrate_copy_ended(j->d, data, "it ended before it was in sync");
	else if (strcmp(event, "JOB_STATUS_CHANGE") == 0)
		migrate_job_status_change(j->d, data);
}

static void
migrate_copy_jobs_cb(struct qmp *q, json_t *result, const char *error,
    void *arg)
{
	struct job	*j = job_find(arg);
	struct mig_copy	*c;
	json_t		*o;
	const char	*err, *st;
	size_t		 i, ready = 0, concluded = 0;

	if (j == NULL || (c = j->copy) == NULL)
		return;
	c->querying = 0;
	if (error != NULL || !json_is_array(result) || c->state == CS_DONE)
		return;
	c->bytes = 0;
	for (i = 0; i < c->n; i++) {
		if ((o = migrate_copy_find(c, result, i)) == NULL) {
			job_fail(j, "disk %s: its copy ended", c->disks[i].dev);
			return;
		}
		err = json_string_value(json_object_get(o, "error"));
		if (err != NULL) {
			job_fail(j, "disk %s: copy to %s failed: %s",
			    c->disks[i].dev, j->host, err);
			return;
		}
		st = json_string_value(json_object_get(o, "status"));
		c->disks[i].offset = json_integer_value(json_object_get(o,
		    "offset"));
		c->disks[i].len = json_integer_value(json_object_get(o,
		    "len"));
		c->bytes += c->disks[i].offset;
		ready += json_is_true(json_object_get(o, "ready"));
		concluded += st != NULL && strcmp(st, "concluded") == 0;
	}
	if (c->state == CS_MIRROR) {
		j->bytes = c->bytes;
		if (ready < c->n) {
			job_progress(j);
			return;
		}
		log_info("%s (%d): disks in sync with %s, now the memory",
		    j->d->name, j->d->domid, j->host);
		c->state = CS_READY;
		migrate_out_perform_stream(j);
	} else if (c->state == CS_CANCEL && concluded == c->n)
		migrate_copy_concluded(j, "query-block-jobs");
}

/* Source, every tick while mirrors run: their progress and state. */
static void
migrate_copy_tick(struct job *j)
{
	struct mig_copy	*c = j->copy;

	if (c->querying || c->state == CS_CONNECT || c->state == CS_DONE ||
	    !qmp_is_up(j->d->qmp))
		return;
	c->querying = 1;
	qmp_command(j->d->qmp, "query-block-jobs", NULL, migrate_copy_jobs_cb,
	    job_arg(j));
}

/*
 * A migration's mirrors and NBD nodes on the source (QEMU names xmcp-TAG-
 * and xmnbd-TAG-) go once QEMU has ended the mirrors (cancelled by force):
 * after a failure, and after a restart of xend that cut the migration
 * short (its QEMU kept them: migrate_tidy).  Given up after a while.
 */
struct mig_reap {
	struct domain	*d;
	char		 cp[24], nbd[24];	/* the names' prefixes */
	struct event	*ev;
	int		 tries;
	int		 cancelled;	/* block-job-cancel sent */
	int		 recovered;	/* after a restart: dmesg says it */
	int		 jobs, nodes;	/* dismissed, deleted */
};

#define MIG_REAP_TRIES		300	/* of MIG_REAP_USEC: 30 s */
#define MIG_REAP_USEC		100000

static void
migrate_reap_free(struct mig_reap *r)
{
	event_free(r->ev);
	domain_unref(r->d);
	free(r);
}

/* Whether v (a QEMU name) starts with prefix. */
static int
migrate_reap_ours(json_t *v, const char *prefix)
{
	const char	*s = json_string_value(v);

	return (s != NULL && strncmp(s, prefix, strlen(prefix)) == 0);
}

/* The last blockdev-del's answer (QMP answers in order): all gone. */
static void
migrate_reap_done_cb(struct qmp *q, json_t *result, const char *error,
    void *arg)
{
	struct mig_reap	*r = arg;

	if (error != NULL)
		log_warn("%s (%d): blockdev-del: %s", r->d->name, r->d->domid,
		    error);
	if (r->recovered && r->jobs + r->nodes > 0) {
		log_info("%s (%d): removed %d block job(s) and %d nbd node(s) "
		    "of a disk copy cut short", r->d->name, r->d->domid,
		    r->jobs, r->nodes);
		dmesg_add("domain %s (%d): its disk copy was cut short: %d "
		    "block job(s) and %d nbd node(s) removed from qemu",
		    r->d->name, r->d->domid, r->jobs, r->nodes);
	}
	migrate_reap_free(r);
}

static void
migrate_reap_nodes_cb(struct qmp *q, json_t *result, const char *error,
    void *arg)
{
	struct mig_reap	*r = arg;
	json_t		*o, *last = NULL;
	size_t		 i;

	if (error != NULL || r->d->removed) {
		migrate_reap_free(r);
		return;
	}
	json_array_foreach(result, i, o) {
		if (!migrate_reap_ours(json_object_get(o, "node-name"), r->nbd))
			continue;
		if (last != NULL)
			qmp_command(q, "blockdev-del", json_pack("{s:O}",
			    "node-name", last), NULL, NULL);
		last = json_object_get(o, "node-name");
		r->nodes++;
	}
	if (last != NULL)
		qmp_command(q, "blockdev-del", json_pack("{s:O}", "node-name",
		    last), migrate_reap_done_cb, r);
	else
		migrate_reap_done_cb(q, NULL, NULL, r);
}

static void
migrate_reap_jobs_cb(struct qmp *q, json_t *result, const char *error,
    void *arg)
{
	struct mig_reap	*r = arg;
	struct timeval	 tv = { 0, MIG_REAP_USEC };
	json_t		*o, *id;
	const char	*st;
	size_t		 i;
	int		 left = 0;

	if (error != NULL || r->d->removed) {
		migrate_reap_free(r);
		return;
	}
	json_array_foreach(result, i, o) {
		id = json_object_get(o, "device");
		if (!migrate_reap_ours(id, r->cp))
			continue;
		st = json_string_value(json_object_get(o, "status"));
		if (st != NULL && strcmp(st, "concluded") == 0) {
			qmp_command(q, "job-dismiss", json_pack("{s:O}", "id",
			    id), NULL, NULL);
			r->jobs++;
			continue;
		}
		if (!r->cancelled)
			qmp_command(q, "block-job-cancel", json_pack("{s:O, "
			    "s:b}", "device", id, "force", 1), NULL, NULL);
		left++;
	}
	r->cancelled = 1;
	if (left == 0) {
		/* The nodes once no mirror writes into them. */
		qmp_command(q, "query-named-block-nodes", json_pack("{s:b}",
		    "flat", 1), migrate_reap_nodes_cb, r);
		return;
	}
	if (++r->tries >= MIG_REAP_TRIES) {
		log_warn("%s (%d): disk copies still not ended", r->d->name,
		    r->d->domid);
		migrate_reap_free(r);
		return;
	}
	evtimer_add(r->ev, &tv);
}

static void
migrate_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mig_reap	*r = arg;
	struct timeval	 tv = { 0, MIG_REAP_USEC };

	if (r->d->removed || r->d->exited) {
		migrate_reap_free(r);
		return;
	}
	if (!qmp_is_up(r->d->qmp)) {
		/* A re-adopted QEMU's QMP comes up in a moment. */
		if (++r->tries < MIG_REAP_TRIES)
			evtimer_add(r->ev, &tv);
		else
			migrate_reap_free(r);
		return;
	}
	qmp_command(r->d->qmp, "query-block-jobs", NULL, migrate_reap_jobs_cb,
	    r);
}

/* Starts the reap of the mirrors and nodes of the migration token names. */
static void
migrate_tidy_start(struct domain *d, const char *token, int recovered)
{
	struct mig_reap	*r = xcalloc(1, sizeof *r);
	struct timeval	 tv = { 0, 0 };

	r->d = d;
	domain_ref(d);
	snprintf(r->cp, sizeof r->cp, "xmcp-%.8s-", token);
	snprintf(r->nbd, sizeof r->nbd, "xmnbd-%.8s-", token);
	r->recovered = recovered;
	r->ev = evtimer_new(xend_base, migrate_reap_cb, r);
	evtimer_add(r->ev, &tv);
}

void
migrate_tidy(struct domain *d, const char *token)
{
	if (migrate_token_ok(token))
		migrate_tidy_start(d, token, 1);
}

static void
migrate_copy_reap(struct job *j)
{
	if (j->copy->next > 0 && qmp_is_up(j->d->qmp) && !j->d->removed)
		migrate_tidy_start(j->d, j->token, 0);
	migrate_copy_free(j->copy);
	j->copy = NULL;
}

/*
 * Target: the files an incoming migration creates are listed in
 * STATE/migrating-in/TOKEN.json, written (fsynced) before each is made and
 * removed once they are unlinked, or at the hand-over, from which they are
 * the domain's disks.  A restarted xend removes the files of a record
 * whose token was not handed over (migrate_made_recover): its domain, if
 * its QEMU still ran, job_recover destroys.
 */
static char *
migrate_made_path(const char *token)
{
	return (xsprintf("%s/migrating-in/%s.json", xend_cfg.state_dir,
	    token));
}

/* The record as j->copy says now (the file about to be made in it). */
static int
migrate_made_write(struct job *j, char **cause)
{
	json_t	*o, *a = json_array();
	char	*dir, *path, *text;
	size_t	 i;
	int	 rc;

	for (i = 0; i < j->copy->n; i++) {
		if (j->copy->disks[i].created != NULL)
			json_array_append_new(a, json_string(
			    j->copy->disks[i].created));
	}
	o = json_pack("{s:s, s:o}", "from", j->path, "created", a);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	dir = xsprintf("%s/migrating-in", xend_cfg.state_dir);
	path = migrate_made_path(j->token);
	rc = mkdir_p(dir, 0700, cause) != 0 ? -1 :
	    file_write_atomic(path, text, strlen(text), 0600, cause);
	free(dir);
	free(path);
	free(text);
	return (rc);
}

static void
migrate_made_drop(struct job *j)
{
	char	*path = migrate_made_path(j->token);

	if (unlink(path) != 0 && errno != ENOENT)
		log_warn("%s: %s", path, strerror(errno));
	free(path);
}

/* One record left by an xend that ended mid-migration (see above). */
static void
migrate_made_recover_one(const char *dir, const char *name)
{
	char		*path, *token, *text, *cause;
	const char	*from, *file;
	json_t		*o, *v;
	size_t		 len, i;

	path = xsprintf("%s/%s", dir, name);
	token = xstrndup(name, strlen(name) - strlen(".json"));
	if (!migrate_token_ok(token)) {
		free(token);
		free(path);
		return;
	}
	if (file_read(path, &text, &len, &cause) != 0) {
		log_warn("%s", cause);
		free(cause);
		text = NULL;
	}
	o = text != NULL ? json_loads(text, 0, NULL) : NULL;
	free(text);
	from = json_string_value(json_object_get(o, "from"));
	if (from == NULL)
		from = "?";
	if (migrate_handed_over(token, 0) == 1) {
		/* Handed over: they are its disks (kept, as it is). */
		log_info("incoming migration from %s had been handed over: its "
		    "disk files stay", from);
	} else {
		json_array_foreach(json_object_get(o, "created"), i, v) {
			if ((file = json_string_value(v)) == NULL)
				continue;
			if (unlink(file) != 0 && errno != ENOENT) {
				log_warn("%s: %s", file, strerror(errno));
				continue;
			}
			log_info("incoming migration from %s cut short: "
			    "removed %s, created for it", from, file);
			dmesg_add("incoming migration from %s cut short: "
			    "removed %s, created for it", from, file);
		}
	}
	json_decref(o);
	if (unlink(path) != 0)
		log_warn("%s: %s", path, strerror(errno));
	free(token);
	free(path);
}

/* At start, before any migration comes in: the records left behind. */
static void
migrate_made_recover(void)
{
	char		*dir;
	DIR		*dp;
	struct dirent	*de;
	size_t		 len;

	dir = xsprintf("%s/migrating-in", xend_cfg.state_dir);
	if ((dp = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0)
			migrate_made_recover_one(dir, de->d_name);
	}
	closedir(dp);
	free(dir);
}

/* Target: the files this migration created go (never any other). */
static void
migrate_copy_unlink(struct job *j)
{
	struct mig_disk	*md;
	size_t		 i;

	for (i = 0; i < j->copy->n; i++) {
		md = &j->copy->disks[i];
		if (md->created == NULL)
			continue;
		if (unlink(md->created) != 0)
			log_warn("%s: %s", md->created, strerror(errno));
		else {
			log_info("incoming migration from %s: removed %s, "
			    "created for it", j->path, md->created);
			dmesg_add("incoming migration from %s: removed %s, "
			    "created for it", j->path, md->created);
		}
		free(md->created);
		md->created = NULL;
	}
	migrate_made_drop(j);
}

static const char *
migrate_hostname(char *buf, size_t len)
{
	if (gethostname(buf, len) != 0)
		snprintf(buf, len, "?");
	return (buf);
}

/* qemu-img create -f qcow2 over the empty file just made (O_EXCL). */
static int
migrate_qcow2_create(const char *path, uint64_t size, char **cause)
{
	char	 sz[32];
	pid_t	 pid;
	int	 status, nullfd;

	snprintf(sz, sizeof sz, "%llu", (unsigned long long)size);
	if ((pid = fork()) == -1) {
		*cause = xsprintf("fork: %s", strerror(errno));
		return (-1);
	}
	if (pid == 0) {
		nullfd = open("/dev/null", O_RDWR);
		dup2(nullfd, 0);
		dup2(nullfd, 1);
		dup2(nullfd, 2);
		syscall(SYS_close_range, 3, ~0U, 0);
		execlp("qemu-img", "qemu-img", "create", "-q", "-f", "qcow2",
		    path, sz, (char *)NULL);
		_exit(127);
	}
	/* A qcow2 header is written in milliseconds. */
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		*cause = xsprintf("%s: qemu-img create failed (status %d)", path,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return (-1);
	}
	return (0);
}

static char *
migrate_disk_exists(const char *dev, const char *path)
{
	char	 host[256];

	return (xsprintf("disk %s: %s exists on %s; remove it or migrate "
	    "without --copy-storage", dev, path, migrate_hostname(host,
	    sizeof host)));
}

/* A disk file made for a copy: never over one that exists. */
static int
migrate_disk_create(const char *dev, const char *path, const char *format,
    uint64_t size, char **cause)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1 && errno == EEXIST) {
		*cause = migrate_disk_exists(dev, path);
		return (-1);
	}
	if (fd == -1) {
		*cause = xsprintf("disk %s: %s: %s", dev, path,
		    strerror(errno));
		return (-1);
	}
	if (strcmp(format, "raw") == 0 && ftruncate(fd, size) != 0) {
		*cause = xsprintf("disk %s: %s: %s", dev, path,
		    strerror(errno));
		close(fd);
		unlink(path);
		return (-1);
	}
	close(fd);
	if (strcmp(format, "qcow2") == 0 &&
	    migrate_qcow2_create(path, size, cause) != 0) {
		unlink(path);
		return (-1);
	}
	return (0);
}

/* Free space for size more bytes on path's filesystem, beyond planned. */
static int
migrate_disk_space(const char *dev, const char *path, uint64_t size,
    uint64_t planned, char **cause)
{
	struct statvfs	 sv;
	char		*dir, *slash, host[256];
	uint64_t	 avail;
	int		 rc = 0;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (statvfs(slash != NULL ? dir : ".", &sv) != 0) {
		*cause = xsprintf("disk %s: %s: %s", dev, dir, strerror(errno));
		rc = -1;
	} else if ((avail = (uint64_t)sv.f_bavail * sv.f_frsize) <
	    size + planned) {
		*cause = xsprintf("disk %s: %s needs %llu MiB, %llu MiB free "
		    "on %s", dev, path, (unsigned long long)((size + planned)
		    >> 20), (unsigned long long)(avail >> 20),
		    migrate_hostname(host, sizeof host));
		rc = -1;
	}
	free(dir);
	return (rc);
}

/* A phy: disk is never made: it must be there, at least as large. */
static int
migrate_disk_phy(const char *dev, const char *path, uint64_t size,
    char **cause)
{
	char		 host[256];
	uint64_t	 have;
	char		*why = NULL;

	if (migrate_disk_size(path, "raw", &have, &why) != 0) {
		*cause = xsprintf("disk %s: %s does not open on %s (%s); phy: "
		    "devices are not created, make it there first", dev, path,
		    migrate_hostname(host, sizeof host), why);
		free(why);
		return (-1);
	}
	if (have < size) {
		*cause = xsprintf("disk %s: %s on %s is smaller than the "
		    "source's (%llu < %llu bytes)", dev, path,
		    migrate_hostname(host, sizeof host),
		    (unsigned long long)have, (unsigned long long)size);
		return (-1);
	}
	return (0);
}

/*
 * Target, prepare with copy_storage: the config's writable disks made
 * here (same path, size and format); the entries say dev, format, size.
 * Files made are in j->copy, for migrate_copy_unlink.
 */
static int
migrate_in_disks(struct job *j, const struct domcfg *dc, json_t *list,
    char **cause)
{
	struct mig_copy	*c = xcalloc(1, sizeof *c);
	struct mig_disk	*md;
	struct sdisk	 sd;
	struct stat	 st;
	json_t		*o, *found;
	const char	*path, *format;
	char		 type;
	uint64_t	 planned = 0;
	size_t		 i, k;

	j->copy = c;
	if (!json_is_array(list)) {
		*cause = xstrdup("prepare: copy_storage: expected a list");
		return (-1);
	}
	for (i = 0; storage_disk_at(dc, i, &sd) == 0; i++) {
		if (sd.mode == NULL || strcmp(sd.mode, "r") == 0)
			continue;
		found = NULL;
		json_array_foreach(list, k, o) {
			if (json_is_string(json_object_get(o, "dev")) &&
			    strcmp(json_string_value(json_object_get(o, "dev")),
			    sd.dev) == 0)
				found = o;
		}
		format = json_string_value(json_object_get(found, "format"));
		if (found == NULL || format == NULL ||
		    (strcmp(format, "raw") != 0 &&
		    strcmp(format, "qcow2") != 0) ||
		    !json_is_integer(json_object_get(found, "size")) ||
		    json_integer_value(json_object_get(found, "size")) < 0) {
			*cause = xsprintf("prepare: copy_storage: disk %s: "
			    "expected its format and size", sd.dev);
			return (-1);
		}
		path = storage_uname_path(sd.uname, &type);
		md = migrate_copy_add(c, sd.dev, format,
		    json_integer_value(json_object_get(found, "size")));
		if (type == 'p') {
			if (migrate_disk_phy(sd.dev, path, md->size, cause) != 0)
				return (-1);
			continue;
		}
		/* Before the space check: the likelier reason. */
		if (lstat(path, &st) == 0) {
			*cause = migrate_disk_exists(sd.dev, path);
			return (-1);
		}
		if (migrate_disk_space(sd.dev, path, md->size, planned,
		    cause) != 0)
			return (-1);
		/* Recorded first: a restarted xend removes what was made. */
		md->created = xstrdup(path);
		if (migrate_made_write(j, cause) != 0 ||
		    migrate_disk_create(sd.dev, path, type == 'q' ? "qcow2" :
		    format, md->size, cause) != 0) {
			free(md->created);
			md->created = NULL;
			return (-1);
		}
		planned += md->size;
		log_info("incoming migration from %s: created %s (%s, %llu "
		    "bytes) for disk %s", j->path, path, format,
		    (unsigned long long)md->size, sd.dev);
	}
	if (c->n == 0) {
		*cause = xstrdup("prepare: copy_storage: no writable disk");
		return (-1);
	}
	return (0);
}

/*
 * A disk copy's connection (migrate.nbd) for a migration in prepared
 * here: spliced to QEMU's NBD socket.
 */
static void
migrate_in_nbd(const char *token, int fd, const char *peer)
{
	struct job	*j = job_by_token(token);
	char		*path, *cause;
	int		 u;

	if (j == NULL || j->op != JOB_MIGRATE_IN || j->copy == NULL ||
	    !j->qmp_ready || j->phase >= MIG_FINISH) {
		log_warn("relocation: %s: a disk copy for no migration here",
		    peer);
		close(fd);
		return;
	}
	/* A local listener: connect(2) answers at once. */
	path = xsprintf("%s/nbd.sock", j->d->dir);
	u = unix_connect(path, &cause);
	free(path);
	if (u == -1) {
		close(fd);
		job_fail(j, "%s", cause);
		free(cause);
		return;
	}
	relocate_splice(fd, u, peer);
}
