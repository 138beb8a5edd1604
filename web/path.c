/*
 * path.c: the pure parts of xensv's request handling, kept free of I/O
 * so unit tests and the fuzz target reach them directly: static paths,
 * content types, cookies, token comparison, Origin.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "xen-common.h"
#include "xensv.h"

int
path_clean(const char *url, char *out, size_t len)
{
	const char	*p, *seg;
	size_t		 n, o = 0;

	if (url == NULL || url[0] != '/')
		return (-1);
	if (strcmp(url, "/") == 0)
		url = "/index.html";
	p = url + 1;
	for (;;) {
		seg = p;
		n = strcspn(p, "/");
		/* Empty, ".", ".." and hidden segments never reach a file. */
		if (n == 0 || seg[0] == '.')
			return (-1);
		for (size_t i = 0; i < n; i++) {
			unsigned char	 ch = seg[i];

			if (ch < 0x20 || ch == 0x7f || ch == '\\' ||
			    ch == ':')
				return (-1);
		}
		if (o + n + 2 > len)
			return (-1);
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, seg, n);
		o += n;
		p += n;
		if (*p == '\0')
			break;
		p++;		/* the '/' */
		if (*p == '\0')
			return (-1);	/* a directory */
	}
	out[o] = '\0';
	return (0);
}

const char *
path_content_type(const char *path)
{
	static const struct {
		const char	*ext;
		const char	*type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ ".map", "application/json" },
		{ ".woff2", "font/woff2" },
	};
	const char	*dot = strrchr(path, '.');
	size_t		 i;

	if (dot != NULL && strchr(dot, '/') == NULL) {
		for (i = 0; i < nitems(types); i++) {
			if (strcasecmp(dot, types[i].ext) == 0)
				return (types[i].type);
		}
	}
	return ("application/octet-stream");
}

int
path_public(const char *rel)
{
	static const char *public[] = {
		"login.html", "css/app.css", "js/login.js", "favicon.svg",
	};
	size_t	 i;

	for (i = 0; i < nitems(public); i++) {
		if (strcmp(rel, public[i]) == 0)
			return (1);
	}
	return (0);
}

int
cookie_get(const char *header, const char *name, char *out, size_t len)
{
	const char	*p = header;
	size_t		 nlen = strlen(name), vlen;

	if (header == NULL)
		return (-1);
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			p += nlen + 1;
			vlen = strcspn(p, ";");
			while (vlen > 0 && (p[vlen - 1] == ' ' ||
			    p[vlen - 1] == '\t'))
				vlen--;
			if (vlen == 0 || vlen >= len)
				return (-1);
			memcpy(out, p, vlen);
			out[vlen] = '\0';
			return (0);
		}
		p += strcspn(p, ";");
	}
	return (-1);
}

int
token_equal(const char *a, const char *b)
{
	size_t		 la, lb, i;
	unsigned char	 d;

	if (a == NULL || b == NULL)
		return (0);
	la = strlen(a);
	lb = strlen(b);
	d = la != lb;
	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return (d == 0 && la > 0);
}

int
origin_ok(const char *origin, const char *host, int tls)
{
	const char	*scheme = tls ? "https://" : "http://";
	size_t		 n = strlen(scheme);

	if (origin == NULL || host == NULL || host[0] == '\0')
		return (0);
	if (strncmp(origin, scheme, n) != 0)
		return (0);
	return (strcasecmp(origin + n, host) == 0);
}

int
accepts_gzip(const char *ae)
{
	const char	*p, *q;
	size_t		 n;

	if (ae == NULL)
		return (0);
	for (p = ae; *p != '\0'; p += strcspn(p, ",")) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, ",;");
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (n != 4 || strncasecmp(p, "gzip", 4) != 0)
			continue;
		/* "gzip;q=0" refuses it. */
		q = p + 4;
		while (*q == ' ')
			q++;
		if (*q == ';') {
			q = strstr(q, "q=");
			if (q != NULL && q < p + strcspn(p, ",") &&
			    strncmp(q, "q=0", 3) == 0 && (q[3] == '\0' ||
			    q[3] == ',' || (q[3] == '.' &&
			    strspn(q + 4, "0") == strcspn(q + 4, ",; "))))
				return (0);
		}
		return (1);
	}
	return (0);
}

size_t
url_unescape(char *s)
{
	char	*r = s, *w = s;
	int	 hi, lo;

	while (*r != '\0') {
		if (r[0] == '%' && (hi = hex_value(r[1])) != -1 &&
		    (lo = hex_value(r[2])) != -1) {
			/* An escaped NUL would cut the path short: poison it. */
			*w++ = (hi << 4 | lo) == 0 ? 0x7f : (char)(hi << 4 | lo);
			r += 3;
		} else
			*w++ = *r++;
	}
	*w = '\0';
	return (w - s);
}

#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

int
ws_accept_key(const char *key, char out[64])
{
	char		*cat;
	unsigned char	 digest[20];
	gnutls_datum_t	 in, b64;
	size_t		 klen = strlen(key);

	/* A 16-byte nonce, base64: 24 characters. */
	if (klen != 24)
		return (-1);
	cat = xsprintf("%s%s", key, WS_GUID);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA1, cat, strlen(cat), digest) != 0)
		fatalx("gnutls_hash_fast failed");
	free(cat);
	in.data = digest;
	in.size = sizeof digest;
	if (gnutls_base64_encode2(&in, &b64) != 0)
		fatalx("gnutls_base64_encode2 failed");
	if (b64.size >= 64)
		fatalx("accept key too long");
	memcpy(out, b64.data, b64.size);
	out[b64.size] = '\0';
	gnutls_free(b64.data);
	return (0);
}

