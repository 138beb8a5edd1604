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
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "daemon.h"
#include "xend.h"

struct event_base	*xend_base;
struct xendcfg		 xend_cfg;
double			 xend_start_time;


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

/* xend stop waits 15 s for the daemon: the network script gets 10. */
#define NETWORK_STOP_SECONDS	10

static void
network_start_done(int ok, const char *how, void *arg)
{
	if (ok)
		dmesg_add("network-script %s start: done",
		    xend_cfg.network_script);
	else
		dmesg_add("network-script %s start: %s",
		    xend_cfg.network_script, how);
}

static void
network_stop_done(int ok, const char *how, void *arg)
{
	event_base_loopexit(xend_base, NULL);
}

static void
sig_exit_cb(evutil_socket_t sig, short what, void *arg)
{
	static int	 stopping;

	log_info("signal %d: stopping (domains keep running)", (int)sig);
	/*
	 * The manual's network script tears the network down at stop; it
	 * waits only for a start still running, not for vif scripts (they
	 * finish on their own, in their own sessions).
	 */
	if (stopping++ || network_script_run("stop", "network",
	    NETWORK_STOP_SECONDS, network_stop_done) != 0)
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

static void
xend_inert_stderr(const char *msg)
{
	fprintf(stderr, "xend: warning: %s\n", msg);
}

static void
xend_inert_log(const char *msg)
{
	log_warn("%s", msg);
}

/* ready_fd: written once serving, so "xend start" returns when usable. */
static int
xend_serve(int ready_fd)
{
	struct daemon_signals	*signals;
	char			*cause, *qver;

	if (daemon_begin("xend", xend_cfg.loglevel, xend_cfg.logfile,
	    xend_cfg.pid_file) != 0)
		return (1);
	xendcfg_inert(&xend_cfg, xend_inert_log);
	xend_start_time = time_wall();
	if ((xend_base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	signals = daemon_signals_new(xend_base, sig_exit_cb, sig_hup_cb);

	if (mkdir_p(xend_cfg.state_dir, 0700, &cause) != 0)
		fatalx("%s", cause);
	qver = qemu_version();
	dmesg_add("xend %s starting, config %s, %s", XEN_VERSION,
	    xend_cfg.path, qver);
	free(qver);
	accel_init();
	sched_init();
	/*
	 * The manual's network script sets up bridges at start: a barrier,
	 * so vif scripts and bridge attaches wait for it.
	 */
	network_script_run("start", NULL, xend_cfg.script_timeout,
	    network_start_done);
	vnet_init();
	domain_init();
	/* Before the adoption: it may find jobs cut short (job_recover). */
	job_init(server_event);
	job_set_recover(migrate_recover);
	job_set_tidy(migrate_tidy);
	domain_adopt_all();
	antispoof_init();
	/*
	 * CPU times before the first client asks: the periodic sample is a
	 * second away, and xm list would show re-adopted domains at 0.0.
	 */
	domain_sample_all();
	server_init();
	if (relocate_init(&migrate_handlers, &cause) != 0)
		fatalx("%s", cause);
	migrate_init();
	log_info("xend ready (pid %d, %d domains)", (int)getpid(),
	    domain_count());
	daemon_ready(ready_fd);

	event_base_dispatch(xend_base);

	antispoof_fini();
	relocate_close();
	server_close();
	sched_fini();
	log_info("xend stopped, %d domains left running", domain_count());
	daemon_release_pidfile(xend_cfg.pid_file);
	daemon_signals_free(signals);
	return (0);
}

/* Where this daemon keeps its pid file and log. */
static void
xend_paths(struct daemon_info *di, const struct xendcfg *cfg)
{
	di->pid_file = cfg->pid_file;
	di->logfile = cfg->logfile;
	/* Like unknown keys, said to whoever runs xend (and logged). */
	xendcfg_inert(cfg, xend_inert_stderr);
}

int
main(int argc, char **argv)
{
	/* 60 s: the first start may run the bounded KVM self-test. */
	struct daemon_info	 di = { "xend", NULL, NULL, 60, xend_serve };

	return (daemon_main(argc, argv, &di, &xend_cfg, usage, xend_paths,
	    NULL));
}
