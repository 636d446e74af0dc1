#!/usr/bin/env python3
"""Plain-socket capture cost benchmark (make bench; #19).

1. What a process the agent does not watch pays: a 1 KiB write + read loop
   on a Unix socketpair and a getppid loop (tests/bench/sockloop.c), with no
   programs, with do-nothing programs on the same socket tracepoints
   (bench-empty syscalls sock), and with the agent capturing plain sockets
   of another process (the default). Rounds interleaved, medians kept. The
   programs' own time per run, from the kernel's BPF statistics, is printed
   beside it: the same figure for the do-nothing programs is the floor.
   And what starting a process costs (posix_spawn of /bin/true and its
   wait), with and without the agent watching another pid: only the
   selected processes' execs wake the agent. And the agent's own CPU when
   it has nothing to do.
2. What a watched plain HTTP server pays: llm_server.py (plain) streaming
   1,000-delta SSE completions to curl, its CPU per streamed event with and
   without the agent, and the agent's own CPU per event.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import harness  # noqa: E402

DELTAS = 1000


def sockloop(build, iters):
    """ns per iteration of the socketpair and getppid loops, after a short
    warm-up run in the same configuration (a just-started or just-stopped
    agent leaves the machine busy for a moment)."""
    subprocess.run(["taskset", "-c", "1", os.path.join(build, "sockloop"), str(iters // 10)],
                   capture_output=True, check=True)
    out = subprocess.run(["taskset", "-c", "1", os.path.join(build, "sockloop"), str(iters)],
                         capture_output=True, text=True, check=True).stdout
    pair = float(out.split("write+read ")[1].split(" ")[0])
    null = float(out.split("getppid ")[1].split(" ")[0])
    return pair, null


def prog_stats(names):
    """{name: (run_time_ns, run_cnt)} of loaded BPF programs by name."""
    out = json.loads(subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True,
                                    check=True).stdout)
    return {p["name"]: (p.get("run_time_ns", 0), p.get("run_cnt", 0)) for p in out if p.get("name") in names}


def with_empty(build, fn):
    e = harness.Peer([os.path.join(build, "bench-empty"), "syscalls", "sock"])
    e.expect("attached 2")
    try:
        return fn()
    finally:
        e.proc.stdin.close()
        e.proc.wait()


def with_agent(target_pid, fn, *extra):
    a = harness.Agent("--pid", str(target_pid), *extra, dump=False)
    # The loops run on CPU 1; the agent's own periodic work (its process
    # walk, the socket sweep) stays on CPU 0, so the loop measures what each
    # transfer costs, not the agent's time slices.
    os.sched_setaffinity(a.proc.pid, {0})
    a.ready()
    a.wait_sockets(target_pid)
    try:
        return fn(a)
    finally:
        a.stop()


def per_run(stats, names):
    t = sum(stats[n][0] for n in names if n in stats)
    c = sum(stats[n][1] for n in names if n in stats)
    return t / c if c else float("nan")


def unwatched(build, rounds, iters):
    sleeper = subprocess.Popen(["sleep", "3600"])
    samples = {"none": [], "empty": [], "agent": []}
    try:
        for _ in range(rounds):
            samples["none"].append(sockloop(build, iters))
            samples["empty"].append(with_empty(build, lambda: sockloop(build, iters)))
            samples["agent"].append(with_agent(sleeper.pid, lambda a: sockloop(build, iters)))
        # The programs' own time per run (statistics on: they cost a little themselves).
        subprocess.run(["sysctl", "-q", "-w", "kernel.bpf_stats_enabled=1"], check=True)
        try:
            empty = with_empty(build, lambda: (sockloop(build, iters), prog_stats({"empty_sock_send", "empty_sock_recv"}))[1])
            agent = with_agent(sleeper.pid, lambda a: (sockloop(build, iters), prog_stats({"plain_send", "plain_recv"}))[1])
        finally:
            subprocess.run(["sysctl", "-q", "-w", "kernel.bpf_stats_enabled=0"], check=True)
    finally:
        sleeper.kill()
        sleeper.wait()
    med = {k: (statistics.median(p for p, _ in v), statistics.median(n for _, n in v)) for k, v in samples.items()}
    print("unwatched process, %d iterations x %d rounds (median; rounds in ns):" % (iters, rounds))
    for k in ("none", "empty", "agent"):
        print("  %-6s socketpair 1 KiB write+read %6.0f ns/iter (x%.3f)  getppid %4.0f ns (x%.3f)   [%s]"
              % (k, med[k][0], med[k][0] / med["none"][0], med[k][1], med[k][1] / med["none"][1],
                 " ".join("%.0f" % p for p, _ in samples[k])))
    print("  program time per socket transfer (BPF statistics): do-nothing %.0f ns, sealtap %.0f ns"
          % (per_run(empty, ("empty_sock_send", "empty_sock_recv")), per_run(agent, ("plain_send", "plain_recv"))))


def spawn_us(n=400):
    """us per posix_spawn of /bin/true and its wait: what every process
    start on the host pays (the exec, fork and exit tracepoints), pinned to
    CPU 1 as the loops are."""
    os.sched_setaffinity(0, {1})
    try:
        t0 = time.perf_counter()
        for _ in range(n):
            os.waitpid(os.posix_spawn("/bin/true", ["/bin/true"], {}), 0)
        return (time.perf_counter() - t0) / n * 1e6
    finally:
        os.sched_setaffinity(0, set(range(os.cpu_count())))


def execs(rounds):
    sleeper = subprocess.Popen(["sleep", "3600"])
    samples = {"none": [], "agent": []}
    try:
        for _ in range(rounds):
            spawn_us(40)  # warm
            samples["none"].append(spawn_us())
            samples["agent"].append(with_agent(sleeper.pid, lambda a: (spawn_us(40), spawn_us())[1]))
    finally:
        sleeper.kill()
        sleeper.wait()
    med = {k: statistics.median(v) for k, v in samples.items()}
    print("process start on the host (posix_spawn /bin/true + wait; the agent watching another pid), median of %d:"
          % rounds)
    for k in ("none", "agent"):
        print("  %-6s %5.0f us (x%.3f)   [%s]" % (k, med[k], med[k] / med["none"],
                                             " ".join("%.0f" % v for v in samples[k])))


def idle(rounds, seconds=10.0):
    """The agent's own CPU with nothing to do: watching a sleeping process,
    after two seconds to settle, over seconds; ms of CPU a second per round."""
    sleeper = subprocess.Popen(["sleep", "3600"])
    samples = []
    try:
        for _ in range(rounds):
            def measure(a):
                time.sleep(2.0)
                c0, t0 = agent_cpu_s(a.proc.pid), time.monotonic()
                time.sleep(seconds)
                return (agent_cpu_s(a.proc.pid) - c0) / (time.monotonic() - t0) * 1000
            samples.append(with_agent(sleeper.pid, measure))
    finally:
        sleeper.kill()
        sleeper.wait()
    print("idle agent (watching a sleeping process), CPU over %.0f s, median of %d: %.2f ms a second   [%s]"
          % (seconds, rounds, statistics.median(samples), " ".join("%.2f" % v for v in samples)))


def agent_cpu_s(pid):
    """The agent's CPU time, exactly (it is one thread)."""
    with open("/proc/%d/schedstat" % pid) as f:
        return int(f.read().split()[0]) / 1e9


