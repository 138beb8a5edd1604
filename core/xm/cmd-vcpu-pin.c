/*
 * cmd-vcpu-pin.c: xm vcpu-pin DOM VCPU|all CPUS; also the 2.0 form
 * xm pincpu DOM CPU, which pins the whole domain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_vcpu_pin_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_vcpu_pin = {
	.name = "vcpu-pin",
	.old_name = "pincpu",
	.args = "DOM VCPU|all CPUS",
	.summary = "pin vCPUs to host CPUs",
	.detail =
	"CPUS is a list such as 0-3,^1 or 'all'.  VCPU 'all' pins every vCPU.\n"
	"Pinning is kept across xend restarts and domain reboots.  The Xen 2.0\n"
	"form 'xm pincpu DOM CPU' pins the whole domain to CPU.\n",
	.min_args = 2,
	.max_args = 3,
	.flags = XM_XEND,
	.exec = cmd_vcpu_pin_exec,
};

static int
cmd_vcpu_pin_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t		*r, *vcpu;
	long		 n;
	const char	*cpus;

	/* Only the 2.0 form leaves out VCPU. */
	if (strcmp(ctx->invoked, "pincpu") == 0 && argc == 2) {
		vcpu = json_string("all");
		cpus = argv[1];
	} else {
		if (argc != 3) {
			xm_err(ctx, "missing argument");
			return (xm_usage(ctx));
		}
		if (strcmp(argv[1], "all") == 0)
			vcpu = json_string("all");
		else if (parse_long(argv[1], 0, 63, &n) == 0)
			vcpu = json_integer(n);
		else
			return (xm_err(ctx, "'%s' is not a vCPU number",
			    argv[1]));
		cpus = argv[2];
	}
	if ((r = xm_call(ctx, "domain.vcpu_pin", json_pack("{s:s, s:o, s:s}",
	    "dom", argv[0], "vcpu", vcpu, "cpus", cpus))) == NULL)
		return (1);
	json_decref(r);
	return (0);
}
