/*
 * main.c: xenconsoled start|stop|restart|status|foreground, the way xend
 * does it (same config file, same pid-file locking), so scripts treat the
 * two alike.  Stopping xenconsoled loses no guest output: QEMU keeps
 * logging, and the next start catches up (console.c).
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "xen-common.h"
#include "client.h"
#include "xendcfg.h"
#include "consoled.h"
#include "daemon.h"

struct event_base	*cd_base;
struct xendcfg		 cd_cfg;
double			 cd_start_time;

static int		 ready_fd = -1;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: xenconsoled [-h] [-V] start|stop|restart|status|foreground\n"
	    "\n"
	    "  start       start xenconsoled in the background, if not running\n"
	    "  stop        stop it (guests lose no output: QEMU logs it and the\n"
	    "              next start catches up)\n"
	    "  restart     stop, then start\n"
	    "  status      exit 0 if running (and print its consoles), 3 if not\n"
	    "  foreground  run in the foreground\n"
	    "\n"
	    "Configuration: $XEN_CONFIG_DIR/xend-config.sxp (docs/CONSOLES.md).\n");
}

char *
cd_control_path(void)
{
	return (xendcfg_consoled_path(&cd_cfg));
}

static void
sig_hup_cb(evutil_socket_t sig, short what, void *arg)
{
	struct console	*con;

	if (log_reopen() != 0)
		log_error("cannot reopen log %s", cd_cfg.consoled_logfile);
	TAILQ_FOREACH(con, &consoles, entry)
		console_reopen_log(con);
	log_info("logs reopened");
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct console	*con, *con1;
	double		 now = time_mono();

	TAILQ_FOREACH_SAFE(con, &consoles, entry, con1)
		console_tick(con, now);
}

/* Told once the first domain list is in: "xenconsoled start" returns. */
static void
consoled_ready(void)
{
	struct console	*con;
	int		 n = 0;

	TAILQ_FOREACH(con, &consoles, entry)
		n++;
	log_info("xenconsoled ready (pid %d, %d consoles)", (int)getpid(), n);
	daemon_ready(ready_fd);
	ready_fd = -1;
}

/*
 * The consoles' unix sockets and the status socket live here: only we
 * may create files in it, or someone else could stand in for a console
 * (xm console checks the same before it trusts a socket there).
 */
static int
consoled_socket_dir(char **cause)
{
	const char	*dir = cd_cfg.console_socket_dir;
	struct stat	 st;

	if (mkdir_p(dir, 0700, cause) != 0)
		return (-1);
	if (lstat(dir, &st) != 0) {
		*cause = xsprintf("%s: %s", dir, strerror(errno));
		return (-1);
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		*cause = xsprintf("console-socket-dir %s: not a directory of "
		    "uid %d (owned by uid %d): not using it", dir,
		    (int)geteuid(), (int)st.st_uid);
		return (-1);
	}
	if ((st.st_mode & 077) != 0) {
		log_warn("console-socket-dir %s was mode %03o; now 0700", dir,
		    (unsigned)(st.st_mode & 0777));
		if (chmod(dir, 0700) != 0) {
			*cause = xsprintf("chmod %s: %s", dir, strerror(errno));
			return (-1);
		}
	}
	return (0);
}

static int
consoled_serve(int rfd)
{
	struct daemon_signals	*signals;
	struct event		*ev_tick;
	struct timeval		 one = { 1, 0 };
	char			*cause;

	ready_fd = rfd;
	if (daemon_begin("xenconsoled", cd_cfg.loglevel,
	    cd_cfg.consoled_logfile, cd_cfg.consoled_pid_file) != 0)
		return (1);
	daemon_raise_nofile();
	cd_start_time = time_wall();
	if ((cd_base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	signals = daemon_signals_new(cd_base, NULL, sig_hup_cb);
	ev_tick = event_new(cd_base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(ev_tick, &one);

	if (consoled_socket_dir(&cause) != 0 ||
	    mkdir_p(cd_cfg.console_log_dir, 0750, &cause) != 0 ||
	    hosts_allow_init(cd_cfg.console_hosts_allow, &cause) != 0 ||
	    control_init(&cause) != 0) {
		log_error("%s", cause);
		fprintf(stderr, "xenconsoled: %s\n", cause);
		daemon_release_pidfile(cd_cfg.consoled_pid_file);
		return (1);
	}
	vnc_init();
	access_init();
	log_info("xenconsoled %s starting, config %s", XEN_VERSION,
	    cd_cfg.path);
	xendlink_init(consoled_ready);

	event_base_dispatch(cd_base);

	xendlink_close();
	control_close();
	console_destroy_all();
	vnc_stop_all();
	/* Let closing clients have their last words, briefly. */
	event_base_loopexit(cd_base, &one);
	event_base_dispatch(cd_base);
	hosts_allow_free();
	log_info("xenconsoled stopped");
	daemon_release_pidfile(cd_cfg.consoled_pid_file);
	daemon_signals_free(signals);
	event_free(ev_tick);
	return (0);
}

static int
consoled_status(void)
{
	struct xen_client	*c;
	json_t			*list, *con;
	char			*path, *cause;
	pid_t			 pid = daemon_running(cd_cfg.consoled_pid_file);
	size_t			 i;

	if (pid == 0) {
		printf("xenconsoled is not running\n");
		return (3);
	}
	printf("xenconsoled is running (pid %d)\n", (int)pid);
	path = cd_control_path();
	if (xen_open_path(path, &c, &cause) != 0 ||
	    xen_call(c, "consoles.list", NULL, &list, NULL, &cause) != 0) {
		fprintf(stderr, "xenconsoled: %s\n", cause);
		free(cause);
		free(path);
		return (0);
	}
	free(path);
	if (json_array_size(list) > 0)
		printf("%-20s %5s %5s %7s %12s %10s %9s %6s %9s %9s\n",
		    "Name", "Id", "Port", "Clients", "Out(bytes)", "In(bytes)",
		    "Dropped", "LogErr", "LogBehind", "LogLost");
	json_array_foreach(list, i, con) {
		printf("%-20s %5lld %5lld %7zu %12lld %10lld %9lld %6lld %9lld "
		    "%9lld\n",
		    json_string_value(json_object_get(con, "name")),
		    (long long)json_integer_value(json_object_get(con,
		    "domid")),
		    (long long)json_integer_value(json_object_get(con,
		    "port")),
		    json_array_size(json_object_get(con, "clients")),
		    (long long)json_integer_value(json_object_get(con,
		    "bytes_in")),
		    (long long)json_integer_value(json_object_get(con,
		    "bytes_out")),
		    (long long)json_integer_value(json_object_get(con,
		    "dropped")),
		    (long long)json_integer_value(json_object_get(con,
		    "log_errors")),
		    (long long)json_integer_value(json_object_get(con,
		    "log_behind")),
		    (long long)json_integer_value(json_object_get(con,
		    "log_lost")));
	}
	json_decref(list);
	xen_close(c);
	return (0);
}

/* Where this daemon keeps its pid file and log. */
static void
consoled_paths(struct daemon_info *di, const struct xendcfg *cfg)
{
	di->pid_file = cfg->consoled_pid_file;
	di->logfile = cfg->consoled_logfile;
}

int
main(int argc, char **argv)
{
	struct daemon_info	 di = { "xenconsoled", NULL, NULL, 30,
				    consoled_serve };

	return (daemon_main(argc, argv, &di, &cd_cfg, usage, consoled_paths,
	    consoled_status));
}
