#!/bin/sh
# make run: the agent on every process of this host, shipping its evidence
# to a collector on loopback. Keys, a self-signed certificate and the store
# live under STATE (default /var/lib/sealtap-local); made on first run.
set -eu
BUILD=${1:-build}
[ $# -gt 0 ] && shift
STATE=${STATE:-/var/lib/sealtap-local}
PORT=${PORT:-8443}
umask 077
mkdir -p "$STATE/agent" "$STATE/collector"
if [ ! -s "$STATE/collector/cert.pem" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj /CN=localhost \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		-keyout "$STATE/collector/key.pem" -out "$STATE/collector/cert.pem" 2>/dev/null
fi
# The shipped routing policy (deploy/policy/routing.yaml), copied so that
# root owns what the agent reads.
install -m 0644 deploy/policy/routing.yaml "$STATE/agent/routing.yaml"
# An auditor for the console and the read API, made on first run: its
# token stays in a file only root reads, the collector keeps its hash.
if [ ! -s "$STATE/collector/access.yaml" ] || [ ! -s "$STATE/collector/auditor.token" ]; then
	made=$("$BUILD/sealtap-collector" token local-auditor auditor)
	printf '%s\n' "$made" | grep '^sealtap_' > "$STATE/collector/auditor.token"
	{ echo "principals:"; printf '%s\n' "$made" | sed -n '/^  - name:/,$p'; } > "$STATE/collector/access.yaml"
fi
# Enrol this agent: its public key goes on the collector's allow list.
"$BUILD/sealtap-agent" keys --state-dir "$STATE/agent" > "$STATE/collector/allow"
# The collector's key (made here on first run), before the collector starts.
COLLECTOR_KEY=$("$BUILD/sealtap-collector" key --state-dir "$STATE/collector")
"$BUILD/sealtap-collector" serve --store "$STATE/collector/store.db" --allow "$STATE/collector/allow" \
	--listen "127.0.0.1:$PORT" --tls-cert "$STATE/collector/cert.pem" --tls-key "$STATE/collector/key.pem" \
	--state-dir "$STATE/collector" --access "$STATE/collector/access.yaml" &
COLLECTOR=$!
# Ctrl-C reaches the agent, which stops, signs and ships its last batch; the
# collector (started in the background, so it ignores the interrupt) is
# stopped after it, and says what it kept. The shell itself waits for both.
trap ':' INT
trap 'kill $COLLECTOR 2>/dev/null || true; wait $COLLECTOR 2>/dev/null || true' EXIT
trap 'exit 143' TERM
echo "sealtap: evidence goes to $STATE/collector/store.db (collector on 127.0.0.1:$PORT);" >&2
echo "sealtap: check it any time with: $BUILD/sealtap-collector verify --store $STATE/collector/store.db" >&2
echo "sealtap: the console: https://127.0.0.1:$PORT/console (a self-signed certificate; sign in with the token in $STATE/collector/auditor.token)" >&2
status=0
# The agent checks every acknowledgement against the collector's own key.
"$BUILD/sealtap-agent" --all --state-dir "$STATE/agent" --routing "$STATE/agent/routing.yaml" \
	--collector "https://127.0.0.1:$PORT/v1/batches" --collector-ca "$STATE/collector/cert.pem" \
	--collector-pubkey "$COLLECTOR_KEY" "$@" || status=$?
exit $status
