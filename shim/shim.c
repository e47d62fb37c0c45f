/* SPDX-License-Identifier: MIT */
/* libtmshim's constructor and process lifecycle: read the configuration,
 * create the segment, install the hooks; mark the segment at exit; give a
 * fork child a segment of its own. Dormant, and costing nothing, when
 * nothing is configured. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "attach.h"
#include "shim.h"

struct tm_state tm_g;
struct tm_slot tm_slots[TM_NSTUBS];
struct tm_rule *tm_rules;

/* Returns the trampoline slot for (sym, target), creating it if new. The
 * slot is complete before any GOT points at its stub. */
int tm_slot_get(struct tm_state *g, uint32_t sym, uintptr_t target)
{
	for (uint32_t i = 0; i < g->nslots; i++)
		if (tm_slots[i].sym == sym && tm_slots[i].target == target)
			return (int)i;
	if (g->nslots >= TM_NSTUBS) {
		static int warned;
		if (!warned++)
			tm_log("tm: out of trampolines (%d); some calls are not monitored",
			       TM_NSTUBS);
		return -1;
	}
	const struct tm_rule *r = &tm_rules[sym];
	struct tm_slot *s = &tm_slots[g->nslots];
	s->target = target;
	s->sym = sym;
	s->cnt_off = (uint64_t)sym * sizeof(struct tm_cnt);
	s->mode = tm_slot_mode(r);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return (int)g->nslots++;
}

/* The shim's floor: what it reports for a function that does nothing,
 * measured in this process, on this machine, through the very path every
 * monitored call takes. An empty function of the shim's own is called
 * through a trampoline of its own; its records go to the collector flagged
 * TM_RF_INTERNAL, which reports their median as the floor and subtracts it
 * when asked (--subtract-overhead). Runs before any GOT is patched, a few
 * microseconds; never more calls than half the ring, so it cannot overflow. */
__attribute__((noinline)) static long tm_floor_target(long x)
{
	__asm__ volatile("" : "+r"(x));
	return x;
}

static void tm_floor_probe(struct tm_state *g)
{
	int id = tm_sym_get(g, "tm.floor", -1, TM_RF_INTERNAL);
	if (id < 0)
		return;
	int slot = tm_slot_get(g, (uint32_t)id, (uintptr_t)tm_floor_target);
	if (slot < 0)
		return;
	long (*f)(long) = (long (*)(long))(void *)(tm_stubs + (uintptr_t)slot * TM_STUB_SIZE);
	uint32_t n = g->ring_cap / 2 < TM_FLOOR_CALLS ? g->ring_cap / 2 : TM_FLOOR_CALLS;
	long s = 0;
	for (uint32_t i = 0; i < n; i++)
		s += f((long)i);
	__asm__ volatile("" : : "r"(s));
}

static void tm_on_exit(int status, void *arg)
{
	(void)arg;
	if (tm_g.seg && tm_g.seg_pid == getpid())
		tm_seg_mark_exit(tm_g.seg, status & 0xff);
}

/* The private shadow stacks, one per thread slot: anonymous private memory,
 * so only this process can write them. Here only their owner words and
 * addresses; each stack is mapped by the first thread that takes it (a
 * thread that nests a few calls deep touches one page of it). Threads past
 * pool_n live ones use the small stack in TLS. */
int tm_pool_init(struct tm_state *g)
{
	g->pool_n = g->max_threads;
	/* the frames, then what each captured (struct tm_tls.args) */
	g->pool_stride = tm_align_up(
		(uint64_t)g->stack_cap * (sizeof(struct tm_frame) + sizeof(struct tm_capv)), 4096);
	g->pool_size = tm_align_up((uint64_t)g->pool_n * (sizeof(uint64_t) + sizeof(void *)), 4096);
	void *m = tm_map(-1, 0, g->pool_size);
	if (!m) {
		g->pool = NULL;
		return -1;
	}
	g->pool = m;
	return 0;
}

static int tm_alloc_tables(struct tm_state *g)
{
	size_t sz = (size_t)g->max_syms * (sizeof(struct tm_symdef) + sizeof(struct tm_rule));
	void *m = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	tm_rules = m;
	g->syms = (struct tm_symdef *)((char *)m + (size_t)g->max_syms * sizeof(struct tm_rule));
	return 0;
}

void tm_setup(void)
{
	struct tm_state *g = &tm_g;
	Dl_info self;

	/* set-user-ID, set-group-ID or file capabilities: the environment
	 * belongs to someone less privileged than the process; a privileged
	 * process must not write where it names. Quietly unmonitored. */
	if (getauxval(AT_SECURE))
		return;
	if (tm_config_load(g) < 0)
		return;
	if (dladdr((void *)tm_setup, &self))
		g->self_base = (uintptr_t)self.dli_fbase;
	g->main_handle = dlopen(NULL, RTLD_LAZY);
	g->clock_kind = (uint32_t)tm_clock_init();
	/* TM_HOTPATH=c: timed calls take the C hooks, not tramp.S's fast path
	 * (a test and debugging switch: both must record the same) */
	const char *hot = tm_env("TM_HOTPATH");
	g->fast = g->clock_kind == TM_CLOCK_TSC && !(hot && strcmp(hot, "c") == 0);
	if (tm_alloc_tables(g) < 0) {
		tm_log("tm: out of memory; not monitoring");
		return;
	}
	tm_declare_patterns(g);
	for (uint32_t i = 0; i < g->npatterns; i++)
		if (g->patterns[i].count_only || g->patterns[i].sample > 1)
			g->counters = 1;
	if (tm_pool_init(g) < 0)
		tm_log("tm: no memory for shadow stacks; calls nest at most %d deep",
		       TM_NOSLOT_STACK);
	if (tm_seg_create(g) < 0)
		return;
	on_exit(tm_on_exit, NULL);
	tm_fork_install();
	tm_exec_install();
	g->active = 1;
	tm_floor_probe(g);
	tm_got_patch_all(g);
}

/* The host never sees errno change because of us, not even before main.
 * What is wrong with the configuration is said once per session, not by
 * every process of a make: the lines of the setup are held, then released. */
__attribute__((constructor)) static void tm_init(void)
{
	int saved = errno;
	if (!tm_attach_loading()) { /* tmrun --attach configures it by file */
		tm_g.hold = 1;
		tm_setup();
		tm_log_release(&tm_g);
	}
	errno = saved;
}
