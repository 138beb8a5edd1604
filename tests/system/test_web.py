"""
test_web.py: xensv, the web console (docs/WEB.md), against a private
xend (and xenconsoled): the door's policy route by route, static files,
WebSockets, live events, consoles, and the browser (tests/browser).
"""
import gzip
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import harness
from harness import check, TOP
from weblib import Web, WebSocketRefused, setup_users, ADMIN_PW, VIEWER_PW

STATIC_COPY = "(xensv-static-dir @TMP@/static)\n"


def private_static(inst):
    """A copy of static/ the test may add files to (node_modules linked)."""
    dst = os.path.join(inst.tmp, "static")
    shutil.copytree(os.path.join(TOP, "static"), dst,
                    ignore=shutil.ignore_patterns("node_modules"))
    nm = os.path.join(TOP, "static", "node_modules")
    if os.path.isdir(nm):
        os.symlink(nm, os.path.join(dst, "node_modules"))
    return dst


def start_web(inst, consoled=False):
    setup_users(inst)
    if consoled:
        inst.start_consoled()
    inst.start_xensv()
    return Web(inst, "admin", ADMIN_PW), Web(inst, "viewer", VIEWER_PW)


def routes_of(admin):
    return admin.ok("GET", "/api")


def route_path(path, dom="Domain-0"):
    return path.replace("{dom}", dom)


def security_headers_ok(r):
    csp = r.getheader("Content-Security-Policy") or ""
    script = re.search(r"script-src ([^;]*)", csp)
    return ("frame-ancestors 'none'" in csp and script and
            script.group(1) == "'self'"
            and r.getheader("X-Content-Type-Options") == "nosniff"
            and r.getheader("Referrer-Policy") == "no-referrer")


def test_web_door(inst):
    """Every route refuses without a session; every change without the
    CSRF token, from another Origin, or from a viewer; headers on every
    answer; logout ends the session."""
    admin, viewer = start_web(inst)
    anon = Web(inst)
    routes = routes_of(admin)
    check(len(routes) >= 20, "route table: %r" % routes)
    changes = 0
    for rt in routes:
        m, p = rt["method"], route_path(rt["path"])
        r = anon.request(m, p, {})
        if rt["role"] == "anyone":
            check(r.status != 401, "%s %s needs no session: %d" %
                  (m, p, r.status))
            continue
        check(r.status == 401 and r.json["error"]["code"] ==
              "unauthenticated", "%s %s without a session: %d %r" %
              (m, p, r.status, r.data))
        check(security_headers_ok(r), "%s %s headers: %r" %
              (m, p, r.getheaders()))
        if m == "GET":
            r = viewer.request(m, p)
            check(r.status != 401 and r.status != 403,
                  "viewer may read %s: %d %r" % (p, r.status, r.data))
            continue
        changes += 1
        # A session but no token: refused before anything is looked at.
        r = admin.request(m, p, {}, csrf=False)
        check(r.status == 403 and r.json["error"]["code"] == "csrf",
              "%s %s without CSRF: %d %r" % (m, p, r.status, r.data))
        r = admin.request(m, p, {}, headers={"X-CSRF-Token": "0" * 64})
        check(r.status == 403 and r.json["error"]["code"] == "csrf",
              "%s %s with a wrong CSRF token: %d %r" % (m, p, r.status,
                                                        r.data))
        r = admin.request(m, p, {}, headers={"Origin": "http://evil.example"})
        check(r.status == 403 and "another origin" in
              r.json["error"]["message"],
              "%s %s from another origin: %d %r" % (m, p, r.status, r.data))
        if rt["role"] == "admin":
            r = viewer.request(m, p, {})
            check(r.status == 403 and r.json["error"]["code"] == "denied"
                  and "viewer" in r.json["error"]["message"],
                  "viewer %s %s: %d %r" % (m, p, r.status, r.data))
    check(changes >= 12, "only %d changing routes" % changes)
    # Domain-0 is read-only in xend too: the same message, a fitting code.
    r = admin.request("POST", "/api/domains/Domain-0/pause", {})
    check(r.status in (400, 409) and r.json["error"]["message"], r.data)
    r = admin.request("GET", "/api/domains/nosuchdom")
    check(r.status == 404 and r.json["error"]["code"] == "not_found",
          (r.status, r.data))
    # Cookie flags, session, logout.
    r = Web(inst).login("admin", ADMIN_PW)
    sc = r.getheader("Set-Cookie")
    check("HttpOnly" in sc and "SameSite=Strict" in sc and "Path=/" in sc,
          sc)
    s = admin.ok("GET", "/api/session")
    check(s["user"] == "admin" and s["role"] == "admin", s)
    check(viewer.ok("GET", "/api/session")["role"] == "viewer", "viewer")
    admin.ok("POST", "/api/logout", {})
    r = admin.request("GET", "/api/domains")
    check(r.status == 401, "after logout: %d" % r.status)
    # A made-up cookie is nobody.
    fake = Web(inst)
    fake.cookie = "xensv_session=" + "a" * 64
    check(fake.request("GET", "/api/domains").status == 401, "fake cookie")
    # Audit lines: who, from where, what, result.
    log = open(os.path.join(inst.tmp, "xensv.log")).read()
    check(re.search(r'audit: user=viewer from=127\.0\.0\.1 action="POST '
                    r'/api/domains/Domain-0/pause" result=".*viewer', log),
          "no audit of the viewer's refused pause:\n" +
          inst.xensv_log_tail())
    check('audit: user=admin from=127.0.0.1 action="login" result="ok"'
          in log, "no audit of the login")


