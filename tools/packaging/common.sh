# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034,SC2016 # sourced: its variables are used by the scripts
# Shared by tools/packaging/*.sh: the bed's settings, the version, the
# packages the rootfs needs to build and install the DKMS package.
. "$(dirname "${BASH_SOURCE[0]}")/../testbed/lib.sh"

VERSION=$(cat "$TOP_DIR/VERSION")
DEB=p2pbuf-dkms_${VERSION}_all.deb
# Where the package is built inside the rootfs.
PKG_DIR=/usr/src/p2pbuf-pkg
# Also in the report to the bed's rootfs-packages.txt.
PKG_NEEDS="dkms dh-dkms debhelper dpkg-dev"

# The rootfs lock (lib.sh: rootfs_lock), unless our caller (build.sh)
# already holds it on fd 9: a second open file would wait for it forever.
pkg_lock() {
	[ "$(readlink /proc/self/fd/9 2>/dev/null)" = "$CACHE_DIR/rootfs.lock" ] ||
		rootfs_lock -x
}

pkg_need_tools() {
	local root=$1 p missing=
	for p in $PKG_NEEDS; do
		in_rootfs "$root" dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] ||
		die "the rootfs lacks$missing (add them to tools/testbed/rootfs-packages.txt)"
}
