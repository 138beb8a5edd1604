#!/usr/bin/env python3
"""Boot the demo guest under bare QEMU (no toolstack) and check its contract.

Driven by test-boot.sh. Each scenario starts one QEMU with the serial console
on a unix socket and a QMP socket, logs in over the console, runs commands and
shuts the guest down, checking what QEMU reports. The agent scenario also
gives the guest the control port and balloon xend gives every domain, and
plays the host's side of the control protocol itself. Only the standard
library is used, so it runs on a fresh host.
"""

import argparse
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


class Failure(Exception):
    pass


class Guest:
    """One QEMU process: serial console + QMP, killed by pid on every exit path."""

    def __init__(self, args, name, append, extra=(), no_shutdown=False, disk=None,
                 mem=None, control=False):
        self.args = args
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="guest-test-")
        self.serial_path = os.path.join(self.dir, "serial.sock")
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        self.log_path = os.path.join(self.dir, "serial.log")
        self.buf = b""          # console output not yet consumed by expect()
        self.log = b""          # everything the console printed
        self.events = []
        self.qmp_buf = b""
        self.proc = None
        self.serial = None
        self.qmp = None
        self.ctl = None         # the host's end of the control port
        self.ctl_path = os.path.join(self.dir, "control.sock")
        self.ctl_buf = b""
        self.ctl_lines = []     # complete lines from the guest agent, not yet consumed
        self.ctl_log = []       # every line the agent sent, for failure messages
        img = args.images
        cmd = [
            args.qemu, "-accel", "tcg", "-machine", "pc", "-m", str(mem or args.mem),
            "-nodefaults", "-no-user-config", "-display", "none",
            "-kernel", os.path.join(img, "vmlinuz"),
            "-initrd", os.path.join(img, "initrd.img"),
            "-append", append,
            # The built image is only ever read: read-only like a shared
            # ',r' disk, or a private copy for a read-write scenario.
            "-drive", ("file=%s,if=none,id=d0,format=raw" % disk) if disk else
            ("file=%s,if=none,id=d0,format=raw,readonly=on" % os.path.join(img, "rootfs.ext2")),
            "-device", "virtio-blk-pci,drive=d0,serial=sda1",
            # wait=on: QEMU waits for us before starting the guest, so no
            # console byte is lost and the boot clock starts with the guest.
            "-chardev", "socket,id=con0,path=%s,server=on,wait=on,logfile=%s"
            % (self.serial_path, self.log_path),
            "-serial", "chardev:con0",
            "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
        ]
        if no_shutdown:
            cmd.append("-no-shutdown")
        if control:
            # What xend gives every domain: the agent's port, and a balloon.
            cmd += [
                "-device", "virtio-serial-pci,id=vser0",
                "-chardev", "socket,id=xenctl,path=%s,server=on,wait=off" % self.ctl_path,
                "-device", "virtserialport,bus=vser0.0,chardev=xenctl,name=org.xen.control.0",
                "-device", "virtio-balloon-pci,id=balloon0,deflate-on-oom=on",
            ]
        cmd.extend(extra)
        self.cmd = cmd

    def start(self):
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.serial = self._connect(self.serial_path)
        self.t0 = time.monotonic()
        self.qmp = self._connect(self.qmp_path)
        self._qmp_read_until(lambda m: "QMP" in m, 10)
        self.qmp_command("qmp_capabilities")

    def _connect(self, path):
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                raise Failure("qemu exited early (%d): %s" % (
                    self.proc.returncode, self.proc.stdout.read().decode(errors="replace")))
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                s.setblocking(False)
                return s
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise Failure("cannot connect to %s" % path)
                time.sleep(0.05)

    def close(self):
        for s in (self.serial, self.qmp, self.ctl):
            if s:
                s.close()
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.args.keep:
            print("  [%s] kept %s" % (self.name, self.dir))
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- I/O, one select loop over all the sockets ----------------------------

    def _pump(self, timeout):
        socks = [s for s in (self.serial, self.qmp, self.ctl) if s]
        r, _, _ = select.select(socks, [], [], max(0, timeout))
        for s in r:
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                data = b""      # QEMU went away: same as end of file
            if not data:
                if s is self.serial:
                    self.serial = None
                elif s is self.ctl:
                    self.ctl.close()
                    self.ctl = None
                else:
                    self.qmp = None
                continue
            if s is self.ctl:
                self.ctl_buf += data
                while b"\n" in self.ctl_buf:
                    line, self.ctl_buf = self.ctl_buf.split(b"\n", 1)
                    line = line.decode(errors="replace")
                    self.ctl_lines.append(line)
                    self.ctl_log.append(line)
                    if self.args.verbose:
                        sys.stdout.write("[control] guest: %s\n" % line)
                continue
            if s is self.serial:
                self.buf += data
                self.log += data
                if self.args.verbose:
                    sys.stdout.write(data.decode(errors="replace"))
                    sys.stdout.flush()
            else:
                self.qmp_buf += data
                while b"\n" in self.qmp_buf:
                    line, self.qmp_buf = self.qmp_buf.split(b"\n", 1)
                    if line.strip():
                        msg = json.loads(line)
                        if "event" in msg:
                            self.events.append(msg)
                        else:
                            self.qmp_replies.append(msg)

    qmp_replies = None

    def _qmp_read_until(self, pred, timeout):
        if self.qmp_replies is None:
            self.qmp_replies = []
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.qmp_replies):
                if pred(m):
                    return self.qmp_replies.pop(i)
            if time.monotonic() > deadline or self.qmp is None:
                raise Failure("no QMP reply")
            self._pump(deadline - time.monotonic())

    def qmp_command(self, name, **arguments):
        msg = {"execute": name}
        if arguments:
            msg["arguments"] = arguments
        self.qmp.setblocking(True)
        self.qmp.sendall(json.dumps(msg).encode() + b"\n")
        self.qmp.setblocking(False)
        reply = self._qmp_read_until(lambda m: "return" in m or "error" in m, 10)
        if "error" in reply:
            raise Failure("QMP %s: %s" % (name, reply["error"]))
        return reply["return"]

    def expect(self, pattern, timeout, what=None):
        """Wait for regex on the console; consume output up to the match."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0 or self.serial is None:
                raise Failure("timed out waiting for %s; console tail:\n%s" % (
                    what or pattern, self.log[-1500:].decode(errors="replace")))
            self._pump(min(left, 0.5))

    def send(self, text):
        self.serial.setblocking(True)
        self.serial.sendall(text.encode())
        self.serial.setblocking(False)

    def run(self, command, timeout=15):
        """Run a shell command; return its output."""
        tag = "%d" % (time.monotonic() * 1000)
        # Markers are typed as __beg_''TAG so the terminal's echo of the
        # command line (which line editing may wrap and redraw) never matches.
        self.send("echo __beg_''%s; %s; echo __end_''%s\r" % (tag, command, tag))
        self.expect(r"__beg_%s\r?\n" % tag, timeout, "start of %r" % command)
        m = self.expect(r"([\s\S]*?)__end_%s" % tag, timeout, "output of %r" % command)
        return m.group(1).decode(errors="replace").replace("\r", "").strip()

    # -- the host's side of the control port ------------------------------------

    def ctl_connect(self):
        """Connect as the host (xend) does: QEMU is the server, wait=off."""
        self.ctl_buf = b""
        self.ctl = self._connect(self.ctl_path)

    def ctl_disconnect(self):
        self.ctl.close()
        self.ctl = None

    def ctl_send(self, line):
        if self.args.verbose:
            sys.stdout.write("[control] host: %s\n" % line)
        self.ctl.setblocking(True)
        self.ctl.sendall(line.encode() + b"\n")
        self.ctl.setblocking(False)

    def ctl_next(self, timeout, what="a line"):
        """The next line the agent sends."""
        deadline = time.monotonic() + timeout
        while not self.ctl_lines:
            left = deadline - time.monotonic()
            if left <= 0 or self.ctl is None:
                raise Failure("no %s from the agent within %ds (it sent %r); console tail:\n%s" % (
                    what, timeout, self.ctl_log[-10:], self.log[-1500:].decode(errors="replace")))
            self._pump(min(left, 0.5))
        return self.ctl_lines.pop(0)

    def ctl_expect(self, line, timeout):
        got = self.ctl_next(timeout, repr(line))
        if got != line:
            raise Failure("agent sent %r, expected %r (all: %r)" % (got, line, self.ctl_log[-10:]))

    def ctl_quiet(self, seconds):
        """Nothing more from the agent for a while."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.ctl_lines:
            self._pump(deadline - time.monotonic())
        if self.ctl_lines:
            raise Failure("agent sent unexpected %r" % self.ctl_lines)

    def wait_output(self, command, want, timeout):
        """Run command in the guest until its output is want."""
        deadline = time.monotonic() + timeout
        while True:
            out = self.run(command)
            if out == want:
                return
            if time.monotonic() > deadline:
                raise Failure("%r shows %r, expected %r" % (command, out, want))
            time.sleep(0.3)

    def wait_event(self, name, timeout):
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events:
                if e["event"] == name:
                    self.events.remove(e)
                    return e
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("no %s event within %ds; console tail:\n%s" % (
                    name, timeout, self.log[-1500:].decode(errors="replace")))
            if self.serial is None and self.qmp is None:
                raise Failure("qemu closed its sockets before %s" % name)
            self._pump(min(left, 0.5))

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise Failure("qemu still running %ds after guest shutdown" % timeout)
            if self.serial or self.qmp:
                self._pump(0.2)
            else:
                time.sleep(0.1)
        return self.proc.returncode

    def login(self, hostname, timeout):
        m = self.expect(r"(\S+) login: ", timeout, "login prompt")
        took = time.monotonic() - self.t0
        got = m.group(1).decode(errors="replace")
        if got != hostname:
            raise Failure("login prompt shows hostname %r, expected %r" % (got, hostname))
        self.send("root\r")
        self.expect(r"Password: ", 10, "password prompt")
        self.send("root\r")
        self.expect(re.escape(hostname) + r":~# ", 10, "shell prompt after login")
        return took


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def scenario_basic(args):
    """Xen-style root=/dev/sda1 on a disk with serial=sda1, ACPI power button."""
    g = Guest(args, "basic", "console=ttyS0 root=/dev/sda1 ro")
    try:
        g.start()
        took = g.login("ttylinux", args.boot_timeout)
        out = g.run("ls /dev/sda1; hostname; echo OK")
        check(out.split("\n") == ["/dev/sda1", "ttylinux", "OK"],
              "unexpected output of 'ls /dev/sda1; hostname; echo OK': %r" % out)
        mounts = g.run("grep ' / ' /proc/mounts")
        check(re.search(r"^/dev/\S+ / ext[24] ro[, ]", mounts, re.M),
              "root not mounted read-only ext2: %r" % mounts)
        mem = g.run("free | sed -n 2p")
        check(mem.startswith("Mem:"), "free does not work: %r" % mem)
        # Graceful shutdown: the ACPI power button (xm shutdown) must power the
        # guest off through init, not just stop QEMU.
        g.qmp_command("system_powerdown")
        t = time.monotonic()
        ev = g.wait_event("SHUTDOWN", 30)
        check(ev.get("data", {}).get("reason") == "guest-shutdown",
              "SHUTDOWN was not a guest poweroff: %r" % ev)
        check(b"Shutting down..." in g.log, "rcK did not run on power button")
        rc = g.wait_exit(15)
        check(rc == 0, "qemu exit status %d" % rc)
        return took, time.monotonic() - t
    finally:
        g.close()