def test_web_static(inst):
    """Static files: public login assets only, traversal (also through a
    symbolic link), content types, ETag and 304, precompressed gzip."""
    root = private_static(inst)
    os.symlink("/etc", os.path.join(root, "etc"))
    with open(os.path.join(root, "js", "app.js"), "rb") as f:
        appjs = f.read()
    with gzip.open(os.path.join(root, "js", "app.js.gz"), "wb") as f:
        f.write(appjs)
    admin, viewer = start_web(inst)
    anon = Web(inst)
    for p in ("/login.html", "/css/app.css", "/js/login.js",
              "/favicon.svg"):
        r = anon.request("GET", p)
        check(r.status == 200 and security_headers_ok(r), "%s: %d" %
              (p, r.status))
    r = anon.request("GET", "/")
    check(r.status == 302 and r.getheader("Location") == "/login.html",
          "/ without a session: %d" % r.status)
    r = anon.request("GET", "/js/app.js")
    check(r.status == 401, "app.js without a session: %d" % r.status)
    types = {"/": "text/html", "/js/app.js": "text/javascript",
             "/css/app.css": "text/css", "/favicon.svg": "image/svg+xml"}
    for p, t in types.items():
        r = admin.request("GET", p)
        check(r.status == 200 and r.getheader("Content-Type").startswith(t),
              "%s: %d %s" % (p, r.status, r.getheader("Content-Type")))
    for p in ("/../etc/passwd", "/%2e%2e/etc/passwd", "/js/../../etc/passwd",
              "/js/%2e%2e/%2e%2e/etc/passwd", "/etc/passwd", "/.git/config",
              "/js/", "//etc/passwd", "/js//app.js", "/js/..%2f..%2fREADME.md",
              "/..\\..\\etc\\passwd", "/js/app.js%00.png"):
        r = admin.request("GET", p)
        check(r.status == 404 and b"root:" not in r.data,
              "%s: %d %r" % (p, r.status, r.data[:100]))
    # ETag: the same answer revalidates as 304.
    r = admin.request("GET", "/js/app.js")
    etag = r.getheader("ETag")
    check(r.status == 200 and etag and r.data == appjs and
          r.getheader("Content-Encoding") is None, "plain app.js")
    r = admin.request("GET", "/js/app.js", headers={"If-None-Match": etag})
    check(r.status == 304 and r.data == b"", "304: %d" % r.status)
    r = admin.request("GET", "/js/app.js",
                      headers={"Accept-Encoding": "gzip, deflate"})
    check(r.status == 200 and r.getheader("Content-Encoding") == "gzip" and
          gzip.decompress(r.data) == appjs and
          "Accept-Encoding" in (r.getheader("Vary") or ""),
          "gzip: %r" % r.getheaders())
    r = admin.request("GET", "/js/app.js",
                      headers={"Accept-Encoding": "gzip;q=0"})
    check(r.getheader("Content-Encoding") is None, "gzip;q=0 refused gzip")
    r = admin.request("POST", "/index.html", {})
    check(r.status == 405, "POST a page: %d" % r.status)


