/* SPDX-License-Identifier: MIT */
/* x86-64 trampolines: one pre-assembled entry stub per slot (no writable code
 * is ever mapped), a common entry path that records a timed call itself or
 * calls tm_hook_enter with every argument register saved, and the exit
 * trampoline that monitored calls return into (return-address hijacking
 * with a per-thread shadow stack), which records a timed call itself or
 * calls the exit hooks. The offsets and constants shared with C are in
 * arch.h, checked against the C definitions in hook.c. */
#include "arch.h"

#define ENTRY(name) \
	.globl name; .hidden name; .type name, @function; name:
#define END(name) .size name, . - name

/* The entry paths' frame: rax = depth (below the cap, busy raised); dst =
 * &stack[depth], from base = the stack; to `abandoned` if a frame below
 * it is at or under this call's return slot (a longjmp left it). */
.macro shadow_frame dst, base, abandoned
	movq %fs:TM_TLS_STACK(%r10), \base
	shlq $TM_FRAME_SHIFT, %rax	/* ZF: depth 0 */
	leaq (\base,%rax), \dst		/* lea keeps the flags */
	jz 1f
	cmpq %rsp, TM_FRAME_SP - (1 << TM_FRAME_SHIFT)(\dst)
	jbe \abandoned			/* frames at or below this call were abandoned */
1:
.endm

	.text

/* Stub i: r11 = &tm_slots[i], then the common path. r11 is a scratch
 * register at function entry in the SysV ABI, so nothing the caller passed
 * is lost. */
	.p2align 4
ENTRY(tm_stubs)
	.set tm_i, 0
	.rept TM_ASM_NSTUBS
	.p2align TM_STUB_SHIFT
	leaq tm_slots + (tm_i << TM_SLOT_SHIFT)(%rip), %r11
	jmp tm_enter_common
	.set tm_i, tm_i + 1
	.endr
	.p2align TM_STUB_SHIFT
	/* a stub longer than its 16 bytes moves this backwards: an error */
	.org tm_stubs + (TM_ASM_NSTUBS << TM_STUB_SHIFT)
ENTRY(tm_stubs_end)
END(tm_stubs)

/* On entry: r11 = the slot, (%rsp) = the caller's return address, every
 * argument register live; r10 is dead (the ABI's static-chain register,
 * never live across a call through the PLT or a function pointer to an
 * exported function), so it carries the decision to the hook.
 *
 * A slot with mode 0 (every call timed) takes the fast path below, or the
 * hook when it does not apply. A sampled or count-only slot is first handled here, in registers r10/r11
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

	/* A timed call: tm_hook_enter's common case, step by step (hook.c is
	 * the reference; tests/e2e/hotpath_same.sh runs both and compares the
	 * records). The conditions: the fast switch (the TSC, TM_HOTPATH
	 * not "c"), the thread owning its slot and the hook not busy (two
	 * 4-byte compares: one 8-byte load over state and busy would follow
	 * the last exit's 4-byte store of busy, still in the store buffer,
	 * and a load wider than the store it reads cannot be forwarded from
	 * it: the load waits for the store to retire, about 6 ns a call on
	 * an Intel Xeon 6/167), room on the shadow stack, nothing abandoned
	 * above this call (busy is raised before these two: a signal
	 * handler's calls leave the stack as they found it). Then tm_push's
	 * steps: busy, the clock, the frame {start, sym, flags 0, ret, sp},
	 * the mirror {start, sym}, the depth and its release store, busy
	 * lowered. tm_push's store of
	 * tm_exit_tramp into the return slot is left out: .Lcall's call
	 * writes it. rax (the varargs count), rdx and rcx are kept in the red
	 * zone below the return address (no call is made, and a signal frame
	 * is built below the red zone); r10 and r11 are free at entry. Any
	 * other case restores them and takes the C path, unchanged. */
	cmpb $0, tm_g + TM_G_FAST(%rip)
	je .Ltimed_c
	movq tm_tls@GOTTPOFF(%rip), %r10
	cmpl $TM_ASM_T_SLOT, %fs:TM_TLS_STATE(%r10)
	jne .Ltimed_c
	cmpl $0, %fs:TM_TLS_BUSY(%r10)	/* two 4-byte loads, not one 8-byte: see above */
	jne .Ltimed_c
	movl $1, %fs:TM_TLS_BUSY(%r10)
	movq %rax, -8(%rsp)
	movq %rdx, -16(%rsp)
	movq %rcx, -24(%rsp)
	movl %fs:TM_TLS_DEPTH(%r10), %eax
	cmpl %fs:TM_TLS_CAP(%r10), %eax
	jae .Ltimed_unbusy		/* the stack is full */
	shadow_frame %rcx, %rcx, .Ltimed_unbusy	/* rcx = &stack[depth] */
	movq (%rsp), %rax
	movq %rax, TM_FRAME_RET(%rcx)
	movq %rsp, TM_FRAME_SP(%rcx)
	rdtsc
	shlq $32, %rdx
	orq %rdx, %rax			/* rax = now */
	movl TM_SLOT_SYM(%r11), %edx
	movq %rax, TM_FRAME_START(%rcx)
	movq %rdx, TM_FRAME_SYM(%rcx)	/* sym, and flags (the next 4 bytes) 0 */
	/* the mirror: &live[depth] = rcx - stack + live (same entry size) */
	subq %fs:TM_TLS_STACK(%r10), %rcx
	addq %fs:TM_TLS_LIVE(%r10), %rcx
	movq %rax, TM_LIVE_START(%rcx)
	movl %edx, TM_LIVE_SYM(%rcx)
	incl %fs:TM_TLS_DEPTH(%r10)
	movl %fs:TM_TLS_DEPTH(%r10), %eax
	movq %fs:TM_TLS_LIVE_DEPTH(%r10), %rdx
	movl %eax, (%rdx)		/* live_depth: a plain store is a release on x86 */
	movl $0, %fs:TM_TLS_BUSY(%r10)
	movq -8(%rsp), %rax
	movq -16(%rsp), %rdx
	movq -24(%rsp), %rcx
	movq TM_SLOT_TARGET(%r11), %r11
	jmp .Lcall
