// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: helpers/p2p_path.c reads the P2P route back from the first DMA
 * address of a mapping.  The mappings are one-entry sg_tables with the
 * address each route would give; the provider is a struct p2pdma_provider
 * filled as pcim_p2pdma_provider() fills it; the client is either a KUnit
 * device (no PCI, no IOMMU) or the bed's edu, so that the switch test
 * runs on the PCI core's real hierarchy.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>

#include <p2pbuf/p2p_path.h>

#include "p2pbuf_kunit.h"

#define BAR_PADDR	0xfe000000ULL

KUNIT_DEFINE_ACTION_WRAPPER(sg_free_table_action, sg_free_table,
			    struct sg_table *);

/* A mapping of one range whose first DMA address is @addr. */
static struct sg_table *mapping_at(struct kunit *test, dma_addr_t addr)
{
	struct sg_table *sgt = kunit_kzalloc(test, sizeof(*sgt), GFP_KERNEL);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, sgt);
	KUNIT_ASSERT_EQ(test, 0, sg_alloc_table(sgt, 1, GFP_KERNEL));
	ret = kunit_add_action_or_reset(test, sg_free_table_action, sgt);
	KUNIT_ASSERT_EQ(test, ret, 0);
	sg_dma_address(sgt->sgl) = addr;
	sg_dma_len(sgt->sgl) = SZ_4K;
	return sgt;
}

static const char *route(const struct p2pdma_provider *provider,
			 struct device *dev, const struct phys_vec *vec,
			 struct sg_table *sgt)
{
	return p2pbuf_path_name(p2pbuf_path_of_sgt(provider, dev, vec, sgt));
}

static void p2p_path_no_mapping(struct kunit *test)
{
	struct phys_vec vec = { .paddr = BAR_PADDR, .len = SZ_4K };
	struct p2pdma_provider provider = { .owner = p2pbuf_kunit_device(test) };
	struct sg_table *sgt = mapping_at(test, BAR_PADDR);
	struct device *dev = p2pbuf_kunit_device(test);

	KUNIT_EXPECT_STREQ(test, route(&provider, dev, &vec, NULL), "none");
	sgt->nents = 0;
	KUNIT_EXPECT_STREQ(test, route(&provider, dev, &vec, sgt), "none");
}

/*
 * Where bus and CPU addresses differ (bus_offset), the bus address alone
 * says the switch routed it; anything else with no IOMMU is the CPU
 * physical address through the host bridge.
 */
static void p2p_path_bus_offset(struct kunit *test)
{
	struct phys_vec vec = { .paddr = BAR_PADDR, .len = SZ_4K };
	struct p2pdma_provider provider = {
		.owner = p2pbuf_kunit_device(test),
		.bus_offset = 0x100000000ULL,
	};
	struct device *dev = p2pbuf_kunit_device(test);

	KUNIT_ASSERT_NULL(test, iommu_get_domain_for_dev(dev));
	KUNIT_EXPECT_STREQ(test, route(&provider, dev, &vec,
				       mapping_at(test, BAR_PADDR + provider.bus_offset)),
			   "bus-addr");
	KUNIT_EXPECT_STREQ(test, route(&provider, dev, &vec,
				       mapping_at(test, BAR_PADDR)),
			   "host-bridge-direct");
}

/*
 * bus == CPU address, no IOMMU, no PCI client: nothing says a switch
 * routed it, so it is the host bridge's direct route.
 */
static void p2p_path_direct_not_pci(struct kunit *test)
{
	struct phys_vec vec = { .paddr = BAR_PADDR, .len = SZ_4K };
	struct p2pdma_provider provider = { .owner = p2pbuf_kunit_device(test) };
	struct device *dev = p2pbuf_kunit_device(test);

	KUNIT_EXPECT_STREQ(test, route(&provider, dev, &vec,
				       mapping_at(test, BAR_PADDR)),
			   "host-bridge-direct");
}

/* Do @a and @b meet at a bridge below the host bridge? */
static bool share_bridge(struct pci_dev *a, struct pci_dev *b)
{
	struct pci_dev *up_a, *up_b;

	for (up_a = pci_upstream_bridge(a); up_a; up_a = pci_upstream_bridge(up_a))
		for (up_b = pci_upstream_bridge(b); up_b; up_b = pci_upstream_bridge(up_b))
			if (up_a == up_b)
				return true;
	return false;
}

/*
 * The bed's devices: bus == CPU address, so only the PCI hierarchy tells
 * the switch's route from the host bridge's; an address that is not the
 * BAR's is an IOVA when an IOMMU translates for the importer.
 */
static void p2p_path_bed_devices(struct kunit *test)
{
	struct pci_dev *exp = p2pbuf_kunit_pci_dev(test, P2PBUF_KUNIT_EXP_VENDOR,
						   P2PBUF_KUNIT_EXP_DEVICE);
	struct pci_dev *imp = p2pbuf_kunit_pci_dev(test, P2PBUF_KUNIT_IMP_VENDOR,
						   P2PBUF_KUNIT_IMP_DEVICE);
	struct phys_vec vec = { .paddr = pci_resource_start(exp, 2), .len = SZ_4K };
	struct p2pdma_provider provider = { .owner = &exp->dev };
	struct iommu_domain *domain = iommu_get_domain_for_dev(&imp->dev);
	bool translated = domain && iommu_is_dma_domain(domain);
	bool sw = share_bridge(exp, imp);

	KUNIT_EXPECT_STREQ(test, route(&provider, &imp->dev, &vec,
				       mapping_at(test, vec.paddr)),
			   sw || translated ? "bus-addr" : "host-bridge-direct");
	KUNIT_EXPECT_STREQ(test, route(&provider, &imp->dev, &vec,
				       mapping_at(test, 0xfff00000)),
			   translated ? "host-bridge-iova" : "host-bridge-direct");
}

static void p2p_path_names(struct kunit *test)
{
	KUNIT_EXPECT_STREQ(test, p2pbuf_path_name(P2PBUF_PATH_NONE), "none");
	KUNIT_EXPECT_STREQ(test, p2pbuf_path_name(P2PBUF_PATH_HOST_BRIDGE_IOVA),
			   "host-bridge-iova");
	KUNIT_EXPECT_STREQ(test, p2pbuf_path_name(P2PBUF_PATH_HOST_BRIDGE_DIRECT + 1),
			   "unknown");
}

static struct kunit_case p2p_path_cases[] = {
	KUNIT_CASE(p2p_path_no_mapping),
	KUNIT_CASE(p2p_path_bus_offset),
	KUNIT_CASE(p2p_path_direct_not_pci),
	KUNIT_CASE(p2p_path_bed_devices),
	KUNIT_CASE(p2p_path_names),
	{}
};

static struct kunit_suite p2p_path_suite = {
	.name = "p2pbuf_p2p_path",
	.test_cases = p2p_path_cases,
};

kunit_test_suite(p2p_path_suite);
