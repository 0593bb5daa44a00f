// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_exporter - the exporter's uAPI end to end.
 *
 * Drives /dev/p2pbuf-exp-<pci name> of the bed's exporter device (ivshmem,
 * BAR2 = device memory): QUERY, EXPORT with every kind of bad input (each
 * must fail with its documented errno and leave nothing behind), REVOKE and
 * restore, unbinding and rebinding the driver and unloading the module
 * while dma-bufs are alive, the attach policy (vgem, a static importer
 * without P2P support, must be refused) and the debugfs report.
 * Documentation/exporter.rst is the specification.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt.h"
#include "igt_kmod.h"

#include "p2pbuf_igt.h"
#include "p2pbuf_sysfs.h"
#include "../include/uapi/linux/p2pbuf_exporter.h"

IGT_TEST_DESCRIPTION("Exercises p2pbuf_exporter's uAPI: query, export with "
		     "valid and invalid ranges, revoke and restore, unbind, "
		     "rebind and module unload with live dma-bufs, the attach "
		     "policy and debugfs.");

#define EXP_MODULE	"p2pbuf_exporter"
#define EXP_DRIVER_DIR	"/sys/bus/pci/drivers/" EXP_MODULE
#define EXP_VENDOR	0x1af4	/* ivshmem-plain */
#define EXP_DEVICE	0x1110
/* The bed's device memory BAR and its size. */
#define EXP_BAR		2
#define BED_BAR_SIZE	(32ull << 20)
/* ivshmem's register BAR: never exported. */
#define REG_BAR		0

/* The device under test; set up by the first fixture. */
static struct {
	char bdf[NAME_MAX + 1];
	char node[PATH_MAX];
	int fd;
	size_t page;
	struct p2pbuf_exp_query q;
} dev = { .fd = -1 };

/* ---- sysfs, devices, the module -------------------------------------------- */

/* The PCI name of the first @vendor_id:@device_id function, or false. */
static bool find_pci_device(unsigned int vendor_id, unsigned int device_id,
			    char *bdf, size_t size)
{
	char driver[64];

	return !p2pbuf_pci_find(vendor_id, device_id, bdf, size, driver,
				sizeof(driver));
}

/* The driver bound to the device ("" if none). */
static void bound_driver(char *name, size_t size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", dev.bdf);
	if (p2pbuf_link_name(path, name, size))
		name[0] = '\0';
}

static bool is_bound(void)
{
	char drv[64];

	bound_driver(drv, sizeof(drv));
	return !strcmp(drv, EXP_MODULE);
}

static int bind_device(void)
{
	return p2pbuf_sysfs_write(EXP_DRIVER_DIR "/bind", dev.bdf);
}

static int unbind_device(void)
{
	return p2pbuf_sysfs_write(EXP_DRIVER_DIR "/unbind", dev.bdf);
}

static int delete_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static bool module_loaded(void)
{
	return access("/sys/module/" EXP_MODULE, F_OK) == 0;
}

/* Leave the device bound, whatever a subtest did before it failed. */
static void rebind_at_exit(int sig)
{
	if (sig)
		return;
	if (!module_loaded())
		igt_kmod_load(EXP_MODULE, NULL);
	if (!is_bound())
		bind_device();
}

static int open_node(void)
{
	return open(dev.node, O_RDWR | O_CLOEXEC);
}

static void query(int fd, struct p2pbuf_exp_query *q)
{
	memset(q, 0, sizeof(*q));
	igt_assert_eq(ioctl(fd, P2PBUF_EXP_IOCTL_QUERY, q), 0);
}

#define PROBE_MODULE	"p2pbuf_probe"

/* Load the module, bind the device to it, open its node. */
static void setup_device(void)
{
	char drv[64];
	int ret;

	dev.page = sysconf(_SC_PAGESIZE);
	p2pbuf_bed_require_f(find_pci_device(EXP_VENDOR, EXP_DEVICE, dev.bdf,
				      sizeof(dev.bdf)),
		      "no ivshmem-plain device (%04x:%04x)\n", EXP_VENDOR,
		      EXP_DEVICE);
	snprintf(dev.node, sizeof(dev.node), "/dev/p2pbuf-exp-%s", dev.bdf);

	/* p2pbuf_testbed's probe binds the devices: let them go. */
	if (igt_kmod_is_loaded(PROBE_MODULE))
		igt_assert_eq(igt_kmod_unload(PROBE_MODULE), 0);
	ret = igt_kmod_load(EXP_MODULE, NULL);
	p2pbuf_bed_require_f(ret != -ENOENT,
		      "module %s is not installed (tools/testbed/build.sh)\n",
		      EXP_MODULE);
	igt_assert_f(ret == 0, "loading %s: %s\n", EXP_MODULE, strerror(-ret));
	igt_install_exit_handler(rebind_at_exit);

	bound_driver(drv, sizeof(drv));
	if (!drv[0])
		igt_assert_eq(bind_device(), 0);
	else
		p2pbuf_bed_require_f(!strcmp(drv, EXP_MODULE),
			      "%s is bound to %s, not %s\n", dev.bdf, drv,
			      EXP_MODULE);

	dev.fd = open_node();
	igt_assert_f(dev.fd >= 0, "open %s: %s\n", dev.node, strerror(errno));
	query(dev.fd, &dev.q);
	p2pbuf_bed_require_f(dev.q.bar_mask & (1u << EXP_BAR),
		      "BAR%d of %s is not exported\n", EXP_BAR, dev.bdf);
}

/* ---- the uAPI ----------------------------------------------------------- */

/* EXPORT with the given arguments; the dma-buf fd or -errno. */
static int export_args(int fd, struct p2pbuf_exp_export *args)
{
	if (ioctl(fd, P2PBUF_EXP_IOCTL_EXPORT, args))
		return -errno;
	igt_assert_lte(0, args->fd);
	return args->fd;
}

static void export_init(struct p2pbuf_exp_export *args,
			const struct p2pbuf_exp_range *ranges, uint32_t n)
{
	memset(args, 0, sizeof(*args));
	args->bar = EXP_BAR;
	args->ranges = (uintptr_t)ranges;
	args->nr_ranges = n;
	args->open_flags = O_RDWR | O_CLOEXEC;
	args->fd = -1;
}

/* Export @n ranges of BAR2 from @fd; must succeed. */
static int export_ranges_fd(int fd, const struct p2pbuf_exp_range *ranges,
			    uint32_t n)
{
	struct p2pbuf_exp_export args;
	uint64_t size = 0;
	int buf;

	export_init(&args, ranges, n);
	buf = export_args(fd, &args);
	igt_assert_f(buf >= 0, "export of %u ranges: %s\n", n, strerror(-buf));
	for (uint32_t i = 0; i < n; i++)
		size += ranges[i].length;
	igt_assert_eq_u64(args.size, size);
	return buf;
}

static int export_pages(uint64_t first, uint64_t count)
{
	struct p2pbuf_exp_range r = {
		.offset = first * dev.page,
		.length = count * dev.page,
	};

	return export_ranges_fd(dev.fd, &r, 1);
}

/* REVOKE (or restore); 0 or -errno, *state set on success. */
static int do_revoke(int fd, int buf, uint32_t flags, uint32_t *state)
{
	struct p2pbuf_exp_revoke args = { .flags = flags, .fd = buf };

	if (ioctl(fd, P2PBUF_EXP_IOCTL_REVOKE, &args))
		return -errno;
	if (state)
		*state = args.state;
	return 0;
}

static uint32_t do_revoke_ok(int buf, uint32_t flags)
{
	uint32_t state = ~0u;

	igt_assert_eq(do_revoke(dev.fd, buf, flags, &state), 0);
	return state;
}

/* ---- debugfs -------------------------------------------------------------- */

static char report[1 << 16];

static int read_debugfs(const char *file)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), EXP_MODULE "/%s/%s", dev.bdf, file);
	return p2pbuf_debugfs_read(rel, report, sizeof(report));
}

static const char *buffers_report(void)
{
	int ret = read_debugfs("buffers");

	igt_assert_f(ret > 0, "reading debugfs %s/%s/buffers: %s\n", EXP_MODULE,
		     dev.bdf, strerror(-ret));
	return report;
}

static int count_buffers(void)
{
	return p2pbuf_count_lines(buffers_report(), "buffer ");
}

/*
 * The report block of the buffer behind dma-buf @buf (its "buffer" line and
 * the indented lines after it) copied to @out; false if it is not listed.
 */
static bool buffer_block(int buf, char *out, size_t size)
{
	char key[64];
	const char *start, *end;
	struct stat st;

	igt_assert_eq(fstat(buf, &st), 0);
	snprintf(key, sizeof(key), " ino %llu ", (unsigned long long)st.st_ino);
	buffers_report();
	for (start = report; start; start = end) {
		const char *eol = strchr(start, '\n');

		end = eol ? eol + 1 : NULL;
		if (strncmp(start, "buffer ", 7))
			continue;
		if (!eol || !memmem(start, eol - start, key, strlen(key)))
			continue;
		while (end && !strncmp(end, "  ", 2))
			end = strchr(end, '\n') ? strchr(end, '\n') + 1 : NULL;
		snprintf(out, size, "%.*s",
			 (int)(end ? end - start : (long)strlen(start)), start);
		return true;
	}
	return false;
}

