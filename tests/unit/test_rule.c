/* SPDX-License-Identifier: MIT */
/* Success rules: parsing (good and bad input) and evaluation. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "rule.h"
#include "tm/wire.h"

static struct tm_rule parse_ok(const char *type, const char *success, const char *error,
			       const char *codes)
{
	struct tm_rule r;
	char err[256];
	cr_assert_eq(tm_rule_from_strings(&r, type, success, error, codes, NULL, NULL, NULL, err,
					  sizeof(err)),
		     0, "%s", err);
	return r;
}

Test(rule, ge_zero_on_int_ignores_upper_garbage)
{
	struct tm_rule r = parse_ok("int", "ret >= 0", "errno", NULL);
	/* mov $-1, %eax leaves rax = 0x00000000ffffffff */
	cr_assert_not(tm_rule_ok(&r, tm_rule_value(&r, 0x00000000ffffffffull)));
	cr_assert(tm_rule_ok(&r, tm_rule_value(&r, 0xdeadbeef00000005ull)));
	cr_assert_eq(r.codes, TM_CODES_ERRNO);
}

Test(rule, disjunction_sqlite)
{
	struct tm_rule r = parse_ok("int", "ret == 100 || ret == 101", "ret", "sqlite");
	cr_assert(tm_rule_ok(&r, 100));
	cr_assert(tm_rule_ok(&r, 101));
	cr_assert_not(tm_rule_ok(&r, 5));
	cr_assert_not(tm_rule_ok(&r, 0));
	cr_assert_eq(r.codes, TM_CODES_SQLITE);
	cr_assert_eq(r.err_src, TM_ERR_RET);
}

Test(rule, conjunction_and_pointers)
{
	struct tm_rule r = parse_ok("long", "ret >= 0 && ret <= 0x10", NULL, NULL);
	cr_assert(tm_rule_ok(&r, 16));
	cr_assert_not(tm_rule_ok(&r, 17));
	cr_assert_not(tm_rule_ok(&r, -1));
	struct tm_rule p = parse_ok("ptr", "ret != NULL", "errno", NULL);
	cr_assert(tm_rule_ok(&p, (int64_t)0xffff800000000000ull)); /* high pointer: unsigned */
	cr_assert_not(tm_rule_ok(&p, 0));
	struct tm_rule m = parse_ok("ptr", "ret != -1", "errno", NULL); /* mmap */
	cr_assert_not(tm_rule_ok(&m, -1));
}

Test(rule, no_success_means_no_rule)
{
	struct tm_rule r = parse_ok("int", NULL, NULL, NULL);
	cr_assert_eq(r.has_rule, 0);
}

