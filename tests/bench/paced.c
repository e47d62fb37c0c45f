/* SPDX-License-Identifier: MIT */
/* Benchmark helper: RATE calls of work_noop per second for SECONDS, in
 * bursts of RATE/1000 every millisecond (absolute deadlines, so the rate
 * holds however long a burst takes). usage: bench_paced RATE SECONDS */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../targets/shapes.h"

int main(int argc, char **argv)
{
	long rate = argc > 1 ? atol(argv[1]) : 1000000;
	double secs = argc > 2 ? atof(argv[2]) : 3;
	long per_ms = rate / 1000, ticks = (long)(secs * 1000), s = 0;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long t = 0; t < ticks; t++) {
		for (long i = 0; i < per_ms; i++)
			s += work_noop(i);
		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	printf("paced calls=%ld sum=%ld\n", per_ms * ticks, s);
	return 0;
}
