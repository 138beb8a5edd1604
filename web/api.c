/*
 * api.c: xensv's REST API, one table of routes (docs/WEB.md).  Each
 * route names the role it needs; changes need admin (viewers see
 * everything and change nothing).  Most routes are one xend op: its
 * result is the reply, its error the same code and message with an HTTP
 * status that fits (http_status_of).  Domains created through the web
 * carry the create policy {image_dirs, script_dirs} from
 * xensv-image-dirs and xensv-script-dirs (and save_dirs from
 * xensv-save-dirs for a save or restore), which xend enforces.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "xen-common.h"
#include "xendcfg.h"
#include "domcfg.h"
#include "pycfg.h"
#include "sxp.h"
#include "xensv.h"
#include "http.h"

struct route {
	const char	*method;
	const char	*pattern;	/* "{dom}" matches one segment */
	enum role	 need;		/* ROLE_NONE: no session needed */
	void		(*fn)(struct req *, json_t *body);
	const char	*help;
};

static void	api_login(struct req *, json_t *);
static void	api_logout(struct req *, json_t *);
static void	api_session(struct req *, json_t *);
static void	api_routes(struct req *, json_t *);
static void	api_host(struct req *, json_t *);
static void	api_dmesg(struct req *, json_t *);
static void	api_domains(struct req *, json_t *);
static void	api_domain(struct req *, json_t *);
static void	api_history(struct req *, json_t *);
static void	api_vcpu_list(struct req *, json_t *);
static void	api_pause(struct req *, json_t *);
static void	api_unpause(struct req *, json_t *);
static void	api_shutdown(struct req *, json_t *);
static void	api_reboot(struct req *, json_t *);
static void	api_destroy(struct req *, json_t *);
static void	api_memory(struct req *, json_t *);
static void	api_maxmem(struct req *, json_t *);
static void	api_vcpus(struct req *, json_t *);
static void	api_pin(struct req *, json_t *);
static void	api_credit(struct req *, json_t *);
static void	api_sedf(struct req *, json_t *);
static void	api_ticket(struct req *, json_t *);
static void	api_clients(struct req *, json_t *);
static void	api_schema(struct req *, json_t *);
static void	api_check(struct req *, json_t *);
static void	api_create(struct req *, json_t *);
static void	api_saves(struct req *, json_t *);
static void	api_save(struct req *, json_t *);
static void	api_restore(struct req *, json_t *);
static void	api_migrate(struct req *, json_t *);

