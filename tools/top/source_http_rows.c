/* SPDX-License-Identifier: MIT */
/* tmtop --connect, per row: /api/v1/series?window=1m for the rows on
 * screen (at most SERIES_MAX a refresh: the sparkline, the trend, the last
 * interval and the 1-minute max); rows without a series get the last
 * interval's counts from the difference of two summaries. The detail pane:
 * errors from the last summary, the histogram from /metrics (whole run,
 * at the resolution of its Prometheus buckets). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "source_http.h"

#define SERIES_MAX 64 /* rows whose series is fetched per refresh */

/* The series' last points into r: sparkline, trend, interval, 1m max. */
static void series_into(const json_t *doc, struct tm_top_row *r, unsigned isec)
{
	const json_t *pts = json_object_get(doc, "points");
	size_t all = json_array_size(pts), n = all < TM_TOP_SPARK ? all : TM_TOP_SPARK;
	struct tm_top_pt t[TM_TOP_SPARK];
	struct tm_top_fig *f = &r->fig[TM_TOP_W_INTERVAL];
	uint64_t mx = TM_TOP_NA;
	tm_top_fig_na(f);
	f->span_s = (uint32_t)(n < isec ? n : isec);
	r->nspark = (uint32_t)n;
	for (size_t k = 0; k < n; k++) {
		const json_t *p = json_array_get(pts, all - n + k);
		uint64_t calls = tm_top_ju64(json_object_get(p, "calls"), 0);
		uint64_t timed = tm_top_ju64(json_object_get(p, "timed"), 0);
		uint64_t pmax = tm_top_ju64(json_object_get(p, "max_ns"), TM_TOP_NA);
		r->spark[TM_TOP_SPARK - n + k] = calls > UINT32_MAX ? UINT32_MAX : (uint32_t)calls;
		t[k] = (struct tm_top_pt){calls, tm_top_ju64(json_object_get(p, "ok"), 0),
					  tm_top_ju64(json_object_get(p, "failed"), 0),
					  tm_top_ju64(json_object_get(p, "p99_ns"), TM_TOP_NA)};
		if (pmax != TM_TOP_NA && (mx == TM_TOP_NA || pmax > mx))
			mx = pmax;
		if (k + f->span_s < n)
			continue;
		/* the last interval: sums, and the worst second's percentiles */
		f->calls += calls;
		f->ok += t[k].ok;
		f->failed += t[k].failed;
		f->sum_ns += tm_top_jnum(json_object_get(p, "mean_ns"), 0) * (double)timed;
		uint64_t p50 = tm_top_ju64(json_object_get(p, "p50_ns"), TM_TOP_NA);
		if (p50 != TM_TOP_NA && (f->p50_ns == TM_TOP_NA || p50 > f->p50_ns))
			f->p50_ns = p50;
		if (t[k].p99_ns != TM_TOP_NA && (f->p99_ns == TM_TOP_NA || t[k].p99_ns > f->p99_ns))
			f->p99_ns = t[k].p99_ns;
		if (pmax != TM_TOP_NA && (f->max_ns == TM_TOP_NA || pmax > f->max_ns))
			f->max_ns = pmax;
	}
	r->fig[TM_TOP_W_1M].max_ns = mx;
	tm_top_trend(t, n, r->rule, &r->rising_lat, &r->rising_err);
}

static int series(struct tm_top_http *h, struct tm_top_row *r, unsigned isec)
{
	char path[2048], err[256];
	char *fn = curl_easy_escape(h->curl, r->key, 0);
	char *se = curl_easy_escape(h->curl, r->session, 0);
	if (!fn || !se) {
		curl_free(fn);
		curl_free(se);
		return -ENOMEM;
	}
	snprintf(path, sizeof(path), "/api/v1/series?function=%s&window=1m&session=%s", fn, se);
	curl_free(fn);
	curl_free(se);
	json_t *doc = tm_top_http_json(h, path, err, sizeof(err));
	if (!doc)
		return -EIO;
	series_into(doc, r, isec);
	json_decref(doc);
	return 0;
}

/* The last interval of a row without a series: the counts since the
 * previous summary. */
