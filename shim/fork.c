/* SPDX-License-Identifier: MIT */
/* fork: the child must never write into the parent's segment. Before the
 * fork the forking thread's open frames are copied to private memory (the
 * parent keeps running and reuses its shared frames); in the child a new
 * segment is created, the parent's is unmapped, and the frames are carried
 * over so calls still open across fork() return through the exit hook. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "shim.h"

static __thread struct tm_live *tm_fork_frames __attribute__((tls_model("initial-exec")));

static void tm_fork_prepare(void)
{
	int saved = errno;
	struct tm_tls *t = &tm_tls;
	tm_fork_frames = NULL;
	if (t->state != TM_T_NEW && t->depth > 0) {
		/* on failure the child copies from the parent's segment: best effort */
		tm_fork_frames = malloc(t->depth * sizeof(struct tm_live));
		if (tm_fork_frames)
			memcpy(tm_fork_frames, t->stack, t->depth * sizeof(struct tm_live));
	}
	errno = saved;
}

static void tm_fork_parent(void)
{
	int saved = errno;
	free(tm_fork_frames);
	tm_fork_frames = NULL;
	errno = saved;
}

static void tm_fork_child(void)
{
	int saved = errno;
	struct tm_state *g = &tm_g;
	struct tm_tls *t = &tm_tls;
	struct tm_seg_header *old = g->seg;
	uint64_t old_size = g->seg_size;
	uint32_t depth = t->state == TM_T_NEW ? 0 : t->depth;
	struct tm_live *frames = tm_fork_frames;

	if (depth && !frames) {
		/* could not copy: take them from the (still mapped) parent segment */
		frames = malloc(depth * sizeof(struct tm_live));
		if (frames)
			memcpy(frames, t->stack, depth * sizeof(struct tm_live));
	}
	g->seg = NULL;
	if (tm_seg_create(g) < 0)
		g->active = 0;
	t->state = TM_T_NEW;
	tm_thread_setup(t); /* TM_T_OFF if there is no segment */
	if (depth && frames) {
		if (t->state == TM_T_OFF || depth > t->cap) {
			/* keep the frames privately so the open calls can return */
			t->stack = frames;
			t->cap = depth;
			t->live_depth = &t->nsdepth;
			frames = NULL;
		} else {
			memcpy(t->stack, frames, depth * sizeof(struct tm_live));
		}
		t->depth = depth;
		__atomic_store_n(t->live_depth, depth, __ATOMIC_RELEASE);
	}
	free(frames);
	tm_fork_frames = NULL;
	if (old)
		munmap(old, old_size);
	errno = saved;
}

void tm_fork_install(void)
{
	pthread_atfork(tm_fork_prepare, tm_fork_parent, tm_fork_child);
}
