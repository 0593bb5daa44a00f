#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# On the proving kernel (KERNEL=debug): what the kernel's checkers found that
# igt_runner's per-subtest kernel log scan does not see by itself.  (KASAN,
# lockdep, UBSAN, DEBUG_OBJECTS, hung-task and WARN reports are kernel log
# messages at warning level or worse, which already fail the subtest that
# was running.)  Prints summary.tsv lines.
#
#   debug-checks.sh start WORKDIR              before the first binary
#   debug-checks.sh after WORKDIR NAME         after a runner's binaries
#   debug-checks.sh end WORKDIR BINARY...      after the last one
#
# After the runner the DMA-API checker's error count must not have grown
# (<NAME>@debug-dma-api; its reports are WARNs, which also fail the
# subtest that was running), less the errors proof subtests provoked on
# purpose on the unpatched kernel and declared in
# $P2PBUF_RESULTS/dma-api-expected.txt (p2pbuf_dma_api_expected()).  On
# the unpatched kernel (P2PBUF_KERNEL=unpatched) kmemleak's reports of
# scatterlists dma_buf_phys_vec_to_sgt() allocated are the leak patch 0004
# fixes, which p2pbuf_vfio@vfio-unmap-frees proves: left out and counted.  At the end every module the tests loaded is
# unloaded (so whatever they leaked is unreferenced) and kmemleak scans once:
# a scan costs about 30 s under TCG on this kernel, one per binary would
# double the run.  Each suspected leak is charged to the binary whose
# process allocated it (the report's "comm"), failing <binary>@debug-kmemleak
# with the report's first lines; a leak allocated by any other task fails
# bed@debug-kmemleak.  The whole report is in $P2PBUF_RESULTS/kmemleak.txt.
set -u
KMEMLEAK=/sys/kernel/debug/kmemleak
DMA_ERRORS=/sys/kernel/debug/dma-api/error_count
# Unload order: users first.
MODULES="p2pbuf_importer p2pbuf_test_importer p2pbuf_probe p2pbuf_exporter p2pbuf_helpers vgem vfio_pci vfio_pci_core"

work=$2
one_line() { tr '\t\n' '  ' | sed 's/  */ /g' | cut -c1-400; }
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3"; }

case "$1" in
start)
	# What boot left behind is not the tests' to answer for.
	if [ -w "$KMEMLEAK" ]; then
		echo scan >"$KMEMLEAK"
		echo clear >"$KMEMLEAK"
	fi
	cat "$DMA_ERRORS" 2>/dev/null >"$work/dma-errors" || echo 0 >"$work/dma-errors"
	echo 0 >"$work/dma-expected-seen"
	;;
after)
	b=$3
	before=$(cat "$work/dma-errors")
	now=$(cat "$DMA_ERRORS" 2>/dev/null) || now=
	if [ -z "$now" ]; then
		record "$b@debug-dma-api" fail "no $DMA_ERRORS: is this the proving kernel?"
	else
		# The declared errors not yet accounted for.
		exp_file="${P2PBUF_RESULTS:-$work}/dma-api-expected.txt"
		seen=$(cat "$work/dma-expected-seen")
		expected=$(tail -n +"$((seen + 1))" "$exp_file" 2>/dev/null |
			awk '{ n += $2 } END { print n + 0 }')
		wc -l <"$exp_file" >"$work/dma-expected-seen" 2>/dev/null ||
			echo 0 >"$work/dma-expected-seen"
		if [ "$((now - before))" -gt "$expected" ]; then
			record "$b@debug-dma-api" fail "DMA-API debug counted $((now - before)) new errors, $expected of them provoked on purpose (see dmesg.txt)"
		else
			record "$b@debug-dma-api" pass ""
		fi
	fi
	echo "${now:-0}" >"$work/dma-errors"
	;;
end)
	shift 2
	for m in $MODULES; do
		grep -q "^$m " /proc/modules && rmmod "$m" 2>/dev/null
	done
	if [ ! -w "$KMEMLEAK" ]; then
		record "bed@debug-kmemleak" fail "no $KMEMLEAK: is this the proving kernel?"
		exit 0
	fi
	t0=$(date +%s)
	echo scan >"$KMEMLEAK"
	echo "debug-checks: kmemleak scan: $(($(date +%s) - t0)) s" >&2
	cat "$KMEMLEAK" >"$work/kmemleak.txt"
	[ -s "$work/kmemleak.txt" ] && cp "$work/kmemleak.txt" "${P2PBUF_RESULTS:-$work}/"
	if [ "${P2PBUF_KERNEL:-}" = unpatched ]; then
		# Patch 0004's leak, proved by vfio-unmap-frees: not charged.
		awk -v dir="$work" '
			function flush() { if (obj == "") return
				if (obj ~ /dma_buf_phys_vec_to_sgt/) n++; else printf "%s", obj
				obj = "" }
			/^unreferenced object/ { flush() }
			{ obj = obj $0 "\n" }
			END { flush(); print n + 0 >(dir "/leaks-0004") }' \
			"$work/kmemleak.txt" >"$work/kmemleak-rest.txt"
		mv "$work/kmemleak-rest.txt" "$work/kmemleak.txt"
		echo "debug-checks: $(cat "$work/leaks-0004") kmemleak reports of dma_buf_phys_vec_to_sgt()'s scatterlists (patch 0004's leak) not charged" >&2
	fi
	# One report per object: split at "unreferenced object", keyed by comm.
	awk -v dir="$work" '
		/^unreferenced object/ { n++ }
		n && /^  comm "/ { c = $0; sub(/^  comm "/, "", c); sub(/".*/, "", c); comm[n] = c }
		n { text[n] = text[n] $0 "\n" }
		END {
			for (i = 1; i <= n; i++) {
				f = dir "/leak-" comm[i] ".txt"
				printf "%s", text[i] >>f
			}
		}' "$work/kmemleak.txt"
	for b in "$@"; do
		# comm is the first 15 characters of the task's name.
		f="$work/leak-${b:0:15}.txt"
		if [ -s "$f" ]; then
			record "$b@debug-kmemleak" fail \
				"$(grep -c '^unreferenced object' "$f") suspected leaks (kmemleak.txt): $(head -n 12 "$f" | one_line)"
			rm -f "$f"
		else
			record "$b@debug-kmemleak" pass ""
		fi
	done
	others=$(ls "$work"/leak-*.txt 2>/dev/null)
	if [ -n "$others" ]; then
		record "bed@debug-kmemleak" fail \
			"suspected leaks of other tasks (kmemleak.txt): $(cat $others | head -n 12 | one_line)"
	else
		record "bed@debug-kmemleak" pass ""
	fi
	;;
*)
	echo "usage: debug-checks.sh start|after|end WORKDIR [BINARY...]" >&2
	exit 2
	;;
esac
exit 0
