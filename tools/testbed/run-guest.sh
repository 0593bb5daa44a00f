#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test bed guest in one topology, run one command in it, power off.
#
#   run-guest.sh -t TOPOLOGY -r RESULTS_DIR [-T TIMEOUT_S] -- COMMAND...
#
# COMMAND runs in the guest from /usr/src/p2pbuf (the repository copy made
# by prepare.sh) with $P2PBUF_RESULTS pointing at RESULTS_DIR (a 9p share),
# $P2PBUF_TOPO, $P2PBUF_EXPECT and $P2PBUF_DATA describing the topology.
# After the run RESULTS_DIR holds: console.log (serial console), output.txt
# (the command's output), dmesg.txt, exit-status, devmem.bin (a copy of the
# exporter BAR's backing memory as the guest left it), and igt/ unpacked
# from the igt.tar a command may leave (run-in-guest.sh does).
# The exit status is the command's; 124 when the guest hung or never ran it.
#
# Environment: KERNEL=stock|debug|unpatched (Debian's 7.3, the proving
# kernel of tools/testbed/kernel/, or its flavour without the series),
# P2PBUF_ACCEL=kvm to use KVM (default tcg,
# with -icount unless P2PBUF_ICOUNT=0; P2PBUF_ICOUNT_SHIFT: its shift,
# default auto, the benchmark fixes it), P2PBUF_SMP (1:
# with 2 vCPUs under TCG an early boot oops - int3 in text patching - hit
# a few boots in a hundred, twice in a row once),
# P2PBUF_MEM (2048 MiB), P2PBUF_BAR_SIZE (size of the exporter device's
# BAR2, 32M; the benchmark enlarges it), P2PBUF_QEMU_ARGS (extra QEMU
# arguments, split at blanks: e.g. -trace events for the benchmark's IOTLB
# counts).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$TB_DIR/topologies.sh"

TOPO=
RES=
TIMEOUT=600
while getopts "t:r:T:" o; do
	case $o in
	t) TOPO=$OPTARG ;;
	r) RES=$OPTARG ;;
	T) TIMEOUT=$OPTARG ;;
	*) die "usage: run-guest.sh -t TOPOLOGY -r RESULTS_DIR [-T TIMEOUT] -- CMD" ;;
	esac
done
shift $((OPTIND - 1))
[ -n "$TOPO" ] && [ -n "$RES" ] && [ $# -gt 0 ] || die "usage: run-guest.sh -t TOPOLOGY -r RESULTS_DIR -- CMD"
topo_select "$TOPO" || die "unknown topology '$TOPO' (known: $TOPOLOGIES)"

ROOT=$(rootfs_dir)
[ -f "$ROOT/.p2pbuf-complete" ] || die "no rootfs: run tools/testbed/rootfs.sh"
KERNEL=${KERNEL:-stock}
case "$KERNEL" in
stock)
	KVER=$(rootfs_kver "$ROOT")
	KIMAGE="$ROOT/boot/vmlinuz-$KVER"
	KARGS="iomem=relaxed"	# IO_STRICT_DEVMEM: CPU reads of a claimed BAR (p2pbuf_lifecycle)
	;;
debug | unpatched)
	KDIR=$(kernel_debug_dir) KBUILD=build.sh
	[ "$KERNEL" = unpatched ] && KDIR=$(kernel_unpatched_dir) KBUILD=build-unpatched.sh
	[ -f "$KDIR/.complete" ] || die "no $KERNEL kernel: run tools/testbed/kernel/$KBUILD"
	KVER=$(cat "$KDIR/release")
	KIMAGE="$KDIR/bzImage"
	# SLUB's own debugging doubles the boot under TCG and catches nothing
	# KASAN does not.  9p messages of 64 KiB: with kmemleak, reading a
	# file through 512 KB messages is a hundred times slower (measured:
	# 1.8 MB in 136 s, 1 s with 64 KiB; Documentation/testbed.rst).
	# kasan_multi_shot: KASAN reports every bad access, not only the
	# boot's first (a later subtest's would pass unseen otherwise).
	KARGS="slub_debug=- p2pbuf.msize=65536 kasan_multi_shot"
	;;
*) die "KERNEL must be stock, debug or unpatched" ;;
esac
[ -d "$ROOT/lib/modules/$KVER" ] || die "no modules for $KVER in the rootfs: run tools/testbed/build.sh"
INITRD=$("$TB_DIR/initramfs.sh" "$ROOT" "$KVER")
# tsc=reliable: the emulated TSC follows QEMU's virtual clock; the
# clocksource watchdog's HPET cross-check times out whenever the host
# starves the guest, and its ratelimit line ("watchdog_print_freq_timeout:
# N callbacks suppressed") is a warning that fails the subtest running.
ACCEL=${P2PBUF_ACCEL:-tcg}
BAR_SIZE=${P2PBUF_BAR_SIZE:-32M}
# Under TCG the guest's clock follows its instruction count (-icount) and
# jumps over idle time (sleep=off): edu's 100 ms DMA timer and every sleep
# cost no wall time.  Needs single-threaded TCG; P2PBUF_ICOUNT=0 turns it
# off (Documentation/testbed.rst).
case "$ACCEL" in
tcg)
	if [ "${P2PBUF_ICOUNT:-1}" = 1 ]; then
		ACCEL_ARGS="-accel tcg,thread=single -icount shift=${P2PBUF_ICOUNT_SHIFT:-auto},sleep=off"
	else
		ACCEL_ARGS="-accel tcg,thread=multi"
	fi
	;;
