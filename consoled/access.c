/*
 * access.c: who may use a console (docs/SECURITY.md).
 *
 * A client from this host (loopback or one of the host's addresses) is
 * who owns its end of the connection, as the kernel says (sockdiag.c for
 * TCP, SO_PEERCRED for unix sockets): root, xenconsoled's own user and
 * members of console-group (by the group database) get in, nobody else.
 * A client from elsewhere must match console-hosts-allow and then give a
 * password: the console's crypt(3) hash from console-password-file for
 * telnet, the domain's vncpasswd for VNC.
 *
 * Wrong passwords earn their source (a remote address, or a local uid) an
 * exponential back-off, shared by every console and VNC server, during
 * which it is refused before any password is looked at.
 *
 * Called from the main loop and from the VNC threads: the back-off table
 * has a lock; the rest reads only the configuration.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "xendcfg.h"
#include "consoled.h"

/* Whether uid is a member of group (primary or supplementary). */
static int
access_in_group(uid_t uid, const char *group)
{
	struct passwd	 pw, *pwp;
	struct group	 gr, *grp;
	char		*buf;
	gid_t		*groups, gid;
	long		 size;
	int		 n = 64, i, found = 0;

	if (*group == '\0')
		return (0);
	if ((size = sysconf(_SC_GETPW_R_SIZE_MAX)) < 16384)
		size = 16384;
	buf = xmalloc(size);
	if (getgrnam_r(group, &gr, buf, size, &grp) != 0 || grp == NULL) {
		free(buf);
		return (0);
	}
	gid = grp->gr_gid;
	if (getpwuid_r(uid, &pw, buf, size, &pwp) != 0 || pwp == NULL) {
		free(buf);
		return (0);
	}
	if (pw.pw_gid == gid)
		found = 1;
	groups = xreallocarray(NULL, n, sizeof *groups);
	if (!found && getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) == -1) {
		groups = xreallocarray(groups, n, sizeof *groups);
		if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) == -1)
			n = 0;
	}
	for (i = 0; !found && i < n; i++)
		found = groups[i] == gid;
	free(groups);
	free(buf);
	return (found);
}

int
access_uid_allowed(uid_t uid)
{
	if (uid == 0 || uid == geteuid())
		return (1);
	return (access_in_group(uid, cd_cfg.console_group));
}

static void
access_deny_uid(struct access *a)
{
	if (*cd_cfg.console_group != '\0')
		snprintf(a->why, sizeof a->why, "access denied: uid %ld is not "
		    "root or in group %s", a->uid, cd_cfg.console_group);
	else
		snprintf(a->why, sizeof a->why, "access denied: uid %ld is not "
		    "root", a->uid);
	a->verdict = ACCESS_DENY;
}

void
access_tcp(int fd, const char *addr, struct access *a)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof ss;
	uid_t			 uid;
	char			*cause;

	memset(a, 0, sizeof *a);
	a->uid = -1;
	memset(&ss, 0, sizeof ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0) {
		snprintf(a->why, sizeof a->why, "access denied: %s",
		    strerror(errno));
		a->verdict = ACCESS_DENY;
		return;
	}
	a->local = sockdiag_addr_local((struct sockaddr *)&ss);
	if (a->local) {
		if (sockdiag_peer_uid(fd, 0, &uid, &cause) != 0) {
			snprintf(a->why, sizeof a->why, "access denied: "
			    "cannot tell who you are (%s)", cause);
			free(cause);
			a->verdict = ACCESS_DENY;
			return;
		}
		a->uid = uid;
		snprintf(a->key, sizeof a->key, "uid %ld", a->uid);
		snprintf(a->who, sizeof a->who, "uid %ld", a->uid);
		if (!access_uid_allowed(uid))
			access_deny_uid(a);
		else
			a->verdict = ACCESS_ALLOW;
		return;
	}
	snprintf(a->key, sizeof a->key, "%s", addr);
	snprintf(a->who, sizeof a->who, "%s", addr);
	if (!hosts_allowed(addr)) {
		snprintf(a->why, sizeof a->why, "access denied: %s is not in "
		    "console-hosts-allow", addr);
		a->verdict = ACCESS_DENY;
		return;
	}
	a->verdict = ACCESS_PASSWORD;
}

void
access_unix(int fd, struct access *a)
{
	struct ucred	 cr;
	socklen_t	 len = sizeof cr;

	memset(a, 0, sizeof *a);
	a->local = 1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
		snprintf(a->why, sizeof a->why, "access denied: %s",
		    strerror(errno));
		a->uid = -1;
		a->verdict = ACCESS_DENY;
		return;
	}
	a->uid = cr.uid;
	snprintf(a->key, sizeof a->key, "uid %ld", a->uid);
	snprintf(a->who, sizeof a->who, "uid %ld", a->uid);
	if (!access_uid_allowed(cr.uid))
		access_deny_uid(a);
	else
		a->verdict = ACCESS_ALLOW;
}

/* ---- console-password-file: NAME:HASH lines, '*' for any console ---- */

int
access_password(const char *console, char **hash, char **cause)
{
	const char	*path = cd_cfg.console_password_file;
	struct stat	 st;
	char		*text, *line, *save, *colon, *any = NULL;
	size_t		 len;

	*hash = NULL;
	if (*path == '\0')
		return (1);
	if (file_read(path, &text, &len, cause) != 0)
		return (-1);
	/* Whoever may write it may let anyone in. */
	if (stat(path, &st) != 0 || (st.st_uid != 0 && st.st_uid != geteuid())
	    || (st.st_mode & 022) != 0) {
		*cause = xsprintf("%s: not used: must be owned by root and "
		    "writable by it alone", path);
		free(text);
		return (-1);
	}
	for (line = strtok_r(text, "\n", &save); line != NULL && *hash == NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "\r")] = '\0';
		if (*line == '#' || (colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		if (strcmp(line, console) == 0)
			*hash = xstrdup(colon + 1);
		else if (strcmp(line, "*") == 0 && any == NULL)
			any = xstrdup(colon + 1);
	}
	free(text);
	if (*hash == NULL)
		*hash = any;
	else
		free(any);
	return (*hash != NULL ? 0 : 1);
}


void
access_init(void)
{
	char		*hash, *cause;

	if (*cd_cfg.console_group != '\0' &&
	    getgrnam(cd_cfg.console_group) == NULL)
		log_warn("console-group %s: no such group; only root may use "
		    "the consoles", cd_cfg.console_group);
	if (access_password("*", &hash, &cause) == -1) {
		log_warn("console-password-file: %s", cause);
		free(cause);
	}
	free(hash);
	if (*cd_cfg.console_hosts_allow == '\0')
		log_info("console access: root%s%s on this host; no other host",
		    *cd_cfg.console_group != '\0' ? " and group " : " only",
		    cd_cfg.console_group);
	else
		log_info("console access: root%s%s on this host; hosts "
		    "matching '%s' with a password",
		    *cd_cfg.console_group != '\0' ? " and group " : "",
		    cd_cfg.console_group, cd_cfg.console_hosts_allow);
}
