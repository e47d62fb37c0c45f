/* SPDX-License-Identifier: MIT */
/* tmreport SUMMARY: the table tmrun prints at exit (collector/summary.c,
 * tm_table_print), rendered from the saved JSON, sortable by any column,
 * as text, CSV or JSON; then the notes and the health, alerts and
 * findings footer. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const char *const col_names[RP_C_COUNT] = {
	[RP_C_CALLS] = "calls", [RP_C_FAILED] = "failed", [RP_C_MEAN] = "mean",
	[RP_C_P50] = "p50",	[RP_C_P95] = "p95",	  [RP_C_P99] = "p99",
	[RP_C_MAX] = "max",	[RP_C_TOTAL] = "total",	  [RP_C_NAME] = "name",
};

int rp_col_parse(const char *s, enum rp_col *out)
{
	for (unsigned i = 0; i < RP_C_COUNT; i++)
		if (strcmp(s, col_names[i]) == 0) {
			*out = (enum rp_col)i;
			return 0;
		}
	return -1;
}

/* The value a column sorts by; -1 where the table shows nothing. */
static double col_value(const struct rp_sym *s, enum rp_col c)
{
	int lat = s->has_lat && s->calls;
	switch (c) {
	case RP_C_CALLS: return (double)s->calls;
	case RP_C_FAILED: return s->rule ? (double)s->failed : -1;
	case RP_C_MEAN: return lat ? s->mean_ns : -1;
	case RP_C_P50: return lat ? (double)s->p50 : -1;
	case RP_C_P95: return lat ? (double)s->p95 : -1;
	case RP_C_P99: return lat ? (double)s->p99 : -1;
	case RP_C_MAX: return lat ? (double)s->max_ns : -1;
	case RP_C_TOTAL: return s->total_ns;
	default: return 0;
	}
}

static const struct rp_doc *sort_doc;
static const struct rp_table_opts *sort_opts;

/* Numbers largest first, names A to Z; -r turns either around. */
static int by_col(const void *a, const void *b)
{
	const struct rp_sym *x = &sort_doc->syms[*(const size_t *)a];
	const struct rp_sym *y = &sort_doc->syms[*(const size_t *)b];
	int r = 0;
	if (sort_opts->sort != RP_C_NAME) {
		double vx = col_value(x, sort_opts->sort), vy = col_value(y, sort_opts->sort);
		r = vx < vy ? 1 : vx > vy ? -1 : 0;
	}
	if (!r)
		r = strcmp(x->name, y->name);
	if (!r)
		r = *(const size_t *)a < *(const size_t *)b ? -1 : 1;
	return sort_opts->reverse ? -r : r;
}

size_t *rp_table_order(const struct rp_doc *d, const struct rp_table_opts *o, size_t *n)
{
	size_t *v = malloc((d->nsyms ? d->nsyms : 1) * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < d->nsyms; i++)
		v[i] = i;
	sort_doc = d;
	sort_opts = o;
	qsort(v, d->nsyms, sizeof(*v), by_col);
	*n = o->top && o->top < d->nsyms ? o->top : d->nsyms;
	return v;
}

static double all_time(const struct rp_doc *d)
{
	double t = 0;
	for (size_t i = 0; i < d->nsyms; i++)
		t += d->syms[i].total_ns;
	return t;
}

/* What %time divides by: the rows not marked blocking. */
static double work_time(const struct rp_doc *d)
{
	double t = 0;
	for (size_t i = 0; i < d->nsyms; i++)
		if (!d->syms[i].blocking)
			t += d->syms[i].total_ns;
	return t;
}

#define NAME_MIN  28  /* the name column's width when every name is shorter */
#define NAME_COLS 800 /* longer (only a hand-made summary): cut, and said with "..." */
#define TOP_ERRS  2

/* The name escaped for the terminal, then the marks of a row with calls:
 * ~ sampled, + contains monitored calls, * blocking. Returns its columns. */
