"""System tests for memory and CPU control: balloon, maxmem, vCPUs,
pinning and the schedulers' cgroups, with real TCG guests."""
import json
import os
import re

from harness import Console, check


def guest_sh(con, cmd, marker, timeout=20):
    """Runs cmd in a logged-in guest shell; returns its output."""
    con.send("%s; echo %s-$((1+1))\r" % (cmd, marker))
    m = con.expect(r"([\s\S]*?)%s-2" % marker, timeout)
    return m.group(1).decode(errors="replace")


def vcpu_set_seen(inst, con, dom, n, path, want, marker):
    """xm vcpu-set DOM N, then the guest's file path must read want."""
    inst.xm_ok("vcpu-set", dom, str(n), timeout=30)
    out = guest_sh(con, "cat /sys/devices/system/cpu/" + path, marker)
    check(re.search(r"^%s\s*$" % re.escape(want), out, re.M), out)


def thread_affinity(pid, tid):
    with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
        for line in f:
            if line.startswith("Cpus_allowed_list:"):
                return line.split(":", 1)[1].strip()
    return None


def test_balloon_and_maxmem(inst):
    """mem-set down and up with xm list and the guest following."""
    cfg = inst.config("bal", maxmem="160")
    con = Console(inst, "create", "-c", cfg)
    try:
        con.login()
        d = inst.domains()["bal"]
        check(d["memory_target"] == 96 and d["maxmem"] == 160, d)
        inst.wait_for(lambda: abs(inst.domains()["bal"]["memory"] - 96) <= 2,
                      20, "balloon at boot target")
        # With deflate-on-oom the kernel keeps MemTotal and counts the
        # balloon's pages as used.
        used0 = int(re.search(r"Mem:\s+\d+\s+(\d+)",
                              guest_sh(con, "free -m", "m0")).group(1))
        r = inst.xm_ok("mem-set", "-w", "bal", "64", timeout=60)
        check("bal:" in r.out, r.out)
        row = [l for l in inst.xm_ok("list").out.splitlines()
               if l.startswith("bal ")][0]
        check(abs(int(row.split()[2]) - 64) <= 2, row)
        used1 = int(re.search(r"Mem:\s+\d+\s+(\d+)",
                              guest_sh(con, "free -m", "m1")).group(1))
        check(used1 >= used0 + 25, "guest uses %d MB (was %d): balloon not "
              "seen" % (used1, used0))
        # Growing past the boot memory, up to maxmem.
        inst.xm_ok("mem-set", "-w", "bal", "150", timeout=60)
        check(abs(inst.domains()["bal"]["memory"] - 150) <= 2, "grew")
        r = inst.xm("mem-set", "bal", "200")
        check(r.rc == 1 and "above maxmem 160 MB" in r.err, r)
        r = inst.xm("mem-max", "bal", "300")
        check(r.rc == 1 and "only up to 160 MB" in r.err, r)
        # maxmem below the target (150), or below 16 MB, is refused and
        # nothing changes; xend used to bring the target down with it.
        for mb, why in (("100", "maxmem 100 MB is below the memory target "
                         "150 MB of bal; lower the target with xm mem-set "
                         "first"),
                        ("8", "maxmem 8 MB is below the minimum of 16 MB"),
                        ("0", "maxmem 0 MB is below the minimum of 16 MB")):
            r = inst.xm("mem-max", "bal", mb)
            check(r.rc == 1 and r.out == "" and
                  r.err == "xm mem-max: %s\n" % why, r)
        r = inst.xm("mem-set", "bal", "0")
        check(r.rc == 1 and "memory target 0 MB is below the minimum of 16 "
              "MB" in r.err, r)
        d = inst.domains()["bal"]
        check(d["maxmem"] == 160 and d["memory_target"] == 150, d)
        # The manual's way: shrink it, then keep it from growing back.
        inst.xm_ok("mem-set", "-w", "bal", "100", timeout=60)
        inst.xm_ok("mem-max", "bal", "100")
        d = inst.domains()["bal"]
        check(d["maxmem"] == 100 and d["memory_target"] == 100, d)
        r = inst.xm_ok("list", "-l", "bal")
        check("(memory_target 100)" in r.out and "(maxmem 100)" in r.out,
              r.out)
        con.detach()
    finally:
        con.kill()
    inst.xm_ok("destroy", "bal")


