/* cmd-domid.c: xm domid NAME */
#include <stdio.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_domid_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_domid = {
	"domid", NULL, NULL, "NAME",
	"print a domain's id",
	"Prints the id of the named domain.\n",
	XM_XEND, cmd_domid_exec
};

static int
cmd_domid_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*d;

	if (argc != 2 || argv[1][0] == '-')
		return (xm_usage(ctx));
	if ((d = xm_get_domain(ctx, argv[1])) == NULL)
		return (1);
	printf("%lld\n", (long long)json_integer_value(json_object_get(d,
	    "domid")));
	json_decref(d);
	return (0);
}
