// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_vfio - the p2pbuf importer against an exporter nobody here wrote:
 * upstream VFIO's dma-bufs of a BAR (VFIO_DEVICE_FEATURE_DMA_BUF).
 *
 * The test bed's ivshmem device is taken from p2pbuf_exporter, handed to
 * vfio-pci and opened through its IOMMU group (lib/p2pbuf_vfio.c); VFIO
 * exports a range of BAR2, the importer imports it with
 * drmPrimeFDToHandle() and its engine writes and reads the test pattern
 * there, device to device; the host checks the bytes in the BAR's backing
 * file.  The device goes back to p2pbuf_exporter afterwards, also when
 * the subtest fails or the binary dies (an exit handler), so later tests
 * find it there.
 *
 * VFIO needs a group, and a viable one.  With an IOMMU, QEMU's root
 * ports and switch downstream ports have ACS: in rootports-iommu,
 * switch-iommu and switch-iommu-pt the ivshmem device's group holds only
 * it (and its port); the two functions of acs-redirect's slot share one
 * with the edu device, bound to p2pbuf_importer: not viable.  Without an
 * IOMMU (switch, rootports-direct, rootports-noallow) the proving kernel's
 * VFIO noiommu mode gives the device a group of its own (the library
 * turns the mode on for the subtest and off after it); Debian's kernel
 * has no such mode (CONFIG_VFIO_NOIOMMU is not set).  The subtests skip
 * with the reason there, and in switch-iommu where device DMA carries no
 * data.  Where the kernel knows no P2P route (rootports-noallow) VFIO
 * still accepts the attachment, and every map is refused: the subtests
 * assert that refusal instead of moving bytes.
 *
 * Three subtests prove patches of upstream/linux-7.3/ with VFIO, which
 * maps with the kernel's dma_buf_phys_vec_to_sgt() and dma_buf_free_sgt()
 * and works around nothing: vfio-multi-range (patch 0001: a dma-buf of two
 * ranges behind an IOMMU), vfio-map-error-unwind (patch 0003: a failed
 * map unmaps entries it never mapped; seen by DMA-API debugging) and
 * vfio-unmap-frees (patch 0004: every unmap leaks the scatterlist).  On a kernel without the series they end as an
 * expected failure, once they have seen the bug (p2pbuf_kernel_fixed(),
 * p2pbuf_expected_failure()).
 *
 * BAR2 region: 14 MiB to 15 MiB belongs to this test alone.  The importer
 * test's regions are at 1 to 7 MiB; its bar-max-ranges buffer spans 8 to
 * 16 MiB but writes and checks bytes only near 8, 12 and 16 MiB; the
 * allocator owns the upper 16 MiB and the bed's probe the first page.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt.h"
#include "igt_kmod.h"

#include "p2pbuf_igt.h"
#include "p2pbuf_sysfs.h"
#include "p2pbuf_vfio.h"

#include "../include/uapi/drm/p2pbuf_imp_drm.h"

IGT_TEST_DESCRIPTION("The p2pbuf importer imports a BAR range exported by "
		     "upstream VFIO (vfio-pci, VFIO_DEVICE_FEATURE_DMA_BUF) "
		     "and its DMA engine moves bytes through it, checked by "
		     "the engine and by the host.");

#define IMP_MODULE	"p2pbuf_importer"
#define EXP_MODULE	"p2pbuf_exporter"
#define EXP_BAR		2
#define PAGE		4096ULL
#define REGION_VFIO	(14ULL << 20)	/* to 15 MiB: this test's own */
/* The importer's DMA mask as its probe sets it. */
#define IMP_DMA_MASK_DEFAULT	UINT64_MAX

static struct {
	int fd;			/* the importer's render node */
	char exp_bdf[32];	/* the ivshmem device */
	char exp_driver[64];	/* its driver when the test started */
	char imp_bdf[32];	/* the edu device (p2pbuf_importer) */
	struct p2pbuf_vfio vfio;
} t = { .fd = -1 };

static int imp_ioctl(unsigned long req, void *arg)
{
	return drmIoctl(t.fd, req, arg) ? -errno : 0;
}

static void imp_gem_close(uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	igt_assert_eq(imp_ioctl(DRM_IOCTL_GEM_CLOSE, &c), 0);
}

