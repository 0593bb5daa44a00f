// SPDX-License-Identifier: GPL-2.0
/*
 * The character device of a bound PCI function and its ioctls.
 *
 * Once the driver has been unbound from the device every ioctl fails with
 * -ENODEV.  Otherwise an ioctl copies its argument in and validates every
 * field (unknown flags and non-zero reserved fields are -EINVAL) before it
 * changes anything.
 */
#include <linux/dma-buf.h>
#include <linux/dma-buf-mapping.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <uapi/linux/p2pbuf_exporter.h>

#include "p2pbuf_exporter.h"

static bool p2pbuf_exp_gone(struct p2pbuf_exp_dev *dev)
{
	bool gone;

	mutex_lock(&dev->lock);
	gone = dev->gone;
	mutex_unlock(&dev->lock);
	return gone;
}

static int p2pbuf_exp_ioctl_query(struct p2pbuf_exp_dev *dev,
				  struct p2pbuf_exp_query __user *uarg)
{
	struct p2pbuf_exp_query q;
	unsigned int i;

	if (copy_from_user(&q, uarg, sizeof(q)))
		return -EFAULT;
	if (q.flags || memchr_inv(q.reserved, 0, sizeof(q.reserved)))
		return -EINVAL;
	q.bar_mask = 0;
	for (i = 0; i < P2PBUF_EXP_NUM_BARS; i++) {
		q.bar_size[i] = dev->bars[i].len;
		if (dev->bars[i].len)
			q.bar_mask |= BIT(i);
	}
	q.max_ranges = P2PBUF_EXP_MAX_RANGES;
	q.align = PAGE_SIZE;
	q.alloc_offset = p2pbuf_exp_bar_alloc_offset();

	if (copy_to_user(uarg, &q, sizeof(q)))
		return -EFAULT;
	return 0;
}

/* O_RDONLY or O_RDWR, maybe with O_CLOEXEC: what a dma-buf file can be. */
static bool p2pbuf_exp_open_flags_valid(u32 open_flags)
{
	u32 mode = open_flags & O_ACCMODE;

	if (open_flags & ~(O_ACCMODE | O_CLOEXEC))
		return false;
	return mode == O_RDONLY || mode == O_RDWR;
}

/*
 * Validate the fields of an export request that need no user memory.  The
 * BAR index is clamped under speculation as well (array_index_nospec()):
 * it indexes @dev->bars here and in the caller.
 */
static int p2pbuf_exp_check_export(struct p2pbuf_exp_dev *dev,
				   struct p2pbuf_exp_export *args)
{
	if (args->flags || args->reserved0 ||
	    memchr_inv(args->reserved, 0, sizeof(args->reserved)))
		return -EINVAL;
	if (!p2pbuf_exp_open_flags_valid(args->open_flags))
		return -EINVAL;
	if (args->bar >= P2PBUF_EXP_NUM_BARS)
		return -EINVAL;
	args->bar = array_index_nospec(args->bar, P2PBUF_EXP_NUM_BARS);
	if (!dev->bars[args->bar].len)
		return -ENXIO;
	if (!args->nr_ranges)
		return -EINVAL;
	if (args->nr_ranges > P2PBUF_EXP_MAX_RANGES)
		return -E2BIG;
	return 0;
}

/*
 * The last step of EXPORT and ALLOC: copy the answer @args (with @fd in
 * it) to userspace, then install @fd for the new dma-buf.  If the copy
 * fails the dma-buf is destroyed and @fd given back: userspace never sees
 * a descriptor it was not told about.
 */
static int p2pbuf_exp_hand_out(struct p2pbuf_exp_buffer *buf, int fd,
			       void __user *uarg, const void *args,
			       size_t size)
{
	if (copy_to_user(uarg, args, size)) {
		dma_buf_put(buf->dmabuf);
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, buf->dmabuf->file);
	return 0;
}

static int p2pbuf_exp_ioctl_export(struct p2pbuf_exp_dev *dev,
				   struct p2pbuf_exp_export __user *uarg)
{
	struct p2pbuf_exp_range *ranges;
	struct p2pbuf_exp_export args;
	struct p2pbuf_exp_buffer *buf;
	struct phys_vec *vec;
	size_t size;
	int fd, ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	ret = p2pbuf_exp_check_export(dev, &args);
	if (ret)
		return ret;
	ranges = vmemdup_array_user(u64_to_user_ptr(args.ranges),
				    args.nr_ranges, sizeof(*ranges));
	if (IS_ERR(ranges))
		return PTR_ERR(ranges);
	vec = kvcalloc(args.nr_ranges, sizeof(*vec), GFP_KERNEL);
	if (!vec) {
		ret = -ENOMEM;
		goto err_free_ranges;
	}
	ret = p2pbuf_exp_ranges_to_vec(ranges, args.nr_ranges,
				       &dev->bars[args.bar], vec, &size);
	if (ret)
		goto err_free_vec;

