/*
 * xendlink.c: xensv's one connection to xend, on the loop thread.  It
 * subscribes to events (forwarded to every browser at once), reads the
 * domain list and host figures every second (the cache GET /api/domains
 * answers from, and 10 minutes of history per domain), and carries every
 * call a web request makes, many in flight, matched by id.
 *
 * Over core/lib/rpc.h's asynchronous client on the loop's event base;
 * the rest of xensv sees only link_call/link_cb.  If xend goes away,
 * calls fail at once with "unavailable" and the link is retried every
 * second.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "xen-common.h"
#include "rpc.h"
#include "xendcfg.h"
#include "xensv.h"

#define LINK_RETRY_S	1
#define LINK_POLL_MS	1000
#define HIST_LEN	600		/* 10 minutes at one a second */
#define HIST_FIELDS	7		/* t cpu mem rx tx rd wr */

struct pending {
	link_cb		 cb;
	void		*arg;
};

struct call {
	char		*op;
	json_t		*args;
	link_cb		 cb;
	void		*arg;
};

struct hist {
	int		 domid;
	int		 seen;
	double		 cpu_time, t;	/* the previous sample's */
	double		 rx, tx, rd, wr;
	int		 head, n;
	double		 s[HIST_LEN][HIST_FIELDS];
};

static struct rpc_client	*xl;
static struct event		*xl_retry_ev, *xl_poll_ev;
static int			 xl_warned, xl_list_busy, xl_list_again;

static pthread_mutex_t		 cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct blob		*cache_domains;	/* JSON text */
static struct blob		*cache_host;
static json_t			*cache_list;	/* parsed, for lookups */
static struct hist		**hists;
static size_t			 nhists;
static double			 host_busy, host_t;

static void	link_connect(void);
static void	link_refresh(void);
static int	link_lookup(const char *, int);
static void	link_send(const char *op, json_t *args, link_cb, void *);

struct blob *
blob_new(const char *text, size_t len)
{
	struct blob	*b = xmalloc(sizeof *b + len + 1);

	b->refs = 1;
	b->len = len;
	memcpy(b->data, text, len);
	b->data[len] = '\0';
	return (b);
}

struct blob *
blob_ref(struct blob *b)
{
	if (b != NULL)
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
	return (b);
}

void
blob_unref(void *arg)
{
	struct blob	*b = arg;

	if (b != NULL && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) ==
	    0)
		free(b);
}

int
link_connected(void)
{
	return (xl != NULL);
}

static struct hist *
hist_get(int domid, int create)
{
	size_t	 i;

	for (i = 0; i < nhists; i++) {
		if (hists[i]->domid == domid)
			return (hists[i]);
	}
	if (!create)
		return (NULL);
	hists = xreallocarray(hists, nhists + 1, sizeof *hists);
	hists[nhists] = xcalloc(1, sizeof **hists);
	hists[nhists]->domid = domid;
	hists[nhists]->t = -1;
	return (hists[nhists++]);
}

static double
jnum(const json_t *o, const char *key)
{
	return (json_number_value(json_object_get(o, key)));
}

/* Adds cpu_pct to each domain and a sample to its history (locked). */
static void
link_sample(json_t *list, double now, double wall)
{
	json_t		*d, *st;
	struct hist	*h;
	size_t		 i, j;
	double		 dt, cpu, *s;

	for (i = 0; i < nhists; i++)
		hists[i]->seen = 0;
	json_array_foreach(list, i, d) {
		if (!json_is_integer(json_object_get(d, "domid")))
			continue;
		h = hist_get(json_integer_value(json_object_get(d, "domid")),
		    1);
		h->seen = 1;
		st = json_object_get(d, "stats");
		dt = now - h->t;
		cpu = 0;
		if (h->t >= 0 && dt > 0.05)
			cpu = (jnum(d, "cpu_time") - h->cpu_time) * 100 / dt;
		if (cpu < 0)
			cpu = 0;
		json_object_set_new(d, "cpu_pct", json_real(cpu));
		if (h->t >= 0 && dt > 0.05) {
			s = h->s[h->head];
			s[0] = wall;
			s[1] = cpu;
			s[2] = jnum(d, "memory");
			s[3] = (jnum(st, "net_rx") - h->rx) / dt;
			s[4] = (jnum(st, "net_tx") - h->tx) / dt;
			s[5] = (jnum(st, "blk_rd") - h->rd) / dt;
			s[6] = (jnum(st, "blk_wr") - h->wr) / dt;
			for (j = 3; j < HIST_FIELDS; j++)
				if (s[j] < 0)
					s[j] = 0;
			h->head = (h->head + 1) % HIST_LEN;
			if (h->n < HIST_LEN)
				h->n++;
		}
		if (h->t < 0 || dt > 0.05) {
			h->t = now;
			h->cpu_time = jnum(d, "cpu_time");
			h->rx = jnum(st, "net_rx");
			h->tx = jnum(st, "net_tx");
			h->rd = jnum(st, "blk_rd");
			h->wr = jnum(st, "blk_wr");
		}
	}
	for (i = 0; i < nhists; ) {
		if (!hists[i]->seen) {
			free(hists[i]);
			hists[i] = hists[--nhists];
		} else
			i++;
	}
}

