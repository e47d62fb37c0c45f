/* SPDX-License-Identifier: MIT */
/* The Prometheus exposition of the model: text format 0.0.4, or
 * OpenMetrics 1.0 when asked. One family at a time, HELP and TYPE before
 * its samples; label values escaped; base units; counters end in _total.
 * Names and labels: ../shared/MONITORING.md, docs/ARCHITECTURE.md. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "out/calls.h"
#include "health/health.h"
#include "out.h"
#include "procfs.h"

#define TM_PROM_ERRS 10 /* error labels per function; the rest as "other" */

/* 1-2.5-5 per decade, 100 ns .. 10 s */
static const double bounds[] = {1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5,
				1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2,
				0.1,  0.25,   0.5,  1,	  2.5,	  5,	10};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))
static const char *const le_txt[] = {
	"1e-07",  "2.5e-07", "5e-07",  "1e-06", "2.5e-06", "5e-06", "1e-05", "2.5e-05", "5e-05",
	"0.0001", "0.00025", "0.0005", "0.001", "0.0025",  "0.005", "0.01",  "0.025",	"0.05",
	"0.1",	  "0.25",    "0.5",    "1",	"2.5",	   "5",	    "10"};
/* OpenMetrics wants canonical floats: "1.0", not "1" */
static const char *const le_om[] = {
	"1e-07",  "2.5e-07", "5e-07",  "1e-06", "2.5e-06", "5e-06", "1e-05", "2.5e-05", "5e-05",
	"0.0001", "0.00025", "0.0005", "0.001", "0.0025",  "0.005", "0.01",  "0.025",	"0.05",
	"0.1",	  "0.25",    "0.5",    "1.0",	"2.5",	   "5.0",   "10.0"};
_Static_assert(sizeof(le_txt) / sizeof(le_txt[0]) == NBOUNDS, "le strings");

/* A growing buffer: stdio's per-call locking and formatting were most of
 * the render time for 1 000 functions. */
struct sb {
	char *p;
	size_t n, cap;
	int oom;
};

