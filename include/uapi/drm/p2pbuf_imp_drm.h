/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * p2pbuf_imp: a DRM render driver for a DMA engine that imports dma-bufs,
 * including other PCI devices' BAR memory (peer-to-peer), the way a GPU or
 * an RDMA NIC does.
 *
 * Buffers are GEM objects: native ones (system memory, created with
 * %DRM_IOCTL_P2PBUF_IMP_GEM_CREATE, CPU-mappable) or imported ones
 * (DRM_IOCTL_PRIME_FD_TO_HANDLE, i.e. drmPrimeFDToHandle()).  The engine
 * copies bytes between two objects, or writes and checks a test pattern
 * (include/uapi/linux/p2pbuf_pattern.h) in one.  Imported buffers are
 * mapped for the device on first use and again after the exporter moved
 * or revoked them; an ioctl on a revoked buffer fails with the exporter's
 * error (-ENODEV for p2pbuf_exporter).  Documentation/importer.rst
 * describes the driver.
 *
 * All structures have the same layout for 32-bit and 64-bit userspace.
 * Every field named pad, and every flag not defined here, must be zero;
 * the kernel fails the ioctl with -EINVAL otherwise.
 */
#ifndef _UAPI_P2PBUF_IMP_DRM_H_
#define _UAPI_P2PBUF_IMP_DRM_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/** P2PBUF_IMP_DRIVER_NAME - the driver's name, as drmGetVersion() reports it */
#define P2PBUF_IMP_DRIVER_NAME	"p2pbuf_imp"

/**
 * P2PBUF_IMP_MAX_OBJECT_SIZE - largest native GEM object, in bytes
 *
 * Native objects are backed by pinned system memory from creation on.
 */
#define P2PBUF_IMP_MAX_OBJECT_SIZE	(64ULL << 20)

#define DRM_P2PBUF_IMP_GEM_CREATE	0x00
#define DRM_P2PBUF_IMP_GEM_MMAP_OFFSET	0x01
#define DRM_P2PBUF_IMP_GEM_INFO		0x02
#define DRM_P2PBUF_IMP_COPY		0x03
#define DRM_P2PBUF_IMP_PATTERN		0x04
#define DRM_P2PBUF_IMP_BENCH_MAP	0x05
#define DRM_P2PBUF_IMP_GEM_MAPPING	0x06

/**
 * struct drm_p2pbuf_imp_gem_create - create a native GEM object
 * @size: in: size in bytes, 1 to %P2PBUF_IMP_MAX_OBJECT_SIZE (-EINVAL,
 *	-E2BIG); out: the size rounded up to the page size.  Also -ENOMEM,
 *	and -ENODEV once the device is unbound.
 * @flags: in: must be 0
 * @handle: out: the object's handle
 *
 * The object is zero-filled system memory, mapped for the engine from
 * creation on, and can be mapped by the CPU (see
 * &struct drm_p2pbuf_imp_gem_mmap_offset) and exported with PRIME.
 */
struct drm_p2pbuf_imp_gem_create {
	__u64 size;
	__u32 flags;
	__u32 handle;
};

/**
 * struct drm_p2pbuf_imp_gem_mmap_offset - where to mmap() a native object
 * @handle: in: a native object (-EINVAL for an imported one, whose memory
 *	the CPU reaches through the exporter, if at all)
 * @pad: in: must be 0
 * @offset: out: the offset to pass to mmap() on the DRM file
 */
struct drm_p2pbuf_imp_gem_mmap_offset {
	__u32 handle;
	__u32 pad;
	__u64 offset;
};

/* Values of &drm_p2pbuf_imp_gem_info.kind */
/** P2PBUF_IMP_KIND_NATIVE - created with %DRM_IOCTL_P2PBUF_IMP_GEM_CREATE */
#define P2PBUF_IMP_KIND_NATIVE		0
/** P2PBUF_IMP_KIND_IMPORT - imported dma-buf of another device or driver */
#define P2PBUF_IMP_KIND_IMPORT		1

