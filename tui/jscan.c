/*
 * jscan.c: walks JSON text in place.  The dashboard reads a domain.list
 * reply every second; with hundreds of domains a jansson tree of it (every
 * config, every key hashed and copied) costs several times the CPU budget
 * of the whole program, while skipping what it does not show costs little.
 * Every function stays inside [p, end) whatever the input.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "top.h"

#define JSCAN_MAX_DEPTH	64

const char *
jscan_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return (p);
}

/* The end of the string whose opening quote is at p, or NULL. */
static const char *
skip_string(const char *p, const char *end)
{
	const char	*q, *b;

	/* Long runs without escapes are the common case: memchr them. */
	for (p++; p < end; p = b + 2) {
		if ((q = memchr(p, '"', end - p)) == NULL)
			return (NULL);
		if ((b = memchr(p, '\\', q - p)) == NULL)
			return (q + 1);
	}
	return (NULL);
}

static int
is_scalar_char(char c)
{
	return ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    c == '-' || c == '+' || c == '.' || c == 'E');
}

const char *
jscan_skip(const char *p, const char *end)
{
	char	 stack[JSCAN_MAX_DEPTH];
	int	 depth = 0;

	p = jscan_ws(p, end);
	if (p >= end)
		return (NULL);
	for (;;) {
		p = jscan_ws(p, end);
		if (p >= end)
			return (NULL);
		switch (*p) {
		case '"':
			if ((p = skip_string(p, end)) == NULL)
				return (NULL);
			break;
		case '{':
		case '[':
			if (depth == JSCAN_MAX_DEPTH)
				return (NULL);
			stack[depth++] = *p == '{' ? '}' : ']';
			p++;
			continue;
		case '}':
		case ']':
			if (depth == 0 || stack[depth - 1] != *p)
				return (NULL);
			depth--;
			p++;
			break;
		case ',':
		case ':':
			if (depth == 0)
				return (NULL);
			p++;
			continue;
		default:
			if (!is_scalar_char(*p))
				return (NULL);
			while (p < end && is_scalar_char(*p))
				p++;
			break;
		}
		if (depth == 0)
			return (p);
	}
}

int
jscan_object(const char *p, const char *end, jscan_member_fn fn, void *arg)
{
	const char	*key, *kend, *v, *vend;

	p = jscan_ws(p, end);
	if (p >= end || *p != '{')
		return (-1);
	p = jscan_ws(p + 1, end);
	if (p < end && *p == '}')
		return (0);
	for (;;) {
		if (p >= end || *p != '"')
			return (-1);
		key = p + 1;
		if ((p = skip_string(p, end)) == NULL)
			return (-1);
		kend = p - 1;
		p = jscan_ws(p, end);
		if (p >= end || *p != ':')
			return (-1);
		v = jscan_ws(p + 1, end);
		if ((vend = jscan_skip(v, end)) == NULL)
			return (-1);
		if (fn(key, kend - key, v, vend, arg) != 0)
			return (-1);
		p = jscan_ws(vend, end);
		if (p >= end)
			return (-1);
		if (*p == '}')
			return (0);
		if (*p != ',')
			return (-1);
		p = jscan_ws(p + 1, end);
	}
}

int
jscan_array(const char *p, const char *end, jscan_item_fn fn, void *arg)
{
	const char	*vend;

	p = jscan_ws(p, end);
	if (p >= end || *p != '[')
		return (-1);
	p = jscan_ws(p + 1, end);
	if (p < end && *p == ']')
		return (0);
	for (;;) {
		if ((vend = jscan_skip(p, end)) == NULL)
			return (-1);
		if (fn(p, vend, arg) != 0)
			return (-1);
		p = jscan_ws(vend, end);
		if (p >= end)
			return (-1);
		if (*p == ']')
			return (0);
		if (*p != ',')
			return (-1);
		p = jscan_ws(p + 1, end);
	}
}

double
jscan_number(const char *v, const char *vend)
{
	char	 buf[64], *ep;
	size_t	 n;
	double	 d;

	v = jscan_ws(v, vend);
	n = vend - v;
	if (n == 0 || n >= sizeof buf || !(*v == '-' || (*v >= '0' &&
	    *v <= '9')))
		return (NAN);
	memcpy(buf, v, n);
	buf[n] = '\0';
	d = strtod(buf, &ep);
	if (*ep != '\0' || !isfinite(d))
		return (NAN);
	return (d);
}

/* Appends code point u as UTF-8 if it fits. */
static size_t
put_utf8(char *buf, size_t o, size_t size, unsigned long u)
{
	char	 t[4];
	size_t	 n, i;

	if (u < 0x80) {
		t[0] = u;
		n = 1;
	} else if (u < 0x800) {
		t[0] = 0xc0 | (u >> 6);
		t[1] = 0x80 | (u & 0x3f);
		n = 2;
	} else if (u < 0x10000) {
		t[0] = 0xe0 | (u >> 12);
		t[1] = 0x80 | ((u >> 6) & 0x3f);
		t[2] = 0x80 | (u & 0x3f);
		n = 3;
	} else {
		t[0] = 0xf0 | (u >> 18);
		t[1] = 0x80 | ((u >> 12) & 0x3f);
		t[2] = 0x80 | ((u >> 6) & 0x3f);
		t[3] = 0x80 | (u & 0x3f);
		n = 4;
	}
	if (o + n >= size)
		return (o);
	for (i = 0; i < n; i++)
		buf[o + i] = t[i];
	return (o + n);
}

int
jscan_string(const char *v, const char *vend, char *buf, size_t size)
{
	size_t		 o = 0;
	unsigned long	 u;
	int		 i, h;
	char		 c;

	if (size == 0)
		return (-1);
	buf[0] = '\0';
	v = jscan_ws(v, vend);
	if (v >= vend || *v != '"')
		return (-1);
	for (v++; v < vend && *v != '"'; v++) {
		c = *v;
		if (c == '\\') {
			if (++v >= vend)
				return (-1);
			switch (*v) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'u':
				if (vend - v < 5)
					return (-1);
				u = 0;
				for (i = 1; i <= 4; i++) {
					if ((h = hex_value((unsigned char)v[i])) < 0)
						return (-1);
					u = u * 16 + h;
				}
				v += 4;
				/* Surrogates and NUL have no place in names. */
				if (u == 0 || (u >= 0xd800 && u <= 0xdfff))
					u = '?';
				o = put_utf8(buf, o, size, u);
				continue;
			default:
				c = *v;
				break;
			}
		}
		if (o + 1 < size)
			buf[o++] = c;
	}
	if (v >= vend)
		return (-1);
	buf[o] = '\0';
	return (0);
}

int
jscan_key_is(const char *key, size_t klen, const char *name)
{
	return (strlen(name) == klen && memcmp(key, name, klen) == 0);
}
