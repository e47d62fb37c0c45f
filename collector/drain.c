/* SPDX-License-Identifier: MIT */
/* Moving data out of an attached segment: ring records, accumulator
 * deltas, loss counters, thread retirement. Every index, id and count read
 * from the segment is checked before use; a bad one is counted as corrupt
 * and skipped, never followed. */
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "collector.h"
#include "model/call.h"
#include "out/trace.h"
#include "procfs.h"

#define ACQ memory_order_acquire
#define REL memory_order_release
#define RLX memory_order_relaxed

/* Durations an accumulator can gain in one pass, and the longest call
 * (min, max), in ticks: 2^56 is 278 days at 3 GHz. Past it, the
 * accumulator is corrupt. */
#define TM_SUM_TICKS_MAX (1ull << 56)

static struct tm_thread *thr_at(const struct tm_proc *p, uint32_t i)
{
	return (struct tm_thread *)((char *)p->h + p->threads_off + (uint64_t)i * p->thread_size);
}

/* Ticks to ns in fixed point (ns per tick << 32): one multiply, where a
 * double needed two 64-bit conversions per value and was a visible part
 * of the drain. Exact to 2^-32 of the rate. */
static uint64_t ticks_to_ns(const struct tm_coll *c, const struct tm_proc *p, uint64_t t)
{
	if (p->clock_kind == TM_CLOCK_MONO)
		return t;
	return (uint64_t)(((unsigned __int128)t * c->tick_mult + (1ull << 31)) >> 32);
}

/* The fixed-point rate, following the calibration (refined at run time). */
static void rate(struct tm_coll *c)
{
	if (c->tick_npt != c->ns_per_tick) {
		c->tick_npt = c->ns_per_tick;
		c->tick_mult = (uint64_t)(c->ns_per_tick * 4294967296.0 + 0.5);
	}
}

static void merge_sym_info(struct tm_sym *s, const struct tm_wire_sym *w)
{
	s->flags |= w->flags & (TM_RF_HAS_RULE | TM_RF_BYTES | TM_RF_FOUND | TM_RF_PATCHED |
				TM_RF_GLOB | TM_RF_SAMPLED | TM_RF_COUNT | TM_RF_INTERNAL |
				TM_RF_CLAIMED | TM_RF_ARGBYTES | TM_RF_FLOW_IN | TM_RF_FLOW_OUT);
	if ((w->flags & TM_RF_SAMPLED) && w->sample > s->sample)
		s->sample = w->sample;
	if (w->codes < TM_CODES_COUNT && w->codes != TM_CODES_NONE)
		s->codes = w->codes;
	if (!s->object[0]) {
		memcpy(s->object, w->object, sizeof(s->object));
		s->object[sizeof(s->object) - 1] = '\0';
	}
}

/* The symbol an earlier pattern counts this one's functions under, by the
 * process's own id (checked: it is read from the segment). */
static void claimed_by(struct tm_coll *c, const struct tm_proc *p, uint32_t g,
		       const struct tm_wire_sym *w)
{
	uint32_t id = (uint32_t)w->claimed_by - 1u;
	if ((w->flags & TM_RF_CLAIMED) && w->claimed_by && id < p->npsyms &&
	    p->psyms[id].gsym != g && !c->syms[g].claimed_by)
		c->syms[g].claimed_by = p->psyms[id].gsym + 1;
}

/* The program a function is called from, for the `process` label. */
static void note_process(struct tm_sym *s, const struct tm_proc *p)
{
	char name[64];
	tm_proc_name(p, name, sizeof(name));
	const char *b = name;
	if (!s->process[0])
		snprintf(s->process, sizeof(s->process), "%.63s", b);
	else if (strncmp(s->process, b, sizeof(s->process) - 1) != 0)
		snprintf(s->process, sizeof(s->process), "multiple");
}

/* Picks up symbols the process published since the last look; with
 * `all`, also re-reads what the shim learned later about known ones (found,
 * patched, defining object). */
void tm_proc_sync_syms(struct tm_coll *c, struct tm_proc *p, int all)
{
	uint32_t n = atomic_load_explicit(&p->h->nsyms, ACQ);
	if (n > p->max_syms)
		n = p->max_syms;
	const struct tm_wire_sym *ws = (const void *)((char *)p->h + p->syms_off);
	for (uint32_t i = all ? 0 : p->npsyms; i < n; i++) {
		struct tm_wire_sym w;
		memcpy(&w, &ws[i], sizeof(w));
		w.name[sizeof(w.name) - 1] = '\0';
		if (i < p->npsyms) {
			struct tm_sym *s = &c->syms[p->psyms[i].gsym];
			merge_sym_info(s, &w);
			claimed_by(c, p, p->psyms[i].gsym, &w);
			if (s->outc_domain != s->codes)
				tm_outc_bind(c, s);
			continue;
		}
		if (!w.name[0])
			snprintf(w.name, sizeof(w.name), "?sym%u", i);
		int g = tm_coll_sym(c, p->sess, w.name);
		if (g < 0)
			return;
		merge_sym_info(&c->syms[g], &w);
		claimed_by(c, p, (uint32_t)g, &w);
		if (!c->syms[g].outc_bound || c->syms[g].outc_domain != c->syms[g].codes)
			tm_outc_bind(c, &c->syms[g]);
		if (w.slow_ns && !c->syms[g].slow_ns)
			c->syms[g].slow_ns = c->syms[g].slow_cut = w.slow_ns;
		note_process(&c->syms[g], p);
		p->psyms[i].gsym = (uint32_t)g;
		p->psyms[i].internal = (w.flags & TM_RF_INTERNAL) != 0;
		p->psyms[i].group = (uint8_t)((w.flags & TM_RF_GROUP_MASK) >> TM_RF_GROUP_SHIFT);
		p->psyms[i].argrec = (w.flags & (TM_RF_BYTES | TM_RF_ARGBYTES)) ==
					     (TM_RF_BYTES | TM_RF_ARGBYTES) ||
				     p->psyms[i].group;
		p->npsyms = i + 1;
		if (p->counters && (w.flags & (TM_RF_SAMPLED | TM_RF_COUNT)))
			p->cnt_syms[p->ncnt_syms++] = i;
	}
}

