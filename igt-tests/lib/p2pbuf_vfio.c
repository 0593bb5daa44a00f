// SPDX-License-Identifier: GPL-2.0
/*
 * Upstream VFIO as a dma-buf exporter; see p2pbuf_vfio.h.
 *
 * Plain C without IGT, so that the benchmark's guest tool
 * (tools/bench/p2pbuf_bench.c) uses it too.  The dma-buf feature's
 * structures are declared here: the guest's <linux/vfio.h> (trixie's
 * linux-libc-dev) predates them; the layout is the one of Linux 7.3's
 * include/uapi/linux/vfio.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "p2pbuf_sysfs.h"
#include "p2pbuf_vfio.h"

#define P2PBUF_VFIO_FEATURE_DMA_BUF	11	/* VFIO_DEVICE_FEATURE_DMA_BUF */

/* struct vfio_device_feature_dma_buf of Linux 7.3 */
struct p2pbuf_vfio_feature_dma_buf {
	uint32_t region_index;
	uint32_t open_flags;
	uint32_t flags;
	uint32_t nr_ranges;
	struct p2pbuf_vfio_range dma_ranges[];
};

static const char pci_devices[] = "/sys/bus/pci/devices";
/*
 * vfio's module parameter: it exists exactly when the kernel was built
 * with CONFIG_VFIO_NOIOMMU (drivers/vfio/vfio_main.c), and is writable at
 * run time.  vfio-pci reads it when it registers a device.
 */
static const char noiommu_param[] =
	"/sys/module/vfio/parameters/enable_unsafe_noiommu_mode";

static void __attribute__((format(printf, 3, 4)))
why_set(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!why || !size)
		return;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

/* The name of the driver bound to @bdf into @out ("" for none). */
static void driver_of(const char *bdf, char *out, size_t size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/driver", pci_devices, bdf);
	if (p2pbuf_link_name(path, out, size))
		out[0] = '\0';
}

static int group_of(const char *bdf)
{
	char path[PATH_MAX], group[32];

	snprintf(path, sizeof(path), "%s/%s/iommu_group", pci_devices, bdf);
	if (p2pbuf_link_name(path, group, sizeof(group)) || !group[0])
		return -ENODEV;
	return atoi(group);
}

/* The noiommu mode, 'Y' or 'N'; -ENOENT without CONFIG_VFIO_NOIOMMU. */
static int noiommu_mode(void)
{
	char c = 0;
	int fd = open(noiommu_param, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, &c, 1);
	close(fd);
	if (n != 1)
		return n < 0 ? -errno : -EIO;
	return c == 'Y' ? 'Y' : 'N';
}

/* Drivers VFIO lets share a viable group (vfio_dev_driver_allowed()). */
static int driver_ok_in_group(const char *drv)
{
	return !*drv || !strcmp(drv, "vfio-pci") || !strcmp(drv, "pci-stub") ||
	       !strcmp(drv, "pcieport");
}

static int modprobe(const char *name)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (!pid) {
		execlp("modprobe", "modprobe", "-q", name, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ENOENT;
}

int p2pbuf_vfio_usable(const char *bdf, char *why, size_t why_size)
{
	char path[PATH_MAX], drv[64];
	struct dirent *de;
	int group;
	DIR *d;

	group = group_of(bdf);
	if (group < 0) {
		/* vfio is a module on both kernels: its parameters need it. */
		if (modprobe("vfio-pci")) {
			why_set(why, why_size, "cannot load vfio-pci");
			return -ENOENT;
		}
		if (noiommu_mode() == -ENOENT) {
			why_set(why, why_size,
				"%s has no IOMMU group (no IOMMU here), and this kernel has no VFIO noiommu mode (CONFIG_VFIO_NOIOMMU is not set: vfio has no parameter enable_unsafe_noiommu_mode)",
				bdf);
			return -ENODEV;
		}
		return 0;
	}
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices",
		 group);
	d = opendir(path);
	if (!d) {
		why_set(why, why_size, "cannot list %s", path);
		return -ENODEV;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, bdf))
			continue;
		driver_of(de->d_name, drv, sizeof(drv));
		if (!driver_ok_in_group(drv)) {
			why_set(why, why_size,
				"IOMMU group %d of %s also holds %s, bound to %s: the group is not viable for VFIO (no ACS isolation between them)",
				group, bdf, de->d_name, drv);
			closedir(d);
			return -EBUSY;
		}
	}
	closedir(d);
	if (modprobe("vfio-pci") || modprobe("vfio_iommu_type1")) {
		why_set(why, why_size, "cannot load vfio-pci and vfio_iommu_type1");
		return -ENOENT;
	}
	return 0;
}

