/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pbuf's own declarations of IGT's DRM device helpers (IGT 2.5 ABI; see
 * igt_core.h here for what these compat headers are).
 *
 * IGT's device table only knows upstream drivers, so drm_open_driver*()
 * cannot ask for p2pbuf's importer specifically.  Tests open its render node
 * by driver name with p2pbuf_open_render() from igt-tests/lib/p2pbuf_igt.h.
 */
#ifndef P2PBUF_COMPAT_DRMTEST_H
#define P2PBUF_COMPAT_DRMTEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt_core.h"

/* Driver masks of IGT 2.5's device table (the "chipset" arguments). */
#define DRIVER_INTEL	(1 << 0)
#define DRIVER_VC4	(1 << 1)
#define DRIVER_VGEM	(1 << 2)
#define DRIVER_AMDGPU	(1 << 3)
#define DRIVER_V3D	(1 << 4)
#define DRIVER_PANFROST	(1 << 5)
#define DRIVER_MSM	(1 << 6)
#define DRIVER_XE	(1 << 7)
#define DRIVER_VMWGFX	(1 << 8)
#define DRIVER_VKMS	(1 << 9)
#define DRIVER_VIRTIO	(1 << 10)
#define DRIVER_PANTHOR	(1 << 11)
#define DRIVER_ASAHI	(1 << 12)
#define DRIVER_POWERVR	(1 << 13)
/* Any driver but the virtual ones, which IGT only opens when asked to. */
#define DRIVER_ANY	~(DRIVER_VGEM | DRIVER_VKMS | DRIVER_VIRTIO)

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))
#endif

/* Open the first matching primary node; the test skips when there is none. */
int drm_open_driver(int chipset);
/* Same for a render node. */
int drm_open_driver_render(int chipset);
/* As above, but return -1 instead of skipping. */
int __drm_open_driver(int chipset);
int __drm_open_driver_render(int chipset);
int drm_close_driver(int fd);
int __drm_close_driver(int fd);
unsigned int drm_get_chipset(int fd);

/* do_ioctl(): the ioctl must succeed; do_ioctl_err(): fail with @err. */
#define do_ioctl(fd, req, arg)						\
	do {								\
		igt_assert_eq(igt_ioctl((fd), (req), (arg)), 0);	\
		errno = 0;						\
	} while (0)
#define do_ioctl_err(fd, req, arg, err)				\
	do {								\
		igt_assert_eq(igt_ioctl((fd), (req), (arg)), -1);	\
		igt_assert_eq(errno, (err));				\
		errno = 0;						\
	} while (0)

#include "ioctl_wrappers.h"

#endif /* P2PBUF_COMPAT_DRMTEST_H */
