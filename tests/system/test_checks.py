"""System tests for what xm create checks before QEMU runs (console ports,
kernels, disks, ramdisks, memory, leftover taps), for QEMU arguments with
commas in them, and for a full state or console log disk."""
import json
import os
import re
import shutil
import socket
import subprocess
import time

from harness import IMAGES, Console, check, pids_naming
from consolelib import RawClient, read_logs
from test_consoled import boot, consoles, unix_path


def qemu_running(inst):
    """QEMU processes of this instance (by its paths on their command line)."""
    return pids_naming(inst.tmp, qemu_only=True)


def check_nothing_left(inst, what):
    """No domain, QEMU, domain dir or temporary record is left."""
    check(set(inst.domains()) == {"Domain-0"}, "%s: a domain is listed" % what)
    inst.wait_for(lambda: qemu_running(inst) == [], 10,
                  "%s: no QEMU left" % what)
    dd = os.path.join(inst.state, "domains")
    inst.wait_for(lambda: not os.path.isdir(dd) or os.listdir(dd) == [], 10,
                  "%s: no domain dir left (%s)" % (what, os.listdir(dd)))
    for top, _, files in os.walk(inst.state):
        for f in files:
            check(".tmp." not in f, "%s: %s left in %s" % (what, f, top))


def listener(port=0, addr="127.0.0.1"):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    return s


