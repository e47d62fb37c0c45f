/* SPDX-License-Identifier: MIT */
/* tmreport's statistics (tools/report/stats.c) against hand-computed
 * values and brute force, and the verdicts of tmreport diff on summaries
 * built in memory: nothing here depends on timing. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define NB(a) (sizeof(a) / sizeof((a)[0]))

static void close_to(double got, double want, double rel)
{
	cr_assert(fabs(got - want) <= rel * fabs(want) + 1e-15, "got %.10g, expected %.10g", got,
		  want);
}

/* ---- Mann-Whitney U ---- */

Test(mwu, separated_five_by_five_exact)
{
	struct rp_bin a[] = {{1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}};
	struct rp_bin b[] = {{6, 1}, {7, 1}, {8, 1}, {9, 1}, {10, 1}};
	struct rp_mwu r;
	cr_assert_eq(rp_mwu(a, 5, b, 5, &r), 0);
	cr_assert(r.exact);
	cr_assert_eq(r.u, 0);
	close_to(r.p, 2.0 / 252, 1e-12); /* 2 of the C(10, 5) arrangements */
	close_to(rp_mwu_min_p(5, 5), 2.0 / 252, 1e-12);
}

/* x = 19 22 16 29 24, y = 20 11 17 12: ranks of x 3 5 7 8 9, R = 32,
 * U_x = 32 - 15 = 17 (U_y = 3); P(U <= 3) for 5 and 4 is 7 of 126
 * arrangements (U = 0, 1, 2, 2, 3, 3, 3), two-sided 14/126. */
Test(mwu, textbook_exact)
{
	double x[] = {19, 22, 16, 29, 24}, y[] = {20, 11, 17, 12};
	struct rp_bin bx[5], by[4];
	size_t nx = rp_bins_of(x, 5, bx), ny = rp_bins_of(y, 4, by);
	struct rp_mwu r;
	rp_mwu(bx, nx, by, ny, &r);
	cr_assert_eq(r.u, 17);
	close_to(r.p, 14.0 / 126, 1e-12);
}

/* Brute force: every choice of n1 of the N values as the first sample,
 * the two-sided permutation p of the rank sum with mid-ranks. */
static double brute_p(const double *v, size_t n1, size_t n)
{
	double rank[16];
	for (size_t i = 0; i < n; i++) {
		double less = 0, eq = 0;
		for (size_t j = 0; j < n; j++)
			less += v[j] < v[i], eq += v[j] == v[i];
		rank[i] = less + (eq + 1) / 2;
	}
	double obs = 0, e = n1 * (n + 1) / 2.0;
	for (size_t i = 0; i < n1; i++)
		obs += rank[i];
	size_t all = 0, tail = 0;
	for (unsigned m = 0; m < (1u << n); m++) {
		if ((size_t)__builtin_popcount(m) != n1)
			continue;
		double s = 0;
		for (size_t i = 0; i < n; i++)
			if (m >> i & 1)
				s += rank[i];
		all++;
		tail += fabs(s - e) >= fabs(obs - e) - 1e-9;
	}
	return (double)tail / (double)all;
}

Test(mwu, exact_with_ties_matches_brute_force)
{
	unsigned seed = 12345;
	for (int trial = 0; trial < 300; trial++) {
		size_t n1 = 1 + rand_r(&seed) % 7, n2 = 1 + rand_r(&seed) % 7;
		double v[16];
		for (size_t i = 0; i < n1 + n2; i++)
			v[i] = 1 + rand_r(&seed) % 4; /* many ties */
		struct rp_bin a[16], b[16];
		size_t na = rp_bins_of(v, n1, a), nb = rp_bins_of(v + n1, n2, b);
		struct rp_mwu r;
		rp_mwu(a, na, b, nb, &r);
		cr_assert(r.exact);
		close_to(r.p, brute_p(v, n1, n1 + n2), 1e-9);
	}
}

/* 1..40 against 41..80 (N = 80: the normal approximation): U = 0,
 * mu = 800, var = 40 * 40 * 81 / 12 = 10800, z = 799.5 / 103.923. */
