"""The collector on PostgreSQL, as a fleet runs it: two replicas share one
real PostgreSQL server (started by the test), require client certificates
(mutual TLS), and enroll agents on first use, refusing them until an
operator approves. The real agent ships through one replica, restarts and
continues its stream through the other; the same new batch sent to both at
once is stored exactly once; the store verifies offline, names a record
altered behind the collector's back, and a revoked key is refused."""
import http.client
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time

from evidence_tools import agent_state, batch, heartbeat_stream
from harness import BUILD, Agent, certs, check, free_port, python_peer, wait_listening
from postgres import Postgres
from test_collector import CARD, COLLECTOR, chat

import pytest  # noqa: E402

pytestmark = pytest.mark.bpf  # every test here starts the agent


def make_ca(d, name):
    """A CA and a client certificate it issued, with openssl."""
    ca_key, ca_crt = os.path.join(d, name + "-ca.key"), os.path.join(d, name + "-ca.pem")
    key, csr, crt = (os.path.join(d, name + x) for x in ("-client.key", "-client.csr", "-client.pem"))
    for cmd in (["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key,
                 "-out", ca_crt, "-days", "2", "-subj", "/CN=%s CA" % name],
                ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
                 "-subj", "/CN=%s agent" % name],
                ["x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
                 "-days", "2"]):
        p = subprocess.run(["openssl"] + cmd, capture_output=True, timeout=60)
        check(p.returncode == 0, "openssl %s: %s" % (cmd[0], p.stderr.decode()))
    return ca_crt, crt, key


def post(port, body, client=None):
    ctx = ssl.create_default_context(cafile=certs()[0])
    if client:
        ctx.load_cert_chain(*client)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=20)
    conn.request("POST", "/v1/batches", body=body, headers={"Content-Type": "application/x-protobuf"})
    r = conn.getresponse()
    r.read()
    conn.close()
    return r.status, r.getheader("X-Sealtap-Reason") or ""


