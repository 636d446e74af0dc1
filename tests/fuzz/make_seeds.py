#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (tests/fuzz/corpus/<target>/) from the
project's own material: recorded traffic fixtures as connections, corpus
text for the classifier, configuration files, and evidence batches signed
with the key fuzz_batch.c enrolls (seed 32 x 0x07). Deterministic: run it
again and nothing changes."""
import glob
import json
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from evidence_tools import batch, enc_field, heartbeat_stream, sign_checkpoint  # noqa: E402


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def chunks(parts):
    out = bytearray(b"\x00")
    for d, data in parts:
        for i in range(0, len(data), 4000):
            piece = data[i:i + 4000]
            out += bytes([d]) + struct.pack("<H", len(piece)) + piece
    return bytes(out)


def http1_body(msg):
    """The body of a recorded HTTP/1.1 message, de-chunked and decompressed."""
    head, _, body = msg.partition(b"\r\n\r\n")
    headers = head.lower()
    if b"transfer-encoding: chunked" in headers:
        out = bytearray()
        while body:
            size_line, _, body = body.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            out += body[:size]
            body = body[size + 2:]
        body = bytes(out)
    if b"content-encoding: gzip" in headers:
        body = zlib.decompress(body, 47)
    return body


# LLM API flavour numbers of fuzz_llm.c (enum llm_flavor) by fixture, and
# whether the response streams as SSE (mode 2) or NDJSON (mode 3).
LLM_FIXTURES = {"openai_chat_sse": (1, 2), "openai_chat_gzip": (1, 1), "anthropic_sse": (5, 2),
                "ollama_ndjson": (6, 3), "tgi_sse": (9, 2)}


def main():
    for req in sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "*.req"))):
        name = os.path.basename(req)[:-4]
        resp = open(req[:-4] + ".resp", "rb").read()
        request = open(req, "rb").read()
        put("session", name, chunks([(0, request), (1, resp)]))
        if "_h2" in name:  # one direction each, the client's with the preface; 7 and 16 bytes per feed
            put("http2", name + "-client", bytes([1 | 6 << 1]) + request)
            put("http2", name + "-server", bytes([15 << 1]) + resp)
    for name, (flavor, mode) in sorted(LLM_FIXTURES.items()):
        base = os.path.join(ROOT, "tests", "fixtures", name)
        put("llm", name + "-request", bytes([flavor - 1, 0]) + http1_body(open(base + ".req", "rb").read()))
        # 5 bytes per SSE feed: events cut everywhere
        put("llm", name + "-response", bytes([flavor - 1, mode | 4 << 2]) +
            http1_body(open(base + ".resp", "rb").read()))
    # JSON: the streamed events of the fixtures, and the grammar's corners.
    sse = http1_body(open(os.path.join(ROOT, "tests", "fixtures", "openai_chat_sse.resp"), "rb").read())
    events = [line[6:] for line in sse.split(b"\n") if line.startswith(b"data: {")]
    for i, doc in enumerate(events[:3] + events[-2:]):
        put("json", "event-%d" % i, doc)
    # Pairs for re-tokenising by difference: consecutive events of each
    # streamed fixture (A \x01 B), the last pair changing shape.
    for name in ("openai_chat_sse", "anthropic_sse", "ollama_ndjson", "tgi_sse"):
        body = http1_body(open(os.path.join(ROOT, "tests", "fixtures", name + ".resp"), "rb").read())
        docs = [line[line.index(b"{"):] for line in body.split(b"\n") if line.lstrip(b"data: ").startswith(b"{")]
        for i in (1, 2, len(docs) - 1):
            if 0 < i < len(docs):
                put("json", "pair-%s-%d" % (name, i), docs[i - 1] + b"\x01" + docs[i])
    corners = [b'{"a":[1,-0.5e+10,true,false,null,"\\u00e9\\ud83d\\ude00\\n"],"b":{}}', b" [ ] ", b"[01]",
               b'{"a" 1}', b"[1,]", b'"\x01"', b"-", b"1.", b"1e", b"[" * 70 + b"]" * 70, b"{}{}", b"tru"]
    for i, doc in enumerate(corners):
        put("json", "corner-%02d" % i, doc)
    lines = open(os.path.join(ROOT, "tests", "corpus", "corpus.jsonl")).read().splitlines()
    for i, line in enumerate(lines[::400]):
        put("classify", "corpus-%02d" % i, bytes([7 + i]) + json.loads(line)["text"].encode())
    # The shape-only detectors (scanned near their shapes: gate.h), a few
    # values each, cut into pieces that split values and shapes.
    gated = ["financial.payment_card", "financial.iban", "financial.crypto_wallet", "health.dea_number",
             "pii.ssn", "pii.ip_address"]
    records = [json.loads(line) for line in lines]
    for det in gated:
        texts = [r["text"] for r in records if any(l["detector"] == det for l in r["labels"])][:4]
        for piece in (3, 29):
            put("classify", "gated-%s-%d" % (det, piece), bytes([piece]) + "\n".join(texts).encode())
    put("record", "empty", b"")
    put("record", "zeros", bytes(128))
    put("config", "agent", b"selectors:\n  comms: [python3]\nmodel_ports: [8000]\ndetectors:\n"
        b"  disable: [pii.ip_address]\n  severity: { pii.email: low }\n  custom:\n    - id: custom.emp\n"
        b"      category: pii\n      severity: low\n      pattern: 'EMP-[0-9]{6}'\n      characters: 'A-Z0-9-'\n"
        b"      length: [10, 10]\nevidence:\n  spool_max: 64M\noutputs:\n  otlp:\n    url: http://x:4318/v1/logs\n"
        b"    headers: {K: v}\nlimits:\n  max_body: 2M\n")
    put("config", "bad", b"selectors: {all: true\nlimits:\n  max_bodyy: 3\n")
    seed = bytes([7]) * 32
    sid = bytes(range(16))
    _, events, note = heartbeat_stream(seed, 12, sid)
    _, pub = sign_checkpoint(seed, "x", 0, b"\0" * 32)
    put("batch", "first", batch(sid, 0, events[:5], note(5)[0], pub))
    put("batch", "all", batch(sid, 0, events, note(12)[0], pub))
    put("batch", "garbage", b"\x0a\xff\xff garbage")
    put("proof", "event", events[3])
    put("proof", "bundle-ish", enc_field(1, events[0]) + enc_field(2, note(1)[0]))


if __name__ == "__main__":
    main()
