/* fuzz-jsonl.c: see fuzz-jsonl.h. */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "xen-common.h"
#include "fuzz-jsonl.h"

/* Each reply line a JSON object with an id and a result or an error. */
static void
check_reply(const char *line, size_t len)
{
	json_t		*msg;
	json_error_t	 jerr;

	if ((msg = json_loadb(line, len, 0, &jerr)) == NULL) {
		fprintf(stderr, "reply is not json: %s: %.*s\n", jerr.text,
		    (int)len, line);
		abort();
	}
	if (!json_is_object(msg) || json_object_get(msg, "id") == NULL ||
	    (json_object_get(msg, "result") == NULL) ==
	    (json_object_get(msg, "error") == NULL)) {
		fprintf(stderr, "bad reply: %.*s\n", (int)len, line);
		abort();
	}
	json_decref(msg);
}

void
fuzz_jsonl_exchange(struct event_base *base, const char *path,
    const char *who, const uint8_t *data, size_t size)
{
	struct sockaddr_un	 sun;
	char			*out = NULL, *nl;
	size_t			 i, want = 0, got = 0, sent = 0, nout = 0;
	size_t			 start;
	char			 buf[65536];
	ssize_t			 n;
	int			 fd, idle = 0;
	uint8_t			*in;

	/* Non-empty lines: each needs one answer. */
	for (i = 0, start = 0; i <= size; i++) {
		if (i == size || data[i] == '\n') {
			if (i > start)
				want++;
			start = i + 1;
		}
	}
	in = xmalloc(size + 1);
	memcpy(in, data, size);
	in[size] = '\n';

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		fatal("socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0)
		fatal("connect");
	fd_set_nonblock(fd);

	while (got < want || sent < size + 1) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (sent < size + 1) {
			n = write(fd, in + sent, size + 1 - sent);
			if (n > 0)
				sent += n;
			else if (n == -1 && errno != EAGAIN)
				fatal("write");
		}
		n = read(fd, buf, sizeof buf);
		if (n == 0) {
			fprintf(stderr, "%s closed the connection after %zu of "
			    "%zu replies\n", who, got, want);
			abort();
		}
		if (n > 0) {
			idle = 0;
			out = xrealloc(out, nout + n);
			memcpy(out + nout, buf, n);
			nout += n;
			while ((nl = memchr(out, '\n', nout)) != NULL) {
				check_reply(out, nl - out);
				got++;
				nout -= nl + 1 - out;
				memmove(out, nl + 1, nout);
			}
		} else if (++idle > 100000) {
			fprintf(stderr, "no reply: %zu of %zu\n", got, want);
			abort();
		}
	}
	/* Let it see the close, then no more than the asked was said. */
	close(fd);
	event_base_loop(base, EVLOOP_NONBLOCK);
	if (got != want || nout != 0) {
		fprintf(stderr, "%zu replies to %zu requests\n", got, want);
		abort();
	}
	free(out);
	free(in);
}
