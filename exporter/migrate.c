// SPDX-License-Identifier: GPL-2.0
/*
 * Moving a migratable object between its BAR and system memory.
 *
 * Every move, under the dma-buf's reservation lock:
 *  1. tell every importer with dma_buf_invalidate_mappings() and zap every
 *     CPU mapping, so that nobody reaches the memory through an old
 *     mapping once the move is done;
 *  2. wait for every fence of the reservation object: DMA an importer
 *     queued before the invalidation finishes before the bytes are copied;
 *  3. copy the bytes and switch the placement.
 * Importers map again and get the new placement (object_map.c).
 *
 * Memory that was left is given back only when no mapping of it remains:
 * pages are reference counted by their mappings, and BAR space that an
 * importer still has mapped after the move is marked stale and given back
 * by the last unmap (filled with P2PBUF_EXP_FREE_POISON).  While a stale
 * region exists the object does not move back to the BAR.
 *
 * The object moves back to the BAR when nothing needs system memory any
 * more: the last attachment that needed it detached (or the last pin
 * went, or userspace or a reset withdrew its reason to keep it out), no
 * stale region is left, and the BAR has room.  Otherwise it stays where it
 * is until the next of these events: the last unmap of a stale region
 * does not move it back by itself.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/error-injection.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include <uapi/linux/p2pbuf_exporter.h>

#include "p2pbuf_exporter.h"

/* How often an eviction waiting for importers to unmap says so. */
#define P2PBUF_EXP_DRAIN_NAG	(10 * HZ)

static void p2pbuf_exp_pages_free(struct kref *kref)
{
	struct p2pbuf_exp_pages *pages = container_of(kref,
						      struct p2pbuf_exp_pages,
						      kref);
	unsigned long i;

	for (i = 0; i < pages->nr; i++)
		__free_page(pages->pages[i]);
	kvfree(pages);
}

/**
 * p2pbuf_exp_pages_put() - drop a reference to an object's system memory
 * @pages: the pages
 */
void p2pbuf_exp_pages_put(struct p2pbuf_exp_pages *pages)
{
	kref_put(&pages->kref, p2pbuf_exp_pages_free);
}

/*
 * @nr is the bound of @pages (__counted_by): it holds the final count from
 * the start (kvzalloc_flex() sets it where the compiler can, and we set it
 * where it cannot), and the fill uses its own index.  Counting up in @nr
 * while filling would index one past the bound at every step, which
 * UBSAN_BOUNDS reports on a compiler that honours __counted_by.
 */
static struct p2pbuf_exp_pages *p2pbuf_exp_pages_alloc(unsigned long nr,
						       gfp_t gfp)
{
	struct p2pbuf_exp_pages *pages;
	unsigned long i;

	pages = kvzalloc_flex(*pages, pages, nr, gfp);
	if (!pages)
		return NULL;
	pages->nr = nr;
	kref_init(&pages->kref);
	for (i = 0; i < nr; i++) {
		pages->pages[i] = alloc_page(gfp);
		if (!pages->pages[i])
			goto err_free;
	}
	return pages;

err_free:
	while (i--)
		__free_page(pages->pages[i]);
	kvfree(pages);
	return NULL;
}

/*
 * Step 1 and 2 of a move: see the comment at the top.  An importer that
 * maps again from its invalidate callback would get the placement being
 * left, with no invalidation to come: @moving makes such a map fail with
 * -EAGAIN until the move is done.
 */
static void p2pbuf_exp_obj_quiesce(struct p2pbuf_exp_buffer *buf)
{
	struct dma_buf *dmabuf = buf->dmabuf;

	buf->obj->moving = true;
	dma_buf_invalidate_mappings(dmabuf);
	buf->obj->moving = false;
	p2pbuf_exp_obj_zap_cpu(buf);
	dma_resv_wait_timeout(dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP, false,
			      MAX_SCHEDULE_TIMEOUT);
}

/* Copy between the object's BAR space (mapped at @io) and @pages. */
static void p2pbuf_exp_obj_copy(void __iomem *io, struct p2pbuf_exp_pages *pages,
				bool to_pages)
{
	unsigned long i;

	for (i = 0; i < pages->nr; i++) {
		void *va = kmap_local_page(pages->pages[i]);

		if (to_pages)
			memcpy_fromio(va, io + i * PAGE_SIZE, PAGE_SIZE);
		else
			memcpy_toio(io + i * PAGE_SIZE, va, PAGE_SIZE);
		kunmap_local(va);
	}
}

static void __iomem *p2pbuf_exp_obj_io(struct p2pbuf_exp_buffer *buf)
{
	const struct p2pbuf_exp_bar *bar = &buf->dev->bars[buf->bar];

	return bar->io + (buf->vec[0].paddr - bar->start);
}

/**
 * p2pbuf_exp_obj_put_region() - give back the BAR space an object left
 * @buf: a migratable object whose placement is system memory, with a
 *	region and no mapping of it left
 *
 * Context: the reservation lock held; the driver is bound (a region of an
 * object exists only then: unbind waits until none is left).
 */
void p2pbuf_exp_obj_put_region(struct p2pbuf_exp_buffer *buf)
{
	struct p2pbuf_exp_object *obj = buf->obj;

	dma_resv_assert_held(buf->dmabuf->resv);

	p2pbuf_exp_bar_free(&buf->dev->bars[buf->bar], buf->vec[0].paddr,
			    buf->size, true);
	WRITE_ONCE(obj->has_region, false);
	obj->stale = false;
	wake_up_all(&obj->drained);
}

