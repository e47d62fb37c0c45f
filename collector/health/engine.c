/* SPDX-License-Identifier: MIT */
/* The health engine: once per sealed second, every rule against every
 * function it matches, the anomaly detector fed, alerts moved through
 * their lifecycle, health derived. Runs in the collector's loop under the
 * model lock; costs nothing per call (docs/ARCHITECTURE.md, "Health and
 * alerts").
 *
 * Per function the engine keeps which rules match it (computed once, when
 * the function first appears), the index of each rule's alert (created
 * the first time its condition holds), an SLO ring for burn-rate rules and
 * a detector once the function has enough calls for one. */
#include <fnmatch.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector.h"
#include "health.h"
#include "out/notify.h"

/* The built-in rules, after the user's: their index is nuser + B_*. */
enum { B_AN_P99 = 0, B_AN_P50, B_AN_RATE, B_AN_ERR, B_CRASHED, B_STUCK, B_LOSS, B_NEVER, B_COUNT };

#define SLO_SECS 900
#define SLO_MINS 1440
struct slo {
	uint32_t su[SLO_SECS]; /* 1 + the second, per slot */
	uint32_t sbad[SLO_SECS], stot[SLO_SECS];
	uint32_t mu[SLO_MINS];
	uint64_t mbad[SLO_MINS], mtot[SLO_MINS];
};

struct hsym {
	uint16_t *rules; /* matching rules (user and built-in per function) */
	int32_t *alert;	 /* per matching rule: index in e->al, -1 none yet */
	struct slo **slo;
	uint16_t nrules;
	int32_t anr; /* anomaly settings: index in rules.an, -1 the defaults, -2 off */
	struct tm_an *an;
	int32_t an_alert[TM_AN_COUNT];
	int maint;   /* 1 + index of the maintenance entry */
	int errrule; /* has an error-based rule */
	struct tm_hstate h;
	uint64_t first_ns; /* mono: when the engine first saw it */
};

struct hproc {
	const struct tm_proc *p; /* compared, never read: it may be merged away */
	int32_t pid;
	int32_t alert;	     /* crashed */
	uint64_t crashed_ns; /* mono: when it was first seen crashed */
	struct tm_hstate h;
};

#define EVENTS_MAX  4096
#define HEVENTS_MAX 1024

struct tm_health_eng {
	struct tm_hrules r; /* the user's rules, then B_COUNT built-in ones */
	size_t nuser;
	struct hsym *hs;
	size_t nhs, caphs;
	struct tm_alert *al;
	size_t nal, capal;
	struct hproc *hp;
	size_t nhp, caphp;
	struct tm_hstate session;
	int32_t loss_alert;
	uint64_t loss_prev;
	uint32_t loss_unit[60];
	uint64_t loss_sec[60];
	uint32_t done;	/* seconds before this one have been evaluated */
	json_t *events; /* tm.stream/1 event lines since the last take */
	uint64_t events_dropped;
	json_t *hevents; /* every health change (the last HEVENTS_MAX) */
	uint64_t hevents_dropped;
	struct tm_notify *notify;
	uint64_t eval_ns;  /* mono of the last evaluation */
	uint64_t start_ns; /* mono of the first */
	uint32_t *matched; /* per user rule: functions it applies to */
	int said_unmatched;
};

/* ---- the lifecycle ---- */

static void ep_push(struct tm_alert *a, uint64_t real, const struct tm_arule *r)
{
	if (a->nep == a->capep) {
		size_t cap = a->capep ? 2 * a->capep : 2;
		struct tm_episode *m = realloc(a->ep, cap * sizeof(*m));
		if (!m)
			return;
		a->ep = m;
		a->capep = cap;
	}
	struct tm_episode *x = &a->ep[a->nep++];
	memset(x, 0, sizeof(*x));
	x->start_real_ns = real;
	x->value = x->peak = a->value;
	x->threshold = a->threshold;
	x->flapping = a->flapping;
	x->sev = a->sev;
	snprintf(x->summary, sizeof(x->summary), "%s", a->summary);
	(void)r;
}

int tm_alert_step(struct tm_alert *a, const struct tm_arule *r, const struct tm_hrules *h, int cond,
		  double value, uint64_t now_ns, uint64_t now_real_ns)
{
	int lower_worse = r->m == TM_M_RATE_BELOW;
	switch (a->state) {
	case TM_AS_INACTIVE:
		if (!cond)
			return 0;
		a->state = TM_AS_PENDING;
		a->since_ns = now_ns;
		a->value = value;
		/* fall through */
	case TM_AS_PENDING:
		if (!cond) {
			a->state = TM_AS_INACTIVE;
			return 0;
		}
		a->value = value;
		if (now_ns - a->since_ns < r->for_ns)
			return 0;
		a->state = TM_AS_FIRING;
		a->false_since = 0;
		/* the flap guard: this many firings within the window */
		memmove(&a->fired_ns[1], &a->fired_ns[0],
			sizeof(a->fired_ns) - sizeof(a->fired_ns[0]));
		a->fired_ns[0] = now_ns;
		{
			uint32_t n = h->flap_count < 1 ? 1 : h->flap_count > 4 ? 4 : h->flap_count;
			a->flapping = h->flap_count > 1 && a->fired_ns[n - 1] &&
				      now_ns - a->fired_ns[n - 1] <= h->flap_window_ns;
		}
		ep_push(a, now_real_ns, r);
		a->changed = 1;
		return 1;
	case TM_AS_FIRING:
		if (cond) {
			a->false_since = 0;
			a->value = value;
			if (a->nep) {
				struct tm_episode *x = &a->ep[a->nep - 1];
				if (lower_worse ? value < x->peak : value > x->peak)
					x->peak = value;
				if (a->sev > x->sev)
					x->sev = a->sev;
			}
			return 0;
		}
		if (!a->false_since)
			a->false_since = now_ns;
		uint64_t hold = r->keep_ns;
		if (a->flapping && hold < h->flap_window_ns / 2)
			hold = h->flap_window_ns / 2; /* flapping: held until it is quiet */
		if (now_ns - a->false_since < hold)
			return 0;
		a->state = TM_AS_INACTIVE;
		a->flapping = 0;
		if (a->nep)
			a->ep[a->nep - 1].end_real_ns = now_real_ns;
		a->changed = 2;
		return 2;
	}
	return 0;
}

