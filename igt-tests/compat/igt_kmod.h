/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pbuf's own declarations of IGT's kernel module helpers (IGT 2.5 ABI;
 * see igt_core.h here).  They use libkmod, so modules are found by name
 * through modules.dep: the test bed installs p2pbuf's modules under
 * /lib/modules/$(uname -r)/updates/p2pbuf and runs depmod.
 */
#ifndef P2PBUF_COMPAT_IGT_KMOD_H
#define P2PBUF_COMPAT_IGT_KMOD_H

#include <stdbool.h>

bool igt_kmod_is_loaded(const char *mod_name);
bool igt_kmod_has_param(const char *mod_name, const char *param);
/*
 * Load @mod_name and its dependencies with options @opts (may be NULL).
 * Returns 0 or a negative errno; with @opts set, an already loaded module
 * is an error (-EEXIST).
 */
int igt_kmod_load(const char *mod_name, const char *opts);
/* Unload @mod_name and what only it used.  Returns 0 or a negative errno. */
int igt_kmod_unload(const char *mod_name);
/* Bind/unbind @mod_name's driver to/from PCI device @pci_device (or all). */
int igt_kmod_bind(const char *mod_name, const char *pci_device);
int igt_kmod_unbind(const char *mod_name, const char *pci_device);

#endif /* P2PBUF_COMPAT_IGT_KMOD_H */
