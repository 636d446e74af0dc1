// SPDX-License-Identifier: Apache-2.0
#include "drift.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "about.h"
#include "banned.h"
#include "clock.h"
#include "drift_stats.h"
#include "detectors.h"
#include "evidence.h"
#include "json.h"
#include "paths.h"
#include "state_file.h"

/* ---- tuning (drift_bench calibrates these: see docs/perf/history.md, Drift detection) ---- */
#define REF_N 1000          /* numeric reference sample per feature */
#define DELAY 300           /* the fast layer's reference lags this many responses */
#define TAU 2000.0          /* its averaging horizon, in responses */
#define WARMUP 500          /* responses in the reference before the fast layer judges */
#define HIST 16             /* earlier windows' statistics kept for calibration */
#define HIST_MIN 4          /* windows needed before the window layer judges */
#define COOL_FAST 1000      /* responses a fast detector stays quiet after an alert */
#define COOL_WINDOWS 5      /* windows a window test stays quiet after an alert */
#define ALPHA 1e-3          /* per window, shared by the window tests */
#define PH_K 0.25           /* Page-Hinkley: shifts under k standard deviations are ignored */
#define PH_K_TIMING 1.0     /* timing follows load (daily cycles): only large shifts count */
#define PH_H 30.0
#define BC_H 10.0           /* Bernoulli CUSUM threshold (log-likelihood ratio) */
#define P0_FLOOR 0.01       /* the CUSUMs judge rates from at least 1% */
#define SCRIPT_SHIFT 0.07   /* other-script responses vary more with what users ask */
#define ADWIN_DELTA 1e-6
#define NUM_MIN_EFFECT 0.15 /* window layer: standardised mean difference */
#define CAT_MIN_EFFECT 0.03 /* window layer: total variation distance */
#define JS_MIN 0.002
#define SILENT_FAMILIES 3
#define SAVE_EVERY_NS 60000000000ull

enum window_test { WT_NUM0, WT_FINISH = WT_NUM0 + DN__MAX, WT_SCRIPT, WT_NGRAM, WT__MAX };

/* Feature families, for telling a silent model update from one drifting feature. */
enum family { FAM_LENGTH, FAM_STYLE, FAM_TIMING, FAM_REFUSAL, FAM_ERROR, FAM_FINISH, FAM_SCRIPT, FAM_JSON,
	      FAM_FINDINGS, FAM__MAX };
static const char *const family_names[FAM__MAX] = { "length", "style", "timing", "refusal", "errors",
						    "finish", "script", "json", "findings" };

/* What the fast layer's delay line holds of one response. */
struct delayed {
	float num[DN__MAX];
	uint16_t has_num, rate, has_rate; /* bit sets */
};

/* Counts over a span of responses (a window, or the decayed reference). */
struct counts {
	double finish[DFIN__MAX], script[DS__MAX], ngram[DRIFT_NGRAM];
	double num_sum[DN__MAX], num_sq[DN__MAX], num_n[DN__MAX];
	double rate[DR__MAX], rate_n[DR__MAX];
	double n;
	uint64_t t0, t1; /* wall ns of the first and last response */
};

/* Everything about one key: flat, so it is saved and loaded as it is. */
struct key {
	uint64_t hash;
	char name[DRIFT_KEY_MAX];
	char model[128], fingerprint[128];
	uint64_t n;         /* responses of this version */
	uint64_t last_seen; /* wall ns */
	uint64_t version_start; /* n at the last model change (for silent updates) */
	bool used;

	/* fast layer */
	double mean[DN__MAX], var[DN__MAX], p[DR__MAX];
	uint32_t ref_n_num[DN__MAX], ref_n_rate[DR__MAX];
	struct delayed delay[DELAY];
	uint32_t delay_n, delay_pos;
	struct ph ph[DN__MAX];
	struct bcusum bc[DR__MAX];
	struct adwin ad[DR__MAX];
	float z_avg[DN__MAX];         /* recent standardised values: the effect size */
	double recent_rate[DR__MAX];  /* recent rates (about 200 responses) */
	uint32_t cool[DN__MAX + DR__MAX];

	/* window layer */
	struct counts cur, held, ref, fixed;
	float cur_num[DN__MAX][DRIFT_WINDOW], held_num[DN__MAX][DRIFT_WINDOW];
	uint32_t cur_nn[DN__MAX], held_nn[DN__MAX];
	bool have_held;
	float ref_num[DN__MAX][REF_N];
	uint32_t ref_nn[DN__MAX], ref_pos[DN__MAX];
	float hist[WT__MAX][HIST];
	uint32_t hist_n[WT__MAX];
	bool breached[WT__MAX];
	uint32_t wcool[WT__MAX];
	bool compare_pending; /* the first window of a new version is compared with the old reference */

	uint64_t family_at[FAM__MAX]; /* n + 1 at the family's last alert, 0: never */
	uint64_t silent_cool;
};

struct drift {
	struct drift_opts o;
	char state_path[PATH_BUF]; /* copied: the caller's string may not outlive drift_new */
	struct key *keys;
	struct banned *banned;
	struct drift_stats st;
	uint64_t last_save;
	bool dirty;
};

/* Per exchange while it streams. */
struct drifted {
	struct drift_text text;
	struct banned_stream *banned[X_MAX_CHOICES];
	struct drift *d;
	struct exchange *x;
	unsigned raised; /* rules already reported for this exchange (first 32) */
};

