#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole p2pbuf test suite (make check):
#   1. host packages, the cached guest rootfs and, for the proving tier,
#      the cached debug kernel (each built cold if missing);
#   2. static checks: W=1 build, sparse, checkpatch --strict (verdicts
#      reused while the kernel sources are unchanged);
#   3. guest boots running the IGT suite (igt-tests/run-in-guest.sh), one
#      per topology and kernel, P2PBUF_JOBS of them at a time, with a
#      progress line on the terminal;
#   4. host-side verdicts: guest kernel log scan, byte checks of the
#      exporter BAR's backing file, then one summary table (a column per
#      topology and kernel) and the line "N passed, N failed, N skipped".
#
# Environment (or make variables):
#   KERNEL=stock|debug  run that kernel only, in TOPO= or every topology.
#                   Unset: with TOPO=, Debian's kernel there; without,
#                   both tiers: Debian's kernel in every topology and the
#                   proving kernel in $DEBUG_TOPOS (what CI runs).
#   KERNEL=unpatched  the proving kernel without the series
#                   (kernel/build-unpatched.sh), running only the series'
#                   proof subtests ($UNPATCHED_TESTS, or TEST=), in TOPO=
#                   or $UNPATCHED_TOPOS; never part of a default run.
#   TOPO=<names>    the topologies; TEST=<subtest globs> (static checks
#                   are then skipped); P2PBUF_JOBS (default: the number of
#                   cores) guests at a time; P2PBUF_ACCEL=kvm uses KVM;
#                   P2PBUF_RESULTS_DIR (default ./results);
#                   P2PBUF_MODULES=dkms boots the modules DKMS built from
#                   the Debian package (tools/packaging/) instead.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$TB_DIR/topologies.sh"

# The proving kernel's topologies when KERNEL is not given (what CI runs):
# one per P2P route (Documentation/testbed.rst, "Two kernels"): the bus
# address below a switch, the host bridge through the IOMMU (two-step DMA
# API, IOVA; also the KUnit suites), the host bridge with CPU physical
# addresses, and no route.  switch-iommu, switch-iommu-pt and acs-redirect
# map with the same code as switch and rootports-iommu: KERNEL=debug adds
# them.  Subtests that involve no PCI importer run in switch only on this
# kernel (igt-tests/placement.txt).
DEBUG_TOPOS=${DEBUG_TOPOS:-switch rootports-iommu rootports-direct rootports-noallow}
# The unpatched flavour: the proofs of Documentation/upstream.rst's table,
# each placed where it sees its bug (igt-tests/placement.txt).
UNPATCHED_TOPOS="rootports-iommu switch"
UNPATCHED_TESTS="p2pbuf_vfio@vfio-multi-range,p2pbuf_vfio@vfio-map-error-unwind,p2pbuf_vfio@vfio-unmap-frees,p2pbuf_exporter@route-at-attach,p2pbuf_importer@vgem-import-max-seg"
[ "${KERNEL:-}" = unpatched ] && [ -z "${TEST:-}" ] && TEST=$UNPATCHED_TESTS
TEST=${TEST:-}
RES=${P2PBUF_RESULTS_DIR:-$TOP_DIR/results}
JOBS=${P2PBUF_JOBS:-$(nproc)}
start=$(date +%s)

# The runs: "kernel:topology" pairs.  The results of a stock run are in
# RES/<topology>, of a debug run in RES/<topology>@debug.
runs=
case "${KERNEL:-}" in
"")	if [ -n "${TOPO:-}" ]; then
		for t in $TOPO; do runs="$runs stock:$t"; done
	else
		for t in $TOPOLOGIES; do runs="$runs stock:$t"; done
		for t in $DEBUG_TOPOS; do runs="$runs debug:$t"; done
	fi
	;;