kvm)
	# Without root (userns.sh) the user's own groups decide: /dev/kvm's
	# group (kvm) must be one of them.
	[ -r /dev/kvm ] && [ -w /dev/kvm ] ||
		die "P2PBUF_ACCEL=kvm: /dev/kvm is not usable by ${USER:-$(id -un)} here (a user needs its group, e.g. kvm; or leave P2PBUF_ACCEL unset for TCG)"
	ACCEL_ARGS="-accel kvm"
	;;
*) die "P2PBUF_ACCEL must be tcg or kvm" ;;
esac

mkdir -p "$RES"
RES=$(cd "$RES" && pwd)
rm -f "$RES"/{started,exit-status,output.txt,dmesg.txt,console.log,devmem.bin,igt.tar}
rm -rf "$RES/igt"
{
	printf 'export P2PBUF_TOPO=%q P2PBUF_EXPECT=%q\n' "$TOPO" "$TOPO_EXPECT"
	printf 'export P2PBUF_DATA=%q P2PBUF_IOMMU=%q\n' "$TOPO_DATA" "$TOPO_IOMMU"
	printf 'export P2PBUF_KERNEL=%q\n' "$KERNEL"
	printf '%q ' "$@"
	echo
} >"$RES/cmd.sh"

rootfs_lock -s
DEVMEM=/dev/shm/p2pbuf-$$-devmem
trap 'rm -f "$DEVMEM"' EXIT

boot() {
	rm -f "$DEVMEM" "$RES/started"
	# The exporter device's memory: 32 MiB the host can read back: the lower 16 MiB for exported ranges,
	# the upper 16 MiB for the allocator (alloc_offset, see guest-init.sh).
	truncate -s "$BAR_SIZE" "$DEVMEM"
	local machine=q35
	[ "$TOPO_IOMMU" = 1 ] && [ "$ACCEL" = kvm ] && machine=q35,kernel-irqchip=split
	local iommu=
	[ "$TOPO_IOMMU" = 1 ] && iommu="-device intel-iommu,intremap=on"
	# shellcheck disable=SC2086 # word splitting of option lists is wanted
	timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 \
		-M $machine $ACCEL_ARGS -cpu "$TOPO_CPU" \
		-smp "${P2PBUF_SMP:-1}" -m "${P2PBUF_MEM:-2048}" \
		$iommu \
		-nographic -no-reboot -monitor none -serial "file:$RES/console.log" \
		-kernel "$KIMAGE" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 rdinit=/init tsc=reliable $KARGS $TOPO_CMDLINE ${P2PBUF_KERNEL_ARGS:-}" \
		-fsdev "local,id=rootfs,path=$ROOT,security_model=none,readonly=on" \
		-device virtio-9p-pci,fsdev=rootfs,mount_tag=rootfs \
		-fsdev "local,id=results,path=$RES,security_model=none" \
		-device virtio-9p-pci,fsdev=results,mount_tag=results \
		-object "memory-backend-file,id=devmem,mem-path=$DEVMEM,size=$BAR_SIZE,share=on" \
		$TOPO_DEVICES ${P2PBUF_QEMU_ARGS:-} 2> >(grep -v "TCG doesn't support requested feature" >&2)
}

log "topology $TOPO: cpu $TOPO_CPU, iommu $TOPO_IOMMU, accel $ACCEL${P2PBUF_ICOUNT:+ icount=$P2PBUF_ICOUNT}, kernel $KVER"
rc=0
ATTEMPTS=3
started=0
for attempt in $(seq 1 $ATTEMPTS); do
	rc=0
	boot || rc=$?
	if [ -f "$RES/started" ]; then
		started=1
		break
	fi
	log "guest did not reach its command (attempt $attempt of $ATTEMPTS, qemu exit $rc); console tail:"
	tail -n 15 "$RES/console.log" >&2 || true
	cp "$RES/console.log" "$RES/console-attempt$attempt.log" 2>/dev/null || true
done
cp "$DEVMEM" "$RES/devmem.bin" 2>/dev/null || true
# igt_runner's results come as one archive (run-in-guest.sh: 9p is slow on
# the proving kernel); unpacked here, where they are read.
if [ -f "$RES/igt.tar" ]; then
	tar -C "$RES" -xf "$RES/igt.tar" && rm -f "$RES/igt.tar" ||
		log "cannot unpack $RES/igt.tar"
fi

if [ -f "$RES/exit-status" ]; then
	exit "$(cat "$RES/exit-status")"
fi
if [ "$started" = 0 ]; then
	log "guest never reached its command in $ATTEMPTS boots"
	exit 124
elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	log "guest timed out after ${TIMEOUT}s; console tail:"
else
	log "guest stopped without an exit status (qemu exit $rc); console tail:"
fi
tail -n 25 "$RES/console.log" >&2 || true
exit 124
