/* SPDX-License-Identifier: MIT */
/* x86-64 trampolines: one pre-assembled entry stub per slot (no writable code
 * is ever mapped), a common entry path that calls tm_hook_enter with every
 * argument register saved, and the exit trampoline that monitored calls
 * return into (return-address hijacking with a per-thread shadow stack). */
#include "arch.h"

#define TM_NSTUBS 4096

#define ENTRY(name) \
	.globl name; .hidden name; .type name, @function; name:
#define END(name) .size name, . - name

	.text

/* Stub i: r11 = &tm_slots[i], then the common path. r11 is a scratch
 * register at function entry in the SysV ABI, so nothing the caller passed
 * is lost. */
	.p2align 4
ENTRY(tm_stubs)
	.set tm_i, 0
	.rept TM_NSTUBS
	.p2align 4
	leaq tm_slots + (tm_i << TM_SLOT_SHIFT)(%rip), %r11
	jmp tm_enter_common
	.set tm_i, tm_i + 1
	.endr
	.p2align 4
ENTRY(tm_stubs_end)
END(tm_stubs)

/* On entry: r11 = the slot, (%rsp) = the caller's return address, every
 * argument register live; r10 is dead (the ABI's static-chain register,
 * never live across a call through the PLT or a function pointer to an
 * exported function), so it carries the decision to the hook.
 *
 * A slot with mode 0 (every call timed) goes straight to the hook. A
 * sampled or count-only slot is first handled here, in registers r10/r11
 * only: count-only calls and sampled calls without a success rule that are
 * not chosen for timing bump this thread's cnt[sym].calls with one
 * increment (no lock prefix: no other thread writes it, and one instruction
 * cannot be split by a signal) and jump to the target — no hook, no
 * hijack, no clock.
 *
 * The hook path saves the argument registers and asks tm_hook_enter for
 * the real target. If the hook recorded the call (it pushed a frame holding
 * the caller's return address on the thread's private shadow stack), the
 * return address slot is
 * dropped and the target is *called*: the call instruction writes
 * tm_exit_tramp into that very slot, so the callee sees the stack exactly
 * as its caller left it, and the processor's return-stack predictor has
 * the right address when the callee returns — a return address
 * overwritten in memory would cost a mispredicted return on every call.
 * Otherwise it jumps with the caller's stack untouched. The hook is
 * compiled -mgeneral-regs-only, so vector and x87 registers (float
 * arguments, %al's count for varargs aside) never change on this path. */
	.p2align 4
ENTRY(tm_enter_common)
	.cfi_startproc
	cmpl $0, TM_SLOT_MODE(%r11)
	jne .Lmodes
	xorl %r10d, %r10d /* TM_D_TIMED */
.Lhook:
	pushq %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	movq %rsp, %rbp
	.cfi_def_cfa_register %rbp
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %r8
	pushq %r9
	pushq %rax
	pushq %r10
	movq %r11, %rdi
	leaq 8(%rbp), %rsi
	movq %rsp, %rdx
	movl %r10d, %ecx
	call tm_hook_enter	/* rax = target, rdx = hijack */
	movq %rax, %r11
	testq %rdx, %rdx	/* pops leave the flags alone */
	popq %r10
	popq %rax
	popq %r9
	popq %r8
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	popq %rbp
	.cfi_def_cfa %rsp, 8
	jnz .Lcall
	jmp *%r11

	/* sampled or count-only (nothing pushed: the CFA rule above holds) */
.Lmodes:
	movq tm_tls@GOTTPOFF(%rip), %r10
	movq %fs:(%r10), %r10		/* tm_tls.cnt: NULL until attached */
	testq %r10, %r10
	jz .Ldecide
	addq TM_SLOT_CNT_OFF(%r11), %r10 /* &cnt[sym] */
	testl $TM_ASM_SM_COUNT, TM_SLOT_MODE(%r11)
	jnz .Lcount
	decq TM_CNT_LEFT(%r10)		/* sampling countdown */
	jle .Lsampled
	testl $TM_ASM_SM_HIJACK, TM_SLOT_MODE(%r11)
	jnz .Luntimed
.Lcount:
	incq TM_CNT_CALLS(%r10)
	jmp *TM_SLOT_TARGET(%r11)
.Lsampled:
	movl $TM_ASM_D_SAMPLED, %r10d
	jmp .Lhook

	/* Sampled, not chosen for timing, judged: push an untimed shadow-stack
	 * frame here, in three registers, and call the target so that it
	 * returns into tm_exit_tramp. The same steps as tm_hook_enter, under
	 * the same busy flag (a signal handler's monitored call in between
	 * passes through); anything unusual — the hook busy, the shadow stack
	 * full, frames a longjmp left behind — takes the C path. The frame goes
	 * to the private stack; the segment's live[] gets start 0 and the
	 * symbol, written and never read back. */
