/* SPDX-License-Identifier: MIT */
/* A thread's first monitored call: claim a slot in the segment and attach
 * this thread's TLS to it. Runs inside the entry hook with only general
 * registers saved, so it is built like hook.c and calls no libc function
 * except __errno_location (which touches no vector register).
 *
 * Why the TLS block is small and the shadow stack lives in the segment: a
 * large initial-exec TLS block is reserved out of every thread's stack, and
 * glibc refuses pthread_create when a program asks for a small stack; that
 * would change the host's behaviour. */
#include <errno.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#include "shim.h"

static int32_t tm_gettid(void)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "0"((long)SYS_gettid) : "rcx", "r11", "memory");
	return (int32_t)ret;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Pages of a sparse tmpfs file are allocated when first written; if the
 * file system is full, that write raises SIGBUS in the host. Populating
 * first turns that into an error we can handle. Kernels before 5.14 do not
 * know the advice (EINVAL): then pages come lazily, as before. */
int tm_populate(void *addr, uint64_t len)
{
	uintptr_t lo = (uintptr_t)addr & ~(uintptr_t)4095;
	uintptr_t hi = ((uintptr_t)addr + len + 4095) & ~(uintptr_t)4095;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_madvise), "D"(lo), "S"(hi - lo),
			   "d"((long)MADV_POPULATE_WRITE)
			 : "rcx", "r11", "memory");
	return ret == 0 || ret == -22 /* EINVAL: old kernel */ ? 0 : -1;
}

/* With sampled or count-only symbols, a slot's cnt[] and cnt_seen[] are
 * written on the fast path without a check: back them when the slot is
 * first touched. */
int tm_populate_cnt(struct tm_seg_header *h, struct tm_thread *thr)
{
	if (!(h->flags & TM_SEG_COUNTERS))
		return 0;
	uint64_t off = tm_thr_cnt_off(h->stack_cap, h->max_syms);
	return tm_populate((char *)thr + off, 2 * (uint64_t)h->max_syms * sizeof(struct tm_cnt));
}

struct tm_thread *tm_seg_thread(struct tm_seg_header *h, uint32_t i)
{
	return (struct tm_thread *)((char *)h + h->threads_off + (uint64_t)i * h->thread_size);
}

/* Takes a free slot (FREE -> ACTIVE). The collector returns a slot to FREE
 * only after it has drained it and zeroed its counters. A slot at or above
 * the high-water mark has never been touched: it is backed with memory
 * before it is read (reading a hole of a full tmpfs raises SIGBUS too), and
 * the mark is raised only after that, so every slot the collector reads
 * ([0, hwm)) is backed: header, shadow stack and flags. */
struct tm_thread *tm_seg_claim(struct tm_seg_header *h, int32_t tid)
{
	uint32_t hwm = atomic_load_explicit(&h->threads_hwm, memory_order_acquire);
	uint64_t backed = tm_thr_acc_off(h->stack_cap, h->max_syms);
	for (uint32_t i = 0; i < h->max_threads; i++) {
		struct tm_thread *thr = tm_seg_thread(h, i);
		if (i >= hwm && (tm_populate(thr, backed) < 0 || tm_populate_cnt(h, thr) < 0))
			return NULL; /* file system full: the shared slot is already backed */
		uint32_t expect = TM_THR_FREE;
		if (atomic_load_explicit(&thr->state, memory_order_relaxed) != TM_THR_FREE ||
		    !atomic_compare_exchange_strong_explicit(&thr->state, &expect, TM_THR_ACTIVE,
							     memory_order_acquire,
							     memory_order_relaxed))
			continue;
		atomic_store_explicit(&thr->tid, tid, memory_order_relaxed);
		atomic_fetch_add_explicit(&thr->gen, 1, memory_order_release);
		hwm = atomic_load_explicit(&h->threads_hwm, memory_order_relaxed);
		while (hwm < i + 1 && !atomic_compare_exchange_weak_explicit(
					      &h->threads_hwm, &hwm, i + 1, memory_order_release,
					      memory_order_relaxed))
			;
		return thr;
	}
	return NULL;
}

static void tm_attach_slot(struct tm_tls *t, struct tm_seg_header *h, struct tm_thread *thr)
{
	char *base = (char *)thr;
	t->thr = thr;
	t->live_depth = &thr->live_depth;
	t->stack = (struct tm_live *)(base + tm_thr_live_off());
	t->acc_used = (uint8_t *)(base + tm_thr_used_off(h->stack_cap));
	t->acc = (struct tm_acc *)(base + tm_thr_acc_off(h->stack_cap, h->max_syms));
	t->seen = (struct tm_acc *)(base + tm_thr_seen_off(h->stack_cap, h->max_syms));
	t->ring = (struct tm_record *)(base + tm_thr_ring_off(h->stack_cap, h->max_syms));
	t->ring_cap = h->ring_cap;
	t->mask = h->ring_cap - 1;
	t->head = atomic_load_explicit(&thr->head, memory_order_relaxed);
	t->tail_cache = atomic_load_explicit(&thr->tail, memory_order_acquire);
	t->ring_ready = 0; /* the first record populates the first chunk */
	t->limit = 0;
	t->nomem = 0;
	t->cap = h->stack_cap;
}

static void tm_attach_shared(struct tm_tls *t, struct tm_seg_header *h)
{
	tm_attach_slot(t, h, tm_seg_thread(h, h->max_threads));
	t->cnt = NULL; /* shared counters take atomic adds: C path (hook.c tm_decide) */
	t->live_depth = &t->nsdepth;
	t->stack = t->nsstack;
	t->cap = TM_NOSLOT_STACK;
	t->ring_cap = 0; /* every call goes to the (atomic) accumulators */
}

/* Attaches the calling thread to the current segment. Frames already on
 * this thread's shadow stack (a fork child continuing inside monitored
 * calls) are carried over by the caller. Sets t->state. */
int tm_thread_setup(struct tm_tls *t)
{
	struct tm_seg_header *h = tm_g.seg;
	t->cnt = NULL;
	if (!tm_g.active || !h) {
		t->state = TM_T_OFF;
		return -1;
	}
	t->errno_p = __errno_location();
	int32_t tid = tm_gettid();
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	t->rng = ((uint64_t)hi << 32 | lo) ^ ((uint64_t)(uint32_t)tid * 0x9e3779b97f4a7c15ull);
	if (!t->rng)
		t->rng = 1;
	struct tm_thread *thr = tm_seg_claim(h, tid);
	if (thr) {
		tm_attach_slot(t, h, thr);
		t->state = TM_T_SLOT;
		t->depth = 0;
		/* last: tramp.S takes its fast paths once this is set */
		atomic_signal_fence(memory_order_seq_cst);
		if (h->flags & TM_SEG_COUNTERS)
			t->cnt = (struct tm_cnt *)((char *)thr +
						   tm_thr_cnt_off(h->stack_cap, h->max_syms));
	} else {
		/* tells the collector to reclaim exited threads' slots now */
		atomic_fetch_add_explicit(&h->slot_misses, 1, memory_order_relaxed);
		tm_attach_shared(t, h);
		t->state = TM_T_SHARED;
	}
	t->depth = 0;
	return 0;
}