static int pattern(uint32_t handle, uint32_t op, uint64_t offset,
		   uint64_t size, uint32_t seed,
		   struct drm_p2pbuf_imp_pattern *out)
{
	struct drm_p2pbuf_imp_pattern p = {
		.handle = handle, .op = op, .offset = offset, .size = size,
		.seed = seed,
	};
	int ret = imp_ioctl(DRM_IOCTL_P2PBUF_IMP_PATTERN, &p);

	*out = p;
	return ret;
}

static int gem_info_map(uint32_t handle, struct drm_p2pbuf_imp_gem_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	info->flags = P2PBUF_IMP_GEM_INFO_MAP;
	return imp_ioctl(DRM_IOCTL_P2PBUF_IMP_GEM_INFO, info);
}

/* Give the device back to its driver: at the end and on any exit. */
static void vfio_give_back(void)
{
	int ret = p2pbuf_vfio_release(&t.vfio);

	igt_assert_f(ret == 0, "%s did not go back to '%s': %s\n", t.exp_bdf,
		     t.exp_driver, strerror(-ret));
}

static void vfio_give_back_at_exit(int sig)
{
	(void)sig;
	p2pbuf_vfio_release(&t.vfio);
}

static void setup(void)
{
	t.fd = p2pbuf_importer_open();
	/* Loaded, so that it takes the device back afterwards. */
	igt_kmod_load(EXP_MODULE, NULL);
	igt_require_f(!p2pbuf_pci_find(0x1af4, 0x1110, t.exp_bdf,
				       sizeof(t.exp_bdf), t.exp_driver,
				       sizeof(t.exp_driver)),
		      "no ivshmem device (1af4:1110)\n");
	t.vfio.container = t.vfio.group = t.vfio.device = -1;
	igt_install_exit_handler(vfio_give_back_at_exit);
}

/*
 * Hand the ivshmem device to vfio-pci and check that it exports dma-bufs;
 * skips where VFIO cannot have it or device DMA carries no data (but not
 * where there is no route at all: the refusal is asserted there).
 */
static void vfio_open(void)
{
	const char *data = p2pbuf_bed_data();
	const char *kernel = getenv("P2PBUF_KERNEL");
	char why[256];
	int ret;

	ret = p2pbuf_vfio_usable(t.exp_bdf, why, sizeof(why));
	/*
	 * The proving kernel is built with CONFIG_VFIO_NOIOMMU
	 * (tools/testbed/kernel/p2pbuf-debug.config): there a device without
	 * an IOMMU group is VFIO's too.
	 */
	igt_assert_f(ret != -ENODEV || !kernel || strcmp(kernel, "debug"),
		     "on the proving kernel: %s\n", why);
	igt_require_f(ret == 0, "%s\n", why);
	igt_require_f(p2pbuf_bed_data_ok() || p2pbuf_bed_route_none(), "%s\n",
		      data);

	/*
	 * vfio-pci resets the function when it is opened, through a
	 * secondary bus reset of the port above it; vfio-pci and the PCI
	 * core report the reset at warning level.  In noiommu mode vfio
	 * warns that it taints the kernel when vfio-pci registers the
	 * device (for its group and its cdev) and when the device is opened
	 * (drivers/vfio/group.c, vfio_main.c).  No backslash in the regex:
	 * the runner reads it back from /dev/kmsg, which escapes it (\x5c).
	 * And "kernel[ ]taint": the regex lands in the kernel log and on the
	 * console, where the host's scan (summarize.py) fails a run on any
	 * "kernel taint" but vfio's own noiommu lines.
	 */
	igt_emit_ignore_dmesg_regex("vfio-pci [0-9a-f:.]+: (reset(ting| done)|"
				    "Adding kernel[ ]taint for vfio-noiommu (group on device|cdev)|"
				    "vfio-noiommu device opened by user [(]p2pbuf_vfio:[0-9]+[)])|"
				    "unlocked secondary bus reset via");
	ret = p2pbuf_vfio_acquire(&t.vfio, t.exp_bdf, why, sizeof(why));
	igt_assert_f(ret == 0, "VFIO: %s\n", why);
	igt_info("%s held by vfio-pci through %s group %d\n", t.exp_bdf,
		 t.vfio.noiommu ? "the noiommu" : "IOMMU", t.vfio.group_id);
	ret = p2pbuf_vfio_probe_dma_buf(&t.vfio);
	igt_require_f(ret == 0,
		      "vfio-pci offers no VFIO_DEVICE_FEATURE_DMA_BUF: %s\n",
		      strerror(-ret));
}