def scenario_network(args):
    """ip= static configuration, hostname from ip=, -no-shutdown, shell poweroff."""
    g = Guest(args, "network",
              "console=ttyS0 root=/dev/sda1 ro ip=10.0.0.2::10.0.0.1:255.255.255.0:vm1:eth0:off",
              extra=["-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"],
              no_shutdown=True)
    try:
        g.start()
        took = g.login("vm1", args.boot_timeout)
        addr = g.run("ip -4 -o addr show dev eth0")
        check("inet 10.0.0.2/24" in addr, "eth0 not configured from ip=: %r" % addr)
        route = g.run("ip route show default")
        check("default via 10.0.0.1 dev eth0" in route, "no default route from ip=: %r" % route)
        check(g.run("hostname") == "vm1", "hostname not taken from ip=")
        # `poweroff` at the shell; with -no-shutdown QEMU stays, paused in
        # shutdown state, as xend runs it.
        g.send("poweroff\r")
        ev = g.wait_event("SHUTDOWN", 30)
        check(ev.get("data", {}).get("reason") == "guest-shutdown",
              "SHUTDOWN was not a guest poweroff: %r" % ev)
        status = g.qmp_command("query-status")
        check(status.get("status") == "shutdown", "after poweroff QEMU is %r" % status)
        g.qmp_command("quit")
        g.wait_exit(10)
        return took
    finally:
        g.close()


