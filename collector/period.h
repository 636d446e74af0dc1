/* SPDX-License-Identifier: Apache-2.0 */
/*
 * period - what the store holds for an audit period, gathered for the
 * evidence report (report.h) and the console: what was watched (agents,
 * their heartbeats, coverage and capture loss), what was found (findings
 * by category, leak label, model and detector, over time; policy
 * violations; drift, model, prompt and configuration changes), and how the
 * record was verified (every stream, its checkpoints and cosignatures, the
 * access log).
 *
 * One pass over the period's events, decoded from their stored bytes (the
 * query columns only select them). Memory is bounded: counts in fixed
 * tables, lists cut at PERIOD_LIST entries with the rest counted, so a
 * report of a large store is as big as one of a small store.
 */
#ifndef SEALTAP_PERIOD_H
#define SEALTAP_PERIOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain.h"
#include "note.h"
#include "store.h"

#define PERIOD_AGENTS 256    /* agents tabled; more are counted in agents_untabled */
#define PERIOD_NAMES 64      /* detectors, models, rules, losses... each table's rows */
#define PERIOD_LIST 100      /* events listed per kind (violations, changes) */
#define PERIOD_UNWATCHED 64  /* unwatched or partial stacks listed, per agent's last account */
#define PERIOD_BUCKETS 48    /* the timeline's columns */
#define PERIOD_STREAMS 1024  /* streams verified one by one (more: counted) */

enum period_leak { PERIOD_INPUT, PERIOD_ECHO, PERIOD_NOVEL, PERIOD_CROSS, PERIOD_LEAKS };
enum period_category { PCAT_PII, PCAT_FINANCIAL, PCAT_HEALTH, PCAT_SECRET, PCAT_OTHER, PERIOD_CATEGORIES };

/* A name and how often it was seen; a table of them keeps the first
 * PERIOD_NAMES names and counts the rest under "other". */
struct period_count {
	char name[96];
	uint64_t n;
};
struct period_table {
	struct period_count row[PERIOD_NAMES];
	size_t n;
	uint64_t other; /* seen under names past the table */
};

struct period_unwatched {
	uint32_t pid;
	char comm[16], stack[24], state[12], reason[96];
};

struct period_agent {
	uint8_t key[CHAIN_AGENT_KEY];
	char node[64], version[32];
	uint64_t events, heartbeats, starts, stops, gap_dropped;
	uint64_t first_ns, last_ns, last_heartbeat_ns;
	uint64_t exchanges, bytes_captured; /* heartbeats' sums */
	struct period_table losses;         /* capture loss by reason */
	uint64_t coverage_ns;               /* its last coverage account in the period (0: none) */
	uint32_t processes_listed, processes_omitted;
	struct period_unwatched unwatched[PERIOD_UNWATCHED];
	size_t nunwatched;
	uint64_t unwatched_more;
};

/* One event of a listed kind, as the report shows it (never a value: the
 * masked preview and fingerprint only). */
struct period_item {
	uint64_t time_ns, seq;
	uint8_t stream[CHAIN_STREAM_ID];
	char node[64], what[160], detail[256], model[96];
};
struct period_list {
	struct period_item item[PERIOD_LIST];
	size_t n;
	uint64_t more;
};

struct period_stream {
	uint8_t id[CHAIN_STREAM_ID], agent_key[CHAIN_AGENT_KEY];
	uint64_t events, checkpoints, signed_ok, cosigned_ok, last_checkpoint;
};

struct period {
	uint64_t since_ns, until_ns, generated_ns;
	uint64_t events;
	struct period_table kinds;

	struct period_agent agent[PERIOD_AGENTS];
	size_t nagents;
	uint64_t agents_untabled;

	uint64_t findings, by_leak[PERIOD_LEAKS], by_category[PERIOD_CATEGORIES][PERIOD_LEAKS];
	struct period_table detectors, models, endpoints, severities; /* endpoints: "host path" */
	uint64_t timeline[PERIOD_BUCKETS][PERIOD_CATEGORIES];
	uint64_t leak_timeline[PERIOD_BUCKETS][PERIOD_LEAKS];

	uint64_t violations;
	struct period_table rules, providers;
	struct period_list violation_list;
	uint64_t drift_alerts;
	struct period_list drift_list, model_changes, prompt_changes, policy_changes;

	/* the record verified (the whole store: a period's events are proven by
	 * the chains they are part of) */
	int problems; /* verify_store's */
	char problem_text[2048];
	uint64_t verified_streams, verified_events;
	struct period_stream stream[PERIOD_STREAMS];
	size_t nstreams;
	uint64_t streams_unlisted;
	bool cosignatures_checked; /* a collector key was given */
	int access_problems;
	uint64_t access_entries;
};

/* The period [since_ns, until_ns) of store s (until 0: no end), gathered
 * into *p (large: allocate it). collector_key (NULL: not checked): the key
 * the checkpoints' cosignatures must be made with. 0, or -1 with err. */
int period_gather(struct store *s, uint64_t since_ns, uint64_t until_ns, const uint8_t *collector_key,
		  struct period *p, char *err, size_t errsz);

const char *period_category_name(int c);
const char *period_leak_name(int l);

#endif
