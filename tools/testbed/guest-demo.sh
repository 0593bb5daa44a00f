#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In the guest, for the demo: the PCI tree, the P2P route and distance the
# kernel reports between the exporter and importer devices, then the
# zero-copy pipeline if the drivers are built.
set -u
echo "-- PCI topology (exporter 1af4:1110 ivshmem BAR2, importer 1234:11e8 edu)"
lspci -tv | grep -v -E '^\s*$'
echo
echo "-- kernel's P2P decision (p2pbuf_probe: one BAR page mapped for edu)"
if modprobe p2pbuf_probe; then
	cat /sys/kernel/debug/p2pbuf_probe/report
	modprobe -r p2pbuf_probe
fi
echo "expected route for this topology: $P2PBUF_EXPECT"
if [ -x tools/demo/p2pbuf-zerocopy.sh ]; then
	echo
	echo "-- zero-copy pipeline"
	bash tools/demo/p2pbuf-zerocopy.sh
fi
