// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_imp: a DRM render driver for QEMU's edu device, used as the
 * importing side of peer-to-peer DMA: it imports dma-bufs the way GPUs do
 * (drmPrimeFDToHandle() on its render node), maps them for its DMA engine
 * on use, and moves real bytes to and from them, device to device when the
 * buffer is another PCI device's BAR.
 *
 * This file: module parameters, the DRM driver, PCI probe and remove.
 */
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sizes.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_prime.h>

#include <uapi/drm/p2pbuf_imp_drm.h>

#include "p2pbuf_imp_drv.h"

bool p2pbuf_imp_p2p = true;
module_param_named(p2p, p2pbuf_imp_p2p, bool, 0644);
MODULE_PARM_DESC(p2p,
		 "Accept peer-to-peer memory in imports made from now on (default: true; false: a GPU-like importer that only reaches system memory)");

unsigned int p2pbuf_imp_timeout_ms = 2000;

/* Writable at run time: a value outside the documented range is -EINVAL. */
static int p2pbuf_imp_timeout_set(const char *val,
				  const struct kernel_param *kp)
{
	unsigned int ms;
	int ret;

	ret = kstrtouint(val, 0, &ms);
	if (ret)
		return ret;
	if (ms < P2PBUF_IMP_TIMEOUT_MS_MIN || ms > P2PBUF_IMP_TIMEOUT_MS_MAX)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, ms);
	return 0;
}

static const struct kernel_param_ops p2pbuf_imp_timeout_ops = {
	.set = p2pbuf_imp_timeout_set,
	.get = param_get_uint,
};
module_param_cb(timeout_ms, &p2pbuf_imp_timeout_ops, &p2pbuf_imp_timeout_ms,
		0644);
MODULE_PARM_DESC(timeout_ms,
		 "Time an engine command may take before the engine counts as hung, 1 to 60000 ms (default: 2000)");

/*
 * The longest DMA segment the engine's walk hands out.  edu itself takes
 * any length its buffer holds; a real engine has such a limit, and
 * exporters do not honour it (see helpers/sg_walk.c).
 */
#define P2PBUF_IMP_MAX_SEG_SIZE	SZ_64K

static const struct drm_ioctl_desc p2pbuf_imp_ioctls[] = {
	DRM_IOCTL_DEF_DRV(P2PBUF_IMP_GEM_CREATE, p2pbuf_imp_gem_create_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(P2PBUF_IMP_GEM_MMAP_OFFSET,
			  p2pbuf_imp_gem_mmap_offset_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(P2PBUF_IMP_GEM_INFO, p2pbuf_imp_gem_info_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(P2PBUF_IMP_COPY, p2pbuf_imp_copy_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(P2PBUF_IMP_PATTERN, p2pbuf_imp_pattern_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(P2PBUF_IMP_BENCH_MAP, p2pbuf_imp_bench_map_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(P2PBUF_IMP_GEM_MAPPING, p2pbuf_imp_gem_mapping_ioctl,
			  DRM_RENDER_ALLOW),
};

DEFINE_DRM_GEM_FOPS(p2pbuf_imp_fops);

static const struct drm_driver p2pbuf_imp_drm_driver = {
	.driver_features = DRIVER_GEM | DRIVER_RENDER,
	.ioctls = p2pbuf_imp_ioctls,
	.num_ioctls = ARRAY_SIZE(p2pbuf_imp_ioctls),
	.fops = &p2pbuf_imp_fops,
	.debugfs_init = p2pbuf_imp_debugfs_init,
	.gem_prime_import = p2pbuf_imp_gem_prime_import,
	.gem_create_object = p2pbuf_imp_gem_create_object,
	.name = P2PBUF_IMP_NAME,
	.desc = "p2pbuf importer: DMA engine for peer-to-peer dma-bufs",
	.major = 1,
	.minor = 0,
};

static int p2pbuf_imp_probe(struct pci_dev *pdev,
			    const struct pci_device_id *id)
{
	struct p2pbuf_imp_device *idev;
	int ret;

	idev = devm_drm_dev_alloc(&pdev->dev, &p2pbuf_imp_drm_driver,
				  struct p2pbuf_imp_device, drm);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	idev->pdev = pdev;
	INIT_LIST_HEAD(&idev->imports);
	INIT_LIST_HEAD(&idev->natives);
	ret = drmm_mutex_init(&idev->drm, &idev->imports_lock);
	if (ret)
		return ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	dma_set_max_seg_size(&pdev->dev, P2PBUF_IMP_MAX_SEG_SIZE);
	pci_set_master(pdev);

	ret = p2pbuf_imp_engine_init(&idev->engine, &idev->drm, pdev);
	if (ret)
		return dev_err_probe(&pdev->dev, ret, "DMA engine setup failed\n");

	pci_set_drvdata(pdev, idev);
	p2pbuf_imp_debugfs_register(idev);
	return drm_dev_register(&idev->drm, 0);
}

static void p2pbuf_imp_remove(struct pci_dev *pdev)
{
	struct p2pbuf_imp_device *idev = pci_get_drvdata(pdev);

	/*
	 * Waits for running ioctls; their jobs see the device unplugged and
	 * stop after the engine command in flight.
	 */
	drm_dev_unplug(&idev->drm);
	/* Objects may live on in open files, their mappings may not. */
	p2pbuf_imp_prime_kill_all(idev);
	p2pbuf_imp_gem_unmap_all(idev);
	/*
	 * devres frees the bounce buffer next: the device must not reach it,
	 * nor any memory, even with a command that timed out.
	 */
	p2pbuf_imp_engine_fini(&idev->engine);
	/* The engine's registers, interrupt and memory go with devres. */
}

static const struct pci_device_id p2pbuf_imp_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },	/* QEMU edu */
	{ }
};
MODULE_DEVICE_TABLE(pci, p2pbuf_imp_ids);

static struct pci_driver p2pbuf_imp_pci_driver = {
	.name = "p2pbuf_importer",
	.id_table = p2pbuf_imp_ids,
	.probe = p2pbuf_imp_probe,
	.remove = p2pbuf_imp_remove,
};
module_pci_driver(p2pbuf_imp_pci_driver);

MODULE_DESCRIPTION("p2pbuf importer: DRM driver importing peer-to-peer dma-bufs for a DMA engine");
MODULE_AUTHOR("p2pbuf maintainers <maintainers@users.noreply.h-seed-c08c0a3c.example>");
MODULE_LICENSE("GPL");
MODULE_VERSION(P2PBUF_VERSION);
MODULE_IMPORT_NS("DMA_BUF");
MODULE_IMPORT_NS("P2PBUF");
