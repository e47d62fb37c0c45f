/* SPDX-License-Identifier: MIT */
/* The call structure (model/calls.h) out: the summary's edges[], stacks[]
 * and call_structure, each function's self time, and folded stacks. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "out/calls.h"

static json_t *ns_json(double ns)
{
	return tm_json_count(ns > 0 ? (uint64_t)(ns + 0.5) : 0);
}

void tm_calls_sym_json(json_t *o, const struct tm_sym *s)
{
	json_object_set_new(o, "self_ns", ns_json(s->self_ns));
	json_object_set_new(o, "self_calls", tm_json_count(s->self_calls));
	json_object_set_new(o, "self_inexact_calls", tm_json_count(s->self_inexact));
	json_object_set_new(o, "self_exact", json_boolean(s->self_inexact == 0));
	int have = s->self_hist.count > 0;
	json_object_set_new(o, "self_p50_ns",
			    have ? tm_json_count(tm_hist_quantile(&s->self_hist, 0.5))
				 : json_null());
	json_object_set_new(o, "self_p99_ns",
			    have ? tm_json_count(tm_hist_quantile(&s->self_hist, 0.99))
				 : json_null());
}

static const char *sym_name(const struct tm_coll *c, uint32_t g)
{
	return g < c->nsyms ? c->syms[g].name : "?";
}

static int by_time(const void *a, const void *b, void *arg)
{
	const struct tm_edge *e = arg;
	double x = e[*(const uint32_t *)a].sum_ns, y = e[*(const uint32_t *)b].sum_ns;
	if (x != y)
		return x < y ? 1 : -1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static int by_self(const void *a, const void *b, void *arg)
{
	const struct tm_snode *n = arg;
	const struct tm_snode *x = &n[*(const uint32_t *)a], *y = &n[*(const uint32_t *)b];
	if (x->self_ns != y->self_ns)
		return x->self_ns < y->self_ns ? 1 : -1;
	if (x->calls != y->calls)
		return x->calls < y->calls ? 1 : -1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

/* Indexes [0, n) sorted with cmp over base; NULL when empty or out of memory. */
static uint32_t *sorted(uint32_t n, int (*cmp)(const void *, const void *, void *), void *base)
{
	uint32_t *ix = n ? malloc(n * sizeof(*ix)) : NULL;
	if (!ix)
		return NULL;
	for (uint32_t i = 0; i < n; i++)
		ix[i] = i;
	qsort_r(ix, n, sizeof(*ix), cmp, base);
	return ix;
}

static json_t *edge_json(const struct tm_coll *c, const struct tm_edge *e)
{
	json_t *o = json_object();
	json_object_set_new(o, "caller",
			    e->caller1 ? tm_json_text(sym_name(c, e->caller1 - 1)) : json_null());
	json_object_set_new(o, "callee", tm_json_text(sym_name(c, e->callee)));
	json_object_set_new(o, "calls", tm_json_count(e->calls));
	json_object_set_new(o, "timed", tm_json_count(e->timed));
	json_object_set_new(o, "total_ns", ns_json(e->sum_ns));
	int have = e->hist.count > 0;
	json_object_set_new(o, "p50_ns",
			    have ? tm_json_count(tm_hist_quantile(&e->hist, 0.5)) : json_null());
	uint64_t p99 = tm_hist_quantile(&e->hist, 0.99);
	json_object_set_new(o, "p99_ns",
			    have ? tm_json_count(p99 < e->max_ns ? p99 : e->max_ns) : json_null());
	json_object_set_new(o, "max_ns", have ? tm_json_count(e->max_ns) : json_null());
	return o;
}

uint32_t *tm_calls_edges_by_time(const struct tm_coll *c)
{
	return sorted(c->calls.nedges, by_time, c->calls.edges);
}

json_t *tm_calls_edges_json(const struct tm_coll *c, json_t **other)
{
	const struct tm_calls *m = &c->calls;
	json_t *a = json_array();
	uint32_t *ix = sorted(m->nedges, by_time, m->edges);
	uint64_t ocalls = 0, oedges = 0;
	double ons = 0;
	for (uint32_t i = 0; ix && i < m->nedges; i++) {
		const struct tm_edge *e = &m->edges[ix[i]];
		if (i < TM_EDGES_TOP) {
			json_array_append_new(a, edge_json(c, e));
			continue;
		}
		oedges++;
		ocalls += e->calls;
		ons += e->sum_ns;
	}
	free(ix);
	*other = json_object();
	json_object_set_new(*other, "edges", tm_json_count(oedges));
	json_object_set_new(*other, "calls", tm_json_count(ocalls));
	json_object_set_new(*other, "total_ns", ns_json(ons));
	return a;
}

