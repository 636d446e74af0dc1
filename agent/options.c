// SPDX-License-Identifier: Apache-2.0
#include "options.h"

#include <stddef.h>

#define AT(field) offsetof(struct agent_options, field)

/* In the order --help shows them; a heading starts each section. The
 * configuration file's keys are dotted by section. */
const struct opt_def agent_option_defs[] = {
	OPT_HEADING("Selection (any match selects a process; probes are attached per process):"),
	{ "pid", AOPT_PID, "PID", "selectors.pids", YOPT_LIST, .help = "a process id (repeatable)" },
	{ "comm", AOPT_COMM, "NAME", "selectors.comms", YOPT_LIST, .help = "a command name, exact (repeatable)" },
	{ "exe", AOPT_EXE, "PATH", "selectors.exes", YOPT_LIST,
	  .help = "an executable path as the process sees it (repeatable)" },
	{ "cgroup", AOPT_CGROUP, "TEXT", "selectors.cgroups", YOPT_LIST,
	  .help = "a cgroup path substring: container id, pod UID (repeatable)" },
	{ "all", AOPT_ALL, NULL, "selectors.all", YOPT_FLAG, OPT_STORE_BOOL, AT(sel.all),
	  .help = "every process on the host" },
	{ "no-plain-sockets", AOPT_NO_PLAIN, NULL, "capture.plain_sockets", YOPT_NEGATED, OPT_STORE_BOOL,
	  AT(no_plain),
	  .help = "only TLS: not the plain HTTP on the selected processes' TCP and Unix\n"
		  "sockets (watched by default; TLS never twice). While on, every socket\n"
		  "transfer on the host pays one array load (docs/perf/2026-12-03-plain-sockets.md)" },

	OPT_HEADING("Output:"),
	{ "output", AOPT_OUTPUT, "FORMAT", "output", YOPT_SCALAR, .expect = "'auto', 'json' or 'human'",
	  .help = "events on standard output: human (one line a person reads per\n"
		  "finding, violation, drift alert and change, and a short summary),\n"
		  "json (one JSON object per line) or auto (default: human on a\n"
		  "terminal, json otherwise). Colours only on a terminal; NO_COLOR=1\n"
		  "turns them off" },
	{ "dump", AOPT_DUMP, "WHAT", .expect = "'capture' or 'exchanges'",
	  .help = "capture: every captured chunk as a JSON line, WITH PLAINTEXT;\n"
		  "exchanges: every model API exchange as a JSON line, WITH PROMPTS\n"
		  "AND COMPLETIONS (both dumps may be given)" },
	{ "model-port", AOPT_MODELPORT, "PORT", "model_ports", YOPT_LIST, .min = 1, .max = 65535,
	  .expect = "a port number",
	  .help = "POSTs to this server port are model calls whatever their path;\n"
		  "the API is told from the body (repeatable)" },
	{ "model-process", AOPT_MODELPROC, "NAME", "model_processes", YOPT_LIST,
	  .expect = "a command name (1-15 bytes)",
	  .help = "the same for POSTs to or from processes of this command name" },
	{ "stats-interval", AOPT_STATS, "S", "stats_interval", YOPT_SCALAR, OPT_STORE_DOUBLE, AT(stats_interval_s),
	  0, 1e9, "seconds >= 0", "print a stats line every S seconds (default 10; 0: at exit)" },
	{ "metrics", AOPT_METRICS, "ADDR:PORT", "metrics.listen", YOPT_SCALAR, OPT_STORE_STRING, AT(metrics_listen),
	  .help = "Prometheus metrics on GET /metrics (e.g. 127.0.0.1:9464)" },

	OPT_HEADING("Configuration (the file's settings first; the command line overrides them):"),
	{ "config", AOPT_CONFIG, "FILE", .store = OPT_STORE_STRING, .offset = AT(config_path),
	  .help = "a YAML file of these settings (see docs/agent-options.md); SIGHUP\n"
		  "reloads it" },
	{ "check-config", AOPT_CHECK_CONFIG, "FILE",
	  .help = "check the file and the policy files it names, print its digest, exit" },
	/* The file's detectors section: the option gets the file's path, and
	 * detector_config reads the section from it. */
	{ "detectors-section", AOPT_DETECTORS_SECTION, "FILE", "detectors", YOPT_RAW, OPT_STORE_STRING,
	  AT(detectors_section), .expect = "a mapping (disable, severity, custom)",
	  .help = "the detectors section: disable, severity, custom, as in a --detectors file" },
	{ "routing-section", AOPT_ROUTING_SECTION, "FILE", "routing", YOPT_RAW, OPT_STORE_STRING, AT(routing_section),
	  .expect = "a mapping (rules)", .help = "the routing section: rules, as in a --routing file" },

	OPT_HEADING("Classification (findings are JSON lines: masked values and fingerprints, never values):"),
	{ "detectors", AOPT_DETECTORS, "FILE", "detectors_file", YOPT_SCALAR, OPT_STORE_STRING, AT(detectors_file),
	  .help = "YAML: built-ins to disable, severities, custom detectors" },
	{ "routing", AOPT_ROUTING, "FILE", "routing_file", YOPT_SCALAR, OPT_STORE_STRING, AT(routing_file),
	  .help = "YAML: the data-routing policy, which categories, detectors or\n"
		  "severities each model may receive and produce; a finding that\n"
		  "breaks a rule is a policy_violation (SIGHUP reloads it)" },
	{ "fingerprint-key", AOPT_FPKEY, "FILE", "classification.fingerprint_key", YOPT_SCALAR, OPT_STORE_STRING,
	  AT(fingerprint_key),
	  .help = "HMAC key for fingerprints, created (mode 0600) if missing\n"
		  "(default STATE_DIR/fingerprint.key)" },
	{ "leak-window", AOPT_LEAKWINDOW, "S", "classification.leak_window", YOPT_SCALAR, OPT_STORE_DOUBLE,
	  AT(leak_window_s), 1, 1e8, "seconds >= 1",
	  "a prompt value counts for cross_identity this long (default 3600)" },
	{ "leak-slots", AOPT_LEAKSLOTS, "N", "classification.leak_slots", YOPT_SCALAR, OPT_STORE_ULONG,
	  AT(leak_slots), 16, 1 << 24, "16 to 16777216",
	  "prompt values remembered across exchanges (default 16384)" },

	OPT_HEADING("Evidence (findings signed and chained; see docs/operator-guide.md):"),
	{ "state-dir", AOPT_STATEDIR, "DIR", "evidence.state_dir", YOPT_SCALAR, OPT_STORE_STRING, AT(state_dir),
	  .help = "keys and the evidence spool (default /var/lib/sealtap)" },
	{ "spool-max", AOPT_SPOOLMAX, "B", "evidence.spool_max", YOPT_SCALAR, OPT_STORE_ULONG, AT(spool_max),
	  1 << 20, 1e13, "bytes, at least 1 MiB",
	  "spool size; past it events are dropped and counted (default 256 MiB)" },
	{ "node", AOPT_NODE, "NAME", "evidence.node", YOPT_SCALAR, OPT_STORE_STRING, AT(node),
	  .help = "this host's name in events (default: the hostname)" },
	{ "heartbeat-interval", AOPT_HEARTBEAT, "S", "evidence.heartbeat_interval", YOPT_SCALAR, .min = 0,
	  .max = 1e7, .expect = "seconds, 0 or at least 1",
	  .help = "a heartbeat event (what was watched) every S seconds\n"
		  "(default 60; 0: none). Capture losses are recorded as they happen." },
	{ "collector", AOPT_COLLECTOR, "URL", "collector.url", YOPT_SCALAR,
	  .expect = "https://HOST:PORT/v1/batches (plain http only on loopback)",
	  .help = "ship evidence to https://HOST:PORT/v1/batches" },
	{ "collector-ca", AOPT_COLLECTOR_CA, "F", "collector.ca", YOPT_SCALAR, OPT_STORE_STRING, AT(ship.ca_file),
	  .help = "the collector's CA certificate (default: the system's)" },
	{ "collector-cert", AOPT_COLLECTOR_CERT, "F", "collector.cert", YOPT_SCALAR, OPT_STORE_STRING,
	  AT(ship.cert_file), .help = "client certificate for mutual TLS" },
	{ "collector-key", AOPT_COLLECTOR_KEY, "F", "collector.key", YOPT_SCALAR, OPT_STORE_STRING,
	  AT(ship.key_file), .help = "its private key" },
	{ "collector-pubkey", AOPT_COLLECTOR_PUBKEY, "HEX", "collector.public_key", YOPT_SCALAR,
	  .expect = "the collector's 64-hex-digit Ed25519 public key",
	  .help = "the collector's Ed25519 key: an acknowledgement releases the\n"
		  "spool only if it carries the checkpoint cosigned with this key" },
	{ "evidence-json", AOPT_EVIDENCE_JSON, "FILE", "outputs.evidence_json", YOPT_SCALAR, OPT_STORE_STRING,
	  AT(copy.json_path), .help = "a copy of every evidence event as a JSON line ('-': stdout)" },
	{ "otlp-logs", AOPT_OTLP, "URL", "outputs.otlp.url", YOPT_SCALAR,
	  .expect = "http(s)://HOST:PORT/v1/logs",
	  .help = "a copy of every event as an OTLP/HTTP log record (http(s)://H:4318/v1/logs)" },
	{ "otlp-ca", AOPT_OTLP_CA, "F", "outputs.otlp.ca", YOPT_SCALAR, OPT_STORE_STRING, AT(copy.otlp.ca_file),
	  .help = "the OTLP receiver's CA certificate" },
	{ "otlp-header", AOPT_OTLP_HEADER, "'NAME: VALUE'", "outputs.otlp.headers", YOPT_MAP,
	  .expect = "'Name: value'", .help = "a header sent with the records, e.g. an API key (repeatable)" },

	OPT_HEADING("Drift (per serving identity, endpoint and model; state in STATE_DIR/drift.state):"),
	{ "drift-banned", AOPT_DRIFT_BANNED, "FILE", "drift.banned", YOPT_SCALAR, OPT_STORE_STRING, AT(drift_banned),
	  .help = "phrases (or re:PATTERN), one per line, raised at once in outputs" },
	{ "drift-refusals", AOPT_DRIFT_REFUSALS, "FILE", "drift.refusals", YOPT_SCALAR, OPT_STORE_STRING,
	  AT(drift_refusals), .help = "the refusal lexicon, one phrase per line (default: built in)" },
	{ "drift-keys", AOPT_DRIFT_KEYS, "N", "drift.keys", YOPT_SCALAR, OPT_STORE_ULONG, AT(drift_keys), 1, 1 << 16,
	  "1 to 65536", "keys tracked at once (default 128, ~50 KiB each)" },
	{ "drift-rate-shift", AOPT_DRIFT_SHIFT, "P", "drift.rate_shift", YOPT_SCALAR, OPT_STORE_DOUBLE,
	  AT(drift_rate_shift), 0.001, 0.5, "a rate between 0.001 and 0.5",
	  "smallest rate change worth an alert (default 0.03)" },
	{ "no-drift", AOPT_NO_DRIFT, NULL, "drift.enabled", YOPT_NEGATED, OPT_STORE_BOOL, AT(no_drift),
	  .help = "measure nothing" },

	OPT_HEADING("Limits and tuning:"),
	{ "duration", AOPT_DURATION, "S", .store = OPT_STORE_DOUBLE, .offset = AT(duration_s), .min = 0.001,
	  .max = 1e9, .expect = "seconds > 0", .help = "stop after S seconds" },
	{ "ringbuf-size", AOPT_RINGBUF, "B", "limits.ringbuf_size", YOPT_SCALAR, .min = 4096, .max = 1u << 30,
	  .expect = "a power of two from 4096 to 1 GiB",
	  .help = "ring buffer bytes, a power of two >= 4096 (default 8 MiB)" },
	{ "wakeup-bytes", AOPT_WAKEUP, "B", "limits.wakeup_bytes", YOPT_SCALAR, OPT_STORE_ULONG, AT(wakeup_bytes), 0,
	  1u << 30, "bytes", "queued bytes that wake the consumer early (default 64 KiB)" },
	{ "max-conns", AOPT_MAXCONNS, "N", "limits.max_conns", YOPT_SCALAR, OPT_STORE_ULONG, AT(max_conns), 16,
	  1 << 24, "16 to 16777216", "connections tracked at once (default 65536)" },
	{ "idle-timeout", AOPT_IDLE, "S", "limits.idle_timeout", YOPT_SCALAR, OPT_STORE_DOUBLE, AT(idle_timeout_s), 0,
	  1e7, "seconds >= 0", "drop connections with no data for S seconds (default 300; 0: never)" },
	{ "max-body", AOPT_MAXBODY, "B", "limits.max_body", YOPT_SCALAR, OPT_STORE_ULONG, AT(max_body), 1024,
	  1u << 30, "1024 bytes to 1 GiB", "bytes kept of a request or whole response body (default 4 MiB)" },
	{ "verbose", AOPT_VERBOSE, .store = OPT_STORE_BOOL, .offset = AT(verbose), .help = "libbpf diagnostics (-v)" },
	{ "version", AOPT_VERSION, .help = "print the version and exit" },
	{ "help", AOPT_HELP, .help = "this text (-h)" },
	/* docs/agent-options.md is this table, printed by the agent itself. */
	{ "options-reference", AOPT_OPTIONS_REFERENCE, .help = NULL },
	OPT_END,
};

void agent_options_init(struct agent_options *o)
{
	*o = (struct agent_options){
		.stats_interval_s = 10,
		.ringbuf_bytes = 8ul << 20, /* a burst buffer: the consumer drains it continuously */
		.wakeup_bytes = 64ul << 10,
		.max_conns = 65536,
		.idle_timeout_s = 300,
		.max_body = 4ul << 20,
		.state_dir = "/var/lib/sealtap",
		.spool_max = 256ul << 20,
		.heartbeat_s = 60,
		.leak_window_s = 3600,
		.leak_slots = 16384,
	};
}
