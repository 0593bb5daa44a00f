// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_test_importer - a dma-buf importer driven from debugfs, to test
 * an exporter's attach policy, mappings and revoke from userspace.
 *
 * Not a driver: it binds nothing and never starts DMA.  It attaches a
 * dma-buf on behalf of any PCI device (the device the mapping is made
 * for), maps and unmaps it on command, and reports what it got.  With it,
 * a test can hold a mapping across a revoke or an unbind and see that the
 * exporter waits for the unmap.  Only for test systems.
 *
 * /sys/kernel/debug/p2pbuf_test_importer/control takes one command per
 * write; the write fails with the command's error:
 *
 *   attach SLOT FD PCI-NAME MODE   attach dma-buf FD (of the writer) for
 *                                  the PCI device in slot SLOT (0-7); MODE:
 *     dynamic   P2P, revocable, unmaps at once when invalidated
 *     manual    P2P, revocable, unmaps only on an "unmap" command
 *     static    dma_buf_attach(): no P2P, not revocable
 *     norevoke  P2P, but no invalidate_mappings callback
 *     nop2p     revocable, unmaps at once when invalidated, but no P2P
 *               (allow_peer2peer false): system memory only
 *   map SLOT                       map the attachment
 *   unmap SLOT                     unmap it
 *   detach SLOT                    unmap if mapped, detach, drop the dma-buf
 *                                  (signals the slot's fence first)
 *   fence SLOT                     add an unsignaled write fence of this
 *                                  module to the dma-buf's reservation, as
 *                                  a job the importer never finishes would
 *   signal SLOT                    signal the slot's fence (never takes the
 *                                  reservation lock: whoever waits for the
 *                                  fence may hold it)
 *
 * /sys/kernel/debug/p2pbuf_test_importer/status lists the slots in use:
 *
 *   slot N dev PCI-NAME mode MODE mapped 0|1 invalidations N map-errno E
 *	dma-addr ADDR nents N
 *
 * and .../sg the DMA entries of every mapping:
 *
 *   slot N entry K addr ADDR len LEN
 */
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#define TI_SLOTS	8

enum ti_mode {
	TI_DYNAMIC,
	TI_MANUAL,
	TI_STATIC,
	TI_NOREVOKE,
	TI_NOP2P,
};

static const char *const ti_mode_names[] = {
	[TI_DYNAMIC] = "dynamic",
	[TI_MANUAL] = "manual",
	[TI_STATIC] = "static",
	[TI_NOREVOKE] = "norevoke",
	[TI_NOP2P] = "nop2p",
};

/**
 * struct ti_slot - one attachment
 * @dmabuf: the attached dma-buf (a reference is held); NULL if free
 * @attach: the attachment
 * @dev: the device it is for (a reference is held)
 * @mode: how it was attached; immutable while attached
 * @sgt: the mapping, NULL if not mapped; under @dmabuf's reservation
 *	lock, like @invalidations and @map_err
 * @invalidations: number of invalidate_mappings calls
 * @map_err: error of the latest map, 0 if it succeeded
 * @fence: the fence "fence" added and "signal" has not signaled yet, or
 *	NULL; under ti_lock
 *
 * @dmabuf, @attach, @dev and @mode are under ti_lock.
 */
struct ti_slot {
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct device *dev;
	enum ti_mode mode;

	struct sg_table *sgt;
	unsigned long invalidations;
	int map_err;
	struct dma_fence *fence;
};

/* Serializes commands; taken before any reservation lock. */
static DEFINE_MUTEX(ti_lock);
static struct ti_slot ti_slots[TI_SLOTS];
static struct dentry *ti_dir;

/* Context: the reservation lock held. */
static void ti_unmap_locked(struct ti_slot *slot)
{
	dma_buf_unmap_attachment(slot->attach, slot->sgt, DMA_BIDIRECTIONAL);
	slot->sgt = NULL;
}

/* Called by the exporter with the reservation lock held. */
static void ti_invalidate(struct dma_buf_attachment *attach)
{
	struct ti_slot *slot = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	slot->invalidations++;
	if ((slot->mode == TI_DYNAMIC || slot->mode == TI_NOP2P) && slot->sgt)
		ti_unmap_locked(slot);
}

static const struct dma_buf_attach_ops ti_revocable_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = ti_invalidate,
};

static const struct dma_buf_attach_ops ti_norevoke_ops = {
	.allow_peer2peer = true,
};

static const struct dma_buf_attach_ops ti_nop2p_ops = {
	.invalidate_mappings = ti_invalidate,
};

