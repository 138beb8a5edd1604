/*
 * fuzz-api.c: xend's API request path (core/xend/server.c, api.c) on
 * arbitrary bytes, through the real socket: the input, plus a final
 * newline, is written to a connection on server.c's listener and the event
 * loop runs until every line is answered.  api.c's op table, its argument
 * checks and its handlers run for real against one fake domain "fz" (id 1),
 * and so do host.c, apijson.c and dmesg.c (host.info, host.dmesg,
 * host.log's tail, the JSON of a domain); what would
 * start QEMU or change the host (domain.c, control.c, sched.c, accel.c)
 * is the fakes below, which take the same arguments and answer at once.  Properties: xend never aborts (an unencodable reply is a
 * fatalx); every non-empty line gets exactly one reply line, a JSON object
 * with "id" and either "result" or "error"; nothing leaks (LeakSanitizer:
 * a request never answered keeps its allocation).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "fuzz-tmp.h"
#include "fuzz-jsonl.h"
#include "cpulist.h"
#include "xend.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct event_base	*xend_base;
struct xendcfg		 xend_cfg;
double			 xend_start_time;
struct domain_list	 domains = TAILQ_HEAD_INITIALIZER(domains);

static struct domain	 fake;

/* The fakes: what api.c and host.c call outside themselves. */

char *
qemu_version(void)
{
	return (xstrdup("QEMU emulator version 7.2 (fuzz)"));
}

const char *
accel_get(void)
{
	return ("tcg");
}

const char *
accel_reason(void)
{
	return ("fuzzing");
}

const char *
sched_layout(void)
{
	return ("none");
}

int
domain_count(void)
{
	return (1);
}

struct domain *
domain_find(const char *key)
{
	if (strcmp(key, fake.name) == 0 || strcmp(key, "1") == 0)
		return (&fake);
	return (NULL);
}

/* What apijson.c reads of a domain, as domain.c and agent.c say it. */
const char *
domain_state_flags(struct domain *d)
{
	return ("r-----");
}

const char *
domain_state_name(enum dom_state state)
{
	static const char *names[] = { "starting", "running", "paused",
	    "shutdown", "crashed", "dying" };

	return (names[state]);
}

const char *
domain_status(struct domain *d)
{
	return (domain_state_name(d->state));
}

int
agent_is_up(struct domain *d)
{
	return (0);
}

/* Real domain_create is done once QEMU is up; this one at once. */
int
domain_create(struct domcfg *config, int paused, dom_done_cb done, void *arg,
    char **cause)
{
	if (strcmp(config->name, fake.name) == 0) {
		*cause = xsprintf("domain '%s' already exists", config->name);
		domcfg_free(config);
		return (-1);
	}
	domcfg_free(config);
	done(&fake, NULL, NULL, arg);
	return (0);
}

/* Jobs (save.c, migrate.c) end at once here, or refuse a relative path. */
static int
fake_job(const char *path, job_done_cb done, void *arg, char **cause)
{
	struct job_result	 r;

	if (path == NULL || *path != '/') {
		*cause = xstrdup("not an absolute path");
		return (-1);
	}
	memset(&r, 0, sizeof r);
	r.name = fake.name;
	r.file = path;
	done(NULL, NULL, &r, arg);
	return (0);
}

int
save_start(struct domain *d, const char *path, int checkpoint,
    job_done_cb done, void *arg, char **cause)
{
	return (fake_job(path, done, arg, cause));
}

int
save_restore(const char *path, int paused, save_check_cb check,
    job_done_cb done, void *arg, char **cause)
{
	return (fake_job(path, done, arg, cause));
}

int
migrate_start(struct domain *d, const char *host, int port, int live,
    int copy_storage, long mbit, job_done_cb done, void *arg, char **cause)
{
	return (fake_job("/", done, arg, cause));
}

int
domain_destroy(struct domain *d, char **cause)
{
	return (0);
}

int
domain_shutdown(struct domain *d, enum dom_shutdown_mode mode, char **cause)
{
	if (mode != SHUTDOWN_POWEROFF && mode != SHUTDOWN_REBOOT &&
	    mode != SHUTDOWN_HALT)
		abort();
	return (0);
}

int
domain_pause(struct domain *d, int pause, dom_done_cb done, void *arg,
    char **cause)
{
	done(d, NULL, NULL, arg);
	return (0);
}

int
domain_rename(struct domain *d, const char *name, char **cause)
{
	if (*name == '\0') {
		*cause = xstrdup("empty name");
		return (-1);
	}
	return (0);
}

int
domain_save(struct domain *d)
{
	return (0);
}

/* Block hot-plug: the fake domain has no QEMU; an attach ends at once. */
int
blockdev_attach(struct domain *d, const struct sdisk *disk, dom_done_cb done,
    void *arg, char **cause)
{
	if (disk->uname == NULL || disk->dev == NULL || disk->mode == NULL)
		abort();
	done(d, NULL, NULL, arg);
	return (0);
}

