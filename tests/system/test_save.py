"""
test_save.py: xm save and xm restore (docs/USER-GUIDE.md, "Save and
restore").  A guest prints a counter on its console; after save and restore
the counter goes on from where it was, with no number twice, under a new
domain id whose console port follows it.  Failures (full disk, unwritable
path) leave the domain running and no file; truncated, corrupt, foreign and
incomplete files are refused and leave nothing running or behind.
"""
import glob
import os
import re
import subprocess
import time

from harness import Console, check

COUNTER = ("i=0; while true; do i=$((i+1)); echo CNT$i; "
           "sleep 0.1; done &\r")


def start_counter(inst, name):
    path = inst.config(name)
    c = Console(inst, "create", "-c", path)
    c.login()
    c.send(COUNTER)
    c.expect(r"CNT5\r?\n", 60)
    c.detach()
    return inst.domains()[name]


def counts(text):
    return [int(n) for n in re.findall(r"CNT(\d+)\r?\n", text)]


def check_consecutive(nums, what):
    check(len(nums) > 5, "%s: too few counts %s" % (what, nums[-10:]))
    for a, b in zip(nums, nums[1:]):
        check(b == a + 1, "%s: %d then %d (of %d counts)" %
              (what, a, b, len(nums)))


def console_log(inst, dom):
    with open(os.path.join(dom["dir"], "console.log"), errors="replace") as f:
        return f.read()


def qemu_count(inst):
    return len([p for p in inst.qemu_pids()
                if os.path.exists("/proc/%d" % p)])


def leftovers(d):
    return [f for f in os.listdir(d) if ".tmp." in f]


def test_round_trip(inst):
    """save, restore: new id, console port follows, counter continues."""
    d0 = start_counter(inst, "sv")
    f = os.path.join(inst.tmp, "sv.chk")
    r = inst.xm_ok("save", "sv", f, timeout=180)
    check(re.search(r"saved sv to %s: [0-9.]+ MiB in [0-9.]+ s" %
                    re.escape(f), r.out), r)
    check("sv" not in inst.domains(), inst.domains())
    check(qemu_count(inst) == 0, "qemu left after save")
    check(os.path.getsize(f) > 1 << 20, "file size %d" % os.path.getsize(f))
    check(leftovers(inst.tmp) == [], leftovers(inst.tmp))
    # Not a terminal: plain progress lines on stderr, none after the end.
    check(r.err == "" or r.err.startswith("saving:"), r.err)

    r = inst.xm_ok("restore", f, timeout=180)
    d1 = inst.domains()["sv"]
    check("restored sv as domain %d" % d1["domid"] in r.out, r)
    check(d1["domid"] != d0["domid"], (d0["domid"], d1["domid"]))
    check(d1["console_port"] == inst.port_base + d1["domid"], d1)
    check(d1["status"] in ("running", "blocked"), d1)
    check(d1["config"] == d0["config"], (d0["config"], d1["config"]))
    # The console log goes on in the new domain's dir: the counts before
    # the save, then the restored guest's, none twice, none missing.
    before = counts(console_log(inst, d0) if os.path.exists(d0["dir"])
                    else "")
    check(before == [], "old dir still there: %s" % d0["dir"])
    last = [0]

    def grown():
        n = counts(console_log(inst, d1))
        last[0] = n
        return len(n) > 0 and n[-1] >= 5 + 20
    inst.wait_for(grown, 60, "the counter to go on after restore")
    check_consecutive(last[0], "console log across save and restore")
    check(last[0][0] == 1, "the log lost its start: %s" % last[0][:3])
    inst.xm_ok("destroy", "sv")


def test_checkpoint_and_refusals(inst):
    """save -c keeps the domain; bad files are refused, nothing left."""
    start_counter(inst, "cp")
    f = os.path.join(inst.tmp, "cp.chk")
    inst.xm_ok("save", "-c", "cp", f, timeout=180)
    d = inst.domains()["cp"]
    check(d["status"] in ("running", "blocked"), d)
    n0 = counts(console_log(inst, d))[-1]
    inst.wait_for(lambda: counts(console_log(inst, d))[-1] > n0 + 5, 30,
                  "the counter to go on after a checkpoint")
    # A second restore of the same name is refused: the name is taken.
    r = inst.xm("restore", f)
    check(r.rc == 1 and "domain 'cp' already exists" in r.err, r)
    inst.xm_ok("destroy", "cp")

    data = open(f, "rb").read()

    def variant(name, blob):
        p = os.path.join(inst.tmp, name)
        with open(p, "wb") as out:
            out.write(blob)
        return p
    mid = len(data) // 2
    cases = [
        (variant("trunc.chk", data[:mid]), "truncated save file (%d of %d "
         "bytes)" % (mid, len(data))),
        (variant("empty.chk", b""), "not a save file of xm save"),
        (variant("foreign.chk", b"QEVM\0\0\0\3" + data[8:]),
         "not a save file of xm save"),
        (variant("hdr.chk", data[:8] + b"\7" + data[9:]),
         "corrupt save file (header checksum mismatch)"),
        (variant("meta.chk", data[:60] + bytes([data[60] ^ 1]) +
                 data[61:]), "corrupt save file (meta checksum mismatch)"),
        (variant("stream.chk", data[:mid] + bytes([data[mid] ^ 0x40]) +
                 data[mid + 1:]), "corrupt save file"),
        (variant("part.chk", b"\x89XMPART\n" + data[8:]),
         "incomplete save file"),
    ]
    for path, want in cases:
        r = inst.xm("restore", path, timeout=180)
        check(r.rc == 1 and want in r.err, "%s: %r" % (path, r))
        check("cp" not in inst.domains(), "%s left a domain" % path)
        check(qemu_count(inst) == 0, "%s left a qemu" % path)
        check(os.listdir(os.path.join(inst.state, "domains")) == [],
              "%s left a dir" % path)
    # The good file still restores after all that.
    inst.xm_ok("restore", "-p", f, timeout=180)
    check(inst.domains()["cp"]["status"] == "paused", inst.domains())
    inst.xm_ok("destroy", "cp")