static enum family family_of_num(int f)
{
	return f == DN_LENGTH || f == DN_TOKENS ? FAM_LENGTH : f == DN_NONLETTER ? FAM_STYLE : FAM_TIMING;
}

static enum family family_of_rate(int r)
{
	switch (r) {
	case DR_REFUSAL: return FAM_REFUSAL;
	case DR_ERROR: return FAM_ERROR;
	case DR_FINISH_LENGTH: return FAM_FINISH;
	case DR_JSON_INVALID: return FAM_JSON;
	case DR_OTHER_SCRIPT: return FAM_SCRIPT;
	default: return FAM_FINDINGS;
	}
}

static enum family family_of_test(int t)
{
	return t < WT_FINISH ? family_of_num(t - WT_NUM0) : t == WT_FINISH ? FAM_FINISH : t == WT_SCRIPT ? FAM_SCRIPT : FAM_STYLE;
}

/* ---- alerts out ---- */


static void put_num(FILE *out, const char *key, double v)
{
	if (isfinite(v))
		fprintf(out, ",\"%s\":%.6g", key, v);
}

static void write_alert(FILE *out, const struct drift_alert *a, int64_t seq)
{
	fputs("{\"type\":\"drift\"", out);
	json_put_field(out, "key", a->key);
	json_put_field(out, "layer", a->layer);
	json_put_field(out, "feature", a->feature);
	json_put_field(out, "test", a->test);
	put_num(out, "statistic", a->statistic);
	put_num(out, "threshold", a->threshold);
	if (a->p_value >= 0)
		put_num(out, "p_value", a->p_value);
	put_num(out, "effect_size", a->effect_size);
	put_num(out, "reference_value", a->reference_value);
	put_num(out, "current_value", a->current_value);
	put_num(out, "fixed_reference_value", a->fixed_reference_value);
	fprintf(out,
		",\"reference\":{\"start_ns\":%" PRIu64 ",\"end_ns\":%" PRIu64 ",\"count\":%" PRIu64
		"},\"current\":{\"start_ns\":%" PRIu64 ",\"end_ns\":%" PRIu64 ",\"count\":%" PRIu64 "}",
		a->reference_start_ns, a->reference_end_ns, a->reference_count, a->current_start_ns, a->current_end_ns,
		a->current_count);
	fputs(",\"contributors\":[", out);
	for (int i = 0; i < a->ncontributors; i++) {
		if (i)
			fputc(',', out);
		json_put_string(out, a->contributors[i], strlen(a->contributors[i]));
	}
	fputc(']', out);
	if (a->previous_model || a->model) {
		json_put_field(out, "model", a->model);
		json_put_field(out, "previous_model", a->previous_model);
		json_put_field(out, "fingerprint", a->fingerprint);
		json_put_field(out, "previous_fingerprint", a->previous_fingerprint);
	}
	if (seq >= 0)
		fprintf(out, ",\"evidence_seq\":%" PRId64, seq);
	fputs("}\n", out);
	fflush(out);
}

/* The alert into the signed record: a model_change event or a drift event,
 * about x when one exchange raised it. Returns its sequence number or -1. */
static int64_t record_alert(struct evidence *ev, const struct drift_alert *a, const struct exchange *x)
{
	struct evidence_about ab;

	if (x)
		about_exchange(x, &ab);
	if (a->model_change)
		return evidence_model_change(ev, x ? &ab : NULL,
					     &(struct evidence_model_change){
						     .previous = a->previous_model,
						     .current = a->model,
						     .previous_fingerprint = a->previous_fingerprint,
						     .current_fingerprint = a->fingerprint,
					     });
	return evidence_drift(ev, x ? &ab : NULL,
			      &(struct evidence_drift){
				      .key = a->key,
				      .layer = a->layer,
				      .feature = a->feature,
				      .test = a->test,
				      .statistic = a->statistic,
				      .threshold = a->threshold,
				      .effect_size = a->effect_size,
				      .p_value = a->p_value,
				      .reference_value = a->reference_value,
				      .current_value = a->current_value,
				      .fixed_reference_value = a->fixed_reference_value,
				      .reference = { a->reference_start_ns, a->reference_end_ns, a->reference_count },
				      .current = { a->current_start_ns, a->current_end_ns, a->current_count },
				      .contributors = a->contributors,
				      .ncontributors = (size_t)a->ncontributors,
			      });
}

static void raise_alert(struct drift *d, struct key *k, const struct drift_alert *a, const struct exchange *x,
			int family)
{
	int64_t seq = -1;

	if (d->o.ev)
		seq = record_alert(d->o.ev, a, x);
	if (d->o.out)
		write_alert(d->o.out, a, seq);
	if (d->o.on_alert)
		d->o.on_alert(d->o.alert_ctx, a, x);
	if (k && family >= 0)
		k->family_at[family] = k->n + 1;
}

/* ---- keys ---- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ull;
	return h ? h : 1;
}

static struct key *key_for(struct drift *d, const char *name, uint64_t now)
{
	uint64_t h = hash_str(name);
	struct key *free_slot = NULL, *oldest = NULL;

	for (size_t i = 0; i < d->o.max_keys; i++) {
		struct key *k = &d->keys[i];

		if (k->used && k->hash == h && strcmp(k->name, name) == 0)
			return k;
		if (!k->used && !free_slot)
			free_slot = k;
		if (k->used && (!oldest || k->last_seen < oldest->last_seen))
			oldest = k;
	}
	if (!free_slot) {
		free_slot = oldest;
		d->st.keys_evicted++;
		d->st.keys--;
	}
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->hash = h;
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
	free_slot->last_seen = now;
	d->st.keys++;
	return free_slot;
}

/* ---- reference bookkeeping ---- */

