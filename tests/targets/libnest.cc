// SPDX-License-Identifier: MIT
// Monitored functions of known nesting (tests/e2e/calls.sh): nest_a calls
// nest_b twice and nest_c once, nest_b calls nest_c; nest_r recurses;
// nest_t catches what nest_x throws from under it; nest_j is left by a
// longjmp out of nest_k. Every call goes through the library's PLT.
#include <csetjmp>
#include <stdexcept>

extern "C" {
long nest_a(long n);
long nest_b(long n);
long nest_c(long n);
long nest_r(long n);
long nest_x(long n);
long nest_t(long n);
long nest_k(std::jmp_buf *env);
long nest_j(long n);
}

static volatile long sink;

// a little work of its own, so that self time is not only the floor
static long spin(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		sink = s += i;
	return s;
}

extern "C" long nest_c(long n)
{
	return spin(n) & 1;
}

extern "C" long nest_b(long n)
{
	return nest_c(n) + spin(n) % 3;
}

extern "C" long nest_a(long n)
{
	long v = nest_b(n) + nest_b(n);
	return v + nest_c(n) + spin(n) % 5;
}

// A compiler calls a function's own name directly (or unrolls it): the
// recursion goes through the function's address, which PIC code loads from
// the GOT, as another object's call would.
extern "C" long nest_r(long n)
{
	long (*volatile self)(long) = nest_r;
	long v = n > 0 ? self(n - 1) : 0;
	return v * 2 + (spin(100) & 1);
}

extern "C" long nest_x(long n)
{
	nest_c(n);
	throw std::runtime_error("nest_x");
}

extern "C" long nest_t(long n)
{
	long v = nest_b(n);
	try {
		v += nest_x(n);
	} catch (const std::runtime_error &) {
		v++;
	}
	return v;
}

extern "C" long nest_k(std::jmp_buf *env)
{
	nest_c(50);
	std::longjmp(*env, 1);
}

extern "C" long nest_j(long n)
{
	std::jmp_buf env;
	if (setjmp(env) == 0)
		nest_k(&env);
	return nest_c(n);
}

// Units of work (tests/e2e/workflow.sh): nest_handle(i) parses, looks up
// (failing, -1, for every i % 20 == 7), and renders only what it found,
// twice for even i; a failed lookup fails the unit's root too when
// `root_fails`.
extern "C" {
long nest_parse(long i);
long nest_lookup(long i);
long nest_render(long i);
long nest_handle(long i, long root_fails);
}

extern "C" long nest_parse(long i)
{
	return spin(20) >= 0 ? i : -1;
}

extern "C" long nest_lookup(long i)
{
	spin(20);
	return i % 20 == 7 ? -1 : i;
}

extern "C" long nest_render(long i)
{
	return spin(20) >= 0 ? i : -1;
}

extern "C" long nest_handle(long i, long root_fails)
{
	nest_parse(i);
	if (nest_lookup(i) < 0)
		return root_fails ? -1 : 0;
	nest_render(i);
	if (i % 2 == 0)
		nest_render(i);
	return 0;
}
