/* SPDX-License-Identifier: MIT */
/* tmreport: a saved summary (tm.summary/1) read into plain structs by
 * read.c, which validates every field the tool uses; the table, the
 * comparison, the statistics and the HTML page work on these only. */
#ifndef TM_REPORT_H
#define TM_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RP_FILE_MAX  (256u << 20) /* bytes of one summary */
#define RP_DEPTH_MAX 64		  /* nesting of arrays and objects */
#define RP_TEXT_MAX  65536	  /* bytes of one string */
#define RP_COUNT_MAX (1ull << 62) /* what the collector ever writes */

/* A histogram bucket, or a value with a weight: what the tests rank. */
struct rp_bin {
	uint64_t v; /* value_ns */
	uint64_t n; /* count */
};

struct rp_named {
	const char *name;
	uint64_t n;
};

/* A per-second (`seconds`) or per-minute (`trend`) series. p99 and sr
 * hold -1 where the summary has null. */
struct rp_series {
	unsigned res_s;
	uint64_t start_real_ns; /* 0: not given */
	size_t n;
	uint64_t *calls, *failed; /* failed: NULL for the trend */
	int64_t *p99;
	double *sr; /* trend: success rate, NULL for seconds */
};

/* An outcome of a function's calls (summary's symbols[].outcomes). */
struct rp_outc {
	const char *name;
	uint64_t calls;
	struct rp_named *codes;
	size_t ncodes;
};

struct rp_sym {
	const char *name, *object, *session, *timing, *note;
	const char *health, *health_reason; /* NULL: not given */
	int rule, sampled;
	uint64_t calls, ok, failed, timed, unfinished;
	uint64_t exceptions, unwound, outcome_calls, inner_calls;
	int blocking, has_bytes;
	uint64_t bytes;
	struct rp_outc *outc;
	size_t noutc;
	int has_lat; /* the latency fields below are given */
	uint64_t min_ns, max_ns, p50, p90, p95, p99, p999;
	double mean_ns, total_ns; /* total: est_total_ns for a sampled one */
	int has_hist;
	struct rp_bin *hist;
	size_t nhist;
	struct rp_named *errs, *cats;
	size_t nerrs, ncats;
	struct rp_series sec, min;
};

/* A function's figures in one run of tmrun --repeat (runs[].symbols). */
struct rp_runsym {
	const char *name;
	uint64_t calls, ok, failed, timed;
	int has_lat;
	uint64_t p50, p99;
	double mean_ns, total_ns;
};

struct rp_run {
	int64_t exit_status;
	uint64_t duration_ns, start_real_ns;
	struct rp_runsym *syms; /* sorted by name */
	size_t nsyms;
};

struct rp_proc {
	int64_t pid;
	const char *exe, *status;
	int has_exit;
	int64_t exit_code;
	int has_res;
	double cpu_user_s, cpu_sys_s;
	uint64_t rss_bytes, threads;
	int64_t fds; /* -1: not given */
};

struct rp_alert {
	const char *name, *kind, *function, *severity, *state, *summary; /* function: NULL */
	uint64_t starts_ns, ends_ns;					 /* 0: null */
};

struct rp_finding {
	const char *kind, *function, *text;
};

struct rp_doc {
	const char *path;
	void *root; /* the parsed JSON: every string points into it */
	const char *session;
	uint64_t start_real_ns, duration_ns, floor_ns;
	int overhead_subtracted;
	uint64_t loss_overflowed, loss_reentrant, loss_depth;
	struct rp_sym *syms;
	size_t nsyms;
	struct rp_proc *procs;
	size_t nprocs;
	struct rp_alert *alerts;
	size_t nalerts;
	struct rp_finding *findings;
	size_t nfindings;
	uint64_t findings_more;
	const char *health, *health_reason;
	struct rp_run *runs; /* tmrun --repeat; NULL otherwise */
	size_t nruns;
};

/* read.c: 0, or -1 with one line (no newline) in err. */
int rp_doc_load(struct rp_doc *d, const char *path, char *err, size_t errlen);
/* folded.c: the stacks[] of one summary as "a;b;c N", or of two as
 * "a;b;c NA NB" (tmreport folded --diff); by self ns or by calls. 0 or -1
 * (said on stderr). */
int rp_folded_print(const struct rp_doc *d, size_t nd, int by_calls, FILE *f);
void rp_doc_free(struct rp_doc *d);
const struct rp_runsym *rp_run_find(const struct rp_run *r, const char *name);

/* text.c: escaping for each output, and figures for people. */
/* For a terminal: every control character (C0, DEL, C1) as \xNN of its
 * bytes; cut to at most `cols` columns at a character boundary (a
 * character is taken as one column). Returns the columns written. */
size_t rp_term(char *out, size_t len, const char *s, size_t cols);
void rp_html(FILE *f, const char *s); /* & < > " ' as entities, controls as \xNN */
void rp_csv(FILE *f, const char *s);  /* controls as \xNN; quoted when needed */
void rp_fmt_ns(char *buf, size_t len, double ns);
void rp_fmt_count(char *buf, size_t len, double n); /* 1234567 -> 1.23M */

