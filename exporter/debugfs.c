// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs: /sys/kernel/debug/p2pbuf_exporter/<pci name>/{bars,buffers,device}.
 *
 * "device" is the device's line alone (resets, BAR space waiting for its
 * poison, live attachments and mappings, gone, in-reset, the dma-buf a
 * revoke or restore of all buffers is at), shown under
 * @dev->lock only: it can be read while a revoke holds a buffer's
 * reservation lock for as long as fences take, which "buffers" waits for.
 * "buffers" lists every live buffer of the device: its ranges, its revoke
 * state, every attachment with the importer device, the attach policy's
 * decision and the route its latest mapping took, and the attachments the
 * policy refused.  For a migratable object also its placement, number of
 * moves and who keeps it in system memory, and per attachment the
 * placement the policy gave it ("outcome").  The format is for people and tests, not an ABI.
 */
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-buf-mapping.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/genalloc.h>
#include <linux/log2.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include <uapi/linux/p2pbuf_exporter.h>

#include "p2pbuf_exporter.h"

static struct dentry *p2pbuf_exp_debugfs_root;

static int bars_show(struct seq_file *m, void *unused)
{
	struct p2pbuf_exp_dev *dev = m->private;
	unsigned int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		const struct p2pbuf_exp_bar *bar = &dev->bars[i];

		if (!bar->len)
			continue;
		seq_printf(m, "bar %u start %pa size 0x%llx bus-offset 0x%llx",
			   i, &bar->start, (u64)bar->len,
			   bar->provider->bus_offset);
		if (bar->pool)
			seq_printf(m, " alloc-offset 0x%llx alloc-free 0x%zx",
				   p2pbuf_exp_bar_alloc_offset(),
				   gen_pool_avail(bar->pool));
		seq_putc(m, '\n');
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bars);

static void show_state(struct seq_file *m, unsigned int state)
{
	static const char *const reasons[] = {
		[ilog2(P2PBUF_EXP_REVOKED_USER)] = "user",
		[ilog2(P2PBUF_EXP_REVOKED_RESET)] = "reset",
		[ilog2(P2PBUF_EXP_REVOKED_GONE)] = "gone",
	};
	const char *sep = "revoked:";
	unsigned int i;

	if (!state) {
		seq_puts(m, "active");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(reasons); i++) {
		if (state & BIT(i)) {
			seq_printf(m, "%s%s", sep, reasons[i]);
			sep = ",";
		}
	}
}

static const char *const kind_names[] = {
	[0] = "none",
	[P2PBUF_EXP_KIND_RANGES] = "ranges",
	[P2PBUF_EXP_KIND_OBJECT] = "object",
	[P2PBUF_EXP_KIND_MIGRATABLE] = "migratable",
};

/* Context: the object's reservation lock held. */
static void show_object(struct seq_file *m, struct p2pbuf_exp_buffer *buf)
{
	struct p2pbuf_exp_object *obj = buf->obj;

	seq_printf(m, "  object kind %s", kind_names[buf->kind]);
	if (obj)
		seq_printf(m, " placement %s migrations %u attachments %u system-users %u pins %u bar-maps %u system-maps %s stale %d",
			   obj->placement == P2PBUF_EXP_PLACEMENT_BAR ?
			   "bar" : "system", obj->migrations,
			   obj->attachments, obj->sys_users, obj->pins,
			   obj->bar_maps,
			   list_empty(&obj->sys_maps) ? "no" : "yes",
			   obj->stale);
	seq_putc(m, '\n');
}

/* Context: the buffer's reservation lock held. */
static void show_buffer(struct seq_file *m, struct p2pbuf_exp_dev *dev,
			struct p2pbuf_exp_buffer *buf)
{
	struct dma_buf_attachment *attach;
	u32 i;

	seq_printf(m, "buffer %llu ino %llu bar %u size 0x%zx ranges %u state ",
		   buf->id, (u64)file_inode(buf->dmabuf->file)->i_ino, buf->bar,
		   buf->size, buf->nr_ranges);
	show_state(m, buf->obj ? buf->obj->evicted : buf->revoke.reasons);
	seq_putc(m, '\n');
	if (buf->kind != P2PBUF_EXP_KIND_RANGES)
		show_object(m, buf);

	for (i = 0; i < buf->nr_ranges; i++)
		seq_printf(m, "  range %u offset 0x%llx length 0x%zx\n", i,
			   (u64)(buf->vec[i].paddr - dev->bars[buf->bar].start),
			   buf->vec[i].len);

