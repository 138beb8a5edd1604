/* cmd-destroy.c: xm destroy DOM */
#include "xen-common.h"
#include "xm.h"

static int	cmd_destroy_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_destroy = {
	.name = "destroy",
	.args = "DOM",
	.summary = "kill a domain immediately",
	.detail =
	"Stops the domain at once, like pulling its power cord: the guest gets\n"
	"no chance to shut down.  Use shutdown for a clean stop.\n",
	.min_args = 1,
	.max_args = 1,
	.flags = XM_XEND,
	.exec = cmd_destroy_exec,
};

static int
cmd_destroy_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	return (xm_dom_op(ctx, argv[0], "domain.destroy"));
}
