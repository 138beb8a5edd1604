/*
 * fuzz-domcfg.h: the typed-struct property both config targets check:
 * every config that validates converts to struct domcfg and back to the
 * same JSON, and yields a kernel command line.
 */
#ifndef FUZZ_DOMCFG_H
#define FUZZ_DOMCFG_H

#include <stdio.h>
#include <stdlib.h>

#include "domcfg.h"

static void
fuzz_domcfg_struct(const json_t *c)
{
	struct domcfg	*dc;
	json_t		*j;
	char		*cause = NULL;

	if ((dc = domcfg_from_json(c, &cause)) == NULL) {
		free(cause);
		return;
	}
	j = domcfg_to_json(dc);
	if (!json_equal(c, j)) {
		fprintf(stderr, "struct round trip changed the config\n");
		abort();
	}
	json_decref(j);
	free(domcfg_cmdline(dc));
	domcfg_free(dc);
}

#endif
