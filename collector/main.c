// SPDX-License-Identifier: Apache-2.0
/*
 * sealtap-collector: receives agents' evidence, verifies it, keeps it.
 *
 *   sealtap-collector serve --store STORE (--allow FILE | --enroll first-use) ...
 *   sealtap-collector verify|export|query|agents|approve|revoke --store STORE ...
 *
 * STORE is an SQLite file or a postgresql:// URI (see usage()).
 *
 * Exit codes (enum sealtap_exit): OK (verify: everything verified), FAILED
 * (verify found problems, or a runtime failure), SETUP (unusable setup).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "access.h"
#include "api.h"
#include "export.h"
#include "hex.h"
#include "http.h"
#include "ingest.h"
#include "keyfile.h"
#include "lineage.h"
#include "period.h"
#include "report.h"
#include "note.h"
#include "opt.h"
#include "paths.h"
#include "store.h"
#include "verify.h"
#include "webhook.h"
#include "yaml_options.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* serve's options, on the command line and in its configuration file
 * (serve --config FILE): one table (proto/opt.h) makes the getopt table,
 * the usage text, the file's keys and docs/collector-options.md. */
struct serve_options {
	const char *store, *allow, *listen, *tls_cert, *tls_key, *client_ca, *state_dir;
	const char *webhook, *webhook_secret, *webhook_severity, *webhook_ca, *config;
	const char *access, *access_section;
	bool plain, first_use;
};

enum serve_option_id {
	SOPT_STORE = 256, SOPT_ALLOW, SOPT_ENROLL, SOPT_STATE_DIR, SOPT_LISTEN, SOPT_TLS_CERT, SOPT_TLS_KEY,
	SOPT_CLIENT_CA, SOPT_PLAIN, SOPT_WEBHOOK, SOPT_WEBHOOK_SECRET, SOPT_WEBHOOK_SEVERITY, SOPT_WEBHOOK_CA,
	SOPT_CONFIG, SOPT_OPTIONS_REFERENCE, SOPT_ACCESS, SOPT_ACCESS_SECTION, SOPT_HELP = 'h',
};

#define SAT(field) offsetof(struct serve_options, field)
static const struct opt_def serve_option_defs[] = {
	OPT_HEADING("serve: where evidence is kept, and who may send it"),
	{ "store", SOPT_STORE, "STORE", "store", YOPT_SCALAR, OPT_STORE_STRING, SAT(store),
	  .help = "an SQLite file, or a PostgreSQL URI (postgresql://...) that replicas share" },
	{ "allow", SOPT_ALLOW, "FILE", "allow", YOPT_SCALAR, OPT_STORE_STRING, SAT(allow),
	  .help = "agent keys that may ship: hex Ed25519 public keys, one per line\n"
		  "(keys approved in the store are accepted too)" },
	{ "enroll", SOPT_ENROLL, "first-use", "enroll", YOPT_SCALAR, .expect = "first-use",
	  .help = "an unknown key is recorded as pending and refused until approved" },
	{ "state-dir", SOPT_STATE_DIR, "DIR", "state_dir", YOPT_SCALAR, OPT_STORE_STRING, SAT(state_dir),
	  .help = "the collector's cosigning key (default /var/lib/sealtap-collector)" },
	OPT_HEADING("serve: how agents reach it"),
	{ "listen", SOPT_LISTEN, "ADDR:PORT", "listen", YOPT_SCALAR, .expect = "ADDR:PORT",
	  .help = "batches are taken on POST /v1/batches here (default 127.0.0.1:8443)" },
	{ "tls-cert", SOPT_TLS_CERT, "PEM", "tls.cert", YOPT_SCALAR, OPT_STORE_STRING, SAT(tls_cert),
	  .help = "the server's certificate" },
	{ "tls-key", SOPT_TLS_KEY, "PEM", "tls.key", YOPT_SCALAR, OPT_STORE_STRING, SAT(tls_key),
	  .help = "its private key" },
	{ "client-ca", SOPT_CLIENT_CA, "PEM", "tls.client_ca", YOPT_SCALAR, OPT_STORE_STRING, SAT(client_ca),
	  .help = "agents must present a client certificate this CA issued" },
	{ "plain", SOPT_PLAIN, NULL, "plain", YOPT_FLAG, OPT_STORE_BOOL, SAT(plain),
	  .help = "plain HTTP instead of TLS (tests; or behind a TLS-terminating proxy)" },
	OPT_HEADING("serve: who may read the evidence (docs/operator-guide.md, Roles and the access log)"),
	{ "access", SOPT_ACCESS, "FILE", "access_file", YOPT_SCALAR, OPT_STORE_STRING, SAT(access),
	  .help = "YAML: principals (a client certificate subject or a bearer\n"
		  "token's SHA-256) and their roles: agent, auditor, admin, monitor;\n"
		  "without it the read API is off" },
	{ "access-section", SOPT_ACCESS_SECTION, "FILE", "access", YOPT_RAW, OPT_STORE_STRING, SAT(access_section),
	  .expect = "a mapping (principals)", .help = "the access section: principals, as in an --access file" },
	OPT_HEADING("serve: alerts"),
	{ "webhook", SOPT_WEBHOOK, "URL", "webhook.url", YOPT_SCALAR, OPT_STORE_STRING, SAT(webhook),
	  .help = "each stored finding at or above --webhook-severity is POSTed as\n"
		  "JSON, retried with backoff" },
	{ "webhook-secret", SOPT_WEBHOOK_SECRET, "FILE", "webhook.secret", YOPT_SCALAR, OPT_STORE_STRING,
	  SAT(webhook_secret),
	  .help = "the key its HMAC-SHA-256 signature is made with\n"
		  "(X-Sealtap-Signature: sha256=HEX)" },
	{ "webhook-severity", SOPT_WEBHOOK_SEVERITY, "S", "webhook.severity", YOPT_SCALAR,
	  .expect = "low, medium, high or critical", .help = "the lowest severity sent (default high)" },
	{ "webhook-ca", SOPT_WEBHOOK_CA, "PEM", "webhook.ca", YOPT_SCALAR, OPT_STORE_STRING, SAT(webhook_ca),
	  .help = "the webhook receiver's CA certificate" },
	OPT_HEADING("serve: configuration"),
	{ "config", SOPT_CONFIG, "FILE", .store = OPT_STORE_STRING, .offset = SAT(config),
	  .help = "a YAML file of these settings (docs/collector-options.md);\n"
		  "the command line overrides it" },
	{ "help", SOPT_HELP, .help = "this text (-h)" },
	/* docs/collector-options.md is this table, printed by the collector. */
	{ "options-reference", SOPT_OPTIONS_REFERENCE, .help = NULL },
	OPT_END,
};

