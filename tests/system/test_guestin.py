"""System tests for what guests and domain configs can make xend do:
site scripts as watched children (issue 14.8, 8.5), a flooding guest
agent (8.4), the API under pressure (8.5), QEMU's sandbox (8.6)."""
import json
import os
import re
import socket
import stat
import subprocess
import time

from harness import Console, check, TestFailure

# A site script that appends its argv, one call per line, to @TMP@/calls.
ARGV_SCRIPT = """#!/bin/sh
echo "$(basename "$0") $*" >> %s/calls
echo "said by $1"
"""

HANG_SCRIPT = """#!/bin/sh
echo "$(basename "$0") $*" >> %s/calls
echo "hanging, pid $$"
sleep 60
"""


def write_script(inst, name, text):
    path = os.path.join(inst.tmp, name)
    with open(path, "w") as f:
        f.write(text % inst.tmp)
    os.chmod(path, 0o755)
    return path


def calls(inst):
    try:
        with open(os.path.join(inst.tmp, "calls")) as f:
            return f.read().splitlines()
    except OSError:
        return []


def timed(fn):
    t0 = time.monotonic()
    r = fn()
    return r, time.monotonic() - t0


def test_scripts_called_as_manual_says(inst):
    """network-script start/stop, vif-script online/offline, with argv."""
    net = write_script(inst, "network-test", ARGV_SCRIPT)
    vif = write_script(inst, "vif-test", ARGV_SCRIPT)
    with open(inst.conf + "/xend-config.sxp", "a") as f:
        f.write("(network-script %s)\n(vif-script %s)\n" % (net, vif))
    inst.xend("stop")
    open(os.path.join(inst.tmp, "calls"), "w").close()
    inst.start()
    inst.wait_for(lambda: "network-test start" in calls(inst), 10,
                  "network-script start")
    check(calls(inst) == ["network-test start"], calls(inst))
    r = inst.xm_ok("dmesg")
    check("network-script %s start: done" % net in r.out, r.out)
    cfg = inst.config("sv", vif="['mac=00:16:3e:00:00:21, ip=10.9.0.2']")
    inst.xm_ok("create", cfg)
    d = inst.domains()["sv"]
    dom, vifn = d["domid"], inst.vif(d["domid"])
    want_args = ("domain=sv vif=%s bridge=xt-nobr0 mac=00:16:3e:00:00:21 "
                 "domid=%d ip=10.9.0.2" % (vifn, dom))
    inst.wait_for(lambda: "vif-test online " + want_args in calls(inst), 20,
                  "vif-script online")
    inst.wait_for(lambda: "said by online" in open(inst.log).read(), 10,
                  "the script's output in the log")
    # A crash (QEMU killed): offline for the old tap, online for the new.
    with open(inst.log) as f:
        check("vif-script %s online %s: exited with status 0" % (vif, vifn)
              in f.read(), inst.log_tail())
    os.kill(d["pid"], 9)
    inst.wait_for(lambda: calls(inst).count("vif-test online " + want_args)
                  == 2, 30, "online again after the crash restart")
    c = calls(inst)
    check(c[1:] == ["vif-test online " + want_args,
                    "vif-test offline " + want_args,
                    "vif-test online " + want_args], c)
    inst.xm_ok("destroy", "sv")
    inst.wait_for(lambda: calls(inst).count("vif-test offline " + want_args)
                  == 2, 10, "vif-script offline at destroy")
    r = inst.xend("stop")
    check(r.rc == 0, r)
    check(calls(inst)[-1] == "network-test stop", calls(inst))
    with open(inst.log) as f:
        check("network-script stop: exited with status 0" in f.read(),
              inst.log_tail())


def test_hanging_vif_script(inst):
    """A vif-script that sleeps 60 s neither delays the API nor lives on."""
    vif = write_script(inst, "vif-hang", HANG_SCRIPT)
    with open(inst.conf + "/xend-config.sxp", "a") as f:
        f.write("(vif-script %s)\n(script-timeout 6)\n" % vif)
    inst.xend("stop")
    inst.start()
    cfg = inst.config("hang", vif="['']")
    r, secs = timed(lambda: inst.xm("create", cfg))
    check(r.rc == 0 and secs < 10, "create took %.1fs: %r" % (secs, r))
    inst.wait_for(lambda: calls(inst), 10, "the script running")
    t_start = time.monotonic()
    worst = 0
    for _ in range(10):
        r, secs = timed(lambda: inst.xm("list"))
        check(r.rc == 0, r)
        worst = max(worst, secs)
        time.sleep(0.2)
    check(worst < 1.0, "xm list took %.2fs while the script hung" % worst)
    inst.wait_for(lambda: "still running after 6 s, killed" in
                  open(inst.log).read(), 15, "the script killed")
    check(time.monotonic() - t_start < 12, "killed late")
    m = re.search(r"hanging, pid (\d+)", open(inst.log).read())
    check(m, inst.log_tail())
    # The whole process group went: the sleep too.
    time.sleep(0.5)
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/cmdline" % p, "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            check(vif.encode() not in cmd, "script still running: %r" % cmd)
    with open(inst.log) as f:
        check(re.search(r"hang: vif-script %s online \S+: still running "
                        r"after 6 s, killed" % re.escape(vif), f.read()),
              inst.log_tail())
    inst.xm_ok("destroy", "hang")


TESTS = [
    ("guestin_scripts_called", test_scripts_called_as_manual_says, ""),
    ("guestin_hanging_vif_script", test_hanging_vif_script, ""),
]
