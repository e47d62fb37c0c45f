/* SPDX-License-Identifier: MIT */
/* The SPSC ring and the accumulators, read by the collector from segments
 * laid out as the shim lays them out. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "segfake.h"

static const char *const syms[] = {"alpha", "beta"};

static void coll_on(struct tm_coll *c, struct segfake *f)
{
	struct tm_coll_opts o = {.dir = f->dir, .session = "unit"};
	char err[128];
	cr_assert_eq(tm_coll_init(c, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(tm_coll_scan(c), 1);
}

static int u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static const struct tm_sym *sym(const struct tm_coll *c, const char *name)
{
	for (size_t i = 0; i < c->nsyms; i++)
		if (strcmp(c->syms[i].name, name) == 0)
			return &c->syms[i];
	cr_assert_fail("no symbol %s", name);
	return NULL;
}

Test(ring, wraps_at_capacity)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 2, 8, syms, 2);
	coll_on(&c, &f);
	uint64_t expect = 0, expect_sum = 0;
	/* 40 rounds of 0..64 records: head passes the capacity many times */
	for (int round = 0; round < 40; round++) {
		int n = (round * 37) % 65;
		for (int k = 0; k < n; k++) {
			segfake_push(&f, round % 2, 0, 100 + k, TM_ST_OK, 0, 0);
			expect++;
			expect_sum += 100 + k;
		}
		tm_coll_drain(&c);
		cr_assert_eq(segfake_thread(&f, round % 2)->tail,
			     segfake_thread(&f, round % 2)->head);
	}
	const struct tm_sym *a = sym(&c, "alpha");
	cr_assert_eq(a->calls, expect);
	cr_assert_eq(a->ok, expect);
	cr_assert_eq((uint64_t)a->sum_ns, expect_sum);
	cr_assert_eq(a->min_ns, 100);
	cr_assert_eq(a->max_ns, 163);
	cr_assert(segfake_thread(&f, 0)->head > 64 * 4);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

Test(ring, failures_keep_their_codes)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, syms, 2);
	coll_on(&c, &f);
	for (int k = 0; k < 30; k++)
		segfake_push(&f, 0, 1, 10, k % 3 ? TM_ST_OK : TM_ST_FAILED, 0, k % 3 ? 0 : 2);
	tm_coll_drain(&c);
	const struct tm_sym *b = sym(&c, "beta");
	cr_assert_eq(b->calls, 30);
	cr_assert_eq(b->failed, 10);
	cr_assert_eq(b->nerrs, 1);
	cr_assert_eq(b->errs[0].code, 2);
	cr_assert_eq(b->errs[0].count, 10);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* The shim folds calls that did not fit the ring into accumulators, one
 * field at a time; the collector must end exact whatever it sees between. */
Test(ring, accumulator_deltas_exact_across_partial_updates)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, syms, 2);
	coll_on(&c, &f);
	struct tm_thread *t = segfake_thread(&f, 0);
	char *base = (char *)t;
	uint8_t *used = (uint8_t *)(base + tm_thr_used_off(f.h->stack_cap));
	struct tm_acc *acc = (void *)(base + tm_thr_acc_off(f.h->stack_cap, f.h->max_syms));
	used[1] = 1;
	for (int k = 1; k <= 100; k++) {
		acc[1].calls = k; /* calls first ... */
		t->acc_epoch = 2 * k;
		tm_coll_drain(&c); /* ... collector looks mid-update ... */
		acc[1].failed = k; /* ... then the rest */
		acc[1].sum += 1000;
		acc[1].errs[0].code = 5;
		acc[1].errs[0].count = k;
		acc[1].hist[tm_acc_bucket(1000)] = k;
		acc[1].min = 1001;
		acc[1].max = 1000;
		t->acc_epoch = 2 * k + 1;
		if (k % 7 == 0)
			tm_coll_drain(&c);
	}
	tm_coll_drain(&c);
	const struct tm_sym *b = sym(&c, "beta");
	cr_assert_eq(b->calls, 100);
	cr_assert_eq(b->failed, 100);
	cr_assert_eq(b->overflowed, 100);
	cr_assert_eq((uint64_t)b->sum_ns, 100000);
	cr_assert_eq(b->errs[0].count, 100);
	tm_model_tick(&c, tm_mono_ns() + 2000000000ull); /* seal: the histogram takes the seconds */
	cr_assert_eq(b->hist.count, 100);
	cr_assert_eq(b->min_ns, 1000);
	/* a second collector taking over later folds nothing twice */
	struct tm_coll c2;
	tm_coll_free(&c);
	coll_on(&c2, &f);
	tm_coll_drain(&c2);
	cr_assert_eq(sym(&c2, "beta")->calls, 0);
	tm_coll_free(&c2);
	segfake_destroy(&f);
}

