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

import pytest  # noqa: E402

pytestmark = pytest.mark.bpf  # every test here starts the agent

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
    names = {20: "finding", 24: "lifecycle", 25: "capture_loss", 26: "gap", 27: "heartbeat", 28: "coverage"}
    return [next(names.get(k, str(k)) for k in e if k >= 20) for e in evs]


def without_coverage(ks):
    """The kinds but the coverage events (the account, at start and at each
    change: test_coverage.py checks them)."""
    return [k for k in ks if k != "coverage"]


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
        check(without_coverage(kinds(evs)) == ["lifecycle"] + ["finding"] * 4 + ["lifecycle"]
              and kinds(evs)[1] == "coverage", "events: %s" % kinds(evs))
        check(checkpoints[sid] == len(evs), "the last checkpoint covers all %d events: %s" % (len(evs), checkpoints))
        # The agent's output points at each finding's signed copy.
        seqs = [f["evidence"]["seq"] for f in (json.loads(l) for l in first.stdout_lines if '"finding"' in l)]
        check(sorted(seqs) == [i for i, k in enumerate(kinds(evs)) if k == "finding"], "finding sequence numbers: %s"
              % seqs)
        finding = fields(next(e for e in evs if 20 in e)[20][0])
        check(finding[1][0] == b"financial.payment_card" and finding[11][0] == b"****0366",
              "first finding fields: %s" % finding)
        # Each finding says, signed, which connection it came from and how
        # it was captured (Identity 12 and 13); the two exchanges of a run
        # were two connections.
        idents = [fields(e[7][0]) for e in evs if 20 in e]
        check(all(i[13][0] == b"openssl" for i in idents), "capture sources: %s" % [i.get(13) for i in idents])
        check(all(i[12][0] > 0 for i in idents) and len({i[12][0] for i in idents}) == 2,
              "connection ids: %s" % [i.get(12) for i in idents])
        spool = b"".join(open(os.path.join(state, "spool", p), "rb").read()
                         for p in os.listdir(os.path.join(state, "spool")))
        for value in (CARD, CARD.replace(" ", ""), EMAIL):
            check(value.encode() not in spool, "a value is in the spool")
        st = first.stats()["evidence"]
        # The last stats line comes before the stop event is recorded.
        check(st["events"] == len(evs) - 1 and st["dropped"] == 0 and not st["resumed"], "evidence stats: %s" % st)

        # A clean restart continues the stream.
        second = run_agent(server, state, 1)
        streams, checkpoints = verify_spool(state)
        check(list(streams) == [sid], "still one stream after a restart")
        check(without_coverage(kinds(streams[sid])[len(evs):]) == ["lifecycle", "finding", "finding", "lifecycle"],
              "after restart: %s" % kinds(streams[sid])[len(evs):])
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


class OtlpReceiver:
    """An OTLP/HTTP logs endpoint on loopback: keeps each request's headers
    and protobuf body, answers 200 (an empty ExportLogsServiceResponse)."""

    def __init__(self):
        import http.server
        import threading
        got = self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                got.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def records(self):
        """Every LogRecord received: (resource attributes, record fields, record attributes)."""
        def attrs(kvs):
            out = {}
            for kv in kvs:
                f = fields(kv)
                any_value = fields(f[2][0]) if 2 in f else {}
                v = any_value.get(1, any_value.get(3, [None]))[0]
                out[f[1][0].decode()] = v.decode() if isinstance(v, bytes) else v
            return out
        out = []
        for _, _, body in self.requests:
            for rl in fields(body)[1]:
                rl = fields(rl)
                resource = attrs(fields(rl[1][0]).get(1, []))
                for sl in rl.get(2, []):
                    for rec in fields(sl).get(2, []):
                        r = fields(rec)
                        out.append((resource, r, attrs(r.get(6, []))))
        return out

    def close(self):
        self.server.shutdown()