/* The device's reset count, from the first line of the report. */
static long report_resets(void)
{
	const char *p = strstr(buffers_report(), " resets ");

	igt_assert_f(p && !strncmp(report, "device ", 7),
		     "no reset count in:\n%s", report);
	return strtol(p + 8, NULL, 10);
}

static void assert_state(int buf, const char *state)
{
	char block[4096], want[64];

	igt_assert_f(buffer_block(buf, block, sizeof(block)),
		     "dma-buf %d is not in debugfs:\n%s", buf, report);
	snprintf(want, sizeof(want), " state %s\n", state);
	igt_assert_f(strstr(block, want), "expected state %s:\n%s", state,
		     block);
}

/* ---- bad input: the exact errno, nothing created -------------------------- */

static int lowest_free_fd(void)
{
	int fd = dup(0);

	igt_assert_lte(0, fd);
	close(fd);
	return fd;
}

static void export_fails(struct p2pbuf_exp_export *args, int err)
{
	int buffers = count_buffers();
	int free_fd = lowest_free_fd();
	int ret = export_args(dev.fd, args);

	igt_assert_f(ret == -err, "export returned %d (%s), expected -%s\n",
		     ret, ret < 0 ? strerror(-ret) : "a dma-buf",
		     strerror(err));
	if (ret >= 0)
		close(ret);
	igt_assert_eq(count_buffers(), buffers);
	igt_assert_eq(lowest_free_fd(), free_fd);
}

static void export_ranges_fail(const struct p2pbuf_exp_range *ranges,
			       uint32_t n, int err)
{
	struct p2pbuf_exp_export args;

	export_init(&args, ranges, n);
	export_fails(&args, err);
}

static void export_range_fails(uint64_t offset, uint64_t length, int err)
{
	struct p2pbuf_exp_range r = { .offset = offset, .length = length };

	export_ranges_fail(&r, 1, err);
}

/* ---- subtests ------------------------------------------------------------- */

static void test_query(void)
{
	struct p2pbuf_exp_query q;

	query(dev.fd, &q);
	igt_assert(q.bar_mask & (1u << EXP_BAR));
	igt_assert_f(!(q.bar_mask & (1u << REG_BAR)),
		     "the register BAR must not be exported\n");
	igt_assert_eq_u32(q.bar_mask & ~((1u << P2PBUF_EXP_NUM_BARS) - 1), 0);
	for (int i = 0; i < P2PBUF_EXP_NUM_BARS; i++) {
		if (q.bar_mask & (1u << i))
			igt_assert(q.bar_size[i] && !(q.bar_size[i] % dev.page));
		else
			igt_assert_eq_u64(q.bar_size[i], 0);
	}
	if (p2pbuf_bed_topology())
		igt_assert_eq_u64(q.bar_size[EXP_BAR], BED_BAR_SIZE);
	igt_assert_eq_u32(q.max_ranges, P2PBUF_EXP_MAX_RANGES);
	igt_assert_eq_u32(q.align, dev.page);
	igt_assert_eq_u32(q.flags, 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(q.reserved); i++)
		igt_assert_eq_u64(q.reserved[i], 0);
}

static void test_query_bad(bool reserved)
{
	struct p2pbuf_exp_query q;

	for (unsigned int i = 0; i < (reserved ? ARRAY_SIZE(q.reserved) : 32); i++) {
		memset(&q, 0, sizeof(q));
		if (reserved)
			q.reserved[i] = 1;
		else
			q.flags = 1u << i;
		igt_assert_eq(ioctl(dev.fd, P2PBUF_EXP_IOCTL_QUERY, &q), -1);
		igt_assert_eq(errno, EINVAL);
	}
}

static void test_bad_ioctl(void)
{
	struct p2pbuf_exp_query q = {};

	/* An unknown number, and QUERY's number with the wrong size. */
	igt_assert_eq(ioctl(dev.fd, _IOWR(P2PBUF_EXP_IOCTL_BASE, 0x1f,
					  struct p2pbuf_exp_query), &q), -1);
	igt_assert_eq(errno, ENOTTY);
	igt_assert_eq(ioctl(dev.fd, _IOWR(P2PBUF_EXP_IOCTL_BASE, 0x00,
					  uint64_t), &q), -1);
	igt_assert_eq(errno, ENOTTY);
}

static void check_dmabuf_file(int buf, uint64_t size, int accmode, bool cloexec)
{
	char path[64], info[1024];

	igt_assert_eq_u64(lseek(buf, 0, SEEK_END), size);
	igt_assert_eq(!!(fcntl(buf, F_GETFD) & FD_CLOEXEC), cloexec);
	igt_assert_eq(fcntl(buf, F_GETFL) & O_ACCMODE, accmode);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", buf);
	igt_assert_lt(0, p2pbuf_read_file(path, info, sizeof(info)));
	igt_assert_f(strstr(info, "exp_name:\t" EXP_MODULE),
		     "fdinfo of the dma-buf:\n%s", info);
}

static void test_export_basic(void)
{
	const struct p2pbuf_exp_range three[] = {
		{ .offset = 4 * dev.page, .length = 2 * dev.page },
		{ .offset = 0, .length = dev.page },
		{ .offset = 10 * dev.page, .length = dev.page },
	};
	struct p2pbuf_exp_range whole = {
		.offset = 0, .length = dev.q.bar_size[EXP_BAR],
	};
	struct p2pbuf_exp_export args;
	int buf;

	buf = export_pages(0, 1);
	check_dmabuf_file(buf, dev.page, O_RDWR, true);
	close(buf);

	export_init(&args, &whole, 1);
	args.open_flags = O_RDONLY;
	buf = export_args(dev.fd, &args);
	igt_assert_lte(0, buf);
	check_dmabuf_file(buf, whole.length, O_RDONLY, false);
	close(buf);

	buf = export_ranges_fd(dev.fd, three, ARRAY_SIZE(three));
	check_dmabuf_file(buf, 4 * dev.page, O_RDWR, true);
	/* The same memory may be in several buffers. */
	close(export_pages(0, 1));
	close(buf);
}

static void test_export_max_ranges(void)
{
	struct p2pbuf_exp_range *r;
	uint32_t n = dev.q.max_ranges;
	char block[8192], want[64];
	int buf;

	igt_require(n * dev.page <= dev.q.bar_size[EXP_BAR]);
	r = calloc(n, sizeof(*r));
	igt_assert(r);
	/* Adjacent pages, in reverse order: neither overlaps. */
	for (uint32_t i = 0; i < n; i++) {
		r[i].offset = (uint64_t)(n - 1 - i) * dev.page;
		r[i].length = dev.page;
	}
	buf = export_ranges_fd(dev.fd, r, n);
	igt_assert(buffer_block(buf, block, sizeof(block)));
	snprintf(want, sizeof(want), " ranges %u ", n);
	igt_assert_f(strstr(block, want), "%.400s", block);
	close(buf);
	free(r);
}

static void test_export_close_loop(void)
{
	int before = count_buffers();
	int free_fd = lowest_free_fd();

	for (int i = 0; i < 1000; i++) {
		int buf = export_pages(i % 64, 1 + i % 3);

		if (i % 10 == 0)
			igt_assert_eq_u32(do_revoke_ok(buf, 0),
					  P2PBUF_EXP_REVOKED_USER);
		close(buf);
	}
	igt_assert_eq(count_buffers(), before);
	igt_assert_eq(lowest_free_fd(), free_fd);
}

static void test_bad_flags(void)
{
	struct p2pbuf_exp_range r = { .length = dev.page };
	struct p2pbuf_exp_export args;

	for (int i = 0; i < 32; i++) {
		export_init(&args, &r, 1);
		args.flags = 1u << i;
		export_fails(&args, EINVAL);
	}
}

static void test_bad_reserved(void)
{
	struct p2pbuf_exp_range r = { .length = dev.page };
	struct p2pbuf_exp_export args;

	export_init(&args, &r, 1);
	args.reserved0 = 1;
	export_fails(&args, EINVAL);
	for (unsigned int i = 0; i < ARRAY_SIZE(args.reserved); i++) {
		export_init(&args, &r, 1);
		args.reserved[i] = 1ull << 63;
		export_fails(&args, EINVAL);
	}
}

static void test_bad_open_flags(void)
{
	const uint32_t bad[] = {
		O_WRONLY, O_WRONLY | O_CLOEXEC, O_ACCMODE, O_RDWR | O_NONBLOCK,
		O_RDWR | O_APPEND, O_RDWR | O_CREAT, O_RDONLY | O_TRUNC,
		O_RDWR | (1u << 31),
	};
	struct p2pbuf_exp_range r = { .length = dev.page };
	struct p2pbuf_exp_export args;

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		export_init(&args, &r, 1);
		args.open_flags = bad[i];
		export_fails(&args, EINVAL);
	}
}

