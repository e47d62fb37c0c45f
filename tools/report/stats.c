/* SPDX-License-Identifier: MIT */
/* The tests behind tmreport diff's verdicts: Mann-Whitney U (exact for
 * small samples, ties included; else the normal approximation with tie
 * and continuity correction), the two-proportion test (Fisher's exact
 * when an expected count is small) and the practical threshold. Samples
 * are ascending (value, count) bins: a histogram's buckets, or values
 * with count 1. Why these: docs/ARCHITECTURE.md, "Reports and
 * comparisons". */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

uint64_t rp_bins_total(const struct rp_bin *b, size_t n)
{
	uint64_t t = 0;
	for (size_t i = 0; i < n; i++)
		t += b[i].n;
	return t;
}

/* The permutation distribution of the first sample's score sum (scores:
 * twice the mid-ranks, integers) over every way of choosing k of the N
 * items, counted by dynamic programming: O(N * k * N * k). */
static double exact_p(const struct rp_bin *a, size_t na, const struct rp_bin *b, size_t nb,
		      size_t n1, size_t n2, long double r1)
{
	size_t N = n1 + n2, k = n1 < n2 ? n1 : n2, maxs = 2 * N * k + 1;
	double *w = calloc((k + 1) * maxs, sizeof(double));
	if (!w)
		return -1;
	w[0] = 1;
	size_t i = 0, j = 0, seen = 0, done = 0;
	while (i < na || j < nb) {
		size_t t = 0;
		if (j >= nb || (i < na && a[i].v < b[j].v))
			t = (size_t)a[i++].n;
		else if (i >= na || b[j].v < a[i].v)
			t = (size_t)b[j++].n;
		else
			t = (size_t)(a[i++].n + b[j++].n);
		size_t score = 2 * seen + t + 1; /* twice the group's mid-rank */
		for (size_t m = 0; m < t; m++, done++) {
			size_t top = done < k ? done : k - 1;
			for (size_t c = top + 1; c-- > 0;)
				for (size_t s = maxs - score; s-- > 0;)
					if (w[c * maxs + s] != 0)
						w[(c + 1) * maxs + s + score] += w[c * maxs + s];
		}
		seen += t;
	}
	/* the observed sum of the smaller side, and its expectation k (N + 1) */
	long double s_first = 2 * r1;
	long double obs = n1 <= n2 ? s_first : (long double)N * (N + 1) - s_first;
	long double e = (long double)k * (N + 1), dev = fabsl(obs - e);
	double tail = 0, all = 0;
	for (size_t s = 0; s < maxs; s++) {
		double x = w[k * maxs + s];
		all += x;
		if (fabsl((long double)s - e) >= dev - 1e-9)
			tail += x;
	}
	free(w);
	return all > 0 ? fmin(1, tail / all) : 1;
}

int rp_mwu(const struct rp_bin *a, size_t na, const struct rp_bin *b, size_t nb, struct rp_mwu *r)
{
	long double n1 = (long double)rp_bins_total(a, na), n2 = (long double)rp_bins_total(b, nb);
	memset(r, 0, sizeof(*r));
	r->p = 1;
	r->n1 = (double)n1;
	r->n2 = (double)n2;
	if (n1 == 0 || n2 == 0)
		return -1;
	long double N = n1 + n2, seen = 0, r1 = 0, ties = 0;
	for (size_t i = 0, j = 0; i < na || j < nb;) {
		long double ca = 0, cb = 0;
		if (j >= nb || (i < na && a[i].v < b[j].v))
			ca = (long double)a[i++].n;
		else if (i >= na || b[j].v < a[i].v)
			cb = (long double)b[j++].n;
		else {
			ca = (long double)a[i++].n;
			cb = (long double)b[j++].n;
		}
		long double t = ca + cb;
		r1 += ca * (seen + (t + 1) / 2);
		ties += t * t * t - t;
		seen += t;
	}
	long double u1 = r1 - n1 * (n1 + 1) / 2, mu = n1 * n2 / 2;
	r->u = (double)u1;
	if (N <= RP_MWU_EXACT_MAX) {
		double p = exact_p(a, na, b, nb, (size_t)n1, (size_t)n2, r1);
		if (p >= 0) {
			r->p = p;
			r->exact = 1;
			return 0;
		}
	}
	long double var = n1 * n2 / 12 * ((N + 1) - ties / (N * (N - 1)));
	if (!(var > 1e-9L * n1 * n2 * N / 12))
		return 0; /* everything tied: nothing to tell the samples apart */
	long double d = fabsl(u1 - mu) - 0.5L;
	if (d < 0)
		d = 0;
	r->z = (double)(d / sqrtl(var)) * (u1 < mu ? -1 : 1);
	r->p = erfc(fabs(r->z) / sqrt(2.0));
	return 0;
}

