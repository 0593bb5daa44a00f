# SPDX-License-Identifier: GPL-2.0
# Named topologies of the test bed.  Sourced; topo_select NAME sets:
#   TOPO_CPU      the guest CPU model (always explicit: it decides whether
#                 the host bridge is on the kernel's P2P allowlist)
#   TOPO_IOMMU    1 when an intel-iommu is emulated
#   TOPO_CMDLINE  extra kernel command line
#   TOPO_DEVICES  QEMU arguments placing the exporter and importer devices
#   TOPO_EXPECT   the P2P map type the kernel must pick between them:
#                 bus-addr, host-bridge-iova, host-bridge-direct, none
#   TOPO_DATA     "ok" when device-to-device DMA carries data, otherwise
#                 the reason it cannot (tests skip their byte checks)
#
# The exporter device is "exp" (ivshmem-plain, BAR2 = device memory), the
# importer device is "imp" (edu, 64-bit DMA mask).  $1 of the device
# helpers is the QEMU bus, $2 an optional address.

TOPOLOGIES="switch switch-iommu switch-iommu-pt rootports-iommu rootports-direct rootports-noallow acs-redirect"

exp_dev() { echo "-device ivshmem-plain,id=exp,memdev=devmem,bus=$1${2:+,addr=$2}"; }
imp_dev() { echo "-device edu,id=imp,dma_mask=0xffffffffffffffff,bus=$1${2:+,addr=$2}"; }

# One PCIe switch below a root port, one device on each downstream port.
topo_switch_devices() {
	echo "-device pcie-root-port,id=rp1,chassis=1,slot=1,bus=pcie.0"
	echo "-device x3130-upstream,id=up1,bus=rp1"
	echo "-device xio3130-downstream,id=dn1,bus=up1,chassis=11,slot=1"
	echo "-device xio3130-downstream,id=dn2,bus=up1,chassis=12,slot=2"
	exp_dev dn1
	imp_dev dn2
}

# Each device below its own root port: P2P only through the host bridge.
topo_rootports_devices() {
	echo "-device pcie-root-port,id=rp1,chassis=1,slot=1,bus=pcie.0"
	echo "-device pcie-root-port,id=rp2,chassis=2,slot=2,bus=pcie.0"
	exp_dev rp1
	imp_dev rp2
}

# Both devices as functions of one slot below a root port (whose ACS
# capability redirects P2P requests upstream when an IOMMU is on).
topo_multifunction_devices() {
	echo "-device pcie-root-port,id=rp1,chassis=1,slot=1,bus=pcie.0"
	echo "$(exp_dev rp1 0.0),multifunction=on"
	imp_dev rp1 0.1
}

topo_select() {
	TOPO_CPU=EPYC
	TOPO_IOMMU=0
	TOPO_CMDLINE=
	TOPO_DATA=ok
	case "$1" in
	switch)
		TOPO_DEVICES=$(topo_switch_devices)
		TOPO_EXPECT=bus-addr
		;;
	switch-iommu)
		TOPO_DEVICES=$(topo_switch_devices)
		TOPO_IOMMU=1
		TOPO_EXPECT=bus-addr
		TOPO_DATA="QEMU sends DMA below its switch through the vIOMMU, which faults on a bus address a real switch would route"
		;;
	switch-iommu-pt)
		TOPO_DEVICES=$(topo_switch_devices)
		TOPO_IOMMU=1
		TOPO_CMDLINE="iommu=pt"
		TOPO_EXPECT=bus-addr
		;;
	rootports-iommu)
		TOPO_DEVICES=$(topo_rootports_devices)
		TOPO_IOMMU=1
		TOPO_EXPECT=host-bridge-iova
		;;
	rootports-direct)
		TOPO_DEVICES=$(topo_rootports_devices)
		TOPO_EXPECT=host-bridge-direct
		;;
	rootports-noallow)
		TOPO_DEVICES=$(topo_rootports_devices)
		TOPO_CPU=Skylake-Client
		TOPO_EXPECT=none
		TOPO_DATA="the host bridge of this CPU model is not on the kernel's P2P allowlist"
		;;
	acs-redirect)
		TOPO_DEVICES=$(topo_multifunction_devices)
		TOPO_IOMMU=1
		TOPO_EXPECT=host-bridge-iova
		;;
	*)
		return 1
		;;
	esac
	if [ "$TOPO_IOMMU" = 1 ]; then
		TOPO_CMDLINE="intel_iommu=on $TOPO_CMDLINE"
	fi
}
