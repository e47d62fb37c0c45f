/* SPDX-License-Identifier: MIT */
/* tmreport diff's output: an aligned table (base -> new, change in %, the
 * verdict), CSV (integer ns, a # header) or JSON (every figure and p). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define NCOLS RP_DIFF_COLS
#define CELL  RP_DIFF_CELL

/* Columns a cell takes: UTF-8 continuation bytes take none. */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void delta(char *out, size_t len, double b, double n)
{
	if (b > 0)
		snprintf(out, len, " %+.1f%%", 100 * (n - b) / b);
	else
		out[0] = '\0';
}

static void pair_ns(char *out, const struct rp_row *w, int p99)
{
	char a[16] = "-", b[16] = "-", d[24] = "";
	const struct rp_side_fig *x = &w->b, *y = &w->n;
	double vb = (double)(p99 ? x->p99 : x->p50), vn = (double)(p99 ? y->p99 : y->p50);
	if (x->has_lat && x->calls)
		rp_fmt_ns(a, sizeof(a), vb);
	if (y->has_lat && y->calls)
		rp_fmt_ns(b, sizeof(b), vn);
	if (x->has_lat && y->has_lat && x->calls && y->calls)
		delta(d, sizeof(d), vb, vn);
	snprintf(out, CELL, "%s → %s%s", a, b, d);
}

static double err_rate(const struct rp_side_fig *f)
{
	uint64_t j = f->ok + f->failed;
	return j ? (double)f->failed / (double)j : 0;
}

void rp_diff_cells(char c[NCOLS][CELL], const struct rp_row *w)
{
	char a[16], b[16], d[24] = "";
	const struct rp_side_fig *x = &w->b, *y = &w->n;
	rp_term(c[0], CELL, w->name, 28);
	rp_fmt_count(a, sizeof(a), (double)x->calls / x->runs);
	rp_fmt_count(b, sizeof(b), (double)y->calls / y->runs);
	delta(d, sizeof(d), (double)x->calls / x->runs, (double)y->calls / y->runs);
	snprintf(c[1], CELL, "%s → %s%s", a, b, d);
	snprintf(a, sizeof(a), x->rule && x->calls ? "%.2f%%" : "-", 100 * err_rate(x));
	snprintf(b, sizeof(b), y->rule && y->calls ? "%.2f%%" : "-", 100 * err_rate(y));
	snprintf(c[2], CELL, "%s → %s", a, b);
	pair_ns(c[3], w, 0);
	pair_ns(c[4], w, 1);
	rp_fmt_ns(a, sizeof(a), x->total_ns / x->runs);
	rp_fmt_ns(b, sizeof(b), y->total_ns / y->runs);
	delta(d, sizeof(d), x->total_ns / x->runs, y->total_ns / y->runs);
	snprintf(c[5], CELL, "%s → %s%s", x->calls ? a : "-", y->calls ? b : "-", d);
	snprintf(c[6], CELL, "%s", rp_verdict_name(w->verdict));
	snprintf(c[7], CELL, "%s", rp_errv_name(w->errv));
	snprintf(c[8], CELL, "%s", rp_test_name(w->test));
}

static void text_print(const struct rp_diff *d, const struct rp_diff_opts *o, FILE *f)
{
	static const char *const head[NCOLS] = {"function", "calls/run", "error %", "p50", "p99",
						"time/run", "verdict",	 "errors",  "test"};
	char(*c)[NCOLS][CELL] = calloc(d->nrows + 1, sizeof(*c));
	size_t wd[NCOLS] = {0};
	if (!c)
		return;
	for (unsigned k = 0; k < NCOLS; k++)
		snprintf(c[0][k], CELL, "%s", head[k]);
	for (size_t i = 0; i < d->nrows; i++)
		rp_diff_cells(c[i + 1], &d->rows[i]);
	for (size_t i = 0; i <= d->nrows; i++)
		for (unsigned k = 0; k < NCOLS; k++)
			if (width(c[i][k]) > wd[k])
				wd[k] = width(c[i][k]);
	char ab[16];
	rp_fmt_ns(ab, sizeof(ab), o->lat_abs_ns);
	fprintf(f,
		"base: %zu run%s, new: %zu run%s; a change counts when significant (alpha %g) "
		"and at least %g%% and %s (latency), %g%% and %g points (error rate)\n",
		d->runs_b, d->runs_b == 1 ? "" : "s", d->runs_n, d->runs_n == 1 ? "" : "s",
		o->alpha, 100 * o->lat_rel, ab, 100 * o->err_rel, 100 * o->err_abs);
	for (size_t i = 0; i <= d->nrows; i++) {
		for (unsigned k = 0; k < NCOLS; k++)
			fprintf(f, "%s%s%*s", k ? "  " : "", c[i][k],
				k + 1 < NCOLS ? (int)(wd[k] - width(c[i][k])) : 0, "");
		fputc('\n', f);
	}
	fprintf(f,
		"verdict: p50%s; errors: the error rate; test: runs (Mann-Whitney U over the "
		"runs' values), calls (over every call's duration: the histograms)\n",
		o->tail ? " and p99 (--tail)" : "");
	free(c);
}

