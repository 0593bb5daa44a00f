/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A dynamic dma-buf attachment that is mapped on use, dropped when the
 * exporter invalidates it, and mapped again on the next use.
 */
#ifndef _P2PBUF_DYNAMIC_IMPORT_H
#define _P2PBUF_DYNAMIC_IMPORT_H

#include <linux/dma-buf.h>
#include <linux/types.h>

struct device;
struct sg_table;
struct p2pbuf_dynimp;

/**
 * struct p2pbuf_dynimp_ops - what the importing driver provides
 * @quiesce: make the device stop using the current mapping of @imp, and
 *	return only once it has: no DMA to the mapping's addresses is in
 *	flight, and none will be started (new work must map again, which
 *	it can only do under the reservation lock the caller holds).
 *	Called from the exporter's invalidation, with the dma-buf's
 *	reservation lock held and only while a mapping exists.  It must not
 *	take that lock, must not wait for anything that may need it, and
 *	must return in bounded time: the exporter may be revoking the
 *	memory and waits for the unmap that follows.
 */
struct p2pbuf_dynimp_ops {
	void (*quiesce)(struct p2pbuf_dynimp *imp);
};

/**
 * enum p2pbuf_dynimp_state - the mapping of a dynamic import
 * @P2PBUF_DYNIMP_UNMAPPED: not mapped yet (or unmapped by the importer)
 * @P2PBUF_DYNIMP_MAPPED: mapped; &p2pbuf_dynimp.sgt is valid
 * @P2PBUF_DYNIMP_INVALIDATED: the exporter invalidated the mapping and it
 *	was dropped; the next use maps again (which fails if the exporter
 *	revoked the memory)
 * @P2PBUF_DYNIMP_DEAD: the importing device is gone; no new mappings
 */
enum p2pbuf_dynimp_state {
	P2PBUF_DYNIMP_UNMAPPED,
	P2PBUF_DYNIMP_MAPPED,
	P2PBUF_DYNIMP_INVALIDATED,
	P2PBUF_DYNIMP_DEAD,
};

/**
 * struct p2pbuf_dynimp - one dynamic attachment of an importing device
 * @attach: the attachment.  Set by p2pbuf_dynimp_attach(), constant until
 *	p2pbuf_dynimp_detach().
 * @ops: the importer's callbacks; constant
 * @sgt: the current mapping, NULL when there is none
 * @state: see &enum p2pbuf_dynimp_state
 * @map_err: errno of the last failed map, 0 after a successful one
 * @maps: number of mappings made
 * @invalidates: number of invalidations the exporter sent
 *
 * @sgt, @state, @map_err, @maps and @invalidates are protected by the
 * dma-buf's reservation lock (&dma_buf.resv, which is also the importer's
 * GEM object's resv).  The device may use the addresses in @sgt only for
 * DMA that @ops->quiesce can stop, i.e. DMA the driver tracks.
 */
struct p2pbuf_dynimp {
	struct dma_buf_attachment *attach;
	const struct p2pbuf_dynimp_ops *ops;

	struct sg_table *sgt;
	enum p2pbuf_dynimp_state state;
	int map_err;
	unsigned long maps;
	unsigned long invalidates;
};

int p2pbuf_dynimp_attach(struct p2pbuf_dynimp *imp, struct dma_buf *dmabuf,
			 struct device *dev, bool peer2peer,
			 const struct p2pbuf_dynimp_ops *ops);
void p2pbuf_dynimp_detach(struct p2pbuf_dynimp *imp);
struct sg_table *p2pbuf_dynimp_map(struct p2pbuf_dynimp *imp);
void p2pbuf_dynimp_kill(struct p2pbuf_dynimp *imp);
const char *p2pbuf_dynimp_state_name(enum p2pbuf_dynimp_state state);

/**
 * p2pbuf_dynimp_resv() - the reservation object guarding an import
 * @imp: the import
 *
 * Return: the dma-buf's reservation object.
 */
static inline struct dma_resv *p2pbuf_dynimp_resv(const struct p2pbuf_dynimp *imp)
{
	return imp->attach->dmabuf->resv;
}

#endif /* _P2PBUF_DYNAMIC_IMPORT_H */
