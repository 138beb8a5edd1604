/*
 * mkman.c: writes the man pages and xm's bash completion from the tables
 * the programs themselves run on, so nothing is written twice:
 *
 *   mkman TEMPLATE > OUTPUT
 *
 * copies TEMPLATE (hand-written troff or shell, under docs/man/) and
 * replaces each line that is one of these words with what it names:
 *
 *   @XM_COMMANDS@       xm's commands from its command table (xm.h)
 *   @XM_UNAVAILABLE@    the manuals' commands xm answers "not available"
 *   @XENDCFG_KEYS@      every xend-config.sxp key (xendcfg.c), with help
 *   @XENDCFG_KEYS PFX@  those whose name starts with PFX
 *   @DOMCFG_KEYS@       every domain config key (domcfg.c), with help
 *   @DOMCFG_IGNORED@    the real Xen keys accepted and ignored
 *   @XM_COMPLETION@     bash case arms: each command's options and the
 *                       kind of its arguments
 *
 * and @VERSION@ anywhere in a line.  Build-time only; not installed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "domcfg.h"
#include "xendcfg.h"
#include "../../core/xm/xm.h"

/* Text for a troff line: backslashes and dashes escaped. */
static void
roff_text(FILE *f, const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '\\':
			fputs("\\e", f);
			break;
		case '-':
			fputs("\\-", f);
			break;
		case '\'':
			/* Only at a line's start is it a control character. */
			if (i == 0)
				fputs("\\&", f);
			fputc('\'', f);
			break;
		case '.':
			if (i == 0)
				fputs("\\&", f);
			fputc('.', f);
			break;
		default:
			fputc(s[i], f);
		}
	}
}

static void
roff_line(FILE *f, const char *s)
{
	roff_text(f, s, strlen(s));
	fputc('\n', f);
}

/* An option's term: the text before the first run of two spaces. */
static const char *
term_end(const char *line)
{
	const char	*p = strstr(line, "  ");

	return (p);
}

/*
 * A command's detail text is written for a terminal: "  -x, --long  what"
 * items with indented continuation lines, and paragraphs.  Items become
 * .TP entries, paragraphs filled text.
 */
static void
man_detail(FILE *f, const char *detail)
{
	char		*copy = xstrdup(detail), *line, *next, *t, *p;
	int		 in_item = 0, in_para = 0;
	size_t		 lead;

	for (line = copy; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lead = strspn(line, " ");
		p = line + lead;
		if (*p == '\0') {
			in_item = in_para = 0;
			continue;
		}
		if (lead >= 2 && lead <= 6 && (t = (char *)term_end(p)) !=
		    NULL) {
			fputs(".TP\n.B ", f);
			roff_text(f, p, t - p);
			fputc('\n', f);
			roff_line(f, t + strspn(t, " "));
			in_item = 1;
			continue;
		}
		if (in_item && lead > 6) {
			roff_line(f, p);
			continue;
		}
		if (!in_para) {
			fputs(in_item ? ".IP\n" : ".PP\n", f);
			in_para = 1;
		}
		roff_line(f, p);
	}
	free(copy);
}

static void
man_xm_commands(FILE *f)
{
	const struct xm_cmd	*c;
	size_t			 i;

	for (i = 0; xm_commands[i] != NULL; i++) {
		c = xm_commands[i];
		fputs(".SS \"", f);
		roff_text(f, c->name, strlen(c->name));
		if (*c->args != '\0') {
			fputc(' ', f);
			roff_text(f, c->args, strlen(c->args));
		}
		fputs("\"\n", f);
		/* The summary is a sentence here. */
		fprintf(f, ".PP\n%c", toupper((unsigned char)c->summary[0]));
		roff_text(f, c->summary + 1, strlen(c->summary + 1));
		fputs(".", f);
		if (c->alias != NULL) {
			fputs("  Also: \\fBxm ", f);
			roff_text(f, c->alias, strlen(c->alias));
			fputs("\\fR.", f);
		}
		if (c->old_name != NULL) {
			fputs("  Xen 2.0 name: \\fBxm ", f);
			roff_text(f, c->old_name, strlen(c->old_name));
			fputs("\\fR (deprecated).", f);
		}
		fputc('\n', f);
		man_detail(f, c->detail);
	}
}

static void
man_xm_unavailable(FILE *f)
{
	size_t	 i;

	for (i = 0; xm_unavailable[i].name != NULL; i++) {
		fputs(".TP\n.B ", f);
		roff_line(f, xm_unavailable[i].name);
		roff_line(f, xm_unavailable[i].why);
	}
}

static void
man_xendcfg_keys(FILE *f, const char *prefix)
{
	const struct xendcfg_opt	*o;
	size_t				 i;

	for (i = 0; i < xendcfg_nopts; i++) {
		o = &xendcfg_opts[i];
		if (prefix != NULL && strncmp(o->name, prefix,
		    strlen(prefix)) != 0)
			continue;
		fputs(".TP\n.B \"(", f);
		roff_text(f, o->name, strlen(o->name));
		fputc(' ', f);
		if (*o->dflt == '\0')
			fputs("''", f);
		else
			roff_text(f, o->dflt, strlen(o->dflt));
		fputs(")\"\n", f);
		roff_line(f, o->help);
		if (o->type == XENDCFG_INT)
			fprintf(f, "A number from %ld to %ld.\n", o->min, o->max);
		else if (o->type == XENDCFG_BOOL)
			fputs("Either yes or no.\n", f);
		if (o->inert != NULL) {
			fputs("Accepted but not acted on in this version: ", f);
			roff_text(f, o->inert, strlen(o->inert));
			fputs("; xend warns when it is set to other than its "
			    "default.\n", f);
		}
	}
}

