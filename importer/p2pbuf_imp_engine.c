// SPDX-License-Identifier: GPL-2.0
/*
 * The DMA engine: QEMU's "edu" device.
 *
 * edu has one DMA channel between system memory (any DMA address, here
 * also another device's BAR) and a 4 KiB buffer inside the device.  A
 * command moves one contiguous range either way; a device-to-device copy
 * is two commands per piece: memory -> edu buffer, edu buffer -> memory.
 * A command runs until the start bit of the command register clears, and
 * raises an interrupt on completion when asked to.  QEMU 7.2's edu stops
 * the whole machine on a transfer that touches the last byte of its
 * buffer, so commands move at most half of it (P2PBUF_IMP_ENGINE_CHUNK).
 *
 * A command that outlives its timeout is stopped before anything else
 * happens: bus mastering is cleared, so that the device can no longer
 * reach memory, and the driver waits a bounded time for it to report idle
 * (p2pbuf_imp_engine_stop()).  Only then does the job end and its fence
 * signal: a fence's waiter (an invalidation about to unmap, unbind about
 * to free the bounce buffer) may rely on the device not writing any more.
 *
 * Completion is what the hardware says, not the interrupt: a command is
 * done when its start bit reads 0.  The interrupt only wakes the waiter,
 * so a late interrupt of an earlier command cannot end the next one.
 *
 * Jobs and their fences: the submitter holds the engine lock for a whole
 * job, so jobs run one at a time, in the order of their fences' sequence
 * numbers.  The job is published in @active so that an invalidation
 * (p2pbuf_imp_engine_quiesce(), called with a reservation lock held) can
 * ask it to stop between two commands, and its fence sits in the
 * reservation objects of the buffers it uses so the invalidation can wait
 * for it to stop.
 */
#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/jiffies.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include <drm/drm_managed.h>

#include "p2pbuf_imp_drv.h"

/* edu's registers (BAR0) */
#define EDU_BAR			0
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_CMD_START		BIT(0)	/* set to start; reads 1 while busy */
#define EDU_CMD_TO_RAM		BIT(1)	/* edu buffer -> memory; else inverse */
#define EDU_CMD_IRQ		BIT(2)	/* raise EDU_IRQ_DMA on completion */
#define EDU_IRQ_DMA		0x100
/* The engine's internal buffer, in edu's own DMA address space. */
#define EDU_BUFFER		0x40000

/*
 * How long a stopped engine may take to report idle: longer than edu's
 * longest command (100 ms of the guest's clock, whatever the length).
 */
#define P2PBUF_IMP_STOP_TIMEOUT_US	(1000 * USEC_PER_MSEC)
#define P2PBUF_IMP_STOP_POLL_US		(1 * USEC_PER_MSEC)

/**
 * p2pbuf_imp_engine_buffer() - address of the engine's internal buffer
 *
 * Return: the address to use as source or destination of a command to
 * reach the engine's buffer rather than memory.
 */
u64 p2pbuf_imp_engine_buffer(void)
{
	return EDU_BUFFER;
}

/* A DMA completion interrupt: wake the waiter, which checks the device. */
static void p2pbuf_imp_engine_irq_dma(struct p2pbuf_imp_engine *engine)
{
	wake_up(&engine->wq);
}

static irqreturn_t p2pbuf_imp_engine_irq(int irq, void *arg)
{
	struct p2pbuf_imp_engine *engine = arg;
	u32 status = readl(engine->regs + EDU_REG_IRQ_STATUS);

	/* All ones: the device is gone (surprise removal); not ours. */
	if (!status || status == ~0U)
		return IRQ_NONE;
	writel(status, engine->regs + EDU_REG_IRQ_ACK);
	if (status & EDU_IRQ_DMA)
		p2pbuf_imp_engine_irq_dma(engine);
	return IRQ_HANDLED;
}

/*
 * Is a command running?  A removed device reads all ones, which has the
 * start bit set: it counts as busy, so nothing is taken for finished.
 * An injected hang (debugfs) counts as busy until it is lifted.
 */
static bool p2pbuf_imp_engine_busy(struct p2pbuf_imp_engine *engine)
{
	return READ_ONCE(engine->hung) ||
	       (readq(engine->regs + EDU_REG_DMA_CMD) & EDU_CMD_START);
}

