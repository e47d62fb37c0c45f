/* SPDX-License-Identifier: MIT */
/* tmcollect's model: the segments it has attached (one per monitored
 * process image), the statistics they feed, and the functions that move data
 * from one to the other. Shared by tmcollect and tmrun's private collector. */
#ifndef TM_COLLECTOR_H
#define TM_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "model/calls.h"
#include "model/outcome.h"
#include "model/retclass.h"
#include "model/window.h"
#include "tm/wire.h"

enum tm_pstatus {
	TM_PS_RUNNING = 0,
	TM_PS_EXITED,
	TM_PS_CRASHED, /* gone without marking its segment: killed or crashed */
	TM_PS_EXEC,    /* replaced its image with exec */
};

/* Loss and anomalies the collector itself counts, beside the shim's. */
enum tm_closs {
	TM_CLOSS_CORRUPT = 0, /* records or counters that failed validation */
	TM_CLOSS_COUNT
};

struct tm_err_count {
	int32_t code;
	uint64_t count;
};

/* Statistics of one symbol (by display name) across every process. */
struct tm_sym {
	/* what every record touches first, together (then win.cur): the
	 * struct is a whole number of cache lines and the array is allocated
	 * on a line (stats.c), so these share one line in every function */
	_Alignas(64) uint32_t flags; /* union of the wire flags seen */
	uint32_t sample;	     /* TM_RF_SAMPLED: largest 1-in-N seen */
	uint16_t codes;		     /* enum tm_code_domain */
	uint8_t no_fast;	     /* its records take the drain's full way (return classes) */
	uint32_t claimed_by;	     /* TM_RF_CLAIMED: 1 + the symbol its functions count as */
	uint64_t calls, ok, failed, exceptions, unwound, unfinished; /* not judged: the rest */
	uint64_t timed;	     /* calls with a duration: what latency is computed from */
	uint64_t records;    /* calls seen as individual records */
	uint64_t overflowed; /* calls seen only through accumulators */
	uint64_t counted;    /* untimed calls seen only through counters */
	uint64_t bytes;
	uint64_t slow;	   /* calls over slow_ns */
	uint64_t slow_ns;  /* the symbol's slow_ms, 0: none */
	uint64_t slow_cut; /* slow_ns, or UINT64_MAX without one: one compare per call */
	double sum_ns, sumsq_ns;
	uint64_t min_ns, max_ns;
	struct tm_win win; /* the time axis (its cache of the current bucket first) */
	char name[200];
	char object[36];
	struct tm_hist hist;
	struct tm_err_count *errs; /* at most TM_SYM_ERRS codes, the rest as INT32_MIN */
	size_t nerrs, caperrs;
	char process[64];   /* exe basename of the processes calling it ("multiple") */
	uint32_t sess;	    /* index in tm_coll.sessions */
	uint32_t hnext;	    /* hash chain (tm_coll.symhash), 1 + index; 0: end */
	uint64_t in_flight; /* calls open at the last sample */
	uint64_t oldest_ns; /* age of the oldest timed one */
	/* what its calls mean (model/outcome.h): failed calls whose code is
	 * an outcome count there, neither ok nor failed */
	struct tm_outc_map *outc; /* NULL: no outcome codes (tested per failed call only) */
	uint64_t outcomes;	  /* calls counted as an outcome */
	struct tm_outc_n *outn;	  /* by (outcome, code), at most TM_SYM_ERRS */
	size_t noutn, capoutn;
	/* classes of its return value (model/retclass.h), NULL: none */
	struct tm_retc *retc;
	uint64_t inner_calls; /* monitored calls made directly inside this one */
	/* self time (model/calls.h): duration minus the monitored calls inside */
	double self_ns;	       /* over self_calls */
	uint64_t self_calls;   /* timed calls placed in their thread's call tree */
	uint64_t self_inexact; /* of those, a child was lost or untimed: an upper bound */
	struct tm_hist self_hist;
	struct tm_hist size_hist; /* TM_RF_BYTES: the recorded ok calls' bytes (> 0) */
	uint64_t size_lost;	  /* of those, not in size_hist (no memory) */
	uint64_t size_max;	  /* the largest, exact */
	struct tm_groups *groups; /* "group": calls by the argument's value, or NULL */
	uint8_t wf_root;    /* model/workflow.c: 0 not looked up, 1 no root, 2 + its workflow */
	uint8_t blocking;   /* its time is mostly waiting, not work */
	uint8_t outc_bound; /* tm_outc_bind ran for outc_domain */
	uint16_t outc_domain;
};
/* no_fast sits in the padding after codes: the first line stays as it was */
_Static_assert(offsetof(struct tm_sym, calls) == 16, "tm_sym's first line");

