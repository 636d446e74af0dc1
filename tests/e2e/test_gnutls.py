"""GnuTLS (#20): gnutls_record_send/recv in libgnutls, probed like OpenSSL's
calls (the same attach, dedup and chunk contract), with the connection's
socket learnt from the library's own socket calls inside them. Against real
gnutls-serv and gnutls-cli (Debian's gnutls-bin) and Python peers."""
import json
import os
import select
import shutil
import socket
import ssl
import subprocess
import time

import pytest

from harness import Agent, certs, check, free_port, python_peer, stream_of, wait_listening

pytestmark = [pytest.mark.bpf,
              pytest.mark.skipif(not shutil.which("gnutls-serv"), reason="gnutls-bin is installed by make deps")]

CARD = "4532 0151 1283 0366"


def test_gnutls_serv_echo_byte_exact():
    """A Python TLS client sends 1 MiB of lines to gnutls-serv --echo and
    reads them back: gnutls-serv's received and sent plaintext are exactly those bytes,
    with the socket's addresses, and its TLS socket bytes are never taken as
    plain."""
    crt, key = certs()
    port = free_port()
    # Its output goes nowhere: it prints what it echoes, and a full pipe would stop it.
    serv = subprocess.Popen(["gnutls-serv", "--echo", "-q", "-p", str(port), "--x509certfile", crt,
                             "--x509keyfile", key], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Text lines: gnutls-serv's echo mode is line-oriented and does not
    # return arbitrary binary faithfully (it does not, with no agent).
    data = b"".join(b"line %07d abcdefghijklmnopqrstuvwxyz\n" % i for i in range((1 << 20) // 40 + 1))[:(1 << 20) - 1] + b"\n"
    try:
        wait_listening(port, serv)
        with Agent("--pid", str(serv.pid)) as agent:
            agent.ready()
            agent.wait_attached(serv.pid)
            check(any("GnuTLS found in" in l for l in agent.stderr_lines), "GnuTLS library found")
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
            got = bytearray()
            # In steps of whole lines (it echoes a line once it is complete),
            # each read back before the next (one thread: an SSL object is
            # not for a reader and a writer at once).
            for off in range(0, len(data), 65520):
                piece = data[off:off + 65520]
                s.sendall(piece)
                want = len(got) + len(piece)
                while len(got) < want:
                    d = s.recv(65536)
                    if not d:
                        break
                    got.extend(d)
            check(bytes(got) == data, "the echo itself: %d of %d bytes" % (len(got), len(data)))
            agent.wait_bytes(serv.pid, "write", len(data))
            s.close()
            agent.stop()
    finally:
        serv.kill()
        serv.wait()
    check(stream_of(agent, serv.pid, "read") == data, "gnutls-serv's received plaintext is byte-exact")
    check(stream_of(agent, serv.pid, "write") == data, "gnutls-serv's sent plaintext is byte-exact")
    chunks = agent.chunks(serv.pid)
    check({c["fn"] for c in chunks} == {"gnutls_record_recv", "gnutls_record_send"}, "by the GnuTLS calls")
    check(all(c["local"] == "127.0.0.1:%d" % port and c["peer"].startswith("127.0.0.1:") for c in chunks),
          "addresses learnt from the library's own socket calls: %s" % {(c["local"], c["peer"]) for c in chunks})
    check(agent.stats()["kernel"]["tls_socket_bytes"] > len(data), "its TLS socket bytes dropped, counted")


def gnutls_cli_chat(agent, port, body):
    """gnutls-cli POSTs body to a chat completions server on port, watched by
    agent (selected by --comm gnutls-cli) before its first byte; returns its
    process once it has the whole streamed answer."""
    request = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    cli = subprocess.Popen(["gnutls-cli", "--insecure", "-p", str(port), "127.0.0.1"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    agent.wait_attached(cli.pid)
    cli.stdin.write(request)
    cli.stdin.flush()
    # Its stdin stays open until the answer is in: gnutls-cli ends the
    # session at end of input, and could cut the stream short.
    out, deadline = b"", time.monotonic() + 30
    while b"[DONE]" not in out and time.monotonic() < deadline:
        if select.select([cli.stdout], [], [], 0.5)[0]:
            piece = os.read(cli.stdout.fileno(), 65536)
            if not piece:
                break
            out += piece
    cli.stdin.close()
    out += cli.stdout.read()  # to the end: the server closes after its answer
    cli.wait(30)
    check(b"[DONE]" in out, "gnutls-cli got the stream: %r" % out[-300:])
    return cli


def test_gnutls_cli_client_exchange():
    """gnutls-cli as the client of a Python TLS model server: its side of the
    exchange decoded from GnuTLS plaintext, capture source gnutls."""
    crt, key = certs()
    port = free_port()
    server = python_peer("llm_server.py", port, crt, key)
    server.expect("ready")
    body = json.dumps({"model": "m", "stream": True, "sealtap_test_reply": "card %s" % CARD,
                       "messages": [{"role": "user", "content": "via gnutls-cli"}]}).encode()
    try:
        with Agent("--comm", "gnutls-cli", "--dump", "exchanges", dump=False) as agent:
            agent.ready()
            cli = gnutls_cli_chat(agent, port, body)
            agent.wait_stdout('"type":"exchange"', timeout=20)
            agent.stop()
    finally:
        server.kill()
    xs = [r for r in agent.records if r["type"] == "exchange" and r["identity"]["pid"] == cli.pid]
    check(len(xs) == 1, "one exchange: %s" % xs)
    x = xs[0]
    check(x["identity"]["capture_source"] == "gnutls" and x["identity"]["role"] == "client"
          and x["identity"]["peer"] == "127.0.0.1:%d" % port, "gnutls-cli's side: %s" % x["identity"])
    check(x["prompt"][0]["text"] == "via gnutls-cli" and x["choices"][0]["text"] == "card %s" % CARD
          and x["complete"] == {"request": True, "response": True}, "whole exchange: %s" % x)
    findings = [r for r in agent.records if r["type"] == "finding"]
    check([f["detector"] for f in findings] == ["financial.payment_card"], "the card found: %s" % findings)
