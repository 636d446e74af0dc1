// SPDX-License-Identifier: Apache-2.0
/* The drift statistics against values known from their distributions, and
 * the change detectors on seeded streams: quiet when nothing changes,
 * firing soon after a change. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "drift_stats.h"

/* xorshift64*: deterministic streams */
static uint64_t rng = 88172645463325252ull;
static double uniform(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (double)((rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static void test_drift_stats_chi2_and_ks_pvalues(void **state)
{
	double a[3] = { 50, 30, 20 }, b[3] = { 50, 30, 20 }, c[4] = { 10, 0, 0, 5 }, d[4] = { 0, 0, 10, 5 };
	int dof;

	(void)state;
	/* Critical values from the chi-square table. */
	assert_true(fabs(chi2_pvalue(3.841, 1) - 0.05) < 1e-3);
	assert_true(fabs(chi2_pvalue(18.307, 10) - 0.05) < 1e-3);
	assert_true(fabs(chi2_pvalue(59.703, 30) - 0.001) < 1e-4);
	assert_true(chi2_pvalue(0, 3) == 1.0);
	assert_true(chi2_statistic(a, b, 3, &dof) < 1e-12 && dof == 2);
	/* An empty category in both is not a degree of freedom. */
	assert_true(chi2_statistic(c, d, 4, &dof) > 10 && dof == 2);
	/* Kolmogorov: lambda 1.358 is the 5% point; 1.628 the 1% point. */
	assert_true(fabs(ks_pvalue(1.358 / sqrt(5000.0), 10000, 10000) - 0.05) < 3e-3);
	assert_true(fabs(ks_pvalue(1.628 / sqrt(5000.0), 10000, 10000) - 0.01) < 1e-3);
	assert_true(ks_pvalue(0.001, 100, 100) == 1.0);
}

static void test_drift_stats_ks_and_js_statistics(void **state)
{
	float x[3] = { 3, 1, 2 }, y[3] = { 6, 4, 5 }, z[4] = { 1, 2, 3, 4 }, w[4] = { 1, 2, 3, 4 };
	double p[3] = { 1, 0, 0 }, q[3] = { 0, 1, 0 }, r[3] = { 2, 2, 0 }, s[3] = { 1, 1, 0 };

	(void)state;
	assert_true(ks_statistic(x, 3, y, 3) == 1.0);
	assert_true(ks_statistic(z, 4, w, 4) == 0.0);
	assert_true(fabs(js_divergence(p, q, 3) - 1.0) < 1e-12); /* disjoint */
	assert_true(js_divergence(r, s, 3) < 1e-12);           /* same shape, other totals */
}

static void test_drift_stats_page_hinkley(void **state)
{
	struct ph p = { 0 };
	int n = 0;

	(void)state;
	for (int i = 0; i < 100000; i++)
		assert_false(ph_add(&p, 0.4, 0.5, 5)); /* within k: never */
	ph_reset(&p);
	while (!ph_add(&p, 1.0, 0.5, 5))
		n++;
	assert_int_equal(n, 10); /* 0.5 a step: past 5 at the 11th */
	ph_reset(&p);
	for (n = 0; !ph_add(&p, -1.0, 0.5, 5); n++)
		;
	assert_int_equal(n, 10); /* and downwards */
}

static void test_drift_stats_bernoulli_cusum(void **state)
{
	struct bcusum c = { 0 };
	int n;

	(void)state;
	for (int i = 0; i < 1000000; i++)
		assert_false(bcusum_add(&c, uniform() < 0.01, 0.01, 0.03, 14, true));
	bcusum_reset(&c);
	for (n = 0; n < 5000 && !bcusum_add(&c, uniform() < 0.04, 0.01, 0.03, 14, true); n++)
		;
	assert_true(n < 1000);
}

static void test_drift_stats_adwin(void **state)
{
	static struct adwin a;
	int n;

	(void)state;
	adwin_reset(&a);
	for (int i = 0; i < 200000; i++)
		assert_false(adwin_add(&a, uniform() < 0.1, 1e-5));
	assert_true(fabs(adwin_mean(&a) - 0.1) < 0.01);
	for (n = 0; n < 5000 && !adwin_add(&a, uniform() < 0.5, 1e-5); n++)
		;
	assert_true(n < 300);
	/* After the cut the window holds mostly the new values. */
	for (int i = 0; i < 2000; i++)
		adwin_add(&a, uniform() < 0.5, 1e-5);
	assert_true(fabs(adwin_mean(&a) - 0.5) < 0.05);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drift_stats_chi2_and_ks_pvalues),
		cmocka_unit_test(test_drift_stats_ks_and_js_statistics),
		cmocka_unit_test(test_drift_stats_page_hinkley),
		cmocka_unit_test(test_drift_stats_bernoulli_cusum),
		cmocka_unit_test(test_drift_stats_adwin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
