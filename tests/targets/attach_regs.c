/* SPDX-License-Identifier: MIT */
/* A program whose threads (the main thread too) never enter the kernel
 * while they run: each spins in tm_regs_round, a loop in assembly that
 * keeps live values in every general-purpose register but rsp (stepped
 * each iteration), in ymm0-15 (flipped and flipped back each iteration,
 * both halves), in the flags (a known result, direction flag set, held
 * across the iteration), in MXCSR (round toward zero, inexact unmasked) and in its red zone
 * below rsp, and checks all of them at the end of every iteration against
 * copies in memory. A value that is not what it should be counts as a
 * mismatch (and is put right). A thread stopped by ptrace here is stopped
 * in user code with all of that live.
 *
 * Prints "started N" once every thread has run a round. Signals are taken
 * by handlers (no thread waits for one): SIGUSR1 parks the main thread,
 * after its round, in pthread_mutex_lock on a mutex the second thread
 * holds (a contended lock's futex wait: a thread the attacher never
 * borrows), so that only the other threads are left to borrow. SIGTERM
 * ends the rounds (the second thread lets the lock go), then it prints
 * "thread I mismatches M" per thread and "rounds ok" (every thread ran at
 * least one), and exits 6 if nothing mismatched, else 1.
 * usage: attach_regs [N]   (N threads in all, default 3)
 * Needs AVX: without it, prints "no avx" and exits 77. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "shapes.h"

#define MAXW  8
#define ITERS 20000

/* What a round starts from: the registers' first values, the vectors'
 * values E, their complements, and the masks flipped in and out. */
struct rinit {
	uint64_t g[15];
	uint64_t pad;
	uint64_t e[16][4];
	uint64_t ne[16][4];
	uint64_t k[16][4];
};
#define I_E  128
#define I_NE 640
#define I_K  1152
_Static_assert(offsetof(struct rinit, e) == I_E, "rinit.e");
_Static_assert(offsetof(struct rinit, ne) == I_NE, "rinit.ne");
_Static_assert(offsetof(struct rinit, k) == I_K, "rinit.k");

uint64_t tm_regs_round(uint64_t iters, const struct rinit *init);

/* The round's frame, above its (32-byte aligned) stack pointer. */
#define L_MIS	0    /* mismatches */
#define L_CNT	8    /* iterations left */
#define L_ZERO	16   /* 0: cmpq $1 against it gives the known flags */
#define L_FTMP	24   /* the flags, saved */
#define L_MXOLD 32   /* the caller's MXCSR */
#define L_MX	40   /* MXCSR, saved */
#define L_OLD	48   /* the stack pointer at entry, after the pushes */
#define L_G	64   /* the registers' expected values, 15 x 8 */
#define L_E	192  /* E, 16 x 32 */
#define L_NE	704  /* ~E */
#define L_K	1216 /* the masks */
#define L_SIZE	1728

#define S(x)  #x
#define XS(x) S(x)

/* The loop, written out by the preprocessor (a line per register); the
 * assembler computes the offsets. */
/* clang-format off */
/* rsp is the frame's base: every other register is live. */
#define FOR_GPR(X) X(rax, 0) X(rbx, 1) X(rcx, 2) X(rdx, 3) X(rsi, 4) X(rdi, 5) X(rbp, 6) \
	X(r8, 7) X(r9, 8) X(r10, 9) X(r11, 10) X(r12, 11) X(r13, 12) X(r14, 13) X(r15, 14)
#define FOR_VEC(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) \
	X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
/* red zone qwords at -8*J(%rsp), down to -128; -8 is where pushfq goes */
#define FOR_RZ(X) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) \
	X(10) X(11) X(12) X(13) X(14) X(15) X(16)

#define G_OFF(i)       "(" XS(L_G) "+8*" #i ")(%rsp)"
#define V_OFF(base, i) "(" XS(base) "+32*" #i ")(%rsp)"
#define I_OFF(base, i) "(" XS(base) "+32*" #i ")(%rsi)"
#define STEP(i)        "(0x01234567*(" #i "+1))"
#define RZ_VAL(j)      "$(0x5a5a0000+" #j ")"
#define RZ_AT(j)       "-(8*" #j ")(%rsp)"
#define MIS            XS(L_MIS) "(%rsp)"

