// SPDX-License-Identifier: GPL-2.0
/*
 * DRM_IOCTL_P2PBUF_IMP_BENCH_MAP: what one map and one unmap of an imported
 * dma-buf cost, as the exporter does them for this device.
 *
 * A measurement path for the benchmark (tools/bench/, Documentation/
 * benchmarks.rst), not a way to move data.  Under the dma-buf's
 * reservation lock, the import's attachment is mapped with
 * dma_buf_map_attachment() and unmapped at once with
 * dma_buf_unmap_attachment(), K times; every call is timed with
 * ktime_get_ns() and the ioctl reports medians and 99th percentiles.
 *
 * Holding the reservation lock for the whole run keeps the exporter from
 * invalidating the attachment in between (its invalidation takes that
 * lock), so every sample is a full map of the same buffer.  The import's
 * own mapping for the engine, if there is one, is not touched: the
 * exporter sees one more mapping of the attachment for the time of each
 * sample, as dma-buf allows.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/ktime.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>

#include <uapi/drm/p2pbuf_imp_drm.h>

#include "p2pbuf_imp_drv.h"

/* The samples of one run: map, unmap and their sum, per iteration. */
enum { BENCH_MAP, BENCH_UNMAP, BENCH_TOTAL, BENCH_NR };

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
 * The timed loop.  Context: the dma-buf's reservation lock held.
 * Return: 0, the exporter's error of the first map, or -EINTR.
 */
static int p2pbuf_imp_bench_run(struct dma_buf_attachment *attach, u32 n,
				u64 *v[BENCH_NR], u32 *nents)
{
	struct sg_table *sgt;
	u64 t0, t1, t2;
	u32 i;

	dma_resv_assert_held(attach->dmabuf->resv);

	for (i = 0; i < n; i++) {
		if (fatal_signal_pending(current))
			return -EINTR;
		t0 = ktime_get_ns();
		sgt = dma_buf_map_attachment(attach, DMA_BIDIRECTIONAL);
		t1 = ktime_get_ns();
		if (IS_ERR(sgt))
			return PTR_ERR(sgt);
		if (!i)
			*nents = sgt->nents;
		dma_buf_unmap_attachment(attach, sgt, DMA_BIDIRECTIONAL);
		t2 = ktime_get_ns();
		v[BENCH_MAP][i] = t1 - t0;
		v[BENCH_UNMAP][i] = t2 - t1;
		v[BENCH_TOTAL][i] = t2 - t0;
		/* A sleeping lock: let others run between samples. */
		cond_resched();
	}
	return 0;
}

/* DRM_IOCTL_P2PBUF_IMP_BENCH_MAP */
int p2pbuf_imp_bench_map_ioctl(struct drm_device *drm, void *data,
			       struct drm_file *file)
{
	struct drm_p2pbuf_imp_bench_map *args = data;
	struct p2pbuf_imp_import *imp;
	struct drm_gem_object *obj;
	u64 *v[BENCH_NR], *samples;
	u32 n = args->iterations;
	int ret, idx, k;

	if (args->flags || args->reserved[0] || args->reserved[1])
		return -EINVAL;
	if (!n || n > P2PBUF_IMP_BENCH_MAX_ITERATIONS)
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

	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		goto out_free;
	if (imp->dynimp.state == P2PBUF_DYNIMP_DEAD)
		ret = -ENODEV;
	else
		ret = p2pbuf_imp_bench_run(imp->dynimp.attach, n, v,
					   &args->nents);
	dma_resv_unlock(obj->resv);
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