Test(ring, exited_thread_slot_is_drained_and_freed)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 2, 8, syms, 2);
	coll_on(&c, &f);
	struct tm_thread *t = segfake_thread(&f, 1);
	t->tid = 0x7ffffff0; /* no such thread */
	segfake_thread(&f, 0)->tid = getpid();
	for (int k = 0; k < 10; k++)
		segfake_push(&f, 1, 0, 5, TM_ST_OK, 0, 0);
	tm_coll_check(&c);
	cr_assert_eq(t->state, TM_THR_FREE);
	cr_assert_eq(t->head, 0);
	cr_assert_eq(t->tail, 0);
	cr_assert_eq(segfake_thread(&f, 0)->state, TM_THR_ACTIVE);
	cr_assert_eq(sym(&c, "alpha")->calls, 10);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

static struct tm_wire_sym *wsym(struct segfake *f, uint32_t i)
{
	return (struct tm_wire_sym *)((char *)f->h + f->h->syms_off) + i;
}

/* The shim's probe (an empty function, flagged internal) sets the floor;
 * it is never reported; with subtract_overhead every duration loses it. */
Test(ring, floor_from_the_probe_and_subtracted)
{
	static const char *const names[] = {"alpha", "beta", "tm.floor"};
	for (int subtract = 0; subtract < 2; subtract++) {
		struct segfake f;
		struct tm_coll c;
		segfake_create(&f, "unit", 64, 1, 8, names, 3);
		wsym(&f, 2)->flags = TM_RF_FOUND | TM_RF_INTERNAL;
		struct tm_coll_opts o = {.dir = f.dir, .session = "unit"};
		o.subtract_overhead = subtract;
		char err[128];
		cr_assert_eq(tm_coll_init(&c, &o, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(tm_coll_scan(&c), 1);
		for (int k = 0; k < 9; k++) /* median 100 */
			segfake_push(&f, 0, 2,
				     k < 4    ? 90
				     : k == 4 ? 100
					      : 5000,
				     TM_ST_NORULE, 0, 0);
		for (int k = 0; k < 10; k++)
			segfake_push(&f, 0, 0, 1000 + k, TM_ST_OK, 0, 0);
		segfake_push(&f, 0, 0, 50, TM_ST_OK, 0, 0); /* shorter than the floor */
		tm_coll_drain(&c);
		cr_assert_eq(c.procs[0]->nfloor, 9);
		cr_assert_eq(tm_proc_floor(c.procs[0]), 100);
		cr_assert_eq(tm_coll_floor(&c), 100);
		const struct tm_sym *a = sym(&c, "alpha");
		cr_assert_eq(a->calls, 11);
		if (subtract) {
			cr_assert_eq((uint64_t)a->sum_ns, 10 * 900 + 45);
			cr_assert_eq(a->min_ns, 0);
			cr_assert_eq(a->max_ns, 909);
		} else {
			cr_assert_eq((uint64_t)a->sum_ns, 10 * 1000 + 45 + 50);
			cr_assert_eq(a->min_ns, 50);
		}
		cr_assert_eq(c.procs[0]->calls, 11, "the probe is not a call of the program");
		tm_coll_free(&c);
		segfake_destroy(&f);
	}
}

/* Sampled symbols: untimed records (failures) count and keep their codes
 * but add no duration; the per-thread counters fold by difference, a
 * second look adds nothing. */
Test(ring, untimed_records_and_counters)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, syms, 2);
	f.h->flags = TM_SEG_COUNTERS;
	wsym(&f, 0)->flags |= TM_RF_SAMPLED;
	wsym(&f, 0)->sample = 10;
	coll_on(&c, &f);
	for (int k = 0; k < 5; k++)
		segfake_push(&f, 0, 0, 0, TM_ST_FAILED | TM_ST_UNTIMED, -1, 5);
	segfake_push(&f, 0, 0, 700, TM_ST_OK, 0, 0);
	struct tm_cnt *cnt = (struct tm_cnt *)((char *)segfake_thread(&f, 0) +
					       tm_thr_cnt_off(f.h->stack_cap, f.h->max_syms));
	cnt[0].calls = 40;
	cnt[0].ok = 38;
	tm_coll_drain(&c);
	tm_coll_drain(&c);
	const struct tm_sym *a = sym(&c, "alpha");
	cr_assert_eq(a->calls, 46);
	cr_assert_eq(a->ok, 39);
	cr_assert_eq(a->failed, 5);
	cr_assert_eq(a->timed, 1);
	cr_assert_eq(a->counted, 40);
	cr_assert_eq((uint64_t)a->sum_ns, 700);
	cr_assert_eq(a->min_ns, 700);
	cr_assert_eq(a->sample, 10);
	cr_assert_eq(a->nerrs, 1);
	cr_assert_eq(a->errs[0].count, 5);
	cnt[0].calls = 50;
	cnt[0].ok = 48;
	tm_coll_drain(&c);
	cr_assert_eq(a->calls, 56);
	cr_assert_eq(a->ok, 49);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* A collector on a segment of the given functions whose calls return
 * 400 ms or later into the collector's current second (the drain's fast
 * way takes those). */
