/*
 * conlog.c: per-domain console logs, LOGDIR/NAME.log.
 *
 * A log copies a byte stream (QEMU's own console log of the domain, which
 * has every byte the guest wrote even while xenconsoled was down) and adds
 * a fixed-width timestamp at the start of every line:
 *
 *	# xenconsoled log of NAME: domid=1 source=2049:1234 offset=0
 *	[2024-05-01 12:00:00.123] Linux version 6.1.0 ...
 *
 * The header names the stream and the stream offset the file starts at.
 * Because stamps have a fixed width, the stream offset the file ends at
 * is the header's plus the bytes that are not stamps: a restarted
 * xenconsoled (even after kill -9, even mid-write) knows exactly where to
 * resume, so the log has every byte once.  A file that would grow past
 * max_size is rotated first (NAME.log.1 ... NAME.log.KEEP, the oldest
 * dropped), so the files keep the tail of the output.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xen-common.h"
#include "consoled.h"

#define CONLOG_MAGIC	"# xenconsoled log of "

struct conlog {
	char			*dir;
	char			*name;
	char			*path;
	struct conlog_id	 id;
	size_t			 max_size;
	int			 keep;

	int			 fd;
	off_t			 size;		/* of the current file */
	off_t			 hdr_size;	/* its header line */
	uint64_t		 offset;	/* stream offset at its end */
	int			 at_line_start;
	int			 broken;	/* start a new file next write */
	unsigned long		 errors;

	char			*buf;
	size_t			 buf_size;
	time_t			 stamp_sec;
	char			 stamp[32];	/* "[YYYY-MM-DD HH:MM:SS" */
};

/* What a log file holds, from parsing it. */
struct conlog_parse {
	int			 header;	/* a valid first line */
	struct conlog_id	 id;
	uint64_t		 start;		/* the header's offset */
	uint64_t		 bytes;		/* stream bytes after it */
	size_t			 good;		/* length of the sound prefix */
	size_t			 hdr_size;
	int			 at_line_start;
};

static int
stamp_ok(const char *p)
{
	return (p[0] == '[' && p[5] == '-' && p[8] == '-' && p[11] == ' ' &&
	    p[14] == ':' && p[17] == ':' && p[20] == '.' && p[24] == ']' &&
	    p[25] == ' ');
}

static int
header_parse(const char *line, size_t len, struct conlog_parse *cp)
{
	char			*copy, *p;
	int			 domid;
	unsigned long		 dev, ino;
	unsigned long long	 off;
	int			 n = 0;

	if (len < sizeof CONLOG_MAGIC - 1 ||
	    memcmp(line, CONLOG_MAGIC, sizeof CONLOG_MAGIC - 1) != 0)
		return (-1);
	copy = xstrndup(line, len);
	if ((p = strstr(copy, ": domid=")) == NULL ||
	    sscanf(p, ": domid=%d source=%lu:%lu offset=%llu%n", &domid, &dev,
	    &ino, &off, &n) != 4 || p[n] != '\0') {
		free(copy);
		return (-1);
	}
	free(copy);
	cp->header = 1;
	cp->id.domid = domid;
	cp->id.dev = dev;
	cp->id.ino = ino;
	cp->start = off;
	return (0);
}

/*
 * Walks a log: its header, then lines that each start with a stamp.  A
 * file cut short inside a stamp (kill -9 mid-write) is sound up to that
 * line; so is one whose later header or data is not ours.  If out is not
 * NULL, the stream bytes are copied there (it must hold len bytes).
 */
static void
conlog_walk(const char *text, size_t len, struct conlog_parse *cp, char *out,
    size_t *outlen)
{
	const char	*nl;
	size_t		 pos = 0, n, o = 0;

	memset(cp, 0, sizeof *cp);
	cp->at_line_start = 1;
	while (pos < len) {
		if (text[pos] == '#') {
			if ((nl = memchr(text + pos, '\n', len - pos)) == NULL)
				break;
			if (pos == 0 && header_parse(text, nl - text, cp) != 0)
				break;
			pos = nl + 1 - text;
			if (cp->hdr_size == 0)
				cp->hdr_size = pos;
			cp->good = pos;
			continue;
		}
		if (len - pos < CONLOG_STAMP_LEN || !stamp_ok(text + pos))
			break;
		pos += CONLOG_STAMP_LEN;
		nl = memchr(text + pos, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl + 1 - (text + pos)) : len - pos;
		if (out != NULL) {
			memcpy(out + o, text + pos, n);
			o += n;
		}
		cp->bytes += n;
		pos += n;
		cp->good = pos;
		cp->at_line_start = nl != NULL;
	}
	if (outlen != NULL)
		*outlen = o;
}