Test(mwu, normal_separated)
{
	struct rp_bin a[40], b[40];
	for (unsigned i = 0; i < 40; i++) {
		a[i] = (struct rp_bin){i + 1, 1};
		b[i] = (struct rp_bin){i + 41, 1};
	}
	struct rp_mwu r;
	rp_mwu(a, 40, b, 40, &r);
	cr_assert(!r.exact);
	cr_assert_eq(r.u, 0);
	close_to(fabs(r.z), 799.5 / sqrt(10800), 1e-9);
	close_to(r.p, erfc(799.5 / sqrt(10800) / sqrt(2)), 1e-9);
}

/* Histogram bins as tied samples: base 100 calls at 1 and 100 at 2, new
 * 100 at 2 and 100 at 3. Mid-ranks 50.5 and 200.5: R = 25100, U = 5000,
 * mu = 20000; ties 2 (100^3 - 100) + (200^3 - 200) = 9 999 600;
 * var = 40000 / 12 * (401 - 9999600 / 159600) = 1 127 819.5... */
Test(mwu, normal_tie_correction)
{
	struct rp_bin a[] = {{1, 100}, {2, 100}}, b[] = {{2, 100}, {3, 100}};
	struct rp_mwu r;
	rp_mwu(a, 2, b, 2, &r);
	cr_assert(!r.exact);
	cr_assert_eq(r.u, 5000);
	double var = 40000.0 / 12 * (401 - 9999600.0 / 159600);
	close_to(fabs(r.z), 14999.5 / sqrt(var), 1e-9);
	cr_assert_lt(r.z, 0); /* the first sample is the smaller one */
}

Test(mwu, all_tied_and_empty)
{
	struct rp_bin a[] = {{100, 500}}, b[] = {{100, 700}};
	struct rp_mwu r;
	cr_assert_eq(rp_mwu(a, 1, b, 1, &r), 0);
	cr_assert_eq(r.p, 1);
	cr_assert_eq(rp_mwu(a, 1, b, 0, &r), -1);
	cr_assert_eq(r.p, 1);
}

Test(mwu, min_p)
{
	close_to(rp_mwu_min_p(3, 3), 0.1, 1e-12); /* 2 / 20: never below 0.01 */
	close_to(rp_mwu_min_p(4, 5), 2.0 / 126, 1e-12);
	cr_assert_gt(rp_mwu_min_p(4, 4), 0.01);
	cr_assert_leq(rp_mwu_min_p(5, 5), 0.01);
}

/* Under the null (both samples from one distribution, here lognormal
 * with a fixed seed) the test rejects at alpha in about alpha of the
 * trials: the test is calibrated. 2 000 trials of 200 against 200. */
