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

/*
 * The last component of the target of the symbolic link at @path (a
 * sysfs "driver" or "device" link), into @name.  Returns 0, or readlink()'s
 * negative errno.
 */
int p2pbuf_link_name(const char *path, char *name, size_t size);

/*
 * The PCI address of the device behind the character device open at @fd
 * (a DRM node, /dev/p2pbuf-exp-*), into @bdf: its /sys/dev/char link.
 * Returns 0, -ENOTTY when @fd is no character device, or another negative
 * errno.
 */
int p2pbuf_chardev_pci_address(int fd, char *bdf, size_t size);

#endif /* P2PBUF_SYSFS_H */
