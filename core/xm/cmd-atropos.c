/*
 * cmd-atropos.c: Xen 2.0's xm atropos DOM PERIOD SLICE LATENCY XTRATIME
 * (nanoseconds), mapped onto sedf's period and slice.
 */
#include <stdio.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_atropos_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_atropos = {
	.name = "atropos",
	.args = "DOM PERIOD SLICE LATENCY XTRATIME",
	.summary = "Xen 2.0: set Atropos parameters (as sedf)",
	.detail =
	"Deprecated: use sched-sedf.  PERIOD and SLICE (nanoseconds) become\n"
	"sedf's period and slice in whole milliseconds; LATENCY has no\n"
	"counterpart and is ignored with a warning; XTRATIME 1 (run beyond the\n"
	"slice when the CPU is idle) contradicts the ceiling this maps to and\n"
	"is refused.\n",
	.min_args = 5,
	.max_args = 5,
	.flags = XM_XEND,
	.exec = cmd_atropos_exec,
};

static int
cmd_atropos_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	long	 period, slice, latency, xtra;
	json_t	*r;

	/* Worded as run.c words the other Xen 2.0 names. */
	fprintf(stderr, "xm: warning: 'atropos' is deprecated, use "
	    "'sched-sedf'\n");
	if (parse_long(argv[1], 1000000, 1000000000L, &period) != 0 ||
	    parse_long(argv[2], 1000000, 1000000000L, &slice) != 0)
		return (xm_err(ctx, "PERIOD and SLICE are nanoseconds from 1 ms "
		    "to 1 s"));
	if (parse_long(argv[3], 0, 1000000000L, &latency) != 0 ||
	    parse_long(argv[4], 0, 1, &xtra) != 0)
		return (xm_usage(ctx));
	if (xtra)
		return (xm_err(ctx, "XTRATIME 1 has no counterpart: the host "
		    "scheduler can cap a domain but not both cap and lend it "
		    "idle time"));
	if (latency > 0)
		xm_warn(ctx, "LATENCY has no counterpart and is ignored");
	if ((r = xm_call(ctx, "domain.sched_sedf", json_pack("{s:s, s:I, s:I}",
	    "dom", argv[0], "period", (json_int_t)(period / 1000000),
	    "slice", (json_int_t)(slice / 1000000)))) == NULL)
		return (1);
	json_decref(r);
	return (0);
}
