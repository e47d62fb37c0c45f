/* SPDX-License-Identifier: MIT */
/* Histogram accuracy: every reported percentile within 1% of the exact one. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "hist.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t exact_quantile(const uint64_t *sorted, size_t n, double q)
{
	size_t rank = (size_t)ceil(q * (double)n);
	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

static void check_distribution(uint64_t (*gen)(unsigned *), unsigned seed)
{
	enum { N = 200000 };
	uint64_t *v = malloc(N * sizeof(*v));
	struct tm_hist h = {0};
	for (size_t i = 0; i < N; i++) {
		v[i] = gen(&seed);
		cr_assert_eq(tm_hist_add(&h, v[i], 1), 0);
	}
	qsort(v, N, sizeof(*v), cmp_u64);
	static const double qs[] = {0.001, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0};
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double exact = (double)exact_quantile(v, N, qs[i]);
		double got = (double)tm_hist_quantile(&h, qs[i]);
		cr_assert(fabs(got - exact) <= 0.01 * exact + 0.5, "q=%g exact=%.0f got=%.0f",
			  qs[i], exact, got);
	}
	cr_assert_eq(h.count, N);
	tm_hist_free(&h);
	free(v);
}

static uint64_t gen_uniform(unsigned *s)
{
	return (uint64_t)rand_r(s) % 1000000;
}

static uint64_t gen_lognormal(unsigned *s)
{
	double u1 = (rand_r(s) + 1.0) / (RAND_MAX + 2.0), u2 = (rand_r(s) + 1.0) / (RAND_MAX + 2.0);
	double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
	return (uint64_t)exp(8.0 + 2.5 * z);
}

static uint64_t gen_bimodal(unsigned *s)
{
	return rand_r(s) % 10 ? (uint64_t)(50 + rand_r(s) % 20)
			      : 10000000 + (uint64_t)rand_r(s) % 5000000;
}

Test(hist, uniform_within_1pct)
{
	check_distribution(gen_uniform, 1);
}
Test(hist, lognormal_within_1pct)
{
	check_distribution(gen_lognormal, 2);
}
Test(hist, bimodal_within_1pct)
{
	check_distribution(gen_bimodal, 3);
}

Test(hist, small_values_exact)
{
	for (uint64_t v = 0; v < 128; v++)
		cr_assert_eq(tm_hist_value(tm_hist_index(v)), v);
}

Test(hist, bucket_error_bound_everywhere)
{
	for (uint64_t v = 1; v < (1ull << 62); v = v * 3 / 2 + 1) {
		double rep = (double)tm_hist_value(tm_hist_index(v));
		cr_assert(fabs(rep - (double)v) <= (double)v / 128.0 + 0.5, "v=%lu rep=%.0f", v,
			  rep);
	}
	cr_assert(tm_hist_index(UINT64_MAX) < TM_HIST_GROUPS * TM_HIST_SUB);
}

Test(hist, merge_adds_counts)
{
	struct tm_hist a = {0}, b = {0};
	for (uint64_t i = 1; i <= 1000; i++)
		tm_hist_add(i % 2 ? &a : &b, i * 1000, 1);
	cr_assert_eq(tm_hist_merge(&a, &b), 0);
	cr_assert_eq(a.count, 1000);
	double p50 = (double)tm_hist_quantile(&a, 0.5);
	cr_assert(fabs(p50 - 500000) <= 5000, "p50 %.0f", p50);
	tm_hist_free(&a);
	tm_hist_free(&b);
}

Test(hist, empty_is_zero)
{
	struct tm_hist h = {0};
	cr_assert_eq(tm_hist_quantile(&h, 0.99), 0);
}