/* ---- set-up ---- */

static void builtin(struct tm_arule *r, const char *name, enum tm_kind k, enum tm_measure m,
		    enum tm_sev sev, uint64_t keep)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->pattern, sizeof(r->pattern), "*");
	r->kind = k;
	r->m = m;
	r->sev = sev;
	r->keep_ns = keep;
	r->builtin = 1;
}

struct tm_health_eng *tm_health_new(const struct tm_hrules *rules)
{
	struct tm_health_eng *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	if (rules)
		e->r = *rules; /* the rules' arrays now belong to the engine */
	else
		tm_hrules_defaults(&e->r);
	e->nuser = e->r.n;
	struct tm_arule *m = realloc(e->r.r, (e->nuser + B_COUNT) * sizeof(*m));
	if (!m) {
		free(e);
		return NULL;
	}
	e->r.r = m;
	struct tm_arule *b = &e->r.r[e->nuser];
	static const char *const series[TM_AN_COUNT] = {"p99", "p50", "rate", "error_ratio"};
	for (int i = 0; i < TM_AN_COUNT; i++) {
		builtin(&b[i], "anomaly", TM_K_ANOMALY, TM_M_ANOMALY, TM_SEV_WARNING, 0);
		b[i].labels = json_pack("{ss}", "series", series[i]);
	}
	builtin(&b[B_CRASHED], "crashed", TM_K_CRASHED, TM_M_CRASHED, TM_SEV_CRITICAL, 0);
	builtin(&b[B_STUCK], "stuck", TM_K_STUCK, TM_M_STUCK, TM_SEV_ERROR, 0);
	builtin(&b[B_LOSS], "loss", TM_K_LOSS, TM_M_LOSS, TM_SEV_WARNING, 0);
	builtin(&b[B_NEVER], "never_called", TM_K_NEVER_CALLED, TM_M_NEVER_CALLED, TM_SEV_INFO, 0);
	e->r.n = e->nuser + B_COUNT;
	e->matched = calloc(e->nuser + 1, sizeof(*e->matched));
	e->loss_alert = -1;
	e->events = json_array();
	e->hevents = json_array();
	e->session.state = TM_H_UNKNOWN;
	snprintf(e->session.reason, sizeof(e->session.reason), "no data yet");
	return e;
}

void tm_health_free(struct tm_health_eng *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nhs; i++) {
		struct hsym *h = &e->hs[i];
		for (size_t j = 0; j < h->nrules; j++)
			free(h->slo ? h->slo[j] : NULL);
		free(h->rules);
		free(h->alert);
		free(h->slo);
		tm_an_free(h->an);
	}
	free(e->hs);
	for (size_t i = 0; i < e->nal; i++)
		free(e->al[i].ep);
	free(e->al);
	free(e->hp);
	free(e->matched);
	json_decref(e->events);
	json_decref(e->hevents);
	tm_hrules_free(&e->r);
	free(e);
}

static struct tm_health_eng *eng(struct tm_coll *c)
{
	if (!c->health)
		c->health = tm_health_new(c->hrules);
	if (c->hrules && c->health) {
		/* its arrays moved into the engine */
		memset(c->hrules, 0, sizeof(*c->hrules));
		free(c->hrules);
		c->hrules = NULL;
	}
	return c->health;
}

static uint64_t to_real(const struct tm_coll *c, uint64_t mono)
{
	return c->start_real_ns + (mono > c->start_mono_ns ? mono - c->start_mono_ns : 0);
}

static int match(const char *pattern, const char *name)
{
	return strcmp(pattern, "*") == 0 || fnmatch(pattern, name, 0) == 0;
}

/* Which rules apply to the new functions. */
static void grow(struct tm_coll *c, struct tm_health_eng *e, uint64_t now)
{
	if (c->nsyms <= e->nhs)
		return;
	if (c->nsyms > e->caphs) {
		size_t cap = e->caphs ? e->caphs : 64;
		while (cap < c->nsyms)
			cap *= 2;
		struct hsym *m = realloc(e->hs, cap * sizeof(*m));
		if (!m)
			return;
		e->hs = m;
		e->caphs = cap;
	}
	uint16_t tmp[TM_RULES_MAXN + B_COUNT];
	for (; e->nhs < c->nsyms; e->nhs++) {
		struct hsym *h = &e->hs[e->nhs];
		const struct tm_sym *s = &c->syms[e->nhs];
		memset(h, 0, sizeof(*h));
		h->first_ns = now;
		h->anr = e->r.anomaly ? -1 : -2;
		for (int i = 0; i < TM_AN_COUNT; i++)
			h->an_alert[i] = -1;
		size_t n = 0;
		for (size_t i = 0; i < e->nuser; i++) {
			if (!match(e->r.r[i].pattern, s->name))
				continue;
			tmp[n++] = (uint16_t)i;
			if (e->matched)
				e->matched[i]++;
			if (e->r.r[i].m == TM_M_ERROR_RATE ||
			    (e->r.r[i].m == TM_M_BURN && !e->r.r[i].under_ns))
				h->errrule = 1;
		}
		if (e->r.stuck)
			tmp[n++] = (uint16_t)(e->nuser + B_STUCK);
		if (e->r.never_called)
			tmp[n++] = (uint16_t)(e->nuser + B_NEVER);
		h->rules = malloc(n * sizeof(*h->rules) + 1);
		h->alert = malloc(n * sizeof(*h->alert) + 1);
		h->slo = calloc(n + 1, sizeof(*h->slo));
		if (!h->rules || !h->alert || !h->slo) {
			free(h->rules);
			free(h->alert);
			free(h->slo);
			h->rules = NULL;
			h->alert = NULL;
			h->slo = NULL;
			continue;
		}
		memcpy(h->rules, tmp, n * sizeof(*tmp));
		for (size_t i = 0; i < n; i++)
			h->alert[i] = -1;
		h->nrules = (uint16_t)n;
		if (e->r.anomaly)
			for (size_t i = 0; i < e->r.nan; i++)
				if (match(e->r.an[i].pattern, s->name)) {
					h->anr = e->r.an[i].enabled ? (int32_t)i : -2;
					break;
				}
		if (s->flags & TM_RF_INTERNAL)
			h->anr = -2;
		h->h.state = TM_H_UNKNOWN;
		snprintf(h->h.reason, sizeof(h->h.reason), "not called yet");
	}
}

