// SPDX-License-Identifier: GPL-2.0
/*
 * COMPAT FOR LINUX 7.3 KERNELS WITHOUT upstream/linux-7.3/: DELETE THIS
 * FILE when the series is in every kernel p2pbuf supports.
 *
 * Built only when the kernel does not export pci_p2pdma_map_type() (the
 * Kbuild probe in ../Kbuild defines P2PBUF_COMPAT_7_3 then): the series
 * exports it in its last fix, after the fixes of the helper this file
 * works around.  On a fixed kernel map.c maps a buffer with one call of
 * dma_buf_phys_vec_to_sgt() and asks the PCI core for the route; here, on
 * a stock 7.3 kernel, the buffer is mapped around the helper's bugs
 * (Documentation/upstream.rst has each bug, its patch and its test):
 *
 * - The helper links every range at IOVA offset 0 when it maps through an
 *   IOMMU, so the second range collides with the first and the whole map
 *   fails with -EADDRINUSE (patch 0001).  A buffer of several ranges
 *   therefore has its first range mapped by the helper, which decides the
 *   route.  Through an IOMMU, the buffer is then mapped here with the same
 *   two-step DMA API calls the helper makes, linking range i after ranges
 *   0..i-1: one IOVA range for the whole buffer, one IOTLB sync.  On the
 *   other routes (bus or CPU physical addresses: one entry per range
 *   anyway) the first map of an attachment has the helper map range by
 *   range (range 0 tells the route); once the attachment's route is
 *   known, one call of the helper maps every range.  The importer always
 *   gets one table.
 *
 * - dma_buf_free_sgt() frees the table with sg_free_table(), which frees
 *   orig_nents entries, and the helper sets orig_nents to 0: every unmap
 *   would leak the scatterlist (patch 0004).  p2pbuf_exp_free_sgt()
 *   restores orig_nents first; the helper allocates exactly nents entries
 *   and never changes nents.
 *
 * - pci_p2pdma_map_type() is not exported (patch 0005): the route is known
 *   only once a mapping exists, read back from its DMA addresses by
 *   p2pbuf_path_of_sgt().
 *
 * The helper's two error-path bugs (patches 0002 and 0003) cannot be
 * worked around from outside; they only cost memory or IOVA space when a
 * mapping fails.
 */
#include <linux/dma-buf.h>
#include <linux/dma-buf-mapping.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
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
 * @nr_mapped: number of mappings in @parts[0..] (0 when mapped through
 *	@iova)
 * @nr_parts: room in @parts: the buffer's number of ranges.  Set once, at
 *	allocation (kzalloc_flex() sets it itself where the compiler has
 *	__builtin_counted_by_ref, gcc >= 15), never a running index.
 * @parts: one mapping per range, from dma_buf_phys_vec_to_sgt()
 */
struct p2pbuf_exp_joined {
	struct sg_table sgt;
	struct dma_iova_state iova;
	size_t iova_len;
	u32 nr_mapped;
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

	for (i = 0; i < j->nr_mapped; i++)
		p2pbuf_exp_free_sgt(attach, j->parts[i], dir);
	j->nr_mapped = 0;
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
	/* Already so with gcc >= 15; the bound of @parts on any compiler. */
	j->nr_parts = buf->nr_ranges;

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
		j->parts[j->nr_mapped++] = all;
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
		j->parts[j->nr_mapped++] = part;
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
	for (i = 0; i < j->nr_mapped; i++) {
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
 * p2pbuf_exp_compat_map() - map a buffer on a stock 7.3 kernel
 * @attach: the attachment
 * @buf: the buffer, not revoked
 * @dir: direction of the DMA
 *
 * What p2pbuf_exp_map_buffer() does on a fixed kernel, around the helper's
 * bugs (see the top of this file).
 *
 * Context: the dma-buf's reservation lock held.
 * Return: the DMA addresses of the buffer in buffer order, or an ERR_PTR()
 * from dma_buf_phys_vec_to_sgt() (-EINVAL if the PCI core finds no P2P
 * route) or -ENOMEM.
 */
struct sg_table *p2pbuf_exp_compat_map(struct dma_buf_attachment *attach,
				       struct p2pbuf_exp_buffer *buf,
				       enum dma_data_direction dir)
{
	if (buf->nr_ranges == 1)
		return dma_buf_phys_vec_to_sgt(attach, buf->provider, buf->vec,
					       1, buf->size, dir);
	return p2pbuf_exp_map_joined(attach, buf, dir);
}

/**
 * p2pbuf_exp_compat_unmap() - undo p2pbuf_exp_compat_map()
 * @attach: the attachment
 * @buf: the buffer
 * @sgt: the mapping
 * @dir: direction of the DMA, as mapped
 *
 * Context: the dma-buf's reservation lock held.
 */
void p2pbuf_exp_compat_unmap(struct dma_buf_attachment *attach,
			     struct p2pbuf_exp_buffer *buf,
			     struct sg_table *sgt, enum dma_data_direction dir)
{
	struct p2pbuf_exp_joined *j;

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

/**
 * p2pbuf_exp_compat_route() - the route of an attachment, as far as known
 * @attach: the attachment
 * @buf: the buffer
 * @sgt: the attachment's new mapping of the BAR, or NULL at attach
 *
 * Without pci_p2pdma_map_type() the route is read back from a mapping's
 * DMA addresses (p2pbuf_path_of_sgt()); before the first mapping it is
 * not known.
 *
 * Return: the route, %P2PBUF_PATH_NONE when @sgt is NULL.
 */
enum p2pbuf_path p2pbuf_exp_compat_route(struct dma_buf_attachment *attach,
					 struct p2pbuf_exp_buffer *buf,
					 struct sg_table *sgt)
{
	if (!sgt)
		return P2PBUF_PATH_NONE;
	return p2pbuf_path_of_sgt(buf->provider, attach->dev, &buf->vec[0],
				  sgt);
}

/**
 * p2pbuf_exp_compat_probe_route() - learn an attachment's route by mapping
 * @attach: the attachment
 * @buf: the buffer, not revoked (the caller holds a mapping reference)
 *
 * Without pci_p2pdma_map_type() the route is only known from a mapping:
 * the PAL negotiation, which must tell the importer the route before it
 * maps anything, maps the first range once with the helper, reads the
 * route back and unmaps.  No DMA uses the probe mapping.
 *
 * Context: the dma-buf's reservation lock held.
 * Return: the route, %P2PBUF_PATH_NONE if the helper refused to map (no
 * P2P route).
 */
enum p2pbuf_path p2pbuf_exp_compat_probe_route(struct dma_buf_attachment *attach,
					       struct p2pbuf_exp_buffer *buf)
{
	enum p2pbuf_path path;
	struct sg_table *sgt;

	dma_resv_assert_held(attach->dmabuf->resv);

	sgt = dma_buf_phys_vec_to_sgt(attach, buf->provider, &buf->vec[0], 1,
				      buf->vec[0].len, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt))
		return P2PBUF_PATH_NONE;
	path = p2pbuf_path_of_sgt(buf->provider, attach->dev, &buf->vec[0],
				  sgt);
	p2pbuf_exp_free_sgt(attach, sgt, DMA_BIDIRECTIONAL);
	return path;
}
