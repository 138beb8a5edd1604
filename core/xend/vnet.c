/*
 * vnet.c: the 3.0 manual's vnets (appendix B), virtual LANs that span
 * hosts, as Linux VXLAN segments (VNI = vnet id, UDP 4789) made by
 * $XEN_CONFIG_DIR/scripts/vnet-vxlan.  xend keeps them in
 * STATE/vnets.json until xm vnet-delete, and makes them again when it
 * starts; a domain joins one with vif = ['bridge=BRIDGE'].
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "xend.h"

#define VNET_ID_MAX	16777215	/* 24-bit VNI */

static json_t	*vnets;		/* [{id, bridge, vnetif, security, ...}] */

static char *
vnet_path(void)
{
	return (xsprintf("%s/vnets.json", xend_cfg.state_dir));
}

static int
vnet_save(char **cause)
{
	char	*path = vnet_path(), *text;
	int	 rc;

	text = json_dumps(vnets, JSON_INDENT(1) | JSON_SORT_KEYS);
	rc = file_write_atomic(path, text, strlen(text), 0600, cause);
	free(text);
	free(path);
	return (rc);
}

/* vnet-vxlan OP's argv for vnet v; argv_free. */
static char **
vnet_argv(json_t *v, const char *op)
{
	char		*kv[9], **argv, *peers = NULL, *p;
	const char	*s;
	json_t		*e;
	size_t		 i, n = 0;

	kv[n++] = xsprintf("id=%lld", (long long)json_integer_value(
	    json_object_get(v, "id")));
	kv[n++] = xsprintf("bridge=%s", json_string_value(json_object_get(v,
	    "bridge")));
	kv[n++] = xsprintf("vnetif=%s", json_string_value(json_object_get(v,
	    "vnetif")));
	json_array_foreach(json_object_get(v, "peers"), i, e) {
		p = xsprintf("%s%s%s", peers != NULL ? peers : "",
		    peers != NULL ? "," : "", json_string_value(e));
		free(peers);
		peers = p;
	}
	if (peers != NULL) {
		kv[n++] = xsprintf("peers=%s", peers);
		free(peers);
	}
	if ((s = json_string_value(json_object_get(v, "group"))) != NULL)
		kv[n++] = xsprintf("group=%s", s);
	if ((s = json_string_value(json_object_get(v, "dev"))) != NULL)
		kv[n++] = xsprintf("dev=%s", s);
	if ((s = json_string_value(json_object_get(v, "local"))) != NULL)
		kv[n++] = xsprintf("local=%s", s);
	if (json_is_integer(json_object_get(v, "mtu")))
		kv[n++] = xsprintf("mtu=%lld", (long long)json_integer_value(
		    json_object_get(v, "mtu")));
	kv[n] = NULL;
	argv = network_script_argv("vnet-vxlan", op, kv);
	for (i = 0; i < n; i++)
		free(kv[i]);
	return (argv);
}

static void
vnet_run(json_t *v, const char *op, script_done_cb done, void *arg)
{
	char	**argv = vnet_argv(v, op), **envp, *what;

	envp = network_script_env(NULL);
	what = xsprintf("vnet %lld: vnet-vxlan %s", (long long)
	    json_integer_value(json_object_get(v, "id")), op);
	script_start_env("vnet", what, argv, envp, xend_cfg.script_timeout,
	    done, arg);
	free(what);
	argv_free(envp);
	argv_free(argv);
}

static void
vnet_init_done(int ok, const char *how, void *arg)
{
	if (!ok)
		dmesg_add("vnet %s: cannot make it again: %s", (char *)arg, how);
	free(arg);
}

void
vnet_init(void)
{
	json_error_t	 jerr;
	json_t		*v;
	char		*path = vnet_path();
	size_t		 i;

	vnets = json_load_file(path, 0, &jerr);
	if (!json_is_array(vnets)) {
		if (vnets != NULL)
			log_warn("%s: not a list of vnets, ignored", path);
		json_decref(vnets);
		vnets = json_array();
	}
	free(path);
	json_array_foreach(vnets, i, v)
		vnet_run(v, "create", vnet_init_done, xsprintf("%lld",
		    (long long)json_integer_value(json_object_get(v, "id"))));
}

