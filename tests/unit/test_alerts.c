/* SPDX-License-Identifier: MIT */
/* The alert lifecycle (pending, firing, resolved; for, keep_firing_for, the
 * flap guard), the burn-rate arithmetic, and the rules parser's error
 * discipline, on synthetic time. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health/health.h"

#define S 1000000000ull

static struct tm_hrules H;
static struct tm_arule R;

static void setup(void)
{
	tm_hrules_defaults(&H);
	memset(&R, 0, sizeof(R));
	snprintf(R.name, sizeof(R.name), "t");
	R.m = TM_M_ERROR_RATE;
}

static void reset(struct tm_alert *a)
{
	free(a->ep);
	memset(a, 0, sizeof(*a));
}

TestSuite(alerts, .init = setup);

Test(alerts, fires_at_once_without_for)
{
	struct tm_alert a = {0};
	cr_assert_eq(tm_alert_step(&a, &R, &H, 0, 0, 1 * S, 1), 0);
	cr_assert_eq(a.state, TM_AS_INACTIVE);
	cr_assert_eq(tm_alert_step(&a, &R, &H, 1, 0.5, 2 * S, 2), 1);
	cr_assert_eq(a.state, TM_AS_FIRING);
	cr_assert_eq(a.nep, 1);
	cr_assert_eq(a.ep[0].start_real_ns, 2);
	cr_assert_eq(a.ep[0].end_real_ns, 0);
	cr_assert_eq(tm_alert_step(&a, &R, &H, 0, 0, 3 * S, 3), 2);
	cr_assert_eq(a.state, TM_AS_INACTIVE);
	cr_assert_eq(a.ep[0].end_real_ns, 3);
	cr_assert_eq(a.ep[0].peak, 0.5);
	reset(&a);
}

Test(alerts, pending_for_then_firing)
{
	struct tm_alert a = {0};
	R.for_ns = 5 * S;
	cr_assert_eq(tm_alert_step(&a, &R, &H, 1, 1, 10 * S, 10), 0);
	cr_assert_eq(a.state, TM_AS_PENDING);
	for (uint64_t t = 11; t < 15; t++)
		cr_assert_eq(tm_alert_step(&a, &R, &H, 1, 1, t * S, t), 0, "t=%llu",
			     (unsigned long long)t);
	cr_assert_eq(a.state, TM_AS_PENDING);
	cr_assert_eq(tm_alert_step(&a, &R, &H, 1, 1, 15 * S, 15), 1);
	cr_assert_eq(a.state, TM_AS_FIRING);
	cr_assert_eq(a.ep[0].start_real_ns, 15);
	reset(&a);
}

Test(alerts, pending_dropped_when_condition_ends)
{
	struct tm_alert a = {0};
	R.for_ns = 5 * S;
	tm_alert_step(&a, &R, &H, 1, 1, 10 * S, 10);
	tm_alert_step(&a, &R, &H, 1, 1, 13 * S, 13);
	cr_assert_eq(tm_alert_step(&a, &R, &H, 0, 0, 14 * S, 14), 0);
	cr_assert_eq(a.state, TM_AS_INACTIVE);
	/* the wait starts over */
	tm_alert_step(&a, &R, &H, 1, 1, 15 * S, 15);
	cr_assert_eq(tm_alert_step(&a, &R, &H, 1, 1, 19 * S, 19), 0);
	cr_assert_eq(tm_alert_step(&a, &R, &H, 1, 1, 20 * S, 20), 1);
	cr_assert_eq(a.nep, 1, "a pending alert leaves no episode");
	reset(&a);
}

Test(alerts, keep_firing_for_bridges_gaps)
{
	struct tm_alert a = {0};
	R.keep_ns = 10 * S;
	tm_alert_step(&a, &R, &H, 1, 1, 1 * S, 1);
	cr_assert_eq(tm_alert_step(&a, &R, &H, 0, 0, 2 * S, 2), 0);
	cr_assert_eq(tm_alert_step(&a, &R, &H, 0, 0, 11 * S, 11), 0);
	cr_assert_eq(a.state, TM_AS_FIRING);
	/* true again: the gap is forgotten */
	cr_assert_eq(tm_alert_step(&a, &R, &H, 1, 2, 11 * S + 1, 11), 0);
	cr_assert_eq(tm_alert_step(&a, &R, &H, 0, 0, 12 * S, 12), 0);
	cr_assert_eq(tm_alert_step(&a, &R, &H, 0, 0, 21 * S, 21), 0);
	cr_assert_eq(tm_alert_step(&a, &R, &H, 0, 0, 22 * S, 22), 2);
	cr_assert_eq(a.nep, 1);
	cr_assert_eq(a.ep[0].peak, 2);
	reset(&a);
}

