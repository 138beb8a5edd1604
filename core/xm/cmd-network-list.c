/*
 * cmd-network-list.c: xm network-list DOM, a domain's network interfaces
 * with their host-side names, MACs, bridges and addresses (the DHCP
 * lease on the default network, else the config's); and the same as the
 * (network ...) part of xm list -l.
 */
#include <stdio.h>
#include <string.h>

#include "xen-common.h"
#include "sxp.h"
#include "xm.h"

static int	cmd_network_list_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_network_list = {
	.name = "network-list",
	.args = "DOM",
	.summary = "list a domain's network interfaces",
	.detail = "Prints one line per virtual network interface of DOM: its "
	    "index (the DEVID\nof network-detach), host-side name, MAC, "
	    "bridge and IPv4 address (leased by\nthe default network's DHCP "
	    "server, or from the config; - if not known).\n",
	.min_args = 1,
	.max_args = 1,
	.flags = XM_XEND,
	.exec = cmd_network_list_exec,
};

static const char *
str_or(json_t *o, const char *key, const char *dflt)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return (s != NULL ? s : dflt);
}

void
xm_network_sxp(struct sxp *s, json_t *d)
{
	json_t		*net = json_object_get(d, "network"), *v;
	struct sxp	*n, *vif;
	char		 devid[32];
	size_t		 i;

	if (!json_is_array(net) || json_array_size(net) == 0)
		return;
	n = sxp_add(s, sxp_list_new("network"));
	json_array_foreach(net, i, v) {
		vif = sxp_add(n, sxp_list_new("vif"));
		snprintf(devid, sizeof devid, "%lld", (long long)
		    json_integer_value(json_object_get(v, "devid")));
		sxp_add_pair(vif, "devid", devid);
		sxp_add_pair(vif, "vifname", str_or(v, "vifname", ""));
		if (json_is_string(json_object_get(v, "mac")))
			sxp_add_pair(vif, "mac", str_or(v, "mac", ""));
		sxp_add_pair(vif, "bridge", str_or(v, "bridge", ""));
		if (json_is_string(json_object_get(v, "ip"))) {
			sxp_add_pair(vif, "ip", str_or(v, "ip", ""));
			sxp_add_pair(vif, "ip_source", str_or(v, "ip_source",
			    ""));
		}
	}
}

static int
cmd_network_list_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*d, *v;
	size_t	 i;

	if ((d = xm_get_domain(ctx, argv[0])) == NULL)
		return (1);
	printf("%-4s %-12s %-18s %-16s %s\n", "Idx", "Vif", "MAC", "Bridge",
	    "IP");
	json_array_foreach(json_object_get(d, "network"), i, v) {
		printf("%-4lld %-12s %-18s %-16s %s\n", (long long)
		    json_integer_value(json_object_get(v, "devid")),
		    str_or(v, "vifname", "-"), str_or(v, "mac", "-"),
		    str_or(v, "bridge", "-"), str_or(v, "ip", "-"));
	}
	json_decref(d);
	return (0);
}
