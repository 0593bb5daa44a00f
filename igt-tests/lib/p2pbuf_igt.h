/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by p2pbuf's IGT tests (igt-tests/lib/, linked into every
 * test binary).  They build against IGT's real headers as well as against
 * igt-tests/compat/.
 */
#ifndef P2PBUF_IGT_H
#define P2PBUF_IGT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The test bed (tools/testbed/run-guest.sh) describes the topology a test
 * runs in; outside the bed these return NULL and bed-specific subtests skip.
 *   P2PBUF_TOPO    the topology's name
 *   P2PBUF_EXPECT  the P2P route the kernel must pick between the exporter
 *                  and importer devices: bus-addr, host-bridge-iova,
 *                  host-bridge-direct or none
 *   P2PBUF_DATA    "ok" when device-to-device DMA carries data, otherwise
 *                  the reason it cannot (use it as the skip reason)
 */
const char *p2pbuf_bed_topology(void);
const char *p2pbuf_bed_expect(void);

/*
 * A requirement of the setup: outside the bed a skip, in the bed
 * ($P2PBUF_EXPECT set) a failure, since the bed always provides it.
 */
#define p2pbuf_bed_require_f(cond, ...)					\
	do {								\
		if (p2pbuf_bed_expect())				\
			igt_assert_f(cond, __VA_ARGS__);		\
		else							\
			igt_require_f(cond, __VA_ARGS__);		\
	} while (0)

const char *p2pbuf_bed_data(void);
/* $P2PBUF_DATA is "ok", or unset (not in the bed: assume it works). */
bool p2pbuf_bed_data_ok(void);
/* $P2PBUF_EXPECT is "none": the kernel knows no P2P route here. */
bool p2pbuf_bed_route_none(void);

/*
 * Read the file at @path into @buf (at most @size - 1 bytes, NUL
 * terminated).  Returns the length read or a negative errno.
 */
int p2pbuf_read_file(const char *path, char *buf, size_t size);

/* Same for @rel below the debugfs mount, e.g. "p2pbuf_probe/report". */
int p2pbuf_debugfs_read(const char *rel, char *buf, size_t size);

/*
 * Reports made of "key value" lines (the probe's, the drivers' debugfs
 * files): copy the value of the first line starting with @key and a space
 * into @val.  Returns false when there is no such line.
 */
bool p2pbuf_kv_get(const char *text, const char *key, char *val,
		   size_t size);
/* Same, parsed as a (decimal, 0x-hex or octal) integer. */
bool p2pbuf_kv_get_long(const char *text, const char *key, long *val);
/*
 * How many lines of @text start with @prefix, after any leading spaces
 * (the indented lines of a debugfs report count too).
 */
int p2pbuf_count_lines(const char *text, const char *prefix);

/*
 * Open the render node of the DRM driver named @driver (drmGetVersion's
 * name, e.g. "p2pbuf_imp" or "vgem").  IGT's drm_open_driver*() only know
 * upstream drivers.  Returns an fd or a negative errno (-ENOENT: no such
 * driver).
 */
int p2pbuf_open_render(const char *driver);

/*
 * Find the first PCI device @vendor:@device: its address ("0000:03:00.0")
 * goes to @bdf and the driver bound to it (empty when none) to @driver.
 * Returns 0, or -ENOENT when there is no such device.
 */
int p2pbuf_pci_find(uint16_t vendor, uint16_t device, char *bdf,
		    size_t bdf_size, char *driver, size_t driver_size);

/*
 * Byte checks the host makes on the exporter BAR's backing file after the
 * guest powered off (see tools/testbed/README.md): BAR2 bytes
 * [@offset, @offset + @len) hold p2pbuf_pattern_byte(@seed, k), or all equal
 * @byte.  Return 0, or a negative errno when $P2PBUF_RESULTS is not set or
 * not writable (outside the bed: the caller decides whether to skip).
 */
int p2pbuf_host_check_pattern(uint64_t offset, uint64_t len, uint32_t seed);
int p2pbuf_host_check_fill(uint64_t offset, uint64_t len, uint8_t byte);

/*
 * Load p2pbuf_importer and open the render node of its DRM device (the
 * edu device): returns the fd.  Skips outside the bed when the module is
 * not installed, or when no edu device is bound.  For igt_fixture.
 */
int p2pbuf_importer_open(void);

/*
 * Load p2pbuf_exporter and find the device it serves (its PCI address into
 * @bdf).  Returns 0, or a negative errno when the module does not load or
 * serves no device: outside the bed the caller then runs without an
 * exporter.  In the bed ($P2PBUF_EXPECT set) both are failures, asserted
 * here: the bed always has the exporter device.  For igt_fixture.
 */
int p2pbuf_exporter_setup(char *bdf, size_t size);

/*
 * The exporter's test importer (p2pbuf_test_importer, loaded by the
 * caller): one command to its debugfs control file ("attach SLOT FD
 * PCI-NAME MODE", "map SLOT", ...; exporter/test_importer.c).  Returns 0 or
 * the command's negative errno.  p2pbuf_ti_detach_all() is an IGT exit
 * handler that detaches every slot, so that a failed subtest leaves no
 * attachment behind.
 */
int p2pbuf_ti_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p2pbuf_ti_detach_all(int sig);

/*
 * The importer's p2p module parameter: imports made while it is off are
 * not peer-to-peer.  p2pbuf_imp_restore_p2p_at_exit() is an IGT exit
 * handler turning it back on.
 */
