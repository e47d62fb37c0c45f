/* SPDX-License-Identifier: MIT */
/* The time axis (see window.h). A second collects calls while it is open
 * (until TM_WIN_GRACE_NS after its end, so records drained a little late
 * still land in the second they finished in); sealing it fixes its
 * percentiles, folds it into its minute and into the running histograms of
 * the windows, and takes out the second (or minute) that just left each
 * window. Nothing here allocates per call except the first touch of a
 * histogram group. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "window.h"
#include "hist.h"

#define NS 1000000000ull

_Static_assert(TM_WH_SUB_BITS == TM_HIST_SUB_BITS, "a sealed second merges into the whole run");

/* ---- window histograms ---- */

uint64_t tm_wh_value(unsigned index)
{
	unsigned g = index / TM_WH_SUB, sub = index % TM_WH_SUB;
	if (g == 0)
		return sub;
	unsigned shift = g - 1;
	uint64_t lo = ((uint64_t)(TM_WH_SUB + sub)) << shift;
	return lo + (shift ? (1ull << shift) / 2 : 0);
}

/* Widens the group range [*lo, *lo + *n) of a counter array of `size`
 * bytes per counter to include group g. */
static int widen(void **c, uint16_t *lo, uint16_t *n, unsigned g, size_t size)
{
	unsigned nlo = *c && *lo < g ? *lo : g;
	unsigned nhi = *c && *lo + *n > g + 1 ? *lo + *n : g + 1;
	size_t bytes = (size_t)(nhi - nlo) * TM_WH_SUB * size;
	char *m = calloc(1, bytes);
	if (!m)
		return -ENOMEM;
	if (*c)
		memcpy(m + (size_t)(*lo - nlo) * TM_WH_SUB * size, *c,
		       (size_t)*n * TM_WH_SUB * size);
	free(*c);
	*c = m;
	*lo = (uint16_t)nlo;
	*n = (uint16_t)(nhi - nlo);
	return 0;
}

int tm_whist_add(struct tm_whist *h, unsigned index, uint32_t n)
{
	unsigned g = index / TM_WH_SUB;
	if (!h->c || g < h->lo || g >= (unsigned)h->lo + h->n) {
		void *c = h->c;
		if (widen(&c, &h->lo, &h->n, g, sizeof(uint32_t)) < 0)
			return -ENOMEM;
		h->c = c;
	}
	uint32_t *p = &h->c[index - (unsigned)h->lo * TM_WH_SUB];
	*p = *p + n < *p ? UINT32_MAX : *p + n;
	h->count = h->count + n < h->count ? UINT32_MAX : h->count + n;
	return 0;
}

static int whist_merge(struct tm_whist *dst, const struct tm_whist *src)
{
	if (!src->count)
		return 0;
	for (unsigned i = 0; i < (unsigned)src->n * TM_WH_SUB; i++)
		if (src->c[i] &&
		    tm_whist_add(dst, (unsigned)src->lo * TM_WH_SUB + i, src->c[i]) < 0)
			return -ENOMEM;
	return 0;
}

void tm_whist_reset(struct tm_whist *h)
{
	if (h->c && h->count)
		memset(h->c, 0, (size_t)h->n * TM_WH_SUB * sizeof(*h->c));
	h->count = 0;
}

void tm_whist_free(struct tm_whist *h)
{
	free(h->c);
	*h = (struct tm_whist){0};
}

static int wsum_cover(struct tm_wsum *s, unsigned g)
{
	if (s->c && g >= s->lo && g < (unsigned)s->lo + s->n)
		return 0;
	void *c = s->c;
	if (widen(&c, &s->lo, &s->n, g, sizeof(uint64_t)) < 0)
		return -ENOMEM;
	s->c = c;
	return 0;
}

int tm_wsum_add(struct tm_wsum *s, const struct tm_whist *h)
{
	if (!h->count)
		return 0;
	if (wsum_cover(s, h->lo) < 0 || wsum_cover(s, (unsigned)h->lo + h->n - 1) < 0)
		return -ENOMEM;
	uint64_t *d = &s->c[(size_t)(h->lo - s->lo) * TM_WH_SUB];
	for (unsigned i = 0; i < (unsigned)h->n * TM_WH_SUB; i++)
		d[i] += h->c[i];
	s->count += h->count;
	return 0;
}

