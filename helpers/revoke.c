// SPDX-License-Identifier: GPL-2.0
/*
 * Revoke importers' access to a dma-buf, and give it back.
 *
 * An exporter whose memory can go away (a PCI BAR whose driver unbinds,
 * a device being reset, an object being migrated) must be able to take
 * back every mapping it handed out and to know when it has.  The idea and
 * the sequence are VFIO's (drivers/vfio/pci/vfio_pci_dmabuf.c); this is
 * that machinery on its own, with revoke reasons that stack so that, for
 * example, the end of a reset does not undo a revoke userspace asked for.
 *
 * The exporter calls p2pbuf_revoke_map_get() / p2pbuf_revoke_map_put()
 * from its map_dma_buf / unmap_dma_buf callbacks, and p2pbuf_revoke_set()
 * / p2pbuf_revoke_clear() when access must stop / may resume.  Only
 * importers that are revocable (dma_buf_attach_revocable()) may be allowed
 * to attach, or p2pbuf_revoke_set() may wait forever.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/module.h>

#include <p2pbuf/revoke.h>

/* How often a revoke that waits for importers to unmap says so. */
#define P2PBUF_REVOKE_NAG_INTERVAL	(10 * HZ)

/**
 * p2pbuf_revoke_init() - set up the revoke state of a new dma-buf
 * @rv: revoke state, embedded in the exporter's private data
 * @dmabuf: the dma-buf, as returned by dma_buf_export()
 * @reasons: reasons the dma-buf starts revoked for; 0 to start usable
 *
 * Call before any importer can reach @dmabuf (before it has a file
 * descriptor).
 */
void p2pbuf_revoke_init(struct p2pbuf_revoke *rv, struct dma_buf *dmabuf,
			unsigned int reasons)
{
	rv->dmabuf = dmabuf;
	mutex_init(&rv->lock);
	rv->reasons = reasons;
	rv->draining = false;
	kref_init(&rv->mappings);
	init_completion(&rv->unmapped);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_revoke_init, "P2PBUF");

/**
 * p2pbuf_revoke_fini() - tear down the revoke state of a released dma-buf
 * @rv: revoke state
 *
 * Call from &dma_buf_ops.release: by then no attachment, hence no mapping,
 * is left (only the object's own reference, unless a killed revoke had
 * dropped it).
 */
void p2pbuf_revoke_fini(struct p2pbuf_revoke *rv)
{
	WARN_ON_ONCE(kref_read(&rv->mappings) != (rv->draining ? 0 : 1));
	mutex_destroy(&rv->lock);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_revoke_fini, "P2PBUF");

/**
 * p2pbuf_revoke_map_get() - account for a new mapping, unless revoked
 * @rv: revoke state
 *
 * Call from &dma_buf_ops.map_dma_buf before creating the mapping; undo
 * with p2pbuf_revoke_map_put() if creating it fails, or when it is
 * unmapped.
 *
 * Context: the dma-buf's reservation lock held.
 * Return: 0, or -ENODEV if the dma-buf is revoked.
 */
int p2pbuf_revoke_map_get(struct p2pbuf_revoke *rv)
{
	dma_resv_assert_held(rv->dmabuf->resv);

	if (rv->reasons)
		return -ENODEV;
	kref_get(&rv->mappings);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_revoke_map_get, "P2PBUF");

static void p2pbuf_revoke_last_unmap(struct kref *kref)
{
	struct p2pbuf_revoke *rv = container_of(kref, struct p2pbuf_revoke,
						mappings);

	complete(&rv->unmapped);
}

/**
 * p2pbuf_revoke_map_put() - account for a mapping that is gone
 * @rv: revoke state
 *
 * Context: the dma-buf's reservation lock held.
 */
void p2pbuf_revoke_map_put(struct p2pbuf_revoke *rv)
{
	dma_resv_assert_held(rv->dmabuf->resv);

	kref_put(&rv->mappings, p2pbuf_revoke_last_unmap);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_revoke_map_put, "P2PBUF");

/*
 * Wait for the last mapping to go, saying so now and then.  A killable
 * wait ends early with -EINTR on a fatal signal; the revoke then stays
 * in effect with @rv->draining set, and whoever takes @rv->lock next
 * (another revoke, or the restore) picks it up.
 */
static int p2pbuf_revoke_wait_unmapped(struct p2pbuf_revoke *rv, bool killable)
{
	long ret;

	for (;;) {
		if (killable)
			ret = wait_for_completion_killable_timeout(&rv->unmapped,
								   P2PBUF_REVOKE_NAG_INTERVAL);
		else
			ret = wait_for_completion_timeout(&rv->unmapped,
							  P2PBUF_REVOKE_NAG_INTERVAL);
		if (ret > 0)
			return 0;
		if (ret < 0)
			return -EINTR;
		pr_warn("p2pbuf: revoke of dma-buf %llu (%s) waits for %u mappings to be unmapped\n",
			(u64)file_inode(rv->dmabuf->file)->i_ino,
			rv->dmabuf->exp_name, kref_read(&rv->mappings));
	}
}