/* The reading commands' options, one table each (proto/opt.h); what is
 * not a plain string or a bounded number is checked where it is used. */
struct command_options {
	const char *store, *stream, *proof, *key, *state_dir;
	const char *kind, *severity, *pod, *model, *detector;
	const char *period_from, *period_to, *out, *collector_key; /* report */
	unsigned long from, to, since, until, limit; /* since, until: Unix seconds */
};

enum command_option_id {
	COPT_STORE = 256, COPT_STREAM, COPT_PROOF, COPT_KEY, COPT_STATE_DIR, COPT_KIND, COPT_SEVERITY, COPT_POD,
	COPT_MODEL, COPT_DETECTOR, COPT_FROM, COPT_TO, COPT_SINCE, COPT_UNTIL, COPT_LIMIT, COPT_OUT,
	COPT_COLLECTOR_KEY,
};

#define CAT(field) offsetof(struct command_options, field)
#define OPT_STORE_PATH                                                                                             \
	{ "store", COPT_STORE, "STORE", .store = OPT_STORE_STRING, .offset = CAT(store),                          \
	  .help = "the store: an SQLite file or a postgresql:// URI" }
#define OPT_SINCE_UNTIL                                                                                            \
	{ "since", COPT_SINCE, "UNIX", .store = OPT_STORE_ULONG, .offset = CAT(since), .max = 1e10,              \
	  .expect = "Unix seconds", .help = "events from this time (Unix seconds)" },                             \
	{ "until", COPT_UNTIL, "UNIX", .store = OPT_STORE_ULONG, .offset = CAT(until), .max = 1e10,              \
	  .expect = "Unix seconds", .help = "events before this time" }

static const struct opt_def verify_option_defs[] = {
	OPT_HEADING("verify: the store checked offline, or a proof bundle with only the agent's key"),
	OPT_STORE_PATH,
	{ "stream", COPT_STREAM, "HEX", .store = OPT_STORE_STRING, .offset = CAT(stream),
	  .help = "only this stream (32 hex digits)" },
	{ "proof", COPT_PROOF, "FILE", .store = OPT_STORE_STRING, .offset = CAT(proof),
	  .help = "a proof bundle (export --proof) to check instead of a store" },
	{ "key", COPT_KEY, "HEX[,HEX...]", .store = OPT_STORE_STRING, .offset = CAT(key),
	  .help = "the agent public key(s) the bundle must be signed with (a\n"
		  "lineage bundle may span agents: give each, comma-separated)" },
	OPT_END,
};

static const struct opt_def lineage_option_defs[] = {
	OPT_HEADING("lineage FINGERPRINT: every stored event carrying one value's fingerprint, in time order"),
	OPT_STORE_PATH,
	{ "proof", COPT_PROOF, "OUT", .store = OPT_STORE_STRING, .offset = CAT(proof),
	  .help = "also write a lineage bundle: each event with its inclusion\n"
		  "proof and the signed checkpoints (verify --proof checks it)" },
	OPT_END,
};

static const struct opt_def export_option_defs[] = {
	OPT_HEADING("export: events as JSON lines by time, or a proof bundle for a range of one stream"),
	OPT_STORE_PATH,
	OPT_SINCE_UNTIL,
	{ "stream", COPT_STREAM, "HEX", .store = OPT_STORE_STRING, .offset = CAT(stream),
	  .help = "the stream of the proof bundle (32 hex digits)" },
	{ "from", COPT_FROM, "SEQ", .store = OPT_STORE_ULONG, .offset = CAT(from), .max = 9e15,
	  .expect = "a sequence number", .help = "the bundle's first event" },
	{ "to", COPT_TO, "SEQ", .store = OPT_STORE_ULONG, .offset = CAT(to), .max = 9e15,
	  .expect = "a sequence number",
	  .help = "the first event after it: the range is half-open, --from 10\n"
		  "--to 20 holds events 10 to 19" },
	{ "proof", COPT_PROOF, "OUT", .store = OPT_STORE_STRING, .offset = CAT(proof),
	  .help = "write the proof bundle here" },
	OPT_END,
};

static const struct opt_def query_option_defs[] = {
	OPT_HEADING("query: events by time, kind, severity, pod, model and detector, as JSON lines"),
	OPT_STORE_PATH,
	OPT_SINCE_UNTIL,
	{ "kind", COPT_KIND, "K", .store = OPT_STORE_STRING, .offset = CAT(kind),
	  .help = "finding, policy_violation, prompt_change, drift, model_change,\n"
		  "policy_change, capture_loss, heartbeat, coverage, ..." },
	{ "severity", COPT_SEVERITY, "S", .store = OPT_STORE_STRING, .offset = CAT(severity),
	  .help = "findings of this severity" },
	{ "pod", COPT_POD, "UID", .store = OPT_STORE_STRING, .offset = CAT(pod), .help = "events about this pod" },
	{ "model", COPT_MODEL, "M", .store = OPT_STORE_STRING, .offset = CAT(model),
	  .help = "events about this model (reported, else requested)" },
	{ "detector", COPT_DETECTOR, "D", .store = OPT_STORE_STRING, .offset = CAT(detector),
	  .help = "findings of this detector" },
	{ "limit", COPT_LIMIT, "N", .store = OPT_STORE_ULONG, .offset = CAT(limit), .max = 1e12,
	  .expect = "a count", .help = "at most N events" },
	OPT_END,
};