/* Takes out what tm_wsum_add put in; saturates at 0, so a window reset
 * after a stall never goes negative. */
void tm_wsum_sub(struct tm_wsum *s, const struct tm_whist *h)
{
	if (!h->count || !s->c)
		return;
	for (unsigned i = 0; i < (unsigned)h->n * TM_WH_SUB; i++) {
		unsigned idx = (unsigned)h->lo * TM_WH_SUB + i;
		if (!h->c[i] || idx < (unsigned)s->lo * TM_WH_SUB ||
		    idx >= ((unsigned)s->lo + s->n) * TM_WH_SUB)
			continue;
		uint64_t *p = &s->c[idx - (unsigned)s->lo * TM_WH_SUB];
		*p = *p > h->c[i] ? *p - h->c[i] : 0;
	}
	s->count = s->count > h->count ? s->count - h->count : 0;
}

void tm_wsum_free(struct tm_wsum *s)
{
	free(s->c);
	*s = (struct tm_wsum){0};
}

static uint64_t rank_of(double q, uint64_t count)
{
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	uint64_t rank = (uint64_t)(q * (double)count + 0.999999999);
	return rank < 1 ? 1 : rank > count ? count : rank;
}

unsigned tm_whist_qindex(const struct tm_whist *h, double q)
{
	if (!h->count)
		return 0;
	uint64_t rank = rank_of(q, h->count), seen = 0;
	unsigned i = 0, end = (unsigned)h->n * TM_WH_SUB;
	for (; i < end; i++)
		if ((seen += h->c[i]) >= rank)
			break;
	return (unsigned)h->lo * TM_WH_SUB + (i < end ? i : end - 1);
}

unsigned tm_wsum_qindex(const struct tm_wsum *s, double q)
{
	if (!s->count || !s->c)
		return 0;
	uint64_t rank = rank_of(q, s->count), seen = 0;
	unsigned i = 0, end = (unsigned)s->n * TM_WH_SUB;
	for (; i < end; i++)
		if ((seen += s->c[i]) >= rank)
			break;
	return (unsigned)s->lo * TM_WH_SUB + (i < end ? i : end - 1);
}

/* ---- the clock ---- */

void tm_wclock_init(struct tm_wclock *k, uint64_t now_ns)
{
	k->epoch_ns = now_ns - now_ns % NS;
	k->open = 0;
	k->now = 0;
	k->now_ns = k->epoch_ns;
	tm_wclock_advance(k, now_ns);
}

void tm_wclock_advance(struct tm_wclock *k, uint64_t now_ns)
{
	if (now_ns < k->epoch_ns)
		return;
	uint64_t since = now_ns - k->epoch_ns;
	uint32_t now = (uint32_t)(since / NS);
	uint32_t open = since >= TM_WIN_GRACE_NS ? (uint32_t)((since - TM_WIN_GRACE_NS) / NS) : 0;
	if (now > k->now) {
		k->now = now;
		k->now_ns = k->epoch_ns + (uint64_t)now * NS;
	}
	if (open > k->open)
		k->open = open;
}

uint32_t tm_wclock_unit_slow(const struct tm_wclock *k, uint64_t t_ns)
{
	if (t_ns < k->epoch_ns + (uint64_t)k->open * NS)
		return k->open;
	uint64_t u = (t_ns - k->epoch_ns) / NS;
	/* a call may end after the clock last moved: the next second is
	 * fine; later than that is a foreign clock, held at the next one */
	return u > (uint64_t)k->now + 1 ? k->now + 1 : (uint32_t)u;
}

/* ---- one function's series ---- */

static uint32_t sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

struct tm_win_keep tm_win_keep = {TM_WIN_SECS, TM_WIN_MINS, (TM_WIN_SECS + 60 + 63) / 64,
				  (TM_WIN_MINS + 32 + 63) / 64};

