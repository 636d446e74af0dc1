#!/usr/bin/env python3
"""Probe cost benchmark (make bench): what sealtap's probes cost per SSL
call, as a ratio to do-nothing uprobes on the same functions in the same run,
and what a process that is not selected pays; then the same for Go's
crypto/tls.

Each configuration runs the same in-process TLS loop (tests/bench/tlsloop.c:
one 1 KiB SSL_write + one SSL_read per iteration, i.e. two SSL calls; for
Go, tests/go/tlsloop: one Write and the Read that takes it, over net.Pipe);
rounds are interleaved and the median kept, since these machines are shared.
"""
import argparse
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import harness  # noqa: E402

LIBSSL = "/usr/lib/x86_64-linux-gnu/libssl.so.3"
GO_LOOP = "go/tlsloop"


def loop(build, iters, attach, program="tlsloop"):
    """Runs tlsloop once; attach(pid) sets probes up and returns a cleanup."""
    crt, key = harness.certs()
    p = harness.Peer([os.path.join(build, program), crt, key, str(iters)])
    p.expect("ready")
    cleanup = attach(p.pid)
    try:
        p.go()
        out = p.finish(timeout=600).decode()
    finally:
        cleanup()
    return float(out.split("ns_per_iter")[1])


def none(pid):
    return lambda: None


def empty(build, mode):
    def attach(pid):
        e = harness.Peer([os.path.join(build, "bench-empty"), str(pid), LIBSSL, mode])
        e.expect("attached 4" if mode == "entry+return" else "attached 2")
        return lambda: (e.proc.stdin.close(), e.proc.wait())
    return attach


def empty_go(build):
    def attach(pid):
        e = harness.Peer([os.path.join(build, "bench-empty"), "go", str(pid), os.path.join(build, GO_LOOP)])
        line = e.expect("attached")
        if int(line.split()[-1]) < 4:
            raise SystemExit("bench-empty attached only: %s" % line)
        return lambda: (e.proc.stdin.close(), e.proc.wait())
    return attach


def agent(select_self):
    def attach(pid):
        target = pid if select_self else other.pid
        a = harness.Agent("--pid", str(target), dump=False)
        a.ready()
        a.wait_attached(target)

        def stop():
            a.stop()
            a.__exit__()
            if select_self:
                k = a.stats()["kernel"]
                # The benchmark is void if the probes did not fire on every call.
                if k["calls"] < 2 * ITERS:
                    raise SystemExit("sealtap saw %d calls, expected >= %d" % (k["calls"], 2 * ITERS))
        return stop
    return attach


def main():
    global other, ITERS
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--iters", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", choices=["openssl", "go"], help="one of the two benchmarks")
    args = ap.parse_args()
    ITERS = args.iters
    build = os.path.abspath(args.build)
    if args.only != "go":
        openssl_cost(build, args)
    if args.only != "openssl":
        go_cost(build, args)


def openssl_cost(build, args):
    global other
    # A process that maps libssl but is not the one measured: the agent's
    # selection for the "unselected" case.
    other = harness.Peer([harness.PYTHON, "-c", "import ssl,sys; print('ready', flush=True); sys.stdin.readline()"])
    other.expect("ready")
    configs = [
        ("baseline (no probes)", none),
        ("empty uprobe, entry", empty(build, "entry")),
        ("empty uprobe, entry+return", empty(build, "entry+return")),
        ("sealtap, process selected", agent(True)),
        ("sealtap, process not selected", agent(False)),
    ]
    samples = {name: [] for name, _ in configs}
    for r in range(args.rounds):
        for name, attach in configs:
            samples[name].append(loop(build, args.iters, attach))
    other.go()
    other.finish()
    med = {k: statistics.median(v) for k, v in samples.items()}
    base = med["baseline (no probes)"]
    print("probe cost, %d iterations x %d rounds (median), 2 SSL calls per iteration, 1 KiB each:"
          % (args.iters, args.rounds))
    for name, _ in configs:
        per_call = (med[name] - base) / 2
        print("  %-32s %9.0f ns/iter  %+8.0f ns per SSL call   (rounds: %s)"
              % (name, med[name], per_call, " ".join("%.0f" % v for v in samples[name])))
    s = med["sealtap, process selected"] - base
    print("sealtap / empty entry+return probes (same attach points): %.2fx" % (s / (med["empty uprobe, entry+return"] - base)))
    print("sealtap / empty entry-only probe:                         %.2fx" % (s / (med["empty uprobe, entry"] - base)))
    print("unselected process overhead: %+.1f%% of baseline" % (100.0 * (med["sealtap, process not selected"] - base) / base))


def go_cost(build, args):
    # Go: the same probes' cost where sealtap puts them (the bodies of
    # Write and Read, every return instruction), against empty programs at
    # the same points.
    go = [("go baseline (no probes)", none), ("go empty uprobes, body+returns", empty_go(build)),
          ("go sealtap, process selected", agent(True))]
    gs = {name: [] for name, _ in go}
    for r in range(args.rounds):
        for name, attach in go:
            gs[name].append(loop(build, args.iters, attach, GO_LOOP))
    gm = {k: statistics.median(v) for k, v in gs.items()}
    gbase = gm["go baseline (no probes)"]
    print("Go crypto/tls probe cost, %d iterations x %d rounds (median), a 1 KiB Write and its Read per iteration:"
          % (args.iters, args.rounds))
    for name, _ in go:
        print("  %-32s %9.0f ns/iter  %+8.0f ns per call   (rounds: %s)"
              % (name, gm[name], (gm[name] - gbase) / 2, " ".join("%.0f" % v for v in gs[name])))
    print("Go: sealtap / empty probes (same points): %.2fx" % ((gm["go sealtap, process selected"] - gbase)
                                                              / (gm["go empty uprobes, body+returns"] - gbase)))


if __name__ == "__main__":
    main()
