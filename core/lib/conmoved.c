/*
 * conmoved.c: reading xenconsoled's "moved" notice back (conmoved.h).  The
 * notice shares the stream with the guest's output, so only a notice that
 * is the very last thing before the connection ended counts: the guest
 * cannot print after xenconsoled's close.
 */
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "conmoved.h"

void
conmoved_feed(struct conmoved_tail *t, const void *data, size_t len)
{
	const char	*p = data;
	size_t		 keep;

	if (len >= sizeof t->buf) {
		memcpy(t->buf, p + len - sizeof t->buf, sizeof t->buf);
		t->len = sizeof t->buf;
		return;
	}
	if (t->len + len > sizeof t->buf) {
		keep = sizeof t->buf - len;
		memmove(t->buf, t->buf + t->len - keep, keep);
		t->len = keep;
	}
	memcpy(t->buf + t->len, p, len);
	t->len += len;
}

int
conmoved_parse(const struct conmoved_tail *t, char **host, int *port)
{
	static const char	 head[] = "[xenconsoled: domain ";
	static const char	 moved[] = " moved to ";
	static const char	 there[] = " there]";
	static const char	 is[] = "; its console is port ";
	char			 s[sizeof t->buf + 1], *start, *p, *h, *q;
	size_t			 len = t->len;
	long			 n;

	memcpy(s, t->buf, len);
	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == '\n'))
		len--;
	s[len] = '\0';
	if (len < sizeof there - 1 || strcmp(s + len - (sizeof there - 1),
	    there) != 0)
		return (-1);
	s[len - (sizeof there - 1)] = '\0';
	/* The notice's own line: the last "[xenconsoled: domain ". */
	for (start = NULL, p = s; (p = strstr(p, head)) != NULL; p++)
		start = p;
	if (start == NULL || strchr(start, '\n') != NULL)
		return (-1);
	for (h = NULL, p = start; (p = strstr(p, moved)) != NULL; p++)
		h = p + sizeof moved - 1;
	if (h == NULL || (q = strstr(h, is)) == NULL || q == h)
		return (-1);
	*q = '\0';
	if (strpbrk(h, " \t;[]") != NULL ||
	    parse_long(q + sizeof is - 1, 1, 65535, &n) != 0)
		return (-1);
	*host = xstrdup(h);
	*port = (int)n;
	return (0);
}