int tm_win_keep_set(uint32_t secs, uint32_t mins)
{
	if (secs < TM_WIN_SECS_MIN || secs > TM_WIN_SECS_MAX || mins < TM_WIN_MINS_MIN ||
	    mins > TM_WIN_MINS_MAX)
		return -1;
	tm_win_keep =
		(struct tm_win_keep){secs, mins, (secs + 60 + TM_WIN_CHUNK - 1) / TM_WIN_CHUNK,
				     (mins + 32 + TM_WIN_CHUNK - 1) / TM_WIN_CHUNK};
	return 0;
}

/* Unit u's bucket in a chunked ring, opened (reset to u) and its chunk
 * allocated when `open`; otherwise NULL unless it holds u. The ring's
 * table of chunks is allocated with its first chunk. */
static struct tm_wbucket *ring_at(struct tm_wbucket ***ring, unsigned nchunks, uint32_t u, int open)
{
	if (!*ring && (!open || !(*ring = calloc(nchunks, sizeof(**ring)))))
		return NULL;
	struct tm_wbucket **c = &(*ring)[(u / TM_WIN_CHUNK) % nchunks];
	if (!*c && (!open || !(*c = calloc(TM_WIN_CHUNK, sizeof(**c)))))
		return NULL;
	struct tm_wbucket *b = &(*c)[u % TM_WIN_CHUNK];
	if (b->unit != u + 1) {
		if (!open)
			return NULL;
		memset(b, 0, sizeof(*b));
		b->unit = u + 1;
	}
	return b;
}

static const struct tm_wbucket *sec_held(const struct tm_win *w, uint32_t u)
{
	return ring_at((struct tm_wbucket ***)&w->sec, tm_win_keep.sec_chunks, u, 0);
}

static const struct tm_wbucket *min_held(const struct tm_win *w, uint32_t m)
{
	return ring_at((struct tm_wbucket ***)&w->min, tm_win_keep.min_chunks, m, 0);
}

static struct tm_wbucket *sec_bucket(struct tm_win *w, uint32_t u)
{
	return ring_at(&w->sec, tm_win_keep.sec_chunks, u, 1);
}

static void slot_open(struct tm_wslot *f, uint32_t unit)
{
	if (f->unit == unit)
		return;
	tm_whist_reset(&f->h);
	f->unit = unit;
	f->nerr = 0;
	f->err_other = 0;
}

static void tally(struct tm_wslot *f, int32_t code, uint64_t n)
{
	for (uint32_t i = 0; i < f->nerr; i++) {
		if (f->err[i].code == code) {
			f->err[i].count = sat32((uint64_t)f->err[i].count + n);
			return;
		}
	}
	if (f->nerr < TM_WIN_ERRS) {
		f->err[f->nerr].code = code;
		f->err[f->nerr++].count = sat32(n);
		return;
	}
	f->err_other += n;
}

int tm_win_count(struct tm_win *w, const struct tm_wclock *k, uint32_t u, uint64_t calls,
		 uint64_t ok, uint64_t failed, uint64_t bytes, uint64_t slow)
{
	(void)k;
	struct tm_wbucket *b = sec_bucket(w, u);
	if (!b)
		return -ENOMEM;
	/* never more failed or slow calls than calls (tm_win_call relies on it) */
	failed = failed < calls ? failed : calls;
	slow = slow < calls ? slow : calls;
	b->calls += calls;
	b->ok += ok;
	b->failed = sat32((uint64_t)b->failed + failed);
	b->bytes += bytes;
	b->slow = sat32((uint64_t)b->slow + slow);
	if (calls)
		w->last = w->last > u + 1 ? w->last : u + 1;
	return 0;
}

int tm_win_timed(struct tm_win *w, uint32_t u, uint64_t calls, uint64_t ok, uint64_t bytes,
		 uint64_t slow, uint64_t timed, uint64_t sum_ns)
{
	int r = tm_win_count(w, NULL, u, calls, ok, 0, bytes, slow);
	if (r < 0)
		return r;
	struct tm_wbucket *b = sec_bucket(w, u);
	b->timed = sat32((uint64_t)b->timed + timed);
	b->sum_ns += sum_ns;
	return 0;
}

