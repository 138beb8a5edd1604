"""System tests for networking (issue 11): the default network that xend's
network script makes (a bridge with a private address and a dnsmasq),
domains getting DHCP addresses on it, the manual's vif scripts with their
arguments and environment.  Every bridge, tap, veth and namespace is the
test's own (named from the instance's tag), removed by name and checked
gone afterwards."""
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

from harness import Console, Instance, TestFailure, check
from test_top import quit_top, select, start_top

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
        # xm top's detail view shows it too.
        t = start_top(inst)
        try:
            select(t, "n1")
            t.send("Enter")
            t.wait_for(r"ip %s \(dhcp\)" % re.escape(ips["n1"]), 20)
            quit_top(t)
        finally:
            t.kill()
        # dom0 reaches each; each reaches the other and dom0.
        # (Three tries: the first may wait on ARP in a TCG guest.)
        for name in ("n1", "n2"):
            r = sh("ping", "-c", "3", "-W", "5", ips[name])
            check(r.returncode == 0, "dom0 -> %s: %s" % (name, r.stdout))
        out = guest_sh(cons[0], "ping -c 3 -W 5 %s && echo reach-ok" %
                       ips["n2"], "p1", 60)
        check("reach-ok" in out, "n1 -> n2: %r" % out)
        out = guest_sh(cons[1], "ping -c 3 -W 5 %s.1 && echo reach-ok" % net,
                       "p2", 60)
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


# Records its argv and the environment Xen's scripts read, then does what
# vif-bridge does (the installed one, with the same arguments).
REC_VIF = """#!/bin/sh
{ echo "argv: $*"
  echo "env: vif=$vif domain=$domain domid=$domid mac=$mac bridge=$bridge \
ip=$ip XEN_STATE_DIR=$XEN_STATE_DIR XEN_DEFAULT_BRIDGE=$XEN_DEFAULT_BRIDGE"
} >> %s/vif-calls
exec "$XEN_CONFIG_DIR/scripts/vif-bridge" "$@"
"""


def read_calls(inst):
    try:
        with open(os.path.join(inst.tmp, "vif-calls")) as f:
            return f.read()
    except OSError:
        return ""


def test_vif_script_args_env(inst):
    """A recording vif-script (with its own words in xend-config.sxp)
    sees the manual's arguments and the same as environment variables;
    the installed vif-bridge it runs puts the tap on the default
    network's bridge; offline comes at destroy."""
    br = inst.tag + "br"
    try:
        inst.wait_for(lambda: "start: done" in inst.xm_ok("dmesg").out, 20,
                      "network-script start")
        ip = "10.240.%d.9" % inst.ident
        inst.xm_ok("create", "-p", inst.config(
            "rec", vif="['mac=00:16:3e:00:01:42, ip=%s']" % ip))
        domid = inst.domains()["rec"]["domid"]
        vif = inst.vif(domid)
        want = ("argv: online extra=1 domain=rec vif=%s bridge=%s "
                "mac=00:16:3e:00:01:42 domid=%d ip=%s" % (vif, br, domid, ip))
        inst.wait_for(lambda: want in read_calls(inst), 20,
                      "vif-script online")
        env = ("env: vif=%s domain=rec domid=%d mac=00:16:3e:00:01:42 "
               "bridge=%s ip=%s XEN_STATE_DIR=%s XEN_DEFAULT_BRIDGE=%s" %
               (vif, domid, br, ip, inst.state, br))
        check(env in read_calls(inst), read_calls(inst))
        inst.wait_for(lambda: os.path.exists("/sys/class/net/%s/master" %
                                             vif), 10, "the tap on a bridge")
        master = os.path.basename(os.readlink("/sys/class/net/%s/master" %
                                              vif))
        check(master == br, "%s is on %s" % (vif, master))
        inst.wait_for(lambda: "%s (domain rec, mac 00:16:3e:00:01:42) "
                      "joined %s" % (vif, br) in open(inst.log).read(), 10,
                      "vif-bridge's output in the log")
        inst.xm_ok("destroy", "rec")
        inst.wait_for(lambda: "argv: offline extra=1 domain=rec vif=%s" % vif
                      in read_calls(inst), 20, "vif-script offline")
        r = inst.xend("stop")
        check(r.rc == 0, r)
        check(not link_exists(br), "bridge %s left" % br)
    finally:
        kill_dnsmasq(inst, br)
        remove_links(br)


def rec_vif_config():
    return DEFAULT_NET + "\n(vif-script '@TMP@/vif-rec extra=1')"


def netns(name, *args):
    return sh("ip", "netns", "exec", name, *args)


def fresh_netns(name):
    """A namespace of the test's own (one left by a killed run goes)."""
    sh("ip", "netns", "del", name)
    check(sh("ip", "netns", "add", name).returncode == 0, "netns add")


def netns_do(ns, *cmds):
    """Runs each command (a list) in namespace ns; each must succeed."""
    for cmd in cmds:
        r = netns(ns, *cmd)
        check(r.returncode == 0, "%s: %s" % (cmd, r.stderr))


def veth(name):
    return ["ip", "link", "add", name, "type", "veth", "peer", "name",
            name + "p"]


def script_in(inst, name):
    """A network script as xend would run it: path, and env's argv."""
    return (os.path.join(inst.conf, "scripts", name),
            ["env", "XEN_STATE_DIR=" + inst.state])


def test_network_nat_rules(inst):
    """network-nat (run as xend would, in a namespace of the test's own so
    forwarding and tables are not the host's): the bridge, the dnsmasq,
    and an nftables table masquerading the subnet; stop removes them.
    No packet goes anywhere."""
    ns, br = inst.tag + "nat", inst.tag + "nb"
    script, env = script_in(inst, "network-nat")
    sub = "10.241.%d" % inst.ident
    fresh_netns(ns)
    try:
        r = netns(ns, *env, script, "start", "bridge=" + br,
                  "subnet=%s.0/24" % sub)
        check(r.returncode == 0, r)
        r = netns(ns, "nft", "list", "table", "ip", "xen-nat-" + br)
        check(r.returncode == 0, r)
        rules = r.stdout
        check(re.search(r"ip saddr %s\.0/24 ip daddr != %s\.0/24 "
                        r'oifname != "%s" masquerade' %
                        (re.escape(sub), re.escape(sub), br), rules), rules)
        check('oifname "%s" ct state established,related accept' % br
              in rules, rules)
        r = netns(ns, "cat", "/proc/sys/net/ipv4/ip_forward")
        check(r.stdout.strip() == "1", r)
        r = netns(ns, "ip", "-4", "-o", "addr", "show", "dev", br)
        check(" %s.1/24 " % sub in r.stdout, r.stdout)
        check(dnsmasq_pid(inst, br) > 0, "no dnsmasq")
        r = netns(ns, *env, script, "stop", "bridge=" + br,
                  "subnet=%s.0/24" % sub)
        check(r.returncode == 0, r)
        r = netns(ns, "nft", "list", "ruleset")
        check(r.stdout.strip() == "", "rules left: %r" % r.stdout)
        check(dnsmasq_pid(inst, br) == 0, "dnsmasq left")
        r = netns(ns, "ip", "link", "show", br)
        check(r.returncode != 0, "bridge left")
    finally:
        kill_dnsmasq(inst, br)
        sh("ip", "netns", "del", ns)
    check(ns not in sh("ip", "netns", "list").stdout, "namespace left")


