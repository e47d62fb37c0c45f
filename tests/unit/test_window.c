/* SPDX-License-Identifier: MIT */
/* The time axis: roll-over of seconds and minutes, window percentiles
 * against exact ones over the same calls, per-minute aggregation. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "model/window.h"
#include "out/http.h"

#define NS 1000000000ull
#define T0 (1000 * NS) /* the clock's epoch */

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t exact_q(uint64_t *v, size_t n, double q)
{
	qsort(v, n, sizeof(*v), cmp);
	size_t rank = (size_t)(q * (double)n + 0.999999999);
	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

/* one call ending at t with duration d */
static void call(struct tm_win *w, struct tm_wclock *k, uint64_t t, uint64_t d, int failed,
		 int32_t code)
{
	uint32_t u = tm_wclock_unit(k, t);
	tm_win_count(w, k, u, 1, !failed, failed, 0, 0);
	tm_win_dur(w, k, u, d, 1);
	if (failed)
		tm_win_err(w, k, u, code, 1);
}

static void advance(struct tm_win *w, struct tm_wclock *k, uint64_t now)
{
	tm_wclock_advance(k, now);
	tm_win_seal(w, k, NULL);
}

static void within_1pct(uint64_t got, uint64_t want, const char *what)
{
	double e = want ? ((double)got - (double)want) / (double)want : (double)got;
	cr_expect(e <= 0.01 && e >= -0.01, "%s: %llu vs exact %llu (%.3f%%)", what,
		  (unsigned long long)got, (unsigned long long)want, 100 * e);
}

Test(window, index_roundtrip_error)
{
	for (uint64_t v = 1; v < (1ull << 40); v = v * 3 / 2 + 1) {
		uint64_t r = tm_wh_value(tm_wh_index(v));
		double e = ((double)r - (double)v) / (double)v;
		cr_assert(e <= 1.0 / 128 && e >= -1.0 / 128, "v=%llu r=%llu", (unsigned long long)v,
			  (unsigned long long)r);
	}
}

/* Every window's percentiles within 1% of the exact percentiles of the
 * calls it covers, for a wide log-normal-ish distribution. */
Test(window, percentiles_within_1pct)
{
	struct tm_wclock k;
	struct tm_win w = {0};
	tm_wclock_init(&k, T0);
	size_t per_sec = 500, secs = 20 * 60;
	uint64_t *all = malloc(secs * per_sec * sizeof(*all));
	for (size_t s = 0; s < secs; s++) {
		for (size_t i = 0; i < per_sec; i++) {
			uint64_t d = 50 + (next() % 1000) * (1 + next() % 7) *
						  (1 + (next() % 100 == 0) * 50);
			all[s * per_sec + i] = d;
			call(&w, &k, T0 + s * NS + i * (NS / per_sec), d, 0, 0);
		}
		advance(&w, &k, T0 + (s + 1) * NS + TM_WIN_GRACE_NS + 1);
	}
	static const struct {
		enum tm_window w;
		const char *name;
	} ws[] = {{TM_W10S, "10s"}, {TM_W1M, "1m"}, {TM_W5M, "5m"}, {TM_W15M, "15m"}};
	uint64_t *tmp = malloc(secs * per_sec * sizeof(*tmp));
	for (size_t i = 0; i < 4; i++) {
		struct tm_wfig f;
		tm_win_figures(&w, &k, ws[i].w, &f);
		cr_assert(f.span_s > 0 && f.span_s <= secs);
		size_t n = f.span_s * per_sec;
		cr_expect_eq(f.calls, n, "%s: calls %llu, span %u", ws[i].name,
			     (unsigned long long)f.calls, f.span_s);
		cr_expect_eq(f.timed, n);
		memcpy(tmp, all + (secs * per_sec - n), n * sizeof(*tmp));
		within_1pct(f.p50_ns, exact_q(tmp, n, 0.5), ws[i].name);
		within_1pct(f.p95_ns, exact_q(tmp, n, 0.95), ws[i].name);
		within_1pct(f.p99_ns, exact_q(tmp, n, 0.99), ws[i].name);
		within_1pct(f.p999_ns, exact_q(tmp, n, 0.999), ws[i].name);
	}
	free(all);
	free(tmp);
	tm_win_free(&w);
}

Test(window, spans)
{
	struct tm_wclock k;
	struct tm_win w = {0};
	tm_wclock_init(&k, T0);
	call(&w, &k, T0 + 1, 100, 0, 0);
	advance(&w, &k, T0 + 3 * NS + TM_WIN_GRACE_NS);
	struct tm_wfig f;
	tm_win_figures(&w, &k, TM_W10S, &f);
	cr_expect_eq(f.span_s, 3, "cut at the epoch");
	cr_expect_eq(f.calls, 1);
	/* 7.5 minutes in: the 5 min window is the minute so far + the 4 before */
	advance(&w, &k, T0 + 450 * NS + TM_WIN_GRACE_NS);
	tm_win_figures(&w, &k, TM_W5M, &f);
	cr_expect_eq(f.span_s, 4 * 60 + 30);
	cr_expect_eq(f.calls, 0, "the call of second 0 left the 5 min window");
	tm_win_figures(&w, &k, TM_W15M, &f);
	cr_expect_eq(f.span_s, 450);
	cr_expect_eq(f.calls, 1);
	tm_win_free(&w);
}

/* Known phases: per-second counts and p50 per phase; seconds roll over the
 * rings (more than 15 minutes), per-minute buckets add up. */
Test(window, phases_and_rollover)
{
	struct tm_wclock k;
	struct tm_win w = {0};
	tm_wclock_init(&k, T0);
	uint64_t total = 0;
	uint32_t secs = 20 * 60;
	for (uint32_t s = 0; s < secs; s++) {
		int phase = (s / 5) % 2; /* 5 s at 100 calls of 1 us, 5 s at 300 of 5 us */
		uint32_t n = phase ? 300 : 100;
		for (uint32_t i = 0; i < n; i++)
			call(&w, &k, T0 + s * NS + i * (NS / n), phase ? 5000 : 1000, i % 10 == 0,
			     i % 30 == 0 ? 2 : 13);
		total += n;
		advance(&w, &k, T0 + (s + 1) * NS + TM_WIN_GRACE_NS);
	}
	struct tm_wbucket b[TM_WIN_SECS];
	size_t n = tm_win_series(&w, &k, 0, TM_WIN_SECS, b, TM_WIN_SECS);
	cr_assert_eq(n, TM_WIN_SECS, "the last 15 minutes of seconds");
	for (size_t i = 0; i < n; i++) {
		uint32_t s = secs - TM_WIN_SECS + (uint32_t)i;
		int phase = (s / 5) % 2;
		cr_assert_eq(b[i].unit, s + 1);
		cr_assert_eq(b[i].calls, phase ? 300u : 100u, "second %u", s);
		cr_assert_eq(b[i].failed, phase ? 30u : 10u);
		cr_assert_eq(b[i].err_code, 13, "most frequent error of the second");
		within_1pct(tm_wh_value(b[i].q[0]), phase ? 5000 : 1000, "p50 of a phase second");
	}
	struct tm_wbucket m[TM_WIN_MINS];
	n = tm_win_series(&w, &k, 1, 60, m, TM_WIN_MINS);
	cr_assert_eq(n, 20, "sealed minutes");
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(m[i].calls, 6 * 100 * 5 + 6 * 300 * 5, "minute %zu", i);
		cr_assert_eq(m[i].failed, m[i].calls / 10);
		cr_assert_eq(m[i].timed, m[i].calls);
		within_1pct(tm_wh_value(m[i].q[0]), 5000, "minute p50");
		sum += m[i].calls;
	}
	cr_expect_eq(sum, total, "minutes add up to every call");
	struct tm_wfig f;
	tm_win_figures(&w, &k, TM_W1M, &f);
	cr_expect_eq(f.calls, 6 * 100 * 5 + 6 * 300 * 5);
	cr_expect_eq(f.failed, f.calls / 10);
	uint64_t errs = f.err_other;
	for (uint32_t i = 0; i < f.nerr; i++)
		errs += f.err[i].count;
	cr_expect_eq(errs, f.failed, "errors by name add up to failures");
	tm_win_free(&w);
}