static double lognormal(unsigned *seed)
{
	double u1 = (rand_r(seed) + 1.0) / (RAND_MAX + 2.0),
	       u2 = (rand_r(seed) + 1.0) / (RAND_MAX + 2.0);
	return 100000 * exp(0.3 * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
}

Test(mwu, null_rejection_rate_is_alpha)
{
	unsigned seed = 7;
	int rejected = 0, trials = 2000;
	for (int t = 0; t < trials; t++) {
		double x[200], y[200];
		for (int i = 0; i < 200; i++) {
			x[i] = floor(lognormal(&seed));
			y[i] = floor(lognormal(&seed));
		}
		struct rp_bin a[200], b[200];
		size_t na = rp_bins_of(x, 200, a), nb = rp_bins_of(y, 200, b);
		struct rp_mwu r;
		rp_mwu(a, na, b, nb, &r);
		rejected += r.p <= 0.01;
	}
	cr_log_info("rejected %d of %d at alpha 0.01", rejected, trials);
	cr_assert(rejected >= 5 && rejected <= 40, "%d of %d", rejected, trials);
}

/* ---- two proportions ---- */

/* 30/600 against 60/600: pooled 0.075, se = sqrt(0.075 * 0.925 / 300),
 * z = -0.05 / se = -3.2880 */
Test(prop, z_test)
{
	double se = sqrt(0.075 * 0.925 * (2.0 / 600));
	close_to(rp_prop_test(30, 600, 60, 600), erfc(0.05 / se / sqrt(2)), 1e-9);
	close_to(rp_prop_test(30, 600, 60, 600), 0.001009, 0.01);
}

/* Fisher's tea taster: 3 of 4 against 1 of 4, two-sided p = 34/70. */
Test(prop, fisher_tea)
{
	close_to(rp_prop_test(3, 4, 1, 4), 34.0 / 70, 1e-9);
}

/* 0 of 10 against 5 of 10: P(0) = P(5) = C(15, 10) / C(20, 10) = 3003 /
 * 184756 each, the others more likely: p = 6006 / 184756. */
Test(prop, fisher_small_counts)
{
	close_to(rp_prop_test(0, 10, 5, 10), 6006.0 / 184756, 1e-9);
	/* a function that starts failing 5% of 400 calls */
	cr_assert_lt(rp_prop_test(0, 400, 20, 400), 1e-5);
}

Test(prop, no_difference)
{
	cr_assert_eq(rp_prop_test(0, 100, 0, 100), 1);
	cr_assert_eq(rp_prop_test(100, 100, 50, 50), 1);
	cr_assert_eq(rp_prop_test(1, 0, 0, 10), 1);
	cr_assert_gt(rp_prop_test(50, 1000, 52, 1000), 0.5);
}

/* ---- the practical threshold, quantiles, bins ---- */

Test(practical, relative_and_absolute)
{
	cr_assert(!rp_practical(100000, 109000, 0.10, 1000)); /* 9% */
	cr_assert(rp_practical(100000, 111000, 0.10, 1000));
	cr_assert(rp_practical(100000, 89000, 0.10, 1000)); /* faster counts too */
	cr_assert(!rp_practical(300, 600, 0.10, 1000));	    /* 2x of 300 ns: < 1 us */
	cr_assert(!rp_practical(5e6, 5.4e6, 0.10, 1000));   /* 8% of 5 ms */
	cr_assert(!rp_practical(7, 7, 0, 0));
	cr_assert(rp_practical(0, 0.05, 0.10, 0.001)); /* 0 -> 5% errors */
	cr_assert(!rp_practical(0.0100, 0.0105, 0.10, 0.001));
}

Test(bins, quantile_merge_above)
{
	struct rp_bin a[] = {{10, 1}, {20, 1}, {30, 2}};
	cr_assert_eq(rp_bins_quantile(a, 3, 0.5), 20);
	cr_assert_eq(rp_bins_quantile(a, 3, 0.99), 30);
	cr_assert_eq(rp_bins_quantile(a, 3, 0), 10);
	cr_assert_eq(rp_bins_above(a, 3, 10), 3);
	struct rp_bin *m = NULL;
	size_t n = 0;
	struct rp_bin b[] = {{5, 1}, {20, 4}, {40, 1}};
	cr_assert_eq(rp_bins_merge(&m, &n, a, 3), 0);
	cr_assert_eq(rp_bins_merge(&m, &n, b, 3), 0);
	cr_assert_eq(n, 5);
	cr_assert_eq(m[2].v, 20);
	cr_assert_eq(m[2].n, 5);
	cr_assert_eq(rp_bins_total(m, n), 10);
	free(m);
	double v[] = {3, 1, 3, 2};
	struct rp_bin o[4];
	cr_assert_eq(rp_bins_of(v, 4, o), 3);
	cr_assert_eq(o[2].v, 3);
	cr_assert_eq(o[2].n, 2);
}

/* ---- verdicts, on summaries built in memory ---- */

/* A function with `calls` calls spread over the buckets around center_ns
 * (a triangle over +-6%), `failed` of them failed. */
static void sym_make(struct rp_sym *s, const char *name, uint64_t calls, uint64_t failed,
		     double center_ns)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->rule = 1;
	s->calls = s->timed = calls;
	s->failed = failed;
	s->ok = calls - failed;
	s->has_lat = s->has_hist = calls > 0;
	s->hist = calloc(13, sizeof(*s->hist));
	uint64_t left = calls;
	for (int k = -6; k <= 6 && calls; k++) {
		uint64_t n = k == 6 ? left : calls * (7 - (uint64_t)abs(k)) / 49;
		n = n > left ? left : n;
		left -= n;
		if (n)
			s->hist[s->nhist++] =
				(struct rp_bin){(uint64_t)(center_ns * (1 + k / 100.0)), n};
	}
	s->p50 = rp_bins_quantile(s->hist, s->nhist, .5);
	s->p99 = rp_bins_quantile(s->hist, s->nhist, .99);
	s->total_ns = center_ns * (double)calls;
}