def test_web_limits(inst):
    """Oversize and malformed bodies, login back-off, slow clients, many
    connections: answered with the right code, and xensv stays up."""
    admin, viewer = start_web(inst)
    anon = Web(inst)
    r = anon.request("POST", "/api/login", raw=b"x" * 300000,
                     headers={"Content-Type": "application/json"})
    check(r.status == 413, "300 KB body: %d" % r.status)
    r = admin.request("PUT", "/api/domains/Domain-0/memory", raw=b"{nope",
                      headers={"Content-Type": "application/json"})
    check(r.status == 400 and "JSON" in r.json["error"]["message"],
          "bad JSON: %d %r" % (r.status, r.data))
    r = admin.request("PUT", "/api/domains/Domain-0/memory",
                      {"memory": "lots"})
    check(r.status == 400, "memory as a string: %d" % r.status)
    # Back-off: a wrong password makes the next try wait, even a right one.
    r = anon.login("admin", "wrong")
    check(r.status == 401 and r.json["error"]["message"] ==
          "wrong user name or password", (r.status, r.data))
    r = anon.login("nosuchuser", "wrong")
    check(r.status == 429 and r.getheader("Retry-After") == "1",
          "second try at once: %d %r" % (r.status, r.getheaders()))
    time.sleep(1.1)
    r = anon.login("nosuchuser", "wrong")
    check(r.status == 401, "after the wait: %d %r" % (r.status, r.data))
    r = anon.login("admin", ADMIN_PW)
    check(r.status == 429 and r.getheader("Retry-After") == "2",
          "doubled: %d %r" % (r.status, r.getheaders()))
    time.sleep(2.1)
    check(anon.login("admin", ADMIN_PW).status == 200, "in after 2 s")
    # A slow client that never finishes its request is dropped after
    # xensv-timeout; it does not hold anything else up meanwhile.
    slow = socket.create_connection(("127.0.0.1", admin.port))
    slow.sendall(b"GET /api/domains HTTP/1.1\r\nHost: x\r\n")
    t0 = time.time()
    admin.ok("GET", "/api/domains")
    check(time.time() - t0 < 2, "served beside a slow client")
    slow.settimeout(10)
    check(slow.recv(100) == b"" and time.time() - t0 < 8,
          "slow client dropped after xensv-timeout (3 s)")
    # Many connections at once: the rest wait or are refused; xensv lives.
    socks = []
    for _ in range(1000):
        try:
            socks.append(socket.create_connection(("127.0.0.1", admin.port),
                                                  2))
        except OSError:
            break
    check(len(socks) >= 200, "only %d connections" % len(socks))
    for s in socks:
        s.close()
    time.sleep(0.5)
    admin.ok("GET", "/api/domains")
    rss = int(open("/proc/%d/status" % inst.xensv_pid()).read().split(
        "VmRSS:")[1].split()[0])
    check(rss < 60000, "xensv RSS %d kB after 1,000 connections" % rss)
    check(inst.xensv("status").rc == 0, "xensv died")