/* The rest of tm_win_call: a new second, a histogram group to add, a
 * saturated counter. The same as the folds' way in, for one call. */
int tm_win_call_slow(struct tm_win *w, uint32_t u, int timed, uint64_t dur_ns, uint64_t ok,
		     uint64_t failed, uint64_t bytes, uint64_t slow)
{
	if (!(w->cur = sec_bucket(w, u)))
		return -ENOMEM;
	int r = tm_win_count(w, NULL, u, 1, ok, failed, bytes, slow);
	return r < 0 || !timed ? r : tm_win_dur(w, NULL, u, dur_ns, 1);
}

int tm_win_dur(struct tm_win *w, const struct tm_wclock *k, uint32_t u, uint64_t dur_ns, uint32_t n)
{
	(void)k;
	struct tm_wbucket *b = sec_bucket(w, u);
	if (!b)
		return -ENOMEM;
	struct tm_wslot *f = &w->fsec[u % TM_WIN_FSECS];
	slot_open(f, u + 1);
	b->timed = sat32((uint64_t)b->timed + n);
	b->sum_ns += dur_ns * n;
	return tm_whist_add(&f->h, tm_wh_index(dur_ns), n);
}

int tm_win_err(struct tm_win *w, const struct tm_wclock *k, uint32_t u, int32_t code, uint64_t n)
{
	(void)k;
	struct tm_wslot *f = &w->fsec[u % TM_WIN_FSECS];
	slot_open(f, u + 1);
	tally(f, code, n);
	return 0;
}

/* The bucket's percentiles and top error from its slot. */
static void fix_bucket(struct tm_wbucket *b, const struct tm_wslot *f)
{
	static const double qs[4] = {0.5, 0.95, 0.99, 1.0};
	for (unsigned i = 0; i < 4; i++)
		b->q[i] = (uint16_t)tm_whist_qindex(&f->h, qs[i]);
	b->err_code = 0;
	b->err_count = 0;
	for (uint32_t i = 0; i < f->nerr; i++) {
		if (f->err[i].count > b->err_count) {
			b->err_code = f->err[i].code;
			b->err_count = f->err[i].count;
		}
	}
}

static struct tm_wslot *held(struct tm_wslot *ring, unsigned size, uint32_t unit)
{
	struct tm_wslot *f = &ring[unit % size];
	return f->unit == unit + 1 ? f : NULL;
}

static void seal_minute(struct tm_win *w, uint32_t m)
{
	struct tm_wslot *fm = held(w->fmin, TM_WIN_FMINS, m);
	struct tm_wbucket *mb = (struct tm_wbucket *)min_held(w, m);
	if (fm && mb)
		fix_bucket(mb, fm);
	struct tm_wslot *x;
	if (m >= 4 && (x = held(w->fmin, TM_WIN_FMINS, m - 4)))
		tm_wsum_sub(&w->run[TM_W5M], &x->h);
	if (m >= 14 && (x = held(w->fmin, TM_WIN_FMINS, m - 14)))
		tm_wsum_sub(&w->run[TM_W15M], &x->h);
}

static void add_to_minute(struct tm_win *w, uint32_t m, const struct tm_wbucket *b,
			  const struct tm_wslot *f)
{
	if (b) {
		struct tm_wbucket *mb = ring_at(&w->min, tm_win_keep.min_chunks, m, 1);
		if (!mb)
			return;
		mb->calls += b->calls;
		mb->ok += b->ok;
		mb->failed = sat32((uint64_t)mb->failed + b->failed);
		mb->timed = sat32((uint64_t)mb->timed + b->timed);
		mb->bytes += b->bytes;
		mb->sum_ns += b->sum_ns;
		mb->slow = sat32((uint64_t)mb->slow + b->slow);
	}
	if (!f)
		return;
	struct tm_wslot *fm = &w->fmin[m % TM_WIN_FMINS];
	slot_open(fm, m + 1);
	whist_merge(&fm->h, &f->h);
	for (uint32_t i = 0; i < f->nerr; i++)
		tally(fm, f->err[i].code, f->err[i].count);
	fm->err_other += f->err_other;
}

