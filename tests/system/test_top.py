"""System tests for xm top: the dashboard in tmux against a private xend
with demo guests, batch mode parsed, and a synthetic xend for scale and
for a xend without the memory/CPU ops."""
import csv
import io
import json
import os
import re
import socket
import subprocess
import time

from harness import BIN, TUI, FakeXend, Tmux, check, skip_unless_op

XM = os.path.join(BIN, "xm", "xm")


def top_env(inst, env=None, utf8=True):
    e = dict(env if env is not None else inst.env)
    e["XDG_CONFIG_HOME"] = os.path.join(inst.tmp, "cfg")
    e["LANG"] = "C.UTF-8" if utf8 else "C"
    e.pop("LC_ALL", None)
    e.pop("NO_COLOR", None)
    return e


def start_top(inst, env=None, args=(), width=140, height=40, utf8=True):
    check(os.access(os.path.join(TUI, "xm-top", "xm-top"), os.X_OK),
          "xm-top not built under %s" % TUI)
    t = Tmux(top_env(inst, env, utf8), [XM, "top"] + list(args), width,
             height)
    try:
        t.wait_for(r"^NAME\s+ID", 20)
    except Exception:
        t.kill()
        raise
    return t


def quit_top(t):
    """q, then the pane's process must end by itself (settings saved)."""
    t.send("q")
    end = time.time() + 15
    while t.alive() and time.time() < end:
        time.sleep(0.1)
    alive = t.alive()
    t.kill()
    check(not alive, "xm top did not exit on q")


def rows(screen):
    """The list rows: {name: [fields...]} (first ten columns)."""
    out = {}
    lines = screen.splitlines()
    for i, l in enumerate(lines):
        if re.match(r"^NAME\s+ID", l):
            for r in lines[i + 1:]:
                f = r.split()
                if len(f) >= 10 and re.match(r"^\d+$", f[1]):
                    out[f[0]] = f
            break
    return out


def xm_list(inst):
    out = {}
    for l in inst.xm_ok("list").out.splitlines()[1:]:
        f = l.split()
        out[f[0]] = f
    return out


def run_with(env, *args):
    """A command with env (a FakeXend's), like Instance.run."""
    return subprocess.run(list(args), env=env, capture_output=True,
                          text=True, timeout=60)


def wait_booted(inst, name, timeout=120):
    """Until the guest's console log shows the login prompt."""
    path = inst.domains()[name]["console_log"]

    def seen():
        try:
            with open(path, "rb") as f:
                return b"login:" in f.read()
        except OSError:
            return False
    inst.wait_for(seen, timeout, "%s to boot" % name)


def select(t, name):
    """Selects a domain by filtering to it (the prompt closed again)."""
    t.send("/")
    t.wait_for(r"name contains:", 10)
    t.type(name)
    t.send("Enter")
    t.wait_for(r"name contains:", 10, gone=True)
    t.wait_for(r"filter: %s" % re.escape(name), 10)


