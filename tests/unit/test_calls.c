/* SPDX-License-Identifier: MIT */
/* The call structure rebuilt from records in completion order
 * (model/calls.h): self time exact, edges and stacks exact, parents
 * flagged when a child was lost or untimed, and garbage depths and callers
 * counted, never followed. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "model/workflow.h"
#include "segfake.h"

enum { A, B, C, NSYMS };
static const char *const syms[] = {"a", "b", "c"};
#define NONE TM_NO_SYM

static void coll_on(struct tm_coll *c, struct segfake *f)
{
	struct tm_coll_opts o = {.dir = f->dir, .session = "unit"};
	char err[128];
	cr_assert_eq(tm_coll_init(c, &o, err, sizeof(err)), 0, "%s", err);
	c->calls_on = 1;
	cr_assert_eq(tm_coll_scan(c), 1);
}

static const struct tm_sym *sym(const struct tm_coll *c, const char *name)
{
	for (size_t i = 0; i < c->nsyms; i++)
		if (strcmp(c->syms[i].name, name) == 0)
			return &c->syms[i];
	cr_assert_fail("no symbol %s", name);
	return NULL;
}

/* The edge caller -> callee (caller NULL: no monitored caller). */
static const struct tm_edge *edge(const struct tm_coll *c, const char *caller, const char *callee)
{
	for (uint32_t i = 0; i < c->calls.nedges; i++) {
		const struct tm_edge *e = &c->calls.edges[i];
		const char *a = e->caller1 ? c->syms[e->caller1 - 1].name : NULL;
		if (strcmp(c->syms[e->callee].name, callee) == 0 &&
		    (a && caller ? strcmp(a, caller) == 0 : a == caller))
			return e;
	}
	return NULL;
}

/* The complete stack "x;y;z": its node, or NULL. */
static const struct tm_snode *stack(const struct tm_coll *c, const char *want)
{
	char buf[256];
	for (uint32_t i = 0; i < c->calls.nnodes; i++)
		if (c->calls.nodes[i].calls && tm_calls_stack_str(c, i + 1, buf, sizeof(buf)) > 0 &&
		    strcmp(buf, want) == 0)
			return &c->calls.nodes[i];
	return NULL;
}

/* a() { b() { c() } b() { c() } c() }, children before their parent;
 * drained after every record when `each`. */
static void tree(struct segfake *f, struct tm_coll *c, int each)
{
	static const struct {
		uint16_t sym, caller;
		unsigned depth;
		uint64_t dur;
	} r[] = {
		{C, B, 2, 10}, {B, A, 1, 30}, {C, B, 2, 11},
		{B, A, 1, 31}, {C, A, 1, 12}, {A, NONE, 0, 100},
	};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		segfake_push_call(f, 0, r[i].sym, r[i].caller, r[i].depth, r[i].dur, TM_ST_OK);
		if (each)
			tm_coll_drain(c);
	}
	tm_coll_drain(c);
}