Test(alerts, flapping_is_held)
{
	struct tm_alert a = {0};
	H.flap_count = 3;
	H.flap_window_ns = 600 * S;
	uint64_t t = 100;
	/* two clean cycles: resolved at once */
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(tm_alert_step(&a, &R, &H, 1, 1, t * S, t), 1);
		t++;
		cr_assert_eq(tm_alert_step(&a, &R, &H, 0, 0, t * S, t), 2);
		t++;
	}
	/* the third firing within 10 min: flapping, held for half the window */
	cr_assert_eq(tm_alert_step(&a, &R, &H, 1, 1, t * S, t), 1);
	cr_assert(a.flapping);
	cr_assert(a.ep[2].flapping);
	uint64_t off = ++t;
	cr_assert_eq(tm_alert_step(&a, &R, &H, 0, 0, t * S, t), 0);
	for (; t < off + 299; t++)
		cr_assert_eq(tm_alert_step(&a, &R, &H, 0, 0, t * S, t), 0);
	cr_assert_eq(a.state, TM_AS_FIRING);
	cr_assert_eq(tm_alert_step(&a, &R, &H, 0, 0, (off + 300) * S, off + 300), 2);
	cr_assert_eq(a.nep, 3);
	reset(&a);
}

Test(alerts, rate_below_peak_is_the_lowest)
{
	struct tm_alert a = {0};
	R.m = TM_M_RATE_BELOW;
	tm_alert_step(&a, &R, &H, 1, 5, 1 * S, 1);
	tm_alert_step(&a, &R, &H, 1, 2, 2 * S, 2);
	tm_alert_step(&a, &R, &H, 1, 4, 3 * S, 3);
	cr_assert_eq(a.ep[0].peak, 2);
	reset(&a);
}

Test(alerts, burn_pairs_scale_and_floor)
{
	struct tm_burn_pair p[TM_BURN_PAIRS];
	/* 30 days: the SRE workbook's windows */
	unsigned n = tm_burn_pairs(30 * 86400, p);
	cr_assert_eq(n, 3);
	cr_assert_eq(p[0].long_s, 3600);
	cr_assert_eq(p[0].short_s, 300);
	cr_assert_float_eq(p[0].factor, 14.4, 1e-9);
	cr_assert_eq(p[1].long_s, 6 * 3600);
	cr_assert_eq(p[1].short_s, 1800);
	cr_assert_float_eq(p[1].factor, 6, 1e-9);
	cr_assert_eq(p[2].long_s, 86400, "3 days capped at the 24 h held");
	cr_assert_eq(p[2].short_s, 7200);
	cr_assert_eq(p[2].sev, TM_SEV_WARNING);
	/* 1 hour: the first two floor to the same windows, the lower factor stays */
	n = tm_burn_pairs(3600, p);
	cr_assert_eq(n, 2);
	cr_assert_eq(p[0].long_s, 60);
	cr_assert_eq(p[0].short_s, 10);
	cr_assert_float_eq(p[0].factor, 6, 1e-9);
	cr_assert_eq(p[1].long_s, 360);
	cr_assert_eq(p[1].short_s, 30);
}

Test(alerts, burn_rate_arithmetic)
{
	cr_assert_float_eq(tm_burn_rate(1, 1000, 0.999), 1.0, 1e-9);
	cr_assert_float_eq(tm_burn_rate(144, 10000, 0.999), 14.4, 1e-9);
	cr_assert_float_eq(tm_burn_rate(0, 1000, 0.999), 0.0, 1e-12);
	cr_assert_float_eq(tm_burn_rate(5, 0, 0.999), 0.0, 1e-12);
	cr_assert_float_eq(tm_burn_rate(30, 100, 0.99), 30.0, 1e-9);
}

Test(alerts, durations)
{
	cr_assert_eq(tm_parse_duration_ns("30s"), (int64_t)(30 * S));
	cr_assert_eq(tm_parse_duration_ns("5m"), (int64_t)(300 * S));
	cr_assert_eq(tm_parse_duration_ns("1.5h"), (int64_t)(5400 * S));
	cr_assert_eq(tm_parse_duration_ns("250ms"), 250000000);
	cr_assert_eq(tm_parse_duration_ns("2"), (int64_t)(2 * S));
	cr_assert_eq(tm_parse_duration_ns("-1s"), -1);
	cr_assert_eq(tm_parse_duration_ns("1w"), -1);
	cr_assert_eq(tm_parse_duration_ns(""), -1);
	cr_assert_eq(tm_parse_duration_ns("nan"), -1);
	cr_assert_eq(tm_parse_duration_ns("400d"), -1);
}

