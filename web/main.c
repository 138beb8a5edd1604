/*
 * main.c: xensv start|stop|restart|status|foreground, the manual's web
 * control interface, on the same daemon code as xend and xenconsoled;
 * and "xensv passwd USER" to set a web user's password.
 */
#include <sys/stat.h>

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "xen-common.h"
#include "xendcfg.h"
#include "daemon.h"
#include "xensv.h"

#ifndef XENSV_STATIC_DIR
#define XENSV_STATIC_DIR "/usr/local/share/xensv/static"
#endif

struct xendcfg		 sv_cfg;
struct event_base	*sv_base;
const char		*sv_static_dir;
int			 sv_tls;

struct post {
	void		(*fn)(void *);
	void		*arg;
	struct post	*next;
};
static pthread_mutex_t	 post_lock = PTHREAD_MUTEX_INITIALIZER;
static struct post	*post_head, **post_tail = &post_head;
static struct event	*post_ev;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: xensv [-h] [-V] start|stop|restart|status|foreground\n"
	    "       xensv passwd USER [--role admin|viewer] [--generate]\n"
	    "\n"
	    "  start       start the web console in the background\n"
	    "  stop        stop it (consoles are closed cleanly)\n"
	    "  restart     stop, then start\n"
	    "  status      exit 0 if running (and print its URL), 3 if not\n"
	    "  foreground  run in the foreground\n"
	    "  passwd      set USER's password (read from standard input, or\n"
	    "              asked twice on a terminal; --generate makes one\n"
	    "              and prints it); the role defaults to admin for a\n"
	    "              new user\n"
	    "\n"
	    "It serves on xensv-address:xensv-port (127.0.0.1:8080) from\n"
	    "$XEN_CONFIG_DIR/xend-config.sxp; docs/WEB.md says how to use it.\n");
}

static void
post_cb(evutil_socket_t fd, short what, void *arg)
{
	struct post	*p, *next;

	pthread_mutex_lock(&post_lock);
	p = post_head;
	post_head = NULL;
	post_tail = &post_head;
	pthread_mutex_unlock(&post_lock);
	for (; p != NULL; p = next) {
		next = p->next;
		p->fn(p->arg);
		free(p);
	}
}

void
loop_post(void (*fn)(void *), void *arg)
{
	struct post	*p = xcalloc(1, sizeof *p);

	p->fn = fn;
	p->arg = arg;
	pthread_mutex_lock(&post_lock);
	*post_tail = p;
	post_tail = &p->next;
	pthread_mutex_unlock(&post_lock);
	event_active(post_ev, EV_READ, 0);
}

static void
sig_hup_cb(evutil_socket_t sig, short what, void *arg)
{
	if (log_reopen() != 0)
		log_error("cannot reopen log %s", sv_cfg.xensv_logfile);
	log_info("log reopened");
}

static int
static_dir_check(char **cause)
{
	char		*index;
	struct stat	 st;
	int		 rc;

	sv_static_dir = sv_cfg.xensv_static_dir[0] != '\0' ?
	    sv_cfg.xensv_static_dir : XENSV_STATIC_DIR;
	index = xsprintf("%s/index.html", sv_static_dir);
	rc = stat(index, &st);
	free(index);
	if (rc != 0) {
		*cause = xsprintf("no pages in %s (xensv-static-dir)",
		    sv_static_dir);
		return (-1);
	}
	return (0);
}

