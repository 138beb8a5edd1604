/* cmd-sched-credit.c: xm sched-credit -d DOM [-w WEIGHT] [-c CAP] */
#include <getopt.h>
#include <stdio.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_sched_credit_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_sched_credit = {
	"sched-credit", NULL, NULL, "-d DOM [-w WEIGHT] [-c CAP]",
	"show or set a domain's credit scheduler parameters",
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
	XM_XEND, cmd_sched_credit_exec
};

static int
cmd_sched_credit_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "weight", required_argument, NULL, 'w' },
		{ "cap", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*dom = NULL;
	long		 weight = -1, cap = -1;
	int		 ch;
	json_t		*args, *r;

	while ((ch = xm_getopt(ctx, argc, argv, "d:w:c:h", longopts)) != -1) {
		switch (ch) {
		case 'd':
			dom = optarg;
			break;
		case 'w':
			if (parse_long(optarg, 1, 65535, &weight) != 0)
				return (xm_err(ctx, "weight must be 1 to 65535, "
				    "not '%s'", optarg));
			break;
		case 'c':
			if (parse_long(optarg, 0, 409600, &cap) != 0)
				return (xm_err(ctx, "cap must be a percentage "
				    "(0 = none), not '%s'", optarg));
			break;
		case 'h':
			return (xm_help(ctx));
		default:
			return (xm_usage(ctx));
		}
	}
	if (dom == NULL && optind == argc - 1)
		dom = argv[optind++];
	if (dom == NULL || optind != argc)
		return (xm_usage(ctx));
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