static const struct route routes[] = {
	{ "POST", "/api/login", ROLE_NONE, api_login,
	    "log in: {user, password} -> {user, role, csrf} and the cookie" },
	{ "POST", "/api/logout", ROLE_VIEWER, api_logout,
	    "log out" },
	{ "GET", "/api/session", ROLE_VIEWER, api_session,
	    "who is logged in: {user, role, csrf}" },
	{ "GET", "/api", ROLE_VIEWER, api_routes, "this list" },
	{ "GET", "/api/host", ROLE_VIEWER, api_host,
	    "host.info, with cpu_pct (refreshed every second)" },
	{ "GET", "/api/dmesg", ROLE_VIEWER, api_dmesg, "host.dmesg" },
	{ "GET", "/api/domains", ROLE_VIEWER, api_domains,
	    "domain.list without configs, with cpu_pct (every second)" },
	{ "POST", "/api/domains", ROLE_ADMIN, api_create,
	    "create: {text: config file} or {config}, paused -> domain" },
	{ "GET", "/api/config/schema", ROLE_VIEWER, api_schema,
	    "config.schema: every domain config key (type, range, help)" },
	{ "POST", "/api/config/check", ROLE_ADMIN, api_check,
	    "dry run: {text} -> {config, sxp, warnings, memory}" },
	{ "GET", "/api/saves", ROLE_VIEWER, api_saves,
	    "the save files in xensv-save-dirs: {dirs, files: [{file, size, "
	    "mtime}]}" },
	{ "POST", "/api/restore", ROLE_ADMIN, api_restore,
	    "domain.restore: {file (in xensv-save-dirs), paused} -> domain" },
	{ "GET", "/api/domains/{dom}", ROLE_VIEWER, api_domain,
	    "domain.get, with sxp: the config as SXP" },
	{ "GET", "/api/domains/{dom}/history", ROLE_VIEWER, api_history,
	    "the last 10 minutes of cpu_pct, memory, net and disk rates" },
	{ "GET", "/api/domains/{dom}/vcpus", ROLE_VIEWER, api_vcpu_list,
	    "domain.vcpu_list" },
	{ "POST", "/api/domains/{dom}/pause", ROLE_ADMIN, api_pause,
	    "domain.pause" },
	{ "POST", "/api/domains/{dom}/unpause", ROLE_ADMIN, api_unpause,
	    "domain.unpause" },
	{ "POST", "/api/domains/{dom}/shutdown", ROLE_ADMIN, api_shutdown,
	    "domain.shutdown: {mode: poweroff|reboot|halt}" },
	{ "POST", "/api/domains/{dom}/reboot", ROLE_ADMIN, api_reboot,
	    "domain.shutdown mode reboot" },
	{ "POST", "/api/domains/{dom}/destroy", ROLE_ADMIN, api_destroy,
	    "domain.destroy: {confirm: the domain's name}" },
	{ "PUT", "/api/domains/{dom}/memory", ROLE_ADMIN, api_memory,
	    "domain.mem_set: {memory: MB}" },
	{ "PUT", "/api/domains/{dom}/maxmem", ROLE_ADMIN, api_maxmem,
	    "domain.mem_max: {maxmem: MB}" },
	{ "PUT", "/api/domains/{dom}/vcpus", ROLE_ADMIN, api_vcpus,
	    "domain.vcpu_set: {vcpus: N}" },
	{ "PUT", "/api/domains/{dom}/vcpus/pin", ROLE_ADMIN, api_pin,
	    "domain.vcpu_pin: {vcpu, cpus}" },
	{ "PUT", "/api/domains/{dom}/sched-credit", ROLE_ADMIN, api_credit,
	    "domain.sched_credit: {weight, cap}" },
	{ "PUT", "/api/domains/{dom}/sched-sedf", ROLE_ADMIN, api_sedf,
	    "domain.sched_sedf: {period, slice} (ms)" },
	{ "POST", "/api/domains/{dom}/save", ROLE_ADMIN, api_save,
	    "domain.save: {file: a name or a path in xensv-save-dirs, "
	    "checkpoint}" },
	{ "POST", "/api/domains/{dom}/migrate", ROLE_ADMIN, api_migrate,
	    "domain.migrate: {host, port, live, bandwidth (Mbit/s)}" },
	{ "POST", "/api/domains/{dom}/console", ROLE_VIEWER, api_ticket,
	    "a one-time console ticket: {kind: serial|vnc} -> {ticket, url} "
	    "(30 s)" },
	{ "GET", "/api/domains/{dom}/console", ROLE_VIEWER, api_clients,
	    "who is attached to the console, who holds input (xenconsoled)" },
};

/* A domain name or id: [A-Za-z0-9][A-Za-z0-9_.-]*, nothing else. */
static int
dom_segment_ok(const char *u, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (!(u[i] >= 'a' && u[i] <= 'z') &&
		    !(u[i] >= 'A' && u[i] <= 'Z') &&
		    !(u[i] >= '0' && u[i] <= '9') &&
		    (i == 0 || (u[i] != '_' && u[i] != '.' && u[i] != '-')))
			return (0);
	}
	return (1);
}

