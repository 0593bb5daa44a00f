// SPDX-License-Identifier: GPL-2.0
/*
 * The dma-bufs: creation, the dma_buf_ops, and revoking all of a
 * device's buffers.
 *
 * Only peer-to-peer, revocable importers that reach the BAR may attach
 * (the attach policy in helpers/attach_policy.c).  Maps are made with
 * dma_buf_phys_vec_to_sgt() (map.c) under the reservation lock and
 * refused with -ENODEV while the buffer is revoked (helpers/revoke.c).
 * Fixed buffers (exported ranges and objects allocated without
 * P2PBUF_EXP_ALLOC_MIGRATABLE) have no CPU access: no mmap, no vmap, and
 * begin/end_cpu_access are not provided.  Migratable objects have dma-buf
 * operations of their own (object.c).
 */
#include <linux/dma-buf.h>
#include <linux/dma-buf-mapping.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <uapi/linux/p2pbuf_exporter.h>

#include "p2pbuf_exporter.h"

static int p2pbuf_exp_attach(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach)
{
	struct p2pbuf_exp_buffer *buf = dmabuf->priv;
	struct p2pbuf_attach_decision decision;
	struct p2pbuf_exp_attach *ea;
	int ret;

	/* A buffer of an unbound device can never be mapped again. */
	if (p2pbuf_revoke_state(&buf->revoke) & P2PBUF_EXP_REVOKED_GONE)
		return -ENODEV;

	ret = p2pbuf_attach_decide(buf->dev->pdev, attach, &decision);
	if (ret) {
		dma_resv_lock(dmabuf->resv, NULL);
		buf->rejected++;
		buf->last_reject = decision.verdict;
		strscpy(buf->last_reject_dev, dev_name(attach->dev));
		dma_resv_unlock(dmabuf->resv);
		dev_dbg(&buf->dev->pdev->dev, "buffer %llu: %s refused: %s\n",
			buf->id, dev_name(attach->dev),
			p2pbuf_attach_verdict_name(decision.verdict));
		return ret;
	}

	ea = kzalloc_obj(*ea);
	if (!ea)
		return -ENOMEM;
	ea->decision = decision;
	/*
	 * The route query reads the BAR's p2pdma provider, which devres frees
	 * after unbind.  Unbind marks the buffer gone under the reservation
	 * lock (p2pbuf_exp_revoke_all()) before its remove returns: holding
	 * the lock, a buffer not marked gone still has its provider.  The
	 * unlocked check above only spares the allocation.
	 */
	dma_resv_lock(dmabuf->resv, NULL);
	if (p2pbuf_revoke_state(&buf->revoke) & P2PBUF_EXP_REVOKED_GONE) {
		dma_resv_unlock(dmabuf->resv);
		kfree(ea);
		return -ENODEV;
	}
	ea->path = p2pbuf_exp_route(attach, buf, NULL);
	dma_resv_unlock(dmabuf->resv);
	attach->priv = ea;
	atomic_inc(&buf->dev->live_attachments);
	return 0;
}

static void p2pbuf_exp_detach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	struct p2pbuf_exp_buffer *buf = dmabuf->priv;

	atomic_dec(&buf->dev->live_attachments);
	kfree(attach->priv);
}

static struct sg_table *p2pbuf_exp_map(struct dma_buf_attachment *attach,
				       enum dma_data_direction dir)
{
	struct p2pbuf_exp_buffer *buf = attach->dmabuf->priv;
	struct p2pbuf_exp_attach *ea = attach->priv;
	struct sg_table *sgt;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);

	ret = p2pbuf_revoke_map_get(&buf->revoke);
	if (ret) {
		ea->map_err = ret;
		return ERR_PTR(ret);
	}

	sgt = p2pbuf_exp_map_buffer(attach, buf, dir);
	if (IS_ERR(sgt)) {
		ea->map_err = PTR_ERR(sgt);
		p2pbuf_revoke_map_put(&buf->revoke);
		return sgt;
	}

	ea->map_err = 0;
	ea->mapped++;
	ea->maps++;
	atomic_inc(&buf->dev->live_maps);
	ea->path = p2pbuf_exp_route(attach, buf, sgt);
	return sgt;
}

static void p2pbuf_exp_unmap(struct dma_buf_attachment *attach,
			     struct sg_table *sgt, enum dma_data_direction dir)
{
	struct p2pbuf_exp_buffer *buf = attach->dmabuf->priv;
	struct p2pbuf_exp_attach *ea = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	p2pbuf_exp_unmap_buffer(attach, buf, sgt, dir);
	ea->mapped--;
	atomic_dec(&buf->dev->live_maps);
	p2pbuf_revoke_map_put(&buf->revoke);
}

