"""System tests for xend and xm: real daemons, real TCG guests."""
import json
import os
import signal
import subprocess
import time

from harness import (BIN, IMAGES, SCRIPTS, TOP, Console, Instance, check,
                     TestFailure)


def running_pid(inst, name):
    return inst.domains()[name]["pid"]


def test_manual_ttylinux_walkthrough(inst):
    """The manual's walk-through: create -c, log in, xm list, shutdown."""
    cfg = inst.config("ttylinux", nics="1", ip='""')
    # As scripts/setup has it: xm list shows a port xenconsoled listens on.
    inst.start_consoled()
    con = Console(inst, "create", cfg, "-c")
    try:
        con.expect(r"Started domain ttylinux", 30)
        con.login()
        con.send("ls /dev/sda1; hostname; echo walk-$((6*7))\r")
        con.expect(r"/dev/sda1", 10)
        con.expect(r"walk-42", 10)
        check(con.detach() == 0, "detach exit code")
    finally:
        con.kill()
    r = inst.xm_ok("list")
    lines = r.out.splitlines()
    check(lines[0].split() == ["Name", "Id", "Mem(MB)", "VCPUs", "CPU",
                               "State", "Time(s)", "Console"], lines[0])
    check(lines[1].startswith("Domain-0 "), lines[1])
    row = [l for l in lines if l.startswith("ttylinux ")]
    check(len(row) == 1, r.out)
    f = row[0].split()
    domid = int(f[1])
    check(f[2] == "96" and f[3] == "1", row[0])
    check(f[5] in ("r-----", "-b----"), "state %s" % f[5])
    check(int(f[7]) == inst.port_base + domid, "console port %s" % f[7])
    inst.xm_ok("shutdown", "-w", "ttylinux", timeout=90)
    check("ttylinux" not in inst.domains(), "still listed after shutdown -w")
    check(inst.qemu_pids() == [], "qemu left behind")


def test_lifecycle_commands(inst):
    """create -p, pause/unpause, rename, domid/domname, uptime, destroy."""
    cfg = inst.config("life")
    r = inst.xm_ok("create", "-p", cfg)
    check("Started domain life" in r.out, r.out)
    d = inst.domains()["life"]
    check(d["state"] == "--p---", d["state"])
    domid = d["domid"]
    check(inst.xm_ok("domid", "life").out.strip() == str(domid), "domid")
    check(inst.xm_ok("domname", str(domid)).out.strip() == "life", "domname")
    # domain.list config false: the figures without each config object.
    full = {x["name"]: x for x in inst.call("domain.list")}
    brief = {x["name"]: x for x in inst.call("domain.list", config=False)}
    check("config" in full["life"] and "config" not in brief["life"] and
          brief["life"]["memory"] == full["life"]["memory"], brief["life"])
    # The same by name; the config, when asked, is an object, never null.
    named = inst.call("domain.list", doms=["life"], config=False)
    check(len(named) == 1 and "config" not in named[0], named)
    check(isinstance(inst.call("domain.list", doms=["life"])[0]["config"],
                     dict) and
          isinstance(inst.call("domain.get", dom="life")["config"], dict),
          "config missing when asked")
    r = inst.xm("call", "domain.list", '{"config": 1}')
    check(r.rc == 1 and "config: expected true or false" in r.err, r)
    inst.xm_ok("unpause", "life")
    check(inst.domains()["life"]["state"] in ("r-----", "-b----"), "unpaused")
    r = inst.xm("unpause", "life")
    check(r.rc == 1 and "life is not paused" in r.err, r)
    inst.xm_ok("pause", str(domid))
    check(inst.domains()["life"]["state"] == "--p---", "paused by id")
    r = inst.xm("pause", "life")
    check(r.rc == 1 and "already paused" in r.err, r)
    inst.xm_ok("unpause", "life")
    inst.xm_ok("rename", "life", "life2")
    check(set(inst.domains()) == {"Domain-0", "life2"}, "renamed")
    r = inst.xm("rename", "life2", "Domain-0")
    check(r.rc == 1 and "invalid domain name" in r.err, r)
    r = inst.xm_ok("uptime", "life2")
    check(r.out.splitlines()[0].split() == ["Name", "Id", "Uptime"], r.out)
    check("life2" in r.out, r.out)
    r = inst.xm_ok("list", "-l", "life2")
    check(r.out.startswith("(domain") and "(name life2)" in r.out and
          "(kernel " in r.out and "(dev sda1)" in r.out, r.out)
    inst.xm_ok("destroy", "life2")
    check("life2" not in inst.domains(), "destroyed")
    r = inst.xm("destroy", "life2")
    check(r.rc == 1 and "domain 'life2' does not exist" in r.err, r)
    r = inst.xm("destroy", "0")
    check(r.rc == 1 and "Domain-0" in r.err, r)
    check(inst.qemu_pids() == [], "qemu left behind")


