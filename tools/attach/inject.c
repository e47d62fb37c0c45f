/* SPDX-License-Identifier: MIT */
/* Making a running process call a function: ptrace borrows one thread at a
 * point where it holds no lock of libc or of the dynamic linker, and makes
 * it call fn(str, arg) on its own stack, with a return address that is
 * libc's signal restorer and, above it, a signal frame holding the thread's
 * registers, signal mask and FPU state as they were. When the call returns,
 * rt_sigreturn puts all of it back: the thread restores itself, whether or
 * not the attacher is still there (killed at any step, the kernel detaches
 * it and it finishes on its own). The attacher follows the call with
 * PTRACE_SYSCALL only to know when it is over.
 *
 *   higher addresses
 *   | thread's stack as it was        |  <- rsp (interrupted)
 *   | red zone (128 B), slack         |
 *   | strings: fn's argument          |
 *   | FPU/xstate image + magic2       |  64-byte aligned (uc_mcontext.fpstate)
 *   | struct rt_sigframe: uc, info    |
 *   | pretcode = restorer             |  <- rsp at fn's entry (F, F % 16 == 8)
 *   lower: fn's own frames
 */
#include <cpuid.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"

/* The kernel's x86-64 signal frame (arch/x86/include/uapi/asm/sigcontext.h,
 * asm/sigframe.h), not glibc's ucontext_t. */
struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate, reserved1[8];
};
struct k_ucontext {
	uint64_t uc_flags, uc_link;
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
	struct k_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};
struct k_rt_sigframe {
	uint64_t pretcode;
	struct k_ucontext uc;
	unsigned char info[128];
};
_Static_assert(sizeof(struct k_sigcontext) == 256, "kernel sigcontext");
_Static_assert(offsetof(struct k_ucontext, uc_mcontext) == 40, "kernel ucontext");

#define UC_FP_XSTATE	      1
#define UC_SIGCONTEXT_SS      2
#define UC_STRICT_RESTORE_SS  4
#define TM_XSTATE_MAGIC1      0x46505853u
#define TM_XSTATE_MAGIC2      0x46505845u
#define TM_XSTATE_MAX	      (64 * 1024)
#define TM_STACK_NEEDED	      (256 * 1024) /* below the frame, for dlopen and the shim */
#define TM_CALL_TIMEOUT_NS    (10ull * 1000000000ull)
#define ERESTARTSYS	      512
#define ERESTARTNOINTR	      513
#define ERESTARTNOHAND	      514
#define ERESTART_RESTARTBLOCK 516

void tm_attach_step(const char *step)
{
	const char *k = getenv("TM_ATTACH_KILL_AT");
	if (k && strcmp(k, step) == 0)
		kill(getpid(), SIGKILL);
	k = getenv("TM_ATTACH_STOP_AT"); /* the test continues us with SIGCONT */
	if (k && strcmp(k, step) == 0)
		kill(getpid(), SIGSTOP);
}

static uint64_t tm_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* How good a thread blocked in syscall `nr` is to borrow: 3, no lock of
 * libc held and the call restarts by itself; 2, the same but the restart
 * is ours (calls that return EINTR to a stop, or that restart through the
 * restart block, which rt_sigreturn clears: re-issued, a relative timeout
 * starts again); 0, it may be inside libc holding a lock (mmap from
 * malloc, a lock's futex wait). */
static int tm_sys_score(long nr, const uint64_t *a)
{
	switch (nr) {
	case 0:
	case 1:
	case 17:
	case 18:
	case 19:
	case 20: /* read write pread pwrite readv writev */
	case 42:
	case 43:
	case 44:
	case 45:
	case 46:
	case 47: /* connect accept send/recv */
	case 61:
	case 247:
	case 34:
	case 130: /* wait4 waitid pause rt_sigsuspend */
	case 288:
	case 295:
	case 296:
	case 299:
	case 307: /* accept4 preadv pwritev r/sendmmsg */
	case 70:
	case 72:
	case 73: /* msgrcv fcntl(F_SETLKW) flock */ return 3;
	case 7:
	case 23:
	case 270:
	case 271: /* poll select pselect6 ppoll */
	case 35:
	case 230: /* nanosleep clock_nanosleep */
	case 232:
	case 281:
	case 441: /* epoll_wait epoll_pwait epoll_pwait2 */
	case 128:
	case 65:
	case 220: /* rt_sigtimedwait semop semtimedop */ return 2;
	case 202: { /* futex: a condition, semaphore or join wait, not a lock */
		unsigned op = (unsigned)a[1] & ~(128u | 256u); /* PRIVATE, CLOCK_REALTIME */
		if (op == 9) /* FUTEX_WAIT_BITSET: absolute time */
			return 3;
		if (op == 0 && (uint32_t)a[2] != 2) /* FUTEX_WAIT, not a contended lock */
			return 2;
		return 0;
	}
	}
	return 0;
}

/* Calls that return -EINTR (not a restart code) when a stop interrupts
 * them (signal(7)): the one thread we stop gets them restarted. */
static int tm_sys_eintr_on_stop(long nr)
{
	return nr == 232 || nr == 281 || nr == 441 || nr == 128 || nr == 65 || nr == 220;
}

struct tm_cand {
	pid_t tid;
	int score;
};

static int tm_list_tasks(pid_t pid, pid_t *out, int max)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	int n = 0;
	for (struct dirent *e; n < max && (e = readdir(d));)
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
			out[n++] = (pid_t)atoi(e->d_name);
	closedir(d);
	return n;
}

