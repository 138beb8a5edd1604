/*
 * cmd-bvt.c: Xen 2.0's xm bvt DOM MCUADV WARPBACK WARPVALUE WARPL WARPU.
 * MCU advance is inverse to a share weight, which maps faithfully onto the
 * credit weight; warping has no counterpart and is refused.
 */
#include <stdio.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_bvt_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_bvt = {
	.name = "bvt",
	.args = "DOM MCUADV WARPBACK WARPVALUE WARPL WARPU",
	.summary = "Xen 2.0: set BVT parameters (as a credit weight)",
	.detail =
	"Deprecated: use sched-credit.  MCUADV (1-1000) becomes the credit\n"
	"weight 2560 / MCUADV (the default 10 is weight 256).  Warping\n"
	"(WARPBACK 1) has no counterpart in Linux's scheduler and is refused.\n",
	.min_args = 6,
	.max_args = 6,
	.flags = XM_XEND,
	.exec = cmd_bvt_exec,
};

static int
cmd_bvt_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	long	 mcuadv, warpback;
	json_t	*r;

	/* Worded as run.c words the other Xen 2.0 names. */
	fprintf(stderr, "xm: warning: 'bvt' is deprecated, use "
	    "'sched-credit'\n");
	if (parse_long(argv[1], 1, 1000, &mcuadv) != 0)
		return (xm_err(ctx, "MCUADV must be 1 to 1000"));
	if (parse_long(argv[2], 0, 1, &warpback) != 0)
		return (xm_err(ctx, "WARPBACK must be 0 or 1"));
	if (warpback)
		return (xm_err(ctx, "warping has no counterpart in the host's "
		    "scheduler; only MCUADV (as a weight) can be set"));
	if ((r = xm_call(ctx, "domain.sched_credit", json_pack("{s:s, s:I}",
	    "dom", argv[0], "weight", (json_int_t)(2560 / mcuadv < 1 ? 1 :
	    2560 / mcuadv)))) == NULL)
		return (1);
	json_decref(r);
	return (0);
}
