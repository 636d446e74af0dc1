"""Plain HTTP on sockets, seen from the socket layer's tracepoints (#19): a
model server that speaks HTTP without TLS, as vLLM, TGI or Ollama do behind
an ingress, is decoded like TLS plaintext, with the addresses from the
socket itself, whichever calls move its bytes; a TLS process's socket bytes
are never taken a second time. With --no-plain-sockets, no socket is
watched."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from harness import Agent, PEERS, PYTHON, Peer, certs, check, free_port, python_peer, start_nginx, wait_listening

sys.path.insert(0, PEERS)  # the peers' constants, whichever module pytest imports first
from llm_server import COMPLETION  # noqa: E402

pytestmark = pytest.mark.bpf  # every test here starts the agent

CARD = "4532 0151 1283 0366"
EMAIL = "maria.garcia@acme-corp.io"


def curl(url, body, *flags):
    r = subprocess.run(["curl", "-s", "--max-time", "20", *flags, url, "-H", "Content-Type: application/json",
                        "-d", json.dumps(body)], capture_output=True, timeout=30)
    check(r.returncode == 0, "curl failed: %s" % r.stderr)
    return r.stdout


def test_plain_http_server_streaming_sse():
    port = free_port()
    server = python_peer("llm_server.py", port, "-", "-")
    server.expect("ready")
    try:
        with Agent("--pid", str(server.pid), "--dump", "exchanges") as agent:
            agent.ready()
            agent.wait_sockets(server.pid)
            curl("http://127.0.0.1:%d/v1/chat/completions" % port,
                 {"model": "m", "stream": True, "sealtap_test_reply": "Your card %s is on file." % CARD,
                  "messages": [{"role": "user", "content": "write to %s" % EMAIL}]})
            curl("http://127.0.0.1:%d/v1/chat/completions" % port,
                 {"model": "m", "stream": False, "messages": [{"role": "user", "content": "plain again"}]})
            agent.stop()
    finally:
        server.kill()
    xs = [r for r in agent.records if r["type"] == "exchange" and r["identity"]["pid"] == server.pid]
    check(len(xs) == 2, "exchanges: %d" % len(xs))
    a, b = sorted(xs, key=lambda x: x["id"])
    check([(m["role"], m["text"]) for m in a["prompt"]] == [("user", "write to %s" % EMAIL)], "prompt %r" % a["prompt"])
    check(a["choices"][0]["text"] == "Your card %s is on file." % CARD, "completion %r" % a["choices"][0]["text"])
    check(a["complete"] == {"request": True, "response": True} and a["streamed"], "first exchange: %s" % a)
    check(b["choices"][0]["text"] == COMPLETION and not b["streamed"], "second exchange: %s" % b["choices"])
    for x in xs:
        ident = x["identity"]
        check(ident["capture_source"] == "plain", "capture source %r" % ident)
        check(ident["local"] == "127.0.0.1:%d" % port and ident["peer"].startswith("127.0.0.1:")
              and ident["role"] == "server", "addresses from the socket: %s" % ident)
    check(a["identity"]["connection_id"] != b["identity"]["connection_id"], "two connections, two ids")
    # The same chunks as TLS plaintext: the calls that moved them, each byte once.
    chunks = agent.chunks(server.pid)
    check(chunks and {c["fn"] for c in chunks} <= {"read", "write", "sendto", "recvfrom"},
          "plain chunks by the system call: %s" % {c["fn"] for c in chunks})
    findings = [r for r in agent.records if r["type"] == "finding"]
    got = sorted((f["direction"], f["detector"]) for f in findings)
    check(got == [("input", "pii.email"), ("output", "financial.payment_card")], "findings %s" % got)
    check(all(f["identity"]["capture_source"] == "plain" for f in findings), "findings say how they were seen")


def test_tls_sockets_are_not_taken_twice():
    """A TLS server on socket BIOs (its socket calls are inside SSL calls),
    one on memory BIOs (asyncio: its socket calls are not, but carry TLS
    records from their first byte), and node as a client (OpenSSL on its own
    BIO): only the SSL probes' plaintext is captured, and the dropped socket
    bytes are counted."""
    crt, key = certs()
    port, aport = free_port(), free_port()
    server = python_peer("llm_server.py", port, crt, key)
    aserver = python_peer("asyncio_server.py", aport, crt, key, 50, "p1")
    hserver = None
    try:
        server.expect("ready")
        aserver.expect("ready")
        with Agent("--pid", str(server.pid), "--pid", str(aserver.pid), "--comm", "node", "--dump", "exchanges") as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            agent.wait_attached(aserver.pid)
            curl("https://127.0.0.1:%d/v1/chat/completions" % port,
                 {"model": "m", "stream": True, "messages": [{"role": "user", "content": "over tls"}]}, "-k")
            out = subprocess.run([PYTHON, os.path.join(PEERS, "line_client.py"), str(aport), "hello"],
                                 capture_output=True, timeout=30)
            check(out.returncode == 0 and out.stdout, "asyncio client: %s" % out.stderr)
            aserver.finish()
            # node's TLS (OpenSSL in the binary, on its own BIO) as a watched client.
            hport = free_port()
            hserver = python_peer("http_server.py", hport, crt, key)
            hserver.expect("ready")
            node = Peer(["node", os.path.join(PEERS, "node_client.js"), str(hport), "from node"])
            node.expect("ready")
            agent.wait_attached(node.pid)
            node.go()
            check(node.finish(), "node client answered")
            agent.stop()
    finally:
        for p in (server, aserver, hserver):
            if p:
                p.kill()
    fns = {c["fn"] for c in agent.chunks()}
    check(fns and all(f.startswith("SSL_") for f in fns), "only SSL plaintext captured: %s" % fns)
    node_fns = {c["fn"] for c in agent.chunks(node.pid)}
    check(node_fns and all(f.startswith("SSL_") for f in node_fns), "node's plaintext, from SSL only: %s" % node_fns)
    check(any(b"from node" in base64.b64decode(c["data"]) for c in agent.chunks(node.pid)), "node's request seen")
    xs = [r for r in agent.records if r["type"] == "exchange"]
    check(len(xs) == 1 and xs[0]["identity"]["capture_source"] == "openssl", "one TLS exchange: %s" % xs)
    k = agent.stats()["kernel"]
    check(k["tls_socket_calls"] > 0 and k["tls_socket_bytes"] > 0, "dropped TLS socket bytes counted: %s" % k)


def test_no_plain_sockets_traces_no_socket():
    port = free_port()
    server = python_peer("llm_server.py", port, "-", "-")
    server.expect("ready")
    try:
        with Agent("--pid", str(server.pid), "--no-plain-sockets", "--dump", "exchanges") as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            curl("http://127.0.0.1:%d/v1/chat/completions" % port,
                 {"model": "m", "stream": True, "messages": [{"role": "user", "content": "unseen"}]})
            agent.stop()
    finally:
        server.kill()
    check(not agent.chunks() and not [r for r in agent.records if r["type"] == "exchange"],
          "plain traffic captured with --no-plain-sockets")
    check(not any("(sockets)" in l for l in agent.stderr_lines), "sockets watched with --no-plain-sockets")


def _plain_streams(agent, pid):
    """{conn: {dir: (bytes, unseen ranges)}} of pid from the dump: chunks at
    their offsets, unseen transfers as [offset, offset+total) holes, every
    other byte present exactly once."""
    by = {}
    for r in agent.records:
        if r.get("pid") != pid or r["type"] not in ("chunk", "unseen"):
            continue
        by.setdefault(r["conn"], {}).setdefault(r["dir"], []).append(r)
    out = {}
    for conn, dirs in by.items():
        for d, rs in dirs.items():
            rs.sort(key=lambda r: r["offset"])
            buf, holes = bytearray(), []
            for r in rs:
                check(r["offset"] == len(buf), "%s %s: record at %d, expected %d" % (conn, d, r["offset"], len(buf)))
                if r["type"] == "unseen":
                    holes.append((r["fn"], r["offset"], r["total"]))
                    buf += b"\0" * r["total"]
                else:
                    check(r["gap"] == 0, "gap before %s" % r)
                    buf += base64.b64decode(r["data"])
            out.setdefault(conn, {})[d] = (bytes(buf), holes, {r["fn"] for r in rs if r["type"] == "chunk"})
    return out


def _converse(sock):
    """One keep-alive conversation: a 1 MiB echo sent with sendmsg in three
    iovecs, a sendfile download, then a model request. Returns what was sent
    and what came back."""
    big = bytes((i * 31 + 17) % 251 for i in range(1 << 20))
    reqs = [
        [b"POST /echo HTTP/1.1\r\nHost: m\r\nContent-Length: %d\r\n\r\n" % len(big), big[:1000], big[1000:]],
        [b"GET /file HTTP/1.1\r\nHost: m\r\n\r\n"],
    ]
    chat = json.dumps({"model": "m", "messages": [{"role": "user", "content": "mail %s" % EMAIL}]}).encode()
    reqs.append([b"POST /v1/chat/completions HTTP/1.1\r\nHost: m\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(chat), chat])
    sent, got = b"", b""
    for parts in reqs:
        data = b"".join(parts)
        off = 0
        while off < len(data):
            off += sock.sendmsg([data[off:]] if off else parts)
        sent += data
        # Read the whole response: its head, then Content-Length bytes.
        resp = b""
        while b"\r\n\r\n" not in resp:
            resp += sock.recv(65536)
        head, body = resp.split(b"\r\n\r\n", 1)
        n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
        while len(body) < n:
            body += sock.recv(65536)
        got += head + b"\r\n\r\n" + body
    return sent, got, big


@pytest.mark.parametrize("family,rhow,whow", [("tcp", "recvmsg", "writev"), ("unix", "readv", "sendmsg")])
def test_vectored_calls_and_sendfile(tmp_path, family, rhow, whow):
    """Vectored calls are copied iovec by iovec, byte-exact at 1 MiB in both
    directions; sendfile's bytes are not copied but disclosed as an unseen
    range of exactly their length, and the next exchange on the connection
    is still decoded; the connection's end is seen (a TCP close, or the
    Unix socket found gone)."""
    import socket as socketlib
    from vector_server import FILE_BYTES, REPLY

    where = str(free_port()) if family == "tcp" else str(tmp_path / "model.sock")
    server = python_peer("vector_server.py", family, where, rhow, whow)
    server.expect("ready")
    try:
        with Agent("--pid", str(server.pid), "--dump", "exchanges") as agent:
            agent.ready()
            agent.wait_sockets(server.pid)
            if family == "tcp":
                s = socketlib.create_connection(("127.0.0.1", int(where)))
            else:
                s = socketlib.socket(socketlib.AF_UNIX, socketlib.SOCK_STREAM)
                s.connect(where)
            sent, got, big = _converse(s)
            s.close()
            # The end of the connection: a close record (TCP), or the sweep
            # that finds the Unix socket gone.
            agent.wait_stdout('"type":"close"')
            agent.stop()
    finally:
        server.kill()
    check(got.count(big) == 1 and FILE_BYTES in got and REPLY.encode() in got, "the conversation itself worked")
    conns = _plain_streams(agent, server.pid)
    check(len(conns) == 1, "one connection: %s" % list(conns))
    (conn, dirs), = conns.items()
    rbytes, rholes, rfns = dirs["read"]
    wbytes, wholes, wfns = dirs["write"]
    check(rbytes == sent and not rholes, "server's received stream is byte-exact (%d of %d bytes)" % (len(rbytes), len(sent)))
    check(rfns == {rhow}, "received with %s: %s" % (rhow, rfns))
    check(len(wbytes) == len(got), "server's sent stream: %d bytes, %d expected" % (len(wbytes), len(got)))
    check(wholes and sum(h[2] for h in wholes) == len(FILE_BYTES) and {h[0] for h in wholes} == {"sendfile"},
          "the sendfile body is one unseen range of its length: %s" % wholes)
    at = got.index(FILE_BYTES)
    check(wholes[0][1] == at, "unseen range at the body's offset %d: %s" % (at, wholes))
    check(wbytes[:at] == got[:at] and wbytes[at + len(FILE_BYTES):] == got[at + len(FILE_BYTES):],
          "every other sent byte is exact")
    check(whow in wfns, "sent with %s: %s" % (whow, wfns))
    xs = [r for r in agent.records if r["type"] == "exchange"]
    check(len(xs) == 1 and xs[0]["choices"][0]["text"] == REPLY and xs[0]["prompt"][0]["text"] == "mail %s" % EMAIL,
          "the model exchange after the unseen range is decoded: %s" % xs)
    st = agent.stats()
    check(st["kernel"]["unseen_bytes"] == len(FILE_BYTES) and st["plain"]["unseen"]["sendfile"] >= 1,
          "unseen bytes counted: %s %s" % (st["kernel"], st["plain"]))
    closes = [r for r in agent.records if r["type"] == "close" and r["conn"] == conn]
    check(len(closes) == 1, "one close for the connection: %s" % closes)
    if family == "tcp":
        check(closes[0]["write_bytes"] == len(got) and closes[0]["read_bytes"] == len(sent),
              "final lengths from the kernel: %s" % closes[0])
    else:
        check(closes[0]["reason"] == "socket_gone" and st["plain"]["swept"] == 1, "swept: %s" % st["plain"])


def test_nginx_tls_in_front_of_plain_upstreams(tmp_path):
    """nginx ends TLS and proxies to a plain upstream over TCP and over a
    Unix socket, and serves h2c (HTTP/2 without TLS) on another port: each
    exchange is reported on every hop that carries it, with the identity
    and addresses of that hop."""
    from vector_server import REPLY as UNIX_REPLY

    up_port, port, h2c_port = free_port(), free_port(), free_port()
    # nginx's workers run as nobody: the socket's folder must let them in.
    sockdir = tempfile.mkdtemp(prefix="sealtap-upstream-")
    os.chmod(sockdir, 0o755)
    sock = os.path.join(sockdir, "upstream.sock")
    upstream = python_peer("llm_server.py", up_port, "-", "-")
    unix_up = python_peer("vector_server.py", "unix", sock, "recvmsg", "writev")
    upstream.expect("ready")
    unix_up.expect("ready")
    proxy = "proxy_http_version 1.1; proxy_buffering off; proxy_set_header Connection \"\";"
    nginx = start_nginx(str(tmp_path), port,
                        "location /v1/ { proxy_pass http://127.0.0.1:%d; %s }\n"
                        "    location /unix/ { proxy_pass http://unix:%s:/; %s }" % (up_port, proxy, sock, proxy),
                        "server { listen 127.0.0.1:%d http2; location /v1/ { proxy_pass http://127.0.0.1:%d; %s } }"
                        % (h2c_port, up_port, proxy))
    try:
        wait_listening(h2c_port, nginx)
        with Agent("--comm", "nginx", "--pid", str(upstream.pid), "--pid", str(unix_up.pid),
                   "--dump", "exchanges", dump=False) as agent:
            agent.ready()
            agent.wait_sockets(upstream.pid)
            chat = "http://127.0.0.1:%d/v1/chat/completions"
            curl(chat.replace("http:", "https:") % port,
                 {"model": "m", "stream": True, "sealtap_test_reply": "tcp hop %s" % CARD,
                  "messages": [{"role": "user", "content": "over tls to tcp"}]}, "-k")
            curl("https://127.0.0.1:%d/unix/v1/chat/completions" % port,
                 {"model": "m", "messages": [{"role": "user", "content": "over tls to unix"}]}, "-k")
            curl(chat % h2c_port, {"model": "m", "stream": True, "sealtap_test_reply": "h2c hop",
                                   "messages": [{"role": "user", "content": "h2c"}]}, "--http2-prior-knowledge")
            agent.wait_stdout('"type":"exchange"', count=9, timeout=20)
            agent.stop()
    finally:
        nginx.terminate()  # the master stops its workers
        nginx.wait()
        upstream.kill()
        unix_up.kill()
        shutil.rmtree(sockdir, ignore_errors=True)
    xs = [r for r in agent.records if r["type"] == "exchange"]

    def hops(prompt):
        return sorted((x["identity"]["comm"], x["identity"]["capture_source"], x["identity"]["role"],
                       x["identity"]["local"] or "-", x["identity"]["peer"] or "-", x["choices"][0]["text"])
                      for x in xs if x["prompt"] and x["prompt"][-1]["text"] == prompt)

    def port_of(addr):
        return int(addr.rsplit(":", 1)[1]) if addr != "-" else None

    tcp = hops("over tls to tcp")
    check([h[:3] for h in tcp] == [("nginx", "openssl", "server"), ("nginx", "plain", "client"),
                                   ("python3", "plain", "server")], "TLS -> TCP upstream hops: %s" % tcp)
    check(all(h[5] == "tcp hop %s" % CARD for h in tcp), "one completion on every hop: %s" % tcp)
    check(port_of(tcp[0][3]) == port and port_of(tcp[1][4]) == up_port and port_of(tcp[2][3]) == up_port
          and tcp[1][3] == tcp[2][4], "each hop's own addresses: %s" % tcp)
    unix = hops("over tls to unix")
    check([h[:3] for h in unix] == [("nginx", "openssl", "server"), ("nginx", "plain", "client"),
                                    ("python3", "plain", "server")], "TLS -> Unix upstream hops: %s" % unix)
    check(all(h[5] == UNIX_REPLY for h in unix) and unix[1][3:5] == ("-", "-"),
          "Unix hop: no IP addresses, same completion: %s" % unix)
    h2c = hops("h2c")
    check([h[:3] for h in h2c] == [("nginx", "plain", "client"), ("nginx", "plain", "server"),
                                   ("python3", "plain", "server")], "h2c hops: %s" % h2c)
    check(port_of(h2c[1][3]) == h2c_port and all(h[5] == "h2c hop" for h in h2c), "h2c on nginx's plain port: %s" % h2c)
    # HTTP/2 sessions: curl's two over TLS (ALPN h2) and the h2c one.
    check(agent.stats()["decode"]["http2"] == 3, "HTTP/2 sessions: %s" % agent.stats()["decode"])


def _exchanges_at(agent, port):
    """Exchanges on connections to the local port: a --comm curl selection
    also catches other curls on the host."""
    mine = "127.0.0.1:%d" % port
    return [r for r in agent.records if r["type"] == "exchange" and mine in (r["identity"]["local"], r["identity"]["peer"])]


def test_processes_born_after_the_agent_are_watched_from_their_first_byte():
    """A client exec'd after the agent under a selected command name (curl,
    --comm) sends its request at once, and a pre-fork server's worker,
    forked after the agent from a watched parent, serves it: both are
    watched by the kernel from birth, so the request and its answer are
    whole on both sides, not picked up mid-stream."""
    port = free_port()
    server = python_peer("prefork_server.py", port)
    server.expect("ready")
    try:
        with Agent("--pid", str(server.pid), "--comm", "curl", "--dump", "exchanges", dump=False) as agent:
            agent.ready()
            agent.wait_sockets(server.pid)
            server.go()
            server.expect("worker")
            out = curl("http://127.0.0.1:%d/v1/chat/completions" % port,
                       {"model": "m", "stream": True, "sealtap_test_reply": "born late %s" % CARD,
                        "messages": [{"role": "user", "content": "first byte"}]})
            check(out.rstrip().endswith(b"[DONE]"), "curl got the whole stream: %r" % out[-200:])
            agent.wait_stdout('"path":"/v1/chat/completions","host":"127.0.0.1:%d"' % port, count=2, timeout=20)
            agent.stop()
    finally:
        server.kill()
    xs = _exchanges_at(agent, port)
    sides = sorted((x["identity"]["comm"], x["identity"]["role"]) for x in xs)
    check(sides == [("curl", "client"), ("python3", "server")], "both sides: %s" % sides)
    for x in xs:
        check(x["complete"] == {"request": True, "response": True} and x["choices"][0]["text"] == "born late %s" % CARD
              and x["prompt"][0]["text"] == "first byte", "whole exchange on %s" % x["identity"]["comm"])
        check(x["identity"]["pid"] != server.pid, "served by the forked worker, not the parent: %s" % x["identity"])
    d = agent.stats()["decode"]
    check(d["resynced"] == 0 and d["resync_skipped_bytes"] == 0, "nothing picked up mid-stream: %s" % d)


def _ask(client, n, body):
    """Has keepalive_client.py send its n-th request, and waits for its answer."""
    client.proc.stdin.write((json.dumps(body) + "\n").encode())
    client.proc.stdin.flush()
    client.expect("done %d" % n)


def test_python_http_client_watched():
    """A Python http.client client over plain HTTP (what many model SDKs'
    sync clients use underneath): its side of the exchange, as a client,
    with the server's address as its peer."""
    port = free_port()
    server = python_peer("llm_server.py", port, "-", "-")
    server.expect("ready")
    client = python_peer("keepalive_client.py", port, "plain")
    try:
        client.expect("ready")
        with Agent("--pid", str(client.pid), "--dump", "exchanges", dump=False) as agent:
            agent.ready()
            agent.wait_sockets(client.pid)
            _ask(client, 1, {"model": "m", "stream": True, "sealtap_test_reply": "to %s" % EMAIL,
                             "messages": [{"role": "user", "content": "python"}]})
            agent.wait_stdout('"type":"exchange"', timeout=20)
            agent.stop()
    finally:
        client.kill()
        server.kill()
    xs = [r for r in agent.records if r["type"] == "exchange"]
    check(len(xs) == 1, "one exchange: %d" % len(xs))
    x = xs[0]
    check(x["identity"]["role"] == "client" and x["identity"]["peer"] == "127.0.0.1:%d" % port
          and x["identity"]["capture_source"] == "plain", "client side: %s" % x["identity"])
    check(x["prompt"][0]["text"] == "python" and x["choices"][0]["text"] == "to %s" % EMAIL and x["streamed"],
          "whole exchange: %s" % x)