int
blockdev_detach(struct domain *d, const char *dev, int force, dom_done_cb done,
    void *arg, char **cause)
{
	*cause = xsprintf("domain %s has no disk %s", d->name, dev);
	return (-1);
}

json_t *
blockdev_list(struct domain *d)
{
	return (json_array());
}

/* hvm.c builds no QEMU command line here. */
void
argv_add(struct argv_buf *a, const char *fmt, ...)
{
	abort();
}

int
control_mem_set(struct domain *d, long mb, char **cause)
{
	if (mb < 0)
		abort();
	return (0);
}

int
control_mem_max(struct domain *d, long mb, char **cause)
{
	if (mb < 0)
		abort();
	return (0);
}

int
control_vcpu_set(struct domain *d, int n, dom_done_cb done, void *arg,
    char **cause)
{
	if (n < 1 || n > DOM_MAX_VCPUS)
		abort();
	done(d, "failed", "the fake guest agent said no", arg);
	return (0);
}

json_t *
control_vcpu_list(struct domain *d)
{
	return (json_pack("[{s:i}]", "vcpu", 0));
}

/* As control.c's, less the pinning itself. */
int
control_vcpu_pin(struct domain *d, int vcpu, const char *cpus, char **cause)
{
	cpu_set_t	 set;

	if (vcpu >= 2 || vcpu < -1) {
		*cause = xsprintf("%s has vCPUs 0-1, not %d", d->name, vcpu);
		return (-1);
	}
	return (cpulist_parse(cpus, 2, &set, cause));
}

json_t *
sched_to_json(struct domain *d)
{
	return (json_pack("{s:{s:i, s:i}, s:{s:i, s:i}}", "credit", "weight",
	    256, "cap", 0, "sedf", "period", 0, "slice", 0));
}

json_t *
sched_read_back(struct domain *d)
{
	return (json_object());
}

int
sched_set_credit(struct domain *d, int weight, int cap, char **cause)
{
	return (0);
}

int
sched_set_sedf(struct domain *d, int period, int slice, char **cause)
{
	if (slice > period)
		abort();
	return (0);
}

/* network.c, netdev.c, vnet.c: they run scripts and talk QMP. */
json_t *
network_domain_json(struct domain *d)
{
	return (json_pack("[{s:i, s:s, s:s, s:s, s:n, s:n}]", "devid", 0,
	    "vifname", "vif1.0", "mac", "00:16:3e:00:00:01", "bridge",
	    "xenbr0", "ip", "ip_source"));
}

void
network_vif_name(const struct domcfg_vif *v, int domid, int devid, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s", v->vifname != NULL ? v->vifname : "vif1.0");
}

const char *
vif_hot_attach(struct domain *d, const json_t *args, dom_done_cb done,
    void *arg, char **cause)
{
	done(d, NULL, NULL, arg);
	return (NULL);
}

const char *
vif_hot_detach(struct domain *d, int devid, dom_done_cb done, void *arg,
    char **cause)
{
	*cause = xsprintf("domain %s has no network interface %d", d->name,
	    devid);
	return ("not_found");
}

const char *
vnet_create(const json_t *v, vnet_done_cb done, void *arg, char **cause)
{
	*cause = xstrdup("vnet: no vnets here");
	return ("invalid");
}

json_t *
vnet_list(void)
{
	return (json_array());
}

const char *
vnet_delete(long long id, vnet_done_cb done, void *arg, char **cause)
{
	*cause = xsprintf("vnet %lld does not exist", id);
	return ("not_found");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*dir = fuzz_tmpdir("api");
	char		*log;
	FILE		*f;

	/* Quiet: the default level would print every bad request. */
	log_open("xend", "/dev/null", LOG_ERROR);
	/* As xend: a peer gone is a write error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	xasprintf(&xend_cfg.unix_path, "%s/xend.sock", dir);
	xasprintf(&log, "%s/xend.log", dir);
	/* host.log walks back over this. */
	if ((f = fopen(log, "w")) == NULL)
		fatal("%s", log);
	fputs("one\n\ntwo\nthree\nno newline", f);
	fclose(f);
	xend_cfg.logfile = log;
	if ((xend_base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	server_init();

	fake.refs = 1;
	fake.domid = 1;
	fake.name = xstrdup("fz");
	fake.dir = xstrdup(dir);
	fake.state = DOM_RUNNING;
	fake.config = xcalloc(1, sizeof *fake.config);
	fake.config->name = xstrdup("fz");
	fake.config->memory = 64;
	fake.config->vcpus = 2;
	TAILQ_INSERT_TAIL(&domains, &fake, entry);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_jsonl_exchange(xend_base, xend_cfg.unix_path, "xend", data, size);
	return (0);
}
