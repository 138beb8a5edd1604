/*
 * cmd-network-attach.c: xm network-attach DOM [mac=MAC] [bridge=BR]
 * [ip=IP] [script=SCRIPT] [vifname=NAME] [model=MODEL] [rate=RATE]
 * [antispoof=yes|no], and
 * xm network-detach DOM DEVID: interfaces
 * added to and removed from a running domain (xend: netdev.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_network_attach_exec(struct xm_ctx *, int, char **);
static int	cmd_network_detach_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_network_attach = {
	.name = "network-attach",
	.args = "DOM [mac=MAC] [bridge=BRIDGE] [ip=IP] [script=SCRIPT] "
	    "[vifname=NAME] [model=MODEL] [rate=RATE] [antispoof=yes|no]",
	.summary = "add a network interface to a running domain",
	.detail = "Adds a virtual network interface to DOM while it runs, as "
	    "a vif entry of its\nconfig would: a MAC in 00:16:3e if none is "
	    "given, the default bridge if\nnone is named, the vif-script (or "
	    "the bridge attach) run for it.  The\nguest sees a new virtio "
	    "network device.  If the script fails, the\ninterface is removed "
	    "again and the error says what the script said.  The\ninterface "
	    "stays through the domain's reboots; xm network-list shows it.\n",
	.min_args = 1,
	.max_args = 9,
	.flags = XM_XEND,
	.exec = cmd_network_attach_exec,
};

const struct xm_cmd cmd_network_detach = {
	.name = "network-detach",
	.args = "DOM DEVID",
	.summary = "remove a network interface from a running domain",
	.detail = "Removes interface DEVID (the Idx of xm network-list) from "
	    "DOM once the guest\nhas let the device go (up to 10 s), then "
	    "runs the vif-script offline.\n",
	.min_args = 2,
	.max_args = 2,
	.flags = XM_XEND,
	.exec = cmd_network_detach_exec,
};

static int
cmd_network_attach_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	static const char *const keys[] = { "mac", "bridge", "ip", "script",
	    "vifname", "model", "rate", "antispoof" };
	json_t		*args, *r;
	const char	*eq;
	size_t		 k, len;
	int		 i;

	args = json_pack("{s:s}", "dom", argv[0]);
	for (i = 1; i < argc; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL)
			goto bad;
		len = eq - argv[i];
		for (k = 0; k < nitems(keys); k++)
			if (strlen(keys[k]) == len &&
			    strncmp(argv[i], keys[k], len) == 0)
				break;
		if (k == nitems(keys))
			goto bad;
		json_object_set_new(args, keys[k], json_string(eq + 1));
	}
	if ((r = xm_call(ctx, "domain.network_attach", args)) == NULL)
		return (1);
	json_decref(r);
	return (0);
bad:
	json_decref(args);
	xm_err(ctx, "'%s': expected mac=, bridge=, ip=, script=, vifname=, "
	    "model=, rate= or antispoof=", argv[i]);
	return (xm_usage(ctx));
}

static int
cmd_network_detach_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*r;
	char	*end;
	long	 devid;

	devid = strtol(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0' || devid < 0 || devid > 1000) {
		xm_err(ctx, "invalid DEVID '%s' (the Idx of xm network-list)",
		    argv[1]);
		return (2);
	}
	if ((r = xm_call(ctx, "domain.network_detach", json_pack("{s:s, s:I}",
	    "dom", argv[0], "devid", (json_int_t)devid))) == NULL)
		return (1);
	json_decref(r);
	return (0);
}
