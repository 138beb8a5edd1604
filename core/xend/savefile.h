/*
 * savefile.h: the file xm save writes and xm restore reads.
 *
 *	offset	size	field (integers little-endian)
 *	0	8	magic "\x89XMSAVE\n" ("\x89XMPART\n" while being written)
 *	8	4	format version (SAVEFILE_VERSION)
 *	12	4	flags, 0
 *	16	8	meta_len: bytes of the JSON meta that follows the header
 *	24	8	stream_len: bytes of QEMU's migration stream after the meta
 *	32	4	CRC-32 of the meta
 *	36	4	CRC-32 of the stream
 *	40	4	CRC-32 of bytes 0..39
 *	44	4	0
 *	48	meta	{"config": {..}, "name", "qemu_version", "saved", ...}
 *	48+m	stream	QEMU's migration stream, as QEMU wrote it
 *
 * A file is written under a temporary name in the target's directory with
 * the "part" magic, its header completed once the stream has ended, then
 * fsync'd and renamed: a save that fails leaves no file that looks whole.
 *
 * Ownership: savefile_open hands back *meta (caller decrefs) and *fd
 * (caller closes), at the first byte of the stream.  A writer owns its fd
 * and temporary file until savefile_commit or savefile_abort frees it.
 */
#ifndef SAVEFILE_H
#define SAVEFILE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define SAVEFILE_MAGIC		"\x89XMSAVE\n"
#define SAVEFILE_MAGIC_PART	"\x89XMPART\n"
#define SAVEFILE_VERSION	1
#define SAVEFILE_HDR_LEN	48
#define SAVEFILE_META_MAX	(4 << 20)

struct savefile_hdr {
	uint32_t	 version;
	int		 part;		/* "part" magic: never finished */
	uint64_t	 meta_len;
	uint64_t	 stream_len;
	uint32_t	 meta_crc;
	uint32_t	 stream_crc;
};

/* The fixed header into out[SAVEFILE_HDR_LEN]. */
void	savefile_encode(unsigned char *out, const struct savefile_hdr *);
/*
 * Parses the fixed header of what (a path, for messages): magic, version,
 * its own checksum; 0/-1.
 */
int	savefile_decode(const unsigned char *in, size_t len, const char *what,
	    struct savefile_hdr *, char **cause);
/*
 * Opens a save file and checks all but the stream's checksum (which the
 * reader checks as it goes): header, meta, the file's size.
 */
int	savefile_open(const char *path, struct savefile_hdr *, json_t **meta,
	    int *fd, char **cause);
/* Running CRC-32 of a stream (start with 0). */
uint32_t savefile_crc(uint32_t crc, const void *, size_t);

struct savefile_writer {
	char		*path;		/* final name */
	char		*tmp;		/* name while written */
	int		 fd;
	uint64_t	 meta_len;
	uint32_t	 meta_crc;
	uint64_t	 stream_len;	/* so far */
	uint32_t	 stream_crc;
	uint64_t	 flushed;	/* stream bytes sent to the disk */
};
/* Writeback starts every this many bytes, so the final fsync is short. */
#define SAVEFILE_FLUSH_BYTES	(8 << 20)
/* Creates path's temporary file with the meta (borrowed) written. */
int	savefile_create(const char *path, json_t *meta,
	    struct savefile_writer **, char **cause);
/* Appends stream bytes; *cause names the file and errno's text. */
int	savefile_write(struct savefile_writer *, const void *, size_t,
	    char **cause);
/* Final header, fsync, rename, fsync of the directory; frees w either way. */
int	savefile_commit(struct savefile_writer *, char **cause);
/* Closes and removes the temporary file; frees w. */
void	savefile_abort(struct savefile_writer *);

#endif
