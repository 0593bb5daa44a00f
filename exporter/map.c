// SPDX-License-Identifier: GPL-2.0
/*
 * Mapping a buffer for an importer: the DMA side of .map_dma_buf and
 * .unmap_dma_buf, and the route an attachment's mappings take.
 *
 * A buffer is a list of BAR ranges (struct phys_vec).  The kernel's helper
 * for MMIO dma-bufs, dma_buf_phys_vec_to_sgt(), maps all of them in one
 * call along the route the PCI core allows (bus addresses below a common
 * switch, one IOVA range through the host bridge and an IOMMU, CPU
 * physical addresses through the host bridge without one), and
 * dma_buf_free_sgt() undoes it: that is all an exporter of MMIO does, as
 * VFIO does.  The route is asked from the PCI core, pci_p2pdma_map_type(),
 * once per attachment, so that debugfs shows it before anything is mapped
 * and an exporter could choose a placement by it.
 *
 * Linux 7.3 as released gets the helper wrong for buffers of several
 * ranges and leaks every table it frees, and does not export
 * pci_p2pdma_map_type(); upstream/linux-7.3/ fixes both.  Built against a
 * kernel without that series (the probe in ../Kbuild), map_compat_7_3.c
 * takes over: every p2pbuf_exp_compat_*() call below is compiled out on a
 * fixed kernel (a constant false condition, so both paths are always
 * compiled and type-checked), and goes away with that file.
 */
#include <linux/dma-buf.h>
#include <linux/dma-buf-mapping.h>
#include <linux/dma-resv.h>
#include <linux/error-injection.h>

#include <p2pbuf/p2p_path.h>

#include "p2pbuf_exporter.h"

/* Built for a kernel without upstream/linux-7.3/ (the probe in ../Kbuild). */
#ifdef P2PBUF_COMPAT_7_3
#define p2pbuf_exp_compat_7_3()	true
#else
#define p2pbuf_exp_compat_7_3()	false
#endif

/**
 * p2pbuf_exp_map_buffer() - map a buffer for an attachment
 * @attach: the attachment
 * @buf: the buffer, not revoked
 * @dir: direction of the DMA
 *
 * Context: the dma-buf's reservation lock held.
 * Return: the DMA addresses of the buffer in buffer order, or an ERR_PTR()
 * from dma_buf_phys_vec_to_sgt() (-EINVAL if the PCI core finds no P2P
 * route) or -ENOMEM.
 */
struct sg_table *p2pbuf_exp_map_buffer(struct dma_buf_attachment *attach,
				       struct p2pbuf_exp_buffer *buf,
				       enum dma_data_direction dir)
{
	dma_resv_assert_held(attach->dmabuf->resv);

	if (p2pbuf_exp_compat_7_3())
		return p2pbuf_exp_compat_map(attach, buf, dir);
	return dma_buf_phys_vec_to_sgt(attach, buf->provider, buf->vec,
				       buf->nr_ranges, buf->size, dir);
}
ALLOW_ERROR_INJECTION(p2pbuf_exp_map_buffer, ERRNO_NULL);

/**
 * p2pbuf_exp_unmap_buffer() - undo p2pbuf_exp_map_buffer()
 * @attach: the attachment
 * @buf: the buffer
 * @sgt: the mapping
 * @dir: direction of the DMA, as mapped
 *
 * Context: the dma-buf's reservation lock held.
 */
void p2pbuf_exp_unmap_buffer(struct dma_buf_attachment *attach,
			     struct p2pbuf_exp_buffer *buf,
			     struct sg_table *sgt, enum dma_data_direction dir)
{
	dma_resv_assert_held(attach->dmabuf->resv);

	if (p2pbuf_exp_compat_7_3())
		p2pbuf_exp_compat_unmap(attach, buf, sgt, dir);
	else
		dma_buf_free_sgt(attach, sgt, dir);
}

/**
 * p2pbuf_exp_route() - the route an attachment's BAR mappings take
 * @attach: the attachment
 * @buf: the buffer
 * @sgt: the attachment's new mapping of the BAR, or NULL at attach
 *
 * The PCI core's answer for the BAR's provider and the importer: it
 * depends only on the two devices, so @sgt is not looked at.  Through the
 * host bridge, the DMA API maps with an IOVA when an IOMMU translates for
 * the importer (a DMA domain), with CPU physical addresses otherwise.
 *
 * Context: any; called at attach and after each map.
 * Return: the route, %P2PBUF_PATH_NONE when the devices have none (on a
 * kernel without upstream/linux-7.3/: also at attach, before the first
 * mapping tells it).
 */
enum p2pbuf_path p2pbuf_exp_route(struct dma_buf_attachment *attach,
				  struct p2pbuf_exp_buffer *buf,
				  struct sg_table *sgt)
{
	if (p2pbuf_exp_compat_7_3())
		return p2pbuf_exp_compat_route(attach, buf, sgt);
	return p2pbuf_path_query(buf->provider, attach->dev);
}
