/*
 * api.c: the xend API, dispatched by op name through one table.  Flags
 * carry shared preconditions (a "dom" argument that must name a domain) so
 * handlers do not repeat them.  Payloads are type-checked before use.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "domcfg.h"
#include "rpc.h"
#include "xend.h"

#define API_DOM		0x1	/* args.dom names an existing domain */
#define API_DOM0	0x2	/* ... and Domain-0 is acceptable */

/* An op: rpc's part (name, help, argument specs) first, for rpc_op_find. */
struct api_op {
	struct rpc_op	 rpc;
	int		 flags;
	void		(*fn)(struct api_req *, struct domain *);
};

/*
 * A long operation of the model ended (dom_done_cb): answer its request.
 * The request outlives its client (server.c holds the client by reference
 * and drops a reply to one that went away), so this is safe whenever the
 * model calls it.
 */
static void
api_done(struct domain *d, const char *code, const char *msg, void *arg)
{
	struct api_req	*req = arg;

	if (code != NULL)
		server_error(req, code, "%s", msg);
	else
		server_reply(req, apijson_domain(d, 1));
}

void
api_event(const char *type, struct domain *d, void *arg)
{
	server_event(type, apijson_event(type, d));
}

static void
api_host_info(struct api_req *req, struct domain *d)
{
	server_reply(req, apijson_host());
}

static void
api_host_dmesg(struct api_req *req, struct domain *d)
{
	server_reply(req, json_pack("{s:o}", "lines", dmesg_lines()));
}

/* host.log answers with at most this much of the log's end. */
#define API_LOG_MAX	(4 * 1024 * 1024)

static void
api_host_log(struct api_req *req, struct domain *d)
{
	json_t		*nj = json_object_get(req->args, "lines"), *lines;
	json_int_t	 want = 100;
	char		*cause;
	int		 cut;

	if (nj != NULL) {
		if (!json_is_integer(nj) || json_integer_value(nj) < 1) {
			server_error(req, "invalid", "lines: expected a "
			    "positive integer");
			return;
		}
		want = json_integer_value(nj);
	}
	if (host_log_tail(xend_cfg.logfile, want > LONG_MAX ? LONG_MAX : want,
	    API_LOG_MAX, &lines, &cut, &cause) != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
		return;
	}
	server_reply(req, json_pack("{s:s, s:o, s:b}", "path",
	    xend_cfg.logfile, "lines", lines, "truncated", cut));
}

/*
 * domain.list [doms] [config]: every domain (Domain-0 first) or those
 * named; config false leaves out each domain's config object, most of
 * the reply, for callers that show only the figures (xm list).
 */
static void
api_domain_list(struct api_req *req, struct domain *unused)
{
	json_t		*doms = json_object_get(req->args, "doms"), *out, *v;
	json_t		*cfg = json_object_get(req->args, "config");
	struct domain	*d;
	size_t		 i;
	char		 buf[32];
	const char	*key;
	int		 with_config;

	if (cfg != NULL && !json_is_boolean(cfg)) {
		server_error(req, "invalid", "config: expected true or false");
		return;
	}
	with_config = cfg == NULL || json_is_true(cfg);
	out = json_array();
	if (doms == NULL || json_array_size(doms) == 0) {
		if (doms != NULL && !json_is_array(doms))
			goto bad;
		json_array_append_new(out, apijson_domain0());
		TAILQ_FOREACH(d, &domains, entry)
			json_array_append_new(out, apijson_domain(d,
			    with_config));
		server_reply(req, out);
		return;
	}
	if (!json_is_array(doms))
		goto bad;
	json_array_foreach(doms, i, v) {
		if (json_is_integer(v)) {
			snprintf(buf, sizeof buf, "%lld",
			    (long long)json_integer_value(v));
			key = buf;
		} else if (json_is_string(v))
			key = json_string_value(v);
		else
			goto bad;
		if (strcmp(key, "0") == 0 || strcmp(key, "Domain-0") == 0) {
			json_array_append_new(out, apijson_domain0());
			continue;
		}
		if ((d = domain_find(key)) == NULL) {
			json_decref(out);
			server_error(req, "not_found", "domain '%s' does not "
			    "exist", key);
			return;
		}
		json_array_append_new(out, apijson_domain(d,
		    with_config));
	}
	server_reply(req, out);
	return;
bad:
	json_decref(out);
	server_error(req, "invalid", "doms: expected an array of names or ids");
}

static void
api_domain_get(struct api_req *req, struct domain *d)
{
	server_reply(req, d != NULL ? apijson_domain(d, 1) :
	    apijson_domain0());
}

/*
 * Whether path resolves (no "..", no symlink escapes) inside one of dirs,
 * an array of directory names; 0/-1 with *cause naming what.  With
 * is_new, a path that is not there yet (a save's file) resolves by its
 * directory.
 */
