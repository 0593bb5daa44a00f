/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Upstream VFIO as a dma-buf exporter, for p2pbuf's tests and benchmark:
 * hand a PCI device to vfio-pci, open it through its group and export BAR
 * ranges with VFIO_DEVICE_FEATURE_DMA_BUF (Linux >= 7.0), then give the
 * device back to the driver it had.
 *
 * Where it works: with an IOMMU, the device's IOMMU group must be viable
 * (every device in it bound to vfio-pci, pci-stub or pcieport, or to no
 * driver; in the test bed: rootports-iommu, switch-iommu, switch-iommu-pt)
 * and is attached to a type1v2 container.  Without an IOMMU (no
 * iommu_group), on a kernel with CONFIG_VFIO_NOIOMMU (the proving kernel;
 * Debian's has it not set), VFIO's unsafe noiommu mode is turned on for
 * the time the device is held: vfio gives the device a group of its own,
 * /dev/vfio/noiommu-<N>, which takes only a VFIO_NOIOMMU_IOMMU container,
 * and taints the kernel (TAINT_USER, "Adding kernel taint for
 * vfio-noiommu ...").  The group interface, not iommufd's device cdev:
 * it is the one both kernels have (Debian's has no CONFIG_IOMMUFD).  See
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
 * @group_id: its IOMMU group (noiommu: the one vfio made for it)
 * @container: /dev/vfio/vfio, or -1
 * @group: /dev/vfio/<group_id> (noiommu: /dev/vfio/noiommu-<group_id>),
 *	or -1
 * @device: the device fd, or -1; dma-bufs exported from it are revoked
 *	when it is closed
 * @bound: the device was handed to vfio-pci (release must undo it)
 * @noiommu: the device has no IOMMU group of its own: it is held in
 *	VFIO's noiommu mode
 * @noiommu_set: acquire turned the noiommu mode on (release turns it off)
 */
struct p2pbuf_vfio {
	char bdf[32];
	char old_driver[64];
	int group_id;
	int container;
	int group;
	int device;
	int bound;
	int noiommu;
	int noiommu_set;
};

/* A BAR range, as VFIO's struct vfio_region_dma_range. */
struct p2pbuf_vfio_range {
	uint64_t offset;
	uint64_t length;
};

/*
 * Whether @bdf can be handed to vfio-pci here, changing nothing but the
 * modules loaded (vfio-pci, and vfio_iommu_type1 with an IOMMU).  Returns
 * 0, or a negative errno with the reason (for igt_skip) in @why: -ENODEV
 * no IOMMU group and no noiommu mode (CONFIG_VFIO_NOIOMMU not set), -EBUSY
 * a group shared with a device bound to another driver, -ENOENT vfio-pci
 * cannot be loaded.
 */
int p2pbuf_vfio_usable(const char *bdf, char *why, size_t why_size);

/*
 * Unbind @bdf from its driver, bind it to vfio-pci (driver_override) and
 * open it through its group with a type1v2 IOMMU container; without an
 * IOMMU group, turn the noiommu mode on first (if it was off) and open the
 * noiommu group with a noiommu container.  Returns 0, or a negative errno
 * with the reason in @why; on failure the device is given back and the
 * mode restored already.  Call p2pbuf_vfio_release() after success.
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
 * loaded), then turn the noiommu mode off if acquire turned it on (the
 * taint stays).  Returns 0, or a negative errno when the old driver did
 * not take the device back or the mode could not be restored.  Safe to
 * call twice.
 */
int p2pbuf_vfio_release(struct p2pbuf_vfio *v);

#endif /* P2PBUF_VFIO_H */
