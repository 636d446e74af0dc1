// SPDX-License-Identifier: Apache-2.0
/*
 * sealtap-agent: sees the plaintext model-serving processes hand to OpenSSL.
 *
 * main reads as the lifecycle: options, preflight checks, open, configure,
 * load, attach, consume until told to stop, clean up. Modules return
 * negative errno; only main turns failures into exit codes:
 *   0 ok, 1 runtime failure, 2 unusable setup (options, privileges, kernel).
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <openssl/crypto.h>

#include "attach.h"
#include "clock.h"
#include "capture.h"
#include "classify.h"
#include "detector_config.h"
#include "banned.h"
#include "config.h"
#include "coverage.h"
#include "drift.h"
#include "evidence.h"
#include "evidence_copy.h"
#include "fanout.h"
#include "hex.h"
#include "judge.h"
#include "metrics.h"
#include "paths.h"
#include "privileges.h"
#include "note.h"
#include "keyfile.h"
#include "scan.h"
#include "ship.h"
#include "selector.h"
#include "sslsniff.skel.h"

#define SEALTAP_VERSION "0.1.0"
#define MAX_MODEL_PORTS 16
#define EXIT_SETUP 2

struct options {
	struct selector sel;
	bool dump_capture;
	bool dump_exchanges;
	bool verbose;
	double duration_s;       /* 0: until signalled */
	double stats_interval_s; /* 0: only at exit */
	unsigned long ringbuf_bytes;
	unsigned long wakeup_bytes;
	unsigned long max_conns;
	double idle_timeout_s;
	unsigned long max_body;
	uint16_t model_ports[MAX_MODEL_PORTS];
	int nmodel_ports;
	const char *model_comms[MAX_MODEL_PORTS];
	int nmodel_comms;
	const char *fingerprint_key;
	const char *detectors_file;
	const char *state_dir;
	const char *node;
	unsigned long spool_max;
	struct ship_opts ship;
	double leak_window_s;
	unsigned long leak_slots;
	double heartbeat_s; /* 0: no heartbeat events */
	bool no_drift;
	const char *drift_banned, *drift_refusals;
	unsigned long drift_keys;
	double drift_rate_shift;
	struct evidence_copy_opts copy;
	const char *metrics_listen;    /* --metrics ADDR:PORT */
	const char *config_path;       /* --config */
	bool check_config;             /* --check-config: validate and exit */
	const char *detectors_section; /* the config file, when it has a detectors section */
	uint8_t digest[CONFIG_DIGEST]; /* of the configuration in effect */
};

/* Where the option being parsed came from, for errors: a line of the
 * configuration file, or the command line. */
static const struct yopt_args *parsing_config;
static int parsing_index = -1;

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sealtap-agent [selection] [options]\n"
		"       sealtap-agent scan [--key FILE] [--format json|text] [FILE...]  (see scan --help)\n"
		"       sealtap-agent keys [--state-dir DIR]   print the agent's public key (made if missing)\n"
		"\n"
		"Selection (any match selects a process; probes are attached per process):\n"
		"  --pid PID          a process id (repeatable)\n"
		"  --comm NAME        a command name, exact (repeatable)\n"
		"  --exe PATH         an executable path as the process sees it (repeatable)\n"
		"  --cgroup TEXT      a cgroup path substring: container id, pod UID (repeatable)\n"
		"  --all              every process on the host\n"
		"\n"
		"Output:\n"
		"  --dump capture     print every captured chunk as a JSON line, WITH PLAINTEXT\n"
		"  --dump exchanges   print every model API exchange as a JSON line, WITH PROMPTS\n"
		"                     AND COMPLETIONS (both dumps may be given)\n"
		"  --model-port PORT  POSTs to this server port are model calls whatever their path;\n"
		"                     the API is told from the body (repeatable)\n"
		"  --model-process NAME  the same for POSTs to or from processes of this command name\n"
		"  --stats-interval S print a stats line every S seconds (default 10; 0: at exit)\n"
		"  --metrics ADDR:PORT  Prometheus metrics on GET /metrics (e.g. 127.0.0.1:9464)\n"
		"\n"
		"Classification (findings are JSON lines: masked values and fingerprints, never values):\n"
		"  --detectors FILE   YAML: built-ins to disable, severities, custom detectors\n"
		"  --fingerprint-key FILE  HMAC key for fingerprints, created (mode 0600) if missing\n"
		"                     (default STATE_DIR/fingerprint.key)\n"
		"  --leak-window S    a prompt value counts for cross_identity this long (default 3600)\n"
		"  --leak-slots N     prompt values remembered across exchanges (default 16384)\n"
		"\n"
		"Evidence (findings signed and chained; see README):\n"
		"  --state-dir DIR    keys and the evidence spool (default /var/lib/sealtap)\n"
		"  --spool-max B      spool size; past it events are dropped and counted (default 256 MiB)\n"
		"  --node NAME        this host's name in events (default: the hostname)\n"
		"  --collector URL    ship evidence to https://HOST:PORT/v1/batches\n"
		"  --collector-ca F   the collector's CA certificate (default: the system's)\n"
		"  --collector-cert F, --collector-key F   client certificate for mutual TLS\n"
		"  --collector-pubkey HEX  the collector's Ed25519 key: an acknowledgement releases the\n"
		"                     spool only if it carries the checkpoint cosigned with this key\n"
		"  --evidence-json FILE  a copy of every evidence event as a JSON line ('-': stdout)\n"
		"  --otlp-logs URL    a copy of every event as an OTLP/HTTP log record (http(s)://H:4318/v1/logs)\n"
		"  --otlp-ca F, --otlp-header 'NAME: VALUE'   its CA; headers, e.g. an API key (repeatable)\n"
		"  --heartbeat-interval S  a heartbeat event (what was watched) every S seconds\n"
		"                     (default 60; 0: none). Capture losses are recorded as they happen.\n"
		"\n"
		"Drift (per serving identity, endpoint and model; state in STATE_DIR/drift.state):\n"
		"  --drift-banned FILE    phrases (or re:PATTERN), one per line, raised at once in outputs\n"
		"  --drift-refusals FILE  the refusal lexicon, one phrase per line (default: built in)\n"
		"  --drift-keys N         keys tracked at once (default 128, ~50 KiB each)\n"
		"  --drift-rate-shift P   smallest rate change worth an alert (default 0.03)\n"
		"  --no-drift             measure nothing\n"
		"\n"
		"Limits and tuning:\n"
		"  --duration S       stop after S seconds\n"
		"  --ringbuf-size B   ring buffer bytes, a power of two >= 4096 (default 8 MiB)\n"
		"  --wakeup-bytes B   queued bytes that wake the consumer early (default 64 KiB)\n"
		"  --max-conns N      connections tracked at once (default 65536)\n"
		"  --idle-timeout S   drop connections with no data for S seconds (default 300; 0: never)\n"
		"  --max-body B       bytes kept of a request or whole response body (default 4 MiB)\n"
		"  -v, --verbose      libbpf diagnostics\n"
		"  --version, -h/--help\n");
}

