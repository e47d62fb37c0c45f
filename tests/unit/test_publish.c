/* SPDX-License-Identifier: MIT */
/* The shim's symbol entries as a collector reading at any moment sees them
 * (shim/symtab.c, shim/segment.c). The collector takes an entry's name and
 * its first-sight flags the first time it reads it (collector/drain.c,
 * tm_proc_sync_syms), at any instruction of the shim. So a child runs the
 * shim's publications one instruction at a time under ptrace, and after
 * every instruction the parent reads the entries the header counts: each
 * must already say what it says at the end. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach.h"
#include "shim.h"

struct tm_state tm_g;
struct tm_rule *tm_rules;

/* what the two modules use of the rest of the shim */
void tm_log(const char *fmt, ...)
{
	(void)fmt;
}

void *tm_map(int fd, uint64_t off, uint64_t len)
{
	(void)fd, (void)off, (void)len;
	return NULL;
}

void tm_unmap(void *addr, uint64_t len)
{
	(void)addr, (void)len;
}

int tm_populate(void *addr, uint64_t len)
{
	(void)addr, (void)len;
	return 0;
}

int tm_populate_cnt(const struct tm_state *g, struct tm_thread *thr)
{
	(void)g, (void)thr;
	return 0;
}

uint64_t tm_starttime_of(long pid)
{
	(void)pid;
	return 0;
}

/* pattern 0 has a slow threshold, the others no rule */
int tm_config_rule(struct tm_state *g, const char *name, int pat, struct tm_rule *out)
{
	(void)g, (void)name;
	memset(out, 0, sizeof(*out));
	if (pat == 0)
		out->slow_ns = 5000;
	return 0;
}

#define NSYMS 8
/* what the collector takes of an entry once (drain.c) */
#define FIRST_SIGHT                                                                                \
	(TM_RF_INTERNAL | TM_RF_GLOB | TM_RF_GROUP_MASK | TM_RF_BYTES | TM_RF_ARGBYTES |           \
	 TM_RF_SAMPLED | TM_RF_COUNT)

static const struct {
	const char *name;
	uint32_t flags; /* of FIRST_SIGHT */
	uint64_t slow_ns;
} final[] = {
	{"phase_work", 0, 5000},
	{"ph*", TM_RF_GLOB, 0},
	{"tm.floor", TM_RF_INTERNAL, 0},
};
#define NFINAL (sizeof(final) / sizeof(final[0]))

static struct tm_symdef defs[NSYMS];
static struct tm_rule rules[NSYMS];

static struct tm_seg_header *setup(void)
{
	struct tm_state *g = &tm_g;
	void *m = mmap(NULL, 4096 + NSYMS * sizeof(struct tm_wire_sym), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert(m != MAP_FAILED);
	memset(g, 0, sizeof(*g));
	g->seg = m;
	g->syms_off = 4096;
	g->max_syms = NSYMS;
	g->syms = defs;
	tm_rules = rules;
	g->npatterns = 2;
	snprintf(g->patterns[0].name, sizeof(g->patterns[0].name), "phase_work");
	snprintf(g->patterns[1].name, sizeof(g->patterns[1].name), "ph*");
	g->patterns[1].glob = 1;
	return m;
}

/* The shim's publications in the order it makes them: the patterns'
 * symbols, the floor's (shim.c), a function found and patched, a claim
 * (got.c), the patterns declared again and every entry republished
 * (attach.c). */
static void publish_all(struct tm_state *g)
{
	tm_declare_patterns(g);
	tm_sym_get(g, "tm.floor", -1, TM_RF_INTERNAL);
	tm_sym_found(g, 0, TM_RF_PATCHED);
	snprintf(g->syms[0].object, sizeof(g->syms[0].object), "libphase.so");
	tm_seg_publish_sym(g, 0);
	g->syms[1].flags |= TM_RF_CLAIMED;
	g->syms[1].claimed_by = 1;
	tm_seg_publish_sym(g, 1);
	tm_declare_patterns(g);
	for (uint32_t i = 0; i < g->nsyms; i++)
		tm_seg_publish_sym(g, i);
}

/* The entries child `pid` has published, as a reader sees them now; fails
 * at the first that differs from what it will say. */
static uint32_t check(pid_t pid, const struct tm_seg_header *h, unsigned long step,
		      unsigned long *seen)
{
	struct tm_seg_header ch;
	struct tm_wire_sym ws[NSYMS];
	struct iovec l = {&ch, sizeof(ch)}, r = {(void *)h, sizeof(ch)};
	cr_assert_eq(process_vm_readv(pid, &l, 1, &r, 1, 0), (ssize_t)sizeof(ch));
	uint32_t n = atomic_load_explicit(&ch.nsyms, memory_order_relaxed);
	cr_assert_leq(n, NFINAL, "step %lu: %u entries", step, n);
	if (!n)
		return 0;
	l = (struct iovec){ws, n * sizeof(ws[0])};
	r = (struct iovec){(char *)h + 4096, n * sizeof(ws[0])};
	cr_assert_eq(process_vm_readv(pid, &l, 1, &r, 1, 0), (ssize_t)(n * sizeof(ws[0])));
	for (uint32_t i = 0; i < n; i++) {
		ws[i].name[sizeof(ws[i].name) - 1] = '\0';
		cr_assert_str_eq(ws[i].name, final[i].name, "step %lu: entry %u named '%s'", step,
				 i, ws[i].name);
		cr_assert_eq(ws[i].flags & FIRST_SIGHT, final[i].flags,
			     "step %lu: entry %u (%s) flags %#x", step, i, final[i].name,
			     ws[i].flags);
		cr_assert_eq(ws[i].slow_ns, final[i].slow_ns, "step %lu: entry %u slow_ns %llu",
			     step, i, (unsigned long long)ws[i].slow_ns);
		seen[i]++;
	}
	return n;
}

Test(publish, entries_never_seen_half_written)
{
	struct tm_seg_header *h = setup();
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(4); /* not traceable here: said below */
		raise(SIGSTOP);
		publish_all(&tm_g);
		_exit(tm_g.nsyms == NFINAL ? 0 : 3);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(!WIFEXITED(st) || WEXITSTATUS(st) != 4, "PTRACE_TRACEME refused");
	cr_assert(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "child did not stop");
	/* a failed check ends this process: the child goes with it */
	cr_assert_eq(ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_EXITKILL), 0);
	unsigned long step = 0, seen[NFINAL] = {0};
	uint32_t last = 0;
	for (;;) {
		last = check(pid, h, step, seen);
		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) < 0) {
			kill(pid, SIGKILL);
			cr_assert_fail("PTRACE_SINGLESTEP: %s", strerror(errno));
		}
		cr_assert_eq(waitpid(pid, &st, 0), pid);
		step++;
		if (WIFEXITED(st))
			break;
		if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			cr_assert_fail("child stopped by signal %d at step %lu", WSTOPSIG(st),
				       step);
		}
	}
	cr_assert_eq(WEXITSTATUS(st), 0);
	/* the watch saw every entry, over the republishing too */
	cr_assert_eq(last, NFINAL);
	for (unsigned i = 0; i < NFINAL; i++)
		cr_assert_gt(seen[i], 1000, "entry %u visible at only %lu steps", i, seen[i]);
	cr_log_info("%lu instructions watched", step);
}
