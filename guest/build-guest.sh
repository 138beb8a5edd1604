#!/usr/bin/env bash
# Build the demo guest ("ttylinux"): a Debian cloud kernel, a busybox
# initramfs carrying the virtio drivers, and an ext2 root image.
#
# The kernel is only ever unpacked from its .deb into a work directory, never
# installed: this host's own kernel and boot loader are not touched. The root
# image is made with mke2fs -d, so the build needs no mount and no loop device.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prog="build-guest"

usage() {
	cat <<EOF
usage: build-guest.sh [--force] [OUTDIR]

Build vmlinuz, initrd.img and rootfs.ext2 for the demo guest into OUTDIR
(default /var/lib/xen/images/ttylinux). Does nothing when the outputs are
newer than everything they are made from; --force rebuilds, and then also
picks up the newest cloud kernel apt knows of.

Environment:
  XEN_GUEST_WORKDIR     downloads and scratch space (default /var/cache/xen-guest)
  XEN_GUEST_KERNEL_PKG  kernel package (default linux-image-cloud-amd64; a
                        metapackage is resolved to the versioned image it pulls)
  XEN_GUEST_ROOTFS_MB   size of rootfs.ext2 in MiB (default 48)

Needs root (apt-get for missing build tools from packages.txt, and files in
the images owned by root).
EOF
}

log() { echo "$prog: $*" >&2; }
die() { echo "$prog: $*" >&2; exit 1; }

force=0
outdir=
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help)	usage; exit 0 ;;
	-f|--force)	force=1 ;;
	--)		shift; break ;;
	-*)		usage >&2; exit 2 ;;
	*)		[ -z "$outdir" ] || { usage >&2; exit 2; }; outdir=$1 ;;
	esac
	shift