/* A call open for longer than its function's slow_ms (or the default). */
struct tm_stuck {
	uint32_t gsym;
	int32_t pid, tid;
	uint64_t start_mono_ns; /* CLOCK_MONOTONIC */
	uint64_t age_ns;
};
#define TM_STUCK_MAX	    64
#define TM_STUCK_DEFAULT_NS 1000000000ull /* without slow_ms: open for 1 s */
/* Functions with figures of their own, per collector. Segments can name
 * any number (a segment holds up to 4 096, and there can be thousands of
 * segments): past the cap, a new name counts under TM_OTHER_FUNCS of its
 * session, so memory and time stay bounded (each function costs its time
 * axis: docs/ARCHITECTURE.md). */
#define TM_MAX_FUNCS   16384
#define TM_OTHER_FUNCS "(other functions)"
#define TM_SYM_ERRS    256 /* distinct error codes kept by name per symbol */
/* What a segment can add in one fold (drain.c): a larger accumulator or
 * counter delta is not a count but a corrupt value, and is rejected. */
#define TM_DELTA_MAX (1ull << 48)
/* No count or total (ns) the model keeps ever goes past this: a delta
 * that would push one past it is rejected as corrupt, so every figure
 * fits a JSON integer (int64) with room to spare. */
#define TM_COUNT_MAX (1ull << 62)
/* Records alone never take a total from below this to TM_COUNT_MAX: that
 * is 2^61 records, centuries of draining. */
#define TM_COUNT_HIGH (1ull << 61)
/* A bytes total stops at TM_COUNT_MAX (one call's are at most
 * TM_CALL_BYTES_MAX: wire.h): a function's odd return values never wrap
 * it, nor cost a fold its calls. */
static inline uint64_t tm_bytes_sum(uint64_t total, uint64_t add)
{
	return total >= TM_COUNT_MAX || add >= TM_COUNT_MAX - total ? TM_COUNT_MAX : total + add;
}

struct tm_psym {
	uint32_t gsym;	   /* index in tm_coll.syms */
	uint32_t internal; /* TM_RF_INTERNAL: the shim's floor probe */
	uint64_t calls, ok, failed;
	double sum_ns;
	/* accumulator codes classified as outcomes before their `failed`
	 * increments were read (the shim bumps failed, then the code): taken
	 * off the next failed deltas (stats.c) */
	uint64_t outc_debt;
	/* TM_RF_ARGBYTES or a group: a call's record may be followed by a
	 * record of what it took from its arguments */
	uint8_t argrec;
	uint8_t group; /* the group's argument (1..6), 0: none */
};

/* A process's resources, sampled from /proc every interval (procfs.c). */
struct tm_pres {
	int valid;
	double cpu_user_s, cpu_sys_s; /* since the process started */
	uint64_t rss_bytes;
	uint32_t threads;
	int32_t fds; /* -1: not readable */
	uint64_t sampled_ns;
};

/* Per-second and per-minute figures of one process (calls from its
 * counters' deltas, CPU from /proc), allocated while it runs. */
struct tm_pbucket {
	uint32_t unit; /* as tm_wbucket.unit */
	uint32_t threads;
	uint64_t calls, failed;
	uint64_t cpu_user_us, cpu_sys_us; /* CPU used during the unit */
	uint64_t rss_bytes;		  /* the last sample of the unit */
	int32_t fds;
	uint32_t pad;
};
struct tm_pwin {
	struct tm_pbucket sec[TM_WIN_SECS];
	struct tm_pbucket min[TM_WIN_MINS];
	uint64_t last_calls, last_failed;
	double last_user_s, last_sys_s;
};