/* Threads in the order to try them: blocked in a good syscall first. */
static int tm_candidates(pid_t pid, struct tm_cand *c, int max)
{
	char path[96], buf[512];
	pid_t tids[512];
	int nt = tm_list_tasks(pid, tids, 512), n = 0;
	for (int i = 0; i < nt && n < max; i++) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)tids[i]);
		FILE *f = fopen(path, "re");
		int score = 1; /* running or in user code: checked once stopped */
		if (f) {
			if (fgets(buf, sizeof(buf), f) && buf[0] != 'r' && buf[0] != '-') {
				long nr = strtol(buf, NULL, 10);
				uint64_t a[6] = {0};
				char *p = strchr(buf, ' ');
				for (int k = 0; k < 6 && p; k++)
					a[k] = strtoull(p, &p, 16);
				score = tm_sys_score(nr, a);
			}
			fclose(f);
		}
		if (score > 0)
			c[n++] = (struct tm_cand){tids[i], score};
	}
	for (int i = 1; i < n; i++) /* insertion sort, best first */
		for (int k = i; k > 0 && c[k].score > c[k - 1].score; k--) {
			struct tm_cand x = c[k];
			c[k] = c[k - 1];
			c[k - 1] = x;
		}
	return n;
}

/* One borrowed thread and what it was doing. */
struct tm_borrow {
	pid_t pid, tid;
	struct user_regs_struct orig; /* at the stop */
	struct user_regs_struct back; /* what the thread resumes with */
	uint64_t mask;
	unsigned char *xs;	/* the thread's xstate as ptrace gives it */
	unsigned char *fx;	/* the same as a signal frame carries it */
	size_t xs_len, xs_size; /* ptrace's length; the xstate size of a frame */
	uint64_t stopped_ns;	/* CLOCK_MONOTONIC when it stopped */
};

/* Detaches a thread we trace. PTRACE_DETACH works only on a stopped
 * tracee: if it is running (it should not be, but a thread left traced
 * would stop at its next signal with nobody to let it go), it is
 * interrupted first; a signal met on the way is handed back to it. */
static void tm_let_go(pid_t tid, int sig)
{
	for (int k = 0; k < 8; k++) {
		if (ptrace(PTRACE_DETACH, tid, 0, sig) == 0 || errno != ESRCH)
			return;
		if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0)
			return; /* gone, or not ours */
		int st;
		if (waitpid(tid, &st, __WALL) != tid || !WIFSTOPPED(st))
			return;
		if ((st >> 16) == 0 && WSTOPSIG(st) != (SIGTRAP | 0x80))
			sig = WSTOPSIG(st); /* a signal-delivery stop: deliver it */
	}
}

static int tm_stop_thread(pid_t tid)
{
	if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXIT) < 0)
		return -errno;
	tm_attach_step("seized");
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0) {
		int e = errno;
		tm_let_go(tid, 0);
		return -e;
	}
	int st;
	if (waitpid(tid, &st, __WALL) != tid)
		return -ESRCH;
	if (!WIFSTOPPED(st))
		return -ESRCH; /* exited */
	if ((st >> 16) == PTRACE_EVENT_EXIT) {
		tm_let_go(tid, 0);
		return -ESRCH;
	}
	if ((st >> 16) != PTRACE_EVENT_STOP) {
		/* a signal was on its way: deliver it, try another thread */
		tm_let_go(tid, WSTOPSIG(st));
		return -EAGAIN;
	}
	return 0;
}

