/* cmd-top.c: xm top [OPTIONS]: runs the dashboard, xm-top, in our place. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_top_exec(struct xm_ctx *, int, char **);

/* Checked here, acted on by xm-top, which parses them again. */
static const struct option cmd_top_longopts[] = {
	{ "batch", no_argument, NULL, 'b' },
	{ "delay", required_argument, NULL, 'd' },
	{ "iterations", required_argument, NULL, 'n' },
	{ "csv", no_argument, NULL, XM_LONG + 0 },
	{ "json", no_argument, NULL, XM_LONG + 1 },
	{ "ascii", no_argument, NULL, XM_LONG + 2 },
	{ "no-color", no_argument, NULL, XM_LONG + 3 },
	{ "no-colour", no_argument, NULL, XM_LONG + 3 },
	{ "no-settings", no_argument, NULL, XM_LONG + 4 },
	{ NULL, 0, NULL, 0 }
};

const struct xm_cmd cmd_top = {
	.name = "top",
	.args = "[-b] [-d SECONDS] [-n ITERATIONS] [--csv|--json]",
	.summary = "the live dashboard of the host and its domains",
	.detail =
	"  -b, --batch          print samples instead of the screen\n"
	"  -d, --delay=SECONDS  between refreshes (default 1)\n"
	"  -n, --iterations=N   batch mode: stop after N samples\n"
	"      --csv, --json    batch mode formats (fields: docs/XM-TOP.md)\n"
	"      --ascii          ASCII line drawing\n"
	"      --no-color       no colours (so does NO_COLOR)\n"
	"      --no-settings    neither read nor save the saved settings\n"
	"\n"
	"Full screen: one row per domain, updated live, and actions on them\n"
	"(balloon, scheduler, pinning, pause, shutdown, destroy, console).\n"
	"Press ? in it for the keys.\n",
	.options = "bd:n:",
	.longopts = cmd_top_longopts,
	.min_args = 0,
	.max_args = 0,
	.flags = 0,
	.exec = cmd_top_exec,
};

/*
 * xm-top lives beside an installed xm (PREFIX/bin), and in the build tree
 * at build/VARIANT/tui/xm-top/xm-top for build/VARIANT/core/xm/xm.
 */
static const char *const top_places[] = { "xm-top", "../../tui/xm-top/xm-top" };

static int
cmd_top_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	char	 self[PATH_MAX];
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) <= 0)
		return (xm_err(ctx, "cannot find myself: /proc/self/exe: %s",
		    strerror(errno)));
	self[n] = '\0';
	/* So the dashboard can run "xm console" with this very xm. */
	setenv("XM_TOP_XM", self, 1);
	/* xm-top's own argv: "xm-top" and ours after "top". */
	ctx->raw_argv[0] = (char *)"xm-top";
	return (xm_exec_beside(ctx, "the dashboard (xm-top)", top_places,
	    nitems(top_places), ctx->raw_argv));
}