/* Values of &drm_p2pbuf_imp_gem_info.state */
/** P2PBUF_IMP_STATE_UNMAPPED - imported, not mapped for the device yet */
#define P2PBUF_IMP_STATE_UNMAPPED	0
/** P2PBUF_IMP_STATE_MAPPED - mapped for the device (always, when native) */
#define P2PBUF_IMP_STATE_MAPPED		1
/**
 * P2PBUF_IMP_STATE_INVALIDATED - the exporter took the mapping back; the
 * next use maps again, or fails if the memory was revoked
 */
#define P2PBUF_IMP_STATE_INVALIDATED	2
/** P2PBUF_IMP_STATE_DEAD - the device was unbound; every use fails */
#define P2PBUF_IMP_STATE_DEAD		3

/* Bits of &drm_p2pbuf_imp_gem_info.info_flags */
/**
 * P2PBUF_IMP_INFO_PEER2PEER - the import accepts peer-to-peer memory
 * (the attachment was made with allow_peer2peer; see the driver's p2p
 * module parameter)
 */
#define P2PBUF_IMP_INFO_PEER2PEER	(1U << 0)

/**
 * P2PBUF_IMP_GEM_INFO_MAP - &drm_p2pbuf_imp_gem_info.flags: map an import
 * for the device first, as its next use would, and fail with the
 * exporter's error if that is refused.  Lets userspace see where the
 * device would DMA (debugfs) without moving a byte.
 */
#define P2PBUF_IMP_GEM_INFO_MAP		(1U << 0)

/**
 * struct drm_p2pbuf_imp_gem_info - describe a GEM object
 * @handle: in: the object
 * @flags: in: 0 or %P2PBUF_IMP_GEM_INFO_MAP
 * @size: out: size in bytes
 * @kind: out: P2PBUF_IMP_KIND_*
 * @state: out: P2PBUF_IMP_STATE_*
 * @info_flags: out: P2PBUF_IMP_INFO_* bits
 * @map_errno: out: negative errno of the last failed map of an import,
 *	0 if the last map succeeded or none was tried
 * @maps: out: number of times an import was mapped for the device
 * @invalidates: out: number of invalidations its exporter sent
 * @dma_segments: out: number of DMA address segments of the current
 *	mapping, 0 when not mapped
 * @map_type: out: the negotiated mapping type, P2PBUF_IMP_MAP_TYPE_*
 *	(%P2PBUF_IMP_MAP_TYPE_SGT for native objects; was a pad that read 0)
 * @dma_addr: out: DMA address of the first segment of the current
 *	mapping, 0 when not mapped
 * @route: out: P2PBUF_IMP_ROUTE_*: for a PAL mapping the route its
 *	exporter decided; %P2PBUF_IMP_ROUTE_UNKNOWN otherwise (the sg_table
 *	does not say)
 * @pad2: out: 0
 */
struct drm_p2pbuf_imp_gem_info {
	__u32 handle;
	__u32 flags;
	__u64 size;
	__u32 kind;
	__u32 state;
	__u32 info_flags;
	__s32 map_errno;
	__u64 maps;
	__u64 invalidates;
	__u32 dma_segments;
	__u32 map_type;
	__u64 dma_addr;
	__u32 route;
	__u32 pad2;
};

/* Values of &drm_p2pbuf_imp_gem_info.map_type and .._gem_mapping.map_type */
/**
 * P2PBUF_IMP_MAP_TYPE_SGT - the exporter maps the buffer
 * (dma_buf_map_attachment(): an sg_table of DMA addresses)
 */
#define P2PBUF_IMP_MAP_TYPE_SGT		0
/**
 * P2PBUF_IMP_MAP_TYPE_PAL - the exporter hands out a physical address
 * list and the importer maps it itself (Documentation/importer.rst)
 */
#define P2PBUF_IMP_MAP_TYPE_PAL		1

