#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# On the proving kernel (KERNEL=debug), between IGT binaries: what the
# kernel's checkers found that igt_runner's per-subtest kernel log scan does
# not see by itself.  (KASAN, lockdep, UBSAN, DEBUG_OBJECTS, hung-task and
# WARN reports are kernel log messages at warning level or worse, which
# already fail the subtest that was running.)
#
#   debug-checks.sh start WORKDIR          before the first binary
#   debug-checks.sh after WORKDIR BINARY   after each binary: prints
#                                          summary.tsv lines
#
# After a binary: its modules are unloaded (so whatever they leaked is
# unreferenced), kmemleak scans, and every new suspected leak fails
# <binary>@debug-kmemleak with the report's first lines; the DMA-API
# checker's error count must not have grown (<binary>@debug-dma-api).
set -u
KMEMLEAK=/sys/kernel/debug/kmemleak
DMA_ERRORS=/sys/kernel/debug/dma-api/error_count
# Unload order: users first.
MODULES="p2pbuf_importer p2pbuf_test_importer p2pbuf_probe p2pbuf_exporter p2pbuf_helpers vgem vfio_pci vfio_pci_core"

work=$2
one_line() { tr '\t\n' '  ' | sed 's/  */ /g' | cut -c1-400; }
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3"; }

kmemleak_scan() {
	# Two scans: an object is reported only once it was unreferenced in
	# two scans in a row (kmemleak's own rule against transient pointers).
	echo scan >"$KMEMLEAK" 2>/dev/null
	echo scan >"$KMEMLEAK" 2>/dev/null
}

case "$1" in
start)
	# Whatever boot left behind is not ours to judge.
	if [ -w "$KMEMLEAK" ]; then
		kmemleak_scan
		echo clear >"$KMEMLEAK"
	fi
	cat "$DMA_ERRORS" 2>/dev/null >"$work/dma-errors" || echo 0 >"$work/dma-errors"
	;;
after)
	b=$3
	for m in $MODULES; do
		grep -q "^$m " /proc/modules && rmmod "$m" 2>/dev/null
	done
	if [ -w "$KMEMLEAK" ]; then
		kmemleak_scan
		report=$(cat "$KMEMLEAK")
		if [ -n "$report" ]; then
			n=$(grep -c '^unreferenced object' <<<"$report")
			printf '%s\n' "$report" >"${P2PBUF_RESULTS:-$work}/kmemleak-$b.txt"
			record "$b@debug-kmemleak" fail \
				"$n suspected leaks (kmemleak-$b.txt): $(head -n 12 <<<"$report" | one_line)"
		else
			record "$b@debug-kmemleak" pass ""
		fi
		echo clear >"$KMEMLEAK"
	else
		record "$b@debug-kmemleak" fail "no $KMEMLEAK: is this the proving kernel?"
	fi
	before=$(cat "$work/dma-errors")
	now=$(cat "$DMA_ERRORS" 2>/dev/null) || now=
	if [ -z "$now" ]; then
		record "$b@debug-dma-api" fail "no $DMA_ERRORS: is this the proving kernel?"
	elif [ "$now" -gt "$before" ]; then
		record "$b@debug-dma-api" fail "DMA-API debug counted $((now - before)) new errors (see dmesg.txt)"
	else
		record "$b@debug-dma-api" pass ""
	fi
	echo "${now:-0}" >"$work/dma-errors"
	;;
*)
	echo "usage: debug-checks.sh start|after WORKDIR [BINARY]" >&2
	exit 2
	;;
esac
exit 0
