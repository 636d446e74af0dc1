#!/usr/bin/env python3
"""What a streaming model server pays for being watched, and what the agent
spends (make bench; issue #24). One asyncio TLS server (stream_server.py:
memory BIO, as uvicorn and vLLM) streams DELTAS-event SSE completions to
CLIENTS concurrent curl clients; each round runs the same requests under one
configuration, and rounds of the configurations are interleaved (these
machines are shared: medians of rounds, and ratios within the run):

  none      no probes
  empty     do-nothing programs at exactly the agent's attach points for this
            server (bench-empty agent: entry and return of its SSL_write/read
            variants, SSL_set_fd/rfd/wfd and SSL_free, the socket tracepoints)
  agent     the agent watching the server's pid: decode, classify, drift,
            evidence signed into the spool
  shipped   the same, the evidence also shipped to a local collector (TLS)
  baseline  with --baseline BUILD: shipped, by that build's agent (another
            commit's), to compare two builds within one run

Per configuration: server CPU per streamed event (its threads' schedstat),
wall time of the round, agent CPU per event (from the clients' start until
the agent has caught up: its CPU still for 300 ms; also net of its idle CPU,
measured for a second before the round), probe calls per event
(the agent's kernel.calls), and the agent's added server cost as a ratio to
the empty programs' added cost. With --plain the server speaks plain HTTP:
the agent sees it through the socket tracepoints, and the empty programs
at its SSL points never fire there. With --streams N, one client process
holds N connections streaming at once instead of the curls (concurrency).
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import harness  # noqa: E402

LIBSSL = "/usr/lib/x86_64-linux-gnu/libssl.so.3"
CONFIGS = ("none", "empty", "agent", "shipped")
IDLE_S = 1.0  # the agent's idle CPU is measured over this long before each round


def cpu_ns(pid):
    """CPU time of every thread of pid, in ns (schedstat: exact, not ticks)."""
    total = 0
    for f in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            total += int(open(f).read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that just ended
    return total


def settle(pid, quiet_ns=1_000_000, every=0.3, timeout=60):
    """Waits until pid's CPU time grows by less than quiet_ns over one
    interval (it has caught up); returns its CPU time then."""
    last = cpu_ns(pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(every)
        now = cpu_ns(pid)
        if now - last < quiet_ns:
            return now
        last = now
    raise SystemExit("pid %d never settled" % pid)


def run_clients(port, crt, args, requests):
    """One round's clients: args.clients curls, or one process holding
    args.streams connections at once (--streams)."""
    if not args.streams:
        return clients(port, crt, args.clients, requests, args.plain)
    r = subprocess.run([harness.PYTHON, os.path.join(HERE, "stream_client.py"), str(port), "-" if args.plain else crt,
                        str(args.streams), str(requests)], capture_output=True, timeout=900)
    want = args.streams * requests * args.deltas
    if r.returncode or r.stdout.split() != [b"done", str(want).encode()]:
        raise SystemExit("the stream clients failed (%d events wanted): %s %s" % (want, r.stdout.decode(),
                                                                                  r.stderr.decode()[-2000:]))


def exchanges(args):
    """Completions streamed per round."""
    return (args.streams or args.clients) * args.requests


def clients(port, crt, n, requests, plain=False):
    body = '{"model":"m","stream":true,"messages":[{"role":"user","content":"say something"}]}'
    errors = []

    def one():
        for _ in range(requests):
            r = subprocess.run(["curl", "-sS", "-N", "--fail", "--cacert", crt, "-d", body, "-H",
                                "Content-Type: application/json",
                                "%s://localhost:%d/v1/chat/completions" % ("http" if plain else "https", port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
            if r.returncode:
                errors.append(r.stderr.decode())

    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise SystemExit("a client failed: %s" % errors[0])


def round_(build, config, server, port, crt, args, state, collector):
    """One round under config: its measurements."""
    agent = empty = None
    if config == "empty":
        empty = harness.Peer([os.path.join(build, "bench-empty"), str(server.pid), LIBSSL, "agent"])
        line = empty.expect("attached")
        if int(line.split()[-1]) < 12:
            raise SystemExit("bench-empty attached only: %s" % line)
    elif config in ("agent", "shipped", "baseline"):
        extra = ["--collector", collector.url, "--collector-ca", crt] if config != "agent" else []
        harness.AGENT = os.path.join(args.baseline if config == "baseline" else build, "sealtap-agent")
        agent = harness.Agent("--pid", str(server.pid), "--state-dir", state, *extra, *args.agent_arg, dump=False)
        agent.ready()
        agent.wait_attached(server.pid)
        settle(agent.proc.pid)
        # what it spends with nothing to do (housekeeping, polls), so the
        # per-event figure can be given net of it too
        idle0, i0 = cpu_ns(agent.proc.pid), time.monotonic()
        time.sleep(IDLE_S)
        idle_rate = (cpu_ns(agent.proc.pid) - idle0) / (time.monotonic() - i0)  # ns of CPU a second
        if args.profile:
            perf = subprocess.Popen(["strace", "-c", "-f", "-o", args.profile + ".strace", "-p", str(agent.proc.pid)]
                                    if os.environ.get("STRACE") else ["perf", "record", "-q", "-F", "4999", "--call-graph", os.environ.get("PERF_CALL_GRAPH", "fp"), "-o", args.profile, "-p",
                                     str(agent.proc.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)  # perf attaches before the clients start
    if args.bpf_stats:
        bpf_stats(1)
        progs_before = prog_runs()
    server_before = cpu_ns(server.pid)
    agent_before = cpu_ns(agent.proc.pid) if agent else 0
    t0 = time.monotonic()
    run_clients(port, crt, args, args.requests)
    wall = time.monotonic() - t0
    server_cpu = settle(server.pid, every=0.1) - server_before
    events = exchanges(args) * args.deltas
    out = {"server_us": server_cpu / events / 1000, "wall_s": wall}
    if args.bpf_stats:
        # each program that ran: runs per event, ns per run (the statistics
        # cost a little themselves: two clock reads a run)
        out["progs"] = {}
        for n, (runs, ns) in prog_runs().items():
            runs0, ns0 = progs_before.get(n, (0, 0))
            if runs > runs0:
                out["progs"][n] = ((runs - runs0) / events, (ns - ns0) / (runs - runs0))
        bpf_stats(0)
    if agent:
        spent = settle(agent.proc.pid) - agent_before
        out["agent_us"] = spent / events / 1000
        out["idle_ms_s"] = idle_rate / 1e6
        out["agent_net_us"] = max(0.0, spent - idle_rate * (time.monotonic() - t0)) / events / 1000
        if args.profile:
            perf.send_signal(2)
            perf.wait(60)

        agent.stop()
        st = agent.stats()
        out["calls"] = st["kernel"]["calls"] / events
        out["scans"] = st["classify"].get("scans", 0) / events
        out["classified"] = st["classify"]["bytes"] / events
        if st["decode"]["exchanges"] < exchanges(args):
            raise SystemExit("the agent decoded %d of %d exchanges: the round is void"
                             % (st["decode"]["exchanges"], exchanges(args)))
        if config != "agent":
            everything, last = agent.shipped_everything()
            if not everything:
                raise SystemExit("the collector did not take every event: %s" % last)
    if empty:
        empty.proc.stdin.close()
        empty.proc.wait()
    return out


def prog_runs():
    """{program name: (runs, ns)} of every loaded BPF program, summed by name."""
    out = {}
    for p in json.loads(subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, check=True).stdout):
        runs, ns = out.get(p.get("name", "?"), (0, 0))
        out[p.get("name", "?")] = (runs + p.get("run_cnt", 0), ns + p.get("run_time_ns", 0))
    return out


def bpf_stats(on):
    subprocess.run(["sysctl", "-q", "-w", "kernel.bpf_stats_enabled=%d" % on], check=True)


def spread(values, digits=1):
    return "%.*f (%.*f-%.*f)" % (digits, statistics.median(values), digits, min(values), digits, max(values))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--clients", type=int, default=4, help="concurrent curl clients")
    ap.add_argument("--streams", type=int, default=0,
                    help="instead of curls, this many connections streaming at once from one client process")
    ap.add_argument("--requests", type=int, default=5, help="per client and round")
    ap.add_argument("--deltas", type=int, default=1000, help="SSE events per completion")
    ap.add_argument("--agent-arg", action="append", default=[], metavar="ARG",
                    help="an argument for the agent under test (repeat for more), e.g. --agent-arg=--wakeup-bytes=1M")
    ap.add_argument("--plain", action="store_true", help="the server over plain HTTP (socket capture, no trap)")
    ap.add_argument("--pin-server", type=int, metavar="CPU",
                    help="the server alone on this CPU, everything else on the others: its CPU per event without "
                         "the agent's, the collector's and the clients' competing for its core")
    ap.add_argument("--bpf-stats", action="store_true",
                    help="also each BPF program's runs per event and time per run (kernel.bpf_stats_enabled)")
    ap.add_argument("--baseline", metavar="BUILD", help="also rounds of that build's agent, shipped (config baseline)")
    ap.add_argument("--configs", default=",".join(CONFIGS),
                    help="the configurations to run, comma-separated (default: %(default)s; baseline is added by "
                    "--baseline)")
    ap.add_argument("--profile", metavar="PERF_DATA",
                    help="only one round watched by the agent, its CPU sampled by perf record into PERF_DATA "
                    "(call graphs by PERF_CALL_GRAPH, default fp; perf report -i PERF_DATA --no-children), "
                    "or with STRACE=1 its system calls counted by strace -c into PERF_DATA.strace")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    configs = tuple(c for c in args.configs.split(",") if c)
    if args.baseline:
        args.baseline = os.path.abspath(args.baseline)
        configs += ("baseline",)
    unknown = set(configs) - set(CONFIGS + ("baseline",))
    if unknown:
        raise SystemExit("unknown configuration: %s" % ", ".join(sorted(unknown)))
    crt, key = harness.certs()
    port = harness.free_port()
    tmp = tempfile.mkdtemp(prefix="sealtap-stream-bench-")
    # one state per agent configuration: a shipped round must not ship the
    # other rounds' backlog
    states = {c: os.path.join(tmp, c) for c in ("agent", "shipped", "baseline")}
    server = harness.Peer([harness.PYTHON, os.path.join(HERE, "stream_server.py"), str(port),
                           *(("-", "-") if args.plain else (crt, key)), str(args.deltas)])
    server.expect("ready")
    if args.pin_server is not None:
        # the server alone on its CPU; this process, and so the clients, the
        # agent and the collector it starts, on the others
        os.sched_setaffinity(server.pid, {args.pin_server})
        os.sched_setaffinity(0, set(range(os.cpu_count())) - {args.pin_server})
    shippers = [(os.path.join(build, "sealtap-agent"), states["shipped"])]
    if args.baseline:
        shippers.append((os.path.join(args.baseline, "sealtap-agent"), states["baseline"]))
    collector = harness.LocalCollector(os.path.join(build, "sealtap-collector"), tmp, crt, key, shippers)
    results = {c: [] for c in configs}
    try:
        run_clients(port, crt, args, 1)  # warm: imports, first handshakes
        if args.profile:
            out = round_(build, "shipped", server, port, crt, args, states["shipped"], collector)
            print("profiled one shipped round: agent CPU %.2f us/event, %.3f classifier scans and %.1f bytes "
                  "classified per event; "
                  "perf report -i %s --no-children" % (out["agent_us"], out["scans"], out["classified"], args.profile))
            return
        for r in range(args.rounds):
            order = configs[r % len(configs):] + configs[:r % len(configs)]
            for c in order:
                results[c].append(round_(build, c, server, port, crt, args, states.get(c), collector))
    finally:
        server.kill()
        collector.stop()
        if args.bpf_stats:
            bpf_stats(0)
        shutil.rmtree(tmp, ignore_errors=True)
    events = exchanges(args) * args.deltas
    who = ("%d streams at once (one client process)" % args.streams if args.streams
           else "%d clients (curl)" % args.clients)
    print("streaming server (asyncio %s): %s x %d requests x %d SSE events = %d events per round, "
          "%d rounds interleaved; medians (min-max)" % ("plain HTTP" if args.plain else "TLS, memory BIO", who,
                                                        args.requests, args.deltas, events, args.rounds))
    print("%-9s %-19s %-17s %-19s %-19s %-16s %-12s %s" % (
        "", "server CPU us/event", "wall s", "agent CPU us/event", "net of idle us/ev", "agent idle ms/s",
        "calls/event", "scans/event"))
    for c in configs:
        rs = results[c]
        watched = "agent_us" in rs[0]
        print("%-9s %-19s %-17s %-19s %-19s %-16s %-12s %s" % (
            c, spread([x["server_us"] for x in rs]), spread([x["wall_s"] for x in rs], 2),
            spread([x["agent_us"] for x in rs], 2) if watched else "-",
            spread([x["agent_net_us"] for x in rs], 2) if watched else "-",
            spread([x["idle_ms_s"] for x in rs], 2) if watched else "-",
            "%.2f" % statistics.median(x["calls"] for x in rs) if watched else "-",
            "%.4f" % statistics.median(x["scans"] for x in rs) if watched else "-"))
    med = {c: statistics.median(x["server_us"] for x in results[c]) for c in configs}
    for c in configs:
        if c in ("none", "empty") or "none" not in med:
            continue
        line = "%s: server CPU x%.2f of no probes" % (c, med[c] / med["none"])
        if "empty" in med:
            empty_added = med["empty"] - med["none"]
            line += ", x%.2f of empty probes; added cost / empty probes' added cost: %s" % (
                med[c] / med["empty"], "%.2f" % ((med[c] - med["none"]) / empty_added) if empty_added > 0
                else "n/a (empty probes added nothing measurable)")
        print(line)
    if args.bpf_stats:
        print("BPF programs (kernel.bpf_stats_enabled), medians: runs per event x ns per run")
        for c in configs:
            parts = []
            for n in sorted({n for x in results[c] for n in x["progs"]}):
                runs = statistics.median(x["progs"].get(n, (0, 0))[0] for x in results[c])
                if runs >= 0.01:  # the host's occasional exec or exit is not the workload
                    ns = statistics.median(x["progs"][n][1] for x in results[c] if n in x["progs"])
                    parts.append("%s %.3f x %.0f ns" % (n, runs, ns))
            print("  %-9s %s" % (c, ", ".join(parts) or "-"))
    if "baseline" in results:
        ratio = [x["agent_us"] / y["agent_us"] for x, y in zip(results["shipped"], results["baseline"])]
        print("agent CPU per event, shipped / baseline, round by round: %s; median %.2f"
              % (" ".join("%.2f" % r for r in ratio), statistics.median(ratio)))


if __name__ == "__main__":
    main()
