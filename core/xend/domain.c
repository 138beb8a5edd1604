/*
 * domain.c: the domain table and every domain's life: create, QMP up,
 * guest shutdown/reboot/crash and the on_* policies, destroy, persistence
 * under the state dir and re-adoption of running QEMUs after a restart.
 *
 * Lifetime: the table holds one reference; event callbacks that may outlive
 * a domain's removal hold their own.  Teardown that could run inside a QMP
 * callback is deferred to the event loop (qmp_free must not run there).
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "domcfg.h"
#include "qmp.h"
#include "xend.h"

#define DOMID_MAX		32767
#define QMP_CONNECT_SECONDS	20.0
#define QMP_RETRY_USEC		5000
#define SAMPLE_SECONDS		1.0
#define RESET_FOLD_SECONDS	2.0
#define RESET_LOOP_LIMIT	20
#define POWERDOWN_RETRY_SECONDS	2

struct domain_list domains = TAILQ_HEAD_INITIALIZER(domains);
static int		 domid_rover = 1;
static struct event	*sample_ev;

static void	domain_qmp_connect(struct domain *);
static void	domain_apply_policy(struct domain *, const char *why);
static void	domain_remove(struct domain *);
static int	domain_start_qemu(struct domain *, char **cause);
static void	domain_emit(struct domain *, const char *type);
static void	domain_defer_policy(struct domain *, const char *why);
static void	domain_preserve(struct domain *, const char *why, int running);
static void	domain_powerdown_stop(struct domain *);
static void	domain_powerdown_arm(struct domain *);

/* A pause or unpause waiting for QEMU's answer, on d->pauses. */
struct pause_req {
	struct domain		*d;
	struct dom_done		 done;
	int			 pause;
	TAILQ_ENTRY(pause_req)	 entry;
};

static const char *state_names[] = { "starting", "running", "paused",
    "shutdown", "crashed", "dying" };

int
domain_count(void)
{
	struct domain	*d;
	int		 n = 0;

	TAILQ_FOREACH(d, &domains, entry)
		n++;
	return (n);
}

struct domain *
domain_find_id(int domid)
{
	struct domain	*d;

	TAILQ_FOREACH(d, &domains, entry) {
		if (d->domid == domid)
			return (d);
	}
	return (NULL);
}

struct domain *
domain_find_name(const char *name)
{
	struct domain	*d;

	TAILQ_FOREACH(d, &domains, entry) {
		if (strcmp(d->name, name) == 0)
			return (d);
	}
	return (NULL);
}

/* A name first, then a numeric id, as xm does. */
struct domain *
domain_find(const char *key)
{
	struct domain	*d;
	long		 id;

	if ((d = domain_find_name(key)) != NULL)
		return (d);
	if (parse_long(key, 0, DOMID_MAX, &id) == 0)
		return (domain_find_id(id));
	return (NULL);
}

int
domain_name_valid(const char *name)
{
	return (name != NULL && domcfg_name_problem(name) == NULL);
}

static void
rover_save(void)
{
	char	*path, *text, *cause;

	xasprintf(&path, "%s/next-domid", xend_cfg.state_dir);
	xasprintf(&text, "%d\n", domid_rover);
	if (file_write_atomic(path, text, strlen(text), 0644, &cause) != 0) {
		log_warn("%s", cause);
		free(cause);
	}
	free(text);
	free(path);
}

/* Taken, or its default console/VNC port is someone else's (precheck.c). */
static int
domid_in_use(int id, void *arg)
{
	char	*why;

	if (domain_find_id(id) != NULL)
		return (1);
	if (arg != NULL && precheck_ports_busy(arg, id, &why)) {
		dmesg_add("domain id %d passed over: %s", id, why);
		free(why);
		return (1);
	}
	return (0);
}

/*
 * The id a create of config is to take.  The rover itself moves (and
 * next-domid is written) only once the domain exists: a refused or
 * failed create takes no id.
 */
static int
domid_next(struct domcfg *config, int *rover)
{
	*rover = domid_rover;
	return (domid_pick(rover, DOMID_MAX, domid_in_use, config));
}

const char *
domain_state_flags(struct domain *d)
{
	static char	 flags[7];

	memcpy(flags, "------", 7);
	switch (d->state) {
	case DOM_RUNNING:
		flags[d->blocked ? 1 : 0] = d->blocked ? 'b' : 'r';
		break;
	case DOM_PAUSED:
		flags[2] = 'p';
		break;
	case DOM_SHUTDOWN:
		flags[3] = 's';
		break;
	case DOM_CRASHED:
		flags[4] = 'c';
		break;
	case DOM_DYING:
		flags[5] = 'd';
		break;
	case DOM_STARTING:
		break;
	}
	return (flags);
}

const char *
domain_state_name(enum dom_state state)
{
	return (state_names[state]);
}

const char *
domain_status(struct domain *d)
{
	return (d->state == DOM_RUNNING && d->blocked ? "blocked" :
	    state_names[d->state]);
}

static void
domain_emit(struct domain *d, const char *type)
{
	events_publish(type, d);
}

static void
domain_set_state(struct domain *d, enum dom_state state)
{
	if (d->state == state)
		return;
	log_info("%s (%d): %s -> %s", d->name, d->domid,
	    state_names[d->state], state_names[state]);
	d->state = state;
	domain_save(d);
	if (!d->removed)
		domain_emit(d, "domain.state");
}

static const char *shutdown_names[] = { "none", "poweroff", "reboot",
    "halt" };

/*
 * runtime.json: what a restarted xend needs to re-adopt the QEMU.  Written
 * (temp file, fsync, rename) before a QEMU may run, see domain_commit_pid.
 */
