/* SPDX-License-Identifier: MIT */
/* libtmshim internals: the one global state struct, the per-thread TLS
 * struct, and the interfaces between the shim's modules. */
#ifndef TM_SHIM_H
#define TM_SHIM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "rule.h"
#include "tm/wire.h"

#define TM_HIDDEN      __attribute__((visibility("hidden")))
#define TM_LIKELY(x)   __builtin_expect(!!(x), 1)
#define TM_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define TM_NSTUBS	4096 /* trampolines assembled in tramp.S */
#define TM_STUB_SIZE	16
#define TM_SLOT_SIZE	32 /* tramp.S addresses tm_slots[i] as tm_slots + 32 * i */
#define TM_MAX_PATTERNS 256
#define TM_NOSLOT_STACK 16  /* shadow stack of a thread without a slot (TLS) */
#define TM_LINE_MAX	512 /* one log line, newline included */
#define TM_HELD_LINES	24  /* startup lines held for tm_log_release */

/* One trampoline: calls through it are calls of `sym` whose real code is
 * `target`. A symbol may own several slots (symbol versions, per-object
 * bindings); they all feed the same statistics. tramp.S reads target,
 * cnt_off and mode at fixed offsets. */
struct tm_slot {
	uintptr_t target; /* 0 */
	uint64_t cnt_off; /* 8: sym * sizeof(struct tm_cnt), for tramp.S */
	uint32_t sym;	  /* 16 */
	uint32_t mode;	  /* 20: TM_SM_* (0: every call timed) */
	uint64_t pad;
};

/* Slot modes (tramp.S tests these bits; keep arch.h in step). */
#define TM_SM_COUNT  1u /* count only: no hook, no hijack */
#define TM_SM_SAMPLE 2u /* 1 in N timed, the rest counted */
#define TM_SM_HIJACK 4u /* sampled with a success rule: untimed calls are judged */
/* TM_SM_OFF 8u: attach.h */
/* With TM_SM_SAMPLE, whose countdown never runs again (the shim keeps it
 * at 0, never re-armed): every call is "chosen" and the hook captures the
 * rule's arguments. tramp.S needs no test of its own for it. */
#define TM_SM_CAPTURE 16u

/* What tramp.S decided before calling tm_hook_enter (keep arch.h in step). */
enum tm_decision {
	TM_D_TIMED = 0,	  /* an ordinary timed call */
	TM_D_SAMPLED = 1, /* a sampled symbol's countdown ran out: time it, re-arm */
	TM_D_UNTIMED = 2, /* sampled, not timed, but judged: hijack without clock */
	TM_D_DECIDE = 3,  /* sampled or count-only, thread not attached: decide in C */
	TM_D_DONE = 4,	  /* C only: counted already, pass the call through */
	TM_D_CAPTURE = 5, /* C only: timed, the rule's arguments captured (TM_SM_CAPTURE) */
};

/* One frame of a thread's shadow stack: an open monitored call. In memory
 * only this process can write (a private mapping, or TLS): everything the
 * shim acts on — the return address it jumps back to, the stack slot it
 * compares and restores, the symbol it indexes with — is here, never in the
 * segment. start and sym sit where struct tm_live has them, so that a
 * thread without a mirror in the segment can mirror onto its own frames. */
struct tm_frame {
	tm_ticks start; /* 0 for an untimed call of a sampled symbol */
	uint32_t sym;
	uint32_t flags; /* TM_FR_* */
	uintptr_t ret;	/* the caller's return address */
	uintptr_t sp;	/* where that return address lives */
};
_Static_assert(sizeof(struct tm_frame) == sizeof(struct tm_live) &&
		       offsetof(struct tm_frame, start) == offsetof(struct tm_live, start) &&
		       offsetof(struct tm_frame, sym) == offsetof(struct tm_live, sym),
	       "tm_frame: the mirror's fields at the same offsets");

/* Shadow-stack frame flags (struct tm_frame.flags). */
#define TM_FR_UNTIMED	1u
#define TM_FR_INHERITED 2u /* fork child: a call of the parent's; returns unrecorded */
#define TM_FR_ARG	4u /* timed, the rule's arguments captured in args[depth] */

/* The segment's live[] (struct tm_live) as the shim writes it — it never
 * reads it. may_alias: a thread without a slot of its own points it at its
 * own frames. */
