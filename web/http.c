/*
 * http.c: xensv's HTTP side, libmicrohttpd with its own epoll thread.
 * Every request passes the same gate in the same order:
 *
 *   body read (at most xensv-max-body, else 413)
 *   /api/login, the login page and its assets: no session needed
 *   anything else: a live session (cookie) or 401 (pages: to the login)
 *   a change (POST/PUT/DELETE): the session's CSRF token in
 *     X-CSRF-Token and, if the browser sent one, our own Origin, or 403
 *   the route's role (admin for changes), or 403
 *   WebSocket upgrades: our Origin, always; consoles also a ticket
 *
 * and every response carries the same security headers.  Requests that
 * need xend are suspended until the loop thread has xend's answer.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <microhttpd.h>

#include "xen-common.h"
#include "xendcfg.h"
#include "client.h"
#include "backoff.h"
#include "xensv.h"
#include "http.h"

#define COOKIE_NAME	"xensv_session"
#define LOGIN_THREADS	4	/* password checks at once */

static struct MHD_Daemon	*http_daemon;
static int			 static_fd = -1;
static char			*tls_cert, *tls_key;
static pthread_mutex_t		 login_lock = PTHREAD_MUTEX_INITIALIZER;
static int			 login_running;

void
audit(const char *user, const char *peer, const char *what,
    const char *result)
{
	char	*w = log_escape(what), *r = log_escape(result);

	log_info("audit: user=%s from=%s action=\"%s\" result=\"%s\"",
	    user != NULL && user[0] != '\0' ? user : "-", peer, w, r);
	free(w);
	free(r);
}

static void
add_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy",
	    "default-src 'self'; script-src 'self'; "
	    /* xterm.js themes its rows with a <style> element it makes. */
	    "style-src 'self' 'unsafe-inline'; "
	    "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
	    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy",
	    "same-origin");
	if (sv_tls)
		MHD_add_response_header(resp, "Strict-Transport-Security",
		    "max-age=31536000");
}

static enum MHD_Result
queue(struct req *r, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result	 ret;

	add_headers(resp);
	if (r->cookie != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE,
		    r->cookie);
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	r->phase = PHASE_SENT;
	return (ret);
}

static enum MHD_Result
queue_text(struct req *r, unsigned status, const char *ctype, char *text,
    size_t len)
{
	struct MHD_Response	*resp;

	resp = MHD_create_response_from_buffer(len, text,
	    MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	return (queue(r, status, resp));
}

/* Sends the reply req_reply or req_error prepared (its text goes with it). */
static enum MHD_Result
queue_reply(struct req *r)
{
	struct MHD_Response	*resp;
	struct blob		*b = r->blob;
	char			*text = r->text;

	if (b != NULL) {
		r->blob = NULL;
		resp = MHD_create_response_from_buffer_with_free_callback_cls(
		    b->len, b->data, blob_unref, b);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    r->ctype);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
		    "no-store");
		return (queue(r, r->status, resp));
	}

	r->text = NULL;
	return (queue_text(r, r->status, r->ctype, text, r->text_len));
}

void
req_reply(struct req *r, unsigned status, json_t *body)
{
	char	*text;

	if ((text = json_dumps(body, JSON_COMPACT)) == NULL)
		fatalx("json_dumps failed");
	json_decref(body);
	free(r->text);
	r->status = status;
	r->text = text;
	r->text_len = strlen(text);
	r->ctype = "application/json";
}

void
req_error(struct req *r, unsigned status, const char *code, const char *fmt,
    ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (xvasprintf(&msg, fmt, ap) == -1)
		fatalx("xvasprintf failed");
	va_end(ap);
	req_reply(r, status, json_pack("{s:{s:s, s:s}}", "error", "code",
	    code, "message", msg));
	free(msg);
}

unsigned
http_status_of(const char *code)
{
	static const struct {
		const char	*code;
		unsigned	 status;
	} map[] = {
		{ "invalid", MHD_HTTP_BAD_REQUEST },
		{ "not_found", MHD_HTTP_NOT_FOUND },
		{ "denied", MHD_HTTP_FORBIDDEN },
		{ "unknown_op", MHD_HTTP_NOT_IMPLEMENTED },
		{ "failed", MHD_HTTP_CONFLICT },
		{ "unavailable", MHD_HTTP_SERVICE_UNAVAILABLE },
	};
	size_t	 i;

	for (i = 0; i < nitems(map); i++) {
		if (strcmp(map[i].code, code) == 0)
			return (map[i].status);
	}
	return (MHD_HTTP_INTERNAL_SERVER_ERROR);
}