def port_free(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def test_console_ports(inst):
    """console = PORT: privileged, another program's and another domain's
    ports are refused with the reason and take no domain id; a default
    port (console-port-base + id) held elsewhere passes that id over;
    (console-privileged-ports yes) allows a port below 1024."""
    base = inst.port_base
    r = inst.xm("create", inst.config("p22", console="22"))
    check(r.rc == 1 and "console port 22 is privileged (below 1024); set "
          "(console-privileged-ports yes) in xend-config.sxp to allow it"
          in r.err, r)
    held = listener()
    try:
        port = held.getsockname()[1]
        r = inst.xm("create", inst.config("held", console=str(port)))
        check(r.rc == 1 and "console port %d is in use on 127.0.0.1 by "
              "another program" % port in r.err, r)
        check_nothing_left(inst, "refused ports")
        # The refusals took no id: the first domain is 1.
        check(base + 150 != port and port_free(base + 150), "port busy")
        r = inst.xm_ok("create", "-p", inst.config("VM5",
                                                   console=str(base + 150)))
        vm5 = inst.domains()["VM5"]
        check(vm5["domid"] == 1 and vm5["console_port"] == base + 150, vm5)
        r = inst.xm("create", inst.config("other", console=str(base + 150)))
        check(r.rc == 1 and "console port %d is already used by domain VM5"
              % (base + 150) in r.err, r)
        inst.xm_ok("create", "-p", inst.config("dflt"))
        dflt = inst.domains()["dflt"]
        check(dflt["domid"] == 2 and dflt["console_port"] == base + 2, dflt)
        r = inst.xm("create", inst.config("other", console=str(base + 2)))
        check(r.rc == 1 and "console port %d is already used by domain dflt"
              % (base + 2) in r.err, r)
    finally:
        held.close()
    # Another program holds the next id's default port: that id is passed
    # over, and the console is where xm list says.
    busy = listener(base + 3)
    try:
        inst.xm_ok("create", "-p", inst.config("skip"))
        d = inst.domains()["skip"]
        check(d["domid"] == 4 and d["console_port"] == base + 4, d)
        r = inst.xm_ok("dmesg")
        check("domain id 3 passed over: console port %d is in use on "
              "127.0.0.1 by another program" % (base + 3) in r.out, r.out)
    finally:
        busy.close()
    # So is an id whose default port another domain has as its own.
    inst.xm_ok("create", "-p", inst.config("ex", console=str(base + 6)))
    check(inst.domains()["ex"]["domid"] == 5, inst.domains()["ex"])
    inst.xm_ok("create", "-p", inst.config("after"))
    d = inst.domains()["after"]
    check(d["domid"] == 7 and d["console_port"] == base + 7, d)
    # (From xend: xm list shows a port only while xenconsoled listens.)
    ports = [d["console_port"] for d in inst.domains().values()
             if d["domid"] != 0]
    check(len(ports) == len(set(ports)) == 5, "console ports %s" % ports)
    # A graphical domain: its VNC port (vnc-port-base + id) too.
    busy = listener(base + 100 + 8)
    try:
        inst.xm_ok("create", "-p", inst.config("gfx", vnc="1",
                                               vncpasswd="'secret'"))
        d = inst.domains()["gfx"]
        check(d["domid"] == 9 and d["vnc_port"] == base + 109, d)
        check("domain id 8 passed over: VNC port %d is in use on 127.0.0.1 "
              "by another program" % (base + 108) in inst.xm_ok("dmesg").out,
              "no dmesg note")
    finally:
        busy.close()
    for name in ("VM5", "dflt", "skip", "ex", "after", "gfx"):
        inst.xm_ok("destroy", name)
    check_nothing_left(inst, "destroyed")
    # xenconsoled serves the port; a create right after the destroy of
    # the domain that had it gets it again (xenconsoled has let it go).
    inst.start_consoled()
    for _ in range(3):
        inst.xm_ok("create", "-p", inst.config("again",
                                               console=str(base + 150)))
        inst.wait_for(lambda: consoles(inst).get("again", {}).get(
            "listening"), 10, "xenconsoled on port %d" % (base + 150))
        inst.xm_ok("destroy", "again")
    inst.stop_consoled()
    # Allowed, a port below 1024 is the domain's.
    with open(os.path.join(inst.conf, "xend-config.sxp"), "a") as f:
        f.write("(console-privileged-ports yes)\n")
    inst.xend("stop")
    inst.start()
    port = next(p for p in range(1000, 900, -1) if port_free(p))
    inst.xm_ok("create", "-p", inst.config("low", console=str(port)))
    check(inst.domains()["low"]["console_port"] == port, inst.domains())
    inst.xm_ok("destroy", "low")


def test_files_memory_taps(inst):
    """A non-kernel, a missing or non-block phy: disk, a ramdisk that is
    not a file, maxmem beyond the host and a leftover tap are refused
    before QEMU runs, take no domain id and leave nothing behind."""
    cases = [
        (dict(kernel='"/etc/passwd"'),
         "kernel /etc/passwd is not a Linux kernel image (no bzImage "
         "header)"),
        (dict(kernel='"/etc/passwd"', ramdisk=None),
         "kernel /etc/passwd is not a Linux kernel image (no bzImage "
         "header)"),
        (dict(disk="['phy:xt-nosuchdisk,sda1,r']"),
         "disk 'phy:/dev/xt-nosuchdisk,sda1,r': /dev/xt-nosuchdisk: No "
         "such file or directory"),
        (dict(disk="['phy:/etc/passwd,sda1,r']"),
         "disk 'phy:/etc/passwd,sda1,r': /etc/passwd is not a block "
         "device"),
        (dict(ramdisk='"%s"' % inst.tmp),
         "ramdisk %s is not a regular file" % inst.tmp),
        (dict(ramdisk='"/nonexistent/initrd"'),
         "ramdisk /nonexistent/initrd: No such file or directory"),
    ]
    with open("/proc/meminfo") as f:
        total = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1)) // 1024
    cases.append((dict(maxmem=str(total + 4096)),
                  "maxmem = %d MB is more than this host's" % (total + 4096)))
    for over, want in cases:
        r = inst.xm("create", inst.config("chk", **over))
        check(r.rc == 1 and want in r.err, "%s: %r" % (over, r))
        check_nothing_left(inst, str(over))
    tap = inst.vif(1)
    subprocess.run(["ip", "tuntap", "add", "dev", tap, "mode", "tap"],
                   check=True)
    try:
        r = inst.xm("create", inst.config("chk", nics="1", ip='""'))
        check(r.rc == 1 and "network interface %s (domain 1's vif 0) "
              "already exists; remove it ('ip link delete %s') and create "
              "again" % (tap, tap) in r.err, r)
        check_nothing_left(inst, "leftover tap")
    finally:
        subprocess.run(["ip", "link", "delete", tap])
    with open(inst.log) as f:
        check("qemu pid" not in f.read(), "a QEMU was started")
    # None of that took an id.
    inst.xm_ok("create", "-p", inst.config("good", nics="1", ip='""'))
    check(inst.domains()["good"]["domid"] == 1, inst.domains())
    inst.xm_ok("destroy", "good")


