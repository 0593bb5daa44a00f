// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_importer - does a dma-buf import carry real bytes, device to
 * device?
 *
 * The importer (p2pbuf_imp, a DRM render driver for the test bed's edu DMA
 * engine) imports dma-bufs with drmPrimeFDToHandle() as a GPU does, and its
 * engine copies bytes between GEM objects or writes and checks the shared
 * test pattern.  Imports come from vgem (system memory) and from
 * p2pbuf_exporter (ranges of the ivshmem device's BAR2: peer-to-peer).
 * Bytes the engine writes into the BAR are checked three ways: by the
 * engine reading them back, by copying them into a CPU-mapped GEM object,
 * and by the host, in the BAR's backing file after the guest powered off
 * ($P2PBUF_RESULTS/host-checks.txt).  Where the topology carries no data
 * device to device ($P2PBUF_DATA is not "ok") the subtests that would
 * move bytes through the BAR skip with that reason; where the kernel knows
 * no P2P route ($P2PBUF_EXPECT "none") the BAR cannot be imported at all.
 *
 * Every subtest that writes the BAR owns a region of it (REGION_*), so the
 * host's checks of one subtest are not disturbed by another; the test
 * bed's probe owns the first page.
 *
 * Every subtest that imports runs twice, as dynamic subtests named by the
 * mapping type the import takes (struct imp_mode): "sg-table", the
 * exporter's table, and "pal", the physical address list the importer
 * maps itself (DRM_IOCTL_P2PBUF_IMP_GEM_MAPPING).  Each mode writes its
 * own copy of every region (imp_mode.region_off), so the host checks the
 * bytes of each mode, not the last writer's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt.h"
#include "igt_kmod.h"

#include "p2pbuf_igt.h"
#include "p2pbuf_sysfs.h"

#include "../include/uapi/drm/p2pbuf_imp_drm.h"
#include "../include/uapi/linux/p2pbuf_exporter.h"
#include "../include/uapi/linux/p2pbuf_pattern.h"

IGT_TEST_DESCRIPTION("The p2pbuf importer imports dma-bufs (vgem system "
		     "memory, p2pbuf_exporter BAR ranges) with a dynamic "
		     "attachment and has its DMA engine move bytes through "
		     "them, device to device; checks the bytes from the guest "
		     "and from the host, and revoke, unbind and error paths.");

#define IMP_MODULE	"p2pbuf_importer"
#define PROBE_MODULE	"p2pbuf_probe"
#define IMP_DRIVER	"p2pbuf_importer"	/* the PCI driver */
#define EXP_DRIVER	"p2pbuf_exporter"
#define EXP_BAR		2
#define PAGE		4096ULL

/*
 * BAR2 regions, one per subtest that writes the BAR (the lower 16 MiB of
 * the 32 MiB BAR; the allocator owns the upper half).  Each mode's copy is
 * mode->region_off further up; the max-ranges one, which fills up to
 * 16 MiB, further down, into the unused 7th MiB.
 */
#define REGION_ONE	((1ULL << 20) + mode->region_off)
#define REGION_SEVERAL	((2ULL << 20) + mode->region_off)
#define REGION_REVOKE	((3ULL << 20) + mode->region_off)
#define REGION_UNBIND	((4ULL << 20) + mode->region_off)
#define REGION_DEMO	((5ULL << 20) + mode->region_off)
#define REGION_IMPORT	((6ULL << 20) + mode->region_off)
#define REGION_MAX	((8ULL << 20) - mode->region_off) /* 1024 ranges */

/* A range of the exported buffer, as the exporter takes it. */
struct range {
	uint64_t offset;	/* in BAR2 */
	uint64_t length;
};

static struct {
	int fd;			/* the importer's render node */
	char imp_bdf[32];	/* the edu device */
	char imp_debugfs[64];	/* the DRM device's debugfs dir (relative) */
	int exp_fd;		/* the exporter's character device, or -1 */
	char exp_bdf[32];	/* the ivshmem device */
	uint64_t bar_size;	/* BAR2 */
	uint64_t bar_phys;	/* BAR2's CPU physical address */
	uint64_t bar_bus;	/* BAR2's bus address */
	uint32_t max_ranges;
} t = { .fd = -1, .exp_fd = -1 };

static char report[1 << 20];	/* "imports" lists every DMA segment: 4096 of a 16 MiB vgem object */

/*
 * How imports are mapped: the dynamic subtest each subtest that imports
 * runs as.  @accept: what DRM_IOCTL_P2PBUF_IMP_GEM_MAPPING is told right
 * after each import (0: nothing, the import's default); @type: the type a
 * fixed buffer of BAR ranges then gets; @region_off: where this mode's
 * copy of the BAR regions is.
 */
struct imp_mode {
	const char *name;
	uint32_t accept;
	uint32_t type;
	uint64_t region_off;
};

static const struct imp_mode modes[] = {
	{ "sg-table", 0, P2PBUF_IMP_MAP_TYPE_SGT, 0 },
	{ "pal", P2PBUF_IMP_MAP_SGT | P2PBUF_IMP_MAP_PAL,
	  P2PBUF_IMP_MAP_TYPE_PAL, 512ULL << 10 },
};

static const struct imp_mode *mode = &modes[0];
/* imp_subtest()'s loop index: not on the stack IGT's longjmp() unwinds. */
static unsigned int mode_i;

/* ---- the importer --------------------------------------------------- */

static uint32_t gem_create(uint64_t size)
{
	return p2pbuf_imp_gem_create(t.fd, size);
}

static uint8_t *gem_mmap(uint32_t handle, uint64_t size)
{
	return p2pbuf_imp_gem_mmap(t.fd, handle, size);
}

/* The mmap offset ioctl's result for @handle: 0 or a negative errno. */
static int gem_mmap_offset_of_import(uint32_t handle)
{
	struct drm_p2pbuf_imp_gem_mmap_offset m = { .handle = handle };

	return p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_GEM_MMAP_OFFSET, &m);
}

/* DRM_IOCTL_P2PBUF_IMP_GEM_MAPPING: 0 or a negative errno; @type out. */
static int gem_mapping(int fd, uint32_t handle, uint32_t accept,
		       uint32_t *type)
{
	struct drm_p2pbuf_imp_gem_mapping m = {
		.handle = handle, .accept = accept, .map_type = ~0U,
	};
	int ret;

	ret = p2pbuf_imp_ioctl(fd, DRM_IOCTL_P2PBUF_IMP_GEM_MAPPING, &m);
	if (type)
		*type = m.map_type;
	return ret;
}

/*
 * Put a fresh import of a fixed BAR buffer in the current mode: it must
 * get the mode's type.
 */
static void apply_mode(int fd, uint32_t handle)
{
	uint32_t type;
	int ret;

	if (!mode->accept)
		return;
	ret = gem_mapping(fd, handle, mode->accept, &type);
	igt_assert_f(ret == 0, "GEM_MAPPING %#x: %s\n", mode->accept,
		     strerror(-ret));
	igt_assert_f(type == mode->type,
		     "mode %s: the exporter chose mapping type %u, not %u\n",
		     mode->name, type, mode->type);
}

/* P2PBUF_IMP_ROUTE_* of a $P2PBUF_EXPECT route name. */
static uint32_t route_of(const char *expect)
{
	if (!expect)
		return P2PBUF_IMP_ROUTE_UNKNOWN;
	if (!strcmp(expect, "bus-addr"))
		return P2PBUF_IMP_ROUTE_BUS_ADDR;
	if (!strcmp(expect, "host-bridge-iova"))
		return P2PBUF_IMP_ROUTE_HOST_BRIDGE_IOVA;
	if (!strcmp(expect, "host-bridge-direct"))
		return P2PBUF_IMP_ROUTE_HOST_BRIDGE_DIRECT;
	return P2PBUF_IMP_ROUTE_UNKNOWN;
}

static uint32_t gem_state(uint32_t handle)
{
	struct drm_p2pbuf_imp_gem_info info;

	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
	return info.state;
}

static int copy_fd(int fd, uint32_t src, uint64_t src_off, uint32_t dst,
		   uint64_t dst_off, uint64_t size)
{
	struct drm_p2pbuf_imp_copy c = {
		.src_handle = src, .dst_handle = dst,
		.src_offset = src_off, .dst_offset = dst_off, .size = size,
	};

	return p2pbuf_imp_ioctl(fd, DRM_IOCTL_P2PBUF_IMP_COPY, &c);
}

static int copy(uint32_t src, uint64_t src_off, uint32_t dst,
		uint64_t dst_off, uint64_t size)
{
	return copy_fd(t.fd, src, src_off, dst, dst_off, size);
}

static int pattern_write(uint32_t handle, uint64_t offset, uint64_t size,
			 uint32_t seed)
{
	return p2pbuf_imp_pattern(t.fd, handle, P2PBUF_IMP_PATTERN_WRITE, offset, size,
			  seed, NULL);
}

static int prime_import(int fd, int dmabuf, uint32_t *handle)
{
	return drmPrimeFDToHandle(fd, dmabuf, handle) ? -errno : 0;
}

/* The debugfs file @name of the importer's DRM device, into report[]. */
static const char *imp_debugfs(const char *name)
{
	char rel[128];
	int ret;

	snprintf(rel, sizeof(rel), "%s/%s", t.imp_debugfs, name);
	ret = p2pbuf_debugfs_read(rel, report, sizeof(report));
	igt_assert_f(ret >= 0, "cannot read debugfs %s: %s\n", rel,
		     strerror(-ret));
	return report;
}

static long engine_stat(const char *key)
{
	return p2pbuf_imp_engine_stat(t.imp_debugfs, key);
}

static unsigned long inode_of(int fd)
{
	struct stat st;

	igt_assert_eq(fstat(fd, &st), 0);
	return st.st_ino;
}

/*
 * The debugfs block of the import of dma-buf @dmabuf (key value lines),
 * copied to @out; false if the importer lists no import of it.
 */
static bool import_block(int dmabuf, char *out, size_t size)
{
	char head[64];
	const char *start, *end;

	snprintf(head, sizeof(head), "import %lu\n", inode_of(dmabuf));
	imp_debugfs("imports");
	start = strstr(report, head);
	if (start != report) {
		/* Not at the top: must start a line. */
		snprintf(head, sizeof(head), "\nimport %lu\n", inode_of(dmabuf));
		start = strstr(report, head);
		if (!start)
			return false;
		start++;
	}
	end = strstr(start, "\n\n");
	if (!end)
		end = start + strlen(start);
	snprintf(out, size, "%.*s\n", (int)(end - start), start);
	return true;
}

/* ---- the exporter --------------------------------------------------- */

static int exp_open(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/p2pbuf-exp-%s", t.exp_bdf);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* BAR2's addresses, from the exporter's debugfs "bars" report. */
static void exp_read_bar(void)
{
	char rel[96], *line;
	unsigned long long start, size, bus_offset;
	unsigned int bar;
	int ret;

	snprintf(rel, sizeof(rel), "p2pbuf_exporter/%s/bars", t.exp_bdf);
	ret = p2pbuf_debugfs_read(rel, report, sizeof(report));
	igt_assert_f(ret > 0, "cannot read debugfs %s\n", rel);
	for (line = report; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (sscanf(line, "bar %u start %llx size %llx bus-offset %llx",
			   &bar, &start, &size, &bus_offset) == 4 &&
		    bar == EXP_BAR) {
			t.bar_phys = start;
			t.bar_bus = start + bus_offset;
			igt_assert_eq_u64(size, t.bar_size);
			return;
		}
	}
	igt_assert_f(false, "no BAR %u in %s:\n%s", EXP_BAR, rel, report);
}

static int exp_export_fd(int xfd, const struct range *r, unsigned int n)
{
	struct p2pbuf_exp_export x = {
		.bar = EXP_BAR,
		.ranges = (uintptr_t)r,
		.nr_ranges = n,
		.open_flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(xfd, P2PBUF_EXP_IOCTL_EXPORT, &x))
		return -errno;
	return x.fd;
}

/* Export ranges of BAR2 as a dma-buf; returns its fd. */
static int exp_export(const struct range *r, unsigned int n)
{
	int fd = exp_export_fd(t.exp_fd, r, n);

	igt_assert_f(fd >= 0, "export of %u ranges failed: %s\n", n,
		     strerror(-fd));
	return fd;
}

static int exp_revoke(int dmabuf, uint32_t flags)
{
	struct p2pbuf_exp_revoke r = { .flags = flags, .fd = dmabuf };

	return ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_REVOKE, &r) ? -errno : 0;
}

/* The exporter's debugfs "buffers" report, into report[]. */
static const char *exp_buffers(void)
{
	char rel[96];
	int ret;

	snprintf(rel, sizeof(rel), "p2pbuf_exporter/%s/buffers", t.exp_bdf);
	ret = p2pbuf_debugfs_read(rel, report, sizeof(report));
	igt_assert_f(ret > 0, "cannot read debugfs %s\n", rel);
	return report;
}

