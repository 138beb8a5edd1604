/* cmd-uptime.c: xm uptime [-s] [DOM ...] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_uptime_exec(struct xm_ctx *, int, char **);

static const struct option cmd_uptime_longopts[] = {
	{ "short", no_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 }
};

const struct xm_cmd cmd_uptime = {
	.name = "uptime",
	.args = "[-s] [DOM ...]",
	.summary = "print how long domains have been up",
	.detail = "  -s, --short   one line per domain, like uptime(1)\n",
	.options = "s",
	.longopts = cmd_uptime_longopts,
	.min_args = 0,
	.max_args = -1,
	.flags = XM_XEND,
	.exec = cmd_uptime_exec,
};

static int
cmd_uptime_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t		*list, *d;
	int		 shrt = xm_has(ctx, 's');
	size_t		 k;
	char		*up, now[16];
	time_t		 t = time(NULL);
	struct tm	 tm;

	if ((list = xm_list_domains(ctx, argc, argv, 0)) == NULL)
		return (1);
	localtime_r(&t, &tm);
	strftime(now, sizeof now, "%H:%M:%S", &tm);
	if (!shrt)
		printf("%-32s %4s %s\n", "Name", "Id", "Uptime");
	json_array_foreach(list, k, d) {
		up = xm_format_uptime(json_number_value(json_object_get(d,
		    "uptime")));
		if (shrt)
			printf("%s up %s, %s (%lld)\n", now, up,
			    json_string_value(json_object_get(d, "name")),
			    (long long)json_integer_value(json_object_get(d,
			    "domid")));
		else
			printf("%-32s %4lld %s\n",
			    json_string_value(json_object_get(d, "name")),
			    (long long)json_integer_value(json_object_get(d,
			    "domid")), up);
		free(up);
	}
	json_decref(list);
	return (0);
}
