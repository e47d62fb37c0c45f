/* SPDX-License-Identifier: MIT */
/* The summary's parts the tool uses, field by field: symbols[] (with the
 * histogram and the series), runs[] (tmrun --repeat), processes[],
 * alerts[] and the report's findings. Types and ranges as read.h says. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read.h"
#include "report.h"

#define RP_SYMS_MAX   100000
#define RP_NAMED_MAX  4096 /* error names or categories of one function */
#define RP_BINS_MAX   4096 /* > the model's 59 x 64 buckets */
#define RP_POINTS_MAX 100000
#define RP_PROCS_MAX  1000000
#define RP_ALERTS_MAX 1000000
#define RP_RUNS_MAX   100000

/* {name: count} into an array; NULL and 0 when absent. */
static struct rp_named *load_named(struct rd *r, json_t *o, const char *where, const char *key,
				   size_t *n)
{
	*n = 0;
	json_t *v = rd_kind(r, o, where, key, 0, 0, RP_NAMED_MAX);
	if (!v || !json_object_size(v))
		return NULL;
	struct rp_named *a = calloc(json_object_size(v), sizeof(*a));
	if (!a) {
		rd_bad(r, where, "out of memory");
		return NULL;
	}
	char w[220];
	snprintf(w, sizeof(w), "%s.%s", where, key);
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x)
	{
		if (strlen(k) > RP_TEXT_MAX) {
			rd_bad(r, w, "a name longer than %u bytes", RP_TEXT_MAX);
			break;
		}
		a[*n].name = k;
		rd_count_v(r, x, w, &a[*n].n);
		(*n)++;
	}
	return a;
}

/* {name: {"calls": n, "codes": {code: n}}}; absent in older summaries. */
static void load_outcomes(struct rd *r, json_t *o, const char *where, struct rp_sym *s)
{
	json_t *v = rd_kind(r, o, where, "outcomes", 0, 0, RP_NAMED_MAX);
	if (!v || !json_object_size(v))
		return;
	if (!(s->outc = calloc(json_object_size(v), sizeof(*s->outc)))) {
		rd_bad(r, where, "out of memory");
		return;
	}
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x)
	{
		char w[240];
		snprintf(w, sizeof(w), "%s.outcomes.%.64s", where, k);
		if (!json_is_object(x) || strlen(k) > RP_TEXT_MAX) {
			rd_bad(r, w, "expected an object under a name of at most %u bytes",
			       RP_TEXT_MAX);
			return;
		}
		struct rp_outc *e = &s->outc[s->noutc++];
		e->name = k;
		rd_count(r, x, w, "calls", RD_REQ, &e->calls);
		e->codes = load_named(r, x, w, "codes", &e->ncodes);
		if (r->failed)
			return;
	}
}

/* [[value_ns, count], ...], values strictly ascending. */
static void load_hist(struct rd *r, json_t *o, const char *where, struct rp_sym *s)
{
	json_t *h = rd_kind(r, o, where, "histogram", 0, 1, RP_BINS_MAX);
	if (!h)
		return;
	char w[220];
	snprintf(w, sizeof(w), "%s.histogram", where);
	s->has_hist = 1;
	size_t n = json_array_size(h);
	s->hist = calloc(n ? n : 1, sizeof(*s->hist));
	if (!s->hist) {
		rd_bad(r, w, "out of memory");
		return;
	}
	uint64_t total = 0;
	for (size_t i = 0; i < n && !r->failed; i++) {
		json_t *p = json_array_get(h, i);
		if (!json_is_array(p) || json_array_size(p) != 2) {
			rd_bad(r, w, "entry %zu is not a [value_ns, count] pair", i);
			return;
		}
		struct rp_bin b;
		rd_count_v(r, json_array_get(p, 0), w, &b.v);
		rd_count_v(r, json_array_get(p, 1), w, &b.n);
		if (r->failed)
			return;
		if (s->nhist && b.v <= s->hist[s->nhist - 1].v) {
			rd_bad(r, w, "values not ascending at entry %zu", i);
			return;
		}
		if (b.n > RP_COUNT_MAX - total) {
			rd_bad(r, w, "counts add up past 2^62");
			return;
		}
		total += b.n;
		if (b.n)
			s->hist[s->nhist++] = b;
	}
}

