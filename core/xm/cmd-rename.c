/* cmd-rename.c: xm rename DOM NEWNAME */
#include <stdio.h>
#include <string.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_rename_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_rename = {
	.name = "rename",
	.args = "DOM NEWNAME",
	.summary = "rename a domain",
	.detail =
	"Names are unique: 1 to 64 letters, digits, '-', '_' and '.',\n"
	"starting with a letter or a digit and not all digits.  A name that\n"
	"starts with '-' cannot be given (xm would read an option).\n",
	.min_args = 2,
	.max_args = 2,
	.flags = XM_XEND,
	.exec = cmd_rename_exec,
};

static int
cmd_rename_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*r;

	if ((r = xm_call(ctx, "domain.rename", json_pack("{s:s, s:s}", "dom",
	    argv[0], "name", argv[1]))) == NULL)
		return (1);
	json_decref(r);
	return (0);
}