int
conlog_strip(const char *text, size_t len, char **out, size_t *outlen)
{
	struct conlog_parse	 cp;

	*out = xmalloc(len + 1);
	conlog_walk(text, len, &cp, *out, outlen);
	(*out)[*outlen] = '\0';
	return (cp.good == len ? 0 : -1);
}

static char *
conlog_file(const struct conlog *l, const char *name, int n)
{
	if (n == 0)
		return (xsprintf("%s/%s.log", l->dir, name));
	return (xsprintf("%s/%s.log.%d", l->dir, name, n));
}

/* NAME.log -> NAME.log.1 -> ... -> NAME.log.KEEP (dropped beyond). */
static void
conlog_shift(struct conlog *l)
{
	char	*from, *to;
	int	 i;

	if (l->keep == 0) {
		unlink(l->path);
		return;
	}
	for (i = l->keep - 1; i >= 0; i--) {
		from = conlog_file(l, l->name, i);
		to = conlog_file(l, l->name, i + 1);
		if (rename(from, to) != 0 && errno != ENOENT)
			log_warn("rename %s: %s", from, strerror(errno));
		free(from);
		free(to);
	}
}

/* Starts a fresh file (after rotating the old one away if asked). */
static int
conlog_fresh(struct conlog *l, int rotate, char **cause)
{
	char	*hdr;
	int	 saved;

	if (l->fd != -1) {
		close(l->fd);
		l->fd = -1;
	}
	if (rotate)
		conlog_shift(l);
	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0640);
	if (l->fd == -1) {
		*cause = xsprintf("%s: %s", l->path, strerror(errno));
		return (-1);
	}
	hdr = xsprintf(CONLOG_MAGIC "%s: domid=%d source=%lu:%lu "
	    "offset=%llu\n", l->name, l->id.domid, l->id.dev, l->id.ino,
	    (unsigned long long)l->offset);
	if (fd_write_all(l->fd, hdr, strlen(hdr)) != 0) {
		saved = errno;
		*cause = xsprintf("%s: %s", l->path, strerror(saved));
		free(hdr);
		close(l->fd);
		l->fd = -1;
		errno = saved;
		return (-1);
	}
	l->size = l->hdr_size = strlen(hdr);
	l->at_line_start = 1;
	l->broken = 0;
	free(hdr);
	return (0);
}

/*
 * Opens the existing file if it continues the stream (and, if expect is
 * not NULL, ends at *expect); otherwise starts a new one.  *offset gets
 * where the stream continues.
 */
static int
conlog_attach(struct conlog *l, const uint64_t *expect, char **cause)
{
	struct conlog_parse	 cp;
	struct stat		 st;
	char			*text = NULL, *why;
	size_t			 len;
	int			 same;

	if (stat(l->path, &st) != 0 || st.st_size == 0) {
		if (expect == NULL)
			l->offset = 0;
		return (conlog_fresh(l, 0, cause));
	}
	if (file_read(l->path, &text, &len, &why) != 0) {
		*cause = why;
		return (-1);
	}
	conlog_walk(text, len, &cp, NULL, NULL);
	free(text);
	same = cp.header && cp.id.domid == l->id.domid &&
	    cp.id.dev == l->id.dev && cp.id.ino == l->id.ino &&
	    (expect == NULL || cp.start + cp.bytes == *expect);
	if (!same) {
		if (expect == NULL)
			l->offset = 0;
		return (conlog_fresh(l, 1, cause));
	}
	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (l->fd == -1) {
		*cause = xsprintf("%s: %s", l->path, strerror(errno));
		return (-1);
	}
	if ((size_t)cp.good < len && ftruncate(l->fd, cp.good) != 0) {
		*cause = xsprintf("%s: %s", l->path, strerror(errno));
		close(l->fd);
		l->fd = -1;
		return (-1);
	}
	l->size = cp.good;
	l->hdr_size = cp.hdr_size;
	l->offset = cp.start + cp.bytes;
	l->at_line_start = cp.at_line_start;
	return (0);
}

int
conlog_open(const char *dir, const char *name, const struct conlog_id *id,
    size_t max_size, int keep, struct conlog **out, uint64_t *offset,
    char **cause)
{
	struct conlog	*l;

	if (mkdir_p(dir, 0750, cause) != 0)
		return (-1);
	l = xcalloc(1, sizeof *l);
	l->dir = xstrdup(dir);
	l->name = xstrdup(name);
	l->path = conlog_file(l, name, 0);
	l->id = *id;
	l->max_size = max_size;
	l->keep = keep;
	l->fd = -1;
	if (conlog_attach(l, NULL, cause) != 0) {
		conlog_close(l);
		return (-1);
	}
	*offset = l->offset;
	*out = l;
	return (0);
}

