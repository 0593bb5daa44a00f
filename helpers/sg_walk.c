// SPDX-License-Identifier: GPL-2.0
/*
 * Walk the DMA addresses of a mapped sg_table in pieces that respect the
 * importing device's DMA limits.
 *
 * A dma-buf exporter maps its memory for the importer's device, but it
 * does not have to honour that device's dma_get_max_seg_size() or segment
 * boundary: dma_buf_phys_vec_to_sgt(), which p2pbuf's exporter uses, puts
 * a whole BAR range (or, behind an IOMMU, the whole buffer) in one entry.
 * And the entries of such a table carry no struct page: only the DMA side
 * (for_each_sgtable_dma_sg(), sg_dma_address(), sg_dma_len()) is valid.
 * The walk below reads nothing else, and cuts each DMA segment into pieces
 * no longer than the device's maximum segment size that do not cross its
 * segment boundary; a driver then cuts a piece further to its engine's
 * transfer size.
 */
#include <linux/dma-mapping.h>
#include <linux/export.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/scatterlist.h>

#include <p2pbuf/pal.h>
#include <p2pbuf/sg_walk.h>

/* DMA address and length of the walk's current segment or range. */
static dma_addr_t walk_addr(const struct p2pbuf_sg_walk *walk)
{
	return walk->sg ? sg_dma_address(walk->sg) : walk->range->addr;
}

static u64 walk_len(const struct p2pbuf_sg_walk *walk)
{
	return walk->sg ? sg_dma_len(walk->sg) : walk->range->len;
}

static void walk_init(struct p2pbuf_sg_walk *walk, struct device *dev)
{
	walk->max_seg = dma_get_max_seg_size(dev);
	walk->boundary = dma_get_seg_boundary(dev);
	walk->sg = NULL;
	walk->range = NULL;
	walk->left = 0;
	walk->off = 0;
}

/**
 * p2pbuf_sg_walk_start() - start a walk at a byte offset of a table
 * @walk: the walk to set up
 * @sgt: a table mapped for @dev (its DMA side: nents entries)
 * @dev: the device the table is mapped for; its DMA limits shape the pieces
 * @offset: byte offset into the DMA address space the table describes
 *
 * Return: 0, or -EINVAL if @offset is past the end of the table.  A walk
 * started exactly at the end is valid and empty.
 */
int p2pbuf_sg_walk_start(struct p2pbuf_sg_walk *walk, struct sg_table *sgt,
			 struct device *dev, u64 offset)
{
	struct scatterlist *sg;
	unsigned int i;

	walk_init(walk, dev);
	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (offset < sg_dma_len(sg)) {
			walk->sg = sg;
			walk->left = sgt->nents - i - 1;
			walk->off = offset;
			return 0;
		}
		offset -= sg_dma_len(sg);
	}
	return offset ? -EINVAL : 0;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_sg_walk_start, "P2PBUF");

/**
 * p2pbuf_sg_walk_start_ranges() - start a walk at a byte offset of ranges
 * @walk: the walk to set up
 * @ranges: DMA ranges for @dev in buffer order (an importer's own mapping
 *	of a physical address list); empty ranges are skipped
 * @nr: number of entries of @ranges
 * @dev: the device the ranges are mapped for; its DMA limits shape the
 *	pieces
 * @offset: byte offset into the DMA address space the ranges describe
 *
 * The walk then cuts the ranges exactly as p2pbuf_sg_walk_start() cuts
 * the segments of an sg_table: p2pbuf_sg_walk_peek() and
 * p2pbuf_sg_walk_advance() serve both.
 *
 * Return: 0, or -EINVAL if @offset is past the end of the ranges.  A walk
 * started exactly at the end is valid and empty.
 */
int p2pbuf_sg_walk_start_ranges(struct p2pbuf_sg_walk *walk,
				const struct p2pbuf_dma_range *ranges,
				unsigned int nr, struct device *dev, u64 offset)
{
	unsigned int i;

	walk_init(walk, dev);
	for (i = 0; i < nr; i++) {
		if (offset < ranges[i].len) {
			walk->range = &ranges[i];
			walk->left = nr - i - 1;
			walk->off = offset;
			return 0;
		}
		offset -= ranges[i].len;
	}
	return offset ? -EINVAL : 0;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_sg_walk_start_ranges, "P2PBUF");

/**
 * p2pbuf_sg_walk_peek() - the piece of DMA address space at the position
 * @walk: the walk
 * @addr: set to the DMA address of the position
 *
 * The piece is contiguous in DMA address space, at most
 * &p2pbuf_sg_walk.max_seg long (counted from the start of its segment) and
 * does not cross the device's segment boundary.  The walk does not move.
 *
 * Return: the length of the piece in bytes, 0 at the end of the table.
 */
u64 p2pbuf_sg_walk_peek(const struct p2pbuf_sg_walk *walk, dma_addr_t *addr)
{
	dma_addr_t pos;
	u64 off, avail, to_boundary;
	u32 in_seg;

	if (!walk->sg && !walk->range)
		return 0;

	/* A range may be longer than 4 GiB: a 64-bit offset. */
	off = walk->off;
	pos = walk_addr(walk) + off;
	div_u64_rem(off, walk->max_seg, &in_seg);
	avail = min(walk_len(walk) - off, (u64)(walk->max_seg - in_seg));
	/* Bytes left before the boundary, minus one: cannot overflow. */
	to_boundary = walk->boundary - (pos & walk->boundary);
	if (to_boundary < avail - 1)
		avail = to_boundary + 1;

	*addr = pos;
	return avail;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_sg_walk_peek, "P2PBUF");

/**
 * p2pbuf_sg_walk_advance() - move the position forward
 * @walk: the walk
 * @len: bytes to move; at most what p2pbuf_sg_walk_peek() returned last,
 *	or any length that stays inside the table
 */
void p2pbuf_sg_walk_advance(struct p2pbuf_sg_walk *walk, u64 len)
{
	walk->off += len;
	while ((walk->sg || walk->range) && walk->off >= walk_len(walk)) {
		walk->off -= walk_len(walk);
		if (!walk->left) {
			walk->sg = NULL;
			walk->range = NULL;
			break;
		}
		if (walk->sg)
			walk->sg = sg_next(walk->sg);
		else
			walk->range++;
		walk->left--;
	}
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_sg_walk_advance, "P2PBUF");

/**
 * p2pbuf_sgt_dma_size() - bytes of DMA address space a table describes
 * @sgt: a mapped table
 *
 * Return: the sum of the DMA lengths of its entries.
 */
u64 p2pbuf_sgt_dma_size(struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i;
	u64 size = 0;

	for_each_sgtable_dma_sg(sgt, sg, i)
		size += sg_dma_len(sg);
	return size;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_sgt_dma_size, "P2PBUF");

/**
 * p2pbuf_sgt_dma_runs() - number of contiguous DMA address runs in a table
 * @sgt: a mapped table
 *
 * Entries that continue exactly where the one before ended count as one
 * run: a buffer mapped through an IOMMU is one run whatever its layout in
 * the exporter's memory.
 *
 * Return: the number of runs, 0 for an empty table.
 */
unsigned int p2pbuf_sgt_dma_runs(struct sg_table *sgt)
{
	struct scatterlist *sg;
	dma_addr_t end = 0;
	unsigned int i, runs = 0;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (!runs || sg_dma_address(sg) != end)
			runs++;
		end = sg_dma_address(sg) + sg_dma_len(sg);
	}
	return runs;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_sgt_dma_runs, "P2PBUF");
