/* SPDX-License-Identifier: MIT */
/* The JSON summary ("tm.summary/1", docs/SUMMARY.md): units are in the
 * field names. tmrun's table is out/table.c. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "model/workflow.h"
#include "out/calls.h"
#include "health/health.h"

static const char *const loss_names[TM_LOSS_COUNT] = {
	[TM_LOSS_OVERFLOW] = "overflowed", [TM_LOSS_REENTRANT] = "reentrant",
	[TM_LOSS_DEPTH] = "depth",	   [TM_LOSS_NOSLOT] = "noslot",
	[TM_LOSS_NOMEM] = "nomem",
};

static const char *const status_names[] = {
	[TM_PS_RUNNING] = "running",
	[TM_PS_EXITED] = "exited",
	[TM_PS_CRASHED] = "crashed",
	[TM_PS_EXEC] = "exec",
};

/* The valid UTF-8 sequence at s (n > 0 bytes left): its length and code
 * point, or 0 if s[0] does not start one (stray continuation, overlong
 * form, surrogate, past U+10FFFF, cut short) — the same as jansson's
 * check, so text that passes here is never refused there. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char b = s[0];
	size_t len;
	uint32_t v;
	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf)
		len = 2, v = b & 0x1f;
	else if (b >= 0xe0 && b <= 0xef)
		len = 3, v = b & 0x0f;
	else if (b >= 0xf0 && b <= 0xf4)
		len = 4, v = b & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* Copies n bytes of s to out (len > 0, always terminated), every byte
 * that is not valid UTF-8 — and with `term` every control character (C0,
 * DEL, C1), and NUL in any case — as \xNN. Stops at a character boundary
 * when out is full. Returns the length written. */
static size_t esc_text(char *out, size_t len, const char *s, size_t n, int term)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp = 0;
		size_t k = utf8_seq(u + i, n - i, &cp);
		int esc = k == 0 || cp == 0 ||
			  (term && (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)));
		size_t nb = k ? k : 1, need = esc ? 4 * nb : nb;
		if (o + need >= len)
			break;
		if (esc)
			for (size_t j = 0; j < nb; j++, o += 4)
				snprintf(out + o, 5, "\\x%02x", u[i + j]);
		else {
			memcpy(out + o, u + i, nb);
			o += nb;
		}
		i += nb;
	}
	out[o] = '\0';
	return o;
}

json_t *tm_json_textn(const char *s, size_t n)
{
	char small[1024];
	size_t cap = 4 * n + 1;
	char *buf = cap <= sizeof(small) ? small : malloc(cap);
	if (!buf)
		return json_string("");
	size_t len = esc_text(buf, cap, s, n, 0);
	json_t *j = json_stringn(buf, len);
	if (buf != small)
		free(buf);
	return j ? j : json_string("");
}

json_t *tm_json_text(const char *s)
{
	return tm_json_textn(s, strlen(s));
}

void tm_term_text(char *out, size_t len, const char *s)
{
	if (len)
		esc_text(out, len, s, strlen(s), 1);
}

