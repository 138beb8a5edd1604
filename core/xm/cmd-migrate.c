/* cmd-migrate.c: xm migrate DOM HOST [-p PORT] [-l] [-r MBIT] [--copy-storage] */
#include <stdio.h>
#include <stdlib.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_migrate_exec(struct xm_ctx *, int, char **);

static const struct option cmd_migrate_longopts[] = {
	{ "live", no_argument, NULL, 'l' },
	{ "copy-storage", no_argument, NULL, 'C' },
	{ "port", required_argument, NULL, 'p' },
	{ "resource", required_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 }
};

const struct xm_cmd cmd_migrate = {
	.name = "migrate",
	.args = "DOM HOST [-l] [-p PORT] [-r MBIT] [--copy-storage]",
	.summary = "move a domain to another host's xend",
	.detail =
	"HOST's xend must run its relocation server (xend-relocation-server\n"
	"yes) and let this host in (xend-relocation-hosts-allow); the domain's\n"
	"disks must be reachable there under the same paths.  Without --live\n"
	"the domain is paused, copied and resumed there; with it, it runs while\n"
	"its memory is copied and stops only for the last pages.  Any failure\n"
	"before the hand-over leaves it running here.\n"
	"\n"
	"With --copy-storage its writable disks need not be shared: HOST\n"
	"creates them under the same paths (refusing paths that exist there)\n"
	"and they are copied before the memory, the domain running meanwhile\n"
	"with --live.  The disk files here stay; remove them once satisfied.\n"
	"\n"
	"  -l, --live           keep the domain running while copying\n"
	"      --copy-storage   copy the writable disks too (local disks)\n"
	"  -p, --port PORT      HOST's relocation port (default: this host's\n"
	"                       xend-relocation-port)\n"
	"  -r, --resource MBIT  limit the copy to MBIT megabits a second\n",
	.options = "lp:r:",
	.longopts = cmd_migrate_longopts,
	.min_args = 2,
	.max_args = 2,
	.flags = XM_XEND,
	.exec = cmd_migrate_exec,
};

static int
cmd_migrate_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*args, *res;
	long	 port = ctx->cfg.relocation_port, mbit = 0;
	char	*key;

	if (xm_has(ctx, 'p') && parse_long(xm_get(ctx, 'p'), 1, 65535,
	    &port) != 0)
		return (xm_err(ctx, "-p: expected a port from 1 to 65535"));
	if (xm_has(ctx, 'r') && parse_long(xm_get(ctx, 'r'), 1, 1000000,
	    &mbit) != 0)
		return (xm_err(ctx, "-r: expected megabits a second, 1 to "
		    "1000000"));
	args = json_pack("{s:s, s:s, s:i, s:b, s:b, s:i}", "dom", argv[0],
	    "host", argv[1], "port", (int)port, "live", xm_has(ctx, 'l'),
	    "copy_storage", xm_has(ctx, 'C'), "bandwidth", (int)mbit);
	key = xsprintf("%s:%ld", argv[1], port);
	res = xm_job_run(ctx, "domain.migrate", args, "migrate", key,
	    "migrating");
	free(key);
	if (res == NULL)
		return (1);
	printf("migrated %s to %s: domain %lld there, console port %lld, "
	    "%.2f s (downtime %lld ms)\n",
	    json_string_value(json_object_get(res, "name")), argv[1],
	    (long long)json_integer_value(json_object_get(res, "domid")),
	    (long long)json_integer_value(json_object_get(res,
	    "console_port")),
	    json_number_value(json_object_get(res, "seconds")),
	    (long long)json_integer_value(json_object_get(json_object_get(res,
	    "qemu"), "downtime")));
	if (json_is_string(json_object_get(res, "warning")))
		xm_warn(ctx, "%s", json_string_value(json_object_get(res,
		    "warning")));
	json_decref(res);
	return (0);
}
