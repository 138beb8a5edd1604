"""System tests for console access control (docs/SECURITY.md): who may use
a domain's console on TCP and VNC, passwords and back-off for remote
clients, and squatters on a console port.

Other users' clients are sockets made by a process running as that user
(setpriv), handed to the test over SCM_RIGHTS: the kernel says the socket
is theirs, and the test reads it like any client."""
import array
import ctypes
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time

from harness import CONSOLED_BIN, Console, TestFailure, check
from consolelib import RFB, TelnetClient
from test_consoled import consoles

XENCONS = os.path.join(CONSOLED_BIN, "xencons", "xencons")
STRANGER = 1001         # a uid no one has (checked), in no group
GROUP = "nogroup"       # console-group in these tests
PASSWORD = "c0ns0le-Pass"

# Runs as another user: connects (optionally from a netns, already
# entered by ip netns exec) and hands the socket to fd 3's peer.
_CONNECT = r"""
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection((host, port), 10)
u = socket.socket(fileno=int(sys.argv[3]))
socket.send_fds(u, [b"s"], [s.fileno()])
"""

# Runs as another user: listens on host:port and plays a login prompt.
_SQUAT = r"""
import socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], int(sys.argv[2])))
l.listen(8)
print("up", flush=True)
held = []
while True:
    c, _ = l.accept()
    c.sendall(b"\r\nttylinux login: ")
    held.append(c)
"""


def stranger_uid():
    import pwd
    for uid in range(STRANGER, STRANGER + 100):
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
    raise TestFailure("no unused uid")


def as_user(args, uid=None, user=None, gid=65534, groups=None, **kw):
    """argv run by setpriv as uid (no groups) or user (its groups)."""
    if user is not None:
        cred = ["--reuid=%s" % user, "--regid=%d" % gid, "--init-groups"]
    else:
        cred = ["--reuid=%d" % uid, "--regid=%d" % gid]
        cred += (["--groups=%s" % ",".join(map(str, groups))] if groups
                 else ["--clear-groups"])
    return ["setpriv"] + cred + ["--"] + list(args)


def user_socket(host, port, netns=None, **who):
    """A TCP connection to host:port made by another user (who: uid= or
    user=), now held by this process."""
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    argv = as_user([sys.executable, "-c", _CONNECT, host, str(port),
                    str(child.fileno())], **who)
    if netns is not None:
        argv = ["ip", "netns", "exec", netns] + argv
    p = subprocess.Popen(argv, pass_fds=[child.fileno()], cwd="/",
                         stderr=subprocess.PIPE)
    child.close()
    try:
        msg, fds, _, _ = socket.recv_fds(parent, 16, 1)
        err = p.communicate(timeout=20)[1]
    finally:
        parent.close()
        if p.poll() is None:
            p.kill()
            p.wait()
    check(fds, "no socket from the other user: %r" % err)
    return socket.socket(fileno=fds[0])


def read_until_closed(s, timeout=10):
    """Everything the server sends until it closes (or timeout)."""
    s.settimeout(0.5)
    buf = b""
    end = time.time() + timeout
    while time.time() < end:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            break
        if not d:
            return buf, True
        buf += d
    return buf, False


def still_open(s, secs=1.5):
    buf, closed = read_until_closed(s, secs)
    return buf, not closed


def wait_listening(inst, name, vnc=False):
    def up():
        c = consoles(inst).get(name, {})
        return c.get("vnc", {}).get("listening") if vnc else \
            c.get("listening")
    inst.wait_for(up, 30, "%s's %s port" % (name, "VNC" if vnc else
                                               "console"))


