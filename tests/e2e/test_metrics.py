"""Metrics and alerts (and the agent's privileges once running): the
agent's and the collector's /metrics pass
`promtool check metrics` and count what happened (a finding by detector,
category, severity, direction and leak label; an exchange by API and model;
a refused batch by status); deploy/prometheus/alerts.yaml passes
`promtool check rules` and its unit tests (`promtool test rules`)."""
import json
import os
import shutil
import subprocess
import tempfile
import urllib.request

from harness import Agent, BUILD, certs, check, free_port, python_peer, wait_listening

import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(ROOT, "deploy", "prometheus")
CARD = "4532 0151 1283 0366"


def promtool(*args, stdin=None):
    p = subprocess.run(["promtool"] + list(args), input=stdin, capture_output=True, timeout=60, cwd=RULES)
    return p.returncode, (p.stdout + p.stderr).decode()


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        check(r.status == 200 and r.headers["Content-Type"].startswith("text/plain"), "scrape status")
        return r.read()


def value(text, series):
    for line in text.decode().splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return None


def test_alert_rules_check_and_unit_tests():
    rc, out = promtool("check", "rules", "alerts.yaml")
    check(rc == 0 and "SUCCESS: 7 rules found" in out, "promtool check rules: %s" % out)
    rc, out = promtool("test", "rules", "alerts_test.yaml")
    check(rc == 0 and "SUCCESS" in out, "promtool test rules: %s" % out)


@pytest.mark.bpf
def test_agent_and_collector_metrics():
    crt, key = certs()
    port, mport = free_port(), free_port()
    server = python_peer("llm_server.py", port, crt, key)
    server.expect("ready")
    tmp = tempfile.mkdtemp(prefix="sealtap-metrics-")
    collector = None
    try:
        with Agent("--pid", str(server.pid), "--state-dir", tmp, "--metrics", "127.0.0.1:%d" % mport,
                   dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "card %s" % CARD}],
                    "sealtap_test_reply": "Noted %s." % CARD}
            r = subprocess.run(["curl", "-sk", "--max-time", "20", "https://127.0.0.1:%d/v1/chat/completions" % port,
                                "-H", "Content-Type: application/json", "-d", json.dumps(body)], capture_output=True)
            check(r.returncode == 0, "curl")
            agent.wait_stdout('"direction":"output"', 1)
            text = scrape(mport)
            # Set up and running, the agent keeps only the capabilities it needs and can gain none.
            status = dict(l.split(":\t", 1) for l in open("/proc/%d/status" % agent.proc.pid).read().splitlines()
                          if ":\t" in l)
            # BPF, PERFMON, SYS_ADMIN (uprobes on other processes), SYS_PTRACE, DAC_READ_SEARCH, SYS_RESOURCE
            kept = (1 << 39) | (1 << 38) | (1 << 21) | (1 << 19) | (1 << 2) | (1 << 24)
            mine = dict(l.split(":\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\t" in l)
            kept &= int(mine["CapEff"], 16)  # what the agent did not have stays absent
            check(int(status["CapEff"], 16) == kept and int(status["CapBnd"], 16) == kept and
                  int(status["CapPrm"], 16) == kept and status["NoNewPrivs"].strip() == "1",
                  "privileges after setup: %s" % {k: status[k] for k in ("CapEff", "CapPrm", "CapBnd", "NoNewPrivs")})
            agent.stop()
        rc, out = promtool("check", "metrics", stdin=text)
        check(rc == 0, "promtool check metrics (agent): %s" % out)
        out_echo = ('sealtap_findings_total{detector="financial.payment_card",category="financial",severity="high",'
                    'direction="output",leak="echo"}')
        check(value(text, out_echo) == 1, "the output finding by its labels:\n%s" % text.decode()[-1500:])
        check(value(text, out_echo.replace('"output",leak="echo"', '"input",leak="none"')) == 1, "the input one")
        check(value(text, 'sealtap_exchanges_total{api="openai.chat",model="sealtap-test-model"}') == 1,
              "exchanges by API and model")
        check(value(text, "sealtap_kernel_bytes_total") > 0 and value(text, "sealtap_attach_processes") == 1
              and value(text, "sealtap_evidence_events_total") >= 3, "counters and gauges from the stats")

        # The collector: one garbage batch is a 400, counted by status.
        cport = free_port()
        allow = os.path.join(tmp, "allow")
        with open(allow, "w") as f:
            f.write("")
        collector = subprocess.Popen([os.path.join(BUILD, "sealtap-collector"), "serve", "--store",
                                      os.path.join(tmp, "store.db"), "--allow", allow, "--plain", "--listen",
                                      "127.0.0.1:%d" % cport, "--state-dir", os.path.join(tmp, "c")],
                                     stderr=subprocess.DEVNULL)
        wait_listening(cport, collector)
        req = urllib.request.Request("http://127.0.0.1:%d/v1/batches" % cport, data=b"\x0a\xff garbage", method="POST")
        try:
            urllib.request.urlopen(req, timeout=10)
            check(False, "garbage accepted")
        except urllib.error.HTTPError as e:
            check(e.code == 400, "garbage: %d" % e.code)
        text = scrape(cport)
        rc, out = promtool("check", "metrics", stdin=text)
        check(rc == 0, "promtool check metrics (collector): %s" % out)
        check(value(text, 'sealtap_collector_rejected_total{status="400"}') == 1 and
              value(text, "sealtap_collector_requests_total") == 1, "collector metrics:\n%s" % text.decode())
    finally:
        server.kill()
        if collector:
            collector.kill()
            collector.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
