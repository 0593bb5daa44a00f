#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the cached guest root filesystem: Debian trixie with
# Linux $KSERIES from trixie-backports, the toolchain to build our modules,
# libdrm and IGT from sid.  Prints the rootfs directory on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$TB_DIR/debian-base.sh"

ROOT=$(rootfs_dir)
if [ -f "$ROOT/.p2pbuf-complete" ]; then
	echo "$ROOT"
	exit 0
fi

# One builder at a time (the build directory is shared); whoever waited
# finds the rootfs complete.
mkdir -p "$CACHE_DIR"
exec 8>"$CACHE_DIR/rootfs-build.lock"
flock 8
if [ -f "$ROOT/.p2pbuf-complete" ]; then
	echo "$ROOT"
	exit 0
fi

for t in debootstrap chroot; do
	command -v $t >/dev/null || die "$t is missing (apt-get install debootstrap)"
done
[ "$(id -u)" = 0 ] || die "building the rootfs needs root (debootstrap, chroot)"

TMP="$ROOT.tmp"
rm -rf "$TMP"
log "building rootfs $ROOT (cold: about two minutes)"

trap 'rm -rf "$TMP"' EXIT
debian_base "$TMP"

export DEBIAN_FRONTEND=noninteractive
in_rootfs "$TMP" apt-get -q update >"$CACHE_DIR/apt.log" 2>&1 ||
	{ tail -n 30 "$CACHE_DIR/apt.log" >&2; die "apt-get update failed"; }

# Select the kernel series explicitly: a newer suite may offer a newer one.
# (Names: linux-image-7.3.4+deb13-amd64, or ...-amd64-unsigned before 7.0.)
KPKG=$(in_rootfs "$TMP" apt-cache search --names-only "^linux-image-$KSERIES" |
	awk '{print $1}' |
	grep -E "^linux-image-$KSERIES\.[0-9]+\+[a-z0-9.~]+-amd64(-unsigned)?\$" |
	sort -V | tail -n 1) || true
[ -n "$KPKG" ] || die "no linux-image-$KSERIES in trixie-backports"
KREL=${KPKG#linux-image-}
KREL=${KREL%-unsigned}
log "guest kernel $KREL"

pkgs=()
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	pkgs+=("${p/@//}")
done <"$TB_DIR/rootfs-packages.txt"
pkgs+=("$KPKG/trixie-backports" "linux-headers-$KREL/trixie-backports"
	"linux-source-$KSERIES/trixie-backports")

# apt does not take a dependency from low-pinned sid on its own: name every
# library that sid's IGT needs newer than trixie has ("X/sid"), found by
# simulating the install until it resolves.
for _ in $(seq 1 20); do
	need=$(in_rootfs "$TMP" apt-get -s install "${pkgs[@]}" 2>&1 |
		grep -oP '^\s*\S+ : Depends: \K[^ ]+(?= \(.*but)' | sort -u) || true
	[ -n "$need" ] || break
	for n in $need; do
		pkgs+=("$n/sid")
	done
done
in_rootfs "$TMP" apt-get -q -y install "${pkgs[@]}" >>"$CACHE_DIR/apt.log" 2>&1 ||
	{ tail -n 40 "$CACHE_DIR/apt.log" >&2; die "package install failed"; }
# Linux 7.3 needs a sparse that knows __typeof_unqual__ (0.6.5); trixie has
# 0.6.4 and sid's package drags in gcc-16.  Its binary runs on trixie.
in_rootfs "$TMP" sh -c 'cd /tmp && apt-get -q download sparse/sid &&
	dpkg-deb -x sparse_*.deb /tmp/sparse-sid &&
	install -m 0755 /tmp/sparse-sid/usr/bin/sparse /usr/local/bin/sparse-sid &&
	rm -rf /tmp/sparse_*.deb /tmp/sparse-sid' >>"$CACHE_DIR/apt.log" 2>&1 ||
	die "cannot fetch sid's sparse"
in_rootfs "$TMP" apt-get clean

# checkpatch.pl and its data files from the kernel source tarball.
tarball=$(ls "$TMP"/usr/src/linux-source-"$KSERIES".tar.* | head -n 1)
mkdir -p "$TMP/usr/src/linux-scripts"
tar -xf "$tarball" -C "$TMP/usr/src/linux-scripts" --strip-components=1 \
	--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
	'*/scripts/const_structs.checkpatch' '*/drivers/dma-buf/*' \
	'*/drivers/pci/p2pdma.c' '*/drivers/vfio/pci/vfio_pci_dmabuf.c' \
	'*/include/linux/dma-buf*.h' '*/include/linux/pci-p2pdma.h' \
	'*/include/linux/dma-mapping.h' '*/Documentation/driver-api/dma-buf.rst' \
	'*/drivers/misc/pci_endpoint_test.c' '*/drivers/gpu/drm/vgem/*' \
	'*/Documentation/sphinx/*' '*/tools/docs/*' '*/tools/lib/python/*' \
	'*/scripts/kernel-doc'
rm -f "$tarball"

# Mount points the guest needs on a read-only root.
mkdir -p "$TMP/mnt/results" "$TMP/mnt/p2pbuf"
echo "p2pbuf-guest" >"$TMP/etc/hostname"

trap - EXIT
echo "$KREL" >"$TMP/.p2pbuf-complete"
rm -rf "$ROOT"
mv "$TMP" "$ROOT"
# Older recipes are of no further use.
for old in "$CACHE_DIR"/rootfs-*; do
	[ "$old" = "$ROOT" ] || rm -rf "$old"
done
log "rootfs ready: $(du -sh "$ROOT" | cut -f1)"
echo "$ROOT"