/* Matches url against pattern, capturing {dom} into r->dom. */
static int
route_match(const char *pattern, const char *url, struct req *r)
{
	const char	*p = pattern, *u = url;
	size_t		 n;

	while (*p != '\0') {
		if (strncmp(p, "{dom}", 5) == 0) {
			n = strcspn(u, "/");
			if (n == 0 || n >= sizeof r->dom ||
			    !dom_segment_ok(u, n))
				return (0);
			memcpy(r->dom, u, n);
			r->dom[n] = '\0';
			u += n;
			p += 5;
			continue;
		}
		if (*p++ != *u++)
			return (0);
	}
	return (*u == '\0');
}

void
api_route(struct req *r, const char *url)
{
	const struct route	*rt = NULL;
	const char		*method = r->method;
	json_t			*body = NULL;
	json_error_t		 jerr;
	size_t			 i;
	int			 path_seen = 0;

	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	for (i = 0; i < nitems(routes); i++) {
		if (!route_match(routes[i].pattern, url, r))
			continue;
		path_seen = 1;
		if (strcmp(routes[i].method, method) == 0) {
			rt = &routes[i];
			break;
		}
	}
	if (rt == NULL) {
		if (path_seen)
			req_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "invalid",
			    "%s is not allowed here", r->method);
		else if (!r->has_sess)
			req_error(r, MHD_HTTP_UNAUTHORIZED, "unauthenticated",
			    "log in first");
		else
			req_error(r, MHD_HTTP_NOT_FOUND, "not_found",
			    "no such API route");
		return;
	}
	if (rt->need != ROLE_NONE && !r->has_sess) {
		req_error(r, MHD_HTTP_UNAUTHORIZED, "unauthenticated",
		    "log in first");
		return;
	}
	r->audit = strcmp(rt->method, "GET") != 0 && rt->need != ROLE_NONE;
	if (rt->need == ROLE_ADMIN && r->sess.role != ROLE_ADMIN) {
		req_error(r, MHD_HTTP_FORBIDDEN, "denied", "%s is a viewer: "
		    "viewers cannot change anything", r->sess.user);
		goto audit;
	}
	if (r->len > 0) {
		body = json_loadb(r->body, r->len, 0, &jerr);
		if (!json_is_object(body)) {
			json_decref(body);
			req_error(r, MHD_HTTP_BAD_REQUEST, "invalid",
			    "expected a JSON object: %s", body == NULL ?
			    jerr.text : "not an object");
			goto audit;
		}
	} else
		body = json_object();
	rt->fn(r, body);
	json_decref(body);
audit:
	if (r->audit && r->phase != PHASE_WAIT)
		audit(r->sess.user, r->peer, r->what, r->status < 300 ? "ok" :
		    r->text);
}

static json_t *
dom_args(struct req *r)
{
	return (json_pack("{s:s}", "dom", r->dom));
}

static void
api_login(struct req *r, json_t *body)
{
	const char	*user, *pw;

	user = json_string_value(json_object_get(body, "user"));
	pw = json_string_value(json_object_get(body, "password"));
	if (user == NULL || pw == NULL || strlen(pw) > 1024) {
		req_error(r, MHD_HTTP_BAD_REQUEST, "invalid",
		    "expected {\"user\": NAME, \"password\": TEXT}");
		return;
	}
	req_login(r, user, pw);
}

static void
api_logout(struct req *r, json_t *body)
{
	session_drop(r->sess.id);
	req_set_cookie(r, "", 0);
	req_reply(r, MHD_HTTP_OK, json_object());
}

static void
api_session(struct req *r, json_t *body)
{
	req_reply(r, MHD_HTTP_OK, json_pack("{s:s, s:s, s:s, s:s, s:b}",
	    "user", r->sess.user, "role", role_name(r->sess.role), "csrf",
	    r->sess.csrf, "version", XEN_VERSION, "xend", link_connected()));
}

static void
api_routes(struct req *r, json_t *body)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < nitems(routes); i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}",
		    "method", routes[i].method, "path", routes[i].pattern,
		    "role", routes[i].need == ROLE_NONE ? "anyone" :
		    role_name(routes[i].need), "help", routes[i].help));
	req_reply(r, MHD_HTTP_OK, a);
}

