"""System tests for storage (docs/USER-GUIDE.md, "Storage"): phy:, file:
and qcow2 disks, the manual's sharing rule across domains and domain 0's
mounts, bad disk lines, block hot-plug and the manual's LVM walk-through.
Loop devices, mounts, volume groups and files the tests make are removed
by the tests, checked."""
import contextlib
import json
import os
import re
import subprocess
import time

from harness import IMAGES, Console, Skip, check
from test_checks import check_nothing_left
from test_guestin import api_call, guest_sh

ROOT = "'file:%s/rootfs.ext2,sda1,r'" % IMAGES


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True,
                          text=True, **kw).stdout


def blank(path, mb=16):
    with open(path, "wb") as f:
        f.truncate(mb << 20)
    return path


@contextlib.contextmanager
def loop_device(path):
    """A loop device over path, detached (and checked gone) afterwards."""
    dev = sh("losetup", "--find", "--show", path).strip()
    try:
        yield dev
    finally:
        subprocess.run(["losetup", "-d", dev])
        out = sh("losetup", "-j", path)
        check(out.strip() == "", "loop device left: %s" % out)


@contextlib.contextmanager
def mounted(src, where, *opts):
    os.makedirs(where, exist_ok=True)
    sh("mount", *opts, src, where)
    try:
        yield where
    finally:
        subprocess.run(["umount", where])
        with open("/proc/self/mountinfo") as f:
            check(" %s " % where not in f.read(), "%s still mounted" % where)


def create_err(inst, name, disk, **over):
    r = inst.xm("create", "-p", inst.config(name, disk=disk, **over))
    check(r.rc == 1, "xm create %s: %r" % (disk, r))
    check_nothing_left(inst, disk)
    return r.err


def test_bad_disk_lines(inst):
    """Every bad disk line gets an error naming it, before QEMU runs, and
    leaves nothing behind."""
    t = inst.tmp
    img = blank(os.path.join(t, "d.img"))
    os.makedirs(os.path.join(t, "adir"))
    ro = os.path.join(t, "ro")
    os.makedirs(ro)
    blank(os.path.join(ro, "r.img"))
    sh("qemu-img", "create", "-q", "-f", "qcow2", "-b", img, "-F", "raw",
       os.path.join(t, "over.qcow2"))
    sh("qemu-img", "create", "-q", "-u", "-f", "qcow2", "-b",
       os.path.join(t, "gone.img"), "-F", "raw",
       os.path.join(t, "orphan.qcow2"), "16M")
    cases = [
        ("file:%s/none.img,sdb,w" % t,
         "disk 'file:%s/none.img,sdb,w': %s/none.img: No such file or "
         "directory" % (t, t)),
        ("file:%s/adir,sdb,r" % t,
         "disk 'file:%s/adir,sdb,r': %s/adir is a directory, not a disk" %
         (t, t)),
        ("phy:%s,sdb,r" % img,
         "disk 'phy:%s,sdb,r': %s is not a block device" % (img, img)),
        ("phy:xt-nosuch,sdb,r",
         "disk 'phy:/dev/xt-nosuch,sdb,r': /dev/xt-nosuch: No such file or "
         "directory"),
        ("file:/dev/null,sdb,r",
         "disk 'file:/dev/null,sdb,r': /dev/null is not a regular file"),
        ("file:%s,sdb,rw" % img,
         "disk: mode must be r, w or w!, got 'rw' in 'file:%s,sdb,rw'" % img),
        ("qcow2:%s,sdb,r" % img,
         "disk 'qcow2:%s,sdb,r': %s is not a qcow2 image" % (img, img)),
        ("file:%s/over.qcow2,sdb,r" % t,
         "disk 'file:%s/over.qcow2,sdb,r': %s/over.qcow2 is a qcow2 image "
         "with a backing file (%s): say qcow2:%s/over.qcow2 if it is meant "
         "to be one" % (t, t, img, t)),
        ("qcow2:%s/orphan.qcow2,sdb,r" % t,
         "disk 'qcow2:%s/orphan.qcow2,sdb,r': %s/orphan.qcow2: its backing "
         "file %s/gone.img: No such file or directory" % (t, t, t)),
    ]
    for disk, want in cases:
        err = create_err(inst, "bad", "[%s, '%s']" % (ROOT, disk))
        check(want in err, "%s:\n got %r\nwant %r" % (disk, err, want))
    # A read-only file system: mode r is fine, w is not.
    with mounted(ro, ro, "--bind"):
        sh("mount", "-o", "remount,ro,bind", ro)
        err = create_err(inst, "bad", "[%s, 'file:%s/r.img,sdb,w']" %
                         (ROOT, ro))
        check("disk 'file:%s/r.img,sdb,w': %s/r.img: Read-only file system "
              "(mode w opens it read-write)" % (ro, ro) in err, err)
        inst.xm_ok("create", "-p", inst.config(
            "ok", disk="[%s, 'file:%s/r.img,sdb,r']" % (ROOT, ro)))
        inst.xm_ok("destroy", "ok")
    with open(inst.log) as f:
        check(f.read().count("qemu pid") == 1, "QEMU started for a bad line")
    # A file: that is a qcow2 image without a backing file: used as qcow2.
    plain = os.path.join(t, "plain.qcow2")
    sh("qemu-img", "create", "-q", "-f", "qcow2", plain, "16M")
    inst.xm_ok("create", "-p", inst.config(
        "q", disk="[%s, 'file:%s,sdb,w', 'qcow2:%s/over.qcow2,sdc,r']" %
        (ROOT, plain, t)))
    r = inst.xm_ok("block-list", "q")
    check(re.search(r"^sdb +w +file +qcow2 +file:%s$" % plain, r.out, re.M)
          and re.search(r"^sdc +r +file +qcow2 +qcow2:", r.out, re.M), r.out)
    r = inst.xm_ok("block-list", "-l", "q")
    check('"backing": "%s"' % img in r.out, r.out)
    inst.xm_ok("destroy", "q")