/*
 * The exporter's attachment line for the importer device on dma-buf
 * @dmabuf, copied to @out; false if there is none.
 */
static bool exp_attach_line(int dmabuf, char *out, size_t size)
{
	char head[64], attach[64];
	const char *start, *next, *line;

	snprintf(head, sizeof(head), " ino %lu ", inode_of(dmabuf));
	snprintf(attach, sizeof(attach), "  attach %s ", t.imp_bdf);
	exp_buffers();
	start = strstr(report, head);
	if (!start)
		return false;
	next = strstr(start, "\nbuffer ");
	line = strstr(start, attach);
	if (!line || (next && line > next))
		return false;
	snprintf(out, size, "%.*s", (int)strcspn(line, "\n"), line);
	return true;
}

/* The exporter's report of dma-buf @dmabuf alone, copied to @out. */
static bool exp_buffer_block(int dmabuf, char *out, size_t size)
{
	char head[64];
	const char *start, *next;

	snprintf(head, sizeof(head), " ino %lu ", inode_of(dmabuf));
	exp_buffers();
	start = strstr(report, head);
	if (!start)
		return false;
	next = strstr(start, "\nbuffer ");
	snprintf(out, size, "%.*s\n",
		 (int)(next ? next - start : (long)strlen(start)), start);
	return true;
}

/*
 * Whether dma-buf @ino still exists (debugfs dma_buf/bufinfo).  After every
 * fd and import of it is closed, an existing buffer is a leaked reference.
 */
static bool dmabuf_alive(unsigned long ino)
{
	char needle[64];
	int ret;

	snprintf(needle, sizeof(needle), "\t%08lu\t", ino);
	ret = p2pbuf_debugfs_read("dma_buf/bufinfo", report, sizeof(report));
	igt_assert_f(ret > 0, "cannot read debugfs dma_buf/bufinfo\n");
	return strstr(report, needle);
}

/* ---- the test bed ----------------------------------------------------- */

/* Subtests that import the BAR need a P2P route. */
static void require_bar_import(void)
{
	igt_require_f(t.exp_fd >= 0, "no p2pbuf exporter device\n");
	igt_require_f(!p2pbuf_bed_route_none(),
		      "the kernel knows no P2P route between the devices here ($P2PBUF_EXPECT none)\n");
}

/* ... and those that move bytes through it, a route that carries data. */
static void require_bar_data(void)
{
	require_bar_import();
	igt_require_f(p2pbuf_bed_data_ok(), "%s\n", p2pbuf_bed_data());
}

/*
 * The pattern @seed seen from byte @k on is the pattern of another seed,
 * when @k is a multiple of 256.
 */
static uint32_t seed_at(uint32_t seed, uint64_t k)
{
	igt_assert_eq_u64(k % 256, 0);
	return seed + 7 * k + (k >> 8);
}

/*
 * Ask the host to check that the bytes [@buf_off, @buf_off + @len) of the
 * buffer made of @r hold pattern @seed, at their BAR offsets.  A range
 * boundary inside must fall on a multiple of 256 bytes from @buf_off: the
 * pattern continues there as the pattern of another seed.
 */
static void host_check_buffer(const struct range *r, unsigned int n,
			      uint64_t buf_off, uint64_t len, uint32_t seed)
{
	uint64_t pos = 0, k, part, end = buf_off + len;

	for (unsigned int i = 0; i < n && pos < end; pos += r[i].length, i++) {
		uint64_t lo = buf_off > pos ? buf_off : pos;
		uint64_t hi = end < pos + r[i].length ? end : pos + r[i].length;

		if (lo >= hi)
			continue;
		k = lo - buf_off;
		part = hi - lo;
		igt_assert_eq(p2pbuf_host_check_pattern(r[i].offset + lo - pos,
							part, seed_at(seed, k)),
			      0);
	}
}

/* Ask the host to check that BAR bytes [@offset, @offset + @len) are 0. */
static void host_check_zero(uint64_t offset, uint64_t len)
{
	if (len)
		igt_assert_eq(p2pbuf_host_check_fill(offset, len, 0), 0);
}

/* Map a BAR import of @n ranges without moving a byte. */
static void bar_map(uint32_t handle, unsigned int n)
{
	struct drm_p2pbuf_imp_gem_info info;
	int ret;

	ret = p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP, &info);
	/*
	 * Linux 7.3's dma_buf_phys_vec_to_sgt() links every range at IOVA
	 * offset 0, so through an IOMMU a second range collides with the
	 * first (-EADDRINUSE).  p2pbuf's exporter works around it
	 * (exporter/map.c), and a PAL import links each range at its buffer
	 * offset itself (importer/p2pbuf_imp_pal.c): here that error is a
	 * regression, not a skip.
	 */
	igt_assert_f(ret != -EADDRINUSE,
		     "map of %u ranges: EADDRINUSE: %s linking every range at IOVA offset 0 regressed\n",
		     n, mode->type == P2PBUF_IMP_MAP_TYPE_PAL ?
		     "the importer's own dma_iova_link() of a PAL (each range at its buffer offset)" :
		     "the exporter's workaround for dma_buf_phys_vec_to_sgt()");
	igt_assert_f(ret == 0, "map of %u ranges failed: %s\n", n,
		     strerror(-ret));
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_MAPPED);
	igt_assert_eq_u32(info.map_type, mode->type);
	igt_assert_neq(info.dma_segments, 0);
	if (mode->type == P2PBUF_IMP_MAP_TYPE_PAL) {
		/* The route the exporter decided at attach, as the bed expects. */
		igt_assert_neq_u32(info.route, P2PBUF_IMP_ROUTE_UNKNOWN);
		if (p2pbuf_bed_expect())
			igt_assert_f(info.route == route_of(p2pbuf_bed_expect()),
				     "PAL route %u, the bed expects %s\n",
				     info.route, p2pbuf_bed_expect());
	} else {
		igt_assert_eq_u32(info.route, P2PBUF_IMP_ROUTE_UNKNOWN);
	}
}

/* First use of a BAR import: a write where data flows, else just a map. */
static void bar_use(uint32_t handle, uint64_t size, uint32_t seed)
{
	struct drm_p2pbuf_imp_gem_info info;

	if (p2pbuf_bed_data_ok())
		igt_assert_eq(pattern_write(handle, 0, size, seed), 0);
	else
		igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP,
				       &info), 0);
	igt_assert_eq(gem_state(handle), P2PBUF_IMP_STATE_MAPPED);
}

/*
 * Move bytes through import @handle of ranges @r every way: the engine
 * writes pattern @seed into all of it, reads it back, copies it into
 * system memory for the CPU; then copies pattern @seed + 1 from system
 * memory over its first half.  The host checks both halves.
 */
static void bar_roundtrip(const struct range *r, unsigned int n,
			  uint32_t handle, uint64_t size, uint32_t seed)
{
	const uint64_t half = size / 2;
	uint32_t native = gem_create(size);
	uint8_t *ptr = gem_mmap(native, size);

	/* The driver's memory -> BAR, by the engine. */
	igt_assert_eq(pattern_write(handle, 0, size, seed), 0);
	/* BAR -> the engine, compared by the driver. */
	p2pbuf_imp_pattern_check(t.fd, handle, 0, size, seed);
	/* BAR -> system memory, compared by the CPU. */
	igt_assert_eq(copy(handle, 0, native, 0, size), 0);
	p2pbuf_cpu_check(ptr, size, seed);

	/* And back: system memory -> BAR. */
	p2pbuf_cpu_fill(ptr, half, seed + 1);
	igt_assert_eq(copy(native, 0, handle, 0, half), 0);
	p2pbuf_imp_pattern_check(t.fd, handle, 0, half, seed + 1);
	p2pbuf_imp_pattern_check(t.fd, handle, half, size - half, seed_at(seed, half));
	host_check_buffer(r, n, 0, half, seed + 1);
	host_check_buffer(r, n, half, size - half, seed_at(seed, half));

	munmap(ptr, size);
	p2pbuf_imp_gem_close(t.fd, native);
}

/* ---- set-up ------------------------------------------------------------ */

static void unload_probe(void)
{
	if (igt_kmod_is_loaded(PROBE_MODULE))
		igt_assert_eq(igt_kmod_unload(PROBE_MODULE), 0);
}

/* The PCI device behind DRM fd @fd, and its DRM debugfs directory. */
static void find_importer(void)
{
	igt_assert_eq(p2pbuf_chardev_pci_address(t.fd, t.imp_bdf,
						 sizeof(t.imp_bdf)), 0);
	snprintf(t.imp_debugfs, sizeof(t.imp_debugfs), "dri/%s", t.imp_bdf);
}

static void open_importer(void)
{
	t.fd = p2pbuf_open_render(P2PBUF_IMP_DRIVER_NAME);
	igt_assert_f(t.fd >= 0, "no %s render node\n", P2PBUF_IMP_DRIVER_NAME);
	find_importer();
}

static void setup(void)
{
	struct p2pbuf_exp_query q = {};

	unload_probe();
	t.fd = p2pbuf_importer_open();
	find_importer();

	/* Outside the bed, run without an exporter if there is none. */
	if (p2pbuf_exporter_setup(t.exp_bdf, sizeof(t.exp_bdf)))
		return;
	t.exp_fd = exp_open();
	igt_assert_fd(t.exp_fd);
	igt_assert_eq(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_QUERY, &q), 0);
	igt_assert(q.bar_mask & (1u << EXP_BAR));
	igt_assert_eq_u64(q.align, PAGE);
	t.bar_size = q.bar_size[EXP_BAR];
	t.max_ranges = q.max_ranges;
	igt_assert_lte_u64(16ULL << 20, t.bar_size);
	exp_read_bar();
	igt_info("importer %s, exporter %s: BAR%u at %#" PRIx64
		 " (bus %#" PRIx64 "), route %s, data %s\n", t.imp_bdf,
		 t.exp_bdf, EXP_BAR, t.bar_phys, t.bar_bus,
		 p2pbuf_bed_expect() ?: "?", p2pbuf_bed_data() ?: "?");
}

/* ---- subtests: native objects ------------------------------------------ */

static void test_native_pattern(void)
{
	const uint64_t size = 3 * PAGE;
	struct drm_p2pbuf_imp_pattern p;
	uint32_t obj = gem_create(size);
	uint8_t *ptr = gem_mmap(obj, size);

	for (uint64_t k = 0; k < size; k++)
		igt_assert_eq(ptr[k], 0);
	igt_assert_eq(pattern_write(obj, 0, size, 3), 0);
	p2pbuf_cpu_check(ptr, size, 3);
	p2pbuf_imp_pattern_check(t.fd, obj, 0, size, 3);

	/* An odd range: offsets and lengths not aligned to anything. */
	igt_assert_eq(pattern_write(obj, 1001, 5003, 77), 0);
	p2pbuf_cpu_check(ptr + 1001, 5003, 77);
	igt_assert_eq(ptr[1000], p2pbuf_pattern_byte(3, 1000));
	igt_assert_eq(ptr[6004], p2pbuf_pattern_byte(3, 6004));

	/* A check reports the first byte that differs. */
	ptr[1001 + 4321] ^= 0x5a;
	igt_assert_eq(p2pbuf_imp_pattern(t.fd, obj, P2PBUF_IMP_PATTERN_CHECK, 1001,
				 5003, 77, &p), 0);
	igt_assert_eq_u64(p.bad_offset, 4321);
	igt_assert_eq(p.expected, p2pbuf_pattern_byte(77, 4321));
	igt_assert_eq(p.found, p.expected ^ 0x5a);

	munmap(ptr, size);
	p2pbuf_imp_gem_close(t.fd, obj);
}

static void test_native_copy(void)
{
	const uint64_t size = 4 * PAGE;
	uint32_t a = gem_create(size), b = gem_create(size);
	uint8_t *pa = gem_mmap(a, size), *pb = gem_mmap(b, size);

	p2pbuf_cpu_fill(pa, size, 9);
	/* Unaligned, crossing the engine's 2 KiB commands and pages. */
	igt_assert_eq(copy(a, 123, b, 4000, 9001), 0);
	for (uint64_t k = 0; k < 9001; k++)
		igt_assert_eq(pb[4000 + k], pa[123 + k]);
	igt_assert_eq(pb[3999], 0);
	igt_assert_eq(pb[13001], 0);

	/* Inside one object, ranges apart. */
	igt_assert_eq(copy(a, 0, a, 2 * PAGE, PAGE), 0);
	igt_assert(!memcmp(pa, pa + 2 * PAGE, PAGE));

	munmap(pa, size);
	munmap(pb, size);
	p2pbuf_imp_gem_close(t.fd, a);
	p2pbuf_imp_gem_close(t.fd, b);
}

