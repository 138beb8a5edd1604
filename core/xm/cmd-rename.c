/* cmd-rename.c: xm rename DOM NEWNAME */
#include <stdio.h>
#include <string.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_rename_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_rename = {
	"rename", NULL, NULL, "DOM NEWNAME",
	"rename a domain",
	"Names are unique: letters, digits, '-', '_' and '.', up to 64.\n",
	XM_XEND, cmd_rename_exec
};

static int
cmd_rename_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*r;

	if (argc != 3 || argv[1][0] == '-')
		return (xm_usage(ctx));
	if ((r = xm_call(ctx, "domain.rename", json_pack("{s:s, s:s}", "dom",
	    argv[1], "name", argv[2]))) == NULL)
		return (1);
	json_decref(r);
	return (0);
}
