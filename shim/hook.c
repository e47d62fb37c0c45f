/* SPDX-License-Identifier: MIT */
/* The hot path: what runs on every monitored call, between tramp.S's entry
 * stub and the real function, and again when the call returns.
 *
 * Compiled with -mgeneral-regs-only -fno-builtin -fno-tree-vectorize: the
 * trampolines save only general registers, so nothing here may touch a
 * vector or x87 register (a compiler-made memcpy would clobber xmm0, which
 * may hold an argument or the return value). Nothing here calls libc, makes
 * a system call, takes a lock, allocates, or does an atomic read-modify-write
 * on memory another thread writes — except on the slotless overload path,
 * where exact counts matter more than speed.
 *
 * The rule that keeps the host safe from whoever else can write its segment
 * (any process of the same user can open it): what the shim acts on is
 * private; what it shares, it only writes. Return addresses, stack slots,
 * depths, symbol ids, ring positions live in TLS or the private shadow
 * stack (struct tm_frame); the segment's live[] is a mirror of start and
 * symbol for the collector. The few values read back from the segment — the
 * consumer's tail, counters the shim increments in place, the sampling
 * countdown — can change what is reported, never where the shim jumps or
 * which memory it writes: the tail only bounds records written at a masked
 * index into backed memory.
 */
#include <stdatomic.h>

#include "arch/x86_64/arch.h"
#include "attach.h"
#include "shim.h"

__thread struct tm_tls tm_tls __attribute__((tls_model("initial-exec")));

#define RELAXED memory_order_relaxed

_Static_assert(sizeof(struct tm_slot) == 1u << TM_SLOT_SHIFT, "tramp.S: slot size");
_Static_assert(offsetof(struct tm_slot, target) == TM_SLOT_TARGET, "tramp.S: slot target");
_Static_assert(offsetof(struct tm_slot, cnt_off) == TM_SLOT_CNT_OFF, "tramp.S: slot cnt_off");
_Static_assert(offsetof(struct tm_slot, mode) == TM_SLOT_MODE, "tramp.S: slot mode");
_Static_assert(offsetof(struct tm_slot, sym) == TM_SLOT_SYM, "tramp.S: slot sym");
_Static_assert(offsetof(struct tm_cnt, calls) == TM_CNT_CALLS, "tramp.S: cnt calls");
_Static_assert(offsetof(struct tm_cnt, left) == TM_CNT_LEFT, "tramp.S: cnt left");
_Static_assert(sizeof(struct tm_cnt) == 1u << TM_CNT_SHIFT &&
		       offsetof(struct tm_cnt, calls) == TM_CNT_CALLS &&
		       offsetof(struct tm_cnt, ok) == TM_CNT_OK &&
		       offsetof(struct tm_cnt, bytes) == TM_CNT_BYTES,
	       "tramp.S: cnt layout");
_Static_assert(offsetof(struct tm_tls, cnt) == 0, "tramp.S: tm_tls.cnt at offset 0");
_Static_assert(offsetof(struct tm_tls, thr) == TM_TLS_THR &&
		       offsetof(struct tm_tls, live_depth) == TM_TLS_LIVE_DEPTH &&
		       offsetof(struct tm_tls, stack) == TM_TLS_STACK &&
		       offsetof(struct tm_tls, live) == TM_TLS_LIVE &&
		       offsetof(struct tm_tls, ring) == TM_TLS_RING &&
		       offsetof(struct tm_tls, acc) == TM_TLS_ACC &&
		       offsetof(struct tm_tls, acc_used) == TM_TLS_ACC_USED &&
		       offsetof(struct tm_tls, ready) == TM_TLS_READY &&
		       offsetof(struct tm_tls, head) == TM_TLS_HEAD &&
		       offsetof(struct tm_tls, limit) == TM_TLS_LIMIT &&
		       offsetof(struct tm_tls, tail_cache) == TM_TLS_TAIL_CACHE &&
		       offsetof(struct tm_tls, mask) == TM_TLS_MASK &&
		       offsetof(struct tm_tls, ring_cap) == TM_TLS_RING_CAP &&
		       offsetof(struct tm_tls, ring_ready) == TM_TLS_RING_READY &&
		       offsetof(struct tm_tls, depth) == TM_TLS_DEPTH &&
		       offsetof(struct tm_tls, cap) == TM_TLS_CAP &&
		       offsetof(struct tm_tls, state) == TM_TLS_STATE &&
		       offsetof(struct tm_tls, busy) == TM_TLS_BUSY &&
		       offsetof(struct tm_tls, errno_p) == TM_TLS_ERRNO_P &&
		       offsetof(struct tm_tls, lap) == TM_TLS_LAP && TM_T_SLOT == TM_ASM_T_SLOT,
	       "tramp.S: tm_tls layout");
_Static_assert(sizeof(((struct tm_tls *)0)->head) == 8 &&
		       sizeof(((struct tm_tls *)0)->limit) == 8 &&
		       sizeof(((struct tm_tls *)0)->mask) == 8 &&
		       sizeof(((struct tm_tls *)0)->tail_cache) == 8 &&
		       sizeof(((struct tm_tls *)0)->ring_cap) == 8 &&
		       sizeof(((struct tm_tls *)0)->ring_ready) == 8 &&
		       sizeof(((struct tm_tls *)0)->lap) == 8 &&
		       TM_REC_LAP == 1ull << TM_ASM_REC_LAP_BIT &&
		       TM_HEAD_EVERY == 1u << TM_ASM_HEAD_EVERY_SHIFT &&
		       sizeof(*((struct tm_tls *)0)->ready) == 1 &&
		       sizeof(*((struct tm_tls *)0)->acc_used) == 1 &&
		       sizeof(((struct tm_tls *)0)->depth) == 4 &&
		       sizeof(((struct tm_tls *)0)->cap) == 4 &&
		       sizeof(((struct tm_tls *)0)->state) == 4 &&
		       sizeof(((struct tm_tls *)0)->busy) == 4 &&
		       sizeof(*((struct tm_tls *)0)->live_depth) == 4,
	       "tramp.S: tm_tls field sizes");
_Static_assert(offsetof(struct tm_state, fast) == TM_G_FAST && sizeof(tm_g.fast) == 1,
	       "tramp.S: tm_g.fast");
