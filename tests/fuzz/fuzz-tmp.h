/*
 * fuzz-tmp.h: a scratch directory for a fuzz target's sockets and files,
 * removed with everything in it when the run ends (exit, including
 * libFuzzer's at -max_total_time and -runs).  A crash leaves it, named
 * /tmp/fuzz-NAME.XXXXXX, for the post-mortem.
 */
#ifndef FUZZ_TMP_H
#define FUZZ_TMP_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static char	fuzz_tmp[64];

static int
fuzz_tmp_rm(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	remove(path);
	return (0);
}

static void
fuzz_tmp_clean(void)
{
	nftw(fuzz_tmp, fuzz_tmp_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes DIR/fuzz-NAME.XXXXXX (DIR: /dev/shm if it can, else /tmp). */
static const char *
fuzz_tmpdir(const char *name)
{
	snprintf(fuzz_tmp, sizeof fuzz_tmp, "/dev/shm/fuzz-%s.XXXXXX", name);
	if (mkdtemp(fuzz_tmp) == NULL) {
		snprintf(fuzz_tmp, sizeof fuzz_tmp, "/tmp/fuzz-%s.XXXXXX",
		    name);
		if (mkdtemp(fuzz_tmp) == NULL) {
			perror("mkdtemp");
			abort();
		}
	}
	atexit(fuzz_tmp_clean);
	return (fuzz_tmp);
}

#endif