/* Clears interrupt status left by an earlier command (late or lost). */
static void p2pbuf_imp_engine_ack_stale(struct p2pbuf_imp_engine *engine)
{
	u32 status = readl(engine->regs + EDU_REG_IRQ_STATUS);

	if (status && status != ~0U)
		writel(status, engine->regs + EDU_REG_IRQ_ACK);
}

/**
 * p2pbuf_imp_engine_stop() - make sure the device no longer does DMA
 * @engine: the engine, with its lock held
 *
 * Clears bus mastering, so that a command still running can no longer
 * reach memory, then waits up to %P2PBUF_IMP_STOP_TIMEOUT_US for the
 * device to report idle.  Bus mastering stays off: the next job sets it
 * again once the engine is idle (p2pbuf_imp_engine_ready()).
 *
 * Return: true if the device is idle.
 */
bool p2pbuf_imp_engine_stop(struct p2pbuf_imp_engine *engine)
{
	bool busy;
	int ret;

	lockdep_assert_held(&engine->lock);

	pci_clear_master(engine->pdev);
	ret = read_poll_timeout(p2pbuf_imp_engine_busy, busy, !busy,
				P2PBUF_IMP_STOP_POLL_US,
				P2PBUF_IMP_STOP_TIMEOUT_US, false, engine);
	return !ret;
}

/**
 * p2pbuf_imp_engine_hw_busy() - the device's own busy bit, for debugfs
 * @engine: the engine
 *
 * Return: true while a command runs (or an injected hang lasts).
 */
bool p2pbuf_imp_engine_hw_busy(struct p2pbuf_imp_engine *engine)
{
	return p2pbuf_imp_engine_busy(engine);
}

/**
 * p2pbuf_imp_engine_set_hang() - start or lift an injected hang (debugfs)
 * @engine: the engine
 * @commands: that many coming commands hang (not started; the engine
 *	reports busy from the first of them on); 0 lifts the hang at once
 */
void p2pbuf_imp_engine_set_hang(struct p2pbuf_imp_engine *engine,
				unsigned int commands)
{
	atomic_set(&engine->inject_stall, commands);
	if (!commands)
		WRITE_ONCE(engine->hung, false);
}

/**
 * p2pbuf_imp_engine_init() - set up the engine of a bound edu device
 * @engine: the engine, zeroed
 * @drm: the DRM device the engine belongs to
 * @pdev: the edu device, enabled, bus master
 *
 * The hardware resources are device-managed and released on unbind; the
 * software state lives as long as @drm.
 *
 * Return: 0 or a negative errno.
 */
int p2pbuf_imp_engine_init(struct p2pbuf_imp_engine *engine,
			   struct drm_device *drm, struct pci_dev *pdev)
{
	int ret;

	engine->drm = drm;
	engine->pdev = pdev;
	engine->dev = &pdev->dev;
	ret = drmm_mutex_init(drm, &engine->lock);
	if (ret)
		return ret;
	init_waitqueue_head(&engine->wq);
	spin_lock_init(&engine->active_lock);
	engine->fence_context = dma_fence_context_alloc(1);

	engine->regs = pcim_iomap_region(pdev, EDU_BAR, P2PBUF_IMP_NAME);
	if (IS_ERR(engine->regs))
		return PTR_ERR(engine->regs);

	engine->bounce = dmam_alloc_coherent(&pdev->dev, PAGE_SIZE,
					     &engine->bounce_dma, GFP_KERNEL);
	if (!engine->bounce)
		return -ENOMEM;

	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_ALL_TYPES);
	if (ret < 0)
		return ret;
	/* No command is running: a stale status would be spurious. */
	p2pbuf_imp_engine_ack_stale(engine);
	return devm_request_irq(&pdev->dev, pci_irq_vector(pdev, 0),
				p2pbuf_imp_engine_irq, IRQF_SHARED,
				P2PBUF_IMP_NAME, engine);
}

/**
 * p2pbuf_imp_engine_ready() - may a job start?
 * @engine: the engine, with its lock held
 *
 * After a timeout the engine was stopped (bus mastering off) and counts as
 * hung until the hardware reports idle; then bus mastering is turned on
 * again and the engine is usable.  (A real device would be reset here.)
 *
 * Return: 0, or -EIO while the engine is still busy with a timed-out
 * command.
 */
