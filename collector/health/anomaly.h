/* SPDX-License-Identifier: MIT */
/* Streaming, robust anomaly detection on a function's per-second points:
 * p99 and p50 latency, call rate and error ratio. Pure: no clock, no I/O;
 * the caller pushes one point per sealed second (tests push synthetic
 * series). The method and why: docs/ARCHITECTURE.md, "Anomaly detection". */
#ifndef TM_ANOMALY_H
#define TM_ANOMALY_H

#include <stddef.h>
#include <stdint.h>

enum tm_an_series { TM_AN_P99 = 0, TM_AN_P50, TM_AN_RATE, TM_AN_ERR, TM_AN_COUNT };

struct tm_an_params {
	uint32_t baseline;   /* points in the baseline (300) */
	uint32_t exclude;    /* newest points kept out of the baseline (10) */
	uint32_t warmup;     /* points before anything can fire (60) */
	uint32_t min_calls;  /* a second with fewer calls is a missing latency point (20) */
	double z_fire;	     /* robust z to count a point as anomalous (6) */
	double z_resolve;    /* below this a point counts as normal again (3) */
	double min_change;   /* and the change is more than this share of the median (0.2) */
	double mad_floor;    /* MAD floored at this share of the median (0.05) */
	double abs_floor_ns; /* latency: and above the median by at least this (200) */
	uint32_t k, n;	     /* fire when k of the last n points are anomalous */
	uint32_t resolve_s;  /* resolve after this many normal points in a row */
	double err_sigma;    /* error ratio: excess failures over this many sigma (3) */
	uint32_t err_min;    /* and at least this many failures in the second (5) */
};
void tm_an_params_default(struct tm_an_params *p);

/* One sealed second of one function. */
struct tm_an_point {
	uint64_t calls;
	int64_t failed; /* -1: calls are not judged (no success rule) */
	uint64_t timed; /* calls with a duration */
	uint64_t p50_ns, p99_ns;
};

/* What one series says now. */
struct tm_an_state {
	int firing;
	double value;	  /* the newest point (ns, calls/s, or ratio) */
	double baseline;  /* the baseline's median (error: the baseline ratio) */
	double z;	  /* robust z of the newest point (error: sigmas of excess) */
	int direction;	  /* +1 above, -1 below the baseline (0: on it, or no baseline yet) */
	uint32_t points;  /* points seen so far (warm-up) */
	uint32_t missing; /* seconds since the series' last point (0: the newest second is one);
			   * value, baseline and z are those of that point */
};

/* Per function; allocate with tm_an_new (memory: docs/ARCHITECTURE.md).
 * NULL with errno EINVAL for parameters it cannot run (baseline 0 or over
 * TM_AN_BASELINE_MAX, n 0 or over 64, k 0 or over n, resolve_s 0). */
#define TM_AN_BASELINE_MAX 3600 /* an hour of seconds */
struct tm_an;
struct tm_an *tm_an_new(const struct tm_an_params *p);
size_t tm_an_bytes(const struct tm_an_params *p); /* what one tm_an_new holds */
void tm_an_free(struct tm_an *a);
/* One second, every second from the first push on (a second without a
 * call is pushed with calls 0: a rate point of 0, a missing latency and
 * error point). Returns a bit mask (1 << series) of the series whose
 * `firing` changed with this point. */
unsigned tm_an_push(struct tm_an *a, const struct tm_an_point *pt);
const struct tm_an_state *tm_an_state(const struct tm_an *a, enum tm_an_series s);
const char *tm_an_series_name(enum tm_an_series s); /* "p99", "p50", "rate", "error_ratio" */

#endif
