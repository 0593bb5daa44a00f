// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by p2pbuf's IGT tests; see p2pbuf_igt.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt.h"
#include "igt_kmod.h"
#include "p2pbuf_igt.h"
#include "p2pbuf_sysfs.h"

#include "../../include/uapi/drm/p2pbuf_imp_drm.h"
#include "../../include/uapi/linux/p2pbuf_pattern.h"

static const char *env_or_null(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

const char *p2pbuf_bed_topology(void)
{
	return env_or_null("P2PBUF_TOPO");
}

const char *p2pbuf_bed_expect(void)
{
	return env_or_null("P2PBUF_EXPECT");
}

const char *p2pbuf_bed_data(void)
{
	return env_or_null("P2PBUF_DATA");
}

bool p2pbuf_bed_data_ok(void)
{
	const char *data = p2pbuf_bed_data();

	return !data || !strcmp(data, "ok");
}

bool p2pbuf_bed_route_none(void)
{
	const char *expect = p2pbuf_bed_expect();

	return expect && !strcmp(expect, "none");
}

int p2pbuf_read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd, err = 0;

	if (!size)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return err ? err : (int)len;
}

int p2pbuf_debugfs_read(const char *rel, char *buf, size_t size)
{
	const char *mnt = igt_debugfs_mount();
	char path[PATH_MAX];

	if (!mnt)
		return -ENODEV;
	if (snprintf(path, sizeof(path), "%s/%s", mnt, rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return p2pbuf_read_file(path, buf, size);
}

bool p2pbuf_kv_get(const char *text, const char *key, char *val, size_t size)
{
	size_t klen = strlen(key);
	const char *line, *end;
	size_t vlen;

	for (line = text; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (strncmp(line, key, klen) || line[klen] != ' ')
			continue;
		line += klen + 1;
		vlen = end ? (size_t)(end - line) : strlen(line);
		if (size) {
			if (vlen > size - 1)
				vlen = size - 1;
			memcpy(val, line, vlen);
			val[vlen] = '\0';
		}
		return true;
	}
	return false;
}

bool p2pbuf_kv_get_long(const char *text, const char *key, long *val)
{
	char buf[64], *end;

	if (!p2pbuf_kv_get(text, key, buf, sizeof(buf)) || !buf[0])
		return false;
	errno = 0;
	*val = strtol(buf, &end, 0);
	return !errno && *end == '\0';
}

int p2pbuf_count_lines(const char *text, const char *prefix)
{
	size_t len = strlen(prefix);
	int n = 0;

	while (text && *text) {
		text += strspn(text, " ");
		if (!strncmp(text, prefix, len))
			n++;
		text = strchr(text, '\n');
		if (text)
			text++;
	}
	return n;
}

int p2pbuf_open_render(const char *driver)
{
	char path[PATH_MAX];
	struct dirent *de;
	drmVersionPtr ver;
	int fd = -ENOENT;
	DIR *dir;

	dir = opendir("/dev/dri");
	if (!dir)
		return -ENOENT;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "renderD", 7))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		ver = drmGetVersion(fd);
		if (ver && !strcmp(ver->name, driver)) {
			drmFreeVersion(ver);
			break;
		}
		if (ver)
			drmFreeVersion(ver);
		close(fd);
		fd = -ENOENT;
	}
	closedir(dir);
	return fd;
}

static unsigned long sysfs_hex(const char *dir, const char *name)
{
	char path[PATH_MAX], buf[32];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
	    p2pbuf_read_file(path, buf, sizeof(buf)) <= 0)
		return ~0ul;
	return strtoul(buf, NULL, 16);
}

