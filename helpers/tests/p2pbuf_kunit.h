/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the KUnit suites of p2pbuf's helpers share.
 */
#ifndef _P2PBUF_HELPERS_KUNIT_H
#define _P2PBUF_HELPERS_KUNIT_H

#include <linux/types.h>

struct device;
struct kunit;
struct pci_dev;

/* The test bed's devices: ivshmem-plain (the BAR) and edu (the importer). */
#define P2PBUF_KUNIT_EXP_VENDOR	0x1af4
#define P2PBUF_KUNIT_EXP_DEVICE	0x1110
#define P2PBUF_KUNIT_IMP_VENDOR	0x1234
#define P2PBUF_KUNIT_IMP_DEVICE	0x11e8

struct pci_dev *p2pbuf_kunit_pci_dev(struct kunit *test, u16 vendor,
				     u16 device);

struct device *p2pbuf_kunit_device(struct kunit *test);

#endif /* _P2PBUF_HELPERS_KUNIT_H */
