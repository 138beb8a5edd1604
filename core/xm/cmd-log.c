/* cmd-log.c: xm log [-n LINES], the end of xend's log. */
#include <getopt.h>
#include <stdio.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_log_exec(struct xm_ctx *, int, char **);

static const struct option cmd_log_longopts[] = {
	{ "lines", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 }
};

const struct xm_cmd cmd_log = {
	.name = "log",
	.args = "[-n LINES]",
	.summary = "print xend's log",
	.detail = "  -n, --lines=N   the last N lines (default 100)\n",
	.options = "n:",
	.longopts = cmd_log_longopts,
	.min_args = 0,
	.max_args = 0,
	.flags = XM_XEND,
	.exec = cmd_log_exec,
};

static int
cmd_log_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*r, *v;
	size_t	 i;
	long	 n = 100;
	const char *lines;

	if ((lines = xm_get(ctx, 'n')) != NULL &&
	    parse_long(lines, 1, 100000000, &n) != 0)
		return (xm_err(ctx, "-n: expected a positive number, got '%s'",
		    lines));
	if ((r = xm_call(ctx, "host.log", json_pack("{s:I}", "lines",
	    (json_int_t)n))) == NULL)
		return (1);
	json_array_foreach(json_object_get(r, "lines"), i, v)
		printf("%s\n", json_string_value(v));
	json_decref(r);
	return (0);
}