/* The second's durations into the whole-run histogram: the same bucket
 * indices, so the counts move over exactly. */
static void to_all(struct tm_hist *all, const struct tm_whist *h)
{
	for (unsigned i = 0; all && h->count && i < (unsigned)h->n * TM_WH_SUB; i++)
		if (h->c[i])
			tm_hist_add(all, tm_wh_value((unsigned)h->lo * TM_WH_SUB + i), h->c[i]);
}

static void seal_second(struct tm_win *w, uint32_t u, struct tm_hist *all)
{
	struct tm_wslot *f = held(w->fsec, TM_WIN_FSECS, u);
	if (f)
		to_all(all, &f->h);
	struct tm_wbucket *b = (struct tm_wbucket *)sec_held(w, u);
	if (b && f)
		fix_bucket(b, f);
	if (f)
		for (unsigned i = 0; i < TM_WIN_NWINDOWS; i++)
			tm_wsum_add(&w->run[i], &f->h);
	if (b || f)
		add_to_minute(w, u / 60, b, f);
	struct tm_wslot *x;
	if (u >= 10 && (x = held(w->fsec, TM_WIN_FSECS, u - 10)))
		tm_wsum_sub(&w->run[TM_W10S], &x->h);
	if (u >= 60 && (x = held(w->fsec, TM_WIN_FSECS, u - 60)))
		tm_wsum_sub(&w->run[TM_W1M], &x->h);
	if (u % 60 == 59)
		seal_minute(w, u / 60);
}

void tm_win_seal(struct tm_win *w, const struct tm_wclock *k, struct tm_hist *all)
{
	/* idle for longer than every window: nothing left to take out */
	if (w->last + TM_WIN_SECS + 120 < w->sealed || !w->last) {
		if (k->open > w->sealed && w->run[TM_W15M].count == 0)
			w->sealed = k->open;
	}
	if (k->open > w->sealed + TM_WIN_SECS + 60) {
		/* a stall longer than the rings: start the windows afresh */
		for (unsigned i = 0; i < TM_WIN_NWINDOWS; i++)
			tm_wsum_free(&w->run[i]);
		w->sealed = k->open - TM_WIN_SECS - 60;
	}
	for (; w->sealed < k->open; w->sealed++)
		seal_second(w, w->sealed, all);
}

void tm_win_free(struct tm_win *w)
{
	for (unsigned i = 0; w->sec && i < tm_win_keep.sec_chunks; i++)
		free(w->sec[i]);
	for (unsigned i = 0; w->min && i < tm_win_keep.min_chunks; i++)
		free(w->min[i]);
	free(w->sec);
	free(w->min);
	for (unsigned i = 0; i < TM_WIN_FSECS; i++)
		tm_whist_free(&w->fsec[i].h);
	for (unsigned i = 0; i < TM_WIN_FMINS; i++)
		tm_whist_free(&w->fmin[i].h);
	for (unsigned i = 0; i < TM_WIN_NWINDOWS; i++)
		tm_wsum_free(&w->run[i]);
	memset(w, 0, sizeof(*w));
}

/* ---- reading ---- */

static void fig_add(struct tm_wfig *o, const struct tm_wbucket *b)
{
	o->calls += b->calls;
	o->ok += b->ok;
	o->failed += b->failed;
	o->slow += b->slow;
	o->bytes += b->bytes;
	o->timed += b->timed;
	o->sum_ns += b->sum_ns;
}

static void fig_err(struct tm_wfig *o, int32_t code, uint64_t n)
{
	if (!n)
		return;
	for (uint32_t i = 0; i < o->nerr; i++) {
		if (o->err[i].code == code) {
			o->err[i].count = sat32((uint64_t)o->err[i].count + n);
			return;
		}
	}
	if (o->nerr < TM_WIN_ERRS) {
		o->err[o->nerr].code = code;
		o->err[o->nerr++].count = sat32(n);
	} else {
		o->err_other += n;
	}
}

