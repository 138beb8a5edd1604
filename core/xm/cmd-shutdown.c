/* cmd-shutdown.c: xm shutdown [-w] [-a] [-R|-H] [DOM] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_shutdown_exec(struct xm_ctx *, int, char **);

const struct option xm_shutdown_longopts[] = {
	{ "wait", no_argument, NULL, 'w' },
	{ "all", no_argument, NULL, 'a' },
	{ "reboot", no_argument, NULL, 'R' },
	{ "halt", no_argument, NULL, 'H' },
	{ NULL, 0, NULL, 0 }
};

const struct xm_cmd cmd_shutdown = {
	.name = "shutdown",
	.args = "[-w] [-a] [-R | -H] [DOM]",
	.summary = "ask a domain to shut down",
	.detail =
	"  -w, --wait     wait until the domain has shut down (or rebooted)\n"
	"  -a, --all      every domain except Domain-0\n"
	"  -R, --reboot   reboot rather than power off\n"
	"  -H, --halt     halt: power off and do not restart, whatever on_*\n"
	"\n"
	"The guest sees an ACPI power-button press and shuts down cleanly;\n"
	"then the domain's on_poweroff (or on_reboot) policy applies.\n",
	.options = "waRH",
	.longopts = xm_shutdown_longopts,
	.min_args = 0,
	.max_args = 1,
	.flags = XM_XEND,
	.exec = cmd_shutdown_exec,
};

struct target {
	long long	 domid;
	char		*name;
	long long	 restarts;
	int		 done;
};

/*
 * 1: done (gone, kept shut down or crashed, or restarted by its on_*
 * policy: its restart count moved); -1: xend gave up (the guest ignored
 * the power button for shutdown-timeout); 0: not yet.
 */
static int
target_done(struct target *t, json_t *list)
{
	json_t		*d;
	size_t		 i;
	const char	*state;

	json_array_foreach(list, i, d) {
		if (json_integer_value(json_object_get(d, "domid")) != t->domid)
			continue;
		state = json_string_value(json_object_get(d, "state"));
		if (state != NULL && (state[3] == 's' || state[4] == 'c'))
			return (1);
		if (json_integer_value(json_object_get(d, "restart_count")) >
		    t->restarts)
			return (1);
		if (json_is_null(json_object_get(d, "shutdown_requested")))
			return (-1);
		return (0);
	}
	return (1);
}

int
xm_shutdown_common(struct xm_ctx *ctx, int argc, char **argv,
    const char *mode)
{
	int		 wait = xm_has(ctx, 'w'), all = xm_has(ctx, 'a');
	int		 rc = 0, left;
	size_t		 i, n = 0;
	json_t		*list, *d, *r;
	struct target	*t;
	const char	*state;

	if (xm_has(ctx, 'R') && xm_has(ctx, 'H')) {
		xm_err(ctx, "-R and -H exclude each other");
		return (xm_usage(ctx));
	}
	if (xm_has(ctx, 'R'))
		mode = "reboot";
	else if (xm_has(ctx, 'H'))
		mode = "halt";
	/* Either -a or one DOM. */
	if (all ? argc != 0 : argc != 1) {
		xm_err(ctx, all ? "-a takes no DOM" : "missing argument");
		return (xm_usage(ctx));
	}
	if ((list = xm_call(ctx, "domain.list", all ? NULL :
	    json_pack("{s:[s]}", "doms", argv[0]))) == NULL)
		return (1);
	t = xcalloc(json_array_size(list) + 1, sizeof *t);
	json_array_foreach(list, i, d) {
		t[n].domid = json_integer_value(json_object_get(d, "domid"));
		if (t[n].domid == 0) {
			if (!all) {
				free(t);
				json_decref(list);
				return (xm_err(ctx, "Domain-0 cannot be shut "
				    "down with xm"));
			}
			continue;
		}
		state = json_string_value(json_object_get(d, "state"));
		if (all && state != NULL && (state[3] == 's' ||
		    state[4] == 'c' || state[5] == 'd'))
			continue;
		t[n].name = xstrdup(json_string_value(json_object_get(d,
		    "name")));
		t[n].restarts = json_integer_value(json_object_get(d,
		    "restart_count"));
		r = xm_call(ctx, "domain.shutdown", json_pack("{s:I, s:s}",
		    "dom", (json_int_t)t[n].domid, "mode", mode));
		if (r == NULL) {
			rc = 1;
			free(t[n].name);
			continue;
		}
		json_decref(r);
		n++;
	}
	json_decref(list);
	for (left = n; wait && left > 0; ) {
		usleep(200000);
		if ((list = xm_call(ctx, "domain.list", NULL)) == NULL) {
			rc = 1;
			break;
		}
		for (i = 0; i < n; i++) {
			if (t[i].done)
				continue;
			switch (target_done(&t[i], list)) {
			case 1:
				printf("Domain %s %s\n", t[i].name,
				    strcmp(mode, "reboot") == 0 ? "rebooted" :
				    "shut down");
				fflush(stdout);
				break;
			case -1:
				rc = xm_err(ctx, "%s did not respond to the "
				    "power button; see 'xm dmesg' (xm destroy "
				    "stops it at once)", t[i].name);
				break;
			default:
				continue;
			}
			t[i].done = 1;
			left--;
		}
		json_decref(list);
	}
	for (i = 0; i < n; i++)
		free(t[i].name);
	free(t);
	return (rc);
}

static int
cmd_shutdown_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	return (xm_shutdown_common(ctx, argc, argv, "poweroff"));
}
