// SPDX-License-Identifier: GPL-2.0
/*
 * GEM objects: native ones in system memory, and the engine's view of any
 * object (native or imported) as an sg_table of DMA addresses.
 *
 * Native objects are shmem-backed (drm_gem_shmem) and mapped for the
 * engine when they are created; their pages stay pinned and mapped until
 * the object is freed or the device is unbound, so their DMA addresses
 * never change while the engine can use them.  An object may outlive the
 * device (a handle in an open file, a CPU mapping): unbind gives back its
 * mapping of the device and keeps the pages.  Imported objects are mapped
 * on use (p2pbuf_imp_prime.c).
 */
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_vma_manager.h>

#include <uapi/drm/p2pbuf_imp_drm.h>

#include "p2pbuf_imp_drv.h"

/* The current mapping of an import; it is mapped. */
static void p2pbuf_imp_import_dma(struct p2pbuf_imp_import *imp,
				  struct p2pbuf_imp_dma *dma)
{
	*dma = (struct p2pbuf_imp_dma){ .sgt = imp->dynimp.sgt };
	if (imp->dynimp.pal_mapped) {
		dma->ranges = imp->pal_map.ranges;
		dma->nr_ranges = imp->pal_map.nr;
	}
}

/**
 * p2pbuf_imp_gem_map() - the DMA addresses of an object for the engine
 * @obj: a native or imported object, with its reservation lock held
 * @dma: set to the addresses: an sg_table (native objects, imports of the
 *	sg_table type) or the driver's own range list (PAL imports)
 *
 * An import is mapped if it is not (see p2pbuf_dynimp_map()).  The result
 * stays valid while the lock is held, and after that for as long as a job
 * whose fence is in the object's reservation object runs.
 *
 * Return: 0, or for imports the error of the map (the exporter's, or the
 * driver's own mapping of a PAL); -ENODEV for a native object after
 * unbind.
 */
int p2pbuf_imp_gem_map(struct drm_gem_object *obj, struct p2pbuf_imp_dma *dma)
{
	struct p2pbuf_imp_import *imp = to_p2pbuf_imp_import(obj);
	struct drm_gem_shmem_object *shmem;
	int ret;

	dma_resv_assert_held(obj->resv);

	if (imp) {
		ret = p2pbuf_dynimp_map(&imp->dynimp);
		if (!ret)
			p2pbuf_imp_import_dma(imp, dma);
		return ret;
	}
	shmem = to_drm_gem_shmem_obj(obj);
	*dma = (struct p2pbuf_imp_dma){ .sgt = shmem->sgt };
	return shmem->sgt ? 0 : -ENODEV;
}

static struct p2pbuf_imp_native *to_p2pbuf_imp_native(struct drm_gem_object *obj)
{
	return container_of(to_drm_gem_shmem_obj(obj), struct p2pbuf_imp_native,
			    shmem);
}

static void p2pbuf_imp_native_free(struct drm_gem_object *obj)
{
	struct p2pbuf_imp_native *native = to_p2pbuf_imp_native(obj);
	struct p2pbuf_imp_device *idev = to_p2pbuf_imp(obj->dev);

	mutex_lock(&idev->imports_lock);
	list_del(&native->node);
	mutex_unlock(&idev->imports_lock);
	/*
	 * Unmapped (unless unbind did) before the pin of
	 * p2pbuf_imp_gem_map_native() is dropped: the pages must outlive
	 * their mapping.  A failed create has neither; after unbind only the
	 * pin is left.
	 */
	dma_resv_lock(obj->resv, NULL);
	if (native->shmem.sgt)
		__drm_gem_shmem_free_sgt_locked(&native->shmem);
	if (native->shmem.pages)
		drm_gem_shmem_unpin_locked(&native->shmem);
	dma_resv_unlock(obj->resv);
	drm_gem_shmem_release(&native->shmem);
	kfree(native);
}

/* drm_gem_shmem's own functions, but a free that leaves the device's list. */
static const struct drm_gem_object_funcs p2pbuf_imp_native_funcs = {
	.free = p2pbuf_imp_native_free,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

/**
 * p2pbuf_imp_gem_create_object() - &drm_driver.gem_create_object
 * @drm: the DRM device
 * @size: the object's size
 *
 * Allocates a native object for drm_gem_shmem_create(), which initializes
 * it (and frees it with kfree() on failure: the shmem object comes first).
 *
 * Return: the object, or ERR_PTR(-ENOMEM).
 */
struct drm_gem_object *p2pbuf_imp_gem_create_object(struct drm_device *drm,
						    size_t size)
{
	struct p2pbuf_imp_native *native;

	BUILD_BUG_ON(offsetof(struct p2pbuf_imp_native, shmem.base));
	native = kzalloc_obj(*native);
	if (!native)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&native->node);
	native->shmem.base.funcs = &p2pbuf_imp_native_funcs;
	return &native->shmem.base;
}

