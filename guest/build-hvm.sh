#!/usr/bin/env bash
# Build the demo guest's HVM images (3.0 manual, appendix A): a bootable
# CD-ROM image and a hard disk image with a boot loader, both booting the
# demo kernel and initramfs through GRUB with the login on the serial port.
#
#   ttylinux.iso     grub-mkrescue + xorriso (BIOS El Torito, hybrid MBR)
#   ttylinux-hd.img  an MBR disk (one partition, the table written here):
#                    GRUB's boot.img in sector 0, its core.img
#                    in the gap after it, one ext2 partition (made with
#                    mke2fs -d, no mount, no loop device) holding the kernel,
#                    the initramfs and grub.cfg
#
# The two say where they booted from: the CD's guest is called ttylinux-cd,
# the disk's ttylinux-hd (the login prompt shows it), so that the manual's
# "boot from CD-ROM, then from disk" can be seen.
set -euo pipefail

prog=build-hvm
log() { echo "$prog: $*" >&2; }
die() { echo "$prog: $*" >&2; exit 1; }

usage() {
	cat <<EOF
usage: build-hvm.sh [--force] [-i IMAGES] [OUTDIR]

Build ttylinux.iso and ttylinux-hd.img into OUTDIR (default
/var/lib/xen/images/ttylinux) from the demo guest's vmlinuz and initrd.img
in IMAGES (default OUTDIR; guest/build-guest.sh makes them).  Does nothing
when both are newer than their inputs, unless --force.
EOF
}

force=0
images=
outdir=
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help)	usage; exit 0 ;;
	-f|--force)	force=1 ;;
	-i)		[ $# -ge 2 ] || { usage >&2; exit 2; }; images=$2; shift ;;
	-*)		usage >&2; exit 2 ;;
	*)		[ -z "$outdir" ] || { usage >&2; exit 2; }; outdir=$1 ;;
	esac
	shift
done
outdir=${outdir:-/var/lib/xen/images/ttylinux}
images=${images:-$outdir}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
grubdir=/usr/lib/grub/i386-pc

for f in "$images/vmlinuz" "$images/initrd.img"; do
	[ -r "$f" ] || die "$f: missing (build the demo guest first: guest/build-guest.sh)"
done
for c in grub-mkrescue grub-mkimage xorriso mke2fs; do
	command -v "$c" >/dev/null || die "$c: not installed (scripts/install-deps)"
done
[ -r "$grubdir/boot.img" ] || die "$grubdir: GRUB for BIOS missing (grub-pc-bin)"

iso=$outdir/ttylinux.iso
hd=$outdir/ttylinux-hd.img
if [ $force = 0 ] && [ -f "$iso" ] && [ -f "$hd" ] &&
	[ -z "$(find "$images/vmlinuz" "$images/initrd.img" "$here/build-hvm.sh" \
		-newer "$iso" -print -quit)" ] &&
	[ -z "$(find "$images/vmlinuz" "$images/initrd.img" "$here/build-hvm.sh" \
		-newer "$hd" -print -quit)" ]; then
	log "up to date: $iso $hd"
	exit 0
fi
mkdir -p "$outdir"
work=$(mktemp -d "${TMPDIR:-/tmp}/build-hvm.XXXXXX")
trap 'rm -rf "$work"' EXIT

# grub.cfg for one medium: GRUB on the serial port and the screen, the
# kernel's login on ttyS0 (the last console=), no root= so the initramfs
# runs as the system (guest/README.md).
grub_cfg() {
	cat <<EOF
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=1
set default=0
menuentry 'ttylinux (HVM, from $2)' {
	echo 'Loading ttylinux from $2 ...'
	linux /boot/vmlinuz console=tty0 console=ttyS0,115200 hostname=ttylinux-$1 quiet
	initrd /boot/initrd.img
}
EOF
}

tree() {
	mkdir -p "$1/boot/grub"
	cp "$images/vmlinuz" "$images/initrd.img" "$1/boot/"
	grub_cfg "$2" "$3" >"$1/boot/grub/grub.cfg"
}

# --- CD-ROM ----------------------------------------------------------------
tree "$work/cd" cd "CD-ROM"
grub-mkrescue -o "$work/ttylinux.iso" "$work/cd" -- -volid TTYLINUX \
	>"$work/mkrescue.log" 2>&1 || { cat "$work/mkrescue.log" >&2; die "grub-mkrescue failed"; }
mv -f "$work/ttylinux.iso" "$iso"
log "made $iso"

# --- hard disk -------------------------------------------------------------
# Partition 1 from sector 2048; GRUB's core.img in sectors 1-2047.
part_start=2048
part_mb=$(( ($(stat -c %s "$images/vmlinuz") + $(stat -c %s "$images/initrd.img")) / 1048576 + 16 ))
tree "$work/hd" hd "hard disk"
mke2fs -q -F -t ext2 -L ttylinux-hd -d "$work/hd" "$work/part.img" "${part_mb}M" >/dev/null
modules="biosdisk part_msdos ext2 normal linux echo serial terminal test configfile"
grub-mkimage -O i386-pc -o "$work/core.img" -p '(hd0,msdos1)/boot/grub' $modules
core_sectors=$(( ($(stat -c %s "$work/core.img") + 511) / 512 ))
[ "$core_sectors" -lt "$part_start" ] || die "core.img too big ($core_sectors sectors)"

total=$(( part_start + part_mb * 2048 ))
truncate -s $(( total * 512 )) "$work/hd.img"

# le BYTES VALUE: VALUE as BYTES little-endian bytes, for printf.
le() {
	local i v=$2 out=
	for ((i = 0; i < $1; i++)); do
		out+=$(printf '\\x%02x' $(( v & 255 )))
		v=$(( v >> 8 ))
	done
	printf "$out"
}
# What grub-bios-setup would do: boot.img's code (not the partition
# table) into sector 0, pointing at core.img in sector 1 (its default);
# core.img from sector 1, its first sector's block list naming the rest
# (start sector 2, count, load segment 0x820) at the end of that sector.
dd if="$grubdir/boot.img" of="$work/hd.img" bs=440 count=1 conv=notrunc status=none
# The partition table: one active Linux partition (CHS fields say "use
# LBA"), then the boot signature.
{ printf '\x80\xfe\xff\xff\x83\xfe\xff\xff'; le 4 $part_start; le 4 $(( part_mb * 2048 ))
  dd if=/dev/zero bs=48 count=1 status=none; printf '\x55\xaa'; } |
	dd of="$work/hd.img" bs=1 seek=446 conv=notrunc status=none
le 8 1 | dd of="$work/hd.img" bs=1 seek=$((0x5c)) conv=notrunc status=none
dd if="$work/core.img" of="$work/hd.img" bs=512 seek=1 conv=notrunc status=none
{ le 8 2; le 2 $(( core_sectors - 1 )); le 2 $((0x820)); } |
	dd of="$work/hd.img" bs=1 seek=$(( 512 + 0x1f4 )) conv=notrunc status=none
dd if="$work/part.img" of="$work/hd.img" bs=512 seek=$part_start conv=notrunc status=none
mv -f "$work/hd.img" "$hd"
log "made $hd"
