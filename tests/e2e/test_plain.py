"""Plain HTTP on sockets, seen from the system calls (--plain-sockets, #19):
a model server that speaks HTTP without TLS, as vLLM, TGI or Ollama do
behind an ingress, is decoded like TLS plaintext, with the addresses from
the socket itself; a TLS process's socket bytes are never taken a second
time. Without the flag, no system call is traced (the default, for its
cost to every process on the host)."""
import json
import os
import subprocess
import sys

import pytest

from harness import Agent, PEERS, PYTHON, certs, check, free_port, python_peer

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
        with Agent("--pid", str(server.pid), "--plain-sockets", "--dump", "exchanges") as agent:
            agent.ready()
            agent.wait_stderr("watching pid %d (sockets)" % server.pid)
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
    """A TLS server on socket BIOs (its socket calls are inside SSL calls)
    and one on memory BIOs (asyncio: its socket calls are not, but carry TLS
    records from their first byte): only the SSL probes' plaintext is
    captured, and the dropped socket bytes are counted."""
    crt, key = certs()
    port, aport = free_port(), free_port()
    server = python_peer("llm_server.py", port, crt, key)
    aserver = python_peer("asyncio_server.py", aport, crt, key, 50, "p1")
    try:
        server.expect("ready")
        aserver.expect("ready")
        with Agent("--pid", str(server.pid), "--pid", str(aserver.pid), "--plain-sockets", "--dump", "exchanges") as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            agent.wait_attached(aserver.pid)
            curl("https://127.0.0.1:%d/v1/chat/completions" % port,
                 {"model": "m", "stream": True, "messages": [{"role": "user", "content": "over tls"}]}, "-k")
            out = subprocess.run([PYTHON, os.path.join(PEERS, "line_client.py"), str(aport), "hello"],
                                 capture_output=True, timeout=30)
            check(out.returncode == 0 and out.stdout, "asyncio client: %s" % out.stderr)
            aserver.finish()
            agent.stop()
    finally:
        server.kill()
        aserver.kill()
    fns = {c["fn"] for c in agent.chunks()}
    check(fns and all(f.startswith("SSL_") for f in fns), "only SSL plaintext captured: %s" % fns)
    xs = [r for r in agent.records if r["type"] == "exchange"]
    check(len(xs) == 1 and xs[0]["identity"]["capture_source"] == "openssl", "one TLS exchange: %s" % xs)
    k = agent.stats()["kernel"]
    check(k["tls_socket_calls"] > 0 and k["tls_socket_bytes"] > 0, "dropped TLS socket bytes counted: %s" % k)


def test_without_the_flag_no_socket_is_traced():
    port = free_port()
    server = python_peer("llm_server.py", port, "-", "-")
    server.expect("ready")
    try:
        with Agent("--pid", str(server.pid), "--dump", "exchanges") as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            curl("http://127.0.0.1:%d/v1/chat/completions" % port,
                 {"model": "m", "stream": True, "messages": [{"role": "user", "content": "unseen"}]})
            agent.stop()
    finally:
        server.kill()
    check(not agent.chunks() and not [r for r in agent.records if r["type"] == "exchange"],
          "plain traffic captured without --plain-sockets")
    check(not any("(sockets)" in l for l in agent.stderr_lines), "sockets watched without the flag")
