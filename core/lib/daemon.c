/* daemon.c: start, stop and status of a daemon through its locked pid file. */
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "xendcfg.h"
#include "daemon.h"

static int	pid_fd = -1;

pid_t
daemon_running(const char *pid_file)
{
	int	 fd;
	char	 buf[32];
	ssize_t	 n;
	long	 pid;

	if ((fd = open(pid_file, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);
		return (0);
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return (-1);	/* locked but not written yet: starting */
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_long(buf, 1, 1 << 30, &pid) != 0)
		return (-1);
	return (pid);
}

int
daemon_take_pidfile(const char *pid_file, const char *name, char **cause)
{
	char	 buf[32];

	pid_fd = open(pid_file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (pid_fd == -1) {
		*cause = xsprintf("%s: %s", pid_file, strerror(errno));
		return (-1);
	}
	if (flock(pid_fd, LOCK_EX | LOCK_NB) != 0) {
		*cause = xsprintf("%s is already running (%s locked)", name,
		    pid_file);
		close(pid_fd);
		pid_fd = -1;
		return (-1);
	}
	snprintf(buf, sizeof buf, "%d\n", (int)getpid());
	if (ftruncate(pid_fd, 0) != 0 ||
	    pwrite(pid_fd, buf, strlen(buf), 0) != (ssize_t)strlen(buf)) {
		*cause = xsprintf("%s: %s", pid_file, strerror(errno));
		return (-1);
	}
	return (0);
}

void
daemon_release_pidfile(const char *pid_file)
{
	unlink(pid_file);
	if (pid_fd != -1) {
		close(pid_fd);
		pid_fd = -1;
	}
}

int
daemon_begin(const char *name, const char *loglevel, const char *logfile,
    const char *pid_file)
{
	enum log_level	 level = LOG_INFO;
	char		*cause;

	if (log_parse_level(loglevel, &level) != 0)
		level = LOG_INFO;
	log_open(name, logfile, level);
	if (daemon_take_pidfile(pid_file, name, &cause) != 0) {
		log_error("%s", cause);
		fprintf(stderr, "%s: %s\n", name, cause);
		free(cause);
		return (-1);
	}
	signal(SIGPIPE, SIG_IGN);
	return (0);
}

void
daemon_raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

void
daemon_ready(int ready_fd)
{
	if (ready_fd == -1)
		return;
	if (write(ready_fd, "ok", 2) != 2)
		log_warn("cannot tell the parent the daemon is ready");
	close(ready_fd);
}

int
daemon_parent_dir(const char *path, mode_t mode, char **cause)
{
	char	*dir = xstrdup(path), *slash;
	int	 rc = 0;

	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		rc = mkdir_p(dir, mode, cause);
	}
	free(dir);
	return (rc);
}

static void
print_log_tail(const char *logfile)
{
	char	*text, *cause, *p;
	size_t	 len;
	int	 lines = 0;

	if (file_read(logfile, &text, &len, &cause) != 0) {
		free(cause);
		return;
	}
	for (p = text + len; p > text; p--) {
		if (p[-1] == '\n' && p != text + len && ++lines > 5)
			break;
	}
	fprintf(stderr, "%s", p);
	free(text);
}

/*
 * 1 if pid is on its way out: exiting (PF_EXITING, set as soon as a kill -9
 * is acted on, while the process still tears down its memory and threads
 * and so still holds its pid file lock) or a zombie.
 */
static int
daemon_dying(pid_t pid)
{
	char		 path[64], *text, *cause, *p;
	unsigned long	 flags = 0;
	char		 state = 0;
	int		 field;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (file_read(path, &text, NULL, &cause) != 0) {
		free(cause);
		return (1);
	}
	/* Fields after "(comm)": 3 state ... 9 flags. */
	if ((p = strrchr(text, ')')) != NULL && p[1] == ' ') {
		state = p[2];
		for (field = 3, p += 2; field < 9 && p != NULL; field++) {
			if ((p = strchr(p, ' ')) != NULL)
				p++;
		}
		if (p != NULL)
			flags = strtoul(p, NULL, 10);
	}
	free(text);
	return (state == 'Z' || state == 'X' || (flags & 0x4) != 0);
}

int
daemon_start(const struct daemon_info *di)
{
	int		 pfd[2], nullfd, status;
	pid_t		 pid, running;
	char		 buf[8], *cause;
	ssize_t		 n;
	struct pollfd	 pf;

	/* Right after a kill -9 the old one still holds the lock briefly. */
	for (n = 0; n < 50 && (running = daemon_running(di->pid_file)) > 0 &&
	    daemon_dying(running); n++)
		usleep(100000);
	if ((running = daemon_running(di->pid_file)) != 0) {
		printf("%s is already running (pid %d)\n", di->name,
		    (int)running);
		return (0);
	}
	if (daemon_parent_dir(di->logfile, 0755, &cause) != 0 ||
	    daemon_parent_dir(di->pid_file, 0700, &cause) != 0) {
		fprintf(stderr, "%s: %s\n", di->name, cause);
		free(cause);
		return (1);
	}
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		fprintf(stderr, "%s: pipe: %s\n", di->name, strerror(errno));
		return (1);
	}
	fflush(NULL);
	switch ((pid = fork())) {
	case -1:
		fprintf(stderr, "%s: fork: %s\n", di->name, strerror(errno));
		return (1);
	case 0:
		close(pfd[0]);
		setsid();
		if (chdir("/") != 0)
			_exit(1);
		/* A second fork so the daemon is not a session leader. */
		if ((pid = fork()) != 0)
			_exit(pid == -1 ? 1 : 0);
		nullfd = open("/dev/null", O_RDWR);
		dup2(nullfd, 0);
		dup2(nullfd, 1);
		dup2(nullfd, 2);
		if (nullfd > 2)
			close(nullfd);
		umask(022);
		_exit(di->serve(pfd[1]));
	}
	close(pfd[1]);
	waitpid(pid, &status, 0);
	pf.fd = pfd[0];
	pf.events = POLLIN;
	n = poll(&pf, 1, di->ready_seconds * 1000) == 1 ?
	    read(pfd[0], buf, sizeof buf) : -1;
	close(pfd[0]);
	if (n == 2 && memcmp(buf, "ok", 2) == 0)
		return (0);
	fprintf(stderr, "%s: failed to start; the end of %s:\n", di->name,
	    di->logfile);
	print_log_tail(di->logfile);
	return (1);
}

