"""System tests: several xend instances on one host (docs/USER-GUIDE.md,
"Several xend instances on one host"), and what xend leaves on the host
when it stops or restarts."""
import os
import time

from harness import Instance, check


def taps():
    return set(os.listdir("/sys/class/net"))


def test_two_instances_domain1_vifs(inst):
    """Two private xends side by side, each with domain 1 holding a vif:
    distinct taps (vif-prefix), both run, both go cleanly, no tap left."""
    other = Instance("instances-b")
    try:
        other.start()
        for i in (inst, other):
            i.xm_ok("create", i.config("web", nics="1", ip='""'))
        d1, d2 = inst.domains()["web"], other.domains()["web"]
        check(d1["domid"] == 1 and d2["domid"] == 1,
              "both should be domain 1: %r %r" % (d1, d2))
        t1, t2 = inst.vif(1), other.vif(1)
        check(t1 != t2, "both instances name their tap %s" % t1)
        now = taps()
        check(t1 in now and t2 in now, "taps %s %s missing: %r" %
              (t1, t2, sorted(now)))
        for i in (inst, other):
            st = i.domains()["web"]["state"]
            check(st[:2] in ("r-", "-b"), "%s: web is %s" % (i.tag, st))
        for i in (inst, other):
            i.xm_ok("destroy", "web")
        for i in (inst, other):
            i.wait_for(lambda i=i: "web" not in i.domains(), 20,
                       "web gone")
        left = {t1, t2} & taps()
        check(not left, "taps left behind: %r" % sorted(left))
    finally:
        reports = other.close()
    check(not reports, "second instance: sanitizer reports:\n%s" %
          "\n".join(reports))


def test_xend_stop_removes_cgroup(inst):
    """xend stop removes its cgroup-parent once no domain is in it; a
    domain's running QEMU keeps it (domains outlive xend)."""
    dirs = inst.cgroup_dirs()
    check(dirs, "xend made no cgroup %s (cpu controller?)" %
          inst.cgroup_parent)
    inst.xm_ok("create", "-p", inst.config("cg"))
    check(os.path.isdir(os.path.join(dirs[0], "domain-1")), "no domain-1")
    r = inst.xend("stop")
    check(r.rc == 0, r)
    check(os.path.isdir(os.path.join(dirs[0], "domain-1")),
          "domain-1's cgroup removed under its running QEMU")
    inst.start()
    inst.xm_ok("destroy", "cg")
    inst.wait_for(lambda: "cg" not in inst.domains(), 20, "cg gone")
    r = inst.xend("stop")
    check(r.rc == 0, r)
    left = [d for d in dirs if os.path.exists(d)]
    check(not left, "xend stop left %r" % left)
    inst.start()                # and starting again makes it anew
    check(inst.cgroup_dirs() == dirs, "no cgroup after start")


def test_shared_cgroup_parent(inst):
    """Two xends sharing a cgroup-parent: one stopping (and removing the
    then empty parent) does not break the other's next domain."""
    other = Instance("instances-cg", "(cgroup-parent %s)" %
                     inst.cgroup_parent)
    try:
        other.start()
        r = inst.xend("stop")
        check(r.rc == 0, r)
        check(not inst.cgroup_dirs(), "parent not removed")
        other.xm_ok("create", "-p", other.config("after"))
        cg = other.domains()["after"]["sched"]["cgroup"]
        check(cg is not None and os.path.isdir(cg), "no cgroup %r" % cg)
        with open(os.path.join(cg, "cgroup.procs")) as f:
            check(str(other.domains()["after"]["pid"]) in f.read().split(),
                  "QEMU not in %s" % cg)
        other.xm_ok("destroy", "after")
    finally:
        reports = other.close()
    check(not reports, "second instance: sanitizer reports:\n%s" %
          "\n".join(reports))


def list_time(inst, name):
    """Time(s) of name in xm list."""
    out = inst.xm_ok("list").out
    head = out.splitlines()[0].split()
    col = head.index("Time(s)")
    for line in out.splitlines()[1:]:
        f = line.split()
        if f and f[0] == name:
            return float(f[col])
    raise AssertionError("%s not in xm list:\n%s" % (name, out))


def vcpu_seconds(pid):
    """CPU seconds of a QEMU's vCPU threads ("CPU N/TCG"), from /proc."""
    total = 0.0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            if not f.read().startswith("CPU "):
                continue
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf(
            "SC_CLK_TCK")
    return total


def test_xm_list_time_after_start(inst):
    """Right after xend start returns, xm list shows a re-adopted running
    domain's real CPU time, not 0.0 until the first periodic sample."""
    inst.xm_ok("create", inst.config("busy"))
    inst.wait_for(lambda: list_time(inst, "busy") > 0.5, 60,
                  "busy to use some CPU")
    r = inst.xend("stop")
    check(r.rc == 0, r)
    inst.start()
    t = list_time(inst, "busy")
    check(t > 0.5, "xm list right after xend start: Time(s) %.1f" % t)
    # The vCPUs' time, as before the restart: not QEMU's whole process
    # (its main loop too), which would drop once QMP names the vCPUs.
    d = inst.domains()["busy"]
    vcpus = vcpu_seconds(d["pid"])
    check(d["cpu_time"] <= vcpus + 0.001, "cpu_time %.2f right after start "
          "is more than the vCPU threads' %.2f" % (d["cpu_time"], vcpus))
    # And it is the figure the periodic samples go on from.
    time.sleep(1.5)
    later = list_time(inst, "busy")
    check(later >= t, "Time(s) went back from %.1f to %.1f" % (t, later))
    inst.xm_ok("destroy", "busy")


TESTS = [
    ("instances_domain1_vifs", test_two_instances_domain1_vifs, ""),
    ("instances_xend_stop_removes_cgroup", test_xend_stop_removes_cgroup, ""),
    ("instances_shared_cgroup_parent", test_shared_cgroup_parent, ""),
    ("instances_xm_list_time_after_start", test_xm_list_time_after_start, ""),
]
