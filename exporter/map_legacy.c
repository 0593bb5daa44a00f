// SPDX-License-Identifier: GPL-2.0
/*
 * The legacy map mode: a BASELINE FOR BENCHMARKS, NOT A RECOMMENDED MODE.
 *
 * Before dma_buf_phys_vec_to_sgt() and the two-step DMA API, exporters of
 * device memory built the importer's table by mapping every chunk on its
 * own with dma_map_resource() (amdgpu's VRAM manager and habanalabs did
 * so): one IOVA allocation and one IOTLB sync per chunk through an IOMMU,
 * one table entry per chunk.  This file does exactly that for a buffer's
 * ranges, so that the benchmark (tools/bench/, Documentation/
 * benchmarks.rst) can compare both ways on the same buffer, device and
 * machine.
 *
 * It is selected per device in debugfs
 * (/sys/kernel/debug/p2pbuf_exporter/<pci name>/map_mode: "helper", the
 * default, or "legacy"), only while the device has no buffers, so that
 * every mapping of a buffer is unmapped the way it was mapped.
 *
 * What it lacks, and why it is not to be used otherwise: it does not ask
 * the PCI core for the route.  dma_map_resource() maps through the
 * importer's IOMMU when there is one and returns the CPU physical address
 * when there is none, also where the devices sit below one switch and the
 * bus address would be the right one (equal to the CPU physical address
 * in the test bed, not on every machine).  The attach policy still refuses
 * importers the PCI core knows no route for.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "p2pbuf_exporter.h"

/* Longest DMA segment a scatterlist entry holds, as the helper cuts them. */
#define P2PBUF_EXP_LEGACY_MAX_SEG	ALIGN_DOWN(UINT_MAX, PAGE_SIZE)

/* Table entries range @len takes: sg_dma_len() is 32 bits wide. */
static unsigned int p2pbuf_exp_legacy_nents(size_t len)
{
	return DIV_ROUND_UP(len, P2PBUF_EXP_LEGACY_MAX_SEG);
}

/*
 * Unmap ranges 0..@n-1 of @buf: one dma_unmap_resource() per range, of the
 * whole range, at the address of its first entry.
 */
static void p2pbuf_exp_legacy_unmap_n(struct dma_buf_attachment *attach,
				      struct p2pbuf_exp_buffer *buf,
				      struct sg_table *sgt, u32 n,
				      enum dma_data_direction dir)
{
	struct scatterlist *sg = sgt->sgl;
	unsigned int k;
	u32 i;

	for (i = 0; i < n; i++) {
		dma_unmap_resource(attach->dev, sg_dma_address(sg),
				   buf->vec[i].len, dir, 0);
		for (k = 0; k < p2pbuf_exp_legacy_nents(buf->vec[i].len); k++)
			sg = sg_next(sg);
	}
}

/**
 * p2pbuf_exp_map_legacy() - map a buffer one dma_map_resource() per range
 * @attach: the attachment
 * @buf: the buffer, not revoked
 * @dir: direction of the DMA
 *
 * The benchmark's baseline (see the top of this file).  The table has one
 * DMA entry per range, or more for a range of 4 GiB or more (an entry's
 * DMA length is 32 bits wide: ranges are cut as the helper cuts them), and
 * no pages (orig_nents 0), like the helper's tables.
 *
 * Context: the dma-buf's reservation lock held.
 * Return: the table, or an ERR_PTR(): -ENOMEM when a range cannot be
 * mapped or the table not allocated, -EINVAL for a buffer of more entries
 * than a table holds.
 */
