/* SPDX-License-Identifier: MIT */
/* Timelines: Chrome Trace Event JSON (out/trace.h). The calls are kept in
 * a uniform sample of at most `max` (reservoir sampling), so the file is
 * bounded whatever the run's length; a subset of properly nested calls is
 * properly nested, so the sample still nests. Written at exit, sorted by
 * process, thread and start, an outer call before the calls inside it. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "out/trace.h"

#define SECHASH (2 * TM_TRACE_SECONDS)

struct trace_priv {
	uint32_t hash[SECHASH]; /* 1 + index in secs; 0: empty */
	size_t last;		/* 1 + the index used last */
};

int tm_trace_init(struct tm_trace *t, size_t max, uint64_t start_mono_ns)
{
	memset(t, 0, sizeof(*t));
	t->max = max ? max : TM_TRACE_MAX_DEFAULT;
	t->ev = malloc(t->max * sizeof(*t->ev));
	t->secs = calloc(1, TM_TRACE_SECONDS * sizeof(*t->secs) + sizeof(struct trace_priv));
	if (!t->ev || !t->secs) {
		tm_trace_free(t);
		return -ENOMEM;
	}
	t->rng = 0x9e3779b97f4a7c15ull ^ start_mono_ns;
	t->start_mono_ns = start_mono_ns;
	return 0;
}

void tm_trace_free(struct tm_trace *t)
{
	free(t->ev);
	free(t->secs);
	t->ev = NULL;
	t->secs = NULL;
}

static struct trace_priv *priv(struct tm_trace *t)
{
	return (struct trace_priv *)(t->secs + TM_TRACE_SECONDS);
}

static uint64_t rnd(struct tm_trace *t)
{
	uint64_t x = t->rng;
	x ^= x << 13, x ^= x >> 7, x ^= x << 17;
	return t->rng = x;
}

void tm_trace_count(struct tm_trace *t, int32_t pid, uint64_t end_ns)
{
	uint32_t sec = end_ns > t->start_mono_ns
			       ? (uint32_t)((end_ns - t->start_mono_ns) / 1000000000ull)
			       : 0;
	struct trace_priv *q = priv(t);
	if (q->last && t->secs[q->last - 1].pid == pid && t->secs[q->last - 1].sec == sec) {
		t->secs[q->last - 1].calls++;
		return;
	}
	uint64_t h = ((uint64_t)(uint32_t)pid << 32 | sec) * 0x9e3779b97f4a7c15ull;
	for (uint32_t i = (uint32_t)(h >> 40) & (SECHASH - 1);; i = (i + 1) & (SECHASH - 1)) {
		uint32_t k = q->hash[i];
		if (!k) {
			if (t->nsecs >= TM_TRACE_SECONDS) {
				t->secs_dropped++;
				return;
			}
			t->secs[t->nsecs] = (struct tm_tsec){.pid = pid, .sec = sec, .calls = 1};
			q->hash[i] = (uint32_t)++t->nsecs;
			q->last = t->nsecs;
			return;
		}
		if (t->secs[k - 1].pid == pid && t->secs[k - 1].sec == sec) {
			t->secs[k - 1].calls++;
			q->last = k;
			return;
		}
	}
}

static void note_thread(struct tm_trace *t, const struct tm_proc *p, int32_t tid)
{
	size_t i;
	for (i = 0; i < t->nprocs && t->procs[i].pid != p->pid; i++)
		;
	if (i == t->nprocs && t->nprocs < TM_TRACE_PROCS) {
		t->procs[i].pid = p->pid;
		tm_proc_name(p, t->procs[i].name, sizeof(t->procs[i].name));
		t->nprocs++;
	}
	for (i = t->nthr; i > 0; i--)
		if (t->thr[i - 1].tid == tid && t->thr[i - 1].pid == p->pid)
			return;
	if (t->nthr < TM_TRACE_THREADS)
		t->thr[t->nthr++] = (struct tm_tthr){p->pid, tid};
}

void tm_trace_call(struct tm_trace *t, const struct tm_proc *p, int32_t tid, uint32_t gsym,
		   unsigned status, unsigned depth, uint64_t start_ns, uint64_t end_ns)
{
	tm_trace_count(t, p->pid, end_ns);
	struct tm_tevent e = {p->pid,
			      tid,
			      gsym,
			      (uint16_t)status,
			      (uint16_t)depth,
			      start_ns,
			      end_ns < start_ns ? start_ns : end_ns};
	t->seen++;
	if (t->n < t->max) {
		if (t->n == 0 || t->ev[t->n - 1].tid != tid || t->ev[t->n - 1].pid != p->pid)
			note_thread(t, p, tid);
		t->ev[t->n++] = e;
		return;
	}
	/* reservoir: the seen-th call replaces a kept one with probability
	 * max / seen */
	uint64_t j = rnd(t) % t->seen;
	if (j < t->max)
		t->ev[j] = e;
}

