/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pbuf_imp internals: the device, its DMA engine, its GEM objects.
 *
 * Lock order (outermost first):
 *
 *   p2pbuf_imp_engine.lock          the engine's single DMA channel
 *     -> dma_resv of GEM objects     (several: ww-mutex through drm_exec)
 *       -> p2pbuf_imp_engine.active_lock   (spinlock)
 *
 *   p2pbuf_imp_device.imports_lock -> dma_resv   (debugfs, unbind)
 *
 * The exporter calls our invalidation callback with a dma_resv held; the
 * callback takes only active_lock and waits for the engine's fences,
 * which the engine signals without taking any of these locks.
 * An import object's last reference is never dropped with a dma_resv
 * held (its free takes imports_lock).
 */
#ifndef _P2PBUF_IMP_DRV_H
#define _P2PBUF_IMP_DRV_H

#include <linux/dma-direction.h>
#include <linux/dma-mapping.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include <drm/drm_device.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>

#include <p2pbuf/dynamic_import.h>
#include <p2pbuf/pal.h>

struct dma_buf;
struct dma_fence;
struct dma_resv;
struct drm_file;
struct p2pbuf_sg_walk;
struct pci_dev;
struct sg_table;

#define P2PBUF_IMP_NAME		"p2pbuf_imp"

/*
 * Longest engine command: half of edu's 4 KiB buffer, as QEMU 7.2's edu
 * aborts the machine on a transfer that touches the buffer's last byte.
 */
#define P2PBUF_IMP_ENGINE_CHUNK	2048

/* Bounds of the timeout_ms module parameter. */
#define P2PBUF_IMP_TIMEOUT_MS_MIN	1
#define P2PBUF_IMP_TIMEOUT_MS_MAX	60000

extern bool p2pbuf_imp_p2p;
extern unsigned int p2pbuf_imp_timeout_ms;

/**
 * struct p2pbuf_imp_job - one engine submission: the work of one ioctl
 *	between two mappings of its objects
 * @fence: signalled when the engine stopped working on the job; added to
 *	the reservation objects of @objs
 * @objs: the objects the job reads or writes (twice the same one is fine)
 * @cancelled: an invalidation asked the job to stop before its next
 *	command; set under &p2pbuf_imp_engine.active_lock, read locklessly
 */
struct p2pbuf_imp_job {
	struct dma_fence *fence;
	struct drm_gem_object *objs[2];
	bool cancelled;
};

/**
 * struct p2pbuf_imp_engine - the DMA engine (QEMU edu)
 * @drm: the DRM device the engine belongs to
 * @pdev: the PCI device (bus mastering is switched off to stop it)
 * @dev: the PCI device's struct device
 * @regs: BAR0, the engine's registers
 * @lock: the engine's one DMA channel: held by the submitter for a whole
 *	job, from locking the objects to signalling the fence.  Protects
 *	@bounce, @stuck, @seqno and the device's bus mastering.
 * @wq: woken by the interrupt handler when a command finished; the waiter
 *	reads the device's busy bit to know whether its command did
 * @bounce: driver-owned system memory: the pattern source and the
 *	readback buffer of checks (one engine transfer long)
 * @bounce_dma: @bounce's DMA address
 * @stuck: a command timed out and the device was stopped (bus mastering
 *	off); no new job starts until the hardware reports idle again
 * @fence_context: the dma_fence context of the engine's jobs
 * @seqno: sequence number of the last job's fence
 * @active_lock: protects @active
 * @active: the job holding the engine, NULL when idle
 * @inject_stall: fault injection (debugfs): that many coming commands
 *	pretend to hang without being started
 * @inject_irq: fault injection (debugfs): that many coming commands get a
 *	completion interrupt's wake-up right after they start, as a late
 *	interrupt of an earlier command would
 * @hung: an injected hang is on: the engine reports busy until debugfs
 *	lifts it; read locklessly
 * @commands: commands completed
 * @bytes: bytes moved by completed commands
 * @timeouts: commands that timed out
 * @cancels: jobs stopped by an invalidation
 */
struct p2pbuf_imp_engine {
	struct drm_device *drm;
	struct pci_dev *pdev;
	struct device *dev;
	void __iomem *regs;

	struct mutex lock;	/* one job at a time; see above */
	wait_queue_head_t wq;
	void *bounce;
	dma_addr_t bounce_dma;
	bool stuck;
	u64 fence_context;
	u64 seqno;

