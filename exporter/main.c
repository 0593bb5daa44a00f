// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_exporter: hand out PCI BAR memory as dma-bufs for peer-to-peer
 * DMA, VFIO-style (drivers/vfio/pci/vfio_pci_dmabuf.c): physical ranges of
 * the BAR, the PCI core's p2pdma provider, and a revoke that takes every
 * mapping back before the memory goes away.
 *
 * This file is the PCI driver: binding, unbinding, reset.  See
 * Documentation/exporter.rst.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>

#include <uapi/linux/p2pbuf_exporter.h>

#include "p2pbuf_exporter.h"

static void p2pbuf_exp_dev_free(struct kref *kref)
{
	struct p2pbuf_exp_dev *dev = container_of(kref, struct p2pbuf_exp_dev,
						  kref);

	WARN_ON(!list_empty(&dev->buffers));
	p2pbuf_exp_bar_alloc_fini(dev);
	mutex_destroy(&dev->lock);
	mutex_destroy(&dev->walk_lock);
	pci_dev_put(dev->pdev);
	kfree(dev);
}

/**
 * p2pbuf_exp_dev_put() - drop a reference to a device
 * @dev: the device
 */
void p2pbuf_exp_dev_put(struct p2pbuf_exp_dev *dev)
{
	kref_put(&dev->kref, p2pbuf_exp_dev_free);
}

/*
 * Which BARs are exported: those named in the match's driver_data (a bit
 * mask), or, with driver_data 0 (every entry of the table, and devices
 * added through new_id), every prefetchable memory BAR: device memory, not
 * registers.  A BAR must be at least a page and page aligned.
 */
static bool p2pbuf_exp_bar_wanted(struct pci_dev *pdev, int bar,
				  unsigned long mask)
{
	unsigned long flags = pci_resource_flags(pdev, bar);

	if (!(flags & IORESOURCE_MEM) || flags & IORESOURCE_UNSET)
		return false;
	if (pci_resource_len(pdev, bar) < PAGE_SIZE ||
	    !PAGE_ALIGNED(pci_resource_start(pdev, bar)))
		return false;
	if (mask)
		return mask & BIT(bar);
	return flags & IORESOURCE_PREFETCH;
}

static int p2pbuf_exp_setup_bars(struct p2pbuf_exp_dev *dev,
				 unsigned long mask)
{
	struct pci_dev *pdev = dev->pdev;
	int bar, ret, found = 0;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		struct p2pdma_provider *provider;

		if (!p2pbuf_exp_bar_wanted(pdev, bar, mask))
			continue;
		provider = pcim_p2pdma_provider(pdev, bar);
		if (!provider)
			continue;
		/* Nobody else may drive the memory we hand out. */
		ret = pcim_request_region(pdev, bar, KBUILD_MODNAME);
		if (ret)
			return ret;
		dev->bars[bar].provider = provider;
		dev->bars[bar].start = pci_resource_start(pdev, bar);
		dev->bars[bar].len = pci_resource_len(pdev, bar);
		ret = p2pbuf_exp_bar_alloc_init(dev, bar);
		if (ret)
			return ret;
		found++;
	}
	return found ? 0 : -ENODEV;
}

static int p2pbuf_exp_probe(struct pci_dev *pdev,
			    const struct pci_device_id *id)
{
	struct p2pbuf_exp_dev *dev;
	int ret;

	dev = kzalloc_obj(*dev);
	if (!dev)
		return -ENOMEM;
	kref_init(&dev->kref);
	dev->pdev = pci_dev_get(pdev);
	mutex_init(&dev->walk_lock);
	mutex_init(&dev->lock);
	INIT_LIST_HEAD(&dev->buffers);
	INIT_LIST_HEAD(&dev->poison_later);

	/* Device-managed: undone after remove() or a failed probe. */
	ret = pcim_enable_device(pdev);
	if (ret)
		goto err_put;
	ret = pcim_p2pdma_init(pdev);
	if (ret)
		goto err_put;
	ret = p2pbuf_exp_setup_bars(dev, id->driver_data);
	if (ret) {
		dev_err(&pdev->dev, "no BAR to export (%d)\n", ret);
		goto err_put;
	}

	pci_set_drvdata(pdev, dev);
	p2pbuf_exp_debugfs_add(dev);
	ret = p2pbuf_exp_cdev_register(dev);
	if (ret)
		goto err_debugfs;
	dev_info(&pdev->dev, "exporting through /dev/%s\n", dev->name);
	return 0;

err_debugfs:
	p2pbuf_exp_debugfs_remove(dev);
err_put:
	p2pbuf_exp_dev_put(dev);
	return ret;
}

