/*
 * server.c: xend's unix socket.  One JSON request object per line, one
 * reply line per request (in completion order, matched by "id"), and for
 * subscribed clients event lines interleaved.  See docs/API.md.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "xen-common.h"
#include "xend.h"

#define SERVER_MAX_LINE		(4 * 1024 * 1024)
/* A subscriber that stops reading is cut off rather than buffered forever. */
#define SERVER_MAX_BACKLOG	(16 * 1024 * 1024)

struct client {
	int			 refs;
	int			 dead;
	int			 subscribed;
	struct bufferevent	*bev;
	TAILQ_ENTRY(client)	 entry;
};
static TAILQ_HEAD(, client) clients = TAILQ_HEAD_INITIALIZER(clients);
static struct evconnlistener *listener;

static void
client_unref(struct client *c)
{
	if (--c->refs > 0)
		return;
	free(c);
}

static void
client_close(struct client *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	TAILQ_REMOVE(&clients, c, entry);
	bufferevent_free(c->bev);
	c->bev = NULL;
	client_unref(c);
}

static void
client_write(struct client *c, json_t *msg)
{
	char	*text;

	if (c == NULL || c->dead)
		return;
	if ((text = json_dumps(msg, JSON_COMPACT)) == NULL)
		fatalx("json_dumps failed");
	bufferevent_write(c->bev, text, strlen(text));
	bufferevent_write(c->bev, "\n", 1);
	free(text);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) >
	    SERVER_MAX_BACKLOG) {
		log_warn("client not reading its replies, disconnected");
		client_close(c);
	}
}

void
server_reply(struct api_req *req, json_t *result)
{
	json_t	*msg;

	if (req->done)
		fatalx("request %s answered twice", req->op);
	req->done = 1;
	msg = json_pack("{s:O, s:o}", "id", req->id,
	    "result", result != NULL ? result : json_object());
	client_write(req->client, msg);
	json_decref(msg);
	api_req_free(req);
}

/*
 * JSON strings must be UTF-8, and a cause may quote a request or QEMU's
 * output cut anywhere: each byte that does not start a valid sequence
 * (as jansson judges it) becomes '?', so the reply can always be sent.
 */
static void
server_scrub(char *s)
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

void
server_error(struct api_req *req, const char *code, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;
	json_t	*msg;

	if (req->done)
		fatalx("request %s answered twice", req->op);
	req->done = 1;
	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	server_scrub(text);
	log_debug("%s: %s: %s", req->op, code, text);
	msg = json_pack("{s:O, s:{s:s, s:s}}", "id", req->id, "error",
	    "code", code, "message", text);
	free(text);
	client_write(req->client, msg);
	json_decref(msg);
	api_req_free(req);
}

void
server_subscribe(struct api_req *req)
{
	if (req->client != NULL && !req->client->dead)
		req->client->subscribed = 1;
}

void
server_event(const char *type, json_t *body)
{
	struct client	*c, *next;

	json_object_set_new(body, "event", json_string(type));
	json_object_set_new(body, "time", json_real(time_wall()));
	TAILQ_FOREACH_SAFE(c, &clients, entry, next) {
		if (c->subscribed)
			client_write(c, body);
	}
	json_decref(body);
}

void
api_req_free(struct api_req *req)
{
	if (req->client != NULL)
		client_unref(req->client);
	json_decref(req->id);
	json_decref(req->args);
	free(req->op);
	free(req);
}

static void
client_line(struct client *c, const char *line, size_t len)
{
	json_t		*msg, *op, *args, *id;
	json_error_t	 jerr;
	struct api_req	*req;

	req = xcalloc(1, sizeof *req);
	req->client = c;
	c->refs++;
	req->id = json_null();

	if ((msg = json_loadb(line, len, 0, &jerr)) == NULL) {
		req->op = xstrdup("?");
		server_error(req, "invalid", "bad json: %s", jerr.text);
		return;
	}
	if (!json_is_object(msg)) {
		json_decref(msg);
		req->op = xstrdup("?");
		server_error(req, "invalid", "request must be an object");
		return;
	}
	if ((id = json_object_get(msg, "id")) != NULL) {
		json_decref(req->id);
		req->id = json_incref(id);
	}
	op = json_object_get(msg, "op");
	args = json_object_get(msg, "args");
	if (!json_is_string(op)) {
		json_decref(msg);
		req->op = xstrdup("?");
		server_error(req, "invalid", "missing \"op\" string");
		return;
	}
	req->op = xstrdup(json_string_value(op));
	if (args != NULL && !json_is_object(args)) {
		json_decref(msg);
		server_error(req, "invalid", "\"args\" must be an object");
		return;
	}
	req->args = args != NULL ? json_incref(args) : json_object();
	json_decref(msg);
	api_dispatch(req);
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct client	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 len;

	c->refs++;
	while (!c->dead &&
	    (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (len > 0)
			client_line(c, line, len);
		free(line);
	}
	if (!c->dead && evbuffer_get_length(in) > SERVER_MAX_LINE) {
		log_warn("client request line too long, disconnected");
		client_close(c);
	}
	client_unref(c);
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_close(arg);
}

static void
server_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct client	*c;

	c = xcalloc(1, sizeof *c);
	c->refs = 1;
	c->bev = bufferevent_socket_new(xend_base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, client_read_cb, NULL, client_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&clients, c, entry);
}

static void
server_listener_error(struct evconnlistener *l, void *arg)
{
	log_warn("accept: %s", strerror(errno));
}

void
server_init(void)
{
	char	*cause, *dir, *slash;
	int	 fd;

	dir = xstrdup(xend_cfg.unix_path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir_p(dir, 0755, &cause) != 0)
			fatalx("%s", cause);
	}
	free(dir);
	if ((fd = unix_listen(xend_cfg.unix_path, &cause)) == -1)
		fatalx("cannot listen: %s", cause);
	listener = evconnlistener_new(xend_base, server_accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (listener == NULL)
		fatalx("evconnlistener_new failed");
	evconnlistener_set_error_cb(listener, server_listener_error);
	log_info("listening on %s", xend_cfg.unix_path);
}

void
server_close(void)
{
	struct client	*c;

	if (listener != NULL) {
		evconnlistener_free(listener);
		listener = NULL;
		unlink(xend_cfg.unix_path);
	}
	while ((c = TAILQ_FIRST(&clients)) != NULL)
		client_close(c);
}
