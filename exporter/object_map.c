// SPDX-License-Identifier: GPL-2.0
/*
 * Mapping a migratable object for an importer: whatever its placement is
 * when the importer maps.
 *
 * In the BAR, the object is one range mapped like any exported range
 * (map.c: the provider helper, peer-to-peer).  Only attachments that
 * p2pbuf_attach_place() gave the BAR can find it there: the others keep it
 * in system memory while they are attached.  In system memory, the pages
 * are mapped with dma_map_sgtable() for any importer; each such mapping
 * holds a reference to the pages, so a move back to the BAR never frees
 * pages an importer still has mapped.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <uapi/linux/p2pbuf_exporter.h>

#include "p2pbuf_exporter.h"

/**
 * struct p2pbuf_exp_sysmap - a mapping of an object's system memory
 * @sgt: what the importer gets
 * @pages: the pages mapped (a reference is held)
 * @node: entry in &p2pbuf_exp_object.sys_maps, under the reservation lock
 */
struct p2pbuf_exp_sysmap {
	struct sg_table sgt;
	struct p2pbuf_exp_pages *pages;
	struct list_head node;
};

static struct sg_table *p2pbuf_exp_obj_map_system(struct dma_buf_attachment *attach,
						  struct p2pbuf_exp_buffer *buf,
						  enum dma_data_direction dir)
{
	struct p2pbuf_exp_object *obj = buf->obj;
	struct p2pbuf_exp_sysmap *sm;
	int ret;

	sm = kzalloc_obj(*sm);
	if (!sm)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table_from_pages_segment(&sm->sgt, obj->pages->pages,
						obj->pages->nr, 0, buf->size,
						dma_get_max_seg_size(attach->dev),
						GFP_KERNEL);
	if (ret)
		goto err_free;
	ret = dma_map_sgtable(attach->dev, &sm->sgt, dir, 0);
	if (ret)
		goto err_free_table;

	kref_get(&obj->pages->kref);
	sm->pages = obj->pages;
	list_add(&sm->node, &obj->sys_maps);
	return &sm->sgt;

err_free_table:
	sg_free_table(&sm->sgt);
err_free:
	kfree(sm);
	return ERR_PTR(ret);
}

/**
 * p2pbuf_exp_obj_map() - &dma_buf_ops.map_dma_buf of a migratable object
 * @attach: the attachment
 * @dir: direction of the DMA
 *
 * Context: the reservation lock held.
 * Return: the mapping of the current placement, or an ERR_PTR(): -EAGAIN
 * when called from an importer's invalidate callback during a move (map
 * again after the callback returned).
 */
struct sg_table *p2pbuf_exp_obj_map(struct dma_buf_attachment *attach,
				    enum dma_data_direction dir)
{
	struct p2pbuf_exp_buffer *buf = attach->dmabuf->priv;
	struct p2pbuf_exp_object *obj = buf->obj;
	struct p2pbuf_exp_attach *ea = attach->priv;
	struct sg_table *sgt;

	dma_resv_assert_held(attach->dmabuf->resv);

	/* Mapping from an invalidate callback, in the middle of a move. */
	if (obj->moving) {
		ea->map_err = -EAGAIN;
		return ERR_PTR(-EAGAIN);
	}
	if (obj->placement == P2PBUF_EXP_PLACEMENT_BAR) {
		sgt = p2pbuf_exp_map_buffer(attach, buf, dir);
		if (!IS_ERR(sgt)) {
			obj->bar_maps++;
			ea->path = p2pbuf_exp_route(attach, buf, sgt);
		}
	} else {
		sgt = p2pbuf_exp_obj_map_system(attach, buf, dir);
		if (!IS_ERR(sgt))
			ea->path = P2PBUF_PATH_NONE;
	}
	if (IS_ERR(sgt)) {
		ea->map_err = PTR_ERR(sgt);
		return sgt;
	}
	ea->system = obj->placement == P2PBUF_EXP_PLACEMENT_SYSTEM;
	ea->map_err = 0;
	ea->mapped++;
	ea->maps++;
	atomic_inc(&buf->dev->live_maps);
	return sgt;
}

/**
 * p2pbuf_exp_obj_unmap() - &dma_buf_ops.unmap_dma_buf of a migratable
 *	object
 * @attach: the attachment
 * @sgt: a mapping of either placement, maybe not the current one
 * @dir: direction of the DMA, as mapped
 *
 * The last unmap of a BAR region the object has left gives the region
 * back.
 *
 * Context: the reservation lock held.
 */
void p2pbuf_exp_obj_unmap(struct dma_buf_attachment *attach,
			  struct sg_table *sgt, enum dma_data_direction dir)
{
	struct p2pbuf_exp_buffer *buf = attach->dmabuf->priv;
	struct p2pbuf_exp_object *obj = buf->obj;
	struct p2pbuf_exp_attach *ea = attach->priv;
	struct p2pbuf_exp_sysmap *sm;

	dma_resv_assert_held(attach->dmabuf->resv);

	ea->mapped--;
	atomic_dec(&buf->dev->live_maps);
	list_for_each_entry(sm, &obj->sys_maps, node) {
		if (&sm->sgt != sgt)
			continue;
		list_del(&sm->node);
		dma_unmap_sgtable(attach->dev, &sm->sgt, dir, 0);
		sg_free_table(&sm->sgt);
		p2pbuf_exp_pages_put(sm->pages);
		kfree(sm);
		return;
	}

	p2pbuf_exp_unmap_buffer(attach, buf, sgt, dir);
	if (!--obj->bar_maps && obj->stale)
		p2pbuf_exp_obj_put_region(buf);
}
