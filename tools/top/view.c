/* SPDX-License-Identifier: MIT */
/* The view model (view.h): its arrays, the trend rule, filtering and
 * sorting into the order the renderer shows, and the formats of figures. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector.h"
#include "view.h"

const char *const tm_top_loss_names[TM_TOP_NLOSS] = {"overflowed", "noslot", "reentrant",
						     "depth",	   "nomem",  "corrupt"};

void tm_top_model_init(struct tm_top_model *m)
{
	memset(m, 0, sizeof(*m));
	m->interval_s = 1;
}

void tm_top_model_clear(struct tm_top_model *m)
{
	memset(&m->h, 0, sizeof(m->h));
	m->nrows = m->nprocs = m->npfn = m->nstuck = m->nalerts = 0;
	memset(m->total_ns, 0, sizeof(m->total_ns));
}

void tm_top_model_free(struct tm_top_model *m)
{
	free(m->rows);
	free(m->procs);
	free(m->pfn);
	free(m->stuck);
	free(m->alerts);
	tm_top_model_init(m);
}

/* One more zeroed element of an array of `size`-byte elements. */
static void *grow(void **arr, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *p = realloc(*arr, nc * size);
		if (!p)
			return NULL;
		*arr = p;
		*cap = nc;
	}
	char *e = (char *)*arr + (*n)++ * size;
	memset(e, 0, size);
	return e;
}

#define GROW(m, a, n, cap) grow((void **)&(m)->a, &(m)->n, &(m)->cap, sizeof(*(m)->a))

struct tm_top_row *tm_top_add_row(struct tm_top_model *m)
{
	struct tm_top_row *r = GROW(m, rows, nrows, caprows);
	if (r) {
		r->health = TM_H_UNKNOWN;
		for (unsigned w = 0; w < TM_TOP_W_COUNT; w++)
			tm_top_fig_na(&r->fig[w]);
	}
	return r;
}

struct tm_top_proc *tm_top_add_proc(struct tm_top_model *m)
{
	struct tm_top_proc *p = GROW(m, procs, nprocs, capprocs);
	if (p)
		p->cpu_pct = -1;
	return p;
}

struct tm_top_pfn *tm_top_add_pfn(struct tm_top_model *m)
{
	return GROW(m, pfn, npfn, cappfn);
}

struct tm_top_stuck *tm_top_add_stuck(struct tm_top_model *m)
{
	return GROW(m, stuck, nstuck, capstuck);
}

struct tm_top_alert *tm_top_add_alert(struct tm_top_model *m)
{
	return GROW(m, alerts, nalerts, capalerts);
}

void tm_top_model_done(struct tm_top_model *m)
{
	for (unsigned w = 0; w < TM_TOP_W_COUNT; w++) {
		m->total_ns[w] = 0;
		for (size_t i = 0; i < m->nrows; i++)
			if (!m->rows[i].blocking)
				m->total_ns[w] += m->rows[i].fig[w].sum_ns;
	}
}

void tm_top_detail_free(struct tm_top_detail *d)
{
	free(d->bins);
	memset(d, 0, sizeof(*d));
}

int tm_top_add_bin(struct tm_top_detail *d, uint64_t lo, uint64_t hi, uint64_t count)
{
	struct tm_top_bin *b = grow((void **)&d->bins, &d->nbins, &d->capbins, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->lo_ns = lo;
	b->hi_ns = hi;
	b->count = count;
	return 0;
}

void tm_top_fig_na(struct tm_top_fig *f)
{
	memset(f, 0, sizeof(*f));
	f->p50_ns = f->p99_ns = f->p999_ns = f->max_ns = TM_TOP_NA;
}

void tm_top_text(char *out, size_t len, const char *s)
{
	if (!len)
		return;
	tm_term_text(out, len, s ? s : "");
}

/* ---- the trend ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Median p99 of pts[from, to) over the seconds with one; 0 when fewer
 * than 3 have one. */
static uint64_t median_p99(const struct tm_top_pt *pts, size_t from, size_t to)
{
	uint64_t v[TM_TOP_SPARK * 2];
	size_t n = 0;
	for (size_t i = from; i < to && n < sizeof(v) / sizeof(v[0]); i++)
		if (pts[i].calls && pts[i].p99_ns != TM_TOP_NA)
			v[n++] = pts[i].p99_ns;
	if (n < 3)
		return 0;
	qsort(v, n, sizeof(v[0]), cmp_u64);
	return v[n / 2];
}

void tm_top_trend(const struct tm_top_pt *pts, size_t n, int rule, int *lat, int *err)
{
	*lat = *err = 0;
	if (n <= TM_TOP_RECENT_S)
		return;
	size_t cut = n - TM_TOP_RECENT_S;
	uint64_t before = median_p99(pts, 0, cut), recent = median_p99(pts, cut, n);
	if (before && recent && (double)recent > 1.5 * (double)before && recent > before + 1000)
		*lat = 1;
	if (!rule)
		return;
	uint64_t jb = 0, fb = 0, jr = 0, fr = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t j = pts[i].ok + pts[i].failed;
		if (i < cut) {
			jb += j;
			fb += pts[i].failed;
		} else {
			jr += j;
			fr += pts[i].failed;
		}
	}
	if (jb >= 20 && jr >= 20 && (double)fr / (double)jr - (double)fb / (double)jb >= 0.05)
		*err = 1;
}

