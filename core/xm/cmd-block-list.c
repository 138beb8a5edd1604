/* cmd-block-list.c: xm block-list [-l] DOM: a domain's disks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_block_list_exec(struct xm_ctx *, int, char **);

static const struct option cmd_block_list_longopts[] = {
	{ "long", no_argument, NULL, 'l' },
	{ NULL, 0, NULL, 0 }
};

const struct xm_cmd cmd_block_list = {
	.name = "block-list",
	.args = "[-l] DOM",
	.summary = "list a domain's disks",
	.detail =
	"  -l, --long   as JSON, with the host path, format and backing file\n"
	"\n"
	"Columns: Vdev (the name the guest sees), Mode (r, w, w!), Type (file\n"
	"or block), Format (raw or qcow2), Uname (as in the config).\n",
	.options = "l",
	.longopts = cmd_block_list_longopts,
	.min_args = 1,
	.max_args = 1,
	.flags = XM_XEND,
	.exec = cmd_block_list_exec,
};

static const char *
field(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return (s != NULL ? s : "-");
}

static int
cmd_block_list_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*r, *v;
	size_t	 i;
	char	*s;

	if ((r = xm_call(ctx, "domain.block_list", json_pack("{s:s}", "dom",
	    argv[0]))) == NULL)
		return (1);
	if (xm_has(ctx, 'l')) {
		s = json_dumps(r, JSON_INDENT(2));
		printf("%s\n", s);
		free(s);
		json_decref(r);
		return (0);
	}
	printf("%-8s %-4s %-6s %-6s %s\n", "Vdev", "Mode", "Type", "Format",
	    "Uname");
	json_array_foreach(r, i, v) {
		printf("%-8s %-4s %-6s %-6s %s\n", field(v, "dev"),
		    field(v, "mode"), field(v, "type"), field(v, "format"),
		    field(v, "uname"));
	}
	json_decref(r);
	return (0);
}
