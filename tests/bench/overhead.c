/* SPDX-License-Identifier: MIT */
/* Benchmark, not a test: what a monitored call costs on top of the same
 * call unmonitored, in one process and one run. work_noop (returns x+1)
 * and work_100ns (about 100 ns of work) live in libshapes.so and are
 * called through the PLT — the tool under test hooks them; their twins
 * *_native are identical and are called through pointers from dlsym, which
 * no tool touches. Rounds alternate native and hooked; medians of 9.
 *
 * usage: bench_overhead [N] [LABEL] [TARGET_NS]   run it under the tool
 * (tmrun, uftrace); TARGET_NS is the limit for the empty function (30 for
 * a timed call, 10 for sampled calls, 5 for count-only; 0: none).
 * Prints, per function: BENCH name=LABEL.FN value=<added ns> baseline=<native ns>,
 * the floor of a timed call in the same rounds (floor.S: the least a tool
 * that times a call and hands over a record must do) as LABEL.floor.FN,
 * and tm's added cost over the floor's as LABEL.vs_floor.FN (target
 * <= 1.15 for a timed empty function, issue 14); and a raw line
 * "RAW fn=... native_ns=... hooked_ns=... floor_ns=..." for scripts. */
#include <dlfcn.h>
#include <string.h>

#include "../targets/shapes.h"
#include "bench.h"
#include "floor.h"

BENCH_FLOOR_DEFINE

#define ROUNDS 9

static long (*native)(long); /* the twin of the function being measured */

/* Direct calls: through the PLT, where every tool hooks (a pointer to the
 * function would be read from a GLOB_DAT slot, which uftrace ignores). */
BENCH_ROUND(round_work_noop, bench_now_ns, work_noop)
BENCH_ROUND(round_work_100ns, bench_now_ns, work_100ns)
BENCH_ROUND(round_native, bench_now_ns, native)
BENCH_ROUND(round_floor, bench_now_ns, bench_floor_call)

static void bench(const char *label, const char *fn, double (*hooked)(long), long n, double limit)
{
	char native_name[64];
	snprintf(native_name, sizeof(native_name), "%s_native", fn);
	native = (long (*)(long))dlsym(RTLD_DEFAULT, native_name);
	if (!native) {
		fprintf(stderr, "bench_overhead: %s not found\n", native_name);
		exit(2);
	}
	double a[ROUNDS], b[ROUNDS], f[ROUNDS];
	bench_floor_init((void *)native);
	hooked(n / 10); /* warm up: first calls bind, set up the thread */
	round_floor(n / 10);
	for (int k = 0; k < ROUNDS; k++) {
		a[k] = round_native(n);
		b[k] = hooked(n);
		f[k] = round_floor(n);
	}
	double na = bench_median(a, ROUNDS), mo = bench_median(b, ROUNDS);
	double fl = bench_median(f, ROUNDS);
	char name[128];
	snprintf(name, sizeof(name), "%s.%s", label, fn);
	int judge = strcmp(fn, "work_noop") == 0 && limit > 0;
	char target[16];
	snprintf(target, sizeof(target), judge ? "<=%g" : "-", limit);
	bench_line(name, mo - na, "ns", na, target, judge ? mo - na <= limit : 1,
		   strcmp(fn, "work_noop") == 0 ? "added_per_call_empty_function"
						: "added_per_call_100ns_function");
	snprintf(name, sizeof(name), "%s.floor.%s", label, fn);
	bench_line(name, fl - na, "ns", na, "-", 1, "added_per_call_by_the_floor_of_a_timed_call");
	/* tm over the floor: judged for the timed empty function (limit 30:
	 * the timed runs) */
	snprintf(name, sizeof(name), "%s.vs_floor.%s", label, fn);
	double ratio = fl - na > 0 ? (mo - na) / (fl - na) : 0;
	int timed = judge && limit >= 30;
	bench_line(name, ratio, "x", fl - na, timed ? "<=1.15" : "-", timed ? ratio <= 1.15 : 1,
		   "added_cost_over_the_floor_s");
	printf("RAW label=%s fn=%s native_ns=%.2f hooked_ns=%.2f floor_ns=%.2f\n", label, fn, na,
	       mo, fl);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000;
	const char *label = argc > 2 ? argv[2] : "overhead";
	double limit = argc > 3 ? atof(argv[3]) : 30;
	bench(label, "work_noop", round_work_noop, n, limit);
	bench(label, "work_100ns", round_work_100ns, n / 10, limit);
	return 0;
}