	list_for_each_entry(attach, &buf->dmabuf->attachments, node) {
		struct p2pbuf_exp_attach *ea = attach->priv;

		seq_printf(m, "  attach %s driver %s decision %s distance %d mapped %u maps %lu map-errno %d route %s\n",
			   dev_name(attach->dev), dev_driver_string(attach->dev),
			   p2pbuf_attach_verdict_name(ea->decision.verdict),
			   ea->decision.distance, ea->mapped, ea->maps,
			   ea->map_err, p2pbuf_path_name(ea->path));
		/* Only a negotiated PAL: sg_table attachments look as before. */
		if (ea->map_type != P2PBUF_MAP_SGT)
			seq_printf(m, "    type %s pal-mapped %u\n",
				   p2pbuf_map_type_name(ea->map_type),
				   ea->pal_mapped);
		if (buf->obj)
			seq_printf(m, "    outcome %s mapping %s\n",
				   p2pbuf_attach_outcome_name(ea->outcome),
				   ea->system ? "system" : "bar");
	}

	if (buf->rejected)
		seq_printf(m, "  rejected %lu last %s %s\n", buf->rejected,
			   buf->last_reject_dev,
			   p2pbuf_attach_verdict_name(buf->last_reject));
}

/* Context: @dev->lock held. */
static void device_line(struct seq_file *m, struct p2pbuf_exp_dev *dev)
{
	unsigned long walk_ino = READ_ONCE(dev->walk_ino);

	lockdep_assert_held(&dev->lock);
	seq_printf(m, "device %s resets %u poison-pending %u attachments %d mappings %d%s%s",
		   pci_name(dev->pdev), dev->resets, dev->poison_pending,
		   atomic_read(&dev->live_attachments),
		   atomic_read(&dev->live_maps),
		   dev->gone ? " gone" : "", dev->in_reset ? " in-reset" : "");
	if (walk_ino)
		seq_printf(m, " walk-ino %lu", walk_ino);
	seq_putc(m, '\n');
}

static int device_show(struct seq_file *m, void *unused)
{
	struct p2pbuf_exp_dev *dev = m->private;

	mutex_lock(&dev->lock);
	device_line(m, dev);
	mutex_unlock(&dev->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(device);

/*
 * The buffers are pinned by file references taken under @dev->lock, and
 * shown with only their reservation lock held: a reservation lock can be
 * held for long (a move copies the whole object, a revoke waits for
 * fences), and waiting for it with @dev->lock held would stall every
 * ioctl and release of the device.  Buffers whose file is already going
 * away are not shown.
 */
static int buffers_show(struct seq_file *m, void *unused)
{
	struct p2pbuf_exp_dev *dev = m->private;
	struct p2pbuf_exp_buffer *buf, **bufs;
	unsigned int n = 0, i, nr = 0;
	int ret = 0;

	mutex_lock(&dev->lock);
	device_line(m, dev);
	list_for_each_entry(buf, &dev->buffers, node)
		n++;
	bufs = kvmalloc_array(n, sizeof(*bufs), GFP_KERNEL);
	if (!bufs) {
		mutex_unlock(&dev->lock);
		return -ENOMEM;
	}
	list_for_each_entry(buf, &dev->buffers, node)
		if (get_file_active(&buf->dmabuf->file))
			bufs[nr++] = buf;
	mutex_unlock(&dev->lock);

	for (i = 0; i < nr; i++) {
		buf = bufs[i];
		if (!ret)
			ret = dma_resv_lock_interruptible(buf->dmabuf->resv,
							  NULL);
		if (!ret) {
			show_buffer(m, dev, buf);
			dma_resv_unlock(buf->dmabuf->resv);
		}
		fput(buf->dmabuf->file);
	}
	kvfree(bufs);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(buffers);

/**
 * p2pbuf_exp_debugfs_add() - create the debugfs directory of a device
 * @dev: the device, its BARs set up
 *
 * debugfs failures are not errors: the files are just missing.
 */
void p2pbuf_exp_debugfs_add(struct p2pbuf_exp_dev *dev)
{
	dev->debugfs = debugfs_create_dir(pci_name(dev->pdev),
					  p2pbuf_exp_debugfs_root);
	debugfs_create_file("bars", 0400, dev->debugfs, dev, &bars_fops);
	debugfs_create_file("buffers", 0400, dev->debugfs, dev, &buffers_fops);
	debugfs_create_file("device", 0400, dev->debugfs, dev, &device_fops);
}

/**
 * p2pbuf_exp_debugfs_remove() - remove the debugfs directory of a device
 * @dev: the device
 *
 * Waits for readers of its files to finish.
 */
void p2pbuf_exp_debugfs_remove(struct p2pbuf_exp_dev *dev)
{
	debugfs_remove_recursive(dev->debugfs);
	dev->debugfs = NULL;
}

/**
 * p2pbuf_exp_debugfs_init() - create /sys/kernel/debug/p2pbuf_exporter
 */
void p2pbuf_exp_debugfs_init(void)
{
	p2pbuf_exp_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
}

/**
 * p2pbuf_exp_debugfs_exit() - remove /sys/kernel/debug/p2pbuf_exporter
 */
void p2pbuf_exp_debugfs_exit(void)
{
	debugfs_remove_recursive(p2pbuf_exp_debugfs_root);
}