/* Values of &drm_p2pbuf_imp_gem_info.route */
/** P2PBUF_IMP_ROUTE_UNKNOWN - not mapped, or mapped by the exporter */
#define P2PBUF_IMP_ROUTE_UNKNOWN	0
/** P2PBUF_IMP_ROUTE_BUS_ADDR - PCI bus addresses, through a switch */
#define P2PBUF_IMP_ROUTE_BUS_ADDR	1
/** P2PBUF_IMP_ROUTE_HOST_BRIDGE_IOVA - host bridge, one IOVA range */
#define P2PBUF_IMP_ROUTE_HOST_BRIDGE_IOVA	2
/** P2PBUF_IMP_ROUTE_HOST_BRIDGE_DIRECT - host bridge, CPU physical addresses */
#define P2PBUF_IMP_ROUTE_HOST_BRIDGE_DIRECT	3

/* Bits of &drm_p2pbuf_imp_gem_mapping.accept */
/** P2PBUF_IMP_MAP_SGT - the import accepts the exporter's sg_table */
#define P2PBUF_IMP_MAP_SGT		(1U << P2PBUF_IMP_MAP_TYPE_SGT)
/** P2PBUF_IMP_MAP_PAL - the import accepts a physical address list */
#define P2PBUF_IMP_MAP_PAL		(1U << P2PBUF_IMP_MAP_TYPE_PAL)

/**
 * struct drm_p2pbuf_imp_gem_mapping - choose how an import is mapped
 * @handle: in: an imported object (-EINVAL for a native one)
 * @accept: in: the mapping types the import accepts, P2PBUF_IMP_MAP_*
 *	bits; not 0, no other bit (-EINVAL).  Every import starts with
 *	%P2PBUF_IMP_MAP_SGT.
 * @map_type: out: the type the exporter chose, P2PBUF_IMP_MAP_TYPE_*
 * @pad: in: must be 0
 *
 * The exporter picks among @accept by its own priority, for this
 * attachment: p2pbuf_exporter offers a PAL for fixed buffers of BAR
 * memory on every P2P route and an sg_table only for migratable objects
 * (which may be in system memory); other exporters (vgem) offer only the
 * sg_table.  The choice holds until the next GEM_MAPPING; the next use
 * maps with it.
 *
 * Errors: -ENOENT for an unknown handle; -EINVAL for a native object or
 * a bad field; -EBUSY while the import is mapped (state
 * %P2PBUF_IMP_STATE_MAPPED: choose before the first use, or after an
 * invalidation); -EOPNOTSUPP when the exporter offers none of @accept
 * (the import keeps its previous type); -ENODEV once the importer or the
 * exporter's device is unbound; -EINTR on a signal.
 */
struct drm_p2pbuf_imp_gem_mapping {
	__u32 handle;
	__u32 accept;
	__u32 map_type;
	__u32 pad;
};

/**
 * struct drm_p2pbuf_imp_copy - copy bytes from one object to another
 * @src_handle: in: the object to read
 * @dst_handle: in: the object to write; may be @src_handle if the ranges
 *	do not overlap
 * @src_offset: in: byte offset into the source
 * @dst_offset: in: byte offset into the destination
 * @size: in: bytes to copy, not 0; both ranges must lie inside their
 *	objects
 * @flags: in: must be 0
 * @pad: in: must be 0
 *
 * The engine moves the bytes by DMA, device to device when an object is
 * another device's memory.  Returns 0 once every byte was written.
 * Errors: -ENOENT for an unknown handle; -EINVAL for a bad field, a range
 * outside its object or overlapping ranges; the exporter's error when an
 * import cannot be mapped (-ENODEV when revoked), also when it is revoked
 * while the copy runs (the copy stops; some bytes may have been written);
 * -ETIMEDOUT when an engine command timed out (the device is stopped
 * before the ioctl returns: no byte moves after) or the other users of
 * the objects took more than 10 s, -EIO while the engine stays busy with
 * a timed-out command; -ENODEV once the device is unbound; -EINTR on a
 * signal; -EBUSY when invalidations stopped the work 16 times in a row
 * before any progress.  Waits for the other users of both objects
 * (implicit synchronisation through their reservation objects) first.
 */
