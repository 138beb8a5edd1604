/* sxp.c: S-expression parser and printer. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "sxp.h"

struct sxp_parser {
	const char	*p;
	const char	*end;
	const char	*file;
	int		 line;
	char		*cause;
};

struct sxp *
sxp_atom_new(const char *s)
{
	struct sxp	*x = xcalloc(1, sizeof *x);

	x->type = SXP_ATOM;
	x->atom = xstrdup(s);
	return (x);
}

struct sxp *
sxp_list_new(const char *name)
{
	struct sxp	*x = xcalloc(1, sizeof *x);

	x->type = SXP_LIST;
	if (name != NULL)
		sxp_add(x, sxp_atom_new(name));
	return (x);
}

struct sxp *
sxp_add(struct sxp *list, struct sxp *item)
{
	list->items = xreallocarray(list->items, list->n + 1,
	    sizeof *list->items);
	list->items[list->n++] = item;
	return (item);
}

struct sxp *
sxp_add_pair(struct sxp *list, const char *name, const char *value)
{
	struct sxp	*pair = sxp_list_new(name);

	sxp_add(pair, sxp_atom_new(value));
	return (sxp_add(list, pair));
}

void
sxp_free(struct sxp *x)
{
	size_t	 i;

	if (x == NULL)
		return;
	for (i = 0; i < x->n; i++)
		sxp_free(x->items[i]);
	free(x->items);
	free(x->atom);
	free(x);
}

const char *
sxp_name(const struct sxp *x)
{
	if (x == NULL || x->type != SXP_LIST || x->n == 0 ||
	    x->items[0]->type != SXP_ATOM)
		return (NULL);
	return (x->items[0]->atom);
}

struct sxp *
sxp_child(const struct sxp *list, const char *name)
{
	size_t		 i;
	const char	*n;

	if (list == NULL || list->type != SXP_LIST)
		return (NULL);
	for (i = 0; i < list->n; i++) {
		n = sxp_name(list->items[i]);
		if (n != NULL && strcmp(n, name) == 0)
			return (list->items[i]);
	}
	return (NULL);
}

const char *
sxp_child_value(const struct sxp *list, const char *name, const char *dflt)
{
	struct sxp	*c = sxp_child(list, name);

	if (c == NULL || c->n < 2 || c->items[1]->type != SXP_ATOM)
		return (dflt);
	return (c->items[1]->atom);
}

static void
sxp_error(struct sxp_parser *sp, const char *what)
{
	if (sp->cause == NULL)
		sp->cause = xsprintf("%s:%d: %s", sp->file, sp->line, what);
}

static void
sxp_skip(struct sxp_parser *sp)
{
	while (sp->p < sp->end) {
		if (*sp->p == '\n') {
			sp->line++;
			sp->p++;
		} else if (isspace((unsigned char)*sp->p))
			sp->p++;
		else if (*sp->p == '#' || *sp->p == ';') {
			while (sp->p < sp->end && *sp->p != '\n')
				sp->p++;
		} else
			break;
	}
}

static struct sxp *
sxp_parse_atom(struct sxp_parser *sp)
{
	char		*buf;
	size_t		 used = 0, size = 64;
	char		 quote = 0, c;
	struct sxp	*x;
	int		 line = sp->line;

	buf = xmalloc(size);
	if (*sp->p == '\'' || *sp->p == '"')
		quote = *sp->p++;
	for (;;) {
		if (sp->p >= sp->end) {
			if (quote) {
				sp->line = line;
				sxp_error(sp, "unterminated string");
				free(buf);
				return (NULL);
			}
			break;
		}
		c = *sp->p;
		if (quote) {
			sp->p++;
			if (c == quote)
				break;
			if (c == '\n')
				sp->line++;
			if (c == '\\' && sp->p < sp->end) {
				c = *sp->p++;
				switch (c) {
				case 'n': c = '\n'; break;
				case 't': c = '\t'; break;
				case 'r': c = '\r'; break;
				case '0': c = '\0'; break;
				case 'x':
					/* \xNN, as the printer writes them. */
					if (sp->end - sp->p >= 2 &&
					    hex_value(sp->p[0]) != -1 &&
					    hex_value(sp->p[1]) != -1) {
						c = hex_value(sp->p[0]) * 16 +
						    hex_value(sp->p[1]);
						sp->p += 2;
					}
					break;
				}
			}
		} else {
			if (isspace((unsigned char)c) || c == '(' || c == ')' ||
			    c == '#' || c == ';')
				break;
			sp->p++;
		}
		if (c == '\0') {
			sxp_error(sp, "NUL byte in atom");
			free(buf);
			return (NULL);
		}
		if (used + 1 >= size)
			buf = xrealloc(buf, size *= 2);
		buf[used++] = c;
	}
	buf[used] = '\0';
	x = xcalloc(1, sizeof *x);
	x->type = SXP_ATOM;
	x->atom = buf;
	x->line = line;
	return (x);
}

