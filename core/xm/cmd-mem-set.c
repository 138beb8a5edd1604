/* cmd-mem-set.c: xm mem-set [-w] [-t SECONDS] DOM MB (2.0: balloon) */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_mem_set_exec(struct xm_ctx *, int, char **);

/* Near enough: a balloon moves in pages and the kernel keeps some. */
#define MEM_NEAR_MB	2
/* Seconds without getting nearer: the guest has gone as far as it can. */
#define MEM_SETTLE	4.0
/* Without -w, how long mem-set watches a guest that is still moving. */
#define MEM_WATCH	10

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

/*
 * Watches the guest's balloon after a new target: 0 when the guest gets
 * there (or, without -w, is still on its way when the watch ends), else
 * says where it stopped.  A guest stops short when its kernel can give no
 * more back: the demo kernel's floor is about 63 MB.
 */
static int
mem_set_watch(struct xm_ctx *ctx, const char *dom, long mb, long before,
    long old, int wait, long timeout)
{
	json_t		*d;
	const char	*state;
	char		*name = NULL, within[32] = "";
	long		 actual, dist, best = -1;
	double		 now, deadline, moved;
	int		 rc = 1;

	now = time_mono();
	deadline = now + (wait ? timeout : MEM_WATCH);
	moved = now;
	for (;;) {
		if ((d = xm_get_domain(ctx, dom)) == NULL)
			goto out;
		free(name);
		name = xstrdup(json_is_string(json_object_get(d, "name")) ?
		    json_string_value(json_object_get(d, "name")) : dom);
		actual = json_integer_value(json_object_get(d, "memory"));
		state = json_string_value(json_object_get(d, "state"));
		if (!wait && state != NULL && strchr(state, 'p') != NULL) {
			fprintf(stderr, "%s: memory target %ld MB: the domain "
			    "is paused; its balloon moves once it runs\n",
			    name, mb);
			json_decref(d);
			rc = 0;
			goto out;
		}
		json_decref(d);
		dist = labs(actual - mb);
		if (dist <= MEM_NEAR_MB) {
			if (wait)
				printf("%s: %ld MB (target %ld MB)\n", name,
				    actual, mb);
			rc = 0;
			goto out;
		}
		now = time_mono();
		/* Ups and downs of a page or two are not progress. */
		if (best == -1 || dist < best - 1) {
			best = dist;
			moved = now;
		}
		if ((!wait && now - moved >= MEM_SETTLE) || now > deadline)
			break;
		usleep(250000);
	}
	if (!wait && now - moved < MEM_SETTLE) {
		fprintf(stderr, "%s: memory target %ld MB: the guest has %ld "
		    "MB so far and is still moving; xm list shows what it "
		    "has\n", name, mb, actual);
		rc = 0;
	} else if (labs(actual - before) <= MEM_NEAR_MB &&
	    labs(before - old) <= MEM_NEAR_MB) {
		/* It had followed the last target but does not move now. */
		xm_err(ctx, "%s: memory target %ld MB not reached: the guest "
		    "stays at %ld MB (no balloon driver answers in it)", name,
		    mb, actual);
	} else {
		if (wait)
			snprintf(within, sizeof within, " within %ld s",
			    timeout);
		xm_err(ctx, "%s: memory target %ld MB not reached%s: the guest "
		    "stays at %ld MB (%s); xm list shows what it has", name,
		    mb, within, actual, actual > mb ? "its kernel's floor" :
		    "it takes no more");
	}
out:
	free(name);
	return (rc);
}

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
	long	 mb, timeout = 30, before, old;
	int	 ch, wait = 0;

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
	if ((d = xm_get_domain(ctx, argv[optind])) == NULL)
		return (1);
	before = json_integer_value(json_object_get(d, "memory"));
	old = json_integer_value(json_object_get(d, "memory_target"));
	json_decref(d);
	if ((d = xm_call(ctx, "domain.mem_set", json_pack("{s:s, s:I}", "dom",
	    argv[optind], "memory", (json_int_t)mb))) == NULL)
		return (1);
	json_decref(d);
	return (mem_set_watch(ctx, argv[optind], mb, before, old, wait,
	    timeout));
}
