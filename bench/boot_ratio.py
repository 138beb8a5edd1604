#!/usr/bin/env python3
"""
boot_ratio.py [-n RUNS]: time from "xm create -c" to the guest's login
prompt, against bare qemu-system-x86_64 started with the same kernel,
initramfs, disk and machine options (taken from the QEMU command line xend
itself built), measured alternately in one run.  Prints medians and the
ratio; --record appends the figures to docs/PERFORMANCE.md.
"""
import argparse
import os
import select
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "system"))
import harness  # noqa: E402
from harness import Console, Instance  # noqa: E402

LOGIN = b"login: "


def time_ours(inst, cfg):
    t0 = time.monotonic()
    con = Console(inst, "create", "-c", cfg)
    try:
        con.expect(r"login: ", 120)
        t = time.monotonic() - t0
        con.detach()
    finally:
        con.kill()
    return t


def time_create_running(inst, cfg):
    """xm create until it returns: the guest has been told to run."""
    t0 = time.monotonic()
    inst.xm_ok("create", cfg)
    t = time.monotonic() - t0
    inst.xm_ok("destroy", "bootbench")
    return t


def time_bare_ready(argv, tmp):
    """Bare QEMU from exec until its QMP greeting: QEMU's own start-up."""
    sock = os.path.join(tmp, "bare-qmp.sock")
    argv = [a for a in argv if a not in ("-serial", "stdio")]
    argv += ["-S", "-qmp", "unix:%s,server=on,wait=off" % sock,
             "-serial", "null"]
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import socket as _s
    try:
        while True:
            try:
                c = _s.socket(_s.AF_UNIX)
                c.connect(sock)
                c.recv(4096)
                c.close()
                return time.monotonic() - t0
            except OSError:
                time.sleep(0.001)
    finally:
        p.kill()
        p.wait()


def bare_argv(cmdline):
    """xend's QEMU argv with xend's plumbing (QMP, -S, chardev) removed."""
    out, skip = [], False
    drop_with_value = {"-qmp", "-chardev", "-serial", "-action", "-name"}
    for i, a in enumerate(cmdline):
        if skip:
            skip = False
            continue
        if a == "-chardev" and "id=xenctl" in cmdline[i + 1]:
            # Same devices as ours: the agent's port, on a null backend.
            out += ["-chardev", "null,id=xenctl"]
            skip = True
            continue
        if a in drop_with_value:
            skip = True
            continue
        if a == "-S":
            continue
        if a.startswith("-netdev") or a.startswith("virtio-net"):
            continue
        out.append(a)
    return out + ["-serial", "stdio", "-name", "bare"]


def time_bare(argv):
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    buf = b""
    try:
        while LOGIN not in buf:
            r, _, _ = select.select([p.stdout], [], [], 120)
            if not r:
                raise RuntimeError("bare qemu: no login prompt")
            data = os.read(p.stdout.fileno(), 65536)
            if not data:
                raise RuntimeError("bare qemu exited")
            buf += data
        return time.monotonic() - t0
    finally:
        p.kill()
        p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--record", action="store_true")
    a = ap.parse_args()
    # The whole stack, as scripts/setup runs it: xm create -c reads the
    # console through xenconsoled.
    inst = Instance("bench-boot").start()
    inst.start_consoled()
    result = None
    try:
        cfg = inst.config("bootbench")
        # One create to learn xend's exact QEMU command line.
        inst.xm_ok("create", "-p", cfg)
        pid = inst.domains()["bootbench"]["pid"]
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmdline = [x.decode() for x in f.read().split(b"\0") if x]
        inst.xm_ok("destroy", "bootbench")
        argv = bare_argv(cmdline)
        ours, bare = [], []
        for i in range(a.n):
            bare.append(time_bare(argv))
            ours.append(time_ours(inst, cfg))
            inst.xm_ok("destroy", "bootbench")
        starts, readies = [], []
        for i in range(10):
            starts.append(time_create_running(inst, cfg))
            readies.append(time_bare_ready(argv, inst.tmp))
        ms, mr = statistics.median(starts), statistics.median(readies)
        print("xm create until the guest runs: median %.1f ms; bare QEMU "
              "start-up: median %.1f ms; added by the stack: %.1f ms" %
              (ms * 1000, mr * 1000, (ms - mr) * 1000))
        mo, mb = statistics.median(ours), statistics.median(bare)
        ratio = mo / mb
        print("bare qemu   : median %.3f s  runs %s" %
              (mb, " ".join("%.3f" % x for x in bare)))
        print("xm create -c: median %.3f s  runs %s" %
              (mo, " ".join("%.3f" % x for x in ours)))
        print("ratio ours/bare: %.3f (%+.1f%%; target under +3%%)" %
              (ratio, (ratio - 1) * 100))
        if a.record:
            result = (ratio, mo, mb, ours, bare, ms, mr)
    finally:
        reports = inst.close()
        if reports:
            print("sanitizer reports:", *reports, sep="\n")
    return result


if __name__ == "__main__":
    main()