def test_top_list_matches_xm_list(inst):
    """The rows are xm list's domains with the same figures; batch too."""
    inst.xm_ok("create", "-p", inst.config("alpha"))
    inst.xm_ok("create", "-p", inst.config("beta", memory="80"))
    t = start_top(inst)
    try:
        t.wait_for(r"^beta\s", 20)
        time.sleep(1.5)
        got = rows(t.screen())
        want = xm_list(inst)
        check(set(got) == set(want), "rows %s vs xm list %s" %
              (sorted(got), sorted(want)))
        for name, w in want.items():
            g = got[name]
            # Name Id Mem(MB) VCPUs CPU State Time(s) Console
            check(g[1] == w[1], "%s id %s vs %s" % (name, g[1], w[1]))
            check(g[5] == w[2], "%s mem %s vs %s" % (name, g[5], w[2]))
            check(g[8].split("/")[-1] == w[3] or g[8] == w[3],
                  "%s vcpus %s vs %s" % (name, g[8], w[3]))
            check(g[2] == w[5], "%s state %s vs %s" % (name, g[2], w[5]))
            if name != "Domain-0":
                # xm list shows a port only while xenconsoled listens on
                # it, and it is not running here (docs/SECURITY.md).
                check(len(w) == 7 and g[9] == str(inst.domains()[name]
                                                   ["console_port"]),
                      "%s console %s vs %s" % (name, g[9], w))
        check(got["alpha"][2] == "--p---", got["alpha"])
        # The header: host, accel, memory, domain counts.
        scr = t.screen()
        check("tcg" in scr.splitlines()[0], scr.splitlines()[0])
        check(re.search(r"Domains\s+\d+ \(.*2 paused", scr), scr)
        # Detail view and back.
        select(t, "beta")
        t.send("Enter")
        t.wait_for(r"beta \(id \d+\)", 10)
        t.wait_for(r"sda1\s+r\s+file:", 10)
        t.wait_for(r"on_poweroff destroy", 10)
        # No xenconsoled in this instance: the detail view says so.
        t.wait_for(r"xenconsoled is not running", 10)
        t.send("Escape")
        t.wait_for(r"^NAME\s+ID", 10)
        # Column order: STATE moved before ID in the chooser.
        t.send("c")
        t.wait_for(r"< > move", 10)
        t.send("Down")
        t.send("Down")
        t.send("<")
        t.send("Escape")
        t.wait_for(r"^NAME\s+STATE\s+ID", 10)
        quit_top(t)
    finally:
        t.kill()
    # Settings were saved on q, in the order shown.
    path = os.path.join(inst.tmp, "cfg", "xm-top", "settings")
    check(os.path.exists(path), "settings not saved")
    with open(path) as f:
        saved = f.read()
    check(re.search(r"^columns name,state,domid,", saved, re.M), saved)

    # Batch: JSON lines, CSV and text, two samples each.
    r = inst.run(XM, "top", "-b", "-n", "2", "-d", "0.5", "--json")
    check(r.rc == 0, r)
    lines = r.out.splitlines()
    check(len(lines) == 2, r.out)
    objs = [json.loads(l) for l in lines]
    check(all(o["schema"] == "xm-top-batch/1" for o in objs), objs[0])
    doms = {d["name"]: d for d in objs[1]["domains"]}
    want = xm_list(inst)
    check(set(doms) == set(want), (sorted(doms), sorted(want)))
    check(doms["beta"]["mem_max"] == 80 and doms["beta"]["state"] == "--p---",
          doms["beta"])
    check(doms["alpha"]["domid"] == int(want["alpha"][1]), doms["alpha"])
    check(all(d["cpu_pct"] is None for d in objs[0]["domains"]),
          "first sample has a CPU%")
    check(objs[1]["domains"][1]["cpu_pct"] is not None, objs[1])
    r = inst.run(XM, "top", "-b", "-n", "2", "-d", "0.3", "--csv")
    check(r.rc == 0, r)
    recs = list(csv.DictReader(io.StringIO(r.out)))
    check(len(recs) == 6, r.out)
    check(recs[0]["iteration"] == "1" and recs[5]["iteration"] == "2", recs)
    check({x["name"] for x in recs} == set(want), recs)
    r = inst.run(XM, "top", "-b", "-n", "1")
    check(r.rc == 0 and re.search(r"^alpha\s+\d+\s+--p---", r.out, re.M), r)
    # Usage errors and no terminal.
    r = inst.run(XM, "top", "--bogus")
    check(r.rc == 2 and "unknown option --bogus" in r.err, r)
    r = inst.run(XM, "top", "--json")
    check(r.rc == 2 and "batch mode" in r.err, r)
    r = inst.run(XM, "top")
    check(r.rc == 1 and "not a terminal" in r.err, r)
    r = inst.run(XM, "help", "top")
    check(r.rc == 0 and "--csv" in r.out, r)
    inst.xm_ok("destroy", "alpha")
    inst.xm_ok("destroy", "beta")


