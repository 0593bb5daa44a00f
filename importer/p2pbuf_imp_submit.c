// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's ioctls: copy between objects, write or check the pattern.
 *
 * One ioctl is one or more jobs.  A job:
 *
 * 1. takes the engine (its lock: jobs run one at a time);
 * 2. locks the objects' reservation objects (drm_exec: ww-mutexes), maps
 *    imports that are not mapped (first use, or first use after an
 *    invalidation), waits for the other users of the objects (implicit
 *    sync: readers wait for writers, writers for everyone), publishes its
 *    fence in the reservation objects and itself as the engine's active
 *    job, and unlocks;
 * 3. programs the engine with the DMA addresses of the mappings, piece by
 *    piece: walked with the device's segment limits (helpers/sg_walk.c),
 *    cut to the engine's transfer size.  The addresses are an sg_table
 *    (the exporter mapped) or the driver's own range list (a PAL import,
 *    p2pbuf_imp_pal.c): the walk is the same;
 * 4. signals its fence.
 *
 * If an exporter invalidates a mapping while the job runs (step 3), the
 * invalidation callback cancels the job, which stops before its next
 * command, and waits for the fence; the exporter unmaps after that.  The
 * ioctl then starts a new job for the rest of the work, which maps the
 * buffer again: for a moved buffer it goes on, for a revoked one the map
 * fails and the ioctl returns the exporter's error.  No command is ever
 * started with an address of a mapping that an invalidation has given
 * back.
 */
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/string.h>

#include <drm/drm_drv.h>
#include <drm/drm_exec.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>

#include <p2pbuf/sg_walk.h>
#include <uapi/drm/p2pbuf_imp_drm.h>
#include <uapi/linux/p2pbuf_pattern.h>

#include "p2pbuf_imp_drv.h"

/* How long a job waits for the other users of its objects. */
#define P2PBUF_IMP_SYNC_TIMEOUT_MS	10000
/* Jobs in a row that an invalidation stops before they move a byte. */
#define P2PBUF_IMP_MAX_RESTARTS		16

enum p2pbuf_imp_op_kind {
	P2PBUF_IMP_OP_COPY,
	P2PBUF_IMP_OP_WRITE,
	P2PBUF_IMP_OP_CHECK,
};

/*
 * The work of one ioctl.  @src is read (COPY, CHECK), @dst written (COPY,
 * WRITE); the other one is NULL.  @done grows as commands complete, so a
 * new job after a cancelled one starts where that one stopped.
 */
struct p2pbuf_imp_op {
	enum p2pbuf_imp_op_kind kind;
	struct drm_gem_object *src, *dst;
	u64 src_off, dst_off, size;
	u32 seed;
	u64 done;
	u64 bad;
	u8 found, expected;
};

/*
 * Between two commands: stop if an invalidation came (the caller maps
 * again and goes on), if the device is being unbound (unbind waits for
 * this ioctl: let it go after the command in flight, whatever the size of
 * the request), or on a fatal signal.
 */
static int p2pbuf_imp_job_check(const struct p2pbuf_imp_engine *engine,
				const struct p2pbuf_imp_job *job)
{
	if (READ_ONCE(job->cancelled))
		return -EAGAIN;
	if (drm_dev_is_unplugged(engine->drm))
		return -ENODEV;
	if (fatal_signal_pending(current))
		return -EINTR;
	return 0;
}

/* Wait for the fences of other users of @obj; its resv is held. */
static int p2pbuf_imp_job_sync(struct drm_gem_object *obj, bool write)
{
	long ret;

	ret = dma_resv_wait_timeout(obj->resv, dma_resv_usage_rw(write), true,
				    msecs_to_jiffies(P2PBUF_IMP_SYNC_TIMEOUT_MS));
	if (ret < 0)
		return ret;
	return ret ? 0 : -ETIMEDOUT;
}

/*
 * Before the engine is taken: wait for the other users of the objects
 * without any lock, so that a job stuck behind a foreign fence does not
 * hold the engine (and unbind) for the dependency timeout.  The wait in
 * the prepare step remains, for fences added in between.
 */
static int p2pbuf_imp_op_wait_deps(struct p2pbuf_imp_op *op)
{
	long ret = 1;

	if (op->src)
		ret = dma_resv_wait_timeout(op->src->resv,
					    DMA_RESV_USAGE_WRITE, true,
					    msecs_to_jiffies(P2PBUF_IMP_SYNC_TIMEOUT_MS));
	if (ret > 0 && op->dst)
		ret = dma_resv_wait_timeout(op->dst->resv,
					    DMA_RESV_USAGE_READ, true,
					    msecs_to_jiffies(P2PBUF_IMP_SYNC_TIMEOUT_MS));
	if (ret < 0)
		return ret;
	return ret ? 0 : -ETIMEDOUT;
}