stock|debug) for t in ${TOPO:-$TOPOLOGIES}; do runs="$runs $KERNEL:$t"; done ;;
unpatched) for t in ${TOPO:-$UNPATCHED_TOPOS}; do runs="$runs $KERNEL:$t"; done ;;
*) die "KERNEL must be stock, debug or unpatched (or unset for both tiers)" ;;
esac
kernels=$(for r in $runs; do echo "${r%%:*}"; done | sort -u | tr '\n' ' ')
for r in $runs; do
	topo_select "${r#*:}" || die "unknown topology '${r#*:}' (known: $TOPOLOGIES)"
done
"$TB_DIR/host-deps.sh" || exit 1
"$TB_DIR/rootfs.sh" >/dev/null || exit 1
case " $kernels " in *" debug "*) "$TB_DIR/kernel/build.sh" >/dev/null || exit 1 ;; esac
case " $kernels " in *" unpatched "*) "$TB_DIR/kernel/build-unpatched.sh" >/dev/null || exit 1 ;; esac

rm -rf "$RES"
mkdir -p "$RES"
if [ -z "$TEST" ]; then
	log "static checks"
	"$TB_DIR/static-checks.sh" "$RES/static" || exit 1
fi
# The last build installs the modules the guest loads.
KERNEL="$kernels" "$TB_DIR/build.sh" || exit 1
if [ -z "$TEST" ]; then
	# The kernel world's habits (Documentation/packaging.rst): module
	# metadata and make help (of the modules just built), kernel-doc and
	# the HTML documentation, the in-tree build in a copy of the proving
	# kernel's tree.
	for c in conventions/check.sh docs/htmldocs.sh intree/check-intree.sh; do
		d="$RES/static/$(dirname "$c")"
		"$TOP_DIR/tools/$c" "$d" >"$d.log" 2>&1 ||
			printf '%s\tfail\t%s\n' "$(dirname "$c")@run" \
				"tools/$c failed: $(tail -n 1 "$d.log")" >>"$RES/static/summary.tsv"
		cat "$d/summary.tsv" >>"$RES/static/summary.tsv" 2>/dev/null
	done
	# The upstream series applies with git am and is checkpatch-clean
	# (Documentation/upstream.rst); it needs the kernel chroot's tarball.
	if [ -f "$(kbuild_chroot_dir)/.p2pbuf-complete" ]; then
		if out=$("$TOP_DIR/tools/upstream/check-series.sh" 2>&1); then
			printf 'upstream@series\tpass\t%s\n' "$(ls "$TOP_DIR"/upstream/linux-*/0*.patch | wc -l) patches apply with git am, checkpatch clean"
		else
			printf 'upstream@series\tfail\t%s\n' "$(echo "$out" | tail -n 1)"
		fi >>"$RES/static/summary.tsv"
	else
		printf 'upstream@series\tskip\t%s\n' "no Linux source here: the proving kernel's chroot is not built (KERNEL=stock)" >>"$RES/static/summary.tsv"
	fi
fi
GUEST_CMD=tools/testbed/guest-check.sh
if [ "${P2PBUF_MODULES:-bed}" = dkms ]; then
	# The DKMS package's modules instead of the bed's own build.
	tools/packaging/check-dkms.sh "$RES/dkms" || exit 1
	mkdir -p "$RES/static"
	cat "$RES/dkms/summary.tsv" >>"$RES/static/summary.tsv"
	GUEST_CMD=tools/packaging/guest-dkms.sh
fi

column() { [ "${1%%:*}" = stock ] && echo "${1#*:}" || echo "${1#*:}@${1%%:*}"; }

# The longest runs first (the topology that hosts the placed subtests,
# then the proving kernel's), so the last guests to start are short.
host=$(awk '!/^#/ && NF >= 2 { n = split($2, e, ","); for (i = 1; i <= n; i++) { sub(/:.*/, "", e[i]); if (e[i] != "*") print e[i] } }' \
	"$TOP_DIR/igt-tests/placement.txt" | sort | uniq -c | sort -k1,1nr | awk 'NR == 1 { print $2 }')
