/* SPDX-License-Identifier: MIT */
/* /api/v1/series: one function's per-second or per-minute buckets. The
 * buckets are copied under the model lock (a memcpy of at most 630 KiB,
 * 7 days of minutes),
 * rendered after it is released. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "http.h"

int tm_series_window(const char *win, int *minutes, size_t *n)
{
	uint64_t v = 0;
	const char *p = win;
	for (; *p >= '0' && *p <= '9' && v <= 1000000; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	static const char units[] = "smhd";
	static const uint64_t secs[] = {1, 60, 3600, 86400};
	const char *u = p != win && p[0] && !p[1] ? strchr(units, p[0]) : NULL;
	if (!u || !v || v > 1000000)
		return -1;
	uint64_t t = v * secs[u - units];
	if (t <= tm_win_keep.secs) {
		*minutes = 0;
		*n = (size_t)t;
	} else if (t <= (uint64_t)tm_win_keep.mins * 60) {
		*minutes = 1;
		*n = (size_t)((t + 59) / 60);
	} else {
		return -1;
	}
	return 0;
}

static int find(const struct tm_coll *c, const char *fn, const char *session)
{
	for (size_t i = 0; i < c->nsyms; i++) {
		const struct tm_sym *s = &c->syms[i];
		if (!tm_sym_reported(s) || strcmp(s->name, fn) != 0)
			continue;
		if (session &&
		    strcmp(c->sessions ? c->sessions[s->sess] : c->session, session) != 0)
			continue;
		return (int)i;
	}
	return -1;
}

json_t *tm_series_json(struct tm_coll *c, pthread_mutex_t *lock, const char *fn,
		       const char *session, int minutes, size_t n)
{
	struct tm_wbucket *b = malloc(n * sizeof(*b));
	struct tm_werrs *eb = malloc(n * sizeof(*eb));
	char name[200], sess[65], obj[36];
	uint32_t flags;
	uint16_t codes;
	uint64_t epoch_real, epoch_mono;
	size_t got;
	if (!b || !eb) {
		free(b);
		free(eb);
		return NULL;
	}
	pthread_mutex_lock(lock);
	int i = find(c, fn, session);
	if (i < 0) {
		pthread_mutex_unlock(lock);
		free(b);
		free(eb);
		return NULL;
	}
	const struct tm_sym *s = &c->syms[i];
	got = tm_win_series(&s->win, &c->clock, minutes, n, b, n);
	tm_win_series_errs(&s->win, &c->clock, minutes, n, eb, n);
	uint32_t end = minutes ? s->win.sealed / 60 : s->win.sealed;
	snprintf(name, sizeof(name), "%s", s->name);
	snprintf(obj, sizeof(obj), "%s", s->object);
	snprintf(sess, sizeof(sess), "%s", c->sessions ? c->sessions[s->sess] : c->session);
	flags = s->flags;
	codes = s->codes;
	/* wall-clock time of the epoch second */
	epoch_real = c->start_real_ns - (c->start_mono_ns - c->clock.epoch_ns);
	epoch_mono = c->clock.epoch_ns;
	pthread_mutex_unlock(lock);

	json_t *o = json_object(), *pts = json_array();
	uint64_t res_ns = minutes ? 60000000000ull : 1000000000ull;
	json_object_set_new(o, "schema", json_string("tm.series/1"));
	json_object_set_new(o, "function", tm_json_text(name));
	json_object_set_new(o, "object", tm_json_text(obj));
	json_object_set_new(o, "session", tm_json_text(sess));
	json_object_set_new(o, "resolution_s", json_integer(minutes ? 60 : 1));
	for (size_t k = 0; k < got; k++) {
		uint64_t unit = end - got + k;
		json_t *p = json_object();
		const struct tm_wbucket *x = &b[k];
		json_object_set_new(p, "start_realtime_ns",
				    tm_json_count((epoch_real + unit * res_ns)));
		json_object_set_new(p, "start_mono_ns",
				    tm_json_count((epoch_mono + unit * res_ns)));
		json_object_set_new(p, "calls", tm_json_count(x->calls));
		json_object_set_new(p, "ok", tm_json_count(x->ok));
		json_object_set_new(p, "failed", tm_json_count(x->failed));
		json_object_set_new(p, "slow", tm_json_count(x->slow));
		if (flags & TM_RF_BYTES)
			json_object_set_new(p, "bytes", tm_json_count(x->bytes));
		json_object_set_new(p, "timed", tm_json_count(x->timed));
		int t = x->timed > 0;
		json_object_set_new(p, "mean_ns",
				    t ? json_real((double)x->sum_ns / (double)x->timed)
				      : json_null());
		static const char *const qk[4] = {"p50_ns", "p95_ns", "p99_ns", "max_ns"};
		for (unsigned q = 0; q < 4; q++)
			json_object_set_new(p, qk[q],
					    t ? tm_json_count(tm_wh_value(x->q[q])) : json_null());
		json_t *e = json_object();
		for (uint32_t j = 0; j < eb[k].n; j++) {
			char buf[64];
			const char *nm = tm_code_name(codes, eb[k].err[j].code, buf, sizeof(buf));
			json_t *had = json_object_get(e, nm); /* two codes of one name */
			uint64_t was = had ? (uint64_t)json_integer_value(had) : 0;
			json_object_set_new(e, nm, tm_json_count(was + eb[k].err[j].count));
		}
		if (eb[k].other) {
			json_t *had = json_object_get(e, "other");
			uint64_t was = had ? (uint64_t)json_integer_value(had) : 0;
			json_object_set_new(e, "other", tm_json_count(was + eb[k].other));
		}
		json_object_set_new(p, "errors", e);
		json_array_append_new(pts, p);
	}
	json_object_set_new(o, "points", pts);
	free(b);
	free(eb);
	return o;
}