def test_failures_keep_domain(inst):
    """A full disk and an unwritable path: the domain runs on, no file."""
    start_counter(inst, "df")
    full = os.path.join(inst.tmp, "small")
    os.makedirs(full)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", full],
                   check=True)
    try:
        f = os.path.join(full, "df.chk")
        r = inst.xm("save", "df", f, timeout=180)
        check(r.rc == 1 and "%s: No space left on device" % f in r.err, r)
        check(os.listdir(full) == [], os.listdir(full))
    finally:
        subprocess.run(["umount", full], check=True)
    d = inst.wait_for(lambda: inst.domains()["df"]["status"] in
                      ("running", "blocked") and inst.domains()["df"], 10,
                      "df to run again")
    n0 = counts(console_log(inst, d))[-1]
    inst.wait_for(lambda: counts(console_log(inst, d))[-1] > n0 + 5, 30,
                  "the counter to go on after a failed save")
    for bad in ("/proc/no/such/dir/df.chk", "/df-save-test-ro/x"):
        r = inst.xm("save", "df", bad)
        check(r.rc == 1 and bad in r.err, r)
    r = inst.xm("save", "df", os.path.join(inst.tmp, "x", "y"))
    check(r.rc == 1 and "No such file or directory" in r.err, r)
    check(inst.domains()["df"]["status"] in ("running", "blocked"),
          inst.domains())
    check(glob.glob(os.path.join(inst.tmp, "*.tmp.*")) == [], "tmp files")
    inst.xm_ok("destroy", "df")


def test_from_top(inst):
    """xm top: S saves (the progress bar from job.progress, then the end;
    the domain gone), R restores it (the domain back, same name)."""
    from test_top import quit_top, rows, select, start_top, wait_booted
    inst.xm_ok("create", inst.config("tsv"))
    wait_booted(inst, "tsv")
    # A cap of 2% of a CPU on the domain's QEMU (its cgroup) makes the save
    # last seconds, long enough to see the bar whatever the host's load.
    inst.call("domain.sched_credit", dom="tsv", weight=256, cap=2)
    f = os.path.join(inst.tmp, "tsv.chk")
    t = start_top(inst)
    try:
        t.wait_for(r"^tsv\s", 20)
        select(t, "tsv")
        t.send("S")
        scr = t.wait_for(r"save to the file", 10)
        check("/var/lib/xen/save/tsv.chk" in scr, scr)
        check(re.search(r"\[ \] checkpoint", scr), scr)
        t.send("C-u")
        t.type(f)
        t.send("Enter")
        bar = row = None
        end = time.time() + 180
        while time.time() < end:
            scr = t.screen()
            m = re.search(r"save tsv \[[#-]+\]\s+\d+%\s+[0-9.]+/[0-9.]+ "
                          r"MiB\s+[0-9.]+ MiB/s", scr)
            bar = bar or (m and m.group(0))
            r = rows(scr).get("tsv")
            if r and re.search(r"save \d+%", " ".join(r)):
                row = " ".join(r)
            if re.search(r"saved tsv to %s: [0-9.]+ MiB in [0-9.]+ s" %
                         re.escape(f), scr):
                break
            time.sleep(0.05)
        else:
            check(False, "no end of the save on screen:\n%s" % scr)
        check(bar is not None, "no progress bar seen")
        check(row is not None, "the row never said how far the save was")
        t.wait_for(r"^tsv\s", 10, gone=True)
        check("tsv" not in inst.domains(), inst.domains())
        check(os.path.getsize(f) > 1 << 20, "file size %d" %
              os.path.getsize(f))

        t.send("R")
        scr = t.wait_for(r"restore the domain saved in the file", 10)
        check("> /var/lib/xen/save/" in scr, scr)
        t.send("C-u")
        t.type(f)
        t.send("Enter")
        scr = t.wait_for(r"restored tsv as domain \d+", 120)
        t.wait_for(r"^tsv\s+\d+\s", 10)
        d = inst.domains()["tsv"]
        check(d["status"] in ("running", "blocked"), d)
        # A file that is not a save: the error on the status line.
        bad = os.path.join(inst.tmp, "bad.chk")
        with open(bad, "w") as b:
            b.write("not a save file\n")
        t.send("R")
        t.wait_for(r"restore the domain saved in the file", 10)
        t.send("C-u")
        t.type(bad)
        t.send("Enter")
        t.wait_for(r"restore %s: .*%s" % (re.escape(bad), re.escape(bad)),
                   30)
        quit_top(t)
    finally:
        t.kill()


TESTS = [
    ("save_round_trip", test_round_trip, ""),
    ("save_checkpoint_refusals", test_checkpoint_and_refusals, ""),
    ("save_failures_keep_domain", test_failures_keep_domain, ""),
    ("save_from_top", test_from_top, ""),
]
