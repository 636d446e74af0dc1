"""Capture end to end: the real agent, real processes, real TLS.

Each test starts its peers, selects them by pid (or by executable, for the
process started later), waits until the agent says it attached, then lets
the peers talk, and asserts on the exact bytes captured and on the counters.
"""
import base64
import os
import shutil
import subprocess
import tempfile

from harness import (AGENT, Agent, Peer, certs, check, free_port, python_peer, run_agent,
                     start_nginx, stream_of, streams, wait_listening, PYTHON, PEERS)
import sys
sys.path.insert(0, PEERS)
from pattern import pattern  # noqa: E402

import pytest  # noqa: E402

pytestmark = pytest.mark.bpf  # every test here starts the agent

MIB = 1 << 20


def _blocking_exchange(req, reply, agent_args=(), wsize=0, extra=0):
    """Python blocking server and client; returns (agent, server, client).
    With extra, the client writes extra bytes once the agent has shown the
    reply, i.e. once everything queued before has been consumed."""
    crt, key = certs()
    port = free_port()
    server = python_peer("tls_server.py", port, crt, key, req, reply, "s1", wsize, extra)
    client = None
    try:
        server.expect("ready")
        client = python_peer("tls_client.py", port, req, reply, "s1", extra)
        client.expect("ready")
        agent = Agent("--pid", str(server.pid), "--pid", str(client.pid), *agent_args)
        with agent:
            agent.ready()
            agent.wait_attached(server.pid)
            agent.wait_attached(client.pid)
            client.go()
            if extra:
                client.expect("phase1")
                agent.wait_bytes(client.pid, "read", reply)
                client.go()
            check("done" in client.finish().decode(), "client did not finish")
            server.finish()
            agent.stop()
        return agent, server, client
    finally:
        server.kill()
        if client:
            client.kill()


def _talk(agent, server, client, reply):
    """Once the agent covers the client, lets it talk to the server; returns
    when the agent has shown the whole reply, with the agent stopped."""
    agent.ready()
    agent.wait_attached(client.pid, timeout=10)
    client.go()
    client.finish()
    server.finish()
    agent.wait_bytes(client.pid, "read", reply)
    agent.stop()


def test_python_blocking_small_exact():
    agent, server, client = _blocking_exchange(300, 500)
    req, reply = pattern("s1req", 300), pattern("s1", 500)
    check(stream_of(agent, client.pid, "write") == req, "client write stream differs")
    check(stream_of(agent, server.pid, "read") == req, "server read stream differs")
    check(stream_of(agent, server.pid, "write") == reply, "server write stream differs")
    check(stream_of(agent, client.pid, "read") == reply, "client read stream differs")
    fns = {c["fn"] for c in agent.chunks()}
    check(fns == {"SSL_write_ex", "SSL_read_ex"}, "Python 3.11 uses the _ex calls only, saw %s" % fns)
    # Blocking sockets: fd and both addresses resolved, and they mirror each other.
    c = agent.chunks(client.pid)[0]
    s = agent.chunks(server.pid)[0]
    check(c["fd"] >= 0 and s["fd"] >= 0, "socket fd not resolved: %s %s" % (c["fd"], s["fd"]))
    check(c["local"] == s["peer"] and c["peer"] == s["local"] and c["peer"].startswith("127.0.0.1:"),
          "addresses do not mirror: client %s->%s server %s->%s" % (c["local"], c["peer"], s["local"], s["peer"]))
    st = agent.stats()
    check(st["kernel"]["calls"] >= 4 and st["kernel"]["bytes"] == 2 * (300 + 500),
          "kernel counters: %s" % st["kernel"])
    check(st["agent"]["gaps"] == 0 and st["kernel"]["lost_ringbuf"] == 0, "unexpected loss: %s" % st)
    closes = [r for r in agent.records if r["type"] == "close"]
    check(len(closes) == 2 and all(r["tail_lost"] == 0 for r in closes), "close records: %s" % closes)