.Ltimed_unbusy:
	movl $0, %fs:TM_TLS_BUSY(%r10)
	movq -8(%rsp), %rax
	movq -16(%rsp), %rdx
	movq -24(%rsp), %rcx
.Ltimed_c:
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
	 * frame here and call the target so that it returns into
	 * tm_exit_tramp. The same steps as tm_hook_enter, under the same busy
	 * flag (a signal handler's monitored call in between passes through),
	 * rax and rdx kept in the red zone as on the timed path; anything
	 * unusual — the fast switch off (TM_HOTPATH=c: the C hooks, the
	 * reference), the hook busy, the shadow stack full, frames a longjmp
	 * left behind — takes the C path. The frame goes to the private
	 * stack; the segment's live[] gets start 0 and the symbol, written and
	 * never read back. */
.Luntimed:
	cmpb $0, tm_g + TM_G_FAST(%rip)
	je .Luntimed_c
	movq tm_tls@GOTTPOFF(%rip), %r10
	cmpl $0, %fs:TM_TLS_BUSY(%r10)
	jne .Luntimed_c
	movq %rax, -8(%rsp)
	movq %rdx, -16(%rsp)
	movl %fs:TM_TLS_DEPTH(%r10), %eax
	cmpl %fs:TM_TLS_CAP(%r10), %eax
	jae .Luntimed_full		/* the stack is full */
	movl $1, %fs:TM_TLS_BUSY(%r10)
	shadow_frame %rax, %rdx, .Luntimed_unbusy	/* rax = &stack[depth] */
	movq (%rsp), %rdx
	movq %rdx, TM_FRAME_RET(%rax)
	movq %rsp, TM_FRAME_SP(%rax)
	movl TM_SLOT_SYM(%r11), %edx
	movq $0, TM_FRAME_START(%rax)
	movl %edx, TM_FRAME_SYM(%rax)
	movl $TM_ASM_FR_UNTIMED, TM_FRAME_FLAGS(%rax)
	/* the mirror: &live[depth] = rax - stack + live (same entry size) */
	subq %fs:TM_TLS_STACK(%r10), %rax
	addq %fs:TM_TLS_LIVE(%r10), %rax
	movq $0, TM_LIVE_START(%rax)
	movl %edx, TM_LIVE_SYM(%rax)
	incl %fs:TM_TLS_DEPTH(%r10)
	movl %fs:TM_TLS_DEPTH(%r10), %eax
	movq %fs:TM_TLS_LIVE_DEPTH(%r10), %rdx
	movl %eax, (%rdx)		/* live_depth: a plain store is a release on x86 */
	movl $0, %fs:TM_TLS_BUSY(%r10)
	movq -8(%rsp), %rax
	movq -16(%rsp), %rdx
	movq TM_SLOT_TARGET(%r11), %r11
	jmp .Lcall
.Luntimed_unbusy:
	movl $0, %fs:TM_TLS_BUSY(%r10)
	movq -16(%rsp), %rdx
.Luntimed_full:
	movq -8(%rsp), %rax
.Luntimed_c:
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
 * are untouched (neither this code nor the exit hooks use anything but
 * general registers), and every other caller-saved general register is
 * dead. The top frame is popped, the call recorded and the original return
 * address returned to with a ret: the return-stack predictor still holds
 * it from the caller's own call instruction.
 *
 * A timed call (its frame's flags 0) is done here: tm_hook_exit's timed
 * case, step by step and in its order (hook.c is the reference): depth not
 * 0, flags 0, the fast switch; the clock; the frame the one returning, the
 * thread owning its slot; busy raised before the ring's head is read (a
 * signal handler's records move it) and the ring's room; the record in 4
 * stores (start; the duration clamped to 48 bits, the status and the depth
 * below clamped to 255; the value as the rule's type reads it; err, sym
 * and the caller in one 8-byte store); the frame's return address read
 * before busy drops (a handler's call reuses the frame); the pop, its
 * release store, the head and its release store, busy lowered. The rule
 * (tm_judge: tm_rule_value, tm_rule_ok over the compiled intervals with
 * pointers' top bit flipped, the error code) is evaluated here too.
 * Anything else goes to C: before the clock to tm_hook_exit, after it to
 * tm_hook_exit_now with the reading (a full ring reads the clock once). */
#define TOP(field) TM_FRAME_##field - (1 << TM_FRAME_SHIFT)(%rdi)
#define BELOW(field) TM_FRAME_##field - (2 << TM_FRAME_SHIFT)(%rdi)

/* An untimed call counted (r9 = &cnt[sym]): the return address read
 * (rsi), busy raised, the pop and its release store, the call counted. */
.macro untimed_pop
	movq TOP(RET), %rsi
	movl $1, %fs:TM_TLS_BUSY(%r11)
	decl %ecx
	movl %ecx, %fs:TM_TLS_DEPTH(%r11)
	movq %fs:TM_TLS_LIVE_DEPTH(%r11), %rdx
	movl %ecx, (%rdx)		/* live_depth: release */
	incq TM_CNT_CALLS(%r9)
.endm
ENTRY(tm_exit_tramp)
	.cfi_startproc
	.cfi_undefined rip
	pushq %rax
	.cfi_adjust_cfa_offset 8
	pushq %rdx
	.cfi_adjust_cfa_offset 8
	movq tm_tls@GOTTPOFF(%rip), %r11
	movl %fs:TM_TLS_DEPTH(%r11), %ecx	/* ecx = depth */
	movl %ecx, %edi
	shlq $TM_FRAME_SHIFT, %rdi
	jz .Lexit_c			/* depth 0 */
	addq %fs:TM_TLS_STACK(%r11), %rdi	/* rdi = &stack[depth]: the top frame below it */
	cmpl $0, TOP(FLAGS)
	jne .Lexit_flagged		/* untimed, inherited, with its bytes */
	cmpb $0, tm_g + TM_G_FAST(%rip)
	je .Lexit_c
	rdtsc
	shlq $32, %rdx
	orq %rdx, %rax			/* rax = now */
	leaq 8(%rsp), %rsi		/* where the hijacked return address was */
	cmpq %rsi, TOP(SP)
	jne .Lexit_now
	cmpl $TM_ASM_T_SLOT, %fs:TM_TLS_STATE(%r11)
	jne .Lexit_now
	movl $1, %fs:TM_TLS_BUSY(%r11)
	movq %fs:TM_TLS_HEAD(%r11), %r9
	cmpq %fs:TM_TLS_LIMIT(%r11), %r9
	jae .Lexit_full			/* the ring's room, the fold */
.Lexit_room:
	andq %fs:TM_TLS_MASK(%r11), %r9
	shlq $TM_REC_SHIFT, %r9
	addq %fs:TM_TLS_RING(%r11), %r9	/* r9 = the record */
	movq TOP(START), %rdx
	movq %rdx, TM_REC_START(%r9)
	subq %rdx, %rax			/* the duration, clamped */
	movabsq $TM_ASM_DUR_MASK, %rdx
	cmpq %rdx, %rax
	cmova %rdx, %rax
	leal -1(%rcx), %esi		/* the depth below, clamped, at bit 56 */
	cmpl $255, %esi
	jbe 1f
	movl $255, %esi
1:	shlq $56, %rsi
	orq %rsi, %rax			/* rax = dur_meta, status 0 */
	movl $TM_ASM_NO_SYM, %esi	/* the caller: the frame below, if any */
	cmpl $1, %ecx
	je 2f
	movzwl BELOW(SYM), %esi
2:	shll $16, %esi
	movzwl TOP(SYM), %r10d
	orl %esi, %r10d
	shlq $32, %r10			/* r10 = caller:sym:err 0 (the record's last 8 bytes) */
	movq TOP(RET), %rsi		/* rsi = the return address */
	imull $TM_RULE_SIZE, TOP(SYM), %r8d
	addq tm_rules(%rip), %r8	/* r8 = &tm_rules[sym] */
	movq 8(%rsp), %rdx		/* the return value, as the rule's type reads it */
	cmpb $TM_ASM_RET_UINT, TM_RULE_TYPE(%r8)
	jae .Lexit_wide
	movslq %edx, %rdx		/* int */
.Lexit_value:
	movq %rdx, TM_REC_VALUE(%r9)
	cmpb $0, TM_RULE_HAS(%r8)
	je .Lexit_norule
	cmpb $TM_ASM_RET_PTR, TM_RULE_TYPE(%r8)
	je .Lexit_ptr
.Lexit_ivals:				/* ok if in one of the intervals */
	movl TM_RULE_NIVALS(%r8), %edi
	testl %edi, %edi
	jz .Lexit_failed
3:	decl %edi
	cmpq TM_RULE_LO(%r8,%rdi,8), %rdx
	jl 4f
	cmpq TM_RULE_HI(%r8,%rdi,8), %rdx
	jle .Lexit_store		/* ok: status 0, err 0 */
4:	testl %edi, %edi
	jnz 3b
	jmp .Lexit_failed
.Lexit_norule:
	btsq $(48 + TM_ASM_ST_NORULE_BIT), %rax
.Lexit_store:
	movq %r10, TM_REC_ERR(%r9)
	orq %fs:TM_TLS_LAP(%r11), %rax	/* the lap bit: dur_meta is the last store */
	movq %rax, TM_REC_DUR_META(%r9)
	decl %ecx
	movl %ecx, %fs:TM_TLS_DEPTH(%r11)
	movq %fs:TM_TLS_LIVE_DEPTH(%r11), %rdx
	movl %ecx, (%rdx)		/* live_depth: release */
	incq %fs:TM_TLS_HEAD(%r11)
	testb $(TM_ASM_HEAD_EVERY - 1), %fs:TM_TLS_HEAD(%r11)
	jz .Lexit_publish		/* every TM_HEAD_EVERY records */
.Lexit_done:				/* rsi = the return address */
	movl $0, %fs:TM_TLS_BUSY(%r11)
	popq %rdx
	.cfi_adjust_cfa_offset -8
	popq %rax
	.cfi_adjust_cfa_offset -8
	pushq %rsi
	.cfi_adjust_cfa_offset 8
	ret
	.cfi_adjust_cfa_offset 8	/* what follows: rax, rdx pushed */

.Lexit_publish:
	movq %fs:TM_TLS_HEAD(%r11), %rdx
	movq %fs:TM_TLS_THR(%r11), %rcx
	movq %rdx, TM_THR_HEAD(%rcx)	/* thr->head: release (x86 keeps the stores' order) */
	jmp .Lexit_done

	/* The top frame has flags (rdi above it, ecx = depth, rax the
	 * return value): tm_exit_flagged's common case, step by step and in
	 * its order (hook.c is the reference): an untimed call of a sampled
	 * symbol, its frame the one returning, the thread owning its slot
	 * (tm_tls.cnt set) and the fast switch on; its value as the rule's
	 * type reads it; no rule, or in one of the rule's intervals. Then the
	 * return address read, busy raised, the pop and its release store,
	 * the counters (calls, then ok and the bytes of a rule with bytes:
	 * no clock, no record), busy lowered. Anything else, a failure
	 * included (it keeps its code as a record), goes to C. */
.Lexit_flagged:
	cmpl $TM_ASM_FR_UNTIMED, TOP(FLAGS)
	jne .Lexit_flagged_c		/* inherited, with its bytes */
	cmpb $0, tm_g + TM_G_FAST(%rip)
	je .Lexit_flagged_c
	leaq 8(%rsp), %rsi		/* where the hijacked return address was */
	cmpq %rsi, TOP(SP)
	jne .Lexit_flagged_c
	movq %fs:0(%r11), %r9		/* tm_tls.cnt */
	testq %r9, %r9
	jz .Lexit_flagged_c
	movl TOP(SYM), %r10d
	imull $TM_RULE_SIZE, %r10d, %r8d
	addq tm_rules(%rip), %r8	/* r8 = &tm_rules[sym] */
	shlq $TM_CNT_SHIFT, %r10
	addq %r10, %r9			/* r9 = &cnt[sym] */
	cmpb $TM_ASM_RET_UINT, TM_RULE_TYPE(%r8)
	ja 1f				/* long, pointer, void: as is */
	je 2f
	movslq %eax, %rax		/* int */
	jmp 1f
2:	movl %eax, %eax			/* uint: zero-extended */
1:	cmpb $0, TM_RULE_HAS(%r8)
	je .Lflag_norule
	movq %rax, %rdx
	cmpb $TM_ASM_RET_PTR, TM_RULE_TYPE(%r8)
	jne 3f
	btcq $63, %rdx			/* pointers: unsigned order, as signed */
3:	movl TM_RULE_NIVALS(%r8), %esi
4:	testl %esi, %esi
	jz .Lexit_flagged_c		/* in no interval: failed */
	decl %esi
	cmpq TM_RULE_LO(%r8,%rsi,8), %rdx
	jl 4b
	cmpq TM_RULE_HI(%r8,%rsi,8), %rdx
	jg 4b
	untimed_pop
	incq TM_CNT_OK(%r9)		/* after calls: the collector reads ok first */
	cmpb $0, TM_RULE_BYTES(%r8)
	je .Lexit_done
	leaq -1(%rax), %rdx		/* bytes: 1 .. TM_CALL_BYTES_MAX only */
	shrq $TM_ASM_CALL_BYTES_SHIFT, %rdx
	jnz .Lexit_done
	addq %rax, TM_CNT_BYTES(%r9)
	jmp .Lexit_done
.Lflag_norule:
	untimed_pop
	jmp .Lexit_done

.Lexit_wide:				/* uint: zero-extended; long, pointer, void: as is */
	jne .Lexit_value
	movl %edx, %edx
	jmp .Lexit_value
.Lexit_ptr:				/* pointers: unsigned order, as signed */
	btcq $63, %rdx
	jmp .Lexit_ivals
.Lexit_failed:				/* the error code per the rule (tm_judge) */
	btsq $(48 + TM_ASM_ST_FAILED_BIT), %rax
	movzbl TM_RULE_ERR_SRC(%r8), %edi
	cmpl $TM_ASM_ERR_ERRNO, %edi
	je 5f
	movl TM_REC_VALUE(%r9), %edx	/* (int32_t)v */
	cmpl $TM_ASM_ERR_RET, %edi
	je 6f
	negl %edx			/* (int32_t)-v */
	cmpl $TM_ASM_ERR_NEGRET, %edi
	je 6f
	xorl %edx, %edx
	jmp 6f
5:	movq %fs:TM_TLS_ERRNO_P(%r11), %rdx
	movl (%rdx), %edx
6:	orq %rdx, %r10
	jmp .Lexit_store

	/* The head reached the limit (busy raised; r9 = head, rax = now, rdi
	 * above the top frame, ecx = depth): tm_ring_room and tm_acc_add
	 * for the commonest case, in their order. Once the whole ring is
	 * backed by memory, the consumer's tail is read back (acquire: a
	 * plain load on x86) and the limit recomputed; room: the record as
	 * above. Still full, a call of a symbol without a rule whose
	 * accumulator this process has backed is folded here: acc_used, calls,
	 * sum, min (stored + 1) and max, the log2 bucket, then the epoch and
	 * the overflow loss (stores in program order: the epoch's release),
	 * then the pop as above. Anything else (the ring not all backed yet,
	 * a rule to judge, the first fold of a symbol) goes to C with the
	 * clock read. */
.Lexit_full:
	movq %fs:TM_TLS_RING_CAP(%r11), %rdx
	testq %rdx, %rdx
	jz .Lexit_unbusy		/* no ring */
	cmpq %fs:TM_TLS_RING_READY(%r11), %rdx
	ja .Lexit_unbusy		/* not all of it backed yet: C populates */
	movq %fs:TM_TLS_THR(%r11), %rsi
	movq TM_THR_TAIL(%rsi), %r8
	movq %r8, %fs:TM_TLS_TAIL_CACHE(%r11)
	addq %r8, %rdx			/* tail + cap, */
	movq %r9, %r8
	orq %fs:TM_TLS_MASK(%r11), %r8
	incq %r8			/* no further than the end of the head's lap */
	cmpq %r8, %rdx
	cmova %r8, %rdx
	movq %rdx, %fs:TM_TLS_LIMIT(%r11)
	cmpq %rdx, %r9
	jb .Lexit_room_lap
	movl TOP(SYM), %edx		/* edx = sym */
	imull $TM_RULE_SIZE, %edx, %r8d
	addq tm_rules(%rip), %r8
	cmpb $0, TM_RULE_HAS(%r8)
	jne .Lexit_unbusy		/* a rule to judge: C */
	movq %fs:TM_TLS_READY(%r11), %r8
	cmpb $0, (%r8,%rdx)
	je .Lexit_unbusy		/* its first fold: C backs the accumulator */
	movq %fs:TM_TLS_ACC_USED(%r11), %r8
	movb $1, (%r8,%rdx)
	imulq $TM_ACC_SIZE, %rdx, %r8
	addq %fs:TM_TLS_ACC(%r11), %r8	/* r8 = &acc[sym] */
	subq TOP(START), %rax		/* rax = the duration */
	incq TM_ACC_CALLS(%r8)
	addq %rax, TM_ACC_SUM(%r8)
	movq TM_ACC_MIN(%r8), %rdx
	decq %rdx			/* min - 1: 2^64 - 1 when none yet */
	cmpq %rax, %rdx
	jbe 1f
	leaq 1(%rax), %rdx
	movq %rdx, TM_ACC_MIN(%r8)
1:	cmpq TM_ACC_MAX(%r8), %rax
	jbe 2f
	movq %rax, TM_ACC_MAX(%r8)
2:	movq %rax, %rdx
	orq $1, %rdx
	bsrq %rdx, %rdx			/* floor(log2(dur)), 0 for 0 */
	cmpl $TM_ASM_ACC_BUCKETS - 1, %edx
	jbe 3f
	movl $TM_ASM_ACC_BUCKETS - 1, %edx
3:	incl TM_ACC_HIST(%r8,%rdx,4)
	incq TM_THR_ACC_EPOCH(%rsi)
	incq TM_THR_LOSS_OVF(%rsi)
	movq TOP(RET), %rsi		/* before busy drops */
	decl %ecx
	movl %ecx, %fs:TM_TLS_DEPTH(%r11)
	movq %fs:TM_TLS_LIVE_DEPTH(%r11), %rdx
	movl %ecx, (%rdx)		/* live_depth: release */
	jmp .Lexit_done

.Lexit_room_lap:			/* room: the head's lap bit (tm_rec_lap) */
	xorl %r8d, %r8d
	testq %r9, %fs:TM_TLS_RING_CAP(%r11)
	sete %r8b
	shlq $TM_ASM_REC_LAP_BIT, %r8
	movq %r8, %fs:TM_TLS_LAP(%r11)
	jmp .Lexit_room

.Lexit_unbusy:
	movl $0, %fs:TM_TLS_BUSY(%r11)
.Lexit_now:				/* the clock read: the general exit with it */
	movq %rax, %rdx
	movq 8(%rsp), %rdi
	leaq 16(%rsp), %rsi
	call tm_hook_exit_now
	jmp 7f
.Lexit_flagged_c:		/* C, given the frame and the depth (ecx) */
	leaq -(1 << TM_FRAME_SHIFT)(%rdi), %rdx
	movq 8(%rsp), %rdi
	leaq 16(%rsp), %rsi
	call tm_hook_exit_flagged
	jmp 7f
.Lexit_c:
	movq %rax, %rdi
	leaq 16(%rsp), %rsi
	call tm_hook_exit
7:	movq %rax, %r11
	popq %rdx
	.cfi_adjust_cfa_offset -8
	popq %rax
	.cfi_adjust_cfa_offset -8
	pushq %r11
	.cfi_adjust_cfa_offset 8
	ret
	.cfi_endproc
END(tm_exit_tramp)
#undef TOP
#undef BELOW

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