_Static_assert(offsetof(struct tm_thread, head) == TM_THR_HEAD &&
		       offsetof(struct tm_thread, loss[TM_LOSS_OVERFLOW]) == TM_THR_LOSS_OVF &&
		       offsetof(struct tm_thread, acc_epoch) == TM_THR_ACC_EPOCH &&
		       offsetof(struct tm_thread, tail) == TM_THR_TAIL,
	       "tramp.S: tm_thread head, losses, epoch, tail");
_Static_assert(sizeof(struct tm_acc) == TM_ACC_SIZE &&
		       offsetof(struct tm_acc, calls) == TM_ACC_CALLS &&
		       offsetof(struct tm_acc, sum) == TM_ACC_SUM &&
		       offsetof(struct tm_acc, min) == TM_ACC_MIN &&
		       offsetof(struct tm_acc, max) == TM_ACC_MAX &&
		       offsetof(struct tm_acc, hist) == TM_ACC_HIST &&
		       sizeof(((struct tm_acc *)0)->hist[0]) == 4 &&
		       TM_ACC_BUCKETS == TM_ASM_ACC_BUCKETS,
	       "tramp.S: tm_acc layout");
_Static_assert(sizeof(struct tm_rule) == TM_RULE_SIZE &&
		       offsetof(struct tm_rule, has_rule) == TM_RULE_HAS &&
		       offsetof(struct tm_rule, type) == TM_RULE_TYPE &&
		       offsetof(struct tm_rule, err_src) == TM_RULE_ERR_SRC &&
		       offsetof(struct tm_rule, bytes) == TM_RULE_BYTES &&
		       TM_CALL_BYTES_MAX == 1ull << TM_ASM_CALL_BYTES_SHIFT &&
		       sizeof(((struct tm_rule *)0)->bytes) == 1 &&
		       offsetof(struct tm_rule, nivals) == TM_RULE_NIVALS &&
		       offsetof(struct tm_rule, lo) == TM_RULE_LO &&
		       offsetof(struct tm_rule, hi) == TM_RULE_HI &&
		       sizeof(((struct tm_rule *)0)->has_rule) == 1 &&
		       sizeof(((struct tm_rule *)0)->type) == 1 &&
		       sizeof(((struct tm_rule *)0)->err_src) == 1 &&
		       sizeof(((struct tm_rule *)0)->nivals) == 4 &&
		       sizeof(((struct tm_rule *)0)->lo[0]) == 8 &&
		       sizeof(((struct tm_rule *)0)->hi[0]) == 8,
	       "tramp.S: tm_rule layout");
_Static_assert(TM_RET_INT == TM_ASM_RET_INT && TM_RET_UINT == TM_ASM_RET_UINT &&
		       TM_RET_PTR == TM_ASM_RET_PTR && TM_RET_LONG > TM_RET_UINT &&
		       TM_RET_VOID > TM_RET_UINT && TM_ERR_ERRNO == TM_ASM_ERR_ERRNO &&
		       TM_ERR_RET == TM_ASM_ERR_RET && TM_ERR_NEGRET == TM_ASM_ERR_NEGRET,
	       "tramp.S: rule types and error sources");
_Static_assert(sizeof(struct tm_record) == 1u << TM_REC_SHIFT &&
		       offsetof(struct tm_record, start) == TM_REC_START &&
		       offsetof(struct tm_record, dur_meta) == TM_REC_DUR_META &&
		       offsetof(struct tm_record, value) == TM_REC_VALUE &&
		       offsetof(struct tm_record, err) == TM_REC_ERR &&
		       offsetof(struct tm_record, sym) == TM_REC_ERR + 4 &&
		       offsetof(struct tm_record, caller) == TM_REC_ERR + 6 &&
		       TM_DUR_MASK == TM_ASM_DUR_MASK && TM_NO_SYM == TM_ASM_NO_SYM &&
		       TM_ST_OK == 0 && TM_ST_FAILED == 1u << TM_ASM_ST_FAILED_BIT &&
		       TM_ST_NORULE == 1u << TM_ASM_ST_NORULE_BIT,
	       "tramp.S: tm_record layout");
_Static_assert(TM_NSTUBS == TM_ASM_NSTUBS && TM_STUB_SIZE == 1u << TM_STUB_SHIFT &&
		       TM_SLOT_SIZE == 1u << TM_SLOT_SHIFT,
	       "tramp.S: stubs and slots");
_Static_assert(sizeof(struct tm_frame) == 1u << TM_FRAME_SHIFT &&
		       sizeof(struct tm_live) == 1u << TM_FRAME_SHIFT &&
		       offsetof(struct tm_frame, start) == TM_FRAME_START &&
		       offsetof(struct tm_frame, sym) == TM_FRAME_SYM &&
		       offsetof(struct tm_frame, flags) == TM_FRAME_FLAGS &&
		       TM_FRAME_FLAGS == TM_FRAME_SYM + 4 && /* one 8-byte store: sym, flags 0 */
		       offsetof(struct tm_frame, ret) == TM_FRAME_RET &&
		       offsetof(struct tm_frame, sp) == TM_FRAME_SP &&
		       offsetof(struct tm_live, start) == TM_LIVE_START &&
		       offsetof(struct tm_live, sym) == TM_LIVE_SYM &&
		       TM_FR_UNTIMED == TM_ASM_FR_UNTIMED,
	       "tramp.S: tm_frame / tm_live layout");
_Static_assert(TM_SM_COUNT == TM_ASM_SM_COUNT && TM_SM_HIJACK == TM_ASM_SM_HIJACK,
	       "tramp.S: slot modes");
_Static_assert(TM_D_SAMPLED == TM_ASM_D_SAMPLED && TM_D_UNTIMED == TM_ASM_D_UNTIMED &&
		       TM_D_DECIDE == TM_ASM_D_DECIDE,
	       "tramp.S: decisions");

/* One increment of a counter only this thread writes: a single instruction,
 * so a signal handler on this thread cannot split it, and no lock prefix,
 * since no other thread writes the line (the collector only reads it). */
static inline void tm_bump(_Atomic uint64_t *p, uint64_t v)
{
	__asm__ volatile("addq %1, %0" : "+m"(*(uint64_t *)p) : "er"(v));
}