static size_t row_name(char *out, size_t len, const struct rp_sym *s)
{
	size_t w = rp_term(out, len - 8, s->name, NAME_COLS);
	if (w == NAME_COLS && strlen(s->name) > NAME_COLS) {
		strcat(out, "...");
		w += 3;
	}
	if (!s->calls)
		return w;
	const char *m[] = {s->sampled && s->has_lat ? "~" : "", s->inner_calls ? "+" : "",
			   s->blocking ? "*" : ""};
	for (size_t i = 0; i < 3; i++) {
		strcat(out, m[i]);
		w += strlen(m[i]);
	}
	return w;
}

static void put_name(FILE *f, const struct rp_sym *s, size_t width)
{
	char shown[4 * NAME_COLS + 16];
	size_t w = row_name(shown, sizeof(shown), s);
	fprintf(f, "%s%*s", shown, (int)(width > w ? width - w : 0), "");
}

static void fmt_rate(char *buf, size_t len, uint64_t calls, uint64_t dur_ns)
{
	double secs = (double)dur_ns / 1e9, r = secs > 0 ? (double)calls / secs : 0;
	if (!(secs > 0))
		snprintf(buf, len, "-");
	else if (r < 10)
		snprintf(buf, len, "%.2f", r);
	else if (r < 1e6)
		snprintf(buf, len, "%.1f", r);
	else
		snprintf(buf, len, "%.3g", r);
}

static int by_n_desc(const void *a, const void *b)
{
	const struct rp_named *x = a, *y = b;
	return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->name, y->name);
}

/* "ENOENT 1000, EACCES 3 +2 more" (names escaped: they come from a file) */
static void top_named(char *out, size_t len, const struct rp_named *e, size_t n, int counts)
{
	size_t o = 0;
	out[0] = '\0';
	struct rp_named top[TOP_ERRS];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) { /* the TOP_ERRS largest, in order */
		size_t j = k < TOP_ERRS ? k++ : TOP_ERRS;
		if (j == TOP_ERRS && by_n_desc(&e[i], &top[TOP_ERRS - 1]) >= 0)
			continue;
		if (j == TOP_ERRS)
			j--;
		for (; j > 0 && by_n_desc(&e[i], &top[j - 1]) < 0; j--)
			top[j] = top[j - 1];
		top[j] = e[i];
	}
	for (size_t i = 0; i < k && o < len; i++) {
		char name[4 * 48 + 1];
		rp_term(name, sizeof(name), top[i].name, 48);
		if (counts)
			o += (size_t)snprintf(out + o, len - o, "%s%s %llu", i ? ", " : "", name,
					      (unsigned long long)top[i].n);
		else
			o += (size_t)snprintf(out + o, len - o, "%s%s", i ? ", " : "", name);
	}
	if (n > k && o < len)
		snprintf(out + o, len - o, " +%zu more", n - k);
}

static void fmt_bytes(char *buf, size_t len, uint64_t b)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)b;
	unsigned u = 0;
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)b);
	else
		snprintf(buf, len, "%.2f %s", v, unit[u]);
}

/* The line under a row: outcomes, bytes, abnormal ends (tm_table_print's). */
static void row_extras(char *out, size_t len, const struct rp_sym *s)
{
	size_t o = 0;
	out[0] = '\0';
#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (o < len)                                                                       \
			o += (size_t)snprintf(out + o, len - o, __VA_ARGS__);                      \
	} while (0)
	for (size_t i = 0; i < s->noutc; i++) {
		char name[4 * 32 + 1], codes[256];
		rp_term(name, sizeof(name), s->outc[i].name, 32);
		top_named(codes, sizeof(codes), s->outc[i].codes, s->outc[i].ncodes, 0);
		ADD("%s%s %llu (%s, not failures)", o ? "; " : "", name,
		    (unsigned long long)s->outc[i].calls, codes);
	}
	if (s->has_bytes && s->bytes) {
		char b[32];
		fmt_bytes(b, sizeof(b), s->bytes);
		ADD("%sbytes %s", o ? "; " : "", b);
	}
	if (s->exceptions)
		ADD("%sexceptions %llu", o ? "; " : "", (unsigned long long)s->exceptions);
	if (s->unwound)
		ADD("%sunwound %llu", o ? "; " : "", (unsigned long long)s->unwound);
	if (s->unfinished)
		ADD("%sunfinished %llu", o ? "; " : "", (unsigned long long)s->unfinished);
