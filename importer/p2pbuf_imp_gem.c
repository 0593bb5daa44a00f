// SPDX-License-Identifier: GPL-2.0
/*
 * GEM objects: native ones in system memory, and the engine's view of any
 * object (native or imported) as an sg_table of DMA addresses.
 *
 * Native objects are shmem-backed (drm_gem_shmem) and mapped for the
 * engine when they are created; their pages stay pinned and mapped until
 * the object is freed, so their DMA addresses never change.  Imported
 * objects are mapped on use (p2pbuf_imp_prime.c).
 */
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_vma_manager.h>

#include <uapi/drm/p2pbuf_imp_drm.h>

#include "p2pbuf_imp_drv.h"

/**
 * p2pbuf_imp_gem_map() - the DMA addresses of an object for the engine
 * @obj: a native or imported object, with its reservation lock held
 *
 * An import is mapped if it is not (see p2pbuf_dynimp_map()).  The result
 * stays valid while the lock is held, and after that for as long as a job
 * whose fence is in the object's reservation object runs.
 *
 * Return: the table (DMA side), or an ERR_PTR(): for imports the error of
 * the exporter's map.
 */
struct sg_table *p2pbuf_imp_gem_map(struct drm_gem_object *obj)
{
	struct p2pbuf_imp_import *imp = to_p2pbuf_imp_import(obj);
	struct drm_gem_shmem_object *shmem;

	dma_resv_assert_held(obj->resv);

	if (imp)
		return p2pbuf_dynimp_map(&imp->dynimp);
	shmem = to_drm_gem_shmem_obj(obj);
	return shmem->sgt ?: ERR_PTR(-EINVAL);
}

/**
 * p2pbuf_imp_gem_sync() - hand a native object to the engine or the CPU
 * @obj: the object
 * @sgt: its table, from p2pbuf_imp_gem_map()
 * @for_device: true before the engine uses it, false after
 *
 * Imports need nothing: the exporter's memory is not cached by the CPU on
 * our behalf.
 */
void p2pbuf_imp_gem_sync(struct drm_gem_object *obj, struct sg_table *sgt,
			 bool for_device)
{
	if (to_p2pbuf_imp_import(obj))
		return;
	if (for_device)
		dma_sync_sgtable_for_device(obj->dev->dev, sgt,
					    DMA_BIDIRECTIONAL);
	else
		dma_sync_sgtable_for_cpu(obj->dev->dev, sgt, DMA_BIDIRECTIONAL);
}

/* DRM_IOCTL_P2PBUF_IMP_GEM_CREATE */
int p2pbuf_imp_gem_create_ioctl(struct drm_device *drm, void *data,
				struct drm_file *file)
{
	struct drm_p2pbuf_imp_gem_create *args = data;
	struct drm_gem_shmem_object *shmem;
	struct sg_table *sgt;
	size_t size;
	int ret;

	if (args->flags || !args->size)
		return -EINVAL;
	if (args->size > P2PBUF_IMP_MAX_OBJECT_SIZE)
		return -E2BIG;
	size = PAGE_ALIGN(args->size);

	shmem = drm_gem_shmem_create(drm, size);
	if (IS_ERR(shmem))
		return PTR_ERR(shmem);
	/* Allocates, pins and maps the pages for the engine, for good. */
	sgt = drm_gem_shmem_get_pages_sgt(shmem);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto out;
	}
	ret = drm_gem_handle_create(file, &shmem->base, &args->handle);
	if (!ret)
		args->size = size;
out:
	drm_gem_object_put(&shmem->base);
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
	struct p2pbuf_dynimp *dyn;
	struct sg_table *sgt;
	int ret = 0;

	if (args->flags & ~P2PBUF_IMP_GEM_INFO_MAP)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	args->size = obj->size;
	args->pad = 0;
	imp = to_p2pbuf_imp_import(obj);
	if (!imp) {
		args->kind = P2PBUF_IMP_KIND_NATIVE;
		args->state = P2PBUF_IMP_STATE_MAPPED;
		args->info_flags = 0;
		args->map_errno = 0;
		args->maps = 1;
		args->invalidates = 0;
		args->dma_segments = to_drm_gem_shmem_obj(obj)->sgt->nents;
		goto out;
	}

	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		goto out;
	dyn = &imp->dynimp;
	if (args->flags & P2PBUF_IMP_GEM_INFO_MAP) {
		sgt = p2pbuf_dynimp_map(dyn);
		if (IS_ERR(sgt)) {
			ret = PTR_ERR(sgt);
			goto unlock;
		}
	}
	args->kind = P2PBUF_IMP_KIND_IMPORT;
	args->state = p2pbuf_imp_uapi_state[dyn->state];
	args->info_flags = dyn->attach->peer2peer ? P2PBUF_IMP_INFO_PEER2PEER : 0;
	args->map_errno = dyn->map_err;
	args->maps = dyn->maps;
	args->invalidates = dyn->invalidates;
	args->dma_segments = dyn->sgt ? dyn->sgt->nents : 0;
unlock:
	dma_resv_unlock(obj->resv);
out:
	drm_gem_object_put(obj);
	return ret;
}