/* Parses text; returns the bad entries and leaves the messages in out. */
static int parse(const char *text, struct tm_hrules *h, char *out, size_t len)
{
	json_error_t e;
	json_t *root = json_loads(text, 0, &e);
	cr_assert(root, "test JSON: %s", e.text);
	FILE *f = fmemopen(out, len, "w");
	tm_hrules_defaults(h);
	int bad = tm_hrules_parse(h, root, "r.json", f);
	fclose(f);
	json_decref(root);
	return bad;
}

Test(alerts, good_rules)
{
	char msg[4096] = "";
	struct tm_hrules h;
	int bad = parse(
		"{\"alerts\": ["
		"{\"name\": \"e\", \"function\": \"sqlite3_*\", \"error_rate\": 0.05, "
		"\"window\": \"5m\", \"for\": \"10s\", \"keep_firing_for\": 30, "
		"\"severity\": \"critical\", \"labels\": {\"team\": \"db\"}, "
		"\"annotations\": {\"runbook\": \"x\"}},"
		"{\"latency_ms\": 10},"
		"{\"name\": \"s\", \"objective\": 0.99, \"under_ms\": 5, \"period\": \"1d\"}],"
		"\"anomaly\": {\"noisy\": false, \"*\": {\"warmup_s\": 20, \"z\": 8}},"
		"\"maintenance\": [{\"function\": \"backup\", \"for\": \"10m\"}],"
		"\"defaults\": {\"never_called\": false, \"stuck_s\": 60}}",
		&h, msg, sizeof(msg));
	cr_assert_eq(bad, 0, "%s", msg);
	cr_assert_eq(h.n, 3);
	cr_assert_str_eq(h.r[0].pattern, "sqlite3_*");
	cr_assert_eq(h.r[0].window, TM_W5M);
	cr_assert_eq(h.r[0].for_ns, 10 * S);
	cr_assert_eq(h.r[0].keep_ns, 30 * S);
	cr_assert_eq(h.r[0].sev, TM_SEV_CRITICAL);
	cr_assert_str_eq(h.r[1].name, "latency", "a rule without a name is named by its kind");
	cr_assert_eq(h.r[1].threshold, 10e6);
	cr_assert_eq(h.r[1].sev, TM_SEV_WARNING);
	cr_assert_eq(h.r[2].m, TM_M_BURN);
	cr_assert_eq(h.r[2].under_ns, 5000000);
	cr_assert_eq(h.r[2].period_s, 86400);
	cr_assert_eq(h.nan, 2);
	cr_assert_eq(h.an[0].enabled, 0);
	cr_assert_eq(h.an[1].p.warmup, 20);
	cr_assert_eq(h.an[1].p.z_fire, 8);
	cr_assert_eq(h.nmt, 1);
	cr_assert_eq(h.never_called, 0);
	cr_assert_eq(h.stuck_ns, 60 * S);
	tm_hrules_free(&h);
}

/* Every field wrong in turn: one line each naming the rule and the field,
 * the valid rule after it still read. */
Test(alerts, bad_rules_one_line_each)
{
	static const char *const bad[] = {
		"{\"name\": \"1x\", \"error_rate\": 0.1}",
		"{\"name\": \"a b\", \"error_rate\": 0.1}",
		"{\"function\": 3, \"error_rate\": 0.1}",
		"{\"function\": \"\", \"error_rate\": 0.1}",
		"{\"error_rate\": 1.5}",
		"{\"error_rate\": \"x\"}",
		"{\"p99_ms\": -1}",
		"{\"p95_ms\": null}",
		"{\"slow_ratio\": 2}",
		"{\"calls_per_s_below\": -3}",
		"{\"in_flight\": true}",
		"{\"stuck_s\": \"long\"}",
		"{\"objective\": 1}",
		"{\"objective\": 0.99, \"period\": \"10s\"}",
		"{\"objective\": 0.99, \"under_ms\": 0}",
		"{\"p99_ms\": 5, \"under_ms\": 3}",
		"{\"error_rate\": 0.1, \"p99_ms\": 3}",
		"{}",
		"{\"error_rate\": 0.1, \"window\": \"2m\"}",
		"{\"error_rate\": 0.1, \"for\": \"soon\"}",
		"{\"error_rate\": 0.1, \"keep_firing_for\": -5}",
		"{\"error_rate\": 0.1, \"severity\": \"page\"}",
		"{\"error_rate\": 0.1, \"min_calls\": 1.5}",
		"{\"error_rate\": 0.1, \"labels\": [\"x\"]}",
		"{\"error_rate\": 0.1, \"labels\": {\"a-b\": \"x\"}}",
		"{\"error_rate\": 0.1, \"annotations\": {\"summary\": 3}}",
		"{\"error_rate\": 0.1, \"colour\": \"red\"}",
		"\"error_rate\"",
		"[]",
	};
	size_t n = sizeof(bad) / sizeof(bad[0]);
	for (size_t i = 0; i < n; i++) {
		char text[512], msg[1024] = "";
		snprintf(text, sizeof(text),
			 "{\"alerts\": [%s, {\"name\": \"good\", \"p99_ms\": 1}]}", bad[i]);
		struct tm_hrules h;
		int nbad = parse(text, &h, msg, sizeof(msg));
		cr_assert_eq(nbad, 1, "%s -> %s", bad[i], msg);
		size_t lines = 0;
		for (const char *p = msg; *p; p++)
			lines += *p == '\n';
		cr_assert_eq(lines, 1, "%s -> %s", bad[i], msg);
		cr_assert(strstr(msg, "alerts[0]"), "%s -> %s", bad[i], msg);
		cr_assert(strstr(msg, "r.json"), "%s", msg);
		cr_assert_eq(h.n, 1, "%s: the valid rule still runs", bad[i]);
		cr_assert_str_eq(h.r[0].name, "good");
		tm_hrules_free(&h);
	}
}