/* Probe durations kept per process: the shim sends at most 256; longer
 * than TM_FLOOR_MAX_NS is a preempted call, not a floor, and is dropped. */
#define TM_FLOOR_SAMPLES 256
#define TM_FLOOR_MAX_NS	 100000

/* One attached segment: a process image. Kept after detaching so the
 * summary can report it. */
struct tm_proc {
	char path[512];
	int fd;
	struct tm_seg_header *h;
	uint64_t size;
	/* validated copies of the header's geometry */
	uint32_t ring_cap, max_threads, max_syms, stack_cap, clock_kind;
	uint64_t thread_size, threads_off, syms_off;
	/* identity */
	int32_t pid, ppid;
	uint64_t starttime, created_ns;
	char exe[256];	       /* the resolved image (/proc/PID/exe), as the process read it */
	char exe_seen[256];    /* /proc/PID/exe as we first read it: what an exec changes */
	char exe_started[256]; /* the path it was started by ("" if unknown) */
	char argv[512];
	uint32_t argv_len;
	enum tm_pstatus status;
	int exit_code;	      /* for TM_PS_EXITED: wait status as given to exit() */
	int gone;	      /* found gone by the collector: nothing more will be written */
	uint32_t sess;	      /* index in tm_coll.sessions */
	uint64_t clock_t0;    /* the segment's clock anchor: ticks ... */
	uint64_t clock_mono0; /* ... at this CLOCK_MONOTONIC ns */
	uint64_t end_ns;      /* CLOCK_REALTIME when it was seen finished; 0: running */
	uint64_t failed;      /* failed calls, all symbols */
	struct tm_pres res;   /* the last /proc sample */
	struct tm_pwin *pwin;
	struct tm_tcpu {
		int32_t tid;
		double user_s, sys_s;
	} * tcpu; /* monitored threads' CPU at the last sample */
	uint32_t ntcpu;
	struct tm_tshare {
		uint32_t gen, known; /* the slot's claim, and whether act is its */
		uint64_t act;	     /* records + calls folded at the last look */
	} * tshare;		     /* [max_threads]: loop.c's look for a shared CPU */
	int attached;
	/* per local symbol id: global symbol + per-process count */
	struct tm_psym *psyms;
	uint32_t npsyms;
	uint64_t calls, records, overflowed;
	uint64_t loss[TM_LOSS_COUNT];
	uint64_t closs[TM_CLOSS_COUNT];
	uint64_t *thr_loss_seen; /* [(max_threads+1) * TM_LOSS_COUNT] */
	uint64_t *thr_epoch;	 /* [max_threads+1]: acc_epoch last folded */
	struct tm_cthr *cthr;	 /* [max_threads]: call structure per slot (model/calls.h) */
	int counters;		 /* TM_SEG_COUNTERS: slots carry cnt[] */
	uint32_t *cnt_syms;	 /* local ids of sampled and count-only symbols */
	uint32_t ncnt_syms;
	uint32_t slot_misses; /* last value seen: a change means reclaim slots now */
	/* the shim's floor in this process: its probe's durations (ns) */
	uint64_t floor_samples[TM_FLOOR_SAMPLES];
	uint32_t nfloor;
	int floor_dirty;
	uint64_t floor_ns;
	/* entries the collector gave up on (segment.c, collect.c) */
	int ignored;  /* refused, abandoned or garbage: reported once, never waited for */
	int unborn;   /* never published, creator alive: retried, not waited for */
	int removed;  /* its segment was unlinked when finished: may be merged */
	uint8_t said; /* out/sinks.c: 0 nothing said, 1 started, 2 ended */
	/* another user's directory (root following a child that switched
	 * user): the segment must be owned by uid, and is opened and removed
	 * through the directory verified at the scan (dirfd, while attached) */
	int foreign;
	uint32_t uid;
	int dirfd;
};

/* Finished processes merged out of tm_coll.procs once more than
 * max_procs are kept (collect.c): what the outputs still need of them. */
