/* cmd-pause.c: xm pause DOM */
#include "xen-common.h"
#include "xm.h"

static int	cmd_pause_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_pause = {
	.name = "pause",
	.args = "DOM",
	.summary = "pause a domain's execution",
	.detail =
	"The domain keeps its memory but gets no CPU time until unpause.\n",
	.min_args = 1,
	.max_args = 1,
	.flags = XM_XEND,
	.exec = cmd_pause_exec,
};

static int
cmd_pause_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	return (xm_dom_op(ctx, argv[0], "domain.pause"));
}
