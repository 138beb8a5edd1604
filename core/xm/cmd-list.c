/* cmd-list.c: xm list [-l] [DOM ...], the manual's columns. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "domcfg.h"
#include "sxp.h"
#include "xm.h"

static int	cmd_list_exec(struct xm_ctx *, int, char **);

static const struct option cmd_list_longopts[] = {
	{ "long", no_argument, NULL, 'l' },
	{ NULL, 0, NULL, 0 }
};

const struct xm_cmd cmd_list = {
	.name = "list",
	.args = "[-l] [DOM ...]",
	.summary = "list domains",
	.detail =
	"  -l, --long   print each domain in full as SXP\n"
	"\n"
	"Columns: Name, Id, Mem(MB), VCPUs, CPU (host CPU vCPU 0 last ran on),\n"
	"State (r running, b blocked, p paused, s shutdown, c crashed,\n"
	"d dying), Time(s) (CPU time used), Console (TCP port, shown only\n"
	"while xenconsoled listens on it).\n",
	.options = "l",
	.longopts = cmd_list_longopts,
	.min_args = 0,
	.max_args = -1,
	.flags = XM_XEND,
	.exec = cmd_list_exec,
};

static void
add_num(struct sxp *s, const char *name, json_t *v)
{
	char	*text;

	if (json_is_integer(v))
		text = xsprintf("%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		text = xsprintf("%.1f", json_real_value(v));
	else
		return;
	sxp_add_pair(s, name, text);
	free(text);
}

static void
print_long(json_t *d)
{
	struct sxp	*s, *vm, *credit;
	json_t		*config = json_object_get(d, "config"), *sched, *sedf;
	const char	*str;
	char		*text;
	size_t		 i;

	s = sxp_list_new("domain");
	add_num(s, "domid", json_object_get(d, "domid"));
	sxp_add_pair(s, "name", json_string_value(json_object_get(d, "name")));
	sxp_add_pair(s, "state", json_string_value(json_object_get(d,
	    "state")));
	add_num(s, "memory", json_object_get(d, "memory"));
	add_num(s, "maxmem", json_object_get(d, "maxmem"));
	add_num(s, "vcpus", json_object_get(d, "vcpus"));
	add_num(s, "cpu_time", json_object_get(d, "cpu_time"));
	add_num(s, "console_port", json_object_get(d, "console_port"));
	add_num(s, "start_time", json_object_get(d, "start_time"));
	add_num(s, "up_time", json_object_get(d, "uptime"));
	add_num(s, "restart_count", json_object_get(d, "restart_count"));
	if ((str = json_string_value(json_object_get(d, "shutdown_reason"))))
		sxp_add_pair(s, "shutdown_reason", str);
	add_num(s, "memory_target", json_object_get(d, "memory_target"));
	if ((str = json_string_value(json_object_get(d, "vcpus_online"))))
		sxp_add_pair(s, "vcpus_online", str);
	if ((sched = json_object_get(d, "sched")) != NULL) {
		credit = sxp_add(s, sxp_list_new("sched_credit"));
		add_num(credit, "weight", json_object_get(json_object_get(sched,
		    "credit"), "weight"));
		add_num(credit, "cap", json_object_get(json_object_get(sched,
		    "credit"), "cap"));
		sedf = json_object_get(sched, "sedf");
		if (json_integer_value(json_object_get(sedf, "slice")) > 0) {
			credit = sxp_add(s, sxp_list_new("sched_sedf"));
			add_num(credit, "period", json_object_get(sedf,
			    "period"));
			add_num(credit, "slice", json_object_get(sedf,
			    "slice"));
		}
	}
	xm_network_sxp(s, d);
	if (json_is_object(config)) {
		/* The config's own (vm ...) entries, less what is above. */
		vm = domcfg_to_sxp(config);
		for (i = 1; i < vm->n; i++) {
			const char *n = sxp_name(vm->items[i]);

			if (n != NULL && (strcmp(n, "name") == 0 ||
			    strcmp(n, "memory") == 0 ||
			    strcmp(n, "maxmem") == 0 ||
			    strcmp(n, "vcpus") == 0))
				continue;
			sxp_add(s, vm->items[i]);
			vm->items[i] = NULL;
		}
		for (i = 1; i < vm->n; i++)
			sxp_free(vm->items[i]);
		vm->n = 1;
		sxp_free(vm);
	}
	text = sxp_print(s, 1);
	printf("%s\n", text);
	free(text);
	sxp_free(s);
}

static int
cmd_list_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*list, *d, *port, *cons, *con;
	int	 lng = xm_has(ctx, 'l');
	size_t	 k;
	char	 console[16], cpu[16];

	if ((list = xm_list_domains(ctx, argc, argv, lng)) == NULL)
		return (1);
	/*
	 * A port is xenconsoled's only while it listens there: before (or
	 * if someone else took it), whoever holds it is not the console.
	 */
	cons = xm_consoled_list(ctx);
	json_array_foreach(list, k, d) {
		con = xm_consoled_find(cons, json_integer_value(
		    json_object_get(d, "domid")));
		if (con == NULL || !json_is_true(json_object_get(con,
		    "listening")))
			json_object_del(d, "console_port");
	}
	json_decref(cons);
	if (!lng)
		printf("%-32s %4s %7s %5s %3s %-6s %8s %7s\n", "Name", "Id",
		    "Mem(MB)", "VCPUs", "CPU", "State", "Time(s)", "Console");
	json_array_foreach(list, k, d) {
		if (lng) {
			print_long(d);
			continue;
		}
		port = json_object_get(d, "console_port");
		if (json_is_integer(port))
			snprintf(console, sizeof console, "%lld",
			    (long long)json_integer_value(port));
		else
			console[0] = '\0';
		if (json_integer_value(json_object_get(d, "cpu")) >= 0)
			snprintf(cpu, sizeof cpu, "%lld", (long long)
			    json_integer_value(json_object_get(d, "cpu")));
		else
			strcpy(cpu, "-");
		printf("%-32s %4lld %7lld %5lld %3s %-6s %8.1f %7s\n",
		    json_string_value(json_object_get(d, "name")),
		    (long long)json_integer_value(json_object_get(d, "domid")),
		    (long long)json_integer_value(json_object_get(d, "memory")),
		    (long long)json_integer_value(json_object_get(d, "vcpus")),
		    cpu, json_string_value(json_object_get(d, "state")),
		    json_number_value(json_object_get(d, "cpu_time")), console);
	}
	json_decref(list);
	return (0);
}
