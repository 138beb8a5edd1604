/*
 * rpc.h: the one implementation of the project's JSON-lines protocol
 * (docs/API.md): xend's API socket and xenconsoled's control socket are
 * served with it, and xm, xm top and xenconsoled talk to xend with it.
 *
 * One request object per line, {"id", "op", "args"}; one reply line per
 * request, {"id", "result"} or {"id", "error": {"code", "message"}}, in
 * completion order; event lines {"event", ...} interleaved for connections
 * that subscribed.
 *
 * rpc.c has no libevent in it (framing, the op table's argument checks, the
 * line buffer and the client side's reply matching), so xm links without
 * libevent; rpcev.c has the libevent parts (the server, and the read event
 * an asynchronous client may put on a loop).
 */
#ifndef RPC_H
#define RPC_H

#include <stddef.h>

#include <jansson.h>

struct event_base;

/* Error codes (docs/API.md). */
#define RPC_E_INVALID	"invalid"
#define RPC_E_UNKNOWN	"unknown_op"
#define RPC_E_DISCONN	"disconnected"

/* ---- Framing ---- */

/*
 * Parses one request line.  On success *op (a new string), *args (a new
 * reference, {} if absent) and *id (a new reference, null if absent) are
 * set.  On a bad request returns -1 with *cause the message of the
 * "invalid" reply (the caller frees it), *id set so that the reply can
 * carry it, and *op, *args NULL.
 */
int	 rpc_request_parse(const char *line, size_t len, json_t **id,
	     char **op, json_t **args, char **cause);
/* A request line, newline included, to free: steals args (may be NULL). */
char	*rpc_request_text(json_int_t id, const char *op, json_t *args);
/* Reply lines, newline included, to free.  Steals result (NULL is {}). */
char	*rpc_reply_text(json_t *id, json_t *result);
/* The message is scrubbed to valid UTF-8 (rpc_scrub) first. */
char	*rpc_error_text(json_t *id, const char *code, char *message);
/* Each byte not starting a valid UTF-8 sequence becomes '?'. */
void	 rpc_scrub(char *);

/* A line received by a client: a reply or an event. */
struct rpc_msg {
	int		 event;		/* has an "event" member */
	int		 bad;		/* unreadable: message says why */
	int		 has_id;	/* "id" is a number */
	json_int_t	 id;
	/* Filled by rpc_msg_parse; a custom scanner may leave them NULL. */
	json_t		*json;		/* the whole message, owned */
	json_t		*result;	/* borrowed from json */
	const char	*code;		/* an error reply: never NULL then */
	const char	*message;
	/* A scanner's: the result's JSON text, borrowed from line. */
	const char	*raw, *raw_end;
	/* The raw line, borrowed. */
	const char	*line;
	size_t		 len;
};
/* Parses a line with jansson: 0, or -1 with *cause jansson's message. */
int	 rpc_msg_parse(const char *line, size_t len, struct rpc_msg *,
	     char **cause);
void	 rpc_msg_clear(struct rpc_msg *);
/* An error reply's code and message from err (borrowed), with defaults. */
void	 rpc_msg_error(struct rpc_msg *, const json_t *err);

/* ---- Line buffer (clients) ---- */

struct rpc_lines {
	int		 fd;
	char		*buf;
	size_t		 len;
	size_t		 size;
	size_t		 consumed;	/* the line last handed out */
	size_t		 max;		/* longest line accepted */
	const char	*peer;		/* "xend": for messages */
};
void	 rpc_lines_init(struct rpc_lines *, int fd, size_t max,
	     const char *peer);
void	 rpc_lines_free(struct rpc_lines *);
/*
 * The next complete line (1, borrowed until the next call), 0 if none
 * arrives within timeout_ms (0 never waits, -1 waits for ever), -1 with
 * *cause on error, end of file or a line too long.
 */
int	 rpc_lines_next(struct rpc_lines *, int timeout_ms, const char **line,
	     size_t *len, char **cause);

/* ---- Op tables and argument checks (servers) ---- */

enum rpc_type {
	RPC_ANY,
	RPC_INT,	/* with min..max */
	RPC_STR,
	RPC_BOOL,
	RPC_OBJ,
	RPC_ARRAY,
	RPC_INT_STR,	/* an integer, or a string (one of words if set) */
};
struct rpc_arg {
	const char	*name;
	enum rpc_type	 type;
	int		 required;
	json_int_t	 min, max;	/* RPC_INT */
	const char	*const *words;	/* RPC_INT_STR: allowed strings */
	/*
	 * The error messages, "NAME: " put before them; NULL for the
	 * defaults ("expected an integer from MIN to MAX", "required").
	 */
	const char	*expect;
	const char	*missing;
};
#define RPC_ARGS_END	{ NULL, RPC_ANY, 0, 0, 0, NULL, NULL, NULL }

/* Each entry of an op table starts with this. */
struct rpc_op {
	const char		*name;
	const char		*help;
	const struct rpc_arg	*args;	/* NULL: none checked */
};
/*
 * The entry named name in a table of n entries of size stride, or NULL
 * with *cause the "unknown_op" message.
 */