def test_host_commands(inst):
    """info, dmesg, log, call, help, prefixes, unavailable commands."""
    r = inst.xm_ok("info")
    keys = dict(l.split(":", 1) for l in r.out.splitlines())
    check(keys["accel               "].strip() == "tcg", r.out)
    check(int(keys["nr_cpus             "]) >= 1, r.out)
    r = inst.xm_ok("dmesg")
    check("accel tcg" in r.out, r.out)
    r = inst.xm_ok("log", "-n", "5")
    check(len(r.out.splitlines()) == 5, r.out)
    r = inst.xm_ok("call", "api.ops")
    check("domain.create" in r.out, r.out)
    r = inst.xm("call", "no.such.op")
    check(r.rc == 1 and "unknown op 'no.such.op'" in r.err, r)
    r = inst.xm_ok("li")  # unique prefix of list
    check(r.out.startswith("Name"), r.out)
    r = inst.xm("d")
    check(r.rc == 2 and "ambiguous command 'd'" in r.err, r)
    r = inst.xm("frobnicate")
    check(r.rc == 2 and "unknown command 'frobnicate'" in r.err, r)
    r = inst.xm("rrobin", "x", "y")
    check(r.rc == 2 and "not available in this version" in r.err, r)
    r = inst.xm_ok("help")
    check("create" in r.out and "shutdown" in r.out, r.out)
    r = inst.xm_ok("help", "create")
    check("--dryrun" in r.out, r.out)
    r = inst.xm("list", "--bogus")
    check(r.rc == 2 and "unknown option --bogus" in r.err, r)
    r = inst.xend("status")
    check(r.rc == 0 and "running" in r.out, r)


def test_bad_configs(inst):
    """Errors name file:line, exit non-zero and leave nothing behind."""
    bad = os.path.join(inst.conf, "bad1")
    with open(bad, "w") as f:
        f.write('name = "bad1"\nmemory = 64 +\nkernel = "/x"\n')
    r = inst.xm("create", bad)
    check(r.rc == 1 and "bad1:2:" in r.err, r)
    cfg = inst.config("bad2", kernel='"/nonexistent/vmlinuz"')
    r = inst.xm("create", cfg)
    check(r.rc == 1 and "/nonexistent/vmlinuz" in r.err, r)
    cfg = inst.config("bad3", memory='"lots"')
    r = inst.xm("create", cfg)
    check(r.rc == 1 and "memory" in r.err, r)
    cfg = inst.config("bad4", frobnicate='"x"')
    r = inst.xm("create", "-n", cfg)
    check(r.rc == 0 and "frobnicate" in r.err and "warning" in r.err, r)
    r = inst.xm("create", "/no/such/config")
    check(r.rc == 1 and "/no/such/config" in r.err, r)
    check(set(inst.domains()) == {"Domain-0"}, "a domain was left")
    check(inst.qemu_pids() == [], "qemu left behind")
    dd = os.path.join(inst.state, "domains")
    check(not os.path.isdir(dd) or os.listdir(dd) == [], "state left")


def test_dryrun_sxp_and_vmid(inst):
    """create -n prints SXP; -F creates from it; xmexample2 with vmid."""
    r = inst.xm_ok("create", "-n", os.path.join(TOP, "examples", "xmexample2"),
                   "vmid=3")
    check("(name VM3)" in r.out, r.out)
    sxp = os.path.join(inst.tmp, "vm.sxp")
    r = inst.xm_ok("create", "-n", inst.config("sxpdom"))
    with open(sxp, "w") as f:
        f.write(r.out)
    r = inst.xm_ok("create", "-F", sxp, "-p")
    d = inst.domains()["sxpdom"]
    check(d["config"]["memory"] == 96 and d["state"] == "--p---", d)
    inst.xm_ok("destroy", "sxpdom")
    # A name already in use is refused.
    inst.xm_ok("create", "-p", inst.config("dup"))
    r = inst.xm("create", inst.config("dup"))
    check(r.rc == 1 and "already exists" in r.err, r)
    inst.xm_ok("destroy", "dup")