done
if [ $# -gt 0 ]; then
	[ -z "$outdir" ] && [ $# -eq 1 ] || { usage >&2; exit 2; }
	outdir=$1
fi
outdir=${outdir:-/var/lib/xen/images/ttylinux}
workdir=${XEN_GUEST_WORKDIR:-/var/cache/xen-guest}
kernel_pkg=${XEN_GUEST_KERNEL_PKG:-linux-image-cloud-amd64}
rootfs_mb=${XEN_GUEST_ROOTFS_MB:-48}
case $rootfs_mb in ''|*[!0-9]*) die "XEN_GUEST_ROOTFS_MB must be a number of MiB" ;; esac

outputs=("$outdir/vmlinuz" "$outdir/initrd.img" "$outdir/rootfs.ext2")
stamp=$outdir/BUILD-INFO

# Up to date when every output and the stamp exist and none is older than any
# input (these sources, the package list, the busybox that gets copied in).
up_to_date() {
	local f newest
	[ -f "$stamp" ] || return 1
	for f in "${outputs[@]}"; do [ -f "$f" ] || return 1; done
	newest=$(find "$here/build-guest.sh" "$here/packages.txt" "$here/skel" \
		"$here/initramfs" "$here/kmod" /bin/busybox -newer "$stamp" -print -quit 2>/dev/null) || return 1
	[ -z "$newest" ] || return 1
	for f in "${outputs[@]}"; do [ "$f" -nt "$stamp" ] && return 1; done
	return 0
}

# The manual's ttylinux domain writes its disk, so it gets its own copy of
# the root image; rootfs.ext2 stays a read-only template that any number of
# domains share (xmexample2, tests).  Made once, never overwritten: it holds
# whatever the demo domain wrote.
demo_disk() {
	local disk=$outdir/ttylinux.ext2
	[ -e "$disk" ] && return 0
	cp --sparse=always "$outdir/rootfs.ext2" "$disk.tmp.$$"
	mv -f "$disk.tmp.$$" "$disk"
	log "made $disk, the demo domain's own writable disk"
}

if [ "$force" = 0 ] && up_to_date; then
	demo_disk
	log "up to date in $outdir (--force to rebuild)"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root"

# One build at a time per work dir (setup and the test suite may both ask);
# whoever waited finds the other's fresh outputs and stops there.
mkdir -p "$workdir"
exec 9>"$workdir/.lock"
flock 9
if [ "$force" = 0 ] && up_to_date; then
	log "up to date in $outdir (built meanwhile)"
	exit 0
fi

# --- build tools -----------------------------------------------------------

apt_get() {
	# Wait for another apt/dpkg run (an install script, unattended upgrades)
	# instead of failing on its lock.
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
}

ensure_packages() {
	local pkg missing=()
	while read -r pkg; do
		[ -n "$pkg" ] || continue
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q ' installed$' ||
			missing+=("$pkg")
	done <"$here/packages.txt"
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing build tools: ${missing[*]}"
	apt_get install -y --no-install-recommends "${missing[@]}" ||
		{ apt_get update && apt_get install -y --no-install-recommends "${missing[@]}"; }
}

ensure_packages
[ -x /bin/busybox ] || die "busybox-static did not install /bin/busybox"
# A dynamically linked busybox would need a libc in the guest.
if ldd /bin/busybox >/dev/null 2>&1; then die "/bin/busybox is not static (install busybox-static)"; fi

# --- kernel ----------------------------------------------------------------

# Resolve the package to download: a metapackage to the image it depends on.
resolve_kernel() {
	local info dep
	info=$(apt-cache show --no-all-versions "$kernel_pkg" 2>/dev/null) || info=
	if [ -z "$info" ]; then
		apt_get update >&2
		info=$(apt-cache show --no-all-versions "$kernel_pkg") ||
			die "apt knows no package $kernel_pkg"
	fi
	dep=$(sed -n 's/^Depends: //p' <<<"$info" | tr ',' '\n' |
		sed -n 's/^ *\(linux-image-[^ ]*\).*/\1/p' | head -n1)
	if [ -n "$dep" ]; then
		info=$(apt-cache show --no-all-versions "$dep") || die "apt knows no package $dep"
	fi
	printf '%s %s\n' "$(sed -n 's/^Package: //p' <<<"$info" | head -n1)" \
		"$(sed -n 's/^Version: //p' <<<"$info" | head -n1)"
}

# Reuse the kernel of the previous build unless forced, so a rebuild after a
# script change neither needs the network nor silently changes kernel.
pkg="" ver=""
if [ "$force" = 0 ] && [ -f "$stamp" ]; then
	pkg=$(sed -n 's/^kernel_package=//p' "$stamp")
	ver=$(sed -n 's/^package_version=//p' "$stamp")
fi
if [ -z "$pkg" ] || [ -z "$ver" ]; then
	read -r pkg ver < <(resolve_kernel)
fi
[ -n "$pkg" ] && [ -n "$ver" ] || die "cannot resolve kernel package $kernel_pkg"
log "kernel package $pkg $ver"

mkdir -p "$workdir/debs" "$workdir/kernel"
deb=$workdir/debs/${pkg}_${ver//:/%3a}_amd64.deb
if [ ! -s "$deb" ]; then
	log "downloading $pkg=$ver"
	# _apt cannot write into a root-only cache dir; download as root instead.
	(cd "$workdir/debs" && apt_get -o APT::Sandbox::User=root download "$pkg=$ver") ||
		die "apt-get download $pkg=$ver failed"
	[ -s "$deb" ] || die "download did not produce $deb"
fi

ktree=$workdir/kernel/${pkg}_$ver
if [ ! -f "$ktree/.unpacked" ]; then
	rm -rf "$ktree"
	dpkg-deb -x "$deb" "$ktree"
	touch "$ktree/.unpacked"
fi
kver=$(ls "$ktree/lib/modules")
[ "$(wc -w <<<"$kver")" = 1 ] || die "expected one module tree in $ktree, found: $kver"
kimage=$ktree/boot/vmlinuz-$kver
[ -f "$kimage" ] || die "no $kimage in $pkg"
moddir=$ktree/lib/modules/$kver

# The .deb carries no modules.dep (its postinst runs depmod); make one.
[ -f "$moddir/modules.dep" ] || depmod -b "$ktree" "$kver"

# --- modules -----------------------------------------------------------------

# What the guest needs and the cloud kernel may build as modules. virtio_pci
# pulls virtio_pci_{modern,legacy}_dev, virtio and virtio_ring through
# modules.dep; button + evdev deliver the ACPI power button to acpid;
# pvpanic_mmio reports a kernel panic to the host (QEMU -device pvpanic).
required_mods=(virtio_pci virtio_blk)
optional_mods=(virtio_net virtio_console virtio_balloon virtio_rng button evdev
	pvpanic_mmio)

declare -A mod_path mod_deps mod_builtin mod_seen
while IFS= read -r line; do
	path=${line%%:*}
	name=${path##*/}; name=${name%%.ko*}; name=${name//-/_}
	mod_path[$name]=$path
	mod_deps[$name]=${line#*:}
done <"$moddir/modules.dep"
while IFS= read -r path; do
	name=${path##*/}; name=${name%%.ko*}; name=${name//-/_}
	mod_builtin[$name]=1
done <"$moddir/modules.builtin"

load_order=()
# Depth-first: every module after all it depends on. modules.dep lists the
# dependencies last-loaded first, so walk them backwards as modprobe does
# (virtio_ring, virtio, virtio_pci_modern_dev, ... virtio_pci).
add_module() {
	local name=$1 dep i
	local -a deps
	[ -n "${mod_seen[$name]:-}" ] && return 0
	mod_seen[$name]=1
	read -ra deps <<<"${mod_deps[$name]}"
	for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
		dep=${deps[i]##*/}; dep=${dep%%.ko*}; add_module "${dep//-/_}"
	done
	load_order+=("${mod_path[$name]}")
}
for m in "${required_mods[@]}" "${optional_mods[@]}"; do
	if [ -n "${mod_path[$m]:-}" ]; then
		add_module "$m"
	elif [ -z "${mod_builtin[$m]:-}" ]; then
		case " ${required_mods[*]} " in
		*" $m "*) die "kernel $kver has no $m, neither built in nor as a module" ;;
		esac
		log "note: kernel $kver has no $m"
	fi
done
# The root is ext2: the ext2 driver, or ext4 built with EXT4_USE_FOR_EXT2 (as
# in the cloud kernel, where both are built in).
if [ -z "${mod_builtin[ext2]:-}${mod_builtin[ext4]:-}" ]; then
	if [ -n "${mod_path[ext2]:-}" ]; then add_module ext2
	elif [ -n "${mod_path[ext4]:-}" ]; then add_module ext4
	else die "kernel $kver cannot mount ext2"
	fi
fi

# NFS root (root=/dev/nfs): the client modules, loaded by /init only when the
# command line asks for it, so a disk boot does not pay for them under TCG.
# The kernel's own nfsroot= cannot work (NFS is modular here); /init mounts it.
nfs_mods=(nfsv3)
main_order=("${load_order[@]}")
load_order=()
for m in "${nfs_mods[@]}"; do
	[ -n "${mod_path[$m]:-}" ] || [ -n "${mod_builtin[$m]:-}" ] ||
		die "kernel $kver has no $m (needed for an NFS root)"
	if [ -n "${mod_path[$m]:-}" ]; then add_module "$m"; fi
done
nfs_order=("${load_order[@]}")
load_order=("${main_order[@]}")

# --- the guest's own module --------------------------------------------------

# kmod/xen_memtarget.c gives the guest the manual's /proc/xen/memory_target.
# It is built against the kernel's headers, which are downloaded and
# unpacked like the kernel (linux-headers-KVER, its -common and kbuild), never
# installed. Without them the guest still works: the agent then serves
# /run/xen/memory_target as a plain file, which cannot refuse a write.
build_kmod() {
	local hpkg=linux-headers-$kver info common kbuild d hroot
	info=$(apt-cache show "$hpkg=$ver" 2>/dev/null) || info=
	if [ -z "$info" ]; then
		apt_get update >&2
		info=$(apt-cache show "$hpkg=$ver" 2>/dev/null) || { log "apt knows no $hpkg=$ver"; return 1; }
	fi
	common=$(sed -n 's/^Depends: //p' <<<"$info" | head -n1 | tr ',' '\n' |
		sed -n 's/^ *\(linux-headers-[^ ]*-common\).*/\1/p' | head -n1)
	kbuild=$(sed -n 's/^Depends: //p' <<<"$info" | head -n1 | tr ',' '\n' |
		sed -n 's/^ *\(linux-kbuild-[^ ]*\).*/\1/p' | head -n1)
	[ -n "$common" ] && [ -n "$kbuild" ] || { log "$hpkg: no -common or kbuild in its Depends"; return 1; }
	hroot=$workdir/headers/${kver}_$ver
	if [ ! -f "$hroot/.unpacked" ]; then
		d=$workdir/debs/headers-$kver
		rm -rf "$d" "$hroot"
		mkdir -p "$d" "$hroot"
		(cd "$d" && apt_get -o APT::Sandbox::User=root download "$hpkg=$ver" "$common=$ver" "$kbuild") ||
			{ log "apt-get download of the headers failed"; return 1; }
		for f in "$d"/*.deb; do dpkg-deb -x "$f" "$hroot" || return 1; done
		# Its Makefile includes the -common one by absolute path.
		sed -i "s#^include /usr/src/#include $hroot/usr/src/#" "$hroot/usr/src/$hpkg/Makefile"
		rm -rf "$d"
		touch "$hroot/.unpacked"
	fi
	rm -rf "$build/kmod"
	cp -R "$here/kmod" "$build/kmod"
	make -s -C "$hroot/usr/src/$hpkg" M="$build/kmod" modules >"$build/kmod.log" 2>&1 ||
		{ cat "$build/kmod.log" >&2; log "building kmod/xen_memtarget.c failed"; return 1; }
	[ -f "$build/kmod/xen_memtarget.ko" ]
}


build=$workdir/build
rm -rf "$build"
mkdir -p "$build"

# The tree both images share: busybox, its applet links, /etc and the guest
# scripts from skel/, the mount points rcS uses.
make_base() {
	local root=$1 applet
	mkdir -p "$root"
	cp -R --preserve=mode,links "$here/skel/." "$root/"
	(cd "$root" && mkdir -p bin sbin usr/bin usr/sbin dev proc sys run tmp root var/lib mnt)
	chmod 1777 "$root/tmp"
	chmod 700 "$root/root"
	ln -sfn /run "$root/var/run"
	ln -sfn /run/log "$root/var/log"
	ln -sfn /tmp "$root/var/tmp"
	# Written at boot into tmpfs, since the root is normally read-only.
	ln -sfn /run/hosts "$root/etc/hosts"
	ln -sfn /run/resolv.conf "$root/etc/resolv.conf"
	ln -sfn /proc/mounts "$root/etc/mtab"
	echo ttylinux >"$root/etc/hostname"

	cp /bin/busybox "$root/bin/busybox"
	# Absolute links, so they resolve the same in the initramfs and the root.
	/bin/busybox --list-full | while read -r applet; do
		case $applet in */*) ;; *) continue ;; esac	# linuxrc and the like
		[ "$applet" = bin/busybox ] && continue
		[ -e "$root/$applet" ] || [ -L "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done

	# Console and null before devtmpfs is mounted: the kernel opens
	# /dev/console for init, and early messages would otherwise be lost.
	mknod -m 600 "$root/dev/console" c 5 1
	mknod -m 666 "$root/dev/null" c 1 3

	# Root's password is "root" (the manual's ttylinux); a fresh salt per build.
	# busybox computes the hash itself, so its login is sure to accept it.
	local salt hash
	salt=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	hash=$(/bin/busybox mkpasswd -m sha512 root "$salt")
	case $hash in '$6$'*) ;; *) die "busybox mkpasswd gave no SHA-512 hash: $hash" ;; esac
	if command -v openssl >/dev/null; then
		[ "$(openssl passwd -6 -salt "$salt" root)" = "$hash" ] ||
			die "busybox and openssl disagree on the root password hash"
	fi
	printf 'root:%s:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n' \
		"$hash" >"$root/etc/shadow"
	chmod 600 "$root/etc/shadow"
}

kmod_note=
build_kmod || kmod_note="no /proc/xen/memory_target (its module did not build)"
[ -n "$kmod_note" ] && log "note: $kmod_note"

# initramfs: base + /init + the modules, decompressed because busybox insmod
# takes plain .ko files only.
ird=$build/initramfs
make_base "$ird"
install -m 755 "$here/initramfs/init" "$ird/init"
mkdir -p "$ird/newroot"
mkdir -p "$ird/lib/modules/$kver"
# copy_modules LIST REL...: decompress each module into the initramfs and
# append it to LIST, the order /init loads them in.
copy_modules() {
	local list=$ird/lib/modules/$kver/$1 rel src dst
	shift
	: >"$list"
	for rel in "$@"; do
		src=$moddir/$rel
		dst=$ird/lib/modules/$kver/${rel%.ko*}.ko
		mkdir -p "$(dirname "$dst")"
		case $rel in
		*.ko)		cp "$src" "$dst" ;;
		*.ko.xz)	xz -dc "$src" >"$dst" ;;
		*.ko.zst)	zstd -qdc "$src" >"$dst" ;;
		*.ko.gz)	gzip -dc "$src" >"$dst" ;;
		*)		die "unknown module format: $rel" ;;
		esac
		echo "${rel%.ko*}.ko" >>"$list"
	done
}
copy_modules load-order "${load_order[@]}"
copy_modules nfs-load-order "${nfs_order[@]}"
if [ -z "$kmod_note" ]; then
	mkdir -p "$ird/lib/modules/$kver/extra"
	cp "$build/kmod/xen_memtarget.ko" "$ird/lib/modules/$kver/extra/"
	echo extra/xen_memtarget.ko >>"$ird/lib/modules/$kver/load-order"
	load_order+=(extra/xen_memtarget.ko)
