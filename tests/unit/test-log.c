/* test-log.c: log lines escape control characters; log files are 0640. */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "xen-common.h"

static void
test_escape(void **state)
{
	char	*s;

	s = log_escape("plain caf\xc3\xa9 \\ text");
	assert_string_equal(s, "plain caf\xc3\xa9 \\ text");
	free(s);
	s = log_escape("\x1b[2J\x1b]0;t\x07\nnext\r\x7f\x01");
	assert_string_equal(s, "\\x1b[2J\\x1b]0;t\\x07\\x0anext\\x0d\\x7f\\x01");
	free(s);
	s = log_escape("");
	assert_string_equal(s, "");
	free(s);
}

static void
test_file(void **state)
{
	char		 dir[] = "/tmp/test-log-XXXXXX", *path, *text, *cause;
	struct stat	 sb;
	FILE		*f;

	assert_non_null(mkdtemp(dir));
	xasprintf(&path, "%s/x.log", dir);
	/* An existing world-readable log is narrowed. */
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(path, 0644), 0);
	log_open("t", path, LOG_INFO);
	log_info("guest said %s", "\x1b[31mred\nfake entry");
	log_close();
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	assert_int_equal(file_read(path, &text, NULL, &cause), 0);
	assert_non_null(strstr(text, "info: guest said \\x1b[31mred\\x0afake "
	    "entry\n"));
	assert_null(strchr(text, '\x1b'));
	free(text);
	unlink(path);
	/* A new one is made 0640. */
	log_open("t", path, LOG_INFO);
	log_info("x");
	log_close();
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	unlink(path);
	rmdir(dir);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_file),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
