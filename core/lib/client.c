/*
 * client.c: the blocking client of the JSON-lines protocol (client.h),
 * over rpc.h's framing, line buffer and message parsing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "client.h"
#include "rpc.h"
#include "xendcfg.h"

#define CLIENT_MAX_LINE (64 * 1024 * 1024)

struct xen_client {
	struct rpc_lines lines;
	json_int_t	 next_id;
	char		*code;
};

int
xen_open(const struct xendcfg *cfg, struct xen_client **out, char **cause)
{
	char	*why, *path;
	int	 rc;

	path = xendcfg_api_path(cfg);
	if ((rc = xen_open_path(path, out, &why)) != 0) {
		*cause = xen_unreachable(why);
		free(why);
	}
	free(path);
	return (rc);
}

char *
xen_unreachable(const char *why)
{
	return (xsprintf("cannot connect to xend (%s); is it running? "
	    "try 'xend start'", why));
}

int
xen_open_path(const char *path, struct xen_client **out, char **cause)
{
	struct xen_client	*c;
	int			 fd;

	if ((fd = unix_connect(path, cause)) == -1)
		return (-1);
	c = xcalloc(1, sizeof *c);
	rpc_lines_init(&c->lines, fd, CLIENT_MAX_LINE, "xend");
	c->next_id = 1;
	*out = c;
	return (0);
}

void
xen_close(struct xen_client *c)
{
	if (c == NULL)
		return;
	close(c->lines.fd);
	rpc_lines_free(&c->lines);
	free(c->code);
	free(c);
}

/* Reads one message (1), times out (0) or fails (-1). */
static int
read_msg(struct xen_client *c, int timeout_ms, struct rpc_msg *m,
    char **cause)
{
	const char	*line;
	size_t		 len;
	char		*why;
	int		 r;

	if ((r = rpc_lines_next(&c->lines, timeout_ms, &line, &len,
	    cause)) != 1)
		return (r);
	if (rpc_msg_parse(line, len, m, &why) != 0) {
		*cause = xsprintf("bad reply from xend: %s", why);
		free(why);
		rpc_msg_clear(m);
		return (-1);
	}
	return (1);
}

int
xen_call(struct xen_client *c, const char *op, json_t *args, json_t **result,
    const char **code, char **cause)
{
	struct rpc_msg	 m;
	json_int_t	 id = c->next_id++;
	char		*text;
	int		 rc;

	if (result != NULL)
		*result = NULL;
	text = rpc_request_text(id, op, args);
	rc = fd_write_all(c->lines.fd, text, strlen(text));
	free(text);
	if (rc != 0) {
		*cause = xsprintf("cannot send to xend: %s", strerror(errno));
		return (-1);
	}
	for (;;) {
		if (read_msg(c, -1, &m, cause) != 1)
			return (-1);
		/* Events (not subscribed here) and others' replies. */
		if (m.has_id && m.id == id)
			break;
		rpc_msg_clear(&m);
	}
	if (m.code != NULL) {
		*cause = xstrdup(m.message);
		free(c->code);
		c->code = xstrdup(m.code);
		if (code != NULL)
			*code = c->code;
		rpc_msg_clear(&m);
		return (-1);
	}
	if (result != NULL)
		*result = json_incref(m.result);
	rpc_msg_clear(&m);
	return (0);
}