static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("sealtap-agent: ", stderr);
	if (parsing_config && parsing_index >= 1 && parsing_index <= parsing_config->n)
		fprintf(stderr, "%s:%u: ", parsing_config->path, parsing_config->line[parsing_index - 1]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static int parse_number(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* Sizes may say K, M or G (binary: 256M is 256 MiB). */
	if (end != s && end[0] && !end[1] && strchr("kKmMgG", end[0]))
		v *= end[0] == 'k' || end[0] == 'K' ? 1024.0 : end[0] == 'm' || end[0] == 'M' ? 1048576.0 : 1073741824.0, end++;
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_PID = 256, OPT_COMM, OPT_EXE, OPT_CGROUP, OPT_ALL, OPT_DUMP, OPT_DURATION,
	       OPT_RINGBUF, OPT_WAKEUP, OPT_STATS, OPT_MAXCONNS, OPT_IDLE, OPT_MAXBODY, OPT_MODELPORT, OPT_MODELPROC,
	       OPT_FPKEY, OPT_LEAKWINDOW, OPT_LEAKSLOTS, OPT_DETECTORS, OPT_STATEDIR, OPT_NODE, OPT_SPOOLMAX,
	       OPT_COLLECTOR, OPT_COLLECTOR_CA, OPT_COLLECTOR_CERT, OPT_COLLECTOR_KEY, OPT_COLLECTOR_PUBKEY,
	       OPT_HEARTBEAT, OPT_DRIFT_BANNED, OPT_DRIFT_REFUSALS, OPT_DRIFT_KEYS, OPT_DRIFT_SHIFT, OPT_NO_DRIFT,
	       OPT_METRICS, OPT_CONFIG, OPT_CHECK_CONFIG, OPT_DETECTORS_SECTION, OPT_EVIDENCE_JSON, OPT_OTLP, OPT_OTLP_CA, OPT_OTLP_HEADER, OPT_VERSION };
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, OPT_PID },
		{ "comm", required_argument, NULL, OPT_COMM },
		{ "exe", required_argument, NULL, OPT_EXE },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "dump", required_argument, NULL, OPT_DUMP },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
		{ "wakeup-bytes", required_argument, NULL, OPT_WAKEUP },
		{ "stats-interval", required_argument, NULL, OPT_STATS },
		{ "max-conns", required_argument, NULL, OPT_MAXCONNS },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE },
		{ "max-body", required_argument, NULL, OPT_MAXBODY },
		{ "model-port", required_argument, NULL, OPT_MODELPORT },
		{ "model-process", required_argument, NULL, OPT_MODELPROC },
		{ "fingerprint-key", required_argument, NULL, OPT_FPKEY },
		{ "detectors", required_argument, NULL, OPT_DETECTORS },
		{ "state-dir", required_argument, NULL, OPT_STATEDIR },
		{ "node", required_argument, NULL, OPT_NODE },
		{ "spool-max", required_argument, NULL, OPT_SPOOLMAX },
		{ "collector", required_argument, NULL, OPT_COLLECTOR },
		{ "collector-ca", required_argument, NULL, OPT_COLLECTOR_CA },
		{ "collector-cert", required_argument, NULL, OPT_COLLECTOR_CERT },
		{ "collector-key", required_argument, NULL, OPT_COLLECTOR_KEY },
		{ "collector-pubkey", required_argument, NULL, OPT_COLLECTOR_PUBKEY },
		{ "heartbeat-interval", required_argument, NULL, OPT_HEARTBEAT },
		{ "evidence-json", required_argument, NULL, OPT_EVIDENCE_JSON },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "check-config", required_argument, NULL, OPT_CHECK_CONFIG },
		{ "detectors-section", required_argument, NULL, OPT_DETECTORS_SECTION },
		{ "drift-banned", required_argument, NULL, OPT_DRIFT_BANNED },
		{ "drift-refusals", required_argument, NULL, OPT_DRIFT_REFUSALS },
		{ "drift-keys", required_argument, NULL, OPT_DRIFT_KEYS },
		{ "drift-rate-shift", required_argument, NULL, OPT_DRIFT_SHIFT },
		{ "no-drift", no_argument, NULL, OPT_NO_DRIFT },
		{ "otlp-logs", required_argument, NULL, OPT_OTLP },
		{ "otlp-ca", required_argument, NULL, OPT_OTLP_CA },
		{ "otlp-header", required_argument, NULL, OPT_OTLP_HEADER },
		{ "leak-window", required_argument, NULL, OPT_LEAKWINDOW },
		{ "leak-slots", required_argument, NULL, OPT_LEAKSLOTS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *const kinds[] = { "pid", "comm", "exe", "cgroup" };
	double v;
	int c;

	o->stats_interval_s = 10;
	o->ringbuf_bytes = 8ul << 20; /* a burst buffer: the consumer drains it continuously */
	o->wakeup_bytes = 64ul << 10;
	o->max_conns = 65536;
	o->idle_timeout_s = 300;
	o->max_body = 4ul << 20;
	o->state_dir = "/var/lib/sealtap";
	o->spool_max = 256ul << 20;
	o->heartbeat_s = 60;
	o->leak_window_s = 3600;
	o->leak_slots = 16384;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		parsing_index = optind - 1; /* options from the file are one "--name=value" each */
		switch (c) {
		case OPT_CONFIG:
			o->config_path = optarg; /* read before parsing: see main */
			break;
		case OPT_METRICS:
			o->metrics_listen = optarg; /* checked when it listens */
			break;
		case OPT_CHECK_CONFIG:
			o->config_path = optarg;
			o->check_config = true;
			break;
		case OPT_DETECTORS_SECTION:
			o->detectors_section = optarg;
			break;
		case OPT_PID:
		case OPT_COMM:
		case OPT_EXE:
		case OPT_CGROUP: {
			int r = selector_add(&o->sel, kinds[c - OPT_PID], optarg);

			if (r)
				return fail(EXIT_SETUP, "--%s %s: %s", kinds[c - OPT_PID], optarg,
					    r == -ENOSPC ? "too many selectors of that kind"
							 : "not a valid value");
			break;
		}
		case OPT_ALL:
			o->sel.all = true;
			break;
		case OPT_DUMP:
			if (strcmp(optarg, "capture") == 0)
				o->dump_capture = true;
			else if (strcmp(optarg, "exchanges") == 0)
				o->dump_exchanges = true;
			else
				return fail(EXIT_SETUP, "--dump %s: expected 'capture' or 'exchanges'", optarg);
			break;
		case OPT_DURATION:
			if (parse_number(optarg, 0.001, 1e9, &o->duration_s))
				return fail(EXIT_SETUP, "--duration %s: expected seconds > 0", optarg);
			break;
		case OPT_STATS:
			if (parse_number(optarg, 0, 1e9, &o->stats_interval_s))
				return fail(EXIT_SETUP, "--stats-interval %s: expected seconds >= 0", optarg);
			break;
		case OPT_RINGBUF:
			if (parse_number(optarg, 4096, 1u << 30, &v) || ((unsigned long)v & ((unsigned long)v - 1)))
				return fail(EXIT_SETUP,
					    "--ringbuf-size %s: expected a power of two from 4096 to 1 GiB", optarg);
			o->ringbuf_bytes = (unsigned long)v;
			break;
		case OPT_WAKEUP:
			if (parse_number(optarg, 0, 1u << 30, &v))
				return fail(EXIT_SETUP, "--wakeup-bytes %s: expected bytes", optarg);
			o->wakeup_bytes = (unsigned long)v;
			break;
		case OPT_MAXCONNS:
			if (parse_number(optarg, 16, 1 << 24, &v))
				return fail(EXIT_SETUP, "--max-conns %s: expected 16 to 16777216", optarg);
			o->max_conns = (unsigned long)v;
			break;
		case OPT_IDLE:
			if (parse_number(optarg, 0, 1e7, &o->idle_timeout_s))
				return fail(EXIT_SETUP, "--idle-timeout %s: expected seconds >= 0", optarg);
			break;
		case OPT_MAXBODY:
			if (parse_number(optarg, 1024, 1u << 30, &v))
				return fail(EXIT_SETUP, "--max-body %s: expected 1024 bytes to 1 GiB", optarg);
			o->max_body = (unsigned long)v;
			break;
		case OPT_MODELPORT:
			if (parse_number(optarg, 1, 65535, &v) || v != (double)(uint16_t)v)
				return fail(EXIT_SETUP, "--model-port %s: expected a port number", optarg);
			if (o->nmodel_ports == MAX_MODEL_PORTS)
				return fail(EXIT_SETUP, "--model-port: at most %d ports", MAX_MODEL_PORTS);
			o->model_ports[o->nmodel_ports++] = (uint16_t)v;
			break;
		case OPT_MODELPROC:
			if (!*optarg || strlen(optarg) > 15)
				return fail(EXIT_SETUP, "--model-process %s: expected a command name (1-15 bytes)",
					    optarg);
			if (o->nmodel_comms == MAX_MODEL_PORTS)
				return fail(EXIT_SETUP, "--model-process: at most %d names", MAX_MODEL_PORTS);
			o->model_comms[o->nmodel_comms++] = optarg;
			break;
		case OPT_FPKEY:
			o->fingerprint_key = optarg;
			break;
		case OPT_DETECTORS:
			o->detectors_file = optarg;
			break;
		case OPT_STATEDIR:
			o->state_dir = optarg;
			break;
		case OPT_COLLECTOR:
			if (strncmp(optarg, "https://", 8) && strncmp(optarg, "http://127.", 11))
				return fail(EXIT_SETUP, "--collector %s: expected https://HOST:PORT/v1/batches "
							"(plain http only on loopback)", optarg);
			o->ship.url = optarg;
			break;
		case OPT_COLLECTOR_CA:
			o->ship.ca_file = optarg;
			break;
		case OPT_COLLECTOR_CERT:
			o->ship.cert_file = optarg;
			break;
		case OPT_COLLECTOR_KEY:
			o->ship.key_file = optarg;
			break;
		case OPT_COLLECTOR_PUBKEY:
			if (hex_decode(optarg, o->ship.collector_key, sizeof(o->ship.collector_key)))
				return fail(EXIT_SETUP, "--collector-pubkey %s: expected the collector's 64-hex-digit "
							"Ed25519 public key", optarg);
			o->ship.check_cosignature = true;
			break;
		case OPT_DRIFT_BANNED:
			o->drift_banned = optarg;
			break;
		case OPT_DRIFT_REFUSALS:
			o->drift_refusals = optarg;
			break;
		case OPT_DRIFT_KEYS:
			if (parse_number(optarg, 1, 1 << 16, &v))
				return fail(EXIT_SETUP, "--drift-keys %s: expected 1 to 65536", optarg);
			o->drift_keys = (unsigned long)v;
			break;
		case OPT_DRIFT_SHIFT:
			if (parse_number(optarg, 0.001, 0.5, &o->drift_rate_shift))
				return fail(EXIT_SETUP, "--drift-rate-shift %s: expected a rate between 0.001 and 0.5", optarg);
			break;
		case OPT_NO_DRIFT:
			o->no_drift = true;
			break;
		case OPT_EVIDENCE_JSON:
			o->copy.json_path = optarg;
			break;
		case OPT_OTLP:
			if (strncmp(optarg, "https://", 8) && strncmp(optarg, "http://", 7))
				return fail(EXIT_SETUP, "--otlp-logs %s: expected http(s)://HOST:PORT/v1/logs", optarg);
			o->copy.otlp.url = optarg;
			break;
		case OPT_OTLP_CA:
			o->copy.otlp.ca_file = optarg;
			break;
		case OPT_OTLP_HEADER:
			if (o->copy.otlp.nheaders == OTLP_MAX_HEADERS || !strchr(optarg, ':') || strpbrk(optarg, "\r\n"))
				/* (not the value: a header is often an API key) */
				return fail(EXIT_SETUP, "--otlp-header: expected 'Name: value' (at most %d)",
					    OTLP_MAX_HEADERS);
			o->copy.otlp.headers[o->copy.otlp.nheaders++] = optarg;
			break;
		case OPT_HEARTBEAT:
			if (parse_number(optarg, 0, 1e7, &o->heartbeat_s) || (o->heartbeat_s > 0 && o->heartbeat_s < 1))
				return fail(EXIT_SETUP, "--heartbeat-interval %s: expected seconds, 0 or at least 1", optarg);
			break;
		case OPT_NODE:
			o->node = optarg;
			break;
		case OPT_SPOOLMAX:
			if (parse_number(optarg, 1 << 20, 1e13, &v))
				return fail(EXIT_SETUP, "--spool-max %s: expected bytes, at least 1 MiB", optarg);
			o->spool_max = (unsigned long)v;
			break;
		case OPT_LEAKWINDOW:
			if (parse_number(optarg, 1, 1e8, &o->leak_window_s))
				return fail(EXIT_SETUP, "--leak-window %s: expected seconds >= 1", optarg);
			break;
		case OPT_LEAKSLOTS:
			if (parse_number(optarg, 16, 1 << 24, &v))
				return fail(EXIT_SETUP, "--leak-slots %s: expected 16 to 16777216", optarg);
			o->leak_slots = (unsigned long)v;
			break;
		case 'v':
			o->verbose = true;
			break;
		case OPT_VERSION:
			printf("sealtap-agent %s\n", SEALTAP_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return EXIT_SETUP;
		}
	}
	if (optind < argc)
		return fail(EXIT_SETUP, "unexpected argument '%s' (see --help)", argv[optind]);
	if (selector_is_empty(&o->sel))
		return fail(EXIT_SETUP,
			    "nothing selected: name processes with --pid, --comm, --exe or --cgroup, "
			    "or probe every process with --all");
	return 0;
}

