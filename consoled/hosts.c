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
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "consoled.h"

static regex_t	*hosts_re;
static size_t	 hosts_n;

int
hosts_allow_init(const char *patterns, char **cause)
{
	char	*copy, *word, *save, *anchored, err[128];
	int	 r;

	hosts_allow_free();
	copy = xstrdup(patterns);
	for (word = strtok_r(copy, " \t", &save); word != NULL;
	    word = strtok_r(NULL, " \t", &save)) {
		hosts_re = xreallocarray(hosts_re, hosts_n + 1,
		    sizeof *hosts_re);
		anchored = xsprintf("^(%s)$", word);
		r = regcomp(&hosts_re[hosts_n], anchored,
		    REG_EXTENDED | REG_NOSUB | REG_ICASE);
		free(anchored);
		if (r != 0) {
			regerror(r, &hosts_re[hosts_n], err, sizeof err);
			*cause = xsprintf("console-hosts-allow: bad pattern "
			    "'%s': %s", word, err);
			free(copy);
			return (-1);
		}
		hosts_n++;
	}
	free(copy);
	return (0);
}

int
hosts_allowed(const char *addr)
{
	size_t	 i;

	for (i = 0; i < hosts_n; i++) {
		if (regexec(&hosts_re[i], addr, 0, NULL, 0) == 0)
			return (1);
	}
	return (0);
}

void
hosts_allow_free(void)
{
	size_t	 i;

	for (i = 0; i < hosts_n; i++)
		regfree(&hosts_re[i]);
	free(hosts_re);
	hosts_re = NULL;
	hosts_n = 0;
}