json_t *tm_json_count(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* A total in ns (a double) as a JSON integer: rounded, never negative,
 * never past int64 (llround of a larger value is undefined). */
static uint64_t ns_u64(double ns)
{
	if (!(ns > 0))
		return 0;
	if (ns >= (double)TM_COUNT_MAX)
		return TM_COUNT_MAX;
	return (uint64_t)llround(ns);
}

static json_t *json_ns(double ns)
{
	return tm_json_count(ns_u64(ns));
}

/* A real figure, null when it is not a number (jansson refuses inf and
 * NaN: the key would go missing). */
static json_t *json_real_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* Calls neither judged, an outcome nor abnormal; 0 rather than wrapping
 * if the parts ever add up to more than the calls. */
static uint64_t not_judged(const struct tm_sym *s)
{
	uint64_t parts = sat_add(sat_add(sat_add(s->ok, s->failed), s->outcomes),
				 sat_add(s->exceptions, s->unwound));
	return s->calls > parts ? s->calls - parts : 0;
}

static json_t *jnum_or_null(int have, uint64_t v)
{
	return have ? tm_json_count(v) : json_null();
}

static double sym_mean(const struct tm_sym *s)
{
	return s->timed ? s->sum_ns / (double)s->timed : 0;
}

double tm_sym_total(const struct tm_sym *s)
{
	if ((s->flags & TM_RF_SAMPLED) && s->timed)
		return sym_mean(s) * (double)s->calls;
	return s->sum_ns;
}

static const char *sym_timing(const struct tm_sym *s)
{
	return (s->flags & TM_RF_COUNT) ? "count" : (s->flags & TM_RF_SAMPLED) ? "sampled" : "all";
}

/* A glob that matched something is reported through its matches. */
int tm_sym_reported(const struct tm_sym *s)
{
	if (s->flags & TM_RF_INTERNAL)
		return 0;
	return (s->flags & (TM_RF_GLOB | TM_RF_FOUND)) != (TM_RF_GLOB | TM_RF_FOUND);
}

/* Why a symbol has no calls (buf: room for a note naming another). */
const char *tm_sym_note(const struct tm_coll *c, const struct tm_sym *s, char *buf, size_t len)
{
	if (!(s->flags & TM_RF_FOUND) && s->claimed_by && s->claimed_by - 1 < c->nsyms) {
		snprintf(buf, len, "an earlier pattern took its functions: counted as '%.100s'",
			 c->syms[s->claimed_by - 1].name);
		return buf;
	}
	if (s->flags & TM_RF_GLOB)
		return "pattern matched no function in any loaded object";
	return (s->flags & TM_RF_FOUND) ? "found, 0 calls" : "not found in any loaded object";
}

/* errors {name: n} -> {category: n} */
static json_t *categories_json(json_t *errs)
{
	json_t *o = json_object();
	const char *name;
	json_t *v;
	json_object_foreach(errs, name, v)
	{
		const char *cat = tm_code_category(name);
		json_t *prev = json_object_get(o, cat);
		json_object_set_new(
			o, cat,
			tm_json_count(sat_add((uint64_t)json_integer_value(v),
					      prev ? (uint64_t)json_integer_value(prev) : 0)));
	}
	return o;
}

static json_t *errs_of(const struct tm_sym *s, const struct tm_werr *e, uint32_t n, uint64_t other)
{
	json_t *o = json_object();
	for (uint32_t i = 0; i < n; i++) {
		char buf[64];
		const char *name = tm_code_name(s->codes, e[i].code, buf, sizeof(buf));
		json_t *prev = json_object_get(o, name);
		json_object_set_new(
			o, name,
			tm_json_count(sat_add(e[i].count,
					      prev ? (uint64_t)json_integer_value(prev) : 0)));
	}
	if (other) {
		json_t *prev = json_object_get(o, "other");
		json_object_set_new(o, "other",
				    tm_json_count(sat_add(
					    other, prev ? (uint64_t)json_integer_value(prev) : 0)));
	}
	return o;
}

/* {outcome: {"calls": n, "codes": {name: n}}}: failed calls whose code is
 * an outcome of its own (model/outcome.h). */
static json_t *outcomes_json(const struct tm_coll *c, const struct tm_sym *s)
{
	json_t *o = json_object();
	for (size_t i = 0; i < s->noutn; i++) {
		const struct tm_outc_n *e = &s->outn[i];
		const char *on = tm_outc_name(c, e->o);
		json_t *x = json_object_get(o, on);
		if (!x) {
			x = json_object();
			json_object_set_new(x, "calls", tm_json_count(0));
			json_object_set_new(x, "codes", json_object());
			json_object_set_new(o, on, x);
		}
		char buf[64];
		const char *cn = tm_code_name(s->codes, e->code, buf, sizeof(buf));
		json_t *codes = json_object_get(x, "codes");
		json_t *prev = json_object_get(codes, cn);
		json_object_set_new(codes, cn,
				    tm_json_count(sat_add(
					    e->n, prev ? (uint64_t)json_integer_value(prev) : 0)));
		json_object_set_new(
			x, "calls",
			tm_json_count(sat_add(
				e->n, (uint64_t)json_integer_value(json_object_get(x, "calls")))));
	}
	return o;
}

static const char *const window_names[TM_WIN_NWINDOWS] = {"10s", "1m", "5m", "15m"};

/* "in", "out" or NULL: which way s's bytes go. */
static const char *flow_of(const struct tm_sym *s)
{
	return (s->flags & TM_RF_FLOW_IN) ? "in" : (s->flags & TM_RF_FLOW_OUT) ? "out" : NULL;
}

static json_t *gent_json(const struct tm_gent *e, int with_value)
{
	json_t *o = json_object();
	if (with_value)
		json_object_set_new(o, "value", json_integer((json_int_t)e->value));
	json_object_set_new(o, "calls", tm_json_count(e->calls));
	json_object_set_new(o, "failed", tm_json_count(e->failed));
	json_object_set_new(o, "bytes", tm_json_count(e->bytes));
	json_object_set_new(o, "mean_ns",
			    e->timed ? json_real(e->sum_ns / (double)e->timed) : json_null());
	return o;
}

static int gent_cmp(const void *a, const void *b)
{
	const struct tm_gent *x = a, *y = b;
	return x->calls != y->calls ? (x->calls < y->calls ? 1 : -1)
				    : (x->value > y->value) - (x->value < y->value);
}

/* Calls by the value of the group's argument, most calls first; what
 * came without a value (folded on overflow, untimed) is unlabelled. */
static json_t *groups_json(const struct tm_sym *s)
{
	const struct tm_groups *g = s->groups;
	struct tm_gent e[TM_GROUPS];
	memcpy(e, g->e, g->n * sizeof(e[0]));
	qsort(e, g->n, sizeof(e[0]), gent_cmp);
	json_t *o = json_object(), *vals = json_array();
	char by[8];
	snprintf(by, sizeof(by), "arg%u", g->arg);
	json_object_set_new(o, "by", json_string(by));
	uint64_t seen = g->other.calls;
	for (uint32_t i = 0; i < g->n; i++) {
		json_array_append_new(vals, gent_json(&e[i], 1));
		seen += e[i].calls;
	}
	json_object_set_new(o, "values", vals);
	json_object_set_new(o, "other", gent_json(&g->other, 0));
	json_object_set_new(o, "unlabelled", tm_json_count(s->calls > seen ? s->calls - seen : 0));
	return o;
}

/* A function's bytes: the total, where they come from, which way they
 * go (bytes_in / bytes_out), and the sizes of the calls that moved them. */
static void bytes_json(json_t *o, const struct tm_sym *s)
{
	const char *flow = flow_of(s);
	char key[16];
	json_object_set_new(o, "bytes", tm_json_count(s->bytes));
	json_object_set_new(o, "bytes_from",
			    json_string(s->flags & TM_RF_ARGBYTES ? "arguments" : "return"));
	if (flow) {
		snprintf(key, sizeof(key), "bytes_%s", flow);
		json_object_set_new(o, "flow", json_string(flow));
		json_object_set_new(o, key, tm_json_count(s->bytes));
	}
	const struct tm_hist *h = &s->size_hist;
	if (!h->count) {
		json_object_set_new(o, "size", json_null());
		return;
	}
	json_t *z = json_object();
	json_object_set_new(z, "calls", tm_json_count(h->count));
	json_object_set_new(z, "p50", tm_json_count(tm_hist_quantile(h, 0.5)));
	json_object_set_new(z, "p99", tm_json_count(tm_hist_quantile(h, 0.99)));
	json_object_set_new(z, "max", tm_json_count(s->size_max));
	json_object_set_new(o, "size", z);
}

json_t *tm_window_json(const struct tm_sym *s, const struct tm_wfig *f)
{
	json_t *o = json_object();
	double span = f->span_s ? (double)f->span_s : 1;
	int have = f->timed > 0;
	json_object_set_new(o, "span_s", json_integer(f->span_s));
	json_object_set_new(o, "calls", tm_json_count(f->calls));
	json_object_set_new(o, "ok", tm_json_count(f->ok));
	json_object_set_new(o, "failed", tm_json_count(f->failed));
	json_object_set_new(o, "slow", tm_json_count(f->slow));
	json_object_set_new(o, "calls_per_s", json_real(f->span_s ? (double)f->calls / span : 0));
	json_object_set_new(o, "failures_per_s",
			    json_real(f->span_s ? (double)f->failed / span : 0));
	json_object_set_new(o, "bytes_per_s", json_real(f->span_s ? (double)f->bytes / span : 0));
	if (flow_of(s)) {
		char key[24];
		snprintf(key, sizeof(key), "bytes_%s_per_s", flow_of(s));
		json_object_set_new(o, key, json_real(f->span_s ? (double)f->bytes / span : 0));
	}
	json_object_set_new(o, "success_rate",
			    (s->flags & TM_RF_HAS_RULE) && f->ok + f->failed
				    ? json_real((double)f->ok / (double)(f->ok + f->failed))
				    : json_null());
	json_object_set_new(o, "mean_ns",
			    have ? json_real((double)f->sum_ns / (double)f->timed) : json_null());
	json_object_set_new(o, "p50_ns", jnum_or_null(have, f->p50_ns));
	json_object_set_new(o, "p95_ns", jnum_or_null(have, f->p95_ns));
	json_object_set_new(o, "p99_ns", jnum_or_null(have, f->p99_ns));
	json_object_set_new(o, "errors", errs_of(s, f->err, f->nerr, f->err_other));
	return o;
}

static json_t *windows_json(const struct tm_coll *c, const struct tm_sym *s)
{
	json_t *o = json_object();
	for (unsigned i = 0; i < TM_WIN_NWINDOWS; i++) {
		struct tm_wfig f;
		tm_win_figures(&s->win, &c->clock, (enum tm_window)i, &f);
		json_t *w = tm_window_json(s, &f);
		if (s->retc) {
			uint64_t n[TM_RETC_MAX + 1];
			tm_retc_window(s->retc, &s->win, (enum tm_window)i, n);
			json_object_set_new(w, "returns",
					    tm_retc_json(&s->retc->def, n, f.calls, 0));
		}
		json_object_set_new(o, window_names[i], w);
	}
	return o;
}

/* The last hour, a point per sealed minute, oldest first. */
static json_t *trend_json(const struct tm_coll *c, const struct tm_sym *s)
{
	struct tm_wbucket b[60];
	size_t n = tm_win_series(&s->win, &c->clock, 1, 60, b, 60);
	json_t *o = json_object(), *calls = json_array(), *sr = json_array(), *p99 = json_array();
	for (size_t i = 0; i < n; i++) {
		uint64_t judged = b[i].ok + b[i].failed;
		json_array_append_new(calls, tm_json_count(b[i].calls));
		json_array_append_new(sr, (s->flags & TM_RF_HAS_RULE) && judged
						  ? json_real((double)b[i].ok / (double)judged)
						  : json_null());
		json_array_append_new(p99, b[i].timed ? tm_json_count(tm_wh_value(b[i].q[2]))
						      : json_null());
	}
	json_object_set_new(o, "resolution_s", json_integer(60));
	json_object_set_new(o, "points", tm_json_count(n));
	json_object_set_new(o, "calls", calls);
	json_object_set_new(o, "success_rate", sr);
	json_object_set_new(o, "p99_ns", p99);
	return o;
}

/* The whole-run histogram, sparse: [value_ns, count] for each non-empty
 * bucket, ascending (value_ns: the bucket's representative, as the
 * percentiles report it; 64 buckets per power of two, 0.8%). What
 * tmreport diff tests and draws; ~51 bytes per bucket as written. */
static json_t *hist_json(const struct tm_sym *s)
{
	json_t *a = json_array();
	for (unsigned g = 0; g < TM_HIST_GROUPS; g++) {
		if (!s->hist.group[g])
			continue;
		for (unsigned k = 0; k < TM_HIST_SUB; k++) {
			uint64_t n = s->hist.group[g][k];
			if (!n)
				continue;
			json_t *pair = json_array();
			json_array_append_new(pair,
					      tm_json_count(tm_hist_value(g * TM_HIST_SUB + k)));
			json_array_append_new(pair, tm_json_count(n));
			json_array_append_new(a, pair);
		}
	}
	return a;
}

/* The last TM_SUMMARY_SECONDS sealed seconds, from the function's first
 * call in them, oldest first: calls, failed and p99 (null: none timed)
 * per second. Bounded (about 63 bytes a second as written); the
 * per-minute `trend` covers the hour before. */
static json_t *seconds_json(const struct tm_coll *c, const struct tm_sym *s, size_t secs)
{
	struct tm_wbucket b[TM_SUMMARY_SECONDS]; /* 19 KiB */
	if (secs > TM_SUMMARY_SECONDS)
		secs = TM_SUMMARY_SECONDS;
	size_t n = tm_win_series(&s->win, &c->clock, 0, secs, b, TM_SUMMARY_SECONDS);
	size_t first = 0;
	while (first < n && !b[first].unit)
		first++;
	uint64_t epoch_real = c->start_real_ns - (c->start_mono_ns - c->clock.epoch_ns);
	uint64_t unit = (uint64_t)s->win.sealed - n + first;
	json_t *o = json_object(), *calls = json_array(), *failed = json_array();
	json_t *p99 = json_array();
	for (size_t i = first; i < n; i++) {
		json_array_append_new(calls, tm_json_count(b[i].calls));
		json_array_append_new(failed, tm_json_count(b[i].failed));
		json_array_append_new(p99, b[i].timed ? tm_json_count(tm_wh_value(b[i].q[2]))
						      : json_null());
	}
	json_object_set_new(o, "resolution_s", json_integer(1));
	json_object_set_new(o, "start_realtime_ns",
			    n > first ? tm_json_count(epoch_real + unit * 1000000000ull)
				      : json_null());
	json_object_set_new(o, "points", tm_json_count(n - first));
	json_object_set_new(o, "calls", calls);
	json_object_set_new(o, "failed", failed);
	json_object_set_new(o, "p99_ns", p99);
	return o;
}

static json_t *sym_json(const struct tm_coll *c, const struct tm_sym *s, size_t secs)
{
	json_t *o = json_object();
	int have = s->timed > 0;
	int rule = (s->flags & TM_RF_HAS_RULE) != 0;
	uint64_t judged = s->ok + s->failed;

	json_object_set_new(o, "name", tm_json_text(s->name));
	json_object_set_new(o, "object", tm_json_text(s->object));
	json_object_set_new(o, "rule", json_boolean(rule));
	json_object_set_new(o, "calls", tm_json_count(s->calls));
	json_object_set_new(o, "ok", tm_json_count(s->ok));
	json_object_set_new(o, "failed", tm_json_count(s->failed));
	json_object_set_new(o, "outcome_calls", tm_json_count(s->outcomes));
	json_object_set_new(o, "outcomes", outcomes_json(c, s));
	if (s->retc)
		json_object_set_new(o, "returns",
				    tm_retc_json(&s->retc->def, s->retc->n, s->calls, 1));
	json_object_set_new(o, "not_judged", tm_json_count(not_judged(s)));
	json_object_set_new(o, "exceptions", tm_json_count(s->exceptions));
	json_object_set_new(o, "unwound", tm_json_count(s->unwound));
	json_object_set_new(o, "unfinished", tm_json_count(s->unfinished));
	json_object_set_new(o, "success_rate",
			    rule && judged ? json_real((double)s->ok / (double)judged)
					   : json_null());
	json_object_set_new(o, "error_rate",
			    rule && judged ? json_real((double)s->failed / (double)judged)
					   : json_null());
	json_object_set_new(o, "min_ns", jnum_or_null(have, s->min_ns));
	json_object_set_new(o, "max_ns", jnum_or_null(have, s->max_ns));
	json_object_set_new(o, "mean_ns", have ? json_real_or_null(sym_mean(s)) : json_null());
	double var = have ? s->sumsq_ns / (double)s->timed - sym_mean(s) * sym_mean(s) : 0;
	json_object_set_new(o, "stddev_ns",
			    have ? json_real_or_null(var > 0 ? sqrt(var) : 0) : json_null());
	static const struct {
		const char *key;
		double q;
	} qs[] = {{"p50_ns", 0.5},
		  {"p90_ns", 0.9},
		  {"p95_ns", 0.95},
		  {"p99_ns", 0.99},
		  {"p999_ns", 0.999}};
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		uint64_t v = tm_sym_quantile(s, qs[i].q);
		json_object_set_new(o, qs[i].key, jnum_or_null(have && s->hist.count, v));
	}
	json_object_set_new(o, "total_ns", json_ns(s->sum_ns));
	json_object_set_new(o, "timing", json_string(sym_timing(s)));
	json_object_set_new(o, "timed", tm_json_count(s->timed));
	if (s->flags & TM_RF_SAMPLED) {
		json_object_set_new(o, "sample_every", tm_json_count(s->sample));
		json_object_set_new(o, "est_total_ns", json_ns(tm_sym_total(s)));
	}
	if (s->flags & TM_RF_BYTES)
		bytes_json(o, s);
	if (s->groups)
		json_object_set_new(o, "groups", groups_json(s));
	json_object_set_new(o, "records", tm_json_count(s->records));
	json_object_set_new(o, "overflowed", tm_json_count(s->overflowed));
	json_object_set_new(o, "counted", tm_json_count(s->counted));
	json_t *errs = json_object();
	for (size_t i = 0; i < s->nerrs; i++) {
		char buf[64];
		const char *n = tm_code_name(s->codes, s->errs[i].code, buf, sizeof(buf));
		json_t *prev = json_object_get(errs, n);
		uint64_t add =
			sat_add(s->errs[i].count, prev ? (uint64_t)json_integer_value(prev) : 0);
		json_object_set_new(errs, n, tm_json_count(add));
	}
	json_object_set_new(o, "errors", errs);
	json_object_set_new(o, "errors_by_category", categories_json(errs));
	json_object_set_new(o, "session",
			    tm_json_text(c->sessions ? c->sessions[s->sess] : c->session));
	json_object_set_new(o, "slow", tm_json_count(s->slow));
	json_object_set_new(o, "slow_ms",
			    s->slow_ns ? json_real((double)s->slow_ns / 1e6) : json_null());
	json_object_set_new(o, "blocking", json_boolean(s->blocking));
	json_object_set_new(o, "inner_calls", tm_json_count(s->inner_calls));
	if (c->calls_on)
		tm_calls_sym_json(o, s);
	json_object_set_new(o, "in_flight", tm_json_count(s->in_flight));
	/* an untimed frame (a sampled function's) has no start: open calls
	 * that are all untimed have no age to report */
	json_object_set_new(o, "oldest_in_flight_ns",
			    s->in_flight && s->oldest_ns ? tm_json_count(s->oldest_ns)
							 : json_null());
	json_object_set_new(o, "windows", windows_json(c, s));
	json_object_set_new(o, "trend", trend_json(c, s));
	json_object_set_new(o, "seconds", seconds_json(c, s, secs));
	json_object_set_new(o, "histogram", hist_json(s));
	char nbuf[192];
	if (s->flags & TM_RF_GLOB) {
		json_object_set_new(o, "pattern", json_true());
		json_object_set_new(o, "note", json_string(tm_sym_note(c, s, nbuf, sizeof(nbuf))));
	} else if (!(s->flags & TM_RF_FOUND))
		json_object_set_new(o, "note", json_string(tm_sym_note(c, s, nbuf, sizeof(nbuf))));
	else if (!s->calls)
		json_object_set_new(o, "note", json_string("found, 0 calls"));
	else if (s->flags & TM_RF_COUNT)
		json_object_set_new(o, "note",
				    json_string("count only: calls not timed or judged"));
	else if (s->flags & TM_RF_SAMPLED) {
		char note[160];
		snprintf(note, sizeof(note),
			 "latency from a sample: 1 call in %u timed (%llu of %llu)%s", s->sample,
			 (unsigned long long)s->timed, (unsigned long long)s->calls,
			 rule ? "" : "; no success rule: calls not judged");
		json_object_set_new(o, "note", json_string(note));
	} else if (!rule)
		json_object_set_new(o, "note", json_string("no success rule: calls not judged"));
	json_object_set_new(o, "health", tm_health_json(tm_health_sym(c, (size_t)(s - c->syms))));
	return o;
}