def scenario_reboot(args):
    """reboot at the shell resets the machine and the guest comes back."""
    g = Guest(args, "reboot", "console=ttyS0 root=/dev/sda1 ro hostname=again")
    try:
        g.start()
        took = g.login("again", args.boot_timeout)
        g.send("reboot\r")
        g.wait_event("RESET", 30)
        g.login("again", args.boot_timeout)
        g.send("poweroff\r")
        g.wait_event("SHUTDOWN", 30)
        g.wait_exit(15)
        return took
    finally:
        g.close()


def scenario_rw(args):
    """root=... rw on a writable disk: writes persist, power button leaves it clean."""
    work = tempfile.mkdtemp(prefix="guest-rw-")
    disk = os.path.join(work, "rootfs.ext2")
    shutil.copyfile(os.path.join(args.images, "rootfs.ext2"), disk)
    g = Guest(args, "rw", "console=ttyS0 root=/dev/sda1 rw", disk=disk)
    try:
        g.start()
        took = g.login("ttylinux", args.boot_timeout)
        g.run("echo persisted >/root/rw-test; sync")
        g.qmp_command("system_powerdown")
        g.wait_event("SHUTDOWN", 30)
        g.wait_exit(15)
        fsck = subprocess.run(["e2fsck", "-fn", disk], capture_output=True, text=True)
        check(fsck.returncode == 0, "image not clean after power button:\n" + fsck.stdout)
        cat = subprocess.run(["debugfs", "-R", "cat /root/rw-test", disk],
                             capture_output=True, text=True)
        check(cat.stdout.strip() == "persisted", "write did not persist: %r" % cat.stdout)
        return took
    finally:
        g.close()
        shutil.rmtree(work, ignore_errors=True)