/* Loop thread: xend answered a suspended request. */
static void
xend_done(json_t *result, const char *code, const char *message, void *arg)
{
	struct req	*r = arg;

	if (code != NULL)
		req_error(r, http_status_of(code), code, "%s", message);
	else if (r->done != NULL)
		r->done(r, result);
	else
		req_reply(r, MHD_HTTP_OK, json_incref(result));
	req_resume(r);
}

void
req_resume(struct req *r)
{
	r->phase = PHASE_DONE;
	MHD_resume_connection(r->conn);
}

void
req_xend(struct req *r, const char *op, json_t *args)
{
	r->phase = PHASE_WAIT;
	MHD_suspend_connection(r->conn);
	link_call(op, args, xend_done, r);
}

const char *
req_header(struct req *r, const char *name)
{
	return (MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name));
}

/* Opens rel under the static root; nothing outside it resolves. */
static int
static_open(const char *rel)
{
	struct open_how	 how;

	memset(&how, 0, sizeof how);
	how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	return (syscall(SYS_openat2, static_fd, rel, &how, sizeof how));
}

/* Revalidated every time: the ETag makes that a 304. */
static void
static_headers(struct MHD_Response *resp, const char *etag)
{
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-cache");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY,
	    MHD_HTTP_HEADER_ACCEPT_ENCODING);
}

static enum MHD_Result
serve_static(struct req *r, const char *rel)
{
	struct MHD_Response	*resp;
	struct stat		 st;
	char			 etag[96], *gz;
	const char		*inm;
	int			 fd = -1, zipped = 0;

	if (accepts_gzip(req_header(r, MHD_HTTP_HEADER_ACCEPT_ENCODING))) {
		gz = xsprintf("%s.gz", rel);
		fd = static_open(gz);
		free(gz);
		zipped = fd != -1;
	}
	if (fd == -1)
		fd = static_open(rel);
	if (fd == -1 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd != -1)
			close(fd);
		req_error(r, MHD_HTTP_NOT_FOUND, "not_found", "no such page");
		return (queue_reply(r));
	}
	snprintf(etag, sizeof etag, "\"%llx-%llx%s\"",
	    (unsigned long long)st.st_size,
	    (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL +
	    st.st_mtim.tv_nsec, zipped ? "-gz" : "");
	inm = req_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm != NULL && strcmp(inm, etag) == 0) {
		close(fd);
		resp = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);
		static_headers(resp, etag);
		return (queue(r, MHD_HTTP_NOT_MODIFIED, resp));
	}
	resp = MHD_create_response_from_fd(st.st_size, fd);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    path_content_type(rel));
	if (zipped)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING,
		    "gzip");
	static_headers(resp, etag);
	return (queue(r, MHD_HTTP_OK, resp));
}

static void
peer_of(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo	*ci;
	socklen_t			 sl;

	snprintf(out, len, "?");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return;
	sl = ci->client_addr->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (getnameinfo(ci->client_addr, sl, out, len, NULL, 0,
	    NI_NUMERICHOST) != 0)
		snprintf(out, len, "?");
}

static int
req_session(struct req *r)
{
	char	 id[SV_TOKEN_LEN + 2];

	if (cookie_get(req_header(r, MHD_HTTP_HEADER_COOKIE), COOKIE_NAME, id,
	    sizeof id) != 0)
		return (0);
	r->has_sess = session_get(id, time_mono(), &r->sess) == 0;
	return (r->has_sess);
}

void
req_set_cookie(struct req *r, const char *value, int max_age)
{
	free(r->cookie);
	r->cookie = xsprintf(COOKIE_NAME "=%s; Path=/; HttpOnly; "
	    "SameSite=Strict; Max-Age=%d%s", value, max_age,
	    sv_tls ? "; Secure" : "");
}

/*
 * Suspends r and runs fn(arg) in a thread of its own, for work that may
 * block (a password hash, another daemon's socket); fn resumes r.  A stop
 * waits for these threads: they resume connections of the daemon.
 */