typedef struct __attribute__((may_alias)) tm_mirror {
	tm_ticks start;
	uint32_t sym;
	uint32_t reserved0;
	uint64_t reserved[2];
} tm_mirror;
_Static_assert(sizeof(tm_mirror) == sizeof(struct tm_live) &&
		       offsetof(tm_mirror, start) == offsetof(struct tm_live, start) &&
		       offsetof(tm_mirror, sym) == offsetof(struct tm_live, sym),
	       "tm_mirror is struct tm_live");

struct tm_pattern {
	char object[64]; /* "" or a glob on the defining object's basename */
	char name[200];	 /* exact name or glob */
	uint8_t glob;
	uint32_t hold;	  /* glob: 1 + the symbol that reports it until it matches */
	uint32_t own;	  /* exact: 1 + the symbol it reports under */
	uint8_t cxx;	  /* written as C++ ("ns::f", "f(int)"): matched demangled */
	uint8_t has_rule; /* TM_CONFIG gave fields below ("" = not given) */
	char type[16];
	char success[128]; /* "-": explicitly no rule */
	char error[8];
	char codes[16];
	char bytes[32];
	char flow[4];
	char group[12];
	char display[200];
	uint64_t slow_ns;
	uint32_t sample;    /* > 1: time one call in `sample` (TM_SYMBOLS name/N, "sample") */
	uint8_t count_only; /* TM_SYMBOLS name/count, "count_only": true */
	uint8_t claim_said; /* the line about an earlier pattern taking its functions */
};

struct tm_symdef {
	char name[200];
	char object[36];     /* basename of the defining object */
	uint32_t pattern;    /* index of the pattern that selected it */
	uint32_t flags;	     /* TM_RF_FOUND, TM_RF_PATCHED, TM_RF_CLAIMED */
	uint32_t claimed_by; /* TM_RF_CLAIMED: 1 + the symbol its calls are counted under */
};

/* Global state: written during setup (constructor, dlopen, fork child),
 * read-only on the hot path. */
struct tm_state {
	int active;  /* hooks installed */
	int nlogged; /* lines written by tm_log */
	/* 1: tramp.S takes its own fast path for timed calls (the TSC clock,
	 * and TM_HOTPATH is not "c"); 0: every call goes to the C hooks, the
	 * reference the fast path is tested against. Set once at setup. */
	uint8_t fast;
	char log_path[4096]; /* TM_LOG, absolute, opened per line; "": stderr */
	/* Lines about single configured symbols are capped (TM_ITEM_LINES);
	 * the others are counted and said in one line. */
	uint32_t item_lines, items_hidden, loaded;
	uint32_t over_patterns; /* patterns past TM_MAX_PATTERNS, ignored */
	char over_first[48];	/* the first of them, for the one line about them */
	char refused[256];	/* configured names refused, said in one line */
	char dir[256];
	char session[65];
	char seg_path[384];
	struct tm_seg_header *seg;
	/* What is mapped at seg: the header and the symbol table. Thread slots
	 * are mapped one by one, the first time one is claimed (slot[]); the
	 * file keeps its full sparse size for the collector. */
	uint64_t seg_size;
	uint64_t seg_dev, seg_ino; /* the file, to reopen it for a slot's mapping */
	/* The segment's geometry, kept here: the header is writable by any
	 * process of the user, so the shim never computes an address from it. */
	uint64_t syms_off, threads_off, thread_size;
	int32_t seg_pid;    /* the process that created g->seg */
	uint32_t nsyms_pub; /* symbol entries published: the header's nsyms */
	/* Private view of the segment ([max_threads + 1] slot bytes, then
	 * [(max_threads + 1) * max_syms] accumulator bytes): 1 once this
	 * process has backed that slot's header, shadow-stack mirror and
	 * counters, or that accumulator and its seen copy, with memory. Then
	 * [max_threads + 1] slot addresses: NULL until this process maps it. */
	_Atomic uint8_t *view;
	struct tm_thread *_Atomic *slot;
	uint64_t view_size;
	/* Private shadow stacks ("pool"): pool_n owner words ((gen << 32) |
	 * tid; tid 0: free), then pool_n stack addresses. A thread takes one
	 * on its first call, and maps the stack (pool_stride bytes) if it was
	 * never mapped; a stack whose owner has exited is taken over by the
	 * next thread that needs one. */
	char *pool;
	uint64_t pool_size, pool_stride;
	uint32_t pool_n;
	uint32_t ring_cap, max_threads, max_syms, stack_cap;
	uint32_t clock_kind;
	uint32_t nslots, nsyms, npatterns;
	uint32_t syms_backed; /* entries [0, syms_backed) of the segment's table have memory */
	uint32_t counters;    /* some pattern is sampled or count-only: TM_SEG_COUNTERS */
	uintptr_t self_base;  /* load address of libtmshim itself */
	void *main_handle;    /* dlopen(NULL): the global scope, for lookups */
	uint32_t ncxx;	      /* patterns written as C++ */
	char *(*demangle)(const char *, char *, size_t *, int *); /* __cxa_demangle */
	struct tm_pattern patterns[TM_MAX_PATTERNS];
	struct tm_symdef *syms; /* [max_syms] */
	/* While the configuration is read, lines are held here; then each is
	 * said once per session (tm_log_release). Startup only. */
	uint32_t hold, nheld;
	char held[TM_HELD_LINES][TM_LINE_MAX];
};

