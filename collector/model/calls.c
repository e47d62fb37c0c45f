/* SPDX-License-Identifier: MIT */
/* Self time, edges and stacks from a thread's records in completion order
 * (model/calls.h). Depth and caller come from shared memory: every level is
 * bounded, every contradiction counted, nothing is followed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "model/window.h"
#include "model/workflow.h"

#define EHASH (2 * TM_EDGES_MAX)
#define NHASH (2 * TM_STACK_NODES)

int tm_calls_init(struct tm_calls *m)
{
	if (m->edges)
		return 0;
	m->edges = calloc(TM_EDGES_MAX, sizeof(*m->edges));
	m->ehash = calloc(EHASH, sizeof(*m->ehash));
	m->nodes = calloc(TM_STACK_NODES, sizeof(*m->nodes));
	m->nhash = calloc(NHASH, sizeof(*m->nhash));
	if (!m->edges || !m->ehash || !m->nodes || !m->nhash) {
		tm_calls_free(m);
		return -ENOMEM;
	}
	return 0;
}

void tm_calls_free(struct tm_calls *m)
{
	if (m->edges)
		for (uint32_t i = 0; i < m->nedges; i++)
			tm_hist_free(&m->edges[i].hist);
	free(m->edges);
	free(m->ehash);
	free(m->nodes);
	free(m->nhash);
	m->edges = NULL;
	m->ehash = m->nhash = NULL;
	m->nodes = NULL;
	m->nedges = m->nnodes = 0;
}

static uint32_t mix(uint32_t a, uint32_t b)
{
	uint64_t k = ((uint64_t)a << 32 | b) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(k >> 40);
}

/* The edge caller1 -> callee, made on first use; NULL past TM_EDGES_MAX. */
static struct tm_edge *edge_of(struct tm_calls *m, uint32_t caller1, uint32_t callee)
{
	if (!m->edges && tm_calls_init(m) < 0)
		return NULL;
	uint32_t *slot = &m->ehash[mix(caller1, callee) & (EHASH - 1)];
	for (uint32_t i = *slot; i; i = m->edges[i - 1].hnext)
		if (m->edges[i - 1].callee == callee && m->edges[i - 1].caller1 == caller1)
			return &m->edges[i - 1];
	if (m->nedges >= TM_EDGES_MAX)
		return NULL;
	struct tm_edge *e = &m->edges[m->nedges++];
	e->caller1 = caller1;
	e->callee = callee;
	e->hnext = *slot;
	*slot = m->nedges;
	return e;
}

/* The node `sym` on top of `next`, made on first use; 0 past TM_STACK_NODES. */
static uint32_t node_of(struct tm_calls *m, uint32_t sym, uint32_t next)
{
	if (!m->nodes && tm_calls_init(m) < 0)
		return 0;
	uint32_t *slot = &m->nhash[mix(sym, next) & (NHASH - 1)];
	for (uint32_t i = *slot; i; i = m->nodes[i - 1].hnext)
		if (m->nodes[i - 1].sym == sym && m->nodes[i - 1].next == next)
			return i;
	if (m->nnodes >= TM_STACK_NODES)
		return 0;
	struct tm_snode *n = &m->nodes[m->nnodes++];
	n->sym = sym;
	n->next = next;
	n->hnext = *slot;
	*slot = m->nnodes;
	return m->nnodes;
}

static void drop(struct tm_calls *m, uint64_t calls, double self_ns)
{
	m->stacks_dropped += calls;
	m->stacks_dropped_ns += self_ns;
}

/* Adds weight to stack `node` pending at level l, or, at depth 0 (no
 * monitored caller: the stack is complete), to the node itself. */
static void pend_add(struct tm_calls *m, struct tm_clev *l, int top, uint32_t node, uint64_t calls,
		     double self_ns)
{
	if (!node) {
		drop(m, calls, self_ns);
		return;
	}
	if (top) {
		m->nodes[node - 1].calls += calls;
		m->nodes[node - 1].self_ns += self_ns;
		return;
	}
	for (unsigned i = 0; i < l->npend; i++)
		if (l->pend[i].node == node) {
			l->pend[i].calls += calls;
			l->pend[i].self_ns += self_ns;
			return;
		}
	if (l->npend >= TM_CALLS_PEND) {
		drop(m, calls, self_ns);
		return;
	}
	l->pend[l->npend++] = (struct tm_cpend){.node = node, .calls = calls, .self_ns = self_ns};
}