class Netns:
    """A network namespace joined to the host by a veth pair."""

    def __init__(self, tag):
        n = os.getpid() % 200
        self.name = "xtac%d%s" % (n, tag)
        self.host_if, self.ns_if = "xac%d%sa" % (n, tag), "xac%d%sb" % (n,
                                                                      tag)
        self.host_ip = "10.202.%d.1" % n
        self.ns_ip = "10.202.%d.2" % n
        self.ns_ip2 = "10.202.%d.3" % n      # not in console-hosts-allow

    def ip(self, *args):
        subprocess.run(["ip"] + list(args), check=True)

    def up(self):
        self.ip("netns", "add", self.name)
        self.ip("link", "add", self.host_if, "type", "veth", "peer", "name",
                self.ns_if, "netns", self.name)
        self.ip("addr", "add", self.host_ip + "/24", "dev", self.host_if)
        self.ip("link", "set", self.host_if, "up")
        self.ip("-n", self.name, "addr", "add", self.ns_ip + "/24", "dev",
                self.ns_if)
        self.ip("-n", self.name, "addr", "add", self.ns_ip2 + "/24", "dev",
                self.ns_if)
        self.ip("-n", self.name, "link", "set", self.ns_if, "up")
        self.ip("-n", self.name, "link", "set", "lo", "up")
        return self

    def socket(self, port, src=None):
        """A connection from inside the namespace (setns in this thread,
        and back: the socket stays in the namespace)."""
        libc = ctypes.CDLL(None, use_errno=True)
        mine = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        theirs = os.open("/var/run/netns/" + self.name, os.O_RDONLY)
        try:
            check(libc.setns(theirs, 0x40000000) == 0, "setns failed")
            try:
                s = socket.socket()
                if src is not None:
                    s.bind((src, 0))
            finally:
                check(libc.setns(mine, 0x40000000) == 0, "setns back")
        finally:
            os.close(mine)
            os.close(theirs)
        s.settimeout(10)
        s.connect((self.host_ip, port))
        return s

    def close(self):
        subprocess.run(["ip", "netns", "del", self.name],
                       stderr=subprocess.DEVNULL)
        subprocess.run(["ip", "link", "del", self.host_if],
                       stderr=subprocess.DEVNULL)


def telnet_on(s):
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(None)
    c = TelnetClient(s)
    c.negotiate()
    return c


def rfb_on(s):
    r = RFB.__new__(RFB)
    r.s = s
    r.s.settimeout(20)
    r.timeout = 20
    r.reason = None
    return r


def rfb_try(s, password=None):
    """(True: in; False: refused at authentication; None: refused at
    connection, with the reason the server gave or None)."""
    r = rfb_on(s)
    try:
        return r.handshake(password), r.reason
    except TestFailure as e:
        if "closed" in str(e) or "refused" in str(e):
            return None, r.reason
        raise
    except ConnectionError:
        return None, r.reason
    finally:
        r.close()


def rfb_result(s, password=None):
    return rfb_try(s, password)[0]


def rfb_refused_33(s):
    """The reason an RFB 3.3 viewer is refused with at connection, or
    None if it was not (or not told why)."""
    s.settimeout(10)
    try:
        buf = b""
        while len(buf) < 12:
            d = s.recv(12 - len(buf))
            if not d:
                return None
            buf += d
        s.sendall(b"RFB 003.003\n")
        buf = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            buf += d
    except OSError:
        return None
    finally:
        s.close()
    if len(buf) < 8 or buf[:4] != b"\0\0\0\0":
        return None
    ln = struct.unpack(">I", buf[4:8])[0]
    return buf[8:8 + ln].decode() if len(buf) == 8 + ln else None


# -- local users --------------------------------------------------------------