	fd = get_unused_fd_flags(args.open_flags & O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_free_vec;
	}
	buf = p2pbuf_exp_buffer_create(dev, args.bar, vec, args.nr_ranges,
				       size, args.open_flags);
	if (IS_ERR(buf)) {
		ret = PTR_ERR(buf);
		goto err_put_fd;
	}
	/* @vec belongs to the buffer now. */
	kvfree(ranges);

	args.fd = fd;
	args.size = size;
	return p2pbuf_exp_hand_out(buf, fd, uarg, &args, sizeof(args));

err_put_fd:
	put_unused_fd(fd);
err_free_vec:
	kvfree(vec);
err_free_ranges:
	kvfree(ranges);
	return ret;
}

/*
 * The buffer behind dma-buf file descriptor @fd of the caller, with a
 * reference on its dma-buf (drop it with dma_buf_put()).  -EBADF or
 * -EINVAL as dma_buf_get(); -EINVAL if @dev did not export it.
 */
static struct p2pbuf_exp_buffer *p2pbuf_exp_buffer_get(struct p2pbuf_exp_dev *dev,
						       int fd)
{
	struct p2pbuf_exp_buffer *buf;
	struct dma_buf *dmabuf;

	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return ERR_CAST(dmabuf);
	buf = p2pbuf_exp_buffer_of(dmabuf, dev);
	if (!buf) {
		dma_buf_put(dmabuf);
		return ERR_PTR(-EINVAL);
	}
	return buf;
}

static int p2pbuf_exp_ioctl_revoke(struct p2pbuf_exp_dev *dev,
				   struct p2pbuf_exp_revoke __user *uarg)
{
	struct p2pbuf_exp_revoke args;
	struct p2pbuf_exp_buffer *buf;
	int ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~P2PBUF_EXP_REVOKE_RESTORE) || args.reserved)
		return -EINVAL;
	buf = p2pbuf_exp_buffer_get(dev, args.fd);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	/* A migratable object is not revoked but kept in system memory. */
	if (buf->obj && args.flags & P2PBUF_EXP_REVOKE_RESTORE)
		p2pbuf_exp_obj_restore(buf, P2PBUF_EXP_REVOKED_USER);
	else if (buf->obj)
		ret = p2pbuf_exp_obj_evict(buf, P2PBUF_EXP_REVOKED_USER, true);
	else if (args.flags & P2PBUF_EXP_REVOKE_RESTORE)
		p2pbuf_revoke_clear(&buf->revoke, P2PBUF_EXP_REVOKED_USER);
	else
		ret = p2pbuf_revoke_set_killable(&buf->revoke,
						 P2PBUF_EXP_REVOKED_USER);
	args.state = buf->obj ? READ_ONCE(buf->obj->evicted) :
				p2pbuf_revoke_state(&buf->revoke);
	if (!ret && copy_to_user(uarg, &args, sizeof(args)))
		ret = -EFAULT;
	dma_buf_put(buf->dmabuf);
	return ret;
}

/*
 * Validate an allocation request; fills in the default alignment and
 * clamps the BAR index under speculation, as p2pbuf_exp_check_export().
 */
static int p2pbuf_exp_check_alloc(struct p2pbuf_exp_dev *dev,
				  struct p2pbuf_exp_alloc *args)
{
	u64 bar_len;

	if ((args->flags & ~P2PBUF_EXP_ALLOC_MIGRATABLE) ||
	    memchr_inv(args->reserved, 0, sizeof(args->reserved)))
		return -EINVAL;
	if (!p2pbuf_exp_open_flags_valid(args->open_flags))
		return -EINVAL;
	if (args->bar >= P2PBUF_EXP_NUM_BARS)
		return -EINVAL;
	args->bar = array_index_nospec(args->bar, P2PBUF_EXP_NUM_BARS);
	bar_len = dev->bars[args->bar].len;
	if (!bar_len)
		return -ENXIO;
	if (!args->size || !PAGE_ALIGNED(args->size) || args->size > bar_len)
		return -EINVAL;
	if (!args->align)
		args->align = PAGE_SIZE;
	/* genalloc's alignment is an int: 1 GiB is the most it can do. */
	if (!is_power_of_2(args->align) || args->align < PAGE_SIZE ||
	    args->align > bar_len || args->align > SZ_1G)
		return -EINVAL;
	return 0;
}

