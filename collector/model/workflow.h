/* SPDX-License-Identifier: MIT */
/* Workflows (model/workflow.c): a monitored function configured as a root
 * in the collector's rules file ({"workflows": [{"root": "handle_request",
 * "fail_if": "root" | "any_step"}]}) groups every monitored call made
 * inside one of its calls into a unit; per root: units, their durations,
 * the share that failed, and which functions they called how often. Built
 * on the call structure's per-thread order (model/calls.h). */
#ifndef TM_MODEL_WORKFLOW_H
#define TM_MODEL_WORKFLOW_H

#include <stdint.h>
#include <stdio.h>

#include "hist.h"

struct tm_coll;
struct tm_cthr;

#define TM_WF_MAX   16	 /* roots */
#define TM_WF_STEPS 64	 /* distinct functions listed per root; more summed as other */
#define TM_WF_LOG   4096 /* a thread's steps held under open calls; more truncate their units */

struct tm_wfstep {
	uint32_t gsym;
	uint32_t stamp; /* the last unit that used it */
	uint64_t calls, units, failed;
};

struct tm_wf {
	char root[200];
	int any_step; /* a unit fails when a step fails, not only its root */
	uint64_t units, failed, timed, inexact;
	double sum_ns;
	uint64_t max_ns;
	struct tm_hist hist;
	struct tm_wfstep steps[TM_WF_STEPS];
	uint32_t nsteps;
	uint64_t other_calls;
};

struct tm_wfcfg {
	struct tm_wf wf[TM_WF_MAX];
	size_t n;
};

/* The per-thread part, in struct tm_cthr. */
struct tm_wflog {
	uint32_t gsym;
	uint32_t failed;
};

/* Reads "workflows" of a rules file; a bad entry is named on `log` and
 * skipped. 0 or -ENOMEM. */
int tm_wf_parse(struct tm_coll *c, void *root, const char *path, FILE *log);
void tm_wf_free(struct tm_coll *c);
/* One record placed at `depth` of thread t (after the call structure). */
void tm_wf_rec(struct tm_coll *c, struct tm_cthr *t, uint32_t gsym, unsigned depth, uint64_t ns,
	       int timed, int failed);
/* The thread's records were lost: open units are inexact. */
void tm_wf_lost(struct tm_cthr *t);
struct json_t *tm_wf_json(const struct tm_coll *c);

#endif
