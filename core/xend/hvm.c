/*
 * hvm.c: unmodified guests (the 3.0 manual's appendix A, VMX; later Xen's
 * HVM): a full PC that boots from its firmware (SeaBIOS) off an emulated
 * disk or CD-ROM, instead of a kernel that QEMU loads.
 *
 * The config keys are the manual's: builder 'hvm' (3.0: 'vmx'), kernel
 * naming the Xen firmware loader (hvmloader, vmxloader: SeaBIOS stands in
 * for it), cdrom, boot, acpi, apic, vnc, vncdisplay, vncunused, sdl
 * (refused: no display here), serial ('pty': the console port), ne2000,
 * localtime, usb, usbdevice.  Disks named hda-hdd are IDE disks on the
 * emulated controller (the manual's ioemu:); the CD-ROM is hdc; other
 * disks are virtio, which SeaBIOS boots too.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "xend.h"

int
hvm_is(const struct domcfg *c)
{
	return (c->builder != NULL && strcmp(c->builder, "hvm") == 0);
}

/* The Xen firmware loaders the manuals name: SeaBIOS is used for them. */
static int
hvm_loader(const char *kernel)
{
	const char	*base;

	if (kernel == NULL)
		return (1);
	base = strrchr(kernel, '/') != NULL ? strrchr(kernel, '/') + 1 : kernel;
	return (strcmp(base, "hvmloader") == 0 ||
	    strcmp(base, "vmxloader") == 0);
}

/* The CD-ROM as a disk line: phy: for a device (/dev/cdrom), else file:. */
static void
hvm_cdrom_disk(const char *path, struct sdisk *sd, char **uname)
{
	struct stat	 st;

	*uname = xsprintf("%s:%s", stat(path, &st) == 0 &&
	    S_ISBLK(st.st_mode) ? "phy" : "file", path);
	sd->uname = *uname;
	sd->dev = "hdc";
	sd->mode = "r";
}

/* IDE position of hda-hdd: bus ide.B, unit U; -1 for other names. */
static int
hvm_ide(const char *dev, int *bus, int *unit)
{
	if (strlen(dev) != 3 || dev[0] != 'h' || dev[1] != 'd' ||
	    dev[2] < 'a' || dev[2] > 'd')
		return (-1);
	*bus = (dev[2] - 'a') / 2;
	*unit = (dev[2] - 'a') % 2;
	return (0);
}

int
hvm_check(const struct domcfg *config, char **cause)
{
	const struct domcfg	*h = config;
	struct sdisk		 sd, v;
	char			*uname;
	size_t			 i;
	int			 rc, bus, unit;

	if (!hvm_loader(h->kernel)) {
		*cause = xsprintf("kernel %s: an HVM domain boots its firmware "
		    "(SeaBIOS); kernel may only name Xen's firmware loader "
		    "(/usr/lib/xen/boot/hvmloader or vmxloader)", h->kernel);
		return (-1);
	}
	if (h->sdl) {
		*cause = xstrdup("sdl = 1: this host has no display for an SDL "
		    "window; use vnc = 1 (xenconsoled serves the screen on "
		    "vnc-port-base + domid: vncviewer HOST:DOMID)");
		return (-1);
	}
	if (h->serial == NULL || strcmp(h->serial, "pty") != 0) {
		*cause = xsprintf("serial = '%s': only 'pty' (the guest's COM1 "
		    "on the domain's console) is supported", h->serial);
		return (-1);
	}
	if (h->boot == NULL || h->boot[0] == '\0' || strlen(h->boot) > 4 ||
	    strspn(h->boot, "acdn") != strlen(h->boot)) {
		*cause = xsprintf("boot = '%s': expected up to four of a "
		    "(floppy), c (hard disk), d (CD-ROM), n (network)", h->boot);
		return (-1);
	}
	for (i = 0; h->boot[i] != '\0'; i++) {
		if (strchr(h->boot + i + 1, h->boot[i]) != NULL) {
			*cause = xsprintf("boot = '%s': '%c' is given twice",
			    h->boot, h->boot[i]);
			return (-1);
		}
	}
	if (h->usbdevice != NULL && strcmp(h->usbdevice, "tablet") != 0 &&
	    strcmp(h->usbdevice, "mouse") != 0) {
		*cause = xsprintf("usbdevice = '%s': expected tablet or mouse",
		    h->usbdevice);
		return (-1);
	}
	if (!h->apic && h->vcpus > 1) {
		*cause = xsprintf("apic = 0 with vcpus = %ld: more than one "
		    "vCPU needs the APIC", h->vcpus);
		return (-1);
	}
	for (i = 0; storage_disk_at(config, i, &v) == 0; i++) {
		if (hvm_ide(v.dev, &bus, &unit) == 0 &&
		    strcmp(v.mode, "r") == 0) {
			*cause = xsprintf("disk '%s,%s,%s': an IDE disk (hda-hdd) "
			    "cannot be read-only; give it mode w, or another "
			    "name (sdb, xvdb: a virtio disk) to share it "
			    "read-only", v.uname, v.dev, v.mode);
			return (-1);
		}
	}
	if (h->cdrom == NULL)
		return (0);
	for (i = 0; storage_disk_at(config, i, &v) == 0; i++) {
		if (strcmp(v.dev, "hdc") == 0) {
			*cause = xsprintf("cdrom is hdc, and so is disk '%s,%s,%s'",
			    v.uname, v.dev, v.mode);
			return (-1);
		}
	}
	hvm_cdrom_disk(h->cdrom, &sd, &uname);
	rc = storage_check_disk(&sd, cause);
	free(uname);
	return (rc);
}

