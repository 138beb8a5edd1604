/*
 * xensv.h: xensv, the web console (docs/WEB.md).  One header for the
 * program, sections per file.
 *
 * Two threads.  libmicrohttpd's own polling thread (epoll) runs every
 * HTTP request (http.c, static.c, api.c); the main thread runs a
 * libevent loop that owns the xend connection (xendlink.c), every
 * upgraded WebSocket and every console bridge (ws.c).  Requests that need
 * xend suspend their connection, post the call to the loop
 * (loop_post) and are resumed from the loop when xend answers.  Shared
 * state (sessions, the domain cache, history) is behind mutexes in the
 * files that own it.
 */
#ifndef XENSV_H
#define XENSV_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct event_base;
struct xendcfg;
struct MHD_Connection;
struct MHD_UpgradeResponseHandle;

/* main.c */
extern struct xendcfg		 sv_cfg;
extern struct event_base	*sv_base;
extern const char		*sv_static_dir;	/* resolved at start */
extern int			 sv_tls;
/* Runs fn(arg) on the loop thread soon; callable from any thread. */
void	loop_post(void (*fn)(void *), void *arg);

/* path.c: pure helpers (unit-tested). */
/*
 * The file a URL path names under the static root, as a relative path in
 * out ("index.html" for "/"): 0, or -1 for anything that could leave the
 * root or name a hidden file (empty, "." or ".." segments, a segment
 * starting with '.', a backslash, a control character, too long).
 */
int		 path_clean(const char *url, char *out, size_t len);
const char	*path_content_type(const char *path);
/* Whether a static file answers without a session (the login page). */
int		 path_public(const char *rel);
/* The value of cookie name in a Cookie header into out: 0, or -1. */
int		 cookie_get(const char *header, const char *name, char *out,
		     size_t len);
/* Constant-time comparison of two NUL-terminated tokens: 1 if equal. */
int		 token_equal(const char *, const char *);
/* Whether an Origin header matches the Host header (scheme per tls). */
int		 origin_ok(const char *origin, const char *host, int tls);
/*
 * Decodes %XX in place (libmicrohttpd's unescape callback): the new
 * length.  %00 becomes 0x7f, which no path or route accepts, instead of
 * ending the string early ("/app.js%00.png" is not "/app.js").
 */
size_t		 url_unescape(char *);
/* Sec-WebSocket-Accept for a key (RFC 6455): 0, or -1 if the key is bad. */
int		 ws_accept_key(const char *key, char out[64]);
/* Accept-Encoding names gzip (q not 0). */
int		 accepts_gzip(const char *accept_encoding);

/* rfb.c: a viewer's side of RFB, filtered (pure). */
struct rfb_filter {
	int	 state;
	size_t	 need;		/* bytes of the current part */
	size_t	 have;
	int	 pass;		/* forward the current part */
	uint8_t	 hdr[12];	/* its first bytes */
};
void		 rfb_filter_init(struct rfb_filter *);
/*
 * Copies to out (at least len bytes) what of in may reach the server;
 * returns how much, or -1 if the client broke the protocol (close it).
 */
ssize_t		 rfb_filter(struct rfb_filter *, const uint8_t *in, size_t len,
		     uint8_t *out);

/* auth.c: users, sessions, CSRF, back-off, console tickets. */
enum role { ROLE_NONE = 0, ROLE_VIEWER, ROLE_ADMIN };
#define SV_TOKEN_LEN	64		/* hex characters */
#define SV_USER_MAX	64
struct session {
	char		 id[SV_TOKEN_LEN + 1];
	char		 csrf[SV_TOKEN_LEN + 1];
	char		 user[SV_USER_MAX];
	enum role	 role;
	double		 created;
	double		 last;
};
#define TICKET_TTL	30.0	/* s a console ticket is good for */

const char	*role_name(enum role);
int		 role_parse(const char *, enum role *);
/* A user name: 1-63 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
int		 user_name_ok(const char *);
/* Hex of n random bytes into out (2n+1 bytes). */
void		 random_hex(char *out, size_t n);
/*
 * Checks user's password against the users file (blocking: yescrypt).
 * 0 with *role, or -1 with *cause (a wrong user or password says only
 * "wrong user name or password").
 */
