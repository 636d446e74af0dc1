// SPDX-License-Identifier: Apache-2.0
/*
 * sealtap-agent: sees the plaintext model-serving processes hand to OpenSSL.
 *
 * main reads as the lifecycle: options (the table in options.c, the file
 * in config.c), preflight checks, open_stages, load_probes, get_ready,
 * consume until told to stop, agent_close. Modules return negative errno;
 * only main turns failures into exit codes (enum sealtap_exit): OK,
 * FAILED (runtime), SETUP (options, privileges, kernel).
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

#include "account.h"
#include "attach.h"
#include "banned.h"
#include "capture.h"
#include "classify.h"
#include "clock.h"
#include "config.h"
#include "coverage.h"
#include "detector_config.h"
#include "drift.h"
#include "evidence.h"
#include "event_view.h"
#include "evidence_copy.h"
#include "fanout.h"
#include "hex.h"
#include "judge.h"
#include "keyfile.h"
#include "metrics.h"
#include "note.h"
#include "options.h"
#include "paths.h"
#include "privileges.h"
#include "prompts.h"
#include "routing.h"
#include "scan.h"
#include "selector.h"
#include "ship.h"
#include "sslsniff.skel.h"

#define SEALTAP_VERSION "0.1.0"


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
	fputs("usage: sealtap-agent [selection] [options]\n"
	      "       sealtap-agent scan [--key FILE] [--format json|text] [FILE...]  (see scan --help)\n"
	      "       sealtap-agent keys [--state-dir DIR]   print the agent's public key (made if missing)\n",
	      out);
	opt_usage(out, agent_option_defs);
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

/* "--name VALUE: expected ..." for a value the table or the code refused. */
static int refused(const struct opt_def *d, const char *arg)
{
	return fail(SEALTAP_EXIT_SETUP, "--%s %s: expected %s", d->name, arg ? arg : "", d->expect);
}

/* The options the table cannot store alone: lists, choices, checks. */
static int parse_special(const struct opt_def *d, const char *arg, struct agent_options *o)
{
	static const char *const kinds[] = { "pid", "comm", "exe", "cgroup" };
	double v;
	int r;

	switch (d->id) {
	case AOPT_CHECK_CONFIG:
		o->config_path = arg;
		o->check_config = true;
		return 0;
	case AOPT_PID:
	case AOPT_COMM:
	case AOPT_EXE:
	case AOPT_CGROUP:
		r = selector_add(&o->sel, kinds[d->id - AOPT_PID], arg);
		if (r)
			return fail(SEALTAP_EXIT_SETUP, "--%s %s: %s", d->name, arg,
				    r == -ENOSPC ? "too many selectors of that kind" : "not a valid value");
		return 0;
	case AOPT_DUMP:
		if (strcmp(arg, "capture") == 0)
			o->dump_capture = true;
		else if (strcmp(arg, "exchanges") == 0)
			o->dump_exchanges = true;
		else
			return refused(d, arg);
		return 0;
	case AOPT_OUTPUT:
		if (strcmp(arg, "auto") == 0)
			o->output = OUTPUT_AUTO;
		else if (strcmp(arg, "json") == 0)
			o->output = OUTPUT_JSON;
		else if (strcmp(arg, "human") == 0)
			o->output = OUTPUT_HUMAN;
		else
			return refused(d, arg);
		return 0;
	case AOPT_RINGBUF:
		if (opt_number(d, arg, &v) || ((unsigned long)v & ((unsigned long)v - 1)))
			return refused(d, arg);
		o->ringbuf_bytes = (unsigned long)v;
		return 0;
	case AOPT_MODELPORT:
		if (opt_number(d, arg, &v) || v != (double)(uint16_t)v)
			return refused(d, arg);
		if (o->nmodel_ports == MAX_MODEL_PORTS)
			return fail(SEALTAP_EXIT_SETUP, "--model-port: at most %d ports", MAX_MODEL_PORTS);
		o->model_ports[o->nmodel_ports++] = (uint16_t)v;
		return 0;
	case AOPT_MODELPROC:
		if (!*arg || strlen(arg) > 15)
			return refused(d, arg);
		if (o->nmodel_comms == MAX_MODEL_PORTS)
			return fail(SEALTAP_EXIT_SETUP, "--model-process: at most %d names", MAX_MODEL_PORTS);
		o->model_comms[o->nmodel_comms++] = arg;
		return 0;
	case AOPT_COLLECTOR:
		if (strncmp(arg, "https://", 8) && strncmp(arg, "http://127.", 11))
			return refused(d, arg);
		o->ship.url = arg;
		return 0;
	case AOPT_COLLECTOR_PUBKEY:
		if (hex_decode(arg, o->ship.collector_key, sizeof(o->ship.collector_key)))
			return refused(d, arg);
		o->ship.check_cosignature = true;
		return 0;
	case AOPT_OTLP:
		if (strncmp(arg, "https://", 8) && strncmp(arg, "http://", 7))
			return refused(d, arg);
		o->copy.otlp.url = arg;
		return 0;
	case AOPT_OTLP_HEADER:
		if (o->copy.otlp.nheaders == OTLP_MAX_HEADERS || !strchr(arg, ':') || strpbrk(arg, "\r\n"))
			/* (not the value: a header is often an API key) */
			return fail(SEALTAP_EXIT_SETUP, "--otlp-header: expected 'Name: value' (at most %d)",
				    OTLP_MAX_HEADERS);
		o->copy.otlp.headers[o->copy.otlp.nheaders++] = arg;
		return 0;
	case AOPT_HEARTBEAT:
		if (opt_number(d, arg, &o->heartbeat_s) || (o->heartbeat_s > 0 && o->heartbeat_s < 1))
			return refused(d, arg);
		return 0;
	case AOPT_VERSION:
		printf("sealtap-agent %s\n", SEALTAP_VERSION);
		exit(SEALTAP_EXIT_OK);
	case AOPT_HELP:
		usage(stdout);
		exit(SEALTAP_EXIT_OK);
	case AOPT_OPTIONS_REFERENCE:
		fputs("# sealtap-agent options\n\n"
		      "Every option of the agent, on the command line and in its configuration file (`--config FILE`;\n"
		      "keys are dotted by section: `evidence.state_dir` is `state_dir:` under `evidence:`). The file is\n"
		      "read first and the command line overrides it; repeatable options add up. This page is made by\n"
		      "`sealtap-agent --options-reference` from the agent's one option table (agent/options.c):\n"
		      "`make docs` writes it, and a test fails when it differs.\n\n",
		      stdout);
		opt_markdown(stdout, agent_option_defs);
		exit(SEALTAP_EXIT_OK);
	}
	usage(stderr);
	return SEALTAP_EXIT_SETUP;
}

