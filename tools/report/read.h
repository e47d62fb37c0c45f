/* SPDX-License-Identifier: MIT */
/* The reader's typed accessors (read.c), shared with the parts that load
 * symbols, runs, processes and alerts (load.c). Each records the first
 * problem, as "FILE: WHERE: WHAT", and gives a default. */
#ifndef TM_REPORT_READ_H
#define TM_REPORT_READ_H

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>

struct rp_doc;

struct rd {
	const char *path;
	char *err;
	size_t errlen;
	int failed;
};

#define RD_REQ	1u /* must be there */
#define RD_NULL 2u /* null allowed (reads as absent) */

void rd_bad(struct rd *r, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
json_t *rd_field(struct rd *r, json_t *o, const char *where, const char *key, int required);
int rd_count(struct rd *r, json_t *o, const char *where, const char *key, unsigned flags,
	     uint64_t *out);
int rd_count_v(struct rd *r, json_t *v, const char *where, uint64_t *out);
int rd_int(struct rd *r, json_t *o, const char *where, const char *key, unsigned flags,
	   int64_t *out);
int rd_real(struct rd *r, json_t *o, const char *where, const char *key, unsigned flags, double lo,
	    double hi, double *out);
int rd_real_v(struct rd *r, json_t *v, const char *where, double lo, double hi, double *out);
const char *rd_str(struct rd *r, json_t *o, const char *where, const char *key, unsigned flags);
int rd_bool(struct rd *r, json_t *o, const char *where, const char *key);
json_t *rd_kind(struct rd *r, json_t *o, const char *where, const char *key, unsigned flags,
		int array, size_t max);

/* load.c */
void rd_load_symbols(struct rd *r, json_t *root, struct rp_doc *d);
void rd_load_processes(struct rd *r, json_t *root, struct rp_doc *d);
void rd_load_alerts(struct rd *r, json_t *root, struct rp_doc *d);
void rd_load_runs(struct rd *r, json_t *root, struct rp_doc *d);

#endif
