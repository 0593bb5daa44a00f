// SPDX-License-Identifier: GPL-2.0
/*
 * Objects allocated from a BAR (P2PBUF_EXP_IOCTL_ALLOC), and the dma-buf
 * operations of migratable ones.
 *
 * An object without P2PBUF_EXP_ALLOC_MIGRATABLE is a fixed buffer of one
 * range of allocated BAR space: the operations and rules of exported
 * ranges (dmabuf.c), the space given back at release.
 *
 * A migratable object lives in the BAR until an importer needs it
 * elsewhere.  At attach, p2pbuf_attach_place() decides per importer: one
 * that does P2P, can be revoked and reaches the BAR gets the BAR; any other
 * (a static importer, one without allow_peer2peer, one the PCI core finds
 * no P2P route for) makes the object move to system memory (migrate.c) and
 * keeps it there until it detaches.  Everyone attached maps whatever the
 * current placement is (object_map.c); every move invalidates every
 * mapping first, so no importer ever uses a stale or mixed placement.  The
 * object can be mmapped across moves (object_cpu.c).
 * Documentation/migration.rst has the rules and the policy table.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/log2.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <uapi/linux/p2pbuf_exporter.h>

#include "p2pbuf_exporter.h"

/*
 * &dma_buf_ops.attach: the placement policy, and the move to system memory
 * for an attachment that needs it.  Context: the reservation lock not held
 * (the dma-buf core calls attach unlocked); takes it.
 */
static int p2pbuf_exp_obj_attach(struct dma_buf *dmabuf,
				 struct dma_buf_attachment *attach)
{
	struct p2pbuf_exp_buffer *buf = dmabuf->priv;
	struct p2pbuf_exp_object *obj = buf->obj;
	struct p2pbuf_exp_attach *ea;
	int ret = 0;

	ea = kzalloc_obj(*ea);
	if (!ea)
		return -ENOMEM;
	ea->outcome = p2pbuf_attach_place(buf->dev->pdev, attach, true,
					  &ea->decision);

	dma_resv_lock(dmabuf->resv, NULL);
	/*
	 * The route of BAR mappings.  Once the device is gone its p2pdma
	 * provider went with it (devres): the object lives in system memory
	 * for good and has no BAR route to ask for.
	 */
	if (obj->evicted & P2PBUF_EXP_REVOKED_GONE)
		ea->path = P2PBUF_PATH_NONE;
	else
		ea->path = p2pbuf_exp_route(attach, buf, NULL);
	if (ea->outcome == P2PBUF_OUTCOME_SYSTEM) {
		ret = p2pbuf_exp_obj_to_system(buf, GFP_KERNEL_ACCOUNT);
		if (ret)
			goto out_unlock;
		obj->sys_users++;
	}
	obj->attachments++;
	atomic_inc(&buf->dev->live_attachments);
	attach->priv = ea;
out_unlock:
	dma_resv_unlock(dmabuf->resv);
	if (ret) {
		dev_dbg(&buf->dev->pdev->dev,
			"object %llu: cannot move to system memory for %s: %d\n",
			buf->id, dev_name(attach->dev), ret);
		kfree(ea);
	}
	return ret;
}

/* &dma_buf_ops.detach.  Context: the reservation lock not held; takes it. */
static void p2pbuf_exp_obj_detach(struct dma_buf *dmabuf,
				  struct dma_buf_attachment *attach)
{
	struct p2pbuf_exp_buffer *buf = dmabuf->priv;
	struct p2pbuf_exp_object *obj = buf->obj;
	struct p2pbuf_exp_attach *ea = attach->priv;

	dma_resv_lock(dmabuf->resv, NULL);
	obj->attachments--;
	atomic_dec(&buf->dev->live_attachments);
	if (ea->outcome == P2PBUF_OUTCOME_SYSTEM) {
		obj->sys_users--;
		p2pbuf_exp_obj_try_bar(buf);
	}
	dma_resv_unlock(dmabuf->resv);
	kfree(ea);
}

/*
 * A pinned object must stay where it is until unpinned, and the BAR can
 * be taken away by a reset or an unbind: pinning moves the object to
 * system memory.  Context (pin and unpin): the reservation lock held.
 */
static int p2pbuf_exp_obj_pin(struct dma_buf_attachment *attach)
{
	struct p2pbuf_exp_buffer *buf = attach->dmabuf->priv;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);

	ret = p2pbuf_exp_obj_to_system(buf, GFP_KERNEL_ACCOUNT);
	if (!ret)
		buf->obj->pins++;
	return ret;
}

static void p2pbuf_exp_obj_unpin(struct dma_buf_attachment *attach)
{
	struct p2pbuf_exp_buffer *buf = attach->dmabuf->priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	buf->obj->pins--;
	p2pbuf_exp_obj_try_bar(buf);
}

const struct dma_buf_ops p2pbuf_exp_obj_dmabuf_ops = {
	.attach = p2pbuf_exp_obj_attach,
	.detach = p2pbuf_exp_obj_detach,
	.pin = p2pbuf_exp_obj_pin,
	.unpin = p2pbuf_exp_obj_unpin,
	.map_dma_buf = p2pbuf_exp_obj_map,
	.unmap_dma_buf = p2pbuf_exp_obj_unmap,
	.mmap = p2pbuf_exp_obj_mmap,
	.release = p2pbuf_exp_release,
};

