/*
 * main.c: xend start|stop|restart|status|foreground, as the manual has it.
 * "stop" stops the daemon only: domains keep running and a later start
 * re-adopts them.
 */
#include <sys/file.h>
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
#include "xend.h"

struct event_base	*xend_base;
struct xendcfg		 xend_cfg;
double			 xend_start_time;

static int		 pid_fd = -1;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: xend [-h] [-V] start|stop|restart|status|foreground\n"
	    "\n"
	    "  start       start xend in the background, if not already running\n"
	    "  stop        stop xend if running (domains keep running)\n"
	    "  restart     restart xend if running, otherwise start it\n"
	    "  status      exit 0 if xend is running, 3 if not\n"
	    "  foreground  run in the foreground (for debugging and init systems)\n"
	    "\n"
	    "Configuration: $XEN_CONFIG_DIR/xend-config.sxp "
	    "(XEN_CONFIG_DIR defaults to /etc/xen).\n");
}

static void
warn_stderr(const char *msg)
{
	fprintf(stderr, "xend: warning: %s\n", msg);
}

static void
parent_dir(const char *path)
{
	char	*dir = xstrdup(path), *slash, *cause;

	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir_p(dir, 0755, &cause) != 0) {
			fprintf(stderr, "xend: %s\n", cause);
			exit(1);
		}
	}
	free(dir);
}

