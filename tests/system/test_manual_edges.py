"""System tests for rough edges found by running the manuals' commands as a
sysadmin would (issue 14): what xm says when a balloon target is not
reached, xm create -c from a script, the create message's console port,
xencons' argument check, one deprecation wording, dhcp dropping ip."""
import os
import re
import subprocess
import time

from harness import BIN, CONSOLED_BIN, IMAGES, Console, Skip, check
from test_control import guest_sh


def test_create_console_eof_and_balloon(inst):
    """xm create -c with stdin at end of file (a script) detaches and exits
    0, the domain running; the message names the console port; then the
    manual's `xm balloon ttylinux 32` says the guest cannot get there."""
    inst.start_consoled()       # as the set-up runs it
    cfg = inst.config("ttylinux")
    t0 = time.time()
    try:
        p = subprocess.run([os.path.join(BIN, "xm", "xm"), "create", "-c",
                            cfg], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, env=inst.env,
                           timeout=40)
    except subprocess.TimeoutExpired:
        check(False, "xm create -c < /dev/null did not exit within 40 s")
    secs = time.time() - t0
    d = inst.domains()["ttylinux"]
    check(p.returncode == 0, "rc %d: %r" % (p.returncode, p.stderr))
    # The manual: "Started domain testdomain2, console on port 9626".
    check(re.search(r"^Started domain ttylinux \(id %d\), console on port "
                    r"%d$" % (d["domid"], d["console_port"]), p.stdout,
                    re.M), p.stdout[:300])
    check("[end of input: detached from ttylinux, which keeps running]"
          in p.stderr, p.stderr)
    check(secs < 30, "took %.1f s" % secs)
    check(d["state"][4] != "s" and d["status"] in ("running", "blocked"),
          d)
    # xm's connection to xenconsoled is gone too.
    inst.wait_for(lambda: re.search(r"^ttylinux\s.*\s0$", inst.xm_ok(
        "consoles", "ttylinux").out, re.M), 10, "no console client left")

    # Booted: the balloon answers (the boot target is the config's 96).
    inst.wait_for(lambda: inst.domains()["ttylinux"].get("agent"), 90,
                  "the guest to boot (agent up)")
    r = inst.xm("balloon", "ttylinux", "32", timeout=60)
    got = inst.domains()["ttylinux"]
    check(r.rc == 1, r)
    m = re.search(r"^xm mem-set: ttylinux: memory target 32 MB not reached: "
                  r"the guest stays at (\d+) MB \(its kernel's floor\); "
                  r"xm list shows what it has$", r.err, re.M)
    check(m, r.err)
    check(48 <= int(m.group(1)) <= 80 and
          abs(int(m.group(1)) - got["memory"]) <= 3,
          "said %s MB, xm list has %s" % (m.group(1), got["memory"]))
    check(got["memory_target"] == 32, got)
    # Already at its floor: the same reason, not a missing driver.
    r = inst.xm("mem-set", "-w", "-t", "3", "ttylinux", "40", timeout=60)
    check(r.rc == 1 and re.search(r"^xm mem-set: ttylinux: memory target 40 "
                                  r"MB not reached within 3 s: the guest "
                                  r"stays at \d+ MB \(its kernel's floor\)",
                                  r.err, re.M), r)
    # A target it can reach: quiet and 0, without -w too.
    r = inst.xm("mem-set", "ttylinux", "90", timeout=60)
    check(r.rc == 0 and r.err == "" and r.out == "", r)
    check(abs(inst.domains()["ttylinux"]["memory"] - 90) <= 2, "at 90")
    inst.xm_ok("destroy", "ttylinux")


