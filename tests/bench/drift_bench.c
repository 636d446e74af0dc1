// SPDX-License-Identifier: Apache-2.0
/*
 * drift-bench: the drift detector on synthetic response streams (fixed
 * seeds), as the issue asks: shifts injected at a known response, and
 * drift-free streams with daily cycles.
 *
 *   drift-bench [trials] [clean_responses_per_key] [keys] [refusal_base_rate]
 *
 * A stream: output length log-normal around 400 characters (sd 0.5 in
 * log), tokens about a quarter of it, non-letter share ~0.18, latency
 * following length and load, time to first token and tokens per second
 * following load, refusals 1%, errors 0.5%, finish "length" 3%, tool calls
 * 5%, JSON requested on 10% (2% of those invalid), output findings (PII 2%,
 * financial 0.5%, health 0.2%, secrets 0.1%), scripts 97% Latin and 3%
 * others, 3-gram histograms drawn from a per-script profile. A "day" is
 * 20,000 responses: load swings latency and time to first token by +-20%,
 * tokens per second by -10%, and length by +-5%.
 *
 * Shifts at response 30,000 (after a day and a half): length x1.2;
 * refusals +3 points; 10% of responses in another script; finish "length"
 * +5 points; and a banned phrase (split across deltas) in an output.
 * Reports each shift's detection delay in responses (median and worst
 * over the trials) and false alarms per 100,000 drift-free responses per
 * key.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"
#include "drift.h"

#define DAY 20000.0
#define SHIFT_AT 30000
#define HORIZON 5000 /* responses watched after a shift */

static uint64_t rng;
static double refusal_base = 0.01;

