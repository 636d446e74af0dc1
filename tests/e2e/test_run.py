"""`make run` (deploy/local/run.sh) as a newcomer runs it: a collector and
the agent on every process, stopped with Ctrl-C (SIGINT to the whole
process group, as a terminal sends it). The agent stops first and ships its
last batch, the collector after it; the script exits 0, and the store
verifies and holds the agent's stop."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from harness import BUILD, ROOT, agent_started, check, free_port
from test_collector import COLLECTOR

import pytest  # noqa: E402


@pytest.mark.bpf
def test_make_run_stops_cleanly_on_ctrl_c():
    state = tempfile.mkdtemp(prefix="sealtap-run-")
    env = dict(os.environ, STATE=state, PORT=str(free_port()))
    agent_started()  # run.sh starts it
    p = subprocess.Popen(["sh", os.path.join(ROOT, "deploy", "local", "run.sh"), BUILD], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline:
            line = p.stdout.readline().decode()
            if not line and p.poll() is not None:
                check(False, "run.sh ended (%d) before the agent was ready: %s%s"
                      % (p.returncode, "".join(lines[-20:]), p.stdout.read().decode()[-2000:]))
            lines.append(line)
            if line.startswith('{"type":"ready"'):
                break
        check(any(l.startswith('{"type":"ready"') for l in lines), "no ready line: %s" % "".join(lines[-20:]))
        os.killpg(p.pid, signal.SIGINT)  # Ctrl-C
        out, _ = p.communicate(timeout=60)
        text = "".join(lines) + out.decode()
        check(p.returncode == 0, "exit %d on Ctrl-C:\n%s" % (p.returncode, text[-3000:]))
        stopping = text.find("sealtap-collector: stopping")
        check(stopping >= 0, "the collector says what it kept:\n%s" % text[-2000:])
        store = os.path.join(state, "collector", "store.db")
        v = subprocess.run([COLLECTOR, "verify", "--store", store], capture_output=True, timeout=60)
        check(v.returncode == 0, "verify: %s" % v.stdout)
        q = subprocess.run([COLLECTOR, "query", "--store", store, "--kind", "lifecycle"], capture_output=True,
                           timeout=30)
        phases = [json.loads(l)["lifecycle"]["phase"] for l in q.stdout.decode().splitlines()]
        check(phases == ["start", "stop"], "the agent's start and stop, both shipped: %s" % phases)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        shutil.rmtree(state, ignore_errors=True)