static void now_on(struct tm_coll *c, struct segfake *f, const char *const *names, uint32_t n)
{
	segfake_create(f, "unit", 4096, 1, 8, names, n);
	coll_on(c, f);
	tm_model_tick(c, tm_mono_ns());
	f->start_base = c->clock.now_ns + 400000000ull;
}

/* The drain's fast way (calls that returned in the current second) and
 * its slow way give the same figures: totals, bytes, extremes and the
 * second's bucket and percentiles against exact ones over the same calls. */
Test(ring, current_second_records_exact)
{
	static const char *const names[] = {"alpha", "beta", "gamma"};
	struct segfake f;
	struct tm_coll c;
	now_on(&c, &f, names, 3);
	enum { N = 3000 };
	static uint64_t durs[3][N];
	uint64_t n[3] = {0}, ok[3] = {0}, failed[3] = {0}, sum[3] = {0}, mn[3], mx[3] = {0};
	for (int s = 0; s < 3; s++)
		mn[s] = UINT64_MAX;
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int s = (int)(x % 3);
		uint64_t d = 100 + (x >> 20) % 50000000; /* 100 ns .. 50 ms */
		unsigned st = s == 2 ? TM_ST_NORULE : (x >> 8) % 10 == 0 ? TM_ST_FAILED : TM_ST_OK;
		segfake_push(&f, 0, (uint16_t)s, d, st, st == TM_ST_FAILED ? -1 : 7,
			     st == TM_ST_FAILED ? 2 : 0);
		durs[s][n[s]++] = d;
		ok[s] += st == TM_ST_OK;
		failed[s] += st == TM_ST_FAILED;
		sum[s] += d;
		mn[s] = d < mn[s] ? d : mn[s];
		mx[s] = d > mx[s] ? d : mx[s];
	}
	tm_coll_drain(&c);
	cr_assert_gt(c.drain_fast, N / 2, "the fast way was taken (%llu)",
		     (unsigned long long)c.drain_fast);
	uint64_t pcalls = 0;
	for (int s = 0; s < 3; s++) {
		const struct tm_sym *y = sym(&c, names[s]);
		cr_assert_eq(y->calls, n[s], "%s calls", names[s]);
		cr_assert_eq(y->records, n[s]);
		cr_assert_eq(y->timed, n[s]);
		cr_assert_eq(y->ok, ok[s], "%s ok", names[s]);
		cr_assert_eq(y->failed, failed[s], "%s failed", names[s]);
		cr_assert_eq((uint64_t)y->sum_ns, sum[s], "%s sum", names[s]);
		cr_assert_eq(y->min_ns, mn[s]);
		cr_assert_eq(y->max_ns, mx[s]);
		pcalls += n[s];
	}
	cr_assert_eq(c.procs[0]->calls, pcalls);
	cr_assert_eq(c.procs[0]->records, pcalls);
	/* seal the second: its bucket and percentiles */
	uint32_t u = c.clock.now;
	tm_model_tick(&c, c.clock.now_ns + 2000000000ull + TM_WIN_GRACE_NS);
	for (int s = 0; s < 3; s++) {
		const struct tm_sym *y = sym(&c, names[s]);
		struct tm_wbucket b;
		cr_assert_eq(tm_win_second(&y->win, u, 0, &b, NULL), 1, "%s: second held",
			     names[s]);
		cr_assert_eq(b.calls, n[s]);
		cr_assert_eq(b.ok, ok[s]);
		cr_assert_eq(b.failed, failed[s]);
		cr_assert_eq(b.timed, n[s]);
		cr_assert_eq(b.sum_ns, sum[s]);
		uint64_t *v = durs[s];
		qsort(v, n[s], sizeof(*v), u64cmp);
		const double qs[] = {0.5, 0.95, 0.99};
		for (int q = 0; q < 3; q++) {
			size_t rank = (size_t)(qs[q] * (double)n[s] + 0.999999999);
			double want = (double)v[rank - 1], got = (double)tm_wh_value(b.q[q]);
			cr_expect(got >= want * 0.99 && got <= want * 1.01,
				  "%s q%.2f: %.0f vs %.0f", names[s], qs[q], got, want);
		}
	}
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* The fast way keeps where a function's second histogram is between
 * records; a call of it taken the full way may move that (a duration
 * outside the groups it holds widens it). Calls of alpha on both sides
 * of such a call, in one drain, all land in the second's histogram. */