/* The running xend's pid, or 0: the pidfile is locked while xend lives. */
static pid_t
xend_running(void)
{
	int	 fd;
	char	 buf[32];
	ssize_t	 n;
	long	 pid;

	if ((fd = open(xend_cfg.pid_file, O_RDONLY | O_CLOEXEC)) == -1)
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

static void
sig_exit_cb(evutil_socket_t sig, short what, void *arg)
{
	log_info("signal %d: stopping (domains keep running)", (int)sig);
	event_base_loopexit(xend_base, NULL);
}

static void
sig_hup_cb(evutil_socket_t sig, short what, void *arg)
{
	if (log_reopen() != 0)
		log_error("cannot reopen log %s", xend_cfg.logfile);
	else
		log_info("log reopened");
}

void
xend_request_exit(void)
{
	event_base_loopexit(xend_base, NULL);
}

static int
take_pidfile(char **cause)
{
	char	 buf[32];

	pid_fd = open(xend_cfg.pid_file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (pid_fd == -1) {
		*cause = xsprintf("%s: %s", xend_cfg.pid_file, strerror(errno));
		return (-1);
	}
	if (flock(pid_fd, LOCK_EX | LOCK_NB) != 0) {
		*cause = xsprintf("xend is already running (%s locked)",
		    xend_cfg.pid_file);
		close(pid_fd);
		pid_fd = -1;
		return (-1);
	}
	snprintf(buf, sizeof buf, "%d\n", (int)getpid());
	if (ftruncate(pid_fd, 0) != 0 ||
	    pwrite(pid_fd, buf, strlen(buf), 0) != (ssize_t)strlen(buf)) {
		*cause = xsprintf("%s: %s", xend_cfg.pid_file, strerror(errno));
		return (-1);
	}
	return (0);
}

/* ready_fd: written once serving, so "xend start" returns when usable. */
static int
xend_serve(int ready_fd)
{
	enum log_level	 level = LOG_INFO;
	struct event	*ev_term, *ev_int, *ev_hup;
	char		*cause, *qver;

	if (log_parse_level(xend_cfg.loglevel, &level) != 0)
		level = LOG_INFO;
	log_open("xend", xend_cfg.logfile, level);
	if (take_pidfile(&cause) != 0) {
		log_error("%s", cause);
		fprintf(stderr, "xend: %s\n", cause);
		return (1);
	}
	signal(SIGPIPE, SIG_IGN);
	xend_start_time = time_wall();
	if ((xend_base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	ev_term = evsignal_new(xend_base, SIGTERM, sig_exit_cb, NULL);
	ev_int = evsignal_new(xend_base, SIGINT, sig_exit_cb, NULL);
	ev_hup = evsignal_new(xend_base, SIGHUP, sig_hup_cb, NULL);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_hup, NULL);

	if (mkdir_p(xend_cfg.state_dir, 0700, &cause) != 0)
		fatalx("%s", cause);
	qver = qemu_version();
	dmesg_add("xend %s starting, config %s, %s", XEN_VERSION,
	    xend_cfg.path, qver);
	free(qver);
	accel_init();
	sched_init();
	if (*xend_cfg.network_script != '\0') {
		/* The manual's network script: set up bridges at start. */
		char *argv[] = { xend_cfg.network_script, (char *)"start", NULL };

		if (script_run(argv, 60, &cause) != 0) {
			dmesg_add("network-script failed: %s", cause);
			free(cause);
		} else
			dmesg_add("network-script %s start: done",
			    xend_cfg.network_script);
	}
	domain_init();
	domain_adopt_all();
	server_init();
	log_info("xend ready (pid %d, %d domains)", (int)getpid(),
	    domain_count());
	if (ready_fd != -1) {
		if (write(ready_fd, "ok", 2) != 2)
			log_warn("cannot tell the parent xend is ready");
		close(ready_fd);
	}

	event_base_dispatch(xend_base);

	server_close();
	log_info("xend stopped, %d domains left running", domain_count());
	unlink(xend_cfg.pid_file);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	return (0);
}

static void
print_log_tail(void)
{
	char	*text, *cause, *p;
	size_t	 len;
	int	 lines = 0;

	if (file_read(xend_cfg.logfile, &text, &len, &cause) != 0) {
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

static int
xend_start(void)
{
	int		 pfd[2], nullfd, status;
	pid_t		 pid, running;
	char		 buf[8];
	ssize_t		 n;
	struct pollfd	 pf;

	if ((running = xend_running()) != 0) {
		printf("xend is already running (pid %d)\n", (int)running);
		return (0);
	}
	parent_dir(xend_cfg.logfile);
	parent_dir(xend_cfg.pid_file);
	parent_dir(xend_cfg.unix_path);
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		perror("xend: pipe");
		return (1);
	}
	fflush(NULL);
	switch ((pid = fork())) {
	case -1:
		perror("xend: fork");
		return (1);
	case 0:
		close(pfd[0]);
		setsid();
		if (chdir("/") != 0)
			_exit(1);
		/* A second fork so xend is not a session leader. */
		if ((pid = fork()) != 0)
			_exit(pid == -1 ? 1 : 0);
		nullfd = open("/dev/null", O_RDWR);
		dup2(nullfd, 0);
		dup2(nullfd, 1);
		dup2(nullfd, 2);
		if (nullfd > 2)
			close(nullfd);
		umask(022);
		_exit(xend_serve(pfd[1]));
	}
	close(pfd[1]);
	waitpid(pid, &status, 0);
	pf.fd = pfd[0];
	pf.events = POLLIN;
	/* The first start may run the bounded KVM self-test. */
	n = poll(&pf, 1, 60000) == 1 ? read(pfd[0], buf, sizeof buf) : -1;
	close(pfd[0]);
	if (n == 2 && memcmp(buf, "ok", 2) == 0)
		return (0);
	fprintf(stderr, "xend: failed to start; the end of %s:\n",
	    xend_cfg.logfile);
	print_log_tail();
	return (1);
}

static int
xend_stop(void)
{
	pid_t	 pid = xend_running();
	double	 deadline;

	if (pid == 0) {
		printf("xend is not running\n");
		return (0);
	}
	if (pid < 0) {
		fprintf(stderr, "xend: is starting; try again\n");
		return (1);
	}
	if (kill(pid, SIGTERM) != 0) {
		fprintf(stderr, "xend: kill %d: %s\n", (int)pid,
		    strerror(errno));
		return (1);
	}
	deadline = time_mono() + 15;
	while (time_mono() < deadline) {
		if (xend_running() == 0)
			return (0);
		usleep(20000);
	}
	fprintf(stderr, "xend: pid %d did not stop within 15 s\n", (int)pid);
	return (1);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	char		*cause;
	const char	*cmd;
	pid_t		 pid;
	int		 ch, rc;

	while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return (0);
		case 'V':
			printf("xend %s\n", XEN_VERSION);
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
	cmd = argv[optind];
	if (xendcfg_load(NULL, &xend_cfg, warn_stderr, &cause) != 0) {
		fprintf(stderr, "xend: %s\n", cause);
		return (1);
	}
	if (strcmp(cmd, "start") == 0)
		rc = xend_start();
	else if (strcmp(cmd, "stop") == 0)
		rc = xend_stop();
	else if (strcmp(cmd, "restart") == 0) {
		rc = xend_stop();
		if (rc == 0)
			rc = xend_start();
	} else if (strcmp(cmd, "status") == 0) {
		pid = xend_running();
		if (pid != 0)
			printf("xend is running (pid %d)\n", (int)pid);
		else
			printf("xend is not running\n");
		rc = pid != 0 ? 0 : 3;
	} else if (strcmp(cmd, "foreground") == 0) {
		parent_dir(xend_cfg.logfile);
		parent_dir(xend_cfg.pid_file);
		parent_dir(xend_cfg.unix_path);
		rc = xend_serve(-1);
	} else {
		fprintf(stderr, "xend: unknown command '%s'\n", cmd);
		usage(stderr);
		rc = 2;
	}
	xendcfg_free(&xend_cfg);
	return (rc);
}
