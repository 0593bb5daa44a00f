#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The p2pbuf demo (make demo): in every topology (or TOPO=<name>), boot the
# guest, show where the exporter and importer devices sit, which P2P route
# the kernel picks between them, and run the zero-copy pipeline: the
# importer's DMA engine writes into the exporter's BAR through a dma-buf,
# and the host checks the bytes in the BAR's backing file.  A kernel
# report (WARN, KASAN, lockdep, ... with KERNEL=debug) fails it, as it
# fails make check (summarize.py's kernel log scan).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$TB_DIR/topologies.sh"

TOPOS=${TOPO:-$TOPOLOGIES}
RES=${P2PBUF_RESULTS_DIR:-$TOP_DIR/results}/demo
"$TB_DIR/host-deps.sh" || exit 1
"$TB_DIR/build.sh" >/dev/null || exit 1
rc=0
for t in $TOPOS; do
	topo_select "$t" || die "unknown topology '$t'"
	echo
	echo "=================== topology $t ==================="
	"$TB_DIR/run-guest.sh" -t "$t" -r "$RES/$t" -T 600 -- \
		bash tools/testbed/guest-demo.sh || rc=1
	cat "$RES/$t/output.txt" 2>/dev/null
	if [ -f "$RES/$t/host-checks.txt" ]; then
		python3 "$TB_DIR/host_checks.py" "$RES/$t" || rc=1
	fi
	python3 "$TB_DIR/summarize.py" --kernel-log "$RES/$t" || rc=1
done
exit $rc
