/* SPDX-License-Identifier: MIT */
/* Success rules: how a monitored call's return value becomes ok/failed and
 * an error code. Parsed once at setup, evaluated on the hot path. Shared with
 * the build-time profile generator so built-in profiles are checked at build. */
#ifndef TM_RULE_H
#define TM_RULE_H

#include <stddef.h>
#include <stdint.h>

enum tm_ret_type {
	TM_RET_INT = 0, /* 32-bit signed in eax; upper half of rax is garbage */
	TM_RET_UINT,	/* 32-bit unsigned */
	TM_RET_LONG,	/* 64-bit signed (long, ssize_t, off_t) */
	TM_RET_PTR,	/* 64-bit pointer */
	TM_RET_VOID,
};

enum tm_err_src {
	TM_ERR_NONE = 0,
	TM_ERR_ERRNO,  /* errno at return */
	TM_ERR_RET,    /* the return value itself (SQLite, curl) */
	TM_ERR_NEGRET, /* minus the return value (kernel style) */
};

enum tm_bytes_src {
	TM_BYTES_NONE = 0,
	TM_BYTES_RET, /* the return value */
	TM_BYTES_ARG, /* arguments captured at entry (times the return value) */
};

enum tm_cap_width {
	TM_CAP_U64 = 0, /* size_t, unsigned long */
	TM_CAP_U32,	/* unsigned int: the register's upper half is garbage */
	TM_CAP_I32,	/* int: negative counts 0 */
};

enum tm_flow { TM_FLOW_NONE = 0, TM_FLOW_IN, TM_FLOW_OUT };

enum tm_op { TM_OP_EQ, TM_OP_NE, TM_OP_LT, TM_OP_LE, TM_OP_GT, TM_OP_GE };

#define TM_RULE_TERMS 4
#define TM_RULE_IVALS 8 /* 4 terms make at most 5 disjoint intervals */

struct tm_rule {
	uint8_t has_rule; /* 0: calls are neither ok nor failed */
	uint8_t type;	  /* enum tm_ret_type */
	uint8_t err_src;  /* enum tm_err_src */
	uint8_t codes;	  /* enum tm_code_domain (wire.h) */
	uint8_t bytes;	  /* enum tm_bytes_src: what an ok call's bytes are */
	uint8_t nterms;
	uint8_t any;	    /* 1: terms joined by ||, 0: by && */
	uint8_t count_only; /* counted, never timed or judged */
	/* TM_BYTES_ARG: bytes = cap[0] x cap[1] (x the return value if
	 * cap_ret), each an argument register read at entry */
	uint8_t ncap, cap_ret;
	uint8_t flow; /* enum tm_flow */
	struct {
		uint8_t arg;   /* 1..6 */
		uint8_t width; /* enum tm_cap_width */
	} cap[2];
	/* "group": the argument whose value labels the call (0: none) */
	uint8_t group_arg, group_width;
	/* "ret OP K" terms (the array of ops first: the rule stays 200 bytes,
	 * an index the hot path computes in two instructions) */
	uint8_t term_op[TM_RULE_TERMS];
	int64_t term_k[TM_RULE_TERMS];
	uint64_t slow_ns;
	uint32_t sample; /* > 1: one call in `sample` is timed */
	uint32_t nivals;
	/* the terms compiled into disjoint intervals [lo, hi] of the value
	 * (pointers: with the top bit flipped, so signed order is theirs):
	 * the hot path checks these, with no switch on the operator */
	int64_t lo[TM_RULE_IVALS], hi[TM_RULE_IVALS];
};

/* Parses "ret >= 0", "ret == 100 || ret == 101", "ret != NULL" into r's
 * terms. Returns 0, or -1 with a message in err. */
int tm_rule_parse_success(const char *s, struct tm_rule *r, char *err, size_t errlen);

/* Parses the textual fields of a rule ("int", "errno", "sqlite", ...). Any
 * field may be NULL (default). Returns 0, or -1 with a message naming the
 * field in err. */
