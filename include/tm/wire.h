/* SPDX-License-Identifier: MIT */
/* The shared-memory segment: the one contract between libtmshim (writer) and
 * tmcollect (reader). Depends on <stdint.h> and <stdatomic.h> only. */
#ifndef TM_WIRE_H
#define TM_WIRE_H

#include <stdatomic.h>
#include <stdint.h>

#define TM_MAGIC	0x0031474553304d54ULL /* "TM0SEG1\0" little-endian */
#define TM_WIRE_VERSION 5u

/* Hard upper bounds the reader enforces whatever the header says. */
#define TM_MAX_SYMS_LIMIT    4096u
#define TM_MAX_THREADS_LIMIT 4096u
#define TM_RING_LIMIT	     (1u << 24)
#define TM_STACK_LIMIT	     65536u
#define TM_NO_SYM	     0xffffu

typedef uint64_t tm_ticks; /* raw clock: TSC cycles or CLOCK_MONOTONIC ns */
typedef uint64_t tm_ns;

enum tm_clock_kind {
	TM_CLOCK_TSC = 1,  /* invariant TSC; reader converts with its own calibration */
	TM_CLOCK_MONO = 2, /* clock_gettime(CLOCK_MONOTONIC), ticks are ns */
};

enum tm_proc_state {
	TM_PROC_RUNNING = 1,
	TM_PROC_EXITED = 2, /* exit_code valid */
	TM_PROC_EXEC = 3,   /* about to exec: if the image is gone, it was replaced */
};

enum tm_status {
	TM_ST_OK = 0,
	TM_ST_FAILED = 1,
	TM_ST_NORULE = 2,    /* symbol has no success rule: neither ok nor failed */
	TM_ST_EXCEPTION = 3, /* a C++ exception left the call */
	TM_ST_UNWOUND = 4,   /* abandoned by longjmp or thread exit */
	TM_ST_ARG = 5,	     /* not a call: what the call record just before it took from
			      * its arguments: bytes in `value` (TM_RF_ARGBYTES), its
			      * group in `start` (TM_RF_GROUP_MASK); same sym */
	TM_ST_COUNT
};
/* Or'ed into a record's status: a call of a sampled symbol that was not
 * chosen for timing (its duration and start are 0), recorded because it
 * failed or was abandoned, so error types and counts stay exact. */
#define TM_ST_UNTIMED 0x80u

/* Why a call was not recorded as a ring record. Every output reports these. */
enum tm_loss {
	TM_LOSS_OVERFLOW = 0, /* ring full: folded into the accumulator (counts exact) */
	TM_LOSS_REENTRANT,    /* call made while the hook itself ran: passed through */
	TM_LOSS_DEPTH,	      /* shadow stack full: passed through */
	TM_LOSS_NOSLOT,	      /* no thread slot: shared accumulator (counts exact) */
	TM_LOSS_NOMEM,	      /* shared memory could not be allocated: call not counted */
	TM_LOSS_COUNT
};

enum tm_slot_state {
	TM_THR_FREE = 0,
	TM_THR_ACTIVE = 1,  /* owned by a live thread */
	TM_THR_RETIRED = 2, /* thread gone; the collector drains and frees it */
};

/* The most calls the shim's floor probe makes, in the thread that starts
 * it: a thread first seen with no more records than this may have made no
 * monitored call yet. */
#define TM_FLOOR_CALLS 256

/* The most bytes one call moves. A rule's bytes (a return value, or what
 * the arguments say) above this are no transfer's size and count none:
 * in the shim's accumulators and counters, and in the collector. */
#define TM_CALL_BYTES_MAX (1ull << 48)
static inline uint64_t tm_call_bytes(uint64_t v)
{
	return v <= TM_CALL_BYTES_MAX ? v : 0;
}

