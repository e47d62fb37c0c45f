/* SPDX-License-Identifier: MIT */
/* The anomaly detector on synthetic per-second series from a seeded PRNG
 * (no clock, no sleeps): quiet on noise, spikes and alternation within the
 * usual spread; fires within 5 points of a step and resolves within 60 of
 * the return; warm-up, rare functions, missing points, parameters. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "health/anomaly.h"

#define US 1000.0 /* ns */

static uint64_t rng;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static double uni(void) /* (0, 1) */
{
	return ((double)(next() >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void)
{
	return sqrt(-2 * log(uni())) * cos(6.283185307179586 * uni());
}

/* One function's steady behaviour; the tests change fields between runs. */
struct sim {
	double p99_ns, p50_ns;
	double jitter;	 /* latency: lognormal sigma */
	double spike_p;	 /* a second's p99 is 3x with this probability */
	double rate;	 /* calls per second */
	double rate_jit; /* uniform, +- this share */
	double err;	 /* each call fails with this probability */
	int judged;	 /* 0: failed = -1 */
};

static struct tm_an_point sim_point(const struct sim *s)
{
	struct tm_an_point pt = {0};
	double r = s->rate * (1 + s->rate_jit * (2 * uni() - 1));
	pt.calls = (uint64_t)(r + 0.5);
	pt.timed = pt.calls;
	int64_t f = 0;
	for (uint64_t i = 0; i < pt.calls && s->err > 0; i++)
		f += uni() < s->err;
	pt.failed = s->judged ? f : -1;
	double spike = uni() < s->spike_p ? 3 : 1;
	pt.p99_ns = (uint64_t)(s->p99_ns * exp(s->jitter * gauss()) * spike);
	pt.p50_ns = (uint64_t)(s->p50_ns * exp(s->jitter * gauss()));
	return pt;
}

/* What happened to each series over a run: the first point (1-based,
 * counted from the run's start) that made it fire and the first that
 * resolved it, and how many times it fired. */
struct events {
	int t;
	int fired_at[TM_AN_COUNT], resolved_at[TM_AN_COUNT], fires[TM_AN_COUNT];
};

static void feed_point(struct tm_an *a, const struct tm_an_point *pt, struct events *e)
{
	e->t++;
	unsigned ch = tm_an_push(a, pt);
	for (int s = 0; s < TM_AN_COUNT; s++) {
		if (!(ch & (1u << s)))
			continue;
		if (tm_an_state(a, (enum tm_an_series)s)->firing) {
			e->fires[s]++;
			if (!e->fired_at[s])
				e->fired_at[s] = e->t;
		} else if (!e->resolved_at[s]) {
			e->resolved_at[s] = e->t;
		}
	}
}

static void feed(struct tm_an *a, const struct sim *s, int n, struct events *e)
{
	for (int i = 0; i < n; i++) {
		struct tm_an_point pt = sim_point(s);
		feed_point(a, &pt, e);
	}
}

static struct tm_an *new_default(void)
{
	struct tm_an_params p;
	tm_an_params_default(&p);
	struct tm_an *a = tm_an_new(&p);
	cr_assert_not_null(a);
	return a;
}

static const struct sim normal = {.p99_ns = 100 * US,
				  .p50_ns = 40 * US,
				  .jitter = 0.10,
				  .spike_p = 0.01,
				  .rate = 200,
				  .rate_jit = 0.10,
				  .err = 0.01,
				  .judged = 1};

static void assert_quiet(const struct events *e, const char *what)
{
	for (int s = 0; s < TM_AN_COUNT; s++)
		cr_assert_eq(e->fires[s], 0, "%s: %s fired %d times (first at %d)", what,
			     tm_an_series_name((enum tm_an_series)s), e->fires[s], e->fired_at[s]);
}

Test(anomaly, defaults)
{
	struct tm_an_params p;
	tm_an_params_default(&p);
	cr_assert_eq(p.baseline, 300);
	cr_assert_eq(p.exclude, 10);
	cr_assert_eq(p.warmup, 60);
	cr_assert_eq(p.min_calls, 20);
	cr_assert_eq(p.k, 4);
	cr_assert_eq(p.n, 8);
	cr_assert_eq(p.resolve_s, 30);
	cr_assert_eq(p.err_min, 5);
	cr_assert_float_eq(p.z_fire, 6, 1e-12);
	cr_assert_float_eq(p.z_resolve, 3, 1e-12);
	cr_assert_float_eq(p.min_change, 0.2, 1e-12);
	cr_assert_float_eq(p.mad_floor, 0.05, 1e-12);
	cr_assert_float_eq(p.err_sigma, 3, 1e-12);
	/* rings and sorted baselines: 20 bytes a ring point, 12 a baseline point */
	cr_assert_geq(tm_an_bytes(&p), 310 * 20 + 300 * 12);
	cr_assert_lt(tm_an_bytes(&p), 11 * 1024);
	cr_assert_str_eq(tm_an_series_name(TM_AN_ERR), "error_ratio");
	cr_assert_str_eq(tm_an_series_name(TM_AN_COUNT), "?");
}

Test(anomaly, parameters_it_cannot_run_are_refused)
{
	struct tm_an_params p;
	tm_an_params_default(&p);
	p.k = 9;
	errno = 0;
	cr_assert_null(tm_an_new(&p));
	cr_assert_eq(errno, EINVAL);
	tm_an_params_default(&p);
	p.baseline = TM_AN_BASELINE_MAX + 1;
	cr_assert_null(tm_an_new(&p));
	tm_an_params_default(&p);
	p.n = 65;
	cr_assert_null(tm_an_new(&p));
	cr_assert_null(tm_an_new(NULL));
}

/* 1 h of noise: lognormal latency (10%), single-second 3x spikes in 1% of
 * seconds, rate 200 +- 10%, 1% of calls failing; several seeds. */
Test(anomaly, noise_only_never_fires)
{
	for (uint64_t seed = 1; seed <= 8; seed++) {
		rng = 0x9e3779b97f4a7c15ull * seed;
		struct tm_an *a = new_default();
		struct events e = {0};
		feed(a, &normal, 3600, &e);
		assert_quiet(&e, "noise");
		cr_assert_eq(tm_an_state(a, TM_AN_P99)->points, 3600);
		cr_assert_eq(tm_an_state(a, TM_AN_ERR)->points, 3600);
		cr_assert_float_eq(tm_an_state(a, TM_AN_P99)->baseline, 100 * US, 5 * US);
		cr_assert_float_eq(tm_an_state(a, TM_AN_ERR)->baseline, 0.01, 0.002);
		tm_an_free(a);
	}
}

/* 80 and 120 us alternating every 15 s for 1 h: both levels are the usual.
 * With a symmetric MAD this fires whenever the window holds a few more
 * 80s than 120s (MAD = the 80s' jitter); the one-sided MAD does not. */
Test(anomaly, alternating_within_spread_never_fires)
{
	for (int j = 0; j < 2; j++) {
		rng = 42 + (uint64_t)j;
		struct sim s = normal;
		s.jitter = j ? 0.02 : 0;
		s.spike_p = 0;
		struct tm_an *a = new_default();
		struct events e = {0};
		for (int blk = 0; blk < 240; blk++) {
			s.p99_ns = blk % 2 ? 120 * US : 80 * US;
			feed(a, &s, 15, &e);
		}
		assert_quiet(&e, j ? "alternating, 2% jitter" : "alternating, no jitter");
		tm_an_free(a);
	}
}

/* warm up and fill the baseline on `s`, step for `len` points on `step`,
 * return to `s` for `after` points */
static void step_run(struct tm_an *a, const struct sim *s, const struct sim *step, int len,
		     int after, struct events *e)
{
	feed(a, s, 400, e);
	assert_quiet(e, "before the step");
	feed(a, step, len, e);
	feed(a, s, after, e);
}

static void assert_step(const struct events *e, int s, int len, const char *what)
{
	const char *n = tm_an_series_name((enum tm_an_series)s);
	cr_assert_eq(e->fires[s], 1, "%s: %s fired %d times", what, n, e->fires[s]);
	int delay = e->fired_at[s] - 400;
	cr_assert(delay >= 4 && delay <= 5, "%s: %s fired %d points into the step", what, n, delay);
	int res = e->resolved_at[s] - (400 + len);
	cr_assert(e->resolved_at[s] > 0, "%s: %s never resolved", what, n);
	cr_assert(res >= 30 && res <= 60, "%s: %s resolved %d points after the return", what, n,
		  res);
}

Test(anomaly, latency_step_10x_fires_within_5_and_resolves)
{
	for (uint64_t seed = 1; seed <= 8; seed++) {
		rng = 1000 + seed;
		struct sim step = normal;
		step.p99_ns *= 10;
		step.p50_ns *= 10;
		struct tm_an *a = new_default();
		struct events e = {0};
		step_run(a, &normal, &step, 120, 200, &e);
		assert_step(&e, TM_AN_P99, 120, "10x");
		assert_step(&e, TM_AN_P50, 120, "10x");
		cr_assert_eq(e.fires[TM_AN_RATE] + e.fires[TM_AN_ERR], 0);
		tm_an_free(a);
	}
}

Test(anomaly, latency_state_while_firing)
{
	rng = 7;
	struct sim step = normal;
	step.p99_ns *= 10;
	struct tm_an *a = new_default();
	struct events e = {0};
	feed(a, &normal, 400, &e);
	feed(a, &step, 10, &e);
	const struct tm_an_state *st = tm_an_state(a, TM_AN_P99);
	cr_assert(st->firing);
	cr_assert_eq(st->direction, 1);
	cr_assert_gt(st->z, 50);
	cr_assert_gt(st->value, 500 * US);
	cr_assert_float_eq(st->baseline, 100 * US, 5 * US);
	cr_assert_eq(st->missing, 0);
	cr_assert_not(tm_an_state(a, TM_AN_P50)->firing);
	tm_an_free(a);
}

/* 0% -> 20% of 200 calls a second */
Test(anomaly, error_step_fires_within_5_and_resolves)
{
	for (uint64_t seed = 1; seed <= 8; seed++) {
		rng = 2000 + seed;
		struct sim s = normal, step = normal;
		s.err = 0;
		step.err = 0.20;
		struct tm_an *a = new_default();
		struct events e = {0};
		step_run(a, &s, &step, 120, 200, &e);
		assert_step(&e, TM_AN_ERR, 120, "errors 0->20%");
		const struct tm_an_state *st = tm_an_state(a, TM_AN_ERR);
		cr_assert_eq(st->firing, 0);
		cr_assert_eq(e.fires[TM_AN_P99] + e.fires[TM_AN_P50] + e.fires[TM_AN_RATE], 0);
		tm_an_free(a);
	}
}

/* a steady 5% is the baseline, not an anomaly; unjudged calls are no points */
Test(anomaly, steady_error_rate_and_unjudged_calls_never_fire)
{
	rng = 3;
	struct sim s = normal;
	s.err = 0.05;
	struct tm_an *a = new_default();
	struct events e = {0};
	feed(a, &s, 3600, &e);
	assert_quiet(&e, "steady 5%");
	tm_an_free(a);

	a = new_default();
	memset(&e, 0, sizeof(e));
	struct sim u = normal;
	u.err = 0.5;
	u.judged = 0;
	feed(a, &normal, 100, &e);
	feed(a, &u, 600, &e);
	cr_assert_eq(e.fires[TM_AN_ERR], 0);
	cr_assert_eq(tm_an_state(a, TM_AN_ERR)->points, 100);
	cr_assert_eq(tm_an_state(a, TM_AN_ERR)->missing, 600);
	tm_an_free(a);
}

Test(anomaly, rate_drop_to_zero_and_tripled_fire_both_ways)
{
	for (int up = 0; up < 2; up++) {
		rng = 4000 + (uint64_t)up;
		struct sim step = normal;
		step.rate = up ? 600 : 0;
		struct tm_an *a = new_default();
		struct events e = {0};
		feed(a, &normal, 400, &e);
		feed(a, &step, 8, &e);
		const struct tm_an_state *st = tm_an_state(a, TM_AN_RATE);
		cr_assert(st->firing, "rate %s", up ? "x3" : "to 0");
		cr_assert_eq(st->direction, up ? 1 : -1);
		cr_assert_leq(e.fired_at[TM_AN_RATE] - 400, 5);
		/* no calls: no latency or error evidence, nothing else fires */
		feed(a, &step, 100, &e);
		cr_assert_eq(e.fires[TM_AN_P99] + e.fires[TM_AN_P50] + e.fires[TM_AN_ERR], 0);
		if (!up)
			cr_assert_eq(tm_an_state(a, TM_AN_P99)->missing, 108);
		feed(a, &normal, 100, &e);
		cr_assert_eq(e.fires[TM_AN_RATE], 1);
		cr_assert_gt(e.resolved_at[TM_AN_RATE], 0);
		cr_assert_leq(e.resolved_at[TM_AN_RATE] - 508, 60);
		tm_an_free(a);
	}
}

/* A step in the first points of the warm-up is the baseline by the time
 * anything is judged (point 60: baseline points 1-50, mostly stepped); a
 * burst over the warm-up ends in the baseline too, and its end is no
 * anomaly: latency and errors are judged upwards only. */
Test(anomaly, warmup_step_never_fires)
{
	for (int burst = 0; burst < 2; burst++) {
		rng = 5000 + (uint64_t)burst;
		struct sim step = normal;
		step.p99_ns *= 10;
		step.p50_ns *= 10;
		step.err = 0.2;
		if (!burst)
			step.rate = 600;
		struct tm_an *a = new_default();
		struct events e = {0};
		feed(a, &normal, burst ? 10 : 5, &e);
		feed(a, &step, burst ? 45 : 1000, &e);
		if (burst)
			feed(a, &normal, 1000, &e);
		assert_quiet(&e, burst ? "burst over the warm-up" : "step in the warm-up");
		tm_an_free(a);
	}
}

/* 5 calls a second: no latency point (fewer than 20 timed calls), no
 * error point, and the rate's median is under 20: nothing is judged. */
Test(anomaly, rare_function_never_fires)
{
	rng = 6;
	struct sim rare = normal;
	rare.rate = 5;
	rare.rate_jit = 0.5;
	rare.err = 0.1;
	struct sim wild = rare;
	wild.p99_ns *= 10;
	wild.rate = 15;
	wild.rate_jit = 0.2;
	wild.err = 0.9;
	struct tm_an *a = new_default();
	struct events e = {0};
	for (int i = 0; i < 60; i++) {
		feed(a, &rare, 30, &e);
		feed(a, &wild, 30, &e);
	}
	assert_quiet(&e, "rare");
	cr_assert_eq(tm_an_state(a, TM_AN_P99)->points, 0);
	cr_assert_eq(tm_an_state(a, TM_AN_RATE)->points, 3600);
	tm_an_free(a);
}

/* the median moving alone (p99 unchanged) and the tail alone */
Test(anomaly, p50_only_and_p99_only_changes)
{
	for (int tail = 0; tail < 2; tail++) {
		rng = 7000 + (uint64_t)tail;
		struct sim step = normal;
		if (tail)
			step.p99_ns *= 4;
		else
			step.p50_ns *= 2;
		struct tm_an *a = new_default();
		struct events e = {0};
		step_run(a, &normal, &step, 60, 100, &e);
		int on = tail ? TM_AN_P99 : TM_AN_P50, off = tail ? TM_AN_P50 : TM_AN_P99;
		cr_assert_eq(e.fires[on], 1, "%s", tm_an_series_name((enum tm_an_series)on));
		cr_assert_leq(e.fired_at[on] - 400, 5);
		cr_assert_eq(e.fires[off], 0, "%s", tm_an_series_name((enum tm_an_series)off));
		tm_an_free(a);
	}
}

/* below the median, or above it by less than abs_floor_ns (200 ns) on a
 * fast function, latency never fires; 1 us on a 100 ns function does */
Test(anomaly, latency_down_and_inside_the_deadband_never_fire)
{
	struct sim fast = normal;
	fast.p99_ns = 100;
	fast.p50_ns = 60;
	fast.jitter = 0.02;
	fast.spike_p = 0;
	struct sim down = normal, small = fast, big = fast;
	down.p99_ns /= 10;
	down.p50_ns /= 10;
	small.p99_ns = 280; /* +180 ns, 2.8x */
	big.p99_ns = 1000;

	rng = 8;
	struct tm_an *a = new_default();
	struct events e = {0};
	step_run(a, &normal, &down, 120, 100, &e);
	cr_assert_eq(e.fires[TM_AN_P99] + e.fires[TM_AN_P50], 0);
	tm_an_free(a);

	a = new_default();
	memset(&e, 0, sizeof(e));
	step_run(a, &fast, &small, 120, 100, &e);
	cr_assert_eq(e.fires[TM_AN_P99], 0);
	tm_an_free(a);

	a = new_default();
	memset(&e, 0, sizeof(e));
	step_run(a, &fast, &big, 120, 100, &e);
	cr_assert_eq(e.fires[TM_AN_P99], 1);
	tm_an_free(a);
}

/* Missing points are no evidence: a step seen only every other second
 * still fires after 4 anomalous points, and a firing series whose function
 * stops being timed keeps firing until it has points to resolve on. */
Test(anomaly, missing_points_are_no_evidence)
{
	rng = 9;
	struct sim step = normal;
	step.p99_ns *= 10;
	struct sim gone = normal;
	gone.rate = 10; /* under min_calls: missing latency */
	gone.rate_jit = 0;
	struct tm_an *a = new_default();
	struct events e = {0};
	feed(a, &normal, 400, &e);
	for (int i = 0; i < 4; i++) {
		feed(a, &step, 1, &e);
		feed(a, &gone, 1, &e);
	}
	cr_assert_eq(e.fired_at[TM_AN_P99], 407, "fired at %d", e.fired_at[TM_AN_P99]);
	feed(a, &step, 10, &e);
	feed(a, &gone, 300, &e);
	const struct tm_an_state *st = tm_an_state(a, TM_AN_P99);
	cr_assert(st->firing);
	cr_assert_eq(st->missing, 300);
	/* resolves on the 34th normal point: after 5 the last 8 hold fewer
	 * than 4 high ones, then 30 such points in a row */
	feed(a, &normal, 33, &e);
	cr_assert(st->firing);
	feed(a, &normal, 1, &e);
	cr_assert_not(st->firing);
	tm_an_free(a);
}

static int cmpf(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return x < y ? -1 : x > y;
}

static double median_sorted(const float *v, int n)
{
	return n % 2 ? v[n / 2] : ((double)v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The incremental statistics against a sorted copy of the baseline, point
 * by point: the median and z (MAD floored at 5% of the median and the
 * spread at 200 / 6 ns), over baselines of every size from 1 to 300 (odd
 * and even), with missing seconds and spikes. */
Test(anomaly, statistics_match_a_sorted_copy)
{
	rng = 11;
	enum { N = 900 };
	static float hist[N];
	struct tm_an *a = new_default();
	int cnt = 0;
	for (int t = 0; t < N; t++) {
		struct tm_an_point pt = sim_point(&normal);
		if (uni() < 0.1)
			pt.timed = 5; /* missing */
		if (uni() < 0.05)
			pt.p99_ns *= 20;
		tm_an_push(a, &pt);
		if (pt.timed < 20)
			continue;
		hist[cnt++] = (float)pt.p99_ns;
		int end = cnt - 11, start = end - 300 > 0 ? end - 300 : 0, m = end - start;
		if (m <= 0)
			continue;
		float b[300], d[300];
		memcpy(b, hist + start, (size_t)m * sizeof(float));
		qsort(b, (size_t)m, sizeof(float), cmpf);
		double med = median_sorted(b, m);
		for (int i = 0; i < m; i++)
			d[i] = (float)fabs(b[i] - med);
		qsort(d, (size_t)m, sizeof(float), cmpf);
		double mad = median_sorted(d, m);
		double sd = fmax(1.4826 * fmax(mad, 0.05 * med), 200.0 / 6);
		double x = (double)(float)pt.p99_ns, z = (x - med) / sd;
		const struct tm_an_state *st = tm_an_state(a, TM_AN_P99);
		cr_assert_float_eq(st->baseline, med, 1e-9 * med, "point %d: median %f, want %f",
				   cnt, st->baseline, med);
		cr_assert_float_eq(st->z, z, 1e-4 * (1 + fabs(z)),
				   "point %d (baseline %d): z %f, want %f", cnt, m, st->z, z);
	}
	cr_assert_gt(cnt, 700);
	tm_an_free(a);
}

/* the mask names exactly the series that changed */
Test(anomaly, push_returns_the_series_that_changed)
{
	rng = 10;
	struct sim step = normal;
	step.p99_ns *= 10;
	step.err = 0.3;
	struct tm_an *a = new_default();
	struct events e = {0};
	feed(a, &normal, 400, &e);
	unsigned all = 0;
	for (int i = 0; i < 8; i++) {
		struct tm_an_point pt = sim_point(&step);
		all |= tm_an_push(a, &pt);
	}
	cr_assert_eq(all, (1u << TM_AN_P99) | (1u << TM_AN_ERR), "mask %#x", all);
	tm_an_free(a);
}