int
daemon_stop(const struct daemon_info *di)
{
	pid_t	 pid = daemon_running(di->pid_file);
	double	 deadline;

	if (pid == 0) {
		printf("%s is not running\n", di->name);
		return (0);
	}
	if (pid < 0) {
		fprintf(stderr, "%s: is starting; try again\n", di->name);
		return (1);
	}
	if (kill(pid, SIGTERM) != 0) {
		fprintf(stderr, "%s: kill %d: %s\n", di->name, (int)pid,
		    strerror(errno));
		return (1);
	}
	deadline = time_mono() + 15;
	while (time_mono() < deadline) {
		if (daemon_running(di->pid_file) == 0)
			return (0);
		usleep(20000);
	}
	fprintf(stderr, "%s: pid %d did not stop within 15 s\n", di->name,
	    (int)pid);
	return (1);
}

/*
 * "NAME start|stop|restart|status|foreground": the exit code, or -1 for
 * an unknown command (the caller prints its usage).  status is the
 * daemon's own report if it has one; otherwise "NAME is running (pid N)"
 * or "NAME is not running" with exit 3, as the manual's xend status.
 */
int
daemon_command(const struct daemon_info *di, const char *cmd,
    int (*status)(void))
{
	char	*cause;
	pid_t	 pid;
	int	 rc;

	if (strcmp(cmd, "start") == 0)
		return (daemon_start(di));
	if (strcmp(cmd, "stop") == 0)
		return (daemon_stop(di));
	if (strcmp(cmd, "restart") == 0) {
		if ((rc = daemon_stop(di)) != 0)
			return (rc);
		return (daemon_start(di));
	}
	if (strcmp(cmd, "status") == 0) {
		if (status != NULL)
			return (status());
		if ((pid = daemon_running(di->pid_file)) == 0) {
			printf("%s is not running\n", di->name);
			return (3);
		}
		printf("%s is running (pid %d)\n", di->name, (int)pid);
		return (0);
	}
	if (strcmp(cmd, "foreground") == 0) {
		if (daemon_parent_dir(di->logfile, 0755, &cause) != 0 ||
		    daemon_parent_dir(di->pid_file, 0700, &cause) != 0) {
			fprintf(stderr, "%s: %s\n", di->name, cause);
			free(cause);
			return (1);
		}
		return (di->serve(-1));
	}
	return (-1);
}

static const char	*warn_name;

static void
daemon_warn(const char *msg)
{
	fprintf(stderr, "%s: warning: %s\n", warn_name, msg);
}

/*
 * A daemon's whole main: -h/--help, -V/--version, one command word,
 * xend-config.sxp loaded into *cfg (paths then picks di's pid file and
 * log from it), then daemon_command.  Returns the exit code.
 */
int
daemon_main(int argc, char **argv, struct daemon_info *di,
    struct xendcfg *cfg, void (*usage)(FILE *),
    void (*paths)(struct daemon_info *, const struct xendcfg *),
    int (*status)(void))
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	char	*cause;
	int	 ch, rc;

	while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return (0);
		case 'V':
			printf("%s %s\n", di->name, XEN_VERSION);
			return (0);
		default:
			usage(stderr);
			return (2);
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return (2);
	}
	warn_name = di->name;
	if (xendcfg_load(NULL, cfg, daemon_warn, &cause) != 0) {
		fprintf(stderr, "%s: %s\n", di->name, cause);
		free(cause);
		return (1);
	}
	paths(di, cfg);
	if ((rc = daemon_command(di, argv[optind], status)) == -1) {
		fprintf(stderr, "%s: unknown command '%s'\n", di->name,
		    argv[optind]);
		usage(stderr);
		rc = 2;
	}
	xendcfg_free(cfg);
	return (rc);
}
