/*
 * rpc.c: JSON-lines framing, op tables with argument checks, the client
 * line buffer and reply matching (rpc.h).  No libevent here: see rpcev.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "rpc.h"
#include "rpc-int.h"

/* ---- Framing ---- */

int
rpc_request_parse(const char *line, size_t len, json_t **id, char **op,
    json_t **args, char **cause)
{
	json_t		*msg, *o, *a, *i;
	json_error_t	 jerr;

	*id = json_null();
	*op = NULL;
	*args = NULL;
	if ((msg = json_loadb(line, len, 0, &jerr)) == NULL) {
		*cause = xsprintf("bad json: %s", jerr.text);
		return (-1);
	}
	if (!json_is_object(msg)) {
		json_decref(msg);
		*cause = xstrdup("request must be an object");
		return (-1);
	}
	if ((i = json_object_get(msg, "id")) != NULL) {
		json_decref(*id);
		*id = json_incref(i);
	}
	o = json_object_get(msg, "op");
	a = json_object_get(msg, "args");
	if (!json_is_string(o)) {
		json_decref(msg);
		*cause = xstrdup("missing \"op\" string");
		return (-1);
	}
	if (a != NULL && !json_is_object(a)) {
		json_decref(msg);
		*cause = xstrdup("\"args\" must be an object");
		return (-1);
	}
	*op = xstrdup(json_string_value(o));
	*args = a != NULL ? json_incref(a) : json_object();
	json_decref(msg);
	return (0);
}

/* msg as one line, newline included; steals msg. */
static char *
rpc_line(json_t *msg)
{
	char	*text, *line;
	size_t	 len;

	if ((text = json_dumps(msg, JSON_COMPACT)) == NULL)
		fatalx("json_dumps failed");
	json_decref(msg);
	len = strlen(text);
	line = xrealloc(text, len + 2);
	line[len] = '\n';
	line[len + 1] = '\0';
	return (line);
}

char *
rpc_request_text(json_int_t id, const char *op, json_t *args)
{
	return (rpc_line(json_pack("{s:I, s:s, s:o}", "id", id, "op", op,
	    "args", args != NULL ? args : json_object())));
}

char *
rpc_reply_text(json_t *id, json_t *result)
{
	return (rpc_line(json_pack("{s:O, s:o}", "id", id,
	    "result", result != NULL ? result : json_object())));
}

char *
rpc_error_text(json_t *id, const char *code, char *message)
{
	rpc_scrub(message);
	return (rpc_line(json_pack("{s:O, s:{s:s, s:s}}", "id", id, "error",
	    "code", code, "message", message)));
}

/*
 * JSON strings must be UTF-8, and a cause may quote a request or QEMU's
 * output cut anywhere: each byte that does not start a valid sequence
 * (as jansson judges it) becomes '?', so the reply can always be sent.
 */
