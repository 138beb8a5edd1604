#!/usr/bin/env python3
"""
console_bench.py [-n ROUNDS] [--record]: xenconsoled against reading
QEMU's console socket directly, in one run, on one demo guest:

  throughput  the guest cats a 1.17 MB file (seq 1 160000) to its serial
              console; time from Return to the last byte at the slowest
              client: direct (one reader on QEMU's socket, xenconsoled
              stopped), then through xenconsoled to 1 and to 32 telnet
              clients; rounds alternate.
  latency     keystroke echo: one byte to the guest (raw tty, cat echoes
              it), until it is back; direct, then through xenconsoled's
              telnet port; blocks alternate.

Both sides get QEMU's console socket with the same enlarged send buffer
(xenconsoled does that itself; the direct reader does it the same way),
so the comparison is of xenconsoled, not of the kernel's socket sizing.
--record writes the "## Consoles" section of docs/PERFORMANCE.md.
"""
import argparse
import ctypes
import datetime
import os
import select
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
os.environ.setdefault("XEN_TEST_BIN", os.path.join(TOP, "build", "gcc", "core"))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
import harness  # noqa: E402
from harness import Instance, check  # noqa: E402
from consolelib import RawClient, TelnetClient  # noqa: E402

N = 160000
BURST = sum(len(b"%d\r\n" % i) for i in range(1, N + 1))
END = b"END-42X"
SO_SNDBUFFORCE = 32


def enlarge_qemu_sndbuf(pid, path):
    """What xenconsoled does: QEMU's end of the console connection gets a
    4 MiB (8 MiB effective) send buffer."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    done = False
    try:
        for f in os.listdir("/proc/%d/fd" % pid):
            try:
                if not os.readlink("/proc/%d/fd/%s" % (pid, f)).startswith(
                        "socket:"):
                    continue
            except OSError:
                continue
            fd = libc.syscall(438, pidfd, int(f), 0)   # pidfd_getfd
            if fd < 0:
                continue
            s = socket.socket(fileno=fd)
            try:
                if (s.family == socket.AF_UNIX and s.getsockname() == path
                        and not s.getsockopt(socket.SOL_SOCKET,
                                             socket.SO_ACCEPTCONN)):
                    s.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, 16 << 20)
                    done = True
            except OSError:
                pass
            finally:
                s.close()
    finally:
        os.close(pidfd)
    return done


def direct(dom):
    c = RawClient(socket.socket(socket.AF_UNIX))
    c.sock.connect(dom["console_path"])
    time.sleep(0.2)
    c.send("\r")
    c.expect(r"# ", 10)
    check(enlarge_qemu_sndbuf(dom["pid"], dom["console_path"]),
          "could not enlarge QEMU's socket buffer")
    return c


def burst(typist, readers):
    """Seconds from Return until every reader has the end marker."""
    for r in readers:
        r.buf = b""
    typist.send("cat /tmp/burst; echo END-$((6*7))X")
    time.sleep(0.3)
    for r in readers:
        r.pump(0.1)
        r.buf = b""
    t0 = time.perf_counter()
    typist.send("\r")
    pending = list(readers)
    done = {}
    while pending:
        rs, _, _ = select.select(pending, [], [], 120)
        check(rs, "burst timed out")
        for r in rs:
            data = r.sock.recv(1 << 20)
            check(data, "client closed")
            r.buf = r.buf[-16:] + data
            if END in r.buf:
                done[r] = time.perf_counter() - t0
                pending.remove(r)
    typist.expect(r"# ", 10)
    return max(done.values())


def echo_latencies(c, n):
    c.send("stty raw -echo isig; cat; stty sane\r")
    time.sleep(1.0)
    c.pump(0.2)
    out = []
    for i in range(n):
        ch = b"abcdefghijklmnopqrstuvwxyz"[i % 26:i % 26 + 1]
        c.buf = b""
        t0 = time.perf_counter()
        c.sock.sendall(ch)
        while ch not in c.buf:
            c.pump(5)
        out.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.01)
    c.sock.sendall(b"\x03")
    c.expect(r"# ", 10)
    return out


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=3, help="rounds of each")
    ap.add_argument("--keys", type=int, default=200,
                    help="keystrokes per latency block")
    ap.add_argument("--record", action="store_true")
    a = ap.parse_args()
    inst = Instance("bench-console", "(loglevel INFO)")
    res = {"direct": [], "c1": [], "c32": []}
    lat = {"direct": [], "consoled": []}
    try:
        inst.start()
        inst.xm_ok("create", inst.config("bench"))
        dom = inst.domains()["bench"]
        # Log in and make the file, directly (xenconsoled not running).
        c = RawClient(socket.socket(socket.AF_UNIX))
        c.sock.connect(dom["console_path"])
        c.login(120)
        c.send("seq 1 %d > /tmp/burst; echo made-$((1+1))\r" % N)
        c.expect(r"made-2", 60)
        c.close()
        for rnd in range(a.n):
            c = direct(dom)
            res["direct"].append(burst(c, [c]))
            c.close()
            inst.start_consoled()
            ts = [TelnetClient.connect(dom["console_port"])
                  for _ in range(32)]
            for t in ts:
                t.buf = b""
            ts[0].send("\r")
            ts[0].expect(r"# ", 10)
            res["c1"].append(burst(ts[0], ts[:1]))
            res["c32"].append(burst(ts[0], ts))
            for t in ts:
                t.close()
            inst.stop_consoled()
            time.sleep(0.5)
            print("round %d: direct %.2f s, 1 client %.2f s, 32 clients "
                  "%.2f s" % (rnd + 1, res["direct"][-1], res["c1"][-1],
                              res["c32"][-1]), flush=True)
        for blk in range(2):
            c = direct(dom)
            lat["direct"] += echo_latencies(c, a.keys)
            c.close()
            inst.start_consoled()
            t = TelnetClient.connect(dom["console_port"])
            t.send("\r")
            t.expect(r"# ", 10)
            lat["consoled"] += echo_latencies(t, a.keys)
            t.close()
            inst.stop_consoled()
            time.sleep(0.5)
        inst.xm("destroy", "bench")
    finally:
        inst.close()

    mb = BURST / 1e6
    thr = {k: mb / statistics.median(v) for k, v in res.items()}
    r1 = thr["c1"] / thr["direct"]
    r32 = thr["c32"] / thr["direct"]
    lp = {k: (pct(v, 50), pct(v, 99)) for k, v in lat.items()}
    added50 = lp["consoled"][0] - lp["direct"][0]
    added99 = lp["consoled"][1] - lp["direct"][1]
    print("throughput MB/s: direct %.3f, 1 client %.3f (ratio %.3f), 32 "
          "clients %.3f (ratio %.3f)" % (thr["direct"], thr["c1"], r1,
                                         thr["c32"], r32))
    print("echo latency ms p50/p99: direct %.3f/%.3f, xenconsoled %.3f/%.3f;"
          " added p50 %.3f, p99 %.3f" % (lp["direct"] + lp["consoled"] +
                                         (added50, added99)))
    if a.record:
        record(a, res, thr, r1, r32, lat, lp, added50, added99)
    return thr, r1, r32, lp


def record(a, res, thr, r1, r32, lat, lp, added50, added99):
    cpu = subprocess.run("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2",
                         shell=True, capture_output=True,
                         text=True).stdout.strip()
    now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    runs = {k: " ".join("%.2f" % x for x in v) for k, v in res.items()}
    text = """## Consoles

