/*
 * test-domain.c: domain.c's lifecycle against a fake QEMU.  The test links
 * the real domain.c, control.c, agent.c, sched.c, precheck.c and qmp.c; only
 * qemu.c (argv, spawn, taps) is replaced, by the functions below: the
 * spawned "QEMU" is a fork of this program that listens on the domain's
 * qmp.sock and speaks QMP (greeting, qmp_capabilities, query-status,
 * cont/stop, system_powerdown/system_reset with their events, query-migrate
 * with a MIGRATION event racing its reply).  The test
 * drives it through a socketpair: guest events, QEMU's exit, a closed QMP
 * connection, commands left unanswered.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "xen-common.h"
#include "domcfg.h"
#include "pycfg.h"
#include "../../core/xend/xend.h"
#include "../../core/xend/job.h"

struct event_base	*xend_base;
struct xendcfg		 xend_cfg;
double			 xend_start_time;

static char		 tmpdir[64];
static char		 kernel[128];

/* The test's ends of the fake QEMUs' control sockets, by pid. */
#define FAKES_MAX	64
static struct {
	pid_t	 pid;
	int	 ctl;
} fakes[FAKES_MAX];
static int		 spawns;

/* -- the fake QEMU (a child process) ----------------------------------- */

struct fake {
	int	 listen_fd;
	int	 ctl;
	int	 conn;		/* the QMP client, -1 none */
	int	 mute;		/* commands get no answer */
	char	 status[32];	/* query-status */
	char	 mig[32];	/* query-migrate's status */
	char	 mig_next[32];	/* after the next query-migrate, "" none */
	const char *dir;	/* the domain's */
	int	 fd;		/* the last fd a command came with, -1 none */
	char	 buf[8192];
	size_t	 len;
};

static void
fake_send(struct fake *f, json_t *msg)
{
	char	*text;

	if (f->conn == -1) {
		json_decref(msg);
		return;
	}
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (write(f->conn, text, strlen(text)) < 0 ||
	    write(f->conn, "\r\n", 2) < 0) {
		close(f->conn);
		f->conn = -1;
	}
	free(text);
}

static void
fake_event(struct fake *f, const char *name, json_t *data)
{
	fake_send(f, json_pack("{s:s, s:o, s:{s:i, s:i}}", "event", name,
	    "data", data != NULL ? data : json_object(), "timestamp",
	    "seconds", 0, "microseconds", 0));
}

/* Reads the fd that came with getfd to its end, into DIR/loaded. */
static void
fake_load(struct fake *f)
{
	char	 buf[65536], *path;
	ssize_t	 n;
	int	 out;

	xasprintf(&path, "%s/loaded", f->dir);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	free(path);
	while ((n = read(f->fd, buf, sizeof buf)) > 0) {
		if (out == -1 || write(out, buf, n) != n)
			_exit(2);
	}
	close(out);
	close(f->fd);
	f->fd = -1;
}

static void
fake_command(struct fake *f, json_t *msg)
{
	const char	*cmd = json_string_value(json_object_get(msg, "execute"));
	json_t		*id = json_object_get(msg, "id"), *ret = NULL;

	if (cmd == NULL)
		return;
	if (strcmp(cmd, "qmp_capabilities") == 0)
		ret = json_object();
	else if (f->mute)
		return;
	else if (strcmp(cmd, "query-status") == 0)
		ret = json_pack("{s:s, s:b}", "status", f->status, "running",
		    strcmp(f->status, "running") == 0);
	else if (strcmp(cmd, "query-cpus-fast") == 0)
		ret = json_pack("[{s:i}]", "thread-id", (int)getpid());
	else if (strcmp(cmd, "cont") == 0) {
		strcpy(f->status, "running");
		fake_event(f, "RESUME", NULL);
		ret = json_object();
	} else if (strcmp(cmd, "stop") == 0) {
		strcpy(f->status, "paused");
		fake_event(f, "STOP", NULL);
		ret = json_object();
	} else if (strcmp(cmd, "system_powerdown") == 0) {
		/* The guest obeys at once; shutdown=pause keeps QEMU. */
		ret = json_object();
		fake_send(f, json_pack("{s:O, s:o}", "id", id, "return", ret));
		strcpy(f->status, "shutdown");
		fake_event(f, "SHUTDOWN", json_pack("{s:b, s:s}", "guest", 1,
		    "reason", "guest-shutdown"));
		return;
	} else if (strcmp(cmd, "system_reset") == 0) {
		ret = json_object();
		fake_send(f, json_pack("{s:O, s:o}", "id", id, "return", ret));
		strcpy(f->status, "paused");
		fake_event(f, "RESET", json_pack("{s:b, s:s}", "guest", 0,
		    "reason", "host-qmp-system-reset"));
		return;
	} else if (strcmp(cmd, "balloon") == 0)
		ret = json_object();
	else if (strcmp(cmd, "migrate-set-capabilities") == 0)
		ret = json_object();
	else if (strcmp(cmd, "getfd") == 0 && f->fd != -1)
		ret = json_object();
	else if (strcmp(cmd, "migrate-incoming") == 0 && f->fd != -1) {
		/* Loads the stream from getfd's fd at once, into DIR/loaded. */
		fake_load(f);
		strcpy(f->mig, "completed");
		fake_event(f, "MIGRATION", json_pack("{s:s}", "status",
		    f->mig));
		ret = json_object();
	} else if (strcmp(cmd, "query-migrate") == 0) {
		/*
		 * The status changes while the reply is on its way: QEMU's
		 * migration thread sends the event before the monitor's
		 * answer, which still has the old status.
		 */
		ret = json_pack("{s:s}", "status", f->mig);
		if (f->mig_next[0] != '\0') {
			strcpy(f->mig, f->mig_next);
			f->mig_next[0] = '\0';
			fake_event(f, "MIGRATION", json_pack("{s:s}", "status",
			    f->mig));
		}
	}
	if (ret == NULL) {
		fake_send(f, json_pack("{s:O, s:{s:s, s:s}}", "id", id, "error",
		    "class", "CommandNotFound", "desc", "not in the fake"));
		return;
	}
	fake_send(f, json_pack("{s:O, s:o}", "id", id, "return", ret));
}