static void
man_domcfg_keys(FILE *f)
{
	const char	*name, *help;
	size_t		 i;

	for (i = 0; (name = domcfg_key_doc(i, &help)) != NULL; i++) {
		fputs(".TP\n.B ", f);
		roff_line(f, name);
		roff_line(f, help);
	}
}

static void
man_domcfg_ignored(FILE *f)
{
	const char	*name;
	size_t		 i;

	for (i = 0; (name = domcfg_ignored_key(i)) != NULL; i++) {
		roff_text(f, name, strlen(name));
		fputs(domcfg_ignored_key(i + 1) != NULL ? ",\n" : ".\n", f);
	}
}

/* What a command's positional arguments are, from its usage. */
static const char *
arg_kind(const struct xm_cmd *c)
{
	if (strstr(c->args, "CONFIG") != NULL)
		return ("config");
	if (strstr(c->args, "COMMAND") != NULL)
		return ("command");
	if (strstr(c->args, "DOM") != NULL || strstr(c->args, "NAME") != NULL)
		return ("domain");
	if (strstr(c->args, "ID") != NULL)
		return ("domid");
	return ("none");
}

/* What an option's value is, from its long name. */
static const char *
value_kind(const char *name)
{
	if (strcmp(name, "domain") == 0)
		return ("domain");
	if (strcmp(name, "config") == 0 || strcmp(name, "defconfig") == 0)
		return ("file");
	return ("none");
}

/*
 * One bash case arm per command name (aliases and 2.0 names too):
 *   NAME) opts="..."; args=KIND; vals="-x:KIND ..." ;;
 */
static void
completion_arm(FILE *f, const struct xm_cmd *c, const char *name)
{
	const struct option	*lo;
	const char		*o;
	int			 takes;

	fprintf(f, "\t%s)\n\t\topts=\"-h --help", name);
	for (o = c->options; o != NULL && *o != '\0'; o++) {
		if (*o != ':')
			fprintf(f, " -%c", *o);
	}
	for (lo = c->longopts; lo != NULL && lo->name != NULL; lo++)
		fprintf(f, " --%s%s", lo->name, lo->has_arg ? "=" : "");
	fprintf(f, "\"\n\t\targs=%s\n\t\tvals=\"", arg_kind(c));
	for (lo = c->longopts; lo != NULL && lo->name != NULL; lo++) {
		if (!lo->has_arg)
			continue;
		takes = lo->val < XM_LONG;
		if (takes)
			fprintf(f, "-%c:%s ", lo->val, value_kind(lo->name));
		fprintf(f, "--%s:%s ", lo->name, value_kind(lo->name));
	}
	fputs("\"\n\t\t;;\n", f);
}

static void
completion(FILE *f)
{
	const struct xm_cmd	*c;
	size_t			 i;

	for (i = 0; xm_commands[i] != NULL; i++) {
		c = xm_commands[i];
		completion_arm(f, c, c->name);
		if (c->alias != NULL)
			completion_arm(f, c, c->alias);
		if (c->old_name != NULL)
			completion_arm(f, c, c->old_name);
	}
}

/* The command names for the completion's word list. */
static void
completion_names(FILE *f)
{
	const struct xm_cmd	*c;
	size_t			 i;

	fputs("_xm_commands=\"", f);
	for (i = 0; xm_commands[i] != NULL; i++) {
		c = xm_commands[i];
		fprintf(f, "%s%s", i > 0 ? " " : "", c->name);
		if (c->alias != NULL)
			fprintf(f, " %s", c->alias);
		if (c->old_name != NULL)
			fprintf(f, " %s", c->old_name);
	}
	fputs("\"\n", f);
}

static void
put_line(FILE *f, const char *line)
{
	const char	*p;

	while ((p = strstr(line, "@VERSION@")) != NULL) {
		fwrite(line, 1, p - line, f);
		fputs(XEN_VERSION, f);
		line = p + strlen("@VERSION@");
	}
	fputs(line, f);
}

int
main(int argc, char **argv)
{
	FILE	*in, *out = stdout;
	char	*line = NULL;
	size_t	 size = 0;
	ssize_t	 n;

	if (argc != 2) {
		fprintf(stderr, "usage: mkman TEMPLATE > OUTPUT\n");
		return (2);
	}
	if ((in = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return (1);
	}
	while ((n = getline(&line, &size, in)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (strcmp(line, "@XM_COMMANDS@") == 0)
			man_xm_commands(out);
		else if (strcmp(line, "@XM_UNAVAILABLE@") == 0)
			man_xm_unavailable(out);
		else if (strcmp(line, "@XENDCFG_KEYS@") == 0)
			man_xendcfg_keys(out, NULL);
		else if (strncmp(line, "@XENDCFG_KEYS ", 14) == 0 &&
		    line[n - 1] == '@') {
			line[n - 1] = '\0';
			man_xendcfg_keys(out, line + 14);
		} else if (strcmp(line, "@DOMCFG_KEYS@") == 0)
			man_domcfg_keys(out);
		else if (strcmp(line, "@DOMCFG_IGNORED@") == 0)
			man_domcfg_ignored(out);
		else if (strcmp(line, "@XM_COMPLETION@") == 0)
			completion(out);
		else if (strcmp(line, "@XM_COMMAND_NAMES@") == 0)
			completion_names(out);
		else {
			put_line(out, line);
			fputc('\n', out);
		}
	}
	free(line);
	fclose(in);
	if (fflush(out) != 0 || ferror(out)) {
		perror("mkman: write");
		return (1);
	}
	return (0);
}
