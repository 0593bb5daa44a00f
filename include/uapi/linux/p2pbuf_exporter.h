/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * p2pbuf_exporter: dma-bufs of PCI BAR memory for peer-to-peer DMA.
 *
 * The driver creates one character device per bound PCI function,
 * /dev/p2pbuf-exp-<domain:bus:dev.fn>.  Its ioctls query the exportable
 * BARs, export ranges of one BAR as a dma-buf, and revoke (or restore)
 * importers' access to an exported dma-buf.  Documentation/exporter.rst
 * describes every field and every error.
 *
 * All structures have the same layout for 32-bit and 64-bit userspace:
 * fixed-size types only, user pointers passed as __u64, no implicit
 * padding.  Every reserved field must be zero; every flag not defined
 * here must be clear.
 */
#ifndef _UAPI_LINUX_P2PBUF_EXPORTER_H
#define _UAPI_LINUX_P2PBUF_EXPORTER_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * P2PBUF_EXP_NUM_BARS - number of BAR indices (the six standard BARs)
 */
#define P2PBUF_EXP_NUM_BARS	6

/**
 * P2PBUF_EXP_MAX_RANGES - most ranges one dma-buf may be made of
 *
 * Bounds the memory the kernel allocates for one export request.
 */
#define P2PBUF_EXP_MAX_RANGES	1024

/**
 * struct p2pbuf_exp_query - what the device can export
 * @flags: in: must be 0
 * @bar_mask: out: bit n is set when BAR n can be exported
 * @max_ranges: out: most ranges per export, %P2PBUF_EXP_MAX_RANGES
 * @align: out: alignment, in bytes, required of every range offset and
 *	length (the kernel's page size)
 * @bar_size: out: size in bytes of each exportable BAR, 0 for the others
 * @alloc_offset: out: %P2PBUF_EXP_IOCTL_ALLOC places objects at or above
 *	this offset of a BAR (the module parameter alloc_offset); the
 *	bytes below it are left to %P2PBUF_EXP_IOCTL_EXPORT alone
 * @reserved: in: must be 0; out: 0
 */
struct p2pbuf_exp_query {
	__u32 flags;
	__u32 bar_mask;
	__u32 max_ranges;
	__u32 align;
	__u64 bar_size[P2PBUF_EXP_NUM_BARS];
	__u64 alloc_offset;
	__u64 reserved[3];
};

/**
 * struct p2pbuf_exp_range - one range of a BAR
 * @offset: offset of the range from the start of the BAR, in bytes
 * @length: length of the range in bytes, not 0
 *
 * Both must be multiples of &p2pbuf_exp_query.align.
 */
struct p2pbuf_exp_range {
	__u64 offset;
	__u64 length;
};

/**
 * struct p2pbuf_exp_export - export ranges of a BAR as a dma-buf
 * @flags: in: must be 0
 * @bar: in: index of the BAR the ranges are in
 * @ranges: in: user pointer to an array of @nr_ranges
 *	&struct p2pbuf_exp_range.  The buffer is the concatenation of the
 *	ranges in array order; ranges must not overlap.
 * @nr_ranges: in: number of ranges, 1 to %P2PBUF_EXP_MAX_RANGES
 * @open_flags: in: flags of the new file: O_RDONLY or O_RDWR, optionally
 *	ORed with O_CLOEXEC (the values of the caller's <fcntl.h>)
 * @fd: out: the dma-buf file descriptor
 * @reserved0: in: must be 0
 * @size: out: size of the dma-buf in bytes (the sum of the lengths)
 * @reserved: in: must be 0
 */
struct p2pbuf_exp_export {
	__u32 flags;
	__u32 bar;
	__u64 ranges;
	__u32 nr_ranges;
	__u32 open_flags;
	__s32 fd;
	__u32 reserved0;
	__u64 size;
	__u64 reserved[2];
};

/* Reasons a dma-buf is revoked, as reported in &p2pbuf_exp_revoke.state. */
/**
 * P2PBUF_EXP_REVOKED_USER - revoked with %P2PBUF_EXP_IOCTL_REVOKE
 */