struct thread_job {
	void	*(*fn)(void *);
	void	*arg;
};
static int	threads_running;	/* under login_lock */

static void *
thread_main(void *arg)
{
	struct thread_job	 j = *(struct thread_job *)arg;

	free(arg);
	j.fn(j.arg);
	pthread_mutex_lock(&login_lock);
	threads_running--;
	pthread_mutex_unlock(&login_lock);
	return (NULL);
}

static void
req_suspend_thread(struct req *r, void *(*fn)(void *), void *arg)
{
	struct thread_job	*j = xmalloc(sizeof *j);
	pthread_t		 t;
	pthread_attr_t		 attr;

	j->fn = fn;
	j->arg = arg;
	pthread_mutex_lock(&login_lock);
	threads_running++;
	pthread_mutex_unlock(&login_lock);
	r->phase = PHASE_WAIT;
	MHD_suspend_connection(r->conn);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, thread_main, j) != 0)
		fatalx("pthread_create failed");
	pthread_attr_destroy(&attr);
}

/* The login's password check, off the HTTP thread (yescrypt is slow). */
static void *
login_thread(void *arg)
{
	struct req	*r = arg;
	struct session	 s;
	enum role	 role;
	char		*file, *cause;

	file = auth_users_file(&sv_cfg);
	if (auth_check(file, r->login_user, r->login_pw, &role, &cause) !=
	    0) {
		backoff_fail(r->peer, time_mono());
		audit(r->login_user, r->peer, "login", cause);
		req_error(r, MHD_HTTP_UNAUTHORIZED, "unauthenticated", "%s",
		    cause);
		free(cause);
	} else {
		backoff_ok(r->peer);
		session_new(r->login_user, role, time_mono(), &s);
		req_set_cookie(r, s.id, sv_cfg.xensv_session_max);
		audit(r->login_user, r->peer, "login", "ok");
		req_reply(r, MHD_HTTP_OK, json_pack("{s:s, s:s, s:s}", "user",
		    s.user, "role", role_name(s.role), "csrf", s.csrf));
	}
	free(file);
	explicit_bzero(r->login_pw, strlen(r->login_pw));
	pthread_mutex_lock(&login_lock);
	login_running--;
	pthread_mutex_unlock(&login_lock);
	req_resume(r);
	return (NULL);
}

void
req_login(struct req *r, const char *user, const char *password)
{
	double		 wait;
	int		 busy;

	if ((wait = backoff_wait(r->peer, time_mono())) > 0) {
		audit(user, r->peer, "login", "refused: backing off");
		req_error(r, MHD_HTTP_TOO_MANY_REQUESTS, "backoff",
		    "too many wrong passwords from %s; try again in %.0f s",
		    r->peer, wait + 0.5);
		free(r->retry_after);
		r->retry_after = xsprintf("%.0f", wait + 0.5);
		return;
	}
	pthread_mutex_lock(&login_lock);
	busy = login_running >= LOGIN_THREADS;
	if (!busy)
		login_running++;
	pthread_mutex_unlock(&login_lock);
	if (busy) {
		req_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
		    "busy checking passwords; try again");
		return;
	}
	snprintf(r->login_user, sizeof r->login_user, "%s", user);
	r->login_pw = xstrdup(password);
	req_suspend_thread(r, login_thread, r);
}

struct consoles_job {
	struct req	*r;
	int		 domid;
};

/*
 * Who is attached to a console, from xenconsoled's status socket, in a
 * thread: a local call, but xenconsoled may be stopping or stuck.
 */