/* The registers the thread resumes with: an interrupted system call is
 * set up to run again, as the kernel would have done (rt_sigreturn does
 * not restart calls). */
static void tm_resume_regs(struct tm_borrow *b)
{
	b->back = b->orig;
	long nr = (long)b->orig.orig_rax, rax = (long)b->orig.rax;
	if (nr < 0)
		return;
	if (rax == -ERESTARTSYS || rax == -ERESTARTNOINTR || rax == -ERESTARTNOHAND ||
	    rax == -ERESTART_RESTARTBLOCK || (rax == -EINTR && tm_sys_eintr_on_stop(nr))) {
		b->back.rip -= 2; /* the syscall instruction */
		b->back.rax = (uint64_t)nr;
	}
}

/* Lets a thread we stopped (and made no call on) go, as it was: an
 * interrupted system call is restarted by the kernel itself, except the
 * calls that a stop makes return EINTR, which we restart. */
static void tm_release(struct tm_borrow *b)
{
	long nr = (long)b->orig.orig_rax;
	if (nr >= 0 && (long)b->orig.rax == -EINTR && tm_sys_eintr_on_stop(nr))
		ptrace(PTRACE_SETREGS, b->tid, 0, &b->back);
	tm_let_go(b->tid, 0);
}

static int tm_mem_read(pid_t pid, uintptr_t addr, void *buf, size_t len)
{
	struct iovec l = {buf, len}, r = {(void *)addr, len};
	return process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -1;
}

