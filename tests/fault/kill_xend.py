#!/usr/bin/env python3
"""
kill_xend.py [--iterations N] [--ops create,destroy,...] [--seed S] [--json F]

kill -9 of xend at a random moment during create, destroy, reboot,
rename-then-restart and shutdown, N times each, on a private xend
(tests/system/harness.py).  After each kill: xend start, then check

  orphan     a qemu-system process naming this instance's state dir whose
             pid no listed domain has (also counted after the iteration's
             own xm destroy: a QEMU that outlives its domain)
  duplicate  two QEMUs for one domain (same domain dir or same guest name)
  mismatch   a listed domain that claims a QEMU (starting, running, paused)
             whose pid is not a live QEMU of this instance
  lost       a domain that should still be there (its create was
             acknowledged and nobody destroyed or shut it down) is not
             listed, under its old or new name
  ignored    an acknowledged xm reboot or xm shutdown that never happens
             (reboot: no new boot within 90 s; shutdown: still listed
             after 90 s)

Exit status 0 if nothing was found.  Prints one line per operation with the
counts; --json writes them to a file.  Uses the binaries in $XEN_TEST_BIN
(default build/san/core), like the system tests.
"""
import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "system"))
import harness  # noqa: E402
from harness import check  # noqa: E402

OPS = ("create", "destroy", "reboot", "rename", "shutdown")
# Many restarts of one domain are the point here, not a restart loop.
EXTRA = "(restart-limit 1000)\n(restart-window 1)\n(shutdown-timeout 120)\n"


def qemus(inst):
    """{pid: (domain dir, guest name)} of live QEMUs naming inst's state."""
    out = {}
    key = inst.state.encode()
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if not argv or b"qemu-system" not in os.path.basename(argv[0]):
            continue
        if not any(key in a for a in argv):
            continue
        ddir = name = None
        for a in argv:
            m = re.match(rb"unix:(.*)/qmp\.sock,", a)
            if m:
                ddir = m.group(1).decode()
            m = re.match(rb"guest=((?:[^,]|,,)*)", a)
            if m:
                name = m.group(1).decode()
        out[int(p)] = (ddir, name)
    return out


def listed(inst):
    return {d["name"]: d for d in inst.call("domain.list")
            if d["domid"] != 0}


def xend_pid(inst):
    with open(os.path.join(inst.tmp, "xend.pid")) as f:
        return int(f.read().strip())


def kill_xend(inst):
    """SIGKILL to xend, then until it is gone."""
    pid = xend_pid(inst)
    os.kill(pid, signal.SIGKILL)
    end = time.time() + 10
    while os.path.exists("/proc/%d" % pid) and time.time() < end:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().split(") ")[-1].startswith("Z"):
                    break
        except OSError:
            break
        time.sleep(0.005)


class Counts:
    def __init__(self):
        self.orphan = self.duplicate = self.mismatch = self.lost = 0
        self.ignored = 0
        self.notes = []

    def total(self):
        return (self.orphan + self.duplicate + self.mismatch + self.lost +
                self.ignored)

    def as_dict(self):
        return {"orphan": self.orphan, "duplicate": self.duplicate,
                "mismatch": self.mismatch, "lost": self.lost,
                "ignored": self.ignored}


def duplicates(q):
    """How many QEMUs beyond the first, per domain dir and per guest name."""
    by_dir, by_name = {}, {}
    for pid, (ddir, name) in q.items():
        by_dir.setdefault(ddir, []).append(pid)
        by_name.setdefault(name, []).append(pid)
    n = sum(len(v) - 1 for v in by_dir.values())
    m = sum(len(v) - 1 for v in by_name.values())
    return max(n, m)


def check_after(inst, c, it, op, expect):
    """xend is back: sample for a while (a duplicate at any moment counts),
    then judge the settled state.  expect: names of which one must be
    listed (None: the domain may be gone, if its QEMU is gone too)."""
    dup_seen = 0
    end = time.time() + 30
    settled_since = None
    while True:
        q = qemus(inst)
        dup_seen = max(dup_seen, duplicates(q))
        doms = listed(inst)
        busy = any(d["status"] in ("starting", "dying") for d in
                   doms.values())
        now = time.time()
        if not busy:
            settled_since = settled_since or now
            if now - settled_since > 1.5:
                break
        else:
            settled_since = None
        if now > end:
            c.notes.append("%s %d: not settled after 30 s: %s" %
                           (op, it, {n: d["status"] for n, d in doms.items()}))
            break
        time.sleep(0.1)
    q = qemus(inst)
    dup_seen = max(dup_seen, duplicates(q))
    doms = listed(inst)
    pids = {d["pid"]: n for n, d in doms.items()}
    orphans = [p for p in q if p not in pids]
    mism = [n for n, d in doms.items()
            if d["status"] in ("starting", "running", "blocked", "paused")
            and d["pid"] not in q]
    lost = expect is not None and not any(n in doms for n in expect)
    if dup_seen:
        c.duplicate += dup_seen
        c.notes.append("%s %d: %d duplicate QEMU(s): %s" % (op, it, dup_seen,
                                                            q))
    if orphans:
        c.orphan += len(orphans)
        c.notes.append("%s %d: orphan QEMU(s) %s; listed %s" %
                       (op, it, orphans, {n: d["pid"] for n, d in
                                          doms.items()}))
    if mism:
        c.mismatch += len(mism)
        c.notes.append("%s %d: listed without their QEMU: %s" % (op, it,
                                                                 mism))
    if lost:
        c.lost += 1
        c.notes.append("%s %d: %s not listed (listed: %s)" %
                       (op, it, "/".join(expect), sorted(doms)))
    return doms


