/* SPDX-License-Identifier: MIT */
/* Outcomes (collector/model/outcome.c): failed calls whose code is an
 * outcome of its own are in calls, not in ok, failed or the rates, through
 * records and through accumulators; the rules file overrides and extends
 * the built-in table, and its bad entries are named and skipped. Also the
 * blocking flag and the monitored calls seen inside a function. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "out/out.h"
#include "segfake.h"

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

static struct tm_wire_sym *wsym(struct segfake *f, uint32_t i)
{
	return (struct tm_wire_sym *)((char *)f->h + f->h->syms_off) + i;
}

static struct tm_acc *acc_of(struct segfake *f, uint32_t thr, uint32_t s)
{
	char *base = (char *)segfake_thread(f, thr);
	_Atomic uint8_t *used = (void *)(base + tm_thr_used_off(f->h->stack_cap));
	used[s] = 1;
	return (struct tm_acc *)(base + tm_thr_acc_off(f->h->stack_cap, f->h->max_syms)) + s;
}

static void bump_epoch(struct segfake *f, uint32_t thr)
{
	atomic_fetch_add(&segfake_thread(f, thr)->acc_epoch, 1);
}

/* The summary's entry for a function. */
static json_t *sym_json_of(json_t *root, const char *name)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(root, "symbols"), i,
			   e) if (strcmp(json_string_value(json_object_get(e, "name")), name) ==
				  0) return e;
	cr_assert_fail("%s not in the summary", name);
	return NULL;
}

static json_int_t jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "%s is not an integer", k);
	return json_integer_value(v);
}

static const char *const net[] = {"connect", "open", "epoll_wait", "work"};

/* connect: 2 connected, 3 EINPROGRESS, 1 EALREADY, 4 refused; open's
 * EAGAIN stays a failure (no outcome codes there). */
Test(outcome, records_count_outcomes_apart)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, net, 4);
	for (int i = 0; i < 2; i++)
		segfake_push(&f, 0, 0, 100, TM_ST_OK, 0, 0);
	for (int i = 0; i < 3; i++)
		segfake_push(&f, 0, 0, 100, TM_ST_FAILED, -1, EINPROGRESS);
	segfake_push(&f, 0, 0, 100, TM_ST_FAILED, -1, EALREADY);
	for (int i = 0; i < 4; i++)
		segfake_push(&f, 0, 0, 100, TM_ST_FAILED, -1, ECONNREFUSED);
	segfake_push(&f, 0, 1, 100, TM_ST_FAILED, -1, EAGAIN);
	coll_on(&c, f.dir);
	cr_assert_eq(tm_coll_scan(&c), 1);
	tm_coll_drain(&c);
	struct tm_sym *s = sym(&c, "connect");
	cr_assert_eq(s->calls, 10);
	cr_assert_eq(s->ok, 2);
	cr_assert_eq(s->failed, 4);
	cr_assert_eq(s->outcomes, 4);
	cr_assert_eq(sym(&c, "open")->failed, 1);
	cr_assert_eq(sym(&c, "open")->outcomes, 0);
	cr_assert_eq(c.procs[0]->failed, 5, "the process's failures exclude outcomes");

	json_t *root = tm_summary_json(&c);
	json_t *j = sym_json_of(root, "connect");
	cr_assert_eq(jint(j, "failed"), 4);
	cr_assert_eq(jint(j, "outcome_calls"), 4);
	cr_assert_eq(jint(j, "not_judged"), 0);
	cr_assert_float_eq(json_real_value(json_object_get(j, "error_rate")), 4.0 / 6, 1e-9);
	cr_assert_float_eq(json_real_value(json_object_get(j, "success_rate")), 2.0 / 6, 1e-9);
	json_t *errs = json_object_get(j, "errors");
	cr_assert_eq(json_object_size(errs), 1);
	cr_assert_eq(jint(errs, "ECONNREFUSED"), 4);
	json_t *ip = json_object_get(json_object_get(j, "outcomes"), "in_progress");
	cr_assert_eq(jint(ip, "calls"), 4);
	cr_assert_eq(jint(json_object_get(ip, "codes"), "EINPROGRESS"), 3);
	cr_assert_eq(jint(json_object_get(ip, "codes"), "EALREADY"), 1);
	cr_assert_eq(jint(json_object_get(root, "totals"), "failed"), 5);
	cr_assert_eq(jint(json_object_get(root, "totals"), "outcome_calls"), 4);
	json_t *ps = json_object_get(
		json_object_get(json_array_get(json_object_get(root, "processes"), 0), "symbols"),
		"connect");
	cr_assert_eq(jint(ps, "failed"), 4);

	size_t len;
	char *m = tm_prom_render(&c, 0, &len);
	cr_assert_not_null(m);
	cr_assert(strstr(m, "tm_call_outcomes_total{session=\"unit\",process=\""), "%s", m);
	cr_assert(strstr(m, "function=\"connect\",object=\"\",outcome=\"in_progress\"} 4\n"), "%s",
		  m);
	cr_assert(strstr(m, "function=\"connect\",object=\"\",error=\"ECONNREFUSED\"} 4\n"));
	cr_assert_null(strstr(m, "error=\"EINPROGRESS\""));
	free(m);
	json_decref(root);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* The time axis: the windows' failures and error rate leave outcomes out. */