static int p2pbuf_exp_ioctl_alloc(struct p2pbuf_exp_dev *dev,
				  struct p2pbuf_exp_alloc __user *uarg)
{
	struct p2pbuf_exp_alloc args;
	struct p2pbuf_exp_buffer *buf;
	u64 align;
	int fd, ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	align = args.align;
	ret = p2pbuf_exp_check_alloc(dev, &args);
	if (ret)
		return ret;

	fd = get_unused_fd_flags(args.open_flags & O_CLOEXEC);
	if (fd < 0)
		return fd;
	buf = p2pbuf_exp_object_alloc(dev, args.bar, args.size, args.align,
				      args.flags & P2PBUF_EXP_ALLOC_MIGRATABLE,
				      args.open_flags, &args.offset);
	if (IS_ERR(buf)) {
		put_unused_fd(fd);
		return PTR_ERR(buf);
	}

	args.align = align;
	args.fd = fd;
	return p2pbuf_exp_hand_out(buf, fd, uarg, &args, sizeof(args));
}

static int p2pbuf_exp_ioctl_info(struct p2pbuf_exp_dev *dev,
				 struct p2pbuf_exp_info __user *uarg)
{
	struct p2pbuf_exp_info args;
	struct p2pbuf_exp_buffer *buf;
	int ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || memchr_inv(args.reserved, 0, sizeof(args.reserved)))
		return -EINVAL;
	buf = p2pbuf_exp_buffer_get(dev, args.fd);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	p2pbuf_exp_object_info(buf, &args);
	if (copy_to_user(uarg, &args, sizeof(args)))
		ret = -EFAULT;
	dma_buf_put(buf->dmabuf);
	return ret;
}

static long p2pbuf_exp_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct p2pbuf_exp_dev *dev = file->private_data;
	void __user *uarg = (void __user *)arg;

	/* Re-checked under the lock where it matters (exporting). */
	if (p2pbuf_exp_gone(dev))
		return -ENODEV;

	switch (cmd) {
	case P2PBUF_EXP_IOCTL_QUERY:
		return p2pbuf_exp_ioctl_query(dev, uarg);
	case P2PBUF_EXP_IOCTL_EXPORT:
		return p2pbuf_exp_ioctl_export(dev, uarg);
	case P2PBUF_EXP_IOCTL_REVOKE:
		return p2pbuf_exp_ioctl_revoke(dev, uarg);
	case P2PBUF_EXP_IOCTL_ALLOC:
		return p2pbuf_exp_ioctl_alloc(dev, uarg);
	case P2PBUF_EXP_IOCTL_INFO:
		return p2pbuf_exp_ioctl_info(dev, uarg);
	default:
		return -ENOTTY;
	}
}

static int p2pbuf_exp_open(struct inode *inode, struct file *file)
{
	struct p2pbuf_exp_dev *dev = container_of(file->private_data,
						  struct p2pbuf_exp_dev, misc);

	/* misc_open() holds misc_mtx: misc_deregister() cannot run now. */
	kref_get(&dev->kref);
	file->private_data = dev;
	return 0;
}

static int p2pbuf_exp_release_file(struct inode *inode, struct file *file)
{
	p2pbuf_exp_dev_put(file->private_data);
	return 0;
}

static const struct file_operations p2pbuf_exp_fops = {
	.owner = THIS_MODULE,
	.open = p2pbuf_exp_open,
	.release = p2pbuf_exp_release_file,
	.unlocked_ioctl = p2pbuf_exp_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/**
 * p2pbuf_exp_cdev_register() - create /dev/p2pbuf-exp-<pci name>
 * @dev: the device, fully set up
 *
 * Return: 0 or the error of misc_register().
 */
int p2pbuf_exp_cdev_register(struct p2pbuf_exp_dev *dev)
{
	snprintf(dev->name, sizeof(dev->name), "p2pbuf-exp-%s",
		 pci_name(dev->pdev));
	dev->misc.minor = MISC_DYNAMIC_MINOR;
	dev->misc.name = dev->name;
	dev->misc.fops = &p2pbuf_exp_fops;
	dev->misc.parent = &dev->pdev->dev;
	dev->misc.mode = 0600;
	return misc_register(&dev->misc);
}

/**
 * p2pbuf_exp_cdev_unregister() - remove the character device
 * @dev: the device
 *
 * Files already open stay usable until closed; their ioctls see
 * &p2pbuf_exp_dev.gone once remove() has set it.
 */
void p2pbuf_exp_cdev_unregister(struct p2pbuf_exp_dev *dev)
{
	misc_deregister(&dev->misc);
}