/**
 * p2pbuf_exp_obj_to_system() - move an object to system memory
 * @buf: a migratable object
 * @gfp: how to allocate the pages
 *
 * Nothing to do if the object is in system memory already.
 *
 * Context: the reservation lock held.
 * Return: 0, or -ENOMEM (the object stays in the BAR).
 */
int p2pbuf_exp_obj_to_system(struct p2pbuf_exp_buffer *buf, gfp_t gfp)
{
	struct p2pbuf_exp_object *obj = buf->obj;
	struct p2pbuf_exp_pages *pages;

	dma_resv_assert_held(buf->dmabuf->resv);

	if (obj->placement == P2PBUF_EXP_PLACEMENT_SYSTEM)
		return 0;

	pages = p2pbuf_exp_pages_alloc(buf->size >> PAGE_SHIFT, gfp);
	if (!pages)
		return -ENOMEM;

	p2pbuf_exp_obj_quiesce(buf);
	p2pbuf_exp_obj_copy(p2pbuf_exp_obj_io(buf), pages, true);
	obj->pages = pages;
	obj->placement = P2PBUF_EXP_PLACEMENT_SYSTEM;
	obj->migrations++;

	/* The importers unmapped in their invalidate callback, or will. */
	if (obj->bar_maps)
		obj->stale = true;
	else
		p2pbuf_exp_obj_put_region(buf);
	dev_dbg(&buf->dev->pdev->dev, "object %llu moved to system memory\n",
		buf->id);
	return 0;
}
ALLOW_ERROR_INJECTION(p2pbuf_exp_obj_to_system, ERRNO);

/**
 * p2pbuf_exp_obj_try_bar() - move an object back to the BAR if it may
 * @buf: a migratable object
 *
 * It may when nothing keeps it in system memory (see the top of this
 * file).  When the BAR has no room it stays in system memory.
 *
 * Context: the reservation lock held.
 */
void p2pbuf_exp_obj_try_bar(struct p2pbuf_exp_buffer *buf)
{
	struct p2pbuf_exp_object *obj = buf->obj;
	struct p2pbuf_exp_bar *bar = &buf->dev->bars[buf->bar];
	phys_addr_t paddr;

	dma_resv_assert_held(buf->dmabuf->resv);

	if (obj->placement != P2PBUF_EXP_PLACEMENT_SYSTEM || obj->sys_users ||
	    obj->pins || obj->evicted || obj->has_region)
		return;
	if (p2pbuf_exp_bar_alloc(bar, buf->size, obj->align, &paddr))
		return;

	p2pbuf_exp_obj_quiesce(buf);
	buf->vec[0].paddr = paddr;
	WRITE_ONCE(obj->has_region, true);
	p2pbuf_exp_obj_copy(p2pbuf_exp_obj_io(buf), obj->pages, false);
	p2pbuf_exp_pages_put(obj->pages);
	obj->pages = NULL;
	obj->placement = P2PBUF_EXP_PLACEMENT_BAR;
	obj->migrations++;
	dev_dbg(&buf->dev->pdev->dev, "object %llu moved back to BAR %u\n",
		buf->id, buf->bar);
}

/**
 * p2pbuf_exp_obj_evict() - move an object out of the BAR and keep it out
 * @buf: a migratable object
 * @reason: a P2PBUF_EXP_REVOKED_* bit: the object stays in system memory
 *	until p2pbuf_exp_obj_restore() with the same reason (never, for
 *	%P2PBUF_EXP_REVOKED_GONE)
 * @killable: the caller is a user's ioctl: a fatal signal ends the wait
 *	for importers to unmap (the object is in system memory already)
 *
 * Returns when no importer has the BAR space mapped any more.  For a reset
 * or an unbind the pages are allocated with __GFP_NOFAIL: the BAR is about
 * to go and the bytes have nowhere else to live; a user's revoke may fail.
 *
 * Context: process context; the reservation lock not held.
 * Return: 0; -ENOMEM or -EINTR (killable only).
 */
int p2pbuf_exp_obj_evict(struct p2pbuf_exp_buffer *buf, unsigned int reason,
			 bool killable)
{
	struct p2pbuf_exp_object *obj = buf->obj;
	struct dma_resv *resv = buf->dmabuf->resv;
	int ret;

	dma_resv_lock(resv, NULL);
	ret = p2pbuf_exp_obj_to_system(buf, killable ? GFP_KERNEL_ACCOUNT :
					    GFP_KERNEL | __GFP_NOFAIL);
	if (!ret)
		obj->evicted |= reason;
	dma_resv_unlock(resv);
	if (ret)
		return ret;

	/* obj->has_region is cleared under the lock by the last unmap. */
	if (killable)
		return wait_event_killable(obj->drained,
					   !READ_ONCE(obj->has_region)) ?
		       -EINTR : 0;
	while (!wait_event_timeout(obj->drained, !READ_ONCE(obj->has_region),
				   P2PBUF_EXP_DRAIN_NAG))
		dev_warn(&buf->dev->pdev->dev,
			 "object %llu: waiting for importers to unmap the BAR\n",
			 buf->id);
	return 0;
}

/**
 * p2pbuf_exp_obj_restore() - withdraw a reason to keep an object out of
 *	the BAR
 * @buf: a migratable object
 * @reason: as passed to p2pbuf_exp_obj_evict()
 *
 * Context: process context; the reservation lock not held.
 */
void p2pbuf_exp_obj_restore(struct p2pbuf_exp_buffer *buf, unsigned int reason)
{
	struct dma_resv *resv = buf->dmabuf->resv;

	dma_resv_lock(resv, NULL);
	buf->obj->evicted &= ~reason;
	p2pbuf_exp_obj_try_bar(buf);
	dma_resv_unlock(resv);
}
