/*
 * precheck.c: what xm create can be refused for before QEMU runs, so the
 * user gets a reason instead of QEMU's raw message, and a refused create
 * takes no domain id and leaves no state behind.
 *
 * Console ports.  A domain's console is served by xenconsoled on its
 * config's 'console = PORT', or on console-port-base + domid; graphical
 * ones on vnc-port-base + domid.  An explicit port that is privileged
 * (unless console-privileged-ports), another domain's, or held by another
 * program is refused: the user asked for that port and cannot have it.  A
 * default port that another program (or another domain's explicit port)
 * holds is not the user's doing, so that domain id is passed over, with a
 * note in xm dmesg, and the console stays on port base + domid as the
 * manual says.  Either way xm create never names a port nobody serves.
 * (Another program may still take a port between the check and
 * xenconsoled's listen; xenconsoled then retries and says so in its log.)
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <net/if.h>
#include <netdb.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "domcfg.h"
#include "kimage.h"
#include "xend.h"

int
precheck_console_port(const struct domcfg *config, int domid)
{
	if (config->console != DOMCFG_UNSET)
		return ((int)config->console);
	return (xend_cfg.console_port_base + domid);
}

/*
 * 1 if a socket of someone else holds addr:port (bind says EADDRINUSE), 0
 * if it is free or that cannot be told (no such address, no permission).
 */
static int
port_taken(const char *addr, int port)
{
	struct addrinfo	 hints, *ai;
	char		 serv[16];
	int		 fd, one = 1, taken;

	if (port < 1 || port > 65535)
		return (0);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(serv, sizeof serv, "%d", port);
	if (getaddrinfo(*addr != '\0' ? addr : NULL, serv, &hints, &ai) != 0)
		return (0);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		freeaddrinfo(ai);
		return (0);
	}
	/* As xenconsoled binds: a closed connection's TIME_WAIT is no owner. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	taken = bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
	    errno == EADDRINUSE;
	close(fd);
	freeaddrinfo(ai);
	return (taken);
}

/* The domain whose console is on port, or NULL. */
static struct domain *
port_domain(int port)
{
	struct domain	*d;

	TAILQ_FOREACH(d, &domains, entry) {
		if (precheck_console_port(d->config, d->domid) == port)
			return (d);
	}
	return (NULL);
}

static int
check_console(const struct domcfg *config, char **cause)
{
	struct domain	*d;
	int		 port;

	if (config->console == DOMCFG_UNSET)
		return (0);
	port = (int)config->console;
	if (port < 1024 && !xend_cfg.console_privileged_ports) {
		*cause = xsprintf("console port %d is privileged (below 1024); "
		    "set (console-privileged-ports yes) in xend-config.sxp to "
		    "allow it", port);
		return (-1);
	}
	if ((d = port_domain(port)) != NULL) {
		*cause = xsprintf("console port %d is already used by domain "
		    "%s", port, d->name);
		return (-1);
	}
	if (port_taken(xend_cfg.console_address, port)) {
		*cause = xsprintf("console port %d is in use on %s by another "
		    "program", port, xend_cfg.console_address);
		return (-1);
	}
	return (0);
}

/*
 * An HVM domain's vncdisplay N (port vnc-port-base + N) that another
 * domain or program holds: with vncunused (the default) the screen goes
 * to vnc-port-base + domid instead, as Xen finds an unused display; with
 * vncunused = 0 the create is refused.
 */