static json_t *argv_json(const struct tm_proc *p)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < p->argv_len;) {
		size_t n = strnlen(p->argv + i, p->argv_len - i);
		json_array_append_new(a, tm_json_textn(p->argv + i, n));
		i += (uint32_t)n + 1;
	}
	return a;
}

/* A running process's rates over the functions' windows (sealed
 * seconds): calls and failures per second, CPU as percent of one core,
 * the last RSS; null once it has ended (its series is freed). */
static json_t *proc_windows_json(const struct tm_coll *c, const struct tm_proc *p)
{
	static const unsigned secs[TM_WIN_NWINDOWS] = {10, 60, 300, 900};
	if (!p->pwin)
		return json_null();
	json_t *o = json_object();
	for (unsigned i = 0; i < TM_WIN_NWINDOWS; i++) {
		struct tm_pfig f;
		tm_proc_window(p, &c->clock, secs[i], &f);
		double span = f.span_s ? (double)f.span_s : 1;
		json_t *w = json_object();
		json_object_set_new(w, "span_s", json_integer(f.span_s));
		json_object_set_new(w, "calls_per_s",
				    json_real(f.span_s ? (double)f.calls / span : 0));
		json_object_set_new(w, "failures_per_s",
				    json_real(f.span_s ? (double)f.failed / span : 0));
		json_object_set_new(w, "cpu_user_percent",
				    json_real(f.span_s ? (double)f.cpu_user_us / span / 1e4 : 0));
		json_object_set_new(w, "cpu_system_percent",
				    json_real(f.span_s ? (double)f.cpu_sys_us / span / 1e4 : 0));
		json_object_set_new(w, "rss_bytes", json_integer((json_int_t)f.rss_bytes));
		json_object_set_new(o, window_names[i], w);
	}
	return o;
}

