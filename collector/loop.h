/* SPDX-License-Identifier: MIT */
/* The collector loop and the flags that steer it from signal handlers or
 * another thread. */
#ifndef TM_LOOP_H
#define TM_LOOP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "out/sinks.h"

struct tm_coll;

struct tm_loop {
	const char *summary;  /* JSON summary path, "-" for stdout, or NULL */
	uint64_t interval_ns; /* report interval */
	int summary_every;    /* write the summary every interval */
	const char *folded;   /* folded stacks at exit (out/calls.h), or NULL */
	int folded_calls;     /* weighted by calls, not self time */
	const char *trace;    /* Chrome Trace Event JSON at exit (out/trace.h), or NULL */
	size_t trace_max;     /* events kept (0: TM_TRACE_MAX_DEFAULT) */
	int until_idle;	      /* exit once every seen process finished */
	double cpu_budget;    /* of a CPU shared with the program; 0: TM_CPU_BUDGET, < 0: none */
	atomic_int stop;      /* SIGINT/SIGTERM: final drain, write, exit */
	atomic_int dump;      /* SIGUSR1: write the summary now (what was
			       * recorded before it is in it) */
	int table;	      /* no summary: SIGUSR1 prints the table on stderr */
	atomic_int launched_done; /* tmrun: the launched command and its children are gone */
	pthread_mutex_t lock;	  /* the model: held by the loop while it works on it */
	struct tm_sinks sinks;	  /* the interval's outputs (options in sinks.o) */
};

int tm_coll_run(struct tm_coll *c, struct tm_loop *l);
/* --cpu-budget PCT: 0..100, "%" allowed; 0: none (*out < 0). 0, or -1
 * after one line on stderr, "TOOL: --cpu-budget S: ...". */
int tm_loop_parse_budget(const char *tool, const char *s, double *out);

#endif
