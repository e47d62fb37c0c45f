/* SPDX-License-Identifier: MIT */
/* What a hostile or broken segment can put in front of the collector's
 * outputs: names that are not UTF-8 or carry terminal escapes, absurd
 * counter values, and as many error codes and symbols as the format
 * allows. The outputs keep every key, print no negative count, and stay
 * bounded. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "collector.h"
#include "segfake.h"

static void coll_on(struct tm_coll *c, const char *dir, int expect)
{
	struct tm_coll_opts o = {.dir = dir, .session = "unit"};
	char err[256];
	cr_assert_eq(tm_coll_init(c, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(tm_coll_scan(c), expect);
}

/* Every integer in j is >= 0, every real finite. */
static void no_negative(const json_t *j, const char *where)
{
	size_t i;
	const char *k;
	json_t *v;
	switch (json_typeof(j)) {
	case JSON_INTEGER:
		cr_assert_geq(json_integer_value(j), 0, "%s: %lld", where,
			      (long long)json_integer_value(j));
		break;
	case JSON_REAL: cr_assert_geq(json_real_value(j), 0, "%s", where); break;
	case JSON_OBJECT: json_object_foreach((json_t *)j, k, v) no_negative(v, k); break;
	case JSON_ARRAY: json_array_foreach(j, i, v) no_negative(v, where); break;
	default: break;
	}
}

static struct tm_acc *acc_of(struct segfake *f, uint32_t thr, uint32_t sym, int seen)
{
	char *base = (char *)segfake_thread(f, thr);
	uint64_t off = seen ? tm_thr_seen_off(f->h->stack_cap, f->h->max_syms)
			    : tm_thr_acc_off(f->h->stack_cap, f->h->max_syms);
	return (struct tm_acc *)(base + off) + sym;
}

static void acc_used(struct segfake *f, uint32_t thr, uint32_t sym)
{
	_Atomic uint8_t *used =
		(void *)((char *)segfake_thread(f, thr) + tm_thr_used_off(f->h->stack_cap));
	used[sym] = 1;
}

static uint64_t corrupt_of(json_t *root)
{
	return (uint64_t)json_integer_value(
		json_object_get(json_object_get(root, "loss"), "corrupt"));
}

static const char *const two[] = {"alpha", "beta"};

/* Accumulators, loss counters and header fields holding random-looking
 * 64-bit values: rejected into loss.corrupt, never reported. */
Test(hostile, absurd_values_are_corrupt_not_counts)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, two, 2);
	f.h->created_realtime_ns = 0xfedcba9876543210ull;
	for (unsigned k = 0; k < TM_LOSS_COUNT; k++)
		f.h->loss[k] = UINT64_MAX - k;
	coll_on(&c, f.dir, 1);
	struct tm_acc *a = acc_of(&f, 0, 0, 0);
	acc_used(&f, 0, 0);
	a->calls = 0xfffffffffffffff0ull; /* "calls: -16" */
	a->ok = 1ull << 63;
	a->sum = 0x8000000000000123ull; /* "total_ns: -9.2e18" */
	a->min = 1;
	a->max = UINT64_MAX;
	segfake_thread(&f, 0)->loss[TM_LOSS_OVERFLOW] = 1ull << 60;
	segfake_thread(&f, 0)->acc_epoch++;
	tm_coll_drain(&c);
	/* beta: a writer adding just under the per-pass limit every pass, until
	 * a total would pass TM_COUNT_MAX */
	struct tm_acc *b = acc_of(&f, 0, 1, 0);
	acc_used(&f, 0, 1);
	for (int pass = 0; pass < 17000; pass++) {
		b->calls += TM_DELTA_MAX - 1;
		b->ok += TM_DELTA_MAX - 1;
		segfake_thread(&f, 0)->acc_epoch++;
		tm_coll_drain(&c);
	}
	f.h->state = TM_PROC_EXITED;
	tm_coll_finish(&c);
	json_t *root = tm_summary_json(&c);
	no_negative(root, "summary");
	cr_assert_gt(corrupt_of(root), 0);
	json_t *syms = json_object_get(root, "symbols");
	cr_assert_eq(json_array_size(syms), 2);
	json_t *alpha = json_array_get(syms, 0);
	cr_assert_eq(json_integer_value(json_object_get(alpha, "calls")), 0);
	cr_assert_eq(json_integer_value(json_object_get(alpha, "total_ns")), 0);
	json_t *beta = json_array_get(syms, 1);
	json_int_t bc = json_integer_value(json_object_get(beta, "calls"));
	cr_assert_leq((uint64_t)bc, TM_COUNT_MAX);
	cr_assert_gt(bc, 0);
	json_t *p = json_array_get(json_object_get(root, "processes"), 0);
	cr_assert_eq(json_integer_value(json_object_get(p, "start_realtime_ns")), 0);
	cr_assert_eq(
		json_integer_value(json_object_get(json_object_get(root, "loss"), "overflowed")),
		0);
	json_decref(root);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

