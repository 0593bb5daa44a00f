#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check the upstream patch series (upstream/linux-$KSERIES/): it applies
# with "git am" to a fresh git copy of the Linux source tarball the proving
# kernel is built from, every patch is checkpatch.pl --strict clean (the
# tarball's own checkpatch), and the cover letter carries no diff.
#
#   tools/upstream/check-series.sh [tarball]
#
# The tarball defaults to $P2PBUF_LINUX_TARBALL, else to Debian's
# linux-source-$KSERIES in the kernel build chroot of $P2PBUF_CACHE
# (tools/testbed/kernel/chroot.sh makes it).  Only the files the series
# touches and checkpatch's own files are extracted (seconds, not the
# minute a whole tree takes); FULL=1 extracts the whole tree.  Exit 0 when
# every check passes; the failures are printed.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tools/testbed/lib.sh"

SERIES="$TOP/upstream/linux-$KSERIES"
TARBALL=${1:-${P2PBUF_LINUX_TARBALL:-}}
if [ -z "$TARBALL" ]; then
	TARBALL=$(ls "$(kbuild_chroot_dir)"/usr/src/linux-source-"$KSERIES".tar.* \
		2>/dev/null | head -n 1 || true)
fi
[ -f "$TARBALL" ] || die "check-series: no linux-source-$KSERIES tarball (give its path)"
patches=("$SERIES"/0*.patch)
[ -f "${patches[0]}" ] || die "check-series: no patches in $SERIES"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail=0
bad() { printf 'check-series: FAIL: %s\n' "$*" >&2; fail=1; }

# The cover letter is skipped by the kernel build (it applies 0*.patch with
# patch(1), which refuses a file without a diff), and by git am below.
for cl in "$SERIES"/*cover-letter*.patch; do
	[ -f "$cl" ] || continue
	case $(basename "$cl") in 0*) bad "$(basename "$cl"): a cover letter must not match 0*.patch";; esac
	grep -q '^diff --git ' "$cl" && bad "$(basename "$cl") contains a diff"
done

tree="$WORK/linux"
mkdir -p "$tree"
if [ "${FULL:-0}" = 1 ]; then
	tar -xf "$TARBALL" -C "$tree" --strip-components=1
else
	files=$(sed -n 's|^--- a/||p; s|^+++ b/||p' "${patches[@]}" | sort -u)
	# checkpatch wants the top level of a tree around it.  "*" is the
	# tarball's top directory only.
	pats=()
	for f in $files scripts/checkpatch.pl scripts/spelling.txt \
		scripts/const_structs.checkpatch COPYING CREDITS Kbuild \
		MAINTAINERS Makefile README; do
		pats+=("*/$f")
	done
	tar -xf "$TARBALL" -C "$tree" --strip-components=1 --wildcards \
		--no-wildcards-match-slash "${pats[@]}"
	for d in Documentation arch drivers fs include init ipc kernel lib; do
		mkdir -p "$tree/$d"
	done
fi
git -C "$tree" init -q
# Debian's tarball has a .gitignore that ignores the whole top level.
git -C "$tree" add -f -A .
git -C "$tree" -c user.name=check-series -c user.email=check-series@localhost \
	commit -q -m "Linux $KSERIES (tarball)"
if ! git -C "$tree" -c user.name=check-series -c user.email=check-series@localhost \
		am -q --whitespace=error "${patches[@]}" >"$WORK/am.log" 2>&1; then
	bad "git am: $(head -n 5 "$WORK/am.log" | tr '\n' ' ')"
else
	n=$(git -C "$tree" rev-list --count HEAD)
	[ "$n" = $((${#patches[@]} + 1)) ] ||
		bad "git am made $((n - 1)) commits of ${#patches[@]} patches"
fi

# The base has no history: checkpatch cannot look up the Fixes: commit id
# (its title was checked against upstream when the tag was written).
for p in "${patches[@]}"; do
	if ! (cd "$tree" && ./scripts/checkpatch.pl --strict --quiet \
			--ignore UNKNOWN_COMMIT_ID "$p") >"$WORK/cp.log" 2>&1; then
		bad "checkpatch --strict $(basename "$p"):"
		sed 's/^/    /' "$WORK/cp.log" >&2
	fi
	grep -q '^Signed-off-by: ' "$p" || bad "$(basename "$p"): no Signed-off-by"
done

[ "$fail" = 0 ] && log "upstream series: ${#patches[@]} patches apply with git am and pass checkpatch --strict"
exit "$fail"
