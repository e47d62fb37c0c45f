/* SPDX-License-Identifier: MIT */
/* Streaming, robust anomaly detection on a function's per-second points
 * (see anomaly.h; the method and why: docs/ARCHITECTURE.md, "Anomaly
 * detection").
 *
 * Memory per function, one allocation in tm_an_new, nothing per push:
 *
 *   sizeof(struct tm_an) + (baseline + exclude) * 20 + baseline * 12 bytes
 *
 * p99, p50 and the call rate each keep a ring of floats (the last
 * baseline + exclude points, 4 bytes each) and the ring's baseline part
 * again, sorted (4 bytes a baseline point); the error ratio keeps each
 * second's calls and failures as two uint32 (8 bytes a point) and their
 * sums. With the defaults (300 + 10 points): 6 200 bytes of rings, 3 600
 * of sorted baselines, ≈ 10.3 KB in all (tm_an_bytes).
 *
 * Cost: a push moves one point into and one out of each sorted baseline
 * (binary search and memmove, O(baseline) bytes moved), reads the median
 * and the one-sided MADs off it in O(1) and finds the MAD by a binary
 * search in O(log baseline). Quickselect per push (copy the baseline,
 * select the median, then the MADs) measured ≈ 37 µs a push for the three
 * float series here, most of it branch misses; docs/ARCHITECTURE.md has
 * both figures. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly.h"

/* 1 / Φ⁻¹(3/4): a MAD times this estimates σ for normal noise */
#define AN_MAD_SIGMA 1.4826

/* the float series' ring indices: the series' own */
enum { AN_V_P99 = TM_AN_P99, AN_V_P50 = TM_AN_P50, AN_V_RATE = TM_AN_RATE, AN_V_COUNT };
_Static_assert(AN_V_P99 == 0 && AN_V_P50 == 1 && AN_V_RATE == 2, "float series first");

/* the last n points' bits (bit i: the i-th newest) and how many are set */
struct an_window {
	uint64_t bits;
	uint32_t count;
};

struct an_series {
	struct tm_an_state st;
	struct an_window votes; /* of the last n points: anomalous */
	struct an_window highs; /* and not normal (z >= z_resolve) */
	uint32_t head;		/* ring slot the next point goes to */
	uint32_t len;		/* points in the ring (<= cap) */
	uint32_t calm;		/* while firing: points in a row with highs.count < k */
};

struct tm_an {
	struct tm_an_params p;
	uint32_t cap; /* ring length: baseline + exclude */
	int called;   /* the rate series starts at the first call */
	struct an_series s[TM_AN_COUNT];
	float *v[AN_V_COUNT];	/* rings: p99 ns, p50 ns, calls per second */
	float *srt[AN_V_COUNT]; /* each ring's baseline points, sorted */
	uint32_t *ecalls;	/* error series: calls of each judged second */
	uint32_t *efail;	/* and its failures */
	uint64_t ecalls_sum;	/* over the whole error ring */
	uint64_t efail_sum;
};

void tm_an_params_default(struct tm_an_params *p)
{
	*p = (struct tm_an_params){.baseline = 300,
				   .exclude = 10,
				   .warmup = 60,
				   .min_calls = 20,
				   .z_fire = 6,
				   .z_resolve = 3,
				   .min_change = 0.2,
				   .mad_floor = 0.05,
				   .abs_floor_ns = 200,
				   .k = 4,
				   .n = 8,
				   .resolve_s = 30,
				   .err_sigma = 3,
				   .err_min = 5};
}

/* ---- the sorted baseline ---- */

/* index of the first value of srt[0..n) above x (upper) or not below x;
 * branchless (the comparison picks the half with a conditional move: the
 * baseline's values are noise, so a branch on them mispredicts half the
 * time) */
static inline uint32_t an_bound(const float *srt, uint32_t n, float x, int upper)
{
	if (n == 0)
		return 0;
	const float *base = srt;
	while (n > 1) {
		uint32_t half = n / 2;
		float v = base[half];
		base = (upper ? v <= x : v < x) ? base + half : base;
		n -= half;
	}
	return (uint32_t)(base - srt) + (upper ? *base <= x : *base < x);
}

static void an_sorted_insert(float *srt, uint32_t n, float x)
{
	uint32_t at = an_bound(srt, n, x, 1);
	memmove(srt + at + 1, srt + at, (n - at) * sizeof(float));
	srt[at] = x;
}

/* x is in srt[0..n) (the same float the ring holds) */
static void an_sorted_remove(float *srt, uint32_t n, float x)
{
	uint32_t at = an_bound(srt, n, x, 0);
	if (at < n)
		memmove(srt + at, srt + at + 1, (n - at - 1) * sizeof(float));
}