static int ti_attach(struct ti_slot *slot, int fd, const char *name,
		     const char *mode_name)
{
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	struct device *dev;
	int mode, ret;

	if (slot->dmabuf)
		return -EBUSY;
	mode = match_string(ti_mode_names, ARRAY_SIZE(ti_mode_names),
			    mode_name);
	if (mode < 0)
		return -EINVAL;
	dev = bus_find_device_by_name(&pci_bus_type, NULL, name);
	if (!dev)
		return -ENODEV;
	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto err_put_dev;
	}

	slot->mode = mode;
	slot->invalidations = 0;
	slot->map_err = 0;
	slot->sgt = NULL;
	switch (mode) {
	case TI_STATIC:
		attach = dma_buf_attach(dmabuf, dev);
		break;
	case TI_NOREVOKE:
		attach = dma_buf_dynamic_attach(dmabuf, dev, &ti_norevoke_ops,
						slot);
		break;
	case TI_NOP2P:
		attach = dma_buf_dynamic_attach(dmabuf, dev, &ti_nop2p_ops,
						slot);
		break;
	default:
		attach = dma_buf_dynamic_attach(dmabuf, dev, &ti_revocable_ops,
						slot);
		break;
	}
	if (IS_ERR(attach)) {
		ret = PTR_ERR(attach);
		goto err_put_dmabuf;
	}
	slot->attach = attach;
	slot->dev = dev;
	slot->dmabuf = dmabuf;
	return 0;

err_put_dmabuf:
	dma_buf_put(dmabuf);
err_put_dev:
	put_device(dev);
	return ret;
}

static int ti_map(struct ti_slot *slot)
{
	struct sg_table *sgt;
	int ret = 0;

	if (!slot->dmabuf)
		return -ENOENT;
	dma_resv_lock(slot->dmabuf->resv, NULL);
	if (slot->sgt) {
		ret = -EBUSY;
		goto out;
	}
	sgt = dma_buf_map_attachment(slot->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		slot->map_err = ret;
		goto out;
	}
	slot->map_err = 0;
	slot->sgt = sgt;
out:
	dma_resv_unlock(slot->dmabuf->resv);
	return ret;
}

static int ti_unmap(struct ti_slot *slot)
{
	int ret = 0;

	if (!slot->dmabuf)
		return -ENOENT;
	dma_resv_lock(slot->dmabuf->resv, NULL);
	if (slot->sgt)
		ti_unmap_locked(slot);
	else
		ret = -EINVAL;
	dma_resv_unlock(slot->dmabuf->resv);
	return ret;
}

static const char *ti_fence_name(struct dma_fence *fence)
{
	return KBUILD_MODNAME;
}

static const struct dma_fence_ops ti_fence_ops = {
	.get_driver_name = ti_fence_name,
	.get_timeline_name = ti_fence_name,
};

static DEFINE_SPINLOCK(ti_fence_lock);

static int ti_fence(struct ti_slot *slot)
{
	struct dma_resv *resv;
	struct dma_fence *f;
	int ret;

	if (!slot->dmabuf)
		return -ENOENT;
	if (slot->fence)
		return -EBUSY;
	f = kzalloc_obj(*f);
	if (!f)
		return -ENOMEM;
	dma_fence_init(f, &ti_fence_ops, &ti_fence_lock,
		       dma_fence_context_alloc(1), 1);
	resv = slot->dmabuf->resv;
	dma_resv_lock(resv, NULL);
	ret = dma_resv_reserve_fences(resv, 1);
	if (!ret)
		dma_resv_add_fence(resv, f, DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(resv);
	if (ret) {
		dma_fence_put(f);
		return ret;
	}
	slot->fence = f;
	return 0;
}

static int ti_signal(struct ti_slot *slot)
{
	if (!slot->fence)
		return -ENOENT;
	dma_fence_signal(slot->fence);
	dma_fence_put(slot->fence);
	slot->fence = NULL;
	return 0;
}

static int ti_detach(struct ti_slot *slot)
{
	if (!slot->dmabuf)
		return -ENOENT;
	/* Before the reservation lock: a waiter for the fence may hold it. */
	if (slot->fence)
		ti_signal(slot);
	dma_resv_lock(slot->dmabuf->resv, NULL);
	if (slot->sgt)
		ti_unmap_locked(slot);
	dma_resv_unlock(slot->dmabuf->resv);
	dma_buf_detach(slot->dmabuf, slot->attach);
	dma_buf_put(slot->dmabuf);
	put_device(slot->dev);
	slot->dmabuf = NULL;
	slot->attach = NULL;
	slot->dev = NULL;
	return 0;
}

static int ti_command(char *cmd)
{
	char verb[16], name[64], mode[16];
	unsigned int n;
	int fd;

	if (sscanf(cmd, "attach %u %d %63s %15s", &n, &fd, name, mode) == 4) {
		if (n >= TI_SLOTS)
			return -EINVAL;
		return ti_attach(&ti_slots[n], fd, name, mode);
	}
	if (sscanf(cmd, "%15s %u", verb, &n) != 2 || n >= TI_SLOTS)
		return -EINVAL;
	if (!strcmp(verb, "map"))
		return ti_map(&ti_slots[n]);
	if (!strcmp(verb, "unmap"))
		return ti_unmap(&ti_slots[n]);
	if (!strcmp(verb, "detach"))
		return ti_detach(&ti_slots[n]);
	if (!strcmp(verb, "fence"))
		return ti_fence(&ti_slots[n]);
	if (!strcmp(verb, "signal"))
		return ti_signal(&ti_slots[n]);
	return -EINVAL;
}

static ssize_t control_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	char cmd[128];
	int ret;

	if (len >= sizeof(cmd))
		return -E2BIG;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = '\0';

	mutex_lock(&ti_lock);
	ret = ti_command(strim(cmd));
	mutex_unlock(&ti_lock);
	return ret ? ret : len;
}

