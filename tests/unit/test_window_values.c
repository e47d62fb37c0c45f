/* SPDX-License-Identifier: MIT */
/* The figures of the time axis as the summary reports them: known calls
 * (some failing, with bytes, some over slow_ms) go through a segment, the
 * drain and the model over 17 minutes of data time; symbols[].windows and
 * symbols[].trend of tm_summary_json are checked against the same calls
 * counted here. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "model/window.h"
#include "out/http.h"
#include "out/out.h"
#include "segfake.h"
#include "sumjson.h"

#define NS	 1000000000ull
#define SLOW_NS	 1000000ull	/* the function's slow_ms: 1 ms */
#define SECS	 (17 * 60 + 25) /* sealed seconds at the end: not a whole minute */
#define MAXCALLS (SECS * 40)

static const char *const syms[] = {"wv_call"};

struct xcall {
	uint32_t sec; /* the second it returned in, since the clock's epoch */
	uint64_t dur;
	int failed;
	uint64_t bytes;
};

static struct xcall *xs;
static size_t nx;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The ceil(q * n)-th smallest duration of the calls of seconds [from, to). */
static uint64_t exact_q(uint32_t from, uint32_t to, double q)
{
	uint64_t *v = malloc(nx * sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < nx; i++)
		if (xs[i].sec >= from && xs[i].sec < to)
			v[n++] = xs[i].dur;
	cr_assert(n > 0);
	qsort(v, n, sizeof(*v), u64cmp);
	size_t rank = (size_t)ceil(q * (double)n);
	uint64_t r = v[(rank ? rank : 1) - 1];
	free(v);
	return r;
}

struct xsum {
	uint64_t calls, ok, failed, slow, bytes;
};

static struct xsum exact_sum(uint32_t from, uint32_t to)
{
	struct xsum s = {0};
	for (size_t i = 0; i < nx; i++) {
		if (xs[i].sec < from || xs[i].sec >= to)
			continue;
		s.calls++;
		s.ok += !xs[i].failed;
		s.failed += xs[i].failed;
		s.slow += xs[i].dur > SLOW_NS;
		s.bytes += xs[i].bytes;
	}
	return s;
}

static void within_1pct(json_int_t got, uint64_t want, const char *what, const char *win)
{
	double e = ((double)got - (double)want) / (double)want;
	cr_expect(e <= 0.01 && e >= -0.01, "%s %s: %lld vs exact %llu (%.3f%%)", win, what,
		  (long long)got, (unsigned long long)want, 100 * e);
}

static void near(double got, double want, const char *what, const char *win)
{
	cr_expect(fabs(got - want) <= 1e-9 * (fabs(want) + 1), "%s %s: %.9g vs %.9g", win, what,
		  got, want);
}

static uint64_t jint(json_t *o, const char *k)
{
	return (uint64_t)sumjson_int(o, k);
}

/* One call of second s (returning in it, i of n), pushed to thread 0's
 * ring at its time on the collector's clock; remembered in xs. */
static void push_call(struct segfake *f, uint64_t epoch, uint32_t s, uint32_t i, uint32_t n,
		      uint64_t dur, int failed, int32_t err, uint64_t bytes)
{
	uint64_t start = epoch + (uint64_t)s * NS + 2000000 + (uint64_t)i * (900000000ull / n);
	f->start_base = start - segfake_thread(f, 0)->head;
	segfake_push(f, 0, 0, dur, failed ? TM_ST_FAILED : TM_ST_OK, failed ? -1 : (int64_t)bytes,
		     failed ? err : 0);
	cr_assert_lt(nx, MAXCALLS);
	xs[nx++] = (struct xcall){(uint32_t)((start + dur - epoch) / NS), dur, failed,
				  failed ? 0 : bytes};
}

/* Durations from 2 us to 4 ms, one call in eight over slow_ms, some of
 * them exactly at it (not over); a sixth of the calls fail. */
