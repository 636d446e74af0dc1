"""`make demo` and `make run` as a newcomer meets them. The demo runs whole
(make, its script, the collector, the TLS model server and the agent) and
its output must show each finding as the agent raised it, the policy
violation, the verification and the lineage in words, and where it left
everything, with no sensitive value anywhere in it; the store it leaves
must hold exactly those events and verify. Then both are stopped with a
real Ctrl-C, typed on a pseudo-terminal that is their controlling
terminal (so make sees the interrupt too, as in a person's shell): each
exits 0 after a clean stop, with the agent's and collector's last lines."""
import json
import os
import pty
import re
import select
import shutil
import subprocess
import tempfile
import time

from harness import BUILD, ROOT, agent_started, check, free_port
from test_collector import COLLECTOR

import pytest  # noqa: E402

CARD_DIGITS = re.compile(r"4539\D?1488\D?0343\D?6467")
TOKEN = re.compile(r"ghp_[A-Za-z0-9]{36}")
EMAIL = "maria.keller@northwind-mail.com"


def demo_env(state):
    env = dict(os.environ, STATE=state, COLLECTOR_PORT=str(free_port()), MODEL_PORT=str(free_port()),
               PORT=str(free_port()))
    env.pop("NO_COLOR", None)
    env.pop("MAKEFLAGS", None)  # a make of its own, as a person's shell would start it
    env.pop("MAKELEVEL", None)
    return env


def query(store, *args):
    q = subprocess.run([COLLECTOR, "query", "--store", store] + list(args), capture_output=True, timeout=30)
    check(q.returncode == 0, "query: %s" % q.stderr)
    return [json.loads(l) for l in q.stdout.decode().splitlines()]


@pytest.mark.bpf
def test_make_demo_shows_each_leak_and_what_the_checks_proved():
    state = tempfile.mkdtemp(prefix="sealtap-demo-test-")
    agent_started()  # the demo starts it
    try:
        p = subprocess.run(["make", "--no-print-directory", "-s", "demo", "BUILD=" + BUILD], cwd=ROOT,
                           env=demo_env(state), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180)
        out = p.stdout.decode("utf-8", "replace")
        check(p.returncode == 0, "make demo exited %d:\n%s" % (p.returncode, out[-4000:]))
        lines = out.splitlines()

        def line(pattern, n=1):
            hits = [l for l in lines if re.search(pattern, l)]
            check(len(hits) == n, "%d lines like %r, not %d:\n%s" % (len(hits), pattern, n, out[-4000:]))
            return hits[0]

        # the agent's own lines, in the order the requests were made
        card = line(r'^\d\d:\d\d:\d\d HIGH +leak novel +financial\.payment_card \(financial\) "\*\*\*\*6467" '
                    r'in the completion from demo-llm-1 - python3\[\d+\] as server')
        asked = line(r'^\d\d:\d\d:\d\d MEDIUM +in prompt +pii\.email \(pii\) "m\*\*\*@\*\*\*\.com" in messages\[0\] '
                     r'\(user\) to demo-llm-1')
        echo = line(r'^\d\d:\d\d:\d\d MEDIUM +leak echo +pii\.email \(pii\) "m\*\*\*@\*\*\*\.com" in the completion')
        token = line(r'^\d\d:\d\d:\d\d CRITICAL in prompt +secret\.github_token \(secret\) "ghp_\*\*\*" in messages\[0\] '
                     r'\(user\) to gpt-4o')
        policy = line(r"^\d\d:\d\d:\d\d CRITICAL policy +rule no-secrets-cards-or-health-data-to-external-providers: "
                      r"may not receive category secret: secret\.github_token .* sent to openai \(api\.openai\.com:\d+\)")
        order = [lines.index(l) for l in (card, asked, echo, token, policy)]
        check(order == sorted(order), "findings in the order raised: %s" % order)
        check(lines.index(card) > lines.index(line(r"^1\. A user asks")), "the card shown under its request")
        line(r"^\d\d:\d\d:\d\d INFO +summary +1 process watched, 3 model exchanges, .*findings: 2 in prompts, "
             r"2 in outputs \(1 novel, 1 echo, 0 cross-identity\); 1 policy violation,")
        line(r"^sealtap-agent: watching the processes selected by 1 pid: 1 now; TLS: openssl watched in 1")
        line(r"^sealtap-agent: stopped: \d+ events signed this run, .*; the collector holds all of them")
        line(r"^verified: 1 stream\(s\), \d+ event\(s\), 0 problem\(s\)")
        line(r"stream [0-9a-f]{8} #\d+ +finding +m\*\*\*@\*\*\*\.com in a prompt to demo-llm-1")
        line(r"stream [0-9a-f]{8} #\d+ +finding +m\*\*\*@\*\*\*\.com in a completion from demo-llm-1 .*, leak echo")
        line(r"^  2 events on .*: 1 in prompts, then 1 echoed, 0 novel, 0 from another client; 0 policy violations")
        line(r"^sealtap-collector: stopping: .*; the store holds \d+ events in 1 streams")
        line(r"remove it all with: rm -rf %s$" % re.escape(state))
        # no value, anywhere in what it printed
        check(not CARD_DIGITS.search(out) and not TOKEN.search(out) and EMAIL not in out,
              "a sensitive value in the demo's output")
        # what it left: the store verifies and holds exactly those events
        store = os.path.join(state, "collector", "store.db")
        v = subprocess.run([COLLECTOR, "verify", "--store", store], capture_output=True, timeout=60)
        check(v.returncode == 0, "verify: %s" % v.stdout)
        findings = query(store, "--kind", "finding")
        got = sorted((f["finding"]["detector"], f["finding"]["direction"], f["finding"].get("leak", ""))
                     for f in findings)
        check(got == [("financial.payment_card", "output", "novel"), ("pii.email", "input", ""),
                      ("pii.email", "output", "echo"), ("secret.github_token", "input", "")],
              "the store's findings: %s" % got)
        check(len(query(store, "--kind", "policy_violation")) == 1, "one policy violation stored")
    finally:
        shutil.rmtree(state, ignore_errors=True)