def free_mem(g):
    """total, used, available MiB from the guest's `free -m`."""
    line = g.run("free -m | sed -n 2p").split()
    check(line and line[0] == "Mem:", "free -m: %r" % line)
    return int(line[1]), int(line[2]), int(line[6])


def scenario_agent(args):
    """The control agent on org.xen.control.0, vCPU hot(un)plug, the memory
    target file, host reconnects, agent restarts, and the balloon."""
    g = Guest(args, "agent", "console=ttyS0 root=/dev/sda1 ro", mem=160, control=True,
              extra=["-smp", "2"])
    mt = "/run/xen/memory_target"
    try:
        g.start()
        # Connected before the guest is up, as xend does.
        g.ctl_connect()
        g.ctl_expect("hello 1", args.boot_timeout)
        g.ctl_expect("cpus_online 0-1", 10)
        g.ctl_send("memory_target 160")
        took = g.login("ttylinux", args.boot_timeout)
        g.wait_output("cat %s" % mt, "160", 10)
        g.wait_output("cat /proc/xen/memory_target", "160", 10)
        ls = g.run("ls -l /proc/xen/memory_target %s /dev/virtio-ports/org.xen.control.0" % mt)
        check(re.search(r"^-rw-r--r-- +1 root +root .*/proc/xen/memory_target$", ls, re.M),
              "/proc/xen/memory_target is not root's 0644: %r" % ls)
        check(re.search(r"%s -> /proc/xen/memory_target$" % mt, ls, re.M),
              "%s is not a link to /proc/xen/memory_target: %r" % (mt, ls))
        check(re.search(r"org\.xen\.control\.0 -> \.\./vport\d+p\d+$", ls, re.M),
              "no /dev/virtio-ports name: %r" % ls)

        # vCPUs: down to one, back to two, clamped at both ends, query.
        cpu1 = "cat /sys/devices/system/cpu/cpu1/online"
        g.ctl_send("vcpus 1")
        g.ctl_expect("cpus_online 0", 10)
        check(g.run(cpu1) == "0", "cpu1 still online after vcpus 1")
        g.ctl_send("vcpus 2")
        g.ctl_expect("cpus_online 0-1", 10)
        check(g.run(cpu1) == "1", "cpu1 not back online after vcpus 2")
        g.ctl_send("vcpus 0")
        g.ctl_expect("cpus_online 0", 10)
        g.ctl_send("vcpus 8")
        g.ctl_expect("cpus_online 0-1", 10)
        g.ctl_send("query\r")                   # CRLF is fine too
        g.ctl_expect("cpus_online 0-1", 10)
        # A change made in the guest is reported too.
        g.run("echo 0 >/sys/devices/system/cpu/cpu1/online")
        g.ctl_expect("cpus_online 0", 10)
        g.run("echo 1 >/sys/devices/system/cpu/cpu1/online")
        g.ctl_expect("cpus_online 0-1", 10)

        # The memory target: from the host, and from the owner in the guest.
        g.ctl_send("memory_target 96")
        g.wait_output("cat %s" % mt, "96", 10)
        g.ctl_send("bogus message")             # ignored
        g.run("echo 80 >%s" % mt)
        g.ctl_expect("memory_target 80", 10)
        g.ctl_send("error above maxmem")
        g.wait_output("cat %s" % mt, "96", 10)
        log = g.run("cat /run/xen/agent.log")
        check("above maxmem" in log, "refusal not logged: %r" % log)
        # Not a number, or out of range (16 to the RAM booted with): the
        # write fails at once, nothing is sent.
        out = g.run("echo lots >%s; echo rc=$?" % mt)
        check("write error: Invalid argument" in out and "rc=1" in out,
              "a write of 'lots' did not fail: %r" % out)
        out = g.run("echo 161 >/proc/xen/memory_target; echo rc=$?")
        check("write error: Numerical result out of range" in out and "rc=1" in out,
              "a write of 161 (above 160) did not fail: %r" % out)
        out = g.run("echo 15 >/proc/xen/memory_target; echo rc=$?")
        check("out of range" in out and "rc=1" in out,
              "a write of 15 (below 16) did not fail: %r" % out)
        g.wait_output("cat %s" % mt, "96", 10)
        g.ctl_quiet(1)

        # xend restarts: the agent keeps going, greets the next connection
        # and sends what the owner asked for meanwhile.
        g.ctl_disconnect()
        time.sleep(1)
        g.run("echo 90 >%s" % mt)
        g.ctl_connect()
        g.ctl_expect("hello 1", 10)
        g.ctl_expect("cpus_online 0-1", 10)
        g.ctl_expect("memory_target 90", 10)
        g.ctl_send("memory_target 90")
        g.wait_output("cat %s" % mt, "90", 10)
        g.ctl_send("query")
        g.ctl_expect("cpus_online 0-1", 10)

        # The agent killed outright: init restarts it, the target stays.
        g.run("kill -9 $(cat /run/xen/agent.pid)")
        g.ctl_expect("hello 1", 15)
        g.ctl_expect("cpus_online 0-1", 10)
        g.wait_output("cat %s" % mt, "90", 10)
        g.ctl_send("vcpus 1")
        g.ctl_expect("cpus_online 0", 10)
        g.ctl_send("vcpus 2")
        g.ctl_expect("cpus_online 0-1", 10)
        n = g.run("ps -o pid,args | grep -c '[x]en-agent'")
        check(n == "2", "expected agent + reader after the restart, ps shows %s" % n)

        # The balloon: 160 -> 96 MiB. With deflate-on-oom (as xend runs it)
        # the driver keeps the pages in MemTotal, so free shows them as used.
        check(g.run("lsmod | grep -c '^virtio_balloon '") == "1", "virtio_balloon not loaded")
        before = free_mem(g)
        g.qmp_command("balloon", value=96 << 20)
        deadline = time.monotonic() + 30
        while True:
            actual = g.qmp_command("query-balloon")["actual"] >> 20
            if actual <= 100:
                break
            check(time.monotonic() < deadline, "balloon stuck at %d MiB" % actual)
            time.sleep(0.5)
        time.sleep(0.5)
        after = free_mem(g)
        taken = (before[0] - after[0]) + (after[1] - before[1])
        check(taken >= 48 and before[2] - after[2] >= 48,
              "free -m does not show the balloon: before %r, after %r" % (before, after))
        g.qmp_command("balloon", value=160 << 20)

        g.qmp_command("system_powerdown")
        t = time.monotonic()
        g.wait_event("SHUTDOWN", 30)
        down = time.monotonic() - t
        g.wait_exit(15)
        print("  [agent] balloon 96 MiB: query-balloon %d MiB; free -m total/used/available "
              "%d/%d/%d -> %d/%d/%d" % ((actual,) + before + after))
        return took, down
    finally:
        g.close()