static void csv_print(const struct rp_diff *d, FILE *f)
{
	fprintf(f, "#function,verdict,errors,test,runs_base,runs_new,calls_base,calls_new,"
		   "failed_base,failed_new,p50_ns_base,p50_ns_new,p99_ns_base,p99_ns_new,"
		   "total_ns_base,total_ns_new,p_p50,p_p99,p_errors\n");
	for (size_t i = 0; i < d->nrows; i++) {
		const struct rp_row *w = &d->rows[i];
		rp_csv(f, w->name);
		fprintf(f, ",%s,%s,%s,%.0f,%.0f,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%.0f,%.0f",
			rp_verdict_name(w->verdict), rp_errv_name(w->errv), rp_test_name(w->test),
			w->b.runs, w->n.runs, (unsigned long long)w->b.calls,
			(unsigned long long)w->n.calls, (unsigned long long)w->b.failed,
			(unsigned long long)w->n.failed, (unsigned long long)w->b.p50,
			(unsigned long long)w->n.p50, (unsigned long long)w->b.p99,
			(unsigned long long)w->n.p99, w->b.total_ns, w->n.total_ns);
		const double p[3] = {w->p_p50, w->p_p99, w->p_err};
		for (unsigned k = 0; k < 3; k++)
			if (p[k] >= 0)
				fprintf(f, ",%.3g", p[k]);
			else
				fprintf(f, ",");
		fputc('\n', f);
	}
}

static json_t *side_json(const struct rp_side_fig *s)
{
	json_t *o = json_object();
	uint64_t j = s->ok + s->failed;
	json_object_set_new(o, "runs", json_real(s->runs));
	json_object_set_new(o, "calls", json_integer((json_int_t)s->calls));
	json_object_set_new(o, "calls_per_run", json_real((double)s->calls / s->runs));
	json_object_set_new(o, "failed", json_integer((json_int_t)s->failed));
	json_object_set_new(o, "error_rate",
			    s->rule && j ? json_real((double)s->failed / (double)j) : json_null());
	json_object_set_new(o, "p50_ns",
			    s->has_lat ? json_integer((json_int_t)s->p50) : json_null());
	json_object_set_new(o, "p99_ns",
			    s->has_lat ? json_integer((json_int_t)s->p99) : json_null());
	json_object_set_new(o, "total_ns_per_run", json_real(s->total_ns / s->runs));
	json_object_set_new(o, "run_values", json_integer((json_int_t)s->nrv));
	return o;
}

static json_t *p_json(double p)
{
	return p >= 0 ? json_real(p) : json_null();
}

static void json_print(const struct rp_diff *d, const struct rp_diff_opts *o, FILE *f)
{
	json_t *root = json_object(), *rows = json_array();
	json_object_set_new(root, "alpha", json_real(o->alpha));
	json_object_set_new(root, "runs_base", json_integer((json_int_t)d->runs_b));
	json_object_set_new(root, "runs_new", json_integer((json_int_t)d->runs_n));
	for (size_t i = 0; i < d->nrows; i++) {
		const struct rp_row *w = &d->rows[i];
		json_t *r = json_object();
		json_object_set_new(r, "function", json_string(w->name));
		json_object_set_new(r, "verdict", json_string(rp_verdict_name(w->verdict)));
		json_object_set_new(r, "errors", json_string(rp_errv_name(w->errv)));
		json_object_set_new(r, "test", json_string(rp_test_name(w->test)));
		json_object_set_new(r, "base", side_json(&w->b));
		json_object_set_new(r, "new", side_json(&w->n));
		json_object_set_new(r, "p_p50", p_json(w->p_p50));
		json_object_set_new(r, "p_p99", p_json(w->p_p99));
		json_object_set_new(r, "p_errors", p_json(w->p_err));
		json_array_append_new(rows, r);
	}
	json_object_set_new(root, "rows", rows);
	json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(root);
}

void rp_diff_print(const struct rp_diff *d, const struct rp_diff_opts *o, FILE *f)
{
	if (o->fmt == RP_CSV)
		csv_print(d, f);
	else if (o->fmt == RP_JSON)
		json_print(d, o, f);
	else
		text_print(d, o, f);
}
