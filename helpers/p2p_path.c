// SPDX-License-Identifier: GPL-2.0
/*
 * The route of a peer-to-peer mapping of BAR memory: asked from the PCI
 * core, or read back from a mapping.
 *
 * The kernel decides the route in pci_p2pdma_map_type().  Where it is
 * exported (the fix of upstream/linux-7.3/), p2pbuf_path_query() asks it,
 * before anything is mapped: that is what an exporter's attach or
 * placement policy uses.
 *
 * p2pbuf_path_of_sgt() reads the route back from the sg_table that
 * dma_buf_phys_vec_to_sgt() returned, which does not record it: an
 * address that is not the bus address of the memory came from an IOMMU.
 * Where bus and CPU physical addresses are the same number and no IOMMU
 * translates (x86 without an IOMMU), the route is told apart the way the
 * PCI core tells it: a common upstream bridge without ACS redirection on
 * the path means the switch routes the bus address.  The test bed's probe
 * uses it to check the route a real mapping took; the exporter, only on a
 * stock 7.3 kernel (exporter/map_compat_7_3.c).
 */
#include <linux/dma-buf-mapping.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>

#include <p2pbuf/p2p_path.h>

static const char *const path_names[] = {
	[P2PBUF_PATH_NONE] = "none",
	[P2PBUF_PATH_BUS_ADDR] = "bus-addr",
	[P2PBUF_PATH_HOST_BRIDGE_IOVA] = "host-bridge-iova",
	[P2PBUF_PATH_HOST_BRIDGE_DIRECT] = "host-bridge-direct",
};

/**
 * p2pbuf_path_name() - name of a P2P route, as shown in debugfs
 * @path: the route
 *
 * Return: a static string, "unknown" for an out-of-range value.
 */
const char *p2pbuf_path_name(enum p2pbuf_path path)
{
	if (path >= ARRAY_SIZE(path_names))
		return "unknown";
	return path_names[path];
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_path_name, "P2PBUF");

static bool bridge_redirects(struct pci_dev *bridge)
{
	u16 ctrl;

	if (!bridge->acs_cap)
		return false;
	pci_read_config_word(bridge, bridge->acs_cap + PCI_ACS_CTRL, &ctrl);
	return ctrl & (PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC);
}

/* True if @a and @b meet below the host bridge with no ACS redirect. */
static bool switch_routes(struct pci_dev *a, struct pci_dev *b)
{
	struct pci_dev *up_a, *up_b;

	for (up_a = a; up_a; up_a = pci_upstream_bridge(up_a)) {
		for (up_b = b; up_b; up_b = pci_upstream_bridge(up_b))
			if (up_a == up_b)
				goto common;
	}
	return false;

common:
	for (; a != up_a; a = pci_upstream_bridge(a))
		if (bridge_redirects(a))
			return false;
	for (; b != up_a; b = pci_upstream_bridge(b))
		if (bridge_redirects(b))
			return false;
	return !bridge_redirects(up_a);
}

/**
 * p2pbuf_path_of_sgt() - the route a mapping of BAR memory took
 * @provider: p2pdma provider of the BAR
 * @dev: the device the memory was mapped for
 * @vec: the first physical range of the mapping
 * @sgt: the mapping, as dma_buf_phys_vec_to_sgt() returned it
 *
 * Return: the route; %P2PBUF_PATH_NONE if @sgt is empty.
 */
enum p2pbuf_path p2pbuf_path_of_sgt(const struct p2pdma_provider *provider,
				    struct device *dev,
				    const struct phys_vec *vec,
				    struct sg_table *sgt)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	bool translated = domain && iommu_is_dma_domain(domain);
	struct pci_dev *owner = to_pci_dev(provider->owner);
	dma_addr_t addr;

	if (!sgt || !sgt->nents)
		return P2PBUF_PATH_NONE;
	addr = sg_dma_address(sgt->sgl);

	if (addr == vec->paddr + provider->bus_offset &&
	    (translated || provider->bus_offset ||
	     (dev_is_pci(dev) && switch_routes(owner, to_pci_dev(dev)))))
		return P2PBUF_PATH_BUS_ADDR;
	if (translated)
		return P2PBUF_PATH_HOST_BRIDGE_IOVA;
	return P2PBUF_PATH_HOST_BRIDGE_DIRECT;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_path_of_sgt, "P2PBUF");

#ifndef P2PBUF_COMPAT_7_3
/* The DMA API maps through an IOMMU for @dev: an IOVA, not a CPU address. */
static bool dma_translated(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	return domain && iommu_is_dma_domain(domain);
}

/**
 * p2pbuf_path_query() - the route a P2P mapping of BAR memory would take
 * @provider: p2pdma provider of the BAR
 * @dev: the device the memory would be mapped for
 *
 * Asks the PCI core (pci_p2pdma_map_type(), which dma_buf_phys_vec_to_sgt()
 * follows), before anything is mapped.  Through the host bridge, the DMA
 * API maps with an IOVA when an IOMMU translates DMA for @dev (a DMA
 * domain; not an identity domain such as iommu=pt's), with the CPU
 * physical address otherwise.
 *
 * Context: any; the PCI core caches the answer per device pair.
 * Return: the route; %P2PBUF_PATH_NONE if the PCI core knows none (@dev
 * is not a PCI device, or its path crosses a host bridge that is not on
 * the P2P allowlist).
 */
enum p2pbuf_path p2pbuf_path_query(struct p2pdma_provider *provider,
				   struct device *dev)
{
	switch (pci_p2pdma_map_type(provider, dev)) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		return P2PBUF_PATH_BUS_ADDR;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		return dma_translated(dev) ? P2PBUF_PATH_HOST_BRIDGE_IOVA :
					     P2PBUF_PATH_HOST_BRIDGE_DIRECT;
	default:
		return P2PBUF_PATH_NONE;
	}
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_path_query, "P2PBUF");
#endif /* !P2PBUF_COMPAT_7_3 */