Test(outcome, windows_exclude_outcomes)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, net, 4);
	segfake_push(&f, 0, 0, 100, TM_ST_OK, 0, 0);
	for (int i = 0; i < 5; i++)
		segfake_push(&f, 0, 0, 100, TM_ST_FAILED, -1, EINPROGRESS);
	segfake_push(&f, 0, 0, 100, TM_ST_FAILED, -1, ECONNREFUSED);
	coll_on(&c, f.dir);
	cr_assert_eq(tm_coll_scan(&c), 1);
	tm_coll_drain(&c);
	tm_model_tick(&c, tm_mono_ns() + 3000000000ull); /* seal the second */
	struct tm_wfig w;
	tm_win_figures(&sym(&c, "connect")->win, &c.clock, TM_W1M, &w);
	cr_assert_eq(w.calls, 7);
	cr_assert_eq(w.ok, 1);
	cr_assert_eq(w.failed, 1);
	cr_assert_eq(w.nerr, 1);
	cr_assert_eq(w.err[0].code, ECONNREFUSED);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* Accumulators (the ring was full): codes classify the same way; the
 * "did not fit" bucket stays failed; an outcome code seen before its
 * failed increment is taken off the next delta, so totals stay exact. */
Test(outcome, accumulators_classify_and_stay_exact)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, net, 4);
	coll_on(&c, f.dir);
	cr_assert_eq(tm_coll_scan(&c), 1);
	struct tm_acc *a = acc_of(&f, 0, 0);
	a->calls = 9;
	a->failed = 8;
	a->ok = 1;
	a->errs[0].code = EINPROGRESS;
	a->errs[0].count = 5;
	a->errs[1].code = ECONNREFUSED;
	a->errs[1].count = 2;
	a->errs_other = 1;
	bump_epoch(&f, 0);
	tm_coll_drain(&c);
	struct tm_sym *s = sym(&c, "connect");
	cr_assert_eq(s->calls, 9);
	cr_assert_eq(s->ok, 1);
	cr_assert_eq(s->outcomes, 5);
	cr_assert_eq(s->failed, 3, "refused 2 + one whose code did not fit");
	cr_assert_eq(c.procs[0]->failed, 3);

	/* the shim between its two stores: the code's count is there, failed
	 * not yet */
	a->calls = 10;
	a->errs[0].count = 6;
	bump_epoch(&f, 0);
	tm_coll_drain(&c);
	cr_assert_eq(s->outcomes, 6);
	cr_assert_eq(s->failed, 3);
	a->failed = 9;
	bump_epoch(&f, 0);
	tm_coll_drain(&c);
	cr_assert_eq(s->failed, 3, "the late failed increment was the outcome's");
	/* and a real failure after it still counts */
	a->calls = 11;
	a->failed = 10;
	a->errs[1].count = 3;
	bump_epoch(&f, 0);
	tm_coll_drain(&c);
	cr_assert_eq(s->failed, 4);
	cr_assert_eq(s->calls, 11);
	cr_assert_eq(s->ok + s->failed + s->outcomes, 11);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

