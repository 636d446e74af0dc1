#!/usr/bin/env python3
"""Runs every test: the cmocka unit binaries, then the end-to-end tests that
drive the real agent (pytest). Ends with one line 'N passed, N failed' and
exits non-zero on any failure. End-to-end tests that start the agent are
marked bpf: without root or BTF they are skipped with the reason (said
before the last line), or fail when SEALTAP_REQUIRE_BPF=1, as in CI."""
import argparse
import glob
import os
import subprocess
import sys

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
        if seen == 0 or (p.returncode != 0 and all(r[1] for r in results if r[0].startswith(name + ": "))):
            results.append((name, False, "exit %d, output:\n%s%s" % (p.returncode, out, p.stderr.decode())))


class Outcomes:
    """A pytest plugin: one line and one result per end-to-end test, said
    when the test is over (a failure in its setup or teardown fails it)."""

    def __init__(self, results):
        self.results = results
        self.skipped = []
        self.current = {}

    def pytest_runtest_logreport(self, report):
        state = self.current.setdefault(report.nodeid, {"failed": [], "skipped": None, "duration": 0.0})
        state["duration"] += report.duration
        if report.failed:
            state["failed"].append("%s:\n%s" % (report.when, report.longreprtext))
        elif report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            state["skipped"] = reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason
        if report.when != "teardown":
            return
        del self.current[report.nodeid]
        name = report.nodeid.split("/")[-1].replace(".py::", ".")
        if state["failed"]:
            detail = "\n".join(state["failed"])
            self.results.append((name, False, detail))
            print("FAIL %s (%.1fs)\n%s" % (name, state["duration"], detail), flush=True)
        elif state["skipped"]:
            self.skipped.append((name, state["skipped"]))
            print("skip %s: %s" % (name, state["skipped"]), flush=True)
        else:
            self.results.append((name, True, ""))
            print("ok   %s (%.1fs)" % (name, state["duration"]), flush=True)


def run_e2e(build, only, results):
    """The end-to-end tests, under pytest (tests/e2e/conftest.py: the bpf
    marker, skipped without root or BTF unless SEALTAP_REQUIRE_BPF=1)."""
    import pytest

    os.environ["SEALTAP_BUILD"] = build
    plugin = Outcomes(results)
    args = [os.path.join(HERE, "e2e"), "-p", "no:cacheprovider", "-p", "no:terminal"]
    if only:
        args += ["-k", only]
    code = pytest.main(args, plugins=[plugin])
    # 5: nothing collected (a -k that matched nothing). Anything else that is
    # not a test's own pass or failure (an import error, a usage error) fails.
    if code not in (0, 1, 5) or (code == 5 and not only):
        results.append(("e2e: pytest", False, "pytest exited with %s" % code))
    return plugin.skipped


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
    skipped = []
    if not args.no_e2e:
        skipped = run_e2e(build, args.only, results)
    passed = sum(1 for r in results if r[1])
    failed = len(results) - passed
    if failed:
        print("\nfailed:")
        for name, ok, _ in results:
            if not ok:
                print("  " + name)
    if skipped:
        print("\n%d skipped (%s)" % (len(skipped), skipped[0][1]))
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed or not results else 0)


if __name__ == "__main__":
    main()
