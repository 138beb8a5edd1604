/*
 * pycfg.h: the manual's Python-like domain config file (name = value
 * lines, strings, numbers, lists, tuples, comments, '%' formatting,
 * + - * / arithmetic, variable references) evaluated into a JSON object of
 * variables, which domcfg_build turns into a domain config.
 */
#ifndef PYCFG_H
#define PYCFG_H

#include <stddef.h>

#include <jansson.h>

/* A name=value from the xm command line. */
struct domcfg_override {
	const char	*name;
	const char	*value;
};

/*
 * Evaluates a Python-like config.  Overrides are defined before the file
 * runs (so the file can use vmid) and win over the file's own assignment
 * of the same name.  An override value that reads as an integer is an
 * integer, otherwise a string.  *vars gets one key per top-level variable.
 *
 * *meta (if meta is not NULL) gets where each variable was assigned and
 * which were helpers (referenced by another expression, or command-line
 * overrides): {"lines": {name: line}, "helpers": {name: true}}; hand it
 * to domcfg_build so its messages carry file:line.  Both are new
 * references the caller decrefs.
 */
int	pycfg_eval(const char *text, size_t len, const char *file,
	    const struct domcfg_override *, size_t noverrides,
	    json_t **vars, json_t **meta, char **cause);

#endif