/* table.c */
enum rp_col {
	RP_C_CALLS = 0,
	RP_C_FAILED,
	RP_C_MEAN,
	RP_C_P50,
	RP_C_P95,
	RP_C_P99,
	RP_C_MAX,
	RP_C_TOTAL,
	RP_C_NAME,
	RP_C_COUNT
};
int rp_col_parse(const char *s, enum rp_col *out);
enum rp_fmt { RP_TEXT = 0, RP_CSV, RP_JSON };
struct rp_table_opts {
	enum rp_col sort;
	int reverse;
	size_t top; /* 0: all */
	enum rp_fmt fmt;
};
/* Indices of d->syms in the table's order (caller frees); *n rows. */
size_t *rp_table_order(const struct rp_doc *d, const struct rp_table_opts *o, size_t *n);
int rp_table_print(const struct rp_doc *d, const struct rp_table_opts *o, FILE *f);
void rp_footer_print(const struct rp_doc *d, FILE *f);

/* stats.c: the tests tmreport diff uses (docs/ARCHITECTURE.md, "Reports
 * and comparisons"). */
struct rp_mwu {
	double u;  /* U of the first sample */
	double z;  /* normal approximation (0 when exact) */
	double p;  /* two-sided */
	int exact; /* p from the exact permutation distribution */
	double n1, n2;
};
/* Mann-Whitney U of two samples given as ascending (value, count) bins
 * (ties: equal values, mid-ranks). Exact (every arrangement counted,
 * ties included) when the total count is at most RP_MWU_EXACT_MAX,
 * else the normal approximation with tie and continuity correction.
 * Returns 0, or -1 when a side is empty (p = 1). */
#define RP_MWU_EXACT_MAX 60
int rp_mwu(const struct rp_bin *a, size_t na, const struct rp_bin *b, size_t nb, struct rp_mwu *r);
/* The smallest two-sided p an exact rank test of n1 against n2 distinct
 * values can give: 2 / C(n1 + n2, n1). */
double rp_mwu_min_p(size_t n1, size_t n2);
/* Two-sided p of "the same proportion": Fisher's exact test when an
 * expected count is below 5, else the pooled two-proportion z-test. */
double rp_prop_test(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2);
/* Over the practical threshold: |new - base| >= abs_min AND >= rel * base. */
int rp_practical(double base, double now, double rel, double abs_min);
/* Values (any order) to ascending bins with counts 1 merged; returns the
 * number of bins written to out (capacity n). */
size_t rp_bins_of(const double *v, size_t n, struct rp_bin *out);
/* Merges ascending bins b into the ascending array *a (*na, grown). 0 or -1. */
int rp_bins_merge(struct rp_bin **a, size_t *na, const struct rp_bin *b, size_t nb);
/* The ceil(q * count)-th smallest value (0 when empty); count above a value. */
uint64_t rp_bins_quantile(const struct rp_bin *b, size_t n, double q);
uint64_t rp_bins_total(const struct rp_bin *b, size_t n);
uint64_t rp_bins_above(const struct rp_bin *b, size_t n, uint64_t v);
double rp_median(double *v, size_t n); /* sorts v */

/* diff.c */
enum rp_verdict { RP_SAME = 0, RP_SLOWER, RP_FASTER, RP_NEW, RP_GONE };
enum rp_errv { RP_E_SAME = 0, RP_E_MORE, RP_E_FEWER };
enum rp_test { RP_T_NONE = 0, RP_T_RUNS, RP_T_CALLS };
struct rp_diff_opts {
	double alpha;
	double lat_rel, lat_abs_ns; /* practical threshold on p50 (and p99) */
	double err_rel, err_abs;    /* on the error rate (a fraction) */
	int tail;		    /* p99 also decides slower/faster */
	enum rp_fmt fmt;
};
struct rp_side_fig {
	int present, rule, has_lat;
	double runs; /* runs on this side */
	uint64_t calls, ok, failed;
	double total_ns;
	uint64_t p50, p99;
	struct rp_bin *bins;
	size_t nbins;
	double *rp50, *rp99; /* per-run values */
	size_t nrv;
};
struct rp_row {
	const char *name;
	struct rp_side_fig b, n;
	enum rp_verdict verdict;
	enum rp_errv errv;
	enum rp_test test;
	double p_p50, p_p99, p_err; /* -1: not tested */
	double order;		    /* |change of total time per run| */
};
struct rp_diff {
	struct rp_row *rows;
	size_t nrows;
	size_t runs_b, runs_n;
};
int rp_diff_build(struct rp_doc *base, size_t nb, struct rp_doc *now, size_t nn,
		  const struct rp_diff_opts *o, struct rp_diff *out);
void rp_diff_free(struct rp_diff *d);
void rp_diff_print(const struct rp_diff *d, const struct rp_diff_opts *o, FILE *f);
/* A row as the text table shows it: function, calls/run, error %, p50,
 * p99, time/run ("base → new +x%"), verdict, errors, test. */
#define RP_DIFF_COLS 9
#define RP_DIFF_CELL 96
void rp_diff_cells(char c[RP_DIFF_COLS][RP_DIFF_CELL], const struct rp_row *w);
const char *rp_verdict_name(enum rp_verdict v);
const char *rp_errv_name(enum rp_errv v);
const char *rp_test_name(enum rp_test t);

/* html.c */
int rp_html_write(const struct rp_doc *d, const struct rp_diff *diff, const struct rp_diff_opts *o,
		  FILE *f);

/* svg.c: inline SVG charts (no script, no external reference). */
struct rp_point {
	double x, y; /* y < 0: no value */
};
void rp_svg_histogram(FILE *f, const char *id, const struct rp_bin *b, size_t n);
void rp_svg_series(FILE *f, const char *id, const char *what, const struct rp_point *p, size_t n,
		   double xstep_s, int ns_axis, int pct_axis);
void rp_svg_bars(FILE *f, const char *id, const char *const *labels, const double *v, size_t n,
		 const char *unit);
void rp_svg_timeline(FILE *f, const char *id, const struct rp_doc *d);

#endif
