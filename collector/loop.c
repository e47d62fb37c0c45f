/* SPDX-License-Identifier: MIT */
/* The collector's main loop, shared by tmcollect and tmrun: scan for new
 * segments as soon as inotify reports one (and every 250 ms regardless),
 * drain continuously, check liveness every 100 ms. Between drains it
 * sleeps as long as the rings allow: from how full the fullest ring was
 * and how long it had been filling, the nap is set so that the ring would
 * be a quarter full at the next drain (50 us .. 20 ms; an idle collector
 * doubles its nap up to 20 ms). A steady stream is drained in batches of
 * a quarter ring, a burst four times the rate still fits, a slow stream
 * costs a few wake-ups a second. A ring found full says only that it
 * filled faster than that: the next nap is the shortest. An idle spell
 * does not let the nap outgrow the fastest fill seen lately (that rate
 * is halved every 2 s): a program that pauses between bursts finds the
 * collector awake when it starts again. (Halving or doubling the nap on fill
 * thresholds instead oscillated: right after a catch-up drain the rings
 * look empty, the nap grows, and the next one overflows.)
 *
 * A collector that shares its only CPU with a monitored program takes its
 * drain out of the program's time. There it keeps to a budget of that CPU
 * (--cpu-budget, 2% unless told): after a turn that took `busy` of its CPU
 * time, it naps at least busy x (1 - budget) / budget. The calls that do
 * not fit the ring meanwhile are folded by the shim (exact counts, totals
 * and errors; durations at power-of-two resolution). Not with the call structure
 * (--calls, --folded, --trace, workflows), which needs every record. */
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector.h"
#include "health/health.h"
#include "loop.h"
#include "out/calls.h"
#include "out/trace.h"
#include "out/sinks.h"
#include "procfs.h"

static void write_summary(struct tm_coll *c, const struct tm_loop *l)
{
	char err[256];
	if (l->summary && tm_summary_write(c, l->summary, err, sizeof(err)) < 0)
		fprintf(stderr, "%s: %s\n", tm_tool, err);
}

#define PEAK_HALF_NS	 2e9
#define SHARE_MAX_NAP_NS 100000000ull
#define SHARE_PROCS	 64	     /* running processes looked at for sharing */
#define SHARE_THREADS	 256	     /* and their busy monitored threads, in all */
#define SHARE_SOON_NS	 10000000ull /* the next look after a thread first seen */

/* Thread tid may run on mine's CPUs only. */
static int only_on(pid_t tid, const cpu_set_t *mine)
{
	cpu_set_t its, both;
	if (sched_getaffinity(tid, sizeof(its), &its) < 0)
		return 0;
	CPU_AND(&both, &its, mine);
	return CPU_EQUAL(&both, &its);
}

struct pin_look {
	struct tm_proc *p;
	const cpu_set_t *mine;
	size_t left; /* threads still to look at, all processes */
	int found;   /* a busy thread of p may run only on mine's CPUs */
	int fresh;   /* a thread seen for the first time: look again soon */
};

/* The threads of a process that made monitored calls since the last look
 * (records, or calls folded; more than the floor probe's, for a thread
 * seen first) are the ones whose CPU matters; the one that only ran the
 * shim's start (its floor probe) and waits does not. Under tm_guard_run:
 * it reads the segment. The tids are the shim's word: a wrong one can
 * only mislead this choice. */
static void pinned_with(void *arg)
{
	struct pin_look *a = arg;
	struct tm_proc *p = a->p;
	if (!p->tshare && !(p->tshare = calloc(p->max_threads, sizeof(*p->tshare))))
		return;
	uint32_t hwm = tm_proc_threads_hwm(p);
	for (uint32_t i = 0; i < hwm && a->left && !a->found; i++) {
		int32_t tid = tm_proc_thread_tid(p, i);
		if (!tid)
			continue;
		const struct tm_thread *thr = tm_proc_thread(p, i);
		uint32_t gen = atomic_load_explicit(&thr->gen, memory_order_relaxed);
		uint64_t act =
			atomic_load_explicit(&thr->head, memory_order_relaxed) +
			atomic_load_explicit(&thr->loss[TM_LOSS_OVERFLOW], memory_order_relaxed);
		struct tm_tshare *s = &p->tshare[i];
		/* a thread seen first counts if it has made more calls than the
		 * floor probe (its head starts at 0 when it claims the slot): a
		 * short run may end before a second look */
		int same = s->known && s->gen == gen;
		int busy = same ? s->act != act : act > TM_FLOOR_CALLS;
		if (!same)
			a->fresh = 1;
		*s = (struct tm_tshare){gen, 1, act};
		if (busy && (a->left--, only_on(tid, a->mine)))
			a->found = 1;
	}
}

