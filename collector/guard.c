/* SPDX-License-Identifier: MIT */
/* Surviving a segment that changes under us. A mapped page stops being
 * backed when a hostile process truncates the file, or cannot be backed
 * when tmpfs is full; touching it raises SIGBUS. Every access to a mapping
 * runs inside tm_guard_run(): a SIGBUS at an address inside the guarded
 * range, raised while this thread is inside the guard, jumps back out of
 * it and the caller abandons that segment. Any other SIGBUS (another
 * thread, another address, one sent with kill) gets the action it would
 * have had without us. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>

#include "collector.h"

struct tm_guard {
	sigjmp_buf jb;
	const char *lo, *hi; /* [lo, hi): the mapping this guard covers */
	struct tm_guard *prev;
};

/* initial-exec: read from the signal handler, which must not allocate */
static __thread struct tm_guard *volatile guard_top __attribute__((tls_model("initial-exec")));
static struct sigaction old_bus;
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;

static void on_bus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	/* si_code > 0: raised by the kernel for a faulting access */
	if (si->si_code > 0) {
		for (struct tm_guard *g = guard_top; g; g = g->prev) {
			const char *a = si->si_addr;
			if (a >= g->lo && a < g->hi)
				siglongjmp(g->jb, 1);
		}
	}
	/* not ours: what would have happened without this handler. A fault
	 * returns to the access, which faults again under the old action. */
	sigaction(SIGBUS, &old_bus, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

static void guard_install(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_bus;
	/* NODEFER: SIGBUS stays unblocked after the jump, so sigsetjmp need
	 * not save the mask (a system call per guard otherwise) */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
}

int tm_guard_run(const void *base, size_t len, void (*fn)(void *), void *arg)
{
	struct tm_guard g;
	pthread_once(&guard_once, guard_install);
	g.lo = base;
	g.hi = (const char *)base + len;
	g.prev = guard_top;
	if (sigsetjmp(g.jb, 0)) {
		guard_top = g.prev;
		return -EFAULT;
	}
	guard_top = &g;
	fn(arg);
	guard_top = g.prev;
	return 0;
}