static void
reply_cached(struct req *r, struct blob *b)
{
	if (b == NULL) {
		req_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
		    "no answer from xend yet");
		return;
	}
	r->status = MHD_HTTP_OK;
	r->blob = b;
	r->ctype = "application/json";
}

static void
api_host(struct req *r, json_t *body)
{
	reply_cached(r, link_host_blob());
}

static void
api_domains(struct req *r, json_t *body)
{
	reply_cached(r, link_domains_blob());
}

static void
api_dmesg(struct req *r, json_t *body)
{
	req_xend(r, "host.dmesg", NULL);
}

/* domain.get, plus the config as SXP (xm list -l, xm create -n). */
static void
domain_done(struct req *r, json_t *d)
{
	json_t		*copy = json_deep_copy(d);
	const json_t	*cfg = json_object_get(d, "config");
	struct sxp	*s;
	char		*text;

	if (json_is_object(cfg)) {
		s = domcfg_to_sxp(cfg);
		text = sxp_print(s, 1);
		json_object_set_new(copy, "sxp", json_string(text));
		free(text);
		sxp_free(s);
	}
	req_reply(r, MHD_HTTP_OK, copy);
}

static void
api_domain(struct req *r, json_t *body)
{
	r->done = domain_done;
	req_xend(r, "domain.get", dom_args(r));
}

static void
api_history(struct req *r, json_t *body)
{
	json_t	*h;
	int	 domid = link_domid(r->dom);

	if (domid < 0 || (h = link_history(domid)) == NULL) {
		req_error(r, MHD_HTTP_NOT_FOUND, "not_found",
		    "no domain '%s'", r->dom);
		return;
	}
	req_reply(r, MHD_HTTP_OK, h);
}

static void
api_schema(struct req *r, json_t *body)
{
	req_xend(r, "config.schema", NULL);
}

static void
api_vcpu_list(struct req *r, json_t *body)
{
	req_xend(r, "domain.vcpu_list", dom_args(r));
}

static void
api_pause(struct req *r, json_t *body)
{
	req_xend(r, "domain.pause", dom_args(r));
}

static void
api_unpause(struct req *r, json_t *body)
{
	req_xend(r, "domain.unpause", dom_args(r));
}

static void
api_shutdown(struct req *r, json_t *body)
{
	const char	*mode = json_string_value(json_object_get(body,
			    "mode"));

	if (mode == NULL)
		mode = "poweroff";
	req_xend(r, "domain.shutdown", json_pack("{s:s, s:s}", "dom", r->dom,
	    "mode", mode));
}

static void
api_reboot(struct req *r, json_t *body)
{
	req_xend(r, "domain.shutdown", json_pack("{s:s, s:s}", "dom", r->dom,
	    "mode", "reboot"));
}

static void
api_destroy(struct req *r, json_t *body)
{
	const char	*confirm = json_string_value(json_object_get(body,
			    "confirm"));

	/* The name, typed: an id or a slip of the mouse is not enough. */
	if (confirm == NULL || strcmp(confirm, r->dom) != 0 ||
	    link_domid_by_name(confirm) < 0) {
		req_error(r, MHD_HTTP_BAD_REQUEST, "invalid",
		    "destroy needs {\"confirm\": NAME}, the domain's name as "
		    "in the URL");
		return;
	}
	req_xend(r, "domain.destroy", dom_args(r));
}

/* PUT with one integer argument: the op gets {dom, key}. */
static void
int_op(struct req *r, json_t *body, const char *key, const char *op)
{
	json_t	*v = json_object_get(body, key);

	if (!json_is_integer(v)) {
		req_error(r, MHD_HTTP_BAD_REQUEST, "invalid",
		    "expected {\"%s\": INTEGER}", key);
		return;
	}
	req_xend(r, op, json_pack("{s:s, s:O}", "dom", r->dom, key, v));
}

