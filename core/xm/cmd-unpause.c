/* cmd-unpause.c: xm unpause DOM */
#include "xen-common.h"
#include "xm.h"

static int	cmd_unpause_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_unpause = {
	.name = "unpause",
	.args = "DOM",
	.summary = "unpause a paused domain",
	.detail = "Lets a paused domain run again.\n",
	.min_args = 1,
	.max_args = 1,
	.flags = XM_XEND,
	.exec = cmd_unpause_exec,
};

static int
cmd_unpause_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	return (xm_dom_op(ctx, argv[0], "domain.unpause"));
}
