/* SPDX-License-Identifier: MIT */
/* The register block tramp.S saves on entry, in memory order (lowest address
 * first). Kept in step with the .S by the offsets below. */
#ifndef TM_ARCH_H
#define TM_ARCH_H

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct tm_regs {
	uint64_t r10, rax, r9, r8, rcx, rdx, rsi, rdi;
};
#define TM_ARG1(r) ((r)->rdi)
#define TM_ARG2(r) ((r)->rsi)
#define TM_ARG3(r) ((r)->rdx)
#define TM_ARG4(r) ((r)->rcx)
#define TM_ARG5(r) ((r)->r8)
#define TM_ARG6(r) ((r)->r9)
#endif

#define TM_REGS_RDI  56
#define TM_REGS_SIZE 64

/* struct tm_slot, struct tm_cnt and the mode/decision values, as tramp.S
 * sees them; hook.c checks them against the C definitions. */
#define TM_SLOT_SHIFT	 5 /* sizeof(struct tm_slot) == 32 */
#define TM_SLOT_TARGET	 0
#define TM_SLOT_CNT_OFF	 8
#define TM_SLOT_SYM	 16
#define TM_SLOT_MODE	 20
#define TM_CNT_CALLS	 0
#define TM_CNT_LEFT	 24
#define TM_ASM_SM_COUNT	 1
#define TM_ASM_SM_HIJACK 4
#define TM_ASM_D_SAMPLED 1
#define TM_ASM_D_UNTIMED 2
#define TM_ASM_D_DECIDE	 3
/* struct tm_tls, struct tm_frame (the private shadow stack) and struct
 * tm_live (its write-only mirror in the segment) fields the untimed entry
 * path uses */
#define TM_TLS_LIVE_DEPTH 16
#define TM_TLS_STACK	  24
#define TM_TLS_LIVE	  32
#define TM_TLS_DEPTH	  136
#define TM_TLS_CAP	  140
#define TM_TLS_BUSY	  144
#define TM_FRAME_SHIFT	  5 /* sizeof(struct tm_frame) == sizeof(struct tm_live) == 32 */
#define TM_FRAME_START	  0
#define TM_FRAME_SYM	  8
#define TM_FRAME_FLAGS	  12
#define TM_FRAME_RET	  16
#define TM_FRAME_SP	  24
#define TM_LIVE_START	  0
#define TM_LIVE_SYM	  8
#define TM_ASM_FR_UNTIMED 1

#ifndef __ASSEMBLER__
_Static_assert(offsetof(struct tm_regs, rdi) == TM_REGS_RDI, "tramp.S register order");
_Static_assert(sizeof(struct tm_regs) == TM_REGS_SIZE, "tramp.S register block");
#endif

#endif