.Luntimed:
	pushq %rax			/* the caller's return address is now at 8(%rsp) */
	.cfi_adjust_cfa_offset 8
	movq tm_tls@GOTTPOFF(%rip), %r10
	cmpl $0, %fs:TM_TLS_BUSY(%r10)
	jne .Luntimed_c
	movl %fs:TM_TLS_DEPTH(%r10), %eax
	cmpl %fs:TM_TLS_CAP(%r10), %eax
	jae .Luntimed_c
	movl $1, %fs:TM_TLS_BUSY(%r10)
	shlq $TM_FRAME_SHIFT, %rax		/* rax = depth * 32 */
	addq %fs:TM_TLS_STACK(%r10), %rax	/* rax = &stack[depth] */
	cmpl $0, %fs:TM_TLS_DEPTH(%r10)
	je 1f
	leaq 8(%rsp), %r10
	cmpq %r10, TM_FRAME_SP - (1 << TM_FRAME_SHIFT)(%rax)
	movq tm_tls@GOTTPOFF(%rip), %r10
	jbe .Luntimed_unbusy		/* frames above this call were abandoned */
1:	movq $0, TM_FRAME_START(%rax)
	movl $TM_ASM_FR_UNTIMED, TM_FRAME_FLAGS(%rax)
	movq 8(%rsp), %r10
	movq %r10, TM_FRAME_RET(%rax)
	leaq 8(%rsp), %r10
	movq %r10, TM_FRAME_SP(%rax)
	movl TM_SLOT_SYM(%r11), %r10d
	movl %r10d, TM_FRAME_SYM(%rax)
	/* the mirror: &live[depth] = rax - stack + live (same entry size) */
	movq tm_tls@GOTTPOFF(%rip), %r10
	subq %fs:TM_TLS_STACK(%r10), %rax
	addq %fs:TM_TLS_LIVE(%r10), %rax
	movq $0, TM_LIVE_START(%rax)
	movl TM_SLOT_SYM(%r11), %r10d
	movl %r10d, TM_LIVE_SYM(%rax)
	movq tm_tls@GOTTPOFF(%rip), %r10
	movl %fs:TM_TLS_DEPTH(%r10), %eax
	incl %eax
	movl %eax, %fs:TM_TLS_DEPTH(%r10)
	movq %fs:TM_TLS_LIVE_DEPTH(%r10), %rax
	movl %fs:TM_TLS_DEPTH(%r10), %r10d
	movl %r10d, (%rax)		/* live_depth: a plain store is a release on x86 */
	movq tm_tls@GOTTPOFF(%rip), %r10
	movl $0, %fs:TM_TLS_BUSY(%r10)
	popq %rax
	.cfi_adjust_cfa_offset -8
	movq TM_SLOT_TARGET(%r11), %r11
	jmp .Lcall
.Luntimed_unbusy:
	.cfi_adjust_cfa_offset 8
	movl $0, %fs:TM_TLS_BUSY(%r10)
.Luntimed_c:
	popq %rax
	.cfi_adjust_cfa_offset -8
	movl $TM_ASM_D_UNTIMED, %r10d
	jmp .Lhook
.Ldecide:
	movl $TM_ASM_D_DECIDE, %r10d
	jmp .Lhook

	/* the caller's return address is in the shadow stack: its slot is
	 * where our call puts tm_exit_tramp. An unwinder that finds
	 * tm_exit_tramp as a return address looks up this call instruction:
	 * no caller from here (tm_frames_restore puts the real ones back
	 * before any exception unwinds). */
.Lcall:
	addq $8, %rsp
	.cfi_undefined rip
	call *%r11
	.cfi_endproc
END(tm_enter_common)

/* A monitored call returns here: the instruction right after the call
 * above, so no padding in between. rax:rdx are saved; xmm0:xmm1 and st0
 * are untouched because the exit hook uses only general registers. The
 * hook pops the shadow stack, records the call and gives the original
 * return address back, which we return to with a ret: the return-stack
 * predictor still holds it from the caller's own call instruction. */
ENTRY(tm_exit_tramp)
	.cfi_startproc
	.cfi_undefined rip
	pushq %rax
	.cfi_adjust_cfa_offset 8
	pushq %rdx
	.cfi_adjust_cfa_offset 8
	movq %rax, %rdi
	leaq 16(%rsp), %rsi
	call tm_hook_exit
	movq %rax, %r11
	popq %rdx
	.cfi_adjust_cfa_offset -8
	popq %rax
	.cfi_adjust_cfa_offset -8
	pushq %r11
	.cfi_adjust_cfa_offset 8
	ret
	.cfi_endproc
END(tm_exit_tramp)

/* dlsym's GOT slots point here. dlsym(RTLD_NEXT, ...) searches after the
 * *caller's* object, which glibc learns from the return address: that case
 * jumps to the real dlsym with the caller's stack untouched. Any other
 * handle goes to tm_dlsym_hook, which maps a monitored function to its
 * trampoline. */
	.p2align 4
ENTRY(tm_wrap_dlsym)
	.cfi_startproc
	cmpq $-1, %rdi
	je 1f
	jmp tm_dlsym_hook
1:	jmp *tm_real_dlsym(%rip)
	.cfi_endproc
END(tm_wrap_dlsym)

	.section .note.GNU-stack, "", @progbits
