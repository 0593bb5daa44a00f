// SPDX-License-Identifier: GPL-2.0
/*
 * Small sysfs and /dev helpers (see p2pbuf_sysfs.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "p2pbuf_sysfs.h"

int p2pbuf_sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int p2pbuf_exporter_find(char *bdf, size_t size)
{
	static const char prefix[] = "p2pbuf-exp-";
	struct dirent *de;
	DIR *dir = opendir("/dev");
	int ret = -ENOENT;

	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, prefix, sizeof(prefix) - 1)) {
			snprintf(bdf, size, "%s", de->d_name + sizeof(prefix) - 1);
			ret = 0;
			break;
		}
	closedir(dir);
	return ret;
}

int p2pbuf_link_name(const char *path, char *name, size_t size)
{
	char link[PATH_MAX];
	const char *base;
	ssize_t len;

	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return -errno;
	link[len] = '\0';
	base = strrchr(link, '/');
	snprintf(name, size, "%s", base ? base + 1 : link);
	return 0;
}

int p2pbuf_chardev_pci_address(int fd, char *bdf, size_t size)
{
	char path[64];
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENOTTY;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device",
		 major(st.st_rdev), minor(st.st_rdev));
	return p2pbuf_link_name(path, bdf, size);
}