/**
 * p2pbuf_exp_object_alloc() - allocate an object from a BAR, as a dma-buf
 * @dev: the device
 * @bar: index of an exportable BAR
 * @size: bytes, validated: a non-zero multiple of the page size, at most
 *	the BAR's size
 * @align: alignment of the BAR offset, validated: a power of two, at
 *	least the page size
 * @migratable: the object may move to system memory
 * @open_flags: flags of the dma-buf's file, validated
 * @offset: set to the BAR offset the object was allocated at
 *
 * The space is allocated, cleared and exported under @dev->lock, so that
 * remove() never unmaps the BAR under a new object and no object is put
 * into a BAR that is being reset.
 *
 * Return: the buffer, without a file descriptor yet (as
 * p2pbuf_exp_buffer_publish()); ERR_PTR(-ENOSPC) if the BAR has no room,
 * -EBUSY during a reset, -ENODEV if @dev was unbound, -ENOMEM.
 */
struct p2pbuf_exp_buffer *p2pbuf_exp_object_alloc(struct p2pbuf_exp_dev *dev,
						  u32 bar, u64 size, u64 align,
						  bool migratable,
						  u32 open_flags, u64 *offset)
{
	struct p2pbuf_exp_buffer *buf, *ret;
	struct p2pbuf_exp_object *obj = NULL;
	phys_addr_t paddr;
	int err;

	buf = kzalloc_obj(*buf);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->vec = kvcalloc(1, sizeof(*buf->vec), GFP_KERNEL);
	if (!buf->vec) {
		ret = ERR_PTR(-ENOMEM);
		goto err_free;
	}
	if (migratable) {
		obj = kzalloc_obj(*obj);
		if (!obj) {
			ret = ERR_PTR(-ENOMEM);
			goto err_free;
		}
		obj->placement = P2PBUF_EXP_PLACEMENT_BAR;
		obj->align = align;
		obj->has_region = true;
		init_waitqueue_head(&obj->drained);
		INIT_LIST_HEAD(&obj->sys_maps);
	}
	buf->obj = obj;
	buf->owns_region = !migratable;
	buf->kind = migratable ? P2PBUF_EXP_KIND_MIGRATABLE :
				 P2PBUF_EXP_KIND_OBJECT;
	buf->nr_ranges = 1;
	buf->bar = bar;
	buf->size = size;

	mutex_lock(&dev->lock);
	if (dev->gone) {
		ret = ERR_PTR(-ENODEV);
		goto err_unlock;
	}
	/* The BAR does not decode during a reset: nothing can go in. */
	if (dev->in_reset) {
		ret = ERR_PTR(-EBUSY);
		goto err_unlock;
	}
	err = p2pbuf_exp_bar_alloc(&dev->bars[bar], size, align, &paddr);
	if (err) {
		ret = ERR_PTR(err);
		goto err_unlock;
	}
	buf->vec[0].paddr = paddr;
	buf->vec[0].len = size;
	ret = p2pbuf_exp_buffer_publish(dev, buf, open_flags);
	if (IS_ERR(ret)) {
		p2pbuf_exp_bar_free(&dev->bars[bar], paddr, size, true);
		goto err_unlock;
	}
	/* Once unlocked, a reset may move the object: report it as made. */
	*offset = paddr - dev->bars[bar].start;
	mutex_unlock(&dev->lock);
	return ret;

err_unlock:
	mutex_unlock(&dev->lock);
err_free:
	kfree(obj);
	kvfree(buf->vec);
	kfree(buf);
	return ret;
}

/**
 * p2pbuf_exp_object_info() - fill the answer of %P2PBUF_EXP_IOCTL_INFO
 * @buf: a buffer of the device
 * @info: the answer; @flags and @fd are left alone
 *
 * Context: takes the buffer's reservation lock.
 */
void p2pbuf_exp_object_info(struct p2pbuf_exp_buffer *buf,
			    struct p2pbuf_exp_info *info)
{
	struct p2pbuf_exp_object *obj = buf->obj;
	const struct p2pbuf_exp_bar *bar = &buf->dev->bars[buf->bar];
	struct dma_buf_attachment *attach;

	info->kind = buf->kind;
	info->size = buf->size;
	info->bar = buf->bar;
	memset(info->reserved, 0, sizeof(info->reserved));

	dma_resv_lock(buf->dmabuf->resv, NULL);
	if (obj) {
		info->placement = obj->placement;
		info->bar_offset = obj->placement == P2PBUF_EXP_PLACEMENT_BAR ?
				   buf->vec[0].paddr - bar->start :
				   P2PBUF_EXP_NO_OFFSET;
		info->migrations = obj->migrations;
		info->attachments = obj->attachments;
		info->system_attachments = obj->sys_users;
		info->pins = obj->pins;
		info->revoked = obj->evicted;
	} else {
		info->placement = P2PBUF_EXP_PLACEMENT_BAR;
		info->bar_offset = buf->vec[0].paddr - bar->start;
		info->migrations = 0;
		info->attachments = 0;
		list_for_each_entry(attach, &buf->dmabuf->attachments, node)
			info->attachments++;
		info->system_attachments = 0;
		info->pins = 0;
		info->revoked = p2pbuf_revoke_state(&buf->revoke);
	}
	dma_resv_unlock(buf->dmabuf->resv);
}
