// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_migrate - objects allocated from the exporter's BAR: P2P for
 * importers that reach the BAR, a move to system memory for those that
 * don't (migratable objects), a refusal for fixed objects.
 *
 * Importers: p2pbuf_imp (a DRM driver with a DMA engine; P2P capable,
 * or not with its module parameter p2p=N), vgem (system memory only, a
 * static importer) and p2pbuf_test_importer (debugfs-driven: dynamic,
 * nop2p, static attachments for the edu device).  Where an object is, and
 * how often it moved, is read with P2PBUF_EXP_IOCTL_INFO; its bytes through
 * its own mmap (the BAR write-combined, or its pages), through the
 * importers, and by the host in the BAR's backing file after the run.
 *
 * The bed's exporter allocates objects in the upper 16 MiB of its 32 MiB
 * BAR (alloc_offset); exported ranges of other tests use the lower half.
 * BAR space an object gives back is filled with P2PBUF_EXP_FREE_POISON.
 *
 * Bytes an object holds in the BAR are checked in the guest, through the
 * object's mmap (the CPU reads the BAR) and through a raw export of the
 * same BAR range read by the engine: the host's check of the backing file
 * after the run sees only the BAR's last state, and allocator space is
 * reused, poisoned when freed, and emptied by later tests that unbind the
 * exporter.  The host checks the one region whose last state is known: the
 * poison left behind by migrate-during-dma.
 *
 * Objects the engine reads or writes are 16 KiB: the edu engine moves
 * 2 KiB per command at 100 ms each under TCG.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt.h"
#include "igt_kmod.h"

#include "p2pbuf_igt.h"
#include "p2pbuf_sysfs.h"

#include "../include/uapi/drm/p2pbuf_imp_drm.h"
#include "../include/uapi/linux/p2pbuf_exporter.h"
#include "../include/uapi/linux/p2pbuf_pattern.h"

IGT_TEST_DESCRIPTION("Objects allocated from the exporter's BAR: importers "
		     "that reach it peer-to-peer get the BAR, the others get "
		     "a migratable object moved to system memory (and back), "
		     "or are refused by a fixed one; bytes survive every move, "
		     "for DMA and for the CPU.");

#define IMP_MODULE	"p2pbuf_importer"
#define EXP_MODULE	"p2pbuf_exporter"
#define TI_MODULE	"p2pbuf_test_importer"
#define PROBE_MODULE	"p2pbuf_probe"
#define EXP_BAR		2
#define PAGE		4096ULL
#define MIB		(1ULL << 20)

static struct {
	int fd;			/* p2pbuf_imp render node (P2P importer) */
	char imp_bdf[32];	/* the edu device */
	int exp_fd;		/* the exporter's character device */
	char exp_bdf[32];
	uint64_t bar_size;
	uint64_t alloc_offset;	/* the allocator's window: to the BAR's end */
} t = { .fd = -1, .exp_fd = -1 };

static char report[1 << 17];

/* ---- files and debugfs ---------------------------------------------------- */

/* Free bytes of the BAR's allocator, from the exporter's debugfs "bars". */
static uint64_t alloc_free(void)
{
	char rel[96];
	const char *p;

	snprintf(rel, sizeof(rel), "p2pbuf_exporter/%s/bars", t.exp_bdf);
	igt_assert(p2pbuf_debugfs_read(rel, report, sizeof(report)) > 0);
	p = strstr(report, "alloc-free ");
	igt_assert_f(p, "no allocator in %s:\n%s", rel, report);
	return strtoull(p + strlen("alloc-free "), NULL, 0);
}

/*
 * The allocator's whole window is free.  Only this binary allocates from
 * it, and its objects die with the subtest that made them; attachments a
 * failed subtest left in the test importer are dropped first.  Anything
 * still allocated then is a leak: a failure, not a reason to skip.
 */
static void assert_allocator_idle(void)
{
	const uint64_t window = t.bar_size - t.alloc_offset;
	uint64_t avail;
	char rel[96];

	if (igt_kmod_is_loaded(TI_MODULE))
		p2pbuf_ti_detach_all(0);
	avail = alloc_free();
	if (avail == window)
		return;
	snprintf(rel, sizeof(rel), "p2pbuf_exporter/%s/buffers", t.exp_bdf);
	igt_assert(p2pbuf_debugfs_read(rel, report, sizeof(report)) > 0);
	igt_assert_f(false,
		     "%#" PRIx64 " of the allocator's %#" PRIx64 " bytes are allocated before the subtest:\n%s",
		     window - avail, window, report);
}

/* ---- the exporter -------------------------------------------------------- */

static int exp_alloc(uint64_t size, uint64_t align, uint32_t flags,
		     uint64_t *offset)
{
	struct p2pbuf_exp_alloc a = {
		.flags = flags, .bar = EXP_BAR, .size = size, .align = align,
		.open_flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_ALLOC, &a))
		return -errno;
	if (offset)
		*offset = a.offset;
	return a.fd;
}

static int obj_new(uint64_t size, bool migratable, uint64_t *offset)
{
	int fd = exp_alloc(size, 0, migratable ? P2PBUF_EXP_ALLOC_MIGRATABLE : 0,
			   offset);

	igt_assert_f(fd >= 0, "ALLOC of %" PRIu64 " bytes: %s\n", size,
		     strerror(-fd));
	return fd;
}

static struct p2pbuf_exp_info obj_info(int dmabuf)
{
	struct p2pbuf_exp_info i = { .fd = dmabuf };

