/*
 * fuzz-conctl.c: xenconsoled's control socket (consoled/control.c) on
 * arbitrary bytes, through the real socket: the input, plus a final
 * newline, is written to a connection on control.c's listener and the
 * event loop runs until every line is answered.  The rest of xenconsoled
 * is the real library with no consoles and no xend link.  Properties:
 * xenconsoled never aborts (an unencodable reply is a fatalx); every
 * non-empty line gets exactly one reply line, a JSON object with "id" and
 * either "result" or "error"; nothing leaks.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "xen-common.h"
#include "fuzz-tmp.h"
#include "fuzz-jsonl.h"
#include "xendcfg.h"
#include "consoled.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What consoled/main.c defines for the library. */
struct event_base	*cd_base;
struct xendcfg		 cd_cfg;
double			 cd_start_time;

char *
cd_control_path(void)
{
	return (xendcfg_consoled_path(&cd_cfg));
}

static char	*sock_path;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*dir = fuzz_tmpdir("conctl");
	char		*cause;

	log_open("xenconsoled", "/dev/null", LOG_ERROR);
	/* As xenconsoled: a peer gone is a write error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	cd_cfg.console_socket_dir = xstrdup(dir);
	cd_cfg.console_log_dir = xstrdup(dir);
	cd_start_time = time_wall();
	if ((cd_base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if (control_init(&cause) != 0)
		fatalx("%s", cause);
	sock_path = cd_control_path();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_jsonl_exchange(cd_base, sock_path, "xenconsoled", data, size);
	return (0);
}