SCENARIOS = {"basic": scenario_basic, "network": scenario_network, "reboot": scenario_reboot,
             "rw": scenario_rw, "agent": scenario_agent}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--images", required=True)
    ap.add_argument("--mem", type=int, default=128)
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--boot-timeout", type=int, default=60)
    ap.add_argument("--only", action="append", choices=sorted(SCENARIOS))
    ap.add_argument("--keep", action="store_true", help="keep temp dirs (console logs)")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo the console")
    args = ap.parse_args()

    # SIGTERM/SIGINT unwind through the finally blocks, so QEMU is killed.
    def bail(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, bail)
    signal.signal(signal.SIGHUP, bail)

    names = args.only or ["basic", "network", "reboot", "rw", "agent"]
    failed = 0
    for run in range(1, args.runs + 1):
        for name in names:
            t = time.monotonic()
            try:
                res = SCENARIOS[name](args)
            except Failure as e:
                failed += 1
                print("FAIL run %d %s: %s" % (run, name, e))
                continue
            if isinstance(res, tuple):
                detail = "login prompt after %.2fs, power button to SHUTDOWN %.2fs" % res
            else:
                detail = "login prompt after %.2fs" % res
            print("ok   run %d %-8s %s (total %.1fs)" % (run, name, detail, time.monotonic() - t))
            sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
