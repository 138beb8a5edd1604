/*
 * dmesg.c: xend's ring of notable events (xm dmesg), each line also
 * logged; any module may add to it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "xen-common.h"
#include "xend.h"

#define DMESG_MAX 256

static char	*dmesg_ring[DMESG_MAX];
static size_t	 dmesg_next, dmesg_count;

void
dmesg_add(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *line, *safe, when[32];
	time_t	 now = time(NULL);
	struct tm tm;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	localtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	log_info("%s", msg);
	/* Guests and scripts name things here: no raw control characters. */
	safe = log_escape(msg);
	free(msg);
	xasprintf(&line, "(XEN) [%s] %s", when, safe);
	free(safe);
	free(dmesg_ring[dmesg_next]);
	dmesg_ring[dmesg_next] = line;
	dmesg_next = (dmesg_next + 1) % DMESG_MAX;
	if (dmesg_count < DMESG_MAX)
		dmesg_count++;
}

json_t *
dmesg_lines(void)
{
	json_t	*out = json_array();
	size_t	 i, start = (dmesg_next + DMESG_MAX - dmesg_count) % DMESG_MAX;

	for (i = 0; i < dmesg_count; i++)
		json_array_append_new(out, json_string(
		    dmesg_ring[(start + i) % DMESG_MAX]));
	return (out);
}