/* This collector shares a CPU with a monitored process that runs: it may
 * run on one CPU only and a monitored thread of that process only there,
 * or an ancestor of its cgroup (or the cgroup) may use at most one CPU's
 * time and that process is under that ancestor too. */
static int shares_cpu(const struct tm_coll *c, int *fresh)
{
	cpu_set_t mine;
	if (sched_getaffinity(0, sizeof(mine), &mine) < 0)
		return 0;
	int one = CPU_COUNT(&mine) == 1;
	char cg[256], pcg[256];
	double q;
	size_t scope = (size_t)-1;
	int quota = tm_procfs_cgroup(0, cg, sizeof(cg)) == 0 &&
		    tm_procfs_cpu_quota("/sys/fs/cgroup", cg, 1.0, &q, &scope) == 0 &&
		    scope != (size_t)-1;
	size_t looked = 0;
	struct pin_look a = {.mine = &mine, .left = SHARE_THREADS};
	for (size_t i = 0; (one || quota) && i < c->nprocs && looked < SHARE_PROCS; i++) {
		struct tm_proc *p = c->procs[i];
		if (p->gone || !p->attached || p->status != TM_PS_RUNNING || p->pid <= 0)
			continue;
		looked++;
		a.p = p;
		if (one && tm_guard_run(p->h, p->size, pinned_with, &a) == 0 && a.found)
			return 1;
		*fresh |= a.fresh;
		/* under the limited cgroup: its path, then "/" or the end */
		if (quota && tm_procfs_cgroup(p->pid, pcg, sizeof(pcg)) == 0 &&
		    (scope <= 1 ||
		     (strncmp(pcg, cg, scope) == 0 && (pcg[scope] == '/' || !pcg[scope]))))
			return 1;
	}
	return 0;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int tm_loop_parse_budget(const char *tool, const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || (*end && strcmp(end, "%") != 0) || !(v == 0 || (v >= 0.01 && v <= 100))) {
		fprintf(stderr, "%s: --cpu-budget %s: expected 0 or 0.01..100\n", tool, s);
		return -1;
	}
	*out = v == 0 ? -1 : v / 100;
	return 0;
}

