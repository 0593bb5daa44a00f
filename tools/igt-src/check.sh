#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# igt-tests/ built as IGT builds its own tests: a subdirectory of an IGT
# source tree, configured by IGT's meson, compiled with IGT's headers and
# flags and linked with that tree's libigt (igt-tests/meson.build).  Not in
# CI, which has no IGT source: run by hand against an IGT checkout.
#   igt-src@meson-build   every test and the summary tool build, and the
#                         compiler says nothing about p2pbuf's files
# Writes RESULTS_DIR/summary.tsv (test, verdict, reason) like
# tools/testbed/static-checks.sh, and build.log next to it.
#
#   check.sh RESULTS_DIR CHROOT IGT_DIR
#
# CHROOT is a Debian root with IGT's build dependencies (meson, ninja-build,
# libdrm-dev, libpciaccess-dev, libkmod-dev, libproc2-dev, libdw-dev,
# libpixman-1-dev, libcairo2-dev, libudev-dev, libglib2.0-dev, flex, bison;
# libegl-dev and libgles-dev for p2pbuf_mesa); IGT_DIR is the IGT tree in
# it (a path inside CHROOT).  The tree is copied to IGT_DIR.p2pbuf first:
# the original is not written.
set -euo pipefail
. "$(dirname "$0")/../testbed/lib.sh"

[ $# -eq 3 ] || die "usage: check.sh RESULTS_DIR CHROOT IGT_DIR"
RES=$1
CH=$2
IGT=$3
mkdir -p "$RES"
RES=$(cd "$RES" && pwd)
: >"$RES/summary.tsv"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RES/summary.tsv"; }
[ -f "$CH$IGT/meson.build" ] || die "no IGT tree at $CH$IGT"

W=$IGT.p2pbuf
rm -rf "$CH$W"
cp -a "$CH$IGT" "$CH$W"
rm -rf "$CH$W/build"
mkdir -p "$CH$W/tests/p2pbuf"
tar -C "$TOP_DIR" --exclude=.git --exclude=results --exclude='igt-tests/build' -cf - . |
	tar -C "$CH$W/tests/p2pbuf" -xf -
echo "subdir('p2pbuf/igt-tests')" >>"$CH$W/tests/meson.build"

# Only what libigt and our tests need; IGT's own tests are configured
# (their meson.build defines test_deps) but not compiled.
opts="-Doverlay=disabled -Dchamelium=disabled -Dvalgrind=disabled -Dman=disabled"
opts="$opts -Ddocs=disabled -Dtestplan=disabled -Dsphinx=disabled -Dlibunwind=disabled"
opts="$opts -Drunner=disabled -Doping=disabled -Dtests=enabled -Dlibdrm_drivers="
targets="p2pbuf_bench p2pbuf_exporter p2pbuf_importer p2pbuf_migrate p2pbuf_testbed
	p2pbuf_vfio igt_summary"
LOG=$RES/build.log
# shellcheck disable=SC2086 # word lists
if ! in_rootfs "$CH" sh -c "cd $W && meson setup build $opts" >"$RES/meson-setup.log" 2>&1; then
	record igt-src@meson-build fail "meson setup failed: $(grep -m 1 -E 'ERROR' "$RES/meson-setup.log" || tail -n 1 "$RES/meson-setup.log")"
	exit 0
fi
grep -q "p2pbuf_mesa" "$CH$W/build/build.ninja" && targets="$targets p2pbuf_mesa"
t=
for x in $targets; do t="$t tests/p2pbuf/igt-tests/$x"; done
# shellcheck disable=SC2086
if in_rootfs "$CH" ninja -k 0 -C "$W/build" $t >"$LOG" 2>&1; then
	w=$(grep -E '(warning|error):' "$LOG" | grep 'p2pbuf/' | sort -u || true)
	if [ -n "$w" ]; then
		record igt-src@meson-build fail "$(echo "$w" | wc -l) warnings, first: $(echo "$w" | head -n 1)"
	else
		record igt-src@meson-build pass "$(echo "$targets" | wc -w) targets, IGT $(sed -n "s/^[[:space:]]*version : '\([^']*\)'.*/\1/p" "$CH$W/meson.build" | head -n 1)"
	fi
else
	record igt-src@meson-build fail "build failed: $(grep -m 1 -E 'error' "$LOG" || tail -n 1 "$LOG")"
fi
cat "$RES/summary.tsv"
