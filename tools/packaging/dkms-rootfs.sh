#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Put the DKMS-built modules in the guest rootfs in place of the bed's own
# build, or take them out again.
#
#   dkms-rootfs.sh install   build p2pbuf-dkms (build-deb.sh), install it in
#                            the rootfs, have DKMS build and install the
#                            modules for the guest kernel
#                            (/lib/modules/<kver>/updates/dkms), and delete
#                            the bed's copies of the same modules from
#                            updates/p2pbuf (the probe stays)
#   dkms-rootfs.sh remove    purge p2pbuf-dkms (a no-op when absent)
#
# Both are safe to call while tools/testbed/build.sh holds the rootfs lock.
# Logs: $CACHE_DIR/dkms-*.log.
set -euo pipefail
. "$(dirname "$0")/common.sh"

# The modules DKMS installs (dkms.conf's BUILT_MODULE_NAME).
MODULES="p2pbuf_helpers p2pbuf_exporter p2pbuf_test_importer p2pbuf_importer"

ROOT=$("$TB_DIR/rootfs.sh")
KVER=$(rootfs_kver "$ROOT")

case "${1:-}" in
install)
	deb=$("$(dirname "$0")/build-deb.sh")
	pkg_lock
	# DKMS refuses to install over a module of the same version that
	# modprobe would find: the bed's copies go first.
	for m in $MODULES; do
		find "$ROOT/lib/modules/$KVER/updates/p2pbuf" -name "$m.ko*" -delete 2>/dev/null || true
	done
	in_rootfs "$ROOT" depmod -a "$KVER"
	LOG="$CACHE_DIR/dkms-install.log"
	# dpkg's postinst builds for every kernel with headers (and warns
	# about the running one, the host's); a package left half-configured
	# by an earlier failure is configured again.
	{
		in_rootfs "$ROOT" dpkg -i "${deb#"$ROOT"}" &&
		if ! in_rootfs "$ROOT" dkms status -m p2pbuf -v "$VERSION" -k "$KVER" | grep -q ': installed'; then
			in_rootfs "$ROOT" dkms install "p2pbuf/$VERSION" -k "$KVER"
		fi
	} >"$LOG" 2>&1 || { tail -n 40 "$LOG" >&2; die "DKMS install failed (log: $LOG)"; }
	for m in $MODULES; do
		ls "$ROOT/lib/modules/$KVER/updates/dkms/$m.ko"* >/dev/null 2>&1 ||
			die "DKMS installed no $m for $KVER"
	done
	in_rootfs "$ROOT" depmod -a "$KVER"
	log "p2pbuf-dkms $VERSION: modules for $KVER in updates/dkms"
	;;
remove)
	pkg_lock
	if in_rootfs "$ROOT" dpkg-query -W p2pbuf-dkms >/dev/null 2>&1; then
		in_rootfs "$ROOT" dpkg --purge p2pbuf-dkms >"$CACHE_DIR/dkms-remove.log" 2>&1 ||
			{ tail -n 20 "$CACHE_DIR/dkms-remove.log" >&2; die "dpkg --purge p2pbuf-dkms failed"; }
		in_rootfs "$ROOT" depmod -a "$KVER"
	fi
	;;
*)
	die "usage: dkms-rootfs.sh install|remove"
	;;
esac