static const struct opt_def report_option_defs[] = {
	OPT_HEADING("report: the evidence report of a period, one self-contained HTML document"),
	OPT_STORE_PATH,
	{ "from", COPT_FROM, "T", .store = OPT_STORE_STRING, .offset = CAT(period_from),
	  .help = "the period's start: Unix seconds, or a UTC date or time\n"
		  "(2026-11-01, 2026-11-01T08:00:00Z); default: the first event" },
	{ "to", COPT_TO, "T", .store = OPT_STORE_STRING, .offset = CAT(period_to),
	  .help = "its end, not included (default: now)" },
	{ "out", COPT_OUT, "FILE", .store = OPT_STORE_STRING, .offset = CAT(out),
	  .help = "where the HTML goes (default: standard output)" },
	{ "collector-key", COPT_COLLECTOR_KEY, "HEX", .store = OPT_STORE_STRING, .offset = CAT(collector_key),
	  .help = "the collector's public key (sealtap-collector key): each\n"
		  "checkpoint's cosignature is checked with it" },
	OPT_END,
};

static const struct opt_def key_option_defs[] = {
	OPT_HEADING("key: the collector's public key (agents' --collector-pubkey)"),
	{ "state-dir", COPT_STATE_DIR, "DIR", .store = OPT_STORE_STRING, .offset = CAT(state_dir),
	  .help = "where its key is (default /var/lib/sealtap-collector)" },
	OPT_END,
};

static const struct opt_def agents_option_defs[] = {
	OPT_HEADING("agents, approve KEY, revoke KEY: the agent keys the store knows, and decisions on them"),
	OPT_STORE_PATH,
	OPT_END,
};

static const struct opt_def access_log_option_defs[] = {
	OPT_HEADING("access-log: every call of the read and administration API, as JSON lines"),
	OPT_STORE_PATH,
	OPT_END,
};

static const struct opt_def token_option_defs[] = {
	OPT_HEADING("token NAME ROLE: a new bearer token, and the principal that names its hash"),
	OPT_END,
};

static const struct opt_def *const all_option_defs[] = { serve_option_defs,   verify_option_defs,
							  export_option_defs,  query_option_defs,
							  lineage_option_defs, access_log_option_defs,
							  token_option_defs,   key_option_defs,
							  agents_option_defs,  report_option_defs };

/* argv by a command's table into o (zeroed first, then defaults are the
 * caller's). SEALTAP_EXIT_OK, or SETUP after saying why. */
static int parse_command(const char *cmd, const struct opt_def *defs, int argc, char **argv,
			 struct command_options *o)
{
	struct option opts[24];
	int opt;

	if (opt_getopt_table(defs, opts, sizeof(opts) / sizeof(opts[0])) < 0)
		return SEALTAP_EXIT_FAILED;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const struct opt_def *d = opt_find(defs, opt);

		if (!d) {
			fprintf(stderr, "sealtap-collector %s: unknown option (see sealtap-collector --help)\n", cmd);
			return SEALTAP_EXIT_SETUP;
		}
		if (opt_store(d, optarg, o)) {
			fprintf(stderr, "sealtap-collector %s: --%s %s: expected %s\n", cmd, d->name, optarg,
				d->expect);
			return SEALTAP_EXIT_SETUP;
		}
	}
	return SEALTAP_EXIT_OK;
}

static int usage(FILE *out, int code)
{
	fputs("usage: sealtap-collector serve --store STORE (--allow FILE | --enroll first-use)\n"
	      "                               (--tls-cert PEM --tls-key PEM | --plain) [options below]\n"
	      "       sealtap-collector serve --config FILE [options]\n"
	      "       sealtap-collector verify --store STORE [--stream HEX]\n"
	      "       sealtap-collector verify --proof FILE --key HEX[,HEX...]\n"
	      "       sealtap-collector export --store STORE [--since UNIX] [--until UNIX]\n"
	      "       sealtap-collector export --store STORE --stream HEX --from SEQ --to SEQ --proof OUT\n"
	      "       sealtap-collector query --store STORE [--since UNIX] [--until UNIX] [--kind K] [--severity S]\n"
	      "                               [--pod UID] [--model M] [--detector D] [--limit N]\n"
	      "       sealtap-collector lineage --store STORE [--proof OUT] FINGERPRINT\n"
	      "       sealtap-collector report --store STORE [--from T] [--to T] [--out FILE] [--collector-key HEX]\n"
	      "       sealtap-collector access-log --store STORE\n"
	      "       sealtap-collector token NAME ROLE\n"
	      "       sealtap-collector key [--state-dir DIR]\n"
	      "       sealtap-collector agents --store STORE\n"
	      "       sealtap-collector approve|revoke --store STORE KEY\n"
	      "\n"
	      "STORE    an SQLite file, or a PostgreSQL URI (postgresql://...) that replicas share.\n"
	      "serve    takes agents' batches on POST /v1/batches, verifies signatures, chains and Merkle\n"
	      "         roots, keeps them and answers with a cosigned checkpoint.\n"
	      "key      prints the collector's public key (agents' --collector-pubkey).\n"
	      "agents   lists the agent keys the store knows: pending, approved, revoked.\n"
	      "approve  lets a pending (or any) key ship; revoke refuses it from then on, even if listed.\n"
	      "verify   checks the whole store offline; names the first bad record of each stream.\n"
	      "         With --proof, checks a proof bundle with nothing but the agent's public key.\n"
	      "export   events as JSON lines (by time), or a proof bundle for a range of one stream.\n"
	      "query    events by time, kind, severity, pod, model and detector, as JSON lines.\n"
	      "access-log  who called the read and administration API, and what it was given.\n"
	      "token    makes a bearer token for a principal (printed once; the collector keeps its hash).\n"
	      "lineage  where one value went: every event carrying its fingerprint (64 hex digits, as\n"
	      "         findings show it), across agents and nodes, by time; --proof bundles their proofs.\n"
	      "report   the evidence report of a period: what was watched, found and verified, mapped to\n"
	      "         SOC 2 criteria, with the commands to check it; self-contained HTML, printable to PDF.\n",
	      out);
	for (size_t i = 0; i < sizeof(all_option_defs) / sizeof(all_option_defs[0]); i++)
		opt_usage(out, all_option_defs[i]);
	return code;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1 << 20) && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n)
		buf[n] = '\0';
	else
		free(buf), buf = NULL;
	fclose(f);
	return buf;
}

/* The collector's cosigning key (STATE_DIR/collector.key, made on first
 * use, mode 0600); the key name carries the public key's first bytes. */
