#!/usr/bin/env python3
"""
fakexend.py: a synthetic xend for scale tests and benchmarks of xm top.

Serves xend's real API protocol (docs/API.md: newline-delimited JSON over a
unix socket, replies matched by id, events after events.subscribe) with N
fake domains whose counters move every second, so the dashboard can be
driven with hundreds of domains without hundreds of QEMUs.  Stdlib only.

    fakexend.py --socket PATH [--domains N] [--legacy] [--pidfile F]

--legacy answers the memory/vCPU/scheduler ops with unknown_op and leaves
out their fields, like a xend before issue 4.  The extra op "fake.stats"
returns how many requests of each op were served (for "one round trip per
refresh" figures).
"""
import argparse
import asyncio
import json
import os
import random
import signal
import socket
import sys
import time

ISSUE4_OPS = {"domain.mem_set", "domain.mem_max", "domain.vcpu_set",
              "domain.vcpu_list", "domain.vcpu_pin", "domain.sched_credit",
              "domain.sched_sedf"}


class Dom:
    def __init__(self, domid, name, memory=96, vcpus=1, port_base=9600,
                 paused=False):
        self.domid = domid
        self.name = name
        self.memory = float(memory)
        self.target = memory
        self.maxmem = memory
        self.vcpus = vcpus
        self.online = vcpus
        self.paused = paused
        self.shutdown = False
        self.cpu_time = random.uniform(0, 100)
        self.load = random.choice([0.0, 0.01, 0.05, 0.2, 0.9])
        self.start = time.time() - random.uniform(0, 86400 * 3)
        self.stats = [random.randint(0, 10 ** 9) for _ in range(4)]
        self.rates = [random.choice([0, 100, 5000, 10 ** 6]) for _ in range(4)]
        self.weight, self.cap, self.period, self.slice = 256, 0, 100, 10
        self.affinity = ["all"] * vcpus
        self.port = port_base + domid
        self.restarts = 0

    def tick(self, dt):
        if not self.paused and not self.shutdown:
            self.cpu_time += self.load * dt * random.uniform(0.8, 1.2)
            for i in range(4):
                self.stats[i] += int(self.rates[i] * dt)
        # The balloon moves 8 MB a second toward its target.
        if self.memory != self.target:
            step = 8 * dt
            if abs(self.target - self.memory) <= step:
                self.memory = float(self.target)
            elif self.target > self.memory:
                self.memory += step
            else:
                self.memory -= step

    def state(self):
        if self.shutdown:
            return "---s--", "shutdown"
        if self.paused:
            return "--p---", "paused"
        if self.load < 0.02:
            return "-b----", "blocked"
        return "r-----", "running"

    def obj(self, legacy):
        st, status = self.state()
        o = {
            "domid": self.domid, "name": self.name, "state": st,
            "status": status, "memory": int(round(self.memory)),
            "maxmem": self.maxmem, "vcpus": self.vcpus, "cpu": 0,
            "cpu_time": round(self.cpu_time, 2),
            "console_port": self.port, "start_time": self.start,
            "uptime": time.time() - self.start, "pid": 100000 + self.domid,
            "dir": "/nonexistent/domains/%d" % self.domid,
            "restart_count": self.restarts, "shutdown_reason": None,
            "config": {
                "name": self.name, "builder": "linux",
                "kernel": "/var/lib/xen/images/ttylinux/vmlinuz",
                "ramdisk": "/var/lib/xen/images/ttylinux/initrd.img",
                "memory": self.maxmem, "maxmem": self.maxmem,
                "vcpus": self.vcpus, "cpus": None, "cpu": -1,
                "console": None, "root": "/dev/sda1 ro", "extra": None,
                "ip": None, "netmask": None, "gateway": None,
                "hostname": None, "dhcp": None, "nfs_server": None,
                "nfs_root": None,
                "disks": [{"uname": "file:/var/lib/xen/images/ttylinux/rootfs.ext2",
                           "dev": "sda1", "mode": "r"}],
                "vifs": [{"mac": "00:16:3e:00:%02x:%02x" % (self.domid >> 8 & 255,
                                                            self.domid & 255),
                          "bridge": "xenbr0", "script": None, "ip": None}],
                "on_poweroff": "destroy", "on_reboot": "restart",
                "on_crash": "restart"},
            "console_path": "/nonexistent/domains/%d/console.sock" % self.domid,
            "console_log": "/nonexistent/domains/%d/console.log" % self.domid,
        }
        if not legacy:
            o["memory_target"] = self.target
            # xend sends the online vCPUs as a CPU list.
            o["vcpus_online"] = ("0" if self.online == 1 else
                                 "0-%d" % (self.online - 1))
            o["agent"] = True
            o["sched"] = {"credit": {"weight": self.weight, "cap": self.cap},
                          "sedf": {"period": self.period, "slice": self.slice},
                          "cgroup": "/nonexistent/fake-%d" % self.domid}
            o["stats"] = {"net_rx": self.stats[0], "net_tx": self.stats[1],
                          "blk_rd": self.stats[2], "blk_wr": self.stats[3]}
        return o