static bool libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* Failures the operator can fix, each with its own message and exit 2. */
static int preflight(void)
{
	if (geteuid() != 0)
		return fail(EXIT_SETUP, "must run as root: loading probes needs CAP_BPF, CAP_PERFMON "
					"and CAP_SYS_ADMIN");
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		return fail(EXIT_SETUP, "this kernel has no BTF (/sys/kernel/btf/vmlinux): sealtap "
					"needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
	return 0;
}

/* sealtap-agent keys [--state-dir DIR]: makes the agent key if it is
 * missing and prints its public key, the line a collector's allow list
 * needs to enrol this agent. */
static int keys_main(int argc, char **argv)
{
	const char *dir = argc == 3 && strcmp(argv[1], "--state-dir") == 0 ? argv[2] : "/var/lib/sealtap";
	uint8_t seed[64], pub[NOTE_PUBKEY];
	struct note_signer *s;
	char path[PATH_BUF], err[512];

	if (argc != 1 && argc != 3)
		return fprintf(stderr, "usage: sealtap-agent keys [--state-dir DIR]\n"), EXIT_SETUP;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return fail(EXIT_SETUP, "%s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/agent.key", dir);
	if (keyfile_load(path, true, seed, sizeof(seed), err, sizeof(err)) < 0)
		return fail(EXIT_SETUP, "%s", err);
	s = note_signer_new("k", seed);
	OPENSSL_cleanse(seed, sizeof(seed));
	if (!s)
		return fail(EXIT_SETUP, "%s: not usable as an Ed25519 key", path);
	note_signer_public(s, pub);
	note_signer_free(s);
	hex_put(stdout, pub, NOTE_PUBKEY);
	printf("\n");
	return 0;
}

/* The stages after decoding, for the stats line. */
struct running;
static void write_reload_stats(const struct running *r, FILE *out);

struct stages {
	struct judge *judge;
	struct evidence *ev;
	struct ship *ship;
	struct evidence_copy *copy;
	struct drift *drift;
	struct running *run;
};

/* The agent's own memory: RSS, and what the allocator holds and what of it
 * is in use, so that growth is seen (and told from fragmentation) without a
 * debugger. mallinfo2 walks the arenas: cheap at the stats interval. */
static void write_memory_stats(FILE *out)
{
	struct mallinfo2 mi = mallinfo2();
	unsigned long resident = 0;
	FILE *f = fopen("/proc/self/statm", "r"); /* size, then resident pages */

	if (f) {
		if (fscanf(f, "%*u %lu", &resident) != 1)
			resident = 0;
		fclose(f);
	}
	fprintf(out, ",\"memory\":{\"rss\":%lu,\"heap_in_use\":%zu,\"heap_held\":%zu}",
		resident * (unsigned long)sysconf(_SC_PAGESIZE), mi.uordblks + mi.hblkhd, mi.arena + mi.hblkhd);
}

static void write_stage_stats(void *ctx, FILE *out)
{
	const struct stages *st = ctx;

	if (st->judge)
		judge_write_stats(st->judge, out);
	if (st->ev)
		evidence_write_stats(st->ev, out);
	if (st->ship)
		ship_write_stats(st->ship, out);
	evidence_copy_write_stats(st->copy, out);
	drift_write_stats(st->drift, out);
	if (st->run)
		write_reload_stats(st->run, out);
	write_memory_stats(out);
}

/* The built-in detectors with what the configuration file's detectors
 * section and --detectors FILE change (both: the section first). */
static int load_detectors(const struct options *o, struct detector_set *set)
{
	char err[512];

	if (o->detectors_section && o->detectors_file)
		return fail(EXIT_SETUP, "detectors: set in %s and in %s: choose one", o->detectors_section,
			    o->detectors_file);
	if (detector_set_load(set, o->detectors_section ? o->detectors_section : o->detectors_file,
			      o->detectors_section ? "detectors" : NULL, err, sizeof(err)))
		return fail(EXIT_SETUP, "detectors: %s", err);
	return 0;
}

/* --config FILE (or --check-config FILE): the file's settings become
 * options placed before the command line's, so flags override them. */
static int merge_config(int argc, char **argv, struct yopt_args *cfg, int *out_argc, char ***out_argv)
{
	const char *path = NULL;
	char err[1024], **merged;

	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "--config") || !strcmp(argv[i], "--check-config")) && i + 1 < argc)
			path = argv[i + 1];
		else if (!strncmp(argv[i], "--config=", 9) || !strncmp(argv[i], "--check-config=", 15))
			path = strchr(argv[i], '=') + 1;
	}
	*out_argc = argc;
	*out_argv = argv;
	if (!path)
		return 0;
	if (config_load(path, cfg, err, sizeof(err)))
		return fail(EXIT_SETUP, "%s", err);
	merged = yopt_merge(argc, argv, cfg, out_argc);
	if (!merged)
		return fail(1, "out of memory");
	*out_argv = merged;
	parsing_config = cfg;
	return 0;
}

