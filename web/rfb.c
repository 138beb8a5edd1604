/*
 * rfb.c: what a viewer's browser may send to a graphical console.  A
 * viewer sees the screen and changes nothing, so between noVNC and
 * xenconsoled's VNC port xensv reads the client's side of RFB 3.7/3.8
 * (RFC 6143) and passes only the handshake and the messages that ask for
 * pictures (SetPixelFormat, SetEncodings, FramebufferUpdateRequest,
 * EnableContinuousUpdates); keys, pointer and clipboard are dropped;
 * anything else ends the connection.  Pure: unit-tested and fuzzed.
 */
#include <stdint.h>
#include <string.h>

#include "xen-common.h"
#include "xensv.h"

enum {
	RFB_VERSION, RFB_SECTYPE, RFB_AUTH, RFB_INIT, RFB_MSG, RFB_BODY,
	RFB_ENCODINGS, RFB_CUTTEXT,
};

void
rfb_filter_init(struct rfb_filter *f)
{
	memset(f, 0, sizeof *f);
	f->state = RFB_VERSION;
	f->need = 12;
	f->pass = 1;
}

/* The length of a client message by its type (the header read so far). */
static int
msg_start(struct rfb_filter *f, uint8_t type)
{
	switch (type) {
	case 0:		/* SetPixelFormat */
		f->need = 20;
		f->pass = 1;
		break;
	case 2:		/* SetEncodings: u16 count of s32 after 4 bytes */
		f->need = 4;
		f->pass = 1;
		f->state = RFB_ENCODINGS;
		return (0);
	case 3:		/* FramebufferUpdateRequest */
		f->need = 10;
		f->pass = 1;
		break;
	case 4:		/* KeyEvent */
		f->need = 8;
		f->pass = 0;
		break;
	case 5:		/* PointerEvent */
		f->need = 6;
		f->pass = 0;
		break;
	case 6:		/* ClientCutText: u32 length after 8 bytes */
		f->need = 8;
		f->pass = 0;
		f->state = RFB_CUTTEXT;
		return (0);
	case 150:	/* EnableContinuousUpdates */
		f->need = 10;
		f->pass = 1;
		break;
	default:
		return (-1);
	}
	f->state = RFB_BODY;
	return (0);
}

ssize_t
rfb_filter(struct rfb_filter *f, const uint8_t *in, size_t len,
    uint8_t *out)
{
	size_t	 o = 0, n;
	uint8_t	 b;

	while (len > 0) {
		if (f->state == RFB_MSG) {
			f->have = 0;
			if (msg_start(f, in[0]) != 0)
				return (-1);
		}
		n = f->need - f->have;
		if (n > len)
			n = len;
		/* Headers are kept to read lengths and choices from. */
		if (f->have < sizeof f->hdr)
			memcpy(f->hdr + f->have, in, n < sizeof f->hdr - f->have ?
			    n : sizeof f->hdr - f->have);
		if (f->pass) {
			memcpy(out + o, in, n);
			o += n;
		}
		f->have += n;
		in += n;
		len -= n;
		if (f->have < f->need)
			continue;
		switch (f->state) {
		case RFB_VERSION:
			if (memcmp(f->hdr, "RFB 003.008\n", 12) != 0 &&
			    memcmp(f->hdr, "RFB 003.007\n", 12) != 0)
				return (-1);
			f->state = RFB_SECTYPE;
			f->need = 1;
			break;
		case RFB_SECTYPE:
			b = f->hdr[0];
			if (b == 1) {		/* None */
				f->state = RFB_INIT;
				f->need = 1;
			} else if (b == 2) {	/* VNC authentication */
				f->state = RFB_AUTH;
				f->need = 16;
			} else
				return (-1);
			break;
		case RFB_AUTH:
			f->state = RFB_INIT;
			f->need = 1;
			break;
		case RFB_ENCODINGS:
			f->need = 4 + 4 * (size_t)(f->hdr[2] << 8 | f->hdr[3]);
			f->state = RFB_BODY;
			if (f->have < f->need)
				continue;
			f->state = RFB_MSG;
			break;
		case RFB_CUTTEXT:
			f->need = 8 + ((size_t)f->hdr[4] << 24 |
			    (size_t)f->hdr[5] << 16 | (size_t)f->hdr[6] << 8 |
			    f->hdr[7]);
			f->state = RFB_BODY;
			if (f->have < f->need)
				continue;
			f->state = RFB_MSG;
			break;
		case RFB_INIT:
		case RFB_BODY:
			f->state = RFB_MSG;
			f->pass = 1;
			break;
		}
		f->have = 0;
		if (f->state == RFB_MSG)
			f->need = 1;
	}
	return (o);
}