def test_sharing(inst):
    """The manual's rule: a disk exported read-write is refused to every
    other user, whatever it is called; readers share; w! forces; the
    refusal names the other user."""
    t = inst.tmp
    f = blank(os.path.join(t, "shared.img"))
    link = os.path.join(t, "link.img")
    os.symlink(f, link)
    inst.xm_ok("create", "-p", inst.config(
        "writer", disk="[%s, 'file:%s,sdb,w']" % (ROOT, f)))
    with loop_device(f) as loop:
        for name, disk, how in (
                ("r1", "file:%s,sdc,r" % f, ""),
                ("r2", "file:%s,sdc,w" % link, ", as %s" % f),
                ("r3", "phy:%s,sdc,r" % loop, ", as %s" % f)):
            path = disk.split(":", 1)[1].split(",")[0]
            err = create_err_keep(inst, name, "[%s, '%s']" % (ROOT, disk))
            check("disk '%s': %s is in use by domain writer (its sdb, "
                  "writable there%s); use mode 'r' in both, or 'w!' to force"
                  % (disk, path, how) in err, err)
        # w! forces, on either side.
        inst.xm_ok("create", "-p", inst.config(
            "forced", disk="[%s, 'phy:%s,sdc,w!']" % (ROOT, loop)))
        inst.xm_ok("destroy", "forced")
        inst.xm_ok("destroy", "writer")
        # Readers share, under any name.
        inst.xm_ok("create", "-p", inst.config(
            "ra", disk="[%s, 'phy:%s,sdb,r']" % (ROOT, loop)))
        inst.xm_ok("create", "-p", inst.config(
            "rb", disk="[%s, 'file:%s,sdb,r']" % (ROOT, link)))
        err = create_err_keep(inst, "wc", "[%s, 'file:%s,sdb,w']" % (ROOT, f))
        check("is in use by domain ra (its sdb, read-only there, as %s)" %
              loop in err, err)
        inst.xm_ok("destroy", "ra")
        inst.xm_ok("destroy", "rb")
        # One domain naming one writable disk twice.
        err = create_err(inst, "twice", "[%s, 'file:%s,sdb,w', 'phy:%s,sdc,"
                         "r']" % (ROOT, f, loop))
        check("disk 'phy:%s,sdc,r': %s is also this domain's sdb, writable"
              % (loop, loop) in err, err)


def create_err_keep(inst, name, disk):
    """A refused create while other domains stay."""
    before = set(inst.domains())
    r = inst.xm("create", "-p", inst.config(name, disk=disk))
    check(r.rc == 1 and set(inst.domains()) == before, r)
    return r.err