/* /api/v1/series?process=PID: a running process's per-second or
 * per-minute buckets (calls, failures, CPU, RSS, threads, descriptors),
 * copied under the model lock. At most the 900 seconds and 1 440 minutes
 * a process keeps; NULL when no running process has that pid. */
json_t *tm_proc_series_json(struct tm_coll *c, pthread_mutex_t *lock, long pid, int minutes,
			    size_t n)
{
	size_t cap = minutes ? TM_WIN_MINS : TM_WIN_SECS;
	n = n < cap ? n : cap;
	struct tm_pbucket *b = malloc((n ? n : 1) * sizeof(*b));
	char name[64], sess[65];
	uint64_t epoch_real, epoch_mono;
	uint32_t end;
	if (!b)
		return NULL;
	pthread_mutex_lock(lock);
	const struct tm_proc *p = NULL;
	for (size_t i = 0; i < c->nprocs && !p; i++)
		if (c->procs[i]->attached && c->procs[i]->pid == pid && c->procs[i]->pwin)
			p = c->procs[i];
	if (!p) {
		pthread_mutex_unlock(lock);
		free(b);
		return NULL;
	}
	end = minutes ? c->clock.open / 60 : c->clock.open; /* sealed units only */
	n = n < end ? n : end;
	for (size_t k = 0; k < n; k++) {
		uint32_t u = end - (uint32_t)n + (uint32_t)k;
		const struct tm_pbucket *x =
			minutes ? &p->pwin->min[u % TM_WIN_MINS] : &p->pwin->sec[u % TM_WIN_SECS];
		if (x->unit == u + 1)
			b[k] = *x;
		else
			memset(&b[k], 0, sizeof(b[k]));
	}
	tm_proc_name(p, name, sizeof(name));
	snprintf(sess, sizeof(sess), "%s", c->sessions ? c->sessions[p->sess] : c->session);
	epoch_real = c->start_real_ns - (c->start_mono_ns - c->clock.epoch_ns);
	epoch_mono = c->clock.epoch_ns;
	pthread_mutex_unlock(lock);

	json_t *o = json_object(), *pts = json_array();
	uint64_t res_ns = minutes ? 60000000000ull : 1000000000ull;
	double res_us = minutes ? 60e6 : 1e6;
	json_object_set_new(o, "schema", json_string("tm.process_series/1"));
	json_object_set_new(o, "pid", json_integer(pid));
	json_object_set_new(o, "process", tm_json_text(name));
	json_object_set_new(o, "session", tm_json_text(sess));
	json_object_set_new(o, "resolution_s", json_integer(minutes ? 60 : 1));
	for (size_t k = 0; k < n; k++) {
		uint64_t unit = end - n + k;
		const struct tm_pbucket *x = &b[k];
		int s = x->unit != 0; /* sampled in that unit */
		json_t *q = json_object();
		json_object_set_new(q, "start_realtime_ns",
				    tm_json_count(epoch_real + unit * res_ns));
		json_object_set_new(q, "start_mono_ns", tm_json_count(epoch_mono + unit * res_ns));
		json_object_set_new(q, "calls", tm_json_count(x->calls));
		json_object_set_new(q, "failed", tm_json_count(x->failed));
		json_object_set_new(q, "cpu_user_percent",
				    s ? json_real(100.0 * (double)x->cpu_user_us / res_us)
				      : json_null());
		json_object_set_new(q, "cpu_system_percent",
				    s ? json_real(100.0 * (double)x->cpu_sys_us / res_us)
				      : json_null());
		json_object_set_new(q, "rss_bytes", s ? tm_json_count(x->rss_bytes) : json_null());
		json_object_set_new(q, "threads", s ? json_integer(x->threads) : json_null());
		json_object_set_new(q, "open_fds",
				    s && x->fds >= 0 ? json_integer(x->fds) : json_null());
		json_array_append_new(pts, q);
	}
	json_object_set_new(o, "points", pts);
	free(b);
	return o;
}
