// SPDX-License-Identifier: GPL-2.0
/*
 * The allocator of BAR space for objects (P2PBUF_EXP_IOCTL_ALLOC).
 *
 * A genalloc pool per exported BAR manages the CPU physical addresses from
 * the BAR's start plus the module parameter alloc_offset to its end, one
 * page per bitmap bit; the bytes below alloc_offset are left to exported
 * ranges (P2PBUF_EXP_IOCTL_EXPORT), which, like VFIO's, may name any part
 * of the BAR.  The pool lives as long as the device structure, so an
 * object released after the driver was unbound can still give its space
 * back; the BAR's kernel mapping lives only while the driver is bound.
 *
 * Space is cleared when allocated and filled with P2PBUF_EXP_FREE_POISON
 * when given back: no object sees another's bytes, and a test can tell
 * from the BAR's contents that nobody wrote to space after it was freed.
 * A BAR does not decode while the function is reset, so the space of a
 * buffer released during a reset stays allocated until reset_done()
 * poisons and frees it (p2pbuf_exp_bar_release()): writes to a BAR that
 * does not decode are lost, and on real hardware may raise errors.
 */
#include <linux/error-injection.h>
#include <linux/genalloc.h>
#include <linux/io.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include <uapi/linux/p2pbuf_exporter.h>

#include "p2pbuf_exporter.h"

static unsigned long alloc_offset;
module_param(alloc_offset, ulong, 0444);
MODULE_PARM_DESC(alloc_offset,
		 "Offset in each exported BAR where objects may be allocated, page aligned (default 0: the whole BAR)");

/**
 * p2pbuf_exp_bar_alloc_offset() - the alloc_offset module parameter
 *
 * Return: the lowest BAR offset an allocated object may have.
 */
u64 p2pbuf_exp_bar_alloc_offset(void)
{
	return alloc_offset;
}

/**
 * p2pbuf_exp_bar_alloc_init() - set up the allocator of one BAR
 * @dev: the device, being probed
 * @bar: BAR index; &p2pbuf_exp_dev.bars[@bar] is filled in
 *
 * A BAR no larger than alloc_offset, or an alloc_offset that is not page
 * aligned, gets no allocator (ALLOC on it fails with -ENOSPC).
 *
 * Return: 0 or a negative errno.
 */
int p2pbuf_exp_bar_alloc_init(struct p2pbuf_exp_dev *dev, int bar)
{
	struct p2pbuf_exp_bar *b = &dev->bars[bar];
	struct device *d = &dev->pdev->dev;
	int ret;

	if (!PAGE_ALIGNED(alloc_offset) || alloc_offset >= b->len) {
		dev_info(d, "BAR %d: no object allocator (alloc_offset %#lx)\n",
			 bar, alloc_offset);
		return 0;
	}

	b->io = devm_ioremap_wc(d, b->start, b->len);
	if (!b->io)
		return -ENOMEM;
	b->pool = gen_pool_create(PAGE_SHIFT, dev_to_node(d));
	if (!b->pool)
		return -ENOMEM;
	ret = gen_pool_add(b->pool, b->start + alloc_offset,
			   b->len - alloc_offset, dev_to_node(d));
	if (ret) {
		gen_pool_destroy(b->pool);
		b->pool = NULL;
	}
	return ret;
}

/**
 * p2pbuf_exp_bar_alloc_fini() - destroy the allocators of a device
 * @dev: the device, when its last reference goes: nothing is allocated
 */
void p2pbuf_exp_bar_alloc_fini(struct p2pbuf_exp_dev *dev)
{
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		if (dev->bars[i].pool)
			gen_pool_destroy(dev->bars[i].pool);
}

/**
 * p2pbuf_exp_bar_alloc() - allocate and clear BAR space
 * @bar: the BAR
 * @size: bytes, a multiple of the page size
 * @align: alignment of the BAR offset, a power of two >= the page size
 * @paddr: set to the CPU physical address of the space
 *
 * Context: the driver is bound (&bar->io is mapped): the caller holds
 * &p2pbuf_exp_dev.lock and saw @gone clear, or holds the reservation lock
 * of an object that is not evicted.
 * Return: 0, or -ENOSPC if no free stretch fits.
 */