class ApiError(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code, self.message = code, message


class Fake:
    def __init__(self, n, legacy, port_base):
        self.legacy = legacy
        self.port_base = port_base
        self.doms = {}
        self.next_id = 1
        self.started = time.time()
        self.counts = {}
        self.subscribers = set()
        self.ncpus = os.cpu_count() or 1
        self.cpu_busy = [0.0] * self.ncpus
        for i in range(n):
            self.add("fake%03d" % i)

    def add(self, name, memory=96, vcpus=1, paused=False):
        d = Dom(self.next_id, name, memory, vcpus, self.port_base, paused)
        self.doms[d.domid] = d
        self.next_id += 1
        return d

    def dom0(self):
        return {"domid": 0, "name": "Domain-0", "state": "r-----",
                "status": "running", "memory": 4096, "maxmem": 24105,
                "vcpus": self.ncpus, "cpu": 0,
                "cpu_time": sum(self.cpu_busy), "console_port": None,
                "start_time": self.started,
                "uptime": time.time() - self.started, "host": "fakehost"}

    def find(self, args, dom0=False):
        dom = args.get("dom")
        if dom is None:
            raise ApiError("invalid", "missing \"dom\"")
        for d in self.doms.values():
            if d.name == dom:
                return d
        try:
            n = int(dom)
        except (TypeError, ValueError):
            n = None
        if n == 0 or dom == "Domain-0":
            if dom0:
                return None
            raise ApiError("invalid", "Domain-0 cannot be changed")
        if n in self.doms:
            return self.doms[n]
        raise ApiError("not_found", "domain '%s' does not exist" % dom)

    def tick(self, dt):
        for d in self.doms.values():
            d.tick(dt)
        for i in range(self.ncpus):
            self.cpu_busy[i] += dt * random.uniform(0.05, 0.4)

    def event(self, kind, **body):
        body["event"] = kind
        body["time"] = time.time()
        line = (json.dumps(body, separators=(",", ":")) + "\n").encode()
        for w in list(self.subscribers):
            try:
                w.write(line)
            except Exception:
                self.subscribers.discard(w)

    def host_info(self):
        by = {"starting": 0, "running": 0, "paused": 0, "shutdown": 0,
              "crashed": 0, "dying": 0}
        for d in self.doms.values():
            st = d.state()[1]
            by["running" if st == "blocked" else st] += 1
        o = {"host": "fakehost", "release": "6.1", "version": "#1",
             "machine": "x86_64", "system": "Linux", "nr_cpus": self.ncpus,
             "cpu_mhz": 2000.0, "cpu_model": "fake", "total_memory": 65536,
             "free_memory": 65536 - sum(d.target for d in self.doms.values()),
             "claimed_memory": sum(d.target for d in self.doms.values()),
             "dom0_min_mem": 256, "accel": "tcg", "accel_reason": "fake",
             "qemu_version": "0", "xend_version": "fake",
             "xend_uptime": time.time() - self.started,
             "nr_domains": len(self.doms) + 1, "domains_by_state": by}
        if not self.legacy:
            o["cpus"] = [{"cpu": i, "busy": round(b, 2)}
                         for i, b in enumerate(self.cpu_busy)]
            o["load"] = [0.5, 0.4, 0.3]
        return o

    def handle(self, op, args, writer):
        self.counts[op] = self.counts.get(op, 0) + 1
        if op == "domain.list" and args.get("config") is not False:
            k = "domain.list with configs"
            self.counts[k] = self.counts.get(k, 0) + 1
        if self.legacy and op in ISSUE4_OPS:
            raise ApiError("unknown_op", "unknown op '%s'" % op)
        if op == "fake.stats":
            return {"ops": self.counts}
        if op == "api.ops":
            return [{"op": o, "help": ""} for o in sorted(
                ["host.info", "domain.list", "domain.get", "events.subscribe"] +
                ([] if self.legacy else sorted(ISSUE4_OPS)))]
        if op == "events.subscribe":
            self.subscribers.add(writer)
            return {}
        if op == "host.info":
            return self.host_info()
        if op == "domain.list":
            want = args.get("doms")
            out = [self.dom0()] + [d.obj(self.legacy) for d in
                                   sorted(self.doms.values(), key=lambda d: d.domid)]
            if want:
                out = [o for o in out if o["name"] in want or
                       str(o["domid"]) in [str(w) for w in want]]
            if args.get("config") is False:     # as xend: figures only
                for o in out:
                    o.pop("config", None)
            return out
        if op == "domain.get":
            d = self.find(args, dom0=True)
            return self.dom0() if d is None else d.obj(self.legacy)
        if op == "domain.create":
            cfg = args.get("config") or {}
            name = cfg.get("name", "new")
            if any(d.name == name for d in self.doms.values()):
                raise ApiError("failed", "domain '%s' already exists" % name)
            d = self.add(name, cfg.get("memory", 96), cfg.get("vcpus", 1),
                         bool(args.get("paused")))
            self.event("domain.added", domain=d.obj(self.legacy))
            return d.obj(self.legacy)
        d = self.find(args)
        if op == "domain.pause":
            if d.paused:
                raise ApiError("failed", "domain %s is already paused" % d.name)
            d.paused = True
        elif op == "domain.unpause":
            if not d.paused:
                raise ApiError("failed", "domain %s is not paused" % d.name)
            d.paused = False
        elif op == "domain.destroy":
            del self.doms[d.domid]
            self.event("domain.removed", domid=d.domid, name=d.name)
            return {}
        elif op == "domain.shutdown":
            if args.get("mode") == "reboot":
                d.restarts += 1
                d.start = time.time()
            else:
                del self.doms[d.domid]
                self.event("domain.removed", domid=d.domid, name=d.name)
                return {}
        elif op == "domain.rename":
            d.name = args["name"]
        elif op == "domain.mem_set":
            m = args.get("memory")
            if not isinstance(m, int) or m < 16:
                raise ApiError("invalid", "memory must be an integer >= 16")
            if m > d.maxmem:
                raise ApiError("failed", "%d MB is above maxmem (%d MB)" %
                               (m, d.maxmem))
            d.target = m
        elif op == "domain.mem_max":
            if args["maxmem"] < d.target:
                raise ApiError("failed", "maxmem %d MB is below the memory "
                               "target %d MB" % (args["maxmem"], d.target))
            d.maxmem = args["maxmem"]
        elif op == "domain.vcpu_set":
            d.online = args["vcpus"]
        elif op == "domain.vcpu_list" or op == "domain.vcpu_pin":
            if op == "domain.vcpu_pin":
                v = args.get("vcpu")
                for i in range(d.vcpus):
                    if v == "all" or v == i:
                        d.affinity[i] = args.get("cpus", "all")
            return [{"vcpu": i, "online": i < d.online, "cpu": 0,
                     "cpu_time": round(d.cpu_time / d.vcpus, 2),
                     "affinity": d.affinity[i], "state": "running"}
                    for i in range(d.vcpus)]
        elif op == "domain.sched_credit":
            if "weight" in args:
                w = args["weight"]
                if not isinstance(w, int) or not 1 <= w <= 65535:
                    raise ApiError("invalid", "weight must be 1..65535")
                d.weight = w
            if "cap" in args:
                d.cap = args["cap"]
            return {"weight": d.weight, "cap": d.cap}
        elif op == "domain.sched_sedf":
            if "period" in args:
                d.period = args["period"]
            if "slice" in args:
                d.slice = args["slice"]
            return {"period": d.period, "slice": d.slice}
        else:
            raise ApiError("unknown_op", "unknown op '%s'" % op)
        self.event("domain.state", domain=d.obj(self.legacy))
        return d.obj(self.legacy)

    async def client(self, reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                try:
                    req = json.loads(line)
                    rid = req.get("id")
                    try:
                        res = self.handle(req.get("op"), req.get("args") or {},
                                          writer)
                        msg = {"id": rid, "result": res}
                    except ApiError as e:
                        msg = {"id": rid, "error": {"code": e.code,
                                                    "message": e.message}}
                except ValueError as e:
                    msg = {"id": None, "error": {"code": "invalid",
                                                 "message": "bad json: %s" % e}}
                writer.write((json.dumps(msg, separators=(",", ":")) +
                              "\n").encode())
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.subscribers.discard(writer)
            writer.close()

    async def ticker(self):
        last = time.monotonic()
        while True:
            await asyncio.sleep(1)
            now = time.monotonic()
            self.tick(now - last)
            last = now


async def main_async(a):
    fake = Fake(a.domains, a.legacy, a.console_port_base)
    if os.path.exists(a.socket):
        os.unlink(a.socket)
    server = await asyncio.start_unix_server(fake.client, path=a.socket,
                                             limit=16 * 1024 * 1024)
    os.chmod(a.socket, 0o600)
    if a.pidfile:
        with open(a.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, lambda: stop.done() or stop.set_result(1))
    tick = asyncio.ensure_future(fake.ticker())
    await stop
    tick.cancel()
    server.close()
    try:
        os.unlink(a.socket)
    except OSError:
        pass


def write_config(confdir, sock):
    """A xend-config.sxp that points clients at the fake's socket."""
    os.makedirs(confdir, exist_ok=True)
    with open(os.path.join(confdir, "xend-config.sxp"), "w") as f:
        f.write("(xend-unix-path %s)\n" % sock)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--domains", type=int, default=10)
    ap.add_argument("--legacy", action="store_true")
    ap.add_argument("--pidfile")
    ap.add_argument("--console-port-base", type=int, default=9600)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    random.seed(a.seed)
    asyncio.run(main_async(a))


if __name__ == "__main__":
    main()