def test_web_events_ws(inst):
    """The event WebSocket: session and our Origin needed; the domain list
    comes at once and every second."""
    admin, viewer = start_web(inst)
    anon = Web(inst)
    try:
        anon.ws("/ws/events")
        check(False, "event socket without a session")
    except WebSocketRefused as e:
        check(e.status == 401, e)
    for origin in ("http://evil.example", None, "null"):
        try:
            admin.ws("/ws/events", origin=origin)
            check(False, "event socket from origin %r" % origin)
        except WebSocketRefused as e:
            check(e.status == 403, e)
    w = viewer.ws("/ws/events")
    j = w.recv_json(lambda j: j["type"] == "domains")
    check(j["domains"][0]["name"] == "Domain-0", j)
    j = w.recv_json(lambda j: j["type"] == "domains" and j["host"], 5)
    check(j["host"]["nr_cpus"] >= 1, j)
    w.close()


def _login_console(ws, timeout=120):
    """Logs in as root on the guest's serial console; the shell prompt."""
    end = time.time() + timeout
    got = b""
    while b"login:" not in got:
        ws.send(b"\r")
        try:
            got += ws.read_until(b"login:", 3)
        except TimeoutError:
            if time.time() > end:
                raise
    ws.send(b"root\r")
    ws.read_until(b"assword", 30)
    time.sleep(1)   # busybox login turns echo off after its prompt
    ws.send(b"root\r")
    ws.read_until(b"# ", 60)


