/* SPDX-License-Identifier: MIT */
/* tmtop's figures from the collector's model in this process: everything
 * is read under the model lock, copied into the view model, and the lock
 * is released before anything is drawn. The "last interval" window sums
 * the last N sealed seconds and merges their fine histograms, so its
 * percentiles are as exact (0.8%) as the 1-minute window's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "source.h"

struct local {
	struct tm_top_src base;
	struct tm_coll *c;
	pthread_mutex_t *lock;
	uint32_t *rowof; /* global symbol -> row, UINT32_MAX: none */
	size_t caprowof;
};

static void lock(struct local *l)
{
	if (l->lock)
		pthread_mutex_lock(l->lock);
}

static void unlock(struct local *l)
{
	if (l->lock)
		pthread_mutex_unlock(l->lock);
}

/* The fine histograms of the sealed seconds [from, to) of w, summed into
 * *sum (empty when none is held any more). */
static void merge_secs(const struct tm_win *w, uint32_t from, uint32_t to, struct tm_wsum *sum)
{
	for (uint32_t u = from; u < to; u++) {
		const struct tm_wslot *f = &w->fsec[u % TM_WIN_FSECS];
		if (f->unit == u + 1 && f->h.count)
			tm_wsum_add(sum, &f->h);
	}
}

static uint64_t wsum_q(const struct tm_wsum *s, double q)
{
	return s->count ? tm_wh_value(tm_wsum_qindex(s, q)) : TM_TOP_NA;
}

/* Time in a sampled function is its sample's mean times every call. */
static double scaled(const struct tm_sym *s, double sum, uint64_t calls, uint64_t timed)
{
	if ((s->flags & TM_RF_SAMPLED) && timed)
		return sum * (double)calls / (double)timed;
	return sum;
}

/* The last `n` of the 60 buckets b[0, nb) as a figure (percentiles from
 * the seconds' histograms). */
static void interval_fig(const struct tm_sym *s, const struct tm_wbucket *b, size_t nb, unsigned n,
			 struct tm_top_fig *f)
{
	size_t from = nb > n ? nb - n : 0;
	uint64_t timed = 0, sum = 0, mx = 0;
	f->span_s = (uint32_t)(nb - from);
	for (size_t i = from; i < nb; i++) {
		f->calls += b[i].calls;
		f->ok += b[i].ok;
		f->failed += b[i].failed;
		timed += b[i].timed;
		sum += b[i].sum_ns;
		if (b[i].timed && tm_wh_value(b[i].q[3]) > mx)
			mx = tm_wh_value(b[i].q[3]);
	}
	f->sum_ns = scaled(s, (double)sum, f->calls, timed);
	if (!timed)
		return;
	f->max_ns = mx;
	uint32_t last = s->win.sealed - 1;
	const struct tm_wslot *one = &s->win.fsec[last % TM_WIN_FSECS];
	if (f->span_s == 1 && one->unit == last + 1 && one->h.count) {
		/* one second (the default): its own histogram, nothing merged */
		f->p50_ns = tm_wh_value(tm_whist_qindex(&one->h, 0.5));
		f->p99_ns = tm_wh_value(tm_whist_qindex(&one->h, 0.99));
		f->p999_ns = tm_wh_value(tm_whist_qindex(&one->h, 0.999));
		return;
	}
	struct tm_wsum sm = {0};
	merge_secs(&s->win, s->win.sealed - (uint32_t)f->span_s, s->win.sealed, &sm);
	f->p50_ns = wsum_q(&sm, 0.5);
	f->p99_ns = wsum_q(&sm, 0.99);
	f->p999_ns = wsum_q(&sm, 0.999);
	tm_wsum_free(&sm);
}

/* The last minute: the running window, and the max of its seconds. */
static void minute_fig(const struct tm_coll *c, const struct tm_sym *s, uint64_t mx,
		       struct tm_top_fig *f)
{
	struct tm_wfig w;
	tm_win_figures(&s->win, &c->clock, TM_W1M, &w);
	f->span_s = w.span_s;
	f->calls = w.calls;
	f->ok = w.ok;
	f->failed = w.failed;
	f->sum_ns = scaled(s, (double)w.sum_ns, w.calls, w.timed);
	if (w.timed && s->win.run[TM_W1M].count) {
		f->p50_ns = w.p50_ns;
		f->p99_ns = w.p99_ns;
		f->p999_ns = w.p999_ns;
		f->max_ns = mx;
	}
}

