"""What a person sees on a terminal, against what a machine gets: two agents
watch the same model server (real TLS, Python's ssl), one with its stdout on
a pseudo-terminal (the default there: one line a person reads per event, in
colour), one on a pipe (the default there: JSON lines). The same traffic
raises the same events in both: findings in prompts and outputs with their
leak labels, a policy violation, banned content, a model change and a
system prompt change. Each JSON event has exactly one terminal line with
the same facts (severity, detector, masked value, leak label, model,
process, evidence number), the summary replaces the stats object, the
start-up lines say what is watched and where the evidence goes, and no
sensitive value appears in either output."""
import http.client
import json
import os
import re
import shutil
import ssl
import tempfile

from harness import ROOT, Agent, certs, check, free_port, python_peer

import pytest  # noqa: E402

CARD = "4539 1488 0343 6467"
EMAIL = "maria.keller@northwind-mail.com"
TOKEN = "ghp_Q8dVw3LkT0pRz7YcN2sHf5JmB9xGa4UeK6iO"
RAW = [CARD, CARD.replace(" ", ""), EMAIL, TOKEN, "Nightingale"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def chat(port, body, host=None):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=20)
    c.request("POST", "/v1/chat/completions", json.dumps(body),
              {"Content-Type": "application/json", "Host": host or "localhost:%d" % port})
    r = c.getresponse()
    data = r.read()
    check(r.status == 200, "model server answered %d: %s" % (r.status, data[:200]))
    c.close()


def traffic(port):
    system = {"role": "system", "content": "You are the billing assistant."}
    # a card the prompt never held, streamed, with a banned phrase
    chat(port, {"model": "m", "stream": True, "messages": [system, {"role": "user", "content": "which card?"}],
                "sealtap_test_reply": "Project Nightingale aside, the card is %s." % CARD})
    # a new system prompt; the prompt's e-mail echoed by a new model version
    chat(port, {"model": "m", "messages": [{"role": "system", "content": "You are the refunds assistant."},
                                           {"role": "user", "content": "reply to %s" % EMAIL}],
                "sealtap_test_reply": "We will write to %s today." % EMAIL, "sealtap_test_model": "m-2"})
    # a secret to an external provider's host
    chat(port, {"model": "gpt-4o", "messages": [{"role": "user", "content": "why is %s refused?" % TOKEN}],
                "sealtap_test_reply": "Rotate it."}, host="api.openai.com")


EVENTS = ("finding", "policy_violation", "drift", "prompt_change")


def expected_facts(e):
    """What the terminal line for JSON event e must say."""
    t = e["type"]
    facts = []
    if t in ("finding", "policy_violation"):
        ident = e["identity"]
        facts += [e["severity"].upper(), e["detector"], '"%s"' % e["masked"], "%s[%d]" % (ident["comm"], ident["pid"]),
                  e.get("model_reported") or e["model_requested"]]
        if t == "finding":
            facts.append("in prompt" if e["direction"] == "input" else "leak " + e["leak"])
        else:
            facts += ["rule " + e["rule"], e["reason"], "sent to " + e["provider"]]
    elif t == "prompt_change":
        facts += ["prompt change", e["key"], "system prompt changed (%d -> %d bytes)"
                  % (e["previous_instructions_length"], e["instructions_length"])]
    elif e["layer"] == "model_change_event":
        facts += ["model change", e["key"], "%s -> %s" % (e["previous_model"], e["model"])]
    elif e["layer"] == "banned":
        facts += ["banned content", e["key"], "at " + e["contributors"][0]]
    else:
        facts += ["drift", e["key"], e["feature"]]
    return facts