def test_comma_paths(inst):
    """A kernel and ramdisk whose paths hold commas boot (-kernel and
    -initrd take a path whole; only option lists double commas)."""
    d = os.path.join(inst.tmp, "boot,images")
    os.makedirs(d)
    kernel = os.path.join(d, "vmlinuz,1")
    ramdisk = os.path.join(d, "initrd,1.img")
    shutil.copy(os.path.join(IMAGES, "vmlinuz"), kernel)
    shutil.copy(os.path.join(IMAGES, "initrd.img"), ramdisk)
    cfg = inst.config("comma", kernel='"%s"' % kernel,
                      ramdisk='"%s"' % ramdisk)
    con = Console(inst, "create", cfg, "-c")
    try:
        con.expect(r"Started domain comma", 30)
        con.login()
        con.send("echo comma-$((6*7))\r")
        con.expect(r"comma-42", 10)
        check(con.detach() == 0, "detach exit code")
    finally:
        con.kill()
    pid = inst.domains()["comma"]["pid"]
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        argv = f.read().split(b"\0")
    check(argv[argv.index(b"-kernel") + 1] == kernel.encode() and
          argv[argv.index(b"-initrd") + 1] == ramdisk.encode(), argv)
    inst.xm_ok("destroy", "comma")


# -- a full disk ---------------------------------------------------------------

def mount_tmpfs(path, kib):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dk" % kib,
                    "xt-checks", path], check=True)