static int
policy_path_ok(const char *what, const char *path, int is_new, json_t *dirs,
    const char *key, char **cause)
{
	char		*real, *rdir, *dir;
	const char	*base = strrchr(path, '/');
	json_t		*v;
	size_t		 i, n;
	int		 ok = 0;

	if ((real = realpath(path, NULL)) == NULL && is_new && errno == ENOENT &&
	    base != NULL && base != path && strcmp(base, "/..") != 0 &&
	    strcmp(base, "/.") != 0) {
		dir = xstrndup(path, base - path);
		if ((rdir = realpath(dir, NULL)) != NULL)
			real = xsprintf("%s%s", rdir, base);
		free(rdir);
		free(dir);
	}
	if (real == NULL) {
		*cause = xsprintf("%s %s: %s", what, path, strerror(errno));
		return (-1);
	}
	json_array_foreach(dirs, i, v) {
		if ((rdir = realpath(json_string_value(v), NULL)) == NULL)
			continue;
		n = strlen(rdir);
		if (strncmp(real, rdir, n) == 0 &&
		    (real[n] == '/' || (n == 1 && rdir[0] == '/')))
			ok = 1;
		free(rdir);
		if (ok)
			break;
	}
	if (!ok)
		*cause = xsprintf("%s %s is outside the directories this "
		    "request may use (%s)", what, real, key);
	free(real);
	return (ok ? 0 : -1);
}

static int
policy_dirs(json_t *policy, const char *key, json_t **out, char **cause)
{
	json_t	*v;
	size_t	 i;

	*out = json_object_get(policy, key);
	if (*out == NULL)
		return (0);
	if (!json_is_array(*out))
		goto bad;
	json_array_foreach(*out, i, v) {
		if (!json_is_string(v) || json_string_value(v)[0] != '/')
			goto bad;
	}
	return (0);
bad:
	*cause = xsprintf("policy: %s: expected an array of absolute "
	    "directory names", key);
	return (-1);
}

static int
api_policy_valid(json_t *policy, char **cause)
{
	json_t	*dirs;

	if (!json_is_object(policy)) {
		*cause = xstrdup("policy: expected an object");
		return (-1);
	}
	if (policy_dirs(policy, "image_dirs", &dirs, cause) != 0 ||
	    policy_dirs(policy, "script_dirs", &dirs, cause) != 0 ||
	    policy_dirs(policy, "save_dirs", &dirs, cause) != 0)
		return (-1);
	return (0);
}

/*
 * A save or restore file against the policy's save_dirs: it must resolve
 * inside one of them (a save's by its directory, the file not being there
 * yet).  No policy or no save_dirs allows anything.
 */
static int
api_policy_file(struct api_req *req, const char *file, int is_new,
    char **cause)
{
	json_t	*policy = json_object_get(req->args, "policy");
	json_t	*dirs;

	if (policy == NULL)
		return (0);
	if (api_policy_valid(policy, cause) != 0)
		return (-1);
	if ((dirs = json_object_get(policy, "save_dirs")) == NULL)
		return (0);
	return (policy_path_ok("file", file, is_new, dirs, "save_dirs", cause));
}

/*
 * The policy hook (docs/SECURITY.md).  A domain config may name any host
 * file as a kernel or disk and any program as a vif script: right for
 * root's own configs.  A caller acting for less trusted users (xensv for
 * its web users) passes policy {image_dirs: [...], script_dirs: [...]}:
 * then every kernel, ramdisk and disk must resolve inside image_dirs and
 * every vif's own script inside script_dirs (xend-config's vif-script is
 * root's and always allowed).  An absent key allows anything; an empty
 * array allows nothing.
 */
int
api_policy_check(json_t *policy, const struct domcfg *config, char **cause)
{
	json_t		*images, *scripts;
	const char	*s, *keys[] = { "kernel", "ramdisk" };
	size_t		 images_keys = nitems(keys);
	char		*what;
	size_t		 i;
	int		 rc;

	if (api_policy_valid(policy, cause) != 0 ||
	    policy_dirs(policy, "image_dirs", &images, cause) != 0 ||
	    policy_dirs(policy, "script_dirs", &scripts, cause) != 0)
		return (-1);
	/*
	 * An HVM domain's "kernel" names the firmware loader (not read: QEMU
	 * runs SeaBIOS); its CD-ROM image (or device) is read.
	 */
	if (hvm_is(config)) {
		if (images != NULL && config->cdrom != NULL &&
		    policy_path_ok("cdrom", config->cdrom, 0, images,
		    "image_dirs", cause) != 0)
			return (-1);
		images_keys = 0;
	}
	for (i = 0; images != NULL && i < images_keys; i++) {
		s = domcfg_string(config, keys[i]);
		if (s != NULL && policy_path_ok(keys[i], s, 0, images,
		    "image_dirs", cause) != 0)
			return (-1);
	}
	for (i = 0; i < config->ndisks; i++) {
		s = config->disks[i].uname;
		if (images == NULL || s == NULL)
			continue;
		if (strncmp(s, "file:", 5) == 0 || strncmp(s, "phy:", 4) == 0 ||
		    strncmp(s, "qcow2:", 6) == 0)
			s = strchr(s, ':') + 1;
		xasprintf(&what, "disk %zu", i);
		rc = policy_path_ok(what, s, 0, images, "image_dirs", cause);
		/* A qcow2 image's backing file is read too. */
		if (rc == 0 && (s = storage_backing(&config->disks[i])) !=
		    NULL) {
			free(what);
			xasprintf(&what, "disk %zu's backing file", i);
			rc = policy_path_ok(what, s, 0, images, "image_dirs",
			    cause);
			free((char *)s);
		}
		free(what);
		if (rc != 0)
			return (-1);
	}
	for (i = 0; i < config->nvifs; i++) {
		s = config->vifs[i].script;
		if (scripts == NULL || s == NULL)
			continue;
		xasprintf(&what, "vif %zu script", i);
		rc = policy_path_ok(what, s, 0, scripts, "script_dirs", cause);
		free(what);
		if (rc != 0)
			return (-1);
	}
	return (0);
}