static void doc_free(struct rp_doc *d)
{
	for (size_t i = 0; i < d->nsyms; i++)
		free(d->syms[i].hist);
	free(d->syms);
}

static struct rp_doc doc2(double a_ns, double b_ns, uint64_t b_failed)
{
	struct rp_doc d = {.path = "mem"};
	d.syms = calloc(2, sizeof(*d.syms));
	d.nsyms = 2;
	sym_make(&d.syms[0], "tw_a", 400, 0, a_ns);
	sym_make(&d.syms[1], "tw_b", 400, b_failed, b_ns);
	return d;
}

static const struct rp_diff_opts opts = {
	.alpha = 0.01, .lat_rel = 0.10, .lat_abs_ns = 1000, .err_rel = 0.10, .err_abs = 0.001};

static const struct rp_row *row(const struct rp_diff *d, const char *name)
{
	for (size_t i = 0; i < d->nrows; i++)
		if (strcmp(d->rows[i].name, name) == 0)
			return &d->rows[i];
	cr_assert_fail("no row %s", name);
	return NULL;
}

Test(verdict, same_and_slower)
{
	struct rp_doc base = doc2(100000, 100000, 0), same = doc2(100000, 100000, 0);
	struct rp_doc slow = doc2(100000, 200000, 0), small = doc2(100000, 105000, 0);
	struct rp_diff d;
	cr_assert_eq(rp_diff_build(&base, 1, &same, 1, &opts, &d), 0);
	cr_assert_eq(row(&d, "tw_a")->verdict, RP_SAME);
	cr_assert_eq(row(&d, "tw_b")->verdict, RP_SAME);
	rp_diff_free(&d);
	cr_assert_eq(rp_diff_build(&base, 1, &slow, 1, &opts, &d), 0);
	cr_assert_eq(row(&d, "tw_b")->verdict, RP_SLOWER);
	cr_assert_eq(row(&d, "tw_b")->test, RP_T_CALLS);
	cr_assert_eq(row(&d, "tw_a")->verdict, RP_SAME);
	cr_assert_str_eq(d.rows[0].name, "tw_b"); /* the largest change first */
	rp_diff_free(&d);
	/* 5% slower: significant on 400 calls, under the threshold */
	cr_assert_eq(rp_diff_build(&base, 1, &small, 1, &opts, &d), 0);
	cr_assert_lt(row(&d, "tw_b")->p_p50, 0.01);
	cr_assert_eq(row(&d, "tw_b")->verdict, RP_SAME);
	rp_diff_free(&d);
	cr_assert_eq(rp_diff_build(&slow, 1, &base, 1, &opts, &d), 0);
	cr_assert_eq(row(&d, "tw_b")->verdict, RP_FASTER);
	rp_diff_free(&d);
	doc_free(&base), doc_free(&same), doc_free(&slow), doc_free(&small);
}

Test(verdict, errors_new_gone)
{
	struct rp_doc base = doc2(100000, 100000, 0), fail = doc2(100000, 100000, 20);
	struct rp_diff d;
	cr_assert_eq(rp_diff_build(&base, 1, &fail, 1, &opts, &d), 0);
	cr_assert_eq(row(&d, "tw_b")->errv, RP_E_MORE);
	cr_assert_eq(row(&d, "tw_b")->verdict, RP_SAME);
	cr_assert_eq(row(&d, "tw_a")->errv, RP_E_SAME);
	rp_diff_free(&d);
	struct rp_doc other = doc2(100000, 100000, 0);
	other.syms[1].name = "tw_c";
	cr_assert_eq(rp_diff_build(&base, 1, &other, 1, &opts, &d), 0);
	cr_assert_eq(row(&d, "tw_b")->verdict, RP_GONE);
	cr_assert_eq(row(&d, "tw_c")->verdict, RP_NEW);
	cr_assert_eq(row(&d, "tw_a")->verdict, RP_SAME);
	rp_diff_free(&d);
	doc_free(&base), doc_free(&fail), doc_free(&other);
}