def cli(*args):
    p = subprocess.run([COLLECTOR] + list(args), capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode() + p.stderr.decode()


def test_postgres_replicas_first_use_enrollment_and_mutual_tls():
    crt, key = certs()
    tmp = tempfile.mkdtemp(prefix="sealtap-pg-collector-")
    ca, client_crt, client_key = make_ca(tmp, "fleet")
    _, other_crt, other_key = make_ca(tmp, "stranger")
    state, seed, pub = agent_state(tmp)
    pg = Postgres().start()
    uri = pg.uri()
    replicas, ports = [], [free_port()]
    while len(ports) < 2:  # two calls can hand out the same free port
        p = free_port()
        if p not in ports:
            ports.append(p)
    server = None
    try:
        # The store's contract first, on this server: the unit test that runs on
        # SQLite in memory, against a database of its own.
        pg.sql("CREATE DATABASE contract")
        p = subprocess.run([os.path.join(BUILD, "tests", "test_store")], capture_output=True, timeout=120,
                           env=dict(os.environ, SEALTAP_TEST_STORE=pg.uri("contract")))
        out = p.stdout + p.stderr  # cmocka says its summary on stderr
        check(p.returncode == 0 and b"[  PASSED  ]" in out and b"FAILED" not in out,
              "the store's contract on PostgreSQL (exit %d): %s%s"
              % (p.returncode, p.stdout.decode()[-3000:], p.stderr.decode()[-2000:]))
        for port in ports:  # one collector identity for the fleet: a shared state directory
            replicas.append(subprocess.Popen(
                [COLLECTOR, "serve", "--store", uri, "--enroll", "first-use", "--listen", "127.0.0.1:%d" % port,
                 "--tls-cert", crt, "--tls-key", key, "--client-ca", ca, "--state-dir", os.path.join(tmp, "cstate")],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE))
            wait_listening(port, replicas[-1])
        lport = free_port()
        server = python_peer("llm_server.py", lport, crt, key)
        server.expect("ready")

        # Mutual TLS: no client certificate is refused in the handshake, one from another CA before
        # anything is read.
        _, hb, _ = heartbeat_stream(seed, 1)
        try:
            answer = post(ports[0], b"x")
        except (ssl.SSLError, ConnectionError, OSError) as e:
            answer = e
        check(isinstance(answer, (ssl.SSLError, ConnectionError, OSError)),
              "no client certificate: refused in the handshake, not answered: %s" % (answer,))
        st, why = post(ports[0], b"x", (other_crt, other_key))
        check(st == 403 and "client certificate" in why, "a stranger's certificate: %d %s" % (st, why))

        agent_args = ["--pid", str(server.pid), "--state-dir", state, "--collector-ca", crt,
                      "--collector-cert", client_crt, "--collector-key", client_key]
        with Agent(*agent_args, "--collector", "https://127.0.0.1:%d/v1/batches" % ports[0], dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            chat(lport, 2)
            agent.wait_stdout('"direction":"output"', 2)
            # First use: the key is recorded as pending and its batches refused until approved.
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and pub.hex() not in cli("agents", "--store", uri)[1]:
                time.sleep(0.2)
            rc, out = cli("agents", "--store", uri)
            check(rc == 0 and "%s pending" % pub.hex() in out, "agents lists the pending key: %s" % out)
            refused = pg.sql("SELECT status, reason FROM rejections")
            check(refused and all(s == "403" and "awaiting approval" in r for s, r in refused),
                  "the agent's batches were refused while pending: %s" % refused)
            check(pg.sql("SELECT count(*) FROM events") == [("0",)], "nothing stored before approval")
            rc, out = cli("approve", "--store", uri, pub.hex())
            check(rc == 0 and "approved" in out, "approve: %s" % out)
            deadline = time.monotonic() + 30  # the agent's backoff is at most a few seconds here
            while time.monotonic() < deadline and int(pg.sql("SELECT count(*) FROM events")[0][0]) < 5:
                time.sleep(0.2)
            agent.stop()
        check(agent.stats()["ship"]["refused"] >= 1, "the agent counted its refusals: %s" % agent.stats()["ship"])
        # Restarted, shipping through the other replica: the same stream continues there.
        with Agent(*agent_args, "--collector", "https://127.0.0.1:%d/v1/batches" % ports[1], dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            chat(lport, 1)
            agent.wait_stdout('"direction":"output"', 1)
            agent.stop()
        kinds = [k for (k,) in pg.sql("SELECT kind FROM events ORDER BY seq")]
        check([k for k in kinds if k != "coverage"] == ["lifecycle"] + ["finding"] * 4 + ["lifecycle"] * 2
              + ["finding"] * 2 + ["lifecycle"], "one stream across both replicas and the restart: %s" % kinds)
        check(pg.sql("SELECT count(*) FROM streams") == [("1",)], "one stream")

        # The same new batch to both replicas at once: stored once; the loser is told to retry or that it
        # is stored; the next batch goes to the other replica and continues.
        sid, events, note = heartbeat_stream(seed, 100)
        first = batch(sid, 0, events[:60], note(60)[0], pub)
        statuses = []
        threads = [threading.Thread(target=lambda p=p: statuses.append(post(p, first, (client_crt, client_key))))
                   for p in ports]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        check(sorted(s for s, _ in statuses)[0] == 200 and all(s in (200, 503) for s, _ in statuses),
              "racing replicas: %s" % statuses)
        for p in ports:
            st, why = post(p, first, (client_crt, client_key))
            check(st == 200 and "already stored" in why, "a retry is acknowledged: %d %s" % (st, why))
        st, why = post(ports[1], batch(sid, 60, events[60:], note(100)[0], pub), (client_crt, client_key))
        check(st == 200 and "stored 40 events" in why, "the next batch on the other replica: %d %s" % (st, why))
        got = pg.sql("SELECT count(*), count(DISTINCT seq), max(seq) FROM events WHERE stream_id = '\\x%s'" % sid.hex())
        check(got == [("100", "100", "99")], "stored exactly once: %s" % got)

        rc, out = cli("verify", "--store", uri)
        check(rc == 0 and "verified: 2 stream(s), %d event(s), 0 problem(s)" % (len(kinds) + 100) in out,
              "verify: %s" % out)
        rc, out = cli("query", "--store", uri, "--kind", "finding", "--detector", "financial.payment_card")
        found = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
        check(rc == 0 and len(found) == 6 and CARD.replace(" ", "") not in out, "query: %s" % out[:400])
        check(cli("query", "--store", uri, "--kind", "heartbeat", "--limit", "7")[1].count("\n") == 7, "limit")

        # Tampering behind the collector's back is named; then put back.
        flip = bytearray(events[41])
        flip[-3] ^= 0x01
        pg.sql("UPDATE events SET bytes = '\\x%s' WHERE stream_id = '\\x%s' AND seq = 41" % (flip.hex(), sid.hex()))
        rc, out = cli("verify", "--store", uri)
        check(rc == 1 and "event 41: not an Event (altered)" in out, "tampered: %s" % out)
        pg.sql("UPDATE events SET bytes = '\\x%s' WHERE stream_id = '\\x%s' AND seq = 41" % (events[41].hex(), sid.hex()))

        # Revoked: refused from then on, on every replica.
        check(cli("revoke", "--store", uri, pub.hex())[0] == 0, "revoke")
        sid2, ev2, note2 = heartbeat_stream(seed, 1)
        for p in ports:
            st, why = post(p, batch(sid2, 0, ev2, note2(1)[0], pub), (client_crt, client_key))
            check(st == 403 and "revoked" in why, "revoked key: %d %s" % (st, why))
        check(cli("verify", "--store", "postgresql:///nosuchdb?host=%s&port=%d&user=sealtap" % (pg.dir, pg.port))[0]
              == 2, "a store that does not exist is an error, not an empty success")
        for r in replicas:
            r.terminate()
            _, err = r.communicate(timeout=20)
            check(r.returncode == 0 and b"Sanitizer" not in err, "replica stops cleanly: %s" % err.decode()[-2000:])
    finally:
        if server:
            server.kill()
        for r in replicas:
            if r.poll() is None:
                r.kill()
                r.wait(10)
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
