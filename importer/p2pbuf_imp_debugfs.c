// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs, in the DRM device's directory (/sys/kernel/debug/dri/N/):
 *
 * imports       every imported object: the exporter, the attachment's
 *               state (mapped, invalidated, ...), the negotiated mapping
 *               type, and the DMA address list of the current mapping,
 *               as the engine is given it (for a PAL also the route and
 *               the exporter's physical ranges)
 * engine        the engine's state and counters
 * inject_stall  write N: the next N engine commands pretend to hang, and
 *               the engine reports busy from then on; write 0: the hang
 *               ends
 * inject_irq    write N: the next N engine commands see a stale
 *               completion interrupt right after they start
 * dma_mask      the device's DMA mask (streaming and coherent), as a
 *               device with fewer address bits would have; see
 *               p2pbuf_imp_dma_mask_set()
 *
 * Both reports are "key value" lines; imports has one block per object,
 * started by "import <inode number of the dma-buf>" and ended by an empty
 * line.  Tests find their buffer by the inode number of its dma-buf fd.
 */
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_file.h>

#include <p2pbuf/p2p_path.h>
#include <p2pbuf/pal.h>
#include <p2pbuf/sg_walk.h>

#include "p2pbuf_imp_drv.h"

/*
 * A PAL import: the route the exporter decided, the physical ranges it
 * handed out, and the driver's own DMA addresses of them, in the same
 * "segments"/"runs"/"seg" lines as an sg_table's.
 */
static void p2pbuf_imp_show_pal(struct seq_file *m,
				struct p2pbuf_imp_import *imp)
{
	const struct p2pbuf_imp_pal_map *map = &imp->pal_map;
	const struct p2pbuf_pal *pal = &imp->dynimp.pal;
	unsigned int i, runs = 0;
	dma_addr_t end = 0;

	seq_printf(m, "route %s\n", p2pbuf_path_name(map->route));
	seq_printf(m, "pal-mapping %s\n",
		   map->iova_len ? "iova" : map->per_range ? "dma-map-phys" :
		   "bus-addr");
	seq_printf(m, "pal-ranges %u\n", pal->nr_ranges);
	for (i = 0; i < pal->nr_ranges; i++)
		seq_printf(m, "pal %u %pap %#llx\n", i, &pal->vec[i].paddr,
			   (unsigned long long)pal->vec[i].len);
	for (i = 0; i < map->nr; i++) {
		if (!i || map->ranges[i].addr != end)
			runs++;
		end = map->ranges[i].addr + map->ranges[i].len;
	}
	seq_printf(m, "segments %u\n", map->nr);
	seq_printf(m, "runs %u\n", runs);
	for (i = 0; i < map->nr; i++)
		seq_printf(m, "seg %u %pad %#llx\n", i, &map->ranges[i].addr,
			   (unsigned long long)map->ranges[i].len);
}

static void p2pbuf_imp_show_import(struct seq_file *m,
				   struct p2pbuf_imp_import *imp)
{
	struct p2pbuf_dynimp *dyn = &imp->dynimp;
	struct scatterlist *sg;
	struct sg_table *sgt;
	unsigned int i;

	seq_printf(m, "import %llu\n",
		   (unsigned long long)file_inode(imp->dmabuf->file)->i_ino);
	seq_printf(m, "exporter %s\n", imp->dmabuf->exp_name);
	seq_printf(m, "size %zu\n", imp->base.size);
	seq_printf(m, "peer2peer %d\n", dyn->attach->peer2peer);
	seq_printf(m, "state %s\n", p2pbuf_dynimp_state_name(dyn->state));
	seq_printf(m, "maps %lu\n", dyn->maps);
	seq_printf(m, "invalidates %lu\n", dyn->invalidates);
	seq_printf(m, "map-errno %d\n", dyn->map_err);

	seq_printf(m, "map-type %s\n", p2pbuf_map_type_name(dyn->type));

	if (dyn->pal_mapped) {
		p2pbuf_imp_show_pal(m, imp);
		seq_puts(m, "\n");
		return;
	}
	sgt = dyn->sgt;
	seq_printf(m, "segments %u\n", sgt ? sgt->nents : 0);
	seq_printf(m, "runs %u\n", sgt ? p2pbuf_sgt_dma_runs(sgt) : 0);
	if (sgt) {
		for_each_sgtable_dma_sg(sgt, sg, i)
			seq_printf(m, "seg %u %pad %#x\n", i,
				   &sg_dma_address(sg), sg_dma_len(sg));
	}
	seq_puts(m, "\n");
}

static int p2pbuf_imp_imports_show(struct seq_file *m, void *unused)
{
	struct drm_debugfs_entry *entry = m->private;
	struct p2pbuf_imp_device *idev = to_p2pbuf_imp(entry->dev);
	struct p2pbuf_imp_import *imp;
	int ret;

	ret = mutex_lock_interruptible(&idev->imports_lock);
	if (ret)
		return ret;
	list_for_each_entry(imp, &idev->imports, node) {
		ret = dma_resv_lock_interruptible(imp->base.resv, NULL);
		if (ret)
			break;
		p2pbuf_imp_show_import(m, imp);
		dma_resv_unlock(imp->base.resv);
	}
	mutex_unlock(&idev->imports_lock);
	return ret;
}

static int p2pbuf_imp_engine_show(struct seq_file *m, void *unused)
{
	struct drm_debugfs_entry *entry = m->private;
	struct p2pbuf_imp_device *idev = to_p2pbuf_imp(entry->dev);
	struct p2pbuf_imp_engine *engine = &idev->engine;
	struct device *dev = engine->dev;

	seq_printf(m, "p2p %d\n", READ_ONCE(p2pbuf_imp_p2p));
	seq_printf(m, "busy %d\n", !!READ_ONCE(engine->active));
	seq_printf(m, "hw-busy %d\n", p2pbuf_imp_engine_hw_busy(engine));
	seq_printf(m, "stuck %d\n", READ_ONCE(engine->stuck));
	seq_printf(m, "seqno %llu\n", READ_ONCE(engine->seqno));
	seq_printf(m, "commands %lld\n", atomic64_read(&engine->commands));
	seq_printf(m, "bytes %lld\n", atomic64_read(&engine->bytes));
	seq_printf(m, "timeouts %lld\n", atomic64_read(&engine->timeouts));
	seq_printf(m, "cancels %lld\n", atomic64_read(&engine->cancels));
	seq_printf(m, "chunk %u\n", P2PBUF_IMP_ENGINE_CHUNK);
	seq_printf(m, "max-seg-size %u\n", dma_get_max_seg_size(dev));
	seq_printf(m, "seg-boundary %#lx\n", dma_get_seg_boundary(dev));
	seq_printf(m, "timeout-ms %u\n", READ_ONCE(p2pbuf_imp_timeout_ms));
	return 0;
}

/**
 * p2pbuf_imp_debugfs_register() - declare the device's report files
 * @idev: the device, before drm_dev_register() creates them
 */
void p2pbuf_imp_debugfs_register(struct p2pbuf_imp_device *idev)
{
	drm_debugfs_add_file(&idev->drm, "imports", p2pbuf_imp_imports_show,
			     NULL);
	drm_debugfs_add_file(&idev->drm, "engine", p2pbuf_imp_engine_show,
			     NULL);
}

static int p2pbuf_imp_stall_get(void *data, u64 *val)
{
	struct p2pbuf_imp_engine *engine = data;

	*val = atomic_read(&engine->inject_stall);
	return 0;
}

static int p2pbuf_imp_stall_set(void *data, u64 val)
{
	if (val > INT_MAX)
		return -EINVAL;
	p2pbuf_imp_engine_set_hang(data, val);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(p2pbuf_imp_stall_fops, p2pbuf_imp_stall_get,
			 p2pbuf_imp_stall_set, "%llu\n");

static int p2pbuf_imp_dma_mask_get(void *data, u64 *val)
{
	struct p2pbuf_imp_device *idev = data;

	*val = dma_get_mask(&idev->pdev->dev);
	return 0;
}

/*
 * p2pbuf_imp_dma_mask_set() - the device's DMA mask, e.g. that of a GPU
 * with 40 address bits (0xffffffffff), or one that ends inside a BAR.
 * The DMA layer compares the last byte of a mapping with the mask as an
 * upper limit (dma-direct's dma_capable(), iommu-dma's IOVA limit), so a
 * mask need not be a power of two less one; it must end at a page
 * boundary (its low 12 bits set), else -EINVAL.  The DMA layer refuses a
 * mask that does not cover the system's memory: -EIO (dma_set_mask()).
 * Refused with -EBUSY while the device has an imported or a native
 * object: a mapping made under the old mask would stay.  Both lists are
 * read under imports_lock, and an object is on its list before it maps
 * (native objects at creation, imports from their first use on).  The
 * engine's bounce buffer, allocated at probe in system memory, keeps its
 * address.  DMA_BIT_MASK(64) (the driver's default) restores the probe's
 * state.
 */
static int p2pbuf_imp_dma_mask_set(void *data, u64 val)
{
	struct p2pbuf_imp_device *idev = data;
	struct device *dev = &idev->pdev->dev;
	u64 old = dma_get_mask(dev);
	int ret;

	if ((val & (PAGE_SIZE - 1)) != PAGE_SIZE - 1)
		return -EINVAL;
	mutex_lock(&idev->imports_lock);
	if (!list_empty(&idev->imports) || !list_empty(&idev->natives)) {
		ret = -EBUSY;
		goto unlock;
	}
	ret = dma_set_mask_and_coherent(dev, val);
	if (ret)	/* the streaming mask may have changed */
		dma_set_mask_and_coherent(dev, old);
unlock:
	mutex_unlock(&idev->imports_lock);
	return ret;
}

DEFINE_DEBUGFS_ATTRIBUTE(p2pbuf_imp_dma_mask_fops, p2pbuf_imp_dma_mask_get,
			 p2pbuf_imp_dma_mask_set, "%#llx\n");

/**
 * p2pbuf_imp_debugfs_init() - &drm_driver.debugfs_init: writable files
 * @minor: a minor of the device being registered
 */
void p2pbuf_imp_debugfs_init(struct drm_minor *minor)
{
	struct p2pbuf_imp_device *idev = to_p2pbuf_imp(minor->dev);

	debugfs_create_file_unsafe("inject_stall", 0600, minor->debugfs_root,
				   &idev->engine, &p2pbuf_imp_stall_fops);
	debugfs_create_atomic_t("inject_irq", 0600, minor->debugfs_root,
				&idev->engine.inject_irq);
	debugfs_create_file_unsafe("dma_mask", 0600, minor->debugfs_root, idev,
				   &p2pbuf_imp_dma_mask_fops);
}
