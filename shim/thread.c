/* SPDX-License-Identifier: MIT */
/* A thread's first monitored call: claim a slot in the segment and attach
 * this thread's TLS to it. Runs inside the entry hook with only general
 * registers saved, so it is built like hook.c and calls no libc function
 * except __errno_location (which touches no vector register).
 *
 * Why the TLS block is small and the shadow stack lives in a private pool:
 * a large initial-exec TLS block is reserved out of every thread's stack,
 * and glibc refuses pthread_create when a program asks for a small stack;
 * that would change the host's behaviour. The shadow stack used to live in
 * the segment, where any process of the user could rewrite the return
 * addresses in it; now the segment only gets a write-only mirror of it. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
int tm_populate_cnt(const struct tm_state *g, struct tm_thread *thr)
{
	if (!g->counters)
		return 0;
	uint64_t off = tm_thr_cnt_off(g->stack_cap, g->max_syms);
	return tm_populate((char *)thr + off, 2 * (uint64_t)g->max_syms * sizeof(struct tm_cnt));
}

static long tm_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Mapped PROT_NONE first: under mlockall(MCL_FUTURE) the kernel would
 * otherwise lock the new mapping and fault all of it in (a whole ring per
 * thread). Unlocked before it is made accessible, so nothing is populated
 * and the program's RLIMIT_MEMLOCK budget is its own again. */
static void *map_raw(int fd, uint64_t off, uint64_t len)
{
	long flags = fd < 0 ? MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE : MAP_SHARED;
	long m = tm_syscall6(SYS_mmap, 0, (long)len, PROT_NONE, flags, fd, (long)off);
	if (m < 0 && m > -4096)
		return NULL;
	tm_syscall6(SYS_munlock, m, (long)len, 0, 0, 0, 0);
	if (tm_syscall6(SYS_mprotect, m, (long)len, PROT_READ | PROT_WRITE, 0, 0, 0) != 0) {
		tm_syscall6(SYS_munmap, m, (long)len, 0, 0, 0, 0);
		return NULL;
	}
	return (void *)m;
}

/* The exported names are thin wrappers: this object (the hot path's)
 * calls only its own static helpers. */
void *tm_map(int fd, uint64_t off, uint64_t len)
{
	return map_raw(fd, off, len);
}

void tm_unmap(void *addr, uint64_t len)
{
	if (addr)
		tm_syscall6(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0);
}

/* Slot i, mapped on first use: the segment file is reopened by path (no
 * descriptor is kept: the program may close or reuse any), and used only if
 * it is still the file the shim created. Runs on a thread's first call,
 * never on the hot path. NULL if it cannot be mapped (address space limit,
 * file replaced or gone): the thread goes to the shared slot. */
static struct tm_thread *seg_thread(const struct tm_state *g, uint32_t i)
{
	struct tm_thread *thr = atomic_load_explicit(&g->slot[i], memory_order_acquire);
	if (thr)
		return thr;
	long fd = tm_syscall6(SYS_open, (long)g->seg_path, O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0, 0, 0,
			      0);
	if (fd < 0)
		return NULL;
	struct stat st;
	void *m = NULL;
	if (tm_syscall6(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) == 0 &&
	    (uint64_t)st.st_dev == g->seg_dev && (uint64_t)st.st_ino == g->seg_ino)
		m = map_raw((int)fd, g->threads_off + (uint64_t)i * g->thread_size, g->thread_size);
	tm_syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
	if (!m)
		return NULL;
	struct tm_thread *none = NULL;
	if (!atomic_compare_exchange_strong_explicit(&g->slot[i], &none, (struct tm_thread *)m,
						     memory_order_acq_rel, memory_order_acquire)) {
		tm_syscall6(SYS_munmap, (long)m, (long)g->thread_size, 0, 0, 0,
			    0); /* lost the race */
		return none;
	}
	return (struct tm_thread *)m;
}

struct tm_thread *tm_seg_thread(const struct tm_state *g, uint32_t i)
{
	return seg_thread(g, i);
}

/* Takes a free slot (FREE -> ACTIVE) and says which (*idx). The collector
 * returns a slot to FREE only after it has drained it and zeroed its
 * counters — or so it should: the state is the one thing the claim reads
 * back, and a foreign FREE only makes two threads report into one slot
 * (each keeps its own head, stack and backing flags). A slot is backed with
 * memory before its state is read (reading a hole of a full tmpfs raises
 * SIGBUS too) unless this process's private view says it already was; the
 * high-water mark is raised only after, so every slot the collector reads
 * ([0, hwm)) is backed: header, shadow-stack mirror and flags. */
