/* cmd-restore.c: xm restore [-p] FILE */
#include <stdio.h>
#include <stdlib.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_restore_exec(struct xm_ctx *, int, char **);

static const struct option cmd_restore_longopts[] = {
	{ "paused", no_argument, NULL, 'p' },
	{ NULL, 0, NULL, 0 }
};

const struct xm_cmd cmd_restore = {
	.name = "restore",
	.args = "[-p] FILE",
	.summary = "restore a domain saved with xm save",
	.detail =
	"The domain comes back with its name and config under a new domain id\n"
	"(its console port follows the id) and carries on where it was.  A\n"
	"truncated, corrupt, foreign or newer file is refused and nothing is\n"
	"left running.\n"
	"\n"
	"  -p, --paused  leave the restored domain paused\n",
	.options = "p",
	.longopts = cmd_restore_longopts,
	.min_args = 1,
	.max_args = 1,
	.flags = XM_XEND,
	.exec = cmd_restore_exec,
};

static int
cmd_restore_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	char	*file = path_absolute(argv[0]);
	json_t	*res;

	res = xm_job_run(ctx, "domain.restore", json_pack("{s:s, s:b}",
	    "file", file, "paused", xm_has(ctx, 'p')), "restore", file,
	    "restoring");
	free(file);
	if (res == NULL)
		return (1);
	printf("restored %s as domain %lld\n",
	    json_string_value(json_object_get(res, "name")),
	    (long long)json_integer_value(json_object_get(res, "domid")));
	json_decref(res);
	return (0);
}
