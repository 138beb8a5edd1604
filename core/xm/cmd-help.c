/* cmd-help.c: xm help [CMD] */
#include <stdio.h>
#include <stdlib.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_help_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_help = {
	.name = "help",
	.args = "[COMMAND]",
	.summary = "print help on xm or on one command",
	.detail = "",
	.min_args = 0,
	.max_args = 1,
	.flags = 0,
	.exec = cmd_help_exec,
};

static int
cmd_help_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	const struct xm_cmd	*c;
	char			*cause;
	size_t			 i;

	if (argc == 1) {
		if ((c = xm_lookup(argv[0], &cause)) == NULL) {
			fprintf(stderr, "xm help: %s\n", cause);
			free(cause);
			return (2);
		}
		ctx->cmd = c;
		return (xm_help(ctx));
	}
	printf("usage: xm COMMAND [OPTIONS] [ARGS] [VAR=VALUE ...]\n\n"
	    "Commands (unique prefixes work: 'xm li' is 'xm list'):\n");
	for (i = 0; xm_commands[i] != NULL; i++)
		printf("  %-10s %s\n", xm_commands[i]->name,
		    xm_commands[i]->summary);
	printf("\n'xm help COMMAND' describes one command.  xm talks to xend "
	    "through the\nsocket named in $XEN_CONFIG_DIR/xend-config.sxp "
	    "(default /etc/xen).\n");
	return (0);
}
