/* cmd-destroy.c: xm destroy DOM */
#include "xen-common.h"
#include "xm.h"

static int	cmd_destroy_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_destroy = {
	"destroy", NULL, NULL, "DOM",
	"kill a domain immediately",
	"Stops the domain at once, like pulling its power cord: the guest gets\n"
	"no chance to shut down.  Use shutdown for a clean stop.\n",
	XM_XEND, cmd_destroy_exec
};

static int
cmd_destroy_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	return (xm_dom_op(ctx, argc, argv, "domain.destroy"));
}