Measured %s on %s (%d CPUs, shared, noisy), one TCG demo guest, by
`bench/console_bench.py -n %d --keys %d --record` (gcc -O2 build).

### Throughput: a 1.17 MB burst from the guest

The guest cats a file of `seq 1 %d` (%d bytes through its tty) to its
serial console.  Time from Return to the last byte at the slowest client.
Direct is one reader on QEMU's console socket with xenconsoled stopped;
the others read xenconsoled's telnet port (binary mode).  Both sides get
QEMU's end of the socket with the same enlarged send buffer (see
docs/CONSOLES.md, "Draining"); rounds alternate.

| | median MB/s | runs (s) | ratio to direct | target |
|---|---|---|---|---|
| direct (QEMU's socket) | %.3f | %s | 1 | |
| xenconsoled, 1 client | %.3f | %s | **%.3f** | at least 0.95: %s |
| xenconsoled, 32 clients (slowest) | %.3f | %s | **%.3f** | |

The guest's UART, emulated byte by byte under TCG, is the bottleneck on
both paths: xenconsoled keeps up with it, to 32 clients at once.  A ratio
above 1 is no free lunch: the direct reader (Python, one recv() per
wake-up) takes the bytes a few at a time and competes with QEMU for the
two CPUs, while xenconsoled's drain thread batches its reads once a
stream is flowing (docs/CONSOLES.md, "Draining").

### Keystroke echo latency

One byte sent, until the guest (raw tty, `cat`) has echoed it back; %d
keystrokes each, in alternating blocks.

| | p50 | p99 |
|---|---|---|
| direct (QEMU's socket) | %.3f ms | %.3f ms |
| through xenconsoled (telnet) | %.3f ms | %.3f ms |
| added by xenconsoled | %.3f ms | **%.3f ms** (target: under 1 ms: %s) |
""" % (now, cpu, os.cpu_count(), a.n, a.keys, N, BURST, thr["direct"],
       runs["direct"], thr["c1"], runs["c1"], r1,
       "met" if r1 >= 0.95 else "NOT met", thr["c32"], runs["c32"], r32,
       len(lat["direct"]), lp["direct"][0], lp["direct"][1],
       lp["consoled"][0], lp["consoled"][1], added50, added99,
       "met" if added99 < 1 else "NOT met")
    path = os.path.join(TOP, "docs", "PERFORMANCE.md")
    head = ("# Performance\n\nFigures measured by the benchmarks in `bench/`; "
            "each section names the command that made it.\n\n")
    old = open(path).read() if os.path.exists(path) else head
    start = old.find("## Consoles")
    if start == -1:
        new = (old if old.strip() else head).rstrip("\n") + "\n\n" + text
    else:
        end = old.find("\n## ", start + 1)
        new = old[:start] + text + (old[end + 1:] if end != -1 else "")
    with open(path, "w") as f:
        f.write(new)
    print("wrote", path)


if __name__ == "__main__":
    main()
