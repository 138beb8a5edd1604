/*
 * ring.c: the console history.  Every byte has an absolute offset in the
 * domain's output stream; the ring holds the last 'size' of them.  Each
 * client keeps its own offset, so a slow client never holds the writer
 * back: it finds its offset has fallen off the tail and skips ahead.
 */
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "consoled.h"

struct ring *
ring_new(size_t size)
{
	struct ring	*r = xcalloc(1, sizeof *r);

	if (size == 0)
		fatalx("ring_new: size 0");
	r->buf = xmalloc(size);
	r->size = size;
	return (r);
}

void
ring_free(struct ring *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}

void
ring_write(struct ring *r, const void *data, size_t len)
{
	const char	*p = data;
	size_t		 at, n;

	if (len > r->size) {		/* only the end survives */
		r->head += len - r->size;
		p += len - r->size;
		len = r->size;
	}
	while (len > 0) {
		at = r->head % r->size;
		n = r->size - at;
		if (n > len)
			n = len;
		memcpy(r->buf + at, p, n);
		r->head += n;
		p += n;
		len -= n;
	}
}

uint64_t
ring_tail(const struct ring *r)
{
	return (r->head > r->size ? r->head - r->size : 0);
}

size_t
ring_peek(const struct ring *r, uint64_t pos, const char **p, size_t max)
{
	size_t	 at, n;

	if (pos < ring_tail(r) || pos >= r->head)
		return (0);
	at = pos % r->size;
	n = r->size - at;
	if ((uint64_t)n > r->head - pos)
		n = r->head - pos;
	if (n > max)
		n = max;
	*p = r->buf + at;
	return (n);
}

uint64_t
ring_history(const struct ring *r, int lines, size_t max)
{
	uint64_t	 tail = ring_tail(r), pos = r->head, limit;
	int		 seen = 0;

	if (lines <= 0)
		return (r->head);
	limit = r->head > max ? r->head - max : 0;
	if (limit < tail)
		limit = tail;
	/* A trailing partial line (a prompt) comes along for free. */
	while (pos > limit) {
		if (r->buf[(pos - 1) % r->size] == '\n' && pos != r->head &&
		    ++seen == lines)
			break;
		pos--;
	}
	return (pos);
}