static struct sxp *
sxp_parse_expr(struct sxp_parser *sp, int depth)
{
	struct sxp	*list, *item;

	if (*sp->p != '(')
		return (sxp_parse_atom(sp));
	if (depth >= SXP_MAX_DEPTH) {
		sxp_error(sp, "nested too deeply");
		return (NULL);
	}
	list = sxp_list_new(NULL);
	list->line = sp->line;
	sp->p++;
	for (;;) {
		sxp_skip(sp);
		if (sp->p >= sp->end) {
			sp->line = list->line;
			sxp_error(sp, "unbalanced '(': missing ')'");
			sxp_free(list);
			return (NULL);
		}
		if (*sp->p == ')') {
			sp->p++;
			return (list);
		}
		if ((item = sxp_parse_expr(sp, depth + 1)) == NULL) {
			sxp_free(list);
			return (NULL);
		}
		sxp_add(list, item);
	}
}

int
sxp_parse(const char *text, size_t len, const char *file, struct sxp **out,
    char **cause)
{
	struct sxp_parser	 sp = { text, text + len, file, 1, NULL };
	struct sxp		*top, *item;

	top = sxp_list_new(NULL);
	top->line = 1;
	for (;;) {
		sxp_skip(&sp);
		if (sp.p >= sp.end)
			break;
		if (*sp.p == ')') {
			sxp_error(&sp, "unbalanced ')'");
			goto fail;
		}
		if ((item = sxp_parse_expr(&sp, 0)) == NULL)
			goto fail;
		sxp_add(top, item);
	}
	*out = top;
	return (0);

fail:
	sxp_free(top);
	*cause = sp.cause != NULL ? sp.cause : xstrdup("sxp parse error");
	return (-1);
}

struct sxp_buf {
	char	*s;
	size_t	 len;
	size_t	 size;
};

static void
buf_add(struct sxp_buf *b, const char *s, size_t n)
{
	while (b->len + n + 1 > b->size)
		b->s = xrealloc(b->s, b->size = b->size ? b->size * 2 : 256);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
buf_addc(struct sxp_buf *b, char c)
{
	buf_add(b, &c, 1);
}

static int
atom_needs_quote(const char *s)
{
	if (*s == '\0')
		return (1);
	for (; *s != '\0'; s++) {
		if (isspace((unsigned char)*s) || *s == '(' || *s == ')' ||
		    *s == '\'' || *s == '"' || *s == '#' || *s == ';' ||
		    *s == '\\' || !isprint((unsigned char)*s))
			return (1);
	}
	return (0);
}

static void
print_atom(struct sxp_buf *b, const char *s)
{
	if (!atom_needs_quote(s)) {
		buf_add(b, s, strlen(s));
		return;
	}
	buf_addc(b, '\'');
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\'': buf_add(b, "\\'", 2); break;
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		default:
			/* No raw control characters for a terminal to act on. */
			if ((unsigned char)*s < 0x20 || *s == 0x7f) {
				char	 hex[5];

				snprintf(hex, sizeof hex, "\\x%02x",
				    (unsigned char)*s);
				buf_add(b, hex, 4);
			} else
				buf_addc(b, *s);
			break;
		}
	}
	buf_addc(b, '\'');
}

static void
print_expr(struct sxp_buf *b, const struct sxp *x, int pretty, int indent)
{
	size_t	 i;
	int	 j;

	if (x->type == SXP_ATOM) {
		print_atom(b, x->atom);
		return;
	}
	buf_addc(b, '(');
	for (i = 0; i < x->n; i++) {
		if (i > 0) {
			if (pretty && x->items[i]->type == SXP_LIST) {
				buf_addc(b, '\n');
				for (j = 0; j < indent + 4; j++)
					buf_addc(b, ' ');
			} else
				buf_addc(b, ' ');
		}
		print_expr(b, x->items[i], pretty, indent + 4);
	}
	buf_addc(b, ')');
}

char *
sxp_print(const struct sxp *x, int pretty)
{
	struct sxp_buf	 b = { NULL, 0, 0 };

	print_expr(&b, x, pretty, 0);
	if (b.s == NULL)
		return (xstrdup(""));
	return (b.s);
}