	igt_assert_eq(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_INFO, &i), 0);
	return i;
}

static void assert_placement(int dmabuf, uint32_t placement,
			     uint32_t migrations)
{
	struct p2pbuf_exp_info i = obj_info(dmabuf);

	igt_assert_f(i.placement == placement,
		     "placement %u, expected %u (%s)\n", i.placement, placement,
		     placement == P2PBUF_EXP_PLACEMENT_BAR ? "BAR" : "system");
	igt_assert_eq_u32(i.migrations, migrations);
	if (placement == P2PBUF_EXP_PLACEMENT_BAR)
		igt_assert_lte_u64(t.alloc_offset, i.bar_offset);
	else
		igt_assert_eq_u64(i.bar_offset, P2PBUF_EXP_NO_OFFSET);
}

static uint8_t *obj_mmap(int dmabuf, uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf,
		       0);

	igt_assert_f(p != MAP_FAILED, "mmap of the object: %s\n",
		     strerror(errno));
	return p;
}

static void cpu_check(const uint8_t *p, uint64_t size, uint32_t seed)
{
	for (uint64_t k = 0; k < size; k++)
		igt_assert_f(p[k] == p2pbuf_pattern_byte(seed, k),
			     "byte %" PRIu64 " is 0x%02x, pattern %u has 0x%02x\n",
			     k, p[k], seed, p2pbuf_pattern_byte(seed, k));
}

/* ---- importers ------------------------------------------------------------ */

static uint32_t imp_import(int fd, int dmabuf)
{
	uint32_t handle;

	igt_assert_f(!drmPrimeFDToHandle(fd, dmabuf, &handle),
		     "import into p2pbuf_imp: %s\n", strerror(errno));
	return handle;
}

static int imp_pattern(int fd, uint32_t handle, uint32_t op, uint64_t size,
		       uint32_t seed)
{
	struct drm_p2pbuf_imp_pattern p = {
		.handle = handle, .op = op, .size = size, .seed = seed,
	};
	int ret = p2pbuf_imp_ioctl(fd, DRM_IOCTL_P2PBUF_IMP_PATTERN, &p);

	if (!ret && op == P2PBUF_IMP_PATTERN_CHECK)
		igt_assert_f(p.bad_offset == P2PBUF_IMP_PATTERN_MATCH,
			     "engine: byte %" PRIu64 " is 0x%02x, pattern %u has 0x%02x\n",
			     (uint64_t)p.bad_offset, p.found, seed, p.expected);
	return ret;
}

static void imp_write(int fd, uint32_t handle, uint64_t size, uint32_t seed)
{
	igt_assert_eq(imp_pattern(fd, handle, P2PBUF_IMP_PATTERN_WRITE, size,
				  seed), 0);
}

static void imp_check(int fd, uint32_t handle, uint64_t size, uint32_t seed)
{
	igt_assert_eq(imp_pattern(fd, handle, P2PBUF_IMP_PATTERN_CHECK, size,
				  seed), 0);
}

/* A second p2pbuf_imp file: its own imports, made with p2p=N. */
static int open_nop2p_importer(void)
{
	int fd;

	igt_install_exit_handler(p2pbuf_imp_restore_p2p_at_exit);
	igt_assert_eq(p2pbuf_imp_set_p2p(false), 0);
	fd = p2pbuf_open_render(P2PBUF_IMP_DRIVER_NAME);
	igt_assert_fd(fd);
	return fd;
}

static void require_test_importer(void)
{
	int ret = igt_kmod_load(TI_MODULE, NULL);

	p2pbuf_bed_require_f(ret == 0, "cannot load %s: %s\n", TI_MODULE,
		      strerror(-ret));
	igt_install_exit_handler(p2pbuf_ti_detach_all);
}

/* ---- the test bed ------------------------------------------------------- */

/*
 * The engine's DMA reaches an object in the BAR here: P2P carries data, or
 * there is no P2P route and the importer gets system memory anyway.
 */
static bool engine_reaches_bar(void)
{
	return p2pbuf_bed_route_none() || p2pbuf_bed_data_ok();
}

/* The engine's DMA into the BAR carries data here. */
static void require_p2p_data(void)
{
	igt_require_f(!p2pbuf_bed_route_none(),
		      "the kernel knows no P2P route here: objects always move to system memory\n");
	igt_require_f(p2pbuf_bed_data_ok(), "%s\n", p2pbuf_bed_data());
}

