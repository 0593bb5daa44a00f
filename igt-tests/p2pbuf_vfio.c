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
 * VFIO needs an IOMMU group, and a viable one.  With an IOMMU, QEMU's
 * root ports and switch downstream ports have ACS: in rootports-iommu,
 * switch-iommu and switch-iommu-pt the ivshmem device's group holds only
 * it (and its port); the two functions of acs-redirect's slot share one
 * with the edu device, bound to p2pbuf_importer: not viable.  Without an
 * IOMMU, Debian's kernel has no VFIO noiommu mode.  The subtest skips with
 * the reason there, and in switch-iommu where device DMA carries no data.
 * A dma-buf of two ranges is mapped too and the result reported, not
 * asserted: behind an IOMMU Linux 7.3's helper fails it (-EADDRINUSE), on
 * the bus-address route (switch-iommu-pt) it maps.
 *
 * BAR2 region: 14 MiB to 15 MiB belongs to this test alone.  The importer
 * test's regions are at 1 to 7 MiB; its bar-max-ranges buffer spans 8 to
 * 16 MiB but writes and checks bytes only near 8, 12 and 16 MiB; the
 * allocator owns the upper 16 MiB and the bed's probe the first page.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt.h"
#include "igt_kmod.h"

#include "p2pbuf_igt.h"
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

static struct {
	int fd;			/* the importer's render node */
	char exp_bdf[32];	/* the ivshmem device */
	char exp_driver[64];	/* its driver when the test started */
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

static void test_interop(void)
{
	const struct p2pbuf_vfio_range one = { REGION_VFIO, 2 * PAGE };
	const struct p2pbuf_vfio_range two[] = {
		{ REGION_VFIO + 8 * PAGE, PAGE },
		{ REGION_VFIO + 4 * PAGE, PAGE },
	};
	const uint32_t seed = 0x71;
	struct drm_p2pbuf_imp_gem_info info;
	struct drm_p2pbuf_imp_pattern p;
	const char *data = p2pbuf_bed_data();
	char why[256], drv[64], bdf[32];
	uint32_t handle;
	int dmabuf, ret;

	ret = p2pbuf_vfio_usable(t.exp_bdf, why, sizeof(why));
	igt_require_f(ret == 0, "%s\n", why);
	igt_require_f(!data || !strcmp(data, "ok"), "%s\n", data);

	/*
	 * vfio-pci resets the function when it is opened, through a
	 * secondary bus reset of the port above it; vfio-pci and the PCI
	 * core report the reset at warning level.
	 */
	igt_emit_ignore_dmesg_regex("vfio-pci [0-9a-f:.]+: reset(ting| done)|"
				    "unlocked secondary bus reset via");
	ret = p2pbuf_vfio_acquire(&t.vfio, t.exp_bdf, why, sizeof(why));
	igt_assert_f(ret == 0, "VFIO: %s\n", why);
	ret = p2pbuf_vfio_probe_dma_buf(&t.vfio);
	igt_require_f(ret == 0,
		      "vfio-pci offers no VFIO_DEVICE_FEATURE_DMA_BUF: %s\n",
		      strerror(-ret));

	dmabuf = p2pbuf_vfio_export(&t.vfio, EXP_BAR, &one, 1);
	igt_assert_f(dmabuf >= 0, "VFIO dma-buf export: %s\n",
		     strerror(-dmabuf));
	igt_assert_eq(drmPrimeFDToHandle(t.fd, dmabuf, &handle), 0);
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

	/*
	 * Two ranges: Linux 7.3's dma_buf_phys_vec_to_sgt(), which VFIO
	 * calls for all ranges at once, links every range at IOVA offset 0
	 * through an IOMMU (see Documentation/exporter.rst).  Reported, not
	 * asserted: a fixed kernel maps it.
	 */
	dmabuf = p2pbuf_vfio_export(&t.vfio, EXP_BAR, two, 2);
	igt_assert_f(dmabuf >= 0, "VFIO export of two ranges: %s\n",
		     strerror(-dmabuf));
	igt_assert_eq(drmPrimeFDToHandle(t.fd, dmabuf, &handle), 0);
	ret = gem_info_map(handle, &info);
	igt_info("VFIO dma-buf of two ranges: map %s (%d), %u DMA segments\n",
		 ret ? strerror(-ret) : "ok", ret, ret ? 0 : info.dma_segments);
	imp_gem_close(handle);
	close(dmabuf);

	vfio_give_back();
	igt_assert_eq(p2pbuf_pci_find(0x1af4, 0x1110, bdf, sizeof(bdf), drv,
				      sizeof(drv)), 0);
	igt_assert_f(!strcmp(drv, t.exp_driver),
		     "%s is bound to '%s', not '%s'\n", bdf, drv, t.exp_driver);
}

int igt_main()
{
	igt_fixture()
		setup();

	igt_describe("Upstream VFIO exports a BAR range of the ivshmem device as a dma-buf; the p2pbuf importer imports it, its engine writes and reads the pattern device to device, the host checks the bytes; the device goes back to p2pbuf_exporter.");
	igt_subtest("interop-vfio-exporter")
		test_interop();

	igt_fixture() {
		p2pbuf_vfio_release(&t.vfio);
		if (t.fd >= 0)
			close(t.fd);
	}
}
