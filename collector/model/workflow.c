/* SPDX-License-Identifier: MIT */
/* Workflows (model/workflow.h). A thread logs the steps (function,
 * failed) of its records while workflows are configured; a call at depth d
 * began after the previous record at depth <= d, so its steps are the log
 * from that record's mark to its own record. The log restarts after every
 * record at depth 0 (nothing is open then), so it holds one outermost
 * call's records at most, bounded by TM_WF_LOG. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "model/workflow.h"

#define UNKNOWN UINT32_MAX

/* 0 (added, or already a root), -ENOSPC (TM_WF_MAX reached: said here)
 * or -ENOMEM. */
static int wf_add(struct tm_coll *c, const char *root, int any_step, const char *path, FILE *log)
{
	if (!c->wf && !(c->wf = calloc(1, sizeof(*c->wf))))
		return -ENOMEM;
	for (size_t i = 0; i < c->wf->n; i++)
		if (strcmp(c->wf->wf[i].root, root) == 0)
			return 0;
	if (c->wf->n >= TM_WF_MAX) {
		fprintf(log, "%s: rules %s: more than %d workflows; the rest ignored\n", tm_tool,
			path, TM_WF_MAX);
		return -ENOSPC;
	}
	struct tm_wf *x = &c->wf->wf[c->wf->n++];
	c->calls_on = 1; /* units are made of the call structure */
	snprintf(x->root, sizeof(x->root), "%s", root);
	x->any_step = any_step;
	return 0;
}

/* "symbols": {"handle": {"root": true, "fail_if": "any_step"}}: the same
 * as a workflows[] entry, written in the function's own rule (the shim
 * reads the file too and ignores both fields). The root is the rule's
 * display name, or its pattern's function part; a glob is no root. */
static int wf_parse_syms(struct tm_coll *c, json_t *root, const char *path, FILE *log)
{
	json_t *syms = json_object_get(root, "symbols"), *v;
	const char *key;
	if (!json_is_object(syms))
		return 0;
	json_object_foreach(syms, key, v)
	{
		json_t *rt = json_is_object(v) ? json_object_get(v, "root") : NULL;
		if (!rt || json_is_false(rt))
			continue;
		json_t *fj = json_object_get(v, "fail_if");
		const char *f = fj ? json_string_value(fj) : "root";
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *colon = strrchr(key, ':');
		if (!name)
			name = colon && colon[1] ? colon + 1 : key;
		char shown[160];
		tm_term_text(shown, sizeof(shown), key);
		if (!json_is_true(rt) || !f ||
		    (strcmp(f, "root") != 0 && strcmp(f, "any_step") != 0)) {
			fprintf(log,
				"%s: rules %s: symbols \"%s\": expected \"root\": true and "
				"\"fail_if\": \"root\" | \"any_step\"; not a workflow\n",
				tm_tool, path, shown);
			continue;
		}
		if (!*name || strpbrk(name, "*?[") || strlen(name) >= sizeof(c->wf->wf[0].root)) {
			fprintf(log,
				"%s: rules %s: symbols \"%s\": a root is one function (no glob; "
				"\"name\" names it); not a workflow\n",
				tm_tool, path, shown);
			continue;
		}
		int r = wf_add(c, name, strcmp(f, "any_step") == 0, path, log);
		if (r < 0)
			return r == -ENOSPC ? 0 : r;
	}
	return 0;
}

