/*
 * hosts.c: console-hosts-allow, read the way Xen reads
 * xend-relocation-hosts-allow: space-separated regular expressions, one
 * of which must match the whole of the client's address.  It applies to
 * clients from other hosts only (access.c identifies local ones by uid),
 * and empty allows none of them.  Addresses only: no name lookups inside
 * the event loop.
 * Compiled once at start; read-only afterwards, so the VNC threads may
 * match too.
 */
#include <stdlib.h>

#include "xen-common.h"
#include "consoled.h"
#include "hostsallow.h"

static struct hostsallow	*hosts;

int
hosts_allow_init(const char *patterns, char **cause)
{
	hosts_allow_free();
	return (hostsallow_compile("console-hosts-allow", patterns, &hosts,
	    cause));
}

int
hosts_allowed(const char *addr)
{
	return (hostsallow_match(hosts, addr));
}

void
hosts_allow_free(void)
{
	hostsallow_free(hosts);
	hosts = NULL;
}