enum tm_rule_flags {
	TM_RF_HAS_RULE = 1u << 0,  /* success rule exists */
	TM_RF_BYTES = 1u << 1,	   /* ok return value counts bytes */
	TM_RF_FOUND = 1u << 2,	   /* resolved in some loaded object */
	TM_RF_PATCHED = 1u << 3,   /* at least one GOT slot redirected */
	TM_RF_GLOB = 1u << 4,	   /* stands for a glob pattern, FOUND once it matched */
	TM_RF_SAMPLED = 1u << 5,   /* 1 call in `sample` timed; every call counted */
	TM_RF_COUNT = 1u << 6,	   /* count only: never timed, never judged */
	TM_RF_INTERNAL = 1u << 7,  /* the shim's own probe ("tm.floor"): an empty
				    * function called through the hooks at start,
				    * whose durations are the shim's floor; not a
				    * symbol to report */
	TM_RF_CLAIMED = 1u << 8,   /* its pattern's functions were all taken by an
				    * earlier pattern: counted under claimed_by */
	TM_RF_ARGBYTES = 1u << 9,  /* with TM_RF_BYTES: the bytes come from arguments
				    * captured at entry; the record of a call that
				    * did not fail (ok, not judged) may be
				    * followed by a TM_ST_ARG record carrying them */
	TM_RF_FLOW_IN = 1u << 10,  /* its bytes are data read (bytes_in) */
	TM_RF_FLOW_OUT = 1u << 11, /* its bytes are data written (bytes_out) */
	/* bits 12-14: the argument (1..6) whose value labels each call
	 * ("group"); every recorded call's record is then followed by a
	 * TM_ST_ARG record carrying it in `start` */
	TM_RF_GROUP_MASK = 7u << 12,
};
#define TM_RF_GROUP_SHIFT 12

enum tm_seg_flags {
	TM_SEG_COUNTERS = 1u << 0, /* every claimed thread slot has cnt[] backed */
};

/* How a symbol's error codes are named. A reader meets values it does not
 * know (a newer shim): it names those codes as plain numbers. Values are
 * never reused; new ones are added before TM_CODES_COUNT. */
enum tm_code_domain {
	TM_CODES_NONE = 0,
	TM_CODES_ERRNO = 1,
	TM_CODES_SQLITE = 2,
	TM_CODES_NUMBER = 3,
	TM_CODES_ZLIB = 4,  /* Z_OK, Z_STREAM_END, Z_DATA_ERROR, ... */
	TM_CODES_CURL = 5,  /* CURLcode: CURLE_COULDNT_CONNECT, ... */
	TM_CODES_CURLM = 6, /* CURLMcode: CURLM_BAD_HANDLE, ... */
	TM_CODES_EAI = 7,   /* getaddrinfo/getnameinfo: EAI_NONAME, ... (glibc values) */
	TM_CODES_COUNT
};

/* One completed call: 32 bytes, two per cache line. dur_meta is the
 * record's last store (release): a reader that sees its lap bit right sees
 * the whole record (below, "Publishing"). */
struct tm_record {
	tm_ticks start;	   /* clock ticks at entry */
	uint64_t dur_meta; /* bits 0-47 duration ticks (saturating), 48-53 and 55 status,
			    * 54 the lap bit, 56-63 depth */
	int64_t value;	   /* return value, sign-extended per the rule's type */
	int32_t err;	   /* error code per the rule (errno, ret or -ret); 0 when ok */
	uint16_t sym;	   /* symbol id */
	uint16_t caller;   /* innermost enclosing monitored symbol, TM_NO_SYM if none */
};
_Static_assert(sizeof(struct tm_record) == 32, "wire ABI: record");

#define TM_DUR_MASK	 ((1ull << 48) - 1)
#define TM_REC_DUR(r)	 ((r)->dur_meta & TM_DUR_MASK)
#define TM_REC_STATUS(r) ((unsigned)(((r)->dur_meta >> 48) & 0x3f))
#define TM_REC_TIMED(r)	 (!(((r)->dur_meta >> 48) & TM_ST_UNTIMED))
#define TM_REC_DEPTH(r)	 ((unsigned)((r)->dur_meta >> 56))

