/*
 * fuzz-rpc.c: the client side of the JSON-lines module (core/lib/rpc.c)
 * on arbitrary bytes from the server: three requests are in flight on an
 * rpc_client, the input (a final newline added) is what the peer answers,
 * then the peer closes.  Properties: nothing aborts or leaks; every request
 * gets exactly one reply callback (a matched reply, or "disconnected" when
 * the peer goes); the close callback runs once, last.  The server side's
 * framing is reached through fuzz-api and fuzz-conctl.
 */
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xen-common.h"
#include "fuzz-tmp.h"
#include "rpc.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	*sock_path;
static int	 listen_fd = -1;

struct state {
	int	 replies[3];
	int	 closed;
	struct rpc_client *c;
};

static void
on_reply(struct rpc_client *c, const struct rpc_msg *m, void *arg)
{
	int	*n = arg;

	if (m->code != NULL && m->message == NULL)
		abort();
	(*n)++;
}

static void
on_event(struct rpc_client *c, const struct rpc_msg *m, void *arg)
{
	if (m->bad && m->message == NULL)
		abort();
}

static void
on_close(struct rpc_client *c, const char *why, void *arg)
{
	struct state	*st = arg;

	st->closed++;
	rpc_client_free(c, NULL);
	st->c = NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	*cause;

	log_open("fuzz-rpc", "/dev/null", LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	sock_path = xsprintf("%s/peer.sock", fuzz_tmpdir("rpc"));
	if ((listen_fd = unix_listen(sock_path, &cause)) == -1)
		fatalx("%s", cause);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state	 st;
	char		*cause, *line;
	int		 peer, i;

	memset(&st, 0, sizeof st);
	st.c = rpc_client_open(sock_path, "peer", on_event, on_close, &st,
	    &cause);
	if (st.c == NULL)
		fatalx("%s", cause);
	if ((peer = accept(listen_fd, NULL, NULL)) == -1)
		fatalx("accept failed");
	for (i = 0; i < 3; i++) {
		if (rpc_client_call(st.c, "op", NULL, on_reply, &st.replies[i],
		    &cause) != 0)
			fatalx("%s", cause);
	}
	/* Written by the peer before it reads: the socket holds it. */
	line = xmalloc(size + 1);
	memcpy(line, data, size);
	line[size] = '\n';
	if (size + 1 > 100000 || fd_write_all(peer, line, size + 1) != 0) {
		free(line);
		close(peer);
		rpc_client_free(st.c, NULL);
		return (0);
	}
	free(line);
	shutdown(peer, SHUT_WR);
	while (st.c != NULL) {
		struct pollfd pf = { rpc_client_fd(st.c), POLLIN, 0 };

		poll(&pf, 1, 1000);
		if (rpc_client_read(st.c) == -1 && st.c != NULL)
			abort();	/* the close callback frees it */
	}
	close(peer);
	for (i = 0; i < 3; i++) {
		if (st.replies[i] != 1)
			abort();
	}
	if (st.closed != 1)
		abort();
	return (0);
}