static void setup(void)
{
	struct p2pbuf_exp_query q = {};
	struct p2pbuf_exp_alloc a = { .bar = EXP_BAR };
	int ret;

	if (igt_kmod_is_loaded(PROBE_MODULE))
		igt_assert_eq(igt_kmod_unload(PROBE_MODULE), 0);
	ret = igt_kmod_load(EXP_MODULE, NULL);
	igt_skip_on_f(ret == -ENOENT && !p2pbuf_bed_expect(),
		      "module %s is not installed\n", EXP_MODULE);
	igt_assert_eq(ret, 0);
	p2pbuf_bed_require_f(!p2pbuf_exporter_find(t.exp_bdf, sizeof(t.exp_bdf)),
		      "no device bound to %s\n", EXP_MODULE);
	{
		char path[64];

		snprintf(path, sizeof(path), "/dev/p2pbuf-exp-%s", t.exp_bdf);
		t.exp_fd = open(path, O_RDWR | O_CLOEXEC);
		igt_assert_fd(t.exp_fd);
	}
	igt_assert_eq(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_QUERY, &q), 0);
	t.bar_size = q.bar_size[EXP_BAR];
	t.alloc_offset = q.alloc_offset;
	p2pbuf_bed_require_f(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_ALLOC, &a) == -1 &&
		      errno == EINVAL,
		      "the exporter has no ALLOC ioctl\n");
	p2pbuf_bed_require_f(t.alloc_offset < t.bar_size,
		      "BAR%u has no allocator (alloc_offset %#" PRIx64 ")\n",
		      EXP_BAR, t.alloc_offset);

	t.fd = p2pbuf_importer_open();
	{
		char drv[64];

		igt_assert_eq(p2pbuf_pci_find(0x1234, 0x11e8, t.imp_bdf,
					      sizeof(t.imp_bdf), drv,
					      sizeof(drv)), 0);
	}
	igt_info("exporter %s: allocator [%#" PRIx64 ", %#" PRIx64
		 "), importer %s, route %s, data %s\n", t.exp_bdf,
		 t.alloc_offset, t.bar_size, t.imp_bdf,
		 p2pbuf_bed_expect() ?: "?", p2pbuf_bed_data() ?: "?");
}

/* ---- subtests: the allocator and its uAPI ------------------------------- */

static void test_alloc_bad(void)
{
	static const struct {
		const char *what;
		struct p2pbuf_exp_alloc a;
		int err;
	} cases[] = {
		{ "unknown flag", { .flags = 2, .bar = EXP_BAR, .size = PAGE }, EINVAL },
		{ "reserved[0]", { .bar = EXP_BAR, .size = PAGE, .reserved = { 1 } }, EINVAL },
		{ "reserved[1]", { .bar = EXP_BAR, .size = PAGE, .reserved = { 0, 1ULL << 63 } }, EINVAL },
		{ "size 0", { .bar = EXP_BAR, .size = 0 }, EINVAL },
		{ "size not page aligned", { .bar = EXP_BAR, .size = PAGE + 1 }, EINVAL },
		{ "size above the BAR", { .bar = EXP_BAR, .size = 1ULL << 62 }, EINVAL },
		{ "size wrapping", { .bar = EXP_BAR, .size = ~0ULL & ~(PAGE - 1) }, EINVAL },
		{ "align not a power of two", { .bar = EXP_BAR, .size = PAGE, .align = 3 * PAGE }, EINVAL },
		{ "align below a page", { .bar = EXP_BAR, .size = PAGE, .align = 512 }, EINVAL },
		{ "align above the BAR", { .bar = EXP_BAR, .size = PAGE, .align = 1ULL << 40 }, EINVAL },
		{ "bar out of range", { .bar = 6, .size = PAGE }, EINVAL },
		{ "bar not exported", { .bar = 0, .size = PAGE }, ENXIO },
		{ "open_flags O_WRONLY", { .bar = EXP_BAR, .size = PAGE, .open_flags = O_WRONLY }, EINVAL },
		{ "open_flags O_APPEND", { .bar = EXP_BAR, .size = PAGE, .open_flags = O_RDWR | O_APPEND }, EINVAL },
	};
	uint64_t before = alloc_free();

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		struct p2pbuf_exp_alloc a = cases[i].a;

		igt_assert_f(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_ALLOC, &a) == -1 &&
			     errno == cases[i].err,
			     "%s: expected %s, got %s\n", cases[i].what,
			     strerror(cases[i].err),
			     errno ? strerror(errno) : "success");
	}
	/* Nothing half-made: the allocator lost no byte. */
	igt_assert_eq_u64(alloc_free(), before);
}

static void test_info_bad(void)
{
	struct p2pbuf_exp_info i = {};
	int fd = obj_new(PAGE, true, NULL);
	int other = open("/dev/null", O_RDONLY);

	i.fd = fd;
	i.flags = 1;
	igt_assert(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_INFO, &i) == -1 &&
		   errno == EINVAL);
	memset(&i, 0, sizeof(i));
	i.fd = fd;
	i.reserved[1] = 1;
	igt_assert(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_INFO, &i) == -1 &&
		   errno == EINVAL);
	memset(&i, 0, sizeof(i));
	i.fd = -1;
	igt_assert(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_INFO, &i) == -1 &&
		   errno == EBADF);
	i.fd = other;
	igt_assert(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_INFO, &i) == -1 &&
		   errno == EINVAL);
	close(other);
	close(fd);
}