static void
api_domain_create(struct api_req *req, struct domain *unused)
{
	json_t	*config = json_object_get(req->args, "config");
	json_t	*paused = json_object_get(req->args, "paused");
	json_t	*policy = json_object_get(req->args, "policy");
	struct domcfg	*dc;
	char	*cause;

	if (!json_is_object(config)) {
		server_error(req, "invalid", "config: expected an object");
		return;
	}
	if (paused != NULL && !json_is_boolean(paused)) {
		server_error(req, "invalid", "paused: expected true or false");
		return;
	}
	if ((dc = domcfg_from_json(config, &cause)) == NULL) {
		server_error(req, "invalid", "%s", cause);
		free(cause);
		return;
	}
	if (policy != NULL && api_policy_valid(policy, &cause) != 0) {
		server_error(req, "invalid", "%s", cause);
		free(cause);
		domcfg_free(dc);
		return;
	}
	if (policy != NULL && api_policy_check(policy, dc, &cause) != 0) {
		server_error(req, "denied", "%s", cause);
		free(cause);
		domcfg_free(dc);
		return;
	}
	/* The reply is sent by domain.c once QEMU is up (or failed). */
	if (domain_create(dc, json_is_true(paused), api_done, req,
	    &cause) != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
	}
}

static void
api_domain_destroy(struct api_req *req, struct domain *d)
{
	char	*cause;

	if (domain_destroy(d, &cause) != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
		return;
	}
	server_reply(req, NULL);
}

static void
api_domain_shutdown(struct api_req *req, struct domain *d)
{
	static const struct {
		const char		*name;
		enum dom_shutdown_mode	 mode;
	} modes[] = {
		{ "poweroff", SHUTDOWN_POWEROFF },
		{ "reboot", SHUTDOWN_REBOOT },
		{ "halt", SHUTDOWN_HALT },
	};
	json_t		*mj = json_object_get(req->args, "mode");
	const char	*m = "poweroff";
	size_t		 i;
	char		*cause;

	if (mj != NULL) {
		if (!json_is_string(mj))
			goto bad;
		m = json_string_value(mj);
	}
	for (i = 0; i < nitems(modes); i++) {
		if (strcmp(modes[i].name, m) == 0)
			break;
	}
	if (i == nitems(modes))
		goto bad;
	if (domain_shutdown(d, modes[i].mode, &cause) != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
		return;
	}
	server_reply(req, NULL);
	return;
bad:
	server_error(req, "invalid", "mode: expected poweroff, reboot or halt");
}

static void
api_domain_pause_common(struct api_req *req, struct domain *d, int pause)
{
	char	*cause;

	if (domain_pause(d, pause, api_done, req, &cause) != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
	}
}

static void
api_domain_pause(struct api_req *req, struct domain *d)
{
	api_domain_pause_common(req, d, 1);
}

static void
api_domain_unpause(struct api_req *req, struct domain *d)
{
	api_domain_pause_common(req, d, 0);
}

static void
api_domain_rename(struct api_req *req, struct domain *d)
{
	json_t	*nj = json_object_get(req->args, "name");
	char	*cause;

	if (!json_is_string(nj)) {
		server_error(req, "invalid", "name: expected a string");
		return;
	}
	if (domain_rename(d, json_string_value(nj), &cause) != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
		return;
	}
	server_reply(req, apijson_domain(d, 1));
}

/* An integer argument in [lo, hi]; 1 if present, 0 if absent, -1 bad. */
static int
arg_int(struct api_req *req, const char *key, long lo, long hi, long *out)
{
	json_t	*v = json_object_get(req->args, key);

	if (v == NULL)
		return (0);
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		server_error(req, "invalid", "%s: expected an integer from %ld "
		    "to %ld", key, lo, hi);
		return (-1);
	}
	*out = json_integer_value(v);
	return (1);
}