static void check_tree(const struct tm_coll *c, uint64_t n)
{
	cr_assert_eq((uint64_t)sym(c, "a")->self_ns, n * 27); /* 100 - 30 - 31 - 12 */
	cr_assert_eq((uint64_t)sym(c, "b")->self_ns, n * 40); /* 20 + 20 */
	cr_assert_eq((uint64_t)sym(c, "c")->self_ns, n * 33);
	for (const char *s = "abc"; *s; s++) {
		char name[2] = {*s, 0};
		cr_assert_eq(sym(c, name)->self_inexact, 0, "%s", name);
		cr_assert_eq(sym(c, name)->self_calls, sym(c, name)->calls, "%s", name);
	}
	cr_assert_eq(edge(c, NULL, "a")->calls, n);
	cr_assert_eq(edge(c, "a", "b")->calls, 2 * n);
	cr_assert_eq((uint64_t)edge(c, "a", "b")->sum_ns, 61 * n);
	cr_assert_eq(edge(c, "b", "c")->calls, 2 * n);
	cr_assert_eq((uint64_t)edge(c, "b", "c")->sum_ns, 21 * n);
	cr_assert_eq(edge(c, "a", "c")->calls, n);
	cr_assert_eq(c->calls.nedges, 4);
	cr_assert_eq(stack(c, "a")->calls, n);
	cr_assert_eq((uint64_t)stack(c, "a")->self_ns, 27 * n);
	cr_assert_eq(stack(c, "a;b")->calls, 2 * n);
	cr_assert_eq((uint64_t)stack(c, "a;b")->self_ns, 40 * n);
	cr_assert_eq(stack(c, "a;b;c")->calls, 2 * n);
	cr_assert_eq((uint64_t)stack(c, "a;b;c")->self_ns, 21 * n);
	cr_assert_eq(stack(c, "a;c")->calls, n);
	cr_assert_eq((uint64_t)stack(c, "a;c")->self_ns, 12 * n);
	cr_assert_eq(c->calls.mismatched + c->calls.unplaced + c->calls.resets, 0);
	cr_assert_eq(c->calls.stacks_dropped, 0);
}

Test(calls, self_time_edges_and_stacks_exact)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 2, 8, syms, NSYMS);
	coll_on(&c, &f);
	for (int i = 0; i < 5; i++)
		tree(&f, &c, 0);
	check_tree(&c, 5);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

Test(calls, exact_across_drains_and_interleaved_threads)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 2, 8, syms, NSYMS);
	coll_on(&c, &f);
	/* one tree drained record by record; then two threads' trees, each
	 * thread's records half drained before the other's */
	tree(&f, &c, 1);
	segfake_push_call(&f, 0, C, B, 2, 10, TM_ST_OK);
	segfake_push_call(&f, 1, C, B, 2, 10, TM_ST_OK);
	segfake_push_call(&f, 0, B, A, 1, 30, TM_ST_OK);
	tm_coll_drain(&c);
	segfake_push_call(&f, 1, B, A, 1, 30, TM_ST_OK);
	segfake_push_call(&f, 0, C, B, 2, 11, TM_ST_OK);
	segfake_push_call(&f, 1, C, B, 2, 11, TM_ST_OK);
	tm_coll_drain(&c);
	for (uint32_t t = 0; t < 2; t++) {
		segfake_push_call(&f, t, B, A, 1, 31, TM_ST_OK);
		segfake_push_call(&f, t, C, A, 1, 12, TM_ST_OK);
		segfake_push_call(&f, t, A, NONE, 0, 100, TM_ST_OK);
	}
	tm_coll_drain(&c);
	check_tree(&c, 3);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

Test(calls, recursion)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, syms, NSYMS);
	coll_on(&c, &f);
	/* a(a(a())) */
	segfake_push_call(&f, 0, A, A, 2, 5, TM_ST_OK);
	segfake_push_call(&f, 0, A, A, 1, 12, TM_ST_OK);
	segfake_push_call(&f, 0, A, NONE, 0, 20, TM_ST_OK);
	tm_coll_drain(&c);
	cr_assert_eq((uint64_t)sym(&c, "a")->self_ns, 20); /* 5 + 7 + 8 */
	cr_assert_eq(edge(&c, "a", "a")->calls, 2);
	cr_assert_eq((uint64_t)stack(&c, "a;a;a")->self_ns, 5);
	cr_assert_eq((uint64_t)stack(&c, "a;a")->self_ns, 7);
	cr_assert_eq((uint64_t)stack(&c, "a")->self_ns, 8);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

