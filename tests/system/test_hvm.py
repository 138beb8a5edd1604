"""System tests for HVM guests (the 3.0 manual's appendix A, VMX): the demo
guest as a bootable CD-ROM and a hard disk with a boot loader
(guest/build-hvm.sh, built into the test's own directory), booted by
SeaBIOS under builder = 'hvm' / 'vmx'; the serial console's login; the
VNC screen; the boot order; the keys refused."""
import os
import subprocess
import time

from harness import IMAGES, Console, check
from consolelib import RFB
from test_checks import check_nothing_left
from test_consoled import consoles

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD_HVM = os.path.join(TOP, "guest", "build-hvm.sh")


def hvm_images(inst):
    """(iso, disk image) built from the demo guest into the test's dir."""
    out = os.path.join(inst.tmp, "hvm")
    subprocess.run([BUILD_HVM, "-i", IMAGES, out], check=True,
                   capture_output=True)
    return (os.path.join(out, "ttylinux.iso"),
            os.path.join(out, "ttylinux-hd.img"))


def hvm_config(inst, name, **over):
    """A config as the manual's xmexample.vmx would have it."""
    keys = dict(builder="'hvm'", kernel="'/usr/lib/xen/boot/hvmloader'",
                ramdisk=None, root=None, memory="160", vnc="1",
                serial="'pty'")
    keys.update(over)
    return inst.config(name, **keys)


def test_hvm_cdrom_then_disk(inst):
    """boot = 'dc' with a CD-ROM boots the CD (serial login, VNC shows the
    screen); without one it goes on to the disk; 'cd' boots the disk; the
    3.0 names (vmx, vmxloader) work the same; xm shutdown presses the ACPI
    power button."""
    iso, hd = hvm_images(inst)
    inst.start_consoled()
    cfg = hvm_config(inst, "hvm1", cdrom="'%s'" % iso, boot="'dc'",
                     disk="['file:%s,ioemu:hda,w']" % hd,
                     usbdevice="'tablet'")
    con = Console(inst, "create", "-c", cfg)
    try:
        con.expect(r"ttylinux-cd login: ", 120)
        con.send("root\r")
        con.expect(r"assword: ", 60)
        time.sleep(1)
        con.send("root\r")
        con.expect(r"# ", 60)
        d = inst.domains()["hvm1"]
        with open("/proc/%d/cmdline" % d["pid"], "rb") as f:
            argv = f.read().split(b"\0")
        check(b"-kernel" not in argv and b"order=dc,menu=off" in argv and
              any(a.startswith(b"ide-cd,") for a in argv) and
              any(a.startswith(b"ide-hd,id=disk-hda") for a in argv) and
              b"usb-tablet" in argv, argv)
        # The screen: xenconsoled serves it on vnc-port-base + domid.
        port = d["vnc_port"]
        check(port == inst.port_base + 100 + d["domid"], d)
        inst.wait_for(lambda: consoles(inst).get("hvm1", {}).get("vnc"), 20,
                      "the VNC console")
        v = RFB(port)
        check(v.handshake(), "vnc handshake")
        fb = v.framebuffer()
        v.close()
        lit = sum(1 for i in range(0, len(fb), 4) if fb[i:i + 3] != b"\0\0\0")
        check(v.w >= 640 and v.h >= 400 and lit > 1000,
              "VNC screen %dx%d, %d lit pixels" % (v.w, v.h, lit))
        con.detach()
    finally:
        con.kill()
    inst.xm_ok("destroy", "hvm1")
    # d then c: no CD-ROM, so the disk.  The 3.0 names.
    for name, over in (("hvm2", dict(boot="'dc'")),
                       ("vmx1", dict(boot="'cd'", cdrom="'%s'" % iso,
                                     builder="'vmx'", kernel=
                                     "'/usr/lib/xen/boot/vmxloader'"))):
        cfg = hvm_config(inst, name, disk="['file:%s,ioemu:hda,w']" % hd,
                         **over)
        con = Console(inst, "create", "-c", cfg)
        try:
            con.expect(r"ttylinux-hd login: ", 120)
            con.detach()
        finally:
            con.kill()
        # ACPI (acpi = 1, the default here): xm shutdown works.
        inst.xm_ok("shutdown", "-w", name, timeout=120)
        check(name not in inst.domains(), "still there")


def test_hvm_example(inst):
    """examples/xmexample.hvm reads as the HVM domain it describes."""
    r = inst.xm_ok("create", "-n", os.path.join(TOP, "examples",
                                                "xmexample.hvm"))
    for item in ("(image\n        (hvm\n", "(boot dc)", "(usbdevice tablet)",
                 "(cdrom /var/lib/xen/images/ttylinux/ttylinux.iso)",
                 "(dev hda)", "(type ioemu)", "(vnc 1)"):
        check(item in r.out, "%s not in %s" % (item, r.out))
    # The SXP reads back as the same domain (xm create -F).
    sxp = os.path.join(inst.tmp, "hvm.sxp")
    with open(sxp, "w") as f:
        f.write(r.out)
    r2 = inst.xm_ok("create", "-n", "-F", sxp)
    check(r2.out == r.out, "round trip:\n%s\n%s" % (r.out, r2.out))