void
rpc_scrub(char *s)
{
	unsigned char	*p = (unsigned char *)s;
	json_t		*one;
	size_t		 n;

	while (*p != '\0') {
		if (*p < 0x80) {
			p++;
			continue;
		}
		n = (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
		    (*p & 0xf8) == 0xf0 ? 4 : 1;
		/* strnlen: the string may end inside the sequence. */
		if (n > 1 && strnlen((char *)p, n) == n &&
		    (one = json_stringn((char *)p, n)) != NULL) {
			json_decref(one);
			p += n;
		} else
			*p++ = '?';
	}
}

int
rpc_msg_parse(const char *line, size_t len, struct rpc_msg *m, char **cause)
{
	json_error_t	 jerr;
	json_t		*id, *err;

	memset(m, 0, sizeof *m);
	m->line = line;
	m->len = len;
	if ((m->json = json_loadb(line, len, 0, &jerr)) == NULL) {
		*cause = xstrdup(jerr.text);
		return (-1);
	}
	m->event = json_object_get(m->json, "event") != NULL;
	id = json_object_get(m->json, "id");
	if (json_is_integer(id)) {
		m->has_id = 1;
		m->id = json_integer_value(id);
	}
	m->result = json_object_get(m->json, "result");
	if ((err = json_object_get(m->json, "error")) != NULL)
		rpc_msg_error(m, err);
	return (0);
}

void
rpc_msg_error(struct rpc_msg *m, const json_t *err)
{
	m->code = json_string_value(json_object_get(err, "code"));
	m->message = json_string_value(json_object_get(err, "message"));
	if (m->code == NULL)
		m->code = "failed";
	if (m->message == NULL)
		m->message = "unknown error";
}

void
rpc_msg_clear(struct rpc_msg *m)
{
	json_decref(m->json);
	memset(m, 0, sizeof *m);
}

/* ---- Line buffer ---- */

void
rpc_lines_init(struct rpc_lines *l, int fd, size_t max, const char *peer)
{
	memset(l, 0, sizeof *l);
	l->fd = fd;
	l->max = max;
	l->peer = peer;
}

void
rpc_lines_free(struct rpc_lines *l)
{
	free(l->buf);
	l->buf = NULL;
	l->len = l->size = l->consumed = 0;
}

/* Reads more: 1 if it did, 0 if nothing came within timeout_ms, -1. */
static int
rpc_lines_fill(struct rpc_lines *l, int timeout_ms, char **cause)
{
	struct pollfd	 pf;
	ssize_t		 n;
	int		 r;

	for (;;) {
		if (timeout_ms >= 0) {
			pf.fd = l->fd;
			pf.events = POLLIN;
			r = poll(&pf, 1, timeout_ms);
			if (r == -1 && errno == EINTR)
				continue;
			if (r == 0)
				return (0);
		}
		if (l->size - l->len < 65536) {
			if (l->size > l->max) {
				*cause = xsprintf("reply from %s too long",
				    l->peer);
				return (-1);
			}
			l->size = l->size ? l->size * 2 : 65536 * 2;
			l->buf = xrealloc(l->buf, l->size);
		}
		n = read(l->fd, l->buf + l->len, l->size - l->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			*cause = n == 0 ? xsprintf("%s closed the connection",
			    l->peer) : xstrdup(strerror(errno));
			return (-1);
		}
		l->len += n;
		return (1);
	}
}

int
rpc_lines_next(struct rpc_lines *l, int timeout_ms, const char **line,
    size_t *len, char **cause)
{
	char	*nl;
	int	 r;

	if (l->consumed != 0) {
		memmove(l->buf, l->buf + l->consumed, l->len - l->consumed);
		l->len -= l->consumed;
		l->consumed = 0;
	}
	for (;;) {
		if (l->buf != NULL &&
		    (nl = memchr(l->buf, '\n', l->len)) != NULL) {
			*line = l->buf;
			*len = nl - l->buf;
			l->consumed = *len + 1;
			return (1);
		}
		if ((r = rpc_lines_fill(l, timeout_ms, cause)) != 1)
			return (r);
	}
}

/* ---- Op tables ---- */

const void *
rpc_op_find(const void *table, size_t n, size_t stride, const char *name,
    char **cause)
{
	const struct rpc_op	*op;
	size_t			 i;

	for (i = 0; i < n; i++) {
		op = (const void *)((const char *)table + i * stride);
		if (strcmp(op->name, name) == 0)
			return (op);
	}
	*cause = xsprintf("unknown op '%s'", name);
	return (NULL);
}

json_t *
rpc_op_list(const void *table, size_t n, size_t stride)
{
	const struct rpc_op	*op;
	json_t			*out = json_array();
	size_t			 i;

	for (i = 0; i < n; i++) {
		op = (const void *)((const char *)table + i * stride);
		json_array_append_new(out, json_pack("{s:s, s:s}", "op",
		    op->name, "help", op->help));
	}
	return (out);
}

static int
rpc_arg_ok(const struct rpc_arg *a, const json_t *v)
{
	const char	*s;
	size_t		 i;

	switch (a->type) {
	case RPC_ANY:
		return (1);
	case RPC_INT:
		return (json_is_integer(v) && json_integer_value(v) >= a->min &&
		    json_integer_value(v) <= a->max);
	case RPC_STR:
		return (json_is_string(v));
	case RPC_BOOL:
		return (json_is_boolean(v));
	case RPC_OBJ:
		return (json_is_object(v));
	case RPC_ARRAY:
		return (json_is_array(v));
	case RPC_INT_STR:
		if (json_is_integer(v))
			return (1);
		if ((s = json_string_value(v)) == NULL)
			return (0);
		if (a->words == NULL)
			return (1);
		for (i = 0; a->words[i] != NULL; i++) {
			if (strcmp(a->words[i], s) == 0)
				return (1);
		}
		return (0);
	}
	return (0);
}

int
rpc_args_check(const struct rpc_arg *spec, const json_t *args, char **cause)
{
	const struct rpc_arg	*a;
	const json_t		*v;

	for (a = spec; a != NULL && a->name != NULL; a++) {
		if ((v = json_object_get(args, a->name)) == NULL) {
			if (!a->required)
				continue;
			*cause = xsprintf("%s: %s", a->name, a->missing != NULL ?
			    a->missing : a->expect != NULL ? a->expect :
			    "required");
			return (-1);
		}
		if (rpc_arg_ok(a, v))
			continue;
		if (a->expect != NULL)
			*cause = xsprintf("%s: %s", a->name, a->expect);
		else if (a->type == RPC_INT)
			*cause = xsprintf("%s: expected an integer from %"
			    PRId64 " to %" PRId64, a->name, (int64_t)a->min,
			    (int64_t)a->max);
		else
			*cause = xsprintf("%s: bad value", a->name);
		return (-1);
	}
	return (0);
}

/* ---- Asynchronous client ---- */

struct rpc_call {
	json_int_t		 id;
	rpc_reply_cb		 cb;
	void			*arg;
	TAILQ_ENTRY(rpc_call)	 entry;
};

struct rpc_client *
rpc_client_open(const char *path, const char *peer, rpc_event_cb event,
    rpc_close_cb closed, void *arg, char **cause)
{
	struct rpc_client	*c;
	int			 fd;

	if ((fd = unix_connect(path, cause)) == -1)
		return (NULL);
	c = xcalloc(1, sizeof *c);
	rpc_lines_init(&c->lines, fd, RPC_CLIENT_MAX_LINE, peer);
	c->next_id = 1;
	c->scan = rpc_msg_parse;
	c->event = event;
	c->closed = closed;
	c->arg = arg;
	TAILQ_INIT(&c->calls);
	return (c);
}

void
rpc_client_set_scan(struct rpc_client *c, rpc_scan_fn scan)
{
	c->scan = scan;
}

int
rpc_client_fd(const struct rpc_client *c)
{
	return (c->lines.fd);
}

int
rpc_client_up(const struct rpc_client *c)
{
	return (c->lines.fd != -1 && c->broken == NULL);
}

size_t
rpc_client_pending(const struct rpc_client *c)
{
	return (c->ncalls);
}

/* Closes the socket; the calls stay for the caller to fail or drop. */
static void
rpc_client_shut(struct rpc_client *c)
{
	if (c->ev_free != NULL)
		c->ev_free(c->ev);
	c->ev_free = NULL;
	c->ev = NULL;
	if (c->lines.fd != -1)
		close(c->lines.fd);
	c->lines.fd = -1;
	rpc_lines_free(&c->lines);
}

void
rpc_client_free(struct rpc_client *c, void (*drop)(void *))
{
	struct rpc_call	*call;

	if (c == NULL)
		return;
	while ((call = TAILQ_FIRST(&c->calls)) != NULL) {
		TAILQ_REMOVE(&c->calls, call, entry);
		if (drop != NULL)
			drop(call->arg);
		free(call);
	}
	rpc_client_shut(c);
	free(c->broken);
	free(c);
}

int
rpc_client_call(struct rpc_client *c, const char *op, json_t *args,
    rpc_reply_cb cb, void *arg, char **cause)
{
	struct rpc_call	*call;
	char		*text;
	int		 rc;

	if (c->broken != NULL || c->lines.fd == -1) {
		json_decref(args);
		*cause = xstrdup(c->broken != NULL ? c->broken :
		    "not connected");
		return (-1);
	}
	text = rpc_request_text(c->next_id, op, args);
	rc = fd_write_all(c->lines.fd, text, strlen(text));
	free(text);
	if (rc != 0) {
		/* Not closed here: a reply being handled may be ours. */
		c->broken = xsprintf("cannot send to %s: %s", c->lines.peer,
		    strerror(errno));
		*cause = xstrdup(c->broken);
		return (-1);
	}
	call = xcalloc(1, sizeof *call);
	call->id = c->next_id++;
	call->cb = cb;
	call->arg = arg;
	TAILQ_INSERT_TAIL(&c->calls, call, entry);
	c->ncalls++;
	return (0);
}

static void
rpc_client_dispatch(struct rpc_client *c, struct rpc_msg *m)
{
	struct rpc_call	*call;

	if (m->event) {
		if (c->event != NULL)
			c->event(c, m, c->arg);
		return;
	}
	if (!m->has_id)
		return;
	TAILQ_FOREACH(call, &c->calls, entry) {
		if (call->id == m->id)
			break;
	}
	if (call == NULL)
		return;		/* not ours */
	TAILQ_REMOVE(&c->calls, call, entry);
	c->ncalls--;
	call->cb(c, m, call->arg);
	free(call);
}

/* Fails every call in flight with why, then says it closed. */
static void
rpc_client_close(struct rpc_client *c, const char *why)
{
	struct rpc_call	*call;
	struct rpc_msg	 m;
	char		*msg = xstrdup(why);

	rpc_client_shut(c);
	/* Calls made by the callbacks below fail with the same cause. */
	if (c->broken == NULL)
		c->broken = xstrdup(why);
	while ((call = TAILQ_FIRST(&c->calls)) != NULL) {
		TAILQ_REMOVE(&c->calls, call, entry);
		c->ncalls--;
		memset(&m, 0, sizeof m);
		m.has_id = 1;
		m.id = call->id;
		m.code = RPC_E_DISCONN;
		m.message = msg;
		call->cb(c, &m, call->arg);
		free(call);
	}
	if (c->closed != NULL)
		c->closed(c, msg, c->arg);	/* may free c */
	free(msg);
}

int
rpc_client_read(struct rpc_client *c)
{
	struct rpc_msg	 m;
	const char	*line;
	size_t		 len;
	char		*cause = NULL, *why;
	int		 r;

	if (c->lines.fd == -1)
		return (-1);
	while (c->broken == NULL) {
		r = rpc_lines_next(&c->lines, 0, &line, &len, &cause);
		if (r == 0)
			return (0);
		if (r == -1) {
			rpc_client_close(c, cause);
			free(cause);
			return (-1);
		}
		if (c->scan(line, len, &m, &cause) != 0) {
			rpc_msg_clear(&m);
			m.bad = 1;
			m.line = line;
			m.len = len;
			m.message = cause;
			if (c->event != NULL)
				c->event(c, &m, c->arg);
			free(cause);
			cause = NULL;
			m.message = NULL;
		} else
			rpc_client_dispatch(c, &m);
		rpc_msg_clear(&m);
	}
	why = xstrdup(c->broken);
	rpc_client_close(c, why);
	free(why);
	return (-1);
}
