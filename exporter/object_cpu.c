// SPDX-License-Identifier: GPL-2.0
/*
 * CPU access to a migratable object: mmap of the dma-buf that keeps
 * working across moves.
 *
 * Pages are faulted in one at a time from the current placement, under
 * the reservation lock: the BAR write-combined, system memory cached.
 * Every move zaps all user mappings of the dma-buf's file first
 * (p2pbuf_exp_obj_zap_cpu()), so the next access faults again and finds
 * the new placement.  The VMA is VM_PFNMAP either way, as TTM maps both
 * kinds of memory.  Importers that forward mmap to the exporter
 * (dma_buf_mmap(), e.g. vgem and other GEM drivers) get the same VMA on
 * the dma-buf's file and are zapped the same way.
 *
 * There is no begin/end_cpu_access: dma_buf_begin_cpu_access() itself
 * waits for the fences the access must not overlap, and both placements
 * are coherent for the CPU on x86 (the BAR is write-combined, the pages
 * are cached and x86 DMA snoops the caches), so there is no cache
 * maintenance to do.  Kconfig limits the exporter to x86 for that reason:
 * elsewhere every CPU access would need dma_sync_sgtable_for_cpu() and
 * _for_device() on each importer's system mapping, which nothing here
 * could test.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/mm.h>

#include <uapi/linux/p2pbuf_exporter.h>

#include "p2pbuf_exporter.h"

#if !defined(CONFIG_X86) && !defined(CONFIG_COMPILE_TEST)
#error "p2pbuf_exporter assumes x86's DMA coherence for CPU access (see above)"
#endif

/*
 * A move holds the reservation lock for as long as it copies the object
 * (megabytes through a BAR).  A fault must not wait for it with mmap_lock
 * held, which would stall every other fault and mmap of the process: as
 * TTM does (ttm_bo_vm_reserve()), try the lock, and if it is busy drop the
 * fault lock, wait for the reservation unlocked and have the fault
 * retried.  The file reference keeps the buffer alive once the fault lock,
 * and with it the VMA's hold, is dropped.
 */
static vm_fault_t p2pbuf_exp_obj_fault_lock(struct vm_fault *vmf,
					    struct p2pbuf_exp_buffer *buf)
{
	struct dma_resv *resv = buf->dmabuf->resv;
	struct file *file = buf->dmabuf->file;

	if (dma_resv_trylock(resv))
		return 0;
	if (fault_flag_allow_retry_first(vmf->flags)) {
		if (!(vmf->flags & FAULT_FLAG_RETRY_NOWAIT)) {
			get_file(file);
			release_fault_lock(vmf);
			if (!dma_resv_lock_interruptible(resv, NULL))
				dma_resv_unlock(resv);
			fput(file);
		}
		return VM_FAULT_RETRY;
	}
	/* Not the first try: wait, but let a signal end the fault. */
	if (dma_resv_lock_interruptible(resv, NULL))
		return VM_FAULT_NOPAGE;
	return 0;
}

/*
 * Context: mmap_lock (or the VMA's lock) held; takes the reservation lock,
 * or drops the fault lock and returns VM_FAULT_RETRY.
 */
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

	ret = p2pbuf_exp_obj_fault_lock(vmf, buf);
	if (ret)
		return ret;
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