static void by_delta(struct tm_top_row *r, const struct tm_top_row *p, uint64_t dt_ns)
{
	struct tm_top_fig *f = &r->fig[TM_TOP_W_INTERVAL];
	const struct tm_top_fig *a = &r->fig[TM_TOP_W_ALL], *b = &p->fig[TM_TOP_W_ALL];
	tm_top_fig_na(f);
	f->span_s = (uint32_t)((dt_ns + 500000000ull) / 1000000000ull);
	if (!f->span_s)
		f->span_s = 1;
	f->calls = a->calls >= b->calls ? a->calls - b->calls : 0;
	f->ok = a->ok >= b->ok ? a->ok - b->ok : 0;
	f->failed = a->failed >= b->failed ? a->failed - b->failed : 0;
	f->sum_ns = a->sum_ns >= b->sum_ns ? a->sum_ns - b->sum_ns : 0;
}

static int by_calls_1m(const void *a, const void *b, void *arg)
{
	const struct tm_top_model *m = arg;
	uint64_t x = m->rows[*(const size_t *)a].fig[TM_TOP_W_1M].calls;
	uint64_t y = m->rows[*(const size_t *)b].fig[TM_TOP_W_1M].calls;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* Which rows get a series: those on screen now, then the busiest. */
static void choose(const struct tm_top_model *m, const struct tm_top_model *prev,
		   const struct tm_top_ui *u, const struct tm_top_keyidx *k, char *want)
{
	size_t n = 0;
	if (prev && u && u->order) {
		size_t end = u->first + u->page < u->norder ? u->first + u->page : u->norder;
		for (size_t i = u->first; i <= end && n < SERIES_MAX; i++) {
			size_t pi = i < end ? i : u->sel; /* and the selection */
			if (pi >= u->norder || u->order[pi] >= prev->nrows)
				continue;
			const struct tm_top_row *pr = &prev->rows[u->order[pi]];
			long row = tm_top_keyidx_find(k, pr->key, pr->session);
			if (row >= 0 && !want[row]) {
				want[row] = 1;
				n++;
			}
		}
	}
	size_t *ix = malloc((m->nrows ? m->nrows : 1) * sizeof(*ix));
	if (!ix)
		return;
	for (size_t i = 0; i < m->nrows; i++)
		ix[i] = i;
	qsort_r(ix, m->nrows, sizeof(*ix), by_calls_1m, (void *)m);
	for (size_t i = 0; i < m->nrows && n < SERIES_MAX; i++)
		if (!want[ix[i]]) {
			want[ix[i]] = 1;
			n++;
		}
	free(ix);
}

static int http_refresh(struct tm_top_src *s, struct tm_top_model *m,
			const struct tm_top_model *prev, const struct tm_top_ui *u, char *err,
			size_t errlen)
{
	struct tm_top_http *h = (struct tm_top_http *)s;
	tm_top_model_clear(m);
	m->interval_s = tm_top_interval_s(u ? u->delay_s : 1);
	json_t *doc = tm_top_http_json(h, "/api/v1/summary", err, errlen);
	if (!doc)
		return -EIO;
	int ret = tm_top_http_summary(h, doc, m, err, errlen);
	if (ret < 0) {
		json_decref(doc);
		return ret;
	}
	json_decref(h->last);
	h->last = doc;
	struct tm_top_keyidx k = {0}, pk = {0};
	char *want = calloc(m->nrows ? m->nrows : 1, 1);
	if (!want || tm_top_keyidx_build(&k, m) < 0 ||
	    (prev && tm_top_keyidx_build(&pk, prev) < 0)) {
		free(want);
		free(k.ix);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	choose(m, prev, u, &k, want);
	uint64_t dt =
		prev && m->h.uptime_ns > prev->h.uptime_ns ? m->h.uptime_ns - prev->h.uptime_ns : 0;
	for (size_t i = 0; i < m->nrows; i++) {
		struct tm_top_row *r = &m->rows[i];
		if (want[i] && series(h, r, m->interval_s) == 0)
			continue;
		long p = prev && !r->nspark ? tm_top_keyidx_find(&pk, r->key, r->session) : -1;
		if (p >= 0 && dt) /* a collector that writes no `seconds` */
			by_delta(r, &prev->rows[p], dt);
	}
	free(want);
	free(k.ix);
	free(pk.ix);
	tm_top_model_done(m);
	return 0;
}

/* ---- the detail pane ---- */

static int by_count(const void *a, const void *b)
{
	const struct tm_top_err *x = a, *y = b;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->name, y->name);
}

static void errors_of(const json_t *sym, struct tm_top_detail *d)
{
	struct tm_top_err all[256];
	size_t n = 0;
	const char *name;
	const json_t *v;
	json_object_foreach((json_t *)json_object_get(sym, "errors"), name, v)
	{
		uint64_t c = tm_top_ju64(v, 0);
		if (n == sizeof(all) / sizeof(all[0])) {
			d->err_more += c;
			continue;
		}
		tm_top_text(all[n].name, sizeof(all[n].name), name);
		snprintf(all[n].category, sizeof(all[n].category), "%s", tm_code_category(name));
		all[n++].count = c;
	}
	qsort(all, n, sizeof(all[0]), by_count);
	for (size_t i = 0; i < n; i++) {
		if (i < TM_TOP_DERRS)
			d->err[d->nerr++] = all[i];
		else
			d->err_more += all[i].count;
	}
}

/* The summary's sparse whole-run histogram ([value_ns, count], the
 * model's buckets: each value names its bucket). 0 when it has none. */
static int summary_hist(const json_t *sym, struct tm_top_detail *d)
{
	const json_t *h = json_object_get(sym, "histogram"), *pair;
	size_t i;
	if (!json_array_size(h))
		return 0;
	json_array_foreach(h, i, pair)
	{
		uint64_t v = tm_top_ju64(json_array_get(pair, 0), TM_TOP_NA);
		uint64_t n = tm_top_ju64(json_array_get(pair, 1), 0);
		if (v == TM_TOP_NA || !n)
			continue;
		unsigned idx = tm_wh_index(v), g = idx / TM_WH_SUB, sub = idx % TM_WH_SUB;
		uint64_t lo = g ? ((uint64_t)(TM_WH_SUB + sub)) << (g - 1) : sub;
		uint64_t hi = g ? lo + (1ull << (g - 1)) - 1 : lo;
		if (d->nbins && lo <= d->bins[d->nbins - 1].hi_ns)
			return -EPROTO; /* not ascending */
		if (tm_top_add_bin(d, lo, hi, n) < 0)
			return -ENOMEM;
	}
	snprintf(d->hist_what, sizeof(d->hist_what), "whole run");
	return 1;
}

/* A label value at *p (after the opening quote), unescaped into out;
 * *p moves past the closing quote. -1 when malformed. */
static int label_value(const char **p, char *out, size_t len)
{
	size_t o = 0;
	const char *s = *p;
	for (; *s && *s != '"' && *s != '\n'; s++) {
		char c = *s;
		if (c == '\\') {
			c = *++s;
			if (c == 'n')
				c = '\n';
			else if (c != '\\' && c != '"')
				return -1;
		}
		if (o + 1 < len)
			out[o++] = c;
	}
	out[o] = '\0';
	if (*s != '"')
		return -1;
	*p = s + 1;
	return 0;
}

struct le {
	double bound_s;
	double cum;
};

/* One `tm_call_duration_seconds_bucket{...} N` line of r's: its le and
 * count into *e (1), or 0 for any other line. */
static int bucket_line(const char *line, const struct tm_top_row *r, struct le *e)
{
	static const char pre[] = "tm_call_duration_seconds_bucket{";
	if (strncmp(line, pre, sizeof(pre) - 1) != 0)
		return 0;
	const char *p = line + sizeof(pre) - 1;
	char fn[TM_TOP_KEY], sess[80] = "", v[TM_TOP_KEY], le[32] = "";
	int match = 0;
	fn[0] = '\0';
	while (*p && *p != '}') {
		const char *eq = strchr(p, '=');
		if (!eq || eq[1] != '"')
			return 0;
		size_t kl = (size_t)(eq - p);
		const char *q = eq + 2;
		if (label_value(&q, v, sizeof(v)) < 0)
			return 0;
		if (kl == 8 && strncmp(p, "function", 8) == 0)
			snprintf(fn, sizeof(fn), "%s", v);
		else if (kl == 7 && strncmp(p, "session", 7) == 0)
			tm_top_text(sess, sizeof(sess), v);
		else if (kl == 2 && strncmp(p, "le", 2) == 0)
			snprintf(le, sizeof(le), "%.31s", v);
		p = *q == ',' ? q + 1 : q;
	}
	match = *p == '}' && strcmp(fn, r->key) == 0 && strcmp(sess, r->session) == 0 && le[0];
	if (!match)
		return 0;
	char *end;
	e->bound_s = strtod(le, &end);
	e->cum = strtod(p + 1, NULL);
	return *end == '\0' && e->cum >= 0 && e->cum < 1e19;
}

static int by_bound(const void *a, const void *b)
{
	const struct le *x = a, *y = b;
	return x->bound_s < y->bound_s ? -1 : x->bound_s > y->bound_s;
}

static int histogram_of(struct tm_top_http *h, const struct tm_top_row *r, struct tm_top_detail *d,
			char *err, size_t errlen)
{
	struct le e[64];
	size_t n = 0;
	if (tm_top_http_get(h, "/metrics", err, errlen) < 0)
		return -EIO;
	for (char *line = h->body.buf, *nl; line && *line && n < 64; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		n += (size_t)bucket_line(line, r, &e[n]);
	}
	qsort(e, n, sizeof(e[0]), by_bound);
	double prev_cum = 0;
	uint64_t lo = 0, mx = r->fig[TM_TOP_W_ALL].max_ns;
	for (size_t i = 0; i < n; i++) {
		uint64_t hi = isinf(e[i].bound_s)      ? (mx != TM_TOP_NA && mx > lo ? mx : lo * 2)
			      : e[i].bound_s * 1e9 > 0 ? (uint64_t)llround(e[i].bound_s * 1e9)
						       : 0;
		double c = e[i].cum - prev_cum;
		if (c >= 1 && tm_top_add_bin(d, lo, hi, (uint64_t)c) < 0)
			return -ENOMEM;
		prev_cum = e[i].cum > prev_cum ? e[i].cum : prev_cum;
		lo = hi + 1;
	}
	snprintf(d->hist_what, sizeof(d->hist_what), "whole run, Prometheus buckets");
	return 0;
}

static int http_detail(struct tm_top_src *s, const struct tm_top_model *m,
		       const struct tm_top_row *r, enum tm_top_win w, struct tm_top_detail *d,
		       char *err, size_t errlen)
{
	struct tm_top_http *h = (struct tm_top_http *)s;
	(void)m;
	(void)w; /* /metrics holds the whole run only */
	d->nbins = d->nerr = 0;
	d->err_more = 0;
	d->have = 0;
	snprintf(d->name, sizeof(d->name), "%s", r->name);
	snprintf(d->session, sizeof(d->session), "%s", r->session);
	const json_t *sym = tm_top_http_sym(h->last, r);
	errors_of(sym, d);
	int ret = summary_hist(sym, d);
	if (ret <= 0) { /* an older collector: its Prometheus buckets */
		d->nbins = 0;
		ret = histogram_of(h, r, d, err, errlen);
	} else {
		ret = 0;
	}
	d->have = ret == 0;
	return ret;
}

static void http_free(struct tm_top_src *s)
{
	struct tm_top_http *h = (struct tm_top_http *)s;
	curl_easy_cleanup(h->curl);
	json_decref(h->last);
	free(h->body.buf);
	free(h);
}

/* HOST:PORT, [V6]:PORT or :PORT (127.0.0.1) into an http:// URL. */
static int parse_hostport(const char *s, char *url, size_t len)
{
	const char *colon = strrchr(s, ':');
	if (!colon || !colon[1] || strlen(s) > 150)
		return -1;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return -1;
	size_t hl = (size_t)(colon - s);
	if (!hl) {
		snprintf(url, len, "http://127.0.0.1:%ld", port);
		return 0;
	}
	for (size_t i = 0; i < hl; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
			return -1;
	}
	snprintf(url, len, "http://%.*s:%ld", (int)hl, s, port);
	return 0;
}

struct tm_top_src *tm_top_src_http(const char *hostport, char *err, size_t errlen)
{
	struct tm_top_http *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	tm_top_text(h->hostport, sizeof(h->hostport), hostport);
	if (parse_hostport(hostport, h->url, sizeof(h->url)) < 0) {
		snprintf(err, errlen, "--connect %s: expected HOST:PORT", h->hostport);
		free(h);
		return NULL;
	}
	h->curl = curl_easy_init();
	if (!h->curl) {
		snprintf(err, errlen, "cannot initialise libcurl");
		free(h);
		return NULL;
	}
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(h->curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "tmtop");
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, tm_top_http_write);
	h->src.refresh = http_refresh;
	h->src.detail = http_detail;
	h->src.free = http_free;
	return &h->src;
}
