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
 * p2pbuf_revoke.lock.  A migratable object's state is under its dma-buf's
 * reservation lock (mmap faults take it under mmap_lock, as TTM does).
 * A move holds the reservation lock while it zaps user mappings (the
 * mapping's i_mmap_rwsem) and allocates pages (reclaim): mmap_lock ->
 * reservation lock -> i_mmap_rwsem, reservation lock -> fs_reclaim.
 */
#ifndef _P2PBUF_EXPORTER_H
#define _P2PBUF_EXPORTER_H

#include <linux/atomic.h>
#include <linux/dma-direction.h>
#include <linux/gfp_types.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/types.h>
#include <linux/wait.h>

#include <p2pbuf/attach_policy.h>
#include <p2pbuf/p2p_path.h>
#include <p2pbuf/pal.h>
#include <p2pbuf/revoke.h>

struct dentry;
struct file_operations;
struct dma_buf;
struct gen_pool;
struct page;
struct dma_buf_attachment;
struct p2pdma_provider;
struct phys_vec;
struct p2pbuf_exp_info;
struct p2pbuf_exp_range;
struct sg_table;
struct vm_area_struct;

/**
 * struct p2pbuf_exp_bar - a BAR as the exporter sees it
 * @provider: p2pdma provider of the BAR; NULL if the BAR is not exported.
 *	Valid while the driver is bound.
 * @start: CPU physical address of the BAR
 * @len: size of the BAR in bytes; 0 if it is not exported
 * @io: write-combined kernel mapping of the BAR, for clearing and copying
 *	allocated objects; valid while the driver is bound, NULL if the BAR
 *	has no allocator
 * @pool: allocator of BAR space for %P2PBUF_EXP_IOCTL_ALLOC, over CPU
 *	physical addresses [@start + alloc_offset, @start + @len); NULL if
 *	the BAR has none.  Lives as long as the device structure.
 *
 * Written in probe() before the device is published, read-only after.
 */
struct p2pbuf_exp_bar {
	struct p2pdma_provider *provider;
	phys_addr_t start;
	resource_size_t len;
	void __iomem *io;
	struct gen_pool *pool;
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
 * @walk_ino: inode number of the dma-buf a walk is working on (or waiting
 *	for: a revoke waits for fences and unmaps), 0 between buffers and
 *	walks; written under @walk_lock, read locklessly by debugfs
 * @lock: protects @buffers, @gone, @io_gone, @in_reset, @resets,
 *	@poison_later, @poison_pending and @next_id
 * @buffers: the buffers exported from this device and not yet released
 * @gone: set by remove(): no more exports, every ioctl fails with -ENODEV
 * @io_gone: set by remove() once every object left the BARs: &bar.io
 *	must not be used any more
 * @in_reset: between reset_prepare() and reset_done(): new buffers are
 *	born revoked for %P2PBUF_EXP_REVOKED_RESET
 * @resets: number of completed resets, for debugfs
 * @poison_later: BAR space of buffers released during a reset, poisoned
 *	and freed by reset_done() (bar_alloc.c)
 * @poison_pending: number of entries of @poison_later, for debugfs
 * @live_attachments: attachments of all its buffers, for debugfs (a test
 *	checks that they and @live_maps return to zero: no leak)
 * @live_maps: mappings of all its buffers handed to importers and not
 *	unmapped yet, for debugfs
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
	unsigned long walk_ino;	/* WRITE_ONCE under @walk_lock, READ_ONCE */

	struct mutex lock;	/* see above: the fields below */
	struct list_head buffers;
	bool gone;
	bool io_gone;
	bool in_reset;
	unsigned int resets;
	struct list_head poison_later;
	unsigned int poison_pending;
	atomic_t live_attachments;
	atomic_t live_maps;
	u64 next_id;
};

/**
 * struct p2pbuf_exp_pages - the system memory of a migrated object
 * @kref: one reference held by the object while its placement is system
 *	memory, one by every mapping of these pages
 * @nr: number of pages
 * @pages: the pages, in object order
 */
struct p2pbuf_exp_pages {
	struct kref kref;
	unsigned long nr;
	struct page *pages[] __counted_by(nr);
};

/**
 * struct p2pbuf_exp_object - placement of a migratable object
 *
 * Every field is under the dma-buf's reservation lock.
 *
 * @placement: %P2PBUF_EXP_PLACEMENT_BAR or %P2PBUF_EXP_PLACEMENT_SYSTEM
 * @align: alignment of the object's BAR offset, as allocated
 * @has_region: the buffer's range (&p2pbuf_exp_buffer.vec) is allocated
 *	BAR space of the object: its placement, or a stale placement.
 *	Written with WRITE_ONCE(): an eviction waits for it unlocked.
 * @stale: the object left the BAR while importers still had mappings of
 *	it: the region is given back when @bar_maps drops to zero
 * @bar_maps: live mappings of the BAR region
 * @drained: woken when a stale region is given back
 * @pages: the system memory while the placement is system memory, NULL
 *	otherwise
 * @sys_maps: live mappings of system memory (&struct p2pbuf_exp_sysmap)
 * @attachments: number of attachments
 * @sys_users: attachments that need system memory (they keep the object
 *	there)
 * @pins: pins of static importers
 * @migrations: moves between the BAR and system memory
 * @evicted: P2PBUF_EXP_REVOKED_* reasons the object must stay out of the
 *	BAR (userspace asked, the device is being reset or is gone)
 * @moving: a move is invalidating importers: a map now would get the
 *	placement being left, and is refused with -EAGAIN
 */
struct p2pbuf_exp_object {
	u32 placement;
	u64 align;
	bool has_region;
	bool stale;
	unsigned int bar_maps;
	wait_queue_head_t drained;
	struct p2pbuf_exp_pages *pages;
	struct list_head sys_maps;
	unsigned int attachments;
	unsigned int sys_users;
	unsigned int pins;
	unsigned int migrations;
	unsigned int evicted;
	bool moving;
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
 * @kind: %P2PBUF_EXP_KIND_RANGES, %P2PBUF_EXP_KIND_OBJECT or
 *	%P2PBUF_EXP_KIND_MIGRATABLE; immutable
 * @obj: placement state, for %P2PBUF_EXP_KIND_MIGRATABLE only
 * @revoke: revoke state (see &struct p2pbuf_revoke for its locking); not
 *	used by migratable objects, which move instead
 * @owns_region: @vec is BAR space from the allocator, given back at
 *	release (%P2PBUF_EXP_KIND_OBJECT); immutable
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
	u32 kind;
	struct p2pbuf_exp_object *obj;
	struct p2pbuf_revoke revoke;
	bool owns_region;
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
 * @path: the route of the attachment's BAR mappings (p2pbuf_exp_route()):
 *	known at attach on a fixed kernel, from the first mapping on a stock
 *	7.3 one
 * @outcome: for a migratable object, the placement the attachment needs;
 *	immutable
 * @system: the latest mapping was of system memory
 * @map_type: the mapping type negotiated through the PAL interconnect
 *	(pal.c), %P2PBUF_MAP_SGT unless the importer asked for another;
 *	under the reservation lock.  The sg_table path stays open to every
 *	attachment whatever the type.
 * @pal_mapped: live PAL mappings of the attachment (also counted in
 *	@mapped and @maps); under the reservation lock
 */
struct p2pbuf_exp_attach {
	struct p2pbuf_attach_decision decision;
	enum p2pbuf_attach_outcome outcome;
	bool system;
	unsigned int mapped;
	unsigned long maps;
	int map_err;
	enum p2pbuf_path path;
	enum p2pbuf_map_type map_type;
	unsigned int pal_mapped;
};

/* main.c */
void p2pbuf_exp_dev_put(struct p2pbuf_exp_dev *dev);

/* bar_alloc.c */
int p2pbuf_exp_bar_alloc_init(struct p2pbuf_exp_dev *dev, int bar);
void p2pbuf_exp_bar_alloc_fini(struct p2pbuf_exp_dev *dev);
u64 p2pbuf_exp_bar_alloc_offset(void);
int p2pbuf_exp_bar_alloc(struct p2pbuf_exp_bar *bar, u64 size, u64 align,
			 phys_addr_t *paddr);
void p2pbuf_exp_bar_free(struct p2pbuf_exp_bar *bar, phys_addr_t paddr,
			 u64 size, bool poison);
void p2pbuf_exp_bar_release(struct p2pbuf_exp_dev *dev, u32 bar,
			    phys_addr_t paddr, u64 size);
void p2pbuf_exp_bar_release_deferred(struct p2pbuf_exp_dev *dev);

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
enum p2pbuf_path p2pbuf_exp_route(struct dma_buf_attachment *attach,
				  struct p2pbuf_exp_buffer *buf,
				  struct sg_table *sgt);

/*
 * map_compat_7_3.c: built only for a kernel without upstream/linux-7.3/
 * (P2PBUF_COMPAT_7_3, see ../Kbuild); map.c calls it under
 * p2pbuf_exp_compat_7_3() alone.
 */
struct sg_table *p2pbuf_exp_compat_map(struct dma_buf_attachment *attach,
				       struct p2pbuf_exp_buffer *buf,
				       enum dma_data_direction dir);
void p2pbuf_exp_compat_unmap(struct dma_buf_attachment *attach,
			     struct p2pbuf_exp_buffer *buf,
			     struct sg_table *sgt, enum dma_data_direction dir);
enum p2pbuf_path p2pbuf_exp_compat_route(struct dma_buf_attachment *attach,
					 struct p2pbuf_exp_buffer *buf,
					 struct sg_table *sgt);

enum p2pbuf_path p2pbuf_exp_compat_probe_route(struct dma_buf_attachment *attach,
					       struct p2pbuf_exp_buffer *buf);

/* pal.c: the exporter's side of the PAL interconnect (include/p2pbuf/pal.h) */
extern const struct p2pbuf_pal_ops p2pbuf_exp_pal;

/* dmabuf.c */
struct p2pbuf_exp_buffer *p2pbuf_exp_buffer_publish(struct p2pbuf_exp_dev *dev,
						    struct p2pbuf_exp_buffer *buf,
						    u32 open_flags);
void p2pbuf_exp_release(struct dma_buf *dmabuf);
struct p2pbuf_exp_buffer *p2pbuf_exp_buffer_create(struct p2pbuf_exp_dev *dev,
						   u32 bar, struct phys_vec *vec,
						   u32 nr_ranges, size_t size,
						   u32 open_flags);
bool p2pbuf_exp_dmabuf_is_ours(struct dma_buf *dmabuf);
struct p2pbuf_exp_buffer *p2pbuf_exp_buffer_of(struct dma_buf *dmabuf,
					       struct p2pbuf_exp_dev *dev);
void p2pbuf_exp_revoke_all(struct p2pbuf_exp_dev *dev, unsigned int reason);
void p2pbuf_exp_restore_all(struct p2pbuf_exp_dev *dev, unsigned int reason);

/* object.c */
extern const struct dma_buf_ops p2pbuf_exp_obj_dmabuf_ops;
struct p2pbuf_exp_buffer *p2pbuf_exp_object_alloc(struct p2pbuf_exp_dev *dev,
						  u32 bar, u64 size, u64 align,
						  bool migratable,
						  u32 open_flags, u64 *offset);
void p2pbuf_exp_object_info(struct p2pbuf_exp_buffer *buf,
			    struct p2pbuf_exp_info *info);

/* migrate.c */
int p2pbuf_exp_obj_to_system(struct p2pbuf_exp_buffer *buf, gfp_t gfp);
void p2pbuf_exp_obj_try_bar(struct p2pbuf_exp_buffer *buf);
void p2pbuf_exp_obj_put_region(struct p2pbuf_exp_buffer *buf);
int p2pbuf_exp_obj_evict(struct p2pbuf_exp_buffer *buf, unsigned int reason,
			 bool killable);
void p2pbuf_exp_obj_restore(struct p2pbuf_exp_buffer *buf,
			    unsigned int reason);
void p2pbuf_exp_pages_put(struct p2pbuf_exp_pages *pages);

/* object_map.c */
struct sg_table *p2pbuf_exp_obj_map(struct dma_buf_attachment *attach,
				    enum dma_data_direction dir);
void p2pbuf_exp_obj_unmap(struct dma_buf_attachment *attach,
			  struct sg_table *sgt, enum dma_data_direction dir);

/* object_cpu.c */
int p2pbuf_exp_obj_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma);
void p2pbuf_exp_obj_zap_cpu(struct p2pbuf_exp_buffer *buf);

/* cdev.c */
int p2pbuf_exp_cdev_register(struct p2pbuf_exp_dev *dev);
void p2pbuf_exp_cdev_unregister(struct p2pbuf_exp_dev *dev);

/* debugfs.c */
void p2pbuf_exp_debugfs_init(void);
void p2pbuf_exp_debugfs_exit(void);
void p2pbuf_exp_debugfs_add(struct p2pbuf_exp_dev *dev);
void p2pbuf_exp_debugfs_remove(struct p2pbuf_exp_dev *dev);

#endif /* _P2PBUF_EXPORTER_H */