/* A record that arrives after its second was sealed goes to the oldest
 * open second, never into a sealed one; a stall longer than the rings
 * starts the windows afresh. */
Test(window, late_records_and_stalls)
{
	struct tm_wclock k;
	struct tm_win w = {0};
	tm_wclock_init(&k, T0);
	advance(&w, &k, T0 + 5 * NS + TM_WIN_GRACE_NS);
	call(&w, &k, T0 + 1 * NS, 100, 0, 0); /* ended in second 1, sealed */
	advance(&w, &k, T0 + 6 * NS + TM_WIN_GRACE_NS);
	struct tm_wbucket b[6];
	size_t n = tm_win_series(&w, &k, 0, 6, b, 6);
	cr_assert_eq(n, 6);
	cr_expect_eq(b[1].calls, 0);
	cr_expect_eq(b[5].calls, 1, "counted in the first open second");
	advance(&w, &k, T0 + 5000 * NS);
	struct tm_wfig f;
	tm_win_figures(&w, &k, TM_W15M, &f);
	cr_expect_eq(f.calls, 0);
	call(&w, &k, T0 + 5000 * NS, 100, 0, 0);
	advance(&w, &k, T0 + 5002 * NS);
	tm_win_figures(&w, &k, TM_W10S, &f);
	cr_expect_eq(f.calls, 1);
	cr_expect_eq(f.p50_ns, 100);
	tm_win_free(&w);
}