def test_network_bridge_netdev(inst):
    """network-bridge netdev=DEV, Xen's way: DEV joins the bridge and its
    address and default route move there; stop puts them back.  DEV is
    one end of a veth pair in a namespace of the test's own."""
    ns, br, dev = inst.tag + "nd", inst.tag + "ndbr", inst.tag + "nd0"
    script, env = script_in(inst, "network-bridge")
    sub = "10.242.%d" % inst.ident
    fresh_netns(ns)
    try:
        netns_do(ns, veth(dev),
                 ["ip", "addr", "add", sub + ".5/24", "dev", dev],
                 ["ip", "link", "set", dev, "up"],
                 ["ip", "link", "set", dev + "p", "up"],
                 ["ip", "route", "add", "default", "via", sub + ".254"])
        r = netns(ns, *env, script, "start", "bridge=" + br, "netdev=" + dev)
        check(r.returncode == 0, r)
        r = netns(ns, "ip", "-4", "-o", "addr", "show", "dev", br)
        check(" %s.5/24 " % sub in r.stdout, r.stdout)
        r = netns(ns, "ip", "-4", "-o", "addr", "show", "dev", dev)
        check(r.stdout.strip() == "", r.stdout)
        r = netns(ns, "ip", "route", "show", "default")
        check("via %s.254 dev %s" % (sub, br) in r.stdout, r.stdout)
        r = netns(ns, "cat", "/sys/class/net/%s/master/ifindex" % dev)
        check(r.returncode == 0, "not on the bridge")
        check(dnsmasq_pid(inst, br) == 0, "no DHCP on a LAN's bridge")
        r = netns(ns, *env, script, "stop", "bridge=" + br, "netdev=" + dev)
        check(r.returncode == 0, r)
        r = netns(ns, "ip", "-4", "-o", "addr", "show", "dev", dev)
        check(" %s.5/24 " % sub in r.stdout, r.stdout)
        r = netns(ns, "ip", "route", "show", "default")
        check("via %s.254 dev %s" % (sub, dev) in r.stdout, r.stdout)
        check(netns(ns, "ip", "link", "show", br).returncode != 0,
              "bridge left")
    finally:
        sh("ip", "netns", "del", ns)
    check(ns not in sh("ip", "netns", "list").stdout, "namespace left")


FAIL_VIF = """#!/bin/sh
echo "refusing $1 on purpose"
exit 3
"""


def guest_ifaces(con, tag):
    out = guest_sh(con, "ls /sys/class/net | tr '\\n' ' '", tag, 30)
    return out.split("\n")[-1].split() if out else []


def wait_guest_ifaces(inst, con, want, timeout=30):
    end = time.time() + timeout
    n = 0
    while True:
        n += 1
        got = guest_ifaces(con, "if%d" % n)
        if sorted(got) == sorted(want):
            return got
        check(time.time() < end, "guest interfaces %s, want %s" %
              (got, want))
        time.sleep(1)


def test_network_attach_detach(inst):
    """xm network-attach adds an interface the guest sees (and gets a DHCP
    lease on), on the default bridge, in network-list and list -l, kept in
    the domain's record; network-detach removes it from the guest and the
    host; a failing script leaves nothing plugged and says what the
    script said; bad arguments are refused."""
    br = inst.tag + "br"
    fail = os.path.join(inst.tmp, "vif-fail")
    with open(fail, "w") as f:
        f.write(FAIL_VIF)
    os.chmod(fail, 0o755)
    con = None
    try:
        inst.start_consoled()
        inst.xm_ok("create", inst.config("hp", vif="['']", dhcp="'dhcp'"))
        d = inst.domains()["hp"]
        domid = d["domid"]
        con = Console(inst, "console", "hp")
        con.login()
        wait_guest_ifaces(inst, con, ["eth0", "lo"])
        t0 = time.monotonic()
        inst.xm_ok("network-attach", "hp", "mac=00:16:3e:00:02:01")
        secs = time.monotonic() - t0
        print("network-attach: %.2f s" % secs)
        tap = inst.vif(domid, 1)
        check(os.path.basename(os.readlink("/sys/class/net/%s/master" % tap))
              == br, "%s not on %s" % (tap, br))
        wait_guest_ifaces(inst, con, ["eth0", "eth1", "lo"])
        r = inst.xm_ok("network-list", "hp")
        check(re.search(r"^1\s+%s\s+00:16:3e:00:02:01\s+%s\s" %
                        (re.escape(tap), br), r.out, re.M), r.out)
        r = inst.xm_ok("list", "-l", "hp")
        check("(devid 1)" in r.out and "(vifname %s)" % tap in r.out, r.out)
        with open(os.path.join(d["dir"], "netdevs.json")) as f:
            rec = json.load(f)
        check([v["devid"] for v in rec["added"]] == [1], rec)
        # The guest asks for an address on it: the lease shows.
        guest_sh(con, "udhcpc -i eth1 -n -q -t 5 -T 1 -s "
                 "/usr/share/udhcpc/default.script >/dev/null 2>&1", "dh", 40)
        ip = inst.wait_for(lambda: [v for v in inst.domains()["hp"]["network"]
                                    if v["devid"] == 1 and
                                    v.get("ip_source") == "lease"], 20,
                           "a lease for eth1")[0]["ip"]
        # The lease shows (xm reads dnsmasq's file) a moment before xend's
        # antispoof chain for eth1 is pinned to it (inotify, then nft):
        # a single echo sent in between loses its reply.  Up to 5 here.
        check(sh("ping", "-c", "5", "-i", "0.5", "-W", "2", "-q", ip)
              .returncode == 0, "no ping reply from eth1's %s" % ip)
        # A reboot (a new QEMU) keeps the added interface.
        con.kill()
        inst.xm_ok("reboot", "-w", "hp", timeout=120)
        check(os.path.basename(os.readlink("/sys/class/net/%s/master" % tap))
              == br, "%s not on %s after the reboot" % (tap, br))
        log = os.path.join(d["dir"], "console.log")
        inst.wait_for(lambda: open(log, "rb").read().count(b"login:") >= 2,
                      90, "the login prompt after the reboot")
        con = Console(inst, "console", "hp")
        # Past the history (both boots), then a fresh prompt.
        while True:
            try:
                con.expect(r"login: ", 3)
            except TestFailure:
                break
        con.send("\r")
        con.login()
        wait_guest_ifaces(inst, con, ["eth0", "eth1", "lo"])
        # A failing script: an error naming it and its output, no tap, no
        # device left, the record unchanged.
        r = inst.xm("network-attach", "hp", "script=" + fail)
        check(r.rc == 1 and "vif-script %s online %s: exited with status 3: "
              "refusing online on purpose; the interface was removed again"
              % (fail, inst.vif(domid, 2)) in r.err, r)
        check(not link_exists(inst.vif(domid, 2)), "tap left")
        time.sleep(2)
        wait_guest_ifaces(inst, con, ["eth0", "eth1", "lo"])
        check(len(inst.domains()["hp"]["network"]) == 2,
              inst.domains()["hp"]["network"])
        # Bad arguments.
        r = inst.xm("network-attach", "hp", "colour=red")
        check(r.rc == 2 and "expected mac=" in r.err, r)
        r = inst.xm("network-attach", "hp", "mac=00:16:3e:00:02:01")
        check(r.rc == 1 and "given twice" in r.err, r)
        r = inst.xm("network-detach", "hp", "7")
        check(r.rc == 1 and "has no network interface 7" in r.err, r)
        # Detach: the guest loses eth1, the host the tap.
        t0 = time.monotonic()
        inst.xm_ok("network-detach", "hp", "1")
        print("network-detach: %.2f s" % (time.monotonic() - t0))
        check(not link_exists(tap), "tap %s left" % tap)
        wait_guest_ifaces(inst, con, ["eth0", "lo"])
        r = inst.xm_ok("network-list", "hp")
        check(len(r.out.strip().splitlines()) == 2, r.out)
        # The config's own interface can go too; it stays away.
        inst.xm_ok("network-detach", "hp", "0")
        wait_guest_ifaces(inst, con, ["lo"])
        check(inst.domains()["hp"]["network"] == [], "still listed")
        con.detach()
        con = None
        inst.xm_ok("destroy", "hp")
        r = inst.xend("stop")
        check(r.rc == 0, r)
    finally:
        if con is not None:
            con.kill()
        kill_dnsmasq(inst, br)
        remove_links(br)