/* The shim's floor to take off p's durations (0 unless asked). */
static uint64_t floor_of(struct tm_coll *c, struct tm_proc *p)
{
	if (!c->subtract)
		return 0;
	return p->nfloor ? tm_proc_floor(p) : tm_coll_floor(c);
}

static uint64_t net_ns(struct tm_coll *c, struct tm_proc *p, uint64_t ns)
{
	uint64_t f = floor_of(c, p);
	return ns > f ? ns - f : 0;
}

/* When a call that started at `start` ticks and took `dur` ticks
 * returned, on the collector's CLOCK_MONOTONIC, from the process's own
 * anchor. A foreign anchor only moves the call to another second (the
 * clock clamps it to the open ones). */
static uint64_t end_mono(const struct tm_coll *c, const struct tm_proc *p, uint64_t start,
			 uint64_t dur)
{
	uint64_t t = start + dur;
	if (t < p->clock_t0)
		return 0;
	return p->clock_mono0 + ticks_to_ns(c, p, t - p->clock_t0);
}

/* The ticks of p's clock that land in the clock's current second, for a
 * batch (after p's anchor): [lo, lo + n) maps to second `unit` - 1 through end_mono, so a
 * record returning in it (nearly all, in a steady drain) needs neither the
 * conversion nor the clock's check. A millisecond of margin on each side,
 * and both ends checked with end_mono itself: a record near a boundary
 * takes the exact way, so the fast path never changes a record's second. */
struct batch {
	struct tm_tally t[TM_TALLY]; /* the fast way's (model/call.h) */
	int mono;		     /* p's ticks are ns */
	uint64_t floor;		     /* ns taken off every duration (--subtract-overhead) */
	uint64_t mult;		     /* c->tick_mult */
	uint64_t now;		     /* CLOCK_MONOTONIC at the drain: untimed calls' end */
	uint32_t now_unit;	     /* 1 + its second */
	uint64_t lo, n;		     /* ticks */
	uint32_t unit;		     /* 1 + the current second; 0: no fast path */
	struct tm_cthr *ct;	     /* the thread's call structure (model/calls.h) */
	int32_t tid;		     /* the slot's thread, for --trace */
};

static void batch_init(struct tm_coll *c, struct tm_proc *p, struct batch *b, uint64_t now)
{
	const struct tm_wclock *k = &c->clock;
	for (unsigned i = 0; i < TM_TALLY; i++)
		b->t[i].tag = 0;
	b->now = now;
	b->floor = floor_of(c, p);
	b->mult = c->tick_mult;
	b->now_unit = tm_wclock_unit(k, now) + 1;
	b->unit = 0;
	b->lo = b->n = 0;
	int mono = b->mono = p->clock_kind == TM_CLOCK_MONO;
	if (k->now < k->open || (!mono && !(c->ns_per_tick > 0)))
		return;
	/* from the second's start, or the process's anchor when that is
	 * later (its first second: no call of it returned before it) */
	uint64_t from = (k->now_ns > p->clock_mono0 ? k->now_ns : p->clock_mono0) + 1000000;
	uint64_t to = k->now_ns + 999000000ull;
	if (from >= to)
		return;
	double per = mono ? 1.0 : 1.0 / c->ns_per_tick; /* ticks per ns */
	double lo = (double)(from - p->clock_mono0) * per;
	double n = (double)(to - from) * per;
	if (!(lo > 0 && lo < 9e18 && n > 0 && n < 1e13))
		return;
	b->lo = p->clock_t0 + (uint64_t)lo;
	b->n = (uint64_t)n;
	if (b->lo < p->clock_t0 || end_mono(c, p, b->lo, 0) < k->now_ns ||
	    end_mono(c, p, b->lo + b->n, 0) >= k->now_ns + 1000000000ull)
		return;
	b->unit = k->now + 1;
}

static void tally_flush_all(struct tm_coll *c, struct tm_proc *p, struct batch *b)
{
	for (unsigned i = 0; i < TM_TALLY; i++)
		if (b->t[i].tag)
			tm_model_tally_flush(c, p, b->unit - 1, &b->t[i]);
}

/* What rp's call took from its arguments, when its symbol's records carry
 * it in a TM_ST_ARG record right after (next: NULL at the ring's head): 1
 * if next is that record, taken with the call. */
static int arg_rec(const struct tm_record *next, uint32_t sym, uint64_t *bytes, int64_t *group)
{
	if (!next)
		return 0;
	const uint64_t meta = __atomic_load_n(&next->dur_meta, __ATOMIC_RELAXED);
	if (((meta >> 48) & 0x3f) != TM_ST_ARG ||
	    __atomic_load_n(&next->sym, __ATOMIC_RELAXED) != sym)
		return 0;
	int64_t v = __atomic_load_n(&next->value, __ATOMIC_RELAXED);
	*bytes = v > 0 ? tm_call_bytes((uint64_t)v) : 0;
	*group = (int64_t)__atomic_load_n(&next->start, __ATOMIC_RELAXED);
	return 1;
}

/* One record into the model (next: the record after it, or NULL): the
 * number of records taken, 1, or 2 with the call's bytes. Its fields are
 * read once each (a producer may be rewriting the slot: what is checked
 * is what is used). */