def ctrl_c_on_a_terminal(argv, env, wait_for, timeout=120):
    """Runs argv with a new pseudo-terminal as its controlling terminal,
    types Ctrl-C once wait_for has been printed, and returns (exit code,
    everything printed)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.execvpe(argv[0], argv, env)
    out = b""
    typed = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not typed and wait_for.encode() in out:
                os.write(fd, b"\x03")
                typed = True
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    data = os.read(fd, 65536)
                except OSError:  # EIO: every process holding the terminal is gone
                    break
                if not data:
                    break
                out += data
        else:
            os.kill(pid, 9)
            check(False, "%s did not end within %ds (Ctrl-C typed: %s):\n%s"
                  % (argv, timeout, typed, out.decode(errors="replace")[-3000:]))
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    check(typed, "never printed %r:\n%s" % (wait_for, text[-3000:]))
    return os.waitstatus_to_exitcode(status), text


@pytest.mark.bpf
@pytest.mark.parametrize("target", ["demo", "run"])
def test_ctrl_c_on_a_terminal_stops_cleanly_and_make_exits_0(target):
    state = tempfile.mkdtemp(prefix="sealtap-ctrl-c-")
    agent_started()
    try:
        code, text = ctrl_c_on_a_terminal(["make", "--no-print-directory", "-s", target, "BUILD=" + BUILD],
                                          demo_env(state), "sealtap-agent: ready")
        check(code == 0, "make %s exited %d on Ctrl-C:\n%s" % (target, code, text[-3000:]))
        check(not re.search(r"make(\[\d+\])?: \*\*\*", text), "make reported the interrupt:\n%s" % text[-2000:])
        check(re.search(r"sealtap-agent: stopped: \d+ events signed this run, .*; the collector holds all of them",
                        text), "the agent's last line:\n%s" % text[-3000:])
        check(re.search(r"sealtap-collector: stopping: .*; the store holds \d+ events in \d+ streams", text),
              "the collector's last line:\n%s" % text[-3000:])
        if target == "run":
            tok = os.path.join(state, "collector", "auditor.token")
            check("sealtap: the console: https://127.0.0.1:" in text and tok in text, "the console's line:\n%s" % text[:3000])
            check(re.fullmatch(r"sealtap_[0-9a-f]{64}\n", open(tok).read()) and os.stat(tok).st_mode & 0o077 == 0,
                  "the auditor's token, readable by its owner only")
        if target == "demo":
            check("Interrupted: stopping the agent" in text and "rm -rf %s" % state in text,
                  "the demo says it stopped and how to clean up:\n%s" % text[-2000:])
        store = os.path.join(state, "collector", "store.db")
        v = subprocess.run([COLLECTOR, "verify", "--store", store], capture_output=True, timeout=60)
        check(v.returncode == 0, "verify after Ctrl-C: %s" % v.stdout)
        phases = [e["lifecycle"]["phase"] for e in query(store, "--kind", "lifecycle")]
        check(phases == ["start", "stop"], "the agent's start and stop, both shipped: %s" % phases)
    finally:
        shutil.rmtree(state, ignore_errors=True)
