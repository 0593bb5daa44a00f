// SPDX-License-Identifier: GPL-2.0
/*
 * PRIME import: a dma-buf becomes a GEM object with a dynamic attachment.
 *
 * drm_gem_prime_import() would attach statically and map at once, for the
 * object's whole life: the exporter could then never move or revoke the
 * memory.  This driver imports the way GPU drivers import device memory
 * instead: a dynamic attachment (helpers/dynamic_import.c) that is mapped
 * on first use under the reservation lock, given back when the exporter
 * invalidates it, and mapped again on the next use.  The engine quiesces
 * a buffer's DMA before the mapping is given back
 * (p2pbuf_imp_engine_quiesce()).
 *
 * An import is mapped with the exporter's sg_table until userspace lets
 * it take a physical address list (DRM_IOCTL_P2PBUF_IMP_GEM_MAPPING):
 * the driver then maps the exporter's ranges itself (p2pbuf_imp_pal.c).
 *
 * The attachment allows peer-to-peer memory unless the p2p module
 * parameter was off when the buffer was imported: the importer then
 * behaves like a device that can only reach system memory, and exporters
 * of BAR memory refuse it.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_prime.h>

#include "p2pbuf_imp_drv.h"

static void p2pbuf_imp_import_free(struct drm_gem_object *obj)
{
	struct p2pbuf_imp_import *imp = to_p2pbuf_imp_import(obj);
	struct p2pbuf_imp_device *idev = to_p2pbuf_imp(obj->dev);

	mutex_lock(&idev->imports_lock);
	list_del(&imp->node);
	mutex_unlock(&idev->imports_lock);

	/* No job uses the object: jobs hold references to their objects. */
	p2pbuf_dynimp_detach(&imp->dynimp);
	dma_buf_put(imp->dmabuf);
	drm_gem_object_release(obj);
	kfree(imp);
}

/* Imports have no CPU mapping and no pages: the exporter owns the memory. */
static const struct drm_gem_object_funcs p2pbuf_imp_import_funcs = {
	.free = p2pbuf_imp_import_free,
};

/**
 * to_p2pbuf_imp_import() - the import behind a GEM object
 * @obj: any GEM object of the device
 *
 * Return: the import, or NULL for a native object.
 */
struct p2pbuf_imp_import *to_p2pbuf_imp_import(struct drm_gem_object *obj)
{
	if (obj->funcs != &p2pbuf_imp_import_funcs)
		return NULL;
	return container_of(obj, struct p2pbuf_imp_import, base);
}

/* Called by the exporter's invalidation, with the dma-buf's resv held. */
static void p2pbuf_imp_import_quiesce(struct p2pbuf_dynimp *dynimp)
{
	struct p2pbuf_imp_import *imp =
		container_of(dynimp, struct p2pbuf_imp_import, dynimp);

	p2pbuf_imp_engine_quiesce(&to_p2pbuf_imp(imp->base.dev)->engine,
				  imp->base.resv);
}

static const struct p2pbuf_dynimp_ops p2pbuf_imp_dynimp_ops = {
	.quiesce = p2pbuf_imp_import_quiesce,
	.pal_map = p2pbuf_imp_import_pal_map,
	.pal_unmap = p2pbuf_imp_import_pal_unmap,
};

/**
 * p2pbuf_imp_gem_prime_import() - &drm_driver.gem_prime_import
 * @drm: the DRM device
 * @dmabuf: the buffer to import
 *
 * Called by the DRM core (DRM_IOCTL_PRIME_FD_TO_HANDLE), without the
 * dma-buf's reservation lock.  Nothing is mapped.
 *
 * Return: a new GEM object, the object itself for a buffer this device
 * exported, or an ERR_PTR(): the exporter's error when it refuses the
 * attachment (p2pbuf_exporter: -EOPNOTSUPP for an importer that cannot do
 * peer-to-peer or cannot reach the BAR), -EINVAL for a buffer whose size
 * is not a multiple of the page size, -ENODEV once the device is unbound.
 */
struct drm_gem_object *p2pbuf_imp_gem_prime_import(struct drm_device *drm,
						   struct dma_buf *dmabuf)
{
	struct p2pbuf_imp_device *idev = to_p2pbuf_imp(drm);
	struct p2pbuf_imp_import *imp;
	struct drm_gem_object *obj;
	int ret, idx;

	if (drm_gem_is_prime_exported_dma_buf(drm, dmabuf)) {
		obj = dmabuf->priv;
		if (obj->dev == drm) {
			drm_gem_object_get(obj);
			return obj;
		}
	}
	if (!dmabuf->size || !PAGE_ALIGNED(dmabuf->size))
		return ERR_PTR(-EINVAL);

	/* Every import made before an unbind is on the list unbind walks. */
	if (!drm_dev_enter(drm, &idx))
		return ERR_PTR(-ENODEV);

	imp = kzalloc_obj(*imp);
	if (!imp) {
		ret = -ENOMEM;
		goto err_exit;
	}
	imp->base.funcs = &p2pbuf_imp_import_funcs;
	/* Share the exporter's reservation object, as every import does. */
	imp->base.resv = dmabuf->resv;
	drm_gem_private_object_init(drm, &imp->base, dmabuf->size);

	ret = p2pbuf_dynimp_attach(&imp->dynimp, dmabuf, drm->dev,
				   READ_ONCE(p2pbuf_imp_p2p),
				   &p2pbuf_imp_dynimp_ops);
	if (ret)
		goto err_release;
	get_dma_buf(dmabuf);
	imp->dmabuf = dmabuf;
	imp->base.import_attach = imp->dynimp.attach;

	mutex_lock(&idev->imports_lock);
	list_add_tail(&imp->node, &idev->imports);
	mutex_unlock(&idev->imports_lock);
	drm_dev_exit(idx);
	return &imp->base;

err_release:
	drm_gem_object_release(&imp->base);
	kfree(imp);
err_exit:
	drm_dev_exit(idx);
	return ERR_PTR(ret);
}

/**
 * p2pbuf_imp_prime_kill_all() - unmap every import for good
 * @idev: the device, unplugged (no ioctl runs any more)
 *
 * Called on unbind: the imports may outlive the device (their handles are
 * in open files), but must not keep mappings made for it.  They keep their
 * attachments until they are freed.
 */
void p2pbuf_imp_prime_kill_all(struct p2pbuf_imp_device *idev)
{
	struct p2pbuf_imp_import *imp;

	mutex_lock(&idev->imports_lock);
	list_for_each_entry(imp, &idev->imports, node) {
		dma_resv_lock(imp->base.resv, NULL);
		p2pbuf_dynimp_kill(&imp->dynimp);
		dma_resv_unlock(imp->base.resv);
	}
	mutex_unlock(&idev->imports_lock);
}