static void one_second(struct segfake *f, uint64_t epoch, uint32_t s)
{
	static const int32_t codes[] = {ENOENT, EAGAIN, EIO};
	uint32_t n = s % 97 == 50 ? 0 : 5 + (s * 7) % 31 + (s / 60) % 3 * 4;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t r = next();
		uint64_t dur = 2000 + r % 60000 * (1 + (r >> 20) % 4);
		if (r % 8 == 0)
			dur = r % 5 == 0 ? SLOW_NS : SLOW_NS + 1 + (r >> 8) % (3 * SLOW_NS);
		int failed = (r >> 32) % 6 == 0;
		push_call(f, epoch, s, i, n, dur, failed, codes[(r >> 40) % 3],
			  1 + (r >> 44) % 8192);
	}
}

static void coll_on(struct tm_coll *c, struct segfake *f)
{
	struct tm_coll_opts o = {.dir = f->dir, .session = "unit"};
	char err[128];
	cr_assert_eq(tm_coll_init(c, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(tm_coll_scan(c), 1);
}

/* A function with bytes and slow_ms fed SECS seconds of calls, every
 * second drained and then sealed (the next second's records take the
 * drain's fast way when they can, the rest the full way). */
static void feed(struct tm_coll *c, struct segfake *f)
{
	xs = malloc(MAXCALLS * sizeof(*xs));
	nx = 0;
	segfake_create(f, "unit", 4096, 1, 8, syms, 1);
	segfake_wsym(f, 0)->flags |= TM_RF_BYTES;
	segfake_wsym(f, 0)->slow_ns = SLOW_NS;
	coll_on(c, f);
	uint64_t epoch = c->clock.epoch_ns;
	for (uint32_t s = 0; s < SECS; s++) {
		one_second(f, epoch, s);
		tm_coll_drain(c);
		tm_model_tick(c, epoch + (uint64_t)(s + 1) * NS + TM_WIN_GRACE_NS + 1);
	}
	cr_assert_eq(c->clock.open, SECS);
}

static void done(struct tm_coll *c, struct segfake *f)
{
	tm_coll_free(c);
	segfake_destroy(f);
	free(xs);
}

Test(window_values, windows_and_trend_of_the_summary)
{
	struct segfake f;
	struct tm_coll c;
	feed(&c, &f);
	json_t *root = tm_summary_json(&c);
	json_t *s = sumjson_sym(root, "wv_call");
	struct xsum all = exact_sum(0, SECS);
	cr_expect_eq(jint(s, "calls"), all.calls);
	cr_expect_eq(jint(s, "failed"), all.failed);
	cr_expect_eq(jint(s, "bytes"), all.bytes);
	cr_expect_eq(jint(s, "slow"), all.slow);
	cr_assert(all.slow > 0 && all.slow < all.calls, "calls on both sides of slow_ms");

	/* 10 s and 1 min: the last seconds sealed; 5 and 15 min: the minute
	 * so far and the 4 or 14 before (docs/SUMMARY.md) */
	static const struct {
		const char *name;
		uint32_t span;
	} ws[] = {{"10s", 10}, {"1m", 60}, {"5m", SECS % 60 + 240}, {"15m", SECS % 60 + 840}};
	json_t *wj = json_object_get(s, "windows");
	for (size_t i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
		const char *n = ws[i].name;
		json_t *w = json_object_get(wj, n);
		cr_assert(w, "no window %s", n);
		cr_expect_eq(jint(w, "span_s"), ws[i].span, "%s span", n);
		uint32_t from = SECS - ws[i].span;
		struct xsum x = exact_sum(from, SECS);
		double span = ws[i].span;
		cr_expect_eq(jint(w, "calls"), x.calls, "%s calls", n);
		cr_expect_eq(jint(w, "ok"), x.ok, "%s ok", n);
		cr_expect_eq(jint(w, "failed"), x.failed, "%s failed", n);
		cr_expect_eq(jint(w, "slow"), x.slow, "%s slow", n);
		near(json_real_value(json_object_get(w, "calls_per_s")), x.calls / span,
		     "calls_per_s", n);
		near(json_real_value(json_object_get(w, "failures_per_s")), x.failed / span,
		     "failures_per_s", n);
		near(json_real_value(json_object_get(w, "bytes_per_s")), x.bytes / span,
		     "bytes_per_s", n);
		near(json_real_value(json_object_get(w, "success_rate")),
		     (double)x.ok / (double)(x.ok + x.failed), "success_rate", n);
		within_1pct(json_integer_value(json_object_get(w, "p50_ns")),
			    exact_q(from, SECS, 0.5), "p50", n);
		within_1pct(json_integer_value(json_object_get(w, "p95_ns")),
			    exact_q(from, SECS, 0.95), "p95", n);
		within_1pct(json_integer_value(json_object_get(w, "p99_ns")),
			    exact_q(from, SECS, 0.99), "p99", n);
		uint64_t errs = 0;
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(w, "errors"), k, v) errs +=
			(uint64_t)json_integer_value(v);
		cr_expect_eq(errs, x.failed, "%s errors add up to failed", n);
	}

	/* /metrics' tm_call_duration_recent_seconds is the 1 min window:
	 * each quantile within 1% of the exact one over the last 60 s, and
	 * its count the timed calls of those seconds */
	size_t mlen;
	char *m = tm_prom_render(&c, 0, &mlen);
	cr_assert(m);
	static const struct {
		const char *label;
		double q;
	} rq[] = {{"0.5", 0.5}, {"0.9", 0.9}, {"0.99", 0.99}, {"0.999", 0.999}};
	for (size_t i = 0; i < sizeof(rq) / sizeof(rq[0]); i++) {
		char key[64];
		snprintf(key, sizeof(key), ",quantile=\"%s\"} ", rq[i].label);
		const char *l = strstr(m, "\ntm_call_duration_recent_seconds{"), *k = NULL;
		for (; l; l = strstr(l + 1, "\ntm_call_duration_recent_seconds{")) {
			k = strstr(l, key);
			if (k && k < strchr(l + 1, '\n'))
				break;
		}
		cr_assert(l, "no recent quantile %s", rq[i].label);
		double v = strtod(k + strlen(key), NULL);
		within_1pct((json_int_t)(v * 1e9 + 0.5), exact_q(SECS - 60, SECS, rq[i].q),
			    rq[i].label, "tm_call_duration_recent_seconds");
	}
	const char *cnt = strstr(m, "\ntm_call_duration_recent_seconds_count{");
	cr_assert(cnt);
	cr_expect_eq(strtoull(strstr(cnt, "} ") + 2, NULL, 10), exact_sum(SECS - 60, SECS).calls,
		     "recent count: the last 60 s's calls (all timed)");
	free(m);

	/* the trend: one point per sealed minute, oldest first */
	json_t *t = json_object_get(s, "trend");
	uint32_t mins = SECS / 60;
	cr_expect_eq(jint(t, "resolution_s"), 60);
	cr_assert_eq(jint(t, "points"), mins);
	json_t *tc = json_object_get(t, "calls"), *tsr = json_object_get(t, "success_rate");
	json_t *tp = json_object_get(t, "p99_ns");
	cr_assert_eq(json_array_size(tc), mins);
	cr_assert_eq(json_array_size(tsr), mins);
	cr_assert_eq(json_array_size(tp), mins);
	for (uint32_t m = 0; m < mins; m++) {
		char what[32];
		snprintf(what, sizeof(what), "minute %u", m);
		struct xsum x = exact_sum(m * 60, m * 60 + 60);
		cr_expect_eq((uint64_t)json_integer_value(json_array_get(tc, m)), x.calls,
			     "%s calls", what);
		near(json_real_value(json_array_get(tsr, m)),
		     (double)x.ok / (double)(x.ok + x.failed), "success_rate", what);
		within_1pct(json_integer_value(json_array_get(tp, m)),
			    exact_q(m * 60, m * 60 + 60, 0.99), "p99", what);
	}
	json_decref(root);
	done(&c, &f);
}

/* Calls under, at and over slow_ms for one function: `slow` counts the
 * ones over it, in the summary, in every window, in each point of the
 * per-second and per-minute series (/api/v1/series) and in
 * tm_call_slow_total. */
Test(window_values, slow_on_both_sides_of_the_threshold)
{
	struct segfake f;
	struct tm_coll c;
	feed(&c, &f);
	struct xsum all = exact_sum(0, SECS);
	uint64_t at = 0;
	for (size_t i = 0; i < nx; i++)
		at += xs[i].dur == SLOW_NS;
	cr_assert(at > 0 && all.slow > 0 && all.slow + at < all.calls,
		  "calls under, at (%llu) and over (%llu) slow_ms", (unsigned long long)at,
		  (unsigned long long)all.slow);
	json_t *root = tm_summary_json(&c);
	json_t *s = sumjson_sym(root, "wv_call");
	cr_expect_eq(jint(s, "slow"), all.slow, "summary slow");
	cr_expect(fabs(json_real_value(json_object_get(s, "slow_ms")) - 1.0) < 1e-12);
	static const struct {
		const char *name;
		uint32_t span;
	} ws[] = {{"10s", 10}, {"1m", 60}, {"5m", SECS % 60 + 240}, {"15m", SECS % 60 + 840}};
	for (size_t i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
		json_t *w = json_object_get(json_object_get(s, "windows"), ws[i].name);
		cr_expect_eq(jint(w, "slow"), exact_sum(SECS - ws[i].span, SECS).slow, "%s slow",
			     ws[i].name);
	}
	json_decref(root);

	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	for (int minutes = 0; minutes < 2; minutes++) {
		json_t *ser = tm_series_json(&c, &lock, "wv_call", NULL, minutes,
					     minutes ? TM_WIN_MINS : TM_WIN_SECS);
		cr_assert(ser);
		json_t *pts = json_object_get(ser, "points");
		uint32_t res = minutes ? 60 : 1, end = SECS / res;
		size_t n = json_array_size(pts);
		cr_assert_eq(n, minutes ? SECS / 60 : TM_WIN_SECS);
		uint64_t sum = 0, want_sum = 0;
		for (size_t k = 0; k < n; k++) {
			uint32_t u = end - (uint32_t)n + (uint32_t)k;
			json_t *p = json_array_get(pts, k);
			struct xsum x = exact_sum(u * res, u * res + res);
			cr_expect_eq(jint(p, "slow"), x.slow, "%s %u: slow",
				     minutes ? "minute" : "second", u);
			cr_expect_eq(jint(p, "calls"), x.calls, "%s %u: calls",
				     minutes ? "minute" : "second", u);
			sum += jint(p, "slow");
			want_sum += x.slow;
		}
		cr_expect(want_sum > 0);
		cr_expect_eq(sum, want_sum);
		json_decref(ser);
	}

	size_t len;
	char *m = tm_prom_render(&c, 0, &len);
	cr_assert(m);
	char want[96];
	snprintf(want, sizeof(want), "} %llu\n", (unsigned long long)all.slow);
	const char *l = strstr(m, "\ntm_call_slow_total{");
	cr_assert(l, "no tm_call_slow_total sample");
	const char *eol = strchr(l + 1, '\n');
	cr_expect(eol && (size_t)(eol + 1 - l) > strlen(want) &&
			  strncmp(eol + 1 - strlen(want), want, strlen(want)) == 0,
		  "tm_call_slow_total: %.*s, want %llu", eol ? (int)(eol - l) : 80, l,
		  (unsigned long long)all.slow);
	free(m);
	done(&c, &f);
}
