/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pbuf_exporter internals: the bound device, its exported buffers and
 * their attachments.
 *
 * Lifetimes: a struct p2pbuf_exp_dev lives as long as the binding, each
 * open file of its character device and each of its buffers (a kref).
 * The p2pdma providers and the BARs' claim live only as long as the
 * binding: remove() revokes every buffer for good (waiting until no
 * mapping is left) before it returns.  A buffer lives as long as its
 * dma-buf.
 *
 * Lock order: p2pbuf_exp_dev.walk_lock -> p2pbuf_exp_dev.lock ->
 * p2pbuf_revoke.lock -> the dma-buf's reservation lock.  No lock is held
 * across a revoke's wait except walk_lock and the buffer's
 * p2pbuf_revoke.lock.
 */
#ifndef _P2PBUF_EXPORTER_H
#define _P2PBUF_EXPORTER_H

#include <linux/dma-direction.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/types.h>

#include <p2pbuf/attach_policy.h>
#include <p2pbuf/p2p_path.h>
#include <p2pbuf/revoke.h>

struct dentry;
struct dma_buf;
struct dma_buf_attachment;
struct p2pdma_provider;
struct phys_vec;
struct p2pbuf_exp_range;
struct sg_table;

/**
 * struct p2pbuf_exp_bar - a BAR as the exporter sees it
 * @provider: p2pdma provider of the BAR; NULL if the BAR is not exported.
 *	Valid while the driver is bound.
 * @start: CPU physical address of the BAR
 * @len: size of the BAR in bytes; 0 if it is not exported
 *
 * Written in probe() before the device is published, read-only after.
 */
struct p2pbuf_exp_bar {
	struct p2pdma_provider *provider;
	phys_addr_t start;
	resource_size_t len;
};

/**
 * struct p2pbuf_exp_dev - one bound PCI function
 * @kref: held by the binding, by every open file of @misc and by every
 *	buffer
 * @pdev: the PCI function (a reference is held)
 * @misc: the character device /dev/p2pbuf-exp-<pci name>
 * @name: @misc's name
 * @debugfs: the device's debugfs directory
 * @bars: the BARs, indexed by BAR number; read-only after probe()
 * @walk_lock: serializes walks over all buffers (p2pbuf_exp_revoke_all(),
 *	p2pbuf_exp_restore_all()); protects every buffer's @walk node
 * @lock: protects @buffers, @gone, @in_reset, @resets and @next_id
 * @buffers: the buffers exported from this device and not yet released
 * @gone: set by remove(): no more exports, every ioctl fails with -ENODEV
 * @in_reset: between reset_prepare() and reset_done(): new buffers are
 *	born revoked for %P2PBUF_EXP_REVOKED_RESET
 * @resets: number of completed resets, for debugfs
 * @next_id: number of the next buffer, for debugfs
 */
struct p2pbuf_exp_dev {
	struct kref kref;
	struct pci_dev *pdev;
	struct miscdevice misc;
	char name[32];
	struct dentry *debugfs;
	struct p2pbuf_exp_bar bars[PCI_STD_NUM_BARS];

	struct mutex walk_lock;	/* see above: walks, buffers' @walk */

	struct mutex lock;	/* see above: the fields below */
	struct list_head buffers;
	bool gone;
	bool in_reset;
	unsigned int resets;
	u64 next_id;
};

/**
 * struct p2pbuf_exp_buffer - an exported dma-buf (its &dma_buf.priv)
 * @dev: the device it was exported from (a reference is held)
 * @dmabuf: the dma-buf
 * @provider: p2pdma provider of @bar; only used while the buffer is not
 *	revoked, so never after remove()
 * @vec: the physical ranges, in buffer order; immutable
 * @nr_ranges: number of entries in @vec
 * @bar: BAR index
 * @size: size of the buffer, the sum of the range lengths
 * @id: number of the buffer within @dev, for debugfs
 * @revoke: revoke state (see &struct p2pbuf_revoke for its locking)
 * @node: entry in &p2pbuf_exp_dev.buffers, under &p2pbuf_exp_dev.lock
 * @walk: entry in a walk's private list, under &p2pbuf_exp_dev.walk_lock
 * @rejected: number of attachments the attach policy refused; under the
 *	dma-buf's reservation lock, like @last_reject and @last_reject_dev
 * @last_reject: the verdict of the latest refused attachment
 * @last_reject_dev: the device name of the latest refused importer
 */
struct p2pbuf_exp_buffer {
	struct p2pbuf_exp_dev *dev;
	struct dma_buf *dmabuf;
	struct p2pdma_provider *provider;
	struct phys_vec *vec;
	u32 nr_ranges;
	u32 bar;
	size_t size;
	u64 id;
	struct p2pbuf_revoke revoke;
	struct list_head node;
	struct list_head walk;

	unsigned long rejected;
	enum p2pbuf_attach_verdict last_reject;
	char last_reject_dev[32];
};

/**
 * struct p2pbuf_exp_attach - what the exporter records per attachment
 *	(its &dma_buf_attachment.priv)
 * @decision: the attach policy's decision; immutable
 * @mapped: number of live mappings of the attachment; under the dma-buf's
 *	reservation lock, like @maps, @map_err and @path
 * @maps: number of successful maps so far
 * @map_err: error of the latest map attempt, 0 if it succeeded
 * @path: the route the latest mapping took
 */
struct p2pbuf_exp_attach {
	struct p2pbuf_attach_decision decision;
	unsigned int mapped;
	unsigned long maps;
	int map_err;
	enum p2pbuf_path path;
};

/* main.c */
void p2pbuf_exp_dev_put(struct p2pbuf_exp_dev *dev);

/* ranges.c */
int p2pbuf_exp_ranges_to_vec(struct p2pbuf_exp_range *ranges, u32 nr_ranges,
			     const struct p2pbuf_exp_bar *bar,
			     struct phys_vec *vec, size_t *size);

/* map.c */
struct sg_table *p2pbuf_exp_map_buffer(struct dma_buf_attachment *attach,
				       struct p2pbuf_exp_buffer *buf,
				       enum dma_data_direction dir);
void p2pbuf_exp_unmap_buffer(struct dma_buf_attachment *attach,
			     struct p2pbuf_exp_buffer *buf,
			     struct sg_table *sgt, enum dma_data_direction dir);

/* dmabuf.c */
struct p2pbuf_exp_buffer *p2pbuf_exp_buffer_create(struct p2pbuf_exp_dev *dev,
						   u32 bar, struct phys_vec *vec,
						   u32 nr_ranges, size_t size,
						   u32 open_flags);
struct p2pbuf_exp_buffer *p2pbuf_exp_buffer_of(struct dma_buf *dmabuf,
					       struct p2pbuf_exp_dev *dev);
void p2pbuf_exp_revoke_all(struct p2pbuf_exp_dev *dev, unsigned int reason);
void p2pbuf_exp_restore_all(struct p2pbuf_exp_dev *dev, unsigned int reason);

/* cdev.c */
int p2pbuf_exp_cdev_register(struct p2pbuf_exp_dev *dev);
void p2pbuf_exp_cdev_unregister(struct p2pbuf_exp_dev *dev);

/* debugfs.c */
void p2pbuf_exp_debugfs_init(void);
void p2pbuf_exp_debugfs_exit(void);
void p2pbuf_exp_debugfs_add(struct p2pbuf_exp_dev *dev);
void p2pbuf_exp_debugfs_remove(struct p2pbuf_exp_dev *dev);

#endif /* _P2PBUF_EXPORTER_H */
