"""
weblib.py: talking to a test instance's xensv: HTTP (http.client) and a
small WebSocket client (RFC 6455 framing, client side: masked frames),
so the tests need nothing beyond Python's standard library.
"""
import base64
import hashlib
import http.client
import json
import os
import select
import socket
import ssl
import struct
import time

from harness import check

ADMIN_PW = "admin-pw-123"
VIEWER_PW = "viewer-pw-123"


class Web:
    """A logged-in (or not) client of inst's xensv."""

    def __init__(self, inst, user=None, password=None, tls=False):
        self.inst = inst
        self.tls = tls
        self.port = inst.port_base + 199
        self.host = "127.0.0.1:%d" % self.port
        self.cookie = None
        self.csrf = None
        if user is not None:
            r = self.login(user, password)
            check(r.status == 200, "login as %s failed: %r" % (user, r))

    def request(self, method, path, body=None, headers=None, raw=None,
                csrf=True, cookie=True):
        if self.tls:
            c = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=30,
                context=ssl._create_unverified_context())
        else:
            c = http.client.HTTPConnection("127.0.0.1", self.port,
                                           timeout=30)
        h = {"Host": self.host}
        if cookie and self.cookie:
            h["Cookie"] = self.cookie
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        r.data = r.read()
        c.close()
        try:
            r.json = json.loads(r.data) if r.data else None
        except ValueError:
            r.json = None
        return r

    def login(self, user, password):
        r = self.request("POST", "/api/login",
                         {"user": user, "password": password})
        sc = r.getheader("Set-Cookie")
        if r.status == 200 and sc:
            self.cookie = sc.split(";")[0]
            self.csrf = r.json["csrf"]
        return r

    def ok(self, method, path, body=None, status=200):
        r = self.request(method, path, body)
        check(r.status == status, "%s %s: %d %r (wanted %d)" %
              (method, path, r.status, r.data[:300], status))
        return r.json

    def ws(self, path, origin=True, headers=None):
        return WebSocket(self, path, origin, headers)


def setup_users(inst):
    for user, pw, role in (("admin", ADMIN_PW, "admin"),
                           ("viewer", VIEWER_PW, "viewer")):
        r = inst.xensv("passwd", user, "--role", role, stdin=pw + "\n")
        check(r.rc == 0, "xensv passwd %s: %r" % (user, r))


class WebSocketRefused(Exception):
    def __init__(self, status, body):
        super().__init__("upgrade refused: %d %r" % (status, body))
        self.status = status
        self.body = body


class WebSocket:
    def __init__(self, web, path, origin=True, headers=None):
        self.sock = socket.create_connection(("127.0.0.1", web.port), 10)
        if web.tls:
            self.sock = ssl._create_unverified_context().wrap_socket(
                self.sock)
        key = base64.b64encode(os.urandom(16)).decode()
        h = {"Host": web.host, "Upgrade": "websocket",
             "Connection": "Upgrade", "Sec-WebSocket-Key": key,
             "Sec-WebSocket-Version": "13"}
        if origin is True:
            h["Origin"] = ("https://" if web.tls else "http://") + web.host
        elif origin:
            h["Origin"] = origin
        if web.cookie:
            h["Cookie"] = web.cookie
        h.update(headers or {})
        req = "GET %s HTTP/1.1\r\n" % path + "".join(
            "%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
        self.sock.sendall(req.encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            d = self.sock.recv(4096)
            if not d:
                break
            buf += d
        head, _, self.buf = buf.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1]) if head else 0
        if status != 101:
            # The rest of the body, if any, for the message.
            self.sock.settimeout(2)
            try:
                while True:
                    d = self.sock.recv(4096)
                    if not d:
                        break
                    self.buf += d
            except OSError:
                pass
            self.sock.close()
            raise WebSocketRefused(status, self.buf)
        want = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        check(b"\r\nsec-websocket-accept: " + want.lower() in head.lower(),
              "bad Sec-WebSocket-Accept in %r" % head)

    def send(self, data, opcode=2):
        if isinstance(data, str):
            data = data.encode()
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            hdr = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(hdr + mask + masked)

    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("websocket: no frame in time")
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            d = self.sock.recv(65536)
            if not d:
                raise EOFError("websocket closed")
            self.buf += d

    def recv(self, timeout=10):
        """(opcode, payload) of the next data or close frame."""
        deadline = time.time() + timeout
        while True:
            self._need(2, deadline)
            b0, b1 = self.buf[0], self.buf[1]
            n, off = b1 & 0x7f, 2
            if n == 126:
                self._need(4, deadline)
                n, off = struct.unpack("!H", self.buf[2:4])[0], 4
            elif n == 127:
                self._need(10, deadline)
                n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
            self._need(off + n, deadline)
            payload = self.buf[off:off + n]
            self.buf = self.buf[off + n:]
            op = b0 & 0x0f
            if op == 9:          # ping: pong
                self.send(payload, 10)
                continue
            if op == 10:
                continue
            return op, payload

    def recv_json(self, pred=lambda j: True, timeout=10):
        deadline = time.time() + timeout
        while True:
            op, p = self.recv(max(0.1, deadline - time.time()))
            if op == 1:
                j = json.loads(p)
                if pred(j):
                    return j
            elif op == 8:
                raise EOFError("websocket closed: %r" % p)

    def read_until(self, needle, timeout=30):
        """Binary (console) bytes until needle appears; all of them."""
        got = b""
        deadline = time.time() + timeout
        while needle not in got:
            op, p = self.recv(max(0.1, deadline - time.time()))
            if op == 2:
                got += p
            elif op == 8:
                raise EOFError("websocket closed after %r" % got[-300:])
        return got

    def close(self):
        try:
            self.send(b"\x03\xe8", 8)
        except OSError:
            pass
        self.sock.close()
