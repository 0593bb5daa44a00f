// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_faults - every failure point of the data paths, one at a time.
 *
 * For each path (export, alloc, attach, map, migrate, invalidate, import,
 * engine submit) the test first counts the fault sites the call passes
 * (slab and page allocations: failslab and fail_page_alloc, counted with
 * /proc/thread-self/fail-nth), then makes each of them fail in turn, one
 * dynamic subtest per site ("fault-N": the N-th site of the call fails).
 * A few points that are not allocations fail through fail_function, on
 * functions marked ALLOW_ERROR_INJECTION() (see Documentation/testbed.rst,
 * "Adding a fault-injection point").  Each dynamic subtest asserts:
 *
 * - the call fails with an errno its documentation lists, or succeeds if
 *   the kernel absorbed the failure (an opportunistic allocation with a
 *   fallback: then it must work as usual);
 * - nothing stays allocated or attached: the drivers' debugfs reports are
 *   as before the call (kmemleak after the binary catches the rest,
 *   igt-tests/debug-checks.sh);
 * - no kernel warning (igt_runner's dmesg check: any message at warning
 *   level fails the subtest);
 * - the next identical call, with no fault, succeeds.
 *
 * fail-nth counts sites in the calling task only, so nothing else in the
 * guest is disturbed.  On a kernel without fault injection (the stock one)
 * every subtest skips, saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt.h"
#include "igt_kmod.h"

#include "p2pbuf_igt.h"
#include "p2pbuf_sysfs.h"
#include "../include/uapi/linux/p2pbuf_exporter.h"
#include "../include/uapi/drm/p2pbuf_imp_drm.h"

IGT_TEST_DESCRIPTION("Fails each allocation and injection point of p2pbuf's "
		     "data paths in turn: each call must fail with a "
		     "documented errno, leave nothing behind and work again "
		     "when the fault is gone.");

#define EXP_BAR		2
#define IMP_VENDOR	0x1234	/* edu */
#define IMP_DEVICE	0x11e8
#define TI_MODULE	"p2pbuf_test_importer"
/* More sites than any of our paths passes: the counting run's budget. */
#define NTH_BUDGET	100000
/* Sites walked per path at most (bounds the run time under TCG). */
#define NTH_MAX		96

#define FI_DIR		"/sys/kernel/debug"
#define FF_DIR		FI_DIR "/fail_function"

static struct {
	char bdf[64];		/* exporter device */
	char imp_bdf[64];	/* importer device (edu) */
	int fd;			/* the exporter's character device */
	int ti_fd;		/* the test importer's control file */
	int nth_fd;		/* /proc/thread-self/fail-nth */
	int imp_fd;		/* p2pbuf_imp render node, or -1 */
	char imp_debugfs[64];	/* its DRM debugfs directory (relative) */
	size_t page;
} t = { .fd = -1, .ti_fd = -1, .nth_fd = -1, .imp_fd = -1 };

/* ---- fault injection ---------------------------------------------------- */

/* Settings changed for the run, restored at exit. */
static const struct {
	const char *path;
	const char *value;
} fi_settings[] = {
	/* Our paths allocate with GFP_KERNEL: do not ignore sleeping ones. */
	{ FI_DIR "/failslab/ignore-gfp-wait", "N" },
	{ FI_DIR "/fail_page_alloc/ignore-gfp-wait", "N" },
	{ FI_DIR "/fail_page_alloc/min-order", "0" },
	/* A notice per injected fault: no stack dump at warning level. */
	{ FI_DIR "/failslab/verbose", "1" },
	{ FI_DIR "/fail_page_alloc/verbose", "1" },
	{ FF_DIR "/verbose", "1" },
	/*
	 * Not task-filter: without ftrace the kprobe fail_function puts on a
	 * function runs from int3, which x86 enters like an NMI, so
	 * in_task() is false and a task filter never lets a fault through.
	 * The marked functions are p2pbuf's, called only by this test in
	 * the bed; ff_on() arms exactly one fault ("times" 1).
	 */
	{ FF_DIR "/task-filter", "N" },
	{ FF_DIR "/probability", "100" },
	{ FF_DIR "/interval", "1" },
	{ FF_DIR "/times", "0" },
};
static char fi_saved[ARRAY_SIZE(fi_settings)][32];

