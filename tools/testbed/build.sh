#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Copy the repository into the guest rootfs (/usr/src/p2pbuf) and build the
# kernel modules there, against the guest kernel's headers, with the
# rootfs's own toolchain (Debian's 7.3 kbuild needs trixie's gcc and glibc).
#
#   build.sh [KBUILD ARGS...]   e.g. build.sh W=1, build.sh C=2
#
# The modules are installed into the rootfs under
# /lib/modules/$KVER/updates/p2pbuf and depmod is run, so that the guest
# (and IGT's kmod helpers) can load them by name.  The IGT tests in
# igt-tests/ are built too.  Build output is in $CACHE_DIR/build-*.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROOT=$("$TB_DIR/rootfs.sh")
KVER=$(rootfs_kver "$ROOT")
DST="$ROOT/usr/src/p2pbuf"
rootfs_lock -x

# Sync: the copy must be exactly the work tree (less .git and build output).
mkdir -p "$DST"
find "$DST" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
tar -C "$TOP_DIR" --exclude=.git --exclude='*.o' --exclude='*.ko' \
	--exclude='*.cmd' --exclude='*.mod*' --exclude=results -cf - . |
	tar -C "$DST" -xf -

# Debian's headers package lacks scripts/checker-valid.sh, without which
# kbuild ignores C=1/C=2.  Ours prints 1 when the checker can run at all.
CHECKER="$ROOT/usr/src/linux-headers-${KVER%-amd64}-common/scripts/checker-valid.sh"
if [ ! -e "$CHECKER" ] || grep -q 'p2pbuf test bed' "$CHECKER"; then
	printf '#!/bin/sh\n# p2pbuf test bed: is the checker usable?\ncommand -v "$1" >/dev/null && echo 1\n' >"$CHECKER"
	chmod +x "$CHECKER"
fi

LOG="$CACHE_DIR/build-modules.log"
in_rootfs "$ROOT" make -C /usr/src/p2pbuf KDIR="/lib/modules/$KVER/build" \
	modules "$@" >"$LOG" 2>&1 || { cat "$LOG"; die "module build failed"; }
grep -E 'warning:|error:' "$LOG" || true

rm -rf "$ROOT/lib/modules/$KVER/updates/p2pbuf"
in_rootfs "$ROOT" make -C "/lib/modules/$KVER/build" M=/usr/src/p2pbuf \
	INSTALL_MOD_DIR=updates/p2pbuf INSTALL_MOD_STRIP=1 CONFIG_MODULE_SIG_ALL= \
	modules_install >"$CACHE_DIR/install-modules.log" 2>&1 ||
	{ tail -n 20 "$CACHE_DIR/install-modules.log"; die "modules_install failed"; }
in_rootfs "$ROOT" depmod -a "$KVER"
# The bed's BAR is 32 MiB: exported ranges use the lower half, the
# allocator of BAR objects the upper half (so neither disturbs the other's
# host-side byte checks).
echo "options p2pbuf_exporter alloc_offset=0x1000000" \
	>"$ROOT/etc/modprobe.d/p2pbuf-testbed.conf"

in_rootfs "$ROOT" make -C /usr/src/p2pbuf/tools/demo >"$CACHE_DIR/build-demo.log" 2>&1 ||
	{ cat "$CACHE_DIR/build-demo.log"; die "demo build failed"; }
if [ -f "$DST/igt-tests/Makefile" ]; then
	in_rootfs "$ROOT" make -C /usr/src/p2pbuf/igt-tests >"$CACHE_DIR/build-igt.log" 2>&1 ||
		{ cat "$CACHE_DIR/build-igt.log"; die "IGT test build failed"; }
fi
log "built and installed modules for $KVER"
