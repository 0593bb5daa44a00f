#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the chroot the proving kernel is compiled in: trixie
# with the kernel's build dependencies, Debian's linux-source-$KSERIES and
# sid's gcc-15 (the first compiler for which the 7.3 tree turns
# __builtin_counted_by_ref on).  Cached as $CACHE_DIR/kbuild-<hash of this
# recipe>; prints that directory on stdout.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$TB_DIR/debian-base.sh"

ROOT=$(kbuild_chroot_dir)
[ -f "$ROOT/.p2pbuf-complete" ] && { echo "$ROOT"; exit 0; }
[ "$(id -u)" = 0 ] || die "building the kernel's chroot needs root (debootstrap, chroot)"
mkdir -p "$CACHE_DIR"
exec 6>"$CACHE_DIR/kbuild-chroot.lock"
flock 6
[ -f "$ROOT/.p2pbuf-complete" ] && { echo "$ROOT"; exit 0; }

log "kernel build chroot $ROOT (trixie + $KCC from sid)"
rm -rf "$ROOT.tmp"
trap 'rm -rf "$ROOT.tmp"' EXIT
debian_base "$ROOT.tmp"
export DEBIAN_FRONTEND=noninteractive
{
	in_rootfs "$ROOT.tmp" apt-get -q update &&
	in_rootfs "$ROOT.tmp" apt-get -q -y install build-essential flex bison bc \
		libelf-dev libssl-dev kmod cpio xz-utils python3 patch \
		"linux-source-$KSERIES/trixie-backports" &&
	# Alone, so that apt keeps trixie's binutils and libc (sid's binutils
	# breaks trixie's libc6-dev; gcc-15 needs neither new).
	in_rootfs "$ROOT.tmp" apt-get -q -y install "$KCC/sid" &&
	in_rootfs "$ROOT.tmp" apt-get clean
} >"$CACHE_DIR/kbuild-apt.log" 2>&1 ||
	{ tail -n 30 "$CACHE_DIR/kbuild-apt.log" >&2; die "kernel build chroot: apt failed"; }
trap - EXIT
touch "$ROOT.tmp/.p2pbuf-complete"
rm -rf "$ROOT"
mv "$ROOT.tmp" "$ROOT"
for old in "$CACHE_DIR"/kbuild-*; do
	[ "$old" = "$ROOT" ] || [ ! -d "$old" ] || rm -rf "$old"
done
echo "$ROOT"
