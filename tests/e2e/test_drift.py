"""Drift end to end: the real agent watching a real TLS model server. A
banned phrase split across streamed deltas is raised while the response is
still streaming; a model that starts refusing after hundreds of ordinary
answers raises a refusal-rate alert within a few dozen refusals; a change
of the reported model is a model_change event; each is a signed evidence
event; the state survives a restart."""
import http.client
import json
import os
import random
import shutil
import ssl
import tempfile
import threading
import time

from evidence_tools import fields, verify_spool
from harness import Agent, certs, check, free_port, python_peer

import pytest  # noqa: E402

pytestmark = pytest.mark.bpf  # every test here starts the agent

WORDS = ("the of and to in is that for it as with was on be by this are from or have an not which but at "
         "model answer data result value system report request service customer account order policy").split()


class Client:
    """One keep-alive TLS connection to the model server."""

    def __init__(self, port):
        self.conn = http.client.HTTPSConnection("127.0.0.1", port, context=ssl._create_unverified_context(),
                                                timeout=20)

    def chat(self, reply, stream=False, **extra):
        body = dict({"model": "m", "stream": stream, "messages": [{"role": "user", "content": "hi"}],
                     "sealtap_test_reply": reply}, **extra)
        self.conn.request("POST", "/v1/chat/completions", body=json.dumps(body),
                          headers={"Content-Type": "application/json"})
        r = self.conn.getresponse()
        data = r.read()
        check(r.status == 200, "model server answered %d" % r.status)
        return data


def test_drift_banned_refusals_model_change_and_state():
    crt, key = certs()
    port = free_port()
    server = python_peer("llm_server.py", port, crt, key)
    server.expect("ready")
    state = tempfile.mkdtemp(prefix="sealtap-drift-")
    banned = os.path.join(state, "banned.txt")
    with open(banned, "w") as f:
        f.write("# never again\nproject nightingale\nre:launch\\s+code\\s+\\d{4}\n")
    rnd = random.Random(7)
    try:
        jsonl = os.path.join(state, "evidence.jsonl")
        with Agent("--pid", str(server.pid), "--state-dir", state, "--drift-banned", banned, "--evidence-json", jsonl,
                   dump=False) as agent:
            agent.ready()
            agent.wait_attached(server.pid)
            client = Client(port)

            # Banned: the phrase arrives in 3-character deltas; the server pauses a second after it.
            reply = "Sure. The Project Nightingale plan is below, with more after a pause."
            done = []
            t = threading.Thread(target=lambda: done.append(Client(port).chat(
                reply, stream=True, sealtap_test_pause_at=reply.index("plan"))))
            t.start()
            agent.wait_stdout('"feature":"banned_content"', 1, timeout=10)
            check(not done, "the banned phrase was raised only after the response ended")
            t.join(20)
            line = next(json.loads(l) for l in agent.stdout_lines if '"banned_content"' in l)
            check(line["layer"] == "banned" and line["contributors"] == ["line 2"] and line["evidence_seq"] >= 1,
                  "banned alert: %s" % line)

            # Ordinary answers, then refusals.
            for _ in range(850):
                client.chat(" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(20, 80))) + ".")
            before = sum('"feature":"refusal_rate"' in l for l in agent.stdout_lines)
            check(before == 0, "no refusal alert before refusals")
            refusals = 0
            while refusals < 60 and not any('"feature":"refusal_rate"' in l for l in agent.stdout_lines):
                client.chat("I'm sorry, but I can't help with that request.")
                refusals += 1
                if refusals % 10 == 0:
                    time.sleep(0.2)  # let the agent catch up before judging
            check(refusals < 60, "no refusal-rate alert after %d refusals" % refusals)
            alert = next(json.loads(l) for l in agent.stdout_lines if '"feature":"refusal_rate"' in l)
            check(alert["layer"] == "fast" and alert["test"] in ("bernoulli_cusum", "adwin")
                  and alert["current_value"] > alert["reference_value"] and alert["contributors"] == ["increase"]
                  and alert["key"].endswith("|/v1/chat/completions|m"), "refusal alert: %s" % alert)

            # The reported model changes under the same key.
            client.chat("A normal answer from the new version.", sealtap_test_model="sealtap-test-model-2")
            agent.wait_stdout('"layer":"model_change_event"', 1, timeout=10)
            mc = next(json.loads(l) for l in agent.stdout_lines if '"model_change_event"' in l)
            check(mc["previous_model"] == "sealtap-test-model" and mc["model"] == "sealtap-test-model-2",
                  "model change: %s" % mc)
            agent.stop()
        st = agent.stats()["drift"]
        check(st["responses"] >= 850 and st["keys"] == 1 and st["banned"] == 1 and st["model_changes"] == 1,
              "drift stats: %s" % st)
        streams, _ = verify_spool(state)
        (sid, evs), = streams.items()
        drifts = [fields(e[21][0]) for e in evs if 21 in e]
        changes = [fields(e[22][0]) for e in evs if 22 in e]
        check(any(d[2][0] == b"banned_content" for d in drifts) and any(d[2][0] == b"refusal_rate" for d in drifts),
              "drift events in the signed record: %s" % [d[2] for d in drifts])
        check(changes and fields(evs[[i for i, e in enumerate(evs) if 22 in e][0]][8][0])[2][0] == b"m" and
              changes[0][1][0] == b"sealtap-test-model" and changes[0][2][0] == b"sealtap-test-model-2",
              "model_change event: %s" % changes)
        copies = [json.loads(l) for l in open(jsonl)]
        ban = next(c for c in copies if c["kind"] == "drift" and c["drift"]["feature"] == "banned_content")
        chg = next(c for c in copies if c["kind"] == "model_change")
        check(ban["drift"]["layer"] == "banned" and ban["drift"]["contributors"] == ["line 2"] and
              chg["model_change"]["current"] == "sealtap-test-model-2", "JSON copies: %s %s" % (ban, chg))
        spool = b"".join(open(os.path.join(state, "spool", p), "rb").read()
                         for p in os.listdir(os.path.join(state, "spool")))
        check(b"ightingale" not in spool.lower(), "the banned text is not in the record")

        # The state survives a restart.
        check(os.path.getsize(os.path.join(state, "drift.state")) > 10000, "drift state saved")
        with Agent("--pid", str(server.pid), "--state-dir", state, dump=False) as again:
            again.ready()
            again.stop()
        check(again.stats()["drift"]["state_loaded_keys"] == 1, "state loaded: %s" % again.stats()["drift"])
    finally:
        server.kill()
        shutil.rmtree(state, ignore_errors=True)