struct tm_earlier {
	uint64_t count; /* reported processes merged */
	uint64_t calls, ok, failed, records, overflowed;
	uint64_t status[4]; /* by enum tm_pstatus */
	uint64_t loss[TM_LOSS_COUNT], corrupt;
	struct tm_esess {
		uint64_t loss[TM_LOSS_COUNT], corrupt;
	} * sess; /* by session index: loss of every merged entry */
	size_t nsess;
	struct tm_eprog {
		uint32_t sess;
		char name[64];
		double user_s, sys_s;
	} * progs; /* CPU by (session, program), as out/prom.c sums it */
	size_t nprogs;
};
#define TM_MAX_PROCS_DEFAULT 256
#define TM_MAX_PROCS_LIMIT   1000000
/* collect.c: --max-processes N (1..TM_MAX_PROCS_LIMIT); 0 or -EINVAL */
int tm_parse_max_procs(const char *s, size_t *out);
/* --keep-seconds (into *secs) or, with `minutes`, --keep-minutes (into
 * *mins): one line on stderr naming tool and the range when s is not a
 * count in it. TM_OPT_KEEP_* are their getopt codes in tmrun. */
int tm_parse_keep(const char *tool, int minutes, const char *s, uint32_t *secs, uint32_t *mins);
#define TM_OPT_KEEP_SECS 1001
#define TM_OPT_KEEP_MINS 1002

struct tm_hrules;
struct tm_health_eng;

#define TM_CPU_BUDGET 0.02 /* of a CPU the collector shares with the program */

struct tm_coll_opts {
	const char *dir;
	const char *session;
	int subtract_overhead; /* take the shim's floor off every duration */
	size_t max_procs;      /* processes kept in detail; 0: TM_MAX_PROCS_DEFAULT */
};

#define TM_REAPED_MAX 256

