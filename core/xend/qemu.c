/*
 * qemu.c: how a domain becomes a QEMU process: its command line, the
 * spawn (own session, so xend's death or signals never take it along) and
 * its network taps.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <net/if.h>
#include <linux/sockios.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "domcfg.h"
#include "kimage.h"
#include "xend.h"

/*
 * Option lists (-name, -chardev, -qmp, -vnc, -device) separate
 * with commas, so a literal comma doubles.  -kernel and -append are taken
 * whole; so is -initrd, except that a multiboot kernel's modules are a
 * comma-separated list.
 */
static char *
qemu_escape(const char *s)
{
	char	*out = xmalloc(strlen(s) * 2 + 1), *p = out;

	for (; *s != '\0'; s++) {
		if (*s == ',')
			*p++ = ',';
		*p++ = *s;
	}
	*p = '\0';
	return (out);
}

/*
 * A disk as -blockdev (JSON: no option-list escaping) and its -device.  A
 * disk that no longer opens (it went after create's checks) is still
 * given, as a raw one, so that QEMU says what is wrong with it.
 */
static void
qemu_disk_args(struct argv_buf *a, const struct sdisk *disk, int hvm)
{
	struct disk_info	 di;
	json_t			*node, *dev;
	const char		*name = disk->dev;
	char			*cause, *s;

	if (storage_open(disk, &di, &cause) != 0) {
		log_warn("%s", cause);
		free(cause);
		memset(&di, 0, sizeof di);
		di.path = xstrdup(strchr(disk->uname, ':') + 1);
		di.driver = "file";
		di.format = "raw";
		di.readonly = strcmp(disk->mode, "r") == 0;
	}
	node = storage_blockdev(&di, name);
	storage_close(&di);
	s = json_dumps(node, JSON_COMPACT);
	argv_add(a, "-blockdev");
	argv_add(a, "%s", s);
	free(s);
	json_decref(node);
	if (hvm) {
		hvm_disk_device(a, name);
		return;
	}
	dev = storage_device(name);
	argv_add(a, "-device");
	argv_add(a, "%s,id=%s,drive=%s,serial=%s", json_string_value(
	    json_object_get(dev, "driver")), json_string_value(json_object_get(
	    dev, "id")), json_string_value(json_object_get(dev, "drive")),
	    name);
	json_decref(dev);
}

/*
 * Confinement (xend-config qemu-sandbox, qemu-user; docs/SECURITY.md):
 * seccomp with the dangerous groups denied, and an unprivileged user once
 * QEMU has opened its disks, taps and sockets.  -runas changes user after
 * the sandbox is in place, so with a user set-uid stays allowed: it can
 * only drop privileges, which set-uid cannot win back.
 */
static void
qemu_confine(struct argv_buf *a)
{
	int	 user = *xend_cfg.qemu_user != '\0';

	if (xend_cfg.qemu_sandbox) {
		argv_add(a, "-sandbox");
		argv_add(a, "on,obsolete=deny,%sspawn=deny,resourcecontrol=deny",
		    user ? "" : "elevateprivileges=deny,");
	}
	if (user) {
		argv_add(a, "-runas");
		argv_add(a, "%s", xend_cfg.qemu_user);
	}
}

/* A vif's NIC: its model=, else an HVM domain's emulated one for ioemu. */
const char *
qemu_nic(const struct domcfg *c, const struct domcfg_vif *v)
{
	return (v->model != NULL ? domcfg_vif_driver(v) : hvm_nic_model(c, v));
}

/* QEMU arguments for the interfaces xm network-attach added. */
static void
qemu_added_args(struct domain *d, char ***out)
{
	json_t			*v;
	struct domcfg_vif	 hv;
	size_t			 i, n = 0;
	char			**a, vif[IFNAMSIZ];
	int			 devid;

	a = xcalloc(json_array_size(netdev_added(d)) * 4 + 1, sizeof *a);
	json_array_foreach(netdev_added(d), i, v) {
		devid = netdev_vif_view(v, &hv);
		network_vif_name(&hv, d->domid, devid, vif, sizeof vif);
		a[n++] = xstrdup("-netdev");
		a[n++] = xsprintf("tap,id=net%d,ifname=%s,script=no,"
		    "downscript=no", devid, vif);
		a[n++] = xstrdup("-device");
		a[n++] = xsprintf("%s,id=vif%d,netdev=net%d,mac=%s%s",
		    qemu_nic(d->config, &hv), devid, devid, hv.mac,
		    network_nic_mtu(qemu_nic(d->config, &hv), &hv));
	}
	a[n] = NULL;
	*out = a;
}

