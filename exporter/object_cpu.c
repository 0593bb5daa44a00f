// SPDX-License-Identifier: GPL-2.0
/*
 * CPU access to a migratable object: mmap of the dma-buf that keeps
 * working across moves, and begin_cpu_access.
 *
 * Pages are faulted in one at a time from the current placement, under
 * the reservation lock: the BAR write-combined, system memory cached.
 * Every move zaps all user mappings of the dma-buf's file first
 * (p2pbuf_exp_obj_zap_cpu()), so the next access faults again and finds
 * the new placement.  The VMA is VM_PFNMAP either way, as TTM maps both
 * kinds of memory.  Importers that forward mmap to the exporter
 * (dma_buf_mmap(), e.g. vgem and other GEM drivers) get the same VMA on
 * the dma-buf's file and are zapped the same way.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/mm.h>

#include <uapi/linux/p2pbuf_exporter.h>

#include "p2pbuf_exporter.h"

/* Context: mmap_lock held; takes the reservation lock. */
static vm_fault_t p2pbuf_exp_obj_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct p2pbuf_exp_buffer *buf = vma->vm_private_data;
	struct p2pbuf_exp_object *obj = buf->obj;
	struct dma_resv *resv = buf->dmabuf->resv;
	unsigned long pgoff = vmf->pgoff, pfn;
	pgprot_t prot;
	vm_fault_t ret;

	if (pgoff >= buf->size >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;

	dma_resv_lock(resv, NULL);
	if (obj->placement == P2PBUF_EXP_PLACEMENT_BAR) {
		pfn = PHYS_PFN(buf->vec[0].paddr) + pgoff;
		prot = pgprot_writecombine(vma->vm_page_prot);
	} else {
		pfn = page_to_pfn(obj->pages->pages[pgoff]);
		prot = vma->vm_page_prot;
	}
	ret = vmf_insert_pfn_prot(vma, vmf->address, pfn, prot);
	dma_resv_unlock(resv);
	return ret;
}

static const struct vm_operations_struct p2pbuf_exp_obj_vm_ops = {
	.fault = p2pbuf_exp_obj_fault,
};

/**
 * p2pbuf_exp_obj_mmap() - &dma_buf_ops.mmap of a migratable object
 * @dmabuf: the object's dma-buf
 * @vma: the new mapping; the dma-buf core checked that it lies within the
 *	object
 *
 * Return: 0, or -EINVAL for a private mapping (a copy-on-write of device
 * memory cannot be had).
 */
int p2pbuf_exp_obj_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	/* Not VM_SHARED alone: a read-only file's shared mapping lacks it. */
	if (vma_is_cow_mapping(vma))
		return -EINVAL;
	vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &p2pbuf_exp_obj_vm_ops;
	vma->vm_private_data = dmabuf->priv;
	return 0;
}

/**
 * p2pbuf_exp_obj_begin_cpu_access() - &dma_buf_ops.begin_cpu_access of a
 *	migratable object
 * @dmabuf: the object's dma-buf
 * @dir: DMA_FROM_DEVICE, DMA_TO_DEVICE or DMA_BIDIRECTIONAL
 *
 * Waits for the DMA the CPU access must not overlap: for reading, the
 * importers' writes; for writing, every access.  Both placements are
 * coherent for the CPU on the platforms p2pbuf supports (x86: the BAR is
 * write-combined, the pages are cached), so there is no cache maintenance
 * and end_cpu_access is not needed.
 *
 * Return: 0, or -ERESTARTSYS if interrupted.
 */
int p2pbuf_exp_obj_begin_cpu_access(struct dma_buf *dmabuf,
				    enum dma_data_direction dir)
{
	long ret;

	ret = dma_resv_wait_timeout(dmabuf->resv,
				    dma_resv_usage_rw(dir != DMA_FROM_DEVICE),
				    true, MAX_SCHEDULE_TIMEOUT);
	return ret < 0 ? ret : 0;
}

/**
 * p2pbuf_exp_obj_zap_cpu() - remove every user mapping of an object's pages
 * @buf: a migratable object, about to move
 *
 * Context: the reservation lock held (faults wait for the move).
 */
void p2pbuf_exp_obj_zap_cpu(struct p2pbuf_exp_buffer *buf)
{
	dma_resv_assert_held(buf->dmabuf->resv);

	unmap_mapping_range(buf->dmabuf->file->f_mapping, 0, 0, 1);
}
