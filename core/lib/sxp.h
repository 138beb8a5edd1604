/*
 * sxp.h: S-expressions as Xen writes them: (name value ...) lists of atoms
 * and lists.  Atoms may be bare (foo, 64, /dev/sda1) or quoted with ' or "
 * and backslash escapes; '#' starts a comment to end of line.
 *
 * Ownership: a list owns its items; sxp_free frees a whole tree.  Strings
 * returned by lookups point into the tree and live as long as it does.
 */
#ifndef SXP_H
#define SXP_H

#include <stddef.h>

enum sxp_type { SXP_ATOM, SXP_LIST };

struct sxp {
	enum sxp_type	  type;
	char		 *atom;		/* SXP_ATOM */
	struct sxp	**items;	/* SXP_LIST */
	size_t		  n;
	int		  line;		/* where it started, 1-based */
};

/*
 * Parses every top-level expression in text into one SXP_LIST holding them.
 * Errors name file:line.  Nesting deeper than SXP_MAX_DEPTH is refused.
 */
#define SXP_MAX_DEPTH 64
int		 sxp_parse(const char *text, size_t len, const char *file,
		     struct sxp **out, char **cause);
void		 sxp_free(struct sxp *);

struct sxp	*sxp_atom_new(const char *);
struct sxp	*sxp_list_new(const char *name);	/* name may be NULL */
/* Appends item (ownership moves to list); returns item. */
struct sxp	*sxp_add(struct sxp *list, struct sxp *item);
struct sxp	*sxp_add_pair(struct sxp *list, const char *name,
		     const char *value);

/* The first atom of a list, or NULL. */
const char	*sxp_name(const struct sxp *);
/* The first child list of list whose name is name, or NULL. */
struct sxp	*sxp_child(const struct sxp *list, const char *name);
/* For (name value): the value atom of child name, or dflt. */
const char	*sxp_child_value(const struct sxp *list, const char *name,
		     const char *dflt);

/* Prints an expression; pretty puts nested lists on indented lines. */
char		*sxp_print(const struct sxp *, int pretty);

#endif
