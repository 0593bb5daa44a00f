/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A dynamic dma-buf attachment that is mapped on use, dropped when the
 * exporter invalidates it, and mapped again on the next use.
 */
#ifndef _P2PBUF_DYNAMIC_IMPORT_H
#define _P2PBUF_DYNAMIC_IMPORT_H

#include <linux/dma-buf.h>
#include <linux/types.h>

#include <p2pbuf/pal.h>

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
 * @pal_map: map @pal for the importing device, the driver's own way
 *	(helpers give the ranges, the driver owns its IOVA space).  Called
 *	with the reservation lock held, by p2pbuf_dynimp_map() when the
 *	negotiated type is %P2PBUF_MAP_PAL.  Returns 0 or a negative errno.
 *	Needed only by importers that accept %P2PBUF_MAP_PAL.
 * @pal_unmap: undo @pal_map; the device no longer uses the mapping
 *	(@quiesce ran, or the driver stopped it).  Reservation lock held.
 */
struct p2pbuf_dynimp_ops {
	void (*quiesce)(struct p2pbuf_dynimp *imp);
	int (*pal_map)(struct p2pbuf_dynimp *imp, const struct p2pbuf_pal *pal);
	void (*pal_unmap)(struct p2pbuf_dynimp *imp,
			  const struct p2pbuf_pal *pal);
};

/**
 * enum p2pbuf_dynimp_state - the mapping of a dynamic import
 * @P2PBUF_DYNIMP_UNMAPPED: not mapped yet (or unmapped by the importer)
 * @P2PBUF_DYNIMP_MAPPED: mapped: &p2pbuf_dynimp.sgt is valid, or (type
 *	%P2PBUF_MAP_PAL) &p2pbuf_dynimp.pal and the driver's own mapping
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
 * @sgt: the current sg_table mapping, NULL when there is none
 * @pal_ops: the exporter's PAL interconnect (p2pbuf_pal_ops_of()), NULL if
 *	the exporter has none; constant
 * @accepted: mapping types the driver accepts, P2PBUF_MAP_BIT() mask;
 *	%P2PBUF_MAP_SGT only until p2pbuf_dynimp_set_types()
 * @type: the negotiated mapping type, %P2PBUF_MAP_SGT until a
 *	negotiation picked another
 * @pal: the current PAL, valid while @pal_mapped
 * @pal_mapped: @pal is held from the exporter and mapped by the driver
 * @state: see &enum p2pbuf_dynimp_state
 * @map_err: errno of the last failed map, 0 after a successful one
 * @maps: number of mappings made
 * @invalidates: number of invalidations the exporter sent
 *
 * @sgt, @accepted, @type, @pal, @pal_mapped, @state, @map_err, @maps
 * and @invalidates are protected by the
 * dma-buf's reservation lock (&dma_buf.resv, which is also the importer's
 * GEM object's resv).  The device may use the addresses in @sgt (or of
 * the driver's mapping of @pal) only for
 * DMA that @ops->quiesce can stop, i.e. DMA the driver tracks.
 */
struct p2pbuf_dynimp {
	struct dma_buf_attachment *attach;
	const struct p2pbuf_dynimp_ops *ops;

	struct sg_table *sgt;
	const struct p2pbuf_pal_ops *pal_ops;
	u32 accepted;
	enum p2pbuf_map_type type;
	struct p2pbuf_pal pal;
	bool pal_mapped;
	enum p2pbuf_dynimp_state state;
	int map_err;
	unsigned long maps;
	unsigned long invalidates;
};

int p2pbuf_dynimp_attach(struct p2pbuf_dynimp *imp, struct dma_buf *dmabuf,
			 struct device *dev, bool peer2peer,
			 const struct p2pbuf_dynimp_ops *ops);
void p2pbuf_dynimp_detach(struct p2pbuf_dynimp *imp);
int p2pbuf_dynimp_set_types(struct p2pbuf_dynimp *imp, u32 accepted);
int p2pbuf_dynimp_map(struct p2pbuf_dynimp *imp);
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
