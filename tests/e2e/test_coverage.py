"""The coverage account (#20): for every selected process, which TLS stacks
it uses and whether each is watched, and why not - so an auditor can tell
"no leak" from "not looked at". Real processes of every kind: Python on
OpenSSL, gnutls-serv, a Go server, a Go binary older than the register ABI,
OpenSSL linked in statically and stripped, a plain server whose sendfile
bytes go uncopied, a Go program without TLS. The account is checked where
each reader finds it: `sealtap-agent coverage` (table and --json), the
metrics, and the signed coverage events, verified by the real collector."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest

from evidence_tools import agent_state
from harness import AGENT, BUILD, Agent, Peer, certs, check, free_port, python_peer, wait_listening
from test_collector import COLLECTOR, serve_collector, verify
from test_go import GoServer, go_program

pytestmark = [pytest.mark.bpf,
              pytest.mark.skipif(not shutil.which("gnutls-serv"), reason="gnutls-bin is installed by make deps")]


def coverage(state, *args):
    p = subprocess.run([AGENT, "coverage", "--state-dir", state] + list(args), capture_output=True, timeout=10)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def by_pid(account):
    return {p["pid"]: p for p in account["processes"]}


def stacks(proc):
    return {s["stack"]: s for s in proc["stacks"]}


def older_go(tmp):
    """The Go server with its build information saying Go 1.16, the last
    release that passed arguments on the stack: the same program, runnable,
    that the agent must not probe (its probes read registers)."""
    img = bytearray(open(go_program("llmserver", stripped=True), "rb").read())
    bi = img.find(b"\xff Go buildinf:")
    at = img.find(b"go1.", bi)
    check(bi >= 0 and at > bi, "build information found")
    img[at:at + 6] = b"go1.16"
    path = os.path.join(tmp, "llmserver-go116")
    with open(path, "wb") as f:
        f.write(img)
    os.chmod(path, 0o755)
    return path


def wait_account(state, want, timeout=20.0):
    """Polls the coverage command until want(account) holds; returns it."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        rc, out, err = coverage(state, "--json")
        if rc == 0:
            last = json.loads(out)
            if want(last):
                return last
        time.sleep(0.2)
    raise AssertionError("the account did not reach the expected state in %.0fs: %s" % (timeout, last))