#undef ADD
}

static void text_row(FILE *f, const struct rp_doc *d, const struct rp_sym *s, size_t width,
		     double total)
{
	char rate[24], failed[24], errs[256], extra[1024];
	put_name(f, s, width);
	if (!s->calls) {
		char note[4 * 120 + 1];
		rp_term(note, sizeof(note), s->note ? s->note : "no calls", 120);
		fprintf(f, " %10s  (%s)\n", "0", note);
		return;
	}
	fmt_rate(rate, sizeof(rate), s->calls, d->duration_ns);
	if (s->rule)
		snprintf(failed, sizeof(failed), "%llu", (unsigned long long)s->failed);
	else
		snprintf(failed, sizeof(failed), "-");
	top_named(errs, sizeof(errs), s->errs, s->nerrs, 1);
	if (!s->has_lat) {
		int count = s->timing && strcmp(s->timing, "count") == 0;
		fprintf(f, " %10llu %9s %9s  (%s)%s%s\n", (unsigned long long)s->calls, rate,
			failed, count ? "count only: not timed" : "none timed", errs[0] ? "  " : "",
			errs);
	} else {
		char mean[16], p50[16], p95[16], p99[16], mx[16], tot[16], pct[16];
		rp_fmt_ns(mean, sizeof(mean), s->mean_ns);
		rp_fmt_ns(p50, sizeof(p50), (double)s->p50);
		rp_fmt_ns(p95, sizeof(p95), (double)s->p95);
		rp_fmt_ns(p99, sizeof(p99), (double)s->p99);
		rp_fmt_ns(mx, sizeof(mx), (double)s->max_ns);
		rp_fmt_ns(tot, sizeof(tot), s->total_ns);
		if (s->blocking)
			snprintf(pct, sizeof(pct), "-");
		else
			snprintf(pct, sizeof(pct), "%.1f%%",
				 total > 0 ? 100.0 * s->total_ns / total : 0.0);
		fprintf(f, " %10llu %9s %9s %9s %9s %9s %9s %9s %10s %6s%s%s\n",
			(unsigned long long)s->calls, rate, failed, mean, p50, p95, p99, mx, tot,
			pct, errs[0] ? "  " : "", errs);
	}
	row_extras(extra, sizeof(extra), s);
	if (extra[0])
		fprintf(f, "    %s\n", extra);
}

/* The marks shown (as tm_table_print's notes say them). */
static void marks_print(const struct rp_doc *d, const size_t *v, size_t n, FILE *f)
{
	unsigned m = 0;
	for (size_t i = 0; i < n; i++) {
		const struct rp_sym *s = &d->syms[v[i]];
		if (s->calls)
			m |= (s->inner_calls ? 2u : 0) | (s->blocking ? 4u : 0) |
			     (s->outcome_calls ? 8u : 0);
	}
	if (m & 2)
		fprintf(f, "note: + contains monitored calls: its time includes theirs (no self "
			   "time yet), so totals overlap\n");
	if (m & 4)
		fprintf(f, "note: * blocking: its time is mostly waiting (I/O, timers, other "
			   "threads), not work; left out of %%time\n");
	if (m & 8)
		fprintf(f,
			"note: outcomes (in_progress, would_block, reports_earlier_error, ...) are "
			"calls, not failures: not in failed or the error rate\n");
}

