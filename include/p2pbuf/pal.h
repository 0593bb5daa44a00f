/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Negotiated dma-buf mapping types: the exporter's sg_table, or a physical
 * address list (PAL) that the importer maps for its device itself.
 *
 * Linux 7.3 has no mapping types in the dma-buf core (the Feb 2026 RFC
 * "Add DMA-buf mapping types" was not merged), so this is a private
 * interconnect between p2pbuf's exporter and importer, looked up at run
 * time as iommufd looks up vfio_pci_dma_buf_iommufd_map(): neither module
 * needs the other loaded.  It is shaped so that it could move into the
 * core: see Documentation/importer.rst, "Mapping types".
 */
#ifndef _P2PBUF_PAL_H
#define _P2PBUF_PAL_H

#include <linux/bits.h>
#include <linux/types.h>

#include <p2pbuf/p2p_path.h>

struct dma_buf;
struct dma_buf_attachment;
struct p2pdma_provider;
struct phys_vec;

/**
 * enum p2pbuf_map_type - how an importer gets the DMA addresses of a buffer
 * @P2PBUF_MAP_SGT: the exporter maps, dma_buf_map_attachment() returns an
 *	sg_table of DMA addresses (every exporter, every importer)
 * @P2PBUF_MAP_PAL: the exporter hands out the physical ranges, their
 *	p2pdma provider and the route (&struct p2pbuf_pal); the importer
 *	maps them for its device (dma_iova_link(), bus addresses, or
 *	dma_map_phys())
 * @P2PBUF_MAP_NR: number of types
 *
 * The values are bit numbers of a type mask (P2PBUF_MAP_BIT()).
 */
enum p2pbuf_map_type {
	P2PBUF_MAP_SGT,
	P2PBUF_MAP_PAL,
	P2PBUF_MAP_NR,
};

/* The bit of @type in a mask of accepted types. */
#define P2PBUF_MAP_BIT(type)	BIT(type)
/* Every type this header knows. */
#define P2PBUF_MAP_ALL		(BIT(P2PBUF_MAP_NR) - 1)

/**
 * struct p2pbuf_pal - a physical address list: what a PAL mapping gives
 * @provider: the p2pdma provider of the memory (its owner device and the
 *	bus offset of its BAR), as pci_p2pdma_bus_addr_map() takes it
 * @vec: the physical ranges in buffer order; MMIO (map them with
 *	%DMA_ATTR_MMIO), each page aligned
 * @nr_ranges: number of entries of @vec, at least 1
 * @size: sum of the range lengths: the dma-buf's size
 * @route: the route the exporter decided for this attachment at attach
 *	(never %P2PBUF_PATH_NONE: without a route the attachment is refused
 *	or gets an sg_table).  The importer maps along it: one IOVA range
 *	for %P2PBUF_PATH_HOST_BRIDGE_IOVA, the provider's bus addresses for
 *	%P2PBUF_PATH_BUS_ADDR, CPU physical addresses through the DMA API
 *	for %P2PBUF_PATH_HOST_BRIDGE_DIRECT.
 *
 * Valid from a successful &p2pbuf_pal_ops.map to the matching
 * &p2pbuf_pal_ops.unmap, under the same rules as an sg_table mapping: it
 * is taken with the dma-buf's reservation lock held; the exporter's
 * invalidate_mappings takes it back (the importer stops its DMA and
 * unmaps before the callback returns); after a revoke &p2pbuf_pal_ops.map
 * fails.  Everything it points to is the exporter's and is read-only.
 */
struct p2pbuf_pal {
	struct p2pdma_provider *provider;
	const struct phys_vec *vec;
	u32 nr_ranges;
	u64 size;
	enum p2pbuf_path route;
};

/**
 * struct p2pbuf_pal_ops - the exporter's side of the interconnect
 * @negotiate: pick the mapping type of @attach among the types in
 *	@accepted (a mask of P2PBUF_MAP_BIT()), by the exporter's own
 *	priority, and record it in the attachment.  May be called again
 *	while the attachment has no mapping of either type.  Called with
 *	the dma-buf's reservation lock held.  Returns the type, or
 *	-EOPNOTSUPP if it offers none of @accepted for this attachment
 *	(an sg_table is offered to every attachment it accepted, so that
 *	happens only when @accepted lacks %P2PBUF_MAP_SGT), -ENODEV if the
 *	exporter's device is gone.
 * @map: fill @pal for @attach, whose negotiated type is %P2PBUF_MAP_PAL.
 *	Called with the reservation lock held.  Returns 0, -ENODEV while
 *	the memory is revoked (or the device gone), -EINVAL if the
 *	negotiated type is not %P2PBUF_MAP_PAL.
 * @unmap: give back a PAL from @map; the importer no longer uses the
 *	ranges nor its own mapping of them.  Reservation lock held.
 *
 * Every op runs in the exporter's module; the dma-buf holds a reference
 * on that module, so the ops stay valid while the importer holds the
 * dma-buf.
 */
struct p2pbuf_pal_ops {
	int (*negotiate)(struct dma_buf_attachment *attach, u32 accepted);
	int (*map)(struct dma_buf_attachment *attach, struct p2pbuf_pal *pal);
	void (*unmap)(struct dma_buf_attachment *attach, struct p2pbuf_pal *pal);
};

/*
 * The exporter's entry point, exported by p2pbuf_exporter and found with
 * symbol_get() (p2pbuf_pal_ops_of()); nobody links against it.
 */
const struct p2pbuf_pal_ops *p2pbuf_exp_pal_ops(struct dma_buf *dmabuf);

const struct p2pbuf_pal_ops *p2pbuf_pal_ops_of(struct dma_buf *dmabuf);
const char *p2pbuf_map_type_name(enum p2pbuf_map_type type);

/**
 * struct p2pbuf_dma_range - one contiguous run of DMA addresses
 * @addr: DMA address for the importing device
 * @len: length in bytes
 *
 * What an importer's own mapping of a PAL gives its engine: walked with
 * p2pbuf_sg_walk_start_ranges() exactly as an sg_table is.
 */
struct p2pbuf_dma_range {
	dma_addr_t addr;
	u64 len;
};

#endif /* _P2PBUF_PAL_H */
