/*
 * daemonev.c: the signals every daemon (xend, xenconsoled, xensv) handles
 * on its libevent loop: SIGTERM and SIGINT stop it, SIGHUP reopens its
 * logs.  Apart from daemon.c so that programs without libevent link it.
 */
#include <signal.h>
#include <stdlib.h>

#include <event2/event.h>

#include "xen-common.h"
#include "daemon.h"

struct daemon_signals {
	struct event	*ev[3];
};

/* The usual way to stop: say so, and leave the loop. */
static void
daemon_stop_cb(int sig, short what, void *arg)
{
	log_info("signal %d: stopping", sig);
	event_base_loopexit(arg, NULL);
}

struct daemon_signals *
daemon_signals_new(struct event_base *base, void (*stop)(int, short, void *),
    void (*hup)(int, short, void *))
{
	struct daemon_signals	*ds = xcalloc(1, sizeof *ds);
	static const int	 sigs[] = { SIGTERM, SIGINT, SIGHUP };
	size_t			 i;

	for (i = 0; i < nitems(sigs); i++) {
		if (sigs[i] == SIGHUP)
			ds->ev[i] = evsignal_new(base, sigs[i], hup, NULL);
		else
			ds->ev[i] = evsignal_new(base, sigs[i], stop != NULL ?
			    stop : daemon_stop_cb, base);
		if (ds->ev[i] == NULL || evsignal_add(ds->ev[i], NULL) != 0)
			fatalx("cannot handle signal %d", sigs[i]);
	}
	return (ds);
}

void
daemon_signals_free(struct daemon_signals *ds)
{
	size_t	 i;

	if (ds == NULL)
		return;
	for (i = 0; i < nitems(ds->ev); i++)
		event_free(ds->ev[i]);
	free(ds);
}
