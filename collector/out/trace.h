/* SPDX-License-Identifier: MIT */
/* Timelines (out/trace.c): every timed call as a Chrome Trace Event
 * complete event, kept in a bounded uniform sample and written at exit. */
#ifndef TM_OUT_TRACE_H
#define TM_OUT_TRACE_H

#include <stddef.h>
#include <stdint.h>

struct tm_coll;
struct tm_proc;

#define TM_TRACE_MAX_DEFAULT 200000u
#define TM_TRACE_MAX_LIMIT   10000000u
#define TM_TRACE_PROCS	     1024u  /* named processes; more are written unnamed */
#define TM_TRACE_THREADS     4096u  /* named threads */
#define TM_TRACE_SECONDS     65536u /* (process, second) counters; more are counted, not kept */

struct tm_tevent {
	int32_t pid, tid;
	uint32_t gsym;
	uint16_t status;
	uint16_t depth;
	uint64_t start_ns, end_ns; /* CLOCK_MONOTONIC */
};

struct tm_trace {
	struct tm_tevent *ev; /* [max]: the sample */
	size_t n, max;
	uint64_t seen; /* timed calls offered */
	uint64_t rng;
	struct tm_tproc {
		int32_t pid;
		char name[64];
	} procs[TM_TRACE_PROCS];
	size_t nprocs;
	struct tm_tthr {
		int32_t pid, tid;
	} thr[TM_TRACE_THREADS];
	size_t nthr;
	struct tm_tsec {
		int32_t pid;
		uint32_t sec; /* since the collector started */
		uint64_t calls;
	} * secs;
	size_t nsecs;
	uint64_t secs_dropped; /* calls whose (process, second) counter did not fit */
	uint64_t start_mono_ns;
};

/* 0 or -ENOMEM; max events kept (1..TM_TRACE_MAX_LIMIT). */
int tm_trace_init(struct tm_trace *t, size_t max, uint64_t start_mono_ns);
void tm_trace_free(struct tm_trace *t);
/* One call of thread tid of p (a timed record; the times on the
 * collector's CLOCK_MONOTONIC). */
void tm_trace_call(struct tm_trace *t, const struct tm_proc *p, int32_t tid, uint32_t gsym,
		   unsigned status, unsigned depth, uint64_t start_ns, uint64_t end_ns);
/* Untimed calls still count in calls/s. */
void tm_trace_count(struct tm_trace *t, int32_t pid, uint64_t end_ns);
/* Writes the JSON object form ({"traceEvents": [...], ...}); 0 or -errno. */
int tm_trace_write(const struct tm_coll *c, struct tm_trace *t, const char *path, char *err,
		   size_t errlen);
/* --trace-max N: 0 or -EINVAL. */
int tm_trace_parse_max(const char *s, size_t *out);

#endif