def test_server_in_its_own_network_and_mount_namespaces():
    """A plain server in network and mount namespaces of its own (a pod), a
    keep-alive client in the same network namespace: its exchanges are
    reported with that namespace's addresses, and its connection, which the
    agent's socket list (its own namespace only) cannot see, is not taken
    for gone: both requests, one on each side of a sweep, are on one
    connection."""
    port = free_port()
    server = Peer(["unshare", "--net", "--mount", "--propagation", "private", "sh", "-c",
                   "ip link set lo up && exec %s %s %d - -" % (PYTHON, os.path.join(PEERS, "llm_server.py"), port)])
    server.expect("ready")
    client = Peer(["nsenter", "--net=/proc/%d/ns/net" % server.pid, PYTHON, os.path.join(PEERS, "keepalive_client.py"),
                   str(port), "plain"])

    def send(n, text):
        _ask(client, n, {"model": "m", "sealtap_test_reply": "reply %s" % text,
                         "messages": [{"role": "user", "content": text}]})

    try:
        with Agent("--pid", str(server.pid), "--dump", "exchanges", "--stats-interval", "0.5", dump=False) as agent:
            agent.ready()
            agent.wait_sockets(server.pid)
            client.expect("ready")
            send(1, "before the sweep")
            agent.wait_stdout('"type":"exchange"')
            # Two more sweeps, whatever the interval: the connection stays.
            first = max([r["plain"]["sweeps"] for r in agent._parsed_so_far() if r["type"] == "stats"] or [0])
            agent.wait_stdout('"sweeps":%d,' % (first + 2), timeout=15)
            send(2, "after the sweep")
            agent.wait_stdout('"type":"exchange"', count=2)
            agent.stop()
    finally:
        client.kill()
        server.kill()
    xs = [r for r in agent.records if r["type"] == "exchange"]
    check([x["prompt"][0]["text"] for x in xs] == ["before the sweep", "after the sweep"], "exchanges: %s" % xs)
    check(all(x["complete"] == {"request": True, "response": True} for x in xs), "whole")
    check(len({x["identity"]["connection_id"] for x in xs}) == 1, "one connection, never swept: %s"
          % [x["identity"]["connection_id"] for x in xs])
    check(all(x["identity"]["local"] == "127.0.0.1:%d" % port for x in xs), "the namespace's own address: %s" % xs[0]["identity"])
    check(agent.stats()["plain"]["swept"] == 0, "nothing swept: %s" % agent.stats()["plain"])


