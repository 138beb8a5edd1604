/*
 * cmd-block-detach.c: xm block-detach [-f] DOM VDEV: the guest is asked
 * to let go of the disk first (its agent unmounts it), and xm says what
 * the guest did.
 */
#include <stdio.h>
#include <stdlib.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_block_detach_exec(struct xm_ctx *, int, char **);

static const struct option cmd_block_detach_longopts[] = {
	{ "force", no_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 }
};

const struct xm_cmd cmd_block_detach = {
	.name = "block-detach",
	.args = "[-f] DOM VDEV",
	.summary = "detach a disk from a running domain",
	.detail =
	"  -f, --force   do not ask the guest; take the disk even if mounted\n"
	"\n"
	"The guest's agent unmounts VDEV first; if it cannot (a file open on\n"
	"it, the root file system), the disk stays and xm says why.  Then the\n"
	"guest ejects the device and the disk leaves the domain's config.  A\n"
	"guest without an agent is not asked, and xm says so.\n",
	.options = "f",
	.longopts = cmd_block_detach_longopts,
	.min_args = 2,
	.max_args = 2,
	.flags = XM_XEND,
	.exec = cmd_block_detach_exec,
};

static int
cmd_block_detach_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t		*r;
	const char	*note;

	if ((r = xm_call(ctx, "domain.block_detach", json_pack("{s:s, s:s, "
	    "s:b}", "dom", argv[0], "dev", argv[1], "force",
	    xm_has(ctx, 'f')))) == NULL)
		return (1);
	note = json_string_value(json_object_get(r, "note"));
	if (note != NULL)
		printf("%s\n", note);
	json_decref(r);
	return (0);
}
