"""System tests for xm's command line as a sysadmin meets it: help and usage
on every command, the manuals' commands this version lacks, config
keys accepted but not acted on, domain names a command line can carry."""
import json
import os
import shlex
import subprocess

from harness import BIN, check

# The commands issue 9 found without --help, and the 2.0 names.
NO_HELP_BEFORE = ["console", "rename", "domid", "domname", "info", "dmesg",
                  "call", "mem-max", "vcpu-list", "vcpu-set", "vcpu-pin",
                  "sched-sedf", "bvt", "atropos", "pincpu", "maxmem",
                  "balloon"]

UNAVAILABLE = ["bvt_ctxallow", "rrobin"]


def listed_commands(inst):
    r = inst.xm_ok("help")
    lines = r.out.split("Commands")[1].splitlines()[1:]
    return [l.split()[0] for l in lines if l.startswith("  ")]


def test_help_on_every_command(inst):
    """-h and --help answer on stdout, exit 0, for every command."""
    names = listed_commands(inst)
    check(len(names) >= 28 and "vcpu-list" in names, names)
    for name in names + NO_HELP_BEFORE:
        for flag in ("--help", "-h"):
            r = inst.xm(name, flag)
            check(r.rc == 0 and r.out.startswith("usage: xm "),
                  "xm %s %s: %r" % (name, flag, r))
    # vcpu-list used to look for a domain named --help.
    r = inst.xm("vcpu-list", "--help")
    check("domain" not in r.err, r)
    # Usage errors: exit 2, usage on stderr, nothing asked of xend.
    for args in (["vcpu-list", "--bogus"], ["domid", "a", "b"],
                 ["rename", "x"], ["info", "extra"], ["log", "-n"]):
        r = inst.xm(*args)
        check(r.rc == 2 and "usage: xm %s" % args[0] in r.err and
              r.out == "", "xm %s: %r" % (" ".join(args), r))


def test_unavailable_commands(inst):
    """The manuals' commands xm lacks: one message each, exit 2."""
    for name in UNAVAILABLE:
        r = inst.xm(name, "ttylinux")
        check(r.rc == 2 and r.err.startswith(
            "xm: %s: not available in this version: " % name), r)


def test_relocation_server_listens(inst):
    """(xend-relocation-server yes) starts the relocation server on its
    address and port, quietly; it answers a ping from an allowed host."""
    import socket
    r = inst.xend("restart")
    check(r.rc == 0 and "warning" not in r.err, r)
    port = inst.port_base + 198
    with open(inst.log) as f:
        check("relocation server on 127.0.0.1 port %d" % port in f.read(),
              inst.log_tail())
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b'{"op":"ping"}\n')
    line = s.makefile().readline()
    s.close()
    check('"ok": true' in line or '"ok":true' in line, line)


def test_domain_names_refused(inst):
    """Names xm could not address again are refused, with the rule."""
    rule = "must start with a letter or a digit"
    for bad in ("-n", "-rf", "..", "."):
        cfg = inst.config("badname")
        with open(cfg) as f:
            text = f.read().replace('"badname"', repr(bad))
        with open(cfg, "w") as f:
            f.write(text)
        r = inst.xm("create", cfg)
        check(r.rc == 1 and "invalid domain name '%s': %s" % (bad, rule)
              in r.err, r)
    # Other clients than xm: the API refuses the same.
    r = inst.xm("call", "domain.create",
                json.dumps({"config": {"name": "-rf"}}))
    check(r.rc == 1 and rule in r.err, r)
    cfg = inst.config("good-1.a_b")
    inst.xm_ok("create", "-p", cfg)
    r = inst.xm("rename", "good-1.a_b", "--", "-n")
    check(r.rc == 1 and "invalid domain name '-n': %s" % rule in r.err, r)
    r = inst.xm("call", "domain.rename",
                json.dumps({"dom": "good-1.a_b", "name": ".."}))
    check(r.rc == 1 and rule in r.err, r)
    check("good-1.a_b" in inst.domains(), inst.domains().keys())
    # "--" ends xm's options; the name after it is an argument.
    inst.xm_ok("rename", "--", "good-1.a_b", "VM1")
    check(inst.xm_ok("domid", "--", "VM1").out.strip().isdigit(), "domid")
    inst.xm_ok("destroy", "VM1")




COMPLETION = os.path.join(os.path.dirname(BIN), "docs", "man", "xm.bash")


def complete(inst, *words):
    """Runs the completion function on words (the last is being typed)."""
    script = ("source %s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n_xm\n"
              "printf '%%s\\n' \"${COMPREPLY[@]}\"\n" %
              (shlex.quote(COMPLETION), " ".join(shlex.quote(w) for w in
                                                  words), len(words) - 1))
    p = subprocess.run(["bash", "-c", script], env=inst.env, cwd=inst.tmp,
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0 and p.stderr == "", "completion %r: %r" %
          (words, p))
    return [w for w in p.stdout.splitlines() if w]