/* The last /proc sample; null before the first one. */
static json_t *res_json(const struct tm_proc *p)
{
	if (!p->res.valid)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "cpu_user_s", json_real(p->res.cpu_user_s));
	json_object_set_new(o, "cpu_system_s", json_real(p->res.cpu_sys_s));
	json_object_set_new(o, "rss_bytes", tm_json_count(p->res.rss_bytes));
	json_object_set_new(o, "threads", json_integer(p->res.threads));
	json_object_set_new(o, "open_fds",
			    p->res.fds >= 0 ? json_integer(p->res.fds) : json_null());
	json_t *t = json_array();
	for (uint32_t i = 0; i < p->ntcpu; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "tid", json_integer(p->tcpu[i].tid));
		json_object_set_new(e, "cpu_user_s", json_real(p->tcpu[i].user_s));
		json_object_set_new(e, "cpu_system_s", json_real(p->tcpu[i].sys_s));
		json_array_append_new(t, e);
	}
	json_object_set_new(o, "monitored_threads", t);
	return o;
}

json_t *tm_proc_json(const struct tm_coll *c, const struct tm_proc *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "pid", json_integer(p->pid));
	json_object_set_new(o, "ppid", json_integer(p->ppid));
	json_object_set_new(o, "exe", tm_json_text(tm_proc_exe(p)));
	json_object_set_new(o, "exe_resolved", tm_json_text(p->exe));
	json_object_set_new(o, "argv", argv_json(p));
	json_object_set_new(o, "status", json_string(status_names[p->status]));
	json_object_set_new(o, "exit_code",
			    p->status == TM_PS_EXITED ? json_integer(p->exit_code) : json_null());
	json_object_set_new(o, "start_realtime_ns", tm_json_count(p->created_ns));
	json_object_set_new(o, "end_realtime_ns",
			    p->end_ns ? tm_json_count(p->end_ns) : json_null());
	json_object_set_new(o, "health", tm_health_json(tm_health_proc(c, p)));
	json_object_set_new(o, "calls", tm_json_count(p->calls));
	json_object_set_new(o, "records", tm_json_count(p->records));
	json_object_set_new(o, "overflowed", tm_json_count(p->overflowed));
	json_object_set_new(o, "ring_records", json_integer(p->ring_cap));
	json_t *syms = json_object();
	uint64_t ok = 0, failed = 0;
	for (uint32_t i = 0; i < p->npsyms; i++) {
		const struct tm_psym *ps = &p->psyms[i];
		if (!tm_sym_reported(&c->syms[ps->gsym]) || !ps->calls)
			continue; /* the functions it called, not every one configured */
		/* keys are text too: escaped like every name (jansson refuses a
		 * key that is not UTF-8) */
		char name[4 * sizeof(c->syms[0].name) + 1];
		esc_text(name, sizeof(name), c->syms[ps->gsym].name, strlen(c->syms[ps->gsym].name),
			 0);
		json_t *e = json_object_get(syms, name); /* two ids may share a display name */
		if (!e) {
			e = json_object();
			json_object_set_new(syms, name, e);
		}
		static const char *const keys[] = {"calls", "ok", "failed", "total_ns"};
		const uint64_t add[] = {ps->calls, ps->ok, ps->failed, ns_u64(ps->sum_ns)};
		for (unsigned k = 0; k < 4; k++) {
			json_t *prev = json_object_get(e, keys[k]);
			uint64_t v = sat_add(add[k], prev ? (uint64_t)json_integer_value(prev) : 0);
			json_object_set_new(e, keys[k], tm_json_count(v));
		}
		ok = sat_add(ok, ps->ok);
		failed = sat_add(failed, ps->failed);
	}
	json_object_set_new(o, "ok", tm_json_count(ok));
	json_object_set_new(o, "failed", tm_json_count(failed));
	json_object_set_new(o, "symbols", syms);
	json_t *loss = json_object();
	for (unsigned k = 0; k < TM_LOSS_COUNT; k++)
		json_object_set_new(loss, loss_names[k], tm_json_count(p->loss[k]));
	json_object_set_new(loss, "corrupt", tm_json_count(p->closs[TM_CLOSS_CORRUPT]));
	json_object_set_new(o, "loss", loss);
	json_object_set_new(o, "session",
			    tm_json_text(c->sessions ? c->sessions[p->sess] : c->session));
	json_object_set_new(o, "resources", res_json(p));
	json_object_set_new(o, "windows", proc_windows_json(c, p));
	return o;
}

