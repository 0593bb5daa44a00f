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
 * - Mapping types (include/p2pbuf/pal.h): an import starts with the
 *   exporter's sg_table.  p2pbuf_dynimp_set_types() lets the driver
 *   accept a physical address list too; the exporter picks, per
 *   attachment.  With a PAL, a map takes the ranges from the exporter
 *   (its &p2pbuf_pal_ops.map, which refuses them after a revoke) and has
 *   the driver map them itself (&p2pbuf_dynimp_ops.pal_map); an
 *   invalidation gives both back, in that order reversed, exactly as it
 *   gives back an sg_table.
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
#include <p2pbuf/pal.h>
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
	if (imp->pal_mapped) {
		/* The driver's mapping first: it is made of the PAL's ranges. */
		imp->ops->pal_unmap(imp, &imp->pal);
		imp->pal_ops->unmap(imp->attach, &imp->pal);
		imp->pal_mapped = false;
	}
	imp->state = next;
}

/* &dma_buf_attach_ops.invalidate_mappings: called with the resv held. */
static void dynimp_invalidate(struct dma_buf_attachment *attach)
{
	struct p2pbuf_dynimp *imp = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	imp->invalidates++;
	if (!imp->sgt && !imp->pal_mapped)
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
		.pal_ops = p2pbuf_pal_ops_of(dmabuf),
		.accepted = P2PBUF_MAP_BIT(P2PBUF_MAP_SGT),
		.type = P2PBUF_MAP_SGT,
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
 * p2pbuf_dynimp_set_types() - say which mapping types an import accepts
 * @imp: the import
 * @accepted: a mask of P2PBUF_MAP_BIT(); %P2PBUF_MAP_PAL needs the
 *	driver's &p2pbuf_dynimp_ops.pal_map and .pal_unmap
 *
 * The exporter picks the type (&p2pbuf_pal_ops.negotiate); an exporter
 * without a PAL interconnect gives an sg_table.  The next map uses the
 * new type.  Must be called with the dma-buf's reservation lock held.
 *
 * Return: the negotiated type (also in &p2pbuf_dynimp.type), or -EINVAL
 * for an empty or unknown mask or a PAL the driver cannot map, -EBUSY
 * while mapped, -ENODEV after p2pbuf_dynimp_kill() (or the exporter's
 * -ENODEV: its device is gone or, before the route is known, revoked),
 * -EOPNOTSUPP when the exporter offers none of @accepted.  On error the
 * type is unchanged.
 */
int p2pbuf_dynimp_set_types(struct p2pbuf_dynimp *imp, u32 accepted)
{
	int type;

	dma_resv_assert_held(p2pbuf_dynimp_resv(imp));

	if (!accepted || (accepted & ~P2PBUF_MAP_ALL))
		return -EINVAL;
	if ((accepted & P2PBUF_MAP_BIT(P2PBUF_MAP_PAL)) &&
	    (!imp->ops->pal_map || !imp->ops->pal_unmap))
		return -EINVAL;
	if (imp->state == P2PBUF_DYNIMP_DEAD)
		return -ENODEV;
	if (imp->sgt || imp->pal_mapped)
		return -EBUSY;

	if (imp->pal_ops) {
		type = imp->pal_ops->negotiate(imp->attach, accepted);
		if (type < 0)
			return type;
	} else if (accepted & P2PBUF_MAP_BIT(P2PBUF_MAP_SGT)) {
		type = P2PBUF_MAP_SGT;
	} else {
		return -EOPNOTSUPP;
	}
	imp->accepted = accepted;
	imp->type = type;
	return type;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_dynimp_set_types, "P2PBUF");

/* Map through the exporter's sg_table. */
static int dynimp_map_sgt(struct p2pbuf_dynimp *imp)
{
	struct dma_buf_attachment *attach = imp->attach;
	struct sg_table *sgt;

	sgt = dma_buf_map_attachment(attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	/* The device would walk off the end of a short table. */
	if (p2pbuf_sgt_dma_size(sgt) < attach->dmabuf->size) {
		dev_warn_once(attach->dev,
			      "dma-buf %s: mapping smaller than the buffer\n",
			      attach->dmabuf->exp_name);
		dma_buf_unmap_attachment(attach, sgt, DMA_BIDIRECTIONAL);
		return -EINVAL;
	}
	imp->sgt = sgt;
	return 0;
}

/* Take the exporter's PAL and have the driver map it. */
static int dynimp_map_pal(struct p2pbuf_dynimp *imp)
{
	struct dma_buf_attachment *attach = imp->attach;
	int ret;

	ret = imp->pal_ops->map(attach, &imp->pal);
	if (ret)
		return ret;
	if (imp->pal.size < attach->dmabuf->size || !imp->pal.nr_ranges) {
		dev_warn_once(attach->dev,
			      "dma-buf %s: address list smaller than the buffer\n",
			      attach->dmabuf->exp_name);
		ret = -EINVAL;
		goto err_unmap;
	}
	ret = imp->ops->pal_map(imp, &imp->pal);
	if (ret)
		goto err_unmap;
	imp->pal_mapped = true;
	return 0;

err_unmap:
	imp->pal_ops->unmap(attach, &imp->pal);
	return ret;
}

/**
 * p2pbuf_dynimp_map() - make sure an import is mapped
 * @imp: the import
 *
 * Must be called with the dma-buf's reservation lock held, which also
 * keeps the mapping valid.  To use the mapping after dropping the lock,
 * the driver must make its use visible to &p2pbuf_dynimp_ops.quiesce
 * before it drops the lock (e.g. a fence in the reservation object plus a
 * record of the running job), since an invalidation can come as soon as
 * the lock is free.  Before the device touches the memory the driver must
 * also wait for the exporter's fences (%DMA_RESV_USAGE_KERNEL at least),
 * as for every dynamic importer.
 *
 * With the type %P2PBUF_MAP_SGT the mapping is &p2pbuf_dynimp.sgt (DMA
 * side only: walk it with for_each_sgtable_dma_sg() or &struct
 * p2pbuf_sg_walk); with %P2PBUF_MAP_PAL it is the driver's own mapping
 * of &p2pbuf_dynimp.pal, made by its &p2pbuf_dynimp_ops.pal_map.
 *
 * Return: 0, or the exporter's error (-ENODEV from p2pbuf's exporter when
 * the memory was revoked), the driver's &p2pbuf_dynimp_ops.pal_map error,
 * -EINVAL if the exporter's mapping is smaller than the buffer, -ENODEV
 * after p2pbuf_dynimp_kill().
 */
int p2pbuf_dynimp_map(struct p2pbuf_dynimp *imp)
{
	int ret;

	dma_resv_assert_held(p2pbuf_dynimp_resv(imp));

	if (imp->state == P2PBUF_DYNIMP_DEAD)
		return -ENODEV;
	if (imp->sgt || imp->pal_mapped)
		return 0;

	ret = imp->type == P2PBUF_MAP_PAL ? dynimp_map_pal(imp) :
					    dynimp_map_sgt(imp);
	if (ret) {
		imp->map_err = ret;
		return ret;
	}
	imp->state = P2PBUF_DYNIMP_MAPPED;
	imp->map_err = 0;
	imp->maps++;
	return 0;
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
