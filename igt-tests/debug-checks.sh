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
# $DEBUG_CHECKS_REST (default "bed") names the rows that are nobody's in
# particular: <REST>@debug-unload and <REST>@debug-kmemleak (guest-check.sh
# checks the KUnit modules as "kunit", its report in kmemleak-kunit.txt);
# $DEBUG_CHECKS_MODULES are unloaded too.  On the proving kernel the DMA-API
# checker prints every error it finds (all_errors), not only the boot's
# first, so each one is a WARN that fails the subtest that was running.
# After the runner its error count must not have grown
# (<NAME>@debug-dma-api), less the errors proof subtests provoked on
# purpose on the unpatched kernel and declared in
# $P2PBUF_RESULTS/dma-api-expected.txt (p2pbuf_dma_api_expected()).  On
# the unpatched kernel (P2PBUF_KERNEL=unpatched) kmemleak's reports of
# scatterlists dma_buf_phys_vec_to_sgt() allocated are the leak patch 0004
# fixes, which p2pbuf_vfio@vfio-unmap-frees proves: left out and counted.
# At the end every module the tests loaded is unloaded (so whatever they
# leaked is unreferenced; <REST>@debug-unload fails when one stays loaded
# or the unbinds made DMA-API errors, such as dma-debug's "device driver
# has pending DMA allocations") and kmemleak scans once:
# a scan costs about 30 s under TCG on this kernel, one per binary would
# double the run.  Each suspected leak is charged to the binary whose
# process allocated it (the report's "comm"), failing <binary>@debug-kmemleak
# with the report's first lines; a leak allocated by any other task fails
# bed@debug-kmemleak.  The whole report is in $P2PBUF_RESULTS/kmemleak.txt.
set -u
KMEMLEAK=/sys/kernel/debug/kmemleak
DMA_ERRORS=/sys/kernel/debug/dma-api/error_count
DMA_ALL_ERRORS=/sys/kernel/debug/dma-api/all_errors
REST=${DEBUG_CHECKS_REST:-bed}
LEAKS=kmemleak.txt
[ "$REST" = bed ] || LEAKS=kmemleak-$REST.txt
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
	# The unpatched flavour's proofs provoke thousands of errors on
	# purpose: there the first one is enough.
	[ "${P2PBUF_KERNEL:-}" = debug ] && echo 1 2>/dev/null >"$DMA_ALL_ERRORS"
	cat "$DMA_ERRORS" 2>/dev/null >"$work/dma-errors" || echo 0 >"$work/dma-errors"
	# Errors declared before this start are not this run's.
	wc -l 2>/dev/null <"${P2PBUF_RESULTS:-$work}/dma-api-expected.txt" >"$work/dma-expected-seen" ||
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
		wc -l 2>/dev/null <"$exp_file" >"$work/dma-expected-seen" ||
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
	stuck=
	before=$(cat "$DMA_ERRORS" 2>/dev/null) || before=0
	for m in $MODULES ${DEBUG_CHECKS_MODULES:-}; do
		grep -q "^$m " /proc/modules || continue
		out=$(rmmod "$m" 2>&1) || stuck="$stuck $m ($out)"
	done
	now=$(cat "$DMA_ERRORS" 2>/dev/null) || now=0
	if [ -n "$stuck" ]; then
		record "$REST@debug-unload" fail "still loaded, so kmemleak cannot see what they hold:$stuck"
	elif [ "$((now - before))" -gt 0 ]; then
		record "$REST@debug-unload" fail "DMA-API debug counted $((now - before)) errors while the modules unloaded (see dmesg.txt)"
	else
		record "$REST@debug-unload" pass ""
	fi
	if [ ! -w "$KMEMLEAK" ]; then
		record "$REST@debug-kmemleak" fail "no $KMEMLEAK: is this the proving kernel?"
		exit 0
	fi
	t0=$(date +%s)
	# kmemleak refuses (EPERM) once it has turned itself off, e.g. when
	# its object pool ran out: then it saw nothing.
	if ! echo scan 2>/dev/null >"$KMEMLEAK" || ! cat "$KMEMLEAK" >"$work/kmemleak.txt" 2>/dev/null; then
		record "$REST@debug-kmemleak" fail "kmemleak refused the scan: it has disabled itself (see dmesg.txt)"
		exit 0
	fi
	echo "debug-checks: kmemleak scan: $(($(date +%s) - t0)) s" >&2
	[ -s "$work/kmemleak.txt" ] && cp "$work/kmemleak.txt" "${P2PBUF_RESULTS:-$work}/$LEAKS"
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
				"$(grep -c '^unreferenced object' "$f") suspected leaks ($LEAKS): $(head -n 12 "$f" | one_line)"
			rm -f "$f"
		else
			record "$b@debug-kmemleak" pass ""
		fi
	done
	others=$(ls "$work"/leak-*.txt 2>/dev/null)
	if [ -n "$others" ]; then
		record "$REST@debug-kmemleak" fail \
			"suspected leaks of other tasks ($LEAKS): $(cat $others | head -n 12 | one_line)"
		rm -f $others
	else
		record "$REST@debug-kmemleak" pass ""
	fi
	;;
*)
	echo "usage: debug-checks.sh start|after|end WORKDIR [BINARY...]" >&2
	exit 2
	;;
esac
exit 0