static void
fake_read_qmp(struct fake *f)
{
	ssize_t	 n;
	char	*nl;
	json_t	*msg;
	char	 cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { f->buf + f->len, sizeof f->buf - f->len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *c;

	/* As QEMU's monitor: an fd may come with a command (getfd). */
	n = recvmsg(f->conn, &mh, MSG_CMSG_CLOEXEC);
	c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (c != NULL && c->cmsg_level == SOL_SOCKET &&
	    c->cmsg_type == SCM_RIGHTS) {
		if (f->fd != -1)
			close(f->fd);
		memcpy(&f->fd, CMSG_DATA(c), sizeof f->fd);
	}
	if (n <= 0) {
		close(f->conn);
		f->conn = -1;
		f->len = 0;
		return;
	}
	f->len += n;
	while ((nl = memchr(f->buf, '\n', f->len)) != NULL) {
		if ((msg = json_loadb(f->buf, nl - f->buf, 0, NULL)) != NULL) {
			fake_command(f, msg);
			json_decref(msg);
		}
		f->len -= nl + 1 - f->buf;
		memmove(f->buf, nl + 1, f->len);
	}
}

/*
 * One line from the test: "event NAME [JSON]", "exit", "hangup", "mute",
 * "migrate NOW NEXT" (query-migrate's status, and the one after a query).
 */
static void
fake_read_ctl(struct fake *f)
{
	char	 line[1024], *sp, *name;
	ssize_t	 n;

	if ((n = read(f->ctl, line, sizeof line - 1)) <= 0)
		_exit(0);	/* the test is gone */
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "event ", 6) == 0) {
		name = line + 6;
		if ((sp = strchr(name, ' ')) != NULL)
			*sp++ = '\0';
		fake_event(f, name, sp != NULL ? json_loads(sp, 0, NULL) :
		    NULL);
	} else if (strcmp(line, "exit") == 0)
		_exit(3);
	else if (strcmp(line, "hangup") == 0) {
		close(f->conn);
		f->conn = -1;
	} else if (strcmp(line, "mute") == 0)
		f->mute = 1;
	else if (sscanf(line, "migrate %31s %31s", f->mig, f->mig_next) == 2 &&
	    strcmp(f->mig_next, "-") == 0)
		f->mig_next[0] = '\0';
	if (write(f->ctl, "ok\n", 3) != 3)
		_exit(0);
}

static void __attribute__((noreturn))
fake_qemu(const char *dir, int ctl)
{
	struct fake	 f = { .ctl = ctl, .conn = -1, .dir = dir, .fd = -1 };
	struct pollfd	 pf[3];
	char		*path, *cause;
	int		 n;

	strcpy(f.status, "prelaunch");	/* QEMU runs with -S */
	strcpy(f.mig, "none");
	xasprintf(&path, "%s/qmp.sock", dir);
	if ((f.listen_fd = unix_listen(path, &cause)) == -1)
		_exit(2);
	for (;;) {
		pf[0] = (struct pollfd){ f.ctl, POLLIN, 0 };
		pf[1] = (struct pollfd){ f.listen_fd, POLLIN, 0 };
		pf[2] = (struct pollfd){ f.conn, POLLIN, 0 };
		n = poll(pf, f.conn != -1 ? 3 : 2, -1);
		if (n < 0 && errno != EINTR)
			_exit(2);
		if (pf[0].revents != 0)
			fake_read_ctl(&f);
		if (pf[1].revents & POLLIN) {
			if (f.conn != -1)
				close(f.conn);
			f.conn = accept(f.listen_fd, NULL, NULL);
			f.len = 0;
			fake_send(&f, json_pack("{s:{s:{s:{s:i, s:i, s:i}},"
			    " s:[]}}", "QMP", "version", "qemu", "major", 7,
			    "minor", 2, "micro", 0, "capabilities"));
		}
		if (f.conn != -1 && pf[2].revents != 0)
			fake_read_qmp(&f);
	}
}

