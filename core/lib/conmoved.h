/*
 * conmoved.h: the notice xenconsoled gives the console clients of a domain
 * that migrated away, and how its clients (xm console, xencons) read it
 * back to follow the domain to its new host.
 */
#ifndef CONMOVED_H
#define CONMOVED_H

#include <stddef.h>

/* xenconsoled writes it, after "[xenconsoled: ", then closes. */
#define CONMOVED_FMT	"domain %s moved to %s; its console is port %d there"

/* The last bytes a client received, to look for the notice at the end. */
struct conmoved_tail {
	char	 buf[512];
	size_t	 len;
};
void	 conmoved_feed(struct conmoved_tail *, const void *, size_t);
/*
 * 0 with *host (caller frees) and *port if the output ends with the notice
 * (a guest printing one earlier, then going on, does not count); else -1.
 */
int	 conmoved_parse(const struct conmoved_tail *, char **host, int *port);

#endif
