/* SPDX-License-Identifier: MIT */
/* The time axis: per function, per-second buckets for the last 15 minutes
 * and per-minute buckets for the last 24 hours, and the running histograms
 * of the 10 s, 1 min, 5 min and 15 min windows. Time is CLOCK_MONOTONIC ns
 * handed in by the caller (tests drive it with synthetic time). Memory per
 * function is bounded and independent of the number of calls: see
 * docs/ARCHITECTURE.md, "The time axis". */
#ifndef TM_WINDOW_H
#define TM_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#define TM_WIN_SECS	900	     /* per-second buckets kept by default: 15 min */
#define TM_WIN_MINS	1440	     /* per-minute buckets kept by default: 24 h */
#define TM_WIN_SECS_MIN 120	     /* --keep-seconds: at least 2 min ... */
#define TM_WIN_SECS_MAX 3600	     /* ... at most 1 h */
#define TM_WIN_MINS_MIN 60	     /* --keep-minutes: at least the 1 h trend ... */
#define TM_WIN_MINS_MAX 10080	     /* ... at most 7 days */
#define TM_WIN_FSECS	64	     /* seconds whose fine histogram is kept (> 60) */
#define TM_WIN_FMINS	16	     /* minutes whose fine histogram is kept (> 15) */
#define TM_WIN_GRACE_NS 250000000ull /* a second stays open this long after its end */
#define TM_WIN_ERRS	4	     /* error codes tallied per open bucket */
#define TM_WIN_NWINDOWS 4

/* Window histogram: log-linear, exact below 64 ns, then 64 sub-buckets per
 * power of two; reporting a bucket's midpoint is within 1/128 (0.8%) of
 * any value in it. Groups [lo, lo + n) are allocated contiguously, so a
 * second whose calls span three powers of two costs 768 bytes. */
#define TM_WH_SUB_BITS 6
#define TM_WH_SUB      (1u << TM_WH_SUB_BITS)
#define TM_WH_GROUPS   (64 - TM_WH_SUB_BITS + 1)

struct tm_whist {
	uint32_t *c; /* n * TM_WH_SUB counters, or NULL */
	uint16_t lo, n;
	uint32_t count;
};

/* The running sum of a window: the same buckets, 64-bit counters. */
struct tm_wsum {
	uint64_t *c;
	uint16_t lo, n;
	uint64_t count;
};

static inline unsigned tm_wh_index(uint64_t v)
{
	if (v < TM_WH_SUB)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - TM_WH_SUB_BITS;
	unsigned mant = (unsigned)(v >> shift); /* in [SUB, 2*SUB) */
	return (shift + 1) * TM_WH_SUB + (mant - TM_WH_SUB);
}
uint64_t tm_wh_value(unsigned index);
int tm_whist_add(struct tm_whist *h, unsigned index, uint32_t n);
void tm_whist_reset(struct tm_whist *h); /* keeps the memory */
void tm_whist_free(struct tm_whist *h);
int tm_wsum_add(struct tm_wsum *s, const struct tm_whist *h);
void tm_wsum_sub(struct tm_wsum *s, const struct tm_whist *h);
void tm_wsum_free(struct tm_wsum *s);
/* The ceil(q * count)-th smallest value's bucket index (0 when empty). */
unsigned tm_whist_qindex(const struct tm_whist *h, double q);
unsigned tm_wsum_qindex(const struct tm_wsum *s, double q);

struct tm_werr {
	int32_t code;
	uint32_t count;
};

/* One sealed second or minute: 64 bytes. Percentiles as window-histogram
 * indices (tm_wh_value() gives ns); the most frequent error code by name,
 * the rest of `failed` as other. */
struct tm_wbucket {
	uint32_t unit;	 /* 1 + the second (minute) since the epoch; 0: empty */
	uint32_t slow;	 /* calls over the function's slow_ms */
	uint32_t failed; /* saturating */
	uint32_t timed;	 /* calls with a duration (saturating) */
	uint64_t calls;
	uint64_t ok;
	uint64_t bytes;
	uint64_t sum_ns;  /* of the timed calls */
	uint16_t q[4];	  /* p50, p95, p99, max */
	int32_t err_code; /* most frequent error code (err_count > 0) */
	uint32_t err_count;
};
_Static_assert(sizeof(struct tm_wbucket) == 64, "tm_wbucket is one cache line");

/* A second or minute still being filled, or kept for its histogram. */
struct tm_wslot {
	uint32_t unit; /* as tm_wbucket.unit */
	uint32_t nerr;
	struct tm_werr err[TM_WIN_ERRS];
	uint64_t err_other;
	struct tm_whist h;
};