/* -- qemu.c, replaced ---------------------------------------------------- */

char **
qemu_argv(struct domain *d, const char *accel)
{
	char	**argv = xcalloc(3, sizeof *argv);

	argv[0] = xstrdup("fake-qemu");
	argv[1] = xstrdup(d->dir);
	return (argv);
}

/* As qemu.c's: the child runs only once commit recorded it. */
int
qemu_spawn(struct domain *d, char **argv,
    int (*commit)(struct domain *, char **), char **cause)
{
	int	 sp[2], go[2];
	char	 c;
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0 ||
	    pipe2(go, O_CLOEXEC) != 0)
		fail_msg("socketpair: %s", strerror(errno));
	if ((pid = fork()) == 0) {
		close(sp[0]);
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		fake_qemu(argv[1], sp[1]);
	}
	close(sp[1]);
	close(go[0]);
	d->pid = pid;
	d->pid_start = qemuproc_start_time(pid);
	if (commit(d, cause) != 0) {
		close(go[1]);
		close(sp[0]);
		waitpid(pid, NULL, 0);
		d->pid = 0;
		return (-1);
	}
	if (write(go[1], "g", 1) != 1)
		fail_msg("go: %s", strerror(errno));
	close(go[1]);
	/* Kept open: a fake exits when its control socket closes. */
	if (spawns >= FAKES_MAX)
		fail_msg("more than %d fake QEMUs", FAKES_MAX);
	fakes[spawns].pid = pid;
	fakes[spawns].ctl = sp[0];
	spawns++;
	return (0);
}

void
vif_domain_up(struct domain *d)
{
	d->vifs_up = 1;
}

void
vif_domain_down(struct domain *d)
{
	d->vifs_up = 0;
}

char *
qemu_version(void)
{
	return (xstrdup("QEMU emulator version 7.2.0 (fake)"));
}

char *
qemu_log_tail(struct domain *d, size_t max)
{
	return (xstrdup("(fake qemu log)"));
}

/* -- the test's side ----------------------------------------------------- */

struct done {
	int	 calls;
	char	*code;
	char	*msg;
	int	 state;		/* the domain's state at the call */
};

static void
done_cb(struct domain *d, const char *code, const char *msg, void *arg)
{
	struct done	*r = arg;

	r->calls++;
	free(r->code);
	free(r->msg);
	r->code = code != NULL ? xstrdup(code) : NULL;
	r->msg = msg != NULL ? xstrdup(msg) : NULL;
	r->state = d->state;
}

static void
done_clear(struct done *r)
{
	free(r->code);
	free(r->msg);
	memset(r, 0, sizeof *r);
}

/* Every event published, "type:name" each, comma separated. */
static char	 events_seen[4096];

static void
events_cb_test(const char *type, struct domain *d, void *arg)
{
	size_t	 len = strlen(events_seen);

	snprintf(events_seen + len, sizeof events_seen - len, "%s%s:%s",
	    len > 0 ? "," : "", type, d->name);
}

/* Runs the event loop until cond() holds; fails after 10 s. */
static void
spin_until(int (*cond)(void *), void *arg)
{
	struct timeval	 tv = { 0, 10000 };
	int		 i;

	for (i = 0; i < 1000; i++) {
		if (cond(arg))
			return;
		event_base_loopexit(xend_base, &tv);
		event_base_dispatch(xend_base);
	}
	fail_msg("condition not reached in 10 s");
}

static int
called(void *arg)
{
	return (((struct done *)arg)->calls > 0);
}

static enum dom_state	 want_state;

static int
in_state(void *arg)
{
	return (((struct domain *)arg)->state == want_state);
}

static int
gone(void *arg)
{
	return (domain_find_name(arg) == NULL);
}

/* Restarted (restart_count past want_restarts) and running again. */
static int	 want_restarts;

static int
restarted(void *arg)
{
	struct domain	*d = arg;

	return (d->restart_count >= want_restarts && d->state == DOM_RUNNING);
}

