// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: helpers/sg_walk.c cuts the DMA side of a table into pieces that
 * respect the importing device's maximum segment size and segment
 * boundary.  The tables are real sg_tables whose DMA addresses and lengths
 * are set by hand, as an exporter of device memory sets them (no pages);
 * the device is a KUnit device with the DMA limits under test.  Range
 * lists (an importer's own mapping of a PAL) must be cut the same way.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>

#include <p2pbuf/pal.h>
#include <p2pbuf/sg_walk.h>

#include "p2pbuf_kunit.h"

struct dma_seg {
	dma_addr_t addr;
	u64 len;
};

#define MAX_PIECES	16

KUNIT_DEFINE_ACTION_WRAPPER(sg_free_table_action, sg_free_table,
			    struct sg_table *);

/*
 * A table of @n entries whose DMA side is @segs[0..@nents): the entries
 * past @nents are allocated but unused, as after an IOMMU merged them.
 */
static struct sg_table *dma_table(struct kunit *test, const struct dma_seg *segs,
				  unsigned int n, unsigned int nents)
{
	struct sg_table *sgt = kunit_kzalloc(test, sizeof(*sgt), GFP_KERNEL);
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, sgt);
	KUNIT_ASSERT_EQ(test, 0, sg_alloc_table(sgt, n, GFP_KERNEL));
	ret = kunit_add_action_or_reset(test, sg_free_table_action, sgt);
	KUNIT_ASSERT_EQ(test, ret, 0);
	for_each_sg(sgt->sgl, sg, n, i) {
		sg_dma_address(sg) = i < nents ? segs[i].addr : 0xdead0000;
		sg_dma_len(sg) = i < nents ? segs[i].len : SZ_4K;
	}
	sgt->nents = nents;
	return sgt;
}

/* A device that takes at most @max_seg bytes and never crosses @boundary. */
static struct device *dma_dev(struct kunit *test, unsigned int max_seg,
			      unsigned long boundary)
{
	struct device *dev = p2pbuf_kunit_device(test);

	dev->dma_parms = kunit_kzalloc(test, sizeof(*dev->dma_parms), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dev->dma_parms);
	dma_set_max_seg_size(dev, max_seg);
	dma_set_seg_boundary(dev, boundary);
	return dev;
}

/* Walk a started @walk to the end, advancing @step bytes (0: whole pieces). */
static void expect_pieces(struct kunit *test, struct p2pbuf_sg_walk *walk,
			  u64 step, const struct dma_seg *want,
			  unsigned int nwant)
{
	dma_addr_t addr;
	unsigned int n = 0;
	u64 len;

	while ((len = p2pbuf_sg_walk_peek(walk, &addr))) {
		KUNIT_ASSERT_LT_MSG(test, n, nwant, "more pieces than expected");
		KUNIT_EXPECT_EQ_MSG(test, addr, want[n].addr, "piece %u", n);
		KUNIT_EXPECT_EQ_MSG(test, len, want[n].len, "piece %u", n);
		if (step && step < len) {
			/* Part of a piece: the rest is the next piece. */
			p2pbuf_sg_walk_advance(walk, step);
			KUNIT_ASSERT_EQ(test, p2pbuf_sg_walk_peek(walk, &addr),
					len - step);
			KUNIT_EXPECT_EQ(test, addr, want[n].addr + step);
			p2pbuf_sg_walk_advance(walk, len - step);
		} else {
			p2pbuf_sg_walk_advance(walk, len);
		}
		n++;
	}
	KUNIT_EXPECT_EQ_MSG(test, n, nwant, "fewer pieces than expected");
	KUNIT_EXPECT_NULL(test, walk->sg);
	KUNIT_EXPECT_NULL(test, walk->range);
}

/* Walk @sgt from @offset to the end, advancing @step bytes. */
static void expect_walk(struct kunit *test, struct sg_table *sgt,
			struct device *dev, u64 offset, u64 step,
			const struct dma_seg *want, unsigned int nwant)
{
	struct p2pbuf_sg_walk walk;

	KUNIT_ASSERT_EQ(test, 0, p2pbuf_sg_walk_start(&walk, sgt, dev, offset));
	expect_pieces(test, &walk, step, want, nwant);
}

/* Walk the range list @r[0..@n) from @offset to the end. */
static void expect_range_walk(struct kunit *test,
			      const struct p2pbuf_dma_range *r, unsigned int n,
			      struct device *dev, u64 offset, u64 step,
			      const struct dma_seg *want, unsigned int nwant)
{
	struct p2pbuf_sg_walk walk;

	KUNIT_ASSERT_EQ(test, 0,
			p2pbuf_sg_walk_start_ranges(&walk, r, n, dev, offset));
	expect_pieces(test, &walk, step, want, nwant);
}

