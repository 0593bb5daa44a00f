/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vgem fences for p2pbuf's IGT tests: a fence the test signals by hand,
 * put into any dma-buf's reservation object.  vgem's own expiry signals
 * a fence the test forgot after 10 s, so a test that dies cannot leave a
 * wait in the kernel hanging.
 */
#ifndef P2PBUF_VGEM_H
#define P2PBUF_VGEM_H

#include <stdbool.h>
#include <stdint.h>

/* vgem's fence uAPI (include/uapi/drm/vgem_drm.h of the kernel). */
struct vgem_fence_attach {
	uint32_t handle;
	uint32_t flags;
#define VGEM_FENCE_WRITE	0x1
	uint32_t out_fence;
	uint32_t pad;
};

struct vgem_fence_signal {
	uint32_t fence;
	uint32_t flags;
};

#define VGEM_IOCTL_FENCE_ATTACH \
	DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct vgem_fence_attach)
#define VGEM_IOCTL_FENCE_SIGNAL \
	DRM_IOW(DRM_COMMAND_BASE + 0x2, struct vgem_fence_signal)

/* Load vgem and open its node; skips (a bed failure) if it cannot. */
int p2pbuf_vgem_open(void);

/*
 * A fence of vgem buffer @handle (a writer's when @write): its id, or
 * -errno from VGEM_IOCTL_FENCE_ATTACH.
 */
int p2pbuf_vgem_fence_attach(int vgem, uint32_t handle, bool write);

/* 0, or -ETIMEDOUT when vgem's 10 s expiry signalled @fence first. */
int p2pbuf_vgem_fence_signal(int vgem, uint32_t fence);

/*
 * An unsignalled vgem fence in the reservation object of the dma-buf
 * @dmabuf (whoever exported it), as a writer's: a vgem buffer of its own
 * gets the fence, its dma-buf exports it as a sync_file and
 * DMA_BUF_IOCTL_IMPORT_SYNC_FILE adds that to @dmabuf.  Returns the fence
 * id for p2pbuf_vgem_fence_signal(); asserts on any failure.
 */
uint32_t p2pbuf_vgem_fence_into(int vgem, int dmabuf);

#endif /* P2PBUF_VGEM_H */