static const char *const db[] = {"sqlite3_step", "sqlite3_finalize", "sqlite3_reset",
				 "sqlite3_exec"};

/* finalize and reset repeat the step's error: every code they return is
 * reports_earlier_error; exec's own failures stay failures. */
Test(outcome, sqlite_finalize_reports_earlier_error)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, db, 4);
	for (uint32_t i = 0; i < 4; i++)
		wsym(&f, i)->codes = TM_CODES_SQLITE;
	for (int i = 0; i < 3; i++) {
		segfake_push(&f, 0, 0, 100, TM_ST_FAILED, 2067, 2067); /* CONSTRAINT_UNIQUE */
		segfake_push(&f, 0, i == 2 ? 2 : 1, 100, TM_ST_FAILED, 2067, 2067);
	}
	segfake_push(&f, 0, 0, 100, TM_ST_OK, 101, 0);
	segfake_push(&f, 0, 1, 100, TM_ST_OK, 0, 0);
	segfake_push(&f, 0, 3, 100, TM_ST_FAILED, 1, 1);
	coll_on(&c, f.dir);
	cr_assert_eq(tm_coll_scan(&c), 1);
	tm_coll_drain(&c);
	cr_assert_eq(sym(&c, "sqlite3_step")->failed, 3);
	cr_assert_eq(sym(&c, "sqlite3_finalize")->failed, 0);
	cr_assert_eq(sym(&c, "sqlite3_finalize")->outcomes, 2);
	cr_assert_eq(sym(&c, "sqlite3_finalize")->ok, 1);
	cr_assert_eq(sym(&c, "sqlite3_reset")->outcomes, 1);
	cr_assert_eq(sym(&c, "sqlite3_exec")->failed, 1);
	json_t *root = tm_summary_json(&c);
	cr_assert_eq(jint(json_object_get(root, "totals"), "failed"), 4,
		     "3 failed statements and one failed exec");
	json_t *o =
		json_object_get(json_object_get(sym_json_of(root, "sqlite3_finalize"), "outcomes"),
				"reports_earlier_error");
	cr_assert_eq(jint(json_object_get(o, "codes"), "SQLITE_CONSTRAINT_UNIQUE"), 2);
	json_decref(root);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* Writes text to a rules file in the segment's directory, loads it and
 * returns what the collector said about it (caller frees). */
static char *load_rules(struct tm_coll *c, const char *dir, const char *text, int *bad)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/rules.json", dir);
	FILE *w = fopen(path, "w");
	cr_assert_not_null(w);
	fputs(text, w);
	fclose(w);
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	cr_assert_not_null(root, "%s", jerr.text);
	char *said = NULL;
	size_t n = 0;
	FILE *log = open_memstream(&said, &n);
	*bad = tm_outc_parse(c, root, "r.json", log);
	fclose(log);
	json_decref(root);
	unlink(path);
	return said;
}

/* The rules file: connect's EINPROGRESS back to failures, a function of
 * the user's with outcomes of its own names, and blocking changed both
 * ways; bad entries are one line each naming the entry and field. */
