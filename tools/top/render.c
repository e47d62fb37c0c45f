/* SPDX-License-Identifier: MIT */
/* The screen (render.h): four header lines, the column header, one row
 * per function, the status line; or the help or detail pane in place of
 * the rows. Columns are dropped by priority when the width runs out (the
 * function name, calls/s, p99, error % and calls stay longest), and what
 * is left over widens the sparkline and the names. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "render.h"

/* Narrowest width of each column; the name and the sparkline grow. */
static const int col_min[TM_TOP_C_COUNT] = {
	[TM_TOP_C_NAME] = 16, [TM_TOP_C_RATE] = 8, [TM_TOP_C_ERR] = 6,	  [TM_TOP_C_P50] = 7,
	[TM_TOP_C_P99] = 7,   [TM_TOP_C_P999] = 7, [TM_TOP_C_MAX] = 7,	  [TM_TOP_C_CALLS] = 9,
	[TM_TOP_C_TIME] = 6,  [TM_TOP_C_INFL] = 5, [TM_TOP_C_HEALTH] = 9, [TM_TOP_C_SPARK] = 10,
};
/* The order columns are kept in as the width shrinks: the last goes first. */
static const enum tm_top_col prio[TM_TOP_C_COUNT] = {
	TM_TOP_C_NAME,	 TM_TOP_C_RATE, TM_TOP_C_P99, TM_TOP_C_ERR,  TM_TOP_C_CALLS, TM_TOP_C_SPARK,
	TM_TOP_C_HEALTH, TM_TOP_C_P50,	TM_TOP_C_MAX, TM_TOP_C_P999, TM_TOP_C_TIME,  TM_TOP_C_INFL,
};
#define NAME_CAP 48 /* a name column wider than this only with room to spare */

struct layout {
	int on[TM_TOP_C_COUNT], x[TM_TOP_C_COUNT], w[TM_TOP_C_COUNT];
};

static int longest_name(const struct tm_top_canvas *cv, const struct tm_top_model *m,
			const struct tm_top_ui *u)
{
	int n = 0;
	for (size_t i = 0; i < u->norder; i++) {
		int w = tm_cv_width(cv, m->rows[u->order[i]].name);
		n = w > n ? w : n;
	}
	return n;
}

/* The largest sparkline width that divides 60 s evenly and fits. */
static int spark_width(int room)
{
	static const int ok[] = {60, 30, 20, 15, 12, 10};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ok[i] <= room)
			return ok[i];
	return 0;
}

static void lay_out(const struct tm_top_canvas *cv, const struct tm_top_model *m,
		    const struct tm_top_ui *u, struct layout *L)
{
	memset(L, 0, sizeof(*L));
	int W = cv->w, used = col_min[TM_TOP_C_NAME];
	L->on[TM_TOP_C_NAME] = 1;
	for (unsigned i = 1; i < TM_TOP_C_COUNT; i++) {
		enum tm_top_col c = prio[i];
		if (used + 1 + col_min[c] <= W) {
			L->on[c] = 1;
			used += 1 + col_min[c];
		}
	}
	for (unsigned c = 0; c < TM_TOP_C_COUNT; c++)
		L->w[c] = col_min[c];
	int left = W - used, want = longest_name(cv, m, u);
	int cap = want < NAME_CAP ? want : NAME_CAP;
	int grow = cap - L->w[TM_TOP_C_NAME];
	if (grow > 0) {
		grow = grow < left ? grow : left;
		L->w[TM_TOP_C_NAME] += grow;
		left -= grow;
	}
	if (L->on[TM_TOP_C_SPARK]) {
		int s = spark_width(L->w[TM_TOP_C_SPARK] + left);
		left -= s - L->w[TM_TOP_C_SPARK];
		L->w[TM_TOP_C_SPARK] = s;
	}
	if (want > L->w[TM_TOP_C_NAME] && left > 0)
		L->w[TM_TOP_C_NAME] +=
			want - L->w[TM_TOP_C_NAME] < left ? want - L->w[TM_TOP_C_NAME] : left;
	int x = 0;
	for (unsigned c = 0; c < TM_TOP_C_COUNT; c++) {
		if (!L->on[c])
			continue;
		L->x[c] = x;
		x += L->w[c] + 1;
	}
}

