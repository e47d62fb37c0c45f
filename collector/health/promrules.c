/* SPDX-License-Identifier: MIT */
/* tmcollect --print-prometheus-rules: Prometheus recording and alerting
 * rules equivalent to the active rules, over the names /metrics exports,
 * so that a fleet is alerted on by Prometheus itself. Checked with
 * `promtool check rules`. What does not translate exactly is said in a
 * comment above the rule (docs/OPERATIONS.md, "Alerting from Prometheus").
 *
 * Differences by construction: Prometheus computes from scrapes, so
 * windows shorter than a minute become 1m (rate() needs two samples);
 * percentiles come from the exported histogram's buckets (1-2.5-5 per
 * decade), not from tm's 0.8% buckets; the error ratio divides by every
 * call, not only the judged ones. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "health.h"

static const char *const wrange[TM_WIN_NWINDOWS] = {"1m", "1m", "5m", "15m"};

/* A glob as a PromQL regular expression in a raw (backquoted) string:
 * PromQL anchors it; regex metacharacters escaped. */
static void regex_of(char *out, size_t len, const char *glob)
{
	size_t n = 0;
	for (const char *p = glob; *p && n + 4 < len; p++) {
		char ch = *p;
		if (ch == '*') {
			out[n++] = '.';
			out[n++] = '*';
		} else if (ch == '?') {
			out[n++] = '.';
		} else if (ch == '`') {
			out[n++] = '.'; /* cannot appear in a raw string */
		} else if (strchr(".+()|{}^$\\", ch)) {
			out[n++] = '\\';
			out[n++] = ch;
		} else if (ch == '[' && p[1] == '!') {
			out[n++] = '[';
			out[n++] = '^';
			p++;
		} else {
			out[n++] = ch;
		}
	}
	out[n] = '\0';
}

