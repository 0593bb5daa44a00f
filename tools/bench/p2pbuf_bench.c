// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_bench - the benchmark's guest tool (see Documentation/
 * benchmarks.rst; tools/bench/bench.sh runs it).
 *
 *   p2pbuf_bench -w WAY[,WAY...] -s SIZE[,SIZE...] -n N[,N...]
 *                [-k K] [-t BUDGET_MS] [-c MARKER_DEV]
 *
 * For every range size and range count it exports N ranges of SIZE bytes
 * of the ivshmem device's BAR2 as one dma-buf, imports it into the p2pbuf
 * importer and has DRM_IOCTL_P2PBUF_IMP_BENCH_MAP map and unmap it K
 * times, once per WAY:
 *
 *   sgt        p2pbuf_exporter's sg_table (dma_buf_map_attachment());
 *   pal        the importer's own mapping of the exporter's physical
 *              address list (two-step DMA API through an IOMMU);
 *   per-range  the importer's dma_map_phys() per range (legacy baseline);
 *   vfio       upstream VFIO's dma-buf of the same ranges, its sg_table.
 *
 * The p2pbuf ways of one point run one after the other on the same import,
 * so that whatever drifts in the machine drifts for all of them alike;
 * VFIO's points come after all others (the device changes drivers once).
 * One CSV line per way and point on stdout:
 *
 *   way,range_size,n,k,nents,first_ns,map_med,map_p99,unmap_med,
 *   unmap_p99,total_med,total_p99,status
 *
 * (times in ns; first_ns is the map + unmap of the first iteration on
 * the import, the warm-up, which is not among the K; status "ok",
 * "skip: <reason>" or "error: <errno name>").  K is lowered for slow
 * points so that one point takes about BUDGET_MS (default 2000), never
 * below 5.
 *
 * With -c, for counting IOTLB invalidations in QEMU's trace: around each
 * timed BENCH_MAP the tool writes a marker byte into the PCI config
 * register 0x3c (interrupt line, unused by the drivers) of MARKER_DEV,
 * which QEMU traces as pci_cfg_write; the i-th frame is 2i+1 and 2i+2
 * (mod 256).  Every way and point gets two frames, K and 2K iterations,
 * so that the difference counts K iterations and nothing a call does
 * once; its line starts with "count" and the first frame's marker.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
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
#define MAX_WAYS	4

/* The ways, by name; "vfio" is way SGT of VFIO's dma-buf. */
static const struct way {
	const char *name;
	uint32_t imp_way;
	bool vfio;
} all_ways[] = {
	{ "sgt", P2PBUF_IMP_BENCH_WAY_SGT, false },
	{ "pal", P2PBUF_IMP_BENCH_WAY_PAL, false },
	{ "per-range", P2PBUF_IMP_BENCH_WAY_PER_RANGE, false },
	{ "vfio", P2PBUF_IMP_BENCH_WAY_SGT, true },
};

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
static int export(bool use_vfio, uint64_t size, uint32_t n)
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
	if (use_vfio) {
		/* The same layout as VFIO's struct vfio_region_dma_range. */
		fd = p2pbuf_vfio_export(&vfio, EXP_BAR,
					(struct p2pbuf_vfio_range *)r, n);
	} else {
		fd = ioctl(exp_fd, P2PBUF_EXP_IOCTL_EXPORT, &x) ? -errno : x.fd;
	}
	free(r);
	return fd;
}

static int bench(uint32_t handle, uint32_t imp_way, uint32_t k,
		 struct drm_p2pbuf_imp_bench_map *b)
{
	memset(b, 0, sizeof(*b));
	b->handle = handle;
	b->iterations = k;
	b->way = imp_way;
	return drmIoctl(imp_fd, DRM_IOCTL_P2PBUF_IMP_BENCH_MAP, b) ? -errno : 0;
}

/* A BENCH_MAP between two markers (counting mode). */
static int framed(uint32_t handle, uint32_t imp_way, uint32_t k,
		  struct drm_p2pbuf_imp_bench_map *b)
{
	int ret;