/* One BAR range in one entry, as dma_buf_phys_vec_to_sgt() makes it. */
static void sg_walk_max_seg_split(struct kunit *test)
{
	static const struct dma_seg segs[] = { { 0x80000000, 200 * SZ_1K } };
	static const struct dma_seg want[] = {
		{ 0x80000000, SZ_64K }, { 0x80010000, SZ_64K },
		{ 0x80020000, SZ_64K }, { 0x80030000, 8 * SZ_1K },
	};
	struct sg_table *sgt = dma_table(test, segs, 1, 1);

	/* p2pbuf_imp's limit (P2PBUF_IMP_MAX_SEG_SIZE), no boundary. */
	expect_walk(test, sgt, dma_dev(test, SZ_64K, ULONG_MAX), 0, 0,
		    want, ARRAY_SIZE(want));
	/* The engine advances in 2 KiB commands: same pieces. */
	expect_walk(test, sgt, dma_dev(test, SZ_64K, ULONG_MAX), 0, SZ_2K,
		    want, ARRAY_SIZE(want));
}

/* A limit that is no power of two, and segments shorter than it. */
static void sg_walk_multi_segment(struct kunit *test)
{
	static const struct dma_seg segs[] = {
		{ 0x10000000, 100 * SZ_1K },
		{ 0x20000000, SZ_4K },
		{ 0x30000000, 100 * SZ_1K },
	};
	static const struct dma_seg want[] = {
		{ 0x10000000, 48 * SZ_1K }, { 0x1000c000, 48 * SZ_1K },
		{ 0x10018000, SZ_4K },
		{ 0x20000000, SZ_4K },
		{ 0x30000000, 48 * SZ_1K }, { 0x3000c000, 48 * SZ_1K },
		{ 0x30018000, SZ_4K },
	};

	expect_walk(test, dma_table(test, segs, 3, 3),
		    dma_dev(test, 48 * SZ_1K, ULONG_MAX), 0, 0,
		    want, ARRAY_SIZE(want));
}

/* No piece crosses a multiple of boundary + 1, even below max_seg. */
static void sg_walk_boundary(struct kunit *test)
{
	static const struct dma_seg segs[] = { { 0x100008000ULL, SZ_128K } };
	static const struct dma_seg want[] = {
		{ 0x100008000ULL, SZ_32K }, { 0x100010000ULL, SZ_64K },
		{ 0x100020000ULL, SZ_32K },
	};

	expect_walk(test, dma_table(test, segs, 1, 1),
		    dma_dev(test, SZ_1M, SZ_64K - 1), 0, 0,
		    want, ARRAY_SIZE(want));
}

/*
 * A start inside a segment: pieces stay cut where a walk from the start of
 * the segment cuts them (max_seg counts from the segment's start).
 */
static void sg_walk_start_offset(struct kunit *test)
{
	static const struct dma_seg segs[] = {
		{ 0x10000000, 200 * SZ_1K }, { 0x40000000, SZ_64K },
	};
	static const struct dma_seg want_mid[] = {
		{ 0x10011800, 58 * SZ_1K }, { 0x10020000, SZ_64K },
		{ 0x10030000, 8 * SZ_1K }, { 0x40000000, SZ_64K },
	};
	static const struct dma_seg want_second[] = {
		{ 0x40001000, 60 * SZ_1K },
	};
	struct sg_table *sgt = dma_table(test, segs, 2, 2);
	struct device *dev = dma_dev(test, SZ_64K, ULONG_MAX);

	expect_walk(test, sgt, dev, 70 * SZ_1K, 0, want_mid, ARRAY_SIZE(want_mid));
	expect_walk(test, sgt, dev, 204 * SZ_1K, 0, want_second,
		    ARRAY_SIZE(want_second));
}

/* The walk ends at nents, not at the entries the table has allocated. */
static void sg_walk_nents_not_orig(struct kunit *test)
{
	static const struct dma_seg segs[] = {
		{ 0x50000000, SZ_16K }, { 0x60000000, SZ_16K },
	};
	struct sg_table *sgt = dma_table(test, segs, 4, 2);

	expect_walk(test, sgt, dma_dev(test, SZ_64K, ULONG_MAX), 0, 0,
		    segs, ARRAY_SIZE(segs));
	KUNIT_EXPECT_EQ(test, p2pbuf_sgt_dma_size(sgt), 2 * SZ_16K);
}