/*
 * Step 2: lock, map, sync, publish.  On success the job is the engine's
 * active job and its fence is in the objects' reservation objects.
 */
static int p2pbuf_imp_job_prepare(struct p2pbuf_imp_engine *engine,
				  struct p2pbuf_imp_op *op,
				  struct p2pbuf_imp_job *job,
				  struct p2pbuf_imp_dma *src_dma,
				  struct p2pbuf_imp_dma *dst_dma)
{
	struct dma_fence *fence;
	struct drm_exec exec;
	int ret = 0;

	job->objs[0] = op->src ?: op->dst;
	job->objs[1] = op->dst ?: op->src;

	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT |
		      DRM_EXEC_IGNORE_DUPLICATES, ARRAY_SIZE(job->objs));
	drm_exec_until_all_locked(&exec) {
		/*
		 * Two fence slots: two objects may share a reservation object
		 * (imports of one dma-buf), which then gets the fence twice.
		 */
		ret = drm_exec_prepare_array(&exec, job->objs,
					     ARRAY_SIZE(job->objs), 2);
		drm_exec_retry_on_contention(&exec);
		if (ret)
			goto out;
	}

	if (op->src) {
		ret = p2pbuf_imp_gem_map(op->src, src_dma);
		if (ret)
			goto out;
		ret = p2pbuf_imp_job_sync(op->src, false);
		if (ret)
			goto out;
	}
	if (op->dst) {
		ret = p2pbuf_imp_gem_map(op->dst, dst_dma);
		if (ret)
			goto out;
		ret = p2pbuf_imp_job_sync(op->dst, true);
		if (ret)
			goto out;
	}

	fence = p2pbuf_imp_engine_fence(engine);
	if (IS_ERR(fence)) {
		ret = PTR_ERR(fence);
		goto out;
	}
	if (op->src && op->src != op->dst)
		dma_resv_add_fence(op->src->resv, fence, DMA_RESV_USAGE_READ);
	if (op->dst)
		dma_resv_add_fence(op->dst->resv, fence, DMA_RESV_USAGE_WRITE);
	job->fence = fence;
	p2pbuf_imp_engine_start(engine, job);
out:
	drm_exec_fini(&exec);
	return ret;
}

/*
 * Move @len bytes from @src to @dst through the engine's buffer: two
 * commands, each started only while the job may still touch its memory.
 */
static int p2pbuf_imp_move(struct p2pbuf_imp_engine *engine,
			   const struct p2pbuf_imp_job *job, dma_addr_t src,
			   dma_addr_t dst, u64 len)
{
	u64 buf = p2pbuf_imp_engine_buffer();

	return p2pbuf_imp_job_check(engine, job) ?:
	       p2pbuf_imp_engine_dma(engine, job, src, buf, len, false) ?:
	       p2pbuf_imp_job_check(engine, job) ?:
	       p2pbuf_imp_engine_dma(engine, job, buf, dst, len, true);
}

/* Step 3 for COPY: memory -> engine buffer -> memory, piece by piece. */
static int p2pbuf_imp_run_copy(struct p2pbuf_imp_engine *engine,
			       struct p2pbuf_imp_op *op,
			       const struct p2pbuf_imp_job *job,
			       const struct p2pbuf_imp_dma *src_dma,
			       const struct p2pbuf_imp_dma *dst_dma)
{
	struct p2pbuf_sg_walk src, dst;
	dma_addr_t src_addr, dst_addr;
	u64 len;
	int ret;

	ret = p2pbuf_imp_dma_walk_start(&src, src_dma, engine->dev,
					op->src_off + op->done);
	if (!ret)
		ret = p2pbuf_imp_dma_walk_start(&dst, dst_dma, engine->dev,
						op->dst_off + op->done);
	while (!ret && op->done < op->size) {
		len = min(op->size - op->done, P2PBUF_IMP_ENGINE_CHUNK);
		len = min(len, p2pbuf_sg_walk_peek(&src, &src_addr));
		len = min(len, p2pbuf_sg_walk_peek(&dst, &dst_addr));
		if (!len)
			return -EINVAL;

		ret = p2pbuf_imp_move(engine, job, src_addr, dst_addr, len);
		if (ret)
			break;
		p2pbuf_sg_walk_advance(&src, len);
		p2pbuf_sg_walk_advance(&dst, len);
		op->done += len;
	}
	return ret;
}

