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

--timeline N: N idle live migrations with both xends logging QMP at debug
level; for each, QEMU's own event times (STOP and MIGRATION on the source,
MIGRATION completed and RESUME on the target, stamped by QEMU) beside the
heartbeat's last beat at the source and first at the target, and the CPU
each thread of the target QEMU used from its RESUME to that first beat
(docs/PERFORMANCE.md, "Live migration: where the downtime goes").

--copy-storage N: N live migrations of the demo guest with
--copy-storage (its root disk a private copy of the image on each
"host", test_migrate.py's set-up), each beside a plain live migration of
the same guest on the shared read-only image, alternated in the same run;
xm's reported times (docs/PERFORMANCE.md, "Live migration with
--copy-storage").
"""
import argparse
import contextlib
import glob
import json
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


def console_logs(*insts):
    """QEMU's console logs of every domain of insts."""
    return [p for i in insts for p in glob.glob(os.path.join(
        i.state, "domains", "*", "console.log"))]


@contextlib.contextmanager
def two_hosts(name, extra=""):
    """test_migrate's two hosts, each xend with extra config; closed after."""
    inst = harness.Instance(name, extra)
    h = None
    init = harness.Instance.__init__
    try:
        inst.start()
        # Hosts makes b's instance itself: give it extra too.
        harness.Instance.__init__ = lambda self, n, e="": init(self, n,
                                                                e + extra)
        try:
            h = test_migrate.Hosts(inst)
        finally:
            harness.Instance.__init__ = init
        yield h
    finally:
        if h is not None:
            h.close()
        inst.close()


def migrate_popen(h, src, dst, name):
    """xm migrate --live name from src to dst, running."""
    return subprocess.Popen([os.path.join(harness.BIN, "xm", "xm"),
                             "migrate", "--live", name,
                             h.ip["a" if dst is h.a else "b"], "-p",
                             h.port(dst)], env=src.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


class Watch:
    """Arrival times of the heartbeat in QEMU's console logs."""

    def __init__(self):
        self.seen = {}
        self.where = {}
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
                k = int(m.group(1))
                if k not in self.seen:
                    self.seen[k] = now
                    self.where[k] = p

    def poll_for(self, paths, secs):
        """Polls paths() every millisecond for secs seconds."""
        end = time.time() + secs
        while time.time() < end:
            self.poll(paths())
            time.sleep(0.001)

    def switch_gap(self, lo, target_dir):
        """From the last beat logged at the source to the first at the
        target: what the guest's heartbeat shows of the switch."""
        ks = sorted(k for k in self.seen if k >= lo)
        there = [k for k in ks if self.where[k].startswith(target_dir)]
        here = [k for k in ks if not self.where[k].startswith(target_dir)]
        if not there or not here:
            return float("nan")
        return self.seen[there[0]] - self.seen[max(here)]

    def gap(self, lo):
        ks = sorted(k for k in self.seen if k >= lo)
        worst = 0.0
        for a, b in zip(ks, ks[1:]):
            worst = max(worst, (self.seen[b] - self.seen[a]) / (b - a))
        return worst


def migrate_runs(n, dirty):
    with two_hosts("bench-mig") as h:
        a, b = h.a, h.b
        cmds = [BEAT] + ([DIRTY] if dirty else [])
        c = boot(a, "mg", *cmds)
        c.detach()
        out = []
        src, dst = a, b
        for _ in range(n):
            w = Watch()
            logs = lambda: console_logs(src, dst)
            # The same heartbeat with no migration: the loaded host's own
            # jitter, for scale.
            w.poll_for(logs, 1.0)
            base = w.gap(min(w.seen) if w.seen else 0)
            start = max(w.seen) if w.seen else 0
            p = migrate_popen(h, src, dst, "mg")
            while p.poll() is None:
                w.poll(logs())
                time.sleep(0.001)
            res, err = p.communicate()
            if p.returncode != 0:
                raise RuntimeError("xm migrate: %s" % err)
            w.poll_for(logs, 1.0)
            m = re.search(r"([0-9.]+) s \(downtime (\d+) ms\)", res)
            out.append((max(0.0, w.switch_gap(start, dst.state) - 0.010) *
                        1000, float(m.group(2)), float(m.group(1)),
                        max(0.0, w.gap(start) - 0.010) * 1000,
                        max(0.0, base - 0.010) * 1000))
            src, dst = dst, src
        src.xm_ok("destroy", "mg")
        return out


def qmp_events(inst, since):
    """QEMU's events as xend logged them at debug level: (time, text)."""
    out = []
    with open(inst.log, errors="replace") as f:
        for line in f:
            i = line.find("qmp <- ")
            if i < 0 or '"event"' not in line:
                continue
            try:
                o = json.loads(line[i + 7:])
            except ValueError:
                continue
            t = o["timestamp"]["seconds"] + o["timestamp"]["microseconds"] / 1e6
            if t >= since:
                out.append((t, (o["event"] + " " + str((o.get("data") or {})
                                                       .get("status", ""))).strip()))
    return out


def thread_cpu(pid):
    """CPU seconds by thread name of process pid."""
    out = {}
    for path in glob.glob("/proc/%d/task/*/stat" % pid):
        try:
            st = open(path).read()
        except OSError:
            continue
        name = st[st.index("(") + 1:st.rindex(")")]
        f = st.rsplit(")", 1)[1].split()
        out[name] = out.get(name, 0) + (int(f[11]) + int(f[12])) / \
            os.sysconf("SC_CLK_TCK")
    return out


def timeline(n):
    """Where a live migration's guest-seen downtime goes (--timeline)."""
    rows = []
    with two_hosts("bench-tl", "(loglevel DEBUG)\n") as h:
        a, b = h.a, h.b
        c = boot(a, "tl", BEAT)
        c.detach()
        time.sleep(2)
        src, dst = a, b
        for i in range(n):
            w = Watch()
            logs = lambda: console_logs(src, dst)
            spid = src.qemu_pids()[0]
            c0, b0 = thread_cpu(spid), len(w.seen)
            w.poll_for(logs, 1.0)
            c1 = thread_cpu(spid)
            steady = ((c1.get("CPU 0/TCG", 0) - c0.get("CPU 0/TCG", 0)) *
                      1000 / max(1, len(w.seen) - b0))
            start, t0 = max(w.seen), time.time()
            p = migrate_popen(h, src, dst, "tl")
            cpu, pid = [], None
            end = None
            while end is None or time.time() < end:
                w.poll(logs())
                if pid is None:
                    pid = (dst.qemu_pids() or [None])[0]
                if pid is not None:
                    cpu.append((time.time(), thread_cpu(pid)))
                if end is None and p.poll() is not None:
                    end = time.time() + 1.0
                time.sleep(0.001)
            res, err = p.communicate()
            if p.returncode != 0:
                raise RuntimeError("xm migrate: %s" % err)
            here = [k for k in w.seen if k >= start and
                    not w.where[k].startswith(dst.state)]
            there = sorted(k for k in w.seen if k >= start and
                           w.where[k].startswith(dst.state))
            tl, tf = w.seen[max(here)], w.seen[there[0]]
            ev = ([(t, "source " + e) for t, e in qmp_events(src, t0)] +
                  [(t, "target " + e) for t, e in qmp_events(dst, t0)])
            resume = [t for t, e in ev if e == "target RESUME"]
            tr = resume[0] if resume else float("nan")

            def at(t):
                s = [x for x in cpu if x[0] <= t]
                return s[-1][1] if s else {}
            c0, c1 = at(tr), at(tf)
            used = {k: v - c0.get(k, 0) for k, v in c1.items()
                    if v - c0.get(k, 0) > 0}
            print("migration %d: %s" % (i + 1, res.strip()))
            for t, e in sorted(ev + [(tl, "last beat at the source"),
                                     (tf, "first beat at the target")]):
                if t >= tl - 0.05:
                    print("  %+7.1f ms  %s" % ((t - tl) * 1000, e))
            print("  target QEMU CPU from RESUME to the first beat: %s "
                  "(steady state at the source: vCPU %.1f ms a beat)" %
                  (", ".join("%s %.0f ms" % (k, v * 1000)
                             for k, v in sorted(used.items())) or "none",
                   steady))
            # xend's part of the stop: the source's pre-switchover to
            # `device` (its migrate-continue).
            pre = [t for t, e in ev if e == "source MIGRATION pre-switchover"]
            dev = [t for t, e in ev if e == "source MIGRATION device"]
            cont = ((dev[0] - pre[0]) * 1000 if pre and dev
                    else float("nan"))
            rows.append(((tr - tl) * 1000, (tf - tr) * 1000,
                         sum(used.values()) * 1000, steady, cont))
            src, dst = dst, src
        src.xm_ok("destroy", "tl")
        return rows


def copy_storage_runs(n):
    """(seconds with --copy-storage, without, disk MiB, QEMU's downtime
    ms with, without) per run."""
    inst = harness.Instance("bench-cps")
    h = None
    out = []
    try:
        inst.start()
        h = test_migrate.Hosts(inst, private=True)
        a, b = h.a, h.b
        cfg, disk = test_migrate.local_domain(h, "cps")
        used = os.stat(disk).st_blocks * 512 >> 20
        a.xm_ok("create", cfg)
        a.xm_ok("create", a.config("pln"))
        time.sleep(5)
        disks = {a: disk, b: os.path.join(h.local_b, "rootfs.ext2")}
        src, dst = a, b
        for _ in range(n):
            row, down = [], []
            for name, opts in (("cps", ["--copy-storage"]), ("pln", [])):
                r = src.xm("migrate", "--live", *opts, name,
                           h.ip["a" if dst is a else "b"], "-p", h.port(dst),
                           timeout=600)
                m = re.search(r"([0-9.]+) s \(downtime (\d+) ms", r.out)
                if r.rc != 0 or m is None:
                    raise RuntimeError("xm migrate %s: %s" % (name, r.err))
                row.append(float(m.group(1)))
                down.append(int(m.group(2)))
            # The user's part: the source's disk file, once it runs there.
            os.unlink(disks[src])
            out.append((row[0], row[1], used, down[0], down[1]))
            src, dst = dst, src
        src.xm_ok("destroy", "cps")
        src.xm_ok("destroy", "pln")
    finally:
        if h is not None:
            h.close()
        inst.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=10)
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--timeline", type=int, default=0, metavar="N")
    ap.add_argument("--copy-storage", type=int, default=0, metavar="N")
    a = ap.parse_args()
    if a.copy_storage:
        r = copy_storage_runs(a.copy_storage)
        print("live migration with --copy-storage: median %.2f s (%s), "
              "without: median %.2f s (%s); QEMU downtime median %d ms "
              "with, %d ms without; disk %d MiB allocated of %d MiB" %
              (statistics.median(x[0] for x in r),
               " ".join("%.2f" % x[0] for x in r),
               statistics.median(x[1] for x in r),
               " ".join("%.2f" % x[1] for x in r),
               statistics.median(x[3] for x in r),
               statistics.median(x[4] for x in r), r[0][2],
               os.path.getsize(os.path.join(harness.IMAGES,
                                            "rootfs.ext2")) >> 20))
        return
    if a.timeline:
        r = timeline(a.timeline)
        print("last beat -> target RESUME p50 %.0f p99 %.0f ms, RESUME -> "
              "first beat p50 %.0f p99 %.0f ms, target QEMU CPU in it p50 "
              "%.0f ms; steady state vCPU %.1f ms a beat" %
              (pct([x[0] for x in r], 50), pct([x[0] for x in r], 99),
               pct([x[1] for x in r], 50), pct([x[1] for x in r], 99),
               pct([x[2] for x in r], 50), pct([x[3] for x in r], 50)))
        sw = [x[4] for x in r if x[4] == x[4]]
        if sw:
            print("source pre-switchover -> device (xend's migrate-continue)"
                  ": p50 %.1f max %.1f ms (%s)" %
                  (pct(sw, 50), max(sw), ", ".join("%.1f" % x for x in sw)))
        return
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
        mx = [x[3] for x in r]
        bs = [x[4] for x in r]
        rows.append(("dirtying memory" if dirty else "idle", g, q, t, mx, bs))
        print("%s: switch gap p50 %.0f p99 %.0f ms, largest gap p99 %.0f, "
              "no-migration gap p99 %.0f ms, qemu downtime p50 %.0f "
              "p99 %.0f ms, total p50 %.2f s" % (rows[-1][0], pct(g, 50),
                                                  pct(g, 99), pct(mx, 99),
                                                  pct(bs, 99), pct(q, 50),
                                                  pct(q, 99), pct(t, 50)))
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
namespaces joined by a veth pair, %d migrations each.  The guest prints a
counter every 10 ms on its console; the host reads QEMU's console logs of
both hosts every millisecond.  Switch gap: from the last count logged at
the source to the first logged at the target, less the 10 ms period (the
guest-seen downtime).  Largest gap: the largest between any two counts
during the migration.  No migration: the largest gap in the second before
it, the loaded host's own jitter for scale.  QEMU's: the `downtime`
query-migrate reports.  QEMU's downtime-limit is set to 50 ms; the
manual's anchor is 60-300 ms.

| guest | switch gap p50 | p99 | largest gap p99 | no migration p99 | QEMU downtime p50 | p99 | total time p50 |
|---|---|---|---|---|---|---|---|
%s

Under TCG on 2 shared CPUs the guest's own heartbeat jitters by tens to
hundreds of milliseconds with no migration at all (the "no migration"
column), so the largest gap says more about the host's load than about
migration; the switch gap is the figure to hold against the 50 ms target,
and it is NOT met.  Where the time goes is in the next section
(`--timeline`): mostly the target QEMU translating the guest's code again
after its RESUME (TCG starts with an empty translation cache), stretched
by the host's load.  Restore also starts a QEMU, which cp does not: its
ratio to cp moves between runs (0.8x-1.8x measured today).
""" % (now, a.n, max(3, a.n // 2), ms, " ".join("%.2f" % x for x in saves),
       md, " ".join("%.2f" % x for x in restores), cp,
       " ".join("%.2f" % x for x in cps), size >> 20, ms / cp, md / cp, a.n,
       "\n".join("| %s | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.0f ms | "
                 "%.0f ms | %.2f s |" %
                 (name, pct(g, 50), pct(g, 99), pct(mx, 99), pct(bs, 99),
                  pct(q, 50), pct(q, 99), pct(t, 50))
                 for name, g, q, t, mx, bs in rows))
    print("wrote", perfdoc.write_section("Save, restore and migration", body))


if __name__ == "__main__":
    main()
