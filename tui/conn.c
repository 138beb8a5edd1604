/*
 * conn.c: the dashboard's connection to xend, and (for the detail view)
 * one to xenconsoled's control socket, which works the same way without
 * events.  rpc.h's asynchronous client sends requests without waiting,
 * matches replies to their callbacks by id and fails every request in
 * flight with "disconnected" if the connection drops (the refresh timer
 * reconnects); events go to top.c.  Lines are scanned with jscan, not
 * parsed: domain.list at 500 domains is handed over raw.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "client.h"
#include "rpc.h"
#include "top.h"

/* A request in flight: rpc's callback argument. */
struct conn_call {
	struct conn		*c;
	struct top		*top;
	int			 raw;
	conn_cb			 cb;
	void			*arg;
};

struct conn {
	const struct xendcfg	*cfg;
	char			*path;		/* NULL: xend, subscribed */
	char			*error;		/* why not connected */
	struct rpc_client	*client;
	struct top		*top;		/* of the read in progress */
	int			 rd;		/* RD_* of callbacks run */
	unsigned long		 requests;
	int			 answered;	/* a reply on this connection */
};

struct conn *
conn_new(const struct xendcfg *cfg)
{
	struct conn	*c = xcalloc(1, sizeof *c);

	c->cfg = cfg;
	return (c);
}

struct conn *
conn_new_path(const char *path)
{
	struct conn	*c = xcalloc(1, sizeof *c);

	c->path = xstrdup(path);
	return (c);
}

/* The top-level members of a message we care about. */
struct msg_spans {
	const char	*id, *id_end;
	const char	*result, *result_end;
	const char	*error, *error_end;
	int		 event;
};

static int
msg_member(const char *key, size_t klen, const char *v, const char *vend,
    void *arg)
{
	struct msg_spans	*m = arg;

	if (jscan_key_is(key, klen, "id")) {
		m->id = v;
		m->id_end = vend;
	} else if (jscan_key_is(key, klen, "result")) {
		m->result = v;
		m->result_end = vend;
	} else if (jscan_key_is(key, klen, "error")) {
		m->error = v;
		m->error_end = vend;
	} else if (jscan_key_is(key, klen, "event"))
		m->event = 1;
	return (0);
}

/* rpc_scan_fn: only the error object is parsed. */
static int
conn_scan(const char *line, size_t len, struct rpc_msg *m, char **cause)
{
	struct msg_spans	 s;
	json_error_t		 jerr;
	double			 idv;

	memset(m, 0, sizeof *m);
	memset(&s, 0, sizeof s);
	m->line = line;
	m->len = len;
	if (jscan_object(line, line + len, msg_member, &s) != 0) {
		*cause = xstrdup("bad message");
		return (-1);
	}
	m->event = s.event;
	if (s.id != NULL) {
		idv = jscan_number(s.id, s.id_end);
		if (isfinite(idv) && idv == (double)(json_int_t)idv) {
			m->has_id = 1;
			m->id = (json_int_t)idv;
		}
	}
	m->raw = s.result;
	m->raw_end = s.result_end;
	if (s.error != NULL) {
		m->json = json_loadb(s.error, s.error_end - s.error, 0, &jerr);
		rpc_msg_error(m, m->json);
	}
	return (0);
}

static void
conn_event(struct rpc_client *rc, const struct rpc_msg *m, void *arg)
{
	struct conn	*c = arg;
	struct top	*top = c->top;

	if (m->bad) {
		top_status(top, 1, "bad message from %s (%zu bytes)",
		    c->path != NULL ? c->path : "xend", m->len);
		c->rd |= RD_BAR;
	} else if (c == top->conn)
		c->rd |= top_handle_event(top, m->line, m->len);
}

/*
 * xend closes a user who is not root unanswered (SO_PEERCRED): why, or
 * what he is told instead.  Takes why.
 */
static char *
conn_refused(struct conn *c, char *why)
{
	char	*refused;

	if (c->path != NULL || c->answered ||
	    (refused = xen_refused(why)) == NULL)
		return (why);
	free(why);
	return (refused);
}

/* The connection closed: requests in flight have been failed. */
static void
conn_closed(struct rpc_client *rc, const char *why, void *arg)
{
	struct conn	*c = arg;
	struct top	*top = c->top;

	rpc_client_free(c->client, NULL);
	c->client = NULL;
	free(c->error);
	c->error = conn_refused(c, xstrdup(why));
	if (c == top->conn) {
		free(top->conn_error);
		top->conn_error = xstrdup(c->error);
	}
	c->rd |= RD_ALL;
}