static void test_bad_bar_index(void)
{
	const uint32_t bad[] = { P2PBUF_EXP_NUM_BARS, 7, 0x80000000u, ~0u };
	struct p2pbuf_exp_range r = { .length = dev.page };
	struct p2pbuf_exp_export args;

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		export_init(&args, &r, 1);
		args.bar = bad[i];
		export_fails(&args, EINVAL);
	}
}

static void test_bad_bar_unexported(void)
{
	struct p2pbuf_exp_range r = { .length = dev.page };
	struct p2pbuf_exp_export args;
	int tried = 0;

	for (uint32_t bar = 0; bar < P2PBUF_EXP_NUM_BARS; bar++) {
		if (dev.q.bar_mask & (1u << bar))
			continue;
		export_init(&args, &r, 1);
		args.bar = bar;
		export_fails(&args, ENXIO);
		tried++;
	}
	igt_require_f(tried, "every BAR of %s is exported\n", dev.bdf);
}

static void test_bad_no_ranges(void)
{
	struct p2pbuf_exp_range r = { .length = dev.page };

	export_ranges_fail(&r, 0, EINVAL);
	export_ranges_fail(NULL, 0, EINVAL);
}

static void test_bad_too_many_ranges(void)
{
	const uint32_t n = dev.q.max_ranges + 1;
	struct p2pbuf_exp_range *r = calloc(n, sizeof(*r));

	igt_assert(r);
	for (uint32_t i = 0; i < n; i++) {
		r[i].offset = i * dev.page;
		r[i].length = dev.page;
	}
	export_ranges_fail(r, n, E2BIG);
	/* Checked before the array is read: a huge count is not a fault. */
	export_ranges_fail(r, ~0u, E2BIG);
	export_ranges_fail(NULL, 0x80000000u, E2BIG);
	free(r);
}

static void test_bad_ranges_pointer(void)
{
	struct p2pbuf_exp_range *r;
	struct p2pbuf_exp_export args;
	void *map;

	export_ranges_fail(NULL, 1, EFAULT);

	/* The array runs into an inaccessible page. */
	map = mmap(NULL, 2 * dev.page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	igt_assert(map != MAP_FAILED);
	igt_assert_eq(mprotect((char *)map + dev.page, dev.page, PROT_NONE), 0);
	r = (struct p2pbuf_exp_range *)((char *)map + dev.page) - 1;
	r->offset = 0;
	r->length = dev.page;
	close(export_ranges_fd(dev.fd, r, 1));
	export_ranges_fail(r, 2, EFAULT);
	munmap(map, 2 * dev.page);

	/* A kernel address. */
	export_init(&args, NULL, 1);
	args.ranges = ~0ull - 4095;
	export_fails(&args, EFAULT);
}

static void test_bad_zero_length(void)
{
	const struct p2pbuf_exp_range r[] = {
		{ .offset = 0, .length = dev.page },
		{ .offset = dev.page, .length = 0 },
	};

	export_range_fails(0, 0, EINVAL);
	export_ranges_fail(r, 2, EINVAL);
}

static void test_bad_unaligned_offset(void)
{
	export_range_fails(1, dev.page, EINVAL);
	export_range_fails(dev.page / 2, dev.page, EINVAL);
	export_range_fails(dev.page - 1, dev.page, EINVAL);
	export_range_fails(~0ull, dev.page, EINVAL);
}

static void test_bad_unaligned_length(void)
{
	export_range_fails(0, 1, EINVAL);
	export_range_fails(0, dev.page + 1, EINVAL);
	export_range_fails(0, dev.page - 1, EINVAL);
	export_range_fails(dev.page, ~0ull, EINVAL);
}

static void test_bad_overflow(void)
{
	const uint64_t top = ~0ull & ~(uint64_t)(dev.page - 1);

	/* Page aligned, but offset + length wraps around. */
	export_range_fails(top, dev.page, EOVERFLOW);
	export_range_fails(dev.page, top, EOVERFLOW);
	export_range_fails(top, top, EOVERFLOW);
}

static void test_bad_outside_bar(void)
{
	const uint64_t size = dev.q.bar_size[EXP_BAR];

	export_range_fails(size, dev.page, ERANGE);
	export_range_fails(size - dev.page, 2 * dev.page, ERANGE);
	export_range_fails(0, size + dev.page, ERANGE);
	export_range_fails(1ull << 62, dev.page, ERANGE);
	/* The whole BAR is fine, one page more is not. */
	close(export_pages(0, size / dev.page));
}

static void test_bad_overlap(void)
{
	const uint64_t p = dev.page;
	const struct p2pbuf_exp_range partial[] = {
		{ .offset = 0, .length = 2 * p }, { .offset = p, .length = 2 * p },
	};
	const struct p2pbuf_exp_range same[] = {
		{ .offset = 3 * p, .length = p }, { .offset = 3 * p, .length = p },
	};
	const struct p2pbuf_exp_range inside[] = {
		{ .offset = 5 * p, .length = p }, { .offset = 0, .length = 8 * p },
	};
	const struct p2pbuf_exp_range far_apart[] = {
		{ .offset = 9 * p, .length = p }, { .offset = 0, .length = p },
		{ .offset = 20 * p, .length = p }, { .offset = 8 * p, .length = 2 * p },
	};
	const struct p2pbuf_exp_range adjacent[] = {
		{ .offset = p, .length = p }, { .offset = 0, .length = p },
		{ .offset = 2 * p, .length = p },
	};

	export_ranges_fail(partial, ARRAY_SIZE(partial), EINVAL);
	export_ranges_fail(same, ARRAY_SIZE(same), EINVAL);
	export_ranges_fail(inside, ARRAY_SIZE(inside), EINVAL);
	export_ranges_fail(far_apart, ARRAY_SIZE(far_apart), EINVAL);
	/* Touching is not overlapping. */
	close(export_ranges_fd(dev.fd, adjacent, ARRAY_SIZE(adjacent)));
}

static void test_bad_late_range(void)
{
	const uint32_t n = 64;
	struct p2pbuf_exp_range r[64];

	for (uint32_t i = 0; i < n; i++) {
		r[i].offset = 2 * i * dev.page;
		r[i].length = dev.page;
	}
	/* Only the last range is bad: nothing may be left of the others. */
	r[n - 1].offset = dev.q.bar_size[EXP_BAR];
	export_ranges_fail(r, n, ERANGE);
	r[n - 1].offset = 1;
	export_ranges_fail(r, n, EINVAL);
}

static void test_revoke_bad(const char *what)
{
	int buf = export_pages(0, 1);
	uint32_t state;

	if (!strcmp(what, "flags")) {
		for (int i = 1; i < 32; i++)
			igt_assert_eq(do_revoke(dev.fd, buf, 1u << i, &state),
				      -EINVAL);
	} else if (!strcmp(what, "reserved")) {
		struct p2pbuf_exp_revoke args = { .fd = buf, .reserved = 1 };

		igt_assert_eq(ioctl(dev.fd, P2PBUF_EXP_IOCTL_REVOKE, &args), -1);
		igt_assert_eq(errno, EINVAL);
	} else if (!strcmp(what, "fd")) {
		int closed = lowest_free_fd();

		igt_assert_eq(do_revoke(dev.fd, -1, 0, &state), -EBADF);
		igt_assert_eq(do_revoke(dev.fd, closed, 0, &state), -EBADF);
	} else if (!strcmp(what, "not-dmabuf")) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		igt_assert_eq(do_revoke(dev.fd, null, 0, &state), -EINVAL);
		igt_assert_eq(do_revoke(dev.fd, dev.fd, 0, &state), -EINVAL);
		close(null);
	}
	/* The buffer was not touched. */
	assert_state(buf, "active");
	close(buf);
}

static void test_revoke_foreign(void)
{
	struct drm_mode_create_dumb create = {
		.width = 64, .height = 64, .bpp = 32,
	};
	uint32_t state;
	int vgem, buf;

	igt_require(igt_kmod_load("vgem", NULL) == 0);
	vgem = drm_open_driver(DRIVER_VGEM);
	igt_assert_eq(ioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &create), 0);
	igt_assert_eq(drmPrimeHandleToFD(vgem, create.handle, DRM_CLOEXEC,
					 &buf), 0);
	igt_assert_eq(do_revoke(dev.fd, buf, 0, &state), -EINVAL);
	close(buf);
	drm_close_driver(vgem);
}

static void test_revoke_idle(void)
{
	int buf = export_pages(0, 2);

	assert_state(buf, "active");
	igt_assert_eq_u32(do_revoke_ok(buf, 0), P2PBUF_EXP_REVOKED_USER);
	assert_state(buf, "revoked:user");
	/* Revoking again changes nothing. */
	igt_assert_eq_u32(do_revoke_ok(buf, 0), P2PBUF_EXP_REVOKED_USER);
	assert_state(buf, "revoked:user");
	/* A revoked dma-buf is still a file; closing it frees it. */
	igt_assert_eq_u64(lseek(buf, 0, SEEK_END), 2 * dev.page);
	close(buf);
	igt_assert_eq(count_buffers(), 0);
}