def destroy_all(inst, c, it, op):
    """Ends the iteration: xm destroy of every domain; any QEMU of this
    instance still running afterwards is an orphan (killed here)."""
    for n in listed(inst):
        inst.xm("destroy", n, timeout=60)
    time.sleep(0.2)
    left = qemus(inst)
    if left:
        c.orphan += len(left)
        c.notes.append("%s %d: QEMU(s) left after xm destroy: %s" %
                       (op, it, left))
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass


def logins(inst, name):
    """Login prompts in the domain's console log (one per boot)."""
    d = listed(inst).get(name)
    if d is None:
        return -1
    try:
        with open(d["console_log"], "rb") as f:
            return f.read().count(b"login: ")
    except OSError:
        return 0


def wait_booted(inst, name, before=0, timeout=120):
    inst.wait_for(lambda: logins(inst, name) > before, timeout,
                  "%s to boot" % name)


def restart(inst):
    r = inst.xend("start")
    check(r.rc == 0, "xend start failed: %r\n%s" % (r, inst.log_tail()))


def background(inst, argv_list):
    """Runs xm commands one after another in a thread (xend may die
    under them); t.rcs gets each one's exit status (None: not xm)."""
    def run():
        for argv in argv_list:
            if callable(argv):
                argv()
                t.rcs.append(None)
                continue
            try:
                t.rcs.append(inst.xm(*argv, timeout=150).rc)
            except subprocess.TimeoutExpired:
                t.rcs.append(-1)
    t = threading.Thread(target=run, daemon=True)
    t.rcs = []
    t.start()
    return t