def test_access_local(inst):
    """On the TCP console: a stranger (uid 1001) is refused with one line
    and never sees the history; root is in; a member of console-group (a
    throwaway user whose group it is) is in; supplementary groups a
    process merely claims (setpriv --groups) do not count."""
    uid = stranger_uid()
    inst.start_consoled()
    inst.xm_ok("create", "-p", inst.config("loc"))
    d = inst.domains()["loc"]
    wait_listening(inst, "loc")
    port = d["console_port"]

    s = user_socket("127.0.0.1", port, uid=uid)
    buf, closed = read_until_closed(s)
    s.close()
    check(closed and buf == ("access denied: uid %d is not root or in "
                             "group %s\r\n" % (uid, GROUP)).encode(),
          "stranger: %r (closed %s)" % (buf, closed))
    s = user_socket("127.0.0.1", port, uid=uid, groups=[65534])
    buf, closed = read_until_closed(s)
    s.close()
    check(closed and b"access denied" in buf, "claimed group: %r" % buf)

    root = TelnetClient.connect(port)
    buf, open_ = still_open(root.sock)
    check(open_ and b"denied" not in buf, "root refused: %r" % buf)
    info = consoles(inst)["loc"]
    check(any(c["peer"].endswith("uid 0") for c in info["clients"]),
          info["clients"])
    check(info["rejected"] >= 2, info)
    root.close()

    user = "xtacc%d" % (os.getpid() % 100000)
    subprocess.run(["useradd", "-r", "-M", "-N", "-g", GROUP, "-s",
                    "/usr/sbin/nologin", user], check=True,
                   capture_output=True)
    try:
        s = user_socket("127.0.0.1", port, user=user)
        buf, open_ = still_open(s)
        s.close()
        check(open_ and b"denied" not in buf, "member refused: %r" % buf)
    finally:
        subprocess.run(["userdel", user], capture_output=True)
    with open(os.path.join(inst.tmp, "xenconsoled.log")) as f:
        log = f.read()
    check("refused: access denied: uid %d is not root" % uid in log,
          "not logged")
    inst.xm_ok("destroy", "loc")


def test_access_vnc_local(inst):
    """VNC without vncpasswd: a stranger is refused at connection; root
    gets security type None.  With vncpasswd: wrong passwords back off
    (1 s, then 2 s) before any password is looked at."""
    uid = stranger_uid()
    inst.start_consoled()
    inst.xm_ok("create", "-p", inst.config("gv", vnc="1"))
    inst.xm_ok("create", "-p", inst.config("gp", vnc="1",
                                           vncpasswd="'s3cret'"))
    doms = inst.domains()
    wait_listening(inst, "gv", vnc=True)
    wait_listening(inst, "gp", vnc=True)
    port = doms["gv"]["vnc_port"]
    # Refused viewers are told why (RFB 3.8 and 3.3 alike); they were
    # closed without a word.
    why = "access denied: uid %d is not root" % uid
    got = rfb_try(user_socket("127.0.0.1", port, uid=uid))
    check(got == (None, why), got)
    check(rfb_refused_33(user_socket("127.0.0.1", port, uid=uid)) == why,
          "RFB 3.3 viewer not told why")
    check(rfb_result(socket.create_connection(("127.0.0.1", port), 10)),
          "root refused")
    check(consoles(inst)["gv"]["vnc"]["refused"] == 2,
          consoles(inst)["gv"]["vnc"])

    pport = doms["gp"]["vnc_port"]
    check(rfb_result(user_socket("127.0.0.1", pport, uid=uid), "s3cret")
          is None, "stranger got in with the password")
    conn = lambda: socket.create_connection(("127.0.0.1", pport), 10)
    t0 = time.time()
    got = rfb_try(conn(), "wrong")
    check(got == (False, "access denied: wrong password; uid 0 may try "
                  "again in 1 s"), got)
    # At once: refused without a look at the password, even the right one.
    got = rfb_try(conn(), "s3cret")
    check(got[0] is None and re.fullmatch(
        r"access denied: too many wrong passwords from uid 0; try again in "
        r"[01] s", got[1] or ""), "no back-off after a failure: %r" % (got,))
    while not rfb_result(conn(), "wrong") is False:
        time.sleep(0.05)
    first = time.time() - t0
    t1 = time.time()
    while not rfb_result(conn(), "s3cret"):
        time.sleep(0.05)
    second = time.time() - t1
    print("    vnc back-off: %.2f s after 1 failure, %.2f s after 2" %
          (first, second))
    check(0.8 <= first <= 2.5 and 1.8 <= second <= 4, (first, second))


