/* SPDX-License-Identifier: MIT */
/* The detail pane of one function (Enter): its figures, the latency
 * histogram as bars, errors by name and category, the processes calling
 * it, its open and stuck calls, and the history of its alerts. Two
 * columns from 100 columns on, one below the other in a narrower one. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "render.h"

#define MAX_BARS 16

struct box {
	int y, y1, x, w; /* next line, end (exclusive), left, width */
};

static void hm(char *buf, size_t len, uint64_t real_ns)
{
	time_t t = (time_t)(real_ns / 1000000000ull);
	struct tm tm;
	if (!real_ns || !localtime_r(&t, &tm))
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%H:%M:%S", &tm);
}

/* Bars of the histogram in `lines` lines (title included). */
static void histogram(struct tm_top_canvas *cv, struct box *b, int lines,
		      const struct tm_top_detail *d, int utf8)
{
	uint64_t n = 0;
	size_t first = 0, last = 0, nz = 0;
	for (size_t i = 0; d && i < d->nbins; i++) {
		if (!d->bins[i].count)
			continue;
		if (!nz++)
			first = i;
		last = i;
		n += d->bins[i].count;
	}
	tm_cv_printf(cv, b->y++, b->x, b->w, TM_A_TITLE, "latency, %s: %llu calls",
		     d && d->hist_what[0] ? d->hist_what : "histogram", (unsigned long long)n);
	if (!nz) {
		tm_cv_put(cv, b->y++, b->x + 2, b->w - 2, TM_A_DIM, "no timed call in this window");
		return;
	}
	int k = lines - 1 < MAX_BARS ? lines - 1 : MAX_BARS;
	if (k < 1)
		return;
	uint64_t cnt[MAX_BARS] = {0}, top[MAX_BARS] = {0}, mx = 0;
	double lo = d->bins[first].lo_ns ? (double)d->bins[first].lo_ns : 1;
	double hi = (double)d->bins[last].hi_ns + 1;
	int bars = (size_t)k >= nz ? (int)nz : k;
	for (size_t i = first, j = 0; i <= last; i++) {
		const struct tm_top_bin *x = &d->bins[i];
		if (!x->count)
			continue;
		int bi;
		if ((size_t)bars == nz) {
			bi = (int)j++;
		} else {
			double mid = ((double)x->lo_ns + (double)x->hi_ns) / 2;
			mid = mid < lo ? lo : mid;
			bi = (int)((double)bars * log(mid / lo) / log(hi / lo));
			bi = bi < 0 ? 0 : bi >= bars ? bars - 1 : bi;
		}
		cnt[bi] += x->count;
		top[bi] = x->hi_ns > top[bi] ? x->hi_ns : top[bi];
	}
	for (int i = 0; i < bars; i++)
		mx = cnt[i] > mx ? cnt[i] : mx;
	int lw = 9, cw = 9, bw = b->w - lw - cw - 3;
	if (bw < 4)
		bw = 4;
	static const char *const eighth[8] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
	for (int i = 0; i < bars && b->y < b->y1; i++, b->y++) {
		char label[40], v[32], c[32];
		uint64_t edge =
			top[i] ? top[i] : (uint64_t)(lo * pow(hi / lo, (double)(i + 1) / bars));
		tm_top_fmt_ns(v, sizeof(v), edge);
		snprintf(label, sizeof(label), "%s%s", utf8 ? "≤" : "<=", v);
		tm_cv_rput(cv, b->y, b->x, lw, TM_A_NORMAL, label);
		uint64_t units = mx ? (cnt[i] * (uint64_t)bw * 8 + mx / 2) / mx : 0;
		if (cnt[i] && !units)
			units = 1; /* a bin with calls is never invisible */
		int x = b->x + lw + 1;
		for (uint64_t f = 0; f < units / 8; f++)
			x += tm_cv_put(cv, b->y, x, 1, TM_A_BAR, utf8 ? "█" : "#");
		if (units % 8)
			x += tm_cv_put(cv, b->y, x, 1, TM_A_BAR, utf8 ? eighth[units % 8] : "+");
		tm_top_fmt_count(c, sizeof(c), cnt[i], (unsigned)cw);
		tm_cv_rput(cv, b->y, b->x + lw + 1 + bw + 1, cw, TM_A_NORMAL, c);
	}
}