/* Give the object its own reference back: the revoke is complete. */
static void p2pbuf_revoke_rearm(struct p2pbuf_revoke *rv)
{
	kref_init(&rv->mappings);
	reinit_completion(&rv->unmapped);
	rv->draining = false;
}

static int __p2pbuf_revoke_set(struct p2pbuf_revoke *rv, unsigned int reason,
			       bool killable)
{
	struct dma_buf *dmabuf = rv->dmabuf;
	int ret = 0;

	if (!killable)
		mutex_lock(&rv->lock);
	else if (mutex_lock_killable(&rv->lock))
		return -EINTR;

	dma_resv_lock(dmabuf->resv, NULL);
	if (!rv->reasons) {
		WRITE_ONCE(rv->reasons, reason);
		dma_buf_invalidate_mappings(dmabuf);
		dma_resv_wait_timeout(dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP,
				      false, MAX_SCHEDULE_TIMEOUT);
		/* Drop the object's own reference, wait for the mappings'. */
		kref_put(&rv->mappings, p2pbuf_revoke_last_unmap);
		rv->draining = true;
	} else {
		WRITE_ONCE(rv->reasons, rv->reasons | reason);
	}
	dma_resv_unlock(dmabuf->resv);

	/* Also finish the wait of an earlier revoke that was killed. */
	if (rv->draining) {
		ret = p2pbuf_revoke_wait_unmapped(rv, killable);
		if (!ret)
			p2pbuf_revoke_rearm(rv);
	}
	mutex_unlock(&rv->lock);
	return ret;
}

/**
 * p2pbuf_revoke_set() - revoke importers' access for a reason
 * @rv: revoke state
 * @reason: the reason bit to add
 *
 * If the dma-buf was not revoked yet: mark it revoked (new maps fail with
 * -ENODEV), tell every importer with dma_buf_invalidate_mappings(), wait
 * for all fences of the reservation object, then wait until every mapping
 * has been unmapped.  If it was already revoked, only record @reason (and
 * finish the wait of a killed p2pbuf_revoke_set_killable()).
 *
 * On return no importer holds a mapping of the memory and none can create
 * one until the last reason is cleared.  The wait has no bound: use it
 * where the memory goes away (a reset, an unbind), as VFIO does; the
 * attach policy admits only importers that unmap when told.
 *
 * Context: process context, may sleep for as long as importers take to
 * unmap; the reservation lock must not be held.
 */
void p2pbuf_revoke_set(struct p2pbuf_revoke *rv, unsigned int reason)
{
	__p2pbuf_revoke_set(rv, reason, false);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_revoke_set, "P2PBUF");

/**
 * p2pbuf_revoke_set_killable() - revoke importers' access on a user's
 *	request
 * @rv: revoke state
 * @reason: the reason bit to add
 *
 * As p2pbuf_revoke_set(), but a fatal signal ends both the wait for
 * @rv->lock and the wait for importers to unmap, so that a process asking
 * for a revoke can always be killed, whatever its importers do.
 *
 * Context: process context; the reservation lock must not be held.
 * Return: 0 once no importer holds a mapping; -EINTR on a fatal signal.
 * After -EINTR @reason may or may not be recorded: if it is, the dma-buf
 * is revoked (no new map succeeds) but importers may still hold mappings
 * made before; the next p2pbuf_revoke_set*() waits for them.
 */
int p2pbuf_revoke_set_killable(struct p2pbuf_revoke *rv, unsigned int reason)
{
	return __p2pbuf_revoke_set(rv, reason, true);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_revoke_set_killable, "P2PBUF");

/**
 * p2pbuf_revoke_clear() - withdraw one reason for a revoke
 * @rv: revoke state
 * @reason: the reason bit to clear; clearing a bit that is not set is a
 *	no-op
 *
 * When the last reason goes, importers may map again; they are told with
 * dma_buf_invalidate_mappings(), so that an importer that saw -ENODEV
 * retries.
 *
 * Context: process context; the reservation lock must not be held.
 */
void p2pbuf_revoke_clear(struct p2pbuf_revoke *rv, unsigned int reason)
{
	struct dma_buf *dmabuf = rv->dmabuf;
	unsigned int was;

	mutex_lock(&rv->lock);
	dma_resv_lock(dmabuf->resv, NULL);
	was = rv->reasons;
	WRITE_ONCE(rv->reasons, was & ~reason);
	if (was && !rv->reasons && rv->draining) {
		/*
		 * A killed revoke left mappings behind.  Unmaps drop their
		 * reference under the reservation lock we hold, so either
		 * the count reached zero (the completion is done) or it is
		 * still above zero and the object's reference can be taken
		 * back.
		 */
		if (try_wait_for_completion(&rv->unmapped))
			kref_init(&rv->mappings);
		else
			kref_get(&rv->mappings);
		reinit_completion(&rv->unmapped);
		rv->draining = false;
	}
	if (was && !rv->reasons)
		dma_buf_invalidate_mappings(dmabuf);
	dma_resv_unlock(dmabuf->resv);
	mutex_unlock(&rv->lock);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_revoke_clear, "P2PBUF");
