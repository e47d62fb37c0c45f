/* SPDX-License-Identifier: MIT */
/* Return classes: named classes of a function's return value ("hit":
 * "ret != NULL", sqlite3_step's row and done), counted exactly per class,
 * over the whole run and per second for the windows. Conditions are the
 * success rule's language (shim/rule.h); classes are tried in order, the
 * first that matches takes the call, none: "other". Calls that reach the
 * collector without a return value are "unclassified" (docs/SUMMARY.md,
 * "Return classes"). Configured by the rules file's "outcomes" entries
 * ("returns"; model/outcome.c), held only by functions that have classes. */
#ifndef TM_RETCLASS_H
#define TM_RETCLASS_H

#include <stddef.h>
#include <stdint.h>

#include "model/window.h"

#define TM_RETC_MAX   8	  /* classes per function */
#define TM_RETC_OTHER 8	  /* the count of calls that matched no class */
#define TM_RETC_NAME  32  /* bytes of a class name, with its NUL */
#define TM_RETC_COND  128 /* bytes of a condition as written, with its NUL */
#define TM_RETC_IVALS 8	  /* = TM_RULE_IVALS: a condition's disjoint intervals */
#define TM_RETC_SECS  128 /* seconds held: the 1 min window and the open ones */
#define TM_RETC_MINS  16  /* minutes held: the 15 min window and the current one */

/* One class: its name, the condition as written, and that condition
 * compiled to disjoint intervals [lo, hi] of the value (signed 64-bit, as
 * the record carries it). */
struct tm_retc_class {
	char name[TM_RETC_NAME];
	char cond[TM_RETC_COND];
	uint32_t nivals;
	int64_t lo[TM_RETC_IVALS], hi[TM_RETC_IVALS];
};

/* A function's classes, in the order they are tried; n == 0: none. */
struct tm_retc_def {
	uint32_t n;
	struct tm_retc_class c[TM_RETC_MAX];
};

/* What a function with classes keeps: its classes, the calls of each (and
 * of other) over the run, and per second and per minute, stamped with
 * their unit (1 + the second or minute, as tm_wbucket.unit) so nothing is
 * cleared while the function is idle. The calls without a return value
 * are not counted here: they are the function's calls minus these. */
struct tm_retc {
	struct tm_retc_def def;
	uint64_t n[TM_RETC_MAX + 1];
	struct {
		uint32_t unit;
		uint32_t n[TM_RETC_MAX + 1]; /* saturating */
	} sec[TM_RETC_SECS];
	struct {
		uint32_t unit, pad;
		uint64_t n[TM_RETC_MAX + 1];
	} min[TM_RETC_MINS];
};

/* The class of value v: an index below def->n, or TM_RETC_OTHER. */
static inline unsigned tm_retc_of(const struct tm_retc_def *d, int64_t v)
{
	for (unsigned i = 0; i < d->n; i++) {
		const struct tm_retc_class *k = &d->c[i];
		for (unsigned j = 0; j < k->nivals; j++)
			if (v >= k->lo[j] && v <= k->hi[j])
				return i;
	}
	return TM_RETC_OTHER;
}

/* One call that returned v, in second u (tm_wclock_unit). */
void tm_retc_call(struct tm_retc *r, uint32_t u, int64_t v);

/* Counts of one window over the same seconds as tm_win_figures (the
 * sealed ones of w): per class, then other at TM_RETC_OTHER. */
void tm_retc_window(const struct tm_retc *r, const struct tm_win *w, enum tm_window which,
		    uint64_t out[TM_RETC_MAX + 1]);

/* Adds a class to d: its name ([a-z][a-z0-9_]*, at most 31 bytes, not
 * "other" or "unclassified", not already there) and condition. 0, or -1
 * with a message in err. */
int tm_retc_add(struct tm_retc_def *d, const char *name, const char *cond, char *err,
		size_t errlen);
/* The built-in classes of a function, by display name and code domain
 * (sqlite3_step: row, done); 0 when it has none. */
int tm_retc_builtin(const char *name, unsigned domain, struct tm_retc_def *out);

struct tm_sym;
struct json_t;
/* Gives s the classes d (none: d NULL or empty), keeping its counts when
 * they are the same classes; a new set starts from zero (the calls so far
 * are then unclassified). Sets s->no_fast. */
void tm_retc_bind(struct tm_sym *s, const struct tm_retc_def *d);
/* {"hit": {"condition", "calls", "rate"}, ..., "other", "unclassified"}
 * for counts n of `calls` calls. */
struct json_t *tm_retc_json(const struct tm_retc_def *d, const uint64_t n[TM_RETC_MAX + 1],
			    uint64_t calls, int conditions);
/* Calls without a return value: calls minus every class and other. */
uint64_t tm_retc_unclassified(const uint64_t n[TM_RETC_MAX + 1], uint64_t calls);

#endif