int tm_top_natural_width(const struct tm_top_canvas *cv, const struct tm_top_model *m,
			 const struct tm_top_ui *u)
{
	int name = longest_name(cv, m, u);
	name = name < col_min[TM_TOP_C_NAME] ? col_min[TM_TOP_C_NAME] : name > 64 ? 64 : name;
	int w = name;
	for (unsigned c = 1; c < TM_TOP_C_SPARK; c++)
		w += 1 + col_min[c];
	return w + 1 + 60;
}

/* ---- the header ---- */

static void clock_text(char *buf, size_t len, uint64_t real_ns)
{
	time_t t = (time_t)(real_ns / 1000000000ull);
	struct tm tm;
	if (!real_ns || !localtime_r(&t, &tm))
		snprintf(buf, len, "--:--:--");
	else
		strftime(buf, len, "%H:%M:%S", &tm);
}

static uint8_t health_attr(enum tm_health h)
{
	switch (h) {
	case TM_H_HEALTHY: return TM_A_GOOD;
	case TM_H_DEGRADED: return TM_A_WARN;
	case TM_H_UNHEALTHY: return TM_A_BAD;
	case TM_H_MAINTENANCE: return TM_A_INFO;
	default: return TM_A_DIM;
	}
}

static void title_line(struct tm_top_canvas *cv, const struct tm_top_model *m,
		       const struct tm_top_ui *u)
{
	const struct tm_top_header *h = &m->h;
	char w[64], t[32];
	int x = tm_cv_printf(cv, 0, 0, -1, TM_A_TITLE, "tmtop");
	x += tm_cv_printf(cv, 0, x, -1, TM_A_NORMAL, "  %s  %s  window %s  every %gs", h->session,
			  h->source, tm_top_win_name(u->win, m->interval_s, w, sizeof(w)),
			  u->delay_s);
	if (u->paused)
		x += tm_cv_put(cv, 0, x + 2, -1, TM_A_WARN, "PAUSED") + 2;
	clock_text(t, sizeof(t), h->now_real_ns);
	if (x + 2 + (int)strlen(t) <= cv->w)
		tm_cv_put(cv, 0, cv->w - (int)strlen(t), -1, TM_A_NORMAL, t);
}

static void procs_line(struct tm_top_canvas *cv, const struct tm_top_model *m,
		       const struct tm_top_ui *u)
{
	const struct tm_top_header *h = &m->h;
	char a[32], b[32], c[32];
	double rate = 0;
	for (size_t i = 0; i < m->nrows; i++)
		rate += tm_top_rate(&m->rows[i], u->win);
	tm_top_fmt_rate(a, sizeof(a), rate);
	int x = tm_cv_printf(cv, 1, 0, -1, TM_A_NORMAL, "procs %u running, %u exited, ", h->running,
			     h->exited);
	x += tm_cv_printf(cv, 1, x, -1, h->crashed ? TM_A_BAD : TM_A_NORMAL, "%u crashed",
			  h->crashed);
	if (h->cpu_pct >= 0)
		snprintf(b, sizeof(b), "%.1f%%", h->cpu_pct);
	else
		snprintf(b, sizeof(b), "-");
	tm_top_fmt_bytes(c, sizeof(c), h->rss_bytes);
	tm_cv_printf(cv, 1, x, -1, TM_A_NORMAL, "   calls/s %s   cpu %s   rss %s", a, b, c);
}

static void health_line(struct tm_top_canvas *cv, const struct tm_top_header *h)
{
	static const enum tm_health order[] = {TM_H_HEALTHY, TM_H_DEGRADED, TM_H_UNHEALTHY,
					       TM_H_UNKNOWN, TM_H_MAINTENANCE};
	int x = tm_cv_put(cv, 2, 0, -1, TM_A_NORMAL, "health ");
	x += tm_cv_put(cv, 2, x, -1, health_attr(h->health), tm_health_name(h->health));
	x += tm_cv_put(cv, 2, x, -1, TM_A_NORMAL, "  functions:");
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!h->nhealth[order[i]] && order[i] != TM_H_HEALTHY)
			continue;
		x += tm_cv_printf(cv, 2, x, -1, health_attr(order[i]), " %u %s",
				  h->nhealth[order[i]], tm_health_name(order[i]));
	}
	if (h->health_reason[0] && h->health != TM_H_HEALTHY)
		tm_cv_printf(cv, 2, x, -1, TM_A_DIM, "  (%s)", h->health_reason);
}

