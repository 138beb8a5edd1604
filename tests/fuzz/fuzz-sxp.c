/*
 * fuzz-sxp.c: sxp_parse on arbitrary bytes, then two properties:
 * printing is a fixed point (print(parse(print(x))) == print(x)), and
 * a (vm ...) config survives domcfg_to_sxp/domcfg_from_sxp unchanged.
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

static struct sxp *
reparse(const char *text)
{
	struct sxp	*top;
	char		*cause;

	if (sxp_parse(text, strlen(text), "printed", &top, &cause) != 0) {
		fprintf(stderr, "printed form does not parse: %s\n%s\n", cause,
		    text);
		abort();
	}
	return (top);
}

static void
check_print(const struct sxp *x, int pretty)
{
	struct sxp	*top;
	char		*one, *two;

	one = sxp_print(x, pretty);
	top = reparse(one);
	if (top->n != 1) {
		fprintf(stderr, "printed form has %zu items\n%s\n", top->n,
		    one);
		abort();
	}
	two = sxp_print(top->items[0], pretty);
	if (strcmp(one, two) != 0) {
		fprintf(stderr, "print is not a fixed point:\n%s\n%s\n", one,
		    two);
		abort();
	}
	free(one);
	free(two);
	sxp_free(top);
}

static int
absolute_paths(const json_t *c)
{
	const json_t	*d;
	const char	*s;
	size_t		 i;

	if ((s = json_string_value(json_object_get(c, "kernel"))) == NULL ||
	    s[0] != '/')
		return (0);
	s = json_string_value(json_object_get(c, "ramdisk"));
	if (s != NULL && s[0] != '/')
		return (0);
	json_array_foreach(json_object_get(c, "disks"), i, d) {
		s = json_string_value(json_object_get(d, "uname"));
		if (strchr(s, ':')[1] != '/')
			return (0);
	}
	return (1);
}

static void
check_config(const struct sxp *top)
{
	json_t		*c = NULL, *c2 = NULL, *w = NULL;
	struct sxp	*x, *again;
	char		*cause = NULL, *text;

	if (domcfg_from_sxp(top, "fuzz", &c, &w, &cause) != 0) {
		free(cause);
		json_decref(w);
		return;
	}
	json_decref(w);
	w = NULL;
	if (absolute_paths(c) && domcfg_validate(c, &cause) != 0) {
		fprintf(stderr, "from_sxp result does not validate: %s\n",
		    cause);
		abort();
	}
	x = domcfg_to_sxp(c);
	text = sxp_print(x, 1);
	again = reparse(text);
	if (domcfg_from_sxp(again, "again", &c2, &w, &cause) != 0) {
		fprintf(stderr, "to_sxp output is refused: %s\n%s\n", cause,
		    text);
		abort();
	}
	if (!json_equal(c, c2)) {
		fprintf(stderr, "round trip changed the config:\n%s\n", text);
		abort();
	}
	fuzz_domcfg_struct(c);
	free(text);
	sxp_free(x);
	sxp_free(again);
	json_decref(w);
	json_decref(c);
	json_decref(c2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sxp	*top;
	char		*cause;
	size_t		 i;

	if (sxp_parse((const char *)data, size, "fuzz", &top, &cause) != 0) {
		free(cause);
		return (0);
	}
	for (i = 0; i < top->n; i++) {
		check_print(top->items[i], 0);
		check_print(top->items[i], 1);
	}
	(void)sxp_name(top);
	(void)sxp_child_value(top, "vm", NULL);
	check_config(top);
	sxp_free(top);
	return (0);
}
