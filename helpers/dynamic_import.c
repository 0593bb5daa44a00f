// SPDX-License-Identifier: GPL-2.0
/*
 * Dynamic dma-buf import: attach once, map on use, drop on invalidation,
 * map again on the next use.
 *
 * This is the importer's half of the dma-buf "dynamic" protocol, the one
 * GPU drivers use for memory that may move (and p2pbuf's exporter uses for
 * BAR memory that may be revoked):
 *
 * - dma_buf_dynamic_attach() with &dma_buf_attach_ops: allow_peer2peer
 *   says the importer copes with tables that have no struct pages (device
 *   memory), invalidate_mappings is how the exporter takes a mapping back.
 *   Exporters of BAR memory refuse importers without it (it is what makes
 *   them revocable, see dma_buf_attach_revocable()).
 * - Nothing is mapped at attach time.  The first use maps the buffer with
 *   dma_buf_map_attachment() under the dma-buf's reservation lock; later
 *   uses reuse the mapping.
 * - The exporter calls invalidate_mappings with the reservation lock held.
 *   The importer then has to stop its device's DMA to the mapping, and
 *   unmap in bounded time.  Here both happen in the callback: the driver's
 *   &p2pbuf_dynimp_ops.quiesce waits for the device, then the mapping is
 *   unmapped while the exporter still holds the lock, so when the
 *   exporter's invalidation returns no DMA address of the old mapping is
 *   in use anywhere.
 * - The next use maps again.  If the exporter revoked the memory, that map
 *   fails (-ENODEV for p2pbuf's exporter) and the driver reports the error
 *   instead of touching the memory.
 *
 * Locking: everything that changes the mapping runs under the dma-buf's
 * reservation lock.  The callers of p2pbuf_dynimp_map() and
 * p2pbuf_dynimp_kill() hold it; the invalidation callback is called with
 * it held; p2pbuf_dynimp_attach() and p2pbuf_dynimp_detach() must be
 * called without it, as dma_buf_dynamic_attach() and dma_buf_detach()
 * take it themselves.
 */
#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/export.h>
#include <linux/module.h>
#include <linux/scatterlist.h>

#include <p2pbuf/dynamic_import.h>
#include <p2pbuf/sg_walk.h>

static const char *const state_names[] = {
	[P2PBUF_DYNIMP_UNMAPPED] = "unmapped",
	[P2PBUF_DYNIMP_MAPPED] = "mapped",
	[P2PBUF_DYNIMP_INVALIDATED] = "invalidated",
	[P2PBUF_DYNIMP_DEAD] = "dead",
};

/**
 * p2pbuf_dynimp_state_name() - name of an import state, for debugfs
 * @state: the state
 *
 * Return: a static string, "unknown" for an out-of-range value.
 */
const char *p2pbuf_dynimp_state_name(enum p2pbuf_dynimp_state state)
{
	if (state >= ARRAY_SIZE(state_names))
		return "unknown";
	return state_names[state];
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_dynimp_state_name, "P2PBUF");

/* Unmap the current mapping; the device no longer uses it. */
static void dynimp_unmap(struct p2pbuf_dynimp *imp,
			 enum p2pbuf_dynimp_state next)
{
	dma_resv_assert_held(p2pbuf_dynimp_resv(imp));

	if (imp->sgt) {
		dma_buf_unmap_attachment(imp->attach, imp->sgt,
					 DMA_BIDIRECTIONAL);
		imp->sgt = NULL;
	}
	imp->state = next;
}

/* &dma_buf_attach_ops.invalidate_mappings: called with the resv held. */
static void dynimp_invalidate(struct dma_buf_attachment *attach)
{
	struct p2pbuf_dynimp *imp = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	imp->invalidates++;
	if (!imp->sgt)
		return;
	/* Stop the device first: an unmapped address must never be used. */
	imp->ops->quiesce(imp);
	dynimp_unmap(imp, P2PBUF_DYNIMP_INVALIDATED);
}

static const struct dma_buf_attach_ops dynimp_ops_p2p = {
	.allow_peer2peer = true,
	.invalidate_mappings = dynimp_invalidate,
};

static const struct dma_buf_attach_ops dynimp_ops_no_p2p = {
	.allow_peer2peer = false,
	.invalidate_mappings = dynimp_invalidate,
};

/**
 * p2pbuf_dynimp_attach() - attach a device to a dma-buf, dynamically
 * @imp: the import to set up; its memory must stay valid until
 *	p2pbuf_dynimp_detach() returns
 * @dmabuf: the buffer; the caller holds a reference for the import's life
 * @dev: the importing device (the one that does the DMA)
 * @peer2peer: whether @dev may be given memory without struct pages,
 *	i.e. another device's BAR (&dma_buf_attach_ops.allow_peer2peer)
 * @ops: the importer's callbacks
 *
 * Nothing is mapped.  Must be called without @dmabuf's reservation lock.
 *
 * Return: 0, or the exporter's error: the exporter may refuse importers
 * (e.g. -EOPNOTSUPP for one that cannot do peer-to-peer or cannot reach
 * the memory).
 */