struct drm_p2pbuf_imp_copy {
	__u32 src_handle;
	__u32 dst_handle;
	__u64 src_offset;
	__u64 dst_offset;
	__u64 size;
	__u32 flags;
	__u32 pad;
};

/* Values of &drm_p2pbuf_imp_pattern.op */
/** P2PBUF_IMP_PATTERN_WRITE - write the pattern into the object */
#define P2PBUF_IMP_PATTERN_WRITE	0
/** P2PBUF_IMP_PATTERN_CHECK - read the object and compare with the pattern */
#define P2PBUF_IMP_PATTERN_CHECK	1

/** P2PBUF_IMP_PATTERN_MATCH - &drm_p2pbuf_imp_pattern.bad_offset: no mismatch */
#define P2PBUF_IMP_PATTERN_MATCH	(~0ULL)

/**
 * struct drm_p2pbuf_imp_pattern - write or check the test pattern
 * @handle: in: the object
 * @op: in: %P2PBUF_IMP_PATTERN_WRITE or %P2PBUF_IMP_PATTERN_CHECK
 * @offset: in: byte offset of the range in the object
 * @size: in: length of the range in bytes, not 0; inside the object
 * @seed: in: the pattern's seed: byte k of the range is
 *	p2pbuf_pattern_byte(@seed, k)
 * @flags: in: must be 0
 * @bad_offset: out, CHECK: offset from the start of the range of the first
 *	byte that differs, %P2PBUF_IMP_PATTERN_MATCH if none does
 * @found: out, CHECK: the byte found at @bad_offset
 * @expected: out, CHECK: the byte the pattern has there
 * @pad: in: must be 0
 *
 * The pattern lives in the driver's own system memory: WRITE has the
 * engine copy it into the range, CHECK has the engine copy the range into
 * that memory, where the CPU compares it.  Errors as for
 * &struct drm_p2pbuf_imp_copy.
 */
struct drm_p2pbuf_imp_pattern {
	__u32 handle;
	__u32 op;
	__u64 offset;
	__u64 size;
	__u32 seed;
	__u32 flags;
	__u64 bad_offset;
	__u8 found;
	__u8 expected;
	__u8 pad[6];
};

/**
 * P2PBUF_IMP_BENCH_MAX_ITERATIONS - most iterations of one
 *	%DRM_IOCTL_P2PBUF_IMP_BENCH_MAP
 *
 * Bounds the time the buffer's reservation lock is held and the memory
 * the kernel allocates for the samples (24 bytes per iteration).
 */
#define P2PBUF_IMP_BENCH_MAX_ITERATIONS	10000

/* Values of &drm_p2pbuf_imp_bench_map.way */
/**
 * P2PBUF_IMP_BENCH_WAY_SGT - the exporter maps: dma_buf_map_attachment()
 *	and dma_buf_unmap_attachment(), whatever the exporter
 */
#define P2PBUF_IMP_BENCH_WAY_SGT	0
/**
 * P2PBUF_IMP_BENCH_WAY_PAL - the importer maps the exporter's physical
 *	address list itself, as an import of type %P2PBUF_IMP_MAP_TYPE_PAL
 *	does: through an IOMMU one dma_iova_try_alloc(), one dma_iova_link()
 *	per range, one dma_iova_sync(); bus addresses below a switch; one
 *	dma_map_phys() per range without a translating IOMMU
 */
#define P2PBUF_IMP_BENCH_WAY_PAL	1
/**
 * P2PBUF_IMP_BENCH_WAY_PER_RANGE - the legacy baseline: the importer maps
 *	every range of the physical address list with its own
 *	dma_map_phys(%DMA_ATTR_MMIO) (dma_map_resource()), on every route
 */
#define P2PBUF_IMP_BENCH_WAY_PER_RANGE	2

