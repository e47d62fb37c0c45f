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

#ifndef __ASSEMBLER__
_Static_assert(offsetof(struct tm_regs, rdi) == TM_REGS_RDI, "tramp.S register order");
_Static_assert(sizeof(struct tm_regs) == TM_REGS_SIZE, "tramp.S register block");
#endif

#endif
