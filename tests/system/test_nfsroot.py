"""System test for an NFS root (issue 11): a domain with root = '/dev/nfs',
nfs_server and nfs_root boots from a copy of the demo root file system
that an NFS server exports from a network namespace of the test's own.

The host kernel here has no nfsd, so the server is NFS-Ganesha (user
space, NFSv3 over TCP) with its own rpcbind; both run in the namespace and
in a private mount namespace whose /run is a tmpfs, so neither sees nor
disturbs a host's rpcbind. The guest is the demo guest built into the
test's temp dir (guest/build-guest.sh OUTDIR), never the installed one.
Everything (server processes by pid, namespace, bridge, veth) is removed
and checked gone."""
import os
import secrets
import signal
import subprocess
import time

from harness import Console, check
from test_network import fresh_netns, guest_sh, netns, remove_links, sh

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_GUEST = os.path.join(HERE, "..", "..", "guest", "build-guest.sh")
NFS_SERVER = os.path.join(HERE, "nfs-server.sh")

GANESHA_CONF = """NFS_CORE_PARAM {
	Protocols = 3;
	Enable_NLM = false;
	Enable_RQUOTA = false;
	Enable_UDP = false;
	Bind_addr = %(addr)s;
}
NFSV4 { Graceless = true; RecoveryRoot = %(dir)s/recovery; }
EXPORT {
	Export_Id = 1;
	Path = %(export)s;
	Pseudo = %(export)s;
	Protocols = 3;
	Transports = TCP;
	Access_Type = RO;
	Squash = No_Root_Squash;
	Sectype = sys;
	FSAL { Name = VFS; }
}
"""

def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return 0


def kill_pid(pid, name):
    """SIGTERM, then SIGKILL, the process pid if it is still name."""
    if pid <= 0:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            with open("/proc/%d/comm" % pid) as f:
                if name not in f.read():
                    return
            os.kill(pid, sig)
        except OSError:
            return
        for _ in range(50):
            if not os.path.exists("/proc/%d" % pid):
                return
            time.sleep(0.1)


def boot_nfs(inst, images, server, export, token, name, **net):
    """Boots domain name from server:export; checks its / and destroys it."""
    cfg = inst.config(
        name, disk=None, root="'/dev/nfs'",
        kernel='"%s/vmlinuz"' % images, ramdisk='"%s/initrd.img"' % images,
        nfs_server="'%s'" % server, nfs_root="'%s'" % export, **net)
    con = Console(inst, "create", "-c", cfg)
    try:
        con.login()
        out = guest_sh(con, "mount | grep ' on / '", "mnt")
        check(("%s:%s on / type nfs " % (server, export)) in out, out)
        out = guest_sh(con, "cat /etc/nfs-token", "tok")
        check(token in out, out)
        out = guest_sh(con, "cat /proc/cmdline", "cl")
        check("root=/dev/nfs" in out and
              "nfsroot=%s:%s" % (server, export) in out, out)
        # rcS's own network set-up has run and the root still answers.
        out = guest_sh(con, "sleep 2; ls /sbin/init && ip -4 -o addr show "
                       "dev eth0", "ad")
        check("/sbin/init" in out and " inet " in out, out)
    finally:
        con.kill()
    inst.xm_ok("destroy", name)


def test_nfs_root(inst):
    """The guest's / is SERVER:PATH over NFS, with a static ip= and with
    DHCP: `mount` says so, and a file written into the export only is
    there."""
    ns, br, v = inst.tag + "nfs", inst.tag + "nfsbr", inst.tag + "nfv"
    sub = "10.243.%d" % inst.ident
    server, client = sub + ".1", sub + ".2"
    srv = os.path.join(inst.tmp, "nfs")
    export = os.path.join(srv, "export")
    images = os.path.join(inst.tmp, "guest")
    os.makedirs(export)
    proc = None
    fresh_netns(ns)
    try:
        r = subprocess.run([BUILD_GUEST, images], capture_output=True,
                           text=True, timeout=600)
        check(r.returncode == 0, "build-guest: %s" % r.stderr)
        r = sh("debugfs", "-R", "rdump / " + export,
               os.path.join(images, "rootfs.ext2"))
        check(r.returncode == 0 and
              os.path.lexists(os.path.join(export, "sbin", "init")),
              "debugfs rdump: %s" % r.stderr)
        token = secrets.token_hex(8)
        with open(os.path.join(export, "etc", "nfs-token"), "w") as f:
            f.write(token + "\n")

        for cmd in (["ip", "link", "add", br, "type", "bridge"],
                    ["ip", "link", "set", br, "up"],
                    ["ip", "link", "add", v, "type", "veth", "peer", "name",
                     v + "p", "netns", ns],
                    ["ip", "link", "set", v, "master", br, "up"]):
            r = sh(*cmd)
            check(r.returncode == 0, "%s: %s" % (cmd, r.stderr))
        for cmd in (["ip", "link", "set", "lo", "up"],
                    ["ip", "addr", "add", server + "/24", "dev", v + "p"],
                    ["ip", "link", "set", v + "p", "up"]):
            r = netns(ns, *cmd)
            check(r.returncode == 0, "%s: %s" % (cmd, r.stderr))

        with open(os.path.join(srv, "ganesha.conf"), "w") as f:
            f.write(GANESHA_CONF % {"addr": server, "dir": srv,
                                    "export": export})
        out = open(os.path.join(srv, "server.out"), "w")
        proc = subprocess.Popen(["ip", "netns", "exec", ns, NFS_SERVER, srv],
                                stdout=out, stderr=subprocess.STDOUT)
        out.close()

        def serving():
            check(proc.poll() is None, "NFS server exited: %s" %
                  open(os.path.join(srv, "server.out")).read())
            return ":2049 " in netns(ns, "ss", "-Htln").stdout
        inst.wait_for(serving, 30, "ganesha listening on %s:2049" % server)

        # A static ip= first, then DHCP from a dnsmasq in the namespace.
        boot_nfs(inst, images, server, export, token, "nfsst",
                 vif="['bridge=%s']" % br, ip="'%s'" % client,
                 netmask="'255.255.255.0'")
        leases = os.path.join(srv, "leases")
        dhcpd = subprocess.Popen(
            ["ip", "netns", "exec", ns, "dnsmasq", "-k", "--port=0",
             "--bind-interfaces", "--interface=" + v + "p",
             "--dhcp-range=%s.50,%s.59,255.255.255.0" % (sub, sub),
             "--dhcp-leasefile=" + leases, "--pid-file="],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            boot_nfs(inst, images, server, export, token, "nfsdh",
                     vif="['bridge=%s']" % br, dhcp="'dhcp'")
            with open(leases) as f:
                check(" %s.5" % sub in f.read(), "no DHCP lease")
        finally:
            dhcpd.terminate()
            dhcpd.wait(10)
    finally:
        kill_pid(read_pid(os.path.join(srv, "ganesha.pid")), "ganesha")
        kill_pid(read_pid(os.path.join(srv, "rpcbind.pid")), "rpcbind")
        if proc is not None:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        sh("ip", "netns", "del", ns)
        remove_links(v, br)
        subprocess.run(["rm", "-rf", srv, images])
    check(ns not in sh("ip", "netns", "list").stdout, "namespace left")


TESTS = [
    ("net_nfs_root", test_nfs_root, ""),
]
