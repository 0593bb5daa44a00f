// SPDX-License-Identifier: GPL-2.0
/*
 * DRM_IOCTL_P2PBUF_IMP_BENCH_MAP: what one map and one unmap of an imported
 * dma-buf cost, one of three ways.
 *
 * A measurement path for the benchmark (tools/bench/, Documentation/
 * benchmarks.rst), not a way to move data.  The ways (the uAPI's
 * P2PBUF_IMP_BENCH_WAY_*):
 *
 *   SGT        the exporter maps: dma_buf_map_attachment() and
 *              dma_buf_unmap_attachment() of the import's attachment;
 *   PAL        the importer maps the exporter's physical address list
 *              (include/p2pbuf/pal.h) itself, as a PAL import does
 *              (p2pbuf_imp_pal_dma_map()): through an IOMMU one
 *              dma_iova_try_alloc() for the whole buffer, one
 *              dma_iova_link() per range at its offset, one
 *              dma_iova_sync(); the provider's bus addresses on the
 *              bus-address route; dma_map_phys() per range where no IOMMU
 *              translates;
 *   PER_RANGE  the legacy baseline: the same PAL, one dma_map_phys() with
 *              DMA_ATTR_MMIO (what dma_map_resource() is on Linux 7.3) per
 *              range on every route, as exporters of device memory mapped
 *              chunks before the two-step API (amdgpu's VRAM manager).
 *
 * A PAL way's iteration is what a PAL import's map and unmap are: the
 * exporter's &p2pbuf_pal_ops.map (the ranges, under the revoke's count),
 * the importer's mapping of them, and both given back.  The PAL is taken
 * on an attachment of the bench's own, negotiated to %P2PBUF_MAP_PAL,
 * so that the import's own attachment (its type, its mapping for the
 * engine) is left as it is.
 *
 * K iterations run under the dma-buf's reservation lock, so that the
 * exporter cannot invalidate in between (its invalidation takes that lock)
 * and every sample maps the same buffer in full; every call is timed with
 * ktime_get_ns() and the ioctl reports medians and 99th percentiles.  The
 * mappings made here are timed and unmapped, never given to the device.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/ktime.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>

#include <p2pbuf/pal.h>
#include <uapi/drm/p2pbuf_imp_drm.h>

#include "p2pbuf_imp_drv.h"

/* The samples of one run: map, unmap and their sum, per iteration. */
enum { BENCH_MAP, BENCH_UNMAP, BENCH_TOTAL, BENCH_NR };

/**
 * struct p2pbuf_imp_bench - one run of %DRM_IOCTL_P2PBUF_IMP_BENCH_MAP
 * @attach: the attachment mapped: the import's for way SGT, the bench's
 *	own PAL attachment for the others
 * @dev: the importing device
 * @pal_ops: PAL ways: the exporter's interconnect
 * @flags: PAL ways: p2pbuf_imp_pal_dma_map()'s flags
 * @sgt: way SGT: the exporter's mapping of this iteration
 * @pal: PAL ways: the exporter's ranges of this iteration
 * @map: PAL ways: the importer's mapping of @pal
 *
 * Context: used under the dma-buf's reservation lock only.
 */
struct p2pbuf_imp_bench {
	struct dma_buf_attachment *attach;
	struct device *dev;
	const struct p2pbuf_pal_ops *pal_ops;
	unsigned int flags;
	struct sg_table *sgt;
	struct p2pbuf_pal pal;
	struct p2pbuf_imp_pal_map map;
};

/* One way: map returns the mapping's DMA entries (> 0) or an errno. */
struct p2pbuf_imp_bench_way {
	bool pal;
	unsigned int flags;
	int (*map)(struct p2pbuf_imp_bench *b);
	void (*unmap)(struct p2pbuf_imp_bench *b);
};

/* Way SGT: the exporter's sg_table. */
static int p2pbuf_imp_bench_sgt_map(struct p2pbuf_imp_bench *b)
{
	b->sgt = dma_buf_map_attachment(b->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(b->sgt))
		return PTR_ERR(b->sgt);
	return b->sgt->nents;
}

