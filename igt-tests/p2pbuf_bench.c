// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_bench - the benchmark's measurement path works (correctness
 * only: no timing is asserted; tools/bench/ measures).
 *
 * DRM_IOCTL_P2PBUF_IMP_BENCH_MAP maps and unmaps an import K times under
 * its reservation lock and reports times and the mapping's entry count;
 * the exporter's legacy map mode (debugfs map_mode, the benchmark's
 * baseline) maps one dma_map_resource() per range.  These subtests check
 * that both give sane answers, leave nothing mapped, refuse bad input, and
 * that a legacy mapping carries the bytes to the right BAR offsets.
 *
 * BAR2 region: 14.5 MiB to 15 MiB belongs to this test (p2pbuf_vfio has
 * 14 to 14.5 MiB; see there for the other tests' regions).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt.h"
#include "igt_kmod.h"

#include "p2pbuf_igt.h"
#include "p2pbuf_sysfs.h"

#include "../include/uapi/drm/p2pbuf_imp_drm.h"
#include "../include/uapi/linux/p2pbuf_exporter.h"

IGT_TEST_DESCRIPTION("The benchmark's measurement ioctl (BENCH_MAP) and the "
		     "exporter's legacy map mode: sane results, nothing left "
		     "mapped, bad input refused, bytes at the right place.");

#define IMP_MODULE	"p2pbuf_importer"
#define EXP_BAR		2
#define PAGE		4096ULL
#define REGION_BENCH	((14ULL << 20) + (512ULL << 10))	/* to 15 MiB */

static struct {
	int fd;			/* the importer's render node */
	int exp_fd;		/* the exporter's character device, or -1 */
	char exp_bdf[32];
} t = { .fd = -1, .exp_fd = -1 };

static int imp_ioctl(unsigned long req, void *arg)
{
	return drmIoctl(t.fd, req, arg) ? -errno : 0;
}

static void imp_gem_close(uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	igt_assert_eq(imp_ioctl(DRM_IOCTL_GEM_CLOSE, &c), 0);
}

static int bench(uint32_t handle, uint32_t k,
		 struct drm_p2pbuf_imp_bench_map *b)
{
	memset(b, 0, sizeof(*b));
	b->handle = handle;
	b->iterations = k;
	return imp_ioctl(DRM_IOCTL_P2PBUF_IMP_BENCH_MAP, b);
}

/* K = 3 maps of @handle: sane numbers, and the import is left as it was. */
static struct drm_p2pbuf_imp_bench_map bench_ok(uint32_t handle)
{
	struct drm_p2pbuf_imp_gem_info before = { .handle = handle };
	struct drm_p2pbuf_imp_gem_info after = { .handle = handle };
	struct drm_p2pbuf_imp_bench_map b;

	igt_assert_eq(imp_ioctl(DRM_IOCTL_P2PBUF_IMP_GEM_INFO, &before), 0);
	igt_assert_eq(bench(handle, 3, &b), 0);
	igt_info("bench K=3: nents %u, map %" PRIu64 "/%" PRIu64
		 " ns, unmap %" PRIu64 "/%" PRIu64 " ns, map+unmap %" PRIu64
		 "/%" PRIu64 " ns (median/p99)\n", b.nents,
		 (uint64_t)b.map_median_ns, (uint64_t)b.map_p99_ns,
		 (uint64_t)b.unmap_median_ns, (uint64_t)b.unmap_p99_ns,
		 (uint64_t)b.total_median_ns, (uint64_t)b.total_p99_ns);
	igt_assert_lt(0, b.nents);
	igt_assert_lt_u64(0, b.map_median_ns);
	igt_assert_lt_u64(0, b.unmap_median_ns);
	igt_assert_lt_u64(0, b.total_median_ns);
	igt_assert_lte_u64(b.map_median_ns, b.map_p99_ns);
	igt_assert_lte_u64(b.unmap_median_ns, b.unmap_p99_ns);
	igt_assert_lte_u64(b.total_median_ns, b.total_p99_ns);
	igt_assert_eq_u64(b.reserved[0], 0);
	igt_assert_eq_u64(b.reserved[1], 0);

	/* The import's own state is untouched: no mapping made or dropped. */
	igt_assert_eq(imp_ioctl(DRM_IOCTL_P2PBUF_IMP_GEM_INFO, &after), 0);
	igt_assert_eq(after.state, before.state);
	igt_assert_eq_u64(after.maps, before.maps);
	igt_assert_eq(after.dma_segments, before.dma_segments);
	return b;
}

/* ---- the exporter ------------------------------------------------------ */

static int exp_export(const struct p2pbuf_exp_range *r, uint32_t n)
{
	struct p2pbuf_exp_export x = {
		.bar = EXP_BAR, .ranges = (uintptr_t)r, .nr_ranges = n,
		.open_flags = O_RDWR | O_CLOEXEC,
	};

	igt_assert_f(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_EXPORT, &x) == 0,
		     "export of %u ranges: %s\n", n, strerror(errno));
	return x.fd;
}