struct tm_trace;
struct tm_wfcfg;
struct tm_coll {
	char dir[256];
	char session[65];     /* the session, or a glob of sessions ('*') */
	char (*sessions)[65]; /* the sessions seen, by index */
	size_t nsess;
	uint32_t *symhash;	/* [capsymhash] 1 + index of the first symbol; 0: none */
	size_t capsymhash;	/* a power of two */
	struct tm_wclock clock; /* the time axis of every series */
	struct tm_stuck stuck[TM_STUCK_MAX]; /* at the last sample, oldest first */
	size_t nstuck, stuck_more;	     /* listed; open too long beyond the list */
	uint64_t sampled_ns;		     /* CLOCK_MONOTONIC of the last sample */
	double ns_per_tick;		     /* TSC calibration */
	uint64_t tsc_hz;
	int gc_only; /* --gc: detach running processes untouched, collect the gone ones */
	uint64_t cal_t0, cal_n0, cal_next; /* the refined calibration's first pair */
	double tick_npt;		   /* ns_per_tick that tick_mult was made from */
	uint64_t tick_mult;		   /* ns per tick << 32 (drain.c) */
	/* some total passed TM_COUNT_HIGH (only a fold can get it there: one
	 * record adds 1): the drain checks every record against TM_COUNT_MAX */
	int high;
	uint64_t drain_fast; /* records taken by the drain's fast way (drain.c) */
	/* the call structure (edges, self time, stacks, workflows) is kept:
	 * --calls, or implied by --folded, --trace and a rules file's
	 * workflows. Off, the drain skips it (it costs about 60% more per
	 * record): docs/ARCHITECTURE.md, "Call structure" */
	int calls_on;
	struct tm_calls calls;	/* edges and stacks (model/calls.h) */
	struct tm_trace *trace; /* --trace (out/trace.h); NULL: none */
	struct tm_wfcfg *wf;	/* the rules file's workflows (model/workflow.h); NULL: none */
	struct tm_sym *syms;
	size_t nsyms, capsyms;
	struct tm_proc **procs;
	size_t nprocs, capprocs;
	uint32_t *prochash; /* [capprochash] 1 + index in procs, by path; 0: empty */
	size_t capprochash;
	uint64_t closs[TM_CLOSS_COUNT];
	uint64_t start_mono_ns, start_real_ns;
	size_t present; /* session segments in the directory at the last scan */
	size_t pending; /* segments seen but not ready yet (still being created) */
	int inotify_fd; /* watches dir for new segments; -1 if unavailable */
	int seen_any;	/* ever saw one (ours or another collector's) */
	double fill;	/* fullest ring at the last drain, as a fraction of its capacity */
	/* sharing a CPU with a monitored program (loop.c) */
	double cpu_budget;    /* the share of it the collector keeps to; 0: none */
	int shares_cpu;	      /* at the last look (every second) */
	int shared_cpu;	      /* ever */
	uint64_t budget_naps; /* naps the budget made longer */
	int subtract;	      /* take the shim's floor off every duration */
	int floor_dirty;
	uint64_t floor_ns; /* median of the processes' floors (cached) */
	size_t garbage;	   /* never-published segments of dead creators, removed */
	size_t abandoned;  /* segments given up on after a fault or a size change */
	size_t max_procs;  /* finished processes beyond this are merged into earlier */
	struct tm_earlier earlier;
	int said_needed;	  /* a --jsonl stream: merge a process only once its end was said */
	int follow_users;	  /* root, default TM_DIR: other users' /dev/shm/tm-<uid> too */
	struct tm_hrules *hrules; /* rules read, until the engine takes them */
	struct tm_health_eng *health; /* health/engine.c, made at the first evaluation */
	/* How processes that the launcher (tmrun) reaped ended: their wait
	 * statuses, for the ones that end without marking their segment (an
	 * exit_group system call, a libc-internal _exit). A ring: the oldest
	 * entry gives way. */
	struct tm_reaped {
		int32_t pid;
		int wstatus;
		uint64_t starttime; /* /proc/PID/stat field 22: with pid, the process */
	} reaped[TM_REAPED_MAX];
	size_t nreaped;
	struct tm_outcfg *outcfg; /* the rules file's outcomes (model/outcome.h); NULL: built-in */
	/* tmrun --attach (tools/attach): the process, when its GOTs were
	 * patched (calls already running then are not counted) and restored */
	int32_t attached_pid;
	uint64_t attached_real_ns, detached_real_ns;
	uint64_t attach_pause_ns; /* the borrowed thread was away from its code */
};

/* collect.c */
/* The launcher reaped pid (start time `starttime`, read while it was a
 * zombie) with wait status wstatus. Call with the loop's lock held. */
void tm_coll_note_exit(struct tm_coll *c, int32_t pid, uint64_t starttime, int wstatus);
int tm_coll_init(struct tm_coll *c, const struct tm_coll_opts *o, char *err, size_t errlen);
int tm_coll_scan(struct tm_coll *c);	   /* attach new segments of the session */
uint64_t tm_coll_drain(struct tm_coll *c); /* drain everything attached; records moved */
void tm_coll_check(struct tm_coll *c);	   /* liveness: finalize dead processes */
int tm_coll_idle(const struct tm_coll *c); /* every seen process finished */
void tm_coll_finish(struct tm_coll *c);	   /* final drain of all; detach */
/* Merges the oldest finished processes past max_procs into c->earlier
 * (after every check, and after the stream said their end). */
void tm_coll_compact(struct tm_coll *c);
void tm_coll_free(struct tm_coll *c);
uint64_t tm_mono_ns(void);
/* Sleeps up to timeout_ns or until a segment appears in the directory.
 * Returns 1 if something appeared (scan now), 0 otherwise. */
int tm_coll_wait(struct tm_coll *c, uint64_t timeout_ns);

/* segment.c (reader) */
int tm_seg_validate(const void *map, uint64_t size, char *err, size_t errlen);
/* 0; -EAGAIN: try later (being created, held by another collector);
 * -ENODATA: never published (magic 0 or shorter than a header), nothing
 * mapped; other -errno: refused */
int tm_proc_attach(struct tm_proc *p, const char *path, char *err, size_t errlen);
/* The same for a segment `name` in the directory dirfd (verified by the
 * caller) that must be owned by uid; path is what is reported. */
