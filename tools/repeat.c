/* SPDX-License-Identifier: MIT */
/* tmrun --repeat N: one collector and one session for every run; after
 * each run, once every call of it is in the model, the run's figures are
 * the model's cumulative counters and whole-run histogram minus a copy
 * kept at the end of the run before. The merged symbols[] of the summary
 * are the collector's own, as without --repeat. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector.h"
#include "repeat.h"

/* A function's figures at the end of the last run recorded. */
struct snap {
	uint64_t calls, ok, failed, timed;
	double sum_ns;
	struct tm_hist h;
};

struct tm_repeat {
	struct snap *s; /* by symbol index (indices never move) */
	size_t n;
	json_t *runs;
	size_t nruns, ok;
	uint64_t min_ns, max_ns;
};

struct tm_repeat *tm_repeat_new(void)
{
	struct tm_repeat *r = calloc(1, sizeof(*r));
	if (r && !(r->runs = json_array())) {
		free(r);
		return NULL;
	}
	return r;
}

void tm_repeat_free(struct tm_repeat *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		tm_hist_free(&r->s[i].h);
	free(r->s);
	json_decref(r->runs);
	free(r);
}

static void sleep_until(uint64_t mono_ns)
{
	struct timespec ts = {(time_t)(mono_ns / 1000000000ull), (long)(mono_ns % 1000000000ull)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

void tm_repeat_settle(struct tm_coll *c, pthread_mutex_t *lock, uint64_t end_ns)
{
	/* the run's segments: finished (final drain, detached) once the
	 * collector has looked at them after their processes were reaped;
	 * bounded, in case another collector holds one */
	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(lock);
		tm_coll_scan(c);
		tm_coll_drain(c);
		tm_coll_check(c);
		tm_coll_scan(c);
		int idle = tm_coll_idle(c) || !c->seen_any;
		pthread_mutex_unlock(lock);
		if (idle)
			break;
		sleep_until(tm_mono_ns() + 10000000ull);
	}
	/* every call ended before end_ns: its second is sealed once the
	 * clock passes the second's end and the grace */
	pthread_mutex_lock(lock);
	uint64_t epoch = c->clock.epoch_ns;
	pthread_mutex_unlock(lock);
	uint64_t sec = end_ns > epoch ? (end_ns - epoch) / 1000000000ull : 0;
	sleep_until(epoch + (sec + 1) * 1000000000ull + TM_WIN_GRACE_NS + 1000000ull);
	pthread_mutex_lock(lock);
	tm_model_tick(c, tm_mono_ns());
	pthread_mutex_unlock(lock);
}

/* The quantile q of cur minus old (old: a copy of cur taken earlier). */
static uint64_t delta_quantile(const struct tm_hist *cur, const struct tm_hist *old, double q)
{
	uint64_t count = cur->count - old->count, seen = 0;
	if (!count)
		return 0;
	uint64_t rank = (uint64_t)ceil(q * (double)count);
	rank = rank < 1 ? 1 : rank > count ? count : rank;
	for (unsigned g = 0; g < TM_HIST_GROUPS; g++) {
		if (!cur->group[g])
			continue;
		for (unsigned k = 0; k < TM_HIST_SUB; k++) {
			seen += cur->group[g][k] - (old->group[g] ? old->group[g][k] : 0);
			if (seen >= rank)
				return tm_hist_value(g * TM_HIST_SUB + k);
		}
	}
	return 0;
}

static json_t *count_or_null(int have, uint64_t v)
{
	return have ? tm_json_count(v) : json_null();
}

/* One function's part of the run, or NULL when it made no call in it. */
static json_t *sym_run(const struct tm_sym *s, const struct snap *p)
{
	uint64_t calls = s->calls - p->calls, timed = s->timed - p->timed;
	if (!calls)
		return NULL;
	double sum = s->sum_ns - p->sum_ns;
	int lat = timed > 0 && s->hist.count > p->h.count;
	json_t *e = json_object();
	json_object_set_new(e, "calls", tm_json_count(calls));
	json_object_set_new(e, "ok", tm_json_count(s->ok - p->ok));
	json_object_set_new(e, "failed", tm_json_count(s->failed - p->failed));
	json_object_set_new(e, "timed", tm_json_count(timed));
	json_object_set_new(e, "p50_ns", count_or_null(lat, delta_quantile(&s->hist, &p->h, .5)));
	json_object_set_new(e, "p99_ns", count_or_null(lat, delta_quantile(&s->hist, &p->h, .99)));
	json_object_set_new(e, "mean_ns",
			    timed && sum >= 0 ? json_real(sum / (double)timed) : json_null());
	json_object_set_new(e, "total_ns",
			    tm_json_count(sum > 0 ? (uint64_t)llround(fmin(sum, 4e18)) : 0));
	return e;
}

static int snap_take(struct snap *p, const struct tm_sym *s)
{
	p->calls = s->calls;
	p->ok = s->ok;
	p->failed = s->failed;
	p->timed = s->timed;
	p->sum_ns = s->sum_ns;
	tm_hist_free(&p->h);
	return tm_hist_merge(&p->h, &s->hist);
}

static json_t *syms_run(struct tm_repeat *r, struct tm_coll *c)
{
	json_t *syms = json_object();
	for (size_t i = 0; i < c->nsyms; i++) {
		const struct tm_sym *s = &c->syms[i];
		json_t *e = tm_sym_reported(s) ? sym_run(s, &r->s[i]) : NULL;
		if (e) {
			json_t *name = tm_json_text(s->name);
			const char *key = json_string_value(name);
			/* two ids may share a display name: their counts add up
			 * (the percentiles stay the first one's) */
			json_t *prev = json_object_get(syms, key);
			if (prev) {
				static const char *const add[] = {"calls", "ok", "failed", "timed",
								  "total_ns"};
				for (unsigned k = 0; k < 5; k++)
					json_object_set_new(
						prev, add[k],
						tm_json_count(
							(uint64_t)json_integer_value(
								json_object_get(prev, add[k])) +
							(uint64_t)json_integer_value(
								json_object_get(e, add[k]))));
				json_decref(e);
			} else {
				json_object_set_new(syms, key, e);
			}
			json_decref(name);
		}
		if (snap_take(&r->s[i], s) < 0) {
			json_decref(syms);
			return NULL;
		}
	}
	return syms;
}

int tm_repeat_record(struct tm_repeat *r, struct tm_coll *c, pthread_mutex_t *lock, int status,
		     uint64_t start_mono_ns, uint64_t end_mono_ns, uint64_t start_real_ns)
{
	int ret = -ENOMEM;
	pthread_mutex_lock(lock);
	if (c->nsyms > r->n) {
		struct snap *ns = realloc(r->s, c->nsyms * sizeof(*ns));
		if (!ns)
			goto out;
		memset(ns + r->n, 0, (c->nsyms - r->n) * sizeof(*ns));
		r->s = ns;
		r->n = c->nsyms;
	}
	json_t *syms = syms_run(r, c);
	if (!syms)
		goto out;
	uint64_t dur = end_mono_ns - start_mono_ns;
	json_t *run = json_object();
	json_object_set_new(run, "run", json_integer((json_int_t)r->nruns + 1));
	json_object_set_new(run, "exit_status", json_integer(status));
	json_object_set_new(run, "duration_ns", tm_json_count(dur));
	json_object_set_new(run, "start_realtime_ns", tm_json_count(start_real_ns));
	json_object_set_new(run, "symbols", syms);
	json_array_append_new(r->runs, run);
	r->ok += status == 0;
	r->min_ns = !r->nruns || dur < r->min_ns ? dur : r->min_ns;
	r->max_ns = dur > r->max_ns ? dur : r->max_ns;
	r->nruns++;
	ret = 0;
out:
	pthread_mutex_unlock(lock);
	return ret;
}

int tm_repeat_write(struct tm_repeat *r, struct tm_coll *c, pthread_mutex_t *lock, const char *path,
		    char *err, size_t errlen)
{
	pthread_mutex_lock(lock);
	json_t *root = tm_summary_json(c);
	pthread_mutex_unlock(lock);
	json_object_set(root, "runs", r->runs);
	return tm_json_write(root, path, err, errlen);
}

void tm_repeat_print(const struct tm_repeat *r, FILE *f)
{
	fprintf(f, "runs: %zu, %zu exited 0, %.3f s to %.3f s each\n", r->nruns, r->ok,
		(double)r->min_ns / 1e9, (double)r->max_ns / 1e9);
}