/**
 * p2pbuf_exp_release() - &dma_buf_ops.release of every p2pbuf dma-buf:
 *	free the buffer
 * @dmabuf: the dma-buf; nobody is attached and no mapping is left
 *
 * Gives allocated BAR space back (filled with %P2PBUF_EXP_FREE_POISON while
 * the BAR is still mapped; at the end of a reset if one is in progress) and
 * drops the buffer's device reference.
 */
void p2pbuf_exp_release(struct dma_buf *dmabuf)
{
	struct p2pbuf_exp_buffer *buf = dmabuf->priv;
	struct p2pbuf_exp_dev *dev = buf->dev;
	struct p2pbuf_exp_object *obj = buf->obj;
	bool region = buf->owns_region || (obj && obj->has_region);

	mutex_lock(&dev->lock);
	list_del(&buf->node);
	if (region)
		p2pbuf_exp_bar_release(dev, buf->bar, buf->vec[0].paddr,
				       buf->size);
	mutex_unlock(&dev->lock);

	if (obj) {
		if (obj->pages)
			p2pbuf_exp_pages_put(obj->pages);
		kfree(obj);
	}
	p2pbuf_revoke_fini(&buf->revoke);
	kvfree(buf->vec);
	kfree(buf);
	p2pbuf_exp_dev_put(dev);
}

static const struct dma_buf_ops p2pbuf_exp_dmabuf_ops = {
	.attach = p2pbuf_exp_attach,
	.detach = p2pbuf_exp_detach,
	.map_dma_buf = p2pbuf_exp_map,
	.unmap_dma_buf = p2pbuf_exp_unmap,
	.release = p2pbuf_exp_release,
};

/**
 * p2pbuf_exp_buffer_publish() - make a prepared buffer a dma-buf
 * @dev: the device
 * @buf: the buffer, its memory described (@vec, @nr_ranges, @bar, @size,
 *	@kind, @obj, @owns_region); freed by the dma-buf's release from here
 *	on if this succeeds, still the caller's if it fails
 * @open_flags: flags of the dma-buf's file
 *
 * The new buffer is on @dev's list, revoked if @dev is being reset, and
 * has no file descriptor yet: the caller installs one, or drops the
 * buffer with dma_buf_put().
 *
 * Context: @dev->lock held.
 * Return: @buf; ERR_PTR(-ENODEV) if @dev was unbound, another ERR_PTR()
 * if dma_buf_export() failed.
 */
struct p2pbuf_exp_buffer *p2pbuf_exp_buffer_publish(struct p2pbuf_exp_dev *dev,
						    struct p2pbuf_exp_buffer *buf,
						    u32 open_flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dma_buf *dmabuf;

	lockdep_assert_held(&dev->lock);
	if (dev->gone)
		return ERR_PTR(-ENODEV);

	INIT_LIST_HEAD(&buf->walk);
	buf->provider = dev->bars[buf->bar].provider;
	exp_info.ops = buf->kind == P2PBUF_EXP_KIND_MIGRATABLE ?
		       &p2pbuf_exp_obj_dmabuf_ops : &p2pbuf_exp_dmabuf_ops;
	exp_info.size = buf->size;
	exp_info.flags = open_flags;
	exp_info.priv = buf;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf))
		return ERR_CAST(dmabuf);

	/* From here on dma_buf_put() frees @buf through the release op. */
	buf->dmabuf = dmabuf;
	buf->id = ++dev->next_id;
	p2pbuf_revoke_init(&buf->revoke, dmabuf,
			   dev->in_reset && !buf->obj ?
			   P2PBUF_EXP_REVOKED_RESET : 0);
	kref_get(&dev->kref);
	buf->dev = dev;
	list_add_tail(&buf->node, &dev->buffers);
	return buf;
}

/**
 * p2pbuf_exp_buffer_create() - export ranges of a BAR as a dma-buf
 * @dev: the device
 * @bar: BAR index; the BAR is exportable
 * @vec: the physical ranges, validated; owned by the buffer on success
 * @nr_ranges: number of entries in @vec
 * @size: sum of the lengths in @vec
 * @open_flags: flags of the dma-buf's file
 *
 * As p2pbuf_exp_buffer_publish(), for a buffer of %P2PBUF_EXP_KIND_RANGES.
 *
 * Return: the buffer; ERR_PTR(-ENODEV) if @dev was unbound, another
 * ERR_PTR() if dma_buf_export() failed.
 */
struct p2pbuf_exp_buffer *p2pbuf_exp_buffer_create(struct p2pbuf_exp_dev *dev,
						   u32 bar, struct phys_vec *vec,
						   u32 nr_ranges, size_t size,
						   u32 open_flags)
{
	struct p2pbuf_exp_buffer *buf, *ret;

	buf = kzalloc_obj(*buf);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->vec = vec;
	buf->nr_ranges = nr_ranges;
	buf->bar = bar;
	buf->size = size;
	buf->kind = P2PBUF_EXP_KIND_RANGES;

	mutex_lock(&dev->lock);
	ret = p2pbuf_exp_buffer_publish(dev, buf, open_flags);
	mutex_unlock(&dev->lock);
	if (IS_ERR(ret))
		kfree(buf);
	return ret;
}

