// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_lifecycle - the importer and exporter across revokes, PCI removal
 * and module unload, with buffers, imports, CPU mappings and DMA live.
 *
 * What moves through the BAR is checked without the importer's engine
 * where the engine itself is under test: through a CPU mapping of the
 * exporter device's sysfs resource2 (the BAR seen by the CPU, not through
 * any p2pbuf driver).  Under CONFIG_IO_STRICT_DEVMEM (Debian's kernel) the
 * PCI core refuses that mapping of a BAR a driver claimed unless the guest
 * booted with iomem=relaxed, which the bed's command line has.
 *
 * BAR2 region: 7 MiB to 8 MiB belongs to this test alone (the importer
 * test's regions end at 7 MiB, see p2pbuf_importer.c and p2pbuf_vfio.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt.h"
#include "igt_kmod.h"

#include "p2pbuf_igt.h"
#include "p2pbuf_sysfs.h"
#include "p2pbuf_vgem.h"

#include "../include/uapi/drm/p2pbuf_imp_drm.h"
#include "../include/uapi/linux/p2pbuf_exporter.h"
#include "../include/uapi/linux/p2pbuf_pattern.h"

IGT_TEST_DESCRIPTION("p2pbuf's importer and exporter across revoke/restore "
		     "races, PCI remove and rescan and module unload, with "
		     "live buffers, imports, CPU mappings and DMA; bytes "
		     "after a revoke are read by the CPU through the "
		     "exporter device's sysfs resource2, not the engine.");

#define IMP_MODULE	"p2pbuf_importer"
#define EXP_MODULE	"p2pbuf_exporter"
#define PROBE_MODULE	"p2pbuf_probe"
#define EXP_BAR		2
#define PAGE		4096ULL
#define REGION		(7ULL << 20)	/* to 8 MiB: this test's own */
#define RACE_LOOPS	1000

struct range {
	uint64_t offset;
	uint64_t length;
};

static struct {
	int fd;			/* the importer's render node */
	char imp_bdf[32];
	int exp_fd;		/* the exporter's character device */
	char exp_bdf[32];
} t = { .fd = -1, .exp_fd = -1 };

static char report[1 << 17];

/* ---- the importer --------------------------------------------------- */

static int pattern_write(int fd, uint32_t handle, uint64_t size,
			 uint32_t seed)
{
	return p2pbuf_imp_pattern(fd, handle, P2PBUF_IMP_PATTERN_WRITE, 0, size, seed,
			  NULL);
}

static void pattern_check(int fd, uint32_t handle, uint64_t size,
			  uint32_t seed)
{
	p2pbuf_imp_pattern_check(fd, handle, 0, size, seed);
}

static void cpu_check(const volatile uint8_t *ptr, uint64_t size,
		      uint32_t seed, const char *what)
{
	for (uint64_t k = 0; k < size; k++)
		igt_assert_f(ptr[k] == p2pbuf_pattern_byte(seed, k),
			     "%s: byte %" PRIu64 " is 0x%02x, pattern %u has 0x%02x\n",
			     what, k, ptr[k], seed,
			     p2pbuf_pattern_byte(seed, k));
}

static uint32_t import_fd(int fd, int dmabuf)
{
	uint32_t handle;

	igt_assert_f(drmPrimeFDToHandle(fd, dmabuf, &handle) == 0,
		     "import failed: %s\n", strerror(errno));
	return handle;
}

static long engine_stat(const char *key)
{
	char dir[64];

	snprintf(dir, sizeof(dir), "dri/%s", t.imp_bdf);
	return p2pbuf_imp_engine_stat(dir, key);
}

/* No job holds the engine and the device is not moving a byte. */
static void assert_engine_idle(const char *when)
{
	igt_assert_f(engine_stat("busy") == 0, "%s: a job holds the engine\n",
		     when);
	igt_assert_f(engine_stat("hw-busy") == 0,
		     "%s: the device still runs a command\n", when);
}

/* The PCI device behind the importer's DRM fd. */
static void find_importer(void)
{
	igt_assert_eq(p2pbuf_chardev_pci_address(t.fd, t.imp_bdf,
						 sizeof(t.imp_bdf)), 0);
}

/* ---- the exporter --------------------------------------------------- */

static int exp_open(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/p2pbuf-exp-%s", t.exp_bdf);
	return open(path, O_RDWR | O_CLOEXEC);
}

static int exp_export(const struct range *r)
{
	struct p2pbuf_exp_export x = {
		.bar = EXP_BAR, .ranges = (uintptr_t)r, .nr_ranges = 1,
		.open_flags = O_RDWR | O_CLOEXEC,
	};

	igt_assert_f(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_EXPORT, &x) == 0,
		     "export failed: %s\n", strerror(errno));
	return x.fd;
}

static int exp_revoke(int dmabuf, uint32_t flags)
{
	struct p2pbuf_exp_revoke r = { .flags = flags, .fd = dmabuf };

	return ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_REVOKE, &r) ? -errno : 0;
}