char **
qemu_argv(struct domain *d, const char *accel)
{
	struct argv_buf	 a = { NULL, 0 };
	const struct domcfg	*c = d->config;
	struct sdisk	 disk;
	const char	*ramdisk, *mac, *nic;
	char		*e, *dir, *cmdline, vif[IFNAMSIZ], **hot;
	const char	*kernel;
	size_t		 i;
	int		 hvm = hvm_is(c);

	argv_add(&a, "%s", xend_cfg.qemu);
	e = qemu_escape(d->name);
	argv_add(&a, "-name");
	argv_add(&a, "guest=%s,debug-threads=on", e);
	free(e);
	argv_add(&a, "-machine");
	argv_add(&a, "pc,accel=%s%s", accel, hvm && !c->acpi ? ",acpi=off" :
	    "");
	if (hvm && hvm_cpu(c, accel) != NULL) {
		argv_add(&a, "-cpu");
		argv_add(&a, "%s", hvm_cpu(c, accel));
	} else if (!hvm && strcmp(accel, "kvm") == 0) {
		argv_add(&a, "-cpu");
		argv_add(&a, "host");
	}
	/* Room for maxmem; the balloon holds the guest to its memory. */
	argv_add(&a, "-m");
	argv_add(&a, "%ld", c->maxmem);
	/* All of maxvcpus: the same machine whatever vcpu-set did. */
	argv_add(&a, "-smp");
	argv_add(&a, "%ld", domcfg_vcpus_max(c));
	argv_add(&a, "-nodefaults");
	argv_add(&a, "-no-user-config");
	argv_add(&a, "-display");
	argv_add(&a, "none");
	/*
	 * A guest poweroff leaves QEMU stopped for xend to apply on_poweroff.
	 * Reboots stay QEMU's own resets (reported as RESET events): with
	 * reboot=shutdown QEMU would turn xend's system_reset into a shutdown
	 * too, and a domain could never restart in place.
	 */
	argv_add(&a, "-action");
	argv_add(&a, "shutdown=pause,panic=pause");
	/* A guest kernel panic reaches xend as GUEST_PANICKED: a crash. */
	argv_add(&a, "-device");
	argv_add(&a, "pvpanic");
	argv_add(&a, "-S");
	if (d->incoming != NULL) {
		argv_add(&a, "-incoming");
		argv_add(&a, "defer");
	}
	qemu_confine(&a);

	dir = qemu_escape(d->dir);
	argv_add(&a, "-qmp");
	argv_add(&a, "unix:%s/qmp.sock,server=on,wait=off", dir);
	/*
	 * The logfile keeps every byte even while no console reader is up.
	 * telnet=on lets xenconsoled send a serial break (IAC BRK: sysrq).
	 */
	argv_add(&a, "-chardev");
	argv_add(&a, "socket,id=con0,path=%s/console.sock,server=on,wait=off,"
	    "telnet=on,logfile=%s/console.log,logappend=on", dir, dir);
	argv_add(&a, "-serial");
	argv_add(&a, "chardev:con0");

	argv_add(&a, "-device");
	argv_add(&a, "virtio-balloon-pci,id=balloon0,deflate-on-oom=on");
	/* The guest agent's channel (agent.c). */
	argv_add(&a, "-device");
	argv_add(&a, "virtio-serial-pci,id=vser0");
	argv_add(&a, "-chardev");
	argv_add(&a, "socket,id=xenctl,path=%s/control.sock,server=on,"
	    "wait=off", dir);
	argv_add(&a, "-device");
	argv_add(&a, "virtserialport,bus=vser0.0,chardev=xenctl,"
	    "name=org.xen.control.0");

	/* An HVM guest boots its firmware: SeaBIOS, QEMU's default. */
	if (hvm) {
		hvm_qemu_args(&a, c);
		goto devices;
	}
	kernel = c->kernel;
	argv_add(&a, "-kernel");
	argv_add(&a, "%s", kernel);
	ramdisk = c->ramdisk;
	if (ramdisk != NULL) {
		argv_add(&a, "-initrd");
		if (kimage_probe(kernel) == KIMAGE_MULTIBOOT) {
			e = qemu_escape(ramdisk);
			argv_add(&a, "%s", e);
			free(e);
		} else
			argv_add(&a, "%s", ramdisk);
	}
	cmdline = domcfg_cmdline(c);
	argv_add(&a, "-append");
	argv_add(&a, "%s", cmdline);
	free(cmdline);

devices:
	for (i = 0; storage_disk_at(c, i, &disk) == 0; i++)
		qemu_disk_args(&a, &disk, hvm);

	for (i = 0; i < c->nvifs; i++) {
		if (netdev_detached(d, (int)i))
			continue;
		mac = c->vifs[i].mac;
		network_vif_name(&c->vifs[i], d->domid, (int)i, vif,
		    sizeof vif);
		argv_add(&a, "-netdev");
		argv_add(&a, "tap,id=net%zu,ifname=%s,script=no,"
		    "downscript=no", i, vif);
		/* id: the handle of xm network-detach (netdev.c). */
		argv_add(&a, "-device");
		nic = qemu_nic(c, &c->vifs[i]);
		argv_add(&a, "%s,id=vif%zu,netdev=net%zu%s%s%s", nic, i, i,
		    mac != NULL ? ",mac=" : "", mac != NULL ? mac : "",
		    network_nic_mtu(nic, &c->vifs[i]));
	}
	/* Interfaces xm network-attach added: they come back on a restart. */
	qemu_added_args(d, &hot);
	for (i = 0; hot != NULL && hot[i] != NULL; i++)
		argv_add(&a, "%s", hot[i]);
	argv_free(hot);
	/*
	 * A graphical console: QEMU's VNC server on a private unix socket;
	 * xenconsoled serves it on vnc-port-base + domid with the password.
	 */
	if (c->vnc) {
		argv_add(&a, "-vga");
		argv_add(&a, "std");
		argv_add(&a, "-vnc");
		argv_add(&a, "unix:%s/vnc.sock", dir);
		/* Key symbols to key codes (builder hvm's keymap). */
		if (hvm && c->keymap != NULL) {
			argv_add(&a, "-k");
			argv_add(&a, "%s", c->keymap);
		}
	}
	free(dir);
	return (a.v);
}