static void
broadcast(const char *type, json_t *body)
{
	char	*text;

	json_object_set_new(body, "type", json_string(type));
	if ((text = json_dumps(body, JSON_COMPACT)) == NULL)
		fatalx("json_dumps failed");
	ws_broadcast(text, strlen(text));
	free(text);
}

static void
list_done(json_t *result, const char *code, const char *msg, void *arg)
{
	json_t	*copy, *host = NULL;
	char	*text, *htext = NULL;

	xl_list_busy = 0;
	if (result == NULL || !json_is_array(result)) {
		if (code != NULL)
			log_warn("domain.list: %s", msg);
		return;
	}
	copy = json_deep_copy(result);
	pthread_mutex_lock(&cache_lock);
	link_sample(copy, time_mono(), time_wall());
	if ((text = json_dumps(copy, JSON_COMPACT)) == NULL)
		fatalx("json_dumps failed");
	blob_unref(cache_domains);
	cache_domains = blob_new(text, strlen(text));
	free(text);
	json_decref(cache_list);
	cache_list = json_incref(copy);
	if (cache_host != NULL)
		htext = xstrdup(cache_host->data);
	pthread_mutex_unlock(&cache_lock);
	if (htext != NULL)
		host = json_loads(htext, 0, NULL);
	free(htext);
	broadcast("domains", json_pack("{s:o, s:o}", "domains", copy,
	    "host", host != NULL ? host : json_null()));
	if (xl_list_again) {
		xl_list_again = 0;
		xl_list_busy = 1;
		link_send("domain.list", json_pack("{s:b}", "config", 0),
		    list_done, NULL);
	}
}

static void
host_done(json_t *result, const char *code, const char *msg, void *arg)
{
	json_t	*copy, *c;
	double	 busy = 0, now = time_mono(), pct = 0;
	size_t	 i;
	char	*text;

	if (result == NULL || !json_is_object(result))
		return;
	copy = json_deep_copy(result);
	json_array_foreach(json_object_get(copy, "cpus"), i, c)
		busy += jnum(c, "busy");
	pthread_mutex_lock(&cache_lock);
	if (host_t > 0 && now - host_t > 0.05)
		pct = (busy - host_busy) * 100 / (now - host_t);
	host_busy = busy;
	host_t = now;
	json_object_set_new(copy, "cpu_pct", json_real(pct < 0 ? 0 : pct));
	if ((text = json_dumps(copy, JSON_COMPACT)) == NULL)
		fatalx("json_dumps failed");
	blob_unref(cache_host);
	cache_host = blob_new(text, strlen(text));
	free(text);
	pthread_mutex_unlock(&cache_lock);
	json_decref(copy);
}

static void
link_refresh(void)
{
	if (xl == NULL)
		return;
	if (xl_list_busy) {
		xl_list_again = 1;
		return;
	}
	xl_list_busy = 1;
	link_send("host.info", NULL, host_done, NULL);
	link_send("domain.list", json_pack("{s:b}", "config", 0), list_done,
	    NULL);
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval	 tv = { 0, LINK_POLL_MS * 1000 };

	link_refresh();
	evtimer_add(xl_poll_ev, &tv);
}