int p2pbuf_imp_set_p2p(bool on);
void p2pbuf_imp_restore_p2p_at_exit(int sig);

/*
 * Whether the running kernel carries upstream/linux-7.3/ (the fixes of
 * dma_buf_phys_vec_to_sgt(); Documentation/upstream.rst): its last fix
 * exports pci_p2pdma_map_type(), which /proc/kallsyms then lists as
 * __ksymtab_pci_p2pdma_map_type (CONFIG_KALLSYMS_ALL: Debian's kernel and
 * the bed's debug kernel have it).  Returns 1 (fixed), 0 (stock), or a
 * negative errno when kallsyms cannot be read.  Read once, then cached.
 */
int p2pbuf_kernel_fixed(void);

/*
 * A subtest that proves a patch of the series, on a kernel without it,
 * once it has seen the bug the patch fixes: ends the subtest as a skip
 * whose reason starts with "expected failure on a kernel without
 * upstream/linux-7.3/@patch: " and says what was seen, never as a pass.
 * (IGT has no expected-failure result; the summary names it by this
 * prefix.)
 */
void p2pbuf_expected_failure(const char *patch, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/*
 * The lines of a WARN's dump after its "WARNING:" line, which the kernel
 * prints at warning level too: modules, CPU, registers, code, the call
 * trace, lockdep's IRQ state, the end marker.  Ignored only in a subtest
 * that provokes a known WARN, whose own "WARNING:" line it names.  No
 * backslashes: /dev/kmsg, through which igt_emit_ignore_dmesg_regex()
 * reaches the runner, escapes them (\x5c) and the regex no longer
 * compiles; a bracket expression quotes a character instead.
 */
#define P2PBUF_WARN_DUMP_REGEX \
	"Modules linked in:|CPU: [0-9]+ UID: |Tainted: |Hardware name: |" \
	"RIP: [0-9a-f]{4}:|Code: |RSP: |R[A-Z0-9]{2}: [0-9a-f]{16} |" \
	"FS: |CS: |CR2: |Call Trace:|<TASK>|</TASK>|" \
	" +([?] )?[._a-zA-Z0-9]+[+]0x[0-9a-f]+/0x[0-9a-f]+|" \
	"irq event stamp:|hardirqs last|softirqs last|---[[] end trace"

/*
 * The DMA-API checker's error count (/sys/kernel/debug/dma-api/
 * error_count), or -1 on a kernel without CONFIG_DMA_API_DEBUG.
 */
long p2pbuf_dma_api_errors(void);

/*
 * Tell the bed that the subtest @subtest provoked @count DMA-API errors on
 * purpose (a proof subtest seeing its bug on a kernel without the fix):
 * one line in $P2PBUF_RESULTS/dma-api-expected.txt, which
 * igt-tests/debug-checks.sh subtracts from the count it checks.  Asserts
 * that the line was written.
 */
void p2pbuf_dma_api_expected(const char *subtest, long count);

struct drm_p2pbuf_imp_gem_info;
struct drm_p2pbuf_imp_pattern;

/* A DRM ioctl (drmIoctl() retries EINTR/EAGAIN): 0 or a negative errno. */
int p2pbuf_imp_ioctl(int fd, unsigned long req, void *arg);

/*
 * DRM_IOCTL_P2PBUF_IMP_GEM_INFO of @handle with @flags into @info (zeroed
 * first): 0 or a negative errno.
 */
int p2pbuf_imp_gem_info(int fd, uint32_t handle, uint32_t flags,
			struct drm_p2pbuf_imp_gem_info *info);

/* Assert that @size bytes at @ptr hold the pattern of @seed. */
void p2pbuf_cpu_check(const uint8_t *ptr, uint64_t size, uint32_t seed);

/* Fill @size bytes at @ptr with the pattern of @seed. */
void p2pbuf_cpu_fill(volatile uint8_t *ptr, uint64_t size, uint32_t seed);

/*
 * The importer's own objects (asserting success): GEM_CREATE of @size
 * (the size comes back rounded up to pages), a CPU mapping through
 * GEM_MMAP_OFFSET, GEM_CLOSE.
 */
uint32_t p2pbuf_imp_gem_create(int fd, uint64_t size);
uint8_t *p2pbuf_imp_gem_mmap(int fd, uint32_t handle, uint64_t size);
void p2pbuf_imp_gem_close(int fd, uint32_t handle);

/*
 * DRM_IOCTL_P2PBUF_IMP_PATTERN @op over [@offset, @offset + @size) of
 * @handle with @seed: 0 or a negative errno; the ioctl's result in @out
 * when not NULL.
 */
int p2pbuf_imp_pattern(int fd, uint32_t handle, uint32_t op, uint64_t offset,
		       uint64_t size, uint32_t seed,
		       struct drm_p2pbuf_imp_pattern *out);

/* The engine reads [@offset, @offset + @size) back: asserts the pattern. */
void p2pbuf_imp_pattern_check(int fd, uint32_t handle, uint64_t offset,
			      uint64_t size, uint32_t seed);

/*
 * A counter of the importer's debugfs "engine" file, in the DRM device's
 * debugfs directory @dir (relative to debugfs, e.g. "dri/0000:04:00.0").
 */
long p2pbuf_imp_engine_stat(const char *dir, const char *key);

#endif /* P2PBUF_IGT_H */
