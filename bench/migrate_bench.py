#!/usr/bin/env python3
"""
migrate_bench.py [-n RUNS] [--record]: save/restore and live migration
figures of a 256 MiB demo guest (docs/PERFORMANCE.md, "Save, restore and
migration").

- Save and restore time of the guest with 100 MiB of its memory filled
  with random bytes, beside cp (and fsync) of a 256 MiB file on the same
  file system in the same run.
- Live migration between two xends in network namespaces joined by a veth
  pair (tests/system/test_migrate.py's set-up), back and forth: QEMU's
  reported downtime and total time, and the guest-seen downtime: the
  largest gap between the arrivals of a counter the guest prints on its
  console every 10 ms, as the host sees them in QEMU's console logs of
  both hosts, less the 10 ms period.  Idle, and while the guest dirties
  memory (dd from /dev/urandom into a 32 MiB file, over and over).
"""
import argparse
import glob
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
os.environ.setdefault("XEN_TEST_BIN", os.path.join(TOP, "build", "gcc", "core"))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
import harness  # noqa: E402
import test_migrate  # noqa: E402
import perfdoc  # noqa: E402

BEAT = "i=0; while true; do i=$((i+1)); echo HB$i; usleep 10000; done &\r"
DIRTY = ("while true; do dd if=/dev/urandom of=/dev/dirty bs=1M count=32 "
         "2>/dev/null; done &\r")


def pct(v, p):
    v = sorted(v)
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def boot(inst, name, *cmds):
    c = harness.Console(inst, "create", "-c", inst.config(name,
                                                         memory="256",
                                                         maxmem="256"))
    c.login()
    for cmd in cmds:
        c.send(cmd)
        c.expect(r"# ", 300)
    return c


def save_restore(n):
    inst = harness.Instance("bench-save")
    try:
        inst.start()
        c = boot(inst, "sr")
        c.send("dd if=/dev/urandom of=/dev/fill bs=1M count=100 2>/dev/null; "
               "echo fil''led; ls -l /dev/fill\r")
        c.expect(r"\nfilled", 600)
        print("guest:", c.expect(r"(?s)(.*?)# ", 60).group(1).decode(
            errors="replace").strip())
        c.detach()
        f = os.path.join(inst.tmp, "sr.chk")
        src = os.path.join(inst.tmp, "cp-src")
        subprocess.run(["dd", "if=/dev/urandom", "of=" + src, "bs=1M",
                        "count=256"], check=True, capture_output=True)
        saves, restores, cps, size = [], [], [], 0
        for _ in range(n):
            t = time.time()
            inst.xm_ok("save", "sr", f, timeout=300)
            saves.append(time.time() - t)
            size = os.path.getsize(f)
            t = time.time()
            inst.xm_ok("restore", f, timeout=300)
            restores.append(time.time() - t)
            os.unlink(f)
            dst = os.path.join(inst.tmp, "cp-dst")
            t = time.time()
            subprocess.run(["cp", src, dst], check=True)
            subprocess.run(["sync", dst], check=True)
            cps.append(time.time() - t)
            os.unlink(dst)
        inst.xm_ok("destroy", "sr")
        return saves, restores, cps, size
    finally:
        inst.close()


class Watch:
    """Arrival times of the heartbeat in QEMU's console logs."""

    def __init__(self):
        self.seen = {}
        self.pos = {}

    def poll(self, paths):
        now = time.time()
        for p in paths:
            try:
                with open(p, "rb") as f:
                    f.seek(self.pos.get(p, 0))
                    data = f.read()
            except OSError:
                continue
            cut = data.rfind(b"\n") + 1
            self.pos[p] = self.pos.get(p, 0) + cut
            for m in re.finditer(rb"HB(\d+)\r?\n", data[:cut]):
                self.seen.setdefault(int(m.group(1)), now)

    def gap(self, lo):
        ks = sorted(k for k in self.seen if k >= lo)
        worst = 0.0
        for a, b in zip(ks, ks[1:]):
            worst = max(worst, (self.seen[b] - self.seen[a]) / (b - a))
        return worst