static int
never(void *arg)
{
	return (--*(int *)arg < 0);
}

/* Turns of the event loop for about ms, whatever happens. */
static void
spin(int ms)
{
	int	 n = ms / 10;

	spin_until(never, &n);
}

static void
wait_state(struct domain *d, enum dom_state st)
{
	want_state = st;
	spin_until(in_state, d);
}

/* A line to d's fake QEMU; waits for its "ok" (not after "exit"). */
static void
fake_say(struct domain *d, const char *line)
{
	char	 ok[8], *text;
	int	 i, fake_ctl = -1;

	for (i = 0; i < spawns; i++) {
		if (fakes[i].pid == d->pid)
			fake_ctl = fakes[i].ctl;
	}
	assert_int_not_equal(fake_ctl, -1);

	/* One write: the fake reads a line a read. */
	xasprintf(&text, "%s\n", line);
	assert_int_equal(write(fake_ctl, text, strlen(text)),
	    (ssize_t)strlen(text));
	free(text);
	if (strcmp(line, "exit") != 0)
		assert_int_equal(read(fake_ctl, ok, sizeof ok), 3);
}

/* name's canonical config, as xm builds it from a file; extra: lines. */
static struct domcfg *
config(const char *name, const char *extra)
{
	json_t		*vars = NULL, *meta = NULL, *c = NULL, *warnings = NULL;
	struct domcfg	*dc = NULL;
	char		*text, *cause;

	xasprintf(&text, "name = \"%s\"\nkernel = \"%s\"\nmemory = 32\n%s\n",
	    name, kernel, extra != NULL ? extra : "");
	if (pycfg_eval(text, strlen(text), "test", NULL, 0, &vars, &meta,
	    &cause) != 0 || domcfg_build(vars, meta, "test", tmpdir, &c,
	    &warnings, &cause) != 0 ||
	    (dc = domcfg_from_json(c, &cause)) == NULL)
		fail_msg("config: %s", cause);
	free(text);
	json_decref(vars);
	json_decref(meta);
	json_decref(warnings);
	json_decref(c);
	return (dc);
}

/* Creates name and waits for its create to end; the domain. */
static struct domain *
create(const char *name, const char *extra, int paused, struct done *r)
{
	char	*cause = NULL;

	if (domain_create(config(name, extra), paused, done_cb, r,
	    &cause) != 0)
		fail_msg("domain_create: %s", cause);
	spin_until(called, r);
	assert_int_equal(r->calls, 1);
	if (r->code != NULL)
		fail_msg("create: %s: %s", r->code, r->msg);
	return (domain_find_name(name));
}

static void
destroy(const char *name)
{
	struct domain	*d = domain_find_name(name);

	if (d != NULL)
		assert_int_equal(domain_destroy(d, NULL), 0);
	spin_until(gone, (void *)name);
}