/* The digest of the configuration in effect: the file, the policy files it
 * or the command line name, and every option. */
static int digest_config(struct options *o, int argc, char **argv)
{
	const char *policy[] = { o->detectors_file, o->drift_banned, o->drift_refusals };
	char err[512];

	if (config_digest(o->config_path, policy, 3, argv + 1, argc - 1, o->digest, err, sizeof(err)))
		return fail(EXIT_SETUP, "configuration: %s", err);
	return 0;
}

/* --check-config: everything the agent would refuse at start, refused now,
 * without loading BPF. */
static int check_config(struct options *o)
{
	struct detector_set set = { 0 };
	struct banned *b = NULL;
	char **lex = NULL, err[512], hex[2 * CONFIG_DIGEST + 1];
	int rc = EXIT_SETUP;

	if (load_detectors(o, &set))
		goto out;
	if (o->drift_banned && !(b = banned_load(o->drift_banned, err, sizeof(err)))) {
		fail(EXIT_SETUP, "--drift-banned: %s", err);
		goto out;
	}
	if (o->drift_refusals && !(lex = drift_lexicon_load(o->drift_refusals, err, sizeof(err)))) {
		fail(EXIT_SETUP, "--drift-refusals: %s", err);
		goto out;
	}
	hex_encode(o->digest, CONFIG_DIGEST, hex);
	printf("%s: valid (%zu detectors, %zu banned-content rules); digest %s\n", o->config_path, set.n,
	       banned_rules(b), hex);
	rc = 0;
out:
	detector_set_release(&set);
	banned_free(b);
	drift_lexicon_free(lex);
	return rc;
}

