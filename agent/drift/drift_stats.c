// SPDX-License-Identifier: Apache-2.0
#include "drift_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- Page-Hinkley / CUSUM ---- */

bool ph_add(struct ph *p, double z, double k, double h)
{
	if (!isfinite(z))
		return false;
	p->up = fmax(0.0, p->up + z - k);
	p->down = fmax(0.0, p->down - z - k);
	p->n++;
	return p->up > h || p->down > h;
}

void ph_reset(struct ph *p)
{
	memset(p, 0, sizeof(*p));
}

/* ---- Bernoulli CUSUM ---- */

/* The log-likelihood ratio of one observation for rate p1 against p0. */
static double llr(bool x, double p0, double p1)
{
	return x ? log(p1 / p0) : log((1 - p1) / (1 - p0));
}

bool bcusum_add(struct bcusum *c, bool x, double p0, double d, double h, bool down_too)
{
	double up, down;

	/* Keep the rates inside (0, 1) so the ratios stay finite. */
	p0 = fmin(fmax(p0, 1e-4), 1 - 1e-4);
	up = fmin(p0 + d, 1 - 1e-4);
	/* Downwards, at least a halving: against a rate near zero, a long run
	 * without events would otherwise look like a change. */
	down = fmax(p0 - d, p0 / 2);
	c->up = fmax(0.0, c->up + llr(x, p0, up));
	c->down = down_too ? fmax(0.0, c->down + llr(x, p0, down)) : 0.0;
	c->n++;
	return c->up > h || c->down > h;
}

void bcusum_reset(struct bcusum *c)
{
	memset(c, 0, sizeof(*c));
}

/* ---- ADWIN ---- */

void adwin_reset(struct adwin *a)
{
	memset(a, 0, sizeof(*a));
}

double adwin_mean(const struct adwin *a)
{
	return a->width ? (double)a->total / (double)a->width : 0.0;
}

/* Appends a bucket of 2^level observations summing to s as the newest of
 * its level, merging the two oldest into the next level when it is full. */
static void adwin_insert(struct adwin *a, int level, uint32_t s)
{
	while (level < ADWIN_LEVELS) {
		uint32_t merged;

		a->sum[level][a->count[level]++] = s;
		if (a->count[level] <= ADWIN_M)
			return;
		merged = a->sum[level][0] + a->sum[level][1];
		memmove(a->sum[level], a->sum[level] + 2, (size_t)(a->count[level] - 2) * sizeof(uint32_t));
		a->count[level] -= 2;
		s = merged;
		level++;
	}
	/* Past the last level (2^19-observation buckets, over M+1 of them): the
	 * oldest merged bucket is forgotten. */
	a->width -= (uint64_t)1 << ADWIN_LEVELS;
	a->total -= s;
}

static void adwin_drop_oldest(struct adwin *a)
{
	for (int level = ADWIN_LEVELS - 1; level >= 0; level--) {
		if (!a->count[level])
			continue;
		a->width -= (uint64_t)1 << level;
		a->total -= a->sum[level][0];
		memmove(a->sum[level], a->sum[level] + 1, (size_t)(a->count[level] - 1) * sizeof(uint32_t));
		a->count[level]--;
		return;
	}
}

/* Is there a split, at a bucket boundary, whose two sides differ by more
 * than the bound? Walks from the oldest bucket. */
static bool adwin_cut_found(const struct adwin *a, double delta)
{
	double n = (double)a->width, mean = adwin_mean(a), var = mean * (1 - mean);
	double ln = log(2.0 * log(n) / delta); /* delta' = delta / ln(n) */
	uint64_t n0 = 0, u0 = 0;

	for (int level = ADWIN_LEVELS - 1; level >= 0; level--) {
		for (int i = 0; i < a->count[level]; i++) {
			double n1, m, eps, d;

			n0 += (uint64_t)1 << level;
			u0 += a->sum[level][i];
			n1 = n - (double)n0;
			if (n0 < 5 || n1 < 5)
				continue;
			m = 1.0 / (1.0 / (double)n0 + 1.0 / n1);
			eps = sqrt(2.0 / m * var * ln) + 2.0 / (3.0 * m) * ln;
			d = fabs((double)u0 / (double)n0 - (double)(a->total - u0) / n1);
			if (d > eps)
				return true;
		}
	}
	return false;
}

