/* SPDX-License-Identifier: MIT */
/* fork: the child must never write into the parent's segment. In the child
 * a new segment is created and the parent's is unmapped. The forking
 * thread's shadow stack is private memory, which fork copies: the calls
 * still open across fork() return through the exit hook from the same
 * frames. Those calls are the parent's — the parent records each once when
 * it returns there — so in the child they are marked inherited: their
 * return passes through unrecorded, they are not mirrored as open calls,
 * and calls the child makes under them have no monitored caller.
 *
 * daemon(): glibc's daemon forks and its parent ends with an internal
 * _exit(0), which no GOT slot sees. The wrapper flags the thread; the
 * parent's fork handler then marks the segment exited with 0, the code
 * daemon's parent always ends with. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "shim.h"

static __thread uint32_t tm_in_daemon __attribute__((tls_model("initial-exec")));
static int (*real_daemon)(int, int);

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

	tm_in_daemon = 0;
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
			/* untimed too: the exit hook's fast paths leave it to
			 * tm_exit_full, which passes it through */
			t->stack[k].flags |= TM_FR_INHERITED | TM_FR_UNTIMED;
			t->stack[k].sym = TM_NO_SYM;
			t->stack[k].start = 0;
			t->live[k].start = 0;
			t->live[k].sym = TM_NO_SYM;
		}
		atomic_store_explicit(t->live_depth, depth, memory_order_release);
	}
	tm_seg_unmap(g, old, old_size, old_view, old_view_size);
	errno = saved;
}

/* In the parent, after the fork (also a failed one: then daemon returns
 * and its wrapper puts the state back). */
static void tm_fork_parent(void)
{
	if (tm_in_daemon && tm_g.seg && tm_g.seg_pid == getpid())
		tm_seg_mark_exit(tm_g.seg, 0);
}

static int tm_wrap_daemon(int nochdir, int noclose)
{
	tm_in_daemon = 1;
	int r = real_daemon(nochdir, noclose);
	int saved = errno;
	/* the child (its own segment), or a parent whose fork failed */
	tm_in_daemon = 0;
	if (r < 0 && tm_g.seg && tm_g.seg_pid == getpid())
		atomic_store_explicit(&tm_g.seg->state, TM_PROC_RUNNING, memory_order_release);
	errno = saved;
	return r;
}

struct tm_internal tm_forks[] = {
	{"daemon", (void *)tm_wrap_daemon, (void **)&real_daemon, 1},
	{NULL, NULL, NULL, 0},
};

void tm_fork_install(void)
{
	*(void **)&real_daemon = dlsym(RTLD_NEXT, "daemon");
	pthread_atfork(NULL, tm_fork_parent, tm_fork_child);
}