static inline struct tm_cnt *tm_cnt_of(const struct tm_tls *t, uint32_t sym)
{
	return t->cnt + sym;
}

static inline tm_ticks tm_now(void)
{
	if (TM_LIKELY(tm_g.clock_kind == TM_CLOCK_TSC)) {
		uint32_t lo, hi;
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		return ((uint64_t)hi << 32) | lo;
	}
	return tm_clock_mono();
}

/* A signal handler runs on this thread between any two instructions; the
 * busy flag must be visible to it in program order, nothing more. */
static inline void tm_busy(struct tm_tls *t, uint32_t v)
{
	atomic_signal_fence(memory_order_seq_cst);
	t->busy = v;
	atomic_signal_fence(memory_order_seq_cst);
}

static inline void tm_store_owner(_Atomic uint64_t *p, uint64_t v)
{
	atomic_store_explicit(p, v, RELAXED);
}

static inline uint64_t tm_load(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, RELAXED);
}

static void tm_loss(struct tm_tls *t, enum tm_loss why)
{
	if (t->state == TM_T_SHARED)
		atomic_fetch_add_explicit(&t->thr->loss[why], 1, RELAXED);
	else
		tm_store_owner(&t->thr->loss[why], tm_load(&t->thr->loss[why]) + 1);
}

static void tm_acc_err(struct tm_acc *a, int32_t err, int shared)
{
	for (unsigned i = 0; i < TM_ACC_ERRS; i++) {
		int32_t c = atomic_load_explicit(&a->errs[i].code, memory_order_acquire);
		if (c == 0) {
			int32_t zero = 0;
			if (shared) {
				if (!atomic_compare_exchange_strong(&a->errs[i].code, &zero, err) &&
				    zero != err)
					continue;
			} else {
				atomic_store_explicit(&a->errs[i].code, err, memory_order_release);
			}
			c = err;
		}
		if (c == err) {
			if (shared)
				atomic_fetch_add_explicit(&a->errs[i].count, 1,
							  memory_order_release);
			else
				atomic_store_explicit(
					&a->errs[i].count,
					atomic_load_explicit(&a->errs[i].count, RELAXED) + 1,
					memory_order_release);
			return;
		}
	}
	if (shared)
		atomic_fetch_add_explicit(&a->errs_other, 1, RELAXED);
	else
		tm_store_owner(&a->errs_other, tm_load(&a->errs_other) + 1);
}

static void tm_acc_minmax(struct tm_acc *a, uint64_t dur, int shared)
{
	uint64_t mn = tm_load(&a->min), mx = tm_load(&a->max);
	if (!shared) {
		if (mn == 0 || dur + 1 < mn)
			tm_store_owner(&a->min, dur + 1); /* stored +1 so 0 means "none" */
		if (dur > mx)
			tm_store_owner(&a->max, dur);
		return;
	}
	/* bounded: another process writing the segment must not keep this
	 * thread spinning (only the reported extremes would suffer) */
	for (int k = 0; k < 64 && (mn == 0 || dur + 1 < mn); k++)
		if (atomic_compare_exchange_weak_explicit(&a->min, &mn, dur + 1, RELAXED, RELAXED))
			break;
	for (int k = 0; k < 64 && dur > mx; k++)
		if (atomic_compare_exchange_weak_explicit(&a->max, &mx, dur, RELAXED, RELAXED))
			break;
}

#define ACC_ADD(a, f, v, shared)                                                                   \
	do {                                                                                       \
		if (shared)                                                                        \
			atomic_fetch_add_explicit(&(a)->f, (v), RELAXED);                          \
		else                                                                               \
			tm_store_owner(&(a)->f, tm_load(&(a)->f) + (v));                           \
	} while (0)

/* The ring is full (or this thread has none): fold the call into the exact
 * per-symbol totals. Kept out of line; the common case never comes here. */
/* argbytes: an ok call's bytes when its rule captures arguments */
static __attribute__((noinline)) void tm_acc_add(struct tm_tls *t, uint32_t sym, uint64_t dur,
						 unsigned status, int64_t value, int32_t err,
						 uint64_t argbytes)
{
	int shared = t->state == TM_T_SHARED;
	int untimed = (status & TM_ST_UNTIMED) != 0;
	struct tm_acc *a = &t->acc[sym];
	const struct tm_rule *r = &tm_rules[sym];

	if (!atomic_load_explicit(&t->ready[sym], RELAXED)) {
		/* first overflow of this symbol in this slot: back its
		 * accumulator and the collector's copy with memory first. The
		 * private flag, not the segment's acc_used, says it was done. */
		if (t->nomem || tm_populate(a, sizeof(*a)) < 0 ||
		    tm_populate(&t->seen[sym], sizeof(*a)) < 0) {
			t->nomem = 1;
			tm_loss(t, TM_LOSS_NOMEM);
			return;
		}
		atomic_store_explicit(&t->ready[sym], 1, RELAXED);
	}
	/* for the collector, on every overflow: it clears the flag when it
	 * hands the slot to a new thread, and the shim never reads it back */
	atomic_store_explicit(&t->acc_used[sym], 1, RELAXED);
	status &= ~TM_ST_UNTIMED;
	ACC_ADD(a, calls, 1, shared);
	if (status == TM_ST_OK) {
		ACC_ADD(a, ok, 1, shared);
		if (r->bytes == TM_BYTES_ARG)
			ACC_ADD(a, bytes, tm_call_bytes(argbytes), shared);
		else if (r->bytes && value > 0)
			ACC_ADD(a, bytes, tm_call_bytes((uint64_t)value), shared);
	} else if (status == TM_ST_NORULE) {
		if (argbytes) /* not judged: its arguments still say what it moved */
			ACC_ADD(a, bytes, tm_call_bytes(argbytes), shared);
	} else if (status == TM_ST_FAILED) {
		ACC_ADD(a, failed, 1, shared);
		tm_acc_err(a, err, shared);
	} else if (status != TM_ST_NORULE) {
		ACC_ADD(a, abnormal, 1, shared);
	}
	if (untimed) {
		ACC_ADD(a, untimed, 1, shared);
	} else {
		ACC_ADD(a, sum, dur, shared);
		tm_acc_minmax(a, dur, shared);
		unsigned b = tm_acc_bucket(dur);
		if (shared)
			atomic_fetch_add_explicit(&a->hist[b], 1, RELAXED);
		else
			atomic_store_explicit(&a->hist[b],
					      atomic_load_explicit(&a->hist[b], RELAXED) + 1,
					      RELAXED);
	}
	if (shared) {
		atomic_fetch_add_explicit(&t->thr->acc_epoch, 1, memory_order_release);
	} else {
		atomic_store_explicit(&t->thr->acc_epoch, tm_load(&t->thr->acc_epoch) + 1,
				      memory_order_release);
		tm_loss(t, TM_LOSS_OVERFLOW);
	}
	if (shared)
		tm_loss(t, TM_LOSS_NOSLOT);
}