/* ---- columns ---- */

static const struct {
	const char *title, *key;
} cols[TM_TOP_C_COUNT] = {
	[TM_TOP_C_NAME] = {"FUNCTION", "name"},	  [TM_TOP_C_RATE] = {"CALLS/S", "calls/s"},
	[TM_TOP_C_ERR] = {"ERR%", "err"},	  [TM_TOP_C_P50] = {"P50", "p50"},
	[TM_TOP_C_P99] = {"P99", "p99"},	  [TM_TOP_C_P999] = {"P99.9", "p99.9"},
	[TM_TOP_C_MAX] = {"MAX", "max"},	  [TM_TOP_C_CALLS] = {"CALLS", "calls"},
	[TM_TOP_C_TIME] = {"%TIME", "time"},	  [TM_TOP_C_INFL] = {"INFL", "inflight"},
	[TM_TOP_C_HEALTH] = {"HEALTH", "health"}, [TM_TOP_C_SPARK] = {"LAST 60s", "spark"},
};

const char *tm_top_col_title(enum tm_top_col c)
{
	return c < TM_TOP_C_COUNT ? cols[c].title : "?";
}

const char *tm_top_col_key(enum tm_top_col c)
{
	return c < TM_TOP_C_COUNT ? cols[c].key : "?";
}

int tm_top_col_parse(const char *s)
{
	for (int c = 0; c < TM_TOP_C_COUNT; c++)
		if (strcasecmp(s, cols[c].key) == 0 || strcasecmp(s, cols[c].title) == 0)
			return c;
	if (strcasecmp(s, "rate") == 0)
		return TM_TOP_C_RATE;
	if (strcasecmp(s, "p999") == 0)
		return TM_TOP_C_P999;
	return -1;
}

const char *tm_top_win_name(enum tm_top_win w, uint32_t interval_s, char *buf, size_t len)
{
	if (w == TM_TOP_W_INTERVAL)
		snprintf(buf, len, "last %us", interval_s ? interval_s : 1);
	else
		snprintf(buf, len, "%s", w == TM_TOP_W_1M ? "1 min" : "since start");
	return buf;
}

int tm_top_win_parse(const char *s)
{
	if (strcmp(s, "interval") == 0)
		return TM_TOP_W_INTERVAL;
	if (strcmp(s, "1m") == 0)
		return TM_TOP_W_1M;
	if (strcmp(s, "all") == 0 || strcmp(s, "start") == 0)
		return TM_TOP_W_ALL;
	return -1;
}

unsigned tm_top_interval_s(double delay_s)
{
	double s = delay_s + 0.5;
	return s < 1 ? 1 : s > 60 ? 60 : (unsigned)s;
}

/* ---- figures ---- */

double tm_top_rate(const struct tm_top_row *r, enum tm_top_win w)
{
	const struct tm_top_fig *f = &r->fig[w];
	return f->span_s ? (double)f->calls / (double)f->span_s : 0;
}

double tm_top_err_rate(const struct tm_top_row *r, enum tm_top_win w)
{
	const struct tm_top_fig *f = &r->fig[w];
	uint64_t j = f->ok + f->failed;
	return r->rule && j ? (double)f->failed / (double)j : -1;
}

double tm_top_time_share(const struct tm_top_model *m, const struct tm_top_row *r,
			 enum tm_top_win w)
{
	if (r->blocking)
		return -1; /* waiting is not cost: as the table's '*' rows */
	return m->total_ns[w] > 0 ? r->fig[w].sum_ns / m->total_ns[w] : 0;
}

