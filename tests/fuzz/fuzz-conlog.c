/*
 * fuzz-conlog.c: xenconsoled's reading of its own console log at start
 * (consoled/conlog.c), the step that makes kill -9 lose and double
 * nothing, on arbitrary file contents: the input is an existing NAME.log,
 * conlog_open decides where the stream continues, two writes follow (one
 * ends mid-line), then the log is opened again as a restarted xenconsoled
 * would.  Properties: no crash or leak; the file written is sound
 * throughout (conlog_strip accepts all of it) and its stream ends with
 * what was written; the second open resumes exactly where the first
 * instance left off; a file that was ours keeps its sound prefix.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "fuzz-tmp.h"
#include "consoled.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	*dir, *path, *rotated;

static const struct conlog_id id = { 1, 2049, 1234 };
static const char w1[] = "abc\n#def", w2[] = " ghi\nend";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_open("xenconsoled", "/dev/null", LOG_ERROR);
	dir = xstrdup(fuzz_tmpdir("conlog"));
	xasprintf(&path, "%s/fz.log", dir);
	xasprintf(&rotated, "%s/fz.log.1", dir);
	return (0);
}

static void
fail(const char *what)
{
	fprintf(stderr, "%s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conlog	*l;
	uint64_t	 off, end, again;
	char		*cause, *text, *stream, *old, *oldstream;
	size_t		 len, slen, oldslen, wlen;
	int		 fd;

	unlink(rotated);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640)) == -1)
		fatal("%s", path);
	if (fd_write_all(fd, data, size) != 0)
		fatal("%s", path);
	close(fd);
	/* Its sound prefix, as a stream. */
	conlog_strip((const char *)data, size, &oldstream, &oldslen);

	if (conlog_open(dir, "fz", &id, 1 << 20, 1, &l, &off, &cause) != 0)
		fail(cause);
	if (conlog_write(l, w1, strlen(w1), 1e9) != 0 ||
	    conlog_write(l, w2, strlen(w2), 1e9 + 0.5) != 0)
		fail("write failed");
	end = conlog_offset(l);
	if (end != off + strlen(w1) + strlen(w2))
		fail("offset does not count the bytes written");
	conlog_close(l);

	if (file_read(path, &text, &len, &cause) != 0)
		fail(cause);
	if (conlog_strip(text, len, &stream, &slen) != 0)
		fail("the log written is not sound");
	wlen = strlen(w1) + strlen(w2);
	if (slen < wlen || memcmp(stream + slen - wlen, w1, strlen(w1)) != 0 ||
	    memcmp(stream + slen - strlen(w2), w2, strlen(w2)) != 0)
		fail("the log does not end with what was written");
	/* Kept (not rotated away): the old sound stream is its start. */
	if (access(rotated, F_OK) != 0 && (slen < oldslen ||
	    memcmp(stream, oldstream, oldslen) != 0))
		fail("the old part of the log changed");

	/* A restarted xenconsoled resumes where this one ended. */
	if (conlog_open(dir, "fz", &id, 1 << 20, 1, &l, &again, &cause) != 0)
		fail(cause);
	if (again != end)
		fail("reopening does not resume at the end");
	/* It goes on with the line the first left open. */
	if (conlog_write(l, "more\n", 5, 1e9 + 1) != 0)
		fail("write failed");
	conlog_close(l);
	free(stream);
	if (file_read(path, &old, &len, &cause) != 0)
		fail(cause);
	if (conlog_strip(old, len, &stream, &slen) != 0)
		fail("the log written after reopening is not sound");
	if (slen < 8 || memcmp(stream + slen - 8, "endmore\n", 8) != 0)
		fail("the open line was not continued");
	free(old);
	free(stream);
	free(text);
	free(oldstream);
	return (0);
}