def test_python_blocking_1mib_each_way_and_300k_single_write():
    # The client sends 1 MiB in one SSL_write_ex; the server answers 1 MiB in
    # one write too. The request side also covers "a single 300 KB write" below.
    agent, server, client = _blocking_exchange(MIB, MIB)
    req, reply = pattern("s1req", MIB), pattern("s1", MIB)
    check(stream_of(agent, client.pid, "write") == req, "1 MiB client write stream differs")
    check(stream_of(agent, server.pid, "read") == req, "1 MiB server read stream differs")
    check(stream_of(agent, server.pid, "write") == reply, "1 MiB server write stream differs")
    check(stream_of(agent, client.pid, "read") == reply, "1 MiB client read stream differs")
    big = [c for c in agent.chunks(client.pid) if c["dir"] == "write"]
    check(all(c["total"] == MIB for c in big) and len(big) == MIB // 16384,
          "the 1 MiB call should arrive as 64 chunks of one call: %s" % sorted({(c['total'], c['len']) for c in big}))


def test_single_300k_write_complete():
    agent, server, client = _blocking_exchange(300000, 10)
    w = [c for c in agent.chunks(client.pid) if c["dir"] == "write"]
    check({c["total"] for c in w} == {300000}, "one call of 300000 bytes expected, got totals %s"
          % sorted({c["total"] for c in w}))
    check(sorted(c["call_offset"] for c in w) == list(range(0, 300000, 16384)), "call offsets not contiguous")
    check(stream_of(agent, client.pid, "write") == pattern("s1req", 300000), "300 KB write differs")


def test_asyncio_memory_bio_server_many_small_writes():
    crt, key = certs()
    port = free_port()
    writes = 2000
    server = python_peer("asyncio_server.py", port, crt, key, writes, "a1")
    try:
        server.expect("ready")
        with Agent("--pid", str(server.pid)) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            out = subprocess.run([PYTHON, os.path.join(PEERS, "line_client.py"), str(port), "hello asyncio"],
                                 capture_output=True, timeout=30)
            server.finish()
            agent.stop()
    finally:
        server.kill()
    sizes = [1 + (i * 37) % 97 for i in range(writes)]
    expected = pattern("a1", sum(sizes))
    check(out.stdout == expected, "the client did not get the response (%d bytes)" % len(out.stdout))
    sent = stream_of(agent, server.pid, "write")
    check(sent == expected, "asyncio server stream differs (%d vs %d bytes)" % (len(sent), len(expected)))
    w = [c for c in agent.chunks(server.pid) if c["dir"] == "write"]
    check(len(w) == writes, "expected one record per small write, got %d" % len(w))
    # Memory BIO: no socket inside the SSL call, so no fd and no address guessed.
    check(all(c["fd"] == -1 and c["local"] is None and c["peer"] is None for c in w),
          "memory-BIO chunks must report unknown fd/address: %s" % w[0])
    r = stream_of(agent, server.pid, "read")
    check(r == b"hello asyncio\n", "request not captured: %r" % r[:200])


def _curl_waiting(args):
    """curl that has mapped libssl but waits on a fifo for its config, so the
    agent can attach before the first SSL call."""
    tmp = tempfile.mkdtemp(prefix="sealtap-curl-")
    fifo = os.path.join(tmp, "cfg")
    os.mkfifo(fifo)
    proc = Peer(["curl", "-K", fifo] + args)
    return proc, fifo


def _h2_data(stream_bytes, sid=1):
    """DATA frame payloads of one HTTP/2 stream, padding removed."""
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    if stream_bytes.startswith(preface):
        stream_bytes = stream_bytes[len(preface):]
    out, i = bytearray(), 0
    while i + 9 <= len(stream_bytes):
        n = int.from_bytes(stream_bytes[i:i + 3], "big")
        ftype, flags = stream_bytes[i + 3], stream_bytes[i + 4]
        fsid = int.from_bytes(stream_bytes[i + 5:i + 9], "big") & 0x7FFFFFFF
        payload = stream_bytes[i + 9:i + 9 + n]
        check(len(payload) == n, "truncated HTTP/2 frame")
        if ftype == 0 and fsid == sid:
            if flags & 0x8:
                pad = payload[0]
                payload = payload[1:len(payload) - pad]
            out += payload
        i += 9 + n
    check(i == len(stream_bytes), "stream does not end on a frame boundary")
    return bytes(out)


