/* cmd-mem-set.c: xm mem-set [-w] [-t SECONDS] DOM MB (2.0: balloon) */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_mem_set_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_mem_set = {
	"mem-set", NULL, "balloon", "[-w] [-t SECONDS] DOM MB",
	"set a domain's memory target (balloon)",
	"  -w, --wait           wait until the guest reaches the target\n"
	"  -t, --timeout=SECS   how long -w waits (default 30)\n"
	"\n"
	"The guest's balloon driver gives memory back to the host or takes it\n"
	"again, up to the domain's maxmem.  xm list shows the actual size.\n"
	"A target the host cannot give while keeping dom0-min-mem for domain\n"
	"0 is refused.\n",
	XM_XEND, cmd_mem_set_exec
};

static int
cmd_mem_set_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	json_t	*d;
	long	 mb, timeout = 30, actual = 0;
	int	 ch, wait = 0;
	double	 deadline;

	while ((ch = xm_getopt(ctx, argc, argv, "wt:h", longopts)) != -1) {
		switch (ch) {
		case 'w':
			wait = 1;
			break;
		case 't':
			if (parse_long(optarg, 1, 86400, &timeout) != 0)
				return (xm_err(ctx, "-t: expected seconds, got "
				    "'%s'", optarg));
			break;
		case 'h':
			return (xm_help(ctx));
		default:
			return (xm_usage(ctx));
		}
	}
	if (optind != argc - 2)
		return (xm_usage(ctx));
	if (parse_long(argv[optind + 1], 1, 1L << 30, &mb) != 0)
		return (xm_err(ctx, "'%s' is not a number of MB",
		    argv[optind + 1]));
	if ((d = xm_call(ctx, "domain.mem_set", json_pack("{s:s, s:I}", "dom",
	    argv[optind], "memory", (json_int_t)mb))) == NULL)
		return (1);
	json_decref(d);
	if (!wait)
		return (0);
	/* Near enough: a balloon moves in pages and the kernel keeps some. */
	deadline = time_mono() + timeout;
	for (;;) {
		if ((d = xm_get_domain(ctx, argv[optind])) == NULL)
			return (1);
		actual = json_integer_value(json_object_get(d, "memory"));
		json_decref(d);
		if (labs(actual - mb) <= 2) {
			printf("%s: %ld MB (target %ld MB)\n", argv[optind],
			    actual, mb);
			return (0);
		}
		if (time_mono() > deadline)
			break;
		usleep(250000);
	}
	return (xm_err(ctx, "%s did not reach %ld MB within %ld s: it has %ld "
	    "MB (the guest may be unable to give more back)", argv[optind], mb,
	    timeout, actual));
}
