#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In the test bed's guest: run p2pbuf's IGT tests, and upstream IGT's
# vgem_basic and dmabuf as the baseline, under igt_runner; then write
# $P2PBUF_RESULTS/summary.tsv, one line per subtest and dynamic subtest:
#
#   <binary>@<subtest>[@<dynamic>] TAB pass|fail|skip TAB <reason>
#
# (the skip message, the first failed assertion, or what igt_runner saw:
# crash, timeout, incomplete, dmesg-warn, ... are all failures).
#
#   bash igt-tests/run-in-guest.sh      (from the repository copy, as root)
#
# Environment:
#   P2PBUF_RESULTS     writable results directory (required); igt_runner's
#                      results (igt/<binary>/, one run of the runner per
#                      binary, IGT's own results.json in each; its output in
#                      igt/runner.txt) are written in the guest's tmpfs and
#                      saved as one archive, $P2PBUF_RESULTS/igt.tar, which
#                      run-guest.sh unpacks on the host
#   P2PBUF_TEST        run only the subtests matching these shell globs
#                      (comma-separated); a glob with an "@" is matched
#                      against <binary>@<subtest>, e.g. "p2pbuf_*@probe-*"
#   P2PBUF_IGT_TESTS   the test binaries to run (comma- or space-separated
#                      names, run in that order): ours from
#                      igt-tests/build/, others from IGT's test directory.
#                      Default: p2pbuf_testbed, the rest of ours, then
#                      vgem_basic and dmabuf.
#   P2PBUF_IGT_TIMEOUT per-subtest timeout in seconds (default 300)
#   P2PBUF_DMESG_ALLOW extra kernel messages (an extended regex) that do not
#                      fail a subtest, on top of igt-tests/dmesg-allow.txt
#   P2PBUF_TOPO, P2PBUF_EXPECT, P2PBUF_DATA, P2PBUF_IOMMU
#                      the topology's description, passed on to the tests;
#                      subtests placed in another topology by
#                      igt-tests/placement.txt are left out
#   P2PBUF_KERNEL      "debug" on the proving kernel, "unpatched" on its
#                      flavour without the series: debug-checks.sh runs
#                      after the runner (DMA-API error count) and at the
#                      end (module unload, one kmemleak scan)
#
# Exit status 0 when the summary was written (whatever the tests did: the
# host judges summary.tsv), non-zero when igt_runner could not run at all.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$HERE/build
IGT_DIR=${IGT_TESTS_DIR:-/usr/libexec/igt-gpu-tools}
BASELINE="vgem_basic dmabuf"
TIMEOUT=${P2PBUF_IGT_TIMEOUT:-300}