/* Bind @bdf to @driver (NULL: whatever matches) through driver_override. */
static int rebind(const char *bdf, const char *driver)
{
	char path[PATH_MAX], cur[64];
	int ret;

	driver_of(bdf, cur, sizeof(cur));
	if (*cur) {
		snprintf(path, sizeof(path), "%s/%s/driver/unbind", pci_devices,
			 bdf);
		ret = p2pbuf_sysfs_write(path, bdf);
		if (ret)
			return ret;
	}
	snprintf(path, sizeof(path), "%s/%s/driver_override", pci_devices, bdf);
	ret = p2pbuf_sysfs_write(path, driver ? driver : "\n");
	if (ret)
		return ret;
	/* -ENODEV or the probe's error when no driver takes it. */
	return p2pbuf_sysfs_write("/sys/bus/pci/drivers_probe", bdf);
}

static void vfio_close_fds(struct p2pbuf_vfio *v)
{
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->device = v->group = v->container = -1;
}

/*
 * No IOMMU: turn VFIO's noiommu mode on (if it is off) before vfio-pci
 * registers the device, so that vfio gives it a group of its own,
 * /dev/vfio/noiommu-<N>, and taints the kernel (TAINT_USER).
 */
static int noiommu_on(struct p2pbuf_vfio *v, char *why, size_t why_size)
{
	int mode = noiommu_mode(), ret;

	if (mode < 0) {
		why_set(why, why_size, "reading %s: %s", noiommu_param,
			strerror(-mode));
		return mode;
	}
	if (mode == 'Y')
		return 0;
	ret = p2pbuf_sysfs_write(noiommu_param, "Y");
	if (ret) {
		why_set(why, why_size, "writing Y to %s: %s", noiommu_param,
			strerror(-ret));
		return ret;
	}
	v->noiommu_set = 1;
	return 0;
}

/* Open the device's group and attach it to a container of @iommu_type. */
static int open_group(struct p2pbuf_vfio *v, unsigned long iommu_type,
		      char *why, size_t why_size)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	const char *type = iommu_type == VFIO_NOIOMMU_IOMMU ? "noiommu" :
							      "type1v2";
	char path[64];
	int ret;

	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0) {
		ret = -errno;
		why_set(why, why_size, "open /dev/vfio/vfio: %s", strerror(errno));
		return ret;
	}
	if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(v->container, VFIO_CHECK_EXTENSION, iommu_type) <= 0) {
		why_set(why, why_size, "the VFIO container has no %s IOMMU",
			type);
		return -EOPNOTSUPP;
	}
	/* vfio names a noiommu group's node noiommu-<N> (vfio_create_group()). */
	snprintf(path, sizeof(path), "/dev/vfio/%s%d",
		 v->noiommu ? "noiommu-" : "", v->group_id);
	v->group = open(path, O_RDWR | O_CLOEXEC);
	if (v->group < 0) {
		ret = -errno;
		why_set(why, why_size, "open %s: %s", path, strerror(errno));
		return ret;
	}
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &status)) {
		ret = -errno;
		why_set(why, why_size, "VFIO_GROUP_GET_STATUS: %s", strerror(errno));
		return ret;
	}
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		why_set(why, why_size, "IOMMU group %d is not viable", v->group_id);
		return -EBUSY;
	}
	/* A noiommu group takes only a noiommu container, and vice versa. */
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) ||
	    ioctl(v->container, VFIO_SET_IOMMU, iommu_type)) {
		ret = -errno;
		why_set(why, why_size, "attaching group %d to a %s container: %s",
			v->group_id, type, strerror(errno));
		return ret;
	}
	return 0;
}

