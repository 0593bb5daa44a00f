/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small sysfs and /dev helpers shared by p2pbuf's IGT tests and the
 * benchmark tool (plain C: no IGT, no libdrm).
 */
#ifndef P2PBUF_SYSFS_H
#define P2PBUF_SYSFS_H

#include <stddef.h>

/*
 * Write @val to the file at @path (a sysfs or debugfs attribute) in one
 * write().  Returns 0 or a negative errno: the attribute's error.
 */
int p2pbuf_sysfs_write(const char *path, const char *val);

/*
 * The PCI address of the first device p2pbuf_exporter serves (its
 * /dev/p2pbuf-exp-<address>), into @bdf.  Returns 0, or -ENOENT.
 */
int p2pbuf_exporter_find(char *bdf, size_t size);

#endif /* P2PBUF_SYSFS_H */