/* Errors by name are exact (up to TM_WIN_ERRS codes a unit) in every
 * window and in the series while the unit's slot is held: three codes in
 * each second of a minute, one of them the most frequent. Before, a
 * sealed second kept its top code only and the 1 m window called the
 * other two "other". Older seconds keep the top code and other. */
static uint32_t code_count(const struct tm_wfig *f, int32_t code)
{
	for (uint32_t i = 0; i < f->nerr; i++)
		if (f->err[i].code == code)
			return f->err[i].count;
	return 0;
}

Test(window, errors_by_name_exact)
{
	struct tm_wclock k;
	struct tm_win w = {0};
	tm_wclock_init(&k, T0);
	for (uint64_t s = 0; s < 120; s++) /* 5 ENOENT, 3 EACCES, 1 EINTR a second */
		for (int i = 0; i < 9; i++) {
			int32_t code = i < 5 ? 2 : i < 8 ? 13 : 4;
			call(&w, &k, T0 + s * NS + (uint64_t)i * 1000, 100, 1, code);
			if (i == 8)
				advance(&w, &k, T0 + s * NS + 1000000);
		}
	advance(&w, &k, T0 + 120 * NS + TM_WIN_GRACE_NS);
	static const enum tm_window ws[] = {TM_W10S, TM_W1M, TM_W5M};
	for (unsigned i = 0; i < 3; i++) {
		struct tm_wfig f;
		tm_win_figures(&w, &k, ws[i], &f);
		uint64_t secs = f.span_s;
		cr_expect_eq(f.failed, 9 * secs, "window %u", i);
		cr_expect_eq(code_count(&f, 2), 5 * secs, "window %u ENOENT", i);
		cr_expect_eq(code_count(&f, 13), 3 * secs, "window %u EACCES", i);
		cr_expect_eq(code_count(&f, 4), 1 * secs, "window %u EINTR", i);
		cr_expect_eq(f.err_other, 0, "window %u: nothing left as other", i);
	}
	struct tm_werrs e[120];
	size_t n = tm_win_series_errs(&w, &k, 0, 120, e, 120);
	cr_assert_eq(n, 120);
	/* the last TM_WIN_FSECS seconds exactly, the earlier ones top + other */
	for (size_t i = 0; i < n; i++) {
		if (i >= 120 - TM_WIN_FSECS) {
			cr_expect_eq(e[i].n, 3, "second %zu", i);
			cr_expect_eq(e[i].other, 0, "second %zu", i);
		} else {
			cr_expect_eq(e[i].n, 1, "second %zu", i);
			cr_expect_eq(e[i].err[0].code, 2);
			cr_expect_eq(e[i].err[0].count, 5);
			cr_expect_eq(e[i].other, 4, "second %zu", i);
		}
	}
	struct tm_werrs m[2];
	cr_assert_eq(tm_win_series_errs(&w, &k, 1, 2, m, 2), 2);
	for (unsigned i = 0; i < 2; i++) {
		cr_expect_eq(m[i].n, 3, "minute %u", i);
		cr_expect_eq(m[i].other, 0, "minute %u", i);
		uint64_t sum = 0;
		for (uint32_t j = 0; j < m[i].n; j++)
			sum += m[i].err[j].count;
		cr_expect_eq(sum, 9 * 60, "minute %u", i);
	}
	tm_win_free(&w);
}

/* --keep-seconds / --keep-minutes: the rings hold what was asked, the
 * series give it back exactly, out-of-range values are refused. */