/* The detectors (built-in, and from --detectors), the fingerprint key
 * (made on first start), the classifier, the evidence log. */
static int classifier_setup(struct options *o, struct detector_set *set, struct classifier **cls,
			    struct evidence **ev, struct evidence_copy **copy, struct judge **judge)
{
	uint8_t key[CL_KEY_MAX];
	char err[512], keypath[PATH_BUF], host[256] = "";
	int keylen;

	if (load_detectors(o, set))
		return EXIT_SETUP;
	if (mkdir(o->state_dir, 0700) && errno != EEXIST)
		return fail(EXIT_SETUP, "--state-dir %s: %s", o->state_dir, strerror(errno));
	snprintf(keypath, sizeof(keypath), "%s/fingerprint.key", o->state_dir);
	keylen = keyfile_load(o->fingerprint_key ? o->fingerprint_key : keypath, true, key, sizeof(key), err,
			      sizeof(err));
	if (keylen < 0)
		return fail(EXIT_SETUP, "fingerprint key: %s", err);
	*cls = classifier_new(set->dets, set->n, key, (size_t)keylen, err, sizeof(err));
	OPENSSL_cleanse(key, sizeof(key));
	if (!*cls)
		return fail(EXIT_SETUP, "classifier: %s", err);
	gethostname(host, sizeof(host) - 1);
	o->copy.otlp.node = o->node ? o->node : host;
	o->copy.otlp.version = SEALTAP_VERSION;
	if ((o->copy.json_path || o->copy.otlp.url) && !(*copy = evidence_copy_new(&o->copy, err, sizeof(err))))
		return fail(EXIT_SETUP, "evidence copy: %s", err);
	*ev = evidence_open(&(struct evidence_opts){ .state_dir = o->state_dir,
						     .node = o->node ? o->node : host,
						     .version = SEALTAP_VERSION,
						     .spool_max_bytes = o->spool_max,
						     .config_digest = o->digest,
						     .observer = *copy ? evidence_copy_event : NULL,
						     .observer_ctx = *copy },
			    err, sizeof(err));
	if (!*ev)
		return fail(EXIT_SETUP, "evidence: %s", err);
	*judge = judge_new(*cls, &(struct judge_opts){ .out = stdout,
						       .ev = *ev,
						       .leak_slots = o->leak_slots,
						       .leak_window_ns = (uint64_t)(o->leak_window_s * 1e9) });
	if (!*judge)
		return fail(1, "out of memory");
	return 0;
}

