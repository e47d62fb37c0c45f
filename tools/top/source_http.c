/* SPDX-License-Identifier: MIT */
/* tmtop --connect: the transport (one keep-alive libcurl handle, short
 * timeouts, a cap on the answer's size) and /api/v1/summary into the view
 * model. Whatever the server sends is checked before it is used, and every
 * text is made terminal-safe on the way in. The rows' series and the
 * detail pane: source_http_rows.c. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "source.h"
#include "source_http.h"

#define BODY_MAX (256u << 20) /* a summary of 16 384 functions fits */

size_t tm_top_http_write(char *p, size_t size, size_t n, void *arg)
{
	struct tm_top_body *b = arg;
	size_t len = size * n;
	if (b->len + len + 1 > BODY_MAX)
		return 0; /* curl fails the transfer: CURLE_WRITE_ERROR */
	if (b->len + len + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 65536;
		while (nc < b->len + len + 1)
			nc *= 2;
		char *q = realloc(b->buf, nc);
		if (!q)
			return 0;
		b->buf = q;
		b->cap = nc;
	}
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return len;
}

int tm_top_http_get(struct tm_top_http *h, const char *path, char *err, size_t errlen)
{
	char url[2048], cerr[CURL_ERROR_SIZE] = "";
	long code = 0;
	snprintf(url, sizeof(url), "%s%s", h->url, path);
	h->body.len = 0;
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &h->body);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, cerr);
	CURLcode rc = curl_easy_perform(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, NULL);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s: %s", h->hostport,
			 rc == CURLE_WRITE_ERROR ? "answer too large"
			 : cerr[0]		 ? cerr
						 : curl_easy_strerror(rc));
		return -EIO;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		char p[64];
		tm_top_text(p, sizeof(p), path);
		snprintf(err, errlen, "%s%s: HTTP %ld", h->hostport, p, code);
		return code == 404 ? -ENOENT : -EIO;
	}
	if (!h->body.buf) /* an empty answer: an empty string */
		tm_top_http_write("", 1, 0, &h->body);
	if (!h->body.buf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

json_t *tm_top_http_json(struct tm_top_http *h, const char *path, char *err, size_t errlen)
{
	if (tm_top_http_get(h, path, err, errlen) < 0)
		return NULL;
	json_error_t je;
	json_t *j = json_loadb(h->body.buf, h->body.len, JSON_REJECT_DUPLICATES, &je);
	if (!j || !json_is_object(j)) {
		char p[64], why[160];
		tm_top_text(p, sizeof(p), path);
		tm_top_text(why, sizeof(why), j ? "not a JSON object" : je.text);
		snprintf(err, errlen, "%s%s: not the collector's JSON (%s)", h->hostport, p, why);
		json_decref(j);
		return NULL;
	}
	return j;
}

/* A count or ns from the server: never negative, never past 2^63. */
uint64_t tm_top_ju64(const json_t *v, uint64_t dflt)
{
	if (json_is_integer(v))
		return json_integer_value(v) >= 0 ? (uint64_t)json_integer_value(v) : dflt;
	if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 9.2e18)
		return (uint64_t)json_real_value(v);
	return dflt;
}

double tm_top_jnum(const json_t *v, double dflt)
{
	return json_is_number(v) ? json_number_value(v) : dflt;
}

