#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole p2pbuf test suite (make check):
#   1. host packages and the cached guest rootfs (built cold if missing);
#   2. static checks: W=1 build, sparse, checkpatch --strict;
#   3. in every topology, a guest boot running the IGT suite
#      (igt-tests/run-in-guest.sh: our tests and upstream baselines);
#   4. host-side verdicts: guest kernel log scan, byte checks of the
#      exporter BAR's backing file, then one summary table and the line
#      "N passed, N failed, N skipped".
#
# Environment (or make variables): TOPO=<name> runs one topology,
# TEST=<subtest glob> one subtest (static checks are then skipped),
# P2PBUF_ACCEL=kvm uses KVM, P2PBUF_RESULTS_DIR (default ./results).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$TB_DIR/topologies.sh"

TOPOS=${TOPO:-$TOPOLOGIES}
TEST=${TEST:-}
RES=${P2PBUF_RESULTS_DIR:-$TOP_DIR/results}
GUEST_TIMEOUT=${P2PBUF_GUEST_TIMEOUT:-1200}
start=$(date +%s)

for t in $TOPOS; do
	topo_select "$t" || die "unknown topology '$t' (known: $TOPOLOGIES)"
done
"$TB_DIR/host-deps.sh" || exit 1
"$TB_DIR/rootfs.sh" >/dev/null || exit 1

rm -rf "$RES"
mkdir -p "$RES"
columns=
if [ -z "$TEST" ]; then
	log "static checks"
	"$TB_DIR/static-checks.sh" "$RES/static" || exit 1
fi
# The last build installs the modules the guest loads.
"$TB_DIR/build.sh" || exit 1

for t in $TOPOS; do
	t0=$(date +%s)
	"$TB_DIR/run-guest.sh" -t "$t" -r "$RES/$t" -T "$GUEST_TIMEOUT" -- \
		env P2PBUF_TEST="$TEST" bash tools/testbed/guest-check.sh
	rc=$?
	n=$(wc -l <"$RES/$t/summary.tsv" 2>/dev/null || echo 0)
	log "topology $t: guest exit $rc, $n results, $(($(date +%s) - t0)) s"
	columns="$columns $t"
done

python3 "$TB_DIR/summarize.py" "$RES" $columns | tee "$RES/summary.txt"
rc=${PIPESTATUS[0]}
log "accelerator ${P2PBUF_ACCEL:-tcg}, $(($(date +%s) - start)) s in all; results in $RES"
exit "$rc"