static void counts_add(struct counts *c, const struct drift_obs *o, uint64_t now)
{
	if (!c->n)
		c->t0 = now;
	c->t1 = now;
	c->n++;
	c->finish[o->finish]++;
	c->script[o->script]++;
	for (int i = 0; i < DRIFT_NGRAM; i++)
		c->ngram[i] += o->ngram[i];
	for (int f = 0; f < DN__MAX; f++)
		if (o->has_num[f]) {
			c->num_sum[f] += o->num[f];
			c->num_sq[f] += (double)o->num[f] * o->num[f];
			c->num_n[f]++;
		}
	for (int r = 0; r < DR__MAX; r++)
		if (o->has_rate[r]) {
			c->rate[r] += o->rate[r];
			c->rate_n[r]++;
		}
}

/* The reference's counts decay by this per folded window: it remembers
 * about five windows. */
#define REF_DECAY 0.8

static void counts_fold(struct counts *ref, const struct counts *w)
{
	double *r = (double *)ref;
	const double *a = (const double *)w;
	size_t nd = offsetof(struct counts, t0) / sizeof(double);

	for (size_t i = 0; i < nd; i++)
		r[i] = r[i] * REF_DECAY + a[i];
	if (!ref->t0 || (w->t0 && w->t0 < ref->t0))
		ref->t0 = w->t0;
	if (w->t1 > ref->t1)
		ref->t1 = w->t1;
}

static void ref_num_add(struct key *k, int f, float v)
{
	k->ref_num[f][k->ref_pos[f]] = v;
	k->ref_pos[f] = (k->ref_pos[f] + 1) % REF_N;
	if (k->ref_nn[f] < REF_N)
		k->ref_nn[f]++;
}

static void fold_window(struct key *k, const struct counts *c, float num[DN__MAX][DRIFT_WINDOW],
			const uint32_t nn[DN__MAX])
{
	counts_fold(&k->ref, c);
	for (int f = 0; f < DN__MAX; f++)
		for (uint32_t i = 0; i < nn[f]; i++)
			ref_num_add(k, f, num[f][i]);
}

static double mean_of(const struct counts *c, int f)
{
	return c->num_n[f] ? c->num_sum[f] / c->num_n[f] : NAN;
}

static double sd_of(const struct counts *c, int f)
{
	double m = mean_of(c, f);

	return c->num_n[f] > 1 ? sqrt(fmax(c->num_sq[f] / c->num_n[f] - m * m, 1e-12)) : NAN;
}

static double rate_of(const struct counts *c, int r)
{
	return c->rate_n[r] ? c->rate[r] / c->rate_n[r] : NAN;
}

/* ---- fast layer ---- */

static void alert_init(struct drift_alert *a, const char *key, const char *model, const char *fingerprint,
		       const char *layer)
{
	memset(a, 0, sizeof(*a));
	a->key = key;
	a->layer = layer;
	a->p_value = -1;
	a->fixed_reference_value = NAN;
	a->model = model;
	a->fingerprint = fingerprint;
}

static void base_alert(struct drift_alert *a, const struct key *k, const char *layer)
{
	alert_init(a, k->name, k->model, k->fingerprint, layer);
}

static void fast_numeric(struct drift *d, struct key *k, const struct drift_obs *o, uint64_t now,
			 const struct exchange *x)
{
	for (int f = 0; f < DN__MAX; f++) {
		double sd, z, kk = f >= DN_LATENCY ? PH_K_TIMING : PH_K;
		struct drift_alert a;

		if (!o->has_num[f] || k->ref_n_num[f] < WARMUP)
			continue;
		sd = sqrt(fmax(k->var[f], 1e-9));
		z = (o->num[f] - k->mean[f]) / sd;
		z = fmax(fmin(z, 8), -8); /* one wild response moves the sums by at most 8 */
		k->z_avg[f] = (float)(0.98 * k->z_avg[f] + 0.02 * z);
		if (k->cool[f]) {
			k->cool[f]--;
			continue;
		}
		if (!ph_add(&k->ph[f], z, kk, PH_H))
			continue;
		base_alert(&a, k, "fast");
		a.feature = drift_num_names[f];
		a.test = "page_hinkley";
		a.statistic = fmax(k->ph[f].up, k->ph[f].down);
		a.threshold = PH_H;
		a.effect_size = k->z_avg[f];
		a.reference_value = k->mean[f];
		a.current_value = k->mean[f] + k->z_avg[f] * sd;
		a.fixed_reference_value = mean_of(&k->fixed, f);
		a.reference_count = k->ref_n_num[f];
		a.current_count = k->ph[f].n;
		a.current_end_ns = now;
		a.contributors[a.ncontributors++] = k->ph[f].up > k->ph[f].down ? "increase" : "decrease";
		d->st.alerts_fast++;
		raise_alert(d, k, &a, x, family_of_num(f));
		ph_reset(&k->ph[f]);
		k->cool[f] = COOL_FAST;
	}
}