static double an_median_of(const float *srt, uint32_t n)
{
	return n % 2 ? srt[n / 2] : ((double)srt[n / 2 - 1] + srt[n / 2]) / 2;
}

/* The distances |srt[i] - med| of a sorted baseline of n points, seen as
 * two ascending lists split at c = n / 2: below, med - srt[c - 1 - j] for
 * j < c; above, srt[c + j] - med for j < n - c. */
struct an_dist {
	const float *srt;
	uint32_t c, n;
	double med;
};

static double an_below(const struct an_dist *d, uint32_t j)
{
	return d->med - d->srt[d->c - 1 - j];
}

static double an_above(const struct an_dist *d, uint32_t j)
{
	return d->srt[d->c + j] - d->med;
}

/* The k-th smallest (0-based) distance: a binary search for how many of
 * the k + 1 smallest lie below (O(log n), no merge). */
static double an_dist_kth(const struct an_dist *d, uint32_t k)
{
	uint32_t nb = d->c, na = d->n - d->c, want = k + 1;
	uint32_t lo = want > na ? want - na : 0, hi = want < nb ? want : nb;
	while (lo < hi) {
		uint32_t i = lo + (hi - lo) / 2, j = want - i;
		/* j > 0 here: i < hi <= want */
		int more = an_below(d, i) < an_above(d, j - 1);
		lo = more ? i + 1 : lo;
		hi = more ? hi : i;
	}
	uint32_t i = lo, j = want - lo;
	double b = i > 0 ? an_below(d, i - 1) : 0, a = j > 0 ? an_above(d, j - 1) : 0;
	return b > a ? b : a;
}

/* ---- rings ---- */

/* points in the baseline: the ring minus its newest `exclude` */
static uint32_t an_base_len(const struct tm_an *a, const struct an_series *r)
{
	return r->len > a->p.exclude ? r->len - a->p.exclude : 0;
}

/* slot of the i-th oldest point of the ring */
static uint32_t an_slot(const struct tm_an *a, const struct an_series *r, uint32_t i)
{
	return (r->head + a->cap - r->len + i) % a->cap;
}

/* Takes a point's slot: the next one, or the oldest when the ring is full
 * (the caller takes the old point out of any sums first). */
static uint32_t an_take(struct tm_an *a, struct an_series *r)
{
	uint32_t at = r->head;
	r->head = (r->head + 1) % a->cap;
	if (r->len < a->cap)
		r->len++;
	return at;
}

/* Appends x to float series v: when the ring is full its oldest point
 * leaves the baseline, and the point `exclude` places behind x enters it. */
static void an_append(struct tm_an *a, int v, float x)
{
	struct an_series *r = &a->s[v];
	uint32_t m = an_base_len(a, r);
	if (r->len == a->cap)
		an_sorted_remove(a->srt[v], m--, a->v[v][r->head]);
	a->v[v][an_take(a, r)] = x;
	if (r->len > a->p.exclude)
		an_sorted_insert(a->srt[v], m, a->v[v][an_slot(a, r, r->len - a->p.exclude - 1)]);
}

/* x against the baseline of a float series */
struct an_fit {
	double med;   /* the baseline's median */
	double z;     /* robust z: (x - med) / (1.4826 MAD) */
	double zside; /* the same with the one-sided MAD of x's side */
};

static inline double an_max(double a, double b)
{
	return a > b ? a : b;
}

/* The spread behind a z: 1.4826 MAD, the MAD floored at mad_floor of the
 * median, the whole at `floor` (in x's unit; never 0). */
static double an_sd(const struct tm_an *a, double mad, double med, double floor)
{
	double sd = an_max(AN_MAD_SIGMA * an_max(mad, a->p.mad_floor * fabs(med)), floor);
	return sd > 0 ? sd : 1;
}

/* Fits x against the baseline of float series v: its median, the MAD and
 * the one-sided MAD (the median distance from the median of the baseline
 * points at or above it when x is above, at or below it when x is below:
 * the "double MAD"; why both: docs/ARCHITECTURE.md). The baseline is kept
 * sorted, so the median and a side's MAD are read off it and the MAD is a
 * binary search. Returns 0 without a baseline. */
static int an_fit(const struct tm_an *a, int v, double x, double floor, struct an_fit *f)
{
	uint32_t m = an_base_len(a, &a->s[v]);
	if (m == 0)
		return 0;
	const float *srt = a->srt[v];
	double med = an_median_of(srt, m);
	double side = x >= med ? an_median_of(srt + m / 2, m - m / 2) - med
			       : med - an_median_of(srt, (m + 1) / 2);
	struct an_dist d = {srt, m / 2, m, med};
	double mad = m % 2 ? an_dist_kth(&d, m / 2)
			   : (an_dist_kth(&d, m / 2 - 1) + an_dist_kth(&d, m / 2)) / 2;
	f->med = med;
	f->z = (x - med) / an_sd(a, mad, med, floor);
	f->zside = (x - med) / an_sd(a, side, med, floor);
	return 1;
}

