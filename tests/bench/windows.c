/* SPDX-License-Identifier: MIT */
/* Benchmark, not a test: the time axis's memory and the cost of reading
 * it. 1 000 functions, each called every second with durations spread
 * over three powers of two (so every bucket's histogram is as wide as a
 * real function's), through the model's own way in, for 15 minutes of
 * seconds and 24 hours of minutes of synthetic time (the model takes time
 * as an argument; nothing sleeps). Reports the collector's RSS (target
 * <= 256 MiB), bytes per function, the /metrics render time for the
 * 1 000 functions (target <= 10 ms) and a JSON summary's.
 * usage: bench_windows [FUNCTIONS] [HOURS] */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "collector.h"
#include "out/out.h"

int main(int argc, char **argv)
{
	int nf = argc > 1 ? atoi(argv[1]) : 1000;
	double hours = argc > 2 ? atof(argv[2]) : 24;
	struct tm_coll c;
	struct tm_coll_opts o = {.dir = "/nonexistent-tm-bench", .session = "bench"};
	char err[256];
	memset(&c, 0, sizeof(c));
	long rss0 = bench_rss_kib();
	/* the model only: no directory, no segments */
	c.ns_per_tick = 1;
	snprintf(c.session, sizeof(c.session), "bench");
	(void)o;
	(void)err;
	uint64_t t0 = 1000000000000ull;
	c.start_mono_ns = t0;
	tm_wclock_init(&c.clock, t0);
	struct tm_proc *p = calloc(1, sizeof(*p));
	p->psyms = calloc((size_t)nf, sizeof(*p->psyms));
	snprintf(p->exe, sizeof(p->exe), "/usr/bin/bench");
	for (int i = 0; i < nf; i++) {
		char name[64];
		snprintf(name, sizeof(name), "function_%04d", i);
		int g = tm_coll_sym(&c, 0, name);
		c.syms[g].flags = TM_RF_FOUND | TM_RF_HAS_RULE;
		p->psyms[i].gsym = (uint32_t)g;
	}
	p->npsyms = (uint32_t)nf;
	uint64_t secs = (uint64_t)(hours * 3600), calls = 0;
	double t_start = bench_now_ns();
	for (uint64_t s = 0; s < secs; s++) {
		uint64_t now = t0 + s * 1000000000ull;
		for (int i = 0; i < nf; i++) {
			/* three calls: ~1 us, ~2.5 us, ~6 us (three powers of two), one failed */
			static const uint64_t d[3] = {1100, 2600, 6100};
			for (int k = 0; k < 3; k++) {
				struct tm_call call = {.end_ns = now + 1000 * (uint64_t)k,
						       .dur_ns = d[k] + (s % 97),
						       .timed = 1,
						       .status = k == 2 ? TM_ST_FAILED : TM_ST_OK,
						       .err = k == 2 ? 2 : 0};
				tm_model_call(&c, p, (uint32_t)i, &call);
				calls++;
			}
		}
		tm_model_tick(&c, now + 1000000000ull);
	}
	double sim_s = (bench_now_ns() - t_start) / 1e9;
	long rss1 = bench_rss_kib();
	size_t win = 0;
	for (size_t i = 0; i < c.nsyms; i++)
		win += tm_win_bytes(&c.syms[i].win) + sizeof(struct tm_sym);
	double per_fn = (double)(rss1 - rss0) * 1024 / nf;
	printf("simulated %.1f h of %d functions (%llu calls) in %.1f s\n", hours, nf,
	       (unsigned long long)calls, sim_s);
	printf("RSS %ld KiB before, %ld KiB after; the series hold %.1f MiB (%.1f KiB per "
	       "function)\n",
	       rss0, rss1, (double)win / 1048576, (double)win / 1024 / nf);
	bench_line("windows.rss", (double)rss1 / 1024, "MiB", (double)rss0 / 1024, "<=256",
		   rss1 / 1024 <= 256, "collector_rss_1000_functions_15min_seconds_24h_minutes");
	bench_line("windows.per_function", per_fn / 1024, "KiB", 0, "-", 1, "rss_per_function");
	double r[11], j[5];
	size_t len = 0;
	for (int k = 0; k < 11; k++) {
		double a = bench_now_ns();
		char *m = tm_prom_render(&c, 0, &len);
		r[k] = (bench_now_ns() - a) / 1e6;
		free(m);
	}
	for (int k = 0; k < 5; k++) {
		double a = bench_now_ns();
		json_t *s =
			tm_summary_json_n(&c, TM_LIVE_SECONDS); /* what /api/v1/summary renders */
		char *t = json_dumps(s, JSON_COMPACT);
		j[k] = (bench_now_ns() - a) / 1e6;
		free(t);
		json_decref(s);
	}
	printf("/metrics: %zu bytes\n", len);
	bench_line("windows.metrics_render", bench_median(r, 11), "ms", 0, "<=10",
		   bench_median(r, 11) <= 10, "render_metrics_1000_functions");
	bench_line("windows.summary_render", bench_median(j, 5), "ms", 0, "-", 1,
		   "render_summary_json_1000_functions");
	return 0;
}
