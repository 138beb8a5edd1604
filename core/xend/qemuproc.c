/*
 * qemuproc.c: a domain's QEMU as a process.  It is started held (forked,
 * but not yet exec'd) until xend has recorded its pid, so no QEMU ever
 * runs that the records do not name; and it is found again by what its
 * command line names, the domain dir's QMP socket, so a restarted xend
 * sees every QEMU of its state dir whatever the records say.
 *
 * No xend state here: the unit tests link this file alone.
 */
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "xend.h"

#define QMP_SOCK	"/qmp.sock"

unsigned long long
qemuproc_start_time(pid_t pid)
{
	char			 path[64], buf[1024], *p;
	unsigned long long	 start = 0;
	int			 fd, field;
	ssize_t			 n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return (0);
	buf[n] = '\0';
	/* The name may hold spaces and parentheses: fields follow the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return (0);
	for (field = 2; field < 22 && p != NULL; field++) {
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	}
	if (p != NULL)
		start = strtoull(p, NULL, 10);
	return (start);
}

/* The process's argv as one buffer of NUL-ended strings; NULL if none. */
static char *
cmdline_read(pid_t pid, size_t *lenp)
{
	char	 path[64], *buf = NULL;
	size_t	 len = 0, size = 0;
	ssize_t	 n;
	int	 fd;

	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	for (;;) {
		if (len + 4096 + 1 > size) {
			size = size == 0 ? 8192 : size * 2;
			buf = xrealloc(buf, size);
		}
		n = read(fd, buf + len, size - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (len == 0) {
		/* A zombie, a kernel thread, or gone. */
		free(buf);
		return (NULL);
	}
	buf[len] = '\0';
	*lenp = len;
	return (buf);
}

/*
 * The domain dir an argument "unix:DIR/qmp.sock[,...]" names, if DIR is
 * dir itself (dir set) or one entry of parent (parent set); else NULL.
 */
static char *
qmp_arg_dir(const char *arg, const char *dir, const char *parent)
{
	const char	*p, *end;
	size_t		 plen;

	if (strncmp(arg, "unix:", 5) != 0)
		return (NULL);
	p = arg + 5;
	if (dir != NULL) {
		plen = strlen(dir);
		if (strncmp(p, dir, plen) != 0 ||
		    strncmp(p + plen, QMP_SOCK, strlen(QMP_SOCK)) != 0)
			return (NULL);
		end = p + plen;
	} else {
		plen = strlen(parent);
		if (strncmp(p, parent, plen) != 0 || p[plen] != '/')
			return (NULL);
		end = p + plen + 1 + strcspn(p + plen + 1, "/,");
		if (end == p + plen + 1 ||
		    strncmp(end, QMP_SOCK, strlen(QMP_SOCK)) != 0)
			return (NULL);
	}
	if (end[strlen(QMP_SOCK)] != '\0' && end[strlen(QMP_SOCK)] != ',')
		return (NULL);
	return (xstrndup(p, end - p));
}

/* Scans pid's argv for a QMP socket argument; the dir it names or NULL. */
static char *
argv_qmp_dir(pid_t pid, const char *dir, const char *parent)
{
	char	*buf, *arg, *found = NULL;
	size_t	 len;

	if ((buf = cmdline_read(pid, &len)) == NULL)
		return (NULL);
	for (arg = buf; arg < buf + len && found == NULL;
	    arg += strlen(arg) + 1)
		found = qmp_arg_dir(arg, dir, parent);
	free(buf);
	return (found);
}

int
qemuproc_names(pid_t pid, const char *dir)
{
	char	*found;

	if (pid <= 0 || (found = argv_qmp_dir(pid, dir, NULL)) == NULL)
		return (0);
	free(found);
	return (1);
}

int
qemuproc_scan(const char *parent, struct qemuproc **out)
{
	DIR		*dp;
	struct dirent	*de;
	struct qemuproc	*v = NULL;
	int		 n = 0;
	long		 id;
	char		*dir;

	*out = NULL;
	if ((dp = opendir("/proc")) == NULL)
		return (0);
	while ((de = readdir(dp)) != NULL) {
		if (parse_long(de->d_name, 1, 0x7fffffff, &id) != 0 ||
		    (pid_t)id == getpid())
			continue;
		if ((dir = argv_qmp_dir(id, NULL, parent)) == NULL)
			continue;
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n].pid = id;
		v[n].start = qemuproc_start_time(id);
		v[n].dir = dir;
		n++;
	}
	closedir(dp);
	*out = v;
	return (n);
}

void
qemuproc_free(struct qemuproc *v, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		free(v[i].dir);
	free(v);
}

int
qemuproc_pick(const struct qemuproc *v, int n, const char *dir, pid_t pid,
    unsigned long long start)
{
	int	 i, best = -1;

	for (i = 0; i < n; i++) {
		if (v[i].pid <= 0 || strcmp(v[i].dir, dir) != 0)
			continue;
		if (pid > 0 && v[i].pid == pid && v[i].start == start)
			return (i);
		/* The newest bound the QMP socket path last: xend can reach it. */
		if (best == -1 || v[i].start > v[best].start ||
		    (v[i].start == v[best].start && v[i].pid > v[best].pid))
			best = i;
	}
	return (best);
}

static int
pidfd_wait_ms(int pidfd, int ms)
{
	struct pollfd	 pf = { pidfd, POLLIN, 0 };
	int		 r;

	do
		r = poll(&pf, 1, ms);
	while (r == -1 && errno == EINTR);
	return (r == 1);
}

int
qemuproc_kill(pid_t pid, unsigned long long start, int ms)
{
	int	 pidfd;

	/* The pidfd pins the process: no signal can reach a reused pid. */
	if ((pidfd = syscall(SYS_pidfd_open, pid, 0)) == -1)
		return (errno == ESRCH ? 0 : -1);
	if (qemuproc_start_time(pid) != start) {
		close(pidfd);
		return (0);
	}
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0) == -1 &&
	    errno == ESRCH) {
		close(pidfd);
		return (0);
	}
	if (!pidfd_wait_ms(pidfd, ms)) {
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		if (!pidfd_wait_ms(pidfd, 5000)) {
			close(pidfd);
			return (-1);
		}
	}
	close(pidfd);
	return (0);
}

