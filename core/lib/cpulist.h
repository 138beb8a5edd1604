/*
 * cpulist.h: CPU lists as Xen and Linux write them: "0-3,^1,5", "all".
 * A '^' entry removes CPUs from those named before it.  Sets are
 * cpu_set_t, so they go straight to sched_setaffinity.
 */
#ifndef CPULIST_H
#define CPULIST_H

#include <sched.h>

/* Parses s for a host of ncpus CPUs; every CPU named must exist. */
int	 cpulist_parse(const char *s, int ncpus, cpu_set_t *out, char **cause);
/* Formats a set compactly ("0-2,5"); caller frees. */
char	*cpulist_format(const cpu_set_t *, int ncpus);

#endif
