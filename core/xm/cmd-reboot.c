/* cmd-reboot.c: xm reboot [-w] [-a] [DOM], shutdown -R by another name. */
#include "xen-common.h"
#include "xm.h"

static int	cmd_reboot_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_reboot = {
	"reboot", NULL, NULL, "[-w] [-a] [DOM]",
	"ask a domain to reboot",
	"  -w, --wait     wait until the domain has rebooted\n"
	"  -a, --all      every domain except Domain-0\n"
	"\n"
	"The guest shuts down cleanly (ACPI power button) and xend boots it\n"
	"again in the same domain, whatever its on_poweroff says.\n",
	XM_XEND, cmd_reboot_exec
};

static int
cmd_reboot_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	return (xm_shutdown_common(ctx, argc, argv, "reboot"));
}
