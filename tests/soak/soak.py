#!/usr/bin/env python3
"""Soak (make soak): the real agent watching a TLS server (or, with --plain,
a plain HTTP one) while thousands of connections are opened, used and closed, some cut mid-message and some
clients killed mid-request, for a bounded time. Reports the agent's RSS with
10,000 connections tracked (target 64 MiB), and checks that nothing leaks:
descriptors and tracked connections come back to where they started, and
every loss is counted in the stats.

With --ship, the whole pipeline runs as in production: classification,
drift, evidence signed into the spool and shipped to a local collector over
TLS, every event acknowledged by the end.

usage: soak.py [--build build] [--connections 10000] [--rounds 3] [--rss-bound 64] [--plain] [--ship]
"""
import argparse
import asyncio
import atexit
import json
import os
import resource
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import harness  # noqa: E402
from harness import Agent, certs, free_port  # noqa: E402

_, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (_hard, _hard))  # as many descriptors as allowed


def status(pid, field):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def bpf_conn_entries(pid):
    """Entries in the kernel side's connection map (conns) of the agent pid:
    a connection the kernel side never forgets would show up here."""
    held = set()  # map ids behind the agent's descriptors
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            for line in open("/proc/%d/fdinfo/%s" % (pid, fd)):
                if line.startswith("map_id:"):
                    held.add(int(line.split()[1]))
        except OSError:
            pass
    maps = json.loads(subprocess.check_output(["bpftool", "map", "show", "-j"]))
    ids = [m["id"] for m in maps if m.get("name") == "conns" and m["id"] in held]
    if len(ids) != 1:
        sys.exit("SOAK FAILED: expected one conns map owned by the agent, found %d" % len(ids))
    return len(json.loads(subprocess.check_output(["bpftool", "map", "dump", "id", str(ids[0]), "-j"])))


