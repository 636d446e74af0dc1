"""Exchanges end to end: real clients and servers speaking model APIs over
TLS, captured by the real agent and decoded into prompts and completions.

The server (peers/llm_server.py) answers every API with one fixed
completion, written with JSON escapes (\\uXXXX, a surrogate pair, \\n, \\t);
each test asserts the agent reports the exact prompt and completion text.
"""
import json
import os
import subprocess
import sys
import tempfile

from harness import (Agent, Peer, certs, check, free_port, npm_module, python_peer, start_nginx,
                     wait_listening, PEERS)

sys.path.insert(0, PEERS)
from llm_server import COMPLETION, FINGERPRINT, MODEL  # noqa: E402

import pytest  # noqa: E402

pytestmark = pytest.mark.bpf  # every test here starts the agent

NODE_PROMPT = [
    ("system", "You are a test fixture."),
    ("user", 'Tell me about \u00fcn\u00efc\u00f8d\u00e9, "quotes", a\ttab and an emoji \U0001F600\nthanks'),
]


def exchanges(agent, pid=None):
    return [r for r in agent.records if r["type"] == "exchange" and (pid is None or r["identity"]["pid"] == pid)]


def prompt_of(x):
    return [(m["role"], m["text"]) for m in x["prompt"]]


def check_completion(x, finish="stop"):
    check(len(x["choices"]) == 1, "one choice expected: %s" % x["choices"])
    c = x["choices"][0]
    check(c["text"] == COMPLETION, "completion text differs: %r" % c["text"])
    check(c["finish_reason"] == finish, "finish reason %r" % c["finish_reason"])
    check(x["complete"] == {"request": True, "response": True}, "incomplete exchange: %s" % x["complete"])
    check(x["status"] == 200, "status %s" % x["status"])
    t = x["timing"]
    check(t["request_ns"] <= t["first_byte_ns"] <= t["first_token_ns"] <= t["end_ns"], "timing order: %s" % t)


class LLMServer:
    def __init__(self, plain=False):
        crt, key = ("-", "-") if plain else certs()
        self.port = free_port()
        self.peer = python_peer("llm_server.py", self.port, crt, key)
        self.peer.expect("ready")
        self.pid = self.peer.pid

    def kill(self):
        self.peer.kill()


def _openai_node(base_url, mode):
    mods = npm_module("openai@4.95.0", "openai")
    env = dict(os.environ, NODE_PATH=mods)
    return Peer(["node", os.path.join(PEERS, "openai_client.js"), base_url, mode], env=env)