def test_coverage_account_of_every_kind_of_process():
    crt, key = certs()
    tmp = tempfile.mkdtemp(prefix="sealtap-coverage-")
    state, _, pub = agent_state(tmp)
    collector, cport, store, ckey = serve_collector(tmp, pub)
    mport = free_port()
    procs = []
    try:
        py_port = free_port()
        py = python_peer("llm_server.py", py_port, crt, key)
        procs.append(py)
        gn_port = free_port()
        gnutls = Peer(["gnutls-serv", "--echo", "-q", "-p", str(gn_port), "--x509certfile", crt, "--x509keyfile", key])
        procs.append(gnutls)
        go = GoServer("h1")
        procs.append(go.peer)
        go116 = Peer([older_go(tmp), str(free_port()), crt, key, "h1"])
        procs.append(go116)
        static = Peer([os.path.join(BUILD, "static-tls")])
        procs.append(static)
        plain_port = free_port()
        plain = python_peer("vector_server.py", "tcp", plain_port, "recvmsg", "sendmsg")
        procs.append(plain)
        notls = Peer([go_program("notls", stripped=True), str(free_port())])
        procs.append(notls)
        for p in (py, go116, static, plain, notls):
            p.expect("ready")
        wait_listening(gn_port, gnutls.proc)
        wait_listening(plain_port, plain.proc)
        pids = [p.pid for p in (py, gnutls, go.peer, go116, static, plain, notls)]
        args = sum((["--pid", str(p)] for p in pids), [])
        with Agent(*args, "--state-dir", state, "--metrics", "127.0.0.1:%d" % mport, "--collector",
                   "https://127.0.0.1:%d/v1/batches" % cport, "--collector-ca", crt, "--collector-pubkey", ckey,
                   dump=False) as agent:
            agent.ready()
            first = wait_account(state, lambda a: set(pids) <= set(by_pid(a)))
            # What happens next changes it: an exchange makes the Python
            # server a model server, a sendfile leaves plain bytes uncopied.
            r = subprocess.run(["curl", "-sk", "--max-time", "20", "https://127.0.0.1:%d/v1/chat/completions" % py_port,
                                "-H", "Content-Type: application/json",
                                "-d", json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]})],
                               capture_output=True, timeout=30)
            check(r.returncode == 0, "curl: %s" % r.stderr)
            r = subprocess.run(["curl", "-s", "--max-time", "20", "-o", "/dev/null",
                                "http://127.0.0.1:%d/file" % plain_port], capture_output=True, timeout=30)
            check(r.returncode == 0, "curl /file: %s" % r.stderr)
            last = wait_account(state, lambda a: by_pid(a)[py.pid]["model_serving"]
                                and stacks(by_pid(a)[plain.pid])["plain"]["state"] == "partial")
            rc, table, _ = coverage(state)
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=10) as resp:
                metrics = resp.read().decode()
            agent.stop()
        rc_stopped, _, err_stopped = coverage(state)
    finally:
        for p in procs:
            p.kill()
        collector.terminate()
        collector.wait()

    acc = by_pid(last)
    # Each process, each stack, its state and its reason.
    want = {
        py.pid: {"openssl": "watched", "plain": "watched"},
        gnutls.pid: {"gnutls": "watched", "plain": "watched"},
        go.pid: {"go": "watched", "plain": "watched"},
        go116.pid: {"go": "unwatched", "plain": "watched"},
        static.pid: {"openssl_static": "unwatched", "plain": "watched"},
        plain.pid: {"plain": "partial"},
        notls.pid: {"plain": "watched"},
    }
    for pid, expected in want.items():
        got = {s: v["state"] for s, v in stacks(acc[pid]).items()}
        check(got == expected, "pid %d (%s): %s, expected %s" % (pid, acc[pid]["comm"], got, expected))
    check(stacks(acc[py.pid])["openssl"]["file"].endswith("libssl.so.3"), "OpenSSL's file: %s" % acc[py.pid])
    check(stacks(acc[go.pid])["go"]["file"] == go_program("llmserver"), "the Go binary: %s" % acc[go.pid])
    check("register ABI" in stacks(acc[go116.pid])["go"]["reason"] and "go1.16" in stacks(acc[go116.pid])["go"]["reason"],
          "why the old Go is not watched: %s" % acc[go116.pid])
    check("statically" in stacks(acc[static.pid])["openssl_static"]["reason"], "why: %s" % acc[static.pid])
    check("sendfile" in stacks(acc[plain.pid])["plain"]["reason"], "why partial: %s" % acc[plain.pid])
    check(acc[py.pid]["model_serving"] and not acc[go116.pid]["model_serving"], "model servers: %s" % acc)
    check(all(stacks(p)["plain"]["state"] == "watched" for p in first["processes"])
          and not by_pid(first)[py.pid]["model_serving"], "the first account, before traffic: %s" % first)

    # The table says the same, a row per stack.
    check(rc == 0 and table.startswith("# sealtap-agent pid %d at " % agent.proc.pid), "table: %s" % table[:200])
    rows = [l.split(None, 5) for l in table.splitlines()[2:]]
    check(len(rows) == sum(len(w) for w in want.values()), "one row per stack: %s" % table)
    check(any(r[0] == str(go116.pid) and r[3] == "go" and r[4] == "unwatched" and "register ABI" in r[5] for r in rows),
          "the old Go's row: %s" % table)
    check(rc_stopped == 1 and "is not running" in err_stopped, "after stop: %d %s" % (rc_stopped, err_stopped))

    # The metrics count processes by stack and state.
    def gauge(stack, state, model):
        line = 'sealtap_process_coverage{stack="%s",state="%s",model_serving="%s"} ' % (stack, state, model)
        vals = [int(l[len(line):]) for l in metrics.splitlines() if l.startswith(line)]
        return vals[0] if vals else 0
    check(gauge("go", "unwatched", "false") == 1 and gauge("openssl_static", "unwatched", "false") == 1
          and gauge("openssl", "watched", "true") == 1 and gauge("plain", "partial", "false") == 1
          and gauge("plain", "watched", "false") + gauge("plain", "watched", "true") == 6,
          "metrics: %s" % [l for l in metrics.splitlines() if "process_coverage" in l])

    # The signed record: coverage events, verified by the collector, the
    # first at start, the last the account as it ended.
    rc, out = verify(store)
    check(rc == 0 and "0 problem(s)" in out, "verify: %s" % out)
    exp = subprocess.run([COLLECTOR, "export", "--store", store], capture_output=True, timeout=30)
    events = [json.loads(l) for l in exp.stdout.decode().splitlines()]
    covs = [e for e in events if e["kind"] == "coverage"]
    check(len(covs) >= 2 and events[1]["kind"] == "coverage", "a coverage event at start and at changes: %s"
          % [e["kind"] for e in events])
    for e, account in ((covs[0], first), (covs[-1], last)):
        recorded = {p["pid"]: {s["stack"]: (s["state"], s["reason"], s["file"]) for s in p["stacks"]}
                    for p in e["coverage"]["processes"]}
        shown = {p["pid"]: {s["stack"]: (s["state"], s["reason"], s["file"]) for s in p["stacks"]}
                 for p in account["processes"]}
        check(recorded == shown, "the evidence holds the account shown: %s vs %s" % (recorded, shown))
    check([p["model_serving"] for p in covs[-1]["coverage"]["processes"] if p["pid"] == py.pid] == [True],
          "the model server, in the record: %s" % covs[-1])
