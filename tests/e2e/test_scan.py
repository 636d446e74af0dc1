"""`sealtap-agent scan`: the classifier as a command, on real files and
standard input, with a real key file. Asserts the exact findings (detector,
offsets, line, masked preview), that no output carries a value, that the
fingerprint follows the key, the exit statuses, and that a key file others
can read is refused. Also holds the classifier to its quality targets on
the committed labelled corpus (tests/corpus)."""
import json
import os
import subprocess
import tempfile

from harness import BUILD, ROOT, check

AGENT = os.path.join(BUILD, "sealtap-agent")

CARD = "4532 0151 1283 0366"
EMAIL = "maria.garcia@acme-corp.io"
TOKEN = "ghp_IxNKu8iS2G8NPRVdD53X83RZJzzzgEOzdme4"
TEXT = ("Customer notes\n"
        "Charge the renewal to card %s, expiry 09/28.\n"
        "Reply to %s.\n"
        "GITHUB_TOKEN=%s\n"
        "Order #4024007198966155 shipped; test card 4242 4242 4242 4242.\n") % (CARD, EMAIL, TOKEN)


def run_scan(*args, stdin=None):
    p = subprocess.run([AGENT, "scan"] + list(args), input=stdin, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def key_file(tmp, name="fp.key", data=b"k" * 32, mode=0o600):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    return path


def test_scan_reports_exact_findings_without_values():
    with tempfile.TemporaryDirectory() as tmp:
        doc = os.path.join(tmp, "notes.txt")
        with open(doc, "w") as f:
            f.write(TEXT)
        rc, out, err = run_scan("--key", key_file(tmp), doc)
        check(rc == 1, "exit %d (want 1: found), stderr %s" % (rc, err))
        found = [json.loads(line) for line in out.splitlines()]
        got = [(x["detector"], x["start"], x["end"], x["line"], x["masked"]) for x in found]
        want = [
            ("financial.payment_card", TEXT.index(CARD), TEXT.index(CARD) + len(CARD), 2, "****0366"),
            ("pii.email", TEXT.index(EMAIL), TEXT.index(EMAIL) + len(EMAIL), 3, "m***@***.io"),
            ("secret.github_token", TEXT.index(TOKEN), TEXT.index(TOKEN) + len(TOKEN), 4, "ghp_***"),
        ]
        check(got == want, "findings differ:\n got %s\nwant %s" % (got, want))
        for x in found:
            check(x["file"] == doc and len(x["fingerprint"]) == 64, "record fields: %s" % x)
        for value in (CARD, CARD.replace(" ", ""), EMAIL, TOKEN):
            check(value not in out and value not in err, "a value leaked into the output")


def test_scan_fingerprint_follows_the_key():
    with tempfile.TemporaryDirectory() as tmp:
        a, b = key_file(tmp, "a.key", b"a" * 32), key_file(tmp, "b.key", b"b" * 32)
        fps = []
        for key, text in ((a, "card " + CARD + "\n"), (a, "card " + CARD.replace(" ", "-") + "\n"),
                          (b, "card " + CARD + "\n")):
            rc, out, _ = run_scan("--key", key, stdin=text.encode())
            check(rc == 1, "exit %d" % rc)
            fps.append(json.loads(out)["fingerprint"])
        check(fps[0] == fps[1], "the same card, spaced or dashed, must fingerprint alike")
        check(fps[0] != fps[2], "another deployment key must give another fingerprint")


def test_scan_exit_statuses_and_text_format():
    with tempfile.TemporaryDirectory() as tmp:
        key = key_file(tmp)
        rc, out, _ = run_scan("--key", key, stdin=b"nothing to see here, order 12345\n")
        check(rc == 0 and out == "", "clean text: exit %d, output %r" % (rc, out))
        rc, out, _ = run_scan("--key", key, "--format", "text", stdin=("x\nmail " + EMAIL + "\n").encode())
        check(rc == 1 and out == "(stdin):2:6: medium pii pii.email m***@***.io\n", "text format: %d %r" % (rc, out))
        rc, _, err = run_scan("--key", key, os.path.join(tmp, "missing.txt"))
        check(rc == 2 and "missing.txt" in err, "missing file: exit %d, %s" % (rc, err))
        rc, _, err = run_scan("--key", key, "--format", "xml")
        check(rc == 2 and "json or text" in err, "bad format: exit %d, %s" % (rc, err))


def test_scan_refuses_a_key_others_can_read():
    with tempfile.TemporaryDirectory() as tmp:
        rc, _, err = run_scan("--key", key_file(tmp, mode=0o644), stdin=b"x")
        check(rc == 2 and "chmod 600" in err, "a 0644 key must be refused: exit %d, %s" % (rc, err))
        rc, _, err = run_scan("--key", key_file(tmp, "short.key", b"k" * 8), stdin=b"x")
        check(rc == 2 and "at least 32 bytes" in err, "a short key must be refused: exit %d, %s" % (rc, err))


def test_classifier_meets_its_targets_on_the_corpus():
    corpus = os.path.join(ROOT, "tests", "corpus", "corpus.jsonl")
    p = subprocess.run([os.path.join(BUILD, "classify-bench"), "quality", corpus, "--check", "-v"],
                       capture_output=True, timeout=300)
    out = p.stdout.decode()
    check(p.returncode == 0, "precision >= 0.99 and recall >= 0.98 per detector:\n%s%s" % (out, p.stderr.decode()))
    check(out.count("\n") > 30, "a row per detector expected:\n%s" % out)


def test_scan_with_a_detectors_file():
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "detectors.yaml")
        with open(conf, "w") as f:
            f.write("disable: [pii.email]\n"
                    "custom:\n"
                    "  - id: custom.project_code\n"
                    "    category: secret\n"
                    "    severity: high\n"
                    "    pattern: 'PRJ-[A-Z]{4}-[0-9]{4}'\n"
                    "    characters: 'A-Z0-9-'\n"
                    "    length: [13, 13]\n"
                    "    mask: prefix:4\n")
        os.chmod(conf, 0o600)
        text = "Codename PRJ-ORCA-2291 ships with %s on the list.\n" % EMAIL
        rc, out, err = run_scan("--key", key_file(tmp), "--detectors", conf, stdin=text.encode())
        found = [json.loads(line) for line in out.splitlines()]
        check(rc == 1 and [(x["detector"], x["severity"], x["start"], x["masked"]) for x in found] ==
              [("custom.project_code", "high", text.index("PRJ-"), "PRJ-***")],
              "custom detector, e-mail disabled: exit %d, %s %s" % (rc, out, err))
        with open(conf, "a") as f:
            f.write("    colour: red\n")
        rc, _, err = run_scan("--key", key_file(tmp), "--detectors", conf, stdin=b"x")
        check(rc == 2 and "detectors.yaml:10: unknown key 'colour'" in err, "bad config: exit %d, %s" % (rc, err))
