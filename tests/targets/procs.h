/* SPDX-License-Identifier: MIT */
/* libprocs: monitored functions for the process-lifecycle tests. */
#ifndef TM_PROCS_H
#define TM_PROCS_H

long procs_leaf(long x);
long procs_fork_inside(void);
long procs_block(int ready, int gate);

#endif
