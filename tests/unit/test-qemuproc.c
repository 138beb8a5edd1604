/*
 * test-qemuproc.c: a QEMU is held between fork and exec until its pid is
 * recorded, never runs if the record fails or xend dies first, and is
 * found again by the domain dir its argv names.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "xen-common.h"
#include "../../core/xend/xend.h"

static char	tmpdir[64];
static char	mark[128];

static char *argv_mark[] = { (char *)"/bin/sh", (char *)"-c", NULL, NULL };

static int
setup(void **state)
{
	static char	 cmd[256];

	strcpy(tmpdir, "/tmp/test-qemuproc-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return (-1);
	snprintf(mark, sizeof mark, "%s/ran", tmpdir);
	snprintf(cmd, sizeof cmd, "echo ran > %s", mark);
	argv_mark[2] = cmd;
	return (0);
}

static int
teardown(void **state)
{
	char	 cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	return (system(cmd) == 0 ? 0 : -1);
}

static int
log_fd(void)
{
	char	 path[128];
	int	 fd;

	snprintf(path, sizeof path, "%s/log", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	assert_true(fd != -1);
	return (fd);
}

/* The child, at commit time, has not exec'd: its argv is still ours. */
static int
commit_checks_held(pid_t pid, void *arg, char **cause)
{
	char	 a[4096], b[4096], path[64];
	int	 fd;
	ssize_t	 na, nb;

	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY);
	assert_true(fd != -1);
	na = read(fd, a, sizeof a);
	close(fd);
	fd = open("/proc/self/cmdline", O_RDONLY);
	nb = read(fd, b, sizeof b);
	close(fd);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	assert_int_equal(access(mark, F_OK), -1);
	*(pid_t *)arg = pid;
	return (0);
}

static void
test_held_until_commit(void **state)
{
	pid_t	 pid = 0, seen = 0;
	char	*cause = NULL;
	int	 status, fd = log_fd();

	unlink(mark);
	assert_int_equal(qemuproc_spawn(argv_mark, fd, commit_checks_held,
	    &seen, &pid, &cause), 0);
	close(fd);
	assert_int_equal(pid, seen);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(access(mark, F_OK), 0);
}

static int
commit_fails(pid_t pid, void *arg, char **cause)
{
	*cause = xstrdup("no room for the record");
	return (-1);
}

static void
test_commit_fails_never_runs(void **state)
{
	pid_t	 pid = 0;
	char	*cause = NULL;
	int	 fd = log_fd();

	unlink(mark);
	assert_int_equal(qemuproc_spawn(argv_mark, fd, commit_fails, NULL, &pid,
	    &cause), -1);
	close(fd);
	assert_string_equal(cause, "no room for the record");
	free(cause);
	/* Reaped already, and it never ran the program. */
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	usleep(100000);
	assert_int_equal(access(mark, F_OK), -1);
}

static int
commit_then_die(pid_t pid, void *arg, char **cause)
{
	int	 fd = *(int *)arg;

	if (write(fd, &pid, sizeof pid) != sizeof pid)
		_exit(1);
	/* xend killed (-9) after the fork, before the record was written. */
	raise(SIGKILL);
	return (0);
}

