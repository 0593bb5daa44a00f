// SPDX-License-Identifier: GPL-2.0
/*
 * The importer maps peer memory itself: a physical address list (PAL,
 * include/p2pbuf/pal.h) from the exporter becomes DMA addresses for the
 * engine, along the route the exporter decided at attach:
 *
 * - host bridge through an IOMMU: one dma_iova_try_alloc() for the whole
 *   buffer, dma_iova_link() of each range at its running offset, one
 *   dma_iova_sync(): the engine sees one contiguous IOVA range, and the
 *   IOTLB is flushed once.  dma_iova_destroy() gives it back.
 * - bus addresses (a switch routes the peer's BAR): no mapping at all,
 *   the provider's bus address of each range (pci_p2pdma_bus_addr_map()).
 * - host bridge without translation, or an IOVA range that cannot be had:
 *   dma_map_phys() with %DMA_ATTR_MMIO per range.
 *
 * The engine is then programmed from the range list exactly as from an
 * sg_table: the shared walk (helpers/sg_walk.c) cuts it at the device's
 * maximum segment size and segment boundary.  Only the driver's own calls
 * of the DMA API are here; when to map and unmap (first use, invalidation,
 * unbind) is the dynamic import's (helpers/dynamic_import.c), under the
 * dma-buf's reservation lock.
 */
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>

#include <p2pbuf/sg_walk.h>
#include <uapi/drm/p2pbuf_imp_drm.h>

#include "p2pbuf_imp_drv.h"

/* One IOVA range for the whole buffer; -EOPNOTSUPP if none can be had. */
static int p2pbuf_imp_pal_map_iova(struct device *dev,
				   const struct p2pbuf_pal *pal,
				   struct p2pbuf_imp_pal_map *map)
{
	u32 i;
	int ret;

	if (!dma_iova_try_alloc(dev, &map->iova, pal->vec[0].paddr, pal->size))
		return -EOPNOTSUPP;
	for (i = 0; i < pal->nr_ranges; i++) {
		/* Each range after the ones before it: its buffer offset. */
		ret = dma_iova_link(dev, &map->iova, pal->vec[i].paddr,
				    map->iova_len, pal->vec[i].len, map->dir,
				    DMA_ATTR_MMIO);
		if (ret)
			goto err_destroy;
		map->iova_len += pal->vec[i].len;
	}
	ret = dma_iova_sync(dev, &map->iova, 0, map->iova_len);
	if (ret)
		goto err_destroy;
	map->ranges[0] = (struct p2pbuf_dma_range){
		.addr = map->iova.addr,
		.len = map->iova_len,
	};
	map->nr = 1;
	return 0;

err_destroy:
	if (map->iova_len)
		dma_iova_destroy(dev, &map->iova, map->iova_len, map->dir,
				 DMA_ATTR_MMIO);
	else
		dma_iova_free(dev, &map->iova);
	map->iova_len = 0;
	return ret;
}

/* The provider's bus addresses: the switch routes them, nothing to map. */
static void p2pbuf_imp_pal_map_bus(const struct p2pbuf_pal *pal,
				   struct p2pbuf_imp_pal_map *map)
{
	u32 i;

	for (i = 0; i < pal->nr_ranges; i++)
		map->ranges[i] = (struct p2pbuf_dma_range){
			.addr = pci_p2pdma_bus_addr_map(pal->provider,
							pal->vec[i].paddr),
			.len = pal->vec[i].len,
		};
	map->nr = pal->nr_ranges;
}

static void p2pbuf_imp_pal_unmap_phys(struct device *dev,
				      struct p2pbuf_imp_pal_map *map)
{
	while (map->nr) {
		map->nr--;
		dma_unmap_phys(dev, map->ranges[map->nr].addr,
			       map->ranges[map->nr].len, map->dir,
			       DMA_ATTR_MMIO);
	}
}

/* dma_map_phys() per range: the DMA API's address for the device. */
static int p2pbuf_imp_pal_map_phys(struct device *dev,
				   const struct p2pbuf_pal *pal,
				   struct p2pbuf_imp_pal_map *map)
{
	dma_addr_t addr;
	u32 i;