/* Since the start: the counters, the whole-run histogram, the exact max. */
static void run_fig(const struct tm_sym *s, uint64_t up_s, struct tm_top_fig *f)
{
	f->span_s = (uint32_t)(up_s ? up_s : 1);
	f->calls = s->calls;
	f->ok = s->ok;
	f->failed = s->failed;
	f->sum_ns = scaled(s, s->sum_ns, s->calls, s->timed);
	if (s->timed && s->hist.count) {
		f->p50_ns = tm_sym_quantile(s, 0.5);
		f->p99_ns = tm_sym_quantile(s, 0.99);
		f->p999_ns = tm_sym_quantile(s, 0.999);
	}
	if (s->timed)
		f->max_ns = s->max_ns;
}

static void fill_row(const struct tm_coll *c, size_t i, unsigned isec, uint64_t up_s,
		     struct tm_top_row *r)
{
	const struct tm_sym *s = &c->syms[i];
	struct tm_wbucket b[TM_TOP_SPARK];
	struct tm_top_pt pts[TM_TOP_SPARK];
	tm_top_text(r->name, sizeof(r->name), s->name);
	tm_top_text(r->object, sizeof(r->object), s->object);
	tm_top_text(r->session, sizeof(r->session),
		    c->sessions ? c->sessions[s->sess] : c->session);
	r->id = (uint32_t)i;
	r->rule = (s->flags & TM_RF_HAS_RULE) != 0;
	r->blocking = s->blocking != 0;
	r->inner = s->inner_calls > 0;
	r->calls = s->calls;
	r->in_flight = s->in_flight;
	r->oldest_ns = s->oldest_ns;
	const struct tm_hstate *h = tm_health_sym(c, i);
	r->health = h ? h->state : TM_H_UNKNOWN;

	size_t n = tm_win_series(&s->win, &c->clock, 0, TM_TOP_SPARK, b, TM_TOP_SPARK);
	uint64_t mx = 0;
	r->nspark = (uint32_t)n;
	for (size_t k = 0; k < n; k++) {
		r->spark[TM_TOP_SPARK - n + k] =
			b[k].calls > UINT32_MAX ? UINT32_MAX : (uint32_t)b[k].calls;
		pts[k] = (struct tm_top_pt){b[k].calls, b[k].ok, b[k].failed,
					    b[k].timed ? tm_wh_value(b[k].q[2]) : TM_TOP_NA};
		if (b[k].timed && tm_wh_value(b[k].q[3]) > mx)
			mx = tm_wh_value(b[k].q[3]);
	}
	tm_top_trend(pts, n, r->rule, &r->rising_lat, &r->rising_err);

	interval_fig(s, b, n, isec, &r->fig[TM_TOP_W_INTERVAL]);

	minute_fig(c, s, mx, &r->fig[TM_TOP_W_1M]);
	run_fig(s, up_s, &r->fig[TM_TOP_W_ALL]);
}

static const char *const pstatus[] = {"running", "exited", "crashed", "exec"};

