/* SPDX-License-Identifier: MIT */
/* What a function's calls mean beyond ok and failed: the codes a failed
 * call returns that are not failures but outcomes of their own (connect's
 * EINPROGRESS, a non-blocking read's EAGAIN, sqlite3_finalize repeating
 * the error of the statement's last step, zlib's Z_BUF_ERROR, a trylock's
 * EBUSY), and the functions whose time is mostly waiting. A built-in table by function name,
 * extended and overridden by the rules file ("outcomes", "blocking"; docs/CONFIG.md). */
#ifndef TM_OUTCOME_H
#define TM_OUTCOME_H

#include <stddef.h>
#include <stdint.h>

#include "model/retclass.h"

#define TM_OUTC_NAMES	    16	/* outcome names: built-in and the rules file's */
#define TM_OUTC_NAME	    32	/* bytes of one, with its NUL */
#define TM_OUTC_CODES	    32	/* codes per function */
#define TM_OUTC_RULES	    256 /* rules-file entries ("outcomes", "blocking") */
#define TM_OUTC_NONE	    0xff
#define TM_OUTC_IN_PROG	    0 /* built-in names, always these indices */
#define TM_OUTC_WOULD_BLK   1
#define TM_OUTC_EARLIER	    2
#define TM_OUTC_NO_PROG	    3
#define TM_OUTC_BUSY	    4
#define TM_OUTC_TIMED_OUT   5
#define TM_OUTC_ENDED_EARLY 6

/* One function's codes, resolved in its code domain when it is first seen
 * (tm_outc_bind): a code listed with outcome TM_OUTC_NONE is a failure
 * (a rules-file entry can give a built-in code back to the failures); a
 * code not listed takes `all` (TM_OUTC_NONE: a failure). With `primary`
 * (SQLite), an extended code not listed is looked up by its primary code
 * (SQLITE_CONSTRAINT_UNIQUE as SQLITE_CONSTRAINT). */
struct tm_outc_map {
	uint32_t n;
	uint8_t all, primary;
	struct {
		int32_t code;
		uint8_t o;
	} e[TM_OUTC_CODES];
};

static inline int tm_outc_find(const struct tm_outc_map *m, int32_t code)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (m->e[i].code == code)
			return m->e[i].o;
	return -1;
}

/* The outcome of a failed call's code: an index into the names, or -1
 * when it is a failure. Only ever asked for a failed call. */
static inline int tm_outc_of(const struct tm_outc_map *m, int32_t code)
{
	/* the accumulators' "did not fit" bucket has no code: a failure */
	if (code == INT32_MIN)
		return -1;
	int o = tm_outc_find(m, code);
	if (o < 0 && m->primary && (code & ~0xff))
		o = tm_outc_find(m, code & 0xff);
	if (o < 0)
		o = m->all;
	return o == TM_OUTC_NONE ? -1 : o;
}

/* A calls count per (outcome, code), as tm_sym keeps them. */
struct tm_outc_n {
	int32_t code;
	uint8_t o;
	uint64_t n;
};

/* The rules file's part: entries in file order (a later one overrides an
 * earlier one, and all of them the built-in table; return classes as a
 * whole list, codes code by code). */
struct tm_outc_rule {
	char pattern[200]; /* fnmatch on the display name */
	uint32_t n;
	int has_all;	 /* "*": every code not listed */
	uint8_t all;	 /* its outcome, TM_OUTC_NONE: failed */
	int blocking;	 /* -1: not said, 0, 1 */
	int has_returns; /* "returns": `ret` replaces the classes (n 0: none) */
	struct tm_retc_def ret;
	struct {
		char code[48]; /* a name (ENOENT, SQLITE_BUSY) or a decimal number */
		uint8_t o;
	} e[TM_OUTC_CODES];
};

struct tm_outcfg {
	char names[TM_OUTC_NAMES][TM_OUTC_NAME];
	unsigned nnames;
	struct tm_outc_rule *r;
	size_t n;
};

struct tm_coll;
struct tm_sym;
struct json_t;

/* The name of outcome o (the built-in ones without a rules file). */
const char *tm_outc_name(const struct tm_coll *c, unsigned o);
/* Resolves s's outcome codes, return classes and blocking flag from its
 * name and code domain: the built-in tables, then the rules file.
 * Allocates s->outc (s->retc) only for a function that has outcome codes
 * (return classes). Called when a function is first seen and whenever its
 * domain or the rules change. */
void tm_outc_bind(struct tm_coll *c, struct tm_sym *s);
/* Counts n calls of s with code `code` as outcome o (out of line: only
 * failed calls of functions with outcome codes come here). */
void tm_sym_outcome_add(struct tm_sym *s, unsigned o, int32_t code, uint64_t n);
/* The "outcomes" (codes, returns) and "blocking" sections of a rules
 * file: every bad entry one line on log (a FILE *) naming it and the
 * field, and skipped. Returns the number of bad entries. Rebinds the
 * functions already seen. */
int tm_outc_parse(struct tm_coll *c, const struct json_t *root, const char *path, void *log);
void tm_outc_free(struct tm_coll *c);

#endif