const char *tm_top_jstr(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

static enum tm_health health_of(const json_t *h)
{
	const char *s = tm_top_jstr(json_object_get(h, "state"));
	for (int i = 0; i < TM_H_COUNT; i++)
		if (strcmp(s, tm_health_name((enum tm_health)i)) == 0)
			return (enum tm_health)i;
	return TM_H_UNKNOWN;
}

static void fig_of(const json_t *o, struct tm_top_fig *f, uint32_t span, double sum_ns)
{
	tm_top_fig_na(f);
	f->span_s = span;
	f->calls = tm_top_ju64(json_object_get(o, "calls"), 0);
	f->ok = tm_top_ju64(json_object_get(o, "ok"), 0);
	f->failed = tm_top_ju64(json_object_get(o, "failed"), 0);
	f->sum_ns = sum_ns;
	f->p50_ns = tm_top_ju64(json_object_get(o, "p50_ns"), TM_TOP_NA);
	f->p99_ns = tm_top_ju64(json_object_get(o, "p99_ns"), TM_TOP_NA);
	f->p999_ns = tm_top_ju64(json_object_get(o, "p999_ns"), TM_TOP_NA);
	f->max_ns = tm_top_ju64(json_object_get(o, "max_ns"), TM_TOP_NA);
}

/* The summary's last sealed seconds, where the collector writes them
 * (`seconds`): the sparkline, the trend and the last interval's counts of
 * every row, whichever rows the series requests cover. */
static void seconds_of(const json_t *sec, struct tm_top_row *r, unsigned isec)
{
	const json_t *calls = json_object_get(sec, "calls"),
		     *failed = json_object_get(sec, "failed");
	const json_t *p99 = json_object_get(sec, "p99_ns");
	size_t all = json_array_size(calls), n = all < TM_TOP_SPARK ? all : TM_TOP_SPARK;
	if (!n || json_array_size(failed) != all || json_array_size(p99) != all)
		return;
	struct tm_top_pt t[TM_TOP_SPARK];
	struct tm_top_fig *f = &r->fig[TM_TOP_W_INTERVAL];
	const struct tm_top_fig *a = &r->fig[TM_TOP_W_ALL];
	tm_top_fig_na(f);
	f->span_s = (uint32_t)(n < isec ? n : isec);
	r->nspark = (uint32_t)n;
	for (size_t k = 0; k < n; k++) {
		uint64_t c = tm_top_ju64(json_array_get(calls, all - n + k), 0);
		uint64_t fl = tm_top_ju64(json_array_get(failed, all - n + k), 0);
		uint64_t q = tm_top_ju64(json_array_get(p99, all - n + k), TM_TOP_NA);
		fl = fl < c ? fl : c;
		r->spark[TM_TOP_SPARK - n + k] = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
		t[k] = (struct tm_top_pt){c, r->rule ? c - fl : 0, fl, q};
		if (k + f->span_s < n)
			continue;
		f->calls += c;
		f->ok += t[k].ok;
		f->failed += fl;
		if (q != TM_TOP_NA && (f->p99_ns == TM_TOP_NA || q > f->p99_ns))
			f->p99_ns = q; /* the worst second's */
	}
	/* time: the calls at the run's mean */
	f->sum_ns = a->calls ? a->sum_ns * (double)f->calls / (double)a->calls : 0;
	tm_top_trend(t, n, r->rule, &r->rising_lat, &r->rising_err);
}

static int row_of(const json_t *s, uint64_t dur_s, struct tm_top_row *r)
{
	const json_t *name = json_object_get(s, "name");
	if (!json_is_string(name) || json_is_true(json_object_get(s, "pattern")))
		return -1;
	snprintf(r->key, sizeof(r->key), "%s", json_string_value(name));
	tm_top_text(r->name, sizeof(r->name), r->key);
	tm_top_text(r->object, sizeof(r->object), tm_top_jstr(json_object_get(s, "object")));
	tm_top_text(r->session, sizeof(r->session), tm_top_jstr(json_object_get(s, "session")));
	r->rule = json_is_true(json_object_get(s, "rule"));
	r->blocking = json_is_true(json_object_get(s, "blocking"));
	r->inner = tm_top_ju64(json_object_get(s, "inner_calls"), 0) > 0;
	r->calls = tm_top_ju64(json_object_get(s, "calls"), 0);
	r->in_flight = tm_top_ju64(json_object_get(s, "in_flight"), 0);
	r->oldest_ns = tm_top_ju64(json_object_get(s, "oldest_in_flight_ns"), 0);
	r->health = health_of(json_object_get(s, "health"));
	fig_of(s, &r->fig[TM_TOP_W_ALL], (uint32_t)(dur_s ? dur_s : 1),
	       (double)tm_top_ju64(json_object_get(s, "total_ns"), 0));
	const json_t *w = json_object_get(json_object_get(s, "windows"), "1m");
	struct tm_top_fig *f = &r->fig[TM_TOP_W_1M];
	fig_of(w, f, (uint32_t)tm_top_ju64(json_object_get(w, "span_s"), 0), 0);
	f->sum_ns = tm_top_jnum(json_object_get(w, "mean_ns"), 0) * (double)f->calls;
	f->max_ns = TM_TOP_NA; /* from the series, when fetched */
	return 0;
}

/* The summary's entry of row r (name as the server spells it, session). */
const json_t *tm_top_http_sym(const json_t *doc, const struct tm_top_row *r)
{
	size_t i;
	const json_t *s;
	json_array_foreach(json_object_get(doc, "symbols"), i, s)
	{
		char sess[80];
		tm_top_text(sess, sizeof(sess), tm_top_jstr(json_object_get(s, "session")));
		if (strcmp(tm_top_jstr(json_object_get(s, "name")), r->key) == 0 &&
		    strcmp(sess, r->session) == 0)
			return s;
	}
	return NULL;
}

static int key_cmp(const struct tm_top_row *r, const char *key, const char *sess)
{
	int c = strcmp(r->key, key);
	return c ? c : strcmp(r->session, sess);
}

static int ix_cmp(const void *a, const void *b, void *arg)
{
	const struct tm_top_model *m = arg;
	const struct tm_top_row *y = &m->rows[*(const size_t *)b];
	return key_cmp(&m->rows[*(const size_t *)a], y->key, y->session);
}

int tm_top_keyidx_build(struct tm_top_keyidx *k, const struct tm_top_model *m)
{
	k->m = m;
	k->n = m->nrows;
	k->ix = malloc((m->nrows ? m->nrows : 1) * sizeof(*k->ix));
	if (!k->ix)
		return -ENOMEM;
	for (size_t i = 0; i < m->nrows; i++)
		k->ix[i] = i;
	qsort_r(k->ix, k->n, sizeof(*k->ix), ix_cmp, (void *)m);
	return 0;
}

/* session "" matches the first row of that name. */
long tm_top_keyidx_find(const struct tm_top_keyidx *k, const char *key, const char *sess)
{
	size_t lo = 0, hi = k->n;
	char s[80];
	tm_top_text(s, sizeof(s), sess);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct tm_top_row *r = &k->m->rows[k->ix[mid]];
		int c = s[0] ? key_cmp(r, key, s) : strcmp(r->key, key);
		if (c == 0 && !s[0])
			while (mid > lo && strcmp(k->m->rows[k->ix[mid - 1]].key, key) == 0)
				mid--;
		if (c == 0)
			return (long)k->ix[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int procs_of(const json_t *procs, struct tm_top_model *m, const struct tm_top_keyidx *k)
{
	struct tm_top_header *h = &m->h;
	size_t i;
	const json_t *p;
	double cpu = 0;
	int have_cpu = 0;
	json_array_foreach(procs, i, p)
	{
		struct tm_top_proc *tp = tm_top_add_proc(m);
		if (!tp)
			return -ENOMEM;
		const json_t *argv = json_object_get(p, "argv");
		const char *exe = json_array_size(argv) ? tm_top_jstr(json_array_get(argv, 0))
							: tm_top_jstr(json_object_get(p, "exe"));
		const char *base = strrchr(exe, '/');
		tm_top_text(tp->exe, sizeof(tp->exe), base ? base + 1 : exe);
		tp->pid = (int32_t)tm_top_jnum(json_object_get(p, "pid"), 0);
		tm_top_text(tp->status, sizeof(tp->status),
			    tm_top_jstr(json_object_get(p, "status")));
		tp->exit_code = (int)tm_top_jnum(json_object_get(p, "exit_code"), 0);
		tp->calls = tm_top_ju64(json_object_get(p, "calls"), 0);
		tp->failed = tm_top_ju64(json_object_get(p, "failed"), 0);
		int running = strcmp(tp->status, "running") == 0;
		h->running += running;
		h->exited += strcmp(tp->status, "exited") == 0;
		h->crashed += strcmp(tp->status, "crashed") == 0;
		h->execd += strcmp(tp->status, "exec") == 0;
		const json_t *w = json_object_get(json_object_get(p, "windows"), "10s");
		if (running && json_is_object(w)) {
			tp->cpu_pct = tm_top_jnum(json_object_get(w, "cpu_user_percent"), 0) +
				      tm_top_jnum(json_object_get(w, "cpu_system_percent"), 0);
			cpu += tp->cpu_pct;
			have_cpu = 1;
		}
		const json_t *res = json_object_get(p, "resources");
		if (running && json_is_object(res)) {
			tp->rss_bytes = tm_top_ju64(json_object_get(res, "rss_bytes"), 0);
			h->rss_bytes += tp->rss_bytes;
		}
		const char *sess = tm_top_jstr(json_object_get(p, "session"));
		const char *name;
		const json_t *v;
		json_object_foreach((json_t *)json_object_get(p, "symbols"), name, v)
		{
			long row = tm_top_keyidx_find(k, name, sess);
			uint64_t calls = tm_top_ju64(json_object_get(v, "calls"), 0);
			if (row < 0 || !calls)
				continue;
			struct tm_top_pfn *pf = tm_top_add_pfn(m);
			if (!pf)
				return -ENOMEM;
			*pf = (struct tm_top_pfn){
				(uint32_t)(m->nprocs - 1), (uint32_t)row, calls,
				tm_top_ju64(json_object_get(v, "failed"), 0),
				(double)tm_top_ju64(json_object_get(v, "total_ns"), 0)};
		}
	}
	h->cpu_pct = have_cpu ? cpu : -1;
	return 0;
}

static int alerts_of(const json_t *alerts, struct tm_top_model *m)
{
	size_t i;
	const json_t *a;
	json_array_foreach(alerts, i, a)
	{
		struct tm_top_alert *t = tm_top_add_alert(m);
		if (!t)
			return -ENOMEM;
		tm_top_text(t->name, sizeof(t->name), tm_top_jstr(json_object_get(a, "name")));
		tm_top_text(t->function, sizeof(t->function),
			    tm_top_jstr(json_object_get(a, "function")));
		tm_top_text(t->severity, sizeof(t->severity),
			    tm_top_jstr(json_object_get(a, "severity")));
		tm_top_text(t->state, sizeof(t->state), tm_top_jstr(json_object_get(a, "state")));
		t->start_real_ns = tm_top_ju64(json_object_get(a, "starts_realtime_ns"), 0);
		t->end_real_ns = tm_top_ju64(json_object_get(a, "ends_realtime_ns"), 0);
		tm_top_text(
			t->summary, sizeof(t->summary),
			tm_top_jstr(json_object_get(json_object_get(a, "annotations"), "summary")));
	}
	return 0;
}

static void loss_of(const json_t *loss, struct tm_top_header *h)
{
	for (unsigned k = 0; k < TM_TOP_NLOSS; k++)
		h->loss[k] = tm_top_ju64(json_object_get(loss, tm_top_loss_names[k]), 0);
}

static int stuck_of(const json_t *stuck, struct tm_top_model *m, const struct tm_top_keyidx *k)
{
	size_t i;
	const json_t *e;
	json_array_foreach(stuck, i, e)
	{
		long row = tm_top_keyidx_find(k, tm_top_jstr(json_object_get(e, "function")), "");
		if (row < 0)
			continue;
		struct tm_top_stuck *t = tm_top_add_stuck(m);
		if (!t)
			return -ENOMEM;
		*t = (struct tm_top_stuck){(uint32_t)row,
					   (int32_t)tm_top_jnum(json_object_get(e, "pid"), 0),
					   (int32_t)tm_top_jnum(json_object_get(e, "tid"), 0),
					   tm_top_ju64(json_object_get(e, "age_ns"), 0)};
	}
	return 0;
}

/* Everything the summary gives; 0 or -errno. */
int tm_top_http_summary(struct tm_top_http *h, const json_t *doc, struct tm_top_model *m, char *err,
			size_t errlen)
{
	const json_t *syms = json_object_get(doc, "symbols");
	const json_t *procs = json_object_get(doc, "processes");
	if (strcmp(tm_top_jstr(json_object_get(doc, "schema")), "tm.summary/1") != 0 ||
	    !json_is_array(syms) || !json_is_array(procs)) {
		snprintf(err, errlen, "%s/api/v1/summary: not a tm.summary/1 document",
			 h->hostport);
		return -EPROTO;
	}
	struct tm_top_header *hd = &m->h;
	tm_top_text(hd->session, sizeof(hd->session), tm_top_jstr(json_object_get(doc, "session")));
	snprintf(hd->source, sizeof(hd->source), "%s", h->hostport);
	uint64_t dur = tm_top_ju64(json_object_get(doc, "duration_ns"), 0);
	hd->uptime_ns = dur;
	hd->now_real_ns = tm_top_ju64(json_object_get(doc, "start_realtime_ns"), 0) + dur;
	size_t i;
	const json_t *s;
	json_array_foreach(syms, i, s)
	{
		struct tm_top_row *r = tm_top_add_row(m);
		if (!r)
			return -ENOMEM;
		if (row_of(s, dur / 1000000000ull, r) < 0) {
			m->nrows--;
			continue;
		}
		seconds_of(json_object_get(s, "seconds"), r, m->interval_s);
		hd->nhealth[r->health]++;
	}
	struct tm_top_keyidx k;
	if (tm_top_keyidx_build(&k, m) < 0)
		return -ENOMEM;
	int ret = procs_of(procs, m, &k);
	if (!ret)
		ret = stuck_of(json_object_get(doc, "stuck"), m, &k);
	free(k.ix);
	if (!ret)
		ret = alerts_of(json_object_get(doc, "alerts"), m);
	if (ret < 0) {
		snprintf(err, errlen, "out of memory");
		return ret;
	}
	const json_t *e = json_object_get(doc, "earlier_processes");
	const json_t *st = json_object_get(e, "status");
	hd->exited += (uint32_t)tm_top_ju64(json_object_get(st, "exited"), 0);
	hd->crashed += (uint32_t)tm_top_ju64(json_object_get(st, "crashed"), 0);
	hd->execd += (uint32_t)tm_top_ju64(json_object_get(st, "exec"), 0);
	loss_of(json_object_get(doc, "loss"), hd);
	const json_t *cc = json_object_get(doc, "collector_cpu");
	double pct = tm_top_jnum(json_object_get(cc, "budget_pct"), -1);
	hd->budget_pct = pct > 0 && pct <= 100 ? pct : -1;
	hd->shared_cpu = json_is_true(json_object_get(cc, "shared"));
	hd->budget_naps = tm_top_ju64(json_object_get(cc, "budget_naps"), 0);
	const json_t *hs = json_object_get(doc, "health");
	hd->health = health_of(hs);
	tm_top_text(hd->health_reason, sizeof(hd->health_reason),
		    tm_top_jstr(json_object_get(hs, "reason")));
	uint64_t earlier = tm_top_ju64(json_object_get(e, "count"), 0);
	hd->idle = (json_array_size(procs) || earlier) && !hd->running;
	return 0;
}
