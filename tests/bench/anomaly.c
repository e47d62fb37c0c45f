/* SPDX-License-Identifier: MIT */
/* Benchmark, not a test: the anomaly detector's detection delay, false
 * alarms and cost on synthetic per-second series (seeded; nothing sleeps).
 * Each scenario runs RUNS times with different seeds. Under every series:
 * p99 lognormal (10%), p50 (5%), calls 200/s +- 10%, binomial failures.
 * On top, one of two noises: "spikes", in 1% of seconds a single second of
 * 3x p99 (the unit tests' noise); "stalls", scheduler-like, in 2% of
 * seconds a stall of 1 s (70%), 2 s (20%) or 3 s (10%) multiplies p99 by
 * 2-10, p50 by up to 1.3 and takes up to 20% of the calls. Steps start
 * after 360 s (baseline full), last 120 s, then 180 s of return; quiet
 * scenarios are judged for 5 min or 1 h after the same warm-up. False
 * alarms: fires before a step, or of a series the step does not move.
 *
 * Delays are in points (sealed seconds) counted from the first stepped
 * one, the firing one included: with a step at a second's start the alert
 * is out that many seconds plus the collector's 250 ms seal lag after it.
 * usage: bench_anomaly [RUNS] */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bench.h"
#include "health/anomaly.h"

#define WARM  360 /* points before a step: 300 + 10 baseline, and margin */
#define STEP  120
#define AFTER 180

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
static uint64_t binom(uint64_t n, double p)
{
	uint64_t k = 0;
	for (uint64_t i = 0; i < n && p > 0; i++)
		k += uni() < p;
	return k;
}

/* one function's behaviour at one moment */
struct shape {
	double p99_us, p50_us, rate, err;
};

/* the noise on top: one-second spikes, or scheduler-like stalls */
enum noise { SPIKES, STALLS };

struct gen {
	enum noise noise;
	int stall_left;
	double stall99, stall50, stall_rate;
};

/* SPIKES: in 1% of seconds p99 is 3x for that second (the unit tests'
 * noise). STALLS: in 2% of seconds a stall starts that lasts 1 s (70%),
 * 2 s (20%) or 3 s (10%), multiplies p99 by 2-10 and p50 by 1-1.3, and
 * takes up to 20% of the calls (a thread preempted on a shared 2-CPU
 * machine). Under both: p99 lognormal 10%, p50 5%, rate +- 10%, binomial
 * failures. */
static struct tm_an_point gen_point(struct gen *g, const struct shape *s)
{
	if (g->stall_left == 0 && uni() < (g->noise == STALLS ? 0.02 : 0.01)) {
		double u = uni();
		int st = g->noise == STALLS;
		g->stall_left = !st || u < 0.7 ? 1 : u < 0.9 ? 2 : 3;
		g->stall99 = st ? 2 + 8 * uni() : 3;
		g->stall50 = st ? 1 + 0.3 * uni() : 1;
		g->stall_rate = st ? 1 - 0.2 * uni() : 1;
	}
	double m99 = 1, m50 = 1, mr = 1;
	if (g->stall_left > 0) {
		g->stall_left--;
		m99 = g->stall99, m50 = g->stall50, mr = g->stall_rate;
	}
	struct tm_an_point pt = {0};
	pt.calls = (uint64_t)(s->rate * mr * (0.9 + 0.2 * uni()) + 0.5);
	pt.timed = pt.calls;
	pt.failed = (int64_t)binom(pt.calls, s->err);
	pt.p99_ns = (uint64_t)(s->p99_us * 1000 * m99 * exp(0.10 * gauss()));
	pt.p50_ns = (uint64_t)(s->p50_us * 1000 * m50 * exp(0.05 * gauss()));
	return pt;
}

enum kind { STEP_K, QUIET_K, ALT_K };

#define B(s) (1u << (s))

struct scenario {
	const char *name;
	enum kind kind;
	enum noise noise;
	enum tm_an_series series; /* the one a step should fire */
	struct shape base, step;
	int quiet_s;		  /* quiet scenarios: seconds judged after the warm-up */
	const char *delay_target; /* "<=5" for the steps the detector is for */
	uint32_t k, n;		  /* persistence other than the default 4 of 8 */
};