static void test_alloc_basic(void)
{
	uint64_t before = alloc_free(), off_m, off_f;
	struct p2pbuf_exp_info i;
	int m, f;
	uint8_t *p;

	m = obj_new(16 * PAGE, true, &off_m);
	f = obj_new(4 * PAGE, false, &off_f);
	igt_assert_eq_u64(alloc_free(), before - 20 * PAGE);

	i = obj_info(m);
	igt_assert_eq_u32(i.kind, P2PBUF_EXP_KIND_MIGRATABLE);
	igt_assert_eq_u64(i.size, 16 * PAGE);
	igt_assert_eq_u64(i.bar_offset, off_m);
	igt_assert_eq_u32(i.bar, EXP_BAR);
	igt_assert_eq_u32(i.attachments, 0);
	assert_placement(m, P2PBUF_EXP_PLACEMENT_BAR, 0);
	i = obj_info(f);
	igt_assert_eq_u32(i.kind, P2PBUF_EXP_KIND_OBJECT);
	igt_assert_eq_u64(i.bar_offset, off_f);
	igt_assert(off_f >= off_m + 16 * PAGE || off_f + 4 * PAGE <= off_m);

	/* New memory is zeroed, readable and writable through the mmap. */
	p = obj_mmap(m, 16 * PAGE);
	for (uint64_t k = 0; k < 16 * PAGE; k++)
		igt_assert_f(!p[k], "byte %" PRIu64 " of a new object is 0x%02x\n",
			     k, p[k]);
	p2pbuf_cpu_fill(p, 16 * PAGE, 7);
	cpu_check(p, 16 * PAGE, 7);
	munmap(p, 16 * PAGE);

	/* A read-only dma-buf maps shared for reading, not for writing. */
	{
		struct p2pbuf_exp_alloc a = {
			.flags = P2PBUF_EXP_ALLOC_MIGRATABLE, .bar = EXP_BAR,
			.size = PAGE, .open_flags = O_RDONLY | O_CLOEXEC,
		};
		void *ro;

		igt_assert_eq(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_ALLOC, &a), 0);
		ro = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, a.fd, 0);
		igt_assert(ro != MAP_FAILED);
		igt_assert_eq(((volatile uint8_t *)ro)[PAGE - 1], 0);
		munmap(ro, PAGE);
		igt_assert(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
				a.fd, 0) == MAP_FAILED);
		igt_assert_eq(errno, EACCES);
		close(a.fd);
	}

	/* Fixed objects have no CPU access; private mappings are refused. */
	igt_assert(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, f, 0) == MAP_FAILED);
	igt_assert(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, m, 0) == MAP_FAILED);

	close(m);
	close(f);
	igt_assert_eq_u64(alloc_free(), before);

	/* The same space again: cleared, not the old object's bytes. */
	m = obj_new(16 * PAGE, true, &off_f);
	p = obj_mmap(m, 16 * PAGE);
	if (off_f == off_m)
		for (uint64_t k = 0; k < 16 * PAGE; k++)
			igt_assert(!p[k]);
	munmap(p, 16 * PAGE);
	close(m);
}

static void test_alloc_align(void)
{
	for (uint64_t align = PAGE; align <= 4 * MIB; align <<= 1) {
		uint64_t off;
		int fd = exp_alloc(PAGE, align, 0, &off);

		igt_assert_f(fd >= 0, "align %#" PRIx64 ": %s\n", align,
			     strerror(-fd));
		igt_assert_f(!(off & (align - 1)),
			     "offset %#" PRIx64 " not aligned to %#" PRIx64 "\n",
			     off, align);
		close(fd);
	}
}

/* Fill the allocator, run out, free, reuse, fragment. */
static void test_alloc_full(void)
{
	const uint64_t window = t.bar_size - t.alloc_offset;
	const unsigned int n = window / MIB;
	uint64_t off[64];
	int fds[64];

	igt_require_f(n >= 4 && n <= ARRAY_SIZE(fds),
		      "allocator window of %" PRIu64 " MiB\n",
		      (uint64_t)(window / MIB));
	assert_allocator_idle();

	for (unsigned int i = 0; i < n; i++)
		fds[i] = obj_new(MIB, i % 2, &off[i]);
	igt_assert_eq_u64(alloc_free(), 0);
	igt_assert_eq(exp_alloc(PAGE, 0, 0, NULL), -ENOSPC);
	igt_assert_eq(exp_alloc(PAGE, 0, P2PBUF_EXP_ALLOC_MIGRATABLE, NULL),
		      -ENOSPC);

	/* Two holes of 1 MiB, not adjacent: 2 MiB does not fit. */
	close(fds[1]);
	close(fds[3]);
	igt_assert_eq_u64(alloc_free(), 2 * MIB);
	igt_assert_eq(exp_alloc(2 * MIB, 0, 0, NULL), -ENOSPC);
	/* 1 MiB does, in the first hole (first fit). */
	{
		uint64_t hole = off[1];

		fds[1] = obj_new(MIB, false, &off[1]);
		igt_assert_eq_u64(off[1], hole);
	}
	/* Free the neighbour of the other hole: now 2 MiB fit there. */
	close(fds[2]);
	fds[2] = exp_alloc(2 * MIB, 0, 0, &off[2]);
	igt_assert_f(fds[2] >= 0, "2 MiB after merging holes: %s\n",
		     strerror(-fds[2]));
	igt_assert_eq_u64(alloc_free(), 0);

	for (unsigned int i = 0; i < n; i++)
		if (i != 3)
			close(fds[i]);
	igt_assert_eq_u64(alloc_free(), window);
}

/* ---- subtests: placement per importer ---------------------------------- */

