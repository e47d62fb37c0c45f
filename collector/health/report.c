/* SPDX-License-Identifier: MIT */
/* The report the summary ends with: the top functions by time, the
 * slowest by p99, the most failing, those that got worse between the
 * first and the last window of the session, and findings in plain
 * language with a recommendation where one is obvious. Read from the
 * model and the health engine; the same text goes to tmrun's table. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "health.h"

#define TOP	     5
#define FINDINGS_MAX 32

static double total_ns(const struct tm_sym *s)
{
	if ((s->flags & TM_RF_SAMPLED) && s->timed)
		return s->sum_ns / (double)s->timed * (double)s->calls;
	return s->sum_ns;
}

void tm_fmt_dur(char *out, size_t len, double ns)
{
	if (ns < 1e3)
		snprintf(out, len, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(out, len, "%.3g µs", ns / 1e3);
	else if (ns < 1e9)
		snprintf(out, len, "%.3g ms", ns / 1e6);
	else
		snprintf(out, len, "%.3g s", ns / 1e9);
}

static void fmt_count(char *out, size_t len, uint64_t n)
{
	if (n >= 10000000)
		snprintf(out, len, "%.0f M", (double)n / 1e6);
	else if (n >= 1000000)
		snprintf(out, len, "%.1f M", (double)n / 1e6);
	else
		snprintf(out, len, "%llu", (unsigned long long)n);
}

struct rank {
	size_t i;
	double key;
};

static int by_key_desc(const void *a, const void *b)
{
	double x = ((const struct rank *)a)->key, y = ((const struct rank *)b)->key;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* The most frequent error code of a function. */
static const struct tm_err_count *top_err(const struct tm_sym *s)
{
	const struct tm_err_count *t = NULL;
	for (size_t i = 0; i < s->nerrs; i++)
		if (s->errs[i].code != INT32_MIN && (!t || s->errs[i].count > t->count))
			t = &s->errs[i];
	return t;
}