static void test_uapi_invalid(void)
{
	struct drm_p2pbuf_imp_gem_create c = { .size = PAGE };
	struct drm_p2pbuf_imp_gem_mmap_offset mo = {};
	struct drm_p2pbuf_imp_gem_info info;
	struct drm_p2pbuf_imp_copy cp;
	struct drm_p2pbuf_imp_pattern p;
	struct drm_p2pbuf_imp_bench_map bm;
	uint32_t a = gem_create(2 * PAGE), b = gem_create(PAGE);
	unsigned int i;

	/* GEM_CREATE */
	c.flags = 1;
	igt_assert_eq(p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_GEM_CREATE, &c),
		      -EINVAL);
	c = (struct drm_p2pbuf_imp_gem_create){ .size = 0 };
	igt_assert_eq(p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_GEM_CREATE, &c),
		      -EINVAL);
	c.size = P2PBUF_IMP_MAX_OBJECT_SIZE + 1;
	igt_assert_eq(p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_GEM_CREATE, &c),
		      -E2BIG);
	c.size = ~0ULL;
	igt_assert_eq(p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_GEM_CREATE, &c),
		      -E2BIG);
	/* Exactly the maximum is allowed. */
	c = (struct drm_p2pbuf_imp_gem_create){
		.size = P2PBUF_IMP_MAX_OBJECT_SIZE };
	igt_assert_eq(p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_GEM_CREATE, &c), 0);
	igt_assert_eq_u64(c.size, P2PBUF_IMP_MAX_OBJECT_SIZE);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, c.handle, 0, &info), 0);
	igt_assert_eq_u64(info.size, P2PBUF_IMP_MAX_OBJECT_SIZE);
	p2pbuf_imp_gem_close(t.fd, c.handle);

	/* BENCH_MAP: flags, reserved[], iterations (before the handle) */
	for (i = 0; i < 4; i++) {
		bm = (struct drm_p2pbuf_imp_bench_map){ .handle = 0xdead,
							.iterations = 1 };
		if (i < 2)
			bm.reserved[i] = 1;
		else if (i == 2)
			bm.flags = 1;
		else
			bm.iterations = P2PBUF_IMP_BENCH_MAX_ITERATIONS + 1;
		igt_assert_eq(p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_BENCH_MAP,
					&bm), -EINVAL);
	}
	/* ... native objects */
	bm = (struct drm_p2pbuf_imp_bench_map){ .handle = a, .iterations = 1 };
	igt_assert_eq(p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_BENCH_MAP, &bm),
		      -EINVAL);
	bm.handle = 0xdead;
	igt_assert_eq(p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_BENCH_MAP, &bm),
		      -ENOENT);

	/* GEM_MMAP_OFFSET, GEM_INFO */
	mo.handle = a;
	mo.pad = 1;
	igt_assert_eq(p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_GEM_MMAP_OFFSET,
				&mo), -EINVAL);
	mo = (struct drm_p2pbuf_imp_gem_mmap_offset){ .handle = 0xdead };
	igt_assert_eq(p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_GEM_MMAP_OFFSET,
				&mo), -ENOENT);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, a, 2, &info), -EINVAL);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, 0xdead, 0, &info), -ENOENT);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, a, 0, &info), 0);
	igt_assert_eq(info.kind, P2PBUF_IMP_KIND_NATIVE);
	igt_assert_eq_u64(info.size, 2 * PAGE);
	igt_assert_eq_u32(info.map_type, P2PBUF_IMP_MAP_TYPE_SGT);
	igt_assert_eq_u32(info.route, P2PBUF_IMP_ROUTE_UNKNOWN);
	igt_assert_neq_u64(info.dma_addr, 0);

	/* GEM_MAPPING: accept, pad, native objects, handles */
	{
		struct drm_p2pbuf_imp_gem_mapping m = {
			.handle = a, .accept = P2PBUF_IMP_MAP_SGT, .pad = 1,
		};

		igt_assert_eq(p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_GEM_MAPPING,
					&m), -EINVAL);
		igt_assert_eq(gem_mapping(t.fd, 0xdead, 0, NULL), -EINVAL);
		igt_assert_eq(gem_mapping(t.fd, 0xdead, 1U << 2, NULL), -EINVAL);
		igt_assert_eq(gem_mapping(t.fd, 0xdead, ~0U, NULL), -EINVAL);
		igt_assert_eq(gem_mapping(t.fd, 0xdead, P2PBUF_IMP_MAP_PAL,
					  NULL), -ENOENT);
		/* Native objects are the driver's own memory: no choice. */
		igt_assert_eq(gem_mapping(t.fd, a, P2PBUF_IMP_MAP_SGT, NULL),
			      -EINVAL);
	}

	/* COPY: flags, pad, size, bounds, overflow, overlap, handles */
	cp = (struct drm_p2pbuf_imp_copy){ .src_handle = a, .dst_handle = b,
					   .size = 16, .flags = 1 };
	igt_assert_eq(p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_COPY, &cp), -EINVAL);
	cp.flags = 0;
	cp.pad = 1;
	igt_assert_eq(p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_COPY, &cp), -EINVAL);
	igt_assert_eq(copy(a, 0, b, 0, 0), -EINVAL);
	igt_assert_eq(copy(a, 0, b, 1, PAGE), -EINVAL);
	igt_assert_eq(copy(a, 2 * PAGE - 1, b, 0, 2), -EINVAL);
	igt_assert_eq(copy(a, ~0ULL, b, 0, 2), -EINVAL);
	igt_assert_eq(copy(a, 0, b, ~0ULL - 1, 4), -EINVAL);
	igt_assert_eq(copy(a, 0, a, 100, 200), -EINVAL);
	igt_assert_eq(copy(a, 100, a, 0, 200), -EINVAL);
	igt_assert_eq(copy(a, 0, 0xdead, 0, 2), -ENOENT);
	igt_assert_eq(copy(0xdead, 0, b, 0, 2), -ENOENT);

	/* PATTERN: op, flags, pad, size, bounds, handle */
	igt_assert_eq(p2pbuf_imp_pattern(t.fd, a, 2, 0, 1, 0, NULL), -EINVAL);
	p = (struct drm_p2pbuf_imp_pattern){ .handle = a, .size = 1,
					     .flags = 1 };
	igt_assert_eq(p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_PATTERN, &p),
		      -EINVAL);
	p.flags = 0;
	for (i = 0; i < sizeof(p.pad); i++) {
		memset(p.pad, 0, sizeof(p.pad));
		p.pad[i] = 1;
		igt_assert_eq(p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_PATTERN, &p),
			      -EINVAL);
	}
	igt_assert_eq(pattern_write(a, 0, 0, 0), -EINVAL);
	igt_assert_eq(pattern_write(a, PAGE, PAGE + 1, 0), -EINVAL);
	igt_assert_eq(pattern_write(a, ~0ULL, 2, 0), -EINVAL);
	igt_assert_eq(pattern_write(0xdead, 0, 1, 0), -ENOENT);

	p2pbuf_imp_gem_close(t.fd, a);
	p2pbuf_imp_gem_close(t.fd, b);
}

/* ---- subtests: system memory imports (vgem) ---------------------------- */

static int vgem_open(void)
{
	if (igt_kmod_load("vgem", NULL))
		return -1;
	return drm_open_driver(DRIVER_VGEM);
}

/* A vgem object of @size bytes, exported: returns the dma-buf fd. */
static int vgem_export(int vfd, uint64_t size, uint8_t **map)
{
	struct drm_mode_create_dumb cd = {
		.width = size / 4, .height = 1, .bpp = 32,
	};
	struct drm_mode_map_dumb md = {};
	int dmabuf;

	igt_assert_eq(p2pbuf_imp_ioctl(vfd, DRM_IOCTL_MODE_CREATE_DUMB, &cd), 0);
	igt_assert_eq(drmPrimeHandleToFD(vfd, cd.handle, DRM_CLOEXEC | DRM_RDWR,
					 &dmabuf), 0);
	md.handle = cd.handle;
	igt_assert_eq(p2pbuf_imp_ioctl(vfd, DRM_IOCTL_MODE_MAP_DUMB, &md), 0);
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vfd,
		    md.offset);
	igt_assert(*map != MAP_FAILED);
	return dmabuf;
}

static void test_vgem_import(bool p2p)
{
	const uint64_t size = 2 * PAGE;
	struct drm_p2pbuf_imp_gem_info info;
	uint32_t handle, native;
	char block[4096];
	uint8_t *vmap, *ptr;
	int vfd, dmabuf;

	vfd = vgem_open();
	igt_require_f(vfd >= 0, "vgem is not available\n");
	dmabuf = vgem_export(vfd, size, &vmap);
	if (!p2p) {
		igt_install_exit_handler(p2pbuf_imp_restore_p2p_at_exit);
		igt_assert_eq(p2pbuf_imp_set_p2p(false), 0);
	}
	igt_assert_eq(prime_import(t.fd, dmabuf, &handle), 0);
	if (!p2p)
		igt_assert_eq(p2pbuf_imp_set_p2p(true), 0);
	if (mode->accept) {
		uint32_t type = 7;

		/* vgem has no PAL interconnect: only its sg_table. */
		igt_assert_eq(gem_mapping(t.fd, handle, P2PBUF_IMP_MAP_PAL,
					  &type), -EOPNOTSUPP);
		igt_assert_eq(gem_mapping(t.fd, handle, mode->accept, &type), 0);
		igt_assert_eq_u32(type, P2PBUF_IMP_MAP_TYPE_SGT);
	}

	/* Imported, attached, not mapped: mapping is lazy. */
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
	igt_assert_eq(info.kind, P2PBUF_IMP_KIND_IMPORT);
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_UNMAPPED);
	igt_assert_eq_u64(info.maps, 0);
	igt_assert_eq(!!(info.info_flags & P2PBUF_IMP_INFO_PEER2PEER), p2p);
	igt_assert_eq_u64(info.size, size);
	igt_assert(import_block(dmabuf, block, sizeof(block)));
	igt_assert(strstr(block, "state unmapped\n"));
	igt_assert(strstr(block, p2p ? "peer2peer 1\n" : "peer2peer 0\n"));
	igt_assert_eq(gem_mmap_offset_of_import(handle), -EINVAL);

	/* First use maps it: system memory, written by the engine. */
	igt_assert_eq(pattern_write(handle, 0, size, 21), 0);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_MAPPED);
	igt_assert_eq_u64(info.maps, 1);
	igt_assert_lte(1, info.dma_segments);
	igt_assert_eq_u32(info.map_type, P2PBUF_IMP_MAP_TYPE_SGT);
	p2pbuf_cpu_check(vmap, size, 21);
	igt_assert(import_block(dmabuf, block, sizeof(block)));
	igt_assert(strstr(block, "state mapped\n"));
	igt_assert(strstr(block, "\nseg 0 0x"));

	/* Read back through the engine into a native object. */
	native = gem_create(size);
	ptr = gem_mmap(native, size);
	p2pbuf_cpu_fill(vmap, size, 22);
	igt_assert_eq(copy(handle, 0, native, 0, size), 0);
	p2pbuf_cpu_check(ptr, size, 22);
	/* The mapping was reused. */
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
	igt_assert_eq_u64(info.maps, 1);

	munmap(ptr, size);
	p2pbuf_imp_gem_close(t.fd, native);
	p2pbuf_imp_gem_close(t.fd, handle);
	igt_assert(!import_block(dmabuf, block, sizeof(block)));
	munmap(vmap, size);
	close(dmabuf);
	drm_close_driver(vfd);
}

/* Segment lengths of an import's DMA mapping (debugfs "seg" lines). */
struct seg_stats {
	unsigned int nr;	/* segments */
	uint64_t longest;	/* longest segment */
	unsigned int adjacent;	/* segments that start where the last ended */
};

static void seg_stats_of(const char *block, struct seg_stats *st)
{
	unsigned long long addr, len, end = 0;
	const char *at = block;
	unsigned int i;

	memset(st, 0, sizeof(*st));
	while ((at = strstr(at, "\nseg "))) {
		at++;
		igt_assert(sscanf(at, "seg %u %llx %llx", &i, &addr, &len) == 3);
		if (st->nr && addr == end)
			st->adjacent++;
		if (len > st->longest)
			st->longest = len;
		end = addr + len;
		st->nr++;
	}
}

#define MAX_SEG_OBJECT	(16ULL << 20)

/*
 * Patch 0007: drm_prime_pages_to_sg() (vgem's get_sg_table, through
 * drm_gem_shmem_get_sg_table()) merges physically contiguous pages into
 * segments up to dma_max_mapping_size(), not the device's max segment
 * size; drm_gem_map_dma_buf() maps that table for the importer, whose
 * limit is 64 KiB.  Where no IOMMU merges (switch) the importer's debugfs
 * shows the table's own segments.  Fixed, none is longer than the
 * engine's max-seg-size and the DMA-API error count stays; to show that
 * the cap was needed, some segments must be adjacent (contiguous pages
 * split at the limit).  Whether shmem hands out contiguous pages is up to
 * the page allocator: with none, the subtest cannot tell and skips.
 * Stock: a longer segment is the bug (with DMA-API debugging the checker
 * also counts "mapping sg segment longer than device claims to support").
 */