static void fi_restore(int sig __attribute__((unused)))
{
	if (t.nth_fd >= 0)
		pwrite(t.nth_fd, "0", 1, 0);
	p2pbuf_sysfs_write(FF_DIR "/inject", " ");
	for (size_t i = 0; i < ARRAY_SIZE(fi_settings); i++)
		if (fi_saved[i][0])
			p2pbuf_sysfs_write(fi_settings[i].path, fi_saved[i]);
}

static void fi_setup(void)
{
	igt_require_f(access(FF_DIR "/inject", W_OK) == 0 &&
		      access("/proc/thread-self/fail-nth", W_OK) == 0,
		      "kernel without fault injection (no %s or fail-nth: "
		      "CONFIG_FAIL_FUNCTION, CONFIG_FAULT_INJECTION_DEBUG_FS): "
		      "the stock kernel; run with KERNEL=debug\n", FF_DIR);
	for (size_t i = 0; i < ARRAY_SIZE(fi_settings); i++) {
		char *nl;

		igt_assert_lt(0, p2pbuf_read_file(fi_settings[i].path,
						  fi_saved[i],
						  sizeof(fi_saved[i])));
		nl = strchr(fi_saved[i], '\n');
		if (nl)
			*nl = '\0';
	}
	igt_install_exit_handler(fi_restore);
	for (size_t i = 0; i < ARRAY_SIZE(fi_settings); i++)
		igt_assert_f(p2pbuf_sysfs_write(fi_settings[i].path,
						fi_settings[i].value) == 0,
			     "cannot set %s\n", fi_settings[i].path);
	t.nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	igt_assert_lte(0, t.nth_fd);
}

/* From now on, the @n-th fault site this thread passes fails. */
static void nth_arm(unsigned int n)
{
	char s[16];
	int len = snprintf(s, sizeof(s), "%u", n);

	igt_assert_eq(pwrite(t.nth_fd, s, len, 0), len);
}

/* Disarm; returns how many sites were still to go (0: the fault fired). */
static unsigned int nth_disarm(void)
{
	char s[16] = "";
	ssize_t n = pread(t.nth_fd, s, sizeof(s) - 1, 0);

	igt_assert_eq(pwrite(t.nth_fd, "0", 1, 0), 1);
	igt_assert_lt(0, n);
	return strtoul(s, NULL, 10);
}

/* fail_function: make the next call of @func return -@err. */
static void ff_on(const char *func, int err)
{
	char path[PATH_MAX], val[32];

	igt_assert_f(p2pbuf_sysfs_write(FF_DIR "/inject", func) == 0,
		     "%s cannot be injected: not marked ALLOW_ERROR_INJECTION, "
		     "or its module is not loaded\n", func);
	snprintf(path, sizeof(path), FF_DIR "/%s/retval", func);
	snprintf(val, sizeof(val), "%#llx", (unsigned long long)(long long)-err);
	igt_assert_eq(p2pbuf_sysfs_write(path, val), 0);
	igt_assert_eq(p2pbuf_sysfs_write(FF_DIR "/times", "1"), 0);
}

static void ff_off(void)
{
	igt_assert_eq(p2pbuf_sysfs_write(FF_DIR "/times", "0"), 0);
	/* Blanks remove every injection point. */
	igt_assert_eq(p2pbuf_sysfs_write(FF_DIR "/inject", " "), 0);
}

/* ---- the drivers ----------------------------------------------------------- */

static char report[1 << 16];

/* Lines of the exporter's buffers report starting with @prefix. */
static int exp_count(const char *prefix)
{
	char rel[PATH_MAX];
	int ret;

	snprintf(rel, sizeof(rel), "p2pbuf_exporter/%s/buffers", t.bdf);
	ret = p2pbuf_debugfs_read(rel, report, sizeof(report));
	igt_assert_f(ret > 0, "reading debugfs %s: %s\n", rel, strerror(-ret));
	return p2pbuf_count_lines(report, prefix);
}

/* What must be as before after a failed call. */
struct snapshot {
	int buffers;
	int attachments;
	int mapped;
	int ti_slots;
	int imports;	/* p2pbuf_imp's imported GEM objects */
	long jobs;	/* p2pbuf_imp's jobs holding its engine */
};