static void sb_put(struct sb *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *q = realloc(b->p, cap);
		if (!q) {
			b->oom = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void sb_str(struct sb *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_u64(struct sb *b, uint64_t v)
{
	char t[24], *e = t + sizeof(t), *q = e;
	do
		*--q = (char)('0' + v % 10);
	while (v /= 10);
	sb_put(b, q, (size_t)(e - q));
}

__attribute__((format(printf, 2, 3))) static void sb_fmt(struct sb *b, const char *fmt, ...)
{
	char t[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_put(b, t, (size_t)n < sizeof(t) ? (size_t)n : sizeof(t) - 1);
}

struct prom {
	struct sb *f;
	int om; /* OpenMetrics */
	const struct tm_coll *c;
	char lab[1024]; /* the current function's labels, escaped, without the '}' */
	size_t nlab;
	const struct tm_sym *lab_of;
};

/* A label value: \\, \" and \n escaped; bytes that are not UTF-8 become
 * U+FFFD, so a hostile name cannot break the exposition. */
static void esc(struct sb *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned n = *p < 0x80	       ? 1
			     : (*p >> 5) == 6  ? 2
			     : (*p >> 4) == 14 ? 3
			     : (*p >> 3) == 30 ? 4
					       : 0;
		int ok = n > 0;
		for (unsigned i = 1; ok && i < n; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (!ok) {
			sb_str(f, "\xef\xbf\xbd");
			p++;
			continue;
		}
		if (*p == '\\')
			sb_str(f, "\\\\");
		else if (*p == '"')
			sb_str(f, "\\\"");
		else if (*p == '\n')
			sb_str(f, "\\n");
		else
			sb_put(f, (const char *)p, n);
		p += n;
	}
}

static void family(struct prom *o, const char *name, const char *type, const char *help)
{
	/* OpenMetrics names a counter family without its _total */
	size_t n = strlen(name);
	int total = o->om && strcmp(type, "counter") == 0 && n > 6 &&
		    strcmp(name + n - 6, "_total") == 0;
	sb_fmt(o->f, "# HELP %.*s %s\n", (int)(total ? n - 6 : n), name, help);
	sb_fmt(o->f, "# TYPE %.*s %s\n", (int)(total ? n - 6 : n), name, type);
	if (o->om && strstr(name, "_seconds"))
		sb_fmt(o->f, "# UNIT %.*s seconds\n", (int)(total ? n - 6 : n), name);
}

static void num(struct sb *f, double v)
{
	if (isnan(v))
		sb_str(f, "NaN");
	else if (isinf(v))
		sb_str(f, v > 0 ? "+Inf" : "-Inf");
	else if (v >= 0 && v == floor(v) && v < 9e15)
		sb_u64(f, (uint64_t)v);
	else
		sb_fmt(f, "%.9g", v);
}

static const char *sess_of(const struct tm_coll *c, uint32_t i)
{
	return c->sessions ? c->sessions[i] : c->session;
}

/* {session="..",process="..",function="..",object=".."[,extra] — the
 * function's part escaped once per render and reused for every sample. */
static void sym_labels(struct prom *o, const struct tm_sym *s, const char *extra_k,
		       const char *extra_v)
{
	struct sb *f = o->f;
	if (o->lab_of != s) {
		struct sb t = {0};
		sb_str(&t, "{session=\"");
		esc(&t, sess_of(o->c, s->sess));
		sb_str(&t, "\",process=\"");
		esc(&t, s->process);
		sb_str(&t, "\",function=\"");
		esc(&t, s->name);
		sb_str(&t, "\",object=\"");
		esc(&t, s->object);
		sb_str(&t, "\"");
		o->nlab = t.p && t.n < sizeof(o->lab) ? t.n : 0;
		if (o->nlab)
			memcpy(o->lab, t.p, t.n);
		free(t.p);
		o->lab_of = s;
	}
	sb_put(f, o->lab, o->nlab);
	if (extra_k) {
		sb_str(f, ",");
		sb_str(f, extra_k);
		sb_str(f, "=\"");
		esc(f, extra_v);
		sb_str(f, "\"");
	}
	sb_str(f, "}");
}

static void sym_sample(struct prom *o, const char *name, const struct tm_sym *s, const char *k,
		       const char *v, double value)
{
	sb_str(o->f, name);
	sym_labels(o, s, k, v);
	sb_str(o->f, " ");
	num(o->f, value);
	sb_str(o->f, "\n");
}

#define FOR_SYMS(o, s)                                                                             \
	for (size_t i_ = 0; i_ < (o)->c->nsyms; i_++)                                              \
		for (const struct tm_sym *s = &(o)->c->syms[i_]; s && tm_sym_reported(s); s = NULL)

static void calls(struct prom *o)
{
	family(o, "tm_calls_total", "counter", "Calls of the function that started (exact).");
	FOR_SYMS(o, s)
	sym_sample(o, "tm_calls_total", s, NULL, NULL, (double)s->calls);
	family(o, "tm_call_failures_total", "counter",
	       "Failed calls by error name (the most frequent 10, the rest as other).");
	FOR_SYMS(o, s)
	{
		uint64_t rest = 0;
		char buf[64];
		for (size_t k = 0; k < s->nerrs; k++) {
			const char *n = tm_code_name(s->codes, s->errs[k].code, buf, sizeof(buf));
			if (k < TM_PROM_ERRS && s->errs[k].code != INT32_MIN)
				sym_sample(o, "tm_call_failures_total", s, "error", n,
					   (double)s->errs[k].count);
			else
				rest += s->errs[k].count;
		}
		if (rest)
			sym_sample(o, "tm_call_failures_total", s, "error", "other", (double)rest);
	}
	family(o, "tm_call_outcomes_total", "counter",
	       "Calls that returned a code that is an outcome of its own, not a failure "
	       "(in_progress, would_block, reports_earlier_error, or the rules file's): in "
	       "tm_calls_total, not in tm_call_failures_total.");
	FOR_SYMS(o, s)
	{
		uint64_t n[TM_OUTC_NAMES] = {0};
		for (size_t k = 0; k < s->noutn; k++)
			if (s->outn[k].o < TM_OUTC_NAMES)
				n[s->outn[k].o] += s->outn[k].n;
		for (unsigned k = 0; k < TM_OUTC_NAMES; k++)
			if (n[k])
				sym_sample(o, "tm_call_outcomes_total", s, "outcome",
					   tm_outc_name(o->c, k), (double)n[k]);
	}
	family(o, "tm_call_returns_total", "counter",
	       "Calls by the class of their return value (the rules file's \"returns\", "
	       "sqlite3_step's row and done): each class, other (matched none), unclassified "
	       "(no return value seen); they add up to tm_calls_total.");
	FOR_SYMS(o, s)
	if (s->retc) {
		const struct tm_retc *r = s->retc;
		for (unsigned k = 0; k < r->def.n; k++)
			sym_sample(o, "tm_call_returns_total", s, "class", r->def.c[k].name,
				   (double)r->n[k]);
		sym_sample(o, "tm_call_returns_total", s, "class", "other",
			   (double)r->n[TM_RETC_OTHER]);
		sym_sample(o, "tm_call_returns_total", s, "class", "unclassified",
			   (double)tm_retc_unclassified(r->n, s->calls));
	}
	family(o, "tm_call_slow_total", "counter", "Calls longer than the function's slow_ms.");
	FOR_SYMS(o, s)
	if (s->slow_ns)
		sym_sample(o, "tm_call_slow_total", s, NULL, NULL, (double)s->slow);
	family(o, "tm_call_bytes_total", "counter",
	       "Bytes moved by calls that did not fail, where a rule counts them (direction: "
	       "in, out, from the rule's flow).");
	FOR_SYMS(o, s)
	if (s->flags & TM_RF_BYTES)
		sym_sample(o, "tm_call_bytes_total", s,
			   s->flags & (TM_RF_FLOW_IN | TM_RF_FLOW_OUT) ? "direction" : NULL,
			   s->flags & TM_RF_FLOW_IN ? "in" : "out", (double)s->bytes);
}

/* {session="..",caller="..",callee=".."}: "[none]" for no monitored
 * caller, "[other]" for the edges past the top TM_EDGES_TOP */
static void edge_sample(struct prom *o, const char *name, const char *sess, const char *caller,
			const char *callee, double v)
{
	sb_str(o->f, name);
	sb_str(o->f, "{session=\"");
	esc(o->f, sess);
	sb_str(o->f, "\",caller=\"");
	esc(o->f, caller);
	sb_str(o->f, "\",callee=\"");
	esc(o->f, callee);
	sb_str(o->f, "\"} ");
	num(o->f, v);
	sb_str(o->f, "\n");
}

static void edges(struct prom *o)
{
	const struct tm_coll *c = o->c;
	if (!c->calls_on)
		return; /* not kept: no families rather than empty ones */
	const struct tm_calls *m = &c->calls;
	uint32_t *ix = tm_calls_edges_by_time(c);
	static const char *const names[] = {"tm_call_edge_calls_total",
					    "tm_call_edge_duration_seconds_total"};
	static const char *const help[] = {
		"Calls of callee made directly inside a monitored call of caller ([none]: no "
		"monitored caller); the top 32 pairs by time, the rest as [other].",
		"Time of those calls (the callee's, under that caller)."};
	for (int k = 0; k < 2; k++) {
		family(o, names[k], "counter", help[k]);
		double rest = 0;
		int any_rest = 0;
		for (uint32_t i = 0; ix && i < m->nedges; i++) {
			const struct tm_edge *e = &m->edges[ix[i]];
			double v = k ? e->sum_ns / 1e9 : (double)e->calls;
			if (i >= TM_EDGES_TOP) {
				rest += v;
				any_rest = 1;
				continue;
			}
			const struct tm_sym *s = &c->syms[e->callee];
			edge_sample(o, names[k], sess_of(c, s->sess),
				    e->caller1 ? c->syms[e->caller1 - 1].name : "[none]", s->name,
				    v);
		}
		if (any_rest)
			edge_sample(o, names[k], c->session, "[other]", "[other]", rest);
	}
	free(ix);
	family(o, "tm_call_self_seconds_total", "counter",
	       "Time of the function's calls minus the monitored calls made inside them.");
	FOR_SYMS(o, s)
	if (s->self_calls)
		sym_sample(o, "tm_call_self_seconds_total", s, NULL, NULL, s->self_ns / 1e9);
}

static void durations(struct prom *o)
{
	family(o, "tm_call_duration_seconds", "histogram",
	       "Duration of timed calls over the whole run.");
	FOR_SYMS(o, s)
	{
		uint64_t le[NBOUNDS];
		tm_hist_count_le(&s->hist, bounds, NBOUNDS, le);
		for (size_t b = 0; b < NBOUNDS; b++)
			sym_sample(o, "tm_call_duration_seconds_bucket", s, "le",
				   o->om ? le_om[b] : le_txt[b], (double)le[b]);
		sym_sample(o, "tm_call_duration_seconds_bucket", s, "le", "+Inf",
			   (double)s->hist.count);
		sym_sample(o, "tm_call_duration_seconds_sum", s, NULL, NULL, s->sum_ns / 1e9);
		sym_sample(o, "tm_call_duration_seconds_count", s, NULL, NULL,
			   (double)s->hist.count);
	}
	family(o, "tm_call_duration_recent_seconds", "summary",
	       "Duration of timed calls over the last 60 s (quantiles within 1%).");
	FOR_SYMS(o, s)
	{
		struct tm_wfig w;
		tm_win_figures(&s->win, &o->c->clock, TM_W1M, &w);
		static const char *const qn[] = {"0.5", "0.9", "0.99", "0.999"};
		const uint64_t qv[] = {w.p50_ns, w.p90_ns, w.p99_ns, w.p999_ns};
		for (unsigned q = 0; q < 4 && w.timed; q++)
			sym_sample(o, "tm_call_duration_recent_seconds", s, "quantile", qn[q],
				   (double)qv[q] / 1e9);
		sym_sample(o, "tm_call_duration_recent_seconds_sum", s, NULL, NULL,
			   (double)w.sum_ns / 1e9);
		sym_sample(o, "tm_call_duration_recent_seconds_count", s, NULL, NULL,
			   (double)w.timed);
	}
}

static void live(struct prom *o)
{
	family(o, "tm_calls_in_flight", "gauge", "Calls of the function open right now.");
	FOR_SYMS(o, s)
	sym_sample(o, "tm_calls_in_flight", s, NULL, NULL, (double)s->in_flight);
	family(o, "tm_call_oldest_in_flight_seconds", "gauge",
	       "Age of the oldest open timed call (0 when none).");
	FOR_SYMS(o, s)
	sym_sample(o, "tm_call_oldest_in_flight_seconds", s, NULL, NULL,
		   (double)s->oldest_ns / 1e9);
	family(o, "tm_function_hooked", "gauge",
	       "1 if the function was found in a loaded object of some process.");
	FOR_SYMS(o, s)
	sym_sample(o, "tm_function_hooked", s, NULL, NULL, (s->flags & TM_RF_FOUND) ? 1 : 0);
}

/* Per session: loss counters; per session and program: resources. */
static void sessions(struct prom *o)
{
	const struct tm_coll *c = o->c;
	static const char *const reasons[TM_LOSS_COUNT] = {
		[TM_LOSS_OVERFLOW] = "overflowed", [TM_LOSS_REENTRANT] = "reentrant",
		[TM_LOSS_DEPTH] = "depth",	   [TM_LOSS_NOSLOT] = "noslot",
		[TM_LOSS_NOMEM] = "nomem",
	};
	size_t ns = c->sessions ? c->nsess : 1;
	family(o, "tm_records_dropped_total", "counter",
	       "Calls not recorded as records, by reason (overflowed and noslot are still "
	       "counted exactly; reentrant, depth and nomem are not in tm_calls_total).");
	for (size_t si = 0; si < ns; si++) {
		uint64_t loss[TM_LOSS_COUNT] = {0}, corrupt = c->closs[TM_CLOSS_CORRUPT];
		if (si < c->earlier.nsess) { /* processes merged away (collect.c) */
			for (unsigned k = 0; k < TM_LOSS_COUNT; k++)
				loss[k] += c->earlier.sess[si].loss[k];
			corrupt += c->earlier.sess[si].corrupt;
		}
		for (size_t i = 0; i < c->nprocs; i++) {
			if (c->procs[i]->sess != si)
				continue;
			for (unsigned k = 0; k < TM_LOSS_COUNT; k++)
				loss[k] += c->procs[i]->loss[k];
			corrupt += c->procs[i]->closs[TM_CLOSS_CORRUPT];
		}
		for (unsigned k = 0; k <= TM_LOSS_COUNT; k++) {
			if (k == TM_LOSS_OVERFLOW)
				continue;
			sb_str(o->f, "tm_records_dropped_total{session=\"");
			esc(o->f, sess_of(c, (uint32_t)si));
			sb_fmt(o->f, "\",reason=\"%s\"} ",
			       k < TM_LOSS_COUNT ? reasons[k] : "corrupt");
			num(o->f, (double)(k < TM_LOSS_COUNT ? loss[k] : corrupt));
			sb_str(o->f, "\n");
		}
	}
	family(o, "tm_records_overflowed_total", "counter",
	       "Calls folded into exact accumulators because a ring was full.");
	for (size_t si = 0; si < ns; si++) {
		uint64_t n = si < c->earlier.nsess ? c->earlier.sess[si].loss[TM_LOSS_OVERFLOW] : 0;
		for (size_t i = 0; i < c->nprocs; i++)
			if (c->procs[i]->sess == si)
				n += c->procs[i]->loss[TM_LOSS_OVERFLOW];
		sb_str(o->f, "tm_records_overflowed_total{session=\"");
		esc(o->f, sess_of(c, (uint32_t)si));
		sb_str(o->f, "\"} ");
		num(o->f, (double)n);
		sb_str(o->f, "\n");
	}
}

/* Monitored programs, summed per (session, exe basename): CPU over every
 * image ever seen (a counter must not go down when one exits), the rest
 * over the running ones. */
struct prog {
	uint32_t sess;
	char name[64];
	double user, sys;
	uint64_t rss, threads, fds, running;
};

static void programs(struct prom *o)
{
	const struct tm_coll *c = o->c;
	struct prog *v = calloc(c->nprocs + c->earlier.nprogs + 1, sizeof(*v));
	size_t n = 0;
	if (!v)
		return;
	/* CPU of the processes merged away (collect.c): the counter keeps them */
	for (size_t i = 0; i < c->earlier.nprogs; i++) {
		const struct tm_eprog *e = &c->earlier.progs[i];
		v[n] = (struct prog){.sess = e->sess, .user = e->user_s, .sys = e->sys_s};
		memcpy(v[n++].name, e->name, sizeof(e->name));
	}
	for (size_t i = 0; i < c->nprocs; i++) {
		const struct tm_proc *p = c->procs[i];
		if (!p->res.valid)
			continue;
		char name[64];
		tm_proc_name(p, name, sizeof(name));
		size_t k = 0;
		while (k < n && !(v[k].sess == p->sess && strcmp(v[k].name, name) == 0))
			k++;
		if (k == n) {
			v[n] = (struct prog){.sess = p->sess};
			memcpy(v[n++].name, name, sizeof(name));
		}
		v[k].user += p->res.cpu_user_s;
		v[k].sys += p->res.cpu_sys_s;
		if (p->attached) {
			v[k].running++;
			v[k].rss += p->res.rss_bytes;
			v[k].threads += p->res.threads;
			v[k].fds += p->res.fds > 0 ? (uint64_t)p->res.fds : 0;
		}
	}
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{"tm_target_cpu_seconds_total", "counter", "CPU time of the monitored processes."},
		{"tm_target_resident_memory_bytes", "gauge",
		 "Resident memory of the running ones."},
		{"tm_target_threads", "gauge", "Threads of the running ones."},
		{"tm_target_open_fds", "gauge", "Open file descriptors of the running ones."},
		{"tm_target_processes", "gauge", "Monitored processes running."},
	};
	for (size_t fi = 0; fi < sizeof(fam) / sizeof(fam[0]); fi++) {
		family(o, fam[fi].name, fam[fi].type, fam[fi].help);
		for (size_t k = 0; k < n; k++) {
			for (int mode = 0; mode < (fi == 0 ? 2 : 1); mode++) {
				sb_fmt(o->f, "%s{session=\"", fam[fi].name);
				esc(o->f, sess_of(c, v[k].sess));
				sb_str(o->f, "\",process=\"");
				esc(o->f, v[k].name);
				sb_str(o->f, "\"");
				if (fi == 0)
					sb_fmt(o->f, ",mode=\"%s\"", mode ? "system" : "user");
				sb_str(o->f, "} ");
				double val = fi == 0   ? (mode ? v[k].sys : v[k].user)
					     : fi == 1 ? (double)v[k].rss
					     : fi == 2 ? (double)v[k].threads
					     : fi == 3 ? (double)v[k].fds
						       : (double)v[k].running;
				num(o->f, val);
				sb_str(o->f, "\n");
			}
		}
	}
	free(v);
}

/* Health as a state set (one sample per state, 1 for the current one) and
 * the alerts pending or firing, as Prometheus' own ALERTS series. */
static void health(struct prom *o)
{
	const struct tm_coll *c = o->c;
	if (!c->health)
		return;
	family(o, "tm_function_health", "gauge",
	       "Health of the function: 1 for its current state, 0 for the others.");
	static const enum tm_health order[] = {TM_H_HEALTHY, TM_H_DEGRADED, TM_H_UNHEALTHY,
					       TM_H_UNKNOWN, TM_H_MAINTENANCE};
	for (size_t i = 0; i < c->nsyms; i++) {
		const struct tm_sym *s = &c->syms[i];
		const struct tm_hstate *h = tm_health_sym(c, i);
		if (!tm_sym_reported(s) || !h)
			continue;
		for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
			sym_sample(o, "tm_function_health", s, "state", tm_health_name(order[k]),
				   h->state == order[k]);
	}
	const struct tm_hstate *sh = tm_health_session(c);
	family(o, "tm_session_health", "gauge",
	       "Health of the session: 1 for its current state, 0 for the others.");
	for (size_t k = 0; sh && k < sizeof(order) / sizeof(order[0]); k++) {
		sb_str(o->f, "tm_session_health{session=\"");
		esc(o->f, c->session);
		sb_fmt(o->f, "\",state=\"%s\"} %d\n", tm_health_name(order[k]),
		       sh->state == order[k]);
	}
	uint64_t crashed = c->earlier.status[TM_PS_CRASHED];
	for (size_t i = 0; i < c->nprocs; i++)
		crashed += c->procs[i]->status == TM_PS_CRASHED && tm_proc_reported(c->procs[i]);
	family(o, "tm_target_crashes_total", "counter",
	       "Monitored processes that died without exiting (killed or crashed).");
	sb_str(o->f, "tm_target_crashes_total{session=\"");
	esc(o->f, c->session);
	sb_str(o->f, "\"} ");
	num(o->f, (double)crashed);
	sb_str(o->f, "\n");
	family(o, "tm_alerts", "gauge", "Alerts pending or firing now (1 each).");
	for (size_t i = 0; i < tm_health_nalerts(c); i++) {
		const struct tm_alert *a = tm_health_alert(c, i);
		if (a->state == TM_AS_INACTIVE)
			continue;
		sb_str(o->f, "tm_alerts{session=\"");
		esc(o->f, c->session);
		sb_str(o->f, "\",alertname=\"");
		esc(o->f, tm_alert_name(c, a));
		sb_fmt(o->f, "\",alertstate=\"%s\",severity=\"%s\",kind=\"%s\",function=\"",
		       a->state == TM_AS_FIRING ? "firing" : "pending", tm_sev_name(a->sev),
		       tm_kind_name(tm_alert_kind(c, a)));
		esc(o->f, a->sym >= 0 ? c->syms[a->sym].name : "");
		sb_str(o->f, "\"");
		const json_t *lab = tm_alert_labels(c, a);
		const json_t *sr = lab ? json_object_get(lab, "series") : NULL;
		if (sr && json_is_string(sr)) {
			sb_str(o->f, ",series=\"");
			esc(o->f, json_string_value(sr));
			sb_str(o->f, "\"");
		}
		if (a->pid)
			sb_fmt(o->f, ",pid=\"%d\"", (int)a->pid);
		sb_str(o->f, "} 1\n");
	}
}

/* tmcollect itself (client libraries' "process" metrics) */
static void self(struct prom *o)
{
	family(o, "tm_build_info", "gauge", "tmcollect's version.");
	sb_fmt(o->f, "tm_build_info{version=\"%s\"} 1\n", TM_VERSION);
	struct tm_pstat st;
	if (tm_procfs_stat(getpid(), 0, &st) < 0)
		return;
	family(o, "process_cpu_seconds_total", "counter", "CPU time of tmcollect.");
	sb_str(o->f, "process_cpu_seconds_total ");
	num(o->f, st.utime_s + st.stime_s);
	sb_str(o->f, "\n");
	family(o, "process_resident_memory_bytes", "gauge", "Resident memory of tmcollect.");
	sb_str(o->f, "process_resident_memory_bytes ");
	num(o->f, (double)st.rss_bytes);
	sb_str(o->f, "\n");
	int fds = tm_procfs_fds(getpid());
	if (fds >= 0) {
		family(o, "process_open_fds", "gauge", "Open descriptors of tmcollect.");
		sb_fmt(o->f, "process_open_fds %d\n", fds);
	}
	family(o, "process_start_time_seconds", "gauge", "When tmcollect started (Unix time).");
	sb_str(o->f, "process_start_time_seconds ");
	num(o->f, (double)(o->c->start_real_ns / 1000000000ull));
	sb_str(o->f, "\n");
}

char *tm_prom_render(const struct tm_coll *c, int openmetrics, size_t *len)
{
	struct sb b = {0};
	struct prom o = {.f = &b, .om = openmetrics, .c = c};
	calls(&o);
	edges(&o);
	durations(&o);
	live(&o);
	sessions(&o);
	programs(&o);
	health(&o);
	self(&o);
	if (openmetrics)
		sb_str(&b, "# EOF\n");
	if (b.oom || !b.p) {
		free(b.p);
		return NULL;
	}
	b.p[b.n] = '\0';
	*len = b.n;
	return b.p;
}