static int
setup(void **state)
{
	static const char *cfg = "(xend-state-dir %s/state)\n(accel tcg)\n"
	    "(console-port-base 41600)\n(vnc-port-base 46900)\n"
	    "(shutdown-timeout 5)\n";
	char		 path[128], *cause, *text;
	unsigned char	 hdr[0x400];
	FILE		*f;

	strcpy(tmpdir, "/tmp/test-domain-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return (-1);
	snprintf(path, sizeof path, "%s/xend-config.sxp", tmpdir);
	xasprintf(&text, cfg, tmpdir);
	if ((f = fopen(path, "w")) == NULL)
		return (-1);
	fputs(text, f);
	fclose(f);
	free(text);
	if (xendcfg_load(tmpdir, &xend_cfg, NULL, &cause) != 0) {
		fprintf(stderr, "xendcfg_load: %s\n", cause);
		return (-1);
	}
	/* A bzImage header is all precheck asks of a kernel. */
	memset(hdr, 0, sizeof hdr);
	memcpy(hdr + 0x202, "HdrS", 4);
	hdr[0x206] = 0x0f;
	hdr[0x207] = 0x02;
	snprintf(kernel, sizeof kernel, "%s/vmlinuz", tmpdir);
	if ((f = fopen(kernel, "w")) == NULL)
		return (-1);
	fwrite(hdr, 1, sizeof hdr, f);
	fclose(f);
	snprintf(path, sizeof path, "%s/xend.log", tmpdir);
	log_open("xend", path, LOG_DEBUG);
	xend_base = event_base_new();
	domain_init();
	events_subscribe(events_cb_test, NULL);
	return (0);
}

static int
teardown(void **state)
{
	char	 cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	return (system(cmd) == 0 ? 0 : -1);
}

/* create: done once QMP is up and the guest runs; events in order. */
static void
test_create_running(void **state)
{
	struct done	 r = { 0 };
	struct domain	*d;

	events_seen[0] = '\0';
	d = create("t-run", NULL, 0, &r);
	assert_non_null(d);
	assert_int_equal(r.state, DOM_RUNNING);
	assert_int_equal(d->state, DOM_RUNNING);
	assert_true(d->vifs_up);
	assert_string_equal(events_seen, "domain.added:t-run,"
	    "domain.state:t-run");
	destroy("t-run");
	assert_string_equal(events_seen, "domain.added:t-run,"
	    "domain.state:t-run,domain.state:t-run,domain.removed:t-run");
	done_clear(&r);
}

/* create paused, unpause, pause; refusals said synchronously. */
static void
test_pause_unpause(void **state)
{
	struct done	 r = { 0 };
	struct domain	*d;
	char		*cause = NULL;

	d = create("t-pause", NULL, 1, &r);
	assert_int_equal(d->state, DOM_PAUSED);
	done_clear(&r);
	assert_int_equal(domain_pause(d, 1, done_cb, &r, &cause), -1);
	assert_string_equal(cause, "domain t-pause is already paused");
	free(cause);
	assert_int_equal(domain_pause(d, 0, done_cb, &r, &cause), 0);
	spin_until(called, &r);
	assert_null(r.code);
	assert_int_equal(r.state, DOM_RUNNING);
	done_clear(&r);
	assert_int_equal(domain_pause(d, 1, done_cb, &r, &cause), 0);
	spin_until(called, &r);
	assert_null(r.code);
	assert_int_equal(d->state, DOM_PAUSED);
	done_clear(&r);
	/* QEMU stopped by someone else: STOP/RESUME events follow it. */
	fake_say(d, "event RESUME");
	wait_state(d, DOM_RUNNING);
	fake_say(d, "event STOP");
	wait_state(d, DOM_PAUSED);
	destroy("t-pause");
}

/* on_poweroff destroy (the default) and preserve. */
static void
test_shutdown_policies(void **state)
{
	struct done	 r = { 0 };
	struct domain	*d;
	char		*cause = NULL;

	d = create("t-off", NULL, 0, &r);
	assert_int_equal(domain_shutdown(d, SHUTDOWN_POWEROFF, &cause), 0);
	spin_until(gone, (void *)"t-off");
	done_clear(&r);

	d = create("t-keep", "on_poweroff = \"preserve\"", 0, &r);
	assert_int_equal(domain_shutdown(d, SHUTDOWN_POWEROFF, &cause), 0);
	wait_state(d, DOM_SHUTDOWN);
	assert_string_equal(d->shutdown_reason, "poweroff");
	assert_non_null(domain_find_name("t-keep"));
	destroy("t-keep");
	done_clear(&r);
}

/* on_reboot restart: same QEMU, reset, then running again. */
static void
test_reboot_restarts_in_place(void **state)
{
	struct done	 r = { 0 };
	struct domain	*d;
	char		*cause = NULL;
	int		 before;

	d = create("t-reboot", "on_reboot = \"restart\"", 0, &r);
	before = spawns;
	assert_int_equal(domain_shutdown(d, SHUTDOWN_REBOOT, &cause), 0);
	want_restarts = 1;
	spin_until(restarted, d);
	assert_int_equal(d->restart_count, 1);
	assert_null(d->qmp == NULL ? "no qmp" : NULL);
	assert_int_equal(spawns, before);
	destroy("t-reboot");
	done_clear(&r);
}

/* QEMU gone without a shutdown: a crash; on_crash decides. */
static void
test_crash(void **state)
{
	struct done	 r = { 0 };
	struct domain	*d;
	int		 before;

	d = create("t-crash", "on_crash = \"preserve\"", 0, &r);
	fake_say(d, "exit");
	wait_state(d, DOM_CRASHED);
	assert_string_equal(d->shutdown_reason, "crash");
	assert_string_equal(d->exit_how, "exited with status 3");
	destroy("t-crash");
	done_clear(&r);

	/* on_crash restart: a fresh QEMU under the same id. */
	d = create("t-again", "on_crash = \"restart\"", 0, &r);
	before = spawns;
	fake_say(d, "exit");
	want_restarts = 1;
	spin_until(restarted, d);
	assert_int_equal(d->restart_count, 1);
	assert_int_equal(spawns, before + 1);
	destroy("t-again");
	done_clear(&r);

	/* on_crash destroy (restart is the default). */
	d = create("t-gone", "on_crash = \"destroy\"", 0, &r);
	fake_say(d, "event GUEST_PANICKED");
	spin_until(gone, (void *)"t-gone");
	done_clear(&r);
}

/* A closed QMP connection alone is no crash: the pid decides. */
static void
test_qmp_disconnect(void **state)
{
	struct done	 r = { 0 };
	struct domain	*d;

	d = create("t-hup", "on_crash = \"destroy\"", 0, &r);
	fake_say(d, "hangup");
	spin(200);
	assert_int_equal(d->state, DOM_RUNNING);
	fake_say(d, "exit");
	spin_until(gone, (void *)"t-hup");	/* on_crash destroy */
	done_clear(&r);
}

/* QEMU dies before the create ended: done says why, once. */
static void
test_create_fails(void **state)
{
	struct done	 r = { 0 };
	struct domain	*d;
	char		*cause = NULL;

	if (domain_create(config("t-fail", NULL), 0, done_cb, &r,
	    &cause) != 0)
		fail_msg("domain_create: %s", cause);
	d = domain_find_name("t-fail");
	fake_say(d, "mute");
	fake_say(d, "exit");
	spin_until(called, &r);
	assert_int_equal(r.calls, 1);
	assert_string_equal(r.code, "failed");
	assert_string_equal(r.msg, "qemu exited with status 3: "
	    "(fake qemu log)");
	spin_until(gone, (void *)"t-fail");
	done_clear(&r);
}

/*
 * The caller's side of a pending operation goes away with the domain:
 * destroyed while its create, pause or vcpu-set is pending, each done is
 * called exactly once, with an error, and nothing is left behind.
 */
static void
test_destroyed_while_pending(void **state)
{
	struct done	 r = { 0 }, p = { 0 };
	struct domain	*d;
	char		*cause = NULL;

	if (domain_create(config("t-pend", NULL), 0, done_cb, &r,
	    &cause) != 0)
		fail_msg("domain_create: %s", cause);
	d = domain_find_name("t-pend");
	assert_int_equal(domain_destroy(d, NULL), 0);
	assert_int_equal(r.calls, 1);
	assert_string_equal(r.code, "failed");
	assert_string_equal(r.msg, "domain destroyed while starting");
	spin_until(gone, (void *)"t-pend");
	done_clear(&r);

	d = create("t-pend2", NULL, 0, &r);
	fake_say(d, "mute");
	assert_int_equal(domain_pause(d, 1, done_cb, &p, &cause), 0);
	assert_int_equal(domain_destroy(d, NULL), 0);
	spin_until(gone, (void *)"t-pend2");
	assert_int_equal(p.calls, 1);
	assert_string_equal(p.code, "failed");
	done_clear(&r);
	done_clear(&p);
}

/* The statuses query-migrate gave the test's job, in order. */
static char	 mig_seen[256];

static void
mig_query(struct job *j, const char *status, json_t *r)
{
	size_t	 len = strlen(mig_seen);

	snprintf(mig_seen + len, sizeof mig_seen - len, "%s%s",
	    len > 0 ? "," : "", status);
}

static void
mig_tick(struct job *j)
{
}

static const struct job_ops mig_ops = { .name = "test", .query = mig_query,
    .tick = mig_tick };

/*
 * A MIGRATION event that comes while query-migrate is in flight is not
 * lost until the next tick: the job asks again at once (no tick runs here).
 */
static void
test_migration_event_during_query(void **state)
{
	struct done	 r = { 0 };
	struct domain	*d;
	struct job	*j;

	d = create("t-mig", NULL, 0, &r);
	assert_non_null(d);
	j = job_new(JOB_MIGRATE_OUT, &mig_ops, "t-mig");
	j->d = d;
	domain_ref(d);
	j->migrating = 1;
	mig_seen[0] = '\0';
	fake_say(d, "migrate active pre-switchover");
	job_query(j);
	spin(100);
	assert_string_equal(mig_seen, "active,pre-switchover");

	/* An event with nothing in flight asks too. */
	fake_say(d, "migrate completed -");
	fake_say(d, "event MIGRATION {\"status\": \"completed\"}");
	spin(100);
	assert_string_equal(mig_seen, "active,pre-switchover,completed");
	job_end(j);
	spin(20);
	destroy("t-mig");
	done_clear(&r);
}

/* A save file of name with stream, byte flip of it changed afterwards. */
static char *
save_file(const char *name, const unsigned char *stream, size_t len,
    ssize_t flip)
{
	struct savefile_writer	*w;
	struct domcfg		*dc = config(name, NULL);
	json_t			*meta;
	char			*path, *cause;
	unsigned char		 c;
	struct stat		 st;
	int			 fd;

	meta = json_pack("{s:o, s:s}", "config", domcfg_to_json(dc), "name",
	    name);
	domcfg_free(dc);
	xasprintf(&path, "%s/%s.chk", tmpdir, name);
	if (savefile_create(path, meta, &w, &cause) != 0 ||
	    savefile_write(w, stream, len, &cause) != 0 ||
	    savefile_commit(w, &cause) != 0)
		fail_msg("save file: %s", cause);
	json_decref(meta);
	if (flip >= 0) {
		assert_int_not_equal(fd = open(path, O_RDWR), -1);
		assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal(pread(fd, &c, 1, st.st_size - len + flip), 1);
		c ^= 0x40;
		assert_int_equal(pwrite(fd, &c, 1, st.st_size - len + flip), 1);
		close(fd);
	}
	return (path);
}

struct rdone {
	int	 calls;
	char	*code;
	char	*msg;
};

static void
restore_done(const char *code, const char *msg, const struct job_result *r,
    void *arg)
{
	struct rdone	*rd = arg;

	rd->calls++;
	rd->code = code != NULL ? xstrdup(code) : NULL;
	rd->msg = msg != NULL ? xstrdup(msg) : NULL;
}

static int
job_completed(void *arg)
{
	return (((struct job *)arg)->completed);
}

static int
rdone_called(void *arg)
{
	return (((struct rdone *)arg)->calls > 0);
}

/* Occurrences of what in xend's log from byte off on. */
static int
log_count(long off, const char *what)
{
	char	*path, *text, *p, *cause;
	size_t	 len;
	int	 n = 0;

	xasprintf(&path, "%s/xend.log", tmpdir);
	if (file_read(path, &text, &len, &cause) != 0)
		fail_msg("%s", cause);
	free(path);
	for (p = text + off; (p = strstr(p, what)) != NULL; p++)
		n++;
	free(text);
	return (n);
}

static long
log_size(void)
{
	char		*path;
	struct stat	 st;

	xasprintf(&path, "%s/xend.log", tmpdir);
	assert_int_equal(stat(path, &st), 0);
	free(path);
	return (st.st_size);
}

/*
 * Starts restoring name from a save file of stream (corrupt: one byte
 * changed halfway) with xend's check of it held back, QEMU's load done;
 * the file's path in *path.
 */
static struct job *
restore_held(const char *name, const unsigned char *stream, size_t len,
    int corrupt, struct rdone *r, char **path)
{
	struct job	*j;
	struct domain	*d;
	char		*cause;

	memset(r, 0, sizeof *r);
	*path = save_file(name, stream, len, corrupt ? (ssize_t)len / 2 : -1);
	if (save_restore(*path, 0, NULL, restore_done, r, &cause) != 0)
		fail_msg("save_restore: %s", cause);
	d = domain_find_name(name);
	assert_non_null(d);
	j = job_of(d);
	assert_non_null(j);
	/* Hold the check back (no turn of the loop has run it). */
	assert_int_equal(j->fed, 0);
	event_del(j->io_ev);
	spin_until(job_completed, j);
	return (j);
}

/* A restore_held's end: its answer and file gone. */
static void
restore_held_free(struct rdone *r, char *path)
{
	free(r->code);
	free(r->msg);
	unlink(path);
	free(path);
}

/*
 * A restore hands QEMU the save file itself, and QEMU may load all of it
 * before xend's check of the stream has ended: the guest is not resumed
 * (cont) until the check says the stream is right, and a corrupt one is
 * refused then, its QEMU destroyed, with no cont ever.
 */
static void
test_restore_waits_for_checksum(void **state)
{
	static const size_t	 len = 3 * 1024 * 1024 + 17;
	unsigned char		*stream = xmalloc(len), *got;
	struct timeval		 now = { 0, 0 };
	struct rdone		 r;
	struct domain		*d;
	struct job		*j;
	char			*path, *cause, *loaded;
	size_t			 i, got_len;
	long			 off;
	int			 corrupt;

	for (i = 0; i < len; i++)
		stream[i] = (unsigned char)(i * 7 + (i >> 12));
	for (corrupt = 0; corrupt < 2; corrupt++) {
		off = log_size();
		j = restore_held("t-rst", stream, len, corrupt, &r, &path);
		d = j->d;
		spin(100);
		assert_int_equal(r.calls, 0);
		assert_int_not_equal(d->state, DOM_RUNNING);
		assert_int_equal(log_count(off, "\"cont\""), 0);
		/* QEMU read the file itself: the stream, as stored. */
		xasprintf(&loaded, "%s/loaded", d->dir);
		if (file_read(loaded, (char **)&got, &got_len, &cause) != 0)
			fail_msg("%s", cause);
		free(loaded);
		assert_int_equal(got_len, len);
		assert_int_equal(memcmp(got, stream, len) == 0, !corrupt);
		free(got);

		evtimer_add(j->io_ev, &now);
		spin_until(rdone_called, &r);
		if (corrupt) {
			assert_string_equal(r.code, "failed");
			assert_non_null(strstr(r.msg, "corrupt save file "
			    "(stream checksum mismatch)"));
			spin_until(gone, (void *)"t-rst");
			assert_int_equal(log_count(off, "\"cont\""), 0);
		} else {
			assert_null(r.code);
			wait_state(d, DOM_RUNNING);
			assert_int_equal(log_count(off, "\"cont\""), 1);
			destroy("t-rst");
		}
		restore_held_free(&r, path);
	}
	free(stream);
}

/*
 * QEMU gives up on a stream (here: exits) before xend's check of it has
 * ended: the reason xm gives is the check's ("corrupt save file") when
 * the file is corrupt, QEMU's own when it is not.
 */
static void
test_restore_qemu_fails_before_check(void **state)
{
	static const size_t	 len = 2 * 1024 * 1024 + 5;
	unsigned char		*stream = xmalloc(len);
	struct timeval		 now = { 0, 0 };
	struct rdone		 r;
	struct domain		*d;
	struct job		*j;
	char			*path;
	size_t			 i;
	int			 corrupt;

	for (i = 0; i < len; i++)
		stream[i] = (unsigned char)(i * 13 + (i >> 10));
	for (corrupt = 0; corrupt < 2; corrupt++) {
		j = restore_held("t-rqf", stream, len, corrupt, &r, &path);
		d = j->d;
		fake_say(d, "exit");
		spin(200);
		/* The check has not ended: the answer waits for it. */
		assert_int_equal(r.calls, 0);
		evtimer_add(j->io_ev, &now);
		spin_until(rdone_called, &r);
		assert_string_equal(r.code, "failed");
		if (corrupt)
			assert_non_null(strstr(r.msg, "corrupt save file "
			    "(stream checksum mismatch)"));
		else
			assert_null(strstr(r.msg, "corrupt"));
		spin_until(gone, (void *)"t-rqf");
		restore_held_free(&r, path);
	}
	free(stream);
}

/* An empty token file under migrated-in/, last changed at t. */
static void
token_at(const char *token, time_t t)
{
	char		*path, *cause;
	struct timeval	 tv[2] = { { t, 0 }, { t, 0 } };

	xasprintf(&path, "%s/migrated-in", xend_cfg.state_dir);
	assert_int_equal(mkdir_p(path, 0700, &cause), 0);
	free(path);
	xasprintf(&path, "%s/migrated-in/%s", xend_cfg.state_dir, token);
	assert_int_equal(file_write_atomic(path, "", 0, 0600, &cause), 0);
	assert_int_equal(utimes(path, tv), 0);
	free(path);
}

/*
 * Handed-over tokens older than a day are pruned; a question about a
 * migration from before the prune is answered "cannot say", not "no".
 */
static void
test_migrated_in_pruned(void **state)
{
	static const char *old = "00000000000000000000000000000001";
	static const char *young = "00000000000000000000000000000002";
	static const char *never = "00000000000000000000000000000003";
	time_t		 now = time(NULL);
	double		 day = MIG_TOKEN_KEEP_SEC;

	token_at(old, now - 2 * day);
	token_at(young, now - 3600);
	/* Nothing pruned yet: unknown is "no", old or not. */
	assert_int_equal(migrate_handed_over(never, now - 3 * day), 0);
	assert_int_equal(migrate_handed_over(old, now - 2 * day), 1);

	migrate_tokens_prune(now);
	assert_int_equal(migrate_handed_over(young, now - 3600), 1);
	/* Gone: asked before the prune's cutoff: cannot say. */
	assert_int_equal(migrate_handed_over(old, now - 2 * day), -1);
	assert_int_equal(migrate_handed_over(old, 0), -1);
	/* A migration asked about since is known not to be here. */
	assert_int_equal(migrate_handed_over(never, now - 3600), 0);

	/* A later prune keeps what is young enough. */
	migrate_tokens_prune(now + 3600);
	assert_int_equal(migrate_handed_over(young, now - 3600), 1);
	migrate_tokens_prune(now + day);
	assert_int_equal(migrate_handed_over(young, now - 3600), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_running),
		cmocka_unit_test(test_pause_unpause),
		cmocka_unit_test(test_shutdown_policies),
		cmocka_unit_test(test_reboot_restarts_in_place),
		cmocka_unit_test(test_crash),
		cmocka_unit_test(test_qmp_disconnect),
		cmocka_unit_test(test_create_fails),
		cmocka_unit_test(test_destroyed_while_pending),
		cmocka_unit_test(test_migration_event_during_query),
		cmocka_unit_test(test_migrated_in_pruned),
		cmocka_unit_test(test_restore_waits_for_checksum),
		cmocka_unit_test(test_restore_qemu_fails_before_check),
	};

	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests(tests, setup, teardown));
}