#define COPY_G(r, i)  "mov 8*" #i "(%rsi), %rax\n mov %rax, " G_OFF(i) "\n"
#define COPY_V(i) \
	"vmovdqu " I_OFF(I_E, i) ", %ymm0\n vmovdqa %ymm0, " V_OFF(L_E, i) "\n" \
	"vmovdqu " I_OFF(I_NE, i) ", %ymm0\n vmovdqa %ymm0, " V_OFF(L_NE, i) "\n" \
	"vmovdqu " I_OFF(I_K, i) ", %ymm0\n vmovdqa %ymm0, " V_OFF(L_K, i) "\n"
#define SET_RZ(j)     "movq " RZ_VAL(j) ", " RZ_AT(j) "\n"
#define LOAD_V(i)     "vmovdqa " V_OFF(L_E, i) ", %ymm" #i "\n"
#define LOAD_G(r, i)  "mov " G_OFF(i) ", %" #r "\n"
#define FLIP_V(i)     "vpxor " V_OFF(L_K, i) ", %ymm" #i ", %ymm" #i "\n"
#define STEP_G(r, i)  "lea " STEP(i) "(%" #r "), %" #r "\n"
#define CHECK_G(r, i) \
	"addq $" STEP(i) ", " G_OFF(i) "\n cmp " G_OFF(i) ", %" #r "\n jne .Lbad_g" #i "\n" \
	".Lok_g" #i ":\n"
/* vptest: CF when every bit of E is set, ZF when no bit of ~E is */
#define CHECK_V(i) \
	"vptest " V_OFF(L_E, i) ", %ymm" #i "\n jnc .Lbad_v" #i "\n" \
	"vptest " V_OFF(L_NE, i) ", %ymm" #i "\n jnz .Lbad_v" #i "\n" \
	".Lok_v" #i ":\n"
#define CHECK_RZ(j) "cmpq " RZ_VAL(j) ", " RZ_AT(j) "\n jne .Lbad_r" #j "\n.Lok_r" #j ":\n"
/* a mismatch is counted and put right */
#define BAD_G(r, i) \
	".Lbad_g" #i ":\n incq " MIS "\n mov " G_OFF(i) ", %" #r "\n jmp .Lok_g" #i "\n"
#define BAD_V(i)  ".Lbad_v" #i ":\n incq " MIS "\n" LOAD_V(i) " jmp .Lok_v" #i "\n"
#define BAD_RZ(j) ".Lbad_r" #j ":\n incq " MIS "\n" SET_RZ(j) " jmp .Lok_r" #j "\n"

/* MXCSR: rounding toward zero, the precision (inexact) exception
 * unmasked: any inexact floating-point result on these threads raises
 * SIGFPE, so code the attacher makes them run (dlopen, the shim's set-up)
 * must run with a control state of its own (tools/attach/inject.c); the
 * loop itself has no floating-point arithmetic */
#define MXCSR "0x6f80"
/* after cmpq $1 against 0, with DF set: CF PF AF SF DF (of CF PF AF ZF SF DF OF) */
#define FLAGS_MASK "0xcd5"
#define FLAGS_WANT "0x495"

