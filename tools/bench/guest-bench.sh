#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In the guest (tools/bench/bench.sh boots it): load the drivers, describe
# the machine, then run tools/bench/p2pbuf_bench for every way (the three
# ways the importer maps p2pbuf's buffers, then VFIO's) and leave
# $P2PBUF_RESULTS/bench.csv and env.txt for the host.
#
# Environment: BENCH_WAYS, BENCH_SIZES, BENCH_NS (comma-separated lists), BENCH_K
# (most iterations per point), BENCH_BUDGET_MS (time per point),
# BENCH_COUNT=1 for the IOTLB counting run (markers around every point,
# few iterations; see p2pbuf_bench.c).
set -u
WAYS=${BENCH_WAYS:-sgt,pal,per-range,vfio}
SIZES=${BENCH_SIZES:-4K,2M}
NS=${BENCH_NS:-1,4,16,64,256,1024}
K=${BENCH_K:-200}
BUDGET=${BENCH_BUDGET_MS:-2000}
TOOL=tools/bench/p2pbuf_bench
OUT=$P2PBUF_RESULTS/bench.csv

modprobe p2pbuf_importer || exit 1
modprobe p2pbuf_exporter || exit 1
modprobe vfio-pci 2>/dev/null
{
	echo "topology $P2PBUF_TOPO"
	echo "route $P2PBUF_EXPECT"
	echo "kernel $(uname -r)"
	echo "guest-cpu $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "iommu-strict $(cat /sys/module/iommu/parameters/strict 2>/dev/null || echo default)"
	for d in /sys/kernel/iommu_groups/*/devices/*; do
		[ -e "$d" ] && echo "iommu-group $(basename "$(dirname "$(dirname "$d")")") $(basename "$d")"
	done
	lspci -nn -d 1af4:1110
	lspci -vv -d 1af4:1110 | grep -E 'Region 2'
} >"$P2PBUF_RESULTS/env.txt"
cat "$P2PBUF_RESULTS/env.txt"

args=(-w "$WAYS" -s "$SIZES" -n "$NS" -k "$K" -t "$BUDGET")
if [ "${BENCH_COUNT:-0}" = 1 ]; then
	edu=$(basename "$(dirname "$(grep -l 0x11e8 /sys/bus/pci/devices/*/device | head -n 1)")")
	args=(-w "$WAYS" -s "$SIZES" -n "$NS" -k "${BENCH_COUNT_K:-4}" -c "$edu")
fi
head="way,range_size,n,k,nents,first_ns,map_med_ns,map_p99_ns,unmap_med_ns,unmap_p99_ns,total_med_ns,total_p99_ns,status"
[ "${BENCH_COUNT:-0}" = 1 ] && head="count,marker,$head"
echo "$head" >"$OUT"
rc=0
"$TOOL" "${args[@]}" | tee -a "$OUT" || rc=1
# The device is p2pbuf_exporter's again.
ls /dev/p2pbuf-exp-* || rc=1
exit $rc
