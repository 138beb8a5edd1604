/* cmd-vcpu-list.c: xm vcpu-list [DOM ...] */
#include <stdio.h>
#include <string.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_vcpu_list_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_vcpu_list = {
	.name = "vcpu-list",
	.args = "[DOM ...]",
	.summary = "list domains' vCPUs",
	.detail =
	"Columns: Name, ID, VCPU, CPU (host CPU it last ran on), State (r\n"
	"running, b blocked, p paused, off offline), Time(s), CPU Affinity.\n",
	.min_args = 0,
	.max_args = -1,
	.flags = XM_XEND,
	.exec = cmd_vcpu_list_exec,
};

static int
cmd_vcpu_list_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t		*list, *d, *vl, *v, *on, *host;
	int		 rc = 0, nhost;
	size_t		 k, j;
	char		 cpu[16];
	const char	*aff, *name;
	long long	 domid;

	if ((list = xm_list_domains(ctx, argc, argv, 0)) == NULL)
		return (1);
	if ((host = xm_call(ctx, "host.info", NULL)) == NULL) {
		json_decref(list);
		return (1);
	}
	nhost = json_integer_value(json_object_get(host, "nr_cpus"));
	json_decref(host);
	printf("%-32s %4s %5s %4s %-5s %8s  %s\n", "Name", "ID", "VCPU", "CPU",
	    "State", "Time(s)", "CPU Affinity");
	json_array_foreach(list, k, d) {
		domid = json_integer_value(json_object_get(d, "domid"));
		name = json_string_value(json_object_get(d, "name"));
		if (domid == 0)
			continue;
		if ((vl = xm_call(ctx, "domain.vcpu_list", json_pack("{s:I}",
		    "dom", (json_int_t)domid))) == NULL) {
			rc = 1;
			continue;
		}
		json_array_foreach(vl, j, v) {
			on = json_object_get(v, "online");
			if (json_is_false(on))
				strcpy(cpu, "-");
			else
				snprintf(cpu, sizeof cpu, "%lld", (long long)
				    json_integer_value(json_object_get(v,
				    "cpu")));
			aff = json_string_value(json_object_get(v, "affinity"));
			if (aff != NULL && nhost > 0) {
				char all[32];

				snprintf(all, sizeof all, nhost > 1 ? "0-%d" :
				    "%d", nhost - 1);
				if (strcmp(aff, all) == 0)
					aff = "any cpu";
			}
			printf("%-32s %4lld %5lld %4s %-5s %8.1f  %s\n", name,
			    domid, (long long)json_integer_value(
			    json_object_get(v, "vcpu")), cpu,
			    json_is_false(on) ? "off" : json_string_value(
			    json_object_get(v, "state")),
			    json_number_value(json_object_get(v, "cpu_time")),
			    aff != NULL ? aff : "?");
		}
		json_decref(vl);
	}
	json_decref(list);
	return (rc);
}
