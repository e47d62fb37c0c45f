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

/* Stub i: r11 = i, then the common path. r11 is a scratch register at
 * function entry in the SysV ABI, so nothing the caller passed is lost. */
	.p2align 4
ENTRY(tm_stubs)
	.set tm_i, 0
	.rept TM_NSTUBS
	.p2align 4
	movl $tm_i, %r11d
	jmp tm_enter_common
	.set tm_i, tm_i + 1
	.endr
	.p2align 4
ENTRY(tm_stubs_end)
END(tm_stubs)

/* On entry: r11 = slot, (%rsp) = the caller's return address, every argument
 * register live. Saves them, asks tm_hook_enter for the real target (the
 * hook has replaced the return address with tm_exit_tramp when it records
 * the call), restores them and jumps with the caller's stack untouched. The
 * hook is compiled -mgeneral-regs-only, so vector and x87 registers (float
 * arguments, %al's count for varargs aside) never change on this path. */
	.p2align 4
ENTRY(tm_enter_common)
	.cfi_startproc
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
	movl %r11d, %edi
	leaq 8(%rbp), %rsi
	movq %rsp, %rdx
	call tm_hook_enter
	movq %rax, %r11
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
	jmp *%r11
	.cfi_endproc
END(tm_enter_common)

/* A monitored call returns here (its return address was replaced). rax:rdx
 * are saved; xmm0:xmm1 and st0 are untouched because the exit hook uses only
 * general registers. The hook pops the shadow stack, records the call and
 * returns the original return address, which we jump to. */
	.p2align 4
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
	jmp *%r11
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
