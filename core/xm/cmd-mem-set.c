/* cmd-mem-set.c: xm mem-set [-w] [-t SECONDS] DOM MB (2.0: balloon) */
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
	"xm watches the guest until it gets there or stops (without -w for at\n"
	"most 10 s); a guest that stops short, at its kernel's floor for\n"
	"instance, is said to, with the size it has, and xm exits 1 (the\n"
	"target stays set).  A target the host cannot give while keeping\n"
	"dom0-min-mem for domain 0 is refused.\n",
	.options = "wt:",
	.longopts = cmd_mem_set_longopts,
	.min_args = 2,
	.max_args = 2,
	.flags = XM_XEND,
	.exec = cmd_mem_set_exec,
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
	json_t		*d;
	long		 mb, timeout = 30, before, old;
	const char	*t = xm_get(ctx, 't');

	if (t != NULL && parse_long(t, 1, 86400, &timeout) != 0)
		return (xm_err(ctx, "-t: expected seconds, got '%s'", t));
	if (parse_long(argv[1], 0, 1L << 30, &mb) != 0)
		return (xm_err(ctx, "'%s' is not a number of MB",
		    argv[1]));
	if ((d = xm_get_domain(ctx, argv[0])) == NULL)
		return (1);
	before = json_integer_value(json_object_get(d, "memory"));
	old = json_integer_value(json_object_get(d, "memory_target"));
	json_decref(d);
	if ((d = xm_call(ctx, "domain.mem_set", json_pack("{s:s, s:I}", "dom",
	    argv[0], "memory", (json_int_t)mb))) == NULL)
		return (1);
	json_decref(d);
	return (mem_set_watch(ctx, argv[0], mb, before, old, xm_has(ctx, 'w'),
	    timeout));
}
