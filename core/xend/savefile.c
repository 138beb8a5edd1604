/* savefile.c: the save file's header, its writer and its checks. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "xen-common.h"
#include "savefile.h"

static void
put64(unsigned char *p, uint64_t v)
{
	le32_put(p, (uint32_t)v);
	le32_put(p + 4, (uint32_t)(v >> 32));
}

static uint64_t
get64(const unsigned char *p)
{
	return ((uint64_t)le32_get(p) | (uint64_t)le32_get(p + 4) << 32);
}

uint32_t
savefile_crc(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	uInt			 n;

	/* zlib takes uInt lengths. */
	while (len > 0) {
		n = len > (1U << 30) ? (1U << 30) : (uInt)len;
		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return (crc);
}

void
savefile_encode(unsigned char *out, const struct savefile_hdr *h)
{
	memset(out, 0, SAVEFILE_HDR_LEN);
	memcpy(out, h->part ? SAVEFILE_MAGIC_PART : SAVEFILE_MAGIC, 8);
	le32_put(out + 8, h->version);
	put64(out + 16, h->meta_len);
	put64(out + 24, h->stream_len);
	le32_put(out + 32, h->meta_crc);
	le32_put(out + 36, h->stream_crc);
	le32_put(out + 40, savefile_crc(0, out, 40));
}

int
savefile_decode(const unsigned char *in, size_t len, const char *what,
    struct savefile_hdr *h, char **cause)
{
	memset(h, 0, sizeof *h);
	if (len >= 8 && memcmp(in, SAVEFILE_MAGIC_PART, 8) == 0) {
		*cause = xsprintf("%s: incomplete save file (the save did not "
		    "finish)", what);
		return (-1);
	}
	if (len < 8 || memcmp(in, SAVEFILE_MAGIC, 8) != 0) {
		*cause = xsprintf("%s: not a save file of xm save", what);
		return (-1);
	}
	if (len < SAVEFILE_HDR_LEN) {
		*cause = xsprintf("%s: truncated save file (%zu bytes, no "
		    "whole header)", what, len);
		return (-1);
	}
	h->version = le32_get(in + 8);
	/* The checksum first: a flipped version bit is corruption. */
	if (le32_get(in + 40) != savefile_crc(0, in, 40)) {
		*cause = xsprintf("%s: corrupt save file (header checksum "
		    "mismatch)", what);
		return (-1);
	}
	if (h->version > SAVEFILE_VERSION) {
		*cause = xsprintf("%s: save file format %u is newer than this "
		    "xend reads (up to %u)", what, h->version,
		    SAVEFILE_VERSION);
		return (-1);
	}
	if (h->version == 0 || le32_get(in + 12) != 0) {
		*cause = xsprintf("%s: corrupt save file (bad version or "
		    "flags)", what);
		return (-1);
	}
	h->meta_len = get64(in + 16);
	h->stream_len = get64(in + 24);
	h->meta_crc = le32_get(in + 32);
	h->stream_crc = le32_get(in + 36);
	if (h->meta_len == 0 || h->meta_len > SAVEFILE_META_MAX) {
		*cause = xsprintf("%s: corrupt save file (meta of %llu bytes)",
		    what, (unsigned long long)h->meta_len);
		return (-1);
	}
	return (0);
}