double rp_mwu_min_p(size_t n1, size_t n2)
{
	if (!n1 || !n2)
		return 1;
	double lc = lgamma((double)(n1 + n2) + 1) - lgamma((double)n1 + 1) - lgamma((double)n2 + 1);
	return fmin(1, 2 * exp(-lc));
}

/* Fisher's exact test, two-sided: the hypergeometric probabilities of
 * every table with the margins observed, summed over those no more
 * likely than the observed one. Built from ratios of neighbours, in
 * logs (no factorial of a large N). -1 when the support is too large. */
static double fisher(uint64_t x1, uint64_t n1, uint64_t n2, uint64_t k_all)
{
	uint64_t n = n1 + n2;
	uint64_t lo = k_all > n2 ? k_all - n2 : 0, hi = k_all < n1 ? k_all : n1;
	if (hi - lo > 1000000)
		return -1;
	size_t m = (size_t)(hi - lo + 1);
	double *lw = malloc(m * sizeof(double));
	if (!lw)
		return -1;
	lw[0] = 0;
	double top = 0;
	for (size_t i = 1; i < m; i++) {
		double k = (double)(lo + i - 1);
		lw[i] = lw[i - 1] + log(((double)k_all - k) * ((double)n1 - k)) -
			log((k + 1) * ((double)n - (double)k_all - (double)n1 + k + 1));
		top = fmax(top, lw[i]);
	}
	double obs = lw[x1 - lo], all = 0, tail = 0;
	for (size_t i = 0; i < m; i++) {
		double p = exp(lw[i] - top);
		all += p;
		if (lw[i] <= obs + 1e-7)
			tail += p;
	}
	free(lw);
	return fmin(1, tail / all);
}

double rp_prop_test(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2)
{
	if (!n1 || !n2 || x1 > n1 || x2 > n2)
		return 1;
	double a = (double)n1, b = (double)n2, n = a + b, k = (double)x1 + (double)x2;
	if (k == 0 || k == n)
		return 1;
	double emin = fmin(fmin(a, b) * k / n, fmin(a, b) * (n - k) / n);
	if (emin < 5) {
		double p = fisher(x1, n1, n2, x1 + x2);
		if (p >= 0)
			return p;
	}
	double pool = k / n;
	double se = sqrt(pool * (1 - pool) * (1 / a + 1 / b));
	if (!(se > 0))
		return 1;
	double z = ((double)x1 / a - (double)x2 / b) / se;
	return erfc(fabs(z) / sqrt(2.0));
}

int rp_practical(double base, double now, double rel, double abs_min)
{
	double d = fabs(now - base);
	return d > 0 && d >= abs_min && d >= rel * fabs(base);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

size_t rp_bins_of(const double *v, size_t n, struct rp_bin *out)
{
	double *s = malloc((n ? n : 1) * sizeof(double));
	size_t k = 0;
	if (!s)
		return 0;
	memcpy(s, v, n * sizeof(double));
	qsort(s, n, sizeof(double), cmp_dbl);
	for (size_t i = 0; i < n; i++) {
		uint64_t x = s[i] > 0 ? (uint64_t)llround(fmin(s[i], (double)RP_COUNT_MAX)) : 0;
		if (k && out[k - 1].v == x)
			out[k - 1].n++;
		else
			out[k++] = (struct rp_bin){x, 1};
	}
	free(s);
	return k;
}

int rp_bins_merge(struct rp_bin **a, size_t *na, const struct rp_bin *b, size_t nb)
{
	struct rp_bin *m = malloc((*na + nb + 1) * sizeof(*m));
	if (!m)
		return -1;
	size_t i = 0, j = 0, k = 0;
	while (i < *na || j < nb) {
		if (j >= nb || (i < *na && (*a)[i].v < b[j].v))
			m[k++] = (*a)[i++];
		else if (i >= *na || b[j].v < (*a)[i].v)
			m[k++] = b[j++];
		else {
			m[k] = (*a)[i++];
			m[k++].n += b[j++].n;
		}
	}
	free(*a);
	*a = m;
	*na = k;
	return 0;
}

uint64_t rp_bins_quantile(const struct rp_bin *b, size_t n, double q)
{
	uint64_t total = rp_bins_total(b, n);
	if (!total)
		return 0;
	uint64_t rank = (uint64_t)ceil(q * (double)total);
	rank = rank < 1 ? 1 : rank > total ? total : rank;
	uint64_t seen = 0;
	for (size_t i = 0; i < n; i++) {
		seen += b[i].n;
		if (seen >= rank)
			return b[i].v;
	}
	return b[n - 1].v;
}

uint64_t rp_bins_above(const struct rp_bin *b, size_t n, uint64_t v)
{
	uint64_t t = 0;
	for (size_t i = 0; i < n; i++)
		if (b[i].v > v)
			t += b[i].n;
	return t;
}

double rp_median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(double), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