/* An importer that reaches the BAR peer-to-peer leaves the object there. */
static void test_p2p_stays(void)
{
	const uint64_t size = 4 * PAGE;
	uint64_t off;
	uint32_t h;
	uint8_t *p;
	int m;

	require_p2p_data();
	m = obj_new(size, true, &off);
	h = imp_import(t.fd, m);
	imp_write(t.fd, h, size, 21);
	assert_placement(m, P2PBUF_EXP_PLACEMENT_BAR, 0);
	/* The CPU reads the BAR itself: the engine's bytes are there. */
	p = obj_mmap(m, size);
	cpu_check(p, size, 21);
	munmap(p, size);
	/*
	 * And a second DMA path to the same BAR bytes: the raw range at the
	 * object's offset, exported on its own (EXPORT may alias allocated
	 * space, as VFIO's ranges may), read back by the engine.
	 */
	{
		struct p2pbuf_exp_range r = { .offset = off, .length = size };
		struct p2pbuf_exp_export x = {
			.bar = EXP_BAR, .ranges = (uintptr_t)&r, .nr_ranges = 1,
			.open_flags = O_RDWR | O_CLOEXEC,
		};
		uint32_t alias;

		igt_assert_eq(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_EXPORT, &x), 0);
		alias = imp_import(t.fd, x.fd);
		imp_check(t.fd, alias, size, 21);
		p2pbuf_imp_gem_close(t.fd, alias);
		close(x.fd);
	}
	p2pbuf_imp_gem_close(t.fd, h);
	assert_placement(m, P2PBUF_EXP_PLACEMENT_BAR, 0);
	close(m);
}

/*
 * A non-P2P importer makes the object move to system memory; the P2P
 * importer is invalidated and its next DMA goes to the pages.  When the
 * non-P2P importer detaches the object moves back to the BAR.
 */
static void test_migrate_no_p2p_importer(void)
{
	const uint64_t size = 4 * PAGE;
	uint64_t off, before;
	struct p2pbuf_exp_info i;
	uint32_t h, h2;
	uint8_t *p;
	int m, fd2;

	m = obj_new(size, true, &off);
	p = obj_mmap(m, size);
	h = imp_import(t.fd, m);
	if (p2pbuf_bed_route_none()) {
		/* Even the P2P importer gets system memory here. */
		assert_placement(m, P2PBUF_EXP_PLACEMENT_SYSTEM, 1);
		p2pbuf_cpu_fill(p, size, 30);
	} else if (p2pbuf_bed_data_ok()) {
		imp_write(t.fd, h, size, 30);
		assert_placement(m, P2PBUF_EXP_PLACEMENT_BAR, 0);
	} else {
		p2pbuf_cpu_fill(p, size, 30);
	}
	before = alloc_free();

	fd2 = open_nop2p_importer();
	h2 = imp_import(fd2, m);
	igt_assert_eq(p2pbuf_imp_set_p2p(true), 0);
	i = obj_info(m);
	igt_assert_eq_u32(i.placement, P2PBUF_EXP_PLACEMENT_SYSTEM);
	igt_assert_eq_u32(i.attachments, 2);
	igt_assert_eq_u32(i.system_attachments, p2pbuf_bed_route_none() ? 2 : 1);
	if (!p2pbuf_bed_route_none()) {
		igt_assert_eq_u32(i.migrations, 1);
		/* The BAR space is free again. */
		igt_assert_eq_u64(alloc_free(), before + size);
	}

	/* Same bytes, seen by the engine through the system-memory import. */
	imp_check(fd2, h2, size, 30);
	cpu_check(p, size, 30);
	/* The P2P importer re-maps and its DMA now lands in the pages. */
	imp_write(t.fd, h, size, 31);
	imp_check(fd2, h2, size, 31);
	cpu_check(p, size, 31);

	p2pbuf_imp_gem_close(fd2, h2);
	close(fd2);
	if (p2pbuf_bed_route_none()) {
		assert_placement(m, P2PBUF_EXP_PLACEMENT_SYSTEM, 1);
	} else {
		/* Nobody needs system memory now: back in the BAR. */
		assert_placement(m, P2PBUF_EXP_PLACEMENT_BAR, 2);
		cpu_check(p, size, 31);
		if (p2pbuf_bed_data_ok())
			imp_check(t.fd, h, size, 31);
	}
	munmap(p, size);
	p2pbuf_imp_gem_close(t.fd, h);
	close(m);
}

/*
 * vgem, a static importer of system memory only.  vgem cannot mmap an
 * import (DRM's dumb mmap refuses imported objects): the bytes are read
 * through the object's own mapping and by the p2pbuf_imp engine.
 */
static void test_migrate_vgem(void)
{
	const uint64_t size = 4 * PAGE;
	struct p2pbuf_exp_info i;
	uint32_t h, h2;
	uint8_t *p;
	int vfd, m;

	igt_require_f(igt_kmod_load("vgem", NULL) == 0, "no vgem module\n");
	vfd = drm_open_driver(DRIVER_VGEM);
	m = obj_new(size, true, NULL);
	p = obj_mmap(m, size);
	p2pbuf_cpu_fill(p, size, 40);
	assert_placement(m, P2PBUF_EXP_PLACEMENT_BAR, 0);

	igt_assert_f(!drmPrimeFDToHandle(vfd, m, &h),
		     "vgem import: %s\n", strerror(errno));
	i = obj_info(m);
	igt_assert_eq_u32(i.placement, P2PBUF_EXP_PLACEMENT_SYSTEM);
	igt_assert_eq_u32(i.migrations, 1);
	igt_assert_eq_u32(i.system_attachments, 1);
	cpu_check(p, size, 40);

	/* Another importer's DMA sees and writes the same pages. */
	h2 = imp_import(t.fd, m);
	imp_check(t.fd, h2, size, 40);
	imp_write(t.fd, h2, size, 41);
	cpu_check(p, size, 41);
	igt_assert_eq_u32(obj_info(m).placement, P2PBUF_EXP_PLACEMENT_SYSTEM);
	p2pbuf_imp_gem_close(t.fd, h2);

	p2pbuf_imp_gem_close(vfd, h);
	close(vfd);
	assert_placement(m, P2PBUF_EXP_PLACEMENT_BAR, 2);
	cpu_check(p, size, 41);
	munmap(p, size);
	close(m);
}