static void test_revoke_reuse(void)
{
	int buf = export_pages(0, 1);

	for (int i = 0; i < 3; i++) {
		igt_assert_eq_u32(do_revoke_ok(buf, 0), P2PBUF_EXP_REVOKED_USER);
		assert_state(buf, "revoked:user");
		igt_assert_eq_u32(do_revoke_ok(buf, P2PBUF_EXP_REVOKE_RESTORE), 0);
		assert_state(buf, "active");
	}
	/* Restoring a buffer that is not revoked changes nothing. */
	igt_assert_eq_u32(do_revoke_ok(buf, P2PBUF_EXP_REVOKE_RESTORE), 0);
	assert_state(buf, "active");
	close(buf);
}

static void test_unbind_live_fd(void)
{
	struct p2pbuf_exp_export args;
	struct p2pbuf_exp_range r = { .length = dev.page };
	struct p2pbuf_exp_query q;
	struct timespec start;
	int active = export_pages(0, 4);
	int revoked = export_pages(4, 1);
	char path[PATH_MAX];
	uint32_t state;

	igt_assert_eq_u32(do_revoke_ok(revoked, 0), P2PBUF_EXP_REVOKED_USER);

	igt_gettime(&start);
	igt_assert_eq(unbind_device(), 0);
	/* No mapping exists, so remove() must not wait for anything. */
	igt_assert_lt_u64(igt_nsec_elapsed(&start), 5000000000ull);
	igt_assert(!is_bound());

	/* The device is gone: its node, its debugfs, every ioctl. */
	igt_assert_eq(access(dev.node, F_OK), -1);
	igt_assert_eq(errno, ENOENT);
	snprintf(path, sizeof(path), EXP_MODULE "/%s/buffers", dev.bdf);
	igt_assert_eq(p2pbuf_debugfs_read(path, report, sizeof(report)),
		      -ENOENT);
	igt_assert_eq(ioctl(dev.fd, P2PBUF_EXP_IOCTL_QUERY, &q), -1);
	igt_assert_eq(errno, ENODEV);
	export_init(&args, &r, 1);
	igt_assert_eq(export_args(dev.fd, &args), -ENODEV);
	igt_assert_eq(do_revoke(dev.fd, active, 0, &state), -ENODEV);
	igt_assert_eq(do_revoke(dev.fd, revoked, P2PBUF_EXP_REVOKE_RESTORE,
			     &state), -ENODEV);

	/* The dma-bufs outlive the binding and close cleanly. */
	igt_assert_eq_u64(lseek(active, 0, SEEK_END), 4 * dev.page);
	close(active);
	close(revoked);

	igt_assert_eq(bind_device(), 0);
	close(dev.fd);
	dev.fd = open_node();
	igt_assert_lte(0, dev.fd);
	igt_assert_eq(count_buffers(), 0);
}

static void test_rebind(void)
{
	int old_fd[5], old_buf[5];

	for (int i = 0; i < 5; i++) {
		struct p2pbuf_exp_query q;

		old_fd[i] = open_node();
		igt_assert_lte(0, old_fd[i]);
		query(old_fd[i], &q);
		igt_assert_eq_u64(q.bar_size[EXP_BAR], dev.q.bar_size[EXP_BAR]);
		old_buf[i] = export_ranges_fd(old_fd[i],
					      &(struct p2pbuf_exp_range){
						.offset = i * dev.page,
						.length = dev.page }, 1);
		igt_assert_eq(unbind_device(), 0);
		igt_assert_eq(bind_device(), 0);
		/* A new binding starts with no buffer. */
		igt_assert_eq(count_buffers(), 0);
	}
	for (int i = 0; i < 5; i++) {
		struct p2pbuf_exp_query q;

		/* Files of an old binding stay dead after a rebind. */
		igt_assert_eq(ioctl(old_fd[i], P2PBUF_EXP_IOCTL_QUERY, &q), -1);
		igt_assert_eq(errno, ENODEV);
		close(old_buf[i]);
		close(old_fd[i]);
	}

	close(dev.fd);
	dev.fd = open_node();
	igt_assert_lte(0, dev.fd);
	close(export_pages(0, 1));
}

static void test_unload_live_fd(void)
{
	int buf, ret;

	/* An open node holds the module... */
	igt_assert_eq(delete_module(EXP_MODULE), -EAGAIN);
	/* ... and so does a dma-buf alone, even with the device unbound. */
	buf = export_pages(0, 1);
	close(dev.fd);
	dev.fd = -1;
	igt_assert_eq(delete_module(EXP_MODULE), -EAGAIN);
	igt_assert_eq(unbind_device(), 0);
	igt_assert_eq(delete_module(EXP_MODULE), -EAGAIN);
	igt_assert(module_loaded());
	igt_assert_eq_u64(lseek(buf, 0, SEEK_END), dev.page);

	close(buf);
	igt_assert_eq(delete_module(EXP_MODULE), 0);
	igt_assert(!module_loaded());

	ret = igt_kmod_load(EXP_MODULE, NULL);
	igt_assert_f(ret == 0, "reloading %s: %s\n", EXP_MODULE,
		     strerror(-ret));
	igt_assert(is_bound());
	dev.fd = open_node();
	igt_assert_lte(0, dev.fd);
	close(export_pages(0, 1));
}

static void test_reject_vgem(void)
{
	struct drm_prime_handle prime = { .fd = -1 };
	char block[4096];
	int vgem, buf;

	igt_require(igt_kmod_load("vgem", NULL) == 0);
	vgem = p2pbuf_open_render("vgem");
	igt_require_f(vgem >= 0, "no vgem render node: %s\n", strerror(-vgem));

	buf = export_pages(0, 1);
	for (int i = 1; i <= 2; i++) {
		char want[64];

		prime.fd = buf;
		igt_assert_eq(ioctl(vgem, DRM_IOCTL_PRIME_FD_TO_HANDLE, &prime),
			      -1);
		igt_assert_eq(errno, EOPNOTSUPP);
		igt_assert(buffer_block(buf, block, sizeof(block)));
		igt_info("%s", block);
		igt_assert_f(!strstr(block, "  attach "),
			     "a refused importer is still attached:\n%s", block);
		snprintf(want, sizeof(want), "  rejected %d last vgem no-peer2peer\n",
			 i);
		igt_assert_f(strstr(block, want), "expected \"%s\" in:\n%s",
			     want, block);
	}
	igt_assert_f(strstr(block, " state active\n"), "%s", block);

	close(buf);
	close(vgem);
	igt_assert_eq(count_buffers(), 0);
}

static void test_debugfs_lists_buffer(void)
{
	const uint64_t p = dev.page;
	const struct p2pbuf_exp_range r[] = {
		{ .offset = 5 * p, .length = p },
		{ .offset = 0, .length = 2 * p },
		{ .offset = 9 * p, .length = 3 * p },
	};
	char block[4096], want[256];
	struct stat st;
	int buf, other;

	other = export_pages(20, 1);
	buf = export_ranges_fd(dev.fd, r, ARRAY_SIZE(r));
	igt_assert_eq(count_buffers(), 2);
	igt_assert_eq(fstat(buf, &st), 0);
	igt_assert(buffer_block(buf, block, sizeof(block)));
	igt_info("%s", block);

	snprintf(want, sizeof(want),
		 " ino %llu bar %d size 0x%llx ranges 3 state active\n",
		 (unsigned long long)st.st_ino, EXP_BAR,
		 (unsigned long long)(6 * p));
	igt_assert_f(strstr(block, want), "expected \"%s\" in:\n%s", want,
		     block);
	/* The ranges in the order they were given. */
	for (unsigned int i = 0; i < ARRAY_SIZE(r); i++) {
		snprintf(want, sizeof(want),
			 "  range %u offset 0x%llx length 0x%llx\n", i,
			 (unsigned long long)r[i].offset,
			 (unsigned long long)r[i].length);
		igt_assert_f(strstr(block, want), "expected \"%s\" in:\n%s",
			     want, block);
	}
	igt_assert(!strstr(block, "  attach "));

	igt_assert_lt(0, read_debugfs("bars"));
	snprintf(want, sizeof(want), "bar %d start ", EXP_BAR);
	igt_assert_f(strstr(report, want), "bars:\n%s", report);

	close(buf);
	igt_assert_eq(count_buffers(), 1);
	igt_assert(buffer_block(other, block, sizeof(block)));
	close(other);
	igt_assert_eq(count_buffers(), 0);
}

/*
 * Reset the function through sysfs @path.  ENOTTY means the function has
 * no usable reset method: a skip with that reason.  Any other error is a
 * failure: the bed's ivshmem can be reset.
 */
static void reset_device(const char *path)
{
	int ret = p2pbuf_sysfs_write(path, "1");

	igt_require_f(ret != -ENOTTY,
		      "%s cannot be reset here (ENOTTY: no usable reset method)\n",
		      dev.bdf);
	igt_assert_f(ret == 0, "resetting %s: %s\n", dev.bdf, strerror(-ret));
}