def test_bash_completion(inst):
    """Commands, each command's options, domain names and config files."""
    check(os.path.exists(COMPLETION), "not built: %s" % COMPLETION)
    # Every command xm lists, and the 2.0 names, complete.
    names = complete(inst, "xm", "")
    for name in listed_commands(inst) + ["pincpu", "maxmem", "balloon"]:
        check(name in names, "%s not completed: %s" % (name, names))
    check(complete(inst, "xm", "vcpu-l") == ["vcpu-list"], "vcpu-l")
    check(complete(inst, "xm", "help", "vcpu-") ==
          ["vcpu-list", "vcpu-set", "vcpu-pin"], "help vcpu-")
    # Options per command, from the table.
    check(complete(inst, "xm", "create", "--d") ==
          ["--dryrun", "--defconfig="], complete(inst, "xm", "create", "--d"))
    opts = complete(inst, "xm", "shutdown", "-")
    for o in ("-h", "--help", "-w", "--wait", "-a", "-R", "-H", "--halt"):
        check(o in opts, "shutdown %s: %s" % (o, opts))
    check("-l" not in opts, opts)
    check(complete(inst, "xm", "vcpu-list", "--h") == ["--help"], "--h")
    # Domain names of this instance's xend, through xm list.
    inst.xm_ok("create", "-p", inst.config("cplt-dom"))
    check(complete(inst, "xm", "console", "cplt") == ["cplt-dom"],
          complete(inst, "xm", "console", "cplt"))
    check(complete(inst, "xm", "sched-credit", "-d", "cplt") == ["cplt-dom"],
          "sched-credit -d")
    check("Domain-0" in complete(inst, "xm", "vcpu-pin", ""), "Domain-0")
    ids = complete(inst, "xm", "domname", "")
    check("0" in ids and all(i.isdigit() for i in ids), ids)
    # Config files in $XEN_CONFIG_DIR, less xend-config.sxp.
    check("cplt-dom" in complete(inst, "xm", "create", "cplt"), "config")
    check(complete(inst, "xm", "create", "xend-c") == [], "xend-config")
    inst.xm_ok("destroy", "cplt-dom")


# Every command that takes a domain, with its other arguments valid: "D"
# is where the domain goes.
DOM_ARGS = {
    "list": ["D"], "console": ["D"], "consoles": ["D"],
    "shutdown": ["D"], "reboot": ["D"], "destroy": ["D"], "pause": ["D"],
    "unpause": ["D"], "rename": ["D", "other"], "domid": ["D"],
    "domname": ["D"], "uptime": ["D"], "mem-set": ["D", "64"],
    "mem-max": ["D", "64"], "vcpu-list": ["D"], "vcpu-set": ["D", "1"],
    "vcpu-pin": ["D", "0", "0"], "sched-credit": ["-d", "D"],
    "sched-sedf": ["D"], "bvt": ["D", "10", "0", "0", "0", "0"],
    "atropos": ["D", "100000000", "10000000", "0", "0"],
    "block-attach": ["D", "file:/dev/null", "xvdb", "r"],
    "block-detach": ["D", "xvdb"], "block-list": ["D"],
    "save": ["D", "/nonexistent/x.sav"], "migrate": ["D", "127.0.0.1"],
    "network-attach": ["D"], "network-detach": ["D", "0"],
    "network-list": ["D"],
}


def test_no_such_domain(inst):
    """Every command that takes a domain, given a name or an id that no
    domain has, says the domain does not exist and exits 1 (xenconsoled
    running, for consoles).  A new command whose usage names DOM must be
    added here."""
    inst.start_consoled()
    for cmd in listed_commands(inst):
        usage = inst.xm_ok("help", cmd).out.splitlines()[0]
        if cmd not in DOM_ARGS:
            check(" DOM" not in usage and "[DOM" not in usage,
                  "%s takes a domain but is not in DOM_ARGS" % cmd)
            continue
        for dom in ("nosuch", "77"):
            if cmd == "domname" and dom == "nosuch":
                continue        # takes an id only
            argv = [dom if a == "D" else a for a in DOM_ARGS[cmd]]
            r = inst.xm(cmd, *argv, timeout=30)
            err = [l for l in r.err.splitlines()
                   if not l.startswith("xm: warning: ")]
            check(r.rc == 1 and r.out == "" and len(err) == 1 and
                  "domain '%s' does not exist" % dom in err[0],
                  (cmd, argv, r))
    r = inst.xm("domname", "nosuch")
    check(r.rc == 1 and "'nosuch' is not a domain id" in r.err, r)


TESTS = [
    ("xm-cli-help", test_help_on_every_command, ""),
    ("xm-cli-unavailable", test_unavailable_commands, ""),
    ("xm-cli-relocation-listens", test_relocation_server_listens,
     "(xend-relocation-server yes)\n(xend-relocation-address 127.0.0.1)\n"
     "(xend-relocation-hosts-allow '127\\.0\\.0\\.1')"),
    ("xm-cli-names", test_domain_names_refused, ""),
    ("xm-cli-no-such-domain", test_no_such_domain, ""),
    ("xm-cli-bash-completion", test_bash_completion, ""),
]
