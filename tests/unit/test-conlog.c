/* test-conlog.c: per-domain console logs (consoled/conlog.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "consoled.h"

static char	*dir;

static int
setup(void **state)
{
	char	 tmpl[] = "/tmp/test-conlog-XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		return (-1);
	dir = xstrdup(tmpl);
	return (0);
}

static int
teardown(void **state)
{
	char	*cmd = xsprintf("rm -rf %s", dir);
	int	 r = system(cmd);

	free(cmd);
	free(dir);
	return (r == 0 ? 0 : -1);
}

static char *
slurp(const char *name, size_t *len)
{
	char	*path = xsprintf("%s/%s", dir, name), *text, *cause;

	if (file_read(path, &text, len, &cause) != 0)
		fail_msg("%s", cause);
	free(path);
	return (text);
}

/* The stream a set of files holds: NAME.log.K .. NAME.log.1, NAME.log. */
static char *
stream(const char *name, int keep, size_t *len)
{
	char	*all = xstrdup(""), *f, *text, *out;
	size_t	 n, on, total = 0;
	int	 i;
	struct stat st;

	for (i = keep; i >= 0; i--) {
		f = i == 0 ? xsprintf("%s.log", name) :
		    xsprintf("%s.log.%d", name, i);
		text = xsprintf("%s/%s", dir, f);
		if (stat(text, &st) != 0) {
			free(text);
			free(f);
			continue;
		}
		free(text);
		text = slurp(f, &n);
		assert_int_equal(conlog_strip(text, n, &out, &on), 0);
		all = xrealloc(all, total + on + 1);
		memcpy(all + total, out, on);
		total += on;
		free(out);
		free(text);
		free(f);
	}
	*len = total;
	return (all);
}

static void
test_stamps(void **state)
{
	struct conlog_id	 id = { 3, 10, 20 };
	struct conlog		*l;
	uint64_t		 off;
	char			*cause, *text;
	size_t			 len;
	double			 t = 1700000000.25;
	const char		*hdr = "# xenconsoled log of vm: domid=3 "
				    "source=10:20 offset=0\n";

	assert_int_equal(conlog_open(dir, "vm", &id, 1 << 20, 2, &l, &off,
	    &cause), 0);
	assert_int_equal(off, 0);
	assert_int_equal(conlog_write(l, "one\ntw", 6, t), 0);
	assert_int_equal(conlog_write(l, "o\n\nthree", 8, t + 1), 0);
	assert_int_equal(conlog_offset(l), 14);
	assert_int_equal(conlog_errors(l), 0);
	conlog_close(l);

	text = slurp("vm.log", &len);
	assert_int_equal(strncmp(text, hdr, strlen(hdr)), 0);
	/* Each line starts with a fixed-width stamp; none inside a line. */
	assert_int_equal(len, strlen(hdr) + 4 * CONLOG_STAMP_LEN + 14);
	assert_non_null(strstr(text, ".250] one\n["));
	assert_non_null(strstr(text, "] two\n["));
	assert_non_null(strstr(text, ".250] \n["));
	assert_non_null(strstr(text, "] three"));
	free(text);
}

static void
test_resume(void **state)
{
	struct conlog_id	 id = { 4, 1, 2 }, other = { 4, 1, 3 };
	struct conlog		*l;
	uint64_t		 off;
	char			*cause, *text, *path;
	size_t			 len;
	int			 fd;

	assert_int_equal(conlog_open(dir, "r", &id, 1 << 20, 2, &l, &off,
	    &cause), 0);
	assert_int_equal(conlog_write(l, "hello\nwor", 9, 1), 0);
	conlog_close(l);
	/* The same stream: carry on where it stopped, mid-line too. */
	assert_int_equal(conlog_open(dir, "r", &id, 1 << 20, 2, &l, &off,
	    &cause), 0);
	assert_int_equal(off, 9);
	assert_int_equal(conlog_write(l, "ld\n", 3, 2), 0);
	conlog_close(l);
	text = stream("r", 2, &len);
	assert_int_equal(len, 12);
	assert_memory_equal(text, "hello\nworld\n", 12);
	free(text);

	/* kill -9 in the middle of a write: a stamp cut short is dropped. */
	path = xsprintf("%s/r.log", dir);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd != -1);
	assert_int_equal(write(fd, "[2024-01-", 9), 9);
	close(fd);
	assert_int_equal(conlog_open(dir, "r", &id, 1 << 20, 2, &l, &off,
	    &cause), 0);
	assert_int_equal(off, 12);
	assert_int_equal(conlog_write(l, "again\n", 6, 3), 0);
	conlog_close(l);
	text = stream("r", 2, &len);
	assert_int_equal(len, 18);
	assert_memory_equal(text, "hello\nworld\nagain\n", 18);
	free(text);

	/* Another stream (a new domain of the same name): a fresh file. */
	assert_int_equal(conlog_open(dir, "r", &other, 1 << 20, 2, &l, &off,
	    &cause), 0);
	assert_int_equal(off, 0);
	conlog_close(l);
	free(path);
	path = xsprintf("%s/r.log.1", dir);
	assert_int_equal(access(path, F_OK), 0);
	free(path);
}

