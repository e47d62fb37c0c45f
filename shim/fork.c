/* SPDX-License-Identifier: MIT */
/* fork: the child must never write into the parent's segment. In the child
 * a new segment is created and the parent's is unmapped. The forking
 * thread's shadow stack is private memory, which fork copies: the calls
 * still open across fork() return through the exit hook from the same
 * frames, and their start and symbol are mirrored into the new segment. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "shim.h"

static void tm_fork_child(void)
{
	int saved = errno;
	struct tm_state *g = &tm_g;
	struct tm_tls *t = &tm_tls;
	struct tm_seg_header *old = g->seg;
	uint64_t old_size = g->seg_size;
	void *old_view = (void *)g->view;
	uint64_t old_view_size = g->view_size;
	uint32_t depth = t->state == TM_T_NEW ? 0 : t->depth;

	tm_pool_forked(t);
	g->seg = NULL;
	g->view = NULL;
	if (!g->active || tm_seg_create(g) < 0) /* detached (attach.c): none */
		g->active = 0;
	t->state = TM_T_NEW;
	tm_thread_setup(t); /* TM_T_OFF if there is no segment; keeps t->stack */
	if (depth) {
		t->depth = depth; /* <= t->cap: the same stack */
		for (uint32_t k = 0; k < depth; k++) {
			t->live[k].start = t->stack[k].start;
			t->live[k].sym = t->stack[k].sym;
		}
		atomic_store_explicit(t->live_depth, depth, memory_order_release);
	}
	tm_seg_unmap(g, old, old_size, old_view, old_view_size);
	errno = saved;
}

void tm_fork_install(void)
{
	pthread_atfork(NULL, NULL, tm_fork_child);
}