static void notes_print(const struct rp_doc *d, FILE *f)
{
	int sampled = 0;
	for (size_t i = 0; i < d->nsyms; i++)
		sampled |= d->syms[i].sampled && d->syms[i].has_lat;
	if (d->floor_ns) {
		char fl[16];
		rp_fmt_ns(fl, sizeof(fl), (double)d->floor_ns);
		if (d->overhead_subtracted)
			fprintf(f,
				"note: the shim's floor (%s per call) was subtracted from every "
				"duration\n",
				fl);
		else
			fprintf(f,
				"note: durations include the shim's floor of %s per call "
				"(--subtract-overhead takes it off)\n",
				fl);
	}
	if (sampled)
		fprintf(f, "note: ~ sampled: latency from 1 call in N, total estimated; calls and "
			   "failures exact\n");
	if (d->loss_reentrant || d->loss_depth)
		fprintf(f,
			"note: %llu calls passed through unrecorded (reentrant %llu, depth %llu)\n",
			(unsigned long long)(d->loss_reentrant + d->loss_depth),
			(unsigned long long)d->loss_reentrant, (unsigned long long)d->loss_depth);
	if (d->loss_overflowed)
		fprintf(f,
			"note: %llu calls overflowed the ring: counted exactly, durations coarse\n",
			(unsigned long long)d->loss_overflowed);
}

/* tmrun --repeat: the runs in one line. */
static void runs_print(const struct rp_doc *d, FILE *f)
{
	if (!d->nruns)
		return;
	size_t ok = 0;
	double lo = INFINITY, hi = 0;
	for (size_t i = 0; i < d->nruns; i++) {
		ok += d->runs[i].exit_status == 0;
		lo = fmin(lo, (double)d->runs[i].duration_ns);
		hi = fmax(hi, (double)d->runs[i].duration_ns);
	}
	char a[16], b[16];
	rp_fmt_ns(a, sizeof(a), lo);
	rp_fmt_ns(b, sizeof(b), hi);
	fprintf(f, "runs: %zu, %zu exited 0, %s to %s each\n", d->nruns, ok, a, b);
}

void rp_footer_print(const struct rp_doc *d, FILE *f)
{
	char shown[4 * 300 + 1], s2[200], s3[200];
	if (d->health) {
		rp_term(s2, sizeof(s2), d->health, 40);
		rp_term(shown, sizeof(shown), d->health_reason ? d->health_reason : "", 300);
		fprintf(f, "health: %s — %s\n", s2, shown);
	}
	size_t fired = 0, firing = 0, listed = 0;
	for (size_t i = 0; i < d->nalerts; i++) {
		fired += strcmp(d->alerts[i].state, "pending") != 0;
		firing += strcmp(d->alerts[i].state, "firing") == 0;
	}
	if (fired)
		fprintf(f, "alerts: %zu fired, %zu still firing\n", fired, firing);
	for (size_t i = 0; i < d->nalerts && listed < 10; i++) {
		const struct rp_alert *a = &d->alerts[i];
		if (strcmp(a->state, "pending") == 0)
			continue;
		rp_term(s2, sizeof(s2), a->severity ? a->severity : "", 8);
		rp_term(s3, sizeof(s3), a->name, 40);
		rp_term(shown, sizeof(shown), a->summary ? a->summary : "", 300);
		fprintf(f, "  %-8s %-12s %s%s\n", s2, s3, shown, a->ends_ns ? "" : " (firing)");
		listed++;
	}
	if (d->nfindings)
		fprintf(f, "findings:\n");
	for (size_t i = 0; i < d->nfindings; i++) {
		if (i >= 10) {
			fprintf(f, "  (%zu more in the summary's report.findings)\n",
				d->nfindings - 10);
			break;
		}
		rp_term(shown, sizeof(shown), d->findings[i].text, 300);
		fprintf(f, "  - %s\n", shown);
	}
}

