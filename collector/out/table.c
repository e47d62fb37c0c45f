/* SPDX-License-Identifier: MIT */
/* The table tmrun prints at exit: ltrace -c's, with calls per second,
 * failures, percentiles and the top errors per row; a line under a row for
 * its outcomes, bytes and abnormal ends; marks for rows whose time holds
 * other monitored calls or is mostly waiting; then the notes and the
 * health footer. tmreport prints the same table from a saved summary
 * (tools/report/table.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "health/health.h"

#define NAME_MIN 28 /* the name column's width when every name is shorter */
#define TOP_ERRS 2  /* error names per row, the rest as "+N more" */

static void fmt_ns(char *buf, size_t len, double ns)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.2fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
}

/* Calls per second over the run, in at most 9 characters. */
static void fmt_rate(char *buf, size_t len, uint64_t calls, double secs)
{
	double r = secs > 0 ? (double)calls / secs : 0;
	if (!(secs > 0))
		snprintf(buf, len, "-");
	else if (r < 10)
		snprintf(buf, len, "%.2f", r);
	else if (r < 1e6)
		snprintf(buf, len, "%.1f", r);
	else
		snprintf(buf, len, "%.3g", r);
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

/* Characters of UTF-8 text (a terminal-safe name): its columns, taking
 * every character as one. */
static size_t text_cols(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

struct row {
	const struct tm_sym *s;
	char name[4 * sizeof(((struct tm_sym *)0)->name) + 8]; /* escaped, with marks */
	size_t cols;
};

/* The row's name as the terminal gets it: escaped, never cut, then the
 * marks of a row with calls: ~ sampled, + contains monitored calls,
 * * blocking. */
static void row_name(struct row *r)
{
	const struct tm_sym *s = r->s;
	tm_term_text(r->name, sizeof(r->name) - 4, s->name);
	r->cols = text_cols(r->name);
	if (!s->calls)
		return;
	if ((s->flags & TM_RF_SAMPLED) && s->timed)
		strcat(r->name, "~");
	if (s->inner_calls)
		strcat(r->name, "+");
	if (s->blocking)
		strcat(r->name, "*");
	r->cols = text_cols(r->name);
}

static void put_name(FILE *f, const struct row *r, size_t width)
{
	fprintf(f, "%s%*s", r->name, (int)(width > r->cols ? width - r->cols : 0), "");
}

static int by_count_desc(const void *a, const void *b)
{
	const struct tm_err_count *x = a, *y = b;
	return x->count < y->count   ? 1
	       : x->count > y->count ? -1
				     : (x->code > y->code) - (x->code < y->code);
}

/* "ENOENT 1000, EACCES 3 +2 more": the most frequent error names. */
static void top_errors(char *out, size_t len, const struct tm_sym *s)
{
	size_t o = 0;
	out[0] = '\0';
	if (!s->nerrs)
		return;
	struct tm_err_count *e = malloc(s->nerrs * sizeof(*e));
	if (!e)
		return;
	memcpy(e, s->errs, s->nerrs * sizeof(*e));
	qsort(e, s->nerrs, sizeof(*e), by_count_desc);
	for (size_t i = 0; i < s->nerrs && i < TOP_ERRS && o < len; i++) {
		char buf[64];
		const char *n = tm_code_name(s->codes, e[i].code, buf, sizeof(buf));
		o += (size_t)snprintf(out + o, len - o, "%s%s %llu", i ? ", " : "", n,
				      (unsigned long long)e[i].count);
	}
	if (s->nerrs > TOP_ERRS && o < len)
		snprintf(out + o, len - o, " +%zu more", s->nerrs - TOP_ERRS);
	free(e);
}

/* The line under a row: outcomes with their codes, return classes, bytes,
 * abnormal ends. Empty when the row has none of them. */
static void row_extras(char *out, size_t len, const struct tm_coll *c, const struct tm_sym *s)
{
	size_t o = 0;
	out[0] = '\0';
#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (o < len)                                                                       \
			o += (size_t)snprintf(out + o, len - o, __VA_ARGS__);                      \
	} while (0)
	for (unsigned k = 0; k < TM_OUTC_NAMES; k++) {
		uint64_t n = 0;
		size_t codes = 0;
		for (size_t i = 0; i < s->noutn; i++)
			if (s->outn[i].o == k)
				n += s->outn[i].n, codes++;
		if (!n)
			continue;
		ADD("%s%s %llu (", o ? "; " : "", tm_outc_name(c, k), (unsigned long long)n);
		size_t shown = 0;
		for (size_t i = 0; i < s->noutn && shown < TOP_ERRS; i++) {
			if (s->outn[i].o != k)
				continue;
			char buf[64];
			ADD("%s%s", shown++ ? ", " : "",
			    tm_code_name(s->codes, s->outn[i].code, buf, sizeof(buf)));
		}
		if (codes > shown)
			ADD(" +%zu more", codes - shown);
		ADD(", not failures)");
	}
	if (s->retc && s->calls) {
		/* return classes with calls, in their order, then other and
		 * unclassified when there are any */
		const struct tm_retc *r = s->retc;
		uint64_t un = tm_retc_unclassified(r->n, s->calls);
		ADD("%sreturns", o ? "; " : "");
		const char *sep = " ";
		for (unsigned k = 0; k <= r->def.n; k++) {
			unsigned i = k < r->def.n ? k : TM_RETC_OTHER;
			if (!r->n[i])
				continue;
			ADD("%s%s %llu (%.1f%%)", sep, k < r->def.n ? r->def.c[k].name : "other",
			    (unsigned long long)r->n[i],
			    100.0 * (double)r->n[i] / (double)s->calls);
			sep = ", ";
		}
		if (un)
			ADD("%sunclassified %llu (%.1f%%)", sep, (unsigned long long)un,
			    100.0 * (double)un / (double)s->calls);
	}
	if ((s->flags & TM_RF_BYTES) && s->bytes) {
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

static void print_row(FILE *f, const struct tm_coll *c, const struct row *r, size_t width,
		      double secs, double total)
{
	const struct tm_sym *s = r->s;
	char rate[24], failed[24], errs[160], extra[768];
	fmt_rate(rate, sizeof(rate), s->calls, secs);
	if (s->flags & TM_RF_HAS_RULE)
		snprintf(failed, sizeof(failed), "%llu", (unsigned long long)s->failed);
	else
		snprintf(failed, sizeof(failed), "-");
	top_errors(errs, sizeof(errs), s);
	put_name(f, r, width);
	if (!s->calls) {
		char nbuf[192];
		fprintf(f, " %10s  (%s)\n", "0", tm_sym_note(c, s, nbuf, sizeof(nbuf)));
		return;
	}
	if (!s->timed) {
		fprintf(f, " %10llu %9s %9s  (%s)%s%s\n", (unsigned long long)s->calls, rate,
			failed, (s->flags & TM_RF_COUNT) ? "count only: not timed" : "none timed",
			errs[0] ? "  " : "", errs);
	} else {
		char mean[16], p50[16], p95[16], p99[16], mx[16], tot[16], pct[16];
		fmt_ns(mean, sizeof(mean), s->timed ? s->sum_ns / (double)s->timed : 0);
		fmt_ns(p50, sizeof(p50), (double)tm_sym_quantile(s, 0.5));
		fmt_ns(p95, sizeof(p95), (double)tm_sym_quantile(s, 0.95));
		fmt_ns(p99, sizeof(p99), (double)tm_sym_quantile(s, 0.99));
		fmt_ns(mx, sizeof(mx), (double)s->max_ns);
		fmt_ns(tot, sizeof(tot), tm_sym_total(s));
		if (s->blocking)
			snprintf(pct, sizeof(pct), "-");
		else
			snprintf(pct, sizeof(pct), "%.1f%%",
				 total > 0 ? 100.0 * tm_sym_total(s) / total : 0.0);
		fprintf(f, " %10llu %9s %9s %9s %9s %9s %9s %9s %10s %6s%s%s\n",
			(unsigned long long)s->calls, rate, failed, mean, p50, p95, p99, mx, tot,
			pct, errs[0] ? "  " : "", errs);
	}
	row_extras(extra, sizeof(extra), c, s);
	if (extra[0])
		fprintf(f, "%*s%s\n", 4, "", extra);
}

static int by_total_desc(const void *a, const void *b)
{
	const struct tm_sym *x = ((const struct row *)a)->s, *y = ((const struct row *)b)->s;
	double tx = tm_sym_total(x), ty = tm_sym_total(y);
	return tx < ty ? 1 : tx > ty ? -1 : strcmp(x->name, y->name);
}

/* The notes under the table: what the marks mean (only those shown), the
 * floor, loss. */
static void print_notes(FILE *f, const struct tm_coll *c, unsigned marks)
{
	if (marks & 2)
		fprintf(f, "note: + contains monitored calls: its time includes theirs (no self "
			   "time yet), so totals overlap\n");
	if (marks & 4)
		fprintf(f, "note: * blocking: its time is mostly waiting (I/O, timers, other "
			   "threads), not work; left out of %%time\n");
	if (marks & 8)
		fprintf(f,
			"note: outcomes (in_progress, would_block, reports_earlier_error, ...) are "
			"calls, not failures: not in failed or the error rate\n");
	uint64_t floor = tm_coll_floor_now(c);
	if (floor) {
		char fl[16];
		fmt_ns(fl, sizeof(fl), (double)floor);
		if (c->subtract)
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
	if (marks & 1)
		fprintf(f, "note: ~ sampled: latency from 1 call in N, total estimated; calls and "
			   "failures exact\n");
	uint64_t loss[TM_LOSS_COUNT] = {0};
	for (unsigned k = 0; k < TM_LOSS_COUNT; k++)
		loss[k] = c->earlier.loss[k];
	for (size_t i = 0; i < c->nprocs; i++)
		for (unsigned k = 0; k < TM_LOSS_COUNT; k++)
			loss[k] += c->procs[i]->loss[k];
	if (loss[TM_LOSS_REENTRANT] || loss[TM_LOSS_DEPTH])
		fprintf(f,
			"note: %llu calls passed through unrecorded (reentrant %llu, depth %llu)\n",
			(unsigned long long)(loss[TM_LOSS_REENTRANT] + loss[TM_LOSS_DEPTH]),
			(unsigned long long)loss[TM_LOSS_REENTRANT],
			(unsigned long long)loss[TM_LOSS_DEPTH]);
	if (loss[TM_LOSS_OVERFLOW])
		fprintf(f,
			"note: %llu calls overflowed the ring: counted exactly, durations coarse\n",
			(unsigned long long)loss[TM_LOSS_OVERFLOW]);
	if (c->budget_naps)
		fprintf(f,
			"note: the collector shared the program's CPU and kept to %.3g%% of it "
			"(--cpu-budget); calls past it overflowed\n",
			c->cpu_budget * 100);
}

void tm_table_print(const struct tm_coll *c, void *file)
{
	FILE *f = file;
	struct row *v = calloc(c->nsyms ? c->nsyms : 1, sizeof(*v));
	size_t n = 0, width = NAME_MIN;
	double total = 0;
	unsigned marks = 0;
	if (!v)
		return;
	for (size_t i = 0; i < c->nsyms; i++) {
		const struct tm_sym *s = &c->syms[i];
		if (!tm_sym_reported(s))
			continue;
		v[n].s = s;
		row_name(&v[n]);
		if (v[n].cols > width)
			width = v[n].cols;
		if (!s->blocking)
			total += tm_sym_total(s);
		marks |= ((s->flags & TM_RF_SAMPLED) && s->timed ? 1u : 0) |
			 (s->inner_calls ? 2u : 0) | (s->blocking && s->calls ? 4u : 0) |
			 (s->outcomes ? 8u : 0);
		n++;
	}
	qsort(v, n, sizeof(*v), by_total_desc);
	double secs = (double)(tm_mono_ns() - c->start_mono_ns) / 1e9;
	fprintf(f, "%-*s %10s %9s %9s %9s %9s %9s %9s %9s %10s %6s  %s\n", (int)width, "function",
		"calls", "calls/s", "failed", "mean", "p50", "p95", "p99", "max", "total", "%time",
		"errors");
	for (size_t i = 0; i < n; i++)
		print_row(f, c, &v[i], width, secs, total);
	print_notes(f, c, marks);
	tm_report_print(c, f);
	free(v);
}