def test_config_description_and_schema(inst):
    """A key added as one schema entry: config file -> create -> list -l."""
    cfg = inst.config("noted", description='"web server, rack 4"')
    r = inst.xm_ok("create", "-n", cfg)
    check("(description 'web server, rack 4')" in r.out, r.out)
    inst.xm_ok("create", "-p", cfg)
    r = inst.xm_ok("list", "-l", "noted")
    check("(description 'web server, rack 4')" in r.out, r.out)
    d = inst.domains()["noted"]
    check(d["config"]["description"] == "web server, rack 4", d["config"])
    inst.xm_ok("destroy", "noted")
    # The schema the keys come from, for a form that edits configs.
    schema = inst.call("config.schema")
    keys = {k["name"]: k for k in schema["keys"]}
    check(keys["description"]["type"] == "string" and
          keys["memory"]["min"] == 16 and keys["cpu"]["see"] == "cpus" and
          "vnclisten" in schema["ignored"] and
          keys["vncunused"]["builders"] == ["hvm"], schema)
    # A CPU list that leaves no CPU is refused before anything starts.
    r = inst.xm("create", inst.config("nocpu", cpus='"0,^0"'))
    check(r.rc == 1 and "cpus: expected a CPU list" in r.err, r)
    check("nocpu" not in inst.domains(), "nocpu created")


def test_restart_policies(inst):
    """on_reboot restart keeps the id; on_poweroff preserve keeps it 's'."""
    cfg = inst.config("pol", on_poweroff='"preserve"', on_reboot='"restart"')
    inst.xm_ok("create", cfg)
    domid = inst.domains()["pol"]["domid"]
    inst.xm_ok("reboot", "-w", "pol", timeout=120)
    d = inst.domains()["pol"]
    check(d["domid"] == domid and d["restart_count"] == 1, d)
    inst.wait_for(lambda: inst.domains()["pol"]["state"] in ("r-----", "-b----"),
                  10, "running again")
    inst.xm_ok("shutdown", "-w", "pol", timeout=120)
    d = inst.domains()["pol"]
    check(d["state"] == "---s--" and d["shutdown_reason"] == "poweroff", d)
    inst.xm_ok("destroy", "pol")
    check(inst.qemu_pids() == [], "qemu left behind")


def test_crash_detection(inst):
    """kill -9 of QEMU is a crash; on_crash decides; restart loops stop."""
    cfg = inst.config("crashy", on_crash='"preserve"')
    inst.xm_ok("create", "-p", cfg)
    pid = running_pid(inst, "crashy")
    os.kill(pid, signal.SIGKILL)
    inst.wait_for(lambda: inst.domains()["crashy"]["state"] == "----c-", 10,
                  "crashed state")
    check(inst.domains()["crashy"]["shutdown_reason"] == "crash", "reason")
    inst.xm_ok("destroy", "crashy")

    cfg = inst.config("phoenix", on_crash='"restart"')
    inst.xm_ok("create", "-p", cfg)
    pids = [running_pid(inst, "phoenix")]
    # restart-limit is 2 in this instance: the third crash is preserved.
    for i in range(3):
        os.kill(pids[-1], signal.SIGKILL)
        if i < 2:
            inst.wait_for(lambda: inst.domains()["phoenix"]["pid"] not in pids
                          and inst.domains()["phoenix"]["state"][4] != "c",
                          15, "restart %d" % i)
            pids.append(running_pid(inst, "phoenix"))
    inst.wait_for(lambda: inst.domains()["phoenix"]["state"] == "----c-", 10,
                  "preserved after too many restarts")
    check("restarting too fast" in inst.xm_ok("dmesg").out, "dmesg says why")
    inst.xm_ok("destroy", "phoenix")
    check(inst.qemu_pids() == [], "qemu left behind")


