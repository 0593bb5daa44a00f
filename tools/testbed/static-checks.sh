#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks of the kernel code, as a reviewer runs them first:
#   static@build-w1     a W=1 build with no warning
#   static@sparse       a sparse build (C=2) with no warning
#   static@checkpatch   checkpatch.pl --strict (Linux 7.3's) on every kernel
#                       C file and header, clean
# Writes RESULTS/summary.tsv (test, verdict, reason).  Usage: RESULTS_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RES=$1
mkdir -p "$RES"
: >"$RES/summary.tsv"
ROOT=$("$TB_DIR/rootfs.sh")
LOG="$CACHE_DIR/build-modules.log"

# The verdicts depend on the kernel sources, this script and the rootfs's
# tools only: a run whose inputs a passing run already checked reuses it.
key=$( (cd "$TOP_DIR" && git ls-files -co --exclude-standard -z -- Kbuild Kconfig \
	Makefile exporter importer helpers include tools/testbed/probe 2>/dev/null |
	xargs -0 sha256sum; cat "$0"; echo "$ROOT") | sha256sum | cut -c1-16)
CACHED="$CACHE_DIR/static-$key"
if [ -f "$CACHED/summary.tsv" ]; then
	cp -r "$CACHED/." "$RES/"
	log "static checks: unchanged kernel sources, verdicts of the last run"
	exit 0
fi

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RES/summary.tsv"; }

# A build: pass if it succeeds and the compiler/sparse says nothing.
build_check() {
	local name=$1
	shift
	if "$TB_DIR/build.sh" "$@" >"$RES/$name.log" 2>&1; then
		local w
		w=$(grep -E '(warning|error):|specified, but' "$LOG" | sort -u || true)
		cp "$LOG" "$RES/$name-kbuild.log"
		if [ -n "$w" ]; then
			record "static@$name" fail "$(echo "$w" | wc -l) warnings, first: $(echo "$w" | head -n 1)"
		else
			record "static@$name" pass ""
		fi
	else
		record "static@$name" fail "build failed, see $RES/$name.log"
	fi
}

build_check build-w1 W=1
build_check sparse C=2 CHECK=/usr/local/bin/sparse-sid

# checkpatch on every kernel source file (not on userspace: tests, demo,
# the benchmark's guest tool).
mapfile -t files < <(cd "$TOP_DIR" && git ls-files '*.c' '*.h' 2>/dev/null |
	grep -v -E '^(igt-tests|tools/demo|tools/bench)/' || find exporter importer helpers include tools \
	-name '*.[ch]' 2>/dev/null | grep -v -E '^(igt-tests|tools/demo|tools/bench)/')
if [ ${#files[@]} -eq 0 ]; then
	record static@checkpatch skip "no kernel C files yet"
else
	out=$(in_rootfs "$ROOT" sh -c 'cd /usr/src/p2pbuf && perl /usr/src/linux-scripts/scripts/checkpatch.pl --strict --no-tree --terse --show-types -f "$@"' \
		checkpatch "${files[@]}" 2>&1 | grep -E '(ERROR|WARNING|CHECK):' || true)
	echo "$out" >"$RES/checkpatch.log"
	if [ -n "$out" ]; then
		record static@checkpatch fail "$(echo "$out" | wc -l) findings, first: $(echo "$out" | head -n 1)"
	else
		record static@checkpatch pass "${#files[@]} files"
	fi
fi

# Keep the verdicts for the next run only when they all passed.
if ! grep -qv $'\tpass\t' "$RES/summary.tsv"; then
	rm -rf "$CACHE_DIR"/static-*
	mkdir -p "$CACHED"
	cp -r "$RES/." "$CACHED/"
fi