/* The exporter's "buffers" report has an attachment of the importer. */
static bool exp_has_attachment(void)
{
	char rel[96], needle[64];

	snprintf(rel, sizeof(rel), "p2pbuf_exporter/%s/buffers", t.exp_bdf);
	igt_assert_lte(0, p2pbuf_debugfs_read(rel, report, sizeof(report)));
	snprintf(needle, sizeof(needle), "  attach %s ", t.imp_bdf);
	return strstr(report, needle);
}

/*
 * BAR2 bytes [@offset, @offset + @len) as the CPU sees them, through the
 * PCI core's sysfs resource2: no p2pbuf code is on this path.
 */
static volatile uint8_t *bar_cpu_map(uint64_t offset, uint64_t len)
{
	char path[128];
	void *ptr;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%d",
		 t.exp_bdf, EXP_BAR);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	igt_assert_f(fd >= 0, "open %s: %s\n", path, strerror(errno));
	ptr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
	/* IO_STRICT_DEVMEM without iomem=relaxed: EINVAL for a claimed BAR. */
	igt_assert_f(ptr != MAP_FAILED,
		     "mmap of %s: %s (IO_STRICT_DEVMEM needs iomem=relaxed on the kernel command line)\n",
		     path, strerror(errno));
	close(fd);
	return ptr;
}

/* Subtests that import the BAR need a P2P route, DMA also data. */
static void require_bar_import(void)
{
	igt_require_f(!p2pbuf_bed_route_none(),
		      "the kernel knows no P2P route between the devices here ($P2PBUF_EXPECT none)\n");
}

static void require_bar_data(void)
{
	require_bar_import();
	igt_require_f(p2pbuf_bed_data_ok(), "%s\n", p2pbuf_bed_data());
}

/* ---- a DMA loop in a child ------------------------------------------- */

struct dma_loop {
	volatile int started;
	volatile int completed;
	volatile int err;
};

/*
 * An igt_fork() child writing @size bytes through @handle in a loop until
 * a write fails; returns once the engine runs one of its jobs.
 */
static struct dma_loop *dma_loop_start(int fd, uint32_t handle, uint64_t size)
{
	struct dma_loop *loop;
	int i;

	loop = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	igt_assert(loop != MAP_FAILED);
	igt_fork(child, 1) {
		for (int n = 0;; n++) {
			loop->started = n + 1;
			loop->err = -pattern_write(fd, handle, size, 40 + n % 50);
			if (loop->err)
				break;
			loop->completed = n + 1;
		}
	}
	for (i = 0; i < 600; i++) {
		if (loop->started >= 2 && engine_stat("busy"))
			break;
		usleep(50 * 1000);
	}
	igt_assert_f(i < 600 && !loop->err,
		     "the DMA loop did not get going (%d writes, %s)\n",
		     loop->started, strerror(loop->err));
	return loop;
}

/*
 * Waits (bounded) for the loop's child and frees the loop: returns the
 * errno that ended it, the number of writes it started in @started.
 */
static int dma_loop_wait(struct dma_loop *loop, const char *what,
			 int *started)
{
	int err;

	igt_waitchildren_timeout(60, what);
	err = loop->err;
	igt_info("%s: %d writes started, %d completed, ended with %s\n", what,
		 loop->started, loop->completed, strerror(err));
	if (started)
		*started = loop->started;
	munmap((void *)loop, PAGE);
	return err;
}

/* ---- set-up ------------------------------------------------------------ */

static void open_importer(void)
{
	t.fd = p2pbuf_importer_open();
	find_importer();
}

static void setup(void)
{
	if (igt_kmod_is_loaded(PROBE_MODULE))
		igt_assert_eq(igt_kmod_unload(PROBE_MODULE), 0);
	open_importer();
	if (p2pbuf_exporter_setup(t.exp_bdf, sizeof(t.exp_bdf)))
		return;
	t.exp_fd = exp_open();
	igt_assert_fd(t.exp_fd);
}

static void require_exporter(void)
{
	igt_require_f(t.exp_fd >= 0, "no p2pbuf exporter device\n");
}

/* ---- revoke ------------------------------------------------------------ */

/*
 * Revoke while the engine writes in a loop, then watch the BAR through the
 * CPU for longer than one engine command (100 ms of the guest's clock):
 * the bytes the CPU wrote right after the revoke stay.  Unlike a sentinel
 * written by the engine, which is queued behind any late command of the
 * engine, this sees a command that still ran after the revoke returned.
 */