VNET = """# The manual's example, with where its frames go.
(vnet (id 97) (bridge %(br)s) (vnetif %(vif)s) (security none)
      (peers %(peer)s))
"""


class TwoHosts:
    """Two "hosts": network namespaces joined by a veth (the underlay,
    10.244.IDENT.1 and .2), each with its own xend and the vnet 97 (VXLAN
    to the other), and a domain on each on the vnet (10.243.IDENT.1, .2),
    logged in on its console.  close() removes all of it by name."""

    def __init__(self, inst):
        tag, ident = inst.tag, inst.ident
        self.tag = tag
        self.ns = {"a": tag + "ha", "b": tag + "hb"}
        self.under = {"a": "10.244.%d.1" % ident, "b": "10.244.%d.2" % ident}
        self.guest = {"a": "10.243.%d.1" % ident, "b": "10.243.%d.2" % ident}
        self.br, self.vif = tag + "vn97", tag + "vi97"
        self.hosts, self.cons = {}, {}

    def setup(self):
        for h in ("a", "b"):
            fresh_netns(self.ns[h])
        r = sh("ip", "link", "add", self.tag + "ua", "netns", self.ns["a"],
               "type", "veth", "peer", "name", self.tag + "ub", "netns",
               self.ns["b"])
        check(r.returncode == 0, r.stderr)
        for h in ("a", "b"):
            for cmd in (["ip", "addr", "add", self.under[h] + "/24", "dev",
                         self.tag + "u" + h],
                        ["ip", "link", "set", self.tag + "u" + h, "up"],
                        ["ip", "link", "set", "lo", "up"]):
                r = netns(self.ns[h], *cmd)
                check(r.returncode == 0, "%s: %s" % (cmd, r.stderr))
        for h in ("a", "b"):
            self.hosts[h] = Instance("vnet-" + h, "",
                                     netns=self.ns[h]).start()
            path = os.path.join(self.hosts[h].tmp, "vnet97.sxp")
            with open(path, "w") as f:
                f.write(VNET % {"br": self.br, "vif": self.vif,
                                "peer": self.under["b" if h == "a" else
                                                   "a"]})
            self.hosts[h].xm_ok("vnet-create", path)
        return self

    def boot(self):
        for h in ("a", "b"):
            cfg = self.hosts[h].config("v" + h, vif="['bridge=%s']" % self.br,
                                       ip="'%s'" % self.guest[h],
                                       netmask="'255.255.255.0'")
            self.cons[h] = Console(self.hosts[h], "create", "-c", cfg)
        for h in ("a", "b"):
            self.cons[h].login()
        return self

    def close(self):
        for c in self.cons.values():
            c.kill()
        for h in self.hosts.values():
            h.close()
        for n in self.ns.values():
            sh("ip", "netns", "del", n)
        left = [n for n in self.ns.values()
                if n in sh("ip", "netns", "list").stdout]
        check(not left, "namespaces left: %s" % left)


def test_vnet_two_hosts(inst):
    """Two "hosts" (network namespaces joined by a veth, each with its own
    xend) with the same vnet: a domain on each, on the vnet's bridge,
    ping each other across it (VXLAN VNI 97, UDP 4789, MTU 1450 in the
    guests); neither dom0 nor the default network reaches them.  xend
    keeps the vnet across its restart, refuses to delete it in use, and
    refuses security other than none."""
    two = TwoHosts(inst)
    ns, under, guest, br, vif = two.ns, two.under, two.guest, two.br, two.vif
    hosts, cons, tag = two.hosts, two.cons, two.tag
    try:
        two.setup()
        r = hosts["a"].xm_ok("vnet-list")
        check(r.out == "(vnet (id 97) (bridge %s) (vnetif %s) (security none)"
              " (peers %s))\n" % (br, vif, under["b"]), r.out)
        r = netns(ns["a"], "ip", "-d", "link", "show", vif)
        check("vxlan id 97 " in r.stdout and "dstport 4789" in r.stdout and
              "mtu 1450" in r.stdout, r.stdout)
        # security other than none; a clash; a second create.
        bad = os.path.join(hosts["a"].tmp, "bad.sxp")
        with open(bad, "w") as f:
            f.write("(vnet (id 98) (bridge %sx) (vnetif %sy) (security "
                    "auth) (peers 192.0.2.1))" % (tag, tag))
        r = hosts["a"].xm("vnet-create", bad)
        check(r.rc == 1 and "security 'auth' is not supported" in r.err, r)
        r = hosts["a"].xm("vnet-create", os.path.join(hosts["a"].tmp,
                                                      "vnet97.sxp"))
        check(r.rc == 1 and "vnet 97 exists already" in r.err, r)
        # A domain on each host, on the vnet.
        two.boot()
        out = guest_sh(cons["a"], "cat /sys/class/net/eth0/mtu", "mtu", 30)
        check(out.strip().endswith("1450"), "guest MTU: %r" % out)
        out = guest_sh(cons["a"], "ping -c 2 -W 5 %s && echo vnet-ok" %
                       guest["b"], "vp", 60)
        check("vnet-ok" in out, "a -> b over the vnet: %r" % out)
        out = guest_sh(cons["b"], "ping -c 1 -W 5 %s && echo vnet-ok" %
                       guest["a"], "vq", 60)
        check("vnet-ok" in out, "b -> a over the vnet: %r" % out)
        # Nothing of it from the default network or from the hosts.
        r = sh("ping", "-c", "1", "-W", "2", guest["a"])
        check(r.returncode != 0, "reached from the default network")
        r = netns(ns["a"], "ping", "-c", "1", "-W", "2", guest["b"])
        check(r.returncode != 0, "reached from host a's dom0")
        # In use: not deleted.
        r = hosts["a"].xm("vnet-delete", "97")
        check(r.rc == 1 and "in use by domain va" in r.err, r)
        # Kept by xend: made again at its start.
        hosts["a"].xm_ok("destroy", "va")
        check(hosts["a"].xend("stop").rc == 0, "xend stop")
        netns(ns["a"], "ip", "link", "del", vif)
        hosts["a"].start()
        hosts["a"].wait_for(lambda: netns(ns["a"], "ip", "link", "show",
                                          vif).returncode == 0, 20,
                            "the vnet made again")
        check("(id 97)" in hosts["a"].xm_ok("vnet-list").out, "forgotten")
        for h in ("a", "b"):
            if h == "b":
                cons[h].detach()
                hosts[h].xm_ok("destroy", "v" + h)
            hosts[h].xm_ok("vnet-delete", "97")
            check(hosts[h].xm_ok("vnet-list").out == "", "still listed")
            for n in (br, vif):
                check(netns(ns[h], "ip", "link", "show", n).returncode != 0,
                      "%s left on host %s" % (n, h))
    finally:
        two.close()