def test_evidence_copies_as_json_lines_and_otlp_logs():
    """Every signed event also goes, as it happens, to a JSON-lines file and
    to an OTLP/HTTP logs endpoint, each copy carrying the stream id and
    sequence number of its signed original, OpenTelemetry attribute names,
    the configured header, and never the value."""
    crt, key = certs()
    port = free_port()
    server = python_peer("llm_server.py", port, crt, key)
    server.expect("ready")
    state = tempfile.mkdtemp(prefix="sealtap-copies-")
    receiver = OtlpReceiver()
    jsonl = os.path.join(state, "evidence.jsonl")
    try:
        with Agent("--pid", str(server.pid), "--state-dir", state, "--evidence-json", jsonl, "--otlp-logs",
                   "http://127.0.0.1:%d/v1/logs" % receiver.port, "--otlp-header", "X-Api-Key: k-123",
                   dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            chat(port, "card %s please" % CARD, "Noted %s." % CARD)
            agent.wait_stdout('"direction":"output"', 1)
            agent.stop()
        check(agent.stats()["otlp"]["dropped"] == 0, "otlp stats: %s" % agent.stats()["otlp"])
        streams, _ = verify_spool(state)
        (sid, evs), = streams.items()
        want = list(range(len(evs)))
        check(without_coverage(kinds(evs)) == ["lifecycle", "finding", "finding", "lifecycle"], "events: %s" % kinds(evs))

        lines = [json.loads(l) for l in open(jsonl)]
        check([(l["type"], l["stream"], l["seq"]) for l in lines] == [("evidence", sid.hex(), s) for s in want],
              "one JSON line per signed event, in order: %s" % lines)
        found = next(l for l in lines if l["kind"] == "finding")
        check(found["finding"]["detector"] == "financial.payment_card" and found["finding"]["masked"] == "****0366",
              "the finding line: %s" % found)

        check(receiver.requests and all(p == "/v1/logs" and h.get("X-Api-Key") == "k-123" and
                                        h.get("Content-Type") == "application/x-protobuf"
                                        for p, h, _ in receiver.requests),
              "POST /v1/logs, protobuf, with the header: %s" % [(p, h) for p, h, _ in receiver.requests])
        recs = receiver.records()
        check(sorted(a["sealtap.seq"] for _, _, a in recs) == want and
              all(a["sealtap.stream_id"] == sid.hex() for _, _, a in recs),
              "one log record per signed event: %s" % [a for _, _, a in recs])
        resource = recs[0][0]
        check(resource["service.name"] == "sealtap-agent" and resource["host.name"] and
              len(resource["sealtap.agent.public_key"]) == 64, "resource: %s" % resource)
        out = next((r, a) for _, r, a in recs if a.get("sealtap.finding.direction") == "output")
        r, a = out
        check(a["sealtap.event.kind"] == "finding" and a["sealtap.finding.detector"] == "financial.payment_card"
              and a["sealtap.finding.masked"] == "****0366" and a["gen_ai.provider.name"] == "openai"
              and a["gen_ai.request.model"] == "m" and a["process.pid"] == server.pid
              and a["url.path"] == "/v1/chat/completions" and a["sealtap.finding.leak"] == "echo",
              "finding attributes: %s" % a)
        # the conventions' endpoint attributes: the address alone, the port an integer
        check(a["network.peer.address"] == "127.0.0.1" and isinstance(a["network.peer.port"], int) and
              0 < a["network.peer.port"] < 65536 and a["network.peer.port"] != port and
              a["server.address"] == "127.0.0.1" and a["server.port"] == port,
              "network.peer.* and server.* attributes: %s" % a)
        check(r[2][0] == 17 and r[3][0] == b"ERROR" and r[12][0] == b"sealtap.finding" and r[1][0] > 0,
              "severity, event name and time of a high finding: %s" % r)
        everything = b"".join(b for _, _, b in receiver.requests) + open(jsonl, "rb").read()
        for value in (CARD.encode(), CARD.replace(" ", "").encode()):
            check(value not in everything, "a value is in a copy")
    finally:
        receiver.close()
        server.kill()
        shutil.rmtree(state, ignore_errors=True)