static void test_vgem_import_max_seg(void)
{
	long max_seg = engine_stat("max-seg-size");
	bool fixed = p2pbuf_kernel_fixed() == 1;
	struct drm_p2pbuf_imp_gem_info info;
	struct seg_stats st;
	static char block[1 << 20];
	long before, after;
	uint32_t handle;
	uint8_t *vmap;
	int vfd, dmabuf;

	igt_require_f(!getenv("P2PBUF_IOMMU") || strcmp(getenv("P2PBUF_IOMMU"), "1"),
		      "behind an IOMMU the DMA segments are IOVA ranges, not the table's\n");
	vfd = vgem_open();
	igt_require_f(vfd >= 0, "vgem is not available\n");
	dmabuf = vgem_export(vfd, MAX_SEG_OBJECT, &vmap);
	/* Faulted in before the map, as an application's writes would. */
	p2pbuf_cpu_fill(vmap, MAX_SEG_OBJECT, 5);
	igt_emit_ignore_dmesg_regex("DMA-API: p2pbuf_importer [0-9a-f:.]+: mapping sg segment longer than device claims to support|"
				    "WARNING: kernel/dma/debug[.]c|"
				    P2PBUF_WARN_DUMP_REGEX);
	before = p2pbuf_dma_api_errors();
	igt_assert_eq(prime_import(t.fd, dmabuf, &handle), 0);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP,
					  &info), 0);
	after = p2pbuf_dma_api_errors();
	igt_assert(import_block(dmabuf, block, sizeof(block)));
	seg_stats_of(block, &st);
	igt_assert_eq_u32(st.nr, info.dma_segments);
	/* The engine reaches every byte of the mapping. */
	igt_assert_eq(pattern_write(handle, MAX_SEG_OBJECT - PAGE, PAGE, 9), 0);
	p2pbuf_cpu_check(vmap + MAX_SEG_OBJECT - PAGE, PAGE, 9);
	p2pbuf_imp_gem_close(t.fd, handle);
	munmap(vmap, MAX_SEG_OBJECT);
	close(dmabuf);
	drm_close_driver(vfd);
	igt_info("vgem %llu MiB: %u segments, longest %#" PRIx64 " (max %#lx), %u adjacent; DMA-API errors %ld -> %ld\n",
		 MAX_SEG_OBJECT >> 20, st.nr, st.longest, max_seg, st.adjacent,
		 before, after);

	if (!fixed && st.longest > (uint64_t)max_seg) {
		if (before >= 0) {
			igt_assert_f(after > before,
				     "segment of %#" PRIx64 " bytes, yet DMA-API debug counted no error\n",
				     st.longest);
			p2pbuf_dma_api_expected("p2pbuf_importer@vgem-import-max-seg",
						after - before);
		}
		if (before < 0)
			p2pbuf_expected_failure("0007", "vgem's table, mapped for the importer (max segment %#lx), has a segment of %#" PRIx64 " bytes",
						max_seg, st.longest);
		p2pbuf_expected_failure("0007", "vgem's table, mapped for the importer (max segment %#lx), has a segment of %#" PRIx64 " bytes; DMA-API debug counted %ld errors",
					max_seg, st.longest, after - before);
	}
	igt_assert_f(st.longest <= (uint64_t)max_seg,
		     "segment of %#" PRIx64 " bytes, the device's max is %#lx\n",
		     st.longest, max_seg);
	igt_assert_f(before < 0 || after == before,
		     "DMA-API debug counted %ld errors\n", after - before);
	igt_require_f(st.adjacent > 0,
		      "shmem gave vgem no physically contiguous pages beyond %#lx: the limit was not needed here, nothing to tell\n",
		      max_seg);
}

/* ---- subtests: BAR imports --------------------------------------------- */

/* Import dma-buf @dmabuf of the exporter: must succeed, lazily. */
static uint32_t bar_import(int dmabuf)
{
	struct drm_p2pbuf_imp_gem_info info;
	uint32_t handle;
	int ret;

	ret = prime_import(t.fd, dmabuf, &handle);
	igt_assert_f(ret == 0, "import of the BAR buffer failed: %s\n",
		     strerror(-ret));
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
	igt_assert_eq(info.kind, P2PBUF_IMP_KIND_IMPORT);
	igt_assert(info.info_flags & P2PBUF_IMP_INFO_PEER2PEER);
	igt_assert_eq_u32(info.map_type, P2PBUF_IMP_MAP_TYPE_SGT);
	apply_mode(t.fd, handle);
	return handle;
}

static void test_bar_lazy(void)
{
	const struct range r = { REGION_IMPORT, 2 * PAGE };
	struct drm_p2pbuf_imp_gem_info info;
	unsigned long ino;
	char line[256];
	uint32_t handle;
	int dmabuf;

	require_bar_import();
	dmabuf = exp_export(&r, 1);
	handle = bar_import(dmabuf);

	/* Attached, but nothing mapped before the first use. */
	igt_assert_eq(gem_state(handle), P2PBUF_IMP_STATE_UNMAPPED);
	igt_assert(exp_attach_line(dmabuf, line, sizeof(line)));
	igt_assert_f(strstr(line, " mapped 0 maps 0 "), "%s\n", line);

	/* Map without moving a byte. */
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP, &info), 0);
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_MAPPED);
	igt_assert_eq_u64(info.maps, 1);
	igt_assert_eq_u32(info.map_type, mode->type);
	igt_assert(exp_attach_line(dmabuf, line, sizeof(line)));
	igt_assert_f(strstr(line, " mapped 1 maps 1 "), "%s\n", line);
	igt_info("%s\n", line);
	/* The exporter counts a PAL as a mapping, and says it is one. */
	{
		char block[4096];

		igt_assert(exp_buffer_block(dmabuf, block, sizeof(block)));
		igt_assert_f(!strstr(block, "    type pal pal-mapped 1\n") ==
			     (mode->type != P2PBUF_IMP_MAP_TYPE_PAL),
			     "exporter says:\n%s", block);
	}
	/* The mapping type is chosen before the first use, not while mapped. */
	igt_assert_eq(gem_mapping(t.fd, handle, P2PBUF_IMP_MAP_SGT, NULL),
		      -EBUSY);

	/* The same dma-buf imported again in the same file: same handle. */
	{
		uint32_t again;

		igt_assert_eq(prime_import(t.fd, dmabuf, &again), 0);
		igt_assert_eq_u32(again, handle);
	}

	/* Closing the handle unmaps and detaches, then the buffer goes. */
	p2pbuf_imp_gem_close(t.fd, handle);
	igt_assert(!exp_attach_line(dmabuf, line, sizeof(line)));
	ino = inode_of(dmabuf);
	close(dmabuf);
	igt_assert_f(!dmabuf_alive(ino), "dma-buf %lu leaked\n", ino);
}

/* Export @r, import, write and read back through every path. */
static void bar_ranges_test(const struct range *r, unsigned int n,
			    uint32_t seed)
{
	struct drm_p2pbuf_imp_gem_info info;
	uint64_t size = 0;
	uint32_t handle;
	int dmabuf;

	for (unsigned int i = 0; i < n; i++)
		size += r[i].length;
	dmabuf = exp_export(r, n);
	handle = bar_import(dmabuf);
	bar_map(handle, n);
	bar_roundtrip(r, n, handle, size, seed);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_MAPPED);
	igt_assert_eq_u64(info.maps, 1);
	p2pbuf_imp_gem_close(t.fd, handle);
	close(dmabuf);
}

static void test_bar_one_range(void)
{
	const struct range r = { REGION_ONE + 4 * PAGE, 2 * PAGE };

	require_bar_data();
	bar_ranges_test(&r, 1, 31);
	/* Nowhere else: the pages around the range are untouched. */
	host_check_zero(REGION_ONE, 4 * PAGE);
	host_check_zero(r.offset + r.length, 4 * PAGE);
}

static void test_bar_several_ranges(void)
{
	/* Out of BAR order, of different sizes, with holes between. */
	const struct range r[] = {
		{ REGION_SEVERAL + 9 * PAGE, PAGE },
		{ REGION_SEVERAL + 1 * PAGE, 2 * PAGE },
		{ REGION_SEVERAL + 5 * PAGE, PAGE },
	};

	require_bar_data();
	bar_ranges_test(r, 3, 41);
	host_check_zero(REGION_SEVERAL, PAGE);
	host_check_zero(REGION_SEVERAL + 3 * PAGE, 2 * PAGE);
	host_check_zero(REGION_SEVERAL + 6 * PAGE, 3 * PAGE);
	host_check_zero(REGION_SEVERAL + 10 * PAGE, 4 * PAGE);
}

/*
 * The most ranges one buffer may have, a page each with a page of hole
 * between: too many to fill at edu's speed, so the engine writes pieces
 * that cross range boundaries (each piece is two DMA segments) at the
 * start, middle and end of the buffer.
 */
static void test_bar_max_ranges(void)
{
	unsigned int n = t.max_ranges, i;
	const unsigned int at[] = { 1, 2, n / 2, n - 1 };
	struct drm_p2pbuf_imp_gem_info info;
	uint32_t handle, seed = 51;
	struct range *r;
	uint64_t size = (uint64_t)n * PAGE, off;
	int dmabuf;

	require_bar_data();
	igt_require(REGION_MAX + 2 * size <= t.bar_size);
	r = calloc(n, sizeof(*r));
	igt_assert(r);
	for (i = 0; i < n; i++)
		r[i] = (struct range){ REGION_MAX + 2 * i * PAGE, PAGE };
	dmabuf = exp_export(r, n);
	handle = bar_import(dmabuf);
	bar_map(handle, n);

	/* One more range is refused by the exporter (-E2BIG). */
	{
		struct range *more = calloc(n + 1, sizeof(*more));

		igt_assert(more);
		memcpy(more, r, n * sizeof(*r));
		more[n] = (struct range){ REGION_ONE + 64 * PAGE, PAGE };
		igt_assert_eq(exp_export_fd(t.exp_fd, more, n + 1), -E2BIG);
		free(more);
	}

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++, seed += 2) {
		off = at[i] * PAGE - 256;
		igt_assert_eq(pattern_write(handle, off, 512, seed), 0);
		p2pbuf_imp_pattern_check(t.fd, handle, off, 512, seed);
		host_check_buffer(r, n, off, 512, seed);
	}
	/* The last bytes of the buffer. */
	off = size - 512;
	igt_assert_eq(pattern_write(handle, off, 512, seed), 0);
	p2pbuf_imp_pattern_check(t.fd, handle, off, 512, seed);
	host_check_buffer(r, n, off, 512, seed);
	/* The holes stay untouched. */
	host_check_zero(r[0].offset + PAGE, PAGE);
	host_check_zero(r[n - 2].offset + PAGE, PAGE);

	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_MAPPED);
	igt_info("%u ranges: %u DMA segments\n", n, info.dma_segments);
	p2pbuf_imp_gem_close(t.fd, handle);
	close(dmabuf);
	free(r);
}

/*
 * The exporter puts a whole range in one DMA segment, longer than the
 * importing device's maximum segment size: the engine must cut it there.
 * A write across that point takes two pieces, i.e. four engine commands
 * (memory -> engine buffer -> BAR, per piece); one inside a piece, two.
 */
static void test_bar_max_segment(void)
{
	struct range r = { REGION_ONE + 64 * PAGE, 0 };
	long max_seg = engine_stat("max-seg-size"), before;
	uint32_t handle;
	int dmabuf;

	require_bar_data();
	r.length = 2 * max_seg;
	dmabuf = exp_export(&r, 1);
	handle = bar_import(dmabuf);
	bar_map(handle, 1);

	before = engine_stat("commands");
	igt_assert_eq(pattern_write(handle, 1024, 512, 61), 0);
	igt_assert_eq(engine_stat("commands") - before, 2);

	before = engine_stat("commands");
	igt_assert_eq(pattern_write(handle, max_seg - 256, 512, 62), 0);
	igt_assert_eq(engine_stat("commands") - before, 4);
	p2pbuf_imp_pattern_check(t.fd, handle, max_seg - 256, 512, 62);

	host_check_buffer(&r, 1, 1024, 512, 61);
	host_check_buffer(&r, 1, max_seg - 256, 512, 62);
	host_check_zero(r.offset + 1536, max_seg - 256 - 1536);
	p2pbuf_imp_gem_close(t.fd, handle);
	close(dmabuf);
}

/* One "seg <i> <addr> <len>" line of an import block. */
static bool block_seg(const char *block, unsigned int i, uint64_t *addr,
		      uint64_t *len)
{
	char key[32], val[64];
	unsigned long long a, l;

	snprintf(key, sizeof(key), "seg %u", i);
	if (!p2pbuf_kv_get(block, key, val, sizeof(val)) ||
	    sscanf(val, "%llx %llx", &a, &l) != 2)
		return false;
	*addr = a;
	*len = l;
	return true;
}