static void
api_reply_or_error(struct api_req *req, struct domain *d, int rc,
    char *cause)
{
	if (rc != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
		return;
	}
	domain_save(d);
	server_reply(req, apijson_domain(d, 1));
}

static void
api_domain_mem_set(struct api_req *req, struct domain *d)
{
	long	 mb;
	char	*cause = NULL;
	int	 rc;

	if ((rc = arg_int(req, "memory", 0, 1L << 30, &mb)) <= 0) {
		if (rc == 0)
			server_error(req, "invalid", "memory: required (MB)");
		return;
	}
	rc = control_mem_set(d, mb, &cause);
	api_reply_or_error(req, d, rc, cause);
}

static void
api_domain_mem_max(struct api_req *req, struct domain *d)
{
	long	 mb;
	char	*cause = NULL;
	int	 rc;

	if ((rc = arg_int(req, "maxmem", 0, 1L << 30, &mb)) <= 0) {
		if (rc == 0)
			server_error(req, "invalid", "maxmem: required (MB)");
		return;
	}
	rc = control_mem_max(d, mb, &cause);
	api_reply_or_error(req, d, rc, cause);
}

static void
api_domain_vcpu_set(struct api_req *req, struct domain *d)
{
	long	 n;
	char	*cause;
	int	 rc;

	if ((rc = arg_int(req, "vcpus", 1, DOM_MAX_VCPUS, &n)) <= 0) {
		if (rc == 0)
			server_error(req, "invalid", "vcpus: required");
		return;
	}
	/* Answered when the guest agent confirms (control.c). */
	if (control_vcpu_set(d, n, api_done, req, &cause) != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
	}
}

static void
api_domain_vcpu_list(struct api_req *req, struct domain *d)
{
	server_reply(req, control_vcpu_list(d));
}

static void
api_domain_vcpu_pin(struct api_req *req, struct domain *d)
{
	json_t		*vj = json_object_get(req->args, "vcpu");
	json_t		*cj = json_object_get(req->args, "cpus");
	int		 vcpu;
	char		*cause;

	if (json_is_string(vj) && strcmp(json_string_value(vj), "all") == 0)
		vcpu = -1;
	else if (json_is_integer(vj))
		vcpu = json_integer_value(vj);
	else {
		server_error(req, "invalid", "vcpu: expected a number or \"all\"");
		return;
	}
	if (!json_is_string(cj)) {
		server_error(req, "invalid", "cpus: expected a CPU list such as "
		    "\"0-1,^1\" or \"all\"");
		return;
	}
	if (control_vcpu_pin(d, vcpu, json_string_value(cj), &cause) != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
		return;
	}
	domain_save(d);
	server_reply(req, control_vcpu_list(d));
}

static json_t *
sched_reply(struct domain *d, const char *which)
{
	json_t	*all = sched_to_json(d), *out;

	out = json_deep_copy(json_object_get(all, which));
	json_object_set_new(out, "cgroup_files", sched_read_back(d));
	json_decref(all);
	return (out);
}

static void
api_domain_sched_credit(struct api_req *req, struct domain *d)
{
	long	 weight = 0, cap = -1;
	int	 rw, rc;
	char	*cause;

	if ((rw = arg_int(req, "weight", 1, 65535, &weight)) < 0 ||
	    (rc = arg_int(req, "cap", 0, 100L * 4096, &cap)) < 0)
		return;
	if ((rw || rc) && sched_set_credit(d, weight, cap, &cause) != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
		return;
	}
	if (rw || rc)
		domain_save(d);
	server_reply(req, sched_reply(d, "credit"));
}

static void
api_domain_sched_sedf(struct api_req *req, struct domain *d)
{
	long	 period = 0, slice = 0;
	int	 rp, rs;
	char	*cause;

	if ((rp = arg_int(req, "period", 1, 1000, &period)) < 0 ||
	    (rs = arg_int(req, "slice", 1, 1000, &slice)) < 0)
		return;
	if (rp != rs) {
		server_error(req, "invalid", "period and slice go together");
		return;
	}
	if (rp && slice > period) {
		server_error(req, "invalid", "slice %ld ms is longer than the "
		    "period %ld ms", slice, period);
		return;
	}
	if (rp && sched_set_sedf(d, period, slice, &cause) != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
		return;
	}
	if (rp)
		domain_save(d);
	server_reply(req, sched_reply(d, "sedf"));
}