	map->per_range = true;
	for (i = 0; i < pal->nr_ranges; i++) {
		addr = dma_map_phys(dev, pal->vec[i].paddr, pal->vec[i].len,
				    map->dir, DMA_ATTR_MMIO);
		if (dma_mapping_error(dev, addr)) {
			p2pbuf_imp_pal_unmap_phys(dev, map);
			return -ENOMEM;
		}
		map->ranges[i] = (struct p2pbuf_dma_range){
			.addr = addr,
			.len = pal->vec[i].len,
		};
		map->nr = i + 1;
	}
	return 0;
}

/**
 * p2pbuf_imp_pal_dma_map() - map a physical address list for a device
 * @dev: the device that will DMA
 * @pal: the exporter's PAL, valid for the call (and for as long as @map
 *	lives: the caller holds it until p2pbuf_imp_pal_dma_unmap())
 * @map: filled in; its previous contents are ignored
 * @dir: direction of the DMA
 * @flags: 0, or %P2PBUF_IMP_PAL_PER_RANGE to map every range with
 *	dma_map_phys() whatever the route allows (a baseline)
 *
 * Return: 0, -EINVAL for a PAL without a route, -ENOMEM.
 */
int p2pbuf_imp_pal_dma_map(struct device *dev, const struct p2pbuf_pal *pal,
			   struct p2pbuf_imp_pal_map *map,
			   enum dma_data_direction dir, unsigned int flags)
{
	int ret;

	*map = (struct p2pbuf_imp_pal_map){ .route = pal->route, .dir = dir };
	if (pal->route == P2PBUF_PATH_NONE || !pal->nr_ranges)
		return -EINVAL;
	map->ranges = kvcalloc(pal->nr_ranges, sizeof(*map->ranges),
			       GFP_KERNEL);
	if (!map->ranges)
		return -ENOMEM;

	if (pal->route == P2PBUF_PATH_BUS_ADDR &&
	    !(flags & P2PBUF_IMP_PAL_PER_RANGE)) {
		p2pbuf_imp_pal_map_bus(pal, map);
		return 0;
	}
	if (pal->route == P2PBUF_PATH_HOST_BRIDGE_IOVA &&
	    !(flags & P2PBUF_IMP_PAL_PER_RANGE)) {
		ret = p2pbuf_imp_pal_map_iova(dev, pal, map);
		if (ret != -EOPNOTSUPP)
			goto out;
	}
	ret = p2pbuf_imp_pal_map_phys(dev, pal, map);
out:
	if (ret) {
		kvfree(map->ranges);
		map->ranges = NULL;
	}
	return ret;
}

/**
 * p2pbuf_imp_pal_dma_unmap() - undo p2pbuf_imp_pal_dma_map()
 * @dev: the device the PAL was mapped for; it no longer uses the mapping
 * @map: the mapping; emptied
 */
void p2pbuf_imp_pal_dma_unmap(struct device *dev,
			      struct p2pbuf_imp_pal_map *map)
{
	if (map->iova_len)
		dma_iova_destroy(dev, &map->iova, map->iova_len, map->dir,
				 DMA_ATTR_MMIO);
	else if (map->per_range)
		p2pbuf_imp_pal_unmap_phys(dev, map);
	kvfree(map->ranges);
	*map = (struct p2pbuf_imp_pal_map){};
}

/**
 * p2pbuf_imp_import_pal_map() - &p2pbuf_dynimp_ops.pal_map of imports
 * @dynimp: the import's dynamic attachment
 * @pal: the exporter's PAL
 *
 * Context: the dma-buf's reservation lock held.
 * Return: as p2pbuf_imp_pal_dma_map().
 */
int p2pbuf_imp_import_pal_map(struct p2pbuf_dynimp *dynimp,
			      const struct p2pbuf_pal *pal)
{
	struct p2pbuf_imp_import *imp =
		container_of(dynimp, struct p2pbuf_imp_import, dynimp);

	dma_resv_assert_held(imp->base.resv);
	return p2pbuf_imp_pal_dma_map(imp->base.dev->dev, pal, &imp->pal_map,
				      DMA_BIDIRECTIONAL, 0);
}

/**
 * p2pbuf_imp_import_pal_unmap() - &p2pbuf_dynimp_ops.pal_unmap of imports
 * @dynimp: the import's dynamic attachment
 * @pal: the exporter's PAL, still held
 *
 * Context: the dma-buf's reservation lock held; the engine no longer uses
 * the mapping.
 */