static int tm_mem_write(pid_t pid, uintptr_t addr, const void *buf, size_t len)
{
	struct iovec l = {(void *)buf, len}, r = {(void *)addr, len};
	return process_vm_writev(pid, &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -1;
}

/* The mapping holding `a` in the target: [lo, hi). */
static int tm_mapping_of(pid_t pid, uintptr_t a, uintptr_t *lo, uintptr_t *hi, int *is_stack)
{
	char path[64], line[4400];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int rc = -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long l, h;
		if (sscanf(line, "%lx-%lx", &l, &h) != 2 || a < l || a >= h)
			continue;
		*lo = l;
		*hi = h;
		*is_stack = strstr(line, "[stack]") != NULL;
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

static int in(const struct tm_obj_map *o, uintptr_t a)
{
	return o->found && a >= o->lo && a < o->hi;
}

/* Can this stopped thread run dlopen now? Not inside the dynamic linker,
 * libc (except blocked in a syscall that holds no lock) or the shim, not
 * inside a signal handler (a signal frame with libc's restorer above it on
 * its stack), and with room on its stack. */
static int tm_safe_point(const struct tm_target *t, struct tm_borrow *b, char *why, size_t len)
{
	const struct user_regs_struct *r = &b->orig;
	uint64_t a[6] = {r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9};
	int in_sys = (long)r->orig_rax >= 0;
	if (in(&t->ld, r->rip)) {
		snprintf(why, len, "inside the dynamic linker");
		return 0;
	}
	if (in(&t->shim, r->rip)) {
		snprintf(why, len, "inside libtmshim");
		return 0;
	}
	if (in_sys && tm_sys_score((long)r->orig_rax, a) == 0) {
		snprintf(why, len, "in system call %ld", (long)r->orig_rax);
		return 0;
	}
	if (!in_sys && in(&t->libc, r->rip)) {
		snprintf(why, len, "running inside libc");
		return 0;
	}
	uintptr_t lo, hi;
	int is_stack = 0;
	if (tm_mapping_of(t->pid, r->rsp, &lo, &hi, &is_stack) < 0 ||
	    (!is_stack && r->rsp - lo < TM_STACK_NEEDED + TM_XSTATE_MAX) ||
	    /* the main stack grows as its thread touches it, but not for our
	     * writes (process_vm_writev does not extend it): the frame must fit
	     * in what is mapped */
	    (is_stack && r->rsp - lo < TM_XSTATE_MAX)) {
		snprintf(why, len, "too little stack");
		return 0;
	}
	/* the frame's place must be mapped (process_vm_writev does not grow a
	 * stack): read it once */
	static unsigned char probe[TM_XSTATE_MAX];
	if (tm_mem_read(t->pid, r->rsp - sizeof(probe), probe, sizeof(probe)) < 0) {
		snprintf(why, len, "with its stack below rsp not mapped");
		return 0;
	}
	size_t span = hi - r->rsp < 128 * 1024 ? hi - r->rsp : 128 * 1024;
	uint64_t *w = malloc(span);
	int handler = 0;
	if (w && tm_mem_read(t->pid, r->rsp & ~(uintptr_t)7, w, span & ~(size_t)7) == 0)
		for (size_t k = 0; k < span / 8; k++)
			if (w[k] == t->restorer) {
				handler = 1;
				break;
			}
	free(w);
	if (!w || handler) {
		snprintf(why, len, w ? "inside a signal handler" : "out of memory");
		return 0;
	}
	return 1;
}

/* The signal frame's FPU image: ptrace's xstate (standard format) with the
 * software bytes a frame carries (ptrace puts XCR0 there instead), sized
 * for the features every thread may use (CPUID leaf 0xD). A thread using
 * AMX tiles is not borrowed (their state is sized per thread). */
static int tm_frame_xstate(struct tm_borrow *b)
{
	uint64_t xcr0, inuse;
	if (b->xs_len < 576)
		return -1;
	memcpy(&xcr0, b->xs + 464, 8);
	memcpy(&inuse, b->xs + 512, 8);
	if (inuse & (1ull << 18))
		return -1;
	uint64_t feat = xcr0 & ~(1ull << 18);
	size_t size = 576;
	for (unsigned i = 2; i < 63; i++) {
		unsigned eax, ebx, ecx, edx;
		if (!(feat & (1ull << i)))
			continue;
		__cpuid_count(0xd, i, eax, ebx, ecx, edx);
		if ((size_t)ebx + eax > size)
			size = (size_t)ebx + eax;
	}
	if (size > b->xs_len)
		return -1;
	memcpy(b->fx, b->xs, size);
	struct {
		uint32_t magic1, extended_size;
		uint64_t xfeatures;
		uint32_t xstate_size, pad[7];
	} sw = {TM_XSTATE_MAGIC1, (uint32_t)size + 4, feat, (uint32_t)size, {0}};
	_Static_assert(sizeof(sw) == 48, "struct _fpx_sw_bytes");
	memcpy(b->fx + 464, &sw, sizeof(sw));
	b->xs_size = size;
	return 0;
}

static int tm_borrow_state(struct tm_borrow *b)
{
	if (ptrace(PTRACE_GETREGS, b->tid, 0, &b->orig) < 0 ||
	    ptrace(PTRACE_GETSIGMASK, b->tid, sizeof(b->mask), &b->mask) < 0)
		return -1;
	struct iovec iov = {b->xs, TM_XSTATE_MAX};
	if (ptrace(PTRACE_GETREGSET, b->tid, NT_X86_XSTATE, &iov) < 0)
		return -1;
	b->xs_len = iov.iov_len;
	tm_resume_regs(b);
	/* a call our stop made return EINTR restarts even if we die now */
	long nr = (long)b->orig.orig_rax;
	if (nr >= 0 && (long)b->orig.rax == -EINTR && tm_sys_eintr_on_stop(nr))
		ptrace(PTRACE_SETREGS, b->tid, 0, &b->back);
	tm_attach_step("stopped");
	return tm_frame_xstate(b);
}

/* Stops the threads one at a time until one is at a safe point; the others
 * are let go as they were. Up to ~1 s of tries. */
static int tm_borrow(const struct tm_target *t, struct tm_borrow *b, char *why, size_t len)
{
	char last[128] = "no thread";
	for (int round = 0; round < 200; round++) {
		struct tm_cand c[512];
		int n = tm_candidates(t->pid, c, 512);
		if (n == 0 && round == 0) {
			snprintf(last, sizeof(last),
				 "every thread is in a system call made inside libc");
		}
		for (int i = 0; i < n; i++) {
			b->tid = c[i].tid;
			int e = tm_stop_thread(b->tid);
			if (e == -EPERM) {
				tm_proc_perm_reason(t->pid, why, len);
				return TM_INJ_REFUSED;
			}
			if (e < 0)
				continue;
			if (tm_borrow_state(b) < 0) {
				tm_resume_regs(b);
				tm_release(b);
				snprintf(
					last, sizeof(last),
					"thread %d: its registers or FPU state (AMX tiles in use?) "
					"cannot be saved",
					(int)b->tid);
				continue;
			}
			char r[96];
			b->stopped_ns = tm_now_ns();
			if (tm_safe_point(t, b, r, sizeof(r)))
				return TM_INJ_OK;
			snprintf(last, sizeof(last), "thread %d was %s", (int)b->tid, r);
			tm_release(b);
		}
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d", (int)t->pid);
		if (access(p, F_OK) < 0)
			return TM_INJ_EXITED;
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL); /* let the threads move on, then look again */
	}
	snprintf(why, len,
		 "process %d: no thread reached a point where it could be borrowed safely in 1 s "
		 "(last: %s); nothing was changed",
		 (int)t->pid, last);
	return TM_INJ_REFUSED;
}

/* Writes the frame and the argument below the thread's stack pointer and
 * points the thread at fn. *frame: the F of the picture above. */
static int tm_setup_call(const struct tm_target *t, struct tm_borrow *b, uintptr_t fn,
			 const char *str, uint64_t arg, uintptr_t *frame)
{
	uintptr_t top = b->orig.rsp - 128 - 256;
	size_t sl = strlen(str) + 1;
	uintptr_t s_addr = (top - sl) & ~(uintptr_t)15;
	uintptr_t fp = (s_addr - (b->xs_size + 4)) & ~(uintptr_t)63;
	uintptr_t f = ((fp - sizeof(struct k_rt_sigframe)) & ~(uintptr_t)15) - 8;

	struct k_rt_sigframe fr;
	memset(&fr, 0, sizeof(fr));
	const struct user_regs_struct *r = &b->back;
	fr.pretcode = t->restorer;
	fr.uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	fr.uc.ss_flags = 3; /* not a valid mode: rt_sigreturn leaves the altstack alone */
	struct k_sigcontext *sc = &fr.uc.uc_mcontext;
	sc->r8 = r->r8, sc->r9 = r->r9, sc->r10 = r->r10, sc->r11 = r->r11;
	sc->r12 = r->r12, sc->r13 = r->r13, sc->r14 = r->r14, sc->r15 = r->r15;
	sc->rdi = r->rdi, sc->rsi = r->rsi, sc->rbp = r->rbp, sc->rbx = r->rbx;
	sc->rdx = r->rdx, sc->rax = r->rax, sc->rcx = r->rcx, sc->rsp = r->rsp;
	sc->rip = r->rip, sc->eflags = r->eflags;
	sc->cs = (uint16_t)r->cs, sc->ss = (uint16_t)r->ss;
	sc->fpstate = fp;
	fr.uc.uc_sigmask = b->mask;

	uint32_t magic2 = TM_XSTATE_MAGIC2;
	if (tm_mem_write(t->pid, s_addr, str, sl) < 0 ||
	    tm_mem_write(t->pid, fp, b->fx, b->xs_size) < 0 ||
	    tm_mem_write(t->pid, fp + b->xs_size, &magic2, 4) < 0 ||
	    tm_mem_write(t->pid, f, &fr, sizeof(fr)) < 0)
		return -1;
	tm_attach_step("frame");

	struct user_regs_struct c = b->orig;
	c.rip = fn;
	c.rdi = s_addr;
	c.rsi = arg;
	c.rsp = f;
	c.rax = 0;
	c.orig_rax = (uint64_t)-1;		/* no syscall restart on the way out of this stop */
	c.eflags &= ~(uint64_t)(0x400 | 0x100); /* DF and TF clear at a call */
	if (ptrace(PTRACE_SETREGS, b->tid, 0, &c) < 0)
		return -1;
	tm_attach_step("regs");
	/* The call starts with the floating-point control state a signal
	 * handler starts with (x87 control word 0x37f, MXCSR 0x1f80: every
	 * exception masked, round to nearest, no flush to zero), not the
	 * program's: a program that unmasked an exception or changed the
	 * rounding would otherwise run dlopen and the shim's set-up under it
	 * (a SIGFPE on the first inexact result). The frame's rt_sigreturn
	 * (or tm_undo) puts the program's own state back, whatever happens
	 * from here. */
	struct user_fpregs_struct fpu;
	if (ptrace(PTRACE_GETFPREGS, b->tid, 0, &fpu) == 0) {
		fpu.cwd = 0x37f;
		fpu.swd = 0;
		fpu.ftw = 0; /* every x87 register empty */
		fpu.mxcsr = 0x1f80 & (fpu.mxcr_mask ? fpu.mxcr_mask : 0xffbf);
		ptrace(PTRACE_SETFPREGS, b->tid, 0, &fpu);
	}
	/* signals wait until the call is over (rt_sigreturn restores the mask) */
	uint64_t all = ~0ull;
	ptrace(PTRACE_SETSIGMASK, b->tid, sizeof(all), &all);
	*frame = f;
	return 0;
}

/* The call faulted: put everything back as it was and swallow the fault. */
static void tm_undo(struct tm_borrow *b)
{
	struct iovec iov = {b->xs, b->xs_len};
	ptrace(PTRACE_SETREGSET, b->tid, NT_X86_XSTATE, &iov);
	ptrace(PTRACE_SETSIGMASK, b->tid, sizeof(b->mask), &b->mask);
	ptrace(PTRACE_SETREGS, b->tid, 0, &b->back);
}

/* Follows the call from syscall stop to syscall stop until its
 * rt_sigreturn (from the frame at f) has run: the thread is then stopped
 * with its own registers again. */
static int tm_follow(struct tm_borrow *b, uintptr_t f, const char *step, char *why, size_t len)
{
	uint64_t t0 = tm_now_ns();
	int sig = 0, returning = 0, nstops = 0;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, b->tid, 0, sig) < 0)
			return TM_INJ_EXITED;
		sig = 0;
		int st;
		if (waitpid(b->tid, &st, __WALL) != b->tid || !WIFSTOPPED(st))
			return TM_INJ_EXITED;
		if (++nstops == 1)
			tm_attach_step(step);
		int event = st >> 16, s = WSTOPSIG(st);
		if (event == PTRACE_EVENT_EXIT) {
			tm_let_go(b->tid, 0);
			return TM_INJ_EXITED;
		}
		if (event == PTRACE_EVENT_STOP) { /* the process was stopped: wait */
			ptrace(PTRACE_LISTEN, b->tid, 0, 0);
			continue;
		}
		if (s == (SIGTRAP | 0x80)) {
			if (returning)
				return TM_INJ_OK; /* rt_sigreturn's exit: the thread is itself */
			struct __ptrace_syscall_info si;
			if (ptrace(PTRACE_GET_SYSCALL_INFO, b->tid, sizeof(si), &si) > 0 &&
			    si.op == PTRACE_SYSCALL_INFO_ENTRY && si.entry.nr == 15 &&
			    si.stack_pointer == f + 8)
				returning = 1;
			if (tm_now_ns() - t0 > TM_CALL_TIMEOUT_NS) {
				/* it finishes, and restores itself, without us */
				tm_let_go(b->tid, 0);
				snprintf(why, len,
					 "the call in process %d has not returned after 10 s; "
					 "it finishes on its own",
					 (int)b->pid);
				return TM_INJ_PENDING;
			}
			continue;
		}
		if (s == SIGSEGV || s == SIGBUS || s == SIGILL || s == SIGFPE || s == SIGSYS ||
		    s == SIGTRAP) {
			tm_undo(b);
			tm_let_go(b->tid, 0);
			snprintf(why, len,
				 "the call in process %d raised signal %d; undone (registers, mask "
				 "and FPU state put back)",
				 (int)b->pid, s);
			return TM_INJ_FAILED;
		}
		sig = s; /* another signal (SIGSTOP...): it goes on to the thread */
	}
}