/* Give the device back and check that its driver has it again. */
static void vfio_close(void)
{
	char drv[64], bdf[32];

	vfio_give_back();
	igt_assert_eq(p2pbuf_pci_find(0x1af4, 0x1110, bdf, sizeof(bdf), drv,
				      sizeof(drv)), 0);
	igt_assert_f(!strcmp(drv, t.exp_driver),
		     "%s is bound to '%s', not '%s'\n", bdf, drv, t.exp_driver);
}

/* Whether the running kernel has the series; skips when unknowable. */
static bool kernel_fixed(void)
{
	int fixed = p2pbuf_kernel_fixed();

	igt_require_f(fixed >= 0, "cannot read /proc/kallsyms: %s\n",
		      strerror(-fixed));
	return fixed;
}

/* VFIO's dma-buf of the one range @r, imported: returns the dma-buf fd. */
static int vfio_import_one(const struct p2pbuf_vfio_range *r, uint32_t *handle)
{
	int dmabuf = p2pbuf_vfio_export(&t.vfio, EXP_BAR, r, 1);

	igt_assert_f(dmabuf >= 0, "VFIO dma-buf export: %s\n",
		     strerror(-dmabuf));
	igt_assert_eq(drmPrimeFDToHandle(t.fd, dmabuf, handle), 0);
	return dmabuf;
}

/*
 * No P2P route (rootports-noallow): VFIO attaches without asking for the
 * route, and each map fails where dma_buf_phys_vec_to_sgt() asks
 * pci_p2pdma_map_type(): PCI_P2PDMA_MAP_NOT_SUPPORTED is -EINVAL, before
 * anything is allocated or mapped, on every kernel (the series does not
 * touch that case).  The engine's use of the @size bytes is refused the
 * same way, and the import records the refusal.  (The callers ask the
 * host to check that no byte of the ranges changed.)
 */
static void assert_map_refused(uint32_t handle, uint64_t size)
{
	struct drm_p2pbuf_imp_gem_info info;
	struct drm_p2pbuf_imp_pattern p;

	igt_assert_eq(gem_info_map(handle, &info), -EINVAL);
	igt_assert_eq(pattern(handle, P2PBUF_IMP_PATTERN_WRITE, 0, size, 0x33,
			      &p), -EINVAL);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
	igt_assert_eq(info.kind, P2PBUF_IMP_KIND_IMPORT);
	igt_assert(info.info_flags & P2PBUF_IMP_INFO_PEER2PEER);
	igt_assert_eq(info.map_errno, -EINVAL);
	igt_assert_eq_u64(info.maps, 0);
	igt_assert_eq(info.dma_segments, 0);
}

static void test_interop(void)
{
	const struct p2pbuf_vfio_range one = { REGION_VFIO, 2 * PAGE };
	const uint32_t seed = 0x71;
	struct drm_p2pbuf_imp_gem_info info;
	struct drm_p2pbuf_imp_pattern p;
	uint32_t handle;
	int dmabuf;

	vfio_open();

	dmabuf = vfio_import_one(&one, &handle);
	if (p2pbuf_bed_route_none()) {
		assert_map_refused(handle, one.length);
		igt_assert_eq(p2pbuf_host_check_fill(one.offset, one.length, 0),
			      0);
		imp_gem_close(handle);
		close(dmabuf);
		vfio_close();
		return;
	}
	igt_assert_eq(gem_info_map(handle, &info), 0);
	igt_assert_eq_u64(info.size, one.length);
	igt_assert_eq(info.kind, P2PBUF_IMP_KIND_IMPORT);
	igt_assert(info.info_flags & P2PBUF_IMP_INFO_PEER2PEER);
	igt_assert_lte(1, info.dma_segments);

	/* The engine writes the pattern and reads it back. */
	igt_assert_eq(pattern(handle, P2PBUF_IMP_PATTERN_WRITE, 0, one.length,
			      seed, &p), 0);
	igt_assert_eq(pattern(handle, P2PBUF_IMP_PATTERN_CHECK, 0, one.length,
			      seed, &p), 0);
	igt_assert_f(p.bad_offset == P2PBUF_IMP_PATTERN_MATCH,
		     "byte %" PRIu64 " is 0x%02x, pattern has 0x%02x\n",
		     (uint64_t)p.bad_offset, p.found, p.expected);
	/* The host checks the BAR bytes, and the page after them. */
	igt_assert_eq(p2pbuf_host_check_pattern(one.offset, one.length, seed), 0);
	igt_assert_eq(p2pbuf_host_check_fill(one.offset + one.length, PAGE, 0),
		      0);
	imp_gem_close(handle);
	close(dmabuf);

	vfio_close();
}