int p2pbuf_pci_find(uint16_t vendor, uint16_t device, char *bdf,
		    size_t bdf_size, char *driver, size_t driver_size)
{
	static const char devices[] = "/sys/bus/pci/devices";
	char dir[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d;

	d = opendir(devices);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(dir, sizeof(dir), "%s/%s", devices,
			     de->d_name) >= (int)sizeof(dir) ||
		    snprintf(link, sizeof(link), "%s/driver",
			     dir) >= (int)sizeof(link))
			continue;
		if (sysfs_hex(dir, "vendor") != vendor ||
		    sysfs_hex(dir, "device") != device)
			continue;
		snprintf(bdf, bdf_size, "%s", de->d_name);
		if (p2pbuf_link_name(link, driver, driver_size))
			driver[0] = '\0';
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

static int host_check(const char *line)
{
	const char *res = getenv("P2PBUF_RESULTS");
	char path[PATH_MAX];
	FILE *f;
	int err = 0;

	if (!res || !*res)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/host-checks.txt", res);
	f = fopen(path, "a");
	if (!f)
		return -errno;
	if (fputs(line, f) == EOF)
		err = -EIO;
	if (fclose(f) == EOF && !err)
		err = -errno;
	return err;
}

int p2pbuf_host_check_pattern(uint64_t offset, uint64_t len, uint32_t seed)
{
	char line[128];

	snprintf(line, sizeof(line), "pattern %llu %llu %u\n",
		 (unsigned long long)offset, (unsigned long long)len, seed);
	return host_check(line);
}

int p2pbuf_host_check_fill(uint64_t offset, uint64_t len, uint8_t byte)
{
	char line[128];

	snprintf(line, sizeof(line), "fill %llu %llu %u\n",
		 (unsigned long long)offset, (unsigned long long)len, byte);
	return host_check(line);
}

int p2pbuf_ti_cmd(const char *fmt, ...)
{
	char path[PATH_MAX], cmd[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/p2pbuf_test_importer/control",
		 igt_debugfs_mount());
	return p2pbuf_sysfs_write(path, cmd);
}

void p2pbuf_ti_detach_all(int sig)
{
	if (sig)
		return;
	for (int slot = 0; slot < 8; slot++)
		p2pbuf_ti_cmd("detach %d", slot);
}

int p2pbuf_imp_set_p2p(bool on)
{
	return p2pbuf_sysfs_write("/sys/module/p2pbuf_importer/parameters/p2p",
				  on ? "Y" : "N");
}

void p2pbuf_imp_restore_p2p_at_exit(int sig)
{
	(void)sig;
	p2pbuf_imp_set_p2p(true);
}

int p2pbuf_importer_open(void)
{
	int ret = igt_kmod_load("p2pbuf_importer", NULL);
	int fd;

	igt_skip_on_f(ret == -ENOENT && !p2pbuf_bed_expect(),
		      "module p2pbuf_importer is not installed\n");
	igt_assert_f(ret == 0, "loading p2pbuf_importer: %s\n", strerror(-ret));
	fd = p2pbuf_open_render("p2pbuf_imp");
	igt_require_f(fd >= 0, "no edu device bound to p2pbuf_importer\n");
	return fd;
}

int p2pbuf_exporter_setup(char *bdf, size_t size)
{
	bool bed = p2pbuf_bed_expect();
	int ret = igt_kmod_load("p2pbuf_exporter", NULL);

	igt_assert_f(!ret || !bed, "loading p2pbuf_exporter: %s\n",
		     strerror(-ret));
	if (ret)
		return ret;
	ret = p2pbuf_exporter_find(bdf, size);
	igt_assert_f(!ret || !bed,
		     "no device bound to p2pbuf_exporter (no /dev/p2pbuf-exp-*)\n");
	return ret;
}

int p2pbuf_kernel_fixed(void)
{
	static const char sym[] = " __ksymtab_pci_p2pdma_map_type";
	static int fixed = -1;
	char line[512];
	FILE *f;

	if (fixed >= 0)
		return fixed;
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return -errno;
	fixed = 0;
	while (fgets(line, sizeof(line), f)) {
		char *hit = strstr(line, sym);

		/* The symbol, not a longer one it begins (a module's tab). */
		if (hit && (hit[sizeof(sym) - 1] == '\n' ||
			    hit[sizeof(sym) - 1] == '\0')) {
			fixed = 1;
			break;
		}
	}
	fclose(f);
	return fixed;
}

void p2pbuf_expected_failure(const char *patch, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	igt_skip("expected failure on a kernel without upstream/linux-7.3/%s: %s\n",
		 patch, why);
}

long p2pbuf_dma_api_errors(void)
{
	char text[32];

	if (p2pbuf_read_file("/sys/kernel/debug/dma-api/error_count", text,
			     sizeof(text)) <= 0)
		return -1;
	return strtol(text, NULL, 10);
}

void p2pbuf_dma_api_expected(const char *subtest, long count)
{
	const char *dir = getenv("P2PBUF_RESULTS");
	char path[PATH_MAX];
	FILE *f;

	if (!dir)	/* outside the bed: nobody checks the count */
		return;
	snprintf(path, sizeof(path), "%s/dma-api-expected.txt", dir);
	f = fopen(path, "ae");
	igt_assert_f(f, "cannot open %s: %s\n", path, strerror(errno));
	fprintf(f, "%s %ld\n", subtest, count);
	igt_assert_eq(fclose(f), 0);
}

int p2pbuf_imp_ioctl(int fd, unsigned long req, void *arg)
{
	return drmIoctl(fd, req, arg) ? -errno : 0;
}

int p2pbuf_imp_gem_info(int fd, uint32_t handle, uint32_t flags,
			struct drm_p2pbuf_imp_gem_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	info->flags = flags;
	return p2pbuf_imp_ioctl(fd, DRM_IOCTL_P2PBUF_IMP_GEM_INFO, info);
}

void p2pbuf_cpu_check(const uint8_t *ptr, uint64_t size, uint32_t seed)
{
	for (uint64_t k = 0; k < size; k++)
		igt_assert_f(ptr[k] == p2pbuf_pattern_byte(seed, k),
			     "byte %" PRIu64 " is 0x%02x, pattern %u has 0x%02x\n",
			     k, ptr[k], seed, p2pbuf_pattern_byte(seed, k));
}

void p2pbuf_cpu_fill(volatile uint8_t *ptr, uint64_t size, uint32_t seed)
{
	for (uint64_t k = 0; k < size; k++)
		ptr[k] = p2pbuf_pattern_byte(seed, k);
}

uint32_t p2pbuf_imp_gem_create(int fd, uint64_t size)
{
	struct drm_p2pbuf_imp_gem_create c = { .size = size };

	igt_assert_eq(p2pbuf_imp_ioctl(fd, DRM_IOCTL_P2PBUF_IMP_GEM_CREATE, &c), 0);
	igt_assert_eq_u64(c.size, (size + 4095) & ~4095ULL);
	return c.handle;
}

uint8_t *p2pbuf_imp_gem_mmap(int fd, uint32_t handle, uint64_t size)
{
	struct drm_p2pbuf_imp_gem_mmap_offset m = { .handle = handle };
	void *ptr;

	igt_assert_eq(p2pbuf_imp_ioctl(fd, DRM_IOCTL_P2PBUF_IMP_GEM_MMAP_OFFSET, &m),
		      0);
	ptr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   m.offset);
	igt_assert(ptr != MAP_FAILED);
	return ptr;
}