static void test_revoke_cpu_check(void)
{
	const struct range r = { REGION, 4 * PAGE };
	volatile uint8_t *bar;
	struct dma_loop *loop;
	uint32_t handle;
	int dmabuf, started, n;

	require_exporter();
	require_bar_data();
	bar = bar_cpu_map(r.offset, r.length);
	dmabuf = exp_export(&r);
	handle = import_fd(t.fd, dmabuf);
	loop = dma_loop_start(t.fd, handle, r.length);
	/*
	 * Inside a write, in the second command of a piece: the one that
	 * writes the BAR (each piece is one command from the driver's memory
	 * into edu's buffer, one from there into the BAR, 100 ms each).
	 */
	usleep(330 * 1000);

	started = loop->started;
	igt_assert_eq(exp_revoke(dmabuf, 0), 0);
	assert_engine_idle("right after the revoke");
	p2pbuf_cpu_fill(bar, r.length, 0x3c);
	usleep(500 * 1000);
	cpu_check(bar, r.length, 0x3c, "BAR after the revoke (CPU)");
	assert_engine_idle("500 ms after the revoke");

	igt_assert_eq(dma_loop_wait(loop, "revoke during write", &n), ENODEV);
	/* The write in flight ended with the revoke, no later one began. */
	igt_assert_eq(n, started);
	igt_assert_eq(p2pbuf_host_check_pattern(r.offset, r.length, 0x3c), 0);

	/* Restored, the engine reads what the CPU wrote. */
	igt_assert_eq(exp_revoke(dmabuf, P2PBUF_EXP_REVOKE_RESTORE), 0);
	pattern_check(t.fd, handle, r.length, 0x3c);
	p2pbuf_imp_gem_close(t.fd, handle);
	close(dmabuf);
	munmap((void *)bar, r.length);
}

/*
 * RACE_LOOPS revokes and restores while a child maps the import
 * (GEM_INFO with P2PBUF_IMP_GEM_INFO_MAP) and writes it (PATTERN) as fast
 * as it can.  After every revoke: no job holds the engine, the device is
 * idle, and bytes the CPU writes into the BAR then are still there right
 * before the restore (every 100th round after waiting longer than one
 * engine command).  The child's calls succeed or fail with -ENODEV only.
 */
struct race {
	volatile int stop;
	volatile int maps, writes, refused;
	volatile int bad;	/* an errno other than ENODEV */
};

static void test_revoke_race(void)
{
	const struct range r = { REGION + 16 * PAGE, PAGE };
	const uint64_t chunk = 512;	/* one engine command each way */
	volatile uint8_t *bar;
	struct race *race;
	uint32_t handle;
	int dmabuf;

	require_exporter();
	require_bar_data();
	bar = bar_cpu_map(r.offset, r.length);
	dmabuf = exp_export(&r);
	handle = import_fd(t.fd, dmabuf);
	race = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	igt_assert(race != MAP_FAILED);

	igt_fork(child, 1) {
		struct drm_p2pbuf_imp_gem_info info;
		int ret;

		for (int n = 0; !race->stop; n++) {
			if (n & 1) {
				ret = pattern_write(t.fd, handle, chunk, 0x20);
				if (!ret)
					race->writes++;
			} else {
				ret = p2pbuf_imp_gem_info(t.fd, handle,
					       P2PBUF_IMP_GEM_INFO_MAP, &info);
				if (!ret)
					race->maps++;
			}
			if (ret == -ENODEV) {
				race->refused++;
				/* Let the guest idle instead of spinning. */
				usleep(200);
			} else if (ret) {
				race->bad = -ret;
				break;
			}
		}
	}

	for (int i = 0; i < RACE_LOOPS && !race->bad; i++) {
		uint8_t mark = 0x80 | (i & 0x7f);

		igt_assert_eq(exp_revoke(dmabuf, 0), 0);
		assert_engine_idle("right after a revoke");
		/* The chunk the child writes, and a byte past it. */
		for (uint64_t k = 0; k <= chunk; k++)
			bar[k] = mark;
		if (i % 100 == 99)
			usleep(150 * 1000);
		else
			usleep(1000);
		for (uint64_t k = 0; k <= chunk; k++)
			igt_assert_f(bar[k] == mark,
				     "round %d: BAR byte %" PRIu64 " is 0x%02x after the revoke, the CPU wrote 0x%02x\n",
				     i, k, bar[k], mark);
		igt_assert_eq(exp_revoke(dmabuf, P2PBUF_EXP_REVOKE_RESTORE), 0);
		/*
		 * Let the child through: mostly briefly, every 10th round for
		 * 100 to 290 ms, so that revokes also meet the command of a
		 * write that goes to the BAR (the second 100 ms of a write).
		 */
		usleep(i % 10 ? 3000 : (100 + (i / 10 % 20) * 10) * 1000);
	}
	race->stop = 1;
	igt_waitchildren_timeout(60, "revoke race");
	igt_info("%d rounds: %d maps, %d writes, %d refused\n", RACE_LOOPS,
		 race->maps, race->writes, race->refused);
	igt_assert_f(!race->bad, "the child's call failed with %s\n",
		     strerror(race->bad));
	/* Both calls raced both ways: the race was run. */
	igt_assert_lt(0, race->maps);
	igt_assert_lt(0, race->writes);
	igt_assert_lt(0, race->refused);

	/* Still a working import. */
	igt_assert_eq(pattern_write(t.fd, handle, r.length, 0x21), 0);
	pattern_check(t.fd, handle, r.length, 0x21);
	cpu_check(bar, r.length, 0x21, "BAR after the race (CPU)");
	igt_assert_eq(p2pbuf_host_check_pattern(r.offset, r.length, 0x21), 0);
	p2pbuf_imp_gem_close(t.fd, handle);
	close(dmabuf);
	munmap(race, PAGE);
	munmap((void *)bar, r.length);
}