def test_web_domain_live(inst):
    """A guest through the web: created by xm, seen live on the event
    socket; pause, balloon, console (history, login, a command), tickets
    single use and bound; viewers read-only; destroy only with the name;
    web-created configs only with allowed files; a graceful stop closes
    consoles."""
    admin, viewer = start_web(inst, consoled=True)
    ev = admin.ws("/ws/events")
    ev.recv_json(lambda j: j["type"] == "domains")
    cfg = inst.config("webdom", extra='"quiet"')
    inst.xm_ok("create", cfg)
    j = ev.recv_json(lambda j: j["type"] == "event" and
                     j["event"]["event"] == "domain.added", 60)
    dom = j["event"]["domain"]
    domid = dom["domid"]
    check(dom["name"] == "webdom", dom)
    names = [d["name"] for d in admin.ok("GET", "/api/domains")]
    check("webdom" in names, names)
    # Pause and unpause: xend acts, every browser hears.
    d = admin.ok("POST", "/api/domains/webdom/pause", {})
    check(d["status"] == "paused", d)
    ev.recv_json(lambda j: j["type"] == "event" and
                 j["event"].get("domain", {}).get("status") == "paused", 20)
    check(inst.domains()["webdom"]["status"] == "paused", "xend: paused")
    r = viewer.request("POST", "/api/domains/webdom/unpause", {})
    check(r.status == 403, "viewer unpause: %d" % r.status)
    admin.ok("POST", "/api/domains/webdom/unpause", {})
    # Console: a one-time ticket bound to this session and domain.
    t = admin.ok("POST", "/api/domains/webdom/console", {})
    try:
        viewer.ws(t["url"])
        check(False, "another session used the ticket")
    except WebSocketRefused as e:
        check(e.status == 403, e)
    t = admin.ok("POST", "/api/domains/webdom/console", {})
    try:
        admin.ws("/ws/console/%d?ticket=%s" % (domid + 1, t["ticket"]))
        check(False, "ticket for another domain")
    except WebSocketRefused as e:
        check(e.status == 403, e)
    t = admin.ok("POST", "/api/domains/webdom/console", {})
    try:
        admin.ws(t["url"], origin="http://evil.example")
        check(False, "console from a foreign origin")
    except WebSocketRefused as e:
        check(e.status == 403, e)
    con = admin.ws(t["url"])
    st = con.recv_json(lambda j: j["type"] == "status")
    check(st["state"] == "connected" and st["detail"] == "read-write", st)
    try:
        admin.ws(t["url"])
        check(False, "a ticket used twice")
    except WebSocketRefused as e:
        check(e.status == 403, e)
    _login_console(con)
    con.send(b"echo web$((6*7))\r")
    con.read_until(b"web42", 30)
    # xenconsoled's view: our bridge is attached and holds input.
    cl = viewer.ok("GET", "/api/domains/webdom/console")["clients"]
    check(any(c["kind"] == "unix" and c["input"] for c in cl), cl)
    # A second console (a viewer's) gets the history and cannot type.
    vt = viewer.ok("POST", "/api/domains/webdom/console", {})
    vcon = viewer.ws(vt["url"])
    check(vcon.recv_json(lambda j: j["type"] == "status")["detail"] ==
          "read-only", "viewer console")
    vcon.read_until(b"web42", 10)
    vcon.send(b"echo viewer$((5*5))\r")
    check(vcon.recv_json(lambda j: j["type"] == "status")["state"] ==
          "readonly", "viewer told read-only")
    con.send(b"echo after\r")
    out = con.read_until(b"after\r\n", 20)
    check(b"viewer25" not in out, "a viewer's keys reached the guest")
    vcon.close()
    # xenconsoled restarts: the bridge says so, reconnects on its own, and
    # the history comes again.
    inst.stop_consoled()
    st = con.recv_json(lambda j: j["type"] == "status", 15)
    check(st["state"] == "reconnecting", st)
    inst.start_consoled()
    con.recv_json(lambda j: j["type"] == "status" and
                  j["state"] == "connected", 20)
    con.read_until(b"after", 20)
    con.send(b"echo back$((2*21))\r")
    con.read_until(b"back42", 30)
    # Balloon through the web.
    d = admin.ok("PUT", "/api/domains/webdom/memory", {"memory": 64})
    check(d["memory_target"] == 64, d)
    c = admin.ok("PUT", "/api/domains/webdom/sched-credit",
                 {"weight": 512, "cap": 50})
    check(c["weight"] == 512 and c["cap"] == 50, c)
    r = viewer.request("PUT", "/api/domains/webdom/sched-credit",
                       {"weight": 1})
    check(r.status == 403, "viewer sched: %d" % r.status)
    h = admin.ok("GET", "/api/domains/webdom/history")
    check(h["fields"][1] == "cpu_pct" and len(h["samples"]) >= 1, h)
    full = admin.ok("GET", "/api/domains/webdom")
    check("(name webdom)" in full["sxp"], full["sxp"])
    # Web-created domains: only files under xensv-image-dirs.
    bad = ("name = 'evil'\nkernel = '%s/vmlinuz'\nmemory = 64\n"
           "disk = ['file:/etc/hostname,sda1,r']\n" % harness.IMAGES)
    r = admin.request("POST", "/api/domains", {"text": bad})
    check(r.status == 403 and r.json["error"]["code"] == "denied" and
          "/etc/hostname" in r.json["error"]["message"] and
          "image_dirs" in r.json["error"]["message"], (r.status, r.data))
    r = admin.request("POST", "/api/config/check", {"text": bad})
    check(r.status == 200 and "(vm" in r.json["sxp"] and
          r.json["memory"]["need"] == 64, (r.status, r.data))
    check("evil" not in inst.domains(), "evil created")
    # Destroy needs the name typed.
    r = admin.request("POST", "/api/domains/webdom/destroy", {})
    check(r.status == 400 and "confirm" in r.json["error"]["message"],
          (r.status, r.data))
    r = admin.request("POST", "/api/domains/%d/destroy" % domid,
                      {"confirm": str(domid)})
    check(r.status == 400, "destroy by id: %d" % r.status)
    # A graceful stop tells the open console and closes it.
    inst.stop_xensv()
    st = con.recv_json(lambda j: j["type"] == "status" and
                       j["state"] == "closing", 10)
    check("stopping" in st["detail"], st)
    inst.start_xensv()
    admin = Web(inst, "admin", ADMIN_PW)
    admin.ok("POST", "/api/domains/webdom/destroy", {"confirm": "webdom"})
    check("webdom" not in inst.domains(), "webdom still there")


