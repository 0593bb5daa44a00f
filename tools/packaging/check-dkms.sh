#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The DKMS package, checked as a user meets it:
#   dkms@deb       dpkg-buildpackage makes p2pbuf-dkms_<version>_all.deb
#   dkms@install   it installs in the guest rootfs and DKMS builds every
#                  module for the guest kernel into updates/dkms, with no
#                  compiler warning
# Afterwards the rootfs holds the DKMS modules instead of the bed's own
# (dkms-rootfs.sh install): a guest booted next loads them.  Writes
# RESULTS_DIR/summary.tsv (test, verdict, reason) like
# tools/testbed/static-checks.sh, and the logs next to it.
#
#   check-dkms.sh RESULTS_DIR
set -euo pipefail
. "$(dirname "$0")/common.sh"

RES=$1
mkdir -p "$RES"
: >"$RES/summary.tsv"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RES/summary.tsv"; }
ROOT=$("$TB_DIR/rootfs.sh")
KVER=$(rootfs_kver "$ROOT")

if ! "$(dirname "$0")/build-deb.sh" "$RES" >"$RES/deb.log" 2>&1; then
	record dkms@deb fail "$(tail -n 1 "$RES/deb.log")"
	record dkms@install skip "no package: dkms@deb failed"
	exit 0
fi
record dkms@deb pass "$DEB"
cp "$CACHE_DIR/build-deb.log" "$RES/dpkg-buildpackage.log"

if ! "$(dirname "$0")/dkms-rootfs.sh" install >"$RES/install.log" 2>&1; then
	record dkms@install fail "$(tail -n 1 "$RES/install.log")"
	exit 0
fi
cp "$ROOT/var/lib/dkms/p2pbuf/$VERSION/$KVER/x86_64/log/make.log" "$RES/dkms-make.log"
w=$(grep -E '(warning|error):' "$RES/dkms-make.log" | sort -u || true)
if [ -n "$w" ]; then
	record dkms@install fail "$(echo "$w" | wc -l) warnings, first: $(echo "$w" | head -n 1)"
else
	record dkms@install pass "$KVER: $(cd "$ROOT/lib/modules/$KVER/updates/dkms" && ls p2pbuf_*.ko* | tr '\n' ' ')"
fi
