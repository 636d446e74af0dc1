"""The data-routing policy end to end: a Python application sends prompts
over real TLS to a local model server, once presented (by its Host header)
as an external provider and once as an internal one; the agent watches the
application with a routing policy. A card number sent to the "external
provider" is one policy violation: a JSON line, a labelled counter, a signed
event that points at its finding, stored by the collector and delivered to
its webhook; the same prompt to the internal host is a finding and nothing
more. A rule on what a model may produce catches a card in a completion.
SIGHUP with the external rule removed stops the violations and records a
policy_change."""
import hashlib
import hmac
import http.server
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

from evidence_tools import enrolled_agent, fields, verify_spool, webhook_secret
from harness import BUILD, Agent, certs, check, free_port, python_peer, wait_listening

import pytest  # noqa: E402

COLLECTOR = os.path.join(BUILD, "sealtap-collector")
CARD = "4532 0151 1283 0366"

POLICY = """\
rules:
  - name: no-sensitive-data-to-external-providers
    match: { external: true }
    receive:
      deny: { categories: [secret, financial, health] }
  - name: restricted-models-produce-no-cards
    match: { model: ["restricted-*"] }
    produce:
      deny: { detectors: [financial.payment_card] }
"""

POLICY_RELAXED = """\
rules:
  - name: restricted-models-produce-no-cards
    match: { model: ["restricted-*"] }
    produce:
      deny: { detectors: [financial.payment_card] }
"""


def request(model, prompt, reply):
    return json.dumps({"model": model, "stream": True, "messages": [{"role": "user", "content": prompt}],
                       "sealtap_test_reply": reply}) + "\n"


class Hooks:
    """A webhook receiver on loopback keeping each delivery."""

    def __init__(self):
        got = self.got = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                got.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, pred, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not pred(self.got):
            time.sleep(0.2)
        return self.got


def send(client, body, n):
    client.proc.stdin.write(body.encode())
    client.proc.stdin.flush()
    client.expect("done %d" % n)


