/*
 * client.h: the blocking client of xend's API (docs/API.md) and of
 * xenconsoled's status socket, used by xm and xenconsoled's status
 * command; framing and parsing are rpc.h's.  One connection each.
 *
 * Ownership: xen_call steals args (may be NULL) and hands back a new
 * reference in *result that the caller decrefs.
 *
 * Event loops (xm top, xenconsoled) use rpc.h's asynchronous client.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <jansson.h>

struct xendcfg;
struct xen_client;

/* Connects to xend-unix-path; *cause says so clearly if xend is down. */
int	xen_open(const struct xendcfg *, struct xen_client **, char **cause);
/*
 * That message, for why connecting failed and its errno (a new string):
 * EACCES or EPERM says the socket is root's, anything else that xend
 * may be down.
 */
char	*xen_unreachable(const char *why, int error);
/*
 * For a connection to xend closed before any reply, why: what a user who is
 * not root is told (xend refuses him so), a new string; NULL for root.
 */
char	*xen_refused(const char *why);
/*
 * Connects to another server speaking the same protocol (xenconsoled's
 * status socket); *cause is "PATH: why".
 */
int	xen_open_path(const char *path, struct xen_client **, char **cause);
void	xen_close(struct xen_client *);

/*
 * Calls op; on an API error returns -1 with *cause the server's message and,
 * if code is not NULL, *code its error code (borrowed until the next call).
 */
int	xen_call(struct xen_client *, const char *op, json_t *args,
	    json_t **result, const char **code, char **cause);

#endif
