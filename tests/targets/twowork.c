/* SPDX-License-Identifier: MIT */
/* Calls tw_a, tw_b and/or tw_c (libtwowork) RATE times a second for
 * SECONDS, at absolute deadlines, each with its own work and failure rate.
 * usage: twowork SECONDS RATE NAME:US[:FAILPCT]... [exit:STATUS]
 * NAME is a, b or c; call i of a function fails with EIO when
 * i % 100 < FAILPCT. Prints "tw_X calls=N failed=F" per function and
 * exits with STATUS (default 0). The timer slack is 1 ns, so the sleeps
 * take what they ask for, plus the wake-up. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

long tw_a(long us);
long tw_b(long us);
long tw_c(long us);

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {(time_t)(t / 1000000000ull), (long)(t % 1000000000ull)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

struct fn {
	long (*call)(long);
	char name;
	long us, failpct;
	uint64_t calls, failed;
};

int main(int argc, char **argv)
{
	struct fn fns[8];
	size_t n = 0;
	int status = 0;
	if (argc < 4)
		return 2;
	double secs = atof(argv[1]);
	long rate = atol(argv[2]);
	for (int a = 3; a < argc; a++) {
		char name;
		long us, fail = 0;
		if (sscanf(argv[a], "exit:%d", &status) == 1)
			continue;
		if (n == 8 || sscanf(argv[a], "%c:%ld:%ld", &name, &us, &fail) < 2 || us <= 0 ||
		    fail < 0 || fail > 100 || !strchr("abc", name))
			return 2;
		fns[n++] = (struct fn){
			name == 'a' ? tw_a : name == 'b' ? tw_b : tw_c, name, us, fail, 0, 0};
	}
	if (rate <= 0 || !(secs > 0))
		return 2;
	prctl(PR_SET_TIMERSLACK, 1UL);
	uint64_t ticks = (uint64_t)(secs * (double)rate), start = now_ns();
	for (uint64_t i = 0; i < ticks; i++) {
		sleep_until(start + i * 1000000000ull / (uint64_t)rate);
		for (size_t k = 0; k < n; k++) {
			int f = (long)(fns[k].calls % 100) < fns[k].failpct;
			fns[k].call(f ? -fns[k].us : fns[k].us);
			fns[k].calls++;
			fns[k].failed += (uint64_t)f;
		}
	}
	for (size_t k = 0; k < n; k++)
		printf("tw_%c calls=%llu failed=%llu\n", fns[k].name,
		       (unsigned long long)fns[k].calls, (unsigned long long)fns[k].failed);
	return status;
}