/*
 * Where the engine would DMA: the import's address list in debugfs, made
 * without moving a byte (so also where the data path is broken), must be
 * what the topology's route gives.  @runs: address-contiguous runs the
 * list has when it holds bus or CPU physical addresses.
 */
static void dma_addresses_test(const struct range *r, unsigned int n,
			       long want_runs)
{
	const char *expect = p2pbuf_bed_expect();
	struct drm_p2pbuf_imp_gem_info info;
	uint64_t addr, len, size = 0;
	char block[8192], line[256];
	uint32_t handle;
	int dmabuf;
	long runs;

	require_bar_import();
	igt_require_f(expect, "outside the test bed: no expected route\n");
	for (unsigned int i = 0; i < n; i++)
		size += r[i].length;
	dmabuf = exp_export(r, n);
	handle = bar_import(dmabuf);
	bar_map(handle, n);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
	igt_assert(import_block(dmabuf, block, sizeof(block)));
	igt_info("route %s, import:\n%s", expect, block);
	igt_assert(p2pbuf_kv_get_long(block, "runs", &runs));
	igt_assert(block_seg(block, 0, &addr, &len));
	igt_assert_eq_u64(info.dma_addr, addr);
	if (mode->type == P2PBUF_IMP_MAP_TYPE_PAL) {
		char want[96];

		/* What the exporter handed out: its route, the BAR ranges. */
		igt_assert(strstr(block, "map-type pal\n"));
		snprintf(want, sizeof(want), "route %s\n", expect);
		igt_assert_f(strstr(block, want), "no %s", want);
		snprintf(want, sizeof(want), "pal-ranges %u\n", n);
		igt_assert_f(strstr(block, want), "no %s", want);
		for (unsigned int i = 0; i < n; i++) {
			snprintf(want, sizeof(want), "pal %u 0x%016" PRIx64
				 " %#" PRIx64 "\n", i, t.bar_phys + r[i].offset,
				 r[i].length);
			igt_assert_f(strstr(block, want), "no %s", want);
		}
	} else {
		igt_assert(strstr(block, "map-type sg-table\n"));
	}

	if (!strcmp(expect, "host-bridge-iova")) {
		/* Two-step DMA API: one IOVA range for the whole buffer. */
		igt_assert_f(runs == 1 && info.dma_segments == 1,
			     "through the IOMMU the buffer must be one contiguous IOVA range (two-step DMA API); the exporter's mapping has %u segments in %ld runs\n",
			     info.dma_segments, runs);
		igt_assert(block_seg(block, 0, &addr, &len));
		igt_assert_eq_u64(len, size);
		igt_assert_neq_u64(addr, t.bar_bus + r[0].offset);
		igt_assert_neq_u64(addr, t.bar_phys + r[0].offset);
	} else {
		/* Bus or CPU physical addresses: one segment per range. */
		uint64_t base = !strcmp(expect, "bus-addr") ? t.bar_bus :
							       t.bar_phys;

		igt_assert_f(!strcmp(expect, "bus-addr") ||
			     !strcmp(expect, "host-bridge-direct"),
			     "unknown route %s\n", expect);
		igt_assert_eq(info.dma_segments, n);
		for (unsigned int i = 0; i < n; i++) {
			igt_assert(block_seg(block, i, &addr, &len));
			igt_assert_eq_u64(addr, base + r[i].offset);
			igt_assert_eq_u64(len, r[i].length);
		}
		igt_assert_eq(runs, want_runs);
	}
	igt_assert(exp_attach_line(dmabuf, line, sizeof(line)));
	igt_assert_f(strstr(line, expect), "exporter says: %s\n", line);
	p2pbuf_imp_gem_close(t.fd, handle);
	close(dmabuf);
}

static void test_dma_addresses(void)
{
	const struct range r = { REGION_IMPORT + 4 * PAGE, 2 * PAGE };

	dma_addresses_test(&r, 1, 1);
}

static void test_dma_addresses_multi(void)
{
	/* Ranges 2 and 3 follow each other in the BAR: 2 runs. */
	const struct range r[] = {
		{ REGION_IMPORT + 8 * PAGE, 2 * PAGE },
		{ REGION_IMPORT + 11 * PAGE, PAGE },
		{ REGION_IMPORT + 12 * PAGE, PAGE },
	};

	dma_addresses_test(r, 3, 2);
}

/*
 * The exporter refused the import of @dmabuf for @reason: no import and no
 * attachment are left, and the exporter recorded the refusal.
 */
static void assert_import_refused(int dmabuf, const char *reason)
{
	char block[1024], line[256];

	igt_assert(!import_block(dmabuf, block, sizeof(block)));
	igt_assert(!exp_attach_line(dmabuf, line, sizeof(line)));
	snprintf(line, sizeof(line), "rejected 1 last %s %s\n", t.imp_bdf,
		 reason);
	igt_assert(exp_buffer_block(dmabuf, block, sizeof(block)));
	igt_assert_f(strstr(block, line), "exporter says:\n%s", block);
}

/* No P2P route: the exporter refuses the attachment, nothing is left. */
static void test_import_no_route(void)
{
	const struct range r = { REGION_IMPORT, PAGE };
	uint32_t handle;
	int dmabuf;

	igt_require_f(t.exp_fd >= 0, "no p2pbuf exporter device\n");
	igt_require_f(p2pbuf_bed_route_none(),
		      "the kernel has a P2P route here ($P2PBUF_EXPECT %s)\n",
		      p2pbuf_bed_expect() ?: "unset");
	dmabuf = exp_export(&r, 1);
	igt_assert_eq(prime_import(t.fd, dmabuf, &handle), -EOPNOTSUPP);
	assert_import_refused(dmabuf, "unreachable");
	close(dmabuf);
}

/* Non-P2P mode: a GPU-like importer that only reaches system memory. */
static void test_import_no_p2p(void)
{
	const struct range r = { REGION_IMPORT, PAGE };
	uint32_t handle;
	int dmabuf;

	igt_require_f(t.exp_fd >= 0, "no p2pbuf exporter device\n");
	dmabuf = exp_export(&r, 1);
	igt_install_exit_handler(p2pbuf_imp_restore_p2p_at_exit);
	igt_assert_eq(p2pbuf_imp_set_p2p(false), 0);
	igt_assert_eq(prime_import(t.fd, dmabuf, &handle), -EOPNOTSUPP);
	igt_assert_eq(p2pbuf_imp_set_p2p(true), 0);
	assert_import_refused(dmabuf, "no-peer2peer");
	close(dmabuf);
}

/* ---- subtests: mapping-type negotiation ---------------------------------- */

static int exp_alloc(uint64_t size, uint32_t flags)
{
	struct p2pbuf_exp_alloc a = {
		.flags = flags, .bar = EXP_BAR, .size = size,
		.open_flags = O_RDWR | O_CLOEXEC,
	};

	return ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_ALLOC, &a) ? -errno : a.fd;
}

/*
 * The exporter picks the mapping type per attachment by its own priority:
 * a PAL for fixed buffers (ranges, objects), an sg_table for migratable
 * objects (their placement is the exporter's choice at each map); a type
 * the exporter does not offer is refused and the import keeps its own.
 * The choice is made while unmapped: after an invalidation it may change.
 */
static void test_pal_negotiation(void)
{
	const struct range r = { REGION_IMPORT + 32 * PAGE, PAGE };
	struct drm_p2pbuf_imp_gem_info info;
	uint32_t handle, type;
	int dmabuf;

	require_bar_import();

	/* A migratable object: sg_table only. */
	dmabuf = exp_alloc(2 * PAGE, P2PBUF_EXP_ALLOC_MIGRATABLE);
	igt_assert_fd(dmabuf);
	igt_assert_eq(prime_import(t.fd, dmabuf, &handle), 0);
	igt_assert_eq(gem_mapping(t.fd, handle, P2PBUF_IMP_MAP_PAL, &type),
		      -EOPNOTSUPP);
	igt_assert_eq(gem_mapping(t.fd, handle,
				  P2PBUF_IMP_MAP_PAL | P2PBUF_IMP_MAP_SGT,
				  &type), 0);
	igt_assert_eq_u32(type, P2PBUF_IMP_MAP_TYPE_SGT);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP, &info), 0);
	igt_assert_eq_u32(info.map_type, P2PBUF_IMP_MAP_TYPE_SGT);
	p2pbuf_imp_gem_close(t.fd, handle);
	close(dmabuf);

	/* A fixed object of the allocator: a PAL. */
	dmabuf = exp_alloc(2 * PAGE, 0);
	igt_assert_fd(dmabuf);
	igt_assert_eq(prime_import(t.fd, dmabuf, &handle), 0);
	igt_assert_eq(gem_mapping(t.fd, handle,
				  P2PBUF_IMP_MAP_PAL | P2PBUF_IMP_MAP_SGT,
				  &type), 0);
	igt_assert_eq_u32(type, P2PBUF_IMP_MAP_TYPE_PAL);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP, &info), 0);
	igt_assert_eq_u32(info.map_type, P2PBUF_IMP_MAP_TYPE_PAL);
	igt_assert_eq(info.dma_segments, 1);
	p2pbuf_imp_gem_close(t.fd, handle);
	close(dmabuf);

	/*
	 * Exported ranges: PAL alone is enough; mapped, the choice is
	 * refused; invalidated (revoke and restore), it can change again,
	 * and a revoked PAL is refused with the exporter's -ENODEV.
	 */
	dmabuf = exp_export(&r, 1);
	igt_assert_eq(prime_import(t.fd, dmabuf, &handle), 0);
	igt_assert_eq(gem_mapping(t.fd, handle, P2PBUF_IMP_MAP_PAL, &type), 0);
	igt_assert_eq_u32(type, P2PBUF_IMP_MAP_TYPE_PAL);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP, &info), 0);
	igt_assert_eq(gem_mapping(t.fd, handle, P2PBUF_IMP_MAP_SGT, &type),
		      -EBUSY);
	igt_assert_eq(exp_revoke(dmabuf, 0), 0);
	igt_assert_eq(gem_state(handle), P2PBUF_IMP_STATE_INVALIDATED);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP, &info),
		      -ENODEV);
	igt_assert_eq(exp_revoke(dmabuf, P2PBUF_EXP_REVOKE_RESTORE), 0);
	igt_assert_eq(gem_mapping(t.fd, handle, P2PBUF_IMP_MAP_SGT, &type), 0);
	igt_assert_eq_u32(type, P2PBUF_IMP_MAP_TYPE_SGT);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP, &info), 0);
	igt_assert_eq_u32(info.map_type, P2PBUF_IMP_MAP_TYPE_SGT);
	igt_assert_eq_u32(info.route, P2PBUF_IMP_ROUTE_UNKNOWN);
	p2pbuf_imp_gem_close(t.fd, handle);
	close(dmabuf);
}

/* ---- subtests: revoke ---------------------------------------------------- */

static void test_revoke_idle(void)
{
	const struct range r = { REGION_REVOKE, PAGE };
	struct drm_p2pbuf_imp_bench_map bm;
	struct drm_p2pbuf_imp_gem_info info;
	char line[256];
	uint32_t handle, again;
	int dmabuf, fd2;

	require_bar_import();
	dmabuf = exp_export(&r, 1);
	handle = bar_import(dmabuf);
	bar_use(handle, PAGE, 61);

	/* The exporter takes the mapping back; the importer gave it up. */
	igt_assert_eq(exp_revoke(dmabuf, 0), 0);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_INVALIDATED);
	igt_assert_eq_u64(info.invalidates, 1);
	igt_assert_eq(info.dma_segments, 0);
	igt_assert(exp_attach_line(dmabuf, line, sizeof(line)));
	igt_assert_f(strstr(line, " mapped 0 "), "%s\n", line);

	/* Every use fails cleanly with the exporter's error, before any DMA. */
	igt_assert_eq(pattern_write(handle, 0, PAGE, 62), -ENODEV);
	igt_assert_eq(p2pbuf_imp_pattern(t.fd, handle, P2PBUF_IMP_PATTERN_CHECK, 0,
				 PAGE, 61, NULL), -ENODEV);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP, &info),
		      -ENODEV);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
	igt_assert_eq(info.map_errno, -ENODEV);
	/* The benchmark's map meets the exporter's error too. */
	bm = (struct drm_p2pbuf_imp_bench_map){ .handle = handle,
						.iterations = 1 };
	igt_assert_eq(p2pbuf_imp_ioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_BENCH_MAP, &bm),
		      -ENODEV);

	/* Restored: the next use maps again; the failed write left nothing. */
	igt_assert_eq(exp_revoke(dmabuf, P2PBUF_EXP_REVOKE_RESTORE), 0);
	if (p2pbuf_bed_data_ok())
		p2pbuf_imp_pattern_check(t.fd, handle, 0, PAGE, 61);
	else
		bar_use(handle, PAGE, 61);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_MAPPED);
	igt_assert_eq_u64(info.maps, 2);

	/* A new import, from another file, works as well. */
	fd2 = p2pbuf_open_render(P2PBUF_IMP_DRIVER_NAME);
	igt_assert_fd(fd2);
	igt_assert_eq(prime_import(fd2, dmabuf, &again), 0);
	apply_mode(fd2, again);
	if (p2pbuf_bed_data_ok())
		p2pbuf_imp_pattern_check(fd2, again, 0, PAGE, 61);
	else
		igt_assert_eq(p2pbuf_imp_gem_info(fd2, again, P2PBUF_IMP_GEM_INFO_MAP,
				       &info), 0);
	close(fd2);

	if (p2pbuf_bed_data_ok())
		host_check_buffer(&r, 1, 0, PAGE, 61);
	else
		host_check_zero(r.offset, r.length);
	p2pbuf_imp_gem_close(t.fd, handle);
	close(dmabuf);
}

