#!/usr/bin/env python3
"""
storage_bench.py [-n RUNS] [--mb MB] [--record]: sequential throughput of a
domain's disks against the same files and devices on the host.

Inside a guest (TCG) and on the host, dd with O_DIRECT writes then reads MB
MiB, RUNS times, for: a file: raw image, a qcow2 image (qcow2:, written
first so its clusters exist), a phy: block device (an LVM volume where the
kernel has device-mapper, else a loop device over a raw file, said so).
The figures are medians; the ratio guest/host says what the virtual disk
path costs.  Runs on a private xend with the optimized build; --record
rewrites the "Storage" section of docs/PERFORMANCE.md.
"""
import argparse
import datetime
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
os.environ.setdefault("XEN_TEST_BIN", os.path.join(TOP, "build", "gcc", "core"))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
sys.path.insert(0, HERE)
import perfdoc  # noqa: E402
from harness import IMAGES, Console, Instance  # noqa: E402
from test_guestin import guest_sh  # noqa: E402
from test_storage import blank, dm_available, loop_device, sh  # noqa: E402

RATE = re.compile(r"(\d+) bytes .*copied, ([\d.]+) s")


def rate(out):
    """MB/s from dd's last line (GNU or busybox)."""
    m = RATE.findall(out)
    if not m:
        raise RuntimeError("no dd figure in %r" % out[-300:])
    n, secs = m[-1]
    return int(n) / 1e6 / float(secs)


def dd(*args):
    return subprocess.run(["dd"] + list(args), check=True, text=True,
                          stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT).stdout


def host_dd(path, mb):
    w = rate(dd("if=/dev/zero", "of=" + path, "bs=1M", "count=%d" % mb,
                "oflag=direct", "conv=notrunc"))
    r = rate(dd("if=" + path, "of=/dev/null", "bs=1M", "count=%d" % mb,
                "iflag=direct"))
    return w, r


def guest_timed(con, cmd, mb, tag):
    """MB/s of cmd in the guest, timed by its /proc/uptime (busybox dd
    prints no rate)."""
    out = guest_sh(con, "read a _ </proc/uptime; %s 2>/dev/null; "
                   "read b _ </proc/uptime; echo T $a $b" % cmd, tag, 600)
    m = re.findall(r"T ([\d.]+) ([\d.]+)", out)
    if not m:
        raise RuntimeError("no timing in %r" % out[-300:])
    secs = float(m[-1][1]) - float(m[-1][0])
    return mb * 1048576 / 1e6 / max(secs, 0.01)


def guest_dd(con, dev, mb, tag):
    w = guest_timed(con, "dd if=/dev/zero of=/dev/%s bs=1M count=%d "
                    "oflag=direct" % (dev, mb), mb, tag + "w")
    r = guest_timed(con, "dd if=/dev/%s of=/dev/null bs=1M count=%d "
                    "iflag=direct" % (dev, mb), mb, tag + "r")
    return w, r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("--mb", type=int, default=256)
    ap.add_argument("--record", action="store_true")
    a = ap.parse_args()
    inst = Instance("bench-storage").start()
    rows = []
    try:
        t = inst.tmp
        raw = blank(os.path.join(t, "raw.img"), a.mb + 8)
        qcow = os.path.join(t, "disk.qcow2")
        sh("qemu-img", "create", "-q", "-f", "qcow2", qcow, "%dM" % (a.mb + 8))
        blk = blank(os.path.join(t, "blk.img"), a.mb + 8)
        blkname = ("an LVM volume" if dm_available() else
                   "a loop device (this kernel has no device-mapper for LVM)")
        with loop_device(blk) as loop:
            cfg = inst.config("bench", memory="128", disk=(
                "['file:%s/rootfs.ext2,sda1,r', 'file:%s,sdb,w', "
                "'qcow2:%s,sdc,w', 'phy:%s,sdd,w']" % (IMAGES, raw, qcow,
                                                        loop)))
            con = Console(inst, "create", "-c", cfg)
            try:
                con.login()
                res = {}
                # qcow2's host side: a raw file on the same file system.
                for what, dev, host in (("file: raw", "sdb", raw),
                                        ("qcow2", "sdc", raw),
                                        ("phy: " + blkname, "sdd", loop)):
                    g = [guest_dd(con, dev, a.mb, "g%s%d" % (dev, i))
                         for i in range(a.n)]
                    res[what] = (dev, host, g)
                con.detach()
            finally:
                con.kill()
            inst.xm_ok("destroy", "bench")
            for what, (dev, host, g) in res.items():
                # The host side on the same file or device, QEMU gone.
                h = [host_dd(host, a.mb) for _ in range(a.n)]
                gw = statistics.median(x[0] for x in g)
                gr = statistics.median(x[1] for x in g)
                hw = statistics.median(x[0] for x in h)
                hr = statistics.median(x[1] for x in h)
                rows.append((what, gw, hw, gw / hw, gr, hr, gr / hr))
    finally:
        inst.close()
    for r in rows:
        print("%-40s write %.1f / %.1f MB/s (%.3f)  read %.1f / %.1f MB/s "
              "(%.3f)" % r)
    if a.record:
        cpu = subprocess.run("grep -m1 'model name' /proc/cpuinfo | cut -d: "
                             "-f2", shell=True, capture_output=True,
                             text=True).stdout.strip()
        now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
        table = "\n".join("| %s | %.1f | %.1f | %.3f | %.1f | %.1f | %.3f |"
                          % r for r in rows)
        perfdoc.write_section("Storage", """Measured %s on %s (%d CPUs,
shared, noisy) by `bench/storage_bench.py -n %d --mb %d --record` (gcc -O2
build): dd with O_DIRECT, 1 MiB blocks, %d MiB written then read, inside a
TCG guest (virtio-blk, QEMU's default writeback cache on the host side)
and on the host on the same file or device (for qcow2: the raw file, on
the same file system); medians of %d runs.  The guest's times come from
its /proc/uptime (busybox dd prints no rate).

| disk | guest write MB/s | host write MB/s | ratio | guest read MB/s | host read MB/s | ratio |
|---|---|---|---|---|---|---|
%s

Under TCG every guest I/O is emulated instruction by instruction, so the
ratios are mostly the cost of emulation; with KVM they would be near 1.
The guest's O_DIRECT bypasses its own page cache, not the host's: QEMU
opens images with its writeback cache, so guest reads of data just
written can beat the host's O_DIRECT reads.""" % (
            now, cpu, os.cpu_count(), a.n, a.mb, a.mb, a.n, table))


if __name__ == "__main__":
    main()
