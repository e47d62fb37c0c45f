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
	struct tm_acc *a = segfake_acc(&f, 0, 0);
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
		segfake_wsym(&f, i)->codes = TM_CODES_SQLITE;
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

static char *load_rules(struct tm_coll *c, const char *dir, const char *text, int *bad)
{
	char *said = segfake_rules(c, dir, text, bad);
	cr_assert_not_null(said, "rules text did not load");
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
		("rules r.json: outcomes[2] \"ENOPE\": is not a code name (errno, SQLite, zlib, "
		 "curl, EAI), a number or \"*\"; entry ignored\n"),
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

static const char *const libs[] = {"inflate",
				   "curl_easy_recv",
				   "getaddrinfo",
				   "pthread_mutex_trylock",
				   "pthread_cond_timedwait",
				   "SSL_shutdown",
				   "gzread"};

/* The library profiles' domains: codes are named in them (Z_DATA_ERROR,
 * CURLE_AGAIN, EAI_NONAME), the built-in outcomes apply in them
 * (Z_BUF_ERROR, CURLE_AGAIN, EBUSY, ETIMEDOUT, SSL_shutdown's 0), other
 * codes stay failures, and a domain value no collector knows names its
 * codes as numbers. */
Test(outcome, library_domains)
{
	struct segfake f;
	struct tm_coll c;
	static const uint16_t dom[] = {
		TM_CODES_ZLIB,	TM_CODES_CURL,	 TM_CODES_EAI, TM_CODES_ERRNO,
		TM_CODES_ERRNO, TM_CODES_NUMBER, 999};
	segfake_create(&f, "unit", 64, 1, 8, libs, 7);
	for (uint32_t i = 0; i < 7; i++)
		segfake_wsym(&f, i)->codes = dom[i];
	segfake_push(&f, 0, 0, 100, TM_ST_FAILED, -5, -5); /* Z_BUF_ERROR */
	segfake_push(&f, 0, 0, 100, TM_ST_FAILED, -5, -5);
	segfake_push(&f, 0, 0, 100, TM_ST_FAILED, -3, -3); /* Z_DATA_ERROR */
	segfake_push(&f, 0, 0, 100, TM_ST_OK, 1, 0);
	segfake_push(&f, 0, 1, 100, TM_ST_FAILED, 81, 81); /* CURLE_AGAIN */
	segfake_push(&f, 0, 1, 100, TM_ST_FAILED, 56, 56); /* CURLE_RECV_ERROR */
	segfake_push(&f, 0, 1, 100, TM_ST_FAILED, 20, 20); /* retired */
	segfake_push(&f, 0, 2, 100, TM_ST_FAILED, -2, -2); /* EAI_NONAME */
	segfake_push(&f, 0, 3, 100, TM_ST_FAILED, EBUSY, EBUSY);
	segfake_push(&f, 0, 3, 100, TM_ST_FAILED, EINVAL, EINVAL);
	segfake_push(&f, 0, 4, 100, TM_ST_FAILED, ETIMEDOUT, ETIMEDOUT);
	segfake_push(&f, 0, 5, 100, TM_ST_FAILED, 0, 0);
	segfake_push(&f, 0, 5, 100, TM_ST_FAILED, -1, -1);
	segfake_push(&f, 0, 6, 100, TM_ST_FAILED, -1, -1);
	coll_on(&c, f.dir);
	cr_assert_eq(tm_coll_scan(&c), 1);
	tm_coll_drain(&c);
	cr_assert_eq(sym(&c, "inflate")->outcomes, 2);
	cr_assert_eq(sym(&c, "inflate")->failed, 1);
	cr_assert_eq(sym(&c, "curl_easy_recv")->outcomes, 1);
	cr_assert_eq(sym(&c, "curl_easy_recv")->failed, 2);
	cr_assert_eq(sym(&c, "getaddrinfo")->failed, 1);
	cr_assert_eq(sym(&c, "pthread_mutex_trylock")->outcomes, 1);
	cr_assert_eq(sym(&c, "pthread_mutex_trylock")->failed, 1);
	cr_assert_eq(sym(&c, "pthread_cond_timedwait")->outcomes, 1);
	cr_assert_eq(sym(&c, "SSL_shutdown")->outcomes, 1);
	cr_assert_eq(sym(&c, "SSL_shutdown")->failed, 1);
	cr_assert_eq(sym(&c, "gzread")->codes, TM_CODES_NONE, "an unknown domain is not taken");
	json_t *root = tm_summary_json(&c);
	json_t *e = json_object_get(sym_json_of(root, "inflate"), "errors");
	cr_assert_eq(jint(e, "Z_DATA_ERROR"), 1);
	json_t *o = json_object_get(json_object_get(sym_json_of(root, "inflate"), "outcomes"),
				    "no_progress");
	cr_assert_eq(jint(json_object_get(o, "codes"), "Z_BUF_ERROR"), 2);
	e = json_object_get(sym_json_of(root, "curl_easy_recv"), "errors");
	cr_assert_eq(jint(e, "CURLE_RECV_ERROR"), 1);
	cr_assert_eq(jint(e, "CURLE_20"), 1, "a retired CURLcode by number");
	o = json_object_get(json_object_get(sym_json_of(root, "curl_easy_recv"), "outcomes"),
			    "would_block");
	cr_assert_eq(jint(json_object_get(o, "codes"), "CURLE_AGAIN"), 1);
	e = json_object_get(sym_json_of(root, "getaddrinfo"), "errors");
	cr_assert_eq(jint(e, "EAI_NONAME"), 1);
	cr_assert_eq(jint(json_object_get(sym_json_of(root, "getaddrinfo"), "errors_by_category"),
			  "not_found"),
		     1);
	o = json_object_get(json_object_get(sym_json_of(root, "pthread_mutex_trylock"), "outcomes"),
			    "busy");
	cr_assert_eq(jint(json_object_get(o, "codes"), "EBUSY"), 1);
	o = json_object_get(
		json_object_get(sym_json_of(root, "pthread_cond_timedwait"), "outcomes"),
		"timed_out");
	cr_assert_eq(jint(json_object_get(o, "codes"), "ETIMEDOUT"), 1);
	o = json_object_get(json_object_get(sym_json_of(root, "SSL_shutdown"), "outcomes"),
			    "in_progress");
	cr_assert_eq(jint(json_object_get(o, "codes"), "0"), 1);
	cr_assert_eq(jint(json_object_get(sym_json_of(root, "gzread"), "errors"), "-1"), 1);
	json_decref(root);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* Code names and numbers in every domain, both ways; a name is a code of
 * its own domain only. */
Test(outcome, code_names_by_domain)
{
	static const struct {
		unsigned d;
		int32_t code;
		const char *name;
	} t[] = {
		{TM_CODES_ZLIB, 0, "Z_OK"},
		{TM_CODES_ZLIB, 2, "Z_NEED_DICT"},
		{TM_CODES_ZLIB, -5, "Z_BUF_ERROR"},
		{TM_CODES_ZLIB, -6, "Z_VERSION_ERROR"},
		{TM_CODES_CURL, 6, "CURLE_COULDNT_RESOLVE_HOST"},
		{TM_CODES_CURL, 7, "CURLE_COULDNT_CONNECT"},
		{TM_CODES_CURL, 28, "CURLE_OPERATION_TIMEDOUT"},
		{TM_CODES_CURL, 81, "CURLE_AGAIN"},
		{TM_CODES_CURL, 99, "CURLE_UNRECOVERABLE_POLL"},
		{TM_CODES_CURLM, -1, "CURLM_CALL_MULTI_PERFORM"},
		{TM_CODES_CURLM, 1, "CURLM_BAD_HANDLE"},
		{TM_CODES_EAI, -2, "EAI_NONAME"},
		{TM_CODES_EAI, -3, "EAI_AGAIN"},
		{TM_CODES_EAI, -5, "EAI_NODATA"},
		{TM_CODES_EAI, -9, "EAI_ADDRFAMILY"},
		{TM_CODES_EAI, -11, "EAI_SYSTEM"},
		{TM_CODES_EAI, -12, "EAI_OVERFLOW"},
	};
	char buf[64];
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int32_t v = 12345;
		cr_assert_str_eq(tm_code_name(t[i].d, t[i].code, buf, sizeof(buf)), t[i].name);
		cr_assert_eq(tm_code_value(t[i].d, t[i].name, &v), 0, "%s", t[i].name);
		cr_assert_eq(v, t[i].code, "%s", t[i].name);
	}
	int32_t v;
	cr_assert_neq(tm_code_value(TM_CODES_ERRNO, "EAI_NONAME", &v), 0);
	cr_assert_neq(tm_code_value(TM_CODES_EAI, "EAGAIN", &v), 0);
	cr_assert_neq(tm_code_value(TM_CODES_CURLM, "CURLE_AGAIN", &v), 0);
	cr_assert_neq(tm_code_value(200, "Z_OK", &v), 0, "an unknown domain names nothing");
	cr_assert_str_eq(tm_code_name(TM_CODES_ZLIB, 7, buf, sizeof(buf)), "Z_7");
	cr_assert_str_eq(tm_code_name(TM_CODES_EAI, -200, buf, sizeof(buf)), "EAI_-200");
	cr_assert_str_eq(tm_code_name(200, 5, buf, sizeof(buf)), "5");
	cr_assert_str_eq(tm_code_category("CURLE_COULDNT_CONNECT"), "network");
	cr_assert_str_eq(tm_code_category("CURLE_OPERATION_TIMEDOUT"), "timeout");
	cr_assert_str_eq(tm_code_category("Z_DATA_ERROR"), "invalid_input");
	cr_assert_str_eq(tm_code_category("EAI_NONAME"), "not_found");
	cr_assert_str_eq(tm_code_category("EAI_AGAIN"), "network");
}

/* The rules file names codes of the library domains, each resolved in the
 * function's own domain. */
Test(outcome, rules_name_library_codes)
{
	struct segfake f;
	struct tm_coll c;
	static const char *const fns[] = {"inflate", "curl_easy_perform", "getaddrinfo"};
	static const uint16_t dom[] = {TM_CODES_ZLIB, TM_CODES_CURL, TM_CODES_EAI};
	segfake_create(&f, "unit", 64, 1, 8, fns, 3);
	for (uint32_t i = 0; i < 3; i++)
		segfake_wsym(&f, i)->codes = dom[i];
	coll_on(&c, f.dir);
	int bad;
	char *said =
		load_rules(&c, f.dir,
			   "{\"outcomes\": ["
			   " {\"function\": \"inflate\", \"codes\": {\"Z_BUF_ERROR\": \"failed\","
			   " \"Z_NEED_DICT\": \"needs_dict\"}},"
			   " {\"function\": \"curl_easy_perform\", \"codes\": "
			   "{\"CURLE_OPERATION_TIMEDOUT\": \"timed_out\", \"EAI_NONAME\": \"x\"}},"
			   " {\"function\": \"getaddrinfo\", \"codes\": {\"EAI_NONAME\": "
			   "\"not_found\"}}]}",
			   &bad);
	cr_assert_eq(bad, 0, "%s", said);
	free(said);
	segfake_push(&f, 0, 0, 100, TM_ST_FAILED, -5, -5);
	segfake_push(&f, 0, 0, 100, TM_ST_FAILED, 2, 2);
	segfake_push(&f, 0, 1, 100, TM_ST_FAILED, 28, 28);
	segfake_push(&f, 0, 1, 100, TM_ST_FAILED, -2, -2);
	segfake_push(&f, 0, 2, 100, TM_ST_FAILED, -2, -2);
	cr_assert_eq(tm_coll_scan(&c), 1);
	tm_coll_drain(&c);
	cr_assert_eq(sym(&c, "inflate")->failed, 1, "Z_BUF_ERROR given back to failures");
	cr_assert_eq(sym(&c, "inflate")->outcomes, 1);
	cr_assert_eq(sym(&c, "curl_easy_perform")->outcomes, 1);
	cr_assert_eq(sym(&c, "curl_easy_perform")->failed, 1, "EAI_NONAME names no CURLcode");
	cr_assert_eq(sym(&c, "getaddrinfo")->outcomes, 1);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* /metrics names at most 10 error codes per function and counts the rest
 * as error="other": 12 codes, the 10 most frequent by name, the 2 rarest
 * (1 and 2 calls) as other; the labels add up to the failures. */
Test(outcome, metrics_error_labels_capped)
{
	struct segfake f;
	struct tm_coll c;
	static const char *const one[] = {"work"};
	static const int codes[12] = {EPERM,   ENOENT, EINTR,  EIO,    ENXIO,  E2BIG,
				      ENOEXEC, EBADF,  ECHILD, ENOMEM, EACCES, EFAULT};
	segfake_create(&f, "unit", 256, 1, 8, one, 1);
	uint64_t total = 0;
	for (int k = 0; k < 12; k++)
		for (int i = 0; i < 12 - k; i++, total++) /* EPERM 12 ... EFAULT 1 */
			segfake_push(&f, 0, 0, 100, TM_ST_FAILED, -1, codes[k]);
	coll_on(&c, f.dir);
	cr_assert_eq(tm_coll_scan(&c), 1);
	tm_coll_drain(&c);
	size_t len;
	char *m = tm_prom_render(&c, 0, &len);
	cr_assert_not_null(m);
	uint64_t sum = 0;
	int labels = 0;
	for (const char *p = m; (p = strstr(p, "tm_call_failures_total{")); p++) {
		const char *e = strstr(p, "error=\"");
		const char *nl = strchr(p, '\n');
		cr_assert(e && nl && e < nl);
		sum += strtoull(strstr(p, "} ") + 2, NULL, 10);
		labels++;
		if (strncmp(e, "error=\"other\"", 13) == 0)
			cr_assert_eq(strtoull(strstr(p, "} ") + 2, NULL, 10), 3,
				     "EACCES 2 + EFAULT 1");
	}
	cr_assert_eq(labels, 11, "10 codes by name and other:\n%s", m);
	cr_assert_eq(sum, total, "the labels add up to the failures");
	cr_assert(strstr(m, "error=\"EPERM\"} 12\n"), "%s", m);
	cr_assert(strstr(m, "error=\"ENOMEM\"} 3\n"), "%s", m);
	cr_assert_null(strstr(m, "error=\"EFAULT\""));
	free(m);
	tm_coll_free(&c);
	segfake_destroy(&f);
}
