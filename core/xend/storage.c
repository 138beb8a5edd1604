/*
 * storage.c: a domain's disks on the host.
 *
 * A disk line's uname (phy:/dev/X, file:/P, qcow2:/P, as domcfg.c writes
 * them) becomes a host path, a QEMU driver and an image format, and is
 * checked before QEMU runs: the path must exist, be what its type says
 * (phy: a block device, file: and qcow2: a regular file) and open in the
 * disk's mode.  A file: is probed: a qcow2 header makes it a qcow2 image,
 * but only one without a backing file (a guest that can write a raw image
 * could otherwise make it name any host file as its backing; qcow2: says
 * the owner knows it is one).
 *
 * Then the manual's sharing rule, across every domain on the host and
 * domain 0's own mounts: a disk that one user writes is refused to every
 * other, readers share, and 'w!' (on either side) forces.  Two names for
 * one disk are one disk: each disk is followed down to what it is built on
 * (symlinks and device numbers, a loop device to its backing file, a
 * partition to its disk, a device-mapper or md volume to its slaves), and
 * two disks overlap when one is, or is part of, what the other is.  Two
 * partitions of one disk, or two logical volumes of one volume group, do
 * not overlap; a partition and its disk do.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "xend.h"

#define STORAGE_MAX_KEYS	32
#define STORAGE_MAX_DEPTH	8
#define QCOW_MAGIC		"QFI\xfb"

/* A block device (a = major, b = minor) or a file (a = st_dev, b = ino). */
struct skey {
	char			 type;		/* 'b' or 'f' */
	unsigned long long	 a, b;
};

/*
 * What a disk is (eq: its own key, and its loop device's backing file)
 * and everything it is, or is part of (anc: eq, plus the disk of a
 * partition, the slaves of a volume, recursively).
 */
struct storage_obj {
	struct skey	 eq[STORAGE_MAX_KEYS];
	int		 neq;
	struct skey	 anc[STORAGE_MAX_KEYS];
	int		 nanc;
};

static int	obj_add_blk(struct storage_obj *, unsigned, unsigned, int eq,
		    int depth);
static int	access_sysfs(const char *dir, const char *name);
static char	*mountinfo_unescape(const char *);
static int	storage_open_quiet(const struct sdisk *, struct disk_info *);

static int
skey_eq(const struct skey *x, const struct skey *y)
{
	return (x->type == y->type && x->a == y->a && x->b == y->b);
}

static void
obj_add(struct storage_obj *o, struct skey k, int eq)
{
	int	 i;

	for (i = 0; i < o->nanc; i++) {
		if (skey_eq(&o->anc[i], &k))
			goto eq;
	}
	if (o->nanc < STORAGE_MAX_KEYS)
		o->anc[o->nanc++] = k;
eq:
	if (!eq)
		return;
	for (i = 0; i < o->neq; i++) {
		if (skey_eq(&o->eq[i], &k))
			return;
	}
	if (o->neq < STORAGE_MAX_KEYS)
		o->eq[o->neq++] = k;
}

static void
obj_add_file(struct storage_obj *o, const struct stat *st, int eq)
{
	struct skey	 k = { 'f', st->st_dev, st->st_ino };

	obj_add(o, k, eq);
}

/* One line of a sysfs file, without its newline; NULL if unreadable. */
static char *
sysfs_line(const char *fmt, ...)
{
	va_list	 ap;
	char	*path, buf[PATH_MAX + 32], *nl;
	FILE	*f;

	va_start(ap, fmt);
	xvasprintf(&path, fmt, ap);
	va_end(ap);
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return (NULL);
	if (fgets(buf, sizeof buf, f) == NULL) {
		fclose(f);
		return (NULL);
	}
	fclose(f);
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	return (xstrdup(buf));
}

static int
parse_majmin(const char *s, unsigned *maj, unsigned *min)
{
	return (s != NULL && sscanf(s, "%u:%u", maj, min) == 2 ? 0 : -1);
}

