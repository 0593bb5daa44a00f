// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_helpers: code shared by the p2pbuf exporter, importer and test
 * bed, exported in the "P2PBUF" symbol namespace:
 *
 * - p2p_path.c: the route a P2P mapping took (debugfs reports);
 * - attach_policy.c: which importers may attach to BAR memory;
 * - revoke.c: revoke and restore importers' access to a dma-buf;
 * - dynamic_import.c, sg_walk.c: an importer's dynamic attachment and
 *   the walk of its DMA addresses;
 * - pal.c: the PAL interconnect's run-time lookup (include/p2pbuf/pal.h).
 */
#include <linux/module.h>

MODULE_DESCRIPTION("p2pbuf shared helpers for PCI peer-to-peer dma-bufs");
MODULE_AUTHOR("p2pbuf maintainers <maintainers@users.noreply.h-seed-c08c0a3c.example>");
MODULE_LICENSE("GPL");
MODULE_VERSION(P2PBUF_VERSION);
MODULE_IMPORT_NS("DMA_BUF");
