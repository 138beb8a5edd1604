/*
 * xend.h: the xend daemon, one header for the program (tmux style),
 * sections per file.
 */
#ifndef XEND_H
#define XEND_H

#include <sys/queue.h>
#include <sys/types.h>

#include <event2/event.h>
#include <jansson.h>

#include "domcfg.h"
#include "xendcfg.h"

struct qmp;
struct api_req;
struct pause_req;
struct agent_limits;
struct job;

extern struct event_base	*xend_base;
extern struct xendcfg		 xend_cfg;
extern double			 xend_start_time;

/* domain.c */
enum dom_state {
	DOM_STARTING,	/* QEMU spawned, QMP not yet up */
	DOM_RUNNING,
	DOM_PAUSED,
	DOM_SHUTDOWN,	/* guest shut down; policy is preserve */
	DOM_CRASHED,
	DOM_DYING,	/* being destroyed */
};

enum dom_shutdown_mode {
	SHUTDOWN_NONE,
	SHUTDOWN_POWEROFF,
	SHUTDOWN_REBOOT,
	SHUTDOWN_HALT,
};

/*
 * How a long operation (create, pause/unpause, vcpu-set) ends: code NULL
 * when it succeeded, else an API error code ("failed") and a message.
 * Called exactly once per accepted operation (the operation returned 0),
 * from the event loop, the domain still valid for the call; arg belongs
 * to the caller, who keeps it alive until then.
 */
struct domain;
typedef void	(*dom_done_cb)(struct domain *, const char *code,
		    const char *msg, void *arg);
struct dom_done {
	dom_done_cb	 fn;		/* NULL: none pending */
	void		*arg;
};

#define DOM_MAX_VCPUS	64
#define DOM_MAX_RESTARTS 1000

struct domain {
	int			 refs;		/* freed at 0 (deferred) */
	int			 domid;
	char			*name;
	struct domcfg		*config;	/* typed, owned */
	char			*dir;		/* state dir of this domain */
	enum dom_state		 state;
	int			 blocked;	/* vCPUs idle last sample */
	int			 removed;	/* out of the table */

	pid_t			 pid;
	unsigned long long	 pid_start;	/* /proc starttime, identity */
	int			 pidfd;
	struct event		*pid_ev;
	int			 exited;	/* process gone */
	char			*exit_how;	/* how QEMU ended, for the log */

	struct qmp		*qmp;
	struct event		*qmp_retry_ev;
	double			 qmp_deadline;
	struct event		*kill_ev;	/* SIGKILL if QUIT is ignored */

	double			 start_time;	/* wall clock */
	double			 cpu_time;	/* seconds, vCPU threads */
	double			 cpu_time_base;	/* from earlier QEMUs */
	double			 sample_time;
	pid_t			 vcpu_tids[DOM_MAX_VCPUS];
	int			 nvcpu_tids;
	int			 last_cpu;

	enum dom_shutdown_mode	 shutdown_req;	/* what xm asked for */
	char			*shutdown_reason; /* poweroff|reboot|crash|... */
	/* rename-restart under way: the name its new domain takes. */
	char			*restart_as;
	double			 restarts[16];	/* ring of restart times */
	int			 nrestarts;
	int			 restart_count;
	int			 cont_after_reset; /* restart in progress */
	double			 last_reset;	/* monotonic, any RESET */
	int			 quick_resets;	/* firmware resets folded in */
	struct event		*powerdown_ev;	/* re-press until it acts */
	double			 powerdown_deadline;

	struct dom_done		 pending_create; /* done once QMP is up */
	struct job		*incoming;	/* restore: -incoming defer */
	/* stop/cont sent, QEMU's answer awaited (failed if QEMU goes). */
	TAILQ_HEAD(, pause_req)	 pauses;
	int			 start_paused;
	int			 preserved;	/* kept stopped by policy */

	/* Memory (control.c): the config's memory is the balloon target. */
	long long		 mem_actual;	/* bytes, balloon; 0 unknown */
	int			 boot_maxmem;	/* MB: this QEMU's -m */

	/* vCPUs (control.c): affinity survives QEMU restarts. */
	char			*affinity[DOM_MAX_VCPUS]; /* NULL: any */
	char			*cpus_online;	/* the agent's report */
	struct dom_done		 pending_vcpu;	/* vcpu_set awaiting agent */
	struct event		*vcpu_timeout_ev;

	/* The guest agent's control channel (agent.c). */
	struct bufferevent	*agent;
	struct event		*agent_retry_ev;
	int			 agent_hello;
	struct agent_limits	*agent_lim;	/* guest input limits, owned */

