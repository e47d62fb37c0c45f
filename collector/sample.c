/* SPDX-License-Identifier: MIT */
/* The per-interval sample: calls open right now (from the shadow stacks
 * the shim mirrors), each monitored process's CPU, memory, threads and
 * descriptors (from /proc), and the per-process buckets of the time axis.
 * Costs the monitored program nothing: it reads what is already there. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "procfs.h"

struct inflight_arg {
	struct tm_coll *c;
	struct tm_proc *p;
	uint64_t now;
};

static void inflight_run(void *arg)
{
	struct inflight_arg *a = arg;
	tm_proc_inflight(a->c, a->p, a->now);
}

static struct tm_pbucket *pbucket(struct tm_pbucket *ring, size_t cap, uint32_t unit)
{
	struct tm_pbucket *b = &ring[unit % cap];
	if (b->unit != unit + 1) {
		memset(b, 0, sizeof(*b));
		b->unit = unit + 1;
	}
	return b;
}

/* What the process did since the last sample, into the current second
 * and minute. */
static void proc_buckets(struct tm_coll *c, struct tm_proc *p)
{
	if (!p->pwin && !(p->pwin = calloc(1, sizeof(*p->pwin))))
		return;
	struct tm_pwin *w = p->pwin;
	uint32_t u = c->clock.now;
	uint64_t calls = p->calls - w->last_calls, failed = p->failed - w->last_failed;
	double user = p->res.cpu_user_s - w->last_user_s, sys = p->res.cpu_sys_s - w->last_sys_s;
	if (!w->last_calls && !w->last_user_s && !w->last_sys_s)
		user = sys = 0; /* the first sample has no "since" */
	w->last_calls = p->calls;
	w->last_failed = p->failed;
	w->last_user_s = p->res.cpu_user_s;
	w->last_sys_s = p->res.cpu_sys_s;
	struct tm_pbucket *b[2] = {pbucket(w->sec, TM_WIN_SECS, u),
				   pbucket(w->min, TM_WIN_MINS, u / 60)};
	for (unsigned i = 0; i < 2; i++) {
		b[i]->calls += calls;
		b[i]->failed += failed;
		b[i]->cpu_user_us += user > 0 ? (uint64_t)(user * 1e6 + 0.5) : 0;
		b[i]->cpu_sys_us += sys > 0 ? (uint64_t)(sys * 1e6 + 0.5) : 0;
		b[i]->rss_bytes = p->res.rss_bytes;
		b[i]->threads = p->res.threads;
		b[i]->fds = p->res.fds;
	}
}

uint32_t tm_proc_threads_hwm(const struct tm_proc *p)
{
	if (!p->h) /* detached */
		return 0;
	uint32_t hwm = atomic_load_explicit(&p->h->threads_hwm, memory_order_acquire);
	return hwm > p->max_threads ? p->max_threads : hwm;
}

const struct tm_thread *tm_proc_thread(const struct tm_proc *p, uint32_t i)
{
	if (!p->h || i >= p->max_threads)
		return NULL;
	return (const void *)((char *)p->h + p->threads_off + (uint64_t)i * p->thread_size);
}

int32_t tm_proc_thread_tid(const struct tm_proc *p, uint32_t i)
{
	const struct tm_thread *thr = tm_proc_thread(p, i);
	if (!thr || atomic_load_explicit(&thr->state, memory_order_acquire) != TM_THR_ACTIVE)
		return 0;
	int32_t tid = atomic_load_explicit(&thr->tid, memory_order_relaxed);
	return tid > 0 ? tid : 0;
}

static void proc_threads(struct tm_proc *p)
{
	uint32_t hwm = tm_proc_threads_hwm(p);
	if (!p->tcpu && !(p->tcpu = calloc(p->max_threads, sizeof(*p->tcpu))))
		return;
	p->ntcpu = 0;
	for (uint32_t i = 0; i < hwm; i++) {
		int32_t tid = tm_proc_thread_tid(p, i);
		struct tm_pstat st;
		if (!tid || tm_procfs_stat(p->pid, tid, &st) < 0)
			continue;
		p->tcpu[p->ntcpu++] = (struct tm_tcpu){tid, st.utime_s, st.stime_s};
	}
}

static void threads_run(void *arg)
{
	proc_threads(arg);
}

static void proc_resources(struct tm_proc *p, uint64_t now)
{
	struct tm_pstat st;
	/* the pid may have been reused by now: only the same start time is ours */
	if (tm_procfs_stat(p->pid, 0, &st) < 0 || st.starttime != p->starttime)
		return;
	p->res.valid = 1;
	p->res.cpu_user_s = st.utime_s;
	p->res.cpu_sys_s = st.stime_s;
	p->res.rss_bytes = st.rss_bytes;
	p->res.threads = st.threads;
	p->res.fds = tm_procfs_fds(p->pid);
	p->res.sampled_ns = now;
}

void tm_coll_sample(struct tm_coll *c, uint64_t now)
{
	for (size_t i = 0; i < c->nsyms; i++) {
		c->syms[i].in_flight = 0;
		c->syms[i].oldest_ns = 0;
	}
	c->nstuck = 0;
	c->stuck_more = 0;
	c->sampled_ns = now;
	for (size_t i = 0; i < c->nprocs; i++) {
		struct tm_proc *p = c->procs[i];
		if (!p->attached) {
			tm_proc_free_sample(p);
			continue;
		}
		struct inflight_arg a = {c, p, now};
		if (tm_guard_run(p->h, p->size, inflight_run, &a) < 0)
			continue; /* the next drain finds the fault and gives the segment up */
		proc_resources(p, now);
		if (tm_guard_run(p->h, p->size, threads_run, p) < 0)
			continue;
		proc_buckets(c, p);
	}
}

void tm_proc_free_sample(struct tm_proc *p)
{
	free(p->pwin);
	p->pwin = NULL;
	free(p->tcpu);
	p->tcpu = NULL;
	p->ntcpu = 0;
	free(p->tshare);
	p->tshare = NULL;
}

void tm_proc_name(const struct tm_proc *p, char *out, size_t len)
{
	const char *src = p->argv_len && p->argv[0] ? p->argv : tm_proc_exe(p);
	const char *b = strrchr(src, '/');
	snprintf(out, len, "%s", b && b[1] ? b + 1 : src);
}

/* The process's windows, from its per-second buckets: calls and failures
 * per second, CPU as percent of one core, the last RSS, threads and
 * descriptors. The same windows as the functions' (10 s, 1 min, 5 min,
 * 15 min of sealed seconds). */
int tm_proc_window(const struct tm_proc *p, const struct tm_wclock *k, unsigned secs,
		   struct tm_pfig *o)
{
	memset(o, 0, sizeof(*o));
	if (!p->pwin)
		return -1;
	uint32_t end = k->open, from = end > secs ? end - secs : 0;
	o->span_s = end - from;
	for (uint32_t u = from; u < end; u++) {
		const struct tm_pbucket *b = &p->pwin->sec[u % TM_WIN_SECS];
		if (b->unit != u + 1)
			continue;
		o->calls += b->calls;
		o->failed += b->failed;
		o->cpu_user_us += b->cpu_user_us;
		o->cpu_sys_us += b->cpu_sys_us;
		o->rss_bytes = b->rss_bytes;
		o->threads = b->threads;
		o->fds = b->fds;
	}
	return 0;
}
