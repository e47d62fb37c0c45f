/* SPDX-License-Identifier: MIT */
/* Benchmark (not a test): ns per call of work_noop (x+1 in libshapes.so,
 * through the PLT) and work_100ns. Run it natively and under the shim in
 * the same run via tools/bench or tests/bench/run-overhead:
 *   overhead N   -> prints "name ns_per_call" lines (median of 7 rounds). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../targets/shapes.h"

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

static double median_round(long (*f)(long), long n)
{
	double r[7];
	volatile long sink = 0;
	for (int k = 0; k < 7; k++) {
		double t0 = now_ns();
		long s = 0;
		for (long i = 0; i < n; i++)
			s += f(i);
		r[k] = (now_ns() - t0) / (double)n;
		sink += s;
	}
	(void)sink;
	qsort(r, 7, sizeof(r[0]), cmp);
	return r[3];
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000;
	printf("work_noop %.2f\n", median_round(work_noop, n));
	printf("work_100ns %.2f\n", median_round(work_100ns, n / 10));
	return 0;
}
