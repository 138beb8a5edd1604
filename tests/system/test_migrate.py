"""
test_migrate.py: xm migrate between two "hosts": network namespaces
joined by a veth pair, each running its own xend (own config dir, state
dir and ports), the demo guest's disk files reachable from both (shared,
read-only).  A guest prints a counter on its console; after each
migration the counter goes on on the other host with no number twice and
none missing.  A host outside xend-relocation-hosts-allow is refused and
the domain runs on where it was; a target xend killed mid-transfer leaves
exactly one running copy, the source's.  With --copy-storage each
"host" has its own directory of disks under the same path (b's xend runs
in a mount namespace with its own directory bound there): the disk is
copied to b, refused when the path exists there, and a failure mid-copy
removes what b created, also when b's xend was killed (on its restart);
a's xend killed mid-copy leaves its QEMU without the copy's block jobs
and NBD nodes once restarted.
"""
import json
import os
import re
import signal
import socket
import subprocess
import time
import shutil

import harness
from harness import Console, check

COUNTER = ("i=0; while true; do i=$((i+1)); echo CNT$i; "
           "sleep 0.05; done &\r")


def sh(*argv):
    subprocess.run(list(argv), check=True, capture_output=True)


class Hosts:
    """Namespaces a and b, a veth pair between them, a xend in each."""

    def __init__(self, inst, allow_a=None, allow_b=None, private=False):
        self.a = inst
        # private: LOCAL is a's own disk directory; b sees LOCAL_B there.
        self.local = os.path.join(inst.tmp, "local") if private else None
        self.local_b = os.path.join(inst.tmp, "local-b") if private else None
        for d in (self.local, self.local_b):
            if d is not None:
                os.makedirs(d)
        net = inst.subnet(1)
        self.ip = {"a": net + ".1", "b": net + ".2"}
        self.ns = {"a": inst.tag + "na", "b": inst.tag + "nb"}
        self.made = []
        self.b = None
        try:
            for k in "ab":
                sh("ip", "netns", "add", self.ns[k])
                self.made.append(self.ns[k])
            sh("ip", "link", "add", inst.tag + "va", "netns", self.ns["a"],
               "type", "veth", "peer", "name", inst.tag + "vb", "netns",
               self.ns["b"])
            for k in "ab":
                self.ip_in(k, "addr", "add", self.ip[k] + "/24", "dev",
                           inst.tag + "v" + k)
                self.ip_in(k, "link", "set", inst.tag + "v" + k, "up")
                self.ip_in(k, "link", "set", "lo", "up")
            extra = {}
            for k, allow in (("a", allow_a), ("b", allow_b)):
                other = self.ip["b" if k == "a" else "a"]
                extra[k] = ("(xend-relocation-server yes)\n"
                            "(xend-relocation-address %s)\n"
                            "(xend-relocation-hosts-allow '%s')\n" %
                            (self.ip[k], allow if allow is not None else
                             re.escape(other)))
            # b's xenconsoled, when a test starts it in b, serves b's
            # address (a's serves 127.0.0.1 in the root namespace).
            extra["b"] += ("(console-address %s)\n(console-hosts-allow "
                           "'%s')\n(console-password-file "
                           "@TMP@/console-passwords)\n" %
                           (self.ip["b"], re.escape(self.ip["a"])))
            self.b = harness.Instance("migb", extra["b"])
            with open(os.path.join(inst.conf, "xend-config.sxp"), "a") as f:
                f.write(extra["a"])
            check(inst.xend("stop").rc == 0, "xend stop")
            self.start("a", inst)
            self.start("b", self.b)
        except Exception:
            self.close()
            raise

    def ip_in(self, k, *args):
        sh("ip", "netns", "exec", self.ns[k], "ip", *args)

    def start(self, k, inst):
        xend = os.path.join(harness.BIN, "xend", "xend")
        if k == "b" and self.local is not None:
            # Its own mount namespace: its QEMUs see LOCAL_B as LOCAL.
            r = inst.run("ip", "netns", "exec", self.ns[k], "unshare", "-m",
                         "--propagation", "private", "sh", "-c",
                         'mount --bind "$1" "$2" && exec "$3" start', "sh",
                         self.local_b, self.local, xend)
        else:
            r = inst.run("ip", "netns", "exec", self.ns[k], xend, "start")
        check(r.rc == 0, "xend start in %s: %r\n%s" % (self.ns[k], r,
                                                       inst.log_tail()))

    def start_consoled_b(self, password):
        """b's xenconsoled in b; remote clients give password."""
        from test_access import crypt_hash, password_file
        password_file(self.b, ["*:" + crypt_hash(password)])
        r = self.b.run("ip", "netns", "exec", self.ns["b"],
                       os.path.join(harness.CONSOLED_BIN, "xenconsoled",
                                    "xenconsoled"), "start")
        check(r.rc == 0, "xenconsoled start in b: %r\n%s" %
              (r, self.b.consoled_log_tail()))

    def port(self, inst):
        return str(inst.port_base + 198)

    def close(self):
        if self.b is not None:
            self.b.close()
        for ns in self.made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def connect(port):
    try:
        return socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return None


