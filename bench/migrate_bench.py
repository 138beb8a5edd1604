#!/usr/bin/env python3
"""
migrate_bench.py [-n RUNS] [--record] [--only save-restore]: save/restore
and live migration figures of a 256 MiB demo guest (docs/PERFORMANCE.md,
"Save, restore and migration"); --only save-restore runs n saves and
restores alone, each restore's phases from xend's debug log beside it.

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


def loadavg():
    """The host's 1-minute load average, as /proc/loadavg has it."""
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


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


def log_times(inst, since):
    """xend's debug log from line since on: (epoch seconds, text)."""
    out = []
    with open(inst.log, errors="replace") as f:
        lines = f.readlines()[since:]
    for line in lines:
        m = re.match(r"\[(\d+-\d+-\d+ \d+:\d+:\d+)\.(\d+) ", line)
        if m:
            t = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S"))
            out.append((t + int(m.group(2)) / 1000.0, line))
    return out


def phases(inst, since, start, marks):
    """ms from the first log line from since on with start in it to the
    first with each mark's text: {name: ms}, in marks' order."""
    t0, got = None, {}
    for t, line in log_times(inst, since):
        if t0 is None:
            if start in line:
                t0 = t
            continue
        for name, what in marks:
            if name not in got and what in line:
                got[name] = (t - t0) * 1000
    return {name: got[name] for name, _ in marks if name in got}


def save_phases(inst, since):
    """Where one save's time went: ms from 'saving to' to QEMU's stream
    completed, to the file committed (fsync'd, renamed)."""
    return phases(inst, since, "saving to", [
        ("streamed", '"status": "completed"'), ("committed", ": saved to ")])


def restore_phases(inst, since):
    """Where one restore's time went, from xend's debug log: ms from
    'restoring' to QEMU's QMP greeting, to the stream's checksum checked,
    to migrate-incoming sent, to QEMU's MIGRATION completed, to cont sent,
    to RESUME (each mark's first line)."""
    return phases(inst, since, "restoring ", [
        ("qemu up", '"QMP"'), ("checked", "stream checked"),
        ("incoming", '"migrate-incoming"'),
        ("loaded", '"status": "completed"'), ("cont", '"cont"'),
        ("resume", '"RESUME"')])


def log_lines(inst):
    with open(inst.log, errors="replace") as f:
        return sum(1 for _ in f)


def save_restore(n):
    """n saves and restores of the filled guest, and n cp + sync: a dict
    of the times (s), the file's size and each run's phases (ms)."""
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
        r = {"save": [], "restore": [], "cp": [], "size": 0,
             "save_ph": [], "restore_ph": []}
        for _ in range(n):
            since = log_lines(inst)
            t = time.time()
            inst.xm_ok("save", "sr", f, timeout=300)
            r["save"].append(time.time() - t)
            r["size"] = os.path.getsize(f)
            r["save_ph"].append(save_phases(inst, since))
            print("save %.3f s: %s" % (r["save"][-1], ", ".join(
                "%s +%.0f ms" % kv for kv in r["save_ph"][-1].items())))
            since = log_lines(inst)
            t = time.time()
            inst.xm_ok("restore", f, timeout=300)
            r["restore"].append(time.time() - t)
            r["restore_ph"].append(restore_phases(inst, since))
            print("restore %.3f s: %s" % (r["restore"][-1], ", ".join(
                "%s +%.0f ms" % kv for kv in r["restore_ph"][-1].items())))
            os.unlink(f)
            dst = os.path.join(inst.tmp, "cp-dst")
            t = time.time()
            subprocess.run(["cp", src, dst], check=True)
            subprocess.run(["sync", dst], check=True)
            r["cp"].append(time.time() - t)
            os.unlink(dst)
        inst.xm_ok("destroy", "sr")
        return r
    finally:
        inst.close()


def phase_medians(runs):
    """{phase: median ms} over runs' phase dicts, in the first's order."""
    names = [k for ph in runs for k in ph]
    return {k: statistics.median([ph[k] for ph in runs if k in ph])
            for k in dict.fromkeys(names)}