/* A loop device is its backing file when it maps all of it. */
static void
obj_add_loop(struct storage_obj *o, const char *sys, int eq)
{
	char		*file, *off, *lim;
	struct stat	 st;
	int		 whole;

	if ((file = sysfs_line("%s/loop/backing_file", sys)) == NULL)
		return;
	off = sysfs_line("%s/loop/offset", sys);
	lim = sysfs_line("%s/loop/sizelimit", sys);
	whole = (off == NULL || strcmp(off, "0") == 0) &&
	    (lim == NULL || strcmp(lim, "0") == 0);
	free(off);
	free(lim);
	/* A deleted backing file can no longer be named by anyone else. */
	if (strstr(file, " (deleted)") == NULL && stat(file, &st) == 0)
		obj_add_file(o, &st, eq && whole);
	free(file);
}

static int
obj_add_blk(struct storage_obj *o, unsigned maj, unsigned min, int eq,
    int depth)
{
	struct skey	 k = { 'b', maj, min };
	char		*sys, *real, *slash, *s;
	DIR		*dir;
	struct dirent	*de;
	unsigned	 pmaj, pmin;

	obj_add(o, k, eq);
	if (depth >= STORAGE_MAX_DEPTH)
		return (0);
	xasprintf(&sys, "/sys/dev/block/%u:%u", maj, min);
	if ((real = realpath(sys, NULL)) == NULL) {
		free(sys);
		return (0);
	}
	free(sys);
	obj_add_loop(o, real, eq);
	/* A partition is part of the disk it is in (its parent in sysfs). */
	if (access_sysfs(real, "partition")) {
		if ((slash = strrchr(real, '/')) != NULL) {
			*slash = '\0';
			s = sysfs_line("%s/dev", real);
			if (parse_majmin(s, &pmaj, &pmin) == 0)
				obj_add_blk(o, pmaj, pmin, 0, depth + 1);
			free(s);
			*slash = '/';
		}
	}
	/* A volume (device-mapper, md) is part of each of its slaves. */
	xasprintf(&sys, "%s/slaves", real);
	if ((dir = opendir(sys)) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			s = sysfs_line("%s/%s/dev", sys, de->d_name);
			if (parse_majmin(s, &pmaj, &pmin) == 0)
				obj_add_blk(o, pmaj, pmin, 0, depth + 1);
			free(s);
		}
		closedir(dir);
	}
	free(sys);
	free(real);
	return (0);
}

static int
access_sysfs(const char *dir, const char *name)
{
	char	*path;
	int	 ok;

	xasprintf(&path, "%s/%s", dir, name);
	ok = access(path, F_OK) == 0;
	free(path);
	return (ok);
}

static void
obj_from_stat(struct storage_obj *o, const struct stat *st)
{
	memset(o, 0, sizeof *o);
	if (S_ISBLK(st->st_mode))
		obj_add_blk(o, major(st->st_rdev), minor(st->st_rdev), 1, 0);
	else
		obj_add_file(o, st, 1);
}

static int
obj_in(const struct skey *k, const struct skey *set, int n)
{
	int	 i;

	for (i = 0; i < n; i++) {
		if (skey_eq(k, &set[i]))
			return (1);
	}
	return (0);
}

/* One is, or is part of, what the other is. */
static int
obj_overlap(const struct storage_obj *x, const struct storage_obj *y)
{
	int	 i;

	for (i = 0; i < x->neq; i++) {
		if (obj_in(&x->eq[i], y->anc, y->nanc))
			return (1);
	}
	for (i = 0; i < y->neq; i++) {
		if (obj_in(&y->eq[i], x->anc, x->nanc))
			return (1);
	}
	return (0);
}

/*
 * Disk i of a config's disks ({uname, dev, mode}); 0, or -1 past the
 * last.  The one place that knows how a config holds its disks.
 */
int
storage_disk_at(const struct domcfg *config, size_t i, struct sdisk *out)
{
	if (i >= config->ndisks)
		return (-1);
	out->uname = config->disks[i].uname;
	out->dev = config->disks[i].dev;
	out->mode = config->disks[i].mode;
	return (0);
}

static char *
storage_spec(const struct sdisk *disk)
{
	return (xsprintf("%s,%s,%s", disk->uname, disk->dev, disk->mode));
}

void
storage_close(struct disk_info *di)
{
	free(di->spec);
	free(di->path);
	free(di->backing);
	free(di->obj);
	free(di->bobj);
	memset(di, 0, sizeof *di);
}

/*
 * The backing file named in a qcow2 header (relative to the image's
 * directory), or NULL if none; -1 on a header that cannot be read.
 */
