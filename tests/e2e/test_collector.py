"""The collector end to end: the real agent ships its evidence over TLS to
the real collector, which verifies and stores it; `verify` checks the store
offline and names the record when the store is tampered with (a byte
flipped, an event deleted, two swapped, the end cut off). Hostile batches
are refused with the right status and kept in the rejections table: an
unenrolled key, equivocation (same stream and number, other bytes), a gap,
garbage, an oversized body; an identical duplicate is acknowledged."""
import http.client
import json
import os
import shutil
import sqlite3
import ssl
import subprocess
import tempfile
import time

from evidence_tools import agent_state, batch, enrolled_agent, fields, sign_checkpoint, webhook_secret
from harness import BUILD, Agent, certs, check, free_port, python_peer, wait_listening

import pytest  # noqa: E402


COLLECTOR = os.path.join(BUILD, "sealtap-collector")
CARD = "4532 0151 1283 0366"


def chat(port, n):
    for _ in range(n):
        body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "card %s" % CARD}],
                "sealtap_test_reply": "Noted %s." % CARD}
        r = subprocess.run(["curl", "-sk", "--max-time", "20", "https://127.0.0.1:%d/v1/chat/completions" % port,
                            "-H", "Content-Type: application/json", "-d", json.dumps(body)],
                           capture_output=True, timeout=30)
        check(r.returncode == 0, "curl: %s" % r.stderr)


def post(port, body, headers=None):
    ctx = ssl.create_default_context(cafile=certs()[0])
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    conn.request("POST", "/v1/batches", body=body, headers=headers or {"Content-Type": "application/x-protobuf"})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, r.getheader("X-Sealtap-Reason") or "", data