bool adwin_add(struct adwin *a, bool x, double delta)
{
	bool cut = false;

	a->width++;
	a->total += x;
	adwin_insert(a, 0, x);
	/* Checking every 32 observations, as the reference implementation
	 * does, costs a bucket walk per 32 and delays a cut by at most that. */
	if (++a->since_check < 32 || a->width < 32)
		return false;
	a->since_check = 0;
	while (a->width > 10 && adwin_cut_found(a, delta)) {
		adwin_drop_oldest(a);
		cut = true;
	}
	return cut;
}

/* ---- two-sample tests ---- */

static int cmp_float(const void *x, const void *y)
{
	float a = *(const float *)x, b = *(const float *)y;

	return (a > b) - (a < b);
}

double ks_statistic(float *a, size_t na, float *b, size_t nb)
{
	size_t i = 0, j = 0;
	double d = 0;

	if (!na || !nb)
		return 0;
	qsort(a, na, sizeof(*a), cmp_float);
	qsort(b, nb, sizeof(*b), cmp_float);
	while (i < na && j < nb) {
		float v = a[i] < b[j] ? a[i] : b[j];

		while (i < na && a[i] == v)
			i++;
		while (j < nb && b[j] == v)
			j++;
		d = fmax(d, fabs((double)i / (double)na - (double)j / (double)nb));
	}
	return d;
}

double ks_pvalue(double d, size_t na, size_t nb)
{
	double ne, lambda, sum = 0, sign = 1;

	if (!na || !nb)
		return 1.0;
	ne = (double)na * (double)nb / (double)(na + nb);
	lambda = (sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) * d; /* Stephens' small-sample correction */
	if (lambda < 0.2)
		return 1.0;
	for (int j = 1; j <= 100; j++) {
		double term = sign * exp(-2.0 * j * j * lambda * lambda);

		sum += term;
		if (fabs(term) < 1e-12 * fabs(sum))
			break;
		sign = -sign;
	}
	sum *= 2;
	return fmin(fmax(sum, 0.0), 1.0);
}

double chi2_statistic(const double *a, const double *b, size_t k, int *dof)
{
	double na = 0, nb = 0, x = 0;
	int used = 0;

	for (size_t i = 0; i < k; i++)
		na += a[i], nb += b[i];
	*dof = 0;
	if (na <= 0 || nb <= 0)
		return 0;
	for (size_t i = 0; i < k; i++) {
		double col = a[i] + b[i], ea, eb;

		if (col <= 0)
			continue;
		used++;
		ea = col * na / (na + nb);
		eb = col * nb / (na + nb);
		x += (a[i] - ea) * (a[i] - ea) / ea + (b[i] - eb) * (b[i] - eb) / eb;
	}
	*dof = used > 1 ? used - 1 : 0;
	return x;
}

/* Regularised upper incomplete gamma Q(s, x): a series below s + 1, a
 * continued fraction (modified Lentz) above. */
static double gamma_q(double s, double x)
{
	double lg = lgamma(s);

	if (x <= 0)
		return 1.0;
	if (x < s + 1) {
		double sum = 1.0 / s, term = sum;

		for (int n = 1; n < 1000; n++) {
			term *= x / (s + n);
			sum += term;
			if (term < sum * 1e-15)
				break;
		}
		return fmax(0.0, 1.0 - sum * exp(-x + s * log(x) - lg));
	} else {
		double b = x + 1 - s, c = 1e300, d = 1 / b, h = d;

		for (int i = 1; i < 1000; i++) {
			double an = -i * (i - s), delta;

			b += 2;
			d = an * d + b;
			if (fabs(d) < 1e-300)
				d = 1e-300;
			c = b + an / c;
			if (fabs(c) < 1e-300)
				c = 1e-300;
			d = 1 / d;
			delta = d * c;
			h *= delta;
			if (fabs(delta - 1) < 1e-15)
				break;
		}
		return exp(-x + s * log(x) - lg) * h;
	}
}

double chi2_pvalue(double x, int dof)
{
	return dof <= 0 ? 1.0 : gamma_q(dof / 2.0, x / 2.0);
}

double js_divergence(const double *a, const double *b, size_t k)
{
	double na = 0, nb = 0, js = 0;

	for (size_t i = 0; i < k; i++)
		na += a[i], nb += b[i];
	if (na <= 0 || nb <= 0)
		return 0;
	for (size_t i = 0; i < k; i++) {
		double p = a[i] / na, q = b[i] / nb, m = (p + q) / 2;

		if (p > 0)
			js += 0.5 * p * log2(p / m);
		if (q > 0)
			js += 0.5 * q * log2(q / m);
	}
	return fmin(fmax(js, 0.0), 1.0);
}