Test(calls, parent_of_an_overflowed_child_flagged)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, syms, NSYMS);
	coll_on(&c, &f);
	segfake_push_call(&f, 0, C, A, 1, 10, TM_ST_OK);
	tm_coll_drain(&c);
	/* a second child went to the accumulators (ring full): the shim
	 * bumps the slot's acc_epoch */
	segfake_thread(&f, 0)->acc_epoch += 1;
	segfake_push_call(&f, 0, A, NONE, 0, 100, TM_ST_OK);
	tm_coll_drain(&c);
	const struct tm_sym *a = sym(&c, "a");
	cr_assert_eq(a->self_calls, 1);
	cr_assert_eq(a->self_inexact, 1, "a's self time is an upper bound");
	cr_assert_geq(c.calls.resets, 1);
	/* the drain cannot tell whether the lost call came before or after
	 * the records it read: the next parent is flagged too; the tree
	 * after that is exact again */
	for (int i = 0; i < 2; i++) {
		segfake_push_call(&f, 0, C, A, 1, 10, TM_ST_OK);
		segfake_push_call(&f, 0, A, NONE, 0, 100, TM_ST_OK);
		tm_coll_drain(&c);
	}
	cr_assert_eq(a->self_inexact, 2);
	cr_assert_eq(a->self_calls, 3);
	/* the first: what was pending was dropped with the restart (100) */
	cr_assert_eq((uint64_t)a->self_ns, 100 + 90 + 90);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

Test(calls, parent_of_an_untimed_child_flagged)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, syms, NSYMS);
	coll_on(&c, &f);
	segfake_push_call(&f, 0, B, A, 1, 10, TM_ST_OK);
	segfake_push_call(&f, 0, C, A, 1, 0, TM_ST_FAILED | TM_ST_UNTIMED);
	segfake_push_call(&f, 0, A, NONE, 0, 100, TM_ST_OK);
	tm_coll_drain(&c);
	cr_assert_eq((uint64_t)sym(&c, "a")->self_ns, 90, "an upper bound: c's time is unknown");
	cr_assert_eq(sym(&c, "a")->self_inexact, 1);
	cr_assert_eq(sym(&c, "b")->self_inexact, 0);
	cr_assert_eq(sym(&c, "c")->self_calls, 0, "no self time without a duration");
	cr_assert_eq(edge(&c, "a", "c")->calls, 1);
	cr_assert_eq(edge(&c, "a", "c")->timed, 0);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

Test(calls, child_naming_another_parent_flagged)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, syms, NSYMS);
	coll_on(&c, &f);
	/* c says its caller is b, but the next outer record is a (b was lost) */
	segfake_push_call(&f, 0, C, B, 1, 10, TM_ST_OK);
	segfake_push_call(&f, 0, A, NONE, 0, 100, TM_ST_OK);
	tm_coll_drain(&c);
	cr_assert_eq(c.calls.mismatched, 1);
	cr_assert_eq(sym(&c, "a")->self_inexact, 1);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

Test(calls, garbage_depths_and_callers_counted)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 1024, 1, 8, syms, NSYMS);
	coll_on(&c, &f);
	segfake_push_call(&f, 0, A, NONE, 200, 10, TM_ST_OK); /* past the shadow stack (16) */
	segfake_push_call(&f, 0, A, NONE, 255, 10, TM_ST_OK); /* saturated */
	segfake_push_call(&f, 0, A, 77, 1, 10, TM_ST_OK);     /* no such symbol */
	segfake_push_call(&f, 0, A, B, 0, 10, TM_ST_OK);      /* a caller at depth 0 */
	tm_coll_drain(&c);
	cr_assert_eq(c.calls.unplaced, 2);
	cr_assert_geq(c.calls.mismatched, 1);
	cr_assert_eq(sym(&c, "a")->calls, 4, "the calls themselves still count");
	/* random records: bounded, never a crash */
	uint64_t x = 88172645463325252ull;
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 1000; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			segfake_push_call(&f, 0, (uint16_t)(x % NSYMS), (uint16_t)(x >> 16),
					  (unsigned)(x >> 32) % 256, (x >> 40) % 1000, TM_ST_OK);
		}
		tm_coll_drain(&c);
	}
	cr_assert_leq(c.calls.nnodes, TM_STACK_NODES);
	cr_assert_leq(c.calls.nedges, TM_EDGES_MAX);
	cr_assert_leq(c.procs[0]->cthr[0].nlev, TM_CALLS_LEVELS + 1);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

