/*
 * kimage.h: what QEMU's x86 -kernel boots, checked before QEMU runs.
 *
 * QEMU takes a Linux bzImage (the "HdrS" setup header at 0x202), then a
 * multiboot image (its header in the first 8 KiB), then an ELF with a PVH
 * entry note; anything else it loads as an ancient zImage and the guest
 * runs garbage (or, with a ramdisk, QEMU exits with "linux kernel too old
 * to load a ram disk").  So xend refuses such a kernel with a reason.
 */
#ifndef KIMAGE_H
#define KIMAGE_H

#include <stddef.h>

enum kimage_kind {
	KIMAGE_UNKNOWN,
	KIMAGE_BZIMAGE,		/* Linux setup header; see protocol */
	KIMAGE_MULTIBOOT,	/* multiboot 1 header in the first 8 KiB */
	KIMAGE_PVH_ELF,		/* ELF with a Xen PHYS32_ENTRY note */
};

/*
 * The kind of image in buf (a whole file: an ELF's notes may be anywhere
 * in it), in the order QEMU tries them.  For a bzImage, *protocol (if not
 * NULL) is its boot protocol version (0x20f for 2.15).
 */
enum kimage_kind kimage_kind(const unsigned char *buf, size_t len,
		    int *protocol);

/* The kind of the file at path; KIMAGE_UNKNOWN if it cannot be read. */
enum kimage_kind kimage_probe(const char *path);

/*
 * Checks the file at path is a kernel QEMU boots, with a ramdisk if
 * has_ramdisk; 0, or -1 and *cause ("kernel PATH is not a Linux kernel
 * image (no bzImage header)").
 */
int		 kimage_check(const char *path, int has_ramdisk, char **cause);

#endif