static void
event_cb(struct rpc_client *c, const struct rpc_msg *m, void *arg)
{
	if (m->bad) {
		log_warn("xend: bad json: %s", m->message);
		return;
	}
	broadcast("event", json_pack("{s:O}", "event", m->json));
	link_refresh();
}

static void
reply_cb(struct rpc_client *c, const struct rpc_msg *m, void *arg)
{
	struct pending	*p = arg;

	if (m->code != NULL)
		p->cb(NULL, strcmp(m->code, RPC_E_DISCONN) == 0 ?
		    "unavailable" : m->code, m->message, p->arg);
	else
		p->cb(m->result, NULL, NULL, p->arg);
	free(p);
}

/* The connection went; calls in flight have had their error replies. */
static void
lost_cb(struct rpc_client *c, const char *why, void *arg)
{
	struct timeval	 tv = { LINK_RETRY_S, 0 };

	log_warn("lost xend (%s); retrying every %d s", why, LINK_RETRY_S);
	rpc_client_free(xl, NULL);
	xl = NULL;
	xl_list_busy = xl_list_again = 0;
	if (xl_retry_ev != NULL)
		evtimer_add(xl_retry_ev, &tv);
}

/* Loop thread only. */
static void
link_send(const char *op, json_t *args, link_cb cb, void *arg)
{
	struct pending	*p;
	char		*cause;

	if (xl == NULL) {
		json_decref(args);
		cb(NULL, "unavailable", "xend is not running (xensv retries "
		    "every second)", arg);
		return;
	}
	p = xcalloc(1, sizeof *p);
	p->cb = cb;
	p->arg = arg;
	if (rpc_client_call(xl, op, args, reply_cb, p, &cause) != 0) {
		free(p);
		cb(NULL, "unavailable", cause, arg);
		free(cause);
	}
}

static void
call_run(void *arg)
{
	struct call	*c = arg;

	link_send(c->op, c->args, c->cb, c->arg);
	free(c->op);
	free(c);
}

void
link_call(const char *op, json_t *args, link_cb cb, void *arg)
{
	struct call	*c = xcalloc(1, sizeof *c);

	c->op = xstrdup(op);
	c->args = args;
	c->cb = cb;
	c->arg = arg;
	loop_post(call_run, c);
}

static void
subscribed(json_t *result, const char *code, const char *msg, void *arg)
{
	if (code != NULL)
		log_warn("events.subscribe: %s", msg);
}

static void
link_connect(void)
{
	struct timeval	 tv = { LINK_RETRY_S, 0 };
	char		*cause, *path;

	path = xendcfg_api_path(&sv_cfg);
	xl = rpc_client_open(path, "xend", event_cb, lost_cb, NULL, &cause);
	if (xl == NULL) {
		if (!xl_warned)
			log_warn("cannot connect to xend: %s", cause);
		xl_warned = 1;
		free(cause);
		free(path);
		evtimer_add(xl_retry_ev, &tv);
		return;
	}
	log_info("connected to xend at %s", path);
	free(path);
	xl_warned = 0;
	rpc_client_attach(xl, sv_base);
	link_send("events.subscribe", NULL, subscribed, NULL);
	link_refresh();
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	link_connect();
}

void
link_init(void)
{
	struct timeval	 tv = { 0, LINK_POLL_MS * 1000 };

	xl_retry_ev = evtimer_new(sv_base, retry_cb, NULL);
	xl_poll_ev = evtimer_new(sv_base, poll_cb, NULL);
	evtimer_add(xl_poll_ev, &tv);
	link_connect();
}

/* Stopping: a call still in flight gets its answer all the same. */
static void
drop_pending(void *arg)
{
	struct pending	*p = arg;

	p->cb(NULL, "unavailable", "xensv is stopping", p->arg);
	free(p);
}