/* Is there room for record h? Called when h reaches t->limit: reloads the
 * consumer's tail and, until the whole ring has been backed by memory once,
 * populates the next chunk (a few system calls per thread lifetime, never
 * one per call). Recomputes the limit. */
static __attribute__((noinline)) int tm_ring_room(struct tm_tls *t, uint64_t h)
{
	if (!t->ring_cap)
		return 0; /* the shared slot: no ring, whatever its tail says */
	if (t->ring_ready < t->ring_cap && h >= t->ring_ready && !t->nomem) {
		uint64_t want = t->ring_ready + TM_RING_CHUNK;
		if (want > t->ring_cap)
			want = t->ring_cap;
		if (tm_populate(&t->ring[t->ring_ready],
				(want - t->ring_ready) * sizeof(*t->ring)) < 0)
			t->nomem = 1; /* keep what we have; the rest goes to the accumulators */
		else
			t->ring_ready = want;
	}
	/* The tail is the one ring position read back from the segment. A
	 * foreign value can only lose or overwrite records: the index below
	 * is masked, and before the ring is fully backed lim is clamped to
	 * the backed part (head has not wrapped then: index == h). */
	t->tail_cache = atomic_load_explicit(&t->thr->tail, memory_order_acquire);
	uint64_t lim = t->tail_cache + t->ring_cap;
	if (t->ring_ready < t->ring_cap && lim > t->ring_ready)
		lim = t->ring_ready;
	/* never past the end of h's lap: below the limit, every record
	 * carries the same lap bit, t->lap (tramp.S reads it) */
	uint64_t lap_end = (h | t->mask) + 1;
	if (lim > lap_end)
		lim = lap_end;
	t->limit = lim;
	t->lap = tm_rec_lap(h, t->ring_cap);
	return h < lim;
}

/* The head as readers see it: published when it reaches a multiple of
 * TM_HEAD_EVERY (wire.h, "Publishing"), so a reader polling it sees its
 * line change once per TM_HEAD_EVERY records. */
static inline void tm_head_advance(struct tm_tls *t, uint64_t h)
{
	t->head = h;
	/* also after a first-lap chunk's first record, which readers do not
	 * probe past the head (wire.h); only C writes those (tramp.S leaves a
	 * ring not yet all backed to tm_ring_room) */
	if (!(h & (TM_HEAD_EVERY - 1)) ||
	    TM_UNLIKELY(h - 1 < t->ring_cap && !((h - 1) & (TM_RING_CHUNK - 1))))
		atomic_store_explicit(&t->thr->head, h, memory_order_release);
}

/* A record's dur_meta, with the lap bit of position h: the record's last
 * store (release), so a reader that finds the lap bit finds the rest. */
static inline void tm_rec_seal(const struct tm_tls *t, struct tm_record *r, uint64_t h,
			       uint64_t meta)
{
	__atomic_store_n(&r->dur_meta, meta | tm_rec_lap(h, t->ring_cap), __ATOMIC_RELEASE);
}

/* Writes one record: the SPSC producer side.
 *
 *   h = my head (private copy)
 *   if h >= limit (tail_cache + cap, the end of the backed part, the end
 *                  of h's lap):
 *       tail_cache = load_acquire(thr->tail), recompute limit and lap
 *       if still no room: fold into the accumulator, done
 *   ring[h & mask] = record, dur_meta | lap bit last (release)
 *   if (h + 1) % TM_HEAD_EVERY == 0: store_release(thr->head, h + 1)
 *
 * The collector reads thr->head with acquire, copies ring[tail..head) and
 * the records past it whose lap bit matches (wire.h, "Publishing"), and
 * publishes its tail with release; it never writes a record.
 */
static inline void tm_emit(struct tm_tls *t, uint32_t sym, uint32_t caller, tm_ticks start,
			   uint64_t dur, unsigned status, unsigned depth, int64_t value,
			   int32_t err)
{
	uint64_t h = t->head;
	if (TM_UNLIKELY(h >= t->limit) && !tm_ring_room(t, h)) {
		tm_acc_add(t, sym, dur, status, value, err, 0);
		return;
	}
	struct tm_record *r = &t->ring[h & t->mask];
	if (dur > TM_DUR_MASK)
		dur = TM_DUR_MASK;
	r->start = start;
	r->value = value;
	r->err = err;
	r->sym = (uint16_t)sym;
	r->caller = (uint16_t)caller;
	tm_rec_seal(t, r, h,
		    dur | (uint64_t)status << 48 | (uint64_t)(depth > 255 ? 255 : depth) << 56);
	tm_head_advance(t, h + 1);
	/* published now: a reader stops before a record of a symbol that
	 * captures past the head, not knowing whether a TM_ST_ARG follows */
	if (TM_UNLIKELY(tm_rule_captures(&tm_rules[sym])))
		atomic_store_explicit(&t->thr->head, h + 1, memory_order_release);
}

/* A call of a rule that reads arguments: the call's record and a
 * TM_ST_ARG record with its bytes (0 when it failed) and its group,
 * published together (both or neither: the accumulators take the call
 * whole, without its group). Without a group, a call that moved nothing
 * needs no second record. */