static void fast_rates(struct drift *d, struct key *k, const struct drift_obs *o, uint64_t now,
		       const struct exchange *x)
{
	for (int r = 0; r < DR__MAX; r++) {
		bool cusum, cut;
		struct drift_alert a;
		uint32_t *cool = &k->cool[DN__MAX + r];

		if (!o->has_rate[r])
			continue;
		k->recent_rate[r] = 0.995 * k->recent_rate[r] + 0.005 * o->rate[r];
		cut = adwin_add(&k->ad[r], o->rate[r], ADWIN_DELTA);
		if (k->ref_n_rate[r] < WARMUP)
			continue;
		/* The reference rate is floored: a rare event's rate is estimated from a
		 * handful of hits, and a CUSUM against a near-zero rate would take two
		 * hits close together for a change. */
		cusum = bcusum_add(&k->bc[r], o->rate[r], fmax(k->p[r], P0_FLOOR),
				   r == DR_OTHER_SCRIPT ? fmax(SCRIPT_SHIFT, d->o.rate_shift) : d->o.rate_shift, BC_H,
				   k->p[r] >= 2 * P0_FLOOR);
		if (*cool) {
			(*cool)--;
			continue;
		}
		/* ADWIN cuts on any change; only one that moved the rate by
		 * half the shift worth reporting is an alert. */
		if (cut && fabs(adwin_mean(&k->ad[r]) - k->p[r]) < d->o.rate_shift / 2)
			cut = false;
		if (!cusum && !cut)
			continue;
		base_alert(&a, k, "fast");
		a.feature = drift_rate_names[r];
		a.test = cusum ? "bernoulli_cusum" : "adwin";
		a.statistic = cusum ? fmax(k->bc[r].up, k->bc[r].down) : adwin_mean(&k->ad[r]);
		a.threshold = cusum ? BC_H : ADWIN_DELTA;
		a.reference_value = k->p[r];
		a.current_value = cusum ? k->recent_rate[r] : adwin_mean(&k->ad[r]);
		a.effect_size = a.current_value - k->p[r];
		a.fixed_reference_value = rate_of(&k->fixed, r);
		a.reference_count = k->ref_n_rate[r];
		a.current_count = cusum ? k->bc[r].n : k->ad[r].width;
		a.current_end_ns = now;
		a.contributors[a.ncontributors++] = a.effect_size >= 0 ? "increase" : "decrease";
		d->st.alerts_fast++;
		raise_alert(d, k, &a, x, family_of_rate(r));
		bcusum_reset(&k->bc[r]);
		*cool = COOL_FAST;
	}
}

/* The observation leaving the delay line joins the reference. */
static void delay_push(struct key *k, const struct drift_obs *o)
{
	struct delayed in = { 0 }, *out = &k->delay[k->delay_pos];

	for (int f = 0; f < DN__MAX; f++)
		if (o->has_num[f]) {
			in.num[f] = o->num[f];
			in.has_num |= 1u << f;
		}
	for (int r = 0; r < DR__MAX; r++)
		if (o->has_rate[r]) {
			in.has_rate |= 1u << r;
			in.rate |= (uint16_t)(o->rate[r] << r);
		}
	if (k->delay_n == DELAY) {
		for (int f = 0; f < DN__MAX; f++) {
			double alpha, dv;

			if (!(out->has_num & (1u << f)))
				continue;
			k->ref_n_num[f]++;
			alpha = fmax(1.0 / k->ref_n_num[f], 1.0 / TAU);
			dv = out->num[f] - k->mean[f];
			k->mean[f] += alpha * dv;
			k->var[f] = (1 - alpha) * (k->var[f] + alpha * dv * dv);
		}
		for (int r = 0; r < DR__MAX; r++) {
			if (!(out->has_rate & (1u << r)))
				continue;
			k->ref_n_rate[r]++;
			k->p[r] += fmax(1.0 / k->ref_n_rate[r], 1.0 / TAU) * (((out->rate >> r) & 1) - k->p[r]);
		}
	} else {
		k->delay_n++;
	}
	*out = in;
	k->delay_pos = (k->delay_pos + 1) % DELAY;
}

/* ---- window layer ---- */

struct verdict {
	double stat, threshold, p, effect, ref_value, cur_value;
	bool breach;
	const char *test;
	const char *contributors[DRIFT_CONTRIBUTORS];
	int ncontributors;
};

/* The statistic must also stand out from this key's earlier windows. */
static double calibrated(const struct key *k, int t, double factor)
{
	double max = 0;

	for (uint32_t i = 0; i < k->hist_n[t] && i < HIST; i++)
		max = fmax(max, k->hist[t][i]);
	return max * factor;
}

static void top_buckets(struct verdict *v, const double *cur, const double *ref, size_t n, const char *const *names,
			char bufs[DRIFT_CONTRIBUTORS][32])
{
	double cn = 0, rn = 0;
	bool taken[64] = { 0 };

	for (size_t i = 0; i < n; i++)
		cn += cur[i], rn += ref[i];
	for (int c = 0; c < DRIFT_CONTRIBUTORS && cn > 0 && rn > 0; c++) {
		double best = 0;
		int bi = -1;

		for (size_t i = 0; i < n && i < 64; i++) {
			double dlt = fabs(cur[i] / cn - ref[i] / rn);

			if (!taken[i] && dlt > best)
				best = dlt, bi = (int)i;
		}
		if (bi < 0 || best < 0.005)
			break;
		taken[bi] = true;
		if (names)
			snprintf(bufs[c], sizeof(bufs[c]), "%s", names[bi]);
		else
			snprintf(bufs[c], sizeof(bufs[c]), "bucket %d", bi);
		v->contributors[v->ncontributors++] = bufs[c];
	}
}