/* A save, restore or migration ended (job_done_cb): answer its request. */
static void
api_job_done(const char *code, const char *msg, const struct job_result *r,
    void *arg)
{
	struct api_req	*req = arg;
	json_t		*o;

	if (code != NULL) {
		server_error(req, code, "%s", msg);
		return;
	}
	if (r->d != NULL) {
		server_reply(req, apijson_domain(r->d, 1));
		return;
	}
	o = json_pack("{s:s, s:s, s:I, s:f}", "name", r->name, "file", r->file,
	    "bytes", (json_int_t)r->bytes, "seconds", r->seconds);
	if (r->host != NULL) {
		json_object_set_new(o, "host", json_string(r->host));
		json_object_set_new(o, "port", json_integer(r->port));
		json_object_set_new(o, "domid", json_integer(r->domid));
		json_object_set_new(o, "console_port",
		    json_integer(r->console_port));
		json_object_set_new(o, "qemu", json_pack("{s:i, s:i}",
		    "downtime", r->downtime_ms, "total-time", r->total_ms));
	} else
		json_object_set_new(o, "checkpoint",
		    json_boolean(r->checkpoint));
	if (r->warning != NULL)
		json_object_set_new(o, "warning", json_string(r->warning));
	server_reply(req, o);
}

/* Answered by api_job_done when the file is whole (or the save failed). */
static void
api_domain_save(struct api_req *req, struct domain *d)
{
	const char	*file = json_string_value(json_object_get(req->args,
			    "file"));
	char		*cause;

	if (api_policy_file(req, file, 1, &cause) != 0) {
		server_error(req, "denied", "%s", cause);
		free(cause);
		return;
	}
	if (save_start(d, file, json_is_true(json_object_get(req->args, "checkpoint")),
	    api_job_done, req, &cause) != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
	}
}

/* The file's config against the request's policy, as for a create. */
static int
api_restore_check(const struct domcfg *dc, void *arg, char **cause)
{
	struct api_req	*req = arg;
	json_t		*policy = json_object_get(req->args, "policy");

	return (policy != NULL ? api_policy_check(policy, dc, cause) : 0);
}

/* Answered by api_job_done once the restored domain runs (or failed). */
static void
api_domain_restore(struct api_req *req, struct domain *unused)
{
	json_t	*policy = json_object_get(req->args, "policy");
	char	*cause;

	if (policy != NULL && api_policy_valid(policy, &cause) != 0) {
		server_error(req, "invalid", "%s", cause);
		free(cause);
		return;
	}
	if (api_policy_file(req, json_string_value(json_object_get(req->args,
	    "file")), 0, &cause) != 0) {
		server_error(req, "denied", "%s", cause);
		free(cause);
		return;
	}
	if (save_restore(json_string_value(json_object_get(req->args, "file")),
	    json_is_true(json_object_get(req->args, "paused")),
	    api_restore_check, api_job_done, req, &cause) != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
	}
}

/* Answered by api_job_done once it runs there (or here again). */
static void
api_domain_migrate(struct api_req *req, struct domain *d)
{
	json_t	*port = json_object_get(req->args, "port");
	json_t	*mbit = json_object_get(req->args, "bandwidth");
	char	*cause;

	if (migrate_start(d, json_string_value(json_object_get(req->args,
	    "host")), port != NULL ? (int)json_integer_value(port) :
	    xend_cfg.relocation_port, json_is_true(json_object_get(req->args,
	    "live")), json_is_true(json_object_get(req->args,
	    "copy_storage")), mbit != NULL ? (long)json_integer_value(mbit) : 0,
	    api_job_done, req, &cause) != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
	}
}

/* xm network-attach, network-detach: the domain, once done. */
static void
api_domain_network_attach(struct api_req *req, struct domain *d)
{
	const char	*code;
	char		*cause;

	if ((code = vif_hot_attach(d, req->args, api_done, req, &cause)) !=
	    NULL) {
		server_error(req, code, "%s", cause);
		free(cause);
	}
}

static void
api_domain_network_detach(struct api_req *req, struct domain *d)
{
	const char	*code;
	char		*cause;

	if ((code = vif_hot_detach(d, (int)json_integer_value(json_object_get(
	    req->args, "devid")), api_done, req, &cause)) != NULL) {
		server_error(req, code, "%s", cause);
		free(cause);
	}
}

/* The vnet ops answer when vnet-vxlan has run. */
static void
api_vnet_done(const char *code, const char *msg, json_t *result, void *arg)
{
	struct api_req	*req = arg;

	if (code != NULL)
		server_error(req, code, "%s", msg);
	else
		server_reply(req, result != NULL ? json_incref(result) : NULL);
}

static void
api_vnet_create(struct api_req *req, struct domain *unused)
{
	const char	*code;
	char		*cause;

	if ((code = vnet_create(json_object_get(req->args, "vnet"),
	    api_vnet_done, req, &cause)) != NULL) {
		server_error(req, code, "%s", cause);
		free(cause);
	}
}

static void
api_vnet_list(struct api_req *req, struct domain *unused)
{
	server_reply(req, vnet_list());
}

static void
api_vnet_delete(struct api_req *req, struct domain *unused)
{
	const char	*code;
	char		*cause;

	if ((code = vnet_delete(json_integer_value(json_object_get(req->args,
	    "id")), api_vnet_done, req, &cause)) != NULL) {
		server_error(req, code, "%s", cause);
		free(cause);
	}
}