static struct note_signer *collector_signer(const char *state_dir, uint8_t pub[NOTE_PUBKEY],
					    char name[NOTE_NAME_MAX])
{
	char keypath[PATH_BUF], err[512];
	uint8_t seed[64];
	struct note_signer *signer;

	if (mkdir(state_dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "sealtap-collector: %s: %s\n", state_dir, strerror(errno));
		return NULL;
	}
	snprintf(keypath, sizeof(keypath), "%s/collector.key", state_dir);
	if (keyfile_load(keypath, true, seed, sizeof(seed), err, sizeof(err)) < 0) {
		fprintf(stderr, "sealtap-collector: key: %s\n", err);
		return NULL;
	}
	signer = note_signer_new("k", seed);
	if (signer) {
		note_signer_public(signer, pub);
		note_signer_free(signer);
		note_key_name("collector", pub, name);
		signer = note_signer_new(name, seed);
	}
	OPENSSL_cleanse(seed, sizeof(seed));
	if (!signer)
		fprintf(stderr, "sealtap-collector: collector key unusable\n");
	return signer;
}

/* key: the public key agents check acknowledgements with (--collector-pubkey). */
static int key_cmd(int argc, char **argv)
{
	struct command_options o = { .state_dir = "/var/lib/sealtap-collector" };
	char name[NOTE_NAME_MAX], hex[2 * NOTE_PUBKEY + 1];
	uint8_t pub[NOTE_PUBKEY];
	struct note_signer *signer;
	int rc = parse_command("key", key_option_defs, argc, argv, &o);

	if (rc)
		return rc;
	signer = collector_signer(o.state_dir, pub, name);
	if (!signer)
		return SEALTAP_EXIT_SETUP;
	note_signer_free(signer);
	hex_encode(pub, NOTE_PUBKEY, hex);
	printf("%s\n", hex);
	return SEALTAP_EXIT_OK;
}


/* serve --config FILE: the file's options first. Returns the argv to
 * parse (argv itself when there is no file), or NULL after saying why. */
static char **with_config(int argc, char **argv, struct yopt_args *cfg, int *out_argc)
{
	const char *path = NULL;
	char err[1024], **merged;

	*out_argc = argc;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			path = argv[i + 1];
		else if (!strncmp(argv[i], "--config=", 9))
			path = argv[i] + 9;
	}
	if (!path)
		return argv;
	if (yopt_load(path, serve_option_defs, cfg, err, sizeof(err))) {
		fprintf(stderr, "sealtap-collector: %s\n", err);
		return NULL;
	}
	merged = yopt_merge(argc, argv, cfg, out_argc);
	if (!merged)
		fprintf(stderr, "sealtap-collector: out of memory\n");
	return merged;
}

/* "FILE:LINE: " when the option at index i came from the file. */
static const char *origin(const struct yopt_args *cfg, int i, char *buf, size_t n)
{
	if (cfg->n && i >= 1 && i <= cfg->n)
		snprintf(buf, n, "%s:%u: ", cfg->path, cfg->line[i - 1]);
	else
		buf[0] = '\0';
	return buf;
}

/* What a store holds, for the last words of serve. */
struct held {
	uint64_t streams, events;
};

static int count_held(void *ctx, const struct stream_row *r)
{
	struct held *h = ctx;

	h->streams++;
	h->events += r->chain.tree.size;
	return 0;
}

static int serve_opts(int argc, char **argv, const struct yopt_args *cfg);

/* "ADDR:PORT" into addr (without the port) and port; -1 if it is not that. */
static int split_listen(const char *listen, char addr[64], unsigned long *port)
{
	char *colon;

	snprintf(addr, 64, "%s", listen);
	colon = strrchr(addr, ':');
	if (!colon || (*port = strtoul(colon + 1, NULL, 10)) == 0 || *port > 65535)
		return -1;
	*colon = '\0';
	return 0;
}

static int serve(int argc, char **argv)
{
	struct yopt_args cfg = { 0 };
	int n, rc;
	char **all = with_config(argc, argv, &cfg, &n);

	if (!all)
		return SEALTAP_EXIT_SETUP;
	rc = serve_opts(n, all, &cfg);
	if (all != argv)
		free(all);
	yopt_release(&cfg);
	return rc;
}

/* "FILE:LINE: --name VALUE: expected ..." (2) for a refused value. */
static int serve_refused(const struct yopt_args *cfg, const struct opt_def *d, const char *arg)
{
	char where[PATH_BUF];

	fprintf(stderr, "sealtap-collector: %s--%s %s: expected %s\n", origin(cfg, optind - 1, where, sizeof(where)),
		d->name, arg ? arg : "", d->expect);
	return SEALTAP_EXIT_SETUP;
}

