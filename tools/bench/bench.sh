#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the three ways an importer maps a p2pbuf buffer (the
# exporter's sg_table, its own two-step mapping of the exporter's physical
# address list, one dma_map_phys() per range), side by side with upstream
# VFIO's sg_table (Documentation/benchmarks.rst).  Not a test: nothing
# here passes or fails on timing.
#
#   1. host packages, the cached guest rootfs, the modules and the guest
#      tool (tools/bench/p2pbuf_bench.c);
#   2. BENCH_BOOTS guest boots per topology, each running
#      tools/bench/guest-bench.sh: for each range size and count, every
#      way on the same import (DRM_IOCTL_P2PBUF_IMP_BENCH_MAP), then VFIO;
#   3. one more boot of rootports-iommu with QEMU's vIOMMU in caching mode
#      and its invalidation trace events on, counting IOTLB invalidations
#      per map + unmap of every way;
#   4. tools/bench/report.py: bench.csv (every boot), spread.csv (min,
#      median, max over the boots), bench.md, bench.rst, bench.png in
#      $BENCH_OUT.
#
# The guest's clock: under TCG the guests run with -icount shift=0 (one
# guest instruction is one nanosecond of guest time), which makes a time
# the count of guest instructions spent and the same at every boot and
# under any host load; with shift=auto, QEMU's default in the bed, the
# nanoseconds an instruction takes change by powers of two with the host's
# speed (Documentation/benchmarks.rst, "Reproducibility").  BENCH_CLOCK=real
# runs without -icount instead: host time, with the host's noise.
#
# Environment: BENCH_TOPOS (default: rootports-iommu rootports-direct
# switch switch-iommu-pt), BENCH_WAYS (sgt,pal,per-range,vfio),
# BENCH_SIZES (4K,2M), BENCH_NS (1,4,16,64,256,1024), BENCH_K (most
# iterations per point, 100), BENCH_BUDGET_MS (about this long per point,
# 500), BENCH_BOOTS (boots per topology, 3), BENCH_CLOCK (icount or real),
# BENCH_BAR_SIZE (the exporter BAR for the benchmark, 2G so that 1024 x
# 2 MiB fit; the tests' bed keeps 32M), BENCH_COUNT (1: do step 3),
# BENCH_OUT (results/bench), P2PBUF_ACCEL (tcg or kvm), KERNEL (stock or
# debug: the proving kernel, in rootports-iommu).
set -uo pipefail
. "$(dirname "$0")/../testbed/lib.sh"
. "$TB_DIR/topologies.sh"

TOPOS=${BENCH_TOPOS:-rootports-iommu rootports-direct switch switch-iommu-pt}
OUT=${BENCH_OUT:-$TOP_DIR/results/bench}
BAR=${BENCH_BAR_SIZE:-2G}
export BENCH_SIZES=${BENCH_SIZES:-4K,2M} BENCH_NS=${BENCH_NS:-1,4,16,64,256,1024}
export BENCH_WAYS=${BENCH_WAYS:-sgt,pal,per-range,vfio}
export BENCH_K=${BENCH_K:-100} BENCH_BUDGET_MS=${BENCH_BUDGET_MS:-500}
BOOTS=${BENCH_BOOTS:-3}
CLOCK=${BENCH_CLOCK:-icount}
case "$CLOCK" in
icount) export P2PBUF_ICOUNT=1 P2PBUF_ICOUNT_SHIFT=0 ;;
real) export P2PBUF_ICOUNT=0 ;;
*) die "BENCH_CLOCK must be icount or real" ;;
esac
start=$(date +%s)

for t in $TOPOS; do
	topo_select "$t" || die "unknown topology '$t' (known: $TOPOLOGIES)"
done
"$TB_DIR/host-deps.sh" || exit 1
# The plot: matplotlib from the host's Debian mirror (make check does not
# need it).
# Debian's own python3: the package installs there (not into a python3
# another tool put first in PATH).
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if ! "$PY" -c 'import matplotlib' 2>/dev/null; then
	log "installing python3-matplotlib for the plot"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		python3-matplotlib >"$CACHE_DIR/bench-apt.log" 2>&1 ||
		log "python3-matplotlib did not install (see $CACHE_DIR/bench-apt.log): no plot"
fi
ROOT=$("$TB_DIR/rootfs.sh") || exit 1
"$TB_DIR/build.sh" || exit 1
in_rootfs "$ROOT" make -C /usr/src/p2pbuf/tools/bench >"$CACHE_DIR/build-bench.log" 2>&1 ||
	{ cat "$CACHE_DIR/build-bench.log"; die "bench tool build failed"; }

rm -rf "$OUT"
mkdir -p "$OUT/raw"
{
	echo "date $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "qemu $(qemu-system-x86_64 --version | head -n 1)"
	echo "accel ${P2PBUF_ACCEL:-tcg}"
	echo "host-cpu $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "host-cores $(nproc)"
	echo "bar-size $BAR"
	echo "k-max $BENCH_K budget-ms $BENCH_BUDGET_MS"
	echo "boots $BOOTS"
	echo "clock $CLOCK"
	echo "kernel ${KERNEL:-stock}"
	echo "commit $(git -C "$TOP_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >"$OUT/host.txt"

# The guest sees only what its command line gives it.
GUEST_ENV=(BENCH_WAYS="$BENCH_WAYS" BENCH_SIZES="$BENCH_SIZES" BENCH_NS="$BENCH_NS"
	BENCH_K="$BENCH_K" BENCH_BUDGET_MS="$BENCH_BUDGET_MS")
rc=0
# Boot by boot over the topologies, so that a slow phase of the host
# spreads over all of them.
for b in $(seq 1 "$BOOTS"); do
	for t in $TOPOS; do
		log "bench: $t, boot $b of $BOOTS"
		P2PBUF_BAR_SIZE=$BAR "$TB_DIR/run-guest.sh" -t "$t" -r "$OUT/raw/$t/boot$b" -T 3600 -- \
			env "${GUEST_ENV[@]}" bash tools/bench/guest-bench.sh ||
			{ log "bench: $t boot $b failed"; rc=1; }
		rm -f "$OUT/raw/$t/boot$b/devmem.bin"
	done
done

if [ "${BENCH_COUNT:-1}" = 1 ]; then
	t=rootports-iommu
	log "bench: $t, counting IOTLB invalidations (vIOMMU caching mode, trace events)"
	mkdir -p "$OUT/raw/$t-count"
	P2PBUF_BAR_SIZE=$BAR P2PBUF_QEMU_ARGS="-global intel-iommu.caching-mode=on \
-trace enable=vtd_inv_desc_iotlb_* -trace enable=pci_cfg_write \
-D $OUT/raw/$t-count/qemu-trace.log" \
	"$TB_DIR/run-guest.sh" -t "$t" -r "$OUT/raw/$t-count" -T 3600 -- \
		env "${GUEST_ENV[@]}" BENCH_COUNT=1 bash tools/bench/guest-bench.sh ||
		{ log "bench: count run failed"; rc=1; }
	rm -f "$OUT/raw/$t-count/devmem.bin"
fi

"$PY" "$(dirname "$0")/report.py" "$OUT" $TOPOS || rc=1
log "bench: $(($(date +%s) - start)) s; results in $OUT"
exit $rc
