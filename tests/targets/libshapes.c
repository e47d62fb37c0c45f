/* SPDX-License-Identifier: MIT */
/* libshapes.so: the monitored side of the shape tests. */
#include <errno.h>
#include <stdarg.h>

#include "shapes.h"

long work_noop(long x)
{
	return x + 1;
}

long work_100ns(long x)
{
	/* about 100 ns of dependent arithmetic */
	for (int i = 0; i < 110; i++)
		x = x * 6364136223846793005L + 1442695040888963407L;
	return x;
}

/* Identical twins that are never configured: the benchmark's native
 * baseline in the same process and run. */
long work_noop_native(long x)
{
	return x + 1;
}

long work_100ns_native(long x)
{
	for (int i = 0; i < 110; i++)
		x = x * 6364136223846793005L + 1442695040888963407L;
	return x;
}

int add_int(int a, int b)
{
	return a + b;
}

void *ptr_id(void *p)
{
	return p;
}

double dmul(double a, float b)
{
	return a * (double)b;
}

float fneg(float x)
{
	return -x;
}

long double ldtwice(long double x)
{
	return x * 2.0L;
}

struct big big_make(long seed)
{
	struct big b = {seed, seed * 2, seed * 3, seed * 4};
	return b;
}

struct mixed mixed_pass(struct mixed m, double k)
{
	m.x *= k;
	m.y += 1;
	return m;
}

struct dpair dpair_swap(struct dpair p)
{
	struct dpair r = {p.b, p.a};
	return r;
}

double vsum(int n, ...)
{
	va_list ap;
	double s = 0;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		s += va_arg(ap, double);
	va_end(ap);
	return s;
}

long many(long a1, long a2, long a3, long a4, long a5, long a6, long a7, long a8, long a9, long a10,
	  long a11, double d1, double d2, double d3, double d4, double d5, double d6, double d7,
	  double d8, double d9, double d10)
{
	return a1 + 2 * a2 + 3 * a3 + 4 * a4 + 5 * a5 + 6 * a6 + 7 * a7 + 8 * a8 + 9 * a9 +
	       10 * a10 + 11 * a11 +
	       (long)(d1 + 2 * d2 + 3 * d3 + 4 * d4 + 5 * d5 + 6 * d6 + 7 * d7 + 8 * d8 + 9 * d9 +
		      10 * d10);
}

int fail_if(int code)
{
	if (code > 0) {
		errno = code;
		return -1;
	}
	return 0;
}

int sqlite_like(int code)
{
	return code;
}

struct f4 f4_scale(struct f4 v, float k)
{
	struct f4 r = {v.a * k, v.b * k, v.c * k, v.d * k};
	return r;
}

struct f3 f3_rot(struct f3 v)
{
	struct f3 r = {v.b, v.c, v.a};
	return r;
}

double d3_sum(struct d3 v, int k)
{
	return (v.a + v.b + v.c) * k;
}

struct fi fi_mix(struct fi a, struct fi b)
{
	struct fi r = {a.f + b.f, a.i * b.i};
	return r;
}

struct ll2 ll2_make(long long a, long long b)
{
	struct ll2 r = {a + b, a - b};
	return r;
}

struct odd3 odd3_rot(struct odd3 v)
{
	struct odd3 r = {{v.c[1], v.c[2], v.c[0]}};
	return r;
}

long vmix(int n, ...)
{
	va_list ap;
	long s = 0;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		s += va_arg(ap, long);
		s += (long)va_arg(ap, double);
	}
	va_end(ap);
	return s;
}

/* Calls cb(arg) from inside a monitored frame: the callback may longjmp
 * out of it. */
long call_cb(long (*cb)(long), long arg)
{
	return cb(arg) + 1;
}

/* A monitored function whose call to another monitored function is a tail
 * call (jmp through the PLT): both frames share one return-address slot. */
#ifdef __clang__
long tail_noop(long x)
{
	__attribute__((musttail)) return work_noop(x + 1);
}
#else
__attribute__((optimize("optimize-sibling-calls"))) long tail_noop(long x)
{
	return work_noop(x + 1);
}
#endif

/* The address this call returns to, as the function itself sees it: the
 * caller's code natively, tm's exit trampoline when the call is hijacked. */
__attribute__((noinline)) void *who_called(void)
{
	return __builtin_extract_return_addr(__builtin_return_address(0));
}