/* Loss counters (only those not zero, highlighted) and firing alerts. */
static void loss_line(struct tm_top_canvas *cv, const struct tm_top_model *m)
{
	const struct tm_top_header *h = &m->h;
	int x = tm_cv_put(cv, 3, 0, -1, TM_A_NORMAL, "loss "), any = 0;
	for (unsigned k = 0; k < TM_TOP_NLOSS; k++)
		if (h->loss[k]) {
			x += tm_cv_printf(cv, 3, x, -1, TM_A_BAD, "%s%s %llu", any ? " " : "",
					  tm_top_loss_names[k], (unsigned long long)h->loss[k]);
			any = 1;
		}
	if (!any)
		x += tm_cv_put(cv, 3, x, -1, TM_A_NORMAL, "none");
	if (h->budget_naps) /* why calls overflowed: durations coarse */
		x += tm_cv_printf(cv, 3, x, -1, TM_A_DIM,
				  " (collector kept to %.3g%% of a shared CPU)", h->budget_pct);
	size_t firing = 0, first = 0;
	for (size_t i = 0; i < m->nalerts; i++)
		if (strcmp(m->alerts[i].state, "firing") == 0 && !firing++)
			first = i;
	x += tm_cv_put(cv, 3, x, -1, TM_A_NORMAL, "   alerts ");
	if (!firing) {
		tm_cv_put(cv, 3, x, -1, TM_A_NORMAL, "none firing");
		return;
	}
	const struct tm_top_alert *al = &m->alerts[first];
	tm_cv_printf(cv, 3, x, -1, TM_A_BAD, "%zu firing: %s %s", firing, al->severity,
		     al->summary[0] ? al->summary : al->name);
}

static void header(struct tm_top_canvas *cv, const struct tm_top_model *m,
		   const struct tm_top_ui *u)
{
	title_line(cv, m, u);
	procs_line(cv, m, u);
	health_line(cv, &m->h);
	loss_line(cv, m);
}

/* ---- the table ---- */

static void fmt_pct(char *buf, size_t len, double v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else if (v == 0)
		snprintf(buf, len, "0%%");
	else if (v >= 0.9995)
		snprintf(buf, len, "100%%");
	else
		snprintf(buf, len, v >= 0.0995 ? "%.1f%%" : "%.2f%%", 100 * v);
}

static void column_header(struct tm_top_canvas *cv, int y, const struct layout *L,
			  const struct tm_top_ui *u)
{
	tm_cv_attr(cv, y, 0, cv->w, TM_A_HEAD, 0);
	for (unsigned c = 0; c < TM_TOP_C_COUNT; c++) {
		if (!L->on[c])
			continue;
		char t[32];
		const char *mark = u->reverse ? (u->utf8 ? "▲" : "^") : (u->utf8 ? "▼" : "v");
		snprintf(t, sizeof(t), "%s%s", tm_top_col_title(c), u->sort == c ? mark : "");
		int left = c == TM_TOP_C_NAME || c == TM_TOP_C_HEALTH || c == TM_TOP_C_SPARK;
		if (left)
			tm_cv_put(cv, y, L->x[c], L->w[c], TM_A_HEAD, t);
		else
			tm_cv_rput(cv, y, L->x[c], L->w[c], TM_A_HEAD, t);
	}
}

static void sparkline(struct tm_top_canvas *cv, int y, int x, int w, uint8_t attr,
		      const struct tm_top_row *r, int utf8)
{
	static const char *const blocks[8] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	static const char ascii[8] = {'.', ':', '-', '=', '+', '*', '#', '@'};
	if (w <= 0)
		return;
	int per = TM_TOP_SPARK / w;
	uint64_t v[TM_TOP_SPARK], top = 0;
	for (int i = 0; i < w; i++) {
		v[i] = 0;
		for (int k = 0; k < per; k++) {
			int p = i * per + k; /* position in the 60 s, oldest first */
			if (p >= TM_TOP_SPARK - (int)r->nspark)
				v[i] += r->spark[p];
		}
		top = v[i] > top ? v[i] : top;
	}
	for (int i = 0; i < w; i++) {
		char ch[5] = " ";
		if (v[i] && top) {
			unsigned lvl = (unsigned)((v[i] * 8 - 1) / top);
			lvl = lvl > 7 ? 7 : lvl;
			if (utf8)
				snprintf(ch, sizeof(ch), "%s", blocks[lvl]);
			else
				ch[0] = ascii[lvl];
		}
		tm_cv_put(cv, y, x + i, 1, attr, ch);
	}
}

