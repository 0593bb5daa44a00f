/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Walk the DMA side of an sg_table in pieces a device can take in one go.
 */
#ifndef _P2PBUF_SG_WALK_H
#define _P2PBUF_SG_WALK_H

#include <linux/types.h>

struct device;
struct p2pbuf_dma_range;
struct scatterlist;
struct sg_table;

/**
 * struct p2pbuf_sg_walk - a position in the DMA addresses of an sg_table
 *	or of a list of DMA ranges
 * @sg: the DMA segment the position is in; NULL at the end of the table
 *	and for a walk over ranges
 * @range: the range the position is in, for a walk over ranges
 *	(p2pbuf_sg_walk_start_ranges()); NULL at the end and for a table
 * @left: DMA segments (or ranges) after the current one that are still
 *	to be visited
 * @off: byte offset of the position inside @sg
 * @max_seg: longest piece the device takes, dma_get_max_seg_size()
 * @boundary: the device's segment boundary mask, dma_get_seg_boundary():
 *	no piece crosses an address that is a multiple of @boundary + 1
 *
 * Only the DMA addresses and lengths of the table are used: exporters of
 * device memory hand out tables whose entries carry no pages (their
 * orig_nents is 0).  A walk over ranges (an importer's own mapping of a
 * physical address list, include/p2pbuf/pal.h) cuts them the same way.
 * A walk is not tied to a lock; the caller keeps the table or the ranges
 * mapped while it walks (see Documentation/importer.rst).
 */
struct p2pbuf_sg_walk {
	struct scatterlist *sg;
	const struct p2pbuf_dma_range *range;
	unsigned int left;
	u64 off;
	unsigned int max_seg;
	unsigned long boundary;
};

int p2pbuf_sg_walk_start(struct p2pbuf_sg_walk *walk, struct sg_table *sgt,
			 struct device *dev, u64 offset);
int p2pbuf_sg_walk_start_ranges(struct p2pbuf_sg_walk *walk,
				const struct p2pbuf_dma_range *ranges,
				unsigned int nr, struct device *dev, u64 offset);
u64 p2pbuf_sg_walk_peek(const struct p2pbuf_sg_walk *walk, dma_addr_t *addr);
void p2pbuf_sg_walk_advance(struct p2pbuf_sg_walk *walk, u64 len);
u64 p2pbuf_sgt_dma_size(struct sg_table *sgt);
unsigned int p2pbuf_sgt_dma_runs(struct sg_table *sgt);

#endif /* _P2PBUF_SG_WALK_H */