static int serve_opts(int argc, char **argv, const struct yopt_args *cfg)
{
	static struct option opts[32];
	struct serve_options so = { .listen = "127.0.0.1:8443",
				    .state_dir = "/var/lib/sealtap-collector",
				    .webhook_severity = "high" };
	const char *store_path, *allow_path, *cert, *key, *client_ca, *state_dir;
	const char *webhook_url, *webhook_secret, *webhook_severity, *webhook_ca;
	char *client_ca_pem = NULL;
	char addr[64], err[512], name[NOTE_NAME_MAX], *cert_pem = NULL, *key_pem = NULL;
	char pubhex[2 * NOTE_PUBKEY + 1];
	uint8_t pub[NOTE_PUBKEY];
	struct collector c = { 0 };
	struct access acc = { 0 };
	struct http *h = NULL;
	bool plain;
	int opt, rc = SEALTAP_EXIT_SETUP;
	unsigned long port;

	if (opt_getopt_table(serve_option_defs, opts, sizeof(opts) / sizeof(opts[0])) < 0)
		return SEALTAP_EXIT_FAILED;
	split_listen(so.listen, addr, &port); /* the default; --listen replaces it */
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const struct opt_def *d = opt_find(serve_option_defs, opt);
		int r = d ? opt_store(d, optarg, &so) : -1;

		if (r <= 0 && d) {
			if (r < 0)
				return serve_refused(cfg, d, optarg);
			continue;
		}
		switch (opt) {
		case SOPT_LISTEN:
			so.listen = optarg;
			if (split_listen(so.listen, addr, &port))
				return serve_refused(cfg, d, optarg);
			break;
		case SOPT_WEBHOOK_SEVERITY:
			so.webhook_severity = optarg;
			if (strcmp(optarg, "low") && strcmp(optarg, "medium") && strcmp(optarg, "high") &&
			    strcmp(optarg, "critical"))
				return serve_refused(cfg, d, optarg);
			break;
		case SOPT_ENROLL:
			if (strcmp(optarg, "first-use"))
				return serve_refused(cfg, d, optarg);
			so.first_use = true;
			break;
		case SOPT_HELP: return usage(stdout, SEALTAP_EXIT_OK);
		case SOPT_OPTIONS_REFERENCE:
			fputs("# sealtap-collector options\n\n"
			      "Every option of `sealtap-collector serve`, on the command line and in its configuration file\n"
			      "(`--config FILE`; keys are dotted by section: `tls.cert` is `cert:` under `tls:`; the file is\n"
			      "read first and the command line overrides it), then those of the other commands. This page is\n"
			      "made by `sealtap-collector serve --options-reference` from the collector's option tables\n"
			      "(collector/main.c): `make docs` writes it, and a test fails when it differs.\n\n",
			      stdout);
			for (size_t i = 0; i < sizeof(all_option_defs) / sizeof(all_option_defs[0]); i++)
				opt_markdown(stdout, all_option_defs[i]);
			return SEALTAP_EXIT_OK;
		default: return usage(stderr, SEALTAP_EXIT_SETUP);
		}
	}
	store_path = so.store, allow_path = so.allow, cert = so.tls_cert, key = so.tls_key;
	client_ca = so.client_ca, state_dir = so.state_dir, plain = so.plain, c.first_use = so.first_use;
	webhook_url = so.webhook, webhook_secret = so.webhook_secret, webhook_severity = so.webhook_severity;
	webhook_ca = so.webhook_ca;
	if (!store_path || (!allow_path && !c.first_use) || (!plain && (!cert || !key)))
		return fprintf(stderr, "sealtap-collector serve: --store, --allow or --enroll first-use, and --tls-cert "
				       "with --tls-key (or --plain) are required\n"), SEALTAP_EXIT_SETUP;
	if (client_ca && plain)
		return fprintf(stderr, "sealtap-collector serve: --client-ca needs TLS\n"), SEALTAP_EXIT_SETUP;
	if (!plain && (!(cert_pem = slurp(cert)) || !(key_pem = slurp(key)))) {
		fprintf(stderr, "sealtap-collector: cannot read %s\n", cert_pem ? key : cert);
		goto out;
	}
	if (client_ca && !(client_ca_pem = slurp(client_ca))) {
		fprintf(stderr, "sealtap-collector: cannot read %s\n", client_ca);
		goto out;
	}
	if (allow_path && allowlist_load(&c.allow, allow_path, err, sizeof(err))) {
		fprintf(stderr, "sealtap-collector: --allow: %s\n", err);
		goto out;
	}
	c.signer = collector_signer(state_dir, pub, name);
	if (!c.signer)
		goto out;
	if (webhook_url) {
		uint8_t secret[128];
		int n;

		if (!webhook_secret) {
			fprintf(stderr, "sealtap-collector: --webhook needs --webhook-secret FILE (the HMAC key)\n");
			goto out;
		}
		/* The key file: 0600 and ours, like every key (created if missing). */
		n = keyfile_load(webhook_secret, true, secret, sizeof(secret), err, sizeof(err));
		c.webhook = n < 0 ? NULL
				  : webhook_start(webhook_url, webhook_ca, secret, (size_t)n, webhook_severity, err,
						  sizeof(err));
		OPENSSL_cleanse(secret, sizeof(secret));
		if (!c.webhook) {
			fprintf(stderr, "sealtap-collector: webhook: %s\n", err);
			goto out;
		}
	}
	if (so.access && so.access_section) {
		fprintf(stderr, "sealtap-collector: access: set in %s and in %s: choose one\n", so.access_section, so.access);
		goto out;
	}
	if (access_load(&acc, so.access ? so.access : so.access_section, so.access ? NULL : "access", err, sizeof(err))) {
		fprintf(stderr, "sealtap-collector: access: %s\n", err);
		goto out;
	}
	if (plain && acc.n)
		fprintf(stderr, "sealtap-collector: warning: --plain: bearer tokens cross the network in clear text\n");
	c.store = store_open(store_path, true, err, sizeof(err));
	if (!c.store) {
		fprintf(stderr, "sealtap-collector: %s\n", err);
		goto out;
	}
	if (store_agents_from_file(c.store, (const uint8_t(*)[CHAIN_AGENT_KEY])c.allow.keys, c.allow.n)) {
		fprintf(stderr, "sealtap-collector: recording the allow list's keys: %s\n", store_error(c.store));
		goto out;
	}
	h = http_start(&c, &acc, addr, (uint16_t)port, cert_pem, key_pem, client_ca_pem, err, sizeof(err));
	if (!h) {
		fprintf(stderr, "sealtap-collector: %s\n", err);
		goto out;
	}
	/* An interrupt a parent ignores stays ignored: `make run` starts the
	 * collector in the background, and a Ctrl-C must stop the agent first
	 * (which ships its last batch here) and the collector after it. */
	if (signal(SIGINT, SIG_IGN) != SIG_IGN)
		signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	hex_encode(pub, NOTE_PUBKEY, pubhex);
	fprintf(stderr,
		"sealtap-collector: listening on %s:%lu (%s), store %s, %zu agent key(s) enrolled by file%s, public key %s\n",
		addr, port, plain ? "plain HTTP" : client_ca ? "TLS, client certificates required" : "TLS",
		store_is_postgres(store_path) ? "PostgreSQL" : store_path, c.allow.n,
		c.first_use ? ", first-use enrollment" : "", pubhex);
	if (acc.n)
		fprintf(stderr, "sealtap-collector: %zu principal(s) with roles; the read API answers them, every call "
				"recorded in the access log%s\n",
			acc.n, acc.names_agents ? "; only agent principals may ship" : "");
	else
		fprintf(stderr, "sealtap-collector: no principals (--access): the read API is off%s\n",
			client_ca ? "" : ", and /metrics answers anyone who reaches this port");
	while (!stop)
		pause();
	{
		const struct http_stats stats = *http_stats(h), *st = &stats;
		struct held held = { 0 };

		http_stop(h); /* no request in flight while the store is counted */
		h = NULL;
		fprintf(stderr,
			"sealtap-collector: stopping: %llu requests, %llu accepted (%llu events), %llu refused, %llu busy",
			(unsigned long long)st->requests, (unsigned long long)st->accepted,
			(unsigned long long)st->events, (unsigned long long)st->rejected, (unsigned long long)st->busy);
		if (store_each_stream(c.store, count_held, &held) == 0)
			fprintf(stderr, "; the store holds %llu events in %llu streams", (unsigned long long)held.events,
				(unsigned long long)held.streams);
		fputc('\n', stderr);
	}
	rc = SEALTAP_EXIT_OK;