static void
api_events_subscribe(struct api_req *req, struct domain *d)
{
	server_subscribe(req);
	server_reply(req, NULL);
}

static void api_ops_list(struct api_req *, struct domain *);

/* config.schema: every config key's type, range, default and help. */
static void
api_config_schema(struct api_req *req, struct domain *d)
{
	server_reply(req, domcfg_schema_json());
}

/*
 * Block hot-plug (blockdev.c):
 *   domain.block_attach {dom, uname, dev, mode, policy} -> {note}
 *   domain.block_detach {dom, dev, force}               -> {note}
 *   domain.block_list {dom} -> [{uname, dev, mode, path, format, type,
 *                                backing}]
 */
static void
api_block_done(struct domain *d, const char *code, const char *msg,
    void *arg)
{
	struct api_req	*req = arg;

	if (code != NULL)
		server_error(req, code, "%s", msg);
	else
		server_reply(req, json_pack("{s:s?}", "note", msg));
}

static void
api_domain_block_attach(struct api_req *req, struct domain *d)
{
	json_t		*disk, *policy = json_object_get(req->args, "policy");
	struct sdisk	 sd;
	struct domcfg	 one;
	struct domcfg_disk dd;
	char		*cause;
	int		 rc;

	if ((disk = domcfg_disk(json_string_value(json_object_get(req->args,
	    "uname")), json_string_value(json_object_get(req->args, "dev")),
	    json_string_value(json_object_get(req->args, "mode")), NULL,
	    &cause)) == NULL) {
		server_error(req, RPC_E_INVALID, "%s", cause);
		free(cause);
		return;
	}
	sd.uname = json_string_value(json_object_get(disk, "uname"));
	sd.dev = json_string_value(json_object_get(disk, "dev"));
	sd.mode = json_string_value(json_object_get(disk, "mode"));
	if (strchr(sd.uname, ':')[1] != '/') {
		json_decref(disk);
		server_error(req, RPC_E_INVALID, "uname: the path must be "
		    "absolute");
		return;
	}
	/* A service acting for others passes its policy, as with create. */
	if (policy != NULL) {
		memset(&one, 0, sizeof one);
		dd.uname = (char *)sd.uname;
		dd.dev = (char *)sd.dev;
		dd.mode = (char *)sd.mode;
		one.disks = &dd;
		one.ndisks = 1;
		if (api_policy_check(policy, &one, &cause) != 0) {
			json_decref(disk);
			server_error(req, "denied", "%s", cause);
			free(cause);
			return;
		}
	}
	rc = blockdev_attach(d, &sd, api_block_done, req, &cause);
	json_decref(disk);
	if (rc != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
	}
}

static void
api_domain_block_detach(struct api_req *req, struct domain *d)
{
	const char	*dev = json_string_value(json_object_get(req->args,
			    "dev"));
	char		*cause;

	if (strncmp(dev, "/dev/", 5) == 0)
		dev += 5;
	if (blockdev_detach(d, dev, json_is_true(json_object_get(req->args,
	    "force")), api_block_done, req, &cause) != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
	}
}

static void
api_domain_block_list(struct api_req *req, struct domain *d)
{
	server_reply(req, blockdev_list(d));
}

/*
 * Argument specs, checked before the handler runs (after "dom", which
 * API_DOM checks); the messages are the ones docs/API.md shows.
 */
#define BOOL_ARG(n) \
	{ n, RPC_BOOL, 0, 0, 0, NULL, "expected true or false", NULL }
#define MB_ARG(n) \
	{ n, RPC_INT, 1, 0, 1L << 30, NULL, NULL, "required (MB)" }
#define OPT_INT(n, lo, hi) \
	{ n, RPC_INT, 0, lo, hi, NULL, NULL, NULL }