def test_dom0_mounts(inst):
    """A disk domain 0 has mounted read-write is refused to a domain, by
    its file, its loop device or a symlink; mounted read-only it may be
    read but not written."""
    t = inst.tmp
    f = blank(os.path.join(t, "fs.img"))
    sh("mke2fs", "-q", "-F", "-t", "ext2", f)
    mnt = os.path.join(t, "mnt point")
    with loop_device(f) as loop:
        with mounted(loop, mnt):
            for disk in ("file:%s,sdb,r" % f, "phy:%s,sdb,w" % loop):
                path = disk.split(":", 1)[1].split(",")[0]
                err = create_err(inst, "m", "[%s, '%s']" % (ROOT, disk))
                check("disk '%s': %s is mounted read-write in domain 0 on "
                      "%s; unmount it" % (disk, path, mnt) in err, err)
            inst.xm_ok("create", "-p", inst.config(
                "forced", disk="[%s, 'file:%s,sdb,w!']" % (ROOT, f)))
            inst.xm_ok("destroy", "forced")
        with mounted(loop, mnt, "-o", "ro"):
            err = create_err(inst, "m", "[%s, 'file:%s,sdb,w']" % (ROOT, f))
            check("disk 'file:%s,sdb,w': %s is mounted in domain 0 on %s; "
                  "unmount it, use mode 'r', or 'w!' to force" % (f, f, mnt)
                  in err, err)
            inst.xm_ok("create", "-p", inst.config(
                "reader", disk="[%s, 'file:%s,sdb,r']" % (ROOT, f)))
            inst.xm_ok("destroy", "reader")


def marked(path, text, mb=16):
    blank(path, mb)
    with open(path, "r+b") as f:
        f.write(text.encode())
    return path


def guest_read(con, dev, n, marker):
    """The first n bytes of /dev/DEV in the guest."""
    out = guest_sh(con, "dd if=/dev/%s bs=%d count=1 2>/dev/null; echo" %
                   (dev, n), marker)
    return out.splitlines()[-1] if out.strip() else ""


def test_guest_sees_disks(inst):
    """file:, qcow2: over a backing file, and phy: of a loop device, each
    seen in the guest under the name its line gives; the guest's writes to
    the qcow2 image leave its backing file as it was."""
    t = inst.tmp
    raw = marked(os.path.join(t, "raw.img"), "RAW-DISK-0001")
    base = marked(os.path.join(t, "base.img"), "BASE-DISK-002")
    over = os.path.join(t, "over.qcow2")
    sh("qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "raw",
       over)
    dev = marked(os.path.join(t, "dev.img"), "LOOP-DISK-003")
    with loop_device(dev) as loop:
        cfg = inst.config("seer", disk="[%s, 'file:%s,sdb,w', "
                          "'tap:qcow2:%s,hdc,w', 'phy:%s,xvdd,r']" %
                          (ROOT, raw, over, loop.replace("/dev/", "")))
        con = Console(inst, "create", "-c", cfg)
        try:
            con.login()
            out = guest_sh(con, "cat /sys/block/vd*/serial; echo", "s0")
            for name in ("sda1", "sdb", "hdc", "xvdd"):
                check(name in out, "serial %s not in %r" % (name, out))
            check(guest_read(con, "sdb", 13, "r1") == "RAW-DISK-0001", "sdb")
            check(guest_read(con, "hdc", 13, "r2") == "BASE-DISK-002", "hdc")
            check(guest_read(con, "xvdd", 13, "r3") == "LOOP-DISK-003",
                  "xvdd")
            guest_sh(con, "printf GUEST-WROTE-4 | dd of=/dev/hdc "
                     "conv=notrunc 2>/dev/null; sync", "w1")
            check(guest_read(con, "hdc", 13, "r4") == "GUEST-WROTE-4", "hdc")
            out = guest_sh(con, "printf x | dd of=/dev/xvdd 2>&1", "w2")
            check("Operation not permitted" in out or "Read-only" in out,
                  "xvdd written: %r" % out)
            con.detach()
        finally:
            con.kill()
        inst.xm_ok("destroy", "seer")
    with open(base, "rb") as f:
        check(f.read(13) == b"BASE-DISK-002", "backing file written")


TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
AGENT = os.path.join(TOP, "guest", "skel", "lib", "guest", "xen-agent")


