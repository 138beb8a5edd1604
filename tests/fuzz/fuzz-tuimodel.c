/*
 * fuzz-tuimodel.c: xm top's reading of xend's replies (jscan.c, model.c)
 * on arbitrary bytes.  The input is copied to a buffer of its exact size,
 * so a read past the end is ASan's to catch.  It is applied as a
 * domain.list result twice (rates from two samples), as one event's
 * domain, then walked member by member with every scalar decoded into a
 * small buffer.  Properties: jscan_skip stays inside [p, end], and a
 * string decode never writes past its buffer or leaves it unterminated.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "top.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	walk_value(const char *, const char *, int);

static void
check_string(const char *v, const char *vend)
{
	char	 small[8];

	memset(small, 'x', sizeof small);
	if (jscan_string(v, vend, small, sizeof small) == 0 &&
	    memchr(small, '\0', sizeof small) == NULL) {
		fprintf(stderr, "jscan_string left its buffer unterminated\n");
		abort();
	}
}

static int
member(const char *key, size_t klen, const char *v, const char *vend,
    void *arg)
{
	int	 depth = *(int *)arg;

	(void)jscan_key_is(key, klen, "domid");
	return (walk_value(v, vend, depth + 1));
}

static int
item(const char *v, const char *vend, void *arg)
{
	return (walk_value(v, vend, *(int *)arg + 1));
}

static int
walk_value(const char *v, const char *vend, int depth)
{
	const char	*e;

	if (depth > 16)
		return (0);
	e = jscan_skip(v, vend);
	if (e != NULL && (e < v || e > vend)) {
		fprintf(stderr, "jscan_skip left [p, end)\n");
		abort();
	}
	(void)jscan_number(v, vend);
	check_string(v, vend);
	if (v < vend && *v == '{')
		(void)jscan_object(v, vend, member, &depth);
	else if (v < vend && *v == '[')
		(void)jscan_array(v, vend, item, &depth);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model	 m;
	char		*buf, *cause = NULL;

	buf = xmalloc(size > 0 ? size : 1);
	memcpy(buf, data, size);
	model_init(&m);
	if (model_update_list(&m, buf, buf + size, 1.0, 1, &cause) != 0)
		free(cause);
	cause = NULL;
	if (model_update_list(&m, buf, buf + size, 2.0, 2, &cause) != 0)
		free(cause);
	(void)model_update_one(&m, buf, buf + size, 3.0, 1);
	model_free(&m);
	(void)walk_value(jscan_ws(buf, buf + size), buf + size, 0);
	free(buf);
	return (0);
}