static int parse_options(int argc, char **argv, struct agent_options *o)
{
	static struct option longopts[96];
	int c;

	if (opt_getopt_table(agent_option_defs, longopts, sizeof(longopts) / sizeof(longopts[0])) < 0)
		return fail(SEALTAP_EXIT_FAILED, "the option table outgrew its getopt table");
	agent_options_init(o);
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		const struct opt_def *d = opt_find(agent_option_defs, c);
		int r;

		parsing_index = optind - 1; /* options from the file are one "--name=value" each */
		if (!d) {
			usage(stderr);
			return SEALTAP_EXIT_SETUP;
		}
		r = opt_store(d, optarg, o);
		if (r < 0)
			return refused(d, optarg);
		if (r > 0 && (r = parse_special(d, optarg, o)))
			return r;
	}
	if (optind < argc)
		return fail(SEALTAP_EXIT_SETUP, "unexpected argument '%s' (see --help)", argv[optind]);
	if (selector_is_empty(&o->sel))
		return fail(SEALTAP_EXIT_SETUP,
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
		return fail(SEALTAP_EXIT_SETUP, "must run as root: loading probes needs CAP_BPF, CAP_PERFMON "
					"and CAP_SYS_ADMIN");
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		return fail(SEALTAP_EXIT_SETUP, "this kernel has no BTF (/sys/kernel/btf/vmlinux): sealtap "
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
		return fprintf(stderr, "usage: sealtap-agent keys [--state-dir DIR]\n"), SEALTAP_EXIT_SETUP;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return fail(SEALTAP_EXIT_SETUP, "%s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/agent.key", dir);
	if (keyfile_load(path, true, seed, sizeof(seed), err, sizeof(err)) < 0)
		return fail(SEALTAP_EXIT_SETUP, "%s", err);
	s = note_signer_new("k", seed);
	OPENSSL_cleanse(seed, sizeof(seed));
	if (!s)
		return fail(SEALTAP_EXIT_SETUP, "%s: not usable as an Ed25519 key", path);
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
	struct prompts *prompts;
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
	prompts_write_stats(st->prompts, out);
	if (st->run)
		write_reload_stats(st->run, out);
	write_memory_stats(out);
}

/* The built-in detectors with what the configuration file's detectors
 * section and --detectors FILE change (both: the section first). */
static int load_detectors(const struct agent_options *o, struct detector_set *set)
{
	char err[512];

	if (o->detectors_section && o->detectors_file)
		return fail(SEALTAP_EXIT_SETUP, "detectors: set in %s and in %s: choose one", o->detectors_section,
			    o->detectors_file);
	if (detector_set_load(set, o->detectors_section ? o->detectors_section : o->detectors_file,
			      o->detectors_section ? "detectors" : NULL, err, sizeof(err)))
		return fail(SEALTAP_EXIT_SETUP, "detectors: %s", err);
	return 0;
}

/* The routing policy of the configuration file's routing section or
 * --routing FILE (not both), checked against the detectors in set. *out
 * is NULL when there is none. */
static int load_routing(const struct agent_options *o, const struct detector_set *set, struct routing **out)
{
	char err[512];

	if (o->routing_section && o->routing_file)
		return fail(SEALTAP_EXIT_SETUP, "routing: set in %s and in %s: choose one", o->routing_section,
			    o->routing_file);
	if (routing_load(out, o->routing_section ? o->routing_section : o->routing_file,
			 o->routing_section ? "routing" : NULL, set->dets, set->n, err, sizeof(err)))
		return fail(SEALTAP_EXIT_SETUP, "routing: %s", err);
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
	if (config_load(path, agent_option_defs, cfg, err, sizeof(err)))
		return fail(SEALTAP_EXIT_SETUP, "%s", err);
	merged = yopt_merge(argc, argv, cfg, out_argc);
	if (!merged)
		return fail(SEALTAP_EXIT_FAILED, "out of memory");
	*out_argv = merged;
	parsing_config = cfg;
	return 0;
}

/* The digest of the configuration in effect: the file, the policy files it
 * or the command line name, and every option. */
static int digest_config(struct agent_options *o, int argc, char **argv)
{
	const char *policy[] = { o->detectors_file, o->drift_banned, o->drift_refusals, o->routing_file };
	char err[512];

	if (config_digest(o->config_path, policy, 4, argv + 1, argc - 1, o->digest, err, sizeof(err)))
		return fail(SEALTAP_EXIT_SETUP, "configuration: %s", err);
	return 0;
}

/* --check-config: everything the agent would refuse at start, refused now,
 * without loading BPF. */
static int check_config(struct agent_options *o)
{
	struct detector_set set = { 0 };
	struct routing *routing = NULL;
	struct banned *b = NULL;
	char **lex = NULL, err[512], hex[2 * CONFIG_DIGEST + 1];
	int rc = SEALTAP_EXIT_SETUP;

	if (load_detectors(o, &set) || load_routing(o, &set, &routing))
		goto out;
	if (o->drift_banned && !(b = banned_load(o->drift_banned, err, sizeof(err)))) {
		fail(SEALTAP_EXIT_SETUP, "--drift-banned: %s", err);
		goto out;
	}
	if (o->drift_refusals && !(lex = drift_lexicon_load(o->drift_refusals, err, sizeof(err)))) {
		fail(SEALTAP_EXIT_SETUP, "--drift-refusals: %s", err);
		goto out;
	}
	hex_encode(o->digest, CONFIG_DIGEST, hex);
	printf("%s: valid (%zu detectors, %zu routing rules, %zu banned-content rules); digest %s\n", o->config_path,
	       set.n, routing_rules(routing), banned_rules(b), hex);
	rc = 0;
out:
	routing_free(routing);
	detector_set_release(&set);
	banned_free(b);
	drift_lexicon_free(lex);
	return rc;
}

/* The detectors (built-in, and from --detectors), the fingerprint key
 * (made on first start), the classifier, the evidence log. */
static int classifier_setup(struct agent_options *o, FILE *out, struct detector_set *set, struct classifier **cls,
			    struct evidence **ev, struct evidence_copy **copy, struct judge **judge)
{
	uint8_t key[CL_KEY_MAX];
	char err[512], keypath[PATH_BUF], host[256] = "";
	int keylen;

	if (load_detectors(o, set))
		return SEALTAP_EXIT_SETUP;
	if (mkdir(o->state_dir, 0700) && errno != EEXIST)
		return fail(SEALTAP_EXIT_SETUP, "--state-dir %s: %s", o->state_dir, strerror(errno));
	snprintf(keypath, sizeof(keypath), "%s/fingerprint.key", o->state_dir);
	keylen = keyfile_load(o->fingerprint_key ? o->fingerprint_key : keypath, true, key, sizeof(key), err,
			      sizeof(err));
	if (keylen < 0)
		return fail(SEALTAP_EXIT_SETUP, "fingerprint key: %s", err);
	*cls = classifier_new(set->dets, set->n, key, (size_t)keylen, err, sizeof(err));
	OPENSSL_cleanse(key, sizeof(key));
	if (!*cls)
		return fail(SEALTAP_EXIT_SETUP, "classifier: %s", err);
	gethostname(host, sizeof(host) - 1);
	o->copy.otlp.node = o->node ? o->node : host;
	o->copy.otlp.version = SEALTAP_VERSION;
	if ((o->copy.json_path || o->copy.otlp.url) && !(*copy = evidence_copy_new(&o->copy, err, sizeof(err))))
		return fail(SEALTAP_EXIT_SETUP, "evidence copy: %s", err);
	*ev = evidence_open(&(struct evidence_opts){ .state_dir = o->state_dir,
						     .node = o->node ? o->node : host,
						     .version = SEALTAP_VERSION,
						     .spool_max_bytes = o->spool_max,
						     .config_digest = o->digest,
						     .observer = *copy ? evidence_copy_event : NULL,
						     .observer_ctx = *copy },
			    err, sizeof(err));
	if (!*ev)
		return fail(SEALTAP_EXIT_SETUP, "evidence: %s", err);
	*judge = judge_new(*cls, &(struct judge_opts){ .out = out,
						       .ev = *ev,
						       .leak_slots = o->leak_slots,
						       .leak_window_ns = (uint64_t)(o->leak_window_s * 1e9) });
	if (!*judge)
		return fail(SEALTAP_EXIT_FAILED, "out of memory");
	return 0;
}

/* What a reload may change while running: the detectors (and the
 * classifier built from them), the routing policy, banned content and the
 * refusal lexicon. Everything else needs a restart. */
struct policy {
	struct detector_set set;
	struct classifier *cls;
	struct routing *routing;
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
	struct agent_options *o;
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
	struct account *acct;
};

static void metrics_stats(void *ctx, FILE *out)
{
	capture_write_stats(((struct metrics_ctx *)ctx)->cap, out);
}

static void metrics_labelled(void *ctx, FILE *out)
{
	judge_write_prometheus(((struct metrics_ctx *)ctx)->judge, out);
	account_write_prometheus(((struct metrics_ctx *)ctx)->acct, out);
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
	struct agent_options o2 = { 0 };
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

		fprintf(stderr, "sealtap-agent: reload refused: %.*s changed, and only the detectors, routing policy, "
				"banned content and refusal lexicon change without a restart. The running configuration "
				"stays.\n",
			(int)strcspn(changed, "="), changed);
		goto refused;
	}
	if (!memcmp(o2.digest, r->o->digest, CONFIG_DIGEST)) {
		fprintf(stderr, "sealtap-agent: reload: the configuration is unchanged\n");
		goto done;
	}
	if (load_detectors(&o2, &next.set) || load_routing(&o2, &next.set, &next.routing))
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
	judge_set_routing(r->judge, next.routing); /* one thread: no finding is being judged now */
	routing_free(r->policy->routing);
	drift_set_policy(r->drift, next.banned, (const char *const *)next.refusals);
	if (!r->drift)
		banned_free(next.banned);
	drift_lexicon_free(r->policy->refusals);
	*r->policy = next;
	memset(&next, 0, sizeof(next));
	memcpy(r->o->digest, o2.digest, CONFIG_DIGEST);
	evidence_policy_change(r->ev, o2.digest);
	hex_encode(o2.digest, CONFIG_DIGEST, hex);
	fprintf(stderr, "sealtap-agent: configuration reloaded: %zu detectors, %zu routing rules; digest %s\n",
		r->policy->set.n, routing_rules(r->policy->routing), hex);
	r->reloads++;
	goto done;
refused:
	r->reload_failures++;
	routing_free(next.routing);
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

/* What capture saw and lost so far, for the coverage events. */
static void coverage_of(struct capture *cap, struct coverage_sample *s)
{
	struct capture_seen seen;

	_Static_assert(CAPTURE_LOSS_REASONS <= COVERAGE_LOSS_MAX, "every loss reason fits a capture_loss event");
	s->nlosses = capture_losses(cap, s->loss_names, s->losses, COVERAGE_LOSS_MAX);
	capture_seen(cap, &seen);
	s->exchanges = seen.exchanges;
	s->bytes = seen.bytes;
	s->processes = seen.processes;
}

/* Everything the agent runs, for the lifecycle below; each part is NULL
 * until it is made, and agent_close takes what exists. */
struct agent {
	struct agent_options o;
	FILE *out;               /* the event lines: stdout, or the view of them */
	struct event_view *view; /* --output human: what shows them on stdout */
	struct policy pol;
	struct evidence *ev;
	struct evidence_copy *copy;
	struct judge *judge;
	struct drift *drift;
	struct prompts *prompts;
	struct ship *ship;
	struct fanout fan;
	struct stages stages;
	struct running run;
	struct sslsniff_bpf *skel;
	struct attach *att;
	struct capture *cap;
	struct coverage *cov;
	struct account *acct; /* what is watched and what is not */
	struct metrics *metrics;
	struct metrics_ctx mctx;
	bool stopping; /* it ran and stops as asked (not a failure at start) */
};

/* The stages after capture: classifier, evidence and its copies, judge,
 * shipping, drift, and the fan-out that feeds them. */
static int open_stages(struct agent *a, int argc, char **argv, int cli_argc, char **cli_argv)
{
	struct agent_options *o = &a->o;
	bool colour;
	int err;

	a->out = stdout;
	if (output_choose(o->output, STDOUT_FILENO, &colour) == OUTPUT_HUMAN) {
		a->view = event_view_new(stdout, colour);
		if (!a->view)
			return fail(SEALTAP_EXIT_FAILED, "out of memory");
		a->out = event_view_stream(a->view);
	}
	err = classifier_setup(o, a->out, &a->pol.set, &a->pol.cls, &a->ev, &a->copy, &a->judge);
	if (err)
		return err;
	if (load_routing(o, &a->pol.set, &a->pol.routing))
		return SEALTAP_EXIT_SETUP;
	judge_set_routing(a->judge, a->pol.routing);
	if (o->ship.url) {
		char msg[256];

		if ((o->ship.cert_file != NULL) != (o->ship.key_file != NULL))
			return fail(SEALTAP_EXIT_SETUP, "--collector-cert and --collector-key go together");
		a->ship = ship_new(a->ev, &o->ship, msg, sizeof(msg));
		if (!a->ship)
			return fail(SEALTAP_EXIT_SETUP, "shipping: %s", msg);
	}
	if (!o->no_drift) {
		char msg[512], drift_state[PATH_BUF];

		if (o->drift_refusals &&
		    !(a->pol.refusals = drift_lexicon_load(o->drift_refusals, msg, sizeof(msg))))
			return fail(SEALTAP_EXIT_SETUP, "--drift-refusals: %s", msg);
		snprintf(drift_state, sizeof(drift_state), "%s/drift.state", o->state_dir);
		a->drift = drift_new(&(struct drift_opts){ .out = a->out,
							    .ev = a->ev,
							    .max_keys = o->drift_keys,
							    .state_path = drift_state,
							    .banned_path = o->drift_banned,
							    .refusals = (const char *const *)a->pol.refusals,
							    .rate_shift = o->drift_rate_shift },
				     msg, sizeof(msg));
		if (!a->drift)
			return fail(SEALTAP_EXIT_SETUP, "drift: %s", msg);
	}
	{
		char msg[256], prompts_state[PATH_BUF];

		snprintf(prompts_state, sizeof(prompts_state), "%s/prompts.state", o->state_dir);
		a->prompts = prompts_new(&(struct prompts_opts){ .out = a->out, .ev = a->ev, .state_path = prompts_state },
					 msg, sizeof(msg));
		if (!a->prompts)
			return fail(SEALTAP_EXIT_SETUP, "prompt changes: %s", msg);
	}
	a->run = (struct running){ .o = o, .argc = argc, .argv = argv, .cli_argc = cli_argc, .cli_argv = cli_argv,
				   .policy = &a->pol, .judge = a->judge, .drift = a->drift, .ev = a->ev };
	a->stages = (struct stages){ a->judge, a->ev, a->ship, a->copy, a->drift, a->prompts, &a->run };
	fanout_init(&a->fan, a->judge, a->drift, o->dump_exchanges ? a->out : NULL);
	a->fan.prompts = a->prompts;
	return 0;
}

/* The BPF object loaded, the process tracepoints attached, the consumer
 * of its ring buffer made (uprobes come per process, from attach). */
static int load_probes(struct agent *a)
{
	const struct agent_options *o = &a->o;
	int err;

	a->skel = sslsniff_bpf__open();
	if (!a->skel)
		return fail(SEALTAP_EXIT_SETUP, "cannot open the BPF object: %s", strerror(errno));
	a->skel->rodata->targ_self_tgid = (uint32_t)getpid();
	a->skel->rodata->wakeup_bytes = o->wakeup_bytes;
	a->skel->rodata->targ_plain_all = o->sel.all;
	/* The socket tracepoints run for every process's socket calls:
	 * loaded only when plain capture is on. */
	bpf_program__set_autoload(a->skel->progs.plain_send, !o->no_plain);
	bpf_program__set_autoload(a->skel->progs.plain_recv, !o->no_plain);
	bpf_program__set_autoload(a->skel->progs.plain_tcp_state, !o->no_plain);
	/* --all watches every process already; otherwise children inherit. */
	bpf_program__set_autoload(a->skel->progs.plain_fork, !o->no_plain && !o->sel.all);
	a->skel->rodata->targ_plain = !o->no_plain;
	a->skel->rodata->targ_exec_wake_all = selector_exec_wakes_all(&o->sel, !o->no_plain);
	bpf_map__set_max_entries(a->skel->maps.rb, (uint32_t)o->ringbuf_bytes);
	/* every selected pid and command name fits: none is left out unsaid */
	bpf_map__set_max_entries(a->skel->maps.exec_wake, SELECTOR_MAX);
	bpf_map__set_max_entries(a->skel->maps.plain_comms, SELECTOR_MAX);
	err = sslsniff_bpf__load(a->skel);
	if (err)
		return fail(SEALTAP_EXIT_SETUP, "BPF is unavailable: loading the probes failed (%s); run with "
						"-v for the verifier log", strerror(-err));
	err = sslsniff_bpf__attach(a->skel);
	if (err)
		return fail(SEALTAP_EXIT_SETUP, "cannot attach the process tracepoints: %s", strerror(-err));
	a->att = attach_new(a->skel, &o->sel, !o->no_plain);
	a->fan.att = a->att;
	a->acct = account_new(o->state_dir, (const char *const *)o->model_comms, o->nmodel_comms);
	a->cap = a->att ? capture_new(a->skel, a->att, &(struct capture_opts){ .dump_chunks = o->dump_capture,
										.plain = !o->no_plain,
										.out = a->out,
										.max_conns = o->max_conns,
										.idle_timeout_ns = (uint64_t)(o->idle_timeout_s * 1e9),
										.max_body = o->max_body,
										.model_ports = o->model_ports,
										.nmodel_ports = o->nmodel_ports,
										.model_comms = o->model_comms,
										.nmodel_comms = o->nmodel_comms,
										.sink = &a->fan.sink,
										.extra_stats = write_stage_stats,
										.extra_ctx = &a->stages })
			: NULL;
	if (!a->cap || !a->acct)
		return fail(SEALTAP_EXIT_FAILED, "out of memory");
	return 0;
}

/* What the agent watches, where its evidence goes and how to see it: one
 * line each, for the person who started it (stderr: never mixed with the
 * events). */
static void say_started(struct agent *a, int covered)
{
	const struct agent_options *o = &a->o;
	const struct coverage_account *acc = account_update(a->acct, a->att);
	const struct selector *sel = &o->sel;
	char stacks[768] = "", who[160];
	uint8_t id[CHAIN_STREAM_ID];
	char idhex[2 * CHAIN_STREAM_ID + 1];

	if (sel->all) {
		snprintf(who, sizeof(who), "every process on this host");
	} else {
		const int counts[] = { sel->npids, sel->ncomms, sel->nexes, sel->ncgroups };
		const char *const by[] = { "pid", "name", "executable", "cgroup" };
		size_t at = (size_t)snprintf(who, sizeof(who), "the processes selected by");

		for (size_t i = 0, n = 0; i < 4; i++)
			if (counts[i] && at < sizeof(who))
				at += (size_t)snprintf(who + at, sizeof(who) - at, "%s %d %s%s", n++ ? "," : "", counts[i],
						       by[i], counts[i] > 1 ? "s" : "");
	}
	if (acc)
		account_summary(acc, stacks, sizeof(stacks));
	fprintf(stderr, "sealtap-agent: watching %s: %d now; %s%s\n", who, covered,
		*stacks ? stacks : "nothing drawn up yet", o->no_plain ? "; plaintext sockets off (--no-plain-sockets)" : "");
	evidence_stream_id(a->ev, id);
	hex_encode(id, sizeof(id), idhex);
	fprintf(stderr, "sealtap-agent: evidence: signed by %s, stream %s, spooled in %s/spool; %s%s%s%s%s\n",
		evidence_key_name(a->ev), idhex, o->state_dir, o->ship.url ? "shipped to " : "not shipped (no --collector)",
		o->ship.url ? o->ship.url : "", o->copy.otlp.url ? "; OTLP copy to " : "",
		o->copy.otlp.url ? o->copy.otlp.url : "", o->copy.json_path ? "; JSON copy in a file" : "");
	fprintf(stderr, "sealtap-agent: %s; `sealtap-agent coverage --state-dir %s` says what is and is not watched%s%s\n",
		a->view ? "findings, policy violations, drift alerts and model and prompt changes show below as they "
			  "happen (--output json for machines)"
			: "events are JSON lines on standard output",
		o->state_dir, o->metrics_listen ? "; metrics on http://" : "", o->metrics_listen ? o->metrics_listen : "");
}

/* What the record holds at the end, and where what is not yet shipped
 * waits: the last words of a clean stop. */
static void say_stopped(const struct agent *a)
{
	const struct evidence_stats *st = evidence_stats(a->ev);
	uint64_t size = evidence_checkpointed(a->ev);

	fprintf(stderr, "sealtap-agent: stopped: %" PRIu64 " events signed this run, the record's last checkpoint at %" PRIu64
			" events",
		st->events, size);
	if (a->ship) {
		uint64_t acked = ship_acked(a->ship);

		if (acked >= size)
			fprintf(stderr, "; the collector holds all of them\n");
		else
			fprintf(stderr, "; the collector holds %" PRIu64 ", the other %" PRIu64 " stay in %s/spool and ship "
					"at the next start\n",
				acked, size - acked, a->o.state_dir);
	} else {
		fprintf(stderr, "; kept in %s/spool\n", a->o.state_dir);
	}
}

/* Metrics bound, privileges dropped, signals taken, every running process
 * that matches covered; then the readiness lines. */
static int get_ready(struct agent *a)
{
	const struct agent_options *o = &a->o;
	char msg[256];
	int covered;

	if (o->metrics_listen) {
		a->mctx = (struct metrics_ctx){ a->cap, a->judge, a->acct };
		a->metrics = metrics_start(o->metrics_listen,
					   &(struct metrics_source){ metrics_stats, metrics_labelled, &a->mctx }, msg,
					   sizeof(msg));
		if (!a->metrics)
			return fail(SEALTAP_EXIT_SETUP, "--metrics %s", msg);
	}
	/* Everything is open and bound: keep only what attaching to new
	 * processes needs (privileges.h). */
	if (privileges_drop(msg, sizeof(msg)))
		return fail(SEALTAP_EXIT_FAILED, "dropping privileges: %s", msg);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);

	covered = attach_scan_all(a->att);
	if (covered == 0 && o->sel.npids && !o->sel.all && !o->sel.ncomms && !o->sel.nexes && !o->sel.ncgroups)
		return fail(SEALTAP_EXIT_SETUP, !o->no_plain ? "nothing to watch: no selected process is running"
							 : "nothing to attach to: no selected process maps an OpenSSL "
							   "library (libssl, or an executable exporting SSL_write), and "
							   "--no-plain-sockets leaves their sockets unwatched");
	say_started(a, covered);
	fprintf(stderr, "sealtap-agent: ready: %d process(es) covered, watching for more\n", covered);
	/* The same for programs (tests, supervisors): every probe of the
	 * processes running now is attached and the consumer is about to run. */
	fprintf(a->out, "{\"type\":\"ready\",\"pid\":%d,\"version\":\"%s\",\"processes_covered\":%d}\n",
		(int)getpid(), SEALTAP_VERSION, covered);
	fflush(a->out);
	/* Compiling the pattern databases left megabytes of freed heap below
	 * live blocks; hand those pages back rather than carry them forever. */
	malloc_trim(0);
	return 0;
}