def test_top_balloon_pause_console(inst):
    """Balloon slider moves the guest's memory; pause; console and back."""
    skip_unless_op(inst, "domain.mem_set")
    inst.start_consoled()
    inst.xm_ok("create", inst.config("bal"))
    wait_booted(inst, "bal")
    inst.wait_for(lambda: inst.domains()["bal"].get("memory") == 96, 30,
                  "balloon to report 96 MB")
    t = start_top(inst)
    try:
        select(t, "bal")
        t.wait_for(r"^bal\s+\d+\s+\S+\s+\S+\s+\S+\s+96\s+96\s+96\s", 10)
        t.send("b")
        t.wait_for(r"Balloon bal", 10)
        t.send("NPage")
        t.wait_for(r"64 MB", 5)
        t.send("Enter")
        t.wait_for(r"Balloon bal", 5, gone=True)
        # The row heads for the target; xm list sees it land.
        t.wait_for(r"^bal\s+\d+\s+\S+\s+\S+\s+\S+\s+\d+\s+64\s+96\s", 10)
        inst.wait_for(lambda: xm_list(inst)["bal"][2] == "64", 60,
                      "xm list to show 64 MB")
        t.wait_for(r"^bal\s+\d+\s+\S+\s+\S+\s+\S+\s+64\s+64\s+96\s", 15)
        check(inst.domains()["bal"]["memory_target"] == 64, "target")
        # Pause and unpause from the dashboard.
        t.send("p")
        inst.wait_for(lambda: inst.domains()["bal"]["state"] == "--p---", 15,
                      "paused")
        t.wait_for(r"^bal\s+\d+\s+--p---", 10)
        t.send("p")
        inst.wait_for(lambda: inst.domains()["bal"]["state"] != "--p---", 15,
                      "unpaused")
        # The detail view lists the console's clients (from xenconsoled):
        # a TCP client attached now is there, and gone once it leaves.
        port = inst.domains()["bal"]["console_port"]
        viewer = socket.create_connection(("127.0.0.1", port))
        t.send("Enter")
        t.wait_for(r"bal \(id \d+\)", 10)
        t.wait_for(r"console port %d .*clients 1" % port, 10)
        t.wait_for(r"#\d+ telnet\s+127\.0\.0\.1:%d\s" %
                   viewer.getsockname()[1], 10)
        viewer.close()
        t.wait_for(r"console port %d .*clients 0" % port, 10)
        # Console from the detail view; Ctrl-] comes back to it.
        t.send("a")
        t.wait_for(r"attached to bal", 15)
        t.send("Enter")
        t.wait_for(r"login:", 20)
        t.type("root")
        t.send("Enter")
        t.wait_for(r"assword:", 10)
        t.type("root")
        t.send("Enter")
        t.wait_for(r"#\s*$", 10)
        t.type("echo top-$((6*7))")
        t.send("Enter")
        t.wait_for(r"top-42", 10)
        t.send("C-]")
        t.wait_for(r"bal \(id \d+\)", 10)
        t.wait_for(r"back from the console of bal", 10)
        t.send("Escape")
        t.wait_for(r"^NAME\s+ID", 10)
        quit_top(t)
    finally:
        t.kill()
    inst.xm_ok("destroy", "bal")


