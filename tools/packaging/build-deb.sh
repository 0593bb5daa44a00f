#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the Debian source package p2pbuf and its binary p2pbuf-dkms in the
# guest rootfs (trixie's debhelper and dh-dkms), from the work tree as it
# is (less .git and build output).  Prints the .deb's path on the host.
#
#   build-deb.sh [OUT_DIR]    also copy the .deb, .dsc and .tar.xz there
#
# The log is $CACHE_DIR/build-deb.log.
set -euo pipefail
. "$(dirname "$0")/common.sh"

OUT=${1:-}
ROOT=$("$TB_DIR/rootfs.sh")
pkg_need_tools "$ROOT"
pkg_lock

# A native package: the source directory is p2pbuf-<version>.
rm -rf "$ROOT$PKG_DIR"
mkdir -p "$ROOT$PKG_DIR/p2pbuf-$VERSION"
tar -C "$TOP_DIR" --exclude=.git --exclude='*.o' --exclude='*.ko' \
	--exclude='*.cmd' --exclude='*.mod*' --exclude=results \
	--exclude='igt-tests/build' -cf - . |
	tar -C "$ROOT$PKG_DIR/p2pbuf-$VERSION" -xf -

LOG="$CACHE_DIR/build-deb.log"
in_rootfs "$ROOT" sh -c "cd $PKG_DIR/p2pbuf-$VERSION && dpkg-buildpackage -us -uc" \
	>"$LOG" 2>&1 || { tail -n 30 "$LOG" >&2; die "dpkg-buildpackage failed (log: $LOG)"; }
[ -f "$ROOT$PKG_DIR/$DEB" ] || die "dpkg-buildpackage made no $DEB"
if [ -n "$OUT" ]; then
	mkdir -p "$OUT"
	cp "$ROOT$PKG_DIR"/p2pbuf*_"$VERSION"* "$OUT/"
fi
echo "$ROOT$PKG_DIR/$DEB"
