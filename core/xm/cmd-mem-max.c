/* cmd-mem-max.c: xm mem-max DOM MB (2.0: maxmem) */
#include <stdio.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_mem_max_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_mem_max = {
	"mem-max", NULL, "maxmem", "DOM MB",
	"set the most memory a domain may have",
	"A domain may grow up to maxmem (mem-set); lowering maxmem below the\n"
	"current target brings the target down first.  maxmem can be raised\n"
	"only up to what the domain was started with (its config's maxmem).\n",
	XM_XEND, cmd_mem_max_exec
};

static int
cmd_mem_max_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*d;
	long	 mb;

	if (argc != 3 || argv[1][0] == '-')
		return (xm_usage(ctx));
	if (parse_long(argv[2], 1, 1L << 30, &mb) != 0)
		return (xm_err(ctx, "'%s' is not a number of MB", argv[2]));
	if ((d = xm_call(ctx, "domain.mem_max", json_pack("{s:s, s:I}", "dom",
	    argv[1], "maxmem", (json_int_t)mb))) == NULL)
		return (1);
	json_decref(d);
	return (0);
}