static int32_t new_alert(struct tm_health_eng *e, uint32_t rule, int32_t sym, int32_t pid,
			 const char *proc)
{
	if (e->nal == e->capal) {
		size_t cap = e->capal ? 2 * e->capal : 64;
		struct tm_alert *m = realloc(e->al, cap * sizeof(*m));
		if (!m)
			return -1;
		e->al = m;
		e->capal = cap;
	}
	struct tm_alert *a = &e->al[e->nal];
	memset(a, 0, sizeof(*a));
	a->rule = rule;
	a->sym = sym;
	a->pid = pid;
	if (proc)
		snprintf(a->proc, sizeof(a->proc), "%s", proc);
	return (int32_t)e->nal++;
}

/* ---- measures ---- */

static const char *const wnames[TM_WIN_NWINDOWS] = {"10s", "1m", "5m", "15m"};

static void slo_add(struct slo *o, uint32_t u, uint64_t bad, uint64_t tot)
{
	uint32_t i = u % SLO_SECS;
	o->su[i] = u + 1;
	o->sbad[i] = bad > UINT32_MAX ? UINT32_MAX : (uint32_t)bad;
	o->stot[i] = tot > UINT32_MAX ? UINT32_MAX : (uint32_t)tot;
	uint32_t m = u / 60, j = m % SLO_MINS;
	if (o->mu[j] != m + 1) {
		o->mu[j] = m + 1;
		o->mbad[j] = o->mtot[j] = 0;
	}
	o->mbad[j] += bad;
	o->mtot[j] += tot;
}

/* bad and total over the `secs` seconds before `end` (seconds while the
 * per-second ring holds them, whole minutes beyond) */
static void slo_sum(const struct slo *o, uint32_t end, uint64_t secs, uint64_t *bad, uint64_t *tot)
{
	*bad = *tot = 0;
	if (secs <= SLO_SECS) {
		for (uint64_t i = 1; i <= secs && i <= end; i++) {
			uint32_t u = end - (uint32_t)i, j = u % SLO_SECS;
			if (o->su[j] == u + 1) {
				*bad += o->sbad[j];
				*tot += o->stot[j];
			}
		}
		return;
	}
	uint32_t mend = end / 60;
	for (uint64_t i = 0; i <= secs / 60 && i <= mend; i++) {
		uint32_t m = mend - (uint32_t)i, j = m % SLO_MINS;
		if (o->mu[j] == m + 1) {
			*bad += o->mbad[j];
			*tot += o->mtot[j];
		}
	}
}

struct eval {
	int want; /* the summary is wanted (the condition held on a first pass) */
	int cond;
	int stale; /* the condition holds from before (hysteresis): keep the summary */
	double value, threshold;
	enum tm_sev sev;
	char summary[200];
};

static int judged_sym(const struct tm_sym *s)
{
	return (s->flags & TM_RF_HAS_RULE) && !(s->flags & TM_RF_COUNT);
}

