/* cmd-mem-max.c: xm mem-max DOM MB (2.0: maxmem) */
#include <stdio.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_mem_max_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_mem_max = {
	.name = "mem-max",
	.old_name = "maxmem",
	.args = "DOM MB",
	.summary = "set the most memory a domain may have",
	.detail =
	"A domain may grow up to maxmem (mem-set).  maxmem can be raised only\n"
	"up to what the domain was started with (its config's maxmem).  It is\n"
	"refused below the domain's memory target (lower that with mem-set\n"
	"first) and below 16 MB.\n",
	.min_args = 2,
	.max_args = 2,
	.flags = XM_XEND,
	.exec = cmd_mem_max_exec,
};

static int
cmd_mem_max_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*d;
	long	 mb;

	if (parse_long(argv[1], 0, 1L << 30, &mb) != 0)
		return (xm_err(ctx, "'%s' is not a number of MB", argv[1]));
	if ((d = xm_call(ctx, "domain.mem_max", json_pack("{s:s, s:I}", "dom",
	    argv[0], "maxmem", (json_int_t)mb))) == NULL)
		return (1);
	json_decref(d);
	return (0);
}
