#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# p2pbuf built in tree, as README's "In tree" section says, in a copy of the
# proving kernel's chroot (tools/testbed/kernel/: Linux 7.3, configured and
# built by gcc-15), so that only drivers/p2pbuf/ compiles:
#   intree@config     with the p2pbuf symbols =m (P2PBUF=y), olddefconfig
#                     keeps them all
#   intree@build-w1   make drivers/p2pbuf/ W=1 builds with no warning
# Writes RESULTS_DIR/summary.tsv (test, verdict, reason) like
# tools/testbed/static-checks.sh, and intree-build.log next to it.
#
#   check-intree.sh RESULTS_DIR [CHROOT_COPY]
#
# CHROOT_COPY (default $P2PBUF_INTREE_CHROOT, else $CACHE_DIR/intree-chroot)
# is made with cp -a from the proving kernel's chroot when missing or when
# that kernel was rebuilt since; the original is never written.  Each run
# starts from the copy's pristine drivers/Makefile, drivers/Kconfig and
# .config, kept in usr/src/intree-pristine/.
set -euo pipefail
. "$(dirname "$0")/../testbed/lib.sh"

RES=$1
COPY=${2:-${P2PBUF_INTREE_CHROOT:-$CACHE_DIR/intree-chroot}}
mkdir -p "$RES"
RES=$(cd "$RES" && pwd)
: >"$RES/summary.tsv"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RES/summary.tsv"; }

ORIG=$(kbuild_chroot_dir)
STAMP=usr/src/kernel-debug/.complete
LINUX=/usr/src/kernel-debug/linux
KEEP=/usr/src/intree-pristine
# The modules this configuration must build (Kconfig's p2pbuf symbols).
SYMS="P2PBUF_EXPORTER P2PBUF_EXPORTER_TEST_IMPORTER P2PBUF_IMPORTER P2PBUF_TESTBED_PROBE"

if [ -f "$ORIG/$STAMP" ] && ! cmp -s "$ORIG/$STAMP" "$COPY/$STAMP"; then
	[ "$(cd "$ORIG" && pwd)" != "$(mkdir -p "$COPY" && cd "$COPY" && pwd)" ] ||
		die "CHROOT_COPY is the proving kernel's own chroot"
	log "in-tree check: copying $ORIG to $COPY"
	rm -rf "$COPY"
	cp -a "$ORIG" "$COPY"
fi
# A fresh copy (no drivers/p2pbuf yet) is pristine: keep what we change.
if [ -f "$COPY/$STAMP" ] && [ ! -d "$COPY$KEEP" ] && [ ! -e "$COPY$LINUX/drivers/p2pbuf" ]; then
	mkdir -p "$COPY$KEEP.tmp"
	cp -a "$COPY$LINUX/drivers/Makefile" "$COPY$LINUX/drivers/Kconfig" \
		"$COPY$LINUX/.config" "$COPY$KEEP.tmp/"
	mv "$COPY$KEEP.tmp" "$COPY$KEEP"
fi
if [ ! -f "$COPY/$STAMP" ] || [ ! -d "$COPY$KEEP" ]; then
	record intree@config skip "no built proving kernel (tools/testbed/kernel/build.sh)"
	record intree@build-w1 skip "no built proving kernel (tools/testbed/kernel/build.sh)"
	exit 0
fi

T=$COPY$LINUX
cp -a "$COPY$KEEP/Makefile" "$COPY$KEEP/Kconfig" "$T/drivers/"
cp -a "$COPY$KEEP/.config" "$T/"

# README, "Building in tree": the same steps, from the top of the tree.
rm -rf "$T/drivers/p2pbuf"
mkdir -p "$T/drivers/p2pbuf"
tar -C "$TOP_DIR" --exclude=.git --exclude=results --exclude='*.o' --exclude='*.ko' \
	--exclude='*.cmd' --exclude='*.mod*' --exclude='igt-tests/build' -cf - . |
	tar -C "$T/drivers/p2pbuf" -xf -
echo 'obj-y += p2pbuf/' >>"$T/drivers/Makefile"
sed -i '$s|^endmenu$|source "drivers/p2pbuf/Kconfig"\n\nendmenu|' "$T/drivers/Kconfig"
grep -q '^source "drivers/p2pbuf/Kconfig"' "$T/drivers/Kconfig" ||
	die "drivers/Kconfig does not end in endmenu"

K="make -C $LINUX CC=$KCC HOSTCC=$KCC"
cfg="-e P2PBUF"
for s in $SYMS; do cfg="$cfg -m $s"; done
LOG=$RES/intree-build.log
# shellcheck disable=SC2086 # $cfg and $K are word lists
if ! in_rootfs "$COPY" sh -c "cd $LINUX && scripts/config $cfg && $K olddefconfig" >"$RES/intree-config.log" 2>&1; then
	record intree@config fail "olddefconfig failed, see $RES/intree-config.log"
	record intree@build-w1 skip "not configured"
	exit 0
fi
lost=
for s in $SYMS; do
	grep -qx "CONFIG_$s=m" "$T/.config" || lost="$lost $s"
done
grep -qx 'CONFIG_P2PBUF=y' "$T/.config" || lost="$lost P2PBUF"
if [ -n "$lost" ]; then
	record intree@config fail "olddefconfig dropped:$lost"
else
	record intree@config pass "P2PBUF=y,$(echo "$SYMS" | sed 's/ /=m,/g')=m"
fi

t0=$(date +%s)
if in_rootfs "$COPY" $K drivers/p2pbuf/ W=1 >"$LOG" 2>&1; then
	w=$(grep -E '(warning|error):' "$LOG" | sort -u || true)
	n=$(find "$T/drivers/p2pbuf" -name '*.o' -newer "$T/.config" | wc -l)
	if [ -n "$w" ]; then
		record intree@build-w1 fail "$(echo "$w" | wc -l) warnings, first: $(echo "$w" | head -n 1)"
	elif [ "$n" -eq 0 ]; then
		record intree@build-w1 fail "nothing compiled, see $LOG"
	else
		record intree@build-w1 pass "$n objects, $(($(date +%s) - t0)) s"
	fi
else
	record intree@build-w1 fail "build failed: $(grep -m 1 -E 'error' "$LOG" || tail -n 1 "$LOG")"
fi