/*
 * Pattern byte k of @seed, as the pattern of another seed from k on (the
 * pattern is seed + 7k + k/256: a multiple of 256 bytes in, it continues as
 * a pattern of its own).
 */
static uint32_t seed_at(uint32_t seed, uint64_t k)
{
	igt_assert_eq_u64(k % 256, 0);
	return seed + 7 * k + (k >> 8);
}

/*
 * The engine writes and reads back the pattern of @seed over an import of
 * the two ranges @two; the host finds each range's part of the pattern in
 * the BAR and [@gap, @gap + @gap_len) between them still zero.
 */
static void engine_two_ranges(uint32_t handle,
			      const struct p2pbuf_vfio_range two[2],
			      uint32_t seed, uint64_t gap, uint64_t gap_len)
{
	uint64_t size = two[0].length + two[1].length;
	struct drm_p2pbuf_imp_pattern p;

	igt_assert_eq(pattern(handle, P2PBUF_IMP_PATTERN_WRITE, 0, size,
			      seed, &p), 0);
	igt_assert_eq(pattern(handle, P2PBUF_IMP_PATTERN_CHECK, 0, size,
			      seed, &p), 0);
	igt_assert_f(p.bad_offset == P2PBUF_IMP_PATTERN_MATCH,
		     "byte %" PRIu64 " is 0x%02x, pattern has 0x%02x\n",
		     (uint64_t)p.bad_offset, p.found, p.expected);
	igt_assert_eq(p2pbuf_host_check_pattern(two[0].offset, two[0].length,
						seed), 0);
	igt_assert_eq(p2pbuf_host_check_pattern(two[1].offset, two[1].length,
						seed_at(seed, two[0].length)), 0);
	igt_assert_eq(p2pbuf_host_check_fill(gap, gap_len, 0), 0);
}

/*
 * Patch 0001: dma_buf_phys_vec_to_sgt() links every range at IOVA offset
 * 0, so behind an IOMMU a VFIO dma-buf of two ranges fails to map
 * (-EADDRINUSE).  Fixed, it maps as one IOVA segment and the engine's
 * bytes land in both ranges, in buffer order.  Where nothing is linked
 * into an IOVA range the bug does not bite and it must map on every
 * kernel, one DMA entry per range: the bus-address route (switch,
 * switch-iommu-pt: pci_p2pdma_bus_addr_map() per range) and the host
 * bridge without an IOMMU (rootports-direct: dma_iova_try_alloc() fails,
 * dma_map_phys() per range).  Without a route every map is refused.
 */
static void test_multi_range(void)
{
	/* Out of order and apart: buffer page 0 is BAR page 8. */
	const struct p2pbuf_vfio_range two[] = {
		{ REGION_VFIO + 8 * PAGE, PAGE },
		{ REGION_VFIO + 4 * PAGE, PAGE },
	};
	const char *expect = p2pbuf_bed_expect();
	bool iova = expect && !strcmp(expect, "host-bridge-iova");
	bool fixed = kernel_fixed();
	struct drm_p2pbuf_imp_gem_info info;
	const uint32_t seed = 0x5c;
	uint32_t handle;
	int dmabuf, ret;

	vfio_open();
	dmabuf = p2pbuf_vfio_export(&t.vfio, EXP_BAR, two, 2);
	igt_assert_f(dmabuf >= 0, "VFIO export of two ranges: %s\n",
		     strerror(-dmabuf));
	igt_assert_eq(drmPrimeFDToHandle(t.fd, dmabuf, &handle), 0);
	if (p2pbuf_bed_route_none()) {
		assert_map_refused(handle, 2 * PAGE);
		igt_assert_eq(p2pbuf_host_check_fill(two[0].offset, PAGE, 0), 0);
		igt_assert_eq(p2pbuf_host_check_fill(two[1].offset, PAGE, 0), 0);
		imp_gem_close(handle);
		close(dmabuf);
		vfio_close();
		return;
	}
	ret = gem_info_map(handle, &info);
	igt_info("VFIO dma-buf of two ranges, route %s: map %s (%d)\n",
		 expect ? expect : "?", ret ? strerror(-ret) : "ok", ret);

	if (!fixed && iova) {
		imp_gem_close(handle);
		close(dmabuf);
		vfio_close();
		igt_assert_f(ret == -EADDRINUSE,
			     "stock kernel: expected EADDRINUSE, got %d (%s)\n",
			     ret, strerror(-ret));
		p2pbuf_expected_failure("0001", "VFIO's dma-buf of two BAR ranges does not map behind the IOMMU (EADDRINUSE): every range is linked at IOVA offset 0");
	}
	igt_assert_f(ret == 0, "map of VFIO's two ranges: %s\n",
		     strerror(-ret));
	/* One IOVA range for the buffer; else one entry per range. */
	igt_assert_eq(info.dma_segments, iova ? 1 : 2);

	/* Each range holds its part of the pattern, the gap between none. */
	engine_two_ranges(handle, two, seed, REGION_VFIO + 5 * PAGE, 3 * PAGE);
	imp_gem_close(handle);
	close(dmabuf);
	vfio_close();
}