/* clang-format off */
/* macros, not const objects: C initializers of static storage need constants */
#define NORMAL {100, 40, 200, 0.01}
#define NO_ERR {100, 40, 200, 0}
/* a step: name, noise, series, delay target, k, n, base, the step's shape */
#define STEP_AT(name, noise, series, target, k, n, base, ...) \
	{name, STEP_K, noise, series, base, {__VA_ARGS__}, 0, target, k, n}
/* quiet: name, kind, noise, seconds judged, k, n */
#define QUIET_AT(name, kind, noise, secs, k, n) \
	{name, kind, noise, TM_AN_P99, NORMAL, NORMAL, secs, "-", k, n}

static const struct shape normal = NORMAL;
static const struct scenario scen[] = {
	STEP_AT("lat_step_10x", SPIKES, TM_AN_P99, "<=5", 0, 0, NORMAL, 1000, 400, 200, .01),
	STEP_AT("lat_step_2x", SPIKES, TM_AN_P99, "-", 0, 0, NORMAL, 200, 80, 200, .01),
	STEP_AT("lat_step_1.5x", SPIKES, TM_AN_P99, "-", 0, 0, NORMAL, 150, 60, 200, .01),
	STEP_AT("lat_step_10x_stalls", STALLS, TM_AN_P99, "-", 0, 0, NORMAL, 1000, 400, 200, .01),
	STEP_AT("p50_only_step_2x", SPIKES, TM_AN_P50, "-", 0, 0, NORMAL, 100, 80, 200, .01),
	STEP_AT("err_step_0_to_20pct", SPIKES, TM_AN_ERR, "<=5", 0, 0, NO_ERR, 100, 40, 200, .2),
	STEP_AT("err_step_0_to_2pct", SPIKES, TM_AN_ERR, "-", 0, 0, NO_ERR, 100, 40, 200, .02),
	STEP_AT("err_step_1_to_5pct", SPIKES, TM_AN_ERR, "-", 0, 0, NORMAL, 100, 40, 200, .05),
	STEP_AT("rate_drop_to_0", SPIKES, TM_AN_RATE, "<=5", 0, 0, NORMAL, 100, 40, 0, .01),
	STEP_AT("rate_x3", SPIKES, TM_AN_RATE, "<=5", 0, 0, NORMAL, 100, 40, 600, .01),
	QUIET_AT("noise_spikes_5min", QUIET_K, SPIKES, 300, 0, 0),
	QUIET_AT("noise_spikes_1h", QUIET_K, SPIKES, 3600, 0, 0),
	QUIET_AT("noise_stalls_5min", QUIET_K, STALLS, 300, 0, 0),
	QUIET_AT("noise_stalls_1h", QUIET_K, STALLS, 3600, 0, 0),
	QUIET_AT("alternating_80_120us_1h", ALT_K, SPIKES, 3600, 0, 0),
	/* the same with 5 of the last 10 points: one point later, fewer false alarms */
	STEP_AT("lat_step_10x_5of10", SPIKES, TM_AN_P99, "-", 5, 10, NORMAL, 1000, 400, 200, .01),
	QUIET_AT("noise_stalls_1h_5of10", QUIET_K, STALLS, 3600, 5, 10),
};
/* clang-format on */

struct tally {
	int runs, detected, resolved, adapted, early;
	double delay[1000], res[1000];
	int false_alarms; /* fires before a step, or of a series it should not move */
	double quiet_h;	  /* judged hours counted for false alarms */
};

