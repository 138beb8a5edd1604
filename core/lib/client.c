/* client.c: blocking client for xend's newline-delimited JSON API. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "client.h"
#include "xendcfg.h"

#define CLIENT_MAX_LINE (64 * 1024 * 1024)

struct xen_client {
	int		 fd;
	char		*buf;
	size_t		 len;
	size_t		 size;
	json_int_t	 next_id;
	json_t		*events;	/* queued while awaiting replies */
	char		*code;
	size_t		 consumed;	/* line handed out by xen_recv_line */
	char		*event_text;	/* a queued event, as xen_recv_line text */
};

int
xen_open(const struct xendcfg *cfg, struct xen_client **out, char **cause)
{
	char	*why;

	if (xen_open_path(cfg->unix_path, out, &why) != 0) {
		*cause = xsprintf("cannot connect to xend (%s); is it running? "
		    "try 'xend start'", why);
		free(why);
		return (-1);
	}
	return (0);
}

int
xen_open_path(const char *path, struct xen_client **out, char **cause)
{
	struct xen_client	*c;
	int			 fd;

	if ((fd = unix_connect(path, cause)) == -1)
		return (-1);
	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->next_id = 1;
	c->events = json_array();
	*out = c;
	return (0);
}

void
xen_close(struct xen_client *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c->buf);
	free(c->code);
	free(c->event_text);
	json_decref(c->events);
	free(c);
}

int
xen_fd(const struct xen_client *c)
{
	return (c->fd);
}

/* Forgets the line xen_recv_line last handed out. */
static void
drop_consumed(struct xen_client *c)
{
	if (c->consumed == 0)
		return;
	memmove(c->buf, c->buf + c->consumed, c->len - c->consumed);
	c->len -= c->consumed;
	c->consumed = 0;
}

/* Reads more into the buffer: 1 if it did, 0 if nothing came within
 * timeout_ms (-1 waits), -1 on error or end of file. */
static int
fill(struct xen_client *c, int timeout_ms, char **cause)
{
	struct pollfd	 pf;
	ssize_t		 n;
	int		 r;

	for (;;) {
		if (timeout_ms >= 0) {
			pf.fd = c->fd;
			pf.events = POLLIN;
			r = poll(&pf, 1, timeout_ms);
			if (r == -1 && errno == EINTR)
				continue;
			if (r == 0)
				return (0);
		}
		if (c->size - c->len < 65536) {
			if (c->size > CLIENT_MAX_LINE) {
				*cause = xstrdup("reply from xend too long");
				return (-1);
			}
			c->size = c->size ? c->size * 2 : 65536 * 2;
			c->buf = xrealloc(c->buf, c->size);
		}
		n = read(c->fd, c->buf + c->len, c->size - c->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			*cause = xstrdup(n == 0 ? "xend closed the connection" :
			    strerror(errno));
			return (-1);
		}
		c->len += n;
		return (1);
	}
}

/* Reads one line (1), times out (0) or fails (-1). */
static int
read_line(struct xen_client *c, int timeout_ms, json_t **msg, char **cause)
{
	char		*nl;
	size_t		 linelen;
	json_error_t	 jerr;
	int		 r;

	drop_consumed(c);
	for (;;) {
		if (c->buf != NULL &&
		    (nl = memchr(c->buf, '\n', c->len)) != NULL) {
			linelen = nl - c->buf;
			*msg = json_loadb(c->buf, linelen, 0, &jerr);
			memmove(c->buf, nl + 1, c->len - linelen - 1);
			c->len -= linelen + 1;
			if (*msg == NULL) {
				*cause = xsprintf("bad reply from xend: %s",
				    jerr.text);
				return (-1);
			}
			return (1);
		}
		if ((r = fill(c, timeout_ms, cause)) != 1)
			return (r);
	}
}

/* Writes one request line; *id gets its id. */
static int
send_request(struct xen_client *c, const char *op, json_t *args,
    json_int_t *id, char **cause)
{
	json_t	*req;
	char	*text;
	int	 rc;

	*id = c->next_id++;
	req = json_pack("{s:I, s:s, s:o}", "id", *id, "op", op,
	    "args", args != NULL ? args : json_object());
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	rc = fd_write_all(c->fd, text, strlen(text));
	if (rc == 0)
		rc = fd_write_all(c->fd, "\n", 1);
	free(text);
	if (rc != 0) {
		*cause = xsprintf("cannot send to xend: %s", strerror(errno));
		return (-1);
	}
	return (0);
}

int
xen_call(struct xen_client *c, const char *op, json_t *args, json_t **result,
    const char **code, char **cause)
{
	json_t		*msg, *err;
	json_int_t	 id;
	const char	*m, *k;

	if (result != NULL)
		*result = NULL;
	if (send_request(c, op, args, &id, cause) != 0)
		return (-1);
	for (;;) {
		if (read_line(c, -1, &msg, cause) != 1)
			return (-1);
		if (json_is_string(json_object_get(msg, "event"))) {
			json_array_append_new(c->events, msg);
			continue;
		}
		if (json_integer_value(json_object_get(msg, "id")) != id) {
			json_decref(msg);
			continue;
		}
		break;
	}
	if ((err = json_object_get(msg, "error")) != NULL) {
		m = json_string_value(json_object_get(err, "message"));
		k = json_string_value(json_object_get(err, "code"));
		*cause = xstrdup(m != NULL ? m : "unknown error from xend");
		free(c->code);
		c->code = xstrdup(k != NULL ? k : "failed");
		if (code != NULL)
			*code = c->code;
		json_decref(msg);
		return (-1);
	}
	if (result != NULL)
		*result = json_incref(json_object_get(msg, "result"));
	json_decref(msg);
	return (0);
}

int
xen_subscribe(struct xen_client *c, char **cause)
{
	return (xen_call(c, "events.subscribe", NULL, NULL, NULL, cause));
}

int
xen_next_event(struct xen_client *c, int timeout_ms, json_t **event,
    char **cause)
{
	json_t	*msg;
	int	 r;

	for (;;) {
		if (json_array_size(c->events) > 0) {
			*event = json_incref(json_array_get(c->events, 0));
			json_array_remove(c->events, 0);
			return (1);
		}
		r = read_line(c, timeout_ms, &msg, cause);
		if (r != 1)
			return (r);
		if (json_is_string(json_object_get(msg, "event"))) {
			*event = msg;
			return (1);
		}
		json_decref(msg);
	}
}

int
xen_send(struct xen_client *c, const char *op, json_t *args, json_int_t *id,
    char **cause)
{
	return (send_request(c, op, args, id, cause));
}

int
xen_recv_line(struct xen_client *c, const char **line, size_t *len,
    char **cause)
{
	char	*nl;
	int	 r;

	drop_consumed(c);
	free(c->event_text);
	c->event_text = NULL;
	if (json_array_size(c->events) > 0) {
		c->event_text = json_dumps(json_array_get(c->events, 0),
		    JSON_COMPACT);
		json_array_remove(c->events, 0);
		if (c->event_text == NULL)
			fatalx("json_dumps failed");
		*line = c->event_text;
		*len = strlen(c->event_text);
		return (1);
	}
	for (;;) {
		if (c->buf != NULL &&
		    (nl = memchr(c->buf, '\n', c->len)) != NULL) {
			*line = c->buf;
			*len = nl - c->buf;
			c->consumed = *len + 1;
			return (1);
		}
		if ((r = fill(c, 0, cause)) != 1)
			return (r);
	}
}