static int fill_procs(struct local *l, struct tm_top_model *m)
{
	struct tm_coll *c = l->c;
	struct tm_top_header *h = &m->h;
	double cpu = 0;
	int have_cpu = 0;
	for (size_t i = 0; i < c->nprocs; i++) {
		const struct tm_proc *p = c->procs[i];
		if (!tm_proc_reported(p))
			continue;
		struct tm_top_proc *tp = tm_top_add_proc(m);
		if (!tp)
			return -ENOMEM;
		char name[64];
		tm_proc_name(p, name, sizeof(name));
		tm_top_text(tp->exe, sizeof(tp->exe), name);
		tp->pid = p->pid;
		snprintf(tp->status, sizeof(tp->status), "%s", pstatus[p->status & 3]);
		tp->exit_code = p->exit_code;
		tp->calls = p->calls;
		tp->failed = p->failed;
		struct tm_pfig f;
		if (p->status == TM_PS_RUNNING && tm_proc_window(p, &c->clock, 10, &f) == 0 &&
		    f.span_s) {
			tp->cpu_pct = (double)(f.cpu_user_us + f.cpu_sys_us) / f.span_s / 1e4;
			cpu += tp->cpu_pct;
			have_cpu = 1;
		}
		if (p->status == TM_PS_RUNNING && p->res.valid) {
			tp->rss_bytes = p->res.rss_bytes;
			h->rss_bytes += p->res.rss_bytes;
		}
		h->running += p->status == TM_PS_RUNNING;
		h->exited += p->status == TM_PS_EXITED;
		h->crashed += p->status == TM_PS_CRASHED;
		h->execd += p->status == TM_PS_EXEC;
		uint32_t proc = (uint32_t)(m->nprocs - 1);
		for (uint32_t k = 0; k < p->npsyms; k++) {
			const struct tm_psym *ps = &p->psyms[k];
			if (ps->gsym >= c->nsyms || l->rowof[ps->gsym] == UINT32_MAX || !ps->calls)
				continue;
			struct tm_top_pfn *pf = tm_top_add_pfn(m);
			if (!pf)
				return -ENOMEM;
			*pf = (struct tm_top_pfn){proc, l->rowof[ps->gsym], ps->calls, ps->failed,
						  ps->sum_ns};
		}
	}
	h->cpu_pct = have_cpu ? cpu : -1;
	h->exited += (uint32_t)c->earlier.status[TM_PS_EXITED];
	h->crashed += (uint32_t)c->earlier.status[TM_PS_CRASHED];
	h->execd += (uint32_t)c->earlier.status[TM_PS_EXEC];
	return 0;
}

static void fill_loss(const struct tm_coll *c, struct tm_top_header *h)
{
	static const int map[TM_TOP_NLOSS - 1] = {TM_LOSS_OVERFLOW, TM_LOSS_NOSLOT,
						  TM_LOSS_REENTRANT, TM_LOSS_DEPTH, TM_LOSS_NOMEM};
	for (unsigned k = 0; k < TM_TOP_NLOSS - 1; k++) {
		h->loss[k] = c->earlier.loss[map[k]];
		for (size_t i = 0; i < c->nprocs; i++)
			h->loss[k] += c->procs[i]->loss[map[k]];
	}
	uint64_t corrupt = c->closs[TM_CLOSS_CORRUPT] + c->earlier.corrupt;
	for (size_t i = 0; i < c->nprocs; i++)
		corrupt += c->procs[i]->closs[TM_CLOSS_CORRUPT];
	h->loss[TM_TOP_NLOSS - 1] = corrupt;
	h->budget_pct = c->cpu_budget > 0 ? c->cpu_budget * 100 : -1;
	h->shared_cpu = c->shared_cpu;
	h->budget_naps = c->budget_naps;
}

static struct tm_top_alert *alert_of(struct local *l, struct tm_top_model *m,
				     const struct tm_alert *a, const char *state)
{
	struct tm_top_alert *t = tm_top_add_alert(m);
	if (!t)
		return NULL;
	tm_top_text(t->name, sizeof(t->name), tm_alert_name(l->c, a));
	if (a->sym >= 0 && (size_t)a->sym < l->c->nsyms)
		tm_top_text(t->function, sizeof(t->function), l->c->syms[a->sym].name);
	snprintf(t->state, sizeof(t->state), "%s", state);
	return t;
}

static int fill_alerts(struct local *l, struct tm_top_model *m)
{
	const struct tm_coll *c = l->c;
	for (size_t i = 0; i < tm_health_nalerts(c); i++) {
		const struct tm_alert *a = tm_health_alert(c, i);
		if (a->state == TM_AS_PENDING) {
			struct tm_top_alert *t = alert_of(l, m, a, "pending");
			if (!t)
				return -ENOMEM;
			snprintf(t->severity, sizeof(t->severity), "%s", tm_sev_name(a->sev));
			tm_top_text(t->summary, sizeof(t->summary), a->summary);
		}
		for (size_t j = 0; j < a->nep; j++) {
			const struct tm_episode *x = &a->ep[j];
			struct tm_top_alert *t =
				alert_of(l, m, a, x->end_real_ns ? "resolved" : "firing");
			if (!t)
				return -ENOMEM;
			snprintf(t->severity, sizeof(t->severity), "%s", tm_sev_name(x->sev));
			t->start_real_ns = x->start_real_ns;
			t->end_real_ns = x->end_real_ns;
			tm_top_text(t->summary, sizeof(t->summary), x->summary);
		}
	}
	return 0;
}

