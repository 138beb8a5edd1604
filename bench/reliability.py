#!/usr/bin/env python3
"""
reliability.py [--domains N] [--record]: failure handling, measured.

  1. crash detection: kill -9 of a domain's QEMU until xend reports the
     domain crashed (event latency, via xm call on a subscribed socket)
  2. xend kill -9 and start with N running domains: time until every
     domain is listed running again, and that no QEMU pid changed
  3. xend stop/start (graceful) with N domains: the same
  4. kill -9 of xenconsoled while a guest prints 690 KB flat out: time
     until it serves again and until a reconnecting client has its
     history, and whether its log still equals QEMU's byte for byte
"""
import argparse
import datetime
import json
import os
import signal
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
os.environ.setdefault("XEN_TEST_BIN", os.path.join(TOP, "build", "gcc", "core"))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
sys.path.insert(0, HERE)
import perfdoc  # noqa: E402
from harness import Instance, check  # noqa: E402
from consolelib import RawClient, read_logs  # noqa: E402


def subscribe(inst):
    s = socket.socket(socket.AF_UNIX)
    s.connect(inst.sock)
    s.sendall(b'{"id":1,"op":"events.subscribe"}\n')
    return s, s.makefile("rb")


def wait_event(f, pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = f.readline()
        if not line:
            raise RuntimeError("xend closed the event stream")
        m = json.loads(line)
        if "event" in m and pred(m):
            return time.monotonic()
    raise RuntimeError("no such event")


def readopt_time(inst, names, pids, how):
    with open(os.path.join(inst.tmp, "xend.pid")) as f:
        xpid = int(f.read())
    if how == "kill":
        os.kill(xpid, signal.SIGKILL)
        time.sleep(0.2)
    else:
        inst.xend("stop")
    t0 = time.monotonic()
    inst.start()
    inst.wait_for(lambda: all(d["state"] in ("r-----", "-b----")
                              for n, d in inst.domains().items()
                              if n in names), 30, "re-adopted")
    t = time.monotonic() - t0
    now = {n: d["pid"] for n, d in inst.domains().items() if n in names}
    check(now == pids, "a QEMU changed: %r -> %r" % (pids, now))
    return t


def console_kill9(inst):
    """(restart s, client history s, log bytes, identical) for 4."""
    inst.start_consoled()
    inst.xm_ok("create", inst.config("con"))
    d = inst.domains()["con"]
    path = os.path.join(inst.tmp, "consoles", "%d.sock" % d["domid"])
    ctl = RawClient.connect(path)
    ctl.login()
    ctl.send("seq 1 100000; echo END-$((6*7))X\r")
    ctl.expect(r"\r\n20000\r\n", 60)
    with open(os.path.join(inst.tmp, "xenconsoled.pid")) as f:
        os.kill(int(f.read()), signal.SIGKILL)
    t0 = time.monotonic()
    inst.start_consoled()
    t_up = time.monotonic() - t0
    c = RawClient.connect(path)
    c.expect(r"\S", 20)
    t_hist = time.monotonic() - t0
    c.expect(r"END-42X", 120)
    logdir = os.path.join(inst.tmp, "console-logs")

    def same():
        with open(d["console_log"], "rb") as f:
            return read_logs(logdir, "con") == f.read()
    end = time.monotonic() + 30
    while not same() and time.monotonic() < end:
        time.sleep(0.2)
    size = len(read_logs(logdir, "con"))
    ok = same()
    c.close()
    ctl.close()
    inst.xm_ok("destroy", "con")
    inst.stop_consoled()
    return t_up, t_hist, size, ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--domains", type=int, default=5)
    ap.add_argument("--record", action="store_true")
    a = ap.parse_args()
    inst = Instance("bench-rel").start()
    try:
        names = []
        for i in range(a.domains):
            n = "r%d" % i
            inst.xm_ok("create", inst.config(n, on_crash='"preserve"'))
            names.append(n)
        inst.wait_for(lambda: all(inst.domains()[n]["state"] == "-b----"
                                  for n in names), 120, "guests idle")
        pids = {n: d["pid"] for n, d in inst.domains().items() if n in names}
        # 1. crash detection latency, 3 times
        lat = []
        for n in names[:3]:
            s, f = subscribe(inst)
            f.readline()  # the subscribe reply
            t0 = time.monotonic()
            os.kill(pids[n], signal.SIGKILL)
            t1 = wait_event(f, lambda m: m.get("domain", {}).get("name") == n
                            and m["domain"]["state"] == "----c-", 10)
            lat.append((t1 - t0) * 1000)
            s.close()
            inst.xm_ok("destroy", n)
            names.remove(n)
            del pids[n]
        # 2. and 3. with the domains left (created again to N)
        for i in range(3):
            n = "s%d" % i
            inst.xm_ok("create", inst.config(n))
            names.append(n)
        inst.wait_for(lambda: all(inst.domains()[n]["state"] == "-b----"
                                  for n in names), 120, "guests idle")
        pids = {n: d["pid"] for n, d in inst.domains().items() if n in names}
        t_kill = readopt_time(inst, names, pids, "kill")
        t_stop = readopt_time(inst, names, pids, "stop")
        for n in names:
            inst.xm_ok("destroy", n)
        c_up, c_hist, c_size, c_ok = console_kill9(inst)
        print("crash detected after kill -9 of QEMU: %s ms" %
              ", ".join("%.1f" % x for x in lat))
        print("xend kill -9 + start, %d domains re-adopted in %.2f s, "
              "same QEMU pids" % (len(names), t_kill))
        print("xend stop + start, %d domains re-adopted in %.2f s, same "
              "QEMU pids" % (len(names), t_stop))
        print("xenconsoled kill -9 mid-burst: serving again after %.2f s, "
              "a reconnecting client has history after %.2f s; log %d "
              "bytes, %s QEMU's" % (c_up, c_hist, c_size, "equal to" if c_ok
                                    else "DIFFERENT from"))
        if a.record:
            now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
            body = """
Measured %s by `bench/reliability.py --domains %d --record` (gcc -O2
build, TCG guests, %d shared CPUs).

| failure | measured |
|---|---|
| kill -9 of a domain's QEMU: until the domain.state event says crashed | %s ms |
| kill -9 of xend, then `xend start`, %d running domains: until all are listed running again | %.2f s; no QEMU restarted (same pids) |
| `xend stop` then `xend start`, %d running domains | %.2f s; same pids |
| kill -9 of xenconsoled while the guest prints 690 KB, then `xenconsoled start` | serving again after %.2f s; a reconnecting client has its history after %.2f s; the log (%d bytes) %s QEMU's byte for byte |
""" % (now, a.domains, os.cpu_count(), ", ".join("%.1f" % x for x in lat),
                len(names), t_kill, len(names), t_stop, c_up, c_hist, c_size,
                "equals" if c_ok else "DIFFERS from")
            path = os.path.join(TOP, "docs", "RELIABILITY.md")
            old = open(path).read()
            start = old.index("## Measured")
            end = old.find("\n## ", start + 1)
            new = old[:start] + "## Measured\n" + body + (old[end:] if end != -1 else "")
            with open(path, "w") as fh:
                fh.write(new)
            print("wrote", path)
    finally:
        reports = inst.close()
        if reports:
            print("sanitizer reports:", *reports, sep="\n")


if __name__ == "__main__":
    main()