const void *rpc_op_find(const void *table, size_t n, size_t stride,
	     const char *name, char **cause);
/* The api.ops result: [{op, help}]. */
json_t	*rpc_op_list(const void *table, size_t n, size_t stride);
/* 0, or -1 with *cause the "invalid" message of the first bad argument. */
int	 rpc_args_check(const struct rpc_arg *, const json_t *args,
	     char **cause);

/* ---- Server (rpcev.c) ---- */

struct rpc_server;
struct rpc_conn;

struct rpc_limits {
	const char	*what;		/* "API client": for the log */
	size_t		 max_line;	/* a longer request: disconnected */
	/*
	 * Back-pressure: with more than high_water of replies waiting for a
	 * connection its requests are not read until they drain below
	 * low_water (0: never held).  Past max_backlog (only events can
	 * get there) it is cut off rather than buffered for ever.
	 */
	size_t		 high_water;
	size_t		 low_water;
	size_t		 max_backlog;
	int		 peercred;	/* only root and our own uid */
	int		 accept_pause_ms; /* out of descriptors: pause */
};

/*
 * A request: id and args are borrowed for the call, op too; the handler
 * answers now or later with rpc_conn_reply/rpc_conn_error (rpc_conn_ref
 * the connection to answer later).
 */
typedef void (*rpc_request_cb)(struct rpc_conn *, json_t *id, const char *op,
    json_t *args, void *arg);

/* Listens on path (a unix socket, mode 0600).  NULL with *cause. */
struct rpc_server *rpc_server_new(struct event_base *, const char *path,
	     const struct rpc_limits *, rpc_request_cb, void *arg,
	     char **cause);
/* Closes every connection and the socket (unlinked). */
void	 rpc_server_free(struct rpc_server *);
/* Sends msg (borrowed) to every subscribed connection. */
void	 rpc_server_event(struct rpc_server *, json_t *msg);

void	 rpc_conn_ref(struct rpc_conn *);
void	 rpc_conn_unref(struct rpc_conn *);
int	 rpc_conn_dead(const struct rpc_conn *);
void	 rpc_conn_subscribe(struct rpc_conn *);
/* Replies to id; nothing happens if the connection has gone.  Steals result. */
void	 rpc_conn_reply(struct rpc_conn *, json_t *id, json_t *result);
/* message is scrubbed in place. */
void	 rpc_conn_error(struct rpc_conn *, json_t *id, const char *code,
	     char *message);

/* ---- Asynchronous client ---- */

/*
 * Modelled on qmp.h.  Requests go out at once; replies come back in
 * completion order and are matched to their callbacks by id; events go to
 * the event callback.  When the connection fails or closes, every request
 * in flight gets an error reply with code "disconnected" and the cause as
 * message, then the close callback is called (it may free the client).
 *
 * A line that cannot be read goes to the event callback with bad set.
 *
 * Ownership: rpc_client_call steals args; the message handed to callbacks
 * is borrowed for the call.  Do not free the client inside a reply or
 * event callback.
 */
struct rpc_client;
typedef void (*rpc_reply_cb)(struct rpc_client *, const struct rpc_msg *,
    void *arg);
typedef void (*rpc_event_cb)(struct rpc_client *, const struct rpc_msg *,
    void *arg);
typedef void (*rpc_close_cb)(struct rpc_client *, const char *why, void *arg);
/*
 * Classifies a line; the default is rpc_msg_parse.  A scanner that does
 * not parse the whole line (xm top at 500 domains) fills event, has_id and
 * id, may leave json, result, code and message NULL, and returns -1 with
 * *cause for a line it cannot read.
 */
typedef int (*rpc_scan_fn)(const char *line, size_t len, struct rpc_msg *,
    char **cause);

/* Connects to path; NULL with *cause ("PATH: why"). */
struct rpc_client *rpc_client_open(const char *path, const char *peer,
	     rpc_event_cb, rpc_close_cb, void *arg, char **cause);
void	 rpc_client_set_scan(struct rpc_client *, rpc_scan_fn);
/*
 * Frees the client; the callbacks of requests in flight are not called:
 * drop (if not NULL) is given their args instead.
 */
void	 rpc_client_free(struct rpc_client *, void (*drop)(void *));
int	 rpc_client_fd(const struct rpc_client *);
/* 1 while connected and no send has failed. */
int	 rpc_client_up(const struct rpc_client *);
size_t	 rpc_client_pending(const struct rpc_client *);
/*
 * Sends a request.  If the send fails, returns -1 with *cause and cb is not
 * called; the connection is closed at the next rpc_client_read (a reply
 * being handled may be for another request).
 */
int	 rpc_client_call(struct rpc_client *, const char *op, json_t *args,
	     rpc_reply_cb, void *arg, char **cause);
/*
 * Handles every complete line received, without waiting: 0, or -1 once the
 * connection has closed (callbacks called; the client must not be used
 * again except to free it, unless the close callback freed it).
 */
int	 rpc_client_read(struct rpc_client *);
/* rpcev.c: reads whenever the socket is readable, on base's loop. */
void	 rpc_client_attach(struct rpc_client *, struct event_base *);

#endif
