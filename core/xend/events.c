/*
 * events.c: the model's one way of telling others what happened to a
 * domain.  The model publishes a type and the domain; subscribers (the API
 * edge, which turns them into JSON for its clients) are called in the order
 * they subscribed, synchronously, while the domain is still valid.
 */
#include <stdlib.h>

#include "xen-common.h"
#include "xend.h"

struct events_sub {
	events_cb	 fn;
	void		*arg;
};
static struct events_sub	*subs;
static size_t			 nsubs;

void
events_subscribe(events_cb fn, void *arg)
{
	subs = xreallocarray(subs, nsubs + 1, sizeof *subs);
	subs[nsubs].fn = fn;
	subs[nsubs].arg = arg;
	nsubs++;
}

void
events_publish(const char *type, struct domain *d)
{
	size_t	i;

	for (i = 0; i < nsubs; i++)
		subs[i].fn(type, d, subs[i].arg);
}
