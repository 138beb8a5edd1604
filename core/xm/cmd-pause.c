/* cmd-pause.c: xm pause DOM */
#include "xen-common.h"
#include "xm.h"

static int	cmd_pause_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_pause = {
	"pause", NULL, NULL, "DOM",
	"pause a domain's execution",
	"The domain keeps its memory but gets no CPU time until unpause.\n",
	XM_XEND, cmd_pause_exec
};

static int
cmd_pause_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	return (xm_dom_op(ctx, argc, argv, "domain.pause"));
}
