"""System tests for networking (issue 11): the default network that xend's
network script makes (a bridge with a private address and a dnsmasq),
domains getting DHCP addresses on it, the manual's vif scripts with their
arguments and environment.  Every bridge, tap, veth and namespace is the
test's own (named from the instance's tag), removed by name and checked
gone afterwards."""
import json
import os
import re
import subprocess
import time

from harness import Console, check

DEFAULT_NET = ("(network-script 'network-bridge subnet=10.240.@IDENT@.0/24')\n"
               "(default-bridge @TAG@br)")


def sh(*args):
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


def link_exists(name):
    return os.path.exists("/sys/class/net/" + name)


def net_state(inst):
    return os.path.join(inst.state, "network")


def dnsmasq_pid(inst, br):
    try:
        with open(os.path.join(net_state(inst), br + ".dnsmasq.pid")) as f:
            pid = int(f.read().strip())
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return pid if b"dnsmasq" in f.read() else 0
    except (OSError, ValueError):
        return 0


def remove_links(*names):
    """Deletes the test's own links by name; checks they are gone."""
    for n in names:
        if link_exists(n):
            sh("ip", "link", "del", n)
    left = [n for n in names if link_exists(n)]
    check(not left, "links left behind: %s" % left)


def kill_dnsmasq(inst, br):
    pid = dnsmasq_pid(inst, br)
    if pid:
        os.kill(pid, 9)


def lease_ip(inst, name):
    """The domain's first interface's address, as xend reports it."""
    d = inst.domains().get(name)
    if not d or not d.get("network"):
        return None
    v = d["network"][0]
    return v["ip"] if v.get("ip_source") == "lease" else None


def guest_sh(con, cmd, marker, timeout=30):
    """Runs cmd in the guest's shell; returns what it printed before the
    marker line."""
    con.send("%s; echo %s-$((6*7))\r" % (cmd, marker))
    m = con.expect(r"([\s\S]*?)%s-42" % marker, timeout)
    return m.group(1).decode(errors="replace")


def test_default_network_dhcp(inst):
    """Out of the box: xend's network-bridge makes the bridge with the
    host's address and one dnsmasq; two demo domains with dhcp = 'dhcp'
    get addresses from it, xm list -l and network-list show them, they
    ping each other and dom0, dom0 pings them; xend stop removes the
    bridge and the dnsmasq, the leases stay."""
    br = inst.tag + "br"
    net = "10.240.%d" % inst.ident
    try:
        inst.wait_for(lambda: "start: done" in inst.xm_ok("dmesg").out, 20,
                      "network-script start")
        r = sh("ip", "-4", "-o", "addr", "show", "dev", br)
        check(" %s.1/24 " % net in r.stdout, "bridge address: %r" % r.stdout)
        check(dnsmasq_pid(inst, br) > 0, "no dnsmasq for %s" % br)
        # xenconsoled keeps each console's history: the login prompt of
        # the second guest is still there after the first's login.
        inst.start_consoled()
        cons = []
        for name in ("n1", "n2"):
            cfg = inst.config(name, vif="['']", dhcp="'dhcp'")
            inst.xm_ok("create", cfg)
        for name in ("n1", "n2"):
            con = Console(inst, "console", name)
            cons.append(con)
            con.login()
        ips = {}
        for name in ("n1", "n2"):
            ips[name] = inst.wait_for(lambda: lease_ip(inst, name), 60,
                                      "a DHCP lease for " + name)
            check(ips[name].startswith(net + "."), ips)
        check(ips["n1"] != ips["n2"], ips)
        # xm list -l and xm network-list show the leased address.
        r = inst.xm_ok("list", "-l", "n1")
        check(re.search(r"\(network\s+\(vif\s+\(devid 0\)\s+\(vifname %s\)"
                        % re.escape(inst.vif(inst.domains()["n1"]["domid"])),
                        r.out), r.out)
        check("(ip %s)" % ips["n1"] in r.out and "(ip_source lease)" in r.out,
              r.out)
        r = inst.xm_ok("network-list", "n2")
        check(re.search(r"^0\s+\S+\s+00:16:3e:\S+\s+%s\s+%s$" %
                        (br, re.escape(ips["n2"])), r.out, re.M), r.out)
        # dom0 reaches each; each reaches the other and dom0.
        for name in ("n1", "n2"):
            r = sh("ping", "-c", "1", "-W", "5", ips[name])
            check(r.returncode == 0, "dom0 -> %s: %s" % (name, r.stdout))
        out = guest_sh(cons[0], "ping -c 1 -W 5 %s && echo reach-ok" %
                       ips["n2"], "p1", 30)
        check("reach-ok" in out, "n1 -> n2: %r" % out)
        out = guest_sh(cons[1], "ping -c 1 -W 5 %s.1 && echo reach-ok" % net,
                       "p2", 30)
        check("reach-ok" in out, "n2 -> dom0: %r" % out)
        # The guest's own view: the address on eth0, as leased.
        out = guest_sh(cons[1], "ip -4 -o addr show dev eth0", "p3", 30)
        check(ips["n2"] + "/24" in out, out)
        for con in cons:
            con.detach()
        inst.xm_ok("destroy", "n1")
        inst.xm_ok("destroy", "n2")
        r = inst.xend("stop")
        check(r.rc == 0, r)
        check(not link_exists(br), "bridge %s left after xend stop" % br)
        check(dnsmasq_pid(inst, br) == 0, "dnsmasq left after xend stop")
        with open(os.path.join(net_state(inst), br + ".leases")) as f:
            leases = f.read()
        check(ips["n1"] in leases and ips["n2"] in leases, leases)
    finally:
        for con in locals().get("cons", []):
            con.kill()
        kill_dnsmasq(inst, br)
        remove_links(br)


TESTS = [
    ("net_default_dhcp", test_default_network_dhcp, DEFAULT_NET),
]