void
conlog_close(struct conlog *l)
{
	if (l == NULL)
		return;
	if (l->fd != -1)
		close(l->fd);
	free(l->dir);
	free(l->name);
	free(l->path);
	free(l->buf);
	free(l);
}

static void
conlog_stamp(struct conlog *l, double now, char *out)
{
	time_t		 sec = (time_t)now;
	int		 ms = (int)((now - (double)sec) * 1000);
	struct tm	 tm;

	if (ms < 0)
		ms = 0;
	if (ms > 999)
		ms = 999;
	if (sec != l->stamp_sec || l->stamp[0] == '\0') {
		localtime_r(&sec, &tm);
		if (strftime(l->stamp, sizeof l->stamp, "[%Y-%m-%d %H:%M:%S",
		    &tm) != 20)
			memcpy(l->stamp, "[0000-00-00 00:00:00", 21);
		l->stamp_sec = sec;
	}
	/* Exactly CONLOG_STAMP_LEN bytes, no NUL. */
	memcpy(out, l->stamp, 20);
	out[20] = '.';
	out[21] = '0' + ms / 100;
	out[22] = '0' + (ms / 10) % 10;
	out[23] = '0' + ms % 10;
	out[24] = ']';
	out[25] = ' ';
}

int
conlog_write(struct conlog *l, const char *data, size_t len, double now)
{
	const char	*p, *nl;
	size_t		 lines = 1, need, o = 0, n;
	char		*why;
	int		 start, saved;

	if (len == 0)
		return (0);
	for (p = data; (nl = memchr(p, '\n', len - (p - data))) != NULL;
	    p = nl + 1)
		lines++;
	need = len + lines * CONLOG_STAMP_LEN + 1;

	if (l->fd == -1 || l->broken || (l->size > l->hdr_size &&
	    (size_t)l->size + need > l->max_size)) {
		if (conlog_fresh(l, l->fd != -1 || l->broken, &why) != 0) {
			saved = errno;
			log_debug("%s", why);
			free(why);
			l->errors++;
			l->broken = 1;
			errno = saved;
			return (-1);
		}
	}

	if (need > l->buf_size) {
		l->buf_size = need;
		free(l->buf);
		l->buf = xmalloc(need);
	}
	start = l->at_line_start;
	for (p = data; p < data + len; p += n) {
		if (start) {
			conlog_stamp(l, now, l->buf + o);
			o += CONLOG_STAMP_LEN;
		}
		nl = memchr(p, '\n', len - (p - data));
		n = nl != NULL ? (size_t)(nl + 1 - p) : len - (p - data);
		memcpy(l->buf + o, p, n);
		o += n;
		start = nl != NULL;
	}

	if (fd_write_all(l->fd, l->buf, o) != 0) {
		saved = errno;
		l->errors++;
		/* All or nothing, so the stream offset stays exact. */
		if (ftruncate(l->fd, l->size) != 0)
			l->broken = 1;
		errno = saved;
		return (-1);
	}
	l->size += o;
	l->offset += len;
	l->at_line_start = start;
	return (0);
}

int
conlog_reopen(struct conlog *l, char **cause)
{
	uint64_t	 expect = l->offset;

	if (l->fd != -1) {
		close(l->fd);
		l->fd = -1;
	}
	if (conlog_attach(l, &expect, cause) != 0) {
		l->broken = 1;
		return (-1);
	}
	return (0);
}

int
conlog_rename(struct conlog *l, const char *name, char **cause)
{
	char	*from, *to;
	int	 i, rc = 0;

	for (i = 0; i <= l->keep; i++) {
		from = conlog_file(l, l->name, i);
		to = conlog_file(l, name, i);
		if (rename(from, to) != 0 && errno != ENOENT && rc == 0) {
			*cause = xsprintf("rename %s: %s", from,
			    strerror(errno));
			rc = -1;
		}
		free(from);
		free(to);
	}
	free(l->name);
	l->name = xstrdup(name);
	free(l->path);
	l->path = conlog_file(l, name, 0);
	return (rc);
}

uint64_t
conlog_offset(const struct conlog *l)
{
	return (l->offset);
}

unsigned long
conlog_errors(const struct conlog *l)
{
	return (l->errors);
}

const char *
conlog_path(const struct conlog *l)
{
	return (l->path);
}
