/*
 * conn.c: the dashboard's connection to xend, and (for the detail view)
 * one to xenconsoled's control socket, which works the same way without
 * events.  Requests go out without waiting (xen_send); replies come back
 * in completion order and are matched to their callbacks by id; events
 * are interleaved and go to top.c.  If the connection drops, every
 * request in flight is answered "disconnected" and the refresh timer
 * reconnects.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "top.h"

struct pending {
	json_int_t		 id;
	char			*op;
	int			 raw;
	conn_cb			 cb;
	void			*arg;
	TAILQ_ENTRY(pending)	 entry;
};

struct conn {
	const struct xendcfg	*cfg;
	char			*path;		/* NULL: xend, subscribed */
	char			*error;		/* why not connected */
	struct xen_client	*client;
	char			*broken;	/* a send failed: drop soon */
	TAILQ_HEAD(, pending)	 pending;
	size_t			 npending;
	unsigned long		 requests;
};

struct conn *
conn_new(const struct xendcfg *cfg)
{
	struct conn	*c = xcalloc(1, sizeof *c);

	c->cfg = cfg;
	TAILQ_INIT(&c->pending);
	return (c);
}

struct conn *
conn_new_path(const char *path)
{
	struct conn	*c = xcalloc(1, sizeof *c);

	c->path = xstrdup(path);
	TAILQ_INIT(&c->pending);
	return (c);
}

int
conn_open(struct conn *c, char **cause)
{
	if (c->client != NULL)
		return (0);
	if (c->path != NULL) {
		if (xen_open_path(c->path, &c->client, cause) != 0)
			return (-1);
		free(c->error);
		c->error = NULL;
		return (0);
	}
	if (xen_open(c->cfg, &c->client, cause) != 0)
		return (-1);
	if (xen_subscribe(c->client, cause) != 0) {
		xen_close(c->client);
		c->client = NULL;
		return (-1);
	}
	return (0);
}

int
conn_fd(const struct conn *c)
{
	return (c->client != NULL ? xen_fd(c->client) : -1);
}

int
conn_connected(const struct conn *c)
{
	return (c->client != NULL && c->broken == NULL);
}

size_t
conn_pending(const struct conn *c)
{
	return (c->npending);
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
	r.code = "disconnected";
	r.error = why;
	return (cb(top, arg, &r));
}

/* Closes the connection and fails what was in flight. */
static int
conn_drop(struct top *top, struct conn *c, const char *why)
{
	struct pending	*p;
	int		 rd = RD_ALL;
	char		*msg;

	msg = xstrdup(why);
	xen_close(c->client);
	c->client = NULL;
	free(c->broken);
	c->broken = NULL;
	free(c->error);
	c->error = xstrdup(msg);
	if (c == top->conn) {
		free(top->conn_error);
		top->conn_error = xstrdup(msg);
	}
	while ((p = TAILQ_FIRST(&c->pending)) != NULL) {
		TAILQ_REMOVE(&c->pending, p, entry);
		c->npending--;
		rd |= fail(top, p->cb, p->arg, msg);
		free(p->op);
		free(p);
	}
	free(msg);
	return (rd);
}

void
conn_free(struct conn *c)
{
	struct pending	*p;

	if (c == NULL)
		return;
	while ((p = TAILQ_FIRST(&c->pending)) != NULL) {
		TAILQ_REMOVE(&c->pending, p, entry);
		free(p->op);
		free(p->arg);
		free(p);
	}
	xen_close(c->client);
	free(c->broken);
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
	struct pending	*p;
	json_int_t	 id;
	char		*cause;
	int		 rd;

	if (c->client == NULL || c->broken != NULL) {
		json_decref(args);
		return (fail(top, cb, arg, c->broken != NULL ? c->broken :
		    c->error != NULL ? c->error : c->path != NULL ?
		    "not connected" : "not connected to xend"));
	}
	if (xen_send(c->client, op, args, &id, &cause) != 0) {
		/* Not dropped here: a reply being dispatched may be ours. */
		c->broken = cause;
		return (fail(top, cb, arg, cause));
	}
	c->requests++;
	p = xcalloc(1, sizeof *p);
	p->id = id;
	p->op = xstrdup(op);
	p->raw = raw;
	p->cb = cb;
	p->arg = arg;
	TAILQ_INSERT_TAIL(&c->pending, p, entry);
	c->npending++;
	rd = RD_NONE;
	return (rd);
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

static int
conn_dispatch(struct top *top, struct conn *c, const char *line, size_t len)
{
	struct msg_spans	 m;
	struct pending		*p;
	struct reply		 r;
	json_t			*err = NULL;
	json_error_t		 jerr;
	double			 idv;
	int			 rd;

	memset(&m, 0, sizeof m);
	if (jscan_object(line, line + len, msg_member, &m) != 0) {
		top_status(top, 1, "bad message from %s (%zu bytes)",
		    c->path != NULL ? c->path : "xend", len);
		return (RD_BAR);
	}
	if (m.event && c == top->conn)
		return (top_handle_event(top, line, len));
	if (m.id == NULL)
		return (RD_NONE);
	idv = jscan_number(m.id, m.id_end);
	TAILQ_FOREACH(p, &c->pending, entry)
		if ((double)p->id == idv)
			break;
	if (p == NULL)
		return (RD_NONE);	/* not ours (or already failed) */
	TAILQ_REMOVE(&c->pending, p, entry);
	c->npending--;
	memset(&r, 0, sizeof r);
	if (m.error != NULL) {
		err = json_loadb(m.error, m.error_end - m.error, 0, &jerr);
		r.code = json_string_value(json_object_get(err, "code"));
		r.error = json_string_value(json_object_get(err, "message"));
		if (r.code == NULL)
			r.code = "failed";
		if (r.error == NULL)
			r.error = "unknown error";
	} else if (p->raw) {
		r.raw = m.result != NULL ? m.result : "null";
		r.raw_end = m.result != NULL ? m.result_end : r.raw + 4;
	} else if (m.result != NULL)
		r.result = json_loadb(m.result, m.result_end - m.result,
		    JSON_DECODE_ANY, &jerr);
	rd = p->cb(top, p->arg, &r);
	json_decref(r.result);
	json_decref(err);
	free(p->op);
	free(p);
	return (rd);
}

int
conn_read(struct top *top)
{
	return (conn_read_on(top, top->conn));
}

int
conn_read_on(struct top *top, struct conn *c)
{
	const char	*line;
	size_t		 len;
	char		*cause = NULL;
	int		 r, rd = RD_NONE;

	while (c->client != NULL && c->broken == NULL) {
		r = xen_recv_line(c->client, &line, &len, &cause);
		if (r == 0)
			break;
		if (r == -1) {
			rd |= conn_drop(top, c, cause);
			free(cause);
			return (rd);
		}
		rd |= conn_dispatch(top, c, line, len);
	}
	if (c->client != NULL && c->broken != NULL) {
		cause = xstrdup(c->broken);
		rd |= conn_drop(top, c, cause);
		free(cause);
	}
	return (rd);
}
