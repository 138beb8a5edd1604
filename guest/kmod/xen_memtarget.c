// SPDX-License-Identifier: GPL-2.0
/*
 * xen_memtarget: the Xen users' manual's /proc/xen/memory_target in the
 * demo guest, which is not a Xen guest (so has no xenfs and no /proc/xen).
 *
 * Reading the file gives the domain's memory target in MB.  Writing a
 * number asks for a new target: a number outside min..max fails with
 * ERANGE ("Numerical result out of range") and anything else with EINVAL,
 * so the writer sees the refusal at once.  The guest agent
 * (/lib/guest/xen-agent) is the other end, through the parameters in
 * /sys/module/xen_memtarget/parameters/ (root only): it sets "target"
 * from the host, and "min" and "max" at start; it collects the owner's
 * requests from "request" (0: none) and sends them to the host, whose
 * answer it writes back into "target".
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

static unsigned int target;
static unsigned int min_mb = 16;	/* xend's smallest target */
static unsigned int max_mb;		/* 0: no upper bound */
static unsigned int request;

module_param(target, uint, 0600);
MODULE_PARM_DESC(target, "the current memory target in MB (the host's)");
module_param_named(min, min_mb, uint, 0600);
MODULE_PARM_DESC(min, "the smallest target a write may ask for, in MB");
module_param_named(max, max_mb, uint, 0600);
MODULE_PARM_DESC(max, "the largest target a write may ask for, in MB");
module_param(request, uint, 0600);
MODULE_PARM_DESC(request, "the last target written, in MB, until the agent "
	"takes it (0)");

static struct proc_dir_entry *xen_dir;

static int memtarget_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%u\n", READ_ONCE(target));
	return 0;
}

static int memtarget_open(struct inode *inode, struct file *file)
{
	return single_open(file, memtarget_show, NULL);
}

static ssize_t memtarget_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	char buf[24];
	unsigned int mb, lo = READ_ONCE(min_mb), hi = READ_ONCE(max_mb);

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (kstrtouint(strim(buf), 10, &mb)) {
		pr_warn("memory_target: '%s' is not a number of MB\n",
			strim(buf));
		return -EINVAL;
	}
	if (mb < lo || (hi != 0 && mb > hi)) {
		pr_warn("memory_target: %u MB is out of range (%u to %u MB); "
			"the target stays %u MB\n", mb, lo, hi,
			READ_ONCE(target));
		return -ERANGE;
	}
	/* Shown at once; the agent puts back the host's answer. */
	WRITE_ONCE(target, mb);
	WRITE_ONCE(request, mb);
	return count;
}

static const struct proc_ops memtarget_ops = {
	.proc_open	= memtarget_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= single_release,
	.proc_write	= memtarget_write,
};

static int __init memtarget_init(void)
{
	xen_dir = proc_mkdir("xen", NULL);
	if (!xen_dir)
		return -ENOMEM;
	if (!proc_create("memory_target", 0644, xen_dir, &memtarget_ops)) {
		proc_remove(xen_dir);
		return -ENOMEM;
	}
	return 0;
}

static void __exit memtarget_exit(void)
{
	proc_remove(xen_dir);
}

module_init(memtarget_init);
module_exit(memtarget_exit);
MODULE_DESCRIPTION("/proc/xen/memory_target for the demo guest");
MODULE_LICENSE("GPL");
