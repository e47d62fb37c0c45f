/* SPDX-License-Identifier: MIT */
/* Calls phase_work in phases of known rate and latency, at absolute
 * deadlines, timing every call itself with CLOCK_MONOTONIC: the oracle for
 * the collector's per-second series. Phases start on a whole second + 0.1 s.
 * usage: phases RATE:US:SECONDS[:FAILPCT]...
 * FAILPCT of each phase's calls fail with EIO (call i of the phase fails
 * when i % 100 < FAILPCT). Prints per CLOCK_MONOTONIC second of the
 * calls' ends:
 *   sec S calls N p50_ns P
 * and "done calls=N failed=F". With PHASES_MARK=FILE, appends
 * "phase K start_realtime_ns T" to FILE as each phase starts. With
 * PHASES_SLOW_NS=T, also "slow over=N near=M": the calls that took longer
 * than T ns by the target's clock, and how many of those took at most
 * T + 50 us (a monitor's duration is a little shorter than the target's). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

long phase_work(long us);

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

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

#define MAXSEC 600
static uint64_t *durs[MAXSEC];
static size_t ndur[MAXSEC], capdur[MAXSEC];

int main(int argc, char **argv)
{
	uint64_t t0 = now_ns(), first_sec = t0 / 1000000000ull + 1;
	uint64_t start = first_sec * 1000000000ull + 100000000ull, calls = 0, failed = 0;
	const char *mark = getenv("PHASES_MARK");
	const char *slow_env = getenv("PHASES_SLOW_NS");
	uint64_t slow_ns = slow_env ? strtoull(slow_env, NULL, 10) : 0, over = 0, near = 0;
	for (int a = 1; a < argc; a++) {
		long rate, us, fail = 0;
		double secs;
		int k = sscanf(argv[a], "%ld:%ld:%lf:%ld", &rate, &us, &secs, &fail);
		if (k < 3 || rate <= 0 || fail < 0 || fail > 100)
			return 2;
		uint64_t n = (uint64_t)((double)rate * secs);
		sleep_until(start);
		if (mark) {
			FILE *m = fopen(mark, "a");
			struct timespec rt;
			clock_gettime(CLOCK_REALTIME, &rt);
			if (m) {
				fprintf(m, "phase %d start_realtime_ns %llu\n", a,
					(unsigned long long)rt.tv_sec * 1000000000ull +
						(unsigned long long)rt.tv_nsec);
				fclose(m);
			}
		}
		for (uint64_t i = 0; i < n; i++) {
			sleep_until(start + i * 1000000000ull / (uint64_t)rate);
			uint64_t b = now_ns();
			int f = (long)(i % 100) < fail;
			phase_work(f ? -us : us);
			failed += (uint64_t)f;
			uint64_t e = now_ns();
			if (slow_env && e - b > slow_ns) {
				over++;
				near += e - b <= slow_ns + 50000;
			}
			uint64_t s = e / 1000000000ull - first_sec;
			if (s < MAXSEC) {
				if (ndur[s] == capdur[s]) {
					capdur[s] = capdur[s] ? 2 * capdur[s] : 256;
					durs[s] = realloc(durs[s], capdur[s] * sizeof(uint64_t));
				}
				durs[s][ndur[s]++] = e - b;
			}
			calls++;
		}
		start += (uint64_t)(secs * 1e9);
	}
	for (size_t s = 0; s < MAXSEC; s++) {
		if (!ndur[s])
			continue;
		qsort(durs[s], ndur[s], sizeof(uint64_t), cmp);
		printf("sec %llu calls %zu p50_ns %llu\n", (unsigned long long)(first_sec + s),
		       ndur[s], (unsigned long long)durs[s][(ndur[s] + 1) / 2 - 1]);
	}
	if (slow_env)
		printf("slow over=%llu near=%llu\n", (unsigned long long)over,
		       (unsigned long long)near);
	printf("done calls=%llu failed=%llu\n", (unsigned long long)calls,
	       (unsigned long long)failed);
	return 0;
}