static int
qcow2_backing(int fd, const char *path, char **out, char **cause)
{
	unsigned char	 hdr[20];
	unsigned long long off;
	unsigned	 len, i;
	char		*name, *dir, *slash;

	*out = NULL;
	if (pread(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr) {
		*cause = xsprintf("%s: short qcow2 header", path);
		return (-1);
	}
	for (off = 0, i = 8; i < 16; i++)
		off = off << 8 | hdr[i];
	for (len = 0, i = 16; i < 20; i++)
		len = len << 8 | hdr[i];
	if (off == 0 || len == 0)
		return (0);
	if (len > 1023) {
		*cause = xsprintf("%s: qcow2 backing file name too long", path);
		return (-1);
	}
	name = xmalloc(len + 1);
	if (pread(fd, name, len, off) != (ssize_t)len) {
		free(name);
		*cause = xsprintf("%s: cannot read its qcow2 backing file name",
		    path);
		return (-1);
	}
	name[len] = '\0';
	if (name[0] == '/' || strstr(name, "://") != NULL ||
	    strchr(name, ':') != NULL) {
		*out = name;
		return (0);
	}
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	*out = xsprintf("%s/%s", slash != NULL ? dir : ".", name);
	free(dir);
	free(name);
	return (0);
}

/* The host path of a canonical uname, and what it says about the type. */
const char *
storage_uname_path(const char *uname, char *type)
{
	if (strncmp(uname, "phy:", 4) == 0) {
		*type = 'p';
		return (uname + 4);
	}
	if (strncmp(uname, "qcow2:", 6) == 0) {
		*type = 'q';
		return (uname + 6);
	}
	*type = 'f';
	return (strncmp(uname, "file:", 5) == 0 ? uname + 5 : uname);
}

int
storage_open(const struct sdisk *disk, struct disk_info *di, char **cause)
{
	const char	*uname, *mode, *path;
	char		 type, magic[4], *why = NULL;
	struct stat	 st, bst;
	int		 fd, flags;

	memset(di, 0, sizeof *di);
	uname = disk->uname;
	mode = disk->mode;
	if (uname == NULL || mode == NULL || disk->dev == NULL) {
		*cause = xstrdup("disk without uname, dev or mode");
		return (-1);
	}
	di->spec = storage_spec(disk);
	path = storage_uname_path(uname, &type);
	di->path = xstrdup(path);
	di->readonly = strcmp(mode, "r") == 0;
	di->force = strcmp(mode, "w!") == 0;
	if (!di->readonly && !di->force && strcmp(mode, "w") != 0) {
		why = xsprintf("mode must be r, w or w!, not '%s'", mode);
		goto fail;
	}
	if (stat(path, &st) != 0) {
		why = xsprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		why = xsprintf("%s is a directory, not a disk", path);
		goto fail;
	}
	if (type == 'p' && !S_ISBLK(st.st_mode)) {
		why = xsprintf("%s is not a block device", path);
		goto fail;
	}
	if (type != 'p' && !S_ISREG(st.st_mode)) {
		why = xsprintf("%s is not a regular file%s", path,
		    S_ISBLK(st.st_mode) ? " (a block device is phy:)" : "");
		goto fail;
	}
	/* As QEMU will open it: a read-only file system, a busy device. */
	flags = (di->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY;
	if ((fd = open(path, flags)) == -1) {
		why = xsprintf("%s: %s%s", path, strerror(errno),
		    di->readonly ? "" : " (mode w opens it read-write)");
		goto fail;
	}
	di->driver = S_ISBLK(st.st_mode) ? "host_device" : "file";
	di->format = "raw";
	if (S_ISREG(st.st_mode) && pread(fd, magic, 4, 0) == 4 &&
	    memcmp(magic, QCOW_MAGIC, 4) == 0)
		di->format = "qcow2";
	if (type == 'q' && strcmp(di->format, "qcow2") != 0) {
		close(fd);
		why = xsprintf("%s is not a qcow2 image", path);
		goto fail;
	}
	if (strcmp(di->format, "qcow2") == 0 &&
	    qcow2_backing(fd, path, &di->backing, &why) != 0) {
		close(fd);
		goto fail;
	}
	close(fd);
	if (di->backing != NULL && type != 'q') {
		why = xsprintf("%s is a qcow2 image with a backing file (%s): "
		    "say qcow2:%s if it is meant to be one", path, di->backing,
		    path);
		goto fail;
	}
	if (di->backing != NULL) {
		if (stat(di->backing, &bst) != 0 ||
		    (fd = open(di->backing, O_RDONLY | O_CLOEXEC)) == -1) {
			why = xsprintf("%s: its backing file %s: %s", path,
			    di->backing, strerror(errno));
			goto fail;
		}
		close(fd);
		di->bobj = xmalloc(sizeof *di->bobj);
		obj_from_stat(di->bobj, &bst);
	}
	di->obj = xmalloc(sizeof *di->obj);
	obj_from_stat(di->obj, &st);
	return (0);
fail:
	*cause = xsprintf("disk '%s': %s", di->spec, why);
	free(why);
	storage_close(di);
	return (-1);
}

/*
 * A dom0 mount that conflicts with di: one of di's device or any mount if
 * di writes, a read-write one if it only reads.  *where is its mount
 * point, *rw whether it is mounted read-write.
 */
static int
mount_conflict(const struct disk_info *di, char **where, int *rw)
{
	FILE			*f;
	char			*line = NULL, *fld[10], *p, *save, *opt;
	size_t			 size = 0;
	struct storage_obj	*m;
	unsigned		 maj, min;
	int			 n, found = 0;

	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL)
		return (0);
	m = xmalloc(sizeof *m);
	while (!found && getline(&line, &size, f) != -1) {
		for (n = 0, p = strtok_r(line, " \n", &save); p != NULL &&
		    n < 10; p = strtok_r(NULL, " \n", &save))
			fld[n++] = p;
		if (n < 6 || parse_majmin(fld[2], &maj, &min) != 0 || maj == 0)
			continue;
		memset(m, 0, sizeof *m);
		obj_add_blk(m, maj, min, 1, 0);
		if (!obj_overlap(m, di->obj))
			continue;
		*rw = 0;
		for (opt = strtok_r(fld[5], ",", &save); opt != NULL;
		    opt = strtok_r(NULL, ",", &save)) {
			if (strcmp(opt, "rw") == 0)
				*rw = 1;
		}
		if (*rw || !di->readonly) {
			*where = mountinfo_unescape(fld[4]);
			found = 1;
		}
	}
	free(line);
	free(m);
	fclose(f);
	return (found);
}

/* mountinfo writes space, tab, newline and backslash as \ooo. */
static char *
mountinfo_unescape(const char *s)
{
	char	*out = xmalloc(strlen(s) + 1), *o = out;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
			    (s[3] - '0'));
			s += 4;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return (out);
}

