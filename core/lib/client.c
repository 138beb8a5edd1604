/*
 * client.c: the blocking client of the JSON-lines protocol (client.h),
 * over rpc.h's framing, line buffer and message parsing.
 */
#include <sys/socket.h>

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
	int		 api;		/* xend's API socket (xen_open) */
	int		 answered;	/* a reply came on this connection */
	char		*code;
};

int
xen_open(const struct xendcfg *cfg, struct xen_client **out, char **cause)
{
	char	*why, *path;
	int	 rc;

	path = xendcfg_api_path(cfg);
	if ((rc = xen_open_path(path, out, &why)) != 0) {
		*cause = xen_unreachable(why, errno);
		free(why);
	} else
		(*out)->api = 1;
	free(path);
	return (rc);
}

char *
xen_unreachable(const char *why, int error)
{
	if (error == EACCES || error == EPERM)
		return (xsprintf("cannot connect to xend (%s): its API socket "
		    "is root's only; run this as root", why));
	return (xsprintf("cannot connect to xend (%s); is it running? "
	    "try 'xend start'", why));
}

/*
 * A connection closed before any reply: xend refuses a client that is not
 * root or its own uid (SO_PEERCRED) by closing it, which the client sees
 * as a reset, a broken pipe or an end of file.
 */
char *
xen_refused(const char *why)
{
	if (geteuid() == 0)
		return (NULL);
	return (xsprintf("xend closed the connection unanswered (%s): its "
	    "API is root's only and this is uid %u; run this as root", why,
	    (unsigned)geteuid()));
}

static char *
client_lost(struct xen_client *c, char *why)
{
	char	*cause;

	if (!c->api || c->answered || c->lines.len != 0 ||
	    (cause = xen_refused(why)) == NULL)
		return (why);
	free(why);
	return (cause);
}

/* Writes all of buf; a peer gone is EPIPE, never SIGPIPE. */
static int
client_send(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		buf += n;
		len -= n;
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
	rc = client_send(c->lines.fd, text, strlen(text));
	free(text);
	if (rc != 0) {
		*cause = client_lost(c, xsprintf("cannot send to xend: %s",
		    strerror(errno)));
		return (-1);
	}
	for (;;) {
		if (read_msg(c, -1, &m, cause) != 1) {
			*cause = client_lost(c, *cause);
			return (-1);
		}
		/* Events (not subscribed here) and others' replies. */
		c->answered = 1;
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