int p2pbuf_imp_engine_ready(struct p2pbuf_imp_engine *engine)
{
	lockdep_assert_held(&engine->lock);

	if (!engine->stuck)
		return 0;
	if (p2pbuf_imp_engine_busy(engine))
		return -EIO;
	p2pbuf_imp_engine_ack_stale(engine);
	pci_set_master(engine->pdev);
	engine->stuck = false;
	dev_info(engine->dev, "DMA engine idle again after a timeout\n");
	return 0;
}

/**
 * p2pbuf_imp_engine_dma() - run one engine command and wait for it
 * @engine: the engine, with its lock held
 * @job: the job the command belongs to
 * @src: source: a DMA address of memory, or inside the engine's buffer
 * @dst: destination, likewise
 * @len: bytes, 1 to %P2PBUF_IMP_ENGINE_CHUNK
 * @to_ram: true to move engine buffer -> memory, false memory -> buffer
 *
 * Waits until the device reports the command finished, at most
 * p2pbuf_imp_timeout_ms; the completion interrupt wakes the wait.  The
 * wait is not interruptible: once started, the command runs to its end
 * whatever the caller does.  A command that times out is stopped
 * (p2pbuf_imp_engine_stop()) before this returns.
 *
 * Return: 0, or -ETIMEDOUT (the engine is then marked hung, and does no
 * DMA any more unless it failed to stop, which is logged).
 */
int p2pbuf_imp_engine_dma(struct p2pbuf_imp_engine *engine,
			  const struct p2pbuf_imp_job *job, u64 src, u64 dst,
			  u32 len, bool to_ram)
{
	unsigned long timeout = msecs_to_jiffies(READ_ONCE(p2pbuf_imp_timeout_ms));
	u32 cmd = EDU_CMD_START | EDU_CMD_IRQ | (to_ram ? EDU_CMD_TO_RAM : 0);

	lockdep_assert_held(&engine->lock);
	if (WARN_ON_ONCE(!len || len > P2PBUF_IMP_ENGINE_CHUNK ||
			 engine->active != job))
		return -EINVAL;

	if (atomic_dec_if_positive(&engine->inject_stall) >= 0) {
		/* Fault injection: a command that hangs, not started. */
		WRITE_ONCE(engine->hung, true);
		dev_notice(engine->dev, "injected DMA engine stall\n");
		schedule_timeout_uninterruptible(timeout);
		goto timed_out;
	}

	p2pbuf_imp_engine_ack_stale(engine);
	writeq(src, engine->regs + EDU_REG_DMA_SRC);
	writeq(dst, engine->regs + EDU_REG_DMA_DST);
	writeq(len, engine->regs + EDU_REG_DMA_COUNT);
	writeq(cmd, engine->regs + EDU_REG_DMA_CMD);
	/* Fault injection: a stale completion interrupt while it runs. */
	if (atomic_dec_if_positive(&engine->inject_irq) >= 0)
		p2pbuf_imp_engine_irq_dma(engine);

	/* The condition, not the wake-up, says the command is done. */
	if (!wait_event_timeout(engine->wq, !p2pbuf_imp_engine_busy(engine),
				timeout))
		goto timed_out;
	atomic64_inc(&engine->commands);
	atomic64_add(len, &engine->bytes);
	return 0;

timed_out:
	engine->stuck = true;
	atomic64_inc(&engine->timeouts);
	dev_err(engine->dev, "DMA command %#llx -> %#llx (%u bytes) timed out\n",
		src, dst, len);
	if (!p2pbuf_imp_engine_stop(engine))
		dev_err(engine->dev, "DMA engine still busy after a stop; bus mastering stays off\n");
	return -ETIMEDOUT;
}

static const char *p2pbuf_imp_fence_driver_name(struct dma_fence *fence)
{
	return P2PBUF_IMP_NAME;
}

static const char *p2pbuf_imp_fence_timeline_name(struct dma_fence *fence)
{
	return "dma-engine";
}

/*
 * No release or wait callback: once signalled, the fence no longer points
 * into this module and may outlive it.
 */
static const struct dma_fence_ops p2pbuf_imp_fence_ops = {
	.get_driver_name = p2pbuf_imp_fence_driver_name,
	.get_timeline_name = p2pbuf_imp_fence_timeline_name,
};

