#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The habits of a kernel project that no compiler checks:
#   conventions@make-help   "make help" names every target of the Makefile
#   conventions@version     debian/changelog's version is VERSION's
#   conventions@modinfo     every module the bed built (in the rootfs copy,
#                           tools/testbed/build.sh) carries version (=
#                           VERSION), description, author and license
# Writes RESULTS_DIR/summary.tsv (test, verdict, reason) like
# tools/testbed/static-checks.sh.  Usage: check.sh RESULTS_DIR
set -euo pipefail
. "$(dirname "$0")/../testbed/lib.sh"

RES=$1
mkdir -p "$RES"
: >"$RES/summary.tsv"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RES/summary.tsv"; }
VERSION=$(cat "$TOP_DIR/VERSION")

# make-help: the .PHONY targets against the first words of help's lines.
targets=$(sed -n 's/^\.PHONY:[[:space:]]*//p' "$TOP_DIR/Makefile" | tr ' ' '\n' | sort -u)
listed=$(make -s -C "$TOP_DIR" help | sed -n 's/^  \([a-z][a-z, ]*[a-z]\)  .*/\1/p' | tr ', ' '\n\n')
missing=
for t in $targets; do
	grep -qx "$t" <<<"$listed" || missing="$missing $t"
done
if [ -n "$missing" ]; then
	record conventions@make-help fail "not in make help:$missing"
else
	record conventions@make-help pass "$(echo "$targets" | wc -w) targets"
fi

deb=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$TOP_DIR/debian/changelog")
if [ "$deb" = "$VERSION" ]; then
	record conventions@version pass "$VERSION"
else
	record conventions@version fail "debian/changelog has $deb, VERSION $VERSION"
fi

# modinfo runs in the rootfs: the host need not have kmod.
ROOT=$(rootfs_dir)
info=$(in_rootfs "$ROOT" sh -c 'for ko in $(find /usr/src/p2pbuf -name "*.ko" | sort); do
	printf "%s|%s|%s|%s|%s\n" "$(basename "$ko" .ko)" "$(modinfo -F version "$ko")" \
		"$(modinfo -F description "$ko" | head -c 1)" "$(modinfo -F author "$ko" | head -c 1)" \
		"$(modinfo -F license "$ko" | head -c 1)"
done' 2>&1) || true
if [ -z "$info" ]; then
	record conventions@modinfo fail "no modules in $ROOT/usr/src/p2pbuf: run tools/testbed/build.sh"
else
	bad=
	while IFS='|' read -r m v d a l; do
		[ "$v" = "$VERSION" ] || bad="$bad $m:version"
		[ -n "$d" ] || bad="$bad $m:description"
		[ -n "$a" ] || bad="$bad $m:author"
		[ -n "$l" ] || bad="$bad $m:license"
	done <<<"$info"
	if [ -n "$bad" ]; then
		record conventions@modinfo fail "missing or wrong:$bad"
	else
		record conventions@modinfo pass "$(echo "$info" | wc -l) modules at $VERSION"
	fi
fi
cat "$RES/summary.tsv"