static double elapsed_s(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) +
	       (now.tv_nsec - start->tv_nsec) / 1e9;
}

/* What the DMA loop's child did, in memory shared with the parent. */
struct dma_loop {
	volatile int started;	/* writes begun */
	volatile int completed;	/* writes that returned 0 */
	volatile int err;	/* the errno that ended the loop */
};

/*
 * An igt_fork() child that has the engine write @size bytes into @handle
 * (through @fd) in a loop until an ioctl fails.  Returns once @writes
 * writes have started and the engine runs a job, plus 400 ms: well inside
 * that write (one write of 16 KiB takes about 1.6 s).
 */
static struct dma_loop *dma_loop_start(int fd, uint32_t handle, uint64_t size,
				       int writes)
{
	struct dma_loop *loop;
	int i;

	loop = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	igt_assert(loop != MAP_FAILED);
	igt_fork(child, 1) {
		for (int n = 0;; n++) {
			loop->started = n + 1;
			loop->err = -p2pbuf_imp_pattern(fd, handle,
						P2PBUF_IMP_PATTERN_WRITE, 0,
						size, 100 + n % 50, NULL);
			if (loop->err)
				break;
			loop->completed = n + 1;
		}
	}
	for (i = 0; i < 600; i++) {
		if (loop->started >= writes && engine_stat("busy"))
			break;
		usleep(50 * 1000);
	}
	igt_assert_f(i < 600 && !loop->err,
		     "the DMA loop did not get going (%d writes, %s)\n",
		     loop->started, strerror(loop->err));
	usleep(400 * 1000);
	return loop;
}

/* Waits (bounded) for the loop's child; the errno that ended the loop. */
static int dma_loop_wait(struct dma_loop *loop, const char *what)
{
	igt_waitchildren_timeout(60, what);
	igt_info("%s: %d writes started, %d completed, the loop ended with %s\n",
		 what, loop->started, loop->completed, strerror(loop->err));
	return loop->err;
}

/*
 * Right after a revoke returned: no job holds the engine, the device is
 * idle, and it stays idle for longer than one engine command (100 ms of
 * the guest's clock): no command was in flight or started since.  Read
 * from debugfs, not through the engine.
 */
static void assert_engine_quiet(void)
{
	long commands, bytes;

	igt_assert_eq(engine_stat("busy"), 0);
	igt_assert_eq(engine_stat("hw-busy"), 0);
	commands = engine_stat("commands");
	bytes = engine_stat("bytes");
	usleep(500 * 1000);
	igt_assert_eq(engine_stat("commands"), commands);
	igt_assert_eq(engine_stat("bytes"), bytes);
}

/*
 * Revoke while the engine writes into the buffer in a loop.  The loop must
 * end with -ENODEV, the running job stopped mid-way, and the engine must be
 * idle when the revoke returns and stay so (debugfs, not the engine, says
 * so).  A sentinel written right after it through a second buffer over the
 * same bytes must survive, for the engine and for the host.
 */
static void test_revoke_during_dma(void)
{
	const struct range r = { REGION_REVOKE + 16 * PAGE, 4 * PAGE };
	const uint64_t size = 4 * PAGE;
	const uint32_t sentinel = 0x5e;
	struct drm_p2pbuf_imp_gem_info info;
	struct dma_loop *loop;
	int a, b, started;
	uint32_t ha, hb;
	long cancels;

	require_bar_data();
	a = exp_export(&r, 1);
	b = exp_export(&r, 1);
	ha = bar_import(a);
	hb = bar_import(b);
	cancels = engine_stat("cancels");
	loop = dma_loop_start(t.fd, ha, size, 2);

	started = loop->started;
	igt_assert_eq(exp_revoke(a, 0), 0);
	/* The quiesce cancelled the job and waited for it: nothing runs. */
	assert_engine_quiet();
	igt_assert_f(engine_stat("cancels") - cancels >= 1,
		     "the revoke found no job running\n");
	/* From here on no byte may come through a: the sentinel, through b. */
	igt_assert_eq(pattern_write(hb, 0, size, sentinel), 0);

	igt_assert_eq(dma_loop_wait(loop, "revoke during write"), ENODEV);
	/* The write in flight ended with the revoke, not after it. */
	igt_assert_eq(loop->started, started);
	igt_assert_eq(loop->completed, started - 1);

	p2pbuf_imp_pattern_check(t.fd, hb, 0, size, sentinel);
	host_check_buffer(&r, 1, 0, size, sentinel);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, ha, 0, &info), 0);
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_INVALIDATED);
	igt_assert_eq(info.map_errno, -ENODEV);

	/* After the restore, the old import and a new one read the sentinel. */
	igt_assert_eq(exp_revoke(a, P2PBUF_EXP_REVOKE_RESTORE), 0);
	p2pbuf_imp_pattern_check(t.fd, ha, 0, size, sentinel);
	p2pbuf_imp_gem_close(t.fd, ha);
	ha = bar_import(a);
	p2pbuf_imp_pattern_check(t.fd, ha, 0, size, sentinel);

	p2pbuf_imp_gem_close(t.fd, ha);
	p2pbuf_imp_gem_close(t.fd, hb);
	close(a);
	close(b);
	munmap(loop, PAGE);
}

/*
 * Two render fds import one dma-buf: two GEM objects, one reservation
 * object.  Both are mapped; the engine writes through the first in a
 * long loop (a write of 128 KiB takes about 13 s); the revoke invalidates
 * the second import first (the newer attachment).  Its invalidation must
 * cancel the job of the first import too, not wait for the whole write.
 */
static void test_revoke_two_fds(void)
{
	const struct range r = { REGION_REVOKE + 64 * PAGE, 32 * PAGE };
	struct drm_p2pbuf_imp_gem_info info;
	struct dma_loop *loop;
	int dmabuf, fd2, started, completed;
	uint32_t h1, h2;

	require_bar_data();
	dmabuf = exp_export(&r, 1);
	h1 = bar_import(dmabuf);
	fd2 = p2pbuf_open_render(P2PBUF_IMP_DRIVER_NAME);
	igt_assert_fd(fd2);
	igt_assert_eq(prime_import(fd2, dmabuf, &h2), 0);
	apply_mode(fd2, h2);
	igt_assert_eq(p2pbuf_imp_gem_info(fd2, h2, P2PBUF_IMP_GEM_INFO_MAP, &info), 0);
	igt_assert_eq_u32(info.map_type, mode->type);
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_MAPPED);

	loop = dma_loop_start(t.fd, h1, r.length, 1);
	started = loop->started;
	completed = loop->completed;
	igt_assert_eq(exp_revoke(dmabuf, 0), 0);
	assert_engine_quiet();
	igt_assert_eq(dma_loop_wait(loop, "revoke of a twice-imported buffer"),
		      ENODEV);
	/* The write in flight was cancelled, not run to its end. */
	igt_assert_eq(loop->completed, completed);
	igt_assert_eq(loop->started, started);

	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, h1, 0, &info), 0);
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_INVALIDATED);
	igt_assert_eq(p2pbuf_imp_gem_info(fd2, h2, 0, &info), 0);
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_INVALIDATED);

	/* Restored: both imports work again, one after the other. */
	igt_assert_eq(exp_revoke(dmabuf, P2PBUF_EXP_REVOKE_RESTORE), 0);
	igt_assert_eq(pattern_write(h1, 0, 2 * PAGE, 0x71), 0);
	p2pbuf_imp_pattern_check(fd2, h2, 0, 2 * PAGE, 0x71);

	close(fd2);
	p2pbuf_imp_gem_close(t.fd, h1);
	close(dmabuf);
	munmap(loop, PAGE);
}

/* ---- subtests: engine, unbind ------------------------------------------- */

static char saved_timeout[32];

static void restore_timeout_at_exit(int sig)
{
	(void)sig;
	if (saved_timeout[0])
		p2pbuf_sysfs_write("/sys/module/" IMP_MODULE "/parameters/timeout_ms",
			   saved_timeout);
}

static const char timeout_param[] =
	"/sys/module/" IMP_MODULE "/parameters/timeout_ms";

static void set_timeout_ms(const char *ms)
{
	if (!saved_timeout[0]) {
		igt_assert_lt(0, p2pbuf_read_file(timeout_param, saved_timeout,
						  sizeof(saved_timeout)));
		igt_install_exit_handler(restore_timeout_at_exit);
	}
	igt_assert_eq(p2pbuf_sysfs_write(timeout_param, ms), 0);
}

static void restore_timeout(void)
{
	igt_assert_eq(p2pbuf_sysfs_write(timeout_param, saved_timeout), 0);
}

/* The kernel logs each timeout, and a stop that did not end, as errors. */
static void expect_timeout_messages(void)
{
	igt_emit_ignore_dmesg_regex("p2pbuf_importer [0-9a-f:.]+: DMA (command .* timed out|engine still busy after a stop)");
}

static int inject_stall(const char *n)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/inject_stall", igt_debugfs_mount(),
		 t.imp_debugfs);
	return p2pbuf_sysfs_write(path, n);
}

/*
 * An injected hang: the command times out, the engine cannot be stopped
 * (it reports busy for as long as the hang lasts), so the next job fails
 * with -EIO; once the hang ends the engine works again.
 */
static void test_engine_timeout(void)
{
	struct timespec start;
	long timeouts;
	uint32_t obj;
	uint8_t *ptr;
	double took;

	/* The parameter's documented range: 1 to 60000 ms. */
	set_timeout_ms("300");
	igt_assert_eq(p2pbuf_sysfs_write(timeout_param, "0"), -EINVAL);
	igt_assert_eq(p2pbuf_sysfs_write(timeout_param, "60001"), -EINVAL);
	igt_assert_eq(p2pbuf_sysfs_write(timeout_param, "-1"), -EINVAL);

	obj = gem_create(PAGE);
	ptr = gem_mmap(obj, PAGE);
	timeouts = engine_stat("timeouts");
	expect_timeout_messages();
	igt_assert_eq(inject_stall("1"), 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	igt_assert_eq(pattern_write(obj, 0, PAGE, 81), -ETIMEDOUT);
	took = elapsed_s(&start);
	/* Not before the timeout; the stop's wait is bounded (1 s). */
	igt_assert_f(took >= 0.3 && took < 10.0,
		     "the timed-out write took %.3f s\n", took);
	igt_assert_eq(engine_stat("timeouts"), timeouts + 1);
	igt_assert_eq(engine_stat("stuck"), 1);
	igt_assert_eq(engine_stat("hw-busy"), 1);

	/* Still busy with the hung command: no job starts. */
	igt_assert_eq(pattern_write(obj, 0, PAGE, 82), -EIO);
	igt_assert_eq(engine_stat("timeouts"), timeouts + 1);

	/* The hang ends: the next job finds the engine usable again. */
	igt_assert_eq(inject_stall("0"), 0);
	igt_assert_eq(pattern_write(obj, 0, PAGE, 83), 0);
	p2pbuf_cpu_check(ptr, PAGE, 83);
	igt_assert_eq(engine_stat("stuck"), 0);

	restore_timeout();
	munmap(ptr, PAGE);
	p2pbuf_imp_gem_close(t.fd, obj);
}

/*
 * A real command that outlives its timeout (1 ms; edu takes 100 ms of the
 * guest's clock per command): when the ioctl returns -ETIMEDOUT the
 * device was stopped and is idle, so no DMA can follow the job's fence.
 * Then the engine works again, bus mastering back on.
 */
static void test_engine_timeout_stops_dma(void)
{
	uint32_t obj;
	uint8_t *ptr;
	long timeouts;

	obj = gem_create(2 * PAGE);
	ptr = gem_mmap(obj, 2 * PAGE);
	p2pbuf_cpu_fill(ptr, 2 * PAGE, 84);
	timeouts = engine_stat("timeouts");

	expect_timeout_messages();
	set_timeout_ms("1");
	igt_assert_eq(pattern_write(obj, 0, 2 * PAGE, 85), -ETIMEDOUT);
	igt_assert_eq(engine_stat("hw-busy"), 0);
	igt_assert_eq(engine_stat("busy"), 0);
	igt_assert_eq(engine_stat("stuck"), 1);
	igt_assert_eq(engine_stat("timeouts"), timeouts + 1);
	restore_timeout();
	/* The first command (memory -> engine) timed out: no byte landed. */
	p2pbuf_cpu_check(ptr, 2 * PAGE, 84);

	igt_assert_eq(pattern_write(obj, 0, 2 * PAGE, 86), 0);
	p2pbuf_cpu_check(ptr, 2 * PAGE, 86);
	igt_assert_eq(engine_stat("stuck"), 0);
	munmap(ptr, 2 * PAGE);
	p2pbuf_imp_gem_close(t.fd, obj);
}

/*
 * A stale completion interrupt (late, from an earlier command) arrives
 * while each command of a write runs (fault injection): no command may
 * count as done before the device says so, or the next one is started on
 * a busy engine, which drops it, and bytes go missing.
 */
static void test_engine_stale_irq(void)
{
	const uint64_t size = 4 * PAGE;
	const long cmds = 2 * size / 2048;	/* two per 2 KiB piece */
	char path[PATH_MAX], val[32];
	long commands;
	uint32_t obj;
	uint8_t *ptr;

	snprintf(path, sizeof(path), "%s/%s/inject_irq", igt_debugfs_mount(),
		 t.imp_debugfs);
	obj = gem_create(size);
	ptr = gem_mmap(obj, size);
	p2pbuf_cpu_fill(ptr, size, 87);
	commands = engine_stat("commands");
	snprintf(val, sizeof(val), "%ld", cmds);
	igt_assert_eq(p2pbuf_sysfs_write(path, val), 0);

	igt_assert_eq(pattern_write(obj, 0, size, 88), 0);
	igt_assert_lt(0, p2pbuf_read_file(path, val, sizeof(val)));
	igt_assert_f(atoi(val) == 0, "%s injections left\n", val);
	igt_assert_eq(engine_stat("commands"), commands + cmds);
	p2pbuf_cpu_check(ptr, size, 88);
	p2pbuf_imp_pattern_check(t.fd, obj, 0, size, 88);
	munmap(ptr, size);
	p2pbuf_imp_gem_close(t.fd, obj);
}

static int driver_bind(const char *driver, const char *bdf, bool bind)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/%s", driver,
		 bind ? "bind" : "unbind");
	return p2pbuf_sysfs_write(path, bdf);
}