Test(alerts, bad_sections)
{
	static const char *const bad[] = {
		"{\"alerts\": {}}",
		"{\"anomaly\": 3}",
		"{\"anomaly\": {\"*\": {\"z\": -1}}}",
		"{\"anomaly\": {\"*\": {\"k\": 9, \"n\": 8}}}",
		"{\"anomaly\": {\"*\": {\"zz\": 1}}}",
		"{\"anomaly\": {\"*\": {\"severity\": \"loud\"}}}",
		"{\"maintenance\": {}}",
		"{\"maintenance\": [{\"function\": \"x\"}]}",
		"{\"maintenance\": [{\"function\": \"x\", \"until\": \"tomorrow\"}]}",
		("{\"maintenance\": [{\"function\": \"x\", \"for\": \"1h\", \"until\": "
		 "\"2026-12-01T14:00:00Z\"}]}"),
		"{\"maintenance\": [{\"function\": \"x\", \"for\": \"1h\", \"who\": \"me\"}]}",
		"{\"defaults\": []}",
		"{\"defaults\": {\"anomaly\": \"yes\"}}",
		"{\"defaults\": {\"stuck_s\": 0}}",
		"{\"defaults\": {\"speed\": 1}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char msg[1024] = "";
		struct tm_hrules h;
		cr_assert_eq(parse(bad[i], &h, msg, sizeof(msg)), 1, "%s -> %s", bad[i], msg);
		cr_assert(strchr(msg, '\n') == strrchr(msg, '\n') && strchr(msg, '\n'),
			  "%s: one line: %s", bad[i], msg);
		tm_hrules_free(&h);
	}
}

Test(alerts, too_many_rules_said_once)
{
	size_t n = TM_RULES_MAXN + 10, len = n * 40 + 64;
	char *text = malloc(len), msg[1024] = "";
	size_t k = (size_t)snprintf(text, len, "{\"alerts\": [");
	for (size_t i = 0; i < n; i++)
		k += (size_t)snprintf(text + k, len - k, "%s{\"p99_ms\": %zu}", i ? "," : "",
				      i + 1);
	snprintf(text + k, len - k, "]}");
	struct tm_hrules h;
	cr_assert_eq(parse(text, &h, msg, sizeof(msg)), 1, "%s", msg);
	cr_assert_eq(h.n, TM_RULES_MAXN);
	cr_assert(strstr(msg, "ignoring the other 10"), "%s", msg);
	tm_hrules_free(&h);
	free(text);
}

Test(alerts, maintenance_argument)
{
	struct tm_hrules h;
	tm_hrules_defaults(&h);
	cr_assert_eq(tm_hrules_maint_arg(&h, "backup_*=30m", 1000), 0);
	cr_assert_eq(h.mt[0].until_real_ns, 1000 + 1800 * S);
	cr_assert_str_eq(h.mt[0].pattern, "backup_*");
	cr_assert_eq(tm_hrules_maint_arg(&h, "x", 0), 0);
	cr_assert_eq(h.mt[1].until_real_ns, 3600 * S);
	cr_assert_eq(tm_hrules_maint_arg(&h, "=5m", 0), -EINVAL);
	cr_assert_eq(tm_hrules_maint_arg(&h, "x=later", 0), -EINVAL);
	tm_hrules_free(&h);
}
