#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the guest: load the drivers and run the zero-copy demo program.
set -u
cd "$(dirname "$0")"
modprobe p2pbuf_exporter || exit 1
modprobe p2pbuf_importer || exit 1
echo "expected route: $P2PBUF_EXPECT; device DMA data: $P2PBUF_DATA"
if [ "$P2PBUF_EXPECT" = none ]; then
	echo "no P2P route here: the exporter refuses the importer (expected)"
	./p2pbuf-zerocopy && { echo "unexpected: import worked"; exit 1; }
	exit 0
fi
if [ "$P2PBUF_DATA" != ok ]; then
	echo "device DMA cannot carry data in this topology: $P2PBUF_DATA"
	echo "(the route is still shown; the demo's byte checks would fail here)"
	exit 0
fi
./p2pbuf-zerocopy
