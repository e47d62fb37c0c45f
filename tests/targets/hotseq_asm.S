/* SPDX-License-Identifier: MIT */
/* int and unsigned returns with garbage in the upper half of rax, as
 * compiled code may leave it: the rule's type must read eax only. */
	.text
	.globl hs_int
	.type hs_int, @function
hs_int:
	.cfi_startproc
	movabsq $0x5a5a5a5a00000000, %rax
	movl %edi, %edi
	orq %rdi, %rax
	ret
	.cfi_endproc
	.size hs_int, . - hs_int

	.globl hs_uint
	.type hs_uint, @function
hs_uint:
	.cfi_startproc
	movabsq $0xa5a5a5a500000000, %rax
	movl %edi, %edi
	orq %rdi, %rax
	ret
	.cfi_endproc
	.size hs_uint, . - hs_uint

	.section .note.GNU-stack, "", @progbits
