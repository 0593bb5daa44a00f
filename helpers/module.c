// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_helpers: code shared by the p2pbuf exporter, importer and test
 * bed, exported in the "P2PBUF" symbol namespace.
 */
#include <linux/module.h>

MODULE_DESCRIPTION("p2pbuf shared helpers for PCI peer-to-peer dma-bufs");
MODULE_LICENSE("GPL");