def _ws_bytes(ws, n, timeout=20):
    """At least n bytes of binary messages."""
    got = b""
    end = time.time() + timeout
    while len(got) < n:
        op, p = ws.recv(max(0.1, end - time.time()))
        if op == 2:
            got += p
        elif op == 8:
            raise EOFError("closed after %r" % got)
    return got


def test_web_vnc(inst):
    """A vnc = 1 domain's screen through xensv (noVNC's path): tickets of
    their own kind; RFB passes for an admin; a viewer gets pictures, its
    keys are dropped and a message RFB does not know ends it."""
    admin, viewer = start_web(inst, consoled=True)
    inst.xm_ok("create", inst.config("gfx", vnc="1"))
    domid = inst.domains()["gfx"]["domid"]
    time.sleep(1)
    t = admin.ok("POST", "/api/domains/gfx/console", {})
    try:
        admin.ws("/ws/vnc/%d?ticket=%s" % (domid, t["ticket"]))
        check(False, "a serial ticket opened the screen")
    except WebSocketRefused as e:
        check(e.status == 403, e)
    r = admin.request("POST", "/api/domains/gfx/console", {"kind": "x"})
    check(r.status == 400, "kind x: %d" % r.status)
    for who, web in (("admin", admin), ("viewer", viewer)):
        end = time.time() + 30
        while True:
            t = web.ok("POST", "/api/domains/gfx/console", {"kind": "vnc"})
            check(t["url"].startswith("/ws/vnc/%d?" % domid), t)
            ws = web.ws(t["url"])
            try:
                ver = _ws_bytes(ws, 12, 10)
                break
            except EOFError:
                # xenconsoled still connecting to QEMU's display.
                check(time.time() < end, "no RFB from the screen")
                time.sleep(1)
        check(ver.startswith(b"RFB 003.008\n"), (who, ver))
        ws.send(b"RFB 003.008\n")
        sec = _ws_bytes(ws, 2)
        check(1 in sec[1:1 + sec[0]], (who, "security types", sec))
        ws.send(b"\x01")
        check(_ws_bytes(ws, 4) == b"\x00\x00\x00\x00", who)
        ws.send(b"\x01")
        init = _ws_bytes(ws, 24)
        w, h = int.from_bytes(init[0:2], "big"), int.from_bytes(init[2:4],
                                                               "big")
        check(w >= 320 and h >= 200, (who, w, h))
        # Keys (dropped for the viewer), then a request for a picture.
        ws.send(bytes([4, 1, 0, 0, 0, 0, 0xff, 0x0d]))
        ws.send(bytes([3, 0, 0, 0, 0, 0]) + w.to_bytes(2, "big") +
                h.to_bytes(2, "big"))
        upd = _ws_bytes(ws, 4)
        check(upd[0] == 0, (who, "no FramebufferUpdate", upd[:8]))
        if who == "viewer":
            ws.send(bytes([0xfe]))
            try:
                while True:
                    op, p = ws.recv(10)
                    if op == 8:
                        check(p[:2] == b"\x03\xf0", "close code %r" % p)
                        break
            except EOFError:
                pass
        ws.close()
    r = admin.request("POST", "/api/domains/Domain-0/console",
                      {"kind": "vnc"})
    check(r.status == 404, "Domain-0 screen: %d" % r.status)


