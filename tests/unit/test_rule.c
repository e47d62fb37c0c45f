/* SPDX-License-Identifier: MIT */
/* Success rules: parsing (good and bad input) and evaluation. */
#include <criterion/criterion.h>
#include <string.h>

#include "rule.h"
#include "tm/wire.h"

static struct tm_rule parse_ok(const char *type, const char *success, const char *error,
			       const char *codes)
{
	struct tm_rule r;
	char err[256];
	cr_assert_eq(tm_rule_from_strings(&r, type, success, error, codes, NULL, err, sizeof(err)),
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
						  NULL, err, sizeof(err)),
			     0, "case %zu accepted", i);
		cr_assert(strlen(err) > 10, "case %zu: no message", i);
	}
	struct tm_rule r;
	char err[256];
	cr_assert_lt(tm_rule_from_strings(&r, "int", NULL, NULL, NULL, "arg9", err, sizeof(err)),
		     0);
}