/* Step 3 for WRITE: the driver's pattern memory -> engine -> object. */
static int p2pbuf_imp_run_write(struct p2pbuf_imp_engine *engine,
				struct p2pbuf_imp_op *op,
				const struct p2pbuf_imp_job *job,
				const struct p2pbuf_imp_dma *dst_dma)
{
	u8 *pattern = engine->bounce;
	struct p2pbuf_sg_walk dst;
	dma_addr_t dst_addr;
	u64 len, i;
	int ret;

	ret = p2pbuf_imp_dma_walk_start(&dst, dst_dma, engine->dev,
					op->dst_off + op->done);
	while (!ret && op->done < op->size) {
		len = min(op->size - op->done, P2PBUF_IMP_ENGINE_CHUNK);
		len = min(len, p2pbuf_sg_walk_peek(&dst, &dst_addr));
		if (!len)
			return -EINVAL;
		for (i = 0; i < len; i++)
			pattern[i] = p2pbuf_pattern_byte(op->seed, op->done + i);

		ret = p2pbuf_imp_move(engine, job, engine->bounce_dma,
				      dst_addr, len);
		if (ret)
			break;
		p2pbuf_sg_walk_advance(&dst, len);
		op->done += len;
	}
	return ret;
}

/* Step 3 for CHECK: object -> engine -> the driver's memory, compared. */
static int p2pbuf_imp_run_check(struct p2pbuf_imp_engine *engine,
				struct p2pbuf_imp_op *op,
				const struct p2pbuf_imp_job *job,
				const struct p2pbuf_imp_dma *src_dma)
{
	u64 buf = p2pbuf_imp_engine_buffer();
	const u8 *seen = engine->bounce;
	struct p2pbuf_sg_walk src;
	dma_addr_t src_addr;
	u64 len, i;
	u8 want;
	int ret;

	ret = p2pbuf_imp_dma_walk_start(&src, src_dma, engine->dev,
					op->src_off + op->done);
	while (!ret && op->done < op->size) {
		len = min(op->size - op->done, P2PBUF_IMP_ENGINE_CHUNK);
		len = min(len, p2pbuf_sg_walk_peek(&src, &src_addr));
		if (!len)
			return -EINVAL;

		ret = p2pbuf_imp_job_check(engine, job) ?:
		      p2pbuf_imp_engine_dma(engine, job, src_addr, buf, len,
					    false) ?:
		      p2pbuf_imp_engine_dma(engine, job, buf,
					    engine->bounce_dma, len, true);
		if (ret)
			break;
		for (i = 0; i < len; i++) {
			want = p2pbuf_pattern_byte(op->seed, op->done + i);
			if (seen[i] != want) {
				op->bad = op->done + i;
				op->found = seen[i];
				op->expected = want;
				op->done = op->size;
				return 0;
			}
		}
		p2pbuf_sg_walk_advance(&src, len);
		op->done += len;
	}
	return ret;
}

static int p2pbuf_imp_job_run(struct p2pbuf_imp_engine *engine,
			      struct p2pbuf_imp_op *op,
			      const struct p2pbuf_imp_job *job,
			      const struct p2pbuf_imp_dma *src_dma,
			      const struct p2pbuf_imp_dma *dst_dma)
{
	int ret;

	if (op->src)
		p2pbuf_imp_gem_sync(op->src, src_dma->sgt, true);
	if (op->dst && op->dst != op->src)
		p2pbuf_imp_gem_sync(op->dst, dst_dma->sgt, true);

	switch (op->kind) {
	case P2PBUF_IMP_OP_COPY:
		ret = p2pbuf_imp_run_copy(engine, op, job, src_dma, dst_dma);
		break;
	case P2PBUF_IMP_OP_WRITE:
		ret = p2pbuf_imp_run_write(engine, op, job, dst_dma);
		break;
	default:
		ret = p2pbuf_imp_run_check(engine, op, job, src_dma);
		break;
	}

	if (op->src)
		p2pbuf_imp_gem_sync(op->src, src_dma->sgt, false);
	if (op->dst && op->dst != op->src)
		p2pbuf_imp_gem_sync(op->dst, dst_dma->sgt, false);
	return ret;
}

static int p2pbuf_imp_submit(struct p2pbuf_imp_device *idev,
			     struct p2pbuf_imp_op *op)
{
	struct p2pbuf_imp_engine *engine = &idev->engine;
	unsigned int restarts = 0;
	int ret, idx;

	/* The hardware is there until unbind has waited for us. */
	if (!drm_dev_enter(&idev->drm, &idx))
		return -ENODEV;
	/* Long waits for other users happen before the engine is taken. */
	ret = p2pbuf_imp_op_wait_deps(op);
	if (ret)
		goto exit;
	ret = mutex_lock_interruptible(&engine->lock);
	if (ret)
		goto exit;

