#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The documentation as the kernel renders it, in the guest rootfs (Debian's
# python3-sphinx, Linux 7.3's kernel-doc and its Sphinx extension):
#   docs@kernel-doc   scripts/kernel-doc -none -Wall over every kernel
#                     source file and header: no warning
#   docs@htmldocs     sphinx-build of Documentation/ (conf.py, index.rst)
#                     to HTML, kernel-doc directives included: no warning
# Writes RESULTS_DIR/summary.tsv (test, verdict, reason) like
# tools/testbed/static-checks.sh; the HTML is RESULTS_DIR/html/index.html.
#
#   htmldocs.sh RESULTS_DIR
#
# The kernel's tools are the rootfs's /usr/src/linux-scripts/ (extracted
# there by rootfs.sh); when that lacks them, they are extracted once from
# $P2PBUF_LINUX_TARBALL (default: the proving kernel chroot's
# linux-source tarball) into the rootfs's /usr/src/linux-doctools/.
set -euo pipefail
. "$(dirname "$0")/../testbed/lib.sh"

RES=$1
mkdir -p "$RES"
RES=$(cd "$RES" && pwd)
: >"$RES/summary.tsv"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RES/summary.tsv"; }
both() { record docs@kernel-doc "$1" "$2"; record docs@htmldocs "$1" "$2"; }

ROOT=$("$TB_DIR/rootfs.sh")
if ! in_rootfs "$ROOT" sh -c 'command -v sphinx-build' >/dev/null; then
	both fail "the rootfs lacks python3-sphinx (tools/testbed/rootfs-packages.txt)"
	exit 0
fi

# The kernel-doc tools of Linux $KSERIES.
KSRC=/usr/src/linux-scripts
if [ ! -f "$ROOT$KSRC/Documentation/sphinx/kerneldoc.py" ]; then
	KSRC=/usr/src/linux-doctools
	if [ ! -f "$ROOT$KSRC/.complete" ]; then
		tarball=${P2PBUF_LINUX_TARBALL:-$(ls "$(kbuild_chroot_dir)"/usr/src/linux-source-"$KSERIES".tar.* 2>/dev/null | head -n 1)}
		if [ ! -f "$tarball" ]; then
			both fail "no kernel-doc tools: neither $KSRC in the rootfs nor a linux-source tarball"
			exit 0
		fi
		rm -rf "$ROOT$KSRC"
		mkdir -p "$ROOT$KSRC"
		tar -xf "$tarball" -C "$ROOT$KSRC" --strip-components=1 --wildcards \
			'*/Documentation/sphinx/*' '*/tools/docs/*' '*/tools/lib/python/*' \
			'*/scripts/kernel-doc'
		touch "$ROOT$KSRC/.complete"
	fi
fi

# A copy of the work tree of our own (the bed's /usr/src/p2pbuf belongs to
# build.sh, which may replace it at any time).
DST=/usr/src/p2pbuf-docs
rm -rf "$ROOT$DST"
mkdir -p "$ROOT$DST"
tar -C "$TOP_DIR" --exclude=.git --exclude=results --exclude='*.o' --exclude='*.ko' \
	--exclude='*.cmd' --exclude='*.mod*' --exclude='igt-tests/build' -cf - . |
	tar -C "$ROOT$DST" -xf -

# Every kernel source file: what checkpatch sees (static-checks.sh).
mapfile -t files < <(cd "$TOP_DIR" && git ls-files '*.c' '*.h' |
	grep -v -E '^(igt-tests|tools/demo|tools/bench)/')
in_rootfs "$ROOT" sh -c 'cd "$1" && shift && srctree="$0" "$0/scripts/kernel-doc" -none -Wall "$@"' \
	"$KSRC" "$DST" "${files[@]}" >"$RES/kernel-doc.log" 2>&1 || true
n=$({ grep -E -i "warning|error" "$RES/kernel-doc.log" || true; } | sort -u | wc -l)
if [ "$n" -gt 0 ]; then
	record docs@kernel-doc fail "$n warnings, first: $(grep -m 1 -E -i 'warning|error' "$RES/kernel-doc.log")"
else
	record docs@kernel-doc pass "${#files[@]} files"
fi

OUT=/tmp/p2pbuf-htmldocs
if in_rootfs "$ROOT" env srctree="$KSRC" sphinx-build -q -b html -w "$OUT.warnings" \
	-d "$OUT.doctrees" "$DST/Documentation" "$OUT" >"$RES/sphinx.log" 2>&1; then
	cp "$ROOT$OUT.warnings" "$RES/sphinx-warnings.log"
	if [ -s "$RES/sphinx-warnings.log" ]; then
		record docs@htmldocs fail "$(wc -l <"$RES/sphinx-warnings.log") warnings, first: $(head -n 1 "$RES/sphinx-warnings.log")"
	else
		record docs@htmldocs pass "$(find "$ROOT$OUT" -name '*.html' | wc -l) pages"
	fi
else
	record docs@htmldocs fail "sphinx-build failed: $(tail -n 1 "$RES/sphinx.log")"
fi
rm -rf "$RES/html"
[ -d "$ROOT$OUT" ] && cp -a "$ROOT$OUT" "$RES/html"
rm -rf "$ROOT$OUT" "$ROOT$OUT.warnings" "$ROOT$OUT.doctrees" "$ROOT$DST"
cat "$RES/summary.tsv"