/**
 * p2pbuf_imp_engine_fence() - a new fence for the next job
 * @engine: the engine, with its lock held
 *
 * Return: the fence (one reference for the caller), or ERR_PTR(-ENOMEM).
 */
struct dma_fence *p2pbuf_imp_engine_fence(struct p2pbuf_imp_engine *engine)
{
	struct dma_fence *fence;

	lockdep_assert_held(&engine->lock);

	fence = kzalloc_obj(*fence);
	if (!fence)
		return ERR_PTR(-ENOMEM);
	dma_fence_init(fence, &p2pbuf_imp_fence_ops, NULL,
		       engine->fence_context, ++engine->seqno);
	return fence;
}

/**
 * p2pbuf_imp_engine_start() - make a job the engine's active one
 * @engine: the engine, with its lock held
 * @job: the job; its fence is in the reservation objects of its objects,
 *	whose locks the caller still holds
 *
 * From here on an invalidation of one of the job's objects cancels the
 * job and waits for its fence.
 */
void p2pbuf_imp_engine_start(struct p2pbuf_imp_engine *engine,
			     struct p2pbuf_imp_job *job)
{
	lockdep_assert_held(&engine->lock);

	spin_lock(&engine->active_lock);
	engine->active = job;
	spin_unlock(&engine->active_lock);
}

/**
 * p2pbuf_imp_engine_finish() - the engine stopped working on a job
 * @engine: the engine, with its lock held
 * @job: the active job
 * @error: 0, or why the job ended early (recorded in its fence)
 *
 * Signals the job's fence and drops the caller's reference to it.
 */
void p2pbuf_imp_engine_finish(struct p2pbuf_imp_engine *engine,
			      struct p2pbuf_imp_job *job, int error)
{
	lockdep_assert_held(&engine->lock);

	spin_lock(&engine->active_lock);
	engine->active = NULL;
	spin_unlock(&engine->active_lock);

	if (error)
		dma_fence_set_error(job->fence, error);
	dma_fence_signal(job->fence);
	dma_fence_put(job->fence);
	job->fence = NULL;
}

/**
 * p2pbuf_imp_engine_quiesce() - stop the engine's use of a buffer
 * @engine: the engine
 * @resv: the reservation object of the buffer, held (by the exporter, in
 *	an invalidation)
 *
 * Cancels the active job if one of its objects shares @resv: it stops
 * before its next command.  The test is on the reservation object, not on
 * the GEM object: two imports of one dma-buf (from two files) are two
 * objects with one @resv, and the wait below waits for the jobs of both.
 * Then waits for every engine fence in @resv, i.e. until no command that
 * uses the buffer is in flight.  The wait is bounded by one command, its
 * timeout and the stop of a timed-out command.
 */
void p2pbuf_imp_engine_quiesce(struct p2pbuf_imp_engine *engine,
			       struct dma_resv *resv)
{
	struct dma_resv_iter cursor;
	struct p2pbuf_imp_job *job;
	struct dma_fence *fence;

	dma_resv_assert_held(resv);

	spin_lock(&engine->active_lock);
	job = engine->active;
	if (job && (job->objs[0]->resv == resv || job->objs[1]->resv == resv) &&
	    !job->cancelled) {
		WRITE_ONCE(job->cancelled, true);
		atomic64_inc(&engine->cancels);
	}
	spin_unlock(&engine->active_lock);

	dma_resv_for_each_fence(&cursor, resv, DMA_RESV_USAGE_BOOKKEEP,
				fence) {
		if (fence->context == engine->fence_context)
			dma_fence_wait(fence, false);
	}
}

/**
 * p2pbuf_imp_engine_fini() - stop the device for good, on unbind
 * @engine: the engine; no job runs any more (the device is unplugged)
 *
 * The device-managed memory (the bounce buffer) is freed after this: the
 * device must not reach it, even with a command that timed out and never
 * stopped.  Clears bus mastering and waits a bounded time for idle.
 */
void p2pbuf_imp_engine_fini(struct p2pbuf_imp_engine *engine)
{
	mutex_lock(&engine->lock);
	if (!p2pbuf_imp_engine_stop(engine))
		dev_err(engine->dev, "DMA engine still busy at unbind\n");
	mutex_unlock(&engine->lock);
}