Test(calls, bounded_stacks_counted_past_the_bound)
{
	struct segfake f;
	struct tm_coll c;
	const char *many[64];
	char names[64][8];
	for (int i = 0; i < 64; i++) {
		snprintf(names[i], sizeof(names[i]), "s%d", i);
		many[i] = names[i];
	}
	segfake_create(&f, "unit", 1024, 1, 64, many, 64);
	coll_on(&c, &f);
	/* 64 * 64 * 2 distinct two-level stacks (more than the node table) */
	uint64_t calls = 0;
	for (int a = 0; a < 64; a++) {
		for (int b = 0; b < 64; b++) {
			segfake_push_call(&f, 0, (uint16_t)b, (uint16_t)a, 1, 3, TM_ST_OK);
			segfake_push_call(&f, 0, (uint16_t)a, NONE, 0, 5, TM_ST_OK);
			calls += 2;
		}
		tm_coll_drain(&c);
	}
	uint64_t kept = 0;
	for (uint32_t i = 0; i < c.calls.nnodes; i++)
		kept += c.calls.nodes[i].calls;
	cr_assert_eq(c.calls.nnodes, TM_STACK_NODES);
	cr_assert_gt(c.calls.stacks_dropped, 0);
	cr_assert_eq(kept + c.calls.stacks_dropped, calls, "every call kept or counted");
	tm_coll_free(&c);
	segfake_destroy(&f);
}

Test(calls, workflow_units_steps_and_loss)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, syms, NSYMS);
	coll_on(&c, &f);
	json_t *r = json_loads("{\"workflows\": [{\"root\": \"b\", \"fail_if\": \"any_step\"}]}", 0,
			       NULL);
	cr_assert_eq(tm_wf_parse(&c, r, "unit", stderr), 0);
	json_decref(r);
	/* a() { b() { c() c() -> fails } b() { c() } c() } */
	segfake_push_call(&f, 0, C, B, 2, 5, TM_ST_OK);
	segfake_push_call(&f, 0, C, B, 2, 5, TM_ST_FAILED);
	segfake_push_call(&f, 0, B, A, 1, 20, TM_ST_OK);
	segfake_push_call(&f, 0, C, B, 2, 5, TM_ST_OK);
	segfake_push_call(&f, 0, B, A, 1, 10, TM_ST_OK);
	segfake_push_call(&f, 0, C, A, 1, 5, TM_ST_OK);
	segfake_push_call(&f, 0, A, NONE, 0, 50, TM_ST_OK);
	tm_coll_drain(&c);
	const struct tm_wf *w = &c.wf->wf[0];
	cr_assert_eq(w->units, 2);
	cr_assert_eq(w->failed, 1);
	cr_assert_eq(w->inexact, 0);
	cr_assert_eq((uint64_t)w->sum_ns, 30);
	cr_assert_eq(w->nsteps, 1, "only c, and not the c outside b");
	cr_assert_eq(w->steps[0].calls, 3);
	cr_assert_eq(w->steps[0].units, 2);
	cr_assert_eq(w->steps[0].failed, 1);
	/* a step lost to the accumulators: the unit is counted, as inexact */
	segfake_push_call(&f, 0, C, B, 2, 5, TM_ST_OK);
	tm_coll_drain(&c);
	segfake_thread(&f, 0)->acc_epoch += 1;
	segfake_push_call(&f, 0, B, A, 1, 20, TM_ST_OK);
	segfake_push_call(&f, 0, A, NONE, 0, 50, TM_ST_OK);
	tm_coll_drain(&c);
	cr_assert_eq(w->units, 3);
	cr_assert_eq(w->inexact, 1);
	tm_coll_free(&c);
	segfake_destroy(&f);
}
