/* cmd-domid.c: xm domid NAME */
#include <stdio.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_domid_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_domid = {
	.name = "domid",
	.args = "NAME",
	.summary = "print a domain's id",
	.detail = "Prints the id of the named domain.\n",
	.min_args = 1,
	.max_args = 1,
	.flags = XM_XEND,
	.exec = cmd_domid_exec,
};

static int
cmd_domid_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*d;

	if ((d = xm_get_domain(ctx, argv[0])) == NULL)
		return (1);
	printf("%lld\n", (long long)json_integer_value(json_object_get(d,
	    "domid")));
	json_decref(d);
	return (0);
}