#define P2PBUF_EXP_REVOKED_USER		(1U << 0)
/**
 * P2PBUF_EXP_REVOKED_RESET - the PCI function is being reset
 */
#define P2PBUF_EXP_REVOKED_RESET	(1U << 1)
/**
 * P2PBUF_EXP_REVOKED_GONE - the driver was unbound: revoked for good
 */
#define P2PBUF_EXP_REVOKED_GONE		(1U << 2)

/**
 * P2PBUF_EXP_REVOKE_RESTORE - undo an earlier %P2PBUF_EXP_IOCTL_REVOKE
 */
#define P2PBUF_EXP_REVOKE_RESTORE	(1U << 0)

/**
 * struct p2pbuf_exp_revoke - revoke or restore importers' access
 * @flags: in: 0 to revoke, %P2PBUF_EXP_REVOKE_RESTORE to restore
 * @fd: in: a dma-buf exported by this device
 * @state: out: the P2PBUF_EXP_REVOKED_* reasons the dma-buf is revoked
 *	for after the call; 0 when importers may map it.  A migratable
 *	object is never revoked: it moves to system memory and importers
 *	keep access; @state is then the reasons it is kept out of the BAR
 * @reserved: in: must be 0
 */
struct p2pbuf_exp_revoke {
	__u32 flags;
	__s32 fd;
	__u32 state;
	__u32 reserved;
};

/**
 * P2PBUF_EXP_ALLOC_MIGRATABLE - the object may move to system memory
 *
 * Without it an allocated object follows the rule of exported ranges:
 * an importer that cannot reach the BAR peer-to-peer is refused.  With
 * it, such an importer gets the object moved to system memory instead
 * (Documentation/migration.rst).
 */
#define P2PBUF_EXP_ALLOC_MIGRATABLE	(1U << 0)

/**
 * P2PBUF_EXP_FREE_POISON - the byte BAR memory is filled with when an
 *	allocated object gives it back (freed, or moved to system memory)
 */
#define P2PBUF_EXP_FREE_POISON		0xa5

/**
 * struct p2pbuf_exp_alloc - allocate an object from a BAR, as a dma-buf
 * @flags: in: 0 or %P2PBUF_EXP_ALLOC_MIGRATABLE
 * @bar: in: index of an exportable BAR
 * @size: in: size in bytes; not 0, a multiple of
 *	&p2pbuf_exp_query.align, at most the BAR's size
 * @align: in: alignment of the object's BAR offset in bytes: 0 for
 *	&p2pbuf_exp_query.align, otherwise a power of two not smaller than
 *	it and not larger than the BAR or 1 GiB
 * @open_flags: in: flags of the new file, as &p2pbuf_exp_export.open_flags
 * @fd: out: the dma-buf file descriptor
 * @offset: out: offset of the object from the start of the BAR
 * @reserved: in: must be 0
 *
 * The object's memory is zeroed.  -ENOSPC when the BAR has no free
 * stretch of @size bytes at @align, -EBUSY while the device is being
 * reset.
 */
struct p2pbuf_exp_alloc {
	__u32 flags;
	__u32 bar;
	__u64 size;
	__u64 align;
	__u32 open_flags;
	__s32 fd;
	__u64 offset;
	__u64 reserved[2];
};

/* Kinds of dma-buf, as reported in &p2pbuf_exp_info.kind. */
/**
 * P2PBUF_EXP_KIND_RANGES - made by %P2PBUF_EXP_IOCTL_EXPORT
 */
#define P2PBUF_EXP_KIND_RANGES		1
/**
 * P2PBUF_EXP_KIND_OBJECT - made by %P2PBUF_EXP_IOCTL_ALLOC without
 *	%P2PBUF_EXP_ALLOC_MIGRATABLE
 */
#define P2PBUF_EXP_KIND_OBJECT		2
/**
 * P2PBUF_EXP_KIND_MIGRATABLE - made by %P2PBUF_EXP_IOCTL_ALLOC with
 *	%P2PBUF_EXP_ALLOC_MIGRATABLE
 */
#define P2PBUF_EXP_KIND_MIGRATABLE	3

