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
 * that had not been started.
 */
#include <sys/socket.h>
#include <sys/stat.h>

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

static void	migrate_job_free(struct job *);
static void	migrate_out_failed(struct job *, const char *);
static void	migrate_in_failed(struct job *, const char *);
static void	migrate_in_up(struct job *);
static void	migrate_in_stream(const char *, int, const char *);
static void	migrate_in_line(struct rconn *, json_t *, void *);
static void	migrate_in_closed(struct rconn *, void *);
static void	migrate_query(struct job *, const char *, json_t *);
static void	migrate_tick(struct job *);

static const struct job_ops migrate_out_ops = {
	"migrate", migrate_out_failed, NULL, migrate_query, migrate_tick,
	NULL, migrate_job_free
};
static const struct job_ops migrate_in_ops = {
	"migrate-in", migrate_in_failed, NULL, migrate_query, migrate_tick,
	migrate_in_up, migrate_job_free
};

const struct relocate_handlers migrate_handlers = {
	migrate_in_line, migrate_in_closed, migrate_in_stream
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
	/* Confirm: the copy here is destroyed. */
	if (domain_destroy(d, &cause) != 0) {
		log_error("%s: migrated, but not destroyed here: %s", d->name,
		    cause);
		res.warning = cause;
	}
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
	job_start_tick(j);
}

/* The stream connection is up: QEMU's migration into it. */
static void
migrate_out_stream(int fd, const char *why, void *arg)
{
	struct job	*j = job_find(arg);
	struct domain	*d;
	json_t		*caps;
	char		*cause, *line;

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
	line = xsprintf("{\"op\":\"migrate.stream\",\"token\":\"%s\"}\n",
	    j->token);
	/* A short line into an empty socket buffer: written at once. */
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		job_fail(j, "stream connection: %s", strerror(errno));
		free(line);
		close(fd);
		return;
	}
	free(line);
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
	/* Without --live: pause, copy, resume there (the manual). */
	if (!j->live && d->state == DOM_RUNNING)
		qmp_command(d->qmp, "stop", NULL, migrate_out_qmp_cb,
		    job_arg(j));
	qmp_command_fd(d->qmp, "getfd", json_pack("{s:s}", "fdname",
	    "xmmig"), fd, migrate_out_qmp_cb, job_arg(j));
	close(fd);
	qmp_command(d->qmp, "migrate", json_pack("{s:s}", "uri", "fd:xmmig"),
	    migrate_out_migrate_cb, job_arg(j));
}

/* Prepared: the stream connection, then QEMU's migration into it. */
static void
migrate_out_perform(struct job *j)
{
	relocate_connect(j->host, j->port, MIG_CONNECT_SECONDS,
	    migrate_out_stream, job_arg(j));
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
	rconn_send(j->rc, json_pack("{s:s, s:{s:o, s:s, s:b}}", "op",
	    "migrate.prepare", "args", "config", domcfg_to_json(d->config),
	    "token", j->token, "paused", d->state == DOM_PAUSED));
}

int
migrate_start(struct domain *d, const char *host, int port, int live,
    long mbit, job_done_cb done, void *arg, char **cause)
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
	j->done = done;
	j->done_arg = arg;
	log_info("%s (%d): migrating to %s port %d%s", d->name, d->domid,
	    host, port, live ? " (live)" : "");
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

static void
migrate_out_query(struct job *j, const char *st, json_t *r)
{
	struct domain	*d = j->d;
	json_t		*ram = json_object_get(r, "ram");
	char		*cause;
	const char	*desc;

	if (json_is_integer(json_object_get(ram, "transferred")))
		j->bytes = json_integer_value(json_object_get(ram,
		    "transferred"));
	if (json_is_integer(json_object_get(ram, "total")))
		j->total = json_integer_value(json_object_get(ram, "total"));
	if (strcmp(st, "pre-switchover") == 0 && j->phase == MIG_PERFORM) {
		/* Everything else has gone; the source is stopped now. */
		j->phase = MIG_SWITCHOVER;
		qmp_command(d->qmp, "migrate-continue", json_pack("{s:s}",
		    "state", "pre-switchover"), migrate_out_continue_cb,
		    job_arg(j));
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
	job_start_tick(j);
}

static void
migrate_in_up(struct job *j)
{
	j->qmp_ready = 1;
	rconn_send(j->rc, json_pack("{s:b, s:i}", "ok", 1, "domid",
	    j->d->domid));
	migrate_in_join(j);
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

	if (!json_is_object(config) || token == NULL ||
	    strlen(token) < 16) {
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
	/* The checks of a create: name free, memory, disks, ports. */
	if (domain_restore(dc, json_is_true(json_object_get(args,
	    "paused")), j, NULL, NULL, &cause) != 0) {
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
	char	*cause;

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

	if (token == NULL || strspn(token, "0123456789abcdef") !=
	    strlen(token) || strlen(token) < 16) {
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
			rconn_close_after_send(j->rc);
			j->rc = NULL;
			job_end(j);
		}
		return;
	}
	job_query(j);
}