fi
chown -R 0:0 "$ird"

# Root image: base only; drivers are already loaded when it is mounted.
rfs=$build/rootfs
make_base "$rfs"
chown -R 0:0 "$rfs"

# --- images ----------------------------------------------------------------

mkdir -p "$outdir"
tmp=$outdir/.build.$$
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"

cp "$kimage" "$tmp/vmlinuz"
(cd "$ird" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -9 -n >"$tmp/initrd.img"
truncate -s "${rootfs_mb}M" "$tmp/rootfs.ext2"
mke2fs -q -F -t ext2 -L ttylinux -m 0 -d "$rfs" -E root_owner=0:0 "$tmp/rootfs.ext2"
e2fsck -fn "$tmp/rootfs.ext2" >/dev/null 2>&1 || die "fresh rootfs.ext2 fails e2fsck"

cat >"$tmp/BUILD-INFO" <<EOF
kernel_package=$pkg
package_version=$ver
kernel_release=$kver
modules=$(printf '%s ' "${load_order[@]##*/}")
nfs_modules=$(printf '%s ' "${nfs_order[@]##*/}")
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF

# Replace the outputs only once all of them are built; the stamp goes last so
# an interrupted install is seen as stale next time.
rm -f "$stamp"
for f in vmlinuz initrd.img rootfs.ext2; do mv -f "$tmp/$f" "$outdir/$f"; done
mv -f "$tmp/BUILD-INFO" "$stamp"
rm -rf "$build"
demo_disk

log "built $outdir: kernel $kver ($pkg $ver), initrd $(du -k "$outdir/initrd.img" | cut -f1) KiB, rootfs ${rootfs_mb} MiB"
