"""Findings end to end: a real TLS model server streaming completions over
SSE, real clients (curl) from two source addresses, the real agent. Asserts
each finding's detector, place and masked preview, the leak labels (echo:
the value was in this prompt; cross_identity: another client sent it;
novel: neither), that an output finding is raised while the response is
still streaming, and that no value appears anywhere in the agent's output."""
import json
import os
import subprocess
import tempfile
import time

from harness import Agent, certs, check, free_port, python_peer

import pytest  # noqa: E402

pytestmark = pytest.mark.bpf  # every test here starts the agent

CARD = "4532 0151 1283 0366"
SSN = "536-22-1234"
EMAIL = "maria.garcia@acme-corp.io"

PROMPT_A = "My card is %s and my SSN is %s, please file the claim." % (CARD, SSN)
REPLY_A = "Noted: card %s is on file. I will email %s when done." % (CARD.replace(" ", "-"), EMAIL)
PROMPT_B = "Hello, what is on record for me?"
REPLY_B = "The SSN on record is %s. The rest of this answer is slow to come." % SSN


def chat(port, source, prompt, reply, pause_at=None):
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": prompt}],
            "sealtap_test_reply": reply}
    if pause_at is not None:
        body["sealtap_test_pause_at"] = pause_at
    r = subprocess.run(["curl", "-sk", "--max-time", "20", "--interface", source,
                        "https://127.0.0.1:%d/v1/chat/completions" % port,
                        "-H", "Content-Type: application/json", "-d", json.dumps(body)],
                       capture_output=True, timeout=30)
    check(r.returncode == 0, "curl failed: %s" % r.stderr)
    return time.monotonic_ns()  # the response has ended by now


def test_findings_leak_labels_and_real_time():
    crt, key = certs()
    port = free_port()
    server = python_peer("llm_server.py", port, crt, key)
    server.expect("ready")
    try:
        with Agent("--pid", str(server.pid), dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            chat(port, "127.0.0.2", PROMPT_A, REPLY_A)
            pause = REPLY_B.index(SSN) + len(SSN) + 4
            end_b = chat(port, "127.0.0.3", PROMPT_B, REPLY_B, pause_at=pause)
            agent.stop()
    finally:
        server.kill()
    out = "\n".join(agent.stdout_lines + agent.stderr_lines)
    for value in (CARD, CARD.replace(" ", ""), CARD.replace(" ", "-"), SSN, SSN.replace("-", ""), EMAIL):
        check(value not in out, "a value appears in the agent's output: %s" % value[:4])

    found = [r for r in agent.records if r["type"] == "finding"]
    by_peer = {}
    for f in found:
        by_peer.setdefault(f["identity"]["peer"].rsplit(":", 1)[0], []).append(f)
    a, b = by_peer.get("127.0.0.2", []), by_peer.get("127.0.0.3", [])

    got_a = sorted((f["direction"], f.get("leak"), f["detector"], f["start"], f["end"], f["masked"]) for f in a)
    want_a = sorted([
        ("input", None, "financial.payment_card", PROMPT_A.index(CARD), PROMPT_A.index(CARD) + len(CARD), "****0366"),
        ("input", None, "pii.ssn", PROMPT_A.index(SSN), PROMPT_A.index(SSN) + len(SSN), "****1234"),
        ("output", "echo", "financial.payment_card", REPLY_A.index("4532-"), REPLY_A.index("4532-") + len(CARD),
         "****0366"),
        ("output", "novel", "pii.email", REPLY_A.index(EMAIL), REPLY_A.index(EMAIL) + len(EMAIL), "m***@***.io"),
    ])
    check(got_a == want_a, "client A's findings:\n got %s\nwant %s" % (got_a, want_a))
    for f in a:
        check(f["api"] == "openai.chat" and f["path"] == "/v1/chat/completions", "exchange fields: %s" % f)
        check(f["identity"]["pid"] == server.pid and f["identity"]["role"] == "server", "identity: %s" % f)
        if f["direction"] == "input":
            check(f["part"] == "message" and f["message"] == 0 and f["role"] == "user", "input place: %s" % f)
        else:
            check(f["part"] == "completion" and f["choice"] == 0, "output place: %s" % f)
    check(len({f["exchange_id"] for f in a}) == 1, "one exchange for client A")
    # The same card in the prompt and the reply: one fingerprint.
    cards = {f["fingerprint"] for f in a if f["detector"] == "financial.payment_card"}
    check(len(cards) == 1, "card fingerprints differ between prompt and reply")

    got_b = [(f["direction"], f.get("leak"), f["detector"], f["start"], f["rank"]) for f in b]
    check(got_b == [("output", "cross_identity", "pii.ssn", REPLY_B.index(SSN), 4)],
          "client B's findings: %s" % got_b)
    # Raised while the response was still streaming: before the server's
    # one-second pause after the value ended.
    check(b[0]["time_ns"] < end_b - 500_000_000,
          "finding raised %.2fs before the response ended, expected > 0.5s" % ((end_b - b[0]["time_ns"]) / 1e9))

    st = agent.stats()["classify"]
    check((st["findings_input"], st["findings_output"], st["echo"], st["novel"], st["cross_identity"]) == (2, 3, 1, 1, 1),
          "classify stats: %s" % st)