int tm_rule_from_strings(struct tm_rule *r, const char *type, const char *success,
			 const char *error, const char *codes, const char *bytes, const char *flow,
			 const char *group, char *err, size_t errlen);

/* Parses a byte source: "ret", "arg3", "arg2*arg3", "ret*arg2", an
 * argument optionally typed ":u32" or ":i32" ("arg3:u32"), and the flow
 * "in" / "out" (NULL: none). Returns 0, or -1 with a message in err. */
int tm_rule_parse_bytes(struct tm_rule *r, const char *bytes, const char *flow, char *err,
			size_t errlen);

/* Parses a group: "argN", optionally ":u32" / ":i32". Returns 0, or -1
 * with a message in err. */
int tm_rule_parse_group(struct tm_rule *r, const char *group, char *err, size_t errlen);

/* Does the rule read arguments at entry? */
static inline int tm_rule_captures(const struct tm_rule *r)
{
	return r->bytes == TM_BYTES_ARG || r->group_arg;
}

/* One captured argument as a size: the register's value read at `width`. */
static inline uint64_t tm_cap_value(uint64_t reg, unsigned width)
{
	if (width == TM_CAP_U32)
		return (uint32_t)reg;
	if (width == TM_CAP_I32)
		return (int32_t)reg < 0 ? 0 : (uint64_t)(int32_t)reg;
	return reg;
}

/* One captured argument as a label: an int keeps its sign. */
static inline uint64_t tm_cap_label(uint64_t reg, unsigned width)
{
	if (width == TM_CAP_U32)
		return (uint32_t)reg;
	if (width == TM_CAP_I32)
		return (uint64_t)(int64_t)(int32_t)reg;
	return reg;
}

static inline uint64_t tm_sat_mul(uint64_t a, uint64_t b)
{
	uint64_t r;
	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* The return value as the rule's type sees it (sign- or zero-extended). */
static inline int64_t tm_rule_value(const struct tm_rule *r, uint64_t rax)
{
	switch (r->type) {
	case TM_RET_INT: return (int64_t)(int32_t)rax;
	case TM_RET_UINT: return (int64_t)(uint32_t)rax;
	default: return (int64_t)rax;
	}
}

static inline int tm_rule_term(int op, int64_t v, int64_t k, int unsig)
{
	if (unsig) {
		uint64_t a = (uint64_t)v, b = (uint64_t)k;
		switch (op) {
		case TM_OP_EQ: return a == b;
		case TM_OP_NE: return a != b;
		case TM_OP_LT: return a < b;
		case TM_OP_LE: return a <= b;
		case TM_OP_GT: return a > b;
		default: return a >= b;
		}
	}
	switch (op) {
	case TM_OP_EQ: return v == k;
	case TM_OP_NE: return v != k;
	case TM_OP_LT: return v < k;
	case TM_OP_LE: return v <= k;
	case TM_OP_GT: return v > k;
	default: return v >= k;
	}
}

/* Compiles r's terms into r->lo/hi/nivals (done by the parser). */
void tm_rule_compile(struct tm_rule *r);

/* 1 if the call succeeded. Only meaningful when has_rule. */
static inline int tm_rule_ok(const struct tm_rule *r, int64_t v)
{
	if (r->type == TM_RET_PTR)
		v = (int64_t)((uint64_t)v ^ (1ull << 63));
	for (unsigned i = 0; i < r->nivals; i++)
		if (v >= r->lo[i] && v <= r->hi[i])
			return 1;
	return 0;
}

/* The same answer from the terms themselves (the reference the compiled
 * form is tested against). */
static inline int tm_rule_ok_terms(const struct tm_rule *r, int64_t v)
{
	int unsig = r->type == TM_RET_PTR;
	for (unsigned i = 0; i < r->nterms; i++) {
		int t = tm_rule_term(r->term_op[i], v, r->term_k[i], unsig);
		if (t == r->any)
			return t;
	}
	return !r->any;
}

#endif
