/* cmd-mem-set.c: xm mem-set [-w] [-t SECONDS] DOM MB (2.0: balloon) */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_mem_set_exec(struct xm_ctx *, int, char **);

static const struct option cmd_mem_set_longopts[] = {
	{ "wait", no_argument, NULL, 'w' },
	{ "timeout", required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 }
};

const struct xm_cmd cmd_mem_set = {
	.name = "mem-set",
	.old_name = "balloon",
	.args = "[-w] [-t SECONDS] DOM MB",
	.summary = "set a domain's memory target (balloon)",
	.detail =
	"  -w, --wait           wait until the guest reaches the target\n"
	"  -t, --timeout=SECS   how long -w waits (default 30)\n"
	"\n"
	"The guest's balloon driver gives memory back to the host or takes it\n"
	"again, up to the domain's maxmem.  xm list shows the actual size.\n"
	"A target the host cannot give while keeping dom0-min-mem for domain\n"
	"0 is refused.\n",
	.options = "wt:",
	.longopts = cmd_mem_set_longopts,
	.min_args = 2,
	.max_args = 2,
	.flags = XM_XEND,
	.exec = cmd_mem_set_exec,
};

static int
cmd_mem_set_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t		*d;
	long		 mb, timeout = 30, actual = 0;
	double		 deadline;
	const char	*t = xm_get(ctx, 't');

	if (t != NULL && parse_long(t, 1, 86400, &timeout) != 0)
		return (xm_err(ctx, "-t: expected seconds, got '%s'", t));
	if (parse_long(argv[1], 1, 1L << 30, &mb) != 0)
		return (xm_err(ctx, "'%s' is not a number of MB",
		    argv[1]));
	if ((d = xm_call(ctx, "domain.mem_set", json_pack("{s:s, s:I}", "dom",
	    argv[0], "memory", (json_int_t)mb))) == NULL)
		return (1);
	json_decref(d);
	if (!xm_has(ctx, 'w'))
		return (0);
	/* Near enough: a balloon moves in pages and the kernel keeps some. */
	deadline = time_mono() + timeout;
	for (;;) {
		if ((d = xm_get_domain(ctx, argv[0])) == NULL)
			return (1);
		actual = json_integer_value(json_object_get(d, "memory"));
		json_decref(d);
		if (labs(actual - mb) <= 2) {
			printf("%s: %ld MB (target %ld MB)\n", argv[0],
			    actual, mb);
			return (0);
		}
		if (time_mono() > deadline)
			break;
		usleep(250000);
	}
	return (xm_err(ctx, "%s did not reach %ld MB within %ld s: it has %ld "
	    "MB (the guest may be unable to give more back)", argv[0], mb,
	    timeout, actual));
}
