#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the proving kernel: Linux $KSERIES from Debian's
# linux-source package (the release the stock guest runs) with the patches
# of upstream/linux-$KSERIES/ applied, configured from defconfig +
# kvm_guest.config + trim.config + p2pbuf-debug.config, compiled by $KCC
# in the chroot of kernel/chroot.sh.  Rebuilt (incrementally) when the hash
# of this recipe changes; prints the kernel's directory on stdout.  In it:
#   linux/     the tree (sources and objects; modules build against it)
#   bzImage    the kernel            release   its release string
#   modules/   modules_install output (lib/modules/<release>)
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

CHROOT=$("$TB_DIR/kernel/chroot.sh")
KDIR=$(kernel_debug_dir)
HASH=$(kernel_debug_hash)
done_for() { [ -f "$KDIR/.complete" ] && [ "$(cat "$KDIR/.complete")" = "$HASH" ]; }
done_for && { echo "$KDIR"; exit 0; }
exec 7>"$CACHE_DIR/kernel-build.lock"
flock 7
done_for && { echo "$KDIR"; exit 0; }

HERE="$TB_DIR/kernel"
LOG="$KDIR/build.log"
SRC="$KDIR/linux"
PATCHES="$TOP_DIR/upstream/linux-$KSERIES"
TARBALL=$(ls "$CHROOT"/usr/src/linux-source-"$KSERIES".tar.* | head -n 1)
t0=$(date +%s)
rm -f "$KDIR/.complete"
if [ ! -f "$KDIR/.source-complete" ]; then
	rm -rf "$KDIR"
	mkdir -p "$SRC" "$KDIR/applied"
	tar -xf "$TARBALL" -C "$SRC" --strip-components=1
	touch "$KDIR/.source-complete"
fi
# A new recipe rebuilds incrementally: the files the previous series
# touched are restored from the tarball (with a new mtime, so make sees
# them), the current series is applied, and make rebuilds what changed.
if ! cmp -s <(cat "$KDIR"/applied/*.patch 2>/dev/null) <(cat "$PATCHES"/0*.patch 2>/dev/null); then
	files=$({ cat "$KDIR"/applied/*.patch "$PATCHES"/0*.patch 2>/dev/null || true; } |
		sed -n 's|^+++ b/||p; s|^--- a/||p' | sort -u)
	for f in $files; do
		rm -f "$SRC/$f"
		tar -xmf "$TARBALL" -C "$SRC" --strip-components=1 --wildcards "*/$f" \
			2>/dev/null || true	# a file the series adds
	done
	rm -f "$KDIR"/applied/*.patch
	for p in "$PATCHES"/0*.patch; do
		[ -f "$p" ] || continue
		patch -d "$SRC" -p1 --quiet <"$p" ||
			die "debug kernel: $(basename "$p") does not apply"
		cp "$p" "$KDIR/applied/"
	done
fi

K="make -C /usr/src/kernel-debug/linux CC=$KCC HOSTCC=$KCC"
log "debug kernel: configuring"
cp "$HERE/trim.config" "$HERE/p2pbuf-debug.config" "$SRC/kernel/configs/"
in_rootfs "$CHROOT" $K defconfig kvm_guest.config trim.config p2pbuf-debug.config \
	>"$LOG" 2>&1 || { tail -n 30 "$LOG" >&2; die "debug kernel: configuration failed"; }
# Every option of the fragment must have stuck (a missing dependency makes
# Kconfig drop it silently).
cfg="$SRC/.config"
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$HERE/p2pbuf-debug.config" |
	grep -vxF -f "$cfg" || true)
for off in $(sed -n 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1/p' \
		"$HERE/p2pbuf-debug.config"); do
	grep -q "^$off=" "$cfg" && missing="$missing $off"
done
[ -z "$missing" ] || die "debug kernel: options Kconfig dropped: $(echo $missing)"

log "debug kernel: compiling with $KCC (cold: 8-15 minutes on 2 cores; $LOG)"
in_rootfs "$CHROOT" $K -j"$(nproc)" bzImage modules >>"$LOG" 2>&1 ||
	{ grep -E 'error|Error' "$LOG" | head -n 20 >&2; die "debug kernel: build failed"; }
rm -rf "$KDIR/modules"
in_rootfs "$CHROOT" $K INSTALL_MOD_PATH=/usr/src/kernel-debug/modules INSTALL_MOD_STRIP=1 \
	modules_install >>"$LOG" 2>&1 || die "debug kernel: modules_install failed"
in_rootfs "$CHROOT" $K -s kernelrelease >"$KDIR/release"
cp "$SRC/arch/x86/boot/bzImage" "$KDIR/bzImage"
echo "$HASH" >"$KDIR/.complete"
log "debug kernel $(cat "$KDIR/release") built in $(($(date +%s) - t0)) s"
echo "$KDIR"