void tm_top_fmt_ns(char *buf, size_t len, uint64_t ns)
{
	double v = (double)ns;
	if (ns == TM_TOP_NA)
		snprintf(buf, len, "-");
	else if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (v < 999.5e3)
		snprintf(buf, len,
			 v < 9.995e3   ? "%.2fus"
			 : v < 99.95e3 ? "%.1fus"
				       : "%.0fus",
			 v / 1e3);
	else if (v < 999.5e6)
		snprintf(buf, len,
			 v < 9.995e6   ? "%.2fms"
			 : v < 99.95e6 ? "%.1fms"
				       : "%.0fms",
			 v / 1e6);
	else
		snprintf(buf, len,
			 v < 9.995e9   ? "%.2fs"
			 : v < 99.95e9 ? "%.1fs"
				       : "%.0fs",
			 v / 1e9);
}

/* Exact when it fits width, else 1.23k / 12.3M / 123G. */
void tm_top_fmt_count(char *buf, size_t len, uint64_t n, unsigned width)
{
	static const char unit[] = "kMGTPE";
	int k = snprintf(buf, len, "%llu", (unsigned long long)n);
	if (k >= 0 && (unsigned)k <= width)
		return;
	double v = (double)n;
	unsigned u = 0;
	do {
		v /= 1000;
		u++;
	} while (v >= 999.5 && u < sizeof(unit) - 1);
	snprintf(buf, len, v < 9.995 ? "%.2f%c" : v < 99.95 ? "%.1f%c" : "%.0f%c", v, unit[u - 1]);
}

void tm_top_fmt_rate(char *buf, size_t len, double per_s)
{
	if (per_s < 999.95)
		snprintf(buf, len, "%.1f", per_s);
	else if (per_s < 999.5e3)
		snprintf(buf, len, per_s < 9.995e3 ? "%.2fk" : "%.1fk", per_s / 1e3);
	else
		snprintf(buf, len, per_s < 9.995e6 ? "%.2fM" : "%.1fM", per_s / 1e6);
}

void tm_top_fmt_bytes(char *buf, size_t len, uint64_t b)
{
	double v = (double)b;
	if (v < 1024)
		snprintf(buf, len, "%lluB", (unsigned long long)b);
	else if (v < 1024.0 * 1024)
		snprintf(buf, len, "%.1fK", v / 1024);
	else if (v < 1024.0 * 1024 * 1024)
		snprintf(buf, len, "%.1fM", v / 1024 / 1024);
	else
		snprintf(buf, len, "%.2fG", v / 1024 / 1024 / 1024);
}

/* ---- the order ---- */

void tm_top_ui_init(struct tm_top_ui *u)
{
	memset(u, 0, sizeof(*u));
	u->sort = TM_TOP_C_RATE;
	u->win = TM_TOP_W_1M;
	u->delay_s = 1;
	u->page = 1;
}

void tm_top_ui_free(struct tm_top_ui *u)
{
	free(u->order);
	u->order = NULL;
	u->norder = u->caporder = 0;
}

/* case-insensitive substring */
static int has(const char *hay, const char *needle)
{
	return !*needle || strcasestr(hay, needle) != NULL;
}

static int pid_matches(const struct tm_top_model *m, size_t row, long pid)
{
	for (size_t i = 0; i < m->npfn; i++)
		if (m->pfn[i].row == row && m->pfn[i].proc < m->nprocs &&
		    m->procs[m->pfn[i].proc].pid == pid)
			return 1;
	return 0;
}

static int word_matches(const struct tm_top_model *m, size_t row, const char *w)
{
	const struct tm_top_row *r = &m->rows[row];
	if (strncmp(w, "fn:", 3) == 0)
		return has(r->name, w + 3);
	if (strncmp(w, "obj:", 4) == 0)
		return has(r->object, w + 4);
	if (strncmp(w, "session:", 8) == 0)
		return has(r->session, w + 8);
	if (strncmp(w, "pid:", 4) == 0) {
		char *end;
		long pid = strtol(w + 4, &end, 10);
		return *end == '\0' && end != w + 4 && pid_matches(m, row, pid);
	}
	return has(r->name, w) || has(r->object, w);
}

int tm_top_row_matches(const struct tm_top_model *m, size_t row, const char *filter)
{
	char buf[sizeof(((struct tm_top_ui *)0)->filter)], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", filter ? filter : "");
	for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		if (!word_matches(m, row, w))
			return 0;
	return 1;
}

