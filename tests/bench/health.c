/* SPDX-License-Identifier: MIT */
/* Benchmark, not a test: what the health engine costs the collector once
 * per second. 1 000 functions called 25 times a second each (enough for
 * every one to get an anomaly detector), three rules matching every
 * function (an error rate, a p99 threshold, a burn-rate SLO) on top of
 * the defaults, 10 minutes of synthetic time through the model's own way
 * in. Reports the median and max time of one evaluation (target: a small
 * fraction of the second it runs in) and the engine's memory.
 * usage: bench_health [FUNCTIONS] [SECONDS] */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "collector.h"
#include "health/health.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int nf = argc > 1 ? atoi(argv[1]) : 1000;
	int secs = argc > 2 ? atoi(argv[2]) : 600;
	struct tm_coll c;
	memset(&c, 0, sizeof(c));
	c.ns_per_tick = 1;
	snprintf(c.session, sizeof(c.session), "bench");
	uint64_t t0 = 1000000000000ull;
	c.start_mono_ns = t0;
	tm_wclock_init(&c.clock, t0);
	json_error_t je;
	json_t *root =
		json_loads("{\"alerts\": ["
			   "{\"name\": \"e\", \"error_rate\": 0.2, \"window\": \"1m\"},"
			   "{\"name\": \"l\", \"p99_ms\": 5, \"window\": \"10s\", \"for\": \"5s\"},"
			   "{\"name\": \"s\", \"objective\": 0.99, \"period\": \"1h\"}]}",
			   0, &je);
	c.hrules = calloc(1, sizeof(*c.hrules));
	tm_hrules_defaults(c.hrules);
	tm_hrules_parse(c.hrules, root, "bench", stderr);
	json_decref(root);
	struct tm_proc *p = calloc(1, sizeof(*p));
	p->psyms = calloc((size_t)nf, sizeof(*p->psyms));
	for (int i = 0; i < nf; i++) {
		char name[64];
		snprintf(name, sizeof(name), "function_%04d", i);
		int g = tm_coll_sym(&c, 0, name);
		c.syms[g].flags = TM_RF_FOUND | TM_RF_HAS_RULE;
		p->psyms[i].gsym = (uint32_t)g;
	}
	p->npsyms = (uint32_t)nf;
	long rss0 = bench_rss_kib();
	double *t = calloc((size_t)secs, sizeof(*t));
	uint64_t x = 88172645463325252ull;
	for (int s = 0; s < secs; s++) {
		uint64_t now = t0 + (uint64_t)s * 1000000000ull;
		for (int i = 0; i < nf; i++)
			for (int k = 0; k < 25; k++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				struct tm_call call = {.end_ns = now + 1000 * (uint64_t)k,
						       .dur_ns = 1000 + x % 4000,
						       .timed = 1,
						       .status = x % 50 ? TM_ST_OK : TM_ST_FAILED,
						       .err = x % 50 ? 0 : 5};
				tm_model_call(&c, p, (uint32_t)i, &call);
			}
		tm_model_tick(&c, now + 1000000000ull);
		double a = bench_now_ns();
		tm_health_eval(&c, now + 1000000000ull, 0);
		t[s] = (bench_now_ns() - a) / 1e6;
	}
	long rss1 = bench_rss_kib();
	qsort(t, (size_t)secs, sizeof(*t), cmp);
	printf("%d functions x 25 calls/s, %d s: evaluation median %.2f ms, p99 %.2f ms, max %.2f "
	       "ms; RSS +%ld KiB (model and engine)\n",
	       nf, secs, t[secs / 2], t[secs * 99 / 100], t[secs - 1], rss1 - rss0);
	bench_line("health.eval", t[secs / 2], "ms", 0, "<=50", t[secs / 2] <= 50,
		   "one_evaluation_1000_functions_3_rules_and_defaults");
	bench_line("health.eval_max", t[secs - 1], "ms", 0, "-", 1, "slowest_evaluation");
	free(t);
	return 0;
}
