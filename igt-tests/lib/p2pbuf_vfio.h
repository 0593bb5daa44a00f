/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Upstream VFIO as a dma-buf exporter, for p2pbuf's tests and benchmark:
 * hand a PCI device to vfio-pci, open it through its IOMMU group and
 * export BAR ranges with VFIO_DEVICE_FEATURE_DMA_BUF (Linux >= 7.0), then
 * give the device back to the driver it had.
 *
 * Where it works: vfio-pci needs an IOMMU group for the device (in the
 * test bed: rootports-iommu, switch-iommu, switch-iommu-pt), and the
 * group must be viable (every device in it bound to vfio-pci, pci-stub or
 * pcieport, or to no driver).  Without an IOMMU, only the "noiommu" mode
 * could open the device, and Debian's kernel is built without it
 * (CONFIG_VFIO_NOIOMMU is not set), nor with iommufd's device cdev
 * (/dev/vfio/devices needs CONFIG_IOMMUFD).  See
 * Documentation/benchmarks.rst for the topologies of the test bed.
 */
#ifndef P2PBUF_VFIO_H
#define P2PBUF_VFIO_H

#include <stddef.h>
#include <stdint.h>

/**
 * struct p2pbuf_vfio - a PCI device held by vfio-pci
 * @bdf: the device's PCI address
 * @old_driver: the driver it was bound to before ("" for none); bound
 *	again by p2pbuf_vfio_release()
 * @group_id: its IOMMU group
 * @container: /dev/vfio/vfio, or -1
 * @group: /dev/vfio/<group_id>, or -1
 * @device: the device fd, or -1; dma-bufs exported from it are revoked
 *	when it is closed
 * @bound: the device was handed to vfio-pci (release must undo it)
 */
struct p2pbuf_vfio {
	char bdf[32];
	char old_driver[64];
	int group_id;
	int container;
	int group;
	int device;
	int bound;
};

/* A BAR range, as VFIO's struct vfio_region_dma_range. */
struct p2pbuf_vfio_range {
	uint64_t offset;
	uint64_t length;
};

/*
 * Whether @bdf can be handed to vfio-pci here, without changing anything.
 * Returns 0, or a negative errno with the reason (for igt_skip) in @why:
 * -ENODEV no IOMMU group (and no noiommu mode), -EBUSY a group shared with
 * a device bound to another driver, -ENOENT vfio-pci cannot be loaded.
 */
int p2pbuf_vfio_usable(const char *bdf, char *why, size_t why_size);

/*
 * Unbind @bdf from its driver, bind it to vfio-pci (driver_override) and
 * open it through its group with a type1 IOMMU container.  Returns 0, or a
 * negative errno with the reason in @why; on failure the device is given
 * back already.  Call p2pbuf_vfio_release() after success.
 */
int p2pbuf_vfio_acquire(struct p2pbuf_vfio *v, const char *bdf, char *why,
			size_t why_size);

/*
 * Whether the device's VFIO driver offers VFIO_DEVICE_FEATURE_DMA_BUF
 * (a PROBE of the feature).  Returns 0 or a negative errno.
 */
int p2pbuf_vfio_probe_dma_buf(struct p2pbuf_vfio *v);

/*
 * Export @n ranges of BAR @bar as one dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF,
 * open flags O_RDWR | O_CLOEXEC).  Returns the dma-buf fd or a negative
 * errno.
 */
int p2pbuf_vfio_export(struct p2pbuf_vfio *v, uint32_t bar,
		       const struct p2pbuf_vfio_range *r, uint32_t n);

/*
 * Close the device, the group and the container, unbind vfio-pci, clear
 * driver_override and bind the old driver again (its module must still be
 * loaded).  Returns 0, or a negative errno when the old driver did not
 * take the device back.  Safe to call twice.
 */
int p2pbuf_vfio_release(struct p2pbuf_vfio *v);

#endif /* P2PBUF_VFIO_H */