def test_hvm_refusals(inst):
    """The HVM keys' mistakes: said before QEMU runs, nothing left."""
    iso, hd = hvm_images(inst)
    disk = "['file:%s,ioemu:hda,w']" % hd
    cases = [
        (dict(sdl="1"), "sdl = 1: this host has no display for an SDL "
         "window; use vnc = 1"),
        (dict(serial="'/dev/ttyS0'"), "serial = '/dev/ttyS0': only 'pty'"),
        (dict(boot="'cx'"), "boot = 'cx': expected up to four of a "
         "(floppy), c (hard disk), d (CD-ROM), n (network)"),
        (dict(boot="'cc'"), "boot = 'cc': 'c' is given twice"),
        (dict(usbdevice="'keyboard'"), "usbdevice = 'keyboard': expected "
         "tablet or mouse"),
        (dict(apic="0", vcpus="2"), "apic = 0 with vcpus = 2: more than one "
         "vCPU needs the APIC"),
        (dict(kernel="'%s/vmlinuz'" % IMAGES), "kernel %s/vmlinuz: an HVM "
         "domain boots its firmware (SeaBIOS)" % IMAGES),
        (dict(cdrom="'%s/none.iso'" % inst.tmp), "disk 'file:%s/none.iso,"
         "hdc,r': %s/none.iso: No such file or directory" %
         (inst.tmp, inst.tmp)),
        (dict(cdrom="'%s'" % iso, disk="['file:%s,hdc,w']" % hd),
         "cdrom is hdc, and so is disk 'file:%s,hdc,w'" % hd),
        (dict(disk="['file:%s,ioemu:hda,r']" % hd),
         "disk 'file:%s,hda,r': an IDE disk (hda-hdd) cannot be read-only"
         % hd),
    ]
    for over, want in cases:
        over.setdefault("disk", disk)
        r = inst.xm("create", hvm_config(inst, "bad", **over))
        check(r.rc == 1 and want in r.err, "%s: %r" % (over, r))
        check_nothing_left(inst, str(over))


def qemu_argv(inst, name):
    with open("/proc/%d/cmdline" % inst.domains()[name]["pid"], "rb") as f:
        return [a.decode() for a in f.read().split(b"\0")]


def test_hvm_keys(inst):
    """What each HVM key does to the machine (paused domains: QEMU's
    command line), vncdisplay's port, and vncunused."""
    iso, hd = hvm_images(inst)
    disk = "[]"
    inst.xm_ok("create", "-p", hvm_config(
        inst, "k1", disk=disk, acpi="0", apic="0", localtime="1", usb="1",
        vif="['type=ioemu', '']", vncdisplay="7", keymap="'de'"))
    a = qemu_argv(inst, "k1")
    check(a[a.index("-k") + 1] == "de", a)
    m = a[a.index("-machine") + 1]
    check(m.endswith(",acpi=off") and a[a.index("-cpu") + 1] ==
          "qemu64,-apic" and "base=localtime" in a and "-usb" in a and
          "order=c,menu=off" in a, a)
    nics = [x.split(",")[0] for x in a if ",netdev=net" in x]
    check(nics == ["pcnet", "virtio-net-pci"], nics)
    check(inst.domains()["k1"]["vnc_port"] == inst.port_base + 100 + 7,
          inst.domains()["k1"])
    # The same display again: refused without vncunused, else base + id.
    r = inst.xm("create", "-p", hvm_config(inst, "k2", disk=disk,
                                           vncdisplay="7", vncunused="0"))
    check(r.rc == 1 and "vncdisplay 7: VNC port %d is in use by domain k1 "
          "(set vncunused = 1 to take a free one)" % (inst.port_base + 107)
          in r.err, r)
    inst.xm_ok("create", "-p", hvm_config(inst, "k2", disk=disk,
                                          vncdisplay="7", ne2000="1",
                                          vif="['type=ioemu']", vnc="0"))
    d = inst.domains()["k2"]
    check("vnc_port" not in d, d)
    a = qemu_argv(inst, "k2")
    check("-vnc" not in a and "-k" not in a and
          any(x.startswith("ne2k_pci,") for x in a), a)
    inst.xm_ok("create", "-p", hvm_config(inst, "k3", disk=disk,
                                          vncdisplay="7"))
    d = inst.domains()["k3"]
    check(d["vnc_port"] == inst.port_base + 100 + d["domid"], d)
    check("vncdisplay 7 (port %d) is in use by domain k1" %
          (inst.port_base + 107) in inst.xm_ok("dmesg").out, "no note")
    for n in ("k1", "k2", "k3"):
        inst.xm_ok("destroy", n)


TESTS = [
    ("hvm-example", test_hvm_example, ""),
    ("hvm-keys", test_hvm_keys, ""),
    ("hvm-cdrom-then-disk", test_hvm_cdrom_then_disk, ""),
    ("hvm-refusals", test_hvm_refusals, ""),
]
