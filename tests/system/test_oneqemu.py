"""
test_oneqemu.py: one QEMU per domain, whatever happens to xend.

A kill -9 of xend during create, destroy, reboot, rename-then-restart and
shutdown (a short run of tests/fault/kill_xend.py: 5 iterations each,
10 of create), a lost runtime record, a stray QEMU at destroy, and a
state disk too full for the records.
"""
import json
import os
import subprocess
import sys
import time

from harness import check

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "fault"))
import kill_xend  # noqa: E402

# Creates are cheap (paused guests): more of them.
ITERATIONS = {"create": 10}


def kill_loop(op):
    def test(inst):
        notes = []
        c = kill_xend.run_iterations(inst, op, ITERATIONS.get(op, 5),
                                     int(time.time()), log=notes.append)
        check(c.total() == 0, "%s: %s\n%s" % (op, c.as_dict(),
                                              "\n".join(c.notes)))
    return test


def test_lost_record_adopts(inst):
    """A QEMU whose runtime.json is gone is found by its domain dir and
    re-adopted; no second QEMU is started beside it."""
    inst.xm_ok("create", "-p", inst.config("norecord"))
    d = inst.domains()["norecord"]
    check(inst.xend("stop").rc == 0, "xend stop")
    os.unlink(os.path.join(d["dir"], "runtime.json"))
    inst.start()
    # Without its record xend cannot know it was created paused: a QEMU
    # still in prelaunch is started, as after a kill during any create.
    inst.wait_for(lambda: inst.domains().get("norecord", {}).get("status")
                  in ("running", "blocked", "paused"), 15, "re-adopted")
    time.sleep(1)
    q = kill_xend.qemus(inst)
    check(list(q) == [d["pid"]], "qemus %s, was pid %d" % (q, d["pid"]))
    check(inst.domains()["norecord"]["pid"] == d["pid"], inst.domains())
    check("found by its domain dir" in inst.xm_ok("dmesg").out, "dmesg")
    inst.xm_ok("destroy", "norecord")
    check(kill_xend.qemus(inst) == {}, "qemu left after destroy")


def test_destroy_ends_stray(inst):
    """xm destroy ends every QEMU that names the domain's dir, not only
    the one xend records (here a copy of its command line)."""
    inst.xm_ok("create", "-p", inst.config("strayed"))
    d = inst.domains()["strayed"]
    with open("/proc/%d/cmdline" % d["pid"], "rb") as f:
        argv = [a.decode() for a in f.read().split(b"\0")[:-1]]
    stray = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL,
                             start_new_session=True)
    try:
        inst.wait_for(lambda: stray.pid in kill_xend.qemus(inst), 10,
                      "the stray qemu")
        inst.xm_ok("destroy", "strayed")
        time.sleep(0.5)
        check(kill_xend.qemus(inst) == {}, "left after xm destroy: %s" %
              kill_xend.qemus(inst))
        check("ending stray qemu pid %d" % stray.pid in
              inst.xm_ok("dmesg").out, "dmesg")
    finally:
        if stray.poll() is None:
            stray.kill()
        stray.wait()


def test_full_state_disk(inst):
    """A create whose records cannot be written fails and leaves no QEMU;
    a later xend stop and start starts none either."""
    check(inst.xend("stop").rc == 0, "xend stop")
    # A private tmpfs as the state dir, small enough to fill.
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700",
                        "xt-oneqemu", inst.state], capture_output=True,
                       text=True)
    check(r.returncode == 0, "mount: %r" % r.stderr)
    try:
        inst.start()
        cfg = inst.config("full")
        # next-domid and logs/ exist from then on, as on any used host.
        inst.xm_ok("create", "-p", cfg)
        inst.xm_ok("destroy", "full")
        # One page left: config.json fits, runtime.json (the record that
        # names the QEMU) does not.
        fill = os.path.join(inst.state, "fill")
        st = os.statvfs(inst.state)
        with open(fill, "wb") as f:
            f.write(b"\0" * ((st.f_bavail - 2) * st.f_frsize))
        n = 0
        while os.statvfs(inst.state).f_bavail > 1:
            with open("%s.%d" % (fill, n), "wb") as f:
                f.write(b"x")
            n += 1
        r = inst.xm("create", "-p", cfg)
        time.sleep(0.5)
        after_create = kill_xend.qemus(inst)
        listed = sorted(inst.domains())
        # With room again, xend stop and start must not add a QEMU.
        for f in os.listdir(inst.state):
            if f.startswith("fill"):
                os.unlink(os.path.join(inst.state, f))
        check(inst.xend("stop").rc == 0, "xend stop")
        inst.start()
        time.sleep(2)
        after_restart = kill_xend.qemus(inst)
        check(r.rc != 0 and "runtime.json" in r.err and
              after_create == {} and after_restart == {} and
              listed == ["Domain-0"],
              "create %r; qemus after it %s, listed %s; after xend stop "
              "and start %s" % (r, after_create, listed, after_restart))
        inst.xm_ok("create", "-p", cfg)
        check(len(kill_xend.qemus(inst)) == 1, kill_xend.qemus(inst))
        inst.xm_ok("destroy", "full")
        check(kill_xend.qemus(inst) == {}, "qemu left after destroy")
    finally:
        for n in list(inst.domains()):
            if n != "Domain-0":
                inst.xm("destroy", n)
        inst.xend("stop")
        for p in kill_xend.qemus(inst):
            os.kill(p, 9)
        for _ in range(50):
            if subprocess.run(["umount", inst.state]).returncode == 0:
                break
            time.sleep(0.1)


