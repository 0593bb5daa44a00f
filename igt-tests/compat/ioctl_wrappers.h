/* SPDX-License-Identifier: GPL-2.0 */
/* p2pbuf's own declaration of IGT's ioctl hook (IGT 2.5 ABI). */
#ifndef P2PBUF_COMPAT_IOCTL_WRAPPERS_H
#define P2PBUF_COMPAT_IOCTL_WRAPPERS_H

/*
 * drmIoctl() by default (restarts on EINTR/EAGAIN); IGT swaps it for fault
 * injection.  Thread-local in libigt.  Returns -1 with errno set on failure.
 */
extern __thread int (*igt_ioctl)(int fd, unsigned long request, void *arg);

#endif /* P2PBUF_COMPAT_IOCTL_WRAPPERS_H */