	/*
	 * Scheduling (sched.c): sedf's in runtime.json; credit's weight and
	 * cap are the config's cpu_weight and cpu_cap.
	 */
	int			 sedf_period;	/* ms, 0 unset */
	int			 sedf_slice;	/* ms, 0 unset */
	char			*cgroup;	/* this domain's cgroup dir */

	int			 vifs_up;	/* vif online ran, no offline */

	/* Counters sampled once a second. */
	long long		 net_rx, net_tx, blk_rd, blk_wr;

	TAILQ_ENTRY(domain)	 entry;
};
TAILQ_HEAD(domain_list, domain);
extern struct domain_list domains;

void		 domain_init(void);
void		 domain_adopt_all(void);
struct domain	*domain_find(const char *name_or_id);
struct domain	*domain_find_id(int);
struct domain	*domain_find_name(const char *);
/*
 * Takes config over, also on failure; 0 once QEMU runs (done is called when the domain is
 * running or paused, or failed to come up), -1 with *cause otherwise.
 */
int		 domain_create(struct domcfg *config, int paused, dom_done_cb done,
		     void *arg, char **cause);
/*
 * domain_create for a QEMU that waits for a migration stream (save.c's
 * job): save.c feeds it and calls domain_incoming_done (error NULL: it
 * loaded) before the domain starts or done is called.  done may be NULL.
 */
int		 domain_restore(struct domcfg *config, int paused, struct job *,
		     dom_done_cb done, void *arg, char **cause);
void		 domain_incoming_done(struct domain *, const char *error);
int		 domain_destroy(struct domain *, char **cause);
int		 domain_shutdown(struct domain *, enum dom_shutdown_mode,
		     char **cause);
/* 0: done is called once QEMU stopped (continued) the guest. */
int		 domain_pause(struct domain *, int pause, dom_done_cb done,
		     void *arg, char **cause);
int		 domain_rename(struct domain *, const char *, char **cause);
const char	*domain_state_flags(struct domain *);
/* "running", "blocked", "paused", ...: the status the API reports. */
const char	*domain_status(struct domain *);
const char	*domain_state_name(enum dom_state);
void		 domain_sample_all(void);
int		 domain_count(void);
int		 domain_save(struct domain *);
int		 domain_name_valid(const char *);

/* domref.c: a domain's references and pending operations. */
void		 domain_ref(struct domain *);
/* Frees the domain at the last reference. */
void		 domain_unref(struct domain *);
/* Writes config.json (the domain's config as it now is); 0/-1. */
int		 domain_save_config(struct domain *, char **cause);
/* Ends a pending operation (if any): clears it, then calls its fn. */
void		 domain_done(struct dom_done *, struct domain *,
		     const char *code, const char *fmt, ...)
		     __attribute__((format(printf, 4, 5)));

/* events.c: the model's events; subscribers run synchronously. */
/* type: "domain.added", "domain.state" or "domain.removed". */
typedef void	(*events_cb)(const char *type, struct domain *, void *arg);
void		 events_subscribe(events_cb, void *arg);
void		 events_publish(const char *type, struct domain *);

/* dmesg.c: the ring xm dmesg shows (each line is logged too). */
void		 dmesg_add(const char *, ...) __attribute__((format(printf, 1, 2)));
json_t		*dmesg_lines(void);

/* domid.c */
/*
 * The next free id from *rover in [1, max], advancing the rover past it
 * so a recently freed id is not handed out again; -1 if all are in use.
 */
int		 domid_pick(int *rover, int max, int (*in_use)(int, void *),
		     void *arg);

/* script.c (below): a script's end. */
/* ok: exited 0; how: "exited with status N", "still running ..., killed". */
typedef void	(*script_done_cb)(int ok, const char *how, void *arg);

/* qemu.c */
/* Builds QEMU's argv for a domain; the caller frees with argv_free. */
char		**qemu_argv(struct domain *, const char *accel);
/*
 * Forks QEMU in its own session and holds it before exec until commit
 * (called with d->pid and d->pid_start set) has recorded it; if commit
 * fails the child never runs QEMU and is reaped.  0/-1.
 */
int		 qemu_spawn(struct domain *, char **argv,
		     int (*commit)(struct domain *, char **cause), char **cause);
char		*qemu_version(void);

/* script.c: site scripts as watched children of the event loop. */
/*
 * Runs argv (argv[0] a path; copied) in its own session, output logged
 * line by line as "what: LINE", killed with its process group after
 * timeout seconds; done (may be NULL) is called from the event loop.
 * Jobs with the same key run in order; key NULL is a barrier that runs
 * alone (after every earlier job, before every later one).
 */
