/* SPDX-License-Identifier: MIT */
/* N calls of nanosleep(US microseconds), each timed by the program itself
 * with CLOCK_MONOTONIC around the call: the oracle for tm's durations.
 * usage: sleeper N US   prints: calls=N total_ns=T min_ns=A max_ns=B */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20;
	long us = argc > 2 ? atol(argv[2]) : 10000;
	struct timespec req = {us / 1000000, (us % 1000000) * 1000};
	uint64_t total = 0, mn = UINT64_MAX, mx = 0;
	for (long i = 0; i < n; i++) {
		uint64_t t0 = now_ns();
		if (nanosleep(&req, NULL) != 0)
			return 1;
		uint64_t d = now_ns() - t0;
		total += d;
		mn = d < mn ? d : mn;
		mx = d > mx ? d : mx;
	}
	printf("calls=%ld total_ns=%llu min_ns=%llu max_ns=%llu\n", n, (unsigned long long)total,
	       (unsigned long long)mn, (unsigned long long)mx);
	return 0;
}