def test_memory_target_in_guest(inst):
    """The manual's self-service memory target file, honouring maxmem."""
    cfg = inst.config("self", maxmem="128")
    con = Console(inst, "create", "-c", cfg)
    try:
        con.login()
        inst.wait_for(lambda: inst.domains()["self"].get("agent"), 20,
                      "guest agent")
        out = guest_sh(con, "cat /run/xen/memory_target", "t0")
        check("96" in out, out)
        guest_sh(con, "echo 80 > /run/xen/memory_target", "t1")
        inst.wait_for(lambda: inst.domains()["self"]["memory_target"] == 80,
                      10, "target set from inside the guest")
        guest_sh(con, "echo 500 > /run/xen/memory_target", "t2")
        out = inst.wait_for(lambda: "80" in guest_sh(
            con, "cat /run/xen/memory_target", "t3") and "ok", 10,
            "file back at the accepted target")
        check(inst.domains()["self"]["memory_target"] == 80, "refused 500")
        con.detach()
    finally:
        con.kill()
    inst.xm_ok("destroy", "self")


def test_host_admission(inst):
    """A domain the host cannot hold beside dom0-min-mem is refused."""
    r = inst.xm("create", inst.config("fat"))
    check(r.rc == 1 and "not enough host memory for 96 MB" in r.err, r)
    check(inst.qemu_pids() == [], "qemu left behind")


def test_vcpus_pin_and_set(inst):
    """vcpu-pin seen on the host threads, vcpu-set seen in the guest."""
    cfg = inst.config("cpus", vcpus="2", cpus='"0"')
    con = Console(inst, "create", "-c", cfg)
    try:
        con.login()
        d = inst.domains()["cpus"]
        vl = inst.call("domain.vcpu_list", dom="cpus")
        check(len(vl) == 2, vl)
        # The config's cpus applies to every vCPU thread.
        for v in vl:
            check(thread_affinity(d["pid"], v["thread"]) == "0", v)
        ncpu = os.cpu_count()
        if ncpu > 1:
            inst.xm_ok("vcpu-pin", "cpus", "1", "1")
            check(thread_affinity(d["pid"], vl[1]["thread"]) == "1", "pin")
            r = inst.xm_ok("vcpu-list", "cpus")
            rows = [l.split() for l in r.out.splitlines()[1:]]
            check(rows[1][-1] == "1" and rows[0][-1] == "0", r.out)
        r = inst.xm("vcpu-pin", "cpus", "0", "99")
        check(r.rc == 1 and "CPU 99 does not exist" in r.err, r)
        r = inst.xm("vcpu-pin", "cpus", "5", "0")
        check(r.rc == 1 and "has vCPUs 0-1" in r.err, r)
        out = guest_sh(con, "grep -c ^processor /proc/cpuinfo", "c0")
        check(re.search(r"^2\s*$", out, re.M), out)
        inst.wait_for(lambda: inst.domains()["cpus"].get("agent"), 20,
                      "guest agent")
        vcpu_set_seen(inst, con, "cpus", 1, "cpu1/online", "0", "c1")
        check(inst.domains()["cpus"]["vcpus_online"] == "0", "online list")
        r = inst.xm_ok("vcpu-list", "cpus")
        check(" off " in r.out, r.out)
        r = inst.xm("vcpu-set", "cpus", "3")
        check(r.rc == 1 and "1 to 2 vCPUs" in r.err, r)
        vcpu_set_seen(inst, con, "cpus", 2, "cpu1/online", "1", "c2")
        con.detach()
    finally:
        con.kill()
    # Pinning survives a restart of xend.
    inst.xend("stop")
    inst.start()
    inst.wait_for(lambda: inst.domains()["cpus"]["state"] != "------", 10,
                  "re-adopted")
    vl = inst.call("domain.vcpu_list", dom="cpus")
    check(vl[0]["affinity"] == "0", vl)
    inst.xm_ok("destroy", "cpus")


def test_maxvcpus(inst):
    """maxvcpus: vcpus online at boot, vcpu-set up to maxvcpus."""
    r = inst.xm("create", inst.config("mvbad", vcpus="2", maxvcpus="1"))
    check(r.rc == 1 and "maxvcpus: must be at least vcpus (2), got 1" in
          r.err, r)
    con = Console(inst, "create", "-c", inst.config("mv", vcpus="1",
                                                    maxvcpus="2"))
    try:
        con.login()
        out = guest_sh(con, "cat /sys/devices/system/cpu/present "
                       "/sys/devices/system/cpu/online", "m0")
        check(re.search(r"^0-1\s*\n0\s*$", out, re.M), out)
        check(len(inst.call("domain.vcpu_list", dom="mv")) == 2, "vcpus")
        inst.wait_for(lambda: inst.domains()["mv"].get("agent"), 20,
                      "guest agent")
        vcpu_set_seen(inst, con, "mv", 2, "online", "0-1", "m1")
        check(inst.domains()["mv"]["vcpus_online"] == "0-1", "online list")
        r = inst.xm("vcpu-set", "mv", "3")
        check(r.rc == 1 and "mv can have 1 to 2 vCPUs online (its "
              "maxvcpus), not 3" in r.err, r)
        vcpu_set_seen(inst, con, "mv", 1, "online", "0", "m2")
        con.detach()
    finally:
        con.kill()
    inst.xm_ok("destroy", "mv")