void tm_win_unit_errs(const struct tm_win *w, int minutes, uint32_t u, const struct tm_wbucket *b,
		      struct tm_werrs *out)
{
	memset(out, 0, sizeof(*out));
	if (!b)
		return;
	const struct tm_wslot *f = minutes ? held((struct tm_wslot *)w->fmin, TM_WIN_FMINS, u)
					   : held((struct tm_wslot *)w->fsec, TM_WIN_FSECS, u);
	uint64_t named = 0;
	if (f) {
		for (uint32_t i = 0; i < f->nerr && named < b->failed; i++) {
			uint64_t c = f->err[i].count;
			c = c < b->failed - named ? c : b->failed - named;
			if (!c)
				continue;
			out->err[out->n].code = f->err[i].code;
			out->err[out->n++].count = (uint32_t)c;
			named += c;
		}
	} else if (b->err_count) {
		out->err[0].code = b->err_code;
		out->err[0].count = b->err_count < b->failed ? b->err_count : b->failed;
		out->n = 1;
		named = out->err[0].count;
	}
	out->other = b->failed - named;
}

static void fig_errs(struct tm_wfig *o, const struct tm_win *w, int minutes, uint32_t u,
		     const struct tm_wbucket *b)
{
	struct tm_werrs e;
	tm_win_unit_errs(w, minutes, u, b, &e);
	for (uint32_t i = 0; i < e.n; i++)
		fig_err(o, e.err[i].code, e.err[i].count);
	o->err_other += e.other;
}

/* Seconds [from, to) from the per-second ring. */
static void fig_secs(const struct tm_win *w, uint32_t from, uint32_t to, struct tm_wfig *o)
{
	for (uint32_t u = from; u < to; u++) {
		const struct tm_wbucket *b = sec_held(w, u);
		if (!b)
			continue;
		fig_add(o, b);
		fig_errs(o, w, 0, u, b);
	}
}

static void figures(const struct tm_win *w, enum tm_window which, struct tm_wfig *o, int quantiles)
{
	memset(o, 0, sizeof(*o));
	uint32_t sealed = w->sealed;
	const struct tm_wsum *run = &w->run[which];
	if (which == TM_W10S || which == TM_W1M) {
		uint32_t span = which == TM_W10S ? 10 : 60;
		uint32_t from = sealed > span ? sealed - span : 0;
		o->span_s = sealed - from;
		fig_secs(w, from, sealed, o);
	} else {
		uint32_t back = which == TM_W5M ? 4 : 14;
		uint32_t cur = sealed / 60;
		uint32_t first = cur > back ? cur - back : 0;
		o->span_s = sealed - first * 60;
		for (uint32_t m = first; m < cur; m++) {
			const struct tm_wbucket *b = min_held(w, m);
			if (!b)
				continue;
			fig_add(o, b);
			fig_errs(o, w, 1, m, b);
		}
		fig_secs(w, cur * 60, sealed, o);
	}
	if (!quantiles)
		return;
	unsigned qi[5];
	static const double qs[5] = {0.5, 0.9, 0.95, 0.99, 0.999};
	for (unsigned i = 0; i < 5; i++)
		qi[i] = tm_wsum_qindex(run, qs[i]);
	int have = run->count > 0;
	o->p50_ns = have ? tm_wh_value(qi[0]) : 0;
	o->p90_ns = have ? tm_wh_value(qi[1]) : 0;
	o->p95_ns = have ? tm_wh_value(qi[2]) : 0;
	o->p99_ns = have ? tm_wh_value(qi[3]) : 0;
	o->p999_ns = have ? tm_wh_value(qi[4]) : 0;
}

void tm_win_figures(const struct tm_win *w, const struct tm_wclock *k, enum tm_window which,
		    struct tm_wfig *o)
{
	(void)k;
	figures(w, which, o, 1);
}

