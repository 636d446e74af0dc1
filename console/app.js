// sealtap console: the evidence of one collector, read through its API
// (/v1/*, the caller's role decides) and, for an event, checked here in the
// browser: its bytes against the Merkle inclusion proof, the proof against
// the checkpoint, the checkpoint's Ed25519 signature by the agent's key
// (WebCrypto). Nothing is fetched from anywhere else; no value is ever
// here (the record holds masked previews and fingerprints).
"use strict";

const view = () => document.getElementById("view");

// ---- small helpers ----

// An element with attributes and children; text is always text (never HTML).
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids.flat()) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}

function utc(ns) {
  if (!ns) return "-";
  return new Date(Number(BigInt(ns) / 1000000n)).toISOString().replace(".000Z", "Z");
}

function unixSeconds(dateValue, endOfDay) {
  if (!dateValue) return "";
  const t = Date.parse(dateValue + (endOfDay ? "T23:59:59Z" : "T00:00:00Z"));
  return Number.isFinite(t) ? String(Math.floor(t / 1000) + (endOfDay ? 1 : 0)) : "";
}

class Refused extends Error {}

async function api(path, as) {
  const r = await fetch(path, { credentials: "same-origin" });
  if (r.status === 401) {
    location.href = "/console/login";
    throw new Refused("not signed in");
  }
  if (!r.ok) throw new Error(r.status + ": " + (r.headers.get("X-Sealtap-Reason") || (await r.text())));
  if (as === "json") return r.json();
  if (as === "lines") return (await r.text()).split("\n").filter((l) => l).map((l) => JSON.parse(l));
  return r.text();
}