# -- remote hosts ---------------------------------------------------------------

def prompted(s):
    """Whether the server asks s for a password (rather than refusing)."""
    s.settimeout(5)
    buf = b""
    try:
        while b"password: " not in buf:
            d = s.recv(4096)
            if not d:
                break
            buf += d
    except OSError:
        pass
    s.close()
    return b"password: " in buf


def prompted_keep(s):
    """Reads s up to its password prompt, leaving it open."""
    s.settimeout(5)
    buf = b""
    while b"password: " not in buf:
        d = s.recv(4096)
        if not d:
            return False
        buf += d
    return True


def password_file(inst, lines):
    path = os.path.join(inst.tmp, "console-passwords")
    with open(path, "w") as f:
        f.write("".join(l + "\n" for l in lines))
    os.chmod(path, 0o600)
    return path


def crypt_hash(password):
    r = subprocess.run(["openssl", "passwd", "-6", password],
                       capture_output=True, text=True, check=True)
    return r.stdout.strip()


def test_access_remote(inst):
    """From another host (a network namespace): refused unless in
    console-hosts-allow; then asked a password (with echo off) before
    any history; refused without one; wrong ones back off exponentially
    (measured).  VNC: refused without vncpasswd, in with it."""
    ns = Netns("r")
    try:
        ns.up()
        password_file(inst, ["# test", "rem:" + crypt_hash(PASSWORD)])
        inst.start_consoled()
        inst.xm_ok("create", "-p", inst.config("rem", vnc="1",
                                               vncpasswd="'v1ewer'"))
        inst.xm_ok("create", "-p", inst.config("nopw", vnc="1"))
        doms = inst.domains()
        for n in ("rem", "nopw"):
            wait_listening(inst, n)
            wait_listening(inst, n, vnc=True)
        port = doms["rem"]["console_port"]

        buf, closed = read_until_closed(ns.socket(port, src=ns.ns_ip2))
        check(closed and buf == ("access denied: %s is not in "
                                 "console-hosts-allow\r\n" %
                                 ns.ns_ip2).encode(), buf)
        buf, closed = read_until_closed(ns.socket(doms["nopw"]
                                                  ["console_port"]))
        check(closed and b"access denied: remote access needs a password"
              in buf, buf)

        c = telnet_on(ns.socket(port))
        c.expect(r"password: $", 10)
        check(-1 < c.wire.find(b"\xff\xfb\x01") < c.wire.find(b"password"),
              "no WILL ECHO before the prompt: %r" % c.wire)
        c.send(PASSWORD + "\r\n")
        c.send("\x05cu")
        c.expect(r"1 client on rem", 10)
        check(PASSWORD.encode() not in c.seen, "password echoed")
        cl = consoles(inst)["rem"]["clients"]
        check(len(cl) == 1 and cl[0]["authenticated"], cl)
        c.close()

        # VNC: none without a password, the right one with.
        got = rfb_try(ns.socket(doms["nopw"]["vnc_port"]))
        check(got == (None, "access denied: remote viewers need a password "
                      "(vncpasswd) and this domain has none"),
              "remote viewer without a password: %r" % (got,))
        check(rfb_result(ns.socket(doms["rem"]["vnc_port"]), "v1ewer"),
              "remote viewer refused with the password")

        # Wrong passwords: 1 s, 2 s, 4 s before the next try is heard.
        delays = []
        for n in range(3):
            c = telnet_on(ns.socket(port))
            c.expect(r"password: ", 10)
            c.send("guess%d\r" % n)
            c.expect(r"access denied: wrong password", 10)
            t0 = time.time()
            c.close()
            buf, _ = read_until_closed(ns.socket(port), 5)
            check(re.search(rb"access denied: too many wrong passwords "
                            rb"from [0-9.]+; try again in \d+ s", buf),
                  "no back-off: %r" % buf)
            while not prompted(ns.socket(port)):
                time.sleep(0.05)
            delays.append(time.time() - t0)
        print("    telnet back-off after 1, 2, 3 wrong passwords: %s s" %
              ", ".join("%.2f" % d for d in delays))
        for got, want in zip(delays, (1, 2, 4)):
            check(want * 0.9 <= got <= want + 1.0, delays)
        # The right one still works once the wait is over.
        c = telnet_on(ns.socket(port))
        c.expect(r"password: ", 10)
        c.send(PASSWORD + "\r")
        c.send("\x05cu")
        c.expect(r"1 client on rem", 10)
        c.close()
        # Leaving before the verdict does not escape it.
        s = ns.socket(port)
        check(prompted_keep(s), "no prompt")
        s.sendall(b"guess-and-go\r\x05c.")
        read_until_closed(s, 5)
        s.close()
        time.sleep(0.3)
        buf, _ = read_until_closed(ns.socket(port), 5)
        check(b"too many wrong passwords" in buf, "escaped: %r" % buf)
        with open(os.path.join(inst.tmp, "xenconsoled.log")) as f:
            log = f.read()
        check(log.count("gave a wrong password") >= 4, "not logged")
    finally:
        ns.close()