def test_h2c_by_upgrade():
    """curl --http2 over http:// asks for h2c by HTTP/1.1 Upgrade; the server
    answers 101 and the connection turns HTTP/2: the upgraded request's
    answer on stream 1, and the next request on the connection, are each
    decoded, on both sides."""
    port = free_port()
    server = python_peer("h2c_upgrade_server.py", port)
    server.expect("ready")
    try:
        with Agent("--pid", str(server.pid), "--comm", "curl", "--dump", "exchanges", dump=False) as agent:
            agent.ready()
            agent.wait_sockets(server.pid)
            url = "http://127.0.0.1:%d/v1/chat/completions" % port
            # Two requests on one connection: the upgraded one, then one on stream 3.
            out = subprocess.run(["curl", "-s", "--http2", "--max-time", "20",
                                  url, "-H", "Content-Type: application/json", "-d", json.dumps(
                                      {"model": "m", "sealtap_test_reply": "upgraded %s" % CARD,
                                       "messages": [{"role": "user", "content": "first"}]}),
                                  "--next", "--http2", url, "-H", "Content-Type: application/json", "-d", json.dumps(
                                      {"model": "m", "sealtap_test_reply": "second answer",
                                       "messages": [{"role": "user", "content": "second"}]})],
                                 capture_output=True, timeout=30)
            check(out.returncode == 0 and out.stdout.count(b"[DONE]") == 2, "curl: %r" % out.stderr)
            agent.wait_stdout('"host":"127.0.0.1:%d"' % port, count=4, timeout=20)
            agent.stop()
    finally:
        server.kill()
    xs = _exchanges_at(agent, port)
    got = sorted((x["identity"]["role"], x["prompt"][0]["text"], x["choices"][0]["text"] if x["choices"] else None)
                 for x in xs)
    check(got == [("client", "first", "upgraded %s" % CARD), ("client", "second", "second answer"),
                  ("server", "first", "upgraded %s" % CARD), ("server", "second", "second answer")],
          "both requests on both sides: %s" % got)
    check(all(x["complete"] == {"request": True, "response": True} and x["streamed"] for x in xs), "whole, streamed")
    d = agent.stats()["decode"]
    check(d["http2"] == 2 and d["parse_errors"] == 0 and d["unpaired_responses"] == 0,
          "both sessions turned HTTP/2 cleanly: %s" % d)