static const struct rpc_arg args_host_log[] = {
	{ "lines", RPC_INT, 0, 1, LLONG_MAX, NULL,
	    "expected a positive integer", NULL },
	RPC_ARGS_END
};
static const struct rpc_arg args_domain_list[] = {
	BOOL_ARG("config"),
	{ "doms", RPC_ARRAY, 0, 0, 0, NULL,
	    "expected an array of names or ids", NULL },
	RPC_ARGS_END
};
static const struct rpc_arg args_domain_create[] = {
	{ "config", RPC_OBJ, 1, 0, 0, NULL, "expected an object", NULL },
	BOOL_ARG("paused"),
	RPC_ARGS_END
};
static const struct rpc_arg args_domain_rename[] = {
	{ "name", RPC_STR, 1, 0, 0, NULL, "expected a string", NULL },
	RPC_ARGS_END
};
static const struct rpc_arg args_domain_mem_set[] = {
	MB_ARG("memory"),
	RPC_ARGS_END
};
static const struct rpc_arg args_domain_mem_max[] = {
	MB_ARG("maxmem"),
	RPC_ARGS_END
};
static const struct rpc_arg args_domain_vcpu_set[] = {
	{ "vcpus", RPC_INT, 1, 1, DOM_MAX_VCPUS, NULL, NULL, "required" },
	RPC_ARGS_END
};
static const char *const words_all[] = { "all", NULL };
static const struct rpc_arg args_domain_vcpu_pin[] = {
	{ "vcpu", RPC_INT_STR, 1, 0, 0, words_all,
	    "expected a number or \"all\"", NULL },
	{ "cpus", RPC_STR, 1, 0, 0, NULL,
	    "expected a CPU list such as \"0-1,^1\" or \"all\"", NULL },
	RPC_ARGS_END
};
static const struct rpc_arg args_domain_sched_credit[] = {
	OPT_INT("weight", 1, 65535),
	OPT_INT("cap", 0, 100L * 4096),
	RPC_ARGS_END
};
static const struct rpc_arg args_domain_sched_sedf[] = {
	OPT_INT("period", 1, 1000),
	OPT_INT("slice", 1, 1000),
	RPC_ARGS_END
};
static const struct rpc_arg args_domain_block_attach[] = {
	{ "uname", RPC_STR, 1, 0, 0, NULL, "expected a string", NULL },
	{ "dev", RPC_STR, 1, 0, 0, NULL, "expected a string", NULL },
	{ "mode", RPC_STR, 1, 0, 0, NULL, "expected a string", NULL },
	{ "policy", RPC_OBJ, 0, 0, 0, NULL, "expected an object", NULL },
	RPC_ARGS_END
};
static const struct rpc_arg args_domain_block_detach[] = {
	{ "dev", RPC_STR, 1, 0, 0, NULL, "expected a string", NULL },
	BOOL_ARG("force"),
	RPC_ARGS_END
};

static const struct rpc_arg args_domain_save[] = {
	{ "file", RPC_STR, 1, 0, 0, NULL, "expected an absolute path",
	    "required (an absolute path)" },
	BOOL_ARG("checkpoint"),
	{ "policy", RPC_OBJ, 0, 0, 0, NULL, "expected an object", NULL },
	RPC_ARGS_END
};
static const struct rpc_arg args_domain_restore[] = {
	{ "file", RPC_STR, 1, 0, 0, NULL, "expected an absolute path",
	    "required (an absolute path)" },
	BOOL_ARG("paused"),
	{ "policy", RPC_OBJ, 0, 0, 0, NULL, "expected an object", NULL },
	RPC_ARGS_END
};
static const struct rpc_arg args_domain_migrate[] = {
	{ "host", RPC_STR, 1, 0, 0, NULL, "expected a name or address",
	    NULL },
	OPT_INT("port", 1, 65535),
	BOOL_ARG("live"),
	BOOL_ARG("copy_storage"),
	OPT_INT("bandwidth", 0, 1000000),
	RPC_ARGS_END
};

#define OPT_STR(n) \
	{ n, RPC_STR, 0, 0, 0, NULL, "expected a string", NULL }
static const struct rpc_arg args_network_attach[] = {
	OPT_STR("mac"), OPT_STR("bridge"), OPT_STR("script"), OPT_STR("ip"),
	OPT_STR("vifname"), OPT_STR("model"), OPT_STR("rate"),
	OPT_STR("antispoof"),
	RPC_ARGS_END
};
static const struct rpc_arg args_network_detach[] = {
	{ "devid", RPC_INT, 1, 0, 1000, NULL, NULL, NULL },
	RPC_ARGS_END
};
static const struct rpc_arg args_vnet_delete[] = {
	{ "id", RPC_INT, 1, 1, 16777215, NULL, NULL, NULL },
	RPC_ARGS_END
};