def cpu_s(pid):
    """A process's CPU time, its dead threads' included (clock ticks)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stream_requests(port, n):
    body = json.dumps({"model": "m", "stream": True, "sealtap_test_reply": "abc" * DELTAS,
                       "messages": [{"role": "user", "content": "go"}]})
    for _ in range(n):
        r = subprocess.run(["curl", "-s", "-N", "http://127.0.0.1:%d/v1/chat/completions" % port,
                            "-H", "Content-Type: application/json", "-d", body], capture_output=True)
        if r.returncode != 0 or r.stdout.count(b"data: ") < DELTAS:
            raise SystemExit("stream failed: %r" % r.stderr)


def watched(rounds, requests):
    port = harness.free_port()
    server = harness.python_peer("llm_server.py", port, "-", "-")
    server.expect("ready")
    events = requests * DELTAS
    samples = {"none": [], "agent": []}
    agent_cpu = []
    try:
        for _ in range(rounds):
            c0 = cpu_s(server.pid)
            stream_requests(port, requests)
            samples["none"].append((cpu_s(server.pid) - c0) / events * 1e6)

            def measured(a):
                c0, a0 = cpu_s(server.pid), agent_cpu_s(a.proc.pid)
                stream_requests(port, requests)
                # The agent has caught up once it reported every exchange.
                a.wait_stdout('"type":"exchange"', count=requests, timeout=60)
                return (cpu_s(server.pid) - c0) / events * 1e6, (agent_cpu_s(a.proc.pid) - a0) / events * 1e6
            s, ac = with_agent(server.pid, measured, "--dump", "exchanges")
            samples["agent"].append(s)
            agent_cpu.append(ac)
    finally:
        server.kill()
    n, a = statistics.median(samples["none"]), statistics.median(samples["agent"])
    print("watched plain SSE server, %d requests x %d deltas x %d rounds (median):" % (requests, DELTAS, rounds))
    print("  server CPU per streamed event: %.1f us without the agent, %.1f us with it (x%.2f)   [%s | %s]"
          % (n, a, a / n, " ".join("%.1f" % v for v in samples["none"]), " ".join("%.1f" % v for v in samples["agent"])))
    print("  agent CPU per streamed event: %.2f us   [%s]" % (statistics.median(agent_cpu),
                                                          " ".join("%.2f" % v for v in agent_cpu)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--iters", type=int, default=200000)
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--only", choices=["unwatched", "watched"])
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    if args.only != "watched":
        unwatched(build, args.rounds, args.iters)
        execs(max(3, args.rounds // 2))
        idle(3)
    if args.only != "unwatched":
        watched(max(3, args.rounds // 2), args.requests)


if __name__ == "__main__":
    main()