static void test_reset_keeps_user_revoke(void)
{
	char path[PATH_MAX];
	int user, plain;
	long resets;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", dev.bdf);
	igt_require_f(access(path, W_OK) == 0, "%s has no reset method\n",
		      dev.bdf);

	user = export_pages(0, 1);
	plain = export_pages(1, 1);
	igt_assert_eq_u32(do_revoke_ok(user, 0), P2PBUF_EXP_REVOKED_USER);
	resets = report_resets();

	reset_device(path);
	/* The driver saw reset_prepare() and reset_done(). */
	igt_assert_eq(report_resets(), resets + 1);

	/* reset_done() withdraws the reset's revoke, not userspace's. */
	assert_state(user, "revoked:user");
	assert_state(plain, "active");
	igt_assert_eq_u32(do_revoke_ok(user, P2PBUF_EXP_REVOKE_RESTORE), 0);
	assert_state(user, "active");
	close(user);
	close(plain);
}


/* ---- the test importer (exporter/test_importer.c) -------------------------- */

#define TI_MODULE	"p2pbuf_test_importer"
#define IMP_VENDOR	0x1234	/* edu: the bed's importer device */
#define IMP_DEVICE	0x11e8

static struct {
	char bdf[NAME_MAX + 1];
	/* The route the bed says a mapping takes; NULL outside the bed. */
	const char *expect;
} imp;


static void setup_test_importer(void)
{
	int ret = igt_kmod_load(TI_MODULE, NULL);

	p2pbuf_bed_require_f(ret == 0, "cannot load %s: %s\n", TI_MODULE,
		      strerror(-ret));
	igt_install_exit_handler(p2pbuf_ti_detach_all);
	p2pbuf_bed_require_f(find_pci_device(IMP_VENDOR, IMP_DEVICE, imp.bdf,
				      sizeof(imp.bdf)),
		      "no edu device (%04x:%04x) to import for\n", IMP_VENDOR,
		      IMP_DEVICE);
	imp.expect = p2pbuf_bed_expect();
}

static void ti_attach(int slot, int buf, const char *mode)
{
	int ret = p2pbuf_ti_cmd("attach %d %d %s %s", slot, buf, imp.bdf, mode);

	igt_assert_f(ret == 0, "%s attach for %s: %s\n", mode, imp.bdf,
		     strerror(-ret));
}

/* The test importer's status line of @slot, in @line. */
static void ti_status(int slot, char *line, size_t size)
{
	char text[4096], key[32];
	const char *start, *end;

	igt_assert_lt(0, p2pbuf_debugfs_read(TI_MODULE "/status", text,
					     sizeof(text)));
	snprintf(key, sizeof(key), "slot %d ", slot);
	start = strstr(text, key);
	igt_assert_f(start, "slot %d not in:\n%s", slot, text);
	end = strchr(start, '\n');
	snprintf(line, size, "%.*s",
		 (int)(end ? end - start : (long)strlen(start)), start);
}

static void ti_assert(int slot, const char *want)
{
	char line[512];

	ti_status(slot, line, sizeof(line));
	igt_assert_f(strstr(line, want), "test importer slot %d: expected \"%s\" in:\n%s\n",
		     slot, want, line);
}

/* The exporter's debugfs block of @buf contains @want. */
__attribute__((format(printf, 2, 3)))
static void block_has(int buf, const char *fmt, ...)
{
	char block[4096], want[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	igt_assert_f(buffer_block(buf, block, sizeof(block)),
		     "dma-buf %d is not in debugfs:\n%s", buf, report);
	igt_assert_f(strstr(block, want), "expected \"%s\" in:\n%s", want,
		     block);
}

static void require_route(void)
{
	igt_require_f(imp.expect, "$P2PBUF_EXPECT is not set: not in the p2pbuf test bed\n");
	igt_require_f(strcmp(imp.expect, "none"),
		      "no P2P route between the bed's devices in this topology\n");
}

static bool readable_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/*
 * Run @op (an unbind or a revoke) in a child while the test importer
 * holds a mapping it only drops on command: @op must not finish before
 * the unmap, and must finish soon after it.
 */
static void assert_waits_for_unmap(int slot, void (*op)(void))
{
	int done[2];

	igt_assert_eq(pipe(done), 0);
	igt_fork(child, 1) {
		close(done[0]);
		op();
		igt_assert_eq(write(done[1], "x", 1), 1);
	}
	close(done[1]);

	igt_assert_f(!readable_within(done[0], 1000),
		     "finished while the importer still held its mapping\n");
	ti_assert(slot, "mapped 1 invalidations 1 ");
	igt_assert_eq(p2pbuf_ti_cmd("unmap %d", slot), 0);
	igt_assert_f(readable_within(done[0], 10000),
		     "did not finish after the importer unmapped\n");
	igt_waitchildren();
	close(done[0]);
}

/* ---- subtests with the test importer -------------------------------------- */

static void test_attach_policy(void)
{
	int buf = export_pages(0, 1);
	char block[4096];
	int ret;

	igt_assert_eq(p2pbuf_ti_cmd("attach 0 %d %s static", buf, imp.bdf),
		      -EOPNOTSUPP);
	block_has(buf, "  rejected 1 last %s no-peer2peer\n", imp.bdf);
	igt_assert_eq(p2pbuf_ti_cmd("attach 0 %d %s norevoke", buf, imp.bdf),
		      -EOPNOTSUPP);
	block_has(buf, "  rejected 2 last %s not-revocable\n", imp.bdf);

	ret = p2pbuf_ti_cmd("attach 0 %d %s dynamic", buf, imp.bdf);
	if (imp.expect && !strcmp(imp.expect, "none")) {
		igt_assert_eq(ret, -EOPNOTSUPP);
		block_has(buf, "  rejected 3 last %s unreachable\n", imp.bdf);
	} else {
		igt_assert_f(ret == 0, "dynamic attach: %s\n", strerror(-ret));
		block_has(buf, "  attach %s driver ", imp.bdf);
		block_has(buf, " decision p2p distance ");
		/* The route before any map: see route-at-attach. */
		block_has(buf, " mapped 0 maps 0 map-errno 0 route %s\n",
			  p2pbuf_kernel_fixed() == 1 && imp.expect ?
			  imp.expect : "none");
		igt_assert_eq(p2pbuf_ti_cmd("detach 0"), 0);
	}
	igt_assert(buffer_block(buf, block, sizeof(block)));
	igt_assert_f(!strstr(block, "  attach "), "%s", block);
	close(buf);
}

/*
 * The exporter knows an attachment's route before its first map: it asks
 * the PCI core (pci_p2pdma_map_type(), exported by upstream/linux-7.3/
 * patch 0005).  On a stock 7.3 kernel it cannot, and learns the route from
 * the first mapping (exporter/map_compat_7_3.c): an expected failure.
 */
static void test_route_at_attach(void)
{
	int fixed = p2pbuf_kernel_fixed();
	char block[4096], want[128];
	int buf;

	require_route();
	igt_require_f(fixed >= 0, "cannot read /proc/kallsyms: %s\n",
		      strerror(-fixed));
	buf = export_pages(8, 2);
	ti_attach(0, buf, "dynamic");
	igt_assert(buffer_block(buf, block, sizeof(block)));
	igt_assert_eq(p2pbuf_ti_cmd("detach 0"), 0);
	close(buf);
	if (!fixed) {
		igt_assert_f(strstr(block, " mapped 0 maps 0 map-errno 0 route none\n"),
			     "stock kernel, yet a route before the first map:\n%s",
			     block);
		p2pbuf_expected_failure("0005", "the exporter cannot ask the PCI core for the route (pci_p2pdma_map_type() is not exported): \"route none\" until the first map");
	}
	snprintf(want, sizeof(want), " mapped 0 maps 0 map-errno 0 route %s\n",
		 imp.expect);
	igt_assert_f(strstr(block, want), "expected \"%s\" in:\n%s", want,
		     block);
}

static void test_map_route(void)
{
	char line[512];
	int buf;

	require_route();
	buf = export_pages(8, 2);
	ti_attach(0, buf, "dynamic");
	ti_attach(1, buf, "dynamic");
	igt_assert_eq(p2pbuf_ti_cmd("map 0"), 0);
	ti_status(0, line, sizeof(line));
	igt_info("%s\n", line);
	ti_assert(0, "mapped 1 ");
	block_has(buf, " mapped 1 maps 1 map-errno 0 route %s\n", imp.expect);
	igt_assert_eq(p2pbuf_ti_cmd("map 1"), 0);
	for (int i = 0; i < 20; i++) {
		igt_assert_eq(p2pbuf_ti_cmd("unmap 0"), 0);
		igt_assert_eq(p2pbuf_ti_cmd("map 0"), 0);
	}
	block_has(buf, " mapped 1 maps 21 map-errno 0 route %s\n", imp.expect);
	igt_assert_eq(p2pbuf_ti_cmd("unmap 0"), 0);
	block_has(buf, " mapped 0 maps 21 map-errno 0 route %s\n", imp.expect);
	igt_assert_eq(p2pbuf_ti_cmd("detach 0"), 0);
	igt_assert_eq(p2pbuf_ti_cmd("detach 1"), 0);
	close(buf);
}

/* BAR @bar's CPU physical start and bus offset, from debugfs "bars". */
static void bar_addresses(int bar, uint64_t *start, uint64_t *bus_offset)
{
	char key[32];
	const char *line;

	igt_assert_lt(0, read_debugfs("bars"));
	snprintf(key, sizeof(key), "bar %d start ", bar);
	line = strstr(report, key);
	igt_assert_f(line, "no BAR%d in:\n%s", bar, report);
	igt_assert_eq(sscanf(line + strlen(key), "%" SCNx64 " size %*x bus-offset %" SCNx64,
			     start, bus_offset), 2);
}

/* The DMA entries of the test importer's mapping in @slot. */
static int ti_sg(int slot, uint64_t *addr, uint64_t *len, int max)
{
	static char text[1 << 16];
	const char *line;
	int n = 0;

	igt_assert_lte(0, p2pbuf_debugfs_read(TI_MODULE "/sg", text,
					      sizeof(text)));
	for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		int s, k;
		uint64_t a, l;

		if (sscanf(line, "slot %d entry %d addr %" SCNx64 " len %" SCNx64,
			   &s, &k, &a, &l) != 4 || s != slot)
			continue;
		igt_assert_eq(k, n);
		igt_assert_lt(n, max);
		addr[n] = a;
		len[n] = l;
		n++;
	}
	return n;
}

