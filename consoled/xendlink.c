/*
 * xendlink.c: xenconsoled follows xend's domains.  It subscribes to
 * events first, then asks for the domain list, so nothing falls between
 * the two; the list is the truth when it arrives (consoles of domains no
 * longer there close, new ones open).  If xend goes away (restart,
 * crash), consoles carry on and the link is retried every second; the
 * list after reconnecting settles whatever changed meanwhile.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "xen-common.h"
#include "client.h"
#include "rpc.h"
#include "xendcfg.h"
#include "consoled.h"

#define XENDLINK_RETRY_S	1

static struct rpc_client	*xl_client;
static struct event		*xl_retry_ev;
static int			 xl_warned;
static void			(*xl_ready)(void);

static void	xendlink_connect(void);

int
xendlink_connected(void)
{
	return (xl_client != NULL);
}

static void
xendlink_ready(void)
{
	void	(*fn)(void) = xl_ready;

	xl_ready = NULL;
	if (fn != NULL)
		fn();
}

static const char *
jstr(const json_t *o, const char *key)
{
	return (json_string_value(json_object_get(o, key)));
}

/* A domain object from xend: open or update its console. */
static void
xendlink_domain(const json_t *d)
{
	struct console_info	 ci;
	struct console		*con;
	const json_t		*cfg, *port, *vport;

	memset(&ci, 0, sizeof ci);
	if (!json_is_object(d) || !json_is_integer(json_object_get(d, "domid")))
		return;
	ci.domid = json_integer_value(json_object_get(d, "domid"));
	port = json_object_get(d, "console_port");
	ci.name = jstr(d, "name");
	ci.qemu_path = jstr(d, "console_path");
	if (ci.domid <= 0 || !json_is_integer(port) || ci.name == NULL ||
	    ci.qemu_path == NULL)
		return;		/* Domain-0, or nothing to serve */
	ci.port = json_integer_value(port);
	ci.qemu_log = jstr(d, "console_log");
	if (json_is_integer(json_object_get(d, "pid")))
		ci.qemu_pid = json_integer_value(json_object_get(d, "pid"));
	ci.vnc_path = jstr(d, "vnc_path");
	vport = json_object_get(d, "vnc_port");
	ci.vnc_port = json_is_integer(vport) ? json_integer_value(vport) :
	    cd_cfg.vnc_port_base + ci.domid;
	cfg = json_object_get(d, "config");
	ci.vnc_passwd = jstr(cfg, "vncpasswd");
	ci.vnc_passwd_ro = jstr(cfg, "vncpasswd_viewonly");

	if ((con = console_find(ci.domid)) != NULL) {
		/* The same id with another QEMU socket is another domain. */
		if (strcmp(con->qemu_path, ci.qemu_path) == 0) {
			console_update(con, &ci);
			return;
		}
		console_destroy(con);
	}
	console_create(&ci);
}

static void
xendlink_list(const json_t *list)
{
	struct console	*con, *con1;
	const json_t	*d, *id;
	size_t		 i;
	int		 seen;

	if (!json_is_array(list))
		return;
	TAILQ_FOREACH_SAFE(con, &consoles, entry, con1) {
		seen = 0;
		json_array_foreach(list, i, d) {
			id = json_object_get(d, "domid");
			if (json_is_integer(id) &&
			    json_integer_value(id) == con->domid)
				seen = 1;
		}
		if (!seen)
			console_destroy(con);
	}
	json_array_foreach(list, i, d)
		xendlink_domain(d);
	i = 0;
	TAILQ_FOREACH(con, &consoles, entry)
		i++;
	log_info("following xend: %zu consoles", i);
}

