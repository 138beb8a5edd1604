/* util.c: helpers shared by xm's commands. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "xen-common.h"
#include "conmoved.h"
#include "xm.h"

int
xm_err(struct xm_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "xm %s: ", ctx->cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return (1);
}

void
xm_warn(struct xm_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "xm %s: warning: ", ctx->cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * The help of one command, on stdout: what -h, --help and "xm help CMD"
 * print alike.
 */
int
xm_help(struct xm_ctx *ctx)
{
	const struct xm_cmd	*c = ctx->cmd;

	printf("usage: xm %s%s%s\n\n%s.\n", c->name, *c->args != '\0' ?
	    " " : "", c->args, c->summary);
	if (c->alias != NULL)
		printf("Also: xm %s.\n", c->alias);
	if (c->old_name != NULL)
		printf("Xen 2.0 name: xm %s (deprecated).\n", c->old_name);
	if (*c->detail != '\0')
		printf("\n%s", c->detail);
	return (0);
}

int
xm_usage(struct xm_ctx *ctx)
{
	fprintf(stderr, "usage: xm %s%s%s\n", ctx->cmd->name,
	    *ctx->cmd->args != '\0' ? " " : "", ctx->cmd->args);
	fprintf(stderr, "try 'xm help %s' for more information\n",
	    ctx->cmd->name);
	return (2);
}

int
xm_has(struct xm_ctx *ctx, int opt)
{
	return (opt > 0 && opt < XM_OPT_MAX && ctx->opt[opt] != NULL);
}

const char *
xm_get(struct xm_ctx *ctx, int opt)
{
	return (opt > 0 && opt < XM_OPT_MAX ? ctx->opt[opt] : NULL);
}

int
xm_connect(struct xm_ctx *ctx, char **cause)
{
	if (ctx->client != NULL)
		return (0);
	return (xen_open(&ctx->cfg, &ctx->client, cause));
}

json_t *
xm_call(struct xm_ctx *ctx, const char *op, json_t *args)
{
	json_t	*result;
	char	*cause;

	if (xm_connect(ctx, &cause) != 0 ||
	    xen_call(ctx->client, op, args, &result, NULL, &cause) != 0) {
		xm_err(ctx, "%s", cause);
		free(cause);
		return (NULL);
	}
	return (result);
}

/* domain.list for the domains named in argv, or all. */
json_t *
xm_list_domains(struct xm_ctx *ctx, int argc, char **argv, int with_config)
{
	json_t	*doms = json_array();
	int	 i;

	for (i = 0; i < argc; i++)
		json_array_append_new(doms, json_string(argv[i]));
	return (xm_call(ctx, "domain.list", json_pack("{s:o, s:b}", "doms",
	    doms, "config", with_config)));
}

json_t *
xm_get_domain(struct xm_ctx *ctx, const char *dom)
{
	return (xm_call(ctx, "domain.get", json_pack("{s:s}", "dom", dom)));
}

