/* SPDX-License-Identifier: MIT */
/* libhotseq.so: monitored functions of every rule shape the timed fast
 * path evaluates, called in a fixed sequence by hotseq (tests/e2e/
 * hotpath_same.sh runs it through tramp.S's fast path and through the C
 * hooks and compares the records). */
#ifndef TM_HOTSEQ_H
#define TM_HOTSEQ_H

int hs_errno(int code);	      /* code > 0: -1 with errno = code; else 0 */
int hs_negret(int code);      /* -code */
int hs_code(int code);	      /* code */
int hs_int(int x);	      /* x, with garbage in rax's upper half (hotseq_asm.S) */
unsigned hs_uint(unsigned x); /* the same, unsigned */
void *hs_ptr(void *p);	      /* p */
long hs_long(long x);	      /* x */
long hs_norule(long x);	      /* x (no success rule) */
long hs_nest(int n);	      /* calls of the others, then hs_nest(n - 1) through hs_call */
long hs_recurse(int n);	      /* n levels of it and hs_down, alternating */
long hs_down(int n);
int hs_raise(int sig);			  /* raise(sig): the handler's calls nest in this one */
long hs_call(long (*cb)(long), long arg); /* cb(arg) */
long hs_catch(int n);			  /* a longjmp from a call inside it back into it */

#endif
