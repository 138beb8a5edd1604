/* cpulist.c: parse and format CPU lists. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "cpulist.h"

static int
parse_cpu(const char **p, int ncpus, int *out, char **cause)
{
	char	*end;
	long	 v;

	if (!isdigit((unsigned char)**p)) {
		*cause = xsprintf("expected a CPU number at '%s'", *p);
		return (-1);
	}
	v = strtol(*p, &end, 10);
	if (v >= ncpus || v >= CPU_SETSIZE) {
		*cause = xsprintf("CPU %ld does not exist (this host has %d: "
		    "0-%d)", v, ncpus, ncpus - 1);
		return (-1);
	}
	*p = end;
	*out = v;
	return (0);
}

int
cpulist_parse(const char *s, int ncpus, cpu_set_t *out, char **cause)
{
	const char	*p = s;
	int		 lo, hi, i, negate, any = 0;

	CPU_ZERO(out);
	while (isspace((unsigned char)*p))
		p++;
	if (strcmp(p, "all") == 0) {
		for (i = 0; i < ncpus && i < CPU_SETSIZE; i++)
			CPU_SET(i, out);
		return (0);
	}
	if (*p == '\0') {
		*cause = xstrdup("empty CPU list");
		return (-1);
	}
	for (;;) {
		negate = *p == '^';
		if (negate)
			p++;
		if (parse_cpu(&p, ncpus, &lo, cause) != 0)
			return (-1);
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_cpu(&p, ncpus, &hi, cause) != 0)
				return (-1);
			if (hi < lo) {
				*cause = xsprintf("bad CPU range %d-%d", lo, hi);
				return (-1);
			}
		}
		for (i = lo; i <= hi; i++) {
			if (negate)
				CPU_CLR(i, out);
			else {
				CPU_SET(i, out);
				any = 1;
			}
		}
		if (*p == '\0')
			break;
		if (*p != ',') {
			*cause = xsprintf("unexpected '%c' in CPU list '%s'",
			    *p, s);
			return (-1);
		}
		p++;
	}
	if (!any || CPU_COUNT(out) == 0) {
		*cause = xsprintf("CPU list '%s' leaves no CPU", s);
		return (-1);
	}
	return (0);
}

char *
cpulist_format(const cpu_set_t *set, int ncpus)
{
	char	*out = xstrdup(""), *tmp;
	int	 i, j;

	for (i = 0; i < ncpus && i < CPU_SETSIZE; i++) {
		if (!CPU_ISSET(i, set))
			continue;
		for (j = i; j + 1 < ncpus && CPU_ISSET(j + 1, set); j++)
			;
		if (j == i)
			xasprintf(&tmp, "%s%s%d", out, *out ? "," : "", i);
		else
			xasprintf(&tmp, "%s%s%d-%d", out, *out ? "," : "", i, j);
		free(out);
		out = tmp;
		i = j;
	}
	return (out);
}
