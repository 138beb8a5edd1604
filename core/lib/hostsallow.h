/*
 * hostsallow.h: a hosts-allow list as Xen reads xend-relocation-hosts-allow
 * (and consoled its console-hosts-allow): space-separated extended regular
 * expressions, case-insensitive, one of which must match the whole of a
 * peer's address (or name).  The caller owns the list (hostsallow_free).
 */
#ifndef HOSTSALLOW_H
#define HOSTSALLOW_H

#include <stddef.h>

struct hostsallow;

/* key names the setting in *cause ("KEY: bad pattern 'P': why"). */
int	hostsallow_compile(const char *key, const char *patterns,
	    struct hostsallow **, char **cause);
/* 1 if one pattern matches all of s. */
int	hostsallow_match(const struct hostsallow *, const char *s);
size_t	hostsallow_count(const struct hostsallow *);
void	hostsallow_free(struct hostsallow *);

#endif
