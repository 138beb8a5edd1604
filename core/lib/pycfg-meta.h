/*
 * pycfg-meta.h: library-internal (pycfg.c -> domcfg.c), not part of the
 * public domcfg.h API.  Where each variable of a recent pycfg_eval was
 * assigned and which were helpers (referenced by another expression, or
 * command-line overrides): {"lines": {name: line}, "helpers": {name: true}},
 * or NULL when vars did not come from one of the last few evaluations.
 * pycfg.c keeps a reference to each of those vars, so a stale pointer can
 * never match.  The result is borrowed.
 */
#ifndef PYCFG_META_H
#define PYCFG_META_H

#include <jansson.h>

const json_t	*pycfg_meta(const json_t *vars);

#endif