int p2pbuf_exp_bar_alloc(struct p2pbuf_exp_bar *bar, u64 size, u64 align,
			 phys_addr_t *paddr)
{
	struct genpool_data_align data = { .align = align };
	unsigned long addr;

	if (!bar->pool)
		return -ENOSPC;
	addr = gen_pool_alloc_algo(bar->pool, size, gen_pool_first_fit_align,
				   &data);
	if (!addr)
		return -ENOSPC;
	memset_io(bar->io + (addr - bar->start), 0, size);
	*paddr = addr;
	return 0;
}
ALLOW_ERROR_INJECTION(p2pbuf_exp_bar_alloc, ERRNO);

/**
 * p2pbuf_exp_bar_free() - give BAR space back
 * @bar: the BAR
 * @paddr: as returned by p2pbuf_exp_bar_alloc()
 * @size: as passed to p2pbuf_exp_bar_alloc()
 * @poison: fill the space with %P2PBUF_EXP_FREE_POISON first; only while
 *	&bar->io is mapped
 */
void p2pbuf_exp_bar_free(struct p2pbuf_exp_bar *bar, phys_addr_t paddr,
			 u64 size, bool poison)
{
	if (poison)
		memset_io(bar->io + (paddr - bar->start), P2PBUF_EXP_FREE_POISON,
			  size);
	gen_pool_free(bar->pool, paddr, size);
}

/* BAR space whose poisoning waits for the end of a reset. */
struct p2pbuf_exp_deferred_free {
	struct list_head node;
	u32 bar;
	phys_addr_t paddr;
	u64 size;
};

/**
 * p2pbuf_exp_bar_release() - give back the BAR space of a released buffer
 * @dev: the device
 * @bar: the buffer's BAR
 * @paddr: as returned by p2pbuf_exp_bar_alloc()
 * @size: as passed to p2pbuf_exp_bar_alloc()
 *
 * Poisons and frees the space; during a reset, queues it for
 * p2pbuf_exp_bar_release_deferred() instead (it stays allocated until
 * then, so no new object gets it unpoisoned); after remove() unmapped the
 * BAR, frees it without poisoning.
 *
 * Context: @dev->lock held.
 */
void p2pbuf_exp_bar_release(struct p2pbuf_exp_dev *dev, u32 bar,
			    phys_addr_t paddr, u64 size)
{
	struct p2pbuf_exp_deferred_free *d;

	lockdep_assert_held(&dev->lock);
	if (dev->in_reset && !dev->io_gone) {
		/* A few bytes; a release cannot fail. */
		d = kmalloc_obj(*d, GFP_KERNEL | __GFP_NOFAIL);
		d->bar = bar;
		d->paddr = paddr;
		d->size = size;
		list_add_tail(&d->node, &dev->poison_later);
		dev->poison_pending++;
		return;
	}
	p2pbuf_exp_bar_free(&dev->bars[bar], paddr, size, !dev->io_gone);
}

/**
 * p2pbuf_exp_bar_release_deferred() - poison and free the BAR space that
 *	buffers released during a reset left allocated
 * @dev: the device, its BARs decoding and mapped
 *
 * Context: @dev->lock held.
 */
void p2pbuf_exp_bar_release_deferred(struct p2pbuf_exp_dev *dev)
{
	struct p2pbuf_exp_deferred_free *d, *tmp;

	lockdep_assert_held(&dev->lock);
	list_for_each_entry_safe(d, tmp, &dev->poison_later, node) {
		p2pbuf_exp_bar_free(&dev->bars[d->bar], d->paddr, d->size, true);
		list_del(&d->node);
		kfree(d);
	}
	dev->poison_pending = 0;
}