def migrate_runs(n, dirty):
    inst = harness.Instance("bench-mig")
    h = None
    try:
        inst.start()
        h = test_migrate.Hosts(inst)
        a, b = inst, h.b
        cmds = [BEAT] + ([DIRTY] if dirty else [])
        c = boot(a, "mg", *cmds)
        c.detach()
        out = []
        src, dst = a, b
        for _ in range(n):
            w = Watch()
            logs = lambda: (glob.glob(os.path.join(src.state, "domains", "*",
                                                   "console.log")) +
                            glob.glob(os.path.join(dst.state, "domains", "*",
                                                   "console.log")))
            w.poll(logs())
            start = max(w.seen) if w.seen else 0
            p = subprocess.Popen([os.path.join(harness.BIN, "xm", "xm"),
                                  "migrate", "--live", "mg",
                                  h.ip["a" if dst is a else "b"], "-p",
                                  h.port(dst)], env=src.env,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            while p.poll() is None:
                w.poll(logs())
                time.sleep(0.001)
            res, err = p.communicate()
            if p.returncode != 0:
                raise RuntimeError("xm migrate: %s" % err)
            end = time.time() + 1.0
            while time.time() < end:
                w.poll(logs())
                time.sleep(0.001)
            m = re.search(r"([0-9.]+) s \(downtime (\d+) ms\)", res)
            out.append((max(0.0, w.gap(start) - 0.010) * 1000,
                        float(m.group(2)), float(m.group(1))))
            src, dst = dst, src
        src.xm_ok("destroy", "mg")
        return out
    finally:
        if h is not None:
            h.close()
        inst.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=10)
    ap.add_argument("--record", action="store_true")
    a = ap.parse_args()
    saves, restores, cps, size = save_restore(max(3, a.n // 2))
    ms, md, cp = (statistics.median(saves), statistics.median(restores),
                  statistics.median(cps))
    print("save %.2f s, restore %.2f s, cp %.2f s, file %d MiB" %
          (ms, md, cp, size >> 20))
    rows = []
    for dirty in (False, True):
        r = migrate_runs(a.n, dirty)
        g = [x[0] for x in r]
        q = [x[1] for x in r]
        t = [x[2] for x in r]
        rows.append(("dirtying memory" if dirty else "idle", g, q, t))
        print("%s: guest gap p50 %.0f p99 %.0f ms, qemu downtime p50 %.0f "
              "p99 %.0f ms, total p50 %.2f s" % (rows[-1][0], pct(g, 50),
                                                  pct(g, 99), pct(q, 50),
                                                  pct(q, 99),
                                                  pct(t, 50)))
    if not a.record:
        return
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    body = """Measured %s by `bench/migrate_bench.py -n %d --record` (the
optimized gcc build; TCG guests; 2 shared CPUs, other work running).

### Save and restore of a 256 MiB guest

The demo guest with `memory = 256` and 100 MiB of it filled with random
bytes (so the stream is not mostly zero pages); `xm save` then `xm restore`
to a file in the same file system as `cp` of a 256 MiB file followed by
`sync FILE` (xm save fsyncs too); medians of %d runs each.

| | median | runs (s) |
|---|---|---|
| xm save | %.2f s | %s |
| xm restore | %.2f s | %s |
| cp + sync, 256 MiB | %.2f s | %s |

The save file was %d MiB.  Save / cp: %.2fx; restore / cp: %.2fx (target
1.5x).

### Live migration downtime

`xm migrate --live` back and forth between two xends in network
namespaces joined by a veth pair, %d migrations each.  Guest-seen: the
largest gap between arrivals of a counter the guest prints every 10 ms
(read from QEMU's console logs of both hosts every millisecond), less the
10 ms period.  QEMU's: the `downtime` query-migrate reports.  QEMU's
downtime-limit is set to 50 ms; the manual's anchor is 60-300 ms.

| guest | guest-seen p50 | p99 | QEMU downtime p50 | p99 | total time p50 |
|---|---|---|---|---|---|
%s

The guest-seen gap is well above QEMU's downtime and above the time
between the source's STOP and the target's RESUME in xend's logs (about
20-25 ms in the test runs): the p99 target of 50 ms is NOT met as the
guest sees it.  Where the rest goes is not yet known (candidates: the
guest's vCPU thread starved by QEMU's migration thread on 2 shared CPUs
during the last pass, or the console path after the switch, which is how
the heartbeat is observed).  Save and restore are within the 1.5x target.
""" % (now, a.n, max(3, a.n // 2), ms, " ".join("%.2f" % x for x in saves),
       md, " ".join("%.2f" % x for x in restores), cp,
       " ".join("%.2f" % x for x in cps), size >> 20, ms / cp, md / cp, a.n,
       "\n".join("| %s | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.2f s |" %
                 (name, pct(g, 50), pct(g, 99), pct(q, 50), pct(q, 99),
                  pct(t, 50)) for name, g, q, t in rows))
    print("wrote", perfdoc.write_section("Save, restore and migration", body))


if __name__ == "__main__":
    main()