static void test_map_multi_range(void)
{
	const struct p2pbuf_exp_range r[] = {
		{ .offset = 8 * dev.page, .length = 2 * dev.page },
		{ .offset = 0, .length = dev.page },
		{ .offset = 3 * dev.page, .length = dev.page },
	};
	uint64_t addr[16], len[16], start, bus_offset;
	int buf, ret, n;

	require_route();
	buf = export_ranges_fd(dev.fd, r, ARRAY_SIZE(r));
	ti_attach(0, buf, "dynamic");
	ret = p2pbuf_ti_cmd("map 0");
	igt_assert_f(ret == 0, "map of %u ranges: %s\n",
		     (unsigned int)ARRAY_SIZE(r), strerror(-ret));
	block_has(buf, " mapped 1 maps 1 map-errno 0 route %s\n", imp.expect);

	n = ti_sg(0, addr, len, ARRAY_SIZE(addr));
	if (!strcmp(imp.expect, "host-bridge-iova")) {
		/* Two-step DMA API: one IOVA range for the whole buffer. */
		igt_assert_eq(n, 1);
		igt_assert_eq_u64(len[0], 4 * dev.page);
		igt_assert_eq_u64(addr[0] % dev.page, 0);
		igt_assert_eq(p2pbuf_ti_cmd("detach 0"), 0);
		close(buf);
		return;
	}

	/* Otherwise one DMA entry per range, in buffer order. */
	igt_assert_eq(n, ARRAY_SIZE(r));
	bar_addresses(EXP_BAR, &start, &bus_offset);
	for (int i = 0; i < n; i++) {
		igt_info("entry %d: 0x%" PRIx64 " + 0x%" PRIx64 "\n", i,
			 addr[i], len[i]);
		igt_assert_eq_u64(len[i], r[i].length);
		igt_assert_eq_u64(addr[i] % dev.page, 0);
		if (!strcmp(imp.expect, "bus-addr"))
			igt_assert_eq_u64(addr[i], start + bus_offset + r[i].offset);
		else if (!strcmp(imp.expect, "host-bridge-direct"))
			igt_assert_eq_u64(addr[i], start + r[i].offset);
		for (int j = 0; j < i; j++)
			igt_assert_f(addr[i] + len[i] <= addr[j] ||
				     addr[j] + len[j] <= addr[i],
				     "entries %d and %d overlap\n", j, i);
	}

	igt_assert_eq(p2pbuf_ti_cmd("detach 0"), 0);
	close(buf);
}

static long unreclaimable_slab_kb(void)
{
	char text[8192];
	const char *p;

	igt_assert_lt(0, p2pbuf_read_file("/proc/meminfo", text, sizeof(text)));
	p = strstr(text, "SUnreclaim:");
	igt_assert(p);
	return strtol(p + strlen("SUnreclaim:"), NULL, 10);
}

/* A count of the device line of the exporter's debugfs "buffers". */
static long report_count(const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), " %s ", key);
	p = strstr(buffers_report(), k);
	igt_assert_f(p && p < strchr(report, '\n'),
		     "no %s count in the device line:\n%s", key, report);
	return strtol(p + strlen(k), NULL, 10);
}

static void assert_live(long attachments, long mappings)
{
	igt_assert_eq(report_count("attachments"), attachments);
	igt_assert_eq(report_count("mappings"), mappings);
}

/*
 * Kernel memory leak detectors: with kmemleak (the debug kernel), a scan
 * must find no unreferenced object allocated by p2pbuf code; KASAN's
 * quarantine there holds freed objects, so slab sizes mean nothing.
 * Without it (the stock kernel), unreclaimable slab must not grow by what
 * even a one-entry scatterlist per map would take.
 */
#define KMEMLEAK "/sys/kernel/debug/kmemleak"

static bool have_kmemleak(void)
{
	return access(KMEMLEAK, W_OK) == 0;
}

static void kmemleak_assert_none(void)
{
	static char text[1 << 20];
	const char *p;

	igt_assert_eq(p2pbuf_sysfs_write(KMEMLEAK, "scan"), 0);
	igt_assert_lte(0, p2pbuf_read_file(KMEMLEAK, text, sizeof(text)));
	p = strstr(text, "p2pbuf");
	igt_assert_f(!p, "kmemleak reports an object p2pbuf allocated:\n%.*s\n",
		     2000, p ? (p > text + 1000 ? p - 1000 : text) : "");
}

static void test_map_unmap_no_leak(void)
{
	int buf[2];
	long before = 0, grown;
	bool kmemleak = have_kmemleak();
	/*
	 * kmemleak names every leaked object: 1000 rounds are as good as
	 * 10000, which outlast the per-test timeout on the proving kernel
	 * through the host bridge (rootports-direct).  The slab count needs
	 * the 10000 to stand out of the noise.
	 */
	const int rounds = kmemleak ? 1000 : 10000;

	require_route();
	assert_live(0, 0);
	buf[0] = export_pages(0, 1);
	buf[1] = export_ranges_fd(dev.fd, (const struct p2pbuf_exp_range[]){
		{ .offset = 4 * dev.page, .length = dev.page },
		{ .offset = 0, .length = dev.page } }, 2);
	ti_attach(0, buf[0], "dynamic");
	ti_attach(1, buf[1], "dynamic");
	assert_live(2, 0);
	if (kmemleak)
		/* Forget what was reported before. */
		igt_assert_eq(p2pbuf_sysfs_write(KMEMLEAK, "clear"), 0);
	/* Let caches and slabs settle first. */
	for (int i = 0; i < 200; i++)
		for (int s = 0; s < 2; s++) {
			igt_assert_eq(p2pbuf_ti_cmd("map %d", s), 0);
			igt_assert_eq(p2pbuf_ti_cmd("unmap %d", s), 0);
		}

	if (!kmemleak)
		before = unreclaimable_slab_kb();
	for (int i = 0; i < rounds; i++) {
		for (int s = 0; s < 2; s++)
			igt_assert_eq(p2pbuf_ti_cmd("map %d", s), 0);
		if (i == 0)
			assert_live(2, 2);
		for (int s = 0; s < 2; s++)
			igt_assert_eq(p2pbuf_ti_cmd("unmap %d", s), 0);
	}
	/* Every table handed out came back: exact, on every kernel. */
	assert_live(2, 0);
	if (kmemleak) {
		kmemleak_assert_none();
	} else {
		grown = unreclaimable_slab_kb() - before;
		igt_info("unreclaimable slab grew by %ld kB over %d maps\n",
			 grown, 2 * rounds);
		/* A leaked one-entry scatterlist alone: 32 bytes a map. */
		igt_assert_f(grown * 1024 < 2 * rounds * 8,
			     "%ld kB lost over %d map/unmap pairs\n", grown,
			     2 * rounds);
	}

	igt_assert_eq(p2pbuf_ti_cmd("detach 0"), 0);
	igt_assert_eq(p2pbuf_ti_cmd("detach 1"), 0);
	assert_live(0, 0);
	close(buf[0]);
	close(buf[1]);
}

static void test_revoke_mapped(void)
{
	int buf;

	require_route();
	buf = export_pages(0, 2);
	ti_attach(0, buf, "dynamic");
	igt_assert_eq(p2pbuf_ti_cmd("map 0"), 0);

	/* The importer is told, and unmaps before REVOKE returns. */
	igt_assert_eq_u32(do_revoke_ok(buf, 0), P2PBUF_EXP_REVOKED_USER);
	ti_assert(0, "mapped 0 invalidations 1 ");
	block_has(buf, " state revoked:user\n");
	block_has(buf, " mapped 0 maps 1 map-errno 0 ");
	igt_assert_eq(p2pbuf_ti_cmd("map 0"), -ENODEV);
	ti_assert(0, "map-errno -19 ");
	block_has(buf, " mapped 0 maps 1 map-errno -19 ");

	/* Restore tells the importer again, so that it maps anew. */
	igt_assert_eq_u32(do_revoke_ok(buf, P2PBUF_EXP_REVOKE_RESTORE), 0);
	ti_assert(0, "mapped 0 invalidations 2 ");
	igt_assert_eq(p2pbuf_ti_cmd("map 0"), 0);
	block_has(buf, " mapped 1 maps 2 map-errno 0 route %s\n", imp.expect);

	igt_assert_eq(p2pbuf_ti_cmd("detach 0"), 0);
	close(buf);
}