/* A fixed object keeps the VFIO rule: no P2P, no import. */
static void test_reject_fixed(void)
{
	uint32_t h;
	int f, fd2, vfd;

	f = obj_new(4 * PAGE, false, NULL);

	fd2 = open_nop2p_importer();
	igt_assert(drmPrimeFDToHandle(fd2, f, &h));
	igt_assert_eq(errno, EOPNOTSUPP);
	igt_assert_eq(p2pbuf_imp_set_p2p(true), 0);
	close(fd2);

	if (igt_kmod_load("vgem", NULL) == 0) {
		vfd = drm_open_driver(DRIVER_VGEM);
		igt_assert(drmPrimeFDToHandle(vfd, f, &h));
		igt_assert_eq(errno, EOPNOTSUPP);
		close(vfd);
	}

	/* Where the BAR is out of reach even the P2P importer is refused. */
	if (p2pbuf_bed_route_none()) {
		igt_assert(drmPrimeFDToHandle(t.fd, f, &h));
		igt_assert_eq(errno, EOPNOTSUPP);
	}
	igt_assert_eq_u32(obj_info(f).attachments, 0);
	close(f);
}

/* Where no P2P route exists the P2P importer gets system memory. */
static void test_migrate_unreachable(void)
{
	const uint64_t size = 4 * PAGE;
	uint8_t *p;
	uint32_t h;
	int m;

	igt_require_f(p2pbuf_bed_route_none(),
		      "the P2P importer reaches the BAR here (route %s)\n",
		      p2pbuf_bed_expect() ?: "unknown");
	m = obj_new(size, true, NULL);
	p = obj_mmap(m, size);
	p2pbuf_cpu_fill(p, size, 50);
	h = imp_import(t.fd, m);
	assert_placement(m, P2PBUF_EXP_PLACEMENT_SYSTEM, 1);
	imp_check(t.fd, h, size, 50);
	imp_write(t.fd, h, size, 51);
	cpu_check(p, size, 51);
	p2pbuf_imp_gem_close(t.fd, h);
	assert_placement(m, P2PBUF_EXP_PLACEMENT_BAR, 2);
	cpu_check(p, size, 51);
	munmap(p, size);
	close(m);
}

/* A static importer pins the object in system memory. */
static void test_migrate_pinned(void)
{
	const uint64_t size = 8 * PAGE;
	struct p2pbuf_exp_info i;
	uint8_t *p;
	int m;

	require_test_importer();
	m = obj_new(size, true, NULL);
	p = obj_mmap(m, size);
	p2pbuf_cpu_fill(p, size, 60);
	igt_assert_eq(p2pbuf_ti_cmd("attach 0 %d %s static", m, t.imp_bdf), 0);
	igt_assert_eq(p2pbuf_ti_cmd("map 0"), 0);
	i = obj_info(m);
	igt_assert_eq_u32(i.placement, P2PBUF_EXP_PLACEMENT_SYSTEM);
	igt_assert_eq_u32(i.pins, 1);
	cpu_check(p, size, 60);

	/* A user revoke and restore cannot move a pinned object back. */
	igt_assert_eq(p2pbuf_ti_cmd("attach 1 %d %s dynamic", m, t.imp_bdf), 0);
	igt_assert_eq(p2pbuf_ti_cmd("map 1"), 0);
	igt_assert_eq_u32(obj_info(m).placement, P2PBUF_EXP_PLACEMENT_SYSTEM);

	igt_assert_eq(p2pbuf_ti_cmd("unmap 0"), 0);
	igt_assert_eq_u32(obj_info(m).pins, 0);
	/* Still attached statically: still in system memory. */
	igt_assert_eq_u32(obj_info(m).placement, P2PBUF_EXP_PLACEMENT_SYSTEM);
	igt_assert_eq(p2pbuf_ti_cmd("detach 0"), 0);
	i = obj_info(m);
	igt_assert_eq_u32(i.placement, p2pbuf_bed_route_none() ?
			  P2PBUF_EXP_PLACEMENT_SYSTEM : P2PBUF_EXP_PLACEMENT_BAR);
	cpu_check(p, size, 60);
	igt_assert_eq(p2pbuf_ti_cmd("detach 1"), 0);
	munmap(p, size);
	close(m);
}

/* The CPU's mapping stays valid across moves, both ways. */
static void test_migrate_mmap_coherent(void)
{
	const uint64_t size = 16 * PAGE;
	uint8_t *p;
	int m;

	require_test_importer();
	m = obj_new(size, true, NULL);
	p = obj_mmap(m, size);
	p2pbuf_cpu_fill(p, size, 70);
	assert_placement(m, P2PBUF_EXP_PLACEMENT_BAR, 0);

	igt_assert_eq(p2pbuf_ti_cmd("attach 0 %d %s nop2p", m, t.imp_bdf), 0);
	assert_placement(m, P2PBUF_EXP_PLACEMENT_SYSTEM, 1);
	cpu_check(p, size, 70);
	p2pbuf_cpu_fill(p, size, 71);

	igt_assert_eq(p2pbuf_ti_cmd("detach 0"), 0);
	assert_placement(m, P2PBUF_EXP_PLACEMENT_BAR, 2);
	cpu_check(p, size, 71);

	/* A user revoke keeps it in system memory until restored. */
	{
		struct p2pbuf_exp_revoke r = { .fd = m };

		igt_assert_eq(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_REVOKE, &r), 0);
		igt_assert_eq_u32(r.state, P2PBUF_EXP_REVOKED_USER);
		assert_placement(m, P2PBUF_EXP_PLACEMENT_SYSTEM, 3);
		cpu_check(p, size, 71);
		p2pbuf_cpu_fill(p, size, 72);
		r.flags = P2PBUF_EXP_REVOKE_RESTORE;
		igt_assert_eq(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_REVOKE, &r), 0);
		igt_assert_eq_u32(r.state, 0);
		assert_placement(m, P2PBUF_EXP_PLACEMENT_BAR, 4);
		cpu_check(p, size, 72);
	}
	munmap(p, size);
	close(m);
}

