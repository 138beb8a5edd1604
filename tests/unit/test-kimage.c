/* test-kimage.c: which files QEMU's -kernel boots, and the reasons given. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "xen-common.h"
#include "kimage.h"

static void
test_bzimage(void **state)
{
	unsigned char	 buf[0x1000];
	int		 proto = 0;

	memset(buf, 0, sizeof buf);
	memcpy(buf + 0x202, "HdrS", 4);
	buf[0x206] = 0x0f;
	buf[0x207] = 0x02;
	assert_int_equal(kimage_kind(buf, sizeof buf, &proto), KIMAGE_BZIMAGE);
	assert_int_equal(proto, 0x20f);
	/* Cut before the header: not one. */
	assert_int_equal(kimage_kind(buf, 0x204, NULL), KIMAGE_UNKNOWN);
}

static void
test_text_is_not_a_kernel(void **state)
{
	const char	*text = "root:x:0:0:root:/root:/bin/bash\n";

	assert_int_equal(kimage_kind((const unsigned char *)text, strlen(text),
	    NULL), KIMAGE_UNKNOWN);
	assert_int_equal(kimage_kind((const unsigned char *)"", 0, NULL),
	    KIMAGE_UNKNOWN);
}

static void
test_multiboot(void **state)
{
	unsigned char	 buf[4096];
	uint32_t	 flags = 0x00010003;

	memset(buf, 0, sizeof buf);
	le32_put(buf + 64, 0x1badb002);
	le32_put(buf + 68, flags);
	le32_put(buf + 72, -(0x1badb002 + flags));
	assert_int_equal(kimage_kind(buf, sizeof buf, NULL), KIMAGE_MULTIBOOT);
	/* A wrong checksum is no header. */
	le32_put(buf + 72, 1);
	assert_int_equal(kimage_kind(buf, sizeof buf, NULL), KIMAGE_UNKNOWN);
	/* Not 4-byte aligned: QEMU does not find it either. */
	memset(buf, 0, sizeof buf);
	le32_put(buf + 66, 0x1badb002);
	le32_put(buf + 70, flags);
	le32_put(buf + 74, -(0x1badb002 + flags));
	assert_int_equal(kimage_kind(buf, sizeof buf, NULL), KIMAGE_UNKNOWN);
}

/* A minimal ELF64 with one PT_NOTE segment holding one note. */
static size_t
make_elf(unsigned char *buf, size_t size, uint32_t note_type,
    const char *owner)
{
	Elf64_Ehdr	 eh;
	Elf64_Phdr	 ph;
	size_t		 noff = sizeof eh + sizeof ph;

	memset(buf, 0, size);
	memset(&eh, 0, sizeof eh);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_phoff = sizeof eh;
	eh.e_phentsize = sizeof ph;
	eh.e_phnum = 1;
	memset(&ph, 0, sizeof ph);
	ph.p_type = PT_NOTE;
	ph.p_offset = noff;
	ph.p_filesz = 12 + 4 + 8;
	memcpy(buf, &eh, sizeof eh);
	memcpy(buf + sizeof eh, &ph, sizeof ph);
	le32_put(buf + noff, 4);
	le32_put(buf + noff + 4, 8);
	le32_put(buf + noff + 8, note_type);
	memcpy(buf + noff + 12, owner, 4);
	return (noff + ph.p_filesz);
}

static void
test_pvh_elf(void **state)
{
	unsigned char	 buf[512];
	size_t		 len;

	len = make_elf(buf, sizeof buf, 18, "Xen");
	assert_int_equal(kimage_kind(buf, len, NULL), KIMAGE_PVH_ELF);
	/* Another note, or another owner: QEMU would not boot it as PVH. */
	len = make_elf(buf, sizeof buf, 1, "Xen");
	assert_int_equal(kimage_kind(buf, len, NULL), KIMAGE_UNKNOWN);
	len = make_elf(buf, sizeof buf, 18, "GNU");
	assert_int_equal(kimage_kind(buf, len, NULL), KIMAGE_UNKNOWN);
	/* The note cut off, or the program headers past the end. */
	len = make_elf(buf, sizeof buf, 18, "Xen");
	assert_int_equal(kimage_kind(buf, len - 9, NULL), KIMAGE_UNKNOWN);
	assert_int_equal(kimage_kind(buf, sizeof(Elf64_Ehdr) + 8, NULL),
	    KIMAGE_UNKNOWN);
}

static char *
write_tmp(const void *data, size_t len)
{
	char	*path = xstrdup("/tmp/test-kimage.XXXXXX");
	int	 fd = mkstemp(path);

	assert_true(fd != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return (path);
}

static void
test_check_reasons(void **state)
{
	const char	*text = "root:x:0:0:root:/root:/bin/bash\n";
	unsigned char	 old[0x400];
	char		*path, *cause = NULL, *want;

	path = write_tmp(text, strlen(text));
	assert_int_equal(kimage_check(path, 0, &cause), -1);
	want = xsprintf("kernel %s is not a Linux kernel image (no bzImage "
	    "header)", path);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	unlink(path);
	free(path);

	/* An empty file is no kernel either. */
	path = write_tmp("", 0);
	assert_int_equal(kimage_check(path, 0, &cause), -1);
	assert_non_null(strstr(cause, "is not a Linux kernel image"));
	free(cause);
	unlink(path);
	free(path);

	/* Boot protocol 1.x: boots, but cannot take a ramdisk. */
	memset(old, 0, sizeof old);
	memcpy(old + 0x202, "HdrS", 4);
	old[0x206] = 0x01;
	old[0x207] = 0x01;
	path = write_tmp(old, sizeof old);
	assert_int_equal(kimage_check(path, 0, &cause), 0);
	assert_int_equal(kimage_check(path, 1, &cause), -1);
	want = xsprintf("kernel %s (boot protocol 1.01) is too old to load a "
	    "ramdisk", path);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	unlink(path);
	free(path);

	assert_int_equal(kimage_check("/", 0, &cause), -1);
	assert_string_equal(cause, "kernel / is not a regular file");
	free(cause);
	assert_int_equal(kimage_check("/nonexistent/vmlinuz", 0, &cause), -1);
	assert_string_equal(cause, "kernel /nonexistent/vmlinuz: No such file "
	    "or directory");
	free(cause);
}

/* The demo guest's kernel, where the set-up built it. */
static void
test_demo_kernel(void **state)
{
	const char	*path = "/var/lib/xen/images/ttylinux/vmlinuz";
	char		*cause = NULL;

	if (access(path, R_OK) != 0)
		skip();
	assert_int_equal(kimage_check(path, 1, &cause), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bzimage),
		cmocka_unit_test(test_text_is_not_a_kernel),
		cmocka_unit_test(test_multiboot),
		cmocka_unit_test(test_pvh_elf),
		cmocka_unit_test(test_check_reasons),
		cmocka_unit_test(test_demo_kernel),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
