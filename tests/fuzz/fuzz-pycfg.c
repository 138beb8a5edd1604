/*
 * fuzz-pycfg.c: pycfg_eval on arbitrary bytes (with vmid=1 on the
 * "command line"), then domcfg_build on the result.  Properties: every
 * value is valid JSON (so valid UTF-8), a built config validates, and it
 * survives domcfg_to_sxp/domcfg_from_sxp unchanged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "domcfg.h"
#include "fuzz-domcfg.h"
#include "sxp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct domcfg_override fuzz_overrides[] = {
	{ "vmid", "1" },
	{ "flag", "yes" },
};

static void
check_config(const json_t *c)
{
	json_t		*c2 = NULL, *w = NULL;
	struct sxp	*x, *top;
	char		*cause = NULL, *text;

	if (domcfg_validate(c, &cause) != 0) {
		fprintf(stderr, "built config does not validate: %s\n", cause);
		abort();
	}
	x = domcfg_to_sxp(c);
	text = sxp_print(x, 1);
	if (sxp_parse(text, strlen(text), "printed", &top, &cause) != 0) {
		fprintf(stderr, "to_sxp output does not parse: %s\n", cause);
		abort();
	}
	if (domcfg_from_sxp(top, "printed", &c2, &w, &cause) != 0) {
		fprintf(stderr, "to_sxp output is refused: %s\n%s\n", cause,
		    text);
		abort();
	}
	if (!json_equal(c, c2)) {
		fprintf(stderr, "SXP round trip changed the config:\n%s\n",
		    text);
		abort();
	}
	fuzz_domcfg_struct(c);
	free(text);
	sxp_free(x);
	sxp_free(top);
	json_decref(c2);
	json_decref(w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t	*vars = NULL, *meta = NULL, *config = NULL, *warnings = NULL;
	char	*cause = NULL, *dump;

	if (pycfg_eval((const char *)data, size, "fuzz", fuzz_overrides,
	    nitems(fuzz_overrides), &vars, &meta, &cause) != 0) {
		if (cause == NULL || strncmp(cause, "fuzz:", 5) != 0) {
			fprintf(stderr, "bad cause: %s\n", cause);
			abort();
		}
		free(cause);
		return (0);
	}
	if ((dump = json_dumps(vars, JSON_COMPACT)) == NULL) {
		fprintf(stderr, "variables do not serialise\n");
		abort();
	}
	free(dump);
	if (domcfg_build(vars, meta, "fuzz", "/etc/xen", &config,
	    &warnings, &cause) == 0) {
		check_config(config);
		json_decref(config);
	} else
		free(cause);
	json_decref(warnings);
	json_decref(vars);
	json_decref(meta);
	return (0);
}