void		 script_start(const char *key, const char *what,
		     char *const argv[], int timeout, script_done_cb done,
		     void *arg);
/* The same with envp (copied) as the script's whole environment. */
void		 script_start_env(const char *key, const char *what,
		     char *const argv[], char *const envp[], int timeout,
		     script_done_cb done, void *arg);
/* Calls fn(1, "called", arg) in key's turn, as if it were a script. */
void		 script_call(const char *key, const char *what,
		     script_done_cb fn, void *arg);
/* Frees an argv such as qemu_argv's (script.c: qemu.c calls scripts). */
void		 argv_free(char **);
/* An argv being built: argv_add appends a formatted argument. */
struct argv_buf {
	char	**v;
	size_t	  n;
};
void		 argv_add(struct argv_buf *, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
char		*qemu_log_tail(struct domain *, size_t max);
/* A vif's NIC (QEMU device): model=, else virtio (HVM ioemu: emulated). */
const char	*qemu_nic(const struct domcfg *, const struct domcfg_vif *);

/* network.c: network and vif scripts' argv and environment; DHCP leases. */
/* A script name without '/' is in $XEN_CONFIG_DIR/scripts; caller frees. */
char		*network_script_path(const char *name);
/*
 * spec ("network-bridge netdev=eth0") as argv: path, op, spec's words,
 * extra's; NULL if spec is empty.  Free with argv_free.
 */
char		**network_script_argv(const char *spec, const char *op,
		     char *const extra[]);
/* The last "key=VALUE" word of argv after the op, or NULL. */
const char	*network_script_arg(char *const argv[], const char *key);
/* xend's environment plus XEN_* and kv ("vif=vif1.0"); argv_free. */
char		**network_script_env(char *const kv[]);
/*
 * Runs network-script OP (start, stop) as a watched child keyed key
 * (NULL: a barrier), at most timeout s; -1 if no script is configured.
 */
int		 network_script_run(const char *op, const char *key,
		     int timeout, script_done_cb done);
/* The vif's script= or xend's vif-script, or NULL for the built-in. */
const char	*network_vif_script(const struct domcfg_vif *);
/*
 * vif-script OP's argv for vif (its config v, host name vif): the script
 * and its own words, then domain= vif= bridge= mac= domid= [ip=].
 */
char		**network_vif_argv(struct domain *, const struct domcfg_vif *v,
		     const char *op, const char *vif);
/* Runs it keyed by vif, its key=value words also as environment. */
void		 network_vif_run(const char *vif, const char *what,
		     char *const argv[], script_done_cb done, void *arg);
/* Puts vif v's rate (if any) on its tap vif with tc, in the vif's turn. */
void		 network_vif_rate(struct domain *, const struct domcfg_vif *v,
		     const char *vif);
/* Where tool (tc, nft) is: PATH, then /usr/sbin, /sbin; caller frees. */
char		*network_sbin_path(const char *tool);
/* The host-side name of interface devid: its vifname, or vifD.N. */
void		 network_vif_name(const struct domcfg_vif *, int domid,
		     int devid, char *buf, size_t len);
/* The address dnsmasq leased to mac on bridge, or NULL (owned here). */
const char	*network_lease_ip(const char *bridge, const char *mac);
/*
 * The MTU a NIC on bridge br is to give its guest (QEMU's host_mtu): the
 * bridge's if it is below 1500 (a vnet's), else 0.
 */
int		 network_guest_mtu(const char *br);
/* ",host_mtu=N" for vif v's NIC (QEMU device nic) if it can and its
 * bridge wants one, else "". */
const char	*network_nic_mtu(const char *nic, const struct domcfg_vif *v);
/* [{devid, vifname, mac, bridge, ip, ip_source}]; the caller owns it. */
json_t		*network_domain_json(struct domain *);

/*
 * netdev.c: the record of a domain's interfaces beyond its config (kept
 * in DIR/netdevs.json): added by xm network-attach, taken by
 * network-detach, and (this QEMU only) unplugged after a script failed.
 */
/* Whether the config's interface devid was detached. */
int		 netdev_detached(struct domain *, int devid);
/* Whether interface devid's vif-script online failed (it was unplugged). */
int		 netdev_failed(struct domain *, int devid);
/* Marks devid failed, or with failed 0 forgets every failure. */
void		 netdev_set_failed(struct domain *, int devid, int failed);
/* The added interfaces: [{devid, mac, bridge, script, ip, ...}] (borrowed). */
json_t		*netdev_added(struct domain *);
/*
 * One of them as a config vif whose strings are borrowed from v (valid
 * while v is); returns its devid.
 */
int		 netdev_vif_view(json_t *v, struct domcfg_vif *out);
/* Interface devid (config or added) with its devid, a new reference. */
json_t		*netdev_find(struct domain *, int devid, int *added);
/* Every interface the domain has now, as config "vifs" entries (new). */
json_t		*netdev_all(struct domain *);
/* The lowest devid no interface has, or -1. */
int		 netdev_free_devid(struct domain *);
/* Records (and saves) an interface attached (vif has its devid) / gone. */
void		 netdev_note_attached(struct domain *, json_t *vif);
void		 netdev_note_detached(struct domain *, int devid);
/* The domain is being removed: forget (and delete) its record. */
void		 netdev_domain_gone(struct domain *);

/*
 * vif.c: the domain's taps on the host, and hot-plug.  vif_domain_up
 * hands each tap to its vif-script or bridge once QEMU is up (a script
 * that fails unplugs its interface); vif_domain_down tells the scripts
 * the taps went with their QEMU, once per vif_domain_up.
 */
void		 vif_domain_up(struct domain *);
void		 vif_domain_down(struct domain *);
/*
 * One interface (config v, devid: the tap's index) the same way; done
 * (may be NULL) says whether the script or the bridge attach worked.
 */
void		 vif_up(struct domain *, const struct domcfg_vif *v, int devid,
		     script_done_cb done, void *arg);
void		 vif_down(struct domain *, const struct domcfg_vif *v,
		     int devid, script_done_cb done, void *arg);
/*
 * xm network-attach: args {mac, bridge, script, ip, vifname, model,
 * rate}; NULL once under way (done is called), else the error code with
 * *cause.  xm network-detach of interface devid, the same way.
 */
const char	*vif_hot_attach(struct domain *, const json_t *args,
		     dom_done_cb done, void *arg, char **cause);
const char	*vif_hot_detach(struct domain *, int devid, dom_done_cb done,
		     void *arg, char **cause);

/*
 * antispoof.c: nftables rules on what a guest sends through its vifs
 * (xend-config's vif-antispoof, a vif's antispoof=; a vif's rate= limits
 * it), in tables of this xend's own (antispoof_table of its vif-prefix).
 */
struct antispoof_vif {
	const char	*vif;		/* the tap's name */
	const char	*mac;		/* the only Ethernet/ARP source */
	const char	*ips;		/* IPv4 sources, space separated; NULL */
	int		 pin;		/* 1: IPv4/ARP sources pinned to ips */
	int		 filter;	/* 1: the antispoof rules (0: rate only) */
	unsigned long long rate;	/* bytes/s it may send; 0: no limit */
	unsigned long long burst;	/* bytes over the rate: rate x window */
};
/* "xen-antispoof-PREFIX"; caller frees. */
char		*antispoof_table(const char *prefix);
/* nft commands: vif's chain (re)made whole / gone / the tables gone. */
char		*antispoof_install_text(const char *table,
		     const struct antispoof_vif *);
char		*antispoof_remove_text(const char *table, const char *vif);
char		*antispoof_drop_text(const char *table);
/*
 * Loads the rules of vif (interface devid of d, config v: its antispoof
 * rules, its rate's limit) as a job keyed by vif, before what is queued
 * for it next; done (may be NULL) is told whether they loaded (always ok
 * if the vif has neither).
 */
void		 antispoof_vif_up(struct domain *, const struct domcfg_vif *v,
		     int devid, const char *vif, script_done_cb done,
		     void *arg);
/* Removes vif's rules, as a job keyed by vif. */
void		 antispoof_vif_down(struct domain *, const char *vif);
/* After the re-adoption: the tables rebuilt; lease files watched. */
void		 antispoof_init(void);
/* At exit: the tables deleted unless domains' vifs still have rules. */
void		 antispoof_fini(void);

/* vnet.c: the manual's vnets as VXLAN segments (scripts/xen/vnet-vxlan). */
/* code NULL: done (result: the vnet or null, borrowed); else msg says. */
typedef void	(*vnet_done_cb)(const char *code, const char *msg,
		    json_t *result, void *arg);
/* Loads STATE/vnets.json and makes each vnet again (at xend start). */
void		 vnet_init(void);
/*
 * Creates vnet v ({id, bridge, vnetif, security, peers | group, dev,
 * local, mtu}) or deletes vnet id: NULL once under way (done is called),
 * else the error code with *cause.
 */
const char	*vnet_create(const json_t *v, vnet_done_cb done, void *arg,
		     char **cause);
const char	*vnet_delete(long long id, vnet_done_cb done, void *arg,
		     char **cause);
/* The vnets xend knows (a new reference). */
json_t		*vnet_list(void);

/* storage.c: disks on the host (docs/USER-GUIDE.md, "Storage"). */
/* A disk line, canonical (domcfg.c): strings borrowed from the config. */
struct sdisk {
	const char		*uname;		/* phy:/dev/X, file:/P, qcow2:/P */
	const char		*dev;		/* the name the guest sees */
	const char		*mode;		/* r, w or w! */
};
struct storage_obj;
struct disk_info {
	char			*spec;		/* 'uname,dev,mode', for messages */
	char			*path;		/* host path as the uname says */
	const char		*driver;	/* QEMU: file or host_device */
	const char		*format;	/* raw or qcow2 */
	int			 readonly;	/* mode r */
	int			 force;		/* mode w! */
	char			*backing;	/* qcow2 backing file, or NULL */
	struct storage_obj	*obj, *bobj;	/* what it (its backing) is */
};
/* Disk i of a config into *out; -1 past the last. */
int		 storage_disk_at(const struct domcfg *, size_t i,
		     struct sdisk *out);
/*
 * Resolves one disk and checks it is there, is what its type says and
 * opens in its mode; the format is probed.  *cause names the disk line.
 * storage_close frees di.
 */
int		 storage_open(const struct sdisk *, struct disk_info *,
		     char **cause);
/* The host path of a disk's uname; *type 'p' (phy:), 'q' (qcow2:), 'f'. */
const char	*storage_uname_path(const char *uname, char *type);
void		 storage_close(struct disk_info *);
/* As storage_open, but only what a disk in use is: never opened writable. */
int		 storage_open_info(const struct sdisk *, struct disk_info *,
		     char **cause);
/* One disk against the sharing rule: domain 0's mounts, every domain. */
int		 storage_check_disk(const struct sdisk *, char **cause);
/* The backing file of a config's disk entry (caller frees), or NULL. */
char		*storage_backing(const struct domcfg_disk *);
/* Every disk of a config about to be created, and among themselves. */
int		 storage_check_config(const struct domcfg *, char **cause);
/* QEMU's block node vbd-DEV for a disk, and its device disk-DEV (new). */
json_t		*storage_blockdev(const struct disk_info *, const char *dev);
json_t		*storage_device(const char *dev);

/* blockdev.c: disks attached to and detached from running domains. */
/*
 * An attach or detach ends through done (dom_done_cb): code NULL on
 * success (msg then says what the guest did, or is NULL).
 */
/* disk: canonical (domcfg_disk), borrowed. */
int		 blockdev_attach(struct domain *, const struct sdisk *disk,
		     dom_done_cb, void *arg, char **cause);
/* Asks the guest's agent first unless force. */
int		 blockdev_detach(struct domain *, const char *dev, int force,
		     dom_done_cb, void *arg, char **cause);
/* The disks with their host path, format, type and backing file. */
json_t		*blockdev_list(struct domain *);
/* Hooks: QEMU's DEVICE_DELETED, the agent's block_released/block_busy. */
void		 blockdev_deleted(struct domain *, json_t *data);
void		 blockdev_agent_reply(struct domain *, const char *msg,
		     const char *arg);

/* hvm.c: unmodified guests booting their firmware (builder hvm, vmx). */
int		 hvm_is(const struct domcfg *);
/* The HVM keys' refusals (sdl, serial, boot, kernel, cdrom...); 0/-1. */
int		 hvm_check(const struct domcfg *, char **cause);
/* QEMU: -cpu (NULL: default), then boot order, clock, USB, CD-ROM. */
const char	*hvm_cpu(const struct domcfg *, const char *accel);
void		 hvm_qemu_args(struct argv_buf *, const struct domcfg *);
/* A disk's guest device: IDE for hda-hdd, virtio-blk for the others. */
void		 hvm_disk_device(struct argv_buf *, const char *dev);
/* A vif's QEMU NIC model. */
const char	*hvm_nic_model(const struct domcfg *,
		     const struct domcfg_vif *);
/* The VNC port: vnc-port-base + vncdisplay (HVM), or + domid. */
int		 hvm_vnc_port(const struct domcfg *, int domid);

/* precheck.c: refusals before QEMU runs and before a domain id is taken. */
/* The port a domain's console is served on: its own, or base + domid. */
int		 precheck_console_port(const struct domcfg *, int domid);
/*
 * Kernel (or the HVM keys), ramdisk, maxmem, an explicit console port, an
 * HVM vncdisplay (dropped for base + domid if taken and vncunused); 0/-1.
 */
int		 precheck_config(struct domcfg *, char **cause);
/*
 * 1 if domid's default console (or VNC) port is held by another program
 * or domain, so the id is to be passed over; *why says which (caller frees).
 */
int		 precheck_ports_busy(const struct domcfg *, int domid,
		     char **why);
/* What depends on the id a create is about to take (taps); 0/-1. */
int		 precheck_domid(const struct domcfg *, int domid,
		     char **cause);

/* host.c */
struct host_info {
	int		 nr_cpus;
	double		 cpu_mhz;
	char		*cpu_model;
	long		 total_mb;
	long		 free_mb;
};
void		 host_read(struct host_info *);
void		 host_free(struct host_info *);
/* /proc/stat's busy seconds per CPU; /proc/loadavg. */
json_t		*host_cpus_json(void);
json_t		*host_load_json(void);
double		 proc_cpu_seconds(pid_t pid, pid_t tid, int *last_cpu,
		     char *state);
int		 proc_vcpu_threads(pid_t, pid_t *tids, int max);
double		 host_busy_seconds(void);
double		 host_uptime(void);
/* The last want lines of a log, reading at most max bytes of it. */
int		 host_log_tail(const char *path, long want, size_t max,
		     json_t **lines, int *cut, char **cause);

/* qemuproc.c: QEMU processes, held at spawn and found by their argv. */
struct qemuproc {
	pid_t			 pid;
	unsigned long long	 start;		/* /proc starttime */
	char			*dir;		/* the domain dir it names */
};
/* /proc starttime of pid (its identity with the pid), 0 if gone. */
unsigned long long qemuproc_start_time(pid_t);
/* 1 if pid's argv names dir's QMP socket ("unix:DIR/qmp.sock"). */
int		 qemuproc_names(pid_t, const char *dir);
/*
 * Every process whose argv names the QMP socket of an entry of parent;
 * *out (freed with qemuproc_free) holds them; returns how many.
 */
int		 qemuproc_scan(const char *parent, struct qemuproc **out);
void		 qemuproc_free(struct qemuproc *, int n);
/*
 * Which of v's processes for dir to keep: the one recorded (pid and start
 * time both match), else the newest (it owns the socket paths); -1 if none
 * names dir.
 */
int		 qemuproc_pick(const struct qemuproc *v, int n, const char *dir,
		     pid_t pid, unsigned long long start);
/*
 * Ends pid if it is still the process that started at start: SIGTERM,
 * SIGKILL after ms.  0 once it is gone, -1 if it would not go.
 */
int		 qemuproc_kill(pid_t, unsigned long long start, int ms);
/*
 * Forks argv[0] in its own session (stdout and stderr to logfd) and holds
 * it before exec until commit(pid, arg, cause) returns 0; if commit fails,
 * or xend dies first, the child exits without running argv[0].  *pidp is
 * set before commit.  0 once exec succeeded; -1 with *cause.
 */
int		 qemuproc_spawn(char *const argv[], int logfd,
		     int (*commit)(pid_t, void *, char **), void *arg,
		     pid_t *pidp, char **cause);

/* accel.c */
/* Decides kvm or tcg once (accel auto probes, bounded, cached). */
const char	*accel_get(void);
const char	*accel_reason(void);
void		 accel_init(void);

/* server.c: xend's API over rpc.h (the socket, framing, event fan-out). */
struct rpc_conn;
void		 server_init(void);
void		 server_close(void);
void		 server_event(const char *type, json_t *body);
void		 server_reply(struct api_req *, json_t *result);
void		 server_error(struct api_req *, const char *code,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void		 server_subscribe(struct api_req *);

/* api.c: dispatch by op name through a table. */
struct api_req {
	struct rpc_conn	*client;	/* a reference (rpc_conn_ref) */
	json_t		*id;
	char		*op;
	json_t		*args;
	int		 done;
};
void		 api_dispatch(struct api_req *);
/* Whether config keeps to policy {image_dirs, script_dirs}; 0/-1. */
int		 api_policy_check(json_t *policy, const struct domcfg *,
		     char **cause);
void		 api_req_free(struct api_req *);
/* The events subscriber that sends them to the API's subscribed clients. */
void		 api_event(const char *type, struct domain *, void *arg);

/* apijson.c: the API's JSON views of the model (docs/API.md). */
json_t		*apijson_host(void);
json_t		*apijson_domain(struct domain *, int with_config);
json_t		*apijson_domain0(void);
/* An event's body without "event" and "time" (the server adds them). */
json_t		*apijson_event(const char *type, struct domain *);

/* control.c: memory and vCPUs. */
int		 control_mem_set(struct domain *, long mb, char **cause);
int		 control_mem_max(struct domain *, long mb, char **cause);
int		 control_host_admits(struct domain *, long mb, char **cause);
void		 control_qmp_up(struct domain *);
void		 control_balloon_event(struct domain *, json_t *data);
void		 control_sample(struct domain *);
json_t		*control_vcpu_list(struct domain *);
int		 control_vcpu_pin(struct domain *, int vcpu, const char *cpus,
		     char **cause);
void		 control_apply_affinity(struct domain *);
/* 0: done is called once the guest agent reports the new set online. */
int		 control_vcpu_set(struct domain *, int n, dom_done_cb done,
		     void *arg, char **cause);
void		 control_agent_cpus(struct domain *, const char *list);
/* The agent's hooks into control.c (for agent_init). */
extern const struct agent_hooks control_agent_hooks;
void		 control_free(struct domain *);

/* agent.c: the guest agent's line protocol over virtio-serial. */
/* Where the guest's own requests go (control.c's, set by agent_init). */
struct agent_hooks {
	/* The guest asked for a memory target of mb; 0/-1. */
	int	(*mem_set)(struct domain *, long mb, char **cause);
	/* The guest reported its online CPUs (canonical list). */
	void	(*cpus_online)(struct domain *, const char *list);
	/* block_released / block_busy (msg) for disk arg "DEV [TEXT]". */
	void	(*block_reply)(struct domain *, const char *msg,
		    const char *arg);
};
void		 agent_init(const struct agent_hooks *);
void		 agent_connect(struct domain *);
void		 agent_close(struct domain *);
int		 agent_send(struct domain *, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
int		 agent_is_up(struct domain *);

/* sched.c: credit and sedf on cgroups v1 or v2. */
void		 sched_init(void);
void		 sched_fini(void);
const char	*sched_layout(void);
int		 sched_attach(struct domain *, char **cause);
void		 sched_detach(struct domain *);
int		 sched_set_credit(struct domain *, int weight, int cap,
		     char **cause);
int		 sched_set_sedf(struct domain *, int period, int slice,
		     char **cause);
json_t		*sched_to_json(struct domain *);
/* The values in the cgroup files, read back: for checks and tests. */
json_t		*sched_read_back(struct domain *);

/*
 * save.c: xm save and restore, jobs on the event loop; progress goes out
 * as job.progress events (server_event).  A job ends by calling done once
 * (code NULL: it worked), with what it did in *r (borrowed for the call).
 */
struct job_result {
	const char	*name;
	const char	*file;		/* save: the file; migrate: HOST:PORT */
	const char	*host;		/* migrate */
	int		 port;
	unsigned long long bytes;
	double		 seconds;
	int		 checkpoint;
	int		 domid;		/* restore: here; migrate: there */
	int		 console_port;	/* migrate: there */
	int		 downtime_ms;	/* migrate: QEMU's, -1 unknown */
	int		 total_ms;
	const char	*warning;	/* the file is whole but ... */
	struct domain	*d;		/* restore: the restored domain */
};
typedef void	(*job_done_cb)(const char *code, const char *msg,
		    const struct job_result *r, void *arg);
/* Saves d to path (absolute), then destroys it unless checkpoint. */
int		 save_start(struct domain *, const char *path, int checkpoint,
		     job_done_cb, void *arg, char **cause);
/*
 * Restores the domain in path; done once it runs (r->d set).  check (may
 * be NULL; given done's arg) may refuse the file's config, as a create's
 * policy would: 0/-1 with *cause.
 */
typedef int	(*save_check_cb)(const struct domcfg *, void *arg,
		    char **cause);
int		 save_restore(const char *path, int paused, save_check_cb check,
		     job_done_cb, void *arg, char **cause);

/*
 * job.c: what domain.c asks of the jobs.  job_init names the function
 * that sends job.progress and domain.migrated to API subscribers.
 */
void		 job_init(void (*publish)(const char *type, json_t *body));
/* A restore's or incoming migration's domain: dir made, QMP up. */
int		 job_incoming_prepare(struct domain *, char **cause);
void		 job_incoming_up(struct domain *);
int		 job_incoming_exited(struct domain *, const char *);
void		 job_block_event(struct domain *, const char *, json_t *);
/* QEMU's MIGRATION event (capability events). */
void		 job_migration_event(struct domain *, json_t *data);
/* A re-adopted domain with a job cut short: 1 if it is to be destroyed. */
int		 job_recover(struct domain *);
/*
 * Who job_recover asks about a migration cut short after its hand-over
 * was asked for (migrate_recover): where is "HOST:PORT".
 */
void		 job_set_recover(void (*ask)(struct domain *, const char *where,
		     const char *token, int was_running, double asked));
/* Who tidies up after a migration cut short before it (migrate_tidy). */
void		 job_set_tidy(void (*tidy)(struct domain *, const char *token));

/*
 * relocate.c: the relocation server and migration connections.  An rconn
 * is a JSON-lines connection to or from another xend; rconn_send steals
 * msg.  closed_cb is called once when the peer goes; the rconn is the
 * callee's to free (rconn_free) from then on.
 */
struct rconn;
typedef void	(*rconn_line_cb)(struct rconn *, json_t *msg, void *arg);
typedef void	(*rconn_closed_cb)(struct rconn *, void *arg);
/* The relocation server's side of migrate.c (relocate_init's). */
struct relocate_handlers {
	rconn_line_cb	 line;		/* a control connection's requests */
	rconn_closed_cb	 closed;
	/* A stream connection for token: fd is the callee's. */
	void		(*stream)(const char *token, int fd, const char *peer);
	/* A disk copy's connection for token (migrate.nbd): fd the callee's. */
	void		(*nbd)(const char *token, int fd, const char *peer);
};
int		 relocate_init(const struct relocate_handlers *, char **cause);
void		 relocate_close(void);
/*
 * A TCP connection to host:port, each address given seconds, made on the
 * loop: cb gets the fd (its own, nonblocking) or -1 and the cause, always
 * later, never from inside relocate_connect.
 */
typedef void	(*relocate_connect_cb)(int fd, const char *cause, void *arg);
void		 relocate_connect(const char *host, int port, int seconds,
		     relocate_connect_cb, void *arg);
/*
 * Joins two connected sockets byte for byte until either ends (what one
 * sent is written to the other before both close); takes both fds.
 */
void		 relocate_splice(int, int, const char *peer);
/* Takes fd as a control connection. */
struct rconn	*relocate_control(int fd, const char *peer, rconn_line_cb,
		     rconn_closed_cb, void *arg);
void		 rconn_set_cb(struct rconn *, rconn_line_cb, rconn_closed_cb,
		     void *arg);
void		 rconn_send(struct rconn *, json_t *msg);
void		 rconn_error(struct rconn *, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
const char	*rconn_peer(const struct rconn *);
void		 rconn_free(struct rconn *);
/* Frees rc once its queued lines are written; no callbacks after. */
void		 rconn_close_after_send(struct rconn *);

/* migrate.c: xm migrate, both ends (docs/USER-GUIDE.md, "Migration"). */
/* copy_storage: the writable disks are copied too (--copy-storage). */
int		 migrate_start(struct domain *, const char *host, int port,
		     int live, int copy_storage, long mbit, job_done_cb,
		     void *arg, char **cause);
/*
 * A source restarted after asking for a hand-over: asks the target
 * whether it took the domain (then destroys the copy here) or not (then
 * runs it here again); unreachable, it stays paused.
 */
void		 migrate_recover(struct domain *, const char *where,
		     const char *token, int was_running, double asked);
/*
 * A source restarted after a migration with token was cut short: the disk
 * copies' block jobs and NBD nodes its QEMU kept go (--copy-storage).
 */
void		 migrate_tidy(struct domain *, const char *token);
/* QEMU's block job events: a mirror at pre-switchover ended (or not). */
/*
 * The tokens of migrations handed over here are kept MIG_TOKEN_KEEP_SEC
 * for a restarted source's question; migrate_init prunes older ones now
 * and every hour.
 */
#define MIG_TOKEN_KEEP_SEC	(24 * 3600)
void		 migrate_init(void);
void		 migrate_tokens_prune(time_t now);
/*
 * Whether the migration with token was handed over here (a job still
 * running aside): 1 yes, 0 no, -1 cannot say (its token may have been
 * pruned; asked: the source's wall time of its record, 0 unknown).
 */
int		 migrate_handed_over(const char *token, double asked);
/* For relocate_init: the target's side of a migration. */
extern const struct relocate_handlers migrate_handlers;

/* main.c */

#endif