static __attribute__((noinline)) unsigned apply_slow(struct tm_coll *c, struct tm_proc *p,
						     const struct tm_record *rp,
						     const struct tm_record *next, struct batch *b)
{
	const uint64_t start = __atomic_load_n(&rp->start, __ATOMIC_RELAXED);
	const uint64_t meta = __atomic_load_n(&rp->dur_meta, __ATOMIC_RELAXED);
	const uint32_t sym = __atomic_load_n(&rp->sym, __ATOMIC_RELAXED);
	const uint32_t caller = __atomic_load_n(&rp->caller, __ATOMIC_RELAXED);
	const uint64_t dur = meta & TM_DUR_MASK;
	const unsigned status = (unsigned)(meta >> 48) & 0x3f;
	const int timed = !((meta >> 48) & TM_ST_UNTIMED);
	if (__builtin_expect(sym >= p->npsyms, 0)) {
		tm_proc_sync_syms(c, p, 0);
		if (sym >= p->npsyms) {
			p->closs[TM_CLOSS_CORRUPT]++;
			if (b->ct)
				tm_cthr_lost(c, b->ct);
			return 1;
		}
	}
	/* a bytes record is taken with its call: one alone is corrupt (or
	 * its call was skipped as such) */
	if (__builtin_expect(status >= TM_ST_COUNT || status == TM_ST_ARG, 0)) {
		p->closs[TM_CLOSS_CORRUPT]++;
		if (b->ct)
			tm_cthr_lost(c, b->ct);
		return 1;
	}
	struct tm_psym *ps = &p->psyms[sym];
	uint64_t ns = !timed ? 0
		      : b->mono
			      ? dur
			      : (uint64_t)(((unsigned __int128)dur * b->mult + (1ull << 31)) >> 32);
	if (__builtin_expect(ps->internal, 0)) {
		if (timed && status == TM_ST_NORULE && ns <= TM_FLOOR_MAX_NS &&
		    p->nfloor < TM_FLOOR_SAMPLES) {
			p->floor_samples[p->nfloor++] = ns;
			p->floor_dirty = 1;
			c->floor_dirty = 1;
			b->floor = floor_of(c, p); /* the probe runs first: later records see it */
		}
		return 1;
	}
	/* integers only: a double conversion here was a visible share of the
	 * drain; durations are below 2^56 ticks (TM_DUR_MASK), and the sums
	 * are doubles, written saturated. A total near TM_COUNT_MAX can only
	 * come from a fold, which raises c->high. */
	if (__builtin_expect(c->high, 0) &&
	    (c->syms[ps->gsym].calls >= TM_COUNT_MAX || p->calls >= TM_COUNT_MAX)) {
		p->closs[TM_CLOSS_CORRUPT]++; /* would overflow a total */
		if (b->ct)
			tm_cthr_lost(c, b->ct);
		return 1;
	}
	const uint64_t net = ns > b->floor ? ns - b->floor : 0;
	struct tm_call k = {
		.dur_ns = net,
		.timed = timed,
		.status = status,
		.value = __atomic_load_n(&rp->value, __ATOMIC_RELAXED),
		.err = __atomic_load_n(&rp->err, __ATOMIC_RELAXED),
		.caller1 = caller == TM_NO_SYM ? 0 : caller + 1,
	};
	if (!timed) {
		k.end_ns = b->now;
		k.unit = b->now_unit;
	} else if (b->unit && start + dur - b->lo < b->n) {
		k.unit = b->unit; /* returned in the current second, surely */
	} else {
		k.end_ns = end_mono(c, p, start, dur);
	}
	unsigned taken = 1;
	if (__builtin_expect(ps->argrec, 0)) {
		uint64_t bytes = 0;
		int64_t group = 0;
		if (arg_rec(next, sym, &bytes, &group)) {
			taken = 2;
			k.has_group = ps->group != 0;
			k.group = group;
		}
		/* a failed call moved nothing (its record has 0) */
		if (status == TM_ST_OK || status == TM_ST_NORULE) {
			k.argrec = 1;
			k.bytes = bytes;
		}
	}
	tm_model_call_inline(c, p, sym, &k);
	b->t[sym % TM_TALLY].open = 0; /* its histogram may have moved */
	if (b->ct)
		tm_calls_rec(c, p, b->ct, sym, caller, (unsigned)(meta >> 56), net, timed,
			     status == TM_ST_FAILED || status == TM_ST_EXCEPTION);
	if (__builtin_expect(c->trace != NULL, 0)) {
		/* raw times (no floor taken off): nesting is kept exactly */
		if (timed)
			tm_trace_call(c->trace, p, b->tid, ps->gsym, status, (unsigned)(meta >> 56),
				      end_mono(c, p, start, 0), end_mono(c, p, start, dur));
		else
			tm_trace_count(c->trace, p->pid, b->now);
	}
	return taken;
}

/* Opens local symbol sym's lane (struct tm_tally, model/call.h) for the
 * fast way, flushing the entry's other function: NULL if sym's records
 * take the full way (a probe, a call with bytes records, return classes,
 * or its second's histogram not there yet). A drain takes at most
 * ring_cap records: a histogram total with that much room cannot
 * saturate in it, so the fast way does not check it per record. */
static __attribute__((noinline)) struct tm_tally *lane_open(struct tm_coll *c, struct tm_proc *p,
							    struct batch *b, uint32_t sym)
{
	const struct tm_psym *ps = &p->psyms[sym];
	if (ps->internal || ps->argrec)
		return NULL;
	const struct tm_sym *s = &c->syms[ps->gsym];
	const uint32_t u = b->unit - 1;
	const struct tm_wslot *f = &s->win.fsec[u % TM_WIN_FSECS];
	if (s->no_fast || f->unit != u + 1 || !f->h.c || f->h.count >= UINT32_MAX - 1 - p->ring_cap)
		return NULL;
	struct tm_tally *t = &b->t[sym % TM_TALLY];
	if (t->tag != sym + 1) {
		if (t->tag)
			tm_model_tally_flush(c, p, u, t);
		*t = (struct tm_tally){.tag = sym + 1, .min = UINT64_MAX};
	}
	t->open = 1;
	t->hc = f->h.c;
	t->hlo = (unsigned)f->h.lo * TM_WH_SUB;
	t->hn = (unsigned)f->h.n * TM_WH_SUB;
	t->gsym = ps->gsym;
	t->sizes = (s->flags & TM_RF_BYTES) != 0;
	t->slow_cut = s->slow_cut;
	return t;
}

