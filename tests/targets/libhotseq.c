/* SPDX-License-Identifier: MIT */
/* libhotseq.so: see hotseq.h. Calls between these exported functions go
 * through the PLT, so they are monitored too. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>

#include "hotseq.h"

int hs_errno(int code)
{
	if (code > 0) {
		errno = code;
		return -1;
	}
	return 0;
}

int hs_negret(int code)
{
	return -code;
}

int hs_code(int code)
{
	return code;
}

void *hs_ptr(void *p)
{
	return p;
}

long hs_long(long x)
{
	return x;
}

long hs_norule(long x)
{
	return x;
}

/* A function's calls of itself are bound directly (not through the PLT):
 * the recursions below alternate between two functions. */
static long hs_nest_cb(long n)
{
	return hs_nest((int)n);
}

long hs_nest(int n)
{
	long s = hs_errno(n % 3 ? 0 : EBADF);
	s += hs_code(n % 2 ? 100 : 7);
	s += hs_ptr((void *)(long)n) != 0;
	s += hs_int(-n);
	if (n > 0)
		s += hs_call(hs_nest_cb, n - 1);
	return s < 0 ? -s : s;
}

long hs_recurse(int n)
{
	return n > 0 ? hs_down(n - 1) + 1 : 0;
}

long hs_down(int n)
{
	return n > 0 ? hs_recurse(n - 1) + 1 : 0;
}

int hs_raise(int sig)
{
	return raise(sig);
}

long hs_call(long (*cb)(long), long arg)
{
	return cb(arg) + 1;
}

static jmp_buf hs_env;

static long hs_jump(long v)
{
	longjmp(hs_env, (int)v);
}

long hs_catch(int n)
{
	volatile long r = 0;
	if (setjmp(hs_env) == 0)
		r = hs_call(hs_jump, n + 1); /* leaves hs_call's frame behind */
	else if (n % 2 == 0)
		r = hs_code(n); /* its entry retires hs_call's frame */
	else
		r = n; /* the return finds hs_call's frame on top */
	return r;
}