static void sg_walk_bounds(struct kunit *test)
{
	static const struct dma_seg segs[] = {
		{ 0x10000000, SZ_8K }, { 0x20000000, SZ_8K },
	};
	struct sg_table *sgt = dma_table(test, segs, 2, 2);
	struct device *dev = dma_dev(test, SZ_64K, ULONG_MAX);
	struct p2pbuf_sg_walk walk;
	dma_addr_t addr = 0;

	/* Exactly at the end: valid and empty. */
	KUNIT_EXPECT_EQ(test, 0, p2pbuf_sg_walk_start(&walk, sgt, dev, SZ_16K));
	KUNIT_EXPECT_EQ(test, 0, p2pbuf_sg_walk_peek(&walk, &addr));
	/* Past the end. */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			p2pbuf_sg_walk_start(&walk, sgt, dev, SZ_16K + 1));
	/* An advance across an entry lands in the next one. */
	KUNIT_ASSERT_EQ(test, 0, p2pbuf_sg_walk_start(&walk, sgt, dev, SZ_4K));
	p2pbuf_sg_walk_advance(&walk, SZ_8K);
	KUNIT_EXPECT_EQ(test, SZ_4K, p2pbuf_sg_walk_peek(&walk, &addr));
	KUNIT_EXPECT_EQ(test, addr, 0x20001000);
	/* An advance to the end ends the walk. */
	p2pbuf_sg_walk_advance(&walk, SZ_4K);
	KUNIT_EXPECT_EQ(test, 0, p2pbuf_sg_walk_peek(&walk, &addr));
}

/* Without dma_parms a device gets the DMA API's defaults (64 KiB). */
static void sg_walk_default_limits(struct kunit *test)
{
	static const struct dma_seg segs[] = { { 0x70000000, SZ_128K } };
	static const struct dma_seg want[] = {
		{ 0x70000000, SZ_64K }, { 0x70010000, SZ_64K },
	};
	struct device *dev = p2pbuf_kunit_device(test);

	expect_walk(test, dma_table(test, segs, 1, 1), dev, 0, 0,
		    want, ARRAY_SIZE(want));
}

static void sg_walk_size_and_runs(struct kunit *test)
{
	/* Behind an IOMMU: contiguous entries, one run. */
	static const struct dma_seg iova[] = {
		{ 0xfff00000, SZ_4K }, { 0xfff01000, SZ_8K }, { 0xfff03000, SZ_4K },
	};
	/* Bus addresses of three BAR ranges, two of them adjacent. */
	static const struct dma_seg bus[] = {
		{ 0xfe000000, SZ_4K }, { 0xfe100000, SZ_4K }, { 0xfe101000, SZ_4K },
	};

	KUNIT_EXPECT_EQ(test, p2pbuf_sgt_dma_runs(dma_table(test, iova, 3, 3)), 1);
	KUNIT_EXPECT_EQ(test, p2pbuf_sgt_dma_size(dma_table(test, iova, 3, 3)),
			SZ_16K);
	KUNIT_EXPECT_EQ(test, p2pbuf_sgt_dma_runs(dma_table(test, bus, 3, 3)), 2);
	KUNIT_EXPECT_EQ(test, p2pbuf_sgt_dma_runs(dma_table(test, bus, 3, 0)), 0);
	KUNIT_EXPECT_EQ(test, p2pbuf_sgt_dma_size(dma_table(test, bus, 3, 0)), 0);
}

/*
 * An importer's own mapping of a PAL: the same cuts as an sg_table with
 * the same segments (max_seg counted from each range's start, the
 * boundary), from the start and from inside a range.
 */
static void range_walk_like_sgt(struct kunit *test)
{
	static const struct dma_seg segs[] = {
		{ 0x100008000ULL, 100 * SZ_1K }, { 0x20000000, SZ_4K },
		{ 0x30000000, 100 * SZ_1K },
	};
	static const struct p2pbuf_dma_range r[] = {
		{ 0x100008000ULL, 100 * SZ_1K }, { 0x20000000, SZ_4K },
		{ 0x30000000, 100 * SZ_1K },
	};
	/* 48 KiB pieces that do not cross 64 KiB boundaries. */
	static const struct dma_seg want[] = {
		{ 0x100008000ULL, SZ_32K }, { 0x100010000ULL, 16 * SZ_1K },
		{ 0x100014000ULL, 48 * SZ_1K }, { 0x100020000ULL, 4 * SZ_1K },
		{ 0x20000000, SZ_4K },
		{ 0x30000000, 48 * SZ_1K }, { 0x3000c000, SZ_16K },
		{ 0x30010000, SZ_32K }, { 0x30018000, SZ_4K },
	};
	/* From 52 KiB into the third range: cut where the boundary is. */
	static const struct dma_seg want_mid[] = {
		{ 0x3000d000, 12 * SZ_1K }, { 0x30010000, SZ_32K },
		{ 0x30018000, SZ_4K },
	};
	struct device *dev = dma_dev(test, 48 * SZ_1K, SZ_64K - 1);

	expect_walk(test, dma_table(test, segs, 3, 3), dev, 0, 0, want,
		    ARRAY_SIZE(want));
	expect_range_walk(test, r, 3, dev, 0, 0, want, ARRAY_SIZE(want));
	/* The engine advances in 2 KiB commands: same pieces. */
	expect_range_walk(test, r, 3, dev, 0, SZ_2K, want, ARRAY_SIZE(want));
	/* From inside the third range: the same cuts. */
	expect_range_walk(test, r, 3, dev, 104 * SZ_1K + 52 * SZ_1K, 0,
			  want_mid, ARRAY_SIZE(want_mid));
	expect_walk(test, dma_table(test, segs, 3, 3), dev,
		    104 * SZ_1K + 52 * SZ_1K, 0, want_mid, ARRAY_SIZE(want_mid));
}

