// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_sync - implicit synchronisation of the importer's engine with
 * other users of a buffer, through the dma-buf's reservation object.
 *
 * The other user is vgem: its fence ioctls put a fence the test signals by
 * hand into a vgem buffer's reservation object, which the importer shares
 * once it imported the buffer.  The engine's jobs must wait for those
 * fences (writers for every fence, readers for writers), publish their own
 * fence there, give up after the dependency timeout (10 s, -ETIMEDOUT)
 * without moving a byte, and end with an error in their fence when the
 * process is killed mid-job.  Everything is system memory: no P2P route is
 * involved (placement.txt runs this binary in one topology).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <xf86drm.h>

#include "igt.h"
#include "igt_kmod.h"

#include "p2pbuf_igt.h"
#include "p2pbuf_sysfs.h"
#include "p2pbuf_vgem.h"

#include "../include/uapi/drm/p2pbuf_imp_drm.h"
#include "../include/uapi/linux/p2pbuf_pattern.h"

IGT_TEST_DESCRIPTION("The p2pbuf importer's engine synchronises implicitly "
		     "with vgem fences in a shared buffer's reservation "
		     "object: waits for them, publishes its own, times out "
		     "on a fence that never signals, and records -EINTR "
		     "in its fence when killed mid-job.");

#define PAGE		4096ULL
#define PROBE_MODULE	"p2pbuf_probe"

static struct {
	int fd;		/* the importer */
	int vgem;
	char imp_debugfs[64];
} t = { .fd = -1, .vgem = -1 };

/* A vgem buffer, its dma-buf, its CPU mapping and its import. */
struct buf {
	uint32_t vhandle;
	int dmabuf;
	uint8_t *map;
	uint32_t handle;	/* in the importer */
	uint64_t size;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	return drmIoctl(fd, req, arg) ? -errno : 0;
}

static long engine_stat(const char *key)
{
	return p2pbuf_imp_engine_stat(t.imp_debugfs, key);
}

static void buf_make(struct buf *b, uint64_t size)
{
	struct drm_mode_create_dumb cd = {
		.width = 1024, .height = size / 4096, .bpp = 32,
	};
	struct drm_mode_map_dumb md = {};

	igt_assert_eq(xioctl(t.vgem, DRM_IOCTL_MODE_CREATE_DUMB, &cd), 0);
	b->vhandle = cd.handle;
	b->size = size;
	igt_assert_eq(drmPrimeHandleToFD(t.vgem, cd.handle,
					 DRM_CLOEXEC | DRM_RDWR, &b->dmabuf), 0);
	md.handle = cd.handle;
	igt_assert_eq(xioctl(t.vgem, DRM_IOCTL_MODE_MAP_DUMB, &md), 0);
	b->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, t.vgem,
		      md.offset);
	igt_assert(b->map != MAP_FAILED);
	memset(b->map, 0, size);
	igt_assert_eq(drmPrimeFDToHandle(t.fd, b->dmabuf, &b->handle), 0);
}

static void buf_free(struct buf *b)
{
	struct drm_gem_close c = { .handle = b->handle };

	igt_assert_eq(xioctl(t.fd, DRM_IOCTL_GEM_CLOSE, &c), 0);
	c.handle = b->vhandle;
	igt_assert_eq(xioctl(t.vgem, DRM_IOCTL_GEM_CLOSE, &c), 0);
	munmap(b->map, b->size);
	close(b->dmabuf);
}

/* A vgem fence in @b's reservation object: returns its id, or -errno. */
static int fence_attach(const struct buf *b, bool write)
{
	return p2pbuf_vgem_fence_attach(t.vgem, b->vhandle, write);
}

/* 0, or -ETIMEDOUT when vgem's own 10 s expiry signalled it first. */
static int fence_signal(int fence)
{
	return p2pbuf_vgem_fence_signal(t.vgem, fence);
}

