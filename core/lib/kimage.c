/* kimage.c: recognise the kernel images QEMU's x86 -kernel boots. */
#include <sys/mman.h>
#include <sys/stat.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "kimage.h"

#define MULTIBOOT_MAGIC		0x1badb002
#define MULTIBOOT_SEARCH	8192	/* QEMU reads this much header */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

static uint32_t
le32(const unsigned char *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

static uint64_t
le64(const unsigned char *p)
{
	return ((uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32);
}

/* As QEMU's load_multiboot looks: magic + flags + checksum == 0. */
static int
is_multiboot(const unsigned char *buf, size_t len)
{
	size_t	 i, end = len < MULTIBOOT_SEARCH ? len : MULTIBOOT_SEARCH;

	if (end < 48)
		return (0);
	for (i = 0; i < end - 48; i += 4) {
		if (le32(buf + i) == MULTIBOOT_MAGIC &&
		    (uint32_t)(MULTIBOOT_MAGIC + le32(buf + i + 4) +
		    le32(buf + i + 8)) == 0)
			return (1);
	}
	return (0);
}

/* Does the note area [off, off+size) hold a "Xen" PHYS32_ENTRY note? */
static int
notes_have_pvh(const unsigned char *buf, size_t len, uint64_t off,
    uint64_t size)
{
	uint64_t	 end, namesz, descsz;

	if (off > len || size > len - off)
		return (0);
	end = off + size;
	while (end - off >= 12) {
		namesz = le32(buf + off);
		descsz = le32(buf + off + 4);
		if (namesz == 4 && end - off >= 16 && le32(buf + off + 8) ==
		    XEN_ELFNOTE_PHYS32_ENTRY &&
		    memcmp(buf + off + 12, "Xen", 4) == 0)
			return (1);
		off += 12 + ((namesz + 3) & ~3ULL) + ((descsz + 3) & ~3ULL);
		if (off > end)
			break;
	}
	return (0);
}

/* An ELF (32 or 64 bit, little-endian) with a PVH entry note. */
static int
is_pvh_elf(const unsigned char *buf, size_t len)
{
	uint64_t	 phoff, i, ph, type, off, size;
	unsigned	 phnum, phentsize;
	int		 is64;

	if (len < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG) != 0 ||
	    buf[EI_DATA] != ELFDATA2LSB)
		return (0);
	is64 = buf[EI_CLASS] == ELFCLASS64;
	if (!is64 && buf[EI_CLASS] != ELFCLASS32)
		return (0);
	if (len < (is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return (0);
	if (is64) {
		phoff = le64(buf + offsetof(Elf64_Ehdr, e_phoff));
		phentsize = buf[offsetof(Elf64_Ehdr, e_phentsize)] |
		    buf[offsetof(Elf64_Ehdr, e_phentsize) + 1] << 8;
		phnum = buf[offsetof(Elf64_Ehdr, e_phnum)] |
		    buf[offsetof(Elf64_Ehdr, e_phnum) + 1] << 8;
		if (phentsize < sizeof(Elf64_Phdr))
			return (0);
	} else {
		phoff = le32(buf + offsetof(Elf32_Ehdr, e_phoff));
		phentsize = buf[offsetof(Elf32_Ehdr, e_phentsize)] |
		    buf[offsetof(Elf32_Ehdr, e_phentsize) + 1] << 8;
		phnum = buf[offsetof(Elf32_Ehdr, e_phnum)] |
		    buf[offsetof(Elf32_Ehdr, e_phnum) + 1] << 8;
		if (phentsize < sizeof(Elf32_Phdr))
			return (0);
	}
	for (i = 0; i < phnum; i++) {
		ph = phoff + i * phentsize;
		if (ph > len || len - ph < phentsize)
			return (0);
		if (is64) {
			type = le32(buf + ph + offsetof(Elf64_Phdr, p_type));
			off = le64(buf + ph + offsetof(Elf64_Phdr, p_offset));
			size = le64(buf + ph + offsetof(Elf64_Phdr, p_filesz));
		} else {
			type = le32(buf + ph + offsetof(Elf32_Phdr, p_type));
			off = le32(buf + ph + offsetof(Elf32_Phdr, p_offset));
			size = le32(buf + ph + offsetof(Elf32_Phdr, p_filesz));
		}
		if (type == PT_NOTE && notes_have_pvh(buf, len, off, size))
			return (1);
	}
	return (0);
}

enum kimage_kind
kimage_kind(const unsigned char *buf, size_t len, int *protocol)
{
	if (len >= 0x208 && memcmp(buf + 0x202, "HdrS", 4) == 0) {
		if (protocol != NULL)
			*protocol = buf[0x206] | buf[0x207] << 8;
		return (KIMAGE_BZIMAGE);
	}
	if (is_multiboot(buf, len))
		return (KIMAGE_MULTIBOOT);
	if (is_pvh_elf(buf, len))
		return (KIMAGE_PVH_ELF);
	return (KIMAGE_UNKNOWN);
}

/* Reads the file at path and says what kind of image it is; 0/-1. */
static int
kimage_file(const char *path, enum kimage_kind *kind, int *protocol,
    char **cause)
{
	struct stat	 st;
	void		*map;
	int		 fd;

	*kind = KIMAGE_UNKNOWN;
	*protocol = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xsprintf("kernel %s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) != 0) {
		*cause = xsprintf("kernel %s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		*cause = xsprintf("kernel %s is not a regular file", path);
		close(fd);
		return (-1);
	}
	if (st.st_size > 0) {
		map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			*cause = xsprintf("kernel %s: %s", path,
			    strerror(errno));
			close(fd);
			return (-1);
		}
		*kind = kimage_kind(map, st.st_size, protocol);
		munmap(map, st.st_size);
	}
	close(fd);
	return (0);
}

enum kimage_kind
kimage_probe(const char *path)
{
	enum kimage_kind	 kind;
	int			 protocol;
	char			*cause;

	if (kimage_file(path, &kind, &protocol, &cause) != 0) {
		free(cause);
		return (KIMAGE_UNKNOWN);
	}
	return (kind);
}

int
kimage_check(const char *path, int has_ramdisk, char **cause)
{
	enum kimage_kind	 kind;
	int			 protocol;

	if (kimage_file(path, &kind, &protocol, cause) != 0)
		return (-1);
	if (kind == KIMAGE_UNKNOWN) {
		*cause = xsprintf("kernel %s is not a Linux kernel image (no "
		    "bzImage header)", path);
		return (-1);
	}
	/* QEMU loads a ramdisk only with boot protocol 2.00 and later. */
	if (kind == KIMAGE_BZIMAGE && has_ramdisk && protocol < 0x200) {
		*cause = xsprintf("kernel %s (boot protocol %d.%02d) is too "
		    "old to load a ramdisk", path, protocol >> 8,
		    protocol & 0xff);
		return (-1);
	}
	return (0);
}
