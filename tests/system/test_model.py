"""System tests for xend's model behind its API edge: requests whose
client went away before the model answered, and the events' wire form."""
import json
import socket

from harness import Subscriber, check


def send_and_hang_up(inst, op, **args):
    """A request whose client leaves before any answer can come."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(inst.sock)
    s.sendall((json.dumps({"id": 7, "op": op, "args": args}) +
               "\n").encode())
    s.close()


def test_client_gone_while_pending(inst):
    """domain.create and domain.pause answered by the model after their
    client left: xend goes on (no sanitizer report), the domain too; events
    keep their documented shape (docs/API.md), key order included."""
    inst.xm_ok("create", inst.config("gone1"))
    config = inst.domains()["gone1"]["config"]
    inst.xm_ok("destroy", "gone1")
    ev = Subscriber(inst)
    try:
        config["name"] = "gone2"
        send_and_hang_up(inst, "domain.create", config=config)
        inst.wait_for(lambda: inst.domains().get("gone2", {}).get(
            "status") in ("running", "blocked"), 60, "gone2 running")
        send_and_hang_up(inst, "domain.pause", dom="gone2")
        inst.wait_for(lambda: inst.domains()["gone2"]["status"] ==
                      "paused", 20, "gone2 paused")
        send_and_hang_up(inst, "domain.unpause", dom="gone2")
        inst.wait_for(lambda: inst.domains()["gone2"]["status"] in
                      ("running", "blocked"), 20, "gone2 running again")
        # A pause whose domain goes before QEMU answers still ends.
        send_and_hang_up(inst, "domain.pause", dom="gone2")
        inst.xm_ok("destroy", "gone2")
        check("gone2" not in inst.domains(), "gone2 not destroyed")
        inst.wait_for(lambda: any(b'"domain.removed"' in l
                                  for l in ev.lines), 10, "removed event")
    finally:
        ev.close()
    kinds = []
    for line in ev.lines[1:]:	# the first is the subscribe reply
        pairs = json.loads(line, object_pairs_hook=lambda p: p)
        keys = [k for k, _ in pairs]
        kind = dict(pairs)["event"]
        kinds.append(kind)
        if kind == "domain.removed":
            check(keys == ["domid", "name", "event", "time"], line)
        else:
            check(keys == ["domain", "event", "time"], line)
            check(dict(dict(pairs)["domain"])["name"] == "gone2", line)
    check(kinds[0] == "domain.added" and kinds[-1] == "domain.removed" and
          "domain.state" in kinds, kinds)
    check(json.loads(ev.lines[0]) == {"id": 1, "result": {}}, ev.lines[0])
    # xend still answers.
    check(inst.call("host.info")["nr_domains"] == 0, "host.info")


TESTS = [
    ("model_client_gone_while_pending", test_client_gone_while_pending, ""),
]