/**
 * p2pbuf_imp_gem_unmap_all() - give back every native object's mapping
 * @idev: the device, unplugged (no ioctl runs any more, none creates an
 *	object)
 *
 * Called on unbind: the objects stay (open files hold them, CPU mappings
 * still work), their DMA mappings of the device do not.  Their pages stay
 * pinned until they are freed.
 */
void p2pbuf_imp_gem_unmap_all(struct p2pbuf_imp_device *idev)
{
	struct p2pbuf_imp_native *native;

	mutex_lock(&idev->imports_lock);
	list_for_each_entry(native, &idev->natives, node) {
		dma_resv_lock(native->shmem.base.resv, NULL);
		if (native->shmem.sgt)
			__drm_gem_shmem_free_sgt_locked(&native->shmem);
		dma_resv_unlock(native->shmem.base.resv);
	}
	mutex_unlock(&idev->imports_lock);
}

/**
 * p2pbuf_imp_gem_sync() - hand a native object to the engine or the CPU
 * @obj: the object
 * @sgt: its table, from p2pbuf_imp_gem_map()
 * @for_device: true before the engine uses it, false after
 *
 * Imports need nothing: the exporter's memory is not cached by the CPU on
 * our behalf (and a PAL import has no table).
 */
void p2pbuf_imp_gem_sync(struct drm_gem_object *obj, struct sg_table *sgt,
			 bool for_device)
{
	if (to_p2pbuf_imp_import(obj) || !sgt)
		return;
	if (for_device)
		dma_sync_sgtable_for_device(obj->dev->dev, sgt,
					    DMA_BIDIRECTIONAL);
	else
		dma_sync_sgtable_for_cpu(obj->dev->dev, sgt, DMA_BIDIRECTIONAL);
}

/*
 * Pins a new object's pages and maps them for the engine, in segments of
 * at most the device's max segment size.  Not drm_gem_shmem_get_pages_sgt():
 * in Linux 7.3 it builds its table with drm_prime_pages_to_sg(), whose
 * segments are capped at dma_max_mapping_size() only, and hands segments
 * longer than dma_get_max_seg_size() (SZ_64K here) to dma_map_sgtable()
 * (DMA-API debug: "mapping sg segment longer than device claims to
 * support"; upstream/linux-7.3/0007 fixes the helper).
 */
static int p2pbuf_imp_gem_map_native(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;
	struct device *dev = obj->dev->dev;
	struct sg_table *sgt;
	int ret;

	dma_resv_lock(obj->resv, NULL);
	ret = drm_gem_shmem_pin_locked(shmem);
	if (ret)
		goto unlock;
	sgt = kzalloc_obj(*sgt);
	if (!sgt) {
		ret = -ENOMEM;
		goto unpin;
	}
	ret = sg_alloc_table_from_pages_segment(sgt, shmem->pages,
						obj->size >> PAGE_SHIFT, 0,
						obj->size,
						dma_get_max_seg_size(dev),
						GFP_KERNEL);
	if (ret)
		goto free;
	ret = dma_map_sgtable(dev, sgt, DMA_BIDIRECTIONAL, 0);
	if (ret)
		goto free_table;
	/* From here on drm_gem_shmem's helpers own the table. */
	shmem->sgt = sgt;
	dma_resv_unlock(obj->resv);
	return 0;

free_table:
	sg_free_table(sgt);
free:
	kfree(sgt);
unpin:
	drm_gem_shmem_unpin_locked(shmem);
unlock:
	dma_resv_unlock(obj->resv);
	return ret;
}

/* DRM_IOCTL_P2PBUF_IMP_GEM_CREATE */
int p2pbuf_imp_gem_create_ioctl(struct drm_device *drm, void *data,
				struct drm_file *file)
{
	struct p2pbuf_imp_device *idev = to_p2pbuf_imp(drm);
	struct drm_p2pbuf_imp_gem_create *args = data;
	struct drm_gem_shmem_object *shmem;
	size_t size;
	int ret, idx;

	if (args->flags || !args->size)
		return -EINVAL;
	if (args->size > P2PBUF_IMP_MAX_OBJECT_SIZE)
		return -E2BIG;
	size = PAGE_ALIGN(args->size);

