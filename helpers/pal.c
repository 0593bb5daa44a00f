// SPDX-License-Identifier: GPL-2.0
/*
 * The PAL interconnect, importer's end: find the exporter's PAL ops of a
 * dma-buf at run time, and name the mapping types.
 *
 * The exporter (p2pbuf_exporter) exports one function,
 * p2pbuf_exp_pal_ops(), only to this module (EXPORT_SYMBOL_FOR_MODULES);
 * it is looked up here with symbol_get(), as iommufd looks up
 * vfio_pci_dma_buf_iommufd_map(), so that an importer loads and works
 * (with sg_tables only) without the exporter's module, and the exporter
 * without any importer.  The module reference symbol_get() takes is
 * dropped at once: the ops live in the exporter's module, which the
 * dma-buf itself keeps loaded (dma_buf_export() takes a reference on its
 * owner) for as long as the importer holds the dma-buf.
 */
#include <linux/dma-buf.h>
#include <linux/export.h>
#include <linux/module.h>

#include <p2pbuf/pal.h>

static const char *const map_type_names[] = {
	[P2PBUF_MAP_SGT] = "sg-table",
	[P2PBUF_MAP_PAL] = "pal",
};

/**
 * p2pbuf_map_type_name() - name of a mapping type, for debugfs and tests
 * @type: the type
 *
 * Return: a static string, "unknown" for an out-of-range value.
 */
const char *p2pbuf_map_type_name(enum p2pbuf_map_type type)
{
	if (type >= ARRAY_SIZE(map_type_names))
		return "unknown";
	return map_type_names[type];
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_map_type_name, "P2PBUF");

/**
 * p2pbuf_pal_ops_of() - the PAL interconnect of a dma-buf's exporter
 * @dmabuf: any dma-buf; the caller holds a reference for as long as it
 *	uses the returned ops
 *
 * Return: the exporter's ops, or NULL when the exporter has no PAL
 * interconnect (not p2pbuf's exporter, or its module is not loaded): the
 * importer then maps with dma_buf_map_attachment() only.
 */
const struct p2pbuf_pal_ops *p2pbuf_pal_ops_of(struct dma_buf *dmabuf)
{
	const struct p2pbuf_pal_ops *(*lookup)(struct dma_buf *dmabuf);
	const struct p2pbuf_pal_ops *ops;

	lookup = symbol_get(p2pbuf_exp_pal_ops);
	if (!lookup)
		return NULL;
	ops = lookup(dmabuf);
	symbol_put(p2pbuf_exp_pal_ops);
	return ops;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_pal_ops_of, "P2PBUF");