	mark();
	ret = bench(handle, imp_way, k, b);
	/* Deferred (lazy) IOTLB flushes of the unmaps land in the frame. */
	usleep(50000);
	mark();
	return ret;
}

static void line_start(void)
{
	if (marker_dev)
		printf("count,-,");
}

/* A point's line for a way that did not run. */
static void not_run(const char *way, uint64_t size, uint32_t n, uint32_t k,
		    const char *why)
{
	line_start();
	printf("%s,%" PRIu64 ",%u,%u,0,0,0,0,0,0,0,0,%s\n", way, size, n, k,
	       why);
}

/* One way on an import: the warm-up sizes K, then the timed run. */
static void measure(const struct way *w, uint32_t handle, uint64_t size,
		    uint32_t n, uint32_t kmax, uint64_t budget_ns)
{
	struct drm_p2pbuf_imp_bench_map b;
	uint64_t first;
	char why[64];
	uint32_t k = kmax;
	int ret;

	ret = bench(handle, w->imp_way, 1, &b);
	if (ret == -EOPNOTSUPP) {
		/* The exporter gave this import no physical address list. */
		not_run(w->name, size, n, 0, "skip: no PAL (EOPNOTSUPP)");
		return;
	}
	if (ret) {
		snprintf(why, sizeof(why), "error: map %s", strerrorname_np(-ret));
		not_run(w->name, size, n, 0, why);
		return;
	}
	first = b.total_median_ns;
	if (!marker_dev && first) {
		uint64_t fit = budget_ns / first;

		k = fit < 5 ? 5 : fit < kmax ? fit : kmax;
	}
	if (marker_dev) {
		unsigned int first_marker = marker + 1;

		/*
		 * Two frames, K and 2K iterations: the difference is K
		 * iterations' worth, without what one call does once (the
		 * PAL attachment's negotiation, a probe mapping).
		 */
		ret = framed(handle, w->imp_way, k, &b);
		if (!ret)
			ret = framed(handle, w->imp_way, 2 * k, &b);
		printf("count,%u,", first_marker);
	} else {
		ret = bench(handle, w->imp_way, k, &b);
	}
	if (ret) {
		printf("%s,%" PRIu64 ",%u,%u,0,0,0,0,0,0,0,0,error: map %s\n",
		       w->name, size, n, k, strerrorname_np(-ret));
		return;
	}
	printf("%s,%" PRIu64 ",%u,%u,%u,%" PRIu64 ",%llu,%llu,%llu,%llu,%llu,%llu,ok\n",
	       w->name, size, n, k, b.nents, first,
	       (unsigned long long)b.map_median_ns,
	       (unsigned long long)b.map_p99_ns,
	       (unsigned long long)b.unmap_median_ns,
	       (unsigned long long)b.unmap_p99_ns,
	       (unsigned long long)b.total_median_ns,
	       (unsigned long long)b.total_p99_ns);
}

/* One point: one export and import, every way of @ways on it. */
static void point(const struct way **ways, unsigned int nways, uint64_t size,
		  uint32_t n, uint32_t kmax, uint64_t budget_ns)
{
	struct drm_gem_close c = {};
	char why[160];
	uint32_t handle;
	int dmabuf;

	if (size * n > bar_size) {
		snprintf(why, sizeof(why),
			 "skip: %u x %" PRIu64 " KiB do not fit in the %" PRIu64
			 " MiB BAR", n, size >> 10, bar_size >> 20);
		for (unsigned int i = 0; i < nways; i++)
			not_run(ways[i]->name, size, n, 0, why);
		return;
	}
	dmabuf = export(ways[0]->vfio, size, n);
	if (dmabuf < 0) {
		snprintf(why, sizeof(why), "error: export %s",
			 strerrorname_np(-dmabuf));
		for (unsigned int i = 0; i < nways; i++)
			not_run(ways[i]->name, size, n, 0, why);
		return;
	}
	if (drmPrimeFDToHandle(imp_fd, dmabuf, &handle))
		die("drmPrimeFDToHandle", errno);
	for (unsigned int i = 0; i < nways; i++) {
		measure(ways[i], handle, size, n, kmax, budget_ns);
		fflush(stdout);
	}
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

/* -w: the ways by name, p2pbuf's first; 0 for an unknown name. */
static unsigned int parse_ways(char *s, const struct way **p2p,
			       unsigned int *np2p, const struct way **v)
{
	unsigned int n = 0;

	*np2p = 0;
	*v = NULL;
	for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
		unsigned int i;

		for (i = 0; i < MAX_WAYS; i++)
			if (!strcmp(tok, all_ways[i].name))
				break;
		if (i == MAX_WAYS)
			return 0;
		if (all_ways[i].vfio)
			*v = &all_ways[i];
		else if (*np2p < MAX_WAYS)
			p2p[(*np2p)++] = &all_ways[i];
		n++;
	}
	return n;
}