/* Write @str to the file at @path: 0 or a negative errno. */
static int write_str(const char *path, const char *str)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, str, strlen(str));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/* "SUnreclaim:" of /proc/meminfo, in kB. */
static long slab_unreclaimable_kb(void)
{
	char text[8192];
	const char *at;

	igt_assert_lt(0, p2pbuf_read_file("/proc/meminfo", text, sizeof(text)));
	at = strstr(text, "SUnreclaim:");
	igt_assert(at);
	return strtol(at + strlen("SUnreclaim:"), NULL, 10);
}

#define KMEMLEAK	"/sys/kernel/debug/kmemleak"

/*
 * Kernel memory leak reports of kmemleak allocated by the helper's map:
 * in sg_alloc_table() (the scatterlist) or dma_buf_phys_vec_to_sgt()
 * itself (the table's container, also on its error paths).
 */
static int kmemleak_sg_leaks(void)
{
	static char text[1 << 20];
	const char *at = text;
	int n = 0, len;

	/* Reported only objects older than 5 s; two scans to settle. */
	sleep(6);
	igt_assert_eq(write_str(KMEMLEAK, "scan"), 0);
	igt_assert_eq(write_str(KMEMLEAK, "scan"), 0);
	len = p2pbuf_read_file(KMEMLEAK, text, sizeof(text));
	igt_assert_lte(0, len);
	while ((at = strstr(at, "unreferenced object"))) {
		const char *next = strstr(at + 1, "unreferenced object");
		const char *sg = strstr(at, "sg_alloc_table");
		const char *helper = strstr(at, "dma_buf_phys_vec_to_sgt");

		if ((sg && (!next || sg < next)) ||
		    (helper && (!next || helper < next)))
			n++;
		at++;
	}
	return n;
}

/* Map+unmap rounds: kmemleak names a single leak, the slab needs many. */
#define LEAK_LOOPS_KMEMLEAK	1000
#define LEAK_LOOPS_SLAB		(3 * P2PBUF_IMP_BENCH_MAX_ITERATIONS)

/*
 * Patch 0004: dma_buf_free_sgt() frees orig_nents entries of the table,
 * and the helper sets orig_nents to 0: every unmap leaks the scatterlist
 * (one 32-byte entry for a one-range buffer).  The importer maps and
 * unmaps a VFIO dma-buf in a loop (BENCH_MAP).  With kmemleak (the debug
 * kernel: 1000 times), no leak allocated by the helper's map may be
 * reported; without it (Debian's kernel: 30000 times), the unreclaimable
 * slab may not grow by half of what the leaked entries would take.  The
 * helper allocates the table on every route it maps (bus address, IOVA,
 * dma_map_phys() per range), so the bug bites on each.  Without a route
 * (rootports-noallow) every map is refused with -EINVAL before the table
 * is allocated, on every kernel: as many refused maps leak nothing.
 */