def test_guest_panic_is_crash(inst):
    """A guest kernel panic reaches xend (pvpanic) and on_crash applies."""
    cfg = inst.config("panicky", on_crash='"preserve"')
    con = Console(inst, "create", "-c", cfg)
    try:
        con.login()
        con.send("echo c > /proc/sysrq-trigger\r")
        inst.wait_for(lambda: inst.domains()["panicky"]["state"] == "----c-",
                      20, "crashed after a kernel panic")
        con.kill()
    finally:
        con.kill()
    d = inst.domains()["panicky"]
    check(d["shutdown_reason"] == "crash", d)
    check("crashed: guest kernel panic" in inst.xm_ok("dmesg").out, "dmesg")
    inst.xm_ok("destroy", "panicky")


def test_xend_kill9_readopts(inst):
    """kill -9 of xend loses no domain; a new xend re-adopts the QEMU."""
    cfg = inst.config("survivor")
    inst.xm_ok("create", cfg)
    d = inst.domains()["survivor"]
    with open(os.path.join(inst.tmp, "xend.pid")) as f:
        xpid = int(f.read())
    os.kill(xpid, signal.SIGKILL)
    time.sleep(0.3)
    check(os.path.exists("/proc/%d" % d["pid"]), "qemu died with xend")
    r = inst.xm("list")
    check(r.rc == 1 and "is it running?" in r.err, r)
    inst.start()
    inst.wait_for(lambda: inst.domains()["survivor"]["state"] in
                  ("r-----", "-b----"), 15, "re-adopted running")
    d2 = inst.domains()["survivor"]
    check(d2["pid"] == d["pid"] and d2["domid"] == d["domid"], (d, d2))
    # Still fully controllable: the console works and shutdown completes.
    con = Console(inst, "console", "survivor")
    try:
        con.send("\r")
        con.login()
        con.send("echo alive-$((2+2))\r")
        con.expect("alive-4", 10)
        con.detach()
    finally:
        con.kill()
    # A second create of the same name is still refused after re-adoption.
    r = inst.xm("create", cfg)
    check(r.rc == 1 and "already exists" in r.err, r)
    inst.xm_ok("shutdown", "-w", "survivor", timeout=90)
    check(inst.qemu_pids() == [], "qemu left behind")


def test_xend_stop_start_keeps_domains(inst):
    """xend stop leaves domains running; a paused one stays paused."""
    inst.xm_ok("create", "-p", inst.config("keep"))
    pid = running_pid(inst, "keep")
    r = inst.xend("stop")
    check(r.rc == 0, r)
    r = inst.xend("status")
    check(r.rc == 3 and "not running" in r.out, r)
    check(os.path.exists("/proc/%d" % pid), "qemu stopped with xend")
    inst.start()
    inst.wait_for(lambda: inst.domains().get("keep", {}).get("state") ==
                  "--p---", 10, "paused after restart")
    r = inst.xend("start")
    check(r.rc == 0 and "already running" in r.out, r)
    inst.xm_ok("destroy", "keep")


def test_shutdown_all_and_xendomains(inst):
    """xendomains start boots auto/; stop shuts everything down."""
    for n in ("auto1", "auto2"):
        path = inst.config(n)
        os.symlink(path, os.path.join(inst.conf, "auto", n))
    xd = os.path.join(SCRIPTS, "xendomains")
    r = inst.run(xd, "start")
    check(r.rc == 0, r)
    check({"auto1", "auto2"} <= set(inst.domains()), inst.domains())
    r = inst.run(xd, "start")
    check(r.rc == 0 and "already running" in r.out, r)
    r = inst.run(xd, "status")
    check("auto1: running" in r.out, r)
    r = inst.run(xd, "stop", timeout=150)
    check(r.rc == 0, r)
    check(set(inst.domains()) == {"Domain-0"}, inst.domains())
    check(inst.qemu_pids() == [], "qemu left behind")