static void
api_memory(struct req *r, json_t *body)
{
	int_op(r, body, "memory", "domain.mem_set");
}

static void
api_maxmem(struct req *r, json_t *body)
{
	int_op(r, body, "maxmem", "domain.mem_max");
}

static void
api_vcpus(struct req *r, json_t *body)
{
	int_op(r, body, "vcpus", "domain.vcpu_set");
}

/* The body as the op's arguments, with the domain (xend checks them). */
static void
body_op(struct req *r, json_t *body, const char *op)
{
	json_t	*args = json_deep_copy(body);

	json_object_set_new(args, "dom", json_string(r->dom));
	req_xend(r, op, args);
}

static void
api_pin(struct req *r, json_t *body)
{
	body_op(r, body, "domain.vcpu_pin");
}

static void
api_credit(struct req *r, json_t *body)
{
	body_op(r, body, "domain.sched_credit");
}

static void
api_sedf(struct req *r, json_t *body)
{
	body_op(r, body, "domain.sched_sedf");
}

static void
api_ticket(struct req *r, json_t *body)
{
	char		 t[SV_TOKEN_LEN + 1], *url;
	int		 domid = link_domid(r->dom), vnc;
	const char	*kind = json_string_value(json_object_get(body, "kind"));

	vnc = kind != NULL && strcmp(kind, "vnc") == 0;
	if (kind != NULL && !vnc && strcmp(kind, "serial") != 0) {
		req_error(r, MHD_HTTP_BAD_REQUEST, "invalid",
		    "kind: serial or vnc, not '%s'", kind);
		return;
	}
	if (domid <= 0 || (vnc && link_vnc_port(domid) < 0)) {
		req_error(r, MHD_HTTP_NOT_FOUND, "not_found",
		    "no domain '%s' with a %s console", r->dom, vnc ?
		    "graphical" : "serial");
		return;
	}
	ticket_new(r->sess.id, domid, vnc ? WS_VNC : WS_CONSOLE, time_mono(),
	    t);
	url = xsprintf("/ws/%s/%d?ticket=%s", vnc ? "vnc" : "console", domid,
	    t);
	req_reply(r, MHD_HTTP_OK, json_pack("{s:s, s:s, s:i, s:i}", "ticket",
	    t, "url", url, "domid", domid, "ttl", (int)TICKET_TTL));
	free(url);
}

static void
api_clients(struct req *r, json_t *body)
{
	int	 domid = link_domid(r->dom);

	if (domid <= 0) {
		req_error(r, MHD_HTTP_NOT_FOUND, "not_found",
		    "no domain '%s' with a console", r->dom);
		return;
	}
	req_consoles(r, domid);
}

static json_t *
dirs_array(const char *spaced)
{
	json_t	*a = json_array();
	char	*copy = xstrdup(spaced), *w, *save = NULL;

	for (w = strtok_r(copy, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save))
		json_array_append_new(a, json_string(w));
	free(copy);
	return (a);
}

/* The config a create or check names: {text} (the manual's file) or {config}. */
static json_t *
body_config(struct req *r, json_t *body, json_t **warnings)
{
	const char	*text = json_string_value(json_object_get(body, "text"));
	json_t		*vars, *meta, *config = json_object_get(body, "config");
	char		*cause;
	int		 rc;

	if (text != NULL) {
		if (pycfg_eval(text, strlen(text), "web", NULL, 0, &vars,
		    &meta, &cause) != 0) {
			req_error(r, MHD_HTTP_BAD_REQUEST, "invalid", "%s",
			    cause);
			free(cause);
			return (NULL);
		}
		rc = domcfg_build(vars, meta, "web", NULL, &config, warnings,
		    &cause);
		json_decref(vars);
		json_decref(meta);
		if (rc != 0) {
			req_error(r, MHD_HTTP_BAD_REQUEST, "invalid", "%s",
			    cause);
			free(cause);
			return (NULL);
		}
	} else if (json_is_object(config))
		config = json_deep_copy(config);
	else {
		req_error(r, MHD_HTTP_BAD_REQUEST, "invalid",
		    "expected {\"text\": CONFIG FILE} or {\"config\": {...}}");
		return (NULL);
	}
	if (domcfg_validate(config, &cause) != 0) {
		req_error(r, MHD_HTTP_BAD_REQUEST, "invalid", "%s", cause);
		free(cause);
		json_decref(config);
		return (NULL);
	}
	return (config);
}