	ret = p2pbuf_imp_engine_ready(engine);
	while (!ret && op->done < op->size) {
		struct p2pbuf_imp_dma src_dma = {}, dst_dma = {};
		struct p2pbuf_imp_job job = {};
		u64 before = op->done;
		bool cookie;

		/* Unbind is waiting for us: no map, no wait, no new job. */
		if (drm_dev_is_unplugged(&idev->drm)) {
			ret = -ENODEV;
			break;
		}
		ret = p2pbuf_imp_job_prepare(engine, op, &job, &src_dma,
					     &dst_dma);
		if (ret)
			break;

		cookie = dma_fence_begin_signalling();
		ret = p2pbuf_imp_job_run(engine, op, &job, &src_dma, &dst_dma);
		p2pbuf_imp_engine_finish(engine, &job,
					 ret == -EAGAIN ? -ECANCELED : ret);
		dma_fence_end_signalling(cookie);
		if (ret != -EAGAIN)
			break;

		/* An invalidation stopped the job: map again, go on. */
		ret = 0;
		if (op->done != before)
			restarts = 0;
		else if (++restarts > P2PBUF_IMP_MAX_RESTARTS)
			ret = -EBUSY;
	}

	mutex_unlock(&engine->lock);
exit:
	drm_dev_exit(idx);
	return ret;
}

/* [@offset, @offset + @size) inside @obj, without overflow */
static bool p2pbuf_imp_range_ok(struct drm_gem_object *obj, u64 offset,
				u64 size)
{
	u64 end;

	return !check_add_overflow(offset, size, &end) && end <= obj->size;
}

/* DRM_IOCTL_P2PBUF_IMP_COPY */
int p2pbuf_imp_copy_ioctl(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	struct drm_p2pbuf_imp_copy *args = data;
	struct p2pbuf_imp_op op = { .kind = P2PBUF_IMP_OP_COPY };
	int ret;

	if (args->flags || args->pad || !args->size)
		return -EINVAL;

	op.src = drm_gem_object_lookup(file, args->src_handle);
	op.dst = drm_gem_object_lookup(file, args->dst_handle);
	if (!op.src || !op.dst) {
		ret = -ENOENT;
		goto out;
	}
	op.src_off = args->src_offset;
	op.dst_off = args->dst_offset;
	op.size = args->size;
	if (!p2pbuf_imp_range_ok(op.src, op.src_off, op.size) ||
	    !p2pbuf_imp_range_ok(op.dst, op.dst_off, op.size) ||
	    (op.src == op.dst && op.src_off < op.dst_off + op.size &&
	     op.dst_off < op.src_off + op.size)) {
		ret = -EINVAL;
		goto out;
	}
	ret = p2pbuf_imp_submit(to_p2pbuf_imp(drm), &op);
out:
	if (op.dst)
		drm_gem_object_put(op.dst);
	if (op.src)
		drm_gem_object_put(op.src);
	return ret;
}

/* DRM_IOCTL_P2PBUF_IMP_PATTERN */
int p2pbuf_imp_pattern_ioctl(struct drm_device *drm, void *data,
			     struct drm_file *file)
{
	struct drm_p2pbuf_imp_pattern *args = data;
	struct p2pbuf_imp_op op = { .bad = P2PBUF_IMP_PATTERN_MATCH };
	struct drm_gem_object *obj;
	int ret;

	if (args->flags || memchr_inv(args->pad, 0, sizeof(args->pad)) ||
	    !args->size)
		return -EINVAL;
	switch (args->op) {
	case P2PBUF_IMP_PATTERN_WRITE:
		op.kind = P2PBUF_IMP_OP_WRITE;
		break;
	case P2PBUF_IMP_PATTERN_CHECK:
		op.kind = P2PBUF_IMP_OP_CHECK;
		break;
	default:
		return -EINVAL;
	}

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	if (!p2pbuf_imp_range_ok(obj, args->offset, args->size)) {
		ret = -EINVAL;
		goto out;
	}
	if (op.kind == P2PBUF_IMP_OP_WRITE) {
		op.dst = obj;
		op.dst_off = args->offset;
	} else {
		op.src = obj;
		op.src_off = args->offset;
	}
	op.size = args->size;
	op.seed = args->seed;

	ret = p2pbuf_imp_submit(to_p2pbuf_imp(drm), &op);
	args->bad_offset = op.bad;
	args->found = op.found;
	args->expected = op.expected;
out:
	drm_gem_object_put(obj);
	return ret;
}