static void eval_rule(const struct tm_coll *c, const struct tm_health_eng *e,
		      const struct tm_sym *s, const struct hsym *h, size_t ri, uint64_t now,
		      int want, struct eval *v)
{
	const struct tm_arule *r = &e->r.r[h->rules[ri]];
	struct tm_wfig f;
	char a[32], b[32];
	memset(v, 0, sizeof(*v));
	v->want = want;
	v->sev = r->sev;
	v->threshold = r->threshold;
	switch (r->m) {
	case TM_M_ERROR_RATE: {
		tm_win_counts(&s->win, &c->clock, r->window, &f);
		uint64_t judged = f.ok + f.failed;
		if (!judged_sym(s) || !judged || judged < r->min_calls)
			return;
		v->value = (double)f.failed / (double)judged;
		v->cond = v->value > r->threshold;
		if (!v->want)
			return;
		char top[48] = "";
		if (f.nerr) {
			char nb[32];
			snprintf(top, sizeof(top), ", most %s",
				 tm_code_name(s->codes, f.err[0].code, nb, sizeof(nb)));
		}
		snprintf(v->summary, sizeof(v->summary),
			 "%.60s: error rate %.3g%% > %.3g%% over %s%s", s->name, 100 * v->value,
			 100 * r->threshold, wnames[r->window], top);
		return;
	}
	case TM_M_P99:
	case TM_M_P95:
		tm_win_figures(&s->win, &c->clock, r->window, &f);
		if (!f.timed || f.timed < r->min_calls)
			return;
		v->value = (double)(r->m == TM_M_P99 ? f.p99_ns : f.p95_ns);
		v->cond = v->value > r->threshold;
		if (!v->want)
			return;
		tm_fmt_dur(a, sizeof(a), v->value);
		tm_fmt_dur(b, sizeof(b), r->threshold);
		snprintf(v->summary, sizeof(v->summary), "%.60s: %s %s > %s over %s", s->name,
			 r->m == TM_M_P99 ? "p99" : "p95", a, b, wnames[r->window]);
		return;
	case TM_M_SLOW_RATIO:
		tm_win_counts(&s->win, &c->clock, r->window, &f);
		if (!s->slow_ns || !f.calls || f.calls < r->min_calls)
			return;
		v->value = (double)f.slow / (double)f.calls;
		v->cond = v->value > r->threshold;
		if (!v->want)
			return;
		tm_fmt_dur(a, sizeof(a), (double)s->slow_ns);
		snprintf(v->summary, sizeof(v->summary),
			 "%.60s: %.3g%% of calls slower than %s > %.3g%% over %s", s->name,
			 100 * v->value, a, 100 * r->threshold, wnames[r->window]);
		return;
	case TM_M_RATE_BELOW:
	case TM_M_RATE_ABOVE:
		tm_win_counts(&s->win, &c->clock, r->window, &f);
		if (!f.span_s)
			return;
		/* below: only once the window is whole since the function appeared */
		if (r->m == TM_M_RATE_BELOW &&
		    (now - h->first_ns) / 1000000000ull < (uint64_t)f.span_s + 1)
			return;
		v->value = (double)f.calls / f.span_s;
		v->cond =
			r->m == TM_M_RATE_BELOW ? v->value < r->threshold : v->value > r->threshold;
		snprintf(v->summary, sizeof(v->summary), "%.60s: %.4g calls/s %s %.4g over %s",
			 s->name, v->value, r->m == TM_M_RATE_BELOW ? "<" : ">", r->threshold,
			 wnames[r->window]);
		return;
	case TM_M_IN_FLIGHT:
		v->value = (double)s->in_flight;
		v->cond = v->value > r->threshold;
		if (!v->want)
			return;
		snprintf(v->summary, sizeof(v->summary), "%.60s: %.0f calls in flight > %.0f",
			 s->name, v->value, r->threshold);
		return;
	case TM_M_STUCK: {
		double thr = r->threshold;
		if (r->builtin) {
			thr = (double)e->r.stuck_ns;
			if (s->slow_ns && (double)s->slow_ns * e->r.stuck_slow_mult < thr)
				thr = (double)s->slow_ns * e->r.stuck_slow_mult;
		}
		v->threshold = thr;
		v->value = (double)s->oldest_ns;
		v->cond = s->in_flight && v->value > thr;
		if (!v->want)
			return;
		tm_fmt_dur(a, sizeof(a), v->value);
		tm_fmt_dur(b, sizeof(b), thr);
		snprintf(v->summary, sizeof(v->summary), "%.60s: a call open for %s (> %s)",
			 s->name, a, b);
		return;
	}
	case TM_M_NEVER_CALLED:
		v->value = (double)s->calls;
		v->cond = (s->flags & TM_RF_FOUND) && !(s->flags & (TM_RF_INTERNAL | TM_RF_GLOB)) &&
			  !s->calls && !s->in_flight && now - h->first_ns >= e->r.never_ns;
		if (!v->want)
			return;
		tm_fmt_dur(a, sizeof(a), (double)e->r.never_ns);
		snprintf(v->summary, sizeof(v->summary),
			 "%.60s: found but not called in %s — is the name right? (tmsyms -i "
			 "lists what the program imports)",
			 s->name, a);
		return;
	case TM_M_BURN: {
		const struct slo *o = h->slo ? h->slo[ri] : NULL;
		if (!o)
			return;
		struct tm_burn_pair p[TM_BURN_PAIRS];
		unsigned np = tm_burn_pairs(r->period_s, p);
		double best = 0;
		int fired = -1;
		for (int i = 0; i < (int)np; i++) {
			uint64_t lb, lt, sb, st;
			slo_sum(o, c->clock.open, p[i].long_s, &lb, &lt);
			slo_sum(o, c->clock.open, p[i].short_s, &sb, &st);
			double bl = tm_burn_rate(lb, lt, r->objective);
			double bs = tm_burn_rate(sb, st, r->objective);
			if (i == 0 || bl > best)
				best = bl;
			if (fired < 0 && lt >= r->min_calls && bl > p[i].factor &&
			    bs > p[i].factor) {
				fired = i;
				v->value = bl;
				v->threshold = p[i].factor;
				v->sev = r->sev < p[i].sev ? r->sev : p[i].sev;
				snprintf(v->summary, sizeof(v->summary),
					 "%.60s: burning the %.4g%% SLO at %.3gx over %llus and "
					 "%.3gx "
					 "over %llus (> %.3gx)",
					 s->name, 100 * r->objective, bl,
					 (unsigned long long)p[i].long_s, bs,
					 (unsigned long long)p[i].short_s, p[i].factor);
			}
		}
		v->cond = fired >= 0;
		if (!v->cond) {
			v->value = best;
			v->threshold = p[0].factor;
		}
		return;
	}
	default: return;
	}
}

/* ---- events ---- */

static json_t *alert_json(const struct tm_coll *c, const struct tm_health_eng *e,
			  const struct tm_alert *a, const struct tm_episode *x, const char *state);

static void event(struct tm_health_eng *e, json_t *o)
{
	if (json_array_size(e->events) >= EVENTS_MAX) {
		e->events_dropped++;
		json_decref(o);
		return;
	}
	json_array_append_new(e->events, o);
}

static void changed(struct tm_coll *c, struct tm_health_eng *e, struct tm_alert *a, int how)
{
	if (!a->nep)
		return;
	const struct tm_episode *x = &a->ep[a->nep - 1];
	const char *st = how == 1 ? "firing" : "resolved";
	json_t *o = alert_json(c, e, a, x, st);
	json_t *ev = json_pack("{ss}", "type", "alert");
	json_object_update(ev, o);
	json_object_set_new(
		ev, "t_realtime_ns",
		json_integer((json_int_t)(how == 1 ? x->start_real_ns : x->end_real_ns)));
	event(e, ev);
	if (e->notify)
		tm_notify_post(e->notify, o);
	else
		json_decref(o);
}

static void set_health(struct tm_coll *c, struct tm_health_eng *e, struct tm_hstate *h,
		       enum tm_health st, const char *reason, const char *what, const char *key,
		       json_t *id, uint64_t real)
{
	int change = h->state != st || h->since_real_ns == 0;
	if (change) {
		json_t *o = json_pack("{ssss}", "type", "health", "what", what);
		if (key)
			json_object_set_new(o, key, id);
		else
			json_decref(id);
		id = NULL;
		json_object_set_new(o, "from", json_string(tm_health_name(h->state)));
		json_object_set_new(o, "to", json_string(tm_health_name(st)));
		json_object_set_new(o, "reason", tm_json_text(reason));
		json_object_set_new(o, "t_realtime_ns", json_integer((json_int_t)real));
		/* every state a thing enters is an event, the first too (from the
		 * unknown everything starts in), but not staying unknown */
		if (h->state != st) {
			event(e, json_deep_copy(o));
			if (json_array_size(e->hevents) >= HEVENTS_MAX) {
				json_array_remove(e->hevents, 0);
				e->hevents_dropped++;
			}
			json_array_append(e->hevents, o);
		}
		json_decref(o);
		h->since_real_ns = real;
	}
	json_decref(id);
	h->state = st;
	snprintf(h->reason, sizeof(h->reason), "%s", reason);
	(void)c;
}

/* ---- the evaluation ---- */

