/* cmd-sched-sedf.c: xm sched-sedf DOM [PERIOD SLICE] (ms) */
#include <stdio.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_sched_sedf_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_sched_sedf = {
	.name = "sched-sedf",
	.args = "DOM [PERIOD SLICE]",
	.summary = "show or set a domain's sedf period and slice",
	.detail =
	"PERIOD and SLICE in milliseconds (1-1000, SLICE <= PERIOD): the\n"
	"domain runs at most SLICE in every PERIOD.  Linux's scheduler cannot\n"
	"reserve CPU, so sedf's guarantee becomes a ceiling here\n"
	"(docs/SCHEDULERS.md).  Setting sedf clears a credit cap and the other\n"
	"way round.  With only DOM, prints the current values.\n",
	.min_args = 1,
	.max_args = 3,
	.flags = XM_XEND,
	.exec = cmd_sched_sedf_exec,
};

static int
cmd_sched_sedf_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	long	 period, slice;
	json_t	*args, *r;

	/* PERIOD and SLICE come together. */
	if (argc == 2) {
		xm_err(ctx, "PERIOD and SLICE go together");
		return (xm_usage(ctx));
	}
	args = json_pack("{s:s}", "dom", argv[0]);
	if (argc == 3) {
		if (parse_long(argv[1], 1, 1000, &period) != 0 ||
		    parse_long(argv[2], 1, 1000, &slice) != 0) {
			json_decref(args);
			return (xm_err(ctx, "PERIOD and SLICE are milliseconds "
			    "from 1 to 1000"));
		}
		json_object_set_new(args, "period", json_integer(period));
		json_object_set_new(args, "slice", json_integer(slice));
	}
	if ((r = xm_call(ctx, "domain.sched_sedf", args)) == NULL)
		return (1);
	if (argc == 1)
		printf("%-32s %7s %6s\n%-32s %7lld %6lld\n", "Name",
		    "Period", "Slice", argv[0], (long long)json_integer_value(
		    json_object_get(r, "period")), (long long)
		    json_integer_value(json_object_get(r, "slice")));
	json_decref(r);
	return (0);
}
