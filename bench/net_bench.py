#!/usr/bin/env python3
"""
net_bench.py [-n RUNS] [--mb MB] [--record]: networking figures.

  default bridge  guest-to-guest TCP throughput between two demo domains
                  on the default network (busybox nc: the receiver times
                  MB megabytes that the sender's nc -e dd writes), and
                  dom0 to a guest the same way;
  vnet            the same between domains on two namespaced "hosts"
                  joined by a vnet (VXLAN over a veth), beside dom0 to dom0
                  (the two namespaces) over that veth with the same tools;
  hot-plug        xm network-attach and xm network-detach wall times on a
                  running domain (attach: until the tap is on its bridge;
                  detach: until the guest let the device go).

The guests run under TCG: the throughputs are of emulated CPUs and NICs.
The demo guest has no iperf3; busybox's nc and dd do the work, so the
figures include nc's copying, the same on both sides of a comparison.
--record writes the "## Networking" section of docs/PERFORMANCE.md.
"""
import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
os.environ.setdefault("XEN_TEST_BIN", os.path.join(TOP, "build", "gcc", "core"))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
sys.path.insert(0, HERE)
from harness import Console, Instance, check  # noqa: E402
import perfdoc  # noqa: E402
from test_network import (DEFAULT_NET, TwoHosts, guest_sh, kill_dnsmasq,  # noqa: E402
                          lease_ip, netns, remove_links, sh)

PORT = 5001


def parse_real(out):
    """Seconds from busybox time's "real XmY.YYs"."""
    m = re.search(r"real\s+(\d+)m\s*([\d.]+)s", out)
    check(m, "no time in %r" % out[-300:])
    return int(m.group(1)) * 60 + float(m.group(2))


def send_cmd(mb):
    return ("nc -l -p %d -e dd if=/dev/zero bs=65536 count=%d" %
            (PORT, mb * 16))


def guest_pull(rx, tx, tx_ip, mb, tag):
    """MB/s of one transfer from guest tx to guest rx."""
    guest_sh(tx, "(%s 2>/dev/null &)" % send_cmd(mb), tag + "s", 30)
    time.sleep(0.5)
    out = guest_sh(rx, "time sh -c 'nc %s %d </dev/null | wc -c'" %
                   (tx_ip, PORT), tag + "r", 600)
    check(str(mb * 1048576) in out, "short transfer: %r" % out[-300:])
    return mb / parse_real(out)