Test(outcome, rules_override_extend_and_refuse)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, net, 4);
	coll_on(&c, f.dir);
	int bad = 0;
	char *said =
		load_rules(&c, f.dir,
			   "{\"outcomes\": ["
			   " {\"function\": \"connect\", \"codes\": {\"EINPROGRESS\": \"failed\"}},"
			   " {\"function\": \"wor?\", \"codes\": {\"ENOENT\": \"not_found\", "
			   "  \"EWOULDBLOCK\": \"would_block\", \"7\": \"seven\"}},"
			   " {\"function\": \"x\", \"codes\": {\"ENOPE\": \"a\"}},"
			   " {\"function\": \"x\", \"codes\": {\"EAGAIN\": \"ok\"}},"
			   " {\"function\": \"x\", \"codes\": {\"EAGAIN\": \"Bad-Name\"}},"
			   " {\"function\": \"x\", \"code\": {}},"
			   " {\"codes\": {\"EAGAIN\": \"would_block\"}},"
			   " {\"function\": \"x\", \"codes\": {}},"
			   " {\"function\": \"x\", \"codes\": {\"EAGAIN\": 3}},"
			   " 42],"
			   " \"blocking\": {\"work\": true, \"epoll_wait\": false, \"y\": 1}}",
			   &bad);
	cr_assert_eq(bad, 9, "%s", said);
	static const char *const lines[] = {
		("rules r.json: outcomes[2] \"ENOPE\": is not an errno or SQLite code name, a "
		 "number or \"*\"; entry ignored\n"),
		"outcomes[3] \"EAGAIN\": must be \"failed\" or an outcome name",
		"outcomes[4] \"EAGAIN\": must be \"failed\" or an outcome name",
		"outcomes[5] \"code\": unknown field (function, codes, returns); entry ignored\n",
		"outcomes[6] \"function\": must be a name or glob",
		"outcomes[7] \"codes\": must be an object of 1..32 code: outcome; entry ignored\n",
		"outcomes[8] \"EAGAIN\": must be a string",
		"outcomes[9] must be an object; entry ignored\n",
		"blocking \"y\": must be true or false; ignored\n",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		cr_assert(strstr(said, lines[i]), "missing '%s' in:\n%s", lines[i], said);
	free(said);

	segfake_push(&f, 0, 0, 100, TM_ST_FAILED, -1, EINPROGRESS);
	segfake_push(&f, 0, 0, 100, TM_ST_FAILED, -1, EALREADY);
	segfake_push(&f, 0, 3, 100, TM_ST_FAILED, -1, ENOENT);
	segfake_push(&f, 0, 3, 100, TM_ST_FAILED, -1, EAGAIN);
	segfake_push(&f, 0, 3, 100, TM_ST_FAILED, -1, 7);
	segfake_push(&f, 0, 3, 100, TM_ST_FAILED, -1, EACCES);
	cr_assert_eq(tm_coll_scan(&c), 1);
	tm_coll_drain(&c);
	struct tm_sym *con = sym(&c, "connect"), *w = sym(&c, "work");
	cr_assert_eq(con->failed, 1, "EINPROGRESS given back to failures");
	cr_assert_eq(con->outcomes, 1, "EALREADY is still the built-in outcome");
	cr_assert_eq(w->failed, 1);
	cr_assert_eq(w->outcomes, 3);
	cr_assert(w->blocking);
	cr_assert(!sym(&c, "epoll_wait")->blocking);
	json_t *root = tm_summary_json(&c);
	json_t *oc = json_object_get(sym_json_of(root, "work"), "outcomes");
	cr_assert_eq(jint(json_object_get(oc, "not_found"), "calls"), 1);
	cr_assert_eq(jint(json_object_get(oc, "would_block"), "calls"), 1);
	cr_assert_eq(jint(json_object_get(json_object_get(oc, "seven"), "codes"), "E2BIG"), 1);
	cr_assert_null(json_object_get(oc, "a"), "a refused entry's names are not kept");
	json_decref(root);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* Blocking functions by name; the monitored calls seen inside another. */
Test(outcome, blocking_and_inner_calls)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, net, 4);
	for (int i = 0; i < 3; i++) {
		segfake_push(&f, 0, 1, 100, TM_ST_OK, 3, 0);
		segfake_ring(&f, 0)[(segfake_thread(&f, 0)->head - 1) & 63].caller = 3;
	}
	segfake_push(&f, 0, 3, 1000, TM_ST_OK, 1, 0);
	segfake_push(&f, 0, 2, 100, TM_ST_OK, 0, 0);
	segfake_ring(&f, 0)[(segfake_thread(&f, 0)->head - 1) & 63].caller = 200; /* bad id */
	coll_on(&c, f.dir);
	cr_assert_eq(tm_coll_scan(&c), 1);
	tm_coll_drain(&c);
	cr_assert_eq(sym(&c, "work")->inner_calls, 3);
	cr_assert_eq(sym(&c, "open")->inner_calls, 0);
	cr_assert(sym(&c, "epoll_wait")->blocking);
	cr_assert(!sym(&c, "open")->blocking);
	json_t *root = tm_summary_json(&c);
	cr_assert_eq(jint(sym_json_of(root, "work"), "inner_calls"), 3);
	cr_assert(json_is_true(json_object_get(sym_json_of(root, "epoll_wait"), "blocking")));
	json_decref(root);
	tm_coll_free(&c);
	segfake_destroy(&f);
}
