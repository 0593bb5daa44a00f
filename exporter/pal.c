// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's side of the PAL interconnect (include/p2pbuf/pal.h):
 * which mapping type an attachment gets, and the physical address list
 * of a buffer for an importer that maps it itself.
 *
 * Priority: a PAL before an sg_table, wherever the importer accepts it
 * and this attachment allows it.  A PAL is the BAR ranges, their p2pdma
 * provider and the route decided at attach; that is only true of fixed
 * buffers.  A migratable object may sit in system memory, and where it
 * sits is the exporter's choice at each map: it always gets an sg_table.
 * So does an attachment without a known route.
 *
 * A PAL follows the rules of an sg_table mapping: handed out under the
 * reservation lock, counted as a mapping of the buffer (the revoke waits
 * for it, debugfs shows it), taken back by the same invalidate_mappings,
 * refused with -ENODEV while the buffer is revoked.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/export.h>
#include <linux/module.h>

#include <uapi/linux/p2pbuf_exporter.h>

#include "p2pbuf_exporter.h"

/* The exporter's order of preference. */
static const enum p2pbuf_map_type p2pbuf_exp_priority[] = {
	P2PBUF_MAP_PAL,
	P2PBUF_MAP_SGT,
};

/*
 * The route of a fixed buffer's attachment, decided once.  On a fixed
 * kernel attach asked the PCI core; on a stock 7.3 kernel the first
 * mapping tells it, so a PAL negotiation before any mapping probes one
 * (map_compat_7_3.c), which needs the memory not to be revoked.
 */
static int p2pbuf_exp_pal_route(struct dma_buf_attachment *attach,
				struct p2pbuf_exp_buffer *buf)
{
	struct p2pbuf_exp_attach *ea = attach->priv;
	int ret;

	if (ea->path != P2PBUF_PATH_NONE)
		return 0;
#ifdef P2PBUF_COMPAT_7_3
	ret = p2pbuf_revoke_map_get(&buf->revoke);
	if (ret)
		return ret;
	ea->path = p2pbuf_exp_compat_probe_route(attach, buf);
	p2pbuf_revoke_map_put(&buf->revoke);
#else
	ret = 0;
#endif
	return ret;
}

/* &p2pbuf_pal_ops.negotiate */
static int p2pbuf_exp_pal_negotiate(struct dma_buf_attachment *attach,
				    u32 accepted)
{
	struct p2pbuf_exp_buffer *buf = attach->dmabuf->priv;
	struct p2pbuf_exp_attach *ea = attach->priv;
	unsigned int i;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);

	if (p2pbuf_revoke_state(&buf->revoke) & P2PBUF_EXP_REVOKED_GONE)
		return -ENODEV;
	for (i = 0; i < ARRAY_SIZE(p2pbuf_exp_priority); i++) {
		enum p2pbuf_map_type type = p2pbuf_exp_priority[i];

		if (!(accepted & P2PBUF_MAP_BIT(type)))
			continue;
		if (type == P2PBUF_MAP_PAL) {
			if (buf->obj)
				continue;
			ret = p2pbuf_exp_pal_route(attach, buf);
			if (ret)
				return ret;
			if (ea->path == P2PBUF_PATH_NONE)
				continue;
		}
		ea->map_type = type;
		return type;
	}
	return -EOPNOTSUPP;
}

/* &p2pbuf_pal_ops.map */
static int p2pbuf_exp_pal_map(struct dma_buf_attachment *attach,
			      struct p2pbuf_pal *pal)
{
	struct p2pbuf_exp_buffer *buf = attach->dmabuf->priv;
	struct p2pbuf_exp_attach *ea = attach->priv;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);

	if (ea->map_type != P2PBUF_MAP_PAL)
		return -EINVAL;
	ret = p2pbuf_revoke_map_get(&buf->revoke);
	if (ret) {
		ea->map_err = ret;
		return ret;
	}
	*pal = (struct p2pbuf_pal){
		.provider = buf->provider,
		.vec = buf->vec,
		.nr_ranges = buf->nr_ranges,
		.size = buf->size,
		.route = ea->path,
	};
	ea->map_err = 0;
	ea->mapped++;
	ea->pal_mapped++;
	ea->maps++;
	atomic_inc(&buf->dev->live_maps);
	return 0;
}

/* &p2pbuf_pal_ops.unmap */
static void p2pbuf_exp_pal_unmap(struct dma_buf_attachment *attach,
				 struct p2pbuf_pal *pal)
{
	struct p2pbuf_exp_buffer *buf = attach->dmabuf->priv;
	struct p2pbuf_exp_attach *ea = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	ea->mapped--;
	ea->pal_mapped--;
	atomic_dec(&buf->dev->live_maps);
	p2pbuf_revoke_map_put(&buf->revoke);
	*pal = (struct p2pbuf_pal){};
}

const struct p2pbuf_pal_ops p2pbuf_exp_pal = {
	.negotiate = p2pbuf_exp_pal_negotiate,
	.map = p2pbuf_exp_pal_map,
	.unmap = p2pbuf_exp_pal_unmap,
};

/**
 * p2pbuf_exp_pal_ops() - the PAL interconnect of a p2pbuf dma-buf
 * @dmabuf: any dma-buf
 *
 * Looked up at run time with symbol_get() by p2pbuf_pal_ops_of(); not to
 * be linked against.
 *
 * Return: the ops for a dma-buf of this exporter (fixed or migratable:
 * the negotiation tells them apart), NULL for any other dma-buf.
 */
const struct p2pbuf_pal_ops *p2pbuf_exp_pal_ops(struct dma_buf *dmabuf)
{
	return p2pbuf_exp_dmabuf_is_ours(dmabuf) ? &p2pbuf_exp_pal : NULL;
}
EXPORT_SYMBOL_FOR_MODULES(p2pbuf_exp_pal_ops, "p2pbuf_helpers");
