/* cmd-reboot.c: xm reboot [-w] [-a] [DOM], shutdown -R by another name. */
#include "xen-common.h"
#include "xm.h"

static int	cmd_reboot_exec(struct xm_ctx *, int, char **);

static const struct option cmd_reboot_longopts[] = {
	{ "wait", no_argument, NULL, 'w' },
	{ "all", no_argument, NULL, 'a' },
	{ NULL, 0, NULL, 0 }
};

const struct xm_cmd cmd_reboot = {
	.name = "reboot",
	.args = "[-w] [-a] [DOM]",
	.summary = "ask a domain to reboot",
	.detail =
	"  -w, --wait     wait until the domain has rebooted\n"
	"  -a, --all      every domain except Domain-0\n"
	"\n"
	"The guest shuts down cleanly (ACPI power button) and xend boots it\n"
	"again in the same domain, whatever its on_poweroff says.\n",
	.options = "wa",
	.longopts = cmd_reboot_longopts,
	.min_args = 0,
	.max_args = 1,
	.flags = XM_XEND,
	.exec = cmd_reboot_exec,
};

static int
cmd_reboot_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	return (xm_shutdown_common(ctx, argc, argv, "reboot"));
}