static const char *category_phrase(const char *name, const char *cat)
{
	if (strcmp(name, "SQLITE_BUSY") == 0 || strcmp(name, "SQLITE_LOCKED") == 0)
		return "the database is contended";
	static const struct {
		const char *cat, *text;
	} t[] = {
		{"busy", "the resource is contended"},
		{"timeout", "calls are timing out"},
		{"not_found", "it is asked for things that are not there"},
		{"permission", "access is denied"},
		{"invalid_input", "it is called with arguments it refuses"},
		{"network", "the network or the peer is failing"},
		{"resource", "a resource is running out (memory, descriptors, space)"},
		{"io", "the device or file system reports I/O errors"},
		{"interrupted", "signals interrupt it: callers must retry"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(cat, t[i].cat) == 0)
			return t[i].text;
	return NULL;
}

/* The p99 and error ratio of a group of buckets: the median of the
 * buckets' p99 (a bucket keeps its percentiles, not its histogram). */
struct grp {
	uint64_t calls, judged, failed, timed;
	double p99;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void group(const struct tm_wbucket *b, size_t n, struct grp *g)
{
	uint64_t p[64];
	size_t np = 0;
	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < n; i++) {
		g->calls += b[i].calls;
		g->judged += b[i].ok + b[i].failed;
		g->failed += b[i].failed;
		g->timed += b[i].timed;
		if (b[i].timed && np < 64)
			p[np++] = tm_wh_value(b[i].q[2]);
	}
	if (np) {
		qsort(p, np, sizeof(p[0]), cmp_u64);
		g->p99 = (double)p[(np - 1) / 2];
	}
}

/* First and last window of the function's activity: minutes when the
 * session has at least 3 of them, else 10-second groups. 0 when there
 * is not enough to compare. */
static int first_last(const struct tm_coll *c, const struct tm_sym *s, struct tm_wbucket *buf,
		      struct grp *a, struct grp *z, int *minutes)
{
	/* buf: the kept minutes or seconds, whichever is more */
	size_t cap = tm_win_keep.mins > tm_win_keep.secs ? tm_win_keep.mins : tm_win_keep.secs;
	size_t n = tm_win_series(&s->win, &c->clock, 1, tm_win_keep.mins, buf, cap);
	size_t first = n, last = 0, m = 0;
	for (size_t i = 0; i < n; i++)
		if (buf[i].unit && buf[i].calls) {
			first = first < n ? first : i;
			last = i;
			m++;
		}
	*minutes = 1;
	if (m >= 3) {
		group(&buf[first], 1, a);
		group(&buf[last], 1, z);
		return 1;
	}
	/* seconds: the first and the last ten with calls */
	*minutes = 0;
	n = tm_win_series(&s->win, &c->clock, 0, tm_win_keep.secs, buf, cap);
	m = 0;
	for (size_t i = 0; i < n; i++)
		if (buf[i].unit && buf[i].calls)
			buf[m++] = buf[i];
	if (m < 30)
		return 0;
	group(&buf[0], 10, a);
	group(&buf[m - 10], 10, z);
	return 1;
}

struct rep {
	json_t *findings;
	size_t nf;
};

static void finding(struct rep *r, const char *kind, const char *function, const char *text)
{
	if (r->nf++ >= FINDINGS_MAX)
		return;
	json_t *o = json_pack("{ss}", "kind", kind);
	json_object_set_new(o, "function", function ? tm_json_text(function) : json_null());
	json_object_set_new(o, "text", tm_json_text(text));
	json_array_append_new(r->findings, o);
}

json_t *tm_report_json(const struct tm_coll *c)
{
	json_t *o = json_object();
	size_t n = c->nsyms;
	struct rank *rk = calloc(n ? n : 1, sizeof(*rk));
	struct rep r = {json_array(), 0};
	double all = 0;
	char t[400], a[32], b[32], cnt[32];
	if (!rk) {
		json_decref(r.findings);
		return o;
	}
	for (size_t i = 0; i < n; i++)
		if (tm_sym_reported(&c->syms[i]))
			all += total_ns(&c->syms[i]);

	/* top by time */
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (tm_sym_reported(&c->syms[i]) && c->syms[i].timed)
			rk[m++] = (struct rank){i, total_ns(&c->syms[i])};
	qsort(rk, m, sizeof(*rk), by_key_desc);
	json_t *top = json_array();
	for (size_t k = 0; k < m && k < TOP; k++) {
		const struct tm_sym *s = &c->syms[rk[k].i];
		json_t *x = json_object();
		json_object_set_new(x, "function", tm_json_text(s->name));
		json_object_set_new(x, "calls", tm_json_count(s->calls));
		json_object_set_new(x, "total_ns", tm_json_count((uint64_t)rk[k].key));
		json_object_set_new(x, "share", json_real(all > 0 ? rk[k].key / all : 0));
		json_array_append_new(top, x);
	}
	/* findings: hot functions worth sampling */
	for (size_t k = 0; k < m; k++) {
		const struct tm_sym *s = &c->syms[rk[k].i];
		double share = all > 0 ? rk[k].key / all : 0;
		double mean = s->timed ? s->sum_ns / (double)s->timed : 0;
		if (s->calls < 1000000 || (s->flags & (TM_RF_SAMPLED | TM_RF_COUNT)))
			continue;
		if (share < 0.2 && mean > 500)
			continue;
		uint64_t nsample = s->calls >= 100000000 ? 1000 : 100;
		fmt_count(cnt, sizeof(cnt), s->calls);
		tm_fmt_dur(a, sizeof(a), mean);
		snprintf(t, sizeof(t),
			 "%.80s: %s calls, %.0f%% of monitored time, %s each — sample it: "
			 "%.80s/%llu",
			 s->name, cnt, 100 * share, a, s->name, (unsigned long long)nsample);
		finding(&r, "hot", s->name, t);
	}
	json_object_set_new(o, "top_time", top);

	/* slowest by p99 */
	m = 0;
	for (size_t i = 0; i < n; i++)
		if (tm_sym_reported(&c->syms[i]) && c->syms[i].timed >= 20)
			rk[m++] = (struct rank){i, (double)tm_sym_quantile(&c->syms[i], 0.99)};
	qsort(rk, m, sizeof(*rk), by_key_desc);
	json_t *slow = json_array();
	for (size_t k = 0; k < m && k < TOP; k++) {
		const struct tm_sym *s = &c->syms[rk[k].i];
		json_t *x = json_object();
		json_object_set_new(x, "function", tm_json_text(s->name));
		json_object_set_new(x, "p99_ns", tm_json_count((uint64_t)rk[k].key));
		json_object_set_new(x, "calls", tm_json_count(s->calls));
		json_array_append_new(slow, x);
	}
	json_object_set_new(o, "slowest_p99", slow);

	/* most failing */
	m = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tm_sym *s = &c->syms[i];
		uint64_t judged = s->ok + s->failed;
		if (tm_sym_reported(s) && (s->flags & TM_RF_HAS_RULE) && s->failed && judged)
			rk[m++] = (struct rank){i, (double)s->failed / (double)judged};
	}
	qsort(rk, m, sizeof(*rk), by_key_desc);
	json_t *fail = json_array();
	for (size_t k = 0; k < m; k++) {
		const struct tm_sym *s = &c->syms[rk[k].i];
		const struct tm_err_count *e = top_err(s);
		char buf[48];
		const char *nb = e ? tm_code_name(s->codes, e->code, buf, sizeof(buf)) : "?";
		if (k < TOP) {
			json_t *x = json_object();
			json_object_set_new(x, "function", tm_json_text(s->name));
			json_object_set_new(x, "failed", tm_json_count(s->failed));
			json_object_set_new(x, "error_rate", json_real(rk[k].key));
			json_object_set_new(x, "top_error", e ? tm_json_text(nb) : json_null());
			json_array_append_new(fail, x);
		}
		if (!e || s->failed < 5 || rk[k].key < 0.01)
			continue;
		const char *phrase = category_phrase(nb, tm_code_category(nb));
		double share = (double)e->count / (double)(s->ok + s->failed);
		snprintf(t, sizeof(t), "%.80s: %.3g%% %s%s%s", s->name, 100 * share, nb,
			 phrase ? " — " : "", phrase ? phrase : "");
		finding(&r, "errors", s->name, t);
	}
	json_object_set_new(o, "most_failing", fail);

	/* trending worse: first window against the last */
	json_t *tr = json_array();
	struct tm_wbucket *wb =
		malloc((tm_win_keep.mins > tm_win_keep.secs ? tm_win_keep.mins : tm_win_keep.secs) *
		       sizeof(*wb));
	for (size_t i = 0; wb && i < n; i++) {
		const struct tm_sym *s = &c->syms[i];
		struct grp g0, g1;
		int minutes;
		if (!tm_sym_reported(s) || !s->calls || !first_last(c, s, wb, &g0, &g1, &minutes))
			continue;
		const char *unit = minutes ? "minute" : "10 s";
		if (g0.timed >= 20 && g1.timed >= 20 && g1.p99 > 1.5 * g0.p99 &&
		    g1.p99 - g0.p99 > 1000) {
			json_t *x = json_pack("{ss}", "measure", "p99_ns");
			json_object_set_new(x, "function", tm_json_text(s->name));
			json_object_set_new(x, "first", json_real(g0.p99));
			json_object_set_new(x, "last", json_real(g1.p99));
			json_object_set_new(x, "window", json_string(minutes ? "1m" : "10s"));
			json_array_append_new(tr, x);
			tm_fmt_dur(a, sizeof(a), g0.p99);
			tm_fmt_dur(b, sizeof(b), g1.p99);
			snprintf(t, sizeof(t),
				 "%.80s: p99 rose from %s in the first %s to %s in the last",
				 s->name, a, unit, b);
			finding(&r, "trend", s->name, t);
		}
		double e0 = g0.judged ? (double)g0.failed / (double)g0.judged : 0;
		double e1 = g1.judged ? (double)g1.failed / (double)g1.judged : 0;
		if ((s->flags & TM_RF_HAS_RULE) && g1.judged >= 20 && g1.failed >= 5 &&
		    e1 - e0 > 0.05) {
			json_t *x = json_pack("{ss}", "measure", "error_rate");
			json_object_set_new(x, "function", tm_json_text(s->name));
			json_object_set_new(x, "first", json_real(e0));
			json_object_set_new(x, "last", json_real(e1));
			json_object_set_new(x, "window", json_string(minutes ? "1m" : "10s"));
			json_array_append_new(tr, x);
			snprintf(t, sizeof(t),
				 "%.80s: error rate rose from %.3g%% in the first %s to %.3g%% in "
				 "the last",
				 s->name, 100 * e0, unit, 100 * e1);
			finding(&r, "trend", s->name, t);
		}
	}
	free(wb);
	json_object_set_new(o, "trending_worse", tr);

	/* never called, not found */
	for (size_t i = 0; i < n; i++) {
		const struct tm_sym *s = &c->syms[i];
		if (!tm_sym_reported(s) || s->calls)
			continue;
		if (!(s->flags & TM_RF_FOUND) && s->claimed_by && s->claimed_by - 1 < c->nsyms)
			snprintf(t, sizeof(t),
				 "%.80s: an earlier pattern took its functions, counted as "
				 "'%.80s' — list it first to count it on its own",
				 s->name, c->syms[s->claimed_by - 1].name);
		else if (s->flags & TM_RF_GLOB)
			snprintf(t, sizeof(t),
				 "%.80s: the pattern matched no function in any loaded object — "
				 "tmsyms "
				 "-i shows what the program imports",
				 s->name);
		else if (s->flags & TM_RF_FOUND)
			snprintf(
				t, sizeof(t),
				"%.80s: never called — is the name right? tmsyms -i shows what the "
				"program imports",
				s->name);
		else
			snprintf(t, sizeof(t),
				 "%.80s: not found in any loaded object — is the name right? "
				 "tmsyms -i "
				 "shows what the program imports",
				 s->name);
		finding(&r, "never_called", s->name, t);
	}
	/* lost calls, stuck calls, crashes */
	uint64_t depth = c->earlier.loss[TM_LOSS_DEPTH], re = c->earlier.loss[TM_LOSS_REENTRANT],
		 nomem = c->earlier.loss[TM_LOSS_NOMEM];
	size_t crashed = 0;
	for (size_t i = 0; i < c->nprocs; i++) {
		const struct tm_proc *p = c->procs[i];
		depth += p->loss[TM_LOSS_DEPTH];
		re += p->loss[TM_LOSS_REENTRANT];
		nomem += p->loss[TM_LOSS_NOMEM];
		if (p->status == TM_PS_CRASHED && tm_proc_reported(p) && crashed++ < 5) {
			char name[64];
			tm_proc_name(p, name, sizeof(name));
			snprintf(t, sizeof(t),
				 "pid %d (%.60s) died without exiting (killed or crashed): its "
				 "calls "
				 "up to then are counted, calls it had open are unfinished",
				 (int)p->pid, name);
			finding(&r, "crashed", NULL, t);
		}
	}
	crashed += c->earlier.status[TM_PS_CRASHED];
	if (depth) {
		snprintf(t, sizeof(t),
			 "%llu calls were deeper than the shadow stack and passed through "
			 "uncounted — "
			 "raise TM_STACK",
			 (unsigned long long)depth);
		finding(&r, "loss", NULL, t);
	}
	if (nomem) {
		snprintf(t, sizeof(t),
			 "%llu calls could not be counted: no shared memory for them (is /dev/shm "
			 "full?)",
			 (unsigned long long)nomem);
		finding(&r, "loss", NULL, t);
	}
	if (re) {
		snprintf(t, sizeof(t),
			 "%llu calls were made while the shim itself ran (a signal handler calling "
			 "a "
			 "monitored function) and passed through uncounted",
			 (unsigned long long)re);
		finding(&r, "loss", NULL, t);
	}
	for (size_t i = 0; i < c->nstuck && i < 3; i++) {
		tm_fmt_dur(a, sizeof(a), (double)c->stuck[i].age_ns);
		snprintf(t, sizeof(t), "%.80s: a call open for %s (pid %d, thread %d)",
			 c->syms[c->stuck[i].gsym].name, a, (int)c->stuck[i].pid,
			 (int)c->stuck[i].tid);
		finding(&r, "stuck", c->syms[c->stuck[i].gsym].name, t);
	}
	json_object_set_new(o, "findings", r.findings);
	json_object_set_new(
		o, "findings_more",
		json_integer(r.nf > FINDINGS_MAX ? (json_int_t)(r.nf - FINDINGS_MAX) : 0));
	free(rk);
	return o;
}