out:
	http_stop(h);
	access_release(&acc);
	webhook_stop(c.webhook);
	store_close(c.store);
	note_signer_free(c.signer);
	allowlist_release(&c.allow);
	free(cert_pem);
	free(client_ca_pem);
	if (key_pem)
		OPENSSL_cleanse(key_pem, strlen(key_pem));
	free(key_pem);
	return rc;
}

/* The store a reading command works on (it must exist: a typo must not
 * create an empty store that "verifies"), or NULL with the reason said. */
static struct store *existing_store(const char *cmd, const char *path)
{
	char err[512];
	struct store *s;

	if (!path || (!store_is_postgres(path) && access(path, R_OK))) {
		fprintf(stderr, "sealtap-collector %s: --store STORE (an existing store) is required\n", cmd);
		return NULL;
	}
	s = store_open(path, false, err, sizeof(err));
	if (!s)
		fprintf(stderr, "sealtap-collector %s: %s\n", cmd, err);
	return s;
}

#define BUNDLE_KEYS 64

/* "HEX,HEX,...": the count, 0 when any of them is not a key. */
static size_t parse_keys(const char *list, uint8_t (*keys)[CHAIN_AGENT_KEY], size_t max)
{
	size_t n = 0;

	for (const char *k = list; k && *k;) {
		size_t l = strcspn(k, ",");
		char one[2 * CHAIN_AGENT_KEY + 1];

		if (l != 2 * CHAIN_AGENT_KEY || n == max)
			return 0;
		memcpy(one, k, l);
		one[l] = '\0';
		if (hex_decode(one, keys[n], CHAIN_AGENT_KEY))
			return 0;
		n++;
		if (!k[l])
			return n;
		k += l + 1;
	}
	return 0;
}

static int verify_bundle(const char *path, const char *keyhex)
{
	uint8_t keys[BUNDLE_KEYS][CHAIN_AGENT_KEY], *data;
	size_t nkeys = parse_keys(keyhex, keys, BUNDLE_KEYS);
	FILE *f;
	long n;
	int bad;

	if (!nkeys)
		return fprintf(stderr, "sealtap-collector verify --proof: --key: the agents' 64-hex-digit public keys, "
				       "comma-separated (at most %d)\n", BUNDLE_KEYS), SEALTAP_EXIT_SETUP;
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || n > (256 << 20) || fseek(f, 0, SEEK_SET) ||
	    !(data = malloc((size_t)n + 1)) || fread(data, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "sealtap-collector verify --proof: %s: cannot read\n", path);
		if (f)
			fclose(f);
		return SEALTAP_EXIT_SETUP;
	}
	fclose(f);
	bad = verify_proof(data, (size_t)n, (const uint8_t(*)[CHAIN_AGENT_KEY])keys, nkeys, stdout);
	free(data);
	printf("%s\n", bad == 0 ? "proof verified" : "PROOF FAILED");
	return bad == 0 ? 0 : 1;
}

static int export_cmd(int argc, char **argv)
{
	struct command_options o = { 0 };
	uint8_t id[CHAIN_STREAM_ID];
	char err[512];
	struct store *s;
	int rc = parse_command("export", export_option_defs, argc, argv, &o);

	if (rc)
		return rc;
	if (o.proof && (!o.stream || hex_decode(o.stream, id, CHAIN_STREAM_ID)))
		return fprintf(stderr, "sealtap-collector export --proof: --stream (32 hex digits) is required\n"),
		       SEALTAP_EXIT_SETUP;
	s = existing_store("export", o.store);
	if (!s)
		return SEALTAP_EXIT_SETUP;
	if (o.proof) {
		FILE *out = fopen(o.proof, "wb");

		rc = out ? export_proof(s, id, o.from, o.to, out, err, sizeof(err)) : -1;
		if (out)
			fclose(out);
		if (rc)
			fprintf(stderr, "sealtap-collector export: %s\n", out ? err : strerror(errno));
	} else {
		rc = export_json(s, (uint64_t)o.since * 1000000000ull,
				 o.until ? (uint64_t)o.until * 1000000000ull : UINT64_MAX, stdout);
	}
	store_close(s);
	return rc ? SEALTAP_EXIT_FAILED : SEALTAP_EXIT_OK;
}

static int print_event(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	(void)ctx, (void)seq;
	event_json_bytes(stdout, bytes, len);
	return 0;
}

static int query_cmd(int argc, char **argv)
{
	struct command_options o = { 0 };
	struct store_query q;
	struct store *s;
	int rc = parse_command("query", query_option_defs, argc, argv, &o);

	if (rc)
		return rc;
	q = (struct store_query){ .since_ns = (uint64_t)o.since * 1000000000ull,
				  .until_ns = (uint64_t)o.until * 1000000000ull,
				  .kind = o.kind,
				  .severity = o.severity,
				  .pod_uid = o.pod,
				  .model = o.model,
				  .detector = o.detector,
				  .limit = o.limit };
	s = existing_store("query", o.store);
	if (!s)
		return SEALTAP_EXIT_SETUP;
	rc = store_query(s, &q, print_event, NULL);
	if (rc)
		fprintf(stderr, "sealtap-collector query: %s\n", store_error(s));
	store_close(s);
	return rc ? SEALTAP_EXIT_FAILED : SEALTAP_EXIT_OK;
}

