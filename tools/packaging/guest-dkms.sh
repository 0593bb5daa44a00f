#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In the guest, instead of tools/testbed/guest-check.sh when the rootfs
# holds the DKMS modules (dkms-rootfs.sh install): the same run, then one
# more summary line, dkms@guest-modules: every module of the DKMS package
# that the run loaded came from /lib/modules/<kver>/updates/dkms/, and the
# exporter, its helpers and the importer were loaded at all.
#
#   bash tools/packaging/guest-dkms.sh     (from /usr/src/p2pbuf, as root)
set -u
bash tools/testbed/guest-check.sh
rc=$?

bad=
for m in p2pbuf_helpers p2pbuf_exporter p2pbuf_test_importer p2pbuf_importer; do
	f=$(modinfo -n "$m" 2>/dev/null)
	if [ -d "/sys/module/$m" ]; then
		case "$f" in
		/lib/modules/*/updates/dkms/*) ;;
		*) bad="$bad $m:${f:-not-found}" ;;
		esac
	elif [ "$m" != p2pbuf_test_importer ]; then
		bad="$bad $m:not-loaded"
	fi
done
loaded=$(cd /sys/module && ls -d p2pbuf_* 2>/dev/null | tr '\n' ' ')
if [ -n "$bad" ]; then
	line="dkms@guest-modules	fail	not from updates/dkms:$bad"
else
	line="dkms@guest-modules	pass	from updates/dkms: $loaded"
fi
echo "$line"
[ -n "${P2PBUF_RESULTS:-}" ] && echo "$line" >>"$P2PBUF_RESULTS/summary.tsv"
exit "$rc"