def host_pull(rx_ns, tx_ns, tx_ip, mb):
    """MB/s of one busybox nc transfer between two hosts (namespaces; None
    is the default one)."""
    pre = lambda ns: ["ip", "netns", "exec", ns] if ns else []  # noqa: E731
    p = subprocess.Popen(pre(tx_ns) + ["busybox"] + send_cmd(mb).split(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        t0 = time.monotonic()
        r = subprocess.run(pre(rx_ns) + ["busybox", "nc", tx_ip, str(PORT)],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=600)
        secs = time.monotonic() - t0
        check(len(r.stdout) == mb * 1048576, "short: %d" % len(r.stdout))
        return mb / secs
    finally:
        p.kill()
        p.wait()


def med(xs):
    return statistics.median(xs)


def runs(xs, fmt="%.1f"):
    return " ".join(fmt % x for x in xs)


def bench_default(n, mb):
    inst = Instance("bench-net", DEFAULT_NET).start().start_consoled()
    br = inst.tag + "br"
    cons = {}
    try:
        for name in ("g1", "g2"):
            inst.xm_ok("create", inst.config(name, vif="['']",
                                             dhcp="'dhcp'"))
        for name in ("g1", "g2"):
            cons[name] = Console(inst, "console", name)
            cons[name].login()
        ips = {name: inst.wait_for(lambda: lease_ip(inst, name), 60, name)
               for name in ("g1", "g2")}
        g2g = [guest_pull(cons["g1"], cons["g2"], ips["g2"], mb, "gg%d" % i)
               for i in range(n)]
        d2g = []
        # dom0 pulls from a guest.
        for i in range(n):
            guest_sh(cons["g2"], "(%s 2>/dev/null &)" % send_cmd(mb),
                     "dg%d" % i, 30)
            time.sleep(0.5)
            t0 = time.monotonic()
            r = subprocess.run(["busybox", "nc", ips["g2"], str(PORT)],
                               stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=600)
            d2g.append(mb / (time.monotonic() - t0))
            check(len(r.stdout) == mb * 1048576, "short")
        # Hot-plug.
        att, det = [], []
        for i in range(n):
            t0 = time.monotonic()
            inst.xm_ok("network-attach", "g1")
            att.append(time.monotonic() - t0)
            t0 = time.monotonic()
            inst.xm_ok("network-detach", "g1", "1")
            det.append(time.monotonic() - t0)
        for c in cons.values():
            c.detach()
        for name in ("g1", "g2"):
            inst.xm_ok("destroy", name)
        return g2g, d2g, att, det
    finally:
        for c in cons.values():
            c.kill()
        inst.close()
        kill_dnsmasq(inst, br)
        remove_links(br)


def bench_vnet(n, mb):
    owner = Instance("bench-vnet")
    two = TwoHosts(owner)
    try:
        two.setup().boot()
        v = [guest_pull(two.cons["a"], two.cons["b"], two.guest["b"], mb,
                        "vv%d" % i) for i in range(n)]
        d = [host_pull(two.ns["a"], two.ns["b"], two.under["b"], mb)
             for _ in range(n)]
        return v, d
    finally:
        two.close()
        owner.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("--mb", type=int, default=16)
    ap.add_argument("--record", action="store_true")
    a = ap.parse_args()
    g2g, d2g, att, det = bench_default(a.n, a.mb)
    vg, vd = bench_vnet(a.n, a.mb)
    print("default bridge guest->guest MB/s: %s" % runs(g2g))
    print("default bridge guest->dom0 MB/s: %s" % runs(d2g))
    print("vnet guest->guest MB/s: %s; veth dom0->dom0 MB/s: %s" %
          (runs(vg), runs(vd)))
    print("network-attach s: %s; network-detach s: %s" %
          (runs(att, "%.3f"), runs(det, "%.3f")))
    if not a.record:
        return
    cpu = subprocess.run("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2",
                         shell=True, capture_output=True,
                         text=True).stdout.strip()
    now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    perfdoc.write_section("Networking", """Measured %s on %s (%d CPUs,
shared, noisy), TCG guests, by `bench/net_bench.py -n %d --mb %d --record`
(gcc -O2 build).  Throughput is %d MB of zeros over one TCP connection,
busybox `nc -e dd` sending and `nc` receiving (the demo guest has no
iperf3), timed at the receiver; medians of %d runs.

| path | median | runs |
|---|---|---|
| guest to guest, default bridge | %.1f MB/s | %s |
| guest to dom0, default bridge | %.1f MB/s | %s |
| guest to guest, vnet across two namespaced hosts (VXLAN over a veth) | %.1f MB/s | %s |
| dom0 to dom0 over that veth (the underlay, same tools) | %.1f MB/s | %s |

| hot-plug, on a running demo domain | median | runs (s) |
|---|---|---|
| `xm network-attach` (netdev_add, device_add, tap on its bridge) | %.3f s | %s |
| `xm network-detach` (device_del, the guest lets go, netdev_del) | %.3f s | %s |

The guests' figures are those of emulated CPUs (TCG): the virtio NIC and
the guest's TCP stack run at a fraction of native speed, which is what
limits them, not the bridge or VXLAN (dom0's own transfer over the veth
is the host's speed).  A guest sends far faster than it receives (guest
to dom0 against guest to guest): the receiving guest's stack and nc are
the slow side.  Detach waits for the guest's ACPI hot-plug
handler to release the device.
""" % (now, cpu or platform.machine(), os.cpu_count(), a.n, a.mb, a.mb, a.n,
        med(g2g), runs(g2g), med(d2g), runs(d2g), med(vg), runs(vg),
        med(vd), runs(vd), med(att), runs(att, "%.3f"), med(det),
        runs(det, "%.3f")))


if __name__ == "__main__":
    main()