static void test_unmap_frees(void)
{
	const struct p2pbuf_vfio_range one = { REGION_VFIO + 12 * PAGE, PAGE };
	/* Reports from before this subtest are not its own. */
	bool kmemleak = write_str(KMEMLEAK, "clear") == 0;
	int loops = kmemleak ? LEAK_LOOPS_KMEMLEAK : LEAK_LOOPS_SLAB;
	const long leak_kb = (long)loops * 32 / 1024;
	const bool none = p2pbuf_bed_route_none();
	struct drm_p2pbuf_imp_bench_map b;
	bool fixed = kernel_fixed();
	long before = 0, seen;
	uint32_t handle;
	int dmabuf;

	vfio_open();
	dmabuf = vfio_import_one(&one, &handle);
	if (!kmemleak)
		before = slab_unreclaimable_kb();
	for (int done = 0; done < loops; done += b.iterations) {
		memset(&b, 0, sizeof(b));
		b.handle = handle;
		b.iterations = loops - done < P2PBUF_IMP_BENCH_MAX_ITERATIONS ?
			       loops - done : P2PBUF_IMP_BENCH_MAX_ITERATIONS;
		if (none) {
			/* The run ends at its first map: one per call. */
			b.iterations = 1;
			igt_assert_eq(imp_ioctl(DRM_IOCTL_P2PBUF_IMP_BENCH_MAP,
						&b), -EINVAL);
			continue;
		}
		igt_assert_eq(imp_ioctl(DRM_IOCTL_P2PBUF_IMP_BENCH_MAP, &b), 0);
		igt_assert_eq(b.nents, 1);
	}
	/* kmemleak: leaks reported; else: kB the slab grew by. */
	seen = kmemleak ? kmemleak_sg_leaks() :
			  slab_unreclaimable_kb() - before;
	imp_gem_close(handle);
	close(dmabuf);
	vfio_close();
	igt_info("%d %s of a VFIO dma-buf: %ld %s\n", loops,
		 none ? "refused maps" : "map+unmap", seen,
		 kmemleak ? "kmemleak reports from the helper's map" :
			    "kB more unreclaimable slab");

	if (!fixed && !none) {
		igt_assert_f(kmemleak ? seen > 0 : seen >= leak_kb / 2,
			     "stock kernel, yet no scatterlist leaked (%ld)\n",
			     seen);
		p2pbuf_expected_failure("0004", "dma_buf_free_sgt() leaks every scatterlist (orig_nents 0): after %d unmaps, %ld %s",
					loops, seen,
					kmemleak ? "kmemleak reports" :
						   "kB more unreclaimable slab");
	}
	if (kmemleak)
		igt_assert_f(seen == 0, "kmemleak: %ld of the helper's allocations leaked\n",
			     seen);
	else
		igt_assert_f(seen < leak_kb / 2,
			     "unreclaimable slab grew by %ld kB (leaking %d scatterlists takes %ld)\n",
			     seen, loops, leak_kb);
}

/* The importer's DMA mask (its debugfs file dma_mask): 0 or -errno. */
static int imp_dma_mask(uint64_t mask)
{
	char path[PATH_MAX], val[32];

	snprintf(path, sizeof(path), "%s/dri/%s/dma_mask", igt_debugfs_mount(),
		 t.imp_bdf);
	snprintf(val, sizeof(val), "%#" PRIx64, mask);
	return p2pbuf_sysfs_write(path, val);
}

static void imp_dma_mask_restore_at_exit(int sig)
{
	(void)sig;
	imp_dma_mask(IMP_DMA_MASK_DEFAULT);
}