int tm_proc_attach_at(struct tm_proc *p, int dirfd, const char *name, const char *path,
		      uint32_t uid, char *err, size_t errlen);
void tm_proc_detach(struct tm_proc *p, int remove);
/* Removes path if it is still an unpublished segment of ours that no other
 * collector holds. 0 or -errno. */
int tm_seg_remove_unborn(const char *path);

/* guard.c: runs fn(arg) with SIGBUS at an address in [base, base+len)
 * turned into a return of -EFAULT (the mapping is no longer backed: the
 * file was truncated, or tmpfs is full). 0 otherwise. Thread-safe; the
 * SIGBUS handler is installed on first use. */
int tm_guard_run(const void *base, size_t len, void (*fn)(void *), void *arg);

/* outfile.c: writing output files safely (see outfile.c). Both return
 * -errno with err filled on failure. */
/* "-": stdout; an existing non-regular destination: written in place; a
 * regular file: replaced atomically (unpredictable temp name, O_EXCL |
 * O_NOFOLLOW, same directory); created 0600. */
int tm_out_replace(const char *path, const void *buf, size_t len, char *err, size_t errlen);
/* An fd (O_CLOEXEC) to write a stream to: "-" (a dup of stdout), an
 * existing non-regular file in place, or a regular file opened
 * O_NOFOLLOW, created 0600, appended to or truncated. The caller closes it
 * and handles SIGPIPE. */
int tm_out_open_stream(const char *path, int append, char *err, size_t errlen);
/* Whether path can be written as tm_out_replace would, checked before any
 * work starts: "-", an existing writable non-regular file, or a directory
 * where a temporary file can be created (one is, and removed). 0 or -errno
 * with err filled. */
int tm_out_check(const char *path, char *err, size_t errlen);

/* A text output built in memory (open_memstream) and then written with
 * tm_out_replace: tm_out_mem_open gives the FILE, tm_out_mem_close closes
 * it, writes path and frees the buffer; 0 or -errno with err filled. */
struct tm_out_mem {
	char *buf;
	size_t len;
};
void *tm_out_mem_open(struct tm_out_mem *m, char *err, size_t errlen);
int tm_out_mem_close(void *file, struct tm_out_mem *m, const char *path, char *err, size_t errlen);

/* The tool that speaks in messages ("tmcollect", "tmrun"): set by main. */
extern const char *tm_tool;

/* drain.c */
uint64_t tm_proc_drain(struct tm_coll *c, struct tm_proc *p);
void tm_proc_sync_syms(struct tm_coll *c, struct tm_proc *p, int all);
void tm_proc_retire_threads(struct tm_coll *c, struct tm_proc *p);
void tm_proc_unfinished(struct tm_coll *c, struct tm_proc *p);
/* Adds the header's loss counters (the process's own, at its end); an
 * absurd one counts as corrupt. */
void tm_proc_header_loss(struct tm_proc *p);
/* Open calls now: per function in_flight and oldest_ns, and the stuck
 * list. Reset the symbols' figures first (tm_coll_sample does). */
void tm_proc_inflight(struct tm_coll *c, struct tm_proc *p, uint64_t now_mono);

/* stats.c: the model's ways in. The reader (drain.c) decodes and
 * validates what it reads and hands the model clean values. */
int tm_coll_sym(struct tm_coll *c, uint32_t sess, const char *name); /* index, created if new */
/* Calls by the value of one argument ("group": docs/CONFIG.md): the
 * first TM_GROUPS values seen each, the rest together. */
#define TM_GROUPS 16
struct tm_gent {
	int64_t value;
	uint64_t calls, failed, bytes, timed;
	double sum_ns;
};
struct tm_groups {
	uint8_t arg; /* 1..6 */
	uint32_t n;
	struct tm_gent e[TM_GROUPS];
	struct tm_gent other;
};
void tm_groups_add(struct tm_sym *s, unsigned arg, int64_t value, int failed, uint64_t bytes,
		   int timed, uint64_t dur_ns);