@pytest.mark.bpf
def test_terminal_lines_say_what_the_json_says():
    crt, key = certs()
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="sealtap-output-")
    banned = os.path.join(tmp, "banned.txt")
    with open(banned, "w") as f:
        f.write("project nightingale\n")
    server = python_peer("llm_server.py", port, crt, key)
    server.expect("ready")
    common = ["--pid", str(server.pid), "--routing", os.path.join(ROOT, "deploy", "policy", "routing.yaml"),
              "--drift-banned", banned, "--stats-interval", "1"]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    try:
        with Agent(*common, "--state-dir", os.path.join(tmp, "tty"), dump=False, tty=True, env=env) as person, \
                Agent(*common, "--state-dir", os.path.join(tmp, "pipe"), dump=False, env=env) as machine:
            machine.ready()
            person.wait_stderr("sealtap-agent: ready")
            person.wait_attached(server.pid)
            machine.wait_attached(server.pid)
            traffic(port)
            # 4 findings, 1 violation, banned content, a model change, a prompt change
            for needle, n in (('"type":"finding"', 4), ('"type":"policy_violation"', 1), ('"layer":"banned"', 1),
                              ('"layer":"model_change_event"', 1), ('"type":"prompt_change"', 1)):
                machine.wait_stdout(needle, n)
            for needle, n in (("in prompt", 2), ("leak ", 2), ("policy ", 1), ("banned content", 1),
                              ("model change", 1), ("prompt change", 1)):
                person.wait_stdout(needle, n)
            person.stop()
            machine.stop()
    finally:
        server.kill()
        shutil.rmtree(tmp, ignore_errors=True)

    events = [r for r in machine.records if r["type"] in EVENTS]
    check(len(events) == 8, "the JSON events: %s" % [r["type"] for r in events])
    raw_lines = person.stdout_lines
    check(any("\x1b[" in l for l in raw_lines), "colours on a terminal: %s" % raw_lines[:3])
    plain = [ANSI.sub("", l) for l in raw_lines]
    check(not any("\x1b" in l for l in plain), "only colour sequences: %s" % plain)
    check(not any(l.startswith("{") for l in plain), "no JSON on the terminal: %s" % plain)
    check(all(re.match(r"\d\d:\d\d:\d\d [A-Z]+ +", l) for l in plain), "one shape of line: %s" % plain)
    summaries = [l for l in plain if " summary " in l]
    event_lines = [l for l in plain if " summary " not in l]
    check(len(event_lines) == len(events), "one terminal line per event:\n%s" % "\n".join(event_lines))
    # Each JSON event's facts in exactly one line of its own (the two agents see the
    # same traffic; their evidence numbers are their own, so those are compared per agent).
    unmatched = list(event_lines)
    for e in events:
        facts = expected_facts(e)
        hits = [l for l in unmatched if all(f in l for f in facts)]
        check(len(hits) == 1, "the event %s\nwants a line with %s; candidates:\n%s" % (e, facts, "\n".join(unmatched)))
        unmatched.remove(hits[0])
    # The evidence numbers: the terminal agent's JSON is not printed, but its own
    # spool holds the same events in the same order; here each line names an
    # event number and stream prefix that is one of this agent's.
    tty_stream = re.search(r"stream ([0-9a-f]{32})", "\n".join(person.stderr_lines)).group(1)
    for l in event_lines:
        m = re.search(r" - evidence (?:([0-9a-f]{8}) )?#(\d+)$", l)
        check(m and (m.group(1) is None or m.group(1) == tty_stream[:8]), "evidence named: %s" % l)
    # the summary: the stats line's numbers in words, the last one as the JSON's last
    last = machine.stats()
    check(summaries, "a summary: %s" % plain)
    want = ("%d in prompts, %d in outputs (%d novel, %d echo, 0 cross-identity)"
            % (last["classify"]["findings_input"], last["classify"]["findings_output"], last["classify"]["novel"],
               last["classify"]["echo"]))
    check(want in summaries[-1], "summary %r wants %r" % (summaries[-1], want))
    check("1 policy violation," in summaries[-1] and "1 model change" in summaries[-1]
          and "1 prompt change" in summaries[-1], "summary: %s" % summaries[-1])
    # what is watched, where the evidence goes, how to see it
    err = "\n".join(person.stderr_lines)
    check("sealtap-agent: watching the processes selected by 1 pid: 1 now; TLS: openssl watched in 1" in err
          and "; plain sockets watched in 1" in err, "start-up: %s" % err)
    check(re.search(r"sealtap-agent: evidence: signed by sealtap-agent-[0-9a-f]{16}, stream [0-9a-f]{32}, spooled in "
                    r"\S+/tty/spool; not shipped", err), "evidence line: %s" % err)
    check("show below as they happen (--output json for machines)" in err, "how to see it: %s" % err)
    check("events are JSON lines on standard output" in "\n".join(machine.stderr_lines), "the pipe's agent says so")
    check(re.search(r"sealtap-agent: stopped: \d+ events signed this run, the record's last checkpoint at \d+ "
                    r"events; kept in \S+/spool", err), "stop line: %s" % err)
    # no value, anywhere
    for out in (raw_lines, machine.stdout_lines, person.stderr_lines, machine.stderr_lines):
        for v in RAW:
            check(not any(v in l for l in out), "%r shown" % v)