/* An unlisted process's end (exited with a code, or exec'd): counted. */
static void quiet_json_add(json_t *codes, const struct tm_proc *p, uint64_t *exec)
{
	if (p->status != TM_PS_EXITED) {
		(*exec)++;
		return;
	}
	char k[16];
	snprintf(k, sizeof(k), "%d", (int)p->exit_code);
	json_t *v = json_object_get(codes, k);
	json_object_set_new(codes, k, json_integer(v ? json_integer_value(v) + 1 : 1));
}

/* Reported processes: every image except exec'd-away copies that never made
 * a monitored call (the pre-exec half of every fork+exec). */
int tm_proc_reported(const struct tm_proc *p)
{
	return p->pid > 0 && !(p->status == TM_PS_EXEC && p->calls == 0);
}

/* The finished processes merged out of the list (tm_coll_compact):
 * always present, zeros when none were. */
static json_t *earlier_json(const struct tm_coll *c)
{
	const struct tm_earlier *e = &c->earlier;
	json_t *o = json_object();
	json_object_set_new(o, "count", tm_json_count(e->count));
	json_object_set_new(o, "calls", tm_json_count(e->calls));
	json_object_set_new(o, "ok", tm_json_count(e->ok));
	json_object_set_new(o, "failed", tm_json_count(e->failed));
	json_object_set_new(o, "records", tm_json_count(e->records));
	json_object_set_new(o, "overflowed", tm_json_count(e->overflowed));
	json_t *loss = json_object();
	for (unsigned k = 0; k < TM_LOSS_COUNT; k++)
		json_object_set_new(loss, loss_names[k], tm_json_count(e->loss[k]));
	json_object_set_new(loss, "corrupt", tm_json_count(e->corrupt));
	json_object_set_new(o, "loss", loss);
	json_t *st = json_object();
	for (unsigned k = 0; k < sizeof(status_names) / sizeof(status_names[0]); k++)
		json_object_set_new(st, status_names[k], tm_json_count(e->status[k]));
	json_object_set_new(o, "status", st);
	return o;
}

