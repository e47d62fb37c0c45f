/* SPDX-License-Identifier: MIT */
/* Per-symbol statistics: the symbol table (by display name) and what one
 * call adds to it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "model/call.h"

/* The symbol table's hash: chains through tm_sym.hnext, the table grown
 * (doubled, rebuilt) to keep chains under two long on average, so looking
 * up a name costs the same with 100 symbols or 100 000. */
#define TM_SYMHASH_MIN 4096u

static uint32_t name_hash(uint32_t sess, const char *name)
{
	uint32_t h = 2166136261u ^ sess;
	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h;
}

static int symhash_grow(struct tm_coll *c)
{
	size_t cap = c->capsymhash ? c->capsymhash * 2 : TM_SYMHASH_MIN;
	uint32_t *t = calloc(cap, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < c->nsyms; i++) {
		uint32_t h = name_hash(c->syms[i].sess, c->syms[i].name) & (uint32_t)(cap - 1);
		c->syms[i].hnext = t[h];
		t[h] = (uint32_t)i + 1;
	}
	free(c->symhash);
	c->symhash = t;
	c->capsymhash = cap;
	return 0;
}

int tm_coll_sym(struct tm_coll *c, uint32_t sess, const char *name)
{
	if (!c->symhash && symhash_grow(c) < 0)
		return -ENOMEM;
	uint32_t h = name_hash(sess, name) & (uint32_t)(c->capsymhash - 1);
	for (uint32_t i = c->symhash[h]; i; i = c->syms[i - 1].hnext)
		if (c->syms[i - 1].sess == sess && strcmp(c->syms[i - 1].name, name) == 0)
			return (int)(i - 1);
	if (c->nsyms >= TM_MAX_FUNCS && strcmp(name, TM_OTHER_FUNCS) != 0)
		return tm_coll_sym(c, sess, TM_OTHER_FUNCS);
	if (c->nsyms == c->capsyms) {
		size_t cap = c->capsyms ? c->capsyms * 2 : 64;
		struct tm_sym *n = aligned_alloc(64, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		if (c->nsyms)
			memcpy(n, c->syms, c->nsyms * sizeof(*n));
		free(c->syms);
		c->syms = n;
		c->capsyms = cap;
	}
	struct tm_sym *s = &c->syms[c->nsyms];
	memset(s, 0, sizeof(*s));
	strncpy(s->name, name, sizeof(s->name) - 1);
	s->min_ns = UINT64_MAX;
	s->slow_cut = UINT64_MAX;
	s->sess = sess;
	c->nsyms++;
	if (c->nsyms > 2 * c->capsymhash) {
		if (symhash_grow(c) < 0) { /* keeps the old table: longer chains */
			s->hnext = c->symhash[h];
			c->symhash[h] = (uint32_t)c->nsyms;
		}
	} else {
		s->hnext = c->symhash[h];
		c->symhash[h] = (uint32_t)c->nsyms;
	}
	return (int)c->nsyms - 1;
}

/* Error codes by count. Past TM_SYM_ERRS distinct codes (a hostile or
 * broken segment can send any number) the rest count as other
 * (INT32_MIN), so the list and the time spent on it stay bounded. */
void tm_sym_errs_add(struct tm_sym *s, int32_t code, uint64_t n)
{
	for (size_t i = 0; i < s->nerrs; i++) {
		if (s->errs[i].code == code) {
			s->errs[i].count = s->errs[i].count + n < TM_COUNT_MAX
						   ? s->errs[i].count + n
						   : TM_COUNT_MAX;
			/* keep frequent codes near the front */
			if (i && s->errs[i].count > s->errs[i - 1].count) {
				struct tm_err_count t = s->errs[i - 1];
				s->errs[i - 1] = s->errs[i];
				s->errs[i] = t;
			}
			return;
		}
	}
	if (s->nerrs >= TM_SYM_ERRS && code != INT32_MIN) {
		tm_sym_errs_add(s, INT32_MIN, n);
		return;
	}
	if (s->nerrs == s->caperrs) {
		size_t cap = s->caperrs ? s->caperrs * 2 : 4;
		struct tm_err_count *e = realloc(s->errs, cap * sizeof(*e));
		if (!e)
			return;
		s->errs = e;
		s->caperrs = cap;
	}
	s->errs[s->nerrs].code = code;
	s->errs[s->nerrs].count = n;
	s->nerrs++;
}

/* A tally of the drain's fast way (model/call.h) into the totals. */
void tm_model_tally_flush(struct tm_coll *c, struct tm_proc *p, uint32_t u, struct tm_tally *t)
{
	struct tm_psym *ps = &p->psyms[t->tag - 1];
	struct tm_sym *s = &c->syms[ps->gsym];
	s->calls += t->calls;
	s->records += t->calls;
	s->timed += t->calls;
	s->ok += t->ok;
	s->bytes = tm_bytes_sum(s->bytes, t->bytes);
	s->slow += t->slow;
	s->sum_ns += t->sum;
	s->sumsq_ns += t->sumsq;
	if (t->min < s->min_ns)
		s->min_ns = t->min;
	if (t->max > s->max_ns)
		s->max_ns = t->max;
	tm_win_timed(&s->win, u, t->calls, t->ok, t->bytes, t->slow, t->calls, t->wsum);
	/* the lane bumped the counters, not their total (drain.c, lane_open:
	 * it has room for a whole ring) */
	struct tm_wslot *f = &s->win.fsec[u % TM_WIN_FSECS];
	if (f->unit == u + 1)
		f->h.count = f->h.count + t->calls > UINT32_MAX ? UINT32_MAX
								: (uint32_t)(f->h.count + t->calls);
	ps->calls += t->calls;
	ps->ok += t->ok;
	ps->sum_ns += t->sum;
	p->calls += t->calls;
	p->records += t->calls;
	c->drain_fast += t->calls;
	t->tag = 0;
}

void tm_model_call(struct tm_coll *c, struct tm_proc *p, uint32_t lsym, const struct tm_call *k)
{
	tm_model_call_inline(c, p, lsym, k);
}

/* An accumulator's error codes for a function with outcome codes: those
 * that are outcomes are counted there, the rest as failures (the "did not
 * fit" bucket, INT32_MIN, stays a failure: its codes are unknown). Returns
 * the failed calls of f that are failures. The shim bumps `failed` before
 * the code's count and the reader takes `failed` first, so a pass can see
 * an outcome code whose failed increment comes in the next one: that is
 * owed (ps->outc_debt) and taken off the next failed deltas, and the
 * totals stay exact. */
static uint64_t fold_outcomes(struct tm_coll *c, struct tm_sym *s, struct tm_psym *ps,
			      const struct tm_fold *f, uint32_t u)
{
	uint64_t moved = 0, failed = f->failed;
	for (uint32_t i = 0; i < f->ne; i++) {
		int o = tm_outc_of(s->outc, f->e[i].code);
		if (o >= 0) {
			tm_sym_outcome_add(s, (unsigned)o, f->e[i].code, f->e[i].n);
			moved += f->e[i].n;
			continue;
		}
		tm_sym_errs_add(s, f->e[i].code, f->e[i].n);
		tm_win_err(&s->win, &c->clock, u, f->e[i].code, f->e[i].n);
	}
	if (moved > failed) {
		/* bounded: a hostile segment's codes can run ahead for ever */
		uint64_t owe = moved - failed;
		ps->outc_debt =
			ps->outc_debt < TM_COUNT_MAX - owe ? ps->outc_debt + owe : TM_COUNT_MAX;
		return 0;
	}
	failed -= moved;
	uint64_t pay = failed < ps->outc_debt ? failed : ps->outc_debt;
	ps->outc_debt -= pay;
	return failed - pay;
}

/* Calls that arrive as counters (accumulator deltas, untimed counters,
 * calls still open when their thread or process went away): the other
 * way in. They count in the second they were seen. */
void tm_model_fold(struct tm_coll *c, struct tm_proc *p, uint32_t lsym, const struct tm_fold *f)
{
	struct tm_psym *ps = &p->psyms[lsym];
	struct tm_sym *s = &c->syms[ps->gsym];
	uint32_t u = c->clock.now >= c->clock.open ? c->clock.now : c->clock.open;
	uint64_t slow = 0;

	uint64_t failed = f->failed;
	int coded = s->outc && (f->ne || ps->outc_debt); /* codes taken by fold_outcomes */
	if (coded)
		failed = fold_outcomes(c, s, ps, f, u);
	s->calls += f->calls;
	s->ok += f->ok;
	s->failed += failed;
	s->unwound += f->unwound;
	s->unfinished += f->unfinished;
	s->bytes = tm_bytes_sum(s->bytes, f->bytes);
	if (f->via == TM_VIA_ACC)
		s->overflowed += f->calls;
	else if (f->via == TM_VIA_CNT)
		s->counted += f->calls;
	s->timed += f->timed_calls;
	s->sum_ns += f->sum_ns;
	if (f->minmax) {
		if (f->min_ns < s->min_ns)
			s->min_ns = f->min_ns;
		if (f->max_ns > s->max_ns)
			s->max_ns = f->max_ns;
	}
	for (uint32_t i = 0; i < f->nd; i++) {
		/* the sum is exact: only the histogram and the spread take the
		 * representative duration */
		s->sumsq_ns += (double)f->d[i].ns * (double)f->d[i].ns * (double)f->d[i].n;
		if (s->slow_ns && f->d[i].ns > s->slow_ns)
			slow += f->d[i].n;
		tm_win_dur(&s->win, &c->clock, u, f->d[i].ns, (uint32_t)f->d[i].n);
	}
	for (uint32_t i = 0; i < f->ne && !coded; i++) {
		tm_sym_errs_add(s, f->e[i].code, f->e[i].n);
		tm_win_err(&s->win, &c->clock, u, f->e[i].code, f->e[i].n);
	}
	s->slow += slow;
	tm_win_count(&s->win, &c->clock, u, f->calls, f->ok, failed, f->bytes, slow);
	ps->calls += f->calls;
	ps->ok += f->ok;
	ps->failed += failed;
	ps->sum_ns += f->sum_ns;
	p->calls += f->calls;
	p->failed += failed;
	if (f->via == TM_VIA_ACC)
		p->overflowed += f->calls;
}

void tm_groups_add(struct tm_sym *s, unsigned arg, int64_t value, int failed, uint64_t bytes,
		   int timed, uint64_t dur_ns)
{
	struct tm_groups *g = s->groups;
	if (!g && !(g = s->groups = calloc(1, sizeof(*g))))
		return; /* no memory: the call is in the totals, in no group */
	g->arg = (uint8_t)arg;
	struct tm_gent *e = NULL;
	for (uint32_t i = 0; i < g->n && !e; i++)
		if (g->e[i].value == value)
			e = &g->e[i];
	if (!e && g->n < TM_GROUPS) {
		e = &g->e[g->n++];
		e->value = value;
	}
	if (!e)
		e = &g->other;
	e->calls++;
	e->failed += failed != 0;
	e->bytes += bytes;
	if (timed) {
		e->timed++;
		e->sum_ns += (double)dur_ns;
	}
}

void tm_sym_free(struct tm_sym *s)
{
	free(s->groups);
	s->groups = NULL;
	tm_hist_free(&s->hist);
	tm_hist_free(&s->self_hist);
	tm_hist_free(&s->size_hist);
	tm_win_free(&s->win);
	free(s->errs);
	s->errs = NULL;
	free(s->outc);
	s->outc = NULL;
	free(s->outn);
	s->outn = NULL;
	free(s->retc);
	s->retc = NULL;
}

uint64_t tm_sym_quantile(const struct tm_sym *s, double q)
{
	uint64_t v = tm_hist_quantile(&s->hist, q);
	if (!s->timed)
		return 0;
	return v < s->min_ns ? s->min_ns : v > s->max_ns ? s->max_ns : v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t median_u64(const uint64_t *src, size_t n)
{
	uint64_t *v = malloc(n * sizeof(*v));
	if (!v)
		return src[0];
	memcpy(v, src, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_u64);
	uint64_t m = v[n / 2];
	free(v);
	return m;
}

uint64_t tm_proc_floor(struct tm_proc *p)
{
	if (p->floor_dirty && p->nfloor) {
		p->floor_ns = median_u64(p->floor_samples, p->nfloor);
		p->floor_dirty = 0;
	}
	return p->floor_ns;
}

uint64_t tm_coll_floor_now(const struct tm_coll *c)
{
	uint64_t *f = malloc((c->nprocs ? c->nprocs : 1) * sizeof(*f));
	size_t n = 0;
	if (!f)
		return 0;
	for (size_t i = 0; i < c->nprocs; i++)
		if (c->procs[i]->nfloor)
			f[n++] = median_u64(c->procs[i]->floor_samples, c->procs[i]->nfloor);
	uint64_t m = n ? median_u64(f, n) : 0;
	free(f);
	return m;
}

uint64_t tm_coll_floor(struct tm_coll *c)
{
	if (c->floor_dirty) {
		c->floor_ns = tm_coll_floor_now(c);
		c->floor_dirty = 0;
	}
	return c->floor_ns;
}

/* Moves the time axis to now: seconds past their grace are sealed in every
 * function's series. Called once per loop turn; cheap when no second
 * ended. */
void tm_model_tick(struct tm_coll *c, uint64_t now_ns)
{
	uint32_t open = c->clock.open;
	tm_calib_refine(c, now_ns);
	tm_wclock_advance(&c->clock, now_ns);
	if (c->clock.open == open)
		return;
	for (size_t i = 0; i < c->nsyms; i++)
		tm_win_seal(&c->syms[i].win, &c->clock, &c->syms[i].hist);
}
