/* SPDX-License-Identifier: MIT */
/* Benchmark: does a monitored call get dearer when two threads make them at
 * once? Each thread alternates rounds of work_noop (hooked, through the
 * PLT) and work_noop_native (through a dlsym pointer), timed with its own
 * CPU clock so that a thread waiting for a core is not counted, taking each
 * thread's least disturbed round: the figure is what the call costs the
 * thread. One thread first, then two together;
 * the ratio of their added costs is the figure (target <= 1.15: no shared
 * written cache line, no atomic read-modify-write per call).
 * usage: bench_threads [N]   (run under tmrun -s work_noop) */
#include <dlfcn.h>
#include <pthread.h>

#include "../targets/shapes.h"
#include "bench.h"

#define ROUNDS 9

static long n_calls;
static long (*native)(long);
static pthread_barrier_t barrier;
BENCH_ROUND(round_native, bench_thread_ns, native)
BENCH_ROUND(round_hooked, bench_thread_ns, work_noop)

static void *worker(void *arg)
{
	double *added = arg, a[ROUNDS], b[ROUNDS];
	round_hooked(n_calls / 10);
	pthread_barrier_wait(&barrier);
	for (int k = 0; k < ROUNDS; k++) {
		a[k] = round_native(n_calls);
		b[k] = round_hooked(n_calls);
	}
	/* the least disturbed round of each: other tenants of a shared machine
	 * only ever add time */
	*added = bench_min(b, ROUNDS) - bench_min(a, ROUNDS);
	return NULL;
}

static double run(int nthreads)
{
	pthread_t th[2];
	double added[2];
	pthread_barrier_init(&barrier, NULL, (unsigned)nthreads);
	for (int i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, &added[i]);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&barrier);
	return nthreads == 1 ? added[0] : (added[0] + added[1]) / 2;
}

int main(int argc, char **argv)
{
	n_calls = argc > 1 ? atol(argv[1]) : 5000000;
	native = (long (*)(long))dlsym(RTLD_DEFAULT, "work_noop_native");
	if (!native)
		return 2;
	/* three alternating pairs, the median of each: one disturbed pair
	 * (another tenant, the collector catching up) does not decide */
	double ones[3], twos[3];
	for (int k = 0; k < 3; k++) {
		ones[k] = run(1);
		twos[k] = run(2);
		printf("RAW threads=1 added_ns=%.2f threads=2 mean_added_ns=%.2f\n", ones[k],
		       twos[k]);
	}
	double one = bench_median(ones, 3), two = bench_median(twos, 3);
	bench_line("threads.2_vs_1", two, "ns", one, "ratio<=1.15", two <= 1.15 * one,
		   "added_per_call_each_of_2_threads_vs_1_thread");
	return 0;
}
