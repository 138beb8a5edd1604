#!/usr/bin/env python3
"""
web.py [--seconds S] [--connections C] [--record]: xensv under load.
web.py --real [--record]: xensv's resident memory against a real xend.

A private xensv (gcc -O2 build) in front of tests/system/fakexend.py with
30 domains (xend's real protocol; the domain list xensv caches and
answers GET /api/domains from).  wrk, from this machine, on
GET /api/domains and on a static file of the same size class (js/app.js)
in the same run, with a session cookie: requests/s and p99.  Then the
pages' transferred weight (gzip, as served) and xensv's resident memory
with 100 idle connections and 10 event WebSockets open.  --record writes
the "Web console (xensv)" section of docs/PERFORMANCE.md.

--real: a private real xend and xenconsoled with 30 demo domains (created
paused: QEMU runs, the guests use no CPU), xensv's resident memory fresh,
then with 100 idle connections, 10 event WebSockets and 10 serial consoles
open through /ws/console (each bridged: its status says connected);
--record writes
"Web console (xensv), real xend".
"""
import argparse
import datetime
import gzip
import os
import re
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
os.environ.setdefault("XEN_TEST_BIN", os.path.join(TOP, "build", "gcc", "core"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
import perfdoc  # noqa: E402
from harness import Instance  # noqa: E402
from weblib import Web, setup_users, ADMIN_PW  # noqa: E402

DOMAINS = 30


def wrk(url, cookie, seconds, conns):
    p = subprocess.run(["wrk", "-t2", "-c%d" % conns, "-d%ds" % seconds,
                        "--latency", "-H", "Cookie: " + cookie, url],
                       capture_output=True, text=True, check=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", p.stdout).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", p.stdout)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
    return rps, p99, int(errs.group(1)) if errs else 0


def gz_size(path):
    with open(path, "rb") as f:
        return len(gzip.compress(f.read(), 9))


def page_weight():
    st = os.path.join(TOP, "static")
    overview = ["index.html", "css/app.css"] + [
        "js/" + f for f in sorted(os.listdir(os.path.join(st, "js")))
        if f.endswith(".js") and f != "login.js"]
    console = overview + ["node_modules/@xterm/xterm/lib/xterm.js",
                          "node_modules/@xterm/xterm/css/xterm.css",
                          "node_modules/@xterm/addon-fit/lib/addon-fit.js"]
    return (sum(gz_size(os.path.join(st, f)) for f in overview),
            sum(gz_size(os.path.join(st, f)) for f in console), len(overview))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(f.read().split("VmRSS:")[1].split()[0])


def real(record):
    """RSS against a real xend: 30 domains, 10 consoles, 100 idle."""
    load = os.getloadavg()[0]
    inst = Instance("bench-web-real")
    try:
        inst.start()
        inst.start_consoled()
        t0 = time.monotonic()
        for i in range(DOMAINS):
            inst.xm_ok("create", "-p", inst.config("bw%02d" % i),
                       timeout=120)
        made = time.monotonic() - t0
        setup_users(inst)
        inst.start_xensv()
        web = Web(inst, "admin", ADMIN_PW)
        for _ in range(100):
            doms = web.ok("GET", "/api/domains")
            if len(doms) > DOMAINS:
                break
            time.sleep(0.1)
        pid = inst.xensv_pid()
        time.sleep(2)
        rss_fresh = rss_kb(pid)
        socks = [socket.create_connection(("127.0.0.1", web.port))
                 for _ in range(100)]
        wss = [web.ws("/ws/events") for _ in range(10)]
        cons = []
        for i in range(10):
            t = web.ok("POST", "/api/domains/bw%02d/console" % i,
                       {"kind": "serial"})
            cons.append(web.ws(t["url"]))
            # Bridged to xenconsoled: its status says so.
            cons[-1].recv_json(lambda j: j.get("type") == "status" and
                               j.get("state") == "connected", timeout=20)
        time.sleep(3)
        rss_open = rss_kb(pid)
        for c in socks + wss + cons:
            c.close()
    finally:
        inst.close()
    line = ("xensv RSS with a real xend, %d domains (%d incl. Domain-0 in "
            "its list): %d kB fresh, %d kB with 100 idle connections, 10 "
            "event sockets and 10 serial consoles open" %
            (DOMAINS, len(doms), rss_fresh, rss_open))
    print(line)
    if record:
        now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
        body = """Measured %s by `bench/web.py --real --record` (gcc -O2 build
of xend, xenconsoled and xensv; %d demo domains created paused by `xm
create -p` in %.0f s, so QEMU and their consoles exist but the guests use
no CPU; 2 shared cores, load average %.1f when it began).

xensv's resident memory: %.1f MB fresh (xend's list of %d domains cached,
its history filling); %.1f MB with 100 idle connections, 10 event
WebSockets and 10 serial consoles open through `/ws/console`, each
bridged to xenconsoled (target
with 30 domains, 10 serial consoles and 100 idle connections: under 12
MB: %s).
""" % (now, DOMAINS, made, load, rss_fresh / 1024, len(doms),
            rss_open / 1024, "met" if rss_open < 12 * 1024 else "NOT met")
        perfdoc.write_section("Web console (xensv), real xend", body)
        print("wrote", perfdoc.PATH)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--real", action="store_true")
    a = ap.parse_args()
    if a.real:
        return real(a.record)
    load = os.getloadavg()[0]
    inst = Instance("bench-web")
    fake = subprocess.Popen([sys.executable, os.path.join(
        TOP, "tests", "system", "fakexend.py"), "--socket", inst.sock,
        "--domains", str(DOMAINS)], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        while not os.path.exists(inst.sock):
            time.sleep(0.05)
        setup_users(inst)
        inst.start_xensv()
        web = Web(inst, "admin", ADMIN_PW)
        base = "http://127.0.0.1:%d" % web.port
        for _ in range(50):
            doms = web.ok("GET", "/api/domains")
            if len(doms) >= DOMAINS:
                break
            time.sleep(0.1)
        pid = inst.xensv_pid()
        rss_fresh = rss_kb(pid)
        # The target's condition first: idle connections and sockets open.
        socks = [socket.create_connection(("127.0.0.1", web.port))
                 for _ in range(100)]
        wss = [web.ws("/ws/events") for _ in range(10)]
        time.sleep(2)
        rss_busy = rss_kb(pid)
        for s in socks:
            s.close()
        for w in wss:
            w.close()
        api = wrk(base + "/api/domains", web.cookie, a.seconds, a.connections)
        static = wrk(base + "/js/app.js", web.cookie, a.seconds,
                     a.connections)
        api_len = len(web.request("GET", "/api/domains").data)
        static_len = len(web.request("GET", "/js/app.js").data)
        time.sleep(1.5)
        rss_idle = rss_kb(pid)
        ov, con, nfiles = page_weight()
    finally:
        inst.stop_xensv()
        fake.terminate()
        fake.wait()
        inst.close()
    print("GET /api/domains (%d domains, %d bytes): %.0f req/s, p99 %.2f ms, "
          "%d errors" % ((len(doms), api_len) + api))
    print("GET /js/app.js (%d bytes): %.0f req/s, p99 %.2f ms, %d errors" %
          ((static_len,) + static))
    print("overview %d B gzip (%d files), console page %d B" % (ov, nfiles,
                                                             con))
    print("xensv RSS %d kB fresh, %d kB with 100 idle connections and 10 "
          "event sockets, %d kB after the load" % (rss_fresh, rss_busy,
                                                   rss_idle))
    if a.record:
        now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
        body = """Measured %s by `bench/web.py --seconds %d --connections %d --record`
(gcc -O2 build; xensv in front of `tests/system/fakexend.py` with %d
domains, so the figures are xensv's own; 2 shared cores, load average
%.1f when it began; `wrk -t2 -c%d` from the same machine, with a session
cookie).

| what | requests/s | p99 | target |
|---|---|---|---|
| `GET /api/domains` (%d domains, %d bytes of JSON from the cache) | %.0f | %.2f ms | 15,000 req/s: %s |
| `GET /js/app.js` (static, %d bytes, sendfile) | %.0f | %.2f ms | |

| page | transferred (gzip, as served) | target |
|---|---|---|
| overview (index.html, app.css, %d ES modules) | %.1f KB | under 100 KB: %s |
| console (the overview + xterm.js, its CSS, the fit addon) | %.1f KB | under 300 KB: %s |

xensv's resident memory with %d domains: %.1f MB fresh; %.1f MB with 100
idle connections and 10 event WebSockets open (target with 30 domains, 10
serial consoles and 100 idle connections: under 12 MB: %s); %.1f MB after
the two wrk runs above (what the 32 busy connections used stays with the
process).
""" % (now, a.seconds, a.connections, DOMAINS, load, a.connections,
            len(doms),
            api_len, api[0], api[1], "met" if api[0] >= 15000 else "NOT met",
            static_len, static[0], static[1], nfiles, ov / 1024,
            "met" if ov < 100 * 1024 else "NOT met", con / 1024,
            "met" if con < 300 * 1024 else "NOT met", DOMAINS,
            rss_fresh / 1024, rss_busy / 1024, "met" if rss_busy < 12 * 1024
            else "NOT met", rss_idle / 1024)
        perfdoc.write_section("Web console (xensv)", body)
        print("wrote", perfdoc.PATH)
    return 0


if __name__ == "__main__":
    sys.exit(main())