static bool driver_bound(const char *driver, const char *bdf)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/%s", driver, bdf);
	return access(path, F_OK) == 0;
}

static void rebind_at_exit(int sig)
{
	(void)sig;
	if (t.imp_bdf[0] && !driver_bound(IMP_DRIVER, t.imp_bdf))
		driver_bind(IMP_DRIVER, t.imp_bdf, true);
	if (t.exp_bdf[0] && !driver_bound(EXP_DRIVER, t.exp_bdf))
		driver_bind(EXP_DRIVER, t.exp_bdf, true);
}

/* Unbind the importer with live native and imported objects. */
static void test_unbind_importer(void)
{
	const struct range r = { REGION_UNBIND, PAGE };
	bool bar = t.exp_fd >= 0 && !p2pbuf_bed_route_none();
	uint32_t native, handle = 0;
	unsigned long ino;
	char line[256];
	int dmabuf = -1;
	uint8_t *ptr;

	native = gem_create(PAGE);
	ptr = gem_mmap(native, PAGE);
	igt_assert_eq(pattern_write(native, 0, PAGE, 91), 0);
	if (bar) {
		dmabuf = exp_export(&r, 1);
		handle = bar_import(dmabuf);
		bar_use(handle, PAGE, 92);
		igt_assert(exp_attach_line(dmabuf, line, sizeof(line)));
		igt_assert_f(strstr(line, " mapped 1 "), "%s\n", line);
	}

	igt_install_exit_handler(rebind_at_exit);
	igt_assert_eq(driver_bind(IMP_DRIVER, t.imp_bdf, false), 0);

	/* The device is gone: ioctls fail, mappings were given back. */
	igt_assert_eq(pattern_write(native, 0, PAGE, 93), -ENODEV);
	if (bar) {
		igt_assert(exp_attach_line(dmabuf, line, sizeof(line)));
		igt_assert_f(strstr(line, " mapped 0 "), "%s\n", line);
	}
	/* CPU mappings of native objects stay valid. */
	p2pbuf_cpu_check(ptr, PAGE, 91);
	munmap(ptr, PAGE);
	/* Closing the file frees the objects and detaches. */
	close(t.fd);
	t.fd = -1;
	if (bar)
		igt_assert(!exp_attach_line(dmabuf, line, sizeof(line)));

	igt_assert_eq(driver_bind(IMP_DRIVER, t.imp_bdf, true), 0);
	open_importer();
	if (bar) {
		handle = bar_import(dmabuf);
		if (p2pbuf_bed_data_ok()) {
			p2pbuf_imp_pattern_check(t.fd, handle, 0, PAGE, 92);
			host_check_buffer(&r, 1, 0, PAGE, 92);
		} else {
			bar_use(handle, PAGE, 92);
		}
		p2pbuf_imp_gem_close(t.fd, handle);
		ino = inode_of(dmabuf);
		close(dmabuf);
		igt_assert_f(!dmabuf_alive(ino), "dma-buf %lu leaked\n", ino);
	}
	native = gem_create(PAGE);
	igt_assert_eq(pattern_write(native, 0, PAGE, 94), 0);
	p2pbuf_imp_pattern_check(t.fd, native, 0, PAGE, 94);
	p2pbuf_imp_gem_close(t.fd, native);
}

/* Unbind the exporter under a live, mapped import. */
static void test_unbind_exporter(void)
{
	const struct range r = { REGION_UNBIND + 8 * PAGE, PAGE };
	struct drm_p2pbuf_imp_gem_info info;
	unsigned long ino;
	uint32_t handle;
	int dmabuf;

	require_bar_import();
	dmabuf = exp_export(&r, 1);
	handle = bar_import(dmabuf);
	bar_use(handle, PAGE, 95);

	close(t.exp_fd);
	t.exp_fd = -1;
	igt_install_exit_handler(rebind_at_exit);
	igt_assert_eq(driver_bind(EXP_DRIVER, t.exp_bdf, false), 0);

	/* The exporter revoked for good: the mapping is gone, uses fail. */
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_INVALIDATED);
	igt_assert_eq(pattern_write(handle, 0, PAGE, 96), -ENODEV);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP, &info),
		      -ENODEV);
	p2pbuf_imp_gem_close(t.fd, handle);
	ino = inode_of(dmabuf);
	close(dmabuf);
	igt_assert_f(!dmabuf_alive(ino), "dma-buf %lu leaked\n", ino);

	igt_assert_eq(driver_bind(EXP_DRIVER, t.exp_bdf, true), 0);
	t.exp_fd = exp_open();
	igt_assert_fd(t.exp_fd);
	dmabuf = exp_export(&r, 1);
	handle = bar_import(dmabuf);
	bar_use(handle, PAGE, 97);
	if (p2pbuf_bed_data_ok()) {
		p2pbuf_imp_pattern_check(t.fd, handle, 0, PAGE, 97);
		host_check_buffer(&r, 1, 0, PAGE, 97);
	}
	p2pbuf_imp_gem_close(t.fd, handle);
	close(dmabuf);
}

/* Unbind the importer while its engine writes into a BAR import. */
static void test_unbind_importer_during_dma(void)
{
	const struct range r = { REGION_UNBIND + 16 * PAGE, 4 * PAGE };
	struct dma_loop *loop;
	unsigned long ino;
	uint32_t handle;
	char line[256];
	int dmabuf, started;

	require_bar_data();
	dmabuf = exp_export(&r, 1);
	handle = bar_import(dmabuf);
	loop = dma_loop_start(t.fd, handle, r.length, 2);

	igt_install_exit_handler(rebind_at_exit);
	started = loop->started;
	igt_assert_eq(driver_bind(IMP_DRIVER, t.imp_bdf, false), 0);
	/*
	 * Unbind stopped the running write after its command in flight: that
	 * write failed with -ENODEV, no later one started, and the mapping
	 * was given back by the time unbind returned.
	 */
	igt_assert(exp_attach_line(dmabuf, line, sizeof(line)));
	igt_assert_f(strstr(line, " mapped 0 "), "%s\n", line);
	igt_assert_eq(dma_loop_wait(loop, "unbind during write"), ENODEV);
	igt_assert_eq(loop->started, started);
	igt_assert_eq(loop->completed, started - 1);

	close(t.fd);
	t.fd = -1;
	igt_assert(!exp_attach_line(dmabuf, line, sizeof(line)));
	ino = inode_of(dmabuf);
	close(dmabuf);
	igt_assert_f(!dmabuf_alive(ino), "dma-buf %lu leaked\n", ino);
	munmap(loop, PAGE);

	igt_assert_eq(driver_bind(IMP_DRIVER, t.imp_bdf, true), 0);
	open_importer();
}

/* Unbind the exporter while the engine writes into one of its buffers. */
static void test_unbind_exporter_during_dma(void)
{
	const struct range r = { REGION_UNBIND + 32 * PAGE, 4 * PAGE };
	struct drm_p2pbuf_imp_gem_info info;
	struct dma_loop *loop;
	unsigned long ino;
	uint32_t handle;
	int dmabuf, started;
	long cancels;

	require_bar_data();
	dmabuf = exp_export(&r, 1);
	handle = bar_import(dmabuf);
	cancels = engine_stat("cancels");
	loop = dma_loop_start(t.fd, handle, r.length, 2);

	close(t.exp_fd);
	t.exp_fd = -1;
	igt_install_exit_handler(rebind_at_exit);
	started = loop->started;
	igt_assert_eq(driver_bind(EXP_DRIVER, t.exp_bdf, false), 0);
	assert_engine_quiet();
	igt_assert_eq(dma_loop_wait(loop, "exporter unbind during write"),
		      ENODEV);
	igt_assert_eq(loop->started, started);
	igt_assert_eq(loop->completed, started - 1);
	igt_assert_f(engine_stat("cancels") - cancels >= 1,
		     "the unbind found no job running\n");
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_INVALIDATED);

	p2pbuf_imp_gem_close(t.fd, handle);
	ino = inode_of(dmabuf);
	close(dmabuf);
	igt_assert_f(!dmabuf_alive(ino), "dma-buf %lu leaked\n", ino);
	munmap(loop, PAGE);

	igt_assert_eq(driver_bind(EXP_DRIVER, t.exp_bdf, true), 0);
	t.exp_fd = exp_open();
	igt_assert_fd(t.exp_fd);
}

/* ---- the demo ------------------------------------------------------------ */

/*
 * "A NIC writes into GPU memory": the importer's DMA engine (the NIC)
 * writes a frame straight into the exporter's BAR (the GPU's memory)
 * through a dma-buf, with no bounce through system memory; the bytes are
 * read back by the engine and checked by the host.
 */
static void test_zerocopy_demo(void)
{
	const struct range r = { REGION_DEMO, 4 * PAGE };
	const uint64_t size = r.length;
	char block[2048], line[256], route[64] = "?";
	uint64_t addr = 0, len = 0;
	struct timespec start;
	uint32_t handle;
	double took;
	int dmabuf;

	require_bar_data();
	dmabuf = exp_export(&r, 1);
	handle = bar_import(dmabuf);

	clock_gettime(CLOCK_MONOTONIC, &start);
	igt_assert_eq(pattern_write(handle, 0, size, 0xd0), 0);
	took = elapsed_s(&start);
	p2pbuf_imp_pattern_check(t.fd, handle, 0, size, 0xd0);
	host_check_buffer(&r, 1, 0, size, 0xd0);

	igt_assert(import_block(dmabuf, block, sizeof(block)));
	igt_assert(block_seg(block, 0, &addr, &len));
	if (exp_attach_line(dmabuf, line, sizeof(line))) {
		const char *p = strstr(line, " route ");

		if (p)
			snprintf(route, sizeof(route), "%s", p + 7);
	}
	igt_info("zero-copy: the %s engine wrote %" PRIu64
		 " bytes into BAR%u of %s at offset %#" PRIx64
		 " in %.2f s, by DMA to %#" PRIx64 " (map type %s); %" PRIu64
		 " bytes verified by DMA read-back, host check queued\n",
		 t.imp_bdf, size, EXP_BAR, t.exp_bdf, r.offset, took, addr,
		 route, size);
	p2pbuf_imp_gem_close(t.fd, handle);
	close(dmabuf);
}

/* ---- revoke by a function reset ------------------------------------------ */

/*
 * BAR2 bytes [13 MiB, 14 MiB) belong to revoke-reset-and-reuse alone: the
 * subtests above write and check below 13 MiB (bar-max-ranges maps pages
 * up to 16 MiB but touches none in [13, 14) MiB), and [14 MiB, 15 MiB) is
 * the VFIO interop test's.
 */