/* ---- PCI remove and rescan --------------------------------------------- */

static int pci_remove(const char *bdf)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", bdf);
	return p2pbuf_sysfs_write(path, "1");
}

static bool pci_present(const char *bdf)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	return access(path, F_OK) == 0;
}

static void pci_rescan(void)
{
	igt_assert_eq(p2pbuf_sysfs_write("/sys/bus/pci/rescan", "1"), 0);
}

/* A removed device comes back even when the subtest failed. */
static void rescan_at_exit(int sig)
{
	(void)sig;
	if ((t.imp_bdf[0] && !pci_present(t.imp_bdf)) ||
	    (t.exp_bdf[0] && !pci_present(t.exp_bdf)))
		p2pbuf_sysfs_write("/sys/bus/pci/rescan", "1");
}

/* Wait (bounded) for @path to appear: the driver bound the new device. */
static void wait_for(const char *path)
{
	int i;

	for (i = 0; i < 200 && access(path, F_OK); i++)
		usleep(50 * 1000);
	igt_assert_f(i < 200, "%s did not come back after the rescan\n", path);
}

static int exp_alloc_migratable(uint64_t size, uint64_t *offset)
{
	struct p2pbuf_exp_alloc a = {
		.flags = P2PBUF_EXP_ALLOC_MIGRATABLE, .bar = EXP_BAR,
		.size = size, .open_flags = O_RDWR | O_CLOEXEC,
	};

	igt_assert_f(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_ALLOC, &a) == 0,
		     "ALLOC failed: %s\n", strerror(errno));
	*offset = a.offset;
	return a.fd;
}

/*
 * Remove the exporter device through sysfs with a fixed buffer imported
 * and written by the engine in a loop (where data flows), a migratable
 * object mmapped by the CPU and imported, and the exporter's node open.
 * The loop ends with -ENODEV, the engine is idle, the fixed import fails
 * with -ENODEV, the node with -ENODEV; the object keeps its bytes in
 * system memory for its mmap and its import.  After a rescan the device
 * is back under the exporter and a new buffer carries bytes.
 */
static void test_remove_exporter(void)
{
	const struct range r = { REGION + 32 * PAGE, 4 * PAGE };
	const uint64_t osize = 4 * PAGE;
	struct p2pbuf_exp_query q = {};
	struct drm_p2pbuf_imp_gem_info info;
	bool route = !p2pbuf_bed_route_none(), data = p2pbuf_bed_data_ok();
	struct dma_loop *loop = NULL;
	uint32_t handle = 0, ohandle = 0;
	int dmabuf = -1, obj, old_fd;
	uint64_t ooff;
	uint8_t *optr;
	char path[96];

	require_exporter();
	obj = exp_alloc_migratable(osize, &ooff);
	optr = mmap(NULL, osize, PROT_READ | PROT_WRITE, MAP_SHARED, obj, 0);
	igt_assert(optr != MAP_FAILED);
	p2pbuf_cpu_fill(optr, osize, 0x51);
	ohandle = import_fd(t.fd, obj);
	if (route) {
		dmabuf = exp_export(&r);
		handle = import_fd(t.fd, dmabuf);
		igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP,
				       &info), 0);
		if (data)
			loop = dma_loop_start(t.fd, handle, r.length);
	}

	igt_install_exit_handler(rescan_at_exit);
	igt_assert_eq(pci_remove(t.exp_bdf), 0);
	igt_assert(!pci_present(t.exp_bdf));

	/* Holders of the gone device get clean errors... */
	if (loop)
		igt_assert_eq(dma_loop_wait(loop, "exporter removed during write", NULL),
			      ENODEV);
	assert_engine_idle("after the exporter's removal");
	if (route) {
		igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, 0, &info), 0);
		igt_assert_eq(info.state, P2PBUF_IMP_STATE_INVALIDATED);
		igt_assert_eq(pattern_write(t.fd, handle, PAGE, 0x52), -ENODEV);
		igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP,
				       &info), -ENODEV);
	}
	igt_assert_eq(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_QUERY, &q), -1);
	igt_assert_eq(errno, ENODEV);
	/* ... or keep their data: the object moved to system memory. */
	cpu_check(optr, osize, 0x51, "migratable object's mmap");
	pattern_check(t.fd, ohandle, osize, 0x51);
	igt_assert_eq(pattern_write(t.fd, ohandle, osize, 0x53), 0);
	cpu_check(optr, osize, 0x53, "migratable object's mmap");

	if (route)
		p2pbuf_imp_gem_close(t.fd, handle);
	if (dmabuf >= 0)
		close(dmabuf);
	old_fd = t.exp_fd;

	/* Back: the exporter binds it again and it works. */
	pci_rescan();
	snprintf(path, sizeof(path), "/dev/p2pbuf-exp-%s", t.exp_bdf);
	wait_for(path);
	t.exp_fd = exp_open();
	igt_assert_fd(t.exp_fd);
	igt_assert_eq(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_QUERY, &q), 0);
	/* The old node stays dead, the object stays in system memory. */
	igt_assert_eq(ioctl(old_fd, P2PBUF_EXP_IOCTL_QUERY, &q), -1);
	igt_assert_eq(errno, ENODEV);
	close(old_fd);
	cpu_check(optr, osize, 0x53, "migratable object's mmap after the rescan");
	if (route) {
		dmabuf = exp_export(&r);
		handle = import_fd(t.fd, dmabuf);
		if (data) {
			igt_assert_eq(pattern_write(t.fd, handle, r.length,
						    0x54), 0);
			pattern_check(t.fd, handle, r.length, 0x54);
			igt_assert_eq(p2pbuf_host_check_pattern(r.offset,
								r.length,
								0x54), 0);
		} else {
			igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle,
					       P2PBUF_IMP_GEM_INFO_MAP, &info),
				      0);
		}
		p2pbuf_imp_gem_close(t.fd, handle);
		close(dmabuf);
	}
	p2pbuf_imp_gem_close(t.fd, ohandle);
	munmap(optr, osize);
	close(obj);
}

