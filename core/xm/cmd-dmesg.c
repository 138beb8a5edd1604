/* cmd-dmesg.c: xm dmesg, the hypervisor's (xend's) messages. */
#include <stdio.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_dmesg_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_dmesg = {
	.name = "dmesg",
	.args = "",
	.summary = "print the hypervisor's messages",
	.detail =
	"xend's own record since it started: QEMU version, the accelerator\n"
	"chosen and why, domains created, crashed, restarted and destroyed.\n",
	.min_args = 0,
	.max_args = 0,
	.flags = XM_XEND,
	.exec = cmd_dmesg_exec,
};

static int
cmd_dmesg_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*r, *v;
	size_t	 i;

	if ((r = xm_call(ctx, "host.dmesg", NULL)) == NULL)
		return (1);
	json_array_foreach(json_object_get(r, "lines"), i, v)
		printf("%s\n", json_string_value(v));
	json_decref(r);
	return (0);
}