int
qemuproc_spawn(char *const argv[], int logfd,
    int (*commit)(pid_t, void *, char **), void *arg, pid_t *pidp,
    char **cause)
{
	int	 errp[2], gop[2], ef, gf, lf, nf, err = 0;
	pid_t	 pid;
	ssize_t	 n;
	char	 go = 'g';

	if (pipe2(errp, O_CLOEXEC) == -1) {
		*cause = xsprintf("pipe: %s", strerror(errno));
		return (-1);
	}
	if (pipe2(gop, O_CLOEXEC) == -1) {
		*cause = xsprintf("pipe: %s", strerror(errno));
		close(errp[0]);
		close(errp[1]);
		return (-1);
	}
	switch ((pid = fork())) {
	case -1:
		*cause = xsprintf("fork: %s", strerror(errno));
		close(errp[0]);
		close(errp[1]);
		close(gop[0]);
		close(gop[1]);
		return (-1);
	case 0:
		/* Its own session: xend's death or signals never take it. */
		setsid();
		signal(SIGPIPE, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		/* Out of the way of 0-4 first, then into place. */
		ef = fcntl(errp[1], F_DUPFD_CLOEXEC, 10);
		gf = fcntl(gop[0], F_DUPFD_CLOEXEC, 10);
		lf = fcntl(logfd, F_DUPFD_CLOEXEC, 10);
		nf = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (ef == -1 || gf == -1 || lf == -1 || nf == -1)
			_exit(126);
		dup2(nf, 0);
		dup2(lf, 1);
		dup2(lf, 2);
		dup2(ef, 3);
		fcntl(3, F_SETFD, FD_CLOEXEC);
		dup2(gf, 4);
		syscall(SYS_close_range, 5, ~0U, 0);
		/*
		 * Held until xend has recorded this pid.  End of file instead
		 * of the byte: xend refused or died, so never run QEMU.
		 */
		do
			n = read(4, &go, 1);
		while (n == -1 && errno == EINTR);
		if (n != 1)
			_exit(126);
		close(4);
		execvp(argv[0], argv);
		err = errno;
		if (write(3, &err, sizeof err) == -1)
			_exit(127);
		_exit(127);
	}
	close(errp[1]);
	close(gop[0]);
	*pidp = pid;
	if (commit(pid, arg, cause) != 0) {
		close(gop[1]);
		close(errp[0]);
		waitpid(pid, NULL, 0);
		return (-1);
	}
	do
		n = write(gop[1], &go, 1);
	while (n == -1 && errno == EINTR);
	close(gop[1]);
	do
		n = read(errp[0], &err, sizeof err);
	while (n == -1 && errno == EINTR);
	close(errp[0]);
	if (n == sizeof err) {
		waitpid(pid, NULL, 0);
		*cause = xsprintf("cannot run %s: %s", argv[0], strerror(err));
		return (-1);
	}
	return (0);
}