	/* Every object mapped for the device is on the list unbind walks. */
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	shmem = drm_gem_shmem_create(drm, size);
	if (IS_ERR(shmem)) {
		ret = PTR_ERR(shmem);
		goto exit;
	}
	/*
	 * Listed before it maps: debugfs's dma_mask refuses a change while
	 * any object is listed.  A failed map is undone by the free.
	 */
	mutex_lock(&idev->imports_lock);
	list_add_tail(&to_p2pbuf_imp_native(&shmem->base)->node,
		      &idev->natives);
	mutex_unlock(&idev->imports_lock);
	/* Allocates, pins and maps the pages for the engine, until unbind. */
	ret = p2pbuf_imp_gem_map_native(shmem);
	if (ret)
		goto put;
	ret = drm_gem_handle_create(file, &shmem->base, &args->handle);
	if (!ret)
		args->size = size;
put:
	drm_gem_object_put(&shmem->base);
exit:
	drm_dev_exit(idx);
	return ret;
}

/* DRM_IOCTL_P2PBUF_IMP_GEM_MMAP_OFFSET */
int p2pbuf_imp_gem_mmap_offset_ioctl(struct drm_device *drm, void *data,
				     struct drm_file *file)
{
	struct drm_p2pbuf_imp_gem_mmap_offset *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->pad)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	if (to_p2pbuf_imp_import(obj)) {
		ret = -EINVAL;
		goto out;
	}
	ret = drm_gem_create_mmap_offset(obj);
	if (!ret)
		args->offset = drm_vma_node_offset_addr(&obj->vma_node);
out:
	drm_gem_object_put(obj);
	return ret;
}

static const u32 p2pbuf_imp_uapi_state[] = {
	[P2PBUF_DYNIMP_UNMAPPED] = P2PBUF_IMP_STATE_UNMAPPED,
	[P2PBUF_DYNIMP_MAPPED] = P2PBUF_IMP_STATE_MAPPED,
	[P2PBUF_DYNIMP_INVALIDATED] = P2PBUF_IMP_STATE_INVALIDATED,
	[P2PBUF_DYNIMP_DEAD] = P2PBUF_IMP_STATE_DEAD,
};

/* DRM_IOCTL_P2PBUF_IMP_GEM_INFO */
int p2pbuf_imp_gem_info_ioctl(struct drm_device *drm, void *data,
			      struct drm_file *file)
{
	struct drm_p2pbuf_imp_gem_info *args = data;
	struct p2pbuf_imp_import *imp;
	struct drm_gem_object *obj;
	struct p2pbuf_imp_dma dma = {};
	struct p2pbuf_dynimp *dyn;
	struct sg_table *sgt;
	int ret = 0;

	if (args->flags & ~P2PBUF_IMP_GEM_INFO_MAP)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	args->size = obj->size;
	args->map_type = P2PBUF_IMP_MAP_TYPE_SGT;
	args->dma_addr = 0;
	args->route = P2PBUF_IMP_ROUTE_UNKNOWN;
	args->pad2 = 0;
	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		goto out;
	imp = to_p2pbuf_imp_import(obj);
	if (!imp) {
		/* The resv keeps the mapping from being given back by unbind. */
		sgt = to_drm_gem_shmem_obj(obj)->sgt;
		args->kind = P2PBUF_IMP_KIND_NATIVE;
		args->state = sgt ? P2PBUF_IMP_STATE_MAPPED :
				    P2PBUF_IMP_STATE_DEAD;
		args->info_flags = 0;
		args->map_errno = 0;
		args->maps = 1;
		args->invalidates = 0;
		args->dma_segments = sgt ? sgt->nents : 0;
		args->dma_addr = sgt ? sg_dma_address(sgt->sgl) : 0;
		goto unlock;
	}

	dyn = &imp->dynimp;
	if (args->flags & P2PBUF_IMP_GEM_INFO_MAP) {
		ret = p2pbuf_dynimp_map(dyn);
		if (ret)
			goto unlock;
	}
	args->kind = P2PBUF_IMP_KIND_IMPORT;
	args->state = p2pbuf_imp_uapi_state[dyn->state];
	args->info_flags = dyn->attach->peer2peer ? P2PBUF_IMP_INFO_PEER2PEER : 0;
	args->map_errno = dyn->map_err;
	args->maps = dyn->maps;
	args->invalidates = dyn->invalidates;
	args->map_type = p2pbuf_imp_uapi_map_type(dyn->type);
	args->dma_segments = 0;
	if (dyn->sgt) {
		args->dma_segments = dyn->sgt->nents;
		args->dma_addr = sg_dma_address(dyn->sgt->sgl);
	} else if (dyn->pal_mapped) {
		p2pbuf_imp_import_dma(imp, &dma);
		args->dma_segments = dma.nr_ranges;
		args->dma_addr = dma.ranges[0].addr;
		args->route = p2pbuf_imp_uapi_route(imp->pal_map.route);
	}
unlock:
	dma_resv_unlock(obj->resv);
out:
	drm_gem_object_put(obj);
	return ret;
}