int tm_wf_parse(struct tm_coll *c, void *root, const char *path, FILE *log)
{
	json_t *a = json_object_get(root, "workflows");
	if (!a)
		return wf_parse_syms(c, root, path, log);
	if (!json_is_array(a)) {
		fprintf(log, "%s: rules %s: \"workflows\" must be an array; ignored\n", tm_tool,
			path);
		return 0;
	}
	size_t i;
	json_t *w;
	json_array_foreach(a, i, w)
	{
		const char *r = json_string_value(json_object_get(w, "root"));
		json_t *fj = json_object_get(w, "fail_if");
		const char *f = fj ? json_string_value(fj) : "root";
		if (!r || !*r || strlen(r) >= sizeof(c->wf->wf[0].root) || !f ||
		    (strcmp(f, "root") != 0 && strcmp(f, "any_step") != 0)) {
			fprintf(log,
				"%s: rules %s: workflows[%zu]: expected {\"root\": NAME, "
				"\"fail_if\": \"root\" | \"any_step\"}; skipped\n",
				tm_tool, path, i);
			continue;
		}
		int e = wf_add(c, r, strcmp(f, "any_step") == 0, path, log);
		if (e == -ENOSPC)
			return 0;
		if (e < 0)
			return e;
	}
	return wf_parse_syms(c, root, path, log);
}

void tm_wf_free(struct tm_coll *c)
{
	if (!c->wf)
		return;
	for (size_t i = 0; i < c->wf->n; i++)
		tm_hist_free(&c->wf->wf[i].hist);
	free(c->wf);
	c->wf = NULL;
}

/* The workflow a function is the root of, or NULL (cached per function). */
static struct tm_wf *wf_of(struct tm_coll *c, uint32_t g)
{
	struct tm_sym *s = &c->syms[g];
	if (!s->wf_root) {
		s->wf_root = 1;
		for (size_t i = 0; i < c->wf->n; i++)
			if (strcmp(c->wf->wf[i].root, s->name) == 0) {
				s->wf_root = (uint8_t)(2 + i);
				break;
			}
	}
	return s->wf_root > 1 ? &c->wf->wf[s->wf_root - 2] : NULL;
}

static void unit(struct tm_wf *w, const struct tm_wflog *steps, uint32_t n, uint64_t ns, int timed,
		 int failed, int inexact)
{
	w->units++;
	uint32_t stamp = (uint32_t)w->units;
	int step_failed = 0;
	for (uint32_t i = 0; i < n; i++) {
		step_failed |= (int)steps[i].failed;
		uint32_t k;
		for (k = 0; k < w->nsteps && w->steps[k].gsym != steps[i].gsym; k++)
			;
		if (k == w->nsteps) {
			if (k == TM_WF_STEPS) {
				w->other_calls++;
				continue;
			}
			w->steps[w->nsteps++] = (struct tm_wfstep){.gsym = steps[i].gsym};
		}
		struct tm_wfstep *s = &w->steps[k];
		s->calls++;
		s->failed += steps[i].failed;
		if (s->stamp != stamp) {
			s->stamp = stamp;
			s->units++;
		}
	}
	w->failed += failed || (w->any_step && step_failed);
	w->inexact += inexact != 0;
	if (timed) {
		w->timed++;
		w->sum_ns += (double)(int64_t)ns;
		if (ns > w->max_ns)
			w->max_ns = ns;
		tm_hist_add(&w->hist, ns, 1);
	}
}

static int ready(struct tm_cthr *t)
{
	if (t->wlog)
		return 0;
	t->wlog = malloc(TM_WF_LOG * sizeof(*t->wlog));
	t->wsub = malloc((TM_CALLS_LEVELS + 1) * sizeof(*t->wsub));
	if (!t->wlog || !t->wsub) {
		free(t->wlog);
		free(t->wsub);
		t->wlog = NULL;
		t->wsub = NULL;
		return -1;
	}
	for (unsigned d = 0; d <= TM_CALLS_LEVELS; d++)
		t->wsub[d] = t->taint ? UNKNOWN : 0;
	t->wlev = t->taint ? t->nlev : 0;
	t->nlog = 0;
	t->wfull = 0;
	return 0;
}

void tm_wf_lost(struct tm_cthr *t)
{
	if (!t->wsub)
		return;
	for (unsigned d = 0; d <= TM_CALLS_LEVELS; d++)
		t->wsub[d] = UNKNOWN;
	t->wlev = TM_CALLS_LEVELS + 1;
}

