// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_bench - the benchmark's guest tool (see Documentation/
 * benchmarks.rst; tools/bench/bench.sh runs it).
 *
 *   p2pbuf_bench -e helper|legacy|vfio -s SIZE[,SIZE...] -n N[,N...]
 *                [-k K] [-t BUDGET_MS] [-c MARKER_DEV]
 *
 * For every range size and range count it exports N ranges of SIZE bytes
 * of the ivshmem device's BAR2 as one dma-buf (p2pbuf_exporter in its
 * helper or legacy map mode, or upstream VFIO), imports it into the
 * p2pbuf importer and has DRM_IOCTL_P2PBUF_IMP_BENCH_MAP map and unmap it
 * K times.  One CSV line per point on stdout:
 *
 *   exporter,range_size,n,k,nents,map_med,map_p99,unmap_med,unmap_p99,
 *   total_med,total_p99,status
 *
 * (times in ns; status "ok", "skip: <reason>" or "error: <errno name>").
 * K is lowered for slow points so that one point takes about BUDGET_MS
 * (default 2000), never below 5.
 *
 * With -c, for counting IOTLB invalidations in QEMU's trace: around each
 * point's BENCH_MAP the tool writes a marker byte into the PCI config
 * register 0x3c (interrupt line, unused by the drivers) of MARKER_DEV,
 * which QEMU traces as pci_cfg_write; point i is framed by 2i+1 and 2i+2.
 * Its line then starts with "count" and the marker.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "p2pbuf_sysfs.h"
#include "p2pbuf_vfio.h"

#include "../../include/uapi/drm/p2pbuf_imp_drm.h"
#include "../../include/uapi/linux/p2pbuf_exporter.h"

#define EXP_BAR		2

static const char *exporter;
static int imp_fd = -1, exp_fd = -1;
static char exp_bdf[32];
static uint64_t bar_size;
static struct p2pbuf_vfio vfio = { .container = -1, .group = -1, .device = -1 };
static const char *marker_dev;
static unsigned int marker;

static void die(const char *what, int err)
{
	fprintf(stderr, "p2pbuf_bench: %s: %s\n", what, strerror(err));
	p2pbuf_vfio_release(&vfio);
	exit(1);
}

static int open_render(const char *driver)
{
	char path[64];
	drmVersionPtr v;
	int i, fd;

	for (i = 128; i < 192; i++) {
		snprintf(path, sizeof(path), "/dev/dri/renderD%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && !strcmp(v->name, driver)) {
			drmFreeVersion(v);
			return fd;
		}
		if (v)
			drmFreeVersion(v);
		close(fd);
	}
	return -ENOENT;
}

static void find_exporter(void)
{
	if (p2pbuf_exporter_find(exp_bdf, sizeof(exp_bdf)))
		die("no /dev/p2pbuf-exp-*", ENODEV);
}

static void mark(void)
{
	char path[128];
	unsigned char b = ++marker;
	int fd;

	if (!marker_dev)
		return;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config",
		 marker_dev);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || pwrite(fd, &b, 1, 0x3c) != 1)
		die(path, errno);
	close(fd);
}

/* The dma-buf of @n ranges of @size bytes, back to back from offset 0. */
static int export(uint64_t size, uint32_t n)
{
	struct p2pbuf_exp_range *r = calloc(n, sizeof(*r));
	struct p2pbuf_exp_export x = {
		.bar = EXP_BAR, .ranges = (uintptr_t)r, .nr_ranges = n,
		.open_flags = O_RDWR | O_CLOEXEC,
	};
	int fd;

	if (!r)
		die("calloc", ENOMEM);
	for (uint32_t i = 0; i < n; i++)
		r[i] = (struct p2pbuf_exp_range){ i * size, size };
	if (!strcmp(exporter, "vfio")) {
		/* The same layout as VFIO's struct vfio_region_dma_range. */
		fd = p2pbuf_vfio_export(&vfio, EXP_BAR,
					(struct p2pbuf_vfio_range *)r, n);
	} else {
		fd = ioctl(exp_fd, P2PBUF_EXP_IOCTL_EXPORT, &x) ? -errno : x.fd;
	}
	free(r);
	return fd;
}

static int bench(uint32_t handle, uint32_t k,
		 struct drm_p2pbuf_imp_bench_map *b)
{
	memset(b, 0, sizeof(*b));
	b->handle = handle;
	b->iterations = k;
	return drmIoctl(imp_fd, DRM_IOCTL_P2PBUF_IMP_BENCH_MAP, b) ? -errno : 0;
}

