"""Evidence end to end: the real agent records findings from real TLS
traffic as signed, chained events in its spool. Checked with independent
code (evidence_tools: a hand-written protobuf reader, hashlib, cryptography):
contiguous sequence numbers, each event chained to the one before, every
checkpoint signed by the agent key and equal to the RFC 6962 root of the
events it covers; lifecycle start and stop; no raw value in the spool; and
a restart, clean or after SIGKILL, continues the same stream."""
import json
import os
import shutil
import subprocess
import tempfile
import time

from evidence_tools import fields, verify_spool
from harness import Agent, certs, check, free_port, python_peer

CARD = "4532 0151 1283 0366"
EMAIL = "maria.garcia@acme-corp.io"


def chat(port, prompt, reply):
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": prompt}],
            "sealtap_test_reply": reply}
    r = subprocess.run(["curl", "-sk", "--max-time", "20", "https://127.0.0.1:%d/v1/chat/completions" % port,
                        "-H", "Content-Type: application/json", "-d", json.dumps(body)],
                       capture_output=True, timeout=30)
    check(r.returncode == 0, "curl failed: %s" % r.stderr)


def run_agent(server, state, n, kill=False):
    agent = Agent("--pid", str(server.pid), "--state-dir", state, dump=False)
    with agent:
        agent.ready()
        agent.wait_attached(server.pid)
        for i in range(n):
            chat(server.port, "card %s please" % CARD, "Mail %s now." % EMAIL)
        if kill:
            # Wait for the findings, then no goodbye: SIGKILL.
            agent.wait_stdout('"detector":"pii.email"', n)
            agent.proc.kill()
            agent.proc.wait()
            return None
        agent.stop()
    return agent


def kinds(evs):
    names = {20: "finding", 24: "lifecycle", 25: "capture_loss", 26: "gap", 27: "heartbeat"}
    return [next(names.get(k, str(k)) for k in e if k >= 20) for e in evs]


def test_evidence_chain_signed_and_resumed():
    crt, key = certs()
    port = free_port()
    server = python_peer("llm_server.py", port, crt, key)
    server.expect("ready")
    server.port = port
    state = tempfile.mkdtemp(prefix="sealtap-evidence-")
    try:
        first = run_agent(server, state, 2)
        streams, checkpoints = verify_spool(state)
        check(len(streams) == 1, "one stream: %d" % len(streams))
        (sid, evs), = streams.items()
        check(kinds(evs) == ["lifecycle"] + ["finding"] * 4 + ["lifecycle"], "events: %s" % kinds(evs))
        check(checkpoints[sid] == len(evs), "the last checkpoint covers all %d events: %s" % (len(evs), checkpoints))
        # The agent's output points at each finding's signed copy.
        seqs = [f["evidence"]["seq"] for f in (json.loads(l) for l in first.stdout_lines if '"finding"' in l)]
        check(sorted(seqs) == [1, 2, 3, 4], "finding sequence numbers: %s" % seqs)
        finding = fields(evs[1][20][0])
        check(finding[1][0] == b"financial.payment_card" and finding[11][0] == b"****0366",
              "first finding fields: %s" % finding)
        spool = b"".join(open(os.path.join(state, "spool", p), "rb").read()
                         for p in os.listdir(os.path.join(state, "spool")))
        for value in (CARD, CARD.replace(" ", ""), EMAIL):
            check(value.encode() not in spool, "a value is in the spool")
        st = first.stats()["evidence"]
        # The last stats line comes before the stop event is recorded.
        check(st["events"] == 5 and st["dropped"] == 0 and not st["resumed"], "evidence stats: %s" % st)

        # A clean restart continues the stream.
        second = run_agent(server, state, 1)
        streams, checkpoints = verify_spool(state)
        check(list(streams) == [sid], "still one stream after a restart")
        check(kinds(streams[sid])[6:] == ["lifecycle", "finding", "finding", "lifecycle"],
              "after restart: %s" % kinds(streams[sid])[6:])
        check(second.stats()["evidence"]["resumed"], "the second run resumed")

        # SIGKILL mid-run, then a restart: still one unbroken, verified chain.
        run_agent(server, state, 1, kill=True)
        third = run_agent(server, state, 1)
        streams, checkpoints = verify_spool(state)
        check(list(streams) == [sid], "a kill must not fork the stream: %d streams" % len(streams))
        evs = streams[sid]
        check(checkpoints[sid] == len(evs), "everything signed at the end: %s of %d" % (checkpoints[sid], len(evs)))
        check(third.stats()["evidence"]["resumed"], "the run after the kill resumed")
    finally:
        server.kill()


def test_capture_loss_and_heartbeat_recorded():
    """What the agent lost and what it watched are signed events too: a
    request body past --max-body becomes a capture_loss event counting it
    (the reason, the count), and heartbeats say how many exchanges and bytes
    were watched since the previous one."""
    crt, key = certs()
    port = free_port()
    server = python_peer("llm_server.py", port, crt, key)
    server.expect("ready")
    state = tempfile.mkdtemp(prefix="sealtap-coverage-")
    try:
        with Agent("--pid", str(server.pid), "--state-dir", state, "--max-body", "4096",
                   "--heartbeat-interval", "1", dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            chat(port, "hello", "Hi.")
            chat(port, "x" * 20000, "Too long.")  # the request body is cut at 4 KiB: a loss
            # Heartbeats come every second; wait until one has covered the two exchanges.
            deadline = time.monotonic() + 15
            seen = 0
            while time.monotonic() < deadline and seen < 2:
                time.sleep(0.3)
                streams, _ = verify_spool(state)
                evs = next(iter(streams.values()))
                seen = sum(fields(e[27][0]).get(1, [0])[0] for e in evs if 27 in e)
            agent.stop()
        streams, checkpoints = verify_spool(state)
        (sid, evs), = streams.items()
        check(checkpoints[sid] == len(evs), "everything signed")
        losses = [e[25][0] for e in evs if 25 in e]
        check(len(losses) == 1, "one capture_loss event: %s" % kinds(evs))
        counts = {fields(m)[1][0].decode(): fields(m).get(2, [0])[0] for m in fields(losses[0])[1]}
        check(counts == {"body_truncated": 1}, "loss counted by reason: %s" % counts)
        beats = [fields(e[27][0]) for e in evs if 27 in e]
        check(beats and all(b.get(3, [0])[0] == 1 and 500 <= b.get(4, [0])[0] <= 5000 for b in beats),
              "heartbeats: one process watched, about a second each: %s" % beats)
        check(sum(b.get(1, [0])[0] for b in beats) == 2 and sum(b.get(2, [0])[0] for b in beats) > 20000,
              "the heartbeats account for both exchanges and their bytes: %s" % beats)
    finally:
        server.kill()
        shutil.rmtree(state, ignore_errors=True)
