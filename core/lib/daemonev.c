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

struct daemon_signals *
daemon_signals_new(struct event_base *base, void (*stop)(int, short, void *),
    void (*hup)(int, short, void *))
{
	struct daemon_signals	*ds = xcalloc(1, sizeof *ds);
	static const int	 sigs[] = { SIGTERM, SIGINT, SIGHUP };
	size_t			 i;

	for (i = 0; i < nitems(sigs); i++) {
		ds->ev[i] = evsignal_new(base, sigs[i], sigs[i] == SIGHUP ?
		    hup : stop, NULL);
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