ordered=$(for r in $runs; do
	w=1
	[ "${r%%:*}" != stock ] && w=3
	[ "${r#*:}" = "$host" ] && w=$((w + 1))
	echo "$w $r"
done | sort -s -k1,1nr | cut -d' ' -f2)

run_one() {
	local r=$1 col t0 rc n
	col=$(column "$r")
	t0=$(date +%s)
	mkdir -p "$RES/$col"
	# A guest that outlives this is killed (P2PBUF_GUEST_TIMEOUT seconds).
	local timeout=1200
	[ "${r%%:*}" != stock ] && timeout=3600
	KERNEL=${r%%:*} "$TB_DIR/run-guest.sh" -t "${r#*:}" -r "$RES/$col" \
		-T "${P2PBUF_GUEST_TIMEOUT:-$timeout}" -- \
		env P2PBUF_TEST="$TEST" P2PBUF_IGT_MULTIPLE="${P2PBUF_IGT_MULTIPLE:-0}" bash "$GUEST_CMD" \
		>"$RES/$col.host.log" 2>&1
	rc=$?
	n=$(wc -l <"$RES/$col/summary.tsv" 2>/dev/null || echo 0)
	echo "$(($(date +%s) - t0))" >"$RES/$col/wall-seconds"
	log "$col: guest exit $rc, $n results, $(($(date +%s) - t0)) s"
}

# Live progress: one line per running guest from the markers
# run-in-guest.sh prints (and igt_runner's [k/n] of the current binary),
# failures as they are reported.
progress() {
	local seen="$RES/.fails-seen" col out line
	: >"$seen"
	while sleep "${P2PBUF_PROGRESS_SECONDS:-20}"; do
		line=
		for r in $ordered; do
			col=$(column "$r")
			out="$RES/$col/output.txt"
			[ -f "$out" ] || continue
			[ -f "$RES/$col/wall-seconds" ] && continue
			line="$line  $col $(awk '
				/run-in-guest: progress / { split($3, a, "/"); base = a[1]; total = a[2]; cur = 0 }
				/^\[[0-9.]+\] \[ *[0-9]+\/[0-9]+\]/ { s = $2; gsub(/[\[\]]/, "", s); split(s, b, "/"); cur = b[1] }
				END { if (total) printf "%d/%d", base + cur, total; else printf "booting" }' "$out")"
			grep -h '^run-in-guest: FAIL ' "$out" 2>/dev/null | while read -r f; do
				grep -qxF "$col $f" "$seen" && continue
				echo "$col $f" >>"$seen"
				log "$col: ${f#run-in-guest: }"
			done
		done
		[ -n "$line" ] && log "$(($(date +%s) - start)) s:$line"
	done
}
progress &
progress_pid=$!

columns=
for r in $ordered; do
	columns="$columns $(column "$r")"
	while [ "$(jobs -rp | grep -vx "$progress_pid" | wc -l)" -ge "$JOBS" ]; do
		wait -n
	done
	run_one "$r" &
done
for p in $(jobs -rp); do
	[ "$p" = "$progress_pid" ] || wait "$p"
done
kill "$progress_pid" 2>/dev/null
wait 2>/dev/null

# The table's columns in a stable order: topologies as listed, stock first.
sorted=$(for t in $TOPOLOGIES; do
	for c in $columns; do [ "$c" = "$t" ] && echo "$c"; done
done; for k in debug unpatched; do
	for t in $TOPOLOGIES; do
		for c in $columns; do [ "$c" = "$t@$k" ] && echo "$c"; done
	done
done)
python3 "$TB_DIR/summarize.py" "$RES" $sorted | tee "$RES/summary.txt"
rc=${PIPESTATUS[0]}
log "accelerator ${P2PBUF_ACCEL:-tcg}, kernels: $kernels, $JOBS guests at a time, $(($(date +%s) - start)) s in all; results in $RES"
exit "$rc"