struct tm_thread *tm_seg_claim(struct tm_state *g, int32_t tid, uint32_t *idx)
{
	struct tm_seg_header *h = g->seg;
	uint64_t backed = tm_thr_acc_off(g->stack_cap, g->max_syms);
	for (uint32_t i = 0; i < g->max_threads; i++) {
		struct tm_thread *thr = seg_thread(g, i);
		if (!thr)
			return NULL; /* no address space for it: the shared slot */
		if (!atomic_load_explicit(&g->view[i], memory_order_acquire)) {
			if (tm_populate(thr, backed) < 0 || tm_populate_cnt(g, thr) < 0)
				return NULL; /* file system full: the shared slot is already backed
					      */
			atomic_store_explicit(&g->view[i], 1, memory_order_release);
		}
		uint32_t expect = TM_THR_FREE;
		if (atomic_load_explicit(&thr->state, memory_order_relaxed) != TM_THR_FREE ||
		    !atomic_compare_exchange_strong_explicit(&thr->state, &expect, TM_THR_ACTIVE,
							     memory_order_acquire,
							     memory_order_relaxed))
			continue;
		atomic_store_explicit(&thr->tid, tid, memory_order_relaxed);
		atomic_store_explicit(&thr->head, 0,
				      memory_order_relaxed); /* our head starts at 0 */
		atomic_fetch_add_explicit(&thr->gen, 1, memory_order_release);
		/* bounded: a foreign writer racing on the mark must not keep us
		 * here (the mark only tells the collector where to look) */
		uint32_t hwm = atomic_load_explicit(&h->threads_hwm, memory_order_relaxed);
		for (int k = 0; k < 64 && hwm < i + 1; k++)
			if (atomic_compare_exchange_weak_explicit(&h->threads_hwm, &hwm, i + 1,
								  memory_order_release,
								  memory_order_relaxed))
				break;
		*idx = i;
		return thr;
	}
	return NULL;
}

static void tm_attach_slot(struct tm_tls *t, struct tm_thread *thr, uint32_t idx)
{
	const struct tm_state *g = &tm_g;
	char *base = (char *)thr;
	t->thr = thr;
	t->live_depth = &thr->live_depth;
	t->live = (tm_mirror *)(base + tm_thr_live_off());
	t->acc_used = (_Atomic uint8_t *)(base + tm_thr_used_off(g->stack_cap));
	t->ready = g->view + g->max_threads + 1 + (uint64_t)idx * g->max_syms;
	t->acc = (struct tm_acc *)(base + tm_thr_acc_off(g->stack_cap, g->max_syms));
	t->seen = (struct tm_acc *)(base + tm_thr_seen_off(g->stack_cap, g->max_syms));
	t->ring = (struct tm_record *)(base + tm_thr_ring_off(g->stack_cap, g->max_syms));
	t->ring_cap = g->ring_cap;
	t->mask = g->ring_cap - 1;
	t->head = 0; /* private; the claim wrote the same to the segment */
	t->tail_cache = 0;
	t->ring_ready = 0; /* the first record populates the first chunk */
	t->limit = 0;
	t->lap = TM_REC_LAP; /* position 0's; set again with every limit */
	t->nomem = 0;
}

/* A thread with no mirror in the segment (no slot of its own, no segment)
 * mirrors onto its own frames: the same values at the same offsets, so the
 * hot path needs no test for it. */
static void tm_mirror_private(struct tm_tls *t)
{
	t->live = (tm_mirror *)t->stack;
	t->live_depth = &t->nsdepth;
}

static void tm_attach_shared(struct tm_tls *t)
{
	tm_attach_slot(t, seg_thread(&tm_g, tm_g.max_threads), tm_g.max_threads);
	t->cnt = NULL; /* shared counters take atomic adds: C path (hook.c tm_decide) */
	tm_mirror_private(t);
	t->ring_cap = 0; /* every call goes to the (atomic) accumulators */
}

static long tm_syscall2(long nr, long a, long b)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

/* Is thread `tid` of this process gone? (tgkill with signal 0 probes.) A
 * thread runs no user code once it is gone, so its stack can be reused. */
static int tm_tid_gone(int32_t tid)
{
	long pid = tm_syscall2(SYS_getpid, 0, 0);
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_tgkill), "D"(pid), "S"((long)tid), "d"(0L)
			 : "rcx", "r11", "memory");
	return ret == -ESRCH;
}

static _Atomic uint64_t *tm_pool_owner(uint32_t i)
{
	return (_Atomic uint64_t *)tm_g.pool + i;
}

/* Stack i's address; only its owner reads or writes it. */
static struct tm_frame **tm_pool_stack(uint32_t i)
{
	return (struct tm_frame **)(tm_g.pool + (uint64_t)tm_g.pool_n * sizeof(uint64_t)) + i;
}

/* Gives the thread a private shadow stack: a free pool stack, one whose
 * owner has exited (the next thread to need one takes it over: threads
 * have no exit hook), or the small one in TLS. The owner word carries a
 * generation, so two threads racing for one stack cannot both win. */
