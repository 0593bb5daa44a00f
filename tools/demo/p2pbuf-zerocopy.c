// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf-zerocopy - the p2pbuf demo: a "NIC" writes into "GPU memory".
 *
 * The importer device's DMA engine (edu, standing in for a NIC) writes a
 * pattern straight into the exporter device's BAR (ivshmem, standing in
 * for GPU memory) through a dma-buf: no bounce through system memory.
 *
 *   1. export three non-contiguous BAR2 ranges as one dma-buf
 *      (p2pbuf_exporter, /dev/p2pbuf-exp-<bdf>);
 *   2. import it into the importer's render node (drmPrimeFDToHandle);
 *   3. have the importer's engine write the pattern into it;
 *   4. read the bytes back two ways: by the engine, from the BAR
 *      (PATTERN_CHECK), and - after the guest powered off - by the host
 *      in the BAR's backing file (the exporter holds the BAR exclusively,
 *      so userspace cannot mmap it through sysfs);
 *   5. print the P2P route the exporter recorded for the mapping.
 *
 * Exit status 0 when every byte arrived.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <xf86drm.h>

#include <linux/p2pbuf_exporter.h>
#include <linux/p2pbuf_pattern.h>
#include <drm/p2pbuf_imp_drm.h>

#define BAR		2
#define SEED		0x2b
#define NR_RANGES	3

static const struct p2pbuf_exp_range ranges[NR_RANGES] = {
	{ .offset = 0x100000, .length = 0x1000 },
	{ .offset = 0x340000, .length = 0x2000 },
	{ .offset = 0x7ff000, .length = 0x1000 },
};

static int fail(const char *what)
{
	fprintf(stderr, "p2pbuf-zerocopy: %s: %s\n", what, strerror(errno));
	return 1;
}

static int open_render(const char *name)
{
	char path[64];
	int i;

	for (i = 128; i < 192; i++) {
		drmVersionPtr v;
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/renderD%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && !strcmp(v->name, name)) {
			drmFreeVersion(v);
			return fd;
		}
		drmFreeVersion(v);
		close(fd);
	}
	errno = ENODEV;
	return -1;
}

/* The route recorded for our attachment in the exporter's debugfs. */
static void print_route(const char *bdf)
{
	char path[128], line[512];
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/kernel/debug/p2pbuf_exporter/%s/buffers", bdf);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "attach "))
			printf("exporter debugfs:%s", line);
	fclose(f);
}

/* Tell the host which BAR bytes must hold which pattern bytes. */
static void host_checks(void)
{
	const char *res = getenv("P2PBUF_RESULTS");
	uint64_t base = 0;
	char path[256];
	FILE *f;
	int i;

	if (!res)
		return;
	snprintf(path, sizeof(path), "%s/host-checks.txt", res);
	f = fopen(path, "a");
	if (!f)
		return;
	/* The dma-buf is the ranges end to end: range i starts at "base". */
	for (i = 0; i < NR_RANGES; i++) {
		fprintf(f, "pattern %llu %llu %u %llu\n",
			(unsigned long long)ranges[i].offset,
			(unsigned long long)ranges[i].length, SEED,
			(unsigned long long)base);
		base += ranges[i].length;
	}
	fclose(f);
}

int main(void)
{
	struct drm_p2pbuf_imp_pattern pat = { 0 };
	struct drm_p2pbuf_imp_gem_info info = { 0 };
	struct p2pbuf_exp_export exp = { 0 };
	struct p2pbuf_exp_query q = { 0 };
	char bdf[32];
	uint64_t total = 0;
	uint32_t handle;
	glob_t g;
	int efd, rfd, i;

	if (glob("/dev/p2pbuf-exp-*", 0, NULL, &g) || g.gl_pathc < 1) {
		errno = ENODEV;
		return fail("no exporter device (modprobe p2pbuf_exporter)");
	}
	snprintf(bdf, sizeof(bdf), "%s", g.gl_pathv[0] + strlen("/dev/p2pbuf-exp-"));
	efd = open(g.gl_pathv[0], O_RDWR | O_CLOEXEC);
	globfree(&g);
	if (efd < 0)
		return fail("open exporter");
	if (ioctl(efd, P2PBUF_EXP_IOCTL_QUERY, &q))
		return fail("QUERY");
	printf("exporter %s: BAR%d %llu MiB of device memory\n", bdf, BAR,
	       (unsigned long long)(q.bar_size[BAR] >> 20));

	exp.bar = BAR;
	exp.ranges = (uintptr_t)ranges;
	exp.nr_ranges = NR_RANGES;
	exp.open_flags = O_RDWR | O_CLOEXEC;
	if (ioctl(efd, P2PBUF_EXP_IOCTL_EXPORT, &exp))
		return fail("EXPORT");
	for (i = 0; i < NR_RANGES; i++) {
		printf("  range %d: BAR offset 0x%llx, %llu KiB\n", i,
		       (unsigned long long)ranges[i].offset,
		       (unsigned long long)(ranges[i].length >> 10));
		total += ranges[i].length;
	}
	printf("dma-buf fd %d, %llu bytes\n", exp.fd, (unsigned long long)exp.size);

	rfd = open_render(P2PBUF_IMP_DRIVER_NAME);
	if (rfd < 0)
		return fail("no p2pbuf_imp render node (modprobe p2pbuf_importer)");
	if (drmPrimeFDToHandle(rfd, exp.fd, &handle))
		return fail("import (drmPrimeFDToHandle)");
	printf("imported into p2pbuf_imp as GEM handle %u\n", handle);

	pat.handle = handle;
	pat.op = P2PBUF_IMP_PATTERN_WRITE;
	pat.size = total;
	pat.seed = SEED;
	if (ioctl(rfd, DRM_IOCTL_P2PBUF_IMP_PATTERN, &pat))
		return fail("importer DMA into the exporter BAR");
	info.handle = handle;
	if (ioctl(rfd, DRM_IOCTL_P2PBUF_IMP_GEM_INFO, &info))
		return fail("GEM_INFO");
	printf("importer DMA wrote %llu bytes into the BAR over %u DMA segment(s)\n",
	       (unsigned long long)total, info.dma_segments);
	print_route(bdf);

	pat.op = P2PBUF_IMP_PATTERN_CHECK;
	if (ioctl(rfd, DRM_IOCTL_P2PBUF_IMP_PATTERN, &pat))
		return fail("importer DMA back from the BAR");
	if (pat.bad_offset != P2PBUF_IMP_PATTERN_MATCH) {
		printf("engine read back byte %llu as 0x%02x, expected 0x%02x\n",
		       (unsigned long long)pat.bad_offset, pat.found, pat.expected);
		return 1;
	}
	printf("importer DMA read back from the BAR: %llu bytes verified\n",
	       (unsigned long long)total);
	host_checks();
	close(exp.fd);
	close(rfd);
	close(efd);
	return 0;
}
