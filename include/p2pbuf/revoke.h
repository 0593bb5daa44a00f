/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Revocable access to the memory behind a dma-buf.
 */
#ifndef _P2PBUF_REVOKE_H
#define _P2PBUF_REVOKE_H

#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct dma_buf;

/**
 * struct p2pbuf_revoke - revoke state of one exported dma-buf
 * @dmabuf: the dma-buf whose importers are revoked
 * @lock: serializes transitions: p2pbuf_revoke_set*() and
 *	p2pbuf_revoke_clear() hold it for their whole sequence, so that a
 *	revoke has finished (no mapping left) whenever @reasons is non-zero,
 *	@draining is false and @lock is free.  Taken before @dmabuf's
 *	reservation lock.
 * @reasons: why the dma-buf is revoked, a caller-defined bit per reason;
 *	0 when importers may map it.  Written with @lock and the
 *	reservation lock held; read with either held, or with READ_ONCE()
 *	for reporting (p2pbuf_revoke_state()).
 * @mappings: one reference held by the object itself, plus one per live
 *	mapping (taken in p2pbuf_revoke_map_get() under the reservation
 *	lock).  A revoke drops the object's reference and waits for the
 *	count to reach zero, then re-arms it.
 * @unmapped: completed when @mappings reaches zero during a revoke
 * @draining: the object's reference in @mappings is dropped and the wait
 *	for the importers' is not finished (a killed
 *	p2pbuf_revoke_set_killable() leaves it set).  Under @lock.
 *
 * The sequence follows drivers/vfio/pci/vfio_pci_dmabuf.c: under the
 * reservation lock mark the buffer revoked (maps now fail), call
 * dma_buf_invalidate_mappings() and wait for every fence
 * (%DMA_RESV_USAGE_BOOKKEEP); then, unlocked, wait until the importers
 * have unmapped every mapping.
 */
struct p2pbuf_revoke {
	struct dma_buf *dmabuf;
	struct mutex lock;	/* serializes transitions, see above */
	unsigned int reasons;
	struct kref mappings;
	struct completion unmapped;
	bool draining;
};

void p2pbuf_revoke_init(struct p2pbuf_revoke *rv, struct dma_buf *dmabuf,
			unsigned int reasons);
void p2pbuf_revoke_fini(struct p2pbuf_revoke *rv);
int p2pbuf_revoke_map_get(struct p2pbuf_revoke *rv);
void p2pbuf_revoke_map_put(struct p2pbuf_revoke *rv);
void p2pbuf_revoke_set(struct p2pbuf_revoke *rv, unsigned int reason);
int p2pbuf_revoke_set_killable(struct p2pbuf_revoke *rv, unsigned int reason);
void p2pbuf_revoke_clear(struct p2pbuf_revoke *rv, unsigned int reason);

/**
 * p2pbuf_revoke_state() - the reasons a dma-buf is revoked, for reporting
 * @rv: revoke state
 *
 * Without @rv->lock or the reservation lock the value may be stale by the
 * time the caller looks at it; use it for reports, not decisions.
 *
 * Return: the reason bits; 0 if not revoked.
 */
static inline unsigned int p2pbuf_revoke_state(const struct p2pbuf_revoke *rv)
{
	return READ_ONCE(rv->reasons);
}

#endif /* _P2PBUF_REVOKE_H */