static void *
consoles_thread(void *arg)
{
	struct consoles_job	*j = arg;
	struct req		*r = j->r;
	struct xen_client	*c;
	json_t			*list, *con, *found = NULL;
	char			*path, *cause;
	size_t			 i;

	path = xendcfg_consoled_path(&sv_cfg);
	if (xen_open_path(path, &c, &cause) != 0) {
		req_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
		    "xenconsoled: %s", cause);
		free(cause);
	} else if (xen_call(c, "consoles.list", NULL, &list, NULL, &cause) !=
	    0) {
		req_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
		    "xenconsoled: %s", cause);
		free(cause);
		xen_close(c);
	} else {
		json_array_foreach(list, i, con) {
			if (json_integer_value(json_object_get(con, "domid")) ==
			    j->domid)
				found = con;
		}
		if (found != NULL)
			req_reply(r, MHD_HTTP_OK, json_pack("{s:O}", "clients",
			    json_object_get(found, "clients")));
		else
			req_error(r, MHD_HTTP_NOT_FOUND, "not_found",
			    "xenconsoled serves no console for domain %d",
			    j->domid);
		json_decref(list);
		xen_close(c);
	}
	free(path);
	free(j);
	req_resume(r);
	return (NULL);
}

void
req_consoles(struct req *r, int domid)
{
	struct consoles_job	*j = xcalloc(1, sizeof *j);

	j->r = r;
	j->domid = domid;
	req_suspend_thread(r, consoles_thread, j);
}

static void
upgrade_cb(void *cls, struct MHD_Connection *c, void *req_cls,
    const char *extra, size_t extra_len, MHD_socket sock,
    struct MHD_UpgradeResponseHandle *urh)
{
	struct ws_open	*o = cls;

	o->sock = sock;
	o->urh = urh;
	if (extra_len > 0) {
		o->extra = xmalloc(extra_len);
		memcpy(o->extra, extra, extra_len);
		o->extra_len = extra_len;
	}
	loop_post(ws_open, o);
}

/* GET /ws/events, /ws/console/DOMID?ticket=T */
static enum MHD_Result
serve_ws(struct req *r, const char *url)
{
	struct MHD_Response	*resp;
	struct ws_open		*o;
	const char		*up, *conn, *ver, *key, *ticket, *host;
	char			 accept[64];
	long			 domid = -1;
	enum ws_kind		 kind = WS_EVENTS;

	up = req_header(r, MHD_HTTP_HEADER_UPGRADE);
	conn = req_header(r, MHD_HTTP_HEADER_CONNECTION);
	ver = req_header(r, "Sec-WebSocket-Version");
	key = req_header(r, "Sec-WebSocket-Key");
	host = req_header(r, MHD_HTTP_HEADER_HOST);
	if (strcmp(r->method, "GET") != 0 || up == NULL ||
	    strcasecmp(up, "websocket") != 0 || conn == NULL ||
	    strcasestr(conn, "upgrade") == NULL || ver == NULL ||
	    strcmp(ver, "13") != 0 || key == NULL ||
	    ws_accept_key(key, accept) != 0) {
		req_error(r, MHD_HTTP_BAD_REQUEST, "invalid",
		    "expected a WebSocket upgrade (version 13)");
		return (queue_reply(r));
	}
	if (!origin_ok(req_header(r, "Origin"), host, sv_tls)) {
		audit(r->sess.user, r->peer, url, "refused: foreign origin");
		req_error(r, MHD_HTTP_FORBIDDEN, "denied",
		    "WebSocket from another origin");
		return (queue_reply(r));
	}
	if (strncmp(url, "/ws/console/", 12) == 0 ||
	    strncmp(url, "/ws/vnc/", 8) == 0) {
		kind = url[4] == 'v' ? WS_VNC : WS_CONSOLE;
		ticket = MHD_lookup_connection_value(r->conn,
		    MHD_GET_ARGUMENT_KIND, "ticket");
		if (parse_long(strchr(url + 4, '/') + 1, 1, 1 << 30,
		    &domid) != 0 || ticket_take(ticket, r->sess.id, domid,
		    kind, time_mono()) != 0) {
			audit(r->sess.user, r->peer, url,
			    "refused: no valid console ticket");
			req_error(r, MHD_HTTP_FORBIDDEN, "denied",
			    "console ticket missing, used, expired or for "
			    "another domain");
			return (queue_reply(r));
		}
	} else if (strcmp(url, "/ws/events") != 0) {
		req_error(r, MHD_HTTP_NOT_FOUND, "not_found", "no such socket");
		return (queue_reply(r));
	}
	o = xcalloc(1, sizeof *o);
	o->kind = kind;
	o->domid = domid;
	if (kind == WS_VNC && (o->vnc_port = link_vnc_port(domid)) < 0) {
		free(o);
		req_error(r, MHD_HTTP_NOT_FOUND, "not_found",
		    "domain %ld has no graphical console", domid);
		return (queue_reply(r));
	}
	o->role = r->sess.role;
	snprintf(o->user, sizeof o->user, "%s", r->sess.user);
	snprintf(o->peer, sizeof o->peer, "%s", r->peer);
	if (o->kind != WS_EVENTS)
		audit(r->sess.user, r->peer, url, r->sess.role == ROLE_ADMIN ?
		    "ok: console read-write" : "ok: console read-only");
	resp = MHD_create_response_for_upgrade(upgrade_cb, o);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket");
	MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept);
	return (queue(r, MHD_HTTP_SWITCHING_PROTOCOLS, resp));
}