@pytest.mark.bpf
def test_routing_policy_violations_signed_stored_and_delivered():
    crt, key = certs()
    tmp = tempfile.mkdtemp(prefix="sealtap-routing-")
    state, _, _ = enrolled_agent(tmp)
    _, secret = webhook_secret(tmp)
    policy = os.path.join(tmp, "routing.yaml")
    with open(policy, "w") as f:
        f.write(POLICY)
    config = os.path.join(tmp, "agent.yaml")
    with open(config, "w") as f:
        f.write("routing_file: %s\n" % policy)
    hooks = Hooks()
    store = os.path.join(tmp, "store.db")
    cport, lport, mport = free_port(), free_port(), free_port()
    collector = subprocess.Popen([COLLECTOR, "serve", "--store", store, "--allow", os.path.join(tmp, "allow"),
                                  "--listen", "127.0.0.1:%d" % cport, "--tls-cert", crt, "--tls-key", key,
                                  "--state-dir", os.path.join(tmp, "cstate"), "--webhook",
                                  "http://127.0.0.1:%d/hook" % hooks.port, "--webhook-secret",
                                  os.path.join(tmp, "webhook.key"), "--webhook-severity", "critical"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    server = python_peer("llm_server.py", lport, crt, key)
    server.expect("ready")
    external = python_peer("keepalive_client.py", lport, "--host", "api.openai.com")
    internal = python_peer("keepalive_client.py", lport, "--host", "llm.internal:8443")
    external.expect("ready")
    internal.expect("ready")
    try:
        wait_listening(cport, collector)
        with Agent("--config", config, "--pid", str(external.pid), "--pid", str(internal.pid), "--state-dir", state,
                   "--metrics", "127.0.0.1:%d" % mport, "--collector", "https://127.0.0.1:%d/v1/batches" % cport,
                   "--collector-ca", crt, dump=False) as agent:
            agent.ready()
            agent.wait_attached(external.pid)
            agent.wait_attached(internal.pid)
            send(external, request("gpt-4o", "my card is %s, book it" % CARD, "Booked."), 1)
            send(internal, request("llama-3", "my card is %s, book it" % CARD, "Booked."), 1)
            # a restricted model may not produce a card; the same completion from another model may
            send(internal, request("restricted-7b", "what is on file?", "The card on file is %s." % CARD), 2)
            send(internal, request("llama-3", "what is on file?", "The card on file is %s." % CARD), 3)
            agent.wait_stdout('"type":"policy_violation"', 2)
            agent.wait_stdout('"type":"finding"', 4)
            metrics = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=10).read().decode()

            # SIGHUP with the external rule gone: the same prompt is no violation any more
            with open(policy, "w") as f:
                f.write(POLICY_RELAXED)
            agent.proc.send_signal(signal.SIGHUP)
            agent.wait_stderr("configuration reloaded")
            send(external, request("gpt-4o", "again: %s" % CARD, "Booked."), 2)
            agent.wait_stdout('"type":"finding"', 5)
            agent.stop()

        lines = [json.loads(l) for l in agent.stdout_lines if l.startswith("{")]
        violations = [l for l in lines if l["type"] == "policy_violation"]
        findings = [l for l in lines if l["type"] == "finding"]
        check(len(findings) == 5, "findings: %s" % findings)
        check(len(violations) == 2, "two violations: %s" % violations)
        sent, produced = violations
        check(sent["rule"] == "no-sensitive-data-to-external-providers" and sent["provider"] == "openai" and
              sent["host"] == "api.openai.com" and sent["direction"] == "input" and
              sent["detector"] == "financial.payment_card" and sent["masked"] == "****0366" and
              sent["reason"] == "may not receive category financial" and sent["identity"]["pid"] == external.pid,
              "the external provider's violation: %s" % sent)
        check(produced["rule"] == "restricted-models-produce-no-cards" and produced["direction"] == "output" and
              produced["model_requested"] == "restricted-7b" and produced["provider"] is None and
              produced["reason"] == "may not produce detector financial.payment_card",
              "the restricted model's violation: %s" % produced)
        line = ('sealtap_policy_violations_total{rule="no-sensitive-data-to-external-providers",'
                'detector="financial.payment_card",category="financial",direction="input",provider="openai"} 1')
        check(line in metrics and
              'rule="restricted-models-produce-no-cards",detector="financial.payment_card",category="financial",'
              'direction="output",provider="none"} 1' in metrics, "metrics:\n%s" % metrics)

        # the signed record: each violation points at its finding, same fingerprint, never the value
        streams, _ = verify_spool(state)
        (sid, evs), = streams.items()
        pvs = [(e[3][0] if 3 in e else 0, fields(e[29][0])) for e in evs if 29 in e]
        check(len(pvs) == 2, "two policy_violation events: %d" % len(pvs))
        by_seq = {e[3][0] if 3 in e else 0: e for e in evs}
        for seq, pv in pvs:
            finding = fields(by_seq[pv[10][0]][20][0])
            check(finding[1][0] == pv[4][0] == b"financial.payment_card" and finding[12][0] == pv[8][0] and
                  pv[10][0] < seq, "violation %d and the finding it names: %s %s" % (seq, pv, finding))
        model = fields(by_seq[pvs[0][0]][8][0])
        check(model[7][0] == b"api.openai.com" and fields(by_seq[pvs[0][0]][8][0])[2][0] == b"gpt-4o",
              "the violation's model and host: %s" % model)
        check(any(23 in e for e in evs), "the reload's policy_change event")
        raw = open(os.path.join(state, "spool", os.listdir(os.path.join(state, "spool"))[0]), "rb").read()
        check(CARD.encode() not in raw and CARD.replace(" ", "").encode() not in raw, "a value in the spool")

        # the collector stored them, and told the webhook of each (a policy
        # violation whatever the webhook's severity; the high finding not)
        got = hooks.wait(lambda g: len(g) >= 2)
        q = subprocess.run([COLLECTOR, "query", "--store", store, "--kind", "policy_violation"], capture_output=True,
                           timeout=30)
        stored = [json.loads(l) for l in q.stdout.decode().splitlines()]
        check(q.returncode == 0 and [s["policy_violation"]["rule"] for s in stored] ==
              ["no-sensitive-data-to-external-providers", "restricted-models-produce-no-cards"] and
              stored[0]["model"]["host"] == "api.openai.com", "stored violations: %s %s" % (stored, q.stderr))
        check(len(got) == 2, "webhook deliveries: %s" % got)
        for headers, body in got:
            check(headers.get("X-Sealtap-Signature") == "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(),
                  "signature: %s" % headers)
            check(json.loads(body)["kind"] == "policy_violation" and CARD.encode() not in body and
                  CARD.replace(" ", "").encode() not in body, "webhook body: %s" % body)
        v = subprocess.run([COLLECTOR, "verify", "--store", store], capture_output=True, timeout=60)
        check(v.returncode == 0, "verify: %s %s" % (v.stdout, v.stderr))
    finally:
        for p in (external, internal, server):
            p.kill()
        hooks.server.shutdown()
        collector.terminate()
        collector.wait(20)
        shutil.rmtree(tmp, ignore_errors=True)


def test_shipped_policy_loads():
    """deploy/policy/routing.yaml, which `make run` uses, is a valid policy
    of one rule."""
    from harness import ROOT
    tmp = tempfile.mkdtemp(prefix="sealtap-routing-shipped-")
    try:
        empty = os.path.join(tmp, "agent.yaml")
        open(empty, "w").close()
        p = subprocess.run([os.path.join(BUILD, "sealtap-agent"), "--all", "--routing",
                            os.path.join(ROOT, "deploy", "policy", "routing.yaml"), "--check-config", empty],
                           capture_output=True, timeout=20)
        check(p.returncode == 0 and b"1 routing rules" in p.stdout, "%s %s" % (p.stdout, p.stderr))
        run_sh = open(os.path.join(ROOT, "deploy", "local", "run.sh")).read()
        check("--routing" in run_sh and "deploy/policy/routing.yaml" in run_sh, "make run names the policy")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_routing_policy_refused_with_file_and_line():
    """A policy that names an unknown key, a detector the agent does not
    run, or a rule that constrains nothing is refused at start, with the
    file and the line."""
    tmp = tempfile.mkdtemp(prefix="sealtap-routing-bad-")
    agent = os.path.join(BUILD, "sealtap-agent")
    bad = {
        "external: maybe": ("rules:\n  - name: a\n    match: { external: maybe }\n"
                            "    receive: { deny: { categories: [secret] } }\n", ":3: external: expected true or false"),
        "unknown detector": ("rules:\n  - name: a\n    receive: { deny: { detectors: [secret.nope] } }\n",
                             ":3: detectors: 'secret.nope' names no detector the agent runs"),
        "no constraint": ("rules:\n  - name: a\n    match: { provider: [openai] }\n",
                          ":2: rule 'a': says nothing a model may receive or produce"),
        "two names": ("rules:\n  - name: a\n    receive: { deny: { severities: [high] } }\n"
                      "  - name: a\n    produce: { allow: { categories: [pii] } }\n",
                      ":4: name: 'a' is the name of another rule"),
        "unknown provider": ("rules:\n  - name: a\n    match: { provider: [openia] }\n"
                             "    receive: { deny: { categories: [pii] } }\n", ":3: provider: 'openia' is not a known"),
    }
    empty = os.path.join(tmp, "agent.yaml")
    open(empty, "w").close()
    try:
        for what, (text, want) in bad.items():
            path = os.path.join(tmp, "r.yaml")
            with open(path, "w") as f:
                f.write(text)
            p = subprocess.run([agent, "--all", "--routing", path, "--check-config", empty], capture_output=True,
                               timeout=20)
            out = p.stdout.decode() + p.stderr.decode()
            check(p.returncode == 2 and (path + want) in out, "%s: %d %s" % (what, p.returncode, out))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