static __attribute__((noinline)) void tm_emit_arg(struct tm_tls *t, const struct tm_rule *rl,
						  uint32_t sym, uint32_t caller, tm_ticks start,
						  uint64_t dur, unsigned status, unsigned depth,
						  int64_t value, int32_t err, uint64_t bytes,
						  uint64_t group)
{
	uint64_t h = t->head;
	if (!bytes && !rl->group_arg) {
		tm_emit(t, sym, caller, start, dur, status, depth, value, err);
		return;
	}
	if (h + 1 >= t->limit && !tm_ring_room(t, h + 1)) {
		/* tm_ring_room set the lap word and limit for h + 1, where the
		 * head is not: the next record, at h, finds them again itself
		 * (h may be a lap's last slot, the word the next lap's) */
		t->limit = h;
		tm_acc_add(t, sym, dur, status, value, err, bytes);
		return;
	}
	struct tm_record *r = &t->ring[h & t->mask], *a = &t->ring[(h + 1) & t->mask];
	uint64_t dm = (uint64_t)(depth > 255 ? 255 : depth) << 56;
	r->start = start;
	r->value = value;
	r->err = err;
	r->sym = (uint16_t)sym;
	r->caller = (uint16_t)caller;
	tm_rec_seal(t, r, h, (dur > TM_DUR_MASK ? TM_DUR_MASK : dur) | (uint64_t)status << 48 | dm);
	a->start = group;
	a->value = bytes > INT64_MAX ? INT64_MAX : (int64_t)bytes;
	a->err = 0;
	a->sym = (uint16_t)sym;
	a->caller = (uint16_t)caller;
	tm_rec_seal(t, a, h + 1, (uint64_t)TM_ST_ARG << 48 | dm);
	t->head = h + 2;
	atomic_store_explicit(&t->thr->head, h + 2, memory_order_release); /* the pair, now */
}

/* Frames above the one at `keep` were abandoned (longjmp or an unwinder
 * went past them): retire them as unwound. Returns the new depth. */
/* Is the top frame abandoned, given that a new call's return address is at
 * `retp`? Below it on the stack: yes. At the very same slot: a tail call
 * (the outer frame jumped on, its slot still holds tm_exit_tramp) keeps it;
 * a fresh call instruction having written a real return address there
 * means the old frame was left by longjmp. */
static inline int tm_abandoned(const struct tm_frame *f, uintptr_t retp, int entry)
{
	return f->sp < retp ||
	       (entry && f->sp == retp && *(const uintptr_t *)retp != (uintptr_t)tm_exit_tramp);
}

static __attribute__((noinline)) uint32_t tm_retire(struct tm_tls *t, uint32_t d, uintptr_t below,
						    tm_ticks now, int entry)
{
	while (d > 0 && tm_abandoned(&t->stack[d - 1], below, entry)) {
		struct tm_frame *f = &t->stack[d - 1];
		uint32_t caller = d > 1 ? t->stack[d - 2].sym : TM_NO_SYM;
		unsigned st = t->exc ? TM_ST_EXCEPTION : TM_ST_UNWOUND;
		if (f->flags & TM_FR_INHERITED) {
			/* the parent's call (fork child): not ours to record */
		} else if (f->flags & TM_FR_UNTIMED) {
			if (t->state != TM_T_OFF)
				tm_emit(t, f->sym, caller, 0, 0, st | TM_ST_UNTIMED, d - 1, 0, 0);
		} else {
			if (!now)
				now = tm_now();
			if (t->state != TM_T_OFF)
				tm_emit(t, f->sym, caller, f->start, now - f->start, st, d - 1, 0,
					0);
		}
		d--;
	}
	return d;
}

/* Before an unwinder walks this thread's stack: every return address the
 * shadow stack hijacked is put back, so the unwinder sees the real call
 * chain. (With tail calls two frames share one slot; the outer frame holds
 * the real address, the inner one holds tm_exit_tramp: the check on the
 * current value leaves the slot with the real one.) */
void tm_frames_restore(int exception)
{
	struct tm_tls *t = &tm_tls;
	if (t->state == TM_T_NEW || !t->depth)
		return;
	tm_busy(t, 1);
	for (uint32_t k = 0; k < t->depth; k++) {
		uintptr_t *slot = (uintptr_t *)t->stack[k].sp;
		if (*slot == (uintptr_t)tm_exit_tramp &&
		    t->stack[k].ret != (uintptr_t)tm_exit_tramp)
			*slot = t->stack[k].ret;
	}
	t->exc = (uint32_t)exception;
	tm_busy(t, 0);
}

/* An exception was caught by the frame whose CFA is `cfa`: frames below
 * it were unwound by the exception; frames above are live and return
 * through the exit trampoline again. */
void tm_frames_caught(uintptr_t cfa)
{
	struct tm_tls *t = &tm_tls;
	if (t->state == TM_T_NEW || !t->exc) {
		t->exc = 0;
		return;
	}
	tm_busy(t, 1);
	uint32_t d = tm_retire(t, t->depth, cfa, tm_now(), 0);
	t->depth = d;
	atomic_store_explicit(t->live_depth, d, memory_order_release);
	for (uint32_t k = 0; k < d; k++) {
		uintptr_t *slot = (uintptr_t *)t->stack[k].sp;
		if (*slot == t->stack[k].ret)
			*slot = (uintptr_t)tm_exit_tramp;
	}
	t->exc = 0;
	tm_busy(t, 0);
}

/* Arms the sampling countdown of s's symbol on this thread: the gap to the
 * next timed call is uniform in [1, 2N-1], mean N, so a program whose calls
 * alternate in a fixed pattern cannot hide from the sample. */
static inline void tm_rearm(struct tm_tls *t, const struct tm_slot *s)
{
	uint64_t x = t->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	t->rng = x;
	uint64_t n = tm_rules[s->sym].sample;
	tm_cnt_of(t, s->sym)->left = 1 + (int64_t)(x % (2 * n - 1));
}

/* tramp.S found no counters for this thread (first call, shared slot):
 * the same choice, in C. A thread without its own slot times sampled
 * calls (they go to the shared accumulators, exact) and counts count-only
 * calls with an atomic add on the shared slot's counters. */