def op_create(inst, c, it, rng):
    name = "c%d" % it
    cfg = inst.config(name)
    ddir = os.path.join(inst.state, "domains")
    before = set(os.listdir(ddir)) if os.path.isdir(ddir) else set()
    p = subprocess.Popen([inst.env["XM"], "create", "-p", cfg], env=inst.env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if rng.random() < 0.5:
        # Half the time near the spawn, whatever the load: a new domain
        # dir gets its qemu.log just before the fork.  Then 0-15 ms on.
        end = time.time() + 10
        while time.time() < end and p.poll() is None:
            if any(os.path.exists(os.path.join(ddir, x, "qemu.log"))
                   for x in (os.listdir(ddir) if os.path.isdir(ddir) else ())
                   if x not in before):
                break
        time.sleep(rng.uniform(0, 0.015))
    else:
        # Anywhere until QMP is up and xm has its answer.
        time.sleep(rng.uniform(0, 0.5))
    kill_xend(inst)
    acked = p.wait(60) == 0
    restart(inst)
    check_after(inst, c, it, "create", [name] if acked else None)
    destroy_all(inst, c, it, "create")


def op_destroy(inst, c, it, rng):
    name = "d%d" % it
    inst.xm_ok("create", "-p", inst.config(name))
    rt = os.path.join(listed(inst)[name]["dir"], "runtime.json")
    t = background(inst, [("destroy", name)])
    if rng.random() < 0.5:
        # Half the time once xend has recorded "dying", whatever the load.
        end = time.time() + 10
        while time.time() < end:
            try:
                with open(rt) as f:
                    if '"dying"' in f.read():
                        break
            except OSError:
                break
        time.sleep(rng.uniform(0, 0.01))
    else:
        time.sleep(rng.uniform(0, 0.08))
    kill_xend(inst)
    t.join(150)
    restart(inst)
    check_after(inst, c, it, "destroy", None)
    destroy_all(inst, c, it, "destroy")


def op_reboot(inst, c, it, rng):
    """One domain, rebooted again and again (recreated if it is gone)."""
    name = "r"
    if name not in listed(inst):
        inst.xm_ok("create", inst.config(name, on_reboot='"restart"'))
    wait_booted(inst, name)
    n = logins(inst, name)
    t = background(inst, [("reboot", name)])
    # Booted: the guest acts on the first press; the restart follows.
    time.sleep(rng.uniform(0, 2.5))
    kill_xend(inst)
    t.join(150)
    restart(inst)
    doms = check_after(inst, c, it, "reboot", [name])
    d = doms.get(name)
    if d is None or d["status"] not in ("running", "blocked"):
        destroy_all(inst, c, it, "reboot")
        return
    try:
        wait_booted(inst, name, n, timeout=90)
    except harness.TestFailure:
        if t.rcs == [0]:
            c.ignored += 1
        c.notes.append("reboot %d: no boot after the reboot (xm reboot %s)"
                       % (it, "acknowledged" if t.rcs == [0] else
                          "failed: xend was killed under it"))
        destroy_all(inst, c, it, "reboot")


def op_rename(inst, c, it, rng):
    """xm rename, then a restart: xm reboot (on_reboot restart, same QEMU)
    on even iterations, a killed QEMU (on_crash restart, a new QEMU) on
    odd ones."""
    name, new = "n%d" % it, "n%d-r" % it
    inst.xm_ok("create", inst.config(name, on_reboot='"restart"',
                                     on_crash='"restart"'))
    wait_booted(inst, name)
    pid = listed(inst)[name]["pid"]

    def crash():
        time.sleep(0.05)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    t = background(inst, [("rename", name, new),
                          ("reboot", new) if it % 2 == 0 else crash])
    time.sleep(rng.uniform(0, 2.0 if it % 2 == 0 else 0.4))
    kill_xend(inst)
    t.join(150)
    restart(inst)
    check_after(inst, c, it, "rename", [name, new])
    destroy_all(inst, c, it, "rename")


def op_shutdown(inst, c, it, rng):
    """xm shutdown of a booted guest (even iterations) or of one still
    booting (odd: xend presses the button until the guest acts)."""
    name = "s%d" % it
    inst.xm_ok("create", inst.config(name))
    if it % 2 == 0:
        wait_booted(inst, name)
        delay = rng.uniform(0, 1.5)
    else:
        delay = rng.uniform(0, 6.0)
    t = background(inst, [("shutdown", name)])
    time.sleep(delay)
    kill_xend(inst)
    t.join(150)
    restart(inst)
    check_after(inst, c, it, "shutdown", None)
    if t.rcs == [0]:
        try:
            inst.wait_for(lambda: name not in listed(inst), 90,
                          "%s to shut down" % name)
        except harness.TestFailure:
            c.ignored += 1
            c.notes.append("shutdown %d: acknowledged, still listed: %s" %
                           (it, listed(inst).get(name, {}).get("status")))
    destroy_all(inst, c, it, "shutdown")


def run_iterations(inst, op, iterations, seed, log=print, progress=False):
    """The loop on a running instance (made with EXTRA in its config)."""
    rng = random.Random("%s-%d" % (op, seed))
    c = Counts()
    t0 = time.time()
    for it in range(iterations):
        seen = len(c.notes)
        globals()["op_" + op](inst, c, it, rng)
        for n in c.notes[seen:]:
            log("  " + n)
        if progress:
            log("  %s %d/%d %.0fs: %s" % (op, it + 1, iterations,
                                          time.time() - t0, c.as_dict()))
    return c


def run_op(op, iterations, seed, log=print, progress=False):
    inst = harness.Instance("kx-" + op, EXTRA)
    t0 = time.time()
    try:
        inst.start()
        c = run_iterations(inst, op, iterations, seed, log, progress)
    finally:
        reports = inst.close()
    if reports:
        c.notes.append("sanitizer reports:\n" + "\n".join(reports))
    return c, time.time() - t0, reports


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--ops", default=",".join(OPS))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="write the counts to this file")
    ap.add_argument("--progress", action="store_true",
                    help="a line with the counts after every iteration")
    a = ap.parse_args()
    ops = a.ops.split(",")
    for op in ops:
        if op not in OPS:
            ap.error("unknown op %s (one of %s)" % (op, ", ".join(OPS)))
    results, bad = {}, 0
    for op in ops:
        c, secs, reports = run_op(op, a.iterations, a.seed,
                                  log=lambda m: print(m, flush=True),
                                  progress=a.progress)
        results[op] = dict(c.as_dict(), iterations=a.iterations,
                           seconds=round(secs, 1), notes=c.notes)
        print("%-9s %4d iterations %7.1fs: orphans %d, duplicates %d, "
              "mismatches %d, lost %d, ignored %d%s" %
              (op, a.iterations, secs, c.orphan, c.duplicate, c.mismatch,
               c.lost, c.ignored, ", SANITIZER REPORTS" if reports else ""),
              flush=True)
        bad += c.total() + (1 if reports else 0)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