def test_web_cli(inst):
    """xensv start/status/stop/restart like xend; passwd roles; a users
    file others can read is refused."""
    r = inst.xensv("status")
    check(r.rc == 3 and r.out == "xensv is not running\n", r)
    setup_users(inst)
    users = os.path.join(inst.conf, "xensv-users")
    st = os.stat(users)
    check(st.st_mode & 0o777 == 0o600, "users file mode %o" % st.st_mode)
    text = open(users).read()
    check(re.match(r"admin:admin:\$y\$", text) and
          "\nviewer:viewer:$y$" in text, text)
    r = inst.xensv("passwd", "bad/name", stdin="whatever123\n")
    check(r.rc != 0 and "bad user name" in r.err, r)
    r = inst.xensv("passwd", "admin", stdin="short\n")
    check(r.rc != 0 and "too short" in r.err, r)
    r = inst.xensv("passwd", "gen", "--role", "viewer", "--generate")
    check(r.rc == 0 and re.fullmatch(r"[0-9a-f]{24}\n", r.out), r)
    inst.start_xensv()
    r = inst.xensv("start")
    check(r.rc == 0 and "already running" in r.out, r)
    r = inst.xensv("status")
    check(r.rc == 0 and "http://127.0.0.1:%d/" % (inst.port_base + 199)
          in r.out, r)
    w = Web(inst)
    check(w.login("gen", r.out).status == 401, "wrong password")
    os.chmod(users, 0o644)
    time.sleep(1.1)
    r = w.login("admin", ADMIN_PW)
    check(r.status == 401 and "chmod 600" in r.json["error"]["message"],
          (r.status, r.data))
    os.chmod(users, 0o600)
    time.sleep(2.1)
    check(w.login("admin", ADMIN_PW).status == 200, "login")
    r = inst.xensv("restart")
    check(r.rc == 0, r)
    check(w.request("GET", "/api/domains").status == 401,
          "sessions end with a restart")
    r = inst.xensv("stop")
    check(r.rc == 0 and inst.xensv("status").rc == 3, r)
    r = inst.xensv("frobnicate")
    check(r.rc == 2 and "usage: xensv" in r.err, r)


def test_web_tls(inst):
    """xensv-tls-cert/-key: HTTPS, Secure cookies, HSTS, WebSockets over
    TLS; plain HTTP is not answered."""
    key = os.path.join(inst.tmp, "key.pem")
    cert = os.path.join(inst.tmp, "cert.pem")
    r = inst.run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:prime256v1", "-nodes", "-subj",
                 "/CN=127.0.0.1", "-days", "1", "-keyout", key, "-out", cert)
    check(r.rc == 0, "openssl: %r" % r)
    with open(os.path.join(inst.conf, "xend-config.sxp"), "a") as f:
        f.write("(xensv-tls-cert %s)\n(xensv-tls-key %s)\n" % (cert, key))
    setup_users(inst)
    inst.start_xensv()
    r = inst.xensv("status")
    check("https://127.0.0.1:" in r.out, r)
    web = Web(inst, tls=True)
    r = web.login("admin", ADMIN_PW)
    check(r.status == 200 and "; Secure" in r.getheader("Set-Cookie") and
          r.getheader("Strict-Transport-Security"), r.getheaders())
    check(len(web.ok("GET", "/api/domains")) >= 1, "domains over TLS")
    w = web.ws("/ws/events")
    j = w.recv_json(lambda j: j["type"] == "domains")
    check(j["domains"][0]["name"] == "Domain-0", j)
    w.close()
    try:
        Web(inst).request("GET", "/login.html")
        check(False, "plain HTTP answered on the TLS port")
    except (OSError, http.client.HTTPException):
        pass


def run_browser(inst, script, **extra):
    """Runs tests/browser/SCRIPT in headless Chromium against inst."""
    node_dir = os.path.join(TOP, "tests", "browser")
    if not os.path.isdir(os.path.join(node_dir, "node_modules",
                                      "playwright-core")):
        raise harness.Skip("playwright-core not installed (scripts/"
                           "install-deps runs npm ci in tests/browser)")
    if not os.path.isdir(os.path.join(TOP, "static", "node_modules",
                                      "@xterm")):
        raise harness.Skip("xterm.js not installed (npm ci in static/)")
    start_web(inst, consoled=True)
    env = dict(inst.env)
    env["XENSV_URL"] = "http://127.0.0.1:%d" % (inst.port_base + 199)
    env["XENSV_ADMIN_PW"] = ADMIN_PW
    env["XENSV_VIEWER_PW"] = VIEWER_PW
    env["XENSV_IMAGES"] = harness.IMAGES
    env["XENSV_SHOTS"] = os.environ.get("XENSV_SHOTS",
                                        os.path.join(inst.tmp, "shots"))
    env.update(extra)
    p = subprocess.run(["node", os.path.join(node_dir, script)],
                       env=env, capture_output=True, text=True, timeout=600)
    check(p.returncode == 0, "browser test failed (rc %d):\n%s\n%s\n%s" %
          (p.returncode, p.stdout[-4000:], p.stderr[-4000:],
           inst.xensv_log_tail()))
    if os.environ.get("XENSV_FIGURES"):
        with open(os.environ["XENSV_FIGURES"], "a") as f:
            f.write(p.stdout)
    return p.stdout


