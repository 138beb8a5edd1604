#!/usr/bin/env python3
"""
hvm_boot.py [-n RUNS] [--record]: an HVM domain's boot (SeaBIOS, GRUB from
the demo CD-ROM, then the same kernel and initramfs) against the demo
guest's direct kernel boot, both `xm create -c` until "login:" on the
serial console, alternating, on a private xend with the optimized build;
--record rewrites the "HVM boot" section of docs/PERFORMANCE.md.
"""
import argparse
import datetime
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
os.environ.setdefault("XEN_TEST_BIN", os.path.join(TOP, "build", "gcc", "core"))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
sys.path.insert(0, HERE)
import perfdoc  # noqa: E402
from harness import Console, Instance  # noqa: E402
from test_hvm import hvm_config, hvm_images  # noqa: E402


def boot(inst, cfg, name, pattern):
    t0 = time.time()
    con = Console(inst, "create", "-c", cfg)
    try:
        con.expect(pattern, 180)
        t = time.time() - t0
        con.detach()
    finally:
        con.kill()
    inst.xm_ok("destroy", name)
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("--record", action="store_true")
    a = ap.parse_args()
    inst = Instance("bench-hvm").start()
    pv, hvm = [], []
    try:
        iso, _ = hvm_images(inst)
        pvcfg = inst.config("pv", memory="160")
        hvmcfg = hvm_config(inst, "hvm", cdrom="'%s'" % iso, boot="'d'",
                            disk="[]", vnc="0")
        for _ in range(a.n):
            pv.append(boot(inst, pvcfg, "pv", r"login: "))
            hvm.append(boot(inst, hvmcfg, "hvm", r"ttylinux-cd login: "))
    finally:
        inst.close()
    mp, mh = statistics.median(pv), statistics.median(hvm)
    print("direct kernel %.2f s %s\nhvm (cd-rom)  %.2f s %s\nratio %.2f" %
          (mp, pv, mh, hvm, mh / mp))
    if a.record:
        cpu = subprocess.run("grep -m1 'model name' /proc/cpuinfo | cut -d: "
                             "-f2", shell=True, capture_output=True,
                             text=True).stdout.strip()
        now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
        perfdoc.write_section("HVM boot", """Measured %s on %s (%d CPUs,
shared, noisy) by `bench/hvm_boot.py -n %d --record` (gcc -O2 build), TCG:
`xm create -c` until the serial "login:", alternating, %d boots each.

| | median | runs (s) |
|---|---|---|
| direct kernel (the demo guest, 160 MB) | %.2f s | %s |
| HVM from the demo CD-ROM (SeaBIOS, GRUB, same kernel and initramfs, 160 MB, no VNC) | %.2f s | %s |

HVM/direct: **%.2f**.  The difference is the firmware and the boot loader:
SeaBIOS, GRUB's one-second menu, and GRUB reading the 25 MB kernel and
initramfs from the emulated IDE CD-ROM through BIOS calls, each one
emulated instruction by instruction under TCG.""" % (
            now, cpu, os.cpu_count(), a.n, a.n, mp,
            ", ".join("%.2f" % x for x in pv), mh,
            ", ".join("%.2f" % x for x in hvm), mh / mp))


if __name__ == "__main__":
    main()