/*
 * What a web user may touch (docs/WEB.md): files under xensv-image-dirs,
 * vif scripts under xensv-script-dirs, save files under xensv-save-dirs;
 * xend enforces it.
 */
static json_t *
create_policy(void)
{
	return (json_pack("{s:o, s:o, s:o}", "image_dirs",
	    dirs_array(sv_cfg.xensv_image_dirs), "script_dirs",
	    dirs_array(sv_cfg.xensv_script_dirs), "save_dirs",
	    dirs_array(sv_cfg.xensv_save_dirs)));
}

static void
api_check(struct req *r, json_t *body)
{
	json_t		*config, *warnings = NULL, *host = NULL;
	struct sxp	*s;
	char		*text, *htext;
	size_t		 len;
	json_int_t	 need, free_mb = -1;

	r->audit = 0;		/* a dry run changes nothing */
	if ((config = body_config(r, body, &warnings)) == NULL)
		return;
	s = domcfg_to_sxp(config);
	text = sxp_print(s, 1);
	sxp_free(s);
	if ((htext = link_host_text(&len)) != NULL) {
		host = json_loads(htext, 0, NULL);
		free(htext);
	}
	if (host != NULL)
		free_mb = json_integer_value(json_object_get(host,
		    "free_memory"));
	json_decref(host);
	need = json_integer_value(json_object_get(config, "memory"));
	req_reply(r, MHD_HTTP_OK, json_pack("{s:o, s:s, s:o, s:{s:I, s:I, "
	    "s:b}, s:o}", "config", config, "sxp", text, "warnings",
	    warnings != NULL ? warnings : json_array(), "memory", "need", need,
	    "free", free_mb, "fits", free_mb < 0 || need <= free_mb,
	    "policy", create_policy()));
	free(text);
}

static void
create_done(struct req *r, json_t *d)
{
	req_reply(r, MHD_HTTP_CREATED, json_incref(d));
}

static void
api_create(struct req *r, json_t *body)
{
	json_t	*config, *warnings = NULL;
	json_t	*paused = json_object_get(body, "paused");

	if ((config = body_config(r, body, &warnings)) == NULL)
		return;
	json_decref(warnings);
	r->done = create_done;
	req_xend(r, "domain.create", json_pack("{s:o, s:b, s:o}", "config",
	    config, "paused", json_is_true(paused), "policy",
	    create_policy()));
}

/* The audit line names what else was asked for: "... key=value". */
static void
audit_add(struct req *r, const char *key, const char *value)
{
	char	*old = r->what;

	r->what = xsprintf("%s %s=%s", old, key, value);
	free(old);
}