static void step(struct tm_coll *c, struct tm_health_eng *e, int32_t *slot, uint32_t rule,
		 int32_t sym, int32_t pid, const char *proc, const struct eval *v, uint64_t now,
		 uint64_t real)
{
	if (*slot < 0) {
		if (!v->cond)
			return;
		*slot = new_alert(e, rule, sym, pid, proc);
		if (*slot < 0)
			return;
	}
	struct tm_alert *a = &e->al[*slot];
	a->threshold = v->threshold;
	if ((v->cond && !v->stale) || a->state == TM_AS_INACTIVE)
		snprintf(a->summary, sizeof(a->summary), "%s", v->summary);
	if (v->cond)
		a->sev = v->sev;
	int how = tm_alert_step(a, &e->r.r[rule], &e->r, v->cond, v->value, now, real);
	if (how)
		changed(c, e, a, how);
}

static int in_maint(const struct tm_health_eng *e, const char *name, uint64_t real)
{
	for (size_t i = 0; i < e->r.nmt; i++)
		if (real < e->r.mt[i].until_real_ns && match(e->r.mt[i].pattern, name))
			return (int)i + 1;
	return 0;
}

static uint64_t lost_total(const struct tm_coll *c)
{
	uint64_t n = c->closs[TM_CLOSS_CORRUPT] + c->earlier.loss[TM_LOSS_NOMEM] +
		     c->earlier.loss[TM_LOSS_DEPTH] + c->earlier.loss[TM_LOSS_REENTRANT];
	for (size_t i = 0; i < c->nprocs; i++) {
		const struct tm_proc *p = c->procs[i];
		n += p->loss[TM_LOSS_NOMEM] + p->loss[TM_LOSS_DEPTH] + p->loss[TM_LOSS_REENTRANT] +
		     p->closs[TM_CLOSS_CORRUPT];
	}
	return n;
}

static uint64_t lost_last_minute(const struct tm_health_eng *e, uint32_t open)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < 60; i++)
		if (e->loss_unit[i] && e->loss_unit[i] + 60 > open)
			n += e->loss_sec[i];
	return n;
}

/* Feed the detector and the SLO rings with sealed second u. */
static void feed(struct tm_coll *c, struct tm_health_eng *e, size_t i, uint32_t u)
{
	struct hsym *h = &e->hs[i];
	const struct tm_sym *s = &c->syms[i];
	struct tm_wbucket b;
	for (size_t j = 0; j < h->nrules; j++) {
		const struct tm_arule *r = &e->r.r[h->rules[j]];
		if (r->m != TM_M_BURN)
			continue;
		uint64_t le = 0;
		int held = tm_win_second(&s->win, u, r->under_ns, &b, r->under_ns ? &le : NULL);
		if (!held && !h->slo[j])
			continue;
		if (!h->slo[j] && !(h->slo[j] = calloc(1, sizeof(struct slo))))
			continue;
		if (r->under_ns) {
			if (held < 0)
				continue;
			slo_add(h->slo[j], u, b.timed > le ? b.timed - le : 0, b.timed);
		} else if (judged_sym(s)) {
			slo_add(h->slo[j], u, b.failed, b.ok + b.failed);
		}
	}
	if (h->anr == -2)
		return;
	tm_win_second(&s->win, u, 0, &b, NULL);
	if (!h->an) {
		/* a detector once a second has enough calls for one */
		const struct tm_an_params *p = h->anr >= 0 ? &e->r.an[h->anr].p : NULL;
		struct tm_an_params d;
		if (!p) {
			tm_an_params_default(&d);
			p = &d;
		}
		if (b.calls < p->min_calls || !(h->an = tm_an_new(p)))
			return;
	}
	struct tm_an_point pt = {b.calls, judged_sym(s) ? (int64_t)b.failed : -1, b.timed,
				 b.timed ? tm_wh_value(b.q[0]) : 0,
				 b.timed ? tm_wh_value(b.q[2]) : 0};
	tm_an_push(h->an, &pt);
}

static void eval_anomaly(struct tm_coll *c, struct tm_health_eng *e, size_t i, uint64_t now,
			 uint64_t real, int maint)
{
	struct hsym *h = &e->hs[i];
	const struct tm_sym *s = &c->syms[i];
	if (!h->an)
		return;
	for (int k = 0; k < TM_AN_COUNT; k++) {
		const struct tm_an_state *st = tm_an_state(h->an, (enum tm_an_series)k);
		struct eval v = {0};
		v.cond = st->firing && !maint;
		v.stale = st->firing && h->an_alert[k] >= 0 &&
			  e->al[h->an_alert[k]].state == TM_AS_FIRING;
		v.value = st->value;
		v.threshold = st->baseline;
		v.sev = h->anr >= 0 ? e->r.an[h->anr].sev : TM_SEV_WARNING;
		char a[32], b[32];
		if (!st->firing) {
			/* nothing to say */
		} else if (k == TM_AN_P99 || k == TM_AN_P50) {
			tm_fmt_dur(a, sizeof(a), st->value);
			tm_fmt_dur(b, sizeof(b), st->baseline);
			snprintf(v.summary, sizeof(v.summary),
				 "%.60s: %s %s against a baseline of %s (robust z %.1f)", s->name,
				 tm_an_series_name((enum tm_an_series)k), a, b, st->z);
		} else if (k == TM_AN_RATE) {
			snprintf(v.summary, sizeof(v.summary),
				 "%.60s: %.4g calls/s against a baseline of %.4g (robust z %.1f)",
				 s->name, st->value, st->baseline, st->z);
		} else {
			snprintf(v.summary, sizeof(v.summary),
				 "%.60s: error ratio %.3g%% against a baseline of %.3g%% (%.1f "
				 "sigma)",
				 s->name, 100 * st->value, 100 * st->baseline, st->z);
		}
		step(c, e, &h->an_alert[k], (uint32_t)(e->nuser + B_AN_P99 + k), (int32_t)i, 0,
		     NULL, &v, now, real);
	}
}

static enum tm_sev worst_firing(const struct tm_health_eng *e, const struct hsym *h, int *any,
				const char **why)
{
	enum tm_sev w = TM_SEV_INFO;
	*any = 0;
	for (size_t j = 0; j < (size_t)h->nrules + TM_AN_COUNT; j++) {
		int32_t ai = j < h->nrules ? h->alert[j] : h->an_alert[j - h->nrules];
		if (ai < 0 || e->al[ai].state != TM_AS_FIRING)
			continue;
		const struct tm_alert *a = &e->al[ai];
		if (a->sev == TM_SEV_INFO)
			continue;
		if (!*any || a->sev > w) {
			w = a->sev;
			*why = a->summary;
		}
		*any = 1;
	}
	return w;
}

