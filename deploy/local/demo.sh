#!/usr/bin/env bash
# make demo: sealtap catching leaks from a model, in two minutes, on this
# host. A collector, a small OpenAI-compatible model server (TLS, streaming)
# and the agent watching that server; three requests a security team
# worries about; then the record is verified and one value's lineage is
# followed. Everything lives under STATE (a new directory each run) and is
# left there for a look afterwards.
#
# usage: demo.sh [BUILD]    env: STATE, STORE, COLLECTOR_PORT, MODEL_PORT, NO_COLOR
set -euo pipefail
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${STATE:-$(mktemp -d /tmp/sealtap-demo.XXXXXX)}
COLLECTOR_PORT=${COLLECTOR_PORT:-8453}
MODEL_PORT=${MODEL_PORT:-8454}
STORE=${STORE:-$STATE/collector/store.db} # or a postgresql:// URI
AGENT=$BUILD/sealtap-agent
COLLECTOR=$BUILD/sealtap-collector
# Debian's Python (its ssl module is the system's OpenSSL), not another one
# earlier on PATH.
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
umask 077
mkdir -p "$STATE/agent" "$STATE/collector" "$STATE/model"

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then B=$'\033[1m' R=$'\033[0m'; else B= R=; fi
say() { printf '\n%s%s%s\n' "$B" "$*" "$R"; }
note() { printf '  %s\n' "$@"; }

collector_pid= model_pid= agent_pid=
stop_agent() {
	if [ -n "$agent_pid" ]; then
		kill -INT "$agent_pid" 2>/dev/null || true
		wait "$agent_pid" 2>/dev/null || true
		agent_pid=
	fi
}
stop_rest() {
	[ -n "$model_pid" ] && { kill "$model_pid" 2>/dev/null || true; wait "$model_pid" 2>/dev/null || true; }
	model_pid=
	if [ -n "$collector_pid" ]; then
		kill "$collector_pid" 2>/dev/null || true
		wait "$collector_pid" 2>/dev/null || true
		collector_pid=
		say "The collector stopped:"
		tail -n 1 "$STATE/collector/log"
	fi
}
cleanup_hint() {
	say "Everything the demo made is in $STATE:"
	note "the store: $STORE ($COLLECTOR query --store $STORE)" \
	     "the agent's keys, spool and coverage account: $STATE/agent" \
	     "remove it all with: rm -rf $STATE"
}
# Ctrl-C reaches the agent too, which signs and ships its last batch; the
# model and the collector (started in the background, so they ignore the
# interrupt) are stopped after it.
on_interrupt() {
	trap - INT
	say "Interrupted: stopping the agent, the model and the collector."
	stop_agent
	stop_rest
	cleanup_hint
	exit 0
}
trap on_interrupt INT
trap 'stop_agent; stop_rest' EXIT

# Waits up to $2 seconds for a line matching $1 (grep -E) in file $3,
# failing early if process $4 ended.
wait_for() {
	local pattern=$1 seconds=$2 file=$3 pid=${4:-} i
	for ((i = 0; i < seconds * 10; i++)); do
		grep -Eq -- "$pattern" "$file" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
		sleep 0.1
	done
	return 1
}
fail() { printf 'demo: %s\n' "$*" >&2; exit 1; }

say "sealtap demo: state in $STATE"
# Certificates: the collector's, and the model server's (named localhost
# and api.openai.com, for the third request).
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	-keyout "$STATE/collector/key.pem" -out "$STATE/collector/cert.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=demo-model \
	-addext "subjectAltName=DNS:localhost,DNS:api.openai.com" \
	-keyout "$STATE/model/key.pem" -out "$STATE/model/cert.pem" 2>/dev/null
install -m 0644 "$HERE/../policy/routing.yaml" "$STATE/agent/routing.yaml"
"$AGENT" keys --state-dir "$STATE/agent" > "$STATE/collector/allow"
COLLECTOR_KEY=$("$COLLECTOR" key --state-dir "$STATE/collector")

say "Starting a collector on 127.0.0.1:$COLLECTOR_PORT (the agent's key is on its allow list)"
"$COLLECTOR" serve --store "$STORE" --allow "$STATE/collector/allow" --listen "127.0.0.1:$COLLECTOR_PORT" \
	--tls-cert "$STATE/collector/cert.pem" --tls-key "$STATE/collector/key.pem" \
	--state-dir "$STATE/collector" 2> "$STATE/collector/log" &
collector_pid=$!
wait_for "listening on" 10 "$STATE/collector/log" "$collector_pid" || fail "the collector did not start: $(cat "$STATE/collector/log")"

say "Starting the model: an OpenAI-compatible server on https://localhost:$MODEL_PORT (Python, OpenSSL)"
"$PYTHON" "$HERE/demo_model.py" "$MODEL_PORT" "$STATE/model/cert.pem" "$STATE/model/key.pem" > "$STATE/model/log" 2>&1 &
model_pid=$!
wait_for "^ready" 10 "$STATE/model/log" "$model_pid" || fail "the model did not start: $(cat "$STATE/model/log")"