/* One call on the borrowed (stopped) thread; it stays stopped after. */
static int tm_call(const struct tm_target *t, struct tm_borrow *b, uintptr_t fn, const char *str,
		   uint64_t arg, const char *stage, char *why, size_t len)
{
	uintptr_t f;
	char step[64];
	snprintf(step, sizeof(step), "%s-frame", stage);
	tm_attach_step(step);
	if (tm_setup_call(t, b, fn, str, arg, &f) < 0) {
		int e = errno;
		tm_release(b);
		snprintf(why, len,
			 "process %d: cannot write the call's frame on thread %d's stack: %s",
			 (int)t->pid, (int)b->tid, strerror(e));
		return TM_INJ_RETRY; /* nothing ran: another thread, or later */
	}
	snprintf(step, sizeof(step), "%s-call", stage);
	int rc = tm_follow(b, f, step, why, len);
	if (rc == TM_INJ_OK) {
		struct user_regs_struct now;
		ptrace(PTRACE_GETREGS, b->tid, 0, &now);
		if (now.rip != b->back.rip || now.rsp != b->back.rsp) {
			tm_undo(b);
			tm_let_go(b->tid, 0);
			snprintf(why, len,
				 "process %d: the thread did not come back as expected; "
				 "its registers were put back",
				 (int)t->pid);
			return TM_INJ_FAILED;
		}
		struct iovec iov = {b->xs, b->xs_len}; /* exactly as it was, to the bit */
		ptrace(PTRACE_SETREGSET, b->tid, NT_X86_XSTATE, &iov);
		/* the restart set-up is in the registers: keep it */
		b->orig = now;
		b->orig.orig_rax = (uint64_t)-1;
		b->back = b->orig;
	}
	return rc;
}

