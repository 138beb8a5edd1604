/* cmd-uptime.c: xm uptime [-s] [DOM ...] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_uptime_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_uptime = {
	"uptime", NULL, NULL, "[-s] [DOM ...]",
	"print how long domains have been up",
	"  -s, --short   one line per domain, like uptime(1)\n",
	XM_XEND, cmd_uptime_exec
};

static int
cmd_uptime_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "short", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	json_t		*list, *d;
	int		 ch, shrt = 0;
	size_t		 k;
	char		*up, now[16];
	time_t		 t = time(NULL);
	struct tm	 tm;

	while ((ch = xm_getopt(ctx, argc, argv, "sh", longopts)) != -1) {
		switch (ch) {
		case 's':
			shrt = 1;
			break;
		case 'h':
			return (xm_help(ctx));
		default:
			return (xm_usage(ctx));
		}
	}
	if ((list = xm_list_domains(ctx, argc, argv, optind, 0)) == NULL)
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