#define OP(n, h, a, f, fn) { { n, h, a }, f, fn }
static const struct api_op api_ops[] = {
	OP("host.info", "host and hypervisor facts", NULL, 0, api_host_info),
	OP("host.dmesg", "xend's hypervisor messages", NULL, 0,
	    api_host_dmesg),
	OP("host.log", "tail of xend's log {lines}", args_host_log, 0,
	    api_host_log),
	OP("api.ops", "this list", NULL, 0, api_ops_list),
	OP("config.schema", "domain config keys", NULL, 0,
	    api_config_schema),
	OP("domain.list", "domains {doms: [..]}", args_domain_list, 0,
	    api_domain_list),
	OP("domain.get", "one domain {dom}", NULL, API_DOM | API_DOM0,
	    api_domain_get),
	OP("domain.create", "start a domain {config, paused, policy: "
	    "{image_dirs, script_dirs}}", args_domain_create, 0,
	    api_domain_create),
	OP("domain.destroy", "kill {dom}", NULL, API_DOM, api_domain_destroy),
	OP("domain.shutdown", "ask to shut down {dom, mode: "
	    "poweroff|reboot|halt}", NULL, API_DOM, api_domain_shutdown),
	OP("domain.pause", "pause {dom}", NULL, API_DOM, api_domain_pause),
	OP("domain.unpause", "unpause {dom}", NULL, API_DOM,
	    api_domain_unpause),
	OP("domain.rename", "rename {dom, name}", args_domain_rename, API_DOM,
	    api_domain_rename),
	OP("domain.mem_set", "balloon target {dom, memory (MB)}",
	    args_domain_mem_set, API_DOM, api_domain_mem_set),
	OP("domain.mem_max", "memory ceiling {dom, maxmem (MB)}",
	    args_domain_mem_max, API_DOM, api_domain_mem_max),
	OP("domain.vcpu_set", "online vCPUs {dom, vcpus}",
	    args_domain_vcpu_set, API_DOM, api_domain_vcpu_set),
	OP("domain.vcpu_list", "vCPUs {dom}", NULL, API_DOM,
	    api_domain_vcpu_list),
	OP("domain.vcpu_pin", "affinity {dom, vcpu (n|all), cpus}",
	    args_domain_vcpu_pin, API_DOM, api_domain_vcpu_pin),
	OP("domain.sched_credit", "credit scheduler {dom, weight, cap}",
	    args_domain_sched_credit, API_DOM, api_domain_sched_credit),
	OP("domain.sched_sedf", "sedf scheduler {dom, period, slice (ms)}",
	    args_domain_sched_sedf, API_DOM, api_domain_sched_sedf),
	OP("domain.block_attach", "attach a disk {dom, uname, dev, mode, "
	    "policy}", args_domain_block_attach, API_DOM,
	    api_domain_block_attach),
	OP("domain.block_detach", "detach a disk, asking the guest first "
	    "{dom, dev, force}", args_domain_block_detach, API_DOM,
	    api_domain_block_detach),
	OP("domain.block_list", "disks {dom}", NULL, API_DOM,
	    api_domain_block_list),
	OP("domain.save", "save to a file {dom, file (absolute), checkpoint, "
	    "policy: {save_dirs}}",
	    args_domain_save, API_DOM, api_domain_save),
	OP("domain.restore", "restore from a file {file (absolute), paused, "
	    "policy}", args_domain_restore, 0, api_domain_restore),
	OP("domain.migrate", "migrate to another host {dom, host, port, live, "
	    "copy_storage, bandwidth (Mbit/s)}", args_domain_migrate, API_DOM,
	    api_domain_migrate),
	OP("domain.network_attach", "add a network interface {dom, mac, "
	    "bridge, script, ip, vifname, model, rate, antispoof}",
	    args_network_attach,
	    API_DOM,
	    api_domain_network_attach),
	OP("domain.network_detach", "remove a network interface {dom, devid}",
	    args_network_detach, API_DOM, api_domain_network_detach),
	OP("vnet.create", "define a vnet {vnet: {id, bridge, vnetif, "
	    "security, peers | group, dev, local, mtu}}", NULL, 0,
	    api_vnet_create),
	OP("vnet.list", "the vnets xend knows", NULL, 0, api_vnet_list),
	OP("vnet.delete", "delete a vnet {id}", args_vnet_delete, 0,
	    api_vnet_delete),
	OP("events.subscribe", "receive domain events on this connection",
	    NULL, 0, api_events_subscribe),
};

static void
api_ops_list(struct api_req *req, struct domain *d)
{
	server_reply(req, rpc_op_list(api_ops, nitems(api_ops),
	    sizeof api_ops[0]));
}

void
api_dispatch(struct api_req *req)
{
	const struct api_op	*op;
	struct domain		*d = NULL;
	json_t			*dj;
	const char		*key;
	char			 buf[32], *cause;

	if ((op = rpc_op_find(api_ops, nitems(api_ops), sizeof api_ops[0],
	    req->op, &cause)) == NULL) {
		server_error(req, RPC_E_UNKNOWN, "%s", cause);
		free(cause);
		return;
	}
	if (op->flags & API_DOM) {
		dj = json_object_get(req->args, "dom");
		if (json_is_integer(dj)) {
			snprintf(buf, sizeof buf, "%lld",
			    (long long)json_integer_value(dj));
			key = buf;
		} else if (json_is_string(dj))
			key = json_string_value(dj);
		else {
			server_error(req, RPC_E_INVALID,
			    "dom: expected a domain name or id");
			return;
		}
		if (strcmp(key, "0") == 0 || strcmp(key, "Domain-0") == 0) {
			if (!(op->flags & API_DOM0)) {
				server_error(req, RPC_E_INVALID, "%s: not "
				    "permitted on Domain-0", req->op);
				return;
			}
		} else if ((d = domain_find(key)) == NULL) {
			server_error(req, "not_found",
			    "domain '%s' does not exist", key);
			return;
		}
	}
	if (rpc_args_check(op->rpc.args, req->args, &cause) != 0) {
		server_error(req, RPC_E_INVALID, "%s", cause);
		free(cause);
		return;
	}
	log_debug("api %s", req->op);
	op->fn(req, d);
}