void tm_report_print(const struct tm_coll *c, void *file)
{
	FILE *f = file;
	char shown[300];
	const struct tm_hstate *h = tm_health_session(c);
	if (h) {
		tm_term_text(shown, sizeof(shown), h->reason);
		fprintf(f, "health: %s — %s\n", tm_health_name(h->state), shown);
	}
	size_t nal = tm_health_nalerts(c), fired = 0, firing = 0;
	for (size_t i = 0; i < nal; i++) {
		const struct tm_alert *a = tm_health_alert(c, i);
		fired += a->nep;
		firing += a->state == TM_AS_FIRING;
	}
	if (fired) {
		fprintf(f, "alerts: %zu fired, %zu still firing\n", fired, firing);
		size_t shownn = 0;
		for (size_t i = 0; i < nal && shownn < 10; i++) {
			const struct tm_alert *a = tm_health_alert(c, i);
			for (size_t j = 0; j < a->nep && shownn < 10; j++, shownn++) {
				tm_term_text(shown, sizeof(shown), a->ep[j].summary);
				fprintf(f, "  %-8s %-12s %s%s\n", tm_sev_name(a->sev),
					tm_alert_name(c, a), shown,
					a->ep[j].end_real_ns ? "" : " (firing)");
			}
		}
	}
	json_t *rep = tm_report_json(c);
	json_t *fs = json_object_get(rep, "findings");
	size_t i;
	json_t *x;
	if (json_array_size(fs))
		fprintf(f, "findings:\n");
	json_array_foreach(fs, i, x)
	{
		if (i >= 10) {
			fprintf(f, "  (%zu more in the summary's report.findings)\n",
				json_array_size(fs) - 10);
			break;
		}
		tm_term_text(shown, sizeof(shown), json_string_value(json_object_get(x, "text")));
		fprintf(f, "  - %s\n", shown);
	}
	json_decref(rep);
}
