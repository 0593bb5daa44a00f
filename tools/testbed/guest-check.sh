#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In the guest: run the test suite of this topology and leave
# $P2PBUF_RESULTS/summary.tsv for the host.  $P2PBUF_TEST narrows it to
# one subtest.  On the proving kernel the KUnit suites run too, in the
# topology igt-tests/placement.txt names for "kunit@*".
set -u
echo "== topology $P2PBUF_TOPO: expected P2P route $P2PBUF_EXPECT, data: $P2PBUF_DATA"
lspci -nn -d 1af4:1110
lspci -nn -d 1234:11e8
bash igt-tests/run-in-guest.sh || exit
host=$(awk '$1 == "kunit@*" { print $2 }' igt-tests/placement.txt)
if [ "${P2PBUF_KERNEL:-stock}" = debug ] && [ "$P2PBUF_TOPO" = "$host" ] &&
	[[ -z "${P2PBUF_TEST:-}" || "${P2PBUF_TEST}" == *kunit* ]]; then
	echo "== KUnit: the dma-buf suite and p2pbuf's helpers"
	# The fence-chain suite's test_wait_backward runs about 200 s of guest
	# time on this kernel under TCG (the whole suite 240 s), its waiter
	# and KUnit's runner in uninterruptible waits all along: past the
	# hung-task detector's 120 s, and close to KUnit's own 300 s per case
	# (a busier host stretches the guest's time under -icount auto: once
	# 347 s).  The detector and KUnit's per-case timeout get 900 s for
	# this suite.
	# The suites get the IGT binaries' checks too: kunit@debug-dma-api,
	# kunit@debug-unload, kunit@debug-kmemleak (debug-checks.sh; one more
	# kmemleak scan, in this topology only).
	kwork=$(mktemp -d /tmp/p2pbuf-kunit.XXXXXX) || exit
	export DEBUG_CHECKS_REST=kunit DEBUG_CHECKS_MODULES="p2pbuf_helpers_kunit dmabuf_kunit"
	{
		bash igt-tests/debug-checks.sh start "$kwork"
		bash tools/testbed/guest-kunit.sh ${P2PBUF_KUNIT_MODULES:-p2pbuf_helpers_kunit \
			'dmabuf_kunit:dma-buf-[!f]*' dmabuf_kunit:dma-buf-fence \
			dmabuf_kunit:dma-buf-fence-unwrap \
			sysctl:kernel.hung_task_timeout_secs=900 param:kunit.timeout=900 \
			dmabuf_kunit:dma-buf-fence-chain}
		bash igt-tests/debug-checks.sh after "$kwork" kunit &&
			bash igt-tests/debug-checks.sh end "$kwork" ||
			printf 'kunit@debug-checks\tfail\tigt-tests/debug-checks.sh failed (see output.txt)\n'
	} | tee -a "$P2PBUF_RESULTS/summary.tsv"
fi
