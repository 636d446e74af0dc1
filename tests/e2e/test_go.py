"""Go's crypto/tls (#20): Go programs built by make with Debian's golang-go
(tests/go, standard library only), with symbols and stripped, HTTP/1.1 and
HTTP/2 by ALPN, probed at (*Conn).Write and Read: entries, and every return
instruction instead of a uretprobe."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from harness import BUILD, Agent, Peer, certs, check, free_port, python_peer, stream_of, wait_listening, PEERS

sys.path.insert(0, PEERS)
from pattern import pattern  # noqa: E402
from test_gnutls import gnutls_cli_chat  # noqa: E402

pytestmark = pytest.mark.bpf

CARD = "4532 0151 1283 0366"
REPLY = "Go streams \u00fcn\u00efc\u00f8d\u00e9 and an emoji \U0001F600; the card is %s." % CARD


def go_program(name, stripped=False):
    path = os.path.join(BUILD, "go", name + ("-stripped" if stripped else ""))
    check(os.access(path, os.X_OK), "%s is built by make" % path)
    return path


class GoServer:
    """tests/go/llmserver: HTTPS, SSE in three-character deltas."""

    def __init__(self, proto, stripped=False, env=None):
        crt, key = certs()
        self.port = free_port()
        self.peer = Peer([go_program("llmserver", stripped), str(self.port), crt, key, proto], env=env)
        self.peer.expect("ready")
        self.pid = self.peer.pid

    def url(self, path):
        return "https://127.0.0.1:%d%s" % (self.port, path)

    def kill(self):
        self.peer.kill()


def go_client(*args, stripped=False, env=None):
    """tests/go/tlsclient, waiting for 'go' so the agent attaches first."""
    client = Peer([go_program("tlsclient", stripped), "-wait"] + [str(a) for a in args], env=env)
    client.expect("ready")
    return client


def exchanges(agent, pid):
    return [r for r in agent.records if r["type"] == "exchange" and r["identity"]["pid"] == pid]


def chat_body(content, stream=True):
    return json.dumps({"model": "go-model", "stream": stream, "sealtap_test_reply": REPLY,
                       "messages": [{"role": "user", "content": content}]})


@pytest.mark.parametrize("proto", ["h1", "h2"])
@pytest.mark.parametrize("build", ["symbols", "stripped"])
def test_go_server_and_client_streaming(proto, build):
    """A Go client streams a chat completion from a Go server: both sides'
    exchanges, exact prompt and completion, found in Go's own function table
    when the binaries are stripped; addresses from the sockets the calls used."""
    stripped = build == "stripped"
    server = GoServer(proto, stripped)
    prompt = "Go %s %s: \u00e9t\u00e9 \U0001F600" % (proto, build)
    client = go_client(*(["-h2"] if proto == "h2" else []), server.url("/v1/chat/completions"),
                       chat_body(prompt), stripped=stripped)
    try:
        with Agent("--pid", str(server.pid), "--pid", str(client.pid), "--dump", "exchanges", dump=False) as agent:
            agent.ready()
            for p in (server.pid, client.pid):
                agent.wait_attached(p)
            check(any("Go crypto/tls found in" in l and "go1." in l for l in agent.stderr_lines),
                  "the Go binaries are recognised: %s" % agent.stderr_lines)
            client.go()
            out = client.finish().decode()
            check("data: [DONE]" in out, "the client got the stream: %r" % out[-300:])
            agent.wait_stdout('"type":"exchange"', count=2, timeout=20)
            agent.stop()
    finally:
        server.kill()
        client.kill()
    xs_client, xs_server = exchanges(agent, client.pid), exchanges(agent, server.pid)
    check(len(xs_client) == 1 and len(xs_server) == 1, "one exchange per side: %d, %d" % (len(xs_client), len(xs_server)))
    for x, role in ((xs_client[0], "client"), (xs_server[0], "server")):
        who = x["identity"]
        check(who["role"] == role and who["capture_source"] == "go", "%s side: %s" % (role, who))
        check(x["api"] == "openai.chat" and x["model_requested"] == "go-model", "api %s %s" % (x["api"], x["model_requested"]))
        check([(m["role"], m["text"]) for m in x["prompt"]] == [("user", prompt)], "prompt %r" % x["prompt"])
        check([c["text"] for c in x["choices"]] == [REPLY] and x["choices"][0]["finish_reason"] == "stop",
              "completion %r" % x["choices"])
        check(x["complete"] == {"request": True, "response": True} and x["status"] == 200, "complete: %s" % x)
    check(xs_server[0]["identity"]["local"] == "127.0.0.1:%d" % server.port
          and xs_client[0]["identity"]["peer"] == "127.0.0.1:%d" % server.port
          and xs_client[0]["identity"]["local"] == xs_server[0]["identity"]["peer"],
          "addresses: client %s, server %s" % (xs_client[0]["identity"], xs_server[0]["identity"]))
    findings = [r for r in agent.records if r["type"] == "finding"]
    check({f["detector"] for f in findings} == {"financial.payment_card"} and len(findings) >= 2,
          "the card found on both sides: %s" % findings)
    st = agent.stats()
    check(st["decode"]["json_errors"] == 0 and st["decode"]["parse_errors"] == 0 and st["decode"]["incomplete"] == 0,
          "decode stats %s" % st["decode"])
    if proto == "h2":
        check(st["decode"]["http2"] >= 2, "HTTP/2 by ALPN on both sides: %s" % st["decode"])
    k = st["kernel"]
    check(k["unpaired_returns"] == 0 and k["lost_no_entry"] == 0 and k["lost_fault"] == 0,
          "every entry paired with a return: %s" % k)


def test_go_one_mib_bodies_byte_exact():
    """1 MiB up and 1 MiB back through the Go server's echo endpoint over
    HTTP/1.1: every plaintext stream of both processes holds the body
    exactly, one connection each, no gap."""
    body = pattern("go-echo", 1 << 20).hex()[:1 << 20].encode()  # text: the client posts it as JSON
    with tempfile.NamedTemporaryFile(suffix=".body") as f:
        f.write(body)
        f.flush()
        server = GoServer("h1")
        client = go_client(server.url("/echo"), "@" + f.name)
        try:
            with Agent("--pid", str(server.pid), "--pid", str(client.pid)) as agent:
                agent.ready()
                for p in (server.pid, client.pid):
                    agent.wait_attached(p)
                client.go()
                out = client.finish(timeout=60)
                check(out == body, "the echo itself: %d bytes" % len(out))
                agent.wait_bytes(client.pid, "read", len(body))
                agent.stop()
        finally:
            server.kill()
            client.kill()
    up_c, down_c = stream_of(agent, client.pid, "write"), stream_of(agent, client.pid, "read")
    up_s, down_s = stream_of(agent, server.pid, "read"), stream_of(agent, server.pid, "write")
    check(up_c == up_s and down_c == down_s, "both processes saw the same bytes")
    check(up_c.startswith(b"POST /echo HTTP/1.1\r\n") and up_c.endswith(b"\r\n\r\n" + body),
          "the request: %d bytes, ends with the body: %s" % (len(up_c), up_c.endswith(body)))
    head, _, rest = down_c.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 200 OK") and rest == body, "the response: %r..., body exact: %s"
          % (head[:40], rest == body))
    check({c["fn"] for c in agent.chunks(client.pid)} == {"crypto/tls.(*Conn).Write", "crypto/tls.(*Conn).Read"},
          "by the Go calls")


def test_go_write_blocked_on_slow_reader():
    """One 4 MiB (*Conn).Write to a peer that reads nothing for a second: the
    goroutine parks inside the call (possibly resuming on another thread),
    and its entry and return still pair: one call, byte-exact, no unpaired
    return; the 1 MiB answer read back exactly."""
    crt, key = certs()
    port = free_port()
    size, reply = 4 << 20, 1 << 20
    server = python_peer("tls_server.py", port, crt, key, size, reply, "go-slow", 0, 0, 1.0)
    server.expect("ready")
    client = go_client("-raw", "127.0.0.1:%d" % port, size, reply, "go-slow",
                       env=dict(os.environ, GOMAXPROCS="2"))
    try:
        with Agent("--pid", str(client.pid)) as agent:
            agent.ready()
            agent.wait_attached(client.pid)
            client.go()
            out = client.finish(timeout=60).decode()
            agent.wait_bytes(client.pid, "read", reply)
            agent.stop()
    finally:
        server.kill()
        client.kill()
    took = float(out.split("write_seconds=")[1])
    check(took >= 0.5, "the Write blocked on the slow reader: %.3f s" % took)
    check(stream_of(agent, client.pid, "write") == pattern("go-slow", size), "the 4 MiB Write, byte-exact")
    check(stream_of(agent, client.pid, "read") == pattern("go-slow", reply), "the answer, byte-exact")
    writes = [c for c in agent.chunks(client.pid) if c["dir"] == "write"]
    check({c["total"] for c in writes} == {size}, "one call of 4 MiB: %s" % {c["total"] for c in writes})
    k = agent.stats()["kernel"]
    check(k["unpaired_returns"] == 0 and k["lost_no_entry"] == 0, "entry and return paired: %s" % k)


@pytest.mark.parametrize("proto", ["h1", "h2"])
def test_go_many_goroutines_on_two_threads(proto):
    """200 concurrent requests from a Go client to a Go server, both with
    GOMAXPROCS=2: hundreds of goroutines inside Read and Write on two
    threads, each call paired by its goroutine. Every exchange is seen once
    on each side, with its own prompt and the whole completion."""
    env = dict(os.environ, GOMAXPROCS="2")
    n = 200
    server = GoServer(proto, env=env)
    client = go_client(*(["-h2"] if proto == "h2" else []), "-n", n, "-c", n, server.url("/v1/chat/completions"),
                       chat_body("request {i}"), env=env)
    try:
        with Agent("--pid", str(server.pid), "--pid", str(client.pid), "--dump", "exchanges", dump=False) as agent:
            agent.ready()
            for p in (server.pid, client.pid):
                agent.wait_attached(p)
            client.go()
            out = client.finish(timeout=120).decode()
            check(out.strip() == "ok %d" % n, "the client: %r" % out)
            agent.wait_stdout('"type":"exchange"', count=2 * n, timeout=60)
            agent.stop()
    finally:
        server.kill()
        client.kill()
    want = ["request %d" % i for i in range(n)]
    for pid, role in ((client.pid, "client"), (server.pid, "server")):
        xs = exchanges(agent, pid)
        got = sorted((x["prompt"][0]["text"] for x in xs), key=lambda t: int(t.split()[1]))
        check(got == want, "%s: every request once (%d exchanges)" % (role, len(xs)))
        bad = [x for x in xs if [c["text"] for c in x["choices"]] != [REPLY]
               or x["complete"] != {"request": True, "response": True} or x["identity"]["role"] != role]
        check(not bad, "%s: %d exchanges not whole, e.g. %s; kernel %s, decode %s"
              % (role, len(bad), bad[:1], agent.stats()["kernel"], agent.stats()["decode"]))
    k = agent.stats()["kernel"]
    check(k["unpaired_returns"] == 0 and k["lost_no_entry"] == 0 and k["lost_ringbuf"] == 0,
          "every call paired: %s" % k)


def text_lines(seed, n):
    """tlsclient -lines' payload: pattern(seed) as lines of 63 hex digits."""
    h = pattern(seed, n).hex()
    return b"".join(h[i:i + 63].encode() + b"\n" for i in range(0, n // 64 * 63 + 63, 63))[:n]


@pytest.mark.skipif(not shutil.which("gnutls-serv"), reason="gnutls-bin is installed by make deps")
def test_go_client_and_gnutls_serv_byte_exact():
    """A Go client and gnutls-serv --echo, both watched: 1 MiB of text lines
    in one Write, echoed back; the Go client's and gnutls-serv's plaintext
    streams are the same bytes both ways, each by its own probes."""
    crt, key = certs()
    port = free_port()
    size = 1 << 20
    serv = subprocess.Popen(["gnutls-serv", "--echo", "-q", "-p", str(port), "--x509certfile", crt,
                             "--x509keyfile", key], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = go_client("-raw", "-lines", "127.0.0.1:%d" % port, size, size, "go-gnutls")
    try:
        wait_listening(port, serv)
        with Agent("--pid", str(serv.pid), "--pid", str(client.pid)) as agent:
            agent.ready()
            agent.wait_attached(serv.pid)
            agent.wait_attached(client.pid)
            client.go()
            out = client.finish(timeout=60).decode()
            check(out.startswith("ok"), "the Go client got its echo: %r" % out)
            agent.wait_bytes(client.pid, "read", size)
            agent.wait_bytes(serv.pid, "write", size)
            agent.stop()
    finally:
        serv.kill()
        serv.wait()
        client.kill()
    data = text_lines("go-gnutls", size)
    for pid, direction in ((client.pid, "write"), (serv.pid, "read"), (serv.pid, "write"), (client.pid, "read")):
        check(stream_of(agent, pid, direction) == data, "pid %d %s: byte-exact" % (pid, direction))
    check({c["fn"] for c in agent.chunks(serv.pid)} == {"gnutls_record_recv", "gnutls_record_send"}
          and {c["fn"] for c in agent.chunks(client.pid)} == {"crypto/tls.(*Conn).Write", "crypto/tls.(*Conn).Read"},
          "each by its own library's probes")


@pytest.mark.skipif(not shutil.which("gnutls-cli"), reason="gnutls-bin is installed by make deps")
def test_gnutls_cli_and_go_server_exchange():
    """gnutls-cli asks the Go server for a streamed completion: the exchange
    on both sides, capture sources gnutls and go."""
    server = GoServer("h1")
    prompt = "gnutls-cli to Go \u00e9"
    try:
        with Agent("--pid", str(server.pid), "--comm", "gnutls-cli", "--dump", "exchanges", dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            cli = gnutls_cli_chat(agent, server.port, chat_body(prompt).encode())
            agent.wait_stdout('"type":"exchange"', count=2, timeout=20)
            agent.stop()
    finally:
        server.kill()
    for pid, source, role in ((cli.pid, "gnutls", "client"), (server.pid, "go", "server")):
        xs = exchanges(agent, pid)
        check(len(xs) == 1 and xs[0]["identity"]["capture_source"] == source and xs[0]["identity"]["role"] == role,
              "%s side: %s" % (source, xs))
        check(xs[0]["prompt"][0]["text"] == prompt and [c["text"] for c in xs[0]["choices"]] == [REPLY]
              and xs[0]["complete"] == {"request": True, "response": True}, "whole exchange: %s" % xs[0])
