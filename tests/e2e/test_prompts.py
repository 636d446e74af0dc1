"""Prompt change management end to end: a real model server over TLS, its
clients sending the same system prompt and tools a thousand times, across
an agent restart, then a changed system prompt and changed tools. The first
prompt is the baseline; each prompt not seen before for the key is one
signed prompt_change event with the digests an auditor can recompute from
the text (SHA-256, framed as proto's PromptChange says); the same prompt
again, or one seen before, is none; the text is in no event."""
import hashlib
import json
import os
import shutil
import tempfile

from evidence_tools import fields, verify_spool
from harness import Agent, certs, check, free_port, python_peer

import pytest  # noqa: E402

SYSTEM_1 = "You are the billing assistant of Acme. Answer in one sentence."
SYSTEM_2 = "You are the billing assistant of Acme. Answer in one sentence. Never mention refunds."
TOOLS_1 = '[{"type":"function","function":{"name":"lookup_invoice","parameters":{"type":"object"}}}]'
TOOLS_2 = ('[{"type":"function","function":{"name":"lookup_invoice","parameters":{"type":"object"}}},'
           '{"type":"function","function":{"name":"issue_refund","parameters":{"type":"object"}}}]')


def body(system, tools, question):
    """The request as its bytes are sent: the tools' JSON text exactly as given."""
    return ('{"model":"m","stream":false,"sealtap_test_reply":"ok","tools":%s,"messages":[%s,%s]}\n'
            % (tools, json.dumps({"role": "system", "content": system}),
               json.dumps({"role": "user", "content": question})))


def digests(system, tools):
    instructions = hashlib.sha256(b"system\0" + system.encode() + b"\0").digest()
    tools_d = hashlib.sha256(tools.encode()).digest()
    return instructions, tools_d, hashlib.sha256(instructions + tools_d).digest()


def send(client, lines, upto):
    client.proc.stdin.write("".join(lines).encode())
    client.proc.stdin.flush()
    client.expect("done %d " % upto, timeout=120)


@pytest.mark.bpf
def test_prompt_changes_recorded_once_across_restarts():
    crt, key = certs()
    port = free_port()
    server = python_peer("llm_server.py", port, crt, key)
    server.expect("ready")
    state = tempfile.mkdtemp(prefix="sealtap-prompts-")
    clients = []

    def connect():
        """A client connected once the agent watches, so every request is seen."""
        c = python_peer("keepalive_client.py", port)
        clients.append(c)
        c.expect("ready")
        return c

    n = 0
    try:
        # the baseline, and 500 more of it
        with Agent("--pid", str(server.pid), "--state-dir", state, "--no-drift", dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            client = connect()
            send(client, [body(SYSTEM_1, TOOLS_1, "invoice %d?" % i) for i in range(500)], n + 500)
            n += 500
            agent.stop()
        st = agent.stats()["prompts"]
        check(st["requests"] == 500 and st["baselines"] == 1 and st["changes"] == 0 and st["keys"] == 1,
              "the first run: %s" % st)
        check(not [r for r in agent.records if r.get("type") == "prompt_change"], "no change in the first run")

        with Agent("--pid", str(server.pid), "--state-dir", state, "--no-drift", dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            client, n = connect(), 0
            send(client, [body(SYSTEM_1, TOOLS_1, "invoice %d?" % i) for i in range(500)], n + 500)
            n += 500
            # the system prompt changes: one event, then none while it stays
            send(client, [body(SYSTEM_2, TOOLS_1, "invoice %d?" % i) for i in range(20)], n + 20)
            n += 20
            # back to the first (known for this key): none; then new tools: one
            send(client, [body(SYSTEM_1, TOOLS_1, "again?")], n + 1)
            n += 1
            send(client, [body(SYSTEM_2, TOOLS_2, "refund?") for _ in range(5)], n + 5)
            n += 5
            agent.wait_stdout('"type":"prompt_change"', 2)
            agent.stop()
        st = agent.stats()["prompts"]
        check(st["state_loaded_keys"] == 1 and st["requests"] == 526 and st["baselines"] == 0 and
              st["changes"] == 2 and st["returned"] == 1, "the second run: %s" % st)
        lines = [r for r in agent.records if r.get("type") == "prompt_change"]
        check(len(lines) == 2, "two prompt_change lines: %s" % lines)

        i1, t1, d1 = digests(SYSTEM_1, TOOLS_1)
        i2, t2, d2 = digests(SYSTEM_2, TOOLS_1)
        i3, t3, d3 = digests(SYSTEM_2, TOOLS_2)
        first, second = lines
        check(first["previous_digest"] == d1.hex() and first["digest"] == d2.hex() and
              first["instructions_changed"] and not first["tools_changed"] and
              first["previous_instructions_length"] == len(SYSTEM_1) and
              first["instructions_length"] == len(SYSTEM_2) and first["tools_length"] == len(TOOLS_1) and
              first["previous_exchanges"] == 1000 and first["key"].endswith("|/v1/chat/completions|m"),
              "the system prompt's change: %s" % first)
        check(second["previous_digest"] == d1.hex() and second["digest"] == d3.hex() and
              second["instructions_changed"] and second["tools_changed"] and second["known_prompts"] == 3,
              "the tools' change (from the prompt served just before): %s" % second)

        # the signed record of the second run holds the same, and never the text
        streams, _ = verify_spool(state)
        events = [e for evs in streams.values() for e in evs]
        changes = [fields(e[30][0]) for e in events if 30 in e]
        check(len(changes) == 2, "two prompt_change events: %d" % len(changes))
        check(changes[0][2][0] == d1 and changes[0][3][0] == d2 and changes[1][3][0] == d3 and
              changes[0][4][0] == 1 and 5 not in changes[0] and changes[1][5][0] == 1,
              "digests and what changed, signed: %s" % changes)
        spool = b"".join(open(os.path.join(state, "spool", f), "rb").read()
                         for f in os.listdir(os.path.join(state, "spool")))
        for text in (SYSTEM_1, SYSTEM_2, "issue_refund", "lookup_invoice"):
            check(text.encode() not in spool, "prompt text in the spool: %s" % text)
    finally:
        for c in clients:
            c.kill()
        server.kill()
        shutil.rmtree(state, ignore_errors=True)