Test(rule, bad_input_is_refused_with_a_message)
{
	static const char *const bad[][4] = {
		{"float", "ret >= 0", NULL, NULL},
		{"int", "ret => 0", NULL, NULL},
		{"int", "x >= 0", NULL, NULL},
		{"int", "ret >= zero", NULL, NULL},
		{"int", "ret >= 0 ||", NULL, NULL},
		{"int", "ret == 1 || ret == 2 && ret == 3", NULL, NULL},
		{"int", "ret == 1 || ret == 2 || ret == 3 || ret == 4 || ret == 5", NULL, NULL},
		{"int", "ret >= 0", "stderr", NULL},
		{"int", "ret >= 0", "ret", "klingon"},
		{"void", "ret == 0", NULL, NULL},
		{"int", "ret >= 99999999999999999999", NULL, NULL},
		{"int", "", NULL, NULL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tm_rule r;
		char err[256] = "";
		cr_assert_lt(tm_rule_from_strings(&r, bad[i][0], bad[i][1], bad[i][2], bad[i][3],
						  NULL, NULL, NULL, err, sizeof(err)),
			     0, "case %zu accepted", i);
		cr_assert(strlen(err) > 10, "case %zu: no message", i);
	}
	struct tm_rule r;
	char err[256];
	cr_assert_lt(tm_rule_from_strings(&r, "int", NULL, NULL, NULL, "arg9", NULL, NULL, err,
					  sizeof(err)),
		     0);
}

/* Byte sources: what each form captures, and what is refused. */
Test(rule, bytes_sources)
{
	struct tm_rule r;
	char err[256];
	cr_assert_eq(tm_rule_parse_bytes(&r, "ret", NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.bytes, TM_BYTES_RET);
	memset(&r, 0, sizeof(r));
	cr_assert_eq(tm_rule_parse_bytes(&r, "arg3", "in", err, sizeof(err)), 0, "%s", err);
	cr_assert(r.bytes == TM_BYTES_ARG && r.ncap == 1 && r.cap[0].arg == 3 && !r.cap_ret &&
		  r.cap[0].width == TM_CAP_U64 && r.flow == TM_FLOW_IN);
	memset(&r, 0, sizeof(r));
	cr_assert_eq(tm_rule_parse_bytes(&r, "arg2 * arg3:u32", "out", err, sizeof(err)), 0, "%s",
		     err);
	cr_assert(r.ncap == 2 && r.cap[0].arg == 2 && r.cap[1].arg == 3 &&
		  r.cap[1].width == TM_CAP_U32 && r.flow == TM_FLOW_OUT);
	memset(&r, 0, sizeof(r));
	cr_assert_eq(tm_rule_parse_bytes(&r, "ret*arg2:i32", NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert(r.bytes == TM_BYTES_ARG && r.cap_ret && r.ncap == 1 &&
		  r.cap[0].width == TM_CAP_I32);
	static const char *const bad[] = {"arg0", "arg7",     "ret*ret",   "arg1*arg2*arg3",
					  "arg",  "arg1:u16", "arg1*",	   "*arg1",
					  "",	  "argv",     "arg1+arg2", "ret arg1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&r, 0, sizeof(r));
		err[0] = '\0';
		cr_assert_lt(tm_rule_parse_bytes(&r, bad[i], NULL, err, sizeof(err)), 0,
			     "\"%s\" accepted", bad[i]);
		cr_assert(strstr(err, bad[i]) != NULL, "%s: %s", bad[i], err);
		cr_assert_eq(r.bytes, TM_BYTES_NONE);
	}
	cr_assert_lt(tm_rule_parse_bytes(&r, "arg1", "sideways", err, sizeof(err)), 0);
	/* the values: widths, saturation */
	cr_assert_eq(tm_cap_value(0xffffffff00000010ull, TM_CAP_U32), 16);
	cr_assert_eq(tm_cap_value(0x00000000ffffffffull, TM_CAP_I32), 0);
	cr_assert_eq(tm_cap_value(0xdead00000000007full, TM_CAP_I32), 127);
	cr_assert_eq(tm_sat_mul(1ull << 40, 1ull << 30), UINT64_MAX);
	cr_assert_eq(tm_sat_mul(3, 5), 15);
}

/* form 0: "ret A KA"; 1: "ret A KA || ret B KB"; 2: "ret A KA && ret B KB
 * && ret != 4". Returns the number of values checked. */
static unsigned check_rule(const char *type, const char *a, const char *ka, const char *b,
			   const char *kb, unsigned form, const int64_t *probes, unsigned np)
{
	char rule[160], err[256];
	if (form == 0)
		snprintf(rule, sizeof(rule), "ret %s %s", a, ka);
	else if (form == 1)
		snprintf(rule, sizeof(rule), "ret %s %s || ret %s %s", a, ka, b, kb);
	else
		snprintf(rule, sizeof(rule), "ret %s %s && ret %s %s && ret != 4", a, ka, b, kb);
	struct tm_rule r;
	cr_assert_eq(tm_rule_from_strings(&r, type, rule, NULL, NULL, NULL, NULL, NULL, err,
					  sizeof(err)),
		     0, "%s: %s", rule, err);
	for (unsigned p = 0; p < np; p++) {
		int64_t v = tm_rule_value(&r, (uint64_t)probes[p]);
		cr_assert_eq(tm_rule_ok(&r, v), tm_rule_ok_terms(&r, v), "%s %s on %lld", type,
			     rule, (long long)v);
	}
	return np;
}

/* The compiled intervals answer exactly as the terms do: every operator,
 * both joiners, signed and pointer order, constants at the ends of the
 * range, checked on the constants, their neighbours, the extremes and a
 * pseudo-random spread. */
Test(rule, compiled_intervals_match_terms)
{
	static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
	static const char *const ks[] = {
		"0",	"-1",	     "5", "100", "-9223372036854775807", "9223372036854775807",
		"NULL", "0x7fffffff"};
	static const char *const types[] = {"long", "ptr", "int"};
	int64_t probes[64];
	unsigned np = 0;
	const int64_t fixed[] = {0,	     1,
				 -1,	     2,
				 4,	     5,
				 6,	     99,
				 100,	     101,
				 INT64_MIN,  INT64_MIN + 1,
				 INT64_MAX,  INT64_MAX - 1,
				 0x7fffffff, 0x80000000ll};
	for (unsigned i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		probes[np++] = fixed[i];
	uint64_t x = 88172645463325252ull;
	while (np < 64) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		probes[np++] = (int64_t)x;
	}
	unsigned checked = 0;
	for (unsigned ty = 0; ty < 3; ty++)
		for (unsigned a = 0; a < 6; a++)
			for (unsigned b = 0; b < 6; b++)
				for (unsigned ka = 0; ka < 8; ka++)
					for (unsigned kb = 0; kb < 8; kb += 3)
						for (unsigned form = 0; form < 3; form++)
							checked += check_rule(
								types[ty], ops[a], ks[ka], ops[b],
								ks[kb], form, probes, np);
	cr_assert_gt(checked, 100000);
}

/* The library profiles' code domains are accepted by name; others are
 * refused naming the known ones. */
Test(rule, library_code_domains)
{
	static const struct {
		const char *name;
		unsigned d;
	} t[] = {{"zlib", TM_CODES_ZLIB},
		 {"curl", TM_CODES_CURL},
		 {"curlm", TM_CODES_CURLM},
		 {"eai", TM_CODES_EAI}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tm_rule r = parse_ok("int", "ret == 0", "ret", t[i].name);
		cr_assert_eq(r.codes, t[i].d, "%s", t[i].name);
		cr_assert_lt(r.codes, TM_CODES_COUNT);
	}
	struct tm_rule r;
	char err[256];
	cr_assert_eq(tm_rule_from_strings(&r, "int", "ret == 0", "ret", "openssl", NULL, NULL, NULL,
					  err, sizeof(err)),
		     -1);
	cr_assert(strstr(err, "(errno, sqlite, zlib, curl, curlm, eai, number)"), "%s", err);
}