Test(window, keep_lengths)
{
	cr_assert_eq(tm_win_keep_set(TM_WIN_SECS_MIN - 1, TM_WIN_MINS), -1);
	cr_assert_eq(tm_win_keep_set(TM_WIN_SECS, TM_WIN_MINS_MAX + 1), -1);
	cr_assert_eq(tm_win_keep.secs, TM_WIN_SECS, "a refused value changes nothing");
	cr_assert_eq(tm_win_keep_set(3600, 180), 0);
	struct tm_wclock k;
	struct tm_win w = {0};
	tm_wclock_init(&k, T0);
	const uint32_t secs = 2 * 3600 + 30; /* 2 h: more than the seconds kept */
	for (uint32_t s = 0; s < secs; s++) {
		for (uint32_t i = 0; i <= s % 7; i++) /* 1..7 calls a second */
			call(&w, &k, T0 + (uint64_t)s * NS + i * 1000, 100 + s % 7, 0, 0);
		advance(&w, &k, T0 + (uint64_t)s * NS + NS / 2);
	}
	advance(&w, &k, T0 + (uint64_t)secs * NS + TM_WIN_GRACE_NS);
	static struct tm_wbucket b[3600];
	size_t n = tm_win_series(&w, &k, 0, 3600, b, 3600);
	cr_assert_eq(n, 3600, "an hour of seconds");
	for (size_t i = 0; i < n; i++) {
		uint32_t s = secs - 3600 + (uint32_t)i;
		cr_assert_eq(b[i].calls, s % 7 + 1, "second %u", s);
	}
	static struct tm_wbucket m[180];
	n = tm_win_series(&w, &k, 1, 180, m, 180);
	cr_assert_eq(n, secs / 60, "every whole minute (fewer than the 180 kept)");
	for (size_t i = 0; i < n; i++) {
		uint64_t want = 0;
		for (uint32_t s = (uint32_t)i * 60; s < (uint32_t)i * 60 + 60; s++)
			want += s % 7 + 1;
		cr_assert_eq(m[i].calls, want, "minute %zu", i);
	}
	/* the default keeps 15 min: a longer series is cut there */
	tm_win_free(&w);
	cr_assert_eq(tm_win_keep_set(TM_WIN_SECS, TM_WIN_MINS), 0);
	struct tm_win d = {0};
	tm_wclock_init(&k, T0);
	for (uint32_t s = 0; s < 1000; s++) {
		call(&d, &k, T0 + (uint64_t)s * NS, 100, 0, 0);
		advance(&d, &k, T0 + (uint64_t)s * NS + NS / 2);
	}
	advance(&d, &k, T0 + 1000 * NS + TM_WIN_GRACE_NS);
	cr_assert_eq(tm_win_series(&d, &k, 0, 3600, b, 3600), TM_WIN_SECS);
	tm_win_free(&d);
}

/* /api/v1/series?window=: a length, per second while it fits in the
 * seconds kept, per minute while it fits in the minutes kept. */
Test(window, series_window_lengths)
{
	int minutes;
	size_t n;
	cr_assert_eq(tm_series_window("1m", &minutes, &n), 0);
	cr_expect(minutes == 0 && n == 60);
	cr_assert_eq(tm_series_window("15m", &minutes, &n), 0);
	cr_expect(minutes == 0 && n == 900);
	cr_assert_eq(tm_series_window("16m", &minutes, &n), 0);
	cr_expect(minutes == 1 && n == 16, "past the seconds kept: minutes");
	cr_assert_eq(tm_series_window("24h", &minutes, &n), 0);
	cr_expect(minutes == 1 && n == 1440);
	cr_assert_eq(tm_series_window("90s", &minutes, &n), 0);
	cr_expect(minutes == 0 && n == 90);
	cr_expect_eq(tm_series_window("2d", &minutes, &n), -1, "longer than kept");
	static const char *const bad[] = {
		"", "m", "0m", "-1m", "1", "1x", "1mm", "1 m", "99999999999999999999s", "1.5h"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(tm_series_window(bad[i], &minutes, &n), -1, "'%s'", bad[i]);
	cr_assert_eq(tm_win_keep_set(3600, 10080), 0);
	cr_assert_eq(tm_series_window("1h", &minutes, &n), 0);
	cr_expect(minutes == 0 && n == 3600);
	cr_assert_eq(tm_series_window("7d", &minutes, &n), 0);
	cr_expect(minutes == 1 && n == 10080);
	cr_assert_eq(tm_win_keep_set(120, 60), 0);
	cr_assert_eq(tm_series_window("15m", &minutes, &n), 0);
	cr_expect(minutes == 1 && n == 15, "15 min from minutes when 2 min of seconds are kept");
}