/* Per-thread state, initial-exec TLS (see thread.c for why it is small).
 * Pointers into the segment are only ever written through (and the ring's
 * tail read, bounded); every index and address the shim acts on is here or
 * in the private stack `stack` points to. */
/* What a call of a rule that reads arguments took at entry. */
struct tm_capv {
	uint64_t bytes; /* the arguments' product (TM_BYTES_ARG) */
	uint64_t group; /* the group argument's value */
};

struct tm_tls {
	/* first: tramp.S reads it at offset 0. This thread's cnt[] when it owns
	 * a slot in a segment with TM_SEG_COUNTERS, else NULL (C decides). */
	struct tm_cnt *cnt;
	struct tm_thread *thr;	      /* segment slot (the shared slot for TM_T_SHARED) */
	_Atomic uint32_t *live_depth; /* thr->live_depth, or nsdepth when slotless */
	struct tm_frame *stack;	      /* private shadow stack: a pool stack or nsstack */
	tm_mirror *live;	      /* thr's live[] (write-only), or `stack` itself */
	struct tm_record *ring;
	struct tm_acc *acc;	   /* this thread's accumulators, or the shared ones */
	struct tm_acc *seen;	   /* the collector's copies (populated with acc) */
	_Atomic uint8_t *acc_used; /* the segment's flags for the collector (write-only) */
	_Atomic uint8_t *ready;	   /* tm_g.view: which of acc[] this process has backed */
	uint64_t head;		   /* next record index */
	uint64_t limit;		   /* head may advance freely below this */
	uint64_t tail_cache, mask, ring_cap;
	uint64_t ring_ready; /* records [0, ring_ready) are backed by memory */
	uint32_t nomem;	     /* shared memory ran out: stop trying */
	uint32_t exc;	     /* a C++ exception is being unwound on this thread */
	uint32_t depth, cap;
	/* tramp.S tests state and busy with two 4-byte loads, never one
	 * 8-byte load: busy was just written by a 4-byte store, and a wider
	 * load cannot be forwarded from it */
	uint32_t state; /* enum tm_tls_state */
	uint32_t busy;	/* the hook is running on this thread: nested calls pass through */
	int *errno_p;
	uint64_t lap; /* tm_rec_lap() of every position in [head, limit): the
		       * limit never crosses the end of a lap (tm_ring_room) */
	uint64_t rng; /* sampling gaps: xorshift state */
	_Atomic uint32_t nsdepth;
	uint32_t pool; /* 1 + the pool stack this thread owns, 0: none */
	struct tm_frame nsstack[TM_NOSLOT_STACK];
	/* [depth]: what the frame's call captured at entry (TM_FR_ARG); the
	 * pool stack's are right after its frames, nsstack's here */
	struct tm_capv *args;
	struct tm_capv nsargs[TM_NOSLOT_STACK];
};

enum tm_tls_state {
	TM_T_NEW = 0, /* first call on this thread: set up */
	TM_T_SLOT,    /* owns a slot in the segment */
	TM_T_SHARED,  /* no slot free: shared accumulators, atomic RMW */
	TM_T_OFF,     /* nothing to write to: pass every call through */
};

extern struct tm_state tm_g TM_HIDDEN;
extern struct tm_slot tm_slots[TM_NSTUBS] TM_HIDDEN;
extern struct tm_rule *tm_rules TM_HIDDEN; /* [max_syms], indexed by symbol id */
extern __thread struct tm_tls tm_tls __attribute__((tls_model("initial-exec"))) TM_HIDDEN;

