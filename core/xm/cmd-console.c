/* cmd-console.c: xm console DOM */
#include <stdio.h>
#include <stdlib.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_console_exec(struct xm_ctx *, int, char **);

static const struct option cmd_console_longopts[] = {
	{ "no-follow", no_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 }
};

const struct xm_cmd cmd_console = {
	.name = "console",
	.args = "[-n] DOM",
	.summary = "attach to a domain's console",
	.detail =
	"Attaches the terminal to the domain's serial console through\n"
	"xenconsoled: the last lines first, then live output.  Ctrl-]\n"
	"detaches; ^E c ? lists xenconsoled's escape commands (take input,\n"
	"who is attached, send a break).  Without xenconsoled, attaches to\n"
	"QEMU's console directly (one client at a time).  DOM is a domain\n"
	"name or id.  When the domain migrates (xm migrate), the console\n"
	"follows it: xencons goes on with its console port on the new host.\n"
	"See docs/CONSOLES.md.\n"
	"\n"
	"  -n, --no-follow  end when the domain migrates away\n",
	.options = "n",
	.longopts = cmd_console_longopts,
	.min_args = 1,
	.max_args = 1,
	.flags = XM_XEND,
	.exec = cmd_console_exec,
};

static int
cmd_console_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*dom;
	int	 rc;

	if ((dom = xm_get_domain(ctx, argv[0])) == NULL)
		return (1);
	if (json_integer_value(json_object_get(dom, "domid")) == 0) {
		json_decref(dom);
		return (xm_err(ctx, "Domain-0 has no console here: it is "
		    "this host"));
	}
	rc = xm_console_attach(ctx, dom, !xm_has(ctx, 'n'), 0, 0);
	json_decref(dom);
	return (rc);
}