int p2pbuf_dynimp_attach(struct p2pbuf_dynimp *imp, struct dma_buf *dmabuf,
			 struct device *dev, bool peer2peer,
			 const struct p2pbuf_dynimp_ops *ops)
{
	struct dma_buf_attachment *attach;

	/* Complete before the exporter can see the attachment. */
	*imp = (struct p2pbuf_dynimp){
		.ops = ops,
		.state = P2PBUF_DYNIMP_UNMAPPED,
	};
	attach = dma_buf_dynamic_attach(dmabuf, dev,
					peer2peer ? &dynimp_ops_p2p :
						    &dynimp_ops_no_p2p,
					imp);
	if (IS_ERR(attach))
		return PTR_ERR(attach);
	imp->attach = attach;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_dynimp_attach, "P2PBUF");

/**
 * p2pbuf_dynimp_detach() - unmap if mapped, and detach
 * @imp: the import
 *
 * The device must no longer use the mapping.  Must be called without the
 * dma-buf's reservation lock.  @imp may be freed once this returns.
 */
void p2pbuf_dynimp_detach(struct p2pbuf_dynimp *imp)
{
	struct dma_buf *dmabuf = imp->attach->dmabuf;

	dma_resv_lock(dmabuf->resv, NULL);
	dynimp_unmap(imp, P2PBUF_DYNIMP_DEAD);
	dma_resv_unlock(dmabuf->resv);
	dma_buf_detach(dmabuf, imp->attach);
	imp->attach = NULL;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_dynimp_detach, "P2PBUF");

/**
 * p2pbuf_dynimp_map() - the current mapping, made if there is none
 * @imp: the import
 *
 * Must be called with the dma-buf's reservation lock held, which also
 * keeps the returned mapping valid.  To use the mapping after dropping the
 * lock, the driver must make its use visible to &p2pbuf_dynimp_ops.quiesce
 * before it drops the lock (e.g. a fence in the reservation object plus a
 * record of the running job), since an invalidation can come as soon as
 * the lock is free.  Before the device touches the memory the driver must
 * also wait for the exporter's fences (%DMA_RESV_USAGE_KERNEL at least),
 * as for every dynamic importer.
 *
 * Return: the mapping (DMA side only: walk it with
 * for_each_sgtable_dma_sg() or &struct p2pbuf_sg_walk), or an ERR_PTR():
 * the exporter's error (-ENODEV from p2pbuf's exporter when the memory was
 * revoked), -EINVAL if the exporter's mapping is smaller than the buffer,
 * -ENODEV after p2pbuf_dynimp_kill().
 */
struct sg_table *p2pbuf_dynimp_map(struct p2pbuf_dynimp *imp)
{
	struct dma_buf_attachment *attach = imp->attach;
	struct sg_table *sgt;

	dma_resv_assert_held(p2pbuf_dynimp_resv(imp));

	if (imp->state == P2PBUF_DYNIMP_DEAD)
		return ERR_PTR(-ENODEV);
	if (imp->sgt)
		return imp->sgt;

	sgt = dma_buf_map_attachment(attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		imp->map_err = PTR_ERR(sgt);
		return sgt;
	}
	/* The device would walk off the end of a short table. */
	if (p2pbuf_sgt_dma_size(sgt) < attach->dmabuf->size) {
		dev_warn_once(attach->dev,
			      "dma-buf %s: mapping smaller than the buffer\n",
			      attach->dmabuf->exp_name);
		dma_buf_unmap_attachment(attach, sgt, DMA_BIDIRECTIONAL);
		imp->map_err = -EINVAL;
		return ERR_PTR(-EINVAL);
	}
	imp->sgt = sgt;
	imp->state = P2PBUF_DYNIMP_MAPPED;
	imp->map_err = 0;
	imp->maps++;
	return sgt;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_dynimp_map, "P2PBUF");

/**
 * p2pbuf_dynimp_kill() - unmap for good: the importing device is going away
 * @imp: the import
 *
 * The device must no longer use the mapping.  Must be called with the
 * dma-buf's reservation lock held.  Later p2pbuf_dynimp_map() calls fail
 * with -ENODEV; the attachment stays until p2pbuf_dynimp_detach().
 */
void p2pbuf_dynimp_kill(struct p2pbuf_dynimp *imp)
{
	dynimp_unmap(imp, P2PBUF_DYNIMP_DEAD);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_dynimp_kill, "P2PBUF");