enum tm_window { TM_W10S = 0, TM_W1M, TM_W5M, TM_W15M };

/* The bucket rings are chunks of 64 buckets (4 KiB), allocated when a
 * unit in them first has a call: a function called once costs one chunk
 * of each, not the whole 15 minutes and 24 hours. */
#define TM_WIN_CHUNK 64

/* How much of the past the series keep, for every function: set once,
 * before the first call is counted (tm_win_keep_set). The rings hold a
 * little more than that (60 s / 32 min: the unit being filled and late
 * records), in chunks: 15 and 23 by default. */
struct tm_win_keep {
	uint32_t secs, mins;
	uint32_t sec_chunks, min_chunks;
};
extern struct tm_win_keep tm_win_keep;
/* 0, or -1 when out of [TM_WIN_SECS_MIN, TM_WIN_SECS_MAX] and
 * [TM_WIN_MINS_MIN, TM_WIN_MINS_MAX]. */
int tm_win_keep_set(uint32_t secs, uint32_t mins);

/* Per-function series. */
struct tm_win {
	struct tm_wbucket *cur;	 /* the bucket the last call went to (a cache) */
	struct tm_wbucket **sec; /* tm_win_keep.sec_chunks chunks, as used */
	struct tm_wbucket **min; /* tm_win_keep.min_chunks */
	struct tm_wslot fsec[TM_WIN_FSECS];
	struct tm_wslot fmin[TM_WIN_FMINS];
	struct tm_wsum run[TM_WIN_NWINDOWS];
	uint32_t sealed;  /* seconds [0, sealed) are sealed for this function */
	uint32_t last;	  /* 1 + the last second that had a call; 0: none */
	uint64_t slow_ns; /* 0: none */
};

/* The clock of every series: seconds count from `epoch_ns`. */
struct tm_wclock {
	uint64_t epoch_ns; /* CLOCK_MONOTONIC, whole second */
	uint32_t open;	   /* first second not sealed yet */
	uint32_t now;	   /* the current second */
	uint64_t now_ns;   /* where it starts: epoch_ns + now s */
};

void tm_wclock_init(struct tm_wclock *k, uint64_t now_ns);
/* Advances the clock to now_ns; returns the number of the first second
 * that must stay open (everything before it is sealed by tm_win_seal). */
void tm_wclock_advance(struct tm_wclock *k, uint64_t now_ns);
/* The second a timestamp belongs to, clamped to [open, now + 1]; the
 * current second without a division. */
uint32_t tm_wclock_unit_slow(const struct tm_wclock *k, uint64_t t_ns);
static inline uint32_t tm_wclock_unit(const struct tm_wclock *k, uint64_t t_ns)
{
	if (t_ns - k->now_ns < 1000000000ull && k->now >= k->open)
		return k->now;
	return tm_wclock_unit_slow(k, t_ns);
}

/* What calls add to the second `u` (from tm_wclock_unit). Return 0 or
 * -ENOMEM (the call is then missing from the series, never from totals). */
/* One call (the record path: every field at once, the last bucket
 * cached). Same as tm_win_count + tm_win_dur for one call. The common
 * case (the same second as the last call, its histogram group already
 * there) is inline; the rest in tm_win_call_slow. */
int tm_win_call_slow(struct tm_win *w, uint32_t u, int timed, uint64_t dur_ns, uint64_t ok,
		     uint64_t failed, uint64_t bytes, uint64_t slow);
static inline int tm_win_call(struct tm_win *w, uint32_t u, int timed, uint64_t dur_ns, uint64_t ok,
			      uint64_t failed, uint64_t bytes, uint64_t slow)
{
	struct tm_wbucket *b = w->cur;
	struct tm_wslot *f = &w->fsec[u % TM_WIN_FSECS];
	/* The 32-bit counters of a second: failed and slow are at most its
	 * calls (tm_win_count clamps them), the slot's histogram total and
	 * each of its counters at most its timed. So two checks keep every
	 * one of them from wrapping here; the slow way saturates. */
	if (__builtin_expect(!b || b->unit != u + 1 || b->calls >= UINT32_MAX - 1 ||
				     b->timed >= UINT32_MAX - 1 || (timed && f->unit != u + 1),
			     0))
		return tm_win_call_slow(w, u, timed, dur_ns, ok, failed, bytes, slow);
	unsigned off = 0;
	struct tm_whist *h = &f->h;
	if (timed) {
		off = tm_wh_index(dur_ns) - (unsigned)h->lo * TM_WH_SUB;
		if (__builtin_expect(!h->c || off >= (unsigned)h->n * TM_WH_SUB, 0))
			return tm_win_call_slow(w, u, timed, dur_ns, ok, failed, bytes, slow);
	}
	b->calls++;
	b->ok += ok;
	b->bytes += bytes;
	b->failed += (uint32_t)failed;
	b->slow += (uint32_t)slow;
	if (timed) {
		b->timed++;
		b->sum_ns += dur_ns;
		h->c[off]++;
		h->count++;
	}
	return 0;
}
int tm_win_count(struct tm_win *w, const struct tm_wclock *k, uint32_t u, uint64_t calls,
		 uint64_t ok, uint64_t failed, uint64_t bytes, uint64_t slow);
