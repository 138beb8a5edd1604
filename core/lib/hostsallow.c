/* hostsallow.c: lists of anchored regular expressions for peers. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "hostsallow.h"

struct hostsallow {
	regex_t	*re;
	size_t	 n;
};

int
hostsallow_compile(const char *key, const char *patterns,
    struct hostsallow **out, char **cause)
{
	struct hostsallow	*h = xcalloc(1, sizeof *h);
	char			*copy, *word, *save, *anchored, err[128];
	int			 r;

	copy = xstrdup(patterns);
	for (word = strtok_r(copy, " \t", &save); word != NULL;
	    word = strtok_r(NULL, " \t", &save)) {
		h->re = xreallocarray(h->re, h->n + 1, sizeof *h->re);
		anchored = xsprintf("^(%s)$", word);
		r = regcomp(&h->re[h->n], anchored,
		    REG_EXTENDED | REG_NOSUB | REG_ICASE);
		free(anchored);
		if (r != 0) {
			regerror(r, &h->re[h->n], err, sizeof err);
			*cause = xsprintf("%s: bad pattern '%s': %s", key, word,
			    err);
			free(copy);
			hostsallow_free(h);
			return (-1);
		}
		h->n++;
	}
	free(copy);
	*out = h;
	return (0);
}

int
hostsallow_match(const struct hostsallow *h, const char *s)
{
	size_t	 i;

	for (i = 0; h != NULL && i < h->n; i++) {
		if (regexec(&h->re[i], s, 0, NULL, 0) == 0)
			return (1);
	}
	return (0);
}

size_t
hostsallow_count(const struct hostsallow *h)
{
	return (h != NULL ? h->n : 0);
}

void
hostsallow_free(struct hostsallow *h)
{
	size_t	 i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++)
		regfree(&h->re[i]);
	free(h->re);
	free(h);
}