static int
is_change(const char *method)
{
	return (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0);
}

/* The CSRF and Origin checks of a change; 0 or -1 with the reply set. */
static int
csrf_check(struct req *r)
{
	const char	*origin = req_header(r, "Origin");

	if (origin != NULL && !origin_ok(origin,
	    req_header(r, MHD_HTTP_HEADER_HOST), sv_tls)) {
		req_error(r, MHD_HTTP_FORBIDDEN, "denied",
		    "request from another origin (%s)", origin);
		return (-1);
	}
	if (!r->has_sess)
		return (0);	/* login: no session yet */
	if (!token_equal(req_header(r, "X-CSRF-Token"), r->sess.csrf)) {
		req_error(r, MHD_HTTP_FORBIDDEN, "csrf",
		    "missing or wrong X-CSRF-Token");
		return (-1);
	}
	return (0);
}

static enum MHD_Result
route(struct req *r, const char *url)
{
	char		 rel[1024];
	struct MHD_Response *resp;

	if (strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0) {
		req_session(r);
		if (is_change(r->method) && csrf_check(r) != 0) {
			audit(r->sess.user, r->peer, r->what, r->text);
			return (queue_reply(r));
		}
		api_route(r, url);
		if (r->phase == PHASE_WAIT)
			return (MHD_YES);
		if (r->retry_after != NULL) {
			resp = MHD_create_response_from_buffer(r->text_len,
			    r->text, MHD_RESPMEM_MUST_FREE);
			r->text = NULL;
			MHD_add_response_header(resp,
			    MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
			MHD_add_response_header(resp,
			    MHD_HTTP_HEADER_RETRY_AFTER, r->retry_after);
			return (queue(r, r->status, resp));
		}
		return (queue_reply(r));
	}
	if (strncmp(url, "/ws/", 4) == 0) {
		if (!req_session(r)) {
			req_error(r, MHD_HTTP_UNAUTHORIZED, "unauthenticated",
			    "log in first");
			return (queue_reply(r));
		}
		return (serve_ws(r, url));
	}
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		req_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "invalid",
		    "pages are read with GET");
		return (queue_reply(r));
	}
	if (path_clean(url, rel, sizeof rel) != 0) {
		req_error(r, MHD_HTTP_NOT_FOUND, "not_found", "no such page");
		return (queue_reply(r));
	}
	if (!path_public(rel) && !req_session(r)) {
		if (strcmp(url, "/") == 0 || strcmp(path_content_type(rel),
		    "text/html; charset=utf-8") == 0) {
			resp = MHD_create_response_from_buffer(0, NULL,
			    MHD_RESPMEM_PERSISTENT);
			MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION,
			    "/login.html");
			return (queue(r, MHD_HTTP_FOUND, resp));
		}
		req_error(r, MHD_HTTP_UNAUTHORIZED, "unauthenticated",
		    "log in first");
		return (queue_reply(r));
	}
	return (serve_static(r, rel));
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct req	*r = *con_cls;
	const char	*cl;
	long		 n;

	if (r == NULL) {
		r = xcalloc(1, sizeof *r);
		r->conn = c;
		r->method = method;
		peer_of(c, r->peer, sizeof r->peer);
		r->what = xsprintf("%s %s", method, url);
		*con_cls = r;
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && (parse_long(cl, 0, 1L << 40, &n) != 0 ||
		    n > sv_cfg.xensv_max_body))
			r->too_big = 1;
		return (MHD_YES);
	}
	if (r->phase == PHASE_DONE) {
		if (r->audit)
			audit(r->sess.user, r->peer, r->what,
			    r->status < 300 ? "ok" : r->text);
		return (queue_reply(r));
	}
	if (r->phase != PHASE_NEW)
		return (MHD_NO);
	if (*upload_size > 0) {
		if (!r->too_big && r->len + *upload_size <=
		    (size_t)sv_cfg.xensv_max_body) {
			r->body = xrealloc(r->body, r->len + *upload_size + 1);
			memcpy(r->body + r->len, upload, *upload_size);
			r->len += *upload_size;
			r->body[r->len] = '\0';
		} else
			r->too_big = 1;
		*upload_size = 0;
		return (MHD_YES);
	}
	if (r->too_big) {
		audit(NULL, r->peer, r->what, "refused: body too large");
		req_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "invalid",
		    "request body larger than %d bytes (xensv-max-body)",
		    sv_cfg.xensv_max_body);
		return (queue_reply(r));
	}
	return (route(r, url));
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req	*r = *con_cls;

	if (r == NULL)
		return;
	free(r->body);
	free(r->text);
	blob_unref(r->blob);
	free(r->what);
	free(r->cookie);
	free(r->retry_after);
	free(r->login_pw);
	free(r);
	*con_cls = NULL;
}

