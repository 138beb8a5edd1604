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
	"vcpu-pin", NULL, "pincpu", "DOM VCPU|all CPUS",
	"pin vCPUs to host CPUs",
	"CPUS is a list such as 0-3,^1 or 'all'.  VCPU 'all' pins every vCPU.\n"
	"Pinning is kept across xend restarts and domain reboots.  The Xen 2.0\n"
	"form 'xm pincpu DOM CPU' pins the whole domain to CPU.\n",
	XM_XEND, cmd_vcpu_pin_exec
};

static int
cmd_vcpu_pin_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t		*r, *vcpu;
	long		 n;
	const char	*cpus;

	if (strcmp(argv[0], "pincpu") == 0 && argc == 3) {
		vcpu = json_string("all");
		cpus = argv[2];
	} else {
		if (argc != 4 || argv[1][0] == '-')
			return (xm_usage(ctx));
		if (strcmp(argv[2], "all") == 0)
			vcpu = json_string("all");
		else if (parse_long(argv[2], 0, 63, &n) == 0)
			vcpu = json_integer(n);
		else
			return (xm_err(ctx, "'%s' is not a vCPU number",
			    argv[2]));
		cpus = argv[3];
	}
	if ((r = xm_call(ctx, "domain.vcpu_pin", json_pack("{s:s, s:o, s:s}",
	    "dom", argv[1], "vcpu", vcpu, "cpus", cpus))) == NULL)
		return (1);
	json_decref(r);
	return (0);
}
