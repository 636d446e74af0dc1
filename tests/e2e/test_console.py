"""The auditor's console in a real browser: Debian's chromium, headless,
driven by playwright-core (tests/browser/console.mjs), against a collector
whose store the real agent filled watching real TLS traffic (make demo's
script). Without credentials no page and no answer; a wrong token is
refused at sign-in; signed in with an auditor token, the overview's counts
equal what `sealtap-collector query` counts; the findings list, the
lineage of the echoed e-mail address, and one event that the browser
itself verifies (Ed25519 with WebCrypto, the Merkle inclusion proof)
before it says so. Then one byte of that event is altered in the store and
the same page says it fails, with the reason. No console errors; a
screenshot of each page under build/test-output/console; every call is in
the access log."""
import http.client
import json
import os
import re
import shutil
import sqlite3
import ssl
import subprocess
import tempfile

from harness import BUILD, ROOT, agent_started, browser_modules, check, free_port, output_dir, wait_listening
from test_collector import COLLECTOR

import pytest  # noqa: E402


def query(store, *args):
    p = subprocess.run([COLLECTOR, "query", "--store", store] + list(args), capture_output=True, timeout=30)
    check(p.returncode == 0, "query: %s" % p.stderr)
    return [json.loads(l) for l in p.stdout.decode().splitlines()]


def browse(mods, base, token, stream, seq, fp, out_dir, phase):
    p = subprocess.run(["node", os.path.join(mods, "console.mjs"), base, token, stream, str(seq), fp, out_dir, phase],
                       cwd=mods, capture_output=True, timeout=180)
    check(p.returncode == 0, "the browser run (%s) failed:\n%s\n%s" % (phase, p.stdout.decode()[-2000:],
                                                                       p.stderr.decode()[-4000:]))
    seen = json.loads(p.stdout.decode().strip().splitlines()[-1])
    check(not seen["console_errors"] and not seen["page_errors"],
          "errors in the page (%s): %s %s" % (phase, seen["console_errors"], seen["page_errors"]))
    return seen