def test_network_bridge(inst):
    """nics = 1: the tap joins the default bridge and the guest answers ping
    on the address its config gave it."""
    # Names and addresses from the instance (host-global, see harness).
    br, net = inst.tag + "br", inst.subnet(31)
    host_ip, guest_ip = net + ".1", net + ".2"
    sh = lambda *a: subprocess.run(a, capture_output=True, text=True)  # noqa
    sh("ip", "link", "del", br)
    check(sh("ip", "link", "add", br, "type", "bridge").returncode == 0,
          "cannot create a bridge")
    try:
        sh("ip", "addr", "add", host_ip + "/24", "dev", br)
        sh("ip", "link", "set", br, "up")
        cfg = inst.config("net", nics="1", ip='"%s"' % guest_ip,
                          netmask='"255.255.255.0"', gateway='"%s"' % host_ip)
        con = Console(inst, "create", "-c", cfg)
        try:
            con.login()
            domid = inst.domains()["net"]["domid"]
            vif = inst.vif(domid)
            master = os.path.basename(os.readlink(
                "/sys/class/net/%s/master" % vif))
            check(master == br, "%s is on %s" % (vif, master))
            r = sh("ping", "-c", "1", "-W", "3", guest_ip)
            check(r.returncode == 0, "no ping reply: %s" % r.stdout)
            con.send("ping -c 1 -W 3 %s && echo pong-$((1+1))\r" % host_ip)
            con.expect("pong-2", 15)
            con.detach()
        finally:
            con.kill()
        inst.xm_ok("destroy", "net")
        check(not os.path.exists("/sys/class/net/" + vif), "tap left behind")
    finally:
        sh("ip", "link", "del", br)


def test_disk_in_use_and_names(inst):
    """A disk written by one domain is refused to another, clearly."""
    data = os.path.join(inst.tmp, "data.img")
    with open(data, "wb") as f:
        f.truncate(1 << 20)
    root = "'file:%s/rootfs.ext2,sda1,r'" % IMAGES
    inst.xm_ok("create", "-p", inst.config(
        "writer", disk="[%s, 'file:%s,sdb,w']" % (root, data)))
    r = inst.xm("create", "-p", inst.config(
        "reader", disk="[%s, 'file:%s,sdb,r']" % (root, data)))
    check(r.rc == 1 and "in use by domain writer" in r.err, r)
    inst.xm_ok("destroy", "writer")
    inst.xm_ok("create", "-p", inst.config("r1"))
    inst.xm_ok("create", "-p", inst.config("r2"))  # readers share
    r = inst.xm("rename", "r1", "123")
    check(r.rc == 1 and "invalid domain name '123'" in r.err, r)
    inst.xm_ok("destroy", "r1")
    inst.xm_ok("destroy", "r2")


def test_shutdown_timeout(inst):
    """A guest that never acts on the power button: -w ends with an error."""
    inst.xm_ok("create", "-p", inst.config("deaf", extra='"init=/bin/sh"'))
    r = inst.xm("shutdown", "-w", "deaf", timeout=60)
    check(r.rc == 1 and "did not respond to the power button" in r.err, r)
    check("ignored the power button" in inst.xm_ok("dmesg").out, "dmesg")
    inst.xm_ok("destroy", "deaf")


# name -> (function, extra xend-config, boots a guest)
TESTS = [
    ("host_commands", test_host_commands, ""),
    ("bad_configs", test_bad_configs, ""),
    ("dryrun_sxp_and_vmid", test_dryrun_sxp_and_vmid, ""),
    ("config_description_and_schema", test_config_description_and_schema,
     ""),
    ("lifecycle_commands", test_lifecycle_commands, ""),
    ("manual_ttylinux_walkthrough", test_manual_ttylinux_walkthrough, ""),
    ("restart_policies", test_restart_policies, ""),
    ("crash_detection", test_crash_detection, "(restart-limit 2)"),
    ("guest_panic_is_crash", test_guest_panic_is_crash, ""),
    ("xend_kill9_readopts", test_xend_kill9_readopts, ""),
    ("xend_stop_start_keeps_domains", test_xend_stop_start_keeps_domains, ""),
    ("shutdown_all_and_xendomains", test_shutdown_all_and_xendomains, ""),
    ("network_bridge", test_network_bridge, "(default-bridge @TAG@br)"),
    ("disk_in_use_and_names", test_disk_in_use_and_names, ""),
    ("shutdown_timeout", test_shutdown_timeout, "(shutdown-timeout 3)"),
]
