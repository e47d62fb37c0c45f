/* SPDX-License-Identifier: MIT */
/* One call seen as a record: the ways a record changes the model, inline
 * so the drain's loop (drain.c) carries no call, no argument block and no
 * register save per record; tm_model_call (stats.c) is the same for
 * everyone else. The drain decodes and checks records; what they change
 * is written here only. */
#ifndef TM_MODEL_CALL_H
#define TM_MODEL_CALL_H

#include "collector.h"

static inline void tm_model_call_inline(struct tm_coll *c, struct tm_proc *p, uint32_t lsym,
					const struct tm_call *k)
{
	struct tm_psym *ps = &p->psyms[lsym];
	struct tm_sym *s = &c->syms[ps->gsym];
	uint32_t u = k->unit ? k->unit - 1 : tm_wclock_unit(&c->clock, k->end_ns);
	uint64_t ok = 0, failed = 0, bytes = 0, slow = 0;
	/* durations are below 2^62 (TM_COUNT_MAX): the signed conversion to
	 * double is one instruction, the unsigned one a branch and two */
	double d = (double)(int64_t)k->dur_ns;

	s->calls++;
	s->records++;
	/* the enclosing monitored call's time includes this one's */
	if (k->caller1 && k->caller1 <= p->npsyms && !p->psyms[k->caller1 - 1].internal)
		c->syms[p->psyms[k->caller1 - 1].gsym].inner_calls++;
	switch (k->status) {
	case TM_ST_OK:
		ok = 1;
		if (__builtin_expect(k->argrec, 0))
			bytes = k->bytes;
		else if ((s->flags & TM_RF_BYTES) && k->value > 0)
			bytes = tm_call_bytes((uint64_t)k->value);
		break;
	case TM_ST_FAILED:
		/* a code that is an outcome of its own (model/outcome.h): in
		 * calls, neither ok nor failed. Tested for failed calls only. */
		if (__builtin_expect(s->outc != NULL, 0)) {
			int o = tm_outc_of(s->outc, k->err);
			if (o >= 0) {
				tm_sym_outcome_add(s, (unsigned)o, k->err, 1);
				break;
			}
		}
		failed = 1;
		tm_sym_errs_add(s, k->err, 1);
		tm_win_err(&s->win, &c->clock, u, k->err, 1);
		break;
	case TM_ST_NORULE:
		bytes = k->argrec ? k->bytes : 0; /* not judged: what its arguments moved */
		break;
	case TM_ST_EXCEPTION: s->exceptions++; break;
	default: s->unwound++; break;
	}
	/* return classes (model/retclass.h): calls that returned a value;
	 * one left by an exception or a longjmp has none (unclassified) */
	if (__builtin_expect(s->no_fast, 0) && s->retc && k->status <= TM_ST_NORULE)
		tm_retc_call(s->retc, u, k->value);
	if (k->timed) {
		/* the whole-run histogram is not touched here: it takes each
		 * second's durations when the second is sealed (tm_win_seal) */
		s->timed++;
		s->sum_ns += d;
		s->sumsq_ns += d * d;
		if (k->dur_ns < s->min_ns)
			s->min_ns = k->dur_ns;
		if (k->dur_ns > s->max_ns)
			s->max_ns = k->dur_ns;
		slow = k->dur_ns > s->slow_cut;
	}
	s->ok += ok;
	s->failed += failed;
	s->bytes = tm_bytes_sum(s->bytes, bytes);
	if (bytes) {
		s->size_max = bytes > s->size_max ? bytes : s->size_max;
		if (tm_hist_add(&s->size_hist, bytes, 1) < 0)
			s->size_lost++;
	}
	s->slow += slow;
	tm_win_call(&s->win, u, k->timed, k->dur_ns, ok, failed, bytes, slow);
	if (__builtin_expect(k->has_group, 0))
		tm_groups_add(s, p->psyms[lsym].group, k->group, k->status == TM_ST_FAILED, bytes,
			      k->timed, k->dur_ns);
	ps->calls++;
	ps->ok += ok;
	ps->failed += failed;
	ps->sum_ns += d;
	p->calls++;
	p->failed += failed;
	p->records++;
}

/* The drain's fast way, the model's second way in: a timed call that
 * succeeded (or has no rule) and returned in the current second `u`,
 * whose duration's histogram counter is already there, is added to a
 * small per-drain tally of its function instead of the function's, the
 * process's and the second's totals; the tally goes into all of them
 * once, at the end of the ring (or when its entry is needed for another
 * function): tm_model_tally_flush. What it adds up is what
 * tm_model_call_inline adds for the same call.
 *
 * An entry is also its function's lane for the drain: where the second's
 * histogram counters are and what the call is judged by, looked up once
 * (drain.c, lane_open) instead of on every record. It holds no pointer
 * into the collector's tables, which move when symbols are added: only
 * the counter array, which moves when that function's histogram is
 * widened, and only by a call taken the full way, which closes the lane
 * (`open` 0). The histogram's total follows at the flush. */
