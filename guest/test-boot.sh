#!/usr/bin/env bash
# Boot the built demo guest under bare QEMU (no toolstack) and check the
# contract the toolstack relies on: Xen device names from serial=, login
# root/root, ip= and hostname, graceful poweroff on the ACPI power button,
# poweroff and reboot from the shell, and the control agent (vCPUs, memory
# target, balloon) over virtio-serial. Always TCG: nested KVM hangs guests.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
	cat <<EOF
usage: test-boot.sh [-d IMAGEDIR] [-m MIB] [-n RUNS] [-o SCENARIO]... [-k] [-v]

  -d IMAGEDIR  where vmlinuz, initrd.img, rootfs.ext2 are
               (default /var/lib/xen/images/ttylinux)
  -m MIB       guest memory (default 128; the cloud kernel needs 76 or
               more, see guest/README.md)
  -n RUNS      repeat every scenario RUNS times (default 1)
  -o SCENARIO  only basic, network, reboot, rw or agent (repeatable)
  -k           keep each run's temp dir (serial.log) for inspection
  -v           echo the guest console
EOF
}

images=/var/lib/xen/images/ttylinux
pyargs=()
while getopts "d:m:n:o:kvh" opt; do
	case $opt in
	d)	images=$OPTARG ;;
	m)	pyargs+=(--mem "$OPTARG") ;;
	n)	pyargs+=(--runs "$OPTARG") ;;
	o)	pyargs+=(--only "$OPTARG") ;;
	k)	pyargs+=(--keep) ;;
	v)	pyargs+=(--verbose) ;;
	h)	usage; exit 0 ;;
	*)	usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { usage >&2; exit 2; }

for f in vmlinuz initrd.img rootfs.ext2; do
	[ -f "$images/$f" ] || { echo "test-boot: no $images/$f (run guest/build-guest.sh)" >&2; exit 1; }
done
command -v qemu-system-x86_64 >/dev/null ||
	{ echo "test-boot: qemu-system-x86_64 not found (apt-get install qemu-system-x86)" >&2; exit 1; }

exec python3 "$here/test-boot.py" --images "$images" "${pyargs[@]}"