/* The CPU physical address of BAR @bar of @bdf (sysfs "resource"). */
static uint64_t bar_start(const char *bdf, int bar)
{
	char path[PATH_MAX], text[4096];
	unsigned long long start = 0;
	const char *line = text;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	igt_assert_lt(0, p2pbuf_read_file(path, text, sizeof(text)));
	for (int i = 0; i < bar && line; i++) {
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	igt_assert(line && sscanf(line, "%llx", &start) == 1 && start);
	return start;
}

/* Import @dmabuf and map it: the map's errno; the handle stays open. */
static int import_map(int dmabuf, uint32_t *handle,
		      struct drm_p2pbuf_imp_gem_info *info)
{
	igt_assert_eq(drmPrimeFDToHandle(t.fd, dmabuf, handle), 0);
	return gem_info_map(*handle, info);
}

/*
 * Patch 0003: through the host bridge without an IOVA range the helper
 * maps each range with dma_map_phys(); when range i > 0 fails, the stock
 * error path calls dma_unmap_phys() for every entry of the table, also
 * the never-mapped (zeroed) entries of ranges i and up.  DMA-API debug
 * counts each as the release of memory never mapped.
 *
 * The importer's DMA mask (debugfs dma_mask) is set so that range 0 of a
 * VFIO dma-buf can be mapped and range 1 cannot:
 *  - host-bridge-direct (no IOMMU): the mask ends at range 0's last BAR
 *    byte; dma-direct refuses range 1's address (and warns, once per
 *    boot: "DMA addr ... overflow");
 *  - host-bridge-iova: the mask leaves IOVA pages 1 and 2 (page 0 is
 *    never handed out); dma_iova_try_alloc() finds no 4-page-aligned
 *    block for the 3-page buffer, so the helper maps per range: range 0
 *    (one page) gets an IOVA page, range 1 (two pages, size-aligned)
 *    none.
 * Each range alone is mapped first (range 0 must map, range 1 must not),
 * so the failure is known to come at range 1.  The map of both fails
 * with ENOMEM (dma_mapping_error()).  With the mask restored, the same
 * dma-buf imported again maps and the engine's bytes land in both ranges
 * (on a kernel without the series, behind the IOMMU, patch 0001's bug
 * refuses it: EADDRINUSE).  Fixed, the DMA-API error count does not
 * change; stock, it grows (one zeroed entry unmapped): an expected
 * failure, once the rest is checked.  Without DMA-API debugging (Debian's
 * kernel) the bug cannot be seen: a skip saying so, after the checks.
 */
static void test_map_error_unwind(void)
{
	/* Range 0 low, range 1 above it, a gap between. */
	const struct p2pbuf_vfio_range two[] = {
		{ REGION_VFIO + 16 * PAGE, PAGE },
		{ REGION_VFIO + 20 * PAGE, 2 * PAGE },
	};
	const char *expect = p2pbuf_bed_expect();
	bool iova = expect && !strcmp(expect, "host-bridge-iova");
	bool direct = expect && !strcmp(expect, "host-bridge-direct");
	struct drm_p2pbuf_imp_gem_info info;
	const uint32_t seed = 0x3b;
	int dmabuf, one, other, ret;
	char imp_driver[64];
	long before, after;
	uint32_t handle;
	uint64_t mask;
	bool fixed;

	igt_require_f(iova || direct,
		      "route %s: the helper maps range by range with dma_map_phys() only through the host bridge\n",
		      expect ? expect : "unknown");
	fixed = kernel_fixed();
	igt_require_f(!p2pbuf_pci_find(0x1234, 0x11e8, t.imp_bdf,
				       sizeof(t.imp_bdf), imp_driver,
				       sizeof(imp_driver)),
		      "no edu device (1234:11e8)\n");
	mask = iova ? 3 * PAGE - 1 :
		      bar_start(t.exp_bdf, EXP_BAR) + two[0].offset +
		      two[0].length - 1;
	vfio_open();
	/*
	 * vfio_open()'s regex again (one regex per subtest), and the one
	 * warning dma-direct prints for a refused address.  On a kernel
	 * without the fix, also the checker's reports of the bug (counted
	 * below) and the WARN's dump.
	 */
	igt_emit_ignore_dmesg_regex("vfio-pci [0-9a-f:.]+: reset(ting| done)|"
				    "unlocked secondary bus reset via|"
				    "DMA addr 0x[0-9a-f]+[+][0-9]+ overflow [(]mask|"
				    "WARNING: kernel/dma/(direct|debug)[.]c|"
				    "DMA-API: p2pbuf_importer [0-9a-f:.]+: device driver tries to free DMA memory it has not allocated|"
				    P2PBUF_WARN_DUMP_REGEX);
	igt_install_exit_handler(imp_dma_mask_restore_at_exit);

	one = p2pbuf_vfio_export(&t.vfio, EXP_BAR, &two[0], 1);
	other = p2pbuf_vfio_export(&t.vfio, EXP_BAR, &two[1], 1);
	dmabuf = p2pbuf_vfio_export(&t.vfio, EXP_BAR, two, 2);
	igt_assert_f(one >= 0 && other >= 0 && dmabuf >= 0,
		     "VFIO exports: %d %d %d\n", one, other, dmabuf);

	/* A mask must end at a page boundary. */
	igt_assert_eq(imp_dma_mask(mask - (PAGE - 1)), -EINVAL);
	igt_assert_eq(imp_dma_mask(mask), 0);
	/* Range 0 alone maps under the mask, range 1 alone does not. */
	ret = import_map(one, &handle, &info);
	/* Refused while an object exists. */
	igt_assert_eq(imp_dma_mask(IMP_DMA_MASK_DEFAULT), -EBUSY);
	imp_gem_close(handle);
	igt_assert_f(ret == 0, "range 0 alone under mask %#" PRIx64 ": %s\n",
		     mask, strerror(-ret));
	ret = import_map(other, &handle, &info);
	imp_gem_close(handle);
	igt_assert_f(ret == -ENOMEM,
		     "range 1 alone under mask %#" PRIx64 ": %d, not ENOMEM\n",
		     mask, ret);

	before = p2pbuf_dma_api_errors();
	ret = import_map(dmabuf, &handle, &info);
	after = p2pbuf_dma_api_errors();
	imp_gem_close(handle);
	igt_assert_eq(imp_dma_mask(IMP_DMA_MASK_DEFAULT), 0);
	igt_info("route %s, mask %#" PRIx64 ": map of both ranges %d (%s), DMA-API errors %ld -> %ld\n",
		 expect, mask, ret, strerror(-ret), before, after);
	igt_assert_f(ret == -ENOMEM, "map of both ranges: %d, not ENOMEM\n",
		     ret);
	/* Fixed: the error path unmapped range 0 alone. */
	igt_assert_f(!fixed || before < 0 || after == before,
		     "DMA-API debug counted %ld errors in the failed map\n",
		     after - before);

	/*
	 * The mask restored, the same dma-buf maps and carries bytes; on a
	 * kernel without the series, behind the IOMMU, patch 0001's bug
	 * refuses it (both ranges linked at IOVA offset 0).
	 */
	ret = import_map(dmabuf, &handle, &info);
	if (!fixed && iova) {
		imp_gem_close(handle);
		igt_assert_f(ret == -EADDRINUSE,
			     "kernel without the series, IOVA route: the remap gave %d, not EADDRINUSE (patch 0001's bug)\n",
			     ret);
		goto checked;
	}
	igt_assert_f(ret == 0, "map with the mask restored: %s\n",
		     strerror(-ret));
	igt_assert_eq(info.dma_segments, iova ? 1 : 2);
	engine_two_ranges(handle, two, seed, REGION_VFIO + 17 * PAGE, 3 * PAGE);
	imp_gem_close(handle);
checked:
	close(dmabuf);
	close(other);
	close(one);
	vfio_close();

	igt_require_f(before >= 0,
		      "no DMA-API debugging here (CONFIG_DMA_API_DEBUG): what patch 0003 fixes cannot be seen; the failed map and the remap were checked\n");
	if (!fixed) {
		igt_assert_f(after > before,
			     "kernel without the fix, yet DMA-API debug counted no error\n");
		p2pbuf_dma_api_expected("p2pbuf_vfio@vfio-map-error-unwind",
					after - before);
		p2pbuf_expected_failure("0003", "after dma_map_phys() refused range 1 of 2 (%s), the helper unmapped the never-mapped entry too: DMA-API debug counted %ld errors",
					expect, after - before);
	}
}

int igt_main()
{
	igt_fixture()
		setup();

	igt_describe("Upstream VFIO exports a BAR range of the ivshmem device as a dma-buf (through VFIO's noiommu mode where there is no IOMMU); the p2pbuf importer imports it, its engine writes and reads the pattern device to device, the host checks the bytes; without a P2P route VFIO accepts the import and refuses every map (EINVAL); the device goes back to p2pbuf_exporter.");
	igt_subtest("interop-vfio-exporter")
		test_interop();

	igt_describe("VFIO exports two BAR ranges as one dma-buf; the importer maps it (one IOVA segment behind an IOMMU, one entry per range elsewhere) and its engine writes both, checked by the host; without a P2P route every map is refused (EINVAL). Proves upstream/linux-7.3/0001; on a kernel without it, behind an IOMMU, an expected failure (EADDRINUSE).");
	igt_subtest("vfio-multi-range")
		test_multi_range();

	igt_describe("A VFIO dma-buf of two ranges whose second the importer's DMA mask excludes fails to map with ENOMEM, and the error path unmaps only what was mapped (the DMA-API error count stays); with the mask restored it maps and carries bytes. Proves upstream/linux-7.3/0003; on a kernel without it (with DMA-API debugging), an expected failure.");
	igt_subtest("vfio-map-error-unwind")
		test_map_error_unwind();

	igt_describe("Maps and unmaps of a VFIO dma-buf in a loop leak no scatterlist (kmemleak, or the unreclaimable slab); without a P2P route as many refused maps (EINVAL) leak nothing. Proves upstream/linux-7.3/0004; on a kernel without it, an expected failure.");
	igt_subtest("vfio-unmap-frees")
		test_unmap_frees();

	igt_fixture() {
		p2pbuf_vfio_release(&t.vfio);
		if (t.fd >= 0)
			close(t.fd);
	}
}
