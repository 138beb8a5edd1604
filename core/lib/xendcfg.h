/*
 * xendcfg.h: xend-config.sxp, found in $XEN_CONFIG_DIR (default /etc/xen).
 * Every program (xend, xm, xenconsoled, xensv, xm top) loads it the same
 * way, so a private XEN_CONFIG_DIR gives a private instance on its own
 * socket, state dir and ports.  A missing file means all defaults.
 */
#ifndef XENDCFG_H
#define XENDCFG_H

#include <stddef.h>

struct xendcfg {
	char	*dir;			/* the config directory itself */
	char	*path;			/* .../xend-config.sxp */
	char	*logfile;		/* logfile: /var/log/xen/xend.log */
	char	*loglevel;		/* loglevel: INFO */
	char	*unix_path;		/* xend-unix-path: /var/run/xend/xend.sock */
	char	*state_dir;		/* xend-state-dir: /var/lib/xend */
	char	*pid_file;		/* xend-pid-file: /var/run/xend/xend.pid */
	char	*accel;			/* accel: auto | kvm | tcg */
	char	*accel_probe_kernel;	/* accel-probe-kernel: demo kernel */
	char	*qemu;			/* qemu-binary: qemu-system-x86_64 */
	int	 console_port_base;	/* console-port-base: 9600 */
	char	*console_address;	/* console-address: 127.0.0.1 */
	int	 vnc_port_base;		/* vnc-port-base: 5900 */
	int	 console_privileged_ports; /* console-privileged-ports: no */
	/* xenconsoled (docs/CONSOLES.md) */
	char	*consoled_pid_file;	/* consoled-pid-file */
	char	*consoled_logfile;	/* consoled-logfile */
	char	*console_socket_dir;	/* console-socket-dir: DOMID.sock */
	char	*console_log_dir;	/* console-log-dir: NAME.log */
	int	 console_log_size;	/* console-log-size: rotate at (bytes) */
	int	 console_log_keep;	/* console-log-keep: rotated files kept */
	int	 console_ring_size;	/* console-ring-size: history (bytes) */
	int	 console_history_lines;	/* console-history-lines: on attach */
	char	*console_hosts_allow;	/* console-hosts-allow: '' (any) */
	int	 console_max_clients;	/* console-max-clients: per console */
	int	 console_client_stall;	/* console-client-stall (s): drop */
	int	 console_idle_timeout;	/* console-idle-timeout (s): 0 never */
	int	 console_keepalive;	/* console-keepalive (s): TCP probes */
	/* Console access (docs/SECURITY.md) */
	char	*console_group;		/* console-group: '' (root only) */
	char	*console_password_file;	/* console-password-file: '' */
	char	*xensv_address;		/* xensv-address: 127.0.0.1 */
	int	 xensv_port;		/* xensv-port: 8080 */
	/* xensv, the web console (docs/WEB.md) */
	char	*xensv_pid_file;	/* xensv-pid-file */
	char	*xensv_logfile;		/* xensv-logfile */
	char	*xensv_static_dir;	/* xensv-static-dir: '' (installed) */
	char	*xensv_users_file;	/* xensv-users-file: '' (DIR/xensv-users) */
	char	*xensv_image_dirs;	/* xensv-image-dirs */
	char	*xensv_script_dirs;	/* xensv-script-dirs */
	char	*xensv_save_dirs;	/* xensv-save-dirs */
	int	 xensv_max_connections;	/* xensv-max-connections: 1024 */
	int	 xensv_max_per_address;	/* xensv-max-connections-per-address */
	int	 xensv_timeout;		/* xensv-timeout (s): 30 */
	int	 xensv_max_body;	/* xensv-max-body (bytes) */
	int	 xensv_ws_max_message;	/* xensv-ws-max-message (bytes) */
	int	 xensv_session_idle;	/* xensv-session-idle (s) */
	int	 xensv_session_max;	/* xensv-session-max (s) */
	char	*xensv_tls_cert;	/* xensv-tls-cert: '' (plain HTTP) */
	char	*xensv_tls_key;		/* xensv-tls-key */
	int	 relocation_server;	/* xend-relocation-server: no */
	char	*relocation_address;	/* xend-relocation-address: '' */
	int	 relocation_port;	/* xend-relocation-port: 8002 */
	char	*relocation_hosts_allow; /* xend-relocation-hosts-allow: '' */
	int	 dom0_min_mem;		/* dom0-min-mem (MB): 256 */
	char	*network_script;	/* network-script: network-bridge */
	char	*vif_script;		/* vif-script: '' (built-in bridge add) */
	char	*default_bridge;	/* default-bridge: xenbr0 */
	char	*vif_prefix;		/* vif-prefix: vif (taps PREFIXD.N) */
	int	 vif_antispoof;		/* vif-antispoof: yes (nftables) */
	int	 restart_window;	/* restart-window (s): 20 */
	int	 restart_limit;		/* restart-limit: 5 per window */
	int	 shutdown_timeout;	/* shutdown-timeout (s): 60 */
	char	*cgroup_root;		/* cgroup-root: /sys/fs/cgroup */
	char	*cgroup_layout;		/* cgroup-layout: auto | v1 | v2 */
	char	*cgroup_parent;		/* cgroup-parent: xen */
	/* Guests, scripts and QEMU's privileges (docs/SECURITY.md). */
	int	 script_timeout;	/* script-timeout (s): 30 */
	int	 qemu_sandbox;		/* qemu-sandbox: yes (-sandbox on,...) */
	char	*qemu_user;		/* qemu-user: '' (root) or -runas USER */
};

/*
 * Loads $XEN_CONFIG_DIR/xend-config.sxp (or dir if not NULL) over the
 * defaults.  Unknown keys are warned about through warn (may be NULL),
 * never silently dropped.  Free with xendcfg_free.
 */
int	xendcfg_load(const char *dir, struct xendcfg *,
	    void (*warn)(const char *), char **cause);
void	xendcfg_free(struct xendcfg *);
/*
 * Calls warn with "KEY: accepted but not acted on in this version: WHY"
 * for each key cfg sets to other than its default that this version
 * accepts but does not act on (xend-relocation-server yes).
 */
void	xendcfg_inert(const struct xendcfg *, void (*warn)(const char *));

/* The key table: the loader, the defaults and the man page read it. */
enum xendcfg_type { XENDCFG_STR, XENDCFG_INT, XENDCFG_BOOL };
struct xendcfg_opt {
	const char		*name;
	enum xendcfg_type	 type;
	size_t			 off;
	const char		*dflt;
	long			 min, max;	/* XENDCFG_INT */
	const char		*help;		/* sentences, for the man page */
	const char		*inert;		/* why not acted on, or NULL */
};
extern const struct xendcfg_opt	xendcfg_opts[];
extern const size_t		xendcfg_nopts;

/*
 * The host-side name of a domain's interface: vif-prefix, domid, '.',
 * index ("vif3.0"), at most IFNAMSIZ-1 characters (the prefix is
 * checked at load to leave room for any domid and index).
 */
void	xendcfg_vif_name(const struct xendcfg *, int domid, int idx,
	    char *buf, size_t len);

/*
 * The sockets' paths, built here only (new strings, to free):
 * xend's API (xend-unix-path), xenconsoled's status socket and a
 * domain's console socket (console-socket-dir).
 */
char	*xendcfg_api_path(const struct xendcfg *);
char	*xendcfg_consoled_path(const struct xendcfg *);
char	*xendcfg_console_path(const struct xendcfg *, int domid);

#endif