int		 auth_check(const char *file, const char *user,
		     const char *password, enum role *role, char **cause);
/* Sets (adds) user's password and role in the users file, mode 0600. */
int		 auth_set(const char *file, const char *user, enum role,
		     const char *password, char **cause);
/* The users file named by the config. Caller frees. */
char		*auth_users_file(const struct xendcfg *);

void		 session_init(double idle, double max);
void		 session_new(const char *user, enum role, double now,
		     struct session *out);
/* Looks id up and, if alive, refreshes it: 0 with *out, -1 if none. */
int		 session_get(const char *id, double now, struct session *out);
void		 session_drop(const char *id);
/* Login back-off per address: backoff.h (shared with xenconsoled). */
/* One-time console tickets bound to a session, a domain and a kind. */
void		 ticket_new(const char *sid, int domid, int kind, double now,
		     char out[SV_TOKEN_LEN + 1]);
/* Takes (consumes) a ticket: 0 if it was issued to sid for this. */
int		 ticket_take(const char *ticket, const char *sid, int domid,
		     int kind, double now);

/* xendlink.c: the one connection to xend (loop thread). */
typedef void	(*link_cb)(json_t *result, const char *code,
		    const char *message, void *arg);
void		 link_init(void);
void		 link_close(void);
/*
 * Calls op on xend (steals args); cb runs on the loop thread with the
 * result (borrowed) or an error code and message ("unavailable" when
 * xend is down).  Any thread.
 */
void		 link_call(const char *op, json_t *args, link_cb, void *arg);
int		 link_connected(void);
/*
 * A shared, read-only text: the cache hands out references instead of
 * copies, so a busy GET /api/domains allocates nothing per request.
 */
struct blob {
	int	 refs;		/* atomic */
	size_t	 len;
	char	 data[];	/* NUL-terminated */
};
struct blob	*blob_new(const char *, size_t);
struct blob	*blob_ref(struct blob *);
void		 blob_unref(void *blob);	/* NULL is fine */
/* The cached domain list / host object as JSON, or NULL. Caller unrefs. */
struct blob	*link_domains_blob(void);
struct blob	*link_host_blob(void);
/* The same as text; caller frees. */
char		*link_host_text(size_t *len);
/* domid of a domain name or id in the cache, or -1. */
int		 link_domid(const char *dom);
/* domid of a domain by name only, or -1. */
int		 link_domid_by_name(const char *name);
/* The last 10 minutes of a domain's figures, or NULL. New reference. */
json_t		*link_history(int domid);
/* A snapshot for a new event client: {"type":"hello", ...}. Caller frees. */
char		*link_hello_text(void);
/* Console bridges reconnect while the domain exists. */
int		 link_domain_exists(int domid);
/* The VNC port of a domain with a graphical console, or -1. */
int		 link_vnc_port(int domid);

/* ws.c: WebSockets (loop thread after the upgrade). */
enum ws_kind { WS_EVENTS, WS_CONSOLE, WS_VNC };
struct ws_open {
	enum ws_kind	 kind;
	int		 domid;
	int		 vnc_port;	/* WS_VNC */
	enum role	 role;
	char		 user[SV_USER_MAX];
	char		 peer[64];
	int		 sock;
	struct MHD_UpgradeResponseHandle *urh;
	char		*extra;
	size_t		 extra_len;
};
/* Takes over an upgraded connection (posted to the loop thread). */
void		 ws_open(void *ws_open);
/* Sends text to every event client (loop thread). */
void		 ws_broadcast(const char *text, size_t len);
/* Says goodbye to every WebSocket (stopping); force: frees them now. */
void		 ws_close_all(int force);

/* http.c: the libmicrohttpd daemon. */
int		 http_start(char **cause);
/* Stops taking connections (first step of a graceful stop). */
void		 http_quiesce(void);
void		 http_stop(void);
/* Logs one audited action: who, from where, what, the result. */
void		 audit(const char *user, const char *peer, const char *what,
		     const char *result);

#endif
