// SPDX-License-Identifier: GPL-2.0
/*
 * Classify a peer-to-peer mapping of BAR memory by the route it takes.
 *
 * The kernel decides the route in pci_p2pdma_map_type(), which is not
 * exported to modules, and does not record it in the sg_table that
 * dma_buf_phys_vec_to_sgt() returns.  The route can be read back from the
 * addresses: an address that is not the bus address of the memory came
 * from an IOMMU.  Where bus and CPU physical addresses are the same number
 * and no IOMMU translates (x86 without an IOMMU), the route is told apart
 * the way the PCI core tells it: a common upstream bridge without ACS
 * redirection on the path means the switch routes the bus address.
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
