// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_bench - the benchmark's measurement path works (correctness
 * only: no timing is asserted; tools/bench/ measures).
 *
 * DRM_IOCTL_P2PBUF_IMP_BENCH_MAP maps and unmaps an import K times under
 * its reservation lock, one of three ways (the exporter's sg_table, the
 * importer's own mapping of the exporter's physical address list, one
 * dma_map_phys() per range), and reports times and the mapping's entry
 * count.  These subtests check that every way gives sane answers along
 * the topology's route, leaves nothing mapped or attached, refuses bad
 * input, and that the PAL ways are refused where there is no PAL (another
 * exporter, a migratable object) or no memory (revoked).
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

IGT_TEST_DESCRIPTION("The benchmark's measurement ioctl (BENCH_MAP) in its "
		     "three ways: sane results along the route, nothing left "
		     "mapped, bad input refused, no PAL where there is none.");

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

static const char *const way_names[] = {
	[P2PBUF_IMP_BENCH_WAY_SGT] = "sgt",
	[P2PBUF_IMP_BENCH_WAY_PAL] = "pal",
	[P2PBUF_IMP_BENCH_WAY_PER_RANGE] = "per-range",
};

static int bench_way(uint32_t handle, uint32_t way, uint32_t k,
		     struct drm_p2pbuf_imp_bench_map *b)
{
	memset(b, 0, sizeof(*b));
	b->handle = handle;
	b->iterations = k;
	b->way = way;
	return imp_ioctl(DRM_IOCTL_P2PBUF_IMP_BENCH_MAP, b);
}

static int bench(uint32_t handle, uint32_t k,
		 struct drm_p2pbuf_imp_bench_map *b)
{
	return bench_way(handle, P2PBUF_IMP_BENCH_WAY_SGT, k, b);
}

