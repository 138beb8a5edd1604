/* cmd-domname.c: xm domname ID */
#include <stdio.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_domname_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_domname = {
	.name = "domname",
	.args = "ID",
	.summary = "print a domain's name",
	.detail = "Prints the name of the domain with this id.\n",
	.min_args = 1,
	.max_args = 1,
	.flags = XM_XEND,
	.exec = cmd_domname_exec,
};

static int
cmd_domname_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*d;
	long	 id;

	if (parse_long(argv[0], 0, 32767, &id) != 0)
		return (xm_err(ctx, "'%s' is not a domain id", argv[0]));
	if ((d = xm_call(ctx, "domain.get", json_pack("{s:i}", "dom",
	    (int)id))) == NULL)
		return (1);
	printf("%s\n", json_string_value(json_object_get(d, "name")));
	json_decref(d);
	return (0);
}
