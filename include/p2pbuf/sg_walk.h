/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Walk the DMA side of an sg_table in pieces a device can take in one go.
 */
#ifndef _P2PBUF_SG_WALK_H
#define _P2PBUF_SG_WALK_H

#include <linux/types.h>

struct device;
struct scatterlist;
struct sg_table;

/**
 * struct p2pbuf_sg_walk - a position in the DMA addresses of an sg_table
 * @sg: the DMA segment the position is in; NULL at the end of the table
 * @left: DMA segments after @sg that are still to be visited
 * @off: byte offset of the position inside @sg
 * @max_seg: longest piece the device takes, dma_get_max_seg_size()
 * @boundary: the device's segment boundary mask, dma_get_seg_boundary():
 *	no piece crosses an address that is a multiple of @boundary + 1
 *
 * Only the DMA addresses and lengths of the table are used: exporters of
 * device memory hand out tables whose entries carry no pages (their
 * orig_nents is 0).  A walk is not tied to a lock; the caller keeps the
 * table mapped while it walks (see Documentation/importer.rst).
 */
struct p2pbuf_sg_walk {
	struct scatterlist *sg;
	unsigned int left;
	u64 off;
	unsigned int max_seg;
	unsigned long boundary;
};

int p2pbuf_sg_walk_start(struct p2pbuf_sg_walk *walk, struct sg_table *sgt,
			 struct device *dev, u64 offset);
u64 p2pbuf_sg_walk_peek(const struct p2pbuf_sg_walk *walk, dma_addr_t *addr);
void p2pbuf_sg_walk_advance(struct p2pbuf_sg_walk *walk, u64 len);
u64 p2pbuf_sgt_dma_size(struct sg_table *sgt);
unsigned int p2pbuf_sgt_dma_runs(struct sg_table *sgt);

#endif /* _P2PBUF_SG_WALK_H */