static void sym_health(struct tm_coll *c, struct tm_health_eng *e, size_t i, uint64_t real,
		       uint64_t lost)
{
	struct hsym *h = &e->hs[i];
	const struct tm_sym *s = &c->syms[i];
	char why[200];
	const char *reason = NULL;
	enum tm_health st;
	int any;
	if (h->maint) {
		st = TM_H_MAINTENANCE;
		snprintf(why, sizeof(why), "%s", e->r.mt[h->maint - 1].reason);
		reason = why;
	} else {
		enum tm_sev w = worst_firing(e, h, &any, &reason);
		if (any) {
			st = w >= TM_SEV_ERROR ? TM_H_UNHEALTHY : TM_H_DEGRADED;
		} else {
			struct tm_wfig f;
			tm_win_counts(&s->win, &c->clock, TM_W1M, &f);
			if (!s->calls) {
				st = TM_H_UNKNOWN;
				reason = "not called yet";
			} else if (f.calls < e->r.health_min_calls) {
				st = TM_H_UNKNOWN;
				snprintf(why, sizeof(why),
					 "%llu calls in the last minute (fewer than %u)",
					 (unsigned long long)f.calls, e->r.health_min_calls);
				reason = why;
			} else if (h->errrule && !judged_sym(s)) {
				st = TM_H_UNKNOWN;
				reason = "an error-rate rule, but no success rule for the function";
			} else if (lost * 100 > f.calls) {
				st = TM_H_UNKNOWN;
				snprintf(why, sizeof(why),
					 "%llu calls could not be counted in the last minute",
					 (unsigned long long)lost);
				reason = why;
			} else {
				st = TM_H_HEALTHY;
				snprintf(why, sizeof(why),
					 "%llu calls in the last minute, no alert firing",
					 (unsigned long long)f.calls);
				reason = why;
			}
		}
	}
	set_health(c, e, &h->h, st, reason, "function", "function", tm_json_text(s->name), real);
}

static struct hproc *proc_state(struct tm_health_eng *e, const struct tm_proc *p)
{
	for (size_t i = 0; i < e->nhp; i++)
		if (e->hp[i].p == p)
			return &e->hp[i];
	if (e->nhp == e->caphp) {
		size_t cap = e->caphp ? 2 * e->caphp : 16;
		struct hproc *m = realloc(e->hp, cap * sizeof(*m));
		if (!m)
			return NULL;
		e->hp = m;
		e->caphp = cap;
	}
	struct hproc *h = &e->hp[e->nhp++];
	memset(h, 0, sizeof(*h));
	h->p = p;
	h->pid = p->pid;
	h->alert = -1;
	return h;
}

static void procs(struct tm_coll *c, struct tm_health_eng *e, uint64_t now, uint64_t real)
{
	/* entries merged into `earlier` are gone: drop their state */
	for (size_t i = 0; i < e->nhp;) {
		int present = 0;
		for (size_t j = 0; j < c->nprocs && !present; j++)
			present = c->procs[j] == e->hp[i].p;
		if (present) {
			i++;
			continue;
		}
		e->hp[i] = e->hp[--e->nhp];
	}
	for (size_t i = 0; i < c->nprocs; i++) {
		const struct tm_proc *p = c->procs[i];
		if (!tm_proc_reported(p))
			continue;
		struct hproc *h = proc_state(e, p);
		if (!h)
			continue;
		char name[64], why[160];
		tm_proc_name(p, name, sizeof(name));
		if (e->r.crashed) {
			struct eval v = {0};
			v.sev = TM_SEV_CRITICAL;
			/* an event: fires once, resolves five minutes later */
			if (p->status == TM_PS_CRASHED && !h->crashed_ns)
				h->crashed_ns = now;
			v.cond = h->crashed_ns && now - h->crashed_ns < 300000000000ull;
			v.value = 1;
			snprintf(v.summary, sizeof(v.summary),
				 "pid %d (%.40s) died without exiting: killed or crashed",
				 (int)p->pid, name);
			step(c, e, &h->alert, (uint32_t)(e->nuser + B_CRASHED), -1, p->pid, name,
			     &v, now, real);
		}
		enum tm_health st;
		if (p->status == TM_PS_CRASHED) {
			st = TM_H_UNHEALTHY;
			snprintf(why, sizeof(why), "died without exiting: killed or crashed");
		} else if (p->status == TM_PS_EXITED && p->exit_code != 0) {
			st = TM_H_DEGRADED;
			snprintf(why, sizeof(why), "exited with status %d", p->exit_code);
		} else if (p->loss[TM_LOSS_NOMEM] + p->loss[TM_LOSS_DEPTH] +
			   p->loss[TM_LOSS_REENTRANT] + p->closs[TM_CLOSS_CORRUPT]) {
			st = TM_H_UNKNOWN;
			snprintf(why, sizeof(why), "%llu calls could not be counted",
				 (unsigned long long)(p->loss[TM_LOSS_NOMEM] +
						      p->loss[TM_LOSS_DEPTH] +
						      p->loss[TM_LOSS_REENTRANT] +
						      p->closs[TM_CLOSS_CORRUPT]));
		} else {
			st = TM_H_HEALTHY;
			snprintf(why, sizeof(why), "%s",
				 p->status == TM_PS_RUNNING ? "running"
				 : p->status == TM_PS_EXEC  ? "replaced itself with exec"
							    : "exited with status 0");
		}
		set_health(c, e, &h->h, st, why, "process", "pid", json_integer(p->pid), real);
	}
}