def test_pipelined_requests_to_a_plain_asyncio_server():
    """Three requests written at once on one connection to a plain asyncio
    server (the serving path of uvicorn-based model servers), answered in
    order as SSE streams: three exchanges, each paired with its own answer."""
    port = free_port()
    server = Peer([PYTHON, os.path.join(os.path.dirname(PEERS), "..", "soak", "hold_server.py"), str(port), "-", "-"])
    server.expect("ready")
    try:
        with Agent("--pid", str(server.pid), "--dump", "exchanges", dump=False) as agent:
            agent.ready()
            agent.wait_sockets(server.pid)
            reqs = b""
            for i in range(3):
                body = json.dumps({"model": "soak-model", "stream": True,
                                   "messages": [{"role": "user", "content": "Say the number %d" % (7 + i)}]}).encode()
                reqs += (b"POST /v1/chat/completions HTTP/1.1\r\nHost: p\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            import socket as socketlib
            s = socketlib.create_connection(("127.0.0.1", port))
            s.sendall(reqs)  # pipelined: all three before any answer
            got = b""
            while got.count(b"0\r\n\r\n") < 3:
                d = s.recv(65536)
                check(d, "server closed early")
                got += d
            s.close()
            agent.wait_stdout('"type":"exchange"', count=3, timeout=20)
            agent.stop()
    finally:
        server.kill()
    xs = [r for r in agent.records if r["type"] == "exchange"]
    pairs = [(x["prompt"][0]["text"], x["choices"][0]["text"]) for x in sorted(xs, key=lambda x: x["id"])]
    check(pairs == [("Say the number %d" % n, "Answer number %d." % n) for n in (7, 8, 9)], "pairs: %s" % pairs)
    check(len({x["identity"]["connection_id"] for x in xs}) == 1, "one connection")