def cg_read(path):
    with open(path) as f:
        return f.read().strip()


def test_sched_credit_cgroup(inst):
    """Weight and cap land in the domain's cgroup and persist."""
    inst.xm_ok("create", "-p", inst.config("sch"))
    d = inst.domains()["sch"]
    cg = d["sched"]["cgroup"]
    check(cg and os.path.isdir(cg), d["sched"])
    check(str(d["pid"]) in cg_read(cg + "/cgroup.procs"), "qemu in cgroup")
    inst.xm_ok("sched-credit", "-d", "sch", "-w", "512", "-c", "25")
    v1 = os.path.exists(cg + "/cpu.shares")
    if v1:
        check(cg_read(cg + "/cpu.shares") == "2048", "shares")
        check(cg_read(cg + "/cpu.cfs_quota_us") == "25000", "quota")
    else:
        check(cg_read(cg + "/cpu.weight") == "200", "weight")
        check(cg_read(cg + "/cpu.max") == "25000 100000", "max")
    r = inst.xm_ok("sched-credit", "-d", "sch")
    check(r.out.splitlines()[1].split() == ["sch", "512", "25"], r.out)
    r = inst.xm("sched-credit", "-d", "sch", "-w", "0")
    check(r.rc == 1 and "weight must be 1 to 65535" in r.err, r)
    # Kept across a restart of xend and a reboot of the domain.
    inst.xend("stop")
    inst.start()
    inst.xm_ok("unpause", "sch")
    inst.xm_ok("reboot", "-w", "sch", timeout=90)
    r = inst.xm_ok("sched-credit", "-d", "sch")
    check(r.out.splitlines()[1].split() == ["sch", "512", "25"], r.out)
    if v1:
        check(cg_read(cg + "/cpu.shares") == "2048", "shares after restart")
    r = inst.xm_ok("list", "-l", "sch")
    check("(weight 512)" in r.out and "(cap 25)" in r.out, r.out)
    # sedf replaces the cap with slice/period.
    inst.xm_ok("sched-sedf", "sch", "100", "30")
    if v1:
        check(cg_read(cg + "/cpu.cfs_quota_us") == "30000", "sedf quota")
        check(cg_read(cg + "/cpu.cfs_period_us") == "100000", "sedf period")
    r = inst.xm("sched-sedf", "sch", "10", "30")
    check(r.rc == 1 and "longer than the period" in r.err, r)
    r = inst.xm("bvt", "sch", "20", "0", "0", "0", "0")
    check(r.rc == 0 and inst.call("domain.sched_credit", dom="sch")
          ["weight"] == 128, r)
    r = inst.xm("bvt", "sch", "10", "1", "5", "5", "5")
    check(r.rc == 1 and "warping has no counterpart" in r.err, r)
    r = inst.xm("rrobin", "5")
    check(r.rc == 2 and "no counterpart" in r.err, r)
    inst.xm_ok("destroy", "sch")
    check(not os.path.exists(cg), "cgroup left behind")


def credit_files(cg):
    """The cgroup files credit's weight and cap become, on v1 or v2."""
    if os.path.exists(cg + "/cpu.shares"):
        return (cg_read(cg + "/cpu.shares"), cg_read(cg + "/cpu.cfs_quota_us"))
    return (cg_read(cg + "/cpu.weight"), cg_read(cg + "/cpu.max"))


def check_credit(h, name, weight, cap, files):
    """What xm says and what the cgroup holds for domain name in h."""
    r = h.xm_ok("sched-credit", "-d", name)
    check(r.out.splitlines()[1].split() == [name, str(weight), str(cap)],
          r.out)
    r = h.xm_ok("list", "-l", name)
    check("(cpu_weight %d)" % weight in r.out and
          ("(cpu_cap %d)" % cap in r.out) == (cap != 0), r.out)
    d = h.domains()[name]
    check(d["config"]["cpu_weight"] == weight and
          d["config"]["cpu_cap"] == cap, d["config"])
    if files is not None:
        got = credit_files(d["sched"]["cgroup"])
        check(got == files, (got, files))


