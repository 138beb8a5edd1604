/*
 * domref.c: a domain object's own lifetime and the ending of its pending
 * operations, apart from domain.c so that the modules domain.c drives
 * (qemu.c, control.c) can hold a domain without calling back into it.
 */
#include <stdarg.h>
#include <stdlib.h>

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