/*
 * Whether x and y may be used together: readers share, a 'w!' on either
 * side forces.  A qcow2 image's backing file is only ever read.
 */
static int
disk_clash(const struct disk_info *x, const struct disk_info *y)
{
	if (x->force || y->force)
		return (0);
	if (obj_overlap(x->obj, y->obj))
		return (!x->readonly || !y->readonly);
	/* A writer of one image's backing file changes it under the reader. */
	if (x->bobj != NULL && !y->readonly && obj_overlap(x->bobj, y->obj))
		return (1);
	if (y->bobj != NULL && !x->readonly && obj_overlap(y->bobj, x->obj))
		return (1);
	return (0);
}

/*
 * di against every disk of every domain (its own config's earlier disks
 * are the caller's), skipping skip (a domain's own disk being attached).
 */
static int
storage_check_domains(const struct disk_info *di, char **cause)
{
	struct domain		*d;
	struct disk_info	 other;
	struct sdisk		 v;
	size_t			 i;
	char			*err;
	int			 clash;

	TAILQ_FOREACH(d, &domains, entry) {
		for (i = 0; storage_disk_at(d->config, i, &v) == 0; i++) {
			/* A disk gone from under a running domain: no clash. */
			if (storage_open_quiet(&v, &other) != 0)
				continue;
			clash = disk_clash(di, &other);
			if (clash) {
				xasprintf(&err, "disk '%s': %s is in use by "
				    "domain %s (its %s, %s there%s%s); use mode "
				    "'r' in both, or 'w!' to force", di->spec,
				    di->path, d->name, v.dev, other.readonly ?
				    "read-only" : "writable",
				    strcmp(other.path, di->path) != 0 ? ", as " :
				    "", strcmp(other.path, di->path) != 0 ?
				    other.path : "");
				*cause = err;
			}
			storage_close(&other);
			if (clash)
				return (-1);
		}
	}
	return (0);
}