/* The fast way: 1 if the record was taken, 0 if it is for apply_slow,
 * which reads and checks it again on its own (nothing of the record is
 * counted before the last check; opening its lane may flush another
 * function's tally, which changes no figure). */
static inline __attribute__((always_inline)) int apply_fast(struct tm_coll *c, struct tm_proc *p,
							    const struct tm_record *rp,
							    struct batch *b, const int mono)
{
	const uint64_t start = __atomic_load_n(&rp->start, __ATOMIC_RELAXED);
	const uint64_t meta = __atomic_load_n(&rp->dur_meta, __ATOMIC_RELAXED);
	const uint32_t sym = __atomic_load_n(&rp->sym, __ATOMIC_RELAXED);
	const uint64_t dur = meta & TM_DUR_MASK;
	/* the status with the untimed bit (and the depth), not the lap bit */
	const unsigned st = (unsigned)((meta & ~TM_REC_LAP) >> 48);
	if (sym >= p->npsyms || (st != TM_ST_OK && st != TM_ST_NORULE) ||
	    start + dur - b->lo >= b->n)
		return 0;
	struct tm_tally *t = &b->t[sym % TM_TALLY];
	if (__builtin_expect(t->tag != sym + 1 || !t->open, 0) && !(t = lane_open(c, p, b, sym)))
		return 0;
	uint64_t ns =
		mono ? dur : (uint64_t)(((unsigned __int128)dur * b->mult + (1ull << 31)) >> 32);
	const uint64_t net = ns > b->floor ? ns - b->floor : 0;
	const unsigned off = tm_wh_index(net) - t->hlo;
	if (__builtin_expect(off >= t->hn, 0))
		return 0;
	const uint32_t caller = __atomic_load_n(&rp->caller, __ATOMIC_RELAXED);
	tm_model_tally_call(c, p, t, off, net, st == TM_ST_OK, &rp->value, caller);
	if (b->ct && !tm_calls_top_inline(c, b->ct, sym, caller, (unsigned)(meta >> 56), net))
		tm_calls_rec(c, p, b->ct, sym, caller, (unsigned)(meta >> 56), net, 1, 0);
	return 1;
}

/* Records [rp, end), contiguous in the ring, the fast way: where it
 * stopped (end, or a record for apply_slow). One loop per clock kind, in
 * a function of its own: the loop keeps its values in registers. */
static __attribute__((noinline)) const struct tm_record *
fast_tsc(struct tm_coll *c, struct tm_proc *p, const struct tm_record *rp,
	 const struct tm_record *end, struct batch *b)
{
	while (rp != end && apply_fast(c, p, rp, b, 0))
		rp++;
	return rp;
}

static __attribute__((noinline)) const struct tm_record *
fast_mono(struct tm_coll *c, struct tm_proc *p, const struct tm_record *rp,
	  const struct tm_record *end, struct batch *b)
{
	while (rp != end && apply_fast(c, p, rp, b, 1))
		rp++;
	return rp;
}

/* The SPSC consumer side (producer in shim/hook.c):
 *
 *   head = load_acquire(thr->head)       (may lag: published every 16)
 *   if head is behind tail: head = tail  (records past it were taken)
 *   if head - tail > cap: corrupt; skip to head - cap
 *   while ring[head]'s lap bit is head's: head++   (past_head)
 *   for each i in [tail, head): copy ring[i & mask], validate, apply
 *   store_release(thr->tail, head)
 */
/* The records written past the published head (wire.h, "Publishing"):
 * the new head. Stops at the first slot without position h's lap bit, a
 * full ring, and — unless nothing more will be written (`final`: the
 * collector found the process or the slot's thread gone; what the
 * segment says of itself is not enough, an exiting process still runs
 * its atexit handlers) — before a record whose symbol may be followed by
 * a TM_ST_ARG record, or that is not known yet: the producer publishes
 * those pairs. */
static uint64_t past_head(struct tm_proc *p, const struct tm_record *ring, uint64_t tail,
			  uint64_t head, int final)
{
	const uint64_t cap = p->ring_cap;
	while (head - tail < cap && tm_rec_at(ring, head, cap)) {
		uint32_t sym = __atomic_load_n(&ring[head & (cap - 1)].sym, __ATOMIC_RELAXED);
		if (!final && (sym >= p->npsyms || p->psyms[sym].argrec))
			break;
		head++;
	}
	return head;
}

/* Calls of the thread that will never be seen as records (ring overflow,
 * counted untimed calls) since the last look: the call structure cannot
 * place them. Read before the ring's head (see drain_ring). */
static int calls_unseen(struct tm_proc *p, struct tm_thread *thr, struct tm_cthr *ct)
{
	int lost = 0;
	uint64_t epoch = atomic_load_explicit(&thr->acc_epoch, ACQ);
	if (epoch != ct->acc_epoch) {
		ct->acc_epoch = epoch;
		lost = 1;
	}
	if (p->counters && p->ncnt_syms) {
		const struct tm_cnt *cnt =
			(const void *)((char *)thr + tm_thr_cnt_off(p->stack_cap, p->max_syms));
		uint64_t n = 0;
		for (uint32_t k = 0; k < p->ncnt_syms; k++)
			if (p->cnt_syms[k] < p->max_syms)
				n += atomic_load_explicit(&cnt[p->cnt_syms[k]].calls, ACQ);
		if (n != ct->cnt_calls) {
			ct->cnt_calls = n;
			lost = 1;
		}
	}
	return lost;
}