void tm_wf_rec(struct tm_coll *c, struct tm_cthr *t, uint32_t gsym, unsigned depth, uint64_t ns,
	       int timed, int failed)
{
	if (depth >= TM_CALLS_LEVELS || ready(t) < 0)
		return;
	/* a depth never seen before: every record so far was shallower, so
	 * its next call begins after the last of them */
	for (; t->wlev < t->nlev && t->wlev <= TM_CALLS_LEVELS; t->wlev++)
		t->wsub[t->wlev] = t->nlog;
	uint32_t n = t->nlog;
	struct tm_wf *w = wf_of(c, gsym);
	if (w) {
		uint32_t from = t->wsub[depth];
		int inexact = from == UNKNOWN || t->wfull;
		if (from == UNKNOWN || from > n)
			from = 0;
		unit(w, t->wlog + from, n - from, ns, timed, failed, inexact);
	}
	if (depth == 0) {
		/* nothing open on the thread: the log starts again */
		t->nlog = 0;
		t->wfull = 0;
		for (unsigned d = 0; d <= TM_CALLS_LEVELS && d < t->nlev; d++)
			t->wsub[d] = 0;
		return;
	}
	if (n < TM_WF_LOG)
		t->wlog[t->nlog++] = (struct tm_wflog){gsym, failed != 0};
	else
		t->wfull = 1;
	/* the next call at this depth or deeper begins after this one (a
	 * deeper one is inside a call at this depth that began later) */
	for (unsigned d = depth; d <= TM_CALLS_LEVELS && d < t->nlev; d++)
		t->wsub[d] = t->nlog;
}

json_t *tm_wf_json(const struct tm_coll *c)
{
	json_t *a = json_array();
	for (size_t i = 0; c->wf && i < c->wf->n; i++) {
		const struct tm_wf *w = &c->wf->wf[i];
		json_t *o = json_object();
		json_object_set_new(o, "root", tm_json_text(w->root));
		json_object_set_new(o, "fail_if", json_string(w->any_step ? "any_step" : "root"));
		json_object_set_new(o, "units", tm_json_count(w->units));
		json_object_set_new(o, "failed_units", tm_json_count(w->failed));
		json_object_set_new(o, "failed_share",
				    w->units ? json_real((double)w->failed / (double)w->units)
					     : json_null());
		json_object_set_new(o, "inexact_units", tm_json_count(w->inexact));
		json_object_set_new(o, "timed_units", tm_json_count(w->timed));
		int have = w->hist.count > 0;
		json_object_set_new(o, "mean_ns",
				    have ? json_real(w->sum_ns / (double)w->timed) : json_null());
		static const struct {
			const char *k;
			double q;
		} qs[] = {{"p50_ns", 0.5}, {"p90_ns", 0.9}, {"p99_ns", 0.99}};
		for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
			uint64_t v = tm_hist_quantile(&w->hist, qs[k].q);
			json_object_set_new(o, qs[k].k,
					    have ? tm_json_count(v < w->max_ns ? v : w->max_ns)
						 : json_null());
		}
		json_object_set_new(o, "max_ns", have ? tm_json_count(w->max_ns) : json_null());
		json_t *steps = json_array();
		for (uint32_t k = 0; k < w->nsteps; k++) {
			const struct tm_wfstep *s = &w->steps[k];
			json_t *so = json_object();
			json_object_set_new(
				so, "function",
				tm_json_text(s->gsym < c->nsyms ? c->syms[s->gsym].name : "?"));
			json_object_set_new(so, "calls", tm_json_count(s->calls));
			json_object_set_new(so, "units", tm_json_count(s->units));
			json_object_set_new(so, "failed", tm_json_count(s->failed));
			json_array_append_new(steps, so);
		}
		json_object_set_new(o, "steps", steps);
		json_object_set_new(o, "other_step_calls", tm_json_count(w->other_calls));
		json_array_append_new(a, o);
	}
	return a;
}
