// SPDX-License-Identifier: GPL-2.0
/*
 * Turn the {offset, length} ranges of an export request into the
 * buffer's physical ranges, validating every one.
 */
#include <linux/dma-buf-mapping.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sort.h>

#include <uapi/linux/p2pbuf_exporter.h>

#include "p2pbuf_exporter.h"

static int cmp_range_offset(const void *a, const void *b)
{
	const struct p2pbuf_exp_range *ra = a, *rb = b;

	if (ra->offset < rb->offset)
		return -1;
	return ra->offset > rb->offset;
}

/**
 * p2pbuf_exp_ranges_to_vec() - validate ranges of a BAR, make phys_vecs
 * @ranges: the ranges, as userspace passed them; reordered on return
 * @nr_ranges: number of ranges, at least 1
 * @bar: the BAR the ranges are in
 * @vec: filled with one physical range per range, in the order of @ranges
 *	as passed
 * @size: set to the sum of the lengths
 *
 * Every range must have a non-zero length, a page-aligned offset and
 * length, must not wrap around, must end inside the BAR and must not
 * overlap another range.  The first failing check decides the error.
 *
 * Return: 0; -EINVAL for a zero length, a misaligned offset or length, or
 * overlapping ranges; -EOVERFLOW if offset + length wraps around;
 * -ERANGE if a range ends beyond the BAR.
 */
int p2pbuf_exp_ranges_to_vec(struct p2pbuf_exp_range *ranges, u32 nr_ranges,
			     const struct p2pbuf_exp_bar *bar,
			     struct phys_vec *vec, size_t *size)
{
	size_t total = 0;
	u64 end;
	u32 i;

	for (i = 0; i < nr_ranges; i++) {
		const struct p2pbuf_exp_range *r = &ranges[i];

		if (!r->length || !PAGE_ALIGNED(r->offset) ||
		    !PAGE_ALIGNED(r->length))
			return -EINVAL;
		if (check_add_overflow(r->offset, r->length, &end))
			return -EOVERFLOW;
		if (end > bar->len)
			return -ERANGE;
		/* Inside the BAR, so neither the address nor the sum wraps. */
		vec[i].paddr = bar->start + r->offset;
		vec[i].len = r->length;
		if (check_add_overflow(total, r->length, &total))
			return -EOVERFLOW;
	}

	/* @vec is built: sort @ranges by offset to find overlaps. */
	sort(ranges, nr_ranges, sizeof(*ranges), cmp_range_offset, NULL);
	for (i = 1; i < nr_ranges; i++)
		if (ranges[i].offset < ranges[i - 1].offset + ranges[i - 1].length)
			return -EINVAL;

	*size = total;
	return 0;
}
