// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_helpers_kunit: KUnit suites for the pure logic of helpers/ (the
 * attach and placement table, sg_walk's splitting, route classification,
 * the revoke reasons), on real kernel objects: sg tables with made-up DMA
 * addresses, KUnit devices with chosen DMA limits, a real dma-buf, and the
 * bed's own PCI devices where the logic asks the PCI core.
 */
#include <kunit/device.h>
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "p2pbuf_kunit.h"

KUNIT_DEFINE_ACTION_WRAPPER(p2pbuf_kunit_pci_dev_put, pci_dev_put,
			    struct pci_dev *);

/**
 * p2pbuf_kunit_pci_dev() - one of the bed's PCI devices, or skip the test
 * @test: the running test; the reference is dropped when it ends
 * @vendor: PCI vendor ID
 * @device: PCI device ID
 *
 * Return: the first device with these IDs; the test is skipped (and this
 * does not return) if the machine has none.
 */
struct pci_dev *p2pbuf_kunit_pci_dev(struct kunit *test, u16 vendor,
				     u16 device)
{
	struct pci_dev *pdev = pci_get_device(vendor, device, NULL);
	int ret;

	if (!pdev)
		kunit_skip(test, "no PCI device %04x:%04x: not the p2pbuf test bed",
			   vendor, device);
	ret = kunit_add_action_or_reset(test, p2pbuf_kunit_pci_dev_put, pdev);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return pdev;
}

/**
 * p2pbuf_kunit_device() - a KUnit device, not a PCI one, with no DMA limits
 * @test: the running test; the device goes when it ends
 *
 * Each device gets a name of its own: kunit_device_register() registers a
 * driver of the device's name, and a second one of the same name fails.
 *
 * Return: the device; the test fails (and this does not return) if it
 * cannot be made.
 */
struct device *p2pbuf_kunit_device(struct kunit *test)
{
	static atomic_t seq = ATOMIC_INIT(0);
	struct device *dev;
	char *name;

	name = kunit_kzalloc(test, 32, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, name);
	snprintf(name, 32, "p2pbuf-kunit-%d", atomic_inc_return(&seq));
	dev = kunit_device_register(test, name);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	return dev;
}

MODULE_DESCRIPTION("KUnit tests for the p2pbuf helpers");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("P2PBUF");
MODULE_IMPORT_NS("DMA_BUF");