# -- squatters ------------------------------------------------------------------

def test_access_squatter(inst):
    """A user binds a domain's console port while xenconsoled is down and
    plays login: there (a port held before the domain exists makes xend
    pass that id over: checks-console-ports).  xenconsoled cannot listen
    and says who holds it;
    xencons refuses to talk to it; xm console warns (and attaches through
    xenconsoled's socket); xm list and xm consoles show no port until the
    squatter is gone.  xm console also refuses a console directory others
    may write to."""
    uid = stranger_uid()
    inst.xm_ok("create", "-p", inst.config("sq"))
    port = inst.domains()["sq"]["console_port"]
    sq = subprocess.Popen(as_user([sys.executable, "-c", _SQUAT,
                                   "127.0.0.1", str(port)], uid=uid),
                          stdout=subprocess.PIPE, cwd="/")
    try:
        check(sq.stdout.readline().strip() == b"up", "squatter not up")
        inst.start_consoled()
        inst.wait_for(lambda: consoles(inst)["sq"].get("port_holder") ==
                      uid, 10, "xenconsoled to name the squatter")
        check(not consoles(inst)["sq"]["listening"], "listening?")

        r = inst.run(XENCONS, "127.0.0.1", str(port), stdin="")
        check(r.rc == 1 and "port %d on 127.0.0.1 is held by uid %d, not "
              "by xenconsoled" % (port, uid) in r.err and "login" not in
              r.out, r)
        row = [l.split() for l in inst.xm_ok("list").out.splitlines()
               if l.startswith("sq ")][0]
        check(len(row) == 7, "xm list shows a port: %r" % row)
        out = inst.xm_ok("consoles").out
        check(re.search(r"^sq\s+\d+\s+-\s", out, re.M) and
              "port %d is held by uid %d, not by xenconsoled" % (port, uid)
              in out, out)
        con = Console(inst, "console", "sq")
        try:
            con.expect(r"console port %d is held by uid %d" % (port, uid),
                       20)
            con.expect(r"attached to sq", 10)
            check(con.detach() == 0, "detach")
        finally:
            con.kill()
    finally:
        sq.kill()
        sq.wait()
    inst.wait_for(lambda: consoles(inst)["sq"]["listening"], 10,
                  "xenconsoled to take its port back")
    check("port_holder" not in consoles(inst)["sq"], "holder still named")
    row = [l.split() for l in inst.xm_ok("list").out.splitlines()
           if l.startswith("sq ")][0]
    check(row[-1] == str(port), "xm list: %r" % row)
    # xenconsoled's own port: xencons talks (and, its input ended, is let
    # go a few seconds later).
    r = inst.run(XENCONS, "127.0.0.1", str(port), stdin="", timeout=30)
    check(r.rc == 0 and r.err == "", r)

    # A console directory others may write to is not trusted.
    sockdir = os.path.join(inst.tmp, "consoles")
    os.chmod(sockdir, 0o777)
    try:
        r = inst.xm("console", "sq")
        check(r.rc == 1 and "others may put a socket there; not trusting "
              "it" in r.err, r)
    finally:
        os.chmod(sockdir, 0o700)


