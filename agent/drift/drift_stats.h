/* SPDX-License-Identifier: Apache-2.0 */
/*
 * drift_stats - the statistics drift detection is built from, each with
 * fixed memory and no allocation, so a key's whole state is one flat
 * struct (saved and restored as it is):
 *
 *   ph_*      two-sided Page-Hinkley (CUSUM) on a standardised value: flags
 *             a sustained mean shift of more than k standard deviations;
 *   bcusum_*  two-sided Bernoulli CUSUM on a rate: the log-likelihood ratio
 *             of p0 + d against p0 (and of max(p0 - d, p0 / 2)), the fastest
 *             detector of a rate shift of at least d for a given false-alarm
 *             rate;
 *   adwin_*   ADWIN (Bifet & Gavalda) on a 0/1 stream: an exponential
 *             histogram of the recent values, cut where two sub-windows'
 *             means differ by more than the Hoeffding-style bound for
 *             delta; slower than CUSUM on small shifts but needs no p0 and
 *             no shift size, so it catches gradual changes;
 *   ks_*      two-sample Kolmogorov-Smirnov statistic and its asymptotic
 *             p-value (calibrated to both sample sizes);
 *   chi2_*    chi-square test of homogeneity for two count vectors, with
 *             its p-value from the regularised incomplete gamma function;
 *   js_*      Jensen-Shannon divergence (base 2, in [0, 1]).
 */
#ifndef SEALTAP_DRIFT_STATS_H
#define SEALTAP_DRIFT_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Page-Hinkley / CUSUM, two-sided ---- */
struct ph {
	double up, down; /* the two cumulative sums, >= 0 */
	uint32_t n;      /* observations since the last reset */
};
/* Adds z (a standardised observation); true when either sum passes h. */
bool ph_add(struct ph *p, double z, double k, double h);
void ph_reset(struct ph *p);

/* ---- Bernoulli CUSUM, two-sided ---- */
struct bcusum {
	double up, down;
	uint32_t n;
};
/* x in {0, 1}; p0 the reference rate; d the smallest shift worth flagging;
 * down_too: decreases as well (pointless for rates near zero). */
bool bcusum_add(struct bcusum *c, bool x, double p0, double d, double h, bool down_too);
void bcusum_reset(struct bcusum *c);

/* ---- ADWIN ---- */
#define ADWIN_M 5      /* buckets kept per size */
#define ADWIN_LEVELS 20 /* sizes 1, 2, 4, ... 2^19: up to ~5M observations */
struct adwin {
	/* Per level, up to ADWIN_M + 1 buckets of 2^level observations, oldest first: their sums. */
	uint32_t sum[ADWIN_LEVELS][ADWIN_M + 1];
	uint8_t count[ADWIN_LEVELS];
	uint64_t width;  /* observations in the window */
	uint64_t total;  /* their sum */
	uint32_t since_check;
};
/* Adds x; true when the window was cut (a change: the older part dropped). */
bool adwin_add(struct adwin *a, bool x, double delta);
double adwin_mean(const struct adwin *a);
void adwin_reset(struct adwin *a);

/* ---- two-sample tests ---- */
/* KS statistic of two samples (sorted in place). */
double ks_statistic(float *a, size_t na, float *b, size_t nb);
/* Asymptotic p-value of D for sizes na, nb (Kolmogorov distribution). */
double ks_pvalue(double d, size_t na, size_t nb);

/* Chi-square statistic of homogeneity over k categories (categories empty
 * in both are left out); *dof gets the degrees of freedom. */
double chi2_statistic(const double *a, const double *b, size_t k, int *dof);
/* P(X >= x) for X chi-square with dof degrees of freedom. */
double chi2_pvalue(double x, int dof);

/* Jensen-Shannon divergence of two count vectors (normalised here). */
double js_divergence(const double *a, const double *b, size_t k);

#endif