static int verify(int argc, char **argv)
{
	struct command_options o = { 0 };
	uint8_t id[CHAIN_STREAM_ID];
	uint64_t streams = 0, events = 0, entries = 0;
	struct store *s;
	int problems, rc = parse_command("verify", verify_option_defs, argc, argv, &o);

	if (rc)
		return rc;
	if (o.proof)
		return verify_bundle(o.proof, o.key);
	if (o.stream && hex_decode(o.stream, id, CHAIN_STREAM_ID))
		return fprintf(stderr, "sealtap-collector verify: --stream: 32 hex digits\n"), SEALTAP_EXIT_SETUP;
	s = existing_store("verify", o.store);
	if (!s)
		return SEALTAP_EXIT_SETUP;
	problems = verify_store(s, o.stream ? id : NULL, stdout, &streams, &events);
	if (problems >= 0 && !o.stream) {
		int p = verify_access_log(s, stdout, &entries);

		problems = p < 0 ? -1 : problems + p;
	}
	store_close(s);
	if (problems < 0)
		return SEALTAP_EXIT_FAILED;
	printf("%s: %llu stream(s), %llu event(s), %d problem(s); access log: %llu entr%s\n",
	       problems ? "FAILED" : "verified", (unsigned long long)streams, (unsigned long long)events, problems,
	       (unsigned long long)entries, entries == 1 ? "y" : "ies");
	return problems ? SEALTAP_EXIT_FAILED : SEALTAP_EXIT_OK;
}

static int lineage_cmd(int argc, char **argv)
{
	struct command_options o = { 0 };
	uint8_t fp[STORE_FINGERPRINT];
	char err[512];
	FILE *proof = NULL;
	struct store *s;
	int rc = parse_command("lineage", lineage_option_defs, argc, argv, &o);

	if (rc)
		return rc;
	if (optind != argc - 1 || strlen(argv[optind]) != 2 * STORE_FINGERPRINT ||
	    hex_decode(argv[optind], fp, STORE_FINGERPRINT))
		return fprintf(stderr, "sealtap-collector lineage: FINGERPRINT: the 64 hex digits a finding's "
				       "fingerprint shows\n"), SEALTAP_EXIT_SETUP;
	s = existing_store("lineage", o.store);
	if (!s)
		return SEALTAP_EXIT_SETUP;
	if (o.proof && !(proof = fopen(o.proof, "wb"))) {
		fprintf(stderr, "sealtap-collector lineage --proof: %s: %s\n", o.proof, strerror(errno));
		store_close(s);
		return SEALTAP_EXIT_SETUP;
	}
	rc = lineage_list(s, fp, stdout, proof, err, sizeof(err));
	if (proof && fclose(proof) && !rc) {
		snprintf(err, sizeof(err), "%s: cannot write", o.proof);
		rc = -1;
	}
	if (rc) {
		fprintf(stderr, "sealtap-collector lineage: %s\n", err);
		if (o.proof)
			unlink(o.proof); /* no half bundle */
	}
	store_close(s);
	return rc ? SEALTAP_EXIT_FAILED : SEALTAP_EXIT_OK;
}

/* A period's bound: Unix seconds, or a UTC date (YYYY-MM-DD) or time
 * (YYYY-MM-DDTHH:MM[:SS][Z]). Nanoseconds, or UINT64_MAX when it is none. */
static uint64_t period_bound(const char *t)
{
	struct tm tm = { 0 };
	const char *end;
	char *num_end;
	unsigned long long v = strtoull(t, &num_end, 10);

	if (*t && !*num_end && v < 1e10)
		return (uint64_t)v * 1000000000ull;
	end = strptime(t, "%Y-%m-%d", &tm);
	if (end && *end == 'T') {
		const char *hm = strptime(end + 1, "%H:%M", &tm);

		end = hm && *hm == ':' ? strptime(hm + 1, "%S", &tm) : hm;
		if (end && *end == 'Z')
			end++;
	}
	if (!end || *end)
		return UINT64_MAX;
	return (uint64_t)timegm(&tm) * 1000000000ull;
}

static int report_cmd(int argc, char **argv)
{
	struct command_options o = { 0 };
	uint64_t since = 0, until = 0;
	uint8_t ckey[NOTE_PUBKEY];
	char err[512];
	struct period *p;
	struct store *s;
	FILE *out = stdout;
	int rc = parse_command("report", report_option_defs, argc, argv, &o);

	if (rc)
		return rc;
	if ((o.period_from && (since = period_bound(o.period_from)) == UINT64_MAX) ||
	    (o.period_to && (until = period_bound(o.period_to)) == UINT64_MAX))
		return fprintf(stderr, "sealtap-collector report: --%s %s: expected Unix seconds or a UTC date or time "
				       "(2026-11-01, 2026-11-01T08:00:00Z)\n",
			       since == UINT64_MAX ? "from" : "to", since == UINT64_MAX ? o.period_from : o.period_to),
		       SEALTAP_EXIT_SETUP;
	if (until && until <= since)
		return fprintf(stderr, "sealtap-collector report: --to must be after --from\n"), SEALTAP_EXIT_SETUP;
	if (o.collector_key && (strlen(o.collector_key) != 2 * NOTE_PUBKEY || hex_decode(o.collector_key, ckey, NOTE_PUBKEY)))
		return fprintf(stderr, "sealtap-collector report: --collector-key: 64 hex digits (sealtap-collector "
				       "key prints them)\n"),
		       SEALTAP_EXIT_SETUP;
	s = existing_store("report", o.store);
	if (!s)
		return SEALTAP_EXIT_SETUP;
	p = malloc(sizeof(*p));
	rc = p ? period_gather(s, since, until, o.collector_key ? ckey : NULL, p, err, sizeof(err)) : -1;
	if (!p)
		snprintf(err, sizeof(err), "out of memory");
	store_close(s);
	if (!rc && o.out && !(out = fopen(o.out, "w"))) {
		snprintf(err, sizeof(err), "%s: %s", o.out, strerror(errno));
		rc = -1;
	}
	if (!rc) {
		char named[1024];

		store_redacted(o.store, named, sizeof(named));
		report_html(out, p, named, o.collector_key);
		if ((out != stdout && fclose(out)) || (out == stdout && fflush(out))) {
			snprintf(err, sizeof(err), "%s: cannot write", o.out ? o.out : "standard output");
			rc = -1;
		}
	}
	if (rc) {
		fprintf(stderr, "sealtap-collector report: %s\n", err);
		if (o.out && out != stdout)
			unlink(o.out); /* no half report */
	} else if (o.out) {
		fprintf(stderr, "sealtap-collector report: %s: %" PRIu64 " events, %" PRIu64 " findings, %s\n", o.out,
			p->events, p->findings, p->problems || p->access_problems ? "the record FAILED verification" : "the record verified");
	}
	free(p);
	return rc ? SEALTAP_EXIT_FAILED : SEALTAP_EXIT_OK;
}