void p2pbuf_imp_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	igt_assert_eq(p2pbuf_imp_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c), 0);
}

int p2pbuf_imp_pattern(int fd, uint32_t handle, uint32_t op, uint64_t offset,
		       uint64_t size, uint32_t seed,
		       struct drm_p2pbuf_imp_pattern *out)
{
	struct drm_p2pbuf_imp_pattern p = {
		.handle = handle, .op = op, .offset = offset, .size = size,
		.seed = seed,
	};
	int ret = p2pbuf_imp_ioctl(fd, DRM_IOCTL_P2PBUF_IMP_PATTERN, &p);

	if (out)
		*out = p;
	return ret;
}

void p2pbuf_imp_pattern_check(int fd, uint32_t handle, uint64_t offset,
			      uint64_t size, uint32_t seed)
{
	struct drm_p2pbuf_imp_pattern p;

	igt_assert_eq(p2pbuf_imp_pattern(fd, handle, P2PBUF_IMP_PATTERN_CHECK,
					 offset, size, seed, &p), 0);
	igt_assert_f(p.bad_offset == P2PBUF_IMP_PATTERN_MATCH,
		     "byte %" PRIu64 " of [%" PRIu64 ", +%" PRIu64
		     ") is 0x%02x, pattern %u has 0x%02x\n",
		     (uint64_t)p.bad_offset, offset, size, p.found, seed,
		     p.expected);
}

long p2pbuf_imp_engine_stat(const char *dir, const char *key)
{
	static char text[8192];
	char rel[128];
	long val;
	int ret;

	snprintf(rel, sizeof(rel), "%s/engine", dir);
	ret = p2pbuf_debugfs_read(rel, text, sizeof(text));
	igt_assert_f(ret > 0, "cannot read debugfs %s: %s\n", rel,
		     strerror(-ret));
	igt_assert_f(p2pbuf_kv_get_long(text, key, &val), "no %s in %s\n",
		     key, rel);
	return val;
}