Test(names, text_escaping)
{
	struct {
		const char *in, *json;
	} cases[] = {
		{"plain", "plain"},
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		 "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
		{"a\xff"
		 "b",
		 "a\\xffb"},
		{"\xc0\xaf", "\\xc0\\xaf"},	     /* overlong '/' */
		{"\xed\xa0\x80", "\\xed\\xa0\\x80"}, /* surrogate */
		{"\xe2\x82", "\\xe2\\x82"},	     /* cut short */
		{"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = tm_json_text(cases[i].in);
		cr_assert(j && json_is_string(j));
		cr_assert_str_eq(json_string_value(j), cases[i].json);
		json_decref(j);
	}
	json_t *j = tm_json_textn("a\0b", 3);
	cr_assert_str_eq(json_string_value(j), "a\\x00b");
	json_decref(j);

	char out[128];
	tm_term_text(out, sizeof(out),
		     "\x1b]0;pwned\x07\x1b[2J\r\n\x7f\xc2\x9b"
		     "31m\xff ok\xc3\xa9");
	for (const char *p = out; *p; p++)
		cr_assert((unsigned char)*p >= 0x20 && *p != 0x7f, "control byte in '%s'", out);
	cr_assert_null(strstr(out, "\xc2\x9b"));
	cr_assert_not_null(strstr(out, "\\x1b]0;pwned\\x07"));
	cr_assert_not_null(strstr(out, " ok\xc3\xa9"));
	/* cut at a character: never half an escape or half a UTF-8 sequence */
	tm_term_text(out, 6, "ab\x1b\xc3\xa9");
	cr_assert_str_eq(out, "ab");
	tm_term_text(out, 6, "abc\xc3\xa9");
	cr_assert_str_eq(out, "abc\xc3\xa9");
}

/* Names from a segment that are not UTF-8 or carry escapes: the summary
 * keeps every key (escaped), the table prints no control byte. */
Test(names, summary_and_table_keep_hostile_names)
{
	static const char *const names[] = {"bad\xff\xfename", "esc\x1b[2J\x1b]0;x\x07"};
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 64, 1, 8, names, 2);
	snprintf(f.h->exe, sizeof(f.h->exe), "/tmp/pro\xffg\x1b[31m");
	static const char argv[] = "pro\xffg\x1b[31m\0--x=\xc3\x28\0ok";
	memcpy(f.h->argv, argv, sizeof(argv));
	f.h->argv_len = sizeof(argv);
	coll_on(&c, f.dir, 1);
	segfake_push(&f, 0, 0, 100, TM_ST_OK, 0, 0);
	segfake_push(&f, 0, 1, 200, TM_ST_FAILED, 0, 2);
	tm_coll_drain(&c);
	json_t *root = tm_summary_json(&c);
	char *text = json_dumps(root, JSON_COMPACT);
	cr_assert_not_null(text);
	json_decref(root);
	json_error_t e;
	root = json_loads(text, 0, &e);
	cr_assert_not_null(root, "%s", e.text);
	free(text);
	json_t *syms = json_object_get(root, "symbols");
	cr_assert_eq(json_array_size(syms), 2);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(syms, 0), "name")),
			 "bad\\xff\\xfename");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(syms, 1), "name")),
			 "esc\x1b[2J\x1b]0;x\x07"); /* valid UTF-8: JSON escapes it itself */
	json_t *p = json_array_get(json_object_get(root, "processes"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(p, "exe")), "/tmp/pro\\xffg\x1b[31m");
	json_t *av = json_object_get(p, "argv");
	cr_assert_eq(json_array_size(av), 3);
	cr_assert_str_eq(json_string_value(json_array_get(av, 1)), "--x=\\xc3(");
	cr_assert_str_eq(json_string_value(json_array_get(av, 2)), "ok");
	json_t *ps = json_object_get(p, "symbols");
	cr_assert_eq(json_object_size(ps), 2);
	cr_assert_not_null(json_object_get(ps, "bad\\xff\\xfename"));
	json_decref(root);

	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	tm_table_print(&c, m);
	fclose(m);
	for (size_t i = 0; i < len; i++)
		cr_assert((unsigned char)buf[i] >= 0x20 || buf[i] == '\n', "byte 0x%02x in:\n%s",
			  (unsigned char)buf[i], buf);
	cr_assert_not_null(strstr(buf, "bad\\xff\\xfename"));
	cr_assert_not_null(strstr(buf, "esc\\x1b[2J"));
	free(buf);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* 100 000 distinct error codes on one symbol: kept by name up to
 * TM_SYM_ERRS, the rest as other; the summary's errors stay that size and
 * add up to the failures. */