static const char *health_short(enum tm_health h)
{
	return h == TM_H_MAINTENANCE ? "maint" : tm_health_name(h);
}

/* A name cut to w columns, the cut shown. */
static void put_name(struct tm_top_canvas *cv, int y, int x, int w, uint8_t attr, const char *s,
		     int utf8)
{
	if (tm_cv_width(cv, s) <= w) {
		tm_cv_put(cv, y, x, w, attr, s);
		return;
	}
	int n = tm_cv_put(cv, y, x, w - 1, attr, s);
	tm_cv_put(cv, y, x + n, 1, attr, utf8 ? "…" : "~");
}

static void row(struct tm_top_canvas *cv, int y, const struct layout *L,
		const struct tm_top_model *m, const struct tm_top_ui *u, const struct tm_top_row *r,
		uint8_t sel)
{
	const struct tm_top_fig *f = &r->fig[u->win];
	const char *up = u->utf8 ? "↑" : "^";
	char t[64];
	uint8_t lat = r->rising_lat ? TM_A_RISE : TM_A_NORMAL;
	for (unsigned c = 0; c < TM_TOP_C_COUNT; c++) {
		if (!L->on[c])
			continue;
		int x = L->x[c], w = L->w[c];
		uint8_t a = TM_A_NORMAL;
		switch (c) {
		case TM_TOP_C_NAME:
			put_name(cv, y, x, w,
				 (r->rising_lat || r->rising_err ? TM_A_RISE : 0) | sel, r->name,
				 u->utf8);
			continue;
		case TM_TOP_C_RATE: tm_top_fmt_rate(t, sizeof(t), tm_top_rate(r, u->win)); break;
		case TM_TOP_C_ERR:
			fmt_pct(t, sizeof(t), tm_top_err_rate(r, u->win));
			if (r->rising_err) {
				strcat(t, up);
				a = TM_A_RISE;
			}
			break;
		case TM_TOP_C_P50: tm_top_fmt_ns(t, sizeof(t), f->p50_ns), a = lat; break;
		case TM_TOP_C_P99:
			tm_top_fmt_ns(t, sizeof(t), f->p99_ns);
			if (r->rising_lat)
				strcat(t, up);
			a = lat;
			break;
		case TM_TOP_C_P999: tm_top_fmt_ns(t, sizeof(t), f->p999_ns), a = lat; break;
		case TM_TOP_C_MAX: tm_top_fmt_ns(t, sizeof(t), f->max_ns), a = lat; break;
		case TM_TOP_C_CALLS: tm_top_fmt_count(t, sizeof(t), r->calls, (unsigned)w); break;
		case TM_TOP_C_TIME:
			/* as the table: * blocking (waiting, no share), + its time
			 * includes the monitored calls made inside it */
			fmt_pct(t, sizeof(t), tm_top_time_share(m, r, u->win));
			if (r->blocking)
				snprintf(t, sizeof(t), "*");
			else if (r->inner)
				strcat(t, "+");
			break;
		case TM_TOP_C_INFL:
			tm_top_fmt_count(t, sizeof(t), r->in_flight, (unsigned)w);
			a = r->in_flight && r->oldest_ns >= 1000000000ull ? TM_A_WARN : TM_A_NORMAL;
			break;
		case TM_TOP_C_HEALTH:
			tm_cv_put(cv, y, x, w, health_attr(r->health) | sel,
				  health_short(r->health));
			continue;
		case TM_TOP_C_SPARK: sparkline(cv, y, x, w, TM_A_BAR | sel, r, u->utf8); continue;
		default: continue;
		}
		tm_cv_rput(cv, y, x, w, a | sel, t);
	}
}

static void help(struct tm_top_canvas *cv, int y0, int y1)
{
	tm_cv_put(cv, y0, 0, -1, TM_A_TITLE, "tmtop keys");
	for (int i = 0; tm_top_help[i] && y0 + 1 + i < y1; i++)
		tm_cv_printf(cv, y0 + 1 + i, 2, -1, TM_A_NORMAL, "%s", tm_top_help[i]);
}