static void session_health(struct tm_coll *c, struct tm_health_eng *e, uint64_t real)
{
	size_t n[TM_H_COUNT] = {0};
	const char *worst = NULL;
	enum tm_health ws = TM_H_HEALTHY;
	for (size_t i = 0; i < e->nhs; i++) {
		if (!tm_sym_reported(&c->syms[i]))
			continue;
		enum tm_health st = e->hs[i].h.state;
		n[st]++;
		if ((st == TM_H_UNHEALTHY || st == TM_H_DEGRADED) && (!worst || st > ws)) {
			ws = st;
			worst = e->hs[i].h.reason;
		}
	}
	for (size_t i = 0; i < e->nhp; i++) {
		enum tm_health st = e->hp[i].h.state;
		n[st]++;
		if ((st == TM_H_UNHEALTHY || st == TM_H_DEGRADED) && (!worst || st > ws)) {
			ws = st;
			worst = e->hp[i].h.reason;
		}
	}
	if (e->loss_alert >= 0 && e->al[e->loss_alert].state == TM_AS_FIRING &&
	    (!worst || ws < TM_H_DEGRADED)) {
		ws = TM_H_DEGRADED;
		worst = e->al[e->loss_alert].summary;
	}
	char why[200];
	enum tm_health st;
	int sm = 0;
	for (size_t i = 0; i < e->r.nmt && !sm; i++)
		if (real < e->r.mt[i].until_real_ns && strcmp(e->r.mt[i].pattern, "*") == 0)
			sm = (int)i + 1;
	if (sm) {
		st = TM_H_MAINTENANCE;
		snprintf(why, sizeof(why), "%s", e->r.mt[sm - 1].reason);
	} else if (worst) {
		st = ws;
		snprintf(why, sizeof(why), "%s", worst);
	} else if (n[TM_H_HEALTHY]) {
		st = TM_H_HEALTHY;
		snprintf(why, sizeof(why), "%zu healthy, %zu unknown, no alert firing",
			 n[TM_H_HEALTHY], n[TM_H_UNKNOWN]);
	} else {
		st = TM_H_UNKNOWN;
		snprintf(why, sizeof(why), "%s",
			 c->nsyms ? "too few calls to judge" : "no data yet");
	}
	set_health(c, e, &e->session, st, why, "session", NULL, NULL, real);
}

void tm_health_eval(struct tm_coll *c, uint64_t now_ns, int final)
{
	struct tm_health_eng *e = eng(c);
	if (!e)
		return;
	(void) final;
	uint32_t open = c->clock.open;
	if (open <= e->done && !final)
		return;
	uint64_t now = c->clock.epoch_ns + (uint64_t)open * 1000000000ull;
	if (now < now_ns && final)
		now = now_ns;
	uint64_t real = to_real(c, now);
	e->eval_ns = now;
	grow(c, e, now);
	/* a collector that stalled longer than the rings: start from what is held */
	if (open > e->done + TM_WIN_FSECS)
		e->done = open - TM_WIN_FSECS;
	for (size_t i = 0; i < e->nhs; i++) {
		if (!c->syms[i].calls && !e->hs[i].an)
			continue;
		for (uint32_t u = e->done; u < open; u++)
			feed(c, e, i, u);
	}
	/* loss: the session's lost calls per second */
	uint64_t lt = lost_total(c);
	if (lt > e->loss_prev && open) {
		unsigned j = (open - 1) % 60;
		if (e->loss_unit[j] != open)
			e->loss_sec[j] = 0;
		e->loss_unit[j] = open;
		e->loss_sec[j] += lt - e->loss_prev;
	}
	e->loss_prev = lt;
	uint64_t lost = lost_last_minute(e, open);
	if (e->r.loss) {
		struct eval v = {0};
		v.sev = TM_SEV_WARNING;
		v.cond = lost > 0;
		v.value = (double)lost;
		snprintf(v.summary, sizeof(v.summary),
			 "%llu calls could not be counted in the last minute "
			 "(shadow stack full, re-entered, or no shared memory)",
			 (unsigned long long)lost);
		step(c, e, &e->loss_alert, (uint32_t)(e->nuser + B_LOSS), -1, 0, NULL, &v, now,
		     real);
	}
	for (size_t i = 0; i < e->nhs; i++) {
		struct hsym *h = &e->hs[i];
		const struct tm_sym *s = &c->syms[i];
		if (!h->rules)
			continue;
		h->maint = in_maint(e, s->name, real);
		for (size_t j = 0; j < h->nrules; j++) {
			if (!s->calls && !s->in_flight && h->alert[j] < 0 &&
			    e->r.r[h->rules[j]].m != TM_M_NEVER_CALLED &&
			    e->r.r[h->rules[j]].m != TM_M_RATE_BELOW)
				continue; /* nothing to judge and nothing to resolve */
			struct eval v;
			eval_rule(c, e, s, h, j, now, 0, &v);
			/* the words only for what holds (a burn rate has them already) */
			if (v.cond && e->r.r[h->rules[j]].m != TM_M_BURN)
				eval_rule(c, e, s, h, j, now, 1, &v);
			if (h->maint)
				v.cond = 0; /* maintenance silences */
			step(c, e, &h->alert[j], h->rules[j], (int32_t)i, 0, NULL, &v, now, real);
		}
		eval_anomaly(c, e, i, now, real, h->maint);
		sym_health(c, e, i, real, lost);
	}
	procs(c, e, now, real);
	session_health(c, e, real);
	e->done = open;
	if (!e->start_ns)
		e->start_ns = now;
	/* a rule for a function that never showed up: said once, after a
	 * minute (libraries loaded late) or at the end */
	if (!e->said_unmatched && e->matched && (final || now - e->start_ns >= 60000000000ull)) {
		e->said_unmatched = 1;
		for (size_t i = 0; i < e->nuser; i++)
			if (!e->matched[i]) {
				char shown[200];
				tm_term_text(shown, sizeof(shown), e->r.r[i].pattern);
				fprintf(stderr,
					"%s: rules: alert \"%s\": function \"%s\" matches "
					"no "
					"monitored function\n",
					tm_tool, e->r.r[i].name, shown);
			}
	}
}

int tm_health_options(struct tm_coll *c, const char *const *maint, size_t n, const char *prog)
{
	if (!c->hrules) {
		if (!(c->hrules = calloc(1, sizeof(*c->hrules))))
			return -1;
		tm_hrules_defaults(c->hrules);
	}
	uint64_t real = to_real(c, c->start_mono_ns);
	if (!c->start_real_ns) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		real = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	}
	for (size_t i = 0; i < n; i++)
		if (tm_hrules_maint_arg(c->hrules, maint[i], real) < 0) {
			fprintf(stderr,
				"%s: --maintenance %s: expected GLOB or GLOB=DURATION (30m, 2h)\n",
				prog, maint[i]);
			return -1;
		}
	return 0;
}

/* ---- what outputs read ---- */

const struct tm_hstate *tm_health_sym(const struct tm_coll *c, size_t gsym)
{
	const struct tm_health_eng *e = c->health;
	return e && gsym < e->nhs ? &e->hs[gsym].h : NULL;
}