static int fill(struct local *l, struct tm_top_model *m, unsigned isec)
{
	struct tm_coll *c = l->c;
	uint64_t now = tm_mono_ns();
	uint64_t up = now > c->start_mono_ns ? now - c->start_mono_ns : 0;
	if (c->nsyms > l->caprowof) {
		uint32_t *p = realloc(l->rowof, c->nsyms * sizeof(*p));
		if (!p)
			return -ENOMEM;
		l->rowof = p;
		l->caprowof = c->nsyms;
	}
	tm_top_text(m->h.session, sizeof(m->h.session), c->session);
	snprintf(m->h.source, sizeof(m->h.source), "local");
	m->h.now_real_ns = c->start_real_ns + up;
	m->h.uptime_ns = up;
	m->h.idle = c->seen_any && tm_coll_idle(c);
	m->h.waiting = (uint32_t)c->pending;
	for (size_t i = 0; i < c->nsyms; i++) {
		l->rowof[i] = UINT32_MAX;
		if (!tm_sym_reported(&c->syms[i]))
			continue;
		struct tm_top_row *r = tm_top_add_row(m);
		if (!r)
			return -ENOMEM;
		l->rowof[i] = (uint32_t)(m->nrows - 1);
		fill_row(c, i, isec, up / 1000000000ull, r);
		m->h.nhealth[r->health < TM_H_COUNT ? r->health : TM_H_UNKNOWN]++;
	}
	if (fill_procs(l, m) < 0)
		return -ENOMEM;
	fill_loss(c, &m->h);
	const struct tm_hstate *hs = tm_health_session(c);
	m->h.health = hs ? hs->state : TM_H_UNKNOWN;
	tm_top_text(m->h.health_reason, sizeof(m->h.health_reason),
		    hs ? hs->reason : "not evaluated yet");
	for (size_t i = 0; i < c->nstuck; i++) {
		const struct tm_stuck *e = &c->stuck[i];
		if (e->gsym >= c->nsyms || l->rowof[e->gsym] == UINT32_MAX)
			continue;
		struct tm_top_stuck *t = tm_top_add_stuck(m);
		if (!t)
			return -ENOMEM;
		*t = (struct tm_top_stuck){l->rowof[e->gsym], e->pid, e->tid, e->age_ns};
	}
	return fill_alerts(l, m);
}

static int local_refresh(struct tm_top_src *s, struct tm_top_model *m,
			 const struct tm_top_model *prev, const struct tm_top_ui *u, char *err,
			 size_t errlen)
{
	struct local *l = (struct local *)s;
	(void)prev;
	tm_top_model_clear(m);
	m->interval_s = tm_top_interval_s(u ? u->delay_s : 1);
	lock(l);
	int ret = fill(l, m, m->interval_s);
	unlock(l);
	if (ret < 0) {
		snprintf(err, errlen, "out of memory reading the model");
		return ret;
	}
	tm_top_model_done(m);
	return 0;
}

/* Bucket index -> [lo, hi] ns, as model/window.h lays them out. */
static void bin_bounds(unsigned idx, uint64_t *lo, uint64_t *hi)
{
	unsigned g = idx / TM_WH_SUB, sub = idx % TM_WH_SUB;
	if (!g) {
		*lo = *hi = sub;
		return;
	}
	*lo = ((uint64_t)(TM_WH_SUB + sub)) << (g - 1);
	*hi = *lo + (1ull << (g - 1)) - 1;
}