/* Publishing. The producer stores its head (the next free position) only
 * when it becomes a multiple of TM_HEAD_EVERY, and after a call's record
 * that carries a TM_ST_ARG record: a reader polling the head then sees it
 * change once per TM_HEAD_EVERY records, not once per call. Records past
 * the published head are still the reader's to take: the record at ring
 * position pos (free-running) carries in bit 54 of dur_meta the lap bit
 * tm_rec_lap(pos, cap), set on even laps (pos / cap even) and clear on odd
 * ones, so a slot still holding the previous lap's record (or never written:
 * zero) does not match. The producer writes dur_meta last, so a reader
 * that loads it (acquire) and finds the lap bit of position pos may read
 * the rest of the record; it stops at the first position that does not
 * match, and before a record whose symbol may be followed by a TM_ST_ARG
 * record (TM_RF_ARGBYTES, TM_RF_GROUP_MASK): such a pair is published by
 * the head. A slot's ring reads as zeros when it is claimed again (the
 * collector discards the pages, or clears them, before freeing it).
 *
 * A ring is backed by memory lazily, TM_RING_CHUNK records at a time, the
 * first time its head reaches each chunk; reading a page never backed can
 * fault (a full /dev/shm). So in the first lap a reader never probes a
 * chunk's first slot past the head, and the producer publishes its head
 * right after writing that slot: every slot a reader probes lies in a
 * chunk it knows is backed (the one holding the record before it). */
#define TM_HEAD_EVERY 16u
#define TM_RING_CHUNK 1024u /* records backed at a time (32 KiB) */
#define TM_REC_LAP    (1ull << 54)
static inline uint64_t tm_rec_lap(uint64_t pos, uint64_t cap)
{
	return (pos & cap) ? 0 : TM_REC_LAP;
}
/* Does the ring slot of position pos, past the published head, hold that
 * position's record? (An acquire load of its last store: if so, the rest
 * may be read.) 0 without a look for a first-lap chunk's first slot. */
static inline int tm_rec_at(const struct tm_record *ring, uint64_t pos, uint64_t cap)
{
	if (pos < cap && !(pos & (TM_RING_CHUNK - 1)))
		return 0;
	uint64_t meta = __atomic_load_n(&ring[pos & (cap - 1)].dur_meta, __ATOMIC_ACQUIRE);
	return (meta & TM_REC_LAP) == tm_rec_lap(pos, cap);
}
/* Where a ring's records end, for a reader that takes every record there
 * is (nothing more is being written, or a half-written pair does not
 * matter to it): the published head, not behind the tail, and the slots
 * past it that hold their position's record. A head more than a ring
 * ahead of the tail is returned as it is. */
static inline uint64_t tm_ring_end(const struct tm_record *ring, uint64_t cap, uint64_t tail,
				   uint64_t head)
{
	if ((int64_t)(head - tail) < 0)
		head = tail;
	while (head - tail < cap && tm_rec_at(ring, head, cap))
		head++;
	return head;
}

#define TM_ACC_ERRS    4
#define TM_ACC_BUCKETS 48 /* log2 buckets of duration ticks */

/* Exact per-symbol totals for calls that did not fit the ring. Written by
 * one thread (plain relaxed stores, monotonic) — or, for the shared slot of
 * threads without a slot, with atomic read-modify-writes. The reader keeps
 * the last values it saw and folds the differences. */
struct tm_acc {
	_Atomic uint64_t calls;
	_Atomic uint64_t ok;
	_Atomic uint64_t failed;
	_Atomic uint64_t abnormal; /* exception or unwound */
	_Atomic uint64_t sum;	   /* duration ticks */
	_Atomic uint64_t min;	   /* shortest duration + 1; 0 until the first call */
	_Atomic uint64_t max;
	_Atomic uint64_t bytes;
	struct {
		_Atomic int32_t code; /* 0: entry unused */
		_Atomic uint32_t count;
	} errs[TM_ACC_ERRS];
	_Atomic uint64_t errs_other; /* failures whose code did not fit errs[] */
	_Atomic uint64_t untimed;    /* of `calls`, those without a duration (sampled out) */
	uint64_t pad[2];
	_Atomic uint32_t hist[TM_ACC_BUCKETS]; /* [k]: dur in [2^k, 2^(k+1)) ticks, [0] also 0 */
};
_Static_assert(sizeof(struct tm_acc) == 320, "wire ABI: acc");