#define REGION_RESET	((13ULL << 20) + mode->region_off)

/* The exporter device's reset count, from its debugfs report. */
static long exp_resets(void)
{
	const char *p = strstr(exp_buffers(), " resets ");

	igt_assert_f(p, "no reset count in:\n%s", report);
	return strtol(p + 8, NULL, 10);
}

/* Reset the exporter's PCI function through sysfs; returns when done. */
static void exp_reset(void)
{
	char path[PATH_MAX];
	long resets = exp_resets();
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset",
		 t.exp_bdf);
	ret = p2pbuf_sysfs_write(path, "1");
	/* acs-redirect: a function sharing its slot has no usable method. */
	igt_require_f(ret != -ENOTTY,
		      "the PCI core has no reset method for %s here (ENOTTY)\n",
		      t.exp_bdf);
	igt_assert_f(ret == 0, "resetting %s: %s\n", t.exp_bdf, strerror(-ret));
	/* The driver saw reset_prepare() and reset_done(). */
	igt_assert_eq(exp_resets(), resets + 1);
}

/*
 * After a reset of the exporter: the import of @dmabuf was invalidated
 * twice since @before (the revoke in reset_prepare(), the restore in
 * reset_done()), holds no mapping, and the buffer is active again.
 */
static void assert_reset_invalidated(uint32_t handle, int dmabuf,
				     const struct drm_p2pbuf_imp_gem_info *before)
{
	struct drm_p2pbuf_imp_gem_info info;
	char line[256];

	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_INVALIDATED);
	igt_assert_eq_u64(info.invalidates, before->invalidates + 2);
	igt_assert_eq_u64(info.maps, before->maps);
	igt_assert_eq(info.dma_segments, 0);
	igt_assert(exp_attach_line(dmabuf, line, sizeof(line)));
	igt_assert_f(strstr(line, " mapped 0 "), "%s\n", line);
	igt_assert(exp_buffer_block(dmabuf, report, sizeof(report)));
	igt_assert_f(strstr(report, " state active\n") ||
		     strstr(report, " state active "), "%s", report);
}

/* The import maps again after a reset: one more mapping, bytes intact. */
static void assert_reset_reuse(uint32_t handle, uint64_t size, uint32_t seed,
			       const struct drm_p2pbuf_imp_gem_info *before)
{
	struct drm_p2pbuf_imp_gem_info info;

	if (p2pbuf_bed_data_ok())
		p2pbuf_imp_pattern_check(t.fd, handle, 0, size, seed);
	else
		igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP,
				       &info), 0);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_MAPPED);
	igt_assert_eq_u64(info.maps, before->maps + 1);
	igt_assert_eq(info.map_errno, 0);
}

/* A fresh export of @r after a reset imports, maps and carries bytes. */
static void fresh_export_works(const struct range *r, uint32_t seed)
{
	uint32_t handle;
	int dmabuf;

	dmabuf = exp_export(r, 1);
	handle = bar_import(dmabuf);
	bar_use(handle, r->length, seed);
	if (p2pbuf_bed_data_ok()) {
		p2pbuf_imp_pattern_check(t.fd, handle, 0, r->length, seed);
		host_check_buffer(r, 1, 0, r->length, seed);
	} else {
		host_check_zero(r->offset, r->length);
	}
	p2pbuf_imp_gem_close(t.fd, handle);
	close(dmabuf);
}

/*
 * Reset the exporter's PCI function (sysfs "reset") under a mapped import,
 * idle, then while the engine writes through it in a loop.  reset_prepare()
 * revokes every buffer (the importer is invalidated and unmaps; the running
 * job is cancelled and the loop ends with -ENODEV) and reset_done()
 * restores them: the same dma-buf and the same import map again and carry
 * bytes, and a fresh export works too.
 */
static void test_revoke_reset_and_reuse(void)
{
	const struct range r = { REGION_RESET, 4 * PAGE };
	const struct range fresh = { REGION_RESET + 8 * PAGE, 2 * PAGE };
	const struct range fresh2 = { REGION_RESET + 16 * PAGE, 2 * PAGE };
	const uint64_t size = r.length;
	const uint32_t sentinel = 0x6e;
	struct drm_p2pbuf_imp_gem_info before;
	char path[PATH_MAX];
	struct dma_loop *loop;
	uint32_t handle;
	int dmabuf;
	long cancels;

	require_bar_import();
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset",
		 t.exp_bdf);
	igt_require_f(access(path, W_OK) == 0, "%s has no reset method\n",
		      t.exp_bdf);
	dmabuf = exp_export(&r, 1);
	handle = bar_import(dmabuf);
	bar_use(handle, size, 0x61);

	/* A reset with the import mapped and idle. */
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &before), 0);
	exp_reset();
	assert_reset_invalidated(handle, dmabuf, &before);
	/* The BAR keeps its bytes; the same import maps them again. */
	assert_reset_reuse(handle, size, 0x61, &before);
	fresh_export_works(&fresh, 0x62);

	if (!p2pbuf_bed_data_ok()) {
		host_check_zero(r.offset, r.length);
		p2pbuf_imp_gem_close(t.fd, handle);
		close(dmabuf);
		igt_skip("reset during DMA: %s\n", p2pbuf_bed_data());
	}

	/* A reset while the engine writes through the import in a loop. */
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &before), 0);
	cancels = engine_stat("cancels");
	loop = dma_loop_start(t.fd, handle, size, 2);
	exp_reset();
	/* The write in flight was cancelled by the revoke of reset_prepare(). */
	igt_assert_eq(dma_loop_wait(loop, "reset during write"), ENODEV);
	igt_assert_f(engine_stat("cancels") - cancels >= 1,
		     "the reset found no job running\n");
	assert_reset_invalidated(handle, dmabuf, &before);

	/* After the reset: a new write through the same import lands whole. */
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &before), 0);
	igt_assert_eq(pattern_write(handle, 0, size, sentinel), 0);
	assert_reset_reuse(handle, size, sentinel, &before);
	host_check_buffer(&r, 1, 0, size, sentinel);
	fresh_export_works(&fresh2, 0x63);

	p2pbuf_imp_gem_close(t.fd, handle);
	close(dmabuf);
	munmap(loop, PAGE);
}

/*
 * A subtest that imports: one dynamic subtest per mapping mode, each with
 * its own copy of the BAR regions.
 */
#define imp_subtest(subtest)					\
	igt_subtest_with_dynamic(subtest)				\
		for (mode_i = 0; mode_i < ARRAY_SIZE(modes); mode_i++)	\
			igt_dynamic(modes[mode_i].name)			\
				if ((mode = &modes[mode_i]))

int igt_main()
{
	igt_fixture()
		setup();

	igt_describe("Native GEM objects: the engine writes the pattern, the CPU and the engine read it back, a check reports the first wrong byte.");
	igt_subtest("native-pattern")
		test_native_pattern();

	igt_describe("Copies between native objects at unaligned offsets, across engine commands and pages, and inside one object.");
	igt_subtest("native-copy")
		test_native_copy();

	igt_describe("Every ioctl refuses unknown flags, non-zero pad (every byte) and reserved fields, empty, out-of-bounds, overflowing and overlapping ranges, and unknown handles; a native object of exactly the maximum size is created.");
	igt_subtest("uapi-invalid")
		test_uapi_invalid();

	igt_describe("A 16 MiB vgem buffer imported and mapped: no DMA segment is longer than the device's max segment size (where no IOMMU merges). Proves upstream/linux-7.3/0007; on a kernel without it, an expected failure.");
	igt_subtest("vgem-import-max-seg")
		test_vgem_import_max_seg();

	igt_describe("Imports vgem system memory: attached but unmapped until first use, then written by the engine and checked through vgem's CPU mapping.");
	imp_subtest("vgem-import")
		test_vgem_import(true);

	igt_describe("In non-P2P mode (p2p=0) system memory still imports, without allow_peer2peer.");
	imp_subtest("vgem-import-no-p2p")
		test_vgem_import(false);

	igt_describe("A BAR import is attached but not mapped until used; the exporter sees the mapping appear; closing the handle detaches.");
	imp_subtest("bar-import-lazy")
		test_bar_lazy();

	igt_describe("One BAR range: the engine writes it, reads it back, copies it to and from system memory; the host checks the BAR bytes.");
	imp_subtest("bar-one-range")
		test_bar_one_range();

	igt_describe("Several non-contiguous BAR ranges out of order: bytes land at exactly the ranges' BAR offsets, holes stay untouched.");
	imp_subtest("bar-several-ranges")
		test_bar_several_ranges();

	igt_describe("The exporter's maximum number of ranges: pieces across range boundaries land at the right BAR offsets.");
	imp_subtest("bar-max-ranges")
		test_bar_max_ranges();

	igt_describe("A DMA segment longer than the importer's maximum segment size is cut there: a write across the cut takes two engine pieces.");
	imp_subtest("bar-max-segment")
		test_bar_max_segment();

	igt_describe("The DMA address list of a one-range import matches the topology's route: bus address, IOVA, or CPU physical address.");
	imp_subtest("dma-addresses")
		test_dma_addresses();

	igt_describe("The DMA address list of a three-range import: bus or CPU physical addresses per range, or one IOVA range for the whole buffer.");
	imp_subtest("dma-addresses-multi-range")
		test_dma_addresses_multi();

	igt_describe("Without a P2P route the exporter refuses the import (-EOPNOTSUPP) and nothing stays attached.");
	imp_subtest("import-no-route")
		test_import_no_route();

	igt_describe("In non-P2P mode the exporter refuses BAR imports (-EOPNOTSUPP) and nothing stays attached.");
	imp_subtest("import-no-p2p")
		test_import_no_p2p();

	igt_describe("The exporter picks the mapping type per attachment: a PAL for fixed buffers, an sg_table for migratable objects (a PAL alone: -EOPNOTSUPP); the choice is refused while mapped (-EBUSY) and may change after an invalidation; a revoked PAL is refused with -ENODEV.");
	igt_subtest("pal-negotiation")
		test_pal_negotiation();

	igt_describe("Revoke an idle mapped import: it is unmapped, uses fail with -ENODEV, and after the restore it maps again.");
	imp_subtest("revoke-idle")
		test_revoke_idle();

	igt_describe("Revoke while the engine writes in a loop: the running job stops, the loop fails with -ENODEV, the engine is idle when the revoke returns and moves nothing after it.");
	imp_subtest("revoke-during-dma")
		test_revoke_during_dma();

	igt_describe("Two render fds import one dma-buf; revoked during a long write through one of them: the invalidation of the other import cancels the job (one reservation object), the write fails with -ENODEV.");
	imp_subtest("revoke-two-fds-during-dma")
		test_revoke_two_fds();

	igt_describe("A hung engine command times out with -ETIMEDOUT, not before the timeout; while it hangs jobs fail with -EIO; the engine is usable again once idle (fault injection); timeout_ms refuses values outside 1 to 60000.");
	igt_subtest("engine-timeout")
		test_engine_timeout();

	igt_describe("A real engine command outlives a 1 ms timeout: the ioctl returns -ETIMEDOUT only once the device was stopped and is idle; the engine works again after.");
	igt_subtest("engine-timeout-stops-dma")
		test_engine_timeout_stops_dma();

	igt_describe("A stale completion interrupt during every command of a write (fault injection): no command counts as done before the device is idle; every byte lands.");
	igt_subtest("engine-stale-irq")
		test_engine_stale_irq();

	igt_describe("Unbind the importer with live native and imported objects: uses fail, mappings are given back, rebinding works.");
	imp_subtest("unbind-importer")
		test_unbind_importer();

	igt_describe("Unbind the exporter under a live mapped import: the import is invalidated, uses fail with -ENODEV, rebinding works.");
	imp_subtest("unbind-exporter")
		test_unbind_exporter();

	igt_describe("Unbind the importer while its engine writes into a BAR import in a loop: the running write stops, the loop ends with -ENODEV, nothing leaks.");
	imp_subtest("unbind-importer-during-dma")
		test_unbind_importer_during_dma();

	igt_describe("Unbind the exporter while the engine writes into its buffer in a loop: the running job is cancelled, the loop ends with -ENODEV, nothing leaks.");
	imp_subtest("unbind-exporter-during-dma")
		test_unbind_exporter_during_dma();

	igt_describe("Zero-copy demo: the importer's engine writes into the exporter's BAR through a dma-buf; prints the bytes verified and the map type.");
	imp_subtest("zerocopy-demo")
		test_zerocopy_demo();

	igt_describe("Reset the exporter's PCI function under a mapped import, idle and during engine DMA: the import is invalidated, the running job ends with -ENODEV, then the same dma-buf maps again with its bytes, and fresh exports work.");
	imp_subtest("revoke-reset-and-reuse")
		test_revoke_reset_and_reuse();

	igt_fixture() {
		if (t.exp_fd >= 0)
			close(t.exp_fd);
		if (t.fd >= 0)
			close(t.fd);
	}
}
