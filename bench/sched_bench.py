#!/usr/bin/env python3
"""
sched_bench.py [--seconds N]: the schedulers and the balloon, measured.

  1. two guests spinning in a shell loop, every vCPU pinned to host CPU 0,
     weights 256 and 512: the ratio of their CPU time (target 1:2, within
     10%)
  2. one of them alone with cap 25: its share of a CPU (target <= 27%)
  3. balloon response: mem-set by 64 MiB down and up, time until xm list
     shows the new size (within 2 MB)

Runs on a private xend with the optimized build; --record rewrites the
"Memory and CPU control" section of docs/PERFORMANCE.md.
"""
import argparse
import datetime
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
os.environ.setdefault("XEN_TEST_BIN", os.path.join(TOP, "build", "gcc", "core"))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
sys.path.insert(0, HERE)
import perfdoc  # noqa: E402
from harness import Console, Instance  # noqa: E402


def cpu_times(inst, names):
    doms = inst.domains()
    return {n: doms[n]["cpu_time"] for n in names}


def measure(inst, names, seconds):
    t0, c0 = time.time(), cpu_times(inst, names)
    time.sleep(seconds)
    t1, c1 = time.time(), cpu_times(inst, names)
    return {n: (c1[n] - c0[n]) / (t1 - t0) for n in names}


def balloon_time(inst, name, mb):
    t0 = time.time()
    inst.xm_ok("mem-set", name, str(mb))
    inst.wait_for(lambda: abs(inst.domains()[name]["memory"] - mb) <= 2, 60,
                  "balloon to %d" % mb)
    return time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--record", action="store_true")
    a = ap.parse_args()
    inst = Instance("bench-sched").start()
    cons = []
    try:
        names = ["spin1", "spin2"]
        for n in names:
            inst.config(n, maxmem="160", memory="128")
            con = Console(inst, "create", "-c", os.path.join(inst.conf, n))
            con.login()
            cons.append(con)
        for n, con in zip(names, cons):
            inst.xm_ok("vcpu-pin", n, "all", "0")
            con.send("while :; do :; done &\r")
            con.expect("# ", 10)
        time.sleep(2)
        inst.xm_ok("sched-credit", "-d", "spin1", "-w", "256")
        inst.xm_ok("sched-credit", "-d", "spin2", "-w", "512")
        share = measure(inst, names, a.seconds)
        ratio = share["spin2"] / share["spin1"]
        print("weights 256:512 on one CPU: %.3f vs %.3f CPU, ratio 1:%.2f "
              "(target 1:2 within 10%%)" % (share["spin1"], share["spin2"],
                                            ratio))
        # The cap, with the other guest stopped so CPU 0 is free for it.
        inst.xm_ok("pause", "spin2")
        inst.xm_ok("sched-credit", "-d", "spin1", "-w", "256", "-c", "25")
        time.sleep(2)
        capped = measure(inst, ["spin1"], a.seconds)["spin1"]
        inst.xm_ok("sched-credit", "-d", "spin1", "-c", "0")
        uncapped = measure(inst, ["spin1"], a.seconds // 2)["spin1"]
        print("cap 25: %.1f%% of a CPU (uncapped: %.1f%%; target <= 27%%)" %
              (capped * 100, uncapped * 100))
        inst.xm_ok("unpause", "spin2")
        down = balloon_time(inst, "spin2", 64)
        up = balloon_time(inst, "spin2", 128)
        print("balloon 128 -> 64 MiB: %.2f s, 64 -> 128 MiB: %.2f s" %
              (down, up))
        if a.record:
            now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
            ok = lambda c: "met" if c else "NOT met"  # noqa: E731
            perfdoc.write_section("Memory and CPU control", """
Measured %s on %d shared CPUs, TCG guests, by
`bench/sched_bench.py --seconds %d --record` (gcc -O2 build).  CPU is the
guests' vCPU thread time over %d s of wall time.

| what | measured | target | |
|---|---|---|---|
| weights 256:512, both spinning, all vCPUs pinned to CPU 0 | %.3f and %.3f CPU: 1:%.2f | 1:2 within 10%% | %s |
| cap 25, spinning alone on CPU 0 | %.1f%% of a CPU (uncapped %.1f%%) | at most 27%% | %s |
| balloon 128 -> 64 MiB (mem-set until xm list shows it) | %.2f s | | |
| balloon 64 -> 128 MiB | %.2f s | | |
""" % (now, os.cpu_count(), a.seconds, a.seconds, share["spin1"],
                share["spin2"], ratio, ok(abs(ratio - 2) <= 0.2),
                capped * 100, uncapped * 100, ok(capped <= 0.27), down, up))
            print("wrote", perfdoc.PATH)
    finally:
        for con in cons:
            con.kill()
        reports = inst.close()
        if reports:
            print("sanitizer reports:", *reports, sep="\n")


if __name__ == "__main__":
    main()