static int print_access(void *ctx, const struct access_row *r)
{
	(void)ctx;
	api_access_json(stdout, r);
	return 0;
}

static int access_log_cmd(int argc, char **argv)
{
	struct command_options o = { 0 };
	struct store *s;
	int rc = parse_command("access-log", access_log_option_defs, argc, argv, &o);

	if (rc)
		return rc;
	s = existing_store("access-log", o.store);
	if (!s)
		return SEALTAP_EXIT_SETUP;
	rc = store_each_access(s, print_access, NULL);
	if (rc)
		fprintf(stderr, "sealtap-collector access-log: %s\n", store_error(s));
	store_close(s);
	return rc ? SEALTAP_EXIT_FAILED : SEALTAP_EXIT_OK;
}

/* 32 random bytes as a token ("sealtap_" and 64 hex digits); what the
 * collector keeps is its SHA-256, in a principal printed here. */
static int token_cmd(int argc, char **argv)
{
	uint8_t raw[32], h[32];
	char tok[8 + 65], hash[65];
	const char *role = argc == 3 ? argv[2] : "";

	if (argc != 3 || strspn(argv[1], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-") !=
				 strlen(argv[1]) || strlen(argv[1]) >= 64 ||
	    (strcmp(role, "agent") && strcmp(role, "auditor") && strcmp(role, "admin") && strcmp(role, "monitor")))
		return fprintf(stderr, "sealtap-collector token NAME ROLE: NAME of letters, digits, _ . @ -; ROLE agent, "
				       "auditor, admin or monitor\n"), SEALTAP_EXIT_SETUP;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return fprintf(stderr, "sealtap-collector token: no randomness\n"), SEALTAP_EXIT_FAILED;
	memcpy(tok, "sealtap_", 8);
	hex_encode(raw, sizeof(raw), tok + 8);
	EVP_Digest(tok, strlen(tok), h, NULL, EVP_sha256(), NULL);
	hex_encode(h, sizeof(h), hash);
	printf("# The token, shown once: give it to %s (Authorization: Bearer TOKEN).\n%s\n"
	       "# The principal, for the collector's access configuration (it keeps the hash only):\n"
	       "  - name: %s\n    token_sha256: %s\n    role: %s\n",
	       argv[1], tok, argv[1], hash, role);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(tok, sizeof(tok));
	return SEALTAP_EXIT_OK;
}

static int print_agent(void *ctx, const struct agent_row *a)
{
	char hex[2 * CHAIN_AGENT_KEY + 1];

	(void)ctx;
	hex_encode(a->key, CHAIN_AGENT_KEY, hex);
	printf("%s %-8s first_seen=%lld decided=%lld\n", hex, agent_state_name(a->state), (long long)a->first_seen_unix,
	       (long long)a->decided_unix);
	return 0;
}

/* agents / approve KEY / revoke KEY: enrollment kept in the store, so a
 * decision holds for every replica at once. */
static int agents_cmd(const char *cmd, int argc, char **argv)
{
	struct command_options o = { 0 };
	bool listing = strcmp(cmd, "agents") == 0;
	uint8_t key[CHAIN_AGENT_KEY];
	struct store *s;
	int rc = parse_command(cmd, agents_option_defs, argc, argv, &o);

	if (rc)
		return rc;
	if (!listing && (optind != argc - 1 || hex_decode(argv[optind], key, CHAIN_AGENT_KEY)))
		return fprintf(stderr, "sealtap-collector %s: KEY: the agent's 64-hex-digit public key "
				       "(sealtap-agent keys prints it)\n", cmd), SEALTAP_EXIT_SETUP;
	s = existing_store(cmd, o.store);
	if (!s)
		return SEALTAP_EXIT_SETUP;
	if (listing)
		rc = store_each_agent(s, print_agent, NULL);
	else
		rc = store_agent_decide(s, key, strcmp(cmd, "approve") == 0 ? AGENT_APPROVED : AGENT_REVOKED);
	if (rc)
		fprintf(stderr, "sealtap-collector %s: %s\n", cmd, store_error(s));
	else if (!listing)
		printf("%s %s\n", argv[optind], strcmp(cmd, "approve") == 0 ? "approved" : "revoked");
	store_close(s);
	return rc ? SEALTAP_EXIT_FAILED : SEALTAP_EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, SEALTAP_EXIT_SETUP);
	if (strcmp(argv[1], "serve") == 0)
		return serve(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "export") == 0)
		return export_cmd(argc - 1, argv + 1);
	if (strcmp(argv[1], "query") == 0)
		return query_cmd(argc - 1, argv + 1);
	if (strcmp(argv[1], "lineage") == 0)
		return lineage_cmd(argc - 1, argv + 1);
	if (strcmp(argv[1], "report") == 0)
		return report_cmd(argc - 1, argv + 1);
	if (strcmp(argv[1], "access-log") == 0)
		return access_log_cmd(argc - 1, argv + 1);
	if (strcmp(argv[1], "token") == 0)
		return token_cmd(argc - 1, argv + 1);
	if (strcmp(argv[1], "key") == 0)
		return key_cmd(argc - 1, argv + 1);
	if (strcmp(argv[1], "agents") == 0 || strcmp(argv[1], "approve") == 0 || strcmp(argv[1], "revoke") == 0)
		return agents_cmd(argv[1], argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return usage(stdout, SEALTAP_EXIT_OK);
	return usage(stderr, SEALTAP_EXIT_SETUP);
}