/*
 * Remove the importer device through sysfs with a native object mmapped
 * by the CPU, a BAR import and the engine writing it in a loop (where
 * data flows).  The loop ends with -ENODEV, the exporter sees the mapping
 * given back, ioctls fail with -ENODEV, the native object's mmap keeps
 * its bytes; closing the file detaches.  After a rescan the device is back
 * under the importer and its engine works.
 */
static void test_remove_importer(void)
{
	const struct range r = { REGION + 48 * PAGE, 4 * PAGE };
	struct drm_p2pbuf_imp_gem_info info;
	bool bar = t.exp_fd >= 0 && !p2pbuf_bed_route_none();
	struct dma_loop *loop = NULL;
	uint32_t native, handle = 0;
	int dmabuf = -1;
	char path[96];
	uint8_t *ptr;

	native = p2pbuf_imp_gem_create(t.fd, PAGE);
	ptr = p2pbuf_imp_gem_mmap(t.fd, native, PAGE);
	igt_assert_eq(pattern_write(t.fd, native, PAGE, 0x61), 0);
	if (bar) {
		dmabuf = exp_export(&r);
		handle = import_fd(t.fd, dmabuf);
		igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP,
				       &info), 0);
		igt_assert(exp_has_attachment());
		if (p2pbuf_bed_data_ok())
			loop = dma_loop_start(t.fd, handle, r.length);
	}

	igt_install_exit_handler(rescan_at_exit);
	igt_assert_eq(pci_remove(t.imp_bdf), 0);
	igt_assert(!pci_present(t.imp_bdf));

	if (loop)
		igt_assert_eq(dma_loop_wait(loop, "importer removed during write", NULL),
			      ENODEV);
	/* Every ioctl of the unplugged device fails cleanly. */
	igt_assert_eq(pattern_write(t.fd, native, PAGE, 0x62), -ENODEV);
	igt_assert_eq(p2pbuf_imp_gem_info(t.fd, native, 0, &info), -ENODEV);
	cpu_check(ptr, PAGE, 0x61, "native object's mmap");
	if (bar) {
		char rel[96];

		igt_assert_eq(pattern_write(t.fd, handle, PAGE, 0x62), -ENODEV);
		/* The mapping was given back by the time remove returned. */
		snprintf(rel, sizeof(rel), "p2pbuf_exporter/%s/buffers",
			 t.exp_bdf);
		igt_assert_lte(0, p2pbuf_debugfs_read(rel, report,
						      sizeof(report)));
		igt_assert_f(!strstr(report, " mapped 1 "),
			     "a mapping outlived the importer's removal:\n%s",
			     report);
	}
	munmap(ptr, PAGE);
	close(t.fd);
	t.fd = -1;
	if (bar)
		igt_assert_f(!exp_has_attachment(),
			     "an attachment outlived the importer's file\n");

	pci_rescan();
	for (int i = 0; i < 200; i++) {
		t.fd = p2pbuf_open_render(P2PBUF_IMP_DRIVER_NAME);
		if (t.fd >= 0)
			break;
		usleep(50 * 1000);
	}
	igt_assert_f(t.fd >= 0, "the importer did not come back\n");
	find_importer();
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/%s", IMP_MODULE,
		 t.imp_bdf);
	wait_for(path);
	native = p2pbuf_imp_gem_create(t.fd, PAGE);
	igt_assert_eq(pattern_write(t.fd, native, PAGE, 0x63), 0);
	pattern_check(t.fd, native, PAGE, 0x63);
	p2pbuf_imp_gem_close(t.fd, native);
	if (bar) {
		handle = import_fd(t.fd, dmabuf);
		if (p2pbuf_bed_data_ok()) {
			igt_assert_eq(pattern_write(t.fd, handle, r.length,
						    0x64), 0);
			pattern_check(t.fd, handle, r.length, 0x64);
			igt_assert_eq(p2pbuf_host_check_pattern(r.offset,
								r.length,
								0x64), 0);
		}
		p2pbuf_imp_gem_close(t.fd, handle);
		close(dmabuf);
	}
}

/* ---- reset ------------------------------------------------------------- */

