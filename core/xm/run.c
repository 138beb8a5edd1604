/*
 * run.c: xm's dispatch.  The command's argument spec is checked here,
 * before its handler runs and before xend is asked anything, so every
 * command answers -h, --help and usage errors the same way.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "xm.h"

static const struct option xm_help_option = {
	"help", no_argument, NULL, 'h'
};

/* Says what was wrong with the option word: unknown, or lacks a value. */
static void
args_bad_option(struct xm_ctx *ctx, int ch, const char *word)
{
	const char	*name = ctx->cmd->name;
	const char	*what = ch == ':' ? "needs a value" : NULL;
	int		 len;

	if (strncmp(word, "--", 2) == 0) {
		len = strcspn(word, "=");
		if (what != NULL)
			fprintf(stderr, "xm %s: option %.*s %s\n", name, len,
			    word, what);
		else
			fprintf(stderr, "xm %s: unknown option %.*s\n", name,
			    len, word);
	} else if (what != NULL)
		fprintf(stderr, "xm %s: option -%c %s\n", name, optopt, what);
	else
		fprintf(stderr, "xm %s: unknown option -%c\n", name, optopt);
}

int
xm_args_parse(struct xm_ctx *ctx, int argc, char **argv, int *first)
{
	const struct xm_cmd	*c = ctx->cmd;
	struct option		*lo;
	char			*opts;
	size_t			 n = 0;
	int			 ch, rc = 0, npos;

	memset(ctx->opt, 0, sizeof ctx->opt);
	while (c->longopts != NULL && c->longopts[n].name != NULL)
		n++;
	lo = xcalloc(n + 2, sizeof *lo);
	if (n > 0)
		memcpy(lo, c->longopts, n * sizeof *lo);
	lo[n] = xm_help_option;
	/* ':' first: a missing value is told apart from an unknown option. */
	xasprintf(&opts, ":%sh", c->options != NULL ? c->options : "");

	opterr = 0;
	optind = 0;	/* a full reset: xm_run may run more than once */
	while ((ch = getopt_long(argc, argv, opts, lo, NULL)) != -1) {
		if (ch == 'h') {
			rc = 1;
			break;
		}
		if (ch == '?' || ch == ':') {
			args_bad_option(ctx, ch, argv[optind - 1]);
			rc = -1;
			break;
		}
		if (ch <= 0 || ch >= XM_OPT_MAX)
			fatalx("xm %s: option value %d out of range", c->name, ch);
		ctx->opt[ch] = optarg != NULL ? optarg : "";
	}
	free(opts);
	free(lo);
	if (rc != 0)
		return (rc);
	*first = optind;
	npos = argc - optind;
	if (npos < c->min_args || (c->max_args >= 0 && npos > c->max_args)) {
		if (npos < c->min_args)
			fprintf(stderr, "xm %s: missing argument\n", c->name);
		else
			fprintf(stderr, "xm %s: unexpected argument '%s'\n",
			    c->name, argv[optind + c->max_args]);
		return (-1);
	}
	return (0);
}

int
xm_run(int argc, char **argv)
{
	struct xm_ctx		 ctx;
	const struct xm_cmd	*cmd;
	char			*cause, **args;
	int			 rc, first;

	memset(&ctx, 0, sizeof ctx);
	if (argc < 1) {
		ctx.cmd = &cmd_help;
		return (cmd_help.exec(&ctx, 0, argv));
	}
	if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0) {
		ctx.cmd = &cmd_help;
		return (cmd_help.exec(&ctx, argc > 1 ? 1 : 0, argv + 1));
	}
	if (strcmp(argv[0], "-V") == 0 || strcmp(argv[0], "--version") == 0) {
		printf("xm %s\n", XEN_VERSION);
		return (0);
	}
	if ((cmd = xm_lookup(argv[0], &cause)) == NULL) {
		fprintf(stderr, "xm: %s\n", cause);
		free(cause);
		return (2);
	}
	ctx.cmd = cmd;
	ctx.invoked = argv[0];
	if (cmd->old_name != NULL && strcmp(argv[0], cmd->old_name) == 0)
		fprintf(stderr, "xm: warning: '%s' is deprecated, use '%s'\n",
		    cmd->old_name, cmd->name);

	/* getopt permutes its argv: parse a copy, keep the original. */
	ctx.raw_argc = argc;
	ctx.raw_argv = argv;
	args = xcalloc(argc + 1, sizeof *args);
	memcpy(args, argv, argc * sizeof *args);
	switch (xm_args_parse(&ctx, argc, args, &first)) {
	case 1:
		free(args);
		return (xm_help(&ctx));
	case -1:
		free(args);
		return (xm_usage(&ctx));
	}

	if (xendcfg_load(NULL, &ctx.cfg, NULL, &cause) != 0) {
		fprintf(stderr, "xm: %s\n", cause);
		free(cause);
		free(args);
		return (1);
	}
	if ((cmd->flags & XM_XEND) && xm_connect(&ctx, &cause) != 0) {
		fprintf(stderr, "xm %s: %s\n", cmd->name, cause);
		free(cause);
		xendcfg_free(&ctx.cfg);
		free(args);
		return (1);
	}
	rc = cmd->exec(&ctx, argc - first, args + first);
	xen_close(ctx.client);
	xendcfg_free(&ctx.cfg);
	free(args);
	return (rc);
}