static const struct file_operations control_fops = {
	.owner = THIS_MODULE,
	.write = control_write,
};

static int status_show(struct seq_file *m, void *unused)
{
	unsigned int i;
	int ret = 0;

	mutex_lock(&ti_lock);
	for (i = 0; i < TI_SLOTS && !ret; i++) {
		struct ti_slot *slot = &ti_slots[i];
		dma_addr_t addr = 0;

		if (!slot->dmabuf)
			continue;
		ret = dma_resv_lock_interruptible(slot->dmabuf->resv, NULL);
		if (ret)
			break;
		if (slot->sgt)
			addr = sg_dma_address(slot->sgt->sgl);
		seq_printf(m, "slot %u dev %s mode %s mapped %d invalidations %lu map-errno %d dma-addr %pad nents %u\n",
			   i, dev_name(slot->dev), ti_mode_names[slot->mode],
			   !!slot->sgt, slot->invalidations, slot->map_err,
			   &addr, slot->sgt ? slot->sgt->nents : 0);
		dma_resv_unlock(slot->dmabuf->resv);
	}
	mutex_unlock(&ti_lock);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(status);

static int sg_show(struct seq_file *m, void *unused)
{
	unsigned int i;
	int ret = 0;

	mutex_lock(&ti_lock);
	for (i = 0; i < TI_SLOTS && !ret; i++) {
		struct ti_slot *slot = &ti_slots[i];
		struct scatterlist *sg;
		int k;

		if (!slot->dmabuf)
			continue;
		ret = dma_resv_lock_interruptible(slot->dmabuf->resv, NULL);
		if (ret)
			break;
		if (slot->sgt) {
			for_each_sgtable_dma_sg(slot->sgt, sg, k) {
				dma_addr_t addr = sg_dma_address(sg);

				seq_printf(m, "slot %u entry %d addr %pad len 0x%x\n",
					   i, k, &addr, sg_dma_len(sg));
			}
		}
		dma_resv_unlock(slot->dmabuf->resv);
	}
	mutex_unlock(&ti_lock);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(sg);

static int __init ti_init(void)
{
	ti_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("control", 0200, ti_dir, NULL, &control_fops);
	debugfs_create_file("status", 0400, ti_dir, NULL, &status_fops);
	debugfs_create_file("sg", 0400, ti_dir, NULL, &sg_fops);
	return 0;
}

static void __exit ti_exit(void)
{
	unsigned int i;

	debugfs_remove_recursive(ti_dir);
	mutex_lock(&ti_lock);
	for (i = 0; i < TI_SLOTS; i++)
		ti_detach(&ti_slots[i]);
	mutex_unlock(&ti_lock);
}

module_init(ti_init);
module_exit(ti_exit);
MODULE_DESCRIPTION("p2pbuf test importer: attach, map and unmap dma-bufs from debugfs");
MODULE_AUTHOR("p2pbuf maintainers <maintainers@users.noreply.h-seed-c08c0a3c.example>");
MODULE_LICENSE("GPL");
MODULE_VERSION(P2PBUF_VERSION);
MODULE_IMPORT_NS("DMA_BUF");