__asm__(
	".text\n"
	".globl tm_regs_round\n"
	".hidden tm_regs_round\n"
	".type tm_regs_round, @function\n"
	".p2align 4\n"
	"tm_regs_round:\n"
	"push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
	"mov %rsp, %rax\n and $-32, %rsp\n sub $" XS(L_SIZE) ", %rsp\n"
	"mov %rax, " XS(L_OLD) "(%rsp)\n"
	"mov %rdi, " XS(L_CNT) "(%rsp)\n"
	"movq $0, " MIS "\n"
	"movq $0, " XS(L_ZERO) "(%rsp)\n"
	"stmxcsr " XS(L_MXOLD) "(%rsp)\n"
	"movl $" MXCSR ", " XS(L_MX) "(%rsp)\n"
	"ldmxcsr " XS(L_MX) "(%rsp)\n"
	FOR_GPR(COPY_G)
	FOR_VEC(COPY_V)
	FOR_RZ(SET_RZ)
	FOR_VEC(LOAD_V)
	FOR_GPR(LOAD_G)
	"std\n"
	".Lloop:\n"
	"cmpq $1, " XS(L_ZERO) "(%rsp)\n" /* the flags, held to the pushfq */
	FOR_VEC(FLIP_V)
	FOR_GPR(STEP_G)
	FOR_VEC(FLIP_V)
	"pushfq\n popq " XS(L_FTMP) "(%rsp)\n"
	"andq $" FLAGS_MASK ", " XS(L_FTMP) "(%rsp)\n"
	"cmpq $" FLAGS_WANT ", " XS(L_FTMP) "(%rsp)\n"
	"jne .Lbad_fl\n"
	".Lok_fl:\n"
	FOR_GPR(CHECK_G)
	FOR_VEC(CHECK_V)
	FOR_RZ(CHECK_RZ)
	"stmxcsr " XS(L_MX) "(%rsp)\n"
	"cmpl $" MXCSR ", " XS(L_MX) "(%rsp)\n"
	"jne .Lbad_mx\n"
	".Lok_mx:\n"
	"decq " XS(L_CNT) "(%rsp)\n"
	"jnz .Lloop\n"
	"cld\n"
	"ldmxcsr " XS(L_MXOLD) "(%rsp)\n"
	"mov " MIS ", %rax\n"
	"mov " XS(L_OLD) "(%rsp), %rsp\n"
	"pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
	"vzeroupper\n"
	"ret\n"
	".Lbad_fl:\n incq " MIS "\n std\n jmp .Lok_fl\n"
	".Lbad_mx:\n incq " MIS "\n"
	"movl $" MXCSR ", " XS(L_MX) "(%rsp)\n ldmxcsr " XS(L_MX) "(%rsp)\n jmp .Lok_mx\n"
	FOR_GPR(BAD_G)
	FOR_VEC(BAD_V)
	FOR_RZ(BAD_RZ)
	".size tm_regs_round, .-tm_regs_round\n");
/* clang-format on */

struct thr {
	_Alignas(64) struct rinit init;
	long rounds, bad;
};

static struct thr thr[MAXW];
static int nthr;
static atomic_int stop, ready, park;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER; /* by thread 1 while it spins */

static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void on_signal(int sig)
{
	atomic_store(sig == SIGTERM ? &stop : &park, 1);
}

/* Rounds until SIGTERM (the main thread: or SIGUSR1): no system call, no
 * library call. */
static void spin(struct thr *t, int main_thread)
{
	do {
		t->bad += (long)tm_regs_round(ITERS, &t->init);
		if (++t->rounds == 1)
			atomic_fetch_add(&ready, 1);
	} while (!atomic_load_explicit(&stop, memory_order_relaxed) &&
		 !(main_thread && atomic_load_explicit(&park, memory_order_relaxed)));
}

static void *run(void *arg)
{
	int holder = arg == &thr[1];
	if (holder)
		pthread_mutex_lock(&held);
	spin(arg, 0);
	if (holder)
		pthread_mutex_unlock(&held);
	return NULL;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!__builtin_cpu_supports("avx")) {
		printf("no avx\n");
		return 77;
	}
	nthr = argc > 1 ? atoi(argv[1]) : 3;
	if (nthr < 1 || nthr > MAXW)
		nthr = 3;
	for (int i = 0; i < nthr; i++) {
		uint64_t s = (uint64_t)i + 1;
		struct rinit *r = &thr[i].init;
		for (int k = 0; k < 15; k++)
			r->g[k] = mix(&s);
		for (int v = 0; v < 16; v++)
			for (int q = 0; q < 4; q++) {
				r->e[v][q] = mix(&s);
				r->ne[v][q] = ~r->e[v][q];
				r->k[v][q] = mix(&s) | 1; /* never 0: the flip changes it */
			}
	}
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	if (work_noop(1) != 2) /* the slot a monitored name patches */
		return 1;
	pthread_t th[MAXW];
	for (int i = 1; i < nthr; i++)
		pthread_create(&th[i], NULL, run, &thr[i]);
	while (atomic_load(&ready) < nthr - 1)
		__builtin_ia32_pause();
	printf("started %d\n", nthr);
	spin(&thr[0], 1);
	if (nthr > 1 && !atomic_load(&stop)) { /* parked until thread 1 stops */
		pthread_mutex_lock(&held);
		pthread_mutex_unlock(&held);
	}
	for (int i = 1; i < nthr; i++)
		pthread_join(th[i], NULL);
	long bad = 0, rounds_ok = 1;
	for (int i = 0; i < nthr; i++) {
		printf("thread %d mismatches %ld\n", i, thr[i].bad);
		bad += thr[i].bad;
		rounds_ok &= thr[i].rounds > 0;
	}
	printf("rounds %s\n", rounds_ok ? "ok" : "BAD");
	return bad == 0 && rounds_ok ? 6 : 1;
}