static __attribute__((noinline)) uint32_t tm_decide(struct tm_tls *t, const struct tm_slot *s)
{
	if (s->mode & TM_SM_OFF) /* left behind by a detach: pass through */
		return TM_D_DONE;
	if (s->mode & TM_SM_CAPTURE)
		return TM_D_CAPTURE;
	if (t->cnt) {
		struct tm_cnt *c = tm_cnt_of(t, s->sym);
		if (s->mode & TM_SM_COUNT) {
			tm_bump(&c->calls, 1);
			return TM_D_DONE;
		}
		/* the countdown lives in the segment: any value may come back,
		 * so no signed overflow; it only decides which call is timed */
		int64_t left = (int64_t)((uint64_t)c->left - 1);
		c->left = left;
		if (left <= 0)
			return TM_D_SAMPLED;
		if (s->mode & TM_SM_HIJACK)
			return TM_D_UNTIMED;
		tm_bump(&c->calls, 1);
		return TM_D_DONE;
	}
	if (!(s->mode & TM_SM_COUNT))
		return TM_D_TIMED;
	if (t->state == TM_T_SHARED && tm_g.counters) {
		struct tm_cnt *c = (struct tm_cnt *)((char *)t->thr +
						     tm_thr_cnt_off(tm_g.stack_cap, tm_g.max_syms));
		atomic_fetch_add_explicit(&c[s->sym].calls, 1, RELAXED);
		tm_loss(t, TM_LOSS_NOSLOT);
	} else {
		tm_loss(t, TM_LOSS_NOMEM);
	}
	return TM_D_DONE;
}

/* What rule r's arguments say the call's bytes are, read at entry (the
 * return value, if a factor, is taken at exit). */
static inline struct tm_capv tm_capture(const struct tm_rule *r, const struct tm_regs *regs)
{
	/* struct tm_regs: r10, rax, r9, r8, rcx, rdx, rsi, rdi */
	const uint64_t *reg = (const uint64_t *)regs;
	struct tm_capv c = {0, 0};
	if (r->ncap)
		c.bytes = tm_cap_value(reg[8 - r->cap[0].arg], r->cap[0].width);
	if (r->ncap > 1)
		c.bytes =
			tm_sat_mul(c.bytes, tm_cap_value(reg[8 - r->cap[1].arg], r->cap[1].width));
	if (r->group_arg)
		c.group = tm_cap_label(reg[8 - r->group_arg], r->group_width);
	return c;
}

/* The last steps of every entry that records: the call's frame at depth d
 * (< cap) with what it captured, the mirror, the depth published, the
 * return address hijacked, busy lowered. */
static inline __attribute__((always_inline)) struct tm_enter_ret
tm_push(struct tm_tls *t, const struct tm_slot *s, uintptr_t *retp, tm_ticks now, uint32_t d,
	uint32_t flags, struct tm_capv arg)
{
	uint32_t sym = s->sym;
	tm_mirror *m = &t->live[d]; /* d < cap <= the segment's stack_cap */
	m->start = now;
	m->sym = sym;
	struct tm_frame *f = &t->stack[d];
	f->start = now;
	f->sym = sym;
	f->flags = flags;
	if (flags & TM_FR_ARG)
		t->args[d] = arg;
	f->ret = *retp;
	f->sp = (uintptr_t)retp;
	t->depth = d + 1;
	atomic_store_explicit(t->live_depth, d + 1, memory_order_release);
	*retp = (uintptr_t)tm_exit_tramp;
	tm_busy(t, 0);
	return (struct tm_enter_ret){s->target, 1};
}

/* Busy raised and the clock read: frames a longjmp abandoned above this
 * call retired, the stack's room checked, the frame pushed. */
static inline __attribute__((always_inline)) struct tm_enter_ret
tm_place(struct tm_tls *t, const struct tm_slot *s, uintptr_t *retp, tm_ticks now, uint32_t flags,
	 struct tm_capv arg)
{
	uint32_t d = t->depth;
	if (TM_UNLIKELY(d && t->stack[d - 1].sp <= (uintptr_t)retp))
		d = tm_retire(t, d, (uintptr_t)retp, now, 1);
	if (TM_UNLIKELY(d >= t->cap)) {
		t->depth = d;
		tm_loss(t, TM_LOSS_DEPTH);
		tm_busy(t, 0);
		return (struct tm_enter_ret){s->target, 0};
	}
	return tm_push(t, s, retp, now, d, flags, arg);
}

static struct tm_enter_ret tm_enter_capture(struct tm_tls *t, const struct tm_slot *s,
					    uintptr_t *retp, const struct tm_regs *regs);

/* The call's frame (decided: timed, sampled or untimed; capture: the
 * rule's arguments are kept with it). One body, two copies: the common
 * one carries nothing of the capture. */
static inline __attribute__((always_inline)) struct tm_enter_ret
tm_enter(struct tm_tls *t, const struct tm_slot *s, uintptr_t *retp, const struct tm_regs *regs,
	 uint32_t decision, int capture)
{
	if (TM_UNLIKELY(t->busy)) {
		tm_loss(t, TM_LOSS_REENTRANT);
		return (struct tm_enter_ret){s->target, 0};
	}
	tm_busy(t, 1);
	if (capture) {
		if (t->cnt) /* the countdown stays run out: tramp.S brings every call */
			tm_cnt_of(t, s->sym)->left = 0;
	} else if (decision == TM_D_SAMPLED) {
		if (TM_UNLIKELY(s->mode & TM_SM_CAPTURE)) {
			tm_busy(t, 0);
			return tm_enter_capture(t, s, retp, regs);
		}
		if (t->cnt)
			tm_rearm(t, s);
	}
	tm_ticks now = decision == TM_D_UNTIMED ? 0 : tm_now();
	if (capture)
		return tm_place(t, s, retp, now, TM_FR_ARG, tm_capture(&tm_rules[s->sym], regs));
	return tm_place(t, s, retp, now, decision == TM_D_UNTIMED ? TM_FR_UNTIMED : 0,
			(struct tm_capv){0, 0});
}

/* A call of a rule that captures arguments (TM_SM_CAPTURE): sampled,
 * always chosen; its own copy of the entry. */
static __attribute__((noinline)) struct tm_enter_ret tm_enter_capture(struct tm_tls *t,
								      const struct tm_slot *s,
								      uintptr_t *retp,
								      const struct tm_regs *regs)
{
	return tm_enter(t, s, retp, regs, TM_D_TIMED, 1);
}

/* Every entry but the commonest (tm_hook_enter): a thread not set up or
 * without its own slot, a decision to make or a sampled call, the hook
 * busy, another clock. */