static int pattern(uint32_t handle, uint32_t op, uint64_t size, uint32_t seed,
		   struct drm_p2pbuf_imp_pattern *out)
{
	struct drm_p2pbuf_imp_pattern p = {
		.handle = handle, .op = op, .size = size, .seed = seed,
	};
	int ret = xioctl(t.fd, DRM_IOCTL_P2PBUF_IMP_PATTERN, &p);

	if (out)
		*out = p;
	return ret;
}

static bool all_zero(const uint8_t *ptr, uint64_t size)
{
	for (uint64_t k = 0; k < size; k++)
		if (ptr[k])
			return false;
	return true;
}

/* One engine call in an igt_fork() child; its result in shared memory. */
struct job {
	volatile int done;
	volatile int ret;
	volatile uint64_t bad;
};

static struct job *job_start(uint32_t handle, uint32_t op, uint64_t size,
			     uint32_t seed)
{
	struct job *j = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	igt_assert(j != MAP_FAILED);
	igt_fork(child, 1) {
		struct drm_p2pbuf_imp_pattern p;

		j->ret = pattern(handle, op, size, seed, &p);
		/* WRITE leaves bad_offset 0; CHECK reports a mismatch there. */
		j->bad = op == P2PBUF_IMP_PATTERN_CHECK ? p.bad_offset :
			 P2PBUF_IMP_PATTERN_MATCH;
		j->done = 1;
	}
	return j;
}

/*
 * Wait (bounded, 60 s) for the child; returns its ioctl's result.  A CHECK
 * that returned 0 must have found the pattern.
 */
static int job_wait(struct job *j, const char *what)
{
	int ret;

	igt_waitchildren_timeout(60, what);
	igt_assert(j->done);
	ret = j->ret;
	igt_assert_f(ret || j->bad == P2PBUF_IMP_PATTERN_MATCH,
		     "%s: byte %" PRIu64 " differs from the pattern\n", what,
		     (uint64_t)j->bad);
	munmap(j, PAGE);
	return ret;
}

/*
 * While vgem's fence is unsignalled the child's job must not have moved a
 * byte; long enough a wait for several engine commands (100 ms each).
 */
static void assert_held(const struct job *j, const struct buf *b,
			long commands, const char *what)
{
	usleep(500 * 1000);
	igt_assert_f(!j->done, "%s did not wait for the vgem fence\n", what);
	igt_assert_f(engine_stat("commands") == commands,
		     "%s: the engine ran before the vgem fence signalled\n",
		     what);
	igt_assert_f(all_zero(b->map, b->size),
		     "%s: bytes landed before the vgem fence signalled\n", what);
}

static void setup(void)
{
	char bdf[32];

	if (igt_kmod_is_loaded(PROBE_MODULE))
		igt_assert_eq(igt_kmod_unload(PROBE_MODULE), 0);
	t.fd = p2pbuf_importer_open();
	t.vgem = p2pbuf_vgem_open();

	/* The DRM device's debugfs directory is named after its PCI device. */
	igt_assert_eq(p2pbuf_chardev_pci_address(t.fd, bdf, sizeof(bdf)), 0);
	snprintf(t.imp_debugfs, sizeof(t.imp_debugfs), "dri/%s", bdf);
}

/*
 * A vgem writer's fence holds back the engine's writes and reads of the
 * buffer until it signals; a vgem reader's fence holds back writes only.
 */