function hexToBytes(h) {
  if (!/^([0-9a-f]{2})*$/.test(h)) throw new Error("not hex");
  const b = new Uint8Array(h.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(h.substr(2 * i, 2), 16);
  return b;
}

function bytesToHex(b) {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function b64ToBytes(s) {
  const bin = atob(s);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const sha256 = async (b) => new Uint8Array(await crypto.subtle.digest("SHA-256", b));
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// ---- the checks, in the browser ----

// The top-level fields of an Event (evidence.proto) that bind it to its
// place: stream_id (2, bytes) and seq (3, varint). A minimal protobuf walk.
function eventPlace(bytes) {
  let i = 0;
  const varint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      if (i >= bytes.length) throw new Error("truncated varint");
      const b = bytes[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
      if (shift > 63n) throw new Error("varint too long");
    }
  };
  const place = { stream: null, seq: 0n };
  while (i < bytes.length) {
    const key = varint(), field = Number(key >> 3n), type = Number(key & 7n);
    if (type === 0) {
      const v = varint();
      if (field === 3) place.seq = v;
    } else if (type === 2) {
      const n = Number(varint());
      if (i + n > bytes.length) throw new Error("truncated field");
      if (field === 2) place.stream = bytes.slice(i, i + n);
      i += n;
    } else if (type === 1) i += 8;
    else if (type === 5) i += 4;
    else throw new Error("unknown wire type " + type);
  }
  return place;
}

// RFC 9162 2.1.3.2: the root an inclusion proof leads to from a leaf.
async function rootFromProof(index, size, leaf, path) {
  if (index >= size) throw new Error("leaf index past the tree");
  let fn = index, sn = size - 1n, r = leaf;
  for (const p of path) {
    if (sn === 0n) throw new Error("inclusion proof longer than the tree");
    if ((fn & 1n) === 1n || fn === sn) {
      r = await sha256(concat([1], p, r));
      if ((fn & 1n) === 0n) while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = await sha256(concat([1], r, p));
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new Error("inclusion proof shorter than the tree");
  return r;
}

// A C2SP signed note: the body (what is signed, through its last newline)
// and its signature lines.
function parseNote(text) {
  const at = text.indexOf("\n\n");
  if (at < 0) throw new Error("the checkpoint is no signed note");
  const body = text.slice(0, at + 1);
  const sigs = text.slice(at + 2).split("\n").filter((l) => l).map((l) => {
    const m = /^\u2014 (\S+) (\S+)$/.exec(l);
    if (!m) throw new Error("a malformed signature line");
    return { name: m[1], blob: b64ToBytes(m[2]) };
  });
  const lines = body.split("\n");
  if (lines.length < 4 || !/^\d+$/.test(lines[1])) throw new Error("the checkpoint's body is malformed");
  return { body, origin: lines[0], size: BigInt(lines[1]), root: b64ToBytes(lines[2]), sigs };
}

async function verifySignature(note, pub) {
  const name = "sealtap-agent-" + bytesToHex(pub.slice(0, 8));
  const id = (await sha256(concat(new TextEncoder().encode(name), [0x0a, 0x01], pub))).slice(0, 4);
  const sig = note.sigs.find((s) => s.name === name && s.blob.length === 68 && equal(s.blob.slice(0, 4), id));
  if (!sig) throw new Error("the checkpoint carries no signature by " + name);
  let key;
  try {
    key = await crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
  } catch (e) {
    throw new Error("this browser's WebCrypto has no Ed25519: the signature cannot be checked here");
  }
  const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, sig.blob.slice(4), new TextEncoder().encode(note.body));
  if (!ok) throw new Error("the checkpoint's signature by " + name + " does not verify");
  return name;
}

// Every check of one proven event; resolves to the list of what held, or
// throws with the first that did not.
async function checkEvent(proof, ev, stream, seq) {
  const held = [];
  const bytes = b64ToBytes(ev.event);
  const place = eventPlace(bytes);
  if (!place.stream || bytesToHex(place.stream) !== stream || place.seq !== BigInt(seq))
    throw new Error("the event's bytes name another place (stream " + (place.stream ? bytesToHex(place.stream) : "none") +
      ", seq " + place.seq + ") than stream " + stream + " #" + seq);
  held.push("its bytes name stream " + stream.slice(0, 8) + " and sequence number " + seq);
  const note = parseNote(proof.checkpoint);
  if (note.origin !== "sealtap/stream/" + stream) throw new Error("the checkpoint is of another stream: " + note.origin);
  const pub = hexToBytes(proof.agent_public_key);
  const name = await verifySignature(note, pub);
  held.push("the checkpoint (tree size " + note.size + ") is signed by " + name + " (Ed25519)");
  const leaf = await sha256(concat([0], bytes));
  const root = await rootFromProof(BigInt(seq), note.size, leaf, ev.inclusion_proof.map(hexToBytes));
  if (!equal(root, note.root))
    throw new Error("the event is not in the signed tree: its inclusion proof leads to another root " +
      "(the event's bytes, or the proof, differ from what the agent signed)");
  held.push("the Merkle inclusion proof (" + ev.inclusion_proof.length + " hashes) leads from its bytes to the signed root");
  return held;
}

// ---- views ----

function setNav(name) {
  for (const a of document.querySelectorAll("header nav a")) a.classList.toggle("on", a.id === "nav-" + name);
}

function periodForm(params, onSubmit) {
  const from = el("input", { type: "date", id: "from", value: params.get("from") || "" });
  const to = el("input", { type: "date", id: "to", value: params.get("to") || "" });
  const f = el("form", { class: "bar" }, el("label", {}, "from (UTC)", from), el("label", {}, "to (UTC, included)", to),
    el("button", { type: "submit" }, "Show"));
  f.addEventListener("submit", (e) => {
    e.preventDefault();
    onSubmit(from.value, to.value);
  });
  return f;
}

async function overview(params) {
  setNav("overview");
  const from = unixSeconds(params.get("from"), false), to = unixSeconds(params.get("to"), true);
  const q = new URLSearchParams();
  if (from) q.set("from", from);
  if (to) q.set("to", to);
  const src = "/v1/report" + (q.toString() ? "?" + q : "");
  view().replaceChildren(
    el("h1", {}, "Overview"),
    periodForm(params, (f, t) => { location.hash = "#overview?" + new URLSearchParams({ from: f, to: t }); }),
    el("p", {}, "The evidence report of the period, as ", el("code", {}, "sealtap-collector report"), " writes it. ",
      el("a", { href: src, download: "sealtap-report.html", id: "download-report" }, "Download the report"),
      " (self-contained HTML, printable to PDF)."),
    el("iframe", { class: "report", id: "report", src, sandbox: "allow-same-origin", title: "evidence report" }));
}

function eventSummary(e) {
  const f = e.finding || e.policy_violation;
  if (e.finding) return f.detector + " \"" + f.masked + "\" " + (f.direction === "input" ? "in a prompt" : "in an output, " + f.leak);
  if (e.policy_violation) return "rule " + f.rule + ": " + f.detector + " \"" + f.masked + "\"";
  if (e.drift) return e.drift.layer + ": " + e.drift.feature;
  if (e.prompt_change) return e.prompt_change.key;
  if (e.model_change) return e.model_change.previous + " -> " + e.model_change.current;
  if (e.lifecycle) return e.lifecycle.phase;
  return "";
}

async function events(params) {
  setNav("events");
  const kind = el("select", { id: "kind" }, ["", "finding", "policy_violation", "prompt_change", "model_change", "drift",
    "policy_change", "lifecycle", "heartbeat", "coverage", "capture_loss", "gap"].map((k) =>
    el("option", { value: k, ...(k === (params.get("kind") || "") ? { selected: "" } : {}) }, k || "every kind")));
  const form = periodForm(params, (f, t) => {
    location.hash = "#events?" + new URLSearchParams({ kind: kind.value, from: f, to: t });
  });
  form.prepend(el("label", {}, "kind", kind));
  const q = new URLSearchParams({ limit: "500" });
  if (params.get("kind")) q.set("kind", params.get("kind"));
  const since = unixSeconds(params.get("from"), false), until = unixSeconds(params.get("to"), true);
  if (since) q.set("since", since);
  if (until) q.set("until", until);
  const rows = await api("/v1/events?" + q, "lines");
  const table = el("table", { id: "events" }, el("tr", {}, ["time (UTC)", "kind", "node", "evidence", "what", "model"].map((h) => el("th", {}, h))));
  for (const e of rows) {
    const m = e.model || {};
    table.append(el("tr", {}, el("td", {}, utc(e.time_unix_nano)), el("td", {}, e.kind), el("td", {}, e.node),
      el("td", { class: "mono" }, el("a", { href: "#event/" + e.stream + "/" + e.seq }, e.stream.slice(0, 8) + " #" + e.seq)),
      el("td", {}, eventSummary(e)), el("td", {}, m.reported || m.requested || "")));
  }
  if (!rows.length) table.append(el("tr", {}, el("td", { colspan: 6, class: "none" }, "no events")));
  view().replaceChildren(el("h1", {}, "Events"), form,
    el("p", { class: "none" }, rows.length + " event(s)" + (rows.length === 500 ? " (the first 500: narrow the period)" : "")), table);
}

// Every field of the event's JSON, as path -> value rows.
function fieldRows(obj, prefix, out) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? prefix + "." + k : k;
    if (v && typeof v === "object" && !Array.isArray(v)) fieldRows(v, key, out);
    else out.push(el("tr", {}, el("th", {}, key), el("td", { class: "mono" }, Array.isArray(v) ? JSON.stringify(v) : String(v))));
  }
  return out;
}

async function eventView(stream, seq) {
  setNav("events");
  if (!/^[0-9a-f]{32}$/.test(stream) || !/^\d+$/.test(seq)) throw new Error("an event is #event/STREAM(32 hex)/SEQ");
  const proofUrl = "/v1/proof?" + new URLSearchParams({ stream, from: seq, to: String(BigInt(seq) + 1n) });
  const status = el("div", { class: "status", id: "verification" }, "Checking in this browser…");
  view().replaceChildren(el("h1", {}, "Event " + stream.slice(0, 8) + " #" + seq), status);
  let proof, ev;
  try {
    proof = await api(proofUrl + "&format=json", "json");
    ev = proof.events[0];
  } catch (e) {
    if (e instanceof Refused) throw e;
    status.className = "status bad";
    status.replaceChildren(el("span", { class: "bad", id: "verdict" }, "FAILING"), ": the collector gave no proof: " + e.message);
    return;
  }
  try {
    const held = await checkEvent(proof, ev, stream, seq);
    status.className = "status ok";
    status.replaceChildren(el("span", { class: "ok", id: "verdict" }, "VERIFIED in this browser"),
      el("ul", { class: "checks" }, held.map((h) => el("li", {}, h))));
  } catch (e) {
    status.className = "status bad";
    status.replaceChildren(el("span", { class: "bad", id: "verdict" }, "FAILING"), ": ", el("span", { id: "reason" }, e.message));
  }
  const f = ev.fields;
  view().append(
    el("p", {}, "Agent key ", el("code", {}, proof.agent_public_key),
      " (compare it with your enrollment record: ", el("code", {}, "sealtap-collector agents"), "). ",
      el("a", { href: proofUrl, download: "sealtap-proof-" + stream.slice(0, 8) + "-" + seq + ".pb", id: "download-proof" }, "Download its proof bundle"),
      " (", el("code", {}, "sealtap-collector verify --proof FILE --key AGENT_KEY"), ")."),
    el("h2", {}, "Fields"), el("table", { id: "fields" }, fieldRows(f, "", [])));
  const fp = (f.finding || f.policy_violation || {}).fingerprint;
  if (fp) view().append(el("p", {}, el("a", { href: "#lineage/" + fp }, "Where else this value went (lineage)")));
  view().append(rangeForm(stream, seq));
}

function rangeForm(stream, seq) {
  const from = el("input", { type: "number", min: "0", value: seq, id: "range-from" });
  const to = el("input", { type: "number", min: "1", value: String(Number(seq) + 1), id: "range-to" });
  const link = el("a", { id: "download-range" }, "Download");
  const update = () => {
    link.href = "/v1/proof?" + new URLSearchParams({ stream, from: from.value, to: to.value });
    link.download = "sealtap-proof-" + stream.slice(0, 8) + "-" + from.value + "-" + to.value + ".pb";
  };
  from.addEventListener("input", update);
  to.addEventListener("input", update);
  update();
  return el("div", {}, el("h2", {}, "A proof bundle for a range of this stream"),
    el("form", { class: "bar" }, el("label", {}, "from (sequence number)", from), el("label", {}, "to (not included)", to), link));
}

async function lineage(fp) {
  setNav("lineage");
  const input = el("input", { id: "fingerprint", size: 70, placeholder: "64 hex digits, as a finding shows it", value: fp || "" });
  const form = el("form", { class: "bar" }, el("label", {}, "fingerprint", input), el("button", { type: "submit" }, "Follow"));
  form.addEventListener("submit", (e) => { e.preventDefault(); location.hash = "#lineage/" + input.value.trim(); });
  view().replaceChildren(el("h1", {}, "Lineage of a value"), form);
  if (!fp) return;
  if (!/^[0-9a-f]{64}$/.test(fp)) throw new Error("a fingerprint is 64 hex digits");
  const lines = await api("/v1/lineage/" + fp, "lines");
  const summary = lines.find((l) => l.type === "lineage");
  const table = el("table", { id: "lineage" }, el("tr", {}, ["time (UTC)", "node", "evidence", "kind", "what", "model"].map((h) => el("th", {}, h))));
  for (const e of lines.filter((l) => l.type === "evidence")) {
    const m = e.model || {};
    table.append(el("tr", {}, el("td", {}, utc(e.time_unix_nano)), el("td", {}, e.node),
      el("td", { class: "mono" }, el("a", { href: "#event/" + e.stream + "/" + e.seq }, e.stream.slice(0, 8) + " #" + e.seq)),
      el("td", {}, e.kind), el("td", {}, eventSummary(e)), el("td", {}, m.reported || m.requested || "")));
  }
  view().append(
    summary ? el("p", { id: "lineage-summary" }, summary.events + " event(s): " + summary.inputs + " in prompts; outputs " +
      summary.outputs.echo + " echo, " + summary.outputs.novel + " novel, " + summary.outputs.cross_identity +
      " cross-identity; " + summary.policy_violations + " policy violation(s); nodes " + summary.nodes.join(", ")) : "",
    table,
    el("p", {}, el("a", { href: "/v1/lineage/" + fp + "?proof=1", download: "sealtap-lineage-" + fp.slice(0, 8) + ".pb", id: "download-lineage" },
      "Download the lineage bundle"), " (", el("code", {}, "sealtap-collector verify --proof FILE --key KEY_A,KEY_B"), ")."));
}

async function route() {
  const hash = location.hash.slice(1) || "overview";
  const [path, query] = hash.split("?");
  const parts = path.split("/");
  const params = new URLSearchParams(query || "");
  try {
    if (parts[0] === "events") await events(params);
    else if (parts[0] === "event") await eventView(parts[1] || "", parts[2] || "");
    else if (parts[0] === "lineage") await lineage(parts[1] || "");
    else await overview(params);
  } catch (e) {
    if (e instanceof Refused) return;
    view().append(el("p", { class: "bad", id: "error" }, e.message));
  }
}

window.addEventListener("hashchange", route);
route();