def serve_collector(tmp, pub):
    """The collector on loopback over TLS, the agent key pub enrolled, its
    store in tmp; returns (process, port, store, the collector's key)."""
    crt, key = certs()
    with open(os.path.join(tmp, "allow"), "w") as f:
        f.write("# enrolled agents\n%s\n" % pub.hex())
    store = os.path.join(tmp, "store.db")
    cport = free_port()
    collector = subprocess.Popen([COLLECTOR, "serve", "--store", store, "--allow", os.path.join(tmp, "allow"),
                                  "--listen", "127.0.0.1:%d" % cport, "--tls-cert", crt, "--tls-key", key,
                                  "--state-dir", os.path.join(tmp, "cstate")],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_listening(cport, collector)
        ckey = subprocess.run([COLLECTOR, "key", "--state-dir", os.path.join(tmp, "cstate")], capture_output=True,
                              timeout=10).stdout.decode().strip()
        check(len(ckey) == 64, "collector key: %r" % ckey)
    except BaseException:
        collector.kill()
        collector.wait()
        raise
    return collector, cport, store, ckey


def verify(store):
    p = subprocess.run([COLLECTOR, "verify", "--store", store], capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode() + p.stderr.decode()


def tampered(store, tmp, name, sql):
    """A copy of the store with one change made behind the collector's back."""
    copy = os.path.join(tmp, name + ".db")
    src = sqlite3.connect(store)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    for stmt in sql:
        dst.execute(*stmt) if isinstance(stmt, tuple) else dst.execute(stmt)
    dst.commit()
    dst.close()
    return copy


@pytest.mark.bpf
def test_agent_to_collector_verified_stored_and_tamper_evident():
    crt, key = certs()
    tmp = tempfile.mkdtemp(prefix="sealtap-collector-")
    state, seed, pub = agent_state(tmp)
    collector, cport, store, ckey = serve_collector(tmp, pub)
    lport = free_port()
    server = python_peer("llm_server.py", lport, crt, key)
    server.expect("ready")
    try:
        with Agent("--pid", str(server.pid), "--state-dir", state, "--collector",
                   "https://127.0.0.1:%d/v1/batches" % cport, "--collector-ca", crt, "--collector-pubkey", ckey,
                   "--stats-interval", "0.2", dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            chat(lport, 3)
            agent.wait_stdout('"direction":"output"', 3)
            # A batch acked while running (the stop's own flush is not in a stats line).
            deadline = time.monotonic() + 15
            while not any(r["type"] == "stats" and r["ship"]["acked_batches"] >= 1 for r in agent._parsed_so_far()):
                check(time.monotonic() < deadline, "no batch acked within 15 s")
                time.sleep(0.1)
            agent.stop()
        ship = agent.stats()["ship"]
        db = sqlite3.connect(store)
        (n,), = db.execute("SELECT count(*) FROM events")
        kinds = [k for (k,) in db.execute("SELECT kind FROM events ORDER BY seq")]
        (sid,), = db.execute("SELECT stream_id FROM streams")
        events = [b for (b,) in db.execute("SELECT bytes FROM events ORDER BY seq")]
        db.close()
        # lifecycle, the coverage account, 3 x (input card, output card),
        # lifecycle: all shipped at stop (the account again when the server
        # is seen serving a model, among the findings).
        check([k for k in kinds if k != "coverage"] == ["lifecycle"] + ["finding"] * 6 + ["lifecycle"]
              and kinds[1] == "coverage", "stored kinds: %s" % kinds)
        n = len(kinds)
        findings = [i for i, k in enumerate(kinds) if k == "finding"]
        # (The stats line is written before the final flush, which shipped the rest: see the store.)
        check(ship["acked_batches"] >= 1 and ship["refused"] == 0 and ship["failures"] == 0 and
              ship["cosign_invalid"] == 0, "ship stats (acks cosigned by the collector): %s" % ship)
        rc, out = verify(store)
        check(rc == 0 and "verified: 1 stream(s), %d event(s), 0 problem(s)" % n in out, "verify: %d %s" % (rc, out))

        # Export: JSON lines of every event; a proof bundle an auditor checks with only the agent key.
        exp = subprocess.run([COLLECTOR, "export", "--store", store], capture_output=True, timeout=30)
        lines = [json.loads(l) for l in exp.stdout.decode().splitlines()]
        first = lines[findings[0]]
        check(exp.returncode == 0 and len(lines) == n and first["finding"]["detector"] == "financial.payment_card"
              and first["finding"]["masked"] == "****0366" and CARD.replace(" ", "") not in exp.stdout.decode(),
              "export: %s" % exp.stdout[:500])
        def query(*args):
            q = subprocess.run([COLLECTOR, "query", "--store", store] + list(args), capture_output=True, timeout=30)
            check(q.returncode == 0, "query %s: %s" % (args, q.stderr))
            return [json.loads(l)["seq"] for l in q.stdout.decode().splitlines()]
        got = query("--kind", "finding", "--severity", "high", "--detector", "financial.payment_card", "--limit", "4")
        check(got == findings[:4], "query by kind, severity, detector, limit: %s" % got)
        # The model column is the reported model when the response named one (outputs), else the requested.
        check(query("--model", "m") == findings[0::2], "query by requested model: %s" % query("--model", "m"))
        check(query("--model", "sealtap-test-model") == findings[1::2], "query by reported model")
        q = subprocess.run([COLLECTOR, "query", "--store", store, "--kind", "lifecycle", "--detector", "x' OR 1=1 --"],
                           capture_output=True, timeout=30)
        check(q.returncode == 0 and q.stdout == b"", "a filter is a value, never SQL: %s" % q.stdout)
        bundle = os.path.join(tmp, "proof.bin")
        exp = subprocess.run([COLLECTOR, "export", "--store", store, "--stream", sid.hex(), "--from", "1", "--to",
                              str(n - 1), "--proof", bundle], capture_output=True, timeout=30)
        check(exp.returncode == 0, "export --proof: %s" % exp.stderr)
        ok = subprocess.run([COLLECTOR, "verify", "--proof", bundle, "--key", pub.hex()], capture_output=True, timeout=30)
        proven = [json.loads(l) for l in ok.stdout.decode().splitlines()[:-1]]
        check(ok.returncode == 0 and ok.stdout.decode().endswith("proof verified\n") and
              [p["seq"] for p in proven] == list(range(1, n - 1)), "verify --proof: %s" % ok.stdout.decode())
        other = subprocess.run([COLLECTOR, "verify", "--proof", bundle, "--key", os.urandom(32).hex()],
                               capture_output=True, timeout=30)
        check(other.returncode == 1 and "not signed by a given agent key" in other.stdout.decode(),
              "another key: %s" % other.stdout.decode())
        raw = bytearray(open(bundle, "rb").read())
        at = raw.find(events[3])
        raw[at + len(events[3]) // 2] ^= 0x01
        with open(bundle, "wb") as f:
            f.write(raw)
        bad = subprocess.run([COLLECTOR, "verify", "--proof", bundle, "--key", pub.hex()], capture_output=True, timeout=30)
        check(bad.returncode == 1 and "event 3: NOT in the signed tree" in bad.stdout.decode(),
              "altered bundle: %s" % bad.stdout.decode())

        # Tampering, each on its own copy, each named.
        flip = bytearray(events[3])
        flip[len(flip) // 2] ^= 0x01
        cases = {
            "flip": ([("UPDATE events SET bytes = ? WHERE seq = 3", (bytes(flip),))], "event 3: altered"),
            "delete": (["DELETE FROM events WHERE seq = 2"], "event 2 missing"),
            "swap": ([("UPDATE events SET bytes = ? WHERE seq = 2", (events[5],)),
                      ("UPDATE events SET bytes = ? WHERE seq = 5", (events[2],))], "event 2: holds sequence number 5 of this stream"),
            "truncate": (["DELETE FROM events WHERE seq >= 6"], "6 events stored, the stream says %d" % n),
        }
        for name, (sql, want) in cases.items():
            rc, out = verify(tampered(store, tmp, name, sql))
            check(rc == 1 and want in out, "%s: verify said (%d) %s" % (name, rc, out))
        # The last event under each checkpoint flipped: named exactly, by the
        # next event's link when there is one, else by the checkpoint before.
        sizes = sorted(int(r[0]) for r in sqlite3.connect(store).execute("SELECT size FROM checkpoints"))
        for size in sizes:
            last = bytearray(events[size - 1])
            last[-1] ^= 0x01
            rc, out = verify(tampered(store, tmp, "flip_last_%d" % size,
                                      [("UPDATE events SET bytes = ? WHERE seq = ?", (bytes(last), size - 1))]))
            exact = size < n or size - 1 == ([0] + [x for x in sizes if x < size])[-1]
            check(rc == 1 and (("event %d: altered" % (size - 1)) in out if exact else
                               "checkpoint at size %d: its root is not the root" % size in out),
                  "the last event under the checkpoint at %d flipped (checkpoints %s): %s" % (size, sizes, out))

        # Hostile batches, straight to the collector.
        origin = "sealtap/stream/" + sid.hex()
        note, _ = sign_checkpoint(seed, origin, n, b"\1" * 32)
        forged_seed = os.urandom(32)
        forged_note, forged_pub = sign_checkpoint(forged_seed, origin, n, b"\1" * 32)
        altered = bytearray(events[1])
        altered[-1] ^= 0x02
        st, why, _ = post(cport, batch(sid, 0, events, forged_note, forged_pub))
        check(st == 403 and "not enrolled" in why, "unenrolled key: %d %s" % (st, why))
        st, why, _ = post(cport, batch(sid, 0, [events[0], bytes(altered)] + events[2:], note, pub))
        check(st == 409 and "equivocation: event 1" in why, "equivocation: %d %s" % (st, why))
        gap_note, _ = sign_checkpoint(seed, origin, n + 6, b"\1" * 32)
        st, why, body = post(cport, batch(sid, n + 4, events[:2], gap_note, pub))
        check(st == 409 and "gap: the collector has %d events" % n in why and fields(body)[2] == [n],
              "gap: %d %s" % (st, why))
        st, why, _ = post(cport, b"\x0a\xff\xff garbage")
        check(st == 400, "garbage: %d %s" % (st, why))
        st, why, _ = post(cport, b"x" * 100, {"Content-Type": "application/x-protobuf", "Content-Length": str(17 << 20)})
        check(st == 413, "oversized: %d %s" % (st, why))
        # Five slow uploads of 15 MiB each: past 64 MiB of bodies held at once, the next gets 503
        # (retried by agents) instead of more memory.
        ctx = ssl.create_default_context(cafile=crt)
        conns, piece = [], b"\0" * (1 << 20)
        for _ in range(5):
            c = http.client.HTTPSConnection("127.0.0.1", cport, context=ctx, timeout=30)
            c.putrequest("POST", "/v1/batches")
            c.putheader("Content-Length", str(15 << 20))
            c.endheaders()
            for _ in range(14):
                c.send(piece)
            conns.append(c)
        statuses = []
        for c in conns:
            c.send(piece)
            statuses.append(c.getresponse().status)
            c.close()
        check(statuses.count(503) >= 1 and all(x in (400, 503) for x in statuses),
              "held bodies are capped: statuses %s" % statuses)
        # An identical duplicate, with the agent's real last checkpoint: acknowledged, nothing new.
        db = sqlite3.connect(store)
        (real_note,), = db.execute("SELECT note FROM checkpoints WHERE size = ?", (n,))
        (rejections,), = db.execute("SELECT count(*) FROM rejections")
        db.close()
        agent_part = real_note.split("\n\u2014 sealtap-collector".encode())[0]
        if not agent_part.endswith(b"\n"):
            agent_part += b"\n"
        st, why, body = post(cport, batch(sid, 0, events, agent_part, pub))
        check(st == 200 and "already stored" in why and fields(body)[2] == [n], "duplicate: %d %s" % (st, why))
        check(rejections == 4 + statuses.count(400), "refused batches recorded (413 and 503 are not parsed): %d"
              % rejections)
        rc, out = verify(store)
        check(rc == 0, "the store still verifies after the attempts: %s" % out)
        # An agent expecting another collector key keeps its evidence: an Ack is not proof of receipt.
        os.mkdir(os.path.join(tmp, "other"))
        other_state, _, other_pub = agent_state(os.path.join(tmp, "other"))
        ok = subprocess.run([COLLECTOR, "approve", "--store", store, other_pub.hex()], capture_output=True, timeout=30)
        check(ok.returncode == 0, "approve: %s" % ok.stderr)
        with Agent("--pid", str(server.pid), "--state-dir", other_state, "--collector",
                   "https://127.0.0.1:%d/v1/batches" % cport, "--collector-ca", crt, "--collector-pubkey",
                   os.urandom(32).hex(), dump=False) as wrong:
            wrong.ready()
            wrong.wait_stderr("not cosigned with --collector-pubkey", 20)
            wrong.stop()
        ship = wrong.stats()["ship"]
        check(ship["acked"] == 0 and ship["cosign_invalid"] >= 1, "nothing released: %s" % ship)
        collector.terminate()
        _, err = collector.communicate(timeout=20)
        check(collector.returncode == 0 and b"Sanitizer" not in err,
              "the collector stops cleanly on SIGTERM: %d %s" % (collector.returncode, err.decode()[-2000:]))
    finally:
        server.kill()
        if collector.poll() is None:
            collector.kill()
            collector.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


def test_collector_killed_mid_stream_stores_every_event_once():
    """SIGKILL the collector while an agent is shipping 60,000 events, start
    it again on the same store: the agent retries, and in the end every event
    is stored exactly once and the chain verifies."""
    crt, key = certs()
    tmp = tempfile.mkdtemp(prefix="sealtap-kill-")
    try:
        state = os.path.join(tmp, "agent")
        pub = subprocess.run([os.path.join(BUILD, "sealtap-agent"), "keys", "--state-dir", state],
                             capture_output=True, check=True).stdout
        with open(os.path.join(tmp, "allow"), "wb") as f:
            f.write(pub)
        store, port = os.path.join(tmp, "store.db"), free_port()
        cmd = [COLLECTOR, "serve", "--store", store, "--allow", os.path.join(tmp, "allow"), "--listen",
               "127.0.0.1:%d" % port, "--tls-cert", crt, "--tls-key", key, "--state-dir", os.path.join(tmp, "c")]
        collector = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        wait_listening(port, collector)
        n = 60000
        shipper = subprocess.Popen([os.path.join(BUILD, "evidence-bench"), state, str(n),
                                    "https://127.0.0.1:%d/v1/batches" % port, crt],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Kill once some batches are in: the store has rows, the agent has more to send.
        deadline = time.monotonic() + 60
        stored = 0
        while time.monotonic() < deadline and stored == 0:
            time.sleep(0.05)
            try:
                db = sqlite3.connect(store, timeout=1)
                stored = db.execute("SELECT count(*) FROM events").fetchone()[0]
                db.close()
            except sqlite3.Error:
                pass
        check(0 < stored < n + 2, "kill point: %d events stored" % stored)
        collector.kill()
        collector.wait()
        # Mid-stream for real: the shipper still has events to deliver.
        check(shipper.poll() is None, "the shipper finished before the kill")
        collector = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        out, err = shipper.communicate(timeout=300)
        check(shipper.returncode == 0 and b"ship 60000 events" in out, "shipper: %s %s" % (out, err))
        collector.terminate()
        collector.wait(20)
        db = sqlite3.connect(store)
        total, distinct = db.execute("SELECT count(*), count(DISTINCT seq) FROM events").fetchone()
        (rejections,), = db.execute("SELECT count(*) FROM rejections")
        db.close()
        check(total == distinct == n + 2, "events stored %d (distinct %d), want %d" % (total, distinct, n + 2))
        rc, out = verify(store)
        check(rc == 0 and "%d event(s), 0 problem(s)" % (n + 2) in out, "verify after the kill: %s" % out)
        check(rejections == 0, "a resent batch is a duplicate, not a refusal: %d rejections" % rejections)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.bpf
def test_webhook_findings_signed_and_retried():
    """Stored findings at or above the severity reach a webhook receiver as
    JSON signed with HMAC-SHA-256; a 503 is retried; nothing holds a value."""
    import hashlib
    import hmac
    import http.server
    import threading
    import urllib.request

    crt, key = certs()
    tmp = tempfile.mkdtemp(prefix="sealtap-webhook-")
    state, _, _ = enrolled_agent(tmp)
    _, secret = webhook_secret(tmp)
    got, attempts = [], []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            attempts.append(body)
            status = 503 if len(attempts) == 1 else 200  # the first delivery fails: it must be retried
            if status == 200:
                got.append((dict(self.headers), body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    cport, lport = free_port(), free_port()
    collector = subprocess.Popen([COLLECTOR, "serve", "--store", os.path.join(tmp, "store.db"), "--allow",
                                  os.path.join(tmp, "allow"), "--listen", "127.0.0.1:%d" % cport, "--tls-cert", crt,
                                  "--tls-key", key, "--state-dir", os.path.join(tmp, "cstate"), "--webhook",
                                  "http://127.0.0.1:%d/hook" % receiver.server_address[1], "--webhook-secret",
                                  os.path.join(tmp, "webhook.key"), "--webhook-severity", "high"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    server = python_peer("llm_server.py", lport, crt, key)
    server.expect("ready")
    try:
        wait_listening(cport, collector)
        with Agent("--pid", str(server.pid), "--state-dir", state, "--collector",
                   "https://127.0.0.1:%d/v1/batches" % cport, "--collector-ca", crt, dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            chat(lport, 1)
            agent.wait_stdout('"direction":"output"', 1)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(got) < 2:
                time.sleep(0.2)
            agent.stop()
        check(len(got) == 2 and len(attempts) == 3, "deliveries %d, attempts %d" % (len(got), len(attempts)))
        for headers, body in got:
            sig = headers.get("X-Sealtap-Signature", "")
            check(sig == "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(), "signature: %s" % sig)
            event = json.loads(body)
            check(event["kind"] == "finding" and event["finding"]["detector"] == "financial.payment_card"
                  and event["finding"]["severity"] == "high" and
                  headers.get("X-Sealtap-Event") == "%s/%d" % (event["stream"], event["seq"]),
                  "webhook body: %s %s" % (headers, body))
            check(CARD.replace(" ", "").encode() not in body and CARD.encode() not in body, "a value in the webhook")
        check(attempts[0] == got[0][1], "the failed delivery was retried with the same body")
        ctx = ssl.create_default_context(cafile=crt)
        text = urllib.request.urlopen("https://127.0.0.1:%d/metrics" % cport, context=ctx, timeout=10).read().decode()
        check('sealtap_collector_webhook_total{outcome="sent"} 2' in text and
              "sealtap_collector_webhook_failed_attempts_total 1" in text, "webhook metrics:\n%s" % text)
    finally:
        server.kill()
        receiver.shutdown()
        collector.terminate()
        collector.wait(20)
        shutil.rmtree(tmp, ignore_errors=True)
