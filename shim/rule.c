/* SPDX-License-Identifier: MIT */
/* Parsing of success rules. Runs at setup only; no allocation. */
#include "rule.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tm/wire.h"

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static int parse_op(const char **pp, uint8_t *op)
{
	static const struct {
		const char *s;
		uint8_t op;
	} ops[] = {
		{"==", TM_OP_EQ}, {"!=", TM_OP_NE}, {"<=", TM_OP_LE},
		{">=", TM_OP_GE}, {"<", TM_OP_LT},  {">", TM_OP_GT},
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].s);
		if (strncmp(*pp, ops[i].s, n) == 0) {
			*op = ops[i].op;
			*pp += n;
			return 0;
		}
	}
	return -1;
}

static int parse_const(const char **pp, int64_t *k)
{
	const char *p = *pp;
	if (strncmp(p, "NULL", 4) == 0 && !isalnum((unsigned char)p[4]) && p[4] != '_') {
		*k = 0;
		*pp = p + 4;
		return 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(p, &end, 0);
	if (end == p || errno)
		return -1;
	*k = v;
	*pp = end;
	return 0;
}

int tm_rule_parse_success(const char *s, struct tm_rule *r, char *err, size_t errlen)
{
	const char *p = skip_ws(s);
	int joiner = -1; /* 1: ||, 0: && */

	r->nterms = 0;
	for (;;) {
		if (r->nterms == TM_RULE_TERMS) {
			snprintf(err, errlen, "success rule '%s': more than %d terms", s,
				 TM_RULE_TERMS);
			return -1;
		}
		if (strncmp(p, "ret", 3) != 0) {
			snprintf(err, errlen, "success rule '%s': expected 'ret' at '%s'", s, p);
			return -1;
		}
		p = skip_ws(p + 3);
		uint8_t op;
		if (parse_op(&p, &op) < 0) {
			snprintf(err, errlen,
				 "success rule '%s': expected ==, !=, <, <=, >, >= at '%s'", s, p);
			return -1;
		}
		p = skip_ws(p);
		int64_t k;
		if (parse_const(&p, &k) < 0) {
			snprintf(err, errlen,
				 "success rule '%s': expected a number or NULL at '%s'", s, p);
			return -1;
		}
		r->term_op[r->nterms] = (uint8_t)op;
		r->term_k[r->nterms] = k;
		r->nterms++;
		p = skip_ws(p);
		if (*p == '\0')
			break;
		int j;
		if (strncmp(p, "||", 2) == 0)
			j = 1;
		else if (strncmp(p, "&&", 2) == 0)
			j = 0;
		else {
			snprintf(err, errlen, "success rule '%s': expected || or && at '%s'", s, p);
			return -1;
		}
		if (joiner >= 0 && joiner != j) {
			snprintf(err, errlen, "success rule '%s': cannot mix || and &&", s);
			return -1;
		}
		joiner = j;
		p = skip_ws(p + 2);
	}
	r->any = joiner == 1 || joiner < 0;
	r->has_rule = 1;
	tm_rule_compile(r);
	return 0;
}

struct ivset {
	unsigned n;
	int64_t lo[2 * TM_RULE_IVALS], hi[2 * TM_RULE_IVALS];
};

static void iv_add(struct ivset *s, int64_t lo, int64_t hi)
{
	if (lo <= hi && s->n < 2 * TM_RULE_IVALS) {
		s->lo[s->n] = lo;
		s->hi[s->n] = hi;
		s->n++;
	}
}

/* Sorts and merges overlapping or adjacent intervals. */
static void iv_norm(struct ivset *s)
{
	for (unsigned i = 1; i < s->n; i++)
		for (unsigned j = i; j > 0 && s->lo[j] < s->lo[j - 1]; j--) {
			int64_t a = s->lo[j], b = s->hi[j];
			s->lo[j] = s->lo[j - 1];
			s->hi[j] = s->hi[j - 1];
			s->lo[j - 1] = a;
			s->hi[j - 1] = b;
		}
	unsigned m = 0;
	for (unsigned i = 0; i < s->n; i++) {
		if (m && (s->hi[m - 1] == INT64_MAX || s->lo[i] <= s->hi[m - 1] + 1)) {
			if (s->hi[i] > s->hi[m - 1])
				s->hi[m - 1] = s->hi[i];
			continue;
		}
		s->lo[m] = s->lo[i];
		s->hi[m] = s->hi[i];
		m++;
	}
	s->n = m;
}

/* The values that satisfy one term (k already in the compared order). */
static void iv_term(struct ivset *s, int op, int64_t k)
{
	s->n = 0;
	switch (op) {
	case TM_OP_EQ: iv_add(s, k, k); break;
	case TM_OP_NE:
		if (k != INT64_MIN)
			iv_add(s, INT64_MIN, k - 1);
		if (k != INT64_MAX)
			iv_add(s, k + 1, INT64_MAX);
		break;
	case TM_OP_LT:
		if (k != INT64_MIN)
			iv_add(s, INT64_MIN, k - 1);
		break;
	case TM_OP_LE: iv_add(s, INT64_MIN, k); break;
	case TM_OP_GT:
		if (k != INT64_MAX)
			iv_add(s, k + 1, INT64_MAX);
		break;
	default: iv_add(s, k, INT64_MAX); break;
	}
}

void tm_rule_compile(struct tm_rule *r)
{
	struct ivset acc = {0}, t;
	int unsig = r->type == TM_RET_PTR;
	for (unsigned i = 0; i < r->nterms; i++) {
		int64_t k = r->term_k[i];
		if (unsig)
			k = (int64_t)((uint64_t)k ^ (1ull << 63));
		iv_term(&t, r->term_op[i], k);
		if (i == 0) {
			acc = t;
		} else if (r->any) { /* union */
			for (unsigned j = 0; j < t.n; j++)
				iv_add(&acc, t.lo[j], t.hi[j]);
		} else { /* intersection */
			struct ivset x = {0};
			for (unsigned a = 0; a < acc.n; a++)
				for (unsigned b = 0; b < t.n; b++)
					iv_add(&x, acc.lo[a] > t.lo[b] ? acc.lo[a] : t.lo[b],
					       acc.hi[a] < t.hi[b] ? acc.hi[a] : t.hi[b]);
			acc = x;
		}
		iv_norm(&acc);
	}
	r->nivals = acc.n < TM_RULE_IVALS ? acc.n : TM_RULE_IVALS;
	for (unsigned i = 0; i < r->nivals; i++) {
		r->lo[i] = acc.lo[i];
		r->hi[i] = acc.hi[i];
	}
}

struct name_val {
	const char *name;
	int val;
};

static int lookup(const struct name_val *t, const char *s, int *out)
{
	for (; t->name; t++) {
		if (strcmp(t->name, s) == 0) {
			*out = t->val;
			return 0;
		}
	}
	return -1;
}

static const struct name_val types[] = {
	{"int", TM_RET_INT},	 {"uint", TM_RET_UINT},	   {"unsigned", TM_RET_UINT},
	{"long", TM_RET_LONG},	 {"ssize_t", TM_RET_LONG}, {"size_t", TM_RET_LONG},
	{"int64", TM_RET_LONG},	 {"off_t", TM_RET_LONG},   {"ptr", TM_RET_PTR},
	{"pointer", TM_RET_PTR}, {"void", TM_RET_VOID},	   {NULL, 0},
};
static const struct name_val errsrcs[] = {
	{"errno", TM_ERR_ERRNO}, {"ret", TM_ERR_RET}, {"-ret", TM_ERR_NEGRET},
	{"none", TM_ERR_NONE},	 {NULL, 0},
};
static const struct name_val domains[] = {
	{"errno", TM_CODES_ERRNO},   {"sqlite", TM_CODES_SQLITE},
	{"number", TM_CODES_NUMBER}, {"zlib", TM_CODES_ZLIB},
	{"curl", TM_CODES_CURL},     {"curlm", TM_CODES_CURLM},
	{"eai", TM_CODES_EAI},	     {NULL, 0},
};

/* One factor of a byte source at s: "ret", or "argN" with an optional
 * ":u32" / ":i32". Returns its length, or 0. */
static size_t bytes_factor(const char *s, struct tm_rule *r)
{
	if (strncmp(s, "ret", 3) == 0) {
		if (r->cap_ret)
			return 0;
		r->cap_ret = 1;
		return 3;
	}
	if (strncmp(s, "arg", 3) != 0 || s[3] < '1' || s[3] > '6' || r->ncap == 2)
		return 0;
	size_t n = 4;
	unsigned w = TM_CAP_U64;
	if (strncmp(s + 4, ":u32", 4) == 0 || strncmp(s + 4, ":i32", 4) == 0) {
		w = s[5] == 'u' ? TM_CAP_U32 : TM_CAP_I32;
		n = 8;
	}
	r->cap[r->ncap].arg = (uint8_t)(s[3] - '0');
	r->cap[r->ncap].width = (uint8_t)w;
	r->ncap++;
	return n;
}

int tm_rule_parse_bytes(struct tm_rule *r, const char *bytes, const char *flow, char *err,
			size_t errlen)
{
	if (flow) {
		if (strcmp(flow, "in") != 0 && strcmp(flow, "out") != 0) {
			snprintf(err, errlen, "unknown flow '%s' (in, out)", flow);
			return -1;
		}
		r->flow = flow[0] == 'i' ? TM_FLOW_IN : TM_FLOW_OUT;
	}
	if (!bytes)
		return 0;
	r->ncap = r->cap_ret = 0;
	const char *s = bytes;
	for (unsigned k = 0; k < 3; k++) {
		while (*s == ' ')
			s++;
		size_t n = bytes_factor(s, r);
		if (!n)
			break;
		s += n;
		while (*s == ' ')
			s++;
		if (*s == '\0') {
			r->bytes = r->ncap ? TM_BYTES_ARG : TM_BYTES_RET;
			return 0;
		}
		if (*s != '*')
			break;
		s++;
	}
	r->ncap = r->cap_ret = 0;
	snprintf(err, errlen,
		 "unknown byte source '%s' (ret, argN, argN*argM, ret*argN; N 1..6, "
		 "optionally argN:u32 or argN:i32)",
		 bytes);
	return -1;
}

int tm_rule_parse_group(struct tm_rule *r, const char *group, char *err, size_t errlen)
{
	struct tm_rule t;
	memset(&t, 0, sizeof(t));
	size_t n = strncmp(group, "ret", 3) == 0 ? 0 : bytes_factor(group, &t);
	if (!n || group[n] != '\0') {
		snprintf(err, errlen,
			 "unknown group '%s' (argN, N 1..6, optionally argN:u32 or argN:i32)",
			 group);
		return -1;
	}
	r->group_arg = t.cap[0].arg;
	r->group_width = t.cap[0].width;
	return 0;
}

int tm_rule_from_strings(struct tm_rule *r, const char *type, const char *success,
			 const char *error, const char *codes, const char *bytes, const char *flow,
			 const char *group, char *err, size_t errlen)
{
	int v;

	memset(r, 0, sizeof(*r));
	r->type = TM_RET_INT;
	r->err_src = TM_ERR_ERRNO;
	if (type) {
		if (lookup(types, type, &v) < 0) {
			snprintf(err, errlen,
				 "unknown return type '%s' (int, uint, long, ptr, void)", type);
			return -1;
		}
		r->type = (uint8_t)v;
	}
	if (error) {
		if (lookup(errsrcs, error, &v) < 0) {
			snprintf(err, errlen, "unknown error source '%s' (errno, ret, -ret, none)",
				 error);
			return -1;
		}
		r->err_src = (uint8_t)v;
	}
	r->codes = r->err_src == TM_ERR_ERRNO  ? TM_CODES_ERRNO
		   : r->err_src == TM_ERR_NONE ? TM_CODES_NONE
					       : TM_CODES_NUMBER;
	if (codes) {
		if (lookup(domains, codes, &v) < 0) {
			snprintf(err, errlen,
				 "unknown code names '%s' (errno, sqlite, zlib, curl, curlm, eai, "
				 "number)",
				 codes);
			return -1;
		}
		r->codes = (uint8_t)v;
	}
	if ((bytes || flow) && tm_rule_parse_bytes(r, bytes, flow, err, errlen) < 0)
		return -1;
	if (group && tm_rule_parse_group(r, group, err, errlen) < 0)
		return -1;
	if (success) {
		if (r->type == TM_RET_VOID) {
			snprintf(err, errlen, "success rule on a void function");
			return -1;
		}
		if (tm_rule_parse_success(success, r, err, errlen) < 0)
			return -1;
	}
	return 0;
}
