#!/usr/bin/env python3
"""Runs every test: the cmocka unit binaries, then the end-to-end tests that
drive the real agent. Ends with one line 'N passed, N failed' and exits
non-zero on any failure. End-to-end tests need root and BPF: without them
each one fails with a message saying so; nothing is skipped silently."""
import argparse
import glob
import importlib
import os
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


def run_unit(build, results):
    bins = sorted(glob.glob(os.path.join(build, "tests", "test_*")))
    if not bins:
        results.append(("unit: binaries", False, "no unit test binaries in %s/tests" % build))
    for b in bins:
        name = os.path.basename(b)
        env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
        p = subprocess.run([b], capture_output=True, env=env, timeout=300)
        out = p.stdout.decode("utf-8", "replace")
        seen = 0
        for line in out.splitlines():
            if line.startswith("ok ") or line.startswith("not ok "):
                seen += 1
                ok = line.startswith("ok ")
                results.append(("%s: %s" % (name, line.split(" - ", 1)[-1]), ok, "" if ok else out + p.stderr.decode()))
        if seen == 0 or (p.returncode != 0 and all(r[1] for r in results if r[0].startswith(name))):
            results.append((name, False, "exit %d, output:\n%s%s" % (p.returncode, out, p.stderr.decode())))


def bpf_problem():
    if os.geteuid() != 0:
        return "end-to-end tests need root (they load BPF probes); run make test as root"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "end-to-end tests need a kernel with BTF (/sys/kernel/btf/vmlinux)"
    return None


def run_e2e(build, only, results):
    sys.path.insert(0, os.path.join(HERE, "e2e"))
    os.environ["SEALTAP_BUILD"] = build
    problem = bpf_problem()
    for path in sorted(glob.glob(os.path.join(HERE, "e2e", "test_*.py"))):
        mod = importlib.import_module(os.path.basename(path)[:-3])
        for name in sorted(n for n in dir(mod) if n.startswith("test_")):
            full = "%s.%s" % (mod.__name__, name)
            if only and only not in full:
                continue
            if problem:
                results.append((full, False, problem))
                print("FAIL %s: %s" % (full, problem), flush=True)
                continue
            t0 = time.monotonic()
            try:
                getattr(mod, name)()
                results.append((full, True, ""))
                print("ok   %s (%.1fs)" % (full, time.monotonic() - t0), flush=True)
            except Exception:
                results.append((full, False, traceback.format_exc()))
                print("FAIL %s (%.1fs)\n%s" % (full, time.monotonic() - t0, traceback.format_exc()), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"))
    ap.add_argument("-k", dest="only", help="run only end-to-end tests whose name contains this")
    ap.add_argument("--no-unit", action="store_true")
    ap.add_argument("--no-e2e", action="store_true", help="the unit tests only (make unit)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    results = []
    if not args.no_unit:
        run_unit(build, results)
        for name, ok, detail in results:
            print("%s %s" % ("ok  " if ok else "FAIL", name))
            if not ok:
                print(detail)
    if not args.no_e2e:
        run_e2e(build, args.only, results)
    passed = sum(1 for r in results if r[1])
    failed = len(results) - passed
    if failed:
        print("\nfailed:")
        for name, ok, _ in results:
            if not ok:
                print("  " + name)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed or not results else 0)


if __name__ == "__main__":
    main()