static double total_variation(const double *a, const double *b, size_t n)
{
	double an = 0, bn = 0, tv = 0;

	for (size_t i = 0; i < n; i++)
		an += a[i], bn += b[i];
	if (an <= 0 || bn <= 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		tv += fabs(a[i] / an - b[i] / bn);
	return tv / 2;
}

static void judge_test(const struct key *k, int t, bool compare, struct verdict *v,
		       char bufs[DRIFT_CONTRIBUTORS][32])
{
	double alpha = ALPHA / WT__MAX;
	int dof;

	memset(v, 0, sizeof(*v));
	v->p = -1;
	if (t < WT_FINISH) {
		int f = t - WT_NUM0;
		static float a[DRIFT_WINDOW], b[REF_N];
		double sd = sd_of(&k->ref, f);

		if (k->cur_nn[f] < DRIFT_WINDOW / 2 || k->ref_nn[f] < DRIFT_WINDOW)
			return;
		memcpy(a, k->cur_num[f], k->cur_nn[f] * sizeof(float));
		memcpy(b, k->ref_num[f], k->ref_nn[f] * sizeof(float));
		v->test = "ks";
		v->stat = ks_statistic(a, k->cur_nn[f], b, k->ref_nn[f]);
		v->p = ks_pvalue(v->stat, k->cur_nn[f], k->ref_nn[f]);
		v->ref_value = mean_of(&k->ref, f);
		v->cur_value = mean_of(&k->cur, f);
		v->effect = isfinite(sd) && sd > 0 ? (v->cur_value - v->ref_value) / sd : 0;
		v->threshold = fmax(calibrated(k, t, 1.2), 0);
		v->breach = v->p < alpha && (compare || v->stat > v->threshold) && fabs(v->effect) >= NUM_MIN_EFFECT;
		v->contributors[v->ncontributors++] = v->effect >= 0 ? "increase" : "decrease";
	} else if (t == WT_FINISH || t == WT_SCRIPT) {
		const double *cur = t == WT_FINISH ? k->cur.finish : k->cur.script;
		const double *ref = t == WT_FINISH ? k->ref.finish : k->ref.script;
		size_t n = t == WT_FINISH ? DFIN__MAX : DS__MAX;

		if (k->ref.n < DRIFT_WINDOW)
			return;
		v->test = "chi_square";
		v->stat = chi2_statistic(cur, ref, n, &dof);
		v->p = chi2_pvalue(v->stat, dof);
		v->effect = total_variation(cur, ref, n);
		v->threshold = calibrated(k, t, 1.2);
		v->breach = v->p < alpha && (compare || v->stat > v->threshold) && v->effect >= CAT_MIN_EFFECT;
		top_buckets(v, cur, ref, n, t == WT_FINISH ? drift_finish_names : drift_script_names, bufs);
	} else {
		double mean = 0, sq = 0, nh = 0;

		if (k->ref.n < DRIFT_WINDOW)
			return;
		v->test = "jensen_shannon";
		v->stat = js_divergence(k->cur.ngram, k->ref.ngram, DRIFT_NGRAM);
		for (uint32_t i = 0; i < k->hist_n[t] && i < HIST; i++, nh++)
			mean += k->hist[t][i], sq += (double)k->hist[t][i] * k->hist[t][i];
		mean = nh ? mean / nh : 0;
		/* No distribution to take a p-value from (3-grams of one text are
		 * not independent): the threshold is the spread of this key's own
		 * earlier windows, and at least JS_MIN. */
		v->threshold = fmax(fmax(calibrated(k, t, 1.5), mean + 5 * sqrt(fmax(sq / fmax(nh, 1) - mean * mean, 0))),
				    JS_MIN);
		v->effect = v->stat;
		v->breach = (compare || k->hist_n[t] >= HIST_MIN) && v->stat > v->threshold;
		top_buckets(v, k->cur.ngram, k->ref.ngram, DRIFT_NGRAM, NULL, bufs);
	}
}

static void window_alert(struct drift *d, struct key *k, int t, const struct verdict *v, const char *layer,
			 const struct exchange *x)
{
	struct drift_alert a;

	base_alert(&a, k, layer);
	a.feature = t < WT_FINISH ? drift_num_names[t - WT_NUM0] : t == WT_FINISH ? "finish_reason"
							    : t == WT_SCRIPT ? "script" : "char_3grams";
	a.test = v->test;
	a.statistic = v->stat;
	a.threshold = v->threshold;
	a.p_value = v->p;
	a.effect_size = v->effect;
	a.reference_value = t < WT_FINISH ? v->ref_value : NAN;
	a.current_value = t < WT_FINISH ? v->cur_value : NAN;
	a.fixed_reference_value = t < WT_FINISH ? mean_of(&k->fixed, t - WT_NUM0) : NAN;
	a.reference_start_ns = k->ref.t0;
	a.reference_end_ns = k->ref.t1;
	a.reference_count = (uint64_t)(k->ref.n + 0.5);
	a.current_start_ns = k->have_held && !strcmp(layer, "window") ? k->held.t0 : k->cur.t0;
	a.current_end_ns = k->cur.t1;
	a.current_count = (uint64_t)(k->cur.n + (k->have_held && !strcmp(layer, "window") ? k->held.n : 0));
	for (int i = 0; i < v->ncontributors; i++)
		a.contributors[a.ncontributors++] = v->contributors[i];
	raise_alert(d, k, &a, x, family_of_test(t));
}

static void clear_window(struct key *k)
{
	memset(&k->cur, 0, sizeof(k->cur));
	memset(k->cur_nn, 0, sizeof(k->cur_nn));
}

static void rebaseline(struct key *k)
{
	memset(&k->ref, 0, sizeof(k->ref));
	memset(k->ref_nn, 0, sizeof(k->ref_nn));
	memset(k->ref_pos, 0, sizeof(k->ref_pos));
	memset(k->hist_n, 0, sizeof(k->hist_n));
	memset(k->breached, 0, sizeof(k->breached));
	k->have_held = false;
}

static void end_window(struct drift *d, struct key *k, const struct exchange *x)
{
	char bufs[WT__MAX][DRIFT_CONTRIBUTORS][32];
	struct verdict v[WT__MAX];
	bool any = false;

	for (int t = 0; t < WT__MAX; t++) {
		judge_test(k, t, k->compare_pending, &v[t], bufs[t]);
		any |= v[t].breach;
	}
	if (k->compare_pending) {
		/* The new version's first window against the old version's
		 * reference: every difference is reported, then a new baseline. */
		for (int t = 0; t < WT__MAX; t++)
			if (v[t].breach) {
				d->st.model_change_alerts++;
				window_alert(d, k, t, &v[t], "model_change", x);
			}
		k->compare_pending = false;
		rebaseline(k);
		fold_window(k, &k->cur, k->cur_num, k->cur_nn);
		clear_window(k);
		return;
	}
	for (int t = 0; t < WT__MAX; t++) {
		if (k->wcool[t])
			k->wcool[t]--;
		if (v[t].breach && k->breached[t] && !k->wcool[t]) {
			d->st.alerts_window++;
			window_alert(d, k, t, &v[t], "window", x);
			k->wcool[t] = COOL_WINDOWS;
		}
		if (!v[t].breach && v[t].test) { /* calibration learns from quiet windows only */
			k->hist[t][k->hist_n[t] % HIST] = (float)v[t].stat;
			k->hist_n[t]++;
		}
		k->breached[t] = v[t].breach;
	}
	/* A breaching window is held out of the reference until the next one
	 * says whether it was noise (then it joins) or a change (then both
	 * join: the rolling reference follows the new normal). */
	if (k->have_held) {
		fold_window(k, &k->held, k->held_num, k->held_nn);
		k->have_held = false;
	}
	if (any) {
		k->held = k->cur;
		memcpy(k->held_num, k->cur_num, sizeof(k->held_num));
		memcpy(k->held_nn, k->cur_nn, sizeof(k->held_nn));
		k->have_held = true;
	} else {
		fold_window(k, &k->cur, k->cur_num, k->cur_nn);
	}
	clear_window(k);
}

/* ---- silent model updates ---- */

static void check_silent(struct drift *d, struct key *k, const struct exchange *x)
{
	const char *fams[FAM__MAX];
	struct drift_alert a;
	int n = 0;

	if (k->silent_cool > k->n || k->n - k->version_start < 2 * DRIFT_WINDOW)
		return;
	for (int f = 0; f < FAM__MAX; f++)
		if (k->family_at[f] && k->n + 1 - k->family_at[f] <= 2 * DRIFT_WINDOW)
			fams[n++] = family_names[f];
	if (n < SILENT_FAMILIES)
		return;
	base_alert(&a, k, "silent_update");
	a.feature = "model";
	a.test = "feature_families";
	a.statistic = n;
	a.threshold = SILENT_FAMILIES;
	a.current_end_ns = k->last_seen;
	a.current_count = 2 * DRIFT_WINDOW;
	for (int i = 0; i < n && i < DRIFT_CONTRIBUTORS; i++)
		a.contributors[a.ncontributors++] = fams[i];
	d->st.silent_updates++;
	raise_alert(d, k, &a, x, -1);
	k->silent_cool = k->n + 5 * DRIFT_WINDOW;
}

/* ---- observing ---- */

static void model_changed(struct drift *d, struct key *k, const char *model, const char *fp, const struct exchange *x)
{
	struct drift_alert a;
	char prev_model[128], prev_fp[128];

	snprintf(prev_model, sizeof(prev_model), "%s", k->model);
	snprintf(prev_fp, sizeof(prev_fp), "%s", k->fingerprint);
	snprintf(k->model, sizeof(k->model), "%s", model);
	snprintf(k->fingerprint, sizeof(k->fingerprint), "%s", fp);
	base_alert(&a, k, "model_change_event");
	a.model_change = true;
	a.feature = "model";
	a.test = "reported_version";
	a.previous_model = prev_model;
	a.previous_fingerprint = prev_fp;
	d->st.model_changes++;
	raise_alert(d, k, &a, x, -1);
	/* The fast layer starts over on the new version; the window layer
	 * compares its first window with the old reference first. */
	for (int f = 0; f < DN__MAX; f++) {
		ph_reset(&k->ph[f]);
		k->ref_n_num[f] = 0;
		k->mean[f] = k->var[f] = 0;
		k->z_avg[f] = 0;
	}
	for (int r = 0; r < DR__MAX; r++) {
		bcusum_reset(&k->bc[r]);
		adwin_reset(&k->ad[r]);
		k->ref_n_rate[r] = 0;
		k->p[r] = 0;
	}
	memset(k->cool, 0, sizeof(k->cool));
	k->delay_n = k->delay_pos = 0;
	memset(&k->fixed, 0, sizeof(k->fixed));
	clear_window(k);
	k->have_held = false;
	k->compare_pending = k->ref.n > 0;
	k->version_start = k->n;
	memset(k->family_at, 0, sizeof(k->family_at));
}

/* The script most of the key's reference responses are in. */
static int dominant_script(const struct key *k)
{
	const struct counts *c = k->fixed.n >= DRIFT_FIXED || !k->ref.n ? &k->fixed : &k->ref;
	int best = DS_NONE;

	for (int s = DS_LATIN; s < DS__MAX; s++)
		if (c->script[s] > c->script[best])
			best = s;
	return best;
}

void drift_observe(struct drift *d, const char *name, const char *model, const char *fp, const struct drift_obs *obs,
		   uint64_t now, const struct exchange *x)
{
	struct key *k = key_for(d, name, now);
	struct drift_obs with_script = *obs, *o = &with_script;

	d->st.responses++;
	d->dirty = true;
	k->last_seen = now;
	if (!k->n && !k->model[0]) {
		snprintf(k->model, sizeof(k->model), "%s", model ? model : "");
		snprintf(k->fingerprint, sizeof(k->fingerprint), "%s", fp ? fp : "");
	} else if ((model && *model && strcmp(model, k->model)) ||
		   (fp && *fp && k->fingerprint[0] && strcmp(fp, k->fingerprint))) {
		model_changed(d, k, model && *model ? model : k->model, fp ? fp : "", x);
	} else if (fp && *fp && !k->fingerprint[0]) {
		snprintf(k->fingerprint, sizeof(k->fingerprint), "%s", fp);
	}
	k->n++;
	if (o->script != DS_NONE && k->fixed.n >= DRIFT_WINDOW) {
		o->has_rate[DR_OTHER_SCRIPT] = true;
		o->rate[DR_OTHER_SCRIPT] = o->script != dominant_script(k);
	}
	if (k->fixed.n < DRIFT_FIXED)
		counts_add(&k->fixed, o, now);
	fast_numeric(d, k, o, now, x);
	fast_rates(d, k, o, now, x);
	delay_push(k, o);
	counts_add(&k->cur, o, now);
	for (int f = 0; f < DN__MAX; f++)
		if (o->has_num[f] && k->cur_nn[f] < DRIFT_WINDOW)
			k->cur_num[f][k->cur_nn[f]++] = o->num[f];
	if (k->cur.n >= DRIFT_WINDOW)
		end_window(d, k, x);
	check_silent(d, k, x);
}

/* ---- the exchange side ---- */

/* The serving side of an exchange: the watched process when it serves,
 * else the server it talks to. */
void drift_key_name(const struct exchange *x, char *out, size_t n)
{
	const struct x_identity *w = &x->who;
	const char *who = w->pod_uid[0] ? w->pod_uid : w->container_id[0] ? w->container_id : w->exe;

	if (w->process_is_server)
		snprintf(out, n, "%s|%s|%s", who, x->path, x->model_requested);
	else
		snprintf(out, n, "peer %s|%s|%s", w->peer[0] ? w->peer : "?", x->path, x->model_requested);
}

static void on_banned(void *ctx, unsigned line)
{
	struct drifted *dx = ctx;
	struct drift *d = dx->d;
	struct exchange *x = dx->x;
	struct drift_alert a;
	char rule[32], name[DRIFT_KEY_MAX];

	if (line < 32 && (dx->raised & (1u << line)))
		return;
	if (line < 32)
		dx->raised |= 1u << line;
	snprintf(rule, sizeof(rule), "line %u", line);
	drift_key_name(x, name, sizeof(name));
	alert_init(&a, name, x->model_reported, x->system_fingerprint, "banned");
	a.feature = "banned_content";
	a.test = "match";
	a.statistic = 1;
	a.threshold = 1;
	a.current_end_ns = clock_wall_ns();
	a.current_count = 1;
	a.contributors[a.ncontributors++] = rule;
	d->st.banned++;
	raise_alert(d, NULL, &a, x, -1);
}

static struct drifted *drifted_of(struct drift *d, struct exchange *x)
{
	struct drifted *dx = x->drifted;

	if (!dx && (dx = calloc(1, sizeof(*dx)))) {
		dx->d = d;
		dx->x = x;
		x->drifted = dx;
	}
	return dx;
}

void drift_delta(struct drift *d, struct exchange *x, int choice, const char *text, size_t len)
{
	struct drifted *dx;

	if (!d || choice < 0 || choice >= X_MAX_CHOICES)
		return;
	if (!(dx = drifted_of(d, x))) {
		d->st.unmeasured++; /* out of memory: this output is not measured, and that is counted */
		return;
	}
	if (choice == 0)
		drift_text_feed(&dx->text, text, len);
	if (d->banned) {
		if (!dx->banned[choice] && !(dx->banned[choice] = banned_open(d->banned, on_banned, dx)))
			d->st.unmeasured++; /* this output is not checked for banned content */
		banned_feed(dx->banned[choice], text, len);
	}
}

void drift_done(struct drift *d, struct exchange *x)
{
	struct drifted *dx = x->drifted;
	struct drift_obs o;
	char name[DRIFT_KEY_MAX];

	if (!d)
		return;
	if (!dx && x->flavor != LLM_OPENAI_EMBEDDINGS)
		dx = drifted_of(d, x); /* a response with no text still counts (errors, empty outputs) */
	if (!dx) {
		if (x->flavor != LLM_OPENAI_EMBEDDINGS)
			d->st.unmeasured++;
		return;
	}
	for (int i = 0; i < X_MAX_CHOICES; i++)
		banned_close(dx->banned[i]); /* raises what matched at the very end */
	if (x->flavor != LLM_OPENAI_EMBEDDINGS && x->response_complete) {
		/* A non-streamed response's text arrives whole: measure it here. */
		if (!dx->text.chars && x->choices[0].text.len)
			drift_text_feed(&dx->text, x->choices[0].text.p, x->choices[0].text.len);
		drift_features_finish(&dx->text, x, d->o.refusals, &o);
		drift_key_name(x, name, sizeof(name));
		drift_observe(d, name, x->model_reported, x->system_fingerprint, &o, clock_wall_ns(), x);
	}
	free(dx);
	x->drifted = NULL;
}

/* ---- state on disk ---- */

#define STATE_MAGIC 0x5354444946524431ull /* "1DRFIDTS" */
static bool key_used(const void *rec)
{
	return ((const struct key *)rec)->used;
}

static int save(struct drift *d)
{
	if (!d->o.state_path)
		return 0;
	if (state_file_save(d->o.state_path, STATE_MAGIC, d->keys, sizeof(struct key), d->o.max_keys, key_used)) {
		d->st.state_errors++;
		return -1;
	}
	d->st.state_saves++;
	d->dirty = false;
	return 0;
}

/* A state file from another build, torn or altered is set aside (counted),
 * never half-used. */
static void load(struct drift *d)
{
	long n = state_file_load(d->o.state_path, STATE_MAGIC, d->keys, sizeof(struct key), d->o.max_keys, NULL);

	if (n < 0) {
		d->st.state_errors++;
		return;
	}
	for (long i = 0; i < n; i++) {
		struct key *k = &d->keys[i];

		k->name[sizeof(k->name) - 1] = k->model[sizeof(k->model) - 1] = '\0';
		k->fingerprint[sizeof(k->fingerprint) - 1] = '\0';
		k->used = true;
	}
	d->st.keys = (uint64_t)n;
	d->st.state_loaded_keys = (uint64_t)n;
}

/* ---- life cycle ---- */

struct drift *drift_new(const struct drift_opts *o, char *err, size_t errsz)
{
	struct drift *d = calloc(1, sizeof(*d));

	if (!d) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	d->o = *o;
	if (o->state_path) {
		snprintf(d->state_path, sizeof(d->state_path), "%s", o->state_path);
		d->o.state_path = d->state_path;
	}
	if (!d->o.max_keys)
		d->o.max_keys = 128;
	if (d->o.rate_shift <= 0)
		d->o.rate_shift = 0.03;
	d->keys = calloc(d->o.max_keys, sizeof(struct key));
	if (!d->keys) {
		snprintf(err, errsz, "out of memory for %zu drift keys", d->o.max_keys);
		free(d);
		return NULL;
	}
	if (o->banned_path && !(d->banned = banned_load(o->banned_path, err, errsz))) {
		drift_free(d);
		return NULL;
	}
	if (d->o.state_path)
		load(d);
	return d;
}

void drift_free(struct drift *d)
{
	if (!d)
		return;
	if (d->dirty)
		save(d);
	banned_free(d->banned);
	free(d->keys);
	free(d);
}

void drift_set_policy(struct drift *d, struct banned *banned, const char *const *refusals)
{
	if (!d)
		return;
	banned_retire(d->banned);
	d->banned = banned;
	d->o.refusals = refusals;
}

void drift_tick(struct drift *d, uint64_t mono_ns)
{
	if (!d)
		return;
	if (!d->last_save)
		d->last_save = mono_ns;
	if (d->dirty && mono_ns - d->last_save >= SAVE_EVERY_NS) {
		save(d);
		d->last_save = mono_ns;
	}
}

const struct drift_stats *drift_get_stats(const struct drift *d)
{
	return &d->st;
}

void drift_write_stats(const struct drift *d, FILE *out)
{
	if (!d)
		return;
	fprintf(out,
		",\"drift\":{\"responses\":%" PRIu64 ",\"keys\":%" PRIu64 ",\"keys_evicted\":%" PRIu64
		",\"alerts_fast\":%" PRIu64 ",\"alerts_window\":%" PRIu64 ",\"model_changes\":%" PRIu64
		",\"model_change_alerts\":%" PRIu64 ",\"silent_updates\":%" PRIu64 ",\"banned\":%" PRIu64
		",\"state_saves\":%" PRIu64 ",\"state_errors\":%" PRIu64 ",\"state_loaded_keys\":%" PRIu64
		",\"unmeasured\":%" PRIu64 "}",
		d->st.responses, d->st.keys, d->st.keys_evicted, d->st.alerts_fast, d->st.alerts_window,
		d->st.model_changes, d->st.model_change_alerts, d->st.silent_updates, d->st.banned, d->st.state_saves,
		d->st.state_errors, d->st.state_loaded_keys, d->st.unmeasured);
}