#define TM_TALLY 64 /* entries, direct-mapped by local symbol */
struct tm_tally {
	uint32_t tag;	  /* 1 + local symbol; 0: free */
	uint32_t open;	  /* the lane below is good (drain.c) */
	uint32_t *hc;	  /* the second's histogram counters, from index hlo */
	uint32_t hlo, hn; /* hn counters */
	uint32_t gsym;	  /* the function, for rules with bytes */
	uint32_t sizes;	  /* its rule has bytes (TM_RF_BYTES) */
	uint64_t slow_cut;
	uint64_t calls, ok, bytes, slow, wsum, min, max;
	double sum, sumsq;
};

/* stats.c: out of line, as the drain's loop needs it rarely */
void tm_model_tally_flush(struct tm_coll *c, struct tm_proc *p, uint32_t u, struct tm_tally *t);

/* One call the fast way into its function's open lane t: net ns, index
 * `off` into the lane's counters (checked), ok or without a rule, value
 * where its return is (read only for rules with bytes: the record's, in
 * shared memory), caller the record's. */
static inline __attribute__((always_inline)) void
tm_model_tally_call(struct tm_coll *c, struct tm_proc *p, struct tm_tally *t, unsigned off,
		    uint64_t net, uint64_t ok, const int64_t *value, uint32_t caller)
{
	/* the enclosing monitored call's time includes this one's */
	if (__builtin_expect(caller != TM_NO_SYM, 0) && caller < p->npsyms &&
	    !p->psyms[caller].internal)
		c->syms[p->psyms[caller].gsym].inner_calls++;
	double d = (double)(int64_t)net;
	t->hc[off]++;
	t->calls++;
	t->ok += ok;
	if (__builtin_expect(ok && t->sizes, 0)) {
		struct tm_sym *s = &c->syms[t->gsym];
		int64_t v = __atomic_load_n(value, __ATOMIC_RELAXED);
		uint64_t b = v > 0 ? tm_call_bytes((uint64_t)v) : 0;
		if (b) {
			t->bytes = tm_bytes_sum(t->bytes, b);
			s->size_max = b > s->size_max ? b : s->size_max;
			if (tm_hist_add(&s->size_hist, b, 1) < 0)
				s->size_lost++;
		}
	}
	t->slow += net > t->slow_cut;
	t->wsum += net;
	t->sum += d;
	t->sumsq += d * d;
	t->min = net < t->min ? net : t->min;
	t->max = net > t->max ? net : t->max;
}

/* The call structure's commonest record (model/calls.c), inline: a call
 * with no monitored caller and nothing pending below it (no monitored call
 * inside it, or a flat profile of libc calls) whose (callee, caller) pair
 * is in the thread's cache. Its self time is its duration, its stack and
 * edge are its own. 1 if taken; 0: tm_calls_rec. */
static inline int tm_calls_top_inline(struct tm_coll *c, struct tm_cthr *t, uint32_t lsym,
				      uint32_t caller, unsigned depth, uint64_t ns)
{
	if ((depth | (caller ^ TM_NO_SYM)) || t->nlev < 2 || c->wf)
		return 0;
	const struct tm_ccache *k = &t->cache[lsym % TM_CALLS_CACHE];
	const struct tm_clev *kid = &t->lev[1];
	if (k->tag != ((uint64_t)(lsym + 1) << 32 | caller) ||
	    (kid->child_ns | kid->npend | kid->inexact | kid->parent1))
		return 0;
	unsigned i = tm_wh_index(ns);
	uint64_t *eg = k->e->hist.group[i / TM_HIST_SUB];
	uint64_t *sg = k->s->self_hist.group[i / TM_HIST_SUB];
	if (!eg || !sg)
		return 0;
	double d = (double)(int64_t)ns;
	struct tm_edge *e = k->e;
	struct tm_sym *s = k->s;
	struct tm_snode *n = &c->calls.nodes[k->leaf - 1];
	e->calls++;
	e->timed++;
	e->sum_ns += d;
	e->max_ns = ns > e->max_ns ? ns : e->max_ns;
	eg[i % TM_HIST_SUB]++;
	e->hist.count++;
	s->self_ns += d;
	s->self_calls++;
	sg[i % TM_HIST_SUB]++;
	s->self_hist.count++;
	n->calls++;
	n->self_ns += d;
	return 1;
}

#endif