static void status(struct tm_top_canvas *cv, int y, const struct tm_top_model *m,
		   const struct tm_top_ui *u)
{
	char right[200];
	const char *hint = NULL;
	int x;
	tm_cv_attr(cv, y, 0, cv->w, TM_A_HEAD, 0);
	if (u->input == TM_TOP_IN_FILTER)
		x = tm_cv_printf(cv, y, 0, -1, TM_A_HEAD, "filter: %s_", u->inbuf);
	else if (u->input == TM_TOP_IN_DELAY)
		x = tm_cv_printf(cv, y, 0, -1, TM_A_HEAD, "refresh delay (seconds): %s_", u->inbuf);
	else if (m->h.error[0])
		x = tm_cv_printf(cv, y, 0, -1, TM_A_BAD | TM_A_SEL, "%s (figures from before)",
				 m->h.error);
	else if (u->msg[0])
		x = tm_cv_put(cv, y, 0, -1, TM_A_HEAD, u->msg);
	else {
		hint = u->detail ? "Enter/Esc back  w window  h help  q quit"
				 : "h help  q quit  / filter  Enter detail  < > sort  w window";
		x = tm_cv_width(cv, hint);
	}
	snprintf(right, sizeof(right), "sort %s%s%s%.40s%s  %zu/%zu", tm_top_col_key(u->sort),
		 u->reverse ? " rev" : "", u->filter[0] ? "  filter '" : "", u->filter,
		 u->filter[0] ? "'" : "", u->norder, m->nrows);
	int rw = tm_cv_width(cv, right);
	if (!hint) {
		if (x + 2 + rw <= cv->w)
			tm_cv_put(cv, y, cv->w - rw, -1, TM_A_HEAD, right);
		return;
	}
	/* the hints give way to the sort and filter when both do not fit */
	if (x + 2 + rw > cv->w)
		hint = "h help  q quit";
	x = tm_cv_put(cv, y, 0, -1, TM_A_HEAD, hint);
	if (x + 2 + rw <= cv->w)
		tm_cv_put(cv, y, cv->w - rw, -1, TM_A_HEAD, right);
}

void tm_top_render(struct tm_top_canvas *cv, const struct tm_top_model *m, struct tm_top_ui *u,
		   const struct tm_top_detail *d)
{
	struct layout L;
	tm_cv_clear(cv);
	header(cv, m, u);
	int y = TM_TOP_HEADER_LINES;
	int last = u->batch ? cv->h : cv->h - 1; /* the status line */
	if (!u->batch && (u->help || u->detail)) {
		if (u->help)
			help(cv, y, last);
		else
			tm_top_render_detail(cv, y, last, m, u, d);
		status(cv, last, m, u);
		return;
	}
	lay_out(cv, m, u, &L);
	column_header(cv, y++, &L, u);
	if (u->batch && m->h.error[0])
		tm_cv_printf(cv, y++, 0, -1, TM_A_BAD, "%s (figures from before)", m->h.error);
	size_t page = last > y ? (size_t)(last - y) : 1;
	if (!u->batch) {
		u->page = page;
		if (u->sel < u->first)
			u->first = u->sel;
		if (u->sel >= u->first + page)
			u->first = u->sel + 1 - page;
	}
	size_t from = u->batch ? 0 : u->first;
	for (size_t i = from; i < u->norder && y < last; i++, y++) {
		uint8_t sel = !u->batch && i == u->sel ? TM_A_SEL : 0;
		if (sel)
			tm_cv_attr(cv, y, 0, cv->w, TM_A_SEL, 0);
		row(cv, y, &L, m, u, &m->rows[u->order[i]], sel);
	}
	if (!u->norder && y < last && m->nrows)
		tm_cv_put(cv, y, 0, -1, TM_A_DIM, "  no function matches the filter");
	else if (!u->norder && y < last && m->h.waiting)
		tm_cv_printf(cv, y, 0, -1, TM_A_WARN,
			     "  %u segments not ready or held by another collector (its --listen: "
			     "tmtop --connect)",
			     m->h.waiting);
	else if (!u->norder && y < last)
		tm_cv_put(cv, y, 0, -1, TM_A_DIM,
			  "  no monitored function yet (waiting for calls)");
	if (!u->batch)
		status(cv, last, m, u);
}