static int
domain_write_runtime(struct domain *d, char **cause)
{
	json_t	*rt, *times, *aff;
	char	*path, *text;
	int	 i, rc;

	times = json_array();
	for (i = 0; i < d->nrestarts && i < (int)nitems(d->restarts); i++)
		json_array_append_new(times, json_real(d->restarts[i]));
	aff = json_array();
	for (i = 0; i < DOM_MAX_VCPUS; i++)
		json_array_append_new(aff, d->affinity[i] != NULL ?
		    json_string(d->affinity[i]) : json_null());
	while (json_array_size(aff) > 0 &&
	    json_is_null(json_array_get(aff, json_array_size(aff) - 1)))
		json_array_remove(aff, json_array_size(aff) - 1);
	rt = json_pack("{s:i, s:s, s:i, s:I, s:f, s:s, s:s?, s:i, s:f, s:b,"
	    " s:o}",
	    "domid", d->domid, "name", d->name, "pid", (int)d->pid,
	    "pid_start", (json_int_t)d->pid_start,
	    "start_time", d->start_time, "state", state_names[d->state],
	    "shutdown_reason", d->shutdown_reason,
	    "restart_count", d->restart_count,
	    "cpu_time_base", d->cpu_time_base,
	    "start_paused", d->start_paused, "restarts", times);
	json_object_set_new(rt, "affinity", aff);
	json_object_set_new(rt, "boot_maxmem", json_integer(d->boot_maxmem));
	/* Credit's weight and cap are the config's (sched.c). */
	json_object_set_new(rt, "sched", json_pack("{s:i, s:i}",
	    "period", d->sedf_period, "slice", d->sedf_slice));
	/*
	 * A shutdown or reboot asked for, and a policy's "keep it": both
	 * decide what the next xend does when it finds the guest stopped.
	 */
	json_object_set_new(rt, "shutdown_request",
	    json_string(shutdown_names[d->shutdown_req]));
	json_object_set_new(rt, "preserved", json_boolean(d->preserved));
	if (d->restart_as != NULL)
		json_object_set_new(rt, "restart_as",
		    json_string(d->restart_as));
	text = json_dumps(rt, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(rt);
	xasprintf(&path, "%s/runtime.json", d->dir);
	rc = file_write_atomic(path, text, strlen(text), 0600, cause);
	free(path);
	free(text);
	return (rc);
}

/* Writes runtime.json; a failure is logged and shown in xm dmesg. */
int
domain_save(struct domain *d)
{
	char	*cause;

	if (d->removed)
		return (0);
	if (domain_write_runtime(d, &cause) != 0) {
		log_error("%s", cause);
		dmesg_add("domain %s (%d): record not saved: %s", d->name,
		    d->domid, cause);
		free(cause);
		return (-1);
	}
	return (0);
}

/* Makes the domain dir's entries (config.json, runtime.json) durable. */
static int
domain_sync_dir(struct domain *d, char **cause)
{
	int	 fd;

	if ((fd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1) {
		*cause = xsprintf("%s: %s", d->dir, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}

/*
 * Called by qemu_spawn between fork and exec: the QEMU runs only if its
 * pid is on disk first, so no kill of xend can leave one it cannot find.
 */
static int
domain_commit_pid(struct domain *d, char **cause)
{
	d->start_time = time_wall();
	if (domain_write_runtime(d, cause) != 0)
		return (-1);
	return (domain_sync_dir(d, cause));
}

static struct domain *
domain_new(int domid, struct domcfg *config)
{
	struct domain	*d = xcalloc(1, sizeof *d);

	d->refs = 1;
	d->domid = domid;
	d->config = config;
	d->name = xstrdup(config->name);
	xasprintf(&d->dir, "%s/domains/%d", xend_cfg.state_dir, domid);
	d->pidfd = -1;
	d->last_cpu = -1;
	d->state = DOM_STARTING;
	TAILQ_INIT(&d->pauses);
	return (d);
}


/*
 * A bzImage states how much memory it needs to unpack itself (init_size
 * from its preferred load address).  Below that QEMU just triple-faults
 * and resets forever, so refuse the create with a reason instead.
 */
static int
kernel_min_mb(const char *kernel, const char *ramdisk)
{
	unsigned char	 hdr[0x270];
	uint64_t	 pref = 0x1000000, need;
	uint32_t	 init_size;
	struct stat	 st;
	int		 fd;
	ssize_t		 n;

	if ((fd = open(kernel, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	n = read(fd, hdr, sizeof hdr);
	close(fd);
	if (n != (ssize_t)sizeof hdr || memcmp(hdr + 0x202, "HdrS", 4) != 0 ||
	    (hdr[0x206] | hdr[0x207] << 8) < 0x20a)
		return (0);
	memcpy(&init_size, hdr + 0x260, sizeof init_size);
	memcpy(&pref, hdr + 0x258, sizeof pref);
	need = pref + init_size;
	if (ramdisk != NULL && stat(ramdisk, &st) == 0)
		need += st.st_size;
	/* Room for the page tables, BIOS areas and the kernel's first allocations. */
	return ((int)((need >> 20) + 8));
}

static int
domain_check_files(const struct domcfg *config, char **cause)
{
	const char	*k, *paths[2] = { "kernel", "ramdisk" };
	const char	*files[2] = { config->kernel, config->ramdisk };
	size_t		 i;
	int		 min;
	json_int_t	 mem;

	/* An HVM domain's "kernel" is the firmware loader's name (hvm.c). */
	if (hvm_is(config))
		return (storage_check_config(config, cause));
	for (i = 0; i < nitems(paths); i++) {
		k = files[i];
		if (k != NULL && access(k, R_OK) != 0) {
			*cause = xsprintf("%s %s: %s", paths[i], k,
			    strerror(errno));
			return (-1);
		}
	}
	k = config->kernel;
	min = kernel_min_mb(k, config->ramdisk);
	/* The guest boots with maxmem, then balloons down to memory. */
	mem = config->maxmem;
	if (min > 0 && mem < min) {
		*cause = xsprintf("%s = %lld MB is too little for kernel %s: "
		    "it needs at least %d MB to boot",
		    mem == config->memory ? "memory" : "maxmem",
		    (long long)mem, k, min);
		return (-1);
	}
	/* Disks: there, what they say, and the sharing rule (storage.c). */
	if (storage_check_config(config, cause) != 0)
		return (-1);
	return (0);
}

static void
domain_pid_cb(evutil_socket_t fd, short what, void *arg)
{
	struct domain	*d = arg;
	int		 status;
	pid_t		 r;

	if (d->exited)
		return;
	d->exited = 1;
	event_del(d->pid_ev);
	free(d->exit_how);
	r = waitpid(d->pid, &status, WNOHANG);
	if (r == d->pid && WIFEXITED(status))
		d->exit_how = xsprintf("exited with status %d",
		    WEXITSTATUS(status));
	else if (r == d->pid && WIFSIGNALED(status))
		d->exit_how = xsprintf("killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		d->exit_how = xstrdup("ended (started by an earlier xend, so its "
		    "exit status is unknown)");
	log_info("%s (%d): qemu pid %d %s", d->name, d->domid, (int)d->pid,
	    d->exit_how);
	vif_domain_down(d);	/* its taps went with it */

	if (d->state == DOM_DYING) {
		domain_remove(d);
		return;
	}
	/*
	 * A QEMU gone before it ran, or before its migration stream loaded
	 * (a restore, a migration in): a failed create, never a crash to
	 * restart.
	 */
	if (d->pending_create.fn != NULL || d->incoming != NULL) {
		char *tail = qemu_log_tail(d, 600), *msg;

		msg = xsprintf("qemu %s: %s", d->exit_how, tail);
		free(tail);
		if (d->incoming != NULL && job_incoming_exited(d, msg)) {
			free(msg);
			return;	/* the job answers, then destroys */
		}
		domain_done(&d->pending_create, d, "failed", "%s", msg);
		free(msg);
		domain_set_state(d, DOM_DYING);
		domain_remove(d);
		return;
	}
	if (d->state == DOM_SHUTDOWN || d->state == DOM_CRASHED)
		return;	/* preserved; nothing left to run */
	/* QEMU went away without the guest shutting down: a crash. */
	dmesg_add("domain %s (%d) crashed: qemu %s", d->name, d->domid,
	    d->exit_how);
	free(d->shutdown_reason);
	d->shutdown_reason = xstrdup("crash");
	domain_set_state(d, DOM_CRASHED);
	domain_apply_policy(d, "crash");
}

static int
domain_watch_pid(struct domain *d, char **cause)
{
	d->pidfd = syscall(SYS_pidfd_open, d->pid, 0);
	if (d->pidfd == -1) {
		*cause = xsprintf("pidfd_open %d: %s", (int)d->pid,
		    strerror(errno));
		return (-1);
	}
	fd_set_cloexec(d->pidfd);
	d->exited = 0;
	d->pid_ev = event_new(xend_base, d->pidfd, EV_READ | EV_PERSIST,
	    domain_pid_cb, d);
	event_add(d->pid_ev, NULL);
	return (0);
}

/*
 * QEMU's QMP is going (qmp_free calls no callback after it): the pauses
 * it did not answer fail now, or their callers would wait for ever.
 */
static void
domain_pauses_fail(struct domain *d)
{
	struct pause_req	*pr;

	while ((pr = TAILQ_FIRST(&d->pauses)) != NULL) {
		TAILQ_REMOVE(&d->pauses, pr, entry);
		domain_done(&pr->done, d, "failed", "domain %s: qemu went "
		    "away before it answered", d->name);
		free(pr);
	}
}

static void
domain_unwatch(struct domain *d)
{
	if (d->pid_ev != NULL) {
		event_free(d->pid_ev);
		d->pid_ev = NULL;
	}
	if (d->pidfd != -1) {
		close(d->pidfd);
		d->pidfd = -1;
	}
	if (d->qmp_retry_ev != NULL) {
		event_free(d->qmp_retry_ev);
		d->qmp_retry_ev = NULL;
	}
	domain_powerdown_stop(d);
	agent_close(d);
	vif_domain_down(d);
	domain_pauses_fail(d);
	if (d->qmp != NULL) {
		qmp_free(d->qmp);
		d->qmp = NULL;
	}
}

static int
domain_start_qemu(struct domain *d, char **cause)
{
	char	**argv;
	int	  rc;

	argv = qemu_argv(d, accel_get());
	d->preserved = 0;
	rc = qemu_spawn(d, argv, domain_commit_pid, cause);
	argv_free(argv);
	if (rc != 0)
		return (-1);
	d->nvcpu_tids = 0;
	if (domain_watch_pid(d, cause) != 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		return (-1);
	}
	log_info("%s (%d): qemu pid %d started (%s)", d->name, d->domid,
	    (int)d->pid, accel_get());
	d->boot_maxmem = d->config->maxmem;
	d->mem_actual = 0;
	if (sched_attach(d, cause) != 0) {
		log_warn("%s: scheduler: %s", d->name, *cause);
		dmesg_add("domain %s (%d): %s", d->name, d->domid, *cause);
		free(*cause);
		*cause = NULL;
	}
	d->qmp_deadline = time_mono() + QMP_CONNECT_SECONDS;
	domain_qmp_connect(d);
	agent_connect(d);
	return (0);
}

int
domain_create(struct domcfg *config, int paused, dom_done_cb done, void *arg,
    char **cause)
{
	return (domain_restore(config, paused, NULL, done, arg, cause));
}

int
domain_restore(struct domcfg *config, int paused, struct job *incoming,
    dom_done_cb done, void *arg, char **cause)
{
	struct domain	*d;
	const char	*name = config->name;
	int		 domid, rover;

	if (!domain_name_valid(name)) {
		*cause = xsprintf("invalid domain name '%s'", name);
		goto fail;
	}
	if (domain_find_name(name) != NULL) {
		*cause = xsprintf("domain '%s' already exists", name);
		goto fail;
	}
	if (domain_check_files(config, cause) != 0 ||
	    precheck_config(config, cause) != 0)
		goto fail;
	if (control_host_admits(NULL, config->memory, cause) != 0)
		goto fail;
	domcfg_fill_macs(config);
	if ((domid = domid_next(config, &rover)) == -1) {
		*cause = xstrdup("no free domain id");
		goto fail;
	}
	if (precheck_domid(config, domid, cause) != 0)
		goto fail;
	d = domain_new(domid, config);
	d->start_paused = paused;
	d->incoming = incoming;
	/* A full disk: no empty or half-written domain dir stays behind. */
	if (mkdir_p(d->dir, 0700, cause) != 0 ||
	    domain_save_config(d, cause) != 0 ||
	    (incoming != NULL && job_incoming_prepare(d, cause) != 0)) {
		domain_remove(d);
		return (-1);
	}
	if (domain_start_qemu(d, cause) != 0) {
		domain_unwatch(d);
		domain_remove(d);
		return (-1);
	}
	/* Without its record a restarted xend would lose this QEMU. */
	if (domain_write_runtime(d, cause) != 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->exited = 1;
		domain_remove(d);
		return (-1);
	}
	domid_rover = rover;
	rover_save();
	d->pending_create.fn = done;
	d->pending_create.arg = arg;
	TAILQ_INSERT_TAIL(&domains, d, entry);
	dmesg_add("domain %s (%d) created", d->name, d->domid);
	domain_emit(d, "domain.added");
	return (0);

fail:
	domcfg_free(config);
	return (-1);
}

static void
domain_cpus_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct domain	*d = arg;
	json_t		*v, *tid;
	size_t		 i;

	if (error != NULL) {
		log_warn("%s: query-cpus-fast: %s", d->name, error);
		return;
	}
	d->nvcpu_tids = 0;
	json_array_foreach(result, i, v) {
		tid = json_object_get(v, "thread-id");
		if (json_is_integer(tid) && d->nvcpu_tids < DOM_MAX_VCPUS)
			d->vcpu_tids[d->nvcpu_tids++] = json_integer_value(tid);
	}
	control_apply_affinity(d);
}

static void
domain_started(struct domain *d, enum dom_state state)
{
	char		*cause;

	domain_set_state(d, state);
	if (d->pending_create.fn == NULL)
		return;
	/* "Started" only once the record says so (a full disk may not). */
	if (domain_write_runtime(d, &cause) != 0) {
		domain_done(&d->pending_create, d, "failed",
		    "cannot start domain %s: %s", d->name, cause);
		free(cause);
		domain_defer_policy(d, "destroy");
		return;
	}
	domain_done(&d->pending_create, d, NULL, NULL);
}

static void
domain_cont_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct domain	*d = arg;

	if (error != NULL) {
		log_warn("%s: cont: %s", d->name, error);
		if (d->pending_create.fn != NULL) {
			domain_done(&d->pending_create, d, "failed",
			    "cannot start domain: %s", error);
			domain_defer_policy(d, "destroy");
		}
		return;
	}
	domain_started(d, DOM_RUNNING);
}

/* After a restart of xend: what is this QEMU doing? */
static void
domain_status_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct domain	*d = arg;
	const char	*st;
	char		*why;

	if (error != NULL) {
		log_warn("%s: query-status: %s", d->name, error);
		return;
	}
	st = json_string_value(json_object_get(result, "status"));
	if (st == NULL)
		st = "unknown";
	log_info("%s (%d): re-adopted, qemu status %s", d->name, d->domid, st);
	if (strcmp(st, "running") == 0) {
		domain_set_state(d, DOM_RUNNING);
		/* A shutdown asked for before xend went away: press on. */
		if (d->shutdown_req != SHUTDOWN_NONE)
			domain_powerdown_arm(d);
	} else if (strcmp(st, "shutdown") == 0) {
		if (d->preserved)
			return;	/* kept for inspection by its policy */
		/*
		 * Shut down while xend was away, or before it could apply the
		 * policy: apply it now.
		 */
		if ((d->state == DOM_SHUTDOWN || d->state == DOM_CRASHED) &&
		    d->shutdown_reason != NULL)
			why = d->shutdown_reason;
		else
			why = d->shutdown_req == SHUTDOWN_REBOOT ? "reboot" :
			    d->shutdown_req == SHUTDOWN_HALT ? "halt" :
			    "poweroff";
		why = xstrdup(why);
		free(d->shutdown_reason);
		d->shutdown_reason = why;
		domain_set_state(d, strcmp(why, "crash") == 0 ? DOM_CRASHED :
		    DOM_SHUTDOWN);
		domain_defer_policy(d, why);
	} else if (strcmp(st, "prelaunch") == 0) {
		/* xend died between spawn and cont. */
		if (d->start_paused)
			domain_set_state(d, DOM_PAUSED);
		else
			qmp_command(d->qmp, "cont", NULL, domain_cont_cb, d);
	} else if (strcmp(st, "guest-panicked") == 0 ||
	    strcmp(st, "internal-error") == 0) {
		domain_set_state(d, DOM_CRASHED);
		if (!d->preserved)
			domain_defer_policy(d, "crash");
	} else if (d->state != DOM_SHUTDOWN && d->state != DOM_CRASHED)
		domain_set_state(d, DOM_PAUSED);
}

struct deferred {
	struct domain	*d;
	char		*why;
};

static void
domain_policy_deferred(evutil_socket_t fd, short what, void *arg)
{
	struct deferred	*df = arg;

	if (!df->d->removed) {
		if (strcmp(df->why, "destroy") == 0)
			domain_destroy(df->d, NULL);
		else
			domain_apply_policy(df->d, df->why);
	}
	domain_unref(df->d);
	free(df->why);
	free(df);
}

static void
domain_defer_policy(struct domain *d, const char *why)
{
	struct deferred	*df = xcalloc(1, sizeof *df);
	struct timeval	 tv = { 0, 0 };

	domain_ref(d);
	df->d = d;
	df->why = xstrdup(why);
	event_base_once(xend_base, -1, EV_TIMEOUT, domain_policy_deferred, df,
	    &tv);
}

static void
domain_ev_shutdown(struct domain *d, json_t *data)
{
	const char	*reason, *why;

	reason = json_string_value(json_object_get(data, "reason"));
	if (reason == NULL)
		reason = "unknown";
	log_info("%s (%d): SHUTDOWN (%s)", d->name, d->domid, reason);
	domain_powerdown_stop(d);
	if (strcmp(reason, "guest-shutdown") == 0)
		why = d->shutdown_req == SHUTDOWN_REBOOT ? "reboot" :
		    d->shutdown_req == SHUTDOWN_HALT ? "halt" : "poweroff";
	else if (strcmp(reason, "guest-panic") == 0)
		why = "crash";
	else if (strcmp(reason, "host-signal") == 0)
		why = "crash";	/* someone killed QEMU */
	else
		return;	/* host-qmp-*: our own doing */
	free(d->shutdown_reason);
	d->shutdown_reason = xstrdup(why);
	domain_set_state(d, strcmp(why, "crash") == 0 ? DOM_CRASHED :
	    DOM_SHUTDOWN);
	dmesg_add("domain %s (%d) %s (qemu: %s)", d->name, d->domid,
	    strcmp(why, "crash") == 0 ? "crashed" : "shut down", reason);
	domain_defer_policy(d, why);
}

static void
domain_ev_reset(struct domain *d, json_t *data)
{
	const char	*reason;
	double		 now;

	reason = json_string_value(json_object_get(data, "reason"));
	now = time_mono();
	if (json_is_true(json_object_get(data, "guest")) &&
	    now - d->last_reset < RESET_FOLD_SECONDS) {
		/*
		 * SeaBIOS resets once more by itself after a reset: part of
		 * the same reboot.  A guest that keeps resetting this fast is
		 * in a loop, a crash.
		 */
		d->last_reset = now;
		if (++d->quick_resets < RESET_LOOP_LIMIT)
			return;
		d->quick_resets = 0;
		dmesg_add("domain %s (%d) is in a reset loop", d->name,
		    d->domid);
		free(d->shutdown_reason);
		d->shutdown_reason = xstrdup("crash");
		domain_preserve(d, "crash", 1);
		return;
	}
	d->last_reset = now;
	d->quick_resets = 0;
	if (json_is_true(json_object_get(data, "guest"))) {
		/* QEMU has already reset the guest; on_reboot decides. */
		log_info("%s (%d): guest reset (%s)", d->name, d->domid,
		    reason != NULL ? reason : "?");
		free(d->shutdown_reason);
		d->shutdown_reason = xstrdup("reboot");
		domain_defer_policy(d, "guest-reset");
	} else if (d->cont_after_reset) {
		d->cont_after_reset = 0;
		qmp_command(d->qmp, "cont", NULL, domain_cont_cb, d);
	}
}

static void
domain_ev_panicked(struct domain *d, json_t *data)
{
	dmesg_add("domain %s (%d) crashed: guest kernel panic", d->name,
	    d->domid);
	free(d->shutdown_reason);
	d->shutdown_reason = xstrdup("crash");
	domain_set_state(d, DOM_CRASHED);
	domain_defer_policy(d, "crash");
}

static void
domain_ev_stop(struct domain *d, json_t *data)
{
	if (d->state == DOM_RUNNING)
		domain_set_state(d, DOM_PAUSED);
}

static void
domain_ev_resume(struct domain *d, json_t *data)
{
	if (d->state == DOM_PAUSED)
		domain_set_state(d, DOM_RUNNING);
}

/* QMP events xend acts on; others are ignored. */
static const struct {
	const char	*name;
	void		(*fn)(struct domain *, json_t *data);
} domain_qmp_events[] = {
	{ "SHUTDOWN",		domain_ev_shutdown },
	{ "RESET",		domain_ev_reset },
	{ "GUEST_PANICKED",	domain_ev_panicked },
	{ "BALLOON_CHANGE",	control_balloon_event },
	{ "STOP",		domain_ev_stop },
	{ "RESUME",		domain_ev_resume },
	{ "DEVICE_DELETED",	blockdev_deleted },
	{ "MIGRATION",		job_migration_event },
	{ "BLOCK_JOB_COMPLETED", migrate_block_job_completed },
	{ "BLOCK_JOB_CANCELLED", migrate_block_job_cancelled },
	{ "JOB_STATUS_CHANGE",	migrate_job_status_change },
};

static void
domain_qmp_event(struct qmp *q, const char *event, json_t *data, void *arg)
{
	struct domain	*d = arg;
	size_t		 i;

	if (d->state == DOM_DYING)
		return;
	for (i = 0; i < nitems(domain_qmp_events); i++) {
		if (strcmp(event, domain_qmp_events[i].name) == 0) {
			domain_qmp_events[i].fn(d, data);
			return;
		}
	}
}

static void
domain_qmp_state(struct qmp *q, int up, void *arg)
{
	struct domain	*d = arg;

	if (!up) {
		log_info("%s (%d): qmp connection closed", d->name, d->domid);
		return;	/* the pidfd tells whether QEMU is gone */
	}
	qmp_command(q, "query-cpus-fast", NULL, domain_cpus_cb, d);
	if (d->state == DOM_STARTING) {
		control_qmp_up(d);
		vif_domain_up(d);
	}
	if (d->state == DOM_STARTING && (d->pending_create.fn != NULL ||
	    d->incoming != NULL)) {
		if (d->incoming != NULL)
			job_incoming_up(d);
		else if (d->start_paused)
			domain_started(d, DOM_PAUSED);
		else
			qmp_command(q, "cont", NULL, domain_cont_cb, d);
	} else if (d->state == DOM_STARTING && d->restart_count > 0) {
		/* A crashed domain's fresh QEMU. */
		qmp_command(q, "cont", NULL, domain_cont_cb, d);
	} else
		qmp_command(q, "query-status", NULL, domain_status_cb, d);
}

void
domain_incoming_done(struct domain *d, const char *error)
{
	d->incoming = NULL;
	if (error != NULL) {
		domain_done(&d->pending_create, d, "failed", "%s", error);
		domain_defer_policy(d, "destroy");
	} else if (d->start_paused)
		domain_started(d, DOM_PAUSED);
	else
		qmp_command(d->qmp, "cont", NULL, domain_cont_cb, d);
}

static void
domain_qmp_retry(evutil_socket_t fd, short what, void *arg)
{
	domain_qmp_connect(arg);
}

static void
domain_qmp_connect(struct domain *d)
{
	char		*path, *cause;
	int		 fd;
	struct timeval	 tv = { 0, QMP_RETRY_USEC };

	if (d->exited || d->qmp != NULL)
		return;
	xasprintf(&path, "%s/qmp.sock", d->dir);
	fd = unix_connect(path, &cause);
	free(path);
	if (fd != -1) {
		d->qmp = qmp_new(xend_base, fd, domain_qmp_event,
		    domain_qmp_state, d);
		return;
	}
	if (time_mono() > d->qmp_deadline) {
		log_error("%s (%d): no qmp: %s", d->name, d->domid, cause);
		free(cause);
		domain_done(&d->pending_create, d, "failed",
		    "qemu did not answer on its qmp socket");
		domain_destroy(d, NULL);
		return;
	}
	free(cause);
	if (d->qmp_retry_ev == NULL)
		d->qmp_retry_ev = evtimer_new(xend_base, domain_qmp_retry, d);
	evtimer_add(d->qmp_retry_ev, &tv);
}

static void
domain_remove_files(struct domain *d)
{
	static const char *keep[] = { "console.log", "qemu.log" };
	/* config.json first: a dir without one is no domain, only debris. */
	static const char *drop[] = { "config.json", "runtime.json",
	    "qmp.sock", "console.sock", "vnc.sock", "control.sock" };
	char	*from, *to, *logdir, *cause;
	size_t	 i;
	DIR	*dp;
	struct dirent *de;

	/* Keep the last console and QEMU log of each name for post-mortems. */
	xasprintf(&logdir, "%s/logs", xend_cfg.state_dir);
	if (mkdir_p(logdir, 0700, &cause) != 0) {
		log_warn("%s", cause);
		free(cause);
	}
	for (i = 0; i < nitems(keep); i++) {
		xasprintf(&from, "%s/%s", d->dir, keep[i]);
		xasprintf(&to, "%s/%s.%s", logdir, d->name, keep[i]);
		if (rename(from, to) != 0 && errno != ENOENT)
			log_warn("rename %s: %s", from, strerror(errno));
		free(from);
		free(to);
	}
	free(logdir);
	for (i = 0; i < nitems(drop); i++) {
		xasprintf(&from, "%s/%s", d->dir, drop[i]);
		unlink(from);
		free(from);
	}
	/* Temporary files of writes that a kill of xend cut short. */
	if ((dp = opendir(d->dir)) != NULL) {
		while ((de = readdir(dp)) != NULL) {
			if (strstr(de->d_name, ".tmp.") == NULL)
				continue;
			xasprintf(&from, "%s/%s", d->dir, de->d_name);
			unlink(from);
			free(from);
		}
		closedir(dp);
	}
	if (rmdir(d->dir) != 0 && errno != ENOENT)
		log_warn("rmdir %s: %s", d->dir, strerror(errno));
}

static void
domain_remove(struct domain *d)
{
	struct domain	*x;
	int		 in_table = 0;

	if (d->removed)
		return;
	TAILQ_FOREACH(x, &domains, entry) {
		if (x == d) {
			in_table = 1;
			break;
		}
	}
	if (in_table) {
		TAILQ_REMOVE(&domains, d, entry);
		events_publish("domain.removed", d);
		dmesg_add("domain %s (%d) destroyed", d->name, d->domid);
	}
	d->removed = 1;
	domain_unwatch(d);
	if (d->kill_ev != NULL) {
		event_free(d->kill_ev);
		d->kill_ev = NULL;
	}
	sched_detach(d);
	control_free(d);
	netdev_domain_gone(d);
	domain_remove_files(d);
	domain_unref(d);
}

/*
 * Ends every process other than keep whose argv names this domain's dir:
 * whatever started it, it must not outlive the domain or run beside the
 * domain's own QEMU.
 */
static void
domain_end_strays(struct domain *d, pid_t keep)
{
	struct qemuproc	*v;
	char		*parent;
	int		 n, i;

	xasprintf(&parent, "%s/domains", xend_cfg.state_dir);
	n = qemuproc_scan(parent, &v);
	free(parent);
	for (i = 0; i < n; i++) {
		if (v[i].pid == keep || strcmp(v[i].dir, d->dir) != 0)
			continue;
		dmesg_add("domain %s (%d): ending stray qemu pid %d", d->name,
		    d->domid, (int)v[i].pid);
		if (qemuproc_kill(v[i].pid, v[i].start, 3000) != 0)
			log_error("qemu pid %d would not end", (int)v[i].pid);
	}
	qemuproc_free(v, n);
}

/* Waits up to ms for the process behind pidfd to end. */
static int
pidfd_wait(int pidfd, int ms)
{
	struct pollfd	 pf = { pidfd, POLLIN, 0 };

	return (poll(&pf, 1, ms) == 1);
}

/*
 * Destroy is immediate, as in Xen: QEMU gets SIGTERM (it flushes its
 * block devices), then SIGKILL, and the domain is gone when this returns.
 */
int
domain_destroy(struct domain *d, char **cause)
{
	if (d->removed)
		return (0);
	domain_set_state(d, DOM_DYING);
	domain_done(&d->pending_create, d, "failed",
	    "domain destroyed while starting");
	if (!d->exited && d->pid > 0 && d->pidfd != -1) {
		kill(d->pid, SIGTERM);
		if (!pidfd_wait(d->pidfd, 3000)) {
			log_warn("%s (%d): qemu ignored SIGTERM, killing",
			    d->name, d->domid);
			kill(d->pid, SIGKILL);
			if (!pidfd_wait(d->pidfd, 5000)) {
				/*
				 * Stuck in the kernel: its records stay (dying)
				 * until the pidfd says it has gone, so it is
				 * never a QEMU that nothing names.
				 */
				log_error("%s (%d): qemu pid %d outlives SIGKILL; "
				    "removed once it ends", d->name, d->domid,
				    (int)d->pid);
				return (0);
			}
		}
		waitpid(d->pid, NULL, WNOHANG);
	} else if (!d->exited && d->pid > 0 &&
	    qemuproc_kill(d->pid, d->pid_start, 3000) != 0) {
		log_error("%s (%d): qemu pid %d would not end", d->name,
		    d->domid, (int)d->pid);
		return (0);
	}
	d->exited = 1;
	domain_end_strays(d, 0);
	domain_remove(d);
	return (0);
}

static int
restart_too_fast(struct domain *d)
{
	double	 now = time_mono(), horizon = now - xend_cfg.restart_window;
	int	 i, recent = 0, n = d->nrestarts;

	if (n > (int)nitems(d->restarts))
		n = nitems(d->restarts);
	for (i = 0; i < n; i++) {
		if (d->restarts[i] > horizon)
			recent++;
	}
	if (recent >= xend_cfg.restart_limit)
		return (1);
	d->restarts[d->nrestarts++ % nitems(d->restarts)] = now;
	return (0);
}

static void
domain_reset_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct domain	*d = arg;

	if (error != NULL)
		log_warn("%s: restart: %s", d->name, error);
}

static void
domain_restart(struct domain *d)
{
	char	*cause;

	d->restart_count++;
	d->shutdown_req = SHUTDOWN_NONE;
	d->preserved = 0;
	if (!d->exited && qmp_is_up(d->qmp)) {
		/*
		 * Same QEMU, same id and console: reset, and once QEMU reports
		 * the RESET done, cont (it refuses cont before that).
		 */
		d->cont_after_reset = 1;
		d->last_reset = time_mono();
		qmp_command(d->qmp, "system_reset", NULL, domain_reset_cb, d);
		d->start_time = time_wall();
		dmesg_add("domain %s (%d) restarted", d->name, d->domid);
		return;
	}
	/*
	 * A new QEMU under the same id.  One still alive but out of reach
	 * (no QMP) ends first: never two QEMUs for one domain.
	 */
	if (!d->exited && d->pid > 0) {
		log_warn("%s (%d): qemu pid %d has no qmp, ending it before the "
		    "restart", d->name, d->domid, (int)d->pid);
		if (qemuproc_kill(d->pid, d->pid_start, 3000) != 0) {
			log_error("%s: restart failed: qemu pid %d would not end",
			    d->name, (int)d->pid);
			d->preserved = 1;
			domain_set_state(d, DOM_CRASHED);
			return;
		}
		waitpid(d->pid, NULL, WNOHANG);
		d->exited = 1;
	}
	domain_end_strays(d, 0);
	domain_unwatch(d);
	d->cpu_time_base = d->cpu_time;
	domain_set_state(d, DOM_STARTING);
	if (domain_start_qemu(d, &cause) != 0) {
		log_error("%s: restart failed: %s", d->name, cause);
		free(cause);
		domain_set_state(d, DOM_CRASHED);
		return;
	}
	domain_save(d);
	dmesg_add("domain %s (%d) restarted after crash", d->name, d->domid);
}

/*
 * rename-restart, step by step: the intent is recorded (restart_as, in
 * runtime.json) before the rename, and each step is done only if not yet
 * done, so that an xend killed between them finishes it when it starts
 * again (domain_adopt).
 */
static void
domain_restart_as(struct domain *d)
{
	struct domcfg	*config;
	char		*newname, *cause;
	int		 n;

	if (strcmp(d->name, d->restart_as) == 0) {
		for (n = 1; ; n++) {
			newname = xsprintf("%s-%d", d->restart_as, n);
			if (domain_find_name(newname) == NULL)
				break;
			free(newname);
		}
		if (domain_rename(d, newname, &cause) != 0) {
			log_error("%s: rename-restart: %s", d->name, cause);
			free(cause);
		}
		free(newname);
	}
	if (strcmp(d->name, d->restart_as) != 0 &&
	    domain_find_name(d->restart_as) == NULL) {
		config = domcfg_dup(d->config);
		free(config->name);
		config->name = xstrdup(d->restart_as);
		if (domain_create(config, 0, NULL, NULL, &cause) != 0) {
			log_error("rename-restart: %s", cause);
			free(cause);
		}
	}
	free(d->restart_as);
	d->restart_as = NULL;
	domain_save(d);
}

static void
domain_restart_as_deferred(evutil_socket_t fd, short what, void *arg)
{
	struct domain	*d = arg;

	if (!d->removed && d->restart_as != NULL) {
		dmesg_add("domain %s (%d): finishing its rename-restart as %s",
		    d->name, d->domid, d->restart_as);
		domain_restart_as(d);
	}
	domain_unref(d);
}

static void
domain_rename_restart(struct domain *d)
{
	d->restart_as = xstrdup(d->name);
	domain_save(d);
	domain_restart_as(d);
}

/*
 * Keeps a stopped domain for inspection.  After a guest reset QEMU is
 * already running the guest again, so it is stopped first.
 */
static void
domain_preserve(struct domain *d, const char *why, int running)
{
	if (running && qmp_is_up(d->qmp))
		qmp_command(d->qmp, "stop", NULL, NULL, NULL);
	d->preserved = 1;
	domain_save(d);
	domain_set_state(d, strcmp(why, "crash") == 0 ? DOM_CRASHED :
	    DOM_SHUTDOWN);
}

/*
 * why: poweroff, halt, reboot, crash, or guest-reset (the guest rebooted
 * itself and QEMU has reset it); the config's on_* decides.
 */
static void
domain_apply_policy(struct domain *d, const char *why)
{
	const char	*key, *policy;
	int		 running = strcmp(why, "guest-reset") == 0;

	if (running || strcmp(why, "reboot") == 0)
		key = "on_reboot";
	else if (strcmp(why, "crash") == 0)
		key = "on_crash";
	else
		key = "on_poweroff";
	policy = domcfg_string(d->config, key);
	if (policy == NULL)
		policy = "destroy";
	/* A halt is a request to stop for good. */
	if (strcmp(why, "halt") == 0 && strcmp(policy, "restart") == 0)
		policy = "destroy";
	log_info("%s (%d): %s, %s is %s", d->name, d->domid, why, key, policy);

	if (strcmp(policy, "destroy") == 0) {
		domain_destroy(d, NULL);
	} else if (strcmp(policy, "preserve") == 0) {
		domain_preserve(d, why, running);
	} else if (restart_too_fast(d)) {
		dmesg_add("domain %s (%d) restarting too fast (%d in %d s): "
		    "not restarted, preserved for inspection", d->name,
		    d->domid, xend_cfg.restart_limit, xend_cfg.restart_window);
		domain_preserve(d, why, running);
	} else if (strcmp(policy, "rename-restart") == 0) {
		domain_preserve(d, why, running);
		domain_rename_restart(d);
	} else if (running) {
		/* Already rebooting in the same QEMU: just account for it. */
		d->restart_count++;
		d->shutdown_req = SHUTDOWN_NONE;
		d->start_time = time_wall();
		domain_save(d);
		domain_emit(d, "domain.state");
		dmesg_add("domain %s (%d) rebooted", d->name, d->domid);
	} else
		domain_restart(d);
}

static void
domain_powerdown_stop(struct domain *d)
{
	if (d->powerdown_ev != NULL) {
		event_free(d->powerdown_ev);
		d->powerdown_ev = NULL;
	}
}

static void
domain_powerdown_cb(evutil_socket_t fd, short what, void *arg)
{
	struct domain	*d = arg;
	struct timeval	 tv = { POWERDOWN_RETRY_SECONDS, 0 };

	if (d->state != DOM_RUNNING || d->shutdown_req == SHUTDOWN_NONE ||
	    !qmp_is_up(d->qmp))
		return;
	if (time_mono() > d->powerdown_deadline) {
		/* Give up visibly: xm shutdown -w sees the request gone. */
		dmesg_add("domain %s (%d) ignored the power button for %d s",
		    d->name, d->domid, xend_cfg.shutdown_timeout);
		d->shutdown_req = SHUTDOWN_NONE;
		domain_save(d);
		domain_emit(d, "domain.state");
		return;
	}
	log_debug("%s (%d): pressing the power button again", d->name,
	    d->domid);
	qmp_command(d->qmp, "system_powerdown", NULL, NULL, NULL);
	evtimer_add(d->powerdown_ev, &tv);
}

/*
 * Presses the power button now and again until the guest acts: a press is
 * lost while the guest boots (its ACPI button driver and acpid are not up
 * yet).
 */
static void
domain_powerdown_arm(struct domain *d)
{
	struct timeval	 tv = { POWERDOWN_RETRY_SECONDS, 0 };

	qmp_command(d->qmp, "system_powerdown", NULL, NULL, NULL);
	d->powerdown_deadline = time_mono() + xend_cfg.shutdown_timeout;
	if (d->powerdown_ev == NULL)
		d->powerdown_ev = evtimer_new(xend_base, domain_powerdown_cb, d);
	evtimer_add(d->powerdown_ev, &tv);
}

int
domain_shutdown(struct domain *d, enum dom_shutdown_mode mode, char **cause)
{
	if (d->state != DOM_RUNNING && d->state != DOM_PAUSED) {
		*cause = xsprintf("domain %s is %s, not running", d->name,
		    state_names[d->state]);
		return (-1);
	}
	if (!qmp_is_up(d->qmp)) {
		*cause = xsprintf("domain %s: no qmp connection", d->name);
		return (-1);
	}
	d->shutdown_req = mode;
	domain_save(d);
	/* A paused guest cannot see the power button. */
	if (d->state == DOM_PAUSED)
		qmp_command(d->qmp, "cont", NULL, NULL, NULL);
	domain_powerdown_arm(d);
	log_info("%s (%d): %s requested", d->name, d->domid,
	    mode == SHUTDOWN_REBOOT ? "reboot" : mode == SHUTDOWN_HALT ?
	    "halt" : "poweroff");
	return (0);
}

static void
domain_pause_cb(struct qmp *q, json_t *result, const char *error, void *arg)
{
	struct pause_req	*pr = arg;

	TAILQ_REMOVE(&pr->d->pauses, pr, entry);
	if (error != NULL)
		domain_done(&pr->done, pr->d, "failed", "%s", error);
	else {
		if (!pr->d->removed)
			domain_set_state(pr->d, pr->pause ? DOM_PAUSED :
			    DOM_RUNNING);
		domain_done(&pr->done, pr->d, NULL, NULL);
	}
	free(pr);
}

int
domain_pause(struct domain *d, int pause, dom_done_cb done, void *arg,
    char **cause)
{
	struct pause_req	*pr;

	if (d->state != (pause ? DOM_RUNNING : DOM_PAUSED)) {
		*cause = xsprintf("domain %s is %s", d->name,
		    domain_status(d));
		if (d->state == DOM_PAUSED && pause) {
			free(*cause);
			*cause = xsprintf("domain %s is already paused",
			    d->name);
		} else if (d->state == DOM_RUNNING && !pause) {
			free(*cause);
			*cause = xsprintf("domain %s is not paused", d->name);
		}
		return (-1);
	}
	if (!qmp_is_up(d->qmp)) {
		*cause = xsprintf("domain %s: no qmp connection", d->name);
		return (-1);
	}
	pr = xcalloc(1, sizeof *pr);
	pr->d = d;
	pr->done.fn = done;
	pr->done.arg = arg;
	pr->pause = pause;
	/* No reference: d's qmp_free (domain_unwatch) ends pr first. */
	TAILQ_INSERT_TAIL(&d->pauses, pr, entry);
	qmp_command(d->qmp, pause ? "stop" : "cont", NULL, domain_pause_cb, pr);
	return (0);
}

int
domain_rename(struct domain *d, const char *name, char **cause)
{
	char	*saved;

	if (domcfg_name_problem(name) != NULL) {
		*cause = xsprintf("invalid domain name '%s': %s", name,
		    domcfg_name_problem(name));
		return (-1);
	}
	if (strcmp(d->name, name) == 0)
		return (0);
	if (domain_find_name(name) != NULL) {
		*cause = xsprintf("domain '%s' already exists", name);
		return (-1);
	}
	saved = d->config->name;
	d->config->name = xstrdup(name);
	if (domain_save_config(d, cause) != 0) {
		free(d->config->name);
		d->config->name = saved;
		return (-1);
	}
	free(saved);
	log_info("domain %d renamed %s -> %s", d->domid, d->name, name);
	free(d->name);
	d->name = xstrdup(name);
	domain_save(d);
	domain_emit(d, "domain.state");
	return (0);
}

void
domain_sample_all(void)
{
	struct domain	*d;
	double		 now = time_mono(), sum, t, dt, prev;
	int		 i, cpu, ok;

	TAILQ_FOREACH(d, &domains, entry) {
		if (d->exited || d->pid <= 0)
			continue;
		sum = 0;
		ok = 0;
		cpu = d->last_cpu;
		for (i = 0; i < d->nvcpu_tids; i++) {
			t = proc_cpu_seconds(d->pid, d->vcpu_tids[i],
			    i == 0 ? &cpu : NULL, NULL);
			if (t >= 0) {
				sum += t;
				ok = 1;
			}
		}
		if (!ok && (t = proc_cpu_seconds(d->pid, 0, &cpu, NULL)) >= 0)
			sum = t;
		prev = d->cpu_time;
		d->cpu_time = d->cpu_time_base + sum;
		d->last_cpu = cpu;
		dt = now - d->sample_time;
		/* Idle vCPU threads sleep in the host: Xen's "blocked". */
		if (d->sample_time > 0 && dt > 0)
			d->blocked = (d->cpu_time - prev) < 0.05 * dt;
		d->sample_time = now;
		control_sample(d);
	}
}

static void
domain_sample_cb(evutil_socket_t fd, short what, void *arg)
{
	domain_sample_all();
}

void
domain_init(void)
{
	char		*path, *text, *cause;
	long		 v;
	struct timeval	 tv = { 1, 0 };

	xasprintf(&path, "%s/domains", xend_cfg.state_dir);
	if (mkdir_p(path, 0700, &cause) != 0)
		fatalx("%s", cause);
	free(path);
	xasprintf(&path, "%s/next-domid", xend_cfg.state_dir);
	if (file_read(path, &text, NULL, &cause) == 0) {
		text[strcspn(text, "\n")] = '\0';
		if (parse_long(text, 1, DOMID_MAX, &v) == 0)
			domid_rover = v;
		free(text);
	} else
		free(cause);
	free(path);
	agent_init(&control_agent_hooks);
	sample_ev = event_new(xend_base, -1, EV_PERSIST, domain_sample_cb,
	    NULL);
	event_add(sample_ev, &tv);
}

/* Ends a QEMU found at start-up that no domain of this xend can own. */
static void
domain_kill_stray(struct qemuproc *p, const char *why)
{
	dmesg_add("qemu pid %d (%s) %s: ending it", (int)p->pid, p->dir, why);
	if (qemuproc_kill(p->pid, p->start, 3000) != 0)
		log_error("qemu pid %d would not end", (int)p->pid);
	p->pid = 0;
}

/*
 * A domain dir without a config.json is what a destroy (config.json goes
 * first) or a create (config.json comes first) left when xend was killed:
 * no domain, so its files go, with its logs kept as for any other.
 */
static void
domain_clean_dir(const char *dir, int domid)
{
	struct domain	 d;
	char		*path, *text, *cause, *name = NULL;
	json_t		*rt;

	xasprintf(&path, "%s/runtime.json", dir);
	if (file_read(path, &text, NULL, &cause) == 0) {
		if ((rt = json_loads(text, 0, NULL)) != NULL &&
		    json_is_string(json_object_get(rt, "name")))
			name = xstrdup(json_string_value(json_object_get(rt,
			    "name")));
		json_decref(rt);
		free(text);
	} else
		free(cause);
	free(path);
	memset(&d, 0, sizeof d);
	d.domid = domid;
	d.dir = (char *)dir;
	d.name = name != NULL ? name : xsprintf("domain-%d", domid);
	log_info("%s: no config.json, removing what is left", dir);
	domain_remove_files(&d);
	free(d.name);
}

/*
 * Re-adopts the domain in dir.  found: every QEMU whose argv names a dir
 * under the state dir (see qemuproc_scan); the ones this domain owns or
 * ends are cleared (pid 0), so what is left afterwards belongs to none.
 */
/*
 * 1 if pid runs xend's own binary: a child forked for a QEMU and held
 * before its exec is still a copy of xend.
 */
static int
domain_is_xend_child(pid_t pid)
{
	char		 path[64];
	struct stat	 a, b;

	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	if (stat(path, &a) != 0 || stat("/proc/self/exe", &b) != 0)
		return (0);
	return (a.st_dev == b.st_dev && a.st_ino == b.st_ino);
}

/*
 * A recorded config is checked again, but a name that an older xend
 * accepted and today's rule refuses (one starting with '-', say) must not
 * cost a running guest its QEMU: such a domain is adopted, with a warning,
 * so that it can be renamed or shut down properly.
 */
static struct domcfg *
domain_adopt_valid(const char *dir, json_t *config)
{
	json_t		*copy;
	char		*cause;
	const char	*name = json_string_value(json_object_get(config,
			    "name")), *why;
	struct domcfg	*dc;

	if ((dc = domcfg_from_json(config, &cause)) != NULL)
		return (dc);
	if (name == NULL || (why = domcfg_name_problem(name)) == NULL) {
		log_warn("%s: config.json: %s", dir, cause);
		free(cause);
		return (NULL);
	}
	free(cause);
	copy = json_deep_copy(config);
	json_object_set_new(copy, "name", json_string("adopted"));
	dc = domcfg_from_json(copy, &cause);
	json_decref(copy);
	if (dc == NULL) {
		log_warn("%s: config.json: %s", dir, cause);
		free(cause);
		return (NULL);
	}
	free(dc->name);
	dc->name = xstrdup(name);
	log_warn("%s: domain name '%s' is no longer accepted (%s): adopted; "
	    "rename it (xm rename) or shut it down", dir, name, why);
	dmesg_add("domain '%s' adopted under a name no longer accepted (%s): "
	    "xm rename it", name, why);
	return (dc);
}

/*
 * A runtime.json from an xend that kept credit's weight and cap there,
 * not in the config: they are the live values, so into the config.
 */
static void
domain_adopt_credit(struct domain *d, const json_t *sched)
{
	json_int_t	 w, c;
	char		*cause;

	w = json_integer_value(json_object_get(sched, "weight"));
	c = json_integer_value(json_object_get(sched, "cap"));
	if ((w < 1 || w > 65535 || w == d->config->cpu_weight) &&
	    (c < 1 || c > 100 * 4096 || c == d->config->cpu_cap))
		return;
	if (w >= 1 && w <= 65535)
		d->config->cpu_weight = w;
	if (c >= 1 && c <= 100 * 4096)
		d->config->cpu_cap = c;
	if (domain_save_config(d, &cause) != 0) {
		log_warn("%s: %s", d->name, cause);
		free(cause);
	}
}

static void
domain_adopt(const char *dir, int domid, struct qemuproc *found, int nfound)
{
	char		*path, *text, *cause;
	json_t		*rt = NULL, *json, *v;
	struct domcfg	*config = NULL;
	json_error_t	 jerr;
	struct domain	*d;
	size_t		 i;
	int		 k, j, no_config, legacy = 0;
	unsigned long long start;
	const char	*st, *why;

	xasprintf(&path, "%s/config.json", dir);
	no_config = access(path, F_OK) != 0 && errno == ENOENT;
	if (file_read(path, &text, NULL, &cause) == 0) {
		json = json_loads(text, 0, &jerr);
		free(text);
		if (json != NULL)
			config = domain_adopt_valid(dir, json);
		json_decref(json);
	} else
		free(cause);
	free(path);
	if (config == NULL) {
		/* Nothing could manage such a QEMU: it must not run untracked. */
		for (j = 0; j < nfound; j++) {
			if (found[j].pid > 0 && strcmp(found[j].dir, dir) == 0)
				domain_kill_stray(&found[j], no_config ?
				    "has no config.json" : "has a bad "
				    "config.json");
		}
		if (no_config)
			domain_clean_dir(dir, domid);
		else
			log_warn("skipping %s: bad config.json", dir);
		return;
	}
	xasprintf(&path, "%s/runtime.json", dir);
	if (file_read(path, &text, NULL, &cause) == 0) {
		rt = json_loads(text, 0, &jerr);
		free(text);
	} else
		free(cause);
	free(path);

	d = domain_new(domid, config);
	d->vifs_up = 1;		/* as the xend that started it left them */
	if (json_is_object(rt)) {
		d->pid = json_integer_value(json_object_get(rt, "pid"));
		d->pid_start = json_integer_value(json_object_get(rt,
		    "pid_start"));
		d->start_time = json_real_value(json_object_get(rt,
		    "start_time"));
		d->restart_count = json_integer_value(json_object_get(rt,
		    "restart_count"));
		d->cpu_time_base = json_real_value(json_object_get(rt,
		    "cpu_time_base"));
		d->start_paused = json_is_true(json_object_get(rt,
		    "start_paused"));
		if ((v = json_object_get(rt, "shutdown_reason")) != NULL &&
		    json_is_string(v))
			d->shutdown_reason = xstrdup(json_string_value(v));
		d->boot_maxmem = json_integer_value(json_object_get(rt,
		    "boot_maxmem"));
		v = json_object_get(rt, "sched");
		domain_adopt_credit(d, v);
		d->sedf_period = json_integer_value(json_object_get(v,
		    "period"));
		d->sedf_slice = json_integer_value(json_object_get(v, "slice"));
		json_array_foreach(json_object_get(rt, "affinity"), i, v) {
			if (i < DOM_MAX_VCPUS && json_is_string(v))
				d->affinity[i] = xstrdup(json_string_value(v));
		}
		st = json_string_value(json_object_get(rt, "state"));
		for (i = 0; st != NULL && i < nitems(state_names); i++) {
			if (strcmp(st, state_names[i]) == 0)
				d->state = i;
		}
		st = json_string_value(json_object_get(rt,
		    "shutdown_request"));
		for (i = 0; st != NULL && i < nitems(shutdown_names); i++) {
			if (strcmp(st, shutdown_names[i]) == 0)
				d->shutdown_req = i;
		}
		if ((v = json_object_get(rt, "restart_as")) != NULL &&
		    json_is_string(v))
			d->restart_as = xstrdup(json_string_value(v));
		/* Records from before "preserved": a stopped one was kept. */
		if ((v = json_object_get(rt, "preserved")) == NULL)
			legacy = 1;
		d->preserved = json_is_true(v) || (legacy &&
		    (d->state == DOM_SHUTDOWN || d->state == DOM_CRASHED));
	}
	json_decref(rt);
	TAILQ_INSERT_TAIL(&domains, d, entry);
	/* Once every domain is in (names): its rename-restart's next step. */
	if (d->restart_as != NULL) {
		struct timeval	 tv = { 0, 0 };

		domain_ref(d);
		event_base_once(xend_base, -1, EV_TIMEOUT,
		    domain_restart_as_deferred, d, &tv);
	}

	/*
	 * Its QEMU: the recorded process if its argv still names this dir,
	 * else any running QEMU that names it (its record was lost or is
	 * stale); every other one naming it is a second QEMU and ends.
	 */
	k = qemuproc_pick(found, nfound, dir, d->pid, d->pid_start);
	if (k == -1 && d->pid > 0 && (start = qemuproc_start_time(d->pid)) ==
	    d->pid_start && start != 0 && domain_is_xend_child(d->pid)) {
		/*
		 * The recorded child never ran QEMU: it was held at spawn and
		 * ends by itself now that its xend has gone.  Make sure.  (Any
		 * other process with that pid and start tick, after a reboot,
		 * is none of ours and is left alone.)
		 */
		log_info("%s: pid %d was held before exec, ending it", dir,
		    (int)d->pid);
		qemuproc_kill(d->pid, start, 1000);
	}
	for (j = 0; j < nfound; j++) {
		if (j != k && found[j].pid > 0 && strcmp(found[j].dir, dir) == 0)
			domain_kill_stray(&found[j], "is a second qemu of its "
			    "domain");
	}
	if (k == -1) {
		/* No QEMU: it ended, or never ran, while xend was away. */
		d->exited = 1;
		if (d->state == DOM_DYING) {
			domain_remove(d);
			return;
		}
		if (d->preserved)
			return;
		if (d->state == DOM_STARTING && d->restart_count == 0) {
			dmesg_add("domain %s (%d): its create was cut short "
			    "before qemu ran; removed", d->name, d->domid);
			d->state = DOM_DYING;
			domain_remove(d);
			return;
		}
		if (d->state == DOM_SHUTDOWN && d->shutdown_reason != NULL)
			why = d->shutdown_reason;
		else {
			dmesg_add("domain %s (%d): qemu pid %d gone while xend "
			    "was down", d->name, d->domid, (int)d->pid);
			free(d->shutdown_reason);
			d->shutdown_reason = xstrdup("crash");
			d->state = DOM_CRASHED;
			why = "crash";
		}
		domain_defer_policy(d, why);
		return;
	}
	if (found[k].pid != d->pid || found[k].start != d->pid_start) {
		dmesg_add("domain %s (%d): qemu pid %d found by its domain dir "
		    "(records said pid %d)", d->name, d->domid,
		    (int)found[k].pid, (int)d->pid);
		d->pid = found[k].pid;
		d->pid_start = found[k].start;
		domain_save(d);
	}
	found[k].pid = 0;
	if (domain_watch_pid(d, &cause) != 0) {
		log_error("%s: %s", d->name, cause);
		free(cause);
		return;
	}
	if (d->state == DOM_DYING) {
		/* xend went away in the middle of a destroy: finish it. */
		dmesg_add("domain %s (%d): finishing its destroy", d->name,
		    d->domid);
		domain_defer_policy(d, "destroy");
		return;
	}
	if (job_recover(d)) {
		domain_defer_policy(d, "destroy");
		return;
	}
	if (d->state == DOM_STARTING)
		d->start_paused = d->start_paused ? 1 : 0;
	/* For the CPU time sampled before QMP answers (main.c). */
	d->nvcpu_tids = proc_vcpu_threads(d->pid, d->vcpu_tids,
	    DOM_MAX_VCPUS);
	d->qmp_deadline = time_mono() + QMP_CONNECT_SECONDS;
	dmesg_add("domain %s (%d): re-adopting qemu pid %d", d->name, domid,
	    (int)d->pid);
	if (sched_attach(d, &cause) != 0) {
		log_warn("%s: scheduler: %s", d->name, cause);
		free(cause);
	}
	domain_qmp_connect(d);
	agent_connect(d);
}

/*
 * Before any policy: every QEMU that names a dir under the state dir is
 * found (argv), each is owned by its domain or ended, so no QEMU runs that
 * xend does not list, and none is started beside one that still runs.
 */
void
domain_adopt_all(void)
{
	char		*path, *sub;
	DIR		*dp;
	struct dirent	*de;
	long		 id;
	int		 max = 0, nfound, j;
	struct qemuproc	*found;

	xasprintf(&path, "%s/domains", xend_cfg.state_dir);
	nfound = qemuproc_scan(path, &found);
	if ((dp = opendir(path)) != NULL) {
		while ((de = readdir(dp)) != NULL) {
			if (parse_long(de->d_name, 1, DOMID_MAX, &id) != 0)
				continue;
			xasprintf(&sub, "%s/%s", path, de->d_name);
			domain_adopt(sub, id, found, nfound);
			free(sub);
			if (id > max)
				max = id;
		}
		closedir(dp);
	}
	for (j = 0; j < nfound; j++) {
		if (found[j].pid > 0)
			domain_kill_stray(&found[j], "names no domain");
	}
	qemuproc_free(found, nfound);
	free(path);
	if (max >= domid_rover && max < DOMID_MAX)
		domid_rover = max + 1;
}