/* One array of the series: counts, or counts and nulls (-1). */
static void *load_points(struct rd *r, json_t *o, const char *where, const char *key, size_t *n,
			 int kind)
{
	json_t *a = rd_kind(r, o, where, key, RD_REQ, 1, RP_POINTS_MAX);
	if (!a)
		return NULL;
	char w[220];
	snprintf(w, sizeof(w), "%s.%s", where, key);
	size_t len = json_array_size(a);
	if (*n != (size_t)-1 && len != *n) {
		rd_bad(r, w, "%zu points where the series has %zu", len, *n);
		return NULL;
	}
	*n = len;
	void *out = calloc(len ? len : 1, 8);
	if (!out) {
		rd_bad(r, w, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		json_t *x = json_array_get(a, i);
		uint64_t v = 0;
		double f = 0;
		if (kind == 0) {
			rd_count_v(r, x, w, &((uint64_t *)out)[i]);
		} else if (kind == 1) {
			((int64_t *)out)[i] = -1;
			if (!json_is_null(x) && rd_count_v(r, x, w, &v))
				((int64_t *)out)[i] = (int64_t)v;
		} else {
			((double *)out)[i] = -1;
			if (!json_is_null(x) && rd_real_v(r, x, w, 0, 1, &f))
				((double *)out)[i] = f;
		}
	}
	return out;
}

static void load_series(struct rd *r, json_t *o, const char *where, const char *key,
			struct rp_series *s)
{
	json_t *v = rd_kind(r, o, where, key, 0, 0, 64);
	if (!v)
		return;
	char w[220];
	snprintf(w, sizeof(w), "%s.%s", where, key);
	int trend = strcmp(key, "trend") == 0;
	uint64_t res = 0;
	rd_count(r, v, w, "resolution_s", RD_REQ, &res);
	if (!r->failed && res != (trend ? 60u : 1u)) {
		rd_bad(r, w, "resolution_s %llu, expected %u", (unsigned long long)res,
		       trend ? 60u : 1u);
		return;
	}
	s->res_s = (unsigned)res;
	rd_count(r, v, w, "start_realtime_ns", RD_NULL, &s->start_real_ns);
	size_t n = (size_t)-1;
	s->calls = load_points(r, v, w, "calls", &n, 0);
	if (!trend)
		s->failed = load_points(r, v, w, "failed", &n, 0);
	s->p99 = load_points(r, v, w, "p99_ns", &n, 1);
	if (trend)
		s->sr = load_points(r, v, w, "success_rate", &n, 2);
	s->n = r->failed ? 0 : n;
}

static void load_sym(struct rd *r, json_t *o, const char *w, struct rp_sym *s)
{
	s->name = rd_str(r, o, w, "name", RD_REQ);
	s->object = rd_str(r, o, w, "object", 0);
	s->session = rd_str(r, o, w, "session", 0);
	s->timing = rd_str(r, o, w, "timing", 0);
	s->note = rd_str(r, o, w, "note", 0);
	s->rule = rd_bool(r, o, w, "rule");
	s->sampled = s->timing && strcmp(s->timing, "sampled") == 0;
	rd_count(r, o, w, "calls", RD_REQ, &s->calls);
	rd_count(r, o, w, "ok", 0, &s->ok);
	rd_count(r, o, w, "failed", 0, &s->failed);
	rd_count(r, o, w, "timed", 0, &s->timed);
	rd_count(r, o, w, "unfinished", 0, &s->unfinished);
	s->has_lat = rd_count(r, o, w, "p50_ns", RD_NULL, &s->p50);
	rd_count(r, o, w, "min_ns", RD_NULL, &s->min_ns);
	rd_count(r, o, w, "max_ns", RD_NULL, &s->max_ns);
	rd_count(r, o, w, "p90_ns", RD_NULL, &s->p90);
	rd_count(r, o, w, "p95_ns", RD_NULL, &s->p95);
	rd_count(r, o, w, "p99_ns", RD_NULL, &s->p99);
	rd_count(r, o, w, "p999_ns", RD_NULL, &s->p999);
	rd_real(r, o, w, "mean_ns", RD_NULL, 0, (double)RP_COUNT_MAX, &s->mean_ns);
	uint64_t total = 0, est = 0;
	rd_count(r, o, w, "total_ns", 0, &total);
	s->total_ns = (double)total;
	if (rd_count(r, o, w, "est_total_ns", 0, &est) && s->sampled)
		s->total_ns = (double)est;
	if (!s->timed)
		s->has_lat = 0;
	rd_count(r, o, w, "exceptions", 0, &s->exceptions);
	rd_count(r, o, w, "unwound", 0, &s->unwound);
	rd_count(r, o, w, "outcome_calls", 0, &s->outcome_calls);
	rd_count(r, o, w, "inner_calls", 0, &s->inner_calls);
	s->has_bytes = rd_count(r, o, w, "bytes", 0, &s->bytes);
	s->blocking = rd_bool(r, o, w, "blocking");
	load_outcomes(r, o, w, s);
	s->errs = load_named(r, o, w, "errors", &s->nerrs);
	s->cats = load_named(r, o, w, "errors_by_category", &s->ncats);
	load_hist(r, o, w, s);
	load_series(r, o, w, "seconds", &s->sec);
	load_series(r, o, w, "trend", &s->min);
	json_t *h = rd_kind(r, o, w, "health", 0, 0, 64);
	if (h) {
		char hw[220];
		snprintf(hw, sizeof(hw), "%s.health", w);
		s->health = rd_str(r, h, hw, "state", RD_REQ);
		s->health_reason = rd_str(r, h, hw, "reason", 0);
	}
}

void rd_load_symbols(struct rd *r, json_t *root, struct rp_doc *d)
{
	json_t *a = rd_kind(r, root, "", "symbols", RD_REQ, 1, RP_SYMS_MAX);
	if (!a)
		return;
	size_t n = json_array_size(a);
	d->syms = calloc(n ? n : 1, sizeof(*d->syms));
	if (!d->syms) {
		rd_bad(r, "symbols", "out of memory");
		return;
	}
	for (size_t i = 0; i < n && !r->failed; i++) {
		char w[64];
		snprintf(w, sizeof(w), "symbols[%zu]", i);
		json_t *o = json_array_get(a, i);
		if (!json_is_object(o)) {
			rd_bad(r, w, "expected an object");
			return;
		}
		d->nsyms++; /* freed with the document from here on */
		load_sym(r, o, w, &d->syms[i]);
	}
}

void rd_load_processes(struct rd *r, json_t *root, struct rp_doc *d)
{
	json_t *a = rd_kind(r, root, "", "processes", 0, 1, RP_PROCS_MAX);
	if (!a || !json_array_size(a))
		return;
	d->procs = calloc(json_array_size(a), sizeof(*d->procs));
	if (!d->procs) {
		rd_bad(r, "processes", "out of memory");
		return;
	}
	for (size_t i = 0; i < json_array_size(a) && !r->failed; i++) {
		char w[64];
		snprintf(w, sizeof(w), "processes[%zu]", i);
		json_t *o = json_array_get(a, i);
		struct rp_proc *p = &d->procs[d->nprocs++];
		if (!json_is_object(o)) {
			rd_bad(r, w, "expected an object");
			return;
		}
		rd_int(r, o, w, "pid", RD_REQ, &p->pid);
		p->exe = rd_str(r, o, w, "exe", 0);
		p->status = rd_str(r, o, w, "status", 0);
		p->has_exit = rd_int(r, o, w, "exit_code", RD_NULL, &p->exit_code);
		p->fds = -1;
		char rw[80];
		snprintf(rw, sizeof(rw), "%s.resources", w);
		json_t *res = rd_kind(r, o, w, "resources", RD_NULL, 0, 64);
		if (res) {
			p->has_res = 1;
			rd_real(r, res, rw, "cpu_user_s", 0, 0, 1e12, &p->cpu_user_s);
			rd_real(r, res, rw, "cpu_system_s", 0, 0, 1e12, &p->cpu_sys_s);
			rd_count(r, res, rw, "rss_bytes", 0, &p->rss_bytes);
			rd_count(r, res, rw, "threads", 0, &p->threads);
			if (!rd_int(r, res, rw, "open_fds", RD_NULL, &p->fds))
				p->fds = -1;
		}
	}
}

static void load_findings(struct rd *r, json_t *root, struct rp_doc *d)
{
	json_t *rep = rd_kind(r, root, "", "report", 0, 0, 64);
	if (!rep)
		return;
	rd_count(r, rep, "report", "findings_more", 0, &d->findings_more);
	json_t *a = rd_kind(r, rep, "report", "findings", 0, 1, RP_ALERTS_MAX);
	if (!a || !json_array_size(a))
		return;
	d->findings = calloc(json_array_size(a), sizeof(*d->findings));
	if (!d->findings) {
		rd_bad(r, "report.findings", "out of memory");
		return;
	}
	for (size_t i = 0; i < json_array_size(a) && !r->failed; i++) {
		char w[64];
		snprintf(w, sizeof(w), "report.findings[%zu]", i);
		json_t *o = json_array_get(a, i);
		if (!json_is_object(o)) {
			rd_bad(r, w, "expected an object");
			return;
		}
		struct rp_finding *f = &d->findings[d->nfindings++];
		f->kind = rd_str(r, o, w, "kind", 0);
		f->function = rd_str(r, o, w, "function", RD_NULL);
		f->text = rd_str(r, o, w, "text", RD_REQ);
	}
}

void rd_load_alerts(struct rd *r, json_t *root, struct rp_doc *d)
{
	load_findings(r, root, d);
	json_t *a = rd_kind(r, root, "", "alerts", 0, 1, RP_ALERTS_MAX);
	if (!a || !json_array_size(a))
		return;
	d->alerts = calloc(json_array_size(a), sizeof(*d->alerts));
	if (!d->alerts) {
		rd_bad(r, "alerts", "out of memory");
		return;
	}
	for (size_t i = 0; i < json_array_size(a) && !r->failed; i++) {
		char w[64];
		snprintf(w, sizeof(w), "alerts[%zu]", i);
		json_t *o = json_array_get(a, i);
		if (!json_is_object(o)) {
			rd_bad(r, w, "expected an object");
			return;
		}
		struct rp_alert *x = &d->alerts[d->nalerts++];
		x->name = rd_str(r, o, w, "name", RD_REQ);
		x->kind = rd_str(r, o, w, "kind", 0);
		x->function = rd_str(r, o, w, "function", RD_NULL);
		x->severity = rd_str(r, o, w, "severity", 0);
		x->state = rd_str(r, o, w, "state", RD_REQ);
		rd_count(r, o, w, "starts_realtime_ns", RD_NULL, &x->starts_ns);
		rd_count(r, o, w, "ends_realtime_ns", RD_NULL, &x->ends_ns);
		char aw[80];
		snprintf(aw, sizeof(aw), "%s.annotations", w);
		json_t *an = rd_kind(r, o, w, "annotations", 0, 0, 4096);
		if (an)
			x->summary = rd_str(r, an, aw, "summary", 0);
	}
}

static int by_runsym(const void *a, const void *b)
{
	return strcmp(((const struct rp_runsym *)a)->name, ((const struct rp_runsym *)b)->name);
}

static void load_run(struct rd *r, json_t *o, const char *w, struct rp_run *run)
{
	rd_int(r, o, w, "exit_status", RD_REQ, &run->exit_status);
	rd_count(r, o, w, "duration_ns", RD_REQ, &run->duration_ns);
	rd_count(r, o, w, "start_realtime_ns", 0, &run->start_real_ns);
	json_t *syms = rd_kind(r, o, w, "symbols", RD_REQ, 0, RP_SYMS_MAX);
	if (!syms || !json_object_size(syms))
		return;
	run->syms = calloc(json_object_size(syms), sizeof(*run->syms));
	if (!run->syms) {
		rd_bad(r, w, "out of memory");
		return;
	}
	char sw[100];
	snprintf(sw, sizeof(sw), "%s.symbols", w);
	const char *k;
	json_t *x;
	json_object_foreach(syms, k, x)
	{
		if (r->failed)
			return;
		struct rp_runsym *s = &run->syms[run->nsyms++];
		if (!json_is_object(x) || strlen(k) > RP_TEXT_MAX) {
			rd_bad(r, sw, "an entry is not an object");
			return;
		}
		s->name = k;
		rd_count(r, x, sw, "calls", RD_REQ, &s->calls);
		rd_count(r, x, sw, "ok", 0, &s->ok);
		rd_count(r, x, sw, "failed", 0, &s->failed);
		rd_count(r, x, sw, "timed", 0, &s->timed);
		s->has_lat = rd_count(r, x, sw, "p50_ns", RD_NULL, &s->p50);
		rd_count(r, x, sw, "p99_ns", RD_NULL, &s->p99);
		rd_real(r, x, sw, "mean_ns", RD_NULL, 0, (double)RP_COUNT_MAX, &s->mean_ns);
		uint64_t t = 0;
		rd_count(r, x, sw, "total_ns", 0, &t);
		s->total_ns = (double)t;
	}
	qsort(run->syms, run->nsyms, sizeof(*run->syms), by_runsym);
}

void rd_load_runs(struct rd *r, json_t *root, struct rp_doc *d)
{
	json_t *a = rd_kind(r, root, "", "runs", 0, 1, RP_RUNS_MAX);
	if (!a || !json_array_size(a))
		return;
	d->runs = calloc(json_array_size(a), sizeof(*d->runs));
	if (!d->runs) {
		rd_bad(r, "runs", "out of memory");
		return;
	}
	for (size_t i = 0; i < json_array_size(a) && !r->failed; i++) {
		char w[64];
		snprintf(w, sizeof(w), "runs[%zu]", i);
		json_t *o = json_array_get(a, i);
		if (!json_is_object(o)) {
			rd_bad(r, w, "expected an object");
			return;
		}
		load_run(r, o, w, &d->runs[d->nruns++]);
	}
}

const struct rp_runsym *rp_run_find(const struct rp_run *r, const char *name)
{
	struct rp_runsym key = {.name = name};
	return r->nsyms ? bsearch(&key, r->syms, r->nsyms, sizeof(key), by_runsym) : NULL;
}
