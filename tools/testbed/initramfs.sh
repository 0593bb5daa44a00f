#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the small initramfs that mounts the 9p root filesystem:
# static busybox plus the guest kernel's 9p modules and their dependencies.
# Usage: initramfs.sh ROOTFS [KVER]; prints the image path on stdout.  A
# kernel with 9p built in (the debug kernel) gets busybox alone.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROOT=$1
KVER=${2:-$(rootfs_kver "$ROOT")}
BUSYBOX=${BUSYBOX:-/bin/busybox}
IMG="$CACHE_DIR/initramfs-$KVER-$(cat "$0" "$TB_DIR/initramfs-init" | sha256sum | cut -c1-12).cpio.gz"
if [ -f "$IMG" ]; then
	echo "$IMG"
	exit 0
fi
file "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
	die "$BUSYBOX is not a static busybox (apt-get install busybox-static)"

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/bin" "$W/lib" "$W/proc" "$W/dev" "$W/newroot"
cp "$BUSYBOX" "$W/bin/busybox"
ln -s busybox "$W/bin/sh"

# Modules needed for a 9p root, in dependency order, from modules.dep.
MODDIR="$ROOT/lib/modules/$KVER"
declare -A seen=()
order=()
add_mod() {
	local name=$1 path deps d
	path=$(grep -E "(^|/)$name\.ko(\.[a-z]+)?:" "$MODDIR/modules.dep" | head -n 1) ||
		return 0 # built in
	deps=${path#*:}
	path=${path%%:*}
	[ -n "${seen[$path]:-}" ] && return 0
	seen[$path]=1
	for d in $deps; do
		d=$(basename "$d")
		add_mod "${d%%.ko*}"
	done
	order+=("$path")
}
for m in 9pnet_virtio 9p; do
	add_mod $m
done
: >"$W/lib/modules.order"
for p in "${order[@]}"; do
	b=$(basename "$p")
	case "$b" in
	*.xz) xz -dc "$MODDIR/$p" >"$W/lib/${b%.xz}" ;;
	*.zst) zstd -qdc "$MODDIR/$p" >"$W/lib/${b%.zst}" ;;
	*.gz) gzip -dc "$MODDIR/$p" >"$W/lib/${b%.gz}" ;;
	*) cp "$MODDIR/$p" "$W/lib/$b" ;;
	esac
	echo "${b%.ko*}.ko" >>"$W/lib/modules.order"
done
install -m 0755 "$TB_DIR/initramfs-init" "$W/init"
(cd "$W" && find . | cpio -o -H newc --quiet | gzip -9) >"$IMG.tmp.$$"
mv "$IMG.tmp.$$" "$IMG"
echo "$IMG"
