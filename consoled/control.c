/*
 * control.c: xenconsoled's status socket, console-socket-dir/
 * xenconsoled.sock (mode 0600).  The same protocol as xend's API
 * (docs/API.md), served by the same code (rpc.h): one JSON request per
 * line, {"id", "op", "args"}, one reply per request.
 *
 *   consoles.list    [console]: ports, clients, counters (docs/CONSOLES.md)
 *   consoled.status  {pid, version, uptime, xend, consoles, clients}
 *   api.ops          this list
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "rpc.h"
#include "xendcfg.h"
#include "consoled.h"

/*
 * Short requests only; no back-pressure (nothing here is slow to build),
 * but a client that stops reading is cut off past max_backlog.  No
 * SO_PEERCRED check: the socket's mode and directory decide.
 */
static const struct rpc_limits control_limits = {
	.what = "control client",
	.max_line = 64 * 1024,
	.high_water = 0,
	.low_water = 0,
	.max_backlog = 16 * 1024 * 1024,
	.peercred = 0,
	.accept_pause_ms = 250,
};

static struct rpc_server	*control_server;

static json_t	*op_list(const json_t *);
static json_t	*op_status(const json_t *);
static json_t	*op_ops(const json_t *);

struct control_op {
	struct rpc_op	 rpc;
	json_t		*(*fn)(const json_t *args);
};
static const struct control_op control_ops[] = {
	{ { "consoles.list", "every console: ports, clients, counters",
	    NULL }, op_list },
	{ { "consoled.status", "the daemon: pid, uptime, xend link, totals",
	    NULL }, op_status },
	{ { "api.ops", "this list", NULL }, op_ops },
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
	return (rpc_op_list(control_ops, nitems(control_ops),
	    sizeof control_ops[0]));
}

static void
control_request(struct rpc_conn *c, json_t *id, const char *name,
    json_t *args, void *arg)
{
	const struct control_op	*op;
	char			*cause;

	if ((op = rpc_op_find(control_ops, nitems(control_ops),
	    sizeof control_ops[0], name, &cause)) == NULL) {
		rpc_conn_error(c, id, RPC_E_UNKNOWN, cause);
		free(cause);
		return;
	}
	if (rpc_args_check(op->rpc.args, args, &cause) != 0) {
		rpc_conn_error(c, id, RPC_E_INVALID, cause);
		free(cause);
		return;
	}
	rpc_conn_reply(c, id, op->fn(args));
}

int
control_init(char **cause)
{
	char	*path;

	path = cd_control_path();
	control_server = rpc_server_new(cd_base, path, &control_limits,
	    control_request, NULL, cause);
	free(path);
	return (control_server != NULL ? 0 : -1);
}

void
control_close(void)
{
	rpc_server_free(control_server);
	control_server = NULL;
}