def avail(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(path, leave):
    """Fills the file system at path up to leave bytes free (a running
    guest's log may take a page meanwhile: then try again)."""
    filler = os.path.join(path, "filler")
    for _ in range(5):
        if os.path.exists(filler):
            os.unlink(filler)
        size = avail(path) - leave
        try:
            with open(filler, "wb") as f:
                if size > 0:
                    os.posix_fallocate(f.fileno(), 0, size)
        except OSError:
            continue
        if avail(path) == leave:
            return
    check(False, "%s: %d free, not %d" % (path, avail(path), leave))


def unfill(path):
    os.unlink(os.path.join(path, "filler"))


def state_on_tmpfs(inst, kib):
    """Restarts the instance's xend with its state dir on a small tmpfs."""
    inst.xend("stop")
    shutil.rmtree(inst.state)
    mount_tmpfs(inst.state, kib)
    inst.start()


def teardown(inst, *mounts):
    try:
        for name in list(inst.domains()):
            if name != "Domain-0":
                inst.xm("destroy", name)
    finally:
        inst.stop_consoled()
    inst.xend("stop")
    for m in mounts:
        subprocess.run(["umount", "-l", m])


def test_full_state_disk(inst):
    """With 0, 4 or 8 KiB free on the state dir, xm create fails with the
    reason (never "Started"), kills the QEMU it started and leaves no domain
    dir or half-written record; ids are not taken; with room it works."""
    state_on_tmpfs(inst, 512)
    try:
        cfg = inst.config("full")
        for leave in (0, 4096):
            fill(inst.state, leave)
            r = inst.xm("create", "-p", cfg)
            check(r.rc == 1 and "No space left on device" in r.err and
                  "Started" not in r.out, "%d free: %r" % (leave, r))
            check_nothing_left(inst, "%d bytes free" % leave)
        unfill(inst.state)
        r = inst.xm_ok("create", "-p", cfg)
        check("Started domain full (id 1)" in r.out, r)
        inst.xm_ok("destroy", "full")
        # Room for the first records but not for the next: the create
        # still fails rather than report a domain it cannot keep.
        fill(inst.state, 8192)
        r = inst.xm("create", "-p", cfg)
        check(r.rc == 1 and "No space left on device" in r.err and
              "Started" not in r.out, "8 KiB free: %r" % r)
        check_nothing_left(inst, "8 KiB free")
        unfill(inst.state)
        inst.xm_ok("create", cfg)
        inst.wait_for(lambda: inst.domains()["full"]["state"] in
                      ("r-----", "-b----"), 30, "full running")
    finally:
        teardown(inst, inst.state)


def console_row(inst, name):
    st = inst.xenconsoled("status")
    check(st.rc == 0, st)
    head = st.out.splitlines()[1].split()
    row = [l.split() for l in st.out.splitlines() if l.startswith(name + " ")]
    check(len(row) == 1, st.out)
    return dict(zip(head, row[0]))


def test_full_console_disks(inst):
    """The state disk full: QEMU's console log loses what the guest writes
    and xenconsoled says how much (LogLost); the console log disk full:
    errors and the bytes behind are counted, and once there is room the
    log catches up with QEMU's byte for byte."""
    logs = os.path.join(inst.tmp, "logfs")
    state_on_tmpfs(inst, 1024)
    mount_tmpfs(logs, 1024)
    try:
        d = boot(inst, "cf")
        ctl = RawClient.connect(unix_path(inst, d))
        ctl.login()
        ctl.run("echo one-$((0+1))", "one-1")
        # The state disk fills: the client still sees everything.
        fill(inst.state, 0)
        ctl.run("seq 1 3000 >/dev/ttyS0; echo lost-$((3*3))", "lost-9", 60)
        inst.wait_for(lambda: consoles(inst)["cf"]["log_lost"] > 0, 10,
                      "lost bytes counted")
        time.sleep(1.5)     # counted once QEMU's output has settled
        row = console_row(inst, "cf")
        check(int(row["LogLost"]) > 0, row)
        lost = consoles(inst)["cf"]["log_lost"]
        unfill(inst.state)
        # The log disk fills: counted, and caught up once there is room.
        fill(logs, 0)
        ctl.run("seq 1 3000 >/dev/ttyS0; echo behind-$((4*4))", "behind-16",
                60)
        inst.wait_for(lambda: consoles(inst)["cf"]["log_errors"] > 0, 10,
                      "log errors counted")
        info = consoles(inst)["cf"]
        check(info["log_behind"] > 0, info)
        row = console_row(inst, "cf")
        check(int(row["LogErr"]) > 0 and int(row["LogBehind"]) > 0, row)
        unfill(logs)
        qlog = d["console_log"]

        def complete():
            with open(qlog, "rb") as f:
                return read_logs(logs, "cf") == f.read()
        inst.wait_for(complete, 20, "the log to catch up")
        info = consoles(inst)["cf"]
        check(info["log_behind"] == 0 and info["log_lost"] == lost, info)
        check(b"behind-16" in read_logs(logs, "cf"), "marker not logged")
        ctl.close()
    finally:
        teardown(inst, logs, inst.state)


TESTS = [
    ("checks-console-ports", test_console_ports, ""),
    ("checks-files-memory-taps", test_files_memory_taps, ""),
    ("checks-comma-paths", test_comma_paths, ""),
    ("checks-full-state-disk", test_full_state_disk, ""),
    ("checks-full-console-disks", test_full_console_disks,
     "(console-log-dir @TMP@/logfs)"),
]