static void lev_clear(struct tm_calls *m, struct tm_clev *l, int drop_pending)
{
	if (drop_pending)
		for (unsigned i = 0; i < l->npend; i++)
			drop(m, l->pend[i].calls, l->pend[i].self_ns);
	l->child_ns = 0;
	l->parent1 = 0;
	l->inexact = 0;
	l->npend = 0;
}

/* Levels [0, n) exist; new ones start inexact on a thread that lost records
 * (a lost call there was never seen). */
static __attribute__((noinline)) int grow(struct tm_cthr *t, uint32_t n)
{
	uint32_t cap = t->nlev ? t->nlev : 8;
	while (cap < n)
		cap *= 2;
	if (cap > TM_CALLS_LEVELS + 1)
		cap = TM_CALLS_LEVELS + 1;
	if (cap < n)
		return -1;
	if (!t->cache && !(t->cache = calloc(TM_CALLS_CACHE, sizeof(*t->cache))))
		return -1;
	struct tm_clev *lev = realloc(t->lev, cap * sizeof(*lev));
	if (!lev)
		return -1;
	for (uint32_t i = t->nlev; i < cap; i++) {
		memset(&lev[i], 0, sizeof(lev[i]));
		lev[i].inexact = t->taint;
	}
	t->lev = lev;
	t->nlev = cap;
	return 0;
}

__attribute__((noinline, cold)) void tm_cthr_lost(struct tm_coll *c, struct tm_cthr *t)
{
	c->calls.resets++;
	t->taint = 1;
	tm_wf_lost(t);
	for (uint32_t i = 0; i < t->nlev; i++) {
		lev_clear(&c->calls, &t->lev[i], 1);
		t->lev[i].inexact = 1;
	}
}

void tm_cthr_reset(struct tm_cthr *t, uint32_t gen)
{
	tm_cthr_free(t);
	t->gen = gen;
}

void tm_cthr_free(struct tm_cthr *t)
{
	free(t->lev);
	free(t->cache);
	free(t->wlog);
	free(t->wsub);
	memset(t, 0, sizeof(*t));
}

/* One observation of v (bucket i); its group is nearly always there. */
static inline void hist1(struct tm_hist *h, uint64_t v, unsigned i)
{
	uint64_t *gp = h->group[i / TM_HIST_SUB];
	if (__builtin_expect(gp != NULL, 1)) {
		gp[i % TM_HIST_SUB]++;
		h->count++;
	} else {
		tm_hist_add(h, v, 1);
	}
}

/* Resolves a (callee, caller) pair of local ids into k; 0, or -1 when the
 * caller is not a symbol of the process (then k is left empty). */
static __attribute__((noinline)) int resolve(struct tm_coll *c, const struct tm_proc *p,
					     struct tm_ccache *k, uint32_t lsym, uint32_t caller)
{
	struct tm_calls *m = &c->calls;
	uint32_t caller1 = 0;
	k->tag = 0;
	if (caller != TM_NO_SYM) {
		/* TM_NO_SYM deeper than 0: a fork child's frame of its parent's call */
		if (caller >= p->npsyms || p->psyms[caller].internal)
			return -1;
		caller1 = p->psyms[caller].gsym + 1;
	}
	uint32_t g = p->psyms[lsym].gsym;
	k->g = g;
	k->s = &c->syms[g];
	k->e = edge_of(m, caller1, g);
	k->leaf = node_of(m, g, 0);
	k->caller1 = caller1;
	if (k->e && k->leaf)
		k->tag = (uint64_t)(lsym + 1) << 32 | caller;
	return 0;
}

static inline void edge_add(struct tm_calls *m, struct tm_edge *e, uint64_t ns, unsigned i,
			    int timed)
{
	if (!e) {
		m->edges_dropped++;
		return;
	}
	e->calls++;
	if (!timed)
		return;
	e->timed++;
	e->sum_ns += (double)(int64_t)ns;
	if (ns > e->max_ns)
		e->max_ns = ns;
	hist1(&e->hist, ns, i);
}

