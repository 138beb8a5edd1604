/*
 * fuzz-webreq.c: xensv's input paths on arbitrary bytes.  The input is
 * split at NUL bytes into a URL, a Cookie header, an Accept-Encoding
 * header, an Origin and a Host; the rest is what a browser sends on a
 * WebSocket, fed through wslay's server framing with xensv's message
 * limit, each message then through the viewer's RFB filter (rfb.c).
 * Properties: a path that path_clean accepts never has an empty,
 * "." or ".." segment or a control character; decoding never lengthens a
 * URL; a cookie value fits its buffer and has no ';'; the RFB filter never
 * passes more than it was given, nor a byte after it refused.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wslay/wslay.h>

#include "xen-common.h"
#include "xensv.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct feed {
	const uint8_t	*p;
	size_t		 len;
	size_t		 msgs;
	struct rfb_filter rfb;
	int		 refused;
};

static ssize_t
feed_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *arg)
{
	struct feed	*f = arg;

	if (f->len == 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return (-1);
	}
	/* Short reads, as a socket gives them. */
	if (len > 7)
		len = 7;
	if (len > f->len)
		len = f->len;
	memcpy(buf, f->p, len);
	f->p += len;
	f->len -= len;
	return (len);
}

static ssize_t
feed_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	return (len);
}

static void
feed_msg(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *a, void *arg)
{
	struct feed	*f = arg;
	uint8_t		 out[4096];
	ssize_t		 n;

	if (a->msg_length > 4096)
		abort();	/* over the limit set below */
	f->msgs++;
	if (f->refused)
		return;
	n = rfb_filter(&f->rfb, a->msg, a->msg_length, out);
	if (n > (ssize_t)a->msg_length)
		abort();
	if (n < 0)
		f->refused = 1;
}

static const char *
field(const uint8_t **p, size_t *len, char *buf, size_t size)
{
	const uint8_t	*nul = memchr(*p, '\0', *len);
	size_t		 n = nul != NULL ? (size_t)(nul - *p) : *len;

	if (n >= size)
		n = size - 1;
	memcpy(buf, *p, n);
	buf[n] = '\0';
	if (nul != NULL) {
		*len -= nul - *p + 1;
		*p = nul + 1;
	} else {
		*p += *len;
		*len = 0;
	}
	return (buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char			 url[2048], cookie[1024], ae[256], origin[256];
	char			 host[256], out[1024], val[80], *s, *seg;
	const uint8_t		*p = data;
	size_t			 len = size, before;
	struct feed		 f;
	wslay_event_context_ptr	 ctx;
	static const struct wslay_event_callbacks cbs = {
		feed_recv, feed_send, NULL, NULL, NULL, NULL, feed_msg,
	};

	field(&p, &len, url, sizeof url);
	field(&p, &len, cookie, sizeof cookie);
	field(&p, &len, ae, sizeof ae);
	field(&p, &len, origin, sizeof origin);
	field(&p, &len, host, sizeof host);

	before = strlen(url);
	if (url_unescape(url) > before)
		abort();
	if (path_clean(url, out, sizeof out) == 0) {
		for (s = out; (seg = strsep(&s, "/")) != NULL; ) {
			if (seg[0] == '\0' || seg[0] == '.')
				abort();
		}
		for (s = url; *s != '\0'; s++)
			if ((unsigned char)*s < 0x20 || *s == '\\')
				abort();
		(void)path_content_type(url);
		(void)path_public(url);
	}
	if (cookie_get(cookie, "xensv_session", val, sizeof val) == 0 &&
	    (strlen(val) >= sizeof val || strchr(val, ';') != NULL))
		abort();
	(void)accepts_gzip(ae);
	(void)origin_ok(origin, host, 0);
	(void)token_equal(cookie, host);

	memset(&f, 0, sizeof f);
	rfb_filter_init(&f.rfb);
	f.p = p;
	f.len = len;
	if (wslay_event_context_server_init(&ctx, &cbs, &f) != 0)
		abort();
	wslay_event_config_set_max_recv_msg_length(ctx, 4096);
	while (f.len > 0 && wslay_event_want_read(ctx)) {
		if (wslay_event_recv(ctx) != 0)
			break;
		if (wslay_event_want_write(ctx))
			wslay_event_send(ctx);
	}
	wslay_event_context_free(ctx);
	return (0);
}