static void csv_print(const struct rp_doc *d, const size_t *v, size_t n, FILE *f)
{
	double total = all_time(d);
	fprintf(f, "#function,object,calls,failed,mean_ns,p50_ns,p95_ns,p99_ns,max_ns,total_ns,"
		   "time_share,outcome_calls,calls_per_s\n");
	for (size_t i = 0; i < n; i++) {
		const struct rp_sym *s = &d->syms[v[i]];
		rp_csv(f, s->name);
		fputc(',', f);
		rp_csv(f, s->object ? s->object : "");
		fprintf(f, ",%llu,", (unsigned long long)s->calls);
		if (s->rule)
			fprintf(f, "%llu", (unsigned long long)s->failed);
		if (s->has_lat)
			fprintf(f, ",%.0f,%llu,%llu,%llu,%llu", s->mean_ns,
				(unsigned long long)s->p50, (unsigned long long)s->p95,
				(unsigned long long)s->p99, (unsigned long long)s->max_ns);
		else
			fprintf(f, ",,,,,");
		fprintf(f, ",%.0f,%.6f,%llu,%.3f\n", s->total_ns,
			total > 0 ? s->total_ns / total : 0, (unsigned long long)s->outcome_calls,
			d->duration_ns ? (double)s->calls / ((double)d->duration_ns / 1e9) : 0);
	}
}

static json_t *num_or_null(int have, double v)
{
	return have ? json_integer((json_int_t)llround(v)) : json_null();
}

static int json_print(const struct rp_doc *d, const size_t *v, size_t n, FILE *f)
{
	double total = all_time(d);
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct rp_sym *s = &d->syms[v[i]];
		json_t *o = json_object();
		json_object_set_new(o, "function", json_string(s->name));
		json_object_set_new(o, "object", s->object ? json_string(s->object) : json_null());
		json_object_set_new(o, "calls", json_integer((json_int_t)s->calls));
		json_object_set_new(o, "failed", num_or_null(s->rule, (double)s->failed));
		json_object_set_new(o, "mean_ns", num_or_null(s->has_lat, s->mean_ns));
		json_object_set_new(o, "p50_ns", num_or_null(s->has_lat, (double)s->p50));
		json_object_set_new(o, "p95_ns", num_or_null(s->has_lat, (double)s->p95));
		json_object_set_new(o, "p99_ns", num_or_null(s->has_lat, (double)s->p99));
		json_object_set_new(o, "max_ns", num_or_null(s->has_lat, (double)s->max_ns));
		json_object_set_new(o, "total_ns", num_or_null(1, s->total_ns));
		json_object_set_new(o, "time_share",
				    json_real(total > 0 ? s->total_ns / total : 0));
		json_object_set_new(o, "calls_per_s",
				    d->duration_ns ? json_real((double)s->calls /
							       ((double)d->duration_ns / 1e9))
						   : json_null());
		json_object_set_new(o, "outcome_calls", json_integer((json_int_t)s->outcome_calls));
		json_object_set_new(o, "blocking", json_boolean(s->blocking));
		json_object_set_new(o, "inner_calls", json_integer((json_int_t)s->inner_calls));
		json_array_append_new(a, o);
	}
	int ret = json_dumpf(a, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(a);
	return ret;
}

int rp_table_print(const struct rp_doc *d, const struct rp_table_opts *o, FILE *f)
{
	size_t n;
	size_t *v = rp_table_order(d, o, &n);
	if (!v)
		return -1;
	int ret = 0;
	if (o->fmt == RP_CSV) {
		csv_print(d, v, n, f);
	} else if (o->fmt == RP_JSON) {
		ret = json_print(d, v, n, f);
	} else {
		double total = work_time(d);
		size_t width = NAME_MIN;
		for (size_t i = 0; i < n; i++) {
			char shown[4 * NAME_COLS + 16];
			size_t w = row_name(shown, sizeof(shown), &d->syms[v[i]]);
			width = w > width ? w : width;
		}
		fprintf(f, "%-*s %10s %9s %9s %9s %9s %9s %9s %9s %10s %6s  %s\n", (int)width,
			"function", "calls", "calls/s", "failed", "mean", "p50", "p95", "p99",
			"max", "total", "%time", "errors");
		for (size_t i = 0; i < n; i++)
			text_row(f, d, &d->syms[v[i]], width, total);
		if (n < d->nsyms)
			fprintf(f, "(%zu more functions)\n", d->nsyms - n);
		marks_print(d, v, n, f);
		notes_print(d, f);
		runs_print(d, f);
		rp_footer_print(d, f);
	}
	free(v);
	return ret;
}