say() { printf 'run-in-guest: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[ -n "${P2PBUF_RESULTS:-}" ] || die "P2PBUF_RESULTS is not set"
SUMMARY=$P2PBUF_RESULTS/summary.tsv
command -v igt_runner >/dev/null || die "igt_runner is not installed"
[ -x "$BUILD/tools/igt_summary" ] ||
	die "$BUILD/tools/igt_summary is missing: build igt-tests first (tools/testbed/build.sh)"

WORK=$(mktemp -d /tmp/p2pbuf-igt.XXXXXX) || die "cannot create a work directory"
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/tests		# igt_runner's test root
LIST=$WORK/test-list.txt	# what igt_runner runs, igt@<binary>@<subtest>
PRE=$WORK/pre.tsv		# summary lines made before the runner ran
# igt_runner's results stay off the 9p share until the end: on the
# proving kernel every 9p request is slow enough that the runner's result
# generation over it took 5-9 minutes per guest (30 s in tmpfs).
OUT=$WORK/igt
mkdir -p "$ROOT"
: >"$LIST"
: >"$PRE"
rm -f "$SUMMARY"

# Work from copies: the rootfs is shared with the host, where a rebuild
# (tools/testbed/build.sh) replaces igt-tests/build while a guest runs.
cp -r "$BUILD" "$WORK/build" && cp "$HERE/dmesg-allow.txt" "$HERE/placement.txt" "$WORK/" ||
	die "cannot copy $BUILD"
BUILD=$WORK/build
SUMMARIZE=$BUILD/tools/igt_summary

# The results as one archive on the share, in 60 KiB records (below the
# proving kernel's 64 KiB 9p messages), after each runner: a guest that
# dies later keeps them.
save_igt() {
	tar -C "$WORK" -b 120 -cf "$P2PBUF_RESULTS/igt.tar.part" igt &&
		mv "$P2PBUF_RESULTS/igt.tar.part" "$P2PBUF_RESULTS/igt.tar" ||
		say "cannot save igt_runner's results to $P2PBUF_RESULTS/igt.tar"
}

# Reasons go into a TAB-separated file: no tabs or line breaks in them.
pre_fail() { printf '%s\tfail\t%s\n' "$1" "$(printf '%s' "$2" | tr '\t\n' '  ')" >>"$PRE"; }

# p2pbuf_vfio hands the exporter device to vfio-pci and back (without an
# IOMMU in VFIO's noiommu mode, which the bed's boots start with off);
# should it have died without giving it back, give it back and turn the
# mode off here (the summary still shows its failure).
give_back_vfio() {
	local dev noiommu=/sys/module/vfio/parameters/enable_unsafe_noiommu_mode

	for dev in /sys/bus/pci/devices/*; do
		[ "$(readlink "$dev/driver" 2>/dev/null)" ] || continue
		[ "$(basename "$(readlink "$dev/driver")")" = vfio-pci ] || continue
		say "$(basename "$dev") was left bound to vfio-pci: giving it back"
		echo "$(basename "$dev")" >"$dev/driver/unbind"
		echo >"$dev/driver_override"
		echo "$(basename "$dev")" >/sys/bus/pci/drivers_probe 2>/dev/null
	done
	if [ "$(cat "$noiommu" 2>/dev/null)" = Y ]; then
		say "VFIO's noiommu mode was left on: turning it off"
		echo N >"$noiommu"
	fi
}

# ---- which binaries ----------------------------------------------------------
set -f				# the lists below hold globs
if [ -n "${P2PBUF_IGT_TESTS:-}" ]; then
	names=$(printf '%s' "$P2PBUF_IGT_TESTS" | tr ',' ' ')
else
	# The bed's own check first: its probe needs the devices free.
	names=$(find "$BUILD" -maxdepth 1 -type f -perm -u+x -printf '%f\n' |
		sort | awk '$0 == "p2pbuf_testbed" { print; next } { rest = rest $0 "\n" } END { printf "%s", rest }')
	names="$names $BASELINE"
fi
# No process per binary, here and below: on the proving kernel under TCG
# a fork and exec costs about a second (Documentation/testbed.rst,
# "Timings").
binaries=
links=()
for b in $names; do
	if [ -x "$BUILD/$b" ] && [ -f "$BUILD/$b" ]; then
		links+=("$BUILD/$b")	# the copy in $WORK
	elif [ -x "$IGT_DIR/$b" ]; then
		links+=("$IGT_DIR/$b")
	else
		pre_fail "$b" "no such IGT test binary (not in $BUILD or $IGT_DIR)"
		continue
	fi
	binaries="$binaries $b"
	echo "$b" >>"$ROOT/test-list.txt"	# igt_runner wants the root's list
done
[ ${#links[@]} -eq 0 ] || ln -sf "${links[@]}" "$ROOT/" || die "cannot link the test binaries into $ROOT"

# ---- which subtests ------------------------------------------------------------
IFS=, read -r -a globs <<<"${P2PBUF_TEST:-}"

selected() {		# selected BINARY SUBTEST
	local g

	[ ${#globs[@]} -eq 0 ] && return 0
	for g in "${globs[@]}"; do
		g=${g## }
		g=${g%% }
		[ -z "$g" ] && continue
		if [[ $g == *@* ]]; then
			# shellcheck disable=SC2053 # $g is a glob
			[[ "$1@$2" == $g ]] && return 0
		else
			# shellcheck disable=SC2053
			[[ "$2" == $g ]] && return 0
		fi
	done
	return 1
}

# placement.txt is read once: bash's read costs two system calls a line; on
# the proving kernel under TCG reading it once per subtest took about a
# minute per guest.
place_globs=()
place_where=()
while read -r glob where _; do
	case "$glob" in '' | '#'*) continue ;; esac
	place_globs+=("$glob")
	place_where+=("$where")
done <"$WORK/placement.txt"

# Subtests placed in another topology (placement.txt) are left out here.
# The first line whose glob matches decides: its second field lists where
# the subtests run, "topology[:kernel]" entries separated by commas ("*"
# is every topology; without ":kernel", on every kernel).
placed_elsewhere() {	# placed_elsewhere BINARY SUBTEST
	local i e

	for i in "${!place_globs[@]}"; do
		# shellcheck disable=SC2053 # a glob
		[[ "$1@$2" == ${place_globs[i]} ]] || continue
		for e in ${place_where[i]//,/ }; do	# no globbing: set -f
			if [[ $e == *:* ]] && [ "${e#*:}" != "${P2PBUF_KERNEL:-stock}" ]; then
				continue
			fi
			e=${e%%:*}
			if [ "$e" = '*' ] || [ "$e" = "${P2PBUF_TOPO:-}" ]; then
				return 1
			fi
		done
		return 0
	done
	return 1
}

for b in $binaries; do
	# The build listed them (igt-tests/Makefile); otherwise ask the binary.
	if [ -f "$BUILD/subtests/$b" ]; then
		IFS= read -r -d '' subtests <"$BUILD/subtests/$b"
	elif ! subtests=$("$ROOT/$b" --list-subtests 2>"$WORK/list.err"); then
		pre_fail "$b" "--list-subtests failed: $(head -n 3 "$WORK/list.err")"
		continue
	fi
	if [ -z "$subtests" ]; then
		# A test without subtests: its name stands for it.
		selected "$b" "$b" && ! placed_elsewhere "$b" "$b" && echo "igt@$b" >>"$LIST"
		continue
	fi
	for s in $subtests; do
		selected "$b" "$s" || continue
		placed_elsewhere "$b" "$s" && continue
		echo "igt@$b@$s" >>"$LIST"
	done
done
set +f

if [ ! -s "$LIST" ]; then
	if [ -n "${P2PBUF_TEST:-}" ]; then
		pre_fail "${P2PBUF_TEST}" "no subtest of [${binaries# }] matches P2PBUF_TEST=${P2PBUF_TEST}"
	else
		pre_fail "igt-tests" "no IGT test to run"
	fi
	cp "$PRE" "$SUMMARY"
	cat "$SUMMARY"
	exit 0
fi
say "running $(wc -l <"$LIST") subtests of:${binaries} (chosen in ${SECONDS} s)"

# ---- run -------------------------------------------------------------------------
envs=()
for v in P2PBUF_TOPO P2PBUF_EXPECT P2PBUF_DATA P2PBUF_IOMMU P2PBUF_RESULTS P2PBUF_KERNEL; do
	[ -n "${!v:-}" ] && envs+=(-e "$v")
done
# libigt's first look at debugfs' tracing directory makes the kernel print a
# warning-level notice about the automount, which would turn whichever
# subtest comes first into dmesg-warn: get it printed before the runner
# starts reading the kernel log.
ls /sys/kernel/debug/tracing/ >/dev/null 2>&1

# Kernel messages that do not fail a subtest in this topology: see
# igt-tests/dmesg-allow.txt.
allow_applies() {	# allow_applies CONDITION
	local t IFS=,

	case "$1" in
	always) return 0 ;;
	nodata) [ "${P2PBUF_DATA:-ok}" != ok ] ;;
	expect=*) [ "${P2PBUF_EXPECT:-}" = "${1#expect=}" ] ;;
	kernel=*) [ "${P2PBUF_KERNEL:-stock}" = "${1#kernel=}" ] ;;
	topo=*)
		for t in ${1#topo=}; do
			[ "${P2PBUF_TOPO:-}" = "$t" ] && return 0
		done
		return 1
		;;
	*) say "dmesg-allow.txt: unknown condition '$1'"; return 1 ;;
	esac
}
allow=()
while IFS= read -r line; do
	case "$line" in '' | '#'*) continue ;; esac
	allow_applies "${line%%: *}" && allow+=(-a "${line#*: }")
done <"$WORK/dmesg-allow.txt"
[ -n "${P2PBUF_DMESG_ALLOW:-}" ] && allow+=(-a "$P2PBUF_DMESG_ALLOW")

# On the proving kernel: what the kernel's checkers found that does not
# show in the kernel log by itself (debug-checks.sh).
DEBUG_CHECKS=
case "${P2PBUF_KERNEL:-stock}" in debug | unpatched) DEBUG_CHECKS="$HERE/debug-checks.sh" ;; esac
[ -n "$DEBUG_CHECKS" ] && bash "$DEBUG_CHECKS" start "$WORK"

# One igt_runner per binary (failures are reported as each one ends).  Progress lines
# ("run-in-guest: progress DONE/TOTAL ...") are read by the host.
# P2PBUF_IGT_MULTIPLE=1 runs each binary's subtests in one execution
# (igt_runner's multiple mode): starting a test binary costs seconds on the
# proving kernel under TCG.  Not the default: IGT 2.5's runner then
# misattributes a binary's stderr to its last subtest at times (a "warn"
# whose err text is a piece of earlier subtests' output), a failure that
# is none.
MULTIPLE=
[ "${P2PBUF_IGT_MULTIPLE:-0}" = 1 ] && MULTIPLE=--multiple-mode
rm -rf "$OUT"
mkdir -p "$OUT"
: >"$WORK/summary.tsv"
total=$(wc -l <"$LIST")
done_n=0
rc=0
# On the proving kernel one runner takes every binary: starting a runner
# and generating its results cost about 45 s there under TCG, nine times
# over (the checks that need a binary of their own run at the end).
groups=$binaries
[ -n "$DEBUG_CHECKS" ] && groups=all
for b in $groups; do
	if [ "$b" = all ]; then
		cp "$LIST" "$WORK/list-$b"
	else
		grep -E "^igt@$b(@|\$)" "$LIST" >"$WORK/list-$b" || continue
	fi
	n=$(wc -l <"$WORK/list-$b")
	say "progress $done_n/$total: $b, $n subtests"
	brc=0
	igt_runner $MULTIPLE --test-list "$WORK/list-$b" --per-test-timeout "$TIMEOUT" \
		--name "p2pbuf${P2PBUF_TOPO:+-$P2PBUF_TOPO}-$b" "${envs[@]}" \
		"$ROOT" "$OUT/$b" 2>&1 | tee -a "$WORK/runner.txt"
	brc=${PIPESTATUS[0]}
	[ "$brc" = 0 ] || { say "igt_runner exited $brc for $b"; rc=$brc; }
	give_back_vfio
	# An interrupted run leaves the per-test results but no results.json.
	if [ ! -s "$OUT/$b/results.json" ] && [ -d "$OUT/$b/0" ]; then
		say "no results.json for $b: making it with igt_results"
		igt_results "$OUT/$b" >/dev/null 2>&1
	fi
	if [ ! -s "$OUT/$b/results.json" ]; then
		while read -r t; do
			pre_fail "${t#igt@}" "igt_runner produced no results (exit $brc; see igt/runner.txt)"
		done <"$WORK/list-$b"
	elif ! "$SUMMARIZE" "${allow[@]}" "$OUT/$b/results.json" "$WORK/list-$b" \
			>"$WORK/summary-$b.tsv"; then
		while read -r t; do
			pre_fail "${t#igt@}" "igt_summary cannot read igt/$b/results.json"
		done <"$WORK/list-$b"
	else
		cat "$WORK/summary-$b.tsv" >>"$WORK/summary.tsv"
		# Failures as they happen, for the host's progress display.
		awk -F '\t' '$2 == "fail" { printf "run-in-guest: FAIL %s: %s\n", $1, $3 }' \
			"$WORK/summary-$b.tsv" >&2
	fi
	save_igt
	if [ -n "$DEBUG_CHECKS" ] && ! bash "$DEBUG_CHECKS" after "$WORK" bed >>"$PRE"; then
		pre_fail bed@debug-checks "igt-tests/debug-checks.sh after failed (see output.txt)"
	fi
	done_n=$((done_n + n))
done
# The checks' own failure must not pass for clean: their rows would be
# missing.
if [ -n "$DEBUG_CHECKS" ] && ! bash "$DEBUG_CHECKS" end "$WORK" $binaries >>"$PRE"; then
	pre_fail bed@debug-checks "igt-tests/debug-checks.sh end failed (see output.txt)"
fi
say "progress $done_n/$total: done"
mkdir -p "$OUT"
cp "$WORK/runner.txt" "$LIST" "$OUT/" 2>/dev/null
save_igt

# ---- summary -------------------------------------------------------------------
cat "$PRE" "$WORK/summary.tsv" >"$SUMMARY"
cat "$SUMMARY"
say "$(cut -f2 "$SUMMARY" | sort | uniq -c | awk '{ printf("%s%d %s", (NR > 1 ? ", " : ""), $1, $2) }')"
exit 0