/**
 * p2pbuf_exp_dmabuf_is_ours() - was a dma-buf exported by this driver?
 * @dmabuf: any dma-buf
 *
 * Return: true for a buffer of any device of this driver (its &dma_buf.priv
 * is then a &struct p2pbuf_exp_buffer).
 */
bool p2pbuf_exp_dmabuf_is_ours(struct dma_buf *dmabuf)
{
	return dmabuf->ops == &p2pbuf_exp_dmabuf_ops ||
	       dmabuf->ops == &p2pbuf_exp_obj_dmabuf_ops;
}

/**
 * p2pbuf_exp_buffer_of() - the buffer behind a dma-buf of a device
 * @dmabuf: any dma-buf
 * @dev: the device
 *
 * Return: the buffer, or NULL if @dmabuf was not exported from @dev.
 */
struct p2pbuf_exp_buffer *p2pbuf_exp_buffer_of(struct dma_buf *dmabuf,
					       struct p2pbuf_exp_dev *dev)
{
	struct p2pbuf_exp_buffer *buf;

	if (!p2pbuf_exp_dmabuf_is_ours(dmabuf))
		return NULL;
	buf = dmabuf->priv;
	return buf->dev == dev ? buf : NULL;
}

/*
 * Call @fn on every live buffer of @dev without holding @dev->lock, which
 * a release (an importer dropping its last reference, maybe while it
 * handles an invalidation) needs.  Each buffer is pinned by a file
 * reference while @fn runs; buffers whose file is already going away have
 * no importer left and are skipped.
 */
static void p2pbuf_exp_walk(struct p2pbuf_exp_dev *dev,
			    void (*fn)(struct p2pbuf_exp_buffer *, unsigned int),
			    unsigned int reason)
{
	struct p2pbuf_exp_buffer *buf, *tmp;
	LIST_HEAD(batch);

	mutex_lock(&dev->walk_lock);
	mutex_lock(&dev->lock);
	list_for_each_entry(buf, &dev->buffers, node)
		if (get_file_active(&buf->dmabuf->file))
			list_add_tail(&buf->walk, &batch);
	mutex_unlock(&dev->lock);

	list_for_each_entry_safe(buf, tmp, &batch, walk) {
		list_del_init(&buf->walk);
		WRITE_ONCE(dev->walk_ino, file_inode(buf->dmabuf->file)->i_ino);
		fn(buf, reason);
		/* Set to the next buffer only once this reference is gone. */
		fput(buf->dmabuf->file);
	}
	WRITE_ONCE(dev->walk_ino, 0);
	mutex_unlock(&dev->walk_lock);
}

/* Fixed buffers are revoked; migratable objects move out of the BAR. */
static void p2pbuf_exp_take_back(struct p2pbuf_exp_buffer *buf,
				 unsigned int reason)
{
	if (buf->obj)
		p2pbuf_exp_obj_evict(buf, reason, false);
	else
		p2pbuf_revoke_set(&buf->revoke, reason);
}

static void p2pbuf_exp_give_back(struct p2pbuf_exp_buffer *buf,
				 unsigned int reason)
{
	if (buf->obj)
		p2pbuf_exp_obj_restore(buf, reason);
	else
		p2pbuf_revoke_clear(&buf->revoke, reason);
}

/**
 * p2pbuf_exp_revoke_all() - take a device's memory back from importers
 * @dev: the device
 * @reason: a P2PBUF_EXP_REVOKED_* bit
 *
 * Fixed buffers are revoked; migratable objects are moved to system
 * memory and kept there until @reason is withdrawn.  Returns when no
 * importer holds a mapping of the device's memory through any buffer of
 * @dev that existed when it was called.  Buffers exported later must be
 * born revoked (@dev->in_reset) or be refused (@dev->gone).
 */
void p2pbuf_exp_revoke_all(struct p2pbuf_exp_dev *dev, unsigned int reason)
{
	p2pbuf_exp_walk(dev, p2pbuf_exp_take_back, reason);
}

/**
 * p2pbuf_exp_restore_all() - withdraw a revoke reason from every buffer
 * @dev: the device
 * @reason: a P2PBUF_EXP_REVOKED_* bit
 */
void p2pbuf_exp_restore_all(struct p2pbuf_exp_dev *dev, unsigned int reason)
{
	p2pbuf_exp_walk(dev, p2pbuf_exp_give_back, reason);
}