/* What a reload may change while running: the detectors (and the
 * classifier built from them), banned content and the refusal lexicon.
 * Everything else needs a restart. */
struct policy {
	struct detector_set set;
	struct classifier *cls;
	struct banned *banned;
	char **refusals;
};

static void policy_set_free(void *ctx)
{
	struct detector_set *set = ctx;

	detector_set_release(set);
	free(set);
}

/* The running agent, as a reload sees it. */
struct running {
	struct options *o;
	int argc;               /* the options in force (file and command line merged) */
	char **argv;
	int cli_argc;           /* the command line alone */
	char **cli_argv;
	struct policy *policy;
	struct judge *judge;
	struct drift *drift;
	struct evidence *ev;
	uint64_t reloads, reload_failures;
};

/* What /metrics shows: the stats line and the labelled counters. */
struct metrics_ctx {
	struct capture *cap;
	struct judge *judge;
};

static void metrics_stats(void *ctx, FILE *out)
{
	capture_write_stats(((struct metrics_ctx *)ctx)->cap, out);
}

static void metrics_labelled(void *ctx, FILE *out)
{
	judge_write_prometheus(((struct metrics_ctx *)ctx)->judge, out);
}

static void write_reload_stats(const struct running *r, FILE *out)
{
	fprintf(out, ",\"config\":{\"reloads\":%" PRIu64 ",\"reload_failures\":%" PRIu64 "}", r->reloads,
		r->reload_failures);
}

/* SIGHUP: read the configuration again; apply it if it is valid and only
 * the policy changed; otherwise say why and keep running as before. */