/* How long a poll of the ring buffer may sleep: 50 ms while records flow
 * (what the probes queue without a wake-up waits at most that long), 250 ms
 * after half a second with none, so an idle agent wakes 4 times a second,
 * not 20 (each wake-up, in a VM, costs ~50 us; measured idle: 2.8 ms of CPU
 * a second before). Before an idle poll the agent raises consumer_idle in
 * the BPF object's .bss: the first record queued then wakes it at once. */
#define POLL_BUSY_MS 50
#define POLL_IDLE_MS 250
#define POLLS_BEFORE_IDLE 10

/* Consumes until told to stop (or --duration): the ring buffer every 50 ms
 * at most while busy, housekeeping once a second, stats at their interval. */
static int consume(struct agent *a)
{
	const struct agent_options *o = &a->o;
	struct coverage_sample sample;
	uint64_t start = clock_mono_ns(), next_tick = 0;
	uint64_t next_stats = o->stats_interval_s > 0 ? start + (uint64_t)(o->stats_interval_s * 1e9) : UINT64_MAX;
	int err, empty_polls = 0;

	a->cov = a->ev ? coverage_new(a->ev, (uint64_t)(o->heartbeat_s * 1e9), start) : NULL;
	/* The account of what is watched (drawn up for the start-up lines)
	 * comes first in the record, before anything it covers. */
	coverage_account(a->cov, account_current(a->acct));
	while (!stop_requested) {
		bool idle = empty_polls >= POLLS_BEFORE_IDLE;
		uint64_t now;

		if (idle)
			capture_mark_idle(a->cap);
		err = capture_poll(a->cap, idle ? POLL_IDLE_MS : POLL_BUSY_MS);
		if (err < 0)
			return fail(SEALTAP_EXIT_FAILED, "reading the ring buffer: %s", strerror(-err));
		empty_polls = err > 0 ? 0 : empty_polls + 1;
		now = clock_mono_ns();
		if (a->judge)
			judge_sync(a->judge, now);
		metrics_poll(a->metrics);
		if (reload_requested) {
			reload_requested = 0;
			reload(&a->run);
			malloc_trim(0); /* the same after recompiling */
		}
		attach_tick(a->att, now);
		evidence_tick(a->ev, now);
		if (a->ship)
			ship_tick(a->ship, now);
		evidence_copy_tick(a->copy, now);
		if (now >= next_tick) {
			const struct coverage_account *acc = account_update(a->acct, a->att);

			if (acc) /* at start, and when what is watched changed */
				coverage_account(a->cov, acc);
			capture_tick(a->cap, now);
			coverage_of(a->cap, &sample);
			coverage_tick(a->cov, &sample, now);
			drift_tick(a->drift, now);
			prompts_tick(a->prompts, now);
			next_tick = now + 1000000000ull;
		}
		if (now >= next_stats) {
			capture_write_stats(a->cap, a->out);
			next_stats = now + (uint64_t)(o->stats_interval_s * 1e9);
		}
		if (o->duration_s > 0 && now - start >= (uint64_t)(o->duration_s * 1e9))
			break;
	}
	/* Drain what the probes queued before we stop reading. */
	capture_poll(a->cap, 0);
	coverage_of(a->cap, &sample);
	coverage_tick(a->cov, &sample, clock_mono_ns()); /* losses up to the end are in the record */
	capture_write_stats(a->cap, a->out);
	return 0;
}

