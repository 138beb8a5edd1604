"""
consolelib.py: clients of xenconsoled for the system tests and benchmarks:
a minimal telnet client (TCP, 9600+domid), a raw client (the per-domain
unix socket), a tiny RFB client (VNC auth, raw framebuffer, WebSocket
handshake) and a reader for xenconsoled's stamped logs.
"""
import os
import re
import select
import socket
import struct
import time

from harness import TestFailure, guest_login

IAC, DONT, DO, WONT, WILL, SB, SE, BRK = 255, 254, 253, 252, 251, 250, 240, 243
ESC = b"\x05c"          # xenconsoled's escape prefix: ^E c


class Client:
    """A console client; subclasses decode what the wire carries."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""          # decoded guest output and notices
        self.seen = b""         # all of it, never consumed by expect
        self.closed = False

    def fileno(self):
        return self.sock.fileno()

    def feed(self, data):
        self.buf += data
        self.seen += data

    def pump(self, timeout=0.5):
        """Reads what is there (waiting up to timeout); False at EOF."""
        if self.closed:
            return False
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return True
        try:
            data = self.sock.recv(1 << 20)
        except (ConnectionResetError, OSError):
            data = b""
        if not data:
            self.closed = True
            return False
        self.feed(data)
        return True

    def expect(self, pattern, timeout=30):
        rx = re.compile(pattern.encode() if isinstance(pattern, str)
                        else pattern)
        end = time.time() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            if time.time() > end:
                raise TestFailure("console client: no %r within %ss; saw %r"
                                  % (pattern, timeout, self.buf[-400:]))
            if not self.pump(min(0.5, max(0.01, end - time.time()))):
                raise TestFailure("console client: closed waiting for %r; "
                                  "saw %r" % (pattern, self.buf[-400:]))

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(self.encode(data))

    def encode(self, data):
        return data

    def login(self, timeout=90):
        self.send("\r")
        guest_login(self, timeout)

    def run(self, cmd, marker, timeout=60):
        """Types cmd; returns what it printed up to marker (not echoed)."""
        self.send(cmd + "\r")
        m = self.expect(re.escape(marker), timeout)
        return m

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class RawClient(Client):
    """xm console's way in: console-socket-dir/DOMID.sock, bytes as-is."""

    @classmethod
    def connect(cls, path, timeout=10):
        end = time.time() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(path)
                return cls(s)
            except OSError:
                s.close()
                if time.time() > end:
                    raise TestFailure("cannot connect to %s" % path)
                time.sleep(0.05)


class TelnetClient(Client):
    """Enough telnet for tests: agrees to whatever the server offers
    (binary=True) or refuses BINARY (NVT mode), decodes IAC, doubles 0xFF
    going out.  self.wire keeps the raw bytes received."""

    def __init__(self, sock, binary=True):
        super().__init__(sock)
        self.binary = binary
        self.state = 0
        self.cmd = 0
        self.sb = False
        self.wire = b""
        self.bin_out = False    # server sends binary
        self.bin_in = False     # we may send binary
        self.cr = False

    @classmethod
    def connect(cls, port, host="127.0.0.1", binary=True, timeout=10):
        end = time.time() + timeout
        while True:
            try:
                s = socket.create_connection((host, port), timeout=5)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.settimeout(None)
                c = cls(s, binary)
                c.negotiate()
                return c
            except OSError:
                if time.time() > end:
                    raise TestFailure("cannot connect to port %d" % port)
                time.sleep(0.05)

    def negotiate(self, timeout=2):
        """Answers the server's opening offers before anything else."""
        end = time.time() + timeout
        while time.time() < end and not (self.bin_out and self.bin_in):
            self.pump(0.1)
            if not self.binary and self.wire.count(b"\xff") >= 5:
                break

    def reply(self, verb, opt):
        ok = self.binary or opt != 0
        if verb == WILL:
            ans = DO if ok else DONT
            if opt == 0:
                self.bin_out = ok
        elif verb == DO:
            ans = WILL if ok else WONT
            if opt == 0:
                self.bin_in = ok
        else:
            return
        self.sock.sendall(bytes([IAC, ans, opt]))

    def feed(self, data):
        self.wire += data
        out = bytearray()
        for b in data:
            if self.state == 0:
                if b == IAC:
                    self.state = 1
                elif not self.sb:
                    # NVT: CR NUL is CR.
                    if self.cr and b == 0 and not self.bin_out:
                        self.cr = False
                        continue
                    self.cr = b == 13
                    out.append(b)
            elif self.state == 1:
                if b == IAC:
                    if not self.sb:
                        out.append(IAC)
                    self.state = 0
                elif b in (WILL, WONT, DO, DONT):
                    self.cmd = b
                    self.state = 2
                elif b == SB:
                    self.sb = True
                    self.state = 0
                elif b == SE:
                    self.sb = False
                    self.state = 0
                else:
                    self.state = 0
            elif self.state == 2:
                self.reply(self.cmd, b)
                self.state = 0
        self.buf += bytes(out)
        self.seen += bytes(out)

    def encode(self, data):
        return data.replace(b"\xff", b"\xff\xff")

    def send_raw(self, data):
        self.sock.sendall(data)


def drain_all(clients, until, timeout):
    """Reads every client until until(client) holds for all, or timeout."""
    end = time.time() + timeout
    pending = [c for c in clients if not until(c)]
    while pending:
        left = end - time.time()
        if left <= 0:
            raise TestFailure("%d clients not done after %ss" %
                              (len(pending), timeout))
        r, _, _ = select.select(pending, [], [], min(left, 0.5))
        for c in r:
            if not c.pump(0):
                raise TestFailure("client closed early; saw %r" %
                                  c.buf[-300:])
        pending = [c for c in pending if not until(c)]