/* Calls of a sampled or count-only symbol that need no record: counted by
 * the owning thread with single-instruction increments (never an atomic
 * read-modify-write: no other thread writes here), folded by the collector
 * like an accumulator. `left` is the shim's sampling countdown, kept here
 * so the trampoline reaches it with one register; a foreign value in it
 * can only change which calls are timed. */
struct tm_cnt {
	_Atomic uint64_t calls; /* untimed calls not sent as records */
	_Atomic uint64_t ok;	/* of those, judged successful */
	_Atomic uint64_t bytes; /* bytes of those (rules with "bytes") */
	int64_t left;		/* shim-private: calls until the next timed one */
};
_Static_assert(sizeof(struct tm_cnt) == 32, "wire ABI: cnt");

/* An open call, as the collector sees it ("running now", "unfinished"):
 * entries [0, live_depth) of a thread's live[] are its open monitored
 * calls, outermost first. Written by the shim, never read back by it: its
 * own shadow stack (return addresses, stack pointers) is in private memory,
 * so nothing written here can change what the monitored program does. */
struct tm_live {
	tm_ticks start; /* 0 for an untimed call of a sampled symbol */
	uint32_t sym;
	uint32_t reserved0; /* never written by the shim: 0 in a fresh segment */
	uint64_t reserved[2];
};
_Static_assert(sizeof(struct tm_live) == 32, "wire ABI: live");

/* Per-thread slot header; followed in the segment by live[stack_cap],
 * acc_used[max_syms] (uint8), acc[max_syms], seen[max_syms], cnt[max_syms],
 * cnt_seen[max_syms], ring[ring_cap]. seen[] and cnt_seen[] are written only
 * by the collector: the values it has already folded, so a later collector
 * never counts them twice. cnt[] is backed only when the header has
 * TM_SEG_COUNTERS. */
struct tm_thread {
	_Atomic uint32_t state; /* enum tm_slot_state */
	_Atomic uint32_t gen;	/* bumped on every claim */
	_Atomic int32_t tid;
	uint32_t pad0;
	uint64_t pad1[6];
	/* Lines are grouped in 128-byte pairs (a CPU may fetch a line's pair
	 * with it): a reader polling the head, or writing the tail, must not
	 * pull in a line the thread writes on every call. */
	/* the head, with the rarely written line above: written by the owning
	 * thread every TM_HEAD_EVERY records; what a polling reader reads */
	_Alignas(64) _Atomic uint64_t head;
	/* consumer pair: written only by the collector */
	_Alignas(128) _Atomic uint64_t tail;
	/* written by the owning thread on every call or on overflow; read
	 * only by a napping collector */
	_Alignas(128) _Atomic uint32_t live_depth;
	uint32_t pad2;
	_Atomic uint64_t loss[TM_LOSS_COUNT];
	_Atomic uint64_t acc_epoch; /* bumped whenever acc[] changes */
	uint64_t pad3[8];
};
_Static_assert(sizeof(struct tm_thread) == 384, "wire ABI: thread");

struct tm_wire_sym {
	char name[200];	     /* display name, NUL-terminated */
	char object[36];     /* basename of the defining object, "" if not found */
	uint32_t sample;     /* TM_RF_SAMPLED: one call in `sample` is timed */
	uint32_t flags;	     /* enum tm_rule_flags */
	uint16_t codes;	     /* enum tm_code_domain */
	uint16_t claimed_by; /* TM_RF_CLAIMED: 1 + the symbol (id) whose calls they are */
	uint64_t slow_ns;    /* 0: none */
};
_Static_assert(sizeof(struct tm_wire_sym) == 256, "wire ABI: sym");

struct tm_seg_header {
	uint64_t magic;
	uint32_t version;
	uint32_t header_size; /* sizeof(struct tm_seg_header) */
	uint32_t record_size; /* sizeof(struct tm_record) */
	uint32_t ring_cap;    /* records per thread ring, power of two */
	uint32_t max_threads;
	uint32_t max_syms;
	uint32_t stack_cap;   /* live[] entries per thread */
	uint32_t flags;	      /* enum tm_seg_flags */
	uint64_t thread_size; /* bytes per thread slot, multiple of 4096 */
	uint64_t syms_off;    /* struct tm_wire_sym[max_syms] */
	uint64_t threads_off; /* max_threads + 1 thread slots; the last one is the
			       * shared slot of threads that found no free slot:
			       * its accumulators are updated with atomic RMW */
	uint64_t total_size;