static void p2pbuf_imp_bench_sgt_unmap(struct p2pbuf_imp_bench *b)
{
	dma_buf_unmap_attachment(b->attach, b->sgt, DMA_BIDIRECTIONAL);
}

/* The PAL ways: the exporter's ranges, mapped by the importer. */
static int p2pbuf_imp_bench_pal_map(struct p2pbuf_imp_bench *b)
{
	int ret;

	ret = b->pal_ops->map(b->attach, &b->pal);
	if (ret)
		return ret;
	ret = p2pbuf_imp_pal_dma_map(b->dev, &b->pal, &b->map,
				     DMA_BIDIRECTIONAL, b->flags);
	if (ret) {
		b->pal_ops->unmap(b->attach, &b->pal);
		return ret;
	}
	return b->map.nr;
}

static void p2pbuf_imp_bench_pal_unmap(struct p2pbuf_imp_bench *b)
{
	p2pbuf_imp_pal_dma_unmap(b->dev, &b->map);
	b->pal_ops->unmap(b->attach, &b->pal);
}

static const struct p2pbuf_imp_bench_way p2pbuf_imp_bench_ways[] = {
	[P2PBUF_IMP_BENCH_WAY_SGT] = {
		.map = p2pbuf_imp_bench_sgt_map,
		.unmap = p2pbuf_imp_bench_sgt_unmap,
	},
	[P2PBUF_IMP_BENCH_WAY_PAL] = {
		.pal = true,
		.map = p2pbuf_imp_bench_pal_map,
		.unmap = p2pbuf_imp_bench_pal_unmap,
	},
	[P2PBUF_IMP_BENCH_WAY_PER_RANGE] = {
		.pal = true,
		.flags = P2PBUF_IMP_PAL_PER_RANGE,
		.map = p2pbuf_imp_bench_pal_map,
		.unmap = p2pbuf_imp_bench_pal_unmap,
	},
};

/*
 * The bench's PAL attachment never holds a mapping while the reservation
 * lock is free (every iteration unmaps under it), so an invalidation has
 * nothing to take back.
 */
static void p2pbuf_imp_bench_invalidate(struct dma_buf_attachment *attach)
{
}

static const struct dma_buf_attach_ops p2pbuf_imp_bench_attach_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = p2pbuf_imp_bench_invalidate,
};

/* ---- the timed loop ------------------------------------------------------- */

static int p2pbuf_imp_bench_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v; returns the median (upper one for an even @n) and the p99. */
static void p2pbuf_imp_bench_stats(u64 *v, u32 n, u64 *median, u64 *p99)
{
	sort(v, n, sizeof(*v), p2pbuf_imp_bench_cmp, NULL);
	*median = v[n / 2];
	/* Nearest rank: the smallest sample with 99 % of them at or below. */
	*p99 = v[DIV_ROUND_UP(n * 99, 100) - 1];
}

/*
 * @n timed maps and unmaps of @way.  Context: the dma-buf's reservation
 * lock held.  Return: 0, the first failing map's error, or -EINTR.
 */
static int p2pbuf_imp_bench_run(struct p2pbuf_imp_bench *b,
				const struct p2pbuf_imp_bench_way *way, u32 n,
				u64 *v[BENCH_NR], u32 *nents)
{
	u64 t0, t1, t2;
	int ret;
	u32 i;

	dma_resv_assert_held(b->attach->dmabuf->resv);

	for (i = 0; i < n; i++) {
		if (fatal_signal_pending(current))
			return -EINTR;
		t0 = ktime_get_ns();
		ret = way->map(b);
		t1 = ktime_get_ns();
		if (ret < 0)
			return ret;
		if (!i)
			*nents = ret;
		way->unmap(b);
		t2 = ktime_get_ns();
		v[BENCH_MAP][i] = t1 - t0;
		v[BENCH_UNMAP][i] = t2 - t1;
		v[BENCH_TOTAL][i] = t2 - t0;
		/* A sleeping lock: let others run between samples. */
		cond_resched();
	}
	return 0;
}

/*
 * The run: for the PAL ways on an attachment of its own, negotiated to a
 * PAL (made and dropped without the reservation lock, as dma-buf wants).
 * Return: as the ioctl.
 */
