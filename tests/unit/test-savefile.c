/* test-savefile.c: the save file's header, writer and refusals. */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "xen-common.h"
#include "../../core/xend/savefile.h"

static char	 dir[] = "/tmp/test-savefile.XXXXXX";

static char *
path_in(const char *name)
{
	return (xsprintf("%s/%s", dir, name));
}

/* A save file of name with stream bytes 0..n-1 (mod 251). */
static char *
make_file(const char *name, size_t n)
{
	struct savefile_writer	*w;
	json_t			*meta;
	char			*path = path_in(name), *cause = NULL;
	unsigned char		 buf[1000];
	size_t			 i, k;

	meta = json_pack("{s:{s:s, s:i}, s:s}", "config", "name", "vm1",
	    "memory", 64, "qemu_version", "7.2.0");
	assert_int_equal(savefile_create(path, meta, &w, &cause), 0);
	json_decref(meta);
	for (i = 0; i < n; i += k) {
		k = n - i < sizeof buf ? n - i : sizeof buf;
		for (size_t j = 0; j < k; j++)
			buf[j] = (i + j) % 251;
		assert_int_equal(savefile_write(w, buf, k, &cause), 0);
	}
	assert_int_equal(savefile_commit(w, &cause), 0);
	return (path);
}

static int
count_entries(void)
{
	DIR		*dp = opendir(dir);
	struct dirent	*de;
	int		 n = 0;

	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(dp);
	return (n);
}

static void
test_round_trip(void **state)
{
	char			*path = make_file("good", 5000), *cause = NULL;
	struct savefile_hdr	 h;
	json_t			*meta;
	unsigned char		 buf[6000];
	ssize_t			 n;
	int			 fd;

	assert_int_equal(savefile_open(path, &h, &meta, &fd, &cause), 0);
	assert_int_equal(h.version, SAVEFILE_VERSION);
	assert_int_equal(h.stream_len, 5000);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    meta, "config"), "name")), "vm1");
	n = read(fd, buf, sizeof buf);
	assert_int_equal(n, 5000);
	assert_int_equal(buf[260], 260 % 251);
	assert_int_equal(savefile_crc(0, buf, n), h.stream_crc);
	close(fd);
	json_decref(meta);
	/* No temporary file left beside it. */
	assert_int_equal(count_entries(), 1);
	unlink(path);
	free(path);
}

/* Writes len bytes of data at off in path. */
static void
patch(const char *path, off_t off, const void *data, size_t len)
{
	int	 fd = open(path, O_WRONLY);

	assert_true(fd != -1);
	assert_int_equal(pwrite(fd, data, len, off), (ssize_t)len);
	close(fd);
}

static void
expect_refused(const char *path, const char *what)
{
	struct savefile_hdr	 h;
	json_t			*meta = NULL;
	char			*cause = NULL;
	int			 fd = -1;

	assert_int_equal(savefile_open(path, &h, &meta, &fd, &cause), -1);
	assert_null(meta);
	if (strstr(cause, what) == NULL)
		fail_msg("'%s' lacks '%s'", cause, what);
	assert_true(strncmp(cause, path, strlen(path)) == 0);
	free(cause);
}

static void
test_truncated(void **state)
{
	char	*path = make_file("trunc", 5000);

	assert_int_equal(truncate(path, 4000), 0);
	expect_refused(path, "truncated save file (");
	assert_int_equal(truncate(path, 20), 0);
	expect_refused(path, "truncated save file");
	assert_int_equal(truncate(path, 0), 0);
	expect_refused(path, "not a save file");
	unlink(path);
	free(path);
}

static void
test_corrupt(void **state)
{
	char		*path = make_file("corrupt", 5000);
	unsigned char	 b = 0xff;

	/* A flipped version byte: the header's own checksum catches it. */
	patch(path, 8, "\x07", 1);
	expect_refused(path, "corrupt save file (header checksum");
	unlink(path);
	free(path);

	path = make_file("corrupt", 5000);
	patch(path, SAVEFILE_HDR_LEN + 3, &b, 1);
	expect_refused(path, "corrupt save file (meta checksum");
	unlink(path);
	free(path);

	/* Bytes appended after the end. */
	path = make_file("corrupt", 100);
	patch(path, SAVEFILE_HDR_LEN + 5000, &b, 1);
	expect_refused(path, "after its end");
	unlink(path);
	free(path);
}

static void
test_foreign_and_newer(void **state)
{
	char			*path = make_file("foreign", 10);
	unsigned char		 hdr[SAVEFILE_HDR_LEN];
	struct savefile_hdr	 h;
	int			 fd;

	patch(path, 0, "QEVM\0\0\0\3", 8);	/* QEMU's own stream */
	expect_refused(path, "not a save file of xm save");
	unlink(path);
	free(path);

	path = make_file("newer", 10);
	fd = open(path, O_RDONLY);
	assert_int_equal(read(fd, hdr, sizeof hdr), (ssize_t)sizeof hdr);
	close(fd);
	assert_int_equal(savefile_decode(hdr, sizeof hdr, "x", &h, &(char *){
	    NULL }), 0);
	h.version = SAVEFILE_VERSION + 1;
	savefile_encode(hdr, &h);
	patch(path, 0, hdr, sizeof hdr);
	expect_refused(path, "format 2 is newer than this xend reads (up to "
	    "1)");
	unlink(path);
	free(path);
}

static void
test_abort_leaves_nothing(void **state)
{
	struct savefile_writer	*w;
	char			*path = path_in("aborted"), *cause = NULL;
	json_t			*meta = json_pack("{s:{}}", "config");
	struct savefile_hdr	 h;
	json_t			*m;
	int			 fd;

	assert_int_equal(savefile_create(path, meta, &w, &cause), 0);
	assert_int_equal(savefile_write(w, "abc", 3, &cause), 0);
	/* While written, the file is under a temporary name, marked part. */
	assert_int_equal(count_entries(), 1);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(savefile_open(w->tmp, &h, &m, &fd, &cause), -1);
	assert_non_null(strstr(cause, "incomplete save file"));
	free(cause);
	savefile_abort(w);
	assert_int_equal(count_entries(), 0);
	json_decref(meta);

	/* An unwritable place fails at once and names the path. */
	meta = json_pack("{s:{}}", "config");
	assert_int_equal(savefile_create("/nonexistent/dir/f", meta, &w,
	    &cause), -1);
	assert_string_equal(cause, "/nonexistent/dir/f: No such file or "
	    "directory");
	free(cause);
	json_decref(meta);
	free(path);
}

/*
 * A FIFO (or a device) is refused without being read: open or read would
 * wait for a writer that never comes, and xend with them.  The alarm
 * ends the test, failed, if savefile_open waits.
 */
static void
test_not_regular(void **state)
{
	char	*path = path_in("fifo");

	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(5);
	expect_refused(path, "not a regular file");
	expect_refused(dir, "not a regular file");
	alarm(0);
	unlink(path);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_foreign_and_newer),
		cmocka_unit_test(test_abort_leaves_nothing),
		cmocka_unit_test(test_not_regular),
	};
	int	 rc;

	if (mkdtemp(dir) == NULL)
		return (1);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return (rc);
}