def test_old_name_adopted(inst):
    """A domain an older xend accepted under a name today's rule refuses
    ('-old') keeps its QEMU across an xend restart: adopted with a warning,
    and it can be renamed (xm rename -- -old NEW)."""
    inst.xm_ok("create", "-p", inst.config("oldname"))
    d = inst.domains()["oldname"]
    check(inst.xend("stop").rc == 0, "xend stop")
    path = os.path.join(d["dir"], "config.json")
    with open(path) as f:
        c = json.load(f)
    c["name"] = "-old"
    with open(path, "w") as f:
        json.dump(c, f)
    inst.start()
    doms = inst.domains()
    check("-old" in doms and doms["-old"]["pid"] == d["pid"], doms)
    check(list(kill_xend.qemus(inst)) == [d["pid"]], kill_xend.qemus(inst))
    check("adopted under a name no longer accepted" in
          inst.xm_ok("dmesg").out, "no dmesg note")
    inst.xm_ok("rename", "--", "-old", "renamed")
    check(inst.domains()["renamed"]["pid"] == d["pid"], inst.domains())
    inst.xm_ok("destroy", "renamed")
    check(kill_xend.qemus(inst) == {}, "qemu left after destroy")


def rr_records(d, name, state=None, restart_as=None):
    """Leaves d's records as an xend killed during its rename-restart
    would: preserved after a crash, named name, restart_as recorded
    (without restart_as: only renamed)."""
    path = os.path.join(d["dir"], "config.json")
    with open(path) as f:
        c = json.load(f)
    c["name"] = name
    with open(path, "w") as f:
        json.dump(c, f)
    path = os.path.join(d["dir"], "runtime.json")
    with open(path) as f:
        rt = json.load(f)
    rt["name"] = name
    if restart_as is not None:
        rt.update(state=state, preserved=True, restart_as=restart_as,
                  shutdown_reason="crash")
    with open(path, "w") as f:
        json.dump(rt, f)


def test_rename_restart_resumed(inst):
    """on_crash = 'rename-restart' keeps the crashed domain as NAME-1 and
    starts NAME again; an xend killed (-9) between the two steps (before
    the rename, or after it but before the create: the records such a kill
    leaves, written here as xend writes them) finishes the restart when it
    starts again.  Before, the intent was not recorded: the domain stayed
    preserved and NAME was not started."""
    cfg = inst.config("rr", on_crash="'rename-restart'")
    inst.xm_ok("create", "-p", cfg)
    d = inst.domains()["rr"]
    os.kill(d["pid"], 9)
    inst.wait_for(lambda: {"rr", "rr-1"} <= set(inst.domains()), 20,
                  "rr-1 kept and rr started")
    doms = inst.domains()
    check(doms["rr-1"]["domid"] == d["domid"] and
          doms["rr"]["domid"] != d["domid"], doms)
    # The new rr's QEMU "crashes" while xend is being killed, in both of
    # the windows in turn.
    for left_as, want in (("rr-2", "rr-2"), ("rr", "rr-2")):
        d = inst.domains()["rr"]
        kill_xend.kill_xend(inst)
        os.kill(d["pid"], 9)
        rr_records(d, left_as, "crashed", "rr")
        inst.start()
        inst.wait_for(lambda: "rr" in inst.domains() and
                      inst.domains()["rr"]["domid"] != d["domid"], 20,
                      "rr started again (left as %s)" % left_as)
        doms = inst.domains()
        check(doms[want]["domid"] == d["domid"] and
              "c" in doms[want]["state"], (left_as, doms))
        check("domain %s (%d): finishing its rename-restart as rr" %
              (left_as, d["domid"]) in inst.xm_ok("dmesg").out, "dmesg")
        with open(os.path.join(d["dir"], "runtime.json")) as f:
            check("restart_as" not in json.load(f), "intent left")
        inst.xm_ok("destroy", want)
    # After the create, before the intent was cleared: the new rr is
    # there (here another domain, renamed so), and no second one starts.
    inst.xm_ok("create", "-p", inst.config("rrx"))
    d, x = inst.domains()["rr"], inst.domains()["rrx"]
    kill_xend.kill_xend(inst)
    os.kill(d["pid"], 9)
    rr_records(d, "rr-2", "crashed", "rr")
    rr_records(x, "rr")
    inst.start()
    inst.wait_for(lambda: "domain rr-2 (%d): finishing its rename-restart"
                  % d["domid"] in inst.xm_ok("dmesg").out, 20,
                  "the intent looked at")
    time.sleep(1)
    doms = inst.domains()
    check(sorted(doms) == ["Domain-0", "rr", "rr-1", "rr-2"] and
          doms["rr"]["domid"] == x["domid"] and
          doms["rr-2"]["domid"] == d["domid"], doms)
    for n in list(doms):
        if n != "Domain-0":
            inst.xm_ok("destroy", n)
    check(kill_xend.qemus(inst) == {}, "qemu left after destroy")


TESTS = [("oneqemu_kill_xend_" + op, kill_loop(op), kill_xend.EXTRA)
         for op in kill_xend.OPS] + [
    ("oneqemu_lost_record_adopts", test_lost_record_adopts, ""),
    ("oneqemu_rename_restart_resumed", test_rename_restart_resumed, ""),
    ("oneqemu_destroy_ends_stray", test_destroy_ends_stray, ""),
    ("oneqemu_full_state_disk", test_full_state_disk, ""),
    ("oneqemu_old_name_adopted", test_old_name_adopted, ""),
]
