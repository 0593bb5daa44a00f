// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_probe - the test bed's own check of a topology.
 *
 * Binds the bed's exporter device (ivshmem-plain, BAR2 is its memory) and
 * importer device (edu, a DMA engine).  Once both are bound it maps the
 * first page of BAR2 for edu the way every p2pbuf exporter does, through a
 * dma-buf and dma_buf_phys_vec_to_sgt(), reports the P2P route the kernel
 * took, and has edu write a pattern to the mapped address.  The report is
 * in debugfs: p2pbuf_probe/report.  The bed loads it, reads the report,
 * and unloads it before the real drivers are tested.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-buf-mapping.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/seq_file.h>

#include <p2pbuf/p2p_path.h>

#define PROBE_BAR		2
#define EDU_BAR			0
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_START		BIT(0)
#define EDU_DMA_TO_RAM		BIT(1)
#define EDU_BUFFER		0x40000
#define PROBE_PATTERN(i)	(0x70327000u + (i))
/*
 * QEMU 7.2's edu rejects (hw_error, QEMU aborts) a transfer that ends on the
 * last byte of its 4 KiB buffer, so the probe moves half of it.
 */
#define PROBE_DMA_LEN		2048

/* Only touched from the probe() and remove() of the two devices. */
static struct {
	struct pci_dev *exp, *imp;
	void __iomem *bar, *edu;
	struct p2pdma_provider *provider;
	struct phys_vec vec;
	int distance;
	int map_err;
	enum p2pbuf_path path;
	dma_addr_t addr;
	const char *data;
	struct dentry *dir;
} probe;

static struct sg_table *probe_map(struct dma_buf_attachment *attach,
				  enum dma_data_direction dir)
{
	return dma_buf_phys_vec_to_sgt(attach, probe.provider, &probe.vec, 1,
				       probe.vec.len, dir);
}

static void probe_unmap(struct dma_buf_attachment *attach,
			struct sg_table *sgt, enum dma_data_direction dir)
{
	dma_buf_free_sgt(attach, sgt, dir);
}

static void probe_release(struct dma_buf *dmabuf)
{
}

static const struct dma_buf_ops probe_dmabuf_ops = {
	.map_dma_buf = probe_map,
	.unmap_dma_buf = probe_unmap,
	.release = probe_release,
};

static void probe_invalidate(struct dma_buf_attachment *attach)
{
}

static const struct dma_buf_attach_ops probe_importer_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = probe_invalidate,
};

static int edu_dma(u64 src, u64 dst, u32 cmd)
{
	u32 busy;

	writeq(src, probe.edu + EDU_REG_DMA_SRC);
	writeq(dst, probe.edu + EDU_REG_DMA_DST);
	writeq(PROBE_DMA_LEN, probe.edu + EDU_REG_DMA_COUNT);
	writeq(cmd | EDU_DMA_START, probe.edu + EDU_REG_DMA_CMD);
	/* QEMU's edu completes a transfer 100 ms (virtual) after it starts. */
	return readq_poll_timeout(probe.edu + EDU_REG_DMA_CMD, busy,
				  !(busy & EDU_DMA_START), 1000, 5 * USEC_PER_SEC);
}

/* Write a pattern into BAR memory through edu and @addr; check it. */
static const char *probe_dma(dma_addr_t addr)
{
	dma_addr_t src_dma;
	u32 *src;
	int i;

	src = dma_alloc_coherent(&probe.imp->dev, PAGE_SIZE, &src_dma,
				 GFP_KERNEL);
	if (!src)
		return "no-memory";
	for (i = 0; i < PROBE_DMA_LEN / 4; i++) {
		src[i] = PROBE_PATTERN(i);
		writel(0, probe.bar + i * 4);
	}
	if (edu_dma(src_dma, EDU_BUFFER, 0) ||
	    edu_dma(EDU_BUFFER, addr, EDU_DMA_TO_RAM)) {
		dma_free_coherent(&probe.imp->dev, PAGE_SIZE, src, src_dma);
		return "timeout";
	}
	dma_free_coherent(&probe.imp->dev, PAGE_SIZE, src, src_dma);
	for (i = 0; i < PROBE_DMA_LEN / 4; i++)
		if (readl(probe.bar + i * 4) != PROBE_PATTERN(i))
			return "mismatch";
	return "ok";
}