static void
test_rotation(void **state)
{
	struct conlog_id	 id = { 5, 1, 1 };
	struct conlog		*l;
	uint64_t		 off;
	char			*cause, *text, line[64], *want;
	size_t			 len, wlen = 0;
	int			 i;
	struct stat		 st;

	want = xmalloc(100000);
	assert_int_equal(conlog_open(dir, "rot", &id, 4096, 3, &l, &off,
	    &cause), 0);
	for (i = 0; i < 1000; i++) {
		snprintf(line, sizeof line, "line %d of the output\n", i);
		assert_int_equal(conlog_write(l, line, strlen(line), i), 0);
		memcpy(want + wlen, line, strlen(line));
		wlen += strlen(line);
	}
	conlog_close(l);
	/* Each file within bounds; three rotated ones kept, the tail. */
	for (i = 0; i <= 3; i++) {
		char *p = i == 0 ? xsprintf("%s/rot.log", dir) :
		    xsprintf("%s/rot.log.%d", dir, i);
		assert_int_equal(stat(p, &st), 0);
		assert_true(st.st_size <= 4096 + 100);
		free(p);
	}
	text = xsprintf("%s/rot.log.4", dir);
	assert_int_equal(access(text, F_OK), -1);
	free(text);
	text = stream("rot", 3, &len);
	assert_true(len < wlen);
	assert_memory_equal(text, want + wlen - len, len);
	free(text);
	/* The header says where each file starts in the stream. */
	assert_int_equal(conlog_open(dir, "rot", &id, 4096, 3, &l, &off,
	    &cause), 0);
	assert_int_equal(off, wlen);
	conlog_close(l);
	free(want);
}

static void
test_failures(void **state)
{
	struct conlog_id	 id = { 6, 1, 1 };
	struct conlog		*l;
	uint64_t		 off;
	char			*cause, *path, *text;
	size_t			 len;

	assert_int_equal(conlog_open(dir, "full", &id, 1 << 20, 2, &l, &off,
	    &cause), 0);
	assert_int_equal(conlog_write(l, "before\n", 7, 1), 0);
	/* The disk is full (the file is /dev/full after a reopen). */
	path = xsprintf("%s/full.log", dir);
	text = xsprintf("%s/full.log.keep", dir);
	assert_int_equal(rename(path, text), 0);
	free(text);
	assert_int_equal(symlink("/dev/full", path), 0);
	assert_int_equal(conlog_reopen(l, &cause), -1);
	free(cause);
	/* ... which the next write gets out of by rotating: no loss. */
	assert_int_equal(conlog_write(l, "after\n", 6, 2), 0);
	assert_int_equal(conlog_offset(l), 13);
	conlog_close(l);
	text = slurp("full.log", &len);
	assert_non_null(strstr(text, "offset=7\n"));
	free(text);

	/* A write that fails is counted, leaves no trace and keeps the
	 * offset, so the same bytes can be tried again. */
	assert_int_equal(conlog_open(dir, "dev", &id, 1 << 20, 2, &l, &off,
	    &cause), 0);
	conlog_close(l);
	free(path);
	path = xsprintf("%s/dev.log", dir);
	unlink(path);
	assert_int_equal(symlink("/dev/full", path), 0);
	assert_int_equal(conlog_open(dir, "dev", &id, 1 << 20, 0, &l, &off,
	    &cause), -1);
	assert_non_null(strstr(cause, "No space left on device"));
	free(cause);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stamps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