Test(hostile, hundred_thousand_error_codes, .timeout = 120)
{
	struct segfake f;
	struct tm_coll c;
	const uint32_t n = 100000, cap = 1u << 14;
	segfake_create(&f, "unit", cap, 1, 8, two, 2);
	coll_on(&c, f.dir, 1);
	for (uint32_t i = 0; i < n; i++) {
		if (i % (cap / 2) == 0)
			tm_coll_drain(&c);
		segfake_push(&f, 0, 0, 10, TM_ST_FAILED, 0, (int32_t)(1000 + i));
	}
	tm_coll_drain(&c);
	cr_assert_eq(c.syms[0].failed, n);
	cr_assert_leq(c.syms[0].nerrs, TM_SYM_ERRS + 1);
	json_t *root = tm_summary_json(&c);
	json_t *s = json_array_get(json_object_get(root, "symbols"), 0);
	json_t *errs = json_object_get(s, "errors");
	cr_assert_leq(json_object_size(errs), TM_SYM_ERRS + 1);
	const char *k;
	json_t *v;
	json_int_t sum = 0;
	json_object_foreach(errs, k, v) sum += json_integer_value(v);
	cr_assert_eq(sum, n);
	cr_assert_gt(json_integer_value(json_object_get(errs, "other")), 0);
	json_decref(root);
	tm_coll_free(&c);
	segfake_destroy(&f);
}

/* As many symbol names as the format allows in 20 segments (4095 each):
 * every call counted once, the first TM_MAX_FUNCS names by name, the
 * rest together, in bounded memory. */
Test(hostile, eighty_thousand_symbols, .timeout = 300)
{
	const unsigned nseg = 20, per = TM_MAX_SYMS_LIMIT - 1;
	char dir[] = "/tmp/tmunit.XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char **names = calloc(per, sizeof(*names));
	struct segfake *f = calloc(nseg, sizeof(*f));
	for (unsigned s = 0; s < nseg; s++) {
		for (unsigned i = 0; i < per; i++) {
			free(names[i]);
			cr_assert(asprintf(&names[i], "fn_%u_%u", s, i) > 0);
		}
		segfake_create_in(&f[s], dir, s + 1, "unit", 64, 1, per, (const char *const *)names,
				  per);
	}
	struct tm_coll c;
	coll_on(&c, dir, (int)nseg);
	for (unsigned i = 0; i < per; i++)
		for (unsigned s = 0; s < nseg; s++) {
			segfake_push(&f[s], 0, (uint16_t)i, 10 + i, TM_ST_OK, 0, 0);
			if (i % 32 == 31)
				tm_coll_drain(&c);
		}
	tm_coll_drain(&c);
	tm_coll_check(&c);
	/* past TM_MAX_FUNCS, names count under one "(other functions)" */
	cr_assert_eq(c.nsyms, (size_t)TM_MAX_FUNCS + 1);
	json_t *root = tm_summary_json(&c);
	json_t *syms = json_object_get(root, "symbols");
	cr_assert_eq(json_array_size(syms), (size_t)TM_MAX_FUNCS + 1);
	size_t i;
	json_t *v;
	json_int_t total = 0, other = 0;
	json_array_foreach(syms, i, v)
	{
		json_int_t n = json_integer_value(json_object_get(v, "calls"));
		total += n;
		if (strcmp(json_string_value(json_object_get(v, "name")), TM_OTHER_FUNCS) == 0)
			other = n;
		else
			cr_assert_eq(n, 1);
	}
	cr_assert_eq(total, (json_int_t)nseg * per, "every call counted once");
	cr_assert_eq(other, (json_int_t)nseg * per - TM_MAX_FUNCS);
	json_t *procs = json_object_get(root, "processes");
	cr_assert_eq(json_array_size(procs), nseg);
	cr_assert_eq(json_object_size(json_object_get(json_array_get(procs, 0), "symbols")), per);
	json_decref(root);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	/* bounded by the cap, not by the names: the functions' figures and
	 * the summary's JSON tree, well under 1 GiB */
	cr_assert_lt(ru.ru_maxrss, 1024L * 1024, "max RSS %ld KiB", ru.ru_maxrss);
	tm_coll_free(&c);
	for (unsigned s = 0; s < nseg; s++)
		segfake_destroy(&f[s]); /* the last one removes the directory */
	for (unsigned k = 0; k < per; k++)
		free(names[k]);
	free(names);
	free(f);
}