static void
xendlink_event(struct rpc_client *c, const struct rpc_msg *m, void *arg)
{
	const char	*ev;
	const json_t	*id;
	struct console	*con;

	if (m->bad) {
		log_warn("xend: bad json: %s", m->message);
		return;
	}
	if ((ev = jstr(m->json, "event")) == NULL)
		return;
	if (strcmp(ev, "domain.added") == 0 || strcmp(ev, "domain.state") == 0)
		xendlink_domain(json_object_get(m->json, "domain"));
	else if (strcmp(ev, "domain.migrated") == 0) {
		/* Its clients are told where it went (migrate.c). */
		id = json_object_get(m->json, "domid");
		if (json_is_integer(id) && jstr(m->json, "host") != NULL &&
		    (con = console_find(json_integer_value(id))) != NULL)
			console_moved(con, jstr(m->json, "host"),
			    (int)json_integer_value(json_object_get(m->json,
			    "console_port")));
	} else if (strcmp(ev, "domain.removed") == 0) {
		id = json_object_get(m->json, "domid");
		if (json_is_integer(id) &&
		    (con = console_find(json_integer_value(id))) != NULL)
			console_destroy(con);
	}
}

/* 1 if m is an error reply (logged unless the link went: that is). */
static int
xendlink_failed(const struct rpc_msg *m)
{
	if (m->code == NULL)
		return (0);
	if (strcmp(m->code, RPC_E_DISCONN) != 0)
		log_warn("xend: %s", m->message);
	return (1);
}

static void
xendlink_subscribed(struct rpc_client *c, const struct rpc_msg *m, void *arg)
{
	xendlink_failed(m);
}

static void
xendlink_listed(struct rpc_client *c, const struct rpc_msg *m, void *arg)
{
	if (xendlink_failed(m))
		return;
	xendlink_list(m->result);
	xendlink_ready();
}

static void
xendlink_lost(struct rpc_client *c, const char *why, void *arg)
{
	struct timeval	 tv = { XENDLINK_RETRY_S, 0 };

	log_warn("lost xend (%s); consoles carry on, retrying", why);
	rpc_client_free(xl_client, NULL);
	xl_client = NULL;
	evtimer_add(xl_retry_ev, &tv);
}

static void
xendlink_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	xendlink_connect();
}

static void
xendlink_connect(void)
{
	struct timeval	 tv = { XENDLINK_RETRY_S, 0 };
	char		*cause, *why, *path;
	int		 error;

	path = xendcfg_api_path(&cd_cfg);
	xl_client = rpc_client_open(path, "xend", xendlink_event,
	    xendlink_lost, NULL, &why);
	error = errno;
	free(path);
	if (xl_client == NULL) {
		if (!xl_warned)
			log_warn("%s", (cause = xen_unreachable(why, error)));
		else
			cause = NULL;
		xl_warned = 1;
		free(cause);
		free(why);
		evtimer_add(xl_retry_ev, &tv);
		xendlink_ready();	/* serve what we can meanwhile */
		return;
	}
	if (rpc_client_call(xl_client, "events.subscribe", NULL,
	    xendlink_subscribed, NULL, &cause) != 0 ||
	    rpc_client_call(xl_client, "domain.list", NULL, xendlink_listed,
	    NULL, &cause) != 0) {
		log_warn("%s", cause);
		free(cause);
		rpc_client_free(xl_client, NULL);
		xl_client = NULL;
		evtimer_add(xl_retry_ev, &tv);
		xendlink_ready();
		return;
	}
	if (xl_warned)
		log_info("connected to xend at %s", cd_cfg.unix_path);
	xl_warned = 0;
	rpc_client_attach(xl_client, cd_base);
}

void
xendlink_init(void (*ready)(void))
{
	xl_ready = ready;
	xl_retry_ev = evtimer_new(cd_base, xendlink_retry_cb, NULL);
	xendlink_connect();
}

void
xendlink_close(void)
{
	if (xl_retry_ev != NULL)
		event_free(xl_retry_ev);
	xl_retry_ev = NULL;
	rpc_client_free(xl_client, NULL);
	xl_client = NULL;
}
