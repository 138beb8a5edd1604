/*
 * domref.c: a domain object's own lifetime and the ending of its pending
 * operations, apart from domain.c so that the modules domain.c drives
 * (qemu.c, control.c) can hold a domain without calling back into it.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "xend.h"

void
domain_ref(struct domain *d)
{
	d->refs++;
}

void
domain_unref(struct domain *d)
{
	if (--d->refs > 0)
		return;
	domcfg_free(d->config);
	free(d->name);
	free(d->dir);
	free(d->exit_how);
	free(d->shutdown_reason);
	free(d->restart_as);
	free(d);
}

void
domain_done(struct dom_done *dd, struct domain *d, const char *code,
    const char *fmt, ...)
{
	struct dom_done	 now = *dd;
	va_list		 ap;
	char		*msg = NULL;

	if (now.fn == NULL)
		return;
	/* Cleared first: fn may start another operation on d. */
	dd->fn = NULL;
	dd->arg = NULL;
	if (fmt != NULL) {
		va_start(ap, fmt);
		xvasprintf(&msg, fmt, ap);
		va_end(ap);
	}
	now.fn(d, code, msg, now.arg);
	free(msg);
}

/* config.json: the domain's config as it now is (domain.c, blockdev.c). */
int
domain_save_config(struct domain *d, char **cause)
{
	char	*path, *text;
	int	 rc;

	text = domcfg_dumps(d->config);
	xasprintf(&path, "%s/config.json", d->dir);
	rc = file_write_atomic(path, text, strlen(text), 0600, cause);
	free(path);
	free(text);
	return (rc);
}