static uint64_t drain_ring(struct tm_coll *c, struct tm_proc *p, uint32_t slot,
			   struct tm_thread *thr, int final)
{
	const struct tm_record *ring =
		(const void *)((char *)thr + tm_thr_ring_off(p->stack_cap, p->max_syms));
	uint64_t head = atomic_load_explicit(&thr->head, ACQ);
	uint64_t tail = atomic_load_explicit(&thr->tail, RLX);
	uint64_t mask = p->ring_cap - 1;
	if ((int64_t)(head - tail) < 0 && tail - head < TM_HEAD_EVERY + 2)
		head = tail; /* the last drain took records past the published head */
	if (head - tail > p->ring_cap) {
		p->closs[TM_CLOSS_CORRUPT]++;
		tail = head - p->ring_cap;
	}
	head = past_head(p, ring, tail, head, final);
	if (head == tail)
		return 0;
	double fill = (double)(head - tail) / (double)p->ring_cap;
	if (fill > c->fill)
		c->fill = fill;
	/* Unseen calls read before the head: ones that happened before the
	 * previous drain freed the ring precede these records, later ones
	 * (the ring full again) follow them: the structure is restarted on
	 * both sides (model/calls.h) */
	struct tm_cthr *ct = c->calls_on ? &p->cthr[slot] : NULL;
	int unseen = 0;
	if (ct) {
		uint32_t gen = atomic_load_explicit(&thr->gen, RLX);
		if (gen != ct->gen)
			tm_cthr_reset(ct, gen);
		if ((unseen = calls_unseen(p, thr, ct)))
			tm_cthr_lost(c, ct);
	}
	struct batch b;
	batch_init(c, p, &b, tm_mono_ns());
	b.ct = ct;
	b.tid = atomic_load_explicit(&thr->tid, RLX);
	/* i advances by the records apply_slow took (a call and its bytes).
	 * The tail is published every eighth of the ring, not only at the
	 * end: a thread whose ring was full gets room while the rest is
	 * still being read, instead of folding every call for the whole
	 * drain. A pair may end one record past its part; the next part
	 * starts after it. Positions compare by their distance (they are
	 * free-running, and a foreign tail may have wrapped). */
	int fast = b.unit && !c->high && !c->trace; /* --trace: every record the slow way */
	uint64_t part = p->ring_cap >= 8 ? p->ring_cap / 8 : 1;
	for (uint64_t i = tail; (int64_t)(head - i) > 0;) {
		uint64_t end = head - i > part ? i + part : head;
		if (fast) {
			while ((int64_t)(end - i) > 0) {
				/* up to the ring's end, then from its start */
				const uint64_t run = end - i < p->ring_cap - (i & mask)
							     ? end - i
							     : p->ring_cap - (i & mask);
				const struct tm_record *rp = &ring[i & mask];
				const struct tm_record *stop =
					b.mono ? fast_mono(c, p, rp, rp + run, &b)
					       : fast_tsc(c, p, rp, rp + run, &b);
				i += (uint64_t)(stop - rp);
				if (stop != rp + run)
					i += apply_slow(
						c, p, stop,
						i + 1 != head ? &ring[(i + 1) & mask] : NULL, &b);
			}
		} else {
			for (; (int64_t)(end - i) > 0; i++)
				i += apply_slow(c, p, &ring[i & mask],
						i + 1 != head ? &ring[(i + 1) & mask] : NULL, &b) -
				     1;
		}
		if (i != head)
			atomic_store_explicit(&thr->tail, i, REL);
	}
	tally_flush_all(c, p, &b);
	if (unseen)
		tm_cthr_lost(c, ct);
	atomic_store_explicit(&thr->tail, head, REL);
	return head - tail;
}

/* A delta of a monotonic counter: 0 and *bad if it went backwards; more
 * than `max` in one fold is not a count but a corrupt value (*absurd):
 * taken in as seen, so it is rejected once, and never folded. */
static uint64_t delta_max(_Atomic uint64_t *now, _Atomic uint64_t *seen, uint64_t max, int *bad,
			  int *absurd)
{
	uint64_t n = atomic_load_explicit(now, RLX), s = atomic_load_explicit(seen, RLX);
	if (n < s) {
		*bad = 1;
		return 0;
	}
	atomic_store_explicit(seen, n, RLX);
	if (n - s > max) {
		*absurd = 1;
		return 0;
	}
	return n - s;
}

static uint64_t acc_delta(_Atomic uint64_t *now, _Atomic uint64_t *seen, int *bad, int *absurd)
{
	return delta_max(now, seen, TM_DELTA_MAX, bad, absurd);
}

/* A bytes counter's delta: what a function's rule calls bytes is its
 * return value, and a value no transfer has (a counter wrapped, or more
 * than TM_DELTA_MAX at once) loses those bytes (*bad), never the calls
 * folded with them; taken in as seen either way. */
static uint64_t bytes_delta(_Atomic uint64_t *now, _Atomic uint64_t *seen, int *bad)
{
	uint64_t n = atomic_load_explicit(now, RLX), s = atomic_load_explicit(seen, RLX);
	atomic_store_explicit(seen, n, RLX);
	if (n < s || n - s > TM_DELTA_MAX) {
		*bad = 1;
		return 0;
	}
	return n - s;
}

static int over(uint64_t total, uint64_t add)
{
	return add > TM_COUNT_MAX || total > TM_COUNT_MAX - add;
}

/* Whether folding f keeps every total it touches (the symbol's, the
 * process's, the per-process symbol's) within TM_COUNT_MAX: a hostile
 * segment adding just under TM_DELTA_MAX on every pass must not wrap a
 * count, or push a total past what JSON's int64 holds. */
static int fold_fits(const struct tm_coll *c, const struct tm_proc *p, uint32_t lsym,
		     const struct tm_fold *f)
{
	const struct tm_psym *ps = &p->psyms[lsym];
	const struct tm_sym *s = &c->syms[ps->gsym];
	uint64_t errs = 0;
	for (uint32_t i = 0; i < f->ne; i++)
		errs += f->e[i].n;
	return !(over(s->calls, f->calls) || over(p->calls, f->calls) || over(s->ok, f->ok) ||
		 over(s->failed, f->failed) || over(p->failed, f->failed) ||
		 over(s->unwound, f->unwound) || over(s->unfinished, f->unfinished) ||
		 over(s->timed, f->timed_calls) || over(s->failed, errs) || !(f->sum_ns >= 0) ||
		 s->sum_ns + f->sum_ns > (double)TM_COUNT_MAX);
}