/* Regular files of one save directory (not a save's temporary file). */
static void
saves_of(const char *dir, json_t *files)
{
	DIR		*dp;
	struct dirent	*de;
	struct stat	 st;
	char		*path;
	int		 fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	if ((dp = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' || strstr(de->d_name, ".tmp.") != NULL)
			continue;
		if (fstatat(dirfd(dp), de->d_name, &st, AT_SYMLINK_NOFOLLOW) !=
		    0 || !S_ISREG(st.st_mode))
			continue;
		path = xsprintf("%s/%s", dir, de->d_name);
		json_array_append_new(files, json_pack("{s:s, s:s, s:I, s:I}",
		    "file", path, "dir", dir, "size", (json_int_t)st.st_size,
		    "mtime", (json_int_t)st.st_mtime));
		free(path);
	}
	closedir(dp);
}

static void
api_saves(struct req *r, json_t *body)
{
	json_t	*dirs = dirs_array(sv_cfg.xensv_save_dirs), *v;
	json_t	*files = json_array();
	size_t	 i;

	json_array_foreach(dirs, i, v)
		saves_of(json_string_value(v), files);
	req_reply(r, MHD_HTTP_OK, json_pack("{s:o, s:o}", "dirs", dirs,
	    "files", files));
}

/*
 * The file a save or restore names: a bare name goes in the first save
 * directory; a path is passed as it is and xend checks it against
 * save_dirs.  NULL (and the reply sent) when there is none.
 */
static char *
save_file(struct req *r, json_t *body)
{
	const char	*file = json_string_value(json_object_get(body, "file"));
	json_t		*dirs;
	char		*path;

	if (file == NULL || *file == '\0' || strlen(file) > 4096) {
		req_error(r, MHD_HTTP_BAD_REQUEST, "invalid",
		    "expected {\"file\": NAME or PATH}");
		return (NULL);
	}
	if (file[0] == '/')
		path = xstrdup(file);
	else if (strchr(file, '/') != NULL || file[0] == '.') {
		req_error(r, MHD_HTTP_BAD_REQUEST, "invalid",
		    "file %s: a plain name or an absolute path", file);
		return (NULL);
	} else {
		dirs = dirs_array(sv_cfg.xensv_save_dirs);
		if (json_array_size(dirs) == 0) {
			json_decref(dirs);
			req_error(r, MHD_HTTP_FORBIDDEN, "denied",
			    "no xensv-save-dirs: saving is off");
			return (NULL);
		}
		path = xsprintf("%s/%s", json_string_value(json_array_get(dirs,
		    0)), file);
		json_decref(dirs);
	}
	/* The audit line names the file too. */
	audit_add(r, "file", path);
	return (path);
}

/* domain.save of dom (with checkpoint) or domain.restore (with paused). */
static void
file_op(struct req *r, json_t *body, const char *op, const char *flag,
    const char *dom)
{
	char	*file;
	json_t	*args;

	if ((file = save_file(r, body)) == NULL)
		return;
	args = json_pack("{s:s, s:b, s:o}", "file", file, flag,
	    json_is_true(json_object_get(body, flag)), "policy",
	    create_policy());
	free(file);
	if (dom != NULL)
		json_object_set_new(args, "dom", json_string(dom));
	req_xend(r, op, args);
}

static void
api_save(struct req *r, json_t *body)
{
	file_op(r, body, "domain.save", "checkpoint", r->dom);
}

static void
api_restore(struct req *r, json_t *body)
{
	r->done = create_done;
	file_op(r, body, "domain.restore", "paused", NULL);
}

static void
api_migrate(struct req *r, json_t *body)
{
	const char	*host = json_string_value(json_object_get(body, "host"));
	json_t		*args, *v;
	const char	*ints[] = { "port", "bandwidth" };
	size_t		 i;

	if (host == NULL || *host == '\0') {
		req_error(r, MHD_HTTP_BAD_REQUEST, "invalid",
		    "expected {\"host\": NAME or ADDRESS, \"port\", \"live\", "
		    "\"bandwidth\"}");
		return;
	}
	args = json_pack("{s:s, s:s, s:b}", "dom", r->dom, "host", host,
	    "live", json_is_true(json_object_get(body, "live")));
	for (i = 0; i < nitems(ints); i++) {
		v = json_object_get(body, ints[i]);
		if (v == NULL || json_is_null(v))
			continue;
		if (!json_is_integer(v)) {
			json_decref(args);
			req_error(r, MHD_HTTP_BAD_REQUEST, "invalid",
			    "%s: expected an integer", ints[i]);
			return;
		}
		json_object_set(args, ints[i], v);
	}
	audit_add(r, "host", host);
	req_xend(r, "domain.migrate", args);
}
