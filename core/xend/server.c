/*
 * server.c: xend's unix socket, served by rpc.h (framing, back-pressure,
 * event fan-out): one JSON request object per line, one reply line per
 * request (in completion order, matched by "id"), and for subscribed
 * clients event lines interleaved.  See docs/API.md.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "rpc.h"
#include "xend.h"

/* xend's limits on its API connections (rpc.h says what each means). */
static const struct rpc_limits server_limits = {
	.what = "API client",
	.max_line = 4 * 1024 * 1024,
	.high_water = 1024 * 1024,
	.low_water = 256 * 1024,
	.max_backlog = 16 * 1024 * 1024,
	.peercred = 1,
	.accept_pause_ms = 250,
};

static struct rpc_server	*server;

void
server_reply(struct api_req *req, json_t *result)
{
	if (req->done)
		fatalx("request %s answered twice", req->op);
	req->done = 1;
	rpc_conn_reply(req->client, req->id, result);
	api_req_free(req);
}

void
server_error(struct api_req *req, const char *code, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	if (req->done)
		fatalx("request %s answered twice", req->op);
	req->done = 1;
	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	rpc_scrub(text);
	log_debug("%s: %s: %s", req->op, code, text);
	rpc_conn_error(req->client, req->id, code, text);
	free(text);
	api_req_free(req);
}

void
server_subscribe(struct api_req *req)
{
	rpc_conn_subscribe(req->client);
}

void
server_event(const char *type, json_t *body)
{
	json_object_set_new(body, "event", json_string(type));
	json_object_set_new(body, "time", json_real(time_wall()));
	if (server != NULL)
		rpc_server_event(server, body);
	json_decref(body);
}

void
api_req_free(struct api_req *req)
{
	rpc_conn_unref(req->client);
	json_decref(req->id);
	json_decref(req->args);
	free(req->op);
	free(req);
}

static void
server_request(struct rpc_conn *c, json_t *id, const char *op, json_t *args,
    void *arg)
{
	struct api_req	*req;

	req = xcalloc(1, sizeof *req);
	req->client = c;
	rpc_conn_ref(c);
	req->id = json_incref(id);
	req->op = xstrdup(op);
	req->args = json_incref(args);
	api_dispatch(req);
}

void
server_init(void)
{
	char	*cause, *dir, *slash;

	dir = xstrdup(xend_cfg.unix_path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		/* Only root's: DESIGN's "0600 in a 0700 directory". */
		if (mkdir_p(dir, 0700, &cause) != 0)
			fatalx("%s", cause);
	}
	free(dir);
	server = rpc_server_new(xend_base, xend_cfg.unix_path, &server_limits,
	    server_request, NULL, &cause);
	if (server == NULL)
		fatalx("cannot listen: %s", cause);
	events_subscribe(api_event, NULL);
	log_info("listening on %s", xend_cfg.unix_path);
}

void
server_close(void)
{
	rpc_server_free(server);
	server = NULL;
}
