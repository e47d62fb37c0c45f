/* SPDX-License-Identifier: MIT */
/* Return classes (collector/model/retclass.c): calls counted per class of
 * their return value, first match in order, exactly, over the run and per
 * window; calls without a return value as unclassified, so the classes
 * add up to calls; the records of such a function never take the drain's
 * fast way; the rules file's "returns" and its bad entries; the built-in
 * classes of sqlite3_step. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "out/out.h"
#include "segfake.h"
#include "sumjson.h"

#define NS 1000000000ull

static void coll_on(struct tm_coll *c, const char *dir)
{
	struct tm_coll_opts o = {.dir = dir, .session = "unit"};
	char err[256];
	cr_assert_eq(tm_coll_init(c, &o, err, sizeof(err)), 0, "%s", err);
}

static struct tm_sym *sym(struct tm_coll *c, const char *name)
{
	for (size_t i = 0; i < c->nsyms; i++)
		if (strcmp(c->syms[i].name, name) == 0)
			return &c->syms[i];
	cr_assert_fail("no symbol %s", name);
	return NULL;
}

static char *load_rules(struct tm_coll *c, const char *dir, const char *text, int *bad)
{
	char *said = segfake_rules(c, dir, text, bad);
	cr_assert_not_null(said, "rules text did not load");
	return said;
}

/* The classes as written: first match wins, values as signed 64-bit. */
Test(retclass, first_match_in_order)
{
	struct tm_retc_def d = {0};
	char err[256];
	cr_assert_eq(tm_retc_add(&d, "small", "ret >= 0 && ret < 10", err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(tm_retc_add(&d, "big", "ret >= 0", err, sizeof(err)), 0);
	cr_assert_eq(tm_retc_add(&d, "eof", "ret == -1 || ret == -2", err, sizeof(err)), 0);
	cr_assert_eq(tm_retc_of(&d, 0), 0);
	cr_assert_eq(tm_retc_of(&d, 9), 0);
	cr_assert_eq(tm_retc_of(&d, 10), 1, "small is tried first, big takes the rest");
	cr_assert_eq(tm_retc_of(&d, INT64_MAX), 1);
	cr_assert_eq(tm_retc_of(&d, -2), 2);
	cr_assert_eq(tm_retc_of(&d, -3), TM_RETC_OTHER);
	cr_assert_eq(tm_retc_of(&d, INT64_MIN), TM_RETC_OTHER);
	/* a pointer: NULL or not */
	struct tm_retc_def p = {0};
	cr_assert_eq(tm_retc_add(&p, "hit", "ret != NULL", err, sizeof(err)), 0);
	cr_assert_eq(tm_retc_add(&p, "miss", "ret == NULL", err, sizeof(err)), 0);
	cr_assert_eq(tm_retc_of(&p, 0x7f0012345000), 0);
	cr_assert_eq(tm_retc_of(&p, 0), 1);
	/* refused */
	cr_assert_eq(tm_retc_add(&p, "hit", "ret == 1", err, sizeof(err)), -1);
	cr_assert(strstr(err, "twice"), "%s", err);
	cr_assert_eq(tm_retc_add(&p, "other", "ret == 1", err, sizeof(err)), -1);
	cr_assert_eq(tm_retc_add(&p, "unclassified", "ret == 1", err, sizeof(err)), -1);
	cr_assert_eq(tm_retc_add(&p, "Hit", "ret == 1", err, sizeof(err)), -1);
	cr_assert_eq(tm_retc_add(&p, "x", "ret = 1", err, sizeof(err)), -1);
	cr_assert(strncmp(err, "expected ==", 11) == 0, "the parser's message, no prefix: %s", err);
	for (int i = 2; i < TM_RETC_MAX; i++) {
		char n[8];
		snprintf(n, sizeof(n), "c%d", i);
		cr_assert_eq(tm_retc_add(&p, n, "ret == 5", err, sizeof(err)), 0);
	}
	cr_assert_eq(tm_retc_add(&p, "ninth", "ret == 5", err, sizeof(err)), -1);
	cr_assert(strstr(err, "more than 8"), "%s", err);
}

/* A model driven with synthetic time: cache_get for 20 minutes, in second
 * s (from the epoch) 1 + s % 3 hits, s % 2 misses, every 5th second one
 * "other" (a negative value), every 10th one call left by an exception and
 * every 7th two calls that arrive as counters (no value: unclassified).
 * Every window's class counts must be those of its seconds exactly. */
#define SECS 1200
static uint64_t hit[SECS], miss[SECS], oth[SECS], uncl[SECS];

static uint64_t span_sum(const uint64_t *a, uint32_t from, uint32_t to)
{
	uint64_t n = 0;
	for (uint32_t u = from; u < to; u++)
		n += a[u];
	return n;
}

Test(retclass, windows_exact)
{
	static struct tm_coll c;
	static struct tm_proc p;
	uint64_t t0 = 1000 * NS;
	memset(&c, 0, sizeof(c));
	c.ns_per_tick = 1;
	snprintf(c.session, sizeof(c.session), "unit");
	c.start_mono_ns = t0;
	tm_wclock_init(&c.clock, t0);
	p.psyms = calloc(1, sizeof(*p.psyms));
	int g = tm_coll_sym(&c, 0, "cache_get");
	c.syms[g].flags = TM_RF_FOUND;
	p.psyms[0].gsym = (uint32_t)g;
	p.npsyms = 1;
	struct tm_retc_def d = {0}, d2 = {0};
	char err[256];
	cr_assert_eq(tm_retc_add(&d, "found", "ret != NULL", err, sizeof(err)), 0);
	struct tm_sym *s = &c.syms[g];
	tm_retc_bind(s, &d);
	cr_assert(s->no_fast && s->retc);
	cr_assert_eq(tm_retc_add(&d2, "hit", "ret > 0", err, sizeof(err)), 0);
	cr_assert_eq(tm_retc_add(&d2, "miss", "ret == 0", err, sizeof(err)), 0);
	tm_retc_bind(s, &d2);
	cr_assert_eq(s->retc->def.n, 2, "another set of classes replaces the first");

	for (uint32_t u = 0; u < SECS; u++) {
		uint64_t t = t0 + (uint64_t)u * NS + 1000;
		struct tm_call k = {.end_ns = t, .dur_ns = 500, .timed = 1, .status = TM_ST_OK};
		for (uint32_t i = 0; i < 1 + u % 3; i++, hit[u]++) {
			k.value = 0x5500000000 + i;
			tm_model_call(&c, &p, 0, &k);
		}
		for (uint32_t i = 0; i < u % 2; i++, miss[u]++) {
			k.value = 0;
			k.status = TM_ST_NORULE;
			tm_model_call(&c, &p, 0, &k);
			k.status = TM_ST_OK;
		}
		if (u % 5 == 0) {
			k.value = -7;
			k.status = TM_ST_FAILED; /* classes are not ok and failed */
			k.err = 5;
			tm_model_call(&c, &p, 0, &k);
			k.status = TM_ST_OK;
			k.err = 0;
			oth[u]++;
		}
		if (u % 10 == 0) {
			k.value = 1; /* what rax held: no return value */
			k.status = TM_ST_EXCEPTION;
			tm_model_call(&c, &p, 0, &k);
			k.status = TM_ST_OK;
			uncl[u]++;
		}
		if (u % 7 == 0) {
			struct tm_fold f = {.via = TM_VIA_CNT, .calls = 2, .ok = 2};
			tm_model_fold(&c, &p, 0, &f);
			uncl[u] += 2;
		}
		tm_model_tick(&c, t + NS + TM_WIN_GRACE_NS);
		/* check every window every 97 s, and at the end */
		if (u % 97 != 96 && u != SECS - 1)
			continue;
		uint32_t sealed = s->win.sealed;
		for (unsigned w = 0; w < TM_WIN_NWINDOWS; w++) {
			uint32_t from;
			if (w == TM_W10S || w == TM_W1M) {
				uint32_t span = w == TM_W10S ? 10 : 60;
				from = sealed > span ? sealed - span : 0;
			} else {
				uint32_t back = w == TM_W5M ? 4 : 14, cur = sealed / 60;
				from = (cur > back ? cur - back : 0) * 60;
			}
			uint64_t n[TM_RETC_MAX + 1];
			tm_retc_window(s->retc, &s->win, (enum tm_window)w, n);
			struct tm_wfig fig;
			tm_win_figures(&s->win, &c.clock, (enum tm_window)w, &fig);
			cr_assert_eq(n[0], span_sum(hit, from, sealed), "window %u at %u: hits", w,
				     u);
			cr_assert_eq(n[1], span_sum(miss, from, sealed), "window %u: misses", w);
			cr_assert_eq(n[TM_RETC_OTHER], span_sum(oth, from, sealed), "window %u", w);
			cr_assert_eq(tm_retc_unclassified(n, fig.calls),
				     span_sum(uncl, from, sealed), "window %u at %u: unclassified",
				     w, u);
			cr_assert_eq(fig.calls,
				     span_sum(hit, from, sealed) + span_sum(miss, from, sealed) +
					     span_sum(oth, from, sealed) +
					     span_sum(uncl, from, sealed),
				     "window %u: the classes add up to its calls", w);
		}
	}
	/* the whole run */
	uint64_t H = span_sum(hit, 0, SECS), M = span_sum(miss, 0, SECS),
		 O = span_sum(oth, 0, SECS), U = span_sum(uncl, 0, SECS);
	cr_assert_eq(s->retc->n[0], H);
	cr_assert_eq(s->retc->n[1], M);
	cr_assert_eq(s->retc->n[TM_RETC_OTHER], O);
	cr_assert_eq(s->calls, H + M + O + U);
	cr_assert_eq(tm_retc_unclassified(s->retc->n, s->calls), U);
	json_t *j = tm_retc_json(&s->retc->def, s->retc->n, s->calls, 1);
	json_t *jh = json_object_get(j, "hit");
	cr_assert_eq(sumjson_int(jh, "calls"), (json_int_t)H);
	cr_assert_str_eq(json_string_value(json_object_get(jh, "condition")), "ret > 0");
	cr_assert_float_eq(json_real_value(json_object_get(jh, "rate")),
			   (double)H / (double)s->calls, 1e-12);
	cr_assert_eq(sumjson_int(json_object_get(j, "unclassified"), "calls"), (json_int_t)U);
	const char *k;
	json_t *v;
	const char *order[] = {"hit", "miss", "other", "unclassified"};
	size_t i = 0;
	json_object_foreach(j, k, v) cr_assert_str_eq(k, order[i++], "the classes in their order");
	json_decref(j);
	for (size_t x = 0; x < c.nsyms; x++)
		tm_sym_free(&c.syms[x]);
	free(c.syms);
	free(c.symhash);
	free(p.psyms);
}

static const char *const fns[] = {"cache_get", "plain", "work", "sqlite3_step"};

/* Records through the drain (in the collector's current second, where
 * the fast way would take them), accumulators, the summary, /metrics and
 * the table. */
Test(retclass, drain_summary_metrics)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 4096, 1, 8, fns, 4);
	segfake_wsym(&f, 3)->codes = TM_CODES_SQLITE;
	coll_on(&c, f.dir);
	int bad = 0;
	char *said = load_rules(
		&c, f.dir,
		"{\"outcomes\": ["
		" {\"function\": \"cache_*\", \"returns\": {\"hit\": \"ret != NULL\", \"miss\": "
		"\"ret == NULL\"}},"
		" {\"function\": \"work\", \"codes\": {\"EAGAIN\": \"would_block\"},"
		"  \"returns\": {\"neg\": \"ret < 0\"}}]}",
		&bad);
	cr_assert_eq(bad, 0, "%s", said);
	free(said);
	tm_model_tick(&c, tm_mono_ns());
	f.start_base = c.clock.now_ns + 400000000ull;
	for (int i = 0; i < 1000; i++) {
		segfake_push(&f, 0, 0, 100, TM_ST_NORULE, i % 10 < 7 ? 0x7f0000001000 + i : 0, 0);
		segfake_push(&f, 0, 1, 100, TM_ST_NORULE, 0, 0);
	}
	segfake_push(&f, 0, 2, 100, TM_ST_FAILED, -1, 11 /* EAGAIN */);
	segfake_push(&f, 0, 2, 100, TM_ST_OK, 3, 0);
	segfake_push(&f, 0, 3, 100, TM_ST_OK, 100, 0);
	segfake_push(&f, 0, 3, 100, TM_ST_OK, 100, 0);
	segfake_push(&f, 0, 3, 100, TM_ST_OK, 101, 0);
	cr_assert_eq(tm_coll_scan(&c), 1);
	tm_coll_drain(&c);
	struct tm_sym *cg = sym(&c, "cache_get"), *w = sym(&c, "work");
	cr_assert_gt(c.drain_fast, 900, "plain's records took the fast way (%llu)",
		     (unsigned long long)c.drain_fast);
	cr_assert_lt(c.drain_fast, 1000, "none of cache_get's did");
	cr_assert(!sym(&c, "plain")->retc && !sym(&c, "plain")->no_fast);
	cr_assert_eq(cg->calls, 1000);
	cr_assert_eq(cg->retc->n[0], 700);
	cr_assert_eq(cg->retc->n[1], 300);
	cr_assert_eq(w->outcomes, 1, "codes and returns in one entry");
	cr_assert_eq(w->retc->n[0], 1);
	cr_assert_eq(w->retc->n[TM_RETC_OTHER], 1);
	struct tm_sym *st = sym(&c, "sqlite3_step");
	cr_assert_not_null(st->retc, "sqlite3_step's built-in classes");
	cr_assert_eq(st->retc->n[0], 2);
	cr_assert_eq(st->retc->n[1], 1);

	/* the ring was full: 40 calls folded, no values */
	struct tm_acc *a = segfake_acc(&f, 0, 0);
	a->calls = 40;
	atomic_fetch_add(&segfake_thread(&f, 0)->acc_epoch, 1);
	tm_coll_drain(&c);
	cr_assert_eq(cg->calls, 1040);
	tm_model_tick(&c, tm_mono_ns() + 3 * NS); /* seal the second */

	json_t *root = tm_summary_json(&c);
	json_t *r = json_object_get(sumjson_sym(root, "cache_get"), "returns");
	cr_assert_not_null(r);
	cr_assert_eq(sumjson_int(json_object_get(r, "hit"), "calls"), 700);
	cr_assert_eq(sumjson_int(json_object_get(r, "miss"), "calls"), 300);
	cr_assert_eq(sumjson_int(json_object_get(r, "other"), "calls"), 0);
	cr_assert_eq(sumjson_int(json_object_get(r, "unclassified"), "calls"), 40);
	cr_assert_float_eq(json_real_value(json_object_get(json_object_get(r, "hit"), "rate")),
			   700.0 / 1040, 1e-12);
	cr_assert_null(json_object_get(sumjson_sym(root, "plain"), "returns"));
	json_t *w1 = json_object_get(
		json_object_get(json_object_get(sumjson_sym(root, "cache_get"), "windows"), "1m"),
		"returns");
	cr_assert_eq(sumjson_int(json_object_get(w1, "hit"), "calls"), 700);
	cr_assert_eq(sumjson_int(json_object_get(w1, "miss"), "calls"), 300);
	cr_assert_eq(sumjson_int(json_object_get(w1, "unclassified"), "calls"), 40);
	cr_assert_null(json_object_get(json_object_get(w1, "hit"), "condition"));
	json_decref(root);

	size_t len;
	char *m = tm_prom_render(&c, 0, &len);
	cr_assert_not_null(m);
	cr_assert(strstr(m, "# TYPE tm_call_returns_total counter\n"), "%s", m);
	cr_assert(strstr(m, "function=\"cache_get\",object=\"\",class=\"hit\"} 700\n"), "%s", m);
	cr_assert(strstr(m, "function=\"cache_get\",object=\"\",class=\"miss\"} 300\n"));
	cr_assert(strstr(m, "function=\"cache_get\",object=\"\",class=\"other\"} 0\n"));
	cr_assert(strstr(m, "function=\"cache_get\",object=\"\",class=\"unclassified\"} 40\n"));
	cr_assert(strstr(m, "function=\"sqlite3_step\",object=\"\",class=\"row\"} 2\n"));
	cr_assert_null(strstr(m, "function=\"plain\",object=\"\",class="));
	free(m);

	char *tab = NULL;
	size_t tl = 0;
	FILE *tf = open_memstream(&tab, &tl);
	tm_table_print(&c, tf);
	fclose(tf);
	cr_assert(strstr(tab, "returns hit 700 (67.3%), miss 300 (28.8%), unclassified 40 (3.8%)"),
		  "%s", tab);
	free(tab);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* The rules file: "returns" replaces a built-in list ({} removes it), a
 * later entry the earlier one's; bad entries are one line each naming the
 * entry and the field (what they quote made printable), and skipped. */
Test(retclass, rules_override_and_refuse)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, fns, 4);
	segfake_wsym(&f, 3)->codes = TM_CODES_SQLITE;
	coll_on(&c, f.dir);
	int bad = 0;
	char *said = load_rules(
		&c, f.dir,
		"{\"outcomes\": ["
		" {\"function\": \"sqlite3_step\", \"returns\": {}},"
		" {\"function\": \"work\", \"returns\": {\"a\": \"ret == 1\"}},"
		" {\"function\": \"work\", \"returns\": {\"b\": \"ret == 2\", \"c\": \"ret > 0\"}},"
		" {\"function\": \"x\", \"returns\": {\"hit\": \"ret = NULL\"}},"
		" {\"function\": \"x\", \"returns\": {\"other\": \"ret == 1\"}},"
		" {\"function\": \"x\", \"returns\": {\"hit\": 1}},"
		" {\"function\": \"x\", \"returns\": [\"ret == 1\"]},"
		" {\"function\": \"x\", \"returns\": {\"a\": \"ret == 1\", \"b\": \"ret == 1\","
		"  \"c\": \"ret == 1\", \"d\": \"ret == 1\", \"e\": \"ret == 1\", \"f\": \"ret == "
		"1\", \"g\": \"ret == 1\", \"h\": \"ret == 1\", \"i\": \"ret == 1\"}},"
		" {\"function\": \"x\", \"return\": {}},"
		" {\"function\": \"plain\", \"returns\": {\"hit\": \"ret != NULL\", \"bad\": \"ret "
		"!= nil\"}},"
		" {\"function\": \"x\", \"returns\": {\"a\\nb\": \"ret == 1\"}},"
		" {\"function\": \"x\", \"returns\": {\"nl\": \"ret == 1\\nboom\"}}"
		"]}",
		&bad);
	cr_assert_eq(bad, 9, "%s", said);
	static const char *const lines[] = {
		("rules r.json: outcomes[3] \"returns.hit\": expected ==, !=, <, <=, >, >= at "
		 "'= NULL'; entry ignored\n"),
		"outcomes[4] \"returns.other\": a class name is [a-z][a-z0-9_]*",
		"outcomes[5] \"returns.hit\": must be a condition",
		"outcomes[6] \"returns\": must be an object of 0..8 class: condition",
		"outcomes[7] \"returns\": must be an object of 0..8 class: condition",
		"outcomes[8] \"return\": unknown field (function, codes, returns); entry ignored\n",
		"outcomes[9] \"returns.bad\": expected a number or NULL at 'nil'; entry ignored\n",
		"outcomes[10] \"returns.a\\x0ab\": a class name is",
		"outcomes[11] \"returns.nl\": expected || or && at '\\x0aboom'; entry ignored\n",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		cr_assert(strstr(said, lines[i]), "missing '%s' in:\n%s", lines[i], said);
	int nl = 0;
	for (const char *p = said; *p; p++)
		nl += *p == '\n';
	cr_assert_eq(nl, 9, "one line each:\n%s", said);
	free(said);
	segfake_push(&f, 0, 1, 100, TM_ST_NORULE, 0, 0);
	segfake_push(&f, 0, 2, 100, TM_ST_NORULE, 2, 0);
	segfake_push(&f, 0, 2, 100, TM_ST_NORULE, 1, 0);
	segfake_push(&f, 0, 3, 100, TM_ST_OK, 100, 0);
	cr_assert_eq(tm_coll_scan(&c), 1);
	tm_coll_drain(&c);
	cr_assert_null(sym(&c, "sqlite3_step")->retc, "{} removes the built-in classes");
	cr_assert_null(sym(&c, "plain")->retc, "a refused entry gives nothing");
	struct tm_retc *r = sym(&c, "work")->retc;
	cr_assert_not_null(r);
	cr_assert_eq(r->def.n, 2, "the later entry's list, whole");
	cr_assert_str_eq(r->def.c[0].name, "b");
	cr_assert_eq(r->n[0], 1);
	cr_assert_eq(r->n[1], 1, "1 is not b but c");
	tm_coll_free(&c);
	segfake_destroy(&f);
}