static int
xensv_serve(int ready_fd)
{
	struct daemon_signals	*signals;
	struct timeval		 one = { 1, 0 };
	char			*cause;

	if (daemon_begin("xensv", sv_cfg.loglevel, sv_cfg.xensv_logfile,
	    sv_cfg.xensv_pid_file) != 0)
		return (1);
	daemon_raise_nofile();
	/*
	 * Two threads allocate (HTTP and the loop): one malloc arena is
	 * plenty, and a second costs ~2 MB of resident memory.
	 */
	mallopt(M_ARENA_MAX, 1);
	if (evthread_use_pthreads() != 0)
		fatalx("evthread_use_pthreads failed");
	if ((sv_base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	post_ev = event_new(sv_base, -1, 0, post_cb, NULL);
	signals = daemon_signals_new(sv_base, NULL, sig_hup_cb);
	session_init(sv_cfg.xensv_session_idle, sv_cfg.xensv_session_max);

	if (static_dir_check(&cause) != 0 || http_start(&cause) != 0) {
		log_error("%s", cause);
		fprintf(stderr, "xensv: %s\n", cause);
		free(cause);
		daemon_release_pidfile(sv_cfg.xensv_pid_file);
		return (1);
	}
	link_init();
	log_info("xensv %s serving http%s://%s:%d/ (pages %s, config %s)",
	    XEN_VERSION, sv_tls ? "s" : "", sv_cfg.xensv_address,
	    sv_cfg.xensv_port, sv_static_dir, sv_cfg.path);
	daemon_ready(ready_fd);

	event_base_dispatch(sv_base);

	/* Graceful: no new connections, consoles told and closed, then out. */
	http_quiesce();
	ws_close_all(0);
	event_base_loopexit(sv_base, &one);
	event_base_dispatch(sv_base);
	ws_close_all(1);
	link_close();
	post_cb(-1, 0, NULL);
	http_stop();
	log_info("xensv stopped");
	daemon_release_pidfile(sv_cfg.xensv_pid_file);
	daemon_signals_free(signals);
	event_free(post_ev);
	event_base_free(sv_base);
	return (0);
}

static int
xensv_status(void)
{
	pid_t	 pid = daemon_running(sv_cfg.xensv_pid_file);

	if (pid == 0) {
		printf("xensv is not running\n");
		return (3);
	}
	printf("xensv is running (pid %d) at http%s://%s:%d/\n", (int)pid,
	    sv_cfg.xensv_tls_cert[0] != '\0' ? "s" : "",
	    sv_cfg.xensv_address, sv_cfg.xensv_port);
	return (0);
}

static void
xensv_paths(struct daemon_info *di, const struct xendcfg *cfg)
{
	di->pid_file = cfg->xensv_pid_file;
	di->logfile = cfg->xensv_logfile;
}

/* One line from stdin, echo off on a terminal. Caller frees. */
static char *
read_password(const char *prompt)
{
	struct termios	 t, saved;
	char		*line = NULL;
	size_t		 size = 0;
	ssize_t		 n;
	int		 tty = isatty(STDIN_FILENO);

	if (tty) {
		fprintf(stderr, "%s", prompt);
		tcgetattr(STDIN_FILENO, &saved);
		t = saved;
		t.c_lflag &= ~ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
	}
	n = getline(&line, &size, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fprintf(stderr, "\n");
	}
	if (n <= 0) {
		free(line);
		return (NULL);
	}
	line[strcspn(line, "\r\n")] = '\0';
	return (line);
}

static int
xensv_passwd(int argc, char **argv)
{
	char		*file, *cause, *pw = NULL, *again, gen[25], *text;
	const char	*user = NULL, *role_arg = NULL;
	enum role	 role = ROLE_ADMIN, old;
	int		 i, generate = 0, rc = 1;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			role_arg = argv[++i];
		else if (strcmp(argv[i], "--generate") == 0)
			generate = 1;
		else if (argv[i][0] != '-' && user == NULL)
			user = argv[i];
		else {
			usage(stderr);
			return (2);
		}
	}
	if (user == NULL) {
		usage(stderr);
		return (2);
	}
	if (role_arg != NULL && role_parse(role_arg, &role) != 0) {
		fprintf(stderr, "xensv: bad role '%s': admin or viewer\n",
		    role_arg);
		return (2);
	}
	if (xendcfg_load(NULL, &sv_cfg, NULL, &cause) != 0) {
		fprintf(stderr, "xensv: %s\n", cause);
		free(cause);
		return (1);
	}
	file = auth_users_file(&sv_cfg);
	/* A known user keeps its role unless --role says otherwise. */
	if (role_arg == NULL && file_read(file, &text, NULL, &cause) == 0) {
		char	*line, *save = NULL;
		size_t	 ul = strlen(user);

		for (line = strtok_r(text, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if (strncmp(line, user, ul) == 0 && line[ul] == ':') {
				line[ul + 1 + strcspn(line + ul + 1, ":")] =
				    '\0';
				if (role_parse(line + ul + 1, &old) == 0)
					role = old;
			}
		}
		free(text);
	} else if (role_arg == NULL)
		free(cause);
	if (generate) {
		random_hex(gen, 12);
		pw = xstrdup(gen);
	} else {
		if ((pw = read_password("new password: ")) == NULL) {
			fprintf(stderr, "xensv: no password given\n");
			goto out;
		}
		if (isatty(STDIN_FILENO)) {
			again = read_password("again: ");
			if (again == NULL || strcmp(again, pw) != 0) {
				fprintf(stderr, "xensv: the passwords differ\n");
				free(again);
				goto out;
			}
			free(again);
		}
	}
	if (auth_set(file, user, role, pw, &cause) != 0) {
		fprintf(stderr, "xensv: %s\n", cause);
		free(cause);
		goto out;
	}
	if (generate)
		printf("%s\n", pw);
	else
		fprintf(stderr, "xensv: password of %s (%s) set in %s\n", user,
		    role_name(role), file);
	rc = 0;
out:
	free(pw);
	free(file);
	xendcfg_free(&sv_cfg);
	return (rc);
}

int
main(int argc, char **argv)
{
	struct daemon_info	 di = { "xensv", NULL, NULL, 30, xensv_serve };

	if (argc >= 2 && strcmp(argv[1], "passwd") == 0)
		return (xensv_passwd(argc, argv));
	return (daemon_main(argc, argv, &di, &sv_cfg, usage, xensv_paths,
	    xensv_status));
}
