#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Check compat/ against the libigt.so the tests link with: every function
# compat/ declares must be exported by it, every object too and with the
# size compat/ gives it, and libigt must look up the test's description
# under the name IGT_TEST_DESCRIPTION() defines.  Run from igt-tests/ (make
# abi-check).  LIBIGT=<path> checks another copy of the library.
set -eu

CC=${CC:-gcc}
LIBIGT=${LIBIGT:-$($CC -print-file-name=libigt.so)}
[ -f "$LIBIGT" ] || { echo "abi-check: no libigt.so ($LIBIGT)" >&2; exit 1; }
LIBIGT=$(readlink -f "$LIBIGT")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CFLAGS="-std=gnu11 -D_GNU_SOURCE -Icompat $(pkg-config --cflags libdrm)"

nm -D --defined-only -S "$LIBIGT" >"$TMP/nm"
bad=0
n=0

# Functions: as the compiler sees them (-aux-info lists every prototype
# with the file and line it comes from).
printf '#include "igt.h"\n#include "igt_kmod.h"\n#include "igt_debugfs.h"\n' >"$TMP/all.c"
$CC $CFLAGS -fsyntax-only -aux-info "$TMP/aux" "$TMP/all.c"
grep '^/\* compat/' "$TMP/aux" |
	sed -E 's|^/\* [^ ]* \*/ *||; s/^([^(]*[ *])?([A-Za-z_][A-Za-z0-9_]*) \(.*/\2/' |
	sort -u >"$TMP/funcs"
while read -r f; do
	n=$((n + 1))
	if ! awk -v s="$f" '$NF == s && ($(NF-1) == "T" || $(NF-1) == "W") { ok = 1 } END { exit !ok }' "$TMP/nm"; then
		echo "abi-check: function $f is not exported by $LIBIGT" >&2
		bad=1
	fi
done <"$TMP/funcs"

# Objects: "extern TYPE name;" or "extern TYPE (*name)(...);" lines.
grep -hE '^extern ' compat/*.h | grep -v __igt_test_description |
	sed -E 's/.*\(\*([A-Za-z_][A-Za-z0-9_]*)\).*/\1/; s/.*[ *]([A-Za-z_][A-Za-z0-9_]*);.*/\1/' |
	sort -u >"$TMP/objs"
{
	printf '#include <stdio.h>\n#include "igt.h"\n#include "igt_kmod.h"\nint main(void)\n{\n'
	while read -r o; do
		printf '\tprintf("%%s %%zu\\n", "%s", sizeof(%s));\n' "$o" "$o"
	done <"$TMP/objs"
	printf '\treturn 0;\n}\n'
} >"$TMP/sizes.c"
$CC $CFLAGS -o "$TMP/sizes" "$TMP/sizes.c"
"$TMP/sizes" >"$TMP/sizes.txt"
while read -r o size; do
	n=$((n + 1))
	lsize=$(awk -v s="$o" '$NF == s && ($(NF-1) ~ /^[BDGRSV]$/) { print $2 }' "$TMP/nm")
	if [ -z "$lsize" ]; then
		echo "abi-check: object $o is not exported by $LIBIGT" >&2
		bad=1
	elif [ $((0x$lsize)) -ne "$size" ]; then
		echo "abi-check: object $o is $((0x$lsize)) bytes in libigt, $size in compat/" >&2
		bad=1
	fi
done <"$TMP/sizes.txt"

# The description: defined by the test, looked up (weakly) by libigt.
n=$((n + 1))
if ! nm -D "$LIBIGT" | grep -qE ' [wU] __igt_test_description$'; then
	echo "abi-check: libigt does not look up __igt_test_description" >&2
	bad=1
fi

[ "$bad" = 0 ] || exit 1
echo "abi-check: $n symbols of compat/ match $LIBIGT"