char *
xm_format_uptime(double secs)
{
	long	 s = secs > 0 ? (long)secs : 0;
	long	 days = s / 86400;

	s %= 86400;
	if (days > 0)
		return (xsprintf("%ld day%s, %2ld:%02ld:%02ld", days,
		    days == 1 ? "" : "s", s / 3600, (s / 60) % 60, s % 60));
	return (xsprintf("%2ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60));
}

static struct termios	 saved_tio;
static int		 tio_saved;
static volatile sig_atomic_t console_signal;

static void
console_restore(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
		tio_saved = 0;
	}
}

static void
console_sig(int sig)
{
	console_signal = sig;
}

/* Seconds of output still shown after the end of input. */
#define CONSOLE_EOF_GRACE 2.0

/* What QEMU's socket chardev with telnet=on sends first, every time. */
static const unsigned char qemu_telnet_init[12] = {
	0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03, 0xff, 0xfb, 0x00, 0xff, 0xfd, 0x00
};

char *
xm_console_socket(struct xm_ctx *ctx, int domid)
{
	return (xendcfg_console_path(&ctx->cfg, domid));
}

int
xm_consoled_running(struct xm_ctx *ctx)
{
	char	*path, *cause;
	int	 fd;

	path = xendcfg_consoled_path(&ctx->cfg);
	fd = unix_connect(path, &cause);
	free(path);
	if (fd == -1) {
		free(cause);
		return (0);
	}
	close(fd);
	return (1);
}

json_t *
xm_consoled_list(struct xm_ctx *ctx)
{
	struct xen_client	*c;
	json_t			*list;
	char			*path, *cause;

	path = xendcfg_consoled_path(&ctx->cfg);
	if (xen_open_path(path, &c, &cause) != 0) {
		free(cause);
		free(path);
		return (NULL);
	}
	free(path);
	if (xen_call(c, "consoles.list", NULL, &list, NULL, &cause) != 0) {
		free(cause);
		list = NULL;
	}
	xen_close(c);
	return (list);
}

json_t *
xm_consoled_find(json_t *list, int domid)
{
	json_t	*con;
	size_t	 i;

	json_array_foreach(list, i, con) {
		if (json_integer_value(json_object_get(con, "domid")) == domid)
			return (con);
	}
	return (NULL);
}

/*
 * A console socket is only as good as the directory it is in: someone
 * who may create files there may stand in for xenconsoled (or QEMU).
 */
static int
console_dir_trusted(const char *path, char **cause)
{
	struct stat	 st;
	char		*dir, *slash;
	int		 rc = 0;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
		*slash = '\0';
	if (stat(dir, &st) != 0)
		rc = 0;		/* connect says what is wrong */
	else if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 022) != 0) {
		*cause = xsprintf("%s is owned by uid %d, mode %03o: others "
		    "may put a socket there; not trusting it", dir,
		    (int)st.st_uid, (unsigned)(st.st_mode & 0777));
		rc = -1;
	}
	free(dir);
	return (rc);
}

/* The process behind a console socket must be root's (or ours). */
static int
console_peer_trusted(int fd, const char *path, char **cause)
{
	struct ucred	 cr;
	socklen_t	 len = sizeof cr;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
		*cause = xsprintf("%s: %s", path, strerror(errno));
		return (-1);
	}
	if (cr.uid != 0 && cr.uid != geteuid()) {
		*cause = xsprintf("%s is served by pid %d of uid %d, not by "
		    "xenconsoled (uid 0): not attaching", path, (int)cr.pid,
		    (int)cr.uid);
		return (-1);
	}
	return (0);
}

/* Connects to a console socket after checking who is behind it. */
static int
console_connect_trusted(const char *path, char **cause)
{
	int	 fd;

	if (console_dir_trusted(path, cause) != 0)
		return (-2);
	if ((fd = unix_connect(path, cause)) == -1)
		return (-1);
	if (console_peer_trusted(fd, path, cause) != 0) {
		close(fd);
		return (-2);
	}
	return (fd);
}

/*
 * The domain's console through xenconsoled (its unix socket), or, if
 * xenconsoled is not running, QEMU's own socket (*direct set).  A domain
 * just created may not have its xenconsoled socket yet: wait a little.
 */
static int
console_open(struct xm_ctx *ctx, json_t *dom, int *direct)
{
	const char	*qpath = json_string_value(json_object_get(dom,
			    "console_path"));
	const char	*name = json_string_value(json_object_get(dom, "name"));
	int		 domid = json_integer_value(json_object_get(dom,
			    "domid"));
	char		*path, *cause = NULL;
	double		 deadline = time_mono() + 5;
	int		 fd;

	*direct = 0;
	path = xm_console_socket(ctx, domid);
	for (;;) {
		free(cause);
		cause = NULL;
		if ((fd = console_connect_trusted(path, &cause)) >= 0) {
			free(path);
			return (fd);
		}
		if (fd == -2) {
			xm_err(ctx, "%s", cause);
			free(cause);
			free(path);
			return (-1);
		}
		if (!xm_consoled_running(ctx))
			break;
		if (time_mono() > deadline) {
			xm_err(ctx, "xenconsoled has no console for %s: %s",
			    name, cause);
			free(cause);
			free(path);
			return (-1);
		}
		usleep(50000);
	}
	free(cause);
	free(path);
	if (qpath == NULL) {
		xm_err(ctx, "domain has no console");
		return (-1);
	}
	xm_warn(ctx, "xenconsoled is not running ('xenconsoled start'); "
	    "attaching to QEMU's console directly: one client at a time, no "
	    "history");
	if ((fd = console_connect_trusted(qpath, &cause)) < 0) {
		xm_err(ctx, "cannot attach to console of %s: %s", name, cause);
		free(cause);
		return (-1);
	}
	*direct = 1;
	return (fd);
}