say "Starting the agent on the model's process (pid $model_pid): it attaches to its OpenSSL and sockets"
# Its lines are shown here; the demo waits for each event in the JSON copy
# of the evidence it also writes (--evidence-json), and for its start in a
# copy of stderr (which ignores Ctrl-C, so the agent's last lines still
# show after one).
"$AGENT" --pid "$model_pid" --state-dir "$STATE/agent" --routing "$STATE/agent/routing.yaml" \
	--collector "https://127.0.0.1:$COLLECTOR_PORT/v1/batches" --collector-ca "$STATE/collector/cert.pem" \
	--collector-pubkey "$COLLECTOR_KEY" --evidence-json "$STATE/agent/evidence.jsonl" --output human \
	--stats-interval 0 2> >(trap '' INT; exec tee "$STATE/agent/log" >&2) &
agent_pid=$!
wait_for "sealtap-agent: ready" 30 "$STATE/agent/log" "$agent_pid" || fail "the agent did not start"

ask() { # URL, JSON body; curl checks the model's certificate
	curl -sS --fail --cacert "$STATE/model/cert.pem" --resolve "api.openai.com:$MODEL_PORT:127.0.0.1" \
		-H 'Content-Type: application/json' -d "$2" "$1" > "$STATE/model/last-answer" ||
		fail "the request to $1 failed"
}
seen() { # waits for the signed event (grep -E on its JSON copy) about the request just made
	wait_for "$1" 15 "$STATE/agent/evidence.jsonl" "$agent_pid" || fail "the agent recorded no event like $1"
	sleep 0.2 # the agent's line for it follows the copy: let it show before the next step's words
}

say "1. A user asks which card a customer has on file. The model streams a card number the prompt never held."
ask "https://localhost:$MODEL_PORT/v1/chat/completions" \
	'{"model":"demo-llm-1","stream":true,"messages":[{"role":"user","content":"Which card does Maria Keller have on file?"}]}'
seen '"detector":"financial\.payment_card".*"leak":"novel"'

say "2. A support agent asks for a reply to a customer whose e-mail address is in the prompt; the model repeats it."
ask "https://localhost:$MODEL_PORT/v1/chat/completions" \
	'{"model":"demo-llm-1","stream":true,"messages":[{"role":"user","content":"Write a reply to maria.keller@northwind-mail.com about her refund."}]}'
seen '"detector":"pii\.email".*"leak":"echo"'

# A token made now: random, so it is no published example.
TOKEN=ghp_$("$PYTHON" -c 'import secrets,string; a=string.ascii_letters+string.digits; print("".join(secrets.choice(a) for _ in range(36)))')
say "3. An application sends a GitHub token to api.openai.com. The demo model answers in its place (curl --resolve),"
note "and the shipped routing policy ($STATE/agent/routing.yaml) forbids secrets to external providers."
ask "https://api.openai.com:$MODEL_PORT/v1/chat/completions" \
	"{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Why is $TOKEN refused by the API?\"}]}"
seen '"kind":"policy_violation"'
unset TOKEN

say "Stopping the agent: it signs a last checkpoint and ships what it holds."
stop_agent

say "Checking the record: sealtap-collector verify"
"$COLLECTOR" verify --store "$STORE" || fail "the record did not verify"
note "verify recomputed every event's link to the one before it, every Merkle root, and every checkpoint" \
     "signature (the agent's, Ed25519) and cosignature (the collector's): nothing was altered, dropped or" \
     "reordered after the agent signed it. A proof bundle (export --proof, lineage --proof) lets an auditor" \
     "check chosen events the same way, offline, with nothing but the agent's public key."

say "Following the e-mail address: sealtap-collector lineage"
FP=$("$COLLECTOR" query --store "$STORE" --kind finding --detector pii.email |
	"$PYTHON" -c 'import json,sys; print(json.loads(sys.stdin.readline())["finding"]["fingerprint"])') ||
	fail "no e-mail finding in the store"
"$COLLECTOR" lineage --store "$STORE" "$FP" > "$STATE/lineage.jsonl" || fail "lineage failed"
# Its JSON lines, in words.
"$PYTHON" - "$STATE/lineage.jsonl" <<'WORDS'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["type"] == "lineage":
        print("  %d events on %s: %d in prompts, then %d echoed, %d novel, %d from another client; %d policy "
              "violations" % (e["events"], ", ".join(e["nodes"]), e["inputs"], e["outputs"]["echo"],
                              e["outputs"]["novel"], e["outputs"]["cross_identity"], e["policy_violations"]))
        continue
    f, m = e.get("finding") or {}, e.get("model") or {}
    where = "a prompt to" if f.get("direction") == "input" else "a completion from"
    print("  stream %s #%d  %-8s %s in %s %s (%s)%s" % (e["stream"][:8], e["seq"], e["kind"], f.get("masked", ""),
          where, m.get("reported") or m.get("requested", "?"), e["identity"]["executable"],
          ", leak " + f["leak"] if f.get("leak") else ""))
WORDS
note "The store never held the address: findings carry a masked preview and a keyed fingerprint" \
     "($FP), the same for" \
     "the same value on every agent that shares the fingerprint key. lineage found every event about the" \
     "value, across agents and nodes, in time order: where it came in, and where it came out again." \
     "(--proof FILE bundles their inclusion proofs for an auditor: verify --proof FILE --key AGENT_KEY.)"

stop_rest
cleanup_hint
trap - EXIT