/* p2pbuf_imp's imports: "import <ino>" lines of its "imports" file. */
static int imp_imports(void)
{
	char rel[sizeof(t.imp_debugfs) + 16];
	int ret;

	if (t.imp_fd < 0)
		return 0;
	snprintf(rel, sizeof(rel), "%s/imports", t.imp_debugfs);
	ret = p2pbuf_debugfs_read(rel, report, sizeof(report));
	igt_assert_f(ret >= 0, "reading debugfs %s: %s\n", rel, strerror(-ret));
	return p2pbuf_count_lines(report, "import ");
}

static int ti_count(const char *needle)
{
	char rel[] = TI_MODULE "/status";
	const char *p = report;
	int n = 0;

	igt_assert_lte(0, p2pbuf_debugfs_read(rel, report, sizeof(report)));
	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static void snap(struct snapshot *s)
{
	s->buffers = exp_count("buffer ");
	s->attachments = exp_count("attach ");
	s->mapped = ti_count(" mapped 1");
	s->ti_slots = ti_count("slot ");
	s->imports = imp_imports();
	s->jobs = t.imp_fd < 0 ? 0 : p2pbuf_imp_engine_stat(t.imp_debugfs, "busy");
}

static void expect_snap(const struct snapshot *before, const char *what)
{
	struct snapshot now;

	snap(&now);
	igt_assert_f(now.buffers == before->buffers,
		     "%s: %d buffers left, %d before\n", what, now.buffers,
		     before->buffers);
	igt_assert_f(now.attachments == before->attachments,
		     "%s: %d attachments left, %d before\n", what,
		     now.attachments, before->attachments);
	igt_assert_f(now.mapped == before->mapped,
		     "%s: %d mappings held, %d before\n", what, now.mapped,
		     before->mapped);
	igt_assert_f(now.ti_slots == before->ti_slots,
		     "%s: %d test importer slots, %d before\n", what,
		     now.ti_slots, before->ti_slots);
	igt_assert_f(now.imports == before->imports,
		     "%s: %d p2pbuf_imp imports, %d before\n", what,
		     now.imports, before->imports);
	igt_assert_f(now.jobs == before->jobs,
		     "%s: %ld p2pbuf_imp jobs hold the engine, %ld before\n",
		     what, now.jobs, before->jobs);
}

/* A test importer command through the control file opened at start. */
static int ti(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int ti(const char *fmt, ...)
{
	char cmd[256];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return pwrite(t.ti_fd, cmd, len, 0) == len ? 0 : -errno;
}

static int export_n(unsigned int nr, int *fd)
{
	struct p2pbuf_exp_range r[3];
	struct p2pbuf_exp_export a = {
		.bar = EXP_BAR,
		.ranges = (uintptr_t)r,
		.nr_ranges = nr,
		.open_flags = O_RDWR | O_CLOEXEC,
		.fd = -1,
	};

	/* Out of order and apart, so that a buffer is several entries. */
	for (unsigned int i = 0; i < nr; i++) {
		r[i].offset = (8 - 3 * i) * t.page;
		r[i].length = (i + 1) * t.page;
	}
	if (ioctl(t.fd, P2PBUF_EXP_IOCTL_EXPORT, &a))
		return -errno;
	*fd = a.fd;
	return 0;
}

static int alloc_obj(uint32_t flags, int *fd)
{
	struct p2pbuf_exp_alloc a = {
		.flags = flags,
		.bar = EXP_BAR,
		.size = 16 * t.page,
		.align = t.page,
		.open_flags = O_RDWR | O_CLOEXEC,
		.fd = -1,
	};

	if (ioctl(t.fd, P2PBUF_EXP_IOCTL_ALLOC, &a))
		return -errno;
	*fd = a.fd;
	return 0;
}

static int revoke_buf(int buf, uint32_t flags)
{
	struct p2pbuf_exp_revoke a = { .flags = flags, .fd = buf };

	return ioctl(t.fd, P2PBUF_EXP_IOCTL_REVOKE, &a) ? -errno : 0;
}

static void exp_info(int buf, struct p2pbuf_exp_info *info)
{
	memset(info, 0, sizeof(*info));
	info->fd = buf;
	igt_assert_eq(ioctl(t.fd, P2PBUF_EXP_IOCTL_INFO, info), 0);
}

/* ---- the paths ------------------------------------------------------------- */

/*
 * One path: @setup makes what the call needs (in @c), @call is the call
 * under test (0 or -errno), @undo takes back a call that succeeded,
 * @teardown undoes @setup.  @errnos: what the call's documentation lists
 * for a failure of a fault site, 0-terminated.
 */
struct ctx {
	int buf;
	uint32_t handle;
};

struct path {
	const char *name;
	bool needs_importer;
	void (*setup)(struct ctx *c);
	int (*call)(struct ctx *c);
	void (*undo)(struct ctx *c);
	void (*teardown)(struct ctx *c);
	/* Extra check after a failed call (optional). */
	void (*check)(struct ctx *c);
	int errnos[4];
};

static void close_buf(struct ctx *c)
{
	if (c->buf >= 0)
		close(c->buf);
	c->buf = -1;
}

static int call_export(struct ctx *c)
{
	return export_n(3, &c->buf);
}

static int call_alloc(struct ctx *c)
{
	return alloc_obj(0, &c->buf);
}

static void setup_export3(struct ctx *c)
{
	igt_assert_eq(export_n(3, &c->buf), 0);
}

static void setup_export1(struct ctx *c)
{
	igt_assert_eq(export_n(1, &c->buf), 0);
}

static void setup_migratable(struct ctx *c)
{
	igt_assert_eq(alloc_obj(P2PBUF_EXP_ALLOC_MIGRATABLE, &c->buf), 0);
}

static int call_attach(struct ctx *c)
{
	return ti("attach 0 %d %s dynamic", c->buf, t.imp_bdf);
}

static void detach(struct ctx *c __attribute__((unused)))
{
	igt_assert_eq(ti("detach 0"), 0);
}

static void detach_close(struct ctx *c)
{
	detach(c);
	close_buf(c);
}

static void setup_export3_attach(struct ctx *c)
{
	setup_export3(c);
	igt_assert_eq(call_attach(c), 0);
}

static void setup_export1_attach(struct ctx *c)
{
	setup_export1(c);
	igt_assert_eq(call_attach(c), 0);
}

static int call_map(struct ctx *c __attribute__((unused)))
{
	return ti("map 0");
}

static void unmap(struct ctx *c __attribute__((unused)))
{
	igt_assert_eq(ti("unmap 0"), 0);
}

/* A migratable object attached by an importer without P2P moves. */
static int call_migrate(struct ctx *c)
{
	return ti("attach 0 %d %s nop2p", c->buf, t.imp_bdf);
}

static void check_in_bar(struct ctx *c)
{
	struct p2pbuf_exp_info info;

	exp_info(c->buf, &info);
	igt_assert_eq(info.placement, P2PBUF_EXP_PLACEMENT_BAR);
	igt_assert_eq(info.migrations, 0);
	igt_assert_eq(info.attachments, 0);
}

static void setup_mapped(struct ctx *c)
{
	setup_export3_attach(c);
	igt_assert_eq(call_map(c), 0);
}

/* A revoke with a mapping held: the importer is invalidated and unmaps. */
static int call_invalidate(struct ctx *c)
{
	return revoke_buf(c->buf, 0);
}

static void restore(struct ctx *c)
{
	igt_assert_eq(revoke_buf(c->buf, P2PBUF_EXP_REVOKE_RESTORE), 0);
	igt_assert_eq(call_map(c), 0);
}

static int call_import(struct ctx *c)
{
	return drmPrimeFDToHandle(t.imp_fd, c->buf, &c->handle) ? -errno : 0;
}

static void gem_close(struct ctx *c)
{
	struct drm_gem_close arg = { .handle = c->handle };

	igt_assert_eq(ioctl(t.imp_fd, DRM_IOCTL_GEM_CLOSE, &arg), 0);
}

static void setup_imported(struct ctx *c)
{
	setup_export3(c);
	igt_assert_eq(call_import(c), 0);
}

static void teardown_imported(struct ctx *c)
{
	gem_close(c);
	close_buf(c);
}

static int call_submit(struct ctx *c)
{
	struct drm_p2pbuf_imp_pattern p = {
		.handle = c->handle,
		.op = P2PBUF_IMP_PATTERN_WRITE,
		.size = t.page,
		.seed = 7,
	};

	return ioctl(t.imp_fd, DRM_IOCTL_P2PBUF_IMP_PATTERN, &p) ? -errno : 0;
}

static void nothing(struct ctx *c __attribute__((unused)))
{
}

static const struct path paths[] = {
	{ "export", false, nothing, call_export, close_buf, nothing, NULL,
	  { ENOMEM } },
	{ "alloc", false, nothing, call_alloc, close_buf, nothing, NULL,
	  { ENOMEM } },
	{ "attach", true, setup_export3, call_attach, detach, close_buf, NULL,
	  { ENOMEM } },
	/* Several ranges: one dma_buf_phys_vec_to_sgt() over all (map.c). */
	{ "map", true, setup_export3_attach, call_map, unmap, detach_close, NULL,
	  { ENOMEM } },
	/* One range: one call of dma_buf_phys_vec_to_sgt(). */
	{ "map-one-range", true, setup_export1_attach, call_map, unmap,
	  detach_close, NULL, { ENOMEM } },
	{ "migrate", true, setup_migratable, call_migrate, detach, close_buf,
	  check_in_bar, { ENOMEM } },
	{ "invalidate", true, setup_mapped, call_invalidate, restore,
	  detach_close, NULL, { ENOMEM } },
	{ "import", true, setup_export3, call_import, gem_close, close_buf,
	  NULL, { ENOMEM } },
	{ "submit", true, setup_imported, call_submit, nothing,
	  teardown_imported, NULL, { ENOMEM } },
};

static bool documented(const struct path *p, int err)
{
	for (size_t i = 0; i < ARRAY_SIZE(p->errnos) && p->errnos[i]; i++)
		if (p->errnos[i] == err)
			return true;
	return false;
}

static void need_importer(const struct path *p)
{
	if (!p->needs_importer)
		return;
	igt_require_f(t.ti_fd >= 0, "%s is not loaded\n", TI_MODULE);
	if (p->setup == setup_imported || p->call == call_import)
		igt_require_f(t.imp_fd >= 0, "no p2pbuf_imp render node\n");
	igt_require_f(!p2pbuf_bed_route_none(),
		      "no P2P route in this topology: the importer is refused at attach\n");
}

/* How many fault sites the call passes when nothing fails. */
static unsigned int count_sites(const struct path *p)
{
	struct ctx c = { .buf = -1 };
	unsigned int left;
	int ret;

	p->setup(&c);
	nth_arm(NTH_BUDGET);
	ret = p->call(&c);
	left = nth_disarm();
	igt_assert_f(ret == 0, "%s without a fault: %s\n", p->name,
		     strerror(-ret));
	p->undo(&c);
	p->teardown(&c);
	return NTH_BUDGET - left;
}

static void fault_at(const struct path *p, unsigned int n)
{
	struct ctx c = { .buf = -1 };
	struct snapshot before;
	unsigned int left;
	int ret;

	p->setup(&c);
	snap(&before);
	nth_arm(n);
	ret = p->call(&c);
	left = nth_disarm();
	if (ret == 0) {
		/* Absorbed (a fallback), or this run passed fewer sites. */
		igt_info("%s: fault %u %s, the call succeeded\n", p->name, n,
			 left ? "not reached" : "absorbed");
		p->undo(&c);
	} else {
		igt_assert_f(left == 0, "%s failed (%s) before fault %u fired\n",
			     p->name, strerror(-ret), n);
		igt_assert_f(documented(p, -ret),
			     "%s with fault %u failed with %s: not a documented errno\n",
			     p->name, n, strerror(-ret));
		expect_snap(&before, p->name);
		if (p->check)
			p->check(&c);
		/* The same call again, nothing failing. */
		ret = p->call(&c);
		igt_assert_f(ret == 0, "%s after fault %u: %s\n", p->name, n,
			     strerror(-ret));
		p->undo(&c);
	}
	p->teardown(&c);
}

static void walk(const struct path *p)
{
	/* Not on the stack: IGT leaves a dynamic subtest with a longjmp. */
	static unsigned int n;
	unsigned int sites;

	need_importer(p);
	sites = count_sites(p);
	igt_info("%s passes %u fault sites\n", p->name, sites);
	if (sites > NTH_MAX)
		igt_info("%s: only the first %u sites are walked (NTH_MAX)\n",
			 p->name, NTH_MAX);
	if (!sites) {
		/* Nothing to fail: say so, and show the call still works. */
		igt_dynamic("no-fault-site")
			fault_at(p, NTH_BUDGET);
		return;
	}
	for (n = 1; n <= sites && n <= NTH_MAX; n++)
		igt_dynamic_f("fault-%u", n)
			fault_at(p, n);
}

/* ---- fail_function points ----------------------------------------------- */

struct point {
	const char *name;
	const char *func;	/* marked ALLOW_ERROR_INJECTION() */
	int err;		/* what it returns, as documented */
	const struct path *path;
};

static const struct point points[] = {
	/* The PCI core finds no route after all (exporter.rst, Mapping). */
	{ "map-no-route", "p2pbuf_exp_map_buffer", EINVAL, &paths[3] },
	/* No pages for a move: the attach fails (migration.rst, Limits). */
	{ "migrate-no-pages", "p2pbuf_exp_obj_to_system", ENOMEM, &paths[5] },
	/* The BAR allocator is full (migration.rst, ALLOC errors). */
	{ "alloc-no-space", "p2pbuf_exp_bar_alloc", ENOSPC, &paths[1] },
};

static void inject(const struct point *pt)
{
	const struct path *p = pt->path;
	struct ctx c = { .buf = -1 };
	struct snapshot before;
	int ret;

	need_importer(p);
	p->setup(&c);
	snap(&before);
	ff_on(pt->func, pt->err);
	ret = p->call(&c);
	ff_off();
	igt_assert_f(ret == -pt->err, "%s with %s failing: %s, want %s\n",
		     p->name, pt->func, ret ? strerror(-ret) : "success",
		     strerror(pt->err));
	expect_snap(&before, p->name);
	if (p->check)
		p->check(&c);
	ret = p->call(&c);
	igt_assert_f(ret == 0, "%s after the fault: %s\n", p->name, strerror(-ret));
	p->undo(&c);
	p->teardown(&c);
}

/* ---- setup ----------------------------------------------------------------- */

static void setup(void)
{
	char node[PATH_MAX], path[PATH_MAX], drv[64];
	int ret;

	t.page = sysconf(_SC_PAGESIZE);
	fi_setup();

	ret = igt_kmod_load("p2pbuf_exporter", NULL);
	igt_skip_on_f(ret == -ENOENT, "p2pbuf_exporter is not installed\n");
	igt_assert_eq(ret, 0);
	igt_require_f(p2pbuf_exporter_find(t.bdf, sizeof(t.bdf)) == 0,
		      "no device bound to p2pbuf_exporter\n");
	snprintf(node, sizeof(node), "/dev/p2pbuf-exp-%s", t.bdf);
	t.fd = open(node, O_RDWR | O_CLOEXEC);
	igt_assert_f(t.fd >= 0, "open %s: %s\n", node, strerror(errno));

	if (p2pbuf_pci_find(IMP_VENDOR, IMP_DEVICE, t.imp_bdf,
			    sizeof(t.imp_bdf), drv, sizeof(drv)))
		return;
	if (igt_kmod_load(TI_MODULE, NULL) == 0) {
		snprintf(path, sizeof(path), "%s/%s/control",
			 igt_debugfs_mount(), TI_MODULE);
		t.ti_fd = open(path, O_WRONLY | O_CLOEXEC);
		igt_install_exit_handler(p2pbuf_ti_detach_all);
	}
	t.imp_fd = p2pbuf_importer_open();
	if (t.imp_fd >= 0) {
		char bdf[32];

		igt_assert_eq(p2pbuf_chardev_pci_address(t.imp_fd, bdf,
							 sizeof(bdf)), 0);
		snprintf(t.imp_debugfs, sizeof(t.imp_debugfs), "dri/%s", bdf);
	}
}

int igt_main()
{
	/* Not on the stack: IGT leaves a subtest with a longjmp. */
	static size_t i;

	igt_fixture()
		setup();

	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		igt_describe_f("Fail each fault site of %s in turn.", paths[i].name);
		igt_subtest_with_dynamic_f("%s", paths[i].name)
			walk(&paths[i]);
	}

	for (i = 0; i < ARRAY_SIZE(points); i++) {
		igt_describe_f("%s returns -%d: %s must fail with it and recover.",
			       points[i].func, points[i].err, points[i].path->name);
		igt_subtest_f("%s", points[i].name)
			inject(&points[i]);
	}

	igt_fixture() {
		close(t.imp_fd);
		close(t.ti_fd);
		close(t.fd);
		close(t.nth_fd);
	}
}