/* A YAML double-quoted scalar. */
static void yq(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void dur(FILE *f, const char *key, uint64_t ns)
{
	if (!ns)
		return;
	uint64_t s = (ns + 999999999ull) / 1000000000ull;
	fprintf(f, "        %s: %llus\n", key, (unsigned long long)s);
}

static void labels(FILE *f, const struct tm_arule *r, enum tm_sev sev, const char *extra_k,
		   const char *extra_v)
{
	fprintf(f, "        labels:\n          severity: %s\n          kind: %s\n",
		tm_sev_name(sev), tm_kind_name(r->kind));
	if (extra_k)
		fprintf(f, "          %s: %s\n", extra_k, extra_v);
	const char *k;
	json_t *v;
	json_object_foreach(r->labels, k, v)
	{
		if (strcmp(k, "severity") == 0 || strcmp(k, "kind") == 0 ||
		    (extra_k && strcmp(k, extra_k) == 0))
			continue; /* tm's own win, as in every other output */
		fprintf(f, "          %s: ", k);
		yq(f, json_string_value(v));
		fputc('\n', f);
	}
}

static void annotations(FILE *f, const struct tm_arule *r, const char *summary)
{
	fprintf(f, "        annotations:\n");
	if (!r->annotations || !json_object_get(r->annotations, "summary")) {
		fprintf(f, "          summary: ");
		yq(f, summary);
		fputc('\n', f);
	}
	const char *k;
	json_t *v;
	json_object_foreach(r->annotations, k, v)
	{
		fprintf(f, "          %s: ", k);
		yq(f, json_string_value(v));
		fputc('\n', f);
	}
}

static void recording(FILE *f)
{
	static const char *const ranges[] = {"1m", "5m", "15m"};
	fprintf(f, "  - name: tm_recording\n    rules:\n");
	for (size_t i = 0; i < 3; i++) {
		const char *w = ranges[i];
		fprintf(f,
			"      - record: tm:function_calls:rate%s\n"
			"        expr: sum by (session, function) (rate(tm_calls_total[%s]))\n",
			w, w);
		fprintf(f,
			"      - record: tm:function_error_ratio:rate%s\n"
			"        expr: sum by (session, function) "
			"(rate(tm_call_failures_total[%s])) / "
			"sum by (session, function) (rate(tm_calls_total[%s]))\n",
			w, w, w);
		fprintf(f,
			"      - record: tm:function_slow_ratio:rate%s\n"
			"        expr: sum by (session, function) (rate(tm_call_slow_total[%s])) / "
			"sum by (session, function) (rate(tm_calls_total[%s]))\n",
			w, w, w);
		static const char *const q[] = {"0.5", "0.95", "0.99"};
		static const char *const qn[] = {"p50", "p95", "p99"};
		for (size_t k = 0; k < 3; k++)
			fprintf(f,
				"      - record: tm:function_%s_seconds:rate%s\n"
				"        expr: histogram_quantile(%s, sum by (session, function, "
				"le) "
				"(rate(tm_call_duration_seconds_bucket[%s])))\n",
				qn[k], w, q[k], w);
	}
}

/* The exported histogram's bucket bound at or above ns, as text. */
static const char *bound_at(uint64_t ns, double *got)
{
	static const struct {
		double s;
		const char *t;
	} b[] = {{1e-7, "1e-07"},  {2.5e-7, "2.5e-07"}, {5e-7, "5e-07"},
		 {1e-6, "1e-06"},  {2.5e-6, "2.5e-06"}, {5e-6, "5e-06"},
		 {1e-5, "1e-05"},  {2.5e-5, "2.5e-05"}, {5e-5, "5e-05"},
		 {1e-4, "0.0001"}, {2.5e-4, "0.00025"}, {5e-4, "0.0005"},
		 {1e-3, "0.001"},  {2.5e-3, "0.0025"},	{5e-3, "0.005"},
		 {1e-2, "0.01"},   {2.5e-2, "0.025"},	{5e-2, "0.05"},
		 {0.1, "0.1"},	   {0.25, "0.25"},	{0.5, "0.5"},
		 {1, "1"},	   {2.5, "2.5"},	{5, "5"},
		 {10, "10"}};
	double s = (double)ns / 1e9;
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		if (b[i].s >= s * (1 - 1e-9)) {
			*got = b[i].s;
			return b[i].t;
		}
	*got = 10;
	return "10";
}

/* The share of bad calls over `secs` as PromQL: failed / all, or for a
 * latency SLO 1 - (at or under the bucket bound) / all. */
static void bad_ratio(char *out, size_t len, const struct tm_arule *r, const char *sel,
		      uint64_t secs)
{
	unsigned long long w = (unsigned long long)secs;
	if (!r->under_ns) {
		snprintf(out, len,
			 "(sum by (session, function) (rate(tm_call_failures_total{%s}[%llus])) / "
			 "sum by (session, function) (rate(tm_calls_total{%s}[%llus])))",
			 sel, w, sel, w);
		return;
	}
	double got;
	const char *le = bound_at(r->under_ns, &got);
	snprintf(out, len,
		 "(1 - sum by (session, function) "
		 "(rate(tm_call_duration_seconds_bucket{%s,le=\"%s\"}[%llus])) / "
		 "sum by (session, function) (rate(tm_call_duration_seconds_count{%s}[%llus])))",
		 sel, le, w, sel, w);
}

static void rule(FILE *f, const struct tm_arule *r)
{
	char re[450], sel[520], summary[300];
	regex_of(re, sizeof(re), r->pattern);
	snprintf(sel, sizeof(sel), "function=~`%s`", re);
	const char *w = wrange[r->window];
	double thr = r->threshold;
	switch (r->m) {
	case TM_M_BURN: {
		struct tm_burn_pair p[TM_BURN_PAIRS];
		unsigned np = tm_burn_pairs(r->period_s, p);
		double budget = 1 - r->objective;
		if (r->under_ns) {
			double got;
			const char *le = bound_at(r->under_ns, &got);
			if (got * 1e9 != (double)r->under_ns)
				fprintf(f,
					"      # under_ms %.6g taken at the exported bucket "
					"le=%s\n",
					(double)r->under_ns / 1e6, le);
		}
		for (int i = 0; i < (int)np; i++) {
			char bad_l[1400], bad_s[1400];
			bad_ratio(bad_l, sizeof(bad_l), r, sel, p[i].long_s);
			bad_ratio(bad_s, sizeof(bad_s), r, sel, p[i].short_s);
			fprintf(f,
				"      - alert: %s\n        expr: |\n          %s > (%.6g * %.6g)\n"
				"          and\n          %s > (%.6g * %.6g)\n",
				r->name, bad_l, p[i].factor, budget, bad_s, p[i].factor, budget);
			char ws[32];
			snprintf(ws, sizeof(ws), "%llus", (unsigned long long)p[i].long_s);
			labels(f, r, r->sev < p[i].sev ? r->sev : p[i].sev, "window", ws);
			snprintf(summary, sizeof(summary),
				 "{{ $labels.function }}: burning the %.6g%% SLO faster than %.3gx "
				 "over "
				 "%llus and %llus",
				 100 * r->objective, p[i].factor, (unsigned long long)p[i].long_s,
				 (unsigned long long)p[i].short_s);
			annotations(f, r, summary);
		}
		return;
	}
	default: break;
	}
	char expr[1600];
	const char *what = "";
	switch (r->m) {
	case TM_M_ERROR_RATE:
		snprintf(expr, sizeof(expr),
			 "tm:function_error_ratio:rate%s{%s} > %.6g\n          and\n"
			 "          sum by (session, function) (increase(tm_calls_total{%s}[%s])) "
			 ">= %u",
			 w, sel, thr, sel, w, r->min_calls);
		what = "error rate {{ $value | humanizePercentage }}";
		break;
	case TM_M_P99:
	case TM_M_P95:
		snprintf(expr, sizeof(expr), "tm:function_%s_seconds:rate%s{%s} > %.6g",
			 r->m == TM_M_P99 ? "p99" : "p95", w, sel, thr / 1e9);
		what = r->m == TM_M_P99 ? "p99 {{ $value | humanizeDuration }}"
					: "p95 {{ $value | humanizeDuration }}";
		break;
	case TM_M_SLOW_RATIO:
		snprintf(expr, sizeof(expr), "tm:function_slow_ratio:rate%s{%s} > %.6g", w, sel,
			 thr);
		what = "{{ $value | humanizePercentage }} of calls slow";
		break;
	case TM_M_RATE_BELOW:
	case TM_M_RATE_ABOVE:
		snprintf(expr, sizeof(expr), "tm:function_calls:rate%s{%s} %s %.6g", w, sel,
			 r->m == TM_M_RATE_BELOW ? "<" : ">", thr);
		what = "{{ $value }} calls/s";
		break;
	case TM_M_IN_FLIGHT:
		snprintf(expr, sizeof(expr),
			 "sum by (session, function) (tm_calls_in_flight{%s}) > %.6g", sel, thr);
		what = "{{ $value }} calls in flight";
		break;
	case TM_M_STUCK:
		snprintf(expr, sizeof(expr),
			 "max by (session, function) (tm_call_oldest_in_flight_seconds{%s}) > %.6g",
			 sel, thr / 1e9);
		what = "a call open for {{ $value | humanizeDuration }}";
		break;
	default: return;
	}
	fprintf(f, "      - alert: %s\n        expr: |\n          %s\n", r->name, expr);
	dur(f, "for", r->for_ns);
	dur(f, "keep_firing_for", r->keep_ns);
	labels(f, r, r->sev, NULL, NULL);
	snprintf(summary, sizeof(summary), "{{ $labels.function }}: %s", what);
	annotations(f, r, summary);
}

static void builtins(FILE *f, const struct tm_hrules *h)
{
	if (h->crashed)
		fprintf(f,
			"      - alert: crashed\n"
			"        expr: increase(tm_target_crashes_total[5m]) > 0\n"
			"        labels:\n          severity: critical\n          kind: crashed\n"
			"        annotations:\n"
			"          summary: \"{{ $labels.session }}: a monitored process died "
			"without exiting\"\n");
	if (h->stuck)
		fprintf(f,
			"      - alert: stuck\n"
			"        expr: max by (session, function) "
			"(tm_call_oldest_in_flight_seconds) > "
			"%.6g\n"
			"        labels:\n          severity: error\n          kind: stuck\n"
			"        annotations:\n"
			"          summary: \"{{ $labels.function }}: a call open for {{ $value | "
			"humanizeDuration }}\"\n",
			(double)h->stuck_ns / 1e9);
	if (h->loss)
		fprintf(f,
			"      - alert: loss\n"
			"        expr: sum by (session) (increase(tm_records_dropped_total{reason=~"
			"\"reentrant|depth|nomem|corrupt\"}[1m])) > 0\n"
			"        labels:\n          severity: warning\n          kind: loss\n"
			"        annotations:\n"
			"          summary: \"{{ $labels.session }}: {{ $value }} calls could not "
			"be "
			"counted in the last minute\"\n");
	if (h->never_called)
		fprintf(f,
			"      - alert: never_called\n"
			"        expr: tm_function_hooked == 1 unless on (session, process, "
			"function, "
			"object) tm_calls_total > 0\n"
			"        for: 1m\n"
			"        labels:\n          severity: info\n          kind: never_called\n"
			"        annotations:\n"
			"          summary: \"{{ $labels.function }}: hooked but never called\"\n");
	if (h->anomaly) {
		/* PromQL has no MAD: the interquartile range over 5 minutes
		 * stands in for it (sigma ~ IQR / 1.349), z > 6 and a 20% change */
		fprintf(f,
			"      # anomaly: tm's detector works on per-second points with a median "
			"and MAD;\n"
			"      # here the p99 over 1m against its 5m median, IQR for the spread\n"
			"      - alert: anomaly\n"
			"        expr: |\n"
			"          tm:function_p99_seconds:rate1m\n"
			"            > quantile_over_time(0.5, "
			"tm:function_p99_seconds:rate1m[5m])\n"
			"              + 6 * (quantile_over_time(0.75, "
			"tm:function_p99_seconds:rate1m[5m])\n"
			"                     - quantile_over_time(0.25, "
			"tm:function_p99_seconds:rate1m[5m])) / 1.349\n"
			"          and\n"
			"          tm:function_p99_seconds:rate1m\n"
			"            > 1.2 * quantile_over_time(0.5, "
			"tm:function_p99_seconds:rate1m[5m])\n"
			"        for: 1m\n"
			"        labels:\n          severity: warning\n          kind: anomaly\n"
			"          series: p99\n"
			"        annotations:\n"
			"          summary: \"{{ $labels.function }}: p99 {{ $value | "
			"humanizeDuration }}, far above its recent median\"\n");
	}
}

void tm_prom_rules_print(const struct tm_hrules *h, void *file)
{
	FILE *f = file;
	struct tm_hrules d;
	if (!h) {
		tm_hrules_defaults(&d);
		h = &d;
	}
	fprintf(f, "# Prometheus rules equivalent to tm's (tmcollect --print-prometheus-rules).\n"
		   "# Load with rule_files: in prometheus.yml; check with promtool check rules.\n"
		   "groups:\n");
	recording(f);
	fprintf(f, "  - name: tm_alerts\n    rules:\n");
	for (size_t i = 0; i < h->n; i++)
		if (!h->r[i].builtin)
			rule(f, &h->r[i]);
	builtins(f, h);
}