static int
read_full(int fd, void *buf, size_t len, size_t *got)
{
	ssize_t	 n;

	*got = 0;
	while (*got < len) {
		n = read(fd, (char *)buf + *got, len - *got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		if (n == 0)
			break;
		*got += n;
	}
	return (0);
}

int
savefile_open(const char *path, struct savefile_hdr *h, json_t **meta,
    int *fdp, char **cause)
{
	unsigned char	 hdr[SAVEFILE_HDR_LEN];
	struct stat	 st;
	char		*text = NULL;
	size_t		 got;
	uint64_t	 want;
	json_error_t	 jerr;
	int		 fd;

	*meta = NULL;
	/*
	 * Non-blocking, and the type checked before any read: a FIFO or a
	 * terminal would wait for a writer, and xend with it.
	 */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		*cause = xsprintf("%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) != 0) {
		*cause = xsprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		*cause = xsprintf("%s: not a regular file", path);
		goto fail;
	}
	/* The fd goes to QEMU as the stream: its usual blocking reads. */
	if (fcntl(fd, F_SETFL, 0) == -1 ||
	    read_full(fd, hdr, sizeof hdr, &got) != 0) {
		*cause = xsprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (savefile_decode(hdr, got, path, h, cause) != 0)
		goto fail;
	want = SAVEFILE_HDR_LEN + h->meta_len + h->stream_len;
	if (want < h->stream_len || (uint64_t)st.st_size < want) {
		*cause = xsprintf("%s: truncated save file (%llu of %llu "
		    "bytes)", path, (unsigned long long)st.st_size,
		    (unsigned long long)want);
		goto fail;
	}
	if ((uint64_t)st.st_size > want) {
		*cause = xsprintf("%s: corrupt save file (%llu bytes after "
		    "its end)", path, (unsigned long long)(st.st_size - want));
		goto fail;
	}
	text = xmalloc(h->meta_len);
	if (read_full(fd, text, h->meta_len, &got) != 0 ||
	    got != h->meta_len) {
		*cause = xsprintf("%s: %s", path, got != h->meta_len ?
		    "truncated save file" : strerror(errno));
		goto fail;
	}
	if (savefile_crc(0, text, h->meta_len) != h->meta_crc) {
		*cause = xsprintf("%s: corrupt save file (meta checksum "
		    "mismatch)", path);
		goto fail;
	}
	*meta = json_loadb(text, h->meta_len, 0, &jerr);
	if (!json_is_object(*meta) ||
	    !json_is_object(json_object_get(*meta, "config"))) {
		*cause = xsprintf("%s: corrupt save file (meta is not a "
		    "config)", path);
		goto fail;
	}
	free(text);
	*fdp = fd;
	return (0);

fail:
	json_decref(*meta);
	*meta = NULL;
	free(text);
	close(fd);
	return (-1);
}

static int
savefile_header(struct savefile_writer *w, int part, char **cause)
{
	struct savefile_hdr	 h;
	unsigned char		 buf[SAVEFILE_HDR_LEN];

	memset(&h, 0, sizeof h);
	h.version = SAVEFILE_VERSION;
	h.part = part;
	h.meta_len = w->meta_len;
	h.stream_len = w->stream_len;
	h.meta_crc = w->meta_crc;
	h.stream_crc = w->stream_crc;
	savefile_encode(buf, &h);
	if (pwrite(w->fd, buf, sizeof buf, 0) != (ssize_t)sizeof buf) {
		*cause = xsprintf("%s: %s", w->tmp, errno != 0 ?
		    strerror(errno) : "short write");
		return (-1);
	}
	return (0);
}

static void
savefile_free(struct savefile_writer *w)
{
	if (w->fd != -1)
		close(w->fd);
	free(w->path);
	free(w->tmp);
	free(w);
}

int
savefile_create(const char *path, json_t *meta, struct savefile_writer **out,
    char **cause)
{
	struct savefile_writer	*w;
	char			*text;
	size_t			 len;

	text = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL)
		fatalx("json_dumps failed");
	len = strlen(text);
	w = xcalloc(1, sizeof *w);
	w->path = xstrdup(path);
	/* Beside the target, so the rename stays on one file system. */
	xasprintf(&w->tmp, "%s.tmp.XXXXXX", path);
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd == -1) {
		*cause = xsprintf("%s: %s", path, strerror(errno));
		free(text);
		free(w->tmp);
		w->tmp = NULL;
		savefile_free(w);
		return (-1);
	}
	w->meta_len = len;
	w->meta_crc = savefile_crc(0, text, len);
	errno = 0;
	if (savefile_header(w, 1, cause) != 0) {
		free(text);
		savefile_abort(w);
		return (-1);
	}
	if (lseek(w->fd, SAVEFILE_HDR_LEN, SEEK_SET) == -1 ||
	    fd_write_all(w->fd, text, len) != 0) {
		*cause = xsprintf("%s: %s", w->tmp, strerror(errno));
		free(text);
		savefile_abort(w);
		return (-1);
	}
	free(text);
	*out = w;
	return (0);
}

int
savefile_write(struct savefile_writer *w, const void *buf, size_t len,
    char **cause)
{
	if (fd_write_all(w->fd, buf, len) != 0) {
		*cause = xsprintf("%s: %s", w->path, strerror(errno));
		return (-1);
	}
	w->stream_len += len;
	w->stream_crc = savefile_crc(w->stream_crc, buf, len);
	/*
	 * Start writing back what is written so far, without waiting for it:
	 * the disk works while QEMU goes on, not all in savefile_commit's
	 * fsync.  Its errors, if any, are fsync's to report.
	 */
	if (w->stream_len - w->flushed >= SAVEFILE_FLUSH_BYTES) {
		(void)sync_file_range(w->fd, (off_t)(SAVEFILE_HDR_LEN +
		    w->meta_len + w->flushed), (off_t)(w->stream_len -
		    w->flushed), SYNC_FILE_RANGE_WRITE);
		w->flushed = w->stream_len;
	}
	return (0);
}

static int
sync_dir_of(const char *path, char **cause)
{
	char	*copy = xstrdup(path), *dir = dirname(copy);
	int	 fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) != 0) {
		*cause = xsprintf("%s: %s", dir, strerror(errno));
		rc = -1;
	}
	if (fd != -1)
		close(fd);
	free(copy);
	return (rc);
}

int
savefile_commit(struct savefile_writer *w, char **cause)
{
	char	*why;

	errno = 0;
	if (savefile_header(w, 0, cause) != 0) {
		savefile_abort(w);
		return (-1);
	}
	if (fsync(w->fd) != 0) {
		*cause = xsprintf("%s: %s", w->path, strerror(errno));
		savefile_abort(w);
		return (-1);
	}
	if (rename(w->tmp, w->path) != 0) {
		*cause = xsprintf("%s: %s", w->path, strerror(errno));
		savefile_abort(w);
		return (-1);
	}
	free(w->tmp);
	w->tmp = NULL;
	/* The file is whole under its name: a failed dir sync only warns. */
	if (sync_dir_of(w->path, &why) != 0) {
		log_warn("%s", why);
		free(why);
	}
	savefile_free(w);
	return (0);
}

void
savefile_abort(struct savefile_writer *w)
{
	if (w == NULL)
		return;
	if (w->tmp != NULL && unlink(w->tmp) != 0 && errno != ENOENT)
		log_warn("unlink %s: %s", w->tmp, strerror(errno));
	savefile_free(w);
}