def test_sched_credit_config(inst):
    """cpu_weight and cpu_cap: the cgroup xm sched-credit would make, one
    value that sched-credit changes, kept across an xend restart, a save
    and restore and a migration."""
    from test_migrate import Hosts
    inst.xm_ok("create", "-p", inst.config("cw", cpu_weight="512",
                                           cpu_cap="30"))
    inst.xm_ok("create", "-p", inst.config("cs"))
    inst.xm_ok("sched-credit", "-d", "cs", "-w", "512", "-c", "30")
    want = credit_files(inst.domains()["cs"]["sched"]["cgroup"])
    inst.xm_ok("destroy", "cs")
    check_credit(inst, "cw", 512, 30, want)
    # sched-credit changes the config's value: the one there is.
    inst.xm_ok("sched-credit", "-d", "cw", "-w", "1024")
    inst.xm_ok("create", "-p", inst.config("cs", cpu_weight="1024",
                                           cpu_cap="30"))
    want = credit_files(inst.domains()["cs"]["sched"]["cgroup"])
    inst.xm_ok("destroy", "cs")
    check_credit(inst, "cw", 1024, 30, want)
    inst.xend("stop")
    inst.start()
    check_credit(inst, "cw", 1024, 30, want)
    # A record of an xend that kept them in runtime.json: into the config.
    dd = inst.domains()["cw"]["dir"]
    inst.xend("stop")
    for name, edit in (("config.json", lambda j: (j.pop("cpu_weight"),
                                                  j.pop("cpu_cap"))),
                       ("runtime.json", lambda j: j["sched"].update(
                           weight=700, cap=20))):
        with open(os.path.join(dd, name)) as fp:
            j = json.load(fp)
        edit(j)
        with open(os.path.join(dd, name), "w") as fp:
            json.dump(j, fp)
    inst.start()
    check_credit(inst, "cw", 700, 20, None)
    inst.xm_ok("sched-credit", "-d", "cw", "-w", "1024", "-c", "30")
    check_credit(inst, "cw", 1024, 30, want)
    f = os.path.join(inst.tmp, "cw.chk")
    inst.xm_ok("save", "cw", f, timeout=180)
    inst.xm_ok("restore", f, timeout=180)
    check_credit(inst, "cw", 1024, 30, want)
    h = Hosts(inst)
    try:
        # b runs in a namespace without /sys/fs/cgroup: a v2 tree of its
        # own to write to.
        with open(os.path.join(h.b.conf, "xend-config.sxp"), "a") as f:
            f.write("(cgroup-layout v2)\n(cgroup-root %s/cg2)\n" % h.b.tmp)
        check(h.b.xend("stop").rc == 0, "xend stop in b")
        h.start("b", h.b)
        r = inst.xm("migrate", "cw", h.ip["b"], "-p", h.port(h.b),
                    timeout=180)
        check(r.rc == 0, r)
        check_credit(h.b, "cw", 1024, 30, ("400", "30000 100000"))
        h.b.xm_ok("destroy", "cw")
    finally:
        h.close()


def test_sched_cgroup_v2_layout(inst):
    """The v2 files (cpu.weight, cpu.max) in a cgroup v2 layout tree."""
    inst.xm_ok("create", "-p", inst.config("v2"))
    cg = inst.domains()["v2"]["sched"]["cgroup"]
    check(cg.startswith(inst.tmp + "/cg2/"), cg)
    check(cg_read(cg + "/cpu.weight") == "100", "default weight")
    check(cg_read(cg + "/cpu.max") == "max 100000", "default max")
    inst.xm_ok("sched-credit", "-d", "v2", "-w", "1024", "-c", "150")
    check(cg_read(cg + "/cpu.weight") == "400", "weight")
    check(cg_read(cg + "/cpu.max") == "150000 100000", "max")
    check("+cpu" in cg_read(os.path.dirname(cg) + "/cgroup.subtree_control"),
          "controller enabled for the domains")
    inst.xm_ok("destroy", "v2")


TESTS = [
    ("host_admission", test_host_admission, "(dom0-min-mem %d)" %
     (os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20 - 50)),
    ("sched_credit_cgroup", test_sched_credit_cgroup, ""),
    ("sched_credit_config", test_sched_credit_config, ""),
    ("sched_cgroup_v2_layout", test_sched_cgroup_v2_layout,
     "(cgroup-layout v2)\n(cgroup-root @TMP@/cg2)"),
    ("balloon_and_maxmem", test_balloon_and_maxmem, ""),
    ("memory_target_in_guest", test_memory_target_in_guest, ""),
    ("vcpus_pin_and_set", test_vcpus_pin_and_set, ""),
    ("maxvcpus", test_maxvcpus, ""),
]