static int
vnet_ifname_ok(const char *s)
{
	size_t	 i;

	if (s == NULL || *s == '\0' || strlen(s) > 15)
		return (0);
	for (i = 0; s[i] != '\0'; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_.-", s[i]) == NULL)
			return (0);
	return (1);
}

static int
vnet_ipv4(const char *s, int multicast)
{
	struct in_addr	 a;
	unsigned long	 h;

	if (s == NULL || inet_pton(AF_INET, s, &a) != 1)
		return (0);
	h = ntohl(a.s_addr);
	return (multicast ? (h >> 28) == 14 : (h >> 28) != 14 && h != 0);
}

/* The vnet as given, checked and normalised, or NULL and *cause. */
static json_t *
vnet_check(json_t *in, char **cause)
{
	static const char *const keys[] = { "id", "bridge", "vnetif",
	    "security", "peers", "group", "dev", "local", "mtu" };
	json_t		*v, *e, *p;
	const char	*key, *s;
	json_int_t	 id;
	size_t		 i, k;

	if (!json_is_object(in)) {
		*cause = xstrdup("vnet: expected an object");
		return (NULL);
	}
	json_object_foreach(in, key, e) {
		for (k = 0; k < nitems(keys); k++)
			if (strcmp(key, keys[k]) == 0)
				break;
		if (k == nitems(keys)) {
			*cause = xsprintf("vnet: unknown key '%s'", key);
			return (NULL);
		}
	}
	e = json_object_get(in, "id");
	id = json_integer_value(e);
	if (!json_is_integer(e) || id < 1 || id > VNET_ID_MAX) {
		*cause = xsprintf("vnet: id: expected 1 to %d (the VXLAN "
		    "network identifier)", VNET_ID_MAX);
		return (NULL);
	}
	s = json_string_value(json_object_get(in, "security"));
	if (json_object_get(in, "security") != NULL &&
	    (s == NULL || strcmp(s, "none") != 0)) {
		*cause = xsprintf("vnet %lld: security '%s' is not supported: "
		    "VXLAN neither authenticates nor encrypts, so a vnet is as "
		    "private as the network it crosses; use (security none) "
		    "on a trusted network, with IPsec or WireGuard between "
		    "the hosts if it is not", (long long)id, s != NULL ? s :
		    "?");
		return (NULL);
	}
	v = json_pack("{s:I, s:s}", "id", id, "security", "none");
	for (k = 0; k < 2; k++) {
		key = k == 0 ? "bridge" : "vnetif";
		s = json_string_value(json_object_get(in, key));
		if (!vnet_ifname_ok(s)) {
			*cause = xsprintf("vnet %lld: %s: expected an interface "
			    "name (1 to 15 letters, digits, '_', '.', '-')",
			    (long long)id, key);
			goto fail;
		}
		json_object_set_new(v, key, json_string(s));
	}
	if (strcmp(json_string_value(json_object_get(v, "bridge")),
	    json_string_value(json_object_get(v, "vnetif"))) == 0) {
		*cause = xsprintf("vnet %lld: bridge and vnetif must differ",
		    (long long)id);
		goto fail;
	}
	if ((p = json_object_get(in, "peers")) != NULL) {
		if (!json_is_array(p) || json_array_size(p) == 0) {
			*cause = xsprintf("vnet %lld: peers: expected a list "
			    "of addresses", (long long)id);
			goto fail;
		}
		json_array_foreach(p, i, e) {
			if (!vnet_ipv4(json_string_value(e), 0)) {
				*cause = xsprintf("vnet %lld: peers: '%s' is "
				    "not a unicast IPv4 address", (long long)id,
				    json_is_string(e) ? json_string_value(e) :
				    "?");
				goto fail;
			}
		}
		json_object_set(v, "peers", p);
	}
	if ((e = json_object_get(in, "group")) != NULL) {
		if (!vnet_ipv4(json_string_value(e), 1)) {
			*cause = xsprintf("vnet %lld: group: expected an IPv4 "
			    "multicast address (224.0.0.0/4)", (long long)id);
			goto fail;
		}
		json_object_set(v, "group", e);
	}
	if ((json_object_get(v, "peers") != NULL) ==
	    (json_object_get(v, "group") != NULL)) {
		*cause = xsprintf("vnet %lld: give (peers ADDR ...), the other "
		    "hosts, or (group MCAST-ADDR) with (dev IF), not %s",
		    (long long)id, json_object_get(v, "group") != NULL ?
		    "both" : "neither");
		goto fail;
	}
	if ((e = json_object_get(in, "dev")) != NULL) {
		if (!vnet_ifname_ok(json_string_value(e))) {
			*cause = xsprintf("vnet %lld: dev: expected an "
			    "interface name", (long long)id);
			goto fail;
		}
		json_object_set(v, "dev", e);
	}
	if ((e = json_object_get(in, "local")) != NULL) {
		if (!vnet_ipv4(json_string_value(e), 0)) {
			*cause = xsprintf("vnet %lld: local: expected this "
			    "host's IPv4 address", (long long)id);
			goto fail;
		}
		json_object_set(v, "local", e);
	}
	if ((e = json_object_get(in, "mtu")) != NULL) {
		if (!json_is_integer(e) || json_integer_value(e) < 576 ||
		    json_integer_value(e) > 9000) {
			*cause = xsprintf("vnet %lld: mtu: expected 576 to "
			    "9000", (long long)id);
			goto fail;
		}
		json_object_set(v, "mtu", e);
	}
	return (v);
fail:
	json_decref(v);
	return (NULL);
}

/* A clash with a known vnet or the default network, or NULL. */
static char *
vnet_clash(json_t *v)
{
	json_t		*o;
	size_t		 i, k;
	const char	*names[2], *other[2];

	names[0] = json_string_value(json_object_get(v, "bridge"));
	names[1] = json_string_value(json_object_get(v, "vnetif"));
	json_array_foreach(vnets, i, o) {
		if (json_integer_value(json_object_get(o, "id")) ==
		    json_integer_value(json_object_get(v, "id")))
			return (xsprintf("vnet %lld exists already (xm "
			    "vnet-delete it first)", (long long)
			    json_integer_value(json_object_get(v, "id"))));
		other[0] = json_string_value(json_object_get(o, "bridge"));
		other[1] = json_string_value(json_object_get(o, "vnetif"));
		for (k = 0; k < 4; k++) {
			if (strcmp(names[k / 2], other[k % 2]) == 0)
				return (xsprintf("%s is used by vnet %lld",
				    names[k / 2], (long long)
				    json_integer_value(json_object_get(o,
				    "id"))));
		}
	}
	for (k = 0; k < 2; k++)
		if (strcmp(names[k], xend_cfg.default_bridge) == 0)
			return (xsprintf("%s is the default bridge",
			    names[k]));
	return (NULL);
}

struct vnet_job {
	vnet_done_cb	 done;
	void		*arg;
	json_t		*vnet;
};

static void
vnet_create_done(int ok, const char *how, void *arg)
{
	struct vnet_job	*j = arg;
	char		*cause;

	if (!ok) {
		cause = xsprintf("vnet %lld: vnet-vxlan create: %s", (long long)
		    json_integer_value(json_object_get(j->vnet, "id")), how);
		j->done("failed", cause, NULL, j->arg);
		free(cause);
		/* What the script made before it failed goes again. */
		vnet_run(j->vnet, "delete", NULL, NULL);
	} else if ((cause = vnet_clash(j->vnet)) != NULL) {
		/* Another create of the same vnet won the race. */
		j->done("invalid", cause, NULL, j->arg);
		free(cause);
	} else {
		json_array_append(vnets, j->vnet);
		if (vnet_save(&cause) != 0) {
			log_warn("%s", cause);
			free(cause);
		}
		dmesg_add("vnet %lld created on %s", (long long)
		    json_integer_value(json_object_get(j->vnet, "id")),
		    json_string_value(json_object_get(j->vnet, "bridge")));
		j->done(NULL, NULL, j->vnet, j->arg);
	}
	json_decref(j->vnet);
	free(j);
}

const char *
vnet_create(const json_t *in, vnet_done_cb done, void *arg, char **cause)
{
	struct vnet_job	*j;
	json_t		*v;

	*cause = NULL;
	if ((v = vnet_check((json_t *)in, cause)) == NULL)
		return ("invalid");
	if ((*cause = vnet_clash(v)) != NULL) {
		json_decref(v);
		return ("invalid");
	}
	j = xcalloc(1, sizeof *j);
	j->done = done;
	j->arg = arg;
	j->vnet = v;
	vnet_run(v, "create", vnet_create_done, j);
	return (NULL);
}

json_t *
vnet_list(void)
{
	return (json_deep_copy(vnets));
}

static void
vnet_delete_done(int ok, const char *how, void *arg)
{
	struct vnet_job	*j = arg;
	json_t		*v;
	size_t		 i;
	char		*cause;

	if (!ok) {
		cause = xsprintf("vnet %lld: vnet-vxlan delete: %s", (long long)
		    json_integer_value(json_object_get(j->vnet, "id")), how);
		j->done("failed", cause, NULL, j->arg);
		free(cause);
	} else {
		json_array_foreach(vnets, i, v) {
			if (json_equal(v, j->vnet)) {
				json_array_remove(vnets, i);
				break;
			}
		}
		if (vnet_save(&cause) != 0) {
			log_warn("%s", cause);
			free(cause);
		}
		dmesg_add("vnet %lld deleted", (long long)json_integer_value(
		    json_object_get(j->vnet, "id")));
		j->done(NULL, NULL, NULL, j->arg);
	}
	json_decref(j->vnet);
	free(j);
}

const char *
vnet_delete(long long id, vnet_done_cb done, void *arg, char **cause)
{
	struct vnet_job	*j;
	struct domain	*d;
	json_t		*v, *net, *e;
	const char	*br;
	size_t		 i, k;

	v = NULL;
	json_array_foreach(vnets, i, v)
		if (json_integer_value(json_object_get(v, "id")) == id)
			break;
	if (i == json_array_size(vnets) || v == NULL) {
		*cause = xsprintf("vnet %lld does not exist", id);
		return ("not_found");
	}
	br = json_string_value(json_object_get(v, "bridge"));
	TAILQ_FOREACH(d, &domains, entry) {
		net = network_domain_json(d);
		json_array_foreach(net, k, e) {
			if (strcmp(json_string_value(json_object_get(e,
			    "bridge")), br) == 0) {
				*cause = xsprintf("vnet %lld is in use by "
				    "domain %s (%s on %s)", id, d->name,
				    json_string_value(json_object_get(e,
				    "vifname")), br);
				json_decref(net);
				return ("invalid");
			}
		}
		json_decref(net);
	}
	j = xcalloc(1, sizeof *j);
	j->done = done;
	j->arg = arg;
	j->vnet = json_incref(v);
	vnet_run(v, "delete", vnet_delete_done, j);
	return (NULL);
}