static int exp_alloc_fixed(uint64_t size, uint64_t *offset)
{
	struct p2pbuf_exp_alloc a = {
		.bar = EXP_BAR, .size = size, .open_flags = O_RDWR | O_CLOEXEC,
	};

	igt_assert_f(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_ALLOC, &a) == 0,
		     "ALLOC failed: %s\n", strerror(errno));
	*offset = a.offset;
	return a.fd;
}

/*
 * The exporter's device line: its poison-pending count, and whether a
 * reset is under way (" in-reset"), read together under the device lock
 * (debugfs "device": it takes no buffer's reservation lock, which a
 * revoke waiting for a fence holds).
 */
static long exp_poison_pending(bool *in_reset)
{
	char rel[96], line[256];
	const char *p;

	snprintf(rel, sizeof(rel), "p2pbuf_exporter/%s/device", t.exp_bdf);
	igt_assert_lte(0, p2pbuf_debugfs_read(rel, line, sizeof(line)));
	p = strstr(line, " poison-pending ");
	igt_assert_f(p, "no poison-pending in the device line: %s\n", line);
	if (in_reset)
		*in_reset = strstr(line, " in-reset");
	return strtol(p + strlen(" poison-pending "), NULL, 10);
}

/* Is a walk over the device's buffers at the dma-buf @fd (debugfs)? */
static bool exp_walk_at(int fd)
{
	char rel[96], line[256], want[48];
	struct stat st;

	igt_assert_eq(fstat(fd, &st), 0);
	snprintf(want, sizeof(want), " walk-ino %llu\n",
		 (unsigned long long)st.st_ino);
	snprintf(rel, sizeof(rel), "p2pbuf_exporter/%s/device", t.exp_bdf);
	igt_assert_lte(0, p2pbuf_debugfs_read(rel, line, sizeof(line)));
	return strstr(line, want);
}

/*
 * An object freed while its function is reset: its BAR does not decode
 * then, so the exporter must poison the space once the reset is done, not
 * during it (the writes would be lost).
 *
 * The close is put inside the reset, whatever the kernel's speed: a second
 * object, made after the first, holds the reset back.  A vgem fence the
 * test signals by hand sits in its reservation object, and reset_prepare(),
 * which revokes the device's buffers one after the other in the order they
 * were made (holding a file reference to each while it does), waits for
 * that fence.  A child holds the first object's only file.  Once the
 * exporter's device line names the second object's dma-buf as the one the
 * walk is at ("walk-ino"), the first one's revoke is over and its
 * reference dropped: the child closes it (the last reference, so the
 * release runs in the child, now), reads the device line again (the
 * release during the reset must be queued: poison-pending 1, still
 * in-reset), then signals the fence and the reset goes on.  After
 * it the CPU reads the poison in the BAR (resource2).  Should vgem's own
 * 10 s expiry signal the fence before the child did, the reset was not
 * held for the whole check: the round proves nothing and is repeated, up
 * to three times.
 */
struct reset_close {
	volatile int stop;	/* no reset comes: the child gives up */
	volatile int seen;	/* the child saw the reset held back */
	volatile int pending;	/* poison-pending right after the close */
	volatile int in_reset;	/* ... and still in-reset */
	volatile int signalled;	/* the fence signal: 0 or -ETIMEDOUT */
};

/* One round; false when vgem's expiry, not the child, ended the hold. */
static bool reset_poison_round(int vgem)
{
	const uint64_t size = 16 * PAGE;
	struct reset_close *rc;
	volatile uint8_t *bar;
	uint64_t off, off2;
	char path[128];
	int obj, blocker, ret;
	uint32_t fence;

	obj = exp_alloc_fixed(size, &off);
	blocker = exp_alloc_fixed(PAGE, &off2);
	bar = bar_cpu_map(off, size);
	memset((void *)bar, 0x3a, size);
	fence = p2pbuf_vgem_fence_into(vgem, blocker);
	rc = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	igt_assert(rc != MAP_FAILED);
	rc->signalled = 1;

	igt_fork(child, 1) {
		bool in_reset;

		/*
		 * Only the device line: INFO and "buffers" would wait for
		 * the blocker's reservation lock, which its revoke holds.
		 */
		while (!exp_walk_at(blocker))
			if (rc->stop)
				exit(0);
			else
				usleep(1000);
		rc->seen = 1;
		close(obj);
		rc->pending = exp_poison_pending(&in_reset);
		rc->in_reset = in_reset;
		rc->signalled = p2pbuf_vgem_fence_signal(vgem, fence);
	}
	/* The child has the object's only file now. */
	close(obj);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset",
		 t.exp_bdf);
	ret = p2pbuf_sysfs_write(path, "1");
	if (ret) {	/* no reset to wait for: let the child go */
		rc->stop = 1;
		p2pbuf_vgem_fence_signal(vgem, fence);
	}
	igt_waitchildren_timeout(60, "the close during a reset");
	/*
	 * acs-redirect: a function sharing its slot has no usable method
	 * (no reset attribute, or ENOTTY from it).
	 */
	igt_require_f(ret != -ENOTTY && ret != -ENOENT,
		      "the PCI core has no reset method for %s here (%s)\n",
		      t.exp_bdf, strerror(-ret));
	igt_assert_f(ret == 0, "resetting %s: %s\n", t.exp_bdf, strerror(-ret));
	igt_assert_f(rc->seen, "the reset's walk never reached the blocker\n");
	igt_info("closed during the reset: poison-pending %d, %s, fence signal %s\n",
		 rc->pending, rc->in_reset ? "in-reset" : "reset over",
		 rc->signalled ? strerror(-rc->signalled) : "by the test");

	/* Whenever it was freed, the space holds the poison now. */
	for (uint64_t k = 0; k < size; k++)
		igt_assert_f(bar[k] == P2PBUF_EXP_FREE_POISON,
			     "BAR byte %" PRIu64 " of the object freed during the reset is 0x%02x, not the poison 0x%02x\n",
			     k, bar[k], P2PBUF_EXP_FREE_POISON);
	/* Queued while the reset ran, nothing left after it. */
	if (!rc->signalled) {
		igt_assert_f(rc->in_reset,
			     "the reset ended while a fence it waits for was unsignalled\n");
		igt_assert_eq(rc->pending, 1);
	}
	igt_assert_eq(exp_poison_pending(NULL), 0);
	ret = rc->signalled;
	munmap((void *)bar, size);
	munmap(rc, PAGE);
	close(blocker);
	return ret == 0;
}