/* Where the memory of a dma-buf is, as reported in &p2pbuf_exp_info. */
/**
 * P2PBUF_EXP_PLACEMENT_BAR - in the device's BAR
 */
#define P2PBUF_EXP_PLACEMENT_BAR	1
/**
 * P2PBUF_EXP_PLACEMENT_SYSTEM - in system memory (a migrated object)
 */
#define P2PBUF_EXP_PLACEMENT_SYSTEM	2

/**
 * P2PBUF_EXP_NO_OFFSET - &p2pbuf_exp_info.bar_offset of an object that
 *	is not in the BAR
 */
#define P2PBUF_EXP_NO_OFFSET		(~0ULL)

/**
 * struct p2pbuf_exp_info - where a dma-buf's memory is and who uses it
 * @flags: in: must be 0
 * @fd: in: a dma-buf exported by this device
 * @kind: out: a P2PBUF_EXP_KIND_* value
 * @placement: out: a P2PBUF_EXP_PLACEMENT_* value
 * @size: out: size of the dma-buf in bytes
 * @bar_offset: out: BAR offset of the memory (of the first range for
 *	%P2PBUF_EXP_KIND_RANGES); %P2PBUF_EXP_NO_OFFSET when not in the BAR
 * @bar: out: index of the BAR
 * @migrations: out: moves between the BAR and system memory so far
 * @attachments: out: number of importers attached
 * @system_attachments: out: of those, the ones that need system memory
 *	(they keep a migratable object there)
 * @pins: out: number of pins (static importers' mappings)
 * @revoked: out: the P2PBUF_EXP_REVOKED_* reasons the dma-buf is revoked
 *	for; for an object, the reasons it is kept out of the BAR
 * @reserved: in: must be 0; out: 0
 *
 * A snapshot: placement and counts may change as soon as the ioctl
 * returns.
 */
struct p2pbuf_exp_info {
	__u32 flags;
	__s32 fd;
	__u32 kind;
	__u32 placement;
	__u64 size;
	__u64 bar_offset;
	__u32 bar;
	__u32 migrations;
	__u32 attachments;
	__u32 system_attachments;
	__u32 pins;
	__u32 revoked;
	__u64 reserved[2];
};

/*
 * Ioctl type 0xB9, numbers 0x00-0x1f: reserved in
 * Documentation/userspace-api/ioctl/ioctl-number.rst by
 * upstream/linux-7.3/0006 (a free type in Linux 7.3's table).
 */
#define P2PBUF_EXP_IOCTL_BASE	0xB9

/**
 * P2PBUF_EXP_IOCTL_QUERY - fill &struct p2pbuf_exp_query
 */
#define P2PBUF_EXP_IOCTL_QUERY \
	_IOWR(P2PBUF_EXP_IOCTL_BASE, 0x00, struct p2pbuf_exp_query)
/**
 * P2PBUF_EXP_IOCTL_EXPORT - export a dma-buf, see &struct p2pbuf_exp_export
 */
#define P2PBUF_EXP_IOCTL_EXPORT \
	_IOWR(P2PBUF_EXP_IOCTL_BASE, 0x01, struct p2pbuf_exp_export)
/**
 * P2PBUF_EXP_IOCTL_REVOKE - revoke or restore, see &struct p2pbuf_exp_revoke
 */
#define P2PBUF_EXP_IOCTL_REVOKE \
	_IOWR(P2PBUF_EXP_IOCTL_BASE, 0x02, struct p2pbuf_exp_revoke)
/**
 * P2PBUF_EXP_IOCTL_ALLOC - allocate an object, see &struct p2pbuf_exp_alloc
 */
#define P2PBUF_EXP_IOCTL_ALLOC \
	_IOWR(P2PBUF_EXP_IOCTL_BASE, 0x03, struct p2pbuf_exp_alloc)
/**
 * P2PBUF_EXP_IOCTL_INFO - fill &struct p2pbuf_exp_info
 */
#define P2PBUF_EXP_IOCTL_INFO \
	_IOWR(P2PBUF_EXP_IOCTL_BASE, 0x04, struct p2pbuf_exp_info)

#endif /* _UAPI_LINUX_P2PBUF_EXPORTER_H */