/* A slot's mode under rule r (tramp.S reads it). */
static inline uint32_t tm_slot_mode(const struct tm_rule *r)
{
	return r->count_only	     ? TM_SM_COUNT
	       : r->sample > 1	     ? TM_SM_SAMPLE | (r->has_rule ? TM_SM_HIJACK : 0)
	       : tm_rule_captures(r) ? TM_SM_SAMPLE | TM_SM_CAPTURE
				     : 0;
}

/* tramp.S */
extern char tm_stubs[] TM_HIDDEN;
extern char tm_stubs_end[] TM_HIDDEN;
void tm_exit_tramp(void) TM_HIDDEN;

/* hook.c: hot path, compiled -mgeneral-regs-only */
struct tm_regs;
/* target: where to go; hijack: 1 if the call was recorded (tramp.S then
 * calls the target so that it returns into tm_exit_tramp), 0 to jump. */
struct tm_enter_ret {
	uintptr_t target;
	uintptr_t hijack;
};
struct tm_enter_ret tm_hook_enter(const struct tm_slot *s, uintptr_t *retp, struct tm_regs *regs,
				  uint32_t decision) TM_HIDDEN;
uintptr_t tm_hook_exit(uint64_t rax, uintptr_t rsp) TM_HIDDEN;
/* tramp.S's exit fast path gave up after reading the clock (`now`): the
 * general exit, with that reading (an overflowed call reads it once). */
uintptr_t tm_hook_exit_now(uint64_t rax, uintptr_t rsp, tm_ticks now) TM_HIDDEN;
/* ... found the top frame f (at depth d) flagged: tm_hook_exit's case of it. */
uintptr_t tm_hook_exit_flagged(uint64_t rax, uintptr_t rsp, const struct tm_frame *f,
			       uint32_t d) TM_HIDDEN;
int tm_thread_setup(struct tm_tls *t) TM_HIDDEN;
/* Backs [addr, addr+len) with memory now (MADV_POPULATE_WRITE): 0, or -1
 * when the file system is full. Never raises SIGBUS. Raw syscall: safe on
 * the hot path's general-registers-only code. */
int tm_populate(void *addr, uint64_t len) TM_HIDDEN;
/* Field 22 of /proc/PID/stat (0: this process): start time in clock ticks
 * since boot, which with the pid names a process across pid reuse; 0 if
 * unreadable. */
uint64_t tm_starttime_of(long pid) TM_HIDDEN;
/* TM_RING_CHUNK (wire.h): records populated at a time */
/* Maps len bytes read-write: of file fd at off (MAP_SHARED), or private
 * anonymous memory (fd -1, MAP_NORESERVE). Never locked, even under
 * mlockall(MCL_FUTURE): the shim's memory is not the program's to pin, nor
 * to count against its RLIMIT_MEMLOCK. NULL on failure. Raw syscalls. */
void *tm_map(int fd, uint64_t off, uint64_t len) TM_HIDDEN;
void tm_unmap(void *addr, uint64_t len) TM_HIDDEN;
tm_ticks tm_clock_mono(void) TM_HIDDEN;

/* clock.c */
int tm_clock_init(void) TM_HIDDEN; /* returns enum tm_clock_kind */

/* log.c: signal-safe, errno-preserving */
void tm_log(const char *fmt, ...) TM_HIDDEN __attribute__((format(printf, 1, 2)));
void tm_vlog(const char *fmt, va_list ap) TM_HIDDEN __attribute__((format(printf, 1, 0)));
int tm_log_open(struct tm_state *g, const char *path) TM_HIDDEN; /* 0, or -1 with errno */
/* Says the lines held since g->hold was set, each once per session: a line
 * another process of the session already said (and whose first process
 * still runs) is left out. Startup only: a few file operations per line. */
void tm_log_release(struct tm_state *g) TM_HIDDEN;

/* config.c */
int tm_config_load(struct tm_state *g) TM_HIDDEN; /* 0: monitor; -1: stay dormant */
int tm_config_match(const struct tm_state *g, const char *name) TM_HIDDEN; /* pattern idx or -1 */
/* The exact pattern `name` is the large-file twin of (open64 <-> open). */
int tm_config_match_lfs(const struct tm_state *g, const char *name) TM_HIDDEN;
/* C++ patterns against a demangled name ("ns::S::get(int)"), with or
 * without its parameter list. Pattern index or -1. */