def test_vif_script_fails_at_create(inst):
    """A vif's script that fails when its domain starts: xm dmesg and the
    log name the script and quote it, the interface is unplugged (no tap,
    no NIC in the guest, not in network-list) and the domain runs on;
    the other interface is untouched."""
    fail = os.path.join(inst.tmp, "vif-fail")
    with open(fail, "w") as f:
        f.write(FAIL_VIF)
    os.chmod(fail, 0o755)
    br = inst.tag + "br"
    con = None
    try:
        inst.start_consoled()
        inst.xm_ok("create", inst.config(
            "sf", vif="['', 'script=%s']" % fail, dhcp="'dhcp'"))
        domid = inst.domains()["sf"]["domid"]
        bad = inst.vif(domid, 1)
        want = ("domain sf: vif-script %s online %s: exited with status 3: "
                "refusing online on purpose; the interface was unplugged" %
                (fail, bad))
        inst.wait_for(lambda: want in inst.xm_ok("dmesg").out, 30,
                      "the failure in xm dmesg")
        inst.wait_for(lambda: not link_exists(bad), 10, "the tap gone")
        net = inst.domains()["sf"]["network"]
        check([v["devid"] for v in net] == [0], net)
        con = Console(inst, "console", "sf")
        con.login()
        wait_guest_ifaces(inst, con, ["eth0", "lo"])
        check(os.path.basename(os.readlink("/sys/class/net/%s/master" %
                                           inst.vif(domid, 0))) == br,
              "the good interface is not on its bridge")
        con.detach()
        con = None
        inst.xm_ok("destroy", "sf")
    finally:
        if con is not None:
            con.kill()
        inst.xend("stop")
        kill_dnsmasq(inst, br)
        remove_links(br)


def test_route_scripts(inst):
    """network-route and vif-route (run as xend would, in a namespace of
    the test's own, on a veth standing in for a tap): forwarding on, the
    tap gets the host's address and a host route to the guest's ip=;
    offline removes the route; a guest without ip= is refused clearly."""
    ns, tap, up = inst.tag + "rt", inst.tag + "rv1.0", inst.tag + "rup"
    route, env = script_in(inst, "network-route")
    vif_route, _ = script_in(inst, "vif-route")
    sub = "10.245.%d" % inst.ident
    fresh_netns(ns)
    try:
        netns_do(ns, veth(up),
                 ["ip", "addr", "add", sub + ".1/24", "dev", up],
                 ["ip", "link", "set", up, "up"], veth(tap))
        r = netns(ns, *env, route, "start", "netdev=" + up)
        check(r.returncode == 0, r)
        check(netns(ns, "cat", "/proc/sys/net/ipv4/ip_forward").stdout
              .strip() == "1", "forwarding off")
        guest = "10.246.%d.5" % inst.ident
        r = netns(ns, *env, vif_route, "online", "netdev=" + up,
                  "domain=rt", "vif=" + tap, "ip=" + guest)
        check(r.returncode == 0, r)
        r = netns(ns, "ip", "-4", "-o", "addr", "show", "dev", tap)
        check(" %s.1/32 " % sub in r.stdout, r.stdout)
        r = netns(ns, "ip", "route", "show", guest)
        check("dev %s" % tap in r.stdout and "src %s.1" % sub in r.stdout,
              r.stdout)
        r = netns(ns, *env, vif_route, "offline", "netdev=" + up,
                  "vif=" + tap, "ip=" + guest)
        check(r.returncode == 0, r)
        check(netns(ns, "ip", "route", "show", guest).stdout.strip() == "",
              "route left")
        r = netns(ns, *env, vif_route, "online", "vif=" + tap)
        check(r.returncode == 1 and "vif-route needs the guest's ip=" in
              r.stderr, r)
    finally:
        sh("ip", "netns", "del", ns)
    check(ns not in sh("ip", "netns", "list").stdout, "namespace left")


RATE_PORT = 5001        # the guest's listener (host pulls from it)
LIMIT = "limit rate over %d bytes/second burst %d bytes drop"


def chain_rules(text):
    """The rules of a chain as nft lists it."""
    return [x.strip() for x in (text or "").splitlines()
            if x.strip().endswith(("drop", "accept"))]


def guest_time(out):
    """Seconds from busybox time's "real XmY.YYs"."""
    m = re.search(r"real\s+(\d+)m\s*([\d.]+)s", out)
    check(m, "no time in %r" % out[-300:])
    return int(m.group(1)) * 60 + float(m.group(2))


# Reads argv[3] bytes from argv[1]:argv[2]; prints them and the seconds
# from the connection to the last byte.
PULL = """import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
got, t0 = 0, time.monotonic()
while got < int(sys.argv[3]):
    b = s.recv(65536)
    if not b:
        break
    got += len(b)
print(got, time.monotonic() - t0)
"""


