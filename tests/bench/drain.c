/* SPDX-License-Identifier: MIT */
/* Benchmark: how many records per second the collector turns into full
 * statistics (validation, per-symbol counts, error types, histogram) on one
 * core. A segment laid out as the shim lays it out is filled a ring at a
 * time with realistic records (8 symbols, durations spread from 50 ns to
 * 1 ms, 2% failures with errno codes, TSC timestamps of calls that just
 * returned); only tm_coll_drain is timed (the clock's tick before it, as
 * in the loop, is not). The
 * baseline is memcpy of the same bytes: the memory-bandwidth floor.
 * usage: bench_drain [MILLION_RECORDS]   (target >= 50 M records/s) */
#include <string.h>

#include "../../collector/collector.h"
#include "../unit/segfake.h"
#include "bench.h"

#define CAP (1u << 16)

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

int main(int argc, char **argv)
{
	long millions = argc > 1 ? atol(argv[1]) : 100;
	const char *syms[] = {"read",	      "write",	"open", "close",
			      "sqlite3_step", "malloc", "free", "f"};
	struct segfake f;
	segfake_create(&f, "bench", CAP, 1, 64, syms, 8);
	/* the TSC, as the shim writes it on machines with an invariant TSC:
	 * the reader converts every start and duration */
	f.h->clock_kind = TM_CLOCK_TSC;
	f.h->clock_t0 = rdtsc();
	f.h->clock_mono0 = tm_mono_ns();
	struct tm_coll c;
	struct tm_coll_opts o = {.dir = f.dir, .session = "bench"};
	char err[256];
	if (tm_coll_init(&c, &o, err, sizeof(err)) < 0 || tm_coll_scan(&c) != 1) {
		fprintf(stderr, "bench_drain: %s\n", err);
		return 2;
	}
	uint64_t x = 88172645463325252ull, total = 0;
	double drain_ns = 0, copy_ns = 0;
	static struct tm_record copy[CAP];
	while (total < (uint64_t)millions * 1000000) {
		/* calls that returned just now, as a running process's do */
		f.start_base = rdtsc() - 2000000;
		for (uint32_t i = 0; i < CAP; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift */
			uint64_t dur = 50ull << (x % 15) | (x >> 40) % 50;
			int fail = (x >> 20) % 50 == 0;
			segfake_push(&f, 0, (uint16_t)(x % 8), dur, fail ? TM_ST_FAILED : TM_ST_OK,
				     fail ? -1 : (int64_t)(x % 4096),
				     fail ? (int32_t)(1 + x % 4) : 0);
		}
		tm_model_tick(&c, tm_mono_ns()); /* as the loop does before each drain */
		double t0 = bench_now_ns();
		uint64_t n = tm_coll_drain(&c);
		drain_ns += bench_now_ns() - t0;
		if (n != CAP) {
			fprintf(stderr, "bench_drain: drained %llu of %u\n", (unsigned long long)n,
				CAP);
			return 2;
		}
		t0 = bench_now_ns();
		memcpy(copy, segfake_ring(&f, 0), sizeof(copy));
		__asm__ volatile("" : : "r"(copy) : "memory");
		copy_ns += bench_now_ns() - t0;
		total += n;
	}
	double rate = (double)total / drain_ns * 1e3, floor = (double)total / copy_ns * 1e3;
	printf("RAW records=%llu drain_s=%.3f fast_way=%.1f%%\n", (unsigned long long)total,
	       drain_ns / 1e9, 100.0 * (double)c.drain_fast / (double)total);
	bench_line("drain.records_per_s", rate, "M/s", floor, ">=50", rate >= 50,
		   "collector_drain_and_statistics_one_core_vs_memcpy");
	tm_coll_free(&c);
	segfake_destroy(&f);
	return 0;
}
