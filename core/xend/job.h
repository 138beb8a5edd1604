/*
 * job.h: save.c's jobs (save, restore, migration both ways), shared with
 * migrate.c.  A job is on the event loop until job_end; QMP callbacks
 * carry job_arg(j) and find the job again with job_find, so a late reply
 * to an ended job is dropped.
 */
#ifndef JOB_H
#define JOB_H

#include <stdint.h>

#include "savefile.h"

struct mig_copy;
struct rconn;
struct qmp;

#define JOB_TICK_USEC		20000	/* query-migrate this often */
#define JOB_PROGRESS_SEC	0.25	/* job.progress events at most */
#define JOB_CHUNK		(1024 * 1024)
#define JOB_PIPE_SIZE		(1024 * 1024)
/* A save goes as fast as the disk takes it. */
#define JOB_MAX_BANDWIDTH	((json_int_t)1 << 40)

/* A migration's phase from which the target's copy is the one (MIG_FINISH). */
#define JOB_PHASE_HANDOVER	4

enum job_op { JOB_SAVE, JOB_RESTORE, JOB_MIGRATE_OUT, JOB_MIGRATE_IN };

struct job {
	int		 id;
	enum job_op	 op;
	const struct job_ops *ops;
	struct domain	*d;		/* referenced */
	job_done_cb	 done;		/* called once, at the end */
	void		*done_arg;
	char		*path;
	int		 checkpoint;	/* save -c: the domain runs on */
	int		 was_running;
	int		 migrating;	/* QEMU's migration started */
	int		 eof;		/* the stream has ended */
	int		 completed;	/* QEMU says so */
	int		 ended;

	int		 pfd;		/* our end of the pipe */
	struct event	*io_ev;
	struct event	*tick_ev;
	int		 querying;
	int		 requery;	/* a MIGRATION event during querying */

	struct savefile_writer *w;	/* save */

	int		 file_fd;	/* restore: the file (QEMU shares it) */
	struct savefile_hdr hdr;
	uint64_t	 fed;		/* restore: stream bytes checked */
	uint32_t	 crc;
	char		*buf;		/* restore: the check's */
	char		*held_fail;	/* restore: QEMU's error, until the check ends */
	int		 check_failing;	/* restore: the check's own failure */

	/* Migration (migrate.c). */
	char		*token;		/* names it on both hosts */
	char		*host;
	int		 port;
	int		 live;
	long		 mbit;		/* -r, 0: no limit */
	int		 phase;		/* migrate.c's MIG_* */
	int		 qmp_ready;	/* target: QEMU waits for the stream */
	int		 data_fd;	/* target: the stream, until QEMU has it */
	int		 finish_asked;
	struct rconn	*rc;
	json_t		*downtime;	/* source: QEMU's figures */
	struct mig_copy	*copy;		/* --copy-storage (migrate.c's) */

	uint64_t	 bytes;		/* of the stream so far */
	uint64_t	 total;		/* expected, 0 unknown */
	double		 t0;
	double		 last_progress;

	TAILQ_ENTRY(job) entry;
};


/* An op's own steps (save.c, migrate.c). */
struct job_ops {
	const char	*name;		/* job.progress's "op" */
	/* Ends the job as failed, putting things back (msg: why). */
	void		(*failed)(struct job *, const char *msg);
	/* job_finish_soon's step; NULL if the op has none. */
	void		(*finish)(struct job *);
	/* query-migrate said status (result borrowed). */
	void		(*query)(struct job *, const char *status, json_t *r);
	/* Every JOB_TICK_USEC once job_start_tick ran. */
	void		(*tick)(struct job *);
	/* The incoming QEMU's QMP is up (restore, migration in). */
	void		(*incoming_up)(struct job *);
	/* Frees what the op added to the job; may be NULL. */
	void		(*free)(struct job *);
	/*
	 * The incoming QEMU exited before its stream loaded: 1 if the op
	 * answers later itself (job_incoming_exited); may be NULL.
	 */
	int		(*incoming_exited)(struct job *, const char *msg);
	/* A block job's QMP event on the domain (BLOCK_JOB_*, JOB_*). */
	void		(*block_event)(struct job *, const char *event,
			    json_t *data);
};

void		*job_arg(struct job *);
struct job	*job_find(void *arg);
struct job	*job_of(struct domain *);
struct job	*job_new(enum job_op, const struct job_ops *, const char *path);
void		 job_end(struct job *);
void		 job_event(struct job *, const char *status, const char *error);
void		 job_progress(struct job *);
void		 job_start_tick(struct job *);
int		 job_pipe(int *mine, int *theirs, int we_read, char **cause);
int		 job_record(struct job *, char **cause);
void		 job_unrecord(struct job *);
/* The first job with this token (migration), or NULL. */
struct job	*job_by_token(const char *);
/* Calls the job's done once (code NULL: it worked, r what it did). */
void		 job_done(struct job *, const char *code, const char *msg,
		     const struct job_result *);
/* Whether d may start a job (save, migrate); *cause says why not. */
int		 job_can_start(struct domain *, const char *what, char **cause);
/*
 * A save or outgoing migration failed: QEMU's migration cancelled, the
 * domain running again if it was, dmesg, job.progress and the reply.
 */
void		 job_source_failed(struct job *, const char *what,
		     const char *msg);
/* Ends j as failed, the way its op puts things back (msg: why). */
void		 job_fail(struct job *, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
/*
 * For QMP replies to a job: the job if the reply is good; if it is an
 * error, fails the job with "qemu: WHAT: ERROR" and returns NULL.
 */
struct job	*job_reply(void *arg, const char *error, const char *what);
/* query-migrate now, unless one is in flight; answers go to ops->query. */
void		 job_query(struct job *);
void		 job_query_cb(struct qmp *, json_t *result, const char *error,
		     void *arg);
/* ops->finish from the event loop, soon. */
void		 job_finish_soon(struct job *);
/* A QMP reply that only logs an error (cont). */
void		 job_cont_cb(struct qmp *, json_t *result, const char *error,
		     void *arg);
/* cont once the domain's QMP is up (a re-adopted domain). */
void		 job_resume_later(struct domain *);
/* Sends an event to API subscribers (job_init's publish). */
void		 job_publish(const char *type, json_t *body);

#endif