/* K = 3 maps of @handle @way: sane numbers, the import left as it was. */
static struct drm_p2pbuf_imp_bench_map bench_ok_way(uint32_t handle,
						    uint32_t way)
{
	struct drm_p2pbuf_imp_gem_info before = { .handle = handle };
	struct drm_p2pbuf_imp_gem_info after = { .handle = handle };
	struct drm_p2pbuf_imp_bench_map b;

	igt_assert_eq(imp_ioctl(DRM_IOCTL_P2PBUF_IMP_GEM_INFO, &before), 0);
	igt_assert_eq(bench_way(handle, way, 3, &b), 0);
	igt_info("bench %s K=3: nents %u, map %" PRIu64 "/%" PRIu64
		 " ns, unmap %" PRIu64 "/%" PRIu64 " ns, map+unmap %" PRIu64
		 "/%" PRIu64 " ns (median/p99)\n", way_names[way], b.nents,
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
	igt_assert_eq(b.way, way);

	/* The import's own state is untouched: no mapping made or dropped. */
	igt_assert_eq(imp_ioctl(DRM_IOCTL_P2PBUF_IMP_GEM_INFO, &after), 0);
	igt_assert_eq(after.state, before.state);
	igt_assert_eq_u64(after.maps, before.maps);
	igt_assert_eq(after.dma_segments, before.dma_segments);
	igt_assert_eq(after.map_type, before.map_type);
	return b;
}

static struct drm_p2pbuf_imp_bench_map bench_ok(uint32_t handle)
{
	return bench_ok_way(handle, P2PBUF_IMP_BENCH_WAY_SGT);
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

/* The exporter's live attachments and mappings (debugfs "buffers"). */
static void exp_live(long *attachments, long *mappings)
{
	char rel[96], text[4096];

	snprintf(rel, sizeof(rel), "p2pbuf_exporter/%s/buffers", t.exp_bdf);
	igt_assert_lt(0, p2pbuf_debugfs_read(rel, text, sizeof(text)));
	/* Its first line: the device's counts. */
	igt_assert_f(sscanf(text, "device %*s resets %*u poison-pending %*u attachments %ld mappings %ld",
			    attachments, mappings) == 2,
		     "unexpected %s: %.120s\n", rel, text);
}

static int exp_revoke(int dmabuf, uint32_t flags)
{
	struct p2pbuf_exp_revoke r = { .flags = flags, .fd = dmabuf };

	return ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_REVOKE, &r) ? -errno : 0;
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

	/* vgem has no physical address list to give. */
	igt_assert_eq(bench_way(handle, P2PBUF_IMP_BENCH_WAY_PAL, 1, &b),
		      -EOPNOTSUPP);
	igt_assert_eq(bench_way(handle, P2PBUF_IMP_BENCH_WAY_PER_RANGE, 1, &b),
		      -EOPNOTSUPP);
	imp_gem_close(handle);
	close(dmabuf);

	/* BAR memory through p2pbuf_exporter's sg_table. */
	require_bar_import();
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
	b.reserved[1] = 0;
	b.pad = 1;
	igt_assert_eq(imp_ioctl(DRM_IOCTL_P2PBUF_IMP_BENCH_MAP, &b), -EINVAL);
	/* The ways are 0 to 2; the check comes before the exporter is asked. */
	igt_assert_eq(bench_way(handle, P2PBUF_IMP_BENCH_WAY_PER_RANGE + 1, 1,
				&b), -EINVAL);
	igt_assert_eq(bench_way(handle, ~0u, 1, &b), -EINVAL);
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

/* Entries a way's mapping of @n ranges has on this topology's route. */
static unsigned int ways_nents(uint32_t way, unsigned int n)
{
	bool iova = !strcmp(p2pbuf_bed_expect() ?: "", "host-bridge-iova");

	/* One IOVA range for the buffer, or one entry per range. */
	if (way == P2PBUF_IMP_BENCH_WAY_PER_RANGE)
		return n;
	return iova ? 1 : n;
}

static void test_ways(void)
{
	const struct p2pbuf_exp_range r[] = {
		{ REGION_BENCH + 32 * PAGE, PAGE },
		{ REGION_BENCH + 16 * PAGE, 2 * PAGE },
		{ REGION_BENCH + 24 * PAGE, PAGE },
	};
	struct p2pbuf_exp_query q = {};
	struct p2pbuf_exp_alloc a = {
		.flags = P2PBUF_EXP_ALLOC_MIGRATABLE, .bar = EXP_BAR,
		.open_flags = O_RDWR | O_CLOEXEC,
	};
	struct drm_p2pbuf_imp_bench_map b;
	long attachments, mappings;
	uint32_t handle, way;
	int dmabuf;

	require_bar_import();
	igt_require_f(p2pbuf_bed_expect(), "outside the test bed: no expected route\n");
	dmabuf = exp_export(r, 3);
	igt_assert_eq(drmPrimeFDToHandle(t.fd, dmabuf, &handle), 0);
	for (way = 0; way <= P2PBUF_IMP_BENCH_WAY_PER_RANGE; way++) {
		b = bench_ok_way(handle, way);
		igt_assert_f(b.nents == ways_nents(way, 3),
			     "way %s: %u entries on route %s, not %u\n",
			     way_names[way], b.nents, p2pbuf_bed_expect(),
			     ways_nents(way, 3));
		/* The bench's own attachment is gone, nothing stays mapped. */
		exp_live(&attachments, &mappings);
		igt_assert_eq(attachments, 1);
		igt_assert_eq(mappings, 0);
	}

	/*
	 * The import itself takes a PAL and is mapped for the engine: the
	 * ways measure beside it and leave both alone.
	 */
	{
		struct drm_p2pbuf_imp_gem_mapping m = {
			.handle = handle, .accept = P2PBUF_IMP_MAP_PAL,
		};
		struct drm_p2pbuf_imp_gem_info info = {
			.handle = handle, .flags = P2PBUF_IMP_GEM_INFO_MAP,
		};

		igt_assert_eq(imp_ioctl(DRM_IOCTL_P2PBUF_IMP_GEM_MAPPING, &m), 0);
		igt_assert_eq(m.map_type, P2PBUF_IMP_MAP_TYPE_PAL);
		igt_assert_eq(imp_ioctl(DRM_IOCTL_P2PBUF_IMP_GEM_INFO, &info), 0);
		for (way = 0; way <= P2PBUF_IMP_BENCH_WAY_PER_RANGE; way++)
			igt_assert_eq(bench_ok_way(handle, way).nents,
				      ways_nents(way, 3));
		exp_live(&attachments, &mappings);
		igt_assert_eq(attachments, 1);
		igt_assert_eq(mappings, 1);
	}

	/* Revoked: no way maps, the PAL is refused like the sg_table. */
	igt_assert_eq(exp_revoke(dmabuf, 0), 0);
	for (way = 0; way <= P2PBUF_IMP_BENCH_WAY_PER_RANGE; way++)
		igt_assert_f(bench_way(handle, way, 1, &b) == -ENODEV,
			     "way %s maps a revoked buffer\n", way_names[way]);
	exp_live(&attachments, &mappings);
	igt_assert_eq(attachments, 1);
	igt_assert_eq(mappings, 0);
	igt_assert_eq(exp_revoke(dmabuf, P2PBUF_EXP_REVOKE_RESTORE), 0);
	bench_ok_way(handle, P2PBUF_IMP_BENCH_WAY_PAL);
	imp_gem_close(handle);
	close(dmabuf);

	/* A migratable object's placement is the exporter's: no PAL. */
	igt_assert_eq(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_QUERY, &q), 0);
	a.size = q.align > PAGE ? q.align : PAGE;
	igt_assert_eq(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_ALLOC, &a), 0);
	igt_assert_eq(drmPrimeFDToHandle(t.fd, a.fd, &handle), 0);
	bench_ok(handle);
	igt_assert_eq(bench_way(handle, P2PBUF_IMP_BENCH_WAY_PAL, 1, &b),
		      -EOPNOTSUPP);
	igt_assert_eq(bench_way(handle, P2PBUF_IMP_BENCH_WAY_PER_RANGE, 1, &b),
		      -EOPNOTSUPP);
	exp_live(&attachments, &mappings);
	igt_assert_eq(attachments, 1);
	igt_assert_eq(mappings, 0);
	imp_gem_close(handle);
	close(a.fd);
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

	igt_describe("BENCH_MAP's three ways on a three-range BAR import: entries as the route gives them (one IOVA range or one per range; per-range always one per range), the bench's attachment and mappings gone after each; every way refused with -ENODEV while revoked; the PAL ways refused with -EOPNOTSUPP for a migratable object.");
	igt_subtest("bench-map-ways")
		test_ways();

	igt_fixture() {
		if (t.exp_fd >= 0)
			close(t.exp_fd);
		if (t.fd >= 0)
			close(t.fd);
	}
}