/* Folds f, or counts it as corrupt when it would overflow a total. */
static void fold(struct tm_coll *c, struct tm_proc *p, uint32_t lsym, const struct tm_fold *f)
{
	if (!fold_fits(c, p, lsym, f)) {
		p->closs[TM_CLOSS_CORRUPT]++;
		return;
	}
	tm_model_fold(c, p, lsym, f);
	if (c->syms[p->psyms[lsym].gsym].calls > TM_COUNT_HIGH || p->calls > TM_COUNT_HIGH)
		c->high = 1;
}

/* Folds what accumulator `a` gained since `seen` into the model. */
static void fold_acc(struct tm_coll *c, struct tm_proc *p, uint32_t lsym, struct tm_acc *a,
		     struct tm_acc *seen)
{
	struct tm_psym *ps = &p->psyms[lsym];
	/* Each field is monotonic and folded on its own: the producer may be
	 * between two field updates, and the next pass picks up the rest. */
	int bad = 0, absurd = 0;
	struct tm_fold f = {.via = TM_VIA_ACC};
	f.calls = acc_delta(&a->calls, &seen->calls, &bad, &absurd);
	uint64_t untimed = acc_delta(&a->untimed, &seen->untimed, &bad, &absurd);
	if (ps->internal) { /* the probe's overflow: keep the folded values, nothing more */
		memcpy(seen, a, sizeof(*seen));
		return;
	}
	uint64_t floor = floor_of(c, p);
	f.timed_calls = f.calls >= untimed ? f.calls - untimed : 0;
	f.ok = acc_delta(&a->ok, &seen->ok, &bad, &absurd);
	f.failed = acc_delta(&a->failed, &seen->failed, &bad, &absurd);
	/* durations: up to TM_SUM_TICKS_MAX ticks in one pass */
	double sum = (double)ticks_to_ns(
		c, p, delta_max(&a->sum, &seen->sum, TM_SUM_TICKS_MAX, &bad, &absurd));
	double fl = (double)floor * (double)f.timed_calls;
	f.sum_ns = sum > fl ? sum - fl : 0;
	f.unwound = acc_delta(&a->abnormal, &seen->abnormal, &bad, &absurd);
	f.bytes = bytes_delta(&a->bytes, &seen->bytes, &bad);

	uint64_t mn = atomic_load_explicit(&a->min, RLX), mx = atomic_load_explicit(&a->max, RLX);
	if (mn > TM_SUM_TICKS_MAX || mx > TM_SUM_TICKS_MAX)
		absurd = 1; /* no call lasts that long: the accumulator is corrupt */
	if (f.calls && mn) {
		f.minmax = 1;
		f.min_ns = net_ns(c, p, ticks_to_ns(c, p, mn - 1));
		f.max_ns = net_ns(c, p, ticks_to_ns(c, p, mx));
	}
	for (unsigned b = 0; b < TM_ACC_BUCKETS; b++) {
		uint32_t n = atomic_load_explicit(&a->hist[b], RLX);
		uint32_t sn = atomic_load_explicit(&seen->hist[b], RLX);
		if (n == sn)
			continue;
		atomic_store_explicit(&seen->hist[b], n, RLX);
		/* representative: the middle of [2^b, 2^(b+1)) ticks */
		uint64_t rep = b == 0 ? 1 : (3ull << b) / 2;
		f.d[f.nd].ns = net_ns(c, p, ticks_to_ns(c, p, rep));
		f.d[f.nd++].n = (uint32_t)(n - sn);
	}
	for (unsigned e = 0; e < TM_ACC_ERRS; e++) {
		int32_t code = atomic_load_explicit(&a->errs[e].code, ACQ);
		uint32_t n = atomic_load_explicit(&a->errs[e].count, ACQ);
		uint32_t sn = atomic_load_explicit(&seen->errs[e].count, RLX);
		if (!code || n == sn)
			continue;
		atomic_store_explicit(&seen->errs[e].count, n, RLX);
		f.e[f.ne].code = code;
		f.e[f.ne++].n = (uint32_t)(n - sn);
	}
	uint64_t other = acc_delta(&a->errs_other, &seen->errs_other, &bad, &absurd);
	if (other) {
		f.e[f.ne].code = INT32_MIN;
		f.e[f.ne++].n = other;
	}
	if (bad || absurd)
		p->closs[TM_CLOSS_CORRUPT]++;
	if (!absurd) /* every delta was taken in as seen: an absurd one is dropped once */
		fold(c, p, lsym, &f);
}

static void drain_acc(struct tm_coll *c, struct tm_proc *p, uint32_t i, struct tm_thread *thr)
{
	uint64_t epoch = atomic_load_explicit(&thr->acc_epoch, ACQ);
	if (epoch == p->thr_epoch[i])
		return;
	p->thr_epoch[i] = epoch;
	char *base = (char *)thr;
	const _Atomic uint8_t *used = (const void *)(base + tm_thr_used_off(p->stack_cap));
	struct tm_acc *acc = (void *)(base + tm_thr_acc_off(p->stack_cap, p->max_syms));
	struct tm_acc *seen = (void *)(base + tm_thr_seen_off(p->stack_cap, p->max_syms));
	tm_proc_sync_syms(c, p, 0);
	for (uint32_t s = 0; s < p->npsyms; s++)
		if (atomic_load_explicit(&used[s], RLX))
			fold_acc(c, p, s, &acc[s], &seen[s]);
}

/* Untimed calls of sampled and count-only symbols: per-thread counters,
 * folded by difference like the accumulators. */