static __attribute__((noinline)) struct tm_enter_ret tm_hook_enter_slow(const struct tm_slot *s,
									uintptr_t *retp,
									struct tm_regs *regs,
									uint32_t decision)
{
	struct tm_tls *t = &tm_tls;

	if (TM_UNLIKELY(t->state != TM_T_SLOT)) {
		if (t->state == TM_T_NEW)
			tm_thread_setup(t);
		if (t->state == TM_T_OFF && !tm_attach_revive(t))
			return (struct tm_enter_ret){s->target, 0};
	}
	if (TM_UNLIKELY(decision == TM_D_DECIDE)) {
		decision = tm_decide(t, s);
		if (decision == TM_D_DONE)
			return (struct tm_enter_ret){s->target, 0};
		if (decision == TM_D_CAPTURE)
			return tm_enter_capture(t, s, retp, regs);
	}
	return tm_enter(t, s, retp, regs, decision, 0);
}

/* The timed call's entry once the clock is read and busy is raised, when
 * the top frame is at or below this call's return address (frames a
 * longjmp abandoned, or a tail call) or the stack is full. */
static __attribute__((noinline)) struct tm_enter_ret
tm_enter_rest(struct tm_tls *t, const struct tm_slot *s, uintptr_t *retp, tm_ticks now)
{
	return tm_place(t, s, retp, now, 0, (struct tm_capv){0, 0});
}

/* A monitored call enters (tramp.S). The commonest case — a timed call
 * (mode 0) on a thread that owns its slot, the hook not busy, the TSC,
 * nothing abandoned above, room on the stack — is handled here with no
 * call, so it needs no register saved; everything else tail-calls the
 * general way. The same steps as tm_enter.
 *
 * That commonest case is also tramp.S's fast path (tm_enter_common), which
 * comes here only when tm_g.fast is 0 (TM_HOTPATH=c, another clock) or
 * for the other cases: this function is its reference, and
 * tests/e2e/hotpath_same.sh checks that both record the same. */
struct tm_enter_ret tm_hook_enter(const struct tm_slot *s, uintptr_t *retp, struct tm_regs *regs,
				  uint32_t decision)
{
	struct tm_tls *t = &tm_tls;
	if (TM_UNLIKELY(t->state != TM_T_SLOT || decision != TM_D_TIMED || t->busy ||
			tm_g.clock_kind != TM_CLOCK_TSC))
		return tm_hook_enter_slow(s, retp, regs, decision);
	tm_busy(t, 1);
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	tm_ticks now = ((uint64_t)hi << 32) | lo;
	uint32_t d = t->depth;
	if (TM_UNLIKELY((d && t->stack[d - 1].sp <= (uintptr_t)retp) || d >= t->cap))
		return tm_enter_rest(t, s, retp, now);
	return tm_push(t, s, retp, now, d, 0, (struct tm_capv){0, 0});
}

static __attribute__((noreturn)) void tm_die_empty_stack(void)
{
	/* Only reachable if the shadow stack was corrupted: there is no return
	 * address left to go back to. */
	__builtin_trap();
}

/* The status of a call that returned `v` under rule r; *err set on failure. */
static inline unsigned tm_judge(const struct tm_tls *t, const struct tm_rule *r, int64_t v,
				int32_t *err)
{
	if (!r->has_rule)
		return TM_ST_NORULE;
	if (tm_rule_ok(r, v))
		return TM_ST_OK;
	*err = r->err_src == TM_ERR_ERRNO    ? *t->errno_p
	       : r->err_src == TM_ERR_RET    ? (int32_t)v
	       : r->err_src == TM_ERR_NEGRET ? (int32_t)-v
					     : 0;
	return TM_ST_FAILED;
}

/* An untimed call of a sampled symbol that did not fail: counted in the
 * thread's counters, no record. */
static inline void tm_count_untimed(struct tm_tls *t, uint32_t sym, const struct tm_rule *r,
				    unsigned status, int64_t v)
{
	struct tm_cnt *c = tm_cnt_of(t, sym);
	tm_bump(&c->calls, 1);
	if (status == TM_ST_OK) {
		tm_bump(&c->ok, 1);
		if (r->bytes && v > 0 && (uint64_t)v <= TM_CALL_BYTES_MAX)
			tm_bump(&c->bytes, (uint64_t)v);
	}
}

/* Every case of a monitored call's return: timed or not, frames that a
 * longjmp abandoned, a fork child without a segment or returning from a
 * call its parent made. */
static __attribute__((noinline)) uintptr_t tm_exit_full(struct tm_tls *t, uint64_t rax,
							uintptr_t rsp, tm_ticks now)
{
	uint32_t d = t->depth;
	uintptr_t sp = rsp - 8; /* where the hijacked return address was */

	tm_busy(t, 1);
	if (TM_UNLIKELY(d && t->stack[d - 1].sp < sp))
		d = tm_retire(t, d, sp, now, 0);
	if (TM_UNLIKELY(d == 0))
		tm_die_empty_stack();
	struct tm_frame *f = &t->stack[d - 1];
	uintptr_t ret = f->ret;
	uint32_t sym = f->sym;
	tm_ticks start = f->start;
	uint32_t untimed = f->flags & TM_FR_UNTIMED;
	uint32_t captured = f->flags & TM_FR_ARG;
	struct tm_capv cap = captured ? t->args[d - 1] : (struct tm_capv){0, 0};
	if (TM_UNLIKELY(!untimed && !now))
		now = tm_now(); /* an untimed call above it was abandoned */
	uint32_t caller = d > 1 ? t->stack[d - 2].sym : TM_NO_SYM;
	uint32_t inherited = f->flags & TM_FR_INHERITED;
	d--;
	t->depth = d;
	atomic_store_explicit(t->live_depth, d, memory_order_release);

	/* a fork child without a segment; or, in a fork child, the return of
	 * a call its parent made (and records) */
	if (TM_UNLIKELY(t->state == TM_T_OFF || inherited)) {
		tm_busy(t, 0);
		return ret;
	}
	const struct tm_rule *r = &tm_rules[sym];
	int64_t v = tm_rule_value(r, rax);
	int32_t err = 0;
	unsigned status = tm_judge(t, r, v, &err);
	if (TM_UNLIKELY(untimed)) {
		if (status != TM_ST_FAILED && t->cnt) {
			tm_count_untimed(t, sym, r, status, v);
		} else {
			/* failures keep their error code as a record */
			tm_emit(t, sym, caller, 0, 0, status | TM_ST_UNTIMED, d, v, err);
		}
	} else if (captured) {
		uint64_t bytes = status == TM_ST_FAILED || r->bytes != TM_BYTES_ARG ? 0
				 : r->cap_ret ? tm_sat_mul(v > 0 ? (uint64_t)v : 0, cap.bytes)
					      : cap.bytes;
		tm_emit_arg(t, r, sym, caller, start, now - start, status, d, v, err, bytes,
			    cap.group);
	} else {
		tm_emit(t, sym, caller, start, now - start, status, d, v, err);
	}
	tm_busy(t, 0);
	return ret;
}