static int
check_vncdisplay(struct domcfg *config, char **cause)
{
	struct domain	*d;
	const char	*who = NULL;
	char		*other = NULL;
	int		 port;

	if (!hvm_is(config) || !config->vnc ||
	    config->vncdisplay == DOMCFG_UNSET)
		return (0);
	port = xend_cfg.vnc_port_base + (int)config->vncdisplay;
	TAILQ_FOREACH(d, &domains, entry) {
		if (d->config->vnc && hvm_vnc_port(d->config, d->domid) ==
		    port) {
			other = xsprintf("domain %s", d->name);
			who = other;
			break;
		}
	}
	if (who == NULL && port_taken(xend_cfg.console_address, port))
		who = "another program";
	if (who == NULL)
		return (0);
	if (config->vncunused) {
		dmesg_add("domain %s: vncdisplay %ld (port %d) is in use by "
		    "%s: its screen goes to vnc-port-base + its id (vncunused)",
		    config->name, config->vncdisplay, port, who);
		config->vncdisplay = DOMCFG_UNSET;
		free(other);
		return (0);
	}
	*cause = xsprintf("vncdisplay %ld: VNC port %d is in use by %s (set "
	    "vncunused = 1 to take a free one)", config->vncdisplay, port, who);
	free(other);
	return (-1);
}

static int
check_ramdisk(const char *path, char **cause)
{
	struct stat	 st;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) != 0) {
		*cause = xsprintf("ramdisk %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		*cause = xsprintf("ramdisk %s is not a regular file", path);
		return (-1);
	}
	return (0);
}

/* The guest boots with maxmem (the balloon then holds it to memory). */
static int
check_memory(const struct domcfg *config, char **cause)
{
	struct host_info	 h;
	long long		 maxmem = config->maxmem;
	int			 rc = 0;

	host_read(&h);
	if (h.total_mb > 0 && maxmem > h.total_mb) {
		*cause = xsprintf("maxmem = %lld MB is more than this host's "
		    "%ld MB of memory", maxmem, h.total_mb);
		rc = -1;
	}
	host_free(&h);
	return (rc);
}

int
precheck_config(struct domcfg *config, char **cause)
{
	const char	*kernel = config->kernel, *ramdisk = config->ramdisk;

	if (hvm_is(config)) {
		if (hvm_check(config, cause) != 0)
			return (-1);
	} else if (kimage_check(kernel, ramdisk != NULL, cause) != 0)
		return (-1);
	if (ramdisk != NULL && check_ramdisk(ramdisk, cause) != 0)
		return (-1);
	if (check_vncdisplay(config, cause) != 0 ||
	    check_memory(config, cause) != 0 ||
	    check_console(config, cause) != 0)
		return (-1);
	return (0);
}

int
precheck_ports_busy(const struct domcfg *config, int domid, char **why)
{
	struct domain	*d;
	int		 port;

	if (config->console == DOMCFG_UNSET) {
		port = xend_cfg.console_port_base + domid;
		if ((d = port_domain(port)) != NULL) {
			*why = xsprintf("console port %d is domain %s's", port,
			    d->name);
			return (1);
		}
		if (port_taken(xend_cfg.console_address, port)) {
			*why = xsprintf("console port %d is in use on %s by "
			    "another program", port, xend_cfg.console_address);
			return (1);
		}
	}
	/* An explicit vncdisplay was settled by precheck_config. */
	if (config->vnc && (!hvm_is(config) ||
	    config->vncdisplay == DOMCFG_UNSET)) {
		port = xend_cfg.vnc_port_base + domid;
		if (port_taken(xend_cfg.console_address, port)) {
			*why = xsprintf("VNC port %d is in use on %s by another "
			    "program", port, xend_cfg.console_address);
			return (1);
		}
	}
	return (0);
}

int
precheck_domid(const struct domcfg *config, int domid, char **cause)
{
	char	 vif[IFNAMSIZ];
	size_t	 i;

	/* QEMU would take a leftover tap over, with its old bridge and all. */
	for (i = 0; i < config->nvifs; i++) {
		network_vif_name(&config->vifs[i], domid, (int)i, vif,
		    sizeof vif);
		if (if_nametoindex(vif) != 0) {
			*cause = xsprintf("network interface %s (domain %d's "
			    "vif %zu) already exists; remove it ('ip link "
			    "delete %s') and create again", vif, domid, i,
			    vif);
			return (-1);
		}
	}
	return (0);
}
