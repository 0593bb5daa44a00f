#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test bed guest (after the initramfs): set up a minimal
# system on the read-only 9p root, run $RESULTS/cmd.sh, save its status,
# output and the kernel log into the results share, power off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/tmp
mount -t tmpfs tmpfs /root
mount -t debugfs debugfs /sys/kernel/debug
# The 9p message size as for the root (initramfs-init: p2pbuf.msize=).
msize=512000
for a in $(cat /proc/cmdline); do
	case "$a" in p2pbuf.msize=*) msize=${a#*=} ;; esac
done
mount -t 9p -o trans=virtio,version=9p2000.L,msize=$msize results /mnt/results

export P2PBUF_RESULTS=/mnt/results
touch $P2PBUF_RESULTS/started
echo "guest: running command ($(uname -r))" >/dev/console

cd /usr/src/p2pbuf || exit 1
bash $P2PBUF_RESULTS/cmd.sh 2>&1 | tee $P2PBUF_RESULTS/output.txt >/dev/console
rc=${PIPESTATUS[0]}

dmesg >$P2PBUF_RESULTS/dmesg.txt
echo $rc >$P2PBUF_RESULTS/exit-status
sync
umount /mnt/results
echo "guest: command exited $rc, powering off" >/dev/console
echo o >/proc/sysrq-trigger
# Wait for the power-off without touching the (unmounted) root.
read -r -t 30 _ </dev/console