# -- unix sockets ---------------------------------------------------------------

_UNIX = r"""
import json, socket, sys
out = {}
for path in sys.argv[1:]:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        out[path] = "connected"
    except OSError as e:
        out[path] = e.strerror
print(json.dumps(out))
"""


def test_access_unix_sockets(inst):
    """xend's API socket (mode 0600), xenconsoled's status socket and a
    console's unix socket (in a 0700 directory) refuse a stranger even
    when the directories above them let him through; the same sockets
    serve root.  A console directory left open (0755) is closed at start."""
    uid = stranger_uid()
    os.makedirs(os.path.join(inst.tmp, "consoles"))
    os.chmod(os.path.join(inst.tmp, "consoles"), 0o755)
    inst.start_consoled()
    inst.xm_ok("create", "-p", inst.config("ux"))
    d = inst.domains()["ux"]
    socks = [inst.sock, os.path.join(inst.tmp, "consoles",
                                     "xenconsoled.sock"),
             os.path.join(inst.tmp, "consoles", "%d.sock" % d["domid"])]
    inst.wait_for(lambda: os.path.exists(socks[2]), 10, "the console socket")
    st = os.stat(os.path.join(inst.tmp, "consoles"))
    check(st.st_mode & 0o777 == 0o700 and st.st_uid == 0, oct(st.st_mode))
    check(os.stat(inst.sock).st_mode & 0o777 == 0o600,
          oct(os.stat(inst.sock).st_mode))
    os.chmod(inst.tmp, 0o711)       # the test's own dir: traversable
    try:
        r = subprocess.run(as_user([sys.executable, "-c", _UNIX] + socks,
                                   uid=uid), capture_output=True, text=True,
                           cwd="/", timeout=30)
    finally:
        os.chmod(inst.tmp, 0o700)
    got = json.loads(r.stdout)
    check(all(v == "Permission denied" for v in got.values()), got)
    for p in socks:
        s = socket.socket(socket.AF_UNIX)
        s.connect(p)
        s.close()


_API = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
got = b""
try:
    s.sendall(b'{"id":1,"op":"domain.list"}\n')
    while not got.endswith(b"\n"):
        b = s.recv(65536)
        if not b:
            break
        got += b
except OSError:
    pass