static void point(uint64_t size, uint32_t n, uint32_t kmax, uint64_t budget_ns)
{
	struct drm_p2pbuf_imp_bench_map b;
	struct drm_gem_close c = {};
	uint32_t handle, k = kmax;
	int dmabuf, ret, framed = 0;

	if (size * n > bar_size) {
		if (marker_dev)
			printf("count,-,");
		printf("%s,%" PRIu64 ",%u,0,0,0,0,0,0,0,0,skip: %u x %" PRIu64
		       " KiB do not fit in the %" PRIu64 " MiB BAR\n", exporter,
		       size, n, n, size >> 10, bar_size >> 20);
		return;
	}
	dmabuf = export(size, n);
	if (dmabuf < 0) {
		if (marker_dev)
			printf("count,-,");
		printf("%s,%" PRIu64 ",%u,0,0,0,0,0,0,0,0,error: export %s\n",
		       exporter, size, n, strerrorname_np(-dmabuf));
		return;
	}
	if (drmPrimeFDToHandle(imp_fd, dmabuf, &handle))
		die("drmPrimeFDToHandle", errno);

	/* One warm-up sample sizes K to the time budget. */
	ret = bench(handle, 1, &b);
	if (!ret && !marker_dev && b.total_median_ns) {
		uint64_t fit = budget_ns / b.total_median_ns;

		k = fit < 5 ? 5 : fit < kmax ? fit : kmax;
	}
	if (!ret) {
		framed = 1;
		mark();
		ret = bench(handle, k, &b);
		/* Deferred (lazy) IOTLB flushes of the unmaps land in the frame. */
		if (marker_dev)
			usleep(50000);
		mark();
	}
	if (marker_dev && framed)
		printf("count,%u,", marker - 1);
	else if (marker_dev)
		printf("count,-,");
	if (ret)
		printf("%s,%" PRIu64 ",%u,%u,0,0,0,0,0,0,0,error: map %s\n",
		       exporter, size, n, k, strerrorname_np(-ret));
	else
		printf("%s,%" PRIu64 ",%u,%u,%u,%llu,%llu,%llu,%llu,%llu,%llu,ok\n",
		       exporter, size, n, k, b.nents,
		       (unsigned long long)b.map_median_ns,
		       (unsigned long long)b.map_p99_ns,
		       (unsigned long long)b.unmap_median_ns,
		       (unsigned long long)b.unmap_p99_ns,
		       (unsigned long long)b.total_median_ns,
		       (unsigned long long)b.total_p99_ns);
	fflush(stdout);
	c.handle = handle;
	drmIoctl(imp_fd, DRM_IOCTL_GEM_CLOSE, &c);
	close(dmabuf);
}

static unsigned int parse_list(char *s, uint64_t *out, unsigned int max)
{
	unsigned int n = 0;
	char *tok, *end;

	for (tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ",")) {
		out[n] = strtoull(tok, &end, 0);
		if (*end == 'K' || *end == 'k')
			out[n] <<= 10;
		else if (*end == 'M' || *end == 'm')
			out[n] <<= 20;
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	uint64_t sizes[8], ns[16], kmax = 200, budget_ms = 2000;
	struct p2pbuf_exp_query q = {};
	unsigned int nsizes = 0, nns = 0;
	char why[256], path[160];
	int opt, ret;

	while ((opt = getopt(argc, argv, "e:s:n:k:t:c:")) != -1) {
		switch (opt) {
		case 'e':
			exporter = optarg;
			break;
		case 's':
			nsizes = parse_list(optarg, sizes, 8);
			break;
		case 'n':
			nns = parse_list(optarg, ns, 16);
			break;
		case 'k':
			kmax = strtoull(optarg, NULL, 0);
			break;
		case 't':
			budget_ms = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			marker_dev = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!exporter || !nsizes || !nns || !kmax ||
	    kmax > P2PBUF_IMP_BENCH_MAX_ITERATIONS ||
	    (strcmp(exporter, "helper") && strcmp(exporter, "legacy") &&
	     strcmp(exporter, "vfio"))) {
		fprintf(stderr, "usage: p2pbuf_bench -e helper|legacy|vfio -s SIZES -n COUNTS [-k K] [-t BUDGET_MS] [-c MARKER_DEV]\n");
		return 2;
	}

	imp_fd = open_render(P2PBUF_IMP_DRIVER_NAME);
	if (imp_fd < 0)
		die("no p2pbuf_imp render node", -imp_fd);
	find_exporter();
	snprintf(path, sizeof(path), "/dev/p2pbuf-exp-%s", exp_bdf);
	exp_fd = open(path, O_RDWR | O_CLOEXEC);
	if (exp_fd < 0 || ioctl(exp_fd, P2PBUF_EXP_IOCTL_QUERY, &q))
		die(path, errno);
	bar_size = q.bar_size[EXP_BAR];

	if (!strcmp(exporter, "vfio")) {
		close(exp_fd);
		exp_fd = -1;
		ret = p2pbuf_vfio_acquire(&vfio, exp_bdf, why, sizeof(why));
		if (!ret)
			ret = p2pbuf_vfio_probe_dma_buf(&vfio);
		if (ret) {
			if (!why[0])
				snprintf(why, sizeof(why), "no VFIO dma-buf feature");
			for (unsigned int i = 0; i < nsizes; i++)
				for (unsigned int j = 0; j < nns; j++)
					printf("%svfio,%" PRIu64 ",%" PRIu64
					       ",0,0,0,0,0,0,0,0,skip: %s\n",
					       marker_dev ? "count,-," : "",
					       sizes[i], ns[j], why);
			p2pbuf_vfio_release(&vfio);
			return 0;
		}
	} else {
		snprintf(path, sizeof(path),
			 "/sys/kernel/debug/p2pbuf_exporter/%s/map_mode", exp_bdf);
		ret = p2pbuf_sysfs_write(path, exporter);
		if (ret)
			die(path, -ret);
	}

	for (unsigned int i = 0; i < nsizes; i++)
		for (unsigned int j = 0; j < nns; j++)
			point(sizes[i], ns[j], kmax, budget_ms * 1000000ULL);

	if (!strcmp(exporter, "vfio")) {
		ret = p2pbuf_vfio_release(&vfio);
		if (ret)
			die("giving the device back to p2pbuf_exporter", -ret);
	} else {
		p2pbuf_sysfs_write(path, "helper");
	}
	return 0;
}