/**
 * struct drm_p2pbuf_imp_bench_map - time one way of mapping an import
 * @handle: in: an imported object (-EINVAL for a native one)
 * @iterations: in: how many times to map and unmap, 1 to
 *	%P2PBUF_IMP_BENCH_MAX_ITERATIONS
 * @flags: in: must be 0
 * @nents: out: DMA entries of the first mapping (&sg_table.nents for
 *	%P2PBUF_IMP_BENCH_WAY_SGT, DMA addresses for the others)
 * @map_median_ns: out: median time of one map
 * @map_p99_ns: out: its 99th percentile (nearest rank)
 * @unmap_median_ns: out: median time of one unmap
 * @unmap_p99_ns: out: its 99th percentile
 * @total_median_ns: out: median time of one map plus the unmap after it
 * @total_p99_ns: out: its 99th percentile
 * @reserved: in: must be 0; out: 0
 * @way: in: how to map, a %P2PBUF_IMP_BENCH_WAY_* value (0, the
 *	exporter's sg_table, for callers that predate the field)
 * @pad: in: must be 0
 *
 * A measurement path, not a way to move data: the driver maps the
 * import's buffer @iterations times @way and unmaps each mapping at once,
 * all under the dma-buf's reservation lock (so no invalidation can come
 * between), timing every call with ktime_get_ns().  An iteration of a PAL
 * way takes the ranges from the exporter, maps them, unmaps them and
 * gives them back, on an attachment the driver makes for the call; the
 * import's own attachment, its mapping type and its mapping for the
 * engine are left alone.  The mappings are never handed to the device.
 *
 * Errors: -ENOENT for an unknown handle; -EINVAL for a native object or a
 * bad field (@flags, @reserved or @pad not 0, @iterations out of range, an
 * unknown @way); -EOPNOTSUPP for %P2PBUF_IMP_BENCH_WAY_PAL and
 * %P2PBUF_IMP_BENCH_WAY_PER_RANGE when the exporter offers this device no
 * physical address list for the buffer (not p2pbuf's exporter, a
 * migratable object, no P2P route, or the driver loaded with p2p=0); the
 * exporter's attach error for those
 * ways; the map's error (the first failing iteration's: -ENODEV when
 * revoked, -ENOMEM when the DMA API cannot map a range); -ENOMEM; -EINTR
 * on a signal; -ENODEV once the device is unbound.
 */
struct drm_p2pbuf_imp_bench_map {
	__u32 handle;
	__u32 iterations;
	__u32 flags;
	__u32 nents;
	__u64 map_median_ns;
	__u64 map_p99_ns;
	__u64 unmap_median_ns;
	__u64 unmap_p99_ns;
	__u64 total_median_ns;
	__u64 total_p99_ns;
	__u64 reserved[2];
	__u32 way;
	__u32 pad;
};

#define DRM_IOCTL_P2PBUF_IMP_GEM_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_P2PBUF_IMP_GEM_CREATE, \
		 struct drm_p2pbuf_imp_gem_create)
#define DRM_IOCTL_P2PBUF_IMP_GEM_MMAP_OFFSET \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_P2PBUF_IMP_GEM_MMAP_OFFSET, \
		 struct drm_p2pbuf_imp_gem_mmap_offset)
#define DRM_IOCTL_P2PBUF_IMP_GEM_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_P2PBUF_IMP_GEM_INFO, \
		 struct drm_p2pbuf_imp_gem_info)
#define DRM_IOCTL_P2PBUF_IMP_COPY \
	DRM_IOW(DRM_COMMAND_BASE + DRM_P2PBUF_IMP_COPY, \
		struct drm_p2pbuf_imp_copy)
#define DRM_IOCTL_P2PBUF_IMP_PATTERN \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_P2PBUF_IMP_PATTERN, \
		 struct drm_p2pbuf_imp_pattern)
#define DRM_IOCTL_P2PBUF_IMP_BENCH_MAP \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_P2PBUF_IMP_BENCH_MAP, \
		 struct drm_p2pbuf_imp_bench_map)

#define DRM_IOCTL_P2PBUF_IMP_GEM_MAPPING \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_P2PBUF_IMP_GEM_MAPPING, \
		 struct drm_p2pbuf_imp_gem_mapping)

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_P2PBUF_IMP_DRM_H_ */