static void
conn_reply(struct rpc_client *rc, const struct rpc_msg *m, void *arg)
{
	struct conn_call	*cc = arg;
	struct reply		 r;
	json_error_t		 jerr;

	if (m->code == NULL || strcmp(m->code, RPC_E_DISCONN) != 0)
		cc->c->answered = 1;
	memset(&r, 0, sizeof r);
	if (m->code != NULL) {
		r.code = m->code;
		r.error = m->message;
	} else if (cc->raw) {
		r.raw = m->raw != NULL ? m->raw : "null";
		r.raw_end = m->raw != NULL ? m->raw_end : r.raw + 4;
	} else if (m->raw != NULL)
		r.result = json_loadb(m->raw, m->raw_end - m->raw,
		    JSON_DECODE_ANY, &jerr);
	cc->c->rd |= cc->cb(cc->top, cc->arg, &r);
	json_decref(r.result);
	free(cc);
}

/* events.subscribe's reply: nothing to do unless it failed. */
static void
conn_subscribed(struct rpc_client *rc, const struct rpc_msg *m, void *arg)
{
	struct conn_call	*cc = arg;
	struct conn		*c = cc->c;

	free(cc);
	if (m->code != NULL && strcmp(m->code, RPC_E_DISCONN) != 0) {
		top_status(c->top, 1, "events.subscribe: %s", m->message);
		c->rd |= RD_BAR;
	}
}

int
conn_open(struct conn *c, char **cause)
{
	struct conn_call	*cc;
	char			*path, *why;
	int			 error;

	if (c->client != NULL)
		return (0);
	path = c->path != NULL ? xstrdup(c->path) : xendcfg_api_path(c->cfg);
	c->client = rpc_client_open(path, "xend", conn_event, conn_closed, c,
	    &why);
	error = errno;
	free(path);
	if (c->client == NULL) {
		*cause = c->path != NULL ? why : xen_unreachable(why, error);
		if (*cause != why)
			free(why);
		return (-1);
	}
	rpc_client_set_scan(c->client, conn_scan);
	free(c->error);
	c->error = NULL;
	if (c->path != NULL)
		return (0);
	cc = xcalloc(1, sizeof *cc);	/* cb NULL: nothing to drop */
	cc->c = c;
	if (rpc_client_call(c->client, "events.subscribe", NULL,
	    conn_subscribed, cc, cause) != 0) {
		*cause = conn_refused(c, *cause);
		free(cc);
		rpc_client_free(c->client, NULL);
		c->client = NULL;
		return (-1);
	}
	return (0);
}

int
conn_fd(const struct conn *c)
{
	return (c->client != NULL ? rpc_client_fd(c->client) : -1);
}

int
conn_connected(const struct conn *c)
{
	return (c->client != NULL && rpc_client_up(c->client));
}

unsigned long
conn_requests(const struct conn *c)
{
	return (c->requests);
}

static int
fail(struct top *top, conn_cb cb, void *arg, const char *why)
{
	struct reply	 r;

	memset(&r, 0, sizeof r);
	r.code = RPC_E_DISCONN;
	r.error = why;
	return (cb(top, arg, &r));
}

/* rpc_client_free's drop: a request never answered. */
static void
conn_call_drop(void *arg)
{
	struct conn_call	*cc = arg;

	if (cc->cb != NULL)
		free(cc->arg);
	free(cc);
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	rpc_client_free(c->client, conn_call_drop);
	free(c->error);
	free(c->path);
	free(c);
}

int
conn_request(struct top *top, const char *op, json_t *args, int raw,
    conn_cb cb, void *arg)
{
	return (conn_request_on(top, top->conn, op, args, raw, cb, arg));
}

int
conn_request_on(struct top *top, struct conn *c, const char *op,
    json_t *args, int raw, conn_cb cb, void *arg)
{
	struct conn_call	*cc;
	char			*cause;
	int			 rd;

	if (c->client == NULL) {
		json_decref(args);
		return (fail(top, cb, arg, c->error != NULL ? c->error :
		    c->path != NULL ? "not connected" :
		    "not connected to xend"));
	}
	cc = xcalloc(1, sizeof *cc);
	cc->c = c;
	cc->top = top;
	cc->raw = raw;
	cc->cb = cb;
	cc->arg = arg;
	c->top = top;
	if (rpc_client_call(c->client, op, args, conn_reply, cc,
	    &cause) != 0) {
		free(cc);
		cause = conn_refused(c, cause);
		rd = fail(top, cb, arg, cause);
		free(cause);
		return (rd);
	}
	c->requests++;
	return (RD_NONE);
}

int
conn_read(struct top *top)
{
	return (conn_read_on(top, top->conn));
}

int
conn_read_on(struct top *top, struct conn *c)
{
	int	 rd;

	if (c->client == NULL)
		return (RD_NONE);
	c->top = top;
	c->rd = RD_NONE;
	rpc_client_read(c->client);
	rd = c->rd;
	c->rd = RD_NONE;
	return (rd);
}
