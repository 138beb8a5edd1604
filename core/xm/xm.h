/*
 * xm.h: the xm command-line tool.  One file per command (cmd-NAME.c), each
 * exporting a const struct xm_cmd gathered in the table in xm.c.
 */
#ifndef XM_H
#define XM_H

#include <getopt.h>

#include <jansson.h>

#include "client.h"
#include "xendcfg.h"

struct xm_ctx;

/* Shared preconditions, so handlers do not repeat them. */
#define XM_XEND		0x1	/* connect to xend before the handler */

/* Option values: characters, and XM_LONG + n for long-only options. */
#define XM_LONG		0x100
#define XM_OPT_MAX	0x120

/*
 * One command.  xm.c parses its arguments from the spec (options,
 * longopts, min_args, max_args) before the handler runs: -h and --help
 * print the help (exit 0), a bad option or a wrong number of arguments
 * prints the usage (exit 2), "--" ends the options.  The handler gets the
 * positional arguments only; the options through xm_has and xm_get.
 */
struct xm_cmd {
	const char	*name;
	const char	*alias;		/* another accepted name, or NULL */
	const char	*old_name;	/* Xen 2.0 name: accepted with a warning */
	const char	*args;		/* usage after the name */
	const char	*summary;	/* one line for "xm help" */
	const char	*detail;	/* options, for "xm help CMD" */
	const char	*options;	/* getopt letters (no 'h'), or NULL */
	const struct option *longopts;	/* ends with { NULL }, or NULL */
	int		 min_args;	/* positional arguments */
	int		 max_args;	/* -1: any number */
	int		 flags;
	int		(*exec)(struct xm_ctx *, int argc, char **argv);
};

struct xm_ctx {
	const struct xm_cmd	*cmd;
	const char		*invoked;	/* the name as typed ("pincpu") */
	struct xendcfg		 cfg;
	struct xen_client	*client;	/* with XM_XEND */
	/* Options given: NULL if not, else the value ("" without one). */
	const char		*opt[XM_OPT_MAX];
	/* The command line after the command name, as given (xm top). */
	int			 raw_argc;
	char			**raw_argv;
};

/* table.c */
const struct xm_cmd	*xm_lookup(const char *name, char **cause);
extern const struct xm_cmd *xm_commands[];
/* The unavailable commands of the manuals, NULL-terminated, and why. */
struct xm_unavailable {
	const char	*name;
	const char	*why;
};
extern const struct xm_unavailable xm_unavailable[];

/* run.c: the whole of xm after argv[0]; returns the exit code. */
int	 xm_run(int argc, char **argv);
/*
 * Parses argv (argv[0] the command name) by ctx->cmd's spec into
 * ctx->opt; *first is the first positional argument.  0: parsed, 1: help
 * asked for, -1: a usage error (said on stderr).
 */
int	 xm_args_parse(struct xm_ctx *, int argc, char **argv, int *first);

/* util.c */
int	 xm_err(struct xm_ctx *, const char *fmt, ...)
	     __attribute__((format(printf, 2, 3)));	/* returns 1 */
int	 xm_usage(struct xm_ctx *);			/* returns 2 */
int	 xm_help(struct xm_ctx *);			/* returns 0 */
void	 xm_warn(struct xm_ctx *, const char *fmt, ...)
	     __attribute__((format(printf, 2, 3)));
int	 xm_connect(struct xm_ctx *, char **cause);
/* Calls op and prints the error itself; returns the result or NULL. */
json_t	*xm_call(struct xm_ctx *, const char *op, json_t *args);
json_t	*xm_get_domain(struct xm_ctx *, const char *dom);
/* domain.list of argv (all if argc is 0); with_config: each config. */
json_t	*xm_list_domains(struct xm_ctx *, int argc, char **argv,
	     int with_config);
/* Whether option opt was given, and its value (NULL if not given). */
int	 xm_has(struct xm_ctx *, int opt);
const char *xm_get(struct xm_ctx *, int opt);
char	*xm_format_uptime(double seconds);
/* xenconsoled's unix socket for a domain's console; caller frees. */
char	*xm_console_socket(struct xm_ctx *, int domid);
/* Whether xenconsoled answers on its status socket. */
int	 xm_consoled_running(struct xm_ctx *);
/* xenconsoled's consoles.list (caller decrefs), or NULL if not running. */
json_t	*xm_consoled_list(struct xm_ctx *);
/* The entry for domid in such a list (borrowed), or NULL. */
json_t	*xm_consoled_find(json_t *list, int domid);
/* Attaches to a domain's console until Ctrl-] or the domain ends. */
/*
 * Runs argv with the first of places (relative to this xm's directory)
 * that exists; returns only on failure, with the error said (1).
 */
int	 xm_exec_beside(struct xm_ctx *, const char *what,
	     const char *const *places, size_t nplaces, char **argv);
/* follow: a domain that migrates away is followed there (xencons). */
int	 xm_console_attach(struct xm_ctx *, json_t *domain, int follow,
	     int quiet, int unpause);
/* For commands that take one DOM and call op on it. */
int	 xm_dom_op(struct xm_ctx *, const char *dom, const char *op);
/* job.c: calls op and shows its job.progress (jobop, file) till the reply. */
json_t	*xm_job_run(struct xm_ctx *, const char *op, json_t *args,
	     const char *jobop, const char *file, const char *verb);
/* cmd-shutdown.c, shared with reboot. */
int	 xm_shutdown_common(struct xm_ctx *, int argc, char **argv,
	     const char *mode);
extern const struct option xm_shutdown_longopts[];

#define XM_CMD(n) extern const struct xm_cmd cmd_##n
XM_CMD(call); XM_CMD(console); XM_CMD(consoles); XM_CMD(create);
XM_CMD(destroy);
XM_CMD(dmesg); XM_CMD(domid); XM_CMD(domname); XM_CMD(help); XM_CMD(info);
XM_CMD(list); XM_CMD(log); XM_CMD(pause); XM_CMD(reboot); XM_CMD(rename);
XM_CMD(shutdown); XM_CMD(unpause); XM_CMD(uptime);
XM_CMD(mem_set); XM_CMD(mem_max); XM_CMD(vcpu_set); XM_CMD(vcpu_list);
XM_CMD(vcpu_pin); XM_CMD(sched_credit); XM_CMD(sched_sedf); XM_CMD(bvt);
XM_CMD(atropos); XM_CMD(top);
XM_CMD(network_list); XM_CMD(network_attach); XM_CMD(network_detach);
XM_CMD(vnet_create); XM_CMD(vnet_list); XM_CMD(vnet_delete);
XM_CMD(block_attach); XM_CMD(block_detach); XM_CMD(block_list);
XM_CMD(save); XM_CMD(restore); XM_CMD(migrate);
#undef XM_CMD

/* cmd-network-list.c: d's "network" as (network (vif (devid N) ...)). */
struct sxp;
void	 xm_network_sxp(struct sxp *, json_t *d);

#endif
