/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pbuf's stand-in for IGT's umbrella header "igt.h" (IGT 2.5), declaring
 * the subset of IGT's API that p2pbuf tests use.  With IGT_SRC=... the
 * Makefile uses IGT's own igt.h instead; see igt_core.h here.
 */
#ifndef P2PBUF_COMPAT_IGT_H
#define P2PBUF_COMPAT_IGT_H

#include "drmtest.h"
#include "igt_core.h"
#include "igt_debugfs.h"
#include "ioctl_wrappers.h"

#endif /* P2PBUF_COMPAT_IGT_H */