static void map_mode_path(char *path, size_t size)
{
	snprintf(path, size, "%s/p2pbuf_exporter/%s/map_mode",
		 igt_debugfs_mount(), t.exp_bdf);
}

/* Write the exporter's map mode; 0 or a negative errno. */
static int map_mode_set(const char *mode)
{
	char path[256];
	int fd, ret = 0;

	map_mode_path(path, sizeof(path));
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, mode, strlen(mode)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static void map_mode_expect(const char *mode)
{
	char path[256], buf[32];

	map_mode_path(path, sizeof(path));
	igt_assert_lt(0, p2pbuf_read_file(path, buf, sizeof(buf)));
	buf[strcspn(buf, "\n")] = '\0';
	igt_assert_f(!strcmp(buf, mode), "map_mode is '%s', not '%s'\n", buf,
		     mode);
}

static void map_mode_reset_at_exit(int sig)
{
	(void)sig;
	map_mode_set("helper");
}

static void require_bar_import(void)
{
	const char *expect = p2pbuf_bed_expect();

	igt_require_f(t.exp_fd >= 0, "no p2pbuf exporter device\n");
	igt_require_f(!expect || strcmp(expect, "none"),
		      "the kernel knows no P2P route between the devices here ($P2PBUF_EXPECT none)\n");
}

/* ---- subtests ------------------------------------------------------------ */

static void setup(void)
{
	char path[64];

	t.fd = p2pbuf_importer_open();
	/* Outside the bed, run without an exporter if there is none. */
	if (p2pbuf_exporter_setup(t.exp_bdf, sizeof(t.exp_bdf)))
		return;
	snprintf(path, sizeof(path), "/dev/p2pbuf-exp-%s", t.exp_bdf);
	t.exp_fd = open(path, O_RDWR | O_CLOEXEC);
	igt_assert_fd(t.exp_fd);
	igt_install_exit_handler(map_mode_reset_at_exit);
}

/* A vgem object, exported: system memory, any topology. */
static int vgem_dmabuf(uint64_t size)
{
	struct drm_mode_create_dumb cd = {
		.width = size / 4, .height = 1, .bpp = 32,
	};
	int vfd, dmabuf;

	if (igt_kmod_load("vgem", NULL))
		return -1;
	vfd = drm_open_driver(DRIVER_VGEM);
	igt_assert_eq(drmIoctl(vfd, DRM_IOCTL_MODE_CREATE_DUMB, &cd), 0);
	igt_assert_eq(drmPrimeHandleToFD(vfd, cd.handle, DRM_CLOEXEC | DRM_RDWR,
					 &dmabuf), 0);
	close(vfd);
	return dmabuf;
}

static void test_smoke(void)
{
	const struct p2pbuf_exp_range r[] = {
		{ REGION_BENCH + 8 * PAGE, PAGE },
		{ REGION_BENCH, 2 * PAGE },
		{ REGION_BENCH + 4 * PAGE, PAGE },
	};
	struct drm_p2pbuf_imp_bench_map b;
	uint32_t handle;
	int dmabuf;

	/* System memory (vgem): the path works whatever the topology. */
	dmabuf = vgem_dmabuf(4 * PAGE);
	igt_require_f(dmabuf >= 0, "vgem is not available\n");
	igt_assert_eq(drmPrimeFDToHandle(t.fd, dmabuf, &handle), 0);
	b = bench_ok(handle);
	igt_assert_lte(1, b.nents);
	imp_gem_close(handle);
	close(dmabuf);

	/* BAR memory through p2pbuf_exporter, in its default (helper) mode. */
	require_bar_import();
	map_mode_expect("helper");
	dmabuf = exp_export(r, 3);
	igt_assert_eq(drmPrimeFDToHandle(t.fd, dmabuf, &handle), 0);
	b = bench_ok(handle);
	/* One IOVA range for the buffer, or one entry per range. */
	if (!strcmp(p2pbuf_bed_expect() ?: "", "host-bridge-iova"))
		igt_assert_eq(b.nents, 1);
	else if (p2pbuf_bed_expect())
		igt_assert_eq(b.nents, 3);
	/* Again with the import mapped for the engine: still fine. */
	{
		struct drm_p2pbuf_imp_gem_info info = {
			.handle = handle, .flags = P2PBUF_IMP_GEM_INFO_MAP,
		};

		igt_assert_eq(imp_ioctl(DRM_IOCTL_P2PBUF_IMP_GEM_INFO, &info), 0);
		bench_ok(handle);
	}
	imp_gem_close(handle);
	close(dmabuf);
}

static void test_invalid(void)
{
	struct drm_p2pbuf_imp_gem_create c = { .size = PAGE };
	struct drm_p2pbuf_imp_bench_map b;
	uint32_t handle;
	int dmabuf;

	dmabuf = vgem_dmabuf(PAGE);
	igt_require_f(dmabuf >= 0, "vgem is not available\n");
	igt_assert_eq(drmPrimeFDToHandle(t.fd, dmabuf, &handle), 0);

	igt_assert_eq(bench(handle, 0, &b), -EINVAL);
	igt_assert_eq(bench(handle, P2PBUF_IMP_BENCH_MAX_ITERATIONS + 1, &b),
		      -EINVAL);
	memset(&b, 0, sizeof(b));
	b.handle = handle;
	b.iterations = 1;
	b.flags = 1;
	igt_assert_eq(imp_ioctl(DRM_IOCTL_P2PBUF_IMP_BENCH_MAP, &b), -EINVAL);
	b.flags = 0;
	b.reserved[1] = 1;
	igt_assert_eq(imp_ioctl(DRM_IOCTL_P2PBUF_IMP_BENCH_MAP, &b), -EINVAL);
	/* The largest K is accepted. */
	igt_assert_eq(bench(handle, P2PBUF_IMP_BENCH_MAX_ITERATIONS, &b), 0);
	imp_gem_close(handle);
	close(dmabuf);

	/* No handle, and a native object: nothing to measure an exporter on. */
	igt_assert_eq(bench(handle, 1, &b), -ENOENT);
	igt_assert_eq(imp_ioctl(DRM_IOCTL_P2PBUF_IMP_GEM_CREATE, &c), 0);
	igt_assert_eq(bench(c.handle, 1, &b), -EINVAL);
	imp_gem_close(c.handle);
}

static void test_legacy(void)
{
	const struct p2pbuf_exp_range r[] = {
		{ REGION_BENCH + 32 * PAGE, PAGE },
		{ REGION_BENCH + 16 * PAGE, 2 * PAGE },
		{ REGION_BENCH + 24 * PAGE, PAGE },
	};
	struct drm_p2pbuf_imp_pattern p = { .seed = 0x4c };
	struct drm_p2pbuf_imp_bench_map b;
	uint64_t size = 4 * PAGE, pos = 0;
	uint32_t handle;
	int dmabuf;

	require_bar_import();
	map_mode_expect("helper");
	igt_assert_eq(map_mode_set("sideways"), -EINVAL);
	/* Not while the device has a buffer. */
	dmabuf = exp_export(r, 1);
	igt_assert_eq(map_mode_set("legacy"), -EBUSY);
	map_mode_expect("helper");
	close(dmabuf);

	igt_assert_eq(map_mode_set("legacy"), 0);
	map_mode_expect("legacy");
	dmabuf = exp_export(r, 3);
	igt_assert_eq(drmPrimeFDToHandle(t.fd, dmabuf, &handle), 0);
	b = bench_ok(handle);
	/* One dma_map_resource() per range: one entry per range. */
	igt_assert_eq(b.nents, 3);

	if (p2pbuf_bed_data_ok()) {
		p.handle = handle;
		p.size = size;
		igt_assert_eq(imp_ioctl(DRM_IOCTL_P2PBUF_IMP_PATTERN, &p), 0);
		p.op = P2PBUF_IMP_PATTERN_CHECK;
		igt_assert_eq(imp_ioctl(DRM_IOCTL_P2PBUF_IMP_PATTERN, &p), 0);
		igt_assert_eq_u64(p.bad_offset, P2PBUF_IMP_PATTERN_MATCH);
		/* Range boundaries fall on multiples of 256 bytes. */
		for (unsigned int i = 0; i < 3; pos += r[i].length, i++)
			igt_assert_eq(p2pbuf_host_check_pattern(r[i].offset,
								r[i].length,
								p.seed +
								7 * pos +
								(pos >> 8)),
				      0);
		igt_assert_eq(p2pbuf_host_check_fill(REGION_BENCH + 18 * PAGE,
						     6 * PAGE, 0), 0);
	} else {
		igt_info("no byte check: %s\n", p2pbuf_bed_data());
	}
	imp_gem_close(handle);
	close(dmabuf);
	igt_assert_eq(map_mode_set("helper"), 0);
	map_mode_expect("helper");
}

int igt_main()
{
	igt_fixture()
		setup();

	igt_describe("BENCH_MAP with K=3 on a vgem import and on a three-range BAR import: entries > 0, non-zero times, p99 >= median, the import's own mapping untouched.");
	igt_subtest("bench-map-smoke")
		test_smoke();

	igt_describe("BENCH_MAP refuses K=0, K above the maximum, flags, reserved fields and native objects (-EINVAL), unknown handles (-ENOENT).");
	igt_subtest("bench-map-invalid")
		test_invalid();

	igt_describe("The exporter's legacy map mode (benchmark baseline): refused while buffers exist, one DMA entry per range, bytes land at the ranges' BAR offsets.");
	igt_subtest("bench-map-legacy")
		test_legacy();

	igt_fixture() {
		map_mode_set("helper");
		if (t.exp_fd >= 0)
			close(t.exp_fd);
		if (t.fd >= 0)
			close(t.fd);
	}
}
