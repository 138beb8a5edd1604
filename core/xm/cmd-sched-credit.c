/* cmd-sched-credit.c: xm sched-credit -d DOM [-w WEIGHT] [-c CAP] */
#include <getopt.h>
#include <stdio.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_sched_credit_exec(struct xm_ctx *, int, char **);

static const struct option cmd_sched_credit_longopts[] = {
	{ "domain", required_argument, NULL, 'd' },
	{ "weight", required_argument, NULL, 'w' },
	{ "cap", required_argument, NULL, 'c' },
	{ NULL, 0, NULL, 0 }
};

const struct xm_cmd cmd_sched_credit = {
	.name = "sched-credit",
	.args = "-d DOM [-w WEIGHT] [-c CAP]",
	.summary = "show or set a domain's credit scheduler parameters",
	.detail =
	"  -d, --domain=DOM     the domain\n"
	"  -w, --weight=WEIGHT  relative share, 1-65535 (default 256): a\n"
	"                       domain with 512 gets twice the CPU of one with\n"
	"                       256 when both want more than there is\n"
	"  -c, --cap=CAP        most CPU it may use, in percent of one CPU\n"
	"                       (0 = no cap, 100 = one CPU, 200 = two)\n"
	"\n"
	"Mapped onto the host scheduler through the domain's cgroup\n"
	"(docs/SCHEDULERS.md).  Settings persist across xend restarts and\n"
	"domain reboots.  With no -w or -c, prints the current values.\n",
	.options = "d:w:c:",
	.longopts = cmd_sched_credit_longopts,
	.min_args = 0,
	.max_args = 1,
	.flags = XM_XEND,
	.exec = cmd_sched_credit_exec,
};

static int
cmd_sched_credit_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	const char	*dom = xm_get(ctx, 'd'), *w = xm_get(ctx, 'w');
	const char	*c = xm_get(ctx, 'c');
	long		 weight = -1, cap = -1;
	json_t		*args, *r;

	if (w != NULL && parse_long(w, 1, 65535, &weight) != 0)
		return (xm_err(ctx, "weight must be 1 to 65535, not '%s'", w));
	if (c != NULL && parse_long(c, 0, 409600, &cap) != 0)
		return (xm_err(ctx, "cap must be a percentage (0 = none), not "
		    "'%s'", c));
	/* DOM as -d DOM or as the one argument, not both. */
	if ((dom == NULL) == (argc == 0)) {
		xm_err(ctx, dom == NULL ? "missing argument" : "DOM given "
		    "twice");
		return (xm_usage(ctx));
	}
	if (dom == NULL)
		dom = argv[0];
	args = json_pack("{s:s}", "dom", dom);
	if (weight > 0)
		json_object_set_new(args, "weight", json_integer(weight));
	if (cap >= 0)
		json_object_set_new(args, "cap", json_integer(cap));
	if ((r = xm_call(ctx, "domain.sched_credit", args)) == NULL)
		return (1);
	if (weight < 0 && cap < 0)
		printf("%-32s %6s %4s\n%-32s %6lld %4lld\n", "Name", "Weight",
		    "Cap", dom, (long long)json_integer_value(
		    json_object_get(r, "weight")), (long long)
		    json_integer_value(json_object_get(r, "cap")));
	json_decref(r);
	return (0);
}