static void test_reset_poison(void)
{
	int round, vgem;

	require_exporter();
	vgem = p2pbuf_vgem_open();
	for (round = 0; round < 3; round++)
		if (reset_poison_round(vgem))
			break;
	close(vgem);
	igt_assert_f(round < 3,
		     "in 3 rounds vgem's expiry always signalled the fence before the child did\n");
}

/* ---- module unload, self-import, bad ranges ----------------------------- */

/* delete_module() without waiting: -EAGAIN while the module is in use. */
static int delete_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static void reload_at_exit(int sig)
{
	(void)sig;
	if (!igt_kmod_is_loaded(IMP_MODULE))
		igt_kmod_load(IMP_MODULE, NULL);
}

/*
 * Unload the importer while it holds imports: refused (-EAGAIN, not waiting) while its
 * render node is open, with a mapped BAR import; also
 * while a dma-buf it exported lives on in another file, after its own
 * file closed.  Once everything is closed it unloads, its attachments are
 * gone from the exporter, and it loads and works again.
 */
static void test_unload_importer(void)
{
	const struct range r = { REGION + 64 * PAGE, PAGE };
	struct drm_p2pbuf_imp_gem_info info;
	bool bar = t.exp_fd >= 0 && !p2pbuf_bed_route_none();
	uint32_t native, handle;
	int dmabuf = -1, exported;

	if (bar) {
		dmabuf = exp_export(&r);
		handle = import_fd(t.fd, dmabuf);
		igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP,
				       &info), 0);
	}
	native = p2pbuf_imp_gem_create(t.fd, PAGE);
	igt_assert_eq(pattern_write(t.fd, native, PAGE, 0x71), 0);
	igt_assert_eq(drmPrimeHandleToFD(t.fd, native, DRM_CLOEXEC | DRM_RDWR,
					 &exported), 0);

	igt_install_exit_handler(reload_at_exit);
	igt_assert_eq(delete_module(IMP_MODULE), -EAGAIN);
	igt_assert(igt_kmod_is_loaded(IMP_MODULE));
	if (bar)
		igt_assert(exp_has_attachment());

	/* The file is closed; its dma-buf still holds the module. */
	close(t.fd);
	t.fd = -1;
	if (bar)
		igt_assert_f(!exp_has_attachment(),
			     "the import outlived its file\n");
	igt_assert_eq(delete_module(IMP_MODULE), -EAGAIN);
	close(exported);
	igt_assert_eq(delete_module(IMP_MODULE), 0);
	igt_assert(!igt_kmod_is_loaded(IMP_MODULE));

	open_importer();
	if (bar) {
		handle = import_fd(t.fd, dmabuf);
		igt_assert_eq(p2pbuf_imp_gem_info(t.fd, handle, P2PBUF_IMP_GEM_INFO_MAP,
				       &info), 0);
		igt_assert_eq_u64(info.maps, 1);
		p2pbuf_imp_gem_close(t.fd, handle);
		close(dmabuf);
	}
}

/*
 * A native object exported with PRIME and imported again: into the same
 * file it is the same handle, into another file of the same device the
 * same object (no attachment to itself, no import): both see one memory.
 */