static void errors(struct tm_top_canvas *cv, struct box *b, int lines, const struct tm_top_row *r,
		   const struct tm_top_detail *d)
{
	int end = b->y + lines < b->y1 ? b->y + lines : b->y1;
	tm_cv_put(cv, b->y++, b->x, b->w, TM_A_TITLE, "errors, whole run");
	if (!r->rule) {
		tm_cv_put(cv, b->y++, b->x + 2, b->w - 2, TM_A_DIM,
			  "no success rule: calls not judged");
		return;
	}
	if (!d || !d->nerr) {
		tm_cv_put(cv, b->y++, b->x + 2, b->w - 2, TM_A_DIM, "none");
		return;
	}
	for (size_t i = 0; i < d->nerr && b->y < end; i++)
		tm_cv_printf(cv, b->y++, b->x + 2, b->w - 2, TM_A_NORMAL, "%-18s %10llu  %s",
			     d->err[i].name, (unsigned long long)d->err[i].count,
			     d->err[i].category);
	if (d->err_more && b->y < end)
		tm_cv_printf(cv, b->y++, b->x + 2, b->w - 2, TM_A_DIM, "%-18s %10llu", "(more)",
			     (unsigned long long)d->err_more);
}

static void processes(struct tm_top_canvas *cv, struct box *b, int lines,
		      const struct tm_top_model *m, size_t ri)
{
	int end = b->y + lines < b->y1 ? b->y + lines : b->y1;
	tm_cv_printf(cv, b->y++, b->x, b->w, TM_A_TITLE, "%-8s %10s %9s %9s  %s", "pid", "calls",
		     "failed", "time", "process");
	for (size_t i = 0; i < m->npfn && b->y < end; i++) {
		const struct tm_top_pfn *f = &m->pfn[i];
		if (f->row != ri || f->proc >= m->nprocs)
			continue;
		const struct tm_top_proc *p = &m->procs[f->proc];
		char t[32], st[32] = "";
		tm_top_fmt_ns(t, sizeof(t), (uint64_t)f->sum_ns);
		if (strcmp(p->status, "exited") == 0)
			snprintf(st, sizeof(st), " (exited %d)", p->exit_code);
		else if (strcmp(p->status, "running") != 0)
			snprintf(st, sizeof(st), " (%s)", p->status);
		tm_cv_printf(cv, b->y++, b->x, b->w,
			     strcmp(p->status, "crashed") == 0 ? TM_A_BAD : TM_A_NORMAL,
			     "%-8d %10llu %9llu %9s  %s%s", (int)p->pid,
			     (unsigned long long)f->calls, (unsigned long long)f->failed, t, p->exe,
			     st);
	}
}

static void open_calls(struct tm_top_canvas *cv, struct box *b, int lines,
		       const struct tm_top_model *m, size_t ri)
{
	const struct tm_top_row *r = &m->rows[ri];
	int end = b->y + lines < b->y1 ? b->y + lines : b->y1;
	char t[32];
	tm_top_fmt_ns(t, sizeof(t), r->oldest_ns);
	if (r->in_flight)
		tm_cv_printf(cv, b->y++, b->x, b->w, TM_A_TITLE, "open calls: %llu, oldest %s",
			     (unsigned long long)r->in_flight, t);
	else
		tm_cv_put(cv, b->y++, b->x, b->w, TM_A_TITLE, "open calls: none");
	for (size_t i = 0; i < m->nstuck && b->y < end; i++) {
		const struct tm_top_stuck *s = &m->stuck[i];
		if (s->row != ri)
			continue;
		tm_top_fmt_ns(t, sizeof(t), s->age_ns);
		tm_cv_printf(cv, b->y++, b->x + 2, b->w - 2, TM_A_WARN,
			     "stuck: pid %d tid %d open for %s", (int)s->pid, (int)s->tid, t);
	}
}

static void alerts(struct tm_top_canvas *cv, struct box *b, const struct tm_top_model *m,
		   const struct tm_top_row *r)
{
	tm_cv_put(cv, b->y++, b->x, b->w, TM_A_TITLE, "alerts");
	int any = 0;
	for (size_t i = m->nalerts; i-- > 0 && b->y < b->y1;) { /* newest first */
		const struct tm_top_alert *a = &m->alerts[i];
		if (strcmp(a->function, r->name) != 0)
			continue;
		char s[16], e[16];
		hm(s, sizeof(s), a->start_real_ns);
		hm(e, sizeof(e), a->end_real_ns);
		uint8_t at = strcmp(a->state, "firing") == 0 ? TM_A_BAD : TM_A_NORMAL;
		tm_cv_printf(cv, b->y++, b->x + 2, b->w - 2, at, "%-8s %-8s %s-%s %s", a->state,
			     a->severity, s, a->end_real_ns ? e : "", a->summary);
		any = 1;
	}
	if (!any && b->y < b->y1)
		tm_cv_put(cv, b->y++, b->x + 2, b->w - 2, TM_A_DIM, "none");
}