static void run_one(const struct scenario *sc, struct tm_an *a, struct tally *ty)
{
	struct gen g = {.noise = sc->noise};
	int step = sc->kind == STEP_K, s = sc->series;
	/* series a step may fire: a latency step moves p99 and p50 */
	unsigned expect = s <= TM_AN_P50 ? B(TM_AN_P99) | B(TM_AN_P50) : B(s);
	int len = step ? WARM + STEP + AFTER : WARM + sc->quiet_s;
	int fire = 0, res = 0, firing_at_step = 0, firing_at_return = 0;
	for (int t = 1; t <= len; t++) {
		struct shape sh = sc->base;
		int in_step = step && t > WARM && t <= WARM + STEP;
		if (in_step)
			sh = sc->step;
		if (sc->kind == ALT_K) {
			sh.p99_us = (t / 15) % 2 ? 120 : 80;
			sh.p50_us = sh.p99_us * 0.4;
		}
		if (step && t == WARM + 1)
			firing_at_step = tm_an_state(a, sc->series)->firing;
		if (step && t == WARM + STEP + 1)
			firing_at_return = tm_an_state(a, sc->series)->firing;
		struct tm_an_point pt = gen_point(&g, &sh);
		unsigned ch = tm_an_push(a, &pt);
		for (int i = 0; i < TM_AN_COUNT; i++) {
			if (!(ch & B(i)) || !tm_an_state(a, (enum tm_an_series)i)->firing)
				continue;
			if (!step || t <= WARM || !(expect & B(i)))
				ty->false_alarms++;
		}
		if ((ch & B(s)) && tm_an_state(a, sc->series)->firing && in_step && !fire)
			fire = t;
		if ((ch & B(s)) && !tm_an_state(a, sc->series)->firing && t > WARM + STEP && !res)
			res = t;
	}
	ty->runs++;
	/* judged time (after the warm-up's 60 points), before any step */
	ty->quiet_h += ((step ? WARM : len) - 60) / 3600.0;
	if (!step)
		return;
	if (firing_at_step) {
		ty->early++; /* already firing (noise) when the step came */
		return;
	}
	if (fire)
		ty->delay[ty->detected++] = fire - WARM;
	if (fire && !firing_at_return)
		ty->adapted++; /* resolved while the step was still on */
	else if (fire && res)
		ty->res[ty->resolved++] = res - (WARM + STEP);
}