@pytest.mark.bpf
def test_console_in_a_real_browser():
    mods = browser_modules()
    state = tempfile.mkdtemp(prefix="sealtap-console-")
    out_dir = output_dir("console")
    agent_started()
    collector = None
    try:
        env = dict(os.environ, STATE=state, COLLECTOR_PORT=str(free_port()), MODEL_PORT=str(free_port()))
        d = subprocess.run(["bash", os.path.join(ROOT, "deploy", "local", "demo.sh"), BUILD], env=env, cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180)
        check(d.returncode == 0, "the demo filling the store failed:\n%s" % d.stdout.decode()[-3000:])
        cdir = os.path.join(state, "collector")
        store = os.path.join(cdir, "store.db")
        t = subprocess.run([COLLECTOR, "token", "eve-auditor", "auditor"], capture_output=True, timeout=10).stdout.decode()
        token = re.search(r"^(sealtap_[0-9a-f]{64})$", t, re.M).group(1)
        a = subprocess.run([COLLECTOR, "token", "ops-admin", "admin"], capture_output=True, timeout=10).stdout.decode()
        admin = re.search(r"^(sealtap_[0-9a-f]{64})$", a, re.M).group(1)
        access = os.path.join(cdir, "access.yaml")
        with open(access, "w") as f:
            f.write("principals:\n" + t.split("\n", 3)[3] + a.split("\n", 3)[3])
        port = free_port()
        collector = subprocess.Popen([COLLECTOR, "serve", "--store", store, "--allow", os.path.join(cdir, "allow"),
                                      "--listen", "127.0.0.1:%d" % port, "--tls-cert", os.path.join(cdir, "cert.pem"),
                                      "--tls-key", os.path.join(cdir, "key.pem"), "--state-dir", cdir,
                                      "--access", access], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_listening(port, collector)
        base = "https://127.0.0.1:%d" % port

        events = query(store)
        findings = [e for e in events if e["kind"] == "finding"]
        card = next(e for e in findings if e["finding"]["detector"] == "financial.payment_card")
        email = next(e for e in findings if e["finding"]["detector"] == "pii.email")["finding"]["fingerprint"]
        seen = browse(mods, base, token, card["stream"], card["seq"], email, out_dir, "first")

        for path, r in seen["unauthenticated"].items():
            check(r["status"] == 401 and "authentication required" in r["body"], "%s without credentials: %s" % (path, r))
        check("no principal" in seen["wrong_token"], "a wrong token: %r" % seen["wrong_token"])
        ov = seen["overview"]
        outputs = lambda leak: sum(1 for e in findings if e["finding"]["direction"] == "output"
                                   and e["finding"].get("leak") == leak)
        want = {"t-events": len(events), "t-agents": 1, "t-findings": len(findings),
                "t-input": sum(e["finding"]["direction"] == "input" for e in findings),
                "t-echo": outputs("echo"), "t-novel": outputs("novel"), "t-cross": outputs("cross_identity"),
                "t-violations": sum(e["kind"] == "policy_violation" for e in events),
                "t-prompt-changes": sum(e["kind"] == "prompt_change" for e in events)}
        for k, v in want.items():
            check(int(ov[k]) == v, "overview %s: the page says %s, the store %d" % (k, ov[k], v))
        check(ov["t-verified"] == "verified", "overview: %s" % ov)
        check(seen["finding_rows"] == len(findings), "findings listed: %d of %d" % (seen["finding_rows"], len(findings)))
        check(seen["lineage_rows"] == 2 and "1 in prompts; outputs 1 echo, 0 novel" in seen["lineage_summary"],
              "lineage: %s" % seen)
        check(seen["verdict"] == "VERIFIED in this browser" and "signed by sealtap-agent-" in seen["verification"]
              and "Merkle inclusion proof" in seen["verification"], "the event: %s" % seen["verification"])
        check(seen["fields"] > 10 and seen["bundle"]["status"] == 200 and seen["bundle"]["bytes"] > 200,
              "fields and bundle: %s" % seen)

        # one byte of that event altered behind the collector's back
        db = sqlite3.connect(store)
        blob = db.execute("SELECT bytes FROM events WHERE seq = ?", (card["seq"],)).fetchone()[0]
        flipped = bytearray(blob)
        flipped[-3] ^= 1
        db.execute("UPDATE events SET bytes = ? WHERE seq = ?", (bytes(flipped), card["seq"]))
        db.commit()
        db.close()
        again = browse(mods, base, token, card["stream"], card["seq"], email, out_dir, "again")
        check(again["verdict"] == "FAILING" and "not in the signed tree" in again["verification"],
              "the altered event: %s" % again["verification"])

        # a change asked with the cookie must come from the console's own origin
        # (SameSite does not tell another port of this host from the console)
        key = open(os.path.join(cdir, "allow")).read().split()[0]
        for origin, want in (("https://127.0.0.1:%d" % (port + 1), 403), (None, 403), (base, 200)):
            ctx = ssl.create_default_context()
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=20)
            hdrs = {"Cookie": "sealtap_token=" + admin, "Host": "127.0.0.1:%d" % port}
            if origin:
                hdrs["Origin"] = origin
            c.request("POST", "/v1/agents/%s/approve" % key, b"", hdrs)
            r = c.getresponse()
            r.read()
            check(r.status == want, "POST with the cookie from %s: %d, not %d (%s)"
                  % (origin, r.status, want, r.getheader("X-Sealtap-Reason")))
            c.close()

        # every call of both runs is in the access log, the refusals too
        log = subprocess.run([COLLECTOR, "access-log", "--store", store], capture_output=True, timeout=30)
        entries = [json.loads(l) for l in log.stdout.decode().splitlines()]
        check(any(e["principal"] == "anonymous" and e["status"] == 401 and e["target"].startswith("/console")
                  for e in entries), "the refused page is logged")
        check(sum(e["principal"] == "eve-auditor" and e["target"].startswith("/v1/proof") for e in entries) >= 4,
              "the proofs the browser fetched are logged: %s" % [e["target"] for e in entries])
    finally:
        if collector:
            collector.terminate()
            collector.wait(20)
        shutil.rmtree(state, ignore_errors=True)
