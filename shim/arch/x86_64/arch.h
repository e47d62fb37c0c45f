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

/* The entry stubs: TM_ASM_NSTUBS of 1 << TM_STUB_SHIFT bytes each (the
 * assembler refuses a stub that does not fit). */
#define TM_ASM_NSTUBS 4096
#define TM_STUB_SHIFT 4

/* struct tm_slot, struct tm_cnt and the mode/decision values, as tramp.S
 * sees them; hook.c checks them against the C definitions. */
#define TM_SLOT_SHIFT	 5 /* sizeof(struct tm_slot) == 32 */
#define TM_SLOT_TARGET	 0
#define TM_SLOT_CNT_OFF	 8
#define TM_SLOT_SYM	 16
#define TM_SLOT_MODE	 20
#define TM_CNT_SHIFT	 5 /* sizeof(struct tm_cnt) == 32 */
#define TM_CNT_CALLS	 0
#define TM_CNT_OK	 8
#define TM_CNT_BYTES	 16
#define TM_CNT_LEFT	 24
#define TM_ASM_SM_COUNT	 1
#define TM_ASM_SM_HIJACK 4
#define TM_ASM_D_SAMPLED 1
#define TM_ASM_D_UNTIMED 2
#define TM_ASM_D_DECIDE	 3
/* struct tm_tls, struct tm_frame (the private shadow stack) and struct
 * tm_live (its write-only mirror in the segment) fields the untimed entry
 * path and the timed fast paths use */
#define TM_TLS_THR	  8
#define TM_TLS_LIVE_DEPTH 16
#define TM_TLS_STACK	  24
#define TM_TLS_LIVE	  32
#define TM_TLS_RING	  40
#define TM_TLS_ACC	  48
#define TM_TLS_ACC_USED	  64
#define TM_TLS_READY	  72
#define TM_TLS_HEAD	  80
#define TM_TLS_LIMIT	  88
#define TM_TLS_TAIL_CACHE 96
#define TM_TLS_MASK	  104
#define TM_TLS_RING_CAP	  112
#define TM_TLS_RING_READY 120
#define TM_TLS_DEPTH	  136
#define TM_TLS_CAP	  140
#define TM_TLS_STATE	  144
#define TM_TLS_BUSY	  148
#define TM_TLS_ERRNO_P	  152
#define TM_TLS_LAP	  160 /* the lap bit of the records below limit */
#define TM_ASM_T_SLOT	  1   /* TM_T_SLOT */
#define TM_FRAME_SHIFT	  5   /* sizeof(struct tm_frame) == sizeof(struct tm_live) == 32 */
#define TM_FRAME_START	  0
#define TM_FRAME_SYM	  8
#define TM_FRAME_FLAGS	  12
#define TM_FRAME_RET	  16
#define TM_FRAME_SP	  24
#define TM_LIVE_START	  0
#define TM_LIVE_SYM	  8
#define TM_ASM_FR_UNTIMED 1
/* the timed fast paths (tm_enter_common, tm_exit_tramp): struct tm_state's
 * switch, struct tm_thread's head, struct tm_rule, struct tm_record (err
 * at TM_REC_ERR, then sym and caller: one 8-byte store) */
#define TM_G_FAST		8
#define TM_ASM_REC_LAP_BIT	54 /* TM_REC_LAP */
#define TM_ASM_HEAD_EVERY_SHIFT 4  /* TM_HEAD_EVERY */
#define TM_ASM_HEAD_EVERY	(1 << TM_ASM_HEAD_EVERY_SHIFT)
#define TM_THR_HEAD		64
#define TM_THR_LOSS_OVF		264 /* loss[TM_LOSS_OVERFLOW] */
#define TM_THR_ACC_EPOCH	304 /* after loss[TM_LOSS_COUNT] */
#define TM_THR_TAIL		128
#define TM_RULE_SIZE		200
#define TM_RULE_HAS		0
#define TM_RULE_TYPE		1
#define TM_RULE_ERR_SRC		2
#define TM_RULE_BYTES		4
#define TM_ASM_CALL_BYTES_SHIFT 48 /* TM_CALL_BYTES_MAX */
#define TM_RULE_NIVALS		68
#define TM_RULE_LO		72
#define TM_RULE_HI		136
#define TM_ASM_RET_INT		0
#define TM_ASM_RET_UINT		1
#define TM_ASM_RET_PTR		3
#define TM_ASM_ERR_ERRNO	1
#define TM_ASM_ERR_RET		2
#define TM_ASM_ERR_NEGRET	3
/* struct tm_acc: the ring-full fold of a call without a rule */
#define TM_ACC_SIZE	     320
#define TM_ACC_CALLS	     0
#define TM_ACC_SUM	     32
#define TM_ACC_MIN	     40
#define TM_ACC_MAX	     48
#define TM_ACC_HIST	     128
#define TM_ASM_ACC_BUCKETS   48
#define TM_REC_SHIFT	     5 /* sizeof(struct tm_record) == 32 */
#define TM_REC_START	     0
#define TM_REC_DUR_META	     8
#define TM_REC_VALUE	     16
#define TM_REC_ERR	     24
#define TM_ASM_DUR_MASK	     0xffffffffffff /* TM_DUR_MASK */
#define TM_ASM_NO_SYM	     0xffff
#define TM_ASM_ST_FAILED_BIT 0 /* the status bit, from bit 48 of dur_meta (TM_ST_OK: none) */
#define TM_ASM_ST_NORULE_BIT 1

#ifndef __ASSEMBLER__
_Static_assert(offsetof(struct tm_regs, rdi) == TM_REGS_RDI, "tramp.S register order");
_Static_assert(sizeof(struct tm_regs) == TM_REGS_SIZE, "tramp.S register block");
#endif

#endif