static void probe_run(void)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	struct sg_table *sgt;

	probe.distance = pci_p2pdma_distance(probe.exp, &probe.imp->dev, true);
	probe.path = P2PBUF_PATH_NONE;
	probe.data = "skipped";
	probe.vec.paddr = pci_resource_start(probe.exp, PROBE_BAR);
	probe.vec.len = PAGE_SIZE;

	info.ops = &probe_dmabuf_ops;
	info.size = PAGE_SIZE;
	info.priv = &probe;
	info.flags = O_RDWR;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		probe.map_err = PTR_ERR(dmabuf);
		return;
	}
	attach = dma_buf_dynamic_attach(dmabuf, &probe.imp->dev,
					&probe_importer_ops, NULL);
	if (IS_ERR(attach)) {
		probe.map_err = PTR_ERR(attach);
		goto put;
	}
	dma_resv_lock(dmabuf->resv, NULL);
	sgt = dma_buf_map_attachment(attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		probe.map_err = PTR_ERR(sgt);
	} else {
		probe.map_err = 0;
		probe.addr = sg_dma_address(sgt->sgl);
		probe.path = p2pbuf_path_of_sgt(probe.provider, &probe.imp->dev,
						&probe.vec, sgt);
		probe.data = probe_dma(probe.addr);
		dma_buf_unmap_attachment(attach, sgt, DMA_BIDIRECTIONAL);
	}
	dma_resv_unlock(dmabuf->resv);
	dma_buf_detach(dmabuf, attach);
put:
	dma_buf_put(dmabuf);
}

static int report_show(struct seq_file *m, void *unused)
{
	if (!probe.exp || !probe.imp) {
		seq_printf(m, "exporter %s\nimporter %s\n",
			   probe.exp ? pci_name(probe.exp) : "missing",
			   probe.imp ? pci_name(probe.imp) : "missing");
		return 0;
	}
	seq_printf(m, "exporter %s\nimporter %s\n", pci_name(probe.exp),
		   pci_name(probe.imp));
	seq_printf(m, "distance %d\n", probe.distance);
	seq_printf(m, "map-errno %d\n", probe.map_err);
	seq_printf(m, "path %s\n", p2pbuf_path_name(probe.path));
	seq_printf(m, "bar-phys %pa\n", &probe.vec.paddr);
	seq_printf(m, "dma-addr %pad\n", &probe.addr);
	seq_printf(m, "data %s\n", probe.data);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(report);

static int probe_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;

	if (id->driver_data == 0) {
		if (!(pci_resource_flags(pdev, PROBE_BAR) & IORESOURCE_MEM) ||
		    pci_resource_len(pdev, PROBE_BAR) < PAGE_SIZE)
			return -ENODEV;
		ret = pcim_p2pdma_init(pdev);
		if (ret)
			return ret;
		probe.provider = pcim_p2pdma_provider(pdev, PROBE_BAR);
		probe.bar = pcim_iomap(pdev, PROBE_BAR, PAGE_SIZE);
		if (!probe.provider || !probe.bar)
			return -ENOMEM;
		probe.exp = pdev;
	} else {
		ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
		if (ret)
			return ret;
		probe.edu = pcim_iomap(pdev, EDU_BAR, 0);
		if (!probe.edu)
			return -ENOMEM;
		pci_set_master(pdev);
		probe.imp = pdev;
	}
	if (probe.exp && probe.imp)
		probe_run();
	return 0;
}

static void probe_pci_remove(struct pci_dev *pdev)
{
	if (pdev == probe.exp)
		probe.exp = NULL;
	if (pdev == probe.imp)
		probe.imp = NULL;
}

static const struct pci_device_id probe_ids[] = {
	{ PCI_DEVICE(0x1af4, 0x1110), .driver_data = 0 },	/* ivshmem */
	{ PCI_DEVICE(0x1234, 0x11e8), .driver_data = 1 },	/* edu */
	{ }
};
MODULE_DEVICE_TABLE(pci, probe_ids);

static struct pci_driver probe_driver = {
	.name = "p2pbuf_probe",
	.id_table = probe_ids,
	.probe = probe_pci_probe,
	.remove = probe_pci_remove,
};

static int __init probe_init(void)
{
	probe.dir = debugfs_create_dir("p2pbuf_probe", NULL);
	debugfs_create_file("report", 0444, probe.dir, NULL, &report_fops);
	return pci_register_driver(&probe_driver);
}

static void __exit probe_exit(void)
{
	pci_unregister_driver(&probe_driver);
	debugfs_remove_recursive(probe.dir);
}

module_init(probe_init);
module_exit(probe_exit);
MODULE_DESCRIPTION("p2pbuf test bed probe: P2P route and DMA between the bed's devices");
MODULE_AUTHOR("p2pbuf maintainers <maintainers@users.noreply.h-seed-c08c0a3c.example>");
MODULE_LICENSE("GPL");
MODULE_VERSION(P2PBUF_VERSION);
MODULE_IMPORT_NS("DMA_BUF");
MODULE_IMPORT_NS("P2PBUF");