const struct tm_hstate *tm_health_proc(const struct tm_coll *c, const struct tm_proc *p)
{
	const struct tm_health_eng *e = c->health;
	for (size_t i = 0; e && i < e->nhp; i++)
		if (e->hp[i].p == p)
			return &e->hp[i].h;
	return NULL;
}

const struct tm_hstate *tm_health_session(const struct tm_coll *c)
{
	return c->health ? &c->health->session : NULL;
}

json_t *tm_health_json(const struct tm_hstate *h)
{
	if (!h)
		return json_pack("{sssssn}", "state", "unknown", "reason", "not evaluated yet",
				 "since_realtime_ns");
	json_t *o = json_pack("{ss}", "state", tm_health_name(h->state));
	json_object_set_new(o, "reason", tm_json_text(h->reason));
	json_object_set_new(o, "since_realtime_ns",
			    h->since_real_ns ? json_integer((json_int_t)h->since_real_ns)
					     : json_null());
	return o;
}

size_t tm_health_nalerts(const struct tm_coll *c)
{
	return c->health ? c->health->nal : 0;
}

const struct tm_alert *tm_health_alert(const struct tm_coll *c, size_t i)
{
	return c->health && i < c->health->nal ? &c->health->al[i] : NULL;
}

const char *tm_alert_name(const struct tm_coll *c, const struct tm_alert *a)
{
	return c->health->r.r[a->rule].name;
}

enum tm_sev tm_alert_sev(const struct tm_coll *c, const struct tm_alert *a)
{
	(void)c;
	return a->sev;
}

enum tm_kind tm_alert_kind(const struct tm_coll *c, const struct tm_alert *a)
{
	return c->health->r.r[a->rule].kind;
}

const json_t *tm_alert_labels(const struct tm_coll *c, const struct tm_alert *a)
{
	return c->health->r.r[a->rule].labels;
}

static json_t *alert_json(const struct tm_coll *c, const struct tm_health_eng *e,
			  const struct tm_alert *a, const struct tm_episode *x, const char *state)
{
	const struct tm_arule *r = &e->r.r[a->rule];
	json_t *o = json_pack("{ssss}", "name", r->name, "kind", tm_kind_name(r->kind));
	json_object_set_new(o, "function",
			    a->sym >= 0 ? tm_json_text(c->syms[a->sym].name) : json_null());
	json_object_set_new(
		o, "process",
		a->pid ? json_pack("{siso}", "pid", a->pid, "name", tm_json_text(a->proc))
		       : json_null());
	json_object_set_new(o, "severity", json_string(tm_sev_name(x ? x->sev : a->sev)));
	json_object_set_new(o, "state", json_string(state));
	uint64_t start = x ? x->start_real_ns : to_real(c, a->since_ns);
	json_object_set_new(o, "starts_realtime_ns", json_integer((json_int_t)start));
	json_object_set_new(o, "ends_realtime_ns",
			    x && x->end_real_ns ? json_integer((json_int_t)x->end_real_ns)
						: json_null());
	double value = x && x->end_real_ns ? x->peak : a->value;
	json_object_set_new(o, "value", isfinite(value) ? json_real(value) : json_null());
	double thr = x ? x->threshold : a->threshold;
	json_object_set_new(o, "threshold", isfinite(thr) ? json_real(thr) : json_null());
	json_object_set_new(o, "flapping", json_boolean(x ? x->flapping : a->flapping));
	json_t *lab = r->labels ? json_deep_copy(r->labels) : json_object();
	json_object_set_new(o, "labels", lab);
	json_t *ann = r->annotations ? json_deep_copy(r->annotations) : json_object();
	if (!json_object_get(ann, "summary"))
		json_object_set_new(ann, "summary", tm_json_text(x ? x->summary : a->summary));
	json_object_set_new(o, "annotations", ann);
	return o;
}

json_t *tm_alerts_json(const struct tm_coll *c, int active_only)
{
	const struct tm_health_eng *e = c->health;
	json_t *arr = json_array();
	for (size_t i = 0; e && i < e->nal; i++) {
		const struct tm_alert *a = &e->al[i];
		if (a->state == TM_AS_PENDING)
			json_array_append_new(arr, alert_json(c, e, a, NULL, "pending"));
		for (size_t j = 0; j < a->nep; j++) {
			const struct tm_episode *x = &a->ep[j];
			if (active_only && x->end_real_ns)
				continue;
			json_array_append_new(
				arr,
				alert_json(c, e, a, x, x->end_real_ns ? "resolved" : "firing"));
		}
	}
	return arr;
}

json_t *tm_health_doc(const struct tm_coll *c)
{
	const struct tm_health_eng *e = c->health;
	json_t *o = json_object();
	json_object_set_new(o, "session", tm_health_json(tm_health_session(c)));
	json_t *fs = json_array(), *ps = json_array();
	for (size_t i = 0; e && i < e->nhs; i++) {
		if (!tm_sym_reported(&c->syms[i]))
			continue;
		json_t *h = tm_health_json(&e->hs[i].h);
		json_object_set_new(h, "function", tm_json_text(c->syms[i].name));
		json_array_append_new(fs, h);
	}
	for (size_t i = 0; e && i < e->nhp; i++) {
		json_t *h = tm_health_json(&e->hp[i].h);
		json_object_set_new(h, "pid", json_integer(e->hp[i].pid));
		json_array_append_new(ps, h);
	}
	json_object_set_new(o, "functions", fs);
	json_object_set_new(o, "processes", ps);
	json_object_set_new(o, "events", e ? json_deep_copy(e->hevents) : json_array());
	json_object_set_new(o, "events_dropped",
			    json_integer(e ? (json_int_t)e->hevents_dropped : 0));
	return o;
}

void tm_health_take_events(struct tm_coll *c, json_t *arr)
{
	struct tm_health_eng *e = c->health;
	if (!e)
		return;
	json_array_extend(arr, e->events);
	json_array_clear(e->events);
}

void tm_health_set_notify(struct tm_coll *c, struct tm_notify *n)
{
	struct tm_health_eng *e = eng(c);
	if (e)
		e->notify = n;
}

const struct tm_hrules *tm_health_rules(const struct tm_coll *c, size_t *nuser)
{
	if (!c->health)
		return NULL;
	*nuser = c->health->nuser;
	return &c->health->r;
}
