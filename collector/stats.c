/* SPDX-License-Identifier: MIT */
/* Per-symbol statistics: the symbol table (by display name) and what one
 * call adds to it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"

int tm_coll_sym(struct tm_coll *c, const char *name)
{
	for (size_t i = 0; i < c->nsyms; i++)
		if (strcmp(c->syms[i].name, name) == 0)
			return (int)i;
	if (c->nsyms == c->capsyms) {
		size_t cap = c->capsyms ? c->capsyms * 2 : 64;
		struct tm_sym *n = realloc(c->syms, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		c->syms = n;
		c->capsyms = cap;
	}
	struct tm_sym *s = &c->syms[c->nsyms];
	memset(s, 0, sizeof(*s));
	strncpy(s->name, name, sizeof(s->name) - 1);
	s->min_ns = UINT64_MAX;
	return (int)c->nsyms++;
}

void tm_sym_errs_add(struct tm_sym *s, int32_t code, uint64_t n)
{
	for (size_t i = 0; i < s->nerrs; i++) {
		if (s->errs[i].code == code) {
			s->errs[i].count += n;
			return;
		}
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

void tm_sym_count(struct tm_sym *s, unsigned status, int64_t value, int32_t err)
{
	s->calls++;
	switch (status) {
	case TM_ST_OK:
		s->ok++;
		if ((s->flags & TM_RF_BYTES) && value > 0)
			s->bytes += (uint64_t)value;
		break;
	case TM_ST_FAILED:
		s->failed++;
		tm_sym_errs_add(s, err, 1);
		break;
	case TM_ST_NORULE: break;
	case TM_ST_EXCEPTION: s->exceptions++; break;
	default: s->unwound++; break;
	}
}

void tm_sym_record(struct tm_sym *s, uint64_t dur_ns, unsigned status, int64_t value, int32_t err)
{
	tm_sym_count(s, status, value, err);
	s->timed++;
	s->sum_ns += (double)dur_ns;
	s->sumsq_ns += (double)dur_ns * (double)dur_ns;
	if (dur_ns < s->min_ns)
		s->min_ns = dur_ns;
	if (dur_ns > s->max_ns)
		s->max_ns = dur_ns;
	tm_hist_add(&s->hist, dur_ns, 1);
}

void tm_sym_free(struct tm_sym *s)
{
	tm_hist_free(&s->hist);
	free(s->errs);
	s->errs = NULL;
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