struct tm_call {
	uint64_t end_ns; /* CLOCK_MONOTONIC when the call returned (or now) */
	uint64_t dur_ns; /* net of the floor when asked */
	int timed;	 /* 0: sampled out, dur_ns meaningless */
	unsigned status; /* enum tm_status, validated */
	int64_t value;
	int32_t err;
	uint64_t bytes; /* argrec: the call's bytes (its bytes record), else the value's */
	int argrec;	/* the process's records of it carry bytes records */
	int has_group;	/* `group` is the call's group (its bytes record said) */
	int64_t group;
	uint32_t unit;	  /* 1 + the second it lands in, when the reader knows it; 0: from end_ns */
	uint32_t caller1; /* 1 + the local id of the enclosing monitored call; 0: none */
};
void tm_model_call(struct tm_coll *c, struct tm_proc *p, uint32_t lsym, const struct tm_call *k);
enum tm_via { TM_VIA_ACC = 0, TM_VIA_CNT, TM_VIA_OPEN };
struct tm_fold {
	enum tm_via via;
	uint64_t calls, ok, failed, unwound, unfinished, bytes;
	uint64_t timed_calls; /* of calls, with a duration */
	double sum_ns;	      /* exact sum of their durations */
	int minmax;	      /* min_ns and max_ns hold */
	uint64_t min_ns, max_ns;
	uint32_t nd, ne;
	struct {
		uint64_t ns, n;
	} d[TM_ACC_BUCKETS]; /* durations: representative, count */
	struct {
		int32_t code;
		uint64_t n;
	} e[TM_ACC_ERRS + 1];
};
void tm_model_fold(struct tm_coll *c, struct tm_proc *p, uint32_t lsym, const struct tm_fold *f);
void tm_sym_errs_add(struct tm_sym *s, int32_t code, uint64_t n);
void tm_model_tick(struct tm_coll *c, uint64_t now_ns); /* seal what the clock passed */
void tm_sym_free(struct tm_sym *s);
/* quantile of the histogram, clamped to the exact [min, max] */
uint64_t tm_sym_quantile(const struct tm_sym *s, double q);

/* stats.c: the shim's floor (0: no probe seen). A process's own is the
 * median of its probe's durations; the session's is the median of the
 * processes' (for a process whose probe never arrived). */
uint64_t tm_proc_floor(struct tm_proc *p);
uint64_t tm_coll_floor(struct tm_coll *c);	     /* cached between new probes */
uint64_t tm_coll_floor_now(const struct tm_coll *c); /* computed */

/* The program's name for labels: argv[0]'s basename (what was run, as
 * `redis-server` for a link to another binary), else the exe's. */
void tm_proc_name(const struct tm_proc *p, char *out, size_t len);
/* The path a process was started by (what its summary calls exe), or its
 * resolved image when the shim could not say. */
static inline const char *tm_proc_exe(const struct tm_proc *p)
{
	return p->exe_started[0] ? p->exe_started : p->exe;
}

/* sample.c: once per interval, never per call: open calls from the
 * shadow stacks, resources from /proc, per-process buckets. */
void tm_coll_sample(struct tm_coll *c, uint64_t now_mono);
void tm_proc_free_sample(struct tm_proc *p);
/* Thread slot i of p's segment, NULL past its slots or detached; the tid
 * of the monitored thread there as the shim wrote it (> 0), or 0: the
 * slot is not in use. hwm: the slots ever used. Reads of the segment:
 * under tm_guard_run. */
const struct tm_thread *tm_proc_thread(const struct tm_proc *p, uint32_t i);
int32_t tm_proc_thread_tid(const struct tm_proc *p, uint32_t i);
uint32_t tm_proc_threads_hwm(const struct tm_proc *p);
struct tm_pfig {
	uint32_t span_s;
	uint64_t calls, failed, cpu_user_us, cpu_sys_us, rss_bytes;
	uint32_t threads;
	int32_t fds;
};
/* A running process's last `secs` sealed seconds; -1 when it has none. */
int tm_proc_window(const struct tm_proc *p, const struct tm_wclock *k, unsigned secs,
		   struct tm_pfig *o);

/* calib.c */
double tm_calibrate_tsc(uint64_t *hz);
void tm_calib_refine(struct tm_coll *c, uint64_t now_ns);

