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
# igt-tests/ are built too.  With KERNEL=debug (or "stock debug") the
# modules are also built against the proving kernel (tools/testbed/kernel/)
# with its compiler in its chroot, and that kernel's own modules are
# installed into the rootfs beside Debian's; KERNEL=unpatched does the same
# for its flavour without the series (kernel/build-unpatched.sh), where
# the Kbuild probe turns the compat unit on.  Nothing is rebuilt when the
# tree, the arguments and the kernels are those of the last build.  Build
# output is in $CACHE_DIR/build-*.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROOT=$("$TB_DIR/rootfs.sh")
KVER=$(rootfs_kver "$ROOT")
DST="$ROOT/usr/src/p2pbuf"
KERNELS=${KERNEL:-stock}
KERNELS=${KERNELS//,/ }
# The proving kernel's flavours asked for, and their directories.
FLAVOURS=
declare -A KDIRS=()
case " $KERNELS " in *" debug "*)
	FLAVOURS=debug
	KDIRS[debug]=$("$TB_DIR/kernel/build.sh") ;;
esac
case " $KERNELS " in *" unpatched "*)
	FLAVOURS="$FLAVOURS unpatched"
	KDIRS[unpatched]=$("$TB_DIR/kernel/build-unpatched.sh") ;;
esac
rootfs_lock -x
# A DKMS install (tools/packaging/check-dkms.sh) replaced the bed's modules
# in the rootfs: take it out and build again.
if in_rootfs "$ROOT" dpkg-query -W p2pbuf-dkms >/dev/null 2>&1; then
	"$TOP_DIR/tools/packaging/dkms-rootfs.sh" remove
	rm -f "$ROOT/usr/src/.p2pbuf-build"
fi

# What this build is made of: the tree as copied, the arguments, the kernels.
tree() {
	tar -C "$TOP_DIR" --exclude=.git --exclude='*.o' --exclude='*.ko' \
		--exclude='*.cmd' --exclude='*.mod*' --exclude=results \
		--sort=name --mtime=@0 --owner=0 --group=0 -cf - .
}
STAMP="$ROOT/usr/src/.p2pbuf-build"
want="$(tree | sha256sum | cut -c1-16) $* $KVER"
for f in $FLAVOURS; do want="$want $f:$(cat "${KDIRS[$f]}/.complete")"; done
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
	log "modules for $KERNELS unchanged since the last build"
	exit 0
fi
rm -f "$STAMP"

# Sync: the copy must be exactly the work tree (less .git and build output).
mkdir -p "$DST"
find "$DST" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
tree | tar -C "$DST" -xf -

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

# The proving kernels' modules, then ours built by their compiler.
CHROOT=$(kbuild_chroot_dir)
DKVERS=
for f in $FLAVOURS; do
	KDIR=${KDIRS[$f]}
	DKVER=$(cat "$KDIR/release")
	DKVERS="$DKVERS $DKVER"
	rm -rf "$ROOT/lib/modules/$DKVER"
	cp -a "$KDIR/modules/lib/modules/$DKVER" "$ROOT/lib/modules/"
	rm -f "$ROOT/lib/modules/$DKVER/build" "$ROOT/lib/modules/$DKVER/source"
	rm -rf "$CHROOT/usr/src/p2pbuf"
	mkdir -p "$CHROOT/usr/src/p2pbuf"
	tree | tar -C "$CHROOT/usr/src/p2pbuf" -xf -
	DLOG="$CACHE_DIR/build-modules-$f.log"
	K="make -C /usr/src/kernel-$f/linux M=/usr/src/p2pbuf CC=$KCC HOSTCC=$KCC"
	{
		in_rootfs "$CHROOT" $K modules "$@" &&
		in_rootfs "$CHROOT" $K INSTALL_MOD_PATH=/usr/src/p2pbuf-install \
			INSTALL_MOD_DIR=updates/p2pbuf INSTALL_MOD_STRIP=1 modules_install
	} >"$DLOG" 2>&1 || { cat "$DLOG"; die "module build for $DKVER failed"; }
	grep -E 'warning:|error:' "$DLOG" || true
	cp -a "$CHROOT/usr/src/p2pbuf-install/lib/modules/$DKVER/updates" \
		"$ROOT/lib/modules/$DKVER/"
	rm -rf "$CHROOT/usr/src/p2pbuf-install"
	in_rootfs "$ROOT" depmod -a "$DKVER"
done

# The bed's BAR is 32 MiB: exported ranges use the lower half, the
# allocator of BAR objects the upper half (so neither disturbs the other's
# host-side byte checks).
echo "options p2pbuf_exporter alloc_offset=0x1000000" \
	>"$ROOT/etc/modprobe.d/p2pbuf-testbed.conf"

in_rootfs "$ROOT" make -C /usr/src/p2pbuf/tools/demo >"$CACHE_DIR/build-demo.log" 2>&1 ||
	{ cat "$CACHE_DIR/build-demo.log"; die "demo build failed"; }
if [ -f "$DST/igt-tests/Makefile" ]; then
	in_rootfs "$ROOT" make -C /usr/src/p2pbuf/igt-tests WERROR=1 >"$CACHE_DIR/build-igt.log" 2>&1 ||
		{ cat "$CACHE_DIR/build-igt.log"; die "IGT test build failed"; }
fi
echo "$want" >"$STAMP"
log "built and installed modules for $KVER$DKVERS"
