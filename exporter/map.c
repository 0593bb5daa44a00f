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
 *   with -EADDRINUSE.  A buffer of several ranges therefore has its first
 *   range mapped by the helper, which decides the route.  Through an
 *   IOMMU, the buffer is then mapped here with the same two-step DMA API
 *   calls the helper makes, linking range i after ranges 0..i-1: one IOVA
 *   range for the whole buffer, one IOTLB sync.  On the other routes
 *   (bus or CPU physical addresses: one entry per range anyway) the
 *   first map of an attachment has the helper map range by range (range
 *   0 tells the route); once the attachment's route is known, one call of
 *   the helper maps every range.  The importer always gets one table.
 *   Once the helper links at the right offsets, one call will do always.
 *
 * - It sets orig_nents to 0 (the table has no CPU side), and
 *   dma_buf_free_sgt() then frees the table with sg_free_table(), which
 *   frees orig_nents entries: none.  Every unmap would leak the
 *   scatterlist.  p2pbuf_exp_free_sgt() restores orig_nents first; the
 *   helper allocates exactly nents entries and never changes nents.
 */
#include <linux/dma-buf.h>
#include <linux/dma-buf-mapping.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/error-injection.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <p2pbuf/p2p_path.h>

#include "p2pbuf_exporter.h"

/* Longest DMA segment a scatterlist entry holds, as the helper cuts them. */
#define P2PBUF_EXP_MAX_SEG	ALIGN_DOWN(UINT_MAX, PAGE_SIZE)

/**
 * struct p2pbuf_exp_joined - a mapping of a buffer of several ranges
 * @sgt: what the importer gets: the DMA entries of @parts in range order,
 *	or the one IOVA range of @iova, without pages (orig_nents 0), like
 *	the helper's own tables
 * @iova: the IOVA range, when @iova_len is not 0
 * @iova_len: bytes linked into @iova
 * @nr_parts: number of entries in @parts (0 when mapped through @iova)
 * @parts: one mapping per range, from dma_buf_phys_vec_to_sgt()
 */
struct p2pbuf_exp_joined {
	struct sg_table sgt;
	struct dma_iova_state iova;
	size_t iova_len;
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

/*
 * Map all ranges of @buf into one IOVA range: the helper's two-step DMA API
 * calls, each range linked after the ones before it.  Unmaps what the
 * helper mapped into @j->parts (the first range, or nothing).
 * Return: 0, -EOPNOTSUPP if no IOVA range can be had (map range by range
 * instead; @j is untouched then), or another error.
 */
static int p2pbuf_exp_map_iova(struct dma_buf_attachment *attach,
			       struct p2pbuf_exp_buffer *buf,
			       struct p2pbuf_exp_joined *j,
			       enum dma_data_direction dir)
{
	struct scatterlist *sg;
	size_t left;
	int ret, k;
	u32 i;

	if (!dma_iova_try_alloc(attach->dev, &j->iova, 0, buf->size))
		return -EOPNOTSUPP;
	p2pbuf_exp_free_parts(attach, j, dir);
	j->nr_parts = 0;

	for (i = 0; i < buf->nr_ranges; i++) {
		ret = dma_iova_link(attach->dev, &j->iova, buf->vec[i].paddr,
				    j->iova_len, buf->vec[i].len, dir,
				    DMA_ATTR_MMIO);
		if (ret)
			goto err_destroy;
		j->iova_len += buf->vec[i].len;
	}
	ret = dma_iova_sync(attach->dev, &j->iova, 0, j->iova_len);
	if (ret)
		goto err_destroy;