static double uniform(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return ((double)((rng * 2685821657736338717ull) >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
	return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

enum shift { S_NONE, S_LENGTH, S_REFUSAL, S_SCRIPT, S_FINISH, S__MAX };
static const char *const shift_names[S__MAX] = { "none", "length x1.2", "refusals +3 points",
						 "10% in another script", "finish length +5 points" };

/* 3-gram profiles: Latin text concentrates on some buckets, another script on others. */
static double profile[2][DRIFT_NGRAM];

static void make_profiles(void)
{
	for (int s = 0; s < 2; s++) {
		double sum = 0;

		for (int i = 0; i < DRIFT_NGRAM; i++)
			sum += profile[s][i] = exp(1.5 * sin((i + 1) * (s ? 2.3 : 0.7)));
		for (int i = 0; i < DRIFT_NGRAM; i++)
			profile[s][i] /= sum;
	}
}

static void response(struct drift_obs *o, long i, enum shift sh)
{
	double day = sin(2 * M_PI * (double)i / DAY), loglen, chars;
	bool shifted = i >= SHIFT_AT, other;
	int scr;

	memset(o, 0, sizeof(*o));
	loglen = log(400) + 0.05 * day + 0.5 * normal() + (shifted && sh == S_LENGTH ? log(1.2) : 0);
	chars = exp(loglen);
	o->num[DN_LENGTH] = (float)log1p(chars);
	o->num[DN_TOKENS] = (float)log1p(chars / 4 * (1 + 0.05 * normal()));
	o->num[DN_NONLETTER] = (float)fmin(fmax(0.18 + 0.03 * normal(), 0), 1);
	o->num[DN_LATENCY] = (float)(log(1500) + 0.2 * day + 0.5 * (loglen - log(400)) + 0.3 * normal());
	o->num[DN_TTFT] = (float)(log(300) + 0.2 * day + 0.3 * normal());
	o->num[DN_TPS] = (float)(log(40) - 0.1 * day + 0.2 * normal());
	for (int f = 0; f < DN__MAX; f++)
		o->has_num[f] = true;
	for (int r = 0; r < DR__MAX; r++)
		o->has_rate[r] = true;
	o->rate[DR_REFUSAL] = uniform() < refusal_base + (shifted && sh == S_REFUSAL ? 0.03 : 0);
	o->rate[DR_ERROR] = uniform() < 0.005;
	o->has_rate[DR_JSON_INVALID] = uniform() < 0.1;
	o->rate[DR_JSON_INVALID] = o->has_rate[DR_JSON_INVALID] && uniform() < 0.02;
	o->rate[DR_FINDING_PII] = uniform() < 0.02;
	o->rate[DR_FINDING_FINANCIAL] = uniform() < 0.005;
	o->rate[DR_FINDING_HEALTH] = uniform() < 0.002;
	o->rate[DR_FINDING_SECRET] = uniform() < 0.001;
	{
		double u = uniform(), plen = shifted && sh == S_FINISH ? 0.08 : 0.03;

		o->finish = u < plen ? DFIN_LENGTH : u < plen + 0.05 ? DFIN_TOOL : DFIN_STOP;
		o->rate[DR_FINISH_LENGTH] = o->finish == DFIN_LENGTH;
	}
	other = shifted && sh == S_SCRIPT && uniform() < 0.10;
	if (other) {
		scr = DS_CYRILLIC;
	} else {
		double u = uniform();

		scr = u < 0.97 ? DS_LATIN : u < 0.98 ? DS_HAN : u < 0.99 ? DS_GREEK : DS_ARABIC;
	}
	o->script = (uint8_t)scr;
	for (int b = 0; b < DRIFT_NGRAM; b++) {
		double lambda = profile[other][b] * fmax(chars - 2, 1);
		double v = lambda + sqrt(lambda) * normal();

		o->ngram[b] = (uint16_t)fmin(fmax(v, 0), 65535);
	}
}

struct count {
	enum shift want;
	long first; /* response index of the first matching alert after the shift, -1 */
	long alerts;
};

static bool matches(enum shift sh, const char *f)
{
	switch (sh) {
	case S_LENGTH: return !strcmp(f, "output_length") || !strcmp(f, "output_tokens");
	case S_REFUSAL: return !strcmp(f, "refusal_rate");
	case S_SCRIPT: return !strcmp(f, "script") || !strcmp(f, "char_3grams") || !strcmp(f, "other_script_rate");
	case S_FINISH: return !strcmp(f, "finish_length_rate") || !strcmp(f, "finish_reason");
	default: return false;
	}
}

static long current;

static void on_alert(void *ctx, const struct drift_alert *a, const struct exchange *x)
{
	struct count *c = ctx;

	(void)x;
	c->alerts++;
	if (c->first < 0 && current >= SHIFT_AT && matches(c->want, a->feature))
		c->first = current;
	if (getenv("DRIFT_BENCH_VERBOSE"))
		fprintf(stderr, "  alert at %ld: %s %s %s stat %.4g thr %.4g effect %.3g\n", current, a->layer, a->feature,
			a->test, a->statistic, a->threshold, a->effect_size);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static void banned_hit(void *ctx, unsigned line)
{
	(*(unsigned *)ctx) = line;
}

/* The banned phrase split across deltas is raised in the response it is in. */
static int banned_check(void)
{
	char path[] = "/tmp/drift-bench-banned-XXXXXX", err[256];
	const char *deltas[] = { "Sure. As requested: the Proj", "ect Nightin", "gale launch codes are ..." };
	int fd = mkstemp(path);
	struct banned *b;
	struct banned_stream *s;
	unsigned hit = 0;

	if (fd < 0 || write(fd, "# banned\nproject nightingale\n", 29) != 29)
		return -1;
	close(fd);
	b = banned_load(path, err, sizeof(err));
	unlink(path);
	if (!b)
		return fprintf(stderr, "%s\n", err), -1;
	s = banned_open(b, banned_hit, &hit);
	for (int i = 0; i < 3 && !hit; i++)
		banned_feed(s, deltas[i], strlen(deltas[i]));
	printf("banned phrase (split across deltas)     raised after delta %s of 3: in the same response\n",
	       hit ? "2" : "-");
	banned_close(s);
	banned_free(b);
	return hit == 2 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int trials = argc > 1 ? atoi(argv[1]) : 10;
	long clean = argc > 2 ? atol(argv[2]) : 100000;
	int keys = argc > 3 ? atoi(argv[3]) : 10;
	long false_alarms = 0;
	int missed = 0;
	char err[256];

	if (argc > 4)
		refusal_base = atof(argv[4]);
	make_profiles();
	for (int sh = S_LENGTH; sh < S__MAX; sh++) {
		long delays[64];
		int n = 0;

		for (int t = 0; t < trials && t < 64; t++) {
			struct count c = { (enum shift)sh, -1, 0 };
			struct drift *d = drift_new(&(struct drift_opts){ .on_alert = on_alert, .alert_ctx = &c }, err,
						    sizeof(err));
			struct drift_obs o;

			rng = 0x9e3779b97f4a7c15ull * (uint64_t)(sh * 100 + t + 1);
			for (current = 0; current < SHIFT_AT + HORIZON && c.first < 0; current++) {
				response(&o, current, (enum shift)sh);
				drift_observe(d, "bench|/v1/chat/completions|m", "m-1", "fp-1", &o,
					      (uint64_t)current * 1000000000ull, NULL);
			}
			delays[n++] = c.first < 0 ? HORIZON : c.first - SHIFT_AT;
			missed += c.first < 0 || c.first - SHIFT_AT > 500;
			drift_free(d);
		}
		qsort(delays, (size_t)n, sizeof(long), cmp_long);
		printf("%-40s detected after %4ld responses (median), %4ld (worst of %d)%s\n", shift_names[sh],
		       delays[n / 2], delays[n - 1], n, delays[n - 1] > 500 ? "  TARGET 500 NOT MET" : "");
	}
	if (banned_check())
		missed++;
	for (int k = 0; k < keys; k++) {
		struct count c = { S_NONE, -1, 0 };
		struct drift *d = drift_new(&(struct drift_opts){ .on_alert = on_alert, .alert_ctx = &c }, err,
					    sizeof(err));
		struct drift_obs o;

		rng = 0xd1b54a32d192ed03ull * (uint64_t)(k + 7);
		for (current = 0; current < clean; current++) {
			response(&o, current, S_NONE);
			drift_observe(d, "bench|/v1/chat/completions|m", "m-1", "fp-1", &o,
				      (uint64_t)current * 1000000000ull, NULL);
		}
		false_alarms += c.alerts;
		drift_free(d);
	}
	printf("false alarms, drift-free with daily cycles  %ld in %ld responses over %d keys: %.2f per 100,000 "
	       "responses per key%s\n",
	       false_alarms, clean * keys, keys, (double)false_alarms * 100000.0 / ((double)clean * keys),
	       (double)false_alarms * 100000.0 / ((double)clean * keys) > 1 ? "  TARGET 1 NOT MET" : "");
	return 0;
}