void tm_win_counts(const struct tm_win *w, const struct tm_wclock *k, enum tm_window which,
		   struct tm_wfig *o)
{
	(void)k;
	figures(w, which, o, 0);
}

/* How many of the last sealed units a series gives (at most n, what is
 * kept, what was sealed and max), and the unit after the last. */
static size_t series_span(const struct tm_win *w, int minutes, size_t n, size_t max, uint32_t *end)
{
	*end = minutes ? w->sealed / 60 : w->sealed;
	size_t cap = minutes ? tm_win_keep.mins : tm_win_keep.secs;
	n = n < cap ? n : cap;
	n = n < *end ? n : *end;
	return n < max ? n : max;
}

size_t tm_win_series(const struct tm_win *w, const struct tm_wclock *k, int minutes, size_t n,
		     struct tm_wbucket *out, size_t max)
{
	(void)k;
	uint32_t end;
	n = series_span(w, minutes, n, max, &end);
	for (size_t i = 0; i < n; i++) {
		uint32_t u = end - (uint32_t)n + (uint32_t)i;
		const struct tm_wbucket *b = minutes ? min_held(w, u) : sec_held(w, u);
		if (b)
			out[i] = *b;
		else
			memset(&out[i], 0, sizeof(out[i]));
	}
	return n;
}

size_t tm_win_series_errs(const struct tm_win *w, const struct tm_wclock *k, int minutes, size_t n,
			  struct tm_werrs *out, size_t max)
{
	(void)k;
	uint32_t end;
	n = series_span(w, minutes, n, max, &end);
	for (size_t i = 0; i < n; i++) {
		uint32_t u = end - (uint32_t)n + (uint32_t)i;
		tm_win_unit_errs(w, minutes, u, minutes ? min_held(w, u) : sec_held(w, u), &out[i]);
	}
	return n;
}

size_t tm_win_bytes(const struct tm_win *w)
{
	size_t b = 0;
	for (unsigned i = 0; w->sec && i < tm_win_keep.sec_chunks; i++)
		b += w->sec[i] ? TM_WIN_CHUNK * sizeof(struct tm_wbucket) : 0;
	for (unsigned i = 0; w->min && i < tm_win_keep.min_chunks; i++)
		b += w->min[i] ? TM_WIN_CHUNK * sizeof(struct tm_wbucket) : 0;
	b += (w->sec ? tm_win_keep.sec_chunks : 0) * sizeof(*w->sec);
	b += (w->min ? tm_win_keep.min_chunks : 0) * sizeof(*w->min);
	for (unsigned i = 0; i < TM_WIN_FSECS; i++)
		b += (size_t)w->fsec[i].h.n * TM_WH_SUB * sizeof(uint32_t);
	for (unsigned i = 0; i < TM_WIN_FMINS; i++)
		b += (size_t)w->fmin[i].h.n * TM_WH_SUB * sizeof(uint32_t);
	for (unsigned i = 0; i < TM_WIN_NWINDOWS; i++)
		b += (size_t)w->run[i].n * TM_WH_SUB * sizeof(uint64_t);
	return b;
}

int tm_win_second(const struct tm_win *w, uint32_t u, uint64_t le_ns, struct tm_wbucket *out,
		  uint64_t *n_le)
{
	const struct tm_wbucket *b = sec_held(w, u);
	if (!b) {
		memset(out, 0, sizeof(*out));
		if (n_le)
			*n_le = 0;
		return 0;
	}
	*out = *b;
	if (!n_le)
		return 1;
	*n_le = 0;
	const struct tm_wslot *f = &w->fsec[u % TM_WIN_FSECS];
	if (f->unit != u + 1 || !f->h.c)
		return -1;
	unsigned top = tm_wh_index(le_ns);
	uint64_t n = 0;
	for (unsigned i = 0; i < (unsigned)f->h.n * TM_WH_SUB; i++) {
		unsigned idx = (unsigned)f->h.lo * TM_WH_SUB + i;
		if (idx > top)
			break;
		n += f->h.c[i];
	}
	*n_le = n;
	return 1;
}
