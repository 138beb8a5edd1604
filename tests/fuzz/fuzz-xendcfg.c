/* fuzz-xendcfg.c: xendcfg_load on arbitrary xend-config.sxp contents. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "xendcfg.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 fuzz_dir[64];
static char	 fuzz_path[96];

static void
fuzz_cleanup(void)
{
	unlink(fuzz_path);
	rmdir(fuzz_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/fuzz-xendcfg.XXXXXX");
	if (mkdtemp(fuzz_dir) == NULL)
		fatal("mkdtemp");
	snprintf(fuzz_path, sizeof fuzz_path, "%s/xend-config.sxp", fuzz_dir);
	atexit(fuzz_cleanup);
	return (0);
}

static void
fuzz_warn(const char *msg)
{
	if (strncmp(msg, fuzz_path, strlen(fuzz_path)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xendcfg	 cfg;
	char		*cause;
	int		 fd;

	fd = open(fuzz_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, data, size) != (ssize_t)size)
		fatal("%s", fuzz_path);
	close(fd);
	if (xendcfg_load(fuzz_dir, &cfg, fuzz_warn, &cause) != 0) {
		if (strncmp(cause, fuzz_path, strlen(fuzz_path)) != 0)
			abort();
		free(cause);
		return (0);
	}
	if (cfg.console_port_base < 1 || cfg.console_port_base > 65535 ||
	    cfg.logfile == NULL || cfg.default_bridge == NULL)
		abort();
	xendcfg_free(&cfg);
	return (0);
}