static void tm_stack_take(struct tm_tls *t, int32_t tid)
{
	for (int pass = 0; pass < 2 && tm_g.pool; pass++) {
		for (uint32_t i = 0; i < tm_g.pool_n; i++) {
			_Atomic uint64_t *ow = tm_pool_owner(i);
			uint64_t o = atomic_load_explicit(ow, memory_order_acquire);
			int32_t who = (int32_t)(uint32_t)o;
			/* our own tid: its previous owner is gone (tids are unique) */
			if (who != 0 && who != tid && (pass == 0 || !tm_tid_gone(who)))
				continue;
			uint64_t mine = ((o >> 32) + 1) << 32 | (uint32_t)tid;
			if (!atomic_compare_exchange_strong_explicit(
				    ow, &o, mine, memory_order_acq_rel, memory_order_relaxed))
				continue;
			struct tm_frame **sp = tm_pool_stack(i);
			if (!*sp)
				*sp = map_raw(-1, 0, tm_g.pool_stride);
			if (!*sp) { /* no address space: give it back, use TLS */
				atomic_store_explicit(ow, ((mine >> 32) + 1) << 32,
						      memory_order_release);
				pass = 2;
				break;
			}
			t->stack = *sp;
			t->args = (struct tm_capv *)(*sp + tm_g.stack_cap);
			t->cap = tm_g.stack_cap;
			t->pool = i + 1;
			return;
		}
	}
	t->stack = t->nsstack;
	t->args = t->nsargs;
	t->cap = tm_g.stack_cap < TM_NOSLOT_STACK ? tm_g.stack_cap : TM_NOSLOT_STACK;
	t->pool = 0;
}

/* fork child: only the forking thread exists. Its stack (copied by fork,
 * like all private memory) keeps its frames; every other stack is free. */
void tm_pool_forked(struct tm_tls *t)
{
	if (!tm_g.pool)
		return;
	int32_t tid = tm_gettid();
	for (uint32_t i = 0; i < tm_g.pool_n; i++) {
		_Atomic uint64_t *ow = tm_pool_owner(i);
		uint64_t gen = (atomic_load_explicit(ow, memory_order_relaxed) >> 32) + 1;
		uint64_t who = t->state != TM_T_NEW && t->pool == i + 1 ? (uint32_t)tid : 0;
		atomic_store_explicit(ow, gen << 32 | who, memory_order_relaxed);
	}
}

/* Attaches the calling thread to the current segment. Frames already on
 * this thread's shadow stack (a fork child continuing inside monitored
 * calls) stay where they are; the caller mirrors them. Sets t->state. */
int tm_thread_setup(struct tm_tls *t)
{
	struct tm_seg_header *h = tm_g.seg;
	t->cnt = NULL;
	if (!tm_g.active || !h) {
		if (t->stack)
			tm_mirror_private(t);
		t->state = TM_T_OFF;
		return -1;
	}
	t->errno_p = __errno_location();
	int32_t tid = tm_gettid();
	/* A vfork child runs on its parent's thread, in its memory, until it
	 * execs or exits; this TLS is that thread's, set up here for it. The
	 * slot and the shadow stack are taken in the name of the parent
	 * process (its pid: the main thread's tid), not of the child: under
	 * the child's pid the collector would retire the slot as a thread
	 * gone — counting the child's open call as unwound and its records
	 * again — and another thread would take the stack over while this
	 * one still uses it. (A thread that set up before the vfork keeps its
	 * own tid: the child's calls land in its slot, once.) */
	if (tm_syscall2(SYS_getpid, 0, 0) != tm_g.seg_pid)
		tid = (int32_t)tm_syscall2(SYS_getppid, 0, 0);
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	t->rng = ((uint64_t)hi << 32 | lo) ^ ((uint64_t)(uint32_t)tid * 0x9e3779b97f4a7c15ull);
	if (!t->rng)
		t->rng = 1;
	if (!t->stack)
		tm_stack_take(t, tid);
	uint32_t idx = 0;
	struct tm_thread *thr = tm_seg_claim(&tm_g, tid, &idx);
	if (thr) {
		tm_attach_slot(t, thr, idx);
		t->state = TM_T_SLOT;
		t->depth = 0;
		/* last: tramp.S takes its fast paths once this is set */
		atomic_signal_fence(memory_order_seq_cst);
		if (tm_g.counters)
			t->cnt = (struct tm_cnt *)((char *)thr +
						   tm_thr_cnt_off(tm_g.stack_cap, tm_g.max_syms));
	} else {
		/* tells the collector to reclaim exited threads' slots now */
		atomic_fetch_add_explicit(&h->slot_misses, 1, memory_order_relaxed);
		tm_attach_shared(t);
		t->state = TM_T_SHARED;
	}
	t->depth = 0;
	return 0;
}
