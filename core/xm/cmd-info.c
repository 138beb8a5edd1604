/* cmd-info.c: xm info, host facts as "key : value" lines. */
#include <stdio.h>
#include <string.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_info_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_info = {
	.name = "info",
	.args = "",
	.summary = "print information about the host",
	.detail =
	"Host, hypervisor (kvm or tcg and why), CPUs and memory in MB.\n",
	.min_args = 0,
	.max_args = 0,
	.flags = XM_XEND,
	.exec = cmd_info_exec,
};

static int
cmd_info_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	static const char *keys[] = { "host", "release", "version", "machine",
	    "nr_cpus", "cpu_model", "cpu_mhz", "total_memory", "free_memory",
	    "claimed_memory", "dom0_min_mem", "nr_domains", "accel",
	    "accel_reason", "qemu_version", "xend_version", "xend_uptime" };
	json_t	*info, *v;
	size_t	 i;

	if ((info = xm_call(ctx, "host.info", NULL)) == NULL)
		return (1);
	for (i = 0; i < nitems(keys); i++) {
		v = json_object_get(info, keys[i]);
		printf("%-20s: ", keys[i]);
		if (json_is_string(v))
			printf("%s\n", json_string_value(v));
		else if (json_is_integer(v))
			printf("%lld\n", (long long)json_integer_value(v));
		else if (json_is_real(v))
			printf("%.0f\n", json_real_value(v));
		else
			printf("\n");
	}
	json_decref(info);
	return (0);
}