static void figures(struct tm_top_canvas *cv, int y, const struct tm_top_model *m,
		    const struct tm_top_ui *u, const struct tm_top_row *r)
{
	const struct tm_top_fig *f = &r->fig[u->win];
	char w[32], rate[32], p50[16], p99[16], p999[16], mx[16], er[16];
	tm_top_win_name(u->win, m->interval_s, w, sizeof(w));
	tm_top_fmt_rate(rate, sizeof(rate), tm_top_rate(r, u->win));
	tm_top_fmt_ns(p50, sizeof(p50), f->p50_ns);
	tm_top_fmt_ns(p99, sizeof(p99), f->p99_ns);
	tm_top_fmt_ns(p999, sizeof(p999), f->p999_ns);
	tm_top_fmt_ns(mx, sizeof(mx), f->max_ns);
	double e = tm_top_err_rate(r, u->win);
	if (e < 0)
		snprintf(er, sizeof(er), "-");
	else
		snprintf(er, sizeof(er), "%.2f%%", 100 * e);
	tm_cv_printf(cv, y, 0, -1, TM_A_NORMAL,
		     "%s: %llu calls  %s/s  %llu failed (%s)  since start: %llu calls", w,
		     (unsigned long long)f->calls, rate, (unsigned long long)f->failed, er,
		     (unsigned long long)r->calls);
	int x = tm_cv_printf(cv, y + 1, 0, -1, TM_A_NORMAL, "p50 %s  p99 %s  p99.9 %s  max %s", p50,
			     p99, p999, mx);
	if (r->rising_lat || r->rising_err)
		tm_cv_printf(cv, y + 1, x, -1, TM_A_RISE, "  %s%s%s",
			     r->rising_lat ? "latency rising" : "",
			     r->rising_lat && r->rising_err ? ", " : "",
			     r->rising_err ? "errors rising" : "");
}

void tm_top_render_detail(struct tm_top_canvas *cv, int y0, int y1, const struct tm_top_model *m,
			  const struct tm_top_ui *u, const struct tm_top_detail *d)
{
	long ri = tm_top_selected(m, u);
	if (ri < 0) {
		tm_cv_put(cv, y0, 0, -1, TM_A_DIM, "no function selected");
		return;
	}
	const struct tm_top_row *r = &m->rows[ri];
	int x = tm_cv_put(cv, y0, 0, -1, TM_A_TITLE, r->name);
	x += tm_cv_printf(cv, y0, x, -1, TM_A_NORMAL, "  %s  session %s  ", r->object, r->session);
	uint8_t ha = r->health == TM_H_HEALTHY	   ? TM_A_GOOD
		     : r->health == TM_H_DEGRADED  ? TM_A_WARN
		     : r->health == TM_H_UNHEALTHY ? TM_A_BAD
						   : TM_A_DIM;
	tm_cv_put(cv, y0, x, -1, ha, tm_health_name(r->health));
	figures(cv, y0 + 1, m, u, r);
	int wide = cv->w >= 100, top = y0 + (wide ? 4 : 3), rows = y1 - top;
	if (rows < 2)
		return;
	if (wide) {
		struct box l = {top, y1, 0, cv->w / 2 - 1}, rb = {top, y1, cv->w / 2 + 1, 0};
		rb.w = cv->w - rb.x;
		histogram(cv, &l, rows, d, u->utf8);
		errors(cv, &rb, rows / 4 + 1, r, d);
		rb.y++;
		processes(cv, &rb, rows / 4, m, (size_t)ri);
		rb.y++;
		open_calls(cv, &rb, rows / 6 + 1, m, (size_t)ri);
		rb.y++;
		if (rb.y < rb.y1)
			alerts(cv, &rb, m, r);
		return;
	}
	struct box b = {top, y1, 0, cv->w};
	int hl = rows * 2 / 5 > 4 ? rows * 2 / 5 : 4;
	histogram(cv, &b, hl, d, u->utf8);
	if (b.y + 1 < b.y1)
		errors(cv, &b, 3, r, d);
	if (b.y + 1 < b.y1)
		processes(cv, &b, 3, m, (size_t)ri);
	if (b.y < b.y1)
		open_calls(cv, &b, 2, m, (size_t)ri);
	if (b.y < b.y1)
		alerts(cv, &b, m, r);
}
