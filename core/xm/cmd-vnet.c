/*
 * cmd-vnet.c: the 3.0 manual's vnets (appendix B): xm vnet-create FILE,
 * xm vnet-list, xm vnet-delete ID.  The file is SXP:
 *
 *   (vnet (id 97) (bridge vnet97) (vnetif vnif97) (security none)
 *         (peers 192.0.2.2 192.0.2.3))
 *
 * with, beside the manual's keys, where its frames go: (peers ADDR ...)
 * (the other hosts) or (group MCAST-ADDR) (dev IF); and (local ADDR),
 * (mtu N).  xend does the rest (vnet.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "sxp.h"
#include "xm.h"

static int	cmd_vnet_create_exec(struct xm_ctx *, int, char **);
static int	cmd_vnet_list_exec(struct xm_ctx *, int, char **);
static int	cmd_vnet_delete_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_vnet_create = {
	.name = "vnet-create",
	.args = "FILE",
	.summary = "create a vnet from its SXP file",
	.detail = "FILE holds (vnet (id N) (bridge BR) (vnetif IF) (security "
	    "none) (peers ADDR ...)),\nor (group MCAST-ADDR) (dev IF) instead "
	    "of peers.  xend makes the vnet as a\nVXLAN segment (VNI N, UDP "
	    "4789) on bridge BR and keeps it, also across its\nrestarts, until "
	    "xm vnet-delete.  Domains join it with vif = ['bridge=BR'].\n"
	    "security other than none is refused (VXLAN does not encrypt).\n",
	.min_args = 1,
	.max_args = 1,
	.flags = XM_XEND,
	.exec = cmd_vnet_create_exec,
};

const struct xm_cmd cmd_vnet_list = {
	.name = "vnet-list",
	.args = "",
	.summary = "list the vnets xend knows",
	.detail = "Prints each vnet as the SXP vnet-create takes.\n",
	.min_args = 0,
	.max_args = 0,
	.flags = XM_XEND,
	.exec = cmd_vnet_list_exec,
};

const struct xm_cmd cmd_vnet_delete = {
	.name = "vnet-delete",
	.args = "ID",
	.summary = "delete a vnet",
	.detail = "Deletes vnet ID, its bridge and its interface; refused "
	    "while a domain's\ninterface is on it.\n",
	.min_args = 1,
	.max_args = 1,
	.flags = XM_XEND,
	.exec = cmd_vnet_delete_exec,
};

/* (vnet ...) as the API's object, or NULL and *cause. */
static json_t *
vnet_from_sxp(const struct sxp *v, char **cause)
{
	static const char *const strs[] = { "bridge", "vnetif", "security",
	    "group", "dev", "local" };
	json_t		*o = json_object(), *peers;
	const struct sxp *c;
	const char	*name;
	char		*end;
	long		 n;
	size_t		 i, k;

	for (i = 1; i < v->n; i++) {
		c = v->items[i];
		name = sxp_name(c);
		if (c->type != SXP_LIST || name == NULL || c->n < 2) {
			*cause = xsprintf("line %d: expected (KEY VALUE)",
			    c->line);
			goto fail;
		}
		for (k = 0; k < c->n; k++) {
			if (c->items[k]->type != SXP_ATOM) {
				*cause = xsprintf("line %d: (%s ...) takes "
				    "plain values", c->line, name);
				goto fail;
			}
		}
		if (strcmp(name, "id") == 0 || strcmp(name, "mtu") == 0) {
			n = strtol(c->items[1]->atom, &end, 0);
			if (*c->items[1]->atom == '\0' || *end != '\0') {
				*cause = xsprintf("line %d: %s: expected a "
				    "number", c->line, name);
				goto fail;
			}
			json_object_set_new(o, name, json_integer(n));
			continue;
		}
		if (strcmp(name, "peers") == 0) {
			peers = json_array();
			for (k = 1; k < c->n; k++)
				json_array_append_new(peers, json_string(
				    c->items[k]->atom));
			json_object_set_new(o, name, peers);
			continue;
		}
		for (k = 0; k < nitems(strs); k++)
			if (strcmp(name, strs[k]) == 0)
				break;
		if (k == nitems(strs)) {
			*cause = xsprintf("line %d: unknown key '%s' (id, "
			    "bridge, vnetif, security, peers, group, dev, "
			    "local, mtu)", c->line, name);
			goto fail;
		}
		json_object_set_new(o, name, json_string(c->items[1]->atom));
	}
	return (o);
fail:
	json_decref(o);
	return (NULL);
}