	/* identity, written before the segment is published */
	int32_t pid;
	int32_t ppid;
	uint64_t starttime; /* /proc/self/stat field 22, clock ticks since boot */
	uint64_t created_realtime_ns;
	char exe[256];
	char argv[512]; /* NUL-separated, truncated */
	uint32_t argv_len;

	/* clock */
	uint32_t clock_kind;  /* enum tm_clock_kind */
	tm_ticks clock_t0;    /* ticks at the anchor */
	tm_ns clock_mono0;    /* CLOCK_MONOTONIC ns at the anchor */
	tm_ns clock_real0;    /* CLOCK_REALTIME ns at the anchor */
	uint64_t tsc_hz_hint; /* shim's own estimate, 0 if none */

	/* state */
	_Atomic uint32_t state; /* enum tm_proc_state */
	_Atomic int32_t exit_code;
	_Atomic uint32_t nsyms;	      /* published symbol entries (release) */
	_Atomic uint32_t threads_hwm; /* slots ever claimed: [0, hwm) */
	_Atomic uint32_t slot_misses; /* bumped when a thread found no free slot */
	uint32_t pad2;
	_Atomic uint64_t loss[TM_LOSS_COUNT]; /* process-wide, rare paths */
	uint64_t pad1[7];
	/* identity: the path the program was started by, as exec was given it
	 * (AT_EXECFN; may be relative or a symlink), "" if unknown; `exe` is
	 * the resolved image */
	char exe_started[256];
};
_Static_assert(sizeof(struct tm_seg_header) == 1280, "wire ABI: header");

static inline uint64_t tm_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Offsets inside one thread slot; the same arithmetic on both sides. */
static inline uint64_t tm_thr_live_off(void)
{
	return sizeof(struct tm_thread);
}
static inline uint64_t tm_thr_used_off(uint32_t stack_cap)
{
	return tm_thr_live_off() + (uint64_t)stack_cap * sizeof(struct tm_live);
}
static inline uint64_t tm_thr_acc_off(uint32_t stack_cap, uint32_t max_syms)
{
	return tm_align_up(tm_thr_used_off(stack_cap) + max_syms, 64);
}
static inline uint64_t tm_thr_seen_off(uint32_t stack_cap, uint32_t max_syms)
{
	return tm_thr_acc_off(stack_cap, max_syms) + (uint64_t)max_syms * sizeof(struct tm_acc);
}
static inline uint64_t tm_thr_cnt_off(uint32_t stack_cap, uint32_t max_syms)
{
	return tm_thr_seen_off(stack_cap, max_syms) + (uint64_t)max_syms * sizeof(struct tm_acc);
}
static inline uint64_t tm_thr_cseen_off(uint32_t stack_cap, uint32_t max_syms)
{
	return tm_thr_cnt_off(stack_cap, max_syms) + (uint64_t)max_syms * sizeof(struct tm_cnt);
}
static inline uint64_t tm_thr_ring_off(uint32_t stack_cap, uint32_t max_syms)
{
	return tm_align_up(tm_thr_cseen_off(stack_cap, max_syms) +
				   (uint64_t)max_syms * sizeof(struct tm_cnt),
			   4096);
}
static inline uint64_t tm_thr_size(uint32_t stack_cap, uint32_t max_syms, uint32_t ring_cap)
{
	return tm_align_up(tm_thr_ring_off(stack_cap, max_syms) +
				   (uint64_t)ring_cap * sizeof(struct tm_record),
			   4096);
}

/* Bucket of a duration in the accumulator histogram: floor(log2(d)), 0 for 0. */
static inline unsigned tm_acc_bucket(uint64_t d)
{
	unsigned b = d ? 63u - (unsigned)__builtin_clzll(d) : 0u;
	return b < TM_ACC_BUCKETS ? b : TM_ACC_BUCKETS - 1;
}

#endif
