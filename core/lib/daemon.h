/*
 * daemon.h: start/stop/status for the project's daemons (xend,
 * xenconsoled), the way the manual's "xend start|stop|status" work.
 *
 * The pid file is flock'd for the daemon's whole life, so a stale file
 * never counts as running.  "start" forks twice, and returns 0 only once
 * the daemon has said it is serving (daemon_ready) or 1 with the end of
 * its log.  Strings are borrowed.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <sys/types.h>

#include <stdio.h>

struct xendcfg;
struct event_base;
struct daemon_signals;

struct daemon_info {
	const char	*name;		/* "xend" */
	const char	*pid_file;
	const char	*logfile;
	int		 ready_seconds;	/* how long start waits */
	/* Runs the daemon; ready_fd goes to daemon_ready. */
	int		(*serve)(int ready_fd);
};

/* The running daemon's pid, 0 if none, -1 while one is starting. */
pid_t	daemon_running(const char *pid_file);
/* Takes the pid file lock (kept open for life) and writes our pid. */
int	daemon_take_pidfile(const char *pid_file, const char *name,
	    char **cause);
void	daemon_release_pidfile(const char *pid_file);
/*
 * daemonev.c: SIGTERM and SIGINT call stop (NULL: log "signal N:
 * stopping" and leave base's loop), SIGHUP calls hup, on base's loop
 * (libevent callbacks: fd is the signal number).
 */
struct daemon_signals *daemon_signals_new(struct event_base *,
	    void (*stop)(int, short, void *), void (*hup)(int, short, void *));
void	daemon_signals_free(struct daemon_signals *);
/*
 * The start of every daemon's serve(): its log opened at loglevel, its
 * pid file taken (-1, said on stderr and in the log, if another runs),
 * SIGPIPE ignored.
 */
int	daemon_begin(const char *name, const char *loglevel,
	    const char *logfile, const char *pid_file);
/* Many clients: as many descriptors as the hard limit allows. */
void	daemon_raise_nofile(void);
/* Tells "start" the daemon is serving; fd -1 (foreground) is fine. */
void	daemon_ready(int ready_fd);
/* Creates the directory that holds path (with mode, if it is new). */
int	daemon_parent_dir(const char *path, mode_t mode, char **cause);
int	daemon_start(const struct daemon_info *);
int	daemon_stop(const struct daemon_info *);
/* start|stop|restart|status|foreground; -1 for another word. */
int	daemon_command(const struct daemon_info *, const char *cmd,
	    int (*status)(void));
/* main() for a daemon: options, config, command (daemon.c). */
int	daemon_main(int argc, char **argv, struct daemon_info *,
	    struct xendcfg *, void (*usage)(FILE *),
	    void (*paths)(struct daemon_info *, const struct xendcfg *),
	    int (*status)(void));

#endif
