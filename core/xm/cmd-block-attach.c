/*
 * cmd-block-attach.c: xm block-attach DOM UNAME VDEV MODE [BACKDOM]
 * (Xen 3.0): a disk for a running domain, checked as at create.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "domcfg.h"
#include "xm.h"

static int	cmd_block_attach_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_block_attach = {
	.name = "block-attach",
	.args = "DOM UNAME VDEV MODE",
	.summary = "attach a disk to a running domain",
	.detail =
	"UNAME is file:PATH, qcow2:PATH (tap:qcow2:PATH) or phy:DEVICE as in\n"
	"a config's disk line (phy:hda3 is /dev/hda3, phy:vg/lv /dev/vg/lv;\n"
	"a relative PATH is taken from the current directory); VDEV the name\n"
	"the guest sees (sdb, hdc, xvdb); MODE r, w or w!.  The disk is checked\n"
	"as at create (it must be there, open in its mode, and not be written\n"
	"by another domain or mounted in domain 0), kept in the domain's config\n"
	"(xm list -l) and attached again if its QEMU restarts.  The Xen 3.0\n"
	"BACKDOM argument may only be 0: domain 0 serves every disk here.\n",
	.min_args = 4,
	.max_args = 5,
	.flags = XM_XEND,
	.exec = cmd_block_attach_exec,
};

static int
cmd_block_attach_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t		*disk, *r;
	char		*cause, cwd[4096];

	if (argc == 5 && strcmp(argv[4], "0") != 0 &&
	    strcmp(argv[4], "Domain-0") != 0)
		return (xm_err(ctx, "back-end domain %s: only domain 0 serves "
		    "disks here", argv[4]));
	if (getcwd(cwd, sizeof cwd) == NULL)
		return (xm_err(ctx, "current directory: %s", strerror(errno)));
	if ((disk = domcfg_disk(argv[1], argv[2], argv[3], cwd,
	    &cause)) == NULL) {
		xm_err(ctx, "%s", cause);
		free(cause);
		return (1);
	}
	r = xm_call(ctx, "domain.block_attach", json_pack("{s:s, s:O, s:O, "
	    "s:O}", "dom", argv[0], "uname", json_object_get(disk, "uname"),
	    "dev", json_object_get(disk, "dev"), "mode", json_object_get(disk,
	    "mode")));
	json_decref(disk);
	if (r == NULL)
		return (1);
	json_decref(r);
	return (0);
}