static int bins_of_wsum(const struct tm_wsum *s, struct tm_top_detail *d)
{
	for (unsigned i = 0; s->c && i < (unsigned)s->n * TM_WH_SUB; i++) {
		uint64_t lo, hi;
		if (!s->c[i])
			continue;
		bin_bounds((unsigned)s->lo * TM_WH_SUB + i, &lo, &hi);
		if (tm_top_add_bin(d, lo, hi, s->c[i]) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int bins_of_hist(const struct tm_hist *h, struct tm_top_detail *d)
{
	for (unsigned g = 0; g < TM_HIST_GROUPS; g++)
		for (unsigned k = 0; h->group[g] && k < TM_HIST_SUB; k++) {
			uint64_t lo, hi;
			if (!h->group[g][k])
				continue;
			bin_bounds(g * TM_HIST_SUB + k, &lo, &hi);
			if (tm_top_add_bin(d, lo, hi, h->group[g][k]) < 0)
				return -ENOMEM;
		}
	return 0;
}

static int by_count(const void *a, const void *b)
{
	const struct tm_top_err *x = a, *y = b;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->name, y->name);
}

static void errors_of(const struct tm_sym *s, struct tm_top_detail *d)
{
	struct tm_top_err all[TM_SYM_ERRS + 1];
	size_t n = 0;
	for (size_t i = 0; i < s->nerrs && n < sizeof(all) / sizeof(all[0]); i++) {
		char buf[64];
		const char *name = tm_code_name(s->codes, s->errs[i].code, buf, sizeof(buf));
		tm_top_text(all[n].name, sizeof(all[n].name), name);
		snprintf(all[n].category, sizeof(all[n].category), "%s", tm_code_category(name));
		all[n++].count = s->errs[i].count;
	}
	qsort(all, n, sizeof(all[0]), by_count);
	for (size_t i = 0; i < n; i++) {
		if (i < TM_TOP_DERRS)
			d->err[d->nerr++] = all[i];
		else
			d->err_more += all[i].count;
	}
}

static int local_detail(struct tm_top_src *src, const struct tm_top_model *m,
			const struct tm_top_row *r, enum tm_top_win w, struct tm_top_detail *d,
			char *err, size_t errlen)
{
	struct local *l = (struct local *)src;
	struct tm_coll *c = l->c;
	char name[TM_TOP_NAME];
	int ret = 0;
	d->nbins = d->nerr = 0;
	d->err_more = 0;
	d->have = 0;
	snprintf(d->name, sizeof(d->name), "%s", r->name);
	snprintf(d->session, sizeof(d->session), "%s", r->session);
	lock(l);
	const struct tm_sym *s = r->id < c->nsyms ? &c->syms[r->id] : NULL;
	if (s)
		tm_top_text(name, sizeof(name), s->name);
	if (!s || strcmp(name, r->name) != 0) {
		unlock(l);
		snprintf(err, errlen, "%s: no longer in the model", r->name);
		return -ENOENT;
	}
	if (w == TM_TOP_W_ALL) {
		snprintf(d->hist_what, sizeof(d->hist_what), "whole run");
		ret = bins_of_hist(&s->hist, d);
	} else if (w == TM_TOP_W_1M) {
		snprintf(d->hist_what, sizeof(d->hist_what), "last minute");
		ret = bins_of_wsum(&s->win.run[TM_W1M], d);
	} else {
		struct tm_wsum sm = {0};
		uint32_t n = m->interval_s, end = s->win.sealed;
		snprintf(d->hist_what, sizeof(d->hist_what), "last %us", n);
		merge_secs(&s->win, end > n ? end - n : 0, end, &sm);
		ret = bins_of_wsum(&sm, d);
		tm_wsum_free(&sm);
	}
	errors_of(s, d);
	unlock(l);
	if (ret < 0) {
		snprintf(err, errlen, "out of memory");
		return ret;
	}
	d->have = 1;
	return 0;
}

static void local_free(struct tm_top_src *s)
{
	struct local *l = (struct local *)s;
	free(l->rowof);
	free(l);
}

struct tm_top_src *tm_top_src_local(struct tm_coll *c, pthread_mutex_t *lock)
{
	struct local *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->base.refresh = local_refresh;
	l->base.detail = local_detail;
	l->base.free = local_free;
	l->c = c;
	l->lock = lock;
	return &l->base;
}
