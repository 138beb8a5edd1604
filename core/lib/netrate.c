/*
 * netrate.c: a vif's rate limit as Xen wrote it ("rate=10Mb/s",
 * "rate=1MB/s@20ms"): a number, an optional K, M or G (powers of 1000
 * for bits, of 1024 for bytes, as Xen's netif code had it), b (bits) or
 * B (bytes), "/s", and an optional "@" interval in s, ms or us (default
 * 50 ms) over which the rate is credited.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "netrate.h"

#define NETRATE_DEFAULT_US	50000UL

int
netrate_parse(const char *s, struct netrate *out, char **cause)
{
	const char	*p = s, *at;
	char		*end;
	unsigned long long n, mult = 1, bits;
	unsigned long	 us = NETRATE_DEFAULT_US;
	double		 v;
	int		 bytes;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		goto bad;
	errno = 0;
	n = strtoull(p, &end, 10);
	if (end == p || errno != 0)
		goto bad;
	p = end;
	if (*p == 'K' || *p == 'k')
		mult = 1000, p++;
	else if (*p == 'M')
		mult = 1000 * 1000, p++;
	else if (*p == 'G')
		mult = 1000 * 1000 * 1000, p++;
	if (*p == 'b')
		bytes = 0;
	else if (*p == 'B')
		bytes = 1;
	else
		goto bad;
	p++;
	if (strncmp(p, "/s", 2) != 0)
		goto bad;
	p += 2;
	if (bytes && mult > 1)
		mult = mult == 1000 ? 1024 : mult == 1000 * 1000 ?
		    1024 * 1024 : 1024ULL * 1024 * 1024;
	if (*p == '@') {
		at = p + 1;
		errno = 0;
		v = strtod(at, &end);
		if (end == at || errno != 0 || v <= 0)
			goto bad;
		if (strcmp(end, "s") == 0)
			v *= 1e6;
		else if (strcmp(end, "ms") == 0)
			v *= 1e3;
		else if (strcmp(end, "us") != 0)
			goto bad;
		if (v < 1 || v > 1e7)
			goto bad;
		us = (unsigned long)v;
	} else if (*p != '\0')
		goto bad;
	if (n == 0 || n > (1ULL << 40) / mult)
		goto bad;
	bits = n * mult * (bytes ? 8 : 1);
	out->bits_per_s = bits;
	out->interval_us = us;
	/* What the interval lets through, at least one full frame. */
	out->burst_bytes = bits / 8 * us / 1000000;
	if (out->burst_bytes < 1600)
		out->burst_bytes = 1600;
	return (0);
bad:
	*cause = xsprintf("invalid rate '%s': expected a number, K, M or G, "
	    "b or B, /s, and optionally @ an interval (10Mb/s, 1MB/s@20ms)",
	    s != NULL ? s : "");
	return (-1);
}
