/* cmd-consoles.c: xm consoles [DOM ...]: what xenconsoled serves. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_consoles_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_consoles = {
	.name = "consoles",
	.args = "[DOM ...]",
	.summary = "list the domain consoles and who is attached",
	.detail =
	"Lists every console xenconsoled serves (or those of the DOMs\n"
	"named): the domain, its TCP port (telnet or xencons), its VNC port\n"
	"if it has a graphical console, and one line per attached client,\n"
	"the one holding input marked.\n",
	.min_args = 0,
	.max_args = -1,
	.flags = 0,
	.exec = cmd_consoles_exec,
};

static int
wanted(json_t *con, int argc, char **argv)
{
	const char	*name = json_string_value(json_object_get(con, "name"));
	char		 id[32];
	int		 i;

	if (argc == 0)
		return (1);
	snprintf(id, sizeof id, "%lld",
	    (long long)json_integer_value(json_object_get(con, "domid")));
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], name) == 0 || strcmp(argv[i], id) == 0)
			return (1);
	}
	return (0);
}

/*
 * Checks that each DOM named has a console before anything is printed: one
 * that has none is a domain xend does not know (its error) or one
 * xenconsoled does not serve.
 */
static int
consoles_check(struct xm_ctx *ctx, json_t *list, int argc, char **argv)
{
	json_t	*con, *d;
	size_t	 i;
	int	 a, found;

	for (a = 0; a < argc; a++) {
		found = 0;
		json_array_foreach(list, i, con)
			found |= wanted(con, 1, argv + a);
		if (found)
			continue;
		if ((d = xm_get_domain(ctx, argv[a])) == NULL)
			return (-1);
		json_decref(d);
		xm_err(ctx, "no console for %s: xenconsoled does not serve it",
		    argv[a]);
		return (-1);
	}
	return (0);
}

static int
cmd_consoles_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	struct xen_client	*c;
	json_t			*list, *con, *cl, *vnc, *clients, *holder;
	const char		*role;
	int			 held, error;
	char			*path, *cause, port[16], vport[16], since[16];
	size_t			 i, j;
	time_t			 t;
	struct tm		 tm;

	path = xendcfg_consoled_path(&ctx->cfg);
	if (xen_open_path(path, &c, &cause) != 0) {
		error = errno;
		free(path);
		if (error == EACCES || error == EPERM) {
			xm_err(ctx, "cannot connect to xenconsoled (%s): its "
			    "status socket is root's and console-group's only",
			    cause);
			free(cause);
			return (1);
		}
		free(cause);
		return (xm_err(ctx, "xenconsoled is not running; start it with "
		    "'xenconsoled start'"));
	}
	free(path);
	if (xen_call(c, "consoles.list", NULL, &list, NULL, &cause) != 0) {
		xm_err(ctx, "xenconsoled: %s", cause);
		free(cause);
		xen_close(c);
		return (1);
	}
	xen_close(c);
	if (consoles_check(ctx, list, argc, argv) != 0) {
		json_decref(list);
		return (1);
	}

	printf("%-32s %4s %5s %5s %7s\n", "Name", "Id", "Port", "VNC",
	    "Clients");
	json_array_foreach(list, i, con) {
		if (!wanted(con, argc, argv))
			continue;
		vnc = json_object_get(con, "vnc");
		/* Ports only while xenconsoled holds them. */
		if (json_is_true(json_object_get(con, "listening")))
			snprintf(port, sizeof port, "%lld", (long long)
			    json_integer_value(json_object_get(con, "port")));
		else
			snprintf(port, sizeof port, "-");
		if (vnc != NULL && json_is_true(json_object_get(vnc,
		    "listening")))
			snprintf(vport, sizeof vport, "%lld", (long long)
			    json_integer_value(json_object_get(vnc, "port")));
		else
			snprintf(vport, sizeof vport, "-");
		printf("%-32s %4lld %5s %5s %7zu\n",
		    json_string_value(json_object_get(con, "name")),
		    (long long)json_integer_value(json_object_get(con,
		    "domid")), port, vport,
		    json_array_size(json_object_get(con, "clients")));
		if ((holder = json_object_get(con, "port_holder")) != NULL)
			printf("    port %lld is held by uid %lld, not by "
			    "xenconsoled\n", (long long)json_integer_value(
			    json_object_get(con, "port")),
			    (long long)json_integer_value(holder));
		clients = json_object_get(con, "clients");
		held = 0;
		json_array_foreach(clients, j, cl)
			held |= json_is_true(json_object_get(cl, "input"));
		json_array_foreach(clients, j, cl) {
			/* With input free, the next client to type takes it. */
			if (json_is_true(json_object_get(cl, "input")))
				role = "input";
			else
				role = held ? "read-only" : "-";
			t = (time_t)json_number_value(json_object_get(cl,
			    "since"));
			localtime_r(&t, &tm);
			strftime(since, sizeof since, "%H:%M:%S", &tm);
			printf("    #%lld %-6s %-34s %-9s since %s\n",
			    (long long)json_integer_value(json_object_get(cl,
			    "id")),
			    json_string_value(json_object_get(cl, "kind")),
			    json_string_value(json_object_get(cl, "peer")),
			    role, since);
		}
	}
	json_decref(list);
	return (0);
}
