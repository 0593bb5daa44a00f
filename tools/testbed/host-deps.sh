#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the test bed needs on the host (Debian or a derivative):
# QEMU, debootstrap, a static busybox for the initramfs, cpio, python3;
# for runs without root, uidmap (newuidmap) and mmdebstrap.  The one step
# of the bed that needs real root, and only when something is missing: an
# ordinary user's run stops here with the list (README, "Without root").
set -euo pipefail
TB_NO_USERNS=1 . "$(dirname "$0")/lib.sh"

need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v debootstrap >/dev/null || need+=(debootstrap)
[ -x /bin/busybox ] && file /bin/busybox 2>/dev/null | grep -q 'statically linked' ||
	need+=(busybox-static)
command -v cpio >/dev/null || need+=(cpio)
command -v file >/dev/null || need+=(file)
command -v unshare >/dev/null || need+=(util-linux)
command -v python3 >/dev/null || need+=(python3)
command -v xz >/dev/null || need+=(xz-utils)
command -v newuidmap >/dev/null || need+=(uidmap)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
[ ${#need[@]} -eq 0 ] && exit 0

{ [ "$(id -u)" = 0 ] && [ -z "${P2PBUF_IN_USERNS:-}" ]; } ||
	die "missing host packages: ${need[*]} (run tools/testbed/host-deps.sh as root)"
log "installing host packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -q update >/dev/null
apt-get -q -y install --no-install-recommends "${need[@]}" >/dev/null