/*
 * Someone else on the domain's TCP port: xm console still works (unix
 * socket), but whoever uses telnet or xencons there meets that process.
 */
static void
console_warn_squatter(struct xm_ctx *ctx, json_t *dom)
{
	json_t		*list, *con, *holder;
	int		 domid = json_integer_value(json_object_get(dom,
			    "domid"));

	if ((list = xm_consoled_list(ctx)) == NULL)
		return;
	con = xm_consoled_find(list, domid);
	if ((holder = json_object_get(con, "port_holder")) != NULL)
		xm_warn(ctx, "console port %lld is held by uid %lld, not by "
		    "xenconsoled: telnet and xencons there do not reach %s",
		    (long long)json_integer_value(json_object_get(con,
		    "port")), (long long)json_integer_value(holder),
		    json_string_value(json_object_get(dom, "name")));
	json_decref(list);
}

int
xm_exec_beside(struct xm_ctx *ctx, const char *what,
    const char *const *places, size_t nplaces, char **argv)
{
	char	 self[PATH_MAX], *dir, *path, *tried = NULL, *tmp;
	ssize_t	 n;
	size_t	 i;

	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) <= 0)
		return (xm_err(ctx, "cannot find myself: /proc/self/exe: %s",
		    strerror(errno)));
	self[n] = '\0';
	dir = dirname(self);
	for (i = 0; i < nplaces; i++) {
		xasprintf(&path, "%s/%s", dir, places[i]);
		if (access(path, X_OK) == 0) {
			free(tried);
			execv(path, argv);
			xm_err(ctx, "cannot run %s: %s", path, strerror(errno));
			free(path);
			return (1);
		}
		xasprintf(&tmp, "%s%s%s", tried != NULL ? tried : "",
		    tried != NULL ? ", " : "", path);
		free(tried);
		tried = tmp;
		free(path);
	}
	xm_err(ctx, "%s is not installed: looked for %s", what, tried);
	free(tried);
	return (1);
}

/* xencons beside an installed xm, and in the build tree. */
static const char *const xencons_places[] = { "xencons",
    "../../consoled/xencons/xencons" };

/*
 * The console closed on xenconsoled's "moved" notice: if the domain is no
 * longer here (so the notice is xenconsoled's, not a guest's imitation),
 * xencons takes over on the new host's console port.  -1 if not following;
 * else returns only if xencons could not be run (1).
 */
static int
console_follow(struct xm_ctx *ctx, const char *name,
    const struct conmoved_tail *tail)
{
	char		*host, *cause = NULL, port[16];
	char		*argv[] = { (char *)"xencons", NULL, NULL, NULL };
	json_t		*res = NULL;
	int		 p, rc;

	if (conmoved_parse(tail, &host, &p) != 0)
		return (-1);
	if (xen_call(ctx->client, "domain.get", json_pack("{s:s}", "dom",
	    name), &res, NULL, &cause) == 0) {
		json_decref(res);
		xm_warn(ctx, "%s is still on this host: not following it to "
		    "%s", name, host);
		free(host);
		return (-1);
	}
	free(cause);
	snprintf(port, sizeof port, "%d", p);
	fprintf(stderr, "[following %s to %s port %s]\r\n", name, host, port);
	argv[1] = host;
	argv[2] = port;
	rc = xm_exec_beside(ctx, "xencons", xencons_places,
	    nitems(xencons_places), argv);
	free(host);
	return (rc);
}

/*
 * Attaches to a domain's console through xenconsoled's unix socket for
 * it (console-socket-dir/DOMID.sock): history first, then live output;
 * ^E c commands are xenconsoled's.  Ctrl-] (0x1d) detaches, as in telnet
 * and xencons.
 */