/* Takes down what exists, in the order the record needs. */
static void agent_close(struct agent *a)
{
	metrics_stop(a->metrics);
	capture_free(a->cap); /* finishes open exchanges: before the judge goes */
	coverage_free(a->cov);
	judge_free(a->judge);
	routing_free(a->pol.routing);
	drift_free(a->drift); /* saves its state; its last alerts went into the record above */
	prompts_free(a->prompts);
	drift_lexicon_free(a->pol.refusals);
	evidence_finish(a->ev); /* the stop event and a last checkpoint */
	if (a->ship)
		ship_flush(a->ship, 5000000000ull); /* give the collector a few seconds to take it all */
	if (a->ev && a->stopping)
		say_stopped(a);
	ship_free(a->ship);
	evidence_copy_flush(a->copy, 2000000000ull); /* the stop event, to the OTLP pipeline */
	evidence_close(a->ev);
	evidence_copy_free(a->copy);
	classifier_free(a->pol.cls);
	detector_set_release(&a->pol.set);
	attach_free(a->att);
	account_free(a->acct);
	sslsniff_bpf__destroy(a->skel);
	event_view_free(a->view); /* last: the stages above write their last lines */
}

int main(int argc, char **argv)
{
	static struct agent a; /* large, and lives as long as the process */
	struct rlimit nofile = { 65536, 65536 };
	struct yopt_args config = { 0 };
	int cli_argc = argc;
	char **cli_argv = argv;
	int err;

	if (argc > 1 && strcmp(argv[1], "scan") == 0)
		return scan_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "keys") == 0)
		return keys_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "coverage") == 0)
		return account_command(argc - 1, argv + 1);
	err = merge_config(argc, argv, &config, &argc, &argv);
	if (!err)
		err = parse_options(argc, argv, &a.o);
	parsing_config = NULL;
	if (!err)
		err = digest_config(&a.o, argc, argv);
	if (!err && a.o.check_config) {
		err = check_config(&a.o);
		goto cleanup;
	}
	if (!err)
		err = preflight();
	if (err)
		goto cleanup;
	libbpf_verbose = a.o.verbose;
	libbpf_set_print(libbpf_print);
	/* One perf event fd per probe: a busy node needs thousands. */
	setrlimit(RLIMIT_NOFILE, &nofile);
	if (a.o.dump_capture || a.o.dump_exchanges)
		fprintf(stderr,
			"sealtap-agent: WARNING: --dump %s prints captured PLAINTEXT, including any "
			"secrets and personal data in it. Use it for debugging only, never in production.\n",
			a.o.dump_capture ? "capture" : "exchanges");

	err = open_stages(&a, argc, argv, cli_argc, cli_argv);
	if (!err)
		err = load_probes(&a);
	if (!err)
		err = get_ready(&a);
	if (!err)
		err = consume(&a);
	a.stopping = !err;

cleanup:
	agent_close(&a);
	if (argv != cli_argv)
		free(argv); /* the merged options; their strings are the config's */
	yopt_release(&config);
	return err;
}