void
link_close(void)
{
	size_t	 i;

	if (xl_retry_ev != NULL)
		event_free(xl_retry_ev);
	xl_retry_ev = NULL;
	if (xl_poll_ev != NULL)
		event_free(xl_poll_ev);
	xl_poll_ev = NULL;
	if (xl != NULL) {
		/* Calls in flight are answered "unavailable" (resumed). */
		rpc_client_free(xl, drop_pending);
		xl = NULL;
	}
	pthread_mutex_lock(&cache_lock);
	blob_unref(cache_domains);
	blob_unref(cache_host);
	json_decref(cache_list);
	cache_domains = cache_host = NULL;
	cache_list = NULL;
	for (i = 0; i < nhists; i++)
		free(hists[i]);
	free(hists);
	hists = NULL;
	nhists = 0;
	pthread_mutex_unlock(&cache_lock);
}

struct blob *
link_domains_blob(void)
{
	struct blob	*b;

	pthread_mutex_lock(&cache_lock);
	b = blob_ref(cache_domains);
	pthread_mutex_unlock(&cache_lock);
	return (b);
}

struct blob *
link_host_blob(void)
{
	struct blob	*b;

	pthread_mutex_lock(&cache_lock);
	b = blob_ref(cache_host);
	pthread_mutex_unlock(&cache_lock);
	return (b);
}

char *
link_host_text(size_t *len)
{
	char	*t;

	pthread_mutex_lock(&cache_lock);
	t = cache_host != NULL ? xstrdup(cache_host->data) : NULL;
	pthread_mutex_unlock(&cache_lock);
	if (t != NULL)
		*len = strlen(t);
	return (t);
}

char *
link_hello_text(void)
{
	char	*t;

	pthread_mutex_lock(&cache_lock);
	t = xsprintf("{\"type\":\"domains\",\"domains\":%s,\"host\":%s}",
	    cache_domains != NULL ? cache_domains->data : "[]",
	    cache_host != NULL ? cache_host->data : "null");
	pthread_mutex_unlock(&cache_lock);
	return (t);
}

int
link_domid(const char *dom)
{
	return (link_lookup(dom, 0));
}

int
link_domid_by_name(const char *name)
{
	return (link_lookup(name, 1));
}

static int
link_lookup(const char *dom, int names_only)
{
	json_t		*d;
	size_t		 i;
	long		 n;
	int		 id = -1;
	const char	*name;

	pthread_mutex_lock(&cache_lock);
	json_array_foreach(cache_list, i, d) {
		name = json_string_value(json_object_get(d, "name"));
		if (name != NULL && strcmp(name, dom) == 0) {
			id = json_integer_value(json_object_get(d, "domid"));
			break;
		}
	}
	if (id == -1 && !names_only && parse_long(dom, 0, 1 << 30, &n) == 0) {
		json_array_foreach(cache_list, i, d) {
			if (json_integer_value(json_object_get(d, "domid")) ==
			    n)
				id = n;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	return (id);
}

int
link_domain_exists(int domid)
{
	char	 buf[16];

	snprintf(buf, sizeof buf, "%d", domid);
	return (link_domid(buf) == domid);
}

json_t *
link_history(int domid)
{
	struct hist	*h;
	json_t		*a, *row;
	int		 i, j, k;

	pthread_mutex_lock(&cache_lock);
	if ((h = hist_get(domid, 0)) == NULL) {
		pthread_mutex_unlock(&cache_lock);
		return (NULL);
	}
	a = json_array();
	for (i = 0; i < h->n; i++) {
		k = (h->head - h->n + i + HIST_LEN) % HIST_LEN;
		row = json_array();
		for (j = 0; j < HIST_FIELDS; j++)
			json_array_append_new(row, json_real(h->s[k][j]));
		json_array_append_new(a, row);
	}
	pthread_mutex_unlock(&cache_lock);
	return (json_pack("{s:i, s:i, s:[sssssss], s:o}", "domid", domid,
	    "interval", LINK_POLL_MS / 1000, "fields", "t", "cpu_pct",
	    "memory", "net_rx", "net_tx", "blk_rd", "blk_wr", "samples", a));
}

int
link_vnc_port(int domid)
{
	json_t	*d, *port;
	size_t	 i;
	int	 p = -1;

	pthread_mutex_lock(&cache_lock);
	json_array_foreach(cache_list, i, d) {
		if (json_integer_value(json_object_get(d, "domid")) != domid)
			continue;
		port = json_object_get(d, "vnc_port");
		if (json_is_integer(port))
			p = json_integer_value(port);
	}
	pthread_mutex_unlock(&cache_lock);
	return (p);
}
