/* SPDX-License-Identifier: MIT */
/* The physical floor of a timed call, as a benchmark's yardstick (not
 * tm's code): what any tool that times a call and hands a record to
 * another process must do at least, in the fewest instructions we know.
 *
 *   bench_floor_call(args...) calls *bench_floor_target(args...):
 *     entry: push a frame {start, sym, return address, its stack slot} on
 *            a thread-local shadow stack, the return address taken off
 *            the stack (the target returns here), rdtsc;
 *     exit:  rdtsc, pop the frame, one 32-byte record (start, duration,
 *            return value, sym) as four plain stores into a thread-local
 *            ring, the head stored, back to the caller with push + ret
 *            (the return-stack predictor still holds the caller's entry).
 *
 * Every argument register and rax (a varargs count) reach the target as
 * they were; rax:rdx come back as the target left them. No check of any
 * kind: one thread, no signal handler, no nesting past 64 frames, no
 * consumer (the ring wraps). tm does all of that and more; the floor says
 * how far from the least it is (tests/bench/overhead.c, icount.c). */
#define FT_DEPTH  0
#define FT_HEAD	  8
#define FT_RING	  16   /* pointer to the ring */
#define FT_FRAMES 64   /* 64 frames of 32 bytes */
#define RING_MASK 1023 /* records */

	.text
	.globl bench_floor_call
	.type bench_floor_call, @function
	.p2align 4
bench_floor_call:
	.cfi_startproc
	movq %fs:0, %r11
	addq bench_floor_tls@GOTTPOFF(%rip), %r11	/* r11 = &tls */
	movq FT_DEPTH(%r11), %r10
	incq FT_DEPTH(%r11)
	shlq $5, %r10
	leaq FT_FRAMES(%r11, %r10), %r10		/* r10 = &frame */
	movq %rax, 8(%r10)				/* rax kept in the sym slot */
	popq %r11					/* the caller's return address */
	.cfi_adjust_cfa_offset -8
	movq %r11, 16(%r10)
	leaq -8(%rsp), %r11
	movq %r11, 24(%r10)
	movq %rdx, %r11
	rdtsc
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, 0(%r10)				/* start */
	movq %r11, %rdx
	movq 8(%r10), %rax
	movq $1, 8(%r10)				/* sym */
	.cfi_undefined rip
	call *bench_floor_target(%rip)
	pushq %rax
	pushq %rdx
	rdtsc
	shlq $32, %rdx
	orq %rdx, %rax					/* end */
	movq %fs:0, %r11
	addq bench_floor_tls@GOTTPOFF(%rip), %r11
	movq FT_DEPTH(%r11), %r10
	decq %r10
	movq %r10, FT_DEPTH(%r11)
	shlq $5, %r10
	leaq FT_FRAMES(%r11, %r10), %r10		/* r10 = &frame */
	movq 0(%r10), %rdx				/* start */
	subq %rdx, %rax					/* duration */
	movq FT_HEAD(%r11), %rcx			/* free after the call: */
	movq %rcx, %rsi					/* rcx, rsi, rdi, r8, r9 */
	andq $RING_MASK, %rsi
	shlq $5, %rsi
	addq FT_RING(%r11), %rsi			/* rsi = &record */
	movq %rdx, 0(%rsi)
	movq %rax, 8(%rsi)
	movq 8(%rsp), %rdi				/* the return value */
	movq %rdi, 16(%rsi)
	movq $0xffff000100000000, %rdi			/* err 0, sym 1, no caller */
	movq %rdi, 24(%rsi)
	incq %rcx
	movq %rcx, FT_HEAD(%r11)
	movq 16(%r10), %r11				/* the caller's return address */
	popq %rdx
	popq %rax
	pushq %r11
	ret
	.cfi_endproc
	.size bench_floor_call, . - bench_floor_call

	.section .note.GNU-stack, "", @progbits