/*
 * Move the object while the P2P importer's engine writes it in a loop: no
 * DMA may reach the old BAR space after the move, every byte must end up
 * in the pages.  The object is placed at the top of the allocator's window
 * (a filler takes the rest first) so that no later test reuses the space
 * before the host checks that it still holds P2PBUF_EXP_FREE_POISON.
 */
static void test_migrate_during_dma(void)
{
	const uint64_t size = 4 * PAGE;
	const uint64_t window = t.bar_size - t.alloc_offset;
	volatile int *count;
	uint64_t off;
	uint32_t h;
	uint8_t *p;
	int m, filler, status;
	pid_t pid;

	require_p2p_data();
	require_test_importer();
	assert_allocator_idle();
	filler = obj_new(window - MIB, false, NULL);
	m = obj_new(size, true, &off);
	close(filler);
	igt_assert_eq_u64(off, t.bar_size - MIB);

	h = imp_import(t.fd, m);
	count = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	igt_assert(count != MAP_FAILED);
	count[0] = 0;
	count[1] = 0;
	pid = fork();
	igt_assert(pid >= 0);
	if (!pid) {
		for (int i = 0; !count[1]; i++) {
			count[0] = i + 1;
			if (imp_pattern(t.fd, h, P2PBUF_IMP_PATTERN_WRITE, size,
					100 + i % 50))
				_exit(1);
		}
		_exit(0);
	}
	while (count[0] < 2)
		usleep(20 * 1000);

	/* The move, while a write is in flight. */
	igt_assert_eq(p2pbuf_ti_cmd("attach 0 %d %s nop2p", m, t.imp_bdf), 0);
	igt_assert_eq_u32(obj_info(m).placement, P2PBUF_EXP_PLACEMENT_SYSTEM);
	{
		int seen = count[0];

		while (count[0] < seen + 2)
			usleep(20 * 1000);
	}
	count[1] = 1;
	igt_assert_eq(waitpid(pid, &status, 0), pid);
	igt_assert_f(WIFEXITED(status) && !WEXITSTATUS(status),
		     "the DMA loop failed across the move\n");

	/* A last write after the move: it lands in the pages. */
	imp_write(t.fd, h, size, 99);
	p = obj_mmap(m, size);
	cpu_check(p, size, 99);
	munmap(p, size);
	/*
	 * The object's old BAR space only: the rest of the last MiB holds
	 * whatever earlier subtests of this boot left (zeros from the
	 * backing file when none allocated there: a narrow run).
	 */
	igt_assert_eq(p2pbuf_host_check_fill(off, size, P2PBUF_EXP_FREE_POISON),
		      0);
	p2pbuf_imp_gem_close(t.fd, h);
	igt_assert_eq(p2pbuf_ti_cmd("detach 0"), 0);
	munmap((void *)count, PAGE);
	close(m);
}

static int exp_driver_bind(bool bind)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/%s", EXP_MODULE,
		 bind ? "bind" : "unbind");
	return p2pbuf_sysfs_write(path, t.exp_bdf);
}

static void rebind_at_exit(int sig)
{
	(void)sig;
	exp_driver_bind(true);
}

/*
 * Unbinding the exporter evicts a migratable object to system memory for
 * good: its mmap, an importer's mapping and a new import keep working,
 * with the bytes it had in the BAR.
 */
static void test_migrate_unbind(void)
{
	const uint64_t size = 4 * PAGE;
	char path[64];
	uint32_t h, h2;
	uint8_t *p;
	int m;

	m = obj_new(size, true, NULL);
	p = obj_mmap(m, size);
	p2pbuf_cpu_fill(p, size, 80);
	h = imp_import(t.fd, m);
	if (engine_reaches_bar())
		imp_check(t.fd, h, size, 80);

	igt_install_exit_handler(rebind_at_exit);
	close(t.exp_fd);
	t.exp_fd = -1;
	igt_assert_eq(exp_driver_bind(false), 0);

	cpu_check(p, size, 80);
	imp_check(t.fd, h, size, 80);
	imp_write(t.fd, h, size, 81);
	cpu_check(p, size, 81);
	p2pbuf_imp_gem_close(t.fd, h);
	h2 = imp_import(t.fd, m);
	imp_check(t.fd, h2, size, 81);
	p2pbuf_imp_gem_close(t.fd, h2);
	munmap(p, size);
	close(m);

	igt_assert_eq(exp_driver_bind(true), 0);
	snprintf(path, sizeof(path), "/dev/p2pbuf-exp-%s", t.exp_bdf);
	t.exp_fd = open(path, O_RDWR | O_CLOEXEC);
	igt_assert_fd(t.exp_fd);
}