/* Runs: with 5 a side the rank test over the runs decides (its smallest p,
 * 2/252, is under alpha); with 3 a side it cannot (2/20), and the calls do. */
static struct rp_doc repeated(size_t runs, double b_ns)
{
	struct rp_doc d = doc2(100000, b_ns, 0);
	d.runs = calloc(runs, sizeof(*d.runs));
	d.nruns = runs;
	for (size_t r = 0; r < runs; r++) {
		d.runs[r].syms = calloc(2, sizeof(struct rp_runsym));
		d.runs[r].nsyms = 2;
		const double ns[2] = {100000 + 100.0 * r, b_ns + 100.0 * r};
		for (int k = 0; k < 2; k++)
			d.runs[r].syms[k] = (struct rp_runsym){.name = k ? "tw_b" : "tw_a",
							       .calls = 80,
							       .ok = 80,
							       .timed = 80,
							       .has_lat = 1,
							       .p50 = (uint64_t)ns[k],
							       .p99 = (uint64_t)(ns[k] * 1.2)};
	}
	return d;
}

static void repeated_free(struct rp_doc *d)
{
	for (size_t r = 0; r < d->nruns; r++)
		free(d->runs[r].syms);
	free(d->runs);
	doc_free(d);
}

Test(verdict, runs_test_when_it_can_decide)
{
	struct rp_doc b5 = repeated(5, 100000), n5 = repeated(5, 200000);
	struct rp_doc b3 = repeated(3, 100000), n3 = repeated(3, 200000);
	struct rp_diff d;
	cr_assert_eq(rp_diff_build(&b5, 1, &n5, 1, &opts, &d), 0);
	cr_assert_eq(row(&d, "tw_b")->test, RP_T_RUNS);
	close_to(row(&d, "tw_b")->p_p50, 2.0 / 252, 1e-9);
	cr_assert_eq(row(&d, "tw_b")->verdict, RP_SLOWER);
	cr_assert_eq(row(&d, "tw_a")->verdict, RP_SAME);
	cr_assert_eq(d.runs_b, 5);
	rp_diff_free(&d);
	cr_assert_eq(rp_diff_build(&b3, 1, &n3, 1, &opts, &d), 0);
	cr_assert_eq(row(&d, "tw_b")->test, RP_T_CALLS);
	cr_assert_eq(row(&d, "tw_b")->verdict, RP_SLOWER);
	rp_diff_free(&d);
	/* two summaries of one run each on a side: 2 runs, the calls test */
	struct rp_doc two[2] = {doc2(100000, 100000, 0), doc2(100000, 100000, 0)};
	cr_assert_eq(rp_diff_build(two, 2, &n5, 1, &opts, &d), 0);
	cr_assert_eq(d.runs_b, 2);
	cr_assert_eq(row(&d, "tw_b")->test, RP_T_CALLS);
	cr_assert_eq(row(&d, "tw_b")->b.calls, 800);
	rp_diff_free(&d);
	repeated_free(&b5), repeated_free(&n5), repeated_free(&b3), repeated_free(&n3);
	doc_free(&two[0]), doc_free(&two[1]);
}

/* ---- escaping ---- */

Test(text, term_escapes_controls_and_cuts_at_characters)
{
	char out[64];
	rp_term(out, sizeof(out), "a\x1b[31mb", 40);
	cr_assert_str_eq(out, "a\\x1b[31mb");
	rp_term(out, sizeof(out),
		"\xc2\x9b"
		"x",
		40); /* C1 CSI, as UTF-8 */
	cr_assert_str_eq(out, "\\xc2\\x9bx");
	cr_assert_eq(rp_term(out, sizeof(out), "h\xc3\xa9llo", 3), 3);
	cr_assert_str_eq(out, "h\xc3\xa9l");
}