def test_web_browser(inst):
    """The pages in headless Chromium (tests/browser/web.mjs)."""
    run_browser(inst, "web.mjs", XENSV_DOMCFG=inst.config("webui"),
                XENSV_VNCCFG=inst.config("webvnc", vnc="1"))


def test_web_browser_jobs(inst):
    """Save, restore and migrate from the pages, with xend's job.progress
    driving the bar (tests/browser/jobs.mjs); the audit log names them."""
    save_dir = os.path.join(inst.tmp, "save")
    os.makedirs(save_dir, exist_ok=True)
    # A guest whose memory is mostly written (a tmpfs filled with text):
    # its save stream is long enough for the bar to show steps between
    # start and end (an idle guest's is mostly zero pages, a third of a
    # second).
    c = harness.Console(inst, "create", "-c",
                        inst.config("webjob", memory="384"))
    c.login()
    t0 = time.monotonic()
    c.send("mount -t tmpfs -o size=300m t /mnt && yes 0123456789abcdef | "
           "head -c 4000000 > /mnt/c && i=0; while [ $i -lt 60 ]; do "
           "cat /mnt/c >> /mnt/fill; i=$((i+1)); done; echo FILL$((6*7))\r")
    c.expect(r"FILL42", 300)
    print("guest memory filled in %.1f s" % (time.monotonic() - t0))
    c.detach()
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))        # bound, never listening: refused
    try:
        out = run_browser(inst, "jobs.mjs", XENSV_SAVE_DIR=save_dir,
                          XENSV_DEAD_PORT=str(dead.getsockname()[1]))
    finally:
        dead.close()
    print(out)
    log = inst.xensv_log_tail(2000)
    for what in ('action="POST /api/domains/webjob/save file=%s/webjob.save"'
                 ' result="ok"' % save_dir,
                 'action="POST /api/restore file=%s/webjob.save" '
                 'result="ok"' % save_dir,
                 'file=/tmp/webjob-outside.save" result="{"error":{"code":"denied",',
                 'user=viewer'):
        check(what in log, "audit log lacks %r:\n%s" % (what, log))


def test_web_browser_hvm(inst):
    """An HVM domain through the wizard, booted from the CD-ROM that
    guest/build-hvm.sh builds into the test's directory (xensv-image-dirs
    here): its serial login prompt and its screen in the browser."""
    out = os.path.join(inst.tmp, "hvm")
    subprocess.run([os.path.join(TOP, "guest", "build-hvm.sh"), "-i",
                    harness.IMAGES, out], check=True, capture_output=True)
    try:
        print(run_browser(inst, "hvm.mjs", XENSV_HVM_DIR=out))
    finally:
        inst.xm("destroy", "webhvm")


TESTS = [
    ("web-door", test_web_door, ""),
    ("web-static", test_web_static, STATIC_COPY),
    ("web-limits", test_web_limits, "(xensv-timeout 3)\n"),
    ("web-events-ws", test_web_events_ws, ""),
    ("web-domain-live", test_web_domain_live, ""),
    ("web-cli", test_web_cli, ""),
    ("web-tls", test_web_tls, ""),
    ("web-vnc", test_web_vnc, ""),
    ("web-browser", test_web_browser, ""),
    ("web-browser-jobs", test_web_browser_jobs,
     "(xensv-save-dirs @TMP@/save)\n"),
    ("web-browser-hvm", test_web_browser_hvm,
     "(xensv-image-dirs @TMP@/hvm)\n"),
]