int tm_config_match_cxx(const struct tm_state *g, const char *demangled) TM_HIDDEN;
int tm_config_refused(const char *name) TM_HIDDEN;
/* Does pattern `pat` match a relocation named `name` (demangled `dem`, or
 * NULL) defined in object `defobj` (a basename)? */
int tm_config_matches(const struct tm_state *g, int pat, const char *name, const char *dem,
		      const char *defobj) TM_HIDDEN;
int tm_config_rule(struct tm_state *g, const char *name, int pat, struct tm_rule *out) TM_HIDDEN;
int tm_config_json(struct tm_state *g, const char *path) TM_HIDDEN;
int tm_pattern_add(struct tm_state *g, const char *spec, const char *origin) TM_HIDDEN;
/* A line about one configured symbol: the first TM_ITEM_LINES are said,
 * the others counted (tm_config_load says how many in one line). */
void tm_config_item(struct tm_state *g, const char *fmt, ...) TM_HIDDEN
	__attribute__((format(printf, 2, 3)));
#define TM_ITEM_LINES	 10
#define TM_CONFIG_MAX_MB 1 /* TM_CONFIG files above this many MiB are refused */

/* segment.c */
int tm_seg_create(struct tm_state *g) TM_HIDDEN;
void tm_seg_publish_sym(struct tm_state *g, uint32_t id) TM_HIDDEN;
struct tm_thread *tm_seg_thread(const struct tm_state *g, uint32_t i) TM_HIDDEN;
struct tm_thread *tm_seg_claim(struct tm_state *g, int32_t tid, uint32_t *idx) TM_HIDDEN;
int tm_populate_cnt(const struct tm_state *g, struct tm_thread *thr) TM_HIDDEN;
void tm_seg_mark_exit(struct tm_seg_header *h, int code) TM_HIDDEN;
/* Unmaps a segment: its header, the slots its view says are mapped, the
 * view (fork child: the parent's segment). */
void tm_seg_unmap(const struct tm_state *g, void *seg, uint64_t seg_size, void *view,
		  uint64_t view_size) TM_HIDDEN;

/* got.c */
int tm_got_patch_all(struct tm_state *g) TM_HIDDEN;

/* symbols (shim.c) */
int tm_sym_get(struct tm_state *g, const char *name, int pattern, uint32_t flags) TM_HIDDEN;
void tm_sym_found(struct tm_state *g, uint32_t sym, uint32_t flags) TM_HIDDEN;
int tm_slot_get(struct tm_state *g, uint32_t sym, uintptr_t target) TM_HIDDEN;

/* internal.c: the shim's own GOT interceptions (_exit, the unwinder) */
struct tm_internal {
	const char *name;
	void *wrapper;
	void **real;
	/* 1: *real resolved at start (may be NULL: not installed), and a user
	 * pattern of the same name takes the slot instead */
	int preset;
};
struct tm_internal *tm_internal_find(const char *name) TM_HIDDEN;
uintptr_t tm_internal_target(const char *name, uintptr_t target) TM_HIDDEN;
extern struct tm_internal tm_execs[] TM_HIDDEN;
extern struct tm_internal tm_forks[] TM_HIDDEN; /* daemon (fork.c) */
void tm_exec_install(void) TM_HIDDEN;
extern void *(*tm_real_dlopen)(const char *, int)TM_HIDDEN;
void *tm_wrap_dlopen(const char *file, int mode) TM_HIDDEN;
extern void *tm_real_dlsym TM_HIDDEN;
void tm_wrap_dlsym(void) TM_HIDDEN; /* tramp.S */
void *tm_dlsym_hook(void *handle, const char *name) TM_HIDDEN;
/* got.c: the trampoline for `target` if `name` is monitored, else target */
void *tm_got_hook_pointer(struct tm_state *g, const char *name, void *target) TM_HIDDEN;

/* hook.c: the shadow stack around C++ exceptions and forced unwinds */
void tm_frames_restore(int exception) TM_HIDDEN;
void tm_frames_caught(uintptr_t cfa) TM_HIDDEN;

/* fork.c */
void tm_fork_install(void) TM_HIDDEN;

/* thread.c: the private shadow stacks */
int tm_pool_init(struct tm_state *g) TM_HIDDEN;	 /* constructor: 0, or -1 (TLS stacks only) */
void tm_pool_forked(struct tm_tls *t) TM_HIDDEN; /* fork child: the other threads are gone */

#endif