static int p2pbuf_imp_bench_do(struct p2pbuf_imp_import *imp,
			       const struct p2pbuf_imp_bench_way *way, u32 n,
			       u64 *v[BENCH_NR], u32 *nents)
{
	struct dma_resv *resv = imp->base.resv;
	struct p2pbuf_imp_bench b = {
		.attach = imp->dynimp.attach,
		.dev = imp->base.dev->dev,
		.flags = way->flags,
	};
	int ret;

	if (way->pal) {
		/* A PAL is BAR memory: only for an import that may take it. */
		if (!imp->dynimp.attach || !imp->dynimp.attach->peer2peer)
			return -EOPNOTSUPP;
		b.pal_ops = p2pbuf_pal_ops_of(imp->dmabuf);
		if (!b.pal_ops)
			return -EOPNOTSUPP;
		b.attach = dma_buf_dynamic_attach(imp->dmabuf, b.dev,
						  &p2pbuf_imp_bench_attach_ops,
						  NULL);
		if (IS_ERR(b.attach))
			return PTR_ERR(b.attach);
	}

	ret = dma_resv_lock_interruptible(resv, NULL);
	if (ret)
		goto out_detach;
	if (imp->dynimp.state == P2PBUF_DYNIMP_DEAD) {
		ret = -ENODEV;
		goto out_unlock;
	}
	if (way->pal) {
		ret = b.pal_ops->negotiate(b.attach,
					   P2PBUF_MAP_BIT(P2PBUF_MAP_PAL));
		if (ret < 0)
			goto out_unlock;
		if (ret != P2PBUF_MAP_PAL) {
			ret = -EOPNOTSUPP;
			goto out_unlock;
		}
	}
	ret = p2pbuf_imp_bench_run(&b, way, n, v, nents);
out_unlock:
	dma_resv_unlock(resv);
out_detach:
	if (way->pal)
		dma_buf_detach(imp->dmabuf, b.attach);
	return ret;
}

/* DRM_IOCTL_P2PBUF_IMP_BENCH_MAP */
int p2pbuf_imp_bench_map_ioctl(struct drm_device *drm, void *data,
			       struct drm_file *file)
{
	struct drm_p2pbuf_imp_bench_map *args = data;
	struct p2pbuf_imp_import *imp;
	struct drm_gem_object *obj;
	u64 *v[BENCH_NR], *samples;
	u32 n = args->iterations, way;
	int ret, idx, k;

	if (args->flags || args->reserved[0] || args->reserved[1] ||
	    args->pad)
		return -EINVAL;
	if (!n || n > P2PBUF_IMP_BENCH_MAX_ITERATIONS)
		return -EINVAL;
	if (args->way >= ARRAY_SIZE(p2pbuf_imp_bench_ways))
		return -EINVAL;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	imp = to_p2pbuf_imp_import(obj);
	if (!imp) {
		ret = -EINVAL;
		goto out_put;
	}
	/* Unbind kills every import under this: no map after it. */
	if (!drm_dev_enter(drm, &idx)) {
		ret = -ENODEV;
		goto out_put;
	}

	samples = kvmalloc_array(array_size(BENCH_NR, n), sizeof(*samples),
				 GFP_KERNEL);
	if (!samples) {
		ret = -ENOMEM;
		goto out_exit;
	}
	for (k = 0; k < BENCH_NR; k++)
		v[k] = samples + (size_t)k * n;

	way = array_index_nospec(args->way, ARRAY_SIZE(p2pbuf_imp_bench_ways));
	ret = p2pbuf_imp_bench_do(imp, &p2pbuf_imp_bench_ways[way], n, v,
				  &args->nents);
	if (ret)
		goto out_free;

	p2pbuf_imp_bench_stats(v[BENCH_MAP], n, &args->map_median_ns,
			       &args->map_p99_ns);
	p2pbuf_imp_bench_stats(v[BENCH_UNMAP], n, &args->unmap_median_ns,
			       &args->unmap_p99_ns);
	p2pbuf_imp_bench_stats(v[BENCH_TOTAL], n, &args->total_median_ns,
			       &args->total_p99_ns);
out_free:
	kvfree(samples);
out_exit:
	drm_dev_exit(idx);
out_put:
	drm_gem_object_put(obj);
	return ret;
}