/* storage_open without the rule checks' cause: for disks already in use. */
static int
storage_open_quiet(const struct sdisk *disk, struct disk_info *di)
{
	char	*cause;

	if (storage_open_info(disk, di, &cause) != 0) {
		free(cause);
		return (-1);
	}
	return (0);
}

/*
 * As storage_open, but for a disk a domain already holds: only what it is
 * (a read-only file system no longer matters to the sharing rule).
 */
int
storage_open_info(const struct sdisk *disk, struct disk_info *di,
    char **cause)
{
	struct sdisk	 ro = *disk;
	int		 rc;

	if (disk->mode == NULL || strcmp(disk->mode, "r") == 0)
		return (storage_open(disk, di, cause));
	ro.mode = "r";
	rc = storage_open(&ro, di, cause);
	if (rc == 0) {
		di->readonly = 0;
		di->force = strcmp(disk->mode, "w!") == 0;
		free(di->spec);
		di->spec = storage_spec(disk);
	}
	return (rc);
}

int
storage_check_disk(const struct sdisk *disk, char **cause)
{
	struct disk_info	 di;
	char			*where;
	int			 rw;

	if (storage_open(disk, &di, cause) != 0)
		return (-1);
	if (!di.force && mount_conflict(&di, &where, &rw)) {
		*cause = xsprintf("disk '%s': %s is mounted %sin domain 0 on %s; "
		    "%s", di.spec, di.path, rw ? "read-write " : "", where,
		    di.readonly ? "unmount it, or use 'w!' to force" :
		    "unmount it, use mode 'r', or 'w!' to force");
		free(where);
		storage_close(&di);
		return (-1);
	}
	if (storage_check_domains(&di, cause) != 0) {
		storage_close(&di);
		return (-1);
	}
	storage_close(&di);
	return (0);
}

int
storage_check_config(const struct domcfg *config, char **cause)
{
	struct disk_info	*di;
	struct sdisk		 v;
	size_t			 i, j, n;
	int			 rc = -1;

	for (n = 0; storage_disk_at(config, n, &v) == 0; n++) {
		if (storage_check_disk(&v, cause) != 0)
			return (-1);
	}
	/* Its own disks: two lines naming one writable disk. */
	di = xcalloc(n + 1, sizeof *di);
	for (i = 0; i < n; i++) {
		storage_disk_at(config, i, &v);
		if (storage_open(&v, &di[i], cause) != 0)
			goto out;
		for (j = 0; j < i; j++) {
			if (!disk_clash(&di[i], &di[j]))
				continue;
			*cause = xsprintf("disk '%s': %s is also this domain's "
			    "%s, writable; a disk is given once, or 'w!' to "
			    "force", di[i].spec, di[i].path,
			    config->disks[j].dev);
			goto out;
		}
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		storage_close(&di[i]);
	free(di);
	return (rc);
}

char *
storage_backing(const struct domcfg_disk *disk)
{
	struct sdisk		 sd = { disk->uname, disk->dev, disk->mode };
	struct disk_info	 di;
	char			*cause, *out;

	if (storage_open_info(&sd, &di, &cause) != 0) {
		free(cause);
		return (NULL);
	}
	out = di.backing != NULL ? xstrdup(di.backing) : NULL;
	storage_close(&di);
	return (out);
}

/*
 * QEMU's block node for a disk (for -blockdev and QMP blockdev-add): its
 * format over the file or host device, read-only for mode r, and without
 * QEMU's image locks for w! (which shares a writable image on purpose).
 */
json_t *
storage_blockdev(const struct disk_info *di, const char *dev)
{
	json_t	*file, *node;

	file = json_pack("{s:s, s:s}", "driver", di->driver, "filename",
	    di->path);
	if (di->force)
		json_object_set_new(file, "locking", json_string("off"));
	node = json_pack("{s:s, s:s+, s:o, s:b}", "driver", di->format,
	    "node-name", "vbd-", dev, "file", file, "read-only", di->readonly);
	return (node);
}

/*
 * The guest device: virtio-blk whose serial is the name the config gives
 * (the demo guest names its /dev node after it, guest/README.md).
 */
json_t *
storage_device(const char *dev)
{
	return (json_pack("{s:s, s:s+, s:s+, s:s}", "driver",
	    "virtio-blk-pci", "id", "disk-", dev, "drive", "vbd-", dev,
	    "serial", dev));
}