struct sg_table *p2pbuf_exp_map_legacy(struct dma_buf_attachment *attach,
				       struct p2pbuf_exp_buffer *buf,
				       enum dma_data_direction dir)
{
	unsigned int nents = 0;
	struct scatterlist *sg;
	struct sg_table *sgt;
	dma_addr_t addr;
	size_t left;
	u32 i;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);

	for (i = 0; i < buf->nr_ranges; i++)
		if (check_add_overflow(nents,
				       p2pbuf_exp_legacy_nents(buf->vec[i].len),
				       &nents))
			return ERR_PTR(-EINVAL);

	sgt = kzalloc_obj(*sgt);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table(sgt, nents, GFP_KERNEL | __GFP_ZERO);
	if (ret)
		goto err_free;

	sg = sgt->sgl;
	for (i = 0; i < buf->nr_ranges; i++) {
		addr = dma_map_resource(attach->dev, buf->vec[i].paddr,
					buf->vec[i].len, dir, 0);
		if (dma_mapping_error(attach->dev, addr)) {
			ret = -ENOMEM;
			goto err_unmap;
		}
		for (left = buf->vec[i].len; left; sg = sg_next(sg)) {
			size_t len = min_t(size_t, left,
					   P2PBUF_EXP_LEGACY_MAX_SEG);

			sg_set_page(sg, NULL, 0, 0);
			sg_dma_address(sg) = addr + (buf->vec[i].len - left);
			sg_dma_len(sg) = len;
			left -= len;
		}
	}
	/* DMA addresses only, as dma_buf_phys_vec_to_sgt() returns them. */
	sgt->orig_nents = 0;
	return sgt;

err_unmap:
	p2pbuf_exp_legacy_unmap_n(attach, buf, sgt, i, dir);
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

/**
 * p2pbuf_exp_unmap_legacy() - undo p2pbuf_exp_map_legacy()
 * @attach: the attachment
 * @buf: the buffer, as mapped
 * @sgt: the mapping
 * @dir: direction of the DMA, as mapped
 *
 * Context: the dma-buf's reservation lock held.
 */
void p2pbuf_exp_unmap_legacy(struct dma_buf_attachment *attach,
			     struct p2pbuf_exp_buffer *buf,
			     struct sg_table *sgt, enum dma_data_direction dir)
{
	dma_resv_assert_held(attach->dmabuf->resv);

	p2pbuf_exp_legacy_unmap_n(attach, buf, sgt, buf->nr_ranges, dir);
	/* sg_free_table() frees orig_nents entries: all nents of them. */
	sgt->orig_nents = sgt->nents;
	sg_free_table(sgt);
	kfree(sgt);
}

/*
 * Choose how the device's buffers are mapped: the legacy baseline or the
 * helper (the default).  -EBUSY while the device has buffers: their
 * mappings must be unmapped the way they were mapped.
 */
static int p2pbuf_exp_map_mode_set(struct p2pbuf_exp_dev *dev, bool legacy)
{
	int ret = 0;

	mutex_lock(&dev->lock);
	if (!list_empty(&dev->buffers) && dev->map_legacy != legacy)
		ret = -EBUSY;
	else
		WRITE_ONCE(dev->map_legacy, legacy);
	mutex_unlock(&dev->lock);
	return ret;
}

/* debugfs <pci name>/map_mode: reads "helper" or "legacy", takes either. */
static ssize_t map_mode_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct p2pbuf_exp_dev *dev = file->private_data;
	const char *mode = READ_ONCE(dev->map_legacy) ? "legacy\n" : "helper\n";

	return simple_read_from_buffer(ubuf, count, ppos, mode, strlen(mode));
}

static ssize_t map_mode_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct p2pbuf_exp_dev *dev = file->private_data;
	char buf[16];
	bool legacy;
	int ret;

	if (*ppos || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sysfs_streq(buf, "legacy"))
		legacy = true;
	else if (sysfs_streq(buf, "helper"))
		legacy = false;
	else
		return -EINVAL;
	ret = p2pbuf_exp_map_mode_set(dev, legacy);
	return ret ? ret : count;
}

/*
 * The debugfs file's operations.  debugfs.c creates the file with the
 * device as its data; removing the device's directory waits for calls in
 * progress (debugfs' file proxy), and that happens before the device is
 * freed.
 */
const struct file_operations p2pbuf_exp_map_mode_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = map_mode_read,
	.write = map_mode_write,
	.llseek = default_llseek,
};
