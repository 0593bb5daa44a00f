// SPDX-License-Identifier: GPL-2.0
/*
 * Small sysfs and /dev helpers (see p2pbuf_sysfs.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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