/*
 * One IOVA range for a buffer of more than 4 GiB (a range list is not
 * bound to an sg entry's 32-bit length): the offsets past 4 GiB cut at
 * the same multiples of max_seg.
 */
static void range_walk_beyond_4g(struct kunit *test)
{
	static const struct p2pbuf_dma_range r[] = {
		{ 0x1000000000ULL, 6ULL * SZ_1G },
	};
	static const struct dma_seg want[] = {
		{ 0x1000000000ULL, 2ULL * SZ_1G }, { 0x1080000000ULL, 2ULL * SZ_1G },
		{ 0x1100000000ULL, 2ULL * SZ_1G },
	};
	static const struct dma_seg want_late[] = {
		{ 0x1140000000ULL, SZ_1G },
	};
	struct device *dev = dma_dev(test, 2U * SZ_1G, ULONG_MAX);

	expect_range_walk(test, r, 1, dev, 0, 0, want, ARRAY_SIZE(want));
	expect_range_walk(test, r, 1, dev, 5ULL * SZ_1G, 0, want_late,
			  ARRAY_SIZE(want_late));
}

static void range_walk_bounds(struct kunit *test)
{
	/* An empty range in the middle is skipped. */
	static const struct p2pbuf_dma_range r[] = {
		{ 0x10000000, SZ_8K }, { 0x18000000, 0 }, { 0x20000000, SZ_8K },
	};
	struct device *dev = dma_dev(test, SZ_64K, ULONG_MAX);
	struct p2pbuf_sg_walk walk;
	dma_addr_t addr = 0;

	KUNIT_EXPECT_EQ(test, 0,
			p2pbuf_sg_walk_start_ranges(&walk, r, 3, dev, SZ_16K));
	KUNIT_EXPECT_EQ(test, 0, p2pbuf_sg_walk_peek(&walk, &addr));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			p2pbuf_sg_walk_start_ranges(&walk, r, 3, dev,
						    SZ_16K + 1));
	KUNIT_EXPECT_EQ(test, 0,
			p2pbuf_sg_walk_start_ranges(&walk, r, 0, dev, 0));
	KUNIT_EXPECT_EQ(test, 0, p2pbuf_sg_walk_peek(&walk, &addr));

	KUNIT_ASSERT_EQ(test, 0,
			p2pbuf_sg_walk_start_ranges(&walk, r, 3, dev, SZ_4K));
	p2pbuf_sg_walk_advance(&walk, SZ_4K);
	KUNIT_EXPECT_EQ(test, SZ_8K, p2pbuf_sg_walk_peek(&walk, &addr));
	KUNIT_EXPECT_EQ(test, addr, 0x20000000);
	p2pbuf_sg_walk_advance(&walk, SZ_8K);
	KUNIT_EXPECT_EQ(test, 0, p2pbuf_sg_walk_peek(&walk, &addr));
	KUNIT_EXPECT_NULL(test, walk.range);
}

static struct kunit_case sg_walk_cases[] = {
	KUNIT_CASE(sg_walk_max_seg_split),
	KUNIT_CASE(sg_walk_multi_segment),
	KUNIT_CASE(sg_walk_boundary),
	KUNIT_CASE(sg_walk_start_offset),
	KUNIT_CASE(sg_walk_nents_not_orig),
	KUNIT_CASE(sg_walk_bounds),
	KUNIT_CASE(sg_walk_default_limits),
	KUNIT_CASE(sg_walk_size_and_runs),
	KUNIT_CASE(range_walk_like_sgt),
	KUNIT_CASE(range_walk_beyond_4g),
	KUNIT_CASE(range_walk_bounds),
	{}
};

static struct kunit_suite sg_walk_suite = {
	.name = "p2pbuf_sg_walk",
	.test_cases = sg_walk_cases,
};

kunit_test_suite(sg_walk_suite);