/* Calls of second u whose durations the drain's fast way put in its
 * histogram's counters itself (drain.c, lane_open): their
 * counts (failed 0) and timed calls' sum, saturating like tm_win_count. */
int tm_win_timed(struct tm_win *w, uint32_t u, uint64_t calls, uint64_t ok, uint64_t bytes,
		 uint64_t slow, uint64_t timed, uint64_t sum_ns);
int tm_win_dur(struct tm_win *w, const struct tm_wclock *k, uint32_t u, uint64_t dur_ns,
	       uint32_t n);
int tm_win_err(struct tm_win *w, const struct tm_wclock *k, uint32_t u, int32_t code, uint64_t n);
/* Seals w's seconds before k->open: percentiles, minute buckets, running
 * windows, and each sealed second's durations into `all` (the function's
 * whole-run histogram, same buckets; may be NULL). Cheap for an idle
 * function. */
struct tm_hist;
void tm_win_seal(struct tm_win *w, const struct tm_wclock *k, struct tm_hist *all);
void tm_win_free(struct tm_win *w);

/* Figures of one window. `span_s`: seconds the window covers (10, 60;
 * 5 and 15 min windows are the minute so far plus the 4 or 14 before,
 * and every window is cut at the epoch). */
struct tm_wfig {
	uint32_t span_s;
	uint64_t calls, ok, failed, slow, bytes, timed, sum_ns;
	uint64_t p50_ns, p90_ns, p95_ns, p99_ns, p999_ns;
	struct tm_werr err[TM_WIN_ERRS]; /* top codes over the window */
	uint32_t nerr;
	uint64_t err_other;
};
void tm_win_figures(const struct tm_win *w, const struct tm_wclock *k, enum tm_window which,
		    struct tm_wfig *out);
/* The same without the percentiles (they stay 0): what rules on counts read. */
void tm_win_counts(const struct tm_win *w, const struct tm_wclock *k, enum tm_window which,
		   struct tm_wfig *out);

/* Sealed buckets of a series, oldest first: per second (`minutes` 0) for
 * the last n seconds, or per minute. Empty units come back with unit 0 and
 * their number in `unit`'s place is implied by position. Returns the count
 * written (<= max). */
size_t tm_win_series(const struct tm_win *w, const struct tm_wclock *k, int minutes, size_t n,
		     struct tm_wbucket *out, size_t max);
/* Sealed second u (its bucket copied to out, zeroed when it had no call;
 * returns 0 then, 1 otherwise). With n_le: also the calls whose duration's
 * bucket is at or below le_ns's (the window histogram's resolution, 0.8%);
 * -1 when that second's histogram is no longer held (older than 64 s). */
int tm_win_second(const struct tm_win *w, uint32_t u, uint64_t le_ns, struct tm_wbucket *out,
		  uint64_t *n_le);
/* The errors by name of a sealed unit (a second, or with `minutes` a
 * minute): exact, up to TM_WIN_ERRS codes, while its slot is still held
 * (the last TM_WIN_FSECS seconds, TM_WIN_FMINS minutes), the bucket's top
 * code after; `other` is the rest of its failed calls. */
struct tm_werrs {
	uint32_t n;
	struct tm_werr err[TM_WIN_ERRS];
	uint64_t other;
};
void tm_win_unit_errs(const struct tm_win *w, int minutes, uint32_t u, const struct tm_wbucket *b,
		      struct tm_werrs *out);
/* tm_win_series's units' errors, in the same order (the same n, k, max). */
size_t tm_win_series_errs(const struct tm_win *w, const struct tm_wclock *k, int minutes, size_t n,
			  struct tm_werrs *out, size_t max);
/* Bytes w holds beyond its struct, for the memory accounting. */
size_t tm_win_bytes(const struct tm_win *w);

#endif
