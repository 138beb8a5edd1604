/*
 * fuzz-consin.c: xenconsoled's client input handler (consoled/proto.c) on
 * arbitrary bytes, telnet and raw, in arbitrary pieces.  Properties: it
 * never crashes or runs away; raw bytes without the escape prefix reach
 * the guest unchanged; and whatever the guest prints reaches a telnet
 * client (libtelnet on the other end) unchanged, 0xFF included.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtelnet.h>

#include "xen-common.h"
#include "consoled.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct sink {
	struct proto	*p;
	char		*typed;
	size_t		 ntyped;
	char		*sent;
	size_t		 nsent;
	int		 stopped;
};

static void
sink_send(void *arg, const char *buf, size_t len)
{
	struct sink	*s = arg;

	s->sent = xrealloc(s->sent, s->nsent + len);
	memcpy(s->sent + s->nsent, buf, len);
	s->nsent += len;
}

static void
sink_input(void *arg, const char *buf, size_t len)
{
	struct sink	*s = arg;

	if (s->stopped)
		abort();	/* input after a stop */
	s->typed = xrealloc(s->typed, s->ntyped + len);
	memcpy(s->typed + s->ntyped, buf, len);
	s->ntyped += len;
}

static void
sink_command(void *arg, enum proto_cmd cmd)
{
	struct sink	*s = arg;

	if (cmd == PROTO_QUIT || cmd == PROTO_ABUSE) {
		proto_stop(s->p);
		s->stopped = 1;
	}
}

static const struct proto_cb sink_cb = { sink_send, sink_input,
    sink_command };

/* Feeds data in pieces whose sizes come from the data itself. */
static void
feed(struct proto *p, const uint8_t *data, size_t size, double *now)
{
	size_t	 off = 0, n;

	while (off < size) {
		n = 1 + data[off] % 64;
		if (n > size - off)
			n = size - off;
		proto_recv(p, (const char *)data + off, n, *now);
		*now += 0.01;
		off += n;
		if (proto_escape_held(p) && data[off - 1] % 3 == 0)
			proto_escape_flush(p);
	}
}

/* The client end: what libtelnet decodes from what the server sent. */
static char	*decoded;
static size_t	 ndecoded;

static void
client_event(telnet_t *t, telnet_event_t *ev, void *arg)
{
	if (ev->type != TELNET_EV_DATA)
		return;
	decoded = xrealloc(decoded, ndecoded + ev->data.size);
	memcpy(decoded + ndecoded, ev->data.buffer, ev->data.size);
	ndecoded += ev->data.size;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const telnet_telopt_t client_opts[] = {
		{ TELNET_TELOPT_ECHO, TELNET_WONT, TELNET_DO },
		{ TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO },
		{ TELNET_TELOPT_BINARY, TELNET_WILL, TELNET_DO },
		{ -1, 0, 0 }
	};
	struct sink	 s;
	double		 now = 1;
	telnet_t	*client;
	size_t		 i;

	/* Telnet: anything at all. */
	memset(&s, 0, sizeof s);
	s.p = proto_new(PROTO_TELNET, &sink_cb, &s);
	proto_start(s.p);
	feed(s.p, data, size, &now);
	proto_free(s.p);
	free(s.typed);
	free(s.sent);

	/* Raw: without ^E, input passes unchanged. */
	memset(&s, 0, sizeof s);
	s.p = proto_new(PROTO_RAW, &sink_cb, &s);
	feed(s.p, data, size, &now);
	if (memchr(data, PROTO_ESCAPE, size) == NULL &&
	    (s.ntyped != size || (size > 0 && memcmp(s.typed, data, size) !=
	    0)))
		abort();
	proto_free(s.p);
	free(s.typed);
	free(s.sent);

	/* Output: through the server and a libtelnet client, unchanged. */
	memset(&s, 0, sizeof s);
	s.p = proto_new(PROTO_TELNET, &sink_cb, &s);
	client = telnet_init(client_opts, client_event, 0, NULL);
	proto_start(s.p);
	telnet_recv(client, s.sent, s.nsent);	/* offers: it agrees */
	s.nsent = 0;
	proto_recv(s.p, "\xff\xfd\x00\xff\xfb\x00", 6, now);
	s.nsent = 0;
	ndecoded = 0;
	for (i = 0; i < size; i += 1 + data[i] % 32)
		proto_output(s.p, (const char *)data + i,
		    size - i < 1 + (size_t)(data[i] % 32) ? size - i :
		    1 + (size_t)(data[i] % 32));
	telnet_recv(client, s.sent, s.nsent);
	if (ndecoded != size || (size > 0 && memcmp(decoded, data, size) != 0))
		abort();
	telnet_free(client);
	proto_free(s.p);
	free(s.typed);
	free(s.sent);
	free(decoded);
	decoded = NULL;
	return (0);
}