	spinlock_t active_lock;	/* protects @active */
	struct p2pbuf_imp_job *active;

	atomic_t inject_stall;
	atomic_t inject_irq;
	bool hung;
	atomic64_t commands;
	atomic64_t bytes;
	atomic64_t timeouts;
	atomic64_t cancels;
};

/**
 * struct p2pbuf_imp_device - one bound edu device
 * @drm: the DRM device (render node only)
 * @pdev: the PCI device
 * @engine: its DMA engine
 * @imports_lock: protects @imports and @natives; taken before any dma_resv
 * @imports: the live imported objects (&p2pbuf_imp_import.node)
 * @natives: the live native objects (&p2pbuf_imp_native.node); unbind
 *	gives back their DMA mappings of the device
 */
struct p2pbuf_imp_device {
	struct drm_device drm;
	struct pci_dev *pdev;
	struct p2pbuf_imp_engine engine;

	struct mutex imports_lock;	/* protects @imports, @natives */
	struct list_head imports;
	struct list_head natives;
};

/**
 * struct p2pbuf_imp_native - a native GEM object (shmem pages)
 * @shmem: the shmem object; shmem.sgt is its mapping for the engine, made
 *	at creation and given back on unbind (under the object's resv)
 * @node: in &p2pbuf_imp_device.natives, under its imports_lock, from
 *	GEM_CREATE's success to the object's free; empty otherwise
 */
struct p2pbuf_imp_native {
	struct drm_gem_shmem_object shmem;
	struct list_head node;
};

/**
 * struct p2pbuf_imp_pal_map - the importer's own mapping of a PAL
 * @iova: the IOVA range of the whole buffer (route
 *	%P2PBUF_PATH_HOST_BRIDGE_IOVA, unless @per_range)
 * @iova_len: bytes linked into @iova so far
 * @route: the route the mapping followed (the PAL's)
 * @dir: direction of the mapping
 * @per_range: every range was mapped with dma_map_phys() (the direct
 *	route, a failed dma_iova_try_alloc(), or %P2PBUF_IMP_PAL_PER_RANGE)
 * @nr: number of entries in @ranges
 * @ranges: the DMA addresses the engine is given, in buffer order: one
 *	entry for an IOVA mapping, one per PAL range otherwise
 *
 * Built by p2pbuf_imp_pal_dma_map(), given back by
 * p2pbuf_imp_pal_dma_unmap(); the caller serializes the two (an import's
 * reservation lock).
 */
struct p2pbuf_imp_pal_map {
	struct dma_iova_state iova;
	size_t iova_len;
	enum p2pbuf_path route;
	enum dma_data_direction dir;
	bool per_range;
	unsigned int nr;
	struct p2pbuf_dma_range *ranges;
};

/* p2pbuf_imp_pal_dma_map() flag: dma_map_phys() per range, even with an IOMMU */
#define P2PBUF_IMP_PAL_PER_RANGE	BIT(0)

/**
 * struct p2pbuf_imp_dma - the DMA addresses of an object, as the engine
 *	walks them
 * @sgt: an sg_table (native objects, sg_table imports), or NULL
 * @ranges: the importer's own mapping of a PAL import, when @sgt is NULL
 * @nr_ranges: entries of @ranges
 */
struct p2pbuf_imp_dma {
	struct sg_table *sgt;
	const struct p2pbuf_dma_range *ranges;
	unsigned int nr_ranges;
};

/**
 * struct p2pbuf_imp_import - a GEM object wrapping an imported dma-buf
 * @base: the GEM object; base.resv is the dma-buf's reservation object
 * @dmabuf: the imported buffer (a reference is held)
 * @dynimp: the dynamic attachment and its mapping (locking: see there)
 * @pal_map: the driver's own mapping while @dynimp holds a PAL; under the
 *	reservation lock like @dynimp
 * @node: in &p2pbuf_imp_device.imports, under its imports_lock
 */
struct p2pbuf_imp_import {
	struct drm_gem_object base;
	struct dma_buf *dmabuf;
	struct p2pbuf_dynimp dynimp;
	struct p2pbuf_imp_pal_map pal_map;
	struct list_head node;
};

static inline struct p2pbuf_imp_device *to_p2pbuf_imp(struct drm_device *drm)
{
	return container_of(drm, struct p2pbuf_imp_device, drm);
}

/* p2pbuf_imp_engine.c */
int p2pbuf_imp_engine_init(struct p2pbuf_imp_engine *engine,
			   struct drm_device *drm, struct pci_dev *pdev);