def ext2_image(path, files, mb=16):
    """An ext2 image holding files {name: text}, made without mounting."""
    src = path + ".d"
    os.makedirs(src)
    for name, text in files.items():
        with open(os.path.join(src, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(src, name), 0o755)
    sh("mke2fs", "-q", "-F", "-t", "ext2", "-d", src, path, "%dM" % mb)
    return path


def tree_agent_disk(inst):
    """A disk line with this tree's guest agent on it (xvdz)."""
    img = ext2_image(os.path.join(inst.tmp, "agent.img"),
                     {"xen-agent": open(AGENT).read()}, 4)
    return "'file:%s,xvdz,r'" % img


def use_tree_agent(inst, con, name):
    """Runs this tree's agent in the guest if its own predates
    block_release (the set-up's image is rebuilt by the lead)."""
    out = guest_sh(con, "grep -c block_release /lib/guest/xen-agent", "ag0")
    if out.strip().splitlines()[-1].strip() != "0":
        return
    guest_sh(con, "mkdir -p /run/ag && mount -o ro /dev/xvdz /run/ag && "
             "mount -o bind /run/ag/xen-agent /lib/guest/xen-agent && "
             "kill -TERM -$(cat /run/xen/agent.pid); sleep 2", "ag1")
    inst.wait_for(lambda: inst.domains()[name].get("agent"), 30,
                  "the tree's agent")


def guest_wait(con, cond, marker, secs=30):
    """Waits until the guest's shell condition holds (a hot-plugged disk
    shows up in the guest a moment after QEMU has it); then the disks'
    serials (names), as one line."""
    out = guest_sh(con, "i=0; until %s; do i=$((i+1)); [ $i -ge %d ] && "
                   "break; sleep 0.5; done; echo; echo S:$(cat "
                   "/sys/block/vd*/serial)" % (cond, secs * 2), marker,
                   secs + 30)
    return [l for l in out.splitlines() if l.startswith("S:")][-1]


def test_block_hotplug(inst):
    """block-attach of a file (relative path) seen in the guest, listed,
    kept across an xend restart and in xm list -l; a second writer is
    refused; a detach of a disk the guest uses is refused with the guest's
    reason, then done once the guest lets go, saying what it unmounted."""
    t = inst.tmp
    ext2_image(os.path.join(t, "data.img"), {"hello": "HOTPLUG-OK\n"})
    cfg = inst.config("hot", disk="[%s, %s]" % (ROOT, tree_agent_disk(inst)))
    con = Console(inst, "create", "-c", cfg)
    try:
        con.login()
        domid = inst.domains()["hot"]["domid"]
        use_tree_agent(inst, con, "hot")
        p = subprocess.run([inst.env["XM"], "block-attach", "hot",
                            "file:data.img", "sdb", "w"], cwd=t, env=inst.env,
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0 and p.stderr == "", p)
        out = guest_wait(con, "[ -b /dev/sdb ]", "a0")
        check("sdb" in out, out)
        out = guest_sh(con, "mount /dev/sdb /mnt && cat /mnt/hello", "a1")
        check("HOTPLUG-OK" in out, out)
        r = inst.xm_ok("block-list", "hot")
        check(re.search(r"^sdb +w +file +raw +file:%s/data.img$" % t, r.out,
                        re.M), r.out)
        # A second writer: refused, naming the first.
        r = inst.xm("block-attach", "hot", "file:%s/data.img" % t, "sdc", "w")
        check(r.rc == 1 and "is in use by domain hot (its sdb, writable "
              "there)" in r.err, r)
        r = inst.xm("block-attach", "hot", "file:%s/none.img" % t, "sdc", "r")
        check(r.rc == 1 and "disk 'file:%s/none.img,sdc,r': %s/none.img: No "
              "such file or directory" % (t, t) in r.err, r)
        r = inst.xm("block-attach", "hot", "file:%s/data.img" % t, "sdc", "x")
        check(r.rc == 1 and "disk: mode must be r, w or w!" in r.err, r)
        r = inst.xm("block-attach", "hot", "file:%s/data.img" % t, "sda1",
                    "r")
        check(r.rc == 1 and "domain hot already has a disk sda1" in r.err, r)
        # Kept across an xend restart, and in xm list -l.
        inst.xend("stop")
        inst.start()
        inst.wait_for(lambda: inst.domains()["hot"].get("agent"), 30,
                      "agent after the restart")
        r = inst.xm_ok("list", "-l", "hot")
        check("(uname file:%s/data.img)" % t in r.out and "(dev sdb)" in r.out,
              r.out)
        check("sdb" in inst.xm_ok("block-list", "hot").out, "lost")
        # The guest is in /mnt: the agent cannot unmount it.
        guest_sh(con, "cd /mnt", "d0")
        r = inst.xm("block-detach", "hot", "sdb")
        check(r.rc == 1 and "hot: sdb is in use in the guest (umount: "
              in r.err and "it stays attached" in r.err, r)
        check("sdb" in inst.xm_ok("block-list", "hot").out, "detached")
        guest_sh(con, "cd /", "d1")
        r = inst.xm("block-detach", "hot", "sdb")
        check(r.rc == 0 and r.out == "the guest unmounted sdb from /mnt\n",
              r)
        out = guest_wait(con, "[ ! -e /dev/sdb ]", "d2")
        check("sdb" not in out, out)
        out = guest_sh(con, "ls /dev/sdb", "d3")
        check("No such file" in out, out)
        check("sdb" not in inst.xm_ok("block-list", "hot").out, "listed")
        check("(dev sdb)" not in inst.xm_ok("list", "-l", "hot").out, "kept")
        r = inst.xm("block-detach", "hot", "sdb")
        check(r.rc == 1 and "domain hot has no disk sdb" in r.err, r)
        # Not mounted: said so; the file is free for others again.
        inst.xm_ok("block-attach", "hot", "file:%s/data.img" % t, "sdc", "r")
        out = guest_wait(con, "[ -b /dev/sdc ]", "e0")
        check("sdc" in out, out)
        r = inst.xm_ok("block-detach", "hot", "sdc")
        check(r.out == "sdc was not mounted in the guest\n", r)
        # An xend killed mid-attach leaves a disk in the config only:
        # detach takes it out of there.
        inst.xend("stop")
        path = os.path.join(inst.state, "domains",
                            str(domid), "config.json")
        with open(path) as f:
            c = json.load(f)
        c["disks"].append({"uname": "file:%s/data.img" % t, "dev": "sdz",
                           "mode": "r"})
        with open(path, "w") as f:
            json.dump(c, f)
        inst.start()
        inst.wait_for(lambda: inst.domains()["hot"].get("agent"), 30,
                      "agent after the restart")
        check("sdz" in inst.xm_ok("block-list", "hot").out, "not listed")
        r = inst.xm_ok("block-detach", "-f", "hot", "sdz")
        check(r.out == "sdz was in the domain's config but not in its QEMU "
              "(an attach or detach cut short); removed from the config\n", r)
        check("sdz" not in inst.xm_ok("block-list", "hot").out, "listed")
        con.detach()
    finally:
        con.kill()
    inst.xm_ok("destroy", "hot")


# LVM without udev (a container has none): lvm makes the /dev nodes itself,
# and sees only the test's own loop device.
LVM_CONF = ('devices { filter = [ "a|^%s$|", "r|.*|" ] } '
            'activation { udev_sync = 0 udev_rules = 0 }')


def dm_available():
    with open("/proc/devices") as f:
        return re.search(r"^\s*\d+ device-mapper$", f.read(), re.M)


def test_lvm_walkthrough(inst):
    """The manual's LVM walk-through on a loop-backed volume group:
    pvcreate, vgcreate, lvcreate, a filesystem, phy:VG/LV in a domain, a
    copy-on-write snapshot written by the guest while the origin stays as
    it was; other names of a volume in use are refused; everything is
    removed afterwards (vgremove, pvremove, losetup -d), checked."""
    if not dm_available():
        raise Skip("this kernel has no device-mapper (none in /proc/devices): "
                   "LVM volumes cannot be activated here")
    t = inst.tmp
    vg = inst.tag + "vg"
    img = blank(os.path.join(t, "pv.img"), 128)
    env = dict(os.environ, DM_DISABLE_UDEV="1")
    with loop_device(img) as loop:
        conf = LVM_CONF % loop

        try:
            sh("pvcreate", "--config", conf, "-q", loop, env=env)
            sh("vgcreate", "--config", conf, "-q", vg, loop, env=env)
            sh("lvcreate", "--config", conf, "-q", "-y", "-L", "32M", "-n",
               "myvmdisk1", vg, env=env)
            src = os.path.join(t, "fs.d")
            os.makedirs(src)
            with open(os.path.join(src, "hello"), "w") as f:
                f.write("LVM-ORIGIN\n")
            sh("mke2fs", "-q", "-F", "-t", "ext2", "-d", src,
               "/dev/%s/myvmdisk1" % vg)
            sh("lvcreate", "--config", conf, "-q", "-y", "-s", "-L", "16M",
               "-n", "myclonedisk1", "/dev/%s/myvmdisk1" % vg, env=env)
            cfg = inst.config("lvm", disk="[%s, 'phy:%s/myvmdisk1,sdb,r', "
                              "'phy:%s/myclonedisk1,sdc,w']" % (ROOT, vg, vg))
            con = Console(inst, "create", "-c", cfg)
            try:
                con.login()
                out = guest_sh(con, "mkdir -p /a /b && mount -o ro /dev/sdb "
                               "/a && mount /dev/sdc /b && cat /a/hello "
                               "/b/hello && echo CLONE >/b/hello && umount "
                               "/b && sync", "l0")
                check(out.count("LVM-ORIGIN") == 2, out)
                # Other names of what the domain writes: refused.
                for disk, path in (
                        ("phy:/dev/mapper/%s-myclonedisk1,sdb,w" % vg,
                         "/dev/mapper/%s-myclonedisk1" % vg),
                        ("phy:%s,sdb,r" % loop, loop)):
                    err = create_err_keep(inst, "other", "[%s, '%s']" %
                                          (ROOT, disk))
                    check("disk '%s': %s is in use by domain lvm (its "
                          % (disk, path) in err, err)
                con.detach()
            finally:
                con.kill()
            inst.xm_ok("destroy", "lvm")
            # The origin never saw the guest's write to its snapshot.
            out = sh("debugfs", "-R", "cat /hello", "/dev/%s/myvmdisk1" % vg)
            check(out.strip() == "LVM-ORIGIN", out)
        finally:
            subprocess.run(["vgremove", "--config", conf, "-q", "-y", "-f",
                            vg], env=env, capture_output=True)
            subprocess.run(["pvremove", "--config", conf, "-q", "-y", loop],
                           env=env, capture_output=True)
        check(not os.path.exists("/dev/" + vg), "/dev/%s left" % vg)
        check(subprocess.run(["vgs", "--config", conf, vg], env=env,
                             capture_output=True).returncode != 0,
              "volume group %s left" % vg)


def test_policy(inst):
    """A service acting for others (policy image_dirs): a qcow2 image's
    backing file outside the allowed directories is denied at create, and
    block_attach takes the same policy."""
    t = inst.tmp
    idir = os.path.join(t, "images")
    os.makedirs(idir)
    outside = blank(os.path.join(t, "outside.img"))
    over = os.path.join(idir, "over.qcow2")
    sh("qemu-img", "create", "-q", "-f", "qcow2", "-b", outside, "-F", "raw",
       over)
    inst.xm_ok("create", "-p", inst.config("pol"))
    config = inst.domains()["pol"]["config"]
    policy = {"image_dirs": [IMAGES, idir]}
    c = dict(config, name="pol2")
    c["disks"] = c["disks"] + [{"uname": "qcow2:" + over, "dev": "sdb",
                                "mode": "w"}]
    r = api_call(inst, "domain.create", {"config": c, "paused": True,
                                         "policy": policy})
    check(r.get("error", {}).get("code") == "denied" and
          r["error"]["message"] == "disk 1's backing file %s is outside the "
          "directories this request may use (image_dirs)" % outside, r)
    r = api_call(inst, "domain.block_attach", {
        "dom": "pol", "uname": "file:" + outside, "dev": "sdb", "mode": "r",
        "policy": policy})
    check(r.get("error", {}).get("code") == "denied" and
          "disk 0 %s is outside" % outside in r["error"]["message"], r)
    inst.xm_ok("destroy", "pol")


TESTS = [
    ("storage-policy", test_policy, ""),
    ("storage-lvm-walkthrough", test_lvm_walkthrough, ""),
    ("storage-block-hotplug", test_block_hotplug, ""),
    ("storage-guest-sees-disks", test_guest_sees_disks, ""),
    ("storage-bad-disk-lines", test_bad_disk_lines, ""),
    ("storage-sharing", test_sharing, ""),
    ("storage-dom0-mounts", test_dom0_mounts, ""),
]