# -- xenconsoled's logs -------------------------------------------------------

STAMP = re.compile(rb"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] ")


def strip_log(data):
    """The stream bytes of one log file: header lines and stamps removed."""
    out = bytearray()
    pos = 0
    while pos < len(data):
        if data[pos:pos + 1] == b"#":
            nl = data.find(b"\n", pos)
            if nl == -1:
                break
            pos = nl + 1
            continue
        if not STAMP.match(data, pos):
            raise TestFailure("log: no stamp at byte %d: %r" %
                              (pos, data[pos:pos + 40]))
        pos += 26
        nl = data.find(b"\n", pos)
        end = len(data) if nl == -1 else nl + 1
        out += data[pos:end]
        pos = end
    return bytes(out)


def read_logs(logdir, name):
    """NAME.log.K ... NAME.log.1, NAME.log, stripped and joined."""
    files = []
    for f in os.listdir(logdir):
        m = re.fullmatch(re.escape(name) + r"\.log(?:\.(\d+))?", f)
        if m:
            files.append((-(int(m.group(1)) if m.group(1) else 0), f))
    out = b""
    for _, f in sorted(files):
        with open(os.path.join(logdir, f), "rb") as fh:
            out += strip_log(fh.read())
    return out


# -- RFB (VNC) ----------------------------------------------------------------

def _des_key(password):
    key = (password.encode() + b"\0" * 8)[:8]
    # VNC's DES key has each byte's bits reversed.
    return bytes(int("{:08b}".format(b)[::-1], 2) for b in key)


def vnc_response(password, challenge):
    from cryptography.hazmat.primitives.ciphers import Cipher, modes
    try:
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    except ImportError:
        from cryptography.hazmat.primitives.ciphers.algorithms import \
            TripleDES
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        enc = Cipher(TripleDES(_des_key(password)), modes.ECB()).encryptor()
    return enc.update(challenge) + enc.finalize()


class RFB:
    """A viewer: handshake, VNC auth, one full raw 32-bit framebuffer."""

    def __init__(self, port, password=None, host="127.0.0.1", timeout=20):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.timeout = timeout
        self.reason = None      # why the server refused, if it said

    def recvn(self, n):
        buf = b""
        while len(buf) < n:
            d = self.s.recv(n - len(buf))
            if not d:
                raise TestFailure("vnc: closed after %d of %d bytes" %
                                  (len(buf), n))
            buf += d
        return buf

    def handshake(self, password=None):
        ver = self.recvn(12)
        if not ver.startswith(b"RFB "):
            raise TestFailure("vnc: not RFB: %r" % ver)
        self.s.sendall(b"RFB 003.008\n")
        n = self.recvn(1)[0]
        if n == 0:
            ln = struct.unpack(">I", self.recvn(4))[0]
            self.reason = self.recvn(ln).decode()
            raise TestFailure("vnc: refused: %r" % self.reason)
        types = self.recvn(n)
        if 2 in types and password is not None:
            self.s.sendall(b"\x02")
            self.s.sendall(vnc_response(password, self.recvn(16)))
        elif 1 in types:
            self.s.sendall(b"\x01")
        else:
            raise TestFailure("vnc: security types %r" % list(types))
        res = struct.unpack(">I", self.recvn(4))[0]
        if res != 0:
            # RFB 3.8: the reason follows.
            ln = struct.unpack(">I", self.recvn(4))[0]
            self.reason = self.recvn(ln).decode()
            return False
        self.s.sendall(b"\x01")     # shared
        w, h = struct.unpack(">HH", self.recvn(4))
        self.recvn(16)              # server pixel format
        ln = struct.unpack(">I", self.recvn(4))[0]
        self.name = self.recvn(ln).decode()
        self.w, self.h = w, h
        return True

    def framebuffer(self):
        # 32 bpp, depth 24, little endian, true colour, RGB 0/8/16.
        self.s.sendall(struct.pack(">BxxxBBBBHHHBBBxxx", 0, 32, 24, 0, 1,
                                   255, 255, 255, 16, 8, 0))
        self.s.sendall(struct.pack(">BxHi", 2, 1, 0))   # raw only
        self.s.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, self.w, self.h))
        fb = bytearray(self.w * self.h * 4)
        got = 0
        while got < self.w * self.h:
            t = self.recvn(1)[0]
            if t == 0:
                self.recvn(1)
                nrects = struct.unpack(">H", self.recvn(2))[0]
                for _ in range(nrects):
                    x, y, w, h, enc = struct.unpack(">HHHHi",
                                                    self.recvn(12))
                    if enc == 0:
                        data = self.recvn(w * h * 4)
                        for row in range(h):
                            o = ((y + row) * self.w + x) * 4
                            fb[o:o + w * 4] = data[row * w * 4:
                                                   (row + 1) * w * 4]
                        got += w * h
                    elif enc == -223:       # DesktopSize
                        self.w, self.h = w, h
                        fb = bytearray(w * h * 4)
                        got = 0
                    else:
                        raise TestFailure("vnc: encoding %d" % enc)
            elif t == 2:
                pass                        # bell
            elif t == 3:
                self.recvn(3)
                self.recvn(struct.unpack(">I", self.recvn(4))[0])
            else:
                raise TestFailure("vnc: message type %d" % t)
        return bytes(fb)

    def keys(self, keysyms):
        """KeyEvent messages: each keysym pressed and released."""
        for k in keysyms:
            self.s.sendall(struct.pack(">BBxxI", 4, 1, k) +
                           struct.pack(">BBxxI", 4, 0, k))

    def close(self):
        self.s.close()