int p2pbuf_imp_engine_ready(struct p2pbuf_imp_engine *engine);
int p2pbuf_imp_engine_dma(struct p2pbuf_imp_engine *engine,
			  const struct p2pbuf_imp_job *job, u64 src, u64 dst,
			  u32 len, bool to_ram);
u64 p2pbuf_imp_engine_buffer(void);
struct dma_fence *p2pbuf_imp_engine_fence(struct p2pbuf_imp_engine *engine);
void p2pbuf_imp_engine_start(struct p2pbuf_imp_engine *engine,
			     struct p2pbuf_imp_job *job);
void p2pbuf_imp_engine_finish(struct p2pbuf_imp_engine *engine,
			      struct p2pbuf_imp_job *job, int error);
void p2pbuf_imp_engine_quiesce(struct p2pbuf_imp_engine *engine,
			       struct dma_resv *resv);
bool p2pbuf_imp_engine_stop(struct p2pbuf_imp_engine *engine);
void p2pbuf_imp_engine_fini(struct p2pbuf_imp_engine *engine);
bool p2pbuf_imp_engine_hw_busy(struct p2pbuf_imp_engine *engine);
void p2pbuf_imp_engine_set_hang(struct p2pbuf_imp_engine *engine,
				unsigned int commands);

/* p2pbuf_imp_gem.c */
struct drm_gem_object *p2pbuf_imp_gem_create_object(struct drm_device *drm,
						    size_t size);
void p2pbuf_imp_gem_unmap_all(struct p2pbuf_imp_device *idev);
int p2pbuf_imp_gem_map(struct drm_gem_object *obj, struct p2pbuf_imp_dma *dma);
void p2pbuf_imp_gem_sync(struct drm_gem_object *obj, struct sg_table *sgt,
			 bool for_device);
int p2pbuf_imp_gem_create_ioctl(struct drm_device *drm, void *data,
				struct drm_file *file);
int p2pbuf_imp_gem_mmap_offset_ioctl(struct drm_device *drm, void *data,
				     struct drm_file *file);
int p2pbuf_imp_gem_info_ioctl(struct drm_device *drm, void *data,
			      struct drm_file *file);

/* p2pbuf_imp_prime.c */
struct drm_gem_object *p2pbuf_imp_gem_prime_import(struct drm_device *drm,
						   struct dma_buf *dmabuf);
struct p2pbuf_imp_import *to_p2pbuf_imp_import(struct drm_gem_object *obj);
void p2pbuf_imp_prime_kill_all(struct p2pbuf_imp_device *idev);

/* p2pbuf_imp_pal.c */
int p2pbuf_imp_pal_dma_map(struct device *dev, const struct p2pbuf_pal *pal,
			   struct p2pbuf_imp_pal_map *map,
			   enum dma_data_direction dir, unsigned int flags);
void p2pbuf_imp_pal_dma_unmap(struct device *dev,
			      struct p2pbuf_imp_pal_map *map);
int p2pbuf_imp_dma_walk_start(struct p2pbuf_sg_walk *walk,
			      const struct p2pbuf_imp_dma *dma,
			      struct device *dev, u64 offset);
int p2pbuf_imp_gem_mapping_ioctl(struct drm_device *drm, void *data,
				 struct drm_file *file);
u32 p2pbuf_imp_uapi_map_type(enum p2pbuf_map_type type);
u32 p2pbuf_imp_uapi_route(enum p2pbuf_path path);
int p2pbuf_imp_import_pal_map(struct p2pbuf_dynimp *dynimp,
			      const struct p2pbuf_pal *pal);
void p2pbuf_imp_import_pal_unmap(struct p2pbuf_dynimp *dynimp,
				 const struct p2pbuf_pal *pal);

/* p2pbuf_imp_submit.c */
int p2pbuf_imp_copy_ioctl(struct drm_device *drm, void *data,
			  struct drm_file *file);
int p2pbuf_imp_pattern_ioctl(struct drm_device *drm, void *data,
			     struct drm_file *file);

/* p2pbuf_imp_bench.c */
int p2pbuf_imp_bench_map_ioctl(struct drm_device *drm, void *data,
			       struct drm_file *file);

/* p2pbuf_imp_debugfs.c */
void p2pbuf_imp_debugfs_init(struct drm_minor *minor);
void p2pbuf_imp_debugfs_register(struct p2pbuf_imp_device *idev);

#endif /* _P2PBUF_IMP_DRV_H */