static double vmax(const double *v, int n)
{
	double m = 0;
	for (int i = 0; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

/* one row of the table */
static void row(const struct scenario *sc, const struct tally *ty)
{
	double fph = ty->quiet_h > 0 ? ty->false_alarms / ty->quiet_h : 0;
	if (sc->kind != STEP_K) {
		printf("| %s | | | | | %d in %.0f h (%.3f/h) |\n", sc->name, ty->false_alarms,
		       ty->quiet_h, fph);
		return;
	}
	double d[1000], r[1000];
	memcpy(d, ty->delay, sizeof(d));
	memcpy(r, ty->res, sizeof(r));
	int judged = ty->runs - ty->early;
	printf("| %s | %d/%d", sc->name, ty->detected, judged);
	if (ty->early)
		printf(" (+%d firing on noise already)", ty->early);
	printf(" | %.0f / %.0f", ty->detected ? bench_median(d, ty->detected) : 0,
	       vmax(ty->delay, ty->detected));
	printf(" | %.0f / %.0f", ty->resolved ? bench_median(r, ty->resolved) : 0,
	       vmax(ty->res, ty->resolved));
	printf(" | %d | %d in %.1f h (%.3f/h) |\n", ty->adapted, ty->false_alarms, ty->quiet_h,
	       fph);
}

/* the scenario's BENCH lines */
static void lines(const struct scenario *sc, const struct tally *ty)
{
	char name[128];
	double fph = ty->quiet_h > 0 ? ty->false_alarms / ty->quiet_h : 0;
	if (sc->kind != STEP_K) {
		snprintf(name, sizeof(name), "anomaly.%s.false_per_h", sc->name);
		bench_line(name, fph, "/h", ty->quiet_h, "=0", ty->false_alarms == 0,
			   "false_alarms_per_judged_hour_baseline_hours");
		return;
	}
	double d[1000], r[1000];
	memcpy(d, ty->delay, sizeof(d));
	memcpy(r, ty->res, sizeof(r));
	int judged = ty->runs - ty->early;
	double det = judged > 0 ? 100.0 * ty->detected / judged : 0;
	double dmed = ty->detected ? bench_median(d, ty->detected) : 0;
	double dmax = vmax(ty->delay, ty->detected);
	double rmed = ty->resolved ? bench_median(r, ty->resolved) : 0;
	double rmax = vmax(ty->res, ty->resolved);
	int big = strcmp(sc->delay_target, "<=5") == 0;
	snprintf(name, sizeof(name), "anomaly.%s.detected", sc->name);
	bench_line(name, det, "%", 0, big ? "100" : "-", !big || ty->detected == judged,
		   "runs_where_the_step_fired");
	snprintf(name, sizeof(name), "anomaly.%s.delay_max", sc->name);
	bench_line(name, dmax, "s", dmed, sc->delay_target, !big || dmax <= 5,
		   "max_points_to_fire_baseline_median");
	snprintf(name, sizeof(name), "anomaly.%s.resolve_max", sc->name);
	bench_line(name, rmax, "s", rmed, "<=60", ty->resolved == 0 || rmax <= 60,
		   "max_points_to_resolve_after_return_baseline_median");
}

/* ns per push: one function, points pregenerated, baseline full */
static double cost_one(const struct tm_an_params *p)
{
	enum { NPT = 4096 };
	static struct tm_an_point pts[NPT];
	struct gen g = {0};
	for (int i = 0; i < NPT; i++)
		pts[i] = gen_point(&g, &normal);
	struct tm_an *a = tm_an_new(p);
	for (int i = 0; i < 400; i++)
		tm_an_push(a, &pts[i]);
	double r[7];
	long n = 200000;
	for (int k = 0; k < 7; k++) {
		double t0 = bench_thread_ns();
		unsigned s = 0;
		for (long i = 0; i < n; i++)
			s += tm_an_push(a, &pts[i % NPT]);
		r[k] = (bench_thread_ns() - t0) / (double)n;
		bench_sink += s;
	}
	tm_an_free(a);
	return bench_median(r, 7);
}

/* ns per push over many functions, each pushed once a second in turn (the
 * collector's pattern: every function's state cold in the cache) */
static double cost_many(const struct tm_an_params *p, int nf)
{
	struct tm_an **a = calloc((size_t)nf, sizeof(*a));
	struct gen g = {0};
	struct tm_an_point pts[512];
	for (int i = 0; i < 512; i++)
		pts[i] = gen_point(&g, &normal);
	for (int f = 0; f < nf; f++) {
		a[f] = tm_an_new(p);
		for (int i = 0; i < 320; i++)
			tm_an_push(a[f], &pts[(i + f) % 512]);
	}
	double r[5];
	for (int k = 0; k < 5; k++) {
		double t0 = bench_thread_ns();
		for (int sec = 0; sec < 20; sec++)
			for (int f = 0; f < nf; f++)
				tm_an_push(a[f], &pts[(sec * 7 + f) % 512]);
		r[k] = (bench_thread_ns() - t0) / (20.0 * nf);
	}
	for (int f = 0; f < nf; f++)
		tm_an_free(a[f]);
	free(a);
	return bench_median(r, 5);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 200;
	runs = runs < 1 ? 1 : runs > 1000 ? 1000 : runs;
	struct tm_an_params p;
	tm_an_params_default(&p);
	printf("%d runs per scenario; delays in points (sealed seconds) from the first stepped "
	       "one\n\n",
	       runs);
	enum { NS = sizeof(scen) / sizeof(scen[0]) };
	static struct tally ty[NS];
	for (size_t i = 0; i < NS; i++) {
		for (int r = 0; r < runs; r++) {
			rng = 0x9e3779b97f4a7c15ull * (uint64_t)(r + 1) + i;
			struct tm_an_params q = p;
			if (scen[i].k)
				q.k = scen[i].k, q.n = scen[i].n;
			struct tm_an *a = tm_an_new(&q);
			run_one(&scen[i], a, &ty[i]);
			tm_an_free(a);
		}
	}
	printf("| scenario | fired in the step | delay median / max (s) | resolved after the "
	       "return, median / max (s) | resolved while the step was on | false alarms |\n"
	       "|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < NS; i++)
		row(&scen[i], &ty[i]);
	printf("\n");
	for (size_t i = 0; i < NS; i++)
		lines(&scen[i], &ty[i]);
	rng = 12345;
	double one = cost_one(&p), many = cost_many(&p, 1000);
	printf("\ncost: %.0f ns per push (one function), %.0f ns per push over 1000 functions "
	       "(%.2f ms of CPU per second for 1000); %zu bytes per function\n",
	       one, many, many * 1000 / 1e6, tm_an_bytes(&p));
	bench_line("anomaly.ns_per_push", one, "ns", 0, "-", 1, "one_function_all_series_present");
	bench_line("anomaly.ns_per_push_1000_functions", many, "ns", one, "-", 1,
		   "1000_functions_pushed_in_turn_baseline_one_function");
	bench_line("anomaly.bytes_per_function", (double)tm_an_bytes(&p), "B", 0, "-", 1,
		   "tm_an_bytes_default_params");
	return 0;
}