json_t *tm_summary_json(const struct tm_coll *c)
{
	return tm_summary_json_n(c, TM_SUMMARY_SECONDS);
}

json_t *tm_summary_json_n(const struct tm_coll *c, size_t secs)
{
	json_t *root = json_object();
	uint64_t calls = 0, ok = 0, failed = 0, unfinished = 0, records = 0, over = 0, nproc = 0,
		 quiet = 0;
	json_t *qcodes = json_object(); /* exit code -> processes, of the unlisted */
	uint64_t qexec = 0;
	uint64_t outcomes = 0;
	uint64_t loss[TM_LOSS_COUNT] = {0};
	uint64_t corrupt = sat_add(c->closs[TM_CLOSS_CORRUPT], c->earlier.corrupt);

	for (unsigned k = 0; k < TM_LOSS_COUNT; k++)
		loss[k] = c->earlier.loss[k];
	json_object_set_new(root, "schema", json_string("tm.summary/1"));
	json_object_set_new(root, "session", tm_json_text(c->session));
	json_object_set_new(root, "start_realtime_ns", tm_json_count(c->start_real_ns));
	json_object_set_new(root, "duration_ns", tm_json_count((tm_mono_ns() - c->start_mono_ns)));
	if (c->attached_pid) { /* tmrun --attach */
		json_t *a = json_object();
		json_object_set_new(a, "pid", json_integer(c->attached_pid));
		json_object_set_new(a, "attached_realtime_ns", tm_json_count(c->attached_real_ns));
		json_object_set_new(a, "pause_ns", tm_json_count(c->attach_pause_ns));
		if (c->detached_real_ns)
			json_object_set_new(a, "detached_realtime_ns",
					    tm_json_count(c->detached_real_ns));
		json_object_set_new(root, "attach", a);
		json_object_set_new(root, "attached_realtime_ns",
				    tm_json_count(c->attached_real_ns));
	}
	json_t *clock = json_object();
	json_object_set_new(clock, "tsc_hz", tm_json_count(c->tsc_hz));
	uint64_t floor = tm_coll_floor_now(c);
	json_object_set_new(clock, "floor_ns", floor ? tm_json_count(floor) : json_null());
	json_object_set_new(clock, "overhead_subtracted", json_boolean(c->subtract));
	json_object_set_new(root, "clock", clock);
	/* a CPU shared with the program (loop.c): what the collector kept to */
	json_t *cpu = json_object();
	json_object_set_new(cpu, "budget_pct",
			    c->cpu_budget > 0 ? json_real(round(c->cpu_budget * 1e5) / 1e3)
					      : json_null());
	json_object_set_new(cpu, "shared", json_boolean(c->shared_cpu));
	json_object_set_new(cpu, "budget_naps", tm_json_count(c->budget_naps));
	json_object_set_new(root, "collector_cpu", cpu);

	json_t *syms = json_array();
	for (size_t i = 0; i < c->nsyms; i++) {
		const struct tm_sym *s = &c->syms[i];
		if (!tm_sym_reported(s))
			continue;
		json_array_append_new(syms, sym_json(c, s, secs));
		calls = sat_add(calls, s->calls);
		ok = sat_add(ok, s->ok);
		failed = sat_add(failed, s->failed);
		outcomes = sat_add(outcomes, s->outcomes);
		unfinished = sat_add(unfinished, s->unfinished);
		records = sat_add(records, s->records);
		over = sat_add(over, s->overflowed);
	}
	json_t *procs = json_array();
	for (size_t i = 0; i < c->nprocs; i++) {
		const struct tm_proc *p = c->procs[i];
		for (unsigned k = 0; k < TM_LOSS_COUNT; k++)
			loss[k] = sat_add(loss[k], p->loss[k]);
		corrupt = sat_add(corrupt, p->closs[TM_CLOSS_CORRUPT]);
		if (!tm_proc_reported(p))
			continue;
		nproc++;
		/* a finished process that made no monitored call (a shell's
		 * helpers, a make's recipes) is counted, not listed */
		if (!p->calls && p->status != TM_PS_RUNNING && p->status != TM_PS_CRASHED) {
			quiet++;
			quiet_json_add(qcodes, p, &qexec);
			continue;
		}
		json_array_append_new(procs, tm_proc_json(c, p));
	}
	json_t *tot = json_object();
	json_object_set_new(tot, "calls", tm_json_count(calls));
	json_object_set_new(tot, "ok", tm_json_count(ok));
	json_object_set_new(tot, "failed", tm_json_count(failed));
	json_object_set_new(tot, "outcome_calls", tm_json_count(outcomes));
	json_object_set_new(tot, "unfinished", tm_json_count(unfinished));
	json_object_set_new(tot, "records", tm_json_count(records));
	json_object_set_new(tot, "overflowed", tm_json_count(over));
	json_object_set_new(tot, "processes", tm_json_count(sat_add(nproc, c->earlier.count)));
	json_object_set_new(root, "totals", tot);
	json_t *lj = json_object();
	for (unsigned k = 0; k < TM_LOSS_COUNT; k++)
		json_object_set_new(lj, loss_names[k], tm_json_count(loss[k]));
	json_object_set_new(lj, "corrupt", tm_json_count(corrupt));
	json_object_set_new(root, "loss", lj);
	json_object_set_new(root, "symbols", syms);
	json_object_set_new(root, "processes", procs);
	json_t *qj = json_object();
	json_object_set_new(qj, "count", tm_json_count(quiet));
	json_object_set_new(qj, "exec", tm_json_count(qexec));
	json_object_set_new(qj, "exit_codes", qcodes);
	json_object_set_new(root, "processes_without_calls", qj);
	json_object_set_new(root, "earlier_processes", earlier_json(c));
	json_t *stuck = json_array();
	for (size_t i = 0; i < c->nstuck; i++) {
		const struct tm_stuck *e = &c->stuck[i];
		json_t *o = json_object();
		json_object_set_new(o, "function", tm_json_text(c->syms[e->gsym].name));
		json_object_set_new(o, "pid", json_integer(e->pid));
		json_object_set_new(o, "tid", json_integer(e->tid));
		json_object_set_new(
			o, "start_realtime_ns",
			tm_json_count((e->start_mono_ns - c->start_mono_ns + c->start_real_ns)));
		json_object_set_new(o, "age_ns", tm_json_count(e->age_ns));
		json_array_append_new(stuck, o);
	}
	json_object_set_new(root, "stuck", stuck);
	json_object_set_new(root, "stuck_more", tm_json_count(c->stuck_more));
	json_object_set_new(root, "health", tm_health_json(tm_health_session(c)));
	json_object_set_new(root, "alerts", tm_alerts_json(c, 0));
	json_object_set_new(root, "report", tm_report_json(c));
	if (c->calls_on) {
		json_t *other;
		json_object_set_new(root, "edges", tm_calls_edges_json(c, &other));
		json_object_set_new(root, "edges_other", other);
		json_object_set_new(root, "stacks", tm_calls_stacks_json(c, &other));
		json_object_set_new(root, "stacks_other", other);
	}
	json_object_set_new(root, "call_structure", tm_calls_json(c));
	if (c->wf)
		json_object_set_new(root, "workflows", tm_wf_json(c));
	return root;
}

/* Written with tm_out_replace: atomically for a regular file (readers
 * never see half of it), in place for a FIFO or device, "-" to stdout. */
int tm_json_write(struct json_t *root, const char *path, char *err, size_t errlen)
{
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text) {
		snprintf(err, errlen, "%s: cannot serialize the summary", path);
		return -ENOMEM;
	}
	size_t len = strlen(text);
	char *buf = realloc(text, len + 2);
	if (!buf) {
		free(text);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	buf[len++] = '\n';
	buf[len] = '\0';
	int ret = tm_out_replace(path, buf, len, err, errlen);
	free(buf);
	return ret;
}

int tm_summary_write(const struct tm_coll *c, const char *path, char *err, size_t errlen)
{
	return tm_json_write(tm_summary_json(c), path, err, errlen);
}