def rate_sent(con, ip, nbytes, tag, ns=None):
    """Bytes/s the guest sends: the host (or namespace ns) reads nbytes
    from its nc (dd of zeros), timed from the connection to the last
    byte."""
    guest_sh(con, "(nc -l -p %d -e dd if=/dev/zero bs=65536 count=%d "
             "2>/dev/null &)" % (RATE_PORT, nbytes // 65536), tag + "s", 30)
    time.sleep(0.5)
    pre = ["ip", "netns", "exec", ns] if ns else []
    r = subprocess.run(pre + [sys.executable, "-c", PULL, ip,
                              str(RATE_PORT), str(nbytes)],
                       capture_output=True, text=True, timeout=120)
    got = r.stdout.split()
    check(r.returncode == 0 and len(got) == 2 and int(got[0]) == nbytes,
          "short transfer from the guest: %r %r" % (r.stdout, r.stderr))
    return nbytes / float(got[1])


def rate_received(con, host, port, nbytes, tag):
    """Bytes/s the guest receives: the host's listener on its bridge
    address sends nbytes of zeros to the guest's nc, timed by the guest."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(1)
    ls.settimeout(60)

    def serve():
        try:
            c, _ = ls.accept()
        except OSError:
            return
        try:
            c.sendall(b"\0" * nbytes)
        except OSError:
            pass
        finally:
            c.close()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        out = guest_sh(con, "time sh -c 'nc %s %d </dev/null | wc -c'" %
                       (host, port), tag + "r", 120)
    finally:
        ls.close()
        t.join(10)
    check(str(nbytes) in out, "short transfer to the guest: %r" % out)
    return nbytes / guest_time(out)


def test_vif_options(inst):
    """The vif options vifname, model and rate (Xen 3.0): the tap has the
    name, QEMU the NIC model; rate= limits both ways, a token bucket on
    the tap (what the guest receives) and an nft limit first in the vif's
    chain (what it sends; the only rule with antispoof=no), kept once over
    an xend restart, gone after destroy and xend stop; the same through
    network-attach; bad values refused.  Booted guests measured: one with
    rate=4Mb/s sends and receives at most 1.3x of it, one without is
    several times faster both ways."""
    web, hot = inst.tag + "web", inst.tag + "hot"
    br = inst.tag + "br"
    net = "10.240.%d" % inst.ident
    cons = {}
    try:
        inst.xm_ok("create", "-p", inst.config(
            "vo", vif="['vifname=%s, model=e1000, rate=1Mb/s@20ms', ''"
            "]" % web))
        d = inst.domains()["vo"]
        tap1 = inst.vif(d["domid"], 1)
        check(link_exists(web), "no tap %s" % web)
        check(link_exists(tap1), "second tap missing")
        with open("/proc/%d/cmdline" % d["pid"], "rb") as f:
            argv = f.read().split(b"\0")
        check(any(a.startswith(b"e1000,id=vif0,netdev=net0") for a in argv),
              argv)
        check(any(a.startswith(b"virtio-net-pci,id=vif1,") for a in argv),
              argv)
        inst.wait_for(lambda: "tbf" in sh("tc", "qdisc", "show", "dev",
                                          web).stdout, 20, "the rate on "
                      + web)
        r = sh("tc", "qdisc", "show", "dev", web)
        check("rate 1Mbit" in r.stdout and "burst 2500b" in r.stdout, r.stdout)
        # What it sends: 1 Mb/s is 125000 bytes/s, 20 ms of it the burst,
        # first in its chains (before the antispoof rules' accept).
        inst.wait_for(lambda: nft_chain(inst, web) and nft_chain(inst, tap1),
                      20, "the chains")
        chains = {}
        for fam in ("bridge", "inet"):
            c = chains[fam] = nft_chain(inst, web, fam)
            rules = chain_rules(c)
            check(rules[0] == LIMIT % (125000, 2500) and len(rules) > 1, c)
            check("limit" not in nft_chain(inst, tap1, fam),
                  "a limit without rate=")
        r = inst.xm_ok("network-list", "vo")
        check(re.search(r"^0\s+%s\s" % web, r.out, re.M), r.out)
        r = inst.xm_ok("list", "-l", "vo")
        check("(vifname %s)" % web in r.out and "(model e1000)" in r.out and
              "(rate 1Mb/s@20ms)" in r.out, r.out)
        # antispoof=no: a chain with the limit only (2 Mb/s, 50 ms).
        inst.xm_ok("network-attach", "vo", "vifname=" + hot, "rate=2Mb/s",
                   "antispoof=no")
        check(link_exists(hot), "no tap %s" % hot)
        inst.wait_for(lambda: "rate 2Mbit" in sh("tc", "qdisc", "show",
                                                 "dev", hot).stdout, 20,
                      "the rate on " + hot)
        for fam in ("bridge", "inet"):
            c = nft_chain(inst, hot, fam)
            check(chain_rules(c) == [LIMIT % (250000, 12500)], c)
        # An xend restart with the domain running: each chain once, the
        # same.
        check(inst.xend("stop").rc == 0, "xend stop")
        inst.start()
        inst.wait_for(lambda: "rebuilt for 3 interfaces" in
                      open(inst.log).read(), 20, "the tables rebuilt")
        for fam in ("bridge", "inet"):
            check(nft_chain(inst, web, fam) == chains[fam],
                  "the chain after the restart: %r" %
                  nft_chain(inst, web, fam))
            c = nft_chain(inst, hot, fam) or ""
            check(c.count("limit rate") == 1 and "ether" not in c, c)
        r = inst.xm("network-attach", "vo", "model=pcnet")
        check(r.rc == 1 and "invalid model 'pcnet'" in r.err, r)
        r = inst.xm("create", "-p", inst.config("vo2", vif="['rate=fast']"))
        check(r.rc == 1 and "invalid rate 'fast'" in r.err, r)
        inst.xm_ok("destroy", "vo")
        inst.wait_for(lambda: not link_exists(web) and not link_exists(hot),
                      10, "the taps gone")
        inst.wait_for(lambda: nft_chain(inst, web) is None and
                      nft_chain(inst, hot) is None and
                      nft_chain(inst, hot, "inet") is None, 20,
                      "the chains gone after destroy")
        # Booted: vr with rate=4Mb/s (500000 bytes/s), vf without.
        inst.wait_for(lambda: "start: done" in inst.xm_ok("dmesg").out, 20,
                      "network-script start")
        inst.start_consoled()
        inst.xm_ok("create", inst.config("vr", vif="['rate=4Mb/s']",
                                         dhcp="'dhcp'"))
        inst.xm_ok("create", inst.config("vf", vif="['']", dhcp="'dhcp'"))
        for n in ("vr", "vf"):
            cons[n] = Console(inst, "console", n)
            cons[n].login()
        ips = {n: inst.wait_for(lambda: lease_ip(inst, n), 60,
                                "a DHCP lease for " + n)
               for n in ("vr", "vf")}
        rate, nbytes = 500000, 4 << 20
        port = inst.port_base + 197
        sent = {n: rate_sent(cons[n], ips[n], nbytes, "t" + n)
                for n in ("vr", "vf")}
        recv = {n: rate_received(cons[n], net + ".1", port, nbytes, "r" + n)
                for n in ("vr", "vf")}
        print("rate=4Mb/s (%d bytes/s): sent %s, received %s (bytes/s)" %
              (rate, sent, recv))
        for what, got in (("sends", sent), ("receives", recv)):
            check(0.25 * rate <= got["vr"] <= 1.3 * rate,
                  "rate=4Mb/s: the guest %s %d bytes/s" % (what, got["vr"]))
            check(got["vf"] >= 3 * rate, "without rate the guest %s only "
                  "%d bytes/s" % (what, got["vf"]))
        for con in cons.values():
            con.detach()
        cons = {}
        inst.xm_ok("destroy", "vr")
        inst.xm_ok("destroy", "vf")
        stop_xend_tables_gone(inst)
    finally:
        for con in cons.values():
            con.kill()
        kill_dnsmasq(inst, br)
        remove_links(web, hot, br)
        drop_as_tables(inst)


def test_pci_and_driver_domains_refused(inst):
    """The 3.0 manual's PCI passthrough and the 2.0 manual's driver
    domains: xm create exits 2 saying why and what to use instead; no
    domain is made."""
    r = inst.xm("create", inst.config("pt", pci="['0000:02:1d.3']"))
    check(r.rc == 2 and "pci: PCI passthrough is not supported: it needs "
          "VFIO" in r.err and "vif for a network card, disk for storage"
          in r.err, r)
    r = inst.xm("create", inst.config("dd", netif="1"))
    check(r.rc == 2 and "netif: driver domains are not supported" in r.err
          and "give the domain vif and disk entries" in r.err, r)
    sxp = os.path.join(inst.tmp, "dd.sxp")
    with open(sxp, "w") as f:
        f.write("(vm (name dd2) (memory 96) (image (linux (kernel /k))) "
                "(backend (blkif)))\n")
    r = inst.xm("create", "-F", sxp)
    check(r.rc == 2 and "backend: driver domains are not supported" in r.err,
          r)
    check(set(inst.domains()) == {"Domain-0"}, inst.domains())
    # Asking for none is fine (the manual's examples have pci = []).
    inst.xm_ok("create", "-p", inst.config("nopci", pci="[]"))
    inst.xm_ok("destroy", "nopci")


def as_table(inst):
    """The name of this instance's antispoof tables (bridge and inet)."""
    return "xen-antispoof-" + inst.vif_prefix


def nft_table(inst, family="bridge"):
    """This instance's antispoof table as nft lists it, or None."""
    r = sh("nft", "list", "table", family, as_table(inst))
    return r.stdout if r.returncode == 0 else None


def stop_xend_tables_gone(inst):
    """xend stop with no domain left: its antispoof tables go with it."""
    r = inst.xend("stop")
    check(r.rc == 0, r)
    check(nft_table(inst) is None and nft_table(inst, "inet") is None,
          "antispoof tables left after xend stop")


def nft_chain(inst, vif, family="bridge"):
    """vif's chain in this instance's table, or None."""
    r = sh("nft", "list", "chain", family, as_table(inst), "port-" + vif)
    return r.stdout if r.returncode == 0 else None


def drop_as_tables(inst):
    """Deletes the instance's antispoof tables by name; checks them gone."""
    for fam in ("bridge", "inet"):
        sh("nft", "delete", "table", fam, as_table(inst))
    check(nft_table(inst) is None and nft_table(inst, "inet") is None,
          "antispoof tables left")


class DhcpSniffer:
    """Counts, on the host side of a guest's tap, the frames sent to that
    guest from UDP port 67 by Ethernet source mac (AF_PACKET, read only;
    nothing is sent)."""

    def __init__(self, tap):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                               socket.htons(3))
        self.s.bind((tap, 0))
        self.s.settimeout(0.2)
        self.counts = {}
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            try:
                f = self.s.recv(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            self.counts["all"] = self.counts.get("all", 0) + 1
            if len(f) < 42 or f[12:14] != b"\x08\x00":
                continue
            ihl = (f[14] & 15) * 4
            if f[23] == 17 and f[14 + ihl:16 + ihl] == b"\x00\x43":
                src = ":".join("%02x" % b for b in f[6:12])
                self.counts[src] = self.counts.get(src, 0) + 1

    def close(self):
        self.stop = True
        self.t.join(5)
        self.s.close()


def guest_rc(con, cmd, marker, timeout=40):
    """cmd's exit status in the guest."""
    out = guest_sh(con, "%s >/dev/null 2>&1; echo rc=$?" % cmd, marker,
                   timeout)
    m = re.findall(r"rc=(\d+)", out)
    check(m, "no exit status from %r: %r" % (cmd, out))
    return int(m[-1])


def host_neigh(dev, ip):
    r = sh("ip", "neigh", "show", ip, "dev", dev)
    m = re.search(r"lladdr (\S+)", r.stdout)
    return m.group(1) if m else None


def guest_neigh(con, ip, marker):
    """The guest's neighbour entry for ip: (its MAC or None, what ip said)."""
    out = guest_sh(con, "ip neigh show %s" % ip, marker, 30)
    m = re.search(r"^%s dev eth\d lladdr (\S+)" % re.escape(ip), out, re.M)
    return (m.group(1) if m else None), out


UDHCPD_CONF = ("printf 'interface %(dev)s\\nstart %(net)s.100\\nend "
               "%(net)s.110\\nlease_file /tmp/ud.leases\\npidfile "
               "/tmp/ud.pid\\noption subnet 255.255.255.0\\n' >/tmp/ud.conf; "
               ": >/tmp/ud.leases; { udhcpd -f -a 100 /tmp/ud.conf "
               ">/tmp/ud.log 2>&1 & }; sleep 2")


def rogue_dhcp(inst, rogue, victim, dev, rogue_mac, victim_tap, net, tag):
    """A DHCP server (busybox udhcpd) in guest rogue on dev; the victim
    asks for a lease (its own config untouched).  How many of the rogue's
    DHCP frames reached the victim's tap."""
    guest_sh(rogue, UDHCPD_CONF % {"dev": dev, "net": net}, tag + "a", 30)
    sniff = DhcpSniffer(victim_tap)
    try:
        guest_sh(victim, "udhcpc -i eth0 -n -q -t 4 -T 1 -s /bin/true "
                 ">/dev/null 2>&1", tag + "b", 40)
        time.sleep(3)
    finally:
        sniff.close()
        log = guest_sh(rogue, "kill $(cat /tmp/ud.pid); cat /tmp/ud.log",
                       tag + "c", 30)
    # The rogue did answer (else its silence would prove nothing).
    check("sending OFFER" in log, "udhcpd did not answer: %r" % log)
    return sniff.counts.get(rogue_mac, 0)


def test_antispoof(inst):
    """Two domains on a bridge of the test's own (a DHCP one, pinned to
    its lease; a static one, pinned to its ip): normal traffic works; the
    first cannot poison the host's or the other's ARP cache with the
    other's or the host's address, send from an address not its own, or
    with another MAC, nor answer DHCP; each has its chain in the
    instance's nftables table.  network-detach takes its chain away; an
    interface attached with antispoof=no gets none and lets all of it
    through; destroy and xend stop leave no rule and no table."""
    br = inst.tag + "br"
    net = "10.240.%d" % inst.ident
    host = net + ".1"
    b_ip = net + ".250"
    mac = {n: "00:16:3e:%02x:%s:01" % (inst.ident, n) for n in ("0a", "0b")}
    spoof_mac = "00:16:3e:%02x:0a:99" % inst.ident
    cons = {}
    try:
        inst.wait_for(lambda: "start: done" in inst.xm_ok("dmesg").out, 20,
                      "network-script start")
        inst.start_consoled()
        inst.xm_ok("create", inst.config("sa", vif="['mac=%s']" % mac["0a"],
                                         dhcp="'dhcp'"))
        inst.xm_ok("create", inst.config("sb", vif="['mac=%s']" % mac["0b"],
                                         ip="'%s'" % b_ip,
                                         netmask="'255.255.255.0'"))
        doms = inst.domains()
        tap = {"a": inst.vif(doms["sa"]["domid"]),
               "b": inst.vif(doms["sb"]["domid"])}
        for n in ("sa", "sb"):
            cons[n] = Console(inst, "console", n)
            cons[n].login()
        a, b = cons["sa"], cons["sb"]
        a_ip = inst.wait_for(lambda: lease_ip(inst, "sa"), 60,
                             "a DHCP lease for sa")
        # Each tap has its chain: sa's pinned to its lease, sb's to its ip.
        inst.wait_for(lambda: a_ip in (nft_chain(inst, tap["a"]) or ""), 20,
                      "sa's chain pinned to its lease")
        ca, cb = nft_chain(inst, tap["a"]), nft_chain(inst, tap["b"])
        check("ether saddr != %s drop" % mac["0a"] in ca and
              "arp saddr ip != { 0.0.0.0, %s } drop" % a_ip in ca and
              "udp sport { 67, 547 } drop" in ca, ca)
        check("ip saddr != { 0.0.0.0, %s } drop" % b_ip in cb, cb)
        check('"%s" : jump port-%s' % (tap["b"], tap["b"]) in
              nft_table(inst), nft_table(inst))
        # Normal traffic: host <-> both, sa <-> sb, sb -> host.
        for ip in (a_ip, b_ip):
            r = sh("ping", "-c", "2", "-W", "5", ip)
            check(r.returncode == 0, "dom0 -> %s: %s" % (ip, r.stdout))
        check(guest_rc(a, "ping -c 2 -W 5 " + b_ip, "n1") == 0, "sa -> sb")
        check(guest_rc(b, "ping -c 2 -W 5 " + host, "n2") == 0, "sb -> dom0")
        check(host_neigh(br, b_ip) == mac["0b"], "dom0's entry for sb")
        # (The bridge's own MAC, now that its ports have joined.)
        host_mac = open("/sys/class/net/%s/address" % br).read().strip()
        got = guest_neigh(b, host, "n3")
        check(got[0] == host_mac, "sb's entry for dom0: %r" % (got,))
        time.sleep(1.5)	# past the kernel's ARP locktime
        # sa claims sb's and dom0's addresses (gratuitous ARP): no cache
        # takes it.
        guest_sh(a, "ip addr add %s/32 dev eth0; ip addr add %s/32 dev eth0;"
                 " arping -U -c 3 -I eth0 -s %s %s; arping -U -c 3 -I eth0 "
                 "-s %s %s; ip addr del %s/32 dev eth0; ip addr del %s/32 "
                 "dev eth0" % (b_ip, host, b_ip, b_ip, host, host, b_ip,
                               host), "s1", 60)
        time.sleep(1)
        check(host_neigh(br, b_ip) == mac["0b"],
              "dom0's entry for sb poisoned: %s" % host_neigh(br, b_ip))
        got = guest_neigh(b, host, "s2")
        check(got[0] == host_mac, "sb's entry for dom0 poisoned: %r" %
              (got,))
        # An address of its own choosing: nothing gets through.
        spoof_ip = net + ".77"
        rc = guest_rc(a, "ip addr add %s/32 dev eth0; ping -c 2 -W 2 -I %s "
                      "%s" % (spoof_ip, spoof_ip, host), "s3", 60)
        guest_sh(a, "ip addr del %s/32 dev eth0" % spoof_ip, "s4", 30)
        check(rc != 0, "a ping from %s got through" % spoof_ip)
        check(host_neigh(br, spoof_ip) is None, "dom0 learnt %s" % spoof_ip)
        # Another MAC: nothing gets through; its own again: it does.
        rc = guest_rc(a, "ip link set eth0 down; ip link set eth0 address "
                      "%s; ip link set eth0 up; ping -c 2 -W 2 %s" %
                      (spoof_mac, host), "s5", 60)
        check(rc != 0, "a ping from MAC %s got through" % spoof_mac)
        rc = guest_rc(a, "ip link set eth0 down; ip link set eth0 address "
                      "%s; ip link set eth0 up; ping -c 3 -W 5 %s" %
                      (mac["0a"], host), "s6", 60)
        check(rc == 0, "sa's own MAC no longer works")
        # A DHCP server in sa: sb never sees its answers.
        n = rogue_dhcp(inst, a, b, "eth0", mac["0a"], tap["b"], net, "d1")
        check(n == 0, "%d DHCP frames from sa reached sb" % n)
        # network-detach: the chain goes; an interface with antispoof=no
        # has none, and all of the above gets through it.
        inst.xm_ok("network-detach", "sa", "0")
        check(nft_chain(inst, tap["a"]) is None, "sa's chain left")
        check(tap["a"] not in nft_table(inst), nft_table(inst))
        wait_guest_ifaces(inst, a, ["lo"])
        free_mac = "00:16:3e:%02x:0a:02" % inst.ident
        inst.xm_ok("network-attach", "sa", "mac=" + free_mac,
                   "antispoof=no")
        tap1 = inst.vif(doms["sa"]["domid"], 1)
        check(nft_chain(inst, tap1) is None, "a chain for antispoof=no")
        wait_guest_ifaces(inst, a, ["eth0", "lo"])
        out = guest_sh(a, "cat /sys/class/net/eth0/address", "o0", 30)
        check(free_mac in out, out)
        rc = guest_rc(a, "ip link set eth0 up; ip addr add %s/24 dev eth0; "
                      "ping -c 3 -W 5 %s" % (spoof_ip, host), "o1", 60)
        check(rc == 0, "antispoof=no: a ping from %s did not get through" %
              spoof_ip)
        n = rogue_dhcp(inst, a, b, "eth0", free_mac, tap["b"], net, "o2")
        check(n > 0, "antispoof=no: no DHCP frame from sa reached sb")
        for con in cons.values():
            con.detach()
        cons = {}
        # A new QEMU (reboot): sb's chain goes with the old tap and comes
        # back for the new one.
        inst.xm_ok("reboot", "-w", "sb", timeout=120)
        inst.wait_for(lambda: nft_chain(inst, tap["b"]) == cb, 20,
                      "sb's chain after its reboot")
        inst.xm_ok("destroy", "sa")
        inst.xm_ok("destroy", "sb")
        inst.wait_for(lambda: "port-" not in (nft_table(inst) or "") and
                      "port-" not in (nft_table(inst, "inet") or ""), 20,
                      "the chains gone after destroy")
        stop_xend_tables_gone(inst)
    finally:
        for con in cons.values():
            con.kill()
        kill_dnsmasq(inst, br)
        remove_links(br)
        drop_as_tables(inst)


def test_antispoof_restart(inst):
    """xend stopped with domains running keeps their rules; started again
    it has each once (the same chains, one dispatch rule), and the chain
    of a domain that died meanwhile is gone; the default can be turned
    off (vif-antispoof no) and a vif's antispoof=yes still has rules;
    rules that cannot be loaded keep the tap off its bridge."""
    net = "10.240.%d" % inst.ident
    br = inst.tag + "br"
    try:
        remove_links(br)
        check(sh("ip", "link", "add", br, "type", "bridge").returncode == 0,
              "bridge add")
        inst.xm_ok("create", "-p", inst.config(
            "r1", vif="['ip=%s.31 %s.32']" % (net, net)))
        inst.xm_ok("create", "-p", inst.config(
            "r2", vif="['ip=%s.33']" % net, on_crash="'destroy'",
            on_poweroff="'destroy'"))
        doms = inst.domains()
        t1, t2 = (inst.vif(doms[n]["domid"]) for n in ("r1", "r2"))
        inst.wait_for(lambda: nft_chain(inst, t1) and nft_chain(inst, t2),
                      20, "both chains")
        # An interface added to a running domain has its chain too.
        inst.xm_ok("network-attach", "r1", "ip=%s.35" % net, "bridge=" + br)
        t11 = inst.vif(doms["r1"]["domid"], 1)
        inst.wait_for(lambda: nft_chain(inst, t11), 20, "the added chain")
        c11 = nft_chain(inst, t11)
        check("ip saddr != { 0.0.0.0, %s.35 } drop" % net in c11, c11)
        c1, i1 = nft_chain(inst, t1), nft_chain(inst, t1, "inet")
        check("ip saddr != { 0.0.0.0, %s.31, %s.32 } drop" % (net, net) in
              c1, c1)
        check("ip saddr != { 0.0.0.0, %s.31, %s.32 } drop" % (net, net) in
              i1, i1)
        check(inst.xend("stop").rc == 0, "xend stop")
        check(nft_chain(inst, t1) == c1 and nft_chain(inst, t2),
              "rules dropped by a stop with domains running")
        # Left by an earlier xend (a domain it no longer knows), and a
        # second dispatch rule: both gone after the start.
        stale = inst.vif(99)
        r = sh("nft", "add chain bridge {t} port-{v}; add element bridge "
               "{t} vifs {{ \"{v}\" : jump port-{v} }}; add rule bridge {t} "
               "prerouting iifname vmap @vifs".format(t=as_table(inst),
                                                      v=stale))
        check(r.returncode == 0, r.stderr)
        os.kill(doms["r2"]["pid"], 9)
        inst.wait_for(lambda: not os.path.exists("/proc/%d" %
                                                 doms["r2"]["pid"]), 10,
                      "r2's QEMU gone")
        inst.start()
        inst.wait_for(lambda: nft_chain(inst, t2) is None, 20,
                      "the dead domain's chain removed")
        check(nft_chain(inst, stale) is None, "the stale chain is left")
        check(nft_chain(inst, t1) == c1, "r1's chain changed: %r" %
              nft_chain(inst, t1))
        check(nft_chain(inst, t1, "inet") == i1, "r1's inet chain changed")
        check(nft_chain(inst, t11) == c11, "the added chain changed")
        for fam in ("bridge", "inet"):
            pre = sh("nft", "list", "chain", fam, as_table(inst),
                     "prerouting").stdout
            check(pre.count("iifname vmap @vifs") == 1, pre)
        check(nft_table(inst).count("jump port-") == 2, nft_table(inst))
        inst.xm_ok("destroy", "r1")
        inst.wait_for(lambda: nft_chain(inst, t1) is None and
                      nft_chain(inst, t11) is None, 20, "r1's chains removed")
        stop_xend_tables_gone(inst)
        # Off by default: no chain, unless the vif asks for one.
        with open(os.path.join(inst.conf, "xend-config.sxp"), "a") as f:
            f.write("(vif-antispoof no)\n")
        inst.start()
        inst.xm_ok("create", "-p", inst.config(
            "r3", vif="['', 'antispoof=yes']"))
        d3 = inst.domains()["r3"]["domid"]
        inst.wait_for(lambda: nft_chain(inst, inst.vif(d3, 1)), 20,
                      "the chain of the vif with antispoof=yes")
        check(nft_chain(inst, inst.vif(d3, 0)) is None, "a chain with "
              "vif-antispoof no")
        inst.xm_ok("destroy", "r3")
        check(inst.xend("stop").rc == 0, "xend stop")
        check(nft_table(inst) is None, "antispoof table left")
        # Rules that cannot be loaded (an nft that fails, first in xend's
        # PATH): the tap stays off its bridge, and xm dmesg says why.
        fake = os.path.join(inst.tmp, "fakebin")
        os.makedirs(fake)
        with open(os.path.join(fake, "nft"), "w") as f:
            f.write("#!/bin/sh\necho 'no nftables here' >&2\nexit 1\n")
        os.chmod(os.path.join(fake, "nft"), 0o755)
        path = inst.env["PATH"]
        inst.env["PATH"] = fake + ":" + path
        inst.start()
        inst.env["PATH"] = path
        inst.xm_ok("create", "-p", inst.config(
            "r4", vif="['bridge=%s, antispoof=yes']" % br))
        tap = inst.vif(inst.domains()["r4"]["domid"])
        inst.wait_for(lambda: "antispoof rules: exited with status 1: no "
                      "nftables here" in inst.xm_ok("dmesg").out, 20,
                      "the failure in xm dmesg")
        check(not os.path.exists("/sys/class/net/%s/master" % tap),
              "%s joined %s unfiltered" % (tap, br))
        inst.xm_ok("destroy", "r4")
        check(inst.xend("stop").rc == 0, "xend stop")
    finally:
        remove_links(br)
        drop_as_tables(inst)


def test_antispoof_routed(inst):
    """A routed interface (vif-route, its own xend in a namespace of the
    test's own): the guest reaches the host from its ip=; echo requests
    from an address it gave itself never reach the host (xend's inet
    table), counted by a table of the test's own in that namespace; its
    rate=4Mb/s limits what it sends to the host (the inet chain's limit,
    first)."""
    ns = inst.tag + "ra"
    sub = "10.247.%d" % inst.ident
    guest, spoof = sub + ".5", sub + ".77"
    h = con = None
    fresh_netns(ns)
    try:
        # Reverse-path filtering off: only the antispoof rules may drop.
        netns_do(ns, ["ip", "link", "set", "lo", "up"],
                 ["sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0"],
                 ["sysctl", "-qw", "net.ipv4.conf.default.rp_filter=0"],
                 ["nft", "add table inet counts; add chain inet counts in "
                  "{ type filter hook input priority 0; }; add rule inet "
                  "counts in ip saddr %s icmp type echo-request counter; "
                  "add rule inet counts in ip saddr %s icmp type "
                  "echo-request counter" % (spoof, guest)])
        h = Instance("route-as", "(vif-script 'vif-route address=%s.1')" %
                     sub, netns=ns).start()
        cfg = h.config("rt", vif="['ip=%s, rate=4Mb/s']" % guest,
                       ip="'%s'" % guest,
                       netmask="'255.255.255.0'", gateway="'%s.1'" % sub)
        con = Console(h, "create", "-c", cfg)
        con.login()
        tap = h.vif(h.domains()["rt"]["domid"])
        r = netns(ns, "nft", "list", "chain", "inet", as_table(h),
                  "port-" + tap)
        check("ip saddr != { 0.0.0.0, %s } drop" % guest in r.stdout, r)
        check(chain_rules(r.stdout)[0] == LIMIT % (500000, 25000), r.stdout)
        check(guest_rc(con, "ping -c 2 -W 5 %s.1" % sub, "r1") == 0,
              "the routed guest does not reach the host")
        sent = rate_sent(con, guest, 4 << 20, "rs", ns)
        print("routed, rate=4Mb/s (500000 bytes/s): sent %d bytes/s" % sent)
        check(0.25 * 500000 <= sent <= 1.3 * 500000, "rate=4Mb/s: the "
              "routed guest sends %d bytes/s" % sent)
        guest_rc(con, "ip addr add %s/32 dev eth0; ping -c 2 -W 2 -I %s "
                 "%s.1" % (spoof, spoof, sub), "r2", 60)
        r = netns(ns, "nft", "list", "chain", "inet", "counts", "in")
        m = dict(re.findall(r"ip saddr (\S+) icmp type echo-request "
                            r"counter packets (\d+)", r.stdout))
        check(int(m.get(guest, 0)) >= 2, r.stdout)
        check(int(m.get(spoof, 1)) == 0, "echo requests from %s reached "
              "the host: %s" % (spoof, r.stdout))
        con.kill()
        con = None
        h.xm_ok("destroy", "rt")
        r = netns(ns, "nft", "list", "chain", "inet", as_table(h),
                  "port-" + tap)
        check(r.returncode != 0, "the chain is left: %s" % r.stdout)
    finally:
        if con is not None:
            con.kill()
        if h is not None:
            h.close()
        sh("ip", "netns", "del", ns)
    check(ns not in sh("ip", "netns", "list").stdout, "namespace left")


def setup_rec(fn):
    def run(inst):
        path = os.path.join(inst.tmp, "vif-rec")
        with open(path, "w") as f:
            f.write(REC_VIF % inst.tmp)
        os.chmod(path, 0o755)
        # The script must be there when xend reads the config: restart.
        inst.xend("stop")
        inst.start()
        fn(inst)
    return run


TESTS = [
    ("net_default_dhcp", test_default_network_dhcp, DEFAULT_NET),
    ("net_vif_script_args_env", setup_rec(test_vif_script_args_env),
     rec_vif_config()),
    ("net_attach_detach", test_network_attach_detach, DEFAULT_NET),
    ("net_vif_script_fails", test_vif_script_fails_at_create, DEFAULT_NET),
    ("net_nat_rules", test_network_nat_rules, ""),
    ("net_vnet_two_hosts", test_vnet_two_hosts, ""),
    ("net_bridge_netdev", test_network_bridge_netdev, ""),
    ("net_route_scripts", test_route_scripts, ""),
    ("net_vif_options", test_vif_options, DEFAULT_NET),
    ("net_pci_refused", test_pci_and_driver_domains_refused, ""),
    ("net_antispoof_guests", test_antispoof, DEFAULT_NET),
    ("net_antispoof_restart", test_antispoof_restart, ""),
    ("net_antispoof_routed", test_antispoof_routed, ""),
]
