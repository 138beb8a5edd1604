/* cmd-unpause.c: xm unpause DOM */
#include "xen-common.h"
#include "xm.h"

static int	cmd_unpause_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_unpause = {
	"unpause", NULL, NULL, "DOM",
	"unpause a paused domain",
	"Lets a paused domain run again.\n",
	XM_XEND, cmd_unpause_exec
};

static int
cmd_unpause_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	return (xm_dom_op(ctx, argc, argv, "domain.unpause"));
}