static int
cmd_vnet_create_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	struct sxp	*top;
	json_t		*v, *r;
	char		*text, *cause;
	size_t		 len, i;
	int		 made = 0;

	if (file_read(argv[0], &text, &len, &cause) != 0) {
		xm_err(ctx, "%s", cause);
		free(cause);
		return (1);
	}
	if (sxp_parse(text, len, argv[0], &top, &cause) != 0) {
		free(text);
		xm_err(ctx, "%s", cause);
		free(cause);
		return (1);
	}
	free(text);
	for (i = 0; i < top->n; i++) {
		if (sxp_name(top->items[i]) == NULL ||
		    strcmp(sxp_name(top->items[i]), "vnet") != 0)
			continue;
		if ((v = vnet_from_sxp(top->items[i], &cause)) == NULL) {
			xm_err(ctx, "%s: %s", argv[0], cause);
			free(cause);
			sxp_free(top);
			return (1);
		}
		if ((r = xm_call(ctx, "vnet.create", json_pack("{s:o}", "vnet",
		    v))) == NULL) {
			sxp_free(top);
			return (1);
		}
		json_decref(r);
		made++;
	}
	sxp_free(top);
	if (made == 0) {
		xm_err(ctx, "%s: no (vnet ...) in it", argv[0]);
		return (1);
	}
	return (0);
}

static int
cmd_vnet_list_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	static const char *const order[] = { "bridge", "vnetif", "security",
	    "peers", "group", "dev", "local", "mtu" };
	json_t		*r, *v, *e;
	struct sxp	*s, *p;
	const char	*key;
	char		*text, num[32];
	size_t		 i, j, k;

	if ((r = xm_call(ctx, "vnet.list", json_object())) == NULL)
		return (1);
	json_array_foreach(r, i, v) {
		s = sxp_list_new("vnet");
		snprintf(num, sizeof num, "%lld", (long long)
		    json_integer_value(json_object_get(v, "id")));
		sxp_add_pair(s, "id", num);
		/* The manual's order, then ours. */
		for (k = 0; k < nitems(order); k++) {
			key = order[k];
			if ((e = json_object_get(v, key)) == NULL)
				continue;
			if (json_is_array(e)) {
				p = sxp_add(s, sxp_list_new(key));
				for (j = 0; j < json_array_size(e); j++)
					sxp_add(p, sxp_atom_new(
					    json_string_value(
					    json_array_get(e, j))));
			} else if (json_is_integer(e)) {
				snprintf(num, sizeof num, "%lld",
				    (long long)json_integer_value(e));
				sxp_add_pair(s, key, num);
			} else if (json_is_string(e))
				sxp_add_pair(s, key, json_string_value(e));
		}
		text = sxp_print(s, 0);
		printf("%s\n", text);
		free(text);
		sxp_free(s);
	}
	json_decref(r);
	return (0);
}

static int
cmd_vnet_delete_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t	*r;
	char	*end;
	long	 id;

	id = strtol(argv[0], &end, 0);
	if (*argv[0] == '\0' || *end != '\0' || id < 1) {
		xm_err(ctx, "invalid vnet id '%s'", argv[0]);
		return (2);
	}
	if ((r = xm_call(ctx, "vnet.delete", json_pack("{s:I}", "id",
	    (json_int_t)id))) == NULL)
		return (1);
	json_decref(r);
	return (0);
}
