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
        check(sh("ping", "-c", "1", "-W", "5", ip).returncode == 0,
              "no ping reply from eth1's %s" % ip)
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


def test_vif_options(inst):
    """The vif options vifname, model and rate (Xen 3.0): the tap has the
    name, QEMU the NIC model, the tap a token bucket at the rate; the
    same through network-attach; bad values refused."""
    web, hot = inst.tag + "web", inst.tag + "hot"
    try:
        inst.xm_ok("create", "-p", inst.config(
            "vo", vif="['vifname=%s, model=e1000, rate=1Mb/s@20ms', ''"
            "]" % web))
        d = inst.domains()["vo"]
        check(link_exists(web), "no tap %s" % web)
        check(link_exists(inst.vif(d["domid"], 1)), "second tap missing")
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
        r = inst.xm_ok("network-list", "vo")
        check(re.search(r"^0\s+%s\s" % web, r.out, re.M), r.out)
        r = inst.xm_ok("list", "-l", "vo")
        check("(vifname %s)" % web in r.out and "(model e1000)" in r.out and
              "(rate 1Mb/s@20ms)" in r.out, r.out)
        inst.xm_ok("network-attach", "vo", "vifname=" + hot, "rate=2Mb/s")
        check(link_exists(hot), "no tap %s" % hot)
        inst.wait_for(lambda: "rate 2Mbit" in sh("tc", "qdisc", "show",
                                                 "dev", hot).stdout, 20,
                      "the rate on " + hot)
        r = inst.xm("network-attach", "vo", "model=pcnet")
        check(r.rc == 1 and "invalid model 'pcnet'" in r.err, r)
        r = inst.xm("create", "-p", inst.config("vo2", vif="['rate=fast']"))
        check(r.rc == 1 and "invalid rate 'fast'" in r.err, r)
        inst.xm_ok("destroy", "vo")
        inst.wait_for(lambda: not link_exists(web) and not link_exists(hot),
                      10, "the taps gone")
        inst.xend("stop")
    finally:
        kill_dnsmasq(inst, inst.tag + "br")
        remove_links(web, hot, inst.tag + "br")


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
]
