#!/usr/bin/env python3
"""
run.py [-j N] [-k PATTERN]: the system tests, each on its own private xend.
Tests run N at a time (default 2: guests boot under TCG on 2 cores).
Prints one line per test (PASS, FAIL or SKIP with the reason) and ends with
"system: N passed, N failed, N skipped".  A test raises harness.Skip when
what it exercises is missing (e.g. an op xend answers unknown_op); a skip
is not a pass.
"""
import argparse
import concurrent.futures
import importlib
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

# Every tests/system/test_*.py module contributes its TESTS list:
# (name, function(instance), extra xend-config).
ALL = []
for _f in sorted(os.listdir(os.path.dirname(os.path.abspath(__file__)))):
    if _f.startswith("test_") and _f.endswith(".py"):
        ALL += importlib.import_module(_f[:-3]).TESTS


def run_one(entry):
    name, fn, extra = entry
    t0 = time.time()
    inst = harness.Instance(name, extra)
    err = None
    skip = None
    try:
        inst.start()
        fn(inst)
    except harness.Skip as e:
        skip = str(e)
    except Exception:
        err = traceback.format_exc()
    finally:
        reports = inst.close()
    if reports and err is None:
        err = "sanitizer reports:\n" + "\n".join(reports)
        skip = None
    return name, err, skip, time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("-k", default="")
    a = ap.parse_args()
    selected = [t for t in ALL if a.k in t[0]]
    for d in ("xend/xend", "xm/xm"):
        if not os.access(os.path.join(harness.BIN, d), os.X_OK):
            print("system: binaries missing under %s (build first)" %
                  harness.BIN)
            return 1
    if not os.path.exists(os.path.join(harness.IMAGES, "vmlinuz")):
        print("system: demo guest missing in %s (guest/build-guest.sh)" %
              harness.IMAGES)
        return 1
    passed = failed = skipped = 0
    with concurrent.futures.ThreadPoolExecutor(a.j) as ex:
        for name, err, skip, secs in ex.map(run_one, selected):
            if err is not None:
                failed += 1
                print("FAIL %-40s %6.1fs\n%s" % (name, secs, err), flush=True)
            elif skip is not None:
                # Not a pass: what it needs is missing (said why).
                skipped += 1
                print("SKIP %-40s %6.1fs: %s" % (name, secs, skip),
                      flush=True)
            else:
                passed += 1
                print("PASS %-40s %6.1fs" % (name, secs), flush=True)
    print("system: %d passed, %d failed, %d skipped" % (passed, failed,
                                                        skipped))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
