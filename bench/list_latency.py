#!/usr/bin/env python3
"""
list_latency.py [--domains 1,30] [-n RUNS]: wall-clock latency of the
"xm list" command (process start to exit, the whole round trip: xend's
domain.list and xenconsoled's consoles.list) with 1 and with 30 running
demo domains on a private xend and xenconsoled, measured in one run.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "system"))
from harness import BIN, Instance  # noqa: E402


def measure(inst, n):
    xm = os.path.join(BIN, "xm", "xm")
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([xm, "list"], env=inst.env, stdout=subprocess.DEVNULL,
                       check=True)
        out.append((time.perf_counter() - t0) * 1000)
    out.sort()
    return statistics.median(out), out[int(len(out) * 0.95) - 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--domains", default="1,30")
    ap.add_argument("-n", type=int, default=200)
    a = ap.parse_args()
    counts = [int(x) for x in a.domains.split(",")]
    # With xenconsoled, as on a real host: xm list asks it which console
    # ports it really listens on (a second, local round trip).
    inst = Instance("bench-list").start().start_consoled()
    results = []
    try:
        have = 0
        for want in counts:
            while have < want:
                have += 1
                inst.xm_ok("create", inst.config("d%d" % have))
            # Let the guests boot and settle so the host is quiet.
            end = time.time() + 180
            while time.time() < end:
                doms = inst.domains()
                busy = [d for d in doms.values()
                        if d["domid"] and d["state"] != "-b----"]
                if not busy:
                    break
                time.sleep(1)
            med, p95 = measure(inst, a.n)
            results.append((want, med, p95))
            print("xm list with %2d running domains: median %.2f ms, "
                  "p95 %.2f ms (%d runs)" % (want, med, p95, a.n))
    finally:
        reports = inst.close()
        if reports:
            print("sanitizer reports:", *reports, sep="\n")
    return results


if __name__ == "__main__":
    main()