struct spawn_ctx {
	struct domain	*d;
	int		(*commit)(struct domain *, char **);
};

static int
qemu_spawn_commit(pid_t pid, void *arg, char **cause)
{
	struct spawn_ctx	*sc = arg;

	sc->d->pid = pid;
	sc->d->pid_start = qemuproc_start_time(pid);
	return (sc->commit(sc->d, cause));
}

/*
 * QEMU runs only once xend's record names its pid: a kill of xend at any
 * moment leaves either no QEMU or one that the next xend finds.
 */
int
qemu_spawn(struct domain *d, char **argv,
    int (*commit)(struct domain *, char **), char **cause)
{
	struct spawn_ctx	 sc = { d, commit };
	char			*logpath;
	int			 logfd, rc;
	pid_t			 pid;

	xasprintf(&logpath, "%s/qemu.log", d->dir);
	logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd == -1) {
		*cause = xsprintf("%s: %s", logpath, strerror(errno));
		free(logpath);
		return (-1);
	}
	free(logpath);
	rc = qemuproc_spawn(argv, logfd, qemu_spawn_commit, &sc, &pid, cause);
	close(logfd);
	if (rc != 0)
		d->pid = 0;
	return (rc);
}

char *
qemu_version(void)
{
	char	*cmd, line[256], *nl;
	FILE	*f;

	xasprintf(&cmd, "%s --version 2>/dev/null", xend_cfg.qemu);
	f = popen(cmd, "re");
	free(cmd);
	if (f == NULL)
		return (xstrdup("unknown"));
	if (fgets(line, sizeof line, f) == NULL)
		line[0] = '\0';
	pclose(f);
	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
	return (xstrdup(line[0] != '\0' ? line : "unknown"));
}

char *
qemu_log_tail(struct domain *d, size_t max)
{
	char	*path, *text, *cause, *out, *p, *q;
	size_t	 len;

	xasprintf(&path, "%s/qemu.log", d->dir);
	if (file_read(path, &text, &len, &cause) != 0) {
		free(cause);
		free(path);
		return (xstrdup(""));
	}
	free(path);
	p = len > max ? text + len - max : text;
	while (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	for (q = p; *q != '\0'; q++) {
		if (*q == '\n')
			*q = ' ';
	}
	/* It goes into error messages that xm prints: no raw controls. */
	out = log_escape(p);
	free(text);
	return (out);
}