/* errnames.c */
const char *tm_code_name(unsigned domain, int32_t code, char *buf, size_t len);
/* The code a name stands for in a domain (ENOENT, EWOULDBLOCK, SQLITE_BUSY,
 * SQLITE_CONSTRAINT_UNIQUE; a decimal number in any domain). 0 or -ENOENT. */
int tm_code_value(unsigned domain, const char *name, int32_t *out);
/* The category of an error by name (not_found, permission, invalid_input,
 * timeout, network, resource, busy, io, interrupted, other). */
const char *tm_code_category(const char *name);
const char *tm_category_valid(const char *cat);		/* the canonical string, or NULL */
int tm_category_set(const char *name, const char *cat); /* override; 0 or -errno */
/* rules.c: the collector's part of a rules file. 0 or -errno, err filled. */
/* Bad error categories are fatal (-EINVAL); the health part ("alerts",
 * "anomaly", "maintenance", "defaults") goes into c->hrules, each bad entry
 * one line on stderr and skipped. */
int tm_rules_load(struct tm_coll *c, const char *path, char *err, size_t errlen);
/* A function pattern of a rules file: 1..199 bytes, no control characters
 * (health/hrules.c; the outcomes section uses it too). */
int tm_rules_valid_pattern(const char *s);
/* One line about a rules file's entry: "<tool>: rules PATH: ..." on log (a
 * FILE *, NULL: stderr). */
void tm_rules_say(void *log, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* summary.c: text from segments and /proc on its way out. Names are
 * bytes (Linux allows any but NUL and '/' in a file name, any but NUL in
 * argv): valid UTF-8 passes unchanged, every byte that is not part of a
 * valid UTF-8 sequence becomes the four characters \xNN. */
struct json_t;
struct json_t *tm_json_text(const char *s);	       /* a JSON string; never NULL */
struct json_t *tm_json_textn(const char *s, size_t n); /* n bytes, NULs included */
/* The same text made safe for a terminal: also every control character
 * (C0, DEL, C1: ESC sequences, CSI, carriage returns) becomes \xNN of
 * its bytes. Cut at a character boundary to fit out (len > 0). */
void tm_term_text(char *out, size_t len, const char *s);
/* A count or duration as JSON: never negative (the drain keeps them below
 * TM_COUNT_MAX; a larger one would be a bug, written as the maximum). */
struct json_t *tm_json_count(uint64_t v);

/* summary.c */
int tm_summary_write(const struct tm_coll *c, const char *path, char *err, size_t errlen);
/* A document written as the summary is (indented, a final newline, with
 * tm_out_replace); consumes root. */
int tm_json_write(struct json_t *root, const char *path, char *err, size_t errlen);
/* out/table.c: tmrun's table (docs/SUMMARY.md, "The table") */
void tm_table_print(const struct tm_coll *c, void *file);
/* jansson objects of the summary (json_t *; void * keeps jansson out of
 * this header) */
struct json_t *tm_summary_json(const struct tm_coll *c);
/* The same with at most `secs` of each function's per-second points (the
 * live document: /api/v1/summary is rendered on the loop's thread while
 * somebody reads it). The file summary keeps TM_SUMMARY_SECONDS. */
#define TM_SUMMARY_SECONDS 300
#define TM_LIVE_SECONDS	   60
struct json_t *tm_summary_json_n(const struct tm_coll *c, size_t secs);
struct json_t *tm_proc_json(const struct tm_coll *c, const struct tm_proc *p);
struct json_t *tm_window_json(const struct tm_sym *s, const struct tm_wfig *f);
int tm_sym_reported(const struct tm_sym *s); /* listed in outputs */
/* Time spent in the function: measured, or for a sampled symbol the
 * sample's mean times every call. */
double tm_sym_total(const struct tm_sym *s);
/* Why s has no calls (buf: room for a note naming another function). */
const char *tm_sym_note(const struct tm_coll *c, const struct tm_sym *s, char *buf, size_t len);
int tm_proc_reported(const struct tm_proc *p);

#endif