print(json.dumps(got.decode(errors="replace")))
"""


def test_access_api_peer(inst):
    """xend checks its API client's credentials, not only the socket's
    mode: with the socket and its directory opened up by hand (0666 in a
    0711 dir), a non-root client connects but is closed unanswered and
    logged; root is still served."""
    uid = stranger_uid()
    os.chmod(inst.tmp, 0o711)
    os.chmod(inst.sock, 0o666)
    try:
        r = subprocess.run(as_user([sys.executable, "-c", _API, inst.sock],
                                   uid=uid), capture_output=True, text=True,
                           cwd="/", timeout=30)
    finally:
        os.chmod(inst.sock, 0o600)
        os.chmod(inst.tmp, 0o700)
    check(r.returncode == 0, r)
    check(json.loads(r.stdout) == "", "a stranger got %r" % r.stdout)
    with open(inst.log) as f:
        check("refused an API client: uid %d is not root" % uid in f.read(),
              "no log line for the refused client")
    inst.xm_ok("list")


def test_access_xm_stranger(inst):
    """xm run by a user who is not root says why xend will not serve him,
    and fails: with the socket shut to him (the set-up's 0600 in a 0700
    dir), and opened by hand (xend closes him unanswered).  Before, the
    first said "is it running? try 'xend start'", the second "Connection
    reset by peer" or nothing at all (SIGPIPE killed xm, rc -13)."""
    uid = stranger_uid()
    xm = inst.env["XM"]
    cfg = os.path.join(inst.conf, "xend-config.sxp")
    cmds = (["list"], ["info"], ["destroy", "x"], ["mem-set", "x", "64"],
            ["shutdown", "-a"], ["create", inst.config("st")],
            ["top", "-b", "-n", "1"])
    inst.start_consoled()
    os.chmod(inst.tmp, 0o711)
    os.chmod(inst.conf, 0o755)
    os.chmod(cfg, 0o644)
    try:
        for mode, want in ((0o600, "Permission denied): its API socket is "
                            "root's only; run this as root"),
                           (0o666, "xend closed the connection unanswered "
                            "(")):
            os.chmod(inst.sock, mode)
            for c in cmds:
                r = subprocess.run(as_user([xm] + c, uid=uid), env=inst.env,
                                   capture_output=True, text=True, cwd="/",
                                   timeout=30)
                check(r.returncode == 1 and r.stdout == "" and
                      r.stderr.startswith("xm %s: " % c[0]) and
                      want in r.stderr, (oct(mode), c, r))
                if mode == 0o666:
                    check("its API is root's only and this is uid %d; run "
                          "this as root" % uid in r.stderr, r.stderr)
        # xenconsoled's status socket (in its 0700 directory).
        r = subprocess.run(as_user([xm, "consoles"], uid=uid), env=inst.env,
                           capture_output=True, text=True, cwd="/",
                           timeout=30)
        check(r.returncode == 1 and r.stderr.startswith(
            "xm consoles: cannot connect to xenconsoled (") and
            r.stderr.endswith("Permission denied): its status socket is "
                              "root's and console-group's only\n"), r)
    finally:
        os.chmod(inst.sock, 0o600)
        os.chmod(cfg, 0o600)
        os.chmod(inst.conf, 0o700)
        os.chmod(inst.tmp, 0o700)
    inst.xm_ok("list")
    check("st" not in inst.domains(), "a stranger created a domain")


def test_xencons_input_ended(inst):
    """xencons with its input at end (stdin a pipe that closed): a telnet
    option the console sends after that gets a reply that cannot go out
    (our write side is shut): not a failure.  It was one, silently (rc 1,
    no message), when the option came late (access-squatter, once)."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    p = subprocess.Popen([XENCONS, "127.0.0.1", str(port)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        srv.settimeout(10)
        c, _ = srv.accept()
        c.settimeout(10)
        check(c.recv(100) == b"", "xencons did not end its input")
        # The client's write side is shut now: ask it something.
        c.sendall(b"hello\r\n\xff\xfb\x01\xff\xfb\x03")  # WILL ECHO, SGA
        time.sleep(0.5)
        c.sendall(b"bye\r\n")
        c.close()
        out, err = p.communicate(timeout=10)
        check(p.returncode == 0 and err == b"" and b"hello" in out and
              b"bye" in out, (p.returncode, out, err))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        srv.close()


TESTS = [
    ("access-xencons-input-ended", test_xencons_input_ended, ""),
    ("access-local", test_access_local, "(console-group %s)" % GROUP),
    ("access-vnc-local", test_access_vnc_local, ""),
    ("access-remote", test_access_remote,
     "(console-address 0.0.0.0)\n"
     "(console-hosts-allow '10[.]202[.][0-9]+[.]2')\n"
     "(console-password-file @TMP@/console-passwords)"),
    ("access-squatter", test_access_squatter, ""),
    ("access-unix-sockets", test_access_unix_sockets, ""),
    ("access-api-peer", test_access_api_peer, ""),
    ("access-xm-stranger", test_access_xm_stranger, ""),
]