int tm_coll_run(struct tm_coll *c, struct tm_loop *l)
{
	uint64_t next_scan = 0, next_check = 0, next_summary = 0, nap = 1000000, last = 0;
	uint64_t next_share = 0;
	size_t share_procs = 0; /* c->nprocs at the last look: a new one is looked at at once */
	/* none with the call structure: it needs every record */
	double budget = l->cpu_budget < 0 || c->calls_on ? 0
			: l->cpu_budget > 0		 ? l->cpu_budget
							 : TM_CPU_BUDGET;
	c->cpu_budget = budget;
	double peak = 0; /* the fastest fill lately, of a ring per ns */
	uint64_t every = l->interval_ns ? l->interval_ns : 1000000000ull;

	l->sinks.o.interval_ns = every;
	static struct tm_trace trace;
	if (l->trace && !c->trace) {
		if (tm_trace_init(&trace, l->trace_max, c->start_mono_ns) < 0)
			fprintf(stderr, "%s: --trace: out of memory\n", tm_tool);
		else
			c->trace = &trace;
	}
	l->sinks.c = c; /* also when no sink was started (tmrun without outputs) */
	while (!atomic_load(&l->stop)) {
		pthread_mutex_lock(&l->lock);
		uint64_t now = tm_mono_ns();
		/* the CPU time of this turn, when it is the program's */
		uint64_t cpu0 = budget > 0 && c->shares_cpu ? thread_cpu_ns() : 0;
		/* taken before the scan and drain: the summary it asks for has
		 * every call recorded before the signal */
		int dump = atomic_exchange(&l->dump, 0);
		if (now >= next_scan || c->pending || dump) {
			tm_coll_scan(c);
			next_scan = now + 250000000ull; /* fallback to inotify */
		}
		tm_model_tick(c, now); /* the clock first: records land in their own second */
		uint64_t n = tm_coll_drain(c);
		if (now >= next_check) {
			tm_coll_check(c);
			next_check = now + 100000000ull;
		}
		if (now >= next_share || c->nprocs != share_procs) {
			share_procs = c->nprocs;
			int fresh = 0; /* threads seen first: busy or not, soon known */
			c->shares_cpu = shares_cpu(c, &fresh);
			c->shared_cpu |= c->shares_cpu;
			next_share = now + (fresh ? SHARE_SOON_NS : 1000000000ull);
		}
		tm_health_eval(c, now, 0); /* once per sealed second: cheap otherwise */
		tm_sinks_turn(&l->sinks, now, 0);
		if (dump && l->summary)
			write_summary(c, l);
		else if (dump && l->table)
			tm_table_print(c, stderr);
		if (l->summary_every && now >= next_summary) {
			if (next_summary)
				write_summary(c, l);
			next_summary = now + every;
		}
		if (l->until_idle && tm_coll_idle(c)) {
			tm_coll_scan(c); /* a segment created since the last scan? */
			if (tm_coll_idle(c)) {
				pthread_mutex_unlock(&l->lock);
				break;
			}
		}
		if (atomic_load(&l->launched_done)) {
			/* every process of the launch has been reaped: its segments
			 * exist; once they are all finished, we are done */
			tm_coll_scan(c);
			tm_coll_check(c);
			if (tm_coll_idle(c) || !c->seen_any) {
				pthread_mutex_unlock(&l->lock);
				break;
			}
		}
		if (last && now > last) {
			double dt = (double)(now - last);
			/* the fastest a ring filled lately (of itself per ns), kept
			 * for a while: a burst after a pause must find the
			 * collector awake (halved every PEAK_HALF_NS) */
			peak *= exp2(-dt / PEAK_HALF_NS);
			double rate = n ? (c->fill >= 1.0 ? 1.0 : c->fill) / dt : 0;
			if (rate > peak)
				peak = rate;
		}
		if (n && c->fill >= 1.0) {
			/* a ring was full: it filled in less than now - last, by how
			 * much less is unknown (the rest folded); the shortest nap */
			nap = 50000ull;
		} else if (n && c->fill > 0 && last) {
			/* the fullest ring filled c->fill of itself in now - last */
			double want = 0.25 * (double)(now - last) / c->fill;
			nap = want < 50000	? 50000ull
			      : want > 20000000 ? 20000000ull
						: (uint64_t)want;
		} else if (!n) {
			nap = nap * 2 > 20000000ull ? 20000000ull : nap * 2;
		}
		/* never longer than a quarter ring at the recent peak */
		if (peak > 0 && nap > 0.25 / peak)
			nap = 0.25 / peak < 50000 ? 50000ull : (uint64_t)(0.25 / peak);
		last = now;
		if (c->pending)
			nap = 1000000ull; /* a segment is being created: look again soon */
		if (budget > 0 && c->shares_cpu && cpu0) {
			/* this turn's work was the program's time: nap long
			 * enough to keep it to the budget */
			double least = (double)(thread_cpu_ns() - cpu0) * (1 - budget) / budget;
			if (least > (double)nap) {
				nap = least > (double)SHARE_MAX_NAP_NS ? SHARE_MAX_NAP_NS
								       : (uint64_t)least;
				c->budget_naps++;
			}
		}
		pthread_mutex_unlock(&l->lock);
		if (tm_coll_wait(c, nap)) /* a signal also ends the wait early */
			next_scan = 0;
	}
	pthread_mutex_lock(&l->lock);
	tm_coll_finish(c);
	/* nothing more will arrive: seal the seconds still open, so the
	 * summary's windows hold every call */
	tm_model_tick(c, tm_mono_ns() + 1000000000ull + TM_WIN_GRACE_NS);
	tm_coll_sample(c, tm_mono_ns()); /* nothing is open any more: alerts see it */
	tm_health_eval(c, tm_mono_ns(), 1);
	tm_sinks_turn(&l->sinks, tm_mono_ns(), 1);
	write_summary(c, l);
	char err[256];
	if (l->folded && tm_folded_write(c, l->folded, l->folded_calls, err, sizeof(err)) < 0)
		fprintf(stderr, "%s: %s\n", tm_tool, err);
	if (c->trace) {
		if (tm_trace_write(c, c->trace, l->trace, err, sizeof(err)) < 0)
			fprintf(stderr, "%s: %s\n", tm_tool, err);
		tm_trace_free(c->trace);
		c->trace = NULL;
	}
	pthread_mutex_unlock(&l->lock);
	return 0;
}
