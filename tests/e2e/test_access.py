"""Roles and the access log end to end: a collector with mutual TLS and
principals (client certificates and bearer tokens made by `sealtap-collector
token`), the real agent shipping with its client certificate. Every role is
tried against every endpoint: allowed, 401 (no credentials, an unknown
certificate or token) or 403 (another role), each with its reason. What an
auditor reads is what the store holds; each call is in the access log, and
`verify` names the entry when one row is altered. One client holding
more idle connections than the collector takes does not lock an agent out."""
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

from evidence_tools import enrolled_agent
from harness import Agent, certs, check, free_port, python_peer, wait_listening
from test_collector import COLLECTOR, tampered
from test_findings import chat

import pytest  # noqa: E402

CARD = "4532 0151 1283 0366"


def openssl(*args):
    p = subprocess.run(["openssl"] + list(args), capture_output=True, timeout=60)
    check(p.returncode == 0, "openssl %s: %s" % (args[0], p.stderr.decode()))


def make_ca(d):
    key, crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out",
            crt, "-days", "2", "-subj", "/CN=Acme client CA")
    return crt, key


def issue(d, ca, name, subject):
    """A client certificate the CA issued for subject (openssl's /A=b/C=d form)."""
    key, csr, crt = (os.path.join(d, name + x) for x in (".key", ".csr", ".pem"))
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
            "-subj", subject)
    openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial", "-out", crt, "-days", "2")
    return crt, key


def token(name, role):
    p = subprocess.run([COLLECTOR, "token", name, role], capture_output=True, timeout=10)
    check(p.returncode == 0, "token: %s" % p.stderr)
    out = p.stdout.decode()
    tok = re.search(r"^(sealtap_[0-9a-f]{64})$", out, re.M).group(1)
    check(hashlib.sha256(tok.encode()).hexdigest() in out and tok not in out.split(tok, 1)[1],
          "the principal names the token's hash, not the token: %s" % out)
    return tok, out.split("\n", 3)[3]


def stored_findings(store):
    q = subprocess.run([COLLECTOR, "query", "--store", store, "--kind", "finding"], capture_output=True, timeout=30)
    return [json.loads(l) for l in q.stdout.decode().splitlines()]


