/* fuzz-kimage.c: kimage_kind on arbitrary file contents (ELF notes too). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "kimage.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	unsigned char	*copy;
	int		 protocol;

	/* An exact-size copy, so any read past the end is caught. */
	copy = xmalloc(len > 0 ? len : 1);
	memcpy(copy, data, len);
	kimage_kind(copy, len, &protocol);
	free(copy);
	return (0);
}