int p2pbuf_vfio_acquire(struct p2pbuf_vfio *v, const char *bdf, char *why,
			size_t why_size)
{
	char drv[64];
	int ret;

	memset(v, 0, sizeof(*v));
	v->container = v->group = v->device = -1;
	snprintf(v->bdf, sizeof(v->bdf), "%s", bdf);
	ret = p2pbuf_vfio_usable(bdf, why, why_size);
	if (ret)
		return ret;
	v->noiommu = group_of(bdf) < 0;
	driver_of(bdf, v->old_driver, sizeof(v->old_driver));
	if (v->noiommu) {
		ret = noiommu_on(v, why, why_size);
		if (ret)
			goto err;
	}

	v->bound = 1;
	ret = rebind(bdf, "vfio-pci");
	driver_of(bdf, drv, sizeof(drv));
	if (ret || strcmp(drv, "vfio-pci")) {
		why_set(why, why_size, "vfio-pci did not bind %s: %s (driver now '%s')",
			bdf, strerror(-ret), drv);
		ret = ret ?: -ENODEV;
		goto err;
	}
	/* noiommu: the group vfio just made for the device. */
	v->group_id = group_of(bdf);
	if (v->group_id < 0) {
		why_set(why, why_size, "vfio-pci bound %s without an IOMMU group",
			bdf);
		ret = -ENODEV;
		goto err;
	}
	ret = open_group(v, v->noiommu ? VFIO_NOIOMMU_IOMMU : VFIO_TYPE1v2_IOMMU,
			 why, why_size);
	if (ret)
		goto err;
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (v->device < 0) {
		ret = -errno;
		why_set(why, why_size, "VFIO_GROUP_GET_DEVICE_FD %s: %s", bdf,
			strerror(errno));
		goto err;
	}
	return 0;

err:
	p2pbuf_vfio_release(v);
	return ret;
}

int p2pbuf_vfio_probe_dma_buf(struct p2pbuf_vfio *v)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			 P2PBUF_VFIO_FEATURE_DMA_BUF,
	};

	return ioctl(v->device, VFIO_DEVICE_FEATURE, &f) ? -errno : 0;
}

int p2pbuf_vfio_export(struct p2pbuf_vfio *v, uint32_t bar,
		       const struct p2pbuf_vfio_range *r, uint32_t n)
{
	struct vfio_device_feature *f;
	struct p2pbuf_vfio_feature_dma_buf *db;
	size_t size = sizeof(*f) + sizeof(*db) + (size_t)n * sizeof(*r);
	int ret;

	f = calloc(1, size);
	if (!f)
		return -ENOMEM;
	f->argsz = size;
	f->flags = VFIO_DEVICE_FEATURE_GET | P2PBUF_VFIO_FEATURE_DMA_BUF;
	db = (struct p2pbuf_vfio_feature_dma_buf *)f->data;
	db->region_index = bar;
	db->open_flags = O_RDWR | O_CLOEXEC;
	db->nr_ranges = n;
	memcpy(db->dma_ranges, r, (size_t)n * sizeof(*r));
	ret = ioctl(v->device, VFIO_DEVICE_FEATURE, f);
	if (ret < 0)
		ret = -errno;
	free(f);
	return ret;
}

int p2pbuf_vfio_release(struct p2pbuf_vfio *v)
{
	char drv[64];
	int ret = 0, mode;

	vfio_close_fds(v);
	if (v->bound) {
		v->bound = 0;
		/* driver_override cleared: the old driver matches by its ids. */
		ret = rebind(v->bdf, NULL);
		driver_of(v->bdf, drv, sizeof(drv));
		if (strcmp(drv, v->old_driver))
			ret = ret ?: -ENODEV;
	}
	/* Off again once no device uses it: it is read at registration. */
	if (v->noiommu_set) {
		v->noiommu_set = 0;
		mode = p2pbuf_sysfs_write(noiommu_param, "N");
		ret = ret ?: mode;
	}
	return ret;
}