/* The return of a call whose frame f (the top one, at depth d) has flags:
 * an untimed call of a sampled symbol that succeeded is counted here (no
 * clock, no record); everything else goes the general way. t->cnt is set
 * only for a thread that owns its slot; a fork child's inherited frames
 * are untimed too, and go to tm_exit_full. */
static inline __attribute__((always_inline)) uintptr_t
tm_exit_flagged(struct tm_tls *t, uint32_t d, const struct tm_frame *f, uint64_t rax, uintptr_t rsp)
{
	if (f->flags == TM_FR_UNTIMED && f->sp == rsp - 8 && t->cnt) {
		uint32_t sym = f->sym;
		const struct tm_rule *r = &tm_rules[sym];
		int64_t v = tm_rule_value(r, rax);
		if (!r->has_rule || tm_rule_ok(r, v)) {
			uintptr_t ret = f->ret;
			tm_busy(t, 1);
			t->depth = d - 1;
			atomic_store_explicit(t->live_depth, d - 1, memory_order_release);
			tm_count_untimed(t, sym, r, r->has_rule ? TM_ST_OK : TM_ST_NORULE, v);
			tm_busy(t, 0);
			return ret;
		}
	}
	/* a call with its bytes (TM_FR_ARG, timed) goes the general way too;
	 * it reads the clock first */
	return tm_exit_full(t, rax, rsp, 0);
}

/* A monitored call returns (tramp.S tm_exit_tramp). The common cases —
 * the call on top of the shadow stack, this thread owning its slot — are
 * handled here, with no call, so no register is saved: a timed call (the
 * clock read first thing, one record, when the ring has room) and an
 * untimed call of a sampled symbol that succeeded (no clock, counted, not
 * recorded); everything else (frames a longjmp abandoned, a fork child
 * without a segment, a full ring, a call with its bytes, another clock)
 * tail-calls tm_exit_full. A signal handler's calls in between leave the
 * top frame as they found it, so it is read before the busy flag is
 * raised; the ring's room is looked at after it (a handler's records
 * move the head).
 *
 * The timed case is also tramp.S's fast path (tm_exit_tramp), in the same
 * order; it comes here only when tm_g.fast is 0 or the depth is 0, goes
 * to tm_hook_exit_flagged for a flagged frame and to tm_hook_exit_now
 * once it has read the clock. This function is its reference. */
uintptr_t tm_hook_exit(uint64_t rax, uintptr_t rsp)
{
	struct tm_tls *t = &tm_tls;
	uint32_t d = t->depth;
	if (TM_UNLIKELY(!d))
		return tm_exit_full(t, rax, rsp, 0);
	struct tm_frame *f = &t->stack[d - 1];
	if (TM_LIKELY(!f->flags)) {
		if (TM_UNLIKELY(tm_g.clock_kind != TM_CLOCK_TSC))
			return tm_exit_full(t, rax, rsp, 0); /* it reads the clock */
		uint32_t lo, hi;
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		tm_ticks now = ((uint64_t)hi << 32) | lo;
		if (TM_UNLIKELY(f->sp != rsp - 8 || t->state != TM_T_SLOT))
			return tm_exit_full(t, rax, rsp, now);
		/* busy first: from here no handler's call moves the head or
		 * touches this frame, and what is read is read when used */
		tm_busy(t, 1);
		uint64_t h = t->head;
		if (TM_UNLIKELY(h >= t->limit)) {
			tm_busy(t, 0);
			return tm_exit_full(t, rax, rsp, now); /* the ring's room, the fold */
		}
		/* the record's fields as soon as each is known, so that few
		 * values stay live (no register to save) */
		struct tm_record *rec = &t->ring[h & t->mask];
		uint32_t sym = f->sym, below = d - 1;
		rec->sym = (uint16_t)sym;
		rec->caller = (uint16_t)(below ? t->stack[below - 1].sym : TM_NO_SYM);
		tm_ticks start = f->start;
		rec->start = start;
		const struct tm_rule *r = &tm_rules[sym];
		int64_t v = tm_rule_value(r, rax);
		rec->value = v;
		int32_t err = 0;
		unsigned status = tm_judge(t, r, v, &err);
		rec->err = err;
		uint64_t dur = now - start;
		tm_rec_seal(t, rec, h,
			    (dur > TM_DUR_MASK ? TM_DUR_MASK : dur) | (uint64_t)status << 48 |
				    (uint64_t)(below > 255 ? 255 : below) << 56);
		uintptr_t ret = f->ret;
		t->depth = below;
		atomic_store_explicit(t->live_depth, below, memory_order_release);
		tm_head_advance(t, h + 1);
		tm_busy(t, 0);
		return ret;
	}
	return tm_exit_flagged(t, d, f, rax, rsp);
}

/* tramp.S's exit fast path found the top frame (f, at depth d) flagged:
 * what tm_hook_exit does with it, without finding it again. */
uintptr_t tm_hook_exit_flagged(uint64_t rax, uintptr_t rsp, const struct tm_frame *f, uint32_t d)
{
	return tm_exit_flagged(&tm_tls, d, f, rax, rsp);
}

/* tramp.S's exit fast path read the clock, then found a reason to stop
 * (the top frame not the one returning, a thread without its own slot, the
 * ring without room): what tm_hook_exit does in those cases, with that
 * reading. */
uintptr_t tm_hook_exit_now(uint64_t rax, uintptr_t rsp, tm_ticks now)
{
	return tm_exit_full(&tm_tls, rax, rsp, now);
}
