"""The evidence report of a period, as an auditor gets it: a store filled by
the real agent watching real TLS traffic (make demo's script: a card handed
out, an e-mail echoed, a token sent to an external provider), the report
written for the period, printed to PDF by Debian's chromium headless and
read back as text (pdftotext). Its totals equal what `sealtap-collector
query` counts in the store; every stream verified, every checkpoint signed
by the agent and cosigned by the collector; a period after the last event
finds nothing but still verifies the whole record; one byte of one event
altered in the store makes the same report say it failed, and where."""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile

from harness import BUILD, ROOT, agent_started, check, chromium, free_port, output_dir
from postgres import Postgres
from test_collector import COLLECTOR

import pytest  # noqa: E402


def run(*args, ok=True):
    p = subprocess.run([COLLECTOR] + list(args), capture_output=True, timeout=120)
    if ok:
        check(p.returncode == 0, "%s: %s %s" % (args, p.stdout.decode()[-2000:], p.stderr.decode()))
    return p


def query(store, *args):
    return [json.loads(l) for l in run("query", "--store", store, *args).stdout.decode().splitlines()]


def pdf_text(html, out_dir, name):
    pdf = os.path.join(out_dir, name + ".pdf")
    r = chromium("--no-pdf-header-footer", "--print-to-pdf=" + pdf, "file://" + html)
    check(r.returncode == 0 and os.path.getsize(pdf) > 1000, "chromium printed no PDF: %s" % r.stderr[-2000:])
    chromium("--screenshot=" + os.path.join(out_dir, name + ".png"), "--window-size=1200,3000", "file://" + html)
    t = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, timeout=60)
    check(t.returncode == 0, "pdftotext: %s" % t.stderr)
    return t.stdout.decode()


def total(text, label):
    m = re.search(r"^\s*%s\s+(\d+)\s*$" % re.escape(label), text, re.M)
    check(m, "no total %r in the PDF:\n%s" % (label, text[:3000]))
    return int(m.group(1))


@pytest.mark.bpf
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_report_totals_equal_the_store_and_say_when_the_record_fails(backend):
    state = tempfile.mkdtemp(prefix="sealtap-report-")
    out_dir = output_dir("report-" + backend)
    agent_started()
    pg = Postgres().start() if backend == "postgres" else None
    try:
        env = dict(os.environ, STATE=state, COLLECTOR_PORT=str(free_port()), MODEL_PORT=str(free_port()))
        if pg:
            pg.sql("CREATE DATABASE demo")
            env["STORE"] = pg.uri("demo")
        d = subprocess.run(["bash", os.path.join(ROOT, "deploy", "local", "demo.sh"), BUILD], env=env, cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180)
        check(d.returncode == 0, "the demo filling the store failed:\n%s" % d.stdout.decode()[-3000:])
        store = pg.uri("demo") if pg else os.path.join(state, "collector", "store.db")
        ckey = run("key", "--state-dir", os.path.join(state, "collector")).stdout.decode().strip()
        html = os.path.join(out_dir, "report.html")
        run("report", "--store", store, "--collector-key", ckey, "--out", html)
        page = open(html).read()
        check("<script" not in page and not re.search(r"(src|href)=\"?(https?:)?//", page),
              "the report is self-contained: no script, nothing fetched")
        text = pdf_text(html, out_dir, "report")

        events = query(store)
        findings = [e["finding"] for e in events if e["kind"] == "finding"]
        outputs = lambda leak: sum(1 for f in findings if f["direction"] == "output" and f.get("leak") == leak)
        check(len(findings) == 4, "the demo's four findings: %s" % findings)
        for label, want in (("events in the period", len(events)), ("agents", 1), ("findings", len(findings)),
                            ("findings in prompts", sum(f["direction"] == "input" for f in findings)),
                            ("findings in outputs, echo", outputs("echo")),
                            ("findings in outputs, novel", outputs("novel")),
                            ("findings in outputs, cross-identity", outputs("cross_identity")),
                            ("policy violations", sum(e["kind"] == "policy_violation" for e in events)),
                            ("prompt changes", sum(e["kind"] == "prompt_change" for e in events))):
            check(total(text, label) == want, "%s: the PDF says %d, the store %d" % (label, total(text, label), want))
        check(re.search(r"the record\s+verified", text), "verified in the PDF")
        # every stream: its checkpoints all signed by the agent and cosigned by the collector
        rows = re.findall(r'<td class=mono title="([0-9a-f]{32})">[0-9a-f]{32}</td><td class=mono title="[0-9a-f]{64}">'
                          r'[0-9a-f]{16}</td><td class=n>(\d+)</td><td class=n>(\d+)</td><td>(\d+) of (\d+)</td>'
                          r'<td>(\d+) of (\d+)</td>', page)
        check(len(rows) == 1, "one stream in the verification table: %s" % rows)
        _, nev, ncp, signed, of1, cosigned, of2 = rows[0]
        check(int(ncp) > 0 and signed == of1 == ncp and cosigned == of2 == ncp and int(nev) == len(events),
              "checkpoints signed and cosigned: %s" % (rows,))
        check("secret.github_token" in text and "no-secrets-cards-or-health-data-to-external-providers" in text,
              "the violation listed")
        check("4539" not in page and "maria.keller" not in page and not re.search(r"ghp_[A-Za-z0-9]{36}", page),
              "no value in the report")

        # a period after the last event: nothing found there, the record still verified whole
        last = max(e["time_unix_nano"] for e in events) // 10**9 + 1
        later = os.path.join(out_dir, "later.html")
        run("report", "--store", store, "--from", str(last), "--to", str(last + 3600), "--out", later)
        lt = open(later).read()
        check("id=t-findings>0<" in lt and "id=t-events>0<" in lt and "class=ok>verified" in lt,
              "the later period: no findings, verified")

        # one byte of one event altered behind the collector's back
        if pg:
            seq = int(pg.sql("SELECT seq FROM events ORDER BY seq LIMIT 1 OFFSET 3", "demo")[0][0])
            pg.sql("UPDATE events SET bytes = set_byte(bytes, length(bytes) / 2, get_byte(bytes, length(bytes) / 2) "
                   "# 1) WHERE seq = %d" % seq, "demo")
        else:
            db = sqlite3.connect(store)
            seq, blob = db.execute("SELECT seq, bytes FROM events ORDER BY seq LIMIT 1 OFFSET 3").fetchone()
            flipped = bytearray(blob)
            flipped[len(flipped) // 2] ^= 1
            db.execute("UPDATE events SET bytes = ? WHERE seq = ?", (bytes(flipped), seq))
            db.commit()
            db.close()
        bad = os.path.join(out_dir, "tampered.html")
        p = run("report", "--store", store, "--out", bad)
        check(b"FAILED verification" in p.stderr, "the command says the record failed: %s" % p.stderr)
        btext = pdf_text(bad, out_dir, "tampered")
        check(re.search(r"the record\s+FAILED verification", btext) and "FAILED: 1 stream(s) and" in btext,
              "the tampered report says it failed:\n%s" % btext[:2000])
        check(re.search(r"event %d" % seq, btext), "the altered event is named:\n%s" % btext)
    finally:
        if pg:
            pg.stop()
        shutil.rmtree(state, ignore_errors=True)
