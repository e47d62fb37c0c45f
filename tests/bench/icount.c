/* SPDX-License-Identifier: MIT */
/* Benchmark, not a test: the program tests/bench/icount.sh runs under
 * valgrind --tool=callgrind. loop_hooked calls work_noop through the PLT
 * (hooked when run under the shim), loop_native calls its twin through a
 * pointer nobody hooks; callgrind counts the instructions each loop
 * executes, inclusive, so the difference per call is what the shim adds —
 * a figure that does not move with the machine's load. loop_floor calls
 * the twin through the floor of a timed call (floor.S): its difference is
 * the least a timed call can add.
 * usage: bench_icount N */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "../targets/shapes.h"
#include "floor.h"

BENCH_FLOOR_DEFINE

static volatile long sink;
static long (*native)(long);

__attribute__((noinline)) void loop_hooked(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += work_noop(i);
	sink += s;
}

__attribute__((noinline)) void loop_floor(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += bench_floor_call(i);
	sink += s;
}

__attribute__((noinline)) void loop_native(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += native(i);
	sink += s;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	native = (long (*)(long))dlsym(RTLD_DEFAULT, "work_noop_native");
	if (!native)
		return 2;
	work_noop(1); /* the thread's first call sets it up: not measured */
	bench_floor_init((void *)native);
	loop_hooked(n);
	loop_floor(n);
	loop_native(n);
	printf("icount n=%ld\n", n);
	return 0;
}
