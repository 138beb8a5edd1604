/*
 * fuzz-savefile.c: arbitrary bytes as a save file, read as xm restore has
 * xend read it (save.c's restore_start): savefile_open (header, its
 * checksum, the file's size, the meta and its checksum), then
 * domcfg_from_json on the meta's config.  The bytes are in a memfd, opened
 * by its /proc/self/fd name as savefile_open opens a path: no file in the
 * tree or in /tmp.  Properties: an accepted file is exactly header, meta
 * and stream_len bytes, the fd handed back is at the stream's first byte,
 * and a config that converts survives domcfg_to_json/domcfg_from_json.
 * Mutations rarely keep the checksums right, so each input whose header
 * has room for its meta is read a second time sealed: stream_len, both
 * checksums of the header and the meta's made to fit, as the writer would
 * have, so the meta's JSON and config reach domcfg.c.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "domcfg.h"
#include "savefile.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_config(const json_t *meta)
{
	struct domcfg	*dc, *dc2;
	json_t		*j;
	char		*cause = NULL;

	if ((dc = domcfg_from_json(json_object_get(meta, "config"),
	    &cause)) == NULL) {
		if (cause == NULL) {
			fprintf(stderr, "config refused without a cause\n");
			abort();
		}
		free(cause);
		return;
	}
	j = domcfg_to_json(dc);
	if ((dc2 = domcfg_from_json(j, &cause)) == NULL) {
		fprintf(stderr, "converted config refused: %s\n", cause);
		abort();
	}
	free(domcfg_cmdline(dc));
	domcfg_free(dc2);
	json_decref(j);
	domcfg_free(dc);
}

/* The stream as the restore reads it: exactly stream_len bytes left. */
static void
check_stream(int fd, const struct savefile_hdr *h, size_t len)
{
	unsigned char	 buf[4096];
	uint64_t	 left = 0;
	ssize_t		 n;

	if (SAVEFILE_HDR_LEN + h->meta_len + h->stream_len != len) {
		fprintf(stderr, "accepted a file of %zu bytes as %llu\n", len,
		    (unsigned long long)(SAVEFILE_HDR_LEN + h->meta_len +
		    h->stream_len));
		abort();
	}
	while ((n = read(fd, buf, sizeof buf)) > 0)
		left += n;
	if (n == -1 || left != h->stream_len) {
		fprintf(stderr, "fd not at the stream (%llu bytes left)\n",
		    (unsigned long long)left);
		abort();
	}
}

static void
read_file(const uint8_t *data, size_t len)
{
	struct savefile_hdr	 h;
	json_t			*meta;
	char			 path[64], *cause = NULL;
	int			 mfd, fd;

	if ((mfd = memfd_create("fuzz-savefile", MFD_CLOEXEC)) == -1 ||
	    fd_write_all(mfd, data, len) != 0) {
		perror("memfd");
		abort();
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", mfd);
	if (savefile_open(path, &h, &meta, &fd, &cause) != 0) {
		if (cause == NULL || meta != NULL) {
			fprintf(stderr, "refusal without a cause or with a "
			    "meta\n");
			abort();
		}
		free(cause);
	} else {
		check_stream(fd, &h, len);
		check_config(meta);
		json_decref(meta);
		close(fd);
	}
	close(mfd);
}

/* The input with its lengths and checksums as savefile_commit writes them. */
static void
read_sealed(const uint8_t *data, size_t len)
{
	unsigned char	*copy;
	uint64_t	 meta_len;

	if (len < SAVEFILE_HDR_LEN)
		return;
	meta_len = (uint64_t)le32_get(data + 16) |
	    (uint64_t)le32_get(data + 20) << 32;
	if (meta_len > len - SAVEFILE_HDR_LEN)
		return;
	copy = xmalloc(len);
	memcpy(copy, data, len);
	le32_put(copy + 24, (uint32_t)(len - SAVEFILE_HDR_LEN - meta_len));
	le32_put(copy + 28, 0);
	le32_put(copy + 32, savefile_crc(0, copy + SAVEFILE_HDR_LEN,
	    meta_len));
	le32_put(copy + 40, savefile_crc(0, copy, 40));
	read_file(copy, len);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	read_file(data, len);
	read_sealed(data, len);
	return (0);
}