/* The order worst first: a sort on health puts these on top. */
static int health_rank(enum tm_health h)
{
	switch (h) {
	case TM_H_UNHEALTHY: return 4;
	case TM_H_DEGRADED: return 3;
	case TM_H_UNKNOWN: return 2;
	case TM_H_MAINTENANCE: return 1;
	default: return 0;
	}
}

struct sort_ctx {
	const struct tm_top_model *m;
	const struct tm_top_ui *u;
};

/* A column's value for sorting; larger first. Unknown sorts last. */
static double sort_value(const struct sort_ctx *x, const struct tm_top_row *r)
{
	enum tm_top_win w = x->u->win;
	const struct tm_top_fig *f = &r->fig[w];
	uint64_t v;
	switch (x->u->sort) {
	case TM_TOP_C_RATE: return tm_top_rate(r, w);
	case TM_TOP_C_ERR: return tm_top_err_rate(r, w);
	case TM_TOP_C_P50: v = f->p50_ns; break;
	case TM_TOP_C_P99: v = f->p99_ns; break;
	case TM_TOP_C_P999: v = f->p999_ns; break;
	case TM_TOP_C_MAX: v = f->max_ns; break;
	case TM_TOP_C_CALLS: return (double)r->calls;
	case TM_TOP_C_TIME: return tm_top_time_share(x->m, r, w);
	case TM_TOP_C_INFL: return (double)r->in_flight;
	case TM_TOP_C_HEALTH: return health_rank(r->health);
	case TM_TOP_C_SPARK: {
		uint64_t s = 0;
		for (uint32_t i = 0; i < r->nspark; i++)
			s += r->spark[TM_TOP_SPARK - r->nspark + i];
		return (double)s;
	}
	default: return 0;
	}
	return v == TM_TOP_NA ? -1 : (double)v;
}

static int by_column(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *x = arg;
	const struct tm_top_row *ra = &x->m->rows[*(const size_t *)a];
	const struct tm_top_row *rb = &x->m->rows[*(const size_t *)b];
	int c = 0;
	if (x->u->sort != TM_TOP_C_NAME) {
		double va = sort_value(x, ra), vb = sort_value(x, rb);
		c = va > vb ? -1 : va < vb;
	}
	if (!c)
		c = strcmp(ra->name, rb->name);
	if (!c)
		c = strcmp(ra->session, rb->session);
	return x->u->reverse ? -c : c;
}

long tm_top_selected(const struct tm_top_model *m, const struct tm_top_ui *u)
{
	(void)m;
	return u->sel < u->norder ? (long)u->order[u->sel] : -1;
}

int tm_top_view_update(const struct tm_top_model *m, struct tm_top_ui *u)
{
	if (m->nrows > u->caporder) {
		size_t *o = realloc(u->order, m->nrows * sizeof(*o));
		if (!o)
			return -ENOMEM;
		u->order = o;
		u->caporder = m->nrows;
	}
	u->norder = 0;
	for (size_t i = 0; i < m->nrows; i++)
		if (tm_top_row_matches(m, i, u->filter))
			u->order[u->norder++] = i;
	struct sort_ctx x = {m, u};
	if (u->norder > 1)
		qsort_r(u->order, u->norder, sizeof(*u->order), by_column, &x);
	if (u->follow && u->sel_name[0]) {
		for (size_t i = 0; i < u->norder; i++) {
			const struct tm_top_row *r = &m->rows[u->order[i]];
			if (strcmp(r->name, u->sel_name) == 0 &&
			    strcmp(r->session, u->sel_session) == 0) {
				u->sel = i;
				break;
			}
		}
	}
	if (u->sel >= u->norder)
		u->sel = u->norder ? u->norder - 1 : 0;
	if (u->norder && u->follow) {
		const struct tm_top_row *r = &m->rows[u->order[u->sel]];
		snprintf(u->sel_name, sizeof(u->sel_name), "%s", r->name);
		snprintf(u->sel_session, sizeof(u->sel_session), "%s", r->session);
	}
	if (!u->page)
		u->page = 1;
	if (u->sel < u->first)
		u->first = u->sel;
	if (u->sel >= u->first + u->page)
		u->first = u->sel + 1 - u->page;
	if (u->first + u->page > u->norder)
		u->first = u->norder > u->page ? u->norder - u->page : 0;
	return 0;
}