def test_top_sched_weight_lands_in_cgroup(inst):
    """The scheduler dialog's weight reaches the domain's cgroup."""
    skip_unless_op(inst, "domain.sched_credit")
    inst.xm_ok("create", "-p", inst.config("sch"))
    t = start_top(inst)
    try:
        select(t, "sch")
        t.send("w")
        t.wait_for(r"Scheduler of sch", 10)
        t.wait_for(r"256 ", 10)
        t.type("512")
        t.wait_for(r"512 ", 5)
        t.send("Enter")
        t.wait_for(r"sched-credit sch: done", 10)
        quit_top(t)
    finally:
        t.kill()
    r = inst.call("domain.sched_credit", dom="sch")
    check(r["weight"] == 512, r)
    files = r.get("cgroup_files", {})
    cg = inst.domains()["sch"]["sched"]["cgroup"]
    # Read the cgroup file itself, v2 or v1.
    if "cpu.weight" in files:
        want, name = str(512 * 100 // 256), "cpu.weight"
    else:
        want, name = str(512 * 1024 // 256), "cpu.shares"
    check(files.get(name) == want, files)
    if cg and cg.startswith("/"):
        for base in (cg, "/sys/fs/cgroup" + cg, "/sys/fs/cgroup/cpu" + cg):
            p = os.path.join(base, name)
            if os.path.exists(p):
                with open(p) as f:
                    check(f.read().strip() == want, "%s: %s" % (p, want))
                break
    inst.xm_ok("destroy", "sch")


def test_top_create_and_destroy_by_name(inst):
    """n creates from a config file; X asks for the name before it kills."""
    cfg = inst.config("made")
    t = start_top(inst)
    try:
        t.send("n")
        t.wait_for(r"config file", 10)
        t.type(cfg)
        t.send("Enter")
        t.wait_for(r"^made\s+\d+", 30)
        t.wait_for(r"started domain made", 30)
        check("made" in inst.domains(), "not created")
        select(t, "made")
        t.send("X")
        t.wait_for(r"Destroy made", 10)
        t.type("mad")
        t.send("Enter")
        t.wait_for(r"type made exactly", 5)
        check("made" in inst.domains(), "destroyed without the name")
        t.type("e")
        t.send("Enter")
        inst.wait_for(lambda: "made" not in inst.domains(), 20, "destroyed")
        t.wait_for(r"^made\s+\d+", 10, gone=True)
        # A config that does not parse: the error, no domain.
        bad = os.path.join(inst.conf, "bad")
        with open(bad, "w") as f:
            f.write('name = "bad"\nmemory = 64 +\n')
        t.send("n")
        t.type(bad)
        t.send("Enter")
        t.wait_for(r"create: .*bad:2:", 10)
        quit_top(t)
    finally:
        t.kill()
    check(inst.qemu_pids() == [], "qemu left behind")


def test_top_resize_and_ascii(inst):
    """Resizes are followed; ASCII and NO_COLOR; too small says so."""
    inst.xm_ok("create", "-p", inst.config("rs"))
    env = dict(inst.env)
    env["NO_COLOR"] = "1"
    t = start_top(inst, utf8=False, width=100, height=30)
    try:
        t.wait_for(r"^rs\s", 10)
        first = t.screen().splitlines()[0]
        check(len(first.rstrip()) <= 100 and re.search(r"\d\d:\d\d:\d\d$",
              first.rstrip()), first)
        t.resize(160, 45)
        t.wait_for(r"^.{140,}\d\d:\d\d:\d\d\s*$", 10)
        scr = t.screen()
        check(len(scr.splitlines()) >= 44, "height not followed")
        t.resize(20, 5)
        t.wait_for(r"too small", 10)
        t.resize(90, 30)
        t.wait_for(r"^NAME\s+ID", 10)
        # ASCII line drawing in the C locale.
        select(t, "rs")
        t.send("b")
        t.wait_for(r"Balloon", 5)
        # The whole box, not a capture taken while curses was drawing it.
        select_box = t.wait_for(r"^\s*\+-", 5)
        check("Balloon" in select_box, select_box)
        t.send("Escape")
        quit_top(t)
    finally:
        t.kill()
    t = start_top(inst, env=env)
    try:
        t.send("?")
        box = t.wait_for(r"xm top: help", 10)
        check("\u250c" in box, "no UTF-8 box in a UTF-8 locale")
        t.send("x")
        quit_top(t)
    finally:
        t.kill()
    inst.xm_ok("destroy", "rs")


def test_top_scale_500_synthetic(inst):
    """500 domains from a synthetic xend: one round trip per refresh."""
    fake = FakeXend(inst, 500)
    try:
        r = run_with(fake.env, XM, "top", "-b", "-n", "3", "-d", "0.5",
                     "--json")
        check(r.returncode == 0, r)
        objs = [json.loads(l) for l in r.stdout.splitlines()]
        check(len(objs) == 3 and len(objs[2]["domains"]) == 501,
              "%d samples" % len(objs))
        check(objs[2]["domains"][1]["cpu_pct"] is not None, objs[2])
        check(len(objs[2]["host"]["cpu_pct"]) >= 1, objs[2]["host"])
        before = fake.call("fake.stats")["result"]["ops"]
        t = start_top(inst, env=fake.env)
        try:
            t.wait_for(r"^fake000\s", 10)
            time.sleep(4.2)
            t.send("End")
            t.wait_for(r"^fake499\s", 5)
            select(t, "fake123")
            scr = t.wait_for(r"^fake123\s", 5)
            check(len(rows(scr)) == 1, scr)
            quit_top(t)
        finally:
            t.kill()
        after = fake.call("fake.stats")["result"]["ops"]
        lists = after["domain.list"] - before.get("domain.list", 0)
        infos = after["host.info"] - before.get("host.info", 0)
        configs = after.get("domain.list with configs", 0) - before.get(
            "domain.list with configs", 0)
        per_dom = sum(v - before.get(k, 0) for k, v in after.items()
                      if k.startswith("domain.") and
                      not k.startswith("domain.list"))
        check(4 <= lists <= 12 and abs(lists - infos) <= 1,
              "refreshes: %d domain.list, %d host.info" % (lists, infos))
        check(per_dom == 0, "per-domain requests: %r" % after)
        # The list leaves the configs out; the detail view asks for the
        # one it shows.
        check(configs == 0, "%d domain.list asked for every config" %
              configs)
        t = start_top(inst, env=fake.env)
        try:
            t.wait_for(r"^fake000\s", 10)
            select(t, "fake123")
            t.send("Enter")
            t.wait_for(r"fake123 \(id \d+\)", 10)
            t.wait_for(r"sda1\s+r\s+file:", 10)
            t.wait_for(r"on_poweroff destroy", 10)
            quit_top(t)
        finally:
            t.kill()
        gets = fake.call("fake.stats")["result"]["ops"].get("domain.get", 0)
        check(gets >= 1, "the detail view did not ask domain.get")
    finally:
        fake.close()


def test_top_old_xend_shows_dash(inst):
    """A xend without the memory/CPU ops: '-' and the error, no guesses."""
    fake = FakeXend(inst, 3, legacy=True)
    try:
        t = start_top(inst, env=fake.env)
        try:
            scr = t.wait_for(r"^fake002\s", 10)
            f = rows(scr)["fake001"]
            check(f[6] == "-", "TARGET shows %s" % f[6])
            check("per-CPU load: -" in scr, scr)
            select(t, "fake001")
            t.send("b")
            t.wait_for(r"Balloon fake001", 10)
            t.send("Left")
            t.send("Enter")
            t.wait_for(r"^fake001 .* error: unknown op", 10)
            t.wait_for(r"mem-set fake001: unknown op", 5)
            t.send("w")
            t.wait_for(r"domain.sched_credit: unknown op", 10)
            t.send("Escape")
            quit_top(t)
        finally:
            t.kill()
        r = run_with(fake.env, XM, "top", "-b", "-n", "2", "-d", "0.3",
                     "--json")
        check(r.returncode == 0, r)
        o = json.loads(r.stdout.splitlines()[1])
        d = o["domains"][1]
        check(d["mem_target"] is None and d["net_rx_rate"] is None and
              d["vcpus_online"] is None and o["host"]["cpu_pct"] is None, o)
    finally:
        fake.close()
    # xend gone: batch says so and fails.
    fake = FakeXend(inst, 1, name="gone")
    fake.close()
    r = run_with(fake.env, XM, "top", "-b", "-n", "1")
    check(r.returncode == 1 and "cannot connect to xend" in r.stderr, r)


TESTS = [
    ("top_list_matches_xm_list", test_top_list_matches_xm_list, ""),
    ("top_balloon_pause_console", test_top_balloon_pause_console, ""),
    ("top_sched_weight_lands_in_cgroup",
     test_top_sched_weight_lands_in_cgroup, ""),
    ("top_create_and_destroy_by_name", test_top_create_and_destroy_by_name,
     ""),
    ("top_resize_and_ascii", test_top_resize_and_ascii, ""),
    ("top_scale_500_synthetic", test_top_scale_500_synthetic, ""),
    ("top_old_xend_shows_dash", test_top_old_xend_shows_dash, ""),
]