def _curl_against_nginx(version_flag):
    tmp = tempfile.mkdtemp(prefix="sealtap-nginx-")
    docroot = os.path.join(tmp, "www")
    os.mkdir(docroot)
    body = pattern("nginx", 200000)
    with open(os.path.join(docroot, "model.bin"), "wb") as f:
        f.write(body)
    port = free_port()
    nginx = start_nginx(tmp, port, "root %s;" % docroot)
    try:
        curl, fifo = _curl_waiting([version_flag, "-sk", "-o", os.path.join(tmp, "out")])
        try:
            with Agent("--pid", str(curl.pid)) as agent:
                agent.ready()
                agent.wait_attached(curl.pid)
                with open(fifo, "w") as f:
                    f.write('url = "https://127.0.0.1:%d/model.bin"\n' % port)
                curl.finish()
                agent.stop()
        finally:
            curl.kill()
    finally:
        nginx.terminate()
        nginx.wait()
    with open(os.path.join(tmp, "out"), "rb") as f:
        check(f.read() == body, "curl did not download the body")
    shutil.rmtree(tmp, ignore_errors=True)
    fns = {c["fn"] for c in agent.chunks()}
    check(fns <= {"SSL_write", "SSL_read"}, "curl 7.88 uses SSL_write/SSL_read: %s" % fns)
    return agent, curl, body


def test_curl_http1_to_nginx():
    agent, curl, body = _curl_against_nginx("--http1.1")
    w = stream_of(agent, curl.pid, "write")
    r = stream_of(agent, curl.pid, "read")
    check(w.startswith(b"GET /model.bin HTTP/1.1\r\n"), "request line: %r" % w[:60])
    check(r.startswith(b"HTTP/1.1 200 OK\r\n") and r.endswith(b"\r\n\r\n" + body),
          "response: %d bytes, head %r" % (len(r), r[:40]))


def test_curl_http2_to_nginx():
    agent, curl, body = _curl_against_nginx("--http2")
    w = stream_of(agent, curl.pid, "write")
    r = stream_of(agent, curl.pid, "read")
    check(w.startswith(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), "no HTTP/2 preface: %r" % w[:30])
    check(_h2_data(r) == body, "HTTP/2 DATA frames do not rebuild the body")


def test_node_https_client_static_openssl():
    crt, key = certs()
    port = free_port()
    server = python_peer("http_server.py", port, crt, key)
    node = Peer(["node", os.path.join(PEERS, "node_client.js"), str(port), "prompt: tell me a secret"])
    try:
        server.expect("ready")
        node.expect("ready")
        with Agent("--pid", str(node.pid)) as agent:
            agent.ready()
            line = agent.wait_attached(node.pid)
            node.go()
            out = node.finish().decode()
            server.finish()
            agent.stop()
    finally:
        server.kill()
        node.kill()
    check("reply echo:prompt: tell me a secret" in out, "node output: %r" % out)
    found = [l for l in agent.stderr_lines if "OpenSSL found in" in l and "(pid %d," % node.pid in l]
    check(found and "/node " in found[0], "OpenSSL should be found in the node executable: %s (%s)" % (found, line))
    w = stream_of(agent, node.pid, "write")
    r = stream_of(agent, node.pid, "read")
    check(w.startswith(b"POST /v1/test HTTP/1.1\r\n") and w.endswith(b"\r\n\r\nprompt: tell me a secret"),
          "node request: %r" % w)
    check(r.endswith(b"\r\n\r\necho:prompt: tell me a secret"), "node response: %r" % r)