/*
 * A function reset evicts a migratable object to system memory (its
 * importers and mappings keep working) and moves it back after the reset,
 * with its bytes; where an importer keeps it in system memory it stays.
 */
static void test_migrate_reset(void)
{
	const uint64_t size = 4 * PAGE;
	char path[128];
	struct p2pbuf_exp_info i;
	uint32_t h;
	uint8_t *p;
	int m;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", t.exp_bdf);
	igt_require_f(access(path, W_OK) == 0, "%s has no reset method\n",
		      t.exp_bdf);
	/* A reset with nothing allocated: can the function be reset here? */
	{
		int ret = p2pbuf_sysfs_write(path, "1");

		igt_require_f(ret != -ENOTTY,
			      "%s cannot be reset here (ENOTTY: no usable reset method)\n",
			      t.exp_bdf);
		igt_assert_eq(ret, 0);
	}
	m = obj_new(size, true, NULL);
	p = obj_mmap(m, size);
	p2pbuf_cpu_fill(p, size, 90);
	h = imp_import(t.fd, m);
	if (engine_reaches_bar())
		imp_check(t.fd, h, size, 90);
	i = obj_info(m);

	igt_assert_eq(p2pbuf_sysfs_write(path, "1"), 0);

	if (p2pbuf_bed_route_none()) {
		/* The importer keeps it in system memory: nothing moved. */
		assert_placement(m, P2PBUF_EXP_PLACEMENT_SYSTEM, i.migrations);
	} else {
		/* Out for the reset, back after it. */
		assert_placement(m, P2PBUF_EXP_PLACEMENT_BAR, i.migrations + 2);
	}
	cpu_check(p, size, 90);
	if (engine_reaches_bar())
		imp_check(t.fd, h, size, 90);
	p2pbuf_imp_gem_close(t.fd, h);
	munmap(p, size);
	close(m);
}

int igt_main()
{
	igt_fixture()
		setup();

	igt_describe("ALLOC with every invalid argument fails with its errno and allocates nothing.");
	igt_subtest("alloc-bad")
		test_alloc_bad();

	igt_describe("INFO with invalid flags, reserved fields or file descriptors fails with its errno.");
	igt_subtest("info-bad")
		test_info_bad();

	igt_describe("ALLOC of a migratable and a fixed object: INFO reports kind, size, offset and placement; memory is zeroed; only migratable objects can be mmapped (shared only; read-only for a read-only dma-buf); freeing gives the space back.");
	igt_subtest("alloc-basic")
		test_alloc_basic();

	igt_describe("ALLOC honours every power-of-two alignment from a page to 4 MiB.");
	igt_subtest("alloc-align")
		test_alloc_align();

	igt_describe("Fill the allocator: ENOSPC; free two 1 MiB holes: 2 MiB still fails (fragmentation), 1 MiB fits; merge a hole with its neighbour: 2 MiB fits; everything freed comes back.");
	igt_subtest("alloc-full")
		test_alloc_full();

	igt_describe("A P2P importer that reaches the BAR leaves a migratable object there: its engine writes the BAR; the CPU reads the bytes through the object's BAR mapping, and the engine through a raw export of the same BAR range.");
	igt_subtest("p2p-map-object")
		test_p2p_stays();

	igt_describe("A non-P2P import (p2pbuf_imp with p2p=N) moves the object to system memory: same bytes, the BAR space is freed, the P2P importer's next DMA lands in the pages; after the detach it moves back to the BAR.");
	igt_subtest("migrate-no-p2p-importer")
		test_migrate_no_p2p_importer();

	igt_describe("vgem (a static importer) imports a migratable object: it moves to system memory with its bytes, another importer's DMA shares the pages; closing the import moves it back.");
	igt_subtest("migrate-vgem")
		test_migrate_vgem();

	igt_describe("Where the kernel knows no P2P route (rootports-noallow), the P2P importer gets system memory and the engine moves correct bytes.");
	igt_subtest("migrate-unreachable")
		test_migrate_unreachable();

	igt_describe("A static importer pins the object in system memory; it stays there while the static attachment exists, and moves back after.");
	igt_subtest("migrate-pinned-importer")
		test_migrate_pinned();

	igt_describe("One CPU mapping of the object across moves to system memory and back (a nop2p attachment, a user revoke): every byte written before a move is read after it.");
	igt_subtest("migrate-mmap-coherent")
		test_migrate_mmap_coherent();

	igt_describe("Move the object while the P2P importer's engine writes it in a loop: the loop goes on, the last write lands in the pages, the old BAR space keeps its poison (host check).");
	igt_subtest("migrate-during-dma")
		test_migrate_during_dma();

	igt_describe("Unbinding the exporter moves a migratable object to system memory for good: its mmap, the importer's mapping and a new import keep the bytes.");
	igt_subtest("migrate-unbind")
		test_migrate_unbind();

	igt_describe("A function reset moves a migratable object to system memory and back after the reset (where no importer keeps it in system memory), with its bytes, for the CPU and the importer's engine.");
	igt_subtest("migrate-reset")
		test_migrate_reset();

	igt_describe("A fixed object (ALLOC without MIGRATABLE) refuses non-P2P importers (p2pbuf_imp p2p=N, vgem) with EOPNOTSUPP, and every importer where no P2P route exists.");
	igt_subtest("reject-fixed-object")
		test_reject_fixed();

	igt_fixture() {
		if (t.fd >= 0)
			close(t.fd);
		if (t.exp_fd >= 0)
			close(t.exp_fd);
	}
}
