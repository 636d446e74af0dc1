/* SPDX-License-Identifier: Apache-2.0 */
/*
 * drift - notices when a model starts answering differently, and says so
 * as evidence. Per key (the serving identity, the endpoint and the model
 * requested), every finished response's features (drift_features.h) feed
 * two layers:
 *
 *   fast    per response: two-sided Page-Hinkley on each numeric feature,
 *           standardised against the key's rolling reference; on each rate
 *           a two-sided Bernoulli CUSUM (a shift of at least rate_shift)
 *           and ADWIN (any change, gradual ones included);
 *   window  every DRIFT_WINDOW responses: Kolmogorov-Smirnov on each
 *           numeric feature against the reference sample, chi-square on
 *           finish reasons and scripts, Jensen-Shannon on the 3-gram
 *           histogram. A test breaches when its p-value is below
 *           alpha / (number of tests) AND its statistic is past the spread
 *           seen across the key's earlier windows (calibration to the
 *           sample size and to this key's own variability, e.g. daily
 *           cycles) AND the effect is large enough to matter; two breaching
 *           windows in a row raise an alert, then the test cools down.
 *
 * References: the rolling one (exponentially weighted, fed with a delay so
 * a fresh shift does not hide itself; the window layer's sample of recent
 * windows that did not breach) decides alerts; a fixed one, the first
 * DRIFT_FIXED responses of each reported model version, is kept for audit
 * and reported beside it. The reported model or system fingerprint
 * changing under the same key is a model_change event: the new version's
 * first window is compared with the old version's reference (alerts in the
 * "model_change" layer), then everything re-baselines. Three or more
 * feature families alerting within two windows with no reported change is
 * reported as a probable silent model update.
 *
 * Banned content (a list of phrases and patterns) is matched in every
 * output as it streams (Hyperscan, across deltas) and raised at once.
 *
 * Memory: one fixed-size state per key (about 50 KiB), at most max_keys
 * (the least recently seen is evicted, counted). State survives restarts:
 * saved every minute and at stop to state_path, loaded at start.
 */
#ifndef SEALTAP_DRIFT_H
#define SEALTAP_DRIFT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "drift_features.h"
#include "exchange.h"

#define DRIFT_WINDOW 200
#define DRIFT_FIXED 2000
#define DRIFT_CONTRIBUTORS 3
#define DRIFT_KEY_MAX 640 /* identity, endpoint and model requested, each whole */

struct evidence;
struct banned;

/* One alert, as it goes into the record. */
struct drift_alert {
	const char *key;     /* "serving identity|endpoint|model requested" */
	const char *layer;   /* fast, window, model_change, silent_update, banned */
	const char *feature; /* output_length, refusal_rate, script, ... */
	const char *test;    /* page_hinkley, bernoulli_cusum, adwin, ks, chi_square, jensen_shannon, ... */
	double statistic, threshold, p_value; /* p_value < 0: not a p-value test */
	double effect_size;  /* standardised mean difference, rate difference or distance */
	double reference_value, current_value, fixed_reference_value;
	uint64_t reference_start_ns, reference_end_ns, reference_count;
	uint64_t current_start_ns, current_end_ns, current_count;
	const char *contributors[DRIFT_CONTRIBUTORS]; /* the buckets or categories that moved most */
	int ncontributors;
	bool model_change;                  /* a model_change event, not a drift event */
	const char *model, *previous_model; /* model_change: the versions */
	const char *fingerprint, *previous_fingerprint;
};

struct drift_opts {
	FILE *out;           /* {"type":"drift",...} lines (NULL: none) */
	struct evidence *ev; /* drift and model_change events (NULL: none) */
	size_t max_keys;     /* default 128 */
	const char *state_path; /* NULL: no persistence */
	const char *banned_path; /* phrases, one per line; "re:" starts a pattern */
	const char *const *refusals; /* lower-case phrases, NULL-terminated (NULL: built in) */
	double rate_shift;   /* smallest rate change worth an alert (default 0.03) */
	/* Called for every alert (the benchmark counts them); x may be NULL. */
	void (*on_alert)(void *ctx, const struct drift_alert *a, const struct exchange *x);
	void *alert_ctx;
};

struct drift_stats {
	uint64_t responses, keys, keys_evicted;
	uint64_t alerts_fast, alerts_window, model_changes, model_change_alerts, silent_updates, banned;
	uint64_t state_saves, state_errors, state_loaded_keys;
	uint64_t unmeasured; /* outputs not measured or not checked for banned content (out of memory) */
};

struct drift;

/* The key an exchange counts under (DRIFT_KEY_MAX bytes): its serving
 * identity (the watched process's pod, container or executable when it
 * serves, else "peer ADDR"), endpoint and requested model, '|' between. */
void drift_key_name(const struct exchange *x, char *out, size_t n);

struct drift *drift_new(const struct drift_opts *o, char *err, size_t errsz);
/* Saves the state and frees. */
void drift_free(struct drift *d);

/* The streaming side (capture's sink, after the judge). */
void drift_delta(struct drift *d, struct exchange *x, int choice, const char *text, size_t len);
void drift_done(struct drift *d, struct exchange *x);

/* A finished response's features under a key (drift_done's second half;
 * the benchmark calls it directly). now_ns: wall clock. */
void drift_observe(struct drift *d, const char *key, const char *model, const char *fingerprint,
		   const struct drift_obs *o, uint64_t now_ns, const struct exchange *x);

/* A reload: new outputs are matched against banned (may be NULL) and use
 * the refusal lexicon refusals (NULL: built in; the caller owns it and keeps
 * the previous one until drift_free or the next reload). The previous
 * banned list is retired. */
void drift_set_policy(struct drift *d, struct banned *banned, const char *const *refusals);

/* About once a second: saves the state every minute. */
void drift_tick(struct drift *d, uint64_t mono_ns);
const struct drift_stats *drift_get_stats(const struct drift *d);
void drift_write_stats(const struct drift *d, FILE *out);

#endif
