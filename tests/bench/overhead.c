/* SPDX-License-Identifier: MIT */
/* Benchmark, not a test: per-call cost of a monitored call against the same
 * call unmonitored, in one process and one run. work_noop (returns x+1)
 * and work_100ns live in libshapes.so and are called through the PLT;
 * their twins *_native are identical and never configured. Run under tmrun
 * (the `bench` target does): rounds alternate native and monitored, and the
 * median of 9 rounds is reported as one machine-readable line per figure:
 *   overhead fn=work_noop native_ns=1.93 monitored_ns=25.80 added_ns=23.87 ratio=13.37
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../targets/shapes.h"

#define ROUNDS 9

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double round_ns(long (*f)(long), long n)
{
	static volatile long sink;
	double t0 = now_ns();
	long s = 0;
	for (long i = 0; i < n; i++)
		s += f(i);
	sink += s;
	return (now_ns() - t0) / (double)n;
}

static void bench(const char *name, long (*native)(long), long (*monitored)(long), long n)
{
	double a[ROUNDS], b[ROUNDS];
	for (int k = 0; k < ROUNDS; k++) {
		a[k] = round_ns(native, n);
		b[k] = round_ns(monitored, n);
	}
	qsort(a, ROUNDS, sizeof(a[0]), cmp);
	qsort(b, ROUNDS, sizeof(b[0]), cmp);
	double na = a[ROUNDS / 2], mo = b[ROUNDS / 2];
	printf("overhead fn=%s native_ns=%.2f monitored_ns=%.2f added_ns=%.2f ratio=%.2f\n", name,
	       na, mo, mo - na, mo / na);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000;
	bench("work_noop", work_noop_native, work_noop, n);
	bench("work_100ns", work_100ns_native, work_100ns, n / 10);
	return 0;
}