/* Pending stacks of the level below move up under g. */
static __attribute__((noinline)) void lift(struct tm_calls *m, struct tm_clev *cur,
					   struct tm_clev *kid, int top, uint32_t g)
{
	for (unsigned i = 0; i < kid->npend; i++)
		pend_add(m, cur, top, node_of(m, g, kid->pend[i].node), kid->pend[i].calls,
			 kid->pend[i].self_ns);
}

void tm_calls_rec(struct tm_coll *c, const struct tm_proc *p, struct tm_cthr *t, uint32_t lsym,
		  uint32_t caller, unsigned depth, uint64_t ns, int timed, int failed)
{
	struct tm_calls *m = &c->calls;
	if (__builtin_expect(depth >= TM_CALLS_LEVELS || depth >= p->stack_cap ||
				     (depth + 2 > t->nlev && grow(t, depth + 2) < 0),
			     0)) {
		/* the call itself still counts on its edge */
		struct tm_ccache one;
		if (resolve(c, p, &one, lsym, caller) < 0)
			resolve(c, p, &one, lsym, TM_NO_SYM);
		edge_add(m, one.e, ns, tm_wh_index(ns), timed);
		m->unplaced++;
		tm_cthr_lost(c, t);
		return;
	}
	struct tm_ccache *k = &t->cache[lsym % TM_CALLS_CACHE];
	int bad = depth == 0 && caller != TM_NO_SYM;
	if (__builtin_expect(k->tag != ((uint64_t)(lsym + 1) << 32 | caller), 0) &&
	    resolve(c, p, k, lsym, caller) < 0) {
		/* counted under no monitored caller; resolved again next time */
		bad = 1;
		resolve(c, p, k, lsym, TM_NO_SYM);
		k->tag = 0;
	}
	const unsigned ix = tm_wh_index(ns);
	edge_add(m, k->e, ns, ix, timed);
	struct tm_clev *cur = &t->lev[depth], *kid = &t->lev[depth + 1];
	int inexact = kid->inexact;
	if (__builtin_expect(bad || (kid->parent1 && kid->parent1 != lsym + 1), 0)) {
		/* the calls pending below were not this one's */
		m->mismatched++;
		inexact = 1;
	}
	double self = 0;
	if (__builtin_expect(timed, 1)) {
		struct tm_sym *s = k->s;
		uint64_t v = ns > kid->child_ns ? ns - kid->child_ns : 0;
		inexact |= kid->child_ns > ns;
		self = (double)(int64_t)v;
		s->self_ns += self;
		s->self_calls++;
		s->self_inexact += (unsigned)inexact;
		hist1(&s->self_hist, v, v == ns ? ix : tm_wh_index(v));
		cur->child_ns += ns;
	} else {
		cur->inexact = 1; /* its parent's self time is an upper bound */
	}
	/* siblings name one parent */
	if (depth > 0 && caller != TM_NO_SYM) {
		if (!cur->parent1) {
			cur->parent1 = caller + 1;
		} else if (cur->parent1 != caller + 1) {
			m->mismatched++;
			cur->inexact = 1;
		}
	}
	int top = depth == 0 || !k->caller1;
	pend_add(m, cur, top, k->leaf, 1, self);
	if (kid->npend)
		lift(m, cur, kid, top, k->g);
	if (kid->child_ns | kid->parent1 | kid->inexact)
		lev_clear(m, kid, 0);
	if (__builtin_expect(c->wf != NULL, 0))
		tm_wf_rec(c, t, k->g, depth, ns, timed, failed);
}

int tm_calls_stack_str(const struct tm_coll *c, uint32_t n, char *buf, size_t len)
{
	const struct tm_calls *m = &c->calls;
	size_t k = 0;
	for (unsigned hops = 0; n && n <= m->nnodes && hops <= TM_CALLS_LEVELS; hops++) {
		const struct tm_snode *x = &m->nodes[n - 1];
		const char *name = x->sym < c->nsyms ? c->syms[x->sym].name : "?";
		size_t l = strlen(name);
		if (k + l + 2 > len)
			return -1;
		if (k)
			buf[k++] = ';';
		memcpy(buf + k, name, l);
		k += l;
		n = x->next;
	}
	if (!len)
		return -1;
	buf[k] = '\0';
	return (int)k;
}
