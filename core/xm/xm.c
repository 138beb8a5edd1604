/* xm.c: the xm program: options, config, dispatch through the table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "xm.h"

int
main(int argc, char **argv)
{
	struct xm_ctx		 ctx;
	const struct xm_cmd	*cmd;
	char			*cause;
	int			 rc;

	memset(&ctx, 0, sizeof ctx);
	if (argc < 2) {
		ctx.cmd = &cmd_help;
		return (cmd_help.exec(&ctx, 1, argv));
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		ctx.cmd = &cmd_help;
		return (cmd_help.exec(&ctx, argc - 1, argv + 1));
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("xm %s\n", XEN_VERSION);
		return (0);
	}
	if ((cmd = xm_lookup(argv[1], &cause)) == NULL) {
		fprintf(stderr, "xm: %s\n", cause);
		free(cause);
		return (2);
	}
	ctx.cmd = cmd;
	if (cmd->old_name != NULL && strcmp(argv[1], cmd->old_name) == 0)
		fprintf(stderr, "xm: warning: '%s' is deprecated, use '%s'\n",
		    cmd->old_name, cmd->name);
	if (xendcfg_load(NULL, &ctx.cfg, NULL, &cause) != 0) {
		fprintf(stderr, "xm: %s\n", cause);
		free(cause);
		return (1);
	}
	if ((cmd->flags & XM_XEND) && xm_connect(&ctx, &cause) != 0) {
		fprintf(stderr, "xm %s: %s\n", cmd->name, cause);
		free(cause);
		xendcfg_free(&ctx.cfg);
		return (1);
	}
	rc = cmd->exec(&ctx, argc - 1, argv + 1);
	xen_close(ctx.client);
	xendcfg_free(&ctx.cfg);
	return (rc);
}