/* The guest device of a disk: IDE for hda-hdd, else virtio-blk. */
void
hvm_disk_device(struct argv_buf *a, const char *dev)
{
	int	 bus, unit;

	if (hvm_ide(dev, &bus, &unit) == 0) {
		argv_add(a, "-device");
		argv_add(a, "ide-hd,id=disk-%s,drive=vbd-%s,bus=ide.%d,unit=%d,"
		    "serial=%s", dev, dev, bus, unit, dev);
		return;
	}
	argv_add(a, "-device");
	argv_add(a, "virtio-blk-pci,id=disk-%s,drive=vbd-%s,serial=%s", dev,
	    dev, dev);
}

/*
 * The machine of an HVM domain: its firmware boot order, clock, USB and
 * CD-ROM.  machine and cpu are what qemu.c would use, amended.
 */
void
hvm_qemu_args(struct argv_buf *a, const struct domcfg *config)
{
	const struct domcfg	*h = config;
	struct sdisk		 sd;
	struct disk_info	 di;
	json_t			*node;
	char			*uname, *cause, *s;

	argv_add(a, "-boot");
	argv_add(a, "order=%s,menu=off", h->boot);
	if (h->localtime) {
		argv_add(a, "-rtc");
		argv_add(a, "base=localtime");
	}
	if (h->usb || h->usbdevice != NULL) {
		argv_add(a, "-usb");
		if (h->usbdevice != NULL) {
			argv_add(a, "-device");
			argv_add(a, "usb-%s", h->usbdevice);
		}
	}
	if (h->cdrom == NULL)
		return;
	hvm_cdrom_disk(h->cdrom, &sd, &uname);
	if (storage_open(&sd, &di, &cause) != 0) {
		/* Gone since create's checks: QEMU says what is wrong. */
		log_warn("%s", cause);
		free(cause);
		memset(&di, 0, sizeof di);
		di.path = xstrdup(h->cdrom);
		di.driver = "file";
		di.format = "raw";
		di.readonly = 1;
	}
	if (strcmp(di.driver, "host_device") == 0)
		di.driver = "host_cdrom";
	di.format = "raw";	/* an ISO, whatever its first bytes say */
	node = storage_blockdev(&di, "cdrom");
	storage_close(&di);
	free(uname);
	s = json_dumps(node, JSON_COMPACT);
	argv_add(a, "-blockdev");
	argv_add(a, "%s", s);
	free(s);
	json_decref(node);
	argv_add(a, "-device");
	argv_add(a, "ide-cd,id=cdrom,drive=vbd-cdrom,bus=ide.1,unit=0");
}

/* -cpu for an HVM domain: NULL for QEMU's default. */
const char *
hvm_cpu(const struct domcfg *config, const char *accel)
{
	if (config->apic)
		return (strcmp(accel, "kvm") == 0 ? "host" : NULL);
	return (strcmp(accel, "kvm") == 0 ? "host,-apic" : "qemu64,-apic");
}

/* The VNC port: vnc-port-base + vncdisplay, or + domid. */
int
hvm_vnc_port(const struct domcfg *config, int domid)
{
	if (hvm_is(config) && config->vncdisplay != DOMCFG_UNSET)
		return (xend_cfg.vnc_port_base + (int)config->vncdisplay);
	return (xend_cfg.vnc_port_base + domid);
}

/*
 * The NIC of a vif: an HVM domain's vif with type=ioemu is an emulated
 * card (3.0: pcnet, ne2000 = 1 an NE2000), any other vif virtio (the
 * manual's paravirtual case).
 */
const char *
hvm_nic_model(const struct domcfg *config, const struct domcfg_vif *vif)
{
	if (!hvm_is(config) || vif->type == NULL ||
	    strcmp(vif->type, "ioemu") != 0)
		return ("virtio-net-pci");
	return (config->ne2000 ? "ne2k_pci" : "pcnet");
}