static void test_self_import(void)
{
	struct drm_p2pbuf_imp_gem_info info;
	uint32_t native, again, other;
	int dmabuf, fd2;
	uint8_t *ptr;

	native = p2pbuf_imp_gem_create(t.fd, 2 * PAGE);
	ptr = p2pbuf_imp_gem_mmap(t.fd, native, 2 * PAGE);
	igt_assert_eq(drmPrimeHandleToFD(t.fd, native, DRM_CLOEXEC | DRM_RDWR,
					 &dmabuf), 0);
	again = import_fd(t.fd, dmabuf);
	igt_assert_eq_u32(again, native);

	fd2 = p2pbuf_open_render(P2PBUF_IMP_DRIVER_NAME);
	igt_assert_fd(fd2);
	other = import_fd(fd2, dmabuf);
	igt_assert_eq(p2pbuf_imp_gem_info(fd2, other, 0, &info), 0);
	igt_assert_eq(info.kind, P2PBUF_IMP_KIND_NATIVE);
	igt_assert_eq(info.state, P2PBUF_IMP_STATE_MAPPED);
	igt_assert_eq_u64(info.size, 2 * PAGE);
	igt_assert_eq(pattern_write(fd2, other, 2 * PAGE, 0x81), 0);
	cpu_check(ptr, 2 * PAGE, 0x81, "native object written through the other file");
	pattern_check(t.fd, native, 2 * PAGE, 0x81);

	/* The object outlives the first file's handle and the dma-buf. */
	munmap(ptr, 2 * PAGE);
	p2pbuf_imp_gem_close(t.fd, native);
	close(dmabuf);
	pattern_check(fd2, other, 2 * PAGE, 0x81);
	close(fd2);
}

/* CHECK refuses the ranges WRITE refuses, before the engine runs. */
static void test_check_bad_ranges(void)
{
	struct drm_p2pbuf_imp_pattern p;
	uint32_t a = p2pbuf_imp_gem_create(t.fd, 2 * PAGE);
	long commands = engine_stat("commands");

	igt_assert_eq(p2pbuf_imp_pattern(t.fd, a, P2PBUF_IMP_PATTERN_CHECK, 0, 0, 0,
				 &p), -EINVAL);
	igt_assert_eq(p2pbuf_imp_pattern(t.fd, a, P2PBUF_IMP_PATTERN_CHECK, PAGE,
				 PAGE + 1, 0, &p), -EINVAL);
	igt_assert_eq(p2pbuf_imp_pattern(t.fd, a, P2PBUF_IMP_PATTERN_CHECK,
				 2 * PAGE, 1, 0, &p), -EINVAL);
	igt_assert_eq(p2pbuf_imp_pattern(t.fd, a, P2PBUF_IMP_PATTERN_CHECK, ~0ULL, 2,
				 0, &p), -EINVAL);
	igt_assert_eq(p2pbuf_imp_pattern(t.fd, a, P2PBUF_IMP_PATTERN_CHECK, 1, ~0ULL,
				 0, &p), -EINVAL);
	igt_assert_eq(p2pbuf_imp_pattern(t.fd, 0xdead, P2PBUF_IMP_PATTERN_CHECK, 0, 1,
				 0, &p), -ENOENT);
	igt_assert_eq(engine_stat("commands"), commands);
	/* The last byte is inside. */
	igt_assert_eq(p2pbuf_imp_pattern(t.fd, a, P2PBUF_IMP_PATTERN_CHECK,
				 2 * PAGE - 1, 1, 0, &p), 0);
	p2pbuf_imp_gem_close(t.fd, a);
}

int igt_main()
{
	igt_fixture()
		setup();

	igt_describe("Revoke while the engine writes in a loop: the engine is idle when the revoke returns, and bytes the CPU writes into the BAR then (sysfs resource2, not the engine) are still there 500 ms later.");
	igt_subtest("revoke-during-dma-cpu-check")
		test_revoke_cpu_check();

	igt_describe("1000 revokes and restores racing GEM_INFO_MAP and PATTERN calls on the import: after every revoke the engine is idle and no byte lands in the BAR (read by the CPU); the calls succeed or fail with ENODEV.");
	igt_subtest("revoke-race-map-pattern")
		test_revoke_race();

	igt_describe("PCI remove of the exporter with a fixed import under DMA, a migratable object mmapped and imported, the node open: clean ENODEV errors, the object keeps its bytes; after a rescan the device works again.");
	igt_subtest("remove-rescan-exporter")
		test_remove_exporter();

	igt_describe("PCI remove of the importer with a native object mmapped and a BAR import under DMA: the loop ends with ENODEV, the mapping is given back, the mmap keeps its bytes; after a rescan the engine works again.");
	igt_subtest("remove-rescan-importer")
		test_remove_importer();

	igt_describe("An object freed while its function is reset is poisoned once the BAR decodes again: the CPU reads the poison afterwards, nothing is left pending.");
	igt_subtest("reset-frees-poisoned")
		test_reset_poison();

	igt_describe("The importer module cannot be unloaded while its node or a dma-buf it exported is open; once closed it unloads with nothing left attached, then loads and works.");
	igt_subtest("unload-importer-live-imports")
		test_unload_importer();

	igt_describe("A native object exported with PRIME imports back as itself: the same handle in its file, the same object in another file.");
	igt_subtest("self-import")
		test_self_import();

	igt_describe("PATTERN CHECK refuses empty, out-of-bounds and overflowing ranges and unknown handles before the engine runs.");
	igt_subtest("check-bad-ranges")
		test_check_bad_ranges();

	igt_fixture() {
		if (t.fd >= 0)
			close(t.fd);
		if (t.exp_fd >= 0)
			close(t.exp_fd);
	}
}