static int waits_buf;

static void revoke_waits_buf(void)
{
	igt_assert_eq_u32(do_revoke_ok(waits_buf, 0), P2PBUF_EXP_REVOKED_USER);
}

static void test_revoke_waits_for_unmap(void)
{
	require_route();
	waits_buf = export_pages(0, 1);
	ti_attach(0, waits_buf, "manual");
	igt_assert_eq(p2pbuf_ti_cmd("map 0"), 0);

	assert_waits_for_unmap(0, revoke_waits_buf);
	block_has(waits_buf, " state revoked:user\n");
	igt_assert_eq(p2pbuf_ti_cmd("map 0"), -ENODEV);

	igt_assert_eq(p2pbuf_ti_cmd("detach 0"), 0);
	close(waits_buf);
}

/*
 * A user's REVOKE waits for an importer that never unmaps: SIGKILL must end
 * it.  The dma-buf stays revoked; a restore with the old mapping still held
 * takes the buffer's own reference back, and the next revoke and the
 * release (its count check warns) see a consistent mapping count.
 */
static void test_revoke_killable(void)
{
	int done[2], buf;
	char c;

	require_route();
	buf = export_pages(0, 1);
	ti_attach(0, buf, "manual");
	igt_assert_eq(p2pbuf_ti_cmd("map 0"), 0);

	igt_assert_eq(pipe(done), 0);
	igt_fork(child, 1) {
		close(done[0]);
		do_revoke(dev.fd, buf, 0, NULL);
		igt_assert_eq(write(done[1], "x", 1), 1);
	}
	close(done[1]);
	igt_assert_f(!readable_within(done[0], 1000),
		     "REVOKE finished while the importer still held its mapping\n");
	igt_kill_children(SIGKILL);
	/* An uninterruptible wait outlives SIGKILL: this then times out. */
	igt_set_timeout(20, "a killed REVOKE to exit");
	__igt_waitchildren();
	igt_set_timeout(0, NULL);
	/* The child is gone: end of file, unless it wrote first. */
	igt_assert_f(read(done[0], &c, 1) == 0,
		     "REVOKE finished while the importer still held its mapping\n");
	close(done[0]);

	/* Still revoked, the old mapping still held, new maps refused. */
	block_has(buf, " state revoked:user\n");
	ti_assert(0, "mapped 1 invalidations 1 ");
	ti_attach(1, buf, "dynamic");
	igt_assert_eq(p2pbuf_ti_cmd("map 1"), -ENODEV);

	/* Restore with the old mapping held, then map anew. */
	igt_assert_eq_u32(do_revoke_ok(buf, P2PBUF_EXP_REVOKE_RESTORE), 0);
	igt_assert_eq(p2pbuf_ti_cmd("map 1"), 0);

	/* Both mappings are counted: a revoke waits for both, then returns. */
	igt_assert_eq(p2pbuf_ti_cmd("unmap 0"), 0);
	igt_assert_eq_u32(do_revoke_ok(buf, 0), P2PBUF_EXP_REVOKED_USER);
	ti_assert(1, "mapped 0 ");
	igt_assert_eq_u32(do_revoke_ok(buf, P2PBUF_EXP_REVOKE_RESTORE), 0);
	igt_assert_eq(p2pbuf_ti_cmd("map 0"), 0);

	igt_assert_eq(p2pbuf_ti_cmd("detach 0"), 0);
	igt_assert_eq(p2pbuf_ti_cmd("detach 1"), 0);
	close(buf);
}

/*
 * A debugfs reader waiting for a buffer's reservation lock must not hold
 * the device lock: EXPORT (which takes it) keeps working.  The lock is
 * held by a REVOKE waiting for a fence the test importer never signals
 * until the end.  The sleeps only give the children time to block; if
 * one has not, the subtest passes without having tested anything, it
 * never fails for it.
 */
static void test_debugfs_no_device_lock(void)
{
	int done[2], buf;
	bool exported;

	require_route();
	buf = export_pages(0, 1);
	ti_attach(0, buf, "dynamic");
	igt_assert_eq(p2pbuf_ti_cmd("fence 0"), 0);

	igt_assert_eq(pipe(done), 0);
	igt_fork(child, 3) {
		close(done[0]);
		if (child == 0) {
			/* Waits for the fence with the reservation held. */
			do_revoke_ok(buf, 0);
		} else if (child == 1) {
			usleep(500 * 1000);
			buffers_report();
		} else {
			usleep(1500 * 1000);
			close(export_pages(1, 1));
			igt_assert_eq(write(done[1], "x", 1), 1);
		}
	}
	close(done[1]);
	/* A blocked EXPORT would wait for the fence: signal it either way. */
	exported = readable_within(done[0], 20000);
	igt_assert_eq(p2pbuf_ti_cmd("signal 0"), 0);
	igt_waitchildren_timeout(30, "the revoke, the debugfs read and EXPORT");
	close(done[0]);
	igt_assert_f(exported,
		     "EXPORT waited while a debugfs reader waited for a reservation lock\n");

	block_has(buf, " state revoked:user\n");
	igt_assert_eq_u32(do_revoke_ok(buf, P2PBUF_EXP_REVOKE_RESTORE), 0);
	igt_assert_eq(p2pbuf_ti_cmd("detach 0"), 0);
	close(buf);
}

static void unbind_op(void)
{
	igt_assert_eq(unbind_device(), 0);
}

static void reopen_after_rebind(void)
{
	igt_assert_eq(bind_device(), 0);
	close(dev.fd);
	dev.fd = open_node();
	igt_assert_lte(0, dev.fd);
}

static void test_unbind_waits_for_unmap(void)
{
	int buf;

	require_route();
	buf = export_pages(0, 1);
	ti_attach(0, buf, "manual");
	igt_assert_eq(p2pbuf_ti_cmd("map 0"), 0);

	assert_waits_for_unmap(0, unbind_op);
	igt_assert(!is_bound());
	/* Gone for good: no new map, no new attachment. */
	igt_assert_eq(p2pbuf_ti_cmd("map 0"), -ENODEV);
	igt_assert_eq(p2pbuf_ti_cmd("attach 1 %d %s dynamic", buf, imp.bdf), -ENODEV);
	igt_assert_eq(p2pbuf_ti_cmd("detach 0"), 0);
	close(buf);
	reopen_after_rebind();
}

static void test_unbind_mapped(void)
{
	struct timespec start;
	int buf;

	require_route();
	buf = export_pages(0, 1);
	ti_attach(0, buf, "dynamic");
	igt_assert_eq(p2pbuf_ti_cmd("map 0"), 0);

	igt_gettime(&start);
	igt_assert_eq(unbind_device(), 0);
	igt_assert_lt_u64(igt_nsec_elapsed(&start), 5000000000ull);
	ti_assert(0, "mapped 0 invalidations 1 ");
	igt_assert_eq(p2pbuf_ti_cmd("map 0"), -ENODEV);
	igt_assert_eq(p2pbuf_ti_cmd("detach 0"), 0);
	close(buf);
	reopen_after_rebind();
}

static void test_reset_mapped(void)
{
	char path[PATH_MAX];
	int buf;

	require_route();
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", dev.bdf);
	igt_require_f(access(path, W_OK) == 0, "%s has no reset method\n",
		      dev.bdf);
	buf = export_pages(0, 1);
	ti_attach(0, buf, "dynamic");
	igt_assert_eq(p2pbuf_ti_cmd("map 0"), 0);

	reset_device(path);
	/* Revoked (invalidate, unmap) before, restored (invalidate) after. */
	ti_assert(0, "mapped 0 invalidations 2 ");
	block_has(buf, " state active\n");
	igt_assert_eq(p2pbuf_ti_cmd("map 0"), 0);
	igt_assert_eq(p2pbuf_ti_cmd("detach 0"), 0);
	close(buf);
}