int tm_inject(struct tm_target *t, const char *shim_path, int which, const char *cfg, char *why,
	      size_t len)
{
	struct tm_borrow b = {.pid = t->pid};
	b.xs = aligned_alloc(64, TM_XSTATE_MAX);
	b.fx = aligned_alloc(64, TM_XSTATE_MAX);
	if (!b.xs || !b.fx) {
		free(b.xs);
		free(b.fx);
		snprintf(why, len, "out of memory");
		return TM_INJ_REFUSED;
	}
	int rc;
	for (int attempt = 0;; attempt++) {
		if (attempt) {
			struct timespec ts = {0, 2 * 1000 * 1000};
			nanosleep(&ts, NULL); /* the thread was let go: look again */
		}
		rc = tm_borrow(t, &b, why, len);
		if (rc != TM_INJ_OK)
			goto out;
		if (tm_seccomp_check(b.tid, why, len) < 0) {
			tm_release(&b);
			rc = TM_INJ_REFUSED;
			goto out;
		}
		if (!t->shim.found) {
			if (which == TM_INJ_DETACH) {
				tm_release(&b);
				snprintf(why, len,
					 "process %d is not attached (libtmshim is not loaded)",
					 (int)t->pid);
				rc = TM_INJ_REFUSED;
				goto out;
			}
			uint64_t mode = 2 /* RTLD_NOW */ | (t->dlopen_private ? 0x80000000u : 0);
			rc = tm_call(t, &b, t->dlopen, shim_path, mode, "load", why, len);
			if (rc == TM_INJ_RETRY && attempt < 5)
				continue;
			if (rc != TM_INJ_OK)
				goto out;
			tm_attach_step("loaded");
			if (tm_proc_maps(t, why, len) < 0 || !t->shim.found ||
			    tm_proc_resolve(t, shim_path, why, len) < 0) {
				tm_let_go(b.tid, 0);
				snprintf(why, len,
					 "process %d could not load %s (dlopen failed there)",
					 (int)t->pid, shim_path);
				rc = TM_INJ_FAILED;
				goto out;
			}
		}
		uintptr_t fn = which == TM_INJ_ATTACH ? t->attach_fn : t->detach_fn;
		rc = tm_call(t, &b, fn, cfg, 0, which == TM_INJ_ATTACH ? "attach" : "detach", why,
			     len);
		if (rc == TM_INJ_RETRY && attempt < 5)
			continue;
		break;
	}
	if (rc == TM_INJ_OK)
		tm_let_go(b.tid, 0);
	t->borrowed = b.tid;
	t->pause_ns = tm_now_ns() - b.stopped_ns;
out:
	if (rc == TM_INJ_RETRY)
		rc = TM_INJ_REFUSED;
	free(b.xs);
	free(b.fx);
	char st[64];
	if (rc != TM_INJ_OK && (tm_proc_status_field(t->pid, "State", st, sizeof(st)) < 0 ||
				st[0] == 'Z' || st[0] == 'X'))
		rc = TM_INJ_EXITED; /* whatever failed, it failed because the process is gone */
	return rc;
}
