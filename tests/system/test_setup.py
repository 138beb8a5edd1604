"""System test: the README's first command, scripts/setup, on a private
instance (the harness's XEN_CONFIG_DIR, whose every path, port, prefix and
cgroup is the instance's own), run twice, then again after a simulated
reboot.  Everything it starts is killed by pid (the harness's close also
kills, by pid, whatever still runs from the instance's temp dir, where the
prefix is)."""
import json
import os
import re
import signal
import subprocess
import time

import weblib
from harness import SCRIPTS, check


def pid_of(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def alive(pid):
    """Running (not a zombie)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def run_setup(inst, prefix):
    r = subprocess.run([os.path.join(SCRIPTS, "setup"), "--no-dashboard",
                        "--no-deps", "--no-guest-build", "--prefix", prefix],
                       env=inst.env, capture_output=True, text=True,
                       timeout=1200, stdin=subprocess.DEVNULL)
    check(r.returncode == 0, "setup failed (%d):\n%s\n%s\n%s" %
          (r.returncode, r.stdout[-3000:], r.stderr[-3000:],
           inst.log_tail()))
    return r


def daemons(inst):
    return (pid_of(os.path.join(inst.tmp, "xend.pid")),
            pid_of(os.path.join(inst.tmp, "xenconsoled.pid")))


def demo(inst):
    return inst.domains().get("ttylinux")


def reboot(inst, xend, cons, qemu):
    """Every process gone at once, taps and cgroups with them; stale pid
    files and the state dir's records of dead QEMUs stay."""
    for pid in (xend, cons, qemu):
        os.kill(pid, signal.SIGKILL)
    end = time.time() + 20
    while any(alive(p) for p in (xend, cons, qemu)) and time.time() < end:
        time.sleep(0.05)
    check(not any(alive(p) for p in (xend, cons, qemu)), "still running")
    tap = inst.vif(1)
    if os.path.exists("/sys/class/net/" + tap):
        subprocess.run(["ip", "link", "del", tap])
    inst.remove_cgroups()
    check(not inst.cgroup_dirs(), "cgroup left")
    # Pid numbers are reused after a boot: xend's stale pid file names a
    # live process now (this one); xenconsoled's names a dead one.
    with open(os.path.join(inst.tmp, "xend.pid"), "w") as f:
        f.write("%d\n" % os.getpid())
    check(pid_of(os.path.join(inst.tmp, "xenconsoled.pid")) == cons,
          "xenconsoled's pid file went")


def test_setup_twice_and_reboot(inst):
    """setup twice: no error, nothing started twice; then kill -9 of all it
    started, its taps and cgroups gone, stale pid files (one naming a live
    process) and records of dead QEMUs left: setup again brings it all
    back without a manual step."""
    other = None
    try:
        prefix = os.path.join(inst.tmp, "prefix")
        r = inst.xend("stop")           # setup starts its own
        check(r.rc == 0, r)
        # The demo domain on the shared read-only template: the real set-up's
        # ttylinux owns ttylinux.ext2.
        inst.config("ttylinux", nics="1", ip='""')

        r = run_setup(inst, prefix)
        # The web console: admin's generated password, printed once.
        m = re.search(r"web console user admin, password ([0-9a-f]{24}) ",
                      r.stdout)
        check(m, "no web password in:\n" + r.stdout)
        web = weblib.Web(inst)
        check(web.login("admin", m.group(1)).status == 200,
              "the printed password does not log in")
        xensv = pid_of(os.path.join(inst.tmp, "xensv.pid"))
        check(alive(xensv), "xensv not running")
        xend, cons = daemons(inst)
        check(alive(xend) and alive(cons), "daemons not running: %d %d" %
              (xend, cons))
        check(os.readlink("/proc/%d/exe" % xend).startswith(prefix),
              "xend is not the one installed in the prefix")
        d = demo(inst)
        check(d is not None and d["domid"] == 1, inst.domains())
        qemu = d["pid"]

        r = run_setup(inst, prefix)
        check("xend is already running" in r.stdout and
              "xenconsoled is already running" in r.stdout and
              "xensv is already running" in r.stdout and
              "ttylinux is already running" in r.stdout, r.stdout)
        check("password" not in r.stdout and
              pid_of(os.path.join(inst.tmp, "xensv.pid")) == xensv,
              "the second setup made a new password or xensv:\n" + r.stdout)
        check(daemons(inst) == (xend, cons), "daemons restarted: %r -> %r" %
              ((xend, cons), daemons(inst)))
        check(sorted(inst.domains()) == ["Domain-0", "ttylinux"],
              inst.domains())
        check(demo(inst)["pid"] == qemu, "ttylinux's QEMU replaced")

        reboot(inst, xend, cons, qemu)
        # And ttylinux's record names a process that now has its pid and start
        # tick (plausible when boots replay alike): not a QEMU, not adopted.
        other = subprocess.Popen(["sleep", "600"])
        rt_path = os.path.join(inst.state, "domains", "1", "runtime.json")
        with open(rt_path) as f:
            rt = json.load(f)
        with open("/proc/%d/stat" % other.pid) as f:
            rt["pid"], rt["pid_start"] = other.pid, int(
                f.read().rsplit(")", 1)[1].split()[19])
        with open(rt_path, "w") as f:
            json.dump(rt, f)
        r = run_setup(inst, prefix)
        print("    after the reboot: " + "; ".join(
            ln for ln in r.stdout.splitlines() if ln.startswith("setup:")))
        xend2, cons2 = daemons(inst)
        check(alive(xend2) and alive(cons2) and xend2 != os.getpid(),
              "daemons after the reboot: %d %d" % (xend2, cons2))
        inst.wait_for(lambda: (demo(inst) or {}).get("state", "")[:2] in
                      ("r-", "-b"), 30, "ttylinux running after the reboot")
        d = demo(inst)
        check(d["pid"] not in (qemu, other.pid) and alive(d["pid"]), d)
        check(other.poll() is None, "the process with the recorded pid was "
              "killed")
        check(sorted(inst.domains()) == ["Domain-0", "ttylinux"],
              inst.domains())
        check(os.path.exists("/sys/class/net/" + inst.vif(d["domid"])),
              "no tap %s" % inst.vif(d["domid"]))
        with open(inst.log) as f:
            # (Warnings too, but the instance's default bridge is missing on
            # purpose: its taps stay unattached.)
            errors = [ln for ln in f if re.search(r"\] (error|warn): ", ln)
                      and not re.search(r"bridge \S+ does not exist", ln)]
        check(not errors, "xend logged errors:\n%s" % "".join(errors))

        # With on_crash = preserve xend keeps the dead domain, crashed, after a
        # reboot: setup destroys it and creates it again.
        inst.xm_ok("destroy", "ttylinux")
        inst.xm_ok("create", inst.config("ttylinux", nics="1", ip='""',
                                         on_crash='"preserve"'))
        d = demo(inst)
        reboot(inst, xend2, cons2, d["pid"])
        r = run_setup(inst, prefix)
        check("ttylinux is there but not running (" in r.stdout, r.stdout)
        inst.wait_for(lambda: (demo(inst) or {}).get("state", "")[:2] in
                      ("r-", "-b"), 30, "ttylinux running again")
        check(alive(demo(inst)["pid"]), demo(inst))
        inst.xm_ok("destroy", "ttylinux")
    finally:
        if other is not None:
            other.kill()
            other.wait()


def test_install_configs(inst):
    """setup's configs are conffiles: missing ones installed, an unchanged
    earlier default upgraded (kept as .setup-old), an edited one kept."""
    import hashlib
    import tempfile
    top = os.path.dirname(SCRIPTS)
    tool = os.path.join(SCRIPTS, "install-configs")
    with tempfile.TemporaryDirectory(dir=inst.tmp) as d:
        conf = os.path.join(d, "xen")
        known = os.path.join(d, "known")
        old = b"(network-script '')\n"
        with open(known, "w") as f:
            f.write("%s xend-config.sxp\n" % hashlib.sha256(old).hexdigest())
        env = dict(inst.env, XEN_KNOWN_CONFIGS=known)

        def run():
            r = subprocess.run([tool, conf], env=env, capture_output=True,
                               text=True, timeout=30)
            check(r.returncode == 0, r)
            return r.stdout

        def same(f):
            with open(os.path.join(conf, f), "rb") as a, \
                    open(os.path.join(top, "examples", f), "rb") as b:
                return a.read() == b.read()

        out = run()
        for f in ("xend-config.sxp", "ttylinux", "xmexample1", "xmexample2",
                  "xmexample.hvm"):
            check(same(f) and "installed %s/%s" % (conf, f) in out, out)
        check(run() == "", "a second run said something")
        # An unchanged earlier default: replaced, the old one kept.
        with open(os.path.join(conf, "xend-config.sxp"), "wb") as f:
            f.write(old)
        out = run()
        check("was an earlier version's default, unchanged: replaced" in out
              and same("xend-config.sxp"), out)
        with open(os.path.join(conf, "xend-config.sxp.setup-old"), "rb") as f:
            check(f.read() == old, "the old one was not kept")
        # An edited one: kept, and said so.
        edited = b"(network-script '')\n(logfile /tmp/x)\n"
        with open(os.path.join(conf, "ttylinux"), "wb") as f:
            f.write(edited)
        out = run()
        check("keeping your %s/ttylinux (edited)" % conf in out, out)
        with open(os.path.join(conf, "ttylinux"), "rb") as f:
            check(f.read() == edited, "an edited config was overwritten")


TESTS = [
    ("setup_install_configs", test_install_configs, ""),
    ("setup_twice_and_reboot", test_setup_twice_and_reboot, ""),
]
