/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which path a peer-to-peer mapping of PCI BAR memory took.
 */
#ifndef _P2PBUF_P2P_PATH_H
#define _P2PBUF_P2P_PATH_H

#include <linux/types.h>

struct device;
struct p2pdma_provider;
struct phys_vec;
struct sg_table;

/**
 * enum p2pbuf_path - the route a peer-to-peer DMA mapping takes
 * @P2PBUF_PATH_NONE: no mapping (the kernel refused P2P between the devices)
 * @P2PBUF_PATH_BUS_ADDR: PCI bus addresses, routed by a common switch
 * @P2PBUF_PATH_HOST_BRIDGE_IOVA: through the host bridge, IOMMU addresses
 *	(the two-step DMA API: one IOVA range for the whole buffer)
 * @P2PBUF_PATH_HOST_BRIDGE_DIRECT: through the host bridge, CPU physical
 *	addresses (no translating IOMMU)
 */
enum p2pbuf_path {
	P2PBUF_PATH_NONE,
	P2PBUF_PATH_BUS_ADDR,
	P2PBUF_PATH_HOST_BRIDGE_IOVA,
	P2PBUF_PATH_HOST_BRIDGE_DIRECT,
};

const char *p2pbuf_path_name(enum p2pbuf_path path);
enum p2pbuf_path p2pbuf_path_of_sgt(const struct p2pdma_provider *provider,
				    struct device *dev,
				    const struct phys_vec *vec,
				    struct sg_table *sgt);

/*
 * Only on a kernel that exports pci_p2pdma_map_type() (upstream/linux-7.3/
 * patch 0005; ../../Kbuild defines P2PBUF_COMPAT_7_3 on the others).
 */
enum p2pbuf_path p2pbuf_path_query(struct p2pdma_provider *provider,
				   struct device *dev);

#endif /* _P2PBUF_P2P_PATH_H */