static void drain_cnt(struct tm_coll *c, struct tm_proc *p, struct tm_thread *thr)
{
	if (!p->counters || !p->ncnt_syms)
		return;
	char *base = (char *)thr;
	struct tm_cnt *cnt = (void *)(base + tm_thr_cnt_off(p->stack_cap, p->max_syms));
	struct tm_cnt *seen = (void *)(base + tm_thr_cseen_off(p->stack_cap, p->max_syms));
	for (uint32_t k = 0; k < p->ncnt_syms; k++) {
		uint32_t ls = p->cnt_syms[k];
		if (ls >= p->npsyms || ls >= p->max_syms)
			continue;
		/* the shim bumps calls before ok: reading ok first (acquire)
		 * never sees an ok whose call is missing */
		uint64_t okn = atomic_load_explicit(&cnt[ls].ok, ACQ);
		uint64_t callsn = atomic_load_explicit(&cnt[ls].calls, ACQ);
		uint64_t oks = atomic_load_explicit(&seen[ls].ok, RLX);
		uint64_t callss = atomic_load_explicit(&seen[ls].calls, RLX);
		if (okn < oks || callsn < callss) {
			p->closs[TM_CLOSS_CORRUPT]++;
			continue;
		}
		if (okn == oks && callsn == callss)
			continue;
		atomic_store_explicit(&seen[ls].ok, okn, RLX);
		atomic_store_explicit(&seen[ls].calls, callsn, RLX);
		struct tm_fold f = {.via = TM_VIA_CNT};
		f.calls = callsn - callss;
		f.ok = okn - oks;
		int bad = 0;
		f.bytes = bytes_delta(&cnt[ls].bytes, &seen[ls].bytes, &bad);
		if (bad)
			p->closs[TM_CLOSS_CORRUPT]++;
		if (f.calls > TM_DELTA_MAX || f.ok > TM_DELTA_MAX) {
			p->closs[TM_CLOSS_CORRUPT]++; /* taken in as seen: rejected once */
			continue;
		}
		fold(c, p, ls, &f);
	}
}

/* Adds a loss counter's delta, or counts it as corrupt if it is absurd. */
static void add_loss(struct tm_proc *p, unsigned k, uint64_t d)
{
	if (d > TM_DELTA_MAX || over(p->loss[k], d))
		p->closs[TM_CLOSS_CORRUPT]++;
	else
		p->loss[k] += d;
}

static void drain_loss(struct tm_proc *p, uint32_t i, struct tm_thread *thr)
{
	uint64_t *seen = &p->thr_loss_seen[(size_t)i * TM_LOSS_COUNT];
	for (unsigned k = 0; k < TM_LOSS_COUNT; k++) {
		uint64_t v = atomic_load_explicit(&thr->loss[k], RLX);
		if (v > seen[k]) {
			add_loss(p, k, v - seen[k]);
			seen[k] = v;
		}
	}
}

void tm_proc_header_loss(struct tm_proc *p)
{
	for (unsigned k = 0; k < TM_LOSS_COUNT; k++)
		add_loss(p, k, atomic_load_explicit(&p->h->loss[k], RLX));
}

/* Slots [0, hwm) have ever been claimed; hwm is clamped, never trusted. */
static uint32_t proc_hwm(const struct tm_proc *p)
{
	uint32_t hwm = atomic_load_explicit(&p->h->threads_hwm, ACQ);
	return hwm > p->max_threads ? p->max_threads : hwm;
}

static uint64_t drain_slot(struct tm_coll *c, struct tm_proc *p, uint32_t i, int final)
{
	struct tm_thread *thr = thr_at(p, i);
	uint64_t n = i < p->max_threads ? drain_ring(c, p, i, thr, final) : 0;
	drain_acc(c, p, i, thr);
	drain_cnt(c, p, thr);
	drain_loss(p, i, thr);
	return n;
}

uint64_t tm_proc_drain(struct tm_coll *c, struct tm_proc *p)
{
	rate(c);
	if (!p->attached)
		return 0;
	tm_proc_sync_syms(c, p, 0);
	uint64_t n = 0;
	for (uint32_t i = 0, hwm = proc_hwm(p); i < hwm; i++)
		n += drain_slot(c, p, i, p->gone);
	n += drain_slot(c, p, p->max_threads, p->gone); /* the shared slot */
	uint32_t misses = atomic_load_explicit(&p->h->slot_misses, RLX);
	if (misses != p->slot_misses) { /* threads are waiting for slots */
		p->slot_misses = misses;
		tm_proc_retire_threads(c, p);
	}
	return n;
}

/* Returns a drained slot to FREE with every counter zeroed, so the next
 * thread to claim it starts clean. Only for slots whose thread is gone. */
static void free_slot(struct tm_coll *c, struct tm_proc *p, uint32_t i)
{
	struct tm_thread *thr = thr_at(p, i);
	drain_slot(c, p, i, 1); /* its thread is gone */
	char *base = (char *)thr;
	_Atomic uint8_t *used = (void *)(base + tm_thr_used_off(p->stack_cap));
	struct tm_acc *acc = (void *)(base + tm_thr_acc_off(p->stack_cap, p->max_syms));
	struct tm_acc *seen = (void *)(base + tm_thr_seen_off(p->stack_cap, p->max_syms));
	for (uint32_t s = 0; s < p->max_syms; s++) {
		if (!atomic_load_explicit(&used[s], RLX))
			continue;
		memset(&acc[s], 0, sizeof(acc[s]));
		memset(&seen[s], 0, sizeof(seen[s]));
		atomic_store_explicit(&used[s], 0, RLX);
	}
	if (p->counters) {
		uint64_t off = tm_thr_cnt_off(p->stack_cap, p->max_syms);
		memset(base + off, 0, 2 * (size_t)p->max_syms * sizeof(struct tm_cnt));
	}
	/* the next owner starts at position 0 again: its ring must read as
	 * zeros, or a record left from here with a position's lap bit would
	 * be taken as new (wire.h, "Publishing"). The whole ring's pages are
	 * given back (holes cost nothing); where the file system cannot, what
	 * lies below the tail is cleared (written, so backed: the final drain
	 * just took everything there was). */
	char *ring = base + tm_thr_ring_off(p->stack_cap, p->max_syms);
	if (madvise(ring, (size_t)p->ring_cap * sizeof(struct tm_record), MADV_REMOVE) < 0) {
		uint64_t wrote = atomic_load_explicit(&thr->tail, RLX);
		memset(ring, 0,
		       (size_t)(wrote < p->ring_cap ? wrote : p->ring_cap) *
			       sizeof(struct tm_record));
	}
	atomic_store_explicit(&thr->head, 0, RLX);
	atomic_store_explicit(&thr->tail, 0, RLX);
	atomic_store_explicit(&thr->live_depth, 0, RLX);
	atomic_store_explicit(&thr->acc_epoch, 0, RLX);
	for (unsigned k = 0; k < TM_LOSS_COUNT; k++)
		atomic_store_explicit(&thr->loss[k], 0, RLX);
	memset(&p->thr_loss_seen[(size_t)i * TM_LOSS_COUNT], 0, TM_LOSS_COUNT * sizeof(uint64_t));
	p->thr_epoch[i] = 0;
	tm_cthr_reset(&p->cthr[i], 0);
	atomic_store_explicit(&thr->state, TM_THR_FREE, REL);
}