def _openai_direct(mode, plain=False):
    server = LLMServer(plain=plain)
    client = _openai_node("%s://127.0.0.1:%d/v1" % ("http" if plain else "https", server.port), mode)
    try:
        client.expect("ready")
        with Agent("--pid", str(server.pid), "--pid", str(client.pid), "--dump", "exchanges", dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            agent.wait_attached(client.pid)
            client.go()
            out = json.loads(client.finish().decode().strip().splitlines()[-1])
            agent.stop()
    finally:
        server.kill()
        client.kill()
    check(out["text"] == COMPLETION, "the openai client itself got %r" % out["text"])
    return agent, server, client


@pytest.mark.parametrize("transport", ["tls", "plain"])
def test_openai_node_client_streaming_sse(transport):
    plain = transport == "plain"
    agent, server, client = _openai_direct("stream", plain)
    xs_client, xs_server = exchanges(agent, client.pid), exchanges(agent, server.pid)
    check(len(xs_client) == 1 and len(xs_server) == 1, "one exchange per side expected: %d, %d"
          % (len(xs_client), len(xs_server)))
    for x, role in ((xs_client[0], "client"), (xs_server[0], "server")):
        check(x["identity"]["role"] == role, "role %s" % x["identity"]["role"])
        check(x["api"] == "openai.chat" and x["path"] == "/v1/chat/completions", "api %s %s" % (x["api"], x["path"]))
        check(prompt_of(x) == NODE_PROMPT, "prompt differs: %r" % prompt_of(x))
        check(x["model_requested"] == "test-model" and x["model_reported"] == MODEL, "models")
        check(x["system_fingerprint"] == FINGERPRINT, "fingerprint %s" % x["system_fingerprint"])
        check(x["stream_requested"] and x["streamed"], "streaming flags")
        check(x["usage"] == {"prompt_tokens": 11, "completion_tokens": 22, "total_tokens": 33}, "usage %s" % x["usage"])
        check_completion(x)
    check(xs_client[0]["identity"]["comm"] == "node", "client comm %s" % xs_client[0]["identity"]["comm"])
    for x in (xs_client[0], xs_server[0]):
        check(x["identity"]["capture_source"] == ("plain" if plain else "openssl"), "source: %s" % x["identity"])
    if plain:
        # Plain sockets: both sides' addresses from the socket itself.
        check(xs_client[0]["identity"]["peer"] == "127.0.0.1:%d" % server.port
              and xs_client[0]["identity"]["local"] == xs_server[0]["identity"]["peer"],
              "node client addresses: %s" % xs_client[0]["identity"])
    else:
        # node runs OpenSSL over its own BIO: no socket, so no address (never a
        # guess); the Python server's blocking socket gives the real peer.
        check(xs_client[0]["identity"]["local"] is None and xs_client[0]["identity"]["peer"] is None,
              "node client addresses should be unknown: %s" % xs_client[0]["identity"])
    check((xs_server[0]["identity"]["peer"] or "").startswith("127.0.0.1:") and
          xs_server[0]["identity"]["local"] == "127.0.0.1:%d" % server.port,
          "server addresses: %s" % xs_server[0]["identity"])
    st = agent.stats()["decode"]
    check(st["json_errors"] == 0 and st["parse_errors"] == 0 and st["incomplete"] == 0, "decode stats %s" % st)


def test_openai_node_client_gzip_non_streamed():
    agent, server, client = _openai_direct("whole")
    for pid in (client.pid, server.pid):
        xs = exchanges(agent, pid)
        check(len(xs) == 1, "one exchange expected for pid %d, got %d" % (pid, len(xs)))
        x = xs[0]
        check(not x["streamed"] and prompt_of(x) == NODE_PROMPT, "non-streamed prompt %r" % prompt_of(x))
        check_completion(x)
    # The body was compressed on the wire: the server's write stream has no plaintext completion.
    st = agent.stats()["decode"]
    check(st["decode_errors"] == 0, "decode errors: %s" % st)


def _curl(port, path, body, *flags, scheme="https"):
    r = subprocess.run(["curl", "-sk", "--max-time", "20", *flags, "%s://127.0.0.1:%d%s" % (scheme, port, path),
                        "-H", "Content-Type: application/json", "-d", json.dumps(body)],
                       capture_output=True, timeout=30)
    check(r.returncode == 0, "curl failed: %s" % r.stderr)
    return r.stdout


def test_anthropic_ollama_tgi_and_non_model_traffic():
    server = LLMServer()
    try:
        with Agent("--pid", str(server.pid), "--dump", "exchanges", dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            _curl(server.port, "/v1/messages", {"model": "claude-x", "stream": True, "system": "Be brief.",
                                                "messages": [{"role": "user", "content": [
                                                    {"type": "text", "text": "anthropic question"}]}]})
            _curl(server.port, "/api/chat", {"model": "llama3", "messages": [{"role": "user", "content": "ollama question"}]})
            _curl(server.port, "/generate_stream", {"inputs": "tgi question", "parameters": {"max_new_tokens": 20}})
            _curl(server.port, "/v1/completions", {"model": "m", "prompt": "complete this", "stream": True})
            _curl(server.port, "/not/a/model/api", {"x": 1})
            agent.stop()
    finally:
        server.kill()
    xs = {x["api"]: x for x in exchanges(agent)}
    check(set(xs) == {"anthropic.messages", "ollama.chat", "tgi.generate_stream", "openai.completions"},
          "apis seen: %s" % sorted(xs))
    a = xs["anthropic.messages"]
    check(prompt_of(a) == [("system", "Be brief."), ("user", "anthropic question")], "anthropic prompt %r" % prompt_of(a))
    check(a["usage"]["prompt_tokens"] == 7 and a["usage"]["completion_tokens"] == 9, "anthropic usage %s" % a["usage"])
    check_completion(a, "end_turn")
    o = xs["ollama.chat"]
    check(prompt_of(o) == [("user", "ollama question")] and o["streamed"], "ollama %r" % prompt_of(o))
    check_completion(o)
    t = xs["tgi.generate_stream"]
    check(prompt_of(t) == [("prompt", "tgi question")], "tgi prompt %r" % prompt_of(t))
    check_completion(t, "eos_token")
    c = xs["openai.completions"]
    check(prompt_of(c) == [("prompt", "complete this")], "completions prompt %r" % prompt_of(c))
    check_completion(c)
    st = agent.stats()["decode"]
    check(st["non_model_requests"] == 1 and st["exchanges"] == 4, "decode stats %s" % st)


def test_nginx_http2_reverse_proxy():
    # curl speaks HTTP/2 to nginx; nginx proxies over TLS with HTTP/1.1 to the
    # model server. The agent watches nginx: the same exchange is seen on its
    # HTTP/2 server side and on its HTTP/1.1 client side. The openai node
    # client also goes through nginx (ALPN picks HTTP/1.1 for it).
    server = LLMServer()
    tmp = tempfile.mkdtemp(prefix="sealtap-nginx-")
    port = free_port()
    nginx = start_nginx(tmp, port, """
    location / {
      proxy_pass https://127.0.0.1:%d;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_ssl_verify off;
    }""" % server.port)
    client = _openai_node("https://127.0.0.1:%d/v1" % port, "stream")
    try:
        client.expect("ready")
        with Agent("--comm", "nginx", "--pid", str(client.pid), "--dump", "exchanges", dump=False) as agent:
            agent.ready()
            agent.wait_attached(client.pid)
            worker = [l for l in agent.stderr_lines if "attached pid" in l and "(%d " % client.pid not in l]
            check(worker, "no nginx process attached: %s" % agent.stderr_lines)
            body = {"model": "h2-model", "stream": True,
                    "messages": [{"role": "user", "content": "over HTTP/2 \u00e9\U0001F600"}]}
            out = _curl(port, "/v1/chat/completions", body, "--http2")
            check(b"data: [DONE]" in out, "curl got no stream: %r" % out[-200:])
            client.go()
            client.finish()
            agent.stop()
    finally:
        nginx.terminate()
        nginx.wait()
        server.kill()
        client.kill()
    xs = exchanges(agent)
    h2 = [x for x in xs if x["model_requested"] == "h2-model"]
    roles = sorted(x["identity"]["role"] for x in h2)
    check(roles == ["client", "server"], "the curl exchange should be seen on both sides of nginx: %s" % roles)
    for x in h2:
        check(prompt_of(x) == [("user", "over HTTP/2 \u00e9\U0001F600")], "h2 prompt %r" % prompt_of(x))
        check_completion(x)
    node = [x for x in xs if x["model_requested"] == "test-model"]
    check(len(node) == 3, "node client exchange: seen by node and twice by nginx, got %d" % len(node))
    for x in node:
        check(prompt_of(x) == NODE_PROMPT, "node prompt via nginx %r" % prompt_of(x))
        check_completion(x)
    st = agent.stats()["decode"]
    check(st["http2"] >= 1 and st["json_errors"] == 0 and st["parse_errors"] == 0, "decode stats %s" % st)


def test_model_port_and_process_recognise_custom_paths():
    server = LLMServer()
    body = {"model": "gw", "stream": True, "messages": [{"role": "user", "content": "via a gateway path"}]}
    try:
        with Agent("--pid", str(server.pid), "--dump", "exchanges", dump=False) as plain:
            plain.ready()
            plain.wait_attached(server.pid)
            _curl(server.port, "/custom/invoke", body)
            plain.stop()
        with Agent("--pid", str(server.pid), "--model-port", str(server.port), "--dump", "exchanges",
                   dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            _curl(server.port, "/custom/invoke", body)
            _curl(server.port, "/custom/invoke", {"not": "a model call"})
            agent.stop()
        with Agent("--pid", str(server.pid), "--model-process", "python3", "--dump", "exchanges",
                   dump=False) as by_process:
            by_process.ready()
            by_process.wait_attached(server.pid)
            _curl(server.port, "/custom/invoke", body)
            by_process.stop()
    finally:
        server.kill()
    check([x["path"] for x in exchanges(by_process)] == ["/custom/invoke"],
          "--model-process should make the custom path model traffic")
    check(exchanges(plain) == [] and plain.stats()["decode"]["non_model_requests"] == 1,
          "without --model-port the custom path is not model traffic")
    xs = exchanges(agent)
    check(len(xs) == 1 and xs[0]["api"] == "openai.chat" and xs[0]["path"] == "/custom/invoke",
          "with --model-port: %s" % [(x["api"], x["path"]) for x in xs])
    check(prompt_of(xs[0]) == [("user", "via a gateway path")], "prompt %r" % prompt_of(xs[0]))
    check_completion(xs[0])
    check(agent.stats()["decode"]["non_model_requests"] == 1, "the non-model body is counted")


@pytest.mark.parametrize("transport", ["tls", "plain"])
def test_keepalive_connection_open_before_the_agent(transport):
    """A keep-alive connection that was open before the agent started, with
    the server blocked in a read when the probes attach. Over TLS that
    read's request is lost (its SSL call began before the probes), the rest
    of its large body is the first thing the agent sees, and the connection
    must still be decoded from the next message on: the next exchange whole,
    the bytes before it counted as skipped. Over a plain socket the read is
    seen when it returns, so no byte is skipped and both later exchanges
    are whole."""
    plain = transport == "plain"
    server = LLMServer(plain=plain)
    client = python_peer("keepalive_client.py", server.port, *(["plain"] if plain else []))
    try:
        client.expect("ready")

        def send(body):
            client.proc.stdin.write((json.dumps(body) + "\n").encode())
            client.proc.stdin.flush()

        send({"model": "m", "stream": True, "messages": [{"role": "user", "content": "before the agent"}]})
        client.expect("done 1")
        with Agent("--pid", str(server.pid), "--dump", "exchanges", dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            # The server's handler is parked in SSL_read for the next request
            # line: that call began before the probes.
            filler = "lorem ipsum dolor sit amet " * 4000  # ~108 KB: read in many calls
            send({"model": "m", "stream": True, "messages": [{"role": "user", "content": filler}]})
            client.expect("done 2")
            send({"model": "m", "stream": True, "sealtap_test_reply": COMPLETION,
                  "messages": [{"role": "user", "content": "after the agent"}]})
            client.expect("done 3")
            agent.stop()
    finally:
        client.kill()
        server.kill()
    xs = exchanges(agent, server.pid)
    d = agent.stats()["decode"]
    if plain:
        check([prompt_of(x) for x in xs] == [[("user", filler)], [("user", "after the agent")]],
              "exchanges seen: %s" % [prompt_of(x)[0][1][:20] for x in xs])
        check(all(x["complete"] == {"request": True, "response": True} for x in xs), "whole exchanges")
        check(all(x["identity"]["capture_source"] == "plain" for x in xs), "plain: %s" % xs[0]["identity"])
        check(d["resynced"] == 0 and d["unpaired_responses"] == 0, "nothing skipped: %s" % d)
        check_completion(xs[1])
        return
    check(len(xs) == 1, "exchanges seen: %s" % [prompt_of(x) for x in xs])
    check(prompt_of(xs[0]) == [("user", "after the agent")], "prompt %r" % prompt_of(xs[0]))
    check_completion(xs[0])
    check(d["resynced"] == 1 and d["resync_skipped_bytes"] > 50000,
          "picked up once, the rest of the large body skipped: %s" % d)
    check(d["unpaired_responses"] == 1, "the lost request's response is reported unpaired: %s" % d)


@pytest.mark.parametrize("transport", ["tls", "plain"])
def test_every_connection_has_its_own_id(transport):
    """Many short connections to one server: its SSL objects, descriptors
    and struct socks are reused within milliseconds, so (pid, SSL*) or
    (pid, fd) names several connections in turn. Every exchange must be
    whole, none merged with another, each with a connection id of its own,
    said the same way in its findings; and each says how it was captured."""
    plain = transport == "plain"
    server = LLMServer(plain=plain)
    n = 12
    try:
        with Agent("--pid", str(server.pid), "--dump", "exchanges", dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            for i in range(n):
                _curl(server.port, "/v1/chat/completions",
                      {"model": "m", "stream": True, "sealtap_test_reply": "mail maria%d@acme-corp.io" % i,
                       "messages": [{"role": "user", "content": "question %d" % i}]},
                      scheme="http" if plain else "https")
            agent.stop()
    finally:
        server.kill()
    xs = exchanges(agent, server.pid)
    check(len(xs) == n, "%d exchanges for %d connections" % (len(xs), n))
    ids = [x["identity"]["connection_id"] for x in xs]
    check(len(set(ids)) == n and all(ids), "connection ids %s" % ids)
    for i, x in enumerate(sorted(xs, key=lambda x: x["identity"]["connection_id"])):
        check(prompt_of(x) == [("user", "question %d" % i)], "exchange %d prompt %r" % (i, prompt_of(x)))
        check(x["choices"][0]["text"] == "mail maria%d@acme-corp.io" % i, "exchange %d completion" % i)
        check(x["complete"] == {"request": True, "response": True}, "exchange %d incomplete" % i)
        check(x["identity"]["capture_source"] == ("plain" if plain else "openssl"), "capture source %r" % x["identity"])
    by_exchange = {x["id"]: x["identity"]["connection_id"] for x in xs}
    findings = [r for r in agent.records if r["type"] == "finding"]
    check(len(findings) == n, "%d findings" % len(findings))
    for f in findings:
        check(f["identity"]["connection_id"] == by_exchange[f["exchange_id"]],
              "finding of exchange %d says connection %s" % (f["exchange_id"], f["identity"]["connection_id"]))
