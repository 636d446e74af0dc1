"""The agent's configuration file: --check-config accepts a valid file and
names the file, line and what was expected for a bad one; a file others can
write is refused. The real agent runs from a file (selectors, a detectors
section); SIGHUP applies an edited detectors section (a signed
policy_change event with the new digest, findings that follow it) and
refuses an edit that needs a restart, keeping the running configuration."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from evidence_tools import fields, verify_spool
from harness import AGENT, Agent, certs, check, free_port, python_peer

import pytest  # noqa: E402

CARD = "4532 0151 1283 0366"
EMAIL = "maria.garcia@acme-corp.io"


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def check_config(path):
    p = subprocess.run([AGENT, "--check-config", path], capture_output=True, timeout=60)
    return p.returncode, (p.stdout + p.stderr).decode()


def builtin_detectors():
    """How many detectors the agent has built in (--check-config of a file
    that changes none), so the tests say "all but one", not a number."""
    tmp = tempfile.mkdtemp(prefix="sealtap-config-")
    path = os.path.join(tmp, "plain.yaml")
    write(path, "selectors:\n  all: true\n")
    rc, out = check_config(path)
    m = re.search(r"valid \((\d+) detectors", out)
    check(rc == 0 and m, "a plain configuration: %d %s" % (rc, out))
    return int(m.group(1))


def test_check_config_names_file_line_and_expectation():
    tmp = tempfile.mkdtemp(prefix="sealtap-config-")
    try:
        good = os.path.join(tmp, "good.yaml")
        write(good, "selectors:\n  comms: [python3]\nmodel_ports: [8000, 8001]\ndetectors:\n"
                    "  disable: [pii.ip_address]\nevidence:\n  spool_max: 64M\noutputs:\n  otlp:\n"
                    "    url: http://127.0.0.1:4318/v1/logs\n    headers: {X-Api-Key: k}\nlimits:\n  max_body: 2M\n")
        rc, out = check_config(good)
        check(rc == 0 and "valid (%d detectors" % (builtin_detectors() - 1) in out and "digest " in out,
              "good (one detector disabled): %d %s" % (rc, out))
        cases = {
            "selectors:\n  all: true\nlimits:\n  max_bodyy: 3\n":
                ":4: unknown key 'max_bodyy' (expected one of: ringbuf_size, wakeup_bytes, max_conns,",
            "selectors:\n  all: true\nlimits:\n  max_conns: 3\n": ":4: --max-conns 3: expected 16 to 16777216",
            "selectors: [1]\n": ":1: selectors: expected a mapping",
            "selectors:\n  all: maybe\n": ":2: all: expected true or false",
            "selectors:\n  all: true\ndetectors:\n  disable: [no.such]\n": ":4: disable: no built-in detector 'no.such'",
            "selectors:\n  all: true\nmodel_ports: [1, x]\n": ":3: --model-port x: expected a port number",
            "selectors: {all: true\n": ":2: not valid YAML",
        }
        for i, (text, want) in enumerate(cases.items()):
            path = os.path.join(tmp, "bad%d.yaml" % i)
            write(path, text)
            rc, out = check_config(path)
            check(rc == 2 and path + want in out, "%r: %d %s" % (text, rc, out))
        write(os.path.join(tmp, "open.yaml"), "selectors: {all: true}\n", 0o666)
        rc, out = check_config(os.path.join(tmp, "open.yaml"))
        check(rc == 2 and "others can write it" in out, "world-writable: %d %s" % (rc, out))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def chat(port, prompt):
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": prompt}],
            "sealtap_test_reply": "ok"}
    r = subprocess.run(["curl", "-sk", "--max-time", "20", "https://127.0.0.1:%d/v1/chat/completions" % port,
                        "-H", "Content-Type: application/json", "-d", json.dumps(body)], capture_output=True, timeout=30)
    check(r.returncode == 0, "curl: %s" % r.stderr)


def detectors_seen(agent):
    return [json.loads(l)["detector"] for l in agent.stdout_lines if l.startswith('{"type":"finding"')]


@pytest.mark.bpf
def test_config_file_and_sighup_reload():
    crt, key = certs()
    port = free_port()
    server = python_peer("llm_server.py", port, crt, key)
    server.expect("ready")
    state = tempfile.mkdtemp(prefix="sealtap-reload-")
    conf = os.path.join(state, "agent.yaml")
    base = "selectors:\n  pids: [%d]\nlimits:\n  max_body: 4M\n" % server.pid
    write(conf, base + "detectors:\n  disable: [pii.email]\n")
    try:
        with Agent("--config", conf, "--state-dir", state, dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            chat(port, "card %s mail %s" % (CARD, EMAIL))
            agent.wait_stdout('"detector":"financial.payment_card"', 1)
            check("pii.email" not in detectors_seen(agent), "email is disabled by the file")

            # The detectors section edited: applied on SIGHUP.
            write(conf, base + "detectors:\n  severity: {pii.email: low}\n")
            agent.proc.send_signal(signal.SIGHUP)
            agent.wait_stderr("configuration reloaded: %d detectors" % builtin_detectors())
            chat(port, "mail %s again" % EMAIL)
            agent.wait_stdout('"detector":"pii.email"', 1)
            email = next(json.loads(l) for l in agent.stdout_lines if '"detector":"pii.email"' in l)
            check(email["severity"] == "low", "the new severity applies: %s" % email)

            # An edit that needs a restart is refused; the agent goes on as it was.
            write(conf, base.replace("4M", "2M") + "detectors:\n  severity: {pii.email: low}\n")
            agent.proc.send_signal(signal.SIGHUP)
            agent.wait_stderr("reload refused: --max-body changed")
            write(conf, base + "detectors:\n  severity: {pii.email: high\n")  # broken YAML
            agent.proc.send_signal(signal.SIGHUP)
            agent.wait_stderr("not valid YAML")
            chat(port, "card %s once more" % CARD)
            agent.wait_stdout('"detector":"financial.payment_card"', 2)
            agent.stop()
        st = agent.stats()["config"]
        check(st == {"reloads": 1, "reload_failures": 2}, "reload counters: %s" % st)
        streams, _ = verify_spool(state)
        (sid, evs), = streams.items()
        start = fields(evs[0][24][0])
        changes = [fields(e[23][0]) for e in evs if 23 in e]
        check(len(start.get(3, [b""])[0]) == 32, "the lifecycle start carries the configuration digest")
        check(len(changes) == 1 and len(changes[0][1][0]) == 32 and changes[0][1][0] != start[3][0],
              "one policy_change with a new digest: %s" % changes)
    finally:
        server.kill()
        shutil.rmtree(state, ignore_errors=True)


def test_collector_config_file():
    """sealtap-collector serve --config FILE: the file's settings, errors with file and line."""
    from harness import BUILD, wait_listening
    collector = os.path.join(BUILD, "sealtap-collector")
    tmp = tempfile.mkdtemp(prefix="sealtap-cconfig-")
    port = free_port()
    try:
        good = os.path.join(tmp, "collector.yaml")
        write(good, "store: %s/store.db\nenroll: first-use\nplain: true\nlisten: 127.0.0.1:%d\nstate_dir: %s/state\n"
              % (tmp, port, tmp))
        p = subprocess.Popen([collector, "serve", "--config", good], stderr=subprocess.PIPE)
        try:
            wait_listening(port, p)
            import urllib.request
            check(urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5).read() == b"ok\n", "healthz")
        finally:
            p.terminate()
            _, err = p.communicate(timeout=20)
        check(p.returncode == 0 and b"first-use enrollment" in err, "served from the file: %s" % err)
        for text, want in {"store: x\ntls: {cert: a, kee: b}\n": ":2: unknown key 'kee' (expected one of: cert, key, client_ca)",
                           "store: x\nplain: true\nenroll: first-use\nlisten: nope\n": ":4: --listen nope: expected ADDR:PORT",
                           "store: x\nplain: true\nenroll: sometimes\n": ":3: --enroll sometimes: expected first-use"}.items():
            bad = os.path.join(tmp, "bad.yaml")
            write(bad, text)
            r = subprocess.run([collector, "serve", "--config", bad], capture_output=True, timeout=30)
            check(r.returncode == 2 and (bad + want).encode() in r.stderr, "%r: %s" % (text, r.stderr))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_option_references_are_made_from_the_option_tables():
    """docs/agent-options.md and docs/collector-options.md are what the
    programs print from their one option table (`make docs`): an option
    added, renamed or given another file key without the page fails here.
    Every key the reference names is also one the file reader accepts."""
    from harness import ROOT
    collector = os.path.join(os.path.dirname(AGENT), "sealtap-collector")
    for cmd, page in (([AGENT, "--options-reference"], "agent-options.md"),
                      ([collector, "serve", "--options-reference"], "collector-options.md")):
        made = subprocess.run(cmd, capture_output=True, timeout=10, check=True).stdout.decode()
        with open(os.path.join(ROOT, "docs", page)) as f:
            check(f.read() == made, "docs/%s differs from `%s` (run make docs)" % (page, " ".join(cmd[1:])))
    # The agent's reference names every long option --help shows, and the
    # file reader takes each file key the reference gives.
    usage = subprocess.run([AGENT, "--help"], capture_output=True, timeout=10).stdout.decode()
    made = subprocess.run([AGENT, "--options-reference"], capture_output=True, timeout=10).stdout.decode()
    shown = re.findall(r"^  (--[a-z-]+)", usage, re.M)
    check(len(shown) > 40, "--help lists %d options" % len(shown))
    for name in shown:
        check("`%s" % name in made, "%s is in --help but not in the reference" % name)
    tmp = tempfile.mkdtemp()
    try:
        for line in made.splitlines():
            cells = [c.strip() for c in line.split("|")]
            if len(cells) < 4 or not cells[2].startswith("`"):
                continue
            key, kind = cells[2].split("`")[1], cells[2].split("`")[2].strip()
            value = {"(list)": "[x]", "(name: value)": "{a: b}", "(true/false)": "true",
                     "(false gives the option)": "false",
                     "(a section)": {"routing": "{rules: []}"}.get(key, "{disable: []}")}.get(kind, "x")
            path = os.path.join(tmp, "c.yaml")
            parts = key.split(".")
            text = "".join("%s%s:\n" % ("  " * i, p) for i, p in enumerate(parts[:-1]))
            text += "%s%s: %s\nselectors: {all: true}\n" % ("  " * (len(parts) - 1), parts[-1], value)
            write(path, text)
            rc, out = check_config(path)
            check("unknown key" not in out, "the reference's key %s is refused by the reader: %s" % (key, out))
    finally:
        shutil.rmtree(tmp)