def test_proc_xen_memory_target(inst):
    """The manual's /proc/xen/memory_target in the guest: it reads the
    target, takes a new one, and refuses out-of-range values at once."""
    try:
        with open(os.path.join(IMAGES, "BUILD-INFO")) as f:
            built = f.read()
    except OSError:
        built = ""
    if "xen_memtarget.ko" not in built:
        raise Skip("the demo guest in %s predates /proc/xen/memory_target "
                   "(guest/build-guest.sh rebuilds it)" % IMAGES)
    cfg = inst.config("self", maxmem="128")
    con = Console(inst, "create", "-c", cfg)
    try:
        con.login()
        inst.wait_for(lambda: inst.domains()["self"].get("agent"), 30,
                      "guest agent")
        out = guest_sh(con, "cat /proc/xen/memory_target", "r0")
        check(re.search(r"^96\r?$", out, re.M), out)
        for value, err in (("500", "Numerical result out of range"),
                           ("8", "Numerical result out of range"),
                           ("abc", "Invalid argument")):
            out = guest_sh(con, "echo %s > /proc/xen/memory_target; "
                           "echo rc=$?" % value, "w" + value)
            check("write error: %s" % err in out and "rc=1" in out,
                  (value, out))
        check(inst.domains()["self"]["memory_target"] == 96, "refused")
        out = guest_sh(con, "echo 80 > /proc/xen/memory_target; echo rc=$?",
                       "w80")
        check("rc=0" in out and "error" not in out, out)
        inst.wait_for(lambda: inst.domains()["self"]["memory_target"] == 80,
                      15, "target set through /proc/xen/memory_target")
        out = guest_sh(con, "cat /run/xen/memory_target", "r1")
        check(re.search(r"^80\r?$", out, re.M), out)
        con.detach()
    finally:
        con.kill()
    inst.xm_ok("destroy", "self")


def test_words(inst):
    """Messages that need no guest: xencons' PORT, the deprecation wording
    of every Xen 2.0 name, the ignored ip with dhcp."""
    xencons = os.path.join(CONSOLED_BIN, "xencons", "xencons")
    r = inst.run(xencons, "localhost", "abc")
    check(r.rc == 2 and r.err == "xencons: 'abc' is not a port number (a "
          "domain's console is on port 9600 + its id)\n", r)
    r = inst.run(xencons, "no-such-host.invalid", "9601")
    check(r.rc == 1 and r.err.startswith("xencons: cannot look up host "
                                         "no-such-host.invalid: "), r)

    # One wording for every Xen 2.0 name, whatever the arguments.
    for old, new, args in (("balloon", "mem-set", ["nosuch", "64"]),
                           ("maxmem", "mem-max", ["nosuch", "64"]),
                           ("pincpu", "vcpu-pin", ["nosuch", "0"]),
                           ("bvt", "sched-credit", ["nosuch", "10"] + ["0"] * 4),
                           ("atropos", "sched-sedf",
                            ["nosuch", "10000000", "1000000", "0", "0"])):
        r = inst.xm(old, *args)
        check(r.err.startswith("xm: warning: '%s' is deprecated, use "
                               "'%s'\n" % (old, new)), (old, r))
        check(r.rc == 1 and "nosuch" in r.err, (old, r))

    # A paused domain's balloon cannot move: mem-set says so, and is done.
    inst.xm_ok("create", "-p", inst.config("paused"))
    r = inst.xm("mem-set", "paused", "80")
    check(r.rc == 0 and r.err == "paused: memory target 80 MB: the domain "
          "is paused; its balloon moves once it runs\n", r)
    check(inst.domains()["paused"]["memory_target"] == 80, "target set")
    inst.xm_ok("destroy", "paused")

    # dhcp = 'dhcp' ignores ip: so the evaluated config has none.
    cfg = inst.config("dh", ip='"10.0.0.5"', dhcp='"dhcp"')
    r = inst.xm_ok("create", "-n", cfg)
    check("ip is ignored because dhcp = 'dhcp'" in r.err, r)
    check("(dhcp dhcp)" in r.out and "(ip " not in r.out, r.out)


TESTS = [
    ("manual-edges-create-c-eof-balloon", test_create_console_eof_and_balloon,
     ""),
    ("manual-edges-proc-xen-memory-target", test_proc_xen_memory_target, ""),
    ("manual-edges-words", test_words, ""),
]