def test_openssl_s_client_and_s_server():
    crt, key = certs()
    port = free_port()
    srv = Peer(["openssl", "s_server", "-accept", str(port), "-cert", crt, "-key", key, "-quiet"])
    cli = None
    try:
        wait_listening(port, srv.proc)
        # s_server counts that probe connection as a client and goes on accepting.
        cli = Peer(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-quiet"])
        with Agent("--pid", str(srv.pid), "--pid", str(cli.pid)) as agent:
            agent.ready()
            agent.wait_attached(srv.pid)
            agent.wait_attached(cli.pid)
            cli.proc.stdin.write(b"hello from s_client\n")
            cli.proc.stdin.flush()
            srv.expect("hello from s_client")
            srv.proc.stdin.write(b"hello from s_server\n")
            srv.proc.stdin.flush()
            cli.expect("hello from s_server")
            agent.wait_bytes(cli.pid, "read", 20)
            agent.stop()
    finally:
        srv.kill()
        if cli:
            cli.kill()
    check(stream_of(agent, cli.pid, "write") == b"hello from s_client\n", "s_client write stream")
    check(stream_of(agent, cli.pid, "read") == b"hello from s_server\n", "s_client read stream")
    sw = {k: v for k, v in streams(agent.chunks(srv.pid)).items()}
    check(b"hello from s_client\n" in sw.values() and b"hello from s_server\n" in sw.values(),
          "s_server streams: %s" % sw)


def test_process_started_after_agent():
    crt, key = certs()
    port = free_port()
    server = python_peer("tls_server.py", port, crt, key, 64, 64, "late")
    client = None
    try:
        server.expect("ready")
        exe = os.path.realpath(PYTHON)
        with Agent("--exe", exe) as agent:
            agent.ready()
            # Found through the exec tracepoint and maps rescans, not a startup scan.
            client = python_peer("tls_client.py", port, 64, 64, "late")
            client.expect("ready")
            _talk(agent, server, client, 64)
    finally:
        server.kill()
        if client:
            client.kill()
    check(stream_of(agent, client.pid, "write") == pattern("latereq", 64), "late client write stream")
    check(stream_of(agent, client.pid, "read") == pattern("late", 64), "late client read stream")


def test_own_mount_namespace_with_own_libssl_copy():
    libssl = "/usr/lib/x86_64-linux-gnu/libssl.so.3"
    tmp = tempfile.mkdtemp(prefix="sealtap-ns-")
    copy = os.path.join(tmp, "libssl.so.3")
    shutil.copyfile(libssl, copy)
    copy_ino = os.stat(copy).st_ino
    check(copy_ino != os.stat(libssl).st_ino, "the copy must be a different inode")
    crt, key = certs()
    port = free_port()
    server = python_peer("tls_server.py", port, crt, key, 80, 90, "ns")
    client = None
    try:
        server.expect("ready")
        script = "mount --bind %s %s && exec %s %s %d 80 90 ns" % (
            copy, libssl, PYTHON, os.path.join(PEERS, "tls_client.py"), port)
        client = Peer(["unshare", "-m", "--propagation", "private", "sh", "-c", script])
        client.expect("ready")
        with Agent("--pid", str(client.pid)) as agent:
            _talk(agent, server, client, 90)
    finally:
        server.kill()
        if client:
            client.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    found = [l for l in agent.stderr_lines if "OpenSSL found in" in l and "inode %d)" % copy_ino in l]
    check(found, "the namespace's own libssl (inode %d) was not the one probed: %s"
          % (copy_ino, [l for l in agent.stderr_lines if "OpenSSL found" in l]))
    check(stream_of(agent, client.pid, "write") == pattern("nsreq", 80), "namespaced client write stream")
    check(stream_of(agent, client.pid, "read") == pattern("ns", 90), "namespaced client read stream")


def test_ring_buffer_overfill_is_counted_and_visible_as_gap():
    # 64 KiB of ring holds three 16 KiB chunks; one 1 MiB write must overflow
    # it inside a single probe run, whatever the consumer does.
    agent, server, client = _blocking_exchange(MIB, 16, agent_args=("--ringbuf-size", "65536"), extra=100)
    st = agent.stats()
    k, a = st["kernel"], st["agent"]
    check(k["lost_ringbuf"] > 0, "no ring-buffer loss counted: %s" % k)
    w = [c for c in agent.chunks(client.pid) if c["dir"] == "write" and c["offset"] < MIB]
    captured = sum(c["len"] for c in w)
    check(captured < MIB, "everything arrived: the test did not overfill")
    # The write after the loss arrives whole, at its true offset, carrying the gap.
    after = [c for c in agent.chunks(client.pid) if c["dir"] == "write" and c["offset"] >= MIB]
    check(len(after) == 1 and after[0]["offset"] == MIB and after[0]["gap"] == MIB - captured
          and base64.b64decode(after[0]["data"]) == pattern("s1extra", 100),
          "the write after the loss: %s" % [(c["offset"], c["len"], c["gap"]) for c in after])
    # Every byte of the client's call is accounted for: delivered or counted lost.
    lost_client = MIB - captured
    check(k["lost_ringbuf_bytes"] >= lost_client, "lost bytes %d < missing %d" % (k["lost_ringbuf_bytes"], lost_client))
    check(a["gaps"] > 0 and a["gap_bytes"] >= lost_client,
          "agent gap accounting %s does not cover %d missing bytes" % (a, lost_client))
    # The chunks that did arrive are at their true offsets with the true data.
    req = pattern("s1req", MIB)
    for c in w:
        check(base64.b64decode(c["data"]) == req[c["offset"]:c["offset"] + c["len"]],
              "chunk at %d has wrong bytes" % c["offset"])


def test_errors_exit_2_with_clear_messages():
    r = run_agent(timeout=10)
    check(r.returncode == 2 and b"nothing selected" in r.stderr, "no selector: %r" % r.stderr)
    r = run_agent("--pid", "999999999", timeout=10)
    check(r.returncode == 2, "bad pid: rc %d %r" % (r.returncode, r.stderr))
    # A process with no OpenSSL mapped: its sockets are watched (the
    # default); with --no-plain-sockets there is nothing to attach to. A
    # selection that matches nothing running is refused either way.
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        r = run_agent("--pid", str(sleeper.pid), "--no-plain-sockets")
        p = run_agent("--pid", str(sleeper.pid), "--duration", "0.5", "--stats-interval", "0")
    finally:
        sleeper.kill()
        sleeper.wait()
    check(r.returncode == 2 and b"nothing to attach to" in r.stderr, "rc %d %r" % (r.returncode, r.stderr))
    check(p.returncode == 0 and b"watching pid %d (sockets)" % sleeper.pid in p.stderr,
          "sockets watched: rc %d %r" % (p.returncode, p.stderr))
    gone = subprocess.Popen(["true"])
    gone.wait()
    r = run_agent("--pid", str(gone.pid), timeout=10)
    check(r.returncode == 2 and b"nothing to watch" in r.stderr, "a pid no longer running: %r" % r.stderr)
    # Not root: run as nobody.
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        AGENT, "--all"], capture_output=True, timeout=10)
    check(r.returncode == 2 and b"must run as root" in r.stderr, "non-root: rc %d %r" % (r.returncode, r.stderr))
    r = run_agent("--all", "--ringbuf-size", "1000", timeout=10)
    check(r.returncode == 2 and b"power of two" in r.stderr, "bad ringbuf size: %r" % r.stderr)


def test_all_mode_probes_every_process():
    # --all: probes attached once per library for every process (make run's mode).
    crt, key = certs()
    port = free_port()
    server = python_peer("tls_server.py", port, crt, key, 33, 44, "all")
    client = None
    try:
        server.expect("ready")
        client = python_peer("tls_client.py", port, 33, 44, "all")
        client.expect("ready")
        with Agent("--all") as agent:
            _talk(agent, server, client, 44)
    finally:
        server.kill()
        if client:
            client.kill()
    check(any("for all processes" in l for l in agent.stderr_lines), "no global attach reported")
    check(stream_of(agent, client.pid, "write") == pattern("allreq", 33), "client write stream (--all)")
    check(stream_of(agent, server.pid, "write") == pattern("all", 44), "server write stream (--all)")
