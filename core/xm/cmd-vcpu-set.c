/* cmd-vcpu-set.c: xm vcpu-set DOM N */
#include <stdio.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_vcpu_set_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_vcpu_set = {
	.name = "vcpu-set",
	.args = "DOM N",
	.summary = "set how many vCPUs a domain has online",
	.detail =
	"From 1 up to the vcpus it booted with; the guest agent brings them\n"
	"on or offline and xm returns when the guest has done it.\n",
	.min_args = 2,
	.max_args = 2,
	.flags = XM_XEND,
	.exec = cmd_vcpu_set_exec,
};

static int
cmd_vcpu_set_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*d;
	long	 n;

	if (parse_long(argv[1], 1, 64, &n) != 0)
		return (xm_err(ctx, "'%s' is not a vCPU count", argv[1]));
	if ((d = xm_call(ctx, "domain.vcpu_set", json_pack("{s:s, s:I}", "dom",
	    argv[0], "vcpus", (json_int_t)n))) == NULL)
		return (1);
	json_decref(d);
	return (0);
}
