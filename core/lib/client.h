/*
 * client.h: the one client library for xend's API (docs/API.md), used by
 * xm, xm top, xensv and xenconsoled.  Blocking, one connection each.
 *
 * Ownership: xen_call steals args (may be NULL) and hands back a new
 * reference in *result that the caller decrefs.  Events read while waiting
 * for a reply are queued and returned by xen_next_event.
 *
 * Event loops (xm top) use xen_send and xen_recv_line instead, so that many
 * requests can be in flight on one connection and nothing blocks.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <jansson.h>

struct xendcfg;
struct xen_client;

/* Connects to xend-unix-path; *cause says so clearly if xend is down. */
int	xen_open(const struct xendcfg *, struct xen_client **, char **cause);
/*
 * Connects to another server speaking the same protocol (xenconsoled's
 * status socket); *cause is "PATH: why".
 */
int	xen_open_path(const char *path, struct xen_client **, char **cause);
void	xen_close(struct xen_client *);
int	xen_fd(const struct xen_client *);

/*
 * Calls op; on an API error returns -1 with *cause the server's message and,
 * if code is not NULL, *code its error code (borrowed until the next call).
 */
int	xen_call(struct xen_client *, const char *op, json_t *args,
	    json_t **result, const char **code, char **cause);

/* Subscribes this connection to domain events. */
int	xen_subscribe(struct xen_client *, char **cause);
/*
 * Next event, waiting up to timeout_ms (-1 forever).  Returns 1 with an
 * event, 0 on timeout, -1 on error or disconnection.
 */
int	xen_next_event(struct xen_client *, int timeout_ms, json_t **event,
	    char **cause);

/*
 * Non-blocking use.  xen_send writes one request (steals args) and hands
 * back its id without waiting for the reply.  xen_recv_line returns the
 * next complete line already received, reply or event, unparsed (1), 0 if
 * no complete line has arrived (it never waits), -1 on error or
 * disconnection.  *line is not NUL-terminated and is borrowed until the
 * next call on this client.  Do not mix with xen_call while replies to
 * xen_send are outstanding: xen_call drops replies that are not its own.
 */
int	xen_send(struct xen_client *, const char *op, json_t *args,
	    json_int_t *id, char **cause);
int	xen_recv_line(struct xen_client *, const char **line, size_t *len,
	    char **cause);

#endif