/*
 * The p2pdma provider, the BARs' claim and their kernel mapping are
 * released after this returns: no importer may hold a mapping of a BAR by
 * then, and migratable objects have moved to system memory for good.
 */
static void p2pbuf_exp_remove(struct pci_dev *pdev)
{
	struct p2pbuf_exp_dev *dev = pci_get_drvdata(pdev);

	p2pbuf_exp_cdev_unregister(dev);
	mutex_lock(&dev->lock);
	dev->gone = true;
	mutex_unlock(&dev->lock);
	p2pbuf_exp_revoke_all(dev, P2PBUF_EXP_REVOKED_GONE);
	/* No object is in a BAR now; objects released later don't touch it. */
	mutex_lock(&dev->lock);
	p2pbuf_exp_bar_release_deferred(dev);
	dev->io_gone = true;
	mutex_unlock(&dev->lock);
	p2pbuf_exp_debugfs_remove(dev);
	p2pbuf_exp_dev_put(dev);
}

/* The BARs are about to stop decoding: take every mapping back. */
static void p2pbuf_exp_reset_prepare(struct pci_dev *pdev)
{
	struct p2pbuf_exp_dev *dev = pci_get_drvdata(pdev);

	mutex_lock(&dev->lock);
	dev->in_reset = true;
	mutex_unlock(&dev->lock);
	p2pbuf_exp_revoke_all(dev, P2PBUF_EXP_REVOKED_RESET);
}

static void p2pbuf_exp_reset_done(struct pci_dev *pdev)
{
	struct p2pbuf_exp_dev *dev = pci_get_drvdata(pdev);

	mutex_lock(&dev->lock);
	/* The BARs decode again: poison what was released meanwhile. */
	p2pbuf_exp_bar_release_deferred(dev);
	dev->in_reset = false;
	dev->resets++;
	mutex_unlock(&dev->lock);
	p2pbuf_exp_restore_all(dev, P2PBUF_EXP_REVOKED_RESET);
}

static const struct pci_error_handlers p2pbuf_exp_err_handlers = {
	.reset_prepare = p2pbuf_exp_reset_prepare,
	.reset_done = p2pbuf_exp_reset_done,
};

/* driver_data: mask of the BARs to export, 0 for the prefetchable ones. */
static const struct pci_device_id p2pbuf_exp_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1110) },	/* ivshmem */
	{ }
};
MODULE_DEVICE_TABLE(pci, p2pbuf_exp_ids);

static struct pci_driver p2pbuf_exp_driver = {
	.name = KBUILD_MODNAME,
	.id_table = p2pbuf_exp_ids,
	.probe = p2pbuf_exp_probe,
	.remove = p2pbuf_exp_remove,
	.err_handler = &p2pbuf_exp_err_handlers,
};

static int __init p2pbuf_exp_init(void)
{
	int ret;

	p2pbuf_exp_debugfs_init();
	ret = pci_register_driver(&p2pbuf_exp_driver);
	if (ret)
		p2pbuf_exp_debugfs_exit();
	return ret;
}

static void __exit p2pbuf_exp_exit(void)
{
	pci_unregister_driver(&p2pbuf_exp_driver);
	p2pbuf_exp_debugfs_exit();
}

module_init(p2pbuf_exp_init);
module_exit(p2pbuf_exp_exit);
MODULE_DESCRIPTION("p2pbuf: dma-bufs of PCI BAR memory for peer-to-peer DMA");
MODULE_AUTHOR("p2pbuf maintainers <maintainers@users.noreply.h-seed-c08c0a3c.example>");
MODULE_LICENSE("GPL");
MODULE_VERSION(P2PBUF_VERSION);
MODULE_IMPORT_NS("DMA_BUF");
MODULE_IMPORT_NS("P2PBUF");
