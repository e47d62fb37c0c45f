/* SPDX-License-Identifier: MIT */
/* tmrun --repeat N: the figures of each run, as differences of the one
 * collector's cumulative figures between the ends of consecutive runs
 * (docs/ARCHITECTURE.md, "Reports and comparisons"). */
#ifndef TM_REPEAT_H
#define TM_REPEAT_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

struct tm_coll;
struct tm_repeat;

struct tm_repeat *tm_repeat_new(void);
void tm_repeat_free(struct tm_repeat *r);
/* After a run's processes are all reaped (end_ns, CLOCK_MONOTONIC): waits
 * until the collector has finished their segments and sealed the second
 * their last call ended in (at most ~1.3 s), so every call of the run,
 * and none of the next, is in the model. */
void tm_repeat_settle(struct tm_coll *c, pthread_mutex_t *lock, uint64_t end_ns);
/* The run's figures (the model since the last call) as runs[i]. 0 or -ENOMEM. */
int tm_repeat_record(struct tm_repeat *r, struct tm_coll *c, pthread_mutex_t *lock, int status,
		     uint64_t start_mono_ns, uint64_t end_mono_ns, uint64_t start_real_ns);
/* The summary with runs[] (the collector has stopped). 0 or -errno. */
int tm_repeat_write(struct tm_repeat *r, struct tm_coll *c, pthread_mutex_t *lock, const char *path,
		    char *err, size_t errlen);
/* "runs: 5, 5 exited 0, 1.02 s to 1.05 s each" */
void tm_repeat_print(const struct tm_repeat *r, FILE *f);

#endif
