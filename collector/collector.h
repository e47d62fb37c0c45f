/* SPDX-License-Identifier: MIT */
/* tmcollect's model: the segments it has attached (one per monitored
 * process image), the statistics they feed, and the functions that move data
 * from one to the other. Shared by tmcollect and tmrun's private collector. */
#ifndef TM_COLLECTOR_H
#define TM_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"
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
	char name[200];
	char object[36];
	uint32_t flags;	 /* union of the wire flags seen */
	uint32_t sample; /* TM_RF_SAMPLED: largest 1-in-N seen */
	uint16_t codes;	 /* enum tm_code_domain */
	uint64_t calls, ok, failed, exceptions, unwound, unfinished; /* not judged: the rest */
	uint64_t timed;	     /* calls with a duration: what latency is computed from */
	uint64_t records;    /* calls seen as individual records */
	uint64_t overflowed; /* calls seen only through accumulators */
	uint64_t counted;    /* untimed calls seen only through counters */
	uint64_t bytes;
	double sum_ns, sumsq_ns;
	uint64_t min_ns, max_ns;
	struct tm_hist hist;
	struct tm_err_count *errs;
	size_t nerrs, caperrs;
};

struct tm_psym {
	uint32_t gsym;	   /* index in tm_coll.syms */
	uint32_t internal; /* TM_RF_INTERNAL: the shim's floor probe */
	uint64_t calls, ok, failed;
	double sum_ns;
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
	char exe[256];
	char argv[512];
	uint32_t argv_len;
	enum tm_pstatus status;
	int exit_code; /* for TM_PS_EXITED: wait status as given to exit() */
	int attached;
	/* per local symbol id: global symbol + per-process count */
	struct tm_psym *psyms;
	uint32_t npsyms;
	uint64_t calls, records, overflowed;
	uint64_t loss[TM_LOSS_COUNT];
	uint64_t closs[TM_CLOSS_COUNT];
	uint64_t *thr_loss_seen; /* [(max_threads+1) * TM_LOSS_COUNT] */
	uint64_t *thr_epoch;	 /* [max_threads+1]: acc_epoch last folded */
	int counters;		 /* TM_SEG_COUNTERS: slots carry cnt[] */
	uint32_t *cnt_syms;	 /* local ids of sampled and count-only symbols */
	uint32_t ncnt_syms;
	uint32_t slot_misses; /* last value seen: a change means reclaim slots now */
	/* the shim's floor in this process: its probe's durations (ns) */
	uint64_t floor_samples[TM_FLOOR_SAMPLES];
	uint32_t nfloor;
	int floor_dirty;
	uint64_t floor_ns;
};

struct tm_coll_opts {
	const char *dir;
	const char *session;
	int subtract_overhead; /* take the shim's floor off every duration */
};

struct tm_coll {
	char dir[256];
	char session[65];
	double ns_per_tick; /* TSC calibration */
	uint64_t tsc_hz;
	struct tm_sym *syms;
	size_t nsyms, capsyms;
	struct tm_proc **procs;
	size_t nprocs, capprocs;
	uint64_t closs[TM_CLOSS_COUNT];
	uint64_t start_mono_ns, start_real_ns;
	size_t present; /* session segments in the directory at the last scan */
	size_t pending; /* segments seen but not ready yet (still being created) */
	int inotify_fd; /* watches dir for new segments; -1 if unavailable */
	int seen_any;	/* ever saw one (ours or another collector's) */
	double fill;	/* fullest ring at the last drain, as a fraction of its capacity */
	int subtract;	/* take the shim's floor off every duration */
	int floor_dirty;
	uint64_t floor_ns; /* median of the processes' floors (cached) */
};

/* collect.c */
int tm_coll_init(struct tm_coll *c, const struct tm_coll_opts *o, char *err, size_t errlen);
int tm_coll_scan(struct tm_coll *c);	   /* attach new segments of the session */
uint64_t tm_coll_drain(struct tm_coll *c); /* drain everything attached; records moved */
void tm_coll_check(struct tm_coll *c);	   /* liveness: finalize dead processes */
int tm_coll_idle(const struct tm_coll *c); /* every seen process finished */
void tm_coll_finish(struct tm_coll *c);	   /* final drain of all; detach */
void tm_coll_free(struct tm_coll *c);
uint64_t tm_mono_ns(void);
/* Sleeps up to timeout_ns or until a segment appears in the directory.
 * Returns 1 if something appeared (scan now), 0 otherwise. */
int tm_coll_wait(struct tm_coll *c, uint64_t timeout_ns);

/* segment.c (reader) */
int tm_seg_validate(const void *map, uint64_t size, char *err, size_t errlen);
int tm_proc_attach(struct tm_proc *p, const char *path, char *err, size_t errlen);
void tm_proc_detach(struct tm_proc *p, int remove);

/* drain.c */
uint64_t tm_proc_drain(struct tm_coll *c, struct tm_proc *p);
void tm_proc_sync_syms(struct tm_coll *c, struct tm_proc *p, int all);
void tm_proc_retire_threads(struct tm_coll *c, struct tm_proc *p);
void tm_proc_unfinished(struct tm_coll *c, struct tm_proc *p);

/* stats.c */
int tm_coll_sym(struct tm_coll *c, const char *name); /* global index, created if new */
void tm_sym_record(struct tm_sym *s, uint64_t dur_ns, unsigned status, int64_t value, int32_t err);
/* a call without a duration (sampled out): counted and judged only */
void tm_sym_count(struct tm_sym *s, unsigned status, int64_t value, int32_t err);
void tm_sym_errs_add(struct tm_sym *s, int32_t code, uint64_t n);
void tm_sym_free(struct tm_sym *s);
/* quantile of the histogram, clamped to the exact [min, max] */
uint64_t tm_sym_quantile(const struct tm_sym *s, double q);

/* stats.c: the shim's floor (0: no probe seen). A process's own is the
 * median of its probe's durations; the session's is the median of the
 * processes' (for a process whose probe never arrived). */
uint64_t tm_proc_floor(struct tm_proc *p);
uint64_t tm_coll_floor(struct tm_coll *c);	     /* cached between new probes */
uint64_t tm_coll_floor_now(const struct tm_coll *c); /* computed */

/* calib.c */
double tm_calibrate_tsc(uint64_t *hz);

/* errnames.c */
const char *tm_code_name(unsigned domain, int32_t code, char *buf, size_t len);

/* summary.c */
int tm_summary_write(const struct tm_coll *c, const char *path, char *err, size_t errlen);
void tm_table_print(const struct tm_coll *c, void *file);

#endif