static size_t
unescape_cb(void *cls, struct MHD_Connection *c, char *s)
{
	return (url_unescape(s));
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	*msg;

	if (xvasprintf(&msg, fmt, ap) == -1)
		return;
	msg[strcspn(msg, "\n")] = '\0';
	log_warn("libmicrohttpd: %s", msg);
	free(msg);
}

int
http_start(char **cause)
{
	struct addrinfo	 hints, *ai;
	unsigned int	 flags;
	char		 port[16];
	int		 e;

	memset(&hints, 0, sizeof hints);
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%d", sv_cfg.xensv_port);
	if ((e = getaddrinfo(sv_cfg.xensv_address, port, &hints, &ai)) != 0) {
		*cause = xsprintf("xensv-address %s: %s", sv_cfg.xensv_address,
		    gai_strerror(e));
		return (-1);
	}
	static_fd = open(sv_static_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (static_fd == -1) {
		*cause = xsprintf("%s: %s", sv_static_dir, strerror(errno));
		freeaddrinfo(ai);
		return (-1);
	}
	flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_UPGRADE |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (sv_cfg.xensv_tls_cert[0] != '\0' ||
	    sv_cfg.xensv_tls_key[0] != '\0') {
		if (file_read(sv_cfg.xensv_tls_cert, &tls_cert, NULL,
		    cause) != 0 || file_read(sv_cfg.xensv_tls_key, &tls_key,
		    NULL, cause) != 0) {
			freeaddrinfo(ai);
			return (-1);
		}
		flags |= MHD_USE_TLS;
		sv_tls = 1;
	}
	http_daemon = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)sv_cfg.xensv_max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)sv_cfg.xensv_max_per_address,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)sv_cfg.xensv_timeout,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape_cb, NULL,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
	    sv_tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, tls_cert,
	    MHD_OPTION_HTTPS_MEM_KEY, tls_key,
	    MHD_OPTION_END);
	freeaddrinfo(ai);
	if (http_daemon == NULL) {
		*cause = xsprintf("cannot serve on %s port %d (in use, or a "
		    "bad address or TLS key)", sv_cfg.xensv_address,
		    sv_cfg.xensv_port);
		return (-1);
	}
	return (0);
}

void
http_quiesce(void)
{
	MHD_socket	 fd;

	if (http_daemon != NULL &&
	    (fd = MHD_quiesce_daemon(http_daemon)) != MHD_INVALID_SOCKET)
		close(fd);
}

void
http_stop(void)
{
	int	 n, i;

	for (i = 0; i < 500; i++) {
		pthread_mutex_lock(&login_lock);
		n = threads_running;
		pthread_mutex_unlock(&login_lock);
		if (n == 0)
			break;
		usleep(10000);
	}
	if (http_daemon != NULL)
		MHD_stop_daemon(http_daemon);
	http_daemon = NULL;
	if (static_fd != -1)
		close(static_fd);
	static_fd = -1;
	free(tls_cert);
	free(tls_key);
	tls_cert = tls_key = NULL;
}
