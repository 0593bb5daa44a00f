/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pbuf's own declarations of IGT's debugfs helpers (IGT 2.5 ABI; see
 * igt_core.h here).  The per-device helpers take a DRM device fd and look
 * under debugfs/dri/N; for a module's own debugfs directory join
 * igt_debugfs_mount() and the path, and open() it.
 */
#ifndef P2PBUF_COMPAT_IGT_DEBUGFS_H
#define P2PBUF_COMPAT_IGT_DEBUGFS_H

#include <stdbool.h>

/* Where debugfs is mounted (mounting it if needed); NULL if it cannot be. */
const char *igt_debugfs_mount(void);
/* debugfs/dri/N of DRM device fd @device, written to @path. */
char *igt_debugfs_path(int device, char *path, int pathlen);
int igt_debugfs_dir(int device);
int igt_debugfs_open(int device, const char *filename, int mode);

#endif /* P2PBUF_COMPAT_IGT_DEBUGFS_H */
