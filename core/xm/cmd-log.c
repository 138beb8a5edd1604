/* cmd-log.c: xm log [-n LINES], the end of xend's log. */
#include <getopt.h>
#include <stdio.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_log_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_log = {
	"log", NULL, NULL, "[-n LINES]",
	"print xend's log",
	"  -n, --lines=N   the last N lines (default 100)\n",
	XM_XEND, cmd_log_exec
};

static int
cmd_log_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "lines", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	json_t	*r, *v;
	size_t	 i;
	long	 n = 100;
	int	 ch;

	while ((ch = xm_getopt(ctx, argc, argv, ":n:h", longopts)) != -1) {
		switch (ch) {
		case 'n':
			if (parse_long(optarg, 1, 100000000, &n) != 0)
				return (xm_err(ctx, "-n: expected a positive "
				    "number, got '%s'", optarg));
			break;
		case 'h':
			return (xm_help(ctx));
		default:
			return (xm_usage(ctx));
		}
	}
	if (optind != argc)
		return (xm_usage(ctx));
	if ((r = xm_call(ctx, "host.log", json_pack("{s:I}", "lines",
	    (json_int_t)n))) == NULL)
		return (1);
	json_array_foreach(json_object_get(r, "lines"), i, v)
		printf("%s\n", json_string_value(v));
	json_decref(r);
	return (0);
}
