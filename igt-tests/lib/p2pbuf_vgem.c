// SPDX-License-Identifier: GPL-2.0
/* vgem fences for p2pbuf's IGT tests (see p2pbuf_vgem.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <xf86drm.h>

#include "igt.h"
#include "igt_kmod.h"

#include "p2pbuf_igt.h"
#include "p2pbuf_vgem.h"

int p2pbuf_vgem_open(void)
{
	p2pbuf_bed_require_f(igt_kmod_load("vgem", NULL) == 0,
			     "vgem does not load\n");
	return drm_open_driver(DRIVER_VGEM);
}

int p2pbuf_vgem_fence_attach(int vgem, uint32_t handle, bool write)
{
	struct vgem_fence_attach a = {
		.handle = handle, .flags = write ? VGEM_FENCE_WRITE : 0,
	};

	if (drmIoctl(vgem, VGEM_IOCTL_FENCE_ATTACH, &a))
		return -errno;
	return a.out_fence;
}

int p2pbuf_vgem_fence_signal(int vgem, uint32_t fence)
{
	struct vgem_fence_signal s = { .fence = fence };

	return drmIoctl(vgem, VGEM_IOCTL_FENCE_SIGNAL, &s) ? -errno : 0;
}

uint32_t p2pbuf_vgem_fence_into(int vgem, int dmabuf)
{
	struct drm_mode_create_dumb cd = { .width = 1024, .height = 1, .bpp = 32 };
	struct dma_buf_export_sync_file ex = { .flags = DMA_BUF_SYNC_WRITE };
	struct dma_buf_import_sync_file im = { .flags = DMA_BUF_SYNC_WRITE };
	struct drm_gem_close gc = {};
	int fence, vbuf;

	igt_assert_eq(drmIoctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &cd), 0);
	fence = p2pbuf_vgem_fence_attach(vgem, cd.handle, true);
	igt_assert_f(fence > 0, "vgem fence: %s\n", strerror(-fence));
	igt_assert_eq(drmPrimeHandleToFD(vgem, cd.handle, DRM_CLOEXEC, &vbuf), 0);
	igt_assert_f(drmIoctl(vbuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex) == 0,
		     "EXPORT_SYNC_FILE of vgem's dma-buf: %s\n", strerror(errno));
	im.fd = ex.fd;
	igt_assert_f(drmIoctl(dmabuf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &im) == 0,
		     "IMPORT_SYNC_FILE: %s\n", strerror(errno));
	close(ex.fd);
	close(vbuf);
	/* The fence lives on in @dmabuf's reservation object. */
	gc.handle = cd.handle;
	igt_assert_eq(drmIoctl(vgem, DRM_IOCTL_GEM_CLOSE, &gc), 0);
	return fence;
}