def save_restore_summary(r):
    return ("save %.2f s, restore %.2f s, cp %.2f s (medians of %d), "
            "file %d MiB; save phases %s; restore phases %s" %
            (statistics.median(r["save"]), statistics.median(r["restore"]),
             statistics.median(r["cp"]), len(r["cp"]), r["size"] >> 20,
             ", ".join("%s +%.0f ms" % kv
                       for kv in phase_medians(r["save_ph"]).items()),
             ", ".join("%s +%.0f ms" % kv
                       for kv in phase_medians(r["restore_ph"]).items())))


def save_restore_text(r):
    """The save/restore part of the PERFORMANCE.md section."""
    ms, md, cp = (statistics.median(r["save"]),
                  statistics.median(r["restore"]), statistics.median(r["cp"]))
    sp, rp = phase_medians(r["save_ph"]), phase_medians(r["restore_ph"])
    return """### Save and restore of a 256 MiB guest

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

Where the time goes, medians in ms from xend's "saving to" and "restoring"
log lines (xend's debug log stamps; `bench/migrate_bench.py --only
save-restore -n N` prints every run's):

| save | QEMU's stream written (`completed`) | file committed (fsync, rename) |
|---|---|---|
| ms | %s | %s |

| restore | QEMU's QMP up | `migrate-incoming` sent | xend's CRC-32 done (beside QEMU's load) | QEMU loaded (`completed`) | `cont` sent | RESUME |
|---|---|---|---|---|---|---|
| ms | %s |

How: a save copies QEMU's stream from a pipe into a temporary file beside
the target, with its CRC-32, and has the kernel start writing back every
8 MiB (`sync_file_range`), so the fsync before the rename finds little
left to write (it used to write back the whole file there: 86 ms median).
A restore hands QEMU the file itself (`getfd` of the file positioned at
the stream, `migrate-incoming fd:`), no longer a pipe that xend filled:
xend reads the stream beside QEMU for its CRC-32, from the moment QEMU is
started, a few MiB a turn of its event loop (with `pread`: the file
offset is QEMU's), and `cont`s only once QEMU has loaded it and the
checksum is right, so a corrupt file still never runs (unit test
`test_restore_waits_for_checksum`, system test `save_checkpoint_refusals`).
What is left is QEMU's: its start until its QMP answers (its own
initialisation) and its load of the stream into guest RAM.  Not done:
`splice` of the save's pipe into the file saves no copy, since the CRC-32
needs the bytes in xend anyway (`tee` + `splice` + `read` copies as often
as `read` + `write`); QEMU writing the save file itself would lose xend's
own disk-full error and its count of the bytes.

Side by side, 2026-11-29 10:55-11:12 UTC, `--only save-restore -n 5`,
builds alternated, 15 restores each (load average 1.3-5.6 from other
work): restore median 0.36 s with the pipe (QEMU's load from
`migrate-incoming` to `completed` 234-262 ms median), 0.33 s with the file
handed to QEMU only after the whole check (the check then on the critical
path), 0.21-0.30 s with the file handed over at once and the check beside
it (the load 99-144 ms); save median 0.34 s with one fsync at the end
(86 ms of it after QEMU's `completed`), 0.23 s with writeback started as
it goes (5 ms after).  From a cold page cache (the save file and cp's
source dropped with `posix_fadvise(DONTNEED)` before each run, 8 runs
each alternated, 11:20-11:25 UTC, load average 3.7-4.8): restore median 0.63 s with
the pipe, 0.23 s with the file handed over as now, 0.45 s if xend also
sets `POSIX_FADV_SEQUENTIAL` on the file, and 0.5-1.6 s with `SEQUENTIAL`
and `WILLNEED` (xend blocked in the `WILLNEED` at the start, QEMU's start
delayed, and QEMU then read slowly): the file gets no fadvise; cold cp +
sync 0.29-1.27 s.  The host's load moves every figure by tens of percent
between runs, cp too: the ratios above are one run's.""" % (
        len(r["cp"]), ms, " ".join("%.2f" % x for x in r["save"]),
        md, " ".join("%.2f" % x for x in r["restore"]), cp,
        " ".join("%.2f" % x for x in r["cp"]), r["size"] >> 20, ms / cp,
        md / cp, "%.0f" % sp.get("streamed", float("nan")),
        "%.0f" % sp.get("committed", float("nan")),
        " | ".join("%.0f" % rp.get(k, float("nan")) for k in
                   ("qemu up", "incoming", "checked", "loaded", "cont",
                    "resume")))


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


