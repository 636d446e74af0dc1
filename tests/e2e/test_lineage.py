"""The lineage of a sensitive value end to end, on SQLite and on a real
PostgreSQL: two agents on two "nodes" ship to one collector over TLS. A card
number a client sends in a prompt to the first node's model server comes
back in another client's completion there (cross_identity), in an echo to
the first client, and out of the second node's server unprompted (novel).
`lineage FINGERPRINT` lists the four events in time order, across both
agents, with their labels and the prompt it first appeared in; the proof
bundle it writes verifies offline with the two agents' keys, and fails
when one byte of it changes or a key is missing."""
import json
import os
import shutil
import subprocess
import tempfile

from evidence_tools import agent_state, enrolled_agent, fields
from harness import Agent, certs, check, free_port, python_peer, wait_listening
from postgres import Postgres
from test_collector import COLLECTOR
from test_findings import chat

import pytest  # noqa: E402

CARD = "4532 0151 1283 0366"


def run(*args):
    p = subprocess.run([COLLECTOR] + list(args), capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


@pytest.mark.bpf
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_lineage_across_agents_listed_and_proven(backend):
    crt, key = certs()
    tmp = tempfile.mkdtemp(prefix="sealtap-lineage-")
    state_a, _, pub_a = enrolled_agent(tmp)
    os.mkdir(os.path.join(tmp, "b"))
    state_b, _, pub_b = agent_state(os.path.join(tmp, "b"))
    with open(os.path.join(tmp, "allow"), "a") as f:
        f.write("%s\n" % pub_b.hex())
    # one deployment key: the same value is the same fingerprint on every node
    fpkey = os.path.join(tmp, "fingerprint.key")
    with open(fpkey, "wb") as f:
        f.write(os.urandom(32))
    os.chmod(fpkey, 0o600)
    pg = Postgres().start() if backend == "postgres" else None
    store = pg.uri() if pg else os.path.join(tmp, "store.db")
    cport, port_a, port_b = free_port(), free_port(), free_port()
    collector = subprocess.Popen([COLLECTOR, "serve", "--store", store, "--allow", os.path.join(tmp, "allow"),
                                  "--listen", "127.0.0.1:%d" % cport, "--tls-cert", crt, "--tls-key", key,
                                  "--state-dir", os.path.join(tmp, "cstate")],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    server_a = python_peer("llm_server.py", port_a, crt, key)
    server_b = python_peer("llm_server.py", port_b, crt, key)
    server_a.expect("ready")
    server_b.expect("ready")
    url = "https://127.0.0.1:%d/v1/batches" % cport
    try:
        wait_listening(cport, collector)
        with Agent("--pid", str(server_a.pid), "--state-dir", state_a, "--node", "node-a", "--collector", url,
                   "--collector-ca", crt, "--fingerprint-key", fpkey, dump=False) as agent_a, \
                Agent("--pid", str(server_b.pid), "--state-dir", state_b, "--node", "node-b", "--collector", url,
                      "--collector-ca", crt, "--fingerprint-key", fpkey, dump=False) as agent_b:
            agent_a.ready()
            agent_b.ready()
            agent_a.wait_attached(server_a.pid)
            agent_b.wait_attached(server_b.pid)
            # Each exchange's findings are raised before the next begins: an
            # event's time is when its agent signs it, and two agents take
            # their ring buffers at their own pace (every 50 ms at most).
            chat(port_a, "127.0.0.2", "charge my card %s please" % CARD, "Done.")
            agent_a.wait_stdout('"type":"finding"', 1)
            chat(port_a, "127.0.0.3", "which card is on file?", "The card on file is %s." % CARD)
            agent_a.wait_stdout('"type":"finding"', 2)
            chat(port_a, "127.0.0.2", "is it %s?" % CARD, "Yes, %s." % CARD)
            agent_a.wait_stdout('"type":"finding"', 4)
            chat(port_b, "127.0.0.4", "any card?", "Try %s." % CARD)
            agent_a.wait_stdout('"direction":"output"', 2)
            agent_b.wait_stdout('"direction":"output"', 1)
            agent_a.stop()
            agent_b.stop()
        found = [r for r in agent_a.records + agent_b.records if r.get("type") == "finding"]
        fps = {r["fingerprint"] for r in found}
        check(len(found) == 5 and len(fps) == 1, "five findings of one value: %s" % found)
        fp = fps.pop()

        rc, out, err = run("lineage", "--store", store, "--proof", os.path.join(tmp, "lineage.pb"), fp)
        check(rc == 0, "lineage: %d %s" % (rc, err))
        lines = [json.loads(l) for l in out.splitlines()]
        events, summary = lines[:-1], lines[-1]
        got = [(e["node"], e["finding"]["direction"], e["finding"]["leak"]) for e in events]
        check(got == [("node-a", "input", ""), ("node-a", "output", "cross_identity"), ("node-a", "input", ""),
                      ("node-a", "output", "echo"), ("node-b", "output", "novel")],
              "the value's events in time order: %s" % got)
        times = [e["time_unix_nano"] for e in events]
        check(times == sorted(times), "time order: %s" % times)
        check(summary["type"] == "lineage" and summary["fingerprint"] == fp and summary["events"] == 5 and
              summary["inputs"] == 2 and summary["outputs"] == {"echo": 1, "novel": 1, "cross_identity": 1} and
              sorted(summary["nodes"]) == ["node-a", "node-b"] and summary["events_on_unlisted_nodes"] == 0 and
              summary["first_input"]["node"] == "node-a" and
              summary["first_input"]["peer"].startswith("127.0.0.2:") and
              summary["first_input"]["seq"] == events[0]["seq"], "summary: %s" % summary)
        check(CARD not in out and CARD.replace(" ", "") not in out, "a value in the lineage")
        rc, out, err = run("lineage", "--store", store, "00" * 32)
        check(rc == 0 and json.loads(out.splitlines()[-1])["events"] == 0, "an unknown value: %s %s" % (out, err))

        # offline: the bundle, the two agents' keys, nothing else
        bundle = os.path.join(tmp, "lineage.pb")
        keys = "%s,%s" % (pub_a.hex(), pub_b.hex())
        rc, out, err = run("verify", "--proof", bundle, "--key", keys)
        check(rc == 0 and out.strip().endswith("proof verified") and
              '"streams":2,"failures":0' in out and out.count('"kind":"finding"') == 5, "verify: %s %s" % (out, err))
        rc, out, _ = run("verify", "--proof", bundle, "--key", pub_a.hex())
        check(rc != 0 and "not signed by a given agent key" in out, "one key missing: %s" % out)
        data = bytearray(open(bundle, "rb").read())
        check(16 in fields(bytes(data)), "a LineageBundle: its fields apart from a ProofBundle's")
        at = data.find(b"****0366")  # inside an event: its leaf no longer in the signed tree
        data[at + 4] ^= 0x01
        bad = os.path.join(tmp, "bad.pb")
        open(bad, "wb").write(bytes(data))
        rc, out, _ = run("verify", "--proof", bad, "--key", keys)
        check(rc != 0 and "NOT in the signed tree" in out and "PROOF FAILED" in out, "a byte changed: %s" % out)
    finally:
        for p in (server_a, server_b):
            p.kill()
        collector.terminate()
        collector.wait(20)
        if pg:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