int
xm_console_attach(struct xm_ctx *ctx, json_t *dom, int follow, int quiet,
    int unpause)
{
	struct conmoved_tail tail = { .len = 0 };
	const char	*name = json_string_value(json_object_get(dom, "name"));
	char		 buf[4096], ebuf[8192];
	struct termios	 raw;
	struct pollfd	 pf[2];
	struct sigaction sa;
	ssize_t		 n, i, j;
	size_t		 init = 0, skip;
	int		 fd, in_open = 1, rc = 0, tty = isatty(STDIN_FILENO);
	int		 direct, telnet = -1, wait_ms;
	double		 eof_at = 0;

	if ((fd = console_open(ctx, dom, &direct)) == -1)
		return (1);
	if (!direct) {
		telnet = 0;
		if (!quiet)
			console_warn_squatter(ctx, dom);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = console_sig;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (tty && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		tio_saved = 1;
		atexit(console_restore);
		raw = saved_tio;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	}
	if (!quiet && tty)
		fprintf(stderr, "[attached to %s, Ctrl-] detaches]\r\n", name);
	/* xm create -c: the guest runs only once we listen, so no byte is lost. */
	if (unpause) {
		json_t *r = xm_call(ctx, "domain.unpause", json_pack("{s:O}",
		    "dom", json_object_get(dom, "domid")));
		if (r == NULL) {
			close(fd);
			console_restore();
			return (1);
		}
		json_decref(r);
	}

	while (!console_signal) {
		/*
		 * End of input (a script, < /dev/null): show what the guest
		 * says for a moment, as xenconsoled does for telnet clients,
		 * then detach; the domain runs on.
		 */
		wait_ms = -1;
		if (eof_at != 0) {
			wait_ms = (int)((eof_at + CONSOLE_EOF_GRACE -
			    time_mono()) * 1000);
			if (wait_ms <= 0) {
				console_restore();
				if (!quiet)
					fprintf(stderr, "[end of input: "
					    "detached from %s, which keeps "
					    "running]\n", name);
				break;
			}
		}
		pf[0].fd = in_open ? STDIN_FILENO : -1;
		pf[0].events = POLLIN;
		pf[1].fd = fd;
		pf[1].events = POLLIN;
		if (poll(pf, 2, wait_ms) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, buf, sizeof buf);
			if (n <= 0) {
				console_restore();
				if (follow && !direct && n == 0 &&
				    (rc = console_follow(ctx, name,
				    &tail)) != -1) {
					close(fd);
					return (rc);
				}
				rc = 0;
				if (!quiet)
					fprintf(stderr, "\r\n[console of %s "
					    "closed]\r\n", name);
				break;
			}
			/* Direct to QEMU: its telnet opening is not output. */
			for (skip = 0; telnet == -1 && skip < (size_t)n;
			    skip++) {
				if ((unsigned char)buf[skip] !=
				    qemu_telnet_init[init]) {
					telnet = 0;
					fd_write_all(STDOUT_FILENO,
					    (const char *)qemu_telnet_init,
					    init);
					break;
				}
				if (++init == sizeof qemu_telnet_init)
					telnet = 1;
			}
			if (!direct)
				conmoved_feed(&tail, buf, n);
			if (skip < (size_t)n && fd_write_all(STDOUT_FILENO,
			    buf + skip, n - skip) != 0)
				break;
		}
		if (in_open && (pf[0].revents & (POLLIN | POLLHUP | POLLERR |
		    POLLNVAL))) {
			n = read(STDIN_FILENO, buf, sizeof buf);
			if (n <= 0) {
				in_open = 0;
				eof_at = time_mono();
				continue;
			}
			for (i = 0; i < n && buf[i] != 0x1d; i++)
				;
			/* QEMU speaking telnet wants 0xFF doubled. */
			for (j = 0, skip = 0; j < i; j++) {
				ebuf[skip++] = buf[j];
				if (telnet == 1 && (unsigned char)buf[j] == 0xff)
					ebuf[skip++] = buf[j];
			}
			if (skip > 0 && fd_write_all(fd, ebuf, skip) != 0) {
				rc = xm_err(ctx, "console write failed");
				break;
			}
			if (i < n) {
				console_restore();
				if (tty)
					fprintf(stderr, "\r\n[detached from "
					    "%s]\r\n", name);
				break;
			}
		}
	}
	close(fd);
	console_restore();
	return (rc);
}

/* For commands that take exactly one DOM and call one op on it. */
int
xm_dom_op(struct xm_ctx *ctx, const char *dom, const char *op)
{
	json_t	*r;

	if ((r = xm_call(ctx, op, json_pack("{s:s}", "dom", dom))) == NULL)
		return (1);
	json_decref(r);
	return (0);
}
