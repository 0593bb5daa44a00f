#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the unpatched flavour of the proving kernel: the recipe
# of build.sh (same sources, configuration and compiler) with none of the
# series of upstream/linux-$KSERIES/ applied, so that the "before" side of
# the fixes that only CONFIG_DMA_API_DEBUG can show (0003, 0007) is
# observable.  Built incrementally from the patched build: a copy of its
# tree with the files the series touches restored from the tarball (with a
# new mtime, so make recompiles them: all are built-in .c files or
# documentation) and a release string of its own (LOCALVERSION
# -p2pbuf-unpatched, so its modules do not clash with the patched kernel's
# in the rootfs).  Prints the kernel's directory on stdout, laid out as
# build.sh's.  Rebuilt when the patched build or this script changes.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

PKDIR=$("$TB_DIR/kernel/build.sh")
CHROOT=$(kbuild_chroot_dir)
KDIR=$(kernel_unpatched_dir)
HASH=$(kernel_unpatched_hash)
done_for() { [ -f "$KDIR/.complete" ] && [ "$(cat "$KDIR/.complete")" = "$HASH" ]; }
done_for && { echo "$KDIR"; exit 0; }
exec 7>"$CACHE_DIR/kernel-build.lock"
flock 7
done_for && { echo "$KDIR"; exit 0; }

LOG="$KDIR/build.log"
SRC="$KDIR/linux"
TARBALL=$(ls "$CHROOT"/usr/src/linux-source-"$KSERIES".tar.* | head -n 1)
t0=$(date +%s)
rm -rf "$KDIR"
mkdir -p "$KDIR"
log "unpatched kernel: copying the patched build"
cp -a "$PKDIR/linux" "$SRC"
# The files the applied series touched, as the tarball has them.
files=$(cat "$PKDIR"/applied/*.patch 2>/dev/null | sed -n 's|^+++ b/||p' | sort -u)
[ -n "$files" ] || die "unpatched kernel: the patched build applied no series"
members=
for f in $files; do
	case "$f" in
	*.c | Documentation/*) ;;
	*) die "unpatched kernel: the series touches $f, not a built-in .c file: rebuild from scratch" ;;
	esac
	rm -f "$SRC/$f"
	members="$members linux-source-$KSERIES/$f"
done
# One pass over the tarball (xz: each pass decompresses all of it).
# shellcheck disable=SC2086 # one argument per member
tar -xmf "$TARBALL" -C "$SRC" --strip-components=1 $members ||
	die "unpatched kernel: the tarball lacks one of$members"
printf '%s\n' $files >"$KDIR/restored"

K="make -C /usr/src/kernel-unpatched/linux CC=$KCC HOSTCC=$KCC"
# Only the release string differs from the patched configuration.
sed -i 's/^CONFIG_LOCALVERSION=.*/CONFIG_LOCALVERSION="-p2pbuf-unpatched"/' "$SRC/.config"
in_rootfs "$CHROOT" $K olddefconfig >"$LOG" 2>&1 ||
	{ tail -n 30 "$LOG" >&2; die "unpatched kernel: configuration failed"; }
diff <(grep -v LOCALVERSION "$PKDIR/linux/.config") <(grep -v LOCALVERSION "$SRC/.config") >&2 ||
	die "unpatched kernel: the configuration differs from the patched kernel's"

log "unpatched kernel: compiling the restored files and relinking ($LOG)"
in_rootfs "$CHROOT" $K -j"$(nproc)" bzImage modules >>"$LOG" 2>&1 ||
	{ grep -E 'error|Error' "$LOG" | head -n 20 >&2; die "unpatched kernel: build failed"; }
in_rootfs "$CHROOT" $K INSTALL_MOD_PATH=/usr/src/kernel-unpatched/modules INSTALL_MOD_STRIP=1 \
	modules_install >>"$LOG" 2>&1 || die "unpatched kernel: modules_install failed"
in_rootfs "$CHROOT" $K -s kernelrelease >"$KDIR/release"
# The series' last patch exports pci_p2pdma_map_type(): it must be gone.
! grep -qw pci_p2pdma_map_type "$SRC/Module.symvers" ||
	die "unpatched kernel: Module.symvers still exports pci_p2pdma_map_type"
cp "$SRC/arch/x86/boot/bzImage" "$KDIR/bzImage"
echo "$HASH" >"$KDIR/.complete"
log "unpatched kernel $(cat "$KDIR/release") built in $(($(date +%s) - t0)) s"
echo "$KDIR"