static int ev_cmp(const void *a, const void *b)
{
	const struct tm_tevent *x = a, *y = b;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	if (x->end_ns != y->end_ns)
		return x->end_ns > y->end_ns ? -1 : 1; /* the outer one first */
	return x->depth < y->depth ? -1 : x->depth > y->depth;
}

/* A JSON string literal of s (escaped by jansson). */
static void put_str(FILE *f, const char *s)
{
	json_t *j = json_string(s);
	if (!j)
		j = json_stringn(s, 0);
	char *d = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	fputs(d ? d : "\"?\"", f);
	free(d);
	json_decref(j);
}

static const char *status_name(unsigned st)
{
	static const char *const n[] = {"ok", "failed", "no_rule", "exception", "unwound"};
	return st < sizeof(n) / sizeof(n[0]) ? n[st] : "?";
}

/* Microseconds since base, to the ns. */
static void put_us(FILE *f, uint64_t base, uint64_t ns)
{
	uint64_t v = ns > base ? ns - base : 0;
	fprintf(f, "%llu.%03llu", (unsigned long long)(v / 1000), (unsigned long long)(v % 1000));
}

/* Metadata and counters after the events ("sep": whether one came before). */
static void write_meta(FILE *f, const struct tm_trace *t, uint64_t base, int sep)
{
	if (!sep) /* no event: a first entry the others can follow with a comma */
		fputs("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":0,\"tid\":0,"
		      "\"args\":{\"name\":\"tm\"}}",
		      f);
	for (size_t i = 0; i < t->nprocs; i++) {
		fprintf(f,
			",\n{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"tid\":0,"
			"\"args\":{\"name\":",
			(int)t->procs[i].pid);
		put_str(f, t->procs[i].name);
		fputs("}}", f);
	}
	for (size_t i = 0; i < t->nthr; i++)
		fprintf(f,
			",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%d,"
			"\"args\":{\"name\":\"tid %d\"}}",
			(int)t->thr[i].pid, (int)t->thr[i].tid, (int)t->thr[i].tid);
	for (size_t i = 0; i < t->nsecs; i++) {
		fprintf(f, ",\n{\"ph\":\"C\",\"name\":\"calls/s\",\"pid\":%d,\"tid\":0,\"ts\":",
			(int)t->secs[i].pid);
		put_us(f, base, t->start_mono_ns + (uint64_t)t->secs[i].sec * 1000000000ull);
		fprintf(f, ",\"args\":{\"calls\":%llu}}", (unsigned long long)t->secs[i].calls);
	}
}

int tm_trace_write(const struct tm_coll *c, struct tm_trace *t, const char *path, char *err,
		   size_t errlen)
{
	/* built in memory, then written as every output is (outfile.c):
	 * atomically, never through a planted link, 0600 */
	struct tm_out_mem mem;
	FILE *f = tm_out_mem_open(&mem, err, errlen);
	if (!f)
		return -ENOMEM;
	qsort(t->ev, t->n, sizeof(*t->ev), ev_cmp);
	/* time 0: the earliest call kept, or the collector's start (a
	 * collector started late sees calls from before it) */
	uint64_t base = t->start_mono_ns;
	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].start_ns < base)
			base = t->ev[i].start_ns;
	fprintf(f,
		"{\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"producer\":\"tm\",\"calls_seen\":%"
		"llu,"
		"\"events_written\":%zu,\"events_max\":%zu,\"sampled\":%s,\"sampling\":\"%s\","
		"\"counters_dropped_calls\":%llu},\n\"traceEvents\":[\n",
		(unsigned long long)t->seen, t->n, t->max, t->seen > t->n ? "true" : "false",
		t->seen > t->n ? "uniform sample of the timed calls (reservoir)"
			       : "every timed call",
		(unsigned long long)t->secs_dropped);
	for (size_t i = 0; i < t->n; i++) {
		const struct tm_tevent *e = &t->ev[i];
		fputs(i ? ",\n{\"ph\":\"X\",\"name\":" : "{\"ph\":\"X\",\"name\":", f);
		put_str(f, e->gsym < c->nsyms ? c->syms[e->gsym].name : "?");
		fprintf(f, ",\"cat\":\"%s\",\"pid\":%d,\"tid\":%d,\"ts\":", status_name(e->status),
			(int)e->pid, (int)e->tid);
		put_us(f, base, e->start_ns);
		fputs(",\"dur\":", f);
		uint64_t d = e->end_ns - e->start_ns;
		fprintf(f, "%llu.%03llu", (unsigned long long)(d / 1000),
			(unsigned long long)(d % 1000));
		fprintf(f, ",\"args\":{\"depth\":%u}}", (unsigned)e->depth);
	}
	write_meta(f, t, base, t->n > 0);
	fputs("\n]}\n", f);
	return tm_out_mem_close(f, &mem, path, err, errlen);
}

int tm_trace_parse_max(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > TM_TRACE_MAX_LIMIT || *s == '-')
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}