def wait_stored(store, n, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(stored_findings(store)) < n:
        time.sleep(0.3)
    return stored_findings(store)


def call(port, method, path, cert=None, bearer=None, body=None):
    ctx = ssl.create_default_context(cafile=certs()[0])
    if cert:
        ctx.load_cert_chain(*cert)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
    headers = {"Authorization": "Bearer " + bearer} if bearer else {}
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, r.getheader("X-Sealtap-Reason") or "", data


@pytest.mark.bpf
def test_every_role_against_every_endpoint_logged_and_verified():
    crt, key = certs()
    tmp = tempfile.mkdtemp(prefix="sealtap-access-")
    state, _, pub = enrolled_agent(tmp)
    ca = make_ca(tmp)
    agent_cert = issue(tmp, ca, "agent", "/O=Acme/CN=sealtap agent")
    auditor_cert = issue(tmp, ca, "jane", "/O=Acme/CN=Jane Auditor")
    stranger_cert = issue(tmp, ca, "stranger", "/O=Acme/CN=Somebody Else")
    auditor_tok, auditor_p = token("ext-auditor", "auditor")
    admin_tok, admin_p = token("ops-admin", "admin")
    monitor_tok, monitor_p = token("prometheus", "monitor")
    access = os.path.join(tmp, "access.yaml")
    with open(access, "w") as f:
        f.write("principals:\n"
                "  - name: fleet-agents\n    certificate: \"CN=sealtap agent,O=Acme\"\n    role: agent\n"
                "  - name: jane\n    certificate: \"CN=Jane Auditor,O=Acme\"\n    role: auditor\n"
                + auditor_p + admin_p + monitor_p)
    os.chmod(access, 0o600)
    store = os.path.join(tmp, "store.db")
    cport, lport = free_port(), free_port()
    collector = subprocess.Popen([COLLECTOR, "serve", "--store", store, "--allow", os.path.join(tmp, "allow"),
                                  "--listen", "127.0.0.1:%d" % cport, "--tls-cert", crt, "--tls-key", key,
                                  "--client-ca", ca[0], "--access", access, "--state-dir", os.path.join(tmp, "cs")],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    server = python_peer("llm_server.py", lport, crt, key)
    server.expect("ready")
    idle = []
    try:
        wait_listening(cport, collector)
        ship = ["--pid", str(server.pid), "--state-dir", state, "--collector", "https://127.0.0.1:%d/v1/batches" % cport,
                "--collector-ca", crt, "--collector-cert", agent_cert[0], "--collector-key", agent_cert[1]]
        with Agent(*ship, dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            chat(lport, "127.0.0.2", "card %s please" % CARD, "Noted %s." % CARD)
            check(len(wait_stored(store, 2)) == 2, "the agent ships with its client certificate")
            agent.stop()

        # one client holds more idle connections (no request ever finished)
        # than the collector takes in all (1,024; 256 once locked every agent
        # out); an agent starting now still connects and ships
        for _ in range(1100):
            s = socket.socket()
            s.setblocking(False)
            s.bind(("127.0.0.5", 0))
            s.connect_ex(("127.0.0.1", cport))
            idle.append(s)
        # the collector took 16 of them and refused the rest before TLS
        refused, deadline = 0, time.monotonic() + 15
        while time.monotonic() < deadline and refused < 1100 - 16:
            text = call(cport, "GET", "/metrics", bearer=monitor_tok)[2].decode()
            refused = int(re.search(r"^sealtap_collector_refused_per_address_total (\d+)$", text, re.M).group(1))
            time.sleep(0.1)
        check(refused == 1100 - 16, "connections refused by address: %d" % refused)
        with Agent(*ship, dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            chat(lport, "127.0.0.2", "again %s" % CARD, "ok")
            # within the idle timeout: the flood is still held when the agent ships
            check(len(wait_stored(store, 3, timeout=8)) == 3, "ingest held while one client holds idle connections")
            agent.stop()
        for s in idle:
            s.close()
        idle = []

        stored = stored_findings(store)
        check(len(stored) == 3, "three findings stored: %s" % stored)
        fp = stored[0]["finding"]["fingerprint"]
        sid = stored[0]["stream"]

        callers = {
            "nobody": {}, "agent": {"cert": agent_cert}, "auditor-cert": {"cert": auditor_cert},
            "auditor-token": {"bearer": auditor_tok}, "admin": {"bearer": admin_tok},
            "monitor": {"bearer": monitor_tok}, "stranger-cert": {"cert": stranger_cert},
            "bad-token": {"bearer": "sealtap_" + "0" * 64},
        }
        roles = {"nobody": None, "agent": "agent", "auditor-cert": "auditor", "auditor-token": "auditor",
                 "admin": "admin", "monitor": "monitor", "stranger-cert": None, "bad-token": None}
        endpoints = [
            ("GET", "/v1/events?kind=finding", {"auditor"}),
            ("GET", "/v1/lineage/" + fp, {"auditor"}),
            ("GET", "/v1/streams", {"auditor"}),
            ("GET", "/v1/checkpoints?stream=" + sid, {"auditor"}),
            ("GET", "/v1/proof?stream=%s&from=0&to=3" % sid, {"auditor"}),
            ("GET", "/v1/verify", {"auditor"}),
            ("GET", "/v1/access-log", {"auditor", "admin"}),
            ("GET", "/v1/agents", {"auditor", "admin"}),
            ("POST", "/v1/agents/%s/approve" % pub.hex(), {"admin"}),
            ("GET", "/metrics", {"auditor", "admin", "monitor"}),
            ("POST", "/v1/batches", {"agent"}),
        ]
        answers, logged = {}, 0
        for method, path, allowed in endpoints:
            for who, cred in callers.items():
                status, reason, body = call(cport, method, path, body=b"x" if path == "/v1/batches" else None,
                                            **cred)
                role = roles[who]
                if role in allowed:
                    want = 400 if path == "/v1/batches" else 200  # "x" is no Batch: past the door, refused as such
                elif role is None:
                    want = 401
                else:
                    want = 403
                check(status == want, "%s %s as %s: %d (%s), want %d" % (method, path, who, status, reason, want))
                if want == 401:
                    check("authentication required" in reason or "is no principal" in reason, "401 says why: %s" % reason)
                if want == 403:
                    check("has role %s" % role in reason, "403 says why: %s" % reason)
                if path.startswith("/v1/") and path != "/v1/batches":
                    logged += 1
                if want == 200:
                    answers[(path, who)] = body

        # what an auditor reads is what the store holds
        events = [json.loads(l) for l in answers[("/v1/events?kind=finding", "auditor-token")].decode().splitlines()]
        check(events == stored, "the API's events and query's: %s %s" % (events, stored))
        summary = json.loads(answers[("/v1/lineage/" + fp, "auditor-cert")].decode().splitlines()[-1])
        check(summary["type"] == "lineage" and summary["events"] >= 2, "lineage: %s" % summary)
        bundle = os.path.join(tmp, "proof.pb")
        open(bundle, "wb").write(answers[("/v1/proof?stream=%s&from=0&to=3" % sid, "auditor-token")])
        v = subprocess.run([COLLECTOR, "verify", "--proof", bundle, "--key", pub.hex()], capture_output=True, timeout=30)
        check(v.returncode == 0, "the API's proof bundle verifies offline: %s" % v.stdout)
        status = json.loads(answers[("/v1/verify", "auditor-token")])
        check(status["verified"] and status["streams"] == 1 and status["problems"] == [], "verify: %s" % status)
        agents = [json.loads(l) for l in answers[("/v1/agents", "admin")].decode().splitlines()]
        check([(a["key"], a["state"]) for a in agents] == [(pub.hex(), "allow-file")],
              "the allow file's key is listed: %s" % agents)
        check(b"sealtap_collector_api_refused_total" in answers[("/metrics", "monitor")], "metrics for the monitor")
        for body in answers.values():
            check(CARD.encode() not in body and CARD.replace(" ", "").encode() not in body, "a value in an answer")

        # the access log: one entry per API call, allowed or not, chained
        p = subprocess.run([COLLECTOR, "access-log", "--store", store], capture_output=True, timeout=30)
        log = [json.loads(l) for l in p.stdout.decode().splitlines()]
        check(len(log) == logged and [e["n"] for e in log] == list(range(1, logged + 1)),
              "access log entries: %d, calls %d" % (len(log), logged))
        first = next(e for e in log if e["principal"] == "ext-auditor" and e["target"] == "/v1/events?kind=finding")
        check(first["role"] == "auditor" and first["method"] == "GET" and first["status"] == 200 and
              first["returned"] == 3, "the auditor's read: %s" % first)
        check(any(e["principal"] == "certificate CN=Somebody Else,O=Acme" and e["status"] == 401 for e in log) and
              any(e["principal"] == "anonymous" and e["status"] == 401 for e in log) and
              any(e["principal"] == "ops-admin" and e["target"].endswith("/approve") and e["status"] == 200
                  for e in log), "refusals and administration are logged too")
        # the API pages it: bounded however long it grows
        status, _, body = call(cport, "GET", "/v1/access-log?from=3&limit=2", bearer=admin_tok)
        page = [json.loads(l) for l in body.decode().splitlines()]
        check(status == 200 and [e["n"] for e in page] == [3, 4] and page == log[2:4], "a page: %s" % page)
        logged += 1
        rc = subprocess.run([COLLECTOR, "verify", "--store", store], capture_output=True, timeout=60)
        check(rc.returncode == 0 and b"access log: %d entries" % logged in rc.stdout, "verify: %s" % rc.stdout)

        # one row altered behind the collector's back: verify names it
        copy = tampered(store, tmp, "altered", ["UPDATE access_log SET returned = returned + 1 WHERE n = 5"])
        rc = subprocess.run([COLLECTOR, "verify", "--store", copy], capture_output=True, timeout=60)
        check(rc.returncode == 1 and b"access log entry 5: its hash is not the hash of its fields" in rc.stdout,
              "an altered access log entry: %s" % rc.stdout)
    finally:
        for s in idle:
            s.close()
        server.kill()
        collector.terminate()
        collector.wait(20)
        shutil.rmtree(tmp, ignore_errors=True)