def switchover_ms(src, since):
    """The source QEMU's pre-switchover to `device` (xend's
    migrate-continue came) in ms, by QEMU's event times since since."""
    ev = qmp_events(src, since)
    pre = [t for t, e in ev if e == "MIGRATION pre-switchover"]
    dev = [t for t, e in ev if e == "MIGRATION device"]
    return (dev[-1] - pre[-1]) * 1000 if pre and dev else float("nan")


def copy_storage_runs(n):
    """(seconds with --copy-storage, without, disk MiB, QEMU's downtime
    ms with, without, pre-switchover -> device ms with, without) per
    run."""
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
            row, down, sw = [], [], []
            for name, opts in (("cps", ["--copy-storage"]), ("pln", [])):
                t0 = time.time()
                r = src.xm("migrate", "--live", *opts, name,
                           h.ip["a" if dst is a else "b"], "-p", h.port(dst),
                           timeout=600)
                m = re.search(r"([0-9.]+) s \(downtime (\d+) ms", r.out)
                if r.rc != 0 or m is None:
                    raise RuntimeError("xm migrate %s: %s" % (name, r.err))
                row.append(float(m.group(1)))
                down.append(int(m.group(2)))
                sw.append(switchover_ms(src, t0))
            # The user's part: the source's disk file, once it runs there.
            os.unlink(disks[src])
            out.append((row[0], row[1], used, down[0], down[1], sw[0],
                        sw[1]))
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
    ap.add_argument("--only", choices=["save-restore"],
                    help="only the save/restore figures (no migrations)")
    ap.add_argument("--copy-storage", type=int, default=0, metavar="N")
    a = ap.parse_args()
    if a.only == "save-restore":
        r = save_restore(a.n)
        print(save_restore_summary(r) + "; load average " + loadavg())
        return
    if a.copy_storage:
        r = copy_storage_runs(a.copy_storage)
        def runs(k, fmt):
            return (statistics.median(x[k] for x in r),
                    " ".join(fmt % x[k] for x in r))
        print("live migration with --copy-storage: median %.2f s (%s), "
              "without: median %.2f s (%s); QEMU downtime median %d ms "
              "with, %d ms without; disk %d MiB allocated of %d MiB" %
              (runs(0, "%.2f") + runs(1, "%.2f") +
               (runs(3, "%d")[0], runs(4, "%d")[0], r[0][2],
                os.path.getsize(os.path.join(harness.IMAGES,
                                             "rootfs.ext2")) >> 20)))
        print("source pre-switchover -> device (xend's migrate-continue): "
              "median %.1f ms with (%s), %.1f ms without (%s); QEMU "
              "downtimes with: %s" % (runs(5, "%.1f") + runs(6, "%.1f") +
                                      (runs(3, "%d")[1],)))
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
    load0 = loadavg()
    sr = save_restore(max(3, a.n // 2))
    print(save_restore_summary(sr))
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
    met = all(pct(row[1], 99) < 50 for row in rows)
    body = """Measured %s by `bench/migrate_bench.py -n %d --record` (the
optimized gcc build, `scons -Q -j2`; TCG guests; 2 shared CPUs, load
average %s at the start and %s at the end, from other work).

%s

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

The switch gap is the figure to hold against the 50 ms p99 target:
%s.  Under TCG on 2 shared CPUs the guest's own heartbeat jitters with no
migration at all (the "no migration" column), so the largest gap says as
much about the host's load as about migration.  Where the switch gap goes
is in the next section (`--timeline`).
""" % (now, a.n, load0, loadavg(), save_restore_text(sr), a.n,
       "\n".join("| %s | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.0f ms | "
                 "%.0f ms | %.2f s |" %
                 (name, pct(g, 50), pct(g, 99), pct(mx, 99), pct(bs, 99),
                  pct(q, 50), pct(q, 99), pct(t, 50))
                 for name, g, q, t, mx, bs in rows),
       "met in these runs" if met else "NOT met in these runs")
    print("wrote", perfdoc.write_section("Save, restore and migration", body))


if __name__ == "__main__":
    main()