def chat_request(i):
    body = json.dumps({"model": "soak-model", "stream": True,
                       "messages": [{"role": "user", "content": "Say the number %d" % i}]}).encode()
    return (b"POST /v1/chat/completions HTTP/1.1\r\nHost: soak\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


async def open_many(port, n, ctx):
    """n keep-alive connections, each with one streamed chat completion
    answered; returned open."""
    conns = []
    sem = asyncio.Semaphore(200)

    async def one(i):
        async with sem:
            r, w = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
            w.write(chat_request(i))
            await w.drain()
            answer = await r.readuntil(b"\r\n0\r\n\r\n")
            if b'"content": "%d"' % i not in answer:
                raise RuntimeError("connection %d: unexpected answer %r" % (i, answer[:200]))
            conns.append((r, w))

    await asyncio.gather(*(one(i) for i in range(n)))
    return conns


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rss-bound", type=float, default=64.0, help="MiB the agent's RSS must stay under")
    ap.add_argument("--plain", action="store_true", help="plain HTTP: the socket capture path")
    ap.add_argument("--ship", action="store_true", help="evidence shipped to a local collector too")
    a = ap.parse_args()
    os.environ["SEALTAP_BUILD"] = os.path.abspath(a.build)
    harness.AGENT = os.path.join(os.path.abspath(a.build), "sealtap-agent")  # the agent under test
    crt, key = certs()
    port = free_port()
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "hold_server.py"), str(port),
                               *(["-", "-"] if a.plain else [crt, key])], stdout=subprocess.PIPE)
    atexit.register(server.kill)  # also when a check exits early
    server.stdout.readline()
    ctx = None if a.plain else ssl.create_default_context(cafile=crt)
    print("soak over %s" % ("plain HTTP (socket capture)" if a.plain else "TLS (SSL probes)"), flush=True)
    mport = free_port()
    loop = asyncio.new_event_loop()
    failures = []
    ship = []
    if a.ship:
        tmp = tempfile.mkdtemp(prefix="sealtap-soak-")
        atexit.register(shutil.rmtree, tmp, True)  # runs after the collector's stop below (last in, first out)
        state = os.path.join(tmp, "agent")
        collector = harness.LocalCollector(os.path.join(os.path.abspath(a.build), "sealtap-collector"), tmp, crt, key,
                                           [(harness.AGENT, state)])
        atexit.register(collector.stop)
        ship = ["--state-dir", state, "--collector", collector.url, "--collector-ca", crt]
    print("pipeline: classification, drift, evidence signed%s" % (", shipped to a local collector" if a.ship else
                                                                 " into the spool (not shipped)"), flush=True)
    with Agent("--pid", str(server.pid), "--max-conns", str(2 * a.connections), "--metrics",
               "127.0.0.1:%d" % mport, "--idle-timeout", "0", *ship, dump=False) as agent:
        agent.ready()
        agent.wait_attached(server.pid)
        time.sleep(0.5)
        base_fds, base_rss = fds(agent.proc.pid), status(agent.proc.pid, "VmRSS")
        base_entries = bpf_conn_entries(agent.proc.pid)

        def metric(name):
            import urllib.request
            text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=10).read().decode()
            for line in text.splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
            return None

        peak, heap_after = 0, []
        t0 = time.monotonic()
        for rnd in range(a.rounds):
            conns = loop.run_until_complete(open_many(port, a.connections, ctx))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (metric("sealtap_agent_conns_active") or 0) < a.connections:
                time.sleep(0.2)
            active = metric("sealtap_agent_conns_active")
            open_entries = bpf_conn_entries(agent.proc.pid)
            if open_entries < a.connections:  # the leak check below counts these entries
                failures.append("round %d: %d kernel map entries for %d open connections" %
                                (rnd + 1, open_entries, a.connections))
            rss = status(agent.proc.pid, "VmRSS")
            peak = max(peak, rss)
            print("round %d: %d connections open, %d tracked by the agent, agent RSS %.1f MiB" %
                  (rnd + 1, len(conns), active, rss / 1024.0), flush=True)
            # A tenth cut mid-message (half a request, then an abort), the rest closed cleanly.
            for i, (r, w) in enumerate(conns):
                if i % 10 == 0:
                    w.write(chat_request(i)[:90])
                    w.transport.abort()
                else:
                    w.close()
            loop.run_until_complete(asyncio.sleep(1.0))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (metric("sealtap_agent_conns_active") or 0) > 0:
                time.sleep(0.2)
            left = metric("sealtap_agent_conns_active")
            entries = bpf_conn_entries(agent.proc.pid)
            heap_after.append(metric("sealtap_memory_heap_in_use"))
            print("round %d: after closing, %d connections tracked, %d descriptors (started with %d), "
                  "%d kernel map entries (started with %d), heap in use %.2f MiB" %
                  (rnd + 1, left, fds(agent.proc.pid), base_fds, entries, base_entries,
                   heap_after[-1] / 1048576.0), flush=True)
            if left:
                failures.append("round %d: %d connections still tracked after all closed" % (rnd + 1, left))
            if entries > base_entries:
                failures.append("round %d: kernel conns map grew %d -> %d" % (rnd + 1, base_entries, entries))
        # Clients killed mid-request: a process that opens connections, writes half a request, and is killed.
        killer = subprocess.Popen([sys.executable, "-c", """
import socket, ssl, time
ctx = ssl.create_default_context(cafile=%r) if %r else None
s = [socket.create_connection(("127.0.0.1", %d)) for _ in range(200)]
s = [ctx.wrap_socket(x, server_hostname="localhost") for x in s] if ctx else s
for x in s: x.send(%r)
print("sent", flush=True); time.sleep(60)
""" % (crt, not a.plain, port, chat_request(0)[:120])], stdout=subprocess.PIPE)
        killer.stdout.readline()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (metric("sealtap_agent_conns_active") or 0) < 200:
            time.sleep(0.2)
        held = metric("sealtap_agent_conns_active")
        killer.kill()
        killer.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (metric("sealtap_agent_conns_active") or 0) > 0:
            time.sleep(0.2)
        left = metric("sealtap_agent_conns_active")
        entries = bpf_conn_entries(agent.proc.pid)
        print("killed client: %d half-sent connections tracked, %d left after the kill, %d kernel map entries" %
              (held, left, entries), flush=True)
        if held < 200 or left or entries > base_entries:
            failures.append("killed client: %d tracked before the kill, %d after, %d kernel map entries" %
                            (held, left, entries))
        elapsed = time.monotonic() - t0
        end_fds, lost = fds(agent.proc.pid), metric("sealtap_kernel_lost_ringbuf_total")
        agent.stop()
    server.kill()
    st = agent.stats()
    print("agent RSS: %.1f MiB at start, %.1f MiB peak with %d connections tracked (bound %.0f MiB)" %
          (base_rss / 1024.0, peak / 1024.0, a.connections, a.rss_bound))
    print("descriptors: %d at start, %d at the end; %d connections opened and closed in %.0f s" %
          (base_fds, end_fds, st["agent"]["conns_opened"], elapsed))
    print("losses counted: ring buffer %s, gaps %d, evicted %d; decode: incomplete %d, parse errors %d" %
          (lost, st["agent"]["gaps"], st["agent"]["evicted"], st["decode"]["incomplete"],
           st["decode"]["parse_errors"]))
    complete = st["decode"]["exchanges"] - st["decode"]["incomplete"]
    print("exchanges decoded: %d complete (%d answered), %d incomplete (%d half-sent and killed)" %
          (complete, a.rounds * a.connections, st["decode"]["incomplete"], 200))
    if complete != a.rounds * a.connections:
        failures.append("%d complete exchanges decoded for %d answered requests" %
                        (complete, a.rounds * a.connections))
    # Requests cut inside their head never become exchanges; the 200 killed
    # mid-body must each be reported, as incomplete.
    if st["decode"]["incomplete"] != 200:
        failures.append("%d incomplete exchanges for the 200 killed mid-request" % st["decode"]["incomplete"])
    if a.ship:
        everything, last = agent.shipped_everything()
        print("evidence: %s" % last.split(": ", 1)[1])
        if not everything:
            failures.append("the collector did not take every event: %s" % last)
    if end_fds > base_fds:
        failures.append("descriptors grew: %d -> %d" % (base_fds, end_fds))
    # Leaks: with every connection closed, the heap in use (the allocator's
    # own count, not RSS, which also grows while freed pages of the arena are
    # touched again) must come back to the same size after every round. A
    # leak of 32 bytes per connection or exchange would add 312 KiB a round.
    if len(heap_after) >= 2 and heap_after[-1] - heap_after[0] > 64 * 1024:
        failures.append("heap in use grew from %d to %d bytes over the rounds" % (heap_after[0], heap_after[-1]))
    if peak > a.rss_bound * 1024:
        failures.append("agent RSS peaked at %.1f MiB, above the %.0f MiB bound" % (peak / 1024.0, a.rss_bound))
    if failures:
        sys.exit("SOAK FAILED: " + "; ".join(failures))
    print("soak passed")


if __name__ == "__main__":
    main()
