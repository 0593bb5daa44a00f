// SPDX-License-Identifier: GPL-2.0
/*
 * Mapping a buffer for an importer: the DMA side of .map_dma_buf and
 * .unmap_dma_buf.
 *
 * Every DMA mapping is made by the kernel's helper for MMIO dma-bufs,
 * dma_buf_phys_vec_to_sgt(), which picks the route (bus address, CPU
 * physical address or IOVA) the PCI core allows.  Two bugs of the helper
 * in Linux 7.3 are worked around here:
 *
 * - It links every range at IOVA offset 0 when it maps through an IOMMU,
 *   so the second range collides with the first and the whole map fails
 *   with -EADDRINUSE.  A buffer of several ranges is therefore mapped range
 *   by range and the results are joined into one table.  Once the helper
 *   links range i after ranges 0..i-1, one call for all ranges will do.
 *
 * - It sets orig_nents to 0 (the table has no CPU side), and
 *   dma_buf_free_sgt() then frees the table with sg_free_table(), which
 *   frees orig_nents entries: none.  Every unmap would leak the
 *   scatterlist.  p2pbuf_exp_free_sgt() restores orig_nents first; the
 *   helper allocates exactly nents entries and never changes nents.
 */
#include <linux/dma-buf.h>
#include <linux/dma-buf-mapping.h>
#include <linux/dma-resv.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "p2pbuf_exporter.h"

/**
 * struct p2pbuf_exp_joined - a mapping of a buffer of several ranges
 * @sgt: what the importer gets: the DMA entries of @parts in range order,
 *	without pages (orig_nents 0), like the helper's own tables
 * @nr_parts: number of entries in @parts
 * @parts: one mapping per range, from dma_buf_phys_vec_to_sgt()
 */
struct p2pbuf_exp_joined {
	struct sg_table sgt;
	u32 nr_parts;
	struct sg_table *parts[] __counted_by(nr_parts);
};

/* dma_buf_free_sgt(), without leaking the scatterlist (see above). */
static void p2pbuf_exp_free_sgt(struct dma_buf_attachment *attach,
				struct sg_table *sgt,
				enum dma_data_direction dir)
{
	sgt->orig_nents = sgt->nents;
	dma_buf_free_sgt(attach, sgt, dir);
}

static void p2pbuf_exp_free_parts(struct dma_buf_attachment *attach,
				  struct p2pbuf_exp_joined *j,
				  enum dma_data_direction dir)
{
	u32 i;

	for (i = 0; i < j->nr_parts; i++)
		p2pbuf_exp_free_sgt(attach, j->parts[i], dir);
}

static struct sg_table *p2pbuf_exp_map_joined(struct dma_buf_attachment *attach,
					      struct p2pbuf_exp_buffer *buf,
					      enum dma_data_direction dir)
{
	struct scatterlist *dst, *src;
	struct p2pbuf_exp_joined *j;
	unsigned int nents = 0;
	u32 i;
	int k, ret;

	j = kzalloc_flex(*j, parts, buf->nr_ranges);
	if (!j)
		return ERR_PTR(-ENOMEM);

	for (i = 0; i < buf->nr_ranges; i++) {
		struct sg_table *part;

		part = dma_buf_phys_vec_to_sgt(attach, buf->provider,
					       &buf->vec[i], 1, buf->vec[i].len,
					       dir);
		if (IS_ERR(part)) {
			ret = PTR_ERR(part);
			goto err_free_parts;
		}
		j->parts[j->nr_parts++] = part;
		nents += part->nents;
	}

	ret = sg_alloc_table(&j->sgt, nents, GFP_KERNEL | __GFP_ZERO);
	if (ret)
		goto err_free_parts;
	dst = j->sgt.sgl;
	for (i = 0; i < j->nr_parts; i++) {
		for_each_sgtable_dma_sg(j->parts[i], src, k) {
			sg_set_page(dst, NULL, 0, 0);
			sg_dma_address(dst) = sg_dma_address(src);
			sg_dma_len(dst) = sg_dma_len(src);
			dst = sg_next(dst);
		}
	}
	/* DMA addresses only, as dma_buf_phys_vec_to_sgt() returns them. */
	j->sgt.orig_nents = 0;
	return &j->sgt;

err_free_parts:
	p2pbuf_exp_free_parts(attach, j, dir);
	kfree(j);
	return ERR_PTR(ret);
}

/**
 * p2pbuf_exp_map_buffer() - map a buffer for an attachment
 * @attach: the attachment
 * @buf: the buffer, not revoked
 * @dir: direction of the DMA
 *
 * Context: the dma-buf's reservation lock held.
 * Return: the DMA addresses of the buffer in buffer order, or an ERR_PTR()
 * from dma_buf_phys_vec_to_sgt() (-EINVAL if the PCI core finds no P2P
 * route) or -ENOMEM.
 */
struct sg_table *p2pbuf_exp_map_buffer(struct dma_buf_attachment *attach,
				       struct p2pbuf_exp_buffer *buf,
				       enum dma_data_direction dir)
{
	dma_resv_assert_held(attach->dmabuf->resv);

	if (buf->nr_ranges == 1)
		return dma_buf_phys_vec_to_sgt(attach, buf->provider, buf->vec,
					       1, buf->size, dir);
	return p2pbuf_exp_map_joined(attach, buf, dir);
}

/**
 * p2pbuf_exp_unmap_buffer() - undo p2pbuf_exp_map_buffer()
 * @attach: the attachment
 * @buf: the buffer
 * @sgt: the mapping
 * @dir: direction of the DMA, as mapped
 *
 * Context: the dma-buf's reservation lock held.
 */
void p2pbuf_exp_unmap_buffer(struct dma_buf_attachment *attach,
			     struct p2pbuf_exp_buffer *buf,
			     struct sg_table *sgt, enum dma_data_direction dir)
{
	struct p2pbuf_exp_joined *j;

	dma_resv_assert_held(attach->dmabuf->resv);

	if (buf->nr_ranges == 1) {
		p2pbuf_exp_free_sgt(attach, sgt, dir);
		return;
	}
	j = container_of(sgt, struct p2pbuf_exp_joined, sgt);
	p2pbuf_exp_free_parts(attach, j, dir);
	/* sg_free_table() frees orig_nents entries: all nents of them. */
	j->sgt.orig_nents = j->sgt.nents;
	sg_free_table(&j->sgt);
	kfree(j);
}