static void
test_xend_dies_before_record(void **state)
{
	int	 p[2], status, fd;
	pid_t	 middle, child = 0, r;
	char	*cause;

	unlink(mark);
	/* Orphans come to this process, so the held child can be waited for. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_int_equal(pipe(p), 0);
	if ((middle = fork()) == 0) {
		close(p[0]);
		fd = log_fd();
		qemuproc_spawn(argv_mark, fd, commit_then_die, &p[1], &child,
		    &cause);
		_exit(2);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &child, sizeof child), sizeof child);
	close(p[0]);
	assert_int_equal(waitpid(middle, &status, 0), middle);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* The held child sees its go pipe closed and exits, not exec'ing. */
	do
		r = waitpid(child, &status, 0);
	while (r == -1 && errno == EINTR);
	assert_int_equal(r, child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 126);
	assert_int_equal(access(mark, F_OK), -1);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* A process whose argv names a QMP socket, as QEMU's does. */
static pid_t
fake_qemu(const char *qmp_arg)
{
	pid_t	 pid;
	char	*arg;

	if ((pid = fork()) == 0) {
		/* This program again, waiting to be killed (see main). */
		arg = xsprintf("%s", qmp_arg);
		execl("/proc/self/exe", "qemu", "--fake-qemu", "-qmp", arg,
		    (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	return (pid);
}

static int
find(const struct qemuproc *v, int n, pid_t pid)
{
	int	 i;

	for (i = 0; i < n; i++) {
		if (v[i].pid == pid)
			return (i);
	}
	return (-1);
}

static void
test_scan_names_kill(void **state)
{
	char		*parent, *d7, *d12, *a[5];
	pid_t		 p[5];
	struct qemuproc	*v = NULL;
	int		 n = 0, i, tries, status;

	parent = xsprintf("%s/domains", tmpdir);
	d7 = xsprintf("%s/7", parent);
	d12 = xsprintf("%s/12", parent);
	a[0] = xsprintf("unix:%s/qmp.sock,server=on,wait=off", d7);
	a[1] = xsprintf("unix:%s/qmp.sock", d12);
	a[2] = xsprintf("unix:%s/other/qmp.sock,server=on", tmpdir);
	a[3] = xsprintf("unix:%s/qmp.sockx,server=on", d7);
	a[4] = xsprintf("unix:%s/7/8/qmp.sock,server=on", parent);
	for (i = 0; i < 5; i++)
		p[i] = fake_qemu(a[i]);
	/* Until both have exec'd. */
	for (tries = 0; tries < 200; tries++) {
		qemuproc_free(v, n);
		n = qemuproc_scan(parent, &v);
		if (find(v, n, p[0]) != -1 && find(v, n, p[1]) != -1)
			break;
		usleep(10000);
	}
	assert_int_equal(n, 2);
	assert_string_equal(v[find(v, n, p[0])].dir, d7);
	assert_string_equal(v[find(v, n, p[1])].dir, d12);
	assert_true(v[0].start != 0 && v[1].start != 0);
	assert_true(v[0].start == qemuproc_start_time(v[0].pid));

	assert_int_equal(qemuproc_names(p[0], d7), 1);
	assert_int_equal(qemuproc_names(p[1], d12), 1);
	assert_int_equal(qemuproc_names(p[1], d7), 0);
	assert_int_equal(qemuproc_names(p[3], d7), 0);
	assert_int_equal(qemuproc_names(getpid(), d7), 0);

	/* A wrong start time is another process: left alone. */
	assert_int_equal(qemuproc_kill(p[0], v[find(v, n, p[0])].start + 1,
	    100), 0);
	assert_int_equal(waitpid(p[0], NULL, WNOHANG), 0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(qemuproc_kill(p[i], qemuproc_start_time(p[i]),
		    1000), 0);
		assert_int_equal(waitpid(p[i], &status, 0), p[i]);
		assert_true(WIFSIGNALED(status));
	}
	qemuproc_free(v, n);
	for (i = 0; i < 5; i++)
		free(a[i]);
	free(parent);
	free(d7);
	free(d12);
}

static void
test_pick(void **state)
{
	struct qemuproc	 v[4] = {
		{ 100, 5000, (char *)"/s/domains/1" },
		{ 200, 4000, (char *)"/s/domains/1" },
		{ 300, 3000, (char *)"/s/domains/2" },
		{ 0, 1000, (char *)"/s/domains/1" },	/* already taken */
	};

	/* The recorded process, pid and start time, wins. */
	assert_int_equal(qemuproc_pick(v, 4, "/s/domains/1", 100, 5000), 0);
	assert_int_equal(qemuproc_pick(v, 4, "/s/domains/1", 200, 4000), 1);
	/* A recycled pid (other start time) is not the record: the newest. */
	assert_int_equal(qemuproc_pick(v, 4, "/s/domains/1", 200, 4001), 0);
	/* No record: the newest of the dir's, never one already taken. */
	assert_int_equal(qemuproc_pick(v, 4, "/s/domains/1", 0, 0), 0);
	assert_int_equal(qemuproc_pick(v, 4, "/s/domains/1", 0, 1000), 0);
	assert_int_equal(qemuproc_pick(v, 4, "/s/domains/2", 200, 4000), 2);
	assert_int_equal(qemuproc_pick(v, 4, "/s/domains/3", 0, 0), -1);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held_until_commit),
		cmocka_unit_test(test_commit_fails_never_runs),
		cmocka_unit_test(test_xend_dies_before_record),
		cmocka_unit_test(test_scan_names_kill),
		cmocka_unit_test(test_pick),
	};

	if (argc > 1 && strcmp(argv[1], "--fake-qemu") == 0) {
		pause();
		return (0);
	}
	return (cmocka_run_group_tests(tests, setup, teardown));
}