void p2pbuf_imp_import_pal_unmap(struct p2pbuf_dynimp *dynimp,
				 const struct p2pbuf_pal *pal)
{
	struct p2pbuf_imp_import *imp =
		container_of(dynimp, struct p2pbuf_imp_import, dynimp);

	dma_resv_assert_held(imp->base.resv);
	p2pbuf_imp_pal_dma_unmap(imp->base.dev->dev, &imp->pal_map);
}

/**
 * p2pbuf_imp_dma_walk_start() - start the engine's walk of an object
 * @walk: the walk
 * @dma: the object's DMA addresses, from p2pbuf_imp_gem_map()
 * @dev: the engine's device
 * @offset: byte offset into the object
 *
 * Return: as p2pbuf_sg_walk_start().
 */
int p2pbuf_imp_dma_walk_start(struct p2pbuf_sg_walk *walk,
			      const struct p2pbuf_imp_dma *dma,
			      struct device *dev, u64 offset)
{
	if (dma->sgt)
		return p2pbuf_sg_walk_start(walk, dma->sgt, dev, offset);
	return p2pbuf_sg_walk_start_ranges(walk, dma->ranges, dma->nr_ranges,
					   dev, offset);
}

/**
 * p2pbuf_imp_uapi_map_type() - a mapping type as the uAPI names it
 * @type: the type
 *
 * Return: the P2PBUF_IMP_MAP_TYPE_* value.
 */
u32 p2pbuf_imp_uapi_map_type(enum p2pbuf_map_type type)
{
	return type == P2PBUF_MAP_PAL ? P2PBUF_IMP_MAP_TYPE_PAL :
					P2PBUF_IMP_MAP_TYPE_SGT;
}

/**
 * p2pbuf_imp_uapi_route() - a route as the uAPI names it
 * @path: the route
 *
 * Return: the P2PBUF_IMP_ROUTE_* value, %P2PBUF_IMP_ROUTE_UNKNOWN for
 * %P2PBUF_PATH_NONE.
 */
u32 p2pbuf_imp_uapi_route(enum p2pbuf_path path)
{
	switch (path) {
	case P2PBUF_PATH_BUS_ADDR:
		return P2PBUF_IMP_ROUTE_BUS_ADDR;
	case P2PBUF_PATH_HOST_BRIDGE_IOVA:
		return P2PBUF_IMP_ROUTE_HOST_BRIDGE_IOVA;
	case P2PBUF_PATH_HOST_BRIDGE_DIRECT:
		return P2PBUF_IMP_ROUTE_HOST_BRIDGE_DIRECT;
	default:
		return P2PBUF_IMP_ROUTE_UNKNOWN;
	}
}

/* DRM_IOCTL_P2PBUF_IMP_GEM_MAPPING */
int p2pbuf_imp_gem_mapping_ioctl(struct drm_device *drm, void *data,
				 struct drm_file *file)
{
	struct drm_p2pbuf_imp_gem_mapping *args = data;
	struct p2pbuf_imp_import *imp;
	struct drm_gem_object *obj;
	u32 accepted = 0;
	int ret;

	if (args->pad || !args->accept ||
	    (args->accept & ~(P2PBUF_IMP_MAP_SGT | P2PBUF_IMP_MAP_PAL)))
		return -EINVAL;
	if (args->accept & P2PBUF_IMP_MAP_SGT)
		accepted |= P2PBUF_MAP_BIT(P2PBUF_MAP_SGT);
	if (args->accept & P2PBUF_IMP_MAP_PAL)
		accepted |= P2PBUF_MAP_BIT(P2PBUF_MAP_PAL);

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	imp = to_p2pbuf_imp_import(obj);
	if (!imp) {
		ret = -EINVAL;
		goto out;
	}
	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		goto out;
	ret = p2pbuf_dynimp_set_types(&imp->dynimp, accepted);
	dma_resv_unlock(obj->resv);
	if (ret >= 0) {
		args->map_type = p2pbuf_imp_uapi_map_type(ret);
		ret = 0;
	}
out:
	drm_gem_object_put(obj);
	return ret;
}