/* Counts the calls still open on a thread's shadow stack: as unfinished
 * (the process is gone) or as unwound (the thread exited inside them). */
static void count_open_calls(struct tm_coll *c, struct tm_proc *p, struct tm_thread *thr,
			     int unfinished)
{
	uint32_t d = atomic_load_explicit(&thr->live_depth, ACQ);
	const struct tm_live *live = (const void *)((char *)thr + tm_thr_live_off());
	for (uint32_t k = 0; k < d && k < p->stack_cap; k++) {
		uint32_t ls = live[k].sym;
		if (ls == TM_NO_SYM)
			continue; /* a fork child's frame of its parent's call */
		if (ls >= p->npsyms) {
			p->closs[TM_CLOSS_CORRUPT]++;
			continue;
		}
		if (p->psyms[ls].internal)
			continue;
		/* a call that started is a call, even if it never returned */
		struct tm_fold f = {.via = TM_VIA_OPEN, .calls = 1};
		if (unfinished)
			f.unfinished = 1;
		else
			f.unwound = 1;
		fold(c, p, ls, &f);
	}
}

/* Frees the slots of threads that have exited, so new threads reuse them. */
void tm_proc_retire_threads(struct tm_coll *c, struct tm_proc *p)
{
	rate(c);
	for (uint32_t i = 0, hwm = proc_hwm(p); i < hwm; i++) {
		struct tm_thread *thr = thr_at(p, i);
		if (atomic_load_explicit(&thr->state, ACQ) != TM_THR_ACTIVE)
			continue;
		int32_t tid = atomic_load_explicit(&thr->tid, RLX);
		if (tid <= 0 || tm_procfs_alive(p->pid, tid))
			continue;
		count_open_calls(c, p, thr, 0);
		free_slot(c, p, i);
	}
}

/* Counts the calls still open in a process that is gone. */
void tm_proc_unfinished(struct tm_coll *c, struct tm_proc *p)
{
	rate(c);
	for (uint32_t i = 0, hwm = proc_hwm(p); i < hwm; i++) {
		struct tm_thread *thr = thr_at(p, i);
		if (atomic_load_explicit(&thr->state, ACQ) == TM_THR_ACTIVE)
			count_open_calls(c, p, thr, 1);
	}
}

static uint64_t now_ticks(const struct tm_proc *p, uint64_t now_mono)
{
	if (p->clock_kind == TM_CLOCK_MONO)
		return now_mono;
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static void note_stuck(struct tm_coll *c, uint32_t gsym, const struct tm_proc *p, int32_t tid,
		       uint64_t age, uint64_t now_mono)
{
	/* a tid the segment says is not one (<= 0) is reported as 0 */
	struct tm_stuck e = {gsym, p->pid, tid > 0 ? tid : 0, now_mono > age ? now_mono - age : 0,
			     age};
	size_t i = c->nstuck;
	if (i == TM_STUCK_MAX) {
		c->stuck_more++;
		if (age <= c->stuck[i - 1].age_ns)
			return;
		i--; /* the youngest listed makes room */
	} else {
		c->nstuck++;
	}
	for (; i > 0 && c->stuck[i - 1].age_ns < age; i--)
		c->stuck[i] = c->stuck[i - 1];
	c->stuck[i] = e;
}

/* The shadow stacks as the shim mirrors them: entries [0, live_depth) of
 * each active slot. Depth and symbol ids are bounded before use; an
 * untimed frame (start 0) is in flight but has no age; an age from a
 * start in the future is 0. */
void tm_proc_inflight(struct tm_coll *c, struct tm_proc *p, uint64_t now_mono)
{
	rate(c);
	uint64_t now = now_ticks(p, now_mono);
	for (uint32_t i = 0, hwm = proc_hwm(p); i < hwm; i++) {
		struct tm_thread *thr = thr_at(p, i);
		if (atomic_load_explicit(&thr->state, ACQ) != TM_THR_ACTIVE)
			continue;
		int32_t tid = atomic_load_explicit(&thr->tid, RLX);
		uint32_t d = atomic_load_explicit(&thr->live_depth, ACQ);
		const struct tm_live *live = (const void *)((char *)thr + tm_thr_live_off());
		for (uint32_t k = 0; k < d && k < p->stack_cap; k++) {
			struct tm_live f;
			memcpy(&f, &live[k], sizeof(f));
			if (f.sym >= p->npsyms || p->psyms[f.sym].internal)
				continue;
			struct tm_sym *s = &c->syms[p->psyms[f.sym].gsym];
			s->in_flight++;
			if (!f.start)
				continue;
			uint64_t age = now > f.start ? ticks_to_ns(c, p, now - f.start) : 0;
			if (age > s->oldest_ns)
				s->oldest_ns = age;
			if (age > (s->slow_ns ? s->slow_ns : TM_STUCK_DEFAULT_NS))
				note_stuck(c, p->psyms[f.sym].gsym, p, tid, age, now_mono);
		}
	}
}