static void reload(struct running *r)
{
	struct options o2 = { 0 };
	struct yopt_args cfg = { 0 };
	struct policy next = { 0 };
	struct detector_set *old_set;
	uint8_t key[CL_KEY_MAX];
	char err[1024], keypath[PATH_BUF], hex[2 * CONFIG_DIGEST + 1], **argv2 = NULL;
	int argc2, keylen, same;

	if (!r->o->config_path) {
		fprintf(stderr, "sealtap-agent: SIGHUP: started without --config: nothing to reload\n");
		r->reload_failures++;
		return;
	}
	optind = 0; /* getopt starts over */
	if (merge_config(r->cli_argc, r->cli_argv, &cfg, &argc2, &argv2) || parse_options(argc2, argv2, &o2) ||
	    digest_config(&o2, argc2, argv2))
		goto refused; /* (the reason is on stderr, with file and line) */
	for (same = 1; same < argc2 && same < r->argc && !strcmp(argv2[same], r->argv[same]); same++)
		;
	if (same < argc2 || same < r->argc) {
		/* The option's name only: a value may be a secret (an OTLP header). */
		const char *changed = same < argc2 ? argv2[same] : r->argv[same];

		fprintf(stderr, "sealtap-agent: reload refused: %.*s changed, and only the detectors, banned content and "
				"refusal lexicon change without a restart. The running configuration stays.\n",
			(int)strcspn(changed, "="), changed);
		goto refused;
	}
	if (!memcmp(o2.digest, r->o->digest, CONFIG_DIGEST)) {
		fprintf(stderr, "sealtap-agent: reload: the configuration is unchanged\n");
		goto done;
	}
	if (load_detectors(&o2, &next.set))
		goto refused;
	snprintf(keypath, sizeof(keypath), "%s/fingerprint.key", o2.state_dir);
	keylen = keyfile_load(o2.fingerprint_key ? o2.fingerprint_key : keypath, false, key, sizeof(key), err,
			      sizeof(err));
	if (keylen >= 0)
		next.cls = classifier_new(next.set.dets, next.set.n, key, (size_t)keylen, err, sizeof(err));
	OPENSSL_cleanse(key, sizeof(key));
	if (!next.cls || (o2.drift_banned && !(next.banned = banned_load(o2.drift_banned, err, sizeof(err)))) ||
	    (o2.drift_refusals && !(next.refusals = drift_lexicon_load(o2.drift_refusals, err, sizeof(err))))) {
		fprintf(stderr, "sealtap-agent: reload refused: %s. The running configuration stays.\n", err);
		goto refused;
	}
	/* Swap: texts being scanned finish with the old classifier, which goes
	 * (with its detectors) when the last of them closes. */
	old_set = malloc(sizeof(*old_set));
	if (!old_set) {
		fprintf(stderr, "sealtap-agent: reload refused: out of memory\n");
		goto refused;
	}
	*old_set = r->policy->set;
	judge_set_classifier(r->judge, next.cls);
	classifier_retire(r->policy->cls, next.cls, policy_set_free, old_set);
	drift_set_policy(r->drift, next.banned, (const char *const *)next.refusals);
	if (!r->drift)
		banned_free(next.banned);
	drift_lexicon_free(r->policy->refusals);
	*r->policy = next;
	memset(&next, 0, sizeof(next));
	memcpy(r->o->digest, o2.digest, CONFIG_DIGEST);
	evidence_policy_change(r->ev, o2.digest);
	hex_encode(o2.digest, CONFIG_DIGEST, hex);
	fprintf(stderr, "sealtap-agent: configuration reloaded: %zu detectors; digest %s\n", r->policy->set.n, hex);
	r->reloads++;
	goto done;
refused:
	r->reload_failures++;
	classifier_free(next.cls);
	detector_set_release(&next.set);
	banned_free(next.banned);
	drift_lexicon_free(next.refusals);
done:
	parsing_config = NULL;
	yopt_release(&cfg);
	if (argv2 != r->cli_argv)
		free(argv2);
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct sslsniff_bpf *skel = NULL;
	struct attach *att = NULL;
	struct capture *cap = NULL;
	struct policy pol = { 0 };
	struct evidence *ev = NULL;
	struct judge *judge = NULL;
	struct drift *drift = NULL;
	struct ship *ship = NULL;
	struct coverage *cov = NULL;
	struct evidence_copy *copy = NULL;
	struct stages stages;
	struct fanout fan;
	struct rlimit nofile = { 65536, 65536 };
	struct yopt_args config = { 0 };
	struct metrics *metrics = NULL;
	struct metrics_ctx mctx;
	struct running run;
	int cli_argc = argc;
	char **cli_argv = argv;
	uint64_t start, next_stats, next_tick = 0;
	int err, covered;

	if (argc > 1 && strcmp(argv[1], "scan") == 0)
		return scan_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "keys") == 0)
		return keys_main(argc - 1, argv + 1);
	err = merge_config(argc, argv, &config, &argc, &argv);
	if (!err)
		err = parse_options(argc, argv, &o);
	parsing_config = NULL;
	if (!err)
		err = digest_config(&o, argc, argv);
	if (!err && o.check_config) {
		err = check_config(&o);
		goto cleanup;
	}
	if (!err)
		err = preflight();
	if (err)
		goto cleanup;
	libbpf_verbose = o.verbose;
	libbpf_set_print(libbpf_print);
	/* One perf event fd per probe: a busy node needs thousands. */
	setrlimit(RLIMIT_NOFILE, &nofile);

	if (o.dump_capture || o.dump_exchanges)
		fprintf(stderr,
			"sealtap-agent: WARNING: --dump %s prints captured PLAINTEXT, including any "
			"secrets and personal data in it. Use it for debugging only, never in production.\n",
			o.dump_capture ? "capture" : "exchanges");

	err = classifier_setup(&o, &pol.set, &pol.cls, &ev, &copy, &judge);
	if (err)
		goto cleanup;
	if (o.ship.url) {
		char msg[256];

		if ((o.ship.cert_file != NULL) != (o.ship.key_file != NULL)) {
			err = fail(EXIT_SETUP, "--collector-cert and --collector-key go together");
			goto cleanup;
		}
		ship = ship_new(ev, &o.ship, msg, sizeof(msg));
		if (!ship) {
			err = fail(EXIT_SETUP, "shipping: %s", msg);
			goto cleanup;
		}
	}
	if (!o.no_drift) {
		char msg[512], drift_state[PATH_BUF];

		if (o.drift_refusals && !(pol.refusals = drift_lexicon_load(o.drift_refusals, msg, sizeof(msg)))) {
			err = fail(EXIT_SETUP, "--drift-refusals: %s", msg);
			goto cleanup;
		}
		snprintf(drift_state, sizeof(drift_state), "%s/drift.state", o.state_dir);
		drift = drift_new(&(struct drift_opts){ .out = stdout,
							 .ev = ev,
							 .max_keys = o.drift_keys,
							 .state_path = drift_state,
							 .banned_path = o.drift_banned,
							 .refusals = (const char *const *)pol.refusals,
							 .rate_shift = o.drift_rate_shift },
				  msg, sizeof(msg));
		if (!drift) {
			err = fail(EXIT_SETUP, "drift: %s", msg);
			goto cleanup;
		}
	}
	run = (struct running){ .o = &o, .argc = argc, .argv = argv, .cli_argc = cli_argc, .cli_argv = cli_argv,
				.policy = &pol, .judge = judge, .drift = drift, .ev = ev };
	stages = (struct stages){ judge, ev, ship, copy, drift, &run };
	fanout_init(&fan, judge, drift, o.dump_exchanges ? stdout : NULL);

	skel = sslsniff_bpf__open();
	if (!skel) {
		err = fail(EXIT_SETUP, "cannot open the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	skel->rodata->targ_self_tgid = (uint32_t)getpid();
	skel->rodata->wakeup_bytes = o.wakeup_bytes;
	bpf_map__set_max_entries(skel->maps.rb, (uint32_t)o.ringbuf_bytes);
	err = sslsniff_bpf__load(skel);
	if (err) {
		err = fail(EXIT_SETUP, "BPF is unavailable: loading the probes failed (%s); run with "
				       "-v for the verifier log", strerror(-err));
		goto cleanup;
	}
	err = sslsniff_bpf__attach(skel); /* the exec/exit tracepoints; uprobes come per process */
	if (err) {
		err = fail(EXIT_SETUP, "cannot attach the process tracepoints: %s", strerror(-err));
		goto cleanup;
	}
	att = attach_new(skel, &o.sel);
	cap = att ? capture_new(skel, att, &(struct capture_opts){ .dump_chunks = o.dump_capture,
								    .out = stdout,
								    .max_conns = o.max_conns,
								    .idle_timeout_ns = (uint64_t)(o.idle_timeout_s * 1e9),
								    .max_body = o.max_body,
								    .model_ports = o.model_ports,
								    .nmodel_ports = o.nmodel_ports,
								    .model_comms = o.model_comms,
								    .nmodel_comms = o.nmodel_comms,
								    .sink = &fan.sink,
								    .extra_stats = write_stage_stats,
								    .extra_ctx = &stages })
		  : NULL;
	if (!cap) {
		err = fail(1, "out of memory");
		goto cleanup;
	}

	if (o.metrics_listen) {
		char msg[256];

		mctx = (struct metrics_ctx){ cap, judge };
		metrics = metrics_start(o.metrics_listen, &(struct metrics_source){ metrics_stats, metrics_labelled, &mctx },
					msg, sizeof(msg));
		if (!metrics) {
			err = fail(EXIT_SETUP, "--metrics %s", msg);
			goto cleanup;
		}
	}
	{
		char msg[256];

		/* Everything is open and bound: keep only what attaching to new
		 * processes needs (privileges.h). */
		if (privileges_drop(msg, sizeof(msg))) {
			err = fail(1, "dropping privileges: %s", msg);
			goto cleanup;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);

	covered = attach_scan_all(att);
	if (covered == 0 && o.sel.npids && !o.sel.all && !o.sel.ncomms && !o.sel.nexes &&
	    !o.sel.ncgroups) {
		err = fail(EXIT_SETUP, "nothing to attach to: no selected process maps an OpenSSL "
				       "library (libssl, or an executable exporting SSL_write)");
		goto cleanup;
	}
	fprintf(stderr, "sealtap-agent: ready: %d process(es) covered, watching for more\n",
		covered);
	/* Compiling the pattern databases left megabytes of freed heap below
	 * live blocks; hand those pages back rather than carry them forever. */
	malloc_trim(0);

	start = clock_mono_ns();
	cov = ev ? coverage_new(ev, (uint64_t)(o.heartbeat_s * 1e9), start) : NULL;
	next_stats = o.stats_interval_s > 0 ? start + (uint64_t)(o.stats_interval_s * 1e9) : UINT64_MAX;
	while (!stop_requested) {
		uint64_t now;

		err = capture_poll(cap, 50);
		if (err < 0) {
			err = fail(1, "reading the ring buffer: %s", strerror(-err));
			goto cleanup;
		}
		now = clock_mono_ns();
		metrics_poll(metrics);
		if (reload_requested) {
			reload_requested = 0;
			reload(&run);
			malloc_trim(0); /* the same after recompiling */
		}
		attach_tick(att, now);
		evidence_tick(ev, now);
		if (ship)
			ship_tick(ship, now);
		evidence_copy_tick(copy, now);
		if (now >= next_tick) {
			capture_tick(cap, now);
			coverage_tick(cov, cap, now);
			drift_tick(drift, now);
			next_tick = now + 1000000000ull;
		}
		if (now >= next_stats) {
			capture_write_stats(cap, stdout);
			next_stats = now + (uint64_t)(o.stats_interval_s * 1e9);
		}
		if (o.duration_s > 0 && now - start >= (uint64_t)(o.duration_s * 1e9))
			break;
	}
	/* Drain what the probes queued before we stop reading. */
	capture_poll(cap, 0);
	coverage_tick(cov, cap, clock_mono_ns()); /* losses up to the end are in the record */
	capture_write_stats(cap, stdout);
	err = 0;

cleanup:
	metrics_stop(metrics);
	capture_free(cap); /* finishes open exchanges: before the judge goes */
	coverage_free(cov);
	judge_free(judge);
	drift_free(drift); /* saves its state; its last alerts went into the record above */
	drift_lexicon_free(pol.refusals);
	evidence_finish(ev); /* the stop event and a last checkpoint */
	if (ship)
		ship_flush(ship, 5000000000ull); /* give the collector a few seconds to take it all */
	ship_free(ship);
	evidence_copy_flush(copy, 2000000000ull); /* the stop event, to the OTLP pipeline */
	evidence_close(ev);
	evidence_copy_free(copy);
	classifier_free(pol.cls);
	detector_set_release(&pol.set);
	attach_free(att);
	sslsniff_bpf__destroy(skel);
	if (argv != cli_argv)
		free(argv); /* the merged options; their strings are the config's */
	yopt_release(&config);
	return err;
}