/* VFIO's points: the device goes to vfio-pci for them and comes back. */
static void run_vfio(const struct way *w, const uint64_t *sizes,
		     unsigned int nsizes, const uint64_t *ns, unsigned int nns,
		     uint32_t kmax, uint64_t budget_ns)
{
	char why[256] = "";
	int ret;

	ret = p2pbuf_vfio_acquire(&vfio, exp_bdf, why, sizeof(why));
	if (!ret)
		ret = p2pbuf_vfio_probe_dma_buf(&vfio);
	if (ret) {
		char skip[300];

		snprintf(skip, sizeof(skip), "skip: %s",
			 why[0] ? why : "no VFIO dma-buf feature");
		for (unsigned int i = 0; i < nsizes; i++)
			for (unsigned int j = 0; j < nns; j++)
				not_run(w->name, sizes[i], ns[j], 0, skip);
		p2pbuf_vfio_release(&vfio);
		return;
	}
	for (unsigned int i = 0; i < nsizes; i++)
		for (unsigned int j = 0; j < nns; j++)
			point(&w, 1, sizes[i], ns[j], kmax, budget_ns);
	ret = p2pbuf_vfio_release(&vfio);
	if (ret)
		die("giving the device back to p2pbuf_exporter", -ret);
}

int main(int argc, char **argv)
{
	uint64_t sizes[8], ns[16], kmax = 200, budget_ms = 2000;
	const struct way *p2p[MAX_WAYS], *vfio_way = NULL;
	unsigned int nsizes = 0, nns = 0, nways = 0, np2p = 0;
	struct p2pbuf_exp_query q = {};
	char path[160];
	int opt;

	while ((opt = getopt(argc, argv, "w:s:n:k:t:c:")) != -1) {
		switch (opt) {
		case 'w':
			nways = parse_ways(optarg, p2p, &np2p, &vfio_way);
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
	if (!nways || !nsizes || !nns || !kmax ||
	    kmax > P2PBUF_IMP_BENCH_MAX_ITERATIONS) {
		fprintf(stderr, "usage: p2pbuf_bench -w sgt,pal,per-range,vfio -s SIZES -n COUNTS [-k K] [-t BUDGET_MS] [-c MARKER_DEV]\n");
		return 2;
	}

	imp_fd = open_render(P2PBUF_IMP_DRIVER_NAME);
	if (imp_fd < 0)
		die("no p2pbuf_imp render node", -imp_fd);
	if (p2pbuf_exporter_find(exp_bdf, sizeof(exp_bdf)))
		die("no /dev/p2pbuf-exp-*", ENODEV);
	snprintf(path, sizeof(path), "/dev/p2pbuf-exp-%s", exp_bdf);
	exp_fd = open(path, O_RDWR | O_CLOEXEC);
	if (exp_fd < 0 || ioctl(exp_fd, P2PBUF_EXP_IOCTL_QUERY, &q))
		die(path, errno);
	bar_size = q.bar_size[EXP_BAR];

	if (np2p)
		for (unsigned int i = 0; i < nsizes; i++)
			for (unsigned int j = 0; j < nns; j++)
				point(p2p, np2p, sizes[i], ns[j], kmax,
				      budget_ms * 1000000ULL);
	close(exp_fd);
	exp_fd = -1;
	if (vfio_way)
		run_vfio(vfio_way, sizes, nsizes, ns, nns, kmax,
			 budget_ms * 1000000ULL);
	return 0;
}