/* The frames of node n, top first, as a JSON array. */
static json_t *frames_json(const struct tm_coll *c, uint32_t n)
{
	json_t *a = json_array();
	for (unsigned hops = 0; n && n <= c->calls.nnodes && hops <= TM_CALLS_LEVELS; hops++) {
		json_array_append_new(a, tm_json_text(sym_name(c, c->calls.nodes[n - 1].sym)));
		n = c->calls.nodes[n - 1].next;
	}
	return a;
}

json_t *tm_calls_stacks_json(const struct tm_coll *c, json_t **other)
{
	const struct tm_calls *m = &c->calls;
	json_t *a = json_array();
	uint32_t *ix = sorted(m->nnodes, by_self, m->nodes);
	uint64_t ocalls = 0, ostacks = 0, listed = 0;
	double ons = 0;
	for (uint32_t i = 0; ix && i < m->nnodes; i++) {
		const struct tm_snode *n = &m->nodes[ix[i]];
		if (!n->calls)
			continue; /* a suffix only, never a whole stack */
		if (listed++ < TM_STACKS_TOP) {
			json_t *o = json_object();
			json_object_set_new(o, "stack", frames_json(c, ix[i] + 1));
			json_object_set_new(o, "calls", tm_json_count(n->calls));
			json_object_set_new(o, "self_ns", ns_json(n->self_ns));
			json_array_append_new(a, o);
			continue;
		}
		ostacks++;
		ocalls += n->calls;
		ons += n->self_ns;
	}
	free(ix);
	*other = json_object();
	json_object_set_new(*other, "stacks", tm_json_count(ostacks));
	json_object_set_new(*other, "calls", tm_json_count(ocalls));
	json_object_set_new(*other, "self_ns", ns_json(ons));
	return a;
}

json_t *tm_calls_json(const struct tm_coll *c)
{
	const struct tm_calls *m = &c->calls;
	json_t *o = json_object();
	json_object_set_new(o, "enabled", json_boolean(c->calls_on));
	if (!c->calls_on)
		return o;
	json_object_set_new(o, "edges_max", json_integer(TM_EDGES_MAX));
	json_object_set_new(o, "edges_listed_max", json_integer(TM_EDGES_TOP));
	json_object_set_new(o, "edges_dropped_calls", tm_json_count(m->edges_dropped));
	json_object_set_new(o, "stack_nodes_max", json_integer(TM_STACK_NODES));
	json_object_set_new(o, "stacks_listed_max", json_integer(TM_STACKS_TOP));
	json_object_set_new(o, "stacks_dropped_calls", tm_json_count(m->stacks_dropped));
	json_object_set_new(o, "stacks_dropped_self_ns", ns_json(m->stacks_dropped_ns));
	json_object_set_new(o, "mismatched_records", tm_json_count(m->mismatched));
	json_object_set_new(o, "unplaced_records", tm_json_count(m->unplaced));
	json_object_set_new(o, "restarts", tm_json_count(m->resets));
	return o;
}

/* A frame for the folded format: ';' separates frames and the line ends at
 * a newline, so neither may appear inside one. */
static void put_frame(FILE *f, const char *name)
{
	for (const char *s = name; *s; s++)
		fputc(*s == ';' || *s == '\n' || *s == '\r' ? '_' : *s, f);
}

int tm_folded_write(const struct tm_coll *c, const char *path, int by_calls, char *err,
		    size_t errlen)
{
	const struct tm_calls *m = &c->calls;
	/* built in memory, then written as every output is (outfile.c):
	 * atomically, never through a planted link, 0600 */
	struct tm_out_mem mem;
	FILE *f = tm_out_mem_open(&mem, err, errlen);
	if (!f)
		return -ENOMEM;
	uint32_t *ix = sorted(m->nnodes, by_self, m->nodes);
	for (uint32_t i = 0; ix && i < m->nnodes; i++) {
		const struct tm_snode *n = &m->nodes[ix[i]];
		uint64_t w = by_calls ? n->calls : (uint64_t)(n->self_ns + 0.5);
		if (!n->calls || !w)
			continue;
		uint32_t k = ix[i] + 1;
		for (unsigned hops = 0; k && k <= m->nnodes && hops <= TM_CALLS_LEVELS; hops++) {
			if (hops)
				fputc(';', f);
			put_frame(f, sym_name(c, m->nodes[k - 1].sym));
			k = m->nodes[k - 1].next;
		}
		fprintf(f, " %llu\n", (unsigned long long)w);
	}
	free(ix);
	return tm_out_mem_close(f, &mem, path, err, errlen);
}