static void test_waits_for_vgem(void)
{
	const uint64_t size = 2 * PAGE;
	struct buf b;
	struct job *j;
	int fence;
	long commands;

	buf_make(&b, size);

	/* A vgem writer, the engine writes. */
	fence = fence_attach(&b, true);
	igt_assert_lt(0, fence);
	commands = engine_stat("commands");
	j = job_start(b.handle, P2PBUF_IMP_PATTERN_WRITE, size, 11);
	assert_held(j, &b, commands, "a write behind a vgem writer");
	igt_assert_eq(fence_signal(fence), 0);
	igt_assert_eq(job_wait(j, "write behind a vgem writer"), 0);
	p2pbuf_cpu_check(b.map, size, 11);

	/* A vgem writer, the engine reads: it must see the writer's bytes. */
	fence = fence_attach(&b, true);
	igt_assert_lt(0, fence);
	j = job_start(b.handle, P2PBUF_IMP_PATTERN_CHECK, size, 12);
	usleep(500 * 1000);
	igt_assert_f(!j->done, "a read did not wait for the vgem writer\n");
	memset(b.map, 0, size);
	for (uint64_t k = 0; k < size; k++)
		b.map[k] = p2pbuf_pattern_byte(12, k);
	igt_assert_eq(fence_signal(fence), 0);
	igt_assert_eq(job_wait(j, "read behind a vgem writer"), 0);

	/* A vgem reader: the engine's read goes ahead, its write waits. */
	fence = fence_attach(&b, false);
	igt_assert_lt(0, fence);
	j = job_start(b.handle, P2PBUF_IMP_PATTERN_CHECK, size, 12);
	igt_assert_eq(job_wait(j, "read next to a vgem reader"), 0);
	memset(b.map, 0, size);
	commands = engine_stat("commands");
	j = job_start(b.handle, P2PBUF_IMP_PATTERN_WRITE, size, 13);
	assert_held(j, &b, commands, "a write behind a vgem reader");
	/* Still vgem's to signal: the read did not wait for its expiry. */
	igt_assert_eq(fence_signal(fence), 0);
	igt_assert_eq(job_wait(j, "write behind a vgem reader"), 0);
	p2pbuf_cpu_check(b.map, size, 13);

	buf_free(&b);
}

/*
 * The engine's job puts its fence into the shared reservation object:
 * vgem cannot attach a writer's fence while it runs (-EBUSY, a conflicting
 * fence), and a sync_file exported from the dma-buf then is the job's
 * fence, unsignalled until the job ends, signalled without error after.
 */
static void test_publishes_fence(void)
{
	const uint64_t size = 16 * PAGE;	/* about 3 s of the engine */
	struct dma_buf_export_sync_file ex = { .flags = DMA_BUF_SYNC_WRITE };
	struct sync_file_info info = {};
	struct pollfd pfd;
	struct buf b;
	struct job *j;
	int i;

	buf_make(&b, size);
	j = job_start(b.handle, P2PBUF_IMP_PATTERN_WRITE, size, 21);
	for (i = 0; i < 200 && !engine_stat("busy"); i++)
		usleep(20 * 1000);
	igt_assert_f(i < 200, "the engine did not start the write\n");

	igt_assert_eq(xioctl(b.dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex), 0);
	igt_assert_eq(fence_attach(&b, true), -EBUSY);
	igt_assert_eq(xioctl(ex.fd, SYNC_IOC_FILE_INFO, &info), 0);
	igt_assert_f(info.status == 0,
		     "the engine's fence is not pending while it writes (status %d)\n",
		     info.status);

	igt_assert_eq(job_wait(j, "a write with its fence exported"), 0);
	pfd = (struct pollfd){ .fd = ex.fd, .events = POLLIN };
	igt_assert_eq(poll(&pfd, 1, 0), 1);
	memset(&info, 0, sizeof(info));
	igt_assert_eq(xioctl(ex.fd, SYNC_IOC_FILE_INFO, &info), 0);
	igt_assert_eq(info.status, 1);
	p2pbuf_cpu_check(b.map, size, 21);
	close(ex.fd);
	buf_free(&b);
}

/*
 * A dependency that never signals: vgem readers' fences, each attached
 * before the previous one expires (vgem signals its fences itself after
 * 10 s), so that the buffer is never free of them for longer than the
 * importer waits.  The write fails with -ETIMEDOUT and moves no byte;
 * once the fences are gone the next write works.
 */