int igt_main()
{
	igt_fixture() {
		setup_device();
		/* Attachments a killed subtest left in the test importer. */
		if (access("/sys/module/" TI_MODULE, F_OK) == 0)
			p2pbuf_ti_detach_all(0);
		/*
		 * Nothing else holds the device's dma-bufs: a buffer left
		 * now is a leak of an earlier test or of the drivers.
		 */
		igt_assert_f(count_buffers() == 0,
			     "%s has buffers left from before the test:\n%s",
			     dev.bdf, report);
	}

	igt_describe("QUERY reports the exported BARs (not the register BAR), "
		     "their sizes, the range cap and the alignment.");
	igt_subtest("query")
		test_query();

	igt_describe("QUERY with an unknown flag fails with EINVAL.");
	igt_subtest("query-bad-flags")
		test_query_bad(false);

	igt_describe("QUERY with a non-zero reserved field fails with EINVAL.");
	igt_subtest("query-bad-reserved")
		test_query_bad(true);

	igt_describe("An unknown ioctl, or a known one with the wrong size, "
		     "fails with ENOTTY.");
	igt_subtest("bad-ioctl")
		test_bad_ioctl();

	igt_describe("EXPORT of one range, of the whole BAR and of several "
		     "ranges gives dma-bufs of the right size, access mode and "
		     "close-on-exec flag.");
	igt_subtest("export-basic")
		test_export_basic();

	igt_describe("EXPORT of exactly the range cap (adjacent pages, in "
		     "reverse order) succeeds.");
	igt_subtest("export-max-ranges")
		test_export_max_ranges();

	igt_describe("Exporting and closing 1000 dma-bufs (some revoked) "
		     "leaves no buffer and no file descriptor behind.");
	igt_subtest("export-close-loop")
		test_export_close_loop();

	igt_describe("EXPORT with an unknown flag: EINVAL, nothing created.");
	igt_subtest("export-bad-flags")
		test_bad_flags();

	igt_describe("EXPORT with a non-zero reserved field: EINVAL.");
	igt_subtest("export-bad-reserved")
		test_bad_reserved();

	igt_describe("EXPORT with open flags other than O_RDONLY/O_RDWR and "
		     "O_CLOEXEC: EINVAL.");
	igt_subtest("export-bad-open-flags")
		test_bad_open_flags();

	igt_describe("EXPORT from a BAR index past the six BARs: EINVAL.");
	igt_subtest("export-bad-bar-index")
		test_bad_bar_index();

	igt_describe("EXPORT from a BAR that is not exported (registers, "
		     "unimplemented): ENXIO.");
	igt_subtest("export-bad-bar-unexported")
		test_bad_bar_unexported();

	igt_describe("EXPORT of zero ranges: EINVAL.");
	igt_subtest("export-bad-no-ranges")
		test_bad_no_ranges();

	igt_describe("EXPORT of more ranges than the cap: E2BIG, before the "
		     "array is read.");
	igt_subtest("export-bad-too-many-ranges")
		test_bad_too_many_ranges();

	igt_describe("EXPORT with a range array that is not readable: EFAULT.");
	igt_subtest("export-bad-ranges-pointer")
		test_bad_ranges_pointer();

	igt_describe("EXPORT with a zero-length range: EINVAL.");
	igt_subtest("export-bad-zero-length")
		test_bad_zero_length();

	igt_describe("EXPORT with an offset that is not page aligned: EINVAL.");
	igt_subtest("export-bad-unaligned-offset")
		test_bad_unaligned_offset();

	igt_describe("EXPORT with a length that is not page aligned: EINVAL.");
	igt_subtest("export-bad-unaligned-length")
		test_bad_unaligned_length();

	igt_describe("EXPORT with offset + length wrapping around: EOVERFLOW.");
	igt_subtest("export-bad-overflow")
		test_bad_overflow();

	igt_describe("EXPORT with a range ending past the BAR: ERANGE.");
	igt_subtest("export-bad-outside-bar")
		test_bad_outside_bar();

	igt_describe("EXPORT with overlapping ranges, in any order: EINVAL; "
		     "adjacent ranges are fine.");
	igt_subtest("export-bad-overlap")
		test_bad_overlap();

	igt_describe("EXPORT whose last range only is bad fails without "
		     "leaving anything of the good ones.");
	igt_subtest("export-bad-late-range")
		test_bad_late_range();

	igt_describe("REVOKE with an unknown flag: EINVAL.");
	igt_subtest("revoke-bad-flags")
		test_revoke_bad("flags");

	igt_describe("REVOKE with a non-zero reserved field: EINVAL.");
	igt_subtest("revoke-bad-reserved")
		test_revoke_bad("reserved");

	igt_describe("REVOKE of a file descriptor that is not open: EBADF.");
	igt_subtest("revoke-bad-fd")
		test_revoke_bad("fd");

	igt_describe("REVOKE of a file that is not a dma-buf: EINVAL.");
	igt_subtest("revoke-bad-not-dmabuf")
		test_revoke_bad("not-dmabuf");

	igt_describe("REVOKE of another exporter's dma-buf (vgem): EINVAL.");
	igt_subtest("revoke-bad-foreign-dmabuf")
		test_revoke_foreign();

	igt_describe("REVOKE of a dma-buf nobody imported: revoked for "
		     "userspace, idempotent, and it still closes cleanly.");
	igt_subtest("revoke-idle")
		test_revoke_idle();

	igt_describe("REVOKE and restore, repeatedly: the dma-buf is usable "
		     "again after each restore.");
	igt_subtest("revoke-reuse")
		test_revoke_reuse();

	igt_describe("A function reset revokes and restores every buffer but "
		     "keeps userspace's own revoke.");
	igt_subtest("reset-keeps-user-revoke")
		test_reset_keeps_user_revoke();

	igt_describe("Unbinding with live dma-bufs and an open node returns "
		     "at once; then every ioctl fails with ENODEV and the "
		     "dma-bufs still close cleanly.");
	igt_subtest("unbind-live-fd")
		test_unbind_live_fd();

	igt_describe("Unbind and rebind, each time with a live dma-buf: every "
		     "binding starts clean and old files stay dead.");
	igt_subtest("rebind")
		test_rebind();

	igt_describe("The module cannot be unloaded while a node or a dma-buf "
		     "is open (even unbound); it unloads once they are closed.");
	igt_subtest("unload-live-fd")
		test_unload_live_fd();

	igt_describe("vgem, a static importer without P2P support, is refused "
		     "at attach with EOPNOTSUPP; debugfs shows the refusal and "
		     "no attachment.");
	igt_subtest("reject-vgem")
		test_reject_vgem();

	igt_describe("debugfs lists each buffer with its inode, BAR, size, "
		     "ranges in export order and state, until it is closed.");
	igt_subtest("debugfs-lists-buffer")
		test_debugfs_lists_buffer();

	igt_subtest_group() {
		igt_fixture()
			setup_test_importer();

		igt_describe("The attach policy, with an importer for the bed's "
			     "edu device: static and non-revocable importers "
			     "are refused with EOPNOTSUPP, a dynamic P2P one is "
			     "accepted where the PCI core finds a route.");
		igt_subtest("attach-policy")
			test_attach_policy();

		igt_describe("A mapping takes the route the topology gives "
			     "(debugfs), for two attachments and repeated "
			     "maps.");
		igt_subtest("map-route")
			test_map_route();

		igt_describe("The exporter knows an attachment's route "
			     "before its first map: it asks the PCI core "
			     "(pci_p2pdma_map_type(), exported by "
			     "upstream/linux-7.3/0005). On a kernel without "
			     "the series: an expected failure.");
		igt_subtest("route-at-attach")
			test_route_at_attach();

		igt_describe("A buffer of several ranges maps on every route: "
			     "one IOVA range for the whole buffer through an "
			     "IOMMU, else one DMA entry per range in buffer "
			     "order at the BAR's addresses.");
		igt_subtest("map-multi-range")
			test_map_multi_range();

		igt_describe("Mapping and unmapping 20000 times (2000 with kmemleak) does not leak "
			     "kernel memory: the exporter's live attachment "
			     "and mapping counts return to zero, and kmemleak "
			     "(debug kernel) or the unreclaimable slab (stock "
			     "kernel) sees no leak.");
		igt_subtest("map-unmap-no-leak")
			test_map_unmap_no_leak();

		igt_describe("REVOKE of a mapped dma-buf invalidates the "
			     "importer, which unmaps; maps fail with ENODEV "
			     "until a restore, which invalidates again.");
		igt_subtest("revoke-mapped")
			test_revoke_mapped();

		igt_describe("REVOKE does not return while an importer still "
			     "holds a mapping.");
		igt_subtest("revoke-waits-for-unmap")
			test_revoke_waits_for_unmap();

		igt_describe("A REVOKE waiting for an importer that never "
			     "unmaps ends on SIGKILL; the dma-buf stays revoked "
			     "and a later restore and revoke still count every "
			     "mapping.");
		igt_subtest("revoke-killable")
			test_revoke_killable();

		igt_describe("A debugfs reader waiting for a buffer's "
			     "reservation lock does not hold up EXPORT.");
		igt_subtest("debugfs-no-device-lock")
			test_debugfs_no_device_lock();

		igt_describe("Unbinding the exporter does not return while an "
			     "importer still holds a mapping of its BAR; then "
			     "the buffer can neither be mapped nor attached.");
		igt_subtest("unbind-waits-for-unmap")
			test_unbind_waits_for_unmap();

		igt_describe("Unbinding with a mapped dynamic importer "
			     "invalidates it and returns once it unmapped.");
		igt_subtest("unbind-mapped")
			test_unbind_mapped();

		igt_describe("A function reset revokes a mapped buffer (the "
			     "importer unmaps) and restores it afterwards.");
		igt_subtest("reset-mapped")
			test_reset_mapped();
	}

	igt_fixture() {
		if (dev.fd >= 0)
			close(dev.fd);
	}
}
