/*
 * control.c: xenconsoled's status socket, console-socket-dir/
 * xenconsoled.sock (mode 0600).  The same framing as xend's API
 * (docs/API.md): one JSON request per line, {"id", "op", "args"}, one
 * reply per request, so the one client library talks to both.
 *
 *   consoles.list    [console]: ports, clients, counters (docs/CONSOLES.md)
 *   consoled.status  {pid, version, uptime, xend, consoles, clients}
 *   api.ops          this list
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "xen-common.h"
#include "xendcfg.h"
#include "consoled.h"

#define CONTROL_MAX_LINE	(64 * 1024)
#define CONTROL_MAX_OUT		(16 * 1024 * 1024)

static struct evconnlistener	*control_listener;
static char			*control_path;

static json_t	*op_list(const json_t *);
static json_t	*op_status(const json_t *);
static json_t	*op_ops(const json_t *);

static const struct {
	const char	*op;
	const char	*help;
	json_t		*(*fn)(const json_t *args);
} control_ops[] = {
	{ "consoles.list", "every console: ports, clients, counters",
	    op_list },
	{ "consoled.status", "the daemon: pid, uptime, xend link, totals",
	    op_status },
	{ "api.ops", "this list", op_ops },
};

static json_t *
op_list(const json_t *args)
{
	json_t		*a = json_array();
	struct console	*con;

	TAILQ_FOREACH(con, &consoles, entry)
		json_array_append_new(a, console_to_json(con));
	return (a);
}

static json_t *
op_status(const json_t *args)
{
	struct console	*con;
	int		 n = 0, clients = 0;

	TAILQ_FOREACH(con, &consoles, entry) {
		n++;
		clients += con->nconns;
	}
	return (json_pack("{s:i, s:s, s:f, s:b, s:i, s:i, s:s, s:s}",
	    "pid", (int)getpid(),
	    "version", XEN_VERSION,
	    "uptime", time_wall() - cd_start_time,
	    "xend", xendlink_connected(),
	    "consoles", n,
	    "clients", clients,
	    "log_dir", cd_cfg.console_log_dir,
	    "socket_dir", cd_cfg.console_socket_dir));
}

static json_t *
op_ops(const json_t *args)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < nitems(control_ops); i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "op",
		    control_ops[i].op, "help", control_ops[i].help));
	return (a);
}

static void
control_reply(struct bufferevent *bev, json_t *id, json_t *result,
    const char *code, const char *message)
{
	json_t	*msg;
	char	*text;

	if (result != NULL)
		msg = json_pack("{s:O, s:o}", "id", id, "result", result);
	else
		msg = json_pack("{s:O, s:{s:s, s:s}}", "id", id, "error",
		    "code", code, "message", message);
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (text == NULL)
		fatalx("json_dumps failed");
	bufferevent_write(bev, text, strlen(text));
	bufferevent_write(bev, "\n", 1);
	free(text);
}

static void
control_request(struct bufferevent *bev, const char *line, size_t len)
{
	json_t		*req, *id, *args;
	json_error_t	 jerr;
	const char	*op;
	size_t		 i;
	char		*msg;

	if ((req = json_loadb(line, len, 0, &jerr)) == NULL) {
		msg = xsprintf("bad json: %s", jerr.text);
		control_reply(bev, json_null(), NULL, "invalid", msg);
		free(msg);
		return;
	}
	id = json_object_get(req, "id");
	if (id == NULL)
		id = json_null();
	op = json_string_value(json_object_get(req, "op"));
	args = json_object_get(req, "args");
	if (!json_is_object(req) || op == NULL ||
	    (args != NULL && !json_is_object(args))) {
		control_reply(bev, id, NULL, "invalid", "expected {\"id\", "
		    "\"op\", \"args\"}");
		json_decref(req);
		return;
	}
	for (i = 0; i < nitems(control_ops); i++) {
		if (strcmp(control_ops[i].op, op) == 0)
			break;
	}
	if (i == nitems(control_ops)) {
		msg = xsprintf("unknown op '%s'", op);
		control_reply(bev, id, NULL, "unknown_op", msg);
		free(msg);
	} else
		control_reply(bev, id, control_ops[i].fn(args), NULL, NULL);
	json_decref(req);
}

static void
control_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (len > 0)
			control_request(bev, line, len);
		free(line);
	}
	if (evbuffer_get_length(in) > CONTROL_MAX_LINE ||
	    evbuffer_get_length(bufferevent_get_output(bev)) >
	    CONTROL_MAX_OUT)
		bufferevent_free(bev);
}

static void
control_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		bufferevent_free(bev);
}

static void
control_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
	struct bufferevent	*bev;

	bev = bufferevent_socket_new(cd_base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		fatalx("bufferevent_socket_new failed");
	bufferevent_setcb(bev, control_read, NULL, control_event, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int
control_init(char **cause)
{
	int	 fd;

	control_path = cd_control_path();
	if ((fd = unix_listen(control_path, cause)) == -1)
		return (-1);
	control_listener = evconnlistener_new(cd_base, control_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (control_listener == NULL)
		fatalx("evconnlistener_new failed");
	return (0);
}

void
control_close(void)
{
	if (control_listener != NULL) {
		evconnlistener_free(control_listener);
		unlink(control_path);
	}
	control_listener = NULL;
	free(control_path);
	control_path = NULL;
}