def read_until(s, what, timeout):
    end = time.time() + timeout
    got = b""
    while what not in got and time.time() < end:
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        if not data:
            break
        got += data
    s.close()
    return got


def counts(text):
    return [int(n) for n in re.findall(r"CNT(\d+)\r?\n", text)]


def log_of(inst, name):
    d = inst.domains().get(name)
    if d is None:
        return ""
    with open(os.path.join(d["dir"], "console.log"), errors="replace") as f:
        return f.read()


def running(inst, name):
    d = inst.domains().get(name)
    return d is not None and d["status"] in ("running", "blocked")


def alive_qemus(inst):
    return [p for p in inst.qemu_pids() if os.path.exists("/proc/%d" % p)]


def start_counter(inst, name, cfg=None, first=None):
    """name created (from cfg) and logged in; first(console) runs, then
    the counter starts."""
    c = Console(inst, "create", "-c", cfg or inst.config(name))
    c.login()
    if first is not None:
        first(c)
    c.send(COUNTER)
    c.expect(r"CNT5\r?\n", 60)
    c.detach()


def slow_migration(h, name):
    """xm migrate --live at 40 Mbit/s from a to b, once b has prepared."""
    a, b = h.a, h.b
    p = subprocess.Popen([os.path.join(harness.BIN, "xm", "xm"), "migrate",
                          "--live", "-r", "40", name, h.ip["b"], "-p",
                          h.port(b)], env=a.env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    b.wait_for(lambda: name in b.domains(), 30, "prepare on b")
    time.sleep(1)
    return p


def counter_goes_on(inst, name):
    """name's console counter moves on at inst (it runs there)."""
    n0 = counts(log_of(inst, name))[-1]
    inst.wait_for(lambda: counts(log_of(inst, name))[-1] > n0 + 5, 30,
                  "the counter to go on")


def kill_xend(inst):
    with open(os.path.join(inst.tmp, "xend.pid")) as f:
        os.kill(int(f.read()), signal.SIGKILL)


def check_moved(src, dst, name):
    """name runs on dst only; its console counter went on from the last
    count at the source, none lost or repeated.  A line the guest was
    writing at the switch may be split between the hosts' logs (its rest
    was in the UART's FIFO, which migrates), so the source's log and the
    target's are read as one stream."""
    check(name not in src.domains(), "still on the source")
    check(alive_qemus(src) == [], "a qemu left on the source")
    check(running(dst, name), dst.domains())
    with open(os.path.join(src.state, "logs", name + ".console.log"),
              errors="replace") as f:
        src_text = f.read()
    before = counts(src_text)
    check(before, "no counter in the source's log")
    got = [""]

    def grown():
        got[0] = log_of(dst, name)
        return len(counts(got[0])) > 10
    dst.wait_for(grown, 60, "the counter on the target")
    whole = counts(src_text + got[0])
    check(whole[:len(before)] == before, "the source's counts changed")
    after = whole[len(before) - 1:]
    for a, b in zip(after, after[1:]):
        check(b == a + 1, "counter: %d then %d (%d the source's last)" %
              (a, b, before[-1]))


def test_migrate_round_trip(inst):
    """Non-live a -> b, then live b -> a; the counter never repeats."""
    h = Hosts(inst)
    try:
        a, b = inst, h.b
        start_counter(a, "mig")
        d0 = a.domains()["mig"]
        # A telnet client of xenconsoled is told where the domain went;
        # xm console (in a, which reaches b) follows it to b's console.
        a.start_consoled()
        h.start_consoled_b("migpw")
        tn = a.wait_for(lambda: connect(d0["console_port"]), 30,
                        "xenconsoled's console port")
        xc = harness.Pty(["ip", "netns", "exec", h.ns["a"],
                          os.path.join(harness.BIN, "xm", "xm"), "console",
                          "mig"], a.env)
        xc.what = "xm console"
        xc.expect(r"CNT\d+\r?\n", 30)
        r = a.xm("migrate", "mig", h.ip["b"], "-p", h.port(b), timeout=180)
        said = read_until(tn, b"port %d there" % (b.port_base + 1), 30)
        check(b"domain mig moved to %s; its console is port %d there" %
              (h.ip["b"].encode(), b.port_base + 1) in said, said[-300:])
        xc.expect(r"following mig to %s port %d" % (re.escape(h.ip["b"]),
                                                     b.port_base + 1), 30)
        xc.expect(r"connected to %s port %d" % (re.escape(h.ip["b"]),
                                                b.port_base + 1), 30)
        # b's console asks this (remote) client its password.
        xc.expect(r"password: ", 30)
        xc.send("migpw\r")
        # The counter as the guest goes on printing it on b.
        m = xc.expect(r"CNT(\d+)\r?\n", 30)
        m2 = xc.expect(r"CNT(\d+)\r?\n", 30)
        check(int(m2.group(1)) == int(m.group(1)) + 1, (m.group(0),
                                                       m2.group(0)))
        xc.send(b"\x1d")
        check(xc.wait() == 0, "xencons did not end on Ctrl-]")
        check(r.rc == 0 and "migrated mig to %s" % h.ip["b"] in r.out, r)
        check_moved(a, b, "mig")
        db = b.domains()["mig"]
        check(db["console_port"] == b.port_base + db["domid"], db)
        check(db["config"] == d0["config"], (db["config"], d0["config"]))

        time.sleep(1)
        r = b.xm("migrate", "--live", "mig", h.ip["a"], "-p", h.port(a),
                 timeout=180)
        check(r.rc == 0, r)
        m = re.search(r"downtime (\d+) ms", r.out)
        check(m is not None, r.out)
        check_moved(b, a, "mig")
        a.xm_ok("destroy", "mig")
    finally:
        h.close()


def test_migrate_refused(inst):
    """A source not in the target's hosts-allow is refused, and logged;
    the domain runs on at the source."""
    h = Hosts(inst, allow_b=r"10\.0\.0\.1 nohost\.example")
    try:
        a, b = inst, h.b
        a.xm_ok("create", a.config("ref"))
        r = a.xm("migrate", "ref", h.ip["b"], "-p", h.port(b), timeout=60)
        check(r.rc == 1 and "refused: this host does not accept "
              "migrations from %s (xend-relocation-hosts-allow)" %
              h.ip["a"] in r.err, r)
        check(running(a, "ref") or a.domains()["ref"]["status"] ==
              "starting", a.domains())
        check(b.domains().get("ref") is None, b.domains())
        with open(b.log) as f:
            check("relocation: refused %s: not in xend-relocation-hosts-"
                  "allow" % h.ip["a"] in f.read(), b.log_tail())
        check("refused %s" % h.ip["a"] in b.xm_ok("dmesg").out, "dmesg")
        a.xm_ok("destroy", "ref")
    finally:
        h.close()


def kill_target_xend(h, p, name):
    """kill -9 of b's xend while p migrates name there: the migration
    fails and name runs on at a."""
    a = h.a
    kill_xend(h.b)
    out, err = p.communicate(timeout=120)
    check(p.returncode == 1 and "closed the connection" in err,
          (p.returncode, out, err))
    a.wait_for(lambda: running(a, name), 30, "%s to run at a again" % name)
    counter_goes_on(a, name)


def test_migrate_target_killed(inst):
    """kill -9 of the target's xend mid-transfer: the domain runs on at
    the source, the target's QEMU goes, nothing is left there."""
    h = Hosts(inst)
    try:
        a, b = inst, h.b
        start_counter(a, "kil")
        p = slow_migration(h, "kil")
        kill_target_xend(h, p, "kil")
        b.wait_for(lambda: alive_qemus(b) == [], 30, "b's qemu to end")
        h.start("b", b)
        b.wait_for(lambda: "kil" not in b.domains(), 30, "b to drop kil")
        check(alive_qemus(b) == [], "qemu at b")
        a.xm_ok("destroy", "kil")
    finally:
        h.close()


def kill_target_qemu(h, p, name):
    """kill -9 of b's one QEMU while p migrates name there: the migration
    fails, name runs on at a and b drops it."""
    a, b = h.a, h.b
    qemus = alive_qemus(b)
    check(len(qemus) == 1, qemus)
    os.kill(qemus[0], signal.SIGKILL)
    out, err = p.communicate(timeout=120)
    check(p.returncode == 1, (out, err))
    a.wait_for(lambda: running(a, name), 30, "%s to run at a again" % name)
    counter_goes_on(a, name)
    b.wait_for(lambda: name not in b.domains(), 30, "b to drop %s" % name)


def test_migrate_target_qemu_killed(inst):
    """kill -9 of the target's QEMU mid-transfer: the target drops the
    domain (no crash policy, no restart), the source runs on."""
    h = Hosts(inst)
    try:
        a, b = inst, h.b
        start_counter(a, "tq")
        p = slow_migration(h, "tq")
        kill_target_qemu(h, p, "tq")
        time.sleep(2)
        check(alive_qemus(b) == [] and "tq" not in b.domains(),
              "b restarted it: %s" % b.domains())
        check("domain tq (1) crashed" not in b.xm_ok("dmesg").out,
              "b took it for a crash: %s" % b.xm_ok("dmesg").out[-400:])
        a.xm_ok("destroy", "tq")
    finally:
        h.close()


def test_migrate_checks(inst):
    """The target's checks come before anything stops: a name taken
    there is refused with the reason; the domain runs on at the source."""
    h = Hosts(inst)
    try:
        a, b = inst, h.b
        a.xm_ok("create", a.config("chk"))
        b.xm_ok("create", "-p", b.config("chk"))
        r = a.xm("migrate", "--live", "chk", h.ip["b"], "-p", h.port(b))
        check(r.rc == 1 and "%s refused: domain 'chk' already exists" %
              h.ip["b"] in r.err, r)
        check(a.domains()["chk"]["status"] in ("running", "blocked"),
              a.domains())
        check(b.domains()["chk"]["status"] == "paused", b.domains())
        check(len(alive_qemus(b)) == 1, alive_qemus(b))
        # A host that does not answer: xend's loop goes on meanwhile.
        nobody = h.ip["b"].rsplit(".", 1)[0] + ".99"
        p = subprocess.Popen([os.path.join(harness.BIN, "xm", "xm"),
                              "migrate", "chk", nobody, "-p", h.port(b)],
                             env=a.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        t = time.time()
        a.xm_ok("list")
        check(time.time() - t < 2, "xm list took %.1f s during a connect" %
              (time.time() - t))
        out, err = p.communicate(timeout=60)
        check(p.returncode == 1 and "%s port %s: " % (nobody, h.port(b))
              in err, (out, err))
        check(a.domains()["chk"]["status"] in ("running", "blocked"),
              a.domains())
        # A token names files at b (under migrated-in/ and migrating-in/):
        # one that is not hex is refused before anything else.
        got = relocation_ask(h, {"op": "migrate.prepare", "args": {
            "config": {}, "token": "../../../../../tmp/" + "0" * 16}})
        check(got == {"error": "prepare: expected config and token"}, got)
        a.xm_ok("destroy", "chk")
        b.xm_ok("destroy", "chk")
    finally:
        h.close()


ASK = """
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(sys.argv[3].encode() + b"\\n")
print(s.makefile().readline(), end="")
"""


def relocation_ask(h, msg):
    """b's relocation server's answer to msg, sent from a."""
    r = subprocess.run(["ip", "netns", "exec", h.ns["a"], "python3", "-c",
                        ASK, h.ip["b"], h.port(h.b), json.dumps(msg)],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, r)
    return json.loads(r.stdout)


def test_migrate_source_killed(inst):
    """kill -9 of the source's xend mid-transfer, then its restart: the
    domain runs at the source (the target let its copy go), once."""
    h = Hosts(inst)
    try:
        a, b = inst, h.b
        start_counter(a, "src")
        p = slow_migration(h, "src")
        kill_xend(a)
        p.communicate(timeout=60)
        check(p.returncode == 1, p.returncode)
        b.wait_for(lambda: "src" not in b.domains(), 30, "b to drop src")
        b.wait_for(lambda: alive_qemus(b) == [], 30, "b's qemu to end")
        h.start("a", a)
        a.wait_for(lambda: running(a, "src"), 30, "src to run at a")
        counter_goes_on(a, "src")
        check(len(alive_qemus(a)) == 1, alive_qemus(a))
        check("cut short before the hand-over" in a.xm_ok("dmesg").out,
              "dmesg")
        a.xm_ok("destroy", "src")
    finally:
        h.close()


def test_migrate_network_cut(inst):
    """The link between the hosts goes down mid-transfer: both xends give
    up within seconds (keepalives), the domain runs on at the source and
    nothing is left at the target."""
    h = Hosts(inst)
    try:
        a, b = inst, h.b
        start_counter(a, "cut")
        p = slow_migration(h, "cut")
        h.ip_in("b", "link", "set", inst.tag + "vb", "down")
        t = time.time()
        out, err = p.communicate(timeout=90)
        check(p.returncode == 1 and "running here" not in out, (out, err))
        check(time.time() - t < 40, "gave up after %.0f s" % (time.time() - t))
        a.wait_for(lambda: running(a, "cut"), 30, "cut to run at a")
        counter_goes_on(a, "cut")
        b.wait_for(lambda: "cut" not in b.domains(), 60, "b to drop cut")
        b.wait_for(lambda: alive_qemus(b) == [], 30, "b's qemu to end")
        check(len(alive_qemus(a)) == 1, alive_qemus(a))
        a.xm_ok("destroy", "cut")
    finally:
        h.close()


def cut_after_handover(h, name, token, at=None):
    """The source's record as if its xend died right after asking for the
    hand-over (the domain paused there; at: when), then its xend
    restarted."""
    a = h.a
    a.xm_ok("pause", name)
    d = a.domains()[name]
    check(a.xend("stop").rc == 0, "xend stop")
    rec = {"file": "%s:%s" % (h.ip["b"], h.port(h.b)), "phase": 4,
           "token": token, "was_running": True}
    if at is not None:
        rec["at"] = at
    with open(os.path.join(d["dir"], "migrate.json"), "w") as f:
        json.dump(rec, f)
    h.start("a", a)


def test_migrate_source_restart_asks(inst):
    """A source xend restarted after asking for the hand-over asks the
    target: not handed over, the domain runs here again; handed over (a
    token the target kept), the copy here is destroyed."""
    h = Hosts(inst)
    try:
        a, b = inst, h.b
        a.xm_ok("create", a.config("hov"))
        cut_after_handover(h, "hov", "0123456789abcdef0123456789abcdef")
        a.wait_for(lambda: running(a, "hov"), 30, "hov to run at a again")
        check("had not been handed over: it runs here" in
              a.xm_ok("dmesg").out, a.xm_ok("dmesg").out[-500:])
        check("hov" not in b.domains(), b.domains())

        a.xm_ok("migrate", "hov", h.ip["b"], "-p", h.port(b), timeout=120)
        # The source confirmed: b forgets the token now, not in a day.
        kept = os.path.join(b.state, "migrated-in")
        b.wait_for(lambda: [t for t in os.listdir(kept)
                            if not t.startswith(".")] == [], 5,
                   "the token to go on the source's confirm")
        # A token b keeps when its source died before confirming.
        tokens = ["fedcba9876543210fedcba9876543210"]
        open(os.path.join(kept, tokens[0]), "w").close()
        a.xm_ok("create", a.config("hov"))
        cut_after_handover(h, "hov", tokens[0])
        a.wait_for(lambda: "hov" not in a.domains(), 30,
                   "the copy at a to go")
        check("had been handed over: it runs there" in
              a.xm_ok("dmesg").out, a.xm_ok("dmesg").out[-500:])
        check(alive_qemus(a) == [], alive_qemus(a))
        check(running(b, "hov"), b.domains())
        b.xm_ok("destroy", "hov")

        # Tokens older than a day go when the target's xend starts; a
        # question from before then is "cannot say": the copy stays paused.
        day = 24 * 3600
        old = time.time() - 2 * day
        os.utime(os.path.join(kept, tokens[0]), (old, old))
        check(b.xend("stop").rc == 0, "xend stop at b")
        h.start("b", b)
        check(os.listdir(kept) == [".pruned"], os.listdir(kept))
        a.xm_ok("create", a.config("hov"))
        cut_after_handover(h, "hov", tokens[0], at=old)
        a.wait_for(lambda: "cannot say where it runs" in
                   a.xm_ok("dmesg").out, 30, "a to be told cannot say")
        check(a.domains()["hov"]["state"][2] == "p", a.domains()["hov"])
        check("hov" not in b.domains(), b.domains())
        a.xm_ok("destroy", "hov")
    finally:
        h.close()


def tcp_listeners(h, k):
    """The TCP sockets listening in namespace k ("addr:port" each)."""
    r = subprocess.run(["ip", "netns", "exec", h.ns[k], "ss", "-ltnH"],
                       capture_output=True, text=True, check=True)
    return sorted(line.split()[3] for line in r.stdout.splitlines()
                  if line.strip())


def local_domain(h, name, qcow2=False):
    """A config whose writable root disk is a's own copy of the image (a
    qcow2 one backed by the shared image if qcow2)."""
    image = os.path.join(harness.IMAGES, "rootfs.ext2")
    disk = os.path.join(h.local, "rootfs.qcow2" if qcow2 else "rootfs.ext2")
    if qcow2:
        sh("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
           image, disk)
    elif not os.path.exists(disk):
        shutil.copyfile(image, disk)
    return h.a.config(name, disk="['%s:%s,sda1,w']" %
                      ("qcow2" if qcow2 else "file", disk),
                      root='"/dev/sda1 rw"'), disk


def copy_migration(h, name, *opts):
    """xm migrate --copy-storage from a to b (opts: more options)."""
    return subprocess.Popen([os.path.join(harness.BIN, "xm", "xm"),
                             "migrate", "--copy-storage"] + list(opts) +
                            [name, h.ip["b"], "-p", h.port(h.b)],
                            env=h.a.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


# Read back from the disk, not the page cache: what the guest wrote
# before, and a checksum of its programs.
READ_BACK = ("echo 3 > /proc/sys/vm/drop_caches; cat /mark; cat /bin/* "
             "2>/dev/null | md5sum | sed 's/^/SUM/'\r")


def read_back(c, mark=True):
    """READ_BACK on console c: the checksum (and the mark seen)."""
    c.send(READ_BACK)
    if mark:
        c.expect(r"XMCOPY42MARK", 60)
    return c.expect(r"SUM([0-9a-f]{32})", 60).group(1)


def read_back_at(inst, name, mark=True):
    """read_back on name's console at inst (QEMU's, directly)."""
    c = Console(inst, "console", "-n", name)
    c.expect(r"CNT\d+\r?\n", 30)
    got = read_back(c, mark)
    c.detach()
    return got


def test_migrate_copy_storage(inst):
    """A domain on a disk only a has, migrated live with --copy-storage:
    on b it reads back what it wrote before, its programs are intact,
    the counter goes on, b's file has the block it wrote; a's file
    stays.  Then back to a without --live."""
    h = Hosts(inst, private=True)
    try:
        a, b = inst, h.b
        cfg, disk = local_domain(h, "cps")
        sums = []

        def mark(c):
            c.send("echo XMCOPY$((6*7))MARK > /mark; sync\r")
            sums.append(read_back(c))
        start_counter(a, "cps", cfg, mark)
        s0 = sums[0]
        b_disk = os.path.join(h.local_b, "rootfs.ext2")
        check(not os.path.exists(b_disk), "b has the disk already")
        p = copy_migration(h, "cps", "--live")
        out, err = p.communicate(timeout=300)
        check(p.returncode == 0 and "migrated cps to %s" % h.ip["b"] in out,
              (p.returncode, out, err))
        check_moved(a, b, "cps")
        check(os.path.exists(disk), "a's disk file was removed")
        check(os.path.exists(b_disk), "no disk file at b")
        s1 = read_back_at(b, "cps")
        check(s1 == s0, "programs read back differ: %s then %s" % (s0, s1))
        with open(disk, "rb") as f:
            mine = f.read()
        with open(b_disk, "rb") as f:
            theirs = f.read()
        at = mine.find(b"XMCOPY42MARK")
        check(at >= 0, "the mark is not in a's file")
        blk = at - at % 4096
        check(mine[blk:blk + 4096] == theirs[blk:blk + 4096],
              "b's file differs in the block written before")
        check(len(theirs) == len(mine), (len(theirs), len(mine)))
        # At pre-switchover QEMU's block job events said the mirrors had
        # ended, before the 20 ms poll did.
        with open(a.log) as f:
            check("disk copies ended in sync (events)" in f.read(),
                  a.log_tail())
        # Back to a without --live (paused, copied, resumed), once the
        # user removed a's old file: a creates it again.
        os.unlink(disk)
        r = b.xm("migrate", "--copy-storage", "cps", h.ip["a"], "-p",
                 h.port(a), timeout=300)
        check(r.rc == 0, r)
        check_moved(b, a, "cps")
        check(os.path.exists(disk) and os.path.exists(b_disk),
              "a disk file is missing")
        a.xm_ok("destroy", "cps")
    finally:
        h.close()


def test_migrate_copy_storage_qcow2(inst):
    """A qcow2 disk backed by an image: b makes a qcow2 of the same size
    without a backing file, holding the whole disk; the guest runs on."""
    h = Hosts(inst, private=True)
    try:
        a, b = inst, h.b
        cfg, disk = local_domain(h, "cpq", qcow2=True)
        start_counter(a, "cpq", cfg)
        s0 = read_back_at(a, "cpq", mark=False)
        r = a.xm("migrate", "--copy-storage", "--live", "cpq", h.ip["b"],
                 "-p", h.port(b), timeout=300)
        check(r.rc == 0, r)
        check_moved(a, b, "cpq")
        info = json.loads(subprocess.run(
            ["qemu-img", "info", "-U", "--output=json",
             os.path.join(h.local_b, "rootfs.qcow2")], capture_output=True,
            text=True, check=True).stdout)
        mine = json.loads(subprocess.run(
            ["qemu-img", "info", "-U", "--output=json", disk],
            capture_output=True, text=True, check=True).stdout)
        check(info["format"] == "qcow2" and "backing-filename" not in info
              and info["virtual-size"] == mine["virtual-size"], info)
        s1 = read_back_at(b, "cpq", mark=False)
        check(s1 == s0, "programs read back differ: %s then %s" % (s0, s1))
        b.xm_ok("destroy", "cpq")
    finally:
        h.close()


def test_migrate_copy_storage_exists(inst):
    """--copy-storage to a host where the disk's path exists is refused,
    naming the path; the domain runs on at a, b's file is untouched."""
    h = Hosts(inst, private=True)
    try:
        a, b = inst, h.b
        cfg, disk = local_domain(h, "cpx")
        a.xm_ok("create", cfg)
        b_disk = os.path.join(h.local_b, "rootfs.ext2")
        with open(b_disk, "wb") as f:
            f.write(b"b's own data\n")
        p = copy_migration(h, "cpx", "--live")
        out, err = p.communicate(timeout=120)
        check(p.returncode == 1 and "%s refused: disk sda1: %s exists on " %
              (h.ip["b"], disk) in err and "; remove it or migrate without "
              "--copy-storage" in err, (p.returncode, out, err))
        check(a.domains()["cpx"]["status"] in ("running", "blocked"),
              a.domains())
        check("cpx" not in b.domains(), b.domains())
        with open(b_disk, "rb") as f:
            check(f.read() == b"b's own data\n", "b's file was changed")
        check(alive_qemus(b) == [], alive_qemus(b))
        a.xm_ok("destroy", "cpx")
    finally:
        h.close()


def test_migrate_copy_storage_killed(inst):
    """b's QEMU killed while the disk is copied: the domain runs on at a,
    the file b created is gone, one copy runs.  Meanwhile nothing more
    listens on TCP at b: NBD is only a unix socket in the domain's dir."""
    h = Hosts(inst, private=True)
    try:
        a, b = inst, h.b
        p, disk, b_disk = copying(h, "cpk")
        kill_target_qemu(h, p, "cpk")
        b.wait_for(lambda: not os.path.exists(b_disk), 30,
                   "b's created file to go")
        check(os.path.exists(disk), "a's disk file was removed")
        check(alive_qemus(b) == [] and len(alive_qemus(a)) == 1,
              (alive_qemus(a), alive_qemus(b)))
        a.xm_ok("destroy", "cpk")
    finally:
        h.close()


def copying(h, name):
    """name started at a on a's own disk and migrated to b with
    --copy-storage --live -r 16, returned while its disk is copied (b
    created its file and exports it; nothing more listens on TCP at b):
    (the xm process, a's disk, b's)."""
    a, b = h.a, h.b
    cfg, disk = local_domain(h, name)
    start_counter(a, name, cfg)
    listening = tcp_listeners(h, "b")
    b_disk = os.path.join(h.local_b, "rootfs.ext2")
    p = copy_migration(h, name, "--live", "-r", "16")
    b.wait_for(lambda: name in b.domains(), 30, "prepare on b")
    d = b.domains()[name]
    b.wait_for(lambda: os.path.exists(os.path.join(d["dir"], "nbd.sock")),
               30, "b's NBD socket")
    time.sleep(1)
    check(os.path.exists(b_disk), "no disk file created at b")
    check(tcp_listeners(h, "b") == listening,
          "b listens on more during the copy: %s, before %s" %
          (tcp_listeners(h, "b"), listening))
    check(p.poll() is None, "the migration ended already")
    with open(a.log) as f:
        check("disks in sync" not in f.read(), "the disk copy ended")
    return p, disk, b_disk


def test_migrate_copy_storage_target_killed(inst):
    """kill -9 of b's xend while the disk is copied, then its restart: the
    file b created is gone (b recorded it before making it), the domain
    runs at a only, a's file stays."""
    h = Hosts(inst, private=True)
    try:
        a, b = inst, h.b
        p, disk, b_disk = copying(h, "ctk")
        kill_target_xend(h, p, "ctk")
        check(os.path.exists(b_disk), "b's file went with its xend away")
        h.start("b", b)
        b.wait_for(lambda: "ctk" not in b.domains(), 30, "b to drop ctk")
        b.wait_for(lambda: alive_qemus(b) == [], 30, "b's qemu to end")
        check(not os.path.exists(b_disk), "b's created file was left")
        check("cut short: removed %s, created for it" % disk in
              b.xm_ok("dmesg").out, b.xm_ok("dmesg").out[-600:])
        check(os.listdir(os.path.join(b.state, "migrating-in")) == [],
              os.listdir(os.path.join(b.state, "migrating-in")))
        check(os.path.exists(disk), "a's disk file was removed")
        check(len(alive_qemus(a)) == 1, alive_qemus(a))
        a.xm_ok("destroy", "ctk")
    finally:
        h.close()


def qmp_ask(sock, *cmds):
    """QEMU's answers to cmds ((name, args) each) on its QMP socket (only
    while xend, its usual client, is stopped)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sock)
    f = s.makefile("rwb")
    json.loads(f.readline())
    out = []
    for cmd, args in (("qmp_capabilities", None),) + cmds:
        msg = {"execute": cmd}
        if args is not None:
            msg["arguments"] = args
        f.write(json.dumps(msg).encode() + b"\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:
                break
        out.append(r.get("return", r))
    s.close()
    return out[1:]


def test_migrate_copy_storage_source_killed(inst):
    """kill -9 of a's xend while the disk is copied, then its restart: the
    domain runs at a, and its QEMU has no block job or NBD node of the
    copy left (QEMU's own answer, asked while xend is stopped)."""
    h = Hosts(inst, private=True)
    try:
        a, b = inst, h.b
        p, disk, b_disk = copying(h, "csk")
        kill_xend(a)
        p.communicate(timeout=60)
        check(p.returncode == 1, p.returncode)
        b.wait_for(lambda: "csk" not in b.domains(), 30, "b to drop csk")
        b.wait_for(lambda: alive_qemus(b) == [], 30, "b's qemu to end")
        b.wait_for(lambda: not os.path.exists(b_disk), 30,
                   "b's created file to go")
        h.start("a", a)
        a.wait_for(lambda: running(a, "csk"), 30, "csk to run at a")
        counter_goes_on(a, "csk")
        a.wait_for(lambda: "nbd node(s) removed from qemu" in
                   a.xm_ok("dmesg").out, 30, "the copy's leftovers to go")
        d = a.domains()["csk"]
        check(a.xend("stop").rc == 0, "xend stop")
        jobs, nodes = qmp_ask(os.path.join(d["dir"], "qmp.sock"),
                              ("query-block-jobs", None),
                              ("query-named-block-nodes", {"flat": True}))
        h.start("a", a)
        check(jobs == [], "block jobs left: %s" % jobs)
        names = [n.get("node-name", "") for n in nodes]
        check([n for n in names if n.startswith("xmnbd-")] == [],
              "nbd nodes left: %s" % names)
        check(running(a, "csk") and len(alive_qemus(a)) == 1,
              (a.domains(), alive_qemus(a)))
        check(os.path.exists(disk), "a's disk file was removed")
        a.xm_ok("destroy", "csk")
    finally:
        h.close()


TESTS = [
    ("migrate_round_trip", test_migrate_round_trip, ""),
    ("migrate_refused", test_migrate_refused, ""),
    ("migrate_target_killed", test_migrate_target_killed, ""),
    ("migrate_checks", test_migrate_checks, ""),
    ("migrate_target_qemu_killed", test_migrate_target_qemu_killed, ""),
    ("migrate_source_killed", test_migrate_source_killed, ""),
    ("migrate_network_cut", test_migrate_network_cut, ""),
    ("migrate_source_restart_asks", test_migrate_source_restart_asks, ""),
    ("migrate_copy_storage", test_migrate_copy_storage, ""),
    ("migrate_copy_storage_exists", test_migrate_copy_storage_exists, ""),
    ("migrate_copy_storage_qcow2", test_migrate_copy_storage_qcow2, ""),
    ("migrate_copy_storage_killed", test_migrate_copy_storage_killed, ""),
    ("migrate_copy_storage_target_killed",
     test_migrate_copy_storage_target_killed, ""),
    ("migrate_copy_storage_source_killed",
     test_migrate_copy_storage_source_killed, ""),
]
