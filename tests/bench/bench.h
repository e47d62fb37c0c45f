/* SPDX-License-Identifier: MIT */
/* Shared by the benchmarks: a monotonic clock, medians, and the one output
 * line per figure that tools/bench turns into a table:
 *
 *   BENCH name=overhead.work_noop value=23.87 unit=ns baseline=1.93 ratio=12.37 target=<=30 ok=1
 * what=...
 *
 * `value` is the figure, `baseline` what it is measured against in the
 * same run, `ok` whether it meets the target. */
#ifndef TM_BENCH_H
#define TM_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline double bench_thread_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static inline double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), bench_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline double bench_min(const double *v, int n)
{
	double m = v[0];
	for (int i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

static volatile long bench_sink;

/* Defines `static double NAME(long n)`: the time per call of CALL(i) over n
 * calls, read from CLOCK (bench_now_ns or bench_thread_ns). CALL is called
 * by name, so a library function goes through the PLT. */
#define BENCH_ROUND(NAME, CLOCK, CALL)                                                             \
	static double NAME(long n)                                                                 \
	{                                                                                          \
		double t0 = CLOCK();                                                               \
		long s = 0;                                                                        \
		for (long i = 0; i < n; i++)                                                       \
			s += CALL(i);                                                              \
		bench_sink += s;                                                                   \
		return (CLOCK() - t0) / (double)n;                                                 \
	}

/* This process's resident memory (KiB), -1 when /proc cannot say. */
static inline long bench_rss_kib(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb;
}

static inline void bench_line(const char *name, double value, const char *unit, double baseline,
			      const char *target, int ok, const char *what)
{
	printf("BENCH name=%s value=%.2f unit=%s baseline=%.2f ratio=%.3f target=%s ok=%d "
	       "what=%s\n",
	       name, value, unit, baseline, baseline != 0 ? value / baseline : 0.0, target, ok,
	       what);
	fflush(stdout);
}

#endif