/* ---- judging ---- */

/* Shifts bit `in` into the last-n window w (n <= 64) and keeps its count. */
static void an_window(struct an_window *w, unsigned in, uint32_t n)
{
	uint64_t mask = n >= 64 ? ~0ull : (1ull << n) - 1;
	unsigned out = (unsigned)(w->bits >> (n - 1)) & 1;
	w->bits = ((w->bits << 1) | in) & mask;
	w->count = w->count + in - out;
}

/* Persistence and hysteresis for series s after one present point. Fires
 * when k of the last n judged points were anomalous. Resolves when the
 * same test at the lower bar (points not normal: z >= z_resolve) has been
 * false for resolve_s points in a row: fewer than k of the last n points
 * above z_resolve, resolve_s times running. A lone outlier, which cannot
 * fire a series, cannot hold one open either. Returns the series' bit if
 * firing changed. */
static unsigned an_vote(struct tm_an *a, int s, int judged, int anomalous, int normal)
{
	struct an_series *r = &a->s[s];
	int was = r->st.firing;
	an_window(&r->votes, judged && anomalous, a->p.n);
	an_window(&r->highs, judged && !normal, a->p.n);
	if (!was && judged && r->votes.count >= a->p.k) {
		r->st.firing = 1;
		r->calm = 0;
	} else if (was) {
		r->calm = r->highs.count < a->p.k ? r->calm + 1 : 0;
		if (r->calm >= a->p.resolve_s) {
			r->st.firing = 0;
			r->votes = (struct an_window){0};
			r->calm = 0;
		}
	}
	return was != r->st.firing ? 1u << s : 0;
}

/* Fills the state of series s for a present point x against baseline med
 * (have: there is a baseline). */
static void an_fill(struct an_series *r, double x, int have, double med, double z)
{
	r->st.value = x;
	r->st.points++;
	r->st.missing = 0;
	if (!have)
		return;
	r->st.baseline = med;
	r->st.z = z;
	r->st.direction = x > med ? 1 : x < med ? -1 : 0;
}

/* p99 or p50: a second with fewer than min_calls timed calls is no
 * evidence either way; direction up only. Anomalous when both z and the
 * one-sided z exceed z_fire and the change passes min_change and
 * abs_floor_ns; normal again when z < z_resolve. The spread is floored at
 * abs_floor_ns / z_fire, so that a change inside the absolute deadband
 * never reaches z_fire (and z_resolve means within half of it). */
static unsigned an_latency(struct tm_an *a, int s, int present, uint64_t ns)
{
	struct an_series *r = &a->s[s];
	if (!present) {
		r->st.missing++;
		return 0;
	}
	const struct tm_an_params *p = &a->p;
	double x = (double)ns;
	struct an_fit f = {0};
	int have = an_fit(a, s, x, p->z_fire > 0 ? p->abs_floor_ns / p->z_fire : 0, &f);
	an_append(a, s, (float)x);
	an_fill(r, x, have, f.med, f.z);
	int judged = have && r->st.points >= p->warmup;
	double up = x - f.med;
	int anomalous = f.z > p->z_fire && f.zside > p->z_fire && up > p->min_change * f.med &&
			up > p->abs_floor_ns;
	return an_vote(a, s, judged, anomalous, f.z < p->z_resolve);
}

/* Calls per second: every second is a point once the function has been
 * called, both directions, judged only when the baseline's median is at
 * least min_calls (a function called a few times a second is not judged on
 * its rate; such a point counts as normal). The spread is floored at one
 * call per second. */
static unsigned an_rate(struct tm_an *a, uint64_t calls)
{
	struct an_series *r = &a->s[TM_AN_RATE];
	const struct tm_an_params *p = &a->p;
	double x = (double)calls;
	struct an_fit f = {0};
	int have = an_fit(a, AN_V_RATE, x, 1, &f);
	an_append(a, AN_V_RATE, (float)x);
	an_fill(r, x, have, f.med, f.z);
	int judged = have && r->st.points >= p->warmup && f.med >= p->min_calls;
	int anomalous = fabs(f.z) > p->z_fire && fabs(f.zside) > p->z_fire &&
			fabs(x - f.med) > p->min_change * f.med;
	return an_vote(a, TM_AN_RATE, judged, anomalous, !judged || fabs(f.z) < p->z_resolve);
}

