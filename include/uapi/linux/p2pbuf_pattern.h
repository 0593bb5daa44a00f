/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The byte pattern p2pbuf's tests move between devices and check from the
 * guest and from the host (in the exporter BAR's backing file).
 */
#ifndef _UAPI_LINUX_P2PBUF_PATTERN_H
#define _UAPI_LINUX_P2PBUF_PATTERN_H

#include <linux/types.h>

/**
 * p2pbuf_pattern_byte() - byte @k of the pattern with seed @seed
 * @seed: pattern seed; different seeds give different patterns
 * @k: byte index from the start of the patterned range
 *
 * The (k >> 8) term keeps the pattern from repeating every 256 bytes.
 *
 * Return: the byte.
 */
static inline __u8 p2pbuf_pattern_byte(__u32 seed, __u64 k)
{
	return (__u8)(seed + 7 * k + (k >> 8));
}

#endif /* _UAPI_LINUX_P2PBUF_PATTERN_H */
