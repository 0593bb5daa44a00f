#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In the guest: run the test suite of this topology and leave
# $P2PBUF_RESULTS/summary.tsv for the host.  $P2PBUF_TEST narrows it to
# one subtest.
set -u
echo "== topology $P2PBUF_TOPO: expected P2P route $P2PBUF_EXPECT, data: $P2PBUF_DATA"
lspci -nn -d 1af4:1110
lspci -nn -d 1234:11e8
exec bash igt-tests/run-in-guest.sh