	ret = sg_alloc_table(&j->sgt, DIV_ROUND_UP(buf->size, P2PBUF_EXP_MAX_SEG),
			     GFP_KERNEL | __GFP_ZERO);
	if (ret)
		goto err_destroy;
	left = buf->size;
	for_each_sgtable_dma_sg(&j->sgt, sg, k) {
		size_t len = min_t(size_t, left, P2PBUF_EXP_MAX_SEG);

		sg_set_page(sg, NULL, 0, 0);
		sg_dma_address(sg) = j->iova.addr + (buf->size - left);
		sg_dma_len(sg) = len;
		left -= len;
	}
	j->sgt.orig_nents = 0;
	return 0;

err_destroy:
	if (j->iova_len)
		dma_iova_destroy(attach->dev, &j->iova, j->iova_len, dir,
				 DMA_ATTR_MMIO);
	else
		dma_iova_free(attach->dev, &j->iova);
	j->iova_len = 0;
	return ret;
}

static struct sg_table *p2pbuf_exp_map_joined(struct dma_buf_attachment *attach,
					      struct p2pbuf_exp_buffer *buf,
					      enum dma_data_direction dir)
{
	struct p2pbuf_exp_attach *ea = attach->priv;
	struct scatterlist *dst, *src;
	struct p2pbuf_exp_joined *j;
	unsigned int nents = 0;
	u32 i;
	int k, ret;

	j = kzalloc_flex(*j, parts, buf->nr_ranges);
	if (!j)
		return ERR_PTR(-ENOMEM);

	/*
	 * A device's route to the BAR does not change while it is attached:
	 * once a mapping took the IOVA route, map straight into one IOVA
	 * range instead of having the helper map (and this unmap) range 0
	 * again to learn it.
	 */
	if (ea->path == P2PBUF_PATH_HOST_BRIDGE_IOVA) {
		ret = p2pbuf_exp_map_iova(attach, buf, j, dir);
		if (!ret)
			return &j->sgt;
		if (ret != -EOPNOTSUPP)
			goto err_free_parts;
	}

	/*
	 * On the other routes the helper's bug does not bite: once the route
	 * is known, one call maps every range.
	 */
	if (ea->path == P2PBUF_PATH_BUS_ADDR ||
	    ea->path == P2PBUF_PATH_HOST_BRIDGE_DIRECT) {
		struct sg_table *all;

		all = dma_buf_phys_vec_to_sgt(attach, buf->provider, buf->vec,
					      buf->nr_ranges, buf->size, dir);
		if (IS_ERR(all)) {
			ret = PTR_ERR(all);
			goto err_free_parts;
		}
		j->parts[j->nr_parts++] = all;
		nents = all->nents;
		goto join;
	}

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

		if (i == 0 &&
		    p2pbuf_path_of_sgt(buf->provider, attach->dev, &buf->vec[0],
				       part) == P2PBUF_PATH_HOST_BRIDGE_IOVA) {
			ret = p2pbuf_exp_map_iova(attach, buf, j, dir);
			if (ret != -EOPNOTSUPP) {
				if (ret)
					goto err_free_parts;
				return &j->sgt;
			}
		}
	}

join:
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

	/* The benchmark's baseline (map_legacy.c), off by default. */
	if (READ_ONCE(buf->dev->map_legacy))
		return p2pbuf_exp_map_legacy(attach, buf, dir);
	if (buf->nr_ranges == 1)
		return dma_buf_phys_vec_to_sgt(attach, buf->provider, buf->vec,
					       1, buf->size, dir);
	return p2pbuf_exp_map_joined(attach, buf, dir);
}
ALLOW_ERROR_INJECTION(p2pbuf_exp_map_buffer, ERRNO_NULL);

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

	if (READ_ONCE(buf->dev->map_legacy)) {
		p2pbuf_exp_unmap_legacy(attach, sgt, dir);
		return;
	}
	if (buf->nr_ranges == 1) {
		p2pbuf_exp_free_sgt(attach, sgt, dir);
		return;
	}
	j = container_of(sgt, struct p2pbuf_exp_joined, sgt);
	if (j->iova_len)
		dma_iova_destroy(attach->dev, &j->iova, j->iova_len, dir,
				 DMA_ATTR_MMIO);
	p2pbuf_exp_free_parts(attach, j, dir);
	/* sg_free_table() frees orig_nents entries: all nents of them. */
	j->sgt.orig_nents = j->sgt.nents;
	sg_free_table(&j->sgt);
	kfree(j);
}