static void test_dependency_timeout(void)
{
	const uint64_t size = PAGE;
	struct buf b;
	struct job *j;
	long commands;
	int fence, i;

	buf_make(&b, size);
	fence = fence_attach(&b, false);
	igt_assert_lt(0, fence);
	commands = engine_stat("commands");
	j = job_start(b.handle, P2PBUF_IMP_PATTERN_WRITE, size, 31);
	/* 30 s at most, a new fence every 3 s. */
	for (i = 0; i < 10 && !j->done; i++) {
		usleep(3000 * 1000);
		fence = fence_attach(&b, false);
		igt_assert_lt(0, fence);
	}
	igt_assert_f(j->done, "the write waited past three of its timeouts\n");
	igt_assert_eq(job_wait(j, "write behind a fence that never signals"),
		      -ETIMEDOUT);
	igt_assert_eq(engine_stat("commands"), commands);
	igt_assert(all_zero(b.map, size));

	fence_signal(fence);
	igt_assert_eq(pattern(b.handle, P2PBUF_IMP_PATTERN_WRITE, size, 32,
			      NULL), 0);
	p2pbuf_cpu_check(b.map, size, 32);
	buf_free(&b);
}

/*
 * SIGKILL to a process whose job runs: the job stops before its next
 * engine command, its fence (exported from the dma-buf while it ran)
 * signals with -EINTR, the engine is idle and the rest of the buffer was
 * not written; the next job works.
 */
static void test_sigkill_mid_job(void)
{
	const uint64_t size = 64 * PAGE;	/* about 13 s of the engine */
	struct dma_buf_export_sync_file ex = { .flags = DMA_BUF_SYNC_WRITE };
	struct sync_file_info info = {};
	struct pollfd pfd;
	struct buf b;
	int i, status;

	buf_make(&b, size);
	igt_fork(child, 1)
		pattern(b.handle, P2PBUF_IMP_PATTERN_WRITE, size, 41, NULL);
	for (i = 0; i < 200 && !(engine_stat("busy") && b.map[0]); i++)
		usleep(20 * 1000);
	igt_assert_f(i < 200, "the engine did not start the write\n");
	igt_assert_eq(xioctl(b.dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex), 0);

	igt_kill_children(SIGKILL);
	igt_set_timeout(60, "a killed job's process to exit");
	status = __igt_waitchildren();
	igt_reset_timeout();
	igt_assert_eq(status, 128 + SIGKILL);

	pfd = (struct pollfd){ .fd = ex.fd, .events = POLLIN };
	igt_assert_eq(poll(&pfd, 1, 10000), 1);
	igt_assert_eq(xioctl(ex.fd, SYNC_IOC_FILE_INFO, &info), 0);
	igt_assert_f(info.status == -EINTR,
		     "the killed job's fence has status %d, not -EINTR\n",
		     info.status);
	igt_assert_eq(engine_stat("busy"), 0);
	igt_assert_eq(engine_stat("hw-busy"), 0);
	/* Stopped mid-way: the last byte was never written. */
	igt_assert_eq(b.map[size - 1], 0);
	close(ex.fd);

	igt_assert_eq(pattern(b.handle, P2PBUF_IMP_PATTERN_WRITE, PAGE, 42,
			      NULL), 0);
	p2pbuf_cpu_check(b.map, PAGE, 42);
	buf_free(&b);
}

int igt_main()
{
	igt_fixture()
		setup();

	igt_describe("A vgem writer's fence holds back the engine's writes and reads of a shared buffer until signalled; a vgem reader's fence holds back only writes.");
	igt_subtest("waits-for-vgem-fences")
		test_waits_for_vgem();

	igt_describe("The engine's job publishes its fence in the shared reservation object: vgem cannot attach a writer's fence (EBUSY) and an exported sync_file is pending until the job ends.");
	igt_subtest("publishes-fence")
		test_publishes_fence();

	igt_describe("A write behind fences that never signal fails with ETIMEDOUT after the dependency timeout, moving no byte; the next write works.");
	igt_subtest("dependency-timeout")
		test_dependency_timeout();

	igt_describe("SIGKILL during a long job: the job stops, its fence signals with EINTR, the engine is idle, the buffer is only partly written; the next job works.");
	igt_subtest("sigkill-mid-job")
		test_sigkill_mid_job();

	igt_fixture() {
		if (t.vgem >= 0)
			drm_close_driver(t.vgem);
		if (t.fd >= 0)
			close(t.fd);
	}
}
