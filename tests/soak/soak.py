#!/usr/bin/env python3
"""Soak (make soak): the real agent watching a TLS server while thousands of
connections are opened, used and closed, some cut mid-message and some
clients killed mid-request, for a bounded time. Reports the agent's RSS with
10,000 connections tracked (target 64 MiB), and checks that nothing leaks:
descriptors and tracked connections come back to where they started, and
every loss is counted in the stats.

usage: soak.py [--build build] [--connections 10000] [--rounds 3]
"""
import argparse
import asyncio
import json
import os
import resource
import signal
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
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


async def open_many(port, n, ctx):
    """n connections, each with one request answered; returned open."""
    conns = []
    sem = asyncio.Semaphore(200)

    async def one(i):
        async with sem:
            r, w = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
            w.write(b"hello %d\n" % i)
            await w.drain()
            await r.readline()
            conns.append((r, w))

    await asyncio.gather(*(one(i) for i in range(n)))
    return conns


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    os.environ["SEALTAP_BUILD"] = os.path.abspath(a.build)
    crt, key = certs()
    port = free_port()
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "hold_server.py"), str(port), crt, key],
                              stdout=subprocess.PIPE)
    server.stdout.readline()
    ctx = ssl.create_default_context(cafile=crt)
    mport = free_port()
    loop = asyncio.new_event_loop()
    failures = []
    with Agent("--pid", str(server.pid), "--max-conns", str(2 * a.connections), "--metrics",
               "127.0.0.1:%d" % mport, "--idle-timeout", "0", dump=False) as agent:
        agent.ready()
        agent.wait_attached(server.pid)
        time.sleep(0.5)
        base_fds, base_rss = fds(agent.proc.pid), status(agent.proc.pid, "VmRSS")

        def metric(name):
            import urllib.request
            text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=10).read().decode()
            for line in text.splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
            return None

        peak = 0
        t0 = time.monotonic()
        for rnd in range(a.rounds):
            conns = loop.run_until_complete(open_many(port, a.connections, ctx))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (metric("sealtap_agent_conns_active") or 0) < a.connections:
                time.sleep(0.2)
            active = metric("sealtap_agent_conns_active")
            rss = status(agent.proc.pid, "VmRSS")
            peak = max(peak, rss)
            print("round %d: %d connections open, %d tracked by the agent, agent RSS %.1f MiB" %
                  (rnd + 1, len(conns), active, rss / 1024.0), flush=True)
            # A tenth cut mid-message (a partial line, then an abort), the rest closed cleanly.
            for i, (r, w) in enumerate(conns):
                if i % 10 == 0:
                    w.write(b"partial-without-newline")
                    w.transport.abort()
                else:
                    w.close()
            loop.run_until_complete(asyncio.sleep(1.0))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (metric("sealtap_agent_conns_active") or 0) > 0:
                time.sleep(0.2)
            left = metric("sealtap_agent_conns_active")
            print("round %d: after closing, %d connections tracked, %d descriptors (started with %d)" %
                  (rnd + 1, left, fds(agent.proc.pid), base_fds), flush=True)
            if left:
                failures.append("round %d: %d connections still tracked after all closed" % (rnd + 1, left))
        # Clients killed mid-request: a process that opens connections, writes half a request, and is killed.
        killer = subprocess.Popen([sys.executable, "-c", """
import socket, ssl, time
ctx = ssl.create_default_context(cafile=%r)
s = [ctx.wrap_socket(socket.create_connection(("127.0.0.1", %d)), server_hostname="localhost") for _ in range(200)]
for x in s: x.send(b"half a req")
print("sent", flush=True); time.sleep(60)
""" % (crt, port)], stdout=subprocess.PIPE)
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
        print("killed client: %d half-sent connections tracked, %d left after the kill" % (held, left), flush=True)
        if held < 200 or left:
            failures.append("killed client: %d tracked before the kill, %d after" % (held, left))
        elapsed = time.monotonic() - t0
        end_fds, lost = fds(agent.proc.pid), metric("sealtap_kernel_lost_ringbuf_total")
        agent.stop()
    server.kill()
    st = agent.stats()
    print("agent RSS: %.1f MiB at start, %.1f MiB peak with %d connections tracked (target 64 MiB)" %
          (base_rss / 1024.0, peak / 1024.0, a.connections))
    print("descriptors: %d at start, %d at the end; %d connections opened and closed in %.0f s" %
          (base_fds, end_fds, st["agent"]["conns_opened"], elapsed))
    print("losses counted: ring buffer %s, gaps %d, evicted %d; decode: incomplete %d, parse errors %d" %
          (lost, st["agent"]["gaps"], st["agent"]["evicted"], st["decode"]["incomplete"],
           st["decode"]["parse_errors"]))
    if end_fds > base_fds:
        failures.append("descriptors grew: %d -> %d" % (base_fds, end_fds))
    if peak > 64 * 1024:
        print("NOTE: peak RSS above the 64 MiB target")
    if failures:
        sys.exit("SOAK FAILED: " + "; ".join(failures))
    print("soak passed")


if __name__ == "__main__":
    main()
