/* SPDX-License-Identifier: MIT */
/* Return classes (retclass.h): the built-in ones, a class's condition
 * compiled with the success rule's parser (shim/rule.c), the per-call
 * count and what the summary and the windows read back. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "shim/rule.h"

/* sqlite3_step returns SQLITE_ROW while a statement yields rows and
 * SQLITE_DONE once it has run to completion: both succeed, and which one
 * a program sees is what it asked (a lookup that found its row, or not). */
static const struct {
	const char *fn;
	uint16_t domain;
	const char *name, *cond;
} builtin[] = {
	{"sqlite3_step", TM_CODES_SQLITE, "row", "ret == 100"},
	{"sqlite3_step", TM_CODES_SQLITE, "done", "ret == 101"},
};

static uint32_t sat32_add(uint32_t a, uint32_t b)
{
	return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

void tm_retc_call(struct tm_retc *r, uint32_t u, int64_t v)
{
	unsigned k = tm_retc_of(&r->def, v);
	r->n[k]++;
	__typeof__(r->sec[0]) *s = &r->sec[u % TM_RETC_SECS];
	if (s->unit != u + 1) {
		memset(s, 0, sizeof(*s));
		s->unit = u + 1;
	}
	s->n[k] = sat32_add(s->n[k], 1);
	uint32_t m = u / 60;
	__typeof__(r->min[0]) *mb = &r->min[m % TM_RETC_MINS];
	if (mb->unit != m + 1) {
		memset(mb, 0, sizeof(*mb));
		mb->unit = m + 1;
	}
	mb->n[k]++;
}

static void add_secs(const struct tm_retc *r, uint32_t from, uint32_t to,
		     uint64_t out[TM_RETC_MAX + 1])
{
	for (uint32_t u = from; u < to; u++) {
		const __typeof__(r->sec[0]) *s = &r->sec[u % TM_RETC_SECS];
		if (s->unit != u + 1)
			continue;
		for (unsigned k = 0; k <= TM_RETC_MAX; k++)
			out[k] += s->n[k];
	}
}

/* The seconds and minutes figures() in window.c reads: a call is only
 * ever counted in an open second (at or after w->sealed), so a minute
 * before the one being sealed is complete, as the window's own is. */
void tm_retc_window(const struct tm_retc *r, const struct tm_win *w, enum tm_window which,
		    uint64_t out[TM_RETC_MAX + 1])
{
	memset(out, 0, (TM_RETC_MAX + 1) * sizeof(*out));
	uint32_t sealed = w->sealed;
	if (which == TM_W10S || which == TM_W1M) {
		uint32_t span = which == TM_W10S ? 10 : 60;
		add_secs(r, sealed > span ? sealed - span : 0, sealed, out);
		return;
	}
	uint32_t back = which == TM_W5M ? 4 : 14;
	uint32_t cur = sealed / 60;
	for (uint32_t m = cur > back ? cur - back : 0; m < cur; m++) {
		const __typeof__(r->min[0]) *mb = &r->min[m % TM_RETC_MINS];
		if (mb->unit != m + 1)
			continue;
		for (unsigned k = 0; k <= TM_RETC_MAX; k++)
			out[k] += mb->n[k];
	}
	add_secs(r, cur * 60, sealed, out);
}

/* A class name: [a-z][a-z0-9_]*, under TM_RETC_NAME bytes. */
static int valid_name(const char *s)
{
	if (!*s || strlen(s) >= TM_RETC_NAME || !(*s >= 'a' && *s <= 'z'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

int tm_retc_add(struct tm_retc_def *d, const char *name, const char *cond, char *err, size_t errlen)
{
	if (!valid_name(name) || strcmp(name, "other") == 0 || strcmp(name, "unclassified") == 0) {
		snprintf(err, errlen,
			 "a class name is [a-z][a-z0-9_]*, at most 31 bytes, not \"other\" or "
			 "\"unclassified\"");
		return -1;
	}
	for (unsigned i = 0; i < d->n; i++)
		if (strcmp(d->c[i].name, name) == 0) {
			snprintf(err, errlen, "class named twice");
			return -1;
		}
	if (d->n >= TM_RETC_MAX) {
		snprintf(err, errlen, "more than %d classes", TM_RETC_MAX);
		return -1;
	}
	if (strlen(cond) >= TM_RETC_COND) {
		snprintf(err, errlen, "a condition is at most %d bytes", TM_RETC_COND - 1);
		return -1;
	}
	/* the value as the record carries it: signed 64-bit, already sign-
	 * or zero-extended by the shim per the function's return type */
	struct tm_rule r;
	memset(&r, 0, sizeof(r));
	r.type = TM_RET_LONG;
	char why[400], prefix[TM_RETC_COND + 32];
	if (tm_rule_parse_success(cond, &r, why, sizeof(why)) < 0) {
		/* its message names a "success rule": say what is wrong only */
		int n = snprintf(prefix, sizeof(prefix), "success rule '%s': ", cond);
		const char *w = n > 0 && strncmp(why, prefix, (size_t)n) == 0 ? why + n : why;
		snprintf(err, errlen, "%s", w);
		return -1;
	}
	struct tm_retc_class *k = &d->c[d->n];
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	snprintf(k->cond, sizeof(k->cond), "%s", cond);
	k->nivals = r.nivals < TM_RETC_IVALS ? r.nivals : TM_RETC_IVALS;
	for (unsigned i = 0; i < k->nivals; i++) {
		k->lo[i] = r.lo[i];
		k->hi[i] = r.hi[i];
	}
	d->n++;
	return 0;
}
_Static_assert(TM_RETC_IVALS == TM_RULE_IVALS, "a condition's intervals");

int tm_retc_builtin(const char *name, unsigned domain, struct tm_retc_def *out)
{
	char err[256];
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (builtin[i].domain == domain && strcmp(builtin[i].fn, name) == 0)
			tm_retc_add(out, builtin[i].name, builtin[i].cond, err, sizeof(err));
	return out->n > 0;
}

static int same_def(const struct tm_retc_def *a, const struct tm_retc_def *b)
{
	if (a->n != b->n)
		return 0;
	for (unsigned i = 0; i < a->n; i++) {
		const struct tm_retc_class *x = &a->c[i], *y = &b->c[i];
		if (strcmp(x->name, y->name) != 0 || x->nivals != y->nivals ||
		    memcmp(x->lo, y->lo, x->nivals * sizeof(x->lo[0])) != 0 ||
		    memcmp(x->hi, y->hi, x->nivals * sizeof(x->hi[0])) != 0)
			return 0;
	}
	return 1;
}

void tm_retc_bind(struct tm_sym *s, const struct tm_retc_def *d)
{
	if (!d || !d->n) {
		free(s->retc);
		s->retc = NULL;
		s->no_fast = 0;
		return;
	}
	if (s->retc && same_def(&s->retc->def, d)) {
		s->retc->def = *d; /* the conditions' text may differ */
		return;
	}
	struct tm_retc *r = calloc(1, sizeof(*r));
	if (!r)
		return; /* keeps what it had: its calls stay counted somewhere */
	r->def = *d;
	free(s->retc);
	s->retc = r;
	s->no_fast = 1;
}

uint64_t tm_retc_unclassified(const uint64_t n[TM_RETC_MAX + 1], uint64_t calls)
{
	uint64_t sum = 0;
	for (unsigned k = 0; k <= TM_RETC_MAX; k++)
		sum += n[k];
	return calls > sum ? calls - sum : 0;
}

static json_t *one(const char *cond, uint64_t n, uint64_t calls)
{
	json_t *o = json_object();
	if (cond)
		json_object_set_new(o, "condition", tm_json_text(cond));
	json_object_set_new(o, "calls", tm_json_count(n));
	json_object_set_new(o, "rate", calls ? json_real((double)n / (double)calls) : json_null());
	return o;
}

json_t *tm_retc_json(const struct tm_retc_def *d, const uint64_t n[TM_RETC_MAX + 1], uint64_t calls,
		     int conditions)
{
	json_t *o = json_object();
	for (unsigned i = 0; i < d->n; i++)
		json_object_set_new(o, d->c[i].name,
				    one(conditions ? d->c[i].cond : NULL, n[i], calls));
	json_object_set_new(o, "other", one(NULL, n[TM_RETC_OTHER], calls));
	json_object_set_new(o, "unclassified", one(NULL, tm_retc_unclassified(n, calls), calls));
	return o;
}
_Static_assert(TM_ST_OK == 0 && TM_ST_FAILED == 1 && TM_ST_NORULE == 2,
	       "model/call.h: the statuses of calls that returned a value");