Test(ring, fast_way_after_its_histogram_moved)
{
	enum { N = 100 };
	struct segfake f;
	struct tm_coll c;
	now_on(&c, &f, syms, 2);
	for (int i = 0; i < N; i++)
		segfake_push(&f, 0, 0, 1100, TM_ST_OK, 0, 0);
	segfake_push(&f, 0, 0, 50000, TM_ST_FAILED, -1, 2); /* another group */
	for (int i = 0; i < N; i++)
		segfake_push(&f, 0, 0, 1900, TM_ST_OK, 0, 0); /* the first one's group */
	tm_coll_drain(&c);
	cr_assert_gt(c.drain_fast, N, "both runs took the fast way (%llu)",
		     (unsigned long long)c.drain_fast);
	const struct tm_sym *a = sym(&c, "alpha");
	cr_assert_eq(a->calls, 2 * N + 1);
	cr_assert_eq(a->failed, 1);
	cr_assert_eq(a->min_ns, 1100);
	cr_assert_eq(a->max_ns, 50000);
	uint32_t u = c.clock.now;
	tm_model_tick(&c, c.clock.now_ns + 2000000000ull + TM_WIN_GRACE_NS);
	struct tm_wbucket b;
	uint64_t first = 0, both = 0, all = 0;
	cr_assert_eq(tm_win_second(&sym(&c, "alpha")->win, u, 1100, &b, &first), 1);
	cr_assert_eq(tm_win_second(&sym(&c, "alpha")->win, u, 1900, &b, &both), 1);
	cr_assert_eq(tm_win_second(&sym(&c, "alpha")->win, u, 50000, &b, &all), 1);
	cr_assert_eq(b.calls, 2 * N + 1);
	cr_assert_eq(b.timed, 2 * N + 1);
	cr_assert_eq(first, N);
	cr_assert_eq(both, 2 * N, "the later calls are in the histogram (%llu)",
		     (unsigned long long)both);
	cr_assert_eq(all, 2 * N + 1);
	double p95 = (double)tm_wh_value(b.q[1]);
	cr_expect(p95 >= 1881 && p95 <= 1919, "p95 %.0f", p95);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* A segment whose "alpha" takes its bytes from an argument. */
static void capturing_on(struct tm_coll *c, struct segfake *f, int quiet)
{
	segfake_create(f, "unit", 64, 2, 8, syms, 2);
	segfake_wsym(f, 0)->flags |= TM_RF_HAS_RULE | TM_RF_BYTES | TM_RF_ARGBYTES | TM_RF_FLOW_IN;
	f->quiet = quiet;
	coll_on(c, f);
}

/* Bytes from arguments: a call's bytes record right after it is taken
 * with it (also across the ring's end); a failed call moves nothing; a
 * bytes record alone, or after another function's call, is corrupt. */
Test(ring, bytes_records_pair_with_their_call)
{
	struct segfake f;
	struct tm_coll c;
	capturing_on(&c, &f, 0);
	/* 63 records first: the last pair straddles the end of the ring */
	for (int k = 0; k < 63; k++)
		segfake_push(&f, 1, 1, 50, TM_ST_OK, 1, 0);
	tm_coll_drain(&c);
	segfake_push(&f, 0, 0, 100, TM_ST_OK, 5, 0);
	segfake_push(&f, 0, 0, 0, TM_ST_ARG, 4096, 0);
	segfake_push(&f, 0, 0, 0, TM_ST_ARG, 777, 0); /* alone: after another */
	segfake_push(&f, 0, 0, 100, TM_ST_OK, 5, 0);  /* moved nothing: no record */
	segfake_push(&f, 0, 0, 100, TM_ST_FAILED, -1, 5);
	segfake_push(&f, 0, 0, 0, TM_ST_ARG, 555, 0); /* taken, a failure moves nothing */
	segfake_push(&f, 0, 1, 100, TM_ST_OK, 1, 0);
	segfake_push(&f, 0, 0, 0, TM_ST_ARG, 999, 0); /* after beta's call */
	segfake_push(&f, 0, 0, 100, TM_ST_NORULE, 3, 0);
	segfake_push(&f, 0, 0, 0, TM_ST_ARG, 10, 0);
	segfake_push(&f, 1, 0, 100, TM_ST_OK, 2, 0);	   /* ring index 63 */
	segfake_push(&f, 1, 0, 0, TM_ST_ARG, 1u << 20, 0); /* index 64: the ring's start */
	tm_coll_drain(&c);
	const struct tm_sym *a = sym(&c, "alpha"), *b = sym(&c, "beta");
	cr_assert_eq(a->calls, 5);
	cr_assert_eq(a->failed, 1);
	cr_assert_eq(a->bytes, 4096 + 10 + (1u << 20));
	cr_assert_eq(a->size_hist.count, 3);
	cr_assert_eq(a->size_max, 1u << 20);
	cr_assert_eq(b->calls, 64);
	cr_assert_eq(b->bytes, 0);
	cr_assert_eq(c.procs[0]->closs[TM_CLOSS_CORRUPT], 2);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* A group: every call's record is followed by the record of its
 * argument's value, a failed call's too; a call without one (its record
 * lost to a corrupt ring) is unlabelled. */
Test(ring, groups_from_their_records)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 2, 8, syms, 2);
	segfake_wsym(&f, 0)->flags |= TM_RF_HAS_RULE | (1u << TM_RF_GROUP_SHIFT);
	coll_on(&c, &f);
	for (int k = 0; k < 30; k++) {
		segfake_push(&f, 0, 0, 100, k % 3 ? TM_ST_OK : TM_ST_FAILED, k % 3 ? 1 : -1, 0);
		struct tm_record *r = &segfake_ring(&f, 0)[segfake_thread(&f, 0)->head];
		segfake_push(&f, 0, 0, 0, TM_ST_ARG, 0, 0);
		r->start = (uint64_t)(int64_t)(k % 5 - 1); /* -1 .. 3 */
	}
	segfake_push(&f, 0, 0, 100, TM_ST_OK, 1, 0); /* no value */
	tm_coll_drain(&c);
	const struct tm_sym *a = sym(&c, "alpha");
	cr_assert_eq(a->calls, 31);
	cr_assert_not_null(a->groups);
	cr_assert_eq(a->groups->n, 5);
	uint64_t calls = 0, failed = 0;
	for (uint32_t i = 0; i < a->groups->n; i++) {
		cr_assert_eq(a->groups->e[i].calls, 6, "value %lld",
			     (long long)a->groups->e[i].value);
		calls += a->groups->e[i].calls;
		failed += a->groups->e[i].failed;
		if (a->groups->e[i].value == -1)
			cr_assert_eq(a->groups->e[i].failed, 2); /* k = 0, 15 */
	}
	cr_assert_eq(calls, 30);
	cr_assert_eq(failed, 10);
	cr_assert_eq(c.procs[0]->closs[TM_CLOSS_CORRUPT], 0);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* A segment whose producer publishes its head as the shim does. */
static void quiet_on(struct tm_coll *c, struct segfake *f)
{
	segfake_create(f, "unit", 64, 2, 8, syms, 2);
	f->quiet = 1;
	coll_on(c, f);
}

/* The shim publishes its head every TM_HEAD_EVERY records (wire.h,
 * "Publishing"): what lies past it is taken by its lap bit, exactly once,
 * lap after lap, and never a slot still holding the previous lap's record. */
Test(ring, records_past_the_published_head)
{
	struct segfake f;
	struct tm_coll c;
	quiet_on(&c, &f);
	uint64_t expect = 0;
	for (int round = 0; round < 60; round++) {
		int n = 1 + (round * 23) % 40;
		for (int k = 0; k < n; k++)
			segfake_push(&f, 0, 0, 100, TM_ST_OK, 0, 0);
		expect += (uint64_t)n;
		tm_coll_drain(&c);
		cr_assert_eq(sym(&c, "alpha")->calls, expect, "round %d", round);
		cr_assert_eq(segfake_thread(&f, 0)->tail, f.heads[0]);
		cr_assert(segfake_thread(&f, 0)->head <= f.heads[0]);
		cr_assert(f.heads[0] - segfake_thread(&f, 0)->head < TM_HEAD_EVERY);
	}
	cr_assert(f.heads[0] > 64 * 10, "wrapped: %llu", (unsigned long long)f.heads[0]);
	cr_assert_eq(c.procs[0]->closs[TM_CLOSS_CORRUPT], 0);
	/* a head far behind the tail is no lag: corrupt */
	atomic_store(&segfake_thread(&f, 0)->head, segfake_thread(&f, 0)->tail - 100);
	tm_coll_drain(&c);
	cr_assert_eq(c.procs[0]->closs[TM_CLOSS_CORRUPT], 1);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* A call of a symbol whose records may be followed by what it took from
 * its arguments is taken past the head only once nothing more can follow:
 * the head published, or the thread or process found gone. */
Test(ring, a_capturing_call_waits_for_its_head)
{
	struct segfake f;
	struct tm_coll c;
	capturing_on(&c, &f, 1);
	segfake_push(&f, 0, 1, 100, TM_ST_OK, 0, 0); /* beta: taken */
	segfake_push(&f, 0, 0, 100, TM_ST_OK, 5, 0); /* alpha: its bytes may follow */
	tm_coll_drain(&c);
	cr_assert_eq(sym(&c, "beta")->calls, 1);
	cr_assert_eq(sym(&c, "alpha")->calls, 0);
	segfake_push(&f, 0, 0, 0, TM_ST_ARG, 4096, 0);
	segfake_push(&f, 0, 1, 100, TM_ST_OK, 0, 0);   /* beta, behind the pair */
	atomic_store(&segfake_thread(&f, 0)->head, 1); /* not past alpha yet */
	tm_coll_drain(&c);
	cr_assert_eq(sym(&c, "alpha")->calls, 0);
	cr_assert_eq(sym(&c, "beta")->calls, 1);
	atomic_store(&segfake_thread(&f, 0)->head, 3); /* the pair, published */
	tm_coll_drain(&c);
	cr_assert_eq(sym(&c, "alpha")->calls, 1);
	cr_assert_eq(sym(&c, "beta")->calls, 2); /* the one past it too */
	cr_assert_eq(sym(&c, "alpha")->bytes, 4096);
	/* unpublished: a segment saying its process exited is not enough
	 * (atexit handlers still run); the thread found gone is */
	segfake_push(&f, 0, 0, 100, TM_ST_FAILED, -1, 5);
	tm_coll_drain(&c);
	cr_assert_eq(sym(&c, "alpha")->calls, 1);
	atomic_store(&f.h->state, TM_PROC_EXITED);
	tm_coll_drain(&c);
	cr_assert_eq(sym(&c, "alpha")->calls, 1);
	atomic_store(&f.h->state, TM_PROC_RUNNING);
	segfake_thread(&f, 1)->tid = getpid();
	segfake_thread(&f, 0)->tid = 0x7ffffff0; /* no such thread */
	tm_coll_check(&c);
	cr_assert_eq(segfake_thread(&f, 0)->state, TM_THR_FREE);
	cr_assert_eq(sym(&c, "alpha")->calls, 2);
	cr_assert_eq(sym(&c, "alpha")->failed, 1);
	cr_assert_eq(c.procs[0]->closs[TM_CLOSS_CORRUPT], 0);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* A freed slot's ring reads as zeros: the next thread starts at position 0
 * again, and the last owner's records there carry position 0's lap bit. */
Test(ring, a_reused_slot_starts_clean)
{
	struct segfake f;
	struct tm_coll c;
	quiet_on(&c, &f);
	struct tm_thread *t = segfake_thread(&f, 1);
	segfake_thread(&f, 0)->tid = getpid();
	t->tid = getpid();
	for (int k = 0; k < 40; k++)
		segfake_push(&f, 1, 0, 5, TM_ST_OK, 0, 0);
	tm_coll_drain(&c);
	for (int k = 0; k < 30; k++)
		segfake_push(&f, 1, 0, 5, TM_ST_OK, 0, 0);
	t->tid = 0x7ffffff0; /* gone */
	tm_coll_check(&c);
	cr_assert_eq(t->state, TM_THR_FREE);
	cr_assert_eq(sym(&c, "alpha")->calls, 70);
	for (int k = 0; k < 64; k++)
		cr_assert_eq(segfake_ring(&f, 1)[k].dur_meta, 0, "slot %d", k);
	/* the next owner */
	t->tid = getpid();
	atomic_store(&t->state, TM_THR_ACTIVE);
	f.heads[1] = 0;
	for (int k = 0; k < 3; k++)
		segfake_push(&f, 1, 0, 5, TM_ST_OK, 0, 0);
	tm_coll_drain(&c);
	cr_assert_eq(sym(&c, "alpha")->calls, 73);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* In the first lap a chunk's first slot past the head is never probed: its
 * page may not be backed yet (wire.h); the shim publishes its head right
 * after writing one, so nothing waits on it. */
Test(ring, a_chunks_first_slot_is_not_probed)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 2 * TM_RING_CHUNK, 2, 8, syms, 2);
	f.quiet = 1;
	coll_on(&c, &f);
	for (unsigned k = 0; k < TM_RING_CHUNK; k++)
		segfake_push(&f, 0, 0, 100, TM_ST_OK, 0, 0);
	tm_coll_drain(&c);
	cr_assert_eq(sym(&c, "alpha")->calls, TM_RING_CHUNK);
	/* a record in slot 1024, its head not published: not looked at */
	struct tm_record *r = &segfake_ring(&f, 0)[TM_RING_CHUNK];
	r->start = 1;
	r->value = 0;
	r->err = 0;
	r->sym = 0;
	r->caller = TM_NO_SYM;
	r->dur_meta = 100 | (uint64_t)TM_ST_OK << 48 | tm_rec_lap(TM_RING_CHUNK, 2 * TM_RING_CHUNK);
	tm_coll_drain(&c);
	cr_assert_eq(sym(&c, "alpha")->calls, TM_RING_CHUNK);
	r->dur_meta = 0;
	/* as the shim writes it: the head published right after it, and
	 * the records after it taken past the head */
	for (int k = 0; k < 6; k++)
		segfake_push(&f, 0, 0, 100, TM_ST_OK, 0, 0);
	cr_assert_eq(segfake_thread(&f, 0)->head, TM_RING_CHUNK + 1);
	tm_coll_drain(&c);
	cr_assert_eq(sym(&c, "alpha")->calls, TM_RING_CHUNK + 6);
	tm_coll_free(&c);
	segfake_destroy(&f);
}
