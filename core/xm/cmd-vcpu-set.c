/* cmd-vcpu-set.c: xm vcpu-set DOM N */
#include <stdio.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_vcpu_set_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_vcpu_set = {
	"vcpu-set", NULL, NULL, "DOM N",
	"set how many vCPUs a domain has online",
	"From 1 up to the vcpus it booted with; the guest agent brings them\n"
	"on or offline and xm returns when the guest has done it.\n",
	XM_XEND, cmd_vcpu_set_exec
};

static int
cmd_vcpu_set_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*d;
	long	 n;

	if (argc != 3 || argv[1][0] == '-')
		return (xm_usage(ctx));
	if (parse_long(argv[2], 1, 64, &n) != 0)
		return (xm_err(ctx, "'%s' is not a vCPU count", argv[2]));
	if ((d = xm_call(ctx, "domain.vcpu_set", json_pack("{s:s, s:I}", "dom",
	    argv[1], "vcpus", (json_int_t)n))) == NULL)
		return (1);
	json_decref(d);
	return (0);
}
