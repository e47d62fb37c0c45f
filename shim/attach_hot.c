/* SPDX-License-Identifier: MIT */
/* A thread that made its first monitored call while the shim was detached
 * has no segment (TM_T_OFF). Once attached again it joins the segment on
 * its next call, keeping the frames it has open. Runs inside the entry hook
 * with only general registers saved: built like hook.c. */
#include <stdatomic.h>

#include "attach.h"

int tm_attach_revive(struct tm_tls *t)
{
	if (!tm_g.active || !tm_g.seg)
		return 0; /* still detached, or a fork child without a segment */
	uint32_t depth = t->depth;
	t->state = TM_T_NEW;
	tm_thread_setup(t);
	t->depth = depth; /* <= t->cap: setup keeps the thread's stack */
	if (t->state == TM_T_OFF)
		return 0;
	for (uint32_t k = 0; k < depth; k++) {
		t->live[k].start = t->stack[k].start;
		t->live[k].sym = t->stack[k].sym;
	}
	atomic_store_explicit(t->live_depth, depth, memory_order_release);
	return 1;
}