/* Error ratio: failures in excess of the baseline ratio p0 (the baseline
 * seconds' failures over their calls), in binomial sigmas of this second's
 * calls; sigma floored at one failure (a count is no finer than one; with
 * err_min >= 4 and err_sigma <= 4 the floor changes no decision, it only
 * keeps z finite when p0 = 0). A second with fewer than min_calls calls,
 * or not judged (failed < 0), is no evidence. Normal again: z below
 * z_resolve or fewer than err_min failures. */
static unsigned an_error(struct tm_an *a, const struct tm_an_point *pt)
{
	struct an_series *r = &a->s[TM_AN_ERR];
	const struct tm_an_params *p = &a->p;
	if (pt->failed < 0 || pt->calls < p->min_calls || pt->calls == 0) {
		r->st.missing++;
		return 0;
	}
	uint32_t n = pt->calls > UINT32_MAX ? UINT32_MAX : (uint32_t)pt->calls;
	uint32_t k = (uint64_t)pt->failed > n ? n : (uint32_t)pt->failed;
	/* baseline sums: the ring's minus its newest `exclude` points */
	uint64_t bc = a->ecalls_sum, bf = a->efail_sum;
	for (uint32_t j = an_base_len(a, r); j < r->len; j++) {
		uint32_t at = an_slot(a, r, j);
		bc -= a->ecalls[at];
		bf -= a->efail[at];
	}
	int have = bc > 0;
	double p0 = have ? (double)bf / (double)bc : 0, x = (double)k / n, z = 0;
	double excess = k - n * p0;
	if (have)
		z = excess / an_max(sqrt(n * p0 * (1 - p0)), 1);
	uint32_t at = an_take(a, r); /* the oldest point's slot when full, else zeros */
	a->ecalls_sum -= a->ecalls[at];
	a->efail_sum -= a->efail[at];
	a->ecalls[at] = n;
	a->efail[at] = k;
	a->ecalls_sum += n;
	a->efail_sum += k;
	an_fill(r, x, have, p0, z);
	int judged = have && r->st.points >= p->warmup;
	int anomalous = z > p->err_sigma && k >= p->err_min && x - p0 > p->min_change * p0;
	return an_vote(a, TM_AN_ERR, judged, anomalous, z < p->z_resolve || k < p->err_min);
}

/* ---- the interface ---- */

size_t tm_an_bytes(const struct tm_an_params *p)
{
	size_t cap = (size_t)p->baseline + p->exclude;
	return sizeof(struct tm_an) + cap * (AN_V_COUNT * sizeof(float) + 2 * sizeof(uint32_t)) +
	       (size_t)p->baseline * AN_V_COUNT * sizeof(float);
}

struct tm_an *tm_an_new(const struct tm_an_params *p)
{
	if (!p || p->baseline == 0 || p->baseline > TM_AN_BASELINE_MAX ||
	    p->exclude > TM_AN_BASELINE_MAX || p->n == 0 || p->n > 64 || p->k == 0 || p->k > p->n ||
	    p->resolve_s == 0) {
		errno = EINVAL;
		return NULL;
	}
	struct tm_an *a = calloc(1, tm_an_bytes(p));
	if (!a)
		return NULL;
	a->p = *p;
	a->cap = p->baseline + p->exclude;
	float *f = (float *)(a + 1);
	for (int i = 0; i < AN_V_COUNT; i++)
		a->v[i] = f + (size_t)i * a->cap;
	a->ecalls = (uint32_t *)(f + (size_t)AN_V_COUNT * a->cap);
	a->efail = a->ecalls + a->cap;
	f = (float *)(a->efail + a->cap);
	for (int i = 0; i < AN_V_COUNT; i++)
		a->srt[i] = f + (size_t)i * p->baseline;
	return a;
}

void tm_an_free(struct tm_an *a)
{
	free(a);
}

unsigned tm_an_push(struct tm_an *a, const struct tm_an_point *pt)
{
	int timed = pt->timed >= a->p.min_calls && pt->timed > 0;
	unsigned changed = an_latency(a, TM_AN_P99, timed, pt->p99_ns);
	changed |= an_latency(a, TM_AN_P50, timed, pt->p50_ns);
	a->called |= pt->calls > 0;
	if (a->called)
		changed |= an_rate(a, pt->calls);
	else
		a->s[TM_AN_RATE].st.missing++;
	return changed | an_error(a, pt);
}

const struct tm_an_state *tm_an_state(const struct tm_an *a, enum tm_an_series s)
{
	return &a->s[(unsigned)s < TM_AN_COUNT ? s : 0].st;
}

const char *tm_an_series_name(enum tm_an_series s)
{
	static const char *const n[] = {"p99", "p50", "rate", "error_ratio"};
	return (unsigned)s < TM_AN_COUNT ? n[s] : "?";
}
